/* USART output, LEDs, CRC unit, CPUID, SysTick and the button. */
#include "fw.h"

void fw_main(void)
{
	uart_init();
	puts_("hello board\r\n");
	puts_("cpuid ");
	puthex(SCB_CPUID);
	puts_("\r\n");
	RCC_AHB1ENR |= 1u << 12; /* CRC */
	CRC_CR = 1;
	CRC_DR = 0x12345678u;
	puts_("crc ");
	puthex(CRC_DR);
	puts_("\r\n");
	GPIOD_MODER = (GPIOD_MODER & 0x00FFFFFFu) | 0x55000000u;
	GPIOD_BSRR = (1u << 12) | (1u << 14);
	STK_LOAD = 15999; /* 1 ms at 16 MHz */
	STK_VAL = 0;
	STK_CTRL = 5;
	for (int i = 0; i < 10; i++)
		while (!(STK_CTRL & (1u << 16)))
			;
	puts_("10ms\r\n");
	/* echo: read bytes until '.' */
	for (;;) {
		while (!(USART1_SR & (1u << 5)))
			;
		char c = (char)USART1_DR;
		if (c == '.')
			break;
		putch(c);
	}
	puts_("\r\nbutton ");
	putch((GPIOA_IDR & 1u) ? '1' : '0');
	puts_("\r\n");
	GPIOD_BSRR = 1u << (14 + 16);
	puts_("done\r\n");
	flush_uart();
	for (;;)
		;
}
