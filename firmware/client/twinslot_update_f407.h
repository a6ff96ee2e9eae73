/*
 * The STM32F407 line for the receive service (twinslot_update.h): the
 * console USART (USART1 by default, TS_CONSOLE_USART) polled into a RAM
 * ring by a pump that lives in RAM (.RamFunc) and also runs inside the
 * flash driver's busy-wait (ts_flash_busy_hook), so bytes keep arriving
 * while a sector erase or a word program stalls every flash fetch; a
 * millisecond clock from the DWT cycle counter; the reset by AIRCR.
 *
 * Caller guarantees: ts_console_init() ran (the USART is clocked and on its
 * pins); the core runs on the reset clock (HSI 16 MHz) outside sessions and
 * nothing else changes the clock or FLASH_ACR; uart_clk_hz is
 * the USART's kernel clock (PCLK2 for USART1, PCLK1 for USART3). Interrupts
 * and DMA are not used (the virtual board models neither; polling from RAM
 * is also sound on silicon).
 */
#ifndef TWINSLOT_UPDATE_F407_H
#define TWINSLOT_UPDATE_F407_H

#include <stdint.h>

#include "twinslot_update.h"

#define TS_UPDATE_RING 2048u /* bytes; a power of two */

/* Enable the receiver, the cycle counter and the busy hook; fill *io.
 * uart_clk_hz: the USART's clock at the reset clock (16 MHz). With
 * fast_above_baud nonzero, a session at a baud above it runs the core at
 * 168 MHz (drivers/clock.h: PLL from the HSI, data cache off while the
 * flash is written) and puts the reset clock back when the line returns to
 * the console's baud (the service does at every session's end); 0 keeps
 * the reset clock. */
void ts_update_f407_io(struct ts_update_io *io, uint32_t uart_clk_hz, uint32_t fast_above_baud);

/* Milliseconds since ts_update_f407_io() (the same clock the service uses;
 * call at least every 2^32 cycles: 268 s at 16 MHz). */
uint32_t ts_update_f407_ms(void);

/* Bytes lost: the USART overran (a byte arrived before the last was read)
 * or the ring was full. */
uint32_t ts_update_f407_lost(void);

#endif
