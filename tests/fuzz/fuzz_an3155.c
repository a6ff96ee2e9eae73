/*
 * libFuzzer target: the AN3155 client (host/core/src/an3155.c) against a
 * ROM whose every reply byte comes from the fuzz input: Get, Get Version,
 * Get ID, Read Memory, Write Memory (flash and RAM, with the look before a
 * retry), Extended Erase, the voltage range, Go; sync and re-sync included.
 *
 * Input: byte 0 the configuration (bits 0-1 retries, bit 2 connect first),
 * bytes 1-4 four operations in turn (value % 10, see run_op), then the
 * reply stream: each read takes the bytes up to the next FZ_SILENCE byte,
 * which is a read that times out (the virtual clock jumps by its time-out);
 * the end of the input is silence for ever.
 *
 * Invariants (abort when broken): every call returns TS_OK or a negative
 * ts_err, a failure leaves a printable sentence in c->msg, Get fills at
 * most 16 command codes, a call never runs longer than its retries and
 * time-outs allow (virtual time) nor makes more than a bounded number of
 * link calls; every Write Memory frame the client sends carries its
 * length and a correct XOR checksum. ASan and UBSan watch the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/an3155.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_SILENCE 0xF5u
#define MAX_LINK_CALLS 200000u

struct fake {
	const uint8_t *p;
	size_t n;
	uint64_t now;
	unsigned calls;
	/* what the host wrote last, to check frames */
	uint8_t last_cmd;
	int frame_state; /* 1: address sent for 0x31, next write is the data frame */
};

static struct fake F;

static void count(void)
{
	if (++F.calls > MAX_LINK_CALLS)
		abort(); /* a loop that does not end */
}

static int configure(void *ctx, uint32_t baud, bool even)
{
	(void)ctx;
	(void)baud;
	(void)even;
	return TS_OK;
}

static long rd(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms)
{
	(void)ctx;
	count();
	if (n == 0)
		return 0;
	if (F.n == 0 || F.p[0] == FZ_SILENCE) {
		if (F.n) {
			F.p++;
			F.n--;
		}
		F.now += timeout_ms ? timeout_ms : 1;
		return 0;
	}
	size_t k = 0;
	while (k < n && k < F.n && F.p[k] != FZ_SILENCE)
		k++;
	memcpy(buf, F.p, k);
	F.p += k;
	F.n -= k;
	F.now += 1;
	return (long)k;
}

static uint8_t xor_of(const uint8_t *b, size_t n)
{
	uint8_t x = 0;
	for (size_t i = 0; i < n; i++)
		x ^= b[i];
	return x;
}

static int wr(void *ctx, const uint8_t *buf, size_t n)
{
	(void)ctx;
	count();
	F.now += 1;
	size_t syncs = 0;
	while (syncs < n && buf[syncs] == TS_AN3155_SYNC)
		syncs++;
	if (syncs == n) {
		F.frame_state = 0; /* a sync (one 0x7F, or a burst): a new start */
		F.last_cmd = 0;
	} else if (n == 2 && (uint8_t)(buf[0] ^ buf[1]) == 0xFF) {
		F.last_cmd = buf[0];
		F.frame_state = 0;
	} else if (n == 5 && F.last_cmd == TS_AN3155_WRITE_MEMORY && F.frame_state == 0) {
		if (xor_of(buf, 4) != buf[4])
			abort();
		F.frame_state = 1;
	} else if (F.last_cmd == TS_AN3155_WRITE_MEMORY && F.frame_state == 1) {
		/* N-1, N bytes, checksum over all of them */
		if (n < 3 || (size_t)buf[0] + 3 != n || xor_of(buf, n - 1) != buf[n - 1])
			abort();
		F.frame_state = 2;
	}
	return TS_OK;
}

static int flush_input(void *ctx)
{
	(void)ctx;
	count();
	return TS_OK;
}

static int pin(void *ctx, bool high)
{
	(void)ctx;
	(void)high;
	return TS_OK;
}

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return F.now;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	F.now += ms;
}

static const struct ts_link_ops LINK = { configure, rd, wr, flush_input, pin, pin };
static const struct ts_clock_ops CLOCK = { now_ms, sleep_ms, NULL, NULL };

static int run_op(struct ts_an3155 *c, unsigned op)
{
	static const uint8_t block[256] = { 0x12, 0x34, 0x56, 0x78, 0x9A };
	uint8_t buf[256], ver, opt[2];
	uint16_t pid;
	static const uint16_t sectors[] = { 5, 6, 7 };
	switch (op % 10) {
	case 0: {
		int rc = ts_an3155_get(c);
		if (c->ncmds > sizeof c->cmds)
			abort();
		return rc;
	}
	case 1: return ts_an3155_get_version(c, &ver, opt);
	case 2: return ts_an3155_get_id(c, &pid);
	case 3: return ts_an3155_read_memory(c, TS_FLASH_BASE + 0x20000u, buf, 256);
	case 4: return ts_an3155_read_memory(c, 0x1FFF7A10u, buf, 12);
	case 5: return ts_an3155_write_memory(c, TS_FLASH_BASE + 0x20100u, block, 256);
	case 6: return ts_an3155_write_memory(c, 0x20001000u, block, 7);
	case 7: return ts_an3155_extended_erase(c, sectors, 3);
	case 8: return ts_an3155_set_voltage_range(c, 3);
	default: return ts_an3155_go(c, TS_FLASH_BASE + 0x20000u);
	}
}

static void check_msg(const struct ts_an3155 *c)
{
	size_t n = 0;
	while (n < sizeof c->msg && c->msg[n])
		n++;
	if (n == 0 || n == sizeof c->msg)
		abort();
	for (size_t i = 0; i < n; i++)
		if (c->msg[i] < 0x20 || c->msg[i] > 0x7E)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	memset(&F, 0, sizeof F);
	F.p = data + 5;
	F.n = size - 5;
	struct ts_port port = { .link = &LINK, .clock = &CLOCK };
	struct ts_an3155_cfg cfg;
	ts_an3155_default_cfg(&cfg);
	cfg.retries = data[0] & 3u;
	static struct ts_an3155 c;
	ts_an3155_init(&c, &port, &cfg);
	if (data[0] & 4u) {
		int rc = ts_an3155_connect(&c);
		if (rc > 0)
			abort();
		if (rc < 0)
			check_msg(&c);
	}
	for (int i = 1; i <= 4; i++) {
		uint64_t t0 = F.now;
		c.msg[0] = '\0';
		int rc = run_op(&c, data[i]);
		if (rc > 0)
			abort();
		if (rc < 0)
			check_msg(&c);
		/* Bound: (retries + 1) tries, each a sync budget (the erase's own
		 * time-out at most 15 s) plus a handful of waits; the look before
		 * a flash retry reads the block back up to 8 times, each as long. */
		uint64_t per_try = 16000u + 8u * cfg.ack_timeout_ms;
		uint64_t bound = (uint64_t)(cfg.retries + 1u) * per_try * 9u * (cfg.retries + 1u);
		if (F.now - t0 > bound)
			abort();
	}
	return 0;
}
