/*
 * RCC (RM0090 chapter 7): oscillator enables with their ready flags (ready at
 * once), PLL configuration, the system clock switch (SWS follows SW when the
 * source is ready) and prescalers -> the CPU clock (HCLK) and the APB clocks
 * the USARTs use; peripheral clock enables (peripherals with their clock off
 * ignore writes and read 0, as on silicon); peripheral resets; CSR reset
 * flags. Oscillators: HSI 16 MHz, HSE 8 MHz (the Discovery's crystal), LSI
 * 32 kHz.
 */
#include "board.h"

#include <inttypes.h>
#include <string.h>

#define CR_HSION   (1u << 0)
#define CR_HSIRDY  (1u << 1)
#define CR_HSEON   (1u << 16)
#define CR_HSERDY  (1u << 17)
#define CR_PLLON   (1u << 24)
#define CR_PLLRDY  (1u << 25)
#define CR_PLLI2SON  (1u << 26)
#define CR_PLLI2SRDY (1u << 27)

#define CSR_LSION  (1u << 0)
#define CSR_LSIRDY (1u << 1)
#define CSR_RMVF   (1u << 24)
#define CSR_BORRSTF (1u << 25)
#define CSR_PINRSTF (1u << 26)
#define CSR_PORRSTF (1u << 27)
#define CSR_SFTRSTF (1u << 28)
#define CSR_IWDGRSTF (1u << 29)

#define R(off) b->rcc.reg[(off) / 4]

static uint32_t sysclk_hz(struct board *b)
{
	uint32_t sws = (R(0x08) >> 2) & 3u;
	if (sws == 1)
		return BOARD_HSE_HZ;
	if (sws == 2) {
		uint32_t p = R(0x04);
		uint32_t src = (p & (1u << 22)) ? BOARD_HSE_HZ : BOARD_HSI_HZ;
		uint32_t m = p & 0x3Fu, n = (p >> 6) & 0x1FFu, pdiv = 2u * (((p >> 16) & 3u) + 1u);
		if (m < 2 || n < 2)
			return BOARD_HSI_HZ;
		return (uint32_t)((uint64_t)src / m * n / pdiv);
	}
	return BOARD_HSI_HZ;
}

static uint32_t hclk_hz(struct board *b)
{
	static const uint16_t div[8] = { 2, 4, 8, 16, 64, 128, 256, 512 };
	uint32_t hpre = (R(0x08) >> 4) & 0xFu;
	uint32_t hz = sysclk_hz(b);
	return hpre & 8u ? hz / div[hpre & 7u] : hz;
}

uint32_t board_pclk_hz(const struct board *b, int apb)
{
	uint32_t ppre = (b->rcc.reg[0x08 / 4] >> (apb == 1 ? 10 : 13)) & 7u;
	uint32_t hz = b->hclk_hz;
	return ppre & 4u ? hz >> ((ppre & 3u) + 1) : hz;
}

bool board_clock_enabled(struct board *b, const char *name, int reg_off, int bit)
{
	if (b->rcc.reg[reg_off / 4] & (1u << bit))
		return true;
	uint32_t key = (uint32_t)(reg_off - 0x30) * 8u + (uint32_t)bit; /* 0..159 */
	uint32_t mask = 1u << (key % 32u);
	if (!(b->gated_logged & mask)) {
		b->gated_logged |= mask;
		sim_eventf(&b->ev, board_now(b), "unclocked", "\"periph\":\"%s\"", name);
	}
	return false;
}

void bd_rcc_reset(struct board *b, enum board_reset_cause cause)
{
	uint32_t flags = b->rcc.csr_flags;
	memset(b->rcc.reg, 0, sizeof b->rcc.reg);
	R(0x00) = 0x00000083u;
	R(0x04) = 0x24003010u;
	R(0x30) = 0x00100000u; /* CCMDATARAMEN */
	R(0x50) = 0x7E6791FFu;
	R(0x54) = 0x000000F1u;
	R(0x58) = 0x00000001u;
	R(0x60) = 0x36FEC9FFu;
	R(0x64) = 0x00075F33u;
	R(0x84) = 0x20003000u;
	switch (cause) {
	case RESET_POWER: flags = CSR_BORRSTF | CSR_PORRSTF | CSR_PINRSTF; break;
	case RESET_NRST: flags |= CSR_PINRSTF; break;
	case RESET_IWDG: flags |= CSR_IWDGRSTF | CSR_PINRSTF; break;
	case RESET_SOFTWARE:
	case RESET_ROM: flags |= CSR_SFTRSTF | CSR_PINRSTF; break;
	}
	b->rcc.csr_flags = flags;
	b->gated_logged = 0;
	board_set_hclk(b, BOARD_HSI_HZ);
}

uint32_t bd_rcc_read(struct board *b, uint32_t off)
{
	if (off >= sizeof b->rcc.reg)
		return 0;
	if (off == 0x74)
		return (R(0x74) & 0x00FFFFFFu) | b->rcc.csr_flags;
	return R(off);
}

static void periph_resets(struct board *b, uint32_t off, uint32_t v)
{
	if (off == 0x10) {
		for (int p = 0; p < 5; p++)
			if (v & (1u << p))
				bd_gpio_reset_port(b, p);
		if (v & (1u << 12))
			bd_crc_reset(b);
	} else if (off == 0x20 && (v & (1u << 18))) {
		memset(&b->usart[1], 0, sizeof b->usart[1]);
	} else if (off == 0x24 && (v & (1u << 4))) {
		memset(&b->usart[0], 0, sizeof b->usart[0]);
	}
}

void bd_rcc_write(struct board *b, uint32_t off, uint32_t v)
{
	if (off >= sizeof b->rcc.reg)
		return;
	switch (off) {
	case 0x00: {
		uint32_t cr = v & 0x0F0FFFF9u & ~(CR_HSIRDY | CR_HSERDY | CR_PLLRDY | CR_PLLI2SRDY);
		if (((R(0x08) >> 2) & 3u) == 0 || (((R(0x08) >> 2) & 3u) == 2 && !(R(0x04) & (1u << 22))))
			cr |= CR_HSION;
		if (cr & CR_HSION)
			cr |= CR_HSIRDY;
		if (cr & CR_HSEON)
			cr |= CR_HSERDY;
		if (cr & CR_PLLON)
			cr |= CR_PLLRDY;
		if (cr & CR_PLLI2SON)
			cr |= CR_PLLI2SRDY;
		R(0x00) = cr;
		break;
	}
	case 0x04:
		if (!(R(0x00) & CR_PLLON)) /* PLL configuration only while off */
			R(0x04) = v;
		break;
	case 0x08: {
		uint32_t sw = v & 3u, sws = (R(0x08) >> 2) & 3u;
		if ((sw == 0 && (R(0x00) & CR_HSIRDY)) || (sw == 1 && (R(0x00) & CR_HSERDY)) ||
		    (sw == 2 && (R(0x00) & CR_PLLRDY)))
			sws = sw;
		R(0x08) = (v & ~0xCu) | sws << 2;
		uint32_t hz = hclk_hz(b);
		if (hz != b->hclk_hz) {
			board_set_hclk(b, hz);
			sim_eventf(&b->ev, board_now(b), "clock", "\"hclk_hz\":%" PRIu32, hz);
		}
		break;
	}
	case 0x74:
		R(0x74) = v & 0x00FFFFFFu & ~CSR_LSIRDY;
		if (v & CSR_LSION)
			R(0x74) |= CSR_LSIRDY;
		if (v & CSR_RMVF)
			b->rcc.csr_flags = 0;
		break;
	default:
		R(off) = v;
		if (off >= 0x10 && off <= 0x24)
			periph_resets(b, off, v);
		break;
	}
}
