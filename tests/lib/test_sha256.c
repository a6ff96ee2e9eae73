/*
 * SHA-256 and HMAC-SHA256 of lib/src/sha256.c against published vectors
 * (NIST CAVP, FIPS 180-2 examples, RFC 4231) and against OpenSSL's libcrypto
 * on random inputs split at random points.
 *
 *   lib_sha256                  everything but the full NIST set (its key
 *                               entries are embedded here)
 *   lib_sha256 --vectors DIR    every entry of DIR/sha256/SHA256ShortMsg.rsp;
 *                               exits 77 (CTest: skipped) when DIR, the
 *                               shared vectors folder, does not exist
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "twinslot/sha256.h"
#include "tutil.h"

static void assert_digest_hex(const uint8_t d[TS_SHA256_LEN], const char *want)
{
	char got[2 * TS_SHA256_LEN + 1];
	tu_hex(d, TS_SHA256_LEN, got);
	assert_string_equal(got, want);
}

/* One-shot, then byte by byte: both must give `want`. */
static void check_sha(const void *msg, size_t len, const char *want)
{
	uint8_t d[TS_SHA256_LEN];
	struct ts_sha256 c;

	ts_sha256(msg, len, d);
	assert_digest_hex(d, want);
	ts_sha256_init(&c);
	for (size_t i = 0; i < len; i++)
		ts_sha256_update(&c, (const uint8_t *)msg + i, 1);
	ts_sha256_final(&c, d);
	assert_digest_hex(d, want);
}

/* FIPS 180-2 appendix B examples and NIST's long message, always checked. */
static void sha256_embedded_key_vectors(void **state)
{
	(void)state;
	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha(m448, strlen(m448),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	check_sha(m896, strlen(m896),
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	/* A few CAVP ShortMsg entries as plain facts. */
	check_sha("\x9e", 1, "35af2d15ebde4d67b29569ec19749e813c76f02286afc5a2a9871c2bfbdaab32");
	check_sha("\xce\x56", 2, "cb8f96c222056053967f74a93fb0ed4088f25ab4cc0358aa80bc1e1428e9fb0e");
	check_sha("\x3e\xa6\x74", 3,
		  "ca5d7e63e0fd1b0472d2d02c75639b32f18c101956bbd5fd278c6f41651e2068");

	/* One million 'a' (FIPS 180-2 B.3), fed in uneven chunks. */
	static uint8_t a[1000000];
	memset(a, 'a', sizeof(a));
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	uint8_t d[TS_SHA256_LEN];
	ts_sha256(a, sizeof(a), d);
	assert_digest_hex(d, want);
	struct ts_sha256 c;
	ts_sha256_init(&c);
	size_t off = 0, step = 1;
	while (off < sizeof(a)) {
		size_t n = step < sizeof(a) - off ? step : sizeof(a) - off;
		ts_sha256_update(&c, a + off, n);
		off += n;
		step = step * 3 % 1021 + 1;
	}
	ts_sha256_final(&c, d);
	assert_digest_hex(d, want);
}

static char nist_path[4096]; /* VECTORS/sha256/SHA256ShortMsg.rsp */

/* Every entry of NIST's SHA256ShortMsg.rsp (lib_sha256 --vectors DIR). */
static void sha256_nist_cavp_shortmsg(void **state)
{
	(void)state;
	const char *path = nist_path;
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("shared vectors folder exists but %s cannot be opened", path);
	char line[4096];
	long bits = -1;
	uint8_t msg[1024], md[TS_SHA256_LEN];
	int msglen = -1, checked = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (sscanf(line, "Len = %ld", &bits) == 1) {
			msglen = -1;
		} else if (strncmp(line, "Msg = ", 6) == 0) {
			assert_true(bits >= 0 && bits % 8 == 0);
			msglen = tu_unhex(line + 6, msg, sizeof(msg));
			assert_true(msglen >= 0);
			/* CAVP writes "00" for the empty message. */
			if (bits == 0)
				msglen = 0;
			assert_int_equal(msglen, bits / 8);
		} else if (strncmp(line, "MD = ", 5) == 0) {
			assert_true(msglen >= 0);
			assert_int_equal(tu_unhex(line + 5, md, sizeof(md)), TS_SHA256_LEN);
			char want[2 * TS_SHA256_LEN + 1];
			tu_hex(md, sizeof(md), want);
			check_sha(msg, (size_t)msglen, want);
			checked++;
			msglen = -1;
		}
	}
	fclose(f);
	printf("NIST CAVP SHA256ShortMsg: %d vectors checked\n", checked);
	assert_int_equal(checked, 65); /* 0..512 bits in steps of 8 */
}

/* Every split point 0..len of every message length 0..200 (covers every
 * block boundary 0..129 and beyond), and three-way splits. */
static void sha256_split_every_boundary(void **state)
{
	(void)state;
	uint8_t msg[200], ref[TS_SHA256_LEN], d[TS_SHA256_LEN];
	struct tu_rng r = {0x5ca1ab1e};
	tu_fill(&r, msg, sizeof(msg));
	for (size_t len = 0; len <= sizeof(msg); len++) {
		SHA256(msg, len, ref);
		for (size_t s = 0; s <= len; s++) {
			struct ts_sha256 c;
			ts_sha256_init(&c);
			ts_sha256_update(&c, msg, s);
			ts_sha256_update(&c, msg + s, len - s);
			ts_sha256_final(&c, d);
			assert_memory_equal(d, ref, sizeof(d));
			/* second split at s2 in [s, len] */
			size_t s2 = s + (len - s) / 2;
			ts_sha256_init(&c);
			ts_sha256_update(&c, msg, s);
			ts_sha256_update(&c, msg + s, 0);
			ts_sha256_update(&c, msg + s, s2 - s);
			ts_sha256_update(&c, msg + s2, len - s2);
			ts_sha256_final(&c, d);
			assert_memory_equal(d, ref, sizeof(d));
		}
	}
}

/* A multi-megabyte message (bigger than any slot), in random chunks; and a
 * 64 KB message split at every offset 0..129; against libcrypto. */
static void sha256_long_message_vs_libcrypto(void **state)
{
	(void)state;
	const size_t len = 5u * 1024 * 1024 + 77;
	uint8_t *m = malloc(len);
	assert_non_null(m);
	struct tu_rng r = {42};
	tu_fill(&r, m, len);
	uint8_t ref[TS_SHA256_LEN], d[TS_SHA256_LEN];
	SHA256(m, len, ref);
	ts_sha256(m, len, d);
	assert_memory_equal(d, ref, sizeof(d));
	/* every first-chunk size 0..129 on a 64 KB prefix */
	const size_t plen = 65536 + 77;
	uint8_t pref[TS_SHA256_LEN];
	SHA256(m, plen, pref);
	for (size_t s = 0; s <= 129; s++) {
		struct ts_sha256 c;
		ts_sha256_init(&c);
		ts_sha256_update(&c, m, s);
		ts_sha256_update(&c, m + s, plen - s);
		ts_sha256_final(&c, d);
		assert_memory_equal(d, pref, sizeof(d));
	}
	struct ts_sha256 c;
	ts_sha256_init(&c);
	size_t off = 0;
	while (off < len) {
		size_t n = tu_below(&r, 9000);
		if (n > len - off)
			n = len - off;
		ts_sha256_update(&c, m + off, n);
		off += n;
	}
	ts_sha256_final(&c, d);
	assert_memory_equal(d, ref, sizeof(d));
	free(m);
}

/* Random lengths, random split points, and copying a context mid-stream. */
static void sha256_random_vs_libcrypto(void **state)
{
	(void)state;
	static uint8_t m[5000];
	struct tu_rng r = {0xC0FFEE};
	for (int it = 0; it < 3000; it++) {
		size_t len = it < 300 ? (size_t)it : tu_below(&r, 2) ? tu_below(&r, 300)
								   : tu_below(&r, sizeof(m) + 1);
		tu_fill(&r, m, len);
		uint8_t ref[TS_SHA256_LEN], d[TS_SHA256_LEN], d2[TS_SHA256_LEN];
		SHA256(m, len, ref);
		struct ts_sha256 c, copy;
		ts_sha256_init(&c);
		size_t off = 0, copy_at = len ? tu_below(&r, (uint32_t)len + 1) : 0;
		int copied = 0;
		while (off < len) {
			size_t n = 1 + tu_below(&r, 200);
			if (n > len - off)
				n = len - off;
			if (!copied && off + n > copy_at) {
				n = copy_at - off;
				ts_sha256_update(&c, m + off, n);
				off += n;
				copy = c; /* contexts may be copied */
				copied = 1;
				continue;
			}
			ts_sha256_update(&c, m + off, n);
			off += n;
		}
		if (!copied) {
			copy = c;
			copy_at = len;
		}
		ts_sha256_final(&c, d);
		assert_memory_equal(d, ref, sizeof(d));
		ts_sha256_update(&copy, m + copy_at, len - copy_at);
		ts_sha256_final(&copy, d2);
		assert_memory_equal(d2, ref, sizeof(d2));
	}
}

struct hmac_case {
	const char *key_hex;
	size_t key_rep;          /* key_hex repeated this many times */
	const char *data;        /* text, or NULL for data_hex */
	const char *data_hex;
	size_t data_rep;
	const char *mac;         /* may be a prefix (test case 5: 128 bits) */
};

/* RFC 4231 section 4, test cases 1-7. */
static const struct hmac_case rfc4231[] = {
	{"0b", 20, "Hi There", NULL, 0,
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"4a656665", 1, "what do ya want for nothing?", NULL, 0,
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"aa", 20, NULL, "dd", 50,
	 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{"0102030405060708090a0b0c0d0e0f10111213141516171819", 1, NULL, "cd", 50,
	 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{"0c", 20, "Test With Truncation", NULL, 0, "a3b6167473100ee06e0c796c2955552b"},
	{"aa", 131, "Test Using Larger Than Block-Size Key - Hash Key First", NULL, 0,
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{"aa", 131,
	 "This is a test using a larger than block-size key and a larger than block-size "
	 "data. The key needs to be hashed before being used by the HMAC algorithm.",
	 NULL, 0, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static size_t rep_hex(const char *hex, size_t rep, uint8_t *out, size_t cap)
{
	uint8_t one[64];
	int n = tu_unhex(hex, one, sizeof(one));
	assert_true(n > 0);
	assert_true((size_t)n * rep <= cap);
	for (size_t i = 0; i < rep; i++)
		memcpy(out + i * (size_t)n, one, (size_t)n);
	return (size_t)n * rep;
}

static void hmac_rfc4231_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		const struct hmac_case *t = &rfc4231[i];
		uint8_t key[200], data[200], mac[TS_SHA256_LEN];
		size_t klen = rep_hex(t->key_hex, t->key_rep, key, sizeof(key));
		size_t dlen;
		if (t->data) {
			dlen = strlen(t->data);
			memcpy(data, t->data, dlen);
		} else {
			dlen = rep_hex(t->data_hex, t->data_rep, data, sizeof(data));
		}
		char got[2 * TS_SHA256_LEN + 1];
		ts_hmac_sha256(key, klen, data, dlen, mac);
		tu_hex(mac, sizeof(mac), got);
		if (strncmp(got, t->mac, strlen(t->mac)) != 0)
			fail_msg("RFC 4231 test case %zu: got %s want %s", i + 1, got, t->mac);
		/* streaming, one byte at a time */
		struct ts_hmac_sha256 c;
		ts_hmac_sha256_init(&c, key, klen);
		for (size_t j = 0; j < dlen; j++)
			ts_hmac_sha256_update(&c, data + j, 1);
		ts_hmac_sha256_final(&c, mac);
		tu_hex(mac, sizeof(mac), got);
		assert_int_equal(strncmp(got, t->mac, strlen(t->mac)), 0);
	}
}

/* Random keys (empty, shorter, equal to and longer than a block) and data,
 * random split points, against libcrypto's HMAC. */
static void hmac_random_vs_libcrypto(void **state)
{
	(void)state;
	static uint8_t key[300], data[3000];
	struct tu_rng r = {0xBADC0DE};
	for (int it = 0; it < 2000; it++) {
		size_t klen = it < 150 ? (size_t)it : tu_below(&r, sizeof(key) + 1);
		size_t dlen = tu_below(&r, 4) ? tu_below(&r, 300) : tu_below(&r, sizeof(data) + 1);
		tu_fill(&r, key, klen);
		tu_fill(&r, data, dlen);
		uint8_t ref[EVP_MAX_MD_SIZE], mac[TS_SHA256_LEN];
		unsigned reflen = 0;
		assert_non_null(HMAC(EVP_sha256(), key, (int)klen, data, dlen, ref, &reflen));
		assert_int_equal(reflen, TS_SHA256_LEN);
		ts_hmac_sha256(key, klen, data, dlen, mac);
		assert_memory_equal(mac, ref, sizeof(mac));
		struct ts_hmac_sha256 c;
		ts_hmac_sha256_init(&c, key, klen);
		size_t off = 0;
		while (off < dlen) {
			size_t n = tu_below(&r, 130);
			if (n > dlen - off)
				n = dlen - off;
			ts_hmac_sha256_update(&c, data + off, n);
			off += n;
		}
		ts_hmac_sha256_final(&c, mac);
		assert_memory_equal(mac, ref, sizeof(mac));
	}
}

/* The exit status that tells CTest (SKIP_RETURN_CODE) the test was skipped. */
#define SKIPPED 77

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--vectors") == 0) {
		struct stat sb;
		if (stat(argv[2], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			printf("SKIPPED: %s not found: the full NIST CAVP SHA256ShortMsg set did "
			       "not run (lib_sha256 checks the embedded key vectors)\n", argv[2]);
			return SKIPPED;
		}
		snprintf(nist_path, sizeof nist_path, "%s/sha256/SHA256ShortMsg.rsp", argv[2]);
		const struct CMUnitTest nist[] = {
			cmocka_unit_test(sha256_nist_cavp_shortmsg),
		};
		return cmocka_run_group_tests(nist, NULL, NULL);
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--vectors SHARED_VECTORS_DIR]\n", argv[0]);
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_embedded_key_vectors),
		cmocka_unit_test(sha256_split_every_boundary),
		cmocka_unit_test(sha256_long_message_vs_libcrypto),
		cmocka_unit_test(sha256_random_vs_libcrypto),
		cmocka_unit_test(hmac_rfc4231_vectors),
		cmocka_unit_test(hmac_random_vs_libcrypto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
