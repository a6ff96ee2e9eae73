/*
 * The virtual board's serial endpoint: the host side of the board's USART,
 * a Linux pseudo-terminal that a host program opens like /dev/ttyUSB0, and
 * optionally a TCP port on 127.0.0.1 (one client at a time) carrying the same
 * bytes.
 *
 * A pty carries bytes, not UART frames: the Linux pty driver drops PARENB on
 * every tcsetattr, so a client cannot set 8E1 on it and tools that check
 * their settings refuse it. Run stm32flash with "-m 8n1" against the pty.
 * Parity errors are a fault the endpoint injects (corrupt), not something the
 * pty can show.
 *
 * Pacing: with cfg.paced, bytes move at the configured baud rate, one byte
 * per bits_per_byte/baud seconds (11 bits for 8E1, 10 for 8N1) in each
 * direction, measured on the caller's clock (now_ns, the board's emulated
 * time). Without pacing every byte moves as soon as it is there.
 *
 * Faults: each byte, in each direction, is dropped with probability
 * drop_ppm/1e6 or has one random bit flipped with probability
 * corrupt_ppm/1e6 (event fault_injected). Seedable for reproducible tests.
 *
 * Use from a main loop:
 *   poll() on the fds from sim_serial_pollfds() (POLLIN), with a timeout up to
 *   sim_serial_deadline_ns(); then sim_serial_step(s, now) to move bytes
 *   between the fds and the internal queues; sim_serial_read() gives the
 *   bytes the host sent that are due by now; sim_serial_write() queues bytes
 *   for the host. Nothing blocks. The endpoint keeps its own slave fd open so
 *   that a host closing and reopening the pty never makes reads fail (EIO).
 *
 * Not thread-safe; one board, one thread.
 */
#ifndef TWINSLOT_SIM_SERIAL_H
#define TWINSLOT_SIM_SERIAL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

#define SIM_SERIAL_QSIZE 8192 /* bytes buffered per direction */

struct sim_serial_cfg {
	const char *link_path; /* if set, a symlink to the pty slave made here */
	int tcp_port;          /* > 0: also listen on 127.0.0.1:tcp_port */
	uint32_t baud;         /* for pacing; default 115200 when 0 */
	unsigned bits_per_byte; /* 11 (8E1), 10 (8N1); default 11 when 0 */
	bool paced;
	uint32_t corrupt_ppm;  /* per byte, per direction */
	uint32_t drop_ppm;
	uint64_t seed;
};

struct sim_serial_queue {
	uint8_t b[SIM_SERIAL_QSIZE];
	size_t head, len;
	uint64_t next_ns; /* paced: when the head byte is due */
	uint64_t last_ns; /* paced: when the last byte taken out was due */
};

struct sim_serial {
	struct sim_serial_cfg cfg;
	int master_fd;
	int slave_fd;          /* kept open by us (see above) */
	char slave_path[128];
	char link_path[4096];  /* "" when no symlink */
	int listen_fd;         /* -1 without TCP */
	int conn_fd;           /* -1 when no TCP client */
	struct sim_serial_queue rx; /* host -> board */
	struct sim_serial_queue tx; /* board -> host */
	struct sim_events *ev;
	uint64_t rng;
	uint64_t rx_bytes, tx_bytes; /* delivered so far */
	uint32_t line_baud;     /* 0: cfg.baud; else the rate the board set */
	unsigned line_bits;     /* bits per byte with line_baud */
};

/* Create the pty (raw mode), the symlink and the TCP listener as configured.
 * Returns 0 or TS_ERR_IO. ev may be NULL. */
int sim_serial_open(struct sim_serial *s, const struct sim_serial_cfg *cfg, struct sim_events *ev);
void sim_serial_close(struct sim_serial *s);

/* The pty slave's path, e.g. "/dev/pts/7". */
const char *sim_serial_path(const struct sim_serial *s);

/* Fill up to cap pollfds (events = POLLIN) with the fds to wait on; returns
 * how many (at most 3: pty master, TCP listener, TCP client). */
int sim_serial_pollfds(const struct sim_serial *s, struct pollfd *pfd, int cap);

/* Move bytes: read what the host sent into rx, send tx bytes that are due,
 * accept/close TCP clients. Call after poll() returns and before reads;
 * readable false (poll() found no fd ready) skips the reads and accepts,
 * which would only fail: at 921600 the board turns about 90,000 times a
 * second, each turn paying them. */
void sim_serial_step(struct sim_serial *s, uint64_t now_ns, bool readable);

/* Up to cap bytes from the host that are due by now_ns; returns the count. */
size_t sim_serial_read(struct sim_serial *s, uint8_t *buf, size_t cap, uint64_t now_ns);

/* Queue n bytes for the host; returns how many fit (the rest is dropped by
 * the caller's choice, like an overrun). Sent by the next sim_serial_step. */
size_t sim_serial_write(struct sim_serial *s, const uint8_t *buf, size_t n, uint64_t now_ns);

/* Earliest emulated time at which a paced byte becomes due (in either
 * direction), or UINT64_MAX when nothing is waiting on time. */
uint64_t sim_serial_deadline_ns(const struct sim_serial *s);

/* Bytes still queued for the host (not yet handed to the pty/TCP). */
size_t sim_serial_tx_pending(const struct sim_serial *s);

/* Drop everything queued in both directions (used at power-off). */
void sim_serial_flush(struct sim_serial *s);
/* At a reset of a running chip: drop what the host sent (the new program
 * never sees it) and the last tx_unsent bytes for the host (still in the
 * USART, not yet on the wire); what the USART finished sending still
 * reaches the host, as on a real line. */
void sim_serial_reset_flush(struct sim_serial *s, size_t tx_unsent);
/* Pacing follows the board's UART: baud and bits per frame of the USART the
 * firmware enabled (the wire runs at the rate the board transmits at; a
 * host at another rate is not modelled). baud 0: back to cfg (reset, ROM). */
void sim_serial_set_line(struct sim_serial *s, uint32_t baud, unsigned bits);

#endif
