/* An application's update service for the host engine's unit tests: it
 * answers the app path's frames (twinslot/appupd.h, the shared codec) on the
 * fake board's console line and writes into its flash model as the
 * firmware's service does: erase at BEGIN, program DATA in order, check the
 * hash at END, header last, PENDING through the journal planner. Faults:
 * drop chosen DATA frames (loss), stop answering after N frames, NAK
 * BEGIN. It is a test double of the protocol, not the firmware. */
#ifndef TS_TEST_FAKE_APP_H
#define TS_TEST_FAKE_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_board.h"
#include "twinslot/appupd.h"
#include "twinslot/sha256.h"

struct fake_app {
	struct fake_board *fb;
	int running_slot;
	uint32_t running_version, product_id, max_baud;
	uint8_t window;
	uint16_t max_data;
	/* faults */
	uint32_t drop_data[8];    /* drop the DATA frames with these ordinals (1-based) */
	unsigned ndrop;
	long silent_after;        /* stop answering after this many frames; -1 never */
	int nak_begin;            /* non-zero: NAK BEGIN with this ts_err */
	/* state */
	struct ts_appupd_dec dec;
	uint8_t rx[TS_APPUPD_PAYLOAD_MAX];
	uint8_t out[8192];
	size_t out_len, out_pos;
	char last[TS_APPUPD_OFFER_LEN];
	bool session, begun;
	uint8_t hdr[512];
	uint32_t image_len, next;
	struct ts_sha256 sha;
	unsigned boots_seen;
	uint8_t seq;
	/* what happened */
	uint32_t frames, data_frames, dropped, acks, baud, erases, restarts, aborts;
	bool committed;
};

/* Attach an app running `slot` at `version` to fb. */
void fake_app_attach(struct fake_app *a, struct fake_board *fb, int slot, uint32_t version,
		     uint32_t product);

#endif
