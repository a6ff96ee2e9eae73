/*
 * The S3 client against the local S3 server (s3rver, which verifies SigV4),
 * through the Linux port's libcurl HTTP op, on 127.0.0.1 only. The server
 * is started by scripts/s3rver.sh on a free port for this test and stopped
 * after. When Node.js or the npm package is genuinely missing (the script
 * exits 77), the program says why and exits 77 before running any case:
 * CTest (SKIP_RETURN_CODE 77) shows the whole test as skipped, not passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutproxy.h"
#include "ts_linux.h"
#include "twinslot/err.h"
#include "twinslot/s3.h"

static char state_dir[256];
static int server_port;

struct client {
	char ep[64];
	struct ts_linux *lx;
	struct ts_port port;
	struct ts_s3 s3;
};

static void client_open(struct client *c, int port, const char *secret, bool anon)
{
	struct ts_linux_cfg lc = { .http = true };
	char msg[200];
	assert_int_equal(ts_linux_open(&c->lx, &lc, &c->port, msg, sizeof msg), TS_OK);
	char *ep = c->ep;
	snprintf(ep, sizeof c->ep, "http://127.0.0.1:%d", port);
	struct ts_s3_config cfg = {
		.endpoint = ep, .bucket = "twinslot", .region = "us-east-1",
		.creds = { anon ? NULL : "S3RVER", secret, NULL },
		.timeout_ms = 5000, .max_attempts = 3,
	};
	assert_int_equal(ts_s3_init(&c->s3, &c->port, &cfg), TS_OK);
}

static void client_close(struct client *c)
{
	ts_linux_close(c->lx);
}

/* ---- bodies ----------------------------------------------------------- */

static int put_bytes(struct client *c, const char *key, const uint8_t *p, size_t n)
{
	return ts_s3_put_buf(&c->s3, key, "application/octet-stream", p, n, NULL);
}

struct collect {
	uint8_t *buf;
	size_t cap;
	uint64_t high;       /* highest offset+len seen */
	unsigned calls, restarts;
	size_t max_piece;
	/* ETag-change test: replace the object once past this offset */
	struct client *other;
	uint64_t replace_at;
	const uint8_t *replacement;
	size_t replacement_len;
	bool replaced;
};

static int collect_data(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct collect *c = arg;
	if (off + n > c->cap)
		return TS_ERR_SIZE;
	memcpy(c->buf + off, p, n);
	if (off + n > c->high)
		c->high = off + n;
	c->calls++;
	if (n > c->max_piece)
		c->max_piece = n;
	if (c->other && !c->replaced && off + n >= c->replace_at) {
		c->replaced = true;
		int rc = put_bytes(c->other, "fw/changing.img", c->replacement,
				   c->replacement_len);
		if (rc)
			print_message("replace failed: %s\n", c->other->s3.error);
	}
	return TS_OK;
}

static int collect_restart(void *arg, const struct ts_s3_object *now)
{
	(void)now;
	struct collect *c = arg;
	c->restarts++;
	c->high = 0;
	memset(c->buf, 0, c->cap);
	return TS_OK;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* ---- tests ------------------------------------------------------------ */

static void signed_put_head_get_are_accepted(void **state)
{
	(void)state;
	struct client c;
	client_open(&c, server_port, "S3RVER", false);
	static uint8_t data[100000], back[100000];
	fill(data, sizeof data, 7);
	assert_int_equal(put_bytes(&c, "fw/1.0.0/slot-a.img", data, sizeof data), TS_OK);
	assert_int_equal(c.s3.status, 200);

	struct ts_s3_object o = { 0 };
	assert_int_equal(ts_s3_head(&c.s3, "fw/1.0.0/slot-a.img", NULL, &o), TS_OK);
	assert_false(o.not_modified);
	assert_int_equal(o.size, sizeof data);
	assert_true(o.etag[0] == '"');

	struct collect col = { .buf = back, .cap = sizeof back };
	struct ts_s3_sink sink = { collect_data, collect_restart, &col };
	struct ts_s3_object g = { 0 };
	assert_int_equal(ts_s3_download(&c.s3, "fw/1.0.0/slot-a.img", &g, &sink), TS_OK);
	assert_int_equal(g.size, sizeof data);
	assert_string_equal(g.etag, o.etag);
	assert_memory_equal(back, data, sizeof data);
	assert_true(col.calls > 1); /* streamed in pieces, not one buffer */
	print_message("GET of %zu bytes came in %u pieces (largest %zu)\n", sizeof data,
		      col.calls, col.max_piece);
	client_close(&c);
}

static void wrong_secret_is_refused_with_signature_does_not_match(void **state)
{
	(void)state;
	struct client c;
	client_open(&c, server_port, "not-the-secret", false);
	uint8_t data[16] = "refused";
	assert_int_equal(put_bytes(&c, "fw/refused.img", data, sizeof data), TS_ERR_DENIED);
	assert_int_equal(c.s3.status, 403);
	print_message("%s\n", c.s3.error);
	assert_non_null(strstr(c.s3.error, "SignatureDoesNotMatch (HTTP 403)"));
	assert_non_null(strstr(c.s3.error, "secret access key is wrong"));

	static uint8_t back[64];
	struct collect col = { .buf = back, .cap = sizeof back };
	struct ts_s3_sink sink = { collect_data, collect_restart, &col };
	struct ts_s3_object g = { 0 };
	assert_int_equal(ts_s3_download(&c.s3, "fw/1.0.0/slot-a.img", &g, &sink),
			 TS_ERR_DENIED);
	assert_non_null(strstr(c.s3.error, "GET s3://twinslot/fw/1.0.0/slot-a.img: "
					   "SignatureDoesNotMatch"));
	assert_int_equal(col.calls, 0);
	client_close(&c);

	/* and nothing was stored by the refused PUT */
	struct client ok;
	client_open(&ok, server_port, "S3RVER", false);
	struct ts_s3_object o;
	assert_int_equal(ts_s3_head(&ok.s3, "fw/refused.img", NULL, &o), TS_ERR_NOENT);
	client_close(&ok);
}

static void missing_object_says_no_such_key(void **state)
{
	(void)state;
	struct client c;
	client_open(&c, server_port, "S3RVER", false);
	static uint8_t back[64];
	struct collect col = { .buf = back, .cap = sizeof back };
	struct ts_s3_sink sink = { collect_data, NULL, &col };
	struct ts_s3_object g = { 0 };
	assert_int_equal(ts_s3_download(&c.s3, "fw/none.img", &g, &sink), TS_ERR_NOENT);
	print_message("%s\n", c.s3.error);
	assert_non_null(strstr(c.s3.error, "NoSuchKey (HTTP 404)"));
	assert_non_null(strstr(c.s3.error, "[server: The specified key does not exist.]"));
	struct ts_s3_object o;
	assert_int_equal(ts_s3_head(&c.s3, "fw/none.img", NULL, &o), TS_ERR_NOENT);
	client_close(&c);
}

/* The agent's poll: HEAD with the stored ETag; nothing new costs exactly
 * one request, whose bytes on the wire are measured here. */
static void unchanged_poll_is_one_head_answered_304(void **state)
{
	(void)state;
	struct client c;
	client_open(&c, server_port, "S3RVER", false);
	const char *m = "{\"schema\":1}";
	assert_int_equal(put_bytes(&c, "fw/manifest.json", (const uint8_t *)m, strlen(m)),
			 TS_OK);
	struct ts_s3_object first;
	assert_int_equal(ts_s3_head(&c.s3, "fw/manifest.json", NULL, &first), TS_OK);

	uint32_t before = c.s3.requests;
	struct ts_s3_object o;
	assert_int_equal(ts_s3_head(&c.s3, "fw/manifest.json", first.etag, &o), TS_OK);
	assert_int_equal(c.s3.requests - before, 1);
	assert_int_equal(c.s3.status, 304);
	assert_true(o.not_modified);
	assert_string_equal(o.etag, first.etag);
	uint64_t out, in;
	ts_linux_http_bytes(c.lx, &out, &in);
	print_message("no-change poll (signed HEAD, If-None-Match, 304): request %llu bytes, "
		      "response %llu bytes, total %llu bytes of HTTP\n",
		      (unsigned long long)out, (unsigned long long)in,
		      (unsigned long long)(out + in));
	assert_true(out > 300 && out < 1000);
	assert_true(in > 50 && in < 600);

	/* A change is seen by the same one request. */
	const char *m2 = "{\"schema\":1,\"v\":2}";
	assert_int_equal(put_bytes(&c, "fw/manifest.json", (const uint8_t *)m2, strlen(m2)),
			 TS_OK);
	before = c.s3.requests;
	assert_int_equal(ts_s3_head(&c.s3, "fw/manifest.json", first.etag, &o), TS_OK);
	assert_int_equal(c.s3.requests - before, 1);
	assert_false(o.not_modified);
	assert_string_not_equal(o.etag, first.etag);
	assert_int_equal(o.size, strlen(m2));
	ts_linux_http_bytes(c.lx, &out, &in);
	print_message("change poll (signed HEAD, If-None-Match, 200): request %llu bytes, "
		      "response %llu bytes, total %llu bytes of HTTP\n",
		      (unsigned long long)out, (unsigned long long)in,
		      (unsigned long long)(out + in));
	client_close(&c);
}

static void presigned_url_downloads_without_credentials(void **state)
{
	(void)state;
	struct client c, anon;
	client_open(&c, server_port, "S3RVER", false);
	client_open(&anon, server_port, NULL, true);
	static uint8_t data[5000], back[5000];
	fill(data, sizeof data, 11);
	assert_int_equal(put_bytes(&c, "fw/presigned.img", data, sizeof data), TS_OK);
	const char *url = ts_s3_presign(&c.s3, "GET", "fw/presigned.img", 300);
	assert_non_null(url);
	assert_non_null(strstr(url, "X-Amz-Signature="));
	char copy_url[TS_S3_URL_MAX];
	snprintf(copy_url, sizeof copy_url, "%s", url);
	struct collect col = { .buf = back, .cap = sizeof back };
	struct ts_s3_sink sink = { collect_data, collect_restart, &col };
	struct ts_s3_object g = { 0 };
	assert_int_equal(ts_s3_download_url(&anon.s3, copy_url, &g, &sink), TS_OK);
	assert_memory_equal(back, data, sizeof data);
	/* A tampered presigned URL is refused. */
	char *sig = strstr(copy_url, "X-Amz-Signature=") + 16;
	sig[0] = sig[0] == '0' ? '1' : '0';
	g = (struct ts_s3_object){ 0 };
	assert_int_equal(ts_s3_download_url(&anon.s3, copy_url, &g, &sink), TS_ERR_DENIED);
	assert_non_null(strstr(anon.s3.error, "SignatureDoesNotMatch"));
	assert_null(strstr(anon.s3.error, "X-Amz-Signature")); /* no secrets in logs */
	client_close(&c);
	client_close(&anon);
}

static void download_cut_at_random_offsets_resumes_byte_identical(void **state)
{
	(void)state;
	struct client c;
	client_open(&c, server_port, "S3RVER", false);
	static uint8_t data[300000], back[300000];
	fill(data, sizeof data, 12345);
	assert_int_equal(put_bytes(&c, "fw/big.img", data, sizeof data), TS_OK);

	struct cutproxy px = { .upstream_port = server_port, .ncuts = 6 };
	uint32_t x = 0x9e3779b9u;
	for (size_t i = 0; i < px.ncuts; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		px.cuts[i] = 1000 + x % 50000; /* past the headers, inside the body */
	}
	assert_int_equal(cutproxy_start(&px), 0);
	struct client via;
	client_open(&via, px.port, "S3RVER", false);
	struct collect col = { .buf = back, .cap = sizeof back };
	struct ts_s3_sink sink = { collect_data, collect_restart, &col };
	struct ts_s3_object g = { 0 };
	int rc = ts_s3_download(&via.s3, "fw/big.img", &g, &sink);
	cutproxy_stop(&px);
	if (rc)
		print_message("%s\n", via.s3.error);
	assert_int_equal(rc, TS_OK);
	print_message("cut %u times at offsets of the connections' first 1000..51000 bytes: "
		      "%u resumes with Range, %u requests\n",
		      px.cut_done, via.s3.resumes, via.s3.requests);
	assert_int_equal(px.cut_done, 6);
	assert_int_equal(via.s3.resumes, 6);
	assert_int_equal(via.s3.restarts, 0);
	assert_int_equal(g.size, sizeof data);
	assert_memory_equal(back, data, sizeof data);
	assert_int_equal(col.restarts, 0);
	client_close(&via);
	client_close(&c);
}

static void ranged_download_cut_delivers_exactly_the_slice(void **state)
{
	(void)state;
	struct client c;
	client_open(&c, server_port, "S3RVER", false);
	static uint8_t data[300000], back[300000];
	fill(data, sizeof data, 777);
	assert_int_equal(put_bytes(&c, "fw/range.img", data, sizeof data), TS_OK);

	struct cutproxy px = { .upstream_port = server_port, .ncuts = 3,
			       .cuts = { 5000, 20000, 9000 } };
	assert_int_equal(cutproxy_start(&px), 0);
	struct client via;
	client_open(&via, px.port, "S3RVER", false);
	struct collect col = { .buf = back, .cap = sizeof back };
	struct ts_s3_sink sink = { collect_data, collect_restart, &col };
	struct ts_s3_object g = { 0 };
	const uint64_t from = 100001, len = 150000;
	int rc = ts_s3_download_range(&via.s3, "fw/range.img", from, len, &g, &sink);
	cutproxy_stop(&px);
	if (rc)
		print_message("%s\n", via.s3.error);
	assert_int_equal(rc, TS_OK);
	assert_int_equal(px.cut_done, 3);
	assert_int_equal(via.s3.resumes, 3);
	assert_int_equal(g.size, sizeof data);        /* the whole object's size */
	assert_int_equal(col.high, from + len);       /* nothing past the range */
	for (size_t i = 0; i < from; i++)
		assert_int_equal(back[i], 0);             /* nothing before it */
	assert_memory_equal(back + from, data + from, len);
	client_close(&via);
	client_close(&c);
}

static void etag_change_mid_download_restarts(void **state)
{
	(void)state;
	struct client c, other;
	client_open(&c, server_port, "S3RVER", false);
	client_open(&other, server_port, "S3RVER", false);
	static uint8_t v1[200000], v2[200000], back[200000];
	fill(v1, sizeof v1, 1);
	fill(v2, sizeof v2, 2);
	assert_int_equal(put_bytes(&c, "fw/changing.img", v1, sizeof v1), TS_OK);
	struct ts_s3_object h1;
	assert_int_equal(ts_s3_head(&c.s3, "fw/changing.img", NULL, &h1), TS_OK);

	/* The first connection is cut at 80000 bytes; the object is replaced
	 * once 40000 bytes have arrived, so the resume finds a new ETag. */
	struct cutproxy px = { .upstream_port = server_port, .ncuts = 1, .cuts = { 80000 } };
	assert_int_equal(cutproxy_start(&px), 0);
	struct client via;
	client_open(&via, px.port, "S3RVER", false);
	struct collect col = { .buf = back, .cap = sizeof back, .other = &other,
			       .replace_at = 40000, .replacement = v2,
			       .replacement_len = sizeof v2 };
	struct ts_s3_sink sink = { collect_data, collect_restart, &col };
	struct ts_s3_object g = { 0 };
	memcpy(g.etag, h1.etag, sizeof g.etag); /* we want what HEAD saw... */
	int rc = ts_s3_download(&via.s3, "fw/changing.img", &g, &sink);
	cutproxy_stop(&px);
	if (rc)
		print_message("%s\n", via.s3.error);
	assert_int_equal(rc, TS_OK);
	assert_true(col.replaced);
	assert_int_equal(col.restarts, 1);    /* ...it changed: start over */
	assert_int_equal(via.s3.restarts, 1);
	assert_string_not_equal(g.etag, h1.etag);
	assert_memory_equal(back, v2, sizeof v2);

	/* Without a restart hook the change is refused, clearly. */
	struct ts_s3_object h2;
	assert_int_equal(ts_s3_head(&c.s3, "fw/changing.img", NULL, &h2), TS_OK);
	g = h1;
	struct ts_s3_sink strict = { collect_data, NULL, &col };
	col.other = NULL;
	assert_int_equal(ts_s3_download(&c.s3, "fw/changing.img", &g, &strict),
			 TS_ERR_STATE);
	assert_non_null(strstr(c.s3.error, "the object changed"));
	client_close(&via);
	client_close(&other);
	client_close(&c);
}

/* ---- server ----------------------------------------------------------- */

/* The exit status that tells CTest (SKIP_RETURN_CODE) the test was skipped. */
#define SKIPPED 77

/* 0 with server_port set, SKIPPED when the server is unavailable, or -1. */
static int start_server(void)
{
	snprintf(state_dir, sizeof state_dir, "/tmp/ts-cloud-s3-%d", (int)getpid());
	char cmd[512];
	snprintf(cmd, sizeof cmd, "%s/scripts/s3rver.sh start %s twinslot", TS_SOURCE_DIR,
		 state_dir);
	FILE *f = popen(cmd, "r");
	if (!f) {
		perror("popen scripts/s3rver.sh");
		return -1;
	}
	int port = 0;
	if (fscanf(f, "%d", &port) != 1)
		port = 0;
	int st = pclose(f);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (code == SKIPPED) {
		printf("SKIPPED: Node.js/npm or the s3rver package is unavailable "
		       "(scripts/s3rver.sh said why above; run scripts/setup.sh)\n");
		return SKIPPED;
	}
	if (code != 0 || port <= 0) {
		printf("FAIL: scripts/s3rver.sh failed (exit %d)\n", code);
		return -1;
	}
	server_port = port;
	printf("s3rver on 127.0.0.1:%d\n", port);
	fflush(stdout);
	return 0;
}

static int stop_server(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "%s/scripts/s3rver.sh stop %s; rm -rf %s", TS_SOURCE_DIR,
		 state_dir, state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signed_put_head_get_are_accepted),
		cmocka_unit_test(wrong_secret_is_refused_with_signature_does_not_match),
		cmocka_unit_test(missing_object_says_no_such_key),
		cmocka_unit_test(unchanged_poll_is_one_head_answered_304),
		cmocka_unit_test(presigned_url_downloads_without_credentials),
		cmocka_unit_test(download_cut_at_random_offsets_resumes_byte_identical),
		cmocka_unit_test(ranged_download_cut_delivers_exactly_the_slice),
		cmocka_unit_test(etag_change_mid_download_restarts),
	};
	int rc = start_server();
	if (rc == SKIPPED)
		return SKIPPED;
	if (rc != 0) {
		stop_server();
		return 1;
	}
	/* cmocka returns the number of failed cases: 0..8, never SKIPPED. */
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (stop_server() != 0) {
		printf("FAIL: scripts/s3rver.sh stop failed\n");
		return failed ? failed : 1;
	}
	return failed;
}
