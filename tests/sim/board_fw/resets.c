/* Resets: the IWDG (timeout, surviving a system reset), AIRCR.SYSRESETREQ
 * and lock-up on a bad access followed by the watchdog's reset. A stage
 * counter in SRAM (kept across system resets) drives the sequence. */
#include "fw.h"

#define MAGIC (*(volatile uint32_t *)0x20010000u)
#define STAGE (*(volatile uint32_t *)0x20010004u)

static void stage_line(const char *what)
{
	puts_(what);
	puts_(" csr ");
	puthex(RCC_CSR);
	puts_("\r\n");
	flush_uart();
	RCC_CSR |= 1u << 24; /* RMVF */
}

void fw_main(void)
{
	uart_init();
	if (MAGIC != 0xB0A7C0DEu) {
		MAGIC = 0xB0A7C0DEu;
		STAGE = 0;
	}
	switch (STAGE) {
	case 0:
		stage_line("power-on");
		STAGE = 1;
		IWDG_KR = 0x5555u;
		IWDG_PR = 0;   /* LSI / 4 */
		IWDG_RLR = 80; /* 80 ticks: 10 ms */
		IWDG_KR = 0xCCCCu;
		for (;;) /* hang: the watchdog must reset us */
			;
	case 1:
		stage_line("after-iwdg");
		STAGE = 2;
		IWDG_KR = 0xAAAAu;
		SCB_AIRCR = 0x05FA0004u;
		for (;;)
			;
	case 2:
		stage_line("after-sysreset");
		/* the watchdog survived the system reset: keep feeding it */
		for (int i = 0; i < 20; i++) {
			STK_LOAD = 15999;
			STK_VAL = 0;
			STK_CTRL = 5;
			while (!(STK_CTRL & (1u << 16)))
				;
			IWDG_KR = 0xAAAAu;
		}
		puts_("fed 20ms\r\n");
		flush_uart();
		STAGE = 3;
		(void)*(volatile uint32_t *)0x60000000u; /* nothing there: lock-up */
		for (;;)
			;
	default:
		stage_line("after-lockup");
		STAGE = 4;
		for (;;)
			IWDG_KR = 0xAAAAu;
	}
}
