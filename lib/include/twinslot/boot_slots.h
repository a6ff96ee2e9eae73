/*
 * What the bootloader checks of each slot at a reset, and which slots it
 * hashes (docs/bootloader.md, "What is hashed when"; docs/journal.md, rule 2).
 *
 * Every slot gets the cheap checks at every reset: header (magic, CRC,
 * fields), linked for this slot, fits it, plausible vector table. The
 * journal is scanned with the identities the headers give (version and hash
 * prefix; the header CRC binds them), then a slot's application is hashed
 * (SHA-256 against its header) unless its newest live record is
 *   - CONFIRMED and the last 4 bytes of the application are not blank: the
 *     image was hashed on each of its trial boots before it confirmed
 *     itself (MCUboot's "validate the primary slot once"), or
 *   - ROLLED_BACK: such an image is never chosen to run.
 * A slot that fails its hash is not valid, and the journal is scanned again
 * without it, so records about it are stale (rule 2), as before.
 *
 * No allocation, no I/O; freestanding.
 */
#ifndef TWINSLOT_BOOT_SLOTS_H
#define TWINSLOT_BOOT_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"

/* Application bytes at the end of an image that, all 0xFF, mark it as
 * possibly cut short (a sequential write stopped early): hashed even when
 * confirmed. */
#define TS_BOOT_TAIL_CHECK 4u

struct ts_boot_slots {
	struct ts_image_header hdr[TS_SLOT_COUNT]; /* parsed headers: meaningful
	                                 where verr is not a header error */
	struct ts_slot_id ids[TS_SLOT_COUNT]; /* for ts_boot_decide() */
	int verr[TS_SLOT_COUNT];      /* TS_OK, or why the slot is not valid */
	bool hashed[TS_SLOT_COUNT];   /* its SHA-256 was checked at this boot */
	uint32_t hashed_bytes;        /* application bytes hashed in all */
};

/*
 * Check both slots and scan the journal into *st. slot[s] points at slot
 * s's bytes, slot_len readable (TS_SLOT_SIZE in firmware); journal at the
 * nrec records of the journal sector (4-byte aligned; ts_journal_scan_mem).
 * tick (may be NULL) is called between 4 KB chunks of hashing.
 */
void ts_boot_check_slots(const uint8_t *const slot[TS_SLOT_COUNT], uint32_t slot_len,
			 const uint8_t *journal, uint32_t nrec, struct ts_journal_state *st,
			 struct ts_boot_slots *out, void (*tick)(void));

#endif
