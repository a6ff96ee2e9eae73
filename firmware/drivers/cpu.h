/*
 * Core clock bookkeeping and busy-wait delays for the twinslot firmware.
 *
 * Every bounded wait in the drivers counts loop iterations, not timer ticks,
 * so it works without SysTick or DWT (QEMU and the virtual board model
 * neither reliably) and never spins forever on a flag that is not modelled.
 * The count is derived from the core clock: ts_cpu_hz() is 16 MHz (HSI, the
 * reset clock; the bootloader runs at 168 MHz only while it hashes, see
 * clock.h, and sets it both ways). An application that speeds the core up
 * must call ts_cpu_set_hz() so time-outs stay right.
 * Loops assume at least TS_LOOP_MIN_CYCLES cycles per iteration, so a real
 * wait is never shorter than asked (it may be longer).
 */
#ifndef TWINSLOT_FW_CPU_H
#define TWINSLOT_FW_CPU_H

#include <stdint.h>

#define TS_LOOP_MIN_CYCLES 4u

uint32_t ts_cpu_hz(void);
void ts_cpu_set_hz(uint32_t hz);

/* Loop iterations that take at least us microseconds (at least 1). */
uint32_t ts_cpu_loops_for_us(uint32_t us);

/* Busy-wait about ms milliseconds (never less at the declared clock). */
void ts_delay_ms(uint32_t ms);

#endif
