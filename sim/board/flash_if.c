/*
 * The flash interface registers at 0x40023C00 (RM0090 3.5-3.9): ACR,
 * KEYR/OPTKEYR unlock sequences, SR flags, CR program/erase control, OPTCR.
 *
 * Programming is a CPU store into flash with CR.PG set, of the width PSIZE
 * selects; erase is CR.SER/MER + STRT. The array is changed at once through
 * sim_flash (which logs the operation and applies power cuts); the
 * operation's datasheet time then passes with SR.BSY set, and the single
 * bank stalls the core as on silicon (RM0090 3.5: any read of the flash
 * during a program/erase stalls the bus until it ends):
 *   - a fetch from flash while BSY (the block hook, at the next translated
 *     block from flash: code that runs from flash stalls right after its
 *     store or STRT, RAM code that returns to flash stalls there) stops the
 *     core until the operation ends; board time passes meanwhile
 *     (board_run), the IWDG counts, host bytes land in the USART and
 *     overrun. Event `flash_stall {pc, by, ns}`, counted in `stalls`.
 *   - code running from RAM that touches no flash keeps running: SR.BSY
 *     reads 1 until the duration has passed on the board's clock; a store to
 *     flash or a CR write while BSY waits until it clears (the clock jumps
 *     inside the instruction).
 *   Not modelled: a data read of flash by RAM code while BSY stalls
 *   nothing (docs/virtual-board.md says why the read trap was dropped).
 * EOP is set at the end of a successful operation only when CR.EOPIE is set,
 * OPERR only when CR.ERRIE is set (RM0090 3.9.4).
 */
#include "board.h"

#include <inttypes.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"

#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define OPT_KEY1   0x08192A3Bu
#define OPT_KEY2   0x4C5D6E7Fu

#define SR_EOP    (1u << 0)
#define SR_OPERR  (1u << 1)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_BSY    (1u << 16)
#define SR_W1C    (SR_EOP | SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR)

#define CR_PG     (1u << 0)
#define CR_SER    (1u << 1)
#define CR_MER    (1u << 2)
#define CR_SNB(v) (((v) >> 3) & 0xFu)
#define CR_PSIZE(v) (((v) >> 8) & 3u)
#define CR_STRT   (1u << 16)
#define CR_EOPIE  (1u << 24)
#define CR_ERRIE  (1u << 25)
#define CR_LOCK   (1u << 31)
#define CR_MASK   (CR_PG | CR_SER | CR_MER | (0xFu << 3) | (3u << 8) | CR_EOPIE | CR_ERRIE | CR_LOCK)

#define OPTCR_OPTLOCK (1u << 0)
#define OPTCR_OPTSTRT (1u << 1)

static void build_optcr(struct board *b)
{
	b->fi.optcr = (b->fi.optcr & 0xF00000FFu) | (uint32_t)b->flash.rdp << 8 |
		      (uint32_t)(b->flash.nwrp & 0xFFFu) << 16;
}

void bd_flash_if_reset(struct board *b)
{
	memset(&b->fi, 0, sizeof b->fi);
	b->fi.cr = CR_LOCK;
	b->fi.optcr = 0x0FFFAAEDu;
	build_optcr(b);
}

static void raise_err(struct board *b, uint32_t flags)
{
	b->fi.sr |= flags;
	if (b->fi.cr & CR_ERRIE)
		b->fi.sr |= SR_OPERR;
	sim_eventf(&b->ev, board_now(b), "flash_if_error", "\"sr\":%" PRIu32 ",\"cr\":%" PRIu32,
		   b->fi.sr, b->fi.cr);
}

void bd_flash_if_service(struct board *b)
{
	if (b->fi.busy_until_ns && board_now(b) >= b->fi.busy_until_ns) {
		b->fi.busy_until_ns = 0;
		if (b->fi.eop_pending && (b->fi.cr & CR_EOPIE))
			b->fi.sr |= SR_EOP;
		b->fi.eop_pending = false;
	}
}

/* End the slice at the next block boundary. Not uc_emu_stop() from inside
 * an MMIO or memory hook: unicorn 2.0.1 then resumes at the start of the
 * translated block, which runs the block's stores (STRT) a second time. */
static void end_slice_at_block(struct board *b)
{
	b->stop_at_cyc = 0;
	b->stop_request = true;
}

bool bd_flash_if_stall(struct board *b, uint32_t pc, const char *by)
{
	if (b->stall_until_ns)
		return true;
	bd_flash_if_service(b);
	uint64_t now = board_now(b);
	if (!b->fi.busy_until_ns || now >= b->fi.busy_until_ns)
		return false;
	b->stall_until_ns = b->fi.busy_until_ns;
	b->stalls++;
	b->stall_ns += b->fi.busy_until_ns - now;
	sim_eventf(&b->ev, now, "flash_stall", "\"pc\":%" PRIu32 ",\"by\":\"%s\",\"ns\":%" PRIu64, pc, by,
		   b->fi.busy_until_ns - now);
	end_slice_at_block(b);
	return true;
}

/* The operation takes dur_ns: BSY until then. The core stalls at its next
 * fetch from flash (the block hook: code that runs from flash stalls right
 * after the store or STRT). */
static void take_time(struct board *b, uint64_t dur_ns)
{
	uint64_t now = board_now(b);
	b->fi.busy_until_ns = now + dur_ns;
	b->fi.eop_pending = true;
}

static void wait_not_busy(struct board *b)
{
	uint64_t now = board_now(b);
	if (b->fi.busy_until_ns > now)
		b->cycles += ((b->fi.busy_until_ns - now) * b->hclk_hz + 999999999ull) / 1000000000ull;
	bd_flash_if_service(b);
}

static void handle_result(struct board *b, int rc, const char *what)
{
	if (rc == SIM_FLASH_CUT) {
		b->pending_poweroff = true;
		board_stop_slice(b);
	} else if (rc == TS_ERR_FLASH) {
		raise_err(b, SR_WRPERR);
	} else if (rc < 0) {
		sim_eventf(&b->ev, board_now(b), "flash_if_error", "\"what\":\"%s\",\"err\":%d", what, rc);
		raise_err(b, SR_PGSERR);
	}
}

static void start_erase(struct board *b)
{
	uint32_t cr = b->fi.cr;
	wait_not_busy(b);
	if ((cr & CR_PG) || ((cr & CR_SER) && (cr & CR_MER)) || !(cr & (CR_SER | CR_MER)) ||
	    ((cr & CR_SER) && CR_SNB(cr) >= TS_FLASH_SECTORS)) {
		raise_err(b, SR_PGSERR);
		return;
	}
	enum sim_psize ps = (enum sim_psize)CR_PSIZE(cr);
	uint64_t dur = 0;
	int rc;
	if (cr & CR_MER) {
		rc = sim_flash_mass_erase(&b->flash, board_now(b), ps, &dur);
		if (rc >= 0)
			board_flash_changed(b, 0, TS_FLASH_SIZE);
	} else {
		int s = (int)CR_SNB(cr);
		rc = sim_flash_erase_sector(&b->flash, board_now(b), s, ps, &dur);
		if (rc >= 0)
			board_flash_changed(b, ts_sector_addr(s) - TS_FLASH_BASE, ts_sector_size(s));
	}
	handle_result(b, rc, "erase");
	if (rc == 0)
		take_time(b, dur);
}

void bd_flash_if_store(struct board *b, uint32_t addr, int size, uint64_t value)
{
	if (b->fix_pending)
		board_apply_fixup(b); /* the previous store has landed by now */
	uint32_t off = addr - TS_FLASH_BASE;
	const uint8_t *mem = sim_flash_mem(&b->flash);
	/* Whatever happens, the raw store must not stand: remember what the
	 * bytes must read afterwards (updated below on success). */
	b->fix_off = off;
	b->fix_len = (uint32_t)size <= sizeof b->fix_data ? (uint32_t)size : sizeof b->fix_data;
	if (b->fix_len > TS_FLASH_SIZE - off)
		b->fix_len = TS_FLASH_SIZE - off;
	memcpy(b->fix_data, mem + off, b->fix_len);
	b->fix_pending = true;

	wait_not_busy(b);
	uint32_t cr = b->fi.cr;
	if ((cr & CR_LOCK) || !(cr & CR_PG) || (cr & (CR_SER | CR_MER))) {
		raise_err(b, SR_PGSERR);
		return;
	}
	unsigned unit = 1u << CR_PSIZE(cr);
	if ((unsigned)size != unit) {
		raise_err(b, SR_PGPERR);
		return;
	}
	if (addr % unit) {
		raise_err(b, SR_PGAERR);
		return;
	}
	uint8_t data[8];
	memcpy(data, &value, sizeof data); /* little-endian host, like the M4 */
	uint64_t dur = 0;
	int rc = sim_flash_program(&b->flash, board_now(b), addr, data, unit,
				   (enum sim_psize)CR_PSIZE(cr), &dur);
	memcpy(b->fix_data, mem + off, b->fix_len); /* old & data, or torn */
	board_flash_changed(b, off, unit);
	handle_result(b, rc, "program");
	if (rc == 0)
		take_time(b, dur);
}

uint32_t bd_flash_if_read(struct board *b, uint32_t off)
{
	bd_flash_if_service(b);
	switch (off) {
	case 0x00: return b->fi.acr;
	case 0x0C: return b->fi.sr | (b->fi.busy_until_ns ? SR_BSY : 0);
	case 0x10: return b->fi.cr;
	case 0x14: return b->fi.optcr;
	}
	return 0; /* KEYR, OPTKEYR are write-only */
}

static void wrong_key(struct board *b, const char *reg, uint32_t v)
{
	sim_eventf(&b->ev, board_now(b), "flash_key_error", "\"reg\":\"%s\",\"value\":%" PRIu32, reg, v);
	/* RM0090 3.5.1: a wrong sequence locks FLASH_CR until the next reset
	 * and raises a bus error (HardFault; here: lock-up). */
	char why[64];
	snprintf(why, sizeof why, "bus error: wrong %s key 0x%08" PRIx32, reg, v);
	board_lockup(b, why, 0);
}

void bd_flash_if_write(struct board *b, uint32_t off, uint32_t v)
{
	bd_flash_if_service(b);
	switch (off) {
	case 0x00:
		b->fi.acr = v & 0x1F0Fu; /* LATENCY, PRFTEN, ICEN, DCEN, ICRST, DCRST */
		b->fi.acr &= ~(3u << 11); /* cache resets read as 0 */
		break;
	case 0x04:
		if (b->fi.key_dead) {
			wrong_key(b, "KEYR", v);
		} else if (b->fi.key_stage == 0 && v == FLASH_KEY1 && (b->fi.cr & CR_LOCK)) {
			b->fi.key_stage = 1;
		} else if (b->fi.key_stage == 1 && v == FLASH_KEY2) {
			b->fi.key_stage = 2;
			b->fi.cr &= ~CR_LOCK;
		} else {
			b->fi.key_dead = true;
			b->fi.key_stage = 0;
			b->fi.cr |= CR_LOCK;
			wrong_key(b, "KEYR", v);
		}
		break;
	case 0x08:
		if (b->fi.optkey_stage == 0 && v == OPT_KEY1 && (b->fi.optcr & OPTCR_OPTLOCK)) {
			b->fi.optkey_stage = 1;
		} else if (b->fi.optkey_stage == 1 && v == OPT_KEY2) {
			b->fi.optkey_stage = 2;
			b->fi.optcr &= ~OPTCR_OPTLOCK;
		} else {
			b->fi.optkey_stage = 0;
			wrong_key(b, "OPTKEYR", v);
		}
		break;
	case 0x0C:
		b->fi.sr &= ~(v & SR_W1C);
		break;
	case 0x10:
		if (b->fi.cr & CR_LOCK)
			break; /* locked: CR cannot be written */
		if (b->fi.busy_until_ns && (v & (CR_PG | CR_SER | CR_MER | CR_STRT)) !=
						   (b->fi.cr & (CR_PG | CR_SER | CR_MER)))
			wait_not_busy(b); /* CR writes stall while BSY */
		b->fi.cr = v & CR_MASK;
		if (v & CR_LOCK) {
			b->fi.key_stage = 0;
			break;
		}
		if (v & CR_STRT)
			start_erase(b);
		break;
	case 0x14:
		if (b->fi.optcr & OPTCR_OPTLOCK)
			break;
		b->fi.optcr = v & 0x0FFFFFEDu;
		if (v & OPTCR_OPTLOCK) {
			b->fi.optkey_stage = 0;
			break;
		}
		if (v & OPTCR_OPTSTRT) {
			wait_not_busy(b);
			uint8_t rdp = (uint8_t)(v >> 8);
			uint16_t nwrp = (uint16_t)((v >> 16) & 0xFFFu);
			if (sim_flash_set_options(&b->flash, board_now(b), rdp, nwrp) < 0)
				raise_err(b, SR_WRPERR);
			build_optcr(b);
		}
		break;
	}
}
