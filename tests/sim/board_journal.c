/*
 * board_journal FLASH: print the metadata journal of a 1 MB flash file, one
 * line per valid record ("seq=3 confirmed B attempt=0 v=0x01010000"), then
 * a summary line from ts_journal_scan ("valid=3 invalid=0 dirty=0
 * newest=confirmed:B"). A test helper for the board's end-to-end tests.
 */
#include <stdio.h>
#include <string.h>

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
		fprintf(stderr, "usage: board_journal FLASH\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f || fread(flash, 1, sizeof flash, f) != sizeof flash) {
		fprintf(stderr, "board_journal: cannot read 1 MB from %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	for (uint32_t i = 0; i < TS_JOURNAL_RECORDS; i++) {
		struct ts_record r;
		const unsigned char *p = flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + i * TS_RECORD_SIZE;
		if (ts_record_parse(p, &r) == 0)
			printf("seq=%u %s %c attempt=%u v=0x%08x\n", (unsigned)r.seq, tname(r.type),
			       r.slot ? 'B' : 'A', r.attempt, (unsigned)r.version);
	}
	struct ts_journal_state st;
	int rc = ts_journal_scan(rd, NULL, TS_JOURNAL_RECORDS, NULL, &st);
	if (rc) {
		printf("scan error %d\n", rc);
		return 1;
	}
	printf("valid=%u invalid=%u dirty=%d newest=%s:%c\n", (unsigned)st.valid, (unsigned)st.invalid,
	       st.dirty, st.has_newest ? tname(st.newest.type) : "none",
	       st.has_newest ? (st.newest.slot ? 'B' : 'A') : '-');
	return 0;
}
