/*
 * Bytes held in memory, read out in order: the reader behind an HTTP body
 * (ts_http_request.read_body) or an image source (struct ts_source) that is
 * already in RAM. The caller keeps the bytes alive while they are read.
 */
#ifndef TWINSLOT_MEMBUF_H
#define TWINSLOT_MEMBUF_H

#include <stddef.h>
#include <stdint.h>

struct ts_membuf {
	const uint8_t *p;
	size_t len, pos;
};

/* Up to n more bytes into buf; returns the count, 0 at the end. arg is a
 * struct ts_membuf *. */
long ts_membuf_read(void *arg, uint8_t *buf, size_t n);
/* Start over from the first byte (struct ts_source's rewind): TS_OK. */
int ts_membuf_rewind(void *arg);

#endif
