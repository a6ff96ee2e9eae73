/*
 * libFuzzer target: ts_journal_scan over a fuzzed journal (nrec = size / 32,
 * slot ids taken from the input; ts_journal_scan_mem must agree with it),
 * then find_end, plan_compaction and
 * plan_append. Invariants (abort when broken): the state is consistent
 * (free position, counts, newest versus per-slot newest, max_seq); records
 * that parse re-encode to the same bytes; find_end equals the scan's free
 * position on journals that are not dirty; rewriting the compaction plan
 * into an erased journal and scanning again gives the same newest and
 * per-slot records; no read outside the journal.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct jb {
	const uint8_t *b;
	uint32_t nrec;
};

static int jread(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	const struct jb *j = ctx;
	if ((uint64_t)off + len > (uint64_t)j->nrec * TS_RECORD_SIZE)
		abort(); /* read outside the journal */
	memcpy(buf, j->b + off, len);
	return TS_OK;
}

static bool same(const struct ts_record *a, const struct ts_record *b)
{
	return a->seq == b->seq && a->type == b->type && a->slot == b->slot &&
	       a->attempt == b->attempt && a->version == b->version &&
	       memcmp(a->hash, b->hash, TS_RECORD_HASH_LEN) == 0;
}

static bool blank(const uint8_t *p)
{
	for (unsigned i = 0; i < TS_RECORD_SIZE; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192u * TS_RECORD_SIZE)
		return 0;
	uint8_t mode = data[0];
	uint32_t nrec = (uint32_t)((size - 1) / TS_RECORD_SIZE);
	size_t bytes = (size_t)nrec * TS_RECORD_SIZE;
	uint8_t *j = malloc(bytes ? bytes : 1);
	uint8_t *c = malloc(bytes ? bytes : 1);
	if (!j || !c)
		abort();
	memcpy(j, data + 1, bytes);

	for (uint32_t i = 0; i < nrec; i++) {
		uint8_t *p = j + (size_t)i * TS_RECORD_SIZE;
		if ((mode & FZ_J_FIX_CRC) && !blank(p)) {
			uint32_t crc = ts_crc32(0, p, 28);
			for (int k = 0; k < 4; k++)
				p[28 + k] = (uint8_t)(crc >> (8 * k));
		}
		struct ts_record r;
		int err = ts_record_parse(p, &r);
		if (err == TS_OK) {
			uint8_t again[TS_RECORD_SIZE];
			ts_record_encode(&r, again);
			if (memcmp(again, p, TS_RECORD_SIZE) != 0)
				abort(); /* parse accepted a non-canonical record */
		} else if (err > 0 || (err == TS_ERR_BLANK) != blank(p)) {
			abort();
		}
	}

	struct ts_slot_id ids[TS_SLOT_COUNT];
	memset(ids, 0, sizeof(ids));
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		ids[s].present = (mode >> s) & 1;
		if (nrec) {
			const uint8_t *p = j + (size_t)(((mode >> 4) + (unsigned)s) % nrec) * TS_RECORD_SIZE;
			ids[s].version = (uint32_t)p[12] | (uint32_t)p[13] << 8 |
					 (uint32_t)p[14] << 16 | (uint32_t)p[15] << 24;
			memcpy(ids[s].hash, p + 16, TS_RECORD_HASH_LEN);
		}
	}
	const struct ts_slot_id *use = (mode & FZ_J_NO_IDS) ? NULL : ids;

	struct jb jb = {j, nrec};
	struct ts_journal_state st;
	if (ts_journal_scan(jread, &jb, nrec, use, &st) != TS_OK)
		abort();
	/* the bootloader's in-place scan (malloc'd j is 4-byte aligned) agrees */
	struct ts_journal_state sm;
	if (ts_journal_scan_mem(j, nrec, use, &sm) != TS_OK || sm.free_index != st.free_index ||
	    sm.max_seq != st.max_seq || sm.valid != st.valid || sm.invalid != st.invalid ||
	    sm.dirty != st.dirty || sm.has_newest != st.has_newest ||
	    (st.has_newest && (!same(&sm.newest, &st.newest) || sm.newest_index != st.newest_index)))
		abort();
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (sm.has_slot[s] != st.has_slot[s] ||
		    (st.has_slot[s] && (!same(&sm.slot[s], &st.slot[s]) ||
					sm.slot_index[s] != st.slot_index[s])))
			abort();
	if (st.free_index > nrec || st.valid + st.invalid > st.free_index)
		abort();
	if (st.free_index > 0 && blank(j + (size_t)(st.free_index - 1) * TS_RECORD_SIZE))
		abort();
	for (uint32_t i = st.free_index; i < nrec; i++)
		if (!blank(j + (size_t)i * TS_RECORD_SIZE))
			abort();
	if (st.has_newest) {
		const struct ts_record *n = &st.newest;
		if (n->slot >= TS_SLOT_COUNT || !st.has_slot[n->slot] ||
		    !same(&st.slot[n->slot], n) || n->seq > st.max_seq)
			abort();
	}
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (!st.has_slot[s])
			continue;
		if (!st.has_newest || st.slot[s].seq > st.newest.seq || st.slot[s].slot != s)
			abort();
		if (use && !ts_record_matches(&st.slot[s], &ids[s]))
			abort(); /* a stale record drives the decision */
	}

	if (!st.dirty) {
		uint32_t end;
		if (ts_journal_find_end(jread, &jb, nrec, &end) != TS_OK || end != st.free_index)
			abort();
	}

	struct ts_record plan[TS_JOURNAL_KEEP_MAX];
	int n = ts_journal_plan_compaction(&st, plan);
	if (n < 0 || n > TS_JOURNAL_KEEP_MAX || (uint32_t)n > nrec)
		abort();
	memset(c, 0xFF, bytes);
	for (int i = 0; i < n; i++)
		ts_record_encode(&plan[i], c + (size_t)i * TS_RECORD_SIZE);
	struct jb jc = {c, nrec};
	struct ts_journal_state after;
	if (ts_journal_scan(jread, &jc, nrec, use, &after) != TS_OK)
		abort();
	if (after.has_min != st.has_min ||
	    ts_journal_min_counter(&after) != ts_journal_min_counter(&st))
		abort(); /* compaction lost or changed the minimum */
	if (after.has_newest != st.has_newest ||
	    (st.has_newest && !same(&after.newest, &st.newest)))
		abort(); /* compaction changed the decision */
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (after.has_slot[s] != st.has_slot[s] ||
		    (st.has_slot[s] && !same(&after.slot[s], &st.slot[s])))
			abort();

	if (nrec >= TS_JOURNAL_WRITE_MAX && st.max_seq < 0xFFFFFFF0u) {
		struct ts_record add[2];
		memset(add, 0, sizeof(add));
		add[0].seq = st.max_seq + 1;
		add[0].type = TS_REC_PENDING;
		add[1] = add[0];
		add[1].seq = st.max_seq + 2;
		add[1].type = TS_REC_CONFIRMED;
		uint8_t k = (uint8_t)(1 + (mode & 1));
		struct ts_journal_write w;
		if (ts_journal_plan_append(&st, nrec, add, k, &w) != TS_OK)
			abort();
		if (w.count > TS_JOURNAL_WRITE_MAX || w.count < k ||
		    (!w.erase && (w.index != st.free_index || w.index + w.count > nrec)) ||
		    (w.erase && w.count > nrec))
			abort();
	}
	free(j);
	free(c);
	return 0;
}
