/*
 * twinslot compose, checked from the outside: run the real tool (pack, then
 * compose) on the ARM test applications and read the 1 MB flash file back
 * byte by byte and with the formats library's own parsers (image validation,
 * record parse, journal scan).
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/version.h"

static char dir[] = "/tmp/twinslot-compose-XXXXXX";

static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

static void assert_erased(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != 0xFF)
			fail_msg("flash offset 0x%zx is 0x%02x, expected erased 0xFF", i, p[i]);
}

static int read_journal(void *ctx, uint32_t off, void *out, uint32_t len)
{
	memcpy(out, (const uint8_t *)ctx + off, len);
	return TS_OK;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	run("cd %s && '%s' pack --version 1.2.3 --slot-a '%s/app_a.elf' --out-dir rel1 >/dev/null"
	    " && '%s' pack --version 1.3.0 --slot-b '%s/app_b.elf' --out-dir rel2 >/dev/null",
	    dir, TS_TWINSLOT_EXE, TS_TOOL_APPS, TS_TWINSLOT_EXE, TS_TOOL_APPS);
	/* A 1000-byte "bootloader" with a recognisable pattern. */
	run("cd %s && head -c 1000 /dev/zero | tr '\\0' '\\132' > bl.bin", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	run("rm -rf '%s'", dir);
	return 0;
}

static void full_flash_image_has_everything_in_place(void **state)
{
	(void)state;
	static const char other_hash[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	run("cd %s && '%s' compose -o flash.bin --bootloader bl.bin --slot-a rel1/slot-a.img"
	    " --slot-b rel2/slot-b.img --record confirmed:a --record pending:b"
	    " --record attempt:b --record attempt:b:2 --record rolled_back:b"
	    " --record confirmed:a:0:2.0.0:%s >/dev/null",
	    dir, TS_TWINSLOT_EXE, other_hash);

	size_t len, alen, blen, bllen;
	uint8_t *flash = slurp("flash.bin", &len);
	uint8_t *a = slurp("rel1/slot-a.img", &alen);
	uint8_t *b = slurp("rel2/slot-b.img", &blen);
	uint8_t *bl = slurp("bl.bin", &bllen);
	assert_int_equal(len, 1048576);

	/* bootloader at 0x08000000, then erased up to slot A */
	assert_int_equal(bllen, 1000);
	assert_memory_equal(flash, bl, bllen);
	assert_erased(flash, bllen, TS_SLOT_A_ADDR - TS_FLASH_BASE);

	/* the slots, byte for byte, erased after them; the lib validates them */
	const uint32_t oa = TS_SLOT_A_ADDR - TS_FLASH_BASE, ob = TS_SLOT_B_ADDR - TS_FLASH_BASE;
	assert_memory_equal(flash + oa, a, alen);
	assert_erased(flash, oa + alen, ob);
	assert_memory_equal(flash + ob, b, blen);
	const uint32_t oj = TS_JOURNAL_ADDR - TS_FLASH_BASE;
	assert_erased(flash, ob + blen, oj);
	struct ts_image_header ha, hb;
	assert_int_equal(ts_image_validate(flash + oa, TS_SLOT_SIZE, TS_SLOT_A, &ha, NULL), TS_OK);
	assert_int_equal(ts_image_validate(flash + ob, TS_SLOT_SIZE, TS_SLOT_B, &hb, NULL), TS_OK);
	assert_int_equal(ha.version, TS_VERSION(1, 2, 3));
	assert_int_equal(hb.version, TS_VERSION(1, 3, 0));

	/* the journal: six records in order, seq 1..6, then erased */
	static const struct {
		uint8_t type, slot, attempt;
	} want[] = {
		{ TS_REC_CONFIRMED, TS_SLOT_A, 0 }, { TS_REC_PENDING, TS_SLOT_B, 0 },
		{ TS_REC_ATTEMPT, TS_SLOT_B, 1 },   { TS_REC_ATTEMPT, TS_SLOT_B, 2 },
		{ TS_REC_ROLLED_BACK, TS_SLOT_B, 0 }, { TS_REC_CONFIRMED, TS_SLOT_A, 0 },
	};
	for (unsigned i = 0; i < 6; i++) {
		struct ts_record r;
		assert_int_equal(ts_record_parse(flash + oj + i * TS_RECORD_SIZE, &r), TS_OK);
		assert_int_equal(r.seq, i + 1);
		assert_int_equal(r.type, want[i].type);
		assert_int_equal(r.slot, want[i].slot);
		assert_int_equal(r.attempt, want[i].attempt);
		if (i < 5) {
			const struct ts_image_header *h = r.slot == TS_SLOT_A ? &ha : &hb;
			assert_int_equal(r.version, h->version);
			assert_memory_equal(r.hash, h->app_sha256, TS_RECORD_HASH_LEN);
		} else {
			static const uint8_t prefix[TS_RECORD_HASH_LEN] = {
				0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
			};
			assert_int_equal(r.version, TS_VERSION(2, 0, 0));
			assert_memory_equal(r.hash, prefix, TS_RECORD_HASH_LEN);
		}
	}
	assert_erased(flash, oj + 6 * TS_RECORD_SIZE, len);

	/* the scanner agrees: record 6 names an image not in slot A (stale) */
	struct ts_slot_id ids[TS_SLOT_COUNT] = { { .present = true }, { .present = true } };
	ids[0].version = ha.version;
	memcpy(ids[0].hash, ha.app_sha256, TS_RECORD_HASH_LEN);
	ids[1].version = hb.version;
	memcpy(ids[1].hash, hb.app_sha256, TS_RECORD_HASH_LEN);
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(read_journal, flash + oj, TS_JOURNAL_RECORDS, ids, &st),
			 TS_OK);
	assert_int_equal(st.free_index, 6);
	assert_int_equal(st.max_seq, 6);
	assert_int_equal(st.valid, 6);
	assert_int_equal(st.invalid, 0);
	assert_false(st.dirty);
	assert_true(st.has_newest);
	assert_int_equal(st.newest.seq, 5);
	assert_int_equal(st.newest.type, TS_REC_ROLLED_BACK);

	free(flash);
	free(a);
	free(b);
	free(bl);
}

static void nothing_given_is_a_blank_chip(void **state)
{
	(void)state;
	run("cd %s && '%s' compose -o blank.bin >/dev/null", dir, TS_TWINSLOT_EXE);
	size_t len;
	uint8_t *flash = slurp("blank.bin", &len);
	assert_int_equal(len, TS_FLASH_SIZE);
	assert_erased(flash, 0, len);
	free(flash);
}

static void bootloader_of_exactly_16_kb_fits(void **state)
{
	(void)state;
	run("cd %s && head -c 16384 /dev/zero > bl16k.bin && '%s' compose -o f16.bin"
	    " --bootloader bl16k.bin --slot-b rel2/slot-b.img --record pending:b >/dev/null",
	    dir, TS_TWINSLOT_EXE);
	size_t len;
	uint8_t *flash = slurp("f16.bin", &len);
	assert_int_equal(len, TS_FLASH_SIZE);
	for (size_t i = 0; i < 16384; i++)
		assert_int_equal(flash[i], 0);
	assert_erased(flash, 16384, TS_SLOT_B_ADDR - TS_FLASH_BASE);
	struct ts_record r;
	assert_int_equal(ts_record_parse(flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE), &r), TS_OK);
	assert_int_equal(r.seq, 1);
	assert_int_equal(r.type, TS_REC_PENDING);
	assert_int_equal(r.slot, TS_SLOT_B);
	assert_int_equal(r.version, TS_VERSION(1, 3, 0));
	free(flash);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_flash_image_has_everything_in_place),
		cmocka_unit_test(nothing_given_is_a_blank_chip),
		cmocka_unit_test(bootloader_of_exactly_16_kb_fits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
