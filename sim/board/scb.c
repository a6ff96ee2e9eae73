/*
 * System control block (ARMv7-M ARM B3.2): CPUID (Cortex-M4 r0p1), VTOR,
 * AIRCR (write with VECTKEY 0x05FA and SYSRESETREQ -> system reset, cause
 * "software"), SCR, CCR, SHPR1-3, SHCSR, CFSR, HFSR, CPACR: stored. Exceptions
 * are not delivered by this board (see docs/virtual-board.md), so VTOR and
 * the priorities only matter to firmware that reads them back.
 */
#include "board.h"

#include <string.h>

#define AIRCR_VECTKEY 0x05FAu
#define AIRCR_SYSRESETREQ (1u << 2)

void bd_scb_reset(struct board *b)
{
	memset(&b->scb, 0, sizeof b->scb);
	b->scb.ccr = 0x00000200u; /* STKALIGN */
}

uint32_t bd_scb_read(struct board *b, uint32_t off)
{
	struct scb *s = &b->scb;
	switch (off) {
	case 0x00: return 0x410FC241u;
	case 0x04: return s->icsr;
	case 0x08: return s->vtor;
	case 0x0C: return 0xFA050000u | (s->aircr & 0x700u);
	case 0x10: return s->scr;
	case 0x14: return s->ccr;
	case 0x18: case 0x1C: case 0x20: return s->shpr[(off - 0x18) / 4];
	case 0x24: return s->shcsr;
	case 0x28: return s->cfsr;
	case 0x2C: return s->hfsr;
	case 0x88: return s->cpacr;
	}
	return 0;
}

void bd_scb_write(struct board *b, uint32_t off, uint32_t v)
{
	struct scb *s = &b->scb;
	switch (off) {
	case 0x04: s->icsr = 0; break; /* pend bits: no exceptions modelled */
	case 0x08: s->vtor = v & 0xFFFFFE00u; break;
	case 0x0C:
		if ((v >> 16) != AIRCR_VECTKEY)
			break;
		s->aircr = v & 0x700u;
		if (v & AIRCR_SYSRESETREQ) {
			b->pending_reset = RESET_SOFTWARE;
			board_stop_slice(b);
		}
		break;
	case 0x10: s->scr = v & 0x16u; break;
	case 0x14: s->ccr = v & 0x31Bu; break;
	case 0x18: case 0x1C: case 0x20: s->shpr[(off - 0x18) / 4] = v; break;
	case 0x24: s->shcsr = v & 0x7FFFFu; break;
	case 0x28: s->cfsr &= ~v; break;
	case 0x2C: s->hfsr &= ~v; break;
	case 0x88: s->cpacr = v & 0x00F00000u; break;
	}
}
