/*
 * The bootloader's fast clock: 168 MHz from the HSI through the PLL while it
 * hashes, and the reset clock state back before anything else happens.
 *
 * ts_clock_fast(): PWR regulator scale 1, FLASH_ACR 5 wait states with
 * prefetch and both caches, APB1 /4 and APB2 /2, PLL from HSI/16 x 336 / 2
 * (VCO 336 MHz, Q = 7: 48 MHz), then SW = PLL. Every wait is bounded: when a
 * step does not take (a model without the RCC or flash interface, a PLL
 * that never locks), it restores the reset state and stays at 16 MHz.
 * Returns the core clock it leaves running, and sets ts_cpu_set_hz() to it.
 * Nothing may print or write flash while it runs fast: the console's baud
 * rate is set for 16 MHz, and the flash is written with the caches off.
 *
 * ts_clock_reset(): back to the state after a reset (RM0090 7.3): SW = HSI,
 * PLL off, PLLCFGR, CFGR and FLASH_ACR at their reset values (caches
 * flushed), PWR_CR and the PWR clock as they were; ts_cpu_hz() 16 MHz.
 * Safe to call in any state. The application expects the reset clock.
 */
#ifndef TWINSLOT_FW_CLOCK_H
#define TWINSLOT_FW_CLOCK_H

#include <stdint.h>

#define TS_CLOCK_HSI_HZ  16000000u
#define TS_CLOCK_FAST_HZ 168000000u

uint32_t ts_clock_fast(void);
void ts_clock_reset(void);

#endif
