/*
 * Reading the metadata journal (flash sector 11) over the ROM bootloader
 * without reading its 128 KB: binary search for the end (ts_journal_find_end,
 * about 12 probes, each a Read Memory of one 32-byte record: 44 bytes on the
 * line instead of 268 for a block), then records read back from the end, 8
 * per Read Memory, until each slot's newest live record is found (and, when
 * a slot holds an image with a security counter above 0, the newest
 * MIN_COUNTER record) or `back_max` records were read. The result has the
 * shape of ts_journal_scan()'s, with `complete`
 * telling whether every record was seen (then it equals a full scan).
 *
 * Caller: the chip is synced (struct ts_an3155). No allocation.
 */
#ifndef TWINSLOT_JOURNAL_REMOTE_H
#define TWINSLOT_JOURNAL_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "twinslot/an3155.h"
#include "twinslot/journal.h"

/* A ts_journal_read_fn over AN3155 with a one-block cache (256 bytes).
 * With `narrow` set, a read the cache does not hold reads only the bytes
 * asked for and leaves the cache as it was (scattered probes). */
struct ts_remote_reader {
	struct ts_an3155 *rom;
	bool narrow;
	uint32_t cached_off;  /* offset of cache[], or UINT32_MAX */
	uint32_t reads;       /* Read Memory commands issued */
	uint8_t cache[TS_AN3155_BLOCK_MAX];
};

void ts_remote_reader_init(struct ts_remote_reader *r, struct ts_an3155 *rom);
int ts_remote_read(void *ctx, uint32_t off, void *buf, uint32_t len);
/* Forget the cache (after writing to the journal). */
void ts_remote_reader_invalidate(struct ts_remote_reader *r);

/* The cheap read described above. `ids` are the images in the slots. */
int ts_journal_read_remote(struct ts_remote_reader *r, const struct ts_slot_id *ids,
			   uint32_t back_max, struct ts_journal_state *st,
			   bool *complete, uint32_t *records_read);

#endif
