/* Stand-in (NOT ESP-IDF): esp_timer, esp_random, FreeRTOS delays, logging,
 * esp_err_to_name, the certificate bundle's attach. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esp_crt_bundle.h"
#include "esp_err.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/task.h"
#include "standin.h"

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t start_us;

int64_t esp_timer_get_time(void)
{
	if (!start_us)
		start_us = mono_us();
	return (int64_t)(mono_us() - start_us);
}

uint32_t esp_random(void)
{
	uint32_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r)
		abort(); /* the hardware RNG cannot fail; neither may this */
	close(fd);
	return r;
}

void vTaskDelay(const TickType_t ticks)
{
	uint64_t ns = (uint64_t)ticks * 1000000000u / configTICK_RATE_HZ;
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

TickType_t xTaskGetTickCount(void)
{
	return (TickType_t)((uint64_t)esp_timer_get_time() * configTICK_RATE_HZ / 1000000u);
}

esp_err_t esp_crt_bundle_attach(void *conf)
{
	(void)conf;
	return ESP_OK;
}

void standin_log(char level, const char *tag, const char *fmt, ...)
{
	static const char order[] = "EWIDV";
	const char *min = getenv("TS_STANDIN_LOG");
	const char *at = strchr(order, level), *lim = strchr(order, min && *min ? *min : 'I');
	if (at && lim && at > lim)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%c (%lld) %s: ", level, (long long)(esp_timer_get_time() / 1000), tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *esp_err_to_name(esp_err_t code)
{
	switch (code) {
	case ESP_OK: return "ESP_OK";
	case ESP_FAIL: return "ESP_FAIL";
	case ESP_ERR_NO_MEM: return "ESP_ERR_NO_MEM";
	case ESP_ERR_INVALID_ARG: return "ESP_ERR_INVALID_ARG";
	case ESP_ERR_INVALID_STATE: return "ESP_ERR_INVALID_STATE";
	case ESP_ERR_INVALID_SIZE: return "ESP_ERR_INVALID_SIZE";
	case ESP_ERR_NOT_FOUND: return "ESP_ERR_NOT_FOUND";
	case ESP_ERR_NOT_SUPPORTED: return "ESP_ERR_NOT_SUPPORTED";
	case ESP_ERR_TIMEOUT: return "ESP_ERR_TIMEOUT";
	case ESP_ERR_NVS_NOT_INITIALIZED: return "ESP_ERR_NVS_NOT_INITIALIZED";
	case ESP_ERR_NVS_NOT_FOUND: return "ESP_ERR_NVS_NOT_FOUND";
	case ESP_ERR_NVS_INVALID_NAME: return "ESP_ERR_NVS_INVALID_NAME";
	case ESP_ERR_NVS_INVALID_HANDLE: return "ESP_ERR_NVS_INVALID_HANDLE";
	case ESP_ERR_NVS_KEY_TOO_LONG: return "ESP_ERR_NVS_KEY_TOO_LONG";
	case ESP_ERR_NVS_INVALID_LENGTH: return "ESP_ERR_NVS_INVALID_LENGTH";
	case ESP_ERR_NVS_VALUE_TOO_LONG: return "ESP_ERR_NVS_VALUE_TOO_LONG";
	case ESP_ERR_HTTP_CONNECT: return "ESP_ERR_HTTP_CONNECT";
	case ESP_ERR_HTTP_WRITE_DATA: return "ESP_ERR_HTTP_WRITE_DATA";
	case ESP_ERR_HTTP_FETCH_HEADER: return "ESP_ERR_HTTP_FETCH_HEADER";
	case ESP_ERR_HTTP_INVALID_TRANSPORT: return "ESP_ERR_HTTP_INVALID_TRANSPORT";
	case ESP_ERR_HTTP_EAGAIN: return "ESP_ERR_HTTP_EAGAIN";
	case ESP_ERR_HTTP_CONNECTION_CLOSED: return "ESP_ERR_HTTP_CONNECTION_CLOSED";
	default: return "UNKNOWN ERROR";
	}
}

unsigned standin_report(FILE *f)
{
	unsigned bad = 0;
	for (int n = 0; n < UART_NUM_MAX; n++) {
		const struct standin_uart_stats *st = standin_uart_stats(n);
		if (st->writes_not_8e1) {
			fprintf(f, "standin: FAIL: UART %d: %u writes to the ROM bootloader not at "
				"8E1\n", n, st->writes_not_8e1);
			bad++;
		}
	}
	if (standin_gpio_violations()) {
		fprintf(f, "standin: FAIL: NRST driven high push-pull %u times\n",
			standin_gpio_violations());
		bad++;
	}
	if (standin_nvs_uncommitted()) {
		fprintf(f, "standin: FAIL: %u NVS writes never committed\n",
			standin_nvs_uncommitted());
		bad++;
	}
	return bad;
}
