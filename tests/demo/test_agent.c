/* The agent's decisions (host/core/src/agent.c) against an in-memory S3
 * (a fake http op that counts every request) and, for the full path, the
 * update engine on the in-process board model of tests/host/fake_board.c.
 * Assertions are on the requests made, the store, and the flash bytes. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_board.h"
#include "twinslot/agent.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"
#include "twinslot/version.h"

/* The product id of images for the manifest's product "demo" (docs/security.md). */
#define DEMO_PID ts_manifest_product_id("demo")

/* ---- a fake S3 ---------------------------------------------------------- */

struct obj {
	char key[160];
	uint8_t *data;
	size_t len;
	char etag[40];
};
static struct obj objs[16];
static unsigned etag_counter;
static int n_req, n_head, n_get, n_put, n_304;
static char last_inm[80];
static bool ignore_inm;     /* a server that does not do If-None-Match */
static long cut_after = -1; /* drop the next image GET after this many body bytes */
static int stop_at_get = -1;  /* raise the engine's stop flag at this GET */
static int fail_5xx;          /* answer this many next GETs 503 SlowDown */
static volatile sig_atomic_t stop_flag;

static struct obj *find(const char *key)
{
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
		if (objs[i].data && strcmp(objs[i].key, key) == 0)
			return &objs[i];
	return NULL;
}

static void s3_put(const char *key, const void *data, size_t len)
{
	struct obj *o = find(key);
	for (size_t i = 0; !o && i < sizeof objs / sizeof objs[0]; i++)
		if (!objs[i].data)
			o = &objs[i];
	assert_non_null(o);
	free(o->data);
	snprintf(o->key, sizeof o->key, "%s", key);
	o->data = malloc(len ? len : 1);
	memcpy(o->data, data, len);
	o->len = len;
	snprintf(o->etag, sizeof o->etag, "\"etag-%u\"", ++etag_counter);
}

static void s3_reset(void)
{
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
		free(objs[i].data);
	memset(objs, 0, sizeof objs);
	n_req = n_head = n_get = n_put = n_304 = 0;
	stop_at_get = -1;
	stop_flag = 0;
	ignore_inm = false;
	cut_after = -1;
	fail_5xx = 0;
	last_inm[0] = 0;
}

static const char *hdr(const struct ts_http_request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static int fake_http(void *ctx, const struct ts_http_request *r, const struct ts_http_response *s,
		     char *why, size_t why_len)
{
	(void)ctx;
	(void)why;
	(void)why_len;
	n_req++;
	const char *p = strstr(r->url, "/bucket/");
	assert_non_null(p);
	struct obj *o = find(p + 8);
	char len[32], cr[80];
	int rc;
	if (strcmp(r->method, "PUT") == 0) {
		n_put++;
		uint8_t *b = malloc(r->body_len + 1);
		size_t got = 0;
		long k;
		while (got < r->body_len && (k = r->read_body(r->body_arg, b + got, r->body_len - got)) > 0)
			got += (size_t)k;
		s3_put(p + 8, b, got);
		free(b);
		if ((rc = s->on_status(s->arg, 200)) != 0)
			return rc;
		return s->on_header(s->arg, "ETag", find(p + 8)->etag);
	}
	if (!o)
		return s->on_status(s->arg, 404);
	if (strcmp(r->method, "HEAD") == 0) {
		n_head++;
		const char *inm = hdr(r, "If-None-Match");
		snprintf(last_inm, sizeof last_inm, "%s", inm ? inm : "");
		if (inm && !ignore_inm && strcmp(inm, o->etag) == 0) {
			n_304++;
			return s->on_status(s->arg, 304);
		}
		snprintf(len, sizeof len, "%zu", o->len);
		if ((rc = s->on_status(s->arg, 200)) || (rc = s->on_header(s->arg, "ETag", o->etag)) ||
		    (rc = s->on_header(s->arg, "Content-Length", len)))
			return rc;
		return 0;
	}
	n_get++;
	if (fail_5xx > 0) {
		static const char body[] = "<Error><Code>SlowDown</Code><Message>Please reduce "
					   "your request rate.</Message></Error>";
		fail_5xx--;
		if ((rc = s->on_status(s->arg, 503)) != 0)
			return rc;
		return s->on_body(s->arg, (const uint8_t *)body, sizeof body - 1);
	}
	if (n_get == stop_at_get)
		stop_flag = 1; /* as a SIGTERM would, in the middle of the image */
	const char *im = hdr(r, "If-Match");
	if (im && im[0] && strcmp(im, o->etag) != 0)
		return s->on_status(s->arg, 412);
	size_t a = 0, e = o->len - 1;
	const char *range = hdr(r, "Range");
	unsigned long long ra, rb;
	int status = 200;
	if (range && sscanf(range, "bytes=%llu-%llu", &ra, &rb) == 2) {
		a = (size_t)ra;
		e = rb < o->len ? (size_t)rb : o->len - 1;
		status = 206;
	} else if (range && sscanf(range, "bytes=%llu-", &ra) == 1) {
		a = (size_t)ra;
		status = 206;
	}
	snprintf(len, sizeof len, "%zu", e - a + 1);
	snprintf(cr, sizeof cr, "bytes %zu-%zu/%zu", a, e, o->len);
	if ((rc = s->on_status(s->arg, status)) || (rc = s->on_header(s->arg, "ETag", o->etag)) ||
	    (rc = s->on_header(s->arg, "Content-Length", len)) ||
	    (status == 206 && (rc = s->on_header(s->arg, "Content-Range", cr))))
		return rc;
	for (size_t pos = a; pos <= e;) {
		size_t k = e + 1 - pos < 1000 ? e + 1 - pos : 1000;
		if (cut_after >= 0 && strstr(o->key, ".img")) {
			if ((long)(pos - a) >= cut_after) {
				cut_after = -1;
				return TS_ERR_IO; /* the connection dropped */
			}
			if ((long)(pos - a + k) > cut_after)
				k = (size_t)cut_after - (pos - a);
		}
		if ((rc = s->on_body(s->arg, o->data + pos, k)) != 0)
			return rc;
		pos += k;
	}
	return 0;
}

/* ---- a fake store and port ---------------------------------------------- */

static char store_k[16][64];
static uint8_t store_v[16][128];
static size_t store_n[16];

static long st_get(void *ctx, const char *key, void *buf, size_t n)
{
	(void)ctx;
	for (int i = 0; i < 16; i++)
		if (strcmp(store_k[i], key) == 0) {
			if (store_n[i] > n)
				return TS_ERR_BUFSIZE;
			memcpy(buf, store_v[i], store_n[i]);
			return (long)store_n[i];
		}
	return TS_ERR_NOENT;
}

static int st_put(void *ctx, const char *key, const void *buf, size_t n)
{
	(void)ctx;
	int free_i = -1;
	for (int i = 0; i < 16; i++) {
		if (strcmp(store_k[i], key) == 0) {
			free_i = i;
			break;
		}
		if (!store_k[i][0] && free_i < 0)
			free_i = i;
	}
	assert_true(free_i >= 0 && n <= sizeof store_v[0]);
	snprintf(store_k[free_i], sizeof store_k[0], "%s", key);
	memcpy(store_v[free_i], buf, n);
	store_n[free_i] = n;
	return TS_OK;
}

static void store_reset(void)
{
	memset(store_k, 0, sizeof store_k);
}

static void plain_log(void *ctx, enum ts_log_level lv, const char *msg)
{
	(void)ctx;
	(void)lv;
	if (getenv("TS_TEST_VERBOSE"))
		fprintf(stderr, "agent: %s\n", msg);
}

/* One port for S3 and the agent, as a platform gives it. */
static const struct ts_http_ops HTTP = { fake_http };
static const struct ts_store_ops STORE = { st_get, st_put };
static const struct ts_sink_ops SINK = { .log = plain_log };
static struct ts_port agent_port = { .http = &HTTP, .store = &STORE, .sink = &SINK };
static struct ts_s3 s3;

static void s3_client(void)
{
	struct ts_s3_config c = { .endpoint = "http://127.0.0.1:9", .bucket = "bucket" };
	assert_int_equal(ts_s3_init(&s3, &agent_port, &c), TS_OK);
}

/* Publish a manifest for version v (images per slot, given or dummies). */
static void publish(uint32_t v, const char *product, const uint8_t *ia, size_t la,
		    const uint8_t *ib, size_t lb)
{
	static const uint8_t dummy[64] = { 1, 2, 3 };
	struct ts_manifest m;
	memset(&m, 0, sizeof m);
	m.schema = 1;
	snprintf(m.product, sizeof m.product, "%s", product);
	m.version = v;
	char vs[TS_VERSION_STR_MAX];
	ts_version_format(v, vs);
	const uint8_t *d[2] = { ia ? ia : dummy, ib ? ib : dummy };
	size_t l[2] = { ia ? la : sizeof dummy, ib ? lb : sizeof dummy };
	for (int s = 0; s < 2; s++) {
		snprintf(m.image[s].key, sizeof m.image[s].key, "fw/%s/slot-%c.img", vs, "ab"[s]);
		m.image[s].size = (uint32_t)l[s];
		ts_sha256(d[s], l[s], m.image[s].sha256);
		s3_put(m.image[s].key, d[s], l[s]);
	}
	char text[TS_MANIFEST_MAX];
	long n = ts_manifest_write(&m, text, sizeof text);
	assert_true(n > 0);
	s3_put("fw/manifest.json", text, (size_t)n);
}

/* ---- decisions, with a fake board step ---------------------------------- */

static int installs;
static enum ts_agent_verdict install_result;

static enum ts_agent_verdict fake_install(struct ts_agent *a)
{
	installs++;
	snprintf(a->msg, sizeof a->msg, "fake install %d", installs);
	return install_result;
}

static struct ts_agent agent;

static void start_agent(uint32_t board_version)
{
	struct ts_agent_cfg c;
	ts_agent_default_cfg(&c);
	c.manifest_key = "fw/manifest.json";
	c.product = "demo";
	c.device = "dev1";
	c.report_prefix = "fw/reports";
	if (board_version) {
		uint8_t b[4] = { (uint8_t)board_version, (uint8_t)(board_version >> 8),
				 (uint8_t)(board_version >> 16), (uint8_t)(board_version >> 24) };
		st_put(NULL, "agent.board", b, 4);
	}
	assert_int_equal(ts_agent_init(&agent, &c, &agent_port, &s3, NULL), TS_OK);
	agent.install = fake_install;
}

static int setup(void **state)
{
	(void)state;
	s3_reset();
	store_reset();
	s3_client();
	installs = 0;
	install_result = TS_AGENT_CONFIRMED;
	return 0;
}

static void no_change_poll_is_exactly_one_head(void **state)
{
	(void)state;
	publish(TS_VERSION(1, 1, 0), "demo", NULL, 0, NULL, 0);
	start_agent(TS_VERSION(1, 0, 0));
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_CONFIRMED);
	char etag[40];
	snprintf(etag, sizeof etag, "%s", find("fw/manifest.json")->etag);

	for (int i = 0; i < 3; i++) {
		n_req = n_head = n_get = n_put = n_304 = 0;
	stop_at_get = -1;
	stop_flag = 0;
		assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
		assert_int_equal(n_req, 1);
		assert_int_equal(n_head, 1);
		assert_int_equal(n_304, 1);
		assert_string_equal(last_inm, etag);
	}
	/* A server that ignores If-None-Match: 200 with the same ETag, still
	 * one request and no change. */
	ignore_inm = true;
	n_req = n_304 = 0;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	assert_int_equal(n_req, 1);
	assert_int_equal(n_304, 0);
	assert_int_equal(installs, 1);
}

static void changed_etag_triggers_one_update(void **state)
{
	(void)state;
	publish(TS_VERSION(1, 0, 0), "demo", NULL, 0, NULL, 0);
	start_agent(TS_VERSION(1, 0, 0));
	/* The board's own version: settled without touching the board. */
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_SKIPPED);
	assert_int_equal(installs, 0);
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);

	publish(TS_VERSION(1, 1, 0), "demo", NULL, 0, NULL, 0);
	n_req = n_head = n_get = n_put = 0;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_CONFIRMED);
	assert_int_equal(installs, 1);
	/* HEAD, GET manifest, PUT report: nothing else (the image is the
	 * install step's, faked here). */
	assert_int_equal(n_head, 1);
	assert_int_equal(n_get, 1);
	assert_int_equal(n_put, 1);
	assert_int_equal(n_req, 3);
	struct obj *rep = find("fw/reports/dev1.json");
	assert_non_null(rep);
	char text[1024];
	snprintf(text, sizeof text, "%.*s", (int)rep->len, (const char *)rep->data);
	assert_non_null(strstr(text, "\"device\":\"dev1\""));
	assert_non_null(strstr(text, "\"version\":\"1.1.0\",\"outcome\":\"confirmed\""));
	assert_non_null(strstr(text, "\"board_version\":\"1.1.0\""));
	for (int i = 0; i < 3; i++)
		assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	assert_int_equal(installs, 1);
	/* Another product's manifest: refused, remembered, no install. */
	publish(TS_VERSION(2, 0, 0), "other", NULL, 0, NULL, 0);
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_SKIPPED);
	assert_non_null(strstr(agent.msg, "for product \"other\""));
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	assert_int_equal(installs, 1);
}

static void failed_release_is_not_retried(void **state)
{
	(void)state;
	publish(TS_VERSION(1, 2, 0), "demo", NULL, 0, NULL, 0);
	start_agent(TS_VERSION(1, 1, 0));
	install_result = TS_AGENT_ROLLED_BACK;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_ROLLED_BACK);
	assert_int_equal(installs, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	/* The agent restarts: the memory is in the store. */
	start_agent(0);
	agent.install = fake_install;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	/* The same version published again (a new ETag): still not retried. */
	publish(TS_VERSION(1, 2, 0), "demo", NULL, 0, NULL, 0);
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_SKIPPED);
	assert_non_null(strstr(agent.msg, "already failed its trial"));
	assert_int_equal(installs, 1);
	/* A newer version is tried. */
	install_result = TS_AGENT_CONFIRMED;
	publish(TS_VERSION(1, 2, 1), "demo", NULL, 0, NULL, 0);
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_CONFIRMED);
	assert_int_equal(installs, 2);
}

static void transient_failures_are_retried_then_remembered(void **state)
{
	(void)state;
	publish(TS_VERSION(1, 1, 0), "demo", NULL, 0, NULL, 0);
	start_agent(TS_VERSION(1, 0, 0));
	install_result = TS_AGENT_FAILED;
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(ts_agent_poll(&agent), TS_AGENT_FAILED);
		assert_int_equal(installs, i);
	}
	assert_non_null(strstr(agent.msg, "gave up"));
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	assert_int_equal(installs, 3);
	/* S3 down (no manifest at all): a failed poll, nothing installed. */
	s3_reset();
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_FAILED);
	assert_int_equal(n_req, 1);
}

static int collect(void *arg, uint64_t offset, const uint8_t *data, size_t len)
{
	struct {
		uint8_t b[20000];
		size_t n;
	} *k = arg;
	(void)offset;
	memcpy(k->b + k->n, data, len);
	k->n += len;
	return TS_OK;
}

/* After each failed poll the wait doubles up to max_backoff; a poll that
 * does not fail ends the back-off, a stop leaves it as it was. */
static void failed_polls_back_off_until_one_succeeds(void **state)
{
	(void)state;
	start_agent(TS_VERSION(1, 0, 0));
	agent.cfg.interval_ms = 10000;
	agent.cfg.jitter_ms = 0;
	agent.cfg.max_backoff_ms = 60000;
	assert_int_equal(ts_agent_next_delay_ms(&agent, 7), 10000);
	s3_reset(); /* S3 answers 404 to everything: each poll fails */
	const uint32_t want[] = { 20000, 40000, 60000, 60000 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ts_agent_poll(&agent), TS_AGENT_FAILED);
		assert_int_equal(agent.fail_streak, i + 1);
		assert_int_equal(ts_agent_next_delay_ms(&agent, 7), want[i]);
	}
	publish(TS_VERSION(1, 1, 0), "demo", NULL, 0, NULL, 0);
	install_result = TS_AGENT_CONFIRMED;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_CONFIRMED);
	assert_int_equal(agent.fail_streak, 0);
	assert_int_equal(ts_agent_next_delay_ms(&agent, 7), 10000);
	/* The cap never shortens a long interval; 0 turns the back-off off. */
	agent.fail_streak = 3;
	agent.cfg.interval_ms = 120000;
	assert_int_equal(ts_agent_next_delay_ms(&agent, 7), 120000);
	agent.cfg.interval_ms = 10000;
	agent.cfg.max_backoff_ms = 0;
	assert_int_equal(ts_agent_next_delay_ms(&agent, 7), 10000);
	/* No overflow with a day's interval and a long streak. */
	agent.cfg.interval_ms = 86400000u;
	agent.cfg.max_backoff_ms = 86400000u;
	agent.fail_streak = 40;
	assert_int_equal(ts_agent_next_delay_ms(&agent, 7), 86400000u);
}

/* 503 SlowDown inside a download: retried after a pause like a dropped
 * connection (an attempt without progress); given up after max_attempts
 * in a row with S3's words in the message. */
static void server_errors_in_a_download_are_retried(void **state)
{
	(void)state;
	static uint8_t img[20000];
	for (size_t i = 0; i < sizeof img; i++)
		img[i] = (uint8_t)(i * 7);
	s3_put("fw/x.img", img, sizeof img);
	struct sink_buf {
		uint8_t b[20000];
		size_t n;
	};
	static struct sink_buf got;
	memset(&got, 0, sizeof got);
	struct ts_s3_object obj;
	memset(&obj, 0, sizeof obj);
	struct ts_s3_sink sink = { collect, NULL, &got };
	fail_5xx = 3;
	uint32_t req0 = s3.requests;
	assert_int_equal(ts_s3_download_range(&s3, "fw/x.img", 1000, 8192, &obj, &sink), TS_OK);
	assert_int_equal(s3.requests - req0, 4);
	assert_int_equal(got.n, 8192);
	assert_memory_equal(got.b, img + 1000, 8192);
	fail_5xx = 100;
	got.n = 0;
	req0 = s3.requests;
	assert_int_equal(ts_s3_download_range(&s3, "fw/x.img", 0, 100, &obj, &sink),
			 TS_ERR_REMOTE);
	assert_int_equal(s3.requests - req0, s3.cfg.max_attempts);
	assert_non_null(strstr(s3.error, "SlowDown (HTTP 503)"));
	assert_int_equal(got.n, 0);
	fail_5xx = 0;
}

/* A manifest over TS_MANIFEST_MAX is refused as invalid, settled at once:
 * not a transient failure retried max_tries times (bad_input campaign). */
static void oversized_manifest_is_skipped_not_retried(void **state)
{
	(void)state;
	static char big[TS_MANIFEST_MAX + 100];
	memset(big, ' ', sizeof big);
	big[0] = '{';
	big[sizeof big - 1] = '}';
	s3_put("fw/manifest.json", big, sizeof big);
	start_agent(TS_VERSION(1, 0, 0));
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_SKIPPED);
	assert_non_null(strstr(agent.msg, "not a manifest"));
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	assert_int_equal(installs, 0);
}

static void jitter_stays_within_bounds(void **state)
{
	(void)state;
	struct ts_agent_cfg c;
	ts_agent_default_cfg(&c);
	c.interval_ms = 10000;
	c.jitter_ms = 2000;
	assert_int_equal(ts_agent_delay_ms(&c, 0), 8000);
	assert_int_equal(ts_agent_delay_ms(&c, 4000), 12000);
	assert_int_equal(ts_agent_delay_ms(&c, 4001), 8000);
	uint32_t lo = UINT32_MAX, hi = 0, x = 12345;
	for (int i = 0; i < 100000; i++) {
		x = x * 1664525u + 1013904223u;
		uint32_t d = ts_agent_delay_ms(&c, x);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_int_equal(lo, 8000);
	assert_int_equal(hi, 12000);
	uint32_t d = ts_agent_delay_ms(&c, UINT32_MAX);
	assert_true(d >= 8000 && d <= 12000);
	/* jitter larger than the interval is capped: never negative */
	c.interval_ms = 1000;
	c.jitter_ms = 5000;
	assert_int_equal(ts_agent_delay_ms(&c, 0), 0);
	assert_int_equal(ts_agent_delay_ms(&c, 2000), 2000);
	c.jitter_ms = 0;
	assert_int_equal(ts_agent_delay_ms(&c, 777), 1000);
	/* the daemon's maximum (a day) does not overflow */
	c.interval_ms = 86400000u;
	c.jitter_ms = 86400000u;
	assert_int_equal(ts_agent_delay_ms(&c, UINT32_MAX), UINT32_MAX % (2u * 86400000u + 1u));
}

/* ---- the full path: S3 -> pieces -> engine -> board model --------------- */

static uint8_t img_a[TS_SLOT_SIZE], img_b[TS_SLOT_SIZE];

static const uint8_t *slot_mem(struct fake_board *fb, int slot)
{
	return fake_board_mem(fb) + (ts_slot_addr((enum ts_slot)slot) - TS_FLASH_BASE);
}

static int rd_journal(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)ctx + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static void journal(struct fake_board *fb, struct ts_journal_state *st)
{
	assert_int_equal(ts_journal_scan(rd_journal, (void *)fake_board_mem(fb), TS_JOURNAL_RECORDS,
					 NULL, st), TS_OK);
}

static long mem_read(void *arg, uint8_t *buf, size_t n)
{
	size_t *st = arg; /* st[0]: pos, st[1]: len, st[2]: pointer */
	const uint8_t *p = (const uint8_t *)(uintptr_t)st[2];
	size_t k = st[1] - st[0] < n ? st[1] - st[0] : n;
	memcpy(buf, p + st[0], k);
	st[0] += k;
	return (long)k;
}

static struct ts_update engine;
static struct ts_port board_port;

static void agent_on_board(struct fake_board *fb, uint32_t timeout_ms)
{
	struct ts_update_cfg c;
	ts_update_default_cfg(&c);
	c.outcome_timeout_ms = timeout_ms;
	c.allow_unsigned = true; /* signatures: tests/host test_update */
	/* slot A: v1.0.0, confirmed */
	uint32_t la = make_image(img_a, TS_SLOT_A, TS_VERSION(1, 0, 0), DEMO_PID, 20000);
	ts_update_init(&engine, &fb->port, &c);
	size_t st[3] = { 0, la, (size_t)(uintptr_t)img_a };
	struct ts_source src = { mem_read, st, NULL };
	assert_int_equal(ts_update_connect(&engine), TS_OK);
	assert_int_equal(ts_update_install(&engine, &src), TS_OK);
	assert_int_equal(ts_update_append(&engine, TS_REC_CONFIRMED, TS_SLOT_A), TS_OK);
	assert_int_equal(ts_update_restart(&engine), TS_OK);
	ts_update_init(&engine, &fb->port, &c);
	board_port = fb->port;
	board_port.store = &STORE;
	board_port.http = &HTTP;
	struct ts_agent_cfg ac;
	ts_agent_default_cfg(&ac);
	ac.manifest_key = "fw/manifest.json";
	ac.product = "demo";
	ac.report_prefix = "fw/reports";
	ac.max_resets = 4;
	assert_int_equal(ts_agent_init(&agent, &ac, &board_port, &s3, &engine), TS_OK);
}

static void streams_the_release_into_the_board(void **state)
{
	(void)state;
	static struct fake_board fb;
	fake_board_open(&fb);
	agent_on_board(&fb, 2000);
	uint32_t la = make_image(img_a, TS_SLOT_A, TS_VERSION(1, 1, 0), DEMO_PID, 50000);
	uint32_t lb = make_image(img_b, TS_SLOT_B, TS_VERSION(1, 1, 0), DEMO_PID, 50000);
	publish(TS_VERSION(1, 1, 0), "demo", img_a, la, img_b, lb);
	fb.console = "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)\n"
		     "twinslot-app: v1.1.0 slot B\ntwinslot-app: confirmed\n";
	cut_after = 3000; /* one image GET drops mid-piece: resumed with Range */
	n_get = 0;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_CONFIRMED);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img_b, lb);
	assert_true(agent.piece_retries >= 1);
	/* manifest + ceil(lb / piece) pieces + the resumed one */
	assert_int_equal(n_get, 1 + (int)((lb + TS_AGENT_PIECE - 1) / TS_AGENT_PIECE) + 1);
	struct ts_journal_state js;
	journal(&fb, &js);
	assert_int_equal(js.newest.type, TS_REC_PENDING);
	assert_int_equal(js.newest.slot, TS_SLOT_B);
	assert_int_equal(js.newest.version, TS_VERSION(1, 1, 0));
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_UNCHANGED);
	fake_board_close(&fb);
}

static void hash_mismatch_commits_nothing(void **state)
{
	(void)state;
	static struct fake_board fb;
	fake_board_open(&fb);
	agent_on_board(&fb, 2000);
	uint32_t la = make_image(img_a, TS_SLOT_A, TS_VERSION(1, 1, 0), DEMO_PID, 30000);
	uint32_t lb = make_image(img_b, TS_SLOT_B, TS_VERSION(1, 1, 0), DEMO_PID, 30000);
	publish(TS_VERSION(1, 1, 0), "demo", img_a, la, img_b, lb);
	/* The stored object differs from what the manifest hashed (one byte of
	 * the last piece): the engine must never see the end of it. */
	struct obj *o = find("fw/1.1.0/slot-b.img");
	o->data[o->len - 5] ^= 1;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_FAILED);
	assert_non_null(strstr(agent.msg, "SHA-256 differs from the manifest"));
	struct ts_journal_state js;
	journal(&fb, &js);
	assert_int_equal(js.newest.type, TS_REC_CONFIRMED);
	assert_int_equal(js.newest.slot, TS_SLOT_A);
	fake_board_close(&fb);
}

static void never_confirming_image_gets_nrst_pulses_until_rollback(void **state)
{
	(void)state;
	static struct fake_board fb;
	fake_board_open(&fb);
	agent_on_board(&fb, 1000);
	uint32_t la = make_image(img_a, TS_SLOT_A, TS_VERSION(1, 2, 0), DEMO_PID, 10000);
	uint32_t lb = make_image(img_b, TS_SLOT_B, TS_VERSION(1, 2, 0), DEMO_PID, 10000);
	publish(TS_VERSION(1, 2, 0), "demo", img_a, la, img_b, lb);
	/* The model plays the same console after every reset; the bootloader's
	 * "rolled back" line is what ends the wait. First: trials that never
	 * confirm, so every pulse is one more reset; max_resets = 4. */
	fb.console = "twinslot-boot: slot B v1.2.0 trial 1/3 (new image)\n"
		     "twinslot-app: v1.2.0 slot B\ntwinslot-app: test variant: running without "
		     "confirming\n";
	unsigned boots = fb.app_boots;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_NO_VERDICT);
	assert_int_equal(agent.resets, 4);
	assert_int_equal(fb.app_boots - boots, 5); /* the restart + 4 pulses */
	struct obj *rep = find("fw/reports/device.json");
	assert_non_null(rep);
	const char *want = "\"outcome\":\"no_verdict\",\"board_version\":\"1.0.0\",\"nrst_pulses\":4";
	assert_non_null(memmem(rep->data, rep->len, want, strlen(want)));
	/* remembered as failed: a new ETag for the same version is skipped */
	publish(TS_VERSION(1, 2, 0), "demo", img_a, la, img_b, lb);
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_SKIPPED);
	fake_board_close(&fb);
}

/* SIGTERM (systemd stopping the agent) in the middle of an install: the
 * engine stops at its next safe point, nothing is committed, the board runs
 * its application again, and the release is not counted as failed. */
static void stop_request_abandons_the_update_uncommitted(void **state)
{
	(void)state;
	static struct fake_board fb;
	fake_board_open(&fb);
	agent_on_board(&fb, 2000);
	engine.stop = &stop_flag;
	uint32_t la = make_image(img_a, TS_SLOT_A, TS_VERSION(1, 1, 0), DEMO_PID, 50000);
	uint32_t lb = make_image(img_b, TS_SLOT_B, TS_VERSION(1, 1, 0), DEMO_PID, 50000);
	publish(TS_VERSION(1, 1, 0), "demo", img_a, la, img_b, lb);
	n_get = 0;
	stop_at_get = 3; /* the manifest, the first piece, then the stop */
	unsigned boots = fb.app_boots;
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_STOPPED);
	assert_non_null(strstr(agent.msg, "stopped on request while writing: nothing committed"));
	assert_false(fb.boot0);                 /* BOOT0 released ... */
	assert_int_equal(fb.app_boots - boots, 1); /* ... and the application reset */
	struct ts_journal_state js;
	journal(&fb, &js);
	assert_int_equal(js.newest.type, TS_REC_CONFIRMED);
	assert_int_equal(js.newest.slot, TS_SLOT_A);
	assert_true(ts_all_ff(slot_mem(&fb, TS_SLOT_B), TS_IMAGE_HDR_SIZE)); /* no header */
	assert_int_equal(agent.tries, 0);        /* not a failure of the release */
	assert_string_equal(agent.etag, "");     /* not settled: tried again later */
	/* Started again, it installs the release. */
	stop_flag = 0;
	fb.console = "twinslot-boot: slot B v1.1.0 trial 1/3 (new image)\n"
		     "twinslot-app: v1.1.0 slot B\ntwinslot-app: confirmed\n";
	assert_int_equal(ts_agent_poll(&agent), TS_AGENT_CONFIRMED);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img_b, lb);
	fake_board_close(&fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(no_change_poll_is_exactly_one_head, setup),
		cmocka_unit_test_setup(changed_etag_triggers_one_update, setup),
		cmocka_unit_test_setup(failed_release_is_not_retried, setup),
		cmocka_unit_test_setup(transient_failures_are_retried_then_remembered, setup),
		cmocka_unit_test_setup(oversized_manifest_is_skipped_not_retried, setup),
		cmocka_unit_test_setup(jitter_stays_within_bounds, setup),
		cmocka_unit_test_setup(failed_polls_back_off_until_one_succeeds, setup),
		cmocka_unit_test_setup(server_errors_in_a_download_are_retried, setup),
		cmocka_unit_test_setup(streams_the_release_into_the_board, setup),
		cmocka_unit_test_setup(hash_mismatch_commits_nothing, setup),
		cmocka_unit_test_setup(never_confirming_image_gets_nrst_pulses_until_rollback, setup),
		cmocka_unit_test_setup(stop_request_abandons_the_update_uncommitted, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	s3_reset();
	return rc;
}
