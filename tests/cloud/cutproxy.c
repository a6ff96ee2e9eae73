/* The cutting proxy: see cutproxy.h. Loopback only; every wait is bounded. */
#include "cutproxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 16384

struct conn {
	int cfd, ufd;
	uint64_t passed;      /* server-to-client bytes so far */
	uint64_t limit;       /* cut at this many */
	uint64_t stall_at;    /* stall once at this many (UINT64_MAX: never) */
	uint64_t hold_at;     /* hold at this many (UINT64_MAX: no) */
	char req[REQ_MAX];    /* the request being read, headers first */
	size_t reqn;
	uint64_t body_left;   /* request body bytes still to forward */
};

static uint32_t rnd(struct cutproxy *p)
{
	/* xorshift32: reproducible from the seed */
	uint32_t x = p->seed ? p->seed : 1u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	p->seed = x;
	return x;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool write_all(int fd, const void *b, size_t n)
{
	const char *c = b;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k <= 0)
			return false;
		c += k;
		n -= (size_t)k;
	}
	return true;
}

static int connect_upstream(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drop(struct cutproxy *p, struct conn *c, bool rst)
{
	if (c->cfd >= 0) {
		if (rst || p->reset) {
			struct linger l = { 1, 0 }; /* close sends RST */
			setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		}
		close(c->cfd);
	}
	if (c->ufd >= 0)
		close(c->ufd);
	c->cfd = c->ufd = -1;
}

/* hold_dir/held, then wait for hold_dir/go (at most 60 s). */
static void hold(struct cutproxy *p)
{
	char held[512], go[512];
	snprintf(held, sizeof held, "%s/held", p->hold_dir);
	snprintf(go, sizeof go, "%s/go", p->hold_dir);
	FILE *f = fopen(held, "w");
	if (f)
		fclose(f);
	struct stat st;
	for (int i = 0; i < 600 && !p->stop && stat(go, &st) != 0; i++)
		sleep_ms(100);
	p->hold_done++;
}

static void new_conn(struct cutproxy *p, struct conn *c, int nfd)
{
	drop(p, c, false);
	c->cfd = nfd;
	c->ufd = connect_upstream(p->upstream_port);
	c->passed = 0;
	c->reqn = 0;
	c->body_left = 0;
	c->limit = p->connections < p->ncuts ? p->cuts[p->connections] : UINT64_MAX;
	c->stall_at = c->hold_at = UINT64_MAX;
	if (p->seed && p->cut_max) {
		if (rnd(p) % 100u < p->cut_pct)
			c->limit = rnd(p) % p->cut_max;
		if (rnd(p) % 100u < p->stall_pct)
			c->stall_at = rnd(p) % p->cut_max;
	}
	p->connections++;
	if (c->ufd < 0) {
		close(c->cfd);
		c->cfd = -1;
	}
}

/* Answer the request here with 500 or 503 and S3's error body. */
static void fail_request(struct cutproxy *p, struct conn *c)
{
	bool slow = rnd(p) & 1u;
	const char *code = slow ? "SlowDown" : "InternalError";
	char body[256], head[256];
	int bl = snprintf(body, sizeof body,
			  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
			  "<Message>%s</Message></Error>", code,
			  slow ? "Please reduce your request rate." :
				 "We encountered an internal error. Please try again.");
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
			  "Connection: close\r\n\r\n",
			  slow ? "503 Slow Down" : "500 Internal Server Error", bl);
	write_all(c->cfd, head, (size_t)hl);
	write_all(c->cfd, body, (size_t)bl);
	p->fail_done++;
	drop(p, c, false);
}

/* Client bytes: whole requests (headers, body) are forwarded; at each
 * request's end of headers the failure and hold rules are applied.
 * Returns false when the connection is gone. */
static bool from_client(struct cutproxy *p, struct conn *c, const char *b, size_t n)
{
	while (n) {
		if (c->body_left) {
			size_t k = n < c->body_left ? n : (size_t)c->body_left;
			if (!write_all(c->ufd, b, k))
				return false;
			c->body_left -= k;
			b += k;
			n -= k;
			continue;
		}
		size_t room = sizeof c->req - 1 - c->reqn;
		if (room == 0)
			return false; /* headers too long for a test client */
		size_t k = n < room ? n : room;
		memcpy(c->req + c->reqn, b, k);
		c->reqn += k;
		c->req[c->reqn] = '\0';
		b += k;
		n -= k;
		char *end = strstr(c->req, "\r\n\r\n");
		if (!end)
			continue;
		size_t hlen = (size_t)(end + 4 - c->req);
		/* bytes after the headers go back to the input */
		size_t extra = c->reqn - hlen;
		char rest[REQ_MAX];
		memcpy(rest, c->req + hlen, extra);
		p->requests++;
		const char *cl = strstr(c->req, "\r\nContent-Length:");
		if (!cl)
			cl = strstr(c->req, "\r\ncontent-length:");
		uint64_t body = cl ? strtoull(cl + 17, NULL, 10) : 0;
		char line[300];
		size_t ll = strcspn(c->req, "\r");
		snprintf(line, sizeof line, "%.*s", (int)(ll < 299 ? ll : 299), c->req);
		if (p->seed && p->fail_pct && rnd(p) % 100u < p->fail_pct) {
			fail_request(p, c);
			return false;
		}
		bool match = p->hold_match && !p->hold_done && c->hold_at == UINT64_MAX &&
			     strstr(line, p->hold_match);
		if (match && p->hold_after == 0)
			hold(p);
		else if (match)
			c->hold_at = c->passed + p->hold_after;
		if (!write_all(c->ufd, c->req, hlen))
			return false;
		c->reqn = 0;
		c->body_left = body;
		if (extra && !from_client(p, c, rest, extra))
			return false;
	}
	return true;
}

/* Server bytes to the client, with cuts, pacing, a stall and a hold.
 * Returns false when the connection is gone. */
static bool to_client(struct cutproxy *p, struct conn *c, const char *b, size_t n)
{
	while (n) {
		size_t k = n;
		uint64_t next = c->limit;
		if (c->stall_at < next)
			next = c->stall_at;
		if (c->hold_at < next)
			next = c->hold_at;
		if (next - c->passed < k)
			k = (size_t)(next - c->passed);
		size_t pace = p->trickle_bps ? (p->trickle_bps / 20u ? p->trickle_bps / 20u : 1u) : 0;
		if (pace && k > pace)
			k = pace;
		if (k && !write_all(c->cfd, b, k))
			return false;
		c->passed += k;
		b += k;
		n -= k;
		if (pace)
			sleep_ms(50);
		if (c->passed == c->limit) {
			p->cut_done++;
			return false;
		}
		if (c->passed == c->stall_at) {
			c->stall_at = UINT64_MAX;
			p->stall_done++;
			sleep_ms(p->stall_ms);
		}
		if (c->passed == c->hold_at) {
			c->hold_at = UINT64_MAX;
			hold(p);
		}
	}
	return true;
}

static void *run(void *arg)
{
	struct cutproxy *p = arg;
	static __thread struct conn c;
	c.cfd = c.ufd = -1;
	char buf[4096];
	while (!p->stop) {
		struct pollfd fds[3] = { { p->lfd, POLLIN, 0 }, { c.cfd, POLLIN, 0 },
					 { c.ufd, POLLIN, 0 } };
		int n = poll(fds, 3, 50);
		if (n <= 0)
			continue;
		if (fds[0].revents & POLLIN) {
			int nfd = accept(p->lfd, NULL, NULL);
			if (nfd >= 0)
				new_conn(p, &c, nfd);
			continue;
		}
		bool gone = false;
		if (c.cfd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t k = read(c.cfd, buf, sizeof buf);
			if (k <= 0 || !from_client(p, &c, buf, (size_t)k))
				gone = true;
		}
		if (!gone && c.ufd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t k = read(c.ufd, buf, sizeof buf);
			if (k <= 0 || !to_client(p, &c, buf, (size_t)k))
				gone = true;
		}
		if (gone)
			drop(p, &c, false);
	}
	drop(p, &c, false);
	return NULL;
}

int cutproxy_start(struct cutproxy *p)
{
	p->stop = 0;
	p->connections = p->cut_done = 0;
	p->requests = p->fail_done = p->stall_done = p->hold_done = 0;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p->lfd < 0)
		return -1;
	int one = 1;
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(p->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(p->lfd, 8) < 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&a, &al) < 0) {
		close(p->lfd);
		return -1;
	}
	p->port = ntohs(a.sin_port);
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		close(p->lfd);
		return -1;
	}
	return 0;
}

void cutproxy_stop(struct cutproxy *p)
{
	p->stop = 1;
	pthread_join(p->thread, NULL);
	close(p->lfd);
}
