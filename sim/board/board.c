/*
 * The board: clock, resets, power, BOOT0 sampling, ROM/CPU mode switching,
 * and the time-driven work between CPU slices.
 */
#include "board.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"

const char *board_mode_name(enum board_mode m)
{
	switch (m) {
	case BOARD_OFF: return "off";
	case BOARD_CPU: return "cpu";
	case BOARD_ROM: return "rom";
	case BOARD_LOCKUP: return "lockup";
	}
	return "?";
}

const char *board_reset_cause_name(enum board_reset_cause c)
{
	switch (c) {
	case RESET_POWER: return "power";
	case RESET_NRST: return "nrst";
	case RESET_IWDG: return "iwdg";
	case RESET_SOFTWARE: return "software";
	case RESET_ROM: return "rom";
	}
	return "?";
}

uint64_t board_now(const struct board *b)
{
	if (b->mode != BOARD_CPU)
		return b->idle_ns;
	return b->base_ns + (b->cycles - b->base_cyc) * 1000000000ull / b->hclk_hz;
}

static void rebase(struct board *b, uint64_t now)
{
	b->base_ns = now;
	b->base_cyc = b->cycles;
	b->idle_ns = now;
}

void board_set_hclk(struct board *b, uint32_t hz)
{
	uint64_t now = board_now(b);
	b->hclk_hz = hz;
	rebase(b, now);
	if (hz > b->hclk_max_hz)
		b->hclk_max_hz = hz;
}

static void set_mode(struct board *b, enum board_mode m)
{
	uint64_t now = board_now(b);
	b->mode = m;
	rebase(b, now);
}

void board_advance(struct board *b, uint64_t to_ns)
{
	if (b->mode == BOARD_CPU)
		return;
	if (to_ns > b->idle_ns) {
		/* cycles keep counting so SysTick/DWT stay monotonic */
		b->cycles += (to_ns - b->idle_ns) * b->hclk_hz / 1000000000ull;
		rebase(b, to_ns);
	}
}

void board_stop_slice(struct board *b)
{
	b->stop_request = true;
	if (b->in_emu)
		uc_emu_stop(b->uc);
}

void board_enter_lockup(struct board *b, uint32_t pc)
{
	b->pending_lockup = false;
	if (!b->lockup_pc)
		b->lockup_pc = pc;
	set_mode(b, BOARD_LOCKUP);
	sim_eventf(&b->ev, board_now(b), "lockup", "\"pc\":%" PRIu32 ",\"reason\":\"%s\"", b->lockup_pc,
		   b->lockup_reason);
}

void board_lockup(struct board *b, const char *why, uint32_t pc)
{
	if (b->pending_lockup || b->mode == BOARD_LOCKUP)
		return; /* the first fault wins */
	snprintf(b->lockup_reason, sizeof b->lockup_reason, "%s", why);
	b->lockup_pc = pc ? pc : b->blk_pc;
	if (b->in_emu) {
		b->pending_lockup = true;
		board_stop_slice(b);
	} else if (b->mode == BOARD_CPU) {
		board_enter_lockup(b, b->lockup_pc);
	}
}

void board_apply_fixup(struct board *b)
{
	if (!b->fix_pending)
		return;
	b->fix_pending = false;
	/* the flash array is ours: sim_flash maps it writable */
	memcpy((uint8_t *)(uintptr_t)sim_flash_mem(&b->flash) + b->fix_off, b->fix_data, b->fix_len);
}

void board_flash_changed(struct board *b, uint32_t off, uint32_t len)
{
	uint32_t end = off + len;
	for (uint32_t i = off / 2; i < end / 2 + 1 && i < TS_FLASH_SIZE / 2; i++)
		b->tbcount[i] = 0;
	/* blocks that start before off may run into the range: clear some */
	for (uint32_t i = off / 2 >= 1024 ? off / 2 - 1024 : 0; i < off / 2; i++)
		b->tbcount[i] = 0;
	/* Translated blocks are dropped after the slice (never from inside a
	 * hook: the running block may be among them). */
	if (b->dirty_end == 0) {
		b->dirty_off = off;
		b->dirty_end = end;
	} else {
		if (off < b->dirty_off)
			b->dirty_off = off;
		if (end > b->dirty_end)
			b->dirty_end = end;
	}
}

void board_flush_dirty(struct board *b)
{
	if (!b->dirty_end || !b->uc)
		return;
	board_drop_stale_code(b);
	b->dirty_off = b->dirty_end = 0;
}

/*
 * Drop unicorn's translations when flash changed (sim_flash's page mask)
 * where code has run since the last drop, and the bytes of the 256-byte
 * chunks that ran code differ from those at the last check (code_snap): an
 * image erased and written again with the same code, as the host's retry
 * does, and a test that restores the flash keep their translations. All of
 * them: uc_ctl_remove_cache on a range proved unreliable in unicorn 2.0.1
 * (stale blocks ran after a rewrite). Only then: unicorn 2.0.1's TB flush
 * clears its whole 1 GB code buffer (about 0.1 s, and up to 2 s and 1 GB of
 * memory the first time), and most flash changes (the journal, sector 11)
 * are in pages that never ran code.
 */
void board_drop_stale_code(struct board *b)
{
	if (!b->uc)
		return;
	const uint8_t *mem = sim_flash_mem(&b->flash);
	uint64_t ch = b->flash.changed;
	bool stale = false;
	for (uint32_t c = 0; c < TS_FLASH_SIZE / 256u && !stale; c++)
		if ((ch & b->code_pages) >> (c >> 6) & 1u && b->code_chunks[c >> 6] >> (c & 63u) & 1u)
			stale = memcmp(b->code_snap + c * 256u, mem + c * 256u, 256u) != 0;
	if (stale) {
		uc_ctl_flush_tlb(b->uc); /* UC_CTL_TB_FLUSH: all translated blocks */
		b->code_pages = 0;
		memset(b->code_chunks, 0, sizeof b->code_chunks);
	}
	for (unsigned p = 0; p < TS_FLASH_SIZE / 16384u; p++)
		if (ch >> p & 1u)
			memcpy(b->code_snap + p * 16384u, mem + p * 16384u, 16384u);
	b->flash.changed = 0;
}

int board_open(struct board *b, const struct board_opts *o, struct sim_serial *serial)
{
	memset(b, 0, sizeof *b);
	b->pending_reset = -1;
	b->hclk_hz = BOARD_HSI_HZ;
	b->boot0 = o->boot0;
	b->serial = serial;
	int rc = sim_events_open(&b->ev, o->events_path);
	if (rc) {
		fprintf(stderr, "board: cannot open event log %s\n", o->events_path);
		return rc;
	}
	rc = sim_flash_open(&b->flash, o->flash_path, &b->ev);
	if (rc) {
		fprintf(stderr, "board: cannot open flash file %s: %s\n", o->flash_path, ts_strerror(rc));
		sim_events_close(&b->ev);
		return rc;
	}
	sim_flash_seed(&b->flash, o->seed ? o->seed : 1);
	rc = bd_cpu_open(b);
	if (rc) {
		board_close(b);
		return rc;
	}
	sim_rom_init(&b->rom, &b->flash, &b->ev, b->sram, BOARD_SRAM_SIZE);
	b->rom.time_permille = o->rom_time_permille;
	b->mode = BOARD_OFF;
	b->powered = false;
	return TS_OK;
}

void board_close(struct board *b)
{
	bd_cpu_close(b);
	free(b->regfile);
	b->regfile = NULL;
	sim_flash_close(&b->flash);
	sim_events_close(&b->ev);
}

static void reset_peripherals(struct board *b, enum board_reset_cause cause)
{
	b->fix_pending = false;
	b->stall_until_ns = 0; /* the flash interface resets too: no BSY, no stall */
	b->slot_entered = false;
	b->pending_lockup = false;
	b->pending_reset = -1;
	b->lockup_pc = 0;
	b->lockup_reason[0] = 0;
	bd_rcc_reset(b, cause);
	bd_flash_if_reset(b);
	bd_gpio_reset(b);
	bd_usart_reset(b);
	bd_scb_reset(b);
	bd_systick_reset(b);
	bd_crc_reset(b);
	memset(b->nvic, 0, sizeof b->nvic);
	b->dwt_ctrl = 0;
	b->pwr_cr = 0;
	memset(b->regfile, 0, 0x80000u + 0x62000u + 0x10000u);
}

/* A system reset: everything but the IWDG (and power-on extras). The chip
 * samples BOOT0 and starts the CPU from flash or the ROM bootloader. */
void board_reset(struct board *b, enum board_reset_cause cause)
{
	if (!b->powered)
		return;
	uint64_t now = board_now(b);
	bool was_cpu = b->mode == BOARD_CPU || b->mode == BOARD_LOCKUP;
	set_mode(b, BOARD_OFF);
	b->idle_ns = now;
	b->reset_count++;
	sim_eventf(&b->ev, now, "reset", "\"cause\":\"%s\",\"boot0\":%d", board_reset_cause_name(cause),
		   b->boot0 ? 1 : 0);
	if (cause == RESET_POWER) {
		memset(b->sram, 0, BOARD_SRAM_SIZE);
		memset(b->ccm, 0, BOARD_CCM_SIZE);
		bd_iwdg_power_on(b);
	}
	if (b->serial && was_cpu)
		sim_serial_reset_flush(b->serial, bd_usart_unsent(b));
	else if (b->serial)
		sim_serial_flush(b->serial);
	reset_peripherals(b, cause);
	b->reset_ns = now;
	b->reset_cyc = b->cycles;
	b->slot_entered = false;
	b->hclk_max_hz = b->hclk_hz;
	/* What the firmware sent before the reset has left on the wire: a reply
	 * sent right before a software reset (the app path's RESTARTING)
	 * arrives. */
	if (b->nrst_low)
		return; /* held in reset until the pin is released */
	if (b->boot0) {
		sim_rom_reset(&b->rom, now);
		set_mode(b, BOARD_ROM);
		sim_eventf(&b->ev, now, "boot", "\"addr\":%u,\"mode\":\"rom\"", 0x1FFF0000u);
	} else {
		set_mode(b, BOARD_CPU);
		bd_cpu_start_at(b, TS_FLASH_BASE);
	}
	/* a running IWDG continues counting through a system reset */
}

void board_set_nrst(struct board *b, bool low)
{
	if (low == b->nrst_low)
		return;
	b->nrst_low = low;
	if (!b->powered)
		return;
	if (low) {
		uint64_t now = board_now(b);
		set_mode(b, BOARD_OFF);
		b->idle_ns = now;
		sim_eventf(&b->ev, now, "nrst", "\"level\":0");
	} else {
		sim_eventf(&b->ev, board_now(b), "nrst", "\"level\":1");
		board_reset(b, RESET_NRST);
	}
}

void board_power_on(struct board *b)
{
	if (b->powered)
		return;
	b->powered = true;
	sim_flash_power_on(&b->flash);
	sim_eventf(&b->ev, board_now(b), "power", "\"on\":true");
	board_reset(b, RESET_POWER);
}

void board_power_off(struct board *b)
{
	if (!b->powered)
		return;
	uint64_t now = board_now(b);
	set_mode(b, BOARD_OFF);
	b->idle_ns = now;
	b->powered = false;
	b->iwdg.running = false;
	uint8_t old = b->leds;
	b->leds = 0;
	for (int i = 0; i < 4; i++)
		if (old & (1u << i))
			sim_eventf(&b->ev, now, "led", "\"pin\":\"PD%d\",\"on\":false", 12 + i);
	sim_eventf(&b->ev, now, "power", "\"on\":false");
	if (b->serial)
		sim_serial_flush(b->serial);
}

void board_service(struct board *b)
{
	if (!b->powered)
		return;
	uint64_t now = board_now(b);
	bd_flash_if_service(b);
	if (b->mode == BOARD_ROM) {
		/* the ROM bootloader refreshes a running IWDG */
		bd_iwdg_reload(b);
		if (b->serial) {
			uint8_t buf[512];
			size_t n = sim_serial_read(b->serial, buf, sizeof buf, now);
			for (size_t i = 0; i < n; i++)
				sim_rom_rx(&b->rom, buf[i], now);
			n = sim_rom_tx(&b->rom, buf, sizeof buf, now);
			if (n)
				sim_serial_write(b->serial, buf, n, now);
		}
		if (b->flash.unpowered) {
			/* a power cut during one of the ROM's flash operations:
			 * the board is off, as for a cut during the CPU's */
			board_power_off(b);
			return;
		}
		if (b->rom.go_pending) {
			b->rom.go_pending = false;
			uint32_t a = b->rom.go_addr;
			set_mode(b, BOARD_CPU);
			bd_cpu_start_at(b, a);
		} else if (b->rom.reset_pending) {
			b->rom.reset_pending = false;
			board_reset(b, RESET_ROM);
		}
		return;
	}
	if (b->mode == BOARD_CPU)
		bd_usart_service(b);
	else if (b->serial) {
		uint8_t buf[256]; /* nobody listens: host bytes are lost */
		(void)sim_serial_read(b->serial, buf, sizeof buf, now);
	}
	if (b->iwdg.running && now >= b->iwdg.deadline_ns &&
	    (b->mode == BOARD_CPU || b->mode == BOARD_LOCKUP)) {
		sim_eventf(&b->ev, b->iwdg.deadline_ns, "iwdg_timeout", "\"pc\":%" PRIu32, b->pc);
		bd_iwdg_reload(b);
		board_reset(b, RESET_IWDG);
	}
}

uint64_t board_next_deadline(const struct board *b)
{
	uint64_t d = UINT64_MAX;
	if (!b->powered)
		return d;
	if (b->mode == BOARD_ROM) {
		uint64_t r = sim_rom_deadline_ns(&b->rom);
		if (r < d)
			d = r;
		if (b->rom.ready_ns > board_now(b) && b->rom.ready_ns < d)
			d = b->rom.ready_ns;
	}
	if (b->iwdg.running && (b->mode == BOARD_CPU || b->mode == BOARD_LOCKUP) &&
	    b->iwdg.deadline_ns < d)
		d = b->iwdg.deadline_ns;
	if (b->fi.busy_until_ns && b->fi.busy_until_ns < d)
		d = b->fi.busy_until_ns;
	if (b->serial) {
		uint64_t s = sim_serial_deadline_ns(b->serial);
		if (s < d)
			d = s;
	}
	return d;
}
