/*
 * The STM32F407 registers and bits the twinslot firmware touches, and no
 * others. Our own small header instead of a vendor HAL: every address and bit
 * below names the section of the reference manual it comes from (RM0090
 * rev 19 for the peripherals, PM0214 rev 10 for the Cortex-M4 core
 * registers). Add a register here only together with its reference.
 *
 * Access is through REG32(addr): plain volatile 32-bit loads and stores.
 */
#ifndef TWINSLOT_STM32F407_H
#define TWINSLOT_STM32F407_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- Clocks: RM0090 section 7.3 (RCC registers), base from table 1 ---- */
#define RCC_BASE          0x40023800u
#define RCC_AHB1RSTR      (RCC_BASE + 0x10u) /* 7.3.5 */
#define RCC_APB1RSTR      (RCC_BASE + 0x20u) /* 7.3.7 */
#define RCC_APB2RSTR      (RCC_BASE + 0x24u) /* 7.3.8 */
#define RCC_AHB1ENR       (RCC_BASE + 0x30u) /* 7.3.10 */
#define RCC_APB1ENR       (RCC_BASE + 0x40u) /* 7.3.13 */
#define RCC_APB2ENR       (RCC_BASE + 0x44u) /* 7.3.14 */

#define RCC_AHB1_GPIOA    (1u << 0)  /* GPIOAEN / GPIOARST */
#define RCC_AHB1_GPIOB    (1u << 1)  /* GPIOBEN / GPIOBRST */
#define RCC_AHB1_GPIOD    (1u << 3)  /* GPIODEN / GPIODRST */
#define RCC_APB1_USART3   (1u << 18) /* USART3EN / USART3RST */
#define RCC_APB2_USART1   (1u << 4)  /* USART1EN / USART1RST */

/* ---- GPIO: RM0090 section 8.4, bases from table 1 ---- */
#define GPIOA_BASE        0x40020000u
#define GPIOB_BASE        0x40020400u
#define GPIOD_BASE        0x40020C00u
#define GPIO_MODER(b)     ((b) + 0x00u) /* 8.4.1: 2 bits/pin, 01 out, 10 AF */
#define GPIO_PUPDR(b)     ((b) + 0x0Cu) /* 8.4.4: 01 pull-up */
#define GPIO_BSRR(b)      ((b) + 0x18u) /* 8.4.7: low half set, high reset */
#define GPIO_AFRH(b)      ((b) + 0x24u) /* 8.4.10: pins 8..15, 4 bits each */
#define GPIO_MODE_OUT     1u
#define GPIO_MODE_AF      2u
#define GPIO_AF7_USART    7u            /* table 9 (datasheet DS8626): AF7 = USART1..3 */

/* ---- USART: RM0090 section 30.6, bases from table 1 ---- */
#define USART1_BASE       0x40011000u   /* APB2 */
#define USART3_BASE       0x40004800u   /* APB1 */
#define USART_SR(b)       ((b) + 0x00u) /* 30.6.1 */
#define USART_DR(b)       ((b) + 0x04u) /* 30.6.2 */
#define USART_BRR(b)      ((b) + 0x08u) /* 30.6.3 */
#define USART_CR1(b)      ((b) + 0x0Cu) /* 30.6.4 */
#define USART_SR_ORE      (1u << 3)
#define USART_SR_RXNE     (1u << 5)
#define USART_SR_TC       (1u << 6)
#define USART_SR_TXE      (1u << 7)
#define USART_CR1_RE      (1u << 2)
#define USART_CR1_TE      (1u << 3)
#define USART_CR1_UE      (1u << 13)
/* 115200 baud from a 16 MHz kernel clock, OVER8 = 0 (30.3.4):
 * USARTDIV = 16e6 / (16 * 115200) = 8.68 -> mantissa 8, fraction
 * round(0.68 * 16) = 11 -> 0x8B (error +0.08 %). */
#define USART_BRR_115200_16MHZ 0x8Bu

/* ---- Embedded flash interface: RM0090 section 3.9 ---- */
#define FLASH_R_BASE      0x40023C00u
#define FLASH_ACR         (FLASH_R_BASE + 0x00u) /* 3.9.1 */
#define FLASH_KEYR        (FLASH_R_BASE + 0x04u) /* 3.9.2 */
#define FLASH_SR          (FLASH_R_BASE + 0x0Cu) /* 3.9.4 */
#define FLASH_CR          (FLASH_R_BASE + 0x10u) /* 3.9.5 */
#define FLASH_KEY1        0x45670123u            /* 3.5.1 unlock sequence */
#define FLASH_KEY2        0xCDEF89ABu
#define FLASH_SR_EOP      (1u << 0)
#define FLASH_SR_OPERR    (1u << 1)
#define FLASH_SR_WRPERR   (1u << 4)
#define FLASH_SR_PGAERR   (1u << 5)
#define FLASH_SR_PGPERR   (1u << 6)
#define FLASH_SR_PGSERR   (1u << 7)
#define FLASH_SR_BSY      (1u << 16)
#define FLASH_SR_ERRORS   (FLASH_SR_OPERR | FLASH_SR_WRPERR | FLASH_SR_PGAERR | \
			   FLASH_SR_PGPERR | FLASH_SR_PGSERR)
#define FLASH_CR_PG       (1u << 0)
#define FLASH_CR_SER      (1u << 1)
#define FLASH_CR_SNB_POS  3u                     /* SNB[3:0] at bits 6:3 */
#define FLASH_CR_PSIZE_X32 (2u << 8)             /* PSIZE[1:0] = 10: x32 */
#define FLASH_CR_STRT     (1u << 16)
#define FLASH_CR_LOCK     (1u << 31)

/* ---- Independent watchdog: RM0090 section 19.4 ---- */
#define IWDG_BASE         0x40003000u
#define IWDG_KR           (IWDG_BASE + 0x00u) /* 19.4.1 */
#define IWDG_PR           (IWDG_BASE + 0x04u) /* 19.4.2 */
#define IWDG_RLR          (IWDG_BASE + 0x08u) /* 19.4.3: 12 bits */
#define IWDG_SR           (IWDG_BASE + 0x0Cu) /* 19.4.4 */
#define IWDG_KEY_RELOAD   0xAAAAu
#define IWDG_KEY_ACCESS   0x5555u
#define IWDG_KEY_START    0xCCCCu
#define IWDG_PR_DIV64     4u                  /* PR[2:0] = 100: /64 */
#define IWDG_SR_PVU       (1u << 0)
#define IWDG_SR_RVU       (1u << 1)

/* ---- Cortex-M4 core: PM0214 section 4 ---- */
#define SYST_CSR          0xE000E010u /* 4.5.1 SysTick control and status */
#define SYST_CVR          0xE000E018u /* 4.5.3 */
#define NVIC_ICER(n)      (0xE000E180u + 4u * (n)) /* 4.3.3 */
#define NVIC_ICPR(n)      (0xE000E280u + 4u * (n)) /* 4.3.5 */
#define NVIC_WORDS        3u                       /* 82 IRQs on the F407: 3 words */
#define SCB_ICSR          0xE000ED04u /* 4.4.3 */
#define SCB_VTOR          0xE000ED08u /* 4.4.4 */
#define SCB_AIRCR         0xE000ED0Cu /* 4.4.5 */
#define SCB_AIRCR_VECTKEY (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_ICSR_PENDSTCLR (1u << 25)

/* Cycle counter: ARMv7-M ARM C1.6.5 (DEMCR) and C1.8 (DWT). */
#define DEMCR             0xE000EDFCu
#define DEMCR_TRCENA      (1u << 24)
#define DWT_CTRL          0xE0001000u
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_CYCCNT        0xE0001004u

static inline void cpu_irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void cpu_irq_enable(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void cpu_dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void cpu_isb(void) { __asm volatile("isb 0xF" ::: "memory"); }

#endif
