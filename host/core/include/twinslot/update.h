/*
 * The update engine: enter the STM32's ROM bootloader, find out what the
 * board holds (slot headers and the journal, read cheaply), install an image
 * into the slot that is not running, commit it with one PENDING record, and
 * learn the outcome of its trial boot.
 *
 * Steps (each a function, so hosts can interleave their own work, e.g. pick
 * the release file for the target slot between connect and install):
 *   ts_update_connect   BOOT0 high, NRST pulse, sync, Get ID, voltage range,
 *                       read slot headers and the journal, pick the target
 *   ts_update_install   check the image header against the board BEFORE
 *                       erasing (slot, size, product, version), erase only
 *                       the sectors the image needs, stream the body in
 *                       256-byte blocks (hashing, skipping all-0xFF blocks),
 *                       verify the hash (optionally read back), write the
 *                       header last, append PENDING (compacting if needed)
 *   ts_update_restart   BOOT0 low, NRST pulse: the board boots the journal's
 *                       choice
 *   ts_update_wait_outcome  watch the console for the bootloader's line and
 *                       the application's confirmation, or (after the
 *                       time-out, if configured) re-enter the ROM and read
 *                       the journal
 * Service operations (status, confirm, rollback) use connect + append.
 *
 * Contract: no allocation; memory is this struct (a few KB) whatever the
 * image size. Every failure returns a negative ts_err and leaves a sentence in
 * u->msg; u->phase says how far it got, so callers know whether flash was
 * touched (phase < TS_PHASE_ERASE: it was not), and u->committed whether a
 * record was appended. A stop request (u->stop) ends any step at a safe
 * point with TS_ERR_CANCELED: nothing half-committed.
 */
#ifndef TWINSLOT_UPDATE_H
#define TWINSLOT_UPDATE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/an3155.h"
#include "twinslot/app_path.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/port.h"

/* Where image bytes come from (a file, an HTTP body, ...): read fills buf
 * with up to n bytes and returns the count, 0 at the end, or a negative
 * ts_err. Bytes arrive in order, once. rewind (optional) starts the bytes over
 * from the first: the app path falls back to the ROM with it when the app
 * failed before committing anything. */
struct ts_source {
	long (*read)(void *arg, uint8_t *buf, size_t n);
	void *arg;
	int (*rewind)(void *arg); /* optional: TS_OK or a negative ts_err */
};

/* Read exactly n bytes from src unless it ends first: the count read, or a
 * negative ts_err. */
long ts_source_read_full(const struct ts_source *src, uint8_t *buf, size_t n);

#define TS_UPDATE_KEYS_MAX 4

struct ts_update_cfg {
	uint32_t baud;              /* ROM bootloader link, 8E1 (115200) */
	uint32_t console_baud;      /* firmware console, 8N1 (115200) */
	bool voltage_range;         /* select 2.7-3.6 V: x32 programming (true) */
	bool allow_any_pid;         /* accept a chip other than 0x413 */
	bool force;                 /* allow downgrade / same version / other product */
	bool read_back;             /* read the written image back and hash it */
	uint32_t product_id;        /* expected product; 0: the board's image's */
	uint32_t reset_ms;          /* NRST low time (10) */
	uint32_t outcome_timeout_ms;/* console watch; 0: do not wait (20000) */
	bool outcome_journal;       /* no verdict on the console: read the journal
	                               (re-enters the ROM: counts as a trial reset) */
	uint32_t journal_back_max;  /* records read back from the journal's end (256) */
	bool verify_slots;          /* read both slot bodies and hash them (slow: up to
	                               768 KB over the UART); else images are known
	                               by their headers only */
	/* Authenticity, checked before anything is erased (docs/security.md):
	 * an image must carry an ECDSA P-256 signature over SHA-256 of its
	 * header's bytes 0x00-0x3F by one of these keys (65-byte uncompressed
	 * points; several, so keys can be rotated), found by the key id the
	 * header names. The port's crypto concern verifies. */
	uint8_t keys[TS_UPDATE_KEYS_MAX][TS_PUBKEY_LEN];
	unsigned nkeys;
	/* Accept an unsigned image, and a signed one when no key is configured,
	 * with a warning each time. Never accepts a bad signature or one by a
	 * key that is not trusted while keys are configured. Off by default. */
	bool allow_unsigned;
	/* Which path (app_path.h): TS_PATH_ROM by default here; the tools and
	 * the agent default to TS_PATH_AUTO. */
	enum ts_path path;
	uint32_t app_baud;          /* highest baud asked of the app (1000000) */
	struct ts_an3155_cfg rom;
};

/* Add a trusted key (a 65-byte uncompressed P-256 point): TS_OK, TS_ERR_FULL
 * (already TS_UPDATE_KEYS_MAX), TS_ERR_INVAL (not 0x04 || X || Y). */
int ts_update_add_key(struct ts_update_cfg *cfg, const uint8_t point[TS_PUBKEY_LEN]);

enum ts_phase {
	TS_PHASE_CONNECT,  /* entering the ROM, identifying, reading the board */
	TS_PHASE_CHECK,    /* checking the image against the board */
	TS_PHASE_ERASE,    /* flash is being changed from here on */
	TS_PHASE_WRITE,
	TS_PHASE_VERIFY,
	TS_PHASE_COMMIT,   /* appending the journal record */
	TS_PHASE_RESTART,
	TS_PHASE_OUTCOME,
	TS_PHASE_DONE,
};

enum ts_outcome {
	TS_OUTCOME_UNKNOWN,     /* not waited for */
	TS_OUTCOME_CONFIRMED,   /* the new image booted and confirmed itself */
	TS_OUTCOME_ROLLED_BACK, /* the bootloader went back to the other slot */
	TS_OUTCOME_TIMEOUT,     /* no verdict within the time-out */
};

/* What the board holds, read in the ROM bootloader. */
struct ts_board {
	uint16_t pid;
	uint8_t bl_version;
	int hdr_err[TS_SLOT_COUNT];          /* TS_OK, TS_ERR_BLANK, ... */
	struct ts_image_header hdr[TS_SLOT_COUNT];
	struct ts_slot_id ids[TS_SLOT_COUNT];
	bool body_checked[TS_SLOT_COUNT];    /* the body was read and hashed */
	int body_err[TS_SLOT_COUNT];         /* then: TS_OK, TS_ERR_HASH or
	                                        TS_ERR_VECTOR (ids[].present false) */
	struct ts_journal_state journal;     /* per slot: newest live record */
	bool journal_complete;               /* every record was read */
	uint32_t journal_records_read;
	bool has_running;
	enum ts_slot running;                /* the slot the board runs (or will
	                                        fall back to): never overwritten */
	enum ts_slot target;                 /* the slot an update goes to */
};

struct ts_update {
	const struct ts_port *port;
	struct ts_update_cfg cfg;
	struct ts_an3155 rom;
	struct ts_board board;
	enum ts_phase phase;
	bool in_rom;
	/* Set by the caller (e.g. from a signal handler): the engine stops at its
	 * next safe point (between sectors and blocks, before the header, before
	 * the record, while waiting) with TS_ERR_CANCELED. NULL: never. */
	const volatile sig_atomic_t *stop;
	bool committed;                     /* a journal record was appended */
	bool commit_unsure;                 /* a record write failed midway: it may
	                                       be in the journal (see status) */
	/* Set by the caller before install when something else names the image
	 * (the agent: the manifest): its signed header must say the same
	 * version and product id, else it is refused before erasing. */
	bool expect;
	uint32_t expect_version;
	uint32_t expect_product_id;
	/* the image being installed */
	struct ts_image_header img;
	uint8_t img_hdr[TS_IMAGE_HDR_SIZE];
	uint32_t bytes_written;             /* bytes sent with Write Memory */
	uint32_t blocks_skipped;            /* all-0xFF blocks not sent */
	uint8_t block[TS_AN3155_BLOCK_MAX];
	enum ts_outcome outcome;
	char console_line[160];             /* last console line seen */
	struct ts_app app;                  /* the app path's state (app_path.h) */
	bool fell_back;                     /* auto: the app path failed, the ROM took over */
	char msg[256];                      /* last error, for people */
};

void ts_update_default_cfg(struct ts_update_cfg *cfg);
void ts_update_init(struct ts_update *u, const struct ts_port *port,
		    const struct ts_update_cfg *cfg);

int ts_update_enter_rom(struct ts_update *u);   /* reset into ROM, sync, ID */
int ts_update_read_board(struct ts_update *u);  /* headers, journal, target */
int ts_update_connect(struct ts_update *u);     /* both of the above */

/* Read the header from src and check it against the board: TS_OK, or a
 * refusal (u->msg says why); nothing is written. Called by install. */
int ts_update_check(struct ts_update *u, const struct ts_source *src);
/* check, erase, write, verify, commit PENDING. */
int ts_update_install(struct ts_update *u, const struct ts_source *src);

/* Append one record of `type` about the image now in `slot` (CONFIRMED,
 * ROLLED_BACK or PENDING), at the journal's end or after a compaction. */
int ts_update_append(struct ts_update *u, enum ts_rec_type type, enum ts_slot slot);

int ts_update_restart(struct ts_update *u);     /* BOOT0 low, NRST pulse */
int ts_update_wait_outcome(struct ts_update *u);

/* connect, install, restart, wait_outcome. */
int ts_update_flash(struct ts_update *u, const struct ts_source *src);

const char *ts_outcome_name(enum ts_outcome o);  /* "confirmed", ... */
const char *ts_phase_name(enum ts_phase p);      /* "connect", ... */
const char *ts_rec_type_name(int type);          /* "PENDING", ... */

#endif
