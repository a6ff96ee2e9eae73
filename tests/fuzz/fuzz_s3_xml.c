/*
 * libFuzzer target: S3's XML error bodies, as the S3 client reads them
 * (<Code> and <Message> into one line for people, with a hint), after one
 * answer with the status from the input, to a HEAD, a GET or a PUT.
 *
 * Input: bytes 0-1 the status (little-endian, taken modulo 600), byte 2
 * the request (0 HEAD, 1 GET, 2 PUT) and whether the answer has a Date
 * (bit 2: one hour off this machine's clock), then the body.
 *
 * Invariants (abort when broken): any status other than 2xx/304 (and 412
 * for a GET, which restarts) is a failure with one printable line in
 * s3->error that starts with the request and the object; 404 or a NoSuchKey
 * code is TS_ERR_NOENT, 403 TS_ERR_DENIED; a 403 an hour off the server's
 * Date says the clock is off. ASan and UBSan watch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_http_fake.h"
#include "twinslot/err.h"
#include "twinslot/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink_data(void *arg, uint64_t offset, const uint8_t *d, size_t len)
{
	(void)arg;
	(void)offset;
	(void)d;
	(void)len;
	return TS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > 60000)
		return 0;
	int status = (data[0] | data[1] << 8) % 600;
	int req = data[2] % 3;
	bool dated = (data[2] & 4) != 0;
	/* One answer record: the status line, a Date, the body. */
	static uint8_t rec[65536];
	char hdr[160];
	int hl = snprintf(hdr, sizeof hdr, "HTTP/1.1 %03d X\r\n%s", status,
			  dated ? "Date: Tue, 01 Dec 2026 23:00:00 GMT\r\n" : "");
	size_t bl = size - 3, o = 0;
	rec[o++] = 0;
	rec[o++] = (uint8_t)hl;
	rec[o++] = (uint8_t)(hl >> 8);
	memcpy(rec + o, hdr, (size_t)hl);
	o += (size_t)hl;
	rec[o++] = (uint8_t)bl;
	rec[o++] = (uint8_t)(bl >> 8);
	memcpy(rec + o, data + 3, bl);
	o += bl;
	static struct fz_http f;
	static struct ts_s3 s3;
	fz_http_init(&f, rec, o);
	struct ts_s3_config cfg = { .endpoint = "http://127.0.0.1:4568", .bucket = "b",
				    .creds = { .access_key = "AKID", .secret_key = "SECRET" },
				    .max_attempts = 1 };
	if (ts_s3_init(&s3, &f.port, &cfg) != TS_OK)
		abort();
	struct ts_s3_object obj;
	memset(&obj, 0, sizeof obj);
	struct ts_s3_sink sink = { sink_data, NULL, NULL };
	const char *method;
	int rc;
	if (req == 0) {
		method = "HEAD ";
		rc = ts_s3_head(&s3, "fw/manifest.json", NULL, &obj);
	} else if (req == 1) {
		method = "GET ";
		rc = ts_s3_download(&s3, "fw/manifest.json", &obj, &sink);
	} else {
		method = "PUT ";
		rc = ts_s3_put_buf(&s3, "fw/r.json", NULL, "{}", 2, &obj);
	}
	if (rc > 0)
		abort();
	fz_require_printable(s3.error);
	bool ok_status = (status >= 200 && status < 300) || status == 304 ||
			 (req == 1 && status == 412);
	if (ok_status)
		return 0;
	if (rc == TS_OK || strncmp(s3.error, method, strlen(method)) != 0)
		abort();
	if (strncmp(s3.error + strlen(method), "s3://b/", 7) != 0)
		abort();
	if (status == 404 && rc != TS_ERR_NOENT)
		abort();
	if (status == 403 && rc != TS_ERR_DENIED && rc != TS_ERR_NOENT)
		abort();
	if (status == 403 && dated && !strstr(s3.error, "3600 s (60 min) ahead of the server's Date"))
		abort();
	return 0;
}
