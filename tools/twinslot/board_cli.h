/*
 * The twinslot subcommands that talk to a board through its ROM bootloader
 * (flash, status, confirm, rollback, read, erase): shared options, the Linux
 * port and the update engine set up in one place, and their exit codes.
 */
#ifndef TWINSLOT_BOARD_CLI_H
#define TWINSLOT_BOARD_CLI_H

#include <stdbool.h>

#include "ts_linux.h"
#include "twinslot/update.h"

enum ts_board_exit {
	TS_BEXIT_OK = 0,
	TS_BEXIT_REFUSED = 1,     /* refused before flash was touched */
	TS_BEXIT_USAGE = 2,
	TS_BEXIT_BOARD = 3,       /* could not talk to the board; flash untouched */
	TS_BEXIT_FLASH = 4,       /* failed while changing flash: nothing committed */
	TS_BEXIT_ROLLED_BACK = 5, /* installed, but the board rolled back */
	TS_BEXIT_NO_VERDICT = 6,  /* installed, no verdict within the time-out */
};

#define TS_BOARD_EXIT_HELP \
	"Exit codes:\n" \
	"  0  done (flash: the new image booted and confirmed itself)\n" \
	"  1  refused before anything was written (image, slot, product, version)\n" \
	"  2  usage error\n" \
	"  3  could not talk to the board (sync, chip ID, pins); flash untouched\n" \
	"  4  failed while erasing/writing/committing: the running slot is intact,\n" \
	"     the new image was not committed; retry\n" \
	"  5  installed, but the board rolled back to the previous image\n" \
	"  6  installed, but no verdict within the time-out\n"

#define TS_BOARD_OPTS_HELP \
	"  --port DEV           serial port: /dev/ttyUSB0, /dev/serial0, a pty\n" \
	"  --pins SPEC          BOOT0/NRST: gpiod:CHIP:BOOT0_LINE:NRST_LINE,\n" \
	"                       dtr-rts[:inverted], board:SOCKET, manual (default)\n" \
	"  --baud N             ROM bootloader baud rate, 8E1 (default 115200)\n" \
	"  --console-baud N     firmware console baud rate, 8N1 (default 115200)\n" \
	"  --no-voltage-range   keep the ROM's x8 programming (boards below 2.7 V)\n" \
	"  --any-chip           accept a product ID other than 0x413\n" \
	"  --state FILE         remember the last outcome in FILE\n" \
	"  --json               JSON-lines events on stdout\n" \
	"  -v, -q               more / less output\n"

struct ts_board_cli {
	const char *cmd;
	const char *port, *pins, *baud, *console_baud, *state;
	bool json, no_vrange, any_chip, verbose, quiet;
	struct ts_linux lx;
	struct ts_port port_ops;
	struct ts_update u;
};

/* Parse one common option at argv[*i]: 1 taken, 0 not ours, -1 error. */
int ts_board_opt(struct ts_board_cli *b, int argc, char **argv, int *i);
/* Open the port and set up the engine (cfg adjusted from the options). */
int ts_board_open(struct ts_board_cli *b, struct ts_update_cfg *cfg);
void ts_board_close(struct ts_board_cli *b);
/* Report an engine failure (text or JSON) and map it to an exit code. */
int ts_board_fail(struct ts_board_cli *b, int err);
/* Leave the ROM bootloader and let the board run (BOOT0 low, NRST pulse). */
int ts_board_release(struct ts_board_cli *b);

int ts_cmd_flash(int argc, char **argv);
int ts_cmd_status(int argc, char **argv);
int ts_cmd_confirm(int argc, char **argv);
int ts_cmd_rollback(int argc, char **argv);
int ts_cmd_read(int argc, char **argv);
int ts_cmd_erase(int argc, char **argv);

#endif
