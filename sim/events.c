/* The board's JSON-lines event log (see events.h). */
#define _DEFAULT_SOURCE
#include "events.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "twinslot/err.h"

int sim_events_open(struct sim_events *ev, const char *path)
{
	memset(ev, 0, sizeof(*ev));
	if (!path)
		return TS_OK;
	if (strcmp(path, "-") == 0) {
		ev->f = stderr;
		return TS_OK;
	}
	ev->f = fopen(path, "a");
	if (!ev->f)
		return TS_ERR_IO;
	ev->owned = 1;
	return TS_OK;
}

void sim_events_attach(struct sim_events *ev, FILE *f)
{
	memset(ev, 0, sizeof(*ev));
	ev->f = f;
}

void sim_events_close(struct sim_events *ev)
{
	if (ev->f && ev->owned)
		fclose(ev->f);
	ev->f = NULL;
	ev->owned = 0;
}

void sim_event(struct sim_events *ev, uint64_t t_ns, const char *type, const char *json_fields)
{
	if (!ev || !ev->f)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long wall_ms =
		(unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
	fprintf(ev->f, "{\"t_ns\":%llu,\"wall_ms\":%llu,\"type\":\"%s\"%s%s}\n",
		(unsigned long long)t_ns, wall_ms, type, json_fields && *json_fields ? "," : "",
		json_fields ? json_fields : "");
	fflush(ev->f);
	ev->count++;
}

void sim_eventf(struct sim_events *ev, uint64_t t_ns, const char *type, const char *fmt, ...)
{
	if (!ev || !ev->f)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sim_event(ev, t_ns, type, buf);
}
