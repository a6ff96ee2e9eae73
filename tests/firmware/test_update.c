/*
 * The app path's receive service (firmware/client/twinslot_update.c) with
 * firmware/common/journal_write.c, compiled natively: the flash from the
 * slots to the journal (0x08020000..0x080FFFFF) is a mapping at its real
 * address with a NOR model (erase sets 0xFF, programming only clears bits
 * and must hit erased words), a fake line (bytes in, frames out, a
 * millisecond clock the test moves) and a scripted host built on the same
 * codec. Slot A runs v1.0.0, confirmed; updates go to slot B.
 *
 * Covered: a good session (offer, HELLO fields, baud switch, erase, windows,
 * DONE, restart) ending in a slot B the bootloader trial-boots; a corrupted
 * frame, lost frames, a lost ACK_NOW frame, lost ACKs (duplicates); BEGIN
 * refusals (image for the running slot, another product, size mismatch,
 * the running image on trial) erasing nothing; a hash mismatch and an
 * implausible vector table committing nothing; ABORT; a deferred restart;
 * the baud fallback; the session time-out; a flash error; and a power cut
 * at every flash operation of a session (with torn operations), each
 * checked through the bootloader's own decision (ts_boot_decide): it runs
 * the old image, or trial-boots the complete new one, never anything else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "flash.h"
#include "journal_write.h"
#include "twinslot/appupd.h"
#include "twinslot/boot.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"
#include "twinslot/version.h"
#include "twinslot_update.h"

#define MAP_BASE TS_SLOT_A_ADDR
#define MAP_SIZE (TS_FLASH_BASE + TS_FLASH_SIZE - TS_SLOT_A_ADDR)
#define PRODUCT 0x407u

static uint8_t *fl; /* the mapping: fl[0] is 0x08020000 */
static uint8_t *at(uint32_t addr)
{
	return fl + (addr - MAP_BASE);
}

/* ---- the flash model ---- */
static int ops;           /* erases and programs (one per call) so far */
static int cut_at = -1;   /* the op at which the power goes: torn, then nothing */
static int fail_at = -1;  /* the op that reports TS_ERR_FLASH (no change) */
static int dead;
static int erased[TS_FLASH_SECTORS];

int ts_flash_erase_sector(int sector)
{
	assert_true(sector >= 5 && sector < TS_FLASH_SECTORS);
	if (dead)
		return TS_ERR_FLASH;
	int k = ops++;
	uint8_t *p = at(ts_sector_addr(sector));
	uint32_t size = ts_sector_size(sector);
	if (k == cut_at) {
		/* torn: part of the sector erased, part left, a garbled middle */
		memset(p + size / 3, 0xFF, size / 3);
		for (uint32_t i = 0; i < 64; i++)
			p[size / 3 - 32 + i] ^= 0x5A;
		dead = 1;
		return TS_ERR_FLASH;
	}
	if (k == fail_at)
		return TS_ERR_FLASH;
	memset(p, 0xFF, size);
	erased[sector]++;
	return TS_OK;
}

int ts_flash_program(uint32_t addr, const void *data, uint32_t len)
{
	assert_true(addr >= TS_SLOT_A_ADDR && addr + len <= TS_FLASH_BASE + TS_FLASH_SIZE);
	assert_int_equal(addr % 4u, 0);
	assert_int_equal(len % 4u, 0);
	/* the service never writes the running slot */
	assert_true(addr >= TS_SLOT_B_ADDR);
	if (dead)
		return TS_ERR_FLASH;
	int k = ops++;
	uint8_t *dst = at(addr);
	const uint8_t *src = data;
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(dst[i], 0xFF); /* never over old bytes */
	if (k == cut_at) {
		uint32_t half = (len / 2u) & ~3u;
		for (uint32_t i = 0; i < half; i++)
			dst[i] &= src[i];
		if (half < len)
			dst[half] &= (uint8_t)(src[half] | 0x0F); /* a torn word */
		dead = 1;
		return TS_ERR_FLASH;
	}
	if (k == fail_at)
		return TS_ERR_FLASH;
	for (uint32_t i = 0; i < len; i++)
		dst[i] &= src[i];
	return TS_OK;
}

/* ---- the line ---- */
static uint8_t inq[1 << 20];
static size_t in_head, in_tail;
static uint8_t outq[1 << 16];
static size_t out_len;
static uint32_t clock_ms;
static uint32_t baud_now, baud_sets;
static int resets, may_restart_answer = 1, idles;

static int io_rx(void *ctx)
{
	(void)ctx;
	return in_head == in_tail ? -1 : inq[in_tail++];
}
static void io_tx(void *ctx, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	assert_true(out_len + n <= sizeof(outq));
	memcpy(outq + out_len, p, n);
	out_len += n;
}
static void io_flush(void *ctx)
{
	(void)ctx;
}
static void io_set_baud(void *ctx, uint32_t b)
{
	(void)ctx;
	baud_now = b;
	baud_sets++;
}
static uint32_t io_ms(void *ctx)
{
	(void)ctx;
	return clock_ms;
}
static void io_reset(void *ctx)
{
	(void)ctx;
	resets++;
}
static int app_may_restart(void *ctx, uint8_t mode)
{
	(void)ctx;
	(void)mode;
	return may_restart_answer;
}
static void app_idle(void *ctx)
{
	(void)ctx;
	idles++;
}

/* ---- the images ---- */
#define NEW_APP 140000u /* spans two 128 KB sectors of slot B with its header */
static uint8_t new_app[NEW_APP];
static uint8_t new_hdr[TS_IMAGE_HDR_SIZE];
static struct ts_image_header new_h;

static void make_header(enum ts_slot slot, const uint8_t *app, uint32_t size, uint32_t version,
			uint32_t product, struct ts_image_header *h, uint8_t out[TS_IMAGE_HDR_SIZE])
{
	memset(h, 0, sizeof(*h));
	h->hdr_version = TS_IMAGE_HDR_VERSION;
	h->hdr_size = TS_IMAGE_HDR_SIZE;
	h->load_addr = ts_slot_addr(slot) + TS_IMAGE_HDR_SIZE;
	h->app_size = size;
	h->version = version;
	h->product_id = product;
	ts_sha256(app, size, h->app_sha256);
	ts_image_header_encode(h, out);
}

static void make_app(enum ts_slot slot, uint8_t *app, uint32_t size, uint32_t seed)
{
	for (uint32_t i = 0; i < size; i++)
		app[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
	ts_put32(app, 0x20020000u);
	ts_put32(app + 4, ts_slot_addr(slot) + TS_IMAGE_HDR_SIZE + 0x41u);
}

static struct ts_slot_id id_of(const struct ts_image_header *h)
{
	struct ts_slot_id id;
	memset(&id, 0, sizeof(id));
	id.present = true;
	id.version = h->version;
	memcpy(id.hash, h->app_sha256, TS_RECORD_HASH_LEN);
	return id;
}

static void append_record(enum ts_slot slot, enum ts_rec_type type, const struct ts_image_header *h)
{
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, NULL, &st),
			 TS_OK);
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.seq = st.max_seq + 1u;
	r.type = (uint8_t)type;
	r.slot = (uint8_t)slot;
	r.attempt = type == TS_REC_ATTEMPT ? 1 : 0;
	r.version = h->version;
	memcpy(r.hash, h->app_sha256, TS_RECORD_HASH_LEN);
	ts_record_encode(&r, at(TS_JOURNAL_ADDR + st.free_index * TS_RECORD_SIZE));
}

static struct ts_image_header run_h;

/* Slot A: v1.0.0 (confirmed unless `trial`); slot B: an old v0.9.0 image
 * with its own old CONFIRMED record; the new image is v1.1.0 for slot B. */
static void board(int trial)
{
	memset(fl, 0xFF, MAP_SIZE);
	static uint8_t app[3000];
	make_app(TS_SLOT_A, app, sizeof(app), 1);
	make_header(TS_SLOT_A, app, sizeof(app), TS_VERSION(1, 0, 0), PRODUCT, &run_h,
		    at(TS_SLOT_A_ADDR));
	memcpy(at(TS_SLOT_A_ADDR + TS_IMAGE_HDR_SIZE), app, sizeof(app));
	static uint8_t old[2000];
	struct ts_image_header oh;
	make_app(TS_SLOT_B, old, sizeof(old), 2);
	make_header(TS_SLOT_B, old, sizeof(old), TS_VERSION(0, 9, 0), PRODUCT, &oh,
		    at(TS_SLOT_B_ADDR));
	memcpy(at(TS_SLOT_B_ADDR + TS_IMAGE_HDR_SIZE), old, sizeof(old));
	append_record(TS_SLOT_B, TS_REC_CONFIRMED, &oh);
	append_record(TS_SLOT_A, TS_REC_PENDING, &run_h);
	append_record(TS_SLOT_A, trial ? TS_REC_ATTEMPT : TS_REC_CONFIRMED, &run_h);

	make_app(TS_SLOT_B, new_app, NEW_APP, 3);
	make_header(TS_SLOT_B, new_app, NEW_APP, TS_VERSION(1, 1, 0), PRODUCT, &new_h, new_hdr);
}

static struct ts_update u;
static uint8_t host_seq;

static int setup(void **state)
{
	(void)state;
	board(0);
	ops = 0;
	cut_at = fail_at = -1;
	dead = 0;
	memset(erased, 0, sizeof(erased));
	in_head = in_tail = out_len = 0;
	clock_ms = 1000;
	baud_now = 115200;
	baud_sets = 0;
	resets = idles = 0;
	may_restart_answer = 1;
	host_seq = 0;
	struct ts_update_cfg cfg = {
		.running = TS_SLOT_A,
		.uart_clk_hz = 16000000u,
		.console_baud = 115200u,
		.window = 8,
		.may_restart = app_may_restart,
		.idle = app_idle,
	};
	struct ts_update_io io = {io_rx, io_tx, io_flush, io_set_baud, io_ms, io_reset, NULL, NULL};
	assert_int_equal(ts_update_init(&u, &cfg, &io), TS_OK);
	return 0;
}

/* ---- the scripted host ---- */
static void put_bytes(const void *p, size_t n)
{
	assert_true(in_head + n <= sizeof(inq));
	memcpy(inq + in_head, p, n);
	in_head += n;
}

static uint8_t fbuf[TS_APPUPD_FRAME_MAX];
static size_t put_frame(uint8_t type, const uint8_t *payload, uint16_t len)
{
	int n = ts_appupd_encode(fbuf, sizeof(fbuf), type, host_seq++, payload, len);
	assert_true(n > 0);
	put_bytes(fbuf, (size_t)n);
	return (size_t)n;
}

/* Run the service until it has consumed the input, then a little time. */
static void run(uint32_t ms_after)
{
	ts_update_poll(&u);
	for (uint32_t t = 0; t < ms_after; t++) {
		clock_ms++;
		ts_update_poll(&u);
	}
}

/* The app's answers since the last call. */
static struct ts_appupd_frame got[64];
static uint8_t gotbuf[64][64];
static int ngot;
static void take_answers(void)
{
	struct ts_appupd_dec d;
	uint8_t buf[64];
	ts_appupd_dec_init(&d, buf, sizeof(buf));
	ngot = 0;
	for (size_t i = 0; i < out_len; i++) {
		struct ts_appupd_frame f;
		int r = ts_appupd_dec_push(&d, outq[i], &f);
		assert_true(r == 0 || r == 1);
		if (r == 1) {
			assert_true(ngot < 64);
			memcpy(gotbuf[ngot], f.payload, f.len);
			got[ngot] = f;
			got[ngot].payload = gotbuf[ngot];
			ngot++;
		}
	}
	out_len = 0;
}

static void expect_one(uint8_t type)
{
	take_answers();
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].type, type);
}

static uint32_t expect_ack(void)
{
	expect_one(TS_APPUPD_ACK);
	uint32_t v;
	assert_int_equal(ts_appupd_u32_parse(got[0].payload, got[0].len, &v), TS_OK);
	return v;
}

static int32_t expect_nak(uint32_t *next)
{
	expect_one(TS_APPUPD_NAK);
	int32_t e;
	uint32_t nx;
	assert_int_equal(ts_appupd_nak_parse(got[0].payload, got[0].len, &e, &nx), TS_OK);
	if (next)
		*next = nx;
	return e;
}

static int32_t expect_done(void)
{
	expect_one(TS_APPUPD_DONE);
	uint32_t v;
	assert_int_equal(ts_appupd_u32_parse(got[0].payload, got[0].len, &v), TS_OK);
	return (int32_t)v;
}

static void hello(void)
{
	put_bytes("noise\r\n" TS_APPUPD_OFFER, 7 + TS_APPUPD_OFFER_LEN);
	run(0);
	expect_one(TS_APPUPD_HELLO);
	assert_true(ts_update_active(&u));
}

static void begin(const uint8_t *hdr, uint32_t image_len)
{
	uint8_t p[TS_APPUPD_BEGIN_LEN];
	put_frame(TS_APPUPD_BEGIN, p, ts_appupd_begin_pack(hdr, image_len, p));
	run(0);
}

/* DATA frames of the window starting at `from`; skip: a frame index not sent */
static uint8_t dp[TS_APPUPD_PAYLOAD_MAX];
static uint32_t send_window(uint32_t from, int skip, int corrupt, int ack_now)
{
	uint32_t off = from;
	for (int i = 0; i < 8 && off < NEW_APP; i++) {
		uint32_t n = NEW_APP - off < 1024 ? NEW_APP - off : 1024;
		int last = i == 7 || off + n >= NEW_APP;
		uint16_t len = ts_appupd_data_pack(off, last && ack_now ? TS_APPUPD_DATA_ACK_NOW : 0,
						   new_app + off, (uint16_t)n, dp);
		if (i == skip) {
			host_seq++;
		} else {
			int fl0 = ts_appupd_encode(fbuf, sizeof(fbuf), TS_APPUPD_DATA, host_seq++, dp, len);
			if (i == corrupt)
				fbuf[100] ^= 0x01;
			put_bytes(fbuf, (size_t)fl0);
		}
		off += n;
		ts_update_poll(&u);
	}
	run(0);
	return off;
}

static void all_data(void)
{
	uint32_t next = 0;
	while (next < NEW_APP) {
		uint32_t end = send_window(next, -1, -1, 1);
		next = expect_ack();
		assert_int_equal(next, end);
	}
}

/* What the bootloader would do now. */
static struct ts_boot_plan decide(void)
{
	struct ts_boot_input in;
	memset(&in, 0, sizeof(in));
	struct ts_image_header h;
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (ts_image_validate(at(ts_slot_addr((enum ts_slot)s)), TS_SLOT_SIZE,
				      (enum ts_slot)s, &h, NULL) == TS_OK)
			in.ids[s] = id_of(&h);
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, in.ids,
					 &st), TS_OK);
	in.journal = &st;
	in.max_attempts = 3;
	struct ts_boot_plan plan;
	ts_boot_decide(&in, &plan);
	return plan;
}

static int slot_b_blank_header(void)
{
	return ts_all_ff(at(TS_SLOT_B_ADDR), TS_IMAGE_HDR_SIZE);
}

/* ---- tests ---- */

static void good_session(void **state)
{
	(void)state;
	hello();
	struct ts_appupd_hello h;
	assert_int_equal(ts_appupd_hello_parse(got[0].payload, got[0].len, &h), TS_OK);
	assert_int_equal(h.proto, 1);
	assert_int_equal(h.running_slot, 0);
	assert_int_equal(h.window, 8);
	assert_int_equal(h.running_version, TS_VERSION(1, 0, 0));
	assert_int_equal(h.product_id, PRODUCT);
	assert_int_equal(h.max_baud, 1000000u); /* exact at 16 MHz */
	assert_int_equal(h.max_data, 1024);

	uint8_t p[8];
	put_frame(TS_APPUPD_BAUD, p, ts_appupd_u32_pack(1000000, p));
	run(0);
	expect_one(TS_APPUPD_BAUD_OK);
	assert_int_equal(baud_now, 1000000u);
	put_frame(TS_APPUPD_HELLO_REQ, p, ts_appupd_hello_req_pack(1, p));
	run(1500); /* a good frame at the new baud: no fallback after 1 s */
	expect_one(TS_APPUPD_HELLO);
	assert_int_equal(baud_now, 1000000u);

	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 0);
	assert_int_equal(erased[8], 1);
	assert_int_equal(erased[9], 1);
	assert_int_equal(erased[10], 0); /* 512 + 140000 bytes: two sectors */
	assert_true(slot_b_blank_header());
	all_data();
	assert_true(slot_b_blank_header()); /* the header comes last */
	put_frame(TS_APPUPD_END, NULL, 0);
	run(0);
	assert_int_equal(expect_done(), 0);
	/* END again (our DONE lost): the same answer, nothing written twice */
	int ops_before = ops;
	put_frame(TS_APPUPD_END, NULL, 0);
	run(0);
	assert_int_equal(expect_done(), 0);
	assert_int_equal(ops, ops_before);

	struct ts_image_header back;
	assert_int_equal(ts_image_validate(at(TS_SLOT_B_ADDR), TS_SLOT_SIZE, TS_SLOT_B, &back, NULL),
			 TS_OK);
	struct ts_boot_plan plan = decide();
	assert_int_equal(plan.action, TS_BOOT_TRIAL);
	assert_int_equal(plan.slot, TS_SLOT_B);
	assert_int_equal(plan.reason, TS_WHY_PENDING);
	assert_true(idles > 0);

	put_frame(TS_APPUPD_RESTART, p, ts_appupd_u8_pack(TS_APPUPD_RESTART_NOW, p));
	run(0);
	expect_one(TS_APPUPD_RESTARTING);
	assert_int_equal(got[0].payload[0], TS_APPUPD_RESTARTING_NOW);
	assert_int_equal(resets, 1);
	assert_false(ts_update_active(&u));
	assert_int_equal(baud_now, 115200u);
}

static void corrupted_and_lost_frames_are_resent(void **state)
{
	(void)state;
	hello();
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 0);
	/* frame 3 corrupted: frames 0..2 programmed, the rest dropped */
	send_window(0, -1, 3, 1);
	assert_int_equal(expect_ack(), 3 * 1024);
	/* frame 2 of the next window lost */
	send_window(3 * 1024, 2, -1, 1);
	assert_int_equal(expect_ack(), 5 * 1024);
	/* the ACK_NOW frame lost: the app answers after 50 ms of silence */
	send_window(5 * 1024, 7, -1, 1);
	take_answers();
	assert_int_equal(ngot, 0);
	run(TS_APPUPD_WINDOW_IDLE_MS + 2);
	assert_int_equal(expect_ack(), 12 * 1024);
	/* our ACK lost: the host resends an old window; the duplicates are
	 * dropped and the answer moves it forward */
	send_window(3 * 1024, -1, -1, 1);
	assert_int_equal(expect_ack(), 12 * 1024);
	/* a frame cut short, then silence: dropped after 20 ms */
	uint16_t len = ts_appupd_data_pack(12 * 1024, 0, new_app + 12 * 1024, 1024, dp);
	int n = ts_appupd_encode(fbuf, sizeof(fbuf), TS_APPUPD_DATA, host_seq++, dp, len);
	put_bytes(fbuf, (size_t)n / 2);
	run(TS_APPUPD_WINDOW_IDLE_MS + 30);
	assert_int_equal(expect_ack(), 12 * 1024);
	/* the rest */
	uint32_t next = 12 * 1024;
	while (next < NEW_APP) {
		send_window(next, -1, -1, 1);
		next = expect_ack();
	}
	put_frame(TS_APPUPD_END, NULL, 0);
	run(0);
	assert_int_equal(expect_done(), 0);
	assert_int_equal(decide().slot, TS_SLOT_B);
}

static void begin_refusals_erase_nothing(void **state)
{
	(void)state;
	hello();
	uint8_t hdr[TS_IMAGE_HDR_SIZE];
	struct ts_image_header h;
	/* linked for the running slot */
	make_header(TS_SLOT_A, new_app, NEW_APP, TS_VERSION(1, 1, 0), PRODUCT, &h, hdr);
	begin(hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_nak(NULL), TS_ERR_ADDR);
	/* another product */
	make_header(TS_SLOT_B, new_app, NEW_APP, TS_VERSION(1, 1, 0), 0x999, &h, hdr);
	begin(hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_nak(NULL), TS_ERR_DENIED);
	/* image length not the header's */
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP + 4);
	assert_int_equal(expect_nak(NULL), TS_ERR_SIZE);
	/* a corrupted header */
	memcpy(hdr, new_hdr, sizeof(hdr));
	hdr[0x10] ^= 1;
	begin(hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_nak(NULL), TS_ERR_CRC);
	/* a BEGIN payload of the wrong size */
	put_frame(TS_APPUPD_BEGIN, new_hdr, 512);
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_PROTO);
	/* DATA and END without a BEGIN */
	send_window(0, -1, -1, 1);
	assert_int_equal(expect_nak(NULL), TS_ERR_STATE);
	put_frame(TS_APPUPD_END, NULL, 0);
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_STATE);
	uint8_t p[4];
	put_frame(TS_APPUPD_RESTART, p, ts_appupd_u8_pack(0, p));
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_STATE);
	assert_int_equal(resets, 0);
	assert_int_equal(ops, 0);
	/* slot B's old image still there and valid */
	struct ts_image_header back;
	assert_int_equal(ts_image_validate(at(TS_SLOT_B_ADDR), TS_SLOT_SIZE, TS_SLOT_B, &back, NULL),
			 TS_OK);
	/* an unknown proto and a baud the line cannot do */
	put_frame(TS_APPUPD_HELLO_REQ, p, ts_appupd_hello_req_pack(2, p));
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_UNSUPPORTED);
	put_frame(TS_APPUPD_BAUD, p, ts_appupd_u32_pack(2000000, p));
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_UNSUPPORTED);
	put_frame(TS_APPUPD_BAUD, p, ts_appupd_u32_pack(57600, p)); /* not in the list */
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_UNSUPPORTED);
	assert_int_equal(baud_sets, 0);
}

static void running_on_trial_takes_no_update(void **state)
{
	(void)state;
	board(1); /* slot A's newest record is an ATTEMPT */
	hello();
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_nak(NULL), TS_ERR_STATE);
	assert_int_equal(ops, 0);
}

static void session_then_end(const uint8_t *hdr, int32_t want_done)
{
	hello();
	begin(hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 0);
	all_data();
	put_frame(TS_APPUPD_END, NULL, 0);
	run(0);
	assert_int_equal(expect_done(), want_done);
}

static void hash_mismatch_commits_nothing(void **state)
{
	(void)state;
	uint8_t hdr[TS_IMAGE_HDR_SIZE];
	struct ts_image_header h = new_h;
	h.app_sha256[5] ^= 0x40;
	ts_image_header_encode(&h, hdr);
	struct ts_journal_state before;
	assert_int_equal(ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, NULL,
					 &before), TS_OK);
	session_then_end(hdr, TS_ERR_HASH);
	assert_true(slot_b_blank_header());
	struct ts_journal_state after;
	assert_int_equal(ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, NULL,
					 &after), TS_OK);
	assert_int_equal(after.max_seq, before.max_seq); /* no PENDING */
	struct ts_boot_plan plan = decide();
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_A);
	uint8_t p[4];
	put_frame(TS_APPUPD_RESTART, p, ts_appupd_u8_pack(0, p));
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_STATE);
	assert_int_equal(resets, 0);
}

static void implausible_vectors_commit_nothing(void **state)
{
	(void)state;
	ts_put32(new_app + 4, 0x08000001u); /* reset handler outside the image */
	make_header(TS_SLOT_B, new_app, NEW_APP, TS_VERSION(1, 1, 0), PRODUCT, &new_h, new_hdr);
	session_then_end(new_hdr, TS_ERR_VECTOR);
	assert_true(slot_b_blank_header());
	assert_int_equal(decide().slot, TS_SLOT_A);
}

static void abort_leaves_no_header(void **state)
{
	(void)state;
	hello();
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 0);
	send_window(0, -1, -1, 1);
	assert_int_equal(expect_ack(), 8192);
	put_frame(TS_APPUPD_ABORT, NULL, 0);
	run(0);
	assert_int_equal(expect_nak(NULL), TS_ERR_CANCELED);
	assert_false(ts_update_active(&u));
	struct ts_update_report r;
	assert_int_equal(ts_update_take_report(&u, &r), 1);
	assert_int_equal(r.committed, 0);
	assert_int_equal(r.err, TS_ERR_CANCELED);
	assert_true(slot_b_blank_header());
	struct ts_boot_plan plan = decide();
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_A);
}

static void deferred_restart(void **state)
{
	(void)state;
	may_restart_answer = 0;
	session_then_end(new_hdr, 0);
	uint8_t p[4];
	put_frame(TS_APPUPD_RESTART, p, ts_appupd_u8_pack(TS_APPUPD_RESTART_READY, p));
	run(0);
	expect_one(TS_APPUPD_RESTARTING);
	assert_int_equal(got[0].payload[0], TS_APPUPD_RESTARTING_DEFERRED);
	assert_int_equal(resets, 0);
	assert_false(ts_update_active(&u));
	assert_true(ts_update_restart_pending(&u));
	struct ts_update_report r;
	assert_int_equal(ts_update_take_report(&u, &r), 1);
	assert_int_equal(r.committed, 1);
	assert_int_equal(r.restart_deferred, 1);
	assert_int_equal(r.slot, TS_SLOT_B);
	assert_int_equal(r.version, TS_VERSION(1, 1, 0));
	assert_int_equal(r.bytes, NEW_APP);
	assert_int_equal(ts_update_restart(&u), TS_OK);
	assert_int_equal(resets, 1);
}

static void baud_falls_back_and_session_times_out(void **state)
{
	(void)state;
	hello();
	uint8_t p[4];
	put_frame(TS_APPUPD_BAUD, p, ts_appupd_u32_pack(921600, p));
	run(0);
	expect_one(TS_APPUPD_BAUD_OK);
	assert_int_equal(baud_now, 921600u);
	run(TS_APPUPD_BAUD_CONFIRM_MS + 5); /* nothing arrives at the new baud */
	assert_int_equal(baud_now, 115200u);
	assert_true(ts_update_active(&u));
	put_frame(TS_APPUPD_HELLO_REQ, p, ts_appupd_hello_req_pack(1, p));
	run(0);
	expect_one(TS_APPUPD_HELLO);
	/* a transfer started, then the host vanishes */
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 0);
	send_window(0, -1, -1, 1);
	assert_int_equal(expect_ack(), 8192);
	run(TS_APPUPD_SESSION_MS + 5);
	assert_false(ts_update_active(&u));
	struct ts_update_report r;
	assert_int_equal(ts_update_take_report(&u, &r), 1);
	assert_int_equal(r.err, TS_ERR_TIMEOUT);
	assert_int_equal(r.committed, 0);
	assert_true(slot_b_blank_header());
	/* the host comes back with the same image: it resumes at 8192 */
	hello();
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 8192);
	uint32_t next = 8192;
	while (next < NEW_APP) {
		send_window(next, -1, -1, 1);
		next = expect_ack();
	}
	put_frame(TS_APPUPD_END, NULL, 0);
	run(0);
	assert_int_equal(expect_done(), 0);
	assert_int_equal(erased[8], 1); /* not erased again */
}

static void flash_error_fails_the_transfer(void **state)
{
	(void)state;
	fail_at = 5; /* erase, erase, then the third program of the first window */
	hello();
	begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
	assert_int_equal(expect_ack(), 0);
	send_window(0, -1, -1, 1);
	uint32_t next;
	assert_int_equal(expect_nak(&next), TS_ERR_FLASH);
	assert_int_equal(next, 3 * 1024);
	send_window(next, -1, -1, 1);
	assert_int_equal(expect_nak(NULL), TS_ERR_STATE); /* the transfer is over */
	assert_true(slot_b_blank_header());
	assert_int_equal(decide().slot, TS_SLOT_A);
}

/* Fill the journal to its last position, so the PENDING append compacts. */
static void fill_journal(void)
{
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, NULL, &st),
			 TS_OK);
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.type = TS_REC_CONFIRMED;
	r.slot = TS_SLOT_A;
	r.version = run_h.version;
	memcpy(r.hash, run_h.app_sha256, TS_RECORD_HASH_LEN);
	for (uint32_t i = st.free_index; i < TS_JOURNAL_RECORDS; i++) {
		r.seq = st.max_seq + 1u + (i - st.free_index);
		ts_record_encode(&r, at(TS_JOURNAL_ADDR + i * TS_RECORD_SIZE));
	}
}

/* A power cut at flash operation k (torn), for every k of a session; with
 * `full`, the journal is full and the PENDING append compacts it (an erase
 * of sector 11, then the rewrite). */
static void power_cuts(int full)
{
	/* count the operations of an uncut session */
	if (full)
		fill_journal();
	session_then_end(new_hdr, 0);
	if (full)
		assert_int_equal(erased[TS_JOURNAL_SECTOR], 1);
	int total = ops;
	assert_true(total > 100);
	int runs = 0, old = 0, new_ = 0;
	for (int k = 0; k < total; k++) {
		setup(NULL);
		if (full)
			fill_journal();
		cut_at = k;
		hello();
		begin(new_hdr, TS_IMAGE_HDR_SIZE + NEW_APP);
		take_answers();
		/* the host keeps going; the app's flash is dead from op k on */
		uint32_t next = 0;
		for (int guard = 0; guard < 300 && !dead; guard++) {
			send_window(next, -1, -1, 1);
			take_answers();
			if (ngot == 1 && got[0].type == TS_APPUPD_ACK)
				ts_appupd_u32_parse(got[0].payload, got[0].len, &next);
			if (next >= NEW_APP)
				break;
		}
		if (!dead) {
			put_frame(TS_APPUPD_END, NULL, 0);
			run(0);
			take_answers();
		}
		assert_true(dead); /* the cut happened */
		/* power back: what does the bootloader do? */
		struct ts_boot_plan plan = decide();
		if (plan.action == TS_BOOT_RUN) {
			assert_int_equal(plan.slot, TS_SLOT_A);
			old++;
		} else {
			/* only the complete new image, on trial */
			assert_int_equal(plan.action, TS_BOOT_TRIAL);
			assert_int_equal(plan.slot, TS_SLOT_B);
			struct ts_image_header back;
			assert_int_equal(ts_image_validate(at(TS_SLOT_B_ADDR), TS_SLOT_SIZE, TS_SLOT_B,
							   &back, NULL), TS_OK);
			assert_memory_equal(back.app_sha256, new_h.app_sha256, TS_SHA256_LEN);
			new_++;
		}
		runs++;
	}
	print_message("power cuts%s: %d operations cut, old image runs %d, new image on trial %d\n",
		      full ? " (journal full)" : "", runs, old, new_);
	assert_int_equal(runs, total);
	assert_true(old > 0);
}

static void power_cut_at_every_flash_operation(void **state)
{
	(void)state;
	power_cuts(0);
}

static void power_cut_at_every_flash_operation_journal_full(void **state)
{
	(void)state;
	power_cuts(1);
}

int main(void)
{
	void *p = mmap((void *)(uintptr_t)MAP_BASE, MAP_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(uintptr_t)MAP_BASE) {
		print_error("cannot map the flash at 0x%08x\n", MAP_BASE);
		return 1;
	}
	fl = p;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(good_session, setup),
		cmocka_unit_test_setup(corrupted_and_lost_frames_are_resent, setup),
		cmocka_unit_test_setup(begin_refusals_erase_nothing, setup),
		cmocka_unit_test_setup(running_on_trial_takes_no_update, setup),
		cmocka_unit_test_setup(hash_mismatch_commits_nothing, setup),
		cmocka_unit_test_setup(implausible_vectors_commit_nothing, setup),
		cmocka_unit_test_setup(abort_leaves_no_header, setup),
		cmocka_unit_test_setup(deferred_restart, setup),
		cmocka_unit_test_setup(baud_falls_back_and_session_times_out, setup),
		cmocka_unit_test_setup(flash_error_fails_the_transfer, setup),
		cmocka_unit_test_setup(power_cut_at_every_flash_operation, setup),
		cmocka_unit_test_setup(power_cut_at_every_flash_operation_journal_full, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
