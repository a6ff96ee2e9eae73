/* Polled console transmitter: see uart.h. Registers: RM0090 sections 7.3,
 * 8.4 and 30.6 (addresses in stm32f407.h). */
#include "uart.h"

#include "cpu.h"
#include "stm32f407.h"
#include "twinslot/version.h"

#if TS_CONSOLE_USART == 1
#define CON_USART      USART1_BASE
#define CON_GPIO       GPIOA_BASE
#define CON_GPIO_EN    RCC_AHB1_GPIOA
#define CON_TX_PIN     9u
#define CON_RX_PIN     10u
#define CON_EN_REG     RCC_APB2ENR
#define CON_RST_REG    RCC_APB2RSTR
#define CON_EN_BIT     RCC_APB2_USART1
#elif TS_CONSOLE_USART == 3
#define CON_USART      USART3_BASE
#define CON_GPIO       GPIOB_BASE
#define CON_GPIO_EN    RCC_AHB1_GPIOB
#define CON_TX_PIN     10u
#define CON_RX_PIN     11u
#define CON_EN_REG     RCC_APB1ENR
#define CON_RST_REG    RCC_APB1RSTR
#define CON_EN_BIT     RCC_APB1_USART3
#else
#error "TS_CONSOLE_USART must be 1 (USART1, PA9/PA10) or 3 (USART3, PB10/PB11)"
#endif

/* One character at 115200 baud takes 87 us; wait at most 2 ms for TXE/TC. */
#define CON_WAIT_US 2000u

static void pin_af7(uint32_t pin)
{
	uint32_t m = REG32(GPIO_MODER(CON_GPIO));
	m &= ~(3u << (2u * pin));
	REG32(GPIO_MODER(CON_GPIO)) = m | (GPIO_MODE_AF << (2u * pin));
	uint32_t shift = 4u * (pin - 8u); /* pins 8..15: AFRH */
	uint32_t af = REG32(GPIO_AFRH(CON_GPIO)) & ~(0xFu << shift);
	REG32(GPIO_AFRH(CON_GPIO)) = af | (GPIO_AF7_USART << shift);
}

void ts_console_init(void)
{
	REG32(RCC_AHB1ENR) |= CON_GPIO_EN;
	REG32(CON_EN_REG) |= CON_EN_BIT;
	(void)REG32(CON_EN_REG); /* RM0090 7.3: wait for the clock to be enabled */
	pin_af7(CON_TX_PIN);
	pin_af7(CON_RX_PIN);
	/* RX idles high: pull-up so a floating line reads as idle. */
	uint32_t pu = REG32(GPIO_PUPDR(CON_GPIO)) & ~(3u << (2u * CON_RX_PIN));
	REG32(GPIO_PUPDR(CON_GPIO)) = pu | (1u << (2u * CON_RX_PIN));
	REG32(USART_BRR(CON_USART)) = USART_BRR_115200_16MHZ;
	REG32(USART_CR1(CON_USART)) = USART_CR1_UE | USART_CR1_TE; /* 8N1 */
}

static void wait_sr(uint32_t bit)
{
	uint32_t n = ts_cpu_loops_for_us(CON_WAIT_US);
	while (!(REG32(USART_SR(CON_USART)) & bit) && --n)
		;
}

void ts_console_flush(void)
{
	wait_sr(USART_SR_TC);
}

void ts_console_deinit(void)
{
	ts_console_flush();
	/* Reset pulse on the USART and the GPIO port, then gate their clocks. */
	REG32(CON_RST_REG) |= CON_EN_BIT;
	REG32(CON_RST_REG) &= ~CON_EN_BIT;
	REG32(RCC_AHB1RSTR) |= CON_GPIO_EN;
	REG32(RCC_AHB1RSTR) &= ~CON_GPIO_EN;
	REG32(CON_EN_REG) &= ~CON_EN_BIT;
	REG32(RCC_AHB1ENR) &= ~CON_GPIO_EN;
}

static char *cap_buf;
static uint32_t cap_max, cap_len;

uint32_t ts_console_capture(char *buf, uint32_t cap)
{
	uint32_t n = cap_len;
	cap_buf = cap ? buf : 0;
	cap_max = cap;
	cap_len = 0;
	if (cap_buf)
		cap_buf[0] = '\0';
	return n;
}

void ts_console_putc(char c)
{
	if (cap_buf) {
		if (cap_len + 1u < cap_max) {
			cap_buf[cap_len++] = c;
			cap_buf[cap_len] = '\0';
		}
		return;
	}
	if (c == '\n')
		ts_console_putc('\r');
	wait_sr(USART_SR_TXE);
	REG32(USART_DR(CON_USART)) = (uint8_t)c;
}

void ts_console_puts(const char *s)
{
	while (*s)
		ts_console_putc(*s++);
}

void ts_console_putu(uint32_t v)
{
	char buf[11];
	int i = 0;
	do {
		buf[i++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (i)
		ts_console_putc(buf[--i]);
}

void ts_console_putversion(uint32_t packed)
{
	ts_console_putu(TS_VERSION_MAJOR(packed));
	ts_console_putc('.');
	ts_console_putu(TS_VERSION_MINOR(packed));
	ts_console_putc('.');
	ts_console_putu(TS_VERSION_PATCH(packed));
}
