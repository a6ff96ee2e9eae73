/*
 * The ROM bootloader model, byte for byte: recorded exchanges (host bytes in,
 * ROM bytes out) for every AN3155 command of the F407 ROM, their NACK cases,
 * the voltage-range write, and the datasheet-timed final ACKs.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flash.h"
#include "rom.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

#define ACK  0x79
#define NACK 0x1F

struct ctx {
	char dir[64];
	FILE *log;
	struct sim_events ev;
	struct sim_flash f;
	struct sim_rom r;
	uint8_t sram[TS_SRAM_SIZE];
	uint64_t now;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char path[128];
	strcpy(c->dir, "/tmp/ts-rom-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(path, sizeof(path), "%s/flash.bin", c->dir);
	c->log = tmpfile();
	sim_events_attach(&c->ev, c->log);
	assert_int_equal(sim_flash_open(&c->f, path, &c->ev), TS_OK);
	sim_rom_init(&c->r, &c->f, &c->ev, c->sram, sizeof(c->sram));
	c->r.time_permille = 0; /* framing tests: instant */
	sim_rom_reset(&c->r, 0);
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

/* Send bytes at c->now, then expect exactly `want` (all due by c->now). */
static void xch(struct ctx *c, const uint8_t *in, size_t nin, const uint8_t *want, size_t nwant)
{
	for (size_t i = 0; i < nin; i++)
		sim_rom_rx(&c->r, in[i], c->now);
	uint8_t out[600];
	size_t n = sim_rom_tx(&c->r, out, sizeof(out), c->now);
	if (n != nwant || (n && memcmp(out, want, n) != 0)) {
		fprintf(stderr, "got %zu bytes:", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", out[i]);
		fprintf(stderr, "\n");
	}
	assert_int_equal(n, nwant);
	if (n)
		assert_memory_equal(out, want, n);
}

#define B(...) { __VA_ARGS__ }
#define XCH(c, in, want)                                                                  \
	do {                                                                              \
		static const uint8_t in_[] = in, want_[] = want;                          \
		xch(c, in_, sizeof(in_), want_, sizeof(want_));                           \
	} while (0)
/* Send, expect no answer (yet). */
#define SEND(c, in)                                                                       \
	do {                                                                              \
		static const uint8_t in_[] = in;                                          \
		xch(c, in_, sizeof(in_), NULL, 0);                                        \
	} while (0)
/* Send nothing, expect bytes now due. */
#define EXPECT(c, want)                                                                   \
	do {                                                                              \
		static const uint8_t want_[] = want;                                      \
		xch(c, NULL, 0, want_, sizeof(want_));                                    \
	} while (0)

static void sync_(struct ctx *c)
{
	XCH(c, B(0x7F), B(ACK));
}

/* Address frame: 4 bytes MSB first + XOR. */
static void addr_frame(uint32_t a, uint8_t out[5])
{
	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
	out[4] = out[0] ^ out[1] ^ out[2] ^ out[3];
}

/* Full Write Memory; returns the final answer byte (or -1 if none). */
static int write_mem(struct ctx *c, uint32_t a, const uint8_t *d, size_t n)
{
	uint8_t fr[5], out[8];
	XCH(c, B(0x31, 0xCE), B(ACK));
	addr_frame(a, fr);
	for (int i = 0; i < 5; i++)
		sim_rom_rx(&c->r, fr[i], c->now);
	if (sim_rom_tx(&c->r, out, 1, c->now) != 1 || out[0] != ACK)
		return out[0];
	uint8_t x = (uint8_t)(n - 1);
	sim_rom_rx(&c->r, (uint8_t)(n - 1), c->now);
	for (size_t i = 0; i < n; i++) {
		sim_rom_rx(&c->r, d[i], c->now);
		x ^= d[i];
	}
	sim_rom_rx(&c->r, x, c->now);
	return sim_rom_tx(&c->r, out, 1, c->now) == 1 ? out[0] : -1;
}

static void rom_ignores_noise_before_sync_then_acks_0x7f(void **state)
{
	struct ctx *c = *state;
	SEND(c, B(0x00, 0xFF, 0x55));
	sync_(c);
	/* After sync 0x7F is a command byte: 0x7F 0x80 is an unknown command. */
	XCH(c, B(0x7F, 0x80), B(NACK));
	/* A command byte with a wrong complement. */
	XCH(c, B(0x00, 0x00), B(NACK));
	XCH(c, B(0x02, 0xFD), B(ACK, 0x01, 0x04, 0x13, ACK));
}

static void rom_get_reports_v31_and_the_f4_command_list(void **state)
{
	struct ctx *c = *state;
	sync_(c);
	XCH(c, B(0x00, 0xFF), B(ACK, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73,
			       0x82, 0x92, ACK));
	XCH(c, B(0x01, 0xFE), B(ACK, 0x31, 0x00, 0x00, ACK));
	XCH(c, B(0x02, 0xFD), B(ACK, 0x01, 0x04, 0x13, ACK));
	/* Commands the F407 ROM does not have: Erase (0x43), Get Checksum (0xA1). */
	XCH(c, B(0x43, 0xBC), B(NACK));
	XCH(c, B(0xA1, 0x5E), B(NACK));
}

static void rom_read_memory_frames_and_nacks(void **state)
{
	struct ctx *c = *state;
	c->f.mem[0] = 0x11;
	c->f.mem[1] = 0x22;
	c->f.mem[2] = 0x33;
	sync_(c);
	/* 0x08000000, checksum 0x08, N = 3 (4 bytes), complement 0xFC. */
	XCH(c, B(0x11, 0xEE), B(ACK));
	XCH(c, B(0x08, 0x00, 0x00, 0x00, 0x08), B(ACK));
	XCH(c, B(0x03, 0xFC), B(ACK, 0x11, 0x22, 0x33, 0xFF));
	/* Bad address checksum. */
	XCH(c, B(0x11, 0xEE), B(ACK));
	XCH(c, B(0x08, 0x00, 0x00, 0x00, 0x09), B(NACK));
	/* Unmapped address (0x40000000: peripherals). */
	XCH(c, B(0x11, 0xEE), B(ACK));
	XCH(c, B(0x40, 0x00, 0x00, 0x00, 0x40), B(NACK));
	/* Wrong length complement. */
	XCH(c, B(0x11, 0xEE), B(ACK));
	XCH(c, B(0x08, 0x00, 0x00, 0x00, 0x08), B(ACK));
	XCH(c, B(0x03, 0xFB), B(NACK));
	/* Past the end of flash: 0x080FFFFC + 8 bytes. */
	XCH(c, B(0x11, 0xEE), B(ACK));
	XCH(c, B(0x08, 0x0F, 0xFF, 0xFC, 0x04), B(ACK));
	XCH(c, B(0x07, 0xF8), B(NACK));
	/* Option bytes: USER, RDP (0xAA), ..., nWRP 0x0FFF. */
	XCH(c, B(0x11, 0xEE), B(ACK));
	XCH(c, B(0x1F, 0xFF, 0xC0, 0x00, 0x20), B(ACK));
	XCH(c, B(0x0F, 0xF0), B(ACK, 0xEC, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0xFF,
				 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
	/* Still in sync afterwards. */
	XCH(c, B(0x01, 0xFE), B(ACK, 0x31, 0x00, 0x00, ACK));
}

static void rom_write_memory_to_flash_and_ram(void **state)
{
	struct ctx *c = *state;
	sync_(c);
	uint8_t d[8] = { 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04 };
	assert_int_equal(write_mem(c, TS_SLOT_A_ADDR, d, 8), ACK);
	assert_memory_equal(sim_flash_mem(&c->f) + (TS_SLOT_A_ADDR - TS_FLASH_BASE), d, 8);
	/* Misaligned address, length not a multiple of 4. */
	assert_int_equal(write_mem(c, TS_SLOT_A_ADDR + 0x102, d, 8), NACK);
	assert_int_equal(write_mem(c, TS_SLOT_A_ADDR + 0x100, d, 6), NACK);
	assert_int_equal(sim_flash_mem(&c->f)[TS_SLOT_A_ADDR + 0x100 - TS_FLASH_BASE], 0xFF);
	/* RAM above the ROM's 12 KB is writable, below is not. */
	assert_int_equal(write_mem(c, 0x20003000, d, 5), ACK);
	assert_memory_equal(c->sram + 0x3000, d, 5);
	assert_int_equal(write_mem(c, 0x20000100, d, 4), NACK);
	/* Unmapped address: NACK right after the address. */
	assert_int_equal(write_mem(c, 0x40000000, d, 4), NACK);
	/* Bad data checksum: full frame by hand. */
	XCH(c, B(0x31, 0xCE), B(ACK));
	XCH(c, B(0x08, 0x02, 0x01, 0x00, 0x0B), B(ACK));
	XCH(c, B(0x03, 0x00, 0x00, 0x00, 0x00, 0x00), B(NACK));
	assert_int_equal(sim_flash_mem(&c->f)[0x20100], 0xFF);
	/* x8 after reset: the program event says psize 8. */
	assert_non_null(strstr(log_text(c), "\"type\":\"flash_program\",\"addr\":134348800,\"len\":8,\"psize\":8"));
}

static void rom_voltage_range_selects_parallelism(void **state)
{
	struct ctx *c = *state;
	sync_(c);
	uint8_t v = 0x03, bad = 0x04, d[4] = { 0 };
	assert_int_equal(write_mem(c, 0xFFFF0000u, &bad, 1), NACK);
	assert_int_equal(c->r.psize, SIM_PSIZE_X8);
	assert_int_equal(write_mem(c, 0xFFFF0000u, &v, 1), ACK);
	assert_int_equal(c->r.psize, SIM_PSIZE_X32);
	assert_int_equal(write_mem(c, TS_JOURNAL_ADDR, d, 4), ACK);
	assert_non_null(strstr(log_text(c), "\"addr\":135135232,\"len\":4,\"psize\":32"));
	v = 0x01;
	assert_int_equal(write_mem(c, 0xFFFF0000u, &v, 1), ACK);
	assert_int_equal(c->r.psize, SIM_PSIZE_X16);
	/* Reset returns to the lowest range. */
	sim_rom_reset(&c->r, c->now);
	assert_int_equal(c->r.psize, SIM_PSIZE_X8);
}

static void rom_extended_erase_sectors_mass_and_nacks(void **state)
{
	struct ctx *c = *state;
	memset(c->f.mem, 0x00, TS_FLASH_SIZE);
	sync_(c);
	/* Sectors 5 and 6: N = 0x0001, 0x0005, 0x0006, checksum 0x02. */
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0x00, 0x01, 0x00, 0x05, 0x00, 0x06, 0x02), B(ACK));
	assert_int_equal(c->f.mem[0x1FFFF], 0x00);
	assert_int_equal(c->f.mem[0x20000], 0xFF);
	assert_int_equal(c->f.mem[0x5FFFF], 0xFF);
	assert_int_equal(c->f.mem[0x60000], 0x00);
	assert_non_null(strstr(log_text(c), "\"sectors\":[5,6]"));
	/* Sector 12 does not exist. */
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0x00, 0x00, 0x00, 0x0C, 0x0C), B(NACK));
	/* Bad checksum. */
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0x00, 0x00, 0x00, 0x07, 0x00), B(NACK));
	assert_int_equal(c->f.mem[ts_sector_addr(7) - TS_FLASH_BASE], 0x00);
	/* Bank erases: the F407 has one bank. */
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0xFF, 0xFE, 0x01), B(NACK));
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0xFF, 0xFD, 0x02), B(NACK));
	/* Mass erase. */
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0xFF, 0xFF, 0x00), B(ACK));
	for (uint32_t i = 0; i < TS_FLASH_SIZE; i++)
		if (c->f.mem[i] != 0xFF)
			fail_msg("byte %u not erased", i);
}

static void rom_erase_and_program_answer_after_datasheet_time(void **state)
{
	struct ctx *c = *state;
	c->r.time_permille = 1000;
	sim_rom_reset(&c->r, 0);
	/* The ROM needs ~85 ms after reset: a 0x7F before that is lost. */
	c->now = 10000000;
	SEND(c, B(0x7F));
	c->now = SIM_ROM_STARTUP_NS;
	sync_(c);
	/* Erase sector 11 at x8: 2 s typ. */
	XCH(c, B(0x44, 0xBB), B(ACK));
	SEND(c, B(0x00, 0x00, 0x00, 0x0B, 0x0B));
	uint64_t t0 = c->now;
	assert_int_equal(sim_rom_deadline_ns(&c->r), t0 + 2000000000ull);
	c->now = t0 + 1999999999ull;
	SEND(c, B(0x01)); /* busy: dropped */
	c->now = t0 + 2000000000ull;
	EXPECT(c, B(ACK));
	assert_non_null(strstr(log_text(c), "\"type\":\"rom_rx_dropped\""));
	/* Now x32: sector 11 takes 1 s. */
	uint8_t v = 3;
	assert_int_equal(write_mem(c, 0xFFFF0000u, &v, 1), ACK);
	XCH(c, B(0x44, 0xBB), B(ACK));
	SEND(c, B(0x00, 0x00, 0x00, 0x0B, 0x0B));
	assert_int_equal(sim_rom_deadline_ns(&c->r), c->now + 1000000000ull);
	c->now += 1000000000ull;
	EXPECT(c, B(ACK));
	/* 256 bytes at x32: 64 words x 16 us. */
	uint8_t d[256];
	memset(d, 0x5A, sizeof(d));
	assert_int_equal(write_mem(c, TS_JOURNAL_ADDR, d, 256), -1);
	assert_int_equal(sim_rom_deadline_ns(&c->r), c->now + 64 * 16000ull);
	c->now += 64 * 16000ull;
	EXPECT(c, B(ACK));
}

static void rom_go_acks_and_reports_the_address(void **state)
{
	struct ctx *c = *state;
	sync_(c);
	/* Invalid: 0x00000000 (alias, not accepted by the model). */
	XCH(c, B(0x21, 0xDE), B(ACK));
	XCH(c, B(0x00, 0x00, 0x00, 0x00, 0x00), B(NACK));
	assert_false(c->r.go_pending);
	/* 0x08020000, checksum 0x0A. */
	XCH(c, B(0x21, 0xDE), B(ACK));
	XCH(c, B(0x08, 0x02, 0x00, 0x00, 0x0A), B(ACK));
	assert_true(c->r.go_pending);
	assert_int_equal(c->r.go_addr, TS_SLOT_A_ADDR);
	assert_non_null(strstr(log_text(c), "\"type\":\"rom_go\",\"addr\":134348800"));
	/* Afterwards the CPU runs: the ROM says nothing. */
	SEND(c, B(0x01, 0xFE));
}

static void rom_write_protect_and_unprotect(void **state)
{
	struct ctx *c = *state;
	sync_(c);
	/* Protect sectors 1 and 2: N = 1, codes, checksum 1^1^2 = 2. */
	XCH(c, B(0x63, 0x9C), B(ACK));
	XCH(c, B(0x01, 0x01, 0x02, 0x02), B(ACK));
	assert_true(c->r.reset_pending);
	assert_int_equal(c->f.nwrp, 0x0FF9);
	sim_rom_reset(&c->r, c->now);
	sync_(c);
	uint8_t d[4] = { 0 };
	assert_int_equal(write_mem(c, ts_sector_addr(1), d, 4), NACK);
	assert_int_equal(write_mem(c, ts_sector_addr(3), d, 4), ACK);
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0x00, 0x00, 0x00, 0x02, 0x02), B(NACK));
	XCH(c, B(0x44, 0xBB), B(ACK));
	XCH(c, B(0xFF, 0xFF, 0x00), B(NACK));
	/* Sector code out of range. */
	XCH(c, B(0x63, 0x9C), B(ACK));
	XCH(c, B(0x00, 0x0C, 0x0C), B(NACK));
	/* Unprotect all, then reset. */
	XCH(c, B(0x73, 0x8C), B(ACK, ACK));
	assert_true(c->r.reset_pending);
	assert_int_equal(c->f.nwrp, 0x0FFF);
}

static void rom_readout_protect_then_unprotect_mass_erases(void **state)
{
	struct ctx *c = *state;
	c->f.mem[0x100] = 0x42;
	sync_(c);
	XCH(c, B(0x82, 0x7D), B(ACK, ACK));
	assert_true(c->r.reset_pending);
	assert_int_equal(sim_flash_rdp_level(&c->f), 1);
	sim_rom_reset(&c->r, c->now);
	sync_(c);
	/* Protected: no read, write, erase, go; identification still works. */
	XCH(c, B(0x11, 0xEE), B(NACK));
	XCH(c, B(0x31, 0xCE), B(NACK));
	XCH(c, B(0x44, 0xBB), B(NACK));
	XCH(c, B(0x21, 0xDE), B(NACK));
	XCH(c, B(0x02, 0xFD), B(ACK, 0x01, 0x04, 0x13, ACK));
	XCH(c, B(0x92, 0x6D), B(ACK, ACK));
	assert_true(c->r.reset_pending);
	assert_int_equal(sim_flash_rdp_level(&c->f), 0);
	assert_int_equal(c->f.mem[0x100], 0xFF);
}

static void rom_is_silent_after_power_cut_during_write(void **state)
{
	struct ctx *c = *state;
	sync_(c);
	sim_flash_arm_cut(&c->f, 1);
	uint8_t d[16];
	memset(d, 0, sizeof(d));
	assert_int_equal(write_mem(c, TS_JOURNAL_ADDR, d, 16), -1);
	assert_true(c->f.unpowered);
	SEND(c, B(0x02, 0xFD));
	assert_non_null(strstr(log_text(c), "\"type\":\"power_cut\""));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(rom_ignores_noise_before_sync_then_acks_0x7f),
		T(rom_get_reports_v31_and_the_f4_command_list),
		T(rom_read_memory_frames_and_nacks),
		T(rom_write_memory_to_flash_and_ram),
		T(rom_voltage_range_selects_parallelism),
		T(rom_extended_erase_sectors_mass_and_nacks),
		T(rom_erase_and_program_answer_after_datasheet_time),
		T(rom_go_acks_and_reports_the_address),
		T(rom_write_protect_and_unprotect),
		T(rom_readout_protect_then_unprotect_mass_erases),
		T(rom_is_silent_after_power_cut_during_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
