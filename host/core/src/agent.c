/*
 * The polling agent's decisions (see agent.h): HEAD, manifest, rules,
 * streaming the image in ranged pieces into the update engine, the outcome
 * with NRST pulses for an image that never decides, memory per ETag, report.
 */
#include "twinslot/agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/text.h"
#include "twinslot/version.h"

/* Store keys. */
#define K_ETAG "agent.etag"
#define K_OUTCOME "agent.outcome"
#define K_FAILED "agent.failed"
#define K_BOARD "agent.board"

void ts_agent_default_cfg(struct ts_agent_cfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->manifest_key = "manifest.json";
	cfg->interval_ms = 60000;
	cfg->jitter_ms = 6000;
	cfg->max_resets = 5;
	cfg->max_tries = 3;
	cfg->max_backoff_ms = 3600000;
}

const char *ts_agent_verdict_name(enum ts_agent_verdict v)
{
	switch (v) {
	case TS_AGENT_UNCHANGED: return "unchanged";
	case TS_AGENT_SKIPPED: return "skipped";
	case TS_AGENT_CONFIRMED: return "confirmed";
	case TS_AGENT_ROLLED_BACK: return "rolled_back";
	case TS_AGENT_NO_VERDICT: return "no_verdict";
	case TS_AGENT_FAILED: return "failed";
	case TS_AGENT_STOPPED: return "stopped";
	}
	return "?";
}

uint32_t ts_agent_delay_ms(const struct ts_agent_cfg *cfg, uint32_t rnd)
{
	uint64_t iv = cfg->interval_ms;
	uint64_t j = cfg->jitter_ms < iv ? cfg->jitter_ms : iv;
	return (uint32_t)(iv - j + (uint64_t)rnd % (2 * j + 1));
}

uint32_t ts_agent_next_delay_ms(const struct ts_agent *a, uint32_t rnd)
{
	uint64_t d = ts_agent_delay_ms(&a->cfg, rnd);
	if (!a->fail_streak)
		return (uint32_t)d;
	uint64_t cap = a->cfg.max_backoff_ms > d ? a->cfg.max_backoff_ms : d;
	for (uint32_t i = 0; i < a->fail_streak && i < 32 && d < cap; i++)
		d *= 2;
	return (uint32_t)(d < cap ? d : cap);
}

#define say(a, lv, ...) ts_port_log((a)->port, lv, __VA_ARGS__)

static void setmsg(struct ts_agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void setmsg(struct ts_agent *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* ---- the store -------------------------------------------------------- */

static void put_u32(struct ts_agent *a, const char *key, uint32_t v)
{
	uint8_t b[4];
	ts_put32(b, v);
	if (a->port->store && a->port->store->put(a->port->store_ctx, key, b, 4) != TS_OK)
		say(a, TS_LOG_WARN, "cannot store %s", key);
}

static bool get_u32(struct ts_agent *a, const char *key, uint32_t *v)
{
	uint8_t b[4];
	if (!a->port->store || a->port->store->get(a->port->store_ctx, key, b, 4) != 4)
		return false;
	*v = ts_get32(b);
	return true;
}

static void put_str(struct ts_agent *a, const char *key, const char *s)
{
	if (a->port->store && a->port->store->put(a->port->store_ctx, key, s, strlen(s)) != TS_OK)
		say(a, TS_LOG_WARN, "cannot store %s", key);
}

int ts_agent_init(struct ts_agent *a, const struct ts_agent_cfg *cfg,
		  const struct ts_port *port, struct ts_s3 *s3, struct ts_update *u)
{
	if (!a || !cfg || !port || !s3 || !cfg->manifest_key || !cfg->manifest_key[0])
		return TS_ERR_INVAL;
	memset(a, 0, sizeof *a);
	a->cfg = *cfg;
	if (!a->cfg.max_tries)
		a->cfg.max_tries = 1;
	a->port = port;
	a->s3 = s3;
	a->u = u;
	a->install = ts_agent_install;
	if (port->store) {
		long n = port->store->get(port->store_ctx, K_ETAG, a->etag, sizeof a->etag - 1);
		a->etag[n > 0 ? n : 0] = '\0';
	}
	a->has_failed = get_u32(a, K_FAILED, &a->failed_version);
	a->has_board_version = get_u32(a, K_BOARD, &a->board_version);
	return TS_OK;
}

/* ---- the manifest ----------------------------------------------------- */

static int text_data(void *arg, uint64_t offset, const uint8_t *data, size_t len)
{
	struct ts_agent *a = arg;
	if (offset != a->text_len)
		return TS_ERR_PROTO;
	if (a->text_len + len > TS_MANIFEST_MAX)
		return TS_ERR_SIZE;
	memcpy(a->text + a->text_len, data, len);
	a->text_len += len;
	return TS_OK;
}

static int text_restart(void *arg, const struct ts_s3_object *now)
{
	struct ts_agent *a = arg;
	a->text_len = 0;
	copy(a->new_etag, sizeof a->new_etag, now->etag);
	return TS_OK;
}

/* ---- the image, in ranged pieces -------------------------------------- */

static int piece_data(void *arg, uint64_t offset, const uint8_t *data, size_t len)
{
	struct ts_agent *a = arg;
	if (offset != a->img_off + a->piece_len)
		return TS_ERR_PROTO;
	memcpy(a->piece + a->piece_len, data, len);
	a->piece_len += len;
	return TS_OK;
}

static int piece_restart(void *arg, const struct ts_s3_object *now)
{
	struct ts_agent *a = arg;
	setmsg(a, "GET s3://%s/%s: the image changed during the download (ETag %s, was %s); "
		  "the next poll starts again", a->s3->cfg.bucket, a->img->key,
	       now->etag[0] ? now->etag : "?", a->img_etag);
	return TS_ERR_STATE;
}

/* Fill a->piece with the next bytes of the image: one ranged GET, which the
 * S3 client resumes where it stopped if the connection drops, pinned to the
 * image's ETag (If-Match) after the first piece. */
static int fetch_piece(struct ts_agent *a)
{
	const struct ts_manifest_image *img = a->img;
	size_t want = img->size - a->img_off < TS_AGENT_PIECE ? (size_t)(img->size - a->img_off)
							       : TS_AGENT_PIECE;
	struct ts_s3_sink sink = { piece_data, piece_restart, a };
	struct ts_s3_object obj;
	memset(&obj, 0, sizeof obj);
	copy(obj.etag, sizeof obj.etag, a->img_etag);
	a->piece_len = 0;
	a->piece_pos = 0;
	uint32_t resumes = a->s3->resumes;
	int err = ts_s3_download_range(a->s3, img->key, a->img_off, want, &obj, &sink);
	a->piece_retries += a->s3->resumes - resumes;
	if (err) {
		if (!a->msg[0])
			setmsg(a, "%s", a->s3->error[0] ? a->s3->error : ts_strerror(err));
		return err;
	}
	if (obj.size != img->size) {
		setmsg(a, "GET s3://%s/%s: the object is %llu bytes, the manifest says %u",
		       a->s3->cfg.bucket, img->key, (unsigned long long)obj.size,
		       (unsigned)img->size);
		return TS_ERR_SIZE;
	}
	if (!a->img_etag[0])
		copy(a->img_etag, sizeof a->img_etag, obj.etag);
	a->pieces++;
	ts_sha256_update(&a->sha, a->piece, a->piece_len);
	a->img_off += a->piece_len;
	if (a->img_off == img->size) {
		uint8_t h[TS_SHA256_LEN];
		ts_sha256_final(&a->sha, h);
		if (memcmp(h, img->sha256, sizeof h) != 0) {
			/* The last bytes are held back: the engine never commits. */
			setmsg(a, "s3://%s/%s: SHA-256 differs from the manifest's: not installed",
			       a->s3->cfg.bucket, img->key);
			return TS_ERR_HASH;
		}
	}
	return TS_OK;
}

static long image_read(void *arg, uint8_t *buf, size_t n)
{
	struct ts_agent *a = arg;
	if (a->piece_pos == a->piece_len) {
		if (a->img_off == a->img->size)
			return 0;
		int err = fetch_piece(a);
		if (err)
			return err;
	}
	size_t k = a->piece_len - a->piece_pos < n ? a->piece_len - a->piece_pos : n;
	memcpy(buf, a->piece + a->piece_pos, k);
	a->piece_pos += k;
	return (long)k;
}

/* The image from its first byte again (the app path fell back to the ROM):
 * the same ranged GETs from offset 0, hashed anew. */
static int image_rewind(void *arg)
{
	struct ts_agent *a = arg;
	a->img_etag[0] = '\0';
	a->img_off = 0;
	a->piece_len = a->piece_pos = 0;
	ts_sha256_init(&a->sha);
	a->msg[0] = '\0';
	return TS_OK;
}

/* ---- the board step --------------------------------------------------- */

static void leave_rom(struct ts_agent *a)
{
	if (a->u->in_rom)
		ts_update_restart(a->u);
}

/* The engine stopped on request: the board runs its application again. */
static enum ts_agent_verdict stopped(struct ts_agent *a)
{
	setmsg(a, "%s", a->u->msg);
	leave_rom(a);
	return TS_AGENT_STOPPED;
}

enum ts_agent_verdict ts_agent_install(struct ts_agent *a)
{
	struct ts_update *u = a->u;
	char mv[TS_VERSION_STR_MAX], bv[TS_VERSION_STR_MAX];
	ts_version_format(a->m.version, mv);
	if (!u) {
		setmsg(a, "no board configured");
		return TS_AGENT_FAILED;
	}
	if (u->cfg.path == TS_PATH_ROM)
		say(a, TS_LOG_INFO, "entering the board's ROM bootloader");
	else
		say(a, TS_LOG_INFO, "offering the update to the board's application (path %s)",
		    ts_path_name(u->cfg.path));
	int err = ts_update_connect(u);
	if (err == TS_ERR_CANCELED)
		return stopped(a);
	if (err) {
		setmsg(a, "board: %s", u->msg);
		leave_rom(a);
		return TS_AGENT_FAILED;
	}
	const struct ts_board *bd = &u->board;
	if (bd->has_running && bd->ids[bd->running].present) {
		a->board_version = bd->ids[bd->running].version;
		a->has_board_version = true;
		put_u32(a, K_BOARD, a->board_version);
		ts_version_format(a->board_version, bv);
		say(a, TS_LOG_INFO, "board runs v%s in slot %c; slot %c takes the update", bv,
		    ts_slot_name(bd->running), ts_slot_name(bd->target));
		if (!a->cfg.allow_downgrade && a->m.version <= a->board_version) {
			if (a->m.version < a->board_version)
				setmsg(a, "v%s is older than the board's v%s: refused (anti-rollback: "
					  "an old signed release replayed into the bucket is never "
					  "installed)", mv, bv);
			else
				setmsg(a, "v%s is not newer than the board's v%s: nothing to install",
				       mv, bv);
			ts_update_restart(u);
			return TS_AGENT_SKIPPED;
		}
	}
	enum ts_slot t = bd->target;
	a->img = &a->m.image[t];
	a->img_etag[0] = '\0';
	a->img_off = 0;
	a->piece_len = a->piece_pos = 0;
	a->pieces = a->piece_retries = 0;
	ts_sha256_init(&a->sha);
	a->msg[0] = '\0';
	say(a, TS_LOG_INFO, "streaming s3://%s/%s (%u bytes) into slot %c", a->s3->cfg.bucket,
	    a->img->key, (unsigned)a->img->size, ts_slot_name(t));
	struct ts_source src = { image_read, a, image_rewind };
	/* The signed header must agree with the manifest (docs/security.md). */
	u->expect = true;
	u->expect_version = a->m.version;
	u->expect_product_id = ts_manifest_product_id(a->m.product);
	err = ts_update_install(u, &src);
	u->expect = false;
	if (err == TS_ERR_CANCELED)
		return stopped(a);
	if (err) {
		char why[320];
		bool from_s3 = a->msg[0] != 0;
		enum ts_phase phase = u->phase; /* restart moves it on */
		copy(why, sizeof why, from_s3 ? a->msg : u->msg);
		setmsg(a, "install of v%s into slot %c failed (%s; flash %s): %s", mv,
		       ts_slot_name(t), ts_phase_name(phase),
		       phase < TS_PHASE_ERASE ? "untouched" : "not committed", why);
		ts_update_restart(u);
		/* Refused by the checks (not authentic, not for this board): this
		 * manifest is settled, not retried; a transfer failure is retried. */
		return phase == TS_PHASE_CHECK && !from_s3 ? TS_AGENT_SKIPPED : TS_AGENT_FAILED;
	}
	say(a, TS_LOG_INFO, "v%s committed in slot %c (%u ranged GET%s, %u resumed); restarting "
	    "the board", mv, ts_slot_name(t), (unsigned)a->pieces, a->pieces == 1 ? "" : "s",
	    (unsigned)a->piece_retries);
	if ((err = ts_update_restart(u)) != TS_OK) {
		setmsg(a, "restart: %s", u->msg);
		return TS_AGENT_FAILED;
	}
	a->resets = 0;
	for (;;) {
		if ((err = ts_update_wait_outcome(u)) == TS_ERR_CANCELED)
			return stopped(a);
		if (err != TS_OK) {
			setmsg(a, "outcome: %s", u->msg);
			return TS_AGENT_FAILED;
		}
		if (u->outcome == TS_OUTCOME_CONFIRMED) {
			setmsg(a, "v%s booted from slot %c and confirmed itself", mv,
			       ts_slot_name(t));
			return TS_AGENT_CONFIRMED;
		}
		if (u->outcome == TS_OUTCOME_ROLLED_BACK) {
			setmsg(a, "v%s failed its trial after %u NRST pulse%s; the bootloader "
				  "rolled back: \"%s\"", mv, (unsigned)a->resets,
			       a->resets == 1 ? "" : "s", u->console_line);
			return TS_AGENT_ROLLED_BACK;
		}
		if (a->resets >= a->cfg.max_resets) {
			setmsg(a, "v%s: no verdict after %u NRST pulses (last console line: \"%s\")",
			       mv, (unsigned)a->resets, u->console_line);
			return TS_AGENT_NO_VERDICT;
		}
		a->resets++;
		say(a, TS_LOG_WARN, "v%s has not confirmed within %u ms: NRST pulse %u of at most "
		    "%u (each reset is one more trial attempt)", mv,
		    (unsigned)u->cfg.outcome_timeout_ms, (unsigned)a->resets,
		    (unsigned)a->cfg.max_resets);
		if ((err = ts_update_restart(u)) != TS_OK) {
			setmsg(a, "restart: %s", u->msg);
			return TS_AGENT_FAILED;
		}
	}
}

/* ---- the report ------------------------------------------------------- */

static void report(struct ts_agent *a, enum ts_agent_verdict v)
{
	if (!a->cfg.report_prefix || !a->cfg.report_prefix[0])
		return;
	/* The manifest buffer is free again: build the report in it. */
	char *t = a->text;
	size_t n = sizeof a->text, k = 0;
	char e[200], d[TS_AGENT_DEVICE_MAX * 2], msg[700], mv[TS_VERSION_STR_MAX],
		bv[TS_VERSION_STR_MAX] = "";
	const char *dev = a->cfg.device && a->cfg.device[0] ? a->cfg.device : "device";
	ts_json_escape(e, sizeof e, a->new_etag);
	ts_json_escape(d, sizeof d, dev);
	ts_json_escape(msg, sizeof msg, a->msg);
	ts_version_format(a->m.version, mv);
	if (a->has_board_version)
		ts_version_format(a->board_version, bv);
	k = (size_t)snprintf(t, n,
			     "{\"device\":\"%s\",\"manifest_etag\":\"%s\",\"version\":\"%s\","
			     "\"outcome\":\"%s\",\"board_version\":\"%s\",\"nrst_pulses\":%u,"
			     "\"detail\":\"%s\"}\n",
			     d, e, a->m.version ? mv : "", ts_agent_verdict_name(v), bv,
			     (unsigned)a->resets, msg);
	if (k >= n)
		k = n - 1;
	char key[400];
	size_t pl = strlen(a->cfg.report_prefix);
	while (pl && a->cfg.report_prefix[pl - 1] == '/')
		pl--;
	snprintf(key, sizeof key, "%.*s/%s.json", (int)pl, a->cfg.report_prefix, dev);
	int err = ts_s3_put_buf(a->s3, key, "application/json", t, k, NULL);
	if (err)
		say(a, TS_LOG_WARN, "report not written: %s", a->s3->error);
	else
		say(a, TS_LOG_INFO, "report written to s3://%s/%s", a->s3->cfg.bucket, key);
}

/* ---- one poll --------------------------------------------------------- */

/* Settle the new ETag: never looked at again. */
static void settle(struct ts_agent *a, enum ts_agent_verdict v)
{
	copy(a->etag, sizeof a->etag, a->new_etag);
	put_str(a, K_ETAG, a->etag);
	put_str(a, K_OUTCOME, ts_agent_verdict_name(v));
	if (v == TS_AGENT_CONFIRMED) {
		a->board_version = a->m.version;
		a->has_board_version = true;
		put_u32(a, K_BOARD, a->board_version);
	}
	if (v == TS_AGENT_ROLLED_BACK || v == TS_AGENT_NO_VERDICT) {
		a->has_failed = true;
		a->failed_version = a->m.version;
		put_u32(a, K_FAILED, a->failed_version);
	}
	report(a, v);
}

static enum ts_agent_verdict done(struct ts_agent *a, enum ts_agent_verdict v)
{
	a->verdict = v;
	if (v == TS_AGENT_FAILED)
		a->fail_streak++;
	else if (v != TS_AGENT_STOPPED)
		a->fail_streak = 0;
	enum ts_log_level lv = v == TS_AGENT_FAILED || v == TS_AGENT_ROLLED_BACK ||
					       v == TS_AGENT_NO_VERDICT
				       ? TS_LOG_WARN
				       : TS_LOG_INFO;
	if (v != TS_AGENT_UNCHANGED)
		say(a, lv, "%s: %s", ts_agent_verdict_name(v), a->msg);
	return v;
}

enum ts_agent_verdict ts_agent_poll(struct ts_agent *a)
{
	struct ts_s3_object obj;
	const char *key = a->cfg.manifest_key;
	a->polls++;
	a->msg[0] = '\0';
	a->resets = 0;
	a->heads++;
	int err = ts_s3_head(a->s3, key, a->etag[0] ? a->etag : NULL, &obj);
	if (err) {
		setmsg(a, "%s", a->s3->error);
		return done(a, TS_AGENT_FAILED);
	}
	if (obj.not_modified || (a->etag[0] && strcmp(obj.etag, a->etag) == 0)) {
		setmsg(a, "s3://%s/%s unchanged (ETag %s)", a->s3->cfg.bucket, key, a->etag);
		return done(a, TS_AGENT_UNCHANGED);
	}
	copy(a->new_etag, sizeof a->new_etag, obj.etag);
	if (strcmp(a->try_etag, obj.etag) != 0) {
		copy(a->try_etag, sizeof a->try_etag, obj.etag);
		a->tries = 0;
	}
	say(a, TS_LOG_INFO, "s3://%s/%s changed: ETag %s (was %s)", a->s3->cfg.bucket, key,
	    obj.etag, a->etag[0] ? a->etag : "none");

	/* The manifest, small, in memory, pinned to the ETag the HEAD saw. */
	a->text_len = 0;
	memset(&a->m, 0, sizeof a->m);
	struct ts_s3_object mo;
	memset(&mo, 0, sizeof mo);
	copy(mo.etag, sizeof mo.etag, obj.etag);
	struct ts_s3_sink sink = { text_data, text_restart, a };
	err = ts_s3_download(a->s3, key, &mo, &sink);
	enum ts_agent_verdict v;
	if (err == TS_ERR_SIZE) {
		/* A property of the object, not of the network: retrying cannot
		 * help, so it is settled like any other invalid manifest. */
		setmsg(a, "s3://%s/%s refused: larger than %u bytes: not a manifest",
		       a->s3->cfg.bucket, key, (unsigned)TS_MANIFEST_MAX);
		settle(a, TS_AGENT_SKIPPED);
		return done(a, TS_AGENT_SKIPPED);
	}
	if (err) {
		setmsg(a, "%s", a->s3->error);
		v = TS_AGENT_FAILED;
		goto failed;
	}
	copy(a->new_etag, sizeof a->new_etag, mo.etag);
	a->text[a->text_len] = '\0';
	char perr[200];
	err = ts_manifest_parse(a->text, a->text_len, &a->m, perr, sizeof perr);
	if (err) {
		memset(&a->m, 0, sizeof a->m);
		setmsg(a, "s3://%s/%s refused: %s", a->s3->cfg.bucket, key, perr);
		settle(a, TS_AGENT_SKIPPED);
		return done(a, TS_AGENT_SKIPPED);
	}
	char mv[TS_VERSION_STR_MAX], bv[TS_VERSION_STR_MAX];
	ts_version_format(a->m.version, mv);
	say(a, TS_LOG_INFO, "manifest: product %s, v%s", a->m.product, mv);
	if (a->cfg.product && a->cfg.product[0] && strcmp(a->cfg.product, a->m.product) != 0) {
		setmsg(a, "the manifest is for product \"%s\", this device runs \"%s\": ignored",
		       a->m.product, a->cfg.product);
		settle(a, TS_AGENT_SKIPPED);
		return done(a, TS_AGENT_SKIPPED);
	}
	if (a->has_failed && a->m.version == a->failed_version && !a->cfg.allow_downgrade) {
		setmsg(a, "v%s already failed its trial on this board: not retried (publish a "
			  "newer version)", mv);
		settle(a, TS_AGENT_SKIPPED);
		return done(a, TS_AGENT_SKIPPED);
	}
	if (a->has_board_version && a->m.version <= a->board_version && !a->cfg.allow_downgrade) {
		ts_version_format(a->board_version, bv);
		if (a->m.version < a->board_version)
			setmsg(a, "v%s is older than the board's v%s: refused (anti-rollback: an old "
				  "signed release replayed into the bucket is never installed)", mv, bv);
		else
			setmsg(a, "v%s is not newer than the board's v%s: nothing to install", mv, bv);
		settle(a, TS_AGENT_SKIPPED);
		return done(a, TS_AGENT_SKIPPED);
	}
	a->updates++;
	v = a->install(a);
	if (v == TS_AGENT_STOPPED)
		return done(a, v);
	if (v != TS_AGENT_FAILED) {
		settle(a, v);
		return done(a, v);
	}
failed:
	if (++a->tries >= a->cfg.max_tries) {
		char m2[sizeof a->msg];
		copy(m2, sizeof m2, a->msg);
		setmsg(a, "gave up on ETag %s after %u failures: %s", a->new_etag,
		       (unsigned)a->tries, m2);
		settle(a, TS_AGENT_FAILED);
	}
	return done(a, TS_AGENT_FAILED);
}
