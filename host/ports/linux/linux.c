/* The Linux port's assembly: the clock, ts_linux_open() and close (see
 * ts_linux.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linux_port.h"
#include "twinslot/err.h"

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int wall_time(void *ctx, uint64_t *unix_s)
{
	(void)ctx;
	time_t t = time(NULL);
	if (t == (time_t)-1)
		return TS_ERR_STATE;
	*unix_s = (uint64_t)t;
	return TS_OK;
}

static uint32_t random32(void *ctx)
{
	(void)ctx;
	uint32_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() * 2654435761u;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static const struct ts_clock_ops CLOCK = { now_ms, sleep_ms, wall_time, random32 };
static const struct ts_link_ops LINK = {
	ts_serial_configure, ts_serial_read, ts_serial_write, ts_serial_flush_input,
	ts_pins_set_boot0, ts_pins_set_nrst,
};
static const struct ts_store_ops STORE = { ts_store_get, ts_store_put };

void ts_linux_say(struct ts_linux *lx, enum ts_log_level level, const char *msg)
{
	if (lx->cfg.sink && lx->cfg.sink->log)
		lx->cfg.sink->log(lx->cfg.sink_ctx, level, msg);
	else if (level <= TS_LOG_WARN)
		fprintf(stderr, "twinslot: %s\n", msg);
}

static int open_parts(struct ts_linux *lx, struct ts_port *port, char *msg, size_t n)
{
	int err;
	if (lx->cfg.serial_path) {
		if ((err = ts_serial_open(lx, msg, n)) != TS_OK)
			return err;
		if ((err = ts_pins_open(lx, msg, n)) != TS_OK)
			return err;
		port->link = &LINK;
		port->link_ctx = lx;
	}
	if (lx->cfg.store_path) {
		port->store = &STORE;
		port->store_ctx = lx;
	}
	if (lx->cfg.http) {
		if (ts_http_curl_init(&lx->curl, lx->cfg.ca_file) != TS_OK) {
			snprintf(msg, n, "libcurl did not initialise");
			return TS_ERR_IO;
		}
		lx->have_http = true;
		port->http = &ts_http_curl_ops;
		port->http_ctx = &lx->curl;
	}
	return TS_OK;
}

int ts_linux_open(struct ts_linux **out, const struct ts_linux_cfg *cfg, struct ts_port *port,
		  char *msg, size_t n)
{
	*out = NULL;
	memset(port, 0, sizeof(*port));
	struct ts_linux *lx = calloc(1, sizeof(*lx));
	if (!lx) {
		snprintf(msg, n, "out of memory");
		return TS_ERR_IO;
	}
	lx->cfg = *cfg;
	lx->fd = -1;
	lx->sock = -1;
	port->clock = &CLOCK;
	port->clock_ctx = lx;
	port->sink = cfg->sink;
	port->crypto = &ts_crypto_openssl_ops;
	port->sink_ctx = cfg->sink_ctx;
	int err = open_parts(lx, port, msg, n);
	if (err) {
		ts_linux_close(lx);
		memset(port, 0, sizeof(*port));
		return err;
	}
	*out = lx;
	return TS_OK;
}

void ts_linux_close(struct ts_linux *lx)
{
	if (!lx)
		return;
	ts_pins_close(lx);
	if (lx->fd >= 0)
		close(lx->fd); /* releases the flock */
	if (lx->have_http)
		ts_http_curl_close(&lx->curl);
	free(lx);
}

void ts_linux_http_bytes(const struct ts_linux *lx, uint64_t *out, uint64_t *in)
{
	*out = lx->have_http ? lx->curl.bytes_out : 0;
	*in = lx->have_http ? lx->curl.bytes_in : 0;
}
