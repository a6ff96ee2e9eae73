/*
 * The ESP-IDF port of twinslot: fills struct ts_port (twinslot/port.h) with
 * the ESP32's UART driver and two GPIOs (link), esp_timer/FreeRTOS/time()
 * (clock), NVS (store), esp_http_client (http) and ESP_LOGx (sink).
 *
 * One port per program: the port owns its UART (uart_driver_install; a
 * UART that already has a driver is refused with TS_ERR_BUSY) and the
 * BOOT0/NRST pins until ts_esp32_port_close(). Before opening: nvs_flash_init()
 * (the example does it), and for signed S3 requests SNTP must have set the
 * clock (ts_esp32_time_is_set(); wall_time refuses until then).
 */
#ifndef TWINSLOT_ESP32_H
#define TWINSLOT_ESP32_H

#include <stdbool.h>

#include "twinslot/port.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ts_esp32_cfg {
	int uart_num;              /* UART to the STM32's USART1 (2; 0 is the console) */
	int tx_gpio, rx_gpio;      /* ESP32 TX -> STM32 PA10, RX <- PA9 (17, 16) */
	int boot0_gpio;            /* push-pull to BOOT0 (4) */
	int nrst_gpio;             /* open-drain to NRST (5) */
	const char *nvs_namespace; /* the agent's memory ("twinslot"), at most 15 chars */
};

/* Defaults from menuconfig (CONFIG_TWINSLOT_*), else the values above. */
void ts_esp32_default_cfg(struct ts_esp32_cfg *cfg);

/* Fill port with every concern. TS_OK, or a negative ts_err with the cause
 * logged (TS_ERR_BUSY: the UART already has a driver). */
int ts_esp32_port_open(const struct ts_esp32_cfg *cfg, struct ts_port *port);

/* Release the UART driver, the pins (the board keeps running: BOOT0 low,
 * NRST released) and NVS. */
void ts_esp32_port_close(void);

/* True once something (SNTP) has set the clock: the year is 2024 or later. */
bool ts_esp32_time_is_set(void);

#ifdef __cplusplus
}
#endif

#endif
