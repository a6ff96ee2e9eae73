/*
 * Appending records to the metadata journal in flash sector 11, shared by the
 * bootloader and the client library. The journal's format and the power-loss
 * argument are in docs/format.md and docs/journal.md.
 *
 * The caller scans the journal (ts_journal_scan with ts_journal_read_mapped
 * and the identities of the images in the slots) right before appending and
 * passes that state, with new records whose seq it set above st->max_seq.
 * ts_journal_plan_append() decides where they go: at the free position, or,
 * when the sector is full or its order is broken (dirty), after a compaction
 * (erase sector 11, rewrite each slot's newest live record with its seq
 * kept, then the new records). Each record is programmed whole, in order,
 * and read back before the next. Every write goes to a position the scan
 * saw blank and that reads blank now, never over old bytes.
 */
#ifndef TWINSLOT_FW_JOURNAL_WRITE_H
#define TWINSLOT_FW_JOURNAL_WRITE_H

#include <stdint.h>

#include "twinslot/journal.h"

/* ts_journal_read_fn over the memory-mapped sector 11 (ctx unused). */
int ts_journal_read_mapped(void *ctx, uint32_t off, void *buf, uint32_t len);

/* Append n (1..2) records. TS_OK, or the flash driver's error (TS_ERR_FLASH,
 * TS_ERR_TIMEOUT), TS_ERR_STATE when a target position is not blank,
 * TS_ERR_INVAL for bad arguments. */
int ts_journal_append(const struct ts_journal_state *st,
		      const struct ts_record *recs, uint8_t n);

#endif
