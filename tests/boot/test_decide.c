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

/* ---- the security counter: rows 12-15 ---- */

static struct ts_slot_id counted(uint32_t version, uint8_t tag, uint32_t counter)
{
	struct ts_slot_id id = image_id(version, tag);
	id.counter = counter;
	return id;
}

/* What ts_client_confirm() writes: CONFIRMED (unless confirmed already),
 * then MIN_COUNTER max(minimum, counter) when it is not 0 (after a new
 * CONFIRMED) or when the counter is above the minimum. Returns 0 if cut. */
static int client_confirm(struct board *b, enum ts_slot s)
{
	struct ts_journal_state st;
	struct ts_journal_write w;
	struct ts_record r[2];
	uint8_t n = 0;
	scan(b, &st);
	uint32_t min = ts_journal_min_counter(&st), ctr = b->ids[s].counter;
	bool confirmed = st.has_slot[s] && st.slot[s].type == TS_REC_CONFIRMED;
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 2; i++) {
		r[i].slot = (uint8_t)s;
		r[i].version = b->ids[s].version;
		memcpy(r[i].hash, b->ids[s].hash, TS_RECORD_HASH_LEN);
	}
	if (!confirmed) {
		r[n].seq = st.max_seq + 1u + n;
		r[n++].type = TS_REC_CONFIRMED;
	}
	if (ctr > min || (!confirmed && min > 0)) {
		r[n].seq = st.max_seq + 1u + n;
		r[n].type = TS_REC_MIN_COUNTER;
		r[n++].version = ctr > min ? ctr : min;
	}
	if (n == 0)
		return 1;
	assert_int_equal(ts_journal_plan_append(&st, b->nrec, r, n, &w), TS_OK);
	return execute(b, &w);
}

/* A confirmed (counter 2, minimum 2), B holds an older release (counter 1). */
static void setup_min_2(struct board *b, uint32_t nrec)
{
	board_init(b, nrec);
	b->ids[TS_SLOT_A] = counted(V2, 0xA2, 2);
	assert_true(client_confirm(b, TS_SLOT_A));
	assert_int_equal(ts_journal_min_counter(&(struct ts_journal_state){ 0 }), 0);
	struct ts_journal_state st = state(b);
	assert_true(st.has_min);
	assert_int_equal(ts_journal_min_counter(&st), 2);
	b->ids[TS_SLOT_B] = counted(V1, 0xB1, 1);
}

static void below_min_pending_is_rolled_back_and_the_confirmed_runs(void **s)
{
	(void)s;
	setup_min_2(&B, MAXREC);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0); /* forced through the ROM */
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_BELOW_MIN); /* row 12 */
	assert_int_equal(p.nrec, 1);
	assert_int_equal(p.rec[0].type, TS_REC_ROLLED_BACK);
	assert_int_equal(p.rec[0].slot, TS_SLOT_B);
	/* Then the ordinary row 9, writing nothing. */
	p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_ROLLED_BACK);
	assert_int_equal(p.nrec, 0);
	/* Every record type about B below the minimum is refused alike. */
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 1);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_BELOW_MIN);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_B, 0); /* a journal written by hand */
	p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_BELOW_MIN);
	/* At the minimum is fine: counter 2 in B is an ordinary update. */
	B.ids[TS_SLOT_B] = counted(V2 + 1, 0xB3, 2);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_PENDING);
}

static void below_min_pending_falls_back_to_a_trial(void **s)
{
	(void)s;
	/* A counter 2 never confirmed (its records lost), minimum 2 from a
	 * MIN_COUNTER record, B below: A goes on trial. Row 13. */
	setup_min_2(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V2, 0xA3, 2); /* other hash: A's records stale */
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_BELOW_MIN);
	assert_int_equal(p.nrec, 2);
	assert_int_equal(p.rec[0].type, TS_REC_ROLLED_BACK);
	assert_int_equal(p.rec[1].type, TS_REC_ATTEMPT);
	assert_int_equal(p.attempt, 1);
}

static void nothing_at_or_above_min_halts(void **s)
{
	(void)s;
	/* Row 15: B below, A empty. */
	setup_min_2(&B, MAXREC);
	B.ids[TS_SLOT_A].present = false;
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_BELOW_MIN);
	assert_int_equal(p.nrec, 0);
	/* Both below. */
	setup_min_2(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V2, 0xA4, 0);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_BELOW_MIN);
	/* Rows 6-8 with Y below the minimum: the other slot failed its trial, only a below-minimum image left. */
	setup_min_2(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V2, 0xA5, 3);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_A, 3);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_BELOW_MIN);
	assert_int_equal(p.nrec, 1);
	assert_int_equal(p.rec[0].type, TS_REC_ROLLED_BACK);
	assert_int_equal(p.rec[0].slot, TS_SLOT_A);
	/* ... and the same after ROLLED_BACK (row 9/10 with a below-min other). */
	p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_BELOW_MIN);
	/* Row 14: B below the minimum, A (at it) was rolled back. */
	setup_min_2(&B, MAXREC);
	append(&B, TS_REC_ROLLED_BACK, TS_SLOT_A, 0);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_HALT, 0, TS_WHY_ALL_FAILED);
	assert_int_equal(p.nrec, 1);
	assert_int_equal(p.rec[0].type, TS_REC_ROLLED_BACK);
	assert_int_equal(p.rec[0].slot, TS_SLOT_B);
}

static void no_record_trials_the_highest_counter_first(void **s)
{
	(void)s;
	/* No live record, no minimum: the higher counter wins over the
	 * higher version (what a compaction cut after its erase leaves). */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V2, 0xA2, 1);
	B.ids[TS_SLOT_B] = counted(V1, 0xB1, 2);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_NO_RECORD);
	/* A minimum but no live record: never the image below it. */
	setup_min_2(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V1, 0xA6, 2); /* A's records stale */
	B.ids[TS_SLOT_B] = counted(V2, 0xB6, 1); /* higher version, below */
	p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_NO_RECORD);
}

static void trial_outranked_by_a_higher_counter_is_refused(void **s)
{
	(void)s;
	/* What a torn compaction erase can leave: the MIN_COUNTER record and
	 * B's CONFIRMED erased, a later PENDING of an older A kept. B's
	 * counter stands in for the lost minimum. Row 12 (implicit minimum). */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V1, 0xA1, 1);
	B.ids[TS_SLOT_B] = counted(V2, 0xB2, 2);
	append(&B, TS_REC_PENDING, TS_SLOT_A, 0);
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_B, TS_WHY_BELOW_MIN);
	assert_int_equal(p.rec[0].type, TS_REC_ROLLED_BACK);
	assert_int_equal(p.rec[0].slot, TS_SLOT_A);
	/* Not when the higher one failed: it was rolled back, A is the
	 * fallback and runs its trial. */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V1, 0xA1, 1);
	B.ids[TS_SLOT_B] = counted(V2, 0xB2, 2);
	append(&B, TS_REC_ROLLED_BACK, TS_SLOT_B, 0);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_A, 1);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_RETRY);
	/* Not while the higher one is itself on trial. */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V1, 0xA1, 1);
	B.ids[TS_SLOT_B] = counted(V2, 0xB2, 2);
	append(&B, TS_REC_ATTEMPT, TS_SLOT_B, 1);
	append(&B, TS_REC_PENDING, TS_SLOT_A, 0);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_PENDING);
	/* A CONFIRMED lower image is not a trial: it runs (row 3). */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_A] = counted(V1, 0xA1, 1);
	B.ids[TS_SLOT_B] = counted(V2, 0xB2, 2);
	append(&B, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_CONFIRMED);
}

static void journal_failure_never_runs_a_below_min_image(void **s)
{
	(void)s;
	/* B counter 1 confirmed long ago, A counter 2 confirmed, raised the
	 * minimum, then a new A' counter 2 pending; the ATTEMPT cannot be
	 * written: the confirmed B is below the minimum, so A' still runs
	 * under the watchdog rather than B. */
	board_init(&B, MAXREC);
	B.ids[TS_SLOT_B] = counted(V1, 0xB1, 1);
	assert_true(client_confirm(&B, TS_SLOT_B));
	B.ids[TS_SLOT_A] = counted(V2, 0xA2, 2);
	assert_true(client_confirm(&B, TS_SLOT_A));
	B.ids[TS_SLOT_A] = counted(V2 + 1, 0xA3, 2);
	append(&B, TS_REC_PENDING, TS_SLOT_A, 0);
	struct ts_journal_state st = state(&B);
	assert_int_equal(ts_journal_min_counter(&st), 2);
	struct ts_boot_input in = { .journal = &st, .max_attempts = 3, .journal_failed = true };
	struct ts_boot_plan p;
	memcpy(in.ids, B.ids, sizeof(in.ids));
	assert_true(ts_boot_below_min(&in, TS_SLOT_B));
	assert_false(ts_boot_below_min(&in, TS_SLOT_A));
	ts_boot_decide(&in, &p);
	expect(&p, TS_BOOT_TRIAL, TS_SLOT_A, TS_WHY_JOURNAL_FAILED);
	assert_int_equal(p.nrec, 0);
}

static void min_counter_survives_compaction_and_only_rises(void **s)
{
	(void)s;
	setup_min_2(&B, 8);
	/* A lower MIN_COUNTER record written later does not lower it. */
	struct ts_journal_state st = state(&B);
	struct ts_journal_write w;
	struct ts_record low = { .seq = st.max_seq + 1, .type = TS_REC_MIN_COUNTER,
				 .slot = TS_SLOT_B, .version = 1 };
	assert_int_equal(ts_journal_plan_append(&st, B.nrec, &low, 1, &w), TS_OK);
	assert_true(execute(&B, &w));
	st = state(&B);
	assert_int_equal(ts_journal_min_counter(&st), 2);
	/* Fill the 8 positions; the next write compacts: the minimum first. */
	while (state(&B).free_index < 8)
		append(&B, TS_REC_ROLLED_BACK, TS_SLOT_B, 0);
	append(&B, TS_REC_PENDING, TS_SLOT_B, 0);
	st = state(&B);
	assert_int_equal(ts_journal_min_counter(&st), 2);
	assert_int_equal(st.min_index, 0);
	assert_int_equal(st.free_index, 4); /* MIN, CONFIRMED A, ROLLED_BACK B, PENDING B */
	struct ts_boot_plan p = boot_ok(&B);
	expect(&p, TS_BOOT_RUN, TS_SLOT_A, TS_WHY_BELOW_MIN);
}

/*
 * The counter story with a cut at operation `cut_at`: A v1.1 counter 1
 * confirmed, B v1.2 counter 2 pending; boots until B confirms (minimum 2);
 * then an old A v1.0 counter 1 is forced into slot A with PENDING; more
 * boots. In an 8-position journal compactions fall on the client's, the
 * bootloader's and the host's writes. Checked on every boot: never an image
 * below the highest minimum ever written whole; never halted; in the end B
 * runs confirmed and the stored minimum is 2.
 */
static long run_counter_story(long cut_at, unsigned seed, uint32_t nrec)
{
	board_init(&B, nrec);
	B.rng = seed;
	B.ids[TS_SLOT_A] = counted(V1 + 1, 0xA1, 1);
	assert_true(client_confirm(&B, TS_SLOT_A));
	for (int i = 0; i < 2; i++)
		append(&B, TS_REC_ROLLED_BACK, TS_SLOT_B, 0);
	B.ids[TS_SLOT_B] = counted(V2 + 1, 0xB2, 2);
	B.ops = 0;
	B.cut_at = cut_at;
	uint32_t floor = 1; /* the highest minimum written whole so far */
	if (!append(&B, TS_REC_PENDING, TS_SLOT_B, 0)) { /* the host retries */
		B.cut_at = -1;
		assert_true(append(&B, TS_REC_PENDING, TS_SLOT_B, 0));
	}
	for (int n = 0; n < 16; n++) {
		if (n == 8) { /* the old release, forced into A */
			B.ids[TS_SLOT_A] = counted(V1, 0xA0, 1);
			if (!append(&B, TS_REC_PENDING, TS_SLOT_A, 0)) {
				B.cut_at = -1;
				assert_true(append(&B, TS_REC_PENDING, TS_SLOT_A, 0));
			}
		}
		int cut;
		struct ts_boot_plan p = boot(&B, &cut);
		if (cut) {
			B.cut_at = -1;
			continue;
		}
		assert_int_not_equal(p.action, TS_BOOT_HALT);
		assert_true(B.ids[p.slot].counter >= floor);
		if (!client_confirm(&B, p.slot))
			B.cut_at = -1;
		struct ts_journal_state st = state(&B);
		if (ts_journal_min_counter(&st) > floor)
			floor = ts_journal_min_counter(&st);
	}
	int cut;
	struct ts_boot_plan p = boot(&B, &cut);
	assert_false(cut);
	assert_int_equal(p.action, TS_BOOT_RUN);
	assert_int_equal(p.slot, TS_SLOT_B);
	assert_int_equal(p.nrec, 0);
	struct ts_journal_state end = state(&B);
	assert_int_equal(ts_journal_min_counter(&end), 2);
	assert_int_equal(floor, 2);
	assert_false(end.dirty);
	return B.ops;
}

static void every_cut_of_the_counter_story_keeps_the_minimum(void **s)
{
	(void)s;
	long cuts = 0;
	const uint32_t sizes[] = { MAXREC, 8, 7, 6 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		long total = run_counter_story(-1, 1, sizes[i]);
		for (long k = 0; k < total; k++)
			for (unsigned seed = 1; seed <= 8; seed++, cuts++)
				run_counter_story(k, seed * 7919u, sizes[i]);
	}
	print_message("counter story power cuts simulated: %ld\n", cuts);
	assert_true(cuts > 200);
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
		cmocka_unit_test(below_min_pending_is_rolled_back_and_the_confirmed_runs),
		cmocka_unit_test(below_min_pending_falls_back_to_a_trial),
		cmocka_unit_test(nothing_at_or_above_min_halts),
		cmocka_unit_test(no_record_trials_the_highest_counter_first),
		cmocka_unit_test(trial_outranked_by_a_higher_counter_is_refused),
		cmocka_unit_test(journal_failure_never_runs_a_below_min_image),
		cmocka_unit_test(min_counter_survives_compaction_and_only_rises),
		cmocka_unit_test(every_cut_of_the_counter_story_keeps_the_minimum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
