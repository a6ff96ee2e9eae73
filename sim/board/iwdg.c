/*
 * Independent watchdog (RM0090 chapter 21): KR 0x5555 opens PR/RLR for
 * writing (any other key closes them), 0xCCCC starts the watchdog (and
 * reloads it), 0xAAAA reloads the counter from RLR. The counter runs from the
 * LSI, 32 kHz nominal, divided by 4 << PR; it reaches 0 after RLR ticks and
 * then resets the system (cause "iwdg", RCC_CSR.IWDGRSTF). Once started it
 * cannot be stopped: it keeps running across system resets (NRST, software,
 * its own) and stops only on power-off. SR (PVU/RVU) always reads 0: updates
 * are immediate. While the ROM bootloader runs, it refreshes the watchdog
 * (AN2606), so it never fires there.
 */
#include "board.h"

#include <inttypes.h>

void bd_iwdg_power_on(struct board *b)
{
	b->iwdg.running = false;
	b->iwdg.access = false;
	b->iwdg.pr = 0;
	b->iwdg.rlr = 0xFFF;
	b->iwdg.deadline_ns = 0;
}

static uint64_t period_ns(const struct board *b)
{
	uint64_t div = 4ull << (b->iwdg.pr > 6 ? 6 : b->iwdg.pr);
	uint64_t ticks = b->iwdg.rlr ? b->iwdg.rlr : 1;
	return ticks * div * 1000000000ull / BOARD_LSI_HZ;
}

void bd_iwdg_reload(struct board *b)
{
	if (b->iwdg.running)
		b->iwdg.deadline_ns = board_now(b) + period_ns(b);
}

uint32_t bd_iwdg_read(struct board *b, uint32_t off)
{
	switch (off) {
	case 0x04: return b->iwdg.pr;
	case 0x08: return b->iwdg.rlr;
	}
	return 0; /* KR write-only, SR 0 */
}

void bd_iwdg_write(struct board *b, uint32_t off, uint32_t v)
{
	switch (off) {
	case 0x00:
		v &= 0xFFFFu;
		b->iwdg.access = v == 0x5555u;
		if (v == 0xCCCCu && !b->iwdg.running) {
			b->iwdg.running = true;
			bd_iwdg_reload(b);
			sim_eventf(&b->ev, board_now(b), "iwdg_start",
				   "\"pr\":%" PRIu32 ",\"rlr\":%" PRIu32 ",\"timeout_ns\":%" PRIu64,
				   b->iwdg.pr, b->iwdg.rlr, period_ns(b));
		} else if (v == 0xAAAAu || v == 0xCCCCu) {
			bd_iwdg_reload(b);
		}
		break;
	case 0x04:
	case 0x08:
		if (!b->iwdg.access)
			break;
		if (off == 0x04)
			b->iwdg.pr = v & 7u;
		else
			b->iwdg.rlr = v & 0xFFFu;
		/* Firmware usually starts the watchdog, then sets PR and RLR
		 * (RM0090 21.3.2): say what the timeout becomes. */
		sim_eventf(&b->ev, board_now(b), "iwdg_config",
			   "\"pr\":%" PRIu32 ",\"rlr\":%" PRIu32 ",\"timeout_ns\":%" PRIu64,
			   b->iwdg.pr, b->iwdg.rlr, period_ns(b));
		break;
	}
}
