#define _DEFAULT_SOURCE
#include "fake_board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/sha256.h"

static int configure(void *ctx, uint32_t baud, bool even)
{
	(void)ctx;
	(void)baud;
	(void)even;
	return TS_OK;
}

static long rd(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms)
{
	struct fake_board *fb = ctx;
	uint64_t limit = fb->now_ns + (uint64_t)timeout_ms * 1000000u;
	size_t k0;
	for (;;) {
		if (fb->in_rom) {
			size_t k = sim_rom_tx(&fb->rom, buf, n, fb->now_ns);
			if (k && !fb->dead)
				return (long)k;
		} else if (fb->app && !fb->dead && (k0 = fb->app_tx(fb->app, buf, n)) > 0) {
			fb->now_ns += 100000u; /* 0.1 ms per chunk */
			return (long)k0;
		} else if (fb->console && fb->console[fb->console_pos]) {
			size_t k = strlen(fb->console + fb->console_pos);
			if (k > n)
				k = n;
			memcpy(buf, fb->console + fb->console_pos, k);
			fb->console_pos += k;
			fb->now_ns += 1000000u; /* 1 ms per chunk */
			return (long)k;
		}
		uint64_t d = fb->in_rom ? sim_rom_deadline_ns(&fb->rom) : UINT64_MAX;
		if (d != UINT64_MAX && d <= limit && d > fb->now_ns) {
			fb->now_ns = d;
			continue;
		}
		if (d != UINT64_MAX && d <= fb->now_ns)
			continue;
		fb->now_ns = limit;
		return 0;
	}
}

static int wr(void *ctx, const uint8_t *buf, size_t n)
{
	struct fake_board *fb = ctx;
	if (fb->wm_cmd && n == 5 && fb->nwm < sizeof fb->wm / sizeof fb->wm[0]) {
		fb->wm[fb->nwm].addr = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
				       (uint32_t)buf[2] << 8 | buf[3];
		fb->wm[fb->nwm++].data_at = fb->written + 5;
	}
	fb->wm_cmd = n == 2 && buf[0] == 0x31 && buf[1] == 0xCE;
	for (size_t i = 0; i < n; i++) {
		fb->written++;
		if (fb->die_after >= 0 && fb->written > (uint64_t)fb->die_after)
			fb->dead = true;
		uint8_t byte = buf[i];
		for (unsigned k = 0; k < fb->nflip; k++)
			if (fb->flip[k].at == fb->written)
				byte ^= fb->flip[k].mask;
		if (!fb->dead && fb->in_rom)
			sim_rom_rx(&fb->rom, byte, fb->now_ns);
		else if (!fb->dead && !fb->nrst_low && fb->app)
			fb->app_rx(fb->app, byte);
	}
	fb->now_ns += 1000; /* 1 us */
	return TS_OK;
}

static int flush_in(void *ctx)
{
	struct fake_board *fb = ctx;
	uint8_t junk[64];
	if (fb->in_rom)
		while (sim_rom_tx(&fb->rom, junk, sizeof(junk), fb->now_ns))
			;
	return TS_OK;
}

static int set_boot0(void *ctx, bool high)
{
	((struct fake_board *)ctx)->boot0 = high;
	return TS_OK;
}

static int set_nrst(void *ctx, bool high)
{
	struct fake_board *fb = ctx;
	if (high && fb->nrst_low) {
		if (fb->boot0) {
			sim_rom_reset(&fb->rom, fb->now_ns);
			fb->in_rom = true;
			fb->rom_entries++;
		} else {
			fb->in_rom = false;
			fb->console_pos = 0;
			fb->app_boots++;
		}
	}
	fb->nrst_low = !high;
	return TS_OK;
}

static uint64_t now_ms(void *ctx)
{
	return ((struct fake_board *)ctx)->now_ns / 1000000u;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	((struct fake_board *)ctx)->now_ns += (uint64_t)ms * 1000000u;
}

static void log_line(void *ctx, enum ts_log_level lvl, const char *msg)
{
	struct fake_board *fb = ctx;
	(void)lvl;
	size_t l = strlen(fb->log);
	snprintf(fb->log + l, sizeof(fb->log) - l, "%s\n", msg);
	if (getenv("TS_TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", msg);
}

void fake_board_open(struct fake_board *fb)
{
	memset(fb, 0, sizeof(*fb));
	strcpy(fb->path, "/tmp/ts-host-test-XXXXXX");
	int fd = mkstemp(fb->path);
	if (fd < 0)
		abort();
	close(fd);
	unlink(fb->path); /* sim_flash_open creates it erased */
	if (sim_flash_open(&fb->flash, fb->path, NULL) != 0)
		abort();
	sim_rom_init(&fb->rom, &fb->flash, NULL, NULL, 0);
	fb->die_after = -1;
	static const struct ts_link_ops link = { configure, rd, wr, flush_in, set_boot0, set_nrst };
	static const struct ts_clock_ops clock = { .now_ms = now_ms, .sleep_ms = sleep_ms };
	static const struct ts_sink_ops sink = { .log = log_line };
	fb->port = (struct ts_port){
		.link = &link, .link_ctx = fb,
		.clock = &clock, .clock_ctx = fb,
		.sink = &sink, .sink_ctx = fb,
	};
}

void fake_board_close(struct fake_board *fb)
{
	char opt[80];
	sim_flash_close(&fb->flash);
	unlink(fb->path);
	snprintf(opt, sizeof(opt), "%s.opt", fb->path);
	unlink(opt);
}

const uint8_t *fake_board_mem(const struct fake_board *fb)
{
	return sim_flash_mem(&fb->flash);
}

uint32_t make_image(uint8_t *out, int slot, uint32_t version, uint32_t product,
		    uint32_t app_size)
{
	struct ts_image_header h;
	memset(&h, 0, sizeof(h));
	h.hdr_version = TS_IMAGE_HDR_VERSION;
	h.hdr_size = TS_IMAGE_HDR_SIZE;
	h.load_addr = ts_slot_addr((enum ts_slot)slot) + TS_IMAGE_HDR_SIZE;
	h.app_size = app_size;
	h.version = version;
	h.product_id = product;
	uint8_t *app = out + TS_IMAGE_HDR_SIZE;
	for (uint32_t i = 0; i < app_size; i++)
		app[i] = (uint8_t)(i * 7u + version);
	if (app_size >= 1024)
		memset(app + 512, 0xFF, 512);
	uint32_t sp = 0x20020000u, pc = (h.load_addr + 0x101u) | 1u;
	memcpy(app, &sp, 4);
	memcpy(app + 4, &pc, 4);
	ts_sha256(app, app_size, h.app_sha256);
	ts_image_header_encode(&h, out);
	return TS_IMAGE_HDR_SIZE + app_size;
}
