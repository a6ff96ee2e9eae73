/* Which slots the bootloader hashes at a reset: see twinslot/boot_slots.h. */
#include <string.h>

#include "twinslot/boot_slots.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"

/* May the image in slot s run on its header alone? */
static bool trusted(const struct ts_journal_state *st, enum ts_slot s, const uint8_t *image,
		    const struct ts_image_header *h)
{
	if (!st->has_slot[s])
		return false;
	if (st->slot[s].type == TS_REC_ROLLED_BACK)
		return true; /* never chosen to run */
	if (st->slot[s].type != TS_REC_CONFIRMED)
		return false;
	uint32_t n = h->app_size < TS_BOOT_TAIL_CHECK ? h->app_size : TS_BOOT_TAIL_CHECK;
	return !ts_all_ff(image + TS_IMAGE_HDR_SIZE + h->app_size - n, n);
}

void ts_boot_check_slots(const uint8_t *const slot[TS_SLOT_COUNT], uint32_t slot_len,
			 const uint8_t *journal, uint32_t nrec, struct ts_journal_state *st,
			 struct ts_boot_slots *out, void (*tick)(void))
{
	struct ts_image_header *h = out->hdr;

	memset(out, 0, sizeof(*out));
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		out->verr[s] = ts_image_check_header(slot[s], slot_len, (enum ts_slot)s, &h[s]);
		if (out->verr[s] == TS_OK) {
			out->ids[s].present = true;
			out->ids[s].version = h[s].version;
			out->ids[s].counter = h[s].security_counter;
			memcpy(out->ids[s].hash, h[s].app_sha256, TS_RECORD_HASH_LEN);
		}
	}
	(void)ts_journal_scan_mem(journal, nrec, out->ids, st);

	bool rescan = false;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (!out->ids[s].present || trusted(st, (enum ts_slot)s, slot[s], &h[s]))
			continue;
		out->hashed[s] = true;
		out->hashed_bytes += h[s].app_size;
		out->verr[s] = ts_image_check_hash(slot[s], &h[s], tick);
		if (out->verr[s] != TS_OK) {
			out->ids[s].present = false;
			rescan = true;
		}
	}
	if (rescan)
		(void)ts_journal_scan_mem(journal, nrec, out->ids, st);
}
