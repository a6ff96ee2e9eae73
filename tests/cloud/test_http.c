/* The core's HTTP header lines and dates (host/core/src/http.c) on known
 * inputs; the fuzz target http_headers explores the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/err.h"
#include "twinslot/http.h"

static int status;
static char name[64], value[256];
static int headers;
static size_t vlen;

static int on_status(void *arg, int s)
{
	(void)arg;
	status = s;
	return TS_OK;
}

static int on_header(void *arg, const char *n, const char *v)
{
	(void)arg;
	headers++;
	vlen = strlen(v);
	strncpy(name, n, sizeof name - 1);
	strncpy(value, v, sizeof value - 1);
	return strcmp(n, "X-Refuse") == 0 ? TS_ERR_PROTO : TS_OK;
}

static const struct ts_http_response R = { on_status, on_header, NULL, NULL };

static int line(const char *s)
{
	status = -1;
	headers = 0;
	memset(name, 0, sizeof name);
	memset(value, 0, sizeof value);
	return ts_http_header_line(s, strlen(s), &R);
}

static void status_lines(void **state)
{
	(void)state;
	assert_int_equal(line("HTTP/1.1 206 Partial Content\r\n"), TS_OK);
	assert_int_equal(status, 206);
	line("HTTP/2 200\r\n");
	assert_int_equal(status, 200);
	line("HTTP/1.1 304\n");
	assert_int_equal(status, 304);
	/* not three digits: no valid answer (atoi read 2000 and 99999999999) */
	line("HTTP/1.1 2000 X\r\n");
	assert_int_equal(status, 0);
	line("HTTP/1.1 99999999999 X\r\n");
	assert_int_equal(status, 0);
	line("HTTP/1.1 20 X\r\n");
	assert_int_equal(status, 0);
	line("HTTP/1.1\r\n");
	assert_int_equal(status, 0);
	assert_int_equal(headers, 0);
}

static void header_lines(void **state)
{
	(void)state;
	line("ETag: \"9b2cf535f27731c974343645a3985328\"\r\n");
	assert_string_equal(name, "ETag");
	assert_string_equal(value, "\"9b2cf535f27731c974343645a3985328\"");
	line("Content-Length:\t 712 \t\r\n"); /* blanks around the value go */
	assert_string_equal(name, "Content-Length");
	assert_string_equal(value, "712");
	line("Date: Wed, 02 Dec 2026 00:00:05 GMT\r\n");
	assert_string_equal(value, "Wed, 02 Dec 2026 00:00:05 GMT");
	line("X-Empty:\r\n");
	assert_int_equal(headers, 1);
	assert_string_equal(value, "");
	/* no name, no colon, the blank line: nothing */
	line(": value\r\n");
	line("no colon here\r\n");
	line("\r\n");
	assert_int_equal(headers, 0);
	assert_int_equal(status, -1);
	/* a NUL ends the line, as for every C string after it */
	const char nul[] = "ETag: \"a\0b\"\r\n";
	headers = 0;
	assert_int_equal(ts_http_header_line(nul, sizeof nul - 1, &R), TS_OK);
	assert_string_equal(value, "\"a");
	/* the callback's refusal is returned */
	assert_int_equal(line("X-Refuse: 1\r\n"), TS_ERR_PROTO);
	/* a line longer than TS_HTTP_LINE_MAX is cut there */
	static char big[TS_HTTP_LINE_MAX + 100];
	memset(big, 'v', sizeof big - 1);
	memcpy(big, "X-Big: ", 7);
	line(big);
	assert_int_equal(vlen, TS_HTTP_LINE_MAX - 1 - 7);
}

static void dates(void **state)
{
	(void)state;
	uint64_t t = 0;
	/* RFC 9110's example */
	assert_int_equal(ts_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), TS_OK);
	assert_int_equal(t, 784111777u);
	assert_int_equal(ts_http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &t), TS_OK);
	assert_int_equal(t, 0);
	assert_int_equal(ts_http_date_parse(" Thu, 29 Feb 2024 12:00:00 GMT ", &t), TS_OK);
	assert_int_equal(t, 1709208000u);
	assert_int_equal(ts_http_date_parse("Wed, 02 Dec 2026 00:00:00 GMT", &t), TS_OK);
	assert_int_equal(t, 1796169600u);
	assert_int_equal(ts_http_date_parse("Fri, 31 Dec 9999 23:59:59 GMT", &t), TS_OK);
	assert_int_equal(t, 253402300799u);
	const char *bad[] = {
		"Mon, 06 Nov 1994 08:49:37 GMT",   /* the weekday disagrees */
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sunday, 06-Nov-94 08:49:37 GMT",  /* RFC 850: obsolete, not read */
		"Sun Nov  6 08:49:37 1994",        /* asctime: likewise */
		"Thu, 29 Feb 2023 12:00:00 GMT",   /* 2023 is no leap year */
		"Thu, 31 Apr 2024 12:00:00 GMT",
		"Thu, 01 Jan 1969 00:00:00 GMT",
		"Thu, 01 Jan 1970 24:00:00 GMT",
		"Thu, 01 Jan 1970 00:60:00 GMT",
		"Thu, 01 Jan 1970 00:00:00 GMT x",
		"Thu, 01 Jan 1970 00:00:0",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = 42;
		assert_int_equal(ts_http_date_parse(bad[i], &t), TS_ERR_INVAL);
		assert_int_equal(t, 42);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_lines),
		cmocka_unit_test(header_lines),
		cmocka_unit_test(dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
