/* A struct ts_port over the virtual board's ROM model (sim/rom.c) and flash
 * model (sim/flash.c), in-process, on a virtual clock: every wait is a jump
 * of the clock, so datasheet erase times cost no real time. Faults: the ROM
 * stops answering after N bytes from the host. After a reset with BOOT0 low
 * it plays a canned console text instead of running firmware. */
#ifndef TS_TEST_FAKE_BOARD_H
#define TS_TEST_FAKE_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "flash.h"
#include "rom.h"
#include "twinslot/port.h"

struct fake_board {
	struct sim_flash flash;
	struct sim_rom rom;
	struct ts_port port;
	uint64_t now_ns;
	bool boot0, nrst_low, in_rom;
	long long die_after;     /* -1: never */
	/* Line faults, host to ROM: XOR flip[i].mask into byte flip[i].at of
	 * the stream (counted as `written`). */
	struct { uint64_t at; uint8_t mask; } flip[4];
	unsigned nflip;
	/* Each Write Memory seen: its address and where its data frame (the
	 * N byte) starts in the stream, for placing flips on a second run. */
	struct { uint32_t addr; uint64_t data_at; } wm[64];
	unsigned nwm;
	bool wm_cmd;
	uint64_t written;
	bool dead;
	const char *console;     /* played after a reset with BOOT0 low */
	size_t console_pos;
	unsigned rom_entries, app_boots;
	/* An application with the update service (fake_app.h) answering on
	 * the console line while the board runs its firmware; NULL: none. */
	void *app;
	void (*app_rx)(void *app, uint8_t byte);
	size_t (*app_tx)(void *app, uint8_t *buf, size_t n);
	char path[64];
	char log[8192];          /* engine log lines, '\n'-separated */
};

void fake_board_open(struct fake_board *fb);
void fake_board_close(struct fake_board *fb);
const uint8_t *fake_board_mem(const struct fake_board *fb);

/* A valid image for `slot` in out (at least 512 + app_size bytes); returns
 * its length. Blocks 2 and 3 of the application are all 0xFF. */
uint32_t make_image(uint8_t *out, int slot, uint32_t version, uint32_t product,
		    uint32_t app_size);

#endif
