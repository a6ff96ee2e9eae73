/* The pins half of the link: BOOT0 push-pull, NRST open-drain (the board
 * has its own pull-up and reset button), both as levels at the STM32. The
 * level is set before the pin becomes an output, so neither glitches. */
#include "driver/gpio.h"
#include "esp_log.h"
#include "esp32_port.h"
#include "twinslot/err.h"

static int out_pin(int gpio, gpio_mode_t mode, uint32_t level)
{
	gpio_set_level((gpio_num_t)gpio, level);
	gpio_config_t c = {
		.pin_bit_mask = 1ULL << gpio,
		.mode = mode,
		.pull_up_en = GPIO_PULLUP_DISABLE,
		.pull_down_en = GPIO_PULLDOWN_DISABLE,
		.intr_type = GPIO_INTR_DISABLE,
	};
	esp_err_t err = gpio_config(&c);
	if (err == ESP_OK)
		err = gpio_set_level((gpio_num_t)gpio, level);
	if (err != ESP_OK) {
		ESP_LOGE(TS_ESP32_TAG, "GPIO %d: %s", gpio, esp_err_to_name(err));
		return TS_ERR_IO;
	}
	return TS_OK;
}

int ts_esp32_pins_open(struct ts_esp32 *e)
{
	if (e->cfg.boot0_gpio < 0 || e->cfg.boot0_gpio >= GPIO_NUM_MAX || e->cfg.nrst_gpio < 0 ||
	    e->cfg.nrst_gpio >= GPIO_NUM_MAX || e->cfg.boot0_gpio == e->cfg.nrst_gpio) {
		ESP_LOGE(TS_ESP32_TAG, "BOOT0 GPIO %d / NRST GPIO %d: not two usable pins",
			 e->cfg.boot0_gpio, e->cfg.nrst_gpio);
		return TS_ERR_INVAL;
	}
	int rc = out_pin(e->cfg.boot0_gpio, GPIO_MODE_OUTPUT, 0);
	if (rc == TS_OK)
		rc = out_pin(e->cfg.nrst_gpio, GPIO_MODE_OUTPUT_OD, 1);
	e->pins_open = rc == TS_OK;
	return rc;
}

void ts_esp32_pins_close(struct ts_esp32 *e)
{
	if (!e->pins_open)
		return;
	/* Leave the board running: BOOT0 low, NRST released (input). */
	gpio_set_level((gpio_num_t)e->cfg.boot0_gpio, 0);
	gpio_set_level((gpio_num_t)e->cfg.nrst_gpio, 1);
	gpio_reset_pin((gpio_num_t)e->cfg.nrst_gpio);
	e->pins_open = false;
}

int ts_esp32_set_boot0(void *ctx, bool high)
{
	struct ts_esp32 *e = ctx;
	return gpio_set_level((gpio_num_t)e->cfg.boot0_gpio, high) == ESP_OK ? TS_OK : TS_ERR_IO;
}

int ts_esp32_set_nrst(void *ctx, bool high)
{
	struct ts_esp32 *e = ctx;
	return gpio_set_level((gpio_num_t)e->cfg.nrst_gpio, high) == ESP_OK ? TS_OK : TS_ERR_IO;
}
