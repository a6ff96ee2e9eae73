/* The update engine against the virtual board's ROM and flash models,
 * in-process. Assertions are on the flash bytes the model holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_board.h"
#include "twinslot/bytes.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/update.h"
#include "twinslot/version.h"

#define IMG_MAX (TS_SLOT_SIZE)
static uint8_t img[IMG_MAX];
static uint8_t before[TS_FLASH_SIZE];

struct mem_src {
	const uint8_t *p;
	size_t len, pos;
};

static long mem_read(void *arg, uint8_t *buf, size_t n)
{
	struct mem_src *m = arg;
	size_t k = m->len - m->pos;
	if (k > n)
		k = n;
	if (k > 100)
		k = 100; /* partial reads, as sockets give */
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

static struct ts_update_cfg cfg(void)
{
	struct ts_update_cfg c;
	ts_update_default_cfg(&c);
	c.outcome_timeout_ms = 0;
	c.allow_unsigned = true; /* the engine's other rules; signatures below */
	return c;
}

/* Install an image; returns the engine's result. */
static int flash_image(struct fake_board *fb, struct ts_update *u, const struct ts_update_cfg *c,
		       const uint8_t *image, uint32_t len)
{
	struct mem_src m = { image, len, 0 };
	struct ts_source src = { mem_read, &m, NULL };
	ts_update_init(u, &fb->port, c);
	int err = ts_update_flash(u, &src);
	if (err && getenv("TS_TEST_VERBOSE"))
		fprintf(stderr, "engine: %s\n", u->msg);
	return err;
}

/* Scan the journal in the flash model. */
static int rd_journal(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)ctx + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static void scan(struct fake_board *fb, struct ts_journal_state *st)
{
	assert_int_equal(ts_journal_scan(rd_journal, (void *)fake_board_mem(fb), TS_JOURNAL_RECORDS,
					 NULL, st), TS_OK);
}

static const uint8_t *slot_mem(struct fake_board *fb, int slot)
{
	return fake_board_mem(fb) + (ts_slot_addr((enum ts_slot)slot) - TS_FLASH_BASE);
}

/* The bootloader's confirmation, as the app would append it. */
static void confirm_on_board(struct fake_board *fb, int slot)
{
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	ts_update_init(&u, &fb->port, &c);
	assert_int_equal(ts_update_connect(&u), TS_OK);
	assert_int_equal(ts_update_append(&u, TS_REC_CONFIRMED, (enum ts_slot)slot), TS_OK);
}

static void blank_board_gets_slot_a_then_b_then_a(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	struct ts_journal_state st;
	fake_board_open(&fb);

	uint32_t len = make_image(img, TS_SLOT_A, TS_VERSION(1, 0, 0), 7, 40000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_A), img, len);
	assert_true(u.blocks_skipped >= 2);  /* the 0xFF blocks were not sent */
	assert_int_equal(u.rom.psize, TS_PSIZE_X32); /* voltage range in effect */
	scan(&fb, &st);
	assert_true(st.has_newest);
	assert_int_equal(st.newest.type, TS_REC_PENDING);
	assert_int_equal(st.newest.slot, TS_SLOT_A);
	assert_int_equal(st.newest.seq, 1);
	confirm_on_board(&fb, TS_SLOT_A);

	/* A -> B */
	len = make_image(img, TS_SLOT_B, TS_VERSION(1, 1, 0), 7, 70000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_int_equal(u.board.target, TS_SLOT_B);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img, len);
	scan(&fb, &st);
	assert_int_equal(st.newest.type, TS_REC_PENDING);
	assert_int_equal(st.newest.slot, TS_SLOT_B);
	assert_int_equal(st.newest.version, TS_VERSION(1, 1, 0));
	confirm_on_board(&fb, TS_SLOT_B);

	/* B -> A: the old A image is replaced; only sector 5 is erased for a
	 * small image, sector 6 keeps what it had. */
	uint8_t s6 = fake_board_mem(&fb)[ts_sector_addr(6) - TS_FLASH_BASE];
	len = make_image(img, TS_SLOT_A, TS_VERSION(1, 2, 0), 7, 20000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_int_equal(u.board.target, TS_SLOT_A);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_A), img, len);
	assert_int_equal(fake_board_mem(&fb)[ts_sector_addr(6) - TS_FLASH_BASE], s6);
	scan(&fb, &st);
	assert_int_equal(st.newest.slot, TS_SLOT_A);
	assert_int_equal(st.newest.version, TS_VERSION(1, 2, 0));
	assert_int_equal(st.max_seq, 5);
	fake_board_close(&fb);
}

/* Board with A v2.0.0 product 7 confirmed: the base for refusals. */
static void board_with_a(struct fake_board *fb)
{
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	fake_board_open(fb);
	uint32_t len = make_image(img, TS_SLOT_A, TS_VERSION(2, 0, 0), 7, 30000);
	assert_int_equal(flash_image(fb, &u, &c, img, len), TS_OK);
	confirm_on_board(fb, TS_SLOT_A);
	memcpy(before, fake_board_mem(fb), TS_FLASH_SIZE);
}

static void expect_refusal(struct fake_board *fb, const uint8_t *image, uint32_t len,
			   const char *words)
{
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	int err = flash_image(fb, &u, &c, image, len);
	assert_true(err < 0);
	assert_int_equal(u.phase, TS_PHASE_CHECK);
	if (!strstr(u.msg, words))
		fail_msg("message \"%s\" lacks \"%s\"", u.msg, words);
	/* Flash byte-identical: nothing was erased or written. */
	assert_memory_equal(fake_board_mem(fb), before, TS_FLASH_SIZE);
}

/* A stand-in for ECDSA whose validity the test controls: a "signature" is
 * the digest followed by the key's X coordinate's first 32 bytes. The real
 * verifier (OpenSSL) is tested against openssl(1) in tests/tools. */
static int fake_verifies;
static int fake_verify(void *ctx, const uint8_t pubkey[65], const uint8_t digest[32],
		       const uint8_t sig[64])
{
	(void)ctx;
	fake_verifies++;
	return memcmp(sig, digest, 32) == 0 && memcmp(sig + 32, pubkey + 1, 32) == 0
		       ? TS_OK : TS_ERR_AUTH;
}
static const struct ts_crypto_ops FAKE_CRYPTO = { fake_verify };

static void fake_key(uint8_t point[65], uint8_t seed)
{
	point[0] = 0x04;
	for (int i = 1; i < 65; i++)
		point[i] = (uint8_t)(seed * 31 + i);
}

static void fake_sign(uint8_t *image, const uint8_t point[65])
{
	struct ts_image_header h;
	assert_int_equal(ts_image_header_parse(image, &h), TS_OK);
	h.sig_type = TS_SIG_ECDSA_P256;
	h.sig_len = 64;
	ts_image_key_id(point, h.key_id);
	ts_image_header_encode(&h, image);
	ts_image_signed_digest(image, h.sig);
	memcpy(h.sig + 32, point + 1, 32);
	ts_image_header_encode(&h, image);
}

static void unsigned_and_untrusted_images_are_refused_before_erase(void **state)
{
	(void)state;
	static struct fake_board fb;
	board_with_a(&fb);
	fb.port.crypto = &FAKE_CRYPTO;
	uint8_t k1[65], k2[65], k3[65];
	fake_key(k1, 1), fake_key(k2, 2), fake_key(k3, 3);
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	c.allow_unsigned = false;
	uint32_t len;

	/* No key configured: unsigned and signed images are both refused. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_AUTH);
	assert_non_null(strstr(u.msg, "unsigned"));
	fake_sign(img, k1);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_AUTH);
	assert_non_null(strstr(u.msg, "no trusted public key"));
	assert_int_equal(u.phase, TS_PHASE_CHECK);
	assert_memory_equal(fake_board_mem(&fb), before, TS_FLASH_SIZE);

	/* Two trusted keys (rotation); an image by a third is refused. */
	assert_int_equal(ts_update_add_key(&c, k2), TS_OK);
	assert_int_equal(ts_update_add_key(&c, k3), TS_OK);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_AUTH);
	assert_non_null(strstr(u.msg, "not one of the 2 trusted"));
	/* Unsigned with keys configured. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_AUTH);
	assert_non_null(strstr(u.msg, "unsigned"));
	/* Signed by k3, then a signed header byte changed (version): the CRC
	 * is fixed up, as an attacker would. */
	fake_sign(img, k3);
	img[0x10] ^= 1;
	{
		struct ts_image_header h;
		assert_int_equal(ts_image_header_parse(img, &h), TS_ERR_CRC);
		ts_put32(img + 0x1FC, ts_crc32(0, img, 0x1FC));
	}
	fake_verifies = 0;
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_AUTH);
	assert_non_null(strstr(u.msg, "does not verify"));
	assert_int_equal(fake_verifies, 1);
	/* Even --allow-unsigned does not accept a bad signature. */
	c.allow_unsigned = true;
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_AUTH);
	c.allow_unsigned = false;
	assert_int_equal(u.phase, TS_PHASE_CHECK);
	assert_memory_equal(fake_board_mem(&fb), before, TS_FLASH_SIZE);

	/* A port without crypto says so. */
	fake_sign(img, k3);
	fb.port.crypto = NULL;
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_ERR_UNSUPPORTED);
	assert_non_null(strstr(u.msg, "signature verification"));
	fb.port.crypto = &FAKE_CRYPTO;

	/* Signed by the second trusted key: installed. */
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img, len);
	/* Bad key input. */
	uint8_t bad[65] = { 0x02 };
	assert_int_equal(ts_update_add_key(&c, bad), TS_ERR_INVAL);
	assert_int_equal(ts_update_add_key(&c, k1), TS_OK);
	assert_int_equal(ts_update_add_key(&c, k1), TS_OK);
	assert_int_equal(ts_update_add_key(&c, k1), TS_ERR_FULL);
	fake_board_close(&fb);
}

/* What the manifest says must be what the signed header says. */
static void header_disagreeing_with_the_manifest_is_refused(void **state)
{
	(void)state;
	static struct fake_board fb;
	board_with_a(&fb);
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	struct mem_src m = { img, len, 0 };
	struct ts_source src = { mem_read, &m, NULL };

	ts_update_init(&u, &fb.port, &c);
	assert_int_equal(ts_update_connect(&u), TS_OK);
	u.expect = true;
	u.expect_version = TS_VERSION(2, 2, 0);
	u.expect_product_id = 7;
	assert_int_equal(ts_update_install(&u, &src), TS_ERR_INVAL);
	assert_non_null(strstr(u.msg, "signed header is v2.1.0, but the manifest names v2.2.0"));
	assert_int_equal(u.phase, TS_PHASE_CHECK);

	m.pos = 0;
	u.expect_version = TS_VERSION(2, 1, 0);
	u.expect_product_id = 8;
	assert_int_equal(ts_update_install(&u, &src), TS_ERR_INVAL);
	assert_non_null(strstr(u.msg, "product id 0x00000007, but the manifest's product is id "
				      "0x00000008"));
	assert_memory_equal(fake_board_mem(&fb), before, TS_FLASH_SIZE);

	m.pos = 0;
	u.expect_product_id = 7;
	assert_int_equal(ts_update_install(&u, &src), TS_OK);
	ts_update_restart(&u);
	fake_board_close(&fb);
}

static void refusals_leave_flash_untouched(void **state)
{
	(void)state;
	static struct fake_board fb;
	board_with_a(&fb);
	uint32_t len;

	len = make_image(img, TS_SLOT_A, TS_VERSION(2, 1, 0), 7, 30000);
	expect_refusal(&fb, img, len, "linked for slot A");
	len = make_image(img, TS_SLOT_B, TS_VERSION(1, 9, 0), 7, 30000);
	expect_refusal(&fb, img, len, "older than");
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 0, 0), 7, 30000);
	expect_refusal(&fb, img, len, "same version");
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 8, 30000);
	expect_refusal(&fb, img, len, "product");
	/* Too large: a header claiming more than a slot. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	{
		struct ts_image_header h;
		assert_int_equal(ts_image_header_parse(img, &h), TS_OK);
		h.app_size = TS_IMAGE_MAX_APP + 4;
		ts_image_header_encode(&h, img);
	}
	expect_refusal(&fb, img, len, "does not fit");
	/* Corrupted header. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	img[40] ^= 1;
	expect_refusal(&fb, img, len, "CRC");
	/* Not an image at all. */
	memset(img, 0x42, 4096);
	expect_refusal(&fb, img, 4096, "magic");
	/* Truncated file. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	expect_refusal(&fb, img, 300, "shorter than its header");
	/* Implausible vector table. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	memset(img + TS_IMAGE_HDR_SIZE, 0, 8);
	expect_refusal(&fb, img, len, "vector table");

	/* --force takes the downgrade. */
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	c.force = true;
	len = make_image(img, TS_SLOT_B, TS_VERSION(1, 9, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img, len);
	fake_board_close(&fb);
}

/* Program one record at the journal's free position of the flash model. */
static void put_record(struct fake_board *fb, struct ts_record r)
{
	struct ts_journal_state st;
	uint8_t enc[TS_RECORD_SIZE];
	scan(fb, &st);
	r.seq = st.max_seq + 1;
	ts_record_encode(&r, enc);
	assert_int_equal(sim_flash_program(&fb->flash, 0, TS_JOURNAL_ADDR + st.free_index * TS_RECORD_SIZE,
					   enc, TS_RECORD_SIZE, SIM_PSIZE_X32, NULL), 0);
}

static uint32_t make_counted(uint8_t *image, enum ts_slot s, uint32_t version, uint32_t counter)
{
	uint32_t len = make_image(image, s, version, 7, 30000);
	struct ts_image_header h;
	assert_int_equal(ts_image_header_parse(image, &h), TS_OK);
	h.security_counter = counter;
	ts_image_header_encode(&h, image);
	return len;
}

/* The security counter: an image below the board's minimum is refused in
 * the CHECK phase, --force or not, even when the MIN_COUNTER record lies
 * beyond the cheap back-walk (then the whole journal is read). */
static void image_below_the_minimum_counter_is_refused_even_forced(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	fake_board_open(&fb);
	uint32_t len = make_counted(img, TS_SLOT_A, TS_VERSION(2, 0, 0), 3);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	confirm_on_board(&fb, TS_SLOT_A);
	struct ts_journal_state st;
	scan(&fb, &st);
	struct ts_record min = st.newest;
	min.type = TS_REC_MIN_COUNTER;
	min.version = 3;
	put_record(&fb, min);
	for (int far = 0; far < 2; far++) {
		if (far) /* 300 records after the minimum: past the 256 budget */
			for (int i = 0; i < 300; i++)
				put_record(&fb, st.newest);
		memcpy(before, fake_board_mem(&fb), TS_FLASH_SIZE);
		for (int force = 0; force < 2; force++) {
			c.force = force != 0;
			len = make_counted(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 2);
			assert_int_not_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
			assert_int_equal(u.phase, TS_PHASE_CHECK);
			assert_int_equal(ts_journal_min_counter(&u.board.journal), 3);
			if (!strstr(u.msg, "security counter is 2, below the board's minimum 3"))
				fail_msg("message \"%s\"", u.msg);
			assert_memory_equal(fake_board_mem(&fb), before, TS_FLASH_SIZE);
		}
		assert_true(far ? u.board.journal_complete : u.board.journal_records_read <= 8);
	}
	/* At the minimum: installed. */
	c.force = false;
	len = make_counted(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 3);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img, len);
	fake_board_close(&fb);
}

static void board_that_stops_answering_fails_then_retry_succeeds(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	struct ts_journal_state st;
	board_with_a(&fb);

	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 100000);
	fb.die_after = (long long)fb.written + 20000; /* mid-write */
	c.rom.sync_budget_ms = 500;
	int err = flash_image(&fb, &u, &c, img, len);
	assert_int_equal(err, TS_ERR_TIMEOUT);
	assert_int_equal(u.phase, TS_PHASE_WRITE);
	assert_non_null(strstr(u.msg, "0x7F"));
	/* The command and address that started the trouble, and what to try. */
	assert_non_null(strstr(u.msg, "Write Memory at 0x080"));
	assert_non_null(strstr(u.msg, "check the board's power"));
	/* Nothing committed: the journal is as before, slot B has no header. */
	scan(&fb, &st);
	assert_int_equal(st.newest.type, TS_REC_CONFIRMED);
	assert_int_equal(st.newest.slot, TS_SLOT_A);
	uint8_t blank[TS_IMAGE_HDR_SIZE];
	memset(blank, 0xFF, sizeof(blank));
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), blank, sizeof(blank));

	/* The board answers again: a retry installs the image. */
	fb.die_after = -1;
	fb.dead = false;
	c = cfg();
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_B), img, len);
	scan(&fb, &st);
	assert_int_equal(st.newest.type, TS_REC_PENDING);
	assert_int_equal(st.newest.slot, TS_SLOT_B);
	fake_board_close(&fb);
}

static void full_journal_is_compacted(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	struct ts_journal_state st;
	board_with_a(&fb); /* records 1 (PENDING A), 2 (CONFIRMED A) */

	/* Fill the rest of the sector with stale records about slot B. */
	struct ts_record r = { .type = TS_REC_ROLLED_BACK, .slot = TS_SLOT_B, .version = 1 };
	uint8_t enc[TS_RECORD_SIZE];
	for (uint32_t i = 2; i < TS_JOURNAL_RECORDS; i++) {
		r.seq = i + 1;
		ts_record_encode(&r, enc);
		assert_int_equal(sim_flash_program(&fb.flash, 0, TS_JOURNAL_ADDR + i * TS_RECORD_SIZE,
						   enc, TS_RECORD_SIZE, SIM_PSIZE_X32, NULL), 0);
	}
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	scan(&fb, &st);
	assert_int_equal(st.free_index, 2); /* CONFIRMED A kept, then PENDING B */
	assert_false(st.dirty);
	assert_int_equal(st.slot[TS_SLOT_A].type, TS_REC_CONFIRMED);
	assert_int_equal(st.slot[TS_SLOT_A].seq, 2);
	assert_int_equal(st.newest.type, TS_REC_PENDING);
	assert_int_equal(st.newest.slot, TS_SLOT_B);
	assert_int_equal(st.newest.seq, TS_JOURNAL_RECORDS + 1);
	fake_board_close(&fb);
}

static void cheap_journal_read_is_bounded(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	board_with_a(&fb);
	/* 1000 more CONFIRMED A records. */
	struct ts_journal_state st;
	scan(&fb, &st);
	struct ts_record r = st.newest;
	uint8_t enc[TS_RECORD_SIZE];
	for (uint32_t i = 2; i < 1002; i++) {
		r.seq = i + 1;
		ts_record_encode(&r, enc);
		assert_int_equal(sim_flash_program(&fb.flash, 0, TS_JOURNAL_ADDR + i * TS_RECORD_SIZE,
						   enc, TS_RECORD_SIZE, SIM_PSIZE_X32, NULL), 0);
	}
	ts_update_init(&u, &fb.port, &c);
	assert_int_equal(ts_update_connect(&u), TS_OK);
	assert_int_equal(u.board.journal.free_index, 1002);
	assert_int_equal(u.board.journal.max_seq, 1002);
	assert_true(u.board.journal_records_read <= 8); /* found at the end */
	assert_false(u.board.journal_complete);
	assert_int_equal(u.board.running, TS_SLOT_A);
	assert_int_equal(u.board.target, TS_SLOT_B);
	fake_board_close(&fb);
}

/* Found by the power-cut campaign: a cut during PENDING at the last position
 * of a full journal. The complete new image is in B without a live record,
 * A's CONFIRMED lies 4095 records back, beyond the walk from the end: the
 * engine must read the whole journal, see A running and B as the target,
 * and accept the retry (it used to take B for the running image and refuse
 * "the same version"). */
static void torn_pending_at_the_end_of_a_full_journal_is_retried(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	board_with_a(&fb); /* records 1 (PENDING A), 2 (CONFIRMED A) */
	struct ts_record r = { .type = TS_REC_ROLLED_BACK, .slot = TS_SLOT_B, .version = 1 };
	uint8_t enc[TS_RECORD_SIZE];
	for (uint32_t i = 2; i < TS_JOURNAL_RECORDS - 1; i++) {
		r.seq = i + 1;
		ts_record_encode(&r, enc);
		assert_int_equal(sim_flash_program(&fb.flash, 0, TS_JOURNAL_ADDR + i * TS_RECORD_SIZE,
						   enc, TS_RECORD_SIZE, SIM_PSIZE_X32, NULL), 0);
	}
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	assert_int_equal(sim_flash_program(&fb.flash, 0, ts_slot_addr(TS_SLOT_B), img, len,
					   SIM_PSIZE_X32, NULL), 0);
	/* the torn PENDING: its last word only partly programmed */
	struct ts_record p = { .seq = TS_JOURNAL_RECORDS, .type = TS_REC_PENDING, .slot = TS_SLOT_B,
			       .version = TS_VERSION(2, 1, 0) };
	struct ts_image_header h;
	assert_int_equal(ts_image_validate(img, len, TS_SLOT_B, &h, NULL), TS_OK);
	memcpy(p.hash, h.app_sha256, TS_RECORD_HASH_LEN);
	ts_record_encode(&p, enc);
	enc[TS_RECORD_SIZE - 1] |= 0x0F;
	assert_int_equal(sim_flash_program(&fb.flash, 0, TS_JOURNAL_ADDR +
					   (TS_JOURNAL_RECORDS - 1) * TS_RECORD_SIZE, enc,
					   TS_RECORD_SIZE, SIM_PSIZE_X32, NULL), 0);
	struct ts_journal_state st;
	scan(&fb, &st);
	assert_int_equal(st.invalid, 1);

	ts_update_init(&u, &fb.port, &c);
	assert_int_equal(ts_update_connect(&u), TS_OK);
	assert_true(u.board.journal_complete);
	assert_true(u.board.journal.has_slot[TS_SLOT_A]);
	assert_int_equal(u.board.journal.slot[TS_SLOT_A].type, TS_REC_CONFIRMED);
	assert_int_equal(u.board.running, TS_SLOT_A);
	assert_int_equal(u.board.target, TS_SLOT_B);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	scan(&fb, &st);
	assert_int_equal(st.newest.type, TS_REC_PENDING);
	assert_int_equal(st.newest.slot, TS_SLOT_B);
	fake_board_close(&fb);
}

static void wrong_chip_is_refused(void **state)
{
	(void)state;
	/* Checked by the AN3155 unit tests byte for byte; here: pid accepted. */
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	fake_board_open(&fb);
	ts_update_init(&u, &fb.port, &c);
	assert_int_equal(ts_update_connect(&u), TS_OK);
	assert_int_equal(u.board.pid, 0x413);
	assert_int_equal(u.board.bl_version, 0x31);
	fake_board_close(&fb);
}

static void outcome_from_console(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	board_with_a(&fb);
	c.outcome_timeout_ms = 5000;
	fb.console = "twinslot-boot: slot B v2.1.0 trial 1/3 (new image)\r\n"
		     "twinslot-app: v2.1.0 slot B\r\ntwinslot-app: self-test passed\r\n"
		     "twinslot-app: confirmed\r\n";
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_int_equal(u.outcome, TS_OUTCOME_CONFIRMED);

	fb.console = "twinslot-boot: slot A v2.0.0 trial 1/3 (new image)\n"
		     "twinslot-app: confirmed\n"
		     "twinslot-boot: slot A v2.0.0 (other slot failed its trial: rolled back)\n";
	/* B is PENDING and A confirmed: the next target is B again. */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 2, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_int_equal(u.outcome, TS_OUTCOME_ROLLED_BACK);

	fb.console = "twinslot-boot: slot B v2.2.0 trial 1/3 (new image)\n";
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 3, 0), 7, 30000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len), TS_OK);
	assert_int_equal(u.outcome, TS_OUTCOME_TIMEOUT);
	fake_board_close(&fb);
}

/* Where the data frames of the first two Write Memory commands into slot
 * B's body start in the host's byte stream, from a run without faults (the
 * engine is deterministic on the virtual clock). */
static void body_frames(const uint8_t *image, uint32_t len, uint64_t at[2])
{
	static struct fake_board dry;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	board_with_a(&dry);
	dry.nwm = 0;
	assert_int_equal(flash_image(&dry, &u, &c, image, len), TS_OK);
	unsigned k = 0;
	for (unsigned i = 0; i < dry.nwm && k < 2; i++)
		if (dry.wm[i].addr >= TS_SLOT_B_ADDR + TS_IMAGE_HDR_SIZE &&
		    dry.wm[i].addr < TS_SLOT_B_ADDR + TS_SLOT_SIZE)
			at[k++] = dry.wm[i].data_at;
	assert_int_equal(k, 2);
	fake_board_close(&dry);
}

/* Install a newer B on board_with_a through a line that flips bit 0 of data
 * bytes 10 and 20 of the body's first block (the XOR still matches) and,
 * when `detected`, bit 7 of byte 30 of the second (the checksum catches it:
 * NACK, retry). Returns the engine's result. */
static int flash_with_flips(struct fake_board *fb, struct ts_update *u,
			    const struct ts_update_cfg *c, bool detected)
{
	static uint8_t newer[TS_IMAGE_HDR_SIZE + 20000];
	uint32_t len = make_image(newer, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 20000);
	uint64_t at[2];
	body_frames(newer, len, at);
	board_with_a(fb);
	fb->flip[0].at = at[0] + 1 + 10, fb->flip[0].mask = 0x01;
	fb->flip[1].at = at[0] + 1 + 20, fb->flip[1].mask = 0x01;
	fb->flip[2].at = at[1] + 1 + 30, fb->flip[2].mask = 0x80;
	fb->nflip = detected ? 3 : 2;
	return flash_image(fb, u, c, newer, len);
}

/* Two flipped bits in one Write Memory frame cancel in AN3155's XOR
 * checksum: the ROM writes the wrong data and ACKs. On a link that also
 * showed a detected error (a NACK and a retry), the engine reads the image
 * back before committing, finds the damage, and commits nothing. */
static void undetected_link_error_is_caught_before_commit(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	assert_int_equal(flash_with_flips(&fb, &u, &c, true), TS_ERR_HASH);
	assert_non_null(strstr(u.msg, "read-back"));
	assert_non_null(strstr(fb.log, "reading the image back before committing"));
	assert_false(u.committed);
	struct ts_journal_state st;
	scan(&fb, &st);
	assert_int_equal(st.newest.type, TS_REC_CONFIRMED);
	assert_int_equal(st.newest.slot, TS_SLOT_A);
	/* The slot got no header: nothing the bootloader would take. */
	assert_true(ts_all_ff(slot_mem(&fb, TS_SLOT_B), TS_IMAGE_HDR_SIZE));
	fake_board_close(&fb);
}

/* The same two cancelling flips on a link that shows no other error: the
 * per-block checksum cannot see them and nothing prompts a read-back, so
 * only --read-back (or the bootloader's hash at the trial boot) finds them.
 * This pins down what the automatic read-back covers. */
static void cancelling_flips_alone_need_read_back(void **state)
{
	(void)state;
	static struct fake_board fb;
	struct ts_update u;
	struct ts_update_cfg c = cfg();
	c.read_back = true;
	assert_int_equal(flash_with_flips(&fb, &u, &c, false), TS_ERR_HASH);
	assert_false(u.committed);
	fake_board_close(&fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blank_board_gets_slot_a_then_b_then_a),
		cmocka_unit_test(refusals_leave_flash_untouched),
		cmocka_unit_test(image_below_the_minimum_counter_is_refused_even_forced),
		cmocka_unit_test(board_that_stops_answering_fails_then_retry_succeeds),
		cmocka_unit_test(full_journal_is_compacted),
		cmocka_unit_test(unsigned_and_untrusted_images_are_refused_before_erase),
		cmocka_unit_test(header_disagreeing_with_the_manifest_is_refused),
		cmocka_unit_test(cheap_journal_read_is_bounded),
		cmocka_unit_test(torn_pending_at_the_end_of_a_full_journal_is_retried),
		cmocka_unit_test(wrong_chip_is_refused),
		cmocka_unit_test(outcome_from_console),
		cmocka_unit_test(undetected_link_error_is_caught_before_commit),
		cmocka_unit_test(cancelling_flips_alone_need_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
