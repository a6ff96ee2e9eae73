/*
 * twinslot agent: the polling daemon. Options come from a key=value config
 * file (--config) and the command line (which wins). Each poll is one
 * ts_agent_poll() (host/core/src/agent.c); between polls it sleeps the
 * interval with jitter. SIGTERM/SIGINT: stop at the engine's next safe point
 * (an update in progress is abandoned uncommitted, or left to its trial if
 * already committed), BOOT0 released and the board running its application.
 * Logs are plain lines on stderr (journald takes them as they are; with
 * --syslog-prefix or under systemd's JOURNAL_STREAM each line gets a <N>
 * priority prefix); a progress bar is drawn only on a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board_cli.h"
#include "cli.h"
#include "creds.h"
#include "sign.h"
#include "twinslot/agent.h"
#include "twinslot/err.h"

static const char USAGE[] =
	"usage: twinslot agent [--config FILE] [options]\n"
	"\n"
	"Poll a release manifest in S3 and install new releases on the board.\n"
	"A poll that finds nothing new costs one HEAD request (If-None-Match).\n"
	"A new manifest is fetched, validated and, if it is for this product and\n"
	"newer than the board's version, its image for the board's inactive slot\n"
	"is streamed from S3 into the slot, committed, and trial-booted; the\n"
	"outcome is remembered per manifest ETag (a release that failed its trial\n"
	"is never retried) and optionally reported to S3.\n"
	"\n"
	"Every option can also be a line \"name = value\" in the config file\n"
	"(without the dashes; flags take true/false). The command line wins.\n";

static const char TAIL[] =
	"Exit codes: 0 stopped by SIGINT/SIGTERM (at a safe point, the board back in\n"
	"its application), or (--once) unchanged, skipped or confirmed; 1 refused\n"
	"configuration; 2 usage; 3 the board or S3 could not be opened (port busy,\n"
	"no board); with --once: 4 failed, 5 rolled back, 6 no verdict.\n";

static const struct ts_optdef OPTS[] = {
	{ "--config", NULL, "FILE", "read options from FILE" },
	{ "--endpoint", NULL, "URL", "S3 endpoint: https://s3.REGION.amazonaws.com,\n"
				     "http://127.0.0.1:PORT (required)" },
	{ "--bucket", NULL, "B", "bucket (required)" },
	{ "--manifest", NULL, "KEY", "the manifest's key (default manifest.json)" },
	{ "--region", NULL, "R", "signing region (default us-east-1)" },
	{ "--virtual-hosted", NULL, NULL, "bucket.host/key URLs" },
	{ "--ca-file", NULL, "PEM", "trust these CAs instead of the system's" },
	{ "--credentials", NULL, "FILE", "AWS credentials file ([default] aws_access_key_id,\n"
					 "aws_secret_access_key, aws_session_token; mode 0600);\n"
					 "default: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY,\n"
					 "$AWS_SESSION_TOKEN; none: anonymous requests to public\n"
					 "objects. Never on the command line." },
	{ "--product", NULL, "NAME", "the manifest's product must be NAME" },
	{ "--device", NULL, "NAME", "this device's name in reports (default: host name)" },
	{ "--report-prefix", NULL, "P", "write the outcome to P/DEVICE.json in the bucket" },
	{ "--interval", NULL, "S", "seconds between polls (default 60)" },
	{ "--jitter", NULL, "S", "+- seconds of uniform jitter (default interval/10)" },
	{ "--outcome-timeout", NULL, "S", "seconds to wait for a trial's verdict (default 20)" },
	{ "--max-resets", NULL, "N", "NRST pulses for an image that never confirms\n"
				     "nor fails, before giving up (default 5)" },
	{ "--max-tries", NULL, "N", "failed attempts of one release before it is\n"
				    "remembered as failed (default 3)" },
	{ "--max-backoff", NULL, "S", "after failed polls the wait doubles, up to S seconds\n"
				      "(default 3600; 0: no back-off)" },
	{ "--allow-downgrade", NULL, NULL, "install versions not newer than the board's" },
	{ "--verify", NULL, NULL, "hash both slot bodies before an install, as the\n"
				  "bootloader does, so a slot corrupted behind a good\n"
				  "header is never taken for the running one (slow)" },
	{ "--path", NULL, "P", TS_BOARD_PATH_HELP },
	{ "--app-baud", NULL, "N", "highest baud to ask of the application (default 1000000)" },
	{ "--pubkey", NULL, "PEM...", "trust releases signed with this public key (repeatable,\n"
				      "up to 4; in the config file: comma-separated)" },
	{ "--allow-unsigned", NULL, NULL, "also install unsigned images (loud; development only)" },
	{ "--once", NULL, NULL, "poll once and exit (exit code: see below)" },
	{ "--syslog-prefix", NULL, NULL, "<N> priority prefixes on log lines" },
};

static const char CMD[] = "agent";

static const struct ts_cmdspec SPEC = {
	"agent", USAGE, OPTS, sizeof OPTS / sizeof OPTS[0], 0, TAIL,
	ts_board_opts, TS_BOARD_NOPTS,
};

#define LINE_MAX_CHARS 4096

/* Values read from the config file, kept until the agent ends. */
static char *file_val[TS_ARGS_MAX_OPTS];

/* One "name = value" line into the options the command line left unset. */
static int config_line(struct ts_args *a, const char *path, int ln, char *s)
{
	char *eq = strchr(s, '=');
	if (!eq) {
		ts_cli_err(CMD, "%s:%d: expected \"name = value\"", path, ln);
		return TS_EXIT_REFUSED;
	}
	*eq = '\0';
	char *k = ts_trim(s), *v = ts_trim(eq + 1);
	int o;
	const struct ts_optdef *d = k[0] == '-' ? NULL : ts_args_find(&SPEC, k, strlen(k), &o);
	if (!d || strcmp(d->name, "--config") == 0 || strcmp(d->name, "--once") == 0) {
		ts_cli_err(CMD, "%s:%d: unknown setting \"%s\"", path, ln, k);
		return TS_EXIT_REFUSED;
	}
	size_t vl = strlen(v);
	if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
		v[vl - 1] = '\0';
		v++;
	}
	if (!d->arg && !ts_truthy(v) && !ts_falsy(v)) {
		ts_cli_err(CMD, "%s:%d: %s takes true or false, not \"%s\"", path, ln, k, v);
		return TS_EXIT_REFUSED;
	}
	if (file_val[o]) {
		ts_cli_err(CMD, "%s:%d: \"%s\" is set twice in the file", path, ln, k);
		return TS_EXIT_REFUSED;
	}
	if (a->val[o])
		return TS_EXIT_OK; /* the command line wins */
	if (!(file_val[o] = strdup(v))) {
		ts_cli_err(CMD, "out of memory");
		return TS_EXIT_REFUSED;
	}
	a->val[o] = file_val[o];
	return TS_EXIT_OK;
}

static int read_config(struct ts_args *a, const char *path)
{
	struct stat st;
	FILE *f = fopen(path, "r");
	if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		ts_cli_err(CMD, "%s: %s", path, !f ? strerror(errno) : "not a regular file");
		if (f)
			fclose(f);
		return TS_EXIT_REFUSED;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ln = 0, rc = TS_EXIT_OK;
	while (rc == TS_EXIT_OK && (len = getline(&line, &cap, f)) >= 0) {
		ln++;
		if (memchr(line, 0, (size_t)len)) {
			ts_cli_err(CMD, "%s:%d: a NUL byte: not a text file", path, ln);
			rc = TS_EXIT_REFUSED;
		} else if (len > LINE_MAX_CHARS) {
			ts_cli_err(CMD, "%s:%d: line longer than %d characters: refused", path, ln,
				   LINE_MAX_CHARS);
			rc = TS_EXIT_REFUSED;
		} else {
			char *s = ts_trim(line);
			if (*s && *s != '#')
				rc = config_line(a, path, ln, s);
		}
	}
	if (rc == TS_EXIT_OK && ferror(f)) {
		ts_cli_err(CMD, "%s: cannot read: %s", path, strerror(errno));
		rc = TS_EXIT_REFUSED;
	}
	free(line);
	fclose(f);
	return rc;
}

static bool seconds(struct ts_board_cli *b, const char *name, uint32_t def, uint32_t min,
		    uint32_t max, uint32_t *out)
{
	char what[80];
	snprintf(what, sizeof what, "expected a whole number %u..%u", (unsigned)min,
		 (unsigned)max);
	*out = def;
	return ts_board_u32(b, name, min, max, what, out);
}

/* Everything checked before the board or the network is touched. */
static int configure(struct ts_board_cli *b, struct ts_agent_cfg *acfg,
		     struct ts_update_cfg *ucfg, struct ts_s3_config *scfg)
{
	struct ts_args *a = &b->args;
	static char host[TS_AGENT_DEVICE_MAX];
	uint32_t interval, jitter, otimeout, backoff;
	char msg[300];
	ts_agent_default_cfg(acfg);
	ts_update_default_cfg(ucfg);
	int rc = ts_sign_trust_options(CMD, a, ucfg);
	if (rc)
		return rc;
	if (!ts_arg(a, "--endpoint") || !ts_arg(a, "--bucket")) {
		ts_cli_err(CMD, "endpoint and bucket are required (options or config file)");
		return TS_EXIT_USAGE;
	}
	if (!ts_arg(a, "--port")) {
		ts_cli_err(CMD, "port is required (the serial port to the board)");
		return TS_EXIT_USAGE;
	}
	if (!seconds(b, "--interval", 60, 1, 86400, &interval) ||
	    !seconds(b, "--jitter", interval / 10, 0, 86400, &jitter) ||
	    !seconds(b, "--outcome-timeout", 20, 1, 3600, &otimeout) ||
	    !seconds(b, "--max-resets", acfg->max_resets, 0, 100, &acfg->max_resets) ||
	    !seconds(b, "--max-tries", acfg->max_tries, 0, 1000, &acfg->max_tries) ||
	    !seconds(b, "--max-backoff", 3600, 0, 86400, &backoff))
		return TS_EXIT_USAGE;
	acfg->max_backoff_ms = backoff * 1000u;
	acfg->interval_ms = interval * 1000u;
	acfg->jitter_ms = jitter * 1000u;
	ucfg->outcome_timeout_ms = otimeout * 1000u;
	if (ts_arg(a, "--manifest"))
		acfg->manifest_key = ts_arg(a, "--manifest");
	acfg->product = ts_arg(a, "--product");
	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "device");
	acfg->device = ts_arg(a, "--device") ? ts_arg(a, "--device") : host;
	for (const char *p = acfg->device; *p; p++)
		if (*p == '/' || *p < ' ' || *p == '"' || *p == '\\') {
			ts_cli_err(CMD, "device: \"%s\" must not hold /, quotes or backslashes",
				   acfg->device);
			return TS_EXIT_USAGE;
		}
	acfg->report_prefix = ts_arg(a, "--report-prefix");
	acfg->allow_downgrade = ts_flag(a, "--allow-downgrade");
	ucfg->verify_slots = ts_flag(a, "--verify");
	if (ts_board_path(b, ucfg) != TS_BEXIT_OK)
		return TS_EXIT_USAGE;
	static struct ts_cli_creds cc;
	struct ts_sigv4_creds creds;
	if (!ts_cli_load_creds(CMD, ts_arg(a, "--credentials"), &cc, &creds))
		return TS_EXIT_REFUSED;
	*scfg = (struct ts_s3_config){
		.endpoint = ts_arg(a, "--endpoint"), .bucket = ts_arg(a, "--bucket"),
		.region = ts_arg(a, "--region"), .virtual_hosted = ts_flag(a, "--virtual-hosted"),
		.creds = creds,
	};
	if (ts_s3_check_config(scfg, msg, sizeof msg) != TS_OK) {
		ts_cli_err(CMD, "%s", msg);
		return TS_EXIT_USAGE;
	}
	if (!ts_arg(a, "--state"))
		fprintf(stderr, "twinslot agent: warning: no state file (--state): outcomes are "
				"forgotten when the agent stops\n");
	return ts_board_config(b, ucfg) == TS_BEXIT_OK ? TS_EXIT_OK : TS_EXIT_USAGE;
}

static void sleep_between_polls(struct ts_board_cli *b, uint32_t ms)
{
	for (uint32_t slept = 0; slept < ms && !ts_board_stop_requested(); slept += 100)
		b->port.clock->sleep_ms(b->port.clock_ctx, ms - slept < 100 ? ms - slept : 100);
}

static int poll_loop(struct ts_board_cli *b, struct ts_agent *agent, bool once)
{
	const struct ts_agent_cfg *acfg = &agent->cfg;
	ts_out_log(&b->out, TS_LOG_INFO, "polling s3://%s/%s at %s every %u s (+- %u s)%s%s%s",
		   agent->s3->cfg.bucket, acfg->manifest_key, agent->s3->cfg.endpoint,
		   (unsigned)(acfg->interval_ms / 1000u), (unsigned)(acfg->jitter_ms / 1000u),
		   agent->etag[0] ? "; last ETag " : "", agent->etag, once ? "; once" : "");
	while (!ts_board_stop_requested()) {
		enum ts_agent_verdict vd = ts_agent_poll(agent);
		if (vd == TS_AGENT_UNCHANGED) {
			uint64_t out, in;
			ts_linux_http_bytes(b->lx, &out, &in);
			ts_out_log(&b->out, TS_LOG_DEBUG, "poll %u: %s (HTTP %llu bytes out, %llu in)",
				   (unsigned)agent->polls, agent->msg, (unsigned long long)out,
				   (unsigned long long)in);
		}
		fflush(stdout);
		if (once && vd != TS_AGENT_STOPPED)
			return vd == TS_AGENT_FAILED ? 4 : vd == TS_AGENT_ROLLED_BACK ? 5
			       : vd == TS_AGENT_NO_VERDICT ? 6 : 0;
		uint32_t rnd = b->port.clock->random(b->port.clock_ctx);
		uint32_t ms = ts_agent_next_delay_ms(agent, rnd);
		if (agent->fail_streak)
			ts_out_log(&b->out, TS_LOG_INFO, "next poll in %u s (back-off after %u failed "
				   "poll%s in a row)", (unsigned)((ms + 999) / 1000),
				   (unsigned)agent->fail_streak, agent->fail_streak == 1 ? "" : "s");
		sleep_between_polls(b, ms);
	}
	ts_out_log(&b->out, TS_LOG_INFO, "stopping (signal); %u polls, %u updates; the board "
		   "runs its application", (unsigned)agent->polls, (unsigned)agent->updates);
	return TS_EXIT_OK;
}

int ts_cmd_agent(int argc, char **argv)
{
	static struct ts_board_cli board;
	static struct ts_agent_cfg acfg;
	static struct ts_s3_config scfg;
	static struct ts_s3 s3;
	static struct ts_agent agent;
	struct ts_board_cli *b = &board;
	struct ts_update_cfg ucfg;
	int rc;
	if (!ts_board_parse(b, &SPEC, argc, argv, &rc))
		return rc;
	memset(file_val, 0, sizeof file_val);
	const char *config = ts_arg(&b->args, "--config");
	if ((!config || (rc = read_config(&b->args, config)) == TS_EXIT_OK) &&
	    (rc = configure(b, &acfg, &ucfg, &scfg)) == TS_EXIT_OK) {
		struct ts_args *a = &b->args;
		ts_out_init(&b->out, CMD, ts_flag(a, "--json"), ts_flag(a, "--verbose"),
			    ts_flag(a, "--quiet"));
		b->json = b->out.json;
		b->out.syslog = ts_flag(a, "--syslog-prefix") ||
				(getenv("JOURNAL_STREAM") && !isatty(2));
		b->http = true;
		b->ca_file = ts_arg(a, "--ca-file");
		if (ts_board_open(b, &ucfg) != TS_BEXIT_OK) {
			rc = 3;
		} else if (ts_s3_init(&s3, &b->port, &scfg) != TS_OK) {
			ts_cli_err(CMD, "%s", s3.error);
			rc = 3;
		} else if (ts_agent_init(&agent, &acfg, &b->port, &s3, &b->u) != TS_OK) {
			ts_cli_err(CMD, "bad agent configuration");
			rc = TS_EXIT_USAGE;
		} else {
			rc = poll_loop(b, &agent, ts_flag(a, "--once"));
		}
	}
	ts_board_close(b);
	for (int i = 0; i < TS_ARGS_MAX_OPTS; i++) {
		free(file_val[i]);
		file_val[i] = NULL;
	}
	return rc;
}
