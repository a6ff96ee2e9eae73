/*
 * The Linux port of the twinslot host: one port object (struct ts_port) for
 * every command, each concern filled where the configuration asks for it:
 *   link    termios on a tty (8E1 for the ROM bootloader, 8N1 for the
 *           console; standard baud rates). A pseudo-terminal cannot carry
 *           parity: it is detected, warned about once, and accepted; a real
 *           UART that does not take 8E1 is an error. The port is held
 *           exclusively (TIOCEXCL and flock): a second user gets TS_ERR_BUSY.
 *           BOOT0 / NRST through one of
 *             gpiod:CHIP:BOOT0_LINE:NRST_LINE   libgpiod v1 (SBCs); NRST is
 *                                               driven open-drain
 *             dtr-rts[:inverted]                the adapter's modem lines:
 *                                               DTR drives NRST, RTS BOOT0
 *             board:/path/control.sock          the virtual board
 *             manual                            ask the user on the terminal
 *   clock   CLOCK_MONOTONIC, nanosleep, time(), /dev/urandom
 *   store   a small text file of key=hex lines (written atomically)
 *   http    libcurl; TLS always verified (the system's CAs or ca_file)
 *   sink    the caller's (the port only passes it on, and uses it for its
 *           own warnings): progress bars and JSON belong to the tool.
 * The struct is opaque; ts_linux_close() releases everything.
 */
#ifndef TWINSLOT_TS_LINUX_H
#define TWINSLOT_TS_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/port.h"

struct ts_linux_cfg {
	const char *serial_path;   /* /dev/ttyUSB0, a pty, ...; NULL: no link */
	const char *pins;          /* see above; NULL: "manual" */
	const char *store_path;    /* NULL: no persistent state */
	bool http;                 /* fill the http concern */
	const char *ca_file;       /* http: PEM bundle to trust instead of the system's */
	const char *prompt;        /* manual pins: "twinslot flash" before questions */
	const struct ts_sink_ops *sink;
	void *sink_ctx;
};

struct ts_linux;

/* Open what cfg asks for and fill *port (clock always). On failure returns
 * a negative ts_err with the reason in msg (TS_ERR_BUSY: the serial port is
 * held by another program), and *out is NULL. */
int ts_linux_open(struct ts_linux **out, const struct ts_linux_cfg *cfg, struct ts_port *port,
		  char *msg, size_t n);
void ts_linux_close(struct ts_linux *lx);

/* Can the link run at this rate (a standard termios rate)? */
bool ts_linux_baud_supported(uint32_t baud);

/* Bytes the last HTTP request put on the wire, out and in (headers and
 * bodies, before TLS). */
void ts_linux_http_bytes(const struct ts_linux *lx, uint64_t *out, uint64_t *in);

/* The crypto concern on OpenSSL's libcrypto (crypto_openssl.c), which
 * ts_linux_open() puts in every port; ctx is unused (NULL is fine). The tools
 * verify with it too, so the CLI and the engine share one verifier. */
extern const struct ts_crypto_ops ts_crypto_openssl_ops;

#endif
