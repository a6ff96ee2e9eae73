/*
 * The host port: everything the portable update engine (host/core) needs
 * from the world, as one table of operations that each platform fills
 * (host/ports/linux, host/ports/esp-idf, and the test fakes). The core makes
 * no OS call and allocates nothing; it talks to the world only through this.
 *
 * Contract for implementers: every operation returns TS_OK or a negative
 * enum ts_err; ops may be NULL only where marked optional. `ctx` is passed
 * back untouched. The core calls the ops from one thread.
 */
#ifndef TWINSLOT_PORT_H
#define TWINSLOT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_log_level { TS_LOG_ERROR, TS_LOG_WARN, TS_LOG_INFO, TS_LOG_DEBUG };

/* Progress of a long operation, for bars and --json events. */
struct ts_progress {
	const char *phase;   /* "erase", "write", "verify", "download", ... */
	uint64_t done;       /* bytes (or sectors for erase) done so far */
	uint64_t total;      /* total, 0 when unknown */
};

/* One HTTP header line. */
struct ts_http_header {
	const char *name;
	const char *value;
};

/* An HTTP request. The body, if any, is pulled through `read_body`. */
struct ts_http_request {
	const char *method;                  /* "GET", "HEAD", "PUT" */
	const char *url;                     /* absolute http:// or https:// */
	const struct ts_http_header *headers;
	size_t nheaders;
	uint64_t body_len;                   /* bytes read_body will supply */
	/* Fill buf with up to n body bytes; return the count (0 at end) or a
	 * negative ts_err. Optional when body_len is 0. */
	long (*read_body)(void *arg, uint8_t *buf, size_t n);
	void *body_arg;
	uint32_t timeout_ms;                 /* for connect and for each read */
};

/* Callbacks the port calls while the response arrives. Any of them may
 * return a negative ts_err to abort the transfer. */
struct ts_http_response {
	int (*on_status)(void *arg, int status);
	int (*on_header)(void *arg, const char *name, const char *value);
	int (*on_body)(void *arg, const uint8_t *data, size_t len);
	void *arg;
};

struct ts_port {
	void *ctx;

	/* Serial line to the STM32 (USART1 or USART3 of its ROM bootloader). */
	int (*serial_configure)(void *ctx, uint32_t baud, bool even_parity);
	/* Read up to n bytes, waiting at most timeout_ms for the first one;
	 * returns the count read (0 on time-out) or a negative ts_err. */
	long (*serial_read)(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms);
	int (*serial_write)(void *ctx, const uint8_t *buf, size_t n);
	int (*serial_flush_input)(void *ctx);

	/* BOOT0 and NRST as logic levels at the STM32's pins (the port hides
	 * inverting transistors and DTR/RTS polarity). NRST low holds reset. */
	int (*set_boot0)(void *ctx, bool high);
	int (*set_nrst)(void *ctx, bool high);

	/* Monotonic milliseconds and sleeping. */
	uint64_t (*now_ms)(void *ctx);
	void (*sleep_ms)(void *ctx, uint32_t ms);

	/* Small persistent key-value storage (ETag, outcome, state).
	 * get returns the value's length, TS_ERR_NOENT if absent, or
	 * TS_ERR_BUFSIZE. Optional (NULL: nothing is remembered). */
	long (*store_get)(void *ctx, const char *key, void *buf, size_t n);
	int (*store_put)(void *ctx, const char *key, const void *buf, size_t n);

	/* HTTP(S); optional until the cloud path is used. */
	int (*http)(void *ctx, const struct ts_http_request *req,
		    const struct ts_http_response *resp);

	/* A line for people (no trailing newline) and progress. Optional. */
	void (*log)(void *ctx, enum ts_log_level level, const char *msg);
	void (*progress)(void *ctx, const struct ts_progress *p);
};

#endif
