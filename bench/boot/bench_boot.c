/*
 * Boot time of the real bootloader on the virtual board: instructions and
 * board time from the power-on reset to the first instruction run in a slot
 * (the board's slot_entry: the jump), for a confirmed boot and for a trial
 * boot of a new image, at several image sizes.
 *
 * Usage: bench_boot BOOTLOADER.bin APP-A.bin APP-B.bin
 *
 * Each case composes a fresh 1 MB flash file: the bootloader, an image in
 * each slot (the example application, padded with pseudo-random bytes to the
 * case's size, packed with a header the way `twinslot pack` does), and a
 * journal. It powers the board on, runs it until the jump, checks the boot
 * line is the one the case expects (so the figure is for the boot it names),
 * and measures:
 *   - the distinct bytes the bootloader read from the slots' application
 *     areas (a unicorn read hook added here, not in the board): what it
 *     hashed, plus 8 bytes a slot for the vector-table check;
 *   - instructions (the board counts one cycle of HCLK per instruction) and
 *     board time from the reset to the jump, and the highest HCLK on the way.
 *   - board time from the first byte written to the console USART (its data
 *     register, a unicorn write hook) to the jump: the boot line on the wire
 *     at 115200 baud (about 87 us a character), and whatever follows it.
 * Prints only a title line and a markdown table; exits non-zero if a case
 * does not boot as expected.
 */
#define _GNU_SOURCE /* mkstemp, open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board/board.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/version.h"

#define FLASH_BYTES 0x100000u
#define SLOT_OFF(s) (ts_slot_addr(s) - TS_FLASH_BASE)
#define JOURNAL_OFF (TS_JOURNAL_ADDR - TS_FLASH_BASE)
#define USART1_DR   0x40011004u /* the console (TS_CONSOLE_USART 1, the default) */

static uint8_t flash[FLASH_BYTES];
static uint8_t app_bin[TS_SLOT_COUNT][TS_IMAGE_MAX_APP];
static size_t app_len[TS_SLOT_COUNT];

/* bytes read from the two slots, one bit each (0x08020000 .. journal) */
static uint8_t seen[(TS_JOURNAL_ADDR - TS_SLOT_A_ADDR) / 8];
static uint64_t app_bytes_read;

static void hook_read(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
		      int64_t value, void *ud)
{
	(void)uc;
	(void)type;
	(void)value;
	if (((const struct board *)ud)->slot_entered)
		return; /* the application runs: no longer the bootloader's reads */
	for (int i = 0; i < size; i++) {
		uint32_t off = (uint32_t)addr + (uint32_t)i - TS_SLOT_A_ADDR;
		if (off >= sizeof seen * 8u)
			continue;
		if (seen[off / 8] & (1u << (off % 8)))
			continue;
		seen[off / 8] |= (uint8_t)(1u << (off % 8));
		if (off % TS_SLOT_SIZE >= TS_IMAGE_HDR_SIZE)
			app_bytes_read++;
	}
}

/* board time of the first byte the bootloader writes to the console USART */
static uint64_t first_tx_ns;
static bool tx_seen;

static void hook_tx(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		    void *ud)
{
	(void)uc;
	(void)type;
	(void)addr;
	(void)size;
	(void)value;
	struct board *b = ud;
	if (!tx_seen && !b->slot_entered) {
		tx_seen = true;
		first_tx_ns = board_now(b) - b->reset_ns;
	}
}

static int read_file(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_boot: cannot open %s\n", path);
		return -1;
	}
	*len = fread(buf, 1, max, f);
	int big = fgetc(f) != EOF;
	fclose(f);
	if (*len == 0 || big) {
		fprintf(stderr, "bench_boot: %s is empty or larger than %zu bytes\n", path, max);
		return -1;
	}
	return 0;
}

/* Put the application of slot s, padded to app_size bytes, behind a header. */
static void put_image(enum ts_slot s, uint32_t version, uint32_t app_size)
{
	uint8_t *img = flash + SLOT_OFF(s);
	uint8_t *app = img + TS_IMAGE_HDR_SIZE;
	memcpy(app, app_bin[s], app_len[s]);
	uint32_t x = 0x9E3779B9u ^ (uint32_t)s; /* xorshift32: data, never blank */
	for (uint32_t i = (uint32_t)app_len[s]; i < app_size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		app[i] = (uint8_t)x;
	}
	struct ts_image_header h;
	memset(&h, 0, sizeof h);
	h.hdr_version = TS_IMAGE_HDR_VERSION;
	h.hdr_size = TS_IMAGE_HDR_SIZE;
	h.load_addr = ts_slot_addr(s) + TS_IMAGE_HDR_SIZE;
	h.app_size = app_size;
	h.version = version;
	ts_sha256(app, app_size, h.app_sha256);
	ts_image_header_encode(&h, img);
}

static void put_record(uint32_t index, uint32_t seq, enum ts_rec_type type, enum ts_slot s,
		       uint8_t attempt)
{
	const uint8_t *hdr = flash + SLOT_OFF(s);
	struct ts_record r;
	memset(&r, 0, sizeof r);
	r.seq = seq;
	r.type = (uint8_t)type;
	r.slot = (uint8_t)s;
	r.attempt = attempt;
	r.version = (uint32_t)hdr[0x10] | (uint32_t)hdr[0x11] << 8 | (uint32_t)hdr[0x12] << 16 |
		    (uint32_t)hdr[0x13] << 24;
	memcpy(r.hash, hdr + TS_IMAGE_OFF_SHA256, TS_RECORD_HASH_LEN);
	ts_record_encode(&r, flash + JOURNAL_OFF + index * TS_RECORD_SIZE);
}

struct bench_case {
	const char *name;
	bool trial;        /* B holds a new image (PENDING); else both confirmed */
	uint32_t a_size, b_size; /* 0: the application as built */
	const char *expect; /* the boot line */
};

struct result {
	uint64_t app_read, insns, ns, line_ns;
	uint32_t hclk_max;
};

static int run_case(const struct bench_case *c, const uint8_t *boot, size_t boot_len,
		    struct result *res)
{
	memset(flash, 0xFF, sizeof flash);
	memcpy(flash, boot, boot_len);
	put_image(TS_SLOT_A, TS_VERSION(1, 0, 0), c->a_size ? c->a_size : (uint32_t)app_len[0]);
	put_image(TS_SLOT_B, TS_VERSION(1, 1, 0), c->b_size ? c->b_size : (uint32_t)app_len[1]);
	put_record(0, 1, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(1, 2, TS_REC_PENDING, TS_SLOT_B, 0);
	if (!c->trial) {
		put_record(2, 3, TS_REC_ATTEMPT, TS_SLOT_B, 1);
		put_record(3, 4, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	}

	char path[] = "/tmp/bench_boot_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, flash, sizeof flash) != (ssize_t)sizeof flash) {
		fprintf(stderr, "bench_boot: cannot write a flash file in /tmp\n");
		return -1;
	}
	close(fd);

	static struct board b;
	struct board_opts o = { .flash_path = path, .rom_time_permille = 1000 };
	int rc = -1;
	char *out = NULL;
	size_t out_len = 0;
	if (board_open(&b, &o, NULL))
		goto done;
	b.console = open_memstream(&out, &out_len);
	uc_hook h;
	if (!b.console ||
	    uc_hook_add(b.uc, &h, UC_HOOK_MEM_READ, (void *)hook_read, &b, TS_SLOT_A_ADDR,
			TS_JOURNAL_ADDR - 1u) != UC_ERR_OK ||
	    uc_hook_add(b.uc, &h, UC_HOOK_MEM_WRITE, (void *)hook_tx, &b, USART1_DR,
			USART1_DR + 3u) != UC_ERR_OK) {
		fprintf(stderr, "bench_boot: cannot set up the board\n");
		goto close;
	}
	memset(seen, 0, sizeof seen);
	app_bytes_read = 0;
	tx_seen = false;
	board_power_on(&b);
	/* 10 s of board time is far beyond any boot measured here */
	while (!b.slot_entered && b.mode == BOARD_CPU && board_now(&b) < 10000000000ull) {
		board_service(&b);
		board_run(&b, board_now(&b) + 2000000ull);
	}
	fflush(b.console);
	if (!b.slot_entered) {
		fprintf(stderr, "bench_boot: %s: no jump into a slot (board mode %s)\n", c->name,
			board_mode_name(b.mode));
		goto close;
	}
	if (!out || !strstr(out, c->expect)) {
		fprintf(stderr, "bench_boot: %s: expected the line \"%s\", the board printed:\n%s\n",
			c->name, c->expect, out ? out : "");
		goto close;
	}
	res->app_read = app_bytes_read;
	res->insns = b.entry_insns;
	res->ns = b.entry_ns;
	res->hclk_max = b.hclk_max_hz;
	res->line_ns = tx_seen ? b.entry_ns - first_tx_ns : 0;
	rc = 0;
close:
	if (b.console)
		fclose(b.console);
	b.console = NULL;
	board_close(&b);
done:
	free(out);
	remove(path);
	char opt[64];
	snprintf(opt, sizeof opt, "%s.opt", path);
	remove(opt);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_boot BOOTLOADER.bin APP-A.bin APP-B.bin\n");
		return 2;
	}
	static uint8_t boot[TS_BOOT_SIZE];
	size_t boot_len;
	if (read_file(argv[1], boot, sizeof boot, &boot_len) ||
	    read_file(argv[2], app_bin[0], sizeof app_bin[0], &app_len[0]) ||
	    read_file(argv[3], app_bin[1], sizeof app_bin[1], &app_len[1]))
		return 1;

	static const char confirmed[] = "twinslot-boot: slot B v1.1.0 (confirmed)\r\n";
	static const char trial[] = "twinslot-boot: slot B v1.1.0 trial 1/";
	const struct bench_case cases[] = {
		{ "confirmed, 7 KB images", false, 0, 0, confirmed },
		{ "confirmed, 256 KB images", false, 256u * 1024u, 256u * 1024u, confirmed },
		{ "confirmed, 384 KB images", false, TS_IMAGE_MAX_APP, TS_IMAGE_MAX_APP, confirmed },
		{ "trial of a new 64 KB image", true, 0, 64u * 1024u, trial },
		{ "trial of a new 256 KB image", true, 0, 256u * 1024u, trial },
		{ "trial of a new 384 KB image", true, 0, TS_IMAGE_MAX_APP, trial },
	};
	struct result r[sizeof cases / sizeof cases[0]];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (run_case(&cases[i], boot, boot_len, &r[i]))
			return 1;

	printf("Bootloader boot time on the virtual board, power-on reset to the jump into the slot "
	       "(%zu-byte bootloader.bin; the other slot holds the confirmed %zu-byte v1.0.0 in trial cases)\n\n",
	       boot_len, app_len[0]);
	printf("| case | image bytes hashed | instructions | HCLK | ms reset->jump | ms first console byte->jump |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		printf("| %s | %llu | %llu | %u MHz | %.3f | %.3f |\n", cases[i].name,
		       (unsigned long long)r[i].app_read, (unsigned long long)r[i].insns,
		       (unsigned)(r[i].hclk_max / 1000000u), (double)r[i].ns / 1e6,
		       (double)r[i].line_ns / 1e6);
	return 0;
}
