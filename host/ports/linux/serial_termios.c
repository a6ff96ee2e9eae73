/* Serial line over termios, held exclusively (see ts_linux.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "linux_port.h"
#include "twinslot/err.h"

static const struct {
	uint32_t baud;
	speed_t code;
} SPEEDS[] = {
	{ 1200, B1200 },       { 2400, B2400 },       { 4800, B4800 },
	{ 9600, B9600 },       { 19200, B19200 },     { 38400, B38400 },
	{ 57600, B57600 },     { 115200, B115200 },   { 230400, B230400 },
	{ 460800, B460800 },   { 500000, B500000 },   { 576000, B576000 },
	{ 921600, B921600 },   { 1000000, B1000000 }, { 1152000, B1152000 },
	{ 1500000, B1500000 }, { 2000000, B2000000 }, { 3000000, B3000000 },
	{ 4000000, B4000000 },
};

bool ts_linux_baud_supported(uint32_t baud)
{
	for (size_t i = 0; i < sizeof(SPEEDS) / sizeof(SPEEDS[0]); i++)
		if (SPEEDS[i].baud == baud)
			return true;
	return false;
}

/* One user of a port at a time: an advisory lock that every twinslot
 * process takes (and that the kernel drops when the process dies), and
 * TIOCEXCL, which makes other programs' opens fail with EBUSY (root is
 * exempt from TIOCEXCL, not from the lock). */
static int hold_exclusively(struct ts_linux *lx, char *msg, size_t n)
{
	if (flock(lx->fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			snprintf(msg, n, "%s: port busy: another program is using it (a "
				 "twinslot command or agent, a terminal program?)",
				 lx->cfg.serial_path);
			return TS_ERR_BUSY;
		}
		snprintf(msg, n, "%s: cannot lock: %s", lx->cfg.serial_path, strerror(errno));
		return TS_ERR_IO;
	}
	ioctl(lx->fd, TIOCEXCL); /* best effort: not every driver has it */
	return TS_OK;
}

int ts_serial_open(struct ts_linux *lx, char *msg, size_t n)
{
	struct stat st;
	lx->fd = open(lx->cfg.serial_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (lx->fd < 0) {
		if (errno == EBUSY)
			snprintf(msg, n, "%s: port busy: another program holds it exclusively",
				 lx->cfg.serial_path);
		else
			snprintf(msg, n, "%s: cannot open: %s", lx->cfg.serial_path,
				 strerror(errno));
		return errno == EBUSY ? TS_ERR_BUSY : TS_ERR_IO;
	}
	if (!isatty(lx->fd)) {
		snprintf(msg, n, "%s: not a serial port (tty)", lx->cfg.serial_path);
		return TS_ERR_IO;
	}
	/* UNIX98 pty slaves have majors 136..143. */
	if (fstat(lx->fd, &st) == 0 && S_ISCHR(st.st_mode))
		lx->is_pty = major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143;
	return hold_exclusively(lx, msg, n);
}

int ts_serial_configure(void *ctx, uint32_t baud, bool even_parity)
{
	struct ts_linux *lx = ctx;
	struct termios t;
	speed_t code = 0;
	for (size_t i = 0; i < sizeof(SPEEDS) / sizeof(SPEEDS[0]); i++)
		if (SPEEDS[i].baud == baud)
			code = SPEEDS[i].code;
	if (!code) {
		ts_linux_say(lx, TS_LOG_ERROR, "unsupported baud rate (use a standard rate, "
			     "e.g. 57600, 115200, 230400)");
		return TS_ERR_UNSUPPORTED;
	}
	if (tcgetattr(lx->fd, &t) != 0)
		return TS_ERR_IO;
	cfmakeraw(&t);
	t.c_cflag &= ~(tcflag_t)(CSIZE | CSTOPB | PARODD | CRTSCTS | PARENB);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	if (even_parity)
		t.c_cflag |= PARENB;
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | INPCK | PARMRK);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, code);
	cfsetospeed(&t, code);
	/* glibc reports EINVAL when the driver dropped PARENB (a pty always
	 * does) although it applied the rest: the check below decides. */
	if (tcsetattr(lx->fd, TCSANOW, &t) != 0 && !(errno == EINVAL && even_parity))
		return TS_ERR_IO;
	struct termios chk;
	if (tcgetattr(lx->fd, &chk) != 0)
		return TS_ERR_IO;
	if (even_parity && !(chk.c_cflag & PARENB)) {
		if (!lx->is_pty) {
			ts_linux_say(lx, TS_LOG_ERROR, "the serial port did not accept 8E1 "
				     "(even parity): the ROM bootloader needs it");
			return TS_ERR_UNSUPPORTED;
		}
		if (!lx->warned_parity)
			ts_linux_say(lx, TS_LOG_WARN, "serial port is a pseudo-terminal: parity "
				     "cannot be set on it, carrying on at 8N1 (fine for the "
				     "virtual board)");
		lx->warned_parity = true;
	}
	return TS_OK;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

long ts_serial_read(void *ctx, uint8_t *buf, size_t n, uint32_t timeout_ms)
{
	struct ts_linux *lx = ctx;
	uint64_t end = mono_ms() + timeout_ms;
	/* poll() first, then read() what it announced: two system calls per
	 * wait (a read() first would find nothing while the ROM is still
	 * answering and cost a third). */
	for (;;) {
		uint64_t t = mono_ms();
		struct pollfd p = { .fd = lx->fd, .events = POLLIN };
		int pr = poll(&p, 1, t >= end ? 0 : (int)(end - t));
		if (pr < 0 && errno != EINTR)
			return TS_ERR_IO;
		if (pr > 0 && (p.revents & POLLIN)) {
			ssize_t r = read(lx->fd, buf, n);
			if (r > 0)
				return (long)r;
			if (r < 0 && errno != EAGAIN && errno != EINTR && errno != EIO)
				return TS_ERR_IO;
		}
		if (mono_ms() >= end)
			return 0;
		if (pr > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN)) {
			/* pty master gone (board stopped): wait out the time-out */
			struct timespec ts = { 0, 20 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
}

int ts_serial_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct ts_linux *lx = ctx;
	size_t done = 0;
	uint64_t end = mono_ms() + 5000;
	while (done < n) {
		ssize_t w = write(lx->fd, buf + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return TS_ERR_IO;
		if (mono_ms() >= end)
			return TS_ERR_TIMEOUT;
		struct pollfd p = { .fd = lx->fd, .events = POLLOUT };
		poll(&p, 1, 100);
	}
	return TS_OK;
}

int ts_serial_flush_input(void *ctx)
{
	struct ts_linux *lx = ctx;
	uint8_t junk[256];
	tcflush(lx->fd, TCIFLUSH);
	while (read(lx->fd, junk, sizeof(junk)) > 0)
		;
	return TS_OK;
}
