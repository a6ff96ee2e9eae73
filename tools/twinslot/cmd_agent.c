/*
 * twinslot agent: the polling daemon. Options come from a key=value config
 * file (--config) and the command line (which wins). Each poll is one
 * ts_agent_poll() (host/core/src/agent.c); between polls it sleeps the
 * interval with jitter. SIGTERM/SIGINT: stop after the poll in progress (an
 * update in progress is finished first); a second signal stops at once.
 * Logs are plain lines on stderr (journald takes them as they are; with
 * --syslog-prefix or under systemd's JOURNAL_STREAM each line gets a <N>
 * priority prefix); a progress bar is drawn only on a terminal.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board_cli.h"
#include "cli.h"
#include "http_curl.h"
#include "ts_linux.h"
#include "twinslot/agent.h"
#include "twinslot/err.h"

static const char HELP[] =
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
	"(without the dashes; flags take true/false). The command line wins.\n"
	"\n"
	"  --config FILE         read options from FILE\n"
	"  --endpoint URL        S3 endpoint: https://s3.REGION.amazonaws.com,\n"
	"                        http://127.0.0.1:PORT (required)\n"
	"  --bucket B            bucket (required)\n"
	"  --manifest KEY        the manifest's key (default manifest.json)\n"
	"  --region R            signing region (default us-east-1)\n"
	"  --virtual-hosted      bucket.host/key URLs\n"
	"  --ca-file PEM         trust these CAs instead of the system's\n"
	"  --access-key K, --secret-key S, --session-token T\n"
	"                        credentials (default: AWS_ACCESS_KEY_ID, ...;\n"
	"                        none: anonymous requests to public objects)\n"
	"  --product NAME        the manifest's product must be NAME\n"
	"  --device NAME         this device's name in reports (default: host name)\n"
	"  --report-prefix P     write the outcome to P/DEVICE.json in the bucket\n"
	"  --interval S          seconds between polls (default 60)\n"
	"  --jitter S            +- seconds of uniform jitter (default interval/10)\n"
	"  --outcome-timeout S   seconds to wait for a trial's verdict (default 20)\n"
	"  --max-resets N        NRST pulses for an image that never confirms\n"
	"                        nor fails, before giving up (default 5)\n"
	"  --max-tries N         failed attempts of one release before it is\n"
	"                        remembered as failed (default 3)\n"
	"  --allow-downgrade     install versions not newer than the board's\n"
	"  --once                poll once and exit (exit code: see below)\n"
	"  --syslog-prefix       <N> priority prefixes on log lines\n"
	TS_BOARD_OPTS_HELP
	"\n"
	"Exit codes: 0 stopped by a signal, or (--once) unchanged, skipped or\n"
	"confirmed; 1 refused configuration; 2 usage; 3 the board or S3 could not\n"
	"be opened; with --once: 4 failed, 5 rolled back, 6 no verdict.\n";

static const char CMD[] = "agent";

/* Every option, by name; values from the command line or the file. */
enum {
	O_CONFIG, O_ENDPOINT, O_BUCKET, O_MANIFEST, O_REGION, O_VHOST, O_CA, O_AK, O_SK,
	O_TOKEN, O_PRODUCT, O_DEVICE, O_REPORT, O_INTERVAL, O_JITTER, O_OTIMEOUT,
	O_MAXRESETS, O_MAXTRIES, O_DOWNGRADE, O_ONCE, O_SYSLOG, O_PORT, O_PINS, O_BAUD,
	O_CBAUD, O_STATE, O_NOVRANGE, O_ANYCHIP, O_VERBOSE, O_QUIET, O_JSON, O_COUNT
};

static const struct {
	const char *name;
	bool flag;
} OPTS[O_COUNT] = {
	[O_CONFIG] = { "config", false },	  [O_ENDPOINT] = { "endpoint", false },
	[O_BUCKET] = { "bucket", false },	  [O_MANIFEST] = { "manifest", false },
	[O_REGION] = { "region", false },	  [O_VHOST] = { "virtual-hosted", true },
	[O_CA] = { "ca-file", false },		  [O_AK] = { "access-key", false },
	[O_SK] = { "secret-key", false },	  [O_TOKEN] = { "session-token", false },
	[O_PRODUCT] = { "product", false },	  [O_DEVICE] = { "device", false },
	[O_REPORT] = { "report-prefix", false },  [O_INTERVAL] = { "interval", false },
	[O_JITTER] = { "jitter", false },	  [O_OTIMEOUT] = { "outcome-timeout", false },
	[O_MAXRESETS] = { "max-resets", false },  [O_MAXTRIES] = { "max-tries", false },
	[O_DOWNGRADE] = { "allow-downgrade", true }, [O_ONCE] = { "once", true },
	[O_SYSLOG] = { "syslog-prefix", true },	  [O_PORT] = { "port", false },
	[O_PINS] = { "pins", false },		  [O_BAUD] = { "baud", false },
	[O_CBAUD] = { "console-baud", false },	  [O_STATE] = { "state", false },
	[O_NOVRANGE] = { "no-voltage-range", true }, [O_ANYCHIP] = { "any-chip", true },
	[O_VERBOSE] = { "verbose", true },	  [O_QUIET] = { "quiet", true },
	[O_JSON] = { "json", true },
};

static char *val[O_COUNT];

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	if (stop_requested++) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

static int find_opt(const char *name, size_t len)
{
	for (int i = 0; i < O_COUNT; i++)
		if (strlen(OPTS[i].name) == len && strncmp(OPTS[i].name, name, len) == 0)
			return i;
	return -1;
}

static bool truthy(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
		      strcmp(v, "on") == 0);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Fill the options the command line left unset from the file. */
static int read_config(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		ts_cli_err(CMD, "%s: %s", path, strerror(errno));
		return TS_EXIT_REFUSED;
	}
	char line[1024];
	int ln = 0, rc = TS_EXIT_OK;
	while (fgets(line, sizeof line, f)) {
		ln++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			ts_cli_err(CMD, "%s:%d: expected \"name = value\"", path, ln);
			rc = TS_EXIT_REFUSED;
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		int o = find_opt(k, strlen(k));
		if (o < 0 || o == O_CONFIG || o == O_ONCE) {
			ts_cli_err(CMD, "%s:%d: unknown setting \"%s\"", path, ln, k);
			rc = TS_EXIT_REFUSED;
			break;
		}
		size_t vl = strlen(v);
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v[vl - 1] = '\0';
			v++;
		}
		if (OPTS[o].flag && !truthy(v) && strcmp(v, "false") != 0 && strcmp(v, "0") != 0 &&
		    strcmp(v, "no") != 0 && strcmp(v, "off") != 0) {
			ts_cli_err(CMD, "%s:%d: %s takes true or false, not \"%s\"", path, ln, k, v);
			rc = TS_EXIT_REFUSED;
			break;
		}
		if (!val[o] && !(val[o] = strdup(v))) {
			rc = TS_EXIT_REFUSED;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-v") == 0)
			a = "--verbose";
		else if (strcmp(a, "-q") == 0)
			a = "--quiet";
		if (strncmp(a, "--", 2) != 0) {
			ts_cli_err(CMD, "unexpected argument \"%s\" (see twinslot agent --help)", a);
			return TS_EXIT_USAGE;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		int o = find_opt(name, eq ? (size_t)(eq - name) : strlen(name));
		if (o < 0) {
			ts_cli_err(CMD, "unknown option %s (see twinslot agent --help)", a);
			return TS_EXIT_USAGE;
		}
		if (val[o]) {
			ts_cli_err(CMD, "--%s given twice", OPTS[o].name);
			return TS_EXIT_USAGE;
		}
		const char *v;
		if (OPTS[o].flag)
			v = eq ? eq + 1 : "true";
		else if (eq)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else {
			ts_cli_err(CMD, "--%s needs a value", OPTS[o].name);
			return TS_EXIT_USAGE;
		}
		val[o] = strdup(v);
	}
	return TS_EXIT_OK;
}

static bool seconds(int o, uint32_t def, uint32_t max, uint32_t *out)
{
	uint32_t v = def;
	if (val[o] && (!ts_parse_u32(val[o], &v) || v > max)) {
		ts_cli_err(CMD, "%s: expected a whole number 0..%u, not \"%s\"", OPTS[o].name,
			   (unsigned)max, val[o]);
		return false;
	}
	*out = v;
	return true;
}

static uint64_t wall(void *arg)
{
	(void)arg;
	return (uint64_t)time(NULL);
}

/* Log through the Linux port, with a <N> priority prefix if asked. */
static struct ts_linux *log_lx;
static bool log_prefix;

static void agent_log(void *ctx, enum ts_log_level level, const char *msg)
{
	if (!log_prefix) {
		ts_linux_log(ctx, level, msg);
		return;
	}
	static const int prio[] = { 3, 4, 6, 7 };
	if (level == TS_LOG_DEBUG && log_lx->cfg.verbose < 1)
		return;
	ts_linux_progress_end(log_lx);
	fprintf(stderr, "<%d>twinslot agent: %s\n", prio[level], msg);
}

static uint32_t random32(void)
{
	uint32_t r = 0;
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(&r, sizeof r, 1, f) != 1)
		r = (uint32_t)rand();
	if (f)
		fclose(f);
	return r;
}

int ts_cmd_agent(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(HELP, stdout);
			return TS_EXIT_OK;
		}
	memset(val, 0, sizeof val);
	int rc = parse_args(argc, argv);
	if (rc)
		return rc;
	if (val[O_CONFIG] && (rc = read_config(val[O_CONFIG])) != 0)
		return rc;
	if (!val[O_ENDPOINT] || !val[O_BUCKET]) {
		ts_cli_err(CMD, "endpoint and bucket are required (options or config file)");
		return TS_EXIT_USAGE;
	}
	if (!val[O_PORT]) {
		ts_cli_err(CMD, "port is required (the serial port to the board)");
		return TS_EXIT_USAGE;
	}
	static struct ts_agent_cfg acfg;
	ts_agent_default_cfg(&acfg);
	uint32_t interval, jitter, otimeout;
	if (!seconds(O_INTERVAL, 60, 86400, &interval) ||
	    !seconds(O_JITTER, interval / 10, 86400, &jitter) ||
	    !seconds(O_OTIMEOUT, 20, 3600, &otimeout) ||
	    !seconds(O_MAXRESETS, acfg.max_resets, 100, &acfg.max_resets) ||
	    !seconds(O_MAXTRIES, acfg.max_tries, 1000, &acfg.max_tries))
		return TS_EXIT_USAGE;
	if (interval == 0) {
		ts_cli_err(CMD, "interval: at least 1 second");
		return TS_EXIT_USAGE;
	}
	acfg.interval_ms = interval * 1000u;
	acfg.jitter_ms = jitter * 1000u;
	if (val[O_MANIFEST])
		acfg.manifest_key = val[O_MANIFEST];
	acfg.product = val[O_PRODUCT];
	static char host[TS_AGENT_DEVICE_MAX];
	if (!val[O_DEVICE]) {
		if (gethostname(host, sizeof host - 1) != 0 || !host[0])
			snprintf(host, sizeof host, "device");
	}
	acfg.device = val[O_DEVICE] ? val[O_DEVICE] : host;
	for (const char *p = acfg.device; *p; p++)
		if (*p == '/' || *p < ' ' || *p == '"' || *p == '\\') {
			ts_cli_err(CMD, "device: \"%s\" must not hold /, quotes or backslashes",
				   acfg.device);
			return TS_EXIT_USAGE;
		}
	acfg.report_prefix = val[O_REPORT];
	acfg.allow_downgrade = truthy(val[O_DOWNGRADE]);
	bool once = truthy(val[O_ONCE]);
	log_prefix = truthy(val[O_SYSLOG]) || (getenv("JOURNAL_STREAM") && !isatty(2));

	/* The board. */
	static struct ts_board_cli board;
	struct ts_board_cli *b = &board;
	memset(b, 0, sizeof *b);
	b->cmd = CMD;
	b->port = val[O_PORT];
	b->pins = val[O_PINS];
	b->baud = val[O_BAUD];
	b->console_baud = val[O_CBAUD];
	b->state = val[O_STATE];
	b->no_vrange = truthy(val[O_NOVRANGE]);
	b->any_chip = truthy(val[O_ANYCHIP]);
	b->verbose = truthy(val[O_VERBOSE]);
	b->quiet = truthy(val[O_QUIET]);
	b->json = truthy(val[O_JSON]);
	struct ts_update_cfg ucfg;
	ts_update_default_cfg(&ucfg);
	ucfg.outcome_timeout_ms = otimeout * 1000u;
	if (ucfg.outcome_timeout_ms == 0) {
		ts_cli_err(CMD, "outcome-timeout: at least 1 second (the agent must learn the "
				"outcome to remember it)");
		return TS_EXIT_USAGE;
	}
	if (!b->state)
		fprintf(stderr, "twinslot agent: warning: no state file (--state): outcomes are "
				"forgotten when the agent stops\n");
	if ((rc = ts_board_open(b, &ucfg)) != 0)
		return rc == TS_BEXIT_USAGE ? TS_EXIT_USAGE : 3;
	log_lx = &b->lx;
	b->port_ops.log = agent_log;

	/* S3, with its own port (the http op has its own context). */
	static struct ts_http_curl curl;
	if (ts_http_curl_init(&curl, val[O_CA]) != TS_OK) {
		ts_cli_err(CMD, "libcurl did not initialise");
		ts_board_close(b);
		return 3;
	}
	static struct ts_port http_port;
	memset(&http_port, 0, sizeof http_port);
	http_port.ctx = &curl;
	http_port.http = ts_http_curl_request;
	const char *ak = val[O_AK] ? val[O_AK] : getenv("AWS_ACCESS_KEY_ID");
	const char *sk = val[O_SK] ? val[O_SK] : getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = val[O_TOKEN] ? val[O_TOKEN] : getenv("AWS_SESSION_TOKEN");
	if (ak && *ak && !(sk && *sk)) {
		ts_cli_err(CMD, "an access key without a secret key");
		rc = TS_EXIT_USAGE;
		goto out_curl;
	}
	struct ts_s3_config scfg = {
		.endpoint = val[O_ENDPOINT], .bucket = val[O_BUCKET], .region = val[O_REGION],
		.virtual_hosted = truthy(val[O_VHOST]), .creds = { ak, sk, tok },
		.unix_time = wall,
	};
	static struct ts_s3 s3;
	if (ts_s3_init(&s3, &http_port, &scfg) != TS_OK) {
		ts_cli_err(CMD, "%s", s3.error);
		rc = TS_EXIT_USAGE;
		goto out_curl;
	}
	static struct ts_agent agent;
	if (ts_agent_init(&agent, &acfg, &b->port_ops, &s3, &b->u) != TS_OK) {
		ts_cli_err(CMD, "bad agent configuration");
		rc = TS_EXIT_USAGE;
		goto out_curl;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());

	char line[400];
	snprintf(line, sizeof line, "polling s3://%s/%s at %s every %u s (+- %u s)%s%s%s",
		 val[O_BUCKET], acfg.manifest_key, val[O_ENDPOINT], (unsigned)interval,
		 (unsigned)jitter, agent.etag[0] ? "; last ETag " : "", agent.etag,
		 once ? "; once" : "");
	agent_log(&b->lx, TS_LOG_INFO, line);
	rc = TS_EXIT_OK;
	while (!stop_requested) {
		enum ts_agent_verdict vd = ts_agent_poll(&agent);
		if (vd == TS_AGENT_UNCHANGED && b->verbose) {
			snprintf(line, sizeof line, "poll %u: %s (HTTP %llu bytes out, %llu in)",
				 (unsigned)agent.polls, agent.msg,
				 (unsigned long long)curl.bytes_out, (unsigned long long)curl.bytes_in);
			agent_log(&b->lx, TS_LOG_DEBUG, line);
		}
		fflush(stdout);
		if (once) {
			rc = vd == TS_AGENT_FAILED ? 4 : vd == TS_AGENT_ROLLED_BACK ? 5
			     : vd == TS_AGENT_NO_VERDICT ? 6 : 0;
			break;
		}
		uint32_t d = ts_agent_delay_ms(&acfg, random32());
		for (uint32_t slept = 0; slept < d && !stop_requested; slept += 100) {
			struct timespec ts = { 0, 100 * 1000000L };
			if (d - slept < 100)
				ts.tv_nsec = (long)(d - slept) * 1000000L;
			nanosleep(&ts, NULL);
		}
	}
	if (stop_requested) {
		snprintf(line, sizeof line, "stopping (signal); %u polls, %u updates",
			 (unsigned)agent.polls, (unsigned)agent.updates);
		agent_log(&b->lx, TS_LOG_INFO, line);
	}
out_curl:
	ts_http_curl_close(&curl);
	ts_board_close(b);
	for (int i = 0; i < O_COUNT; i++) {
		free(val[i]);
		val[i] = NULL;
	}
	return rc;
}
