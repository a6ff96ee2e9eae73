/*
 * The metadata journal in flash sector 11: an append-only log of 32-byte
 * records. docs/format.md specifies the bytes; docs/journal.md argues why a
 * power cut at any point leaves a bootable board.
 *
 * A record is *valid* when its magic, CRC and fields check. A valid record is
 * *live* when it names the image that is in its slot now (same version and
 * hash prefix); records about images that have since been replaced are
 * stale and never drive a decision. The newest live record (highest seq)
 * wins; per slot, the newest live record gives that slot's state.
 *
 * The scanner reads through a callback so the same code runs on memory-mapped
 * flash (bootloader), over the ROM bootloader's UART (host) and on buffers
 * (tests). No allocation; freestanding.
 */
#ifndef TWINSLOT_JOURNAL_H
#define TWINSLOT_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "twinslot/layout.h"

#define TS_JOURNAL_MAGIC   0x524A5754u /* "TWJR" in flash byte order */
#define TS_RECORD_SIZE     32u
#define TS_JOURNAL_RECORDS (TS_JOURNAL_SIZE / TS_RECORD_SIZE) /* 4096 */
#define TS_RECORD_HASH_LEN 12u

enum ts_rec_type {
	TS_REC_PENDING = 1,     /* host committed a new image: try it */
	TS_REC_ATTEMPT = 2,     /* bootloader is trying it (attempt n) */
	TS_REC_CONFIRMED = 3,   /* the image proved healthy */
	TS_REC_ROLLED_BACK = 4, /* the image failed (or was refused) */
	TS_REC_MIN_COUNTER = 5, /* the minimum security counter: `version`
	                           holds it; `slot` and `hash` name the image
	                           that raised it. Never stale, never newest */
};

struct ts_record {
	uint32_t seq;      /* 1, 2, 3, ... increasing through the sector's life */
	uint8_t type;      /* enum ts_rec_type */
	uint8_t slot;      /* enum ts_slot */
	uint8_t attempt;   /* ATTEMPT: 1..255; every other type: 0 */
	uint32_t version;  /* packed version of the image the record is about */
	uint8_t hash[TS_RECORD_HASH_LEN]; /* first bytes of its app SHA-256 */
};

/* Identity of the image now in a slot, as the scanner compares records to. */
struct ts_slot_id {
	bool present;      /* a valid image is in the slot */
	uint32_t version;
	uint8_t hash[TS_RECORD_HASH_LEN];
	uint32_t counter;  /* its security counter (header 0x1C) */
};

void ts_record_encode(const struct ts_record *r, uint8_t out[TS_RECORD_SIZE]);

/* TS_OK, TS_ERR_BLANK (all 0xFF), TS_ERR_MAGIC, TS_ERR_CRC or TS_ERR_INVAL
 * (unknown type, slot out of range, seq 0 or 0xFFFFFFFF, attempt rule). */
int ts_record_parse(const uint8_t in[TS_RECORD_SIZE], struct ts_record *r);

/* Does valid record r name the image identified by id? */
bool ts_record_matches(const struct ts_record *r, const struct ts_slot_id *id);

/* Read len bytes at byte offset off of the journal sector into buf.
 * Returns TS_OK or a negative ts_err (which aborts the scan). */
typedef int (*ts_journal_read_fn)(void *ctx, uint32_t off, void *buf, uint32_t len);

struct ts_journal_state {
	uint32_t free_index;   /* first record position after the last non-blank
	                          one; TS_JOURNAL_RECORDS when the sector is full */
	uint32_t max_seq;      /* highest seq among valid records (0: none) */
	uint32_t valid;        /* valid records (live or stale) */
	uint32_t invalid;      /* non-blank positions that failed to parse */
	bool dirty;            /* a blank position precedes a non-blank one:
	                          the append-only order is broken (for example
	                          by a torn erase); compact before appending */
	bool has_newest;
	struct ts_record newest;            /* newest live record */
	uint32_t newest_index;              /* its position */
	bool has_slot[TS_SLOT_COUNT];
	struct ts_record slot[TS_SLOT_COUNT]; /* newest live record per slot */
	uint32_t slot_index[TS_SLOT_COUNT];   /* their positions */
	bool has_min;                        /* a valid MIN_COUNTER record seen */
	struct ts_record min;                /* the one with the highest value
	                                        (min.version); any slot content */
	uint32_t min_index;                  /* its position */
};

/* The minimum security counter the journal holds (0 without a record). */
static inline uint32_t ts_journal_min_counter(const struct ts_journal_state *st)
{
	return st->has_min ? st->min.version : 0u;
}

/*
 * Scan `nrec` record positions (TS_JOURNAL_RECORDS for the real sector).
 * `ids` gives the images now in the slots (array of TS_SLOT_COUNT); NULL
 * treats every valid record as live (for inspection tools).
 */
int ts_journal_scan(ts_journal_read_fn read, void *ctx, uint32_t nrec,
		    const struct ts_slot_id *ids, struct ts_journal_state *st);

/*
 * ts_journal_scan() over a journal mapped in memory (the bootloader reads
 * the sector in place): the same state, faster (a blank position costs one
 * 32-byte compare, nothing is copied). mem must be 4-byte aligned and hold
 * nrec records. Returns TS_OK.
 */
int ts_journal_scan_mem(const uint8_t *mem, uint32_t nrec, const struct ts_slot_id *ids,
			struct ts_journal_state *st);

/*
 * Fold the record bytes at position `index` into st, in any order: count
 * them valid or invalid, raise max_seq, and keep a live record as newest
 * (overall and for its slot) when its seq is higher, or equal at a later
 * position. Every journal reader goes through this, so all decide alike.
 * Leaves free_index and dirty to the caller. Returns ts_record_parse()'s
 * result (TS_ERR_BLANK for an erased position, which changes nothing).
 */
int ts_journal_note(struct ts_journal_state *st, uint32_t index,
		    const uint8_t rec[TS_RECORD_SIZE], const struct ts_slot_id *ids);

/*
 * Find free_index by binary search, reading O(log nrec) records, assuming
 * the journal is in append-only order (not dirty). For hosts that read the
 * journal over a slow link. Returns TS_OK and *free_index.
 */
int ts_journal_find_end(ts_journal_read_fn read, void *ctx, uint32_t nrec,
			uint32_t *free_index);

/*
 * Records to write back after erasing the sector, with their seq numbers
 * kept, so the compacted journal yields the same decision and the same
 * minimum: first the MIN_COUNTER record with the highest value (so the
 * minimum is missing for as short a time as possible), then the newest live
 * record of each slot, newest first (so a cut during the rewrite keeps the
 * work in progress; on a seq tie the overall newest goes last, to stay
 * newest). Returns how many (0..TS_JOURNAL_KEEP_MAX).
 */
#define TS_JOURNAL_KEEP_MAX (TS_SLOT_COUNT + 1)
int ts_journal_plan_compaction(const struct ts_journal_state *st,
			       struct ts_record out[TS_JOURNAL_KEEP_MAX]);

/* How to append records: the one place that decides between appending at
 * the free position and compacting (erase, rewrite, append). */
#define TS_JOURNAL_WRITE_MAX (TS_JOURNAL_KEEP_MAX + 2)
struct ts_journal_write {
	bool erase;        /* erase the journal sector first */
	uint32_t index;    /* program rec[0] at this position, rec[1] after... */
	uint8_t count;
	struct ts_record rec[TS_JOURNAL_WRITE_MAX];
};

/*
 * Plan appending n (1..2) new records, whose seq the caller has set above
 * st->max_seq. Appends at free_index when the sector is clean and has room;
 * otherwise (full, or dirty) plans a compaction: erase, the records of
 * ts_journal_plan_compaction(), then the new ones. Writers program the
 * records in order, each one whole before the next. Returns TS_OK or
 * TS_ERR_INVAL.
 */
int ts_journal_plan_append(const struct ts_journal_state *st, uint32_t nrec,
			   const struct ts_record *recs, uint8_t n,
			   struct ts_journal_write *w);

#endif
