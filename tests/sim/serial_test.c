/*
 * The serial endpoint: bytes both ways through a real pty (and TCP), pacing
 * at 11 bits per byte on the caller's clock, injected drops and bit flips,
 * and the symlink.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "serial.h"
#include "twinslot/err.h"

static int open_host(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY);
	assert_true(fd >= 0);
	struct termios t;
	assert_int_equal(tcgetattr(fd, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
	return fd;
}

/* Let the kernel move bytes, then step the endpoint at time now. */
static void settle(struct sim_serial *s, uint64_t now)
{
	struct pollfd p[3];
	int n = sim_serial_pollfds(s, p, 3);
	poll(p, (nfds_t)n, 20);
	sim_serial_step(s, now, true);
}

static size_t host_read(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (got < cap && poll(&p, 1, 100) > 0) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void serial_pty_carries_bytes_both_ways_unpaced(void **state)
{
	(void)state;
	struct sim_serial s;
	char link[64];
	snprintf(link, sizeof(link), "/tmp/ts-serial-%d", (int)getpid());
	struct sim_serial_cfg cfg = { .link_path = link };
	assert_int_equal(sim_serial_open(&s, &cfg, NULL), TS_OK);
	assert_true(strncmp(sim_serial_path(&s), "/dev/pts/", 9) == 0);
	char target[128] = { 0 };
	assert_true(readlink(link, target, sizeof(target) - 1) > 0);
	assert_string_equal(target, sim_serial_path(&s));

	int h = open_host(link);
	uint8_t msg[300];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	assert_int_equal(write(h, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	uint8_t got[400];
	size_t n = 0;
	for (int tries = 0; tries < 50 && n < sizeof(msg); tries++) {
		settle(&s, 0);
		n += sim_serial_read(&s, got + n, sizeof(got) - n, 0);
	}
	assert_int_equal(n, sizeof(msg));
	assert_memory_equal(got, msg, sizeof(msg));

	assert_int_equal(sim_serial_write(&s, msg, 100, 0), 100);
	settle(&s, 0);
	assert_int_equal(host_read(h, got, sizeof(got)), 100);
	assert_memory_equal(got, msg, 100);
	assert_int_equal(sim_serial_tx_pending(&s), 0);

	/* The host closes and reopens: the endpoint keeps working. */
	close(h);
	settle(&s, 0);
	h = open_host(link);
	assert_int_equal(write(h, "x", 1), 1);
	n = 0;
	for (int tries = 0; tries < 20 && !n; tries++) {
		settle(&s, 0);
		n = sim_serial_read(&s, got, 1, 0);
	}
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 'x');
	close(h);
	sim_serial_close(&s);
	struct stat st;
	assert_int_equal(lstat(link, &st), -1); /* symlink removed */
}

static void serial_paced_rx_delivers_one_byte_per_11_bit_times(void **state)
{
	(void)state;
	struct sim_serial s;
	/* 11000 baud, 11 bits: exactly 1 ms per byte. */
	struct sim_serial_cfg cfg = { .baud = 11000, .bits_per_byte = 11, .paced = true };
	assert_int_equal(sim_serial_open(&s, &cfg, NULL), TS_OK);
	int h = open_host(sim_serial_path(&s));
	assert_int_equal(write(h, "0123456789", 10), 10);
	const uint64_t ms = 1000000;
	uint64_t t0 = 5 * ms;
	for (int i = 0; i < 10 && s.rx.len < 10; i++)
		settle(&s, t0);
	assert_int_equal(s.rx.len, 10);
	uint8_t got[16];
	assert_int_equal(sim_serial_read(&s, got, 16, t0), 0); /* first byte still on the wire */
	assert_int_equal(sim_serial_deadline_ns(&s), t0 + ms);
	assert_int_equal(sim_serial_read(&s, got, 16, t0 + ms), 1);
	assert_int_equal(sim_serial_read(&s, got + 1, 16, t0 + 4 * ms + ms / 2), 3);
	assert_int_equal(sim_serial_read(&s, got + 4, 16, t0 + 100 * ms), 6);
	assert_memory_equal(got, "0123456789", 10);
	assert_int_equal(sim_serial_deadline_ns(&s), UINT64_MAX);

	/* Board -> host: 4 bytes queued at 200 ms leave at 201..204 ms. */
	uint64_t t1 = 200 * ms;
	assert_int_equal(sim_serial_write(&s, (const uint8_t *)"abcd", 4, t1), 4);
	sim_serial_step(&s, t1 + ms / 2, true);
	assert_int_equal(sim_serial_tx_pending(&s), 4);
	sim_serial_step(&s, t1 + 2 * ms, true);
	assert_int_equal(sim_serial_tx_pending(&s), 2);
	sim_serial_step(&s, t1 + 4 * ms, true);
	assert_int_equal(sim_serial_tx_pending(&s), 0);
	assert_int_equal(host_read(h, got, sizeof(got)), 4);
	assert_memory_equal(got, "abcd", 4);
	close(h);
	sim_serial_close(&s);
}

static void serial_faults_drop_and_flip_one_bit(void **state)
{
	(void)state;
	FILE *log = tmpfile();
	struct sim_events ev;
	sim_events_attach(&ev, log);
	struct sim_serial s;
	struct sim_serial_cfg cfg = { .corrupt_ppm = 1000000, .seed = 7 };
	assert_int_equal(sim_serial_open(&s, &cfg, &ev), TS_OK);
	int h = open_host(sim_serial_path(&s));
	uint8_t msg[64], got[64];
	memset(msg, 0x55, sizeof(msg));
	assert_int_equal(sim_serial_write(&s, msg, sizeof(msg), 0), sizeof(msg));
	settle(&s, 0);
	assert_int_equal(host_read(h, got, sizeof(got)), sizeof(got));
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(__builtin_popcount(got[i] ^ 0x55u), 1);
	sim_serial_close(&s);
	close(h);

	cfg.corrupt_ppm = 0;
	cfg.drop_ppm = 500000; /* half of the bytes */
	assert_int_equal(sim_serial_open(&s, &cfg, &ev), TS_OK);
	h = open_host(sim_serial_path(&s));
	assert_int_equal(write(h, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	for (int i = 0; i < 5; i++)
		settle(&s, 0);
	size_t n = sim_serial_read(&s, got, sizeof(got), 0);
	assert_true(n > 8 && n < 56);
	assert_int_equal(s.rx_bytes, n);
	close(h);
	sim_serial_close(&s);

	char text[1 << 14];
	rewind(log);
	size_t len = fread(text, 1, sizeof(text) - 1, log);
	text[len] = '\0';
	assert_non_null(strstr(text, "\"type\":\"fault_injected\",\"what\":\"corrupt\",\"dir\":\"tx\""));
	assert_non_null(strstr(text, "\"type\":\"fault_injected\",\"what\":\"drop\",\"dir\":\"rx\""));
	fclose(log);
}

static void serial_tcp_client_gets_the_same_bytes(void **state)
{
	(void)state;
	struct sim_serial s;
	int port = 20000 + (int)(getpid() % 20000);
	struct sim_serial_cfg cfg = { .tcp_port = port };
	if (sim_serial_open(&s, &cfg, NULL) != TS_OK)
		skip(); /* port in use */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	settle(&s, 0);
	assert_true(s.conn_fd >= 0);
	assert_int_equal(send(c, "\x7f", 1, 0), 1);
	uint8_t b = 0;
	size_t n = 0;
	for (int i = 0; i < 20 && !n; i++) {
		settle(&s, 0);
		n = sim_serial_read(&s, &b, 1, 0);
	}
	assert_int_equal(n, 1);
	assert_int_equal(b, 0x7F);
	sim_serial_write(&s, (const uint8_t *)"\x79", 1, 0);
	settle(&s, 0);
	assert_int_equal(host_read(c, &b, 1), 1);
	assert_int_equal(b, 0x79);
	close(c);
	sim_serial_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serial_pty_carries_bytes_both_ways_unpaced),
		cmocka_unit_test(serial_paced_rx_delivers_one_byte_per_11_bit_times),
		cmocka_unit_test(serial_faults_drop_and_flip_one_bit),
		cmocka_unit_test(serial_tcp_client_gets_the_same_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
