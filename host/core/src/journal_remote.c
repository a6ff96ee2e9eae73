/* Cheap journal reading over AN3155 (see journal_remote.h). */
#include "twinslot/journal_remote.h"

#include <string.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"

void ts_remote_reader_init(struct ts_remote_reader *r, struct ts_an3155 *rom)
{
	memset(r, 0, sizeof(*r));
	r->rom = rom;
	r->cached_off = UINT32_MAX;
}

void ts_remote_reader_invalidate(struct ts_remote_reader *r)
{
	r->cached_off = UINT32_MAX;
}

int ts_remote_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	struct ts_remote_reader *r = ctx;
	uint8_t *out = buf;
	while (len) {
		uint32_t base = off - off % TS_AN3155_BLOCK_MAX;
		if (base >= TS_JOURNAL_SIZE)
			return TS_ERR_INVAL;
		if (r->narrow && r->cached_off != base && len <= TS_AN3155_BLOCK_MAX &&
		    off + len <= TS_JOURNAL_SIZE) {
			/* A probe: only its bytes, the cache untouched. */
			int err = ts_an3155_read_memory(r->rom, TS_JOURNAL_ADDR + off, out, len);
			if (err)
				return err;
			r->reads++;
			return TS_OK;
		}
		if (r->cached_off != base) {
			int err = ts_an3155_read_memory(r->rom, TS_JOURNAL_ADDR + base, r->cache,
							TS_AN3155_BLOCK_MAX);
			if (err) {
				r->cached_off = UINT32_MAX;
				return err;
			}
			r->cached_off = base;
			r->reads++;
		}
		uint32_t in = off - base, n = TS_AN3155_BLOCK_MAX - in;
		if (n > len)
			n = len;
		memcpy(out, r->cache + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return TS_OK;
}

static bool all_found(const struct ts_journal_state *st, const struct ts_slot_id *ids)
{
	bool counters = false;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (ids[s].present && !st->has_slot[s])
			return false;
		counters |= ids[s].present && ids[s].counter > 0;
	}
	/* The minimum security counter: only an image with a counter above 0
	 * can have raised it (it is raised to the confirming image's counter,
	 * and an image below it never runs), so with such an image in a slot
	 * read on to the newest MIN_COUNTER record, the highest (the client
	 * writes one after every CONFIRMED once it is not 0). */
	return !counters || st->has_min;
}

/* The end of the journal, and whether its order is broken. */
static int probe_end(struct ts_remote_reader *r, struct ts_journal_state *st, uint32_t *endp)
{
	uint32_t end;
	int err = ts_journal_find_end(ts_remote_read, r, TS_JOURNAL_RECORDS, &end);
	if (err)
		return err;
	*endp = end;

	/* The binary search assumes append order. The one break of it our
	 * writers can leave is a torn compaction erase: an erased prefix with
	 * old records after it. Two probes catch it whichever way the search
	 * went: position 0 blank before a non-blank end, or the last position
	 * non-blank after a blank end. The caller then reads everything. */
	uint8_t p[TS_RECORD_SIZE];
	if (end > 0) {
		if ((err = ts_remote_read(r, 0, p, TS_RECORD_SIZE)) != TS_OK)
			return err;
		if (ts_record_parse(p, &(struct ts_record){ 0 }) == TS_ERR_BLANK)
			st->dirty = true;
	}
	if (end < TS_JOURNAL_RECORDS) {
		if ((err = ts_remote_read(r, (TS_JOURNAL_RECORDS - 1u) * TS_RECORD_SIZE, p,
					  TS_RECORD_SIZE)) != TS_OK)
			return err;
		if (ts_record_parse(p, &(struct ts_record){ 0 }) != TS_ERR_BLANK)
			st->dirty = true;
	}
	return TS_OK;
}

int ts_journal_read_remote(struct ts_remote_reader *r, const struct ts_slot_id *ids,
			   uint32_t back_max, struct ts_journal_state *st,
			   bool *complete, uint32_t *records_read)
{
	uint32_t end = 0;

	memset(st, 0, sizeof(*st));
	*records_read = 0;
	/* The search and its two checks touch one record each in scattered
	 * blocks: read only those records. */
	r->narrow = true;
	int err = probe_end(r, st, &end);
	r->narrow = false;
	if (err)
		return err;
	st->free_index = end;

	uint32_t i = end;
	while (i > 0 && *records_read < back_max) {
		i--;
		uint8_t b[TS_RECORD_SIZE];
		if ((err = ts_remote_read(r, i * TS_RECORD_SIZE, b, TS_RECORD_SIZE)) != TS_OK)
			return err;
		(*records_read)++;
		if (ts_journal_note(st, i, b, ids) == TS_ERR_BLANK)
			st->dirty = true; /* a hole before the end: order broken */
		if (st->has_newest && all_found(st, ids))
			break; /* each slot's newest live record (and the minimum) found */
	}
	/* Complete only when the order held: with a hole, records may lie
	 * beyond the end the binary search found. */
	*complete = *records_read == end && !st->dirty;
	return TS_OK;
}
