/*
 * board_journal [--live] FLASH: the metadata journal of a 1 MB flash file,
 * read with lib's ts_journal_scan. A test helper for the board, power-cut,
 * host and demo tests.
 *
 * Plain: every valid record counts ("seq=3 confirmed B attempt=0
 * v=0x01010000"), then "valid=3 invalid=0 dirty=0 newest=confirmed:B".
 *
 * --live: as the bootloader sees it. Both slots are validated in full
 * (ts_image_validate, SHA-256 included) and the journal is scanned with
 * their identities, so records about images no longer in their slot are
 * stale: "pos=4094 seq=4095 confirmed A attempt=0 v=0x01000000 live", then
 * "valid=3 invalid=1 dirty=0 free=4 newest=confirmed:B A=confirmed:0
 * B=confirmed:0" (per slot the newest live record's type and attempt count,
 * "none" when there is none), then " min=N" when a MIN_COUNTER record holds a minimum security counter.
 *
 * --next TYPE:SLOT FLASH OUT: what a host that skips every check would
 * append: the record TYPE (pending, attempt, confirmed, rolled_back) about
 * the image now in SLOT (a or b, its header's version and hash), seq one
 * above the highest, written to OUT (32 bytes); prints the flash address of
 * the free position it belongs at. For tests that force a record in through
 * the ROM (stm32flash -e 0).
 */
#include <stdbool.h>
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
	static const char *const n[] = { "?", "pending", "attempt", "confirmed", "rolled_back",
					 "min_counter" };
	return t >= 1 && t <= 5 ? n[t] : "?";
}

/* The identities of the images that validate in full, as the bootloader. */
static void slot_ids(struct ts_slot_id ids[TS_SLOT_COUNT])
{
	memset(ids, 0, sizeof(*ids) * TS_SLOT_COUNT);
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		struct ts_image_header h;
		const unsigned char *img = flash + (ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE);
		if (ts_image_validate(img, TS_SLOT_SIZE, (enum ts_slot)s, &h, NULL) != 0)
			continue;
		ids[s].present = true;
		ids[s].version = h.version;
		ids[s].counter = h.security_counter;
		memcpy(ids[s].hash, h.app_sha256, TS_RECORD_HASH_LEN);
	}
}

static int next_record(const char *spec, const char *out)
{
	char type[16];
	char slot;
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	if (sscanf(spec, "%15[a-z_]:%c", type, &slot) != 2 || (slot != 'a' && slot != 'b')) {
		fprintf(stderr, "board_journal: --next %s: expected TYPE:SLOT\n", spec);
		return 2;
	}
	for (int t = 1; t <= 4; t++)
		if (strcmp(type, tname(t)) == 0)
			r.type = (uint8_t)t;
	if (!r.type) {
		fprintf(stderr, "board_journal: --next %s: unknown type\n", spec);
		return 2;
	}
	r.slot = slot == 'a' ? TS_SLOT_A : TS_SLOT_B;
	r.attempt = r.type == TS_REC_ATTEMPT ? 1 : 0;
	struct ts_image_header h;
	if (ts_image_header_parse(flash + (ts_slot_addr((enum ts_slot)r.slot) - TS_FLASH_BASE), &h)) {
		fprintf(stderr, "board_journal: --next %s: no image header in that slot\n", spec);
		return 1;
	}
	r.version = h.version;
	memcpy(r.hash, h.app_sha256, TS_RECORD_HASH_LEN);
	struct ts_journal_state st;
	if (ts_journal_scan(rd, NULL, TS_JOURNAL_RECORDS, NULL, &st) != 0 || st.dirty ||
	    st.free_index >= TS_JOURNAL_RECORDS) {
		fprintf(stderr, "board_journal: --next: the journal is dirty or full\n");
		return 1;
	}
	r.seq = st.max_seq + 1;
	uint8_t b[TS_RECORD_SIZE];
	ts_record_encode(&r, b);
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(b, 1, sizeof b, f) != sizeof b || fclose(f) != 0) {
		fprintf(stderr, "board_journal: cannot write %s\n", out);
		return 1;
	}
	printf("0x%08x\n", (unsigned)(TS_JOURNAL_ADDR + st.free_index * TS_RECORD_SIZE));
	return 0;
}

int main(int argc, char **argv)
{
	bool live = argc == 3 && strcmp(argv[1], "--live") == 0;
	bool next = argc == 5 && strcmp(argv[1], "--next") == 0;
	if (argc != 2 && !live && !next) {
		fprintf(stderr, "usage: board_journal [--live] FLASH\n"
				"       board_journal --next TYPE:SLOT FLASH OUT\n");
		return 2;
	}
	const char *path = next ? argv[3] : argv[argc - 1];
	FILE *f = fopen(path, "rb");
	if (!f || fread(flash, 1, sizeof flash, f) != sizeof flash) {
		fprintf(stderr, "board_journal: cannot read 1 MB from %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	fclose(f);
	if (next)
		return next_record(argv[2], argv[4]);

	struct ts_slot_id ids[TS_SLOT_COUNT];
	slot_ids(ids);
	for (uint32_t i = 0; i < TS_JOURNAL_RECORDS; i++) {
		struct ts_record r;
		const unsigned char *p = flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + i * TS_RECORD_SIZE;
		if (ts_record_parse(p, &r) != 0)
			continue;
		if (live)
			printf("pos=%u ", (unsigned)i);
		printf("seq=%u %s %c attempt=%u v=0x%08x", (unsigned)r.seq, tname(r.type),
		       r.slot ? 'B' : 'A', r.attempt, (unsigned)r.version);
		if (live && r.type == TS_REC_MIN_COUNTER)
			printf(" counts\n"); /* never stale: v= is the minimum */
		else
			printf(live ? (ts_record_matches(&r, &ids[r.slot]) ? " live\n" : " stale\n") : "\n");
	}
	struct ts_journal_state st;
	if (ts_journal_scan(rd, NULL, TS_JOURNAL_RECORDS, live ? ids : NULL, &st) != 0) {
		printf("scan error\n");
		return 1;
	}
	printf("valid=%u invalid=%u dirty=%d ", (unsigned)st.valid, (unsigned)st.invalid, st.dirty);
	if (live)
		printf("free=%u ", (unsigned)st.free_index);
	printf("newest=%s:%c", st.has_newest ? tname(st.newest.type) : "none",
	       st.has_newest ? (st.newest.slot ? 'B' : 'A') : '-');
	for (int s = 0; live && s < TS_SLOT_COUNT; s++) {
		if (st.has_slot[s])
			printf(" %c=%s:%u", ts_slot_name((enum ts_slot)s), tname(st.slot[s].type),
			       st.slot[s].attempt);
		else
			printf(" %c=none", ts_slot_name((enum ts_slot)s));
	}
	if (live && st.has_min)
		printf(" min=%u", (unsigned)ts_journal_min_counter(&st));
	printf("\n");
	return 0;
}
