/*
 * turnaround PTY BAUD BITS [N]: the virtual board's own latency per AN3155
 * turnaround. Against a board started with --realtime --baud BAUD --bits
 * BITS --boot0 1 (its ROM bootloader), sync once, then N Get Version round
 * trips (2 bytes out; ACK, version, 2 option bytes, ACK back). Prints the
 * wire time of those 7 bytes, the median and 90th percentile round trip,
 * and the excess over the wire (the board's latency plus this process's).
 * The ROM model answers Get Version at once (no modelled ROM time).
 * SPIN=1 in the environment: this process polls without sleeping, so its
 * own wake-up latency is not in the figure (run the board with --spin-us
 * too, and what is left is the board's work and its wake-up on input).
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int spin;

static int read_n(int fd, uint8_t *b, size_t n, int timeout_ms)
{
	size_t got = 0;
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		int pr = poll(&p, 1, spin ? 0 : timeout_ms);
		if (pr == 0 && spin && now_ns() < end)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: turnaround PTY BAUD BITS [N]\n");
		return 2;
	}
	unsigned baud = (unsigned)atoi(argv[2]), bits = (unsigned)atoi(argv[3]);
	int n = argc > 4 ? atoi(argv[4]) : 200;
	spin = getenv("SPIN") && atoi(getenv("SPIN")) == 1;
	int fd = open(argv[1], O_RDWR | O_NOCTTY);
	struct termios t;
	if (fd < 0 || tcgetattr(fd, &t) != 0 || n < 1 || n > 100000) {
		perror(argv[1]);
		return 1;
	}
	cfmakeraw(&t);
	tcsetattr(fd, TCSANOW, &t);
	uint8_t b[8] = { 0x7F };
	usleep(200000); /* the ROM's start-up */
	tcflush(fd, TCIFLUSH);
	if (write(fd, b, 1) != 1 || read_n(fd, b, 1, 2000) || (b[0] != 0x79 && b[0] != 0x1F)) {
		fprintf(stderr, "turnaround: no answer to sync\n");
		return 1;
	}
	uint64_t *rtt = calloc((size_t)n, sizeof *rtt);
	for (int i = 0; i < n; i++) {
		static const uint8_t gv[2] = { 0x01, 0xFE };
		uint64_t t0 = now_ns();
		if (write(fd, gv, 2) != 2 || read_n(fd, b, 5, 2000) || b[0] != 0x79 || b[4] != 0x79) {
			fprintf(stderr, "turnaround: Get Version %d failed\n", i);
			return 1;
		}
		rtt[i] = now_ns() - t0;
	}
	qsort(rtt, (size_t)n, sizeof *rtt, cmp_u64);
	double wire = 7.0 * bits / baud * 1e6, med = (double)rtt[n / 2] / 1e3,
	       p90 = (double)rtt[n * 9 / 10] / 1e3;
	printf("Get Version at %u baud, %u bits a byte, %d round trips%s:\n", baud, bits, n,
	       spin ? " (this process spinning)" : "");
	printf("  wire time (7 bytes)   %8.1f us\n", wire);
	printf("  round trip median     %8.1f us   90th percentile %8.1f us\n", med, p90);
	printf("  excess over the wire  %8.1f us at the median (%.2f us per turnaround: one)\n",
	       med - wire, med - wire);
	free(rtt);
	return 0;
}
