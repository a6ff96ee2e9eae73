/*
 * The release manifest: a valid one round-trips through write and parse;
 * each kind of mistake is refused with its exact message, JSON syntax
 * (where and what) as well as the manifest's own rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/err.h"
#include "twinslot/manifest.h"
#include "twinslot/version.h"

#define SHA_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SHA_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static const char VALID[] =
	"{ \"schema\": 1, \"product\": \"twinslot-demo\", \"version\": \"1.1.0\",\n"
	"  \"images\": {\n"
	"    \"a\": { \"key\": \"fw/1.1.0/slot-a.img\", \"size\": 9216, \"sha256\": \"" SHA_A "\" },\n"
	"    \"b\": { \"key\": \"fw/1.1.0/slot-b.img\", \"size\": 9728, \"sha256\": \"" SHA_B "\" }\n"
	"  },\n"
	"  \"rollout\": { \"percent\": 100 } }\n";

static void valid_manifest_parses(void **state)
{
	(void)state;
	struct ts_manifest m;
	char err[200];
	assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), &m, err,
					   sizeof err), TS_OK);
	assert_string_equal(err, "");
	assert_int_equal(m.schema, 1);
	assert_string_equal(m.product, "twinslot-demo");
	assert_int_equal(m.version, TS_VERSION(1, 1, 0));
	assert_string_equal(m.image[0].key, "fw/1.1.0/slot-a.img");
	assert_int_equal(m.image[0].size, 9216);
	assert_int_equal(m.image[0].sha256[0], 0x00);
	assert_int_equal(m.image[0].sha256[31], 0xff);
	assert_string_equal(m.image[1].key, "fw/1.1.0/slot-b.img");
	assert_int_equal(m.image[1].size, 9728);
	assert_int_equal(m.image[1].sha256[0], 0xff);
	assert_true(m.has_rollout);
}

static void written_manifest_parses_back_identical(void **state)
{
	(void)state;
	struct ts_manifest m, back;
	char err[200], text[TS_MANIFEST_MAX];
	assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), &m, err,
					   sizeof err), TS_OK);
	m.has_rollout = false;
	long n = ts_manifest_write(&m, text, sizeof text);
	assert_true(n > 0);
	assert_int_equal(ts_manifest_parse(text, (size_t)n, &back, err,
					   sizeof err), TS_OK);
	assert_memory_equal(&m, &back, sizeof m);
	assert_int_equal(ts_manifest_write(&m, text, 50), TS_ERR_BUFSIZE);
}

struct bad {
	const char *json;
	int rc;
	const char *msg;
};

#define IMG_A "\"a\": { \"key\": \"k/a\", \"size\": 10, \"sha256\": \"" SHA_A "\" }"
#define IMG_B "\"b\": { \"key\": \"k/b\", \"size\": 10, \"sha256\": \"" SHA_B "\" }"
#define HEAD "\"schema\": 1, \"product\": \"p\", \"version\": \"1.0.0\""

static const struct bad BAD[] = {
	{ "", TS_ERR_FORMAT, "manifest: not valid JSON (at byte 0): unexpected end of input" },
	{ "{\"schema\": 1,", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 13): unexpected end of input" },
	{ "[1]", TS_ERR_FORMAT, "manifest: expected a JSON object at the top" },
	{ "{} x", TS_ERR_FORMAT, "manifest: text after the JSON object (at byte 3)" },
	{ "{\"schema\": 2}", TS_ERR_UNSUPPORTED,
	  "manifest: schema: 2 is not supported (this build reads schema 1)" },
	{ "{\"schema\": \"1\"}", TS_ERR_FORMAT, "manifest: schema: expected a whole number" },
	{ "{\"product\": \"p\"}", TS_ERR_FORMAT, "manifest: schema: missing" },
	{ "{\"schema\": 1, \"extra\": 0}", TS_ERR_FORMAT,
	  "manifest: extra: unknown or repeated field" },
	{ "{\"schema\": 1, \"schema\": 1}", TS_ERR_FORMAT,
	  "manifest: schema: unknown or repeated field" },
	{ "{\"schema\": 1, \"product\": \"\"}", TS_ERR_FORMAT,
	  "manifest: product: expected 1..63 characters" },
	{ "{\"schema\": 1, \"product\": \"p\"}", TS_ERR_FORMAT, "manifest: version: missing" },
	{ "{\"schema\": 1, \"product\": \"p\", \"version\": \"1.0\"}", TS_ERR_SEMVER,
	  "manifest: version: \"1.0\" is not MAJOR.MINOR.PATCH (<=255.255.65535)" },
	{ "{" HEAD "}", TS_ERR_FORMAT, "manifest: images: missing" },
	{ "{" HEAD ", \"images\": {" IMG_A "}}", TS_ERR_FORMAT,
	  "manifest: images.b: missing (an image per slot, a and b)" },
	{ "{" HEAD ", \"images\": {" IMG_A ", " IMG_B ", \"c\": {}}}", TS_ERR_FORMAT,
	  "manifest: images.c: unknown or repeated slot (a, b)" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"size\": 10, "
	  "\"sha256\": \"" SHA_B "0\" }}}", TS_ERR_FORMAT,
	  "manifest: images.b.sha256: expected 64 lower-case hex digits" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"size\": 10, "
	  "\"sha256\": \"FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100\" }}}",
	  TS_ERR_FORMAT, "manifest: images.b.sha256: expected 64 lower-case hex digits" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"size\": 393217, "
	  "\"sha256\": \"" SHA_B "\" }}}", TS_ERR_SIZE,
	  "manifest: images.b.size: 393217 bytes does not fit a slot (1..393216)" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"size\": 1.5, "
	  "\"sha256\": \"" SHA_B "\" }}}", TS_ERR_FORMAT,
	  "manifest: images.b.size: expected a whole number of bytes" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"/k/b\", \"size\": 10, "
	  "\"sha256\": \"" SHA_B "\" }}}", TS_ERR_FORMAT,
	  "manifest: images.b.key: expected an object key of 1..255 bytes, not starting with '/'" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/a\", \"size\": 10, "
	  "\"sha256\": \"" SHA_B "\" }}}", TS_ERR_FORMAT,
	  "manifest: images: a and b name the same object \"k/a\" (each slot needs its own link)" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"size\": 10, "
	  "\"sha256\": \"" SHA_B "\", \"url\": \"x\" }}}", TS_ERR_FORMAT,
	  "manifest: images.b.url: unknown or repeated field" },
	{ "{" HEAD ", \"images\": {" IMG_A ", " IMG_B "}, \"rollout\": []}", TS_ERR_FORMAT,
	  "manifest: rollout: expected an object" },
};

/* Each case is refused with its return code and its exact message. */
static void expect_refusals(const struct bad *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ts_manifest m;
		char err[200];
		int rc = ts_manifest_parse(cases[i].json, strlen(cases[i].json), &m, err, sizeof err);
		if (rc != cases[i].rc || strcmp(err, cases[i].msg) != 0)
			print_message("case %zu: %s\n  rc %d (want %d)\n  got:  %s\n  want: %s\n",
				      i, cases[i].json, rc, cases[i].rc, err, cases[i].msg);
		assert_int_equal(rc, cases[i].rc);
		assert_string_equal(err, cases[i].msg);
	}
}

static void invalid_manifests_are_refused_with_exact_messages(void **state)
{
	(void)state;
	expect_refusals(BAD, sizeof BAD / sizeof BAD[0]);
}

static void big_input_is_refused(void **state)
{
	(void)state;
	struct ts_manifest m;
	char err[200];
	static char big[TS_MANIFEST_MAX + 2];
	memset(big, ' ', sizeof big - 1);
	assert_int_equal(ts_manifest_parse(big, sizeof big - 1, &m, err, sizeof err),
			 TS_ERR_SIZE);
	assert_string_equal(err, "manifest: 4097 bytes, more than the 4096 allowed");
}

/* ---- the JSON reader under the manifest ------------------------------ */

#define IMGS "\"images\": {" IMG_A ", " IMG_B "}"
#define B_SIZE(n) "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"size\": " \
	n ", \"sha256\": \"" SHA_B "\" }}}"

static const struct bad BAD_JSON[] = {
	/* syntax, with where and what */
	{ "{\"schema\" 1}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 10): expected ':' after a field name" },
	{ "{\"schema\": 1 \"product\": \"p\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 13): expected ',' or '}'" },
	{ "{\"schema\": 1,}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 13): expected a field name in quotes" },
	{ "{schema: 1}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 1): expected a field name in quotes" },
	{ "{\"schema\": [1, 2}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 16): expected ',' or ']'" },
	{ "{\"schema\": tru}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 11): expected a value" },
	{ "{\"schema\": 'x'}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 11): expected a value" },
	{ "{\"schema\": true}", TS_ERR_FORMAT, "manifest: schema: expected a whole number" },
	/* unterminated input */
	{ "{\"schema\": 1, \"product\": \"p", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 27): unterminated string" },
	{ "{\"schema\": 1, \"product\": \"p\\", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 27): unterminated string" },
	{ "{\"schema\": 1, \"images\": {\"a\": {", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 31): unexpected end of input" },
	{ "{\"schema\": -", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 12): malformed number" },
	/* trailing garbage */
	{ "{}}", TS_ERR_FORMAT, "manifest: text after the JSON object (at byte 2)" },
	{ "{} \n {}", TS_ERR_FORMAT, "manifest: text after the JSON object (at byte 5)" },
	/* escapes */
	{ "{\"schema\": 1, \"product\": \"a\\xb\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 27): unknown escape (allowed: \\\" \\\\ \\/ "
	  "\\b \\f \\n \\r \\t \\uXXXX)" },
	{ "{\"schema\": 1, \"product\": \"\\u12g4\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 26): \\u needs four hex digits" },
	{ "{\"schema\": 1, \"product\": \"\\u12\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 26): \\u needs four hex digits" },
	{ "{\"schema\": 1, \"product\": \"a\\u0000b\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 27): \\u0000 (NUL) inside a string is refused" },
	{ "{\"schema\": 1, \"product\": \"\\ud800\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 26): lone UTF-16 surrogate in a \\u escape" },
	{ "{\"schema\": 1, \"product\": \"\\ud800\\u0041\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 26): lone UTF-16 surrogate in a \\u escape" },
	{ "{\"schema\": 1, \"product\": \"\\udc00\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 26): lone UTF-16 surrogate in a \\u escape" },
	{ "{\"schema\": 1, \"product\": \"a\tb\"}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 27): control character inside a string (escape it)" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k\\u0001b\", \"size\": 10, "
	  "\"sha256\": \"" SHA_B "\" }}}", TS_ERR_FORMAT, "manifest: images.b.key: control character" },
	/* duplicate fields, also when spelled with escapes */
	{ "{\"schema\": 1, \"\\u0073chema\": 1}", TS_ERR_FORMAT,
	  "manifest: schema: unknown or repeated field" },
	{ "{" HEAD ", \"images\": {" IMG_A ", " IMG_A "}}", TS_ERR_FORMAT,
	  "manifest: images.a: unknown or repeated slot (a, b)" },
	{ "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"k/b\", \"key\": \"k/c\", "
	  "\"size\": 10, \"sha256\": \"" SHA_B "\" }}}", TS_ERR_FORMAT,
	  "manifest: images.b.key: unknown or repeated field" },
	/* numbers: whole, digits only, in range */
	{ B_SIZE("1e3"), TS_ERR_FORMAT, "manifest: images.b.size: expected a whole number of bytes" },
	{ B_SIZE("-0"), TS_ERR_FORMAT, "manifest: images.b.size: expected a whole number of bytes" },
	{ B_SIZE("10.0"), TS_ERR_FORMAT, "manifest: images.b.size: expected a whole number of bytes" },
	{ B_SIZE("-10"), TS_ERR_FORMAT, "manifest: images.b.size: expected a whole number of bytes" },
	{ B_SIZE("0"), TS_ERR_SIZE,
	  "manifest: images.b.size: 0 bytes does not fit a slot (1..393216)" },
	{ B_SIZE("9007199254740993"), TS_ERR_SIZE,
	  "manifest: images.b.size: 9007199254740993 bytes does not fit a slot (1..393216)" },
	{ B_SIZE("4294967306"), TS_ERR_SIZE, /* 10 more than 2^32: must not wrap to 10 */
	  "manifest: images.b.size: 4294967306 bytes does not fit a slot (1..393216)" },
	{ B_SIZE("123456789012345678901234567890"), TS_ERR_SIZE,
	  "manifest: images.b.size: 123456789012345678901234 bytes does not fit a slot (1..393216)" },
	{ "{\"schema\": 1e0}", TS_ERR_FORMAT, "manifest: schema: expected a whole number" },
	{ "{\"schema\": 18446744073709551617}", TS_ERR_UNSUPPORTED, /* 2^64 + 1 */
	  "manifest: schema: 18446744073709551617 is not supported (this build reads schema 1)" },
	{ "{\"schema\": 01}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 12): leading zero in a number" },
	{ "{\"schema\": 1.}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 13): malformed number: digits must follow '.'" },
	{ "{\"schema\": 1e+}", TS_ERR_FORMAT,
	  "manifest: not valid JSON (at byte 14): malformed number: digits must follow the exponent" },
};

static void json_mistakes_are_refused_with_where_and_what(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof BAD_JSON / sizeof BAD_JSON[0]; i++) {
		struct ts_manifest m;
		char err[200];
		int rc = ts_manifest_parse(BAD_JSON[i].json, strlen(BAD_JSON[i].json), &m, err,
					   sizeof err);
		if (rc != BAD_JSON[i].rc || strcmp(err, BAD_JSON[i].msg) != 0)
			print_message("case %zu: %s\n  rc %d (want %d)\n  got:  %s\n  want: %s\n",
				      i, BAD_JSON[i].json, rc, BAD_JSON[i].rc, err, BAD_JSON[i].msg);
		assert_int_equal(rc, BAD_JSON[i].rc);
		assert_string_equal(err, BAD_JSON[i].msg);
	}
}

/* A manifest whose rollout holds `depth` nested arrays (plus the top object
 * and rollout's own object around them). */
static size_t nested(char *out, size_t n, size_t depth)
{
	static const char head[] = "{" HEAD ", " IMGS ", \"rollout\": {\"x\": ";
	size_t k = sizeof head - 1;
	if (k + 2 * depth + 3 > n)
		abort(); /* the test's own mistake */
	memcpy(out, head, k);
	memset(out + k, '[', depth);
	memset(out + k + depth, ']', depth);
	memcpy(out + k + 2 * depth, "}}", 3);
	return k + 2 * depth + 2;
}

static void nesting_is_limited_to_sixteen_levels(void **state)
{
	(void)state;
	struct ts_manifest m;
	char err[200], text[TS_MANIFEST_MAX];
	/* the top object, rollout's object and 14 arrays: 16 levels, accepted */
	size_t n = nested(text, sizeof text, 14);
	assert_int_equal(ts_manifest_parse(text, n, &m, err, sizeof err), TS_OK);
	assert_true(m.has_rollout);
	/* one more: refused where the 17th level opens */
	n = nested(text, sizeof text, 15);
	size_t at = (size_t)(strchr(text, '[') - text) + 14;
	char want[200];
	snprintf(want, sizeof want, "manifest: not valid JSON (at byte %zu): nested deeper than "
		 "16 arrays and objects", at);
	assert_int_equal(ts_manifest_parse(text, n, &m, err, sizeof err), TS_ERR_FORMAT);
	assert_string_equal(err, want);
	/* thousands deep: the same answer, and the reader's stack stays small */
	n = nested(text, sizeof text, 1800);
	assert_int_equal(ts_manifest_parse(text, n, &m, err, sizeof err), TS_ERR_FORMAT);
	assert_string_equal(err, want);
}

static void nul_inside_a_string_is_refused_and_after_the_object_ends_it(void **state)
{
	(void)state;
	struct ts_manifest m;
	char err[200];
	static const char in_string[] = "{\"schema\": 1, \"product\": \"p\0q\"}";
	assert_int_equal(ts_manifest_parse(in_string, sizeof in_string - 1, &m, err, sizeof err),
			 TS_ERR_FORMAT);
	assert_string_equal(err, "manifest: not valid JSON (at byte 27): NUL byte inside a string");
	static const char in_name[] = "{\"sch\0ema\": 1}";
	assert_int_equal(ts_manifest_parse(in_name, sizeof in_name - 1, &m, err, sizeof err),
			 TS_ERR_FORMAT);
	assert_string_equal(err, "manifest: not valid JSON (at byte 5): NUL byte inside a string");
	/* the agent's buffer: the text, a NUL, whatever was there before */
	char buf[sizeof VALID + 8];
	memcpy(buf, VALID, sizeof VALID);
	memcpy(buf + sizeof VALID, "garbage", 7);
	assert_int_equal(ts_manifest_parse(buf, sizeof buf - 1, &m, err, sizeof err), TS_OK);
	assert_int_equal(m.image[1].size, 9728);
}

static void escapes_decode_to_utf8(void **state)
{
	(void)state;
	struct ts_manifest m;
	char err[200];
	static const char T[] =
		"{\"schema\": 1, \"product\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/\","
		" \"version\": \"1.0.\\u0032\", \"images\": {"
		"\"\\u0061\": { \"key\": \"k\\/a\", \"size\": 10, \"sha256\": \"" SHA_A "\" }, "
		IMG_B "}}";
	assert_int_equal(ts_manifest_parse(T, strlen(T), &m, err, sizeof err), TS_OK);
	assert_string_equal(m.product, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ /");
	assert_int_equal(m.version, TS_VERSION(1, 0, 2));
	assert_string_equal(m.image[0].key, "k/a");
	/* a key that only fits once decoded is refused by its decoded length */
	char text[TS_MANIFEST_MAX];
	int k = snprintf(text, sizeof text, "{" HEAD ", \"images\": {" IMG_A ", \"b\": { \"key\": \"");
	for (int i = 0; i < 256; i++)
		k += snprintf(text + k, sizeof text - (size_t)k, "\\u0062");
	k += snprintf(text + k, sizeof text - (size_t)k,
		      "\", \"size\": 10, \"sha256\": \"" SHA_B "\" }}}");
	assert_int_equal(ts_manifest_parse(text, (size_t)k, &m, err, sizeof err), TS_ERR_FORMAT);
	assert_string_equal(err, "manifest: images.b.key: expected an object key of 1..255 bytes, "
			    "not starting with '/'");
}

/* The parse keeps no state between calls: interleaving two texts, in any
 * order, gives each its own answer. */
static void parses_are_independent(void **state)
{
	(void)state;
	struct ts_manifest a, b;
	char ea[200], eb[200];
	static const char OTHER[] = "{" HEAD ", \"images\": {" IMG_A ", " IMG_B "}}";
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ts_manifest_parse(OTHER, strlen(OTHER), &b, eb, sizeof eb), TS_OK);
		assert_int_equal(ts_manifest_parse("{\"schema\": 2}", 13, &a, ea, sizeof ea),
				 TS_ERR_UNSUPPORTED);
		assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), &a, ea, sizeof ea), TS_OK);
	}
	assert_string_equal(a.image[0].key, "fw/1.1.0/slot-a.img");
	assert_string_equal(b.image[0].key, "k/a");
	assert_false(b.has_rollout);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_manifest_parses),
		cmocka_unit_test(written_manifest_parses_back_identical),
		cmocka_unit_test(invalid_manifests_are_refused_with_exact_messages),
		cmocka_unit_test(big_input_is_refused),
		cmocka_unit_test(json_mistakes_are_refused_with_where_and_what),
		cmocka_unit_test(nesting_is_limited_to_sixteen_levels),
		cmocka_unit_test(nul_inside_a_string_is_refused_and_after_the_object_ends_it),
		cmocka_unit_test(escapes_decode_to_utf8),
		cmocka_unit_test(parses_are_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
