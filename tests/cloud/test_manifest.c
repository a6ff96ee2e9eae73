/*
 * The release manifest: a valid one round-trips through write and parse;
 * each kind of mistake is refused with its exact message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/err.h"
#include "twinslot/manifest.h"
#include "twinslot/version.h"

static uint8_t arena[TS_MANIFEST_ARENA];

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
	assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), arena, sizeof arena, &m, err,
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
	assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), arena, sizeof arena, &m, err,
					   sizeof err), TS_OK);
	m.has_rollout = false;
	long n = ts_manifest_write(&m, text, sizeof text);
	assert_true(n > 0);
	assert_int_equal(ts_manifest_parse(text, (size_t)n, arena, sizeof arena, &back, err,
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
	{ "", TS_ERR_FORMAT, "manifest: not valid JSON (at byte 0)" },
	{ "{\"schema\": 1,", TS_ERR_FORMAT, "manifest: not valid JSON (at byte 12)" },
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

static void invalid_manifests_are_refused_with_exact_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		struct ts_manifest m;
		char err[200];
		int rc = ts_manifest_parse(BAD[i].json, strlen(BAD[i].json), arena, sizeof arena,
					   &m, err, sizeof err);
		if (rc != BAD[i].rc || strcmp(err, BAD[i].msg) != 0)
			print_message("case %zu: %s\n  rc %d (want %d)\n  got:  %s\n  want: %s\n",
				      i, BAD[i].json, rc, BAD[i].rc, err, BAD[i].msg);
		assert_int_equal(rc, BAD[i].rc);
		assert_string_equal(err, BAD[i].msg);
	}
}

static void small_arena_and_big_input_are_refused(void **state)
{
	(void)state;
	struct ts_manifest m;
	char err[200];
	static uint8_t tiny[256];
	assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), tiny, sizeof tiny, &m, err,
					   sizeof err), TS_ERR_BUFSIZE);
	assert_string_equal(err, "manifest: parse arena of 256 bytes too small");
	static char big[TS_MANIFEST_MAX + 2];
	memset(big, ' ', sizeof big - 1);
	assert_int_equal(ts_manifest_parse(big, sizeof big - 1, arena, sizeof arena, &m, err,
					   sizeof err), TS_ERR_SIZE);
	assert_string_equal(err, "manifest: 4097 bytes, more than the 4096 allowed");
	/* after a parse, cJSON allocates from the heap again */
	assert_int_equal(ts_manifest_parse(VALID, strlen(VALID), arena, sizeof arena, &m, err,
					   sizeof err), TS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_manifest_parses),
		cmocka_unit_test(written_manifest_parses_back_identical),
		cmocka_unit_test(invalid_manifests_are_refused_with_exact_messages),
		cmocka_unit_test(small_arena_and_big_input_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
