/*
 * The CRC calculation unit (RM0090 chapter 4): CRC-32 with polynomial
 * 0x04C11DB7, 32-bit words fed MSB first, no reflection, no final XOR;
 * DR reads the result, CR.RESET sets DR to 0xFFFFFFFF, IDR is a free byte.
 * Needs RCC_AHB1ENR.CRCEN.
 */
#include "board.h"

uint32_t bd_crc_stm32_update(uint32_t crc, uint32_t word)
{
	crc ^= word;
	for (int i = 0; i < 32; i++)
		crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
	return crc;
}

void bd_crc_reset(struct board *b)
{
	b->crc.dr = 0xFFFFFFFFu;
	b->crc.idr = 0;
}

uint32_t bd_crc_read(struct board *b, uint32_t off)
{
	if (!board_clock_enabled(b, "CRC", 0x30, 12))
		return 0;
	switch (off) {
	case 0x00: return b->crc.dr;
	case 0x04: return b->crc.idr;
	}
	return 0;
}

void bd_crc_write(struct board *b, uint32_t off, uint32_t v)
{
	if (!board_clock_enabled(b, "CRC", 0x30, 12))
		return;
	switch (off) {
	case 0x00: b->crc.dr = bd_crc_stm32_update(b->crc.dr, v); break;
	case 0x04: b->crc.idr = v & 0xFFu; break;
	case 0x08:
		if (v & 1u)
			b->crc.dr = 0xFFFFFFFFu;
		break;
	}
}
