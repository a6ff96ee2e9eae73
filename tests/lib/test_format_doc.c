/*
 * The worked example of docs/format.md: a real slot-A image (header and a
 * 16-byte application) and two journal records, produced by the library's
 * encoders. `test_format_doc --print` prints the blocks in the form they
 * have in the doc; without arguments the test checks that every block in
 * the doc is exactly what the encoders produce now, and that the example
 * image and records pass the library's own checks. So the doc cannot drift.
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
#include "twinslot/journal.h"
#include "twinslot/version.h"

#define APP_SIZE 16u

struct example {
	uint8_t image[TS_IMAGE_HDR_SIZE + APP_SIZE];
	uint8_t rec[2][TS_RECORD_SIZE];
	struct ts_image_header h;
	struct ts_record r[2];
};

static void build(struct example *e)
{
	/* The application: initial SP = top of SRAM, reset handler at
	 * app + 8 with the Thumb bit, then `b .` and three `nop`. */
	static const uint8_t app[APP_SIZE] = {
		0x00, 0x00, 0x02, 0x20, 0x09, 0x02, 0x02, 0x08,
		0xFE, 0xE7, 0x00, 0xBF, 0x00, 0xBF, 0x00, 0xBF,
	};
	memset(e, 0, sizeof(*e));
	e->h.hdr_version = TS_IMAGE_HDR_VERSION;
	e->h.hdr_size = TS_IMAGE_HDR_SIZE;
	e->h.load_addr = TS_SLOT_A_ADDR + TS_IMAGE_HDR_SIZE;
	e->h.app_size = APP_SIZE;
	e->h.version = TS_VERSION(1, 2, 3);
	e->h.product_id = 0x00000407u;
	ts_sha256(app, APP_SIZE, e->h.app_sha256);
	ts_image_header_encode(&e->h, e->image);
	memcpy(e->image + TS_IMAGE_HDR_SIZE, app, APP_SIZE);

	for (int i = 0; i < 2; i++) {
		struct ts_record *r = &e->r[i];
		r->seq = (uint32_t)i + 1;
		r->type = i == 0 ? TS_REC_PENDING : TS_REC_ATTEMPT;
		r->slot = TS_SLOT_A;
		r->attempt = i == 0 ? 0 : 1;
		r->version = e->h.version;
		memcpy(r->hash, e->h.app_sha256, TS_RECORD_HASH_LEN);
		ts_record_encode(r, e->rec[i]);
	}
}

/* the lines of `hexdump -C`, runs of identical
 * lines after the first shown as "*", then the end offset. */
static void dump(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t used = 0;
	int starred = 0;
#define OUT(...) used += (size_t)snprintf(out + used, cap > used ? cap - used : 0, __VA_ARGS__)
	for (size_t off = 0; off < n; off += 16) {
		size_t len = n - off < 16 ? n - off : 16;
		if (off > 0 && len == 16 && off + 16 <= n && memcmp(p + off, p + off - 16, 16) == 0) {
			if (!starred)
				OUT("*\n");
			starred = 1;
			continue;
		}
		starred = 0;
		OUT("%08zx  ", off);
		for (size_t i = 0; i < 16; i++) {
			if (i < len)
				OUT("%02x ", p[off + i]);
			else
				OUT("   ");
			if (i == 7)
				OUT(" ");
		}
		OUT(" |");
		for (size_t i = 0; i < len; i++)
			OUT("%c", p[off + i] >= 0x20 && p[off + i] < 0x7F ? p[off + i] : '.');
		OUT("|\n");
	}
	OUT("%08zx\n", n);
#undef OUT
	assert_true(used < cap);
}

static const char *const block_names[] = {"header", "app", "record1", "record2", "digests"};
#define NBLOCKS (sizeof(block_names) / sizeof(block_names[0]))

static void block_text(const struct example *e, size_t which, char *out, size_t cap)
{
	char hex[2 * TS_SHA256_LEN + 1];
	switch (which) {
	case 0:
		dump(out, cap, e->image, TS_IMAGE_HDR_SIZE);
		break;
	case 1:
		dump(out, cap, e->image + TS_IMAGE_HDR_SIZE, APP_SIZE);
		break;
	case 2:
	case 3:
		dump(out, cap, e->rec[which - 2], TS_RECORD_SIZE);
		break;
	default: {
		uint8_t signed_part[TS_SHA256_LEN];
		for (int i = 0; i < TS_SHA256_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", e->h.app_sha256[i]);
		ts_sha256(e->image, TS_IMAGE_SIGNED_LEN, signed_part);
		size_t used = (size_t)snprintf(out, cap, "app SHA-256                  %s\n", hex);
		for (int i = 0; i < TS_SHA256_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", signed_part[i]);
		used += (size_t)snprintf(out + used, cap - used,
					 "SHA-256 of header 0x00..0x3F %s\n"
					 "header CRC-32                0x%08x\n"
					 "record 1 CRC-32              0x%08x\n"
					 "record 2 CRC-32              0x%08x\n",
					 hex, ts_crc32(0, e->image, TS_IMAGE_OFF_CRC),
					 ts_crc32(0, e->rec[0], 28), ts_crc32(0, e->rec[1], 28));
		assert_true(used < cap);
	}
	}
}

/* The block as it stands in the doc, between its BEGIN and END markers,
 * without the code fence lines. Returns NULL when the block is missing. */
static char *doc_block(const char *doc, const char *name)
{
	char begin[64], end[64];
	snprintf(begin, sizeof(begin), "<!-- BEGIN example:%s -->\n", name);
	snprintf(end, sizeof(end), "<!-- END example:%s -->", name);
	const char *b = strstr(doc, begin);
	if (!b)
		return NULL;
	b += strlen(begin);
	const char *e = strstr(b, end);
	if (!e)
		return NULL;
	char *s = calloc(1, (size_t)(e - b) + 1);
	assert_non_null(s);
	size_t n = 0;
	while (b < e) {
		const char *nl = memchr(b, '\n', (size_t)(e - b));
		size_t len = nl ? (size_t)(nl - b) + 1 : (size_t)(e - b);
		if (strncmp(b, "```", 3) != 0) {
			memcpy(s + n, b, len);
			n += len;
		}
		b += len;
	}
	return s;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

static void example_passes_the_library_checks(void **state)
{
	(void)state;
	struct example e;
	build(&e);
	struct ts_image_header h;
	assert_int_equal(ts_image_validate(e.image, sizeof(e.image), TS_SLOT_A, &h, NULL), TS_OK);
	for (int i = 0; i < 2; i++) {
		struct ts_record r;
		assert_int_equal(ts_record_parse(e.rec[i], &r), TS_OK);
		struct ts_slot_id id = {true, h.version, {0}, 0};
		memcpy(id.hash, h.app_sha256, TS_RECORD_HASH_LEN);
		assert_true(ts_record_matches(&r, &id));
	}
	/* the field values the doc's prose names */
	assert_memory_equal(e.image, "TWSL", 4);
	assert_memory_equal(e.rec[0], "TWJR", 4);
}

static void doc_example_matches_encoder(void **state)
{
	(void)state;
	char *doc = read_file(TS_FORMAT_DOC);
	if (!doc)
		fail_msg("cannot read %s", TS_FORMAT_DOC);
	struct example e;
	build(&e);
	for (size_t i = 0; i < NBLOCKS; i++) {
		char want[8192];
		block_text(&e, i, want, sizeof(want));
		char *got = doc_block(doc, block_names[i]);
		if (!got)
			fail_msg("%s: block example:%s missing", TS_FORMAT_DOC, block_names[i]);
		if (strcmp(got, want) != 0)
			fail_msg("%s: block example:%s differs from the encoder's output.\n"
				 "doc:\n%s\nencoder (regenerate with test_format_doc --print):\n%s",
				 TS_FORMAT_DOC, block_names[i], got, want);
		free(got);
	}
	free(doc);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print") == 0) {
		struct example e;
		build(&e);
		for (size_t i = 0; i < NBLOCKS; i++) {
			char text[8192];
			block_text(&e, i, text, sizeof(text));
			printf("<!-- BEGIN example:%s -->\n```text\n%s```\n<!-- END example:%s -->\n\n",
			       block_names[i], text, block_names[i]);
		}
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_passes_the_library_checks),
		cmocka_unit_test(doc_example_matches_encoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
