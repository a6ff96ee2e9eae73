/*
 * Image header: the bytes the encoder writes match docs/format.md (checked
 * against an encoder written here from the spec), round trip, every
 * single-bit flip detected, blank slot, each self-check, the slot and
 * vector-table rules, and full validation of synthetic images in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/version.h"
#include "tutil.h"

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

/* Recompute the CRC at 0x1FC after a deliberate edit. */
static void fix_crc(uint8_t b[512])
{
	put32(b + 0x1FC, ts_crc32(0, b, 0x1FC));
}

/* The header as docs/format.md describes it, written independently. */
static void spec_encode(const struct ts_image_header *h, uint8_t b[512])
{
	memset(b, 0, 512);
	memcpy(b, "TWSL", 4);
	put16(b + 0x04, h->hdr_version);
	put16(b + 0x06, h->hdr_size);
	put32(b + 0x08, h->load_addr);
	put32(b + 0x0C, h->app_size);
	put32(b + 0x10, h->version);
	put32(b + 0x14, h->flags);
	put32(b + 0x18, h->product_id);
	put32(b + 0x1C, h->security_counter);
	memcpy(b + 0x20, h->app_sha256, 32);
	put16(b + 0x40, h->sig_type);
	put16(b + 0x42, h->sig_len);
	memcpy(b + 0x44, h->sig, 64);
	memcpy(b + 0x84, h->key_id, 4);
	fix_crc(b);
}

static struct ts_image_header sample(int signed_)
{
	struct ts_image_header h;
	memset(&h, 0, sizeof(h));
	h.hdr_version = 1;
	h.hdr_size = 512;
	h.load_addr = TS_SLOT_B_ADDR + 512;
	h.app_size = 0x1234;
	h.version = TS_VERSION(1, 2, 3);
	h.product_id = 0xF4070001u;
	h.security_counter = 0x00C0FFEEu;
	for (int i = 0; i < 32; i++)
		h.app_sha256[i] = (uint8_t)(0xA0 + i);
	if (signed_) {
		h.sig_type = TS_SIG_ECDSA_P256;
		h.sig_len = 64;
		for (int i = 0; i < 64; i++)
			h.sig[i] = (uint8_t)(i * 7 + 1);
		memcpy(h.key_id, "\x12\x34\x56\x78", 4);
	}
	return h;
}

static void assert_header_equal(const struct ts_image_header *a,
				const struct ts_image_header *b)
{
	assert_int_equal(a->hdr_version, b->hdr_version);
	assert_int_equal(a->hdr_size, b->hdr_size);
	assert_int_equal(a->load_addr, b->load_addr);
	assert_int_equal(a->app_size, b->app_size);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->product_id, b->product_id);
	assert_int_equal(a->security_counter, b->security_counter);
	assert_memory_equal(a->app_sha256, b->app_sha256, 32);
	assert_int_equal(a->sig_type, b->sig_type);
	assert_int_equal(a->sig_len, b->sig_len);
	assert_memory_equal(a->sig, b->sig, 64);
	assert_memory_equal(a->key_id, b->key_id, 4);
}

static void header_bytes_match_spec_and_round_trip(void **state)
{
	(void)state;
	struct tu_rng r = {1234};
	for (int it = 0; it < 500; it++) {
		struct ts_image_header h = sample(it & 1), back;
		h.load_addr = (uint32_t)tu_next(&r);
		h.app_size = (uint32_t)tu_next(&r);
		h.version = (uint32_t)tu_next(&r);
		h.product_id = (uint32_t)tu_next(&r);
		h.security_counter = (uint32_t)tu_next(&r);
		tu_fill(&r, h.app_sha256, 32);
		if (it & 1)
			tu_fill(&r, h.sig, 64);
		if (it & 1)
			tu_fill(&r, h.key_id, 4);
		uint8_t got[512], want[512];
		memset(got, 0x5A, sizeof(got));
		ts_image_header_encode(&h, got);
		spec_encode(&h, want);
		assert_memory_equal(got, want, 512);
		memset(&back, 0xEE, sizeof(back));
		assert_int_equal(ts_image_header_parse(got, &back), TS_OK);
		assert_header_equal(&h, &back);
	}
	/* The magic is the ASCII text "TWSL" in flash byte order. */
	uint8_t b[512];
	struct ts_image_header h = sample(0);
	ts_image_header_encode(&h, b);
	assert_memory_equal(b, "TWSL", 4);
	assert_int_equal(TS_IMAGE_OFF_SHA256, 0x20);
	assert_int_equal(TS_IMAGE_OFF_SIG, 0x44);
	assert_int_equal(TS_IMAGE_OFF_CRC, 0x1FC);
	assert_int_equal(TS_IMAGE_SIGNED_LEN, 0x40);
}

static void header_every_bit_flip_detected(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		struct ts_image_header h = sample(s), out;
		uint8_t good[512], b[512];
		ts_image_header_encode(&h, good);
		for (int bit = 0; bit < 512 * 8; bit++) {
			memcpy(b, good, 512);
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int err = ts_image_header_parse(b, &out);
			if (err >= 0)
				fail_msg("flip of bit %d (byte 0x%03X) not detected (signed=%d)",
					 bit % 8, bit / 8, s);
		}
	}
}

static void header_blank_and_garbage(void **state)
{
	(void)state;
	uint8_t b[512];
	struct ts_image_header out;
	memset(b, 0xFF, sizeof(b));
	assert_int_equal(ts_image_header_parse(b, &out), TS_ERR_BLANK);
	b[511] = 0xFE; /* almost blank: not blank, no magic */
	assert_int_equal(ts_image_header_parse(b, &out), TS_ERR_MAGIC);
	memset(b, 0, sizeof(b));
	assert_int_equal(ts_image_header_parse(b, &out), TS_ERR_MAGIC);
	/* magic right, everything else erased: a header torn after 4 bytes */
	memset(b, 0xFF, sizeof(b));
	memcpy(b, "TWSL", 4);
	assert_true(ts_image_header_parse(b, &out) < 0);
	/* every prefix of a header programmed onto erased flash fails */
	struct ts_image_header h = sample(1);
	uint8_t good[512];
	ts_image_header_encode(&h, good);
	for (int k = 0; k < 512; k++) {
		memset(b, 0xFF, sizeof(b));
		memcpy(b, good, (size_t)k);
		int err = ts_image_header_parse(b, &out);
		if (err >= 0)
			fail_msg("header torn after %d bytes accepted", k);
		assert_int_equal(err, k == 0 ? TS_ERR_BLANK : k < 4 ? TS_ERR_MAGIC : TS_ERR_CRC);
	}
}

/* Edit one field, fix the CRC, expect the specific refusal. */
static int parse_edited(void (*edit)(uint8_t *b), int signed_)
{
	struct ts_image_header h = sample(signed_), out;
	uint8_t b[512];
	ts_image_header_encode(&h, b);
	edit(b);
	fix_crc(b);
	return ts_image_header_parse(b, &out);
}

static void e_magic(uint8_t *b) { b[3] = 'M'; }
static void e_hdr_version0(uint8_t *b) { put16(b + 4, 0); }
static void e_hdr_version2(uint8_t *b) { put16(b + 4, 2); }
static void e_hdr_size(uint8_t *b) { put16(b + 6, 1024); }
static void e_hdr_size256(uint8_t *b) { put16(b + 6, 256); }
static void e_flags(uint8_t *b) { put32(b + 0x14, 1); }
static void e_flags_high(uint8_t *b) { put32(b + 0x14, 0x80000000u); }
static void e_counter(uint8_t *b) { b[0x1F] = 1; } /* 0x1C: the security counter */
static void e_reserved88(uint8_t *b) { b[0x88] = 1; }
static void e_key_id_on_none(uint8_t *b) { b[0x87] = 1; }
static void e_reserved1fb(uint8_t *b) { b[0x1FB] = 0x80; }
static void e_sig_type2(uint8_t *b) { put16(b + 0x40, 2); }
static void e_sig_len_on_none(uint8_t *b) { put16(b + 0x42, 64); }
static void e_sig_byte_on_none(uint8_t *b) { b[0x44 + 63] = 1; }
static void e_sig_len_32(uint8_t *b) { put16(b + 0x42, 32); }
static void e_sig_len_0(uint8_t *b) { put16(b + 0x42, 0); }
static void e_sig_len_65(uint8_t *b) { put16(b + 0x42, 65); }

static void header_self_checks(void **state)
{
	(void)state;
	assert_int_equal(parse_edited(e_magic, 0), TS_ERR_MAGIC);
	assert_int_equal(parse_edited(e_hdr_version0, 0), TS_ERR_HDR_VERSION);
	assert_int_equal(parse_edited(e_hdr_version2, 0), TS_ERR_HDR_VERSION);
	assert_int_equal(parse_edited(e_hdr_size, 0), TS_ERR_HDR_VERSION);
	assert_int_equal(parse_edited(e_hdr_size256, 0), TS_ERR_HDR_VERSION);
	assert_int_equal(parse_edited(e_flags, 0), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_flags_high, 1), TS_ERR_INVAL);
	/* 0x1C was reserved (0) before the security counter: any value now,
	 * so every older image reads as counter 0. */
	assert_int_equal(parse_edited(e_counter, 1), TS_OK);
	assert_int_equal(parse_edited(e_counter, 0), TS_OK);
	assert_int_equal(parse_edited(e_reserved88, 1), TS_ERR_RESERVED);
	assert_int_equal(parse_edited(e_reserved88, 0), TS_ERR_RESERVED);
	assert_int_equal(parse_edited(e_key_id_on_none, 0), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_key_id_on_none, 1), TS_OK);
	assert_int_equal(parse_edited(e_reserved1fb, 0), TS_ERR_RESERVED);
	assert_int_equal(parse_edited(e_sig_type2, 0), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_sig_type2, 1), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_sig_len_on_none, 0), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_sig_byte_on_none, 0), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_sig_len_32, 1), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_sig_len_0, 1), TS_ERR_INVAL);
	assert_int_equal(parse_edited(e_sig_len_65, 1), TS_ERR_INVAL);
	/* Wrong CRC alone. */
	struct ts_image_header h = sample(0), out;
	uint8_t b[512];
	ts_image_header_encode(&h, b);
	b[0x1FC] ^= 1;
	assert_int_equal(ts_image_header_parse(b, &out), TS_ERR_CRC);
	/* A signed header whose signature bytes are all zero still parses
	 * (the host, not the parser, verifies signatures). */
	h = sample(1);
	memset(h.sig, 0, sizeof(h.sig));
	ts_image_header_encode(&h, b);
	assert_int_equal(ts_image_header_parse(b, &out), TS_OK);
}

static void header_slot_rules(void **state)
{
	(void)state;
	struct ts_image_header h = sample(0);
	enum ts_slot s = (enum ts_slot)7;

	h.load_addr = TS_SLOT_A_ADDR + 512;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_OK);
	assert_int_equal(s, TS_SLOT_A);
	h.load_addr = TS_SLOT_B_ADDR + 512;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_OK);
	assert_int_equal(s, TS_SLOT_B);

	static const uint32_t bad_addr[] = {
		TS_SLOT_A_ADDR, TS_SLOT_B_ADDR, TS_SLOT_A_ADDR + 0x400, TS_SLOT_A_ADDR + 0x1FC,
		TS_SLOT_B_ADDR + 0x204, TS_BOOT_ADDR, TS_BOOT_ADDR + 512, TS_JOURNAL_ADDR + 512,
		0, 0xFFFFFFFFu, TS_SLOT_B_ADDR + 512 + TS_SLOT_SIZE, 0x00020200u,
	};
	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
		h.load_addr = bad_addr[i];
		s = (enum ts_slot)7;
		if (ts_image_header_slot(&h, &s) != TS_ERR_ADDR)
			fail_msg("load address 0x%08X accepted", bad_addr[i]);
		assert_int_equal(s, 7);
	}

	h.load_addr = TS_SLOT_A_ADDR + 512;
	h.app_size = 0;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_ERR_SIZE);
	h.app_size = 1;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_OK);
	h.app_size = TS_SLOT_SIZE - 512; /* exactly fills the slot */
	assert_int_equal(ts_image_header_slot(&h, &s), TS_OK);
	assert_int_equal(TS_IMAGE_MAX_APP, TS_SLOT_SIZE - 512);
	h.app_size = TS_SLOT_SIZE - 511;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_ERR_SIZE);
	h.app_size = TS_SLOT_SIZE;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_ERR_SIZE);
	h.app_size = 0xFFFFFFFFu;
	assert_int_equal(ts_image_header_slot(&h, &s), TS_ERR_SIZE);
}

static void vector_table_rules(void **state)
{
	(void)state;
	struct ts_image_header h = sample(0);
	h.load_addr = TS_SLOT_A_ADDR + 512;
	h.app_size = 0x1000;
	const uint32_t app = h.load_addr, end = app + h.app_size;
	const uint32_t good_pc = app + 0x1C1;

	/* initial SP: inside SRAM or CCM, top included, 4-byte aligned */
	static const uint32_t sp_ok[] = {
		0x20020000u, 0x2001FFFCu, 0x20000004u, 0x20010000u, 0x10010000u, 0x10000004u,
	};
	static const uint32_t sp_bad[] = {
		0x20020004u, 0x20020001u, 0x2001FFFEu, 0x20000000u, 0x1FFFFFFCu, 0x10010004u,
		0x10000000u, 0x0FFFFFFCu, 0, 0xFFFFFFFCu, 0x08020000u, 0x40000000u, 0x2001FFFDu,
		0x20030000u, 0x10020000u,
	};
	for (size_t i = 0; i < sizeof(sp_ok) / sizeof(sp_ok[0]); i++)
		if (ts_image_check_vectors(&h, sp_ok[i], good_pc) != TS_OK)
			fail_msg("initial SP 0x%08X refused", sp_ok[i]);
	for (size_t i = 0; i < sizeof(sp_bad) / sizeof(sp_bad[0]); i++)
		if (ts_image_check_vectors(&h, sp_bad[i], good_pc) != TS_ERR_VECTOR)
			fail_msg("initial SP 0x%08X accepted", sp_bad[i]);

	/* reset handler: Thumb bit, inside the application after SP and PC */
	const uint32_t pc_ok[] = {app + 9, app + 0x1C1, end - 1, end - 3};
	const uint32_t pc_bad[] = {
		app + 0x1C0,          /* no Thumb bit */
		end - 2,              /* no Thumb bit */
		end + 1,              /* just past the end */
		end + 0x1001,
		app + 1, app + 5,     /* points into the SP/PC words */
		app - 511,            /* into the header */
		app - 0x1000 + 1,
		0x00000001u, 0xFFFFFFFFu, TS_SLOT_B_ADDR + 0x1C1, 0x20000001u,
	};
	for (size_t i = 0; i < sizeof(pc_ok) / sizeof(pc_ok[0]); i++)
		if (ts_image_check_vectors(&h, 0x20020000u, pc_ok[i]) != TS_OK)
			fail_msg("reset handler 0x%08X refused", pc_ok[i]);
	for (size_t i = 0; i < sizeof(pc_bad) / sizeof(pc_bad[0]); i++)
		if (ts_image_check_vectors(&h, 0x20020000u, pc_bad[i]) != TS_ERR_VECTOR)
			fail_msg("reset handler 0x%08X accepted", pc_bad[i]);

	/* A header nobody passed through ts_image_header_slot: the address
	 * arithmetic must not wrap around 2^32 and accept a handler outside. */
	h.load_addr = 0xFFFFFFFCu;
	h.app_size = 0x100;
	assert_int_equal(ts_image_check_vectors(&h, 0x20020000u, 0x00000011u), TS_ERR_VECTOR);
	assert_int_equal(ts_image_check_vectors(&h, 0x20020000u, 0xFFFFFFFDu), TS_ERR_VECTOR);
	h.load_addr = 0xFFFFFF00u;
	assert_int_equal(ts_image_check_vectors(&h, 0x20020000u, 0xFFFFFF09u), TS_OK);
	assert_int_equal(ts_image_check_vectors(&h, 0x20020000u, 0x00000001u), TS_ERR_VECTOR);
}

/* A synthetic slot image in memory: header + vector table + code bytes. */
struct img {
	uint8_t *b;
	uint32_t len;  /* readable bytes (the slot size) */
};

static struct img make_image(enum ts_slot slot, uint32_t app_size, uint32_t sp, uint32_t pc)
{
	struct img im;
	im.len = TS_SLOT_SIZE;
	im.b = malloc(im.len);
	assert_non_null(im.b);
	memset(im.b, 0xFF, im.len);
	uint8_t *app = im.b + 512;
	struct tu_rng r = {app_size};
	tu_fill(&r, app, app_size);
	put32(app, sp);
	put32(app + 4, pc);
	struct ts_image_header h = sample(0);
	h.load_addr = ts_slot_addr(slot) + 512;
	h.app_size = app_size;
	ts_sha256(app, app_size, h.app_sha256);
	ts_image_header_encode(&h, im.b);
	return im;
}

static int ticks;
static void count_tick(void)
{
	ticks++;
}

static void validate_synthetic_images(void **state)
{
	(void)state;
	struct ts_image_header h;
	const uint32_t sp = 0x20020000u;
	const uint32_t size = 10000;

	/* good, both slots; the tick runs once per 4 KB chunk */
	for (int s = 0; s < 2; s++) {
		uint32_t pc = ts_slot_addr((enum ts_slot)s) + 512 + 0x189;
		struct img im = make_image((enum ts_slot)s, size, sp, pc);
		ticks = 0;
		assert_int_equal(ts_image_validate(im.b, im.len, (enum ts_slot)s, &h, count_tick), TS_OK);
		assert_int_equal(ticks, 3);
		assert_int_equal(h.app_size, size);
		assert_int_equal(ts_image_validate(im.b, im.len, (enum ts_slot)s, &h, NULL), TS_OK);
		/* wrong slot: an image linked for A is refused in B and vice versa */
		assert_int_equal(ts_image_validate(im.b, im.len, (enum ts_slot)(1 - s), &h, NULL),
				 TS_ERR_ADDR);
		/* buffer shorter than the image says */
		assert_int_equal(ts_image_validate(im.b, 512 + size - 1, (enum ts_slot)s, &h, NULL),
				 TS_ERR_SIZE);
		assert_int_equal(ts_image_validate(im.b, 512 + size, (enum ts_slot)s, &h, NULL), TS_OK);
		assert_int_equal(ts_image_validate(im.b, 511, (enum ts_slot)s, &h, NULL), TS_ERR_SIZE);
		free(im.b);
	}

	uint32_t pc = TS_SLOT_A_ADDR + 512 + 0x189;
	struct img im = make_image(TS_SLOT_A, size, sp, pc);
	/* bad hash: one flipped bit anywhere in the application, first and last byte */
	const uint32_t where[] = {8, 100, 4095, 4096, size - 1};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		im.b[512 + where[i]] ^= 0x10;
		assert_int_equal(ts_image_validate(im.b, im.len, TS_SLOT_A, &h, NULL), TS_ERR_HASH);
		im.b[512 + where[i]] ^= 0x10;
	}
	/* bytes after the application are not covered */
	im.b[512 + size] = 0;
	assert_int_equal(ts_image_validate(im.b, im.len, TS_SLOT_A, &h, NULL), TS_OK);
	/* corrupted header */
	im.b[0x30] ^= 1;
	assert_int_equal(ts_image_validate(im.b, im.len, TS_SLOT_A, &h, NULL), TS_ERR_CRC);
	free(im.b);

	/* empty slot */
	uint8_t *blank = malloc(TS_SLOT_SIZE);
	assert_non_null(blank);
	memset(blank, 0xFF, TS_SLOT_SIZE);
	assert_int_equal(ts_image_validate(blank, TS_SLOT_SIZE, TS_SLOT_A, &h, NULL), TS_ERR_BLANK);
	free(blank);

	/* too big for the slot: the header's own check, even with room in the buffer */
	uint8_t *big = malloc(TS_SLOT_SIZE + 4096);
	assert_non_null(big);
	memset(big, 0, TS_SLOT_SIZE + 4096);
	struct ts_image_header hb = sample(0);
	hb.load_addr = TS_SLOT_A_ADDR + 512;
	hb.app_size = TS_SLOT_SIZE - 512 + 4;
	put32(big + 512, sp);
	put32(big + 516, pc);
	ts_sha256(big + 512, hb.app_size, hb.app_sha256);
	ts_image_header_encode(&hb, big);
	assert_int_equal(ts_image_validate(big, TS_SLOT_SIZE + 4096, TS_SLOT_A, &h, NULL),
			 TS_ERR_SIZE);
	/* exactly the slot's size is fine */
	hb.app_size = TS_SLOT_SIZE - 512;
	ts_sha256(big + 512, hb.app_size, hb.app_sha256);
	ts_image_header_encode(&hb, big);
	assert_int_equal(ts_image_validate(big, TS_SLOT_SIZE, TS_SLOT_A, &h, NULL), TS_OK);
	free(big);

	/* bad initial SP; reset handler outside the app or without the Thumb bit */
	const struct {
		uint32_t sp, pc;
	} bad[] = {
		{0x20020004u, pc},
		{0x08020000u, pc},
		{0x20010002u, pc},
		{sp, pc & ~1u},
		{sp, TS_SLOT_A_ADDR + 512 + size + 1},
		{sp, TS_SLOT_B_ADDR + 512 + 0x189},
		{sp, TS_SLOT_A_ADDR + 1},
		{sp, 0xFFFFFFFFu},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		im = make_image(TS_SLOT_A, size, bad[i].sp, bad[i].pc);
		int err = ts_image_validate(im.b, im.len, TS_SLOT_A, &h, NULL);
		if (err != TS_ERR_VECTOR)
			fail_msg("SP 0x%08X PC 0x%08X: got %d", bad[i].sp, bad[i].pc, err);
		free(im.b);
	}
	/* an application too short for a vector table */
	im = make_image(TS_SLOT_A, 4, sp, pc);
	assert_true(ts_image_validate(im.b, im.len, TS_SLOT_A, &h, NULL) < 0);
	free(im.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_bytes_match_spec_and_round_trip),
		cmocka_unit_test(header_every_bit_flip_detected),
		cmocka_unit_test(header_blank_and_garbage),
		cmocka_unit_test(header_self_checks),
		cmocka_unit_test(header_slot_rules),
		cmocka_unit_test(vector_table_rules),
		cmocka_unit_test(validate_synthetic_images),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
