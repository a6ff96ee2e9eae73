/* The fake port of the S3 fuzz targets: see fuzz_http_fake.h. */
#include "fuzz_http_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/http.h"

static size_t take(struct fz_http *f, const uint8_t **out, size_t want)
{
	size_t k = want < f->n ? want : f->n;
	*out = f->p;
	f->p += k;
	f->n -= k;
	return k;
}

static size_t take_len(struct fz_http *f)
{
	const uint8_t *b;
	if (take(f, &b, 2) < 2)
		return 0;
	return (size_t)b[0] | (size_t)b[1] << 8;
}

static int request(void *ctx, const struct ts_http_request *req,
		   const struct ts_http_response *resp, char *why, size_t why_len)
{
	struct fz_http *f = ctx;
	f->requests++;
	/* What the S3 client sends is its own business; the request must be
	 * well formed all the same. */
	if (!req || !req->method || !req->url || !resp || (req->nheaders && !req->headers))
		abort();
	for (size_t i = 0; i < req->nheaders; i++)
		if (!req->headers[i].name || !req->headers[i].value)
			abort();
	const uint8_t *b;
	if (take(f, &b, 1) < 1) {
		snprintf(why, why_len, "cannot connect (the fuzz input ended)");
		return TS_ERR_IO;
	}
	uint8_t flags = b[0];
	size_t hl = take_len(f);
	const uint8_t *h;
	hl = take(f, &h, hl);
	/* Header lines, each with its line end, as libcurl hands them over. */
	size_t s = 0;
	for (size_t i = 0; i <= hl; i++) {
		if (i == hl || h[i] == '\n') {
			size_t e = i < hl ? i + 1 : i;
			if (e > s) {
				int rc = ts_http_header_line((const char *)h + s, e - s, resp);
				if (rc < 0)
					return rc;
			}
			s = e;
		}
	}
	size_t bl = take_len(f);
	const uint8_t *body;
	bl = take(f, &body, bl);
	size_t chunk = bl ? bl : 1;
	if (flags & FZ_H_CHUNKED) {
		const uint8_t *c;
		if (take(f, &c, 1) == 1)
			chunk = (size_t)c[0] + 1;
	}
	for (size_t o = 0; o < bl; o += chunk) {
		size_t k = bl - o < chunk ? bl - o : chunk;
		if (resp->on_body) {
			int rc = resp->on_body(resp->arg, body + o, k);
			if (rc < 0)
				return rc;
		}
	}
	if (flags & FZ_H_TIMEOUT) {
		snprintf(why, why_len, "timed out");
		return TS_ERR_TIMEOUT;
	}
	if (flags & FZ_H_FAIL_AFTER) {
		snprintf(why, why_len, "the connection dropped");
		return TS_ERR_IO;
	}
	return TS_OK;
}

static const struct ts_http_ops HTTP = { request };

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return 0;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	(void)ms;
}

static int wall_time(void *ctx, uint64_t *unix_s)
{
	(void)ctx;
	*unix_s = FZ_NOW;
	return TS_OK;
}

static const struct ts_clock_ops CLOCK = { now_ms, sleep_ms, wall_time, NULL };

void fz_http_init(struct fz_http *f, const uint8_t *data, size_t size)
{
	memset(f, 0, sizeof *f);
	f->p = data;
	f->n = size;
	f->port.http = &HTTP;
	f->port.http_ctx = f;
	f->port.clock = &CLOCK;
}

void fz_require_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7E)
			abort();
}
