/*
 * The Linux port of the twinslot host: fills struct ts_port with
 *   serial   termios on a tty (8E1 for the ROM bootloader, 8N1 for the
 *            console; any standard baud rate). A pseudo-terminal cannot carry
 *            parity: it is detected, warned about once, and accepted; a real
 *            UART that does not take 8E1 is an error.
 *   pins     BOOT0 / NRST through one of
 *              gpiod:CHIP:BOOT0_LINE:NRST_LINE   libgpiod v1 (SBCs); NRST is
 *                                                driven open-drain
 *              dtr-rts[:inverted]               the adapter's modem lines:
 *                                                DTR drives NRST, RTS BOOT0
 *              board:/path/control.sock          the virtual board
 *              manual                            ask the user on the terminal
 *   store    a small text file of key=hex lines (written atomically)
 *   clock    CLOCK_MONOTONIC; log and progress on stderr (a bar on a
 *            terminal, plain lines otherwise) or JSON lines on stdout.
 * The caller owns struct ts_linux; ts_linux_close() releases everything.
 */
#ifndef TWINSLOT_TS_LINUX_H
#define TWINSLOT_TS_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "twinslot/port.h"

struct ts_linux_cfg {
	const char *serial_path;   /* /dev/ttyUSB0, a pty, ... */
	const char *pins;          /* see above; NULL: "manual" */
	const char *store_path;    /* NULL: no persistent state */
	const char *cmd;           /* for messages: "flash", "status", ... */
	bool json;                 /* events as JSON lines on stdout */
	int verbose;               /* 0: info, 1: debug */
	bool quiet;                /* no progress, warnings and errors only */
};

enum ts_pins_kind { TS_PINS_MANUAL, TS_PINS_GPIOD, TS_PINS_DTR_RTS, TS_PINS_BOARD };

struct ts_linux {
	struct ts_linux_cfg cfg;
	int fd;                    /* serial */
	bool is_pty;
	bool warned_parity;
	enum ts_pins_kind pins;
	bool inverted;             /* dtr-rts polarity */
	int sock;                  /* board control socket */
	void *gpio_chip, *gpio_boot0, *gpio_nrst; /* libgpiod objects */
	bool nrst_low;
	/* progress */
	const char *prog_phase;
	uint64_t prog_start_ms, prog_last_ms;
	int prog_last_pct;
	bool tty_err;              /* stderr is a terminal */
	bool bar_open;             /* a \r bar line is on screen */
};

/* Open the serial port and the pins; fill *port. On failure returns a
 * negative ts_err with the reason in msg. */
int ts_linux_open(struct ts_linux *lx, const struct ts_linux_cfg *cfg, struct ts_port *port,
		  char *msg, size_t n);
void ts_linux_close(struct ts_linux *lx);

/* Parts, one file each. */
int ts_serial_open(struct ts_linux *lx, char *msg, size_t n);
int ts_serial_configure(void *ctx, uint32_t baud, bool even_parity);
long ts_serial_read(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms);
int ts_serial_write(void *ctx, const uint8_t *buf, size_t n);
int ts_serial_flush_input(void *ctx);

int ts_pins_open(struct ts_linux *lx, char *msg, size_t n);
void ts_pins_close(struct ts_linux *lx);
int ts_pins_set_boot0(void *ctx, bool high);
int ts_pins_set_nrst(void *ctx, bool high);

long ts_store_get(void *ctx, const char *key, void *buf, size_t n);
int ts_store_put(void *ctx, const char *key, const void *buf, size_t n);

void ts_linux_log(void *ctx, enum ts_log_level level, const char *msg);
void ts_linux_progress(void *ctx, const struct ts_progress *p);
/* End a progress bar line, if one is open. */
void ts_linux_progress_end(struct ts_linux *lx);

/* JSON string escaping into f (without the quotes). */
void ts_json_str(FILE *f, const char *s);

#endif
