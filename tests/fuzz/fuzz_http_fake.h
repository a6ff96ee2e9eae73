/*
 * A fake port for the S3 fuzz targets: its http concern answers each
 * request from the fuzz input, its clock is fixed. Record per request:
 *
 *   flags    1 byte: FZ_H_FAIL_AFTER the transfer then fails (a drop),
 *            FZ_H_TIMEOUT it fails as a time-out, FZ_H_CHUNKED the body is
 *            delivered in pieces of (next byte + 1) bytes
 *   headers  2 bytes little-endian length, then that many bytes: lines cut
 *            at '\n', each given to ts_http_header_line as a socket
 *            library would (status line included)
 *   body     2 bytes little-endian length, then the body
 *
 * When the input runs out, a request fails as a refused connection.
 * The port's wall clock reads FZ_NOW (2026-12-02T00:00:00Z).
 */
#ifndef TS_FUZZ_HTTP_FAKE_H
#define TS_FUZZ_HTTP_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "twinslot/port.h"

#define FZ_H_FAIL_AFTER 0x01
#define FZ_H_TIMEOUT    0x02
#define FZ_H_CHUNKED    0x04
#define FZ_NOW 1796169600ull

struct fz_http {
	const uint8_t *p;
	size_t n;
	unsigned requests;
	struct ts_port port;
};

/* Set up f to answer from data[0..size). */
void fz_http_init(struct fz_http *f, const uint8_t *data, size_t size);

/* Abort unless every byte of s is printable ASCII. */
void fz_require_printable(const char *s);

#endif
