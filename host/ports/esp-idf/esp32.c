/* The ESP-IDF port's assembly: defaults from menuconfig, open and close
 * (see twinslot_esp32.h). One port per program: the state is static. */
#include <string.h>

#include "esp_log.h"
#include "esp32_port.h"
#include "twinslot/err.h"

#ifndef CONFIG_TWINSLOT_UART_NUM
#define CONFIG_TWINSLOT_UART_NUM 2
#endif
#ifndef CONFIG_TWINSLOT_UART_TX_GPIO
#define CONFIG_TWINSLOT_UART_TX_GPIO 17
#endif
#ifndef CONFIG_TWINSLOT_UART_RX_GPIO
#define CONFIG_TWINSLOT_UART_RX_GPIO 16
#endif
#ifndef CONFIG_TWINSLOT_BOOT0_GPIO
#define CONFIG_TWINSLOT_BOOT0_GPIO 4
#endif
#ifndef CONFIG_TWINSLOT_NRST_GPIO
#define CONFIG_TWINSLOT_NRST_GPIO 5
#endif
#ifndef CONFIG_TWINSLOT_NVS_NAMESPACE
#define CONFIG_TWINSLOT_NVS_NAMESPACE "twinslot"
#endif

static struct ts_esp32 port_state;

static const struct ts_link_ops LINK = {
	ts_esp32_uart_configure, ts_esp32_uart_read, ts_esp32_uart_write,
	ts_esp32_uart_flush_input, ts_esp32_set_boot0, ts_esp32_set_nrst,
};

void ts_esp32_default_cfg(struct ts_esp32_cfg *cfg)
{
	*cfg = (struct ts_esp32_cfg){
		.uart_num = CONFIG_TWINSLOT_UART_NUM,
		.tx_gpio = CONFIG_TWINSLOT_UART_TX_GPIO,
		.rx_gpio = CONFIG_TWINSLOT_UART_RX_GPIO,
		.boot0_gpio = CONFIG_TWINSLOT_BOOT0_GPIO,
		.nrst_gpio = CONFIG_TWINSLOT_NRST_GPIO,
		.nvs_namespace = CONFIG_TWINSLOT_NVS_NAMESPACE,
	};
}

int ts_esp32_port_open(const struct ts_esp32_cfg *cfg, struct ts_port *port)
{
	struct ts_esp32 *e = &port_state;
	memset(port, 0, sizeof *port);
	if (e->uart_open || e->pins_open || e->nvs_open) {
		ESP_LOGE(TS_ESP32_TAG, "the port is already open (one per program)");
		return TS_ERR_BUSY;
	}
	memset(e, 0, sizeof *e);
	e->cfg = *cfg;
	int rc = ts_esp32_pins_open(e);
	if (rc == TS_OK)
		rc = ts_esp32_uart_open(e);
	if (rc == TS_OK)
		rc = ts_esp32_store_open(e);
	if (rc != TS_OK) {
		ts_esp32_port_close();
		return rc;
	}
	*port = (struct ts_port){
		.link = &LINK, .link_ctx = e,
		.clock = &ts_esp32_clock_ops, .clock_ctx = e,
		.store = &ts_esp32_store_ops, .store_ctx = e,
		.http = &ts_esp32_http_ops, .http_ctx = e,
		.sink = &ts_esp32_sink_ops, .sink_ctx = e,
		.crypto = &ts_esp32_crypto_ops, .crypto_ctx = e,
	};
	return TS_OK;
}

void ts_esp32_port_close(void)
{
	struct ts_esp32 *e = &port_state;
	ts_esp32_store_close(e);
	ts_esp32_uart_close(e);
	ts_esp32_pins_close(e);
}
