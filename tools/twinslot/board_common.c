/* Shared set-up of the board subcommands (see board_cli.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board_cli.h"
#include "cli.h"
#include "twinslot/err.h"
#include "twinslot/version.h"

const struct ts_optdef ts_board_opts[TS_BOARD_NOPTS] = {
	{ "--port", NULL, "DEV", "serial port: /dev/ttyUSB0, /dev/serial0, a pty" },
	{ "--pins", NULL, "SPEC", "BOOT0/NRST: gpiod:CHIP:BOOT0_LINE:NRST_LINE,\n"
				  "dtr-rts[:inverted], board:SOCKET, manual (default)" },
	{ "--baud", NULL, "N", "ROM bootloader baud rate, 8E1 (default 115200)" },
	{ "--console-baud", NULL, "N", "firmware console baud rate, 8N1 (default 115200)" },
	{ "--no-voltage-range", NULL, NULL, "keep the ROM's x8 programming (boards below 2.7 V)" },
	{ "--any-chip", NULL, NULL, "accept a product ID other than 0x413" },
	{ "--state", NULL, "FILE", "remember the last outcome in FILE" },
	{ "--json", NULL, NULL, "JSON-lines events on stdout" },
	{ "--verbose", "-v", NULL, "more output" },
	{ "--quiet", "-q", NULL, "less output: warnings and errors only" },
};

/* ---- stopping on SIGINT / SIGTERM ---- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

bool ts_board_stop_requested(void)
{
	return stop_flag != 0;
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- options ---- */

bool ts_board_parse(struct ts_board_cli *b, const struct ts_cmdspec *spec, int argc,
		    char **argv, int *exit_code)
{
	memset(b, 0, sizeof(*b));
	b->cmd = spec->cmd;
	int r = ts_args_parse(spec, argc, argv, &b->args);
	if (r != TS_ARGS_OK) {
		*exit_code = r == TS_ARGS_HELP ? TS_BEXIT_OK : TS_BEXIT_USAGE;
		return false;
	}
	b->json = ts_flag(&b->args, "--json");
	ts_out_init(&b->out, b->cmd, b->json, ts_flag(&b->args, "--verbose"),
		    ts_flag(&b->args, "--quiet"));
	return true;
}

bool ts_board_u32(struct ts_board_cli *b, const char *name, uint32_t min, uint32_t max,
		  const char *what, uint32_t *out)
{
	const char *s = ts_arg(&b->args, name);
	uint32_t v;
	if (!s)
		return true;
	if (!ts_parse_u32(s, &v) || v < min || v > max) {
		ts_cli_err(b->cmd, "%s: %s, not \"%s\"", name, what, s);
		return false;
	}
	*out = v;
	return true;
}

static bool baud_ok(struct ts_board_cli *b, const char *name, uint32_t *out)
{
	if (!ts_board_u32(b, name, 1, 0xFFFFFFFFu, "a baud rate", out))
		return false;
	if (ts_linux_baud_supported(*out))
		return true;
	ts_cli_err(b->cmd, "%s: %u is not a standard baud rate (e.g. 57600, 115200, 230400)",
		   name, (unsigned)*out);
	return false;
}

/* The state file must be writable before anything starts: its directory
 * exists and takes a new file, and the file, if there, is a regular one we
 * may rewrite. */
static bool state_ok(struct ts_board_cli *b, const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!*path || strlen(path) >= sizeof dir) {
		ts_cli_err(b->cmd, "--state: not a usable path: \"%s\"", path);
		return false;
	}
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	if (access(dir, W_OK | X_OK) != 0) {
		ts_cli_err(b->cmd, "--state %s: cannot write in %s: %s", path, dir, strerror(errno));
		return false;
	}
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ts_cli_err(b->cmd, "--state %s: not a regular file (a directory?)", path);
		return false;
	}
	if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
		ts_cli_err(b->cmd, "--state %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

int ts_board_config(struct ts_board_cli *b, struct ts_update_cfg *cfg)
{
	const char *state = ts_arg(&b->args, "--state");
	if (!ts_arg(&b->args, "--port")) {
		ts_cli_err(b->cmd, "--port is required (e.g. --port /dev/ttyUSB0)");
		return TS_BEXIT_USAGE;
	}
	if (!baud_ok(b, "--baud", &cfg->baud) || !baud_ok(b, "--console-baud", &cfg->console_baud))
		return TS_BEXIT_USAGE;
	if (state && !state_ok(b, state))
		return TS_BEXIT_USAGE;
	cfg->voltage_range = !ts_flag(&b->args, "--no-voltage-range");
	cfg->allow_any_pid = ts_flag(&b->args, "--any-chip");
	return TS_BEXIT_OK;
}

int ts_board_path(struct ts_board_cli *b, struct ts_update_cfg *cfg)
{
	const char *p = ts_arg(&b->args, "--path");
	cfg->path = TS_PATH_AUTO;
	if (p && ts_path_parse(p, &cfg->path) != TS_OK) {
		ts_cli_err(b->cmd, "--path: \"%s\" is not auto, app or rom", p);
		return TS_BEXIT_USAGE;
	}
	if (!ts_board_u32(b, "--app-baud", 115200, 1000000, "a baud rate 115200..1000000",
			  &cfg->app_baud))
		return TS_BEXIT_USAGE;
	return TS_BEXIT_OK;
}

static void print_failure(struct ts_board_cli *b, const char *phase, int code, const char *msg)
{
	ts_out_end(&b->out);
	if (b->json) {
		printf("{\"event\":\"result\",\"ok\":false,\"phase\":\"%s\"", phase);
		if (code)
			printf(",\"code\":%d", code);
		printf(",\"error\":");
		ts_json_str(stdout, msg);
		printf("}\n");
	} else {
		ts_cli_err(b->cmd, "%s", msg);
	}
}

int ts_board_open(struct ts_board_cli *b, const struct ts_update_cfg *cfg)
{
	char msg[300];
	struct ts_linux_cfg lc = {
		.serial_path = ts_arg(&b->args, "--port"), .pins = ts_arg(&b->args, "--pins"),
		.store_path = ts_arg(&b->args, "--state"), .http = b->http, .ca_file = b->ca_file,
		.sink = &ts_out_sink, .sink_ctx = &b->out,
	};
	char prompt[40];
	snprintf(prompt, sizeof prompt, "twinslot %s", b->cmd);
	lc.prompt = prompt;
	int err = ts_linux_open(&b->lx, &lc, &b->port, msg, sizeof(msg));
	if (err) {
		print_failure(b, "connect", 0, msg);
		return err == TS_ERR_INVAL ? TS_BEXIT_USAGE : TS_BEXIT_BOARD;
	}
	catch_signals();
	ts_update_init(&b->u, &b->port, cfg);
	b->u.stop = &stop_flag;
	return TS_BEXIT_OK;
}

void ts_board_close(struct ts_board_cli *b)
{
	ts_out_end(&b->out);
	ts_linux_close(b->lx);
	b->lx = NULL;
	ts_args_free(&b->args);
}

/* What each slot holds, in one line, after a stop. */
static void say_slots(struct ts_board_cli *b)
{
	const struct ts_board *bd = &b->u.board;
	char line[240];
	size_t k = 0;
	for (int s = 0; s < TS_SLOT_COUNT && k < sizeof line; s++) {
		char v[TS_VERSION_STR_MAX];
		bool fresh = b->u.committed && s == (int)bd->target;
		const char *role = fresh ? " (committed PENDING: on trial)"
				   : !bd->has_running ? ""
				   : s == (int)bd->running ? " (running)" : "";
		ts_version_format(bd->ids[s].version, v);
		k += (size_t)snprintf(line + k, sizeof line - k, "%sslot %c %s%s%s", s ? ", " : "",
				      ts_slot_name((enum ts_slot)s), bd->ids[s].present ? "v" : "",
				      bd->ids[s].present ? v : "empty", role);
	}
	ts_cli_err(b->cmd, "stopped: %s; %s", line,
		   b->u.committed ? "the outcome was not watched: see twinslot status"
				  : "nothing new was committed");
}

int ts_board_fail(struct ts_board_cli *b, int err)
{
	enum ts_phase ph = b->u.phase;
	print_failure(b, ts_phase_name(ph), err, b->u.msg);
	if (err == TS_ERR_CANCELED) {
		/* A safe point: let the board run what it ran. */
		if (b->u.in_rom && ts_update_restart(&b->u) != TS_OK)
			ts_cli_err(b->cmd, "%s", b->u.msg);
		say_slots(b);
		return b->u.committed ? TS_BEXIT_UNOBSERVED : TS_BEXIT_STOPPED;
	}
	if (ph == TS_PHASE_CHECK)
		return TS_BEXIT_REFUSED;
	if (ph == TS_PHASE_CONNECT)
		return TS_BEXIT_BOARD;
	if (b->u.committed || b->u.commit_unsure)
		return TS_BEXIT_UNOBSERVED;
	return ph >= TS_PHASE_RESTART ? TS_BEXIT_BOARD : TS_BEXIT_FLASH;
}

int ts_board_release(struct ts_board_cli *b)
{
	int err = ts_update_restart(&b->u);
	if (err)
		return ts_board_fail(b, err);
	return TS_BEXIT_OK;
}
