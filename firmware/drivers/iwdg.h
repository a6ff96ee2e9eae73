/*
 * Independent watchdog (RM0090 section 19): start it for a trial boot, feed
 * it. Clocked by the ~32 kHz LSI (DS8626: 17-47 kHz, so real time-outs vary
 * by that much); once started it cannot be stopped except by a reset.
 * Feeding when it is not running is harmless (a key write with no effect).
 */
#ifndef TWINSLOT_FW_IWDG_H
#define TWINSLOT_FW_IWDG_H

#include <stdint.h>

#include "stm32f407.h"

/* Start with prescaler /64 (2 ms per count at 32 kHz) and a 12-bit reload
 * (1..4095): reload 2000 gives about 4 s. */
void ts_iwdg_start(uint32_t reload);

static inline void ts_iwdg_feed(void)
{
	REG32(IWDG_KR) = IWDG_KEY_RELOAD;
}

#endif
