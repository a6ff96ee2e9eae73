/*
 * twinslot's agent on an ESP32 (ESP-IDF 5.3+): join Wi-Fi, set the clock
 * with SNTP (S3 signatures need it), open the port (UART2 to the STM32's
 * USART1, GPIO4 BOOT0, GPIO5 NRST, NVS for the agent's memory), then poll
 * the release manifest forever: one HEAD a poll when nothing changed; a new
 * release is streamed from S3 into the STM32's inactive slot, trial-booted,
 * and its outcome reported. Settings: idf.py menuconfig ("twinslot agent
 * example" and "twinslot (STM32 updater)").
 */
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_netif_sntp.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "freertos/task.h"
#include "nvs_flash.h"
#include "twinslot/agent.h"
#include "twinslot/err.h"
#include "twinslot/text.h"
#include "twinslot_esp32.h"

static const char *TAG = "agent";
static EventGroupHandle_t wifi_events;
#define GOT_IP BIT0

static void on_wifi(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	(void)arg;
	(void)data;
	if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
		esp_wifi_connect();
	} else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
		xEventGroupClearBits(wifi_events, GOT_IP);
		ESP_LOGW(TAG, "Wi-Fi: disconnected; reconnecting");
		esp_wifi_connect();
	} else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
		xEventGroupSetBits(wifi_events, GOT_IP);
	}
}

static void wifi_join(void)
{
	wifi_events = xEventGroupCreate();
	ESP_ERROR_CHECK(esp_netif_init());
	ESP_ERROR_CHECK(esp_event_loop_create_default());
	esp_netif_create_default_wifi_sta();
	wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
	ESP_ERROR_CHECK(esp_wifi_init(&init));
	ESP_ERROR_CHECK(esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi,
							    NULL, NULL));
	ESP_ERROR_CHECK(esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_wifi,
							    NULL, NULL));
	wifi_config_t wc = { 0 };
	strlcpy((char *)wc.sta.ssid, CONFIG_EXAMPLE_WIFI_SSID, sizeof wc.sta.ssid);
	strlcpy((char *)wc.sta.password, CONFIG_EXAMPLE_WIFI_PASSWORD, sizeof wc.sta.password);
	ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
	ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &wc));
	ESP_ERROR_CHECK(esp_wifi_start());
	ESP_LOGI(TAG, "Wi-Fi: joining \"%s\"", CONFIG_EXAMPLE_WIFI_SSID);
	xEventGroupWaitBits(wifi_events, GOT_IP, pdFALSE, pdTRUE, portMAX_DELAY);
	ESP_LOGI(TAG, "Wi-Fi: connected");
}

/* Signed S3 requests need the time: wait for SNTP before the first poll. */
static void clock_set(void)
{
	esp_sntp_config_t sc = ESP_NETIF_SNTP_DEFAULT_CONFIG(CONFIG_EXAMPLE_SNTP_SERVER);
	ESP_ERROR_CHECK(esp_netif_sntp_init(&sc));
	while (esp_netif_sntp_sync_wait(pdMS_TO_TICKS(10000)) != ESP_OK || !ts_esp32_time_is_set())
		ESP_LOGW(TAG, "waiting for the time from %s (S3 needs it to sign requests)",
			 CONFIG_EXAMPLE_SNTP_SERVER);
	ESP_LOGI(TAG, "clock set by SNTP");
}

static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

void app_main(void)
{
	static struct ts_port port;
	static struct ts_s3 s3;
	static struct ts_update u;
	static struct ts_agent agent;

	esp_err_t err = nvs_flash_init();
	if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
		ESP_ERROR_CHECK(nvs_flash_erase());
		err = nvs_flash_init();
	}
	ESP_ERROR_CHECK(err);
	wifi_join();
	clock_set();

	struct ts_esp32_cfg pcfg;
	ts_esp32_default_cfg(&pcfg);
	if (ts_esp32_port_open(&pcfg, &port) != TS_OK) {
		ESP_LOGE(TAG, "the port did not open (see above); stopping");
		return;
	}
	struct ts_s3_config scfg = {
		.endpoint = CONFIG_EXAMPLE_S3_ENDPOINT,
		.bucket = CONFIG_EXAMPLE_S3_BUCKET,
		.region = CONFIG_EXAMPLE_S3_REGION,
#ifdef CONFIG_EXAMPLE_S3_VIRTUAL_HOSTED
		.virtual_hosted = true,
#endif
		.creds = { or_null(CONFIG_EXAMPLE_ACCESS_KEY), or_null(CONFIG_EXAMPLE_SECRET_KEY), NULL },
	};
	if (ts_s3_init(&s3, &port, &scfg) != TS_OK) {
		ESP_LOGE(TAG, "S3: %s", s3.error);
		ts_esp32_port_close();
		return;
	}
	struct ts_update_cfg ucfg;
	ts_update_default_cfg(&ucfg);
	ucfg.baud = ucfg.console_baud = CONFIG_EXAMPLE_BAUD;
	ucfg.outcome_timeout_ms = CONFIG_EXAMPLE_OUTCOME_TIMEOUT_S * 1000u;
	uint8_t point[TS_PUBKEY_LEN];
	const char *hex = CONFIG_EXAMPLE_PUBKEY_HEX;
	size_t i = 0;
	for (; i < sizeof point && ts_hex_digit(hex[2 * i]) >= 0 &&
	       ts_hex_digit(hex[2 * i + 1]) >= 0; i++)
		point[i] = (uint8_t)(ts_hex_digit(hex[2 * i]) << 4 | ts_hex_digit(hex[2 * i + 1]));
	if (hex[0] && (i != sizeof point || hex[2 * i] || ts_update_add_key(&ucfg, point) != TS_OK))
		ESP_LOGE(TAG, "CONFIG_EXAMPLE_PUBKEY_HEX is not a P-256 point (130 hex digits)");
#ifdef CONFIG_EXAMPLE_ALLOW_UNSIGNED
	ucfg.allow_unsigned = true;
	ESP_LOGW(TAG, "installing UNSIGNED releases (CONFIG_EXAMPLE_ALLOW_UNSIGNED)");
#endif
	ts_update_init(&u, &port, &ucfg);

	struct ts_agent_cfg acfg;
	ts_agent_default_cfg(&acfg);
	acfg.manifest_key = CONFIG_EXAMPLE_MANIFEST_KEY;
	acfg.product = or_null(CONFIG_EXAMPLE_PRODUCT);
	acfg.device = CONFIG_EXAMPLE_DEVICE;
	acfg.report_prefix = or_null(CONFIG_EXAMPLE_REPORT_PREFIX);
	acfg.interval_ms = CONFIG_EXAMPLE_POLL_INTERVAL_S * 1000u;
	acfg.jitter_ms = acfg.interval_ms / 10;
	if (ts_agent_init(&agent, &acfg, &port, &s3, &u) != TS_OK) {
		ESP_LOGE(TAG, "bad agent configuration");
		ts_esp32_port_close();
		return;
	}
	ESP_LOGI(TAG, "polling s3://%s/%s every %d s", CONFIG_EXAMPLE_S3_BUCKET,
		 CONFIG_EXAMPLE_MANIFEST_KEY, CONFIG_EXAMPLE_POLL_INTERVAL_S);
	for (;;) {
		enum ts_agent_verdict v = ts_agent_poll(&agent);
		if (v == TS_AGENT_UNCHANGED)
			ESP_LOGD(TAG, "poll %u: %s", (unsigned)agent.polls, agent.msg);
		else
			ESP_LOGI(TAG, "poll %u: %s: %s", (unsigned)agent.polls,
				 ts_agent_verdict_name(v), agent.msg);
		uint32_t rnd = port.clock->random(port.clock_ctx);
		uint32_t ms = ts_agent_next_delay_ms(&agent, rnd); /* backs off after failures */
		port.clock->sleep_ms(port.clock_ctx, ms);
	}
}
