/*
 * rom_server: a board with BOOT0 held high and no CPU, for tests. It serves
 * the ROM bootloader model (sim/rom.h) on the serial endpoint's pty, on the
 * flash file given, and logs events. The full board (twinslot-board) does
 * the same when BOOT0 is high; this test program exists so the ROM can be
 * checked against stm32flash on its own.
 *
 *   rom_server --flash FILE [--events FILE] [--link PATH] [--tcp PORT]
 *              [--time-permille N] [--paced] [--baud N] [--cut-after N]
 *              [--seed N]
 *
 * Prints "pty <path>" on stdout once ready. Signals: SIGUSR1 pulses NRST
 * (the ROM restarts, BOOT0 still high); SIGUSR2 cycles power (after a power
 * cut); SIGTERM/SIGINT end it. The clock is CLOCK_MONOTONIC since start.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "flash.h"
#include "rom.h"
#include "serial.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

static volatile sig_atomic_t g_nrst, g_power, g_stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_nrst = 1;
	else if (sig == SIGUSR2)
		g_power = 1;
	else
		g_stop = 1;
}

static uint64_t now_ns(void)
{
	static uint64_t t0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (!t0)
		t0 = t - 1;
	return t - t0;
}

static void usage(void)
{
	fprintf(stderr, "usage: rom_server --flash FILE [--events FILE] [--link PATH] [--tcp PORT]\n"
			"       [--time-permille N] [--paced] [--baud N] [--cut-after N] [--seed N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *flash_path = NULL, *events_path = NULL;
	struct sim_serial_cfg scfg = { 0 };
	unsigned long permille = 1000, cut_after = 0, seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--paced")) {
			scfg.paced = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--flash"))
			flash_path = v;
		else if (!strcmp(a, "--events"))
			events_path = v;
		else if (!strcmp(a, "--link"))
			scfg.link_path = v;
		else if (!strcmp(a, "--tcp"))
			scfg.tcp_port = atoi(v);
		else if (!strcmp(a, "--time-permille"))
			permille = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--baud"))
			scfg.baud = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cut-after"))
			cut_after = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seed"))
			seed = strtoul(v, NULL, 0);
		else
			usage();
	}
	if (!flash_path)
		usage();

	struct sim_events ev;
	struct sim_flash flash;
	struct sim_serial ser;
	static struct sim_rom rom;
	static uint8_t sram[TS_SRAM_SIZE];
	int err;
	if ((err = sim_events_open(&ev, events_path)) != 0 ||
	    (err = sim_flash_open(&flash, flash_path, &ev)) != 0 ||
	    (err = sim_serial_open(&ser, &scfg, &ev)) != 0) {
		fprintf(stderr, "rom_server: %s\n", ts_strerror(err));
		return 1;
	}
	sim_flash_seed(&flash, seed);
	if (cut_after)
		sim_flash_arm_cut(&flash, cut_after);
	sim_rom_init(&rom, &flash, &ev, sram, sizeof(sram));
	rom.time_permille = (uint32_t)permille;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	uint64_t t = now_ns();
	sim_rom_reset(&rom, t);
	sim_event(&ev, t, "reset", "\"cause\":\"power\"");
	sim_event(&ev, t, "boot", "\"addr\":536805376,\"mode\":\"rom\""); /* 0x1FFF0000 */
	printf("pty %s\n", sim_serial_path(&ser));
	fflush(stdout);

	while (!g_stop) {
		t = now_ns();
		if (g_nrst || g_power) {
			if (g_power) {
				sim_flash_power_on(&flash);
				sim_event(&ev, t, "reset", "\"cause\":\"power\"");
			} else {
				sim_event(&ev, t, "reset", "\"cause\":\"nrst\"");
			}
			g_nrst = g_power = 0;
			sim_serial_flush(&ser);
			sim_rom_reset(&rom, t);
			sim_event(&ev, t, "boot", "\"addr\":536805376,\"mode\":\"rom\"");
		}
		sim_serial_step(&ser, t);
		uint8_t buf[512];
		size_t n = sim_serial_read(&ser, buf, sizeof(buf), t);
		for (size_t i = 0; i < n; i++)
			sim_rom_rx(&rom, buf[i], t);
		while ((n = sim_rom_tx(&rom, buf, sizeof(buf), t)) > 0)
			sim_serial_write(&ser, buf, n, t);
		sim_serial_step(&ser, t);
		if (rom.go_pending) {
			rom.go_pending = false;
			sim_eventf(&ev, t, "boot", "\"addr\":%u,\"mode\":\"go\"", rom.go_addr);
		}
		if (rom.reset_pending) {
			sim_event(&ev, t, "reset", "\"cause\":\"software\"");
			sim_rom_reset(&rom, t);
			sim_event(&ev, t, "boot", "\"addr\":536805376,\"mode\":\"rom\"");
		}

		uint64_t d = sim_rom_deadline_ns(&rom), d2 = sim_serial_deadline_ns(&ser);
		if (d2 < d)
			d = d2;
		int timeout = 50;
		if (d != UINT64_MAX) {
			uint64_t now = now_ns();
			uint64_t ms = d > now ? (d - now + 999999) / 1000000 : 0;
			if (ms < (uint64_t)timeout)
				timeout = (int)ms;
		}
		struct pollfd p[4];
		int np = sim_serial_pollfds(&ser, p, 4);
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			break;
	}
	sim_serial_close(&ser);
	sim_flash_close(&flash);
	sim_events_close(&ev);
	return 0;
}
