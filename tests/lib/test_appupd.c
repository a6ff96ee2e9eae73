/*
 * The app-path frame codec (lib/src/appupd.c): encode/decode round trips of
 * every frame size, a frame split byte by byte, bad CRC dropped and the next
 * frame still decoded, resynchronisation after noise (also noise holding
 * 7E right before a real frame), truncated frames (reset), oversize and
 * unknown-type headers refused, encode limits, the payload layouts byte for
 * byte (as docs/app-update.md shows them) and their parsers' refusals, and
 * the BRR computation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/appupd.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"

static uint8_t frame[TS_APPUPD_FRAME_MAX + 16];
static uint8_t pay[TS_APPUPD_PAYLOAD_MAX];
static uint8_t dbuf[TS_APPUPD_PAYLOAD_MAX];

/* Feed n bytes; count good frames, remember the last; count CRC errors. */
static int feed(struct ts_appupd_dec *d, const uint8_t *p, size_t n,
		struct ts_appupd_frame *last, int *crc_errs)
{
	int good = 0;
	for (size_t i = 0; i < n; i++) {
		struct ts_appupd_frame f;
		int r = ts_appupd_dec_push(d, p[i], &f);
		if (r == 1) {
			good++;
			*last = f;
		} else if (r == TS_ERR_CRC) {
			(*crc_errs)++;
		} else {
			assert_int_equal(r, 0);
		}
	}
	return good;
}

static void round_trip_every_size(void **state)
{
	(void)state;
	struct ts_appupd_dec d;
	ts_appupd_dec_init(&d, dbuf, sizeof(dbuf));
	for (uint32_t len = 0; len <= TS_APPUPD_PAYLOAD_MAX; len += (len < 40 ? 1 : 37)) {
		for (uint32_t i = 0; i < len; i++)
			pay[i] = (uint8_t)(i * 7 + len);
		if (len > 3)
			pay[3] = TS_APPUPD_SOF; /* a 7E inside the payload is just data */
		int n = ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_DATA, (uint8_t)len, pay,
					 (uint16_t)len);
		assert_int_equal(n, (int)(TS_APPUPD_HEAD_LEN + len + TS_APPUPD_CRC_LEN));
		assert_int_equal(frame[0], 0x7E);
		assert_int_equal(frame[1], TS_APPUPD_DATA);
		assert_int_equal(frame[3] | frame[4] << 8, len);
		struct ts_appupd_frame f;
		int crc_errs = 0;
		assert_int_equal(feed(&d, frame, (size_t)n, &f, &crc_errs), 1);
		assert_int_equal(crc_errs, 0);
		assert_int_equal(f.type, TS_APPUPD_DATA);
		assert_int_equal(f.seq, (uint8_t)len);
		assert_int_equal(f.len, len);
		if (len)
			assert_memory_equal(f.payload, pay, len);
		assert_false(ts_appupd_dec_busy(&d));
	}
	/* The last four bytes are the CRC-32 of type..payload, little-endian. */
	int n = ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_ACK, 9, (const uint8_t *)"\1\2\3\4", 4);
	assert_int_equal(n, 13);
	uint32_t crc = ts_crc32(0, frame + 1, 8);
	assert_int_equal(frame[9] | frame[10] << 8 | frame[11] << 16 | (uint32_t)frame[12] << 24, crc);
}

static void encode_in_place_and_limits(void **state)
{
	(void)state;
	uint8_t *p = frame + TS_APPUPD_HEAD_LEN;
	memcpy(p, "abcd", 4);
	assert_int_equal(ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_ACK, 1, p, 4), 13);
	assert_memory_equal(frame + 5, "abcd", 4);
	assert_int_equal(ts_appupd_encode(frame, 12, TS_APPUPD_ACK, 1, p, 4), TS_ERR_BUFSIZE);
	assert_int_equal(ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_DATA, 1, pay,
					  TS_APPUPD_PAYLOAD_MAX + 1),
			 TS_ERR_SIZE);
	assert_int_equal(ts_appupd_encode(frame, sizeof(frame), 0x42, 1, pay, 1), TS_ERR_INVAL);
	assert_int_equal(ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_ACK, 1, NULL, 4),
			 TS_ERR_INVAL);
	assert_int_equal(ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_END, 1, NULL, 0), 9);
}

static void bad_crc_dropped_next_frame_decoded(void **state)
{
	(void)state;
	struct ts_appupd_dec d;
	ts_appupd_dec_init(&d, dbuf, sizeof(dbuf));
	uint8_t two[64];
	int a = ts_appupd_encode(two, sizeof(two), TS_APPUPD_ACK, 1, (const uint8_t *)"WXYZ", 4);
	int b = ts_appupd_encode(two + a, sizeof(two) - (size_t)a, TS_APPUPD_DONE, 2,
				 (const uint8_t *)"\0\0\0\0", 4);
	/* every single bit flip of the first frame's type..CRC is detected */
	for (int bit = 8; bit < a * 8; bit++) {
		two[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		struct ts_appupd_frame f;
		int crc_errs = 0;
		ts_appupd_dec_reset(&d);
		int good = 0;
		for (int i = 0; i < a + b; i++) {
			int r = ts_appupd_dec_push(&d, two[i], &f);
			if (r == 1) {
				/* the corrupted first frame is never delivered */
				assert_int_equal(f.type, TS_APPUPD_DONE);
				assert_int_equal(f.seq, 2);
				good++;
			}
		}
		if (bit / 8 != 3 && bit / 8 != 4) {
			/* length intact: the second frame follows at once */
			assert_int_equal(good, 1);
		} else if (!good) {
			/* a longer length swallowed it: after silence it decodes */
			ts_appupd_dec_reset(&d);
			assert_int_equal(feed(&d, two + a, (size_t)b, &f, &crc_errs), 1);
		}
		two[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_true(d.bad_crc > 0);
	assert_true(d.bad_head > 0);
}

static void resync_after_noise(void **state)
{
	(void)state;
	struct ts_appupd_dec d;
	ts_appupd_dec_init(&d, dbuf, sizeof(dbuf));
	uint8_t s[128];
	size_t n = 0;
	/* console text, then noise with 7E bytes whose "headers" are refused,
	 * then a 7E immediately before the real frame */
	const char *text = "twinslot-app: v1.0.0 slot A\r\n";
	memcpy(s, text, strlen(text));
	n += strlen(text);
	s[n++] = 0x7E;
	s[n++] = 0x55; /* unknown type */
	s[n++] = 0x7E;
	s[n++] = 0x82;
	s[n++] = 0x00;
	s[n++] = 0xFF; /* len 0xFFxx > cap */
	s[n++] = 0xFF;
	s[n++] = 0x7E; /* stray 7E right before the frame's own */
	int m = ts_appupd_encode(s + n, sizeof(s) - n, TS_APPUPD_HELLO_REQ, 5,
				 (const uint8_t *)"\1\0\0\0", 4);
	n += (size_t)m;
	struct ts_appupd_frame f;
	int crc_errs = 0;
	assert_int_equal(feed(&d, s, n, &f, &crc_errs), 1);
	assert_int_equal(crc_errs, 0);
	assert_int_equal(f.type, TS_APPUPD_HELLO_REQ);
	assert_int_equal(f.seq, 5);
	assert_true(d.skipped >= strlen(text));
	assert_true(d.bad_head >= 2);
}

static void truncated_frame_and_reset(void **state)
{
	(void)state;
	struct ts_appupd_dec d;
	ts_appupd_dec_init(&d, dbuf, sizeof(dbuf));
	memset(pay, 0xA5, 100);
	int n = ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_DATA, 3, pay, 100);
	for (int cut = 1; cut < n; cut++) {
		struct ts_appupd_frame f;
		int crc_errs = 0;
		assert_int_equal(feed(&d, frame, (size_t)cut, &f, &crc_errs), 0);
		assert_true(ts_appupd_dec_busy(&d));
		/* without a reset the next frame is swallowed (or misread) ... */
		ts_appupd_dec_reset(&d); /* ... so the receiver drops it on silence */
		assert_false(ts_appupd_dec_busy(&d));
		assert_int_equal(feed(&d, frame, (size_t)n, &f, &crc_errs), 1);
		assert_int_equal(crc_errs, 0);
		assert_int_equal(f.len, 100);
	}
	/* a truncated frame followed by a whole one, no reset: the truncated
	 * one is never delivered, and decoding recovers at the latest with the
	 * frame after */
	struct ts_appupd_frame f;
	int crc_errs = 0;
	feed(&d, frame, 50, &f, &crc_errs);
	int good = feed(&d, frame, (size_t)n, &f, &crc_errs);
	good += feed(&d, frame, (size_t)n, &f, &crc_errs);
	good += feed(&d, frame, (size_t)n, &f, &crc_errs);
	assert_true(good >= 1);
	assert_int_equal(f.len, 100);
	assert_memory_equal(f.payload, pay, 100);
}

static void oversize_refused(void **state)
{
	(void)state;
	uint8_t small[16];
	struct ts_appupd_dec d;
	ts_appupd_dec_init(&d, small, sizeof(small));
	memset(pay, 1, 64);
	int n = ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_DATA, 1, pay, 17);
	struct ts_appupd_frame f;
	int crc_errs = 0;
	assert_int_equal(feed(&d, frame, (size_t)n, &f, &crc_errs), 0);
	assert_int_equal(d.bad_head, 1);
	n = ts_appupd_encode(frame, sizeof(frame), TS_APPUPD_DATA, 2, pay, 16);
	assert_int_equal(feed(&d, frame, (size_t)n, &f, &crc_errs), 1);
	assert_int_equal(f.len, 16);
	/* a header claiming more than the protocol's maximum, crafted by hand */
	uint8_t big[9] = {0x7E, TS_APPUPD_DATA, 0, 0x09, 0x04, 0, 0, 0, 0}; /* len 1033 */
	struct ts_appupd_dec d2;
	ts_appupd_dec_init(&d2, dbuf, 0xFFFF); /* capped at the maximum */
	assert_int_equal(feed(&d2, big, sizeof(big), &f, &crc_errs), 0);
	assert_int_equal(d2.bad_head, 1);
	assert_false(ts_appupd_dec_busy(&d2));
	/* switching buffers only between frames */
	assert_int_equal(ts_appupd_dec_set_buf(&d2, dbuf, 8), TS_OK);
	struct ts_appupd_frame g;
	(void)ts_appupd_dec_push(&d2, 0x7E, &g);
	assert_int_equal(ts_appupd_dec_set_buf(&d2, dbuf, 8), TS_ERR_STATE);
}

static void payload_layouts(void **state)
{
	(void)state;
	uint8_t p[TS_APPUPD_PAYLOAD_MAX];
	struct ts_appupd_hello h = {1, 1, 8, 0, 0x01020003u, 0x407u, 921600u, 1024};
	assert_int_equal(ts_appupd_hello_pack(&h, p), 20);
	static const uint8_t hello[20] = {1, 1, 8, 0, 3, 0, 2, 1, 0x07, 0x04, 0, 0,
					  0x00, 0x10, 0x0E, 0x00, 0x00, 0x04, 0, 0};
	assert_memory_equal(p, hello, 20);
	struct ts_appupd_hello back;
	assert_int_equal(ts_appupd_hello_parse(p, 20, &back), TS_OK);
	assert_int_equal(back.max_baud, 921600u);
	assert_int_equal(back.running_version, 0x01020003u);
	assert_int_equal(ts_appupd_hello_parse(p, 19, &back), TS_ERR_PROTO);
	p[18] = 1;
	assert_int_equal(ts_appupd_hello_parse(p, 20, &back), TS_ERR_PROTO);
	p[18] = 0;
	p[16] = 2; /* max_data 1026 */
	assert_int_equal(ts_appupd_hello_parse(p, 20, &back), TS_ERR_PROTO);

	uint8_t v8;
	assert_int_equal(ts_appupd_hello_req_pack(1, p), 4);
	assert_int_equal(ts_appupd_hello_req_parse(p, 4, &v8), TS_OK);
	assert_int_equal(v8, 1);
	p[2] = 9;
	assert_int_equal(ts_appupd_u8_parse(p, 4, &v8), TS_ERR_PROTO);

	int32_t e;
	uint32_t next;
	assert_int_equal(ts_appupd_nak_pack(TS_ERR_ADDR, 0x1234, p), 8);
	static const uint8_t nak[8] = {0xFA, 0xFF, 0xFF, 0xFF, 0x34, 0x12, 0, 0};
	assert_memory_equal(p, nak, 8);
	assert_int_equal(ts_appupd_nak_parse(p, 8, &e, &next), TS_OK);
	assert_int_equal(e, TS_ERR_ADDR);
	assert_int_equal(next, 0x1234);

	uint8_t hdr[512];
	for (int i = 0; i < 512; i++)
		hdr[i] = (uint8_t)i;
	assert_int_equal(ts_appupd_begin_pack(hdr, 512 + 1000, p), 516);
	const uint8_t *hp;
	uint32_t ilen;
	assert_int_equal(ts_appupd_begin_parse(p, 516, &hp, &ilen), TS_OK);
	assert_memory_equal(hp, hdr, 512);
	assert_int_equal(ilen, 1512);
	assert_int_equal(ts_appupd_begin_parse(p, 515, &hp, &ilen), TS_ERR_PROTO);

	uint8_t data[8] = {9, 8, 7, 6, 5, 4, 3, 2};
	assert_int_equal(ts_appupd_data_pack(0x400, TS_APPUPD_DATA_ACK_NOW, data, 8, p), 16);
	static const uint8_t dh[8] = {0x00, 0x04, 0, 0, 1, 0, 0, 0};
	assert_memory_equal(p, dh, 8);
	uint32_t off;
	uint8_t fl;
	const uint8_t *dp;
	uint16_t dn;
	assert_int_equal(ts_appupd_data_parse(p, 16, &off, &fl, &dp, &dn), TS_OK);
	assert_int_equal(off, 0x400);
	assert_int_equal(fl, 1);
	assert_int_equal(dn, 8);
	assert_memory_equal(dp, data, 8);
	assert_int_equal(ts_appupd_data_parse(p, 8, &off, &fl, &dp, &dn), TS_ERR_PROTO);
	p[4] = 2; /* unknown flag */
	assert_int_equal(ts_appupd_data_parse(p, 16, &off, &fl, &dp, &dn), TS_ERR_PROTO);
	p[4] = 0;
	p[6] = 1;
	assert_int_equal(ts_appupd_data_parse(p, 16, &off, &fl, &dp, &dn), TS_ERR_PROTO);

	uint32_t v;
	assert_int_equal(ts_appupd_u32_pack(921600, p), 4);
	assert_int_equal(ts_appupd_u32_parse(p, 4, &v), TS_OK);
	assert_int_equal(v, 921600);
	assert_int_equal(ts_appupd_u32_parse(p, 5, &v), TS_ERR_PROTO);
	for (int t = 0; t < 256; t++)
		assert_int_equal(ts_appupd_type_known((uint8_t)t),
				 (t >= 1 && t <= 7) || (t >= 0x81 && t <= 0x86));
}

static void brr_errors(void **state)
{
	(void)state;
	int32_t ppm;
	/* 16 MHz: 115200 is the console's 0x8B (-0.08 %) */
	assert_int_equal(ts_appupd_brr(16000000, 115200, &ppm), 0x8B);
	assert_true(ppm < 0 && ppm > -1000);
	/* 16 MHz, 921600: USARTDIV 1.0625 = 941176 baud, +2.12 % */
	assert_int_equal(ts_appupd_brr(16000000, 921600, &ppm), 17);
	assert_true(ppm > 21000 && ppm < 21300);
	/* 16 MHz, 1000000: exact */
	assert_int_equal(ts_appupd_brr(16000000, 1000000, &ppm), 16);
	assert_int_equal(ppm, 0);
	/* 84 MHz (APB2 of a 168 MHz core), 921600: 91 = 5.6875 -> +0.16 % */
	assert_int_equal(ts_appupd_brr(84000000, 921600, &ppm), 91);
	assert_true(ppm > 1500 && ppm < 1700);
	/* unreachable: USARTDIV below 1 */
	assert_int_equal(ts_appupd_brr(16000000, 2000000, &ppm), 0);
	assert_int_equal(ts_appupd_brr(16000000, 0, &ppm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_every_size),
		cmocka_unit_test(encode_in_place_and_limits),
		cmocka_unit_test(bad_crc_dropped_next_frame_decoded),
		cmocka_unit_test(resync_after_noise),
		cmocka_unit_test(truncated_frame_and_reset),
		cmocka_unit_test(oversize_refused),
		cmocka_unit_test(payload_layouts),
		cmocka_unit_test(brr_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
