/* The clock: esp_timer (monotonic), FreeRTOS delays, the wall clock once
 * SNTP has set it, the hardware RNG. */
#include <time.h>

#include "esp_random.h"
#include "esp_timer.h"
#include "esp32_port.h"
#include "freertos/task.h"
#include "twinslot/err.h"

#define Y2024 1704067200 /* 2024-01-01T00:00:00Z */

bool ts_esp32_time_is_set(void)
{
	/* An ESP32 boots in 1970; SNTP (or an RTC) moves it to now. */
	time_t now = time(NULL);
	return now != (time_t)-1 && (int64_t)now >= Y2024;
}

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return (uint64_t)esp_timer_get_time() / 1000u;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	vTaskDelay(ts_esp32_ticks(ms));
}

static int wall_time(void *ctx, uint64_t *unix_s)
{
	(void)ctx;
	if (!ts_esp32_time_is_set())
		return TS_ERR_STATE;
	*unix_s = (uint64_t)time(NULL);
	return TS_OK;
}

static uint32_t random32(void *ctx)
{
	(void)ctx;
	return esp_random();
}

const struct ts_clock_ops ts_esp32_clock_ops = { now_ms, sleep_ms, wall_time, random32 };
