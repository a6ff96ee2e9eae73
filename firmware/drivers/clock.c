/* 168 MHz from the HSI and back to the reset clock: see clock.h. RM0090
 * sections 3.5.1 (wait states), 5.4.1 (PWR_CR), 7.2.3 (PLL), 7.3. */
#include "clock.h"

#include <stdbool.h>

#include "cpu.h"
#include "stm32f407.h"

#define PLLCFGR_168MHZ_FROM_HSI                                                       \
	(16u << RCC_PLLCFGR_M_POS | 336u << RCC_PLLCFGR_N_POS | 0u << RCC_PLLCFGR_P_POS | \
	 7u << RCC_PLLCFGR_Q_POS)
/* PLL lock takes at most 200 us (DS8626 table 34); the switch a few cycles. */
#define PLL_WAIT_US 1000u

static uint32_t saved_pwr_cr, saved_apb1enr;
static bool saved;

/* Wait until (REG32(reg) & mask) == want, at most us microseconds. */
static bool wait_bits(uint32_t reg, uint32_t mask, uint32_t want, uint32_t us)
{
	for (uint32_t n = ts_cpu_loops_for_us(us); n; n--)
		if ((REG32(reg) & mask) == want)
			return true;
	return false;
}

uint32_t ts_clock_fast(void)
{
	saved_apb1enr = REG32(RCC_APB1ENR);
	REG32(RCC_APB1ENR) = saved_apb1enr | RCC_APB1_PWR;
	(void)REG32(RCC_APB1ENR); /* the clock is on before PWR is touched */
	saved_pwr_cr = REG32(PWR_CR);
	saved = true;
	REG32(PWR_CR) = saved_pwr_cr | PWR_CR_VOS;

	/* Wait states before the clock rises; check they took (3.5.1). */
	REG32(FLASH_ACR) = FLASH_ACR_LATENCY_5WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
	if ((REG32(FLASH_ACR) & FLASH_ACR_LATENCY_MASK) != FLASH_ACR_LATENCY_5WS)
		goto slow;
	REG32(RCC_CFGR) = RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2; /* HPRE /1, SW HSI */
	REG32(RCC_PLLCFGR) = PLLCFGR_168MHZ_FROM_HSI;
	REG32(RCC_CR) |= RCC_CR_PLLON;
	if (!wait_bits(RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, PLL_WAIT_US))
		goto slow;
	REG32(RCC_CFGR) = (REG32(RCC_CFGR) & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
	if (!wait_bits(RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, PLL_WAIT_US))
		goto slow;
	ts_cpu_set_hz(TS_CLOCK_FAST_HZ);
	return TS_CLOCK_FAST_HZ;
slow:
	ts_clock_reset();
	return TS_CLOCK_HSI_HZ;
}

void ts_clock_reset(void)
{
	/* HSI first (it never went off: HSION stays set while it is needed),
	 * then the PLL off and every register at its reset value. */
	REG32(RCC_CFGR) &= ~RCC_CFGR_SW_MASK;
	(void)wait_bits(RCC_CFGR, RCC_CFGR_SWS_MASK, 0, PLL_WAIT_US);
	ts_cpu_set_hz(TS_CLOCK_HSI_HZ); /* slower now: waits below count at 16 MHz */
	REG32(RCC_CR) &= ~RCC_CR_PLLON;
	(void)wait_bits(RCC_CR, RCC_CR_PLLRDY, 0, PLL_WAIT_US);
	REG32(RCC_CFGR) = 0;
	REG32(RCC_PLLCFGR) = RCC_PLLCFGR_RESET;
	REG32(FLASH_ACR) = 0; /* 0 wait states at 16 MHz; caches and prefetch off */
	REG32(FLASH_ACR) = FLASH_ACR_ICRST | FLASH_ACR_DCRST;
	REG32(FLASH_ACR) = 0;
	if (saved) {
		REG32(PWR_CR) = saved_pwr_cr;
		REG32(RCC_APB1ENR) = saved_apb1enr;
		saved = false;
	}
}
