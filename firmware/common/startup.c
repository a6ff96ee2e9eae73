/*
 * Reset handler and vector table for the twinslot bootloader and the example
 * application (Cortex-M4: PM0214 section 2.3.4; STM32F407 IRQs: RM0090
 * table 61). Copies .data (which holds .RamFunc) from flash, zeroes .bss and
 * calls main(). Handlers are weak: a program defines the ones it needs.
 * TS_VECTOR_IRQS is the number of peripheral IRQ entries to emit (82 for a
 * full table; the bootloader uses none and emits 0).
 */
#include <stdint.h>
#include <string.h>

#include "stm32f407.h"

#ifndef TS_VECTOR_IRQS
#define TS_VECTOR_IRQS 82
#endif

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*vector_fn)(void);

__attribute__((section(".isr_vector"), used))
const vector_fn ts_vectors[16 + TS_VECTOR_IRQS] = {
	(vector_fn)(uintptr_t)_estack,
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	0, 0, 0, 0,
	SVC_Handler,
	DebugMon_Handler,
	0,
	PendSV_Handler,
	SysTick_Handler,
#if TS_VECTOR_IRQS > 0
	[16 ... 16 + TS_VECTOR_IRQS - 1] = Default_Handler,
#endif
};

void Reset_Handler(void)
{
	/* VTOR at our own table (PM0214 4.4.4): the bootloader already did this
	 * for an application, but a debugger may start the program directly. */
	REG32(SCB_VTOR) = (uint32_t)(uintptr_t)ts_vectors;
	memcpy(_sdata, _sidata, (size_t)((uintptr_t)_edata - (uintptr_t)_sdata));
	memset(_sbss, 0, (size_t)((uintptr_t)_ebss - (uintptr_t)_sbss));
	main();
	for (;;)
		;
}

void Default_Handler(void)
{
	for (;;)
		;
}
