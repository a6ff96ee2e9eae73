/* AN3155 client (see an3155.h). Framing lives in send_cmd / send_block /
 * wait_ack; each command function sends exactly the bytes of the application
 * note's figure for that command and checks each ACK in order. */
#include "twinslot/an3155.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"

#define PROBE_MS   100u /* wait for the answer to one 0x7F */
#define QUIET_MS   20u  /* no more bytes after ACK/NACK: the ROM is idle */
#define BURST      64u  /* 0x7F bytes that finish a half-sent command */

void ts_an3155_default_cfg(struct ts_an3155_cfg *cfg)
{
	cfg->startup_ms = 85;
	cfg->ack_timeout_ms = 1000;
	cfg->sync_budget_ms = 3000;
	cfg->retries = 3;
	cfg->erase_margin_pct = 150;
}

void ts_an3155_init(struct ts_an3155 *c, const struct ts_port *port,
		    const struct ts_an3155_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->port = port;
	if (cfg)
		c->cfg = *cfg;
	else
		ts_an3155_default_cfg(&c->cfg);
	c->psize = TS_PSIZE_X8;
}

const char *ts_psize_name(enum ts_psize ps)
{
	return ps == TS_PSIZE_X32 ? "x32" : ps == TS_PSIZE_X16 ? "x16" : "x8";
}

/* DS8626 "Flash memory programming": tERASE16KB, tERASE64KB, tERASE128KB
 * maxima at x8 / x16 / x32 (typical: 400/300/250, 1200/700/550,
 * 2000/1300/1000 ms). */
static const uint16_t ERASE_MAX_MS[3][3] = {
	{ 800, 2400, 4000 }, /* x8 */
	{ 600, 1400, 2600 }, /* x16 */
	{ 500, 1100, 2000 }, /* x32 */
};

uint32_t ts_an3155_erase_max_ms(int sector, enum ts_psize ps)
{
	if (sector < 0 || sector >= TS_FLASH_SECTORS || (unsigned)ps > 2)
		return 0;
	uint32_t sz = ts_sector_size(sector);
	int cls = sz == 0x4000u ? 0 : sz == 0x10000u ? 1 : 2;
	return ERASE_MAX_MS[ps][cls];
}

/* ---- plumbing ---- */

static uint64_t now(struct ts_an3155 *c)
{
	return c->port->clock->now_ms(c->port->clock_ctx);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct ts_an3155 *c, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return err;
}

static const char *why(int err)
{
	switch (err) {
	case TS_ERR_NACK: return "the ROM answered NACK";
	case TS_ERR_TIMEOUT: return "no answer (time-out)";
	case TS_ERR_PROTO: return "garbage instead of ACK/NACK";
	default: return ts_strerror(err);
	}
}

static int put(struct ts_an3155 *c, const uint8_t *b, size_t n)
{
	return c->port->link->write(c->port->link_ctx, b, n);
}

/* Read exactly n bytes within timeout_ms (the whole of them). */
static int get_bytes(struct ts_an3155 *c, uint8_t *b, size_t n, uint32_t timeout_ms)
{
	uint64_t end = now(c) + timeout_ms;
	size_t got = 0;
	while (got < n) {
		uint64_t t = now(c);
		if (t >= end)
			return TS_ERR_TIMEOUT;
		long r = c->port->link->read(c->port->link_ctx, b + got, n - got,
					      (uint32_t)(end - t));
		if (r < 0)
			return (int)r;
		got += (size_t)r;
	}
	return TS_OK;
}

static int wait_ack(struct ts_an3155 *c, uint32_t timeout_ms)
{
	uint8_t b;
	int err = get_bytes(c, &b, 1, timeout_ms);
	if (err)
		return err;
	if (b == TS_AN3155_ACK)
		return TS_OK;
	if (b == TS_AN3155_NACK)
		return TS_ERR_NACK;
	return TS_ERR_PROTO;
}

static uint8_t xor_of(const uint8_t *b, size_t n, uint8_t x)
{
	for (size_t i = 0; i < n; i++)
		x ^= b[i];
	return x;
}

/* Command byte and its complement, then ACK. */
static int send_cmd(struct ts_an3155 *c, uint8_t cmd)
{
	uint8_t b[2] = { cmd, (uint8_t)(cmd ^ 0xFFu) };
	int err = put(c, b, 2);
	return err ? err : wait_ack(c, c->cfg.ack_timeout_ms);
}

/* Address, MSB first, with its XOR checksum, then ACK. */
static int send_addr(struct ts_an3155 *c, uint32_t a)
{
	uint8_t b[5] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
			 (uint8_t)a, 0 };
	b[4] = xor_of(b, 4, 0);
	int err = put(c, b, 5);
	return err ? err : wait_ack(c, c->cfg.ack_timeout_ms);
}

/* ---- sync ---- */

int ts_an3155_sync(struct ts_an3155 *c)
{
	const struct ts_port *p = c->port;
	uint64_t end = now(c) + c->cfg.sync_budget_ms;
	unsigned silent = 0;
	uint8_t b[64];

	c->synced = false;
	p->link->flush_input(p->link_ctx);
	while (now(c) < end) {
		uint8_t s = TS_AN3155_SYNC;
		int err = put(c, &s, 1);
		if (err)
			return fail(c, err, "sync: cannot write to the serial port: %s",
				    ts_strerror(err));
		long n = p->link->read(p->link_ctx, b, 1, PROBE_MS);
		if (n < 0)
			return fail(c, (int)n, "sync: serial read failed: %s",
				    ts_strerror((int)n));
		if (n == 1 && (b[0] == TS_AN3155_ACK || b[0] == TS_AN3155_NACK)) {
			/* ACK: first sync. NACK: already synced, or a half-sent
			 * command was completed by our 0x7F bytes and refused.
			 * Either way the ROM waits for a command, provided
			 * nothing else is still on its way. */
			long more = p->link->read(p->link_ctx, b, sizeof(b), QUIET_MS);
			if (more == 0) {
				c->synced = true;
				return TS_OK;
			}
			p->link->flush_input(p->link_ctx);
			silent = 0;
			continue;
		}
		if (n == 1) { /* garbage: console output, noise, wrong baud */
			p->clock->sleep_ms(p->clock_ctx, QUIET_MS);
			p->link->flush_input(p->link_ctx);
			continue;
		}
		/* Silence: the ROM may be inside a command, eating our bytes as
		 * its data. After a few probes, feed it a burst to finish it. */
		if (++silent >= 3) {
			uint8_t burst[BURST];
			memset(burst, TS_AN3155_SYNC, sizeof(burst));
			if ((err = put(c, burst, sizeof(burst))) != TS_OK)
				return fail(c, err, "sync: cannot write: %s", ts_strerror(err));
			p->clock->sleep_ms(p->clock_ctx, 50);
			p->link->flush_input(p->link_ctx);
			silent = 0;
		}
	}
	return fail(c, TS_ERR_TIMEOUT,
		    "sync: no ACK or NACK to 0x7F within %u ms: is the chip in its ROM "
		    "bootloader (BOOT0 high at reset), the wiring right (TX/RX crossed), "
		    "the baud rate supported?", (unsigned)c->cfg.sync_budget_ms);
}

int ts_an3155_connect(struct ts_an3155 *c)
{
	c->port->clock->sleep_ms(c->port->clock_ctx, c->cfg.startup_ms);
	c->psize = TS_PSIZE_X8;
	return ts_an3155_sync(c);
}

/* What to try when a command keeps failing. */
static const char *hint(int err)
{
	switch (err) {
	case TS_ERR_TIMEOUT: return "check the board's power, the wiring and the baud rate, then retry";
	case TS_ERR_PROTO: return "noise on the line or a wrong baud rate: check the wiring and --baud";
	case TS_ERR_NACK: return "the ROM refuses it";
	default: return "check the serial port";
	}
}

/* Every attempt failed: the last command's sentence (command, address,
 * reason), how many tries, and what to try. When the re-sync itself failed,
 * say so after the command that started the trouble. */
static int gave_up(struct ts_an3155 *c, int err, const char *cmd_msg, bool sync_failed)
{
	char m[sizeof(c->msg)];
	unsigned tries = c->cfg.retries + 1u;
	if (!cmd_msg[0]) /* never got as far as the command: sync's message */
		return err;
	memcpy(m, cmd_msg, sizeof(m));
	if (sync_failed)
		return fail(c, err, "%.110s; then no answer to sync (0x7F) within %u ms: %s", m,
			    (unsigned)c->cfg.sync_budget_ms, hint(TS_ERR_TIMEOUT));
	if (strchr(m, '?')) /* the command's own sentence already says what to check */
		return fail(c, err, "%.150s (%u tr%s)", m, tries, tries == 1 ? "y" : "ies");
	return fail(c, err, "%.150s (%u tr%s): %s", m, tries, tries == 1 ? "y" : "ies", hint(err));
}

/* Run one attempt of a command; on failure re-sync and try again. The
 * attempt functions fill c->msg themselves. */
#define RETRYING(call) RETRYING_THEN(call, 1)

/* The same, with a look before each retry: `before_retry` runs after a
 * successful re-sync; 1 goes on with the retry, anything else is returned
 * (TS_OK: the work is already done; < 0: an error, its sentence set). */
#define RETRYING_THEN(call, before_retry)                                       \
	do {                                                                    \
		int err_ = TS_OK;                                               \
		bool sync_failed_ = false;                                      \
		char cmd_msg_[sizeof(c->msg)];                                  \
		cmd_msg_[0] = 0;                                                \
		for (unsigned try_ = 0; try_ <= c->cfg.retries; try_++) {       \
			if (!c->synced || try_ > 0) {                           \
				if (try_ > 0)                                   \
					c->retried++;                           \
				c->resyncs += try_ > 0;                         \
				int serr_ = ts_an3155_sync(c);                  \
				if (serr_) {                                    \
					err_ = serr_;                           \
					sync_failed_ = true;                    \
					continue;                               \
				}                                               \
				if (try_ > 0) {                                 \
					int look_ = (before_retry);             \
					if (look_ != 1)                         \
						return look_;                   \
				}                                               \
			}                                                       \
			sync_failed_ = false;                                   \
			err_ = (call);                                          \
			if (err_ == TS_OK || err_ == TS_ERR_INVAL ||            \
			    err_ == TS_ERR_UNSUPPORTED)                         \
				return err_;                                    \
			memcpy(cmd_msg_, c->msg, sizeof(cmd_msg_));             \
			c->synced = false;                                      \
		}                                                               \
		return gave_up(c, err_, cmd_msg_, sync_failed_);                \
	} while (0)

/* ---- Get ---- */

static int get_once(struct ts_an3155 *c)
{
	uint8_t n, b[1 + 255];
	int err = send_cmd(c, TS_AN3155_GET);
	if (err)
		return fail(c, err, "Get: command: %s", why(err));
	if ((err = get_bytes(c, &n, 1, c->cfg.ack_timeout_ms)) != TS_OK ||
	    (err = get_bytes(c, b, (size_t)n + 1, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get: reply: %s", why(err));
	if ((err = wait_ack(c, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get: final ACK: %s", why(err));
	c->bl_version = b[0];
	c->ncmds = n < sizeof(c->cmds) ? n : (uint8_t)sizeof(c->cmds);
	memcpy(c->cmds, b + 1, c->ncmds);
	return TS_OK;
}

int ts_an3155_get(struct ts_an3155 *c)
{
	RETRYING(get_once(c));
}

/* ---- Get Version & Read Protection Status ---- */

static int get_version_once(struct ts_an3155 *c, uint8_t *version, uint8_t opt[2])
{
	uint8_t b[3];
	int err = send_cmd(c, TS_AN3155_GET_VERSION);
	if (err)
		return fail(c, err, "Get Version: command: %s", why(err));
	if ((err = get_bytes(c, b, 3, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get Version: reply: %s", why(err));
	if ((err = wait_ack(c, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get Version: final ACK: %s", why(err));
	*version = b[0];
	if (opt) {
		opt[0] = b[1];
		opt[1] = b[2];
	}
	return TS_OK;
}

int ts_an3155_get_version(struct ts_an3155 *c, uint8_t *version, uint8_t option[2])
{
	RETRYING(get_version_once(c, version, option));
}

/* ---- Get ID ---- */

static int get_id_once(struct ts_an3155 *c, uint16_t *pid)
{
	uint8_t n, b[2];
	int err = send_cmd(c, TS_AN3155_GET_ID);
	if (err)
		return fail(c, err, "Get ID: command: %s", why(err));
	if ((err = get_bytes(c, &n, 1, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get ID: reply: %s", why(err));
	if (n != 1)
		return fail(c, TS_ERR_PROTO, "Get ID: %u-byte product ID (expected 2)",
			    (unsigned)n + 1);
	if ((err = get_bytes(c, b, 2, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get ID: reply: %s", why(err));
	if ((err = wait_ack(c, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Get ID: final ACK: %s", why(err));
	*pid = (uint16_t)(b[0] << 8 | b[1]);
	return TS_OK;
}

int ts_an3155_get_id(struct ts_an3155 *c, uint16_t *pid)
{
	RETRYING(get_id_once(c, pid));
}

/* ---- Read Memory ---- */

static int read_once(struct ts_an3155 *c, uint32_t addr, uint8_t *buf, size_t n)
{
	int err = send_cmd(c, TS_AN3155_READ_MEMORY);
	if (err)
		return fail(c, err, "Read Memory at 0x%08X: command: %s%s", (unsigned)addr,
			    why(err), err == TS_ERR_NACK ? " (read protection active?)" : "");
	if ((err = send_addr(c, addr)) != TS_OK)
		return fail(c, err, "Read Memory at 0x%08X: address: %s", (unsigned)addr,
			    why(err));
	uint8_t l[2] = { (uint8_t)(n - 1), (uint8_t)((n - 1) ^ 0xFFu) };
	if ((err = put(c, l, 2)) != TS_OK || (err = wait_ack(c, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Read Memory at 0x%08X (%zu bytes): length: %s",
			    (unsigned)addr, n, why(err));
	if ((err = get_bytes(c, buf, n, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Read Memory at 0x%08X (%zu bytes): data: %s",
			    (unsigned)addr, n, why(err));
	return TS_OK;
}

int ts_an3155_read_memory(struct ts_an3155 *c, uint32_t addr, uint8_t *buf, size_t n)
{
	if (n < 1 || n > TS_AN3155_BLOCK_MAX)
		return fail(c, TS_ERR_INVAL, "Read Memory at 0x%08X: length %zu not in 1..256",
			    (unsigned)addr, n);
	RETRYING(read_once(c, addr, buf, n));
}

/* ---- Write Memory ---- */

/* Before retrying a flash write: TS_OK when the block already holds data
 * (two agreeing reads), 1 when it is erased (write again), or an error with
 * a sentence when it holds something else. */
static int already_there(struct ts_an3155 *c, uint32_t addr, const uint8_t *data, size_t n)
{
	uint8_t a[TS_AN3155_BLOCK_MAX], b[TS_AN3155_BLOCK_MAX];
	for (unsigned k = 0; k < 4; k++) {
		int err = ts_an3155_read_memory(c, addr, a, n);
		if (!err)
			err = ts_an3155_read_memory(c, addr, b, n);
		if (err)
			return err;
		if (memcmp(a, b, n) != 0)
			continue; /* the read itself was corrupted on its way */
		if (memcmp(a, data, n) == 0)
			return TS_OK;
		size_t i = 0;
		while (a[i] == data[i])
			i++;
		for (size_t e = 0; e < n; e++)
			if (a[e] != 0xFF)
				return fail(c, TS_ERR_FLASH, "Write Memory at 0x%08X: after a lost "
					    "answer the flash holds other data (byte %zu: 0x%02X, not "
					    "0x%02X): not retried", (unsigned)addr, i, a[i], data[i]);
		return 1;
	}
	return fail(c, TS_ERR_IO, "Write Memory at 0x%08X: cannot read the block back "
		    "consistently to decide on a retry: the link is too noisy", (unsigned)addr);
}

static int write_once(struct ts_an3155 *c, uint32_t addr, const uint8_t *data, size_t n,
		      size_t padded)
{
	uint8_t b[1 + TS_AN3155_BLOCK_MAX + 1];
	int err = send_cmd(c, TS_AN3155_WRITE_MEMORY);
	if (err)
		return fail(c, err, "Write Memory at 0x%08X: command: %s%s", (unsigned)addr,
			    why(err), err == TS_ERR_NACK ? " (read protection active?)" : "");
	if ((err = send_addr(c, addr)) != TS_OK)
		return fail(c, err, "Write Memory at 0x%08X: address: %s", (unsigned)addr,
			    why(err));
	b[0] = (uint8_t)(padded - 1);
	memcpy(b + 1, data, n);
	memset(b + 1 + n, 0xFF, padded - n);
	b[1 + padded] = xor_of(b, 1 + padded, 0);
	if ((err = put(c, b, padded + 2)) != TS_OK)
		return fail(c, err, "Write Memory at 0x%08X: cannot send data: %s",
			    (unsigned)addr, ts_strerror(err));
	/* ACK after programming: at most 256 x 100 us (DS8626 tprog max). */
	if ((err = wait_ack(c, c->cfg.ack_timeout_ms)) != TS_OK)
		return fail(c, err, "Write Memory at 0x%08X (%zu bytes): %s%s", (unsigned)addr,
			    padded, why(err),
			    err == TS_ERR_NACK ? " (sector write-protected, not erased, or "
						 "address invalid?)" : "");
	return TS_OK;
}

int ts_an3155_write_memory(struct ts_an3155 *c, uint32_t addr, const uint8_t *data, size_t n)
{
	if (n < 1 || n > TS_AN3155_BLOCK_MAX)
		return fail(c, TS_ERR_INVAL, "Write Memory at 0x%08X: length %zu not in 1..256",
			    (unsigned)addr, n);
	if (addr % 4u)
		return fail(c, TS_ERR_INVAL, "Write Memory at 0x%08X: address not a multiple of 4",
			    (unsigned)addr);
	size_t padded = (n + 3u) & ~(size_t)3u;
	/* Flash: a write whose ACK was lost may have been programmed already,
	 * and programming it again would be refused (not erased). Before each
	 * retry, look: the data there already means done; anything but erased
	 * bytes means stop. */
	bool flash = addr >= TS_FLASH_BASE && addr - TS_FLASH_BASE < TS_FLASH_SIZE;
	RETRYING_THEN(write_once(c, addr, data, n, padded),
		      flash ? already_there(c, addr, data, n) : 1);
}

int ts_an3155_set_voltage_range(struct ts_an3155 *c, uint8_t range)
{
	if (range > 3)
		return fail(c, TS_ERR_INVAL, "voltage range %u not in 0..3", range);
	int err;
	/* One byte, unpadded: N = 0. */
	for (unsigned t = 0; t <= c->cfg.retries; t++) {
		if ((!c->synced || t > 0) && (err = ts_an3155_sync(c)) != TS_OK)
			continue;
		err = write_once(c, TS_AN3155_VRANGE_ADDR, &range, 1, 1);
		if (err == TS_OK) {
			c->psize = range == 3 ? TS_PSIZE_X32 : range == 0 ? TS_PSIZE_X8
									: TS_PSIZE_X16;
			return TS_OK;
		}
		c->synced = false;
		if (err == TS_ERR_NACK)
			break; /* the ROM refuses it: no point retrying */
	}
	char prev[sizeof(c->msg)];
	memcpy(prev, c->msg, sizeof(prev));
	return fail(c, err, "voltage range %u (write to 0x%08X): %.120s%s", range,
		    (unsigned)TS_AN3155_VRANGE_ADDR, prev,
		    err == TS_ERR_NACK ? ": a ROM without this setting, or a board below 2.7 V, "
					 "needs --no-voltage-range" : "");
}

/* ---- Extended Erase ---- */

static int erase_once(struct ts_an3155 *c, const uint16_t *sectors, size_t n,
		      uint32_t timeout_ms, uint32_t max_ms)
{
	uint8_t b[2 + 2 * TS_FLASH_SECTORS + 1];
	int err = send_cmd(c, TS_AN3155_EXT_ERASE);
	if (err)
		return fail(c, err, "Extended Erase: command: %s%s", why(err),
			    err == TS_ERR_NACK ? " (read protection active?)" : "");
	size_t k = 0;
	b[k++] = (uint8_t)((n - 1) >> 8);
	b[k++] = (uint8_t)(n - 1);
	for (size_t i = 0; i < n; i++) {
		b[k++] = (uint8_t)(sectors[i] >> 8);
		b[k++] = (uint8_t)sectors[i];
	}
	b[k] = xor_of(b, k, 0);
	k++;
	if ((err = put(c, b, k)) != TS_OK)
		return fail(c, err, "Extended Erase: cannot send the sector list: %s",
			    ts_strerror(err));
	uint64_t t0 = now(c);
	err = wait_ack(c, timeout_ms);
	if (err == TS_OK)
		return TS_OK;
	char list[48];
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", i ? "," : "",
				      (unsigned)sectors[i]);
	if (err == TS_ERR_TIMEOUT)
		return fail(c, err,
			    "Extended Erase of sector%s %s timed out after %u ms (datasheet "
			    "max %u ms at %s, margin %u%%): check the supply and the "
			    "voltage-range setting", n > 1 ? "s" : "", list,
			    (unsigned)(now(c) - t0), (unsigned)max_ms, ts_psize_name(c->psize),
			    (unsigned)c->cfg.erase_margin_pct);
	return fail(c, err, "Extended Erase of sector%s %s: %s%s", n > 1 ? "s" : "", list,
		    why(err), err == TS_ERR_NACK ? " (sector write-protected?)" : "");
}

int ts_an3155_extended_erase(struct ts_an3155 *c, const uint16_t *sectors, size_t n)
{
	if (n < 1 || n > TS_FLASH_SECTORS)
		return fail(c, TS_ERR_INVAL, "Extended Erase: %zu sectors (1..12)", n);
	uint32_t max_ms = 0;
	for (size_t i = 0; i < n; i++) {
		if (sectors[i] >= TS_FLASH_SECTORS)
			return fail(c, TS_ERR_INVAL, "Extended Erase: no sector %u",
				    (unsigned)sectors[i]);
		max_ms += ts_an3155_erase_max_ms(sectors[i], c->psize);
	}
	uint32_t timeout = max_ms * c->cfg.erase_margin_pct / 100u + c->cfg.ack_timeout_ms;
	/* A re-sync after a time-out must outlast an erase still running. */
	uint32_t budget = c->cfg.sync_budget_ms;
	if (budget < timeout)
		c->cfg.sync_budget_ms = timeout;
	int err = TS_OK;
	bool sync_failed = false;
	char cmd_msg[sizeof(c->msg)];
	cmd_msg[0] = 0;
	for (unsigned t = 0; t <= c->cfg.retries; t++) {
		if ((!c->synced || t > 0) && (err = ts_an3155_sync(c)) != TS_OK) {
			sync_failed = true;
			continue;
		}
		sync_failed = false;
		if (t > 0)
			c->retried++;
		err = erase_once(c, sectors, n, timeout, max_ms);
		if (err == TS_OK)
			break;
		memcpy(cmd_msg, c->msg, sizeof(cmd_msg));
		c->synced = false;
	}
	if (err != TS_OK)
		err = gave_up(c, err, cmd_msg, sync_failed);
	c->cfg.sync_budget_ms = budget;
	return err;
}

/* ---- Go ---- */

static int go_once(struct ts_an3155 *c, uint32_t addr)
{
	int err = send_cmd(c, TS_AN3155_GO);
	if (err)
		return fail(c, err, "Go 0x%08X: command: %s", (unsigned)addr, why(err));
	if ((err = send_addr(c, addr)) != TS_OK)
		return fail(c, err, "Go 0x%08X: address: %s", (unsigned)addr, why(err));
	c->synced = false; /* the ROM is gone */
	return TS_OK;
}

int ts_an3155_go(struct ts_an3155 *c, uint32_t addr)
{
	RETRYING(go_once(c, addr));
}
