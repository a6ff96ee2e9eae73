/* The single-bank stall (RM0090 3.5): while an erase is in progress, code
 * that fetches from flash or reads it stalls, so it cannot poll the USART;
 * code in RAM that touches no flash keeps receiving. Three rounds, each
 * started by the host sending a letter then 64 bytes at 115200:
 *   flash    the erase is started and the USART polled by code in flash
 *   ram      both by code in RAM
 *   ramread  by code in RAM that reads one flash word after STRT (data
 *            reads are not stalled by the board: it keeps its bytes)
 * Each round prints "NAME n=<bytes received> ore=<overrun seen>". */
#include "fw.h"

#define SER (1u << 1)
#define STRT (1u << 16)
#define X32 (2u << 8)
#define BSY (1u << 16)
#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)

extern uint8_t __ramfunc_start[], __ramfunc_end[], __ramfunc_load[];

struct rx {
	uint32_t n, ore;
};

static inline __attribute__((always_inline)) void poll_rx(struct rx *r)
{
	uint32_t sr = USART1_SR;
	if (sr & SR_ORE)
		r->ore = 1;
	if (sr & (SR_RXNE | SR_ORE)) {
		(void)USART1_DR;
		if (sr & SR_RXNE)
			r->n++;
	}
}

/* Erase sector snb and receive until BSY clears, from flash. */
__attribute__((noinline)) static void erase_rx_flash(uint32_t snb, struct rx *r)
{
	FLASH_CR = X32 | SER | (snb << 3);
	FLASH_CR = X32 | SER | (snb << 3) | STRT;
	while (FLASH_SR & BSY)
		poll_rx(r);
}

/* The same from RAM; touch: read a flash word right after STRT. */
__attribute__((section(".ramfunc"), noinline)) static void erase_rx_ram(uint32_t snb, struct rx *r,
									 int touch)
{
	FLASH_CR = X32 | SER | (snb << 3);
	FLASH_CR = X32 | SER | (snb << 3) | STRT;
	if (touch)
		r->n += REG(0x08000000u) == 0xFFFFFFFFu; /* the vector table: never erased */
	while (FLASH_SR & BSY)
		poll_rx(r);
}

static void wait_letter(char c)
{
	for (;;) {
		while (!(USART1_SR & SR_RXNE))
			;
		if ((char)USART1_DR == c)
			return;
	}
}

static void round_(const char *name, char letter, uint32_t snb, int mode)
{
	puts_("ready ");
	putch(letter);
	puts_("\r\n");
	flush_uart();
	wait_letter(letter);
	struct rx r = { 0, 0 };
	if (mode == 0) {
		erase_rx_flash(snb, &r);
	} else {
		void (*volatile f)(uint32_t, struct rx *, int) = erase_rx_ram;
		f(snb, &r, mode == 2);
	}
	for (volatile uint32_t i = 0; i < 200000u; i++) /* about 40 ms at 16 MHz */
		poll_rx(&r);
	puts_(name);
	puts_(" n=");
	puthex(r.n);
	puts_(" ore=");
	puthex(r.ore);
	puts_("\r\n");
}

void fw_main(void)
{
	for (uint8_t *s = __ramfunc_load, *d = __ramfunc_start; d < __ramfunc_end;)
		*d++ = *s++;
	uart_init();
	FLASH_KEYR = 0x45670123u;
	FLASH_KEYR = 0xCDEF89ABu;
	round_("flash", 'A', 5, 0);
	round_("ram", 'B', 6, 1);
	round_("ramread", 'C', 7, 2);
	puts_("end\r\n");
	for (;;)
		;
}
