/* The boot decision: a pure function of slot validity and the journal.
 * docs/bootloader.md has the table this code implements row by row. */
#include <string.h>

#include "twinslot/assert.h"
#include "twinslot/boot.h"

struct ctx {
	const struct ts_boot_input *in;
	struct ts_boot_plan *plan;
	uint32_t next_seq;
};

static void add_record(struct ctx *c, enum ts_rec_type type, enum ts_slot slot,
		       uint8_t attempt)
{
	TS_ASSERT(c->plan->nrec < sizeof c->plan->rec / sizeof c->plan->rec[0]);
	TS_ASSERT(slot == TS_SLOT_A || slot == TS_SLOT_B);
	struct ts_record *r = &c->plan->rec[c->plan->nrec++];
	const struct ts_slot_id *id = &c->in->ids[slot];

	r->seq = c->next_seq++;
	r->type = (uint8_t)type;
	r->slot = (uint8_t)slot;
	r->attempt = attempt;
	r->version = id->version;
	memcpy(r->hash, id->hash, TS_RECORD_HASH_LEN);
}

static void run(struct ctx *c, enum ts_slot slot, enum ts_boot_reason why)
{
	TS_ASSERT(slot == TS_SLOT_A || slot == TS_SLOT_B);
	c->plan->action = TS_BOOT_RUN;
	c->plan->slot = slot;
	c->plan->reason = why;
}

static void trial(struct ctx *c, enum ts_slot slot, uint8_t attempt,
		  enum ts_boot_reason why)
{
	add_record(c, TS_REC_ATTEMPT, slot, attempt);
	c->plan->action = TS_BOOT_TRIAL;
	c->plan->slot = slot;
	c->plan->attempt = attempt;
	c->plan->reason = why;
}

static void halt(struct ctx *c, enum ts_boot_reason why)
{
	c->plan->action = TS_BOOT_HALT;
	c->plan->reason = why;
}

static bool newest_is(const struct ts_journal_state *j, enum ts_slot s,
		      enum ts_rec_type type)
{
	return j->has_slot[s] && j->slot[s].type == type;
}

/* ---- the security counter (docs/security.md; rows 12-15) ---- */

bool ts_boot_below_min(const struct ts_boot_input *in, enum ts_slot s)
{
	return in->ids[s].present &&
	       in->ids[s].counter < ts_journal_min_counter(in->journal);
}

static bool bootable(const struct ctx *c, enum ts_slot s)
{
	return c->in->ids[s].present && !ts_boot_below_min(c->in, s);
}

static void fall_back(struct ctx *c, enum ts_slot y, enum ts_boot_reason why);

/* A trial (PENDING or ATTEMPT) of x while the other slot holds an image with
 * a higher counter that has not failed (confirmed, or no live record): the
 * stored minimum may have been lost to a torn compaction erase, which can
 * keep a later record and lose the earlier ones; that image's counter is
 * then the minimum the journal would hold. */
static bool outranked(const struct ctx *c, enum ts_slot x)
{
	const struct ts_journal_state *j = c->in->journal;
	enum ts_slot y = ts_slot_other(x);
	uint8_t t = j->newest.type;
	return (t == TS_REC_PENDING || t == TS_REC_ATTEMPT) && c->in->ids[y].present &&
	       c->in->ids[y].counter > c->in->ids[x].counter &&
	       (!j->has_slot[y] || j->slot[y].type == TS_REC_CONFIRMED);
}

/* Rows 12-14: the newest live record names an image below the minimum (an
 * old release written through the ROM), or a trial outranked as above: it is
 * rolled back, never run, and the other slot is booted as after a failed
 * trial. Row 15: no image at or above the minimum. */
static bool refuse_below_min(struct ctx *c)
{
	const struct ts_journal_state *j = c->in->journal;
	if (!bootable(c, TS_SLOT_A) && !bootable(c, TS_SLOT_B)) {
		halt(c, TS_WHY_ALL_BELOW_MIN);
		return true;
	}
	if (!j->has_newest || j->newest.type == TS_REC_ROLLED_BACK)
		return false;
	enum ts_slot x = (enum ts_slot)j->newest.slot;
	if (!ts_boot_below_min(c->in, x) && !outranked(c, x))
		return false;
	add_record(c, TS_REC_ROLLED_BACK, x, 0);
	fall_back(c, ts_slot_other(x), TS_WHY_BELOW_MIN);
	return true;
}

/* ---- the journal's states (rows 1-11) ---- */

/* The slot we leave failed or was given up: go to the other one. */
static void fall_back(struct ctx *c, enum ts_slot y, enum ts_boot_reason why)
{
	const struct ts_journal_state *j = c->in->journal;

	if (ts_boot_below_min(c->in, y))
		halt(c, TS_WHY_ALL_BELOW_MIN);
	else if (!c->in->ids[y].present || newest_is(j, y, TS_REC_ROLLED_BACK))
		halt(c, TS_WHY_ALL_FAILED);
	else if (newest_is(j, y, TS_REC_CONFIRMED))
		run(c, y, why);
	else
		trial(c, y, 1, why);
}

static void decide(struct ctx *c)
{
	const struct ts_boot_input *in = c->in;
	const struct ts_journal_state *j = in->journal;
	uint8_t max = in->max_attempts ? in->max_attempts : 1;

	if (!in->ids[TS_SLOT_A].present && !in->ids[TS_SLOT_B].present) {
		halt(c, TS_WHY_NOTHING_VALID);
		return;
	}
	if (refuse_below_min(c))
		return;
	if (!j->has_newest) {
		/* New board, erased or lost journal: the highest security
		 * counter, then the highest valid version, never trusted
		 * without a trial (never one below the minimum). The counter
		 * first: a compaction cut after its erase loses the minimum
		 * until the image that raised it confirms again, and that
		 * image is the one with the highest counter. */
		enum ts_slot s = TS_SLOT_A;
		const struct ts_slot_id *a = &in->ids[TS_SLOT_A], *b = &in->ids[TS_SLOT_B];
		if (!bootable(c, TS_SLOT_A) ||
		    (bootable(c, TS_SLOT_B) &&
		     (b->counter > a->counter ||
		      (b->counter == a->counter && b->version > a->version))))
			s = TS_SLOT_B;
		trial(c, s, 1, TS_WHY_NO_RECORD);
		return;
	}

	const struct ts_record *n = &j->newest;
	TS_ASSERT(n->slot < TS_SLOT_COUNT); /* the scan keeps valid records only */
	enum ts_slot x = (enum ts_slot)n->slot;
	switch (n->type) {
	case TS_REC_CONFIRMED:
		run(c, x, TS_WHY_CONFIRMED);
		break;
	case TS_REC_PENDING:
		trial(c, x, 1, TS_WHY_PENDING);
		break;
	case TS_REC_ATTEMPT:
		if (n->attempt < max) {
			trial(c, x, (uint8_t)(n->attempt + 1), TS_WHY_RETRY);
		} else {
			add_record(c, TS_REC_ROLLED_BACK, x, 0);
			fall_back(c, ts_slot_other(x), TS_WHY_ROLLBACK);
		}
		break;
	default: /* TS_REC_ROLLED_BACK */
		fall_back(c, ts_slot_other(x), TS_WHY_ROLLED_BACK);
		break;
	}
}

void ts_boot_decide(const struct ts_boot_input *in, struct ts_boot_plan *plan)
{
	struct ctx c = { in, plan, in->journal->max_seq + 1u };

	memset(plan, 0, sizeof(*plan));
	decide(&c);
	if (!in->journal_failed)
		return;

	/* Nothing can be written: no attempt can be counted. Run a confirmed
	 * image if there is one; otherwise the candidate, still under the
	 * watchdog, rather than nothing at all. */
	plan->nrec = 0;
	plan->attempt = 0;
	if (plan->action != TS_BOOT_TRIAL)
		return;
	plan->reason = TS_WHY_JOURNAL_FAILED;
	const struct ts_journal_state *j = in->journal;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		enum ts_slot o = ts_slot_other((enum ts_slot)s);
		if (in->ids[s].present && !ts_boot_below_min(in, (enum ts_slot)s) &&
		    newest_is(j, (enum ts_slot)s, TS_REC_CONFIRMED) &&
		    !(newest_is(j, o, TS_REC_CONFIRMED) && j->slot[o].seq > j->slot[s].seq)) {
			plan->action = TS_BOOT_RUN;
			plan->slot = (enum ts_slot)s;
			return;
		}
	}
}

const char *ts_boot_reason_str(enum ts_boot_reason r)
{
	switch (r) {
	case TS_WHY_CONFIRMED: return "confirmed";
	case TS_WHY_PENDING: return "new image";
	case TS_WHY_RETRY: return "trial continues";
	case TS_WHY_NO_RECORD: return "no journal record: highest valid version";
	case TS_WHY_ROLLBACK: return "other slot failed its trial: rolled back";
	case TS_WHY_ROLLED_BACK: return "other slot was rolled back";
	case TS_WHY_ALL_FAILED: return "every valid image was rolled back";
	case TS_WHY_NOTHING_VALID: return "no valid image";
	case TS_WHY_JOURNAL_FAILED: return "journal write failed";
	case TS_WHY_BELOW_MIN:
		return "other slot's security counter is below the minimum: rolled back";
	case TS_WHY_ALL_BELOW_MIN:
		return "every valid image is below the minimum security counter or rolled back";
	}
	return "unknown";
}
