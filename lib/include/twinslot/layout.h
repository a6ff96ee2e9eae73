/*
 * twinslot flash layout of the STM32F407 (1 MB, single bank) and its RAM.
 *
 * The one place that knows where the bootloader, the two slots and the
 * metadata journal live, and the F407's sector geometry (RM0090 table 5).
 * Pure constants and arithmetic; freestanding.
 */
#ifndef TWINSLOT_LAYOUT_H
#define TWINSLOT_LAYOUT_H

#include <stdint.h>

#define TS_FLASH_BASE     0x08000000u
#define TS_FLASH_SIZE     0x00100000u /* 1 MB */
#define TS_FLASH_SECTORS  12

#define TS_BOOT_ADDR      0x08000000u /* sector 0 */
#define TS_BOOT_SIZE      0x00004000u /* 16 KB */
#define TS_SLOT_A_ADDR    0x08020000u /* sectors 5-7 */
#define TS_SLOT_B_ADDR    0x08080000u /* sectors 8-10 */
#define TS_SLOT_SIZE      0x00060000u /* 384 KB */
#define TS_JOURNAL_ADDR   0x080E0000u /* sector 11 */
#define TS_JOURNAL_SIZE   0x00020000u /* 128 KB */
#define TS_JOURNAL_SECTOR 11

#define TS_SRAM_BASE      0x20000000u /* SRAM1 + SRAM2, contiguous */
#define TS_SRAM_SIZE      0x00020000u /* 128 KB */
#define TS_CCM_BASE       0x10000000u
#define TS_CCM_SIZE       0x00010000u /* 64 KB */

enum ts_slot { TS_SLOT_A = 0, TS_SLOT_B = 1 };
#define TS_SLOT_COUNT 2

/* Base address of a slot (where its image header starts). */
static inline uint32_t ts_slot_addr(enum ts_slot s)
{
	return s == TS_SLOT_A ? TS_SLOT_A_ADDR : TS_SLOT_B_ADDR;
}

/* First flash sector of a slot; a slot spans three 128 KB sectors. */
static inline int ts_slot_first_sector(enum ts_slot s)
{
	return s == TS_SLOT_A ? 5 : 8;
}

static inline enum ts_slot ts_slot_other(enum ts_slot s)
{
	return s == TS_SLOT_A ? TS_SLOT_B : TS_SLOT_A;
}

static inline char ts_slot_name(enum ts_slot s)
{
	return s == TS_SLOT_A ? 'A' : 'B';
}

/* Start address of flash sector n (0..11). */
static inline uint32_t ts_sector_addr(int n)
{
	if (n < 4)
		return TS_FLASH_BASE + (uint32_t)n * 0x4000u;
	if (n == 4)
		return TS_FLASH_BASE + 0x10000u;
	return TS_FLASH_BASE + 0x20000u * (uint32_t)(n - 4);
}

/* Size of flash sector n (0..11): 16, 16, 16, 16, 64, then 128 KB. */
static inline uint32_t ts_sector_size(int n)
{
	return n < 4 ? 0x4000u : n == 4 ? 0x10000u : 0x20000u;
}

/* Sector that holds addr, or -1 when addr is outside the main flash. */
static inline int ts_sector_of(uint32_t addr)
{
	if (addr < TS_FLASH_BASE || addr >= TS_FLASH_BASE + TS_FLASH_SIZE)
		return -1;
	uint32_t off = addr - TS_FLASH_BASE;
	if (off < 0x10000u)
		return (int)(off / 0x4000u);
	if (off < 0x20000u)
		return 4;
	return 4 + (int)(off / 0x20000u);
}

#endif
