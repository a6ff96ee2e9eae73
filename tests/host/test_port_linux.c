/* The Linux port's parts that need no hardware: the state file and the
 * serial port on a pseudo-terminal (parity refused by the pty: warned about,
 * accepted), bytes both ways with time-outs. */
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

#include "ts_linux.h"
#include "twinslot/err.h"

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
	struct ts_linux lx;
	struct ts_port port;
	char msg[256];
	struct ts_linux_cfg cfg = { .serial_path = name, .pins = "manual", .cmd = "test",
				    .quiet = true };
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_OK);
	assert_true(lx.is_pty);
	assert_int_equal(port.serial_configure(port.ctx, 115200, true), TS_OK);
	assert_true(lx.warned_parity);
	assert_int_equal(port.serial_configure(port.ctx, 12345, true), TS_ERR_UNSUPPORTED);

	uint8_t b[8];
	uint64_t t0 = port.now_ms(port.ctx);
	assert_int_equal(port.serial_read(port.ctx, b, sizeof(b), 50), 0);
	assert_true(port.now_ms(port.ctx) - t0 >= 50);
	assert_int_equal(write(master, "\x79", 1), 1);
	assert_int_equal(port.serial_read(port.ctx, b, sizeof(b), 1000), 1);
	assert_int_equal(b[0], 0x79);
	assert_int_equal(port.serial_write(port.ctx, (const uint8_t *)"\x7F", 1), TS_OK);
	assert_int_equal(read(master, b, 1), 1);
	assert_int_equal(b[0], 0x7F);
	ts_linux_close(&lx);
	close(slave);
	close(master);
}

static void bad_pins_spec_is_refused(void **state)
{
	(void)state;
	int master, slave;
	char name[128];
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	struct ts_linux lx;
	struct ts_port port;
	char msg[256];
	struct ts_linux_cfg cfg = { .serial_path = name, .pins = "gpio:x", .cmd = "test" };
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_ERR_INVAL);
	assert_non_null(strstr(msg, "dtr-rts"));
	cfg.pins = "board:/nonexistent/socket";
	assert_int_equal(ts_linux_open(&lx, &cfg, &port, msg, sizeof(msg)), TS_ERR_IO);
	assert_non_null(strstr(msg, "control socket"));
	close(slave);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_round_trip),
		cmocka_unit_test(pty_is_accepted_without_parity),
		cmocka_unit_test(bad_pins_spec_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
