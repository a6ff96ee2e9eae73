/*
 * The polling agent's decisions: what one poll of the release manifest does.
 *
 *   HEAD manifest (If-None-Match: the remembered ETag)
 *     304, or the same ETag           -> UNCHANGED: that one request is all
 *   GET manifest (If-Match), parse and validate it strictly, then skip
 *   (remembered, never retried) a manifest for another product, a version
 *   that already failed its trial on this board, or one not newer than the
 *   board's; otherwise install it: connect to the board, stream the image
 *   for the target slot from S3 in bounded pieces (Range requests, checked
 *   against the manifest's size and SHA-256 before the last bytes reach the
 *   engine) into ts_update_install, restart, and learn the outcome. An image
 *   that neither confirms nor fails (it feeds the watchdog but never
 *   confirms) gets an NRST pulse after each outcome time-out, so each pulse
 *   is one more trial ATTEMPT, until the bootloader rolls back (or
 *   max_resets pulses are spent).
 *   The verdict is stored per ETag in the port's store (agent.* keys) and,
 *   optionally, written to S3 as <report_prefix>/<device>.json.
 * Transient failures (network, board not answering) are retried on later
 * polls, at most max_tries times per ETag, then remembered as failed. After
 * each failed poll the wait before the next one doubles (back-off, capped at
 * max_backoff_ms); any other verdict ends the back-off.
 *
 * Caller's contract: ts_agent_init() with a port that has store ops (or
 * nothing is remembered across restarts), an initialised S3 client (its own
 * port with the http op) and an initialised update engine. One thread. The
 * struct holds every buffer (about 14 KB: the manifest's text and one
 * download piece); no allocation. The daemon loop, signals and
 * configuration belong to the platform (tools/twinslot/cmd_agent.c).
 */
#ifndef TWINSLOT_AGENT_H
#define TWINSLOT_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/manifest.h"
#include "twinslot/port.h"
#include "twinslot/s3.h"
#include "twinslot/sha256.h"
#include "twinslot/update.h"

#define TS_AGENT_PIECE 8192        /* bytes per ranged GET of an image */
#define TS_AGENT_DEVICE_MAX 64

struct ts_agent_cfg {
	const char *manifest_key;   /* "fw/manifest.json" */
	const char *product;        /* the manifest's product must match; NULL: any */
	const char *device;         /* names the report; NULL: "device" */
	const char *report_prefix;  /* PUT <prefix>/<device>.json; NULL/"": no report */
	uint32_t interval_ms;       /* between polls (60000) */
	uint32_t jitter_ms;         /* +- this much, uniformly (interval / 10) */
	uint32_t max_resets;        /* NRST pulses for an image with no verdict (5) */
	uint32_t max_tries;         /* transient failures per ETag before giving up (3) */
	uint32_t max_backoff_ms;    /* cap of the back-off after failed polls (3600000) */
	bool allow_downgrade;       /* install a version not newer than the board's */
};

enum ts_agent_verdict {
	TS_AGENT_UNCHANGED,    /* nothing new: one HEAD */
	TS_AGENT_SKIPPED,      /* new manifest, nothing to install (remembered) */
	TS_AGENT_CONFIRMED,    /* installed, booted, confirmed */
	TS_AGENT_ROLLED_BACK,  /* installed, failed its trial, the board went back */
	TS_AGENT_NO_VERDICT,   /* installed, no verdict after max_resets pulses */
	TS_AGENT_FAILED,       /* could not complete (S3, board); see msg */
	TS_AGENT_STOPPED,      /* the engine's stop flag was raised: stopped at a safe
	                          point, the board back in its application; not a
	                          failure of the release (tried again next time) */
};

struct ts_agent;

/* The board step of an update (connect, install, restart, outcome), given a
 * validated manifest in a->m. Returns the verdict; fills a->msg. The default
 * is ts_agent_install(); tests replace it. */
typedef enum ts_agent_verdict (*ts_agent_install_fn)(struct ts_agent *a);

struct ts_agent {
	struct ts_agent_cfg cfg;
	const struct ts_port *port;   /* store, clock, log */
	struct ts_s3 *s3;
	struct ts_update *u;
	ts_agent_install_fn install;
	void *user;                   /* for replacement install functions */

	/* remembered in the store */
	char etag[TS_S3_ETAG_MAX];    /* the last manifest ETag settled */
	bool has_failed;
	uint32_t failed_version;      /* the last version that failed its trial */
	bool has_board_version;
	uint32_t board_version;       /* what the board was last seen running */

	/* the poll in progress / last poll */
	char new_etag[TS_S3_ETAG_MAX];
	struct ts_manifest m;
	enum ts_agent_verdict verdict;
	uint32_t resets;              /* NRST pulses in the last outcome wait */
	char try_etag[TS_S3_ETAG_MAX];
	uint32_t tries;               /* transient failures of try_etag */
	uint32_t polls, heads, updates;
	uint32_t fail_streak;         /* failed polls in a row (the back-off) */
	char msg[320];                /* the last poll's result, for people */

	/* working memory */
	char text[TS_MANIFEST_MAX + 1];
	size_t text_len;
	/* image stream */
	const struct ts_manifest_image *img;
	char img_etag[TS_S3_ETAG_MAX];
	uint64_t img_off;             /* bytes fetched so far */
	size_t piece_len, piece_pos;
	struct ts_sha256 sha;
	uint32_t pieces, piece_retries;
	uint8_t piece[TS_AGENT_PIECE];
};

void ts_agent_default_cfg(struct ts_agent_cfg *cfg);

/* Load the remembered state from the port's store. */
int ts_agent_init(struct ts_agent *a, const struct ts_agent_cfg *cfg,
		  const struct ts_port *port, struct ts_s3 *s3, struct ts_update *u);

/* One poll; returns the verdict (also in a->verdict), a->msg says more. */
enum ts_agent_verdict ts_agent_poll(struct ts_agent *a);

/* The default board step (see the top). */
enum ts_agent_verdict ts_agent_install(struct ts_agent *a);

/* Milliseconds to wait before the next poll, for a uniform random rnd:
 * interval - jitter .. interval + jitter (jitter capped at interval). */
uint32_t ts_agent_delay_ms(const struct ts_agent_cfg *cfg, uint32_t rnd);

/* The wait before the next poll: ts_agent_delay_ms, doubled for each of the
 * a->fail_streak failed polls in a row, at most cfg.max_backoff_ms (but
 * never less than the plain delay). */
uint32_t ts_agent_next_delay_ms(const struct ts_agent *a, uint32_t rnd);

const char *ts_agent_verdict_name(enum ts_agent_verdict v); /* "confirmed", ... */

#endif
