/*
 * The virtual board's flash: bits only clear, erase per F407 sector geometry,
 * overwrite events, persistence in the file, datasheet durations, option
 * bytes and write protection, and power cuts that tear a program or an erase
 * the way the tests after this one rely on.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "flash.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

struct ctx {
	char dir[64];
	char path[128];
	FILE *log;
	struct sim_events ev;
	struct sim_flash f;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	strcpy(c->dir, "/tmp/ts-flash-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/flash.bin", c->dir);
	c->log = tmpfile();
	sim_events_attach(&c->ev, c->log);
	assert_int_equal(sim_flash_open(&c->f, c->path, &c->ev), TS_OK);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char cmd[128];
	sim_flash_close(&c->f);
	fclose(c->log);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
	assert_int_equal(system(cmd), 0);
	free(c);
	return 0;
}

/* The whole event log so far, as one string (static buffer). */
static const char *log_text(struct ctx *c)
{
	static char buf[1 << 16];
	fflush(c->log);
	long n = ftell(c->log);
	rewind(c->log);
	size_t got = fread(buf, 1, sizeof(buf) - 1, c->log);
	buf[got] = '\0';
	fseek(c->log, n, SEEK_SET);
	return buf;
}

/* Bytes of the flash FILE (not the mapping) at a CPU address. */
static void file_bytes(struct ctx *c, uint32_t addr, uint8_t *out, size_t n)
{
	int fd = open(c->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, n, addr - TS_FLASH_BASE), (ssize_t)n);
	close(fd);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void flash_new_file_is_erased_1mib_with_default_options(void **state)
{
	struct ctx *c = *state;
	struct stat st;
	assert_int_equal(stat(c->path, &st), 0);
	assert_int_equal(st.st_size, TS_FLASH_SIZE);
	assert_true(all(sim_flash_mem(&c->f), TS_FLASH_SIZE, 0xFF));
	char opt[160], buf[64] = { 0 };
	snprintf(opt, sizeof(opt), "%s.opt", c->path);
	FILE *fp = fopen(opt, "r");
	assert_non_null(fp);
	assert_true(fread(buf, 1, sizeof(buf) - 1, fp) > 0);
	fclose(fp);
	assert_string_equal(buf, "rdp 0xAA\nnwrp 0x0FFF\n");
	assert_int_equal(sim_flash_rdp_level(&c->f), 0);
}

static void flash_file_of_wrong_size_is_refused(void **state)
{
	struct ctx *c = *state;
	char p[160];
	snprintf(p, sizeof(p), "%s/short.bin", c->dir);
	FILE *fp = fopen(p, "w");
	fputs("not a flash", fp);
	fclose(fp);
	struct sim_flash g;
	assert_int_equal(sim_flash_open(&g, p, NULL), TS_ERR_SIZE);
}

static void flash_program_only_clears_bits_and_logs_overwrite(void **state)
{
	struct ctx *c = *state;
	uint32_t a = TS_JOURNAL_ADDR + 0x40;
	uint8_t d1[4] = { 0xF0, 0xFF, 0x12, 0xFF }, d2[4] = { 0x0F, 0xFF, 0xFF, 0xFF };
	uint64_t dur = 0;
	assert_int_equal(sim_flash_program(&c->f, 10, a, d1, 4, SIM_PSIZE_X32, &dur), TS_OK);
	assert_int_equal(dur, 16000); /* one word, 16 us typ */
	assert_null(strstr(log_text(c), "flash_overwrite"));
	assert_int_equal(sim_flash_program(&c->f, 20, a, d2, 4, SIM_PSIZE_X32, &dur), TS_OK);
	uint8_t got[4];
	file_bytes(c, a, got, 4);
	const uint8_t want[4] = { 0x00, 0xFF, 0x12, 0xFF };
	assert_memory_equal(got, want, 4);
	/* 0xF0 -> 0x0F wants 4 bits 0->1; 0x12 -> 0xFF wants 6 bits 0->1. */
	char exp[128];
	snprintf(exp, sizeof(exp),
		 "\"type\":\"flash_overwrite\",\"addr\":%u,\"len\":4,\"not_erased\":2,\"zero_to_one\":10",
		 a);
	assert_non_null(strstr(log_text(c), exp));
	assert_non_null(strstr(log_text(c), "\"type\":\"flash_program\""));
	assert_int_equal(c->f.ops, 2);
}

static void flash_program_checks_alignment_and_range(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8] = { 0 };
	assert_int_equal(sim_flash_program(&c->f, 0, TS_FLASH_BASE + 2, d, 4, SIM_PSIZE_X32, NULL),
			 TS_ERR_INVAL);
	assert_int_equal(sim_flash_program(&c->f, 0, TS_FLASH_BASE, d, 6, SIM_PSIZE_X32, NULL),
			 TS_ERR_INVAL);
	assert_int_equal(sim_flash_program(&c->f, 0, TS_FLASH_BASE + TS_FLASH_SIZE - 4, d, 8,
					   SIM_PSIZE_X8, NULL),
			 TS_ERR_ADDR);
	assert_int_equal(sim_flash_program(&c->f, 0, 0x20000000, d, 4, SIM_PSIZE_X8, NULL),
			 TS_ERR_ADDR);
	assert_int_equal(sim_flash_program(&c->f, 0, TS_FLASH_BASE + 1, d, 1, SIM_PSIZE_X8, NULL),
			 TS_OK);
	assert_int_equal(c->f.ops, 1);
	assert_true(all(sim_flash_mem(&c->f) + 2, TS_FLASH_SIZE - 2, 0xFF));
}

static void flash_erase_follows_f407_sector_geometry(void **state)
{
	struct ctx *c = *state;
	uint8_t *m = c->f.mem; /* tests may write the mapping directly */
	for (int s = 0; s < TS_FLASH_SECTORS; s++) {
		memset(m, 0x00, TS_FLASH_SIZE);
		uint64_t dur;
		assert_int_equal(sim_flash_erase_sector(&c->f, 0, s, SIM_PSIZE_X32, &dur), TS_OK);
		uint32_t off = ts_sector_addr(s) - TS_FLASH_BASE, sz = ts_sector_size(s);
		static const uint32_t sizes[12] = { 16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128 };
		assert_int_equal(sz, sizes[s] * 1024);
		assert_true(all(m, off, 0x00));
		assert_true(all(m + off, sz, 0xFF));
		assert_true(all(m + off + sz, TS_FLASH_SIZE - off - sz, 0x00));
		assert_int_equal(dur, sz == 0x4000 ? 250000000ull : sz == 0x10000 ? 550000000ull
										: 1000000000ull);
	}
	assert_int_equal(sim_flash_erase_sector(&c->f, 0, 12, SIM_PSIZE_X32, NULL), TS_ERR_INVAL);
	memset(m, 0x00, TS_FLASH_SIZE);
	assert_int_equal(sim_flash_mass_erase(&c->f, 0, SIM_PSIZE_X8, NULL), TS_OK);
	assert_true(all(m, TS_FLASH_SIZE, 0xFF));
}

static void flash_datasheet_durations(void **state)
{
	(void)state;
	const uint64_t ms = 1000000;
	assert_int_equal(sim_flash_erase_ns(11, SIM_PSIZE_X32, false), 1000 * ms);
	assert_int_equal(sim_flash_erase_ns(11, SIM_PSIZE_X32, true), 2000 * ms);
	assert_int_equal(sim_flash_erase_ns(11, SIM_PSIZE_X16, true), 2600 * ms);
	assert_int_equal(sim_flash_erase_ns(5, SIM_PSIZE_X8, false), 2000 * ms);
	assert_int_equal(sim_flash_erase_ns(5, SIM_PSIZE_X8, true), 4000 * ms);
	assert_int_equal(sim_flash_erase_ns(0, SIM_PSIZE_X8, true), 800 * ms);
	assert_int_equal(sim_flash_erase_ns(4, SIM_PSIZE_X32, false), 550 * ms);
	assert_int_equal(sim_flash_mass_erase_ns(SIM_PSIZE_X32, false), 8000 * ms);
	assert_int_equal(sim_flash_mass_erase_ns(SIM_PSIZE_X8, true), 32000 * ms);
	/* 256 bytes: 256 byte programs at x8, 64 word programs at x32. */
	assert_int_equal(sim_flash_program_ns(SIM_PSIZE_X8, 256), 256 * 16000ull);
	assert_int_equal(sim_flash_program_ns(SIM_PSIZE_X32, 256), 64 * 16000ull);
}

static void flash_contents_and_options_persist_across_reopen(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(sim_flash_program(&c->f, 0, TS_SLOT_B_ADDR, d, 8, SIM_PSIZE_X64, NULL),
			 TS_OK);
	assert_int_equal(sim_flash_set_options(&c->f, 0, 0x55, 0x0FFF & ~0x0003), TS_OK);
	sim_flash_close(&c->f);
	uint8_t got[8];
	file_bytes(c, TS_SLOT_B_ADDR, got, 8);
	assert_memory_equal(got, d, 8);
	assert_int_equal(sim_flash_open(&c->f, c->path, &c->ev), TS_OK);
	assert_memory_equal(sim_flash_mem(&c->f) + (TS_SLOT_B_ADDR - TS_FLASH_BASE), d, 8);
	assert_int_equal(sim_flash_rdp_level(&c->f), 1);
	assert_true(sim_flash_sector_protected(&c->f, 0));
	assert_true(sim_flash_sector_protected(&c->f, 1));
	assert_false(sim_flash_sector_protected(&c->f, 2));
}

static void flash_write_protected_sector_refuses_program_and_erase(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(sim_flash_set_options(&c->f, 0, SIM_RDP_LEVEL0, 0x0FFF & ~(1u << 11)), TS_OK);
	uint8_t d[4] = { 0 };
	assert_int_equal(sim_flash_program(&c->f, 0, TS_JOURNAL_ADDR, d, 4, SIM_PSIZE_X32, NULL),
			 TS_ERR_FLASH);
	assert_int_equal(sim_flash_erase_sector(&c->f, 0, 11, SIM_PSIZE_X32, NULL), TS_ERR_FLASH);
	assert_int_equal(sim_flash_mass_erase(&c->f, 0, SIM_PSIZE_X32, NULL), TS_ERR_FLASH);
	assert_true(all(sim_flash_mem(&c->f), TS_FLASH_SIZE, 0xFF));
	assert_non_null(strstr(log_text(c), "\"type\":\"flash_wrp\""));
	assert_int_equal(sim_flash_program(&c->f, 0, TS_SLOT_A_ADDR, d, 4, SIM_PSIZE_X32, NULL), TS_OK);
}

static void flash_power_cut_tears_one_word_of_a_program(void **state)
{
	struct ctx *c = *state;
	int torn_seen = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		memset(c->f.mem, 0xFF, TS_FLASH_SIZE);
		sim_flash_seed(&c->f, seed);
		sim_flash_power_on(&c->f);
		uint8_t zeros[256] = { 0 };
		uint64_t before = c->f.ops;
		sim_flash_arm_cut(&c->f, 2);
		assert_int_equal(sim_flash_program(&c->f, 0, TS_SLOT_A_ADDR, zeros, 4, SIM_PSIZE_X32, NULL),
				 TS_OK);
		assert_int_equal(sim_flash_program(&c->f, 0, TS_JOURNAL_ADDR, zeros, 256,
						   SIM_PSIZE_X32, NULL),
				 SIM_FLASH_CUT);
		assert_int_equal(c->f.ops, before + 2);
		assert_true(c->f.unpowered);
		/* File: whole words of 0x00, then one torn word, then 0xFF. */
		uint8_t got[256];
		file_bytes(c, TS_JOURNAL_ADDR, got, sizeof(got));
		size_t w = 0;
		while (w < 64 && all(got + 4 * w, 4, 0x00))
			w++;
		assert_true(w < 64);
		const uint8_t *torn = got + 4 * w;
		assert_true(all(got + 4 * (w + 1), 256 - 4 * (w + 1), 0xFF));
		if (!all(torn, 4, 0xFF))
			torn_seen++;
		/* Unpowered: nothing more is written until power is back. */
		assert_int_equal(sim_flash_program(&c->f, 0, TS_SLOT_B_ADDR, zeros, 4, SIM_PSIZE_X32, NULL),
				 TS_ERR_STATE);
		assert_int_equal(sim_flash_erase_sector(&c->f, 0, 3, SIM_PSIZE_X32, NULL), TS_ERR_STATE);
		sim_flash_power_on(&c->f);
		assert_int_equal(sim_flash_program(&c->f, 0, TS_SLOT_B_ADDR, zeros, 4, SIM_PSIZE_X32, NULL),
				 TS_OK);
	}
	assert_true(torn_seen > 0);
	assert_non_null(strstr(log_text(c), "\"type\":\"power_cut\""));
	assert_non_null(strstr(log_text(c), "\"kind\":\"program\""));
}

static void flash_power_cut_leaves_sector_partially_erased(void **state)
{
	struct ctx *c = *state;
	uint32_t a = ts_sector_addr(6), sz = ts_sector_size(6);
	for (uint64_t seed = 1; seed <= 10; seed++) {
		memset(c->f.mem, 0x00, TS_FLASH_SIZE);
		sim_flash_seed(&c->f, seed * 77);
		sim_flash_power_on(&c->f);
		sim_flash_arm_cut(&c->f, 1);
		assert_int_equal(sim_flash_erase_sector(&c->f, 0, 6, SIM_PSIZE_X32, NULL), SIM_FLASH_CUT);
		static uint8_t got[0x20000];
		file_bytes(c, a, got, sz);
		size_t w = 0;
		while (w < sz / 4 && all(got + 4 * w, 4, 0xFF))
			w++;
		assert_true(w < sz / 4); /* not completely erased */
		assert_true(all(got + 4 * (w + 1), sz - 4 * (w + 1), 0x00));
		/* Neighbours untouched. */
		assert_true(all(sim_flash_mem(&c->f), a - TS_FLASH_BASE, 0x00));
		assert_true(all(sim_flash_mem(&c->f) + (a - TS_FLASH_BASE) + sz,
				TS_FLASH_SIZE - (a - TS_FLASH_BASE) - sz, 0x00));
	}
	assert_non_null(strstr(log_text(c), "\"kind\":\"erase\",\"sector\":6"));
}

static void flash_random_cut_hits_within_the_window(void **state)
{
	struct ctx *c = *state;
	sim_flash_seed(&c->f, 42);
	uint8_t z[4] = { 0 };
	for (int round = 0; round < 5; round++) {
		sim_flash_power_on(&c->f);
		sim_flash_arm_cut_random(&c->f, 8);
		int n = 0, rc;
		do {
			rc = sim_flash_program(&c->f, 0, TS_SLOT_A_ADDR + 4 * (uint32_t)(round * 8 + n), z, 4,
					       SIM_PSIZE_X32, NULL);
			n++;
		} while (rc == TS_OK && n < 20);
		assert_int_equal(rc, SIM_FLASH_CUT);
		assert_true(n >= 1 && n <= 8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(flash_new_file_is_erased_1mib_with_default_options, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_file_of_wrong_size_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_program_only_clears_bits_and_logs_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_program_checks_alignment_and_range, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_erase_follows_f407_sector_geometry, setup, teardown),
		cmocka_unit_test(flash_datasheet_durations),
		cmocka_unit_test_setup_teardown(flash_contents_and_options_persist_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_write_protected_sector_refuses_program_and_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_power_cut_tears_one_word_of_a_program, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_power_cut_leaves_sector_partially_erased, setup, teardown),
		cmocka_unit_test_setup_teardown(flash_random_cut_hits_within_the_window, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
