/*
 * The virtual STM32F4-Discovery: an emulated Cortex-M4 (libunicorn 2) with
 * the peripherals twinslot's firmware touches, on the sim_flash file, with
 * the ROM bootloader model (sim_rom) answering when BOOT0 is high at reset.
 *
 * Time: the board has one emulated clock, now_ns. While the CPU runs, it is
 * driven by the instruction count (1 instruction = 1 cycle of HCLK: 16 MHz
 * HSI after reset, the PLL when the firmware switches to it), counted per
 * translated block. Peripherals evaluate lazily against that clock (SysTick,
 * USART byte times, IWDG, flash BSY). While the CPU does not run (ROM mode,
 * lock-up, power off) the caller advances the clock (board_advance).
 *
 * The board does no I/O of its own besides the serial endpoint it is given
 * (bytes go through sim_serial) and the event log; the main loop (main.c)
 * owns poll(), the control channel and wall-clock pacing.
 *
 * Contract: single-threaded; one struct board per process (unicorn hooks
 * carry the pointer). board_open() maps everything; board_close() frees.
 */
#ifndef TWINSLOT_SIM_BOARD_H
#define TWINSLOT_SIM_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <unicorn/unicorn.h>

#include "events.h"
#include "flash.h"
#include "twinslot/layout.h"
#include "rom.h"
#include "serial.h"

enum board_mode { BOARD_OFF, BOARD_CPU, BOARD_ROM, BOARD_LOCKUP };

enum board_reset_cause {
	RESET_POWER,    /* power-on: RAM cleared, IWDG stopped */
	RESET_NRST,     /* NRST pin */
	RESET_IWDG,     /* independent watchdog timeout */
	RESET_SOFTWARE, /* AIRCR.SYSRESETREQ */
	RESET_ROM,      /* ROM bootloader asked for it (option bytes) */
};

#define BOARD_SRAM_SIZE 0x20000u
#define BOARD_CCM_SIZE  0x10000u
#define BOARD_HSI_HZ    16000000u
#define BOARD_HSE_HZ    8000000u /* the Discovery board's crystal */
#define BOARD_LSI_HZ    32000u

/* ---- peripheral state ---- */

struct flash_if {
	uint32_t acr, sr, cr, optcr;
	int key_stage;      /* 0: locked, 1: KEY1 seen, 2: unlocked */
	bool key_dead;      /* wrong key: locked until reset */
	int optkey_stage;
	uint64_t busy_until_ns; /* BSY while now < this */
	bool eop_pending;   /* set EOP (if EOPIE) when BSY ends */
};

struct rcc {
	uint32_t reg[0x90 / 4];
	uint32_t csr_flags; /* reset flags (bits 24..31 of CSR) */
};

struct gpio_port {
	uint32_t moder, otyper, ospeedr, pupdr, odr, lckr, afr[2];
	uint32_t in; /* external input levels */
};

struct usart {
	uint32_t sr, dr_rx, brr, cr1, cr2, cr3, gtpr;
	uint64_t tx_free_ns;  /* TDR can take a byte when now >= this */
	uint64_t tc_ns;       /* transmission complete at this time */
	uint64_t rx_next_ns;  /* next host byte may land at this time */
	uint8_t rxq[256];     /* host bytes waiting to be shifted in */
	size_t rxq_head, rxq_len;
	bool sr_read_ore;     /* SR read with ORE/RXNE: DR read clears ORE */
	uint64_t tx_count;
};

struct iwdg {
	bool running;
	bool access;       /* 0x5555 written: PR/RLR writable */
	uint32_t pr, rlr;
	uint64_t deadline_ns; /* timeout when running */
};

struct scb {
	uint32_t vtor, aircr, scr, ccr, shpr[3], shcsr, cfsr, hfsr, cpacr;
	uint32_t icsr;
};

struct systick {
	uint32_t ctrl, load;
	uint32_t val;        /* value at cyc_ref */
	uint64_t cyc_ref;    /* cycle count when val was taken */
	bool countflag;
};

struct crc_unit {
	uint32_t dr, idr;
};

/* ---- the board ---- */

struct board_opts {
	const char *flash_path;
	const char *events_path;
	bool boot0;
	uint64_t seed;
	uint32_t rom_time_permille; /* 1000 = datasheet times */
};

struct board {
	/* wiring */
	struct sim_events ev;
	struct sim_flash flash;
	struct sim_rom rom;
	struct sim_serial *serial; /* may be NULL: UART output is dropped */
	FILE *console;              /* optional copy of all USART output */

	/* pins and power */
	bool boot0, nrst_low, powered;
	bool button;
	enum board_mode mode;
	uint32_t reset_count;
	char lockup_reason[96];
	uint32_t lockup_pc;

	/* clock */
	uint64_t cycles;       /* HCLK cycles (instructions + stalls) */
	uint64_t base_ns;      /* now_ns at cycles == base_cyc */
	uint64_t base_cyc;
	uint32_t hclk_hz;
	uint64_t idle_ns;      /* now_ns while the CPU does not run */

	/* CPU */
	uc_engine *uc;
	uint8_t *sram, *ccm;
	uint8_t *sysmem;       /* system memory + OTP, 32 KB */
	uint32_t *tbcount;     /* per flash halfword: (size << 16) | insns */
	uint32_t *sram_count;  /* per SRAM halfword: the same, valid while the */
	uint8_t *sram_shadow;  /* block's bytes equal these (code copied to RAM) */
	uint64_t stop_at_cyc;  /* the block hook stops the slice here */
	bool stop_request;     /* peripheral asked to end the slice */
	int pending_reset;     /* -1 or enum board_reset_cause */
	bool pending_lockup;
	bool in_emu;           /* inside uc_emu_start */
	bool pending_poweroff; /* flash power cut */
	uint32_t pc;           /* where the CPU resumes */
	uint32_t blk_pc;       /* start of the block executing now */
	/* A rejected or bit-restoring store into flash: unicorn writes the
	 * stored value after the write-protect hook returns; these bytes are
	 * put back at the next block boundary or peripheral access. */
	bool fix_pending;
	uint32_t fix_off, fix_len;
	uint8_t fix_data[8];
	uint32_t dirty_off, dirty_end; /* flash range changed behind unicorn */
	uint64_t flash_ops_seen; /* sim_flash ops when translations were last dropped */
	uint8_t *code_snap;    /* the flash as of the last check for stale code */
	uint64_t code_chunks[TS_FLASH_SIZE / 256u / 64u]; /* bit n: code in the 256 bytes
	                          at n * 256 ran since the last TB flush */
	uint64_t code_pages;   /* bit n: code in 16 KB flash page n ran (so unicorn may
	                          hold translations of it) since the last TB flush */
	/* The hand-over: the first block that runs in a slot (0x08020000 to the
	 * journal) since the last reset, and the clock from that reset to it. */
	uint64_t reset_ns, reset_cyc;
	bool slot_entered;
	uint64_t entry_ns, entry_insns;
	uint32_t entry_pc;
	uint32_t hclk_max_hz;  /* highest HCLK since the last reset */
	/* Single-bank stall (RM0090 3.5): while a program or erase is in
	 * progress, a fetch from flash or a data read of it stalls the core
	 * until the operation ends. The block hook stops the slice before a
	 * block in flash and sets stall_until_ns; board_run then lets board
	 * time pass without running the core (USART bytes keep landing, and
	 * overrun, as on silicon). Data reads are not stalled. */
	uint64_t stall_until_ns; /* 0: not stalled */
	uint64_t stalls;         /* stalls since the board started */
	uint64_t stall_ns;       /* their total duration */

	/* peripherals */
	struct flash_if fi;
	struct rcc rcc;
	struct gpio_port gpio[5];
	uint8_t leds;          /* bit n: PD(12+n) lit */
	struct usart usart[2]; /* [0] USART1, [1] USART3 */
	struct iwdg iwdg;
	struct scb scb;
	struct systick systick;
	struct crc_unit crc;
	uint32_t nvic[0x400 / 4];
	uint8_t *regfile;      /* plain storage for unmodelled peripherals */
	uint32_t dwt_ctrl;
	uint32_t pwr_cr;
	uint32_t gated_logged; /* bit per gated peripheral already logged */
};

/* Open the flash file and event log, create the CPU and map memory. The
 * board starts powered off; board_power_on() runs the power-on reset. */
int board_open(struct board *b, const struct board_opts *o, struct sim_serial *serial);
void board_close(struct board *b);

uint64_t board_now(const struct board *b);
/* Advance the clock while the CPU is not running (ROM, lock-up, off). */
void board_advance(struct board *b, uint64_t to_ns);

void board_power_on(struct board *b);
void board_power_off(struct board *b);
void board_reset(struct board *b, enum board_reset_cause cause);
void board_set_nrst(struct board *b, bool low);

/* Run the CPU until about until_ns (or an event ends the slice earlier);
 * no-op unless mode is BOARD_CPU. */
void board_run(struct board *b, uint64_t until_ns);

/* Time-driven work due by now: IWDG timeout, flash BSY end, ROM bytes,
 * host bytes into the USARTs. Call between slices and after board_advance. */
void board_service(struct board *b);

/* Earliest time something is due while the CPU is not running
 * (UINT64_MAX: nothing). */
uint64_t board_next_deadline(const struct board *b);

const char *board_mode_name(enum board_mode m);
const char *board_reset_cause_name(enum board_reset_cause c);

/* ---- internal, shared between the board's files ---- */

void board_lockup(struct board *b, const char *why, uint32_t pc);
void board_enter_lockup(struct board *b, uint32_t pc);
void board_stop_slice(struct board *b);
void board_set_hclk(struct board *b, uint32_t hz);
uint32_t board_pclk_hz(const struct board *b, int apb);
void board_apply_fixup(struct board *b);
void board_flash_changed(struct board *b, uint32_t off, uint32_t len);
void board_flush_dirty(struct board *b);
void board_drop_stale_code(struct board *b);
bool board_clock_enabled(struct board *b, const char *name, int reg_off, int bit);

int bd_cpu_open(struct board *b);
void bd_cpu_close(struct board *b);
void bd_cpu_reset(struct board *b, uint32_t vector_base);
void bd_cpu_start_at(struct board *b, uint32_t vector_base);

void bd_flash_if_reset(struct board *b);
uint32_t bd_flash_if_read(struct board *b, uint32_t off);
void bd_flash_if_write(struct board *b, uint32_t off, uint32_t v);
/* A CPU store into flash (from the write-protect hook). */
void bd_flash_if_store(struct board *b, uint32_t addr, int size, uint64_t value);
void bd_flash_if_service(struct board *b);
/* The core touched flash (fetch or data read, `by`) at pc: stall it until
 * the operation in progress ends. True when it stalls (the caller stops). */
bool bd_flash_if_stall(struct board *b, uint32_t pc, const char *by);

void bd_rcc_reset(struct board *b, enum board_reset_cause cause);
uint32_t bd_rcc_read(struct board *b, uint32_t off);
void bd_rcc_write(struct board *b, uint32_t off, uint32_t v);

void bd_gpio_reset(struct board *b);
void bd_gpio_reset_port(struct board *b, int port);
uint32_t bd_gpio_read(struct board *b, int port, uint32_t off);
void bd_gpio_write(struct board *b, int port, uint32_t off, uint32_t v);
void bd_gpio_set_button(struct board *b, bool pressed);

void bd_usart_reset(struct board *b);
uint32_t bd_usart_read(struct board *b, int n, uint32_t off);
void bd_usart_write(struct board *b, int n, uint32_t off, uint32_t v);
/* Pull host bytes from the serial endpoint into enabled USARTs. */
void bd_usart_service(struct board *b);
/* Bytes written to a USART's DR whose frame has not ended yet. */
size_t bd_usart_unsent(struct board *b);

void bd_iwdg_power_on(struct board *b);
uint32_t bd_iwdg_read(struct board *b, uint32_t off);
void bd_iwdg_write(struct board *b, uint32_t off, uint32_t v);
void bd_iwdg_reload(struct board *b);

void bd_scb_reset(struct board *b);
uint32_t bd_scb_read(struct board *b, uint32_t off);
void bd_scb_write(struct board *b, uint32_t off, uint32_t v);

void bd_systick_reset(struct board *b);
uint32_t bd_systick_read(struct board *b, uint32_t off);
void bd_systick_write(struct board *b, uint32_t off, uint32_t v);

void bd_crc_reset(struct board *b);
uint32_t bd_crc_read(struct board *b, uint32_t off);
void bd_crc_write(struct board *b, uint32_t off, uint32_t v);
/* The unit's function, for tests: CRC of words, STM32 style. */
uint32_t bd_crc_stm32_update(uint32_t crc, uint32_t word);

int bd_bus_map(struct board *b);

#endif
