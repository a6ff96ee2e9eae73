/* The Linux port's assembly: clock, log, progress, and ts_linux_open(). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ts_linux.h"
#include "twinslot/err.h"

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(void *ctx, uint32_t ms)
{
	(void)ctx;
	struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

void ts_json_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void ts_linux_progress_end(struct ts_linux *lx)
{
	if (lx->bar_open) {
		fputc('\n', stderr);
		lx->bar_open = false;
	}
}

void ts_linux_log(void *ctx, enum ts_log_level level, const char *msg)
{
	struct ts_linux *lx = ctx;
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (level == TS_LOG_DEBUG && lx->cfg.verbose < 1)
		return;
	if (lx->cfg.json) {
		printf("{\"event\":\"log\",\"level\":\"%s\",\"msg\":\"", names[level]);
		ts_json_str(stdout, msg);
		printf("\"}\n");
		fflush(stdout);
		return;
	}
	if (lx->cfg.quiet && level > TS_LOG_WARN)
		return;
	ts_linux_progress_end(lx);
	fprintf(stderr, "twinslot %s: %s%s\n", lx->cfg.cmd ? lx->cfg.cmd : "",
		level == TS_LOG_ERROR ? "error: " : level == TS_LOG_WARN ? "warning: " : "", msg);
}

static void human_bytes(uint64_t b, char *out, size_t n)
{
	if (b >= 1024 * 1024)
		snprintf(out, n, "%.1f MB", (double)b / (1024.0 * 1024.0));
	else if (b >= 1024)
		snprintf(out, n, "%.1f KB", (double)b / 1024.0);
	else
		snprintf(out, n, "%u B", (unsigned)b);
}

void ts_linux_progress(void *ctx, const struct ts_progress *p)
{
	struct ts_linux *lx = ctx;
	uint64_t t = now_ms(lx);
	bool is_new = lx->prog_phase == NULL || strcmp(lx->prog_phase, p->phase) != 0;
	bool last = p->total && p->done >= p->total;
	if (is_new) {
		ts_linux_progress_end(lx);
		lx->prog_phase = p->phase;
		lx->prog_start_ms = t;
		lx->prog_last_ms = 0;
		lx->prog_last_pct = -1;
	}
	int pct = p->total ? (int)(p->done * 100u / p->total) : 0;
	uint64_t el = t - lx->prog_start_ms;
	bool bytes = strcmp(p->phase, "erase") != 0;
	double rate = el ? (double)p->done * 1000.0 / (double)el : 0.0;
	double left = rate > 0 && p->total > p->done ? (double)(p->total - p->done) / rate : 0.0;

	if (lx->cfg.json) {
		/* At most every 10 %, plus the first and last. */
		if (!is_new && !last && pct / 10 == lx->prog_last_pct / 10)
			return;
		lx->prog_last_pct = pct;
		printf("{\"event\":\"progress\",\"phase\":\"%s\",\"done\":%llu,\"total\":%llu,"
		       "\"elapsed_ms\":%llu}\n", p->phase, (unsigned long long)p->done,
		       (unsigned long long)p->total, (unsigned long long)el);
		fflush(stdout);
		return;
	}
	if (lx->cfg.quiet)
		return;
	char d[32], tot[32], r[32];
	human_bytes(p->done, d, sizeof(d));
	human_bytes(p->total, tot, sizeof(tot));
	human_bytes((uint64_t)rate, r, sizeof(r));
	if (lx->tty_err) {
		if (!last && !is_new && t - lx->prog_last_ms < 100)
			return;
		lx->prog_last_ms = t;
		char bar[31];
		int fill = pct * 30 / 100;
		for (int i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = 0;
		if (bytes)
			fprintf(stderr, "\r%-6s [%s] %3d%% %s / %s  %s/s  %u:%02u left ", p->phase, bar,
				pct, d, tot, r, (unsigned)left / 60, (unsigned)left % 60);
		else
			fprintf(stderr, "\r%-6s [%s] %llu / %llu sectors ", p->phase, bar,
				(unsigned long long)p->done, (unsigned long long)p->total);
		lx->bar_open = true;
		if (last)
			ts_linux_progress_end(lx);
		return;
	}
	/* Plain lines: every 25 % and at the end. */
	if (!last && pct / 25 == lx->prog_last_pct / 25)
		return;
	lx->prog_last_pct = pct;
	if (bytes)
		fprintf(stderr, "twinslot %s: %s %d%% (%s of %s, %s/s)\n", lx->cfg.cmd ? lx->cfg.cmd : "",
			p->phase, pct, d, tot, r);
	else
		fprintf(stderr, "twinslot %s: %s %llu/%llu sectors\n", lx->cfg.cmd ? lx->cfg.cmd : "",
			p->phase, (unsigned long long)p->done, (unsigned long long)p->total);
}

int ts_linux_open(struct ts_linux *lx, const struct ts_linux_cfg *cfg, struct ts_port *port,
		  char *msg, size_t n)
{
	memset(lx, 0, sizeof(*lx));
	lx->cfg = *cfg;
	lx->fd = -1;
	lx->sock = -1;
	lx->tty_err = isatty(2);
	int err = ts_serial_open(lx, msg, n);
	if (err)
		return err;
	if ((err = ts_pins_open(lx, msg, n)) != TS_OK) {
		close(lx->fd);
		lx->fd = -1;
		return err;
	}
	memset(port, 0, sizeof(*port));
	port->ctx = lx;
	port->serial_configure = ts_serial_configure;
	port->serial_read = ts_serial_read;
	port->serial_write = ts_serial_write;
	port->serial_flush_input = ts_serial_flush_input;
	port->set_boot0 = ts_pins_set_boot0;
	port->set_nrst = ts_pins_set_nrst;
	port->now_ms = now_ms;
	port->sleep_ms = sleep_ms;
	port->store_get = ts_store_get;
	port->store_put = ts_store_put;
	port->log = ts_linux_log;
	port->progress = ts_linux_progress;
	return TS_OK;
}

void ts_linux_close(struct ts_linux *lx)
{
	ts_linux_progress_end(lx);
	ts_pins_close(lx);
	if (lx->fd >= 0)
		close(lx->fd);
	lx->fd = -1;
}
