/* The flash interface through its registers: unlock, erase, program at x32
 * and x8, each error flag, lock, then a wrong key (bus error -> lock-up). */
#include "fw.h"

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define PG (1u << 0)
#define SER (1u << 1)
#define STRT (1u << 16)
#define EOPIE (1u << 24)
#define LOCK (1u << 31)
#define X8 (0u << 8)
#define X32 (2u << 8)
#define W32(a) (*(volatile uint32_t *)(a))
#define W8(a) (*(volatile uint8_t *)(a))

static void wait(void)
{
	while (FLASH_SR & (1u << 16))
		;
}

static void report(const char *what)
{
	puts_(what);
	putch(' ');
	puthex(FLASH_SR);
	puts_("\r\n");
	FLASH_SR = 0xF3u; /* clear EOP and the error flags */
}

void fw_main(void)
{
	uart_init();
	puts_("cr ");
	puthex(FLASH_CR);
	puts_("\r\n");
	FLASH_KEYR = KEY1;
	FLASH_KEYR = KEY2;
	puts_("unlocked ");
	puthex(FLASH_CR);
	puts_("\r\n");
	FLASH_CR = X32 | SER | (5u << 3) | EOPIE;
	FLASH_CR |= STRT;
	wait();
	report("erase");
	FLASH_CR = X32 | PG | EOPIE;
	W32(0x08020000u) = 0x11223344u;
	wait();
	W32(0x08020004u) = 0xA5A5A5A5u;
	wait();
	report("program32");
	W8(0x08020008u) = 0x00u; /* byte store at x32: PGPERR */
	wait();
	report("pgperr");
	FLASH_CR = X8 | PG;
	*(volatile uint16_t *)0x0802000Cu = 0; /* halfword store at x8: PGPERR */
	report("pgperr16");
	FLASH_CR = X32 | PG;
	*(volatile uint32_t *)0x08020012u = 0; /* misaligned word: PGAERR */
	report("pgaerr");
	FLASH_CR = X32; /* PG clear: store is a sequence error */
	W32(0x08020014u) = 0;
	report("pgserr");
	FLASH_CR = X8 | PG;
	W8(0x08020010u) = 0x5Au;
	wait();
	report("program8");
	FLASH_CR = X32 | PG;
	W32(0x08020000u) = 0xFFFF0000u; /* over programmed bits: AND */
	wait();
	report("overwrite");
	puts_("readback ");
	puthex(W32(0x08020000u));
	puthex(W32(0x08020008u));
	puts_("\r\n");
	FLASH_CR = LOCK;
	FLASH_CR = X32 | PG; /* ignored while locked */
	puts_("locked ");
	puthex(FLASH_CR);
	puts_("\r\n");
	W32(0x08020018u) = 0; /* locked: PGSERR, nothing written */
	report("store-locked");
	flush_uart();
	FLASH_KEYR = 0x12345678u; /* wrong key: bus error */
	puts_("not reached\r\n");
	for (;;)
		;
}
