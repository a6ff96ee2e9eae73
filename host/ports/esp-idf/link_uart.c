/* The serial half of the link: the ESP-IDF UART driver, held by the port.
 * 8E1 for the ROM bootloader, 8N1 for the firmware's console.
 *
 * Latency: the driver hands received bytes to uart_read_bytes() only when
 * the RX FIFO holds rx_full_threshold bytes (default 120) or the line has
 * been idle for rx_timeout symbol times (default 10). AN3155 waits for a
 * one-byte ACK three times per 256-byte block, so both are set to 1: an ACK
 * is delivered about one symbol time after its stop bit. Menuconfig's
 * TWINSLOT_UART_DRIVER_DEFAULTS keeps the defaults (for measuring only). */
#include <string.h>

#include "driver/uart.h"
#include "esp_log.h"
#include "esp32_port.h"
#include "twinslot/err.h"

#define RX_BUF 1024 /* the driver wants more than the 128-byte FIFO */

TickType_t ts_esp32_ticks(uint32_t ms)
{
	if (ms == 0)
		return 0;
	uint64_t t = ((uint64_t)ms * configTICK_RATE_HZ + 999u) / 1000u;
	return t > portMAX_DELAY - 1 ? portMAX_DELAY - 1 : (TickType_t)t;
}

int ts_esp32_uart_open(struct ts_esp32 *e)
{
	uart_port_t u = (uart_port_t)e->cfg.uart_num;
	if (e->cfg.uart_num < 0 || e->cfg.uart_num >= UART_NUM_MAX) {
		ESP_LOGE(TS_ESP32_TAG, "UART %d does not exist", e->cfg.uart_num);
		return TS_ERR_INVAL;
	}
	if (uart_is_driver_installed(u)) {
		ESP_LOGE(TS_ESP32_TAG, "UART %d is in use (a driver is installed: the console?)",
			 e->cfg.uart_num);
		return TS_ERR_BUSY;
	}
	esp_err_t err = uart_driver_install(u, RX_BUF, 0, 0, NULL, 0);
	if (err != ESP_OK) {
		ESP_LOGE(TS_ESP32_TAG, "UART %d: driver install: %s", e->cfg.uart_num,
			 esp_err_to_name(err));
		return err == ESP_ERR_INVALID_STATE ? TS_ERR_BUSY : TS_ERR_IO;
	}
	e->uart_open = true;
	err = uart_set_pin(u, e->cfg.tx_gpio, e->cfg.rx_gpio, UART_PIN_NO_CHANGE,
			   UART_PIN_NO_CHANGE);
#ifndef CONFIG_TWINSLOT_UART_DRIVER_DEFAULTS
	if (err == ESP_OK)
		err = uart_set_rx_full_threshold(u, 1);
	if (err == ESP_OK)
		err = uart_set_rx_timeout(u, 1);
#endif
	if (err != ESP_OK) {
		ESP_LOGE(TS_ESP32_TAG, "UART %d: pins/latency: %s", e->cfg.uart_num,
			 esp_err_to_name(err));
		return TS_ERR_IO;
	}
	return ts_esp32_uart_configure(e, 115200, true);
}

void ts_esp32_uart_close(struct ts_esp32 *e)
{
	if (e->uart_open)
		uart_driver_delete((uart_port_t)e->cfg.uart_num);
	e->uart_open = false;
}

int ts_esp32_uart_configure(void *ctx, uint32_t baud, bool even_parity)
{
	struct ts_esp32 *e = ctx;
	uart_port_t u = (uart_port_t)e->cfg.uart_num;
	if (baud < 1200 || baud > 5000000) {
		ESP_LOGE(TS_ESP32_TAG, "%u baud: the ESP32's UART does 1200..5000000",
			 (unsigned)baud);
		return TS_ERR_UNSUPPORTED;
	}
	uart_config_t c = {
		.baud_rate = (int)baud,
		.data_bits = UART_DATA_8_BITS,
		.parity = even_parity ? UART_PARITY_EVEN : UART_PARITY_DISABLE,
		.stop_bits = UART_STOP_BITS_1,
		.flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
		.source_clk = UART_SCLK_DEFAULT,
	};
	uart_wait_tx_done(u, ts_esp32_ticks(100));
	esp_err_t err = uart_param_config(u, &c);
	if (err != ESP_OK) {
		ESP_LOGE(TS_ESP32_TAG, "UART %d at %u %s: %s", e->cfg.uart_num, (unsigned)baud,
			 even_parity ? "8E1" : "8N1", esp_err_to_name(err));
		return TS_ERR_UNSUPPORTED;
	}
	return TS_OK;
}

/* What is already buffered, up to n, without waiting. */
static long take_buffered(uart_port_t u, uint8_t *buf, size_t n)
{
	size_t have = 0;
	if (uart_get_buffered_data_len(u, &have) != ESP_OK)
		return TS_ERR_IO;
	if (have > n)
		have = n;
	if (have == 0)
		return 0;
	int r = uart_read_bytes(u, buf, (uint32_t)have, 0);
	return r < 0 ? TS_ERR_IO : r;
}

/* uart_read_bytes() waits for all `length` bytes: ask for what is
 * buffered, else for one byte with the time-out, then for the rest. */
long ts_esp32_uart_read(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms)
{
	struct ts_esp32 *e = ctx;
	uart_port_t u = (uart_port_t)e->cfg.uart_num;
	if (n == 0)
		return 0;
	long got = take_buffered(u, buf, n);
	if (got != 0)
		return got;
	int r = uart_read_bytes(u, buf, 1, ts_esp32_ticks(timeout_ms));
	if (r <= 0)
		return r < 0 ? TS_ERR_IO : 0;
	long more = take_buffered(u, buf + 1, n - 1);
	return more < 0 ? more : 1 + more;
}

int ts_esp32_uart_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct ts_esp32 *e = ctx;
	int w = uart_write_bytes((uart_port_t)e->cfg.uart_num, buf, n);
	return w == (int)n ? TS_OK : TS_ERR_IO;
}

int ts_esp32_uart_flush_input(void *ctx)
{
	struct ts_esp32 *e = ctx;
	return uart_flush_input((uart_port_t)e->cfg.uart_num) == ESP_OK ? TS_OK : TS_ERR_IO;
}
