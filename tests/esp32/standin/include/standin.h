/*
 * The stand-in's own calls (NOT ESP-IDF): wiring it to the virtual board
 * and reading what the port asked for. Wiring also comes from the
 * environment, so the port's code needs no change:
 *   TS_STANDIN_UART<n>_PTY   the pty UART n's TX/RX are connected to
 *   TS_STANDIN_BOARD_CTL     the board's control socket (BOOT0/NRST lines)
 *   TS_STANDIN_GPIO_BOOT0    the GPIO wired to BOOT0 (4), ..._NRST (5)
 *   TS_STANDIN_NVS           the file NVS lives in (none: in memory)
 *   TS_STANDIN_LOG           lowest ESP_LOGx level shown: E W I D (I)
 */
#ifndef STANDIN_H
#define STANDIN_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "driver/gpio.h"
#include "driver/uart.h"

#define STANDIN_MAX_CONFIGS 64

struct standin_uart_config {
	int baud;
	uart_word_length_t data_bits;
	uart_parity_t parity;
	uart_stop_bits_t stop_bits;
};

struct standin_uart_stats {
	unsigned nconfigs;                     /* uart_param_config calls */
	struct standin_uart_config configs[STANDIN_MAX_CONFIGS];
	int rx_full_threshold, rx_timeout;     /* as last set */
	uint64_t bytes_out, bytes_in;
	unsigned writes_not_8e1;               /* writes to the ROM not at 8E1 */
	unsigned read_calls;
	uint64_t held_us;                      /* time bytes sat in the FIFO model */
};

const struct standin_uart_stats *standin_uart_stats(int uart_num);
gpio_mode_t standin_gpio_mode(int gpio);
unsigned standin_gpio_violations(void);  /* NRST driven push-pull high */
unsigned standin_nvs_uncommitted(void);  /* writes never committed */

/* Everything the stand-in found the port doing wrong, one line each on f;
 * returns their count. */
unsigned standin_report(FILE *f);

#endif
