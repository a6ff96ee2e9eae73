/* The receive service's F407 line: see twinslot_update_f407.h. Registers:
 * RM0090 section 30.6 (USART), ARMv7-M ARM C1.8 (DWT), PM0214 4.4.5. */
#include "twinslot_update_f407.h"

#include "clock.h"
#include "cpu.h"
#include "flash.h"
#include "stm32f407.h"
#include "uart.h"

#if TS_CONSOLE_USART == 3
#define LINE USART3_BASE
#else
#define LINE USART1_BASE
#endif

#define RAMFUNC __attribute__((section(".RamFunc"), noinline, long_call))
#define WAIT_US 2000u
#define PAUSE_LOOPS 40u /* 640 instructions: about 3.8 us at 168 MHz */

static uint8_t ring[TS_UPDATE_RING];
static volatile uint32_t head, tail, lost;
static uint32_t clk_hz, fast_above;

/* One received byte, if any, into the ring. In RAM, calls nothing: it runs
 * inside the flash driver's busy loop while flash fetches stall. */
static RAMFUNC void pump(void)
{
	uint32_t sr = REG32(USART_SR(LINE));
	if (sr & (USART_SR_RXNE | USART_SR_ORE)) {
		uint8_t b = (uint8_t)REG32(USART_DR(LINE)); /* SR then DR clears ORE */
		if (sr & USART_SR_ORE)
			lost = lost + 1u;
		uint32_t h = head;
		if (h - tail < TS_UPDATE_RING) {
			ring[h & (TS_UPDATE_RING - 1u)] = b;
			head = h + 1u;
		} else {
			lost = lost + 1u;
		}
	}
}

/* On the fast clock, a look at the line that finds nothing is followed by
 * a pause of PAUSE_LOOPS turns (3.8 us at 168 MHz, a third of a byte time
 * at 921600), in the flash driver's busy loop and in rx: the core does not
 * spin on the USART's status register (on the virtual board every register
 * read is an exit from the emulator: without the pause a 2 s erase took
 * 25 s of wall time there). On the reset clock, no pause (0). */
static uint32_t idle_pause;
static RAMFUNC void pause(void)
{
	/* 16 instructions a turn: the virtual board pays per turn, not per
	 * cycle; on silicon the length does not matter, only that it is short
	 * of a byte time */
	uint32_t n = idle_pause;
	if (!n)
		return;
	__asm volatile("1: nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"
		       "nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tsubs %0, %0, #1\n\tbne 1b"
		       : "+l"(n) : : "cc");
}

static RAMFUNC void busy_pump(void)
{
	pump();
	pause();
}

static int line_rx(void *ctx)
{
	(void)ctx;
	pump();
	uint32_t t = tail;
	if (t == head) {
		pause();
		return -1;
	}
	int b = ring[t & (TS_UPDATE_RING - 1u)];
	tail = t + 1u;
	return b;
}

static void wait_sr(uint32_t bit)
{
	uint32_t n = ts_cpu_loops_for_us(WAIT_US);
	while (!(REG32(USART_SR(LINE)) & bit) && --n)
		pump();
}

static void line_tx(void *ctx, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	while (n--) {
		wait_sr(USART_SR_TXE);
		REG32(USART_DR(LINE)) = *p++;
	}
}

static void line_flush(void *ctx)
{
	(void)ctx;
	wait_sr(USART_SR_TC);
}

/* Above fast_above the core runs at 168 MHz (clock.h) with the data cache
 * off, as the flash is written (a cached line of an erased sector would
 * read stale; RM0090 3.5.2); at or below it, the reset clock. The USART's
 * clock follows: PCLK2 84 MHz (USART1) or PCLK1 42 MHz (USART3). */
static uint32_t line_clock(uint32_t baud)
{
	int want_fast = fast_above && baud > fast_above;
	if (want_fast && ts_cpu_hz() != TS_CLOCK_FAST_HZ && ts_clock_fast() == TS_CLOCK_FAST_HZ) {
		REG32(FLASH_ACR) &= ~FLASH_ACR_DCEN; /* off, then reset (3.5.2) */
		REG32(FLASH_ACR) |= FLASH_ACR_DCRST;
		REG32(FLASH_ACR) &= ~FLASH_ACR_DCRST;
	} else if (!want_fast && ts_cpu_hz() != TS_CLOCK_HSI_HZ) {
		ts_clock_reset();
	}
	int fast = ts_cpu_hz() == TS_CLOCK_FAST_HZ; /* the PLL may not have locked */
	idle_pause = fast ? PAUSE_LOOPS : 0u;
	if (!fast)
		return clk_hz;
	return LINE == USART1_BASE ? TS_CLOCK_FAST_HZ / 2u : TS_CLOCK_FAST_HZ / 4u;
}

static void line_set_baud(void *ctx, uint32_t baud)
{
	(void)ctx;
	int32_t e;
	if (!ts_appupd_brr(clk_hz, baud, &e))
		return;
	wait_sr(USART_SR_TC);
	uint32_t brr = ts_appupd_brr(line_clock(baud), baud, &e);
	REG32(USART_CR1(LINE)) = 0;
	REG32(USART_BRR(LINE)) = brr;
	REG32(USART_CR1(LINE)) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE; /* 8N1 */
}

static uint32_t last_cyc, rem_cyc, ms_acc;

uint32_t ts_update_f407_ms(void)
{
	uint32_t now = REG32(DWT_CYCCNT);
	uint32_t per_ms = ts_cpu_hz() / 1000u;
	rem_cyc += now - last_cyc;
	last_cyc = now;
	ms_acc += rem_cyc / per_ms;
	rem_cyc %= per_ms;
	return ms_acc;
}

static uint32_t line_ms(void *ctx)
{
	(void)ctx;
	return ts_update_f407_ms();
}

static void line_reset(void *ctx)
{
	(void)ctx;
	wait_sr(USART_SR_TC);
	cpu_dsb();
	REG32(SCB_AIRCR) = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
	cpu_dsb();
	for (;;)
		;
}

static void line_pump(void *ctx)
{
	(void)ctx;
	pump();
}

uint32_t ts_update_f407_lost(void)
{
	return lost;
}

void ts_update_f407_io(struct ts_update_io *io, uint32_t uart_clk_hz, uint32_t fast_above_baud)
{
	clk_hz = uart_clk_hz;
	fast_above = fast_above_baud;
	REG32(DEMCR) |= DEMCR_TRCENA;
	REG32(DWT_CTRL) |= DWT_CTRL_CYCCNTENA;
	last_cyc = REG32(DWT_CYCCNT);
	REG32(USART_CR1(LINE)) |= USART_CR1_RE;
	idle_pause = 0u;
	ts_flash_busy_hook = busy_pump;
	io->rx = line_rx;
	io->tx = line_tx;
	io->flush = line_flush;
	io->set_baud = line_set_baud;
	io->ms = line_ms;
	io->reset = line_reset;
	io->pump = line_pump;
	io->ctx = 0;
}
