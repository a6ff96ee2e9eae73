/*
 * A minimal app-path host for firmware tests on the virtual board: the
 * protocol of docs/app-update.md over the board's TCP serial line, built on
 * lib's codec, with go-back-N windows and retransmission on time-out. It is
 * the test's scripted host, not the product's engine (host/core has that).
 *
 *   appupd_client PORT SLOT_IMG [BAUD] [--restart now|ready|none]
 *                 [--drop-every N] [--slow K]
 *
 * Sends the offer, switches to BAUD (when given and not 115200), BEGIN with
 * the image's header, the application in windows, END, RESTART. --drop-every
 * N leaves out every Nth DATA frame the first time it is sent (the app must
 * answer the gap and the client resend). --slow K multiplies every
 * time-out by K: unpaced, the virtual board may run slower than the wall
 * clock on a loaded machine. Prints one line of figures; exit 0
 * on DONE(0) (and RESTARTING when asked), 1 otherwise with the reason.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "twinslot/appupd.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"

static int fd;
static uint8_t seq;
static struct ts_appupd_dec dec;
static uint8_t rbuf[TS_APPUPD_PAYLOAD_MAX];
static unsigned resent, timeouts;
static int slow = 1; /* time-outs times this: the board may run slower than the wall clock */


static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "appupd_client: %s\n", what);
	exit(1);
}

static void put(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			die("write failed");
		p += w;
		n -= (size_t)w;
	}
}

static void send_frame(uint8_t type, const uint8_t *p, uint16_t len)
{
	static uint8_t f[TS_APPUPD_FRAME_MAX];
	int n = ts_appupd_encode(f, sizeof(f), type, seq++, p, len);
	if (n < 0)
		die("encode");
	put(f, (size_t)n);
}

/* Next frame from the app within ms, or 0 (time-out). */
static int recv_frame(struct ts_appupd_frame *f, int ms)
{
	double end = now_s() + ms / 1000.0;
	for (;;) {
		int left = (int)((end - now_s()) * 1000.0);
		if (left <= 0)
			return 0;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left) <= 0)
			continue;
		uint8_t b[256];
		ssize_t r = read(fd, b, 1); /* one byte at a time: a frame may follow */
		if (r <= 0)
			die("line closed");
		(void)b;
		if (ts_appupd_dec_push(&dec, b[0], f) == 1)
			return 1;
	}
}

/* Wait for a frame of `type` (others are reported and skipped). */
static int wait_type(uint8_t type, struct ts_appupd_frame *f, int ms)
{
	ms *= slow;
	double end = now_s() + ms / 1000.0;
	while (now_s() < end) {
		if (!recv_frame(f, (int)((end - now_s()) * 1000.0) + 1))
			return 0;
		if (f->type == type)
			return 1;
		if (f->type == TS_APPUPD_NAK) {
			int32_t e;
			uint32_t next;
			ts_appupd_nak_parse(f->payload, f->len, &e, &next);
			fprintf(stderr, "appupd_client: NAK %s next %u\n", ts_strerror(e), next);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: appupd_client PORT SLOT_IMG [BAUD] [--restart now|ready|none] [--drop-every N]");
	int port = atoi(argv[1]);
	uint32_t baud = 115200;
	int restart = 0, drop_every = 0;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--restart") && i + 1 < argc) {
			const char *m = argv[++i];
			restart = !strcmp(m, "now") ? 0 : !strcmp(m, "ready") ? 1 : -1;
		} else if (!strcmp(argv[i], "--slow") && i + 1 < argc) {
			slow = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
		} else if (!strcmp(argv[i], "--drop-every") && i + 1 < argc) {
			drop_every = atoi(argv[++i]);
		} else {
			baud = (uint32_t)strtoul(argv[i], NULL, 10);
		}
	}
	FILE *fi = fopen(argv[2], "rb");
	if (!fi)
		die("cannot open the image");
	static uint8_t img[0x60000];
	size_t ilen = fread(img, 1, sizeof(img), fi);
	fclose(fi);
	if (ilen < 512 + 8)
		die("image too short");
	uint32_t app_size = ts_get32(img + 0x0C);
	if (app_size + 512u != ilen)
		die("image length differs from its header's app_size");

	fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("cannot connect to the board");
	ts_appupd_dec_init(&dec, rbuf, sizeof(rbuf));

	double t0 = now_s();
	struct ts_appupd_frame f;
	struct ts_appupd_hello h;
	int ok = 0;
	for (int tries = 0; tries < 3 && !ok; tries++) {
		put((const uint8_t *)TS_APPUPD_OFFER, TS_APPUPD_OFFER_LEN);
		ok = wait_type(TS_APPUPD_HELLO, &f, (int)TS_APPUPD_HELLO_MS) == 1;
	}
	if (!ok || ts_appupd_hello_parse(f.payload, f.len, &h) != TS_OK)
		die("no HELLO");
	double t_hello = now_s() - t0;
	uint8_t p[TS_APPUPD_PAYLOAD_MAX];
	if (baud != 115200) {
		send_frame(TS_APPUPD_BAUD, p, ts_appupd_u32_pack(baud, p));
		if (wait_type(TS_APPUPD_BAUD_OK, &f, (int)TS_APPUPD_REPLY_MS) != 1)
			die("no BAUD_OK");
		/* the board's TCP line has no baud of its own: nothing to switch here */
		send_frame(TS_APPUPD_HELLO_REQ, p, ts_appupd_hello_req_pack(1, p));
		if (wait_type(TS_APPUPD_HELLO, &f, (int)TS_APPUPD_REPLY_MS) != 1)
			die("no HELLO at the new baud");
	}
	unsigned nsect = (unsigned)((ilen + 0x1FFFFu) / 0x20000u);
	send_frame(TS_APPUPD_BEGIN, p, ts_appupd_begin_pack(img, (uint32_t)ilen, p));
	if (wait_type(TS_APPUPD_ACK, &f, (int)(TS_APPUPD_REPLY_MS + nsect * TS_APPUPD_ERASE_MS)) != 1)
		die("no ACK after BEGIN");
	double t_erased = now_s() - t0;

	uint32_t next = 0, sent_hi = 0;
	unsigned frames = 0, stuck = 0;
	while (next < app_size) {
		uint32_t off = next;
		for (unsigned i = 0; i < h.window && off < app_size; i++) {
			uint32_t n = app_size - off < h.max_data ? app_size - off : h.max_data;
			int last = i + 1 == h.window || off + n >= app_size;
			uint16_t len = ts_appupd_data_pack(off, last ? TS_APPUPD_DATA_ACK_NOW : 0,
							   img + 512 + off, (uint16_t)n, p);
			frames++;
			if (off < sent_hi)
				resent++;
			int drop = drop_every && off >= sent_hi && frames % (unsigned)drop_every == 0;
			if (drop)
				seq++;
			else
				send_frame(TS_APPUPD_DATA, p, len);
			off += n;
			if (off > sent_hi)
				sent_hi = off;
		}
		int r = wait_type(TS_APPUPD_ACK, &f, (int)TS_APPUPD_WINDOW_ACK_MS);
		uint32_t got = next;
		if (r == 1)
			ts_appupd_u32_parse(f.payload, f.len, &got);
		else if (r == 0)
			timeouts++;
		else
			die("NAK during DATA");
		stuck = got > next ? 0 : stuck + 1;
		next = got;
		if (stuck >= 8)
			die("no progress after 8 windows");
	}
	double t_data = now_s() - t0;
	/* END is answered again if our DONE was lost (or END itself was) */
	int r = 0;
	for (int tries = 0; tries < 3 && r != 1; tries++) {
		send_frame(TS_APPUPD_END, NULL, 0);
		r = wait_type(TS_APPUPD_DONE, &f, (int)TS_APPUPD_END_MS);
	}
	if (r != 1)
		die("no DONE");
	uint32_t done;
	ts_appupd_u32_parse(f.payload, f.len, &done);
	if (done != 0) {
		fprintf(stderr, "appupd_client: DONE %s\n", ts_strerror((int)done));
		return 1;
	}
	double t_done = now_s() - t0;
	if (restart >= 0) {
		send_frame(TS_APPUPD_RESTART, p, ts_appupd_u8_pack((uint8_t)restart, p));
		if (wait_type(TS_APPUPD_RESTARTING, &f, (int)TS_APPUPD_REPLY_MS) != 1)
			die("no RESTARTING");
	}
	printf("appupd_client: %u bytes at %u baud, window %u: hello %.3f s, erased %.3f s, "
	       "data %.3f s, done %.3f s (wall); frames %u, resent %u, time-outs %u, "
	       "bad CRC %u\n",
	       app_size, baud, h.window, t_hello, t_erased, t_data, t_done, frames, resent, timeouts,
	       dec.bad_crc);
	close(fd);
	return 0;
}
