/*
 * The virtual board's event log: one JSON object per line, for tests to
 * assert on and for people to read.
 *
 * Every line looks like
 *   {"t_ns":123456,"wall_ms":1712345678901,"type":"flash_program","addr":134348800,"len":256}
 * t_ns is the board's emulated time in nanoseconds (what the caller passes),
 * wall_ms the host's wall-clock time (CLOCK_REALTIME) in milliseconds, type
 * one of the names below, then the type's own fields. Lines are flushed as
 * they are written, so another process can follow the file.
 *
 * Event types used by the sim modules (fields after type):
 *   reset           cause ("power", "nrst", "iwdg", "software", "lockup", "rom")
 *   boot            addr, mode ("flash" or "rom")
 *   flash_program   addr, len, psize (8/16/32/64), ns (datasheet duration)
 *   flash_erase     sector (or -1 for mass erase), psize, ns
 *   flash_overwrite addr, len, zero_to_one (bits that would have to go 0->1)
 *                   -- written whenever a program targets bytes that are not
 *                   erased (0xFF); tests assert our code never does this
 *   flash_wrp       addr or sector: a program/erase refused by write protection
 *   option_bytes    rdp, nwrp
 *   power_cut       op (which flash operation), kind ("program"/"erase"), addr
 *   fault_injected  what ("corrupt"/"drop"), dir ("rx"/"tx"), byte, ...
 *   led             pin, on
 *   rom_cmd         cmd, ok (true: ACKed, false: NACKed), and per-command
 *                   fields (addr, len, sectors, ...)
 *   rom_go          addr
 * Others (sim-core's) may add more; all go through sim_event().
 *
 * Contract: ev may be a struct with f == NULL (log disabled): every call is
 * then a no-op. json_fields is either NULL/"" or a comma-separated list of
 * already-encoded JSON members without braces ("\"addr\":1,\"len\":4").
 * Not thread-safe; one board, one thread.
 */
#ifndef TWINSLOT_SIM_EVENTS_H
#define TWINSLOT_SIM_EVENTS_H

#include <stdint.h>
#include <stdio.h>

struct sim_events {
	FILE *f;       /* NULL: no log */
	int owned;     /* 1 when sim_events_open opened f (close closes it) */
	uint64_t count; /* lines written so far */
};

/* Open the log. path NULL: disabled; "-": stderr; else the file is created
 * or appended to. Returns 0 or TS_ERR_IO. */
int sim_events_open(struct sim_events *ev, const char *path);

/* Use an already-open stream (not closed by sim_events_close). */
void sim_events_attach(struct sim_events *ev, FILE *f);

void sim_events_close(struct sim_events *ev);

/* Write one line: type plus pre-encoded members (see above). */
void sim_event(struct sim_events *ev, uint64_t t_ns, const char *type, const char *json_fields);

/* Same with printf-style formatting of the members, e.g.
 * sim_eventf(ev, t, "flash_erase", "\"sector\":%d,\"psize\":%d", n, 32). */
void sim_eventf(struct sim_events *ev, uint64_t t_ns, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
