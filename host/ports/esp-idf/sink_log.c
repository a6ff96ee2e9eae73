/* The sink: log lines through ESP_LOGx, progress as a percentage bar on
 * the console (one line per 10 %, so a serial monitor stays readable). */
#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "esp32_port.h"

static void log_line(void *ctx, enum ts_log_level level, const char *msg)
{
	(void)ctx;
	switch (level) {
	case TS_LOG_ERROR: ESP_LOGE(TS_ESP32_TAG, "%s", msg); break;
	case TS_LOG_WARN: ESP_LOGW(TS_ESP32_TAG, "%s", msg); break;
	case TS_LOG_INFO: ESP_LOGI(TS_ESP32_TAG, "%s", msg); break;
	default: ESP_LOGD(TS_ESP32_TAG, "%s", msg); break;
	}
}

static void progress(void *ctx, const struct ts_progress *p)
{
	(void)ctx;
	static char last_phase[16];
	static int last_tenth = -1;
	if (!p->total)
		return;
	int pct = (int)(p->done * 100u / p->total);
	if (strncmp(last_phase, p->phase, sizeof last_phase - 1) != 0) {
		snprintf(last_phase, sizeof last_phase, "%s", p->phase);
		last_tenth = -1;
	}
	if (pct / 10 == last_tenth)
		return;
	last_tenth = pct / 10;
	char bar[11];
	for (int i = 0; i < 10; i++)
		bar[i] = i < last_tenth ? '#' : '.';
	bar[10] = '\0';
	printf("%-8s [%s] %3d %% (%llu/%llu)\n", p->phase, bar, pct,
	       (unsigned long long)p->done, (unsigned long long)p->total);
}

const struct ts_sink_ops ts_esp32_sink_ops = { log_line, progress };
