/*
 * A tiny TCP proxy for the cloud tests and the network-fault campaign:
 * listens on 127.0.0.1 (a free port, or a chosen one), forwards each
 * connection to an upstream 127.0.0.1 port, and breaks it on purpose:
 *
 *   cuts      after a chosen number of server-to-client bytes (one cut
 *             point per connection, in order; connections after the list
 *             run uncut), or, with a seed, at random: each connection with
 *             probability cut_pct % at an offset uniform in [0, cut_max);
 *             a cut ends with FIN (a truncated body) or, with reset, RST
 *   failures  each request, with probability fail_pct %, answered 500
 *             InternalError or 503 SlowDown (S3's XML error body) without
 *             reaching the server; the connection is then closed
 *   trickle   server-to-client bytes paced at trickle_bps, and each
 *             connection with probability stall_pct % stalled once for
 *             stall_ms at a random offset below cut_max
 *   hold      the first request whose request line contains hold_match is
 *             held, before it is forwarded (hold_after 0) or after that
 *             many bytes of its answer: the proxy creates hold_dir/held and
 *             waits (at most 60 s) for hold_dir/go; meanwhile the test
 *             changes the bucket (the object replaced under a download)
 *
 * Runs in its own thread; one connection at a time (a new one replaces the
 * old, as a client that reconnects would expect). Requests are read whole
 * (headers, then Content-Length bytes of body) before they are forwarded.
 */
#ifndef TS_TESTS_CUTPROXY_H
#define TS_TESTS_CUTPROXY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define CUTPROXY_MAX_CUTS 16

struct cutproxy {
	int upstream_port;
	int port;                           /* where clients connect; 0: a free one */
	uint64_t cuts[CUTPROXY_MAX_CUTS];   /* bytes to pass per connection */
	size_t ncuts;
	/* random faults: used when seed != 0 */
	uint32_t seed;
	unsigned cut_pct;                   /* per connection */
	uint64_t cut_max;                   /* cut and stall offsets below this */
	int reset;                          /* cuts end with RST, not FIN */
	unsigned fail_pct;                  /* per request: 500/503 */
	uint32_t trickle_bps;               /* 0: full speed */
	unsigned stall_pct;                 /* per connection */
	uint32_t stall_ms;
	const char *hold_match;             /* NULL: no hold */
	uint64_t hold_after;
	const char *hold_dir;
	/* results */
	volatile unsigned connections;
	volatile unsigned cut_done;
	volatile unsigned requests, fail_done, stall_done, hold_done;
	/* private */
	int lfd;
	volatile int stop;
	pthread_t thread;
};

/* Start (p->upstream_port, cuts set by the caller). 0 on success. */
int cutproxy_start(struct cutproxy *p);
void cutproxy_stop(struct cutproxy *p);

#endif
