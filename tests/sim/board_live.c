/*
 * board_live FLASH: the journal of a 1 MB flash file as the bootloader sees
 * it. Both slots are validated in full (ts_image_validate, SHA-256 included)
 * to get the identities of the images in them, then the journal is scanned
 * with those identities, so records about images that are not in their slot
 * (stale ones) are not live. Prints one line per valid record
 *     pos=4094 seq=4095 confirmed A attempt=0 v=0x01000000 live
 * and a summary line
 *     valid=3 invalid=1 dirty=0 free=4 newest=confirmed:B A=confirmed B=confirmed:0
 * (newest live record overall; per slot the newest live record's type and,
 * after the colon, its attempt count; "none" when there is none).
 * A test helper for the power-cut tests (tests/sim/board_powercut.sh).
 */
#include <stdio.h>
#include <string.h>

#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"

static unsigned char flash[TS_FLASH_SIZE];

static int rd(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	memcpy(buf, flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return 0;
}

static const char *tname(int t)
{
	static const char *const n[] = { "?", "pending", "attempt", "confirmed", "rolled_back" };
	return t >= 1 && t <= 4 ? n[t] : "?";
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: board_live FLASH\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f || fread(flash, 1, sizeof flash, f) != sizeof flash) {
		fprintf(stderr, "board_live: cannot read 1 MB from %s\n", argv[1]);
		if (f)
			fclose(f);
		return 1;
	}
	fclose(f);

	struct ts_slot_id ids[TS_SLOT_COUNT];
	memset(ids, 0, sizeof ids);
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		struct ts_image_header h;
		const unsigned char *img = flash + (ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE);
		if (ts_image_validate(img, TS_SLOT_SIZE, (enum ts_slot)s, &h, NULL) != 0)
			continue;
		ids[s].present = true;
		ids[s].version = h.version;
		memcpy(ids[s].hash, h.app_sha256, TS_RECORD_HASH_LEN);
	}

	for (uint32_t i = 0; i < TS_JOURNAL_RECORDS; i++) {
		struct ts_record r;
		const unsigned char *p = flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + i * TS_RECORD_SIZE;
		if (ts_record_parse(p, &r) == 0)
			printf("pos=%u seq=%u %s %c attempt=%u v=0x%08x %s\n", (unsigned)i,
			       (unsigned)r.seq, tname(r.type), r.slot ? 'B' : 'A', r.attempt,
			       (unsigned)r.version, ts_record_matches(&r, &ids[r.slot]) ? "live" : "stale");
	}
	struct ts_journal_state st;
	if (ts_journal_scan(rd, NULL, TS_JOURNAL_RECORDS, ids, &st) != 0) {
		printf("scan error\n");
		return 1;
	}
	printf("valid=%u invalid=%u dirty=%d free=%u newest=%s:%c", (unsigned)st.valid,
	       (unsigned)st.invalid, st.dirty, (unsigned)st.free_index,
	       st.has_newest ? tname(st.newest.type) : "none",
	       st.has_newest ? (st.newest.slot ? 'B' : 'A') : '-');
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (st.has_slot[s])
			printf(" %c=%s:%u", ts_slot_name((enum ts_slot)s), tname(st.slot[s].type),
			       st.slot[s].attempt);
		else
			printf(" %c=none", ts_slot_name((enum ts_slot)s));
	}
	printf("\n");
	return 0;
}
