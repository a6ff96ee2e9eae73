/*
 * A tiny Cortex-M "application" for the twinslot tool tests: a vector table,
 * a reset handler, some read-only bytes and initialised data (so the ELF has
 * a second load segment, in RAM with its load address in flash).
 * Build-time variants (-D) make the vector table or the size wrong on purpose.
 * APP_ORIGIN is the address the application is linked at.
 */
#include <stdint.h>

extern uint32_t __data_load[], __data_start[], __data_end[];

#ifdef VARIANT2
volatile uint32_t counter = 0x9ABCDEF0u; /* .data: a different release */
#else
volatile uint32_t counter = 0x12345678u; /* .data */
#endif

#ifdef BIG_IMAGE
/* More than a slot's 392704 application bytes. */
const uint8_t filler[400u * 1024u] = { 1 };
#else
const uint8_t filler[1024] = { 1, 2, 3, 4 };
#endif

void reset_handler(void);

__attribute__((used, noreturn, section(".text.reset"))) void reset_handler(void)
{
	uint32_t *src = __data_load, *dst = __data_start;
	while (dst < __data_end)
		*dst++ = *src++;
	for (;;)
		counter += filler[counter & 3u];
}

#if defined(BAD_SP)
#define VT_SP 0x30000000u /* not SRAM, not CCM */
#else
#define VT_SP 0x20020000u /* top of SRAM */
#endif

#if defined(NO_THUMB)
/* Inside the image, but even: the Thumb bit is missing. */
#define VT_RESET (APP_ORIGIN + 0x100u)
#elif defined(RESET_OUTSIDE)
#define VT_RESET 0x08000101u /* the bootloader's sector */
#else
#define VT_RESET ((uint32_t)&reset_handler)
#endif

__attribute__((used, section(".vectors"))) const uint32_t vectors[4] = {
	VT_SP, VT_RESET, VT_RESET, VT_RESET,
};
