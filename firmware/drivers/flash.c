/* Embedded-flash erase and program with bounded waits: see flash.h. */
#include "flash.h"

#include <string.h>

#include "cpu.h"
#include "stm32f407.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

#define RAMFUNC __attribute__((section(".RamFunc"), noinline, long_call))

void (*ts_flash_busy_hook)(void);

/* Time-out: 1.5 x the datasheet maximum, as loop iterations. */
static uint32_t timeout_loops(uint32_t max_us)
{
	return ts_cpu_loops_for_us(max_us + max_us / 2u);
}

/*
 * Start the operation (write cr_go, when not 0, to FLASH_CR), or store one
 * word, then wait while BSY with at most `loops` iterations. Runs from RAM so it keeps
 * counting while flash reads are stalled. Returns the last FLASH_SR value
 * (BSY still set means time-out). Only register accesses inside, and the
 * busy hook, which lives in RAM too (flash.h).
 */
static RAMFUNC uint32_t run_and_wait(uint32_t cr_go, volatile uint32_t *word,
				     uint32_t value, uint32_t loops)
{
	uint32_t sr;
	void (*hook)(void) = ts_flash_busy_hook;
	if (word)
		*word = value;
	else if (cr_go)
		REG32(FLASH_CR) = cr_go;
	__asm volatile("dsb 0xF" ::: "memory");
	do {
		REG32(IWDG_KR) = IWDG_KEY_RELOAD; /* harmless when not running */
		if (hook)
			hook();
		sr = REG32(FLASH_SR);
	} while ((sr & FLASH_SR_BSY) && --loops);
	return sr;
}

static int unlock(void)
{
	if (REG32(FLASH_CR) & FLASH_CR_LOCK) {
		/* RM0090 3.5.1: KEY1 then KEY2; a wrong sequence locks until reset. */
		REG32(FLASH_KEYR) = FLASH_KEY1;
		REG32(FLASH_KEYR) = FLASH_KEY2;
		if (REG32(FLASH_CR) & FLASH_CR_LOCK)
			return TS_ERR_FLASH;
	}
	return TS_OK;
}

static void lock(void)
{
	REG32(FLASH_CR) = FLASH_CR_LOCK;
}

/* Before an operation: idle (bounded) and no error flag left over. */
static int prepare(void)
{
	int err = unlock();
	if (err)
		return err;
	uint32_t sr = run_and_wait(0, 0, 0, timeout_loops(TS_FLASH_ERASE128K_MAX_US));
	if (sr & FLASH_SR_BSY) {
		lock();
		return TS_ERR_TIMEOUT;
	}
	REG32(FLASH_SR) = FLASH_SR_ERRORS | FLASH_SR_EOP; /* rc_w1: clear */
	return TS_OK;
}

/* After an operation: time-out or error flags to a ts_err, flags cleared. */
static int finish(uint32_t sr)
{
	REG32(FLASH_SR) = FLASH_SR_ERRORS | FLASH_SR_EOP;
	if (sr & FLASH_SR_BSY)
		return TS_ERR_TIMEOUT;
	if (sr & FLASH_SR_ERRORS)
		return TS_ERR_FLASH;
	return TS_OK;
}

/* The data cache may hold words from before an erase: RM0090 3.5.3 and
 * FLASH_ACR DCRST (3.9.1), which can only be written with DCEN clear. */
#define FLASH_ACR_DCEN  (1u << 10)
#define FLASH_ACR_DCRST (1u << 12)
static void flush_data_cache(void)
{
	uint32_t acr = REG32(FLASH_ACR);
	if (acr & FLASH_ACR_DCEN) {
		REG32(FLASH_ACR) = acr & ~FLASH_ACR_DCEN;
		REG32(FLASH_ACR) = (acr & ~FLASH_ACR_DCEN) | FLASH_ACR_DCRST;
		REG32(FLASH_ACR) = acr & ~FLASH_ACR_DCRST;
	}
}

int ts_flash_erase_sector(int sector)
{
	if (sector < 1 || sector >= TS_FLASH_SECTORS)
		return TS_ERR_INVAL;
	uint32_t size = ts_sector_size(sector);
	uint32_t max_us = size == 0x4000u ? TS_FLASH_ERASE16K_MAX_US :
			  size == 0x10000u ? TS_FLASH_ERASE64K_MAX_US :
					     TS_FLASH_ERASE128K_MAX_US;
	int err = prepare();
	if (err)
		return err;
	uint32_t cr = FLASH_CR_PSIZE_X32 | FLASH_CR_SER |
		      ((uint32_t)sector << FLASH_CR_SNB_POS);
	REG32(FLASH_CR) = cr;
	uint32_t sr = run_and_wait(cr | FLASH_CR_STRT, 0, 0, timeout_loops(max_us));
	err = finish(sr);
	lock();
	flush_data_cache();
	if (err)
		return err;

	const volatile uint32_t *p = (const volatile uint32_t *)ts_sector_addr(sector);
	for (uint32_t i = 0; i < size / 4u; i++) {
		if ((i & 0x3FFu) == 0)
			REG32(IWDG_KR) = IWDG_KEY_RELOAD;
		if (p[i] != 0xFFFFFFFFu)
			return TS_ERR_FLASH;
	}
	return TS_OK;
}

int ts_flash_program(uint32_t addr, const void *data, uint32_t len)
{
	if ((addr & 3u) || (len & 3u) || ts_sector_of(addr) < 1 ||
	    (len && ts_sector_of(addr + len - 1u) < 1))
		return TS_ERR_INVAL;
	const uint8_t *src = data;
	int err = prepare();
	if (err)
		return err;
	REG32(FLASH_CR) = FLASH_CR_PSIZE_X32 | FLASH_CR_PG;
	uint32_t loops = timeout_loops(TS_FLASH_TPROG_MAX_US);
	for (uint32_t off = 0; off < len && !err; off += 4u) {
		volatile uint32_t *dst = (volatile uint32_t *)(addr + off);
		uint32_t w;
		memcpy(&w, src + off, 4);
		if (*dst != 0xFFFFFFFFu) {
			err = TS_ERR_FLASH; /* never program over a non-erased word */
			break;
		}
		err = finish(run_and_wait(0, dst, w, loops));
	}
	lock();
	flush_data_cache();
	if (err)
		return err;
	/* Read back everything: the program is only done if flash says so. */
	if (memcmp((const void *)addr, data, len) != 0)
		return TS_ERR_FLASH;
	return TS_OK;
}
