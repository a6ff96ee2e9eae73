/*
 * twinslot-board: the virtual STM32F4-Discovery as a program. One thread,
 * one poll() loop: CPU slices, the serial endpoint, the control channel.
 * Usage: twinslot-board --help
 */
#define _GNU_SOURCE /* sigaction, clock_gettime, getopt_long */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "board/board.h"
#include "board/control.h"
#include "twinslot/err.h"

#define SLICE_NS 2000000ull /* CPU slice: 2 ms of board time */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* twinslot-board --ctl SOCK CMD...: send each command, print each reply;
 * status 1 when a reply is an error or the board is unreachable. */
static int ctl_client(const char *path, int n, char **cmds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "twinslot-board: cannot connect to %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	int status = 0;
	FILE *in = fdopen(fd, "r");
	for (int i = 0; i < n && in; i++) {
		char line[512];
		snprintf(line, sizeof line, "%s\n", cmds[i]);
		if (write(fd, line, strlen(line)) < 0 || !fgets(line, sizeof line, in)) {
			fprintf(stderr, "twinslot-board: no reply to '%s'\n", cmds[i]);
			status = 1;
			break;
		}
		fputs(line, stdout);
		if (strncmp(line, "ok", 2) != 0)
			status = 1;
	}
	if (in)
		fclose(in);
	else
		close(fd);
	return status;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twinslot-board --flash FILE [options]\n"
		"       twinslot-board --ctl SOCK COMMAND... (send control commands, print replies)\n"
		"  --flash FILE        1 MB flash image (created erased if missing; FILE.opt: option bytes)\n"
		"  --pty-link PATH     symlink to the serial pty here (the pty path is printed anyway)\n"
		"  --tcp PORT          also serve the serial line on 127.0.0.1:PORT\n"
		"  --control SOCK      control channel Unix socket (see docs/virtual-board.md)\n"
		"  --events FILE       JSON-lines event log ('-': stderr)\n"
		"  --console FILE      copy of everything the USARTs transmit ('-': stdout)\n"
		"  --realtime          board time follows the wall clock; serial paced at --baud\n"
		"  --baud N            serial pacing baud rate (default 115200)\n"
		"  --spin-us N         with --realtime: spin, not sleep, when the next thing due\n"
		"                      is at most N us away (no wake-up latency; costs a core\n"
		"                      while paced bytes flow; default 0: always sleep)\n"
		"  --bits N            bits per byte for pacing: 11 (8E1, default) or 10 (8N1)\n"
		"  --boot0 0|1         BOOT0 pin at power-on (default 0)\n"
		"  --max-time SECONDS  stop after this much board time (fractions allowed)\n"
		"  --max-wall SECONDS  stop after this much wall-clock time\n"
		"  --exit-on-lockup    exit (status 3) when the core locks up\n"
		"  --rom-time PERMILLE ROM bootloader delays in 1/1000 of the datasheet's (default 1000)\n"
		"  --seed N            seed for power-cut points and UART faults\n"
		"  --quiet             do not print the pty path\n");
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--ctl"))
		return ctl_client(argv[2], argc - 3, argv + 3);
	struct board_opts o = { .rom_time_permille = 1000 };
	struct sim_serial_cfg scfg = { .baud = 115200, .bits_per_byte = 11 };
	const char *control_path = NULL, *console_path = NULL;
	double max_time = 0, max_wall = 0;
	int64_t spin_ns = 0;
	bool realtime = false, exit_on_lockup = false, quiet = false;
	enum { O_FLASH = 256, O_PTY, O_TCP, O_CONTROL, O_EVENTS, O_CONSOLE, O_REALTIME, O_BAUD, O_BITS,
	       O_BOOT0, O_MAXT, O_MAXW, O_EXITLOCK, O_ROMTIME, O_SEED, O_QUIET, O_SPIN, O_HELP };
	static const struct option lo[] = {
		{ "flash", required_argument, 0, O_FLASH },     { "pty-link", required_argument, 0, O_PTY },
		{ "tcp", required_argument, 0, O_TCP },         { "control", required_argument, 0, O_CONTROL },
		{ "events", required_argument, 0, O_EVENTS },   { "console", required_argument, 0, O_CONSOLE },
		{ "realtime", no_argument, 0, O_REALTIME },     { "baud", required_argument, 0, O_BAUD },
		{ "bits", required_argument, 0, O_BITS },       { "boot0", required_argument, 0, O_BOOT0 },
		{ "max-time", required_argument, 0, O_MAXT },   { "max-wall", required_argument, 0, O_MAXW },
		{ "exit-on-lockup", no_argument, 0, O_EXITLOCK }, { "rom-time", required_argument, 0, O_ROMTIME },
		{ "seed", required_argument, 0, O_SEED },       { "quiet", no_argument, 0, O_QUIET },
		{ "spin-us", required_argument, 0, O_SPIN },    { "help", no_argument, 0, O_HELP },
		{ 0, 0, 0, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_FLASH: o.flash_path = optarg; break;
		case O_PTY: scfg.link_path = optarg; break;
		case O_TCP: scfg.tcp_port = atoi(optarg); break;
		case O_CONTROL: control_path = optarg; break;
		case O_EVENTS: o.events_path = optarg; break;
		case O_CONSOLE: console_path = optarg; break;
		case O_REALTIME: realtime = true; break;
		case O_BAUD: scfg.baud = (uint32_t)strtoul(optarg, NULL, 0); break;
		case O_BITS: scfg.bits_per_byte = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_BOOT0: o.boot0 = atoi(optarg) != 0; break;
		case O_MAXT: max_time = atof(optarg); break;
		case O_MAXW: max_wall = atof(optarg); break;
		case O_EXITLOCK: exit_on_lockup = true; break;
		case O_ROMTIME: o.rom_time_permille = (uint32_t)strtoul(optarg, NULL, 0); break;
		case O_SEED: o.seed = strtoull(optarg, NULL, 0); break;
		case O_QUIET: quiet = true; break;
		case O_SPIN: {
			char *end;
			unsigned long us = strtoul(optarg, &end, 10);
			if (end == optarg || *end || us > 1000000) {
				fprintf(stderr, "twinslot-board: --spin-us takes microseconds, 0..1000000: %s\n",
					optarg);
				return 2;
			}
			spin_ns = (int64_t)us * 1000;
			break;
		}
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.flash_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	scfg.paced = realtime;
	scfg.seed = o.seed ? o.seed : 1;

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	static struct sim_serial serial;
	static struct board b;
	static struct control ctl;
	/* the board owns the event log; the serial endpoint logs into it too */
	if (board_open(&b, &o, &serial))
		return 1;
	if (sim_serial_open(&serial, &scfg, &b.ev)) {
		fprintf(stderr, "board: cannot create the serial endpoint\n");
		board_close(&b);
		return 1;
	}
	if (control_open(&ctl, control_path)) {
		sim_serial_close(&serial);
		board_close(&b);
		return 1;
	}
	FILE *console = NULL;
	if (console_path) {
		console = strcmp(console_path, "-") ? fopen(console_path, "w") : stdout;
		if (!console) {
			fprintf(stderr, "board: cannot open console file %s: %s\n", console_path, strerror(errno));
			return 1;
		}
		b.console = console;
	}
	if (!quiet) {
		printf("%s\n", sim_serial_path(&serial));
		fflush(stdout);
	}

	/* Real time: wake-ups at the paced bytes' deadlines, not up to 50 us
	 * (the default timer slack) after them, seven times per turnaround. */
	if (realtime)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	board_power_on(&b);
	uint64_t wall0 = wall_ns(), emu0 = board_now(&b), last_wall = wall0;
	uint64_t max_emu = max_time > 0 ? (uint64_t)(max_time * 1e9) : UINT64_MAX;
	uint64_t max_wall_ns = max_wall > 0 ? (uint64_t)(max_wall * 1e9) : UINT64_MAX;
	int status = 0;

	while (!stop_signal && !ctl.quit) {
		board_service(&b);
		uint64_t now = board_now(&b);
		if (now >= max_emu || wall_ns() - wall0 >= max_wall_ns)
			break;
		if (exit_on_lockup && b.mode == BOARD_LOCKUP) {
			status = 3;
			break;
		}
		/* How long poll() may wait, in ns: exactly until the next thing due
		 * (a paced byte, a ROM answer, the wall clock catching up), not
		 * rounded up to a millisecond, so a turnaround costs the board
		 * nothing of its own. */
		int64_t timeout_ns = 0;
		if (b.mode == BOARD_CPU) {
			uint64_t until = now + SLICE_NS;
			uint64_t d = board_next_deadline(&b);
			if (d > now && d < until)
				until = d;
			if (until > max_emu)
				until = max_emu;
			if (realtime) {
				uint64_t target = emu0 + (wall_ns() - wall0);
				if (now >= target) {
					timeout_ns = (int64_t)(now - target) + 1000;
					until = now; /* wait for the wall clock */
				} else if (until > target + 1000000ull) {
					until = target + 1000000ull;
				}
			}
			if (until > now)
				board_run(&b, until);
		} else {
			uint64_t d = board_next_deadline(&b);
			if (d > max_emu)
				d = max_emu;
			if (realtime || d == UINT64_MAX) {
				uint64_t ns = d == UINT64_MAX ? 50000000ull : d > now ? d - now : 0;
				timeout_ns = (int64_t)(ns > 50000000ull ? 50000000ull : ns);
			} else {
				board_advance(&b, d); /* unpaced: jump to what is due next */
			}
		}

		/* --spin-us: a wait this short is a busy poll (a sleep would add the
		 * machine's wake-up latency, tens of microseconds on an idle one) */
		if (timeout_ns > 0 && timeout_ns <= spin_ns)
			timeout_ns = 0;
		struct pollfd pfd[16];
		int n = sim_serial_pollfds(&serial, pfd, 4);
		n += control_pollfds(&ctl, pfd + n, 16 - n);
		uint64_t w0 = wall_ns();
		struct timespec ts = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
		int pr = ppoll(pfd, (nfds_t)n, &ts, NULL);
		uint64_t waited = wall_ns() - w0;
		if (pr < 0 && errno != EINTR)
			break;
		if (b.mode != BOARD_CPU) {
			/* In real time, board time passes as the wall clock does, but
			 * never jumps to make up a lag the core built up (an emulator
			 * slower than the firmware's clock, on a loaded machine): a
			 * jump while NRST is held would let a running watchdog see
			 * seconds pass in a pulse of milliseconds. The core makes up
			 * its lag by running, as it would have. */
			if (realtime) {
				uint64_t w = wall_ns(), target = emu0 + (w - wall0);
				uint64_t to = board_now(&b) + (w - last_wall);
				board_advance(&b, to < target ? to : target);
			} else if (timeout_ns > 0)
				board_advance(&b, board_now(&b) + waited);
		}
		last_wall = wall_ns();
		/* nothing ready: no accept or read to try (only due output) */
		sim_serial_step(&serial, board_now(&b), pr > 0);
		if (pr > 0)
			control_step(&ctl, &b);
	}
	/* let queued output reach the host */
	for (uint64_t i = 1; i <= 2000 && sim_serial_tx_pending(&serial); i++)
		sim_serial_step(&serial, board_now(&b) + i * 1000000ull, true);
	sim_eventf(&b.ev, board_now(&b), "exit",
		   "\"mode\":\"%s\",\"cycles\":%" PRIu64 ",\"resets\":%" PRIu32 ",\"stalls\":%" PRIu64
		   ",\"stall_ns\":%" PRIu64,
		   board_mode_name(b.mode), b.cycles, b.reset_count, b.stalls, b.stall_ns);
	if (console && console != stdout)
		fclose(console);
	else if (console)
		fflush(stdout);
	control_close(&ctl);
	sim_serial_close(&serial);
	board_close(&b);
	return status;
}
