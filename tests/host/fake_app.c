#include "fake_app.h"

#include <string.h>

#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"

static void send(struct fake_app *a, uint8_t type, const uint8_t *p, uint16_t len)
{
	if (a->out_pos == a->out_len)
		a->out_pos = a->out_len = 0;
	int n = ts_appupd_encode(a->out + a->out_len, (uint32_t)(sizeof a->out - a->out_len), type,
				 a->seq, p, len);
	if (n > 0)
		a->out_len += (size_t)n;
}

static void hello(struct fake_app *a)
{
	struct ts_appupd_hello h = {
		.proto = TS_APPUPD_PROTO, .running_slot = (uint8_t)a->running_slot,
		.window = a->window, .running_version = a->running_version,
		.product_id = a->product_id, .max_baud = a->max_baud, .max_data = a->max_data,
	};
	uint8_t p[TS_APPUPD_HELLO_LEN];
	send(a, TS_APPUPD_HELLO, p, ts_appupd_hello_pack(&h, p));
	a->session = true;
}

static void u32(struct fake_app *a, uint8_t type, uint32_t v)
{
	uint8_t p[4];
	send(a, type, p, ts_appupd_u32_pack(v, p));
}

static int program(struct fake_app *a, uint32_t addr, const uint8_t *d, uint32_t n)
{
	uint64_t dur;
	int err = sim_flash_program(&a->fb->flash, a->fb->now_ns, addr, d, n, SIM_PSIZE_X8, &dur);
	a->fb->now_ns += dur;
	return err;
}

static int rd_journal(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)ctx + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static int append_pending(struct fake_app *a, const struct ts_image_header *h, int slot)
{
	struct ts_journal_state st;
	struct ts_journal_write w;
	struct ts_record r;
	const uint8_t *mem = sim_flash_mem(&a->fb->flash);
	int err = ts_journal_scan(rd_journal, (void *)mem, TS_JOURNAL_RECORDS, NULL, &st);
	if (err)
		return err;
	memset(&r, 0, sizeof r);
	r.type = TS_REC_PENDING;
	r.slot = (uint8_t)slot;
	r.version = h->version;
	r.seq = st.max_seq + 1u;
	memcpy(r.hash, h->app_sha256, TS_RECORD_HASH_LEN);
	if ((err = ts_journal_plan_append(&st, TS_JOURNAL_RECORDS, &r, 1, &w)) != TS_OK)
		return err;
	if (w.erase) {
		uint64_t dur;
		sim_flash_erase_sector(&a->fb->flash, a->fb->now_ns, TS_JOURNAL_SECTOR, SIM_PSIZE_X32,
				       &dur);
	}
	for (uint8_t i = 0; i < w.count; i++) {
		uint8_t enc[TS_RECORD_SIZE];
		ts_record_encode(&w.rec[i], enc);
		if ((err = program(a, TS_JOURNAL_ADDR + (w.index + i) * TS_RECORD_SIZE, enc,
				   TS_RECORD_SIZE)) != TS_OK)
			return err;
	}
	return TS_OK;
}

static void on_begin(struct fake_app *a, const struct ts_appupd_frame *f)
{
	const uint8_t *hdr;
	uint32_t len;
	uint8_t p[8];
	struct ts_image_header h;
	enum ts_slot linked;
	int target = 1 - a->running_slot;
	int err = ts_appupd_begin_parse(f->payload, f->len, &hdr, &len);
	if (!err)
		err = ts_image_header_parse(hdr, &h);
	if (!err)
		err = ts_image_header_slot(&h, &linked);
	if (!err && (int)linked != target)
		err = TS_ERR_ADDR;
	if (!err && a->nak_begin)
		err = a->nak_begin;
	if (err) {
		send(a, TS_APPUPD_NAK, p, ts_appupd_nak_pack(err, 0, p));
		return;
	}
	uint32_t base = ts_slot_addr((enum ts_slot)target);
	for (int s = ts_slot_first_sector((enum ts_slot)target); s <= ts_sector_of(base + len - 1u);
	     s++) {
		uint64_t dur;
		sim_flash_erase_sector(&a->fb->flash, a->fb->now_ns, s, SIM_PSIZE_X32, &dur);
		a->fb->now_ns += dur;
		a->erases++;
	}
	memcpy(a->hdr, hdr, sizeof a->hdr);
	a->image_len = len;
	a->next = 0;
	a->begun = true;
	ts_sha256_init(&a->sha);
	u32(a, TS_APPUPD_ACK, 0);
}

static void on_data(struct fake_app *a, const struct ts_appupd_frame *f)
{
	uint32_t off;
	uint8_t flags;
	const uint8_t *d;
	uint16_t n;
	a->data_frames++;
	for (unsigned i = 0; i < a->ndrop; i++)
		if (a->drop_data[i] == a->data_frames) {
			a->dropped++;
			return; /* lost on the line */
		}
	if (!a->begun || ts_appupd_data_parse(f->payload, f->len, &off, &flags, &d, &n))
		return;
	if (off == a->next && off + n <= a->image_len - 512u) {
		int target = 1 - a->running_slot;
		program(a, ts_slot_addr((enum ts_slot)target) + 512u + off, d, n);
		ts_sha256_update(&a->sha, d, n);
		a->next += n;
	}
	/* A gap or a duplicate is dropped; the answer comes with the window's
	 * ACK_NOW frame (the firmware also answers after 50 ms of silence). */
	if (flags & TS_APPUPD_DATA_ACK_NOW) {
		u32(a, TS_APPUPD_ACK, a->next);
		a->acks++;
	}
}

static void on_end(struct fake_app *a)
{
	struct ts_image_header h;
	uint8_t digest[TS_SHA256_LEN];
	int err = a->begun ? ts_image_header_parse(a->hdr, &h) : TS_ERR_STATE;
	if (!err && a->next != h.app_size)
		err = TS_ERR_SIZE;
	if (!err) {
		struct ts_sha256 s = a->sha;
		ts_sha256_final(&s, digest);
		if (memcmp(digest, h.app_sha256, TS_SHA256_LEN))
			err = TS_ERR_HASH;
	}
	int target = 1 - a->running_slot;
	if (!err && !a->committed)
		err = program(a, ts_slot_addr((enum ts_slot)target), a->hdr, sizeof a->hdr);
	if (!err && !a->committed)
		err = append_pending(a, &h, target);
	if (!err)
		a->committed = true;
	u32(a, TS_APPUPD_DONE, (uint32_t)err);
}

static void on_frame(struct fake_app *a, const struct ts_appupd_frame *f)
{
	uint32_t v;
	uint8_t p[4];
	a->frames++;
	a->seq = f->seq; /* answers carry the seq of the frame they answer */
	if (a->silent_after >= 0 && a->frames > (uint32_t)a->silent_after)
		return;
	if (!a->session)
		return;
	switch (f->type) {
	case TS_APPUPD_HELLO_REQ: hello(a); break;
	case TS_APPUPD_BAUD:
		if (!ts_appupd_u32_parse(f->payload, f->len, &v)) {
			a->baud = v;
			u32(a, TS_APPUPD_BAUD_OK, v);
		}
		break;
	case TS_APPUPD_BEGIN: on_begin(a, f); break;
	case TS_APPUPD_DATA: on_data(a, f); break;
	case TS_APPUPD_END: on_end(a); break;
	case TS_APPUPD_ABORT: {
		uint8_t n[8];
		send(a, TS_APPUPD_NAK, n, ts_appupd_nak_pack(TS_ERR_CANCELED, a->next, n));
		a->aborts++;
		a->session = a->begun = false;
		break;
	}
	case TS_APPUPD_RESTART:
		send(a, TS_APPUPD_RESTARTING, p, ts_appupd_u8_pack(TS_APPUPD_RESTARTING_NOW, p));
		a->restarts++;
		/* The reset: the bootloader's and the new image's console follow
		 * (the fake board plays fb->console), this app is gone. */
		a->session = a->begun = false;
		a->fb->console_pos = 0;
		a->fb->app_boots++;
		a->boots_seen = a->fb->app_boots;
		a->running_slot = -1;
		break;
	default: break;
	}
}

static void app_rx(void *ctx, uint8_t byte)
{
	struct fake_app *a = ctx;
	if (a->boots_seen != a->fb->app_boots) { /* reset: a new app (or none) runs */
		a->boots_seen = a->fb->app_boots;
		a->session = a->begun = false;
		a->out_len = a->out_pos = 0;
	}
	if (a->running_slot < 0)
		return;
	memmove(a->last, a->last + 1, sizeof a->last - 1);
	a->last[sizeof a->last - 1] = (char)byte;
	if (!memcmp(a->last, TS_APPUPD_OFFER, TS_APPUPD_OFFER_LEN)) {
		if (a->silent_after != 0)
			hello(a);
		return;
	}
	struct ts_appupd_frame f;
	if (ts_appupd_dec_push(&a->dec, byte, &f) == 1)
		on_frame(a, &f);
}

static size_t app_tx(void *ctx, uint8_t *buf, size_t n)
{
	struct fake_app *a = ctx;
	size_t k = a->out_len - a->out_pos;
	if (k > n)
		k = n;
	memcpy(buf, a->out + a->out_pos, k);
	a->out_pos += k;
	return k;
}

void fake_app_attach(struct fake_app *a, struct fake_board *fb, int slot, uint32_t version,
		     uint32_t product)
{
	memset(a, 0, sizeof *a);
	a->fb = fb;
	a->running_slot = slot;
	a->running_version = version;
	a->product_id = product;
	a->max_baud = 921600;
	a->window = 8;
	a->max_data = 1024;
	a->silent_after = -1;
	a->boots_seen = fb->app_boots;
	ts_appupd_dec_init(&a->dec, a->rx, sizeof a->rx);
	fb->app = a;
	fb->app_rx = app_rx;
	fb->app_tx = app_tx;
}
