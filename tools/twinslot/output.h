/*
 * What the twinslot commands show people and scripts: the port's sink
 * (log lines and progress) as a live bar on a terminal, plain lines
 * otherwise, JSON lines on stdout with --json, and <N> syslog priority
 * prefixes for the agent under systemd. Host-only.
 */
#ifndef TWINSLOT_OUTPUT_H
#define TWINSLOT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "twinslot/port.h"

struct ts_out {
	const char *cmd;           /* "flash": lines read "twinslot flash: ..." */
	bool json;                 /* events as JSON lines on stdout */
	int verbose;               /* 0: info, 1: debug */
	bool quiet;                /* no progress, warnings and errors only */
	bool syslog;               /* "<N>" priority prefixes, no bar */
	/* progress */
	const char *phase;
	uint64_t start_ms, last_ms;
	int last_pct;
	bool tty;                  /* stderr is a terminal */
	bool bar_open;             /* a \r bar line is on screen */
};

extern const struct ts_sink_ops ts_out_sink;

void ts_out_init(struct ts_out *o, const char *cmd, bool json, int verbose, bool quiet);
/* End a progress bar line, if one is open. */
void ts_out_end(struct ts_out *o);
void ts_out_log(struct ts_out *o, enum ts_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s as a JSON string, quotes included, on f. */
void ts_json_str(FILE *f, const char *s);

#endif
