/*
 * The bus: memory-mapped I/O for the peripheral regions (APB1, APB2, AHB1
 * at 0x40000000, AHB2 at 0x50000000) and the Cortex-M4 private peripheral
 * bus (0xE0000000), dispatched to the peripheral models by 1 KB block.
 *
 * Blocks of real F407 peripherals that are not modelled (timers, DMA, PWR,
 * SYSCFG, ...) behave as plain registers: reads return what was written.
 * Addresses where the F407 has nothing raise a bus fault (lock-up).
 * Registers are 32 bits; byte and halfword accesses read the word and
 * extract, and write the shifted value (merged with the old value where the
 * register is plain storage).
 */
#include "board.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/err.h"

#define PERIPH_BASE 0x40000000u
#define PERIPH_SIZE 0x00080000u /* APB1, APB2, AHB1 incl. USB OTG HS */
#define AHB2_BASE   0x50000000u
#define AHB2_SIZE   0x00062000u
#define PPB_BASE    0xE0000000u
#define PPB_SIZE    0x00100000u
#define PPB_REGFILE 0x10000u

/* 1 KB blocks (offset from 0x40000000 >> 10) where the F407 has a
 * peripheral (RM0090 table 1), besides the modelled ones. */
static bool real_block(uint32_t blk)
{
	if (blk <= 0x08)             /* TIM2..TIM14 */
		return true;
	switch (blk) {
	case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x0E: case 0x0F: /* RTC WWDG IWDG I2S2ext SPI2 SPI3 */
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: /* I2S3ext USART2 USART3 UART4 UART5 */
	case 0x15: case 0x16: case 0x17: case 0x19: case 0x1A: /* I2C1-3 CAN1-2 */
	case 0x1C: case 0x1D:       /* PWR DAC */
	case 0x40: case 0x41: case 0x44: case 0x45: /* TIM1 TIM8 USART1 USART6 */
	case 0x48: case 0x4B: case 0x4C: case 0x4E: case 0x4F: /* ADC SDIO SPI1 SYSCFG EXTI */
	case 0x50: case 0x51: case 0x52: /* TIM9-11 */
	case 0x8C: case 0x8E: case 0x8F: /* CRC RCC FLASH */
	case 0x90: case 0x91: case 0x92: case 0x93: /* BKPSRAM */
	case 0x98: case 0x99:       /* DMA1 DMA2 */
		return true;
	}
	if (blk >= 0x80 && blk <= 0x88) /* GPIOA..GPIOI */
		return true;
	if (blk >= 0xA0 && blk <= 0xA4) /* Ethernet MAC */
		return true;
	if (blk >= 0x100 && blk < 0x200) /* USB OTG HS */
		return true;
	return false;
}

static void bus_fault(struct board *b, const char *what, uint32_t addr)
{
	char why[64];
	snprintf(why, sizeof why, "bus fault: %s 0x%08" PRIx32, what, addr);
	board_lockup(b, why, 0);
}

static uint32_t regfile_read(uint8_t *base, uint32_t off)
{
	uint32_t v;
	memcpy(&v, base + (off & ~3u), 4);
	return v;
}

static void regfile_write(uint8_t *base, uint32_t off, unsigned size, uint32_t v)
{
	memcpy(base + off, &v, size);
}

/* Peripheral dispatch; off is from 0x40000000 and word aligned. */
static uint32_t periph_read32(struct board *b, uint32_t off, bool *fault)
{
	uint32_t blk = off >> 10, r = off & 0x3FFu;
	switch (blk) {
	case 0x0C: return bd_iwdg_read(b, r);
	case 0x12: return bd_usart_read(b, 1, r);
	case 0x44: return bd_usart_read(b, 0, r);
	case 0x8C: return bd_crc_read(b, r);
	case 0x8E: return bd_rcc_read(b, r);
	case 0x8F: return bd_flash_if_read(b, r);
	case 0x1C: /* PWR: CR as written, CSR with VOSRDY (regulator ready) */
		return r == 0 ? b->pwr_cr : r == 4 ? 1u << 14 : 0;
	}
	if (blk >= 0x80 && blk <= 0x84)
		return bd_gpio_read(b, (int)(blk - 0x80), r);
	if (real_block(blk))
		return regfile_read(b->regfile, off);
	*fault = true;
	return 0;
}

static void periph_write32(struct board *b, uint32_t off, uint32_t v, bool *fault)
{
	uint32_t blk = off >> 10, r = off & 0x3FFu;
	switch (blk) {
	case 0x0C: bd_iwdg_write(b, r, v); return;
	case 0x12: bd_usart_write(b, 1, r, v); return;
	case 0x44: bd_usart_write(b, 0, r, v); return;
	case 0x8C: bd_crc_write(b, r, v); return;
	case 0x8E: bd_rcc_write(b, r, v); return;
	case 0x8F: bd_flash_if_write(b, r, v); return;
	case 0x1C:
		if (r == 0)
			b->pwr_cr = v;
		return;
	}
	if (blk >= 0x80 && blk <= 0x84) {
		bd_gpio_write(b, (int)(blk - 0x80), r, v);
		return;
	}
	if (real_block(blk)) {
		regfile_write(b->regfile, off, 4, v);
		return;
	}
	*fault = true;
}

static uint64_t mmio_periph_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc;
	struct board *b = ud;
	if (b->fix_pending)
		board_apply_fixup(b);
	uint32_t off = (uint32_t)offset;
	bool fault = false;
	uint32_t v = periph_read32(b, off & ~3u, &fault);
	if (fault) {
		bus_fault(b, "read", PERIPH_BASE + off);
		return 0;
	}
	v >>= (off & 3u) * 8;
	return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void mmio_periph_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
			      void *ud)
{
	(void)uc;
	struct board *b = ud;
	if (b->fix_pending)
		board_apply_fixup(b);
	uint32_t off = (uint32_t)offset;
	uint32_t v = (uint32_t)value;
	bool fault = false;
	uint32_t blk = off >> 10;
	if (size < 4 && real_block(blk) && blk != 0x0C && blk != 0x12 && blk != 0x44 &&
	    blk != 0x8C && blk != 0x8E && blk != 0x8F && !(blk >= 0x80 && blk <= 0x84)) {
		regfile_write(b->regfile, off, size, v); /* plain storage */
		return;
	}
	if (size < 4) {
		uint32_t sh = (off & 3u) * 8, mask = ((1u << (size * 8)) - 1) << sh;
		v = (v << sh) & mask;
		/* GPIO registers other than BSRR are storage: merge */
		if (blk >= 0x80 && blk <= 0x84 && (off & 0x3FCu) != 0x18) {
			bool f2 = false;
			v |= periph_read32(b, off & ~3u, &f2) & ~mask;
		}
	}
	periph_write32(b, off & ~3u, v, &fault);
	if (fault)
		bus_fault(b, "write", PERIPH_BASE + off);
}

static uint64_t mmio_ahb2_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc;
	(void)size;
	struct board *b = ud;
	return regfile_read(b->regfile + PERIPH_SIZE, (uint32_t)offset) >> ((offset & 3u) * 8);
}

static void mmio_ahb2_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	(void)uc;
	struct board *b = ud;
	regfile_write(b->regfile + PERIPH_SIZE, (uint32_t)offset, size, (uint32_t)value);
}

static uint32_t ppb_read32(struct board *b, uint32_t off)
{
	if (off >= 0xE010 && off < 0xE020)
		return bd_systick_read(b, off - 0xE010);
	if (off >= 0xE100 && off < 0xE500)
		return b->nvic[(off - 0xE100) / 4];
	if (off >= 0xED00 && off < 0xED90)
		return bd_scb_read(b, off - 0xED00);
	if (off == 0x1000)
		return b->dwt_ctrl;
	if (off == 0x1004) /* DWT_CYCCNT: the board's cycle counter */
		return (uint32_t)b->cycles;
	if (off < PPB_REGFILE)
		return regfile_read(b->regfile + PERIPH_SIZE + AHB2_SIZE, off);
	return 0;
}

static void ppb_write32(struct board *b, uint32_t off, uint32_t v)
{
	if (off >= 0xE010 && off < 0xE020)
		bd_systick_write(b, off - 0xE010, v);
	else if (off >= 0xE100 && off < 0xE500)
		b->nvic[(off - 0xE100) / 4] = v;
	else if (off >= 0xED00 && off < 0xED90)
		bd_scb_write(b, off - 0xED00, v);
	else if (off == 0x1000)
		b->dwt_ctrl = v;
	else if (off < PPB_REGFILE)
		regfile_write(b->regfile + PERIPH_SIZE + AHB2_SIZE, off, 4, v);
}

static uint64_t mmio_ppb_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc;
	struct board *b = ud;
	uint32_t off = (uint32_t)offset;
	uint32_t v = ppb_read32(b, off & ~3u) >> ((off & 3u) * 8);
	return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void mmio_ppb_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	(void)uc;
	struct board *b = ud;
	uint32_t off = (uint32_t)offset;
	uint32_t v = (uint32_t)value;
	if (size < 4) {
		uint32_t sh = (off & 3u) * 8, mask = ((1u << (size * 8)) - 1) << sh;
		v = ((v << sh) & mask) | (ppb_read32(b, off & ~3u) & ~mask);
	}
	ppb_write32(b, off & ~3u, v);
}

/* Option bytes at 0x1FFFC000 (RM0090 3.6.1): RDP in bits 15:8 and the
 * user byte at 0x1FFFC000, nWRP in bits 11:0 at 0x1FFFC008. Read only. */
static uint64_t mmio_opt_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc;
	struct board *b = ud;
	uint32_t w = 0xFFFFFFFFu;
	switch (offset & ~3u) {
	case 0: w = 0xFFFF00EDu | (uint32_t)b->flash.rdp << 8; break;
	case 8: w = 0xFFFF0000u | b->flash.nwrp; break;
	}
	uint32_t v = w >> ((offset & 3u) * 8);
	return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void mmio_opt_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	(void)uc;
	(void)size;
	(void)value;
	bus_fault(ud, "write to option bytes", 0x1FFFC000u + (uint32_t)offset);
}

int bd_bus_map(struct board *b)
{
	b->regfile = calloc(1, PERIPH_SIZE + AHB2_SIZE + PPB_REGFILE);
	if (!b->regfile)
		return TS_ERR_IO;
	if (uc_mmio_map(b->uc, PERIPH_BASE, PERIPH_SIZE, mmio_periph_read, b, mmio_periph_write, b) ||
	    uc_mmio_map(b->uc, AHB2_BASE, AHB2_SIZE, mmio_ahb2_read, b,
			mmio_ahb2_write, b) ||
	    uc_mmio_map(b->uc, PPB_BASE, PPB_SIZE, mmio_ppb_read, b, mmio_ppb_write, b) ||
	    uc_mmio_map(b->uc, 0x1FFFC000u, 0x1000u, mmio_opt_read, b, mmio_opt_write, b)) {
		fprintf(stderr, "board: cannot map the peripheral regions\n");
		return TS_ERR_STATE;
	}
	return TS_OK;
}
