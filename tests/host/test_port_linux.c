/* The Linux port's parts that need no hardware: the state file, the serial
 * port on a pseudo-terminal (parity refused by the pty: warned about,
 * accepted), bytes both ways with time-outs, one user at a time, and the
 * concerns a configuration fills. White-box: it sees struct ts_linux. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <pty.h>

#include <cmocka.h>

#include "linux_port.h"
#include "twinslot/err.h"

static void quiet_log(void *ctx, enum ts_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static const struct ts_sink_ops QUIET = { .log = quiet_log };

static void store_round_trip(void **state)
{
	(void)state;
	char path[] = "/tmp/ts-store-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct ts_linux lx;
	memset(&lx, 0, sizeof(lx));
	lx.cfg.store_path = path;
	char buf[64];
	assert_int_equal(ts_store_get(&lx, "etag", buf, sizeof(buf)), TS_ERR_NOENT);
	assert_int_equal(ts_store_put(&lx, "etag", "\"abc\"", 5), TS_OK);
	assert_int_equal(ts_store_put(&lx, "outcome", "confirmed", 9), TS_OK);
	assert_int_equal(ts_store_put(&lx, "etag", "\"def1\"", 6), TS_OK);
	assert_int_equal(ts_store_get(&lx, "etag", buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "\"def1\"", 6);
	assert_int_equal(ts_store_get(&lx, "outcome", buf, sizeof(buf)), 9);
	assert_int_equal(ts_store_get(&lx, "outcome", buf, 3), TS_ERR_BUFSIZE);
	unlink(path);
}

static void pty_is_accepted_without_parity(void **state)
{
	(void)state;
	int master, slave;
	char name[128];
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	struct ts_linux *lx;
	struct ts_port port;
	char msg[256];
	struct ts_linux_cfg cfg = { .serial_path = name, .pins = "manual", .sink = &QUIET };
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_OK);
	assert_true(lx->is_pty);
	const struct ts_link_ops *l = port.link;
	assert_int_equal(l->configure(port.link_ctx, 115200, true), TS_OK);
	assert_true(lx->warned_parity);
	assert_int_equal(l->configure(port.link_ctx, 12345, true), TS_ERR_UNSUPPORTED);

	uint8_t b[8];
	uint64_t t0 = port.clock->now_ms(port.clock_ctx);
	assert_int_equal(l->read(port.link_ctx, b, sizeof(b), 50), 0);
	assert_true(port.clock->now_ms(port.clock_ctx) - t0 >= 50);
	assert_int_equal(write(master, "\x79", 1), 1);
	assert_int_equal(l->read(port.link_ctx, b, sizeof(b), 1000), 1);
	assert_int_equal(b[0], 0x79);
	assert_int_equal(l->write(port.link_ctx, (const uint8_t *)"\x7F", 1), TS_OK);
	assert_int_equal(read(master, b, 1), 1);
	assert_int_equal(b[0], 0x7F);
	ts_linux_close(lx);
	close(slave);
	close(master);
}

static void bad_pins_spec_is_refused(void **state)
{
	(void)state;
	int master, slave;
	char name[128];
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	struct ts_linux *lx;
	struct ts_port port;
	char msg[256];
	struct ts_linux_cfg cfg = { .serial_path = name, .pins = "gpio:x", .sink = &QUIET };
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_ERR_INVAL);
	assert_non_null(strstr(msg, "dtr-rts"));
	cfg.pins = "board:/nonexistent/socket";
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_ERR_IO);
	assert_non_null(strstr(msg, "control socket"));
	close(slave);
	close(master);
}

/* A second opener of the same port is refused at once, touching nothing;
 * the port is free again when the first closes it. */
static void second_user_is_refused_as_busy(void **state)
{
	(void)state;
	int master, slave;
	char name[128];
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	struct ts_linux *a, *b;
	struct ts_port pa, pb;
	char msg[256];
	struct ts_linux_cfg cfg = { .serial_path = name, .pins = "manual", .sink = &QUIET };
	assert_int_equal(ts_linux_open(&a, &cfg, &pa, msg, sizeof(msg)), TS_OK);
	assert_int_equal(ts_linux_open(&b, &cfg, &pb, msg, sizeof(msg)), TS_ERR_BUSY);
	assert_null(b);
	assert_non_null(strstr(msg, "port busy"));
	ts_linux_close(a);
	assert_int_equal(ts_linux_open(&b, &cfg, &pb, msg, sizeof(msg)), TS_OK);
	ts_linux_close(b);
	close(slave);
	close(master);
}

/* Each concern is there when configured, and only then. */
static void concerns_follow_the_configuration(void **state)
{
	(void)state;
	struct ts_linux *lx;
	struct ts_port port;
	char msg[256];
	struct ts_linux_cfg cfg = { .store_path = "/tmp/ts-unused-state" };
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_OK);
	assert_null(port.link);
	assert_null(port.http);
	assert_non_null(port.store);
	assert_int_equal(ts_port_require(&port, TS_NEED_CLOCK | TS_NEED_WALL_TIME |
					 TS_NEED_RANDOM | TS_NEED_STORE, msg, sizeof msg), TS_OK);
	assert_int_equal(ts_port_require(&port, TS_NEED_LINK, msg, sizeof msg),
			 TS_ERR_UNSUPPORTED);
	assert_non_null(strstr(msg, "no link"));
	assert_int_equal(ts_port_require(&port, TS_NEED_HTTP, msg, sizeof msg),
			 TS_ERR_UNSUPPORTED);
	assert_non_null(strstr(msg, "no HTTP"));
	uint64_t t;
	assert_int_equal(port.clock->wall_time(port.clock_ctx, &t), TS_OK);
	assert_true(t > 1700000000u);
	ts_linux_close(lx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_round_trip),
		cmocka_unit_test(pty_is_accepted_without_parity),
		cmocka_unit_test(bad_pins_spec_is_refused),
		cmocka_unit_test(second_user_is_refused_as_busy),
		cmocka_unit_test(concerns_follow_the_configuration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
