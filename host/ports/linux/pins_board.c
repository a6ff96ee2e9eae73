/* BOOT0 and NRST of the virtual board (sim/), over its control socket:
 * one "boot0 0|1" / "nrst 0|1" line per change, answered "ok". The board is
 * a program on a machine that may be loaded: it gets 30 s to answer. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux_port.h"
#include "twinslot/err.h"

int ts_board_pins_cmd(struct ts_linux *lx, const char *cmd)
{
	char line[256];
	size_t len = strlen(cmd);
	if (write(lx->sock, cmd, len) != (ssize_t)len || write(lx->sock, "\n", 1) != 1)
		return TS_ERR_IO;
	size_t got = 0;
	for (;;) {
		struct pollfd p = { .fd = lx->sock, .events = POLLIN };
		if (poll(&p, 1, 30000) <= 0)
			return TS_ERR_TIMEOUT;
		ssize_t r = read(lx->sock, line + got, 1);
		if (r <= 0)
			return TS_ERR_IO;
		if (line[got] == '\n')
			break;
		if (got + 2 < sizeof(line))
			got++;
	}
	line[got] = 0;
	if (strncmp(line, "ok", 2) != 0) {
		char m[320];
		snprintf(m, sizeof(m), "board control: '%s' answered: %s", cmd, line);
		ts_linux_say(lx, TS_LOG_ERROR, m);
		return TS_ERR_IO;
	}
	return TS_OK;
}

int ts_board_pins_open(struct ts_linux *lx, const char *path, char *msg, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(msg, n, "board control socket path too long: %s", path);
		return TS_ERR_INVAL;
	}
	strcpy(a.sun_path, path);
	lx->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lx->sock < 0 || connect(lx->sock, (struct sockaddr *)&a, sizeof(a)) != 0) {
		snprintf(msg, n, "cannot connect to the board's control socket %s: %s", path,
			 strerror(errno));
		return TS_ERR_IO;
	}
	return TS_OK;
}
