/* The AN3155 client against recorded byte exchanges: a fake port plays a
 * script of the bytes the host must write and the ROM's canned replies
 * (ACK, NACK, garbage, silence), on a virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/an3155.h"
#include "twinslot/err.h"

/* Script steps: 'W' the host writes these bytes; 'R' the ROM sends these. A
 * read with nothing to deliver and a 'W' next is silence: the clock jumps by
 * the read's time-out and the read returns 0. */
struct step {
	char kind;
	uint8_t b[300];
	size_t n;
};

struct script {
	struct step s[64];
	size_t nsteps, cur, off;   /* cur step, bytes of it consumed */
	uint8_t rx[600];           /* delivered to the host, not yet read */
	size_t rxn;
	uint64_t now;
	unsigned silences, flushes;
};

static struct script S;

static void add(char kind, const uint8_t *b, size_t n)
{
	struct step *st = &S.s[S.nsteps++];
	st->kind = kind;
	memcpy(st->b, b, n);
	st->n = n;
}
#define W(...) do { const uint8_t b_[] = { __VA_ARGS__ }; add('W', b_, sizeof(b_)); } while (0)
#define R(...) do { const uint8_t b_[] = { __VA_ARGS__ }; add('R', b_, sizeof(b_)); } while (0)

static void load_replies(void)
{
	while (S.cur < S.nsteps && S.s[S.cur].kind == 'R') {
		memcpy(S.rx + S.rxn, S.s[S.cur].b, S.s[S.cur].n);
		S.rxn += S.s[S.cur].n;
		S.cur++;
	}
}

static int configure(void *ctx, uint32_t baud, bool even)
{
	(void)ctx; (void)baud; (void)even;
	return TS_OK;
}

static long rd(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms)
{
	(void)ctx;
	load_replies();
	if (S.rxn == 0) {
		S.now += timeout_ms;
		S.silences++;
		return 0;
	}
	size_t k = S.rxn < n ? S.rxn : n;
	memcpy(buf, S.rx, k);
	memmove(S.rx, S.rx + k, S.rxn - k);
	S.rxn -= k;
	return (long)k;
}

static int wr(void *ctx, const uint8_t *buf, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		load_replies();
		if (S.cur >= S.nsteps)
			fail_msg("host wrote 0x%02X after the end of the script", buf[i]);
		struct step *st = &S.s[S.cur];
		if (st->b[S.off] != buf[i])
			fail_msg("step %zu byte %zu: host wrote 0x%02X, script expects 0x%02X", S.cur,
				 S.off, buf[i], st->b[S.off]);
		if (++S.off == st->n) {
			S.cur++;
			S.off = 0;
		}
	}
	return TS_OK;
}

static int flush_in(void *ctx)
{
	(void)ctx;
	S.rxn = 0;
	S.flushes++;
	return TS_OK;
}

static int pin(void *ctx, bool h)
{
	(void)ctx; (void)h;
	return TS_OK;
}

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return S.now;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	S.now += ms;
}

static const struct ts_link_ops LINK = { configure, rd, wr, flush_in, pin, pin };
static const struct ts_clock_ops CLOCK = { .now_ms = now_ms, .sleep_ms = sleep_ms };
static const struct ts_port PORT = { .link = &LINK, .clock = &CLOCK };

static struct ts_an3155 C;

static int setup(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	ts_an3155_init(&C, &PORT, NULL);
	return 0;
}

static void script_done(void)
{
	load_replies();
	assert_int_equal(S.cur, S.nsteps);
	assert_int_equal(S.off, 0);
}

static void synced(void)
{
	C.synced = true;
}

static void sync_first_ack(void **state)
{
	(void)state;
	W(0x7F); R(0x79);
	assert_int_equal(ts_an3155_connect(&C), TS_OK);
	assert_true(C.synced);
	assert_true(S.now >= 85); /* start-up wait before the first 0x7F */
	script_done();
}

static void sync_already_synced_rom_answers_nack(void **state)
{
	(void)state;
	W(0x7F); R(0x1F);
	assert_int_equal(ts_an3155_sync(&C), TS_OK);
	assert_true(C.synced);
	script_done();
}

static void sync_silence_then_nack(void **state)
{
	(void)state;
	/* A synced ROM takes one 0x7F as a command byte and waits for its
	 * complement: silent. The second 0x7F is a bad complement: NACK. */
	W(0x7F); W(0x7F); R(0x1F);
	assert_int_equal(ts_an3155_sync(&C), TS_OK);
	script_done();
}

static void sync_garbage_is_flushed(void **state)
{
	(void)state;
	W(0x7F); R('t', 'w', 'i', 'n'); W(0x7F); R(0x79);
	assert_int_equal(ts_an3155_sync(&C), TS_OK);
	assert_true(S.flushes >= 2);
	script_done();
}

static void sync_burst_finishes_a_half_sent_command(void **state)
{
	(void)state;
	/* The ROM waits for data of a Write Memory: three probes vanish, then a
	 * burst of 64 completes the command (NACK), flushed; the next probes
	 * find the command state. */
	W(0x7F); W(0x7F); W(0x7F);
	uint8_t burst[64];
	memset(burst, 0x7F, sizeof(burst));
	add('W', burst, sizeof(burst));
	R(0x1F, 0x1F, 0x1F);
	W(0x7F); W(0x7F); R(0x1F);
	assert_int_equal(ts_an3155_sync(&C), TS_OK);
	script_done();
}

static void sync_gives_up_with_a_reason(void **state)
{
	(void)state;
	C.cfg.sync_budget_ms = 300;
	for (int i = 0; i < 3; i++)
		W(0x7F);
	uint8_t burst[64];
	memset(burst, 0x7F, sizeof(burst));
	add('W', burst, sizeof(burst));
	assert_int_equal(ts_an3155_sync(&C), TS_ERR_TIMEOUT);
	assert_non_null(strstr(C.msg, "BOOT0"));
	assert_false(C.synced);
}

static void get_lists_commands(void **state)
{
	(void)state;
	synced();
	W(0x00, 0xFF); R(0x79, 11, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, 0x79);
	assert_int_equal(ts_an3155_get(&C), TS_OK);
	assert_int_equal(C.bl_version, 0x31);
	assert_int_equal(C.ncmds, 11);
	assert_int_equal(C.cmds[6], 0x44);
	script_done();
}

static void get_version(void **state)
{
	(void)state;
	synced();
	W(0x01, 0xFE); R(0x79, 0x31, 0x00, 0x00, 0x79);
	uint8_t v, opt[2];
	assert_int_equal(ts_an3155_get_version(&C, &v, opt), TS_OK);
	assert_int_equal(v, 0x31);
	script_done();
}

static void get_id(void **state)
{
	(void)state;
	synced();
	W(0x02, 0xFD); R(0x79, 0x01, 0x04, 0x13, 0x79);
	uint16_t pid = 0;
	assert_int_equal(ts_an3155_get_id(&C, &pid), TS_OK);
	assert_int_equal(pid, 0x413);
	script_done();
}

static void read_memory_bytes(void **state)
{
	(void)state;
	synced();
	W(0x11, 0xEE); R(0x79);
	W(0x08, 0x0E, 0x00, 0x00, 0x06); R(0x79);
	W(0x03, 0xFC); R(0x79, 0xDE, 0xAD, 0xBE, 0xEF);
	uint8_t b[4];
	assert_int_equal(ts_an3155_read_memory(&C, 0x080E0000u, b, 4), TS_OK);
	assert_int_equal(b[0], 0xDE);
	assert_int_equal(b[3], 0xEF);
	script_done();
}

static void write_memory_pads_with_ff(void **state)
{
	(void)state;
	synced();
	W(0x31, 0xCE); R(0x79);
	W(0x08, 0x02, 0x00, 0x00, 0x0A); R(0x79);
	/* N = 7 (8 bytes), 5 data + 3 x 0xFF, checksum = XOR of all */
	W(0x07, 1, 2, 3, 4, 5, 0xFF, 0xFF, 0xFF, 0x07 ^ 1 ^ 2 ^ 3 ^ 4 ^ 5 ^ 0xFF); R(0x79);
	const uint8_t d[5] = { 1, 2, 3, 4, 5 };
	assert_int_equal(ts_an3155_write_memory(&C, 0x08020000u, d, 5), TS_OK);
	script_done();
}

static void write_memory_refuses_bad_arguments(void **state)
{
	(void)state;
	synced();
	uint8_t d[260] = { 0 };
	assert_int_equal(ts_an3155_write_memory(&C, 0x08020002u, d, 4), TS_ERR_INVAL);
	assert_non_null(strstr(C.msg, "multiple of 4"));
	assert_int_equal(ts_an3155_write_memory(&C, 0x08020000u, d, 257), TS_ERR_INVAL);
	assert_int_equal(ts_an3155_read_memory(&C, 0x08020000u, d, 0), TS_ERR_INVAL);
	script_done(); /* nothing was sent */
}

/* Read Memory of 4 bytes at 0x08020100 answered with d. */
static void read4(const uint8_t d[4])
{
	W(0x11, 0xEE); R(0x79);
	W(0x08, 0x02, 0x01, 0x00, 0x0B); R(0x79);
	W(0x03, 0xFC); R(0x79);
	R(d[0], d[1], d[2], d[3]);
}

static void write4(const uint8_t d[4])
{
	W(0x31, 0xCE); R(0x79);
	W(0x08, 0x02, 0x01, 0x00, 0x0B); R(0x79);
	W(0x03, d[0], d[1], d[2], d[3], 0x03 ^ d[0] ^ d[1] ^ d[2] ^ d[3]);
}

/* A NACKed flash write is retried after a re-sync, once two reads agree
 * that the block is still erased. */
static void write_nack_is_retried_after_resync(void **state)
{
	(void)state;
	synced();
	const uint8_t d[4] = { 0xAA, 0xBB, 0xCC, 0xDD }, ff[4] = { 0xFF, 0xFF, 0xFF, 0xFF };
	write4(d);
	R(0x1F);           /* NACK: corrupted on the wire */
	W(0x7F); R(0x1F);  /* re-sync: already synced */
	read4(ff);
	read4(ff);
	write4(d);
	R(0x79);
	assert_int_equal(ts_an3155_write_memory(&C, 0x08020100u, d, 4), TS_OK);
	assert_int_equal(C.retried, 1);
	script_done();
}

/* The ROM programmed the block but its ACK was lost: the retry finds the
 * data there and does not program it twice (the ROM would refuse a write
 * over programmed bytes, and the update would fail for nothing). */
static void lost_ack_is_not_written_twice(void **state)
{
	(void)state;
	synced();
	const uint8_t d[4] = { 0xAA, 0xBB, 0xCC, 0xDD };
	write4(d);
	R(0x55);           /* garbage where the ACK should be */
	W(0x7F); R(0x1F);  /* re-sync */
	read4(d);
	read4(d);
	assert_int_equal(ts_an3155_write_memory(&C, 0x08020100u, d, 4), TS_OK);
	script_done();
}

/* After a lost answer the block holds something else: no blind retry. */
static void other_data_after_lost_ack_stops(void **state)
{
	(void)state;
	synced();
	const uint8_t d[4] = { 0xAA, 0xBB, 0xCC, 0xDD }, x[4] = { 0xAA, 0x00, 0xCC, 0xDD };
	write4(d);
	R(0x55);
	W(0x7F); R(0x1F);
	read4(x);
	read4(x);
	assert_int_equal(ts_an3155_write_memory(&C, 0x08020100u, d, 4), TS_ERR_FLASH);
	assert_non_null(strstr(C.msg, "holds other data (byte 1: 0x00, not 0xBB)"));
	script_done();
}

static void read_timeout_names_command_and_address(void **state)
{
	(void)state;
	synced();
	C.cfg.retries = 0;
	W(0x11, 0xEE); /* silence */
	uint8_t b[4];
	assert_int_equal(ts_an3155_read_memory(&C, 0x08080000u, b, 4), TS_ERR_TIMEOUT);
	assert_non_null(strstr(C.msg, "Read Memory at 0x08080000"));
	assert_non_null(strstr(C.msg, "time-out"));
	assert_non_null(strstr(C.msg, "check the board's power, the wiring and the baud rate"));
}

static void garbage_instead_of_ack(void **state)
{
	(void)state;
	synced();
	C.cfg.retries = 0;
	W(0x02, 0xFD); R(0x55);
	uint16_t pid;
	assert_int_equal(ts_an3155_get_id(&C, &pid), TS_ERR_PROTO);
	assert_non_null(strstr(C.msg, "Get ID"));
	assert_non_null(strstr(C.msg, "garbage"));
}

static void erase_uses_datasheet_timeouts(void **state)
{
	(void)state;
	synced();
	C.cfg.retries = 0;
	/* 128 KB sector at x8: 4000 ms max * 150 % + 1000 ms. */
	W(0x44, 0xBB); R(0x79);
	W(0x00, 0x00, 0x00, 0x09, 0x09); /* silence: the erase never ends */
	uint16_t s = 9;
	uint64_t t0 = S.now;
	assert_int_equal(ts_an3155_extended_erase(&C, &s, 1), TS_ERR_TIMEOUT);
	assert_int_equal(S.now - t0, 7000);
	assert_non_null(strstr(C.msg, "sector 9 timed out after 7000 ms"));
	assert_non_null(strstr(C.msg, "datasheet max 4000 ms at x8"));
	assert_int_equal(ts_an3155_erase_max_ms(9, TS_PSIZE_X32), 2000);
	assert_int_equal(ts_an3155_erase_max_ms(0, TS_PSIZE_X32), 500);
	assert_int_equal(ts_an3155_erase_max_ms(4, TS_PSIZE_X8), 2400);
}

static void erase_sector_list(void **state)
{
	(void)state;
	synced();
	W(0x44, 0xBB); R(0x79);
	W(0x00, 0x01, 0x00, 0x05, 0x00, 0x06, 0x01 ^ 0x05 ^ 0x06); R(0x79);
	const uint16_t s[2] = { 5, 6 };
	assert_int_equal(ts_an3155_extended_erase(&C, s, 2), TS_OK);
	script_done();
}

static void voltage_range_is_one_byte_at_ffff0000(void **state)
{
	(void)state;
	synced();
	W(0x31, 0xCE); R(0x79);
	W(0xFF, 0xFF, 0x00, 0x00, 0x00); R(0x79);
	W(0x00, 0x03, 0x03); R(0x79);
	assert_int_equal(C.psize, TS_PSIZE_X8);
	assert_int_equal(ts_an3155_set_voltage_range(&C, 3), TS_OK);
	assert_int_equal(C.psize, TS_PSIZE_X32);
	script_done();
}

static void go_sends_address(void **state)
{
	(void)state;
	synced();
	W(0x21, 0xDE); R(0x79);
	W(0x08, 0x00, 0x00, 0x00, 0x08); R(0x79);
	assert_int_equal(ts_an3155_go(&C, 0x08000000u), TS_OK);
	assert_false(C.synced);
	script_done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(sync_first_ack, setup),
		cmocka_unit_test_setup(sync_already_synced_rom_answers_nack, setup),
		cmocka_unit_test_setup(sync_silence_then_nack, setup),
		cmocka_unit_test_setup(sync_garbage_is_flushed, setup),
		cmocka_unit_test_setup(sync_burst_finishes_a_half_sent_command, setup),
		cmocka_unit_test_setup(sync_gives_up_with_a_reason, setup),
		cmocka_unit_test_setup(get_lists_commands, setup),
		cmocka_unit_test_setup(get_version, setup),
		cmocka_unit_test_setup(get_id, setup),
		cmocka_unit_test_setup(read_memory_bytes, setup),
		cmocka_unit_test_setup(write_memory_pads_with_ff, setup),
		cmocka_unit_test_setup(write_memory_refuses_bad_arguments, setup),
		cmocka_unit_test_setup(write_nack_is_retried_after_resync, setup),
		cmocka_unit_test_setup(lost_ack_is_not_written_twice, setup),
		cmocka_unit_test_setup(other_data_after_lost_ack_stops, setup),
		cmocka_unit_test_setup(read_timeout_names_command_and_address, setup),
		cmocka_unit_test_setup(garbage_instead_of_ack, setup),
		cmocka_unit_test_setup(erase_uses_datasheet_timeouts, setup),
		cmocka_unit_test_setup(erase_sector_list, setup),
		cmocka_unit_test_setup(voltage_range_is_one_byte_at_ffff0000, setup),
		cmocka_unit_test_setup(go_sends_address, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
