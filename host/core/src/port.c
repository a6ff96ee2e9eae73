/* The port's shared helpers: which concern is missing, and the sink. */
#include "twinslot/port.h"

#include <stdarg.h>
#include <stdio.h>

#include "twinslot/err.h"

int ts_port_require(const struct ts_port *port, unsigned need, char *msg, size_t n)
{
	const struct ts_link_ops *l = port->link;
	const struct ts_clock_ops *c = port->clock;
	const char *missing = NULL;

	if ((need & TS_NEED_LINK) && (!l || !l->configure || !l->read || !l->write ||
				      !l->flush_input || !l->set_boot0 || !l->set_nrst))
		missing = "no link (serial line and BOOT0/NRST pins)";
	else if ((need & (TS_NEED_CLOCK | TS_NEED_WALL_TIME | TS_NEED_RANDOM)) &&
		 (!c || !c->now_ms || !c->sleep_ms))
		missing = "no clock";
	else if ((need & TS_NEED_WALL_TIME) && !c->wall_time)
		missing = "no wall clock (needed to sign S3 requests)";
	else if ((need & TS_NEED_RANDOM) && !c->random)
		missing = "no random numbers";
	else if ((need & TS_NEED_STORE) && (!port->store || !port->store->get || !port->store->put))
		missing = "no persistent storage";
	else if ((need & TS_NEED_HTTP) && (!port->http || !port->http->request))
		missing = "no HTTP client";
	else if ((need & TS_NEED_CRYPTO) && (!port->crypto || !port->crypto->ecdsa_p256_verify))
		missing = "no signature verification (crypto)";
	if (!missing)
		return TS_OK;
	if (msg && n)
		snprintf(msg, n, "this platform's port has %s", missing);
	return TS_ERR_UNSUPPORTED;
}

void ts_port_log(const struct ts_port *port, enum ts_log_level level, const char *fmt, ...)
{
	if (!port->sink || !port->sink->log)
		return;
	char line[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	port->sink->log(port->sink_ctx, level, line);
}

void ts_port_progress(const struct ts_port *port, const char *phase, uint64_t done,
		      uint64_t total)
{
	if (!port->sink || !port->sink->progress)
		return;
	struct ts_progress p = { phase, done, total };
	port->sink->progress(port->sink_ctx, &p);
}
