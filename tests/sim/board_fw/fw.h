/* Registers and helpers for the board's test programs (no CMSIS). */
#ifndef BOARD_FW_H
#define BOARD_FW_H
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define RCC_CR       REG(0x40023800u)
#define RCC_PLLCFGR  REG(0x40023804u)
#define RCC_CFGR     REG(0x40023808u)
#define RCC_AHB1ENR  REG(0x40023830u)
#define RCC_APB2ENR  REG(0x40023844u)
#define RCC_CSR      REG(0x40023874u)
#define GPIOD_MODER  REG(0x40020C00u)
#define GPIOD_ODR    REG(0x40020C14u)
#define GPIOD_BSRR   REG(0x40020C18u)
#define GPIOA_IDR    REG(0x40020010u)
#define USART1_SR    REG(0x40011000u)
#define USART1_DR    REG(0x40011004u)
#define USART1_BRR   REG(0x40011008u)
#define USART1_CR1   REG(0x4001100Cu)
#define FLASH_ACR    REG(0x40023C00u)
#define FLASH_KEYR   REG(0x40023C04u)
#define FLASH_SR     REG(0x40023C0Cu)
#define FLASH_CR     REG(0x40023C10u)
#define IWDG_KR      REG(0x40003000u)
#define IWDG_PR      REG(0x40003004u)
#define IWDG_RLR     REG(0x40003008u)
#define CRC_DR       REG(0x40023000u)
#define CRC_CR       REG(0x40023008u)
#define SCB_AIRCR    REG(0xE000ED0Cu)
#define SCB_CPUID    REG(0xE000ED00u)
#define STK_CTRL     REG(0xE000E010u)
#define STK_LOAD     REG(0xE000E014u)
#define STK_VAL      REG(0xE000E018u)

void fw_main(void);

__attribute__((naked, noreturn)) static void reset_handler(void)
{
	__asm__ volatile("bl fw_main\n1: b 1b\n");
}

__attribute__((section(".vectors"), used)) static const void *const vectors[2] = {
	(void *)0x20020000u, (void *)reset_handler,
};

static inline void uart_init(void)
{
	RCC_AHB1ENR |= (1u << 3) | 1u;     /* GPIOD, GPIOA */
	RCC_APB2ENR |= 1u << 4;            /* USART1 */
	USART1_BRR = 16000000u / 115200u;  /* HSI 16 MHz */
	USART1_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE TE RE */
}

static inline void putch(char c)
{
	while (!(USART1_SR & (1u << 7)))
		;
	USART1_DR = (uint8_t)c;
}

static inline void puts_(const char *s)
{
	while (*s)
		putch(*s++);
}

static inline void puthex(uint32_t v)
{
	for (int i = 28; i >= 0; i -= 4)
		putch("0123456789abcdef"[(v >> i) & 0xFu]);
}

static inline void flush_uart(void)
{
	while (!(USART1_SR & (1u << 6)))
		;
}

#endif
