/* Independent watchdog start sequence: RM0090 section 19.3. */
#include "iwdg.h"

#include "cpu.h"
#include "stm32f407.h"

void ts_iwdg_start(uint32_t reload)
{
	if (reload < 1u || reload > 0xFFFu)
		reload = 0xFFFu;
	REG32(IWDG_KR) = IWDG_KEY_START;  /* starts the LSI and the counter */
	REG32(IWDG_KR) = IWDG_KEY_ACCESS; /* unlock PR and RLR */
	REG32(IWDG_PR) = IWDG_PR_DIV64;
	REG32(IWDG_RLR) = reload;
	/* PVU/RVU clear within 5 LSI cycles (~160 us at 32 kHz, 300 us at the
	 * slowest LSI); wait at most 10 ms, then carry on: the counter runs. */
	uint32_t n = ts_cpu_loops_for_us(10000u);
	while ((REG32(IWDG_SR) & (IWDG_SR_PVU | IWDG_SR_RVU)) && --n)
		;
	REG32(IWDG_KR) = IWDG_KEY_RELOAD;
}
