/*
 * Power-cut campaign over one whole update cycle (issue 13, point 1).
 *
 * One process holds the virtual board (sim/: the real bootloader and
 * application on the emulated Cortex-M4, the ROM bootloader model, the
 * flash model) and the host's update engine (host/core), joined by an
 * in-process serial line and BOOT0/NRST: no pty, no threads, no real time.
 *
 * The cycle: the board runs the old release in slot A, confirmed; the host
 * installs the new release into slot B (erases, 256-byte writes, the header,
 * PENDING); the bootloader trial-boots it (ATTEMPT, compacting the journal
 * when it is full); the application confirms it (CONFIRMED). An uncut run
 * records every flash operation of the cycle with its data (sim_flash's
 * observer). A case cuts the power during operation k: the flash as it was
 * before k is rebuilt from checkpoints and the recorded operations (memcpy
 * and replay, not a rerun of the prefix), then k is applied by sim_flash
 * with the cut armed, so it is torn exactly as the model tears it (a random
 * prefix of units, a torn unit; a partly erased sector). Power comes back,
 * the board settles (its application confirmed or already confirmed), and
 * the host comes back like the agent: it connects, and unless the board
 * already runs the new release confirmed, installs it again, restarts the
 * board and waits for the verdict. A double cut arms a second cut at a
 * random operation of that recovery (counted by a dry run of it first).
 * --check-replay also runs each case's prefix for real (host and board,
 * the cut armed at k) and checks that it leaves the rebuilt flash.
 *
 * Checked from the flash itself, at every start of an application (the
 * first translated block in a slot after each reset) and at the end:
 *   wrong        the slot that starts does not hold, byte for byte, that
 *                slot's image of the old or the new release
 *   unconfirmed  an application starts without the watchdog running (no
 *                trial) while the journal (lib's scan, with the identities
 *                of the images validated in the flash) has no live
 *                CONFIRMED record as that slot's newest
 *   bricks       after power comes back, no application starts
 *   failures     the host's retry does not end with the new release
 *                confirmed, or a power-on boot afterwards does not run the
 *                new release without a trial
 *
 * Speed (options, on in powercut.sh; each documented where it is coded):
 *   --native KIND@ADDR  the firmware's ts_sha256_update and ts_delay_ms
 *       (addresses from the ELF files) run natively: the SHA-256 as the same
 *       lib/src/sha256.c compiled for the host, on the emulated memory; the
 *       board's clock is charged what the emulated code takes (68 cycles a
 *       hashed byte, measured; the delay loop's turns). A boot hashes up to
 *       768 KB, about 50 M emulated cycles; the rest (the journal and boot
 *       logic, the flash interface, the ROM model, the engine) runs as
 *       built. (ts_crc32 was tried too: a call per 28-byte record costs
 *       more in stopping and restarting the core than it saves.)
 *   --fast-bsy  while the flash is busy, code polling it from RAM makes the
 *       clock jump to the end of the operation (see ram_block()).
 * The flash is restored by memcpy, and the board keeps its translated code
 * when the code bytes are the same (sim/board/board.c), so a case costs
 * the boots and the host's retry only.
 *
 * Usage: see usage() below. Prints one line per part:
 *   campaign powercut <part> cases=N faults=N confirmed=N bricks=N wrong=N unconfirmed=N failures=N
 * (SIGINT/SIGTERM: stops after the case under way and prints the line for
 * the cases done, with planned=N stopped_early=1.)
 * Exit 0 when every count of violations is 0, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "board/board.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"
#include "twinslot/update.h"

#define SLICE_NS 2000000ull
#define SETTLE_NS 30000000000ull   /* power on -> the application settled */
#define FINAL_NS 30000000000ull    /* power on -> an application starts */
#define CKPT_EVERY 64u
#define SHA_CYCLES_PER_BYTE 68u
#define NATIVE_MAX 16

_Static_assert(sizeof(struct ts_sha256) == 112 && offsetof(struct ts_sha256, total) == 32 &&
		       offsetof(struct ts_sha256, buf) == 40 && offsetof(struct ts_sha256, used) == 104,
	       "struct ts_sha256 must have the ARM EABI layout");

enum native_kind { N_SHA256_UPDATE, N_DELAY_MS };

struct release {
	uint8_t *img[TS_SLOT_COUNT];
	uint32_t len[TS_SLOT_COUNT];
	uint32_t version;
};

struct op {
	struct sim_flash_op o;
	uint32_t data_off;
};

struct stats {
	unsigned long cases, faults, confirmed, bricks, wrong, unconfirmed, failures;
	unsigned long second_missed, replays;
	unsigned long nops, stopped; /* for the parent of --jobs */
};

static struct rig {
	struct board b;
	struct sim_serial ser;
	struct ts_port port;
	struct ts_update_cfg cfg;
	struct ts_update u;
	uint8_t *start;
	struct release rel[2]; /* 0 old, 1 new */
	/* the uncut cycle */
	struct op *ops;
	size_t nops, capops;
	uint8_t *opdata;
	size_t ndata, capdata;
	bool recording;
	uint8_t **ckpt; /* ckpt[i]: the flash before op i * CKPT_EVERY */
	size_t nckpt;
	/* what the board does */
	uint32_t epoch;           /* reset_count at the last application start */
	bool app_started;
	int app_slot;
	int app_rel;              /* -1: not a release */
	bool app_guarded;
	char line[160];
	size_t linelen;
	bool settled;             /* "twinslot-app: confirmed"/"already confirmed" */
	/* firmware functions run natively */
	uint32_t native_addr[NATIVE_MAX];
	enum native_kind native_kind[NATIVE_MAX];
	uint8_t native_code[NATIVE_MAX][16];
	unsigned nnative;
	uint8_t *sha_buf;
	/* the case being run */
	struct stats *st;
	const char *case_name;
	bool case_bad;
	bool verbose;
	char lastlog[256];
} R;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("powercut: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void violation(unsigned long *counter, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void violation(unsigned long *counter, const char *what, const char *fmt, ...)
{
	va_list ap;
	(*counter)++;
	R.case_bad = true;
	fprintf(stderr, "VIOLATION %s [%s]: ", what, R.case_name ? R.case_name : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (last engine line: %s)\n", R.lastlog);
}

static uint8_t *slurp(const char *path, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n <= 0 || n > (long)TS_FLASH_SIZE)
		die("%s: bad size %ld", path, n);
	uint8_t *p = malloc((size_t)n);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		die("cannot read %s", path);
	fclose(f);
	*len = (uint32_t)n;
	return p;
}

static void load_release(struct release *r, const char *dir)
{
	char path[4096];
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		snprintf(path, sizeof path, "%s/slot-%c.img", dir, s == TS_SLOT_A ? 'a' : 'b');
		r->img[s] = slurp(path, &r->len[s]);
		struct ts_image_header h;
		if (ts_image_validate(r->img[s], r->len[s], (enum ts_slot)s, &h, NULL) != TS_OK)
			die("%s is not a valid slot %c image", path, ts_slot_name((enum ts_slot)s));
		r->version = h.version;
	}
}

/* ---- the serial line, host side ---- */

static void on_board_byte(uint8_t c)
{
	if (c == '\n') {
		R.line[R.linelen] = 0;
		if (R.verbose)
			fprintf(stderr, "  board: %s\n", R.line);
		if (!strcmp(R.line, "twinslot-app: confirmed") ||
		    !strcmp(R.line, "twinslot-app: already confirmed"))
			R.settled = true;
		R.linelen = 0;
	} else if (c != '\r' && R.linelen < sizeof R.line - 1) {
		R.line[R.linelen++] = (char)c;
	}
}

static size_t take_tx(uint8_t *buf, size_t n)
{
	struct sim_serial_queue *q = &R.ser.tx;
	size_t k = 0;
	while (k < n && q->len) {
		buf[k] = q->b[q->head];
		on_board_byte(buf[k]);
		k++;
		q->head = (q->head + 1) % SIM_SERIAL_QSIZE;
		q->len--;
	}
	return k;
}

static void native_finish(void);
static double wall_s(void);
static double run_wall;
static uint64_t native_charged, cyc_mark;
static unsigned long run_slices;

/* One step of the board towards limit (board time). */
static void pump(uint64_t limit)
{
	struct board *b = &R.b;
	board_service(b);
	uint64_t now = board_now(b);
	if (now >= limit)
		return;
	if (b->mode == BOARD_CPU) {
		uint64_t until = now + SLICE_NS;
		if (until > limit)
			until = limit;
		uint64_t d = board_next_deadline(b);
		if (d > now && d < until)
			until = d;
		double w0 = R.verbose ? wall_s() : 0;
		board_run(b, until);
		if (R.verbose)
			run_wall += wall_s() - w0, run_slices++;
		native_finish();
	} else {
		uint64_t d = board_next_deadline(b);
		if (d > limit)
			d = limit;
		if (d <= now)
			d = now + 1000;
		board_advance(b, d);
	}
	board_service(b);
}

static int l_configure(void *ctx, uint32_t baud, bool even)
{
	(void)ctx, (void)baud, (void)even;
	return TS_OK;
}

static long l_read(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms)
{
	(void)ctx;
	uint64_t limit = board_now(&R.b) + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		size_t k = take_tx(buf, n);
		if (k)
			return (long)k;
		if (board_now(&R.b) >= limit)
			return 0;
		pump(limit);
	}
}

static int l_write(void *ctx, const uint8_t *buf, size_t n)
{
	(void)ctx;
	struct sim_serial_queue *q = &R.ser.rx;
	for (size_t i = 0; i < n; i++) {
		while (q->len == SIM_SERIAL_QSIZE)
			pump(board_now(&R.b) + 1000000ull);
		q->b[(q->head + q->len) % SIM_SERIAL_QSIZE] = buf[i];
		q->len++;
	}
	board_service(&R.b);
	return TS_OK;
}

static int l_flush(void *ctx)
{
	(void)ctx;
	uint8_t junk[256];
	while (take_tx(junk, sizeof junk))
		;
	return TS_OK;
}

static int l_boot0(void *ctx, bool high)
{
	(void)ctx;
	R.b.boot0 = high;
	return TS_OK;
}

static int l_nrst(void *ctx, bool high)
{
	(void)ctx;
	board_set_nrst(&R.b, !high);
	return TS_OK;
}

static uint64_t c_now_ms(void *ctx)
{
	(void)ctx;
	return board_now(&R.b) / 1000000ull;
}

static void c_sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	uint64_t until = board_now(&R.b) + (uint64_t)ms * 1000000ull;
	while (board_now(&R.b) < until)
		pump(until);
}

static void s_log(void *ctx, enum ts_log_level lvl, const char *msg)
{
	(void)ctx;
	snprintf(R.lastlog, sizeof R.lastlog, "%s", msg);
	if (R.verbose)
		fprintf(stderr, "  engine[%d]: %s\n", (int)lvl, msg);
}

/* ---- flash: the recorded cycle ---- */

static void observe(void *ctx, const struct sim_flash_op *op)
{
	(void)ctx;
	if (!R.recording)
		return;
	if (R.nops == R.capops) {
		R.capops = R.capops ? 2 * R.capops : 1024;
		R.ops = realloc(R.ops, R.capops * sizeof *R.ops);
	}
	struct op *o = &R.ops[R.nops++];
	o->o = *op;
	o->data_off = (uint32_t)R.ndata;
	if (op->kind == SIM_OP_PROGRAM) {
		if (R.ndata + op->n > R.capdata) {
			R.capdata = (R.capdata + op->n) * 2;
			R.opdata = realloc(R.opdata, R.capdata);
		}
		memcpy(R.opdata + R.ndata, op->data, op->n);
		R.ndata += op->n;
	}
	o->o.data = NULL;
	if (!R.ops || (!R.opdata && op->kind == SIM_OP_PROGRAM))
		die("out of memory");
}

static uint8_t *flash_rw(void)
{
	return (uint8_t *)(uintptr_t)sim_flash_mem(&R.b.flash);
}

/* Make the flash equal to img, telling the board which pages changed. */
static void flash_set(const uint8_t *img)
{
	uint8_t *m = flash_rw();
	for (uint32_t off = 0; off < TS_FLASH_SIZE; off += 16384) {
		if (memcmp(m + off, img + off, 16384)) {
			memcpy(m + off, img + off, 16384);
			R.b.flash.changed |= 1ull << (off >> 14);
			board_flash_changed(&R.b, off, 16384);
		}
	}
	R.b.flash.ops++; /* the core drops what it translated of changed code */
}

/* Apply recorded op i in full to mem (the flash model's semantics). */
static void apply_op(uint8_t *mem, size_t i)
{
	const struct op *o = &R.ops[i];
	if (o->o.kind == SIM_OP_PROGRAM) {
		uint8_t *p = mem + (o->o.addr - TS_FLASH_BASE);
		const uint8_t *d = R.opdata + o->data_off;
		for (uint32_t j = 0; j < o->o.n; j++)
			p[j] &= d[j];
	} else if (o->o.kind == SIM_OP_ERASE) {
		memset(mem + (o->o.addr - TS_FLASH_BASE), 0xFF, o->o.n);
	} else {
		memset(mem, 0xFF, TS_FLASH_SIZE);
	}
}

static void make_checkpoints(void)
{
	R.nckpt = R.nops / CKPT_EVERY + 1;
	R.ckpt = calloc(R.nckpt, sizeof *R.ckpt);
	uint8_t *cur = malloc(TS_FLASH_SIZE);
	if (!R.ckpt || !cur)
		die("out of memory");
	memcpy(cur, R.start, TS_FLASH_SIZE);
	for (size_t i = 0; i < R.nops; i++) {
		if (i % CKPT_EVERY == 0) {
			R.ckpt[i / CKPT_EVERY] = malloc(TS_FLASH_SIZE);
			if (!R.ckpt[i / CKPT_EVERY])
				die("out of memory");
			memcpy(R.ckpt[i / CKPT_EVERY], cur, TS_FLASH_SIZE);
		}
		apply_op(cur, i);
	}
	free(cur);
}

/* The flash as it was before op k (0-based) of the uncut cycle. */
static void flash_before(uint8_t *out, size_t k)
{
	memcpy(out, R.ckpt[k / CKPT_EVERY], TS_FLASH_SIZE);
	for (size_t i = k / CKPT_EVERY * CKPT_EVERY; i < k; i++)
		apply_op(out, i);
}

/* Op k applied by the flash model with the power failing during it. */
static void cut_op(size_t k, uint64_t seed)
{
	const struct op *o = &R.ops[k];
	struct sim_flash *f = &R.b.flash;
	sim_flash_power_on(f); /* the flash model's own state: the board stays off */
	sim_flash_seed(f, seed);
	sim_flash_arm_cut(f, 1);
	int rc;
	if (o->o.kind == SIM_OP_PROGRAM)
		rc = sim_flash_program(f, board_now(&R.b), o->o.addr, R.opdata + o->data_off, o->o.n,
				       o->o.ps, NULL);
	else if (o->o.kind == SIM_OP_ERASE)
		rc = sim_flash_erase_sector(f, board_now(&R.b), o->o.sector, o->o.ps, NULL);
	else
		rc = sim_flash_mass_erase(f, board_now(&R.b), o->o.ps, NULL);
	if (rc != SIM_FLASH_CUT)
		die("op %zu: the armed cut did not happen (%d)", k, rc);
	board_flash_changed(&R.b, o->o.addr - TS_FLASH_BASE, o->o.n);
}

/* ---- checks, from the flash ---- */

static int read_mapped(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)ctx + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static void journal_of(const uint8_t *m, struct ts_slot_id ids[TS_SLOT_COUNT],
		       struct ts_journal_state *st)
{
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		struct ts_image_header h;
		memset(&ids[s], 0, sizeof ids[s]);
		if (ts_image_validate(m + (ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE), TS_SLOT_SIZE,
				      (enum ts_slot)s, &h, NULL) == TS_OK) {
			ids[s].present = true;
			ids[s].version = h.version;
			memcpy(ids[s].hash, h.app_sha256, TS_RECORD_HASH_LEN);
		}
	}
	if (ts_journal_scan(read_mapped, (void *)(uintptr_t)m, TS_JOURNAL_RECORDS, ids, st) != TS_OK)
		memset(st, 0, sizeof *st);
}

/* Which release's image the slot holds byte for byte (-1: none). */
static int slot_release(const uint8_t *m, int slot)
{
	const uint8_t *p = m + (ts_slot_addr((enum ts_slot)slot) - TS_FLASH_BASE);
	for (int r = 1; r >= 0; r--)
		if (!memcmp(p, R.rel[r].img[slot], R.rel[r].len[slot]))
			return r;
	return -1;
}

/* An application starts: the first block in a slot since this reset. */
static void app_start(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	(void)uc, (void)size, (void)ud;
	struct board *b = &R.b;
	if (R.app_started && R.epoch == b->reset_count)
		return;
	R.epoch = b->reset_count;
	R.app_started = true;
	const uint8_t *m = sim_flash_mem(&b->flash);
	int slot = (uint32_t)addr >= ts_slot_addr(TS_SLOT_B) ? TS_SLOT_B : TS_SLOT_A;
	R.app_slot = slot;
	R.app_guarded = b->iwdg.running;
	R.app_rel = slot_release(m, slot);
	if (R.app_rel < 0)
		violation(&R.st->wrong, "wrong", "slot %c started at 0x%08" PRIx64
			  " but holds no release's image", ts_slot_name((enum ts_slot)slot), addr);
	if (!R.app_guarded) {
		struct ts_slot_id ids[TS_SLOT_COUNT];
		struct ts_journal_state js;
		journal_of(m, ids, &js);
		if (!js.has_slot[slot] || js.slot[slot].type != TS_REC_CONFIRMED)
			violation(&R.st->unconfirmed, "unconfirmed",
				  "slot %c runs without the watchdog but its newest live record is %s",
				  ts_slot_name((enum ts_slot)slot),
				  js.has_slot[slot] ? ts_rec_type_name(js.slot[slot].type) : "none");
	}
}

/* Firmware functions run natively (--native KIND@ADDR): the block hook at
 * the function's first instruction stops the core before it runs (after
 * checking the function's first bytes: otherwise the code runs emulated);
 * native_finish() (after the slice) does the work on the emulated memory,
 * charges the board's clock what the emulated code would have taken, and
 * returns to the caller (r0 = the result). */
static const char *const native_names[] = { "ts_sha256_update", "ts_delay_ms" };

static struct {
	bool active;
	enum native_kind kind;
	uint32_t r0, r1, r2, lr, sp;
} npend;

static void native_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	(void)size;
	unsigned i = (unsigned)(uintptr_t)ud;
	uint8_t code[16];
	if (npend.active || uc_mem_read(uc, addr, code, sizeof code) ||
	    memcmp(code, R.native_code[i], sizeof code))
		return; /* not the function we know: let it run emulated */
	npend.kind = R.native_kind[i];
	uc_reg_read(uc, UC_ARM_REG_R0, &npend.r0);
	uc_reg_read(uc, UC_ARM_REG_R1, &npend.r1);
	uc_reg_read(uc, UC_ARM_REG_R2, &npend.r2);
	uc_reg_read(uc, UC_ARM_REG_LR, &npend.lr);
	uc_reg_read(uc, UC_ARM_REG_SP, &npend.sp);
	if (npend.kind != N_DELAY_MS && npend.r2 > TS_FLASH_SIZE)
		return;
	npend.active = true;
	board_stop_slice(&R.b);
}

static void native_finish(void)
{
	if (!npend.active)
		return;
	npend.active = false;
	uc_engine *uc = R.b.uc;
	uint32_t sp = 0;
	uc_reg_read(uc, UC_ARM_REG_SP, &sp);
	if (R.b.mode != BOARD_CPU)
		return; /* the slice ended in a reset or lock-up: nothing to return to */
	if (sp != npend.sp)
		die("native %s: the core did not stop at the function's first instruction "
		    "(sp 0x%08" PRIx32 " was 0x%08" PRIx32 ")", native_names[npend.kind], sp, npend.sp);
	uint32_t r0 = npend.r0;
	uint64_t cyc = 0;
	if (npend.kind == N_SHA256_UPDATE) {
		struct ts_sha256 c;
		if (uc_mem_read(uc, npend.r0, &c, sizeof c) ||
		    uc_mem_read(uc, npend.r1, R.sha_buf, npend.r2))
			die("native ts_sha256_update: cannot read the emulated memory");
		ts_sha256_update(&c, R.sha_buf, npend.r2);
		if (uc_mem_write(uc, npend.r0, &c, sizeof c))
			die("native ts_sha256_update: cannot write the emulated memory");
		cyc = (uint64_t)npend.r2 * SHA_CYCLES_PER_BYTE;
	} else {
		/* ts_delay_ms: ms x ts_cpu_loops_for_us(1000) turns of a 3-instruction loop */
		cyc = (uint64_t)npend.r0 * (1000u * (R.b.hclk_hz / 1000000u) / 4u) * 3u;
	}
	uc_reg_write(uc, UC_ARM_REG_R0, &r0);
	R.b.cycles += cyc;
	native_charged += cyc;
	R.b.pc = npend.lr; /* return to the caller (the Thumb bit is set) */
}

/* Code in RAM (the firmware's flash routine) runs while the flash is busy:
 * it polls FLASH_SR for BSY and feeds the watchdog, about 3 million times
 * during a 128 KB erase. With --fast-bsy the board's clock jumps to the end
 * of the operation at the first such block, as it does for code in flash
 * (which stalls): the loop then reads BSY clear, exactly as it would after
 * polling. Never past the watchdog's deadline. */
static bool fast_bsy;

static void ram_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	(void)uc, (void)addr, (void)size, (void)ud;
	struct board *b = &R.b;
	uint64_t now = board_now(b), end = b->fi.busy_until_ns;
	if (!end || end <= now || (b->iwdg.running && b->iwdg.deadline_ns <= end))
		return;
	b->cycles += ((end - now) * b->hclk_hz + 999999999ull) / 1000000000ull;
	board_stop_slice(b);
}

static void any_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	uint32_t a = (uint32_t)addr;
	if (a >= TS_SRAM_BASE) {
		if (fast_bsy)
			ram_block(uc, addr, size, ud);
		return;
	}
	if (a >= ts_slot_addr(TS_SLOT_A) && a < ts_slot_addr(TS_SLOT_B) + TS_SLOT_SIZE)
		app_start(uc, addr, size, ud);
	for (unsigned i = 0; i < R.nnative; i++)
		if (a == R.native_addr[i]) {
			native_hook(uc, addr, size, (void *)(uintptr_t)i);
			return;
		}
}

/* ---- the board's side of a case ---- */

static void power_off(void)
{
	board_power_off(&R.b);
	R.ser.rx.len = R.ser.tx.len = 0;
}

static void power_on(void)
{
	R.b.boot0 = false;
	R.b.nrst_low = false;
	R.app_started = false;
	R.settled = false;
	R.linelen = 0;
	board_power_on(&R.b);
}

/* Run until the application settled; false when the power failed. */
static bool settle(void)
{
	uint64_t limit = board_now(&R.b) + SETTLE_NS;
	uint8_t junk[256];
	while (board_now(&R.b) < limit && R.b.powered && !(R.settled && R.app_started)) {
		pump(limit);
		take_tx(junk, sizeof junk);
	}
	if (!R.b.powered)
		return false;
	if (!R.app_started)
		violation(&R.st->bricks, "brick",
			  "no application started within %llu s of power-on (board %s%s%s)",
			  (unsigned long long)(SETTLE_NS / 1000000000ull), board_mode_name(R.b.mode),
			  R.b.mode == BOARD_LOCKUP ? ": " : "", R.b.mode == BOARD_LOCKUP ? R.b.lockup_reason : "");
	if (!R.app_started && R.b.mode == BOARD_LOCKUP)
		fprintf(stderr, "  lock-up pc 0x%08" PRIx32 "\n", R.b.lockup_pc);
	return true;
}

struct memsrc {
	const uint8_t *p;
	size_t n, at;
};

static long src_read(void *arg, uint8_t *buf, size_t n)
{
	struct memsrc *s = arg;
	size_t k = s->n - s->at < n ? s->n - s->at : n;
	memcpy(buf, s->p + s->at, k);
	s->at += k;
	return (long)k;
}

/* The host comes back (like the agent): 0 done, 1 the power failed,
 * -1 the update failed. */
static int host_update(void)
{
	struct ts_update *u = &R.u;
	ts_update_init(u, &R.port, &R.cfg);
	int rc = ts_update_connect(u);
	if (rc == TS_OK) {
		struct ts_board *bd = &u->board;
		bool done = bd->has_running && bd->ids[bd->running].present &&
			    bd->ids[bd->running].version == R.rel[1].version &&
			    bd->journal.has_slot[bd->running] &&
			    bd->journal.slot[bd->running].type == TS_REC_CONFIRMED;
		if (done) {
			rc = ts_update_restart(u);
		} else {
			struct memsrc ms = { R.rel[1].img[bd->target], R.rel[1].len[bd->target], 0 };
			struct ts_source src = { src_read, &ms, NULL };
			rc = ts_update_install(u, &src);
			if (rc == TS_OK)
				rc = ts_update_restart(u);
			if (rc == TS_OK)
				rc = ts_update_wait_outcome(u);
			if (rc == TS_OK && u->outcome != TS_OUTCOME_CONFIRMED)
				rc = TS_ERR_STATE;
		}
	}
	if (!R.b.powered)
		return 1;
	if (rc != TS_OK) {
		snprintf(R.lastlog, sizeof R.lastlog, "%s", u->msg);
		return -1;
	}
	return 0;
}

/* After the retry: a power-on boot must run the new release, unguarded. */
static void final_check(void)
{
	power_off();
	power_on();
	uint64_t limit = board_now(&R.b) + FINAL_NS;
	uint8_t junk[256];
	while (board_now(&R.b) < limit && !R.app_started) {
		pump(limit);
		take_tx(junk, sizeof junk);
	}
	if (!R.app_started)
		violation(&R.st->bricks, "brick", "no application started after the update");
	else if (R.app_rel != 1 || R.app_guarded)
		violation(&R.st->failures, "failure",
			  "after the update a power-on boot runs slot %c (%s release%s)",
			  ts_slot_name((enum ts_slot)R.app_slot),
			  R.app_rel == 1 ? "new" : R.app_rel == 0 ? "old" : "no",
			  R.app_guarded ? ", on trial" : "");
	else
		R.st->confirmed++;
}

/* Power on after a cut and recover; 1 when a (second) cut hit meanwhile. */
static double wall_mark;
static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void phase(const char *what)
{
	double now = wall_s();
	if (R.verbose)
		fprintf(stderr, "  phase %s: %.1f ms (%.1f ms in %lu CPU slices, %.2f M cycles "
			"emulated), board at %.3f s\n",
			what, (now - wall_mark) * 1e3, run_wall * 1e3, run_slices,
			(double)(R.b.cycles - cyc_mark - native_charged) / 1e6,
			(double)board_now(&R.b) / 1e9);
	cyc_mark = R.b.cycles;
	native_charged = 0;
	run_wall = 0;
	run_slices = 0;
	wall_mark = now;
}

static int recover(void)
{
	phase("start");
	power_on();
	if (!settle())
		return 1;
	phase("settle");
	int h = host_update();
	phase("host");
	if (h == 1)
		return 1;
	if (h < 0) {
		violation(&R.st->failures, "failure", "the retried update failed: %s", R.lastlog);
		return 0;
	}
	final_check();
	phase("final");
	return 0;
}

/* SIGINT/SIGTERM: stop after the case under way and report what was done. */
static volatile sig_atomic_t stop_requested;
static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void progress(const char *name, unsigned long done, unsigned long total, double t0)
{
	const struct stats *st = R.st;
	if (st->cases % 100 || !st->cases)
		return;
	fprintf(stderr, "powercut: %s: %lu cases done, up to case %lu of %lu, %.1f s, "
		"bricks=%lu wrong=%lu unconfirmed=%lu failures=%lu\n", name, st->cases, done, total,
		wall_s() - t0, st->bricks, st->wrong,
		st->unconfirmed, st->failures);
}

static uint64_t rng_state = 1;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint8_t *scratch;

/* Case: cut during op k (0-based) with tear seed, then recover. */
static bool check_replay;  /* --check-replay: cut the real prefix too, compare */
static uint8_t *replayed;

/* The cycle run for real from the start with the cut armed at op k: the
 * flash it leaves must be the one rebuilt from the recorded operations. */
static void real_prefix_cut(size_t k, uint64_t seed)
{
	struct stats scratch_st = { 0 }, *real = R.st;
	R.st = &scratch_st;
	power_off();
	flash_set(R.start);
	power_on();
	settle();
	sim_flash_seed(&R.b.flash, seed);
	sim_flash_arm_cut(&R.b.flash, k + 1);
	int h = host_update();
	sim_flash_arm_cut(&R.b.flash, 0);
	R.st = real;
	if (h != 1 || R.b.powered)
		die("%s: --check-replay: the cut at operation %zu did not happen", R.case_name, k + 1);
	memcpy(replayed, sim_flash_mem(&R.b.flash), TS_FLASH_SIZE);
	R.st->replays++;
}

static void single_case(size_t k, uint64_t seed, char *name)
{
	R.case_name = name;
	R.case_bad = false;
	if (check_replay)
		real_prefix_cut(k, seed);
	power_off();
	flash_before(scratch, k);
	flash_set(scratch);
	cut_op(k, seed);
	if (check_replay && memcmp(replayed, sim_flash_mem(&R.b.flash), TS_FLASH_SIZE))
		violation(&R.st->failures, "failure",
			  "the rebuilt flash differs from the one the real cycle cut at this operation");
	R.st->cases++;
	R.st->faults++;
	if (recover() == 1)
		die("%s: the power failed during the recovery with no cut armed", name);
}

/* Case: cut during op k, then a second cut at a random operation of the
 * recovery from it. */
static void double_case(size_t k, uint64_t seed, char *name, uint8_t *after_cut)
{
	R.case_name = name;
	R.case_bad = false;
	power_off();
	flash_before(scratch, k);
	flash_set(scratch);
	cut_op(k, seed);
	memcpy(after_cut, sim_flash_mem(&R.b.flash), TS_FLASH_SIZE);
	/* dry run: how many flash operations the recovery does */
	struct stats dry = { 0 };
	struct stats *real = R.st;
	R.st = &dry;
	uint64_t ops0 = R.b.flash.ops;
	if (recover() == 1)
		die("%s: the power failed during the dry run", name);
	uint64_t nrec = R.b.flash.ops - ops0;
	R.st = real;
	if (dry.bricks || dry.wrong || dry.unconfirmed || dry.failures) {
		/* the single cut already fails: count it as this case's result */
		R.st->cases++;
		R.st->faults++;
		R.st->bricks += dry.bricks, R.st->wrong += dry.wrong;
		R.st->unconfirmed += dry.unconfirmed, R.st->failures += dry.failures;
		return;
	}
	power_off();
	flash_set(after_cut);
	uint64_t j = 1 + rnd() % (nrec ? nrec : 1);
	snprintf(name + strlen(name), 64, " then op %" PRIu64 "/%" PRIu64 " of the recovery", j, nrec);
	sim_flash_seed(&R.b.flash, seed ^ 0x5DEECE66Dull);
	R.st->cases++;
	R.st->faults++;
	/* arm after power-on: sim_flash_power_on disarms */
	R.b.boot0 = false;
	R.b.nrst_low = false;
	R.app_started = false;
	R.settled = false;
	R.linelen = 0;
	board_power_on(&R.b);
	sim_flash_arm_cut(&R.b.flash, j);
	int r;
	if (!settle()) {
		r = 1;
	} else {
		int h = host_update();
		if (h == 1) {
			r = 1;
		} else {
			if (h < 0)
				violation(&R.st->failures, "failure", "the retried update failed: %s",
					  R.lastlog);
			else
				final_check();
			r = 0;
		}
	}
	sim_flash_arm_cut(&R.b.flash, 0);
	if (r == 1) {
		R.st->faults++;
		if (recover() == 1)
			die("%s: a third power failure with no cut armed", name);
	} else {
		R.st->second_missed++;
	}
}

/* ---- main ---- */

static void print_summary(const struct stats *st, const char *name, const char *part,
			  bool replay)
{
	printf("campaign powercut %s cases=%lu faults=%lu ops=%lu confirmed=%lu", name, st->cases,
	       st->faults, st->nops, st->confirmed);
	if (!strcmp(part, "double"))
		printf(" second_missed=%lu", st->second_missed);
	if (replay)
		printf(" replayed=%lu", st->replays);
	if (st->stopped)
		printf(" planned=%lu stopped_early=1", st->stopped);
	printf(" bricks=%lu wrong=%lu unconfirmed=%lu failures=%lu\n", st->bricks, st->wrong,
	       st->unconfirmed, st->failures);
	fflush(stdout);
}

static pid_t children[64];
static void pass_stop(int sig)
{
	for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
		if (children[i] > 0)
			kill(children[i], sig);
}

/* --jobs: sum what the children report; a child that dies without
 * reporting is a failure of the campaign, not a silent gap. */
static int jobs_parent(int fds[2], unsigned long jobs, const char *name, const char *part,
		       bool replay)
{
	close(fds[1]);
	struct stats sum = { 0 }, one;
	unsigned long got = 0;
	while (read(fds[0], &one, sizeof one) == (ssize_t)sizeof one) {
		got++;
		sum.cases += one.cases, sum.faults += one.faults, sum.confirmed += one.confirmed;
		sum.bricks += one.bricks, sum.wrong += one.wrong, sum.unconfirmed += one.unconfirmed;
		sum.failures += one.failures, sum.second_missed += one.second_missed;
		sum.replays += one.replays, sum.nops = one.nops;
		if (one.stopped)
			sum.stopped = one.stopped;
	}
	int bad = 0, status;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			bad = 1;
	if (got != jobs || bad) {
		fprintf(stderr, "powercut: %lu of %lu processes reported%s\n", got, jobs,
			bad ? ", and one ended abnormally" : "");
		sum.failures++;
	}
	print_summary(&sum, name, part, replay);
	return sum.bricks || sum.wrong || sum.unconfirmed || sum.failures ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: powercut --start FLASH --old DIR --new DIR --part exhaustive|random|double\n"
		"                [--name NAME] [--cases N] [--seeds N] [--seed S] [--first K] [--last K]\n"
		"                [--native KIND@ADDR]... [--fast-bsy] [--check-replay] [--jobs N] [--verbose]\n"
		"  --start FLASH   1 MB flash: bootloader, the old release in slot A confirmed (twinslot compose)\n"
		"  --old/--new DIR release directories with slot-a.img and slot-b.img (twinslot pack)\n"
		"  exhaustive      every flash operation of the cycle, --seeds tears each (default 3)\n"
		"  random          --cases cuts at random operations with random tears\n"
		"  double          --cases cuts, each followed by a second cut during the recovery\n"
		"  --first/--last  only operations K..K of the cycle (1-based; to replay one case)\n"
		"  --native KIND@ADDR  run the firmware's function KIND (ts_sha256_update,\n"
		"                  ts_delay_ms) at ADDR natively, charging its emulated time\n"
		"  --fast-bsy      code polling the busy flash from RAM skips to the operation's end\n"
		"  --check-replay  also run each case's prefix for real with the cut armed and\n"
		"                  check that it leaves the flash rebuilt from the recording\n"
		"  --jobs N        N processes, each its own board, share the cases (case i goes\n"
		"                  to process i mod N: the same cases as one process runs)\n");
}

int main(int argc, char **argv)
{
	const char *start = NULL, *olddir = NULL, *newdir = NULL, *part = NULL, *name = NULL;
	unsigned long cases = 100, seeds = 3, first = 0, last = 0, jobs = 1;
	uint64_t seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--verbose")) {
			R.verbose = true;
			continue;
		}
		if (!strcmp(a, "--fast-bsy")) {
			fast_bsy = true;
			continue;
		}
		if (!strcmp(a, "--check-replay")) {
			check_replay = true;
			continue;
		}
		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--start"))
			start = v;
		else if (!strcmp(a, "--old"))
			olddir = v;
		else if (!strcmp(a, "--new"))
			newdir = v;
		else if (!strcmp(a, "--part"))
			part = v;
		else if (!strcmp(a, "--name"))
			name = v;
		else if (!strcmp(a, "--cases"))
			cases = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seeds"))
			seeds = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--jobs")) {
			char *end;
			jobs = strtoul(v, &end, 10);
			if (end == v || *end || jobs < 1 || jobs > 64)
				die("--jobs %s: a number of processes, 1..64", v);
		}
		else if (!strcmp(a, "--first"))
			first = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--last"))
			last = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--native") && R.nnative < NATIVE_MAX && strchr(v, '@')) {
			size_t l = (size_t)(strchr(v, '@') - v);
			int k = -1;
			for (int j = 0; j < 2; j++)
				if (strlen(native_names[j]) == l && !strncmp(v, native_names[j], l))
					k = j;
			if (k < 0)
				die("--native %s: KIND is ts_sha256_update or ts_delay_ms", v);
			R.native_kind[R.nnative] = (enum native_kind)k;
			R.native_addr[R.nnative++] = (uint32_t)strtoul(v + l + 1, NULL, 0) & ~1u;
		}
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!start || !olddir || !newdir || !part ||
	    (strcmp(part, "exhaustive") && strcmp(part, "random") && strcmp(part, "double"))) {
		usage(stderr);
		return 2;
	}
	if (!name)
		name = part;
	/* --jobs: the children run what follows, each on its share of the
	 * cases, and send their counts back; the parent prints the sum. */
	int report_fd = -1;
	unsigned long job = 0;
	if (jobs > 1) {
		int fds[2];
		if (pipe(fds))
			die("pipe");
		/* a stop is passed on: the children stop early and report */
		signal(SIGINT, pass_stop);
		signal(SIGTERM, pass_stop);
		for (job = 0; job < jobs; job++) {
			pid_t pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0) {
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				close(fds[0]);
				report_fd = fds[1];
				break;
			}
			children[job] = pid;
		}
		if (job == jobs)
			return jobs_parent(fds, jobs, name, part, check_replay);
	}
	uint32_t slen;
	R.start = slurp(start, &slen);
	if (slen != TS_FLASH_SIZE)
		die("%s: not a 1 MB flash image", start);
	load_release(&R.rel[0], olddir);
	load_release(&R.rel[1], newdir);
	scratch = malloc(TS_FLASH_SIZE);
	uint8_t *after_cut = malloc(TS_FLASH_SIZE);
	replayed = malloc(TS_FLASH_SIZE);
	R.sha_buf = malloc(TS_FLASH_SIZE);
	if (!scratch || !after_cut || !replayed || !R.sha_buf)
		die("out of memory");

	/* the board, on a flash file in memory (tmpfs) */
	char fpath[128];
	snprintf(fpath, sizeof fpath, "/dev/shm/ts-powercut-%d.bin", (int)getpid());
	if (access("/dev/shm", W_OK))
		snprintf(fpath, sizeof fpath, "/tmp/ts-powercut-%d.bin", (int)getpid());
	FILE *ff = fopen(fpath, "wb");
	if (!ff || fwrite(R.start, 1, TS_FLASH_SIZE, ff) != TS_FLASH_SIZE || fclose(ff))
		die("cannot write %s", fpath);
	struct board_opts bo = { .flash_path = fpath, .seed = seed, .rom_time_permille = 1000 };
	memset(&R.ser, 0, sizeof R.ser);
	R.ser.master_fd = R.ser.slave_fd = R.ser.listen_fd = R.ser.conn_fd = -1;
	R.ser.cfg.baud = 115200;
	R.ser.cfg.bits_per_byte = 11;
	R.ser.rng = 1;
	int rc = board_open(&R.b, &bo, &R.ser);
	unlink(fpath);
	char opt[160];
	snprintf(opt, sizeof opt, "%s.opt", fpath);
	unlink(opt);
	if (rc)
		die("cannot open the board");
	R.b.flash.observe = observe;
	for (unsigned i = 0; i < R.nnative; i++) {
		uint32_t off = R.native_addr[i] - TS_FLASH_BASE;
		const uint8_t *src = NULL;
		if (off + 16 <= TS_FLASH_SIZE && R.native_addr[i] >= TS_FLASH_BASE) {
			/* the function's bytes: in the start flash, or in a release image */
			for (int r = 0; r < 2 && !src; r++)
				for (int s = 0; s < TS_SLOT_COUNT && !src; s++) {
					uint32_t base = ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE;
					if (off >= base && off + 16 <= base + R.rel[r].len[s])
						src = R.rel[r].img[s] + (off - base);
				}
			if (!src)
				src = R.start + off;
		}
		if (!src)
			die("--native 0x%08" PRIx32 ": not in flash", R.native_addr[i]);
		memcpy(R.native_code[i], src, 16);
	}
	/* One block hook for all of the above: unicorn 2.0.1 walks its list of
	 * block hooks at every block, so one dispatcher costs less than nine. */
	uc_hook hh;
	if (uc_hook_add(R.b.uc, &hh, UC_HOOK_BLOCK, (void *)any_block, NULL, TS_FLASH_BASE,
			TS_SRAM_BASE + BOARD_SRAM_SIZE - 1))
		die("cannot hook the core");

	static const struct ts_link_ops link = { l_configure, l_read, l_write, l_flush, l_boot0, l_nrst };
	static const struct ts_clock_ops clock = { .now_ms = c_now_ms, .sleep_ms = c_sleep_ms };
	static const struct ts_sink_ops sink = { .log = s_log };
	R.port = (struct ts_port){ .link = &link, .clock = &clock, .sink = &sink };
	ts_update_default_cfg(&R.cfg);
	R.cfg.allow_unsigned = true;

	/* the uncut cycle, recorded */
	struct stats ref = { 0 };
	R.st = &ref;
	R.case_name = "uncut";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	power_on();
	settle();
	if (!R.app_started || R.app_slot != TS_SLOT_A || R.app_rel != 0 || R.app_guarded)
		die("the start flash does not boot the old release in slot A, confirmed");
	R.recording = true;
	int h = host_update();
	R.recording = false;
	if (h != 0)
		die("the uncut update failed: %s", R.lastlog);
	final_check();
	if (ref.bricks || ref.wrong || ref.unconfirmed || ref.failures || ref.confirmed != 1)
		die("the uncut cycle does not end confirmed on the new release");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	size_t nerase = 0;
	for (size_t i = 0; i < R.nops; i++) {
		if (R.ops[i].o.kind != SIM_OP_PROGRAM)
			nerase++;
	}
	fprintf(stderr, "powercut: the uncut cycle has %zu flash operations (%zu erases); %.3f s\n",
		R.nops, nerase, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (R.verbose)
		for (size_t i = 0; i < R.nops; i++)
			fprintf(stderr, "  op %zu: %s 0x%08" PRIx32 " %" PRIu32 " ps %d\n", i + 1,
				R.ops[i].o.kind == SIM_OP_PROGRAM ? "program" : "erase", R.ops[i].o.addr,
				R.ops[i].o.n, (int)R.ops[i].o.ps);
	make_checkpoints();

	struct stats st = { 0 };
	R.st = &st;
	rng_state = seed * 0x9E3779B97F4A7C15ull | 1;
	size_t lo = first ? first - 1 : 0, hi = last && last <= R.nops ? last : R.nops;
	if (lo >= hi)
		die("--first/--last select no operation (the cycle has %zu)", R.nops);
	char cname[256];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	double tw0 = wall_s();
	unsigned long target = !strcmp(part, "exhaustive") ? (unsigned long)(hi - lo) * seeds : cases;
	if (!strcmp(part, "exhaustive")) {
		for (size_t k = lo; k < hi && !stop_requested; k++)
			for (unsigned long s = 0; s < seeds && !stop_requested; s++) {
				uint64_t ts = seed * 1000003ull + k * 131ull + s;
				if (((k - lo) * seeds + s) % jobs != job)
					continue;
				snprintf(cname, sizeof cname, "op %zu/%zu tear seed %" PRIu64, k + 1, R.nops, ts);
				single_case(k, ts, cname);
				progress(name, (unsigned long)(k - lo) * seeds + s + 1, target, tw0);
			}
	} else {
		for (unsigned long c = 0; c < cases && !stop_requested; c++) {
			size_t k = lo + rnd() % (hi - lo);
			uint64_t ts = rnd();
			if (c % jobs != job)
				continue;
			snprintf(cname, sizeof cname, "case %lu: op %zu/%zu tear seed %" PRIu64, c + 1, k + 1,
				 R.nops, ts);
			if (!strcmp(part, "random"))
				single_case(k, ts, cname);
			else
				double_case(k, ts, cname, after_cut);
			progress(name, c + 1, cases, tw0);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "powercut: %s: %lu cases in %.1f s, %.1f ms per case\n", name, st.cases, secs,
		st.cases ? secs * 1000 / (double)st.cases : 0.0);
	st.nops = R.nops;
	st.stopped = stop_requested ? target : 0;
	if (report_fd < 0)
		print_summary(&st, name, part, check_replay);
	else if (write(report_fd, &st, sizeof st) != (ssize_t)sizeof st)
		die("cannot report to the parent");
	board_close(&R.b);
	for (size_t i = 0; i < R.nckpt; i++)
		free(R.ckpt[i]);
	free(R.ckpt);
	free(R.ops);
	free(R.opdata);
	for (int r = 0; r < 2; r++)
		for (int s = 0; s < TS_SLOT_COUNT; s++)
			free(R.rel[r].img[s]);
	free(R.start);
	free(R.sha_buf);
	free(replayed);
	free(after_cut);
	free(scratch);
	return st.bricks || st.wrong || st.unconfirmed || st.failures ? 1 : 0;
}
