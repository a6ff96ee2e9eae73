/*
 * The network-fault campaign's proxy: tests/cloud/cutproxy.c as a program.
 * Listens on 127.0.0.1, forwards to the local S3 server, injects the faults
 * asked for, and on SIGTERM/SIGINT writes what it injected to the stats
 * file ("connections=N requests=N cuts=N failed=N stalls=N holds=N").
 *
 * usage: netfault_proxy --upstream PORT --port-file FILE --stats-file FILE
 *          [--port N] [--seed S] [--cut PCT:MAX] [--reset] [--fail PCT]
 *          [--trickle BYTES_PER_S] [--stall PCT:MS] [--hold MATCH:AFTER:DIR]
 * Exit 0 after a signal, 2 on bad usage, 1 when it cannot listen.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutproxy.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(const char *why)
{
	fprintf(stderr, "netfault_proxy: %s\nusage: netfault_proxy --upstream PORT --port-file FILE "
		"--stats-file FILE [--port N] [--seed S] [--cut PCT:MAX] [--reset] [--fail PCT] "
		"[--trickle BPS] [--stall PCT:MS] [--hold MATCH:AFTER:DIR]\n", why);
	return 2;
}

static bool num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!s || !*s)
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

/* "A:B" into two numbers */
static bool pair(const char *s, unsigned long long max_a, unsigned long long max_b,
		 unsigned long long *a, unsigned long long *b)
{
	char tmp[64];
	if (!s || strlen(s) >= sizeof tmp)
		return false;
	strcpy(tmp, s);
	char *colon = strchr(tmp, ':');
	if (!colon)
		return false;
	*colon = '\0';
	return num(tmp, max_a, a) && num(colon + 1, max_b, b);
}

int main(int argc, char **argv)
{
	static struct cutproxy p;
	const char *port_file = NULL, *stats_file = NULL;
	static char hold_match[256], hold_dir[512];
	unsigned long long a, b;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = strcmp(o, "--reset") != 0;
		if (takes && !v)
			return usage("an option needs a value");
		if (strcmp(o, "--upstream") == 0 && num(v, 65535, &a))
			p.upstream_port = (int)a;
		else if (strcmp(o, "--port") == 0 && num(v, 65535, &a))
			p.port = (int)a;
		else if (strcmp(o, "--port-file") == 0)
			port_file = v;
		else if (strcmp(o, "--stats-file") == 0)
			stats_file = v;
		else if (strcmp(o, "--seed") == 0 && num(v, UINT32_MAX, &a) && a)
			p.seed = (uint32_t)a;
		else if (strcmp(o, "--cut") == 0 && pair(v, 100, 1ull << 40, &a, &b) && b) {
			p.cut_pct = (unsigned)a;
			p.cut_max = b;
		} else if (strcmp(o, "--reset") == 0)
			p.reset = 1;
		else if (strcmp(o, "--fail") == 0 && num(v, 100, &a))
			p.fail_pct = (unsigned)a;
		else if (strcmp(o, "--trickle") == 0 && num(v, 1u << 30, &a))
			p.trickle_bps = (uint32_t)a;
		else if (strcmp(o, "--stall") == 0 && pair(v, 100, 600000, &a, &b)) {
			p.stall_pct = (unsigned)a;
			p.stall_ms = (uint32_t)b;
		} else if (strcmp(o, "--hold") == 0) {
			/* MATCH:AFTER:DIR, MATCH without ':' */
			const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			char n[32];
			if (!c1 || !c2 || (size_t)(c1 - v) >= sizeof hold_match ||
			    (size_t)(c2 - c1 - 1) >= sizeof n || strlen(c2 + 1) >= sizeof hold_dir)
				return usage("--hold needs MATCH:AFTER:DIR");
			memcpy(hold_match, v, (size_t)(c1 - v));
			memcpy(n, c1 + 1, (size_t)(c2 - c1 - 1));
			n[c2 - c1 - 1] = '\0';
			if (!num(n, 1ull << 40, &a))
				return usage("--hold: AFTER is a byte count");
			strcpy(hold_dir, c2 + 1);
			p.hold_match = hold_match;
			p.hold_after = a;
			p.hold_dir = hold_dir;
		} else
			return usage(o);
		if (takes)
			i++;
	}
	if (!p.upstream_port || !port_file || !stats_file)
		return usage("--upstream, --port-file and --stats-file are required");
	if ((p.cut_pct || p.fail_pct || p.stall_pct) && !p.seed)
		return usage("random faults need --seed");
	if (p.stall_pct && !p.cut_max)
		return usage("--stall needs --cut (its offsets are below the cut's MAX)");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (cutproxy_start(&p) != 0) {
		perror("netfault_proxy: cannot listen");
		return 1;
	}
	FILE *f = fopen(port_file, "w");
	if (!f) {
		perror(port_file);
		cutproxy_stop(&p);
		return 1;
	}
	fprintf(f, "%d\n", p.port);
	fclose(f);
	while (!stop)
		pause();
	cutproxy_stop(&p);
	f = fopen(stats_file, "w");
	if (!f) {
		perror(stats_file);
		return 1;
	}
	fprintf(f, "connections=%u requests=%u cuts=%u failed=%u stalls=%u holds=%u\n",
		p.connections, p.requests, p.cut_done, p.fail_done, p.stall_done, p.hold_done);
	fclose(f);
	return 0;
}
