/* The twinslot commands' log lines and progress (see output.h). */
#include "output.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "twinslot/text.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ts_json_str(FILE *f, const char *s)
{
	char buf[1024];
	ts_json_escape(buf, sizeof buf, s);
	fprintf(f, "\"%s\"", buf);
}

void ts_out_init(struct ts_out *o, const char *cmd, bool json, int verbose, bool quiet)
{
	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	o->json = json;
	o->verbose = verbose;
	o->quiet = quiet;
	o->tty = isatty(2);
}

void ts_out_end(struct ts_out *o)
{
	if (o->bar_open) {
		fputc('\n', stderr);
		o->bar_open = false;
	}
}

static void sink_log(void *ctx, enum ts_log_level level, const char *msg)
{
	struct ts_out *o = ctx;
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { 3, 4, 6, 7 };
	if (level == TS_LOG_DEBUG && o->verbose < 1)
		return;
	if (o->json) {
		printf("{\"event\":\"log\",\"level\":\"%s\",\"msg\":", names[level]);
		ts_json_str(stdout, msg);
		printf("}\n");
		fflush(stdout);
		return;
	}
	if (o->quiet && level > TS_LOG_WARN)
		return;
	ts_out_end(o);
	if (o->syslog)
		fprintf(stderr, "<%d>twinslot %s: %s\n", prio[level], o->cmd, msg);
	else
		fprintf(stderr, "twinslot %s: %s%s\n", o->cmd,
			level == TS_LOG_ERROR ? "error: " : level == TS_LOG_WARN ? "warning: " : "",
			msg);
}

void ts_out_log(struct ts_out *o, enum ts_log_level level, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	sink_log(o, level, line);
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

static void progress_json(struct ts_out *o, const struct ts_progress *p, bool is_new, bool last,
			  int pct, uint64_t el)
{
	/* At most every 10 %, plus the first and last. */
	if (!is_new && !last && pct / 10 == o->last_pct / 10)
		return;
	o->last_pct = pct;
	printf("{\"event\":\"progress\",\"phase\":\"%s\",\"done\":%llu,\"total\":%llu,"
	       "\"elapsed_ms\":%llu}\n", p->phase, (unsigned long long)p->done,
	       (unsigned long long)p->total, (unsigned long long)el);
	fflush(stdout);
}

static void progress_bar(struct ts_out *o, const struct ts_progress *p, int pct,
			 const char *d, const char *tot, const char *r, double left)
{
	char bar[31];
	int fill = pct * 30 / 100;
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = 0;
	if (strcmp(p->phase, "erase") != 0)
		fprintf(stderr, "\r%-6s [%s] %3d%% %s / %s  %s/s  %u:%02u left ", p->phase, bar,
			pct, d, tot, r, (unsigned)left / 60, (unsigned)left % 60);
	else
		fprintf(stderr, "\r%-6s [%s] %llu / %llu sectors ", p->phase, bar,
			(unsigned long long)p->done, (unsigned long long)p->total);
	o->bar_open = true;
}

static void sink_progress(void *ctx, const struct ts_progress *p)
{
	struct ts_out *o = ctx;
	uint64_t t = mono_ms();
	bool is_new = o->phase == NULL || strcmp(o->phase, p->phase) != 0;
	bool last = p->total && p->done >= p->total;
	if (is_new) {
		ts_out_end(o);
		o->phase = p->phase;
		o->start_ms = t;
		o->last_ms = 0;
		o->last_pct = -1;
	}
	int pct = p->total ? (int)(p->done * 100u / p->total) : 0;
	uint64_t el = t - o->start_ms;
	double rate = el ? (double)p->done * 1000.0 / (double)el : 0.0;
	double left = rate > 0 && p->total > p->done ? (double)(p->total - p->done) / rate : 0.0;

	if (o->json) {
		progress_json(o, p, is_new, last, pct, el);
		return;
	}
	if (o->quiet)
		return;
	char d[32], tot[32], r[32];
	human_bytes(p->done, d, sizeof(d));
	human_bytes(p->total, tot, sizeof(tot));
	human_bytes((uint64_t)rate, r, sizeof(r));
	if (o->tty && !o->syslog) {
		if (!last && !is_new && t - o->last_ms < 100)
			return;
		o->last_ms = t;
		progress_bar(o, p, pct, d, tot, r, left);
		if (last)
			ts_out_end(o);
		return;
	}
	/* Plain lines: every 25 % and at the end. */
	if (!last && pct / 25 == o->last_pct / 25)
		return;
	o->last_pct = pct;
	if (strcmp(p->phase, "erase") != 0)
		ts_out_log(o, TS_LOG_INFO, "%s %d%% (%s of %s, %s/s)", p->phase, pct, d, tot, r);
	else
		ts_out_log(o, TS_LOG_INFO, "%s %llu/%llu sectors", p->phase,
			   (unsigned long long)p->done, (unsigned long long)p->total);
}

const struct ts_sink_ops ts_out_sink = { sink_log, sink_progress };
