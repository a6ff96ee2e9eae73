/*
 * twinslot receive service: the application side of the app path
 * (docs/app-update.md). An application calls ts_update_poll() from its main
 * loop; the service watches the console line for the host's offer, answers
 * with HELLO, agrees a baud, erases the slot that is not running, programs
 * the received image at x32 and hashes it as it goes, and on END checks the
 * hash against the header, writes the 512-byte header last and appends the
 * PENDING record through firmware/common/journal_write.c. The restart into
 * the new image happens only when the application agrees (cfg.may_restart;
 * it may defer and call ts_update_restart() later).
 *
 * Any failure (bad frames, a lost host, a hash mismatch, a flash error, a
 * power cut) leaves the running image running and the other slot
 * uncommitted: without a header, or with a header but no PENDING record.
 *
 * The line (struct ts_update_io) is abstract so the logic runs on the host
 * under test; twinslot_update_f407.h gives the chip's (USART polled into a
 * RAM ring that is also filled while the flash is busy). Flash goes through
 * firmware/drivers/flash.h and is read memory-mapped.
 *
 * Caller guarantees: the program runs from a slot, confirmed (BEGIN is
 * refused while the running image is on trial); nothing else writes the
 * flash or uses the console's receive side; ts_update_poll() is called at
 * least once per received byte time while a session runs (the example
 * application's loop does nothing longer than a few microseconds between
 * calls; the RAM ring absorbs up to TS_UPDATE_RING bytes of delay); while
 * ts_update_active() the application writes nothing to the console.
 * No allocation: struct ts_update holds everything (about 9 KB).
 */
#ifndef TWINSLOT_UPDATE_H
#define TWINSLOT_UPDATE_H

#include <stdint.h>

#include "twinslot/appupd.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"

#define TS_UPDATE_WINDOW_MAX 8u

/* The console line. rx: the next received byte or -1; tx: send n bytes
 * (blocking); flush: until the last bit has left; set_baud: switch the
 * USART (both directions); ms: a free-running millisecond clock; reset:
 * restart the chip (does not return on the chip). pump, when not NULL, is
 * called at the few longer steps between two received bytes (a frame's
 * end) so a fast line does not overrun the USART there. */
struct ts_update_io {
	int (*rx)(void *ctx);
	void (*tx)(void *ctx, const uint8_t *p, uint32_t n);
	void (*flush)(void *ctx);
	void (*set_baud)(void *ctx, uint32_t baud);
	uint32_t (*ms)(void *ctx);
	void (*reset)(void *ctx);
	void (*pump)(void *ctx); /* optional: move received bytes aside now (cheap) */
	void *ctx;
};

struct ts_update_cfg {
	enum ts_slot running;    /* the slot this program runs from */
	uint32_t uart_clk_hz;    /* the USART's kernel clock (PCLK2 for USART1) */
	uint32_t console_baud;   /* the console's baud, where sessions start and end */
	uint32_t max_baud;       /* cap on the baud (0: the highest the clock allows) */
	uint32_t max_err_ppm;    /* BRR error allowed (0: 25000 = 2.5 %) */
	uint8_t window;          /* DATA frames per window, 1..TS_UPDATE_WINDOW_MAX (0: max) */
	/* Asked when the host requests the restart (mode TS_APPUPD_RESTART_NOW
	 * or _READY): nonzero restarts now; 0 defers (call ts_update_restart()
	 * later). NULL: always agree. */
	int (*may_restart)(void *ctx, uint8_t mode);
	/* Called between flash operations of long steps (erases, a window's
	 * programming, the commit) so the application can do a little of its
	 * job (LED heartbeat, watchdog). NULL: nothing. Must not touch the
	 * console or the flash. */
	void (*idle)(void *ctx);
	void *app_ctx;
};

enum ts_update_xfer {
	TS_UPD_NONE,       /* no image in transfer */
	TS_UPD_RECEIVING,  /* BEGIN accepted, slot erased, DATA in progress */
	TS_UPD_COMMITTED,  /* DONE(0) sent: header written, PENDING appended */
};

/* What the last session did, for the application's console after it. */
struct ts_update_report {
	int committed;      /* 1: a new image is PENDING in `slot` */
	int err;            /* the last error (TS_OK if none) */
	enum ts_slot slot;  /* the slot written */
	uint32_t version;   /* the version received */
	uint32_t baud;      /* the baud used */
	uint32_t bytes;     /* image bytes programmed */
	int restart_deferred;
};

struct ts_update {
	struct ts_update_cfg cfg;
	struct ts_update_io io;
	int session;             /* a session runs: the line carries frames */
	enum ts_update_xfer xfer;
	int restarted;           /* io.reset returned (host tests only) */
	struct ts_appupd_dec dec;
	uint8_t offer_pos;
	uint8_t window;
	uint32_t max_baud;
	/* the running image */
	uint32_t run_version, run_product;
	uint8_t run_hash[TS_RECORD_HASH_LEN];
	/* baud */
	uint32_t baud, old_baud;
	int baud_unconfirmed;
	uint32_t baud_t0;
	/* timing */
	uint32_t last_rx_ms, last_frame_ms;
	/* the transfer */
	uint8_t hdr_bytes[TS_IMAGE_HDR_SIZE];
	struct ts_image_header hdr;
	enum ts_slot target;
	uint32_t next;          /* image bytes programmed and verified */
	uint32_t expect;        /* offset the next held frame must have */
	struct ts_sha256 sha;
	int done_err;           /* DONE's err once END was answered (1: none yet) */
	/* the window: frames held, in order from `next` */
	uint8_t nwin;
	uint8_t reply_due;      /* a DATA frame was seen since the last answer */
	uint8_t last_seq;
	int win_err;            /* first refusal in this window (TS_ERR_PROTO) */
	uint8_t win[TS_UPDATE_WINDOW_MAX][TS_APPUPD_PAYLOAD_MAX];
	uint16_t wlen[TS_UPDATE_WINDOW_MAX]; /* image bytes in each */
	/* restart and report */
	int restart_pending;
	int report_ready;
	struct ts_update_report report;
	uint8_t txbuf[TS_APPUPD_HEAD_LEN + TS_APPUPD_HELLO_LEN + TS_APPUPD_CRC_LEN];
};

/* Start the service (console mode). TS_OK, or the running slot's header
 * error (the program does not run from a valid slot). */
int ts_update_init(struct ts_update *u, const struct ts_update_cfg *cfg,
		   const struct ts_update_io *io);

/* Handle every byte received so far and the time-outs. Call often. */
void ts_update_poll(struct ts_update *u);

/* Is a session running (the console line carries frames: print nothing)? */
int ts_update_active(const struct ts_update *u);

/* Once after each session ended: what it did (returns 1 and fills *r). */
int ts_update_take_report(struct ts_update *u, struct ts_update_report *r);

/* A committed update waits for the application's restart (it deferred). */
int ts_update_restart_pending(const struct ts_update *u);

/* Restart into the committed update now (flushes the line, then io.reset).
 * TS_ERR_STATE when nothing is committed. Does not return on the chip. */
int ts_update_restart(struct ts_update *u);

/* The highest baud of the protocol's list the USART can do at clk_hz within
 * max_err_ppm (and at most cap, when cap is not 0); 0 if none. */
uint32_t ts_update_best_baud(uint32_t clk_hz, uint32_t max_err_ppm, uint32_t cap);

#endif
