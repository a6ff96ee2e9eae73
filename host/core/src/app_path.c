/* The update engine's app path (see app_path.h, docs/app-update.md). */
#include "twinslot/app_path.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"
#include "twinslot/update.h"
#include "twinslot/version.h"

#define OFFER_TRIES 3u
#define REPLY_TRIES 3u
#define STALL_LIMIT 8u /* answers or time-outs in a row without progress */
/* The host waits twice the protocol's answer times (app-update.md
 * "Time-outs" are what an app on silicon needs): a late answer costs
 * nothing, a missed one a whole retry, and an emulated board on a loaded
 * machine runs slower than the wall clock. */
#define SLACK(ms) (2u * (ms))

const char *ts_path_name(enum ts_path p)
{
	switch (p) {
	case TS_PATH_ROM: return "rom";
	case TS_PATH_AUTO: return "auto";
	case TS_PATH_APP: return "app";
	}
	return "?";
}

int ts_path_parse(const char *s, enum ts_path *p)
{
	if (!strcmp(s, "rom"))
		*p = TS_PATH_ROM;
	else if (!strcmp(s, "auto"))
		*p = TS_PATH_AUTO;
	else if (!strcmp(s, "app"))
		*p = TS_PATH_APP;
	else
		return TS_ERR_INVAL;
	return TS_OK;
}

/* ---- plumbing ---- */

__attribute__((format(printf, 3, 4)))
static int fail(struct ts_update *u, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	return err;
}

#define say(u, lvl, ...) ts_port_log((u)->port, lvl, __VA_ARGS__)

static uint64_t now_ms(struct ts_update *u)
{
	return u->port->clock->now_ms(u->port->clock_ctx);
}

static int stopped(struct ts_update *u, const char *where)
{
	if (!u->stop || !*u->stop)
		return TS_OK;
	return fail(u, TS_ERR_CANCELED, "stopped on request %s%s", where,
		    u->committed ? "" : ": nothing committed, the running image keeps running");
}

/* Wire time of n bytes at the line's baud (8N1: 10 bits), rounded up. */
static uint32_t wire_ms(const struct ts_app *a, uint32_t n)
{
	uint32_t baud = a->baud ? a->baud : 115200u;
	return (uint32_t)(((uint64_t)n * 10u * 1000u + baud - 1u) / baud);
}

/* Encode a frame whose payload already sits at a->tx + HEAD_LEN, send it. */
static int send_tx(struct ts_update *u, uint8_t type, uint16_t len)
{
	struct ts_app *a = &u->app;
	int n = ts_appupd_encode(a->tx, sizeof(a->tx), type, a->seq++, a->tx + TS_APPUPD_HEAD_LEN,
				 len);
	if (n < 0)
		return fail(u, n, "app path: cannot encode frame 0x%02X: %s", type, ts_strerror(n));
	int err = u->port->link->write(u->port->link_ctx, a->tx, (size_t)n);
	if (err)
		return fail(u, err, "app path: writing to the serial port: %s", ts_strerror(err));
	a->frames_sent++;
	return TS_OK;
}

static uint8_t *payload(struct ts_update *u)
{
	return u->app.tx + TS_APPUPD_HEAD_LEN;
}

/* The next good frame within timeout_ms: 1 with *f, 0 on time-out, or a
 * negative ts_err from the link. Console text and bad frames are skipped. */
static int recv_frame(struct ts_update *u, uint32_t timeout_ms, struct ts_appupd_frame *f)
{
	struct ts_app *a = &u->app;
	const struct ts_port *p = u->port;
	uint64_t end = now_ms(u) + timeout_ms;
	for (;;) {
		while (a->in_pos < a->in_len) {
			int r = ts_appupd_dec_push(&a->dec, a->in[a->in_pos++], f);
			if (r == 1)
				return 1;
			if (r < 0)
				a->bad_frames++;
		}
		uint64_t t = now_ms(u);
		if (t >= end)
			return 0;
		uint64_t left = end - t;
		long n = p->link->read(p->link_ctx, a->in, sizeof(a->in),
				       left > 100 ? 100u : (uint32_t)left);
		if (n < 0)
			return fail(u, (int)n, "app path: reading the serial port: %s",
				    ts_strerror((int)n));
		a->in_pos = 0;
		a->in_len = (uint8_t)n;
		if (u->stop && *u->stop)
			return 0;
	}
}

/* Wait for a frame of type `want` (or NAK when nak_ok): 1, 0 (time-out) or
 * a negative ts_err. Other frames (stale ACKs, ...) are dropped. */
static int wait_type(struct ts_update *u, uint8_t want, bool nak_ok, uint32_t timeout_ms,
		     struct ts_appupd_frame *f)
{
	uint64_t end = now_ms(u) + timeout_ms;
	for (;;) {
		uint64_t t = now_ms(u);
		if (t >= end)
			return 0;
		int r = recv_frame(u, (uint32_t)(end - t), f);
		if (r <= 0)
			return r;
		if (f->type == want || (nak_ok && f->type == TS_APPUPD_NAK))
			return 1;
	}
}

static int link_baud(struct ts_update *u, uint32_t baud)
{
	int err = u->port->link->configure(u->port->link_ctx, baud, false);
	if (err)
		return fail(u, err, "cannot configure the serial port at %u 8N1: %s", (unsigned)baud,
			    ts_strerror(err));
	u->app.baud = baud;
	return TS_OK;
}

static int hello_ok(struct ts_update *u, const struct ts_appupd_frame *f)
{
	struct ts_appupd_hello h;
	int err = ts_appupd_hello_parse(f->payload, f->len, &h);
	if (err)
		return fail(u, TS_ERR_FORMAT, "app path: the HELLO frame is malformed (%s)",
			    ts_strerror(err));
	if (h.proto != TS_APPUPD_PROTO)
		return fail(u, TS_ERR_UNSUPPORTED, "app path: the application speaks protocol "
			    "version %u, this host %u", (unsigned)h.proto, (unsigned)TS_APPUPD_PROTO);
	if (h.running_slot >= TS_SLOT_COUNT || h.window == 0 || h.max_data < 4 ||
	    h.max_data > TS_APPUPD_DATA_MAX || h.max_data % 4)
		return fail(u, TS_ERR_FORMAT, "app path: implausible HELLO (slot %u, window %u, "
			    "%u bytes per frame)", (unsigned)h.running_slot, (unsigned)h.window,
			    (unsigned)h.max_data);
	u->app.hello = h;
	return TS_OK;
}

/* ---- offer ---- */

int ts_app_offer(struct ts_update *u)
{
	const struct ts_port *p = u->port;
	struct ts_app *a = &u->app;
	struct ts_appupd_frame f;
	int err;

	u->phase = TS_PHASE_CONNECT;
	u->committed = false;
	u->commit_unsure = false;
	if ((err = ts_port_require(p, TS_NEED_LINK | TS_NEED_CLOCK, u->msg, sizeof u->msg)) != 0)
		return err;
	memset(a, 0, sizeof(*a));
	ts_appupd_dec_init(&a->dec, a->rx, sizeof(a->rx));
	if ((err = link_baud(u, u->cfg.console_baud)) != TS_OK)
		return err;
	/* BOOT0 is sampled at reset only: low is where it must be after the
	 * update's restart, and nothing resets now. */
	if ((err = p->link->set_boot0(p->link_ctx, false)) != TS_OK)
		return fail(u, err, "cannot set BOOT0 low: %s (check --pins)", ts_strerror(err));
	p->link->flush_input(p->link_ctx);
	int got = 0;
	for (unsigned i = 0; i < OFFER_TRIES && got == 0; i++) {
		if ((err = stopped(u, "while offering the update")) != TS_OK)
			return err;
		memcpy(payload(u), TS_APPUPD_OFFER, TS_APPUPD_OFFER_LEN);
		if ((err = p->link->write(p->link_ctx, payload(u), TS_APPUPD_OFFER_LEN)) != TS_OK)
			return fail(u, err, "app path: writing to the serial port: %s",
				    ts_strerror(err));
		got = wait_type(u, TS_APPUPD_HELLO, false, SLACK(TS_APPUPD_HELLO_MS), &f);
		if (got < 0)
			return got;
	}
	if (got == 0)
		return fail(u, TS_ERR_NOENT, "no update service answered on the console at %u "
			    "baud (no application running, or one without the service)",
			    (unsigned)u->cfg.console_baud);
	if ((err = hello_ok(u, &f)) != TS_OK)
		return err;

	/* What the board holds, as far as the running application knows. */
	struct ts_board *b = &u->board;
	memset(b, 0, sizeof(*b));
	b->has_running = true;
	b->running = (enum ts_slot)a->hello.running_slot;
	b->target = ts_slot_other(b->running);
	b->ids[b->running].present = true;
	b->ids[b->running].version = a->hello.running_version;
	b->hdr[b->running].version = a->hello.running_version;
	b->hdr[b->running].product_id = a->hello.product_id;
	b->hdr_err[b->running] = TS_OK;
	b->hdr_err[b->target] = TS_ERR_BLANK; /* unknown: the app path never reads it */
	a->active = true;
	a->used = true;
	char v[TS_VERSION_STR_MAX];
	ts_version_format(a->hello.running_version, v);
	say(u, TS_LOG_INFO, "app path: the application's update service answered: v%s in slot %c, "
	    "window %u x %u bytes, up to %u baud", v, ts_slot_name(b->running),
	    (unsigned)a->hello.window, (unsigned)a->hello.max_data, (unsigned)a->hello.max_baud);
	return TS_OK;
}

/* ---- baud ---- */

/* Ask HELLO again (at a new baud): TS_OK when it came. */
static int hello_again(struct ts_update *u, unsigned tries)
{
	struct ts_appupd_frame f;
	for (unsigned i = 0; i < tries; i++) {
		uint16_t n = ts_appupd_hello_req_pack(TS_APPUPD_PROTO, payload(u));
		int err = send_tx(u, TS_APPUPD_HELLO_REQ, n);
		if (err)
			return err;
		int r = wait_type(u, TS_APPUPD_HELLO, false, SLACK(TS_APPUPD_REPLY_MS), &f);
		if (r < 0)
			return r;
		if (r == 1)
			return hello_ok(u, &f);
	}
	return TS_ERR_TIMEOUT;
}

/* The highest baud of the protocol's list both sides allow, below `below`
 * (0: no bound); 0 when none is above the console's. */
static uint32_t pick_baud(struct ts_update *u, uint32_t below)
{
	static const uint32_t list[] = { 1000000, 921600, 500000, 460800, 230400, 115200 };
	for (unsigned i = 0; i < sizeof list / sizeof list[0]; i++)
		if (list[i] <= u->cfg.app_baud && list[i] <= u->app.hello.max_baud &&
		    (!below || list[i] < below))
			return list[i] > u->cfg.console_baud ? list[i] : 0;
	return 0;
}

/* Ask for `want` (the app answers at the old baud, both switch, a HELLO at
 * the new one proves it; without it both go back). TS_OK whatever baud the
 * line ends at, an error only when the app is lost. */
static int switch_baud(struct ts_update *u, uint32_t want)
{
	struct ts_app *a = &u->app;
	uint32_t old = a->baud;
	if (!want || want == old)
		return TS_OK;
	struct ts_appupd_frame f;
	int r = 0;
	for (unsigned i = 0; i < REPLY_TRIES && r == 0; i++) {
		int err = send_tx(u, TS_APPUPD_BAUD, ts_appupd_u32_pack(want, payload(u)));
		if (err)
			return err;
		if ((r = wait_type(u, TS_APPUPD_BAUD_OK, true, SLACK(TS_APPUPD_REPLY_MS), &f)) < 0)
			return r;
	}
	uint32_t got = 0;
	if (r == 1 && (f.type != TS_APPUPD_BAUD_OK || ts_appupd_u32_parse(f.payload, f.len, &got) ||
		       got != want)) {
		say(u, TS_LOG_WARN, "app path: the application did not take %u baud: staying at %u",
		    (unsigned)want, (unsigned)old);
		return TS_OK;
	}
	/* No answer at all: BAUD_OK may have been lost after the app switched,
	 * so look for it at the new baud first, as after a BAUD_OK. */
	int err = link_baud(u, want);
	if (err == TS_OK && hello_again(u, REPLY_TRIES) == TS_OK) {
		say(u, TS_LOG_INFO, "app path: line at %u baud", (unsigned)want);
		return TS_OK;
	}
	/* The app goes back to the old baud when no good frame comes at the
	 * new one within TS_APPUPD_BAUD_CONFIRM_MS: follow it. */
	say(u, TS_LOG_WARN, "app path: no answer at %u baud: back to %u", (unsigned)want,
	    (unsigned)old);
	if ((err = link_baud(u, old)) != TS_OK)
		return err;
	u->port->clock->sleep_ms(u->port->clock_ctx, SLACK(TS_APPUPD_BAUD_CONFIRM_MS));
	u->port->link->flush_input(u->port->link_ctx);
	ts_appupd_dec_reset(&a->dec);
	a->in_pos = a->in_len = 0;
	if (hello_again(u, REPLY_TRIES) != TS_OK)
		return fail(u, TS_ERR_IO, "app path: the application answers neither at %u nor at %u "
			    "baud after the switch: nothing committed, the running image keeps running",
			    (unsigned)want, (unsigned)old);
	return TS_OK;
}

/* ---- install ---- */

/* A NAK's error as text. */
static const char *nak_text(const struct ts_appupd_frame *f, int32_t *code)
{
	uint32_t next;
	*code = TS_ERR_FORMAT;
	if (ts_appupd_nak_parse(f->payload, f->len, code, &next) != TS_OK)
		return "malformed NAK";
	return ts_strerror(*code);
}

static int begin(struct ts_update *u)
{
	struct ts_board *b = &u->board;
	uint32_t base = ts_slot_addr(b->target);
	int first = ts_slot_first_sector(b->target);
	int last = ts_sector_of(base + TS_IMAGE_HDR_SIZE + u->img.app_size - 1u);
	uint32_t sectors = (uint32_t)(last - first + 1);
	/* Twice the protocol's per-sector budget: an app may erase at x8 (4 s
	 * a sector at most), and a resent BEGIN would start its erase over. */
	uint32_t timeout = 2u * TS_APPUPD_ERASE_MS * sectors + TS_APPUPD_REPLY_MS;
	struct ts_appupd_frame f;
	uint64_t t0 = now_ms(u);

	u->phase = TS_PHASE_ERASE;
	for (unsigned i = 0; i < 2u; i++) {
		int err = stopped(u, "before BEGIN");
		if (err)
			return err;
		uint16_t n = ts_appupd_begin_pack(u->img_hdr, TS_IMAGE_HDR_SIZE + u->img.app_size,
						  payload(u));
		if ((err = send_tx(u, TS_APPUPD_BEGIN, n)) != TS_OK)
			return err;
		ts_port_progress(u->port, "erase", 0, sectors);
		int r = wait_type(u, TS_APPUPD_ACK, true, timeout + wire_ms(&u->app, n + 9u), &f);
		if (r < 0)
			return r;
		if (r == 0) {
			u->app.timeouts++;
			continue;
		}
		if (f.type == TS_APPUPD_NAK) {
			int32_t code;
			const char *why = nak_text(&f, &code);
			return fail(u, code < 0 ? code : TS_ERR_STATE, "app path: the application "
				    "refused BEGIN: %s (slot %c untouched or without a header; the "
				    "running image keeps running)", why, ts_slot_name(b->target));
		}
		uint32_t next;
		if (ts_appupd_u32_parse(f.payload, f.len, &next) == TS_OK && next == 0) {
			ts_port_progress(u->port, "erase", sectors, sectors);
			u->app.ms_begin = now_ms(u) - t0;
			say(u, TS_LOG_INFO, "app path: the application erased sector%s %d-%d (slot %c) "
			    "in %u ms", sectors > 1 ? "s" : "", first, last, ts_slot_name(b->target),
			    (unsigned)u->app.ms_begin);
			return TS_OK;
		}
	}
	return fail(u, TS_ERR_TIMEOUT, "app path: no answer to BEGIN within %u ms, twice "
		    "(erasing %u sector%s): nothing committed, the running image keeps running",
		    (unsigned)timeout, (unsigned)sectors, sectors > 1 ? "s" : "");
}

/* Fill the window from the source up to `cap` bytes: hashes as it reads. */
static int refill(struct ts_update *u, const struct ts_source *src, struct ts_sha256 *sha,
		  uint32_t acked, uint32_t *have, uint32_t cap)
{
	uint32_t total = u->img.app_size;
	while (*have < cap && acked + *have < total) {
		uint32_t n = cap - *have;
		if (n > total - acked - *have)
			n = total - acked - *have;
		long r = ts_source_read_full(src, u->app.win + *have, n);
		if (r < 0)
			return fail(u, (int)r, "reading the image at byte %u: %s",
				    (unsigned)(TS_IMAGE_HDR_SIZE + acked + *have), ts_strerror((int)r));
		if ((uint32_t)r < n)
			return fail(u, TS_ERR_FORMAT, "the image ended after %u of its %u application "
				    "bytes (nothing committed, the running image keeps running)",
				    (unsigned)(acked + *have + (uint32_t)r), (unsigned)total);
		ts_sha256_update(sha, u->app.win + *have, n);
		*have += n;
	}
	return TS_OK;
}

static int stream(struct ts_update *u, const struct ts_source *src)
{
	struct ts_app *a = &u->app;
	uint32_t total = u->img.app_size, chunk = a->hello.max_data;
	uint32_t frames = a->hello.window;
	if (frames > TS_APP_WINDOW_BYTES / chunk)
		frames = TS_APP_WINDOW_BYTES / chunk;
	uint32_t cap = frames * chunk;
	uint32_t acked = 0, sent = 0, top = 0, have, idle = 0;
	struct ts_sha256 sha;
	uint8_t digest[TS_SHA256_LEN];
	uint64_t t0 = now_ms(u);
	int err;

	u->phase = TS_PHASE_WRITE;
	ts_sha256_init(&sha);
	/* ts_update_check read the first block already. */
	have = total < sizeof(u->block) ? total : (uint32_t)sizeof(u->block);
	memcpy(a->win, u->block, have);
	ts_sha256_update(&sha, a->win, have);
	while (acked < total) {
		if ((err = stopped(u, "while sending the image")) != TS_OK)
			return err;
		if ((err = refill(u, src, &sha, acked, &have, cap)) != TS_OK)
			return err;
		uint32_t burst = 0;
		uint8_t seq0 = a->seq;
		while (sent < acked + have) {
			uint32_t n = acked + have - sent;
			if (n > chunk)
				n = chunk;
			bool last = sent + n == acked + have;
			uint16_t len = ts_appupd_data_pack(sent, last ? TS_APPUPD_DATA_ACK_NOW : 0,
							   a->win + (sent - acked), (uint16_t)n,
							   payload(u));
			if ((err = send_tx(u, TS_APPUPD_DATA, len)) != TS_OK)
				return err;
			a->data_frames++;
			if (sent < top)
				a->resent_frames++;
			sent += n;
			if (sent > top)
				top = sent;
			burst += len + TS_APPUPD_HEAD_LEN + TS_APPUPD_CRC_LEN;
		}
		struct ts_appupd_frame f;
		uint8_t nburst = (uint8_t)(a->seq - seq0);
		uint64_t until = now_ms(u) + SLACK(TS_APPUPD_WINDOW_ACK_MS) + wire_ms(a, burst);
		uint32_t next = acked;
		int r;
		for (;;) {
			uint64_t t = now_ms(u);
			r = t < until ? wait_type(u, TS_APPUPD_ACK, true, (uint32_t)(until - t), &f) : 0;
			if (r <= 0)
				break;
			/* An answer to an earlier burst that brings nothing new
			 * (its seq is not one of this burst's): not a loss. */
			uint32_t v = acked;
			if (f.type == TS_APPUPD_ACK)
				(void)ts_appupd_u32_parse(f.payload, f.len, &v);
			if ((uint8_t)(f.seq - seq0) < nburst || (v > acked && v <= sent))
				break;
		}
		if (r < 0)
			return r;
		if (r == 0) {
			a->timeouts++;
		} else if (f.type == TS_APPUPD_NAK) {
			int32_t code;
			a->naks++;
			if (ts_appupd_nak_parse(f.payload, f.len, &code, &next) != TS_OK)
				next = acked;
			if (code == TS_ERR_FLASH || code == TS_ERR_TIMEOUT || code == TS_ERR_STATE ||
			    code == TS_ERR_SIZE)
				return fail(u, code, "app path: the application stopped the transfer at "
					    "byte %u: %s (nothing committed, the running image keeps "
					    "running)", (unsigned)acked, ts_strerror(code));
		} else if (ts_appupd_u32_parse(f.payload, f.len, &next) != TS_OK) {
			next = acked;
		}
		if (next > acked && next <= sent) {
			uint32_t d = next - acked;
			memmove(a->win, a->win + d, have - d);
			have -= d;
			acked = next;
			idle = 0;
			u->bytes_written = acked;
			ts_port_progress(u->port, "write", acked, total);
		} else if (++idle == STALL_LIMIT / 2 && pick_baud(u, a->baud)) {
			/* The app loses bytes at this rate (it claimed more than it
			 * keeps up with): one step down, once per step. */
			uint32_t from = a->baud;
			for (uint32_t to = pick_baud(u, from); to && a->baud == from; to = pick_baud(u, to))
				if ((err = switch_baud(u, to)) != TS_OK)
					return err;
			if (a->baud != from) {
				say(u, TS_LOG_WARN, "app path: no progress at %u baud: now at %u",
				    (unsigned)from, (unsigned)a->baud);
				idle = 0;
			}
		} else if (idle > STALL_LIMIT) {
			return fail(u, TS_ERR_TIMEOUT, "app path: no progress at byte %u of %u after %u "
				    "windows (%u time-outs, %u NAKs): the link is too noisy or the "
				    "application stopped; nothing committed, the running image keeps "
				    "running", (unsigned)acked, (unsigned)total, STALL_LIMIT,
				    (unsigned)a->timeouts, (unsigned)a->naks);
		}
		sent = acked; /* go back: resend whatever was not acknowledged */
	}
	a->ms_data = now_ms(u) - t0;
	uint8_t extra;
	if (ts_source_read_full(src, &extra, 1) != 0)
		return fail(u, TS_ERR_FORMAT, "the image is longer than its header says (%u "
			    "application bytes): nothing committed", (unsigned)total);
	u->phase = TS_PHASE_VERIFY;
	ts_sha256_final(&sha, digest);
	if (memcmp(digest, u->img.app_sha256, TS_SHA256_LEN) != 0)
		return fail(u, TS_ERR_HASH, "the streamed application's SHA-256 does not match the "
			    "image header: nothing committed (slot %c left without a header)",
			    ts_slot_name(u->board.target));
	return TS_OK;
}

static int end(struct ts_update *u)
{
	struct ts_board *b = &u->board;
	struct ts_appupd_frame f;
	uint64_t t0 = now_ms(u);
	u->phase = TS_PHASE_COMMIT;
	int err = stopped(u, "before END");
	if (err)
		return err;
	for (unsigned i = 0; i < REPLY_TRIES; i++) {
		/* From END on, the app may commit whatever happens to its answer. */
		u->commit_unsure = true;
		if ((err = send_tx(u, TS_APPUPD_END, 0)) != TS_OK)
			return err;
		int r = wait_type(u, TS_APPUPD_DONE, true, SLACK(TS_APPUPD_END_MS), &f);
		if (r < 0)
			return r;
		if (r == 0) {
			u->app.timeouts++;
			continue;
		}
		int32_t code;
		uint32_t v;
		if (f.type == TS_APPUPD_NAK) {
			nak_text(&f, &code);
		} else if (ts_appupd_u32_parse(f.payload, f.len, &v) != TS_OK) {
			continue;
		} else {
			code = (int32_t)v;
		}
		u->commit_unsure = false;
		if (code != TS_OK)
			return fail(u, code < 0 ? code : TS_ERR_STATE, "app path: the application did "
				    "not commit the image: %s (nothing committed, the running image "
				    "keeps running)", ts_strerror(code));
		u->committed = true;
		u->app.ms_end = now_ms(u) - t0;
		b->hdr[b->target] = u->img;
		b->hdr_err[b->target] = TS_OK;
		b->ids[b->target].present = true;
		b->ids[b->target].version = u->img.version;
		memcpy(b->ids[b->target].hash, u->img.app_sha256, TS_RECORD_HASH_LEN);
		return TS_OK;
	}
	return fail(u, TS_ERR_TIMEOUT, "app path: no DONE after END, %u times: the PENDING record "
		    "may or may not be in the journal (see twinslot status)", REPLY_TRIES);
}

int ts_app_install(struct ts_update *u, const struct ts_source *src)
{
	struct ts_board *b = &u->board;
	char v[TS_VERSION_STR_MAX];
	int err;

	u->bytes_written = 0;
	u->blocks_skipped = 0;
	if (!u->app.active)
		return fail(u, TS_ERR_STATE, "app path: no session (offer first)");
	if ((err = ts_update_check(u, src)) != TS_OK) {
		u->app.refused = true;
		return err;
	}
	ts_version_format(u->img.version, v);
	say(u, TS_LOG_INFO, "installing v%s (%u bytes) into slot %c through the application", v,
	    (unsigned)(TS_IMAGE_HDR_SIZE + u->img.app_size), ts_slot_name(b->target));
	if ((err = switch_baud(u, pick_baud(u, 0))) != TS_OK || (err = begin(u)) != TS_OK)
		return err;
	b->ids[b->target].present = false;
	if ((err = stream(u, src)) != TS_OK || (err = end(u)) != TS_OK)
		return err;
	u->bytes_written = TS_IMAGE_HDR_SIZE + u->img.app_size;
	say(u, TS_LOG_INFO, "committed by the application: PENDING v%s in slot %c (erase %u ms, "
	    "data %u ms, commit %u ms; %u frames resent, %u NAKs, %u time-outs)", v,
	    ts_slot_name(b->target), (unsigned)u->app.ms_begin, (unsigned)u->app.ms_data,
	    (unsigned)u->app.ms_end, (unsigned)u->app.resent_frames, (unsigned)u->app.naks,
	    (unsigned)u->app.timeouts);
	return TS_OK;
}

/* ---- restart, abort ---- */

int ts_app_restart(struct ts_update *u)
{
	const struct ts_port *p = u->port;
	struct ts_app *a = &u->app;
	struct ts_appupd_frame f;
	int r = 0, err;

	u->phase = TS_PHASE_RESTART;
	for (unsigned i = 0; i < REPLY_TRIES && r == 0; i++) {
		if ((err = send_tx(u, TS_APPUPD_RESTART,
				   ts_appupd_u8_pack(TS_APPUPD_RESTART_NOW, payload(u)))) != TS_OK)
			return err;
		if ((r = wait_type(u, TS_APPUPD_RESTARTING, false, SLACK(TS_APPUPD_REPLY_MS), &f)) < 0)
			return r;
	}
	a->active = false;
	/* The bootloader and the new image talk at the console baud. */
	if ((err = link_baud(u, u->cfg.console_baud)) != TS_OK)
		return err;
	uint8_t status = TS_APPUPD_RESTARTING_NOW;
	if (r == 1 && ts_appupd_u8_parse(f.payload, f.len, &status) == TS_OK) {
		if (status == TS_APPUPD_RESTARTING_DEFERRED)
			say(u, TS_LOG_INFO, "app path: the application will restart when it is ready");
		else
			say(u, TS_LOG_INFO, "app path: the application is restarting");
		return TS_OK;
	}
	/* No answer: the record is committed, so a reset boots the new image
	 * on trial exactly as after the ROM path. */
	say(u, TS_LOG_WARN, "app path: no answer to RESTART: resetting the board (NRST)");
	if ((err = p->link->set_boot0(p->link_ctx, false)) != TS_OK)
		return fail(u, err, "cannot set BOOT0 low: %s (check --pins)", ts_strerror(err));
	p->link->flush_input(p->link_ctx);
	if ((err = p->link->set_nrst(p->link_ctx, false)) == TS_OK) {
		p->clock->sleep_ms(p->clock_ctx, u->cfg.reset_ms);
		err = p->link->set_nrst(p->link_ctx, true);
	}
	if (err)
		return fail(u, err, "cannot pulse NRST: %s (check --pins)", ts_strerror(err));
	return TS_OK;
}

void ts_app_abort(struct ts_update *u)
{
	struct ts_app *a = &u->app;
	if (!a->active)
		return;
	/* ABORT is answered by NAK(CANCELED): once that came the session is
	 * over and the app back at its console baud; without it the app ends
	 * the session itself after TS_APPUPD_SESSION_MS. */
	struct ts_appupd_frame f;
	char keep0[sizeof u->msg];
	memcpy(keep0, u->msg, sizeof keep0);
	for (unsigned i = 0; i < REPLY_TRIES; i++) {
		if (send_tx(u, TS_APPUPD_ABORT, 0) != TS_OK ||
		    wait_type(u, TS_APPUPD_NAK, false, SLACK(TS_APPUPD_REPLY_MS), &f) != 0)
			break;
	}
	memcpy(u->msg, keep0, sizeof keep0);
	a->active = false;
	/* The app returns to its console baud when the session ends. */
	char keep[sizeof u->msg];
	memcpy(keep, u->msg, sizeof keep);
	(void)link_baud(u, u->cfg.console_baud);
	memcpy(u->msg, keep, sizeof keep);
}
