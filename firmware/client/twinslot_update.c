/* twinslot receive service (the app path's application side): see
 * twinslot_update.h and docs/app-update.md. */
#include "twinslot_update.h"

#include <string.h>

#include "flash.h"
#include "journal_write.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"

static const uint32_t bauds[] = {1000000u, 921600u, 500000u, 460800u, 230400u, 115200u};
static const char offer[] = TS_APPUPD_OFFER;

#define DEFAULT_ERR_PPM 25000u

static int baud_fits(uint32_t clk, uint32_t b, uint32_t max_err)
{
	int32_t e;
	if (!ts_appupd_brr(clk, b, &e))
		return 0;
	return (uint32_t)(e < 0 ? -e : e) <= max_err;
}

uint32_t ts_update_best_baud(uint32_t clk_hz, uint32_t max_err_ppm, uint32_t cap)
{
	if (!max_err_ppm)
		max_err_ppm = DEFAULT_ERR_PPM;
	for (unsigned i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if ((!cap || bauds[i] <= cap) && baud_fits(clk_hz, bauds[i], max_err_ppm))
			return bauds[i];
	return 0;
}

static int baud_allowed(const struct ts_update *u, uint32_t b)
{
	uint32_t err = u->cfg.max_err_ppm ? u->cfg.max_err_ppm : DEFAULT_ERR_PPM;
	for (unsigned i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i] == b)
			return b <= u->max_baud && baud_fits(u->cfg.uart_clk_hz, b, err);
	return 0;
}

static uint32_t now_ms(struct ts_update *u)
{
	return u->io.ms(u->io.ctx);
}

/* Has more than ms passed since `then`? Signed: a step inside the poll may
 * stamp a time later than the poll's own `now`. */
static int after(uint32_t now, uint32_t then, uint32_t ms)
{
	return (int32_t)(now - then) > (int32_t)ms;
}

static void pump(struct ts_update *u)
{
	if (u->io.pump)
		u->io.pump(u->io.ctx);
}

static void idle(struct ts_update *u)
{
	if (u->cfg.idle)
		u->cfg.idle(u->cfg.app_ctx);
}

/* ---- answers ---- */

static uint8_t *txp(struct ts_update *u)
{
	return u->txbuf + TS_APPUPD_HEAD_LEN;
}

static void send(struct ts_update *u, uint8_t type, uint8_t seq, uint16_t len)
{
	int n = ts_appupd_encode(u->txbuf, sizeof(u->txbuf), type, seq, txp(u), len);
	if (n > 0)
		u->io.tx(u->io.ctx, u->txbuf, (uint32_t)n);
}

static void send_u32(struct ts_update *u, uint8_t type, uint8_t seq, uint32_t v)
{
	send(u, type, seq, ts_appupd_u32_pack(v, txp(u)));
}

static void send_nak(struct ts_update *u, uint8_t seq, int err)
{
	send(u, TS_APPUPD_NAK, seq, ts_appupd_nak_pack(err, u->next, txp(u)));
}

static void send_hello(struct ts_update *u, uint8_t seq)
{
	struct ts_appupd_hello h = {
		.proto = TS_APPUPD_PROTO,
		.running_slot = (uint8_t)u->cfg.running,
		.window = u->window,
		.flags = 0,
		.running_version = u->run_version,
		.product_id = u->run_product,
		.max_baud = u->max_baud,
		.max_data = TS_APPUPD_DATA_MAX,
	};
	send(u, TS_APPUPD_HELLO, seq, ts_appupd_hello_pack(&h, txp(u)));
}

/* ---- sessions ---- */

static void set_baud(struct ts_update *u, uint32_t b)
{
	u->io.flush(u->io.ctx);
	u->io.set_baud(u->io.ctx, b);
	u->baud = b;
}

static void start_session(struct ts_update *u)
{
	if (u->session)
		return;
	u->session = 1;
	u->last_frame_ms = now_ms(u);
	memset(&u->report, 0, sizeof(u->report));
}

static void drop_window(struct ts_update *u)
{
	u->nwin = 0;
	u->reply_due = 0;
	u->win_err = TS_OK;
	u->expect = u->next;
	(void)ts_appupd_dec_set_buf(&u->dec, u->win[0], TS_APPUPD_PAYLOAD_MAX);
}

static void end_session(struct ts_update *u, int err)
{
	if (!u->session)
		return;
	drop_window(u);
	u->session = 0;
	u->report.baud = u->baud;
	u->baud_unconfirmed = 0;
	if (u->baud != u->cfg.console_baud)
		set_baud(u, u->cfg.console_baud);
	ts_appupd_dec_reset(&u->dec);
	u->offer_pos = 0;
	u->report.committed = u->xfer == TS_UPD_COMMITTED;
	if (err)
		u->report.err = err;
	u->report.slot = u->target;
	u->report.version = u->hdr.version;
	u->report.bytes = u->next;
	u->report.restart_deferred = u->restart_pending;
	u->report_ready = 1;
}

/* The transfer failed: nothing of it is committed (the slot has no header). */
static void fail_xfer(struct ts_update *u, int err)
{
	u->xfer = TS_UPD_NONE;
	u->report.err = err;
}

/* ---- the transfer ---- */

/* Journal state with the identities of the running image and, when
 * `with_new`, the received one in the target slot. */
static int scan(struct ts_update *u, int with_new, struct ts_journal_state *st)
{
	struct ts_slot_id ids[TS_SLOT_COUNT];
	memset(ids, 0, sizeof(ids));
	ids[u->cfg.running].present = true;
	ids[u->cfg.running].version = u->run_version;
	memcpy(ids[u->cfg.running].hash, u->run_hash, TS_RECORD_HASH_LEN);
	if (with_new) {
		ids[u->target].present = true;
		ids[u->target].version = u->hdr.version;
		memcpy(ids[u->target].hash, u->hdr.app_sha256, TS_RECORD_HASH_LEN);
	}
	return ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, ids, st);
}

static int check_begin(struct ts_update *u, const uint8_t *hb, uint32_t image_len,
		       struct ts_image_header *h, enum ts_slot *slot)
{
	int err = ts_image_header_parse(hb, h);
	if (!err)
		err = ts_image_header_slot(h, slot);
	if (err)
		return err;
	if (*slot == u->cfg.running)
		return TS_ERR_ADDR;
	if (h->product_id != u->run_product)
		return TS_ERR_DENIED;
	if (h->app_size < 8u || image_len != TS_IMAGE_HDR_SIZE + h->app_size)
		return TS_ERR_SIZE;
	/* only a confirmed image takes updates: one on trial may be the bad one */
	struct ts_journal_state st;
	err = scan(u, 0, &st);
	if (err)
		return err;
	if (!st.has_slot[u->cfg.running] || st.slot[u->cfg.running].type != TS_REC_CONFIRMED)
		return TS_ERR_STATE;
	/* below the board's minimum security counter the bootloader would
	 * refuse it: erase nothing for it (the host cannot know the minimum
	 * on this path; docs/security.md) */
	if (h->security_counter < ts_journal_min_counter(&st))
		return TS_ERR_STATE;
	return TS_OK;
}

static void on_begin(struct ts_update *u, const struct ts_appupd_frame *f)
{
	const uint8_t *hb;
	uint32_t image_len;
	if (ts_appupd_begin_parse(f->payload, f->len, &hb, &image_len) != TS_OK) {
		send_nak(u, f->seq, TS_ERR_PROTO);
		return;
	}
	drop_window(u);
	/* the same image again (our ACK was lost, or a new session): resume */
	if (u->xfer == TS_UPD_RECEIVING && memcmp(hb, u->hdr_bytes, TS_IMAGE_HDR_SIZE) == 0 &&
	    image_len == TS_IMAGE_HDR_SIZE + u->hdr.app_size) {
		send_u32(u, TS_APPUPD_ACK, f->seq, u->next);
		return;
	}
	struct ts_image_header h;
	enum ts_slot slot;
	int err = check_begin(u, hb, image_len, &h, &slot);
	if (err) {
		u->report.err = err;
		send_nak(u, f->seq, err);
		return;
	}
	/* From here the other slot is being replaced: forget what it held. */
	u->xfer = TS_UPD_NONE;
	u->restart_pending = 0;
	u->done_err = 1;
	u->next = u->expect = 0;
	u->hdr = h;
	u->target = slot;
	memcpy(u->hdr_bytes, hb, TS_IMAGE_HDR_SIZE);
	/* Erase the sectors the image needs, the header's first, so the slot
	 * stops being valid at the first erase. */
	uint32_t end = ts_slot_addr(slot) + TS_IMAGE_HDR_SIZE + h.app_size;
	for (int s = ts_slot_first_sector(slot); s < TS_FLASH_SECTORS && ts_sector_addr(s) < end;
	     s++) {
		idle(u);
		err = ts_flash_erase_sector(s);
		if (err) {
			fail_xfer(u, err);
			send_nak(u, f->seq, err);
			u->last_frame_ms = now_ms(u);
			return;
		}
	}
	ts_sha256_init(&u->sha);
	u->xfer = TS_UPD_RECEIVING;
	u->last_frame_ms = now_ms(u); /* the erase does not count as silence */
	send_u32(u, TS_APPUPD_ACK, f->seq, 0);
}

/* Program, verify and hash the frames held, then answer. */
static void answer_window(struct ts_update *u)
{
	int err = TS_OK;
	for (uint8_t i = 0; i < u->nwin && !err; i++) {
		uint8_t *p = u->win[i];
		uint32_t off = ts_get32(p);
		uint32_t n = u->wlen[i];
		uint8_t *data = p + TS_APPUPD_DATA_PREFIX;
		uint32_t padded = (n + 3u) & ~3u;
		/* the last frame's tail word: erased-flash bytes (room: n < 1024) */
		for (uint32_t k = n; k < padded; k++)
			data[k] = 0xFF;
		idle(u);
		err = ts_flash_program(u->hdr.load_addr + off, data, padded);
		if (!err) {
			ts_sha256_update(&u->sha, data, n);
			u->next = off + n;
		}
	}
	uint8_t seq = u->last_seq;
	int win_err = u->win_err;
	drop_window(u);
	u->last_frame_ms = now_ms(u);
	if (err) {
		fail_xfer(u, err);
		send_nak(u, seq, err);
	} else if (win_err) {
		send_nak(u, seq, win_err);
	} else {
		send_u32(u, TS_APPUPD_ACK, seq, u->next);
	}
}

static void on_data(struct ts_update *u, const struct ts_appupd_frame *f)
{
	uint32_t off;
	uint8_t flags = 0;
	const uint8_t *data;
	uint16_t n;
	u->reply_due = 1;
	u->last_seq = f->seq;
	int err = ts_appupd_data_parse(f->payload, f->len, &off, &flags, &data, &n);
	pump(u);
	if (err) {
		u->win_err = TS_ERR_PROTO;
	} else if (u->xfer != TS_UPD_RECEIVING) {
		u->win_err = TS_ERR_STATE;
	} else if (off == u->expect) {
		uint32_t size = u->hdr.app_size;
		if ((off & 3u) || n > size - off || ((n & 3u) && off + n != size)) {
			u->win_err = TS_ERR_PROTO;
		} else {
			/* held in place: the decoder wrote it into win[nwin] */
			u->wlen[u->nwin++] = n;
			u->expect = off + n;
			if (u->nwin < u->window)
				(void)ts_appupd_dec_set_buf(&u->dec, u->win[u->nwin],
							    TS_APPUPD_PAYLOAD_MAX);
		}
	}
	/* anything else (a gap after a lost frame, a duplicate after a lost
	 * ACK) is dropped: the answer's `next` makes the host resend */
	if ((flags & TS_APPUPD_DATA_ACK_NOW) || u->nwin >= u->window) {
		if (u->xfer == TS_UPD_RECEIVING) {
			answer_window(u);
		} else {
			int e = u->win_err;
			drop_window(u);
			send_nak(u, f->seq, e);
		}
	}
}

/* The image is whole: hash, vectors, header last, PENDING. */
static int commit(struct ts_update *u)
{
	uint8_t digest[TS_SHA256_LEN];
	ts_sha256_final(&u->sha, digest);
	if (memcmp(digest, u->hdr.app_sha256, TS_SHA256_LEN) != 0)
		return TS_ERR_HASH;
	const uint8_t *app = (const uint8_t *)(uintptr_t)u->hdr.load_addr;
	int err = ts_image_check_vectors(&u->hdr, ts_get32(app), ts_get32(app + 4));
	if (err)
		return err;
	idle(u);
	err = ts_flash_program(ts_slot_addr(u->target), u->hdr_bytes, TS_IMAGE_HDR_SIZE);
	if (err)
		return err;
	struct ts_journal_state st;
	err = scan(u, 1, &st);
	if (err)
		return err;
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.seq = st.max_seq + 1u;
	r.type = TS_REC_PENDING;
	r.slot = (uint8_t)u->target;
	r.version = u->hdr.version;
	memcpy(r.hash, u->hdr.app_sha256, TS_RECORD_HASH_LEN);
	idle(u);
	return ts_journal_append(&st, &r, 1);
}

static void on_end(struct ts_update *u, const struct ts_appupd_frame *f)
{
	drop_window(u);
	if (u->done_err != 1 && u->xfer != TS_UPD_RECEIVING) {
		/* END again: our DONE was lost */
		send_u32(u, TS_APPUPD_DONE, f->seq, (uint32_t)u->done_err);
		return;
	}
	if (u->xfer != TS_UPD_RECEIVING || u->next != u->hdr.app_size) {
		send_nak(u, f->seq, TS_ERR_STATE);
		return;
	}
	int err = commit(u);
	u->done_err = err;
	if (err)
		fail_xfer(u, err);
	else
		u->xfer = TS_UPD_COMMITTED;
	u->last_frame_ms = now_ms(u);
	send_u32(u, TS_APPUPD_DONE, f->seq, (uint32_t)err);
}

static void on_restart(struct ts_update *u, const struct ts_appupd_frame *f)
{
	uint8_t mode;
	if (ts_appupd_u8_parse(f->payload, f->len, &mode) != TS_OK || mode > 1) {
		send_nak(u, f->seq, TS_ERR_PROTO);
		return;
	}
	if (u->xfer != TS_UPD_COMMITTED) {
		send_nak(u, f->seq, TS_ERR_STATE);
		return;
	}
	int agree = u->cfg.may_restart ? u->cfg.may_restart(u->cfg.app_ctx, mode) : 1;
	send(u, TS_APPUPD_RESTARTING, f->seq,
	     ts_appupd_u8_pack(agree ? TS_APPUPD_RESTARTING_NOW : TS_APPUPD_RESTARTING_DEFERRED,
			       txp(u)));
	if (agree) {
		(void)ts_update_restart(u);
		return; /* only on the host */
	}
	u->restart_pending = 1;
	end_session(u, TS_OK);
}

static void on_frame(struct ts_update *u, const struct ts_appupd_frame *f, uint32_t now)
{
	uint8_t v8;
	uint32_t v32;
	pump(u);
	u->baud_unconfirmed = 0; /* a good frame: the line works at this baud */
	if (!u->session) {
		if (f->type != TS_APPUPD_HELLO_REQ)
			return; /* idle: only a HELLO_REQ (or the offer) starts a session */
		start_session(u);
	}
	u->last_frame_ms = now;
	switch (f->type) {
	case TS_APPUPD_HELLO_REQ:
		if (ts_appupd_hello_req_parse(f->payload, f->len, &v8) != TS_OK)
			send_nak(u, f->seq, TS_ERR_PROTO);
		else if (v8 != TS_APPUPD_PROTO)
			send_nak(u, f->seq, TS_ERR_UNSUPPORTED);
		else
			send_hello(u, f->seq);
		break;
	case TS_APPUPD_BAUD:
		if (ts_appupd_u32_parse(f->payload, f->len, &v32) != TS_OK) {
			send_nak(u, f->seq, TS_ERR_PROTO);
		} else if (!baud_allowed(u, v32)) {
			send_nak(u, f->seq, TS_ERR_UNSUPPORTED);
		} else {
			send_u32(u, TS_APPUPD_BAUD_OK, f->seq, v32);
			uint32_t old = u->baud;
			set_baud(u, v32); /* after the answer has left */
			if (v32 != old) {
				u->old_baud = old;
				u->baud_unconfirmed = 1;
				u->baud_t0 = now_ms(u);
			}
		}
		break;
	case TS_APPUPD_BEGIN:
		on_begin(u, f);
		break;
	case TS_APPUPD_DATA:
		on_data(u, f);
		break;
	case TS_APPUPD_END:
		on_end(u, f);
		break;
	case TS_APPUPD_RESTART:
		on_restart(u, f);
		break;
	case TS_APPUPD_ABORT:
		drop_window(u);
		send_nak(u, f->seq, TS_ERR_CANCELED);
		end_session(u, TS_ERR_CANCELED);
		break;
	default:
		break; /* the app's own types: an echo, ignored */
	}
}

/* ---- public ---- */

int ts_update_init(struct ts_update *u, const struct ts_update_cfg *cfg,
		   const struct ts_update_io *io)
{
	memset(u, 0, sizeof(*u));
	u->cfg = *cfg;
	u->io = *io;
	struct ts_image_header h;
	int err = ts_image_header_parse((const uint8_t *)(uintptr_t)ts_slot_addr(cfg->running), &h);
	if (err)
		return err;
	u->run_version = h.version;
	u->run_product = h.product_id;
	memcpy(u->run_hash, h.app_sha256, TS_RECORD_HASH_LEN);
	u->window = cfg->window && cfg->window <= TS_UPDATE_WINDOW_MAX ? cfg->window
								    : (uint8_t)TS_UPDATE_WINDOW_MAX;
	u->max_baud = ts_update_best_baud(cfg->uart_clk_hz, cfg->max_err_ppm, cfg->max_baud);
	if (!u->max_baud)
		u->max_baud = cfg->console_baud;
	u->baud = cfg->console_baud;
	u->done_err = 1;
	ts_appupd_dec_init(&u->dec, u->win[0], TS_APPUPD_PAYLOAD_MAX);
	u->last_rx_ms = u->last_frame_ms = now_ms(u);
	return TS_OK;
}

static void offer_byte(struct ts_update *u, uint8_t c)
{
	if (c == (uint8_t)offer[u->offer_pos])
		u->offer_pos++;
	else
		u->offer_pos = c == (uint8_t)offer[0] ? 1u : 0u;
	if (u->offer_pos == TS_APPUPD_OFFER_LEN) {
		u->offer_pos = 0;
		start_session(u);
		send_hello(u, 0);
	}
}

void ts_update_poll(struct ts_update *u)
{
	/* Idle with nothing arriving, nothing is timed: no clock read (on the
	 * virtual board every register read is costly, and an idle application
	 * polls all the time). */
	int timed = u->session || u->baud_unconfirmed || ts_appupd_dec_busy(&u->dec);
	uint32_t now = timed ? now_ms(u) : 0;
	int c;
	while ((c = u->io.rx(u->io.ctx)) >= 0) {
		if (!timed) {
			timed = 1;
			now = now_ms(u);
		}
		u->last_rx_ms = now;
		if (!ts_appupd_dec_busy(&u->dec) && c != TS_APPUPD_SOF)
			offer_byte(u, (uint8_t)c);
		struct ts_appupd_frame f;
		int r = ts_appupd_dec_push(&u->dec, (uint8_t)c, &f);
		pump(u); /* a second look per byte: decoding may take longer than a byte */
		if (r == 1) {
			on_frame(u, &f, now);
			/* after a long step (erase, window, commit) time has moved;
			 * a DATA frame just held is the hot path: no clock read */
			if (f.type != TS_APPUPD_DATA || !u->nwin)
				now = u->last_rx_ms = now_ms(u);
		} else if (r < 0 && u->xfer == TS_UPD_RECEIVING) {
			u->reply_due = 1; /* a frame lost: answer on silence */
		}
	}
	if (!timed)
		return;
	if (ts_appupd_dec_busy(&u->dec) && after(now, u->last_rx_ms, TS_APPUPD_INTERBYTE_MS)) {
		ts_appupd_dec_reset(&u->dec);
		if (u->session && u->xfer == TS_UPD_RECEIVING)
			u->reply_due = 1; /* a frame cut short: answer on silence */
	}
	if (u->session && (u->nwin || u->reply_due) &&
	    after(now, u->last_rx_ms, TS_APPUPD_WINDOW_IDLE_MS) && !ts_appupd_dec_busy(&u->dec)) {
		if (u->xfer == TS_UPD_RECEIVING) {
			answer_window(u);
		} else {
			int e = u->win_err ? u->win_err : TS_ERR_STATE;
			drop_window(u);
			send_nak(u, u->last_seq, e);
		}
	}
	if (u->baud_unconfirmed && after(now, u->baud_t0, TS_APPUPD_BAUD_CONFIRM_MS)) {
		u->baud_unconfirmed = 0;
		set_baud(u, u->old_baud);
		ts_appupd_dec_reset(&u->dec);
	}
	if (u->session && after(now, u->last_frame_ms, TS_APPUPD_SESSION_MS))
		end_session(u, TS_ERR_TIMEOUT);
}

int ts_update_active(const struct ts_update *u)
{
	return u->session;
}

int ts_update_take_report(struct ts_update *u, struct ts_update_report *r)
{
	if (!u->report_ready)
		return 0;
	u->report_ready = 0;
	*r = u->report;
	return 1;
}

int ts_update_restart_pending(const struct ts_update *u)
{
	return u->restart_pending && u->xfer == TS_UPD_COMMITTED;
}

int ts_update_restart(struct ts_update *u)
{
	if (u->xfer != TS_UPD_COMMITTED)
		return TS_ERR_STATE;
	u->io.flush(u->io.ctx);
	u->io.reset(u->io.ctx);
	/* reached only where reset returns (host tests) */
	u->restarted = 1;
	u->restart_pending = 0;
	end_session(u, TS_OK);
	return TS_OK;
}
