/* Metadata journal: record encode/parse, scan, end search, compaction plan.
 * Rules and layout: docs/format.md; the power-loss argument: docs/journal.md. */
#include <string.h>

#include "twinslot/assert.h"
#include "twinslot/bytes.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"

#define OFF_MAGIC   0x00u
#define OFF_SEQ     0x04u
#define OFF_TYPE    0x08u
#define OFF_SLOT    0x09u
#define OFF_ATTEMPT 0x0Au
#define OFF_RSVD    0x0Bu
#define OFF_VERSION 0x0Cu
#define OFF_HASH    0x10u
#define OFF_CRC     0x1Cu

void ts_record_encode(const struct ts_record *r, uint8_t out[TS_RECORD_SIZE])
{
	ts_put32(out + OFF_MAGIC, TS_JOURNAL_MAGIC);
	ts_put32(out + OFF_SEQ, r->seq);
	out[OFF_TYPE] = r->type;
	out[OFF_SLOT] = r->slot;
	out[OFF_ATTEMPT] = r->attempt;
	out[OFF_RSVD] = 0;
	ts_put32(out + OFF_VERSION, r->version);
	memcpy(out + OFF_HASH, r->hash, TS_RECORD_HASH_LEN);
	ts_put32(out + OFF_CRC, ts_crc32(0, out, OFF_CRC));
}

int ts_record_parse(const uint8_t in[TS_RECORD_SIZE], struct ts_record *r)
{
	if (ts_all_ff(in, TS_RECORD_SIZE))
		return TS_ERR_BLANK;
	if (ts_get32(in + OFF_MAGIC) != TS_JOURNAL_MAGIC)
		return TS_ERR_MAGIC;
	if (ts_get32(in + OFF_CRC) != ts_crc32(0, in, OFF_CRC))
		return TS_ERR_CRC;

	uint32_t seq = ts_get32(in + OFF_SEQ);
	uint8_t type = in[OFF_TYPE], slot = in[OFF_SLOT], attempt = in[OFF_ATTEMPT];
	if (seq == 0 || seq == 0xFFFFFFFFu || in[OFF_RSVD] != 0 ||
	    type < TS_REC_PENDING || type > TS_REC_MIN_COUNTER ||
	    slot >= TS_SLOT_COUNT ||
	    (type == TS_REC_ATTEMPT) != (attempt != 0))
		return TS_ERR_INVAL;

	r->seq = seq;
	r->type = type;
	r->slot = slot;
	r->attempt = attempt;
	r->version = ts_get32(in + OFF_VERSION);
	memcpy(r->hash, in + OFF_HASH, TS_RECORD_HASH_LEN);
	return TS_OK;
}

bool ts_record_matches(const struct ts_record *r, const struct ts_slot_id *id)
{
	return id->present && r->version == id->version &&
	       memcmp(r->hash, id->hash, TS_RECORD_HASH_LEN) == 0;
}

static bool newer(const struct ts_record *r, uint32_t index, const struct ts_record *than,
		  uint32_t than_index)
{
	return r->seq > than->seq || (r->seq == than->seq && index > than_index);
}

int ts_journal_note(struct ts_journal_state *st, uint32_t index,
		    const uint8_t rec[TS_RECORD_SIZE], const struct ts_slot_id *ids)
{
	struct ts_record r;
	int perr = ts_record_parse(rec, &r);
	if (perr == TS_ERR_BLANK)
		return perr;
	if (perr != TS_OK) {
		st->invalid++;
		return perr;
	}
	st->valid++;
	TS_ASSERT(r.slot < TS_SLOT_COUNT); /* ts_record_parse refuses others */
	if (r.seq > st->max_seq)
		st->max_seq = r.seq;
	if (r.type == TS_REC_MIN_COUNTER) {
		/* Not about the slot's image: counts whatever the slots hold.
		 * The highest value wins, so an old record cannot lower it. */
		if (!st->has_min || r.version > st->min.version ||
		    (r.version == st->min.version && newer(&r, index, &st->min, st->min_index))) {
			st->has_min = true;
			st->min = r;
			st->min_index = index;
		}
		return TS_OK;
	}
	if (ids && !ts_record_matches(&r, &ids[r.slot]))
		return TS_OK; /* stale: about an image no longer in its slot */
	if (!st->has_slot[r.slot] || newer(&r, index, &st->slot[r.slot], st->slot_index[r.slot])) {
		st->has_slot[r.slot] = true;
		st->slot[r.slot] = r;
		st->slot_index[r.slot] = index;
	}
	if (!st->has_newest || newer(&r, index, &st->newest, st->newest_index)) {
		st->has_newest = true;
		st->newest = r;
		st->newest_index = index;
	}
	return TS_OK;
}

int ts_journal_scan(ts_journal_read_fn read, void *ctx, uint32_t nrec,
		    const struct ts_slot_id *ids, struct ts_journal_state *st)
{
	uint8_t buf[TS_RECORD_SIZE];
	bool seen_blank = false;
	int err;

	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < nrec; i++) {
		if ((err = read(ctx, i * TS_RECORD_SIZE, buf, TS_RECORD_SIZE)) != TS_OK)
			return err;
		if (ts_journal_note(st, i, buf, ids) == TS_ERR_BLANK) {
			seen_blank = true;
			continue;
		}
		st->dirty |= seen_blank;
		st->free_index = i + 1;
	}
	return TS_OK;
}

/* All 32 bytes 0xFF; p is 4-byte aligned. Word loads (may_alias: the bytes
 * may be a uint8_t array), no copy: a few instructions per position. */
typedef uint32_t ts_word_alias __attribute__((may_alias));
static bool blank_record(const uint8_t *p)
{
	const ts_word_alias *w = (const ts_word_alias *)__builtin_assume_aligned(p, 4);
	return (w[0] & w[1] & w[2] & w[3] & w[4] & w[5] & w[6] & w[7]) == 0xFFFFFFFFu;
}

int ts_journal_scan_mem(const uint8_t *mem, uint32_t nrec, const struct ts_slot_id *ids,
			struct ts_journal_state *st)
{
	bool seen_blank = false;

	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < nrec; i++) {
		const uint8_t *rec = mem + i * TS_RECORD_SIZE;
		if (blank_record(rec) || ts_journal_note(st, i, rec, ids) == TS_ERR_BLANK) {
			seen_blank = true;
			continue;
		}
		st->dirty |= seen_blank;
		st->free_index = i + 1;
	}
	return TS_OK;
}

int ts_journal_find_end(ts_journal_read_fn read, void *ctx, uint32_t nrec,
			uint32_t *free_index)
{
	uint8_t buf[TS_RECORD_SIZE];
	uint32_t lo = 0, hi = nrec;
	int err;

	/* Invariant: every position >= hi is blank, position lo-1 is not. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2u;
		if ((err = read(ctx, mid * TS_RECORD_SIZE, buf, TS_RECORD_SIZE)) != TS_OK)
			return err;
		if (ts_all_ff(buf, TS_RECORD_SIZE))
			hi = mid;
		else
			lo = mid + 1u;
	}
	TS_ASSERT(lo <= nrec);
	*free_index = lo;
	return TS_OK;
}

int ts_journal_plan_compaction(const struct ts_journal_state *st,
			       struct ts_record out[TS_JOURNAL_KEEP_MAX])
{
	int n = 0;
	/* The minimum first: after the erase the journal holds no minimum
	 * until it is back (docs/journal.md: the client restores it too). */
	if (st->has_min)
		out[n++] = st->min;
	struct ts_record *sl = out + n;
	int m = 0;
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (st->has_slot[s])
			sl[m++] = st->slot[s];
	/* Newest first: a cut during the rewrite then keeps the record that
	 * carries the work in progress (a pending update), and a slot whose
	 * record is lost is merely on trial again. On equal seq the scan
	 * prefers the later position, so then the overall newest goes last. */
	if (m == 2) {
		bool swap = sl[0].seq == sl[1].seq
				    ? st->has_newest && st->newest.slot == sl[0].slot
				    : sl[0].seq < sl[1].seq;
		if (swap) {
			struct ts_record t = sl[0];
			sl[0] = sl[1];
			sl[1] = t;
		}
	}
	return n + m;
}

int ts_journal_plan_append(const struct ts_journal_state *st, uint32_t nrec,
			   const struct ts_record *recs, uint8_t n,
			   struct ts_journal_write *w)
{
	if (n < 1 || n > 2 || nrec < TS_JOURNAL_WRITE_MAX)
		return TS_ERR_INVAL;
	for (uint8_t i = 0; i < n; i++)
		if (recs[i].seq <= st->max_seq || recs[i].seq == 0xFFFFFFFFu)
			return TS_ERR_INVAL; /* would not be newest, or would not parse */
	memset(w, 0, sizeof(*w));
	if (!st->dirty && st->free_index + n <= nrec) {
		w->index = st->free_index;
	} else {
		w->erase = true;
		w->count = (uint8_t)ts_journal_plan_compaction(st, w->rec);
		TS_ASSERT(w->count <= TS_JOURNAL_KEEP_MAX); /* the minimum, one per slot */
	}
	TS_ASSERT(w->count + n <= TS_JOURNAL_WRITE_MAX);
	for (uint8_t i = 0; i < n; i++)
		w->rec[w->count++] = recs[i];
	/* every position written lies inside the sector */
	TS_ASSERT(w->index + w->count <= nrec);
	return TS_OK;
}
