/*
 * journal_fill: bring a board's journal (sector 11 of its 1 MB flash file)
 * close to full without changing what it says, so that the next writers
 * (host, bootloader, application) must compact it. Used by the soak to make
 * compaction happen many times in an hour instead of once per 4,096 records.
 *
 * It appends, at the free position, copies of the newest live record of each
 * slot with fresh seq numbers (the overall newest one last, so it stays the
 * newest): the per-slot states and the boot decision stay exactly as they
 * were. It only does so when that is certainly neutral: the journal is clean
 * (not dirty, no invalid record) and each slot's newest live record is
 * CONFIRMED or ROLLED_BACK (no trial or PENDING in progress, whose attempt
 * count a copy could disturb). The board must be powered off meanwhile.
 *
 * usage: journal_fill FLASH.bin LEAVE
 *   LEAVE: free record positions to leave (0..4000)
 * Prints "filled N records, LEAVE free"; exit 0, 1 when it refuses (the file
 * is not touched), 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"

static uint8_t *flash;

static int read_journal(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	memcpy(buf, flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static int refuse(const char *why)
{
	fprintf(stderr, "journal_fill: refused: %s (nothing written)\n", why);
	return 1;
}

int main(int argc, char **argv)
{
	char *end;
	long leave = argc == 3 ? strtol(argv[2], &end, 10) : -1;
	if (argc != 3 || *end || leave < 0 || leave > 4000) {
		fprintf(stderr, "usage: journal_fill FLASH.bin LEAVE (0..4000)\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size != TS_FLASH_SIZE) {
		fprintf(stderr, "journal_fill: %s: %s\n", argv[1],
			fd < 0 ? strerror(errno) : "not a 1 MiB flash file");
		return 2;
	}
	flash = mmap(NULL, TS_FLASH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (flash == MAP_FAILED) {
		perror("journal_fill: mmap");
		return 2;
	}

	struct ts_slot_id ids[TS_SLOT_COUNT] = { 0 };
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		struct ts_image_header h;
		const uint8_t *img = flash + (ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE);
		if (ts_image_validate(img, TS_SLOT_SIZE, (enum ts_slot)s, &h, NULL) == TS_OK) {
			ids[s].present = true;
			ids[s].version = h.version;
			memcpy(ids[s].hash, h.app_sha256, TS_RECORD_HASH_LEN);
		}
	}
	struct ts_journal_state j;
	if (ts_journal_scan(read_journal, NULL, TS_JOURNAL_RECORDS, ids, &j) != TS_OK)
		return refuse("journal scan failed");
	if (j.dirty || j.invalid)
		return refuse("the journal is dirty or holds invalid records");
	if (!j.has_newest)
		return refuse("no live record");
	int order[TS_SLOT_COUNT], n = 0;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (!j.has_slot[s])
			continue;
		if (j.slot[s].type != TS_REC_CONFIRMED && j.slot[s].type != TS_REC_ROLLED_BACK)
			return refuse("a trial or a PENDING record is in progress");
		if (s != j.newest.slot)
			order[n++] = s;
	}
	order[n++] = j.newest.slot;

	uint32_t seq = j.max_seq, at = j.free_index, written = 0;
	while (at + (uint32_t)n + (uint32_t)leave <= TS_JOURNAL_RECORDS) {
		for (int i = 0; i < n; i++) {
			struct ts_record r = j.slot[order[i]];
			r.seq = ++seq;
			ts_record_encode(&r, flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) +
						     at++ * TS_RECORD_SIZE);
			written++;
		}
	}
	if (msync(flash, TS_FLASH_SIZE, MS_SYNC))
		perror("journal_fill: msync");
	printf("filled %u records, %u free\n", (unsigned)written,
	       (unsigned)(TS_JOURNAL_RECORDS - at));
	return 0;
}
