/*
 * The boot decision table, row by row, and whole boot sequences with power
 * cuts at every journal write, against a model of sector 11 where programming
 * only clears bits and a cut leaves a partly programmed word or a partly
 * erased sector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/boot.h"
#include "twinslot/err.h"
#include "twinslot/version.h"

#define MAXREC TS_JOURNAL_RECORDS

/* ---- a board: two slot identities and a journal sector model ---- */

struct board {
	struct ts_slot_id ids[TS_SLOT_COUNT];
	uint32_t nrec;                  /* journal positions in use by the model */
	uint8_t j[MAXREC * TS_RECORD_SIZE];
	long ops;                       /* flash operations done (word or erase) */
	long cut_at;                    /* cut when ops reaches this; -1: never */
	unsigned rng;
	int cut;                        /* a cut happened */
};

static unsigned rnd(struct board *b)
{
	b->rng = b->rng * 1103515245u + 12345u;
	return b->rng >> 8;
}

static void board_init(struct board *b, uint32_t nrec)
{
	memset(b, 0, sizeof(*b));
	b->nrec = nrec;
	b->cut_at = -1;
	b->rng = 12345u;
	memset(b->j, 0xFF, sizeof(b->j));
}

static struct ts_slot_id image_id(uint32_t version, uint8_t tag)
{
	struct ts_slot_id id = { .present = true, .version = version };
	memset(id.hash, tag, sizeof(id.hash));
	return id;
}

static int read_j(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	struct board *b = ctx;
	memcpy(buf, b->j + off, len);
	return TS_OK;
}

/* One flash operation; returns 0 when the power was cut during it. */
static int flash_op(struct board *b)
{
	if (b->ops++ == b->cut_at) {
		b->cut = 1;
		return 0;
	}
	return 1;
}

static int program_word(struct board *b, uint32_t off, const uint8_t w[4])
{
	if (!flash_op(b)) {
		/* Cut mid-program: a random subset of the bits that should
		 * clear did clear. */
		for (int i = 0; i < 4; i++)
			b->j[off + i] &= (uint8_t)(w[i] | rnd(b));
		return 0;
	}
	for (int i = 0; i < 4; i++)
		b->j[off + i] &= w[i];
	return 1;
}

static int erase(struct board *b)
{
	uint32_t size = b->nrec * TS_RECORD_SIZE;
	if (!flash_op(b)) {
		/* Cut mid-erase: a prefix erased, the boundary word part-set. */
		uint32_t done = (rnd(b) % (size / 4)) * 4;
		memset(b->j, 0xFF, done);
		for (int i = 0; i < 4; i++)
			b->j[done + i] |= (uint8_t)rnd(b);
		return 0;
	}
	memset(b->j, 0xFF, size);
	return 1;
}

static void scan(struct board *b, struct ts_journal_state *st);

/* Carry out a write plan the way firmware and host do: erase, then each
 * record word by word. Returns 0 if cut. A completed write always leaves
 * the journal in append order (not dirty). */
static int execute(struct board *b, const struct ts_journal_write *w)
{
	struct ts_journal_state after;
	if (w->erase && !erase(b))
		return 0;
	for (uint8_t i = 0; i < w->count; i++) {
		uint8_t buf[TS_RECORD_SIZE];
		uint32_t off = (w->index + i) * TS_RECORD_SIZE;
		ts_record_encode(&w->rec[i], buf);
		for (uint32_t k = 0; k < TS_RECORD_SIZE; k += 4)
			if (!program_word(b, off + k, buf + k))
				return 0;
	}
	scan(b, &after);
	assert_false(after.dirty);
	return 1;
}

static void scan(struct board *b, struct ts_journal_state *st)
{
	assert_int_equal(ts_journal_scan(read_j, b, b->nrec, b->ids, st), TS_OK);
}

/* Append records of the given type for a slot (host PENDING, app CONFIRMED). */
static int append(struct board *b, enum ts_rec_type type, enum ts_slot s, uint8_t attempt)
{
	struct ts_journal_state st;
	struct ts_journal_write w;
	struct ts_record r = { .type = (uint8_t)type, .slot = (uint8_t)s,
			       .attempt = attempt, .version = b->ids[s].version };
	scan(b, &st);
	r.seq = st.max_seq + 1;
	memcpy(r.hash, b->ids[s].hash, TS_RECORD_HASH_LEN);
	assert_int_equal(ts_journal_plan_append(&st, b->nrec, &r, 1, &w), TS_OK);
	return execute(b, &w);
}

/* One reset: what the bootloader does. Returns the plan; *cut set if the
 * power failed while it wrote the journal. */
static struct ts_boot_plan boot(struct board *b, int *cut)
{
	struct ts_journal_state st;
	struct ts_boot_plan plan;
	struct ts_boot_input in = { .journal = &st, .max_attempts = 3 };
	memcpy(in.ids, b->ids, sizeof(in.ids));
	scan(b, &st);
	ts_boot_decide(&in, &plan);
	*cut = 0;
	if (plan.nrec) {
		struct ts_journal_write w;
		assert_int_equal(ts_journal_plan_append(&st, b->nrec, plan.rec, plan.nrec, &w), TS_OK);
		*cut = !execute(b, &w);
	}
	return plan;
}

static struct ts_boot_plan boot_ok(struct board *b)
{
	int cut;
	struct ts_boot_plan p = boot(b, &cut);
	assert_false(cut);
	return p;
}

static void expect(const struct ts_boot_plan *p, enum ts_boot_action a, enum ts_slot s,
		   enum ts_boot_reason why)
{
	assert_int_equal(p->action, a);
	if (a != TS_BOOT_HALT)
		assert_int_equal(p->slot, s);
	assert_int_equal(p->reason, why);
}

static struct ts_journal_state state(struct board *b)
{
	struct ts_journal_state st;
	scan(b, &st);
	return st;
}

#define V1 TS_VERSION(1, 0, 0)
#define V2 TS_VERSION(1, 1, 0)

static struct board B;

static void setup_a_confirmed(struct board *b)
{
	board_init(b, MAXREC);
	b->ids[TS_SLOT_A] = image_id(V1, 0xA1);
	append(b, TS_REC_CONFIRMED, TS_SLOT_A, 0);
}

/* ---- the decision table, row by row ---- */

static void nothing_valid_halts(void **s)
{
	(void)s;
	board_init(&B, MAXREC);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_NOTHING_VALID);
	assert_int_equal(p.nrec, 0);
	assert_int_equal(state(&B).free_index, 0);
}

static void no_record_trials_the_only_image(void **s)
{
	(void)s;
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_B] = image_id(V1, 0xB1);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_NO_RECORD);
	assert_int_equal(p.attempt, 1);
	struct ts_journal_state st = state(&B);
	assert_true(st.has_newest);
	assert_int_equal(st.newest.type, TS_REC_ATTEMPT);
	assert_int_equal(st.newest.slot, TS_SLOT_B);
	assert_int_equal(st.newest.attempt, 1);
}

static void no_record_trials_the_highest_version(void **s)
{
	(void)s;
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = image_id(V2, 0xA2);
	B.ids[TS_SLOT_B] = image_id(V1, 0xB1);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_NO_RECORD);

	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_NO_RECORD);

	/* Equal versions: slot A. */
	B.ids[TS_SLOT_B] = image_id(V1, 0xB1);
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1);
	B.ids[TS_SLOT_B] = image_id(V1, 0xB1);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_NO_RECORD);
}

static void confirmed_runs_without_writing(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	uint32_t before = state(&B).free_index;
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_CONFIRMED);
	assert_int_equal(p.nrec, 0);
	assert_int_equal(state(&B).free_index, before);
}

static void pending_starts_a_trial(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_PENDING);
	assert_int_equal(p.attempt, 1);
	assert_int_equal(state(&B).newest.type, TS_REC_ATTEMPT);
}

static void attempt_below_limit_retries(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 1);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_RETRY);
	assert_int_equal(p.attempt, 2);
	assert_int_equal(state(&B).newest.attempt, 2);
}

static void rollback_after_three_failed_attempts(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	/* B never confirms: each boot is a watchdog reset later. */
	for (int i = 1; i <= 3; i++) {
		struct ts_boot_plan p = boot_ok(&B);
		expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, i == 1 ? TS_WHY_PENDING : TS_WHY_RETRY);
		assert_int_equal(p.attempt, i);
	}
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_ROLLBACK);
	struct ts_journal_state st = state(&B);
	assert_int_equal(st.slot[TS_SLOT_B].type, TS_REC_ROLLED_BACK);
	/* And it stays on A. */
	p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_ROLLED_BACK);
	assert_int_equal(p.nrec, 0);
}

static void rollback_to_unconfirmed_other_is_a_trial(void **s)
{
	(void)s;
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1); /* never confirmed */
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 3);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_ROLLBACK);
	assert_int_equal(p.nrec, 2);
	assert_int_equal(p.rec[0].type, TS_REC_ROLLED_BACK);
	assert_int_equal(p.rec[1].type, TS_REC_ATTEMPT);
	assert_true(p.rec[0].seq < p.rec[1].seq);
}

static void rollback_with_no_other_image_halts(void **s)
{
	(void)s;
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 3);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_FAILED);
	assert_int_equal(state(&B).newest.type, TS_REC_ROLLED_BACK);
	/* Both rolled back: stays halted, writes nothing more. */
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1);
	append(&B, TS_REC_ROLLED_BACK, TS_SLOT_A, 0);
	uint32_t end = state(&B).free_index;
	p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_FAILED);
	assert_int_equal(state(&B).free_index, end);
}

static void requested_rollback_runs_the_other_confirmed(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 1);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_B, TS_WHY_CONFIRMED);
	append(&B, TS_REC_ROLLED_BACK, TS_SLOT_B, 0); /* the app asks */
	p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_ROLLED_BACK);
}

static void corrupted_confirmed_slot_falls_back(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	B.ids[TS_SLOT_B].present = false; /* B's hash no longer checks */
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_CONFIRMED);
}

static void corrupted_pending_slot_is_ignored(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	B.ids[TS_SLOT_B].present = false;
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_CONFIRMED);
	assert_int_equal(p.nrec, 0);
}

static void records_about_a_replaced_image_are_stale(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	/* The host rewrote slot B with another build of the same version but
	 * was cut before its PENDING record. */
	B.ids[TS_SLOT_B] = image_id(V2, 0xB3);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_CONFIRMED);
}

static void torn_newest_record_is_skipped(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 1);
	/* The app's CONFIRMED is cut after its first word: torn. */
	B.cut_at = B.ops + 1;
	assert_false(append(&B, TS_REC_CONFIRMED, TS_SLOT_B, 0));
	B.cut_at = -1;
	struct ts_journal_state st = state(&B);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.newest.type, TS_REC_ATTEMPT);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_RETRY);
	assert_int_equal(p.attempt, 2);
	/* The new ATTEMPT went after the torn record, not over it. */
	assert_int_equal(state(&B).free_index, st.free_index + 1);
}

static void journal_failure_prefers_a_confirmed_image(void **s)
{
	(void)s;
	setup_a_confirmed(&B);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	struct ts_journal_state st = state(&B);
	struct ts_boot_input in = { .journal = &st, .max_attempts = 3, .journal_failed = true };
	struct ts_boot_plan p;
	memcpy(in.ids, B.ids, sizeof(in.ids));
	ts_boot_decide(&in, &p);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_JOURNAL_FAILED);
	assert_int_equal(p.nrec, 0);

	/* No confirmed image at all: the candidate, under the watchdog. */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1);
	st = state(&B);
	memcpy(in.ids, B.ids, sizeof(in.ids));
	ts_boot_decide(&in, &p);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_JOURNAL_FAILED);
	assert_int_equal(p.nrec, 0);

	/* A confirmed image needs no write and runs as usual. */
	setup_a_confirmed(&B);
	st = state(&B);
	memcpy(in.ids, B.ids, sizeof(in.ids));
	ts_boot_decide(&in, &p);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_CONFIRMED);
}

static void full_journal_is_compacted_with_the_same_decision(void **s)
{
	(void)s;
	board_init(&B, 8);
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	for (int i = 0; i < 6; i++)
		append(&B, TS_REC_ROLLED_BACK, TS_SLOT_B, 0);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	assert_int_equal(state(&B).free_index, 8); /* full */
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_PENDING);
	struct ts_journal_state st = state(&B);
	/* Compacted: CONFIRMED A, PENDING B, then the new ATTEMPT B. */
	assert_int_equal(st.free_index, 3);
	assert_int_equal(st.valid, 3);
	assert_int_equal(st.slot[TS_SLOT_A].type, TS_REC_CONFIRMED);
	assert_int_equal(st.newest.type, TS_REC_ATTEMPT);
	assert_int_equal(st.newest.seq, 9); /* 1 + 6 + 1 + 1 */
}

/* ---- power cuts at every journal write of whole update stories ---- */

/* What the application does when it runs: a good image confirms itself. */
static int app_runs(struct board *b, enum ts_slot s, int good)
{
	struct ts_journal_state st = state(b);
	if (!good || (st.has_slot[s] && st.slot[s].type == TS_REC_CONFIRMED))
		return 1;
	return append(b, TS_REC_CONFIRMED, s, 0);
}

struct story {
	int b_good;      /* the new image in B confirms itself */
	uint32_t nrec;   /* journal size of the model (small: compaction) */
	int prefill;     /* ROLLED_BACK records filling the journal first */
};

/* Image identities that ever confirmed themselves (tag byte of hash). */
static int ever_confirmed(const struct board *b, enum ts_slot s, const uint8_t *confirmed_tags)
{
	return confirmed_tags[b->ids[s].hash[0]];
}

/*
 * Run the story with a cut at operation `cut_at` (-1: none): A v1 confirmed,
 * the host writes PENDING for B v2, then boots follow (each a reset). After
 * a cut, power returns and the story goes on without further cuts. Checks on
 * every boot: never halted while an image is valid and not rolled back; RUN
 * only of images that confirmed themselves; the journal ends stable.
 */
static long run_story(const struct story *st, long cut_at, unsigned seed)
{
	static uint8_t confirmed[256];
	memset(confirmed, 0, sizeof(confirmed));
	board_init(&B, st->nrec);
	B.rng = seed;
	B.ids[TS_SLOT_A] = image_id(V1, 0xA1);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	confirmed[0xA1] = 1;
	for (int i = 0; i < st->prefill; i++)
		append(&B, TS_REC_ROLLED_BACK, TS_SLOT_B, 0);
	B.ids[TS_SLOT_B] = image_id(V2, 0xB2);
	B.ops = 0;
	B.cut_at = cut_at;

	/* The host commits B. */
	if (!append(&B, TS_REC_PENDING, TS_SLOT_B, 0))
		B.cut_at = -1;
	enum ts_slot last = TS_SLOT_A;
	for (int n = 0; n < 12; n++) {
		int cut;
		struct ts_boot_plan p = boot(&B, &cut);
		if (cut) { /* power lost while the bootloader wrote: reboot */
			B.cut_at = -1;
			continue;
		}
		assert_int_not_equal(p.action, TS_BOOT_HALT);
		if (p.action == TS_BOOT_RUN)
			assert_true(ever_confirmed(&B, p.slot, confirmed));
		last = p.slot;
		int good = p.slot == TS_SLOT_A || st->b_good;
		if (good)
			confirmed[B.ids[p.slot].hash[0]] = 1;
		if (!app_runs(&B, p.slot, good))
			B.cut_at = -1;
	}
	/* Settled: a confirmed image runs without writing anything. */
	int cut;
	struct ts_boot_plan p = boot(&B, &cut);
	assert_false(cut);
	assert_int_equal(p.action, TS_BOOT_RUN);
	assert_int_equal(p.nrec, 0);
	assert_int_equal(p.slot, last);
	if (st->b_good && cut_at < 0)
		assert_int_equal(p.slot, TS_SLOT_B);
	if (!st->b_good)
		assert_int_equal(p.slot, TS_SLOT_A);
	/* The append order is restored, so a host's binary search finds the
	 * same end as a full scan. */
	struct ts_journal_state end = state(&B);
	uint32_t found;
	assert_false(end.dirty);
	assert_int_equal(ts_journal_find_end(read_j, &B, B.nrec, &found), TS_OK);
	assert_int_equal(found, end.free_index);
	return B.ops;
}

static void every_single_cut_leaves_a_bootable_board(void **s)
{
	(void)s;
	const struct story stories[] = {
		{ 1, MAXREC, 0 }, { 0, MAXREC, 0 },
		{ 1, 8, 6 }, { 0, 8, 6 },   /* compaction on the host's write */
		{ 1, 8, 5 }, { 0, 8, 5 },   /* ... on the bootloader's */
		{ 1, 8, 4 }, { 0, 8, 3 },   /* ... on the app's, later ones */
	};
	long cuts = 0;
	for (size_t i = 0; i < sizeof(stories) / sizeof(stories[0]); i++) {
		long total = run_story(&stories[i], -1, 1);
		assert_true(total > 0);
		for (long k = 0; k < total; k++) {
			for (unsigned seed = 1; seed <= 8; seed++) {
				run_story(&stories[i], k, seed * 7919u);
				cuts++;
			}
		}
	}
	print_message("power cuts simulated: %ld\n", cuts);
	assert_true(cuts > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_valid_halts),
		cmocka_unit_test(no_record_trials_the_only_image),
		cmocka_unit_test(no_record_trials_the_highest_version),
		cmocka_unit_test(confirmed_runs_without_writing),
		cmocka_unit_test(pending_starts_a_trial),
		cmocka_unit_test(attempt_below_limit_retries),
		cmocka_unit_test(rollback_after_three_failed_attempts),
		cmocka_unit_test(rollback_to_unconfirmed_other_is_a_trial),
		cmocka_unit_test(rollback_with_no_other_image_halts),
		cmocka_unit_test(requested_rollback_runs_the_other_confirmed),
		cmocka_unit_test(corrupted_confirmed_slot_falls_back),
		cmocka_unit_test(corrupted_pending_slot_is_ignored),
		cmocka_unit_test(records_about_a_replaced_image_are_stale),
		cmocka_unit_test(torn_newest_record_is_skipped),
		cmocka_unit_test(journal_failure_prefers_a_confirmed_image),
		cmocka_unit_test(full_journal_is_compacted_with_the_same_decision),
		cmocka_unit_test(every_single_cut_leaves_a_bootable_board),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
