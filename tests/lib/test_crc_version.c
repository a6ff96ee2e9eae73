/*
 * CRC-32 (check value, continuation, against a bitwise reference) and
 * semantic version parsing/formatting (every malformed form refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/version.h"
#include "tutil.h"

/* Bit-at-a-time reflected CRC-32 straight from its definition
 * (poly 0x04C11DB7 reflected = 0xEDB88320, init and xorout 0xFFFFFFFF). */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void crc32_check_value(void **state)
{
	(void)state;
	assert_int_equal(ts_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(ts_crc32(0, "", 0), 0);
	assert_int_equal(ts_crc32(0, NULL, 0), 0);
	/* zlib's crc32 of "The quick brown fox jumps over the lazy dog" */
	const char *fox = "The quick brown fox jumps over the lazy dog";
	assert_int_equal(ts_crc32(0, fox, strlen(fox)), 0x414FA339u);
	/* 32 bytes of 0xFF (an erased record) and of 0x00 */
	uint8_t ff[32], zero[32];
	memset(ff, 0xFF, sizeof(ff));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(ts_crc32(0, ff, 32), 0xFF6CAB0Bu);
	assert_int_equal(ts_crc32(0, zero, 32), 0x190A55ADu);
}

static void crc32_vs_bitwise_reference(void **state)
{
	(void)state;
	static uint8_t buf[2048];
	struct tu_rng r = {7};
	for (int it = 0; it < 2000; it++) {
		size_t len = it < 100 ? (size_t)it : tu_below(&r, sizeof(buf) + 1);
		tu_fill(&r, buf, len);
		uint32_t want = ref_crc32(buf, len);
		assert_int_equal(ts_crc32(0, buf, len), want);
		/* continuation: crc(a||b) == crc(crc(a), b) */
		size_t s = len ? tu_below(&r, (uint32_t)len + 1) : 0;
		assert_int_equal(ts_crc32(ts_crc32(0, buf, s), buf + s, len - s), want);
	}
}

static void version_valid_forms(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		uint32_t v;
	} ok[] = {
		{"0.0.0", 0},
		{"1.2.3", 0x01020003u},
		{"0.0.1", 1},
		{"10.20.300", TS_VERSION(10, 20, 300)},
		{"255.255.65535", 0xFFFFFFFFu},
		{"255.0.0", 0xFF000000u},
		{"0.255.0", 0x00FF0000u},
		{"0.0.65535", 0x0000FFFFu},
		{"100.200.10000", TS_VERSION(100, 200, 10000)},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint32_t v = 0xDEADBEEFu;
		if (ts_version_parse(ok[i].s, &v) != TS_OK)
			fail_msg("\"%s\" refused", ok[i].s);
		assert_int_equal(v, ok[i].v);
		char buf[TS_VERSION_STR_MAX];
		ts_version_format(v, buf);
		assert_string_equal(buf, ok[i].s);
	}
	/* Packing orders versions as integers. */
	uint32_t a, b, c;
	assert_int_equal(ts_version_parse("1.9.65535", &a), TS_OK);
	assert_int_equal(ts_version_parse("1.10.0", &b), TS_OK);
	assert_int_equal(ts_version_parse("2.0.0", &c), TS_OK);
	assert_true(a < b && b < c);
	assert_int_equal(TS_VERSION_MAJOR(a), 1);
	assert_int_equal(TS_VERSION_MINOR(a), 9);
	assert_int_equal(TS_VERSION_PATCH(a), 65535);
}

static void version_malformed_forms(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "1", "1.2", "1.2.3.4", "1.2.3.", ".1.2", "1..2", "1.2.", "..", "...",
		/* leading zeros */
		"01.2.3", "1.02.3", "1.2.03", "00.0.0", "0.00.0", "0.0.00", "000.1.1",
		/* overflow */
		"256.0.0", "0.256.0", "0.0.65536", "1000.0.0", "0.0.100000",
		"4294967296.0.0", "0.0.4294967297", "99999999999999999999.0.0",
		"0.0.18446744073709551617", "4294967551.0.0",
		/* suffixes, prefixes */
		"1.2.3-rc1", "1.2.3+build.5", "1.2.3-0", "v1.2.3", "V1.2.3", "1.2.3a",
		"1.2.3.0", "1.2.3\n", "0x1.2.3", "1.2.0x3",
		/* spaces and signs */
		" 1.2.3", "1.2.3 ", "1. 2.3", "1 .2.3", "1.2 .3", "\t1.2.3",
		"+1.2.3", "-1.2.3", "1.+2.3", "1.-2.3", "1.2.+3", "1.2.-3", "1.2.-0",
		/* other separators and junk */
		"1,2,3", "1_2_3", "1.2", "a.b.c", "1.2.x", "1.2.3\x01", "\xff.1.1",
		"１.2.3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = 0xA5A5A5A5u;
		int err = ts_version_parse(bad[i], &v);
		if (err != TS_ERR_SEMVER)
			fail_msg("\"%s\": got %d, want TS_ERR_SEMVER", bad[i], err);
		assert_int_equal(v, 0xA5A5A5A5u); /* *out untouched on failure */
	}
}

/* Format then parse gives back every packed value (sampled). */
static void version_format_parse_round_trip(void **state)
{
	(void)state;
	struct tu_rng r = {99};
	for (int it = 0; it < 20000; it++) {
		uint32_t v = it < 256 ? TS_VERSION(it, 255 - it, it * 257)
				      : (uint32_t)tu_next(&r);
		char buf[TS_VERSION_STR_MAX + 8];
		memset(buf, 'X', sizeof(buf));
		ts_version_format(v, buf);
		assert_true(strlen(buf) < TS_VERSION_STR_MAX);
		assert_int_equal((unsigned char)buf[TS_VERSION_STR_MAX], 'X');
		char want[32];
		snprintf(want, sizeof(want), "%u.%u.%u", (unsigned)(v >> 24),
			 (unsigned)((v >> 16) & 0xFF), (unsigned)(v & 0xFFFF));
		assert_string_equal(buf, want);
		uint32_t back;
		assert_int_equal(ts_version_parse(buf, &back), TS_OK);
		assert_int_equal(back, v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32_check_value),
		cmocka_unit_test(crc32_vs_bitwise_reference),
		cmocka_unit_test(version_valid_forms),
		cmocka_unit_test(version_malformed_forms),
		cmocka_unit_test(version_format_parse_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
