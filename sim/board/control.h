/*
 * The board's control channel: a Unix stream socket taking one command per
 * line and answering exactly one line, "ok ..." or "error ...". Commands
 * (docs/virtual-board.md, "Control channel"):
 *   boot0 1|0            nrst pulse|0|1        power off|on|cycle
 *   button 1|0           leds                  state
 *   cut after N          cut random [MAX]      cut off
 *   uart corrupt RATE    uart drop RATE        (RATE: probability 0..1)
 *   quit
 * Up to CONTROL_MAX_CLIENTS clients at once. Non-blocking; poll-driven.
 */
#ifndef TWINSLOT_SIM_CONTROL_H
#define TWINSLOT_SIM_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "board.h"

#define CONTROL_MAX_CLIENTS 4

struct control_client {
	int fd;
	char buf[512];
	size_t len;
};

struct control {
	int listen_fd; /* -1: no control channel */
	char path[108];
	struct control_client c[CONTROL_MAX_CLIENTS];
	bool quit;     /* a client sent quit */
};

/* Listen on path (an existing socket file is replaced). path NULL: none. */
int control_open(struct control *ctl, const char *path);
void control_close(struct control *ctl);
int control_pollfds(const struct control *ctl, struct pollfd *pfd, int cap);
/* Accept clients, read and execute complete lines. */
void control_step(struct control *ctl, struct board *b);
/* Execute one command line; the reply (no newline) goes to out. */
void control_exec(struct board *b, const char *line, char *out, size_t cap, bool *quit);

#endif
