/*
 * SysTick (ARMv7-M ARM B3.3): a 24-bit down-counter clocked by HCLK
 * (CLKSOURCE = 1) or HCLK/8, reloading from LOAD, with COUNTFLAG (cleared by
 * reading CTRL or writing VAL). Evaluated lazily from the board's cycle
 * count. The SysTick exception (TICKINT) is not delivered: firmware must poll
 * COUNTFLAG or VAL.
 */
#include "board.h"

#include <string.h>

#define CTRL_ENABLE    (1u << 0)
#define CTRL_CLKSOURCE (1u << 2)

static void advance(struct board *b)
{
	struct systick *t = &b->systick;
	if (!(t->ctrl & CTRL_ENABLE)) {
		t->cyc_ref = b->cycles;
		return;
	}
	uint64_t div = (t->ctrl & CTRL_CLKSOURCE) ? 1 : 8;
	uint64_t e = (b->cycles - t->cyc_ref) / div;
	if (!e)
		return;
	t->cyc_ref += e * div;
	if (t->val > 0) {
		if (e < t->val) {
			t->val -= (uint32_t)e;
			return;
		}
		e -= t->val;
		t->val = 0;
		t->countflag = true;
	}
	if (!e || !t->load)
		return;
	uint64_t period = (uint64_t)t->load + 1;
	uint64_t r = e % period;
	t->val = r == 0 ? 0 : (uint32_t)(period - r);
	if (e >= period)
		t->countflag = true;
}

void bd_systick_reset(struct board *b)
{
	memset(&b->systick, 0, sizeof b->systick);
	b->systick.cyc_ref = b->cycles;
	b->systick.ctrl = CTRL_CLKSOURCE;
}

uint32_t bd_systick_read(struct board *b, uint32_t off)
{
	struct systick *t = &b->systick;
	advance(b);
	switch (off) {
	case 0x0: {
		uint32_t v = t->ctrl | (t->countflag ? 1u << 16 : 0);
		t->countflag = false;
		return v;
	}
	case 0x4: return t->load;
	case 0x8: return t->val;
	case 0xC: return 0x40000000u | (BOARD_HSI_HZ / 8 / 100 - 1); /* SKEW, TENMS at 2 MHz */
	}
	return 0;
}

void bd_systick_write(struct board *b, uint32_t off, uint32_t v)
{
	struct systick *t = &b->systick;
	advance(b);
	switch (off) {
	case 0x0: t->ctrl = v & 7u; t->cyc_ref = b->cycles; break;
	case 0x4: t->load = v & 0xFFFFFFu; break;
	case 0x8: t->val = 0; t->countflag = false; t->cyc_ref = b->cycles; break;
	}
}
