/*
 * Inside the Linux port (see ts_linux.h): the struct behind the opaque
 * handle and the parts, one file each. Only the port's files and its
 * white-box test include this.
 */
#ifndef TWINSLOT_LINUX_PORT_H
#define TWINSLOT_LINUX_PORT_H

#include "http_curl.h"
#include "ts_linux.h"

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
	bool have_http;
	struct ts_http_curl curl;
};

/* The port's own lines, through the caller's sink. */
void ts_linux_say(struct ts_linux *lx, enum ts_log_level level, const char *msg);

int ts_serial_open(struct ts_linux *lx, char *msg, size_t n);
int ts_serial_configure(void *ctx, uint32_t baud, bool even_parity);
long ts_serial_read(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms);
int ts_serial_write(void *ctx, const uint8_t *buf, size_t n);
int ts_serial_flush_input(void *ctx);

int ts_pins_open(struct ts_linux *lx, char *msg, size_t n);
void ts_pins_close(struct ts_linux *lx);
int ts_pins_set_boot0(void *ctx, bool high);
int ts_pins_set_nrst(void *ctx, bool high);

/* The virtual board's control socket (pins_board.c). */
int ts_board_pins_open(struct ts_linux *lx, const char *path, char *msg, size_t n);
int ts_board_pins_cmd(struct ts_linux *lx, const char *cmd);

long ts_store_get(void *ctx, const char *key, void *buf, size_t n);
int ts_store_put(void *ctx, const char *key, const void *buf, size_t n);

#endif
