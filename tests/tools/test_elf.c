/*
 * Unit tests of the CLI's ELF reader (tools/twinslot/elf.c): synthetic ELF
 * files built here byte by byte, the real ARM test application against
 * objcopy's binary, and truncated or random input that must be refused
 * without a crash (this test runs under ASan and UBSan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elf.h"
#include "twinslot/err.h"

struct seg {
	uint32_t type;
	uint32_t paddr;
	uint32_t filesz;
	uint8_t fill;
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xFFFFu);
	put16(p + 2, v >> 16);
}

/* Build an ELF32 LE ARM executable with the given segments; their bytes
 * follow the program header table in table order. Returns the length. */
static size_t make_elf(uint8_t *buf, size_t cap, const struct seg *segs, unsigned n)
{
	size_t off = 52 + 32 * (size_t)n;
	memset(buf, 0, cap);
	memcpy(buf, "\x7f" "ELF", 4);
	buf[4] = 1; /* ELFCLASS32 */
	buf[5] = 1; /* little-endian */
	buf[6] = 1; /* EV_CURRENT */
	put16(buf + 16, 2);  /* ET_EXEC */
	put16(buf + 18, 40); /* EM_ARM */
	put32(buf + 20, 1);
	put32(buf + 28, 52); /* e_phoff */
	put16(buf + 40, 52);
	put16(buf + 42, 32);
	put16(buf + 44, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *ph = buf + 52 + 32 * i;
		put32(ph + 0, segs[i].type);
		put32(ph + 4, (uint32_t)off);
		put32(ph + 8, segs[i].paddr);
		put32(ph + 12, segs[i].paddr);
		put32(ph + 16, segs[i].filesz);
		put32(ph + 20, segs[i].filesz);
		assert_true(off + segs[i].filesz <= cap);
		memset(buf + off, segs[i].fill, segs[i].filesz);
		off += segs[i].filesz;
	}
	return off;
}

static uint8_t buf[1 << 16];
static char msg[512];

static int load(size_t len, struct ts_elf_image *img)
{
	msg[0] = '\0';
	return ts_elf_load(buf, len, img, msg, sizeof(msg));
}

static void one_segment_is_copied_verbatim(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 100, 0xAB } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 1), &img), TS_OK);
	assert_int_equal(img.addr, 0x08020200);
	assert_int_equal(img.size, 100);
	assert_int_equal(img.segments, 1);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(img.data[i], 0xAB);
	ts_elf_free(&img);
	assert_null(img.data);
}

static void gap_between_segments_is_erased_flash(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 10, 0x11 }, { 1, 0x08020300, 4, 0x22 } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 2), &img), TS_OK);
	assert_int_equal(img.addr, 0x08020200);
	assert_int_equal(img.size, 0x104);
	assert_int_equal(img.segments, 2);
	for (unsigned i = 0; i < img.size; i++)
		assert_int_equal(img.data[i], i < 10 ? 0x11 : i < 0x100 ? 0xFF : 0x22);
	ts_elf_free(&img);
}

static void segments_are_placed_by_physical_address_not_table_order(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020300, 4, 0x22 }, { 1, 0x08020200, 10, 0x11 } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 2), &img), TS_OK);
	assert_int_equal(img.addr, 0x08020200);
	assert_int_equal(img.size, 0x104);
	assert_int_equal(img.data[0], 0x11);
	assert_int_equal(img.data[0x100], 0x22);
	ts_elf_free(&img);
}

static void empty_and_non_load_segments_are_ignored(void **state)
{
	(void)state;
	struct seg s[] = {
		{ 4, 0x00000000, 16, 0x33 },  /* PT_NOTE */
		{ 1, 0x20000000, 0, 0x00 },   /* .bss: memory only */
		{ 1, 0x08080200, 8, 0x44 },
	};
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 3), &img), TS_OK);
	assert_int_equal(img.addr, 0x08080200);
	assert_int_equal(img.size, 8);
	assert_int_equal(img.segments, 1);
	ts_elf_free(&img);
}

static void overlapping_segments_are_refused(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 0x20, 1 }, { 1, 0x08020210, 0x20, 2 } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 2), &img), TS_ERR_FORMAT);
	assert_string_equal(msg, "segments overlap: segment 0 loads at 0x08020200..0x0802021f "
				 "and segment 1 at 0x08020210..0x0802022f");
	assert_null(img.data);
}

static void foreign_elf_files_are_refused(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 16, 1 } };
	size_t len = make_elf(buf, sizeof(buf), s, 1);
	struct ts_elf_image img;
	static const struct {
		size_t off;
		uint8_t value;
		int err;
		const char *msg;
	} cases[] = {
		{ 0, 0x7E, TS_ERR_FORMAT, "not an ELF file (it does not start with 0x7F 'ELF')" },
		{ 4, 2, TS_ERR_UNSUPPORTED, "64-bit ELF (ELFCLASS64): expected a 32-bit ARM executable" },
		{ 4, 7, TS_ERR_FORMAT, "unknown ELF class 7: expected 1 (32-bit)" },
		{ 5, 2, TS_ERR_UNSUPPORTED, "big-endian ELF (ELFDATA2MSB): expected a little-endian ARM executable" },
		{ 5, 0, TS_ERR_FORMAT, "unknown ELF data encoding 0: expected 1 (little-endian)" },
		{ 6, 2, TS_ERR_FORMAT, "unknown ELF version 2: expected 1" },
		{ 18, 62, TS_ERR_UNSUPPORTED, "ELF for machine 62 (x86-64), not ARM (40)" },
		{ 18, 183, TS_ERR_UNSUPPORTED, "ELF for machine 183 (AArch64), not ARM (40)" },
		{ 18, 94, TS_ERR_UNSUPPORTED, "ELF for machine 94 (Xtensa, e.g. ESP32), not ARM (40)" },
		{ 16, 1, TS_ERR_FORMAT, "not an executable ELF (e_type 1, relocatable object file): give the linked application" },
		{ 16, 3, TS_ERR_FORMAT, "not an executable ELF (e_type 3, shared object): give the linked application" },
		{ 44, 0, TS_ERR_FORMAT, "no program headers: nothing to load" },
		{ 42, 16, TS_ERR_FORMAT, "program header entries are 16 bytes, expected at least 32" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t old = buf[cases[i].off];
		buf[cases[i].off] = cases[i].value;
		assert_int_equal(load(len, &img), cases[i].err);
		assert_string_equal(msg, cases[i].msg);
		assert_null(img.data);
		buf[cases[i].off] = old;
	}
	assert_int_equal(load(len, &img), TS_OK);
	ts_elf_free(&img);
}

static void nothing_to_load_is_refused(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x20000000, 0, 0 }, { 6, 0x08020200, 32, 0 } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 2), &img), TS_ERR_FORMAT);
	assert_string_equal(msg, "no loadable segment with file contents (PT_LOAD with bytes)");
}

static void ram_section_without_flash_address_is_refused(void **state)
{
	(void)state;
	/* .data linked into SRAM without AT> FLASH: flash and RAM both load. */
	struct seg s[] = { { 1, 0x08020200, 16, 1 }, { 1, 0x20000000, 4, 2 } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 2), &img), TS_ERR_SIZE);
	assert_string_equal(msg, "loadable segments span 0x08020200..0x20000003 (402521604 "
				 "bytes, more than 16 MB): does a RAM section lack its flash "
				 "load address (AT> in the linker script)?");
}

static void segment_past_the_address_space_is_refused(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0xFFFFFFF0u, 32, 1 } };
	struct ts_elf_image img;
	assert_int_equal(load(make_elf(buf, sizeof(buf), s, 1), &img), TS_ERR_FORMAT);
	assert_string_equal(msg, "segment 0 at 0xfffffff0 (32 bytes) runs past the end of "
				 "the 32-bit address space");
}

static void huge_offsets_do_not_wrap(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 16, 1 } };
	size_t len = make_elf(buf, sizeof(buf), s, 1);
	struct ts_elf_image img;
	put32(buf + 52 + 4, 0xFFFFFFF8u); /* p_offset */
	assert_int_equal(load(len, &img), TS_ERR_FORMAT);
	assert_string_equal(msg, "truncated ELF: segment 0 (16 bytes at file offset 4294967288) "
				 "extends past the end of the file (100 bytes)");
	make_elf(buf, sizeof(buf), s, 1);
	put32(buf + 28, 0xFFFFFFF0u); /* e_phoff */
	assert_int_equal(load(len, &img), TS_ERR_FORMAT);
	assert_string_equal(msg, "truncated ELF: the program header table (offset 4294967280, "
				 "32 bytes) extends past the end of the file (100 bytes)");
}

/* Every prefix of a file either fails cleanly or (when only bytes nobody
 * needs were cut) gives exactly the full file's result. */
static void check_prefixes(const uint8_t *file, size_t len)
{
	struct ts_elf_image full, img;
	assert_int_equal(ts_elf_load(file, len, &full, msg, sizeof(msg)), TS_OK);
	for (size_t n = 0; n < len; n++) {
		/* A fresh heap copy of exactly n bytes lets ASan see overreads. */
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, file, n);
		int err = ts_elf_load(copy, n, &img, msg, sizeof(msg));
		if (err == TS_OK) {
			assert_int_equal(img.addr, full.addr);
			assert_int_equal(img.size, full.size);
			assert_memory_equal(img.data, full.data, full.size);
			ts_elf_free(&img);
		} else {
			assert_true(err < 0);
			assert_true(strlen(msg) > 10);
			assert_null(img.data);
		}
		free(copy);
	}
	ts_elf_free(&full);
}

static void every_truncation_is_refused_or_harmless(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 40, 0x11 }, { 1, 0x08020300, 24, 0x22 } };
	check_prefixes(buf, make_elf(buf, sizeof(buf), s, 2));
}

static uint32_t rng = 0x2545F491u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void random_headers_never_crash(void **state)
{
	(void)state;
	struct seg s[] = { { 1, 0x08020200, 40, 0x11 }, { 1, 0x08020300, 24, 0x22 },
			   { 1, 0x20000000, 0, 0 } };
	uint8_t good[256];
	size_t len = make_elf(good, sizeof(good), s, 3);
	unsigned accepted = 0;
	for (unsigned iter = 0; iter < 20000; iter++) {
		uint8_t *f = malloc(len);
		assert_non_null(f);
		memcpy(f, good, len);
		/* Corrupt a few bytes of the headers (where the reader looks). */
		unsigned k = 1 + next() % 4;
		for (unsigned j = 0; j < k; j++)
			f[next() % (52 + 3 * 32)] = (uint8_t)next();
		struct ts_elf_image img;
		int err = ts_elf_load(f, len, &img, msg, sizeof(msg));
		if (err == TS_OK) {
			accepted++;
			assert_true(img.size > 0 && img.size <= TS_ELF_MAX_SPAN);
			ts_elf_free(&img);
		} else {
			assert_null(img.data);
		}
		free(f);
	}
	/* Some corruptions hit bytes the reader ignores. */
	assert_true(accepted > 0);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	static uint8_t data[1 << 20];
	*len = fread(data, 1, sizeof(data), f);
	fclose(f);
	uint8_t *copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, data, *len);
	return copy;
}

static void real_arm_elf_matches_objcopy_binary(void **state)
{
	(void)state;
	size_t elf_len, bin_len;
	uint8_t *elf = slurp(TS_TOOL_APPS "/app_a.elf", &elf_len);
	uint8_t *bin = slurp(TS_TOOL_APPS "/app_a.bin", &bin_len);
	struct ts_elf_image img;
	assert_int_equal(ts_elf_load(elf, elf_len, &img, msg, sizeof(msg)), TS_OK);
	assert_int_equal(img.addr, 0x08020200);
	assert_int_equal(img.segments, 2); /* code and .data's load image */
	assert_int_equal(img.size, bin_len);
	assert_memory_equal(img.data, bin, bin_len);
	ts_elf_free(&img);
	check_prefixes(elf, elf_len);
	free(elf);
	free(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_segment_is_copied_verbatim),
		cmocka_unit_test(gap_between_segments_is_erased_flash),
		cmocka_unit_test(segments_are_placed_by_physical_address_not_table_order),
		cmocka_unit_test(empty_and_non_load_segments_are_ignored),
		cmocka_unit_test(overlapping_segments_are_refused),
		cmocka_unit_test(foreign_elf_files_are_refused),
		cmocka_unit_test(nothing_to_load_is_refused),
		cmocka_unit_test(ram_section_without_flash_address_is_refused),
		cmocka_unit_test(segment_past_the_address_space_is_refused),
		cmocka_unit_test(huge_offsets_do_not_wrap),
		cmocka_unit_test(every_truncation_is_refused_or_harmless),
		cmocka_unit_test(random_headers_never_crash),
		cmocka_unit_test(real_arm_elf_matches_objcopy_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
