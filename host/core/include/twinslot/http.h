/*
 * HTTP response pieces every port and the S3 client read the same way:
 *
 *   ts_http_header_line  one raw response header line as a socket library
 *                        hands it over ("HTTP/1.1 206 Partial Content\r\n",
 *                        "ETag: \"abc\"\r\n") to a ts_http_response's
 *                        on_status / on_header (a port whose library parses
 *                        the headers itself, esp_http_client, calls those
 *                        directly instead)
 *   ts_http_date_parse   an HTTP date (RFC 9110's IMF-fixdate,
 *                        "Sun, 06 Nov 1994 08:49:37 GMT") to Unix seconds
 *
 * Contract: pure functions on the caller's bytes; no allocation, no state.
 * The line need not be NUL-terminated; lines longer than TS_HTTP_LINE_MAX
 * are cut there (a value that long is nothing the core reads). A status
 * line's status is its three digits, or 0 when they are not three digits
 * (the caller treats 0 as no valid answer).
 */
#ifndef TWINSLOT_HTTP_H
#define TWINSLOT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "twinslot/port.h"

#define TS_HTTP_LINE_MAX 2048

/* Returns the callback's result (TS_OK for lines nobody reads). */
int ts_http_header_line(const char *line, size_t len, const struct ts_http_response *resp);

/* TS_OK and *unix_s, or TS_ERR_INVAL when s is not an IMF-fixdate between
 * 1970 and 9999. Surrounding blanks are allowed. */
int ts_http_date_parse(const char *s, uint64_t *unix_s);

#endif
