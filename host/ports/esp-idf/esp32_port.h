/* Inside the ESP-IDF port: the one port object and the parts, one file
 * each (link_uart.c, pins_gpio.c, clock.c, store_nvs.c, http_client.c,
 * sink_log.c, crypto_mbedtls.c; esp32.c assembles them). */
#ifndef TWINSLOT_ESP32_PORT_H
#define TWINSLOT_ESP32_PORT_H

#include <stdint.h>

#include "freertos/FreeRTOS.h"
#include "nvs.h"
#include "twinslot_esp32.h"

#define TS_ESP32_TAG "twinslot"

struct ts_esp32 {
	struct ts_esp32_cfg cfg;
	bool uart_open;
	bool pins_open;
	bool nvs_open;
	nvs_handle_t nvs;
};

/* Milliseconds to FreeRTOS ticks, rounded up: a wait of a few ms never
 * becomes 0 ticks (pdMS_TO_TICKS truncates: 5 ms at 100 Hz is 0). */
TickType_t ts_esp32_ticks(uint32_t ms);

int ts_esp32_uart_open(struct ts_esp32 *e);
void ts_esp32_uart_close(struct ts_esp32 *e);
int ts_esp32_uart_configure(void *ctx, uint32_t baud, bool even_parity);
long ts_esp32_uart_read(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms);
int ts_esp32_uart_write(void *ctx, const uint8_t *buf, size_t n);
int ts_esp32_uart_flush_input(void *ctx);

int ts_esp32_pins_open(struct ts_esp32 *e);
void ts_esp32_pins_close(struct ts_esp32 *e);
int ts_esp32_set_boot0(void *ctx, bool high);
int ts_esp32_set_nrst(void *ctx, bool high);

int ts_esp32_store_open(struct ts_esp32 *e);
void ts_esp32_store_close(struct ts_esp32 *e);
extern const struct ts_store_ops ts_esp32_store_ops;

extern const struct ts_clock_ops ts_esp32_clock_ops;
extern const struct ts_http_ops ts_esp32_http_ops;
extern const struct ts_sink_ops ts_esp32_sink_ops;

/* crypto_mbedtls.c: ECDSA P-256 verification. */
extern const struct ts_crypto_ops ts_esp32_crypto_ops;

#endif
