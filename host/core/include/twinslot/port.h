/*
 * The host port: what the portable update engine (host/core) needs from the
 * world, by concern, in the spirit of esp-serial-flasher's esp_loader_io.h.
 * A platform (host/ports/linux, host/ports/esp-idf, the test fakes) fills the
 * concerns it has; each has its own operations table and its own context:
 *
 *   link   the serial line to the STM32 and its BOOT0/NRST pins
 *   clock  monotonic time, sleeping, the wall clock (SigV4), random numbers
 *   store  small persistent key-value storage (the agent's memory)
 *   http   HTTP(S) requests (S3)
 *   sink   log lines and progress for people
 *   crypto signature verification (ECDSA P-256): OpenSSL's libcrypto on
 *          Linux, mbedTLS/PSA on the ESP32
 *
 * The core makes no OS call and allocates nothing; it talks to the world only
 * through this. A command checks the concerns it needs with ts_port_require()
 * and says which one the platform lacks. One port object serves every
 * command of a platform (agent, flash, publish).
 *
 * Contract for implementers: every operation returns TS_OK or a negative
 * enum ts_err; operations may be NULL only where marked optional. A concern's
 * context is passed back untouched. The core calls the ops from one thread.
 */
#ifndef TWINSLOT_PORT_H
#define TWINSLOT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- link: serial + pins ------------------------------------------------ */

struct ts_link_ops {
	/* 8 data bits, 1 stop bit; even parity for the ROM bootloader, none
	 * for the firmware's console. */
	int (*configure)(void *ctx, uint32_t baud, bool even_parity);
	/* Read up to n bytes, waiting at most timeout_ms for the first one;
	 * returns the count read (0 on time-out) or a negative ts_err. */
	long (*read)(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms);
	int (*write)(void *ctx, const uint8_t *buf, size_t n);
	int (*flush_input)(void *ctx);
	/* BOOT0 and NRST as logic levels at the STM32's pins (the port hides
	 * inverting transistors and DTR/RTS polarity). NRST low holds reset. */
	int (*set_boot0)(void *ctx, bool high);
	int (*set_nrst)(void *ctx, bool high);
};

/* ---- clock ---------------------------------------------------------------- */

struct ts_clock_ops {
	uint64_t (*now_ms)(void *ctx);          /* monotonic milliseconds */
	void (*sleep_ms)(void *ctx, uint32_t ms);
	/* Seconds since 1970 (UTC) into *unix_s, for request signing. Returns
	 * TS_ERR_STATE while the clock is not set (an ESP32 before SNTP).
	 * Optional: without it only anonymous S3 requests work. */
	int (*wall_time)(void *ctx, uint64_t *unix_s);
	/* A uniformly random 32-bit number (poll jitter). Optional. */
	uint32_t (*random)(void *ctx);
};

/* ---- store ---------------------------------------------------------------- */

struct ts_store_ops {
	/* get returns the value's length, TS_ERR_NOENT if absent, or
	 * TS_ERR_BUFSIZE. Keys are at most 15 characters (ESP32 NVS). */
	long (*get)(void *ctx, const char *key, void *buf, size_t n);
	int (*put)(void *ctx, const char *key, const void *buf, size_t n);
};

#define TS_STORE_KEY_MAX 15

/* ---- http ----------------------------------------------------------------- */

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
 * return a negative ts_err to abort the transfer. on_status comes before
 * the body; it may come before the headers (libcurl) or after them
 * (esp_http_client learns the status only at the end of the headers). */
struct ts_http_response {
	int (*on_status)(void *arg, int status);
	int (*on_header)(void *arg, const char *name, const char *value);
	int (*on_body)(void *arg, const uint8_t *data, size_t len);
	void *arg;
};

struct ts_http_ops {
	/* TS_OK when a response arrived (whatever its status); otherwise a
	 * negative ts_err, and when `why` is given, one line naming the cause
	 * (connection refused, DNS, TLS, time-out) into why[0..why_len). */
	int (*request)(void *ctx, const struct ts_http_request *req,
		       const struct ts_http_response *resp, char *why, size_t why_len);
};

/* ---- sink: log lines and progress ----------------------------------------- */

enum ts_log_level { TS_LOG_ERROR, TS_LOG_WARN, TS_LOG_INFO, TS_LOG_DEBUG };

/* Progress of a long operation, for bars and --json events. */
struct ts_progress {
	const char *phase;   /* "erase", "write", "verify", "download", ... */
	uint64_t done;       /* bytes (or sectors for erase) done so far */
	uint64_t total;      /* total, 0 when unknown */
};

struct ts_sink_ops {
	void (*log)(void *ctx, enum ts_log_level level, const char *msg); /* no '\n' */
	void (*progress)(void *ctx, const struct ts_progress *p);         /* optional */
};

/* ---- crypto: signature verification -------------------------------------- */

struct ts_crypto_ops {
	/* TS_OK when sig (r || s, two 32-byte big-endian integers) is a valid
	 * ECDSA P-256 signature of the 32-byte digest under pubkey (the
	 * 65-byte uncompressed point 0x04 || X || Y); TS_ERR_AUTH when it is
	 * not; another negative ts_err when the check could not run (a point
	 * not on the curve: TS_ERR_INVAL). Must not allocate in the core's
	 * name: allocation inside the crypto library is the port's affair. */
	int (*ecdsa_p256_verify)(void *ctx, const uint8_t pubkey[65], const uint8_t digest[32],
				 const uint8_t sig[64]);
};

/* ---- the port ------------------------------------------------------------- */

struct ts_port {
	const struct ts_link_ops *link;   void *link_ctx;
	const struct ts_clock_ops *clock; void *clock_ctx;
	const struct ts_store_ops *store; void *store_ctx;  /* NULL: nothing remembered */
	const struct ts_http_ops *http;   void *http_ctx;
	const struct ts_sink_ops *sink;   void *sink_ctx;   /* NULL: silent */
	const struct ts_crypto_ops *crypto; void *crypto_ctx; /* NULL: cannot verify */
};

enum ts_port_need {
	TS_NEED_LINK = 1u << 0,
	TS_NEED_CLOCK = 1u << 1,
	TS_NEED_STORE = 1u << 2,
	TS_NEED_HTTP = 1u << 3,
	TS_NEED_WALL_TIME = 1u << 4,
	TS_NEED_RANDOM = 1u << 5,
	TS_NEED_CRYPTO = 1u << 6,   /* signature verification */
};

/*
 * TS_OK when port has every concern in `need` (a mask of enum ts_port_need)
 * with its mandatory operations; otherwise TS_ERR_UNSUPPORTED and, in msg,
 * which one is missing ("this platform's port has no link (serial line and
 * BOOT0/NRST)").
 */
int ts_port_require(const struct ts_port *port, unsigned need, char *msg, size_t n);

/* A line for people through the sink, printf-style; nothing without one. */
void ts_port_log(const struct ts_port *port, enum ts_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ts_port_progress(const struct ts_port *port, const char *phase, uint64_t done,
		      uint64_t total);

#endif
