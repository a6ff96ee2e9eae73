/* Discovery LEDs on PD12..PD15: RM0090 sections 7.3 (clock) and 8.4 (GPIO). */
#include "leds.h"

#include "stm32f407.h"

void ts_leds_init(void)
{
	REG32(RCC_AHB1ENR) |= RCC_AHB1_GPIOD;
	(void)REG32(RCC_AHB1ENR);
	REG32(GPIO_BSRR(GPIOD_BASE)) = 0xFu << (16u + 12u); /* all off first */
	uint32_t m = REG32(GPIO_MODER(GPIOD_BASE)) & ~(0xFFu << 24);
	REG32(GPIO_MODER(GPIOD_BASE)) = m | (0x55u << 24); /* PD12..15 output */
}

void ts_leds_set(uint32_t mask)
{
	mask &= 0xFu;
	REG32(GPIO_BSRR(GPIOD_BASE)) = (mask << 12) | ((~mask & 0xFu) << (16u + 12u));
}

void ts_leds_deinit(void)
{
	REG32(RCC_AHB1RSTR) |= RCC_AHB1_GPIOD;
	REG32(RCC_AHB1RSTR) &= ~RCC_AHB1_GPIOD;
	REG32(RCC_AHB1ENR) &= ~RCC_AHB1_GPIOD;
}
