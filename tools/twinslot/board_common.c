/* Shared set-up of the board subcommands (see board_cli.h). */
#include <stdio.h>
#include <string.h>

#include "board_cli.h"
#include "cli.h"
#include "twinslot/err.h"

int ts_board_opt(struct ts_board_cli *b, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	int r;
	if ((r = ts_opt(b->cmd, argc, argv, i, "--port", &b->port)) != 0 ||
	    (r = ts_opt(b->cmd, argc, argv, i, "--pins", &b->pins)) != 0 ||
	    (r = ts_opt(b->cmd, argc, argv, i, "--baud", &b->baud)) != 0 ||
	    (r = ts_opt(b->cmd, argc, argv, i, "--console-baud", &b->console_baud)) != 0 ||
	    (r = ts_opt(b->cmd, argc, argv, i, "--state", &b->state)) != 0)
		return r;
	bool *flag = strcmp(a, "--json") == 0 ? &b->json
		     : strcmp(a, "--no-voltage-range") == 0 ? &b->no_vrange
		     : strcmp(a, "--any-chip") == 0 ? &b->any_chip
		     : strcmp(a, "-v") == 0 ? &b->verbose
		     : strcmp(a, "-q") == 0 ? &b->quiet : NULL;
	if (!flag)
		return 0;
	*flag = true;
	++*i;
	return 1;
}

int ts_board_open(struct ts_board_cli *b, struct ts_update_cfg *cfg)
{
	char msg[300];
	uint32_t v;
	if (!b->port) {
		ts_cli_err(b->cmd, "--port is required (e.g. --port /dev/ttyUSB0)");
		return TS_BEXIT_USAGE;
	}
	if (b->baud) {
		if (!ts_parse_u32(b->baud, &v) || v == 0) {
			ts_cli_err(b->cmd, "--baud: not a number: %s", b->baud);
			return TS_BEXIT_USAGE;
		}
		cfg->baud = v;
	}
	if (b->console_baud) {
		if (!ts_parse_u32(b->console_baud, &v) || v == 0) {
			ts_cli_err(b->cmd, "--console-baud: not a number: %s", b->console_baud);
			return TS_BEXIT_USAGE;
		}
		cfg->console_baud = v;
	}
	cfg->voltage_range = !b->no_vrange;
	cfg->allow_any_pid = b->any_chip;
	struct ts_linux_cfg lc = { .serial_path = b->port, .pins = b->pins, .store_path = b->state,
				   .cmd = b->cmd, .json = b->json, .verbose = b->verbose,
				   .quiet = b->quiet };
	int err = ts_linux_open(&b->lx, &lc, &b->port_ops, msg, sizeof(msg));
	if (err) {
		if (b->json) {
			printf("{\"event\":\"result\",\"ok\":false,\"phase\":\"connect\",\"error\":\"");
			ts_json_str(stdout, msg);
			printf("\"}\n");
		} else {
			ts_cli_err(b->cmd, "%s", msg);
		}
		return err == TS_ERR_INVAL ? TS_BEXIT_USAGE : TS_BEXIT_BOARD;
	}
	ts_update_init(&b->u, &b->port_ops, cfg);
	return TS_BEXIT_OK;
}

void ts_board_close(struct ts_board_cli *b)
{
	ts_linux_close(&b->lx);
}

int ts_board_fail(struct ts_board_cli *b, int err)
{
	enum ts_phase ph = b->u.phase;
	ts_linux_progress_end(&b->lx);
	if (b->json) {
		printf("{\"event\":\"result\",\"ok\":false,\"phase\":\"%s\",\"code\":%d,\"error\":\"",
		       ts_phase_name(ph), err);
		ts_json_str(stdout, b->u.msg);
		printf("\"}\n");
	} else {
		ts_cli_err(b->cmd, "%s", b->u.msg);
	}
	if (ph == TS_PHASE_CHECK)
		return TS_BEXIT_REFUSED;
	if (ph == TS_PHASE_CONNECT)
		return TS_BEXIT_BOARD;
	return TS_BEXIT_FLASH;
}

int ts_board_release(struct ts_board_cli *b)
{
	int err = ts_update_restart(&b->u);
	if (err)
		return ts_board_fail(b, err);
	return TS_BEXIT_OK;
}
