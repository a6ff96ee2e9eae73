/*
 * Board speed: how many emulated instructions per second the board runs,
 * unpaced, with its normal instrumentation (instruction count per translated
 * block, slices of 2 ms board time). Usage: bench_board LOOP.bin [SECONDS]
 */
#define _GNU_SOURCE /* clock_gettime, mkstemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board/board.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_board LOOP.bin [SECONDS]\n");
		return 2;
	}
	double secs = argc > 2 ? atof(argv[2]) : 3.0;
	char path[] = "/tmp/bench_board_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	static uint8_t img[0x100000];
	memset(img, 0xFF, sizeof img);
	FILE *f = fopen(argv[1], "rb");
	if (!f || fread(img, 1, 0x4000, f) == 0) {
		fprintf(stderr, "bench_board: cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	if (write(fd, img, sizeof img) != (ssize_t)sizeof img)
		return 1;
	close(fd);

	static struct board b;
	struct board_opts o = { .flash_path = path, .rom_time_permille = 1000 };
	if (board_open(&b, &o, NULL))
		return 1;
	board_power_on(&b);
	double t0 = now_s(), t;
	uint64_t c0 = b.cycles;
	do {
		board_service(&b);
		board_run(&b, board_now(&b) + 2000000ull);
		t = now_s();
	} while (t - t0 < secs && b.mode == BOARD_CPU);
	uint64_t n = b.cycles - c0;
	uint32_t r0 = 0;
	uc_reg_read(b.uc, UC_ARM_REG_R0, &r0);
	printf("board: %s, %.0f million emulated instructions in %.2f s: %.1f million instructions/s "
	       "(mode at end: %s)\n", argv[1], n / 1e6, t - t0, n / (t - t0) / 1e6,
	       board_mode_name(b.mode));
	/* the loop adds 1 to r0 every 10 instructions: the count must agree */
	printf("board: count check: 10 x r0 = %.0f million, counted %.0f million (%+.3f%%)\n",
	       r0 * 10.0 / 1e6, n / 1e6, (n - r0 * 10.0) / (r0 * 10.0) * 100);
	board_close(&b);
	remove(path);
	char opt[64];
	snprintf(opt, sizeof opt, "%s.opt", path);
	remove(opt);
	return b.mode == BOARD_CPU ? 0 : 1;
}
