/*
 * The boot decision, apart from the hardware (as MCUboot's bootutil): a pure
 * function of which slots hold a valid image and what the journal says. It
 * lives in lib/ so that the bootloader, `twinslot status` and the host tests
 * compile the same C. No allocation, no I/O; freestanding.
 *
 * The caller validates both slots (header, slot, vectors, SHA-256), scans the
 * journal with their identities, calls ts_boot_decide(), appends plan.rec[]
 * in order, then acts: RUN jumps, TRIAL starts the watchdog and jumps, HALT
 * stays in the bootloader reporting. If appending fails (a flash fault), it
 * calls again with journal_failed set: an attempt that cannot be counted is
 * never started when a confirmed image is there to run instead (no endless
 * trial loop); otherwise the candidate still runs under the watchdog.
 * docs/bootloader.md has the table.
 */
#ifndef TWINSLOT_BOOT_H
#define TWINSLOT_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "twinslot/journal.h"
#include "twinslot/layout.h"

/* N, the trial boots of an unconfirmed image before rollback. A firmware
 * build setting (firmware/CMakeLists.txt defines it for every file it
 * compiles); host code that predicts a board's boot assumes the default.
 * ts_boot_decide() itself reads only ts_boot_input.max_attempts. */
#ifndef TS_MAX_ATTEMPTS
#define TS_MAX_ATTEMPTS 3
#endif

enum ts_boot_action {
	TS_BOOT_RUN,   /* jump to a confirmed image */
	TS_BOOT_TRIAL, /* start the watchdog, jump to an unconfirmed image */
	TS_BOOT_HALT,  /* nothing to boot: stay, report, wait for the host */
};

enum ts_boot_reason {
	TS_WHY_CONFIRMED,     /* newest record: the slot is confirmed */
	TS_WHY_PENDING,       /* newest record: a new image, first attempt */
	TS_WHY_RETRY,         /* a trial continues: attempt n of N */
	TS_WHY_NO_RECORD,     /* no live record: highest valid version, on trial */
	TS_WHY_ROLLBACK,      /* trial failed N times: rolled back to the other */
	TS_WHY_ROLLED_BACK,   /* newest record: the other slot was rolled back */
	TS_WHY_ALL_FAILED,    /* the only candidates were rolled back */
	TS_WHY_NOTHING_VALID, /* no slot holds a valid image */
	TS_WHY_JOURNAL_FAILED,/* the journal could not be written */
	TS_WHY_BELOW_MIN,     /* the other slot's security counter is below the
	                         journal's minimum: rolled back */
	TS_WHY_ALL_BELOW_MIN, /* every valid image is below the minimum (or
	                         rolled back) */
};

struct ts_boot_input {
	struct ts_slot_id ids[TS_SLOT_COUNT];  /* from full image validation,
	                                          counter included: an image
	                                          whose counter is below the
	                                          journal's minimum is never
	                                          booted (docs/security.md) */
	const struct ts_journal_state *journal; /* scanned with ids */
	uint8_t max_attempts;                  /* N, at least 1 */
	bool journal_failed;  /* appending the previous plan's records failed:
	                         decide again without writing anything */
};

struct ts_boot_plan {
	enum ts_boot_action action;
	enum ts_slot slot;           /* RUN/TRIAL: the slot to jump to */
	enum ts_boot_reason reason;
	uint8_t attempt;             /* TRIAL: this attempt's number */
	uint8_t nrec;                /* records to append first, in order */
	struct ts_record rec[2];     /* seq numbers already assigned */
};

void ts_boot_decide(const struct ts_boot_input *in, struct ts_boot_plan *plan);

/* Is the image in slot s (present) below the journal's minimum security
 * counter, so that ts_boot_decide() will never boot it? */
bool ts_boot_below_min(const struct ts_boot_input *in, enum ts_slot s);

/* Short text for a reason, e.g. "confirmed". Never NULL. */
const char *ts_boot_reason_str(enum ts_boot_reason r);

/*
 * The boot note: on a plain boot of a confirmed image (RUN, reason
 * CONFIRMED, nothing written) the bootloader does not print its console
 * line, which takes 3.7 ms at 115200, but leaves it here for the
 * application to print (firmware/client: ts_client_boot_note()). Every other
 * boot prints its line itself and clears the note. The top 128 bytes of
 * SRAM, which the linker scripts of the bootloader and the applications
 * (firmware/ld) leave out, the stack starting below them (CCM RAM would
 * do on silicon, but QEMU's STM32F405 has none). text holds len characters
 * (the line with its '\n'), crc is ts_crc32 over them.
 */
#define TS_BOOT_NOTE_ADDR  (TS_SRAM_BASE + TS_SRAM_SIZE - 128u)
#define TS_BOOT_NOTE_MAGIC 0x4E425354u /* "TSBN" */
#define TS_BOOT_NOTE_TEXT  116u
struct ts_boot_note {
	uint32_t magic;
	uint32_t len;
	uint32_t crc;
	char text[TS_BOOT_NOTE_TEXT];
};
_Static_assert(sizeof(struct ts_boot_note) == 128, "the note is 128 bytes");

#endif
