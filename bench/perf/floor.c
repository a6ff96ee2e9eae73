/*
 * floor PTY BAUD BLOCKS: the least any AN3155 client can take per 256-byte
 * Write Memory block on this machine, against a board started with
 * --realtime --baud BAUD --bits 11 --boot0 1 and a blank flash. No engine,
 * no port layer: sync, the voltage range (x32), then BLOCKS Write Memory
 * commands of random bytes from 0x08080000 on, each as the protocol asks:
 * 2 bytes, wait for ACK, 5 bytes, ACK, 258 bytes, ACK, with one write() per
 * frame and poll() + read() per ACK. The flash there must be blank (the
 * board's file starts blank: nothing to erase). Prints the median and 90th
 * percentile block time and the bound of one block (268 byte-times of 11
 * bits plus 64 x 16 us at x32): what a client cannot avoid beyond the bound
 * is the wake-up per ACK that this program pays too.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int ack(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint8_t b;
	if (poll(&p, 1, 2000) <= 0 || read(fd, &b, 1) != 1)
		return -1;
	return b == 0x79 ? 0 : -1;
}

static int frame(int fd, const uint8_t *b, size_t n)
{
	return write(fd, b, n) == (ssize_t)n ? ack(fd) : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: floor PTY BAUD BLOCKS\n");
		return 2;
	}
	unsigned baud = (unsigned)atoi(argv[2]);
	int n = atoi(argv[3]);
	int fd = open(argv[1], O_RDWR | O_NOCTTY);
	struct termios t;
	if (fd < 0 || tcgetattr(fd, &t) != 0 || n < 1 || n > 1024 || baud < 1200) {
		fprintf(stderr, "floor: bad arguments or cannot open %s\n", argv[1]);
		return 2;
	}
	cfmakeraw(&t);
	tcsetattr(fd, TCSANOW, &t);
	tcflush(fd, TCIOFLUSH);
	uint8_t sync = 0x7F;
	if (frame(fd, &sync, 1) != 0) {
		fprintf(stderr, "floor: no ACK to 0x7F (board not in its ROM?)\n");
		return 1;
	}
	/* Voltage range 2.7-3.6 V: x32 (Write Memory of one byte to 0xFFFF0000). */
	const uint8_t wm[2] = { 0x31, 0xCE }, va[5] = { 0xFF, 0xFF, 0x00, 0x00, 0x00 };
	const uint8_t vd[3] = { 0x00, 0x03, 0x03 };
	if (frame(fd, wm, 2) || frame(fd, va, 5) || frame(fd, vd, 3)) {
		fprintf(stderr, "floor: voltage range refused\n");
		return 1;
	}
	uint64_t *dt = calloc((size_t)n, sizeof(*dt));
	uint32_t x = 2463534242u;
	for (int i = 0; i < n; i++) {
		uint32_t a = 0x08080000u + (uint32_t)i * 256u;
		uint8_t ad[5] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0 };
		ad[4] = ad[0] ^ ad[1] ^ ad[2] ^ ad[3];
		uint8_t d[258];
		d[0] = 255;
		uint8_t c = d[0];
		for (int k = 1; k <= 256; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			d[k] = (uint8_t)x;
			c ^= d[k];
		}
		d[257] = c;
		uint64_t t0 = now_ns();
		if (frame(fd, wm, 2) || frame(fd, ad, 5) || frame(fd, d, 258)) {
			fprintf(stderr, "floor: block %d at 0x%08X refused (flash not blank?)\n", i,
				(unsigned)a);
			return 1;
		}
		dt[i] = now_ns() - t0;
	}
	qsort(dt, (size_t)n, sizeof(*dt), cmp_u64);
	double bound = 268.0 * 11.0 * 1e6 / baud + 64 * 16.0;
	double med = (double)dt[n / 2] / 1e3, p90 = (double)dt[n * 9 / 10] / 1e3;
	printf("floor client at %u baud, %d blocks of 256 bytes (x32): bound %.1f us, median %.1f us "
	       "(%.3fx, %.1f us per turnaround over the bound), 90th percentile %.1f us\n",
	       baud, n, bound, med, med / bound, (med - bound) / 3.0, p90);
	free(dt);
	return 0;
}
