/*
 * libFuzzer target: HTTP response headers (status line, ETag,
 * Content-Length, Content-Range, Date) and the S3 client's download logic
 * that rests on them: a series of answers from the fuzz input (the record
 * format of fuzz_http_fake.h) to HEAD, a whole GET, a ranged GET or a PUT,
 * each line through ts_http_header_line as libcurl delivers it.
 *
 * Input: byte 0 the operation (FZ_OP_*; bit 7 set: the rest is one Date
 * value for ts_http_date_parse alone), byte 1 options (FZ_S_*), bytes 2-5
 * the range's start and length (little-endian u16 each), then the answers.
 *
 * Invariants (abort when broken): the sink sees bytes in order, from the
 * range's start (again after a restart), never past its end; a download
 * that succeeds delivered exactly the range (or the whole object, its size
 * in obj); a HEAD that succeeds has an ETag or was a 304; every failure not
 * raised by the sink leaves one printable line in s3->error; a parsed Date
 * formats back (ts_sigv4_amz_date) to the same fields. ASan and UBSan
 * watch the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_http_fake.h"
#include "twinslot/err.h"
#include "twinslot/http.h"
#include "twinslot/s3.h"
#include "twinslot/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_OP_HEAD  0
#define FZ_OP_GET   1
#define FZ_OP_RANGE 2
#define FZ_OP_PUT   3
#define FZ_OP_DATE  0x80

#define FZ_S_SIGNED     0x01 /* credentials: signed requests */
#define FZ_S_NO_RESTART 0x02 /* the sink refuses an ETag change */
#define FZ_S_PINNED     0x04 /* an ETag is wanted from the start */
#define FZ_S_SMALL_SINK 0x08 /* the sink takes at most 4096 bytes */

#define SINK_ERR (-30000) /* not a ts_err: marks the sink's own refusal */

struct sink {
	uint64_t from, end, next;
	bool small;
	unsigned restarts;
};

static int sink_data(void *arg, uint64_t offset, const uint8_t *d, size_t len)
{
	struct sink *k = arg;
	(void)d;
	if (offset != k->next || len == 0 || offset - k->from + len > k->end - k->from)
		abort();
	if (k->small && offset - k->from + len > 4096)
		return TS_ERR_SIZE;
	k->next += len;
	return TS_OK;
}

static int sink_restart(void *arg, const struct ts_s3_object *now)
{
	struct sink *k = arg;
	fz_require_printable(now->etag);
	k->next = k->from;
	k->restarts++;
	return TS_OK;
}

static void date_check(const uint8_t *data, size_t size)
{
	char s[64];
	size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	uint64_t t;
	if (ts_http_date_parse(s, &t) != TS_OK)
		return;
	/* "Sun, 06 Nov 1994 08:49:37 GMT" vs "19941106T084937Z" */
	char amz[17];
	const char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (p[23] == '6' && p[22] == ':' && p[24] == '0')
		return; /* a leap second: 60 is the next minute's 0 */
	ts_sigv4_amz_date(t, amz);
	if (memcmp(amz, p + 12, 4) != 0 || memcmp(amz + 6, p + 5, 2) != 0 ||
	    memcmp(amz + 9, p + 17, 2) != 0 || memcmp(amz + 11, p + 20, 2) != 0 ||
	    memcmp(amz + 13, p + 23, 2) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 6)
		return 0;
	uint8_t op = data[0], opt = data[1];
	if (op & FZ_OP_DATE) {
		date_check(data + 1, size - 1);
		return 0;
	}
	op %= 4;
	uint64_t from = (uint64_t)data[2] | (uint64_t)data[3] << 8;
	uint64_t len = ((uint64_t)data[4] | (uint64_t)data[5] << 8) + 1;
	static struct fz_http f;
	static struct ts_s3 s3;
	fz_http_init(&f, data + 6, size - 6);
	struct ts_s3_config cfg = { .endpoint = "http://127.0.0.1:4568", .bucket = "b",
				    .timeout_ms = 1000 };
	if (opt & FZ_S_SIGNED)
		cfg.creds = (struct ts_sigv4_creds){ .access_key = "AKID", .secret_key = "SECRET" };
	if (ts_s3_init(&s3, &f.port, &cfg) != TS_OK)
		abort();
	struct ts_s3_object obj;
	memset(&obj, 0, sizeof obj);
	if (opt & FZ_S_PINNED)
		strcpy(obj.etag, "\"e1\"");
	struct sink k = { .from = 0, .end = UINT64_MAX, .small = (opt & FZ_S_SMALL_SINK) != 0 };
	struct ts_s3_sink sink = { sink_data, (opt & FZ_S_NO_RESTART) ? NULL : sink_restart, &k };
	int rc;
	bool sink_may_fail = false;
	switch (op) {
	case FZ_OP_HEAD:
		rc = ts_s3_head(&s3, "fw/manifest.json", (opt & FZ_S_PINNED) ? "\"e0\"" : NULL, &obj);
		if (rc == TS_OK && !obj.not_modified && !obj.etag[0])
			abort();
		break;
	case FZ_OP_GET:
		sink_may_fail = k.small;
		rc = ts_s3_download(&s3, "fw/manifest.json", &obj, &sink);
		if (rc == TS_OK && k.next != obj.size)
			abort();
		break;
	case FZ_OP_RANGE:
		k.from = k.next = from;
		k.end = from + len;
		sink_may_fail = k.small;
		rc = ts_s3_download_range(&s3, "fw/1.0.0/slot-a.img", from, len, &obj, &sink);
		if (rc == TS_OK && (k.next != k.end || obj.size < k.end))
			abort();
		break;
	default: {
		static const char body[] = "{\"device\":\"d\"}";
		rc = ts_s3_put_buf(&s3, "fw/reports/d.json", "application/json", body,
				   sizeof body - 1, &obj);
		break;
	}
	}
	if (rc > 0)
		abort();
	fz_require_printable(obj.etag);
	if (rc < 0) {
		fz_require_printable(s3.error);
		/* Only a refusal by the sink may come without a sentence. */
		if (!s3.error[0] && !(sink_may_fail && rc == TS_ERR_SIZE))
			abort();
	}
	if (f.requests > 1000 + 1)
		abort();
	return 0;
}
