/*
 * Inside the Linux port: the http concern on libcurl. TLS certificates and
 * host names are always verified (the system's CA store, or ca_file); there
 * is no insecure mode. Redirects are not followed (S3 answers them with an
 * error that names the right region). Counts the bytes each request puts on
 * the wire (request and response, headers and bodies, before TLS).
 *
 * Caller's contract: ts_http_curl_init() before use, ts_http_curl_close()
 * after; one request at a time per struct. Host-only: allocates through
 * libcurl.
 */
#ifndef TWINSLOT_HTTP_CURL_H
#define TWINSLOT_HTTP_CURL_H

#include <stdint.h>

#include "twinslot/port.h"

struct ts_http_curl {
	const char *ca_file;       /* PEM bundle to trust instead of the system's */
	uint64_t bytes_out;        /* request line, headers, body: last request */
	uint64_t bytes_in;         /* status line, headers, body: last request */
	uint64_t total_out, total_in;
	char error[256];           /* libcurl's reason for the last failure */
	void *easy;                /* CURL *, kept for connection reuse */
};

int ts_http_curl_init(struct ts_http_curl *c, const char *ca_file);
void ts_http_curl_close(struct ts_http_curl *c);

/* The ops table: ctx is a struct ts_http_curl *. request returns TS_OK when
 * a response arrived (whatever its status); TS_ERR_TIMEOUT or TS_ERR_IO
 * with the cause in why ("connection refused by 127.0.0.1:4568", "cannot
 * resolve host ...", "TLS: ..."); or the negative code a callback returned. */
extern const struct ts_http_ops ts_http_curl_ops;

#endif
