/*
 * The STM32F407's system-memory bootloader (ST AN3155 USART protocol V3.1,
 * product ID 0x413) as a byte-driven state machine on top of sim_flash.
 *
 * The board runs it instead of the CPU when BOOT0 is high at reset. It is fed
 * the bytes the host sent (sim_rom_rx) and produces the bytes to send back
 * (sim_rom_tx). Nothing blocks and nothing here reads a clock: every call
 * gets the board's time now_ns. Operations that take time on silicon (flash
 * erase and program, the ~85 ms start-up after reset) hold back their answer
 * until their datasheet duration, multiplied by time_permille/1000, has
 * passed on that clock: sim_rom_tx releases it once it is due, and
 * sim_rom_deadline_ns says when that will be (for the board's poll timeout).
 * Bytes that arrive while the ROM is busy or still starting are dropped (the
 * USART would overrun) and logged (event rom_rx_dropped).
 *
 * Commands: 0x7F sync (once; later 0x7F is an unknown command), Get 0x00,
 * Get Version & Read Protection Status 0x01, Get ID 0x02, Read Memory 0x11,
 * Go 0x21, Write Memory 0x31, Extended Erase 0x44, Write Protect 0x63, Write
 * Unprotect 0x73, Readout Protect 0x82, Readout Unprotect 0x92; every command
 * byte must be followed by its complement, every address/length/data block
 * by its XOR checksum, else NACK (0x1F) and back to waiting for a command.
 * Details and sources: docs/virtual-board.md, "ROM bootloader".
 *
 * Side effects the board must carry out (flags, checked after each call):
 *   go_pending        Go was accepted and its ACK has been taken by
 *                     sim_rom_tx: start the CPU at go_addr (with the
 *                     vector table there: MSP = [go_addr], PC = [go_addr+4],
 *                     as the real ROM does). The ROM then ignores input.
 *   reset_pending     an option-byte command (Write Protect/Unprotect,
 *                     Readout Protect/Unprotect) finished and its last ACK
 *                     has been taken: the chip resets (the board does a
 *                     system reset; BOOT0 still high re-enters the ROM via
 *                     sim_rom_reset).
 * The caller clears them (or calls sim_rom_reset).
 * After a power cut during a flash operation (flash->unpowered) the ROM is
 * silent until sim_rom_reset. With RDP level 2 it never answers (no system
 * memory boot at level 2).
 *
 * Memory: flash through sim_flash; SRAM through the caller's buffer (sram,
 * sram_size bytes at TS_SRAM_BASE); option bytes at 0x1FFFC000 (read only,
 * built from the sim_flash option bytes). Not thread-safe.
 */
#ifndef TWINSLOT_SIM_ROM_H
#define TWINSLOT_SIM_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "flash.h"

#define SIM_ROM_ACK  0x79
#define SIM_ROM_NACK 0x1F
#define SIM_ROM_VERSION 0x31
#define SIM_ROM_PID  0x0413
#define SIM_ROM_STARTUP_NS 85000000ull /* AN2606: ~85 ms F4 start-up (scaled) */
/* The ROM itself uses the start of SRAM; Write Memory below this is NACKed. */
#define SIM_ROM_RAM_RESERVED 0x3000u /* AN2606: 12 KB from 0x20000000 */

struct sim_rom {
	/* set by sim_rom_init, may be changed between calls */
	struct sim_flash *flash;
	struct sim_events *ev;   /* may be NULL */
	uint8_t *sram;           /* may be NULL: RAM access is NACKed */
	uint32_t sram_size;
	uint32_t time_permille;  /* 1000: datasheet times; 0: instant */

	/* results for the board */
	bool go_pending;
	uint32_t go_addr;
	bool reset_pending;

	/* protocol state (private) */
	int state;
	bool synced;
	enum sim_psize psize;    /* from the voltage range; x8 after reset */
	uint8_t cmd;
	uint8_t buf[260];
	size_t got;
	size_t need;
	uint32_t addr;
	uint32_t len;
	uint64_t ready_ns;       /* input accepted from this time on */
	uint8_t out[512];        /* bytes for the host, released in order */
	uint64_t out_due[512];   /* time each out byte becomes due */
	size_t out_head, out_len;
	uint64_t busy_until_ns;  /* last scheduled output time */
	int after;               /* flag to raise once out drains */
};

/* Attach to the flash (and optional SRAM), then sim_rom_reset(r, 0). */
void sim_rom_init(struct sim_rom *r, struct sim_flash *flash, struct sim_events *ev,
		  uint8_t *sram, uint32_t sram_size);

/* Chip reset with BOOT0 high: not synced, x8 programming, output dropped,
 * flags cleared, input ignored until now_ns + 85 ms (scaled). */
void sim_rom_reset(struct sim_rom *r, uint64_t now_ns);

/* One byte from the host at time now_ns. */
void sim_rom_rx(struct sim_rom *r, uint8_t byte, uint64_t now_ns);

/* Take up to cap bytes that are due by now_ns; returns how many. */
size_t sim_rom_tx(struct sim_rom *r, uint8_t *buf, size_t cap, uint64_t now_ns);

/* When the next held-back output byte is due, or UINT64_MAX if none. */
uint64_t sim_rom_deadline_ns(const struct sim_rom *r);

#endif
