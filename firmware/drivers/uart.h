/*
 * Console output on USART1 (PA9 TX, PA10 RX) or USART3 (PB10 TX, PB11 RX),
 * chosen at build time with TS_CONSOLE_USART=1 or 3; 115200 8N1 from the
 * 16 MHz HSI (the core must still run on HSI with APB prescalers of 1).
 * Transmit only, polled, every wait bounded. Tiny formatters instead of
 * printf. ts_console_deinit() waits for the last bit and puts the USART, its
 * GPIO port and their clocks back to their reset state (hand-over).
 */
#ifndef TWINSLOT_FW_UART_H
#define TWINSLOT_FW_UART_H

#include <stdint.h>

#ifndef TS_CONSOLE_USART
#define TS_CONSOLE_USART 1
#endif

void ts_console_init(void);
void ts_console_deinit(void);
void ts_console_putc(char c);
void ts_console_puts(const char *s);
void ts_console_putu(uint32_t v);             /* decimal */
void ts_console_putversion(uint32_t packed);  /* "1.2.3" */
void ts_console_flush(void);                  /* wait for TC (bounded) */

/* Capture: after ts_console_capture(buf, cap) with buf not NULL, the
 * formatters write into buf (at most cap - 1 characters, then a NUL; '\n'
 * without the '\r' the wire gets) instead of the USART, until
 * ts_console_capture(NULL, 0), which returns the characters captured. */
uint32_t ts_console_capture(char *buf, uint32_t cap);

#endif
