/*
 * perf_bound IMAGE ADDR BAUD BITS PSIZE: the fastest an AN3155 client can
 * put IMAGE at ADDR through the virtual board's ROM model, with the board's
 * own numbers (sim/flash.c, sim/rom.h): the ROM start-up, the Extended
 * Erase of every sector the image touches (one command per sector; typical
 * times at PSIZE), and per Write Memory block of n <= 256 bytes the bytes on
 * the wire, 2 (command) + 5 (address) + n + 2 (count, checksum) out and 3
 * ACKs back, at BITS per byte, plus the program time of n bytes at PSIZE
 * (16 us per unit). Nothing else: no Get, no read, no turnaround latency.
 * PSIZE is 8 or 32 (the ROM's x8 after reset, or x32 after the voltage
 * range is set).
 *
 * Prints one line of key=value (microseconds, rounded to the nearest):
 *   bound_us wire_us program_us erase_us startup_us blocks blank_blocks
 *   skip_bound_us (the same, with all-0xFF blocks not sent, as twinslot does)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash.h"
#include "rom.h"
#include "twinslot/layout.h"

static int usage(void)
{
	fprintf(stderr, "usage: perf_bound IMAGE ADDR BAUD BITS PSIZE(8|32)\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 6)
		return usage();
	char *end;
	unsigned long addr = strtoul(argv[2], &end, 0);
	if (*end)
		return usage();
	unsigned long baud = strtoul(argv[3], &end, 10);
	if (*end || !baud)
		return usage();
	unsigned long bits = strtoul(argv[4], &end, 10);
	if (*end || bits < 8 || bits > 12)
		return usage();
	enum sim_psize ps;
	if (strcmp(argv[5], "8") == 0)
		ps = SIM_PSIZE_X8;
	else if (strcmp(argv[5], "32") == 0)
		ps = SIM_PSIZE_X32;
	else
		return usage();
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	/* Byte time in ns, kept as a fraction to sum exactly. */
	const double byte_ns = (double)bits * 1e9 / (double)baud;
	uint8_t b[256];
	size_t n;
	uint64_t size = 0, blocks = 0, blank = 0;
	double wire = 0, prog = 0, wire_skip = 0, prog_skip = 0;
	while ((n = fread(b, 1, sizeof b, f)) > 0) {
		size_t padded = (n + 3) & ~(size_t)3;
		double w = (double)(2 + 5 + padded + 2 + 3) * byte_ns;
		double p = (double)sim_flash_program_ns(ps, (uint32_t)padded);
		bool ff = true;
		for (size_t i = 0; i < n && ff; i++)
			ff = b[i] == 0xFF;
		wire += w;
		prog += p;
		if (!ff) {
			wire_skip += w;
			prog_skip += p;
		} else {
			blank++;
		}
		blocks++;
		size += n;
	}
	fclose(f);
	if (!size || addr < TS_FLASH_BASE || addr + size > TS_FLASH_BASE + TS_FLASH_SIZE) {
		fprintf(stderr, "perf_bound: image empty or outside flash\n");
		return 1;
	}
	double erase = 0;
	for (int s = ts_sector_of((uint32_t)addr); s <= ts_sector_of((uint32_t)(addr + size - 1)); s++)
		erase += (double)sim_flash_erase_ns(s, ps, false);
	double start = (double)SIM_ROM_STARTUP_NS;
	printf("bound_us=%.0f wire_us=%.0f program_us=%.0f erase_us=%.0f startup_us=%.0f "
	       "blocks=%llu blank_blocks=%llu skip_bound_us=%.0f\n",
	       (wire + prog + erase + start) / 1e3, wire / 1e3, prog / 1e3, erase / 1e3,
	       start / 1e3, (unsigned long long)blocks, (unsigned long long)blank,
	       (wire_skip + prog_skip + erase + start) / 1e3);
	return 0;
}
