/* BOOT0 and NRST: libgpiod, DTR/RTS, the virtual board's control socket
 * (pins_board.c), or the user's hands (see ts_linux.h). Levels are those at
 * the STM32's pins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifdef TS_HAVE_GPIOD
#include <gpiod.h>
#endif

#include "linux_port.h"
#include "twinslot/err.h"

/* ---- libgpiod v1 ---- */

static int gpiod_open(struct ts_linux *lx, const char *spec, char *msg, size_t n)
{
#ifdef TS_HAVE_GPIOD
	char chip[64];
	unsigned b0, rst;
	if (sscanf(spec, "%63[^:]:%u:%u", chip, &b0, &rst) != 3) {
		snprintf(msg, n, "--pins gpiod:CHIP:BOOT0_LINE:NRST_LINE (e.g. gpiod:gpiochip0:17:27)");
		return TS_ERR_INVAL;
	}
	struct gpiod_chip *c = gpiod_chip_open_lookup(chip);
	if (!c) {
		snprintf(msg, n, "gpio chip %s: %s", chip, strerror(errno));
		return TS_ERR_IO;
	}
	struct gpiod_line *lb = gpiod_chip_get_line(c, b0);
	struct gpiod_line *lr = gpiod_chip_get_line(c, rst);
	if (!lb || !lr ||
	    gpiod_line_request_output(lb, "twinslot-boot0", 0) != 0 ||
	    gpiod_line_request_output_flags(lr, "twinslot-nrst",
					    GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN, 1) != 0) {
		snprintf(msg, n, "gpio %s lines %u/%u: %s (in use, or no permission?)", chip, b0, rst,
			 strerror(errno));
		gpiod_chip_close(c);
		return TS_ERR_IO;
	}
	lx->gpio_chip = c;
	lx->gpio_boot0 = lb;
	lx->gpio_nrst = lr;
	return TS_OK;
#else
	(void)lx;
	(void)spec;
	snprintf(msg, n, "built without libgpiod (install libgpiod-dev and rebuild)");
	return TS_ERR_UNSUPPORTED;
#endif
}

/* ---- open / close ---- */

int ts_pins_open(struct ts_linux *lx, char *msg, size_t n)
{
	const char *p = lx->cfg.pins ? lx->cfg.pins : "manual";
	lx->sock = -1;
	if (strcmp(p, "manual") == 0) {
		lx->pins = TS_PINS_MANUAL;
		return TS_OK;
	}
	if (strncmp(p, "gpiod:", 6) == 0) {
		lx->pins = TS_PINS_GPIOD;
		return gpiod_open(lx, p + 6, msg, n);
	}
	if (strcmp(p, "dtr-rts") == 0 || strcmp(p, "dtr-rts:inverted") == 0) {
		lx->pins = TS_PINS_DTR_RTS;
		lx->inverted = strchr(p, ':') != NULL;
		return TS_OK;
	}
	if (strncmp(p, "board:", 6) == 0) {
		lx->pins = TS_PINS_BOARD;
		return ts_board_pins_open(lx, p + 6, msg, n);
	}
	snprintf(msg, n, "unknown --pins '%s' (gpiod:CHIP:BOOT0:NRST, dtr-rts[:inverted], "
		 "board:SOCKET, manual)", p);
	return TS_ERR_INVAL;
}

void ts_pins_close(struct ts_linux *lx)
{
	if (lx->fd >= 0)
		ioctl(lx->fd, TIOCNXCL);
	if (lx->sock >= 0)
		close(lx->sock);
	lx->sock = -1;
#ifdef TS_HAVE_GPIOD
	if (lx->gpio_chip)
		gpiod_chip_close(lx->gpio_chip); /* releases the lines */
#endif
	lx->gpio_chip = NULL;
}

/* ---- modem lines ----
 * A USB-UART adapter's DTR#/RTS# outputs are active low: asserting the
 * signal drives the pin to 0 V. Wired straight to the STM32, asserted DTR
 * holds NRST low and asserted RTS holds BOOT0 low. "inverted" is for
 * boards with an inverting transistor on each line. */
static int modem_set(struct ts_linux *lx, int bit, bool pin_high)
{
	bool assert = lx->inverted ? pin_high : !pin_high;
	int b = bit;
	return ioctl(lx->fd, assert ? TIOCMBIS : TIOCMBIC, &b) == 0 ? TS_OK : TS_ERR_IO;
}

/* ---- manual ---- */

static int ask(struct ts_linux *lx, const char *what)
{
	char line[64];
	fprintf(stderr, "%s: %s, then press Enter: ", lx->cfg.prompt ? lx->cfg.prompt : "twinslot",
		what);
	fflush(stderr);
	FILE *tty = fopen("/dev/tty", "r");
	FILE *in = tty ? tty : stdin;
	char *r = fgets(line, sizeof(line), in);
	if (tty)
		fclose(tty);
	return r ? TS_OK : TS_ERR_IO;
}

int ts_pins_set_boot0(void *ctx, bool high)
{
	struct ts_linux *lx = ctx;
	switch (lx->pins) {
	case TS_PINS_BOARD:
		return ts_board_pins_cmd(lx, high ? "boot0 1" : "boot0 0");
	case TS_PINS_DTR_RTS:
		return modem_set(lx, TIOCM_RTS, high);
	case TS_PINS_GPIOD:
#ifdef TS_HAVE_GPIOD
		return gpiod_line_set_value(lx->gpio_boot0, high) == 0 ? TS_OK : TS_ERR_IO;
#else
		return TS_ERR_UNSUPPORTED;
#endif
	default:
		return ask(lx, high ? "set BOOT0 HIGH (jumper BOOT0 to VDD)"
				    : "set BOOT0 LOW (jumper BOOT0 to GND)");
	}
}

int ts_pins_set_nrst(void *ctx, bool high)
{
	struct ts_linux *lx = ctx;
	bool was_low = lx->nrst_low;
	lx->nrst_low = !high;
	switch (lx->pins) {
	case TS_PINS_BOARD:
		return ts_board_pins_cmd(lx, high ? "nrst 1" : "nrst 0");
	case TS_PINS_DTR_RTS:
		return modem_set(lx, TIOCM_DTR, high);
	case TS_PINS_GPIOD:
#ifdef TS_HAVE_GPIOD
		return gpiod_line_set_value(lx->gpio_nrst, high) == 0 ? TS_OK : TS_ERR_IO;
#else
		return TS_ERR_UNSUPPORTED;
#endif
	default:
		/* One press of the reset button is the whole pulse. */
		return high && was_low ? ask(lx, "press and release the board's RESET button")
				       : TS_OK;
	}
}
