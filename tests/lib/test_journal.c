/*
 * Metadata journal: record bytes match docs/format.md (an encoder and a
 * parser written here from the spec), round trip, every single-bit flip
 * detected, every torn write skipped (byte prefix, word by word, partially
 * programmed word, any partial bit subset), the scan against a reference
 * model on random logs, find_end against the scan, and compaction keeping
 * the decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"
#include "twinslot/version.h"
#include "tutil.h"

#define RS ((int)TS_RECORD_SIZE)

/* ---- the spec, written independently of lib/src/journal.c ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void spec_encode(const struct ts_record *r, uint8_t b[RS])
{
	memcpy(b, "TWJR", 4);
	put32(b + 4, r->seq);
	b[8] = r->type;
	b[9] = r->slot;
	b[10] = r->attempt;
	b[11] = 0;
	put32(b + 12, r->version);
	memcpy(b + 16, r->hash, 12);
	put32(b + 28, ts_crc32(0, b, 28));
}

static bool spec_blank(const uint8_t *b)
{
	for (unsigned i = 0; i < RS; i++)
		if (b[i] != 0xFF)
			return false;
	return true;
}

static bool spec_valid(const uint8_t b[RS], struct ts_record *r)
{
	if (memcmp(b, "TWJR", 4) != 0 || get32(b + 28) != ts_crc32(0, b, 28))
		return false;
	uint32_t seq = get32(b + 4);
	if (seq == 0 || seq == 0xFFFFFFFFu || b[8] < 1 || b[8] > 5 || b[9] > 1 || b[11] != 0)
		return false;
	if (b[8] == 2 ? b[10] == 0 : b[10] != 0)
		return false;
	r->seq = seq;
	r->type = b[8];
	r->slot = b[9];
	r->attempt = b[10];
	r->version = get32(b + 12);
	memcpy(r->hash, b + 16, 12);
	return true;
}

struct model {
	uint32_t free_index, max_seq, valid, invalid;
	bool dirty, has_newest, has_slot[2], has_min;
	struct ts_record newest, slot[2];
	uint32_t min; /* the highest MIN_COUNTER value, whatever the slots hold */
};

/* Newest = highest seq among live records; on equal seq the later
 * position wins (docs/format.md). */
static void model_scan(const uint8_t *j, uint32_t nrec, const struct ts_slot_id *ids,
		       struct model *m)
{
	memset(m, 0, sizeof(*m));
	uint32_t first_blank = UINT32_MAX;
	for (uint32_t i = 0; i < nrec; i++) {
		const uint8_t *b = j + (size_t)i * RS;
		if (spec_blank(b)) {
			if (first_blank == UINT32_MAX)
				first_blank = i;
			continue;
		}
		m->free_index = i + 1;
		if (first_blank < i)
			m->dirty = true;
		struct ts_record r;
		if (!spec_valid(b, &r)) {
			m->invalid++;
			continue;
		}
		m->valid++;
		if (r.seq > m->max_seq)
			m->max_seq = r.seq;
		if (r.type == 5) { /* MIN_COUNTER: never stale, never newest */
			if (!m->has_min || r.version > m->min)
				m->min = r.version;
			m->has_min = true;
			continue;
		}
		if (ids) {
			const struct ts_slot_id *id = &ids[r.slot];
			if (!id->present || id->version != r.version ||
			    memcmp(id->hash, r.hash, 12) != 0)
				continue;
		}
		if (!m->has_newest || r.seq >= m->newest.seq) {
			m->has_newest = true;
			m->newest = r;
		}
		if (!m->has_slot[r.slot] || r.seq >= m->slot[r.slot].seq) {
			m->has_slot[r.slot] = true;
			m->slot[r.slot] = r;
		}
	}
}

/* ---- a journal in a buffer ---- */

struct jbuf {
	uint8_t *b;
	uint32_t nrec;
	uint32_t reads;
	int fail_at;   /* read number that fails with TS_ERR_IO, or -1 */
};

static int jread(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	struct jbuf *j = ctx;
	if ((uint64_t)off + len > (uint64_t)j->nrec * RS)
		fail_msg("read of %u bytes at %u outside the %u-record journal", len, off, j->nrec);
	if (j->fail_at >= 0 && (int)j->reads == j->fail_at)
		return TS_ERR_IO;
	j->reads++;
	memcpy(buf, j->b + off, len);
	return TS_OK;
}

static void assert_rec_equal(const struct ts_record *a, const struct ts_record *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->attempt, b->attempt);
	assert_int_equal(a->version, b->version);
	assert_memory_equal(a->hash, b->hash, 12);
}

static void assert_state_matches(const struct ts_journal_state *st, const struct model *m)
{
	assert_int_equal(st->free_index, m->free_index);
	assert_int_equal(st->max_seq, m->max_seq);
	assert_int_equal(st->valid, m->valid);
	assert_int_equal(st->invalid, m->invalid);
	assert_int_equal(st->dirty, m->dirty);
	assert_int_equal(st->has_newest, m->has_newest);
	if (m->has_newest)
		assert_rec_equal(&st->newest, &m->newest);
	for (int s = 0; s < 2; s++) {
		assert_int_equal(st->has_slot[s], m->has_slot[s]);
		if (m->has_slot[s])
			assert_rec_equal(&st->slot[s], &m->slot[s]);
	}
	assert_int_equal(st->has_min, m->has_min);
	assert_int_equal(ts_journal_min_counter(st), m->min);
}

static struct ts_record rec(uint32_t seq, uint8_t type, uint8_t slot, uint32_t version,
			    uint8_t hash_seed)
{
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.type = type;
	r.slot = slot;
	r.attempt = type == TS_REC_ATTEMPT ? 1 : 0;
	r.version = version;
	for (int i = 0; i < 12; i++)
		r.hash[i] = (uint8_t)(hash_seed * 31 + i * 17);
	return r;
}

static struct ts_slot_id id_of(const struct ts_record *r)
{
	struct ts_slot_id id;
	id.present = true;
	id.version = r->version;
	memcpy(id.hash, r->hash, 12);
	return id;
}

/* ---- records ---- */

static void record_bytes_match_spec_and_round_trip(void **state)
{
	(void)state;
	struct tu_rng g = {2024};
	for (int it = 0; it < 5000; it++) {
		struct ts_record r, back;
		memset(&r, 0, sizeof(r));
		r.seq = 1 + tu_below(&g, 0xFFFFFFFEu);
		if (it < 4)
			r.seq = (uint32_t[]){1, 2, 0xFFFFFFFEu, 0x80000000u}[it];
		r.type = (uint8_t)(1 + tu_below(&g, 4));
		r.slot = (uint8_t)tu_below(&g, 2);
		r.attempt = r.type == TS_REC_ATTEMPT ? (uint8_t)(1 + tu_below(&g, 255)) : 0;
		r.version = (uint32_t)tu_next(&g);
		tu_fill(&g, r.hash, 12);
		uint8_t got[RS], want[RS];
		memset(got, 0x5A, RS);
		ts_record_encode(&r, got);
		spec_encode(&r, want);
		assert_memory_equal(got, want, RS);
		assert_int_equal(ts_record_parse(got, &back), TS_OK);
		assert_rec_equal(&r, &back);
		assert_true(spec_valid(got, &back));
		struct ts_slot_id id = id_of(&r);
		assert_true(ts_record_matches(&r, &id));
		id.hash[11] ^= 1;
		assert_false(ts_record_matches(&r, &id));
		id = id_of(&r);
		id.version ^= 0x10000;
		assert_false(ts_record_matches(&r, &id));
		id = id_of(&r);
		id.present = false;
		assert_false(ts_record_matches(&r, &id));
	}
	assert_int_equal(TS_JOURNAL_RECORDS, 4096);
}

static void record_every_bit_flip_detected(void **state)
{
	(void)state;
	for (uint8_t type = 1; type <= 4; type++) {
		struct ts_record r = rec(0x12345 + type, type, type & 1, TS_VERSION(1, 2, 3), type), out;
		uint8_t good[RS], b[RS];
		ts_record_encode(&r, good);
		for (int bit = 0; bit < RS * 8; bit++) {
			memcpy(b, good, RS);
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int err = ts_record_parse(b, &out);
			if (err >= 0)
				fail_msg("type %u: flip of bit %d of byte 0x%02X not detected", type,
					 bit % 8, bit / 8);
		}
	}
}

/* A field broken with the CRC recomputed: refused for the field itself. */
static int parse_with_fixed_crc(struct ts_record r, void (*edit)(uint8_t *))
{
	uint8_t b[RS];
	struct ts_record out;
	spec_encode(&r, b);
	edit(b);
	put32(b + 28, ts_crc32(0, b, 28));
	return ts_record_parse(b, &out);
}

static void e_none(uint8_t *b) { (void)b; }
static void e_magic(uint8_t *b) { b[0] = 'X'; }
static void e_seq0(uint8_t *b) { put32(b + 4, 0); }
static void e_seq_ff(uint8_t *b) { put32(b + 4, 0xFFFFFFFFu); }
static void e_type0(uint8_t *b) { b[8] = 0; }
static void e_type5(uint8_t *b) { b[8] = 5; } /* MIN_COUNTER */
static void e_type6(uint8_t *b) { b[8] = 6; }
static void e_type_ff(uint8_t *b) { b[8] = 0xFF; }
static void e_slot2(uint8_t *b) { b[9] = 2; }
static void e_slot_ff(uint8_t *b) { b[9] = 0xFF; }
static void e_attempt1(uint8_t *b) { b[10] = 1; }
static void e_attempt0(uint8_t *b) { b[10] = 0; }
static void e_attempt_ff(uint8_t *b) { b[10] = 0xFF; }
static void e_reserved(uint8_t *b) { b[11] = 1; }
static void e_reserved_ff(uint8_t *b) { b[11] = 0xFF; }

static void record_field_rules(void **state)
{
	(void)state;
	struct ts_record p = rec(5, TS_REC_PENDING, 1, TS_VERSION(2, 0, 0), 1);
	struct ts_record a = rec(6, TS_REC_ATTEMPT, 1, TS_VERSION(2, 0, 0), 1);
	struct ts_record c = rec(7, TS_REC_CONFIRMED, 0, TS_VERSION(2, 0, 0), 1);
	struct ts_record rb = rec(8, TS_REC_ROLLED_BACK, 0, TS_VERSION(2, 0, 0), 1);
	assert_int_equal(parse_with_fixed_crc(p, e_none), TS_OK);
	assert_int_equal(parse_with_fixed_crc(a, e_none), TS_OK);
	assert_int_equal(parse_with_fixed_crc(a, e_attempt_ff), TS_OK); /* attempt 255 */
	assert_int_equal(parse_with_fixed_crc(c, e_none), TS_OK);
	assert_int_equal(parse_with_fixed_crc(rb, e_none), TS_OK);
	assert_int_equal(parse_with_fixed_crc(p, e_magic), TS_ERR_MAGIC);
	assert_int_equal(parse_with_fixed_crc(p, e_seq0), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_seq_ff), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_type0), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_type5), TS_OK);
	assert_int_equal(parse_with_fixed_crc(p, e_type6), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_type_ff), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_slot2), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(c, e_slot_ff), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_attempt1), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(c, e_attempt1), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(rb, e_attempt_ff), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(a, e_attempt0), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(p, e_reserved), TS_ERR_INVAL);
	assert_int_equal(parse_with_fixed_crc(a, e_reserved_ff), TS_ERR_INVAL);

	uint8_t b[RS];
	struct ts_record out;
	memset(b, 0xFF, RS);
	assert_int_equal(ts_record_parse(b, &out), TS_ERR_BLANK);
	b[17] = 0x7F;
	assert_int_equal(ts_record_parse(b, &out), TS_ERR_MAGIC);
	memset(b, 0, RS);
	assert_int_equal(ts_record_parse(b, &out), TS_ERR_MAGIC);
	spec_encode(&p, b);
	b[28] ^= 0x80;
	assert_int_equal(ts_record_parse(b, &out), TS_ERR_CRC);
}

/* ---- torn writes ---- */

/* The journal before the torn append: PENDING, ATTEMPT, CONFIRMED for B. */
#define TORN_AT 3

static void torn_setup(uint8_t *j, uint32_t nrec, struct ts_slot_id ids[2])
{
	memset(j, 0xFF, (size_t)nrec * RS);
	struct ts_record r0 = rec(1, TS_REC_PENDING, 1, TS_VERSION(1, 0, 0), 9);
	struct ts_record r1 = rec(2, TS_REC_ATTEMPT, 1, TS_VERSION(1, 0, 0), 9);
	struct ts_record r2 = rec(3, TS_REC_CONFIRMED, 1, TS_VERSION(1, 0, 0), 9);
	ts_record_encode(&r0, j);
	ts_record_encode(&r1, j + RS);
	ts_record_encode(&r2, j + 2 * RS);
	ids[1] = id_of(&r0);
	/* slot A holds the image the torn record is about */
	struct ts_record a = rec(1, TS_REC_PENDING, 0, TS_VERSION(1, 1, 0), 4);
	ids[0] = id_of(&a);
}

/* Program `target` onto the erased position with only the bits in `mask`
 * taking effect (flash programming can only clear bits). */
static void program(uint8_t *pos, const uint8_t target[RS], const uint8_t mask[RS])
{
	for (unsigned i = 0; i < RS; i++)
		pos[i] &= (uint8_t)(target[i] | ~mask[i]);
}

static int torn_checked;

static void check_torn(uint8_t *j, uint32_t nrec, const struct ts_slot_id ids[2],
		       const uint8_t target[RS], const uint8_t mask[RS], const char *what, int k)
{
	uint8_t *pos = j + TORN_AT * RS;
	memset(pos, 0xFF, RS);
	program(pos, target, mask);
	bool complete = memcmp(pos, target, RS) == 0;
	if (complete)
		return; /* every bit landed: that is a finished write, not a torn one */
	torn_checked++;
	bool blank = spec_blank(pos);
	struct ts_record out;
	int perr = ts_record_parse(pos, &out);
	if (perr == TS_OK)
		fail_msg("torn record (%s %d) parses as valid", what, k);
	struct jbuf jb = {j, nrec, 0, -1};
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(jread, &jb, nrec, ids, &st), TS_OK);
	struct model m;
	model_scan(j, nrec, ids, &m);
	assert_state_matches(&st, &m);
	/* the torn record is never the newest, nor slot A's state */
	assert_true(st.has_newest);
	assert_int_equal(st.newest.seq, 3);
	assert_false(st.has_slot[0]);
	assert_int_equal(st.max_seq, 3);
	assert_int_equal(st.valid, 3);
	assert_int_equal(st.invalid, blank ? 0 : 1);
	assert_int_equal(st.free_index, blank ? TORN_AT : TORN_AT + 1);
	assert_false(st.dirty);
	uint32_t end;
	jb.reads = 0;
	assert_int_equal(ts_journal_find_end(jread, &jb, nrec, &end), TS_OK);
	assert_int_equal(end, st.free_index);
}

static void journal_torn_record_is_skipped(void **state)
{
	(void)state;
	const uint32_t nrec = 8;
	uint8_t j[8 * RS];
	struct ts_slot_id ids[2];
	struct tu_rng g = {31337};
	torn_checked = 0;
	/* several records that could be torn: every type, live for slot A */
	for (uint8_t type = 1; type <= 4; type++) {
		for (int v = 0; v < 3; v++) {
			torn_setup(j, nrec, ids);
			struct ts_record t = rec(4, type, 0, TS_VERSION(1, 1, 0), 4);
			if (v == 1) {
				t.seq = 0x01020304u;
				t.attempt = type == TS_REC_ATTEMPT ? 3 : 0;
			}
			if (v == 2)
				t.seq = 0xFFFFFFFEu;
			ids[0] = id_of(&t);
			uint8_t target[RS], mask[RS];
			ts_record_encode(&t, target);
			/* sanity: written completely, it is valid and wins */
			memset(mask, 0xFF, RS);
			memcpy(j + TORN_AT * RS, target, RS);
			struct jbuf jb = {j, nrec, 0, -1};
			struct ts_journal_state st;
			assert_int_equal(ts_journal_scan(jread, &jb, nrec, ids, &st), TS_OK);
			assert_true(st.has_newest && st.newest.seq == t.seq && st.has_slot[0]);

			/* 1. byte prefix: k bytes programmed, k = 0..31 */
			for (int k = 0; k < (int)RS; k++) {
				memset(mask, 0, RS);
				memset(mask, 0xFF, (size_t)k);
				check_torn(j, nrec, ids, target, mask, "byte prefix", k);
			}
			/* 2. word by word: w whole words, w = 0..7 */
			for (int w = 0; w < 8; w++) {
				memset(mask, 0, RS);
				memset(mask, 0xFF, (size_t)w * 4);
				check_torn(j, nrec, ids, target, mask, "words", w);
				/* 3. then word w partially programmed: some of its bits */
				for (int it = 0; it < 200; it++) {
					uint32_t part = (uint32_t)tu_next(&g);
					if (it < 32)
						part = 1u << it;        /* a single bit */
					else if (it < 64)
						part = ~(1u << (it - 32)); /* all but one bit */
					put32(mask + 4 * w, part);
					check_torn(j, nrec, ids, target, mask, "partial word", w);
				}
			}
			/* 4. any subset of the bits (a write cut at an arbitrary moment) */
			for (int it = 0; it < 500; it++) {
				tu_fill(&g, mask, RS);
				check_torn(j, nrec, ids, target, mask, "random bits", it);
			}
		}
	}
	printf("torn writes checked: %d\n", torn_checked);
	assert_true(torn_checked > 10000);
}

/* ---- random logs against the model ---- */

struct gen {
	struct tu_rng g;
	uint32_t versions[3];
	uint8_t hashes[3][12];
};

static void gen_record(struct gen *G, uint32_t seq, uint8_t *out)
{
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.type = (uint8_t)(1 + tu_below(&G->g, 5)); /* 5: MIN_COUNTER */
	r.slot = (uint8_t)tu_below(&G->g, 2);
	r.attempt = r.type == TS_REC_ATTEMPT ? (uint8_t)(1 + tu_below(&G->g, 5)) : 0;
	r.version = r.type == TS_REC_MIN_COUNTER ? tu_below(&G->g, 4) : G->versions[tu_below(&G->g, 3)];
	memcpy(r.hash, G->hashes[tu_below(&G->g, 3)], 12);
	ts_record_encode(&r, out);
}

static uint32_t gen_log(struct gen *G, uint8_t *j, uint32_t nrec, struct ts_slot_id ids[2])
{
	struct tu_rng *g = &G->g;
	memset(j, 0xFF, (size_t)nrec * RS);
	/* small pools so that records often match the slots, or just miss:
	 * hashes that differ only in their first or in their 12th byte */
	G->versions[0] = TS_VERSION(1, 0, 0);
	G->versions[1] = TS_VERSION(1, 0, 1);
	G->versions[2] = (uint32_t)tu_next(g);
	tu_fill(g, G->hashes[0], 12);
	memcpy(G->hashes[1], G->hashes[0], 12);
	G->hashes[1][11] ^= 0x01;
	memcpy(G->hashes[2], G->hashes[0], 12);
	G->hashes[2][0] ^= 0x80;
	for (int s = 0; s < 2; s++) {
		ids[s].present = tu_below(g, 6) != 0;
		ids[s].version = G->versions[tu_below(g, 2)];
		memcpy(ids[s].hash, G->hashes[tu_below(g, 2)], 12);
	}
	uint32_t used = nrec ? tu_below(g, nrec + 1) : 0;
	bool append_order = tu_below(g, 3) != 0;
	uint32_t seq = tu_below(g, 4) ? 0 : tu_below(g, 2) ? 0xFFFFFFF0u : tu_below(g, 1000);
	for (uint32_t i = 0; i < used; i++) {
		uint8_t *b = j + (size_t)i * RS;
		uint32_t kind = tu_below(g, 100);
		if (append_order)
			seq += tu_below(g, 8) ? 1 : 1 + tu_below(g, 3);
		else
			seq = 1 + tu_below(g, 24); /* shuffled, with ties */
		if (kind < 60) {
			gen_record(G, seq, b);
		} else if (kind < 70) { /* torn: a prefix or a bit subset */
			uint8_t t[RS];
			gen_record(G, seq, t);
			if (tu_below(g, 2)) {
				memcpy(b, t, tu_below(g, RS));
			} else {
				for (unsigned k = 0; k < RS; k++)
					b[k] = (uint8_t)(t[k] | (uint8_t)tu_next(g));
			}
		} else if (kind < 76) { /* one flipped bit */
			gen_record(G, seq, b);
			b[tu_below(g, RS)] ^= (uint8_t)(1u << tu_below(g, 8));
		} else if (kind < 82) { /* a broken field under a good CRC */
			gen_record(G, seq, b);
			switch (tu_below(g, 6)) {
			case 0: put32(b + 4, 0); break;
			case 1: put32(b + 4, 0xFFFFFFFFu); break;
			case 2: b[8] = (uint8_t)(tu_below(g, 2) ? 0 : 6 + tu_below(g, 249)); break;
			case 3: b[9] = (uint8_t)(2 + tu_below(g, 254)); break;
			case 4: b[10] = b[8] == TS_REC_ATTEMPT ? 0 : 1; break;
			default: b[11] = (uint8_t)(1 + tu_below(g, 255)); break;
			}
			put32(b + 28, ts_crc32(0, b, 28));
		} else if (kind < 86) { /* garbage */
			tu_fill(g, b, RS);
		} else if (kind < 90) { /* 0x00: a word programmed over */
			memset(b, 0, RS);
		} else if (kind < 92) { /* edge seqs that are valid */
			gen_record(G, tu_below(g, 2) ? 1 : 0xFFFFFFFEu, b);
		}
		/* else: a dirty hole (left erased) */
	}
	return used;
}

static void check_log(uint8_t *j, uint32_t nrec, const struct ts_slot_id *ids, uint8_t *scratch)
{
	struct jbuf jb = {j, nrec, 0, -1};
	struct ts_journal_state st;
	memset(&st, 0xA5, sizeof(st));
	assert_int_equal(ts_journal_scan(jread, &jb, nrec, ids, &st), TS_OK);
	assert_int_equal(jb.reads > 0 || nrec == 0, true);
	struct model m;
	model_scan(j, nrec, ids, &m);
	assert_state_matches(&st, &m);
	if (!m.dirty) {
		uint32_t end = 0xDEAD;
		jb.reads = 0;
		assert_int_equal(ts_journal_find_end(jread, &jb, nrec, &end), TS_OK);
		assert_int_equal(end, m.free_index);
	}

	/* compaction: erase, write the plan in its order, rescan */
	struct ts_record plan[TS_JOURNAL_KEEP_MAX];
	int n = ts_journal_plan_compaction(&st, plan);
	assert_int_equal(n, (int)m.has_min + (int)m.has_slot[0] + (int)m.has_slot[1]);
	if (m.has_min) { /* the minimum first */
		assert_int_equal(plan[0].type, TS_REC_MIN_COUNTER);
		assert_int_equal(plan[0].version, m.min);
	}
	memset(scratch, 0xFF, (size_t)nrec * RS);
	for (int i = 0; i < n; i++) {
		if (i > (int)m.has_min) /* newest first; on a seq tie the overall newest last */
			assert_true(plan[i - 1].seq > plan[i].seq ||
				    (plan[i - 1].seq == plan[i].seq &&
				     plan[i].slot == st.newest.slot));
		ts_record_encode(&plan[i], scratch + (size_t)i * RS);
	}
	struct jbuf jc = {scratch, nrec, 0, -1};
	struct ts_journal_state after;
	assert_int_equal(ts_journal_scan(jread, &jc, nrec, ids, &after), TS_OK);
	assert_int_equal(after.free_index, (uint32_t)n);
	assert_int_equal(after.valid, (uint32_t)n);
	assert_int_equal(after.invalid, 0);
	assert_false(after.dirty);
	assert_int_equal(after.has_min, st.has_min);
	assert_int_equal(ts_journal_min_counter(&after), ts_journal_min_counter(&st));
	for (int s = 0; s < 2; s++) {
		assert_int_equal(after.has_slot[s], st.has_slot[s]);
		if (st.has_slot[s])
			assert_rec_equal(&after.slot[s], &st.slot[s]);
	}
	assert_int_equal(after.has_newest, st.has_newest);
	if (st.has_newest && !(after.newest.seq == st.newest.seq &&
			       after.newest.slot == st.newest.slot))
		fail_msg("compaction changed the newest record: seq %u slot %u before, "
			 "seq %u slot %u after", st.newest.seq, st.newest.slot,
			 after.newest.seq, after.newest.slot);
	if (st.has_newest)
		assert_rec_equal(&after.newest, &st.newest);
}

static void journal_scan_matches_model_on_random_logs(void **state)
{
	(void)state;
	static uint8_t j[300 * RS], scratch[300 * RS];
	struct gen G = {{0x10C0FFEEu}, {0}, {{0}}};
	for (int it = 0; it < 2000; it++) {
		uint32_t nrec = tu_below(&G.g, 10) ? tu_below(&G.g, 40) : tu_below(&G.g, 301);
		struct ts_slot_id ids[2];
		gen_log(&G, j, nrec, ids);
		check_log(j, nrec, ids, scratch);
		check_log(j, nrec, NULL, scratch); /* inspection: every valid record live */
	}
}

/* A read error stops the scan and find_end with that error. */
static void journal_read_error_is_returned(void **state)
{
	(void)state;
	uint8_t j[8 * RS];
	struct ts_slot_id ids[2];
	torn_setup(j, 8, ids);
	for (int at = 0; at < 8; at++) {
		struct jbuf jb = {j, 8, 0, at};
		struct ts_journal_state st;
		assert_int_equal(ts_journal_scan(jread, &jb, 8, ids, &st), TS_ERR_IO);
	}
	struct jbuf jb = {j, 8, 0, 0};
	uint32_t end;
	assert_int_equal(ts_journal_find_end(jread, &jb, 8, &end), TS_ERR_IO);
}

/* ---- find_end ---- */

static void fill_nonblank(struct tu_rng *g, uint8_t *b, uint32_t seq)
{
	struct ts_record r = rec(seq, (uint8_t)(1 + seq % 4), seq & 1, seq, (uint8_t)seq);
	ts_record_encode(&r, b);
	switch (tu_below(g, 5)) {
	case 0: memset(b + 1 + tu_below(g, RS - 1), 0xFF, 1); break; /* torn */
	case 1: memset(b + 1, 0xFF, RS - 1); break;                /* 1 byte written */
	case 2: memset(b, 0xFF, RS - 1); b[RS - 1] = 0xFE; break;   /* last bit only */
	default: break;
	}
}

static unsigned log2_ceil(uint32_t n)
{
	unsigned k = 0;
	while ((1ull << k) < n)
		k++;
	return k;
}

static void journal_find_end_equals_scan(void **state)
{
	(void)state;
	static uint8_t j[TS_JOURNAL_RECORDS * RS];
	struct tu_rng g = {555};
	for (uint32_t nrec = 0; nrec <= 40; nrec++) {
		for (uint32_t k = 0; k <= nrec; k++) {
			memset(j, 0xFF, (size_t)nrec * RS);
			for (uint32_t i = 0; i < k; i++)
				fill_nonblank(&g, j + (size_t)i * RS, i + 1);
			struct jbuf jb = {j, nrec, 0, -1};
			uint32_t end = 0xDEAD;
			assert_int_equal(ts_journal_find_end(jread, &jb, nrec, &end), TS_OK);
			assert_int_equal(end, k);
			assert_true(jb.reads <= log2_ceil(nrec + 1));
			struct ts_journal_state st;
			jb.reads = 0;
			assert_int_equal(ts_journal_scan(jread, &jb, nrec, NULL, &st), TS_OK);
			assert_int_equal(st.free_index, k);
			assert_false(st.dirty);
		}
	}
	/* the real sector: every fill level 0..4096 */
	const uint32_t nrec = TS_JOURNAL_RECORDS;
	memset(j, 0xFF, sizeof(j));
	for (uint32_t k = 0; k <= nrec; k++) {
		if (k > 0)
			fill_nonblank(&g, j + (size_t)(k - 1) * RS, k);
		struct jbuf jb = {j, nrec, 0, -1};
		uint32_t end = 0xDEAD;
		assert_int_equal(ts_journal_find_end(jread, &jb, nrec, &end), TS_OK);
		if (end != k)
			fail_msg("find_end: %u, want %u", end, k);
		assert_true(jb.reads <= 13);
		if (k % 512 == 0 || k < 3 || k > nrec - 3) {
			struct ts_journal_state st;
			jb.reads = 0;
			assert_int_equal(ts_journal_scan(jread, &jb, nrec, NULL, &st), TS_OK);
			assert_int_equal(st.free_index, k);
			assert_int_equal(jb.reads, nrec); /* one read per position */
			assert_false(st.dirty);
		}
	}
}

/* ---- compaction, deterministic cases ---- */

/* MIN_COUNTER: any slot content, the highest value wins over later lower
 * ones, a torn one (every prefix of its bytes) changes nothing, never the
 * newest record, kept first by compaction. */
static void min_counter_record_rules(void **state)
{
	(void)state;
	uint8_t j[16 * RS], c[16 * RS];
	struct ts_slot_id ids[2];
	memset(ids, 0, sizeof(ids));
	struct ts_record a1 = rec(1, TS_REC_CONFIRMED, 0, TS_VERSION(1, 0, 0), 1);
	struct ts_record m2 = rec(2, TS_REC_MIN_COUNTER, 0, 7, 1);
	struct ts_record m3 = rec(3, TS_REC_MIN_COUNTER, 1, 5, 9); /* lower, later, stale id */
	ids[0] = id_of(&a1);
	memset(j, 0xFF, sizeof(j));
	ts_record_encode(&a1, j);
	ts_record_encode(&m2, j + RS);
	ts_record_encode(&m3, j + 2 * RS);
	struct ts_record back;
	assert_int_equal(ts_record_parse(j + RS, &back), TS_OK);
	assert_rec_equal(&back, &m2);
	struct jbuf jb = {j, 16, 0, -1};
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_true(st.has_min);
	assert_int_equal(ts_journal_min_counter(&st), 7);
	assert_int_equal(st.min_index, 1);
	assert_int_equal(st.newest.seq, 1); /* CONFIRMED A stays the newest */
	assert_int_equal(st.max_seq, 3);
	assert_int_equal(st.valid, 3);
	struct ts_record plan[TS_JOURNAL_KEEP_MAX];
	assert_int_equal(ts_journal_plan_compaction(&st, plan), 2);
	assert_int_equal(plan[0].type, TS_REC_MIN_COUNTER);
	assert_int_equal(plan[0].seq, 2);
	assert_int_equal(plan[1].seq, 1);
	check_log(j, 16, ids, c);

	/* A torn higher MIN_COUNTER after them: any prefix, the minimum stays 7. */
	struct ts_record m9 = rec(4, TS_REC_MIN_COUNTER, 0, 9, 1);
	uint8_t full[RS];
	ts_record_encode(&m9, full);
	for (unsigned k = 0; k < RS; k++) {
		memset(j + 3 * RS, 0xFF, RS);
		memcpy(j + 3 * RS, full, k);
		assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
		assert_int_equal(ts_journal_min_counter(&st), 7);
	}
	memcpy(j + 3 * RS, full, RS);
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_int_equal(ts_journal_min_counter(&st), 9);
	/* No record: 0. */
	memset(j, 0xFF, sizeof(j));
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_false(st.has_min);
	assert_int_equal(ts_journal_min_counter(&st), 0);
	/* An attempt count on a MIN_COUNTER record is invalid, as on every
	 * type but ATTEMPT. */
	struct ts_record bad = m2;
	bad.attempt = 1;
	ts_record_encode(&bad, full);
	assert_int_equal(ts_record_parse(full, &back), TS_ERR_INVAL);
}

static void journal_compaction_keeps_decision(void **state)
{
	(void)state;
	uint8_t j[16 * RS], c[16 * RS];
	struct ts_slot_id ids[2];
	struct ts_record a1 = rec(1, TS_REC_PENDING, 0, TS_VERSION(1, 0, 0), 1);
	struct ts_record a2 = rec(2, TS_REC_ATTEMPT, 0, TS_VERSION(1, 0, 0), 1);
	struct ts_record a3 = rec(3, TS_REC_CONFIRMED, 0, TS_VERSION(1, 0, 0), 1);
	struct ts_record b4 = rec(4, TS_REC_PENDING, 1, TS_VERSION(1, 1, 0), 2);
	struct ts_record b5 = rec(5, TS_REC_ATTEMPT, 1, TS_VERSION(1, 1, 0), 2);
	memset(j, 0xFF, sizeof(j));
	const struct ts_record *all[] = {&a1, &a2, &a3, &b4, &b5};
	for (int i = 0; i < 5; i++)
		ts_record_encode(all[i], j + i * RS);
	ids[0] = id_of(&a1);
	ids[1] = id_of(&b4);
	struct jbuf jb = {j, 16, 0, -1};
	struct ts_journal_state st;
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_int_equal(st.newest.seq, 5);
	struct ts_record plan[TS_JOURNAL_KEEP_MAX];
	assert_int_equal(ts_journal_plan_compaction(&st, plan), 2);
	assert_int_equal(plan[0].seq, 5); /* newest first, seq kept */
	assert_int_equal(plan[1].seq, 3);
	check_log(j, 16, ids, c);

	/* slot B replaced by another image: its records are stale, only A's kept */
	ids[1].hash[0] ^= 1;
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_int_equal(ts_journal_plan_compaction(&st, plan), 1);
	assert_int_equal(plan[0].seq, 3);
	assert_int_equal(st.max_seq, 5);
	check_log(j, 16, ids, c);

	/* nothing live */
	ids[0].present = false;
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_int_equal(ts_journal_plan_compaction(&st, plan), 0);
	check_log(j, 16, ids, c);

	/* equal seq in both slots (a duplicated seq): the later position wins,
	 * and must still win after compaction (found by the random-log test) */
	struct ts_record b7 = rec(7, TS_REC_CONFIRMED, 1, TS_VERSION(1, 1, 0), 2);
	struct ts_record a7 = rec(7, TS_REC_CONFIRMED, 0, TS_VERSION(1, 0, 0), 1);
	memset(j, 0xFF, sizeof(j));
	ts_record_encode(&b7, j);
	ts_record_encode(&a7, j + RS);
	ids[0] = id_of(&a7);
	ids[1] = id_of(&b7);
	assert_int_equal(ts_journal_scan(jread, &jb, 16, ids, &st), TS_OK);
	assert_int_equal(st.newest.slot, 0);
	assert_int_equal(ts_journal_plan_compaction(&st, plan), 2);
	assert_int_equal(plan[1].slot, 0);
	check_log(j, 16, ids, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_bytes_match_spec_and_round_trip),
		cmocka_unit_test(record_every_bit_flip_detected),
		cmocka_unit_test(record_field_rules),
		cmocka_unit_test(journal_torn_record_is_skipped),
		cmocka_unit_test(journal_scan_matches_model_on_random_logs),
		cmocka_unit_test(journal_read_error_is_returned),
		cmocka_unit_test(journal_find_end_equals_scan),
		cmocka_unit_test(journal_compaction_keeps_decision),
		cmocka_unit_test(min_counter_record_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
