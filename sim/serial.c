/* The board's serial endpoint: pty + optional TCP (see serial.h). */
#define _GNU_SOURCE
#include "serial.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "twinslot/err.h"

static uint64_t rnd(struct sim_serial *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1Dull;
}

static bool chance(struct sim_serial *s, uint32_t ppm)
{
	return ppm && (uint32_t)((rnd(s) >> 32) % 1000000u) < ppm;
}

static uint64_t byte_ns(const struct sim_serial *s)
{
	uint32_t baud = s->line_baud ? s->line_baud : s->cfg.baud;
	unsigned bits = s->line_bits ? s->line_bits : s->cfg.bits_per_byte;
	return (uint64_t)bits * 1000000000ull / baud;
}

void sim_serial_set_line(struct sim_serial *s, uint32_t baud, unsigned bits)
{
	s->line_baud = baud;
	s->line_bits = baud ? bits : 0;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int sim_serial_open(struct sim_serial *s, const struct sim_serial_cfg *cfg, struct sim_events *ev)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->cfg.link_path = NULL;
	if (!s->cfg.baud)
		s->cfg.baud = 115200;
	if (!s->cfg.bits_per_byte)
		s->cfg.bits_per_byte = 11;
	s->ev = ev;
	s->rng = cfg->seed ? cfg->seed : 0x2545F4914F6CDD1Dull;
	s->master_fd = s->slave_fd = s->listen_fd = s->conn_fd = -1;

	s->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->master_fd < 0 || grantpt(s->master_fd) != 0 || unlockpt(s->master_fd) != 0 ||
	    ptsname_r(s->master_fd, s->slave_path, sizeof(s->slave_path)) != 0)
		goto fail;
	set_nonblock(s->master_fd);
	s->slave_fd = open(s->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (s->slave_fd < 0)
		goto fail;
	struct termios t;
	if (tcgetattr(s->slave_fd, &t) != 0)
		goto fail;
	cfmakeraw(&t);
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	if (tcsetattr(s->slave_fd, TCSANOW, &t) != 0)
		goto fail;

	if (cfg->link_path && *cfg->link_path) {
		if (strlen(cfg->link_path) >= sizeof(s->link_path))
			goto fail;
		struct stat st;
		if (lstat(cfg->link_path, &st) == 0 && S_ISLNK(st.st_mode))
			unlink(cfg->link_path);
		if (symlink(s->slave_path, cfg->link_path) != 0)
			goto fail;
		strcpy(s->link_path, cfg->link_path);
	}

	if (cfg->tcp_port > 0) {
		s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s->listen_fd < 0)
			goto fail;
		int one = 1;
		setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in a;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)cfg->tcp_port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    listen(s->listen_fd, 1) != 0)
			goto fail;
	}
	return TS_OK;
fail:
	sim_serial_close(s);
	return TS_ERR_IO;
}

void sim_serial_close(struct sim_serial *s)
{
	if (s->link_path[0])
		unlink(s->link_path);
	s->link_path[0] = '\0';
	int *fds[] = { &s->conn_fd, &s->listen_fd, &s->slave_fd, &s->master_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

const char *sim_serial_path(const struct sim_serial *s)
{
	return s->slave_path;
}

int sim_serial_pollfds(const struct sim_serial *s, struct pollfd *pfd, int cap)
{
	int n = 0;
	int fds[] = { s->master_fd, s->listen_fd, s->conn_fd };
	for (size_t i = 0; i < 3 && n < cap; i++) {
		if (fds[i] < 0)
			continue;
		pfd[n].fd = fds[i];
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		/* Bytes due but refused by a full pty: wait until it drains. */
		if (i == 0 && s->tx.len && !s->cfg.paced)
			pfd[n].events |= POLLOUT;
		n++;
	}
	return n;
}

static size_t q_free(const struct sim_serial_queue *q)
{
	return SIM_SERIAL_QSIZE - q->len;
}

static void q_push(struct sim_serial *s, struct sim_serial_queue *q, uint8_t b, uint64_t now)
{
	if (!q->len)
		q->next_ns = s->cfg.paced ? (q->last_ns > now ? q->last_ns : now) + byte_ns(s) : now;
	q->b[(q->head + q->len) % SIM_SERIAL_QSIZE] = b;
	q->len++;
}

static bool q_due(const struct sim_serial *s, const struct sim_serial_queue *q, uint64_t now)
{
	return q->len && (!s->cfg.paced || q->next_ns <= now);
}

static uint8_t q_pop(struct sim_serial *s, struct sim_serial_queue *q)
{
	uint8_t b = q->b[q->head];
	q->head = (q->head + 1) % SIM_SERIAL_QSIZE;
	q->len--;
	q->last_ns = q->next_ns;
	if (s->cfg.paced)
		q->next_ns += byte_ns(s);
	return b;
}

/* Apply the configured faults to one byte; false: drop it. */
static bool fault(struct sim_serial *s, uint8_t *b, const char *dir, uint64_t now)
{
	if (chance(s, s->cfg.drop_ppm)) {
		sim_eventf(s->ev, now, "fault_injected", "\"what\":\"drop\",\"dir\":\"%s\",\"byte\":%u",
			   dir, *b);
		return false;
	}
	if (chance(s, s->cfg.corrupt_ppm)) {
		uint8_t old = *b;
		*b ^= (uint8_t)(1u << (rnd(s) % 8));
		sim_eventf(s->ev, now, "fault_injected",
			   "\"what\":\"corrupt\",\"dir\":\"%s\",\"byte\":%u,\"to\":%u", dir, old, *b);
	}
	return true;
}

static void take_input(struct sim_serial *s, int fd, uint64_t now, bool *eof)
{
	uint8_t buf[512];
	for (;;) {
		size_t room = q_free(&s->rx);
		if (!room)
			return; /* leave the rest in the kernel: flow control */
		ssize_t n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n == 0) {
			if (eof)
				*eof = true;
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && eof)
				*eof = true;
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			uint8_t b = buf[i];
			if (fault(s, &b, "rx", now))
				q_push(s, &s->rx, b, now);
		}
	}
}

void sim_serial_step(struct sim_serial *s, uint64_t now_ns, bool readable)
{
	if (readable && s->listen_fd >= 0) {
		int c = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			if (s->conn_fd >= 0)
				close(s->conn_fd); /* newest client wins */
			s->conn_fd = c;
			sim_event(s->ev, now_ns, "serial_tcp_client", NULL);
		}
	}
	if (readable)
		take_input(s, s->master_fd, now_ns, NULL);
	if (readable && s->conn_fd >= 0) {
		bool eof = false;
		take_input(s, s->conn_fd, now_ns, &eof);
		if (eof) {
			close(s->conn_fd);
			s->conn_fd = -1;
		}
	}
	/* Send what is due, in order; stop when the pty is full. */
	uint8_t buf[512];
	while (q_due(s, &s->tx, now_ns)) {
		size_t n = 0;
		size_t h = s->tx.head;
		uint64_t t = s->tx.next_ns;
		while (n < sizeof(buf) && n < s->tx.len && (!s->cfg.paced || t <= now_ns)) {
			buf[n++] = s->tx.b[h];
			h = (h + 1) % SIM_SERIAL_QSIZE;
			t += byte_ns(s);
		}
		ssize_t w = write(s->master_fd, buf, n);
		if (w <= 0)
			return;
		if (s->conn_fd >= 0 && send(s->conn_fd, buf, (size_t)w, MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN) {
			close(s->conn_fd);
			s->conn_fd = -1;
		}
		for (ssize_t i = 0; i < w; i++)
			q_pop(s, &s->tx);
	}
}

size_t sim_serial_read(struct sim_serial *s, uint8_t *buf, size_t cap, uint64_t now_ns)
{
	size_t n = 0;
	while (n < cap && q_due(s, &s->rx, now_ns)) {
		buf[n++] = q_pop(s, &s->rx);
		s->rx_bytes++;
	}
	return n;
}

size_t sim_serial_write(struct sim_serial *s, const uint8_t *buf, size_t n, uint64_t now_ns)
{
	size_t i;
	for (i = 0; i < n && q_free(&s->tx); i++) {
		uint8_t b = buf[i];
		if (fault(s, &b, "tx", now_ns))
			q_push(s, &s->tx, b, now_ns);
		s->tx_bytes++;
	}
	return i;
}

uint64_t sim_serial_deadline_ns(const struct sim_serial *s)
{
	if (!s->cfg.paced)
		return UINT64_MAX;
	uint64_t d = UINT64_MAX;
	if (s->rx.len && s->rx.next_ns < d)
		d = s->rx.next_ns;
	if (s->tx.len && s->tx.next_ns < d)
		d = s->tx.next_ns;
	return d;
}

size_t sim_serial_tx_pending(const struct sim_serial *s)
{
	return s->tx.len;
}

void sim_serial_flush(struct sim_serial *s)
{
	s->rx.len = 0;
	s->tx.len = 0;
}

void sim_serial_reset_flush(struct sim_serial *s, size_t tx_unsent)
{
	s->rx.len = 0;
	s->tx.len -= tx_unsent < s->tx.len ? tx_unsent : s->tx.len;
}
