/* The board's control channel (see control.h). */
#define _GNU_SOURCE /* accept4 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "twinslot/err.h"

int control_open(struct control *ctl, const char *path)
{
	memset(ctl, 0, sizeof *ctl);
	ctl->listen_fd = -1;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl->c[i].fd = -1;
	if (!path)
		return TS_OK;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "board: control socket path too long: %s\n", path);
		return TS_ERR_INVAL;
	}
	strcpy(sa.sun_path, path);
	snprintf(ctl->path, sizeof ctl->path, "%s", path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0) {
		fprintf(stderr, "board: control socket %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return TS_ERR_IO;
	}
	ctl->listen_fd = fd;
	return TS_OK;
}

void control_close(struct control *ctl)
{
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->c[i].fd >= 0)
			close(ctl->c[i].fd);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(ctl->path);
	}
	ctl->listen_fd = -1;
}

int control_pollfds(const struct control *ctl, struct pollfd *pfd, int cap)
{
	int n = 0;
	if (ctl->listen_fd >= 0 && n < cap)
		pfd[n++] = (struct pollfd){ .fd = ctl->listen_fd, .events = POLLIN };
	for (int i = 0; i < CONTROL_MAX_CLIENTS && n < cap; i++)
		if (ctl->c[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = ctl->c[i].fd, .events = POLLIN };
	return n;
}

static bool parse_rate(const char *s, uint32_t *ppm)
{
	char *end;
	double r = strtod(s, &end);
	if (end == s || *end || r < 0 || r > 1)
		return false;
	*ppm = (uint32_t)(r * 1e6 + 0.5);
	return true;
}

void control_exec(struct board *b, const char *line, char *out, size_t cap, bool *quit)
{
	char cmd[32] = "", a1[32] = "", a2[32] = "";
	int n = sscanf(line, "%31s %31s %31s", cmd, a1, a2);
	if (n < 1) {
		snprintf(out, cap, "error empty command");
		return;
	}
	if (!strcmp(cmd, "boot0") && n == 2 && (!strcmp(a1, "0") || !strcmp(a1, "1"))) {
		b->boot0 = a1[0] == '1';
		snprintf(out, cap, "ok boot0=%d", b->boot0);
	} else if (!strcmp(cmd, "nrst") && n == 2) {
		if (!strcmp(a1, "pulse")) {
			board_set_nrst(b, true);
			board_set_nrst(b, false);
		} else if (!strcmp(a1, "0") || !strcmp(a1, "1")) {
			board_set_nrst(b, a1[0] == '0');
		} else {
			snprintf(out, cap, "error nrst takes pulse, 0 or 1");
			return;
		}
		snprintf(out, cap, "ok nrst=%d mode=%s", b->nrst_low ? 0 : 1, board_mode_name(b->mode));
	} else if (!strcmp(cmd, "power") && n == 2) {
		if (!strcmp(a1, "off")) {
			board_power_off(b);
		} else if (!strcmp(a1, "on")) {
			board_power_on(b);
		} else if (!strcmp(a1, "cycle")) {
			board_power_off(b);
			board_power_on(b);
		} else {
			snprintf(out, cap, "error power takes off, on or cycle");
			return;
		}
		snprintf(out, cap, "ok power=%s mode=%s", b->powered ? "on" : "off",
			 board_mode_name(b->mode));
	} else if (!strcmp(cmd, "button") && n == 2 && (!strcmp(a1, "0") || !strcmp(a1, "1"))) {
		bd_gpio_set_button(b, a1[0] == '1');
		snprintf(out, cap, "ok button=%d", b->button);
	} else if (!strcmp(cmd, "leds") && n == 1) {
		snprintf(out, cap, "ok PD12=%d PD13=%d PD14=%d PD15=%d", b->leds & 1, (b->leds >> 1) & 1,
			 (b->leds >> 2) & 1, (b->leds >> 3) & 1);
	} else if (!strcmp(cmd, "state") && n == 1) {
		uint32_t pc = b->mode == BOARD_LOCKUP ? b->lockup_pc : b->pc;
		snprintf(out, cap,
			 "ok mode=%s pc=0x%08" PRIx32 " cycles=%" PRIu64 " resets=%" PRIu32
			 " uptime_ns=%" PRIu64 " hclk=%" PRIu32 " boot0=%d nrst=%d power=%s iwdg=%s"
			 " stalls=%" PRIu64 " stall_ns=%" PRIu64,
			 board_mode_name(b->mode), pc, b->cycles, b->reset_count, board_now(b), b->hclk_hz,
			 b->boot0, b->nrst_low ? 0 : 1, b->powered ? "on" : "off",
			 b->iwdg.running ? "running" : "stopped", b->stalls, b->stall_ns);
	} else if (!strcmp(cmd, "cut") && n >= 2) {
		if (!strcmp(a1, "after") && n == 3 && atoll(a2) > 0) {
			sim_flash_arm_cut(&b->flash, (uint64_t)atoll(a2));
			snprintf(out, cap, "ok cut after %lld", atoll(a2));
		} else if (!strcmp(a1, "random")) {
			long long max = n == 3 ? atoll(a2) : 16;
			if (max < 1) {
				snprintf(out, cap, "error cut random MAX must be >= 1");
				return;
			}
			sim_flash_arm_cut_random(&b->flash, (uint64_t)max);
			snprintf(out, cap, "ok cut random within %lld", max);
		} else if (!strcmp(a1, "off")) {
			sim_flash_arm_cut(&b->flash, 0);
			snprintf(out, cap, "ok cut off");
		} else {
			snprintf(out, cap, "error cut takes 'after N', 'random [MAX]' or 'off'");
		}
	} else if (!strcmp(cmd, "uart") && n == 3 && (!strcmp(a1, "corrupt") || !strcmp(a1, "drop"))) {
		uint32_t ppm;
		if (!parse_rate(a2, &ppm)) {
			snprintf(out, cap, "error RATE is a probability between 0 and 1");
			return;
		}
		if (!b->serial) {
			snprintf(out, cap, "error no serial endpoint");
			return;
		}
		if (a1[0] == 'c')
			b->serial->cfg.corrupt_ppm = ppm;
		else
			b->serial->cfg.drop_ppm = ppm;
		sim_eventf(&b->ev, board_now(b), "fault_config", "\"what\":\"%s\",\"ppm\":%" PRIu32, a1, ppm);
		snprintf(out, cap, "ok uart %s %" PRIu32 " ppm", a1, ppm);
	} else if (!strcmp(cmd, "quit") && n == 1) {
		*quit = true;
		snprintf(out, cap, "ok bye");
	} else {
		snprintf(out, cap, "error unknown command '%s' (try: boot0 nrst power button leds state cut uart quit)",
			 cmd);
	}
}

static void drop_client(struct control_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void control_step(struct control *ctl, struct board *b)
{
	if (ctl->listen_fd < 0)
		return;
	for (;;) {
		int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		int i = 0;
		while (i < CONTROL_MAX_CLIENTS && ctl->c[i].fd >= 0)
			i++;
		if (i == CONTROL_MAX_CLIENTS) {
			static const char busy[] = "error too many control clients\n";
			ssize_t w = write(fd, busy, sizeof busy - 1);
			(void)w;
			close(fd);
			continue;
		}
		ctl->c[i].fd = fd;
		ctl->c[i].len = 0;
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *c = &ctl->c[i];
		if (c->fd < 0)
			continue;
		ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			drop_client(c);
			continue;
		}
		if (r > 0)
			c->len += (size_t)r;
		char *nl;
		while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
			*nl = 0;
			if (nl > c->buf && nl[-1] == '\r')
				nl[-1] = 0;
			char reply[512];
			control_exec(b, c->buf, reply, sizeof reply - 1, &ctl->quit);
			strcat(reply, "\n");
			ssize_t w = write(c->fd, reply, strlen(reply));
			(void)w;
			size_t used = (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
		}
		if (c->fd >= 0 && c->len == sizeof c->buf - 1)
			drop_client(c); /* a line longer than we take */
	}
}
