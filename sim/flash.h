/*
 * The virtual board's flash memory: the STM32F407's 1 MB main flash with its
 * sector geometry (16,16,16,16,64,128 x7 KB; lib/include/twinslot/layout.h)
 * and its option bytes (RDP level, nWRP per sector), persisted in files so
 * that the flash survives the board's restarts exactly like silicon.
 *
 * Storage:
 *   <path>      exactly 1 MiB, the main flash byte for byte (offset 0 is
 *               0x08000000). Created filled with 0xFF when missing; a file
 *               of any other size is refused (TS_ERR_SIZE). Mapped
 *               MAP_SHARED: every program/erase is in the file at once, and
 *               sim_flash_mem() points into the mapping.
 *   <path>.opt  option bytes as text, two lines: "rdp 0xAA" and
 *               "nwrp 0x0FFF" (nWRP bit n = 1: sector n NOT write protected).
 *               Created with these defaults (level 0, nothing protected).
 *               RDP byte 0xAA = level 0, 0xCC = level 2, anything else = 1.
 *
 * Semantics (RM0090 3.5-3.6, DS8626 table "Flash memory programming"):
 *   program  can only clear bits: new = old & data. Writing to a byte that is
 *            not 0xFF is logged as event flash_overwrite (with how many bits
 *            would have needed 0->1). Refused (TS_ERR_FLASH, event flash_wrp)
 *            in a write-protected sector.
 *   erase    sets a whole sector (or all 12: mass erase) to 0xFF.
 *   time     the call returns the datasheet's TYPICAL duration in *dur_ns;
 *            the caller (flash interface model, ROM model) decides how long
 *            the operation appears to take (BSY, delayed ACK).
 * These functions never sleep.
 *
 * Operations and power cuts: every program call and every erase call is ONE
 * operation, counted in ops. sim_flash_arm_cut(f, n) makes the n-th next
 * operation the one during which power fails: it is applied partially, as on
 * silicon (program: the units before a random point are written, the unit at
 * that point gets a random subset of the bits it should clear, the rest is
 * untouched; erase: a random prefix of the sector is erased (0xFF), the word
 * at the boundary gets a random subset of its bits set, the rest keeps its old
 * content), event power_cut is logged, the call returns SIM_FLASH_CUT and the
 * flash goes "unpowered": every later program/erase returns TS_ERR_STATE until
 * sim_flash_power_on(). The board must then power off (stop the CPU / ROM).
 * Randomness comes from a seedable generator (sim_flash_seed) so tests are
 * reproducible.
 *
 * Addresses are CPU addresses (0x08000000..0x080FFFFF). Not thread-safe.
 */
#ifndef TWINSLOT_SIM_FLASH_H
#define TWINSLOT_SIM_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* Program/erase parallelism; the values are FLASH_CR.PSIZE's encoding. */
enum sim_psize {
	SIM_PSIZE_X8 = 0,
	SIM_PSIZE_X16 = 1,
	SIM_PSIZE_X32 = 2,
	SIM_PSIZE_X64 = 3, /* needs VPP on silicon */
};

/* Returned (positive) by program/erase when the armed power cut hit. */
#define SIM_FLASH_CUT 1

#define SIM_RDP_LEVEL0 0xAAu
#define SIM_RDP_LEVEL2 0xCCu
#define SIM_NWRP_NONE  0x0FFFu /* no sector write protected */

/* One program or erase operation, as the observer sees it. */
enum sim_flash_op_kind { SIM_OP_PROGRAM, SIM_OP_ERASE, SIM_OP_MASS_ERASE };
struct sim_flash_op {
	enum sim_flash_op_kind kind;
	uint32_t addr;          /* program: CPU address; erase: the sector's */
	const uint8_t *data;    /* program: the n bytes asked for */
	uint32_t n;             /* program: bytes; erase: the sector's size */
	int sector;             /* erase: 0..11; mass erase: -1 */
	enum sim_psize ps;
};

struct sim_flash {
	uint8_t *mem;        /* TS_FLASH_SIZE bytes, mapped from the file */
	int fd;
	char opt_path[4096];
	uint8_t rdp;         /* RDP option byte */
	uint16_t nwrp;       /* nWRP bits 0..11 */
	struct sim_events *ev; /* may be NULL */
	uint64_t ops;        /* program + erase operations so far */
	uint64_t changed;    /* bit n: 16 KB page n of the main flash was programmed
	                        or erased (also partly, by a cut); the user clears it */
	uint64_t cut_at;     /* ops value at which power fails; 0 = not armed */
	bool unpowered;      /* a cut happened; see sim_flash_power_on */
	uint64_t rng;        /* xorshift state, never 0 */
	/* Optional observer of every counted operation, called before it is
	 * applied (also before a cut applies it partly): tests record an uncut
	 * run's operations with their data to replay them. NULL: none. */
	void (*observe)(void *ctx, const struct sim_flash_op *op);
	void *observe_ctx;
};

/* Open (create if missing) the flash file at path and its .opt sidecar.
 * ev may be NULL. Returns 0, TS_ERR_IO, TS_ERR_SIZE (file has the wrong
 * size) or TS_ERR_FORMAT (unreadable .opt file). */
int sim_flash_open(struct sim_flash *f, const char *path, struct sim_events *ev);
void sim_flash_close(struct sim_flash *f);

/* The whole main flash, TS_FLASH_SIZE bytes, for reads (read-only use!). */
const uint8_t *sim_flash_mem(const struct sim_flash *f);

/* Program n bytes at addr with parallelism ps. addr and n must be multiples
 * of the unit (1/2/4/8 bytes) and inside the main flash (else TS_ERR_ADDR /
 * TS_ERR_INVAL, nothing written, no op counted). Returns 0, SIM_FLASH_CUT,
 * TS_ERR_FLASH (write protected), TS_ERR_STATE (unpowered). *dur_ns (may be
 * NULL) gets the typical duration: n/unit units x 16 us. */
int sim_flash_program(struct sim_flash *f, uint64_t now_ns, uint32_t addr, const void *data,
		      uint32_t n, enum sim_psize ps, uint64_t *dur_ns);

/* Erase sector 0..11 (else TS_ERR_INVAL). Same returns as program. */
int sim_flash_erase_sector(struct sim_flash *f, uint64_t now_ns, int sector, enum sim_psize ps,
			   uint64_t *dur_ns);

/* Erase all 12 sectors (refused with TS_ERR_FLASH if any is protected). */
int sim_flash_mass_erase(struct sim_flash *f, uint64_t now_ns, enum sim_psize ps, uint64_t *dur_ns);

/* Datasheet durations (DS8626), typical and maximum, in ns. */
uint64_t sim_flash_program_ns(enum sim_psize ps, uint32_t nbytes);
uint64_t sim_flash_erase_ns(int sector, enum sim_psize ps, bool max);
uint64_t sim_flash_mass_erase_ns(enum sim_psize ps, bool max);

/* Option bytes: set and persist to <path>.opt (event option_bytes). */
int sim_flash_set_options(struct sim_flash *f, uint64_t now_ns, uint8_t rdp, uint16_t nwrp);
/* RDP level 0, 1 or 2. */
int sim_flash_rdp_level(const struct sim_flash *f);
bool sim_flash_sector_protected(const struct sim_flash *f, int sector);

/* Fault injection. */
void sim_flash_seed(struct sim_flash *f, uint64_t seed);
/* Power fails during the n-th next operation (n >= 1); n = 0 disarms. */
void sim_flash_arm_cut(struct sim_flash *f, uint64_t n);
/* Power fails during a random one of the next 1..max operations. */
void sim_flash_arm_cut_random(struct sim_flash *f, uint64_t max);
/* Power is back: operations are accepted again (cut disarmed). */
void sim_flash_power_on(struct sim_flash *f);

#endif
