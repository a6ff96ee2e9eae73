/* Core clock bookkeeping and loop-counted delays: see cpu.h. */
#include "cpu.h"

static uint32_t cpu_hz = 16000000u; /* HSI after reset: RM0090 section 6.2.2 */

uint32_t ts_cpu_hz(void)
{
	return cpu_hz;
}

void ts_cpu_set_hz(uint32_t hz)
{
	if (hz)
		cpu_hz = hz;
}

uint32_t ts_cpu_loops_for_us(uint32_t us)
{
	uint64_t loops = (uint64_t)us * (cpu_hz / 1000000u) / TS_LOOP_MIN_CYCLES;
	if (loops == 0)
		loops = 1;
	return loops > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)loops;
}

void ts_delay_ms(uint32_t ms)
{
	while (ms--) {
		uint32_t n = ts_cpu_loops_for_us(1000u);
		/* subs + nop + taken bne: at least 4 cycles; the asm keeps the loop
		 * from being optimised away. */
		__asm volatile("1: subs %0, %0, #1\n\tnop\n\tbne 1b" : "+l"(n) : : "cc");
	}
}
