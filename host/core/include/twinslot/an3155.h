/*
 * AN3155 client: the STM32 ROM system-memory bootloader's USART protocol,
 * one function per command as the application note draws it (Get, Get
 * Version, Get ID, Read Memory, Write Memory, Extended Erase, Go), with
 * framing (complements, XOR checksums, ACK/NACK) in one place and re-sync
 * plus retry on NACK, time-out and garbage.
 *
 * Contract: the caller puts the chip in its ROM bootloader (BOOT0 high, NRST
 * pulse) and configures the serial line at 8E1; ts_an3155_connect() waits the
 * start-up time and syncs. Every failing call returns a negative ts_err and
 * leaves a sentence for people in c->msg naming the command, the address and
 * the reason. No allocation; all state lives in struct ts_an3155.
 */
#ifndef TWINSLOT_AN3155_H
#define TWINSLOT_AN3155_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/port.h"

#define TS_AN3155_ACK  0x79u
#define TS_AN3155_NACK 0x1Fu
#define TS_AN3155_SYNC 0x7Fu

#define TS_AN3155_GET          0x00u
#define TS_AN3155_GET_VERSION  0x01u
#define TS_AN3155_GET_ID       0x02u
#define TS_AN3155_READ_MEMORY  0x11u
#define TS_AN3155_GO           0x21u
#define TS_AN3155_WRITE_MEMORY 0x31u
#define TS_AN3155_EXT_ERASE    0x44u

#define TS_AN3155_BLOCK_MAX 256u
#define TS_AN3155_PID_F40X  0x0413u
/* AN2606: writing one byte to this "virtual address" sets the supply range. */
#define TS_AN3155_VRANGE_ADDR 0xFFFF0000u

/* Flash program/erase parallelism, as the supply range selects it. */
enum ts_psize { TS_PSIZE_X8 = 0, TS_PSIZE_X16 = 1, TS_PSIZE_X32 = 2 };

struct ts_an3155_cfg {
	uint32_t startup_ms;     /* wait after reset before 0x7F (85) */
	uint32_t ack_timeout_ms; /* ordinary ACK wait (1000) */
	uint32_t sync_budget_ms; /* how long re-sync may try (3000) */
	uint8_t retries;         /* extra attempts per command on failure (3) */
	uint16_t erase_margin_pct; /* erase time-out = datasheet max * this/100 (150) */
};

struct ts_an3155 {
	const struct ts_port *port;
	struct ts_an3155_cfg cfg;
	bool synced;
	enum ts_psize psize;     /* x8 after reset; x32 after range 3 */
	uint8_t bl_version;      /* from Get */
	uint8_t ncmds;
	uint8_t cmds[16];        /* supported command codes, from Get */
	uint32_t resyncs;        /* statistics: re-syncs done */
	uint32_t retried;        /* statistics: commands retried */
	char msg[256];           /* last error, for people */
};

/* Default configuration values above. */
void ts_an3155_default_cfg(struct ts_an3155_cfg *cfg);

/* Bind to a port (cfg NULL: defaults). Does no I/O. */
void ts_an3155_init(struct ts_an3155 *c, const struct ts_port *port,
		    const struct ts_an3155_cfg *cfg);

/* After reset into the ROM: wait startup_ms, flush, sync. */
int ts_an3155_connect(struct ts_an3155 *c);

/* Bring the ROM to its command state: 0x7F until ACK (first sync) or NACK
 * (already synced, or a half-sent command was aborted). */
int ts_an3155_sync(struct ts_an3155 *c);

int ts_an3155_get(struct ts_an3155 *c);  /* fills bl_version, cmds */
int ts_an3155_get_version(struct ts_an3155 *c, uint8_t *version,
			  uint8_t option[2]);
int ts_an3155_get_id(struct ts_an3155 *c, uint16_t *pid);

/* 1..256 bytes. */
int ts_an3155_read_memory(struct ts_an3155 *c, uint32_t addr, uint8_t *buf,
			  size_t n);
/* 1..256 bytes; addr must be a multiple of 4; the length is padded with
 * 0xFF to a multiple of 4 (the ROM's rule for flash and RAM). */
int ts_an3155_write_memory(struct ts_an3155 *c, uint32_t addr,
			   const uint8_t *data, size_t n);

/* Erase the listed flash sectors (0..11; n 1..12) with one Extended Erase
 * command. The time-out is the sum of the datasheet maxima (DS8626) for
 * those sectors at the current parallelism, times erase_margin_pct. */
int ts_an3155_extended_erase(struct ts_an3155 *c, const uint16_t *sectors,
			     size_t n);

/* Supply range 0..3 (3: 2.7-3.6 V, x32 programming); sets c->psize. */
int ts_an3155_set_voltage_range(struct ts_an3155 *c, uint8_t range);

int ts_an3155_go(struct ts_an3155 *c, uint32_t addr);

/* DS8626 maximum erase time of a sector at a parallelism, in ms. */
uint32_t ts_an3155_erase_max_ms(int sector, enum ts_psize ps);

const char *ts_psize_name(enum ts_psize ps); /* "x8", "x16", "x32" */

#endif
