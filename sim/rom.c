/*
 * The F407 ROM bootloader's USART protocol (AN3155 V3.1) as a state machine.
 * See rom.h for the contract and docs/virtual-board.md for the sources.
 *
 * One function per command, each producing exactly the bytes of AN3155's
 * figure; framing (complements, XOR checksums) is checked in one place
 * (cmd_complement / frame_ok).
 */
#include "rom.h"

#include <string.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"

enum {
	ST_SYNC,      /* waiting for 0x7F */
	ST_CMD,       /* waiting for a command byte */
	ST_COMPL,     /* waiting for the command's complement */
	ST_ADDR,      /* 4 address bytes + checksum (Read, Go, Write) */
	ST_RM_LEN,    /* Read: N, ~N */
	ST_WM_LEN,    /* Write: N */
	ST_WM_DATA,   /* Write: N+1 bytes + checksum */
	ST_EE_N,      /* Extended Erase: 2 bytes N */
	ST_EE_SPECIAL,/* Extended Erase: checksum after 0xFFFx */
	ST_EE_LIST,   /* Extended Erase: 2(N+1) bytes + checksum */
	ST_WP_N,      /* Write Protect: N */
	ST_WP_LIST,   /* Write Protect: N+1 bytes + checksum */
	ST_GONE,      /* Go done: the CPU runs, the ROM is silent */
	ST_DEAD,      /* power cut: silent until reset */
};

#define CMD_GET 0x00
#define CMD_GVR 0x01
#define CMD_GID 0x02
#define CMD_RM  0x11
#define CMD_GO  0x21
#define CMD_WM  0x31
#define CMD_EE  0x44
#define CMD_WP  0x63
#define CMD_UW  0x73
#define CMD_RP  0x82
#define CMD_UR  0x92

static const uint8_t commands[] = { CMD_GET, CMD_GVR, CMD_GID, CMD_RM, CMD_GO, CMD_WM,
				    CMD_EE,  CMD_WP,  CMD_UW,  CMD_RP, CMD_UR };

#define OPT_ADDR    0x1FFFC000u
#define OPT_SIZE    16u
#define VRANGE_ADDR 0xFFFF0000u

/* After the queued output drains: what the board must do. */
enum { AFTER_NONE, AFTER_GO, AFTER_RESET };

/* ---- output ---- */

static uint64_t scaled(const struct sim_rom *r, uint64_t ns)
{
	return ns * r->time_permille / 1000u;
}

static void emit_at(struct sim_rom *r, uint8_t b, uint64_t due)
{
	if (r->out_len == sizeof(r->out))
		return; /* cannot happen: replies are bounded and drained */
	if (r->out_len) {
		uint64_t last = r->out_due[(r->out_head + r->out_len - 1) % sizeof(r->out)];
		if (due < last)
			due = last;
	}
	size_t i = (r->out_head + r->out_len) % sizeof(r->out);
	r->out[i] = b;
	r->out_due[i] = due;
	r->out_len++;
}

/* A final answer that becomes due after a flash operation of dur ns. */
static void emit_after(struct sim_rom *r, uint8_t b, uint64_t now, uint64_t dur)
{
	uint64_t due = now + scaled(r, dur);
	if (due > r->busy_until_ns)
		r->busy_until_ns = due;
	emit_at(r, b, due);
}

static void emit(struct sim_rom *r, uint8_t b, uint64_t now)
{
	emit_at(r, b, now);
}

static void event_cmd(struct sim_rom *r, uint64_t now, bool ok, const char *extra)
{
	sim_eventf(r->ev, now, "rom_cmd", "\"cmd\":%u,\"ok\":%s%s%s", r->cmd, ok ? "true" : "false",
		   extra && *extra ? "," : "", extra ? extra : "");
}

static void nack(struct sim_rom *r, uint64_t now, const char *why)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "\"why\":\"%s\"", why);
	event_cmd(r, now, false, buf);
	emit(r, SIM_ROM_NACK, now);
	r->state = ST_CMD;
}

/* ---- memory map as the ROM sees it ---- */

static bool in_flash(uint32_t a, uint32_t n)
{
	return a >= TS_FLASH_BASE && a - TS_FLASH_BASE < TS_FLASH_SIZE &&
	       n <= TS_FLASH_SIZE - (a - TS_FLASH_BASE);
}

static bool in_sram(const struct sim_rom *r, uint32_t a, uint32_t n)
{
	return r->sram && a >= TS_SRAM_BASE && a - TS_SRAM_BASE < r->sram_size &&
	       n <= r->sram_size - (a - TS_SRAM_BASE);
}

static bool in_opt(uint32_t a, uint32_t n)
{
	return a >= OPT_ADDR && a - OPT_ADDR < OPT_SIZE && n <= OPT_SIZE - (a - OPT_ADDR);
}

/* Option bytes as read at 0x1FFFC000 (RM0090 "Option bytes organization"):
 * USER, RDP, ..., nWRP[7:0], nWRP[11:8] (SPRMOD = 0). */
static void opt_image(const struct sim_rom *r, uint8_t img[OPT_SIZE])
{
	memset(img, 0xFF, OPT_SIZE);
	img[0] = 0xEC;
	img[1] = r->flash->rdp;
	img[8] = (uint8_t)(r->flash->nwrp & 0xFF);
	img[9] = (uint8_t)((r->flash->nwrp >> 8) & 0x0F);
}

/* ---- lifecycle ---- */

void sim_rom_init(struct sim_rom *r, struct sim_flash *flash, struct sim_events *ev,
		  uint8_t *sram, uint32_t sram_size)
{
	memset(r, 0, sizeof(*r));
	r->flash = flash;
	r->ev = ev;
	r->sram = sram;
	r->sram_size = sram_size;
	r->time_permille = 1000;
	sim_rom_reset(r, 0);
}

void sim_rom_reset(struct sim_rom *r, uint64_t now_ns)
{
	r->go_pending = false;
	r->go_addr = 0;
	r->reset_pending = false;
	r->state = ST_SYNC;
	r->synced = false;
	r->psize = SIM_PSIZE_X8;
	r->got = 0;
	r->need = 0;
	r->out_head = 0;
	r->out_len = 0;
	r->busy_until_ns = 0;
	r->after = AFTER_NONE;
	r->ready_ns = now_ns + scaled(r, SIM_ROM_STARTUP_NS);
}

size_t sim_rom_tx(struct sim_rom *r, uint8_t *buf, size_t cap, uint64_t now_ns)
{
	size_t n = 0;
	while (n < cap && r->out_len && r->out_due[r->out_head] <= now_ns) {
		buf[n++] = r->out[r->out_head];
		r->out_head = (r->out_head + 1) % sizeof(r->out);
		r->out_len--;
	}
	if (!r->out_len && r->after != AFTER_NONE) {
		if (r->after == AFTER_GO)
			r->go_pending = true;
		else
			r->reset_pending = true;
		r->after = AFTER_NONE;
	}
	return n;
}

uint64_t sim_rom_deadline_ns(const struct sim_rom *r)
{
	if (r->out_len)
		return r->out_due[r->out_head];
	return UINT64_MAX;
}

/* ---- commands ---- */

static void cmd_get(struct sim_rom *r, uint64_t now)
{
	emit(r, SIM_ROM_ACK, now);
	emit(r, (uint8_t)sizeof(commands), now); /* bytes that follow - 1 */
	emit(r, SIM_ROM_VERSION, now);
	for (size_t i = 0; i < sizeof(commands); i++)
		emit(r, commands[i], now);
	emit(r, SIM_ROM_ACK, now);
	event_cmd(r, now, true, NULL);
	r->state = ST_CMD;
}

static void cmd_gvr(struct sim_rom *r, uint64_t now)
{
	emit(r, SIM_ROM_ACK, now);
	emit(r, SIM_ROM_VERSION, now);
	emit(r, 0x00, now); /* option bytes 1 and 2: 0 for compatibility */
	emit(r, 0x00, now);
	emit(r, SIM_ROM_ACK, now);
	event_cmd(r, now, true, NULL);
	r->state = ST_CMD;
}

static void cmd_gid(struct sim_rom *r, uint64_t now)
{
	emit(r, SIM_ROM_ACK, now);
	emit(r, 0x01, now); /* N = bytes - 1 */
	emit(r, (uint8_t)(SIM_ROM_PID >> 8), now);
	emit(r, (uint8_t)(SIM_ROM_PID & 0xFF), now);
	emit(r, SIM_ROM_ACK, now);
	event_cmd(r, now, true, NULL);
	r->state = ST_CMD;
}

static void collect(struct sim_rom *r, int state, size_t need)
{
	r->state = state;
	r->got = 0;
	r->need = need;
}

/* The command byte and its complement arrived. */
static void dispatch(struct sim_rom *r, uint64_t now)
{
	bool rdp = sim_flash_rdp_level(r->flash) != 0;
	switch (r->cmd) {
	case CMD_GET:
		cmd_get(r, now);
		return;
	case CMD_GVR:
		cmd_gvr(r, now);
		return;
	case CMD_GID:
		cmd_gid(r, now);
		return;
	case CMD_RM:
	case CMD_GO:
	case CMD_WM:
		if (rdp) {
			nack(r, now, "read protection active");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		collect(r, ST_ADDR, 5);
		return;
	case CMD_EE:
		if (rdp) {
			nack(r, now, "read protection active");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		collect(r, ST_EE_N, 2);
		return;
	case CMD_WP:
		if (rdp) {
			nack(r, now, "read protection active");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		collect(r, ST_WP_N, 1);
		return;
	case CMD_UW:
		if (rdp) {
			nack(r, now, "read protection active");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		sim_flash_set_options(r->flash, now, r->flash->rdp, SIM_NWRP_NONE);
		emit(r, SIM_ROM_ACK, now);
		event_cmd(r, now, true, NULL);
		r->after = AFTER_RESET;
		r->state = ST_GONE;
		return;
	case CMD_RP:
		if (rdp) {
			nack(r, now, "read protection already active");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		sim_flash_set_options(r->flash, now, 0x55, r->flash->nwrp);
		emit(r, SIM_ROM_ACK, now);
		event_cmd(r, now, true, NULL);
		r->after = AFTER_RESET;
		r->state = ST_GONE;
		return;
	case CMD_UR: {
		/* Level 1 -> 0 mass-erases the main flash, whatever its write
		 * protection (RM0090 "Read protection"). */
		emit(r, SIM_ROM_ACK, now);
		uint16_t nwrp = r->flash->nwrp;
		uint64_t dur = 0;
		r->flash->nwrp = SIM_NWRP_NONE;
		int err = sim_flash_mass_erase(r->flash, now, r->psize, &dur);
		r->flash->nwrp = nwrp;
		if (err == SIM_FLASH_CUT) {
			r->state = ST_DEAD;
			return;
		}
		sim_flash_set_options(r->flash, now, SIM_RDP_LEVEL0, nwrp);
		emit_after(r, SIM_ROM_ACK, now, dur);
		event_cmd(r, now, true, NULL);
		r->after = AFTER_RESET;
		r->state = ST_GONE;
		return;
	}
	default:
		nack(r, now, "unknown command");
		return;
	}
}

static uint8_t xor_of(const uint8_t *p, size_t n)
{
	uint8_t x = 0;
	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	return x;
}

static void got_address(struct sim_rom *r, uint64_t now)
{
	if (xor_of(r->buf, 5) != 0) {
		nack(r, now, "address checksum");
		return;
	}
	uint32_t a = (uint32_t)r->buf[0] << 24 | (uint32_t)r->buf[1] << 16 |
		     (uint32_t)r->buf[2] << 8 | r->buf[3];
	r->addr = a;
	char f[48];
	snprintf(f, sizeof(f), "\"addr\":%u", a);
	switch (r->cmd) {
	case CMD_RM:
		if (!in_flash(a, 1) && !in_sram(r, a, 1) && !in_opt(a, 1)) {
			nack(r, now, "read address");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		collect(r, ST_RM_LEN, 2);
		return;
	case CMD_GO:
		if (!in_flash(a, 1) && !in_sram(r, a, 1)) {
			nack(r, now, "go address");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		event_cmd(r, now, true, f);
		sim_eventf(r->ev, now, "rom_go", "\"addr\":%u", a);
		r->go_addr = a;
		r->after = AFTER_GO;
		r->state = ST_GONE;
		return;
	case CMD_WM:
		if (!in_flash(a, 1) && !(in_sram(r, a, 1) && a >= TS_SRAM_BASE + SIM_ROM_RAM_RESERVED) &&
		    a != VRANGE_ADDR) {
			nack(r, now, "write address");
			return;
		}
		emit(r, SIM_ROM_ACK, now);
		collect(r, ST_WM_LEN, 1);
		return;
	default:
		nack(r, now, "internal");
		return;
	}
}

static void got_read_len(struct sim_rom *r, uint64_t now)
{
	if ((uint8_t)(r->buf[0] ^ r->buf[1]) != 0xFF) {
		nack(r, now, "length complement");
		return;
	}
	uint32_t n = (uint32_t)r->buf[0] + 1, a = r->addr;
	const uint8_t *src;
	uint8_t opt[OPT_SIZE];
	if (in_flash(a, n)) {
		src = sim_flash_mem(r->flash) + (a - TS_FLASH_BASE);
	} else if (in_sram(r, a, n)) {
		src = r->sram + (a - TS_SRAM_BASE);
	} else if (in_opt(a, n)) {
		opt_image(r, opt);
		src = opt + (a - OPT_ADDR);
	} else {
		nack(r, now, "read range");
		return;
	}
	emit(r, SIM_ROM_ACK, now);
	for (uint32_t i = 0; i < n; i++)
		emit(r, src[i], now);
	char f[64];
	snprintf(f, sizeof(f), "\"addr\":%u,\"len\":%u", a, n);
	event_cmd(r, now, true, f);
	r->state = ST_CMD;
}

static void got_write_data(struct sim_rom *r, uint64_t now)
{
	/* buf: N, N+1 data bytes, checksum = XOR(N, data) */
	uint32_t n = (uint32_t)r->buf[0] + 1, a = r->addr;
	const uint8_t *d = r->buf + 1;
	char f[64];
	snprintf(f, sizeof(f), "\"addr\":%u,\"len\":%u", a, n);
	if (xor_of(r->buf, n + 2) != 0) {
		nack(r, now, "data checksum");
		return;
	}
	if (a == VRANGE_ADDR) {
		/* AN2606: one byte selects the supply range; RM0090 table
		 * "Program/erase parallelism": 1.8-2.1 V x8, 2.1-2.4 V x16,
		 * 2.4-2.7 V x16, 2.7-3.6 V x32 (x64 only with VPP). */
		static const enum sim_psize map[4] = { SIM_PSIZE_X8, SIM_PSIZE_X16, SIM_PSIZE_X16,
						       SIM_PSIZE_X32 };
		if (d[0] > 3) {
			nack(r, now, "voltage range");
			return;
		}
		r->psize = map[d[0]];
		emit(r, SIM_ROM_ACK, now);
		snprintf(f, sizeof(f), "\"addr\":%u,\"range\":%u,\"psize\":%d", a, d[0],
			 8 << (int)r->psize);
		event_cmd(r, now, true, f);
		r->state = ST_CMD;
		return;
	}
	if (in_flash(a, n)) {
		if (a % 4 || n % 4) {
			nack(r, now, "flash write alignment");
			return;
		}
		uint64_t dur = 0;
		int err = sim_flash_program(r->flash, now, a, d, n, r->psize, &dur);
		if (err == SIM_FLASH_CUT || err == TS_ERR_STATE) {
			r->state = ST_DEAD;
			return;
		}
		if (err) {
			nack(r, now, "flash program failed");
			return;
		}
		emit_after(r, SIM_ROM_ACK, now, dur);
		event_cmd(r, now, true, f);
		r->state = ST_CMD;
		return;
	}
	if (in_sram(r, a, n) && a >= TS_SRAM_BASE + SIM_ROM_RAM_RESERVED) {
		memcpy(r->sram + (a - TS_SRAM_BASE), d, n);
		emit(r, SIM_ROM_ACK, now);
		event_cmd(r, now, true, f);
		r->state = ST_CMD;
		return;
	}
	nack(r, now, "write range");
}

static void do_mass_erase(struct sim_rom *r, uint64_t now)
{
	uint64_t dur = 0;
	int err = sim_flash_mass_erase(r->flash, now, r->psize, &dur);
	if (err == SIM_FLASH_CUT || err == TS_ERR_STATE) {
		r->state = ST_DEAD;
		return;
	}
	if (err) {
		nack(r, now, "mass erase refused (write protection)");
		return;
	}
	emit_after(r, SIM_ROM_ACK, now, dur);
	event_cmd(r, now, true, "\"mass\":true");
	r->state = ST_CMD;
}

static void got_erase_list(struct sim_rom *r, uint64_t now)
{
	size_t count = ((size_t)r->buf[0] << 8 | r->buf[1]) + 1;
	if (xor_of(r->buf, 2 + 2 * count + 1) != 0) {
		nack(r, now, "erase checksum");
		return;
	}
	for (size_t i = 0; i < count; i++) {
		unsigned s = (unsigned)r->buf[2 + 2 * i] << 8 | r->buf[3 + 2 * i];
		if (s >= TS_FLASH_SECTORS) {
			nack(r, now, "sector number");
			return;
		}
	}
	uint64_t total = 0;
	char f[160];
	int off = snprintf(f, sizeof(f), "\"sectors\":[");
	for (size_t i = 0; i < count; i++) {
		int s = r->buf[2 + 2 * i] << 8 | r->buf[3 + 2 * i];
		uint64_t dur = 0;
		int err = sim_flash_erase_sector(r->flash, now + scaled(r, total), s, r->psize, &dur);
		total += dur;
		if (err == SIM_FLASH_CUT || err == TS_ERR_STATE) {
			r->state = ST_DEAD;
			return;
		}
		if (err) {
			emit_after(r, SIM_ROM_NACK, now, total);
			event_cmd(r, now, false, "\"why\":\"sector write protected\"");
			r->state = ST_CMD;
			return;
		}
		if (off < (int)sizeof(f) - 8)
			off += snprintf(f + off, sizeof(f) - (size_t)off, "%s%d", i ? "," : "", s);
	}
	if (off < (int)sizeof(f) - 1)
		snprintf(f + off, sizeof(f) - (size_t)off, "]");
	emit_after(r, SIM_ROM_ACK, now, total);
	event_cmd(r, now, true, f);
	r->state = ST_CMD;
}

static void got_wp_list(struct sim_rom *r, uint64_t now)
{
	size_t count = (size_t)r->buf[0] + 1;
	if (xor_of(r->buf, count + 2) != 0) {
		nack(r, now, "write protect checksum");
		return;
	}
	uint16_t nwrp = r->flash->nwrp;
	for (size_t i = 0; i < count; i++) {
		if (r->buf[1 + i] >= TS_FLASH_SECTORS) {
			nack(r, now, "sector number");
			return;
		}
		nwrp &= (uint16_t)~(1u << r->buf[1 + i]);
	}
	sim_flash_set_options(r->flash, now, r->flash->rdp, nwrp);
	emit(r, SIM_ROM_ACK, now);
	event_cmd(r, now, true, NULL);
	r->after = AFTER_RESET;
	r->state = ST_GONE;
}

/* A block being collected is complete. */
static void block_done(struct sim_rom *r, uint64_t now)
{
	switch (r->state) {
	case ST_ADDR:
		got_address(r, now);
		return;
	case ST_RM_LEN:
		got_read_len(r, now);
		return;
	case ST_WM_LEN:
		collect(r, ST_WM_DATA, (size_t)r->buf[0] + 2);
		r->got = 1; /* keep N in buf[0] */
		r->need += 1;
		return;
	case ST_WM_DATA:
		got_write_data(r, now);
		return;
	case ST_EE_N: {
		unsigned n = (unsigned)r->buf[0] << 8 | r->buf[1];
		if (n >= 0xFFF0u) {
			collect(r, ST_EE_SPECIAL, 3);
			r->got = 2;
			return;
		}
		if (2 + 2 * ((size_t)n + 1) + 1 > sizeof(r->buf)) {
			nack(r, now, "too many sectors");
			return;
		}
		collect(r, ST_EE_LIST, 2 + 2 * ((size_t)n + 1) + 1);
		r->got = 2;
		return;
	}
	case ST_EE_SPECIAL: {
		unsigned n = (unsigned)r->buf[0] << 8 | r->buf[1];
		if (xor_of(r->buf, 3) != 0) {
			nack(r, now, "erase checksum");
			return;
		}
		if (n != 0xFFFFu) {
			nack(r, now, "bank erase: single-bank device");
			return;
		}
		do_mass_erase(r, now);
		return;
	}
	case ST_EE_LIST:
		got_erase_list(r, now);
		return;
	case ST_WP_N:
		collect(r, ST_WP_LIST, (size_t)r->buf[0] + 3);
		r->got = 1;
		return;
	case ST_WP_LIST:
		got_wp_list(r, now);
		return;
	default:
		return;
	}
}

void sim_rom_rx(struct sim_rom *r, uint8_t byte, uint64_t now_ns)
{
	if (r->state == ST_GONE || r->state == ST_DEAD)
		return;
	if (sim_flash_rdp_level(r->flash) == 2)
		return; /* level 2: no system-memory boot at all */
	if (now_ns < r->ready_ns || now_ns < r->busy_until_ns) {
		sim_eventf(r->ev, now_ns, "rom_rx_dropped", "\"byte\":%u,\"why\":\"%s\"", byte,
			   now_ns < r->ready_ns ? "starting" : "busy");
		return;
	}
	switch (r->state) {
	case ST_SYNC:
		if (byte == 0x7F) {
			r->synced = true;
			emit(r, SIM_ROM_ACK, now_ns);
			sim_event(r->ev, now_ns, "rom_sync", NULL);
			r->state = ST_CMD;
		}
		return;
	case ST_CMD:
		r->cmd = byte;
		r->state = ST_COMPL;
		return;
	case ST_COMPL:
		if ((uint8_t)(byte ^ r->cmd) != 0xFF) {
			nack(r, now_ns, "command complement");
			return;
		}
		dispatch(r, now_ns);
		return;
	default:
		r->buf[r->got++] = byte;
		if (r->got == r->need)
			block_done(r, now_ns);
		return;
	}
}
