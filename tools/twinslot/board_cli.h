/*
 * The twinslot subcommands that talk to a board through its ROM bootloader
 * (flash, status, confirm, rollback, read, erase, and the agent's board
 * side): their shared options, every option checked before the port opens,
 * the Linux port and the update engine set up in one place, clean stops on
 * SIGINT/SIGTERM, and their exit codes.
 */
#ifndef TWINSLOT_BOARD_CLI_H
#define TWINSLOT_BOARD_CLI_H

#include <stdbool.h>

#include "opts.h"
#include "output.h"
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
	TS_BEXIT_UNOBSERVED = 7,  /* committed, but the board was not seen to restart */
	TS_BEXIT_STOPPED = 8,     /* stopped by a signal at a safe point */
};

#define TS_BOARD_EXIT_HELP \
	"Exit codes:\n" \
	"  0  done (flash: the new image booted and confirmed itself)\n" \
	"  1  refused before anything was written (image, slot, product, version)\n" \
	"  2  usage error (nothing was opened)\n" \
	"  3  could not talk to the board (port busy, sync, chip ID, pins); flash\n" \
	"     untouched\n" \
	"  4  failed while erasing/writing/committing: the running slot is intact,\n" \
	"     the new image was not committed; retry\n" \
	"  5  installed, but the board rolled back to the previous image\n" \
	"  6  installed, but no verdict within the time-out\n" \
	"  7  committed (or the journal write broke off, so it may be), but the\n" \
	"     outcome was not observed: see 'twinslot status'\n" \
	"  8  stopped by SIGINT/SIGTERM at a safe point before anything was\n" \
	"     committed; the board runs its application again (the last line\n" \
	"     says what each slot holds)\n"

/* The shared options (their table is ts_board_opts). */
#define TS_BOARD_NOPTS 10
extern const struct ts_optdef ts_board_opts[TS_BOARD_NOPTS];

struct ts_board_cli {
	const char *cmd;
	struct ts_args args;
	bool json;
	bool http;                 /* the agent: the port's http concern too */
	const char *ca_file;
	struct ts_out out;
	struct ts_linux *lx;
	struct ts_port port;
	struct ts_update u;
};

/* Parse argv with spec (whose `more` is ts_board_opts). Returns true to go
 * on; false with *exit_code set (0 after --help, 2 on a usage error). */
bool ts_board_parse(struct ts_board_cli *b, const struct ts_cmdspec *spec, int argc,
		    char **argv, int *exit_code);
/* Check the shared options into cfg, before anything is opened: TS_BEXIT_OK
 * or a usage/refusal exit code (the message printed). */
int ts_board_config(struct ts_board_cli *b, struct ts_update_cfg *cfg);
/* --path auto|app|rom into cfg->path (default auto) and --app-baud into
 * cfg->app_baud: TS_BEXIT_OK or TS_BEXIT_USAGE with a message. */
int ts_board_path(struct ts_board_cli *b, struct ts_update_cfg *cfg);
#define TS_BOARD_PATH_HELP \
	"auto (default): the running application's update service\n" \
	"if it answers the offer, else the ROM bootloader; app: the\n" \
	"service only (fail if none answers); rom: the ROM only"
/* Open the port (link and, with --state, store), install the signal
 * handlers, set up the engine. */
int ts_board_open(struct ts_board_cli *b, const struct ts_update_cfg *cfg);
void ts_board_close(struct ts_board_cli *b);
/* Report an engine failure (text or JSON) and map it to an exit code. */
int ts_board_fail(struct ts_board_cli *b, int err);
/* Leave the ROM bootloader and let the board run (BOOT0 low, NRST pulse). */
int ts_board_release(struct ts_board_cli *b);
/* Was SIGINT/SIGTERM received (the engine then stops at its next safe
 * point)? */
bool ts_board_stop_requested(void);
/* An option's value as a number in [min, max] into *out (absent: *out is
 * left alone). False after printing "--NAME: ..." . */
bool ts_board_u32(struct ts_board_cli *b, const char *name, uint32_t min, uint32_t max,
		  const char *what, uint32_t *out);

int ts_cmd_flash(int argc, char **argv);
int ts_cmd_status(int argc, char **argv);
int ts_cmd_confirm(int argc, char **argv);
int ts_cmd_rollback(int argc, char **argv);
int ts_cmd_read(int argc, char **argv);
int ts_cmd_erase(int argc, char **argv);

#endif
