/*
 * The Cortex-M4 core on libunicorn 2: memory map, instruction counting per
 * translated block, slices, stores into flash, faults -> lock-up.
 */
#include "board.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"

/* Unicorn 2.0.1 (Debian 12) leaks the small page-tracking blocks its
 * self-modifying-code check allocates (tb_invalidate_phys_page_fast) when a
 * store hits a page with translated code; nothing of ours. Under
 * LeakSanitizer every program that runs the core would fail on exit, so the
 * sanitizer build suppresses leaks whose stack is inside libunicorn. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TS_BOARD_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(TS_BOARD_LSAN)
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libunicorn.so\n";
}
#endif

#define SYSMEM_BASE 0x1FFF0000u
#define SYSMEM_SIZE 0x8000u /* system memory 30 KB + OTP, page-rounded */
#define OTP_OFF     0x7800u

/* Thumb-2 instructions in [p, p + size): a halfword whose top five bits are
 * 0b11101, 0b11110 or 0b11111 starts a 32-bit instruction. */
static uint32_t count_thumb(const uint8_t *p, uint32_t size)
{
	uint32_t n = 0, i = 0;
	while (i + 1 < size) {
		uint16_t hw = (uint16_t)(p[i] | p[i + 1] << 8);
		i += (hw >> 11) >= 0x1D ? 4 : 2;
		n++;
	}
	return n ? n : 1;
}

static uint32_t block_insns(struct board *b, uint64_t addr, uint32_t size)
{
	uint32_t a = (uint32_t)addr;
	uint32_t off;
	if (a >= TS_FLASH_BASE && a < TS_FLASH_BASE + TS_FLASH_SIZE)
		off = a - TS_FLASH_BASE;
	else if (a < TS_FLASH_SIZE)
		off = a;
	else if (a >= TS_SRAM_BASE && a < TS_SRAM_BASE + BOARD_SRAM_SIZE &&
		 size <= TS_SRAM_BASE + BOARD_SRAM_SIZE - a && size < 0x10000u) {
		/* Code in RAM (the flash routines, a receiver's pump) may be
		 * rewritten: a count is reused while the block's bytes are the
		 * ones it was counted from (a compare is cheaper than the count,
		 * and a tight loop in RAM runs this for every turn). */
		uint32_t so = a - TS_SRAM_BASE;
		uint32_t *c = &b->sram_count[so >> 1];
		const uint8_t *code = b->sram + so;
		if ((*c >> 16) == size && size && !memcmp(b->sram_shadow + so, code, size))
			return *c & 0xFFFFu;
		uint32_t n = count_thumb(code, size);
		memcpy(b->sram_shadow + so, code, size);
		*c = size << 16 | n;
		return n;
	} else
		return size / 2 ? size / 2 : 1;
	uint32_t *c = &b->tbcount[off >> 1];
	if ((*c >> 16) == size && size)
		return *c & 0xFFFFu;
	if (size > TS_FLASH_SIZE - off)
		size = TS_FLASH_SIZE - off;
	uint32_t n = count_thumb(sim_flash_mem(&b->flash) + off, size);
	*c = size << 16 | n;
	return n;
}

/* The first block run in a slot since the reset: the hand-over (or a ROM Go). */
static void note_slot_entry(struct board *b, uint32_t addr)
{
	b->slot_entered = true;
	b->entry_pc = addr;
	b->entry_ns = board_now(b) - b->reset_ns;
	b->entry_insns = b->cycles - b->reset_cyc;
	sim_eventf(&b->ev, board_now(b), "slot_entry",
		   "\"addr\":%" PRIu32 ",\"slot\":\"%c\",\"insns\":%" PRIu64 ",\"ns\":%" PRIu64
		   ",\"hclk_max_hz\":%" PRIu32,
		   addr, addr < TS_SLOT_B_ADDR ? 'A' : 'B', b->entry_insns, b->entry_ns, b->hclk_max_hz);
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct board *b = ud;
	if (b->fix_pending)
		board_apply_fixup(b);
	/* before the slice check: a block stopped here is translated already */
	uint32_t fa = (uint32_t)addr - TS_FLASH_BASE;
	if ((uint32_t)addr < TS_FLASH_SIZE)
		fa = (uint32_t)addr;
	if (fa < TS_FLASH_SIZE) {
		uint32_t last = fa + (size ? size - 1u : 0u);
		if (last >= TS_FLASH_SIZE)
			last = TS_FLASH_SIZE - 1u;
		b->code_pages |= 1ull << (fa >> 14) | 1ull << (last >> 14);
		for (uint32_t c = fa >> 8; c <= last >> 8; c++)
			b->code_chunks[c >> 6] |= 1ull << (c & 63u);
	}
	if (b->cycles >= b->stop_at_cyc) {
		/* the slice is over: this block will not run now (it is
		 * counted when it does) */
		uc_emu_stop(uc);
		return;
	}
	if (!b->slot_entered && (uint32_t)addr - TS_SLOT_A_ADDR < TS_JOURNAL_ADDR - TS_SLOT_A_ADDR)
		note_slot_entry(b, (uint32_t)addr);
	if (fa < TS_FLASH_SIZE && b->fi.busy_until_ns && bd_flash_if_stall(b, (uint32_t)addr, "fetch"))
	{
		uc_emu_stop(uc); /* single bank busy: this block runs after the stall */
		return;
	}
	b->blk_pc = (uint32_t)addr;
	b->cycles += block_insns(b, addr, size);
}

static bool hook_write_prot(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			    int64_t value, void *ud)
{
	(void)uc;
	(void)type;
	struct board *b = ud;
	uint32_t a = (uint32_t)addr;
	if (a < TS_FLASH_SIZE)
		a += TS_FLASH_BASE;
	if (a >= TS_FLASH_BASE && a < TS_FLASH_BASE + TS_FLASH_SIZE) {
		bd_flash_if_store(b, a, size, (uint64_t)value);
		return true; /* unicorn then stores value; the fix-up undoes it */
	}
	/* system memory, OTP: read-only on the bus -> bus fault */
	char why[64];
	snprintf(why, sizeof why, "write to read-only 0x%08" PRIx32, a);
	board_lockup(b, why, 0);
	return false;
}

static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			  int64_t value, void *ud)
{
	(void)uc;
	(void)size;
	(void)value;
	struct board *b = ud;
	char why[64];
	snprintf(why, sizeof why, "%s at unmapped 0x%08" PRIx32,
		 type == UC_MEM_FETCH_UNMAPPED ? "fetch" :
		 type == UC_MEM_WRITE_UNMAPPED ? "write" : "read", (uint32_t)addr);
	board_lockup(b, why, 0);
	return false;
}

static bool hook_fetch_prot(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			    int64_t value, void *ud)
{
	(void)uc;
	(void)type;
	(void)size;
	(void)value;
	struct board *b = ud;
	char why[64];
	snprintf(why, sizeof why, "fetch from non-executable 0x%08" PRIx32, (uint32_t)addr);
	board_lockup(b, why, 0);
	return false;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct board *b = ud;
	char why[64];
	/* QEMU's exception numbers: 1 UDEF, 2 SWI (SVC), 6 BKPT, 8 EXCEPTION_EXIT */
	snprintf(why, sizeof why, "exception %" PRIu32 " (%s)", intno,
		 intno == 1 ? "undefined instruction" : intno == 2 ? "SVC" :
		 intno == 6 ? "BKPT" : intno == 8 ? "exception return" : "not modelled");
	board_lockup(b, why, 0);
	uc_emu_stop(uc);
}

int bd_cpu_open(struct board *b)
{
	uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &b->uc);
	if (e != UC_ERR_OK) {
		fprintf(stderr, "board: unicorn: %s\n", uc_strerror(e));
		return TS_ERR_STATE;
	}
	uc_ctl_set_cpu_model(b->uc, UC_CPU_ARM_CORTEX_M4);

	b->sram = aligned_alloc(4096, BOARD_SRAM_SIZE);
	b->ccm = aligned_alloc(4096, BOARD_CCM_SIZE);
	b->sysmem = aligned_alloc(4096, SYSMEM_SIZE);
	b->tbcount = calloc(TS_FLASH_SIZE / 2, sizeof(uint32_t));
	b->sram_count = calloc(BOARD_SRAM_SIZE / 2, sizeof(uint32_t));
	b->sram_shadow = calloc(BOARD_SRAM_SIZE, 1);
	b->code_snap = malloc(TS_FLASH_SIZE);
	if (b->code_snap)
		memcpy(b->code_snap, sim_flash_mem(&b->flash), TS_FLASH_SIZE);
	if (!b->sram || !b->ccm || !b->sysmem || !b->tbcount || !b->sram_count || !b->sram_shadow ||
	    !b->code_snap)
		return TS_ERR_IO;
	memset(b->sram, 0, BOARD_SRAM_SIZE);
	memset(b->ccm, 0, BOARD_CCM_SIZE);
	memset(b->sysmem, 0, SYSMEM_SIZE);
	memset(b->sysmem + OTP_OFF, 0xFF, SYSMEM_SIZE - OTP_OFF);

	void *flash = (void *)(uintptr_t)sim_flash_mem(&b->flash);
	struct {
		uint32_t base, size, perms;
		void *p;
	} maps[] = {
		{ 0x00000000u, TS_FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash },
		{ TS_FLASH_BASE, TS_FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash },
		/* CCM sits on the D-bus only: no instruction fetch */
		{ TS_CCM_BASE, BOARD_CCM_SIZE, UC_PROT_READ | UC_PROT_WRITE, b->ccm },
		{ SYSMEM_BASE, SYSMEM_SIZE, UC_PROT_READ | UC_PROT_EXEC, b->sysmem },
		{ TS_SRAM_BASE, BOARD_SRAM_SIZE, UC_PROT_ALL, b->sram },
	};
	for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
		e = uc_mem_map_ptr(b->uc, maps[i].base, maps[i].size, maps[i].perms, maps[i].p);
		if (e != UC_ERR_OK) {
			fprintf(stderr, "board: map 0x%08" PRIx32 ": %s\n", maps[i].base,
				uc_strerror(e));
			return TS_ERR_STATE;
		}
	}
	int rc = bd_bus_map(b);
	if (rc)
		return rc;

	uc_hook h;
	if (uc_hook_add(b->uc, &h, UC_HOOK_BLOCK, (void *)hook_block, b, 1, 0) ||
	    uc_hook_add(b->uc, &h, UC_HOOK_MEM_WRITE_PROT, (void *)hook_write_prot, b, 1, 0) ||
	    uc_hook_add(b->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)hook_unmapped, b, 1, 0) ||
	    uc_hook_add(b->uc, &h, UC_HOOK_MEM_FETCH_PROT, (void *)hook_fetch_prot, b, 1, 0) ||
	    uc_hook_add(b->uc, &h, UC_HOOK_INTR, (void *)hook_intr, b, 1, 0))
		return TS_ERR_STATE;
	return TS_OK;
}

void bd_cpu_close(struct board *b)
{
	if (b->uc)
		uc_close(b->uc);
	b->uc = NULL;
	free(b->sram);
	free(b->ccm);
	free(b->sysmem);
	free(b->tbcount);
	free(b->sram_count);
	free(b->sram_shadow);
	b->sram_count = NULL;
	b->sram_shadow = NULL;
	free(b->code_snap);
	b->code_snap = NULL;
	b->sram = b->ccm = b->sysmem = NULL;
	b->tbcount = NULL;
}

static uint32_t rd32(struct board *b, uint32_t addr)
{
	uint32_t v = 0xFFFFFFFFu;
	if (uc_mem_read(b->uc, addr, &v, 4) != UC_ERR_OK)
		return 0xFFFFFFFFu;
	return v;
}

/* Core registers as after reset, with MSP and PC from the vector table at
 * vector_base (what the core does at reset and what the ROM's Go does). */
void bd_cpu_start_at(struct board *b, uint32_t vector_base)
{
	/* Flash may have changed behind unicorn since the core last ran (the ROM
	 * model and power cuts write the array directly): drop every
	 * translation of it so the new code is what runs. */
	if (b->flash.ops != b->flash_ops_seen) {
		b->flash_ops_seen = b->flash.ops;
		memset(b->tbcount, 0, TS_FLASH_SIZE / 2 * sizeof *b->tbcount);
		board_drop_stale_code(b);
		b->dirty_off = b->dirty_end = 0;
	}
	uint32_t zero = 0, lr = 0xFFFFFFFFu, xpsr = 0x01000000u;
	for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; r++)
		uc_reg_write(b->uc, r, &zero);
	uc_reg_write(b->uc, UC_ARM_REG_CONTROL, &zero);
	uc_reg_write(b->uc, UC_ARM_REG_PRIMASK, &zero);
	uc_reg_write(b->uc, UC_ARM_REG_FAULTMASK, &zero);
	uc_reg_write(b->uc, UC_ARM_REG_BASEPRI, &zero);
	uc_reg_write(b->uc, UC_ARM_REG_PSP, &zero);
	uc_reg_write(b->uc, UC_ARM_REG_LR, &lr);
	uc_reg_write(b->uc, UC_ARM_REG_XPSR, &xpsr);
	uint32_t msp = rd32(b, vector_base) & ~3u;
	uint32_t pc = rd32(b, vector_base + 4);
	uc_reg_write(b->uc, UC_ARM_REG_MSP, &msp);
	uc_reg_write(b->uc, UC_ARM_REG_SP, &msp);
	b->pc = pc;
	b->mode = BOARD_CPU;
	sim_eventf(&b->ev, board_now(b), "boot", "\"addr\":%" PRIu32 ",\"mode\":\"flash\",\"msp\":%" PRIu32
		   ",\"pc\":%" PRIu32, vector_base, msp, pc);
	if (!(pc & 1))
		board_lockup(b, "reset vector without the Thumb bit", pc);
}

void bd_cpu_reset(struct board *b, uint32_t vector_base)
{
	bd_cpu_start_at(b, vector_base);
}

void board_run(struct board *b, uint64_t until_ns)
{
	if (b->mode != BOARD_CPU)
		return;
	uint64_t now = board_now(b);
	if (until_ns <= now)
		return;
	if (until_ns - now > 1000000000ull)
		until_ns = now + 1000000000ull;
	if (b->stall_until_ns) {
		/* stalled on the busy flash bank: time passes, the core waits */
		uint64_t to = b->stall_until_ns < until_ns ? b->stall_until_ns : until_ns;
		b->cycles += ((to - now) * b->hclk_hz + 999999999ull) / 1000000000ull;
		if (board_now(b) >= b->stall_until_ns)
			b->stall_until_ns = 0;
		bd_flash_if_service(b);
		return;
	}
	bd_flash_if_service(b);
	uint64_t cyc = (until_ns - now) * b->hclk_hz / 1000000000ull;
	if (cyc < 1)
		cyc = 1;
	b->stop_at_cyc = b->cycles + cyc;
	board_flush_dirty(b);
	b->stop_request = false;
	uint64_t before = b->cycles;
	b->in_emu = true;
	uc_err e = uc_emu_start(b->uc, b->pc | 1u, 0, 0, 0);
	b->in_emu = false;
	uint32_t pc = 0;
	uc_reg_read(b->uc, UC_ARM_REG_PC, &pc);
	if (b->fix_pending)
		board_apply_fixup(b);
	b->pc = pc;
	board_flush_dirty(b);
	if (b->pending_poweroff) {
		b->pending_poweroff = false;
		board_power_off(b);
		return;
	}
	if (b->pending_reset >= 0) {
		int c = b->pending_reset;
		b->pending_reset = -1;
		board_reset(b, (enum board_reset_cause)c);
		return;
	}
	if (b->pending_lockup) {
		board_enter_lockup(b, pc);
		return;
	}
	if (e != UC_ERR_OK) {
		board_lockup(b, uc_strerror(e), pc);
		return;
	}
	if (b->cycles == before && !b->stop_request) {
		/* No progress without an error: WFI/WFE with no interrupt that
		 * could ever wake the core (interrupts are not modelled). */
		board_lockup(b, "WFI/WFE: sleeping with no interrupt modelled", pc);
	}
}
