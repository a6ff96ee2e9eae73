/*
 * The update engine's app path (docs/app-update.md): instead of the ROM
 * bootloader, the running application's receive service takes the image
 * over its console line, with the frames of twinslot/appupd.h: offer,
 * HELLO, baud switch, BEGIN (the app erases the inactive slot), windowed
 * DATA with go-back-N retransmission, END (the app checks the hash, writes
 * the header last and appends PENDING), RESTART. The board keeps running
 * its application for the whole transfer; its downtime is one reset.
 *
 * These functions are the engine's steps for that path; update.c calls them
 * from ts_update_connect / install / restart when cfg.path allows it, so
 * callers (twinslot flash, the agent, the ESP32 port) use the same four
 * steps for both paths. The same checks run before BEGIN as before any ROM
 * erase (ts_update_check: signature, slot, product, anti-rollback).
 *
 * Contract: no allocation, no OS call (the port's link and clock only); all
 * state in struct ts_app inside struct ts_update. Every failure returns a
 * negative ts_err and leaves a sentence in u->msg. A failure after BEGIN
 * leaves the running image running: the app commits nothing until END has
 * checked the whole image (u->committed says when it did; a DONE that never
 * came makes u->commit_unsure).
 */
#ifndef TWINSLOT_APP_PATH_H
#define TWINSLOT_APP_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "twinslot/appupd.h"

/* Which path an update takes. */
enum ts_path {
	TS_PATH_ROM,  /* the ROM bootloader (AN3155), as always */
	TS_PATH_AUTO, /* the app's service if it answers the offer, else the ROM */
	TS_PATH_APP,  /* the app's service only: fail when none answers */
};

/* Unacknowledged image bytes the host keeps for go-back-N. */
#define TS_APP_WINDOW_BYTES 8192u

struct ts_app {
	bool active;                  /* a session with the app's service is open */
	bool used;                    /* this update went through the app path */
	bool refused;                 /* the image failed the checks before BEGIN */
	struct ts_appupd_hello hello; /* what the app said */
	uint32_t baud;                /* the line's baud now */
	uint8_t seq;
	struct ts_appupd_dec dec;
	uint8_t rx[TS_APPUPD_PAYLOAD_MAX]; /* decoded payloads */
	uint8_t in[64];                    /* bytes read, not yet decoded */
	uint8_t in_pos, in_len;
	uint8_t tx[TS_APPUPD_FRAME_MAX];   /* the frame being sent */
	uint8_t win[TS_APP_WINDOW_BYTES];  /* image bytes from `acked` on */
	/* statistics */
	uint32_t frames_sent, data_frames, resent_frames, naks, timeouts, bad_frames;
	uint64_t ms_begin, ms_data, ms_end;   /* durations of the phases */
};

struct ts_update;
struct ts_source;

const char *ts_path_name(enum ts_path p);            /* "rom", "auto", "app" */
/* Parse "rom" / "auto" / "app": TS_OK or TS_ERR_INVAL. */
int ts_path_parse(const char *s, enum ts_path *p);

/*
 * Offer an update on the console line (BOOT0 low, the app running, at
 * cfg.console_baud 8N1) and wait for the service's HELLO. TS_OK: u->app is
 * active and u->board says what HELLO said (running slot and version,
 * product, target = the other slot). TS_ERR_NOENT: nothing answered (no
 * app, an app without the service, a bricked slot): nothing was changed.
 */
int ts_app_offer(struct ts_update *u);

/* check (as the ROM path), switch baud, BEGIN, DATA, END. TS_OK: the app
 * committed PENDING for the new image (u->committed). */
int ts_app_install(struct ts_update *u, const struct ts_source *src);

/* Ask the app to restart into the bootloader (RESTART now), then listen at
 * the console baud. Without an answer, BOOT0 low and an NRST pulse. */
int ts_app_restart(struct ts_update *u);

/* Tell the app to drop the session (ABORT) and put the line back at the
 * console baud: after a failure, so the app goes on as before. */
void ts_app_abort(struct ts_update *u);

#endif
