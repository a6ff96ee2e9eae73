/*
 * A tiny TCP proxy for the cloud tests: listens on 127.0.0.1 (a free port),
 * forwards each connection to an upstream 127.0.0.1 port, and drops the
 * connection after a chosen number of server-to-client bytes (one cut
 * point per connection, in order; connections after the list run uncut).
 * Runs in its own thread; one connection at a time (a new one replaces
 * the old, as a client that reconnects would expect).
 */
#ifndef TS_TESTS_CUTPROXY_H
#define TS_TESTS_CUTPROXY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define CUTPROXY_MAX_CUTS 16

struct cutproxy {
	int upstream_port;
	int port;                           /* where clients connect */
	uint64_t cuts[CUTPROXY_MAX_CUTS];   /* bytes to pass per connection */
	size_t ncuts;
	/* results */
	unsigned connections;
	unsigned cut_done;
	/* private */
	int lfd;
	volatile int stop;
	pthread_t thread;
};

/* Start (p->upstream_port, cuts set by the caller). 0 on success. */
int cutproxy_start(struct cutproxy *p);
void cutproxy_stop(struct cutproxy *p);

#endif
