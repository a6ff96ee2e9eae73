/* The store: one NVS namespace, a blob per key (at most 15 characters,
 * NVS's own limit), committed on every put. */
#include <string.h>

#include "esp_log.h"
#include "esp32_port.h"
#include "nvs.h"
#include "twinslot/err.h"

int ts_esp32_store_open(struct ts_esp32 *e)
{
	const char *ns = e->cfg.nvs_namespace ? e->cfg.nvs_namespace : "twinslot";
	esp_err_t err = nvs_open(ns, NVS_READWRITE, &e->nvs);
	if (err != ESP_OK) {
		ESP_LOGE(TS_ESP32_TAG, "NVS namespace \"%s\": %s%s", ns, esp_err_to_name(err),
			 err == ESP_ERR_NVS_NOT_INITIALIZED ? " (call nvs_flash_init() first)" : "");
		return TS_ERR_IO;
	}
	e->nvs_open = true;
	return TS_OK;
}

void ts_esp32_store_close(struct ts_esp32 *e)
{
	if (e->nvs_open)
		nvs_close(e->nvs);
	e->nvs_open = false;
}

static bool key_ok(const char *key)
{
	size_t n = strlen(key);
	return n > 0 && n <= TS_STORE_KEY_MAX;
}

static long get(void *ctx, const char *key, void *buf, size_t n)
{
	struct ts_esp32 *e = ctx;
	if (!key_ok(key))
		return TS_ERR_INVAL;
	size_t len = 0;
	esp_err_t err = nvs_get_blob(e->nvs, key, NULL, &len);
	if (err == ESP_ERR_NVS_NOT_FOUND)
		return TS_ERR_NOENT;
	if (err != ESP_OK)
		return TS_ERR_IO;
	if (len > n)
		return TS_ERR_BUFSIZE;
	err = nvs_get_blob(e->nvs, key, buf, &len);
	return err == ESP_OK ? (long)len : TS_ERR_IO;
}

static int put(void *ctx, const char *key, const void *buf, size_t n)
{
	struct ts_esp32 *e = ctx;
	if (!key_ok(key))
		return TS_ERR_INVAL;
	esp_err_t err = nvs_set_blob(e->nvs, key, buf, n);
	if (err == ESP_OK)
		err = nvs_commit(e->nvs);
	if (err != ESP_OK) {
		ESP_LOGE(TS_ESP32_TAG, "NVS: storing \"%s\": %s", key, esp_err_to_name(err));
		return TS_ERR_IO;
	}
	return TS_OK;
}

const struct ts_store_ops ts_esp32_store_ops = { get, put };
