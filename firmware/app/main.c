/*
 * The twinslot example application: one source, linked for Slot A or Slot B.
 * It prints a banner with the version and slot read from its own image
 * header, runs a short self-test (RAM patterns and the SHA-256 of its own
 * image against its header), confirms itself through the client library,
 * then feeds the independent watchdog forever with an LED heartbeat.
 *
 * Test variants, chosen at build time (TS_APP_VARIANT):
 *   0 normal, 1 hang before confirming (no watchdog feed), 2 HardFault before
 *   confirming, 3 run and feed the watchdog but never confirm, 4 fail the
 *   self-test (and so request a rollback through the client library), 5
 *   confirm, then overwrite a word of its own image through the flash driver
 *   and reset (a release that corrupts its own slot after the commit), 6
 *   confirm on its trial, then HardFault at every later boot (a release that
 *   confirms and then keeps crashing).
 * Console lines: docs/bootloader.md ("The example application").
 */
#include <stdint.h>

#include "cpu.h"
#include "flash.h"
#include "iwdg.h"
#include "leds.h"
#include "stm32f407.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot_client.h"
#include "uart.h"

#ifndef TS_APP_VARIANT
#define TS_APP_VARIANT 0
#endif
#define VARIANT_NORMAL    0
#define VARIANT_HANG      1
#define VARIANT_FAULT     2
#define VARIANT_NOCONFIRM 3
#define VARIANT_SELFTEST_FAIL 4
#define VARIANT_CORRUPT_SELF  5
#define VARIANT_CRASH_LATER   6

#define PREFIX "twinslot-app: "

static void say(const char *a, const char *b)
{
	ts_console_puts(PREFIX);
	ts_console_puts(a);
	if (b)
		ts_console_puts(b);
	ts_console_putc('\n');
}

/* Walking-ones and address-in-address patterns over a RAM buffer. */
static uint32_t ram_buf[1024];

static int ram_test(void)
{
	volatile uint32_t *p = ram_buf;
	const uint32_t n = sizeof(ram_buf) / sizeof(ram_buf[0]);
	for (uint32_t bit = 0; bit < 32; bit++) {
		for (uint32_t i = 0; i < n; i++)
			p[i] = (1u << bit) ^ (i & 1u ? 0xFFFFFFFFu : 0);
		for (uint32_t i = 0; i < n; i++)
			if (p[i] != ((1u << bit) ^ (i & 1u ? 0xFFFFFFFFu : 0)))
				return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint32_t)(uintptr_t)&p[i];
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != (uint32_t)(uintptr_t)&p[i])
			return -1;
	return 0;
}

void HardFault_Handler(void);
void HardFault_Handler(void)
{
	/* Report and stop feeding: the watchdog resets the board on a trial. */
	ts_console_puts(PREFIX "HardFault\n");
	ts_console_flush();
	ts_leds_set(TS_LED_RED);
	for (;;)
		;
}

static void heartbeat_forever(void)
{
	uint32_t led = 0;
	for (;;) {
		ts_iwdg_feed();
		ts_leds_set(1u << led);
		led = (led + 1u) & 3u;
		ts_delay_ms(250);
	}
}

#if TS_APP_VARIANT == VARIANT_CORRUPT_SELF
/* Two erased words inside this image (.rodata lies in the slot), so the flash
 * driver, which never programs over a word that is not erased, can change
 * the image after its SHA-256 was computed. */
static const uint32_t blank_words[2]
	__attribute__((used, aligned(4), section(".rodata.ts_blank_words"))) = {
	0xFFFFFFFFu, 0xFFFFFFFFu};

/* Run one second as a confirmed release (the host sees the confirmation),
 * then clear a word of its own image and reset: the slot no longer matches
 * the hash the CONFIRMED record names. */
static void corrupt_self_and_reset(void)
{
	for (int i = 0; i < 4; i++) {
		ts_iwdg_feed();
		ts_delay_ms(250);
	}
	const uint32_t zero = 0;
	say("test variant: overwriting a word of its own image, then resetting", NULL);
	int e = ts_flash_program((uint32_t)(uintptr_t)&blank_words[0], &zero, sizeof(zero));
	if (e)
		say("overwrite failed: ", ts_strerror(e));
	ts_console_flush();
	REG32(SCB_AIRCR) = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
	for (;;)
		;
}
#endif

int main(void)
{
	enum ts_slot slot;
	uint32_t version;
	struct ts_image_header h;

	ts_iwdg_feed();
	ts_leds_init();
	ts_console_init();

	int err = ts_client_running(&slot, &version);
	if (err) {
		say("no valid image header for this program: ", ts_strerror(err));
		heartbeat_forever();
	}
	ts_console_puts(PREFIX "v");
	ts_console_putversion(version);
	ts_console_puts(" slot ");
	ts_console_putc(ts_slot_name(slot));
	ts_console_putc('\n');

	/* Self-test: RAM, then our own image hashed against our header. */
	const char *fail = NULL;
	if (ram_test() != 0)
		fail = "RAM pattern mismatch";
	else if ((err = ts_image_validate((const uint8_t *)(uintptr_t)ts_slot_addr(slot),
					   TS_SLOT_SIZE, slot, &h, ts_iwdg_feed)) != TS_OK)
		fail = ts_strerror(err);
#if TS_APP_VARIANT == VARIANT_SELFTEST_FAIL
	fail = "forced by the test variant";
#endif
	if (fail) {
		say("self-test failed: ", fail);
		say("requesting rollback", NULL);
		err = ts_client_request_rollback();
		say("rollback request failed: ", ts_strerror(err));
		heartbeat_forever();
	}
	say("self-test passed", NULL);

#if TS_APP_VARIANT == VARIANT_HANG
	say("test variant: hanging before confirming (no watchdog feed)", NULL);
	ts_console_flush();
	for (;;)
		;
#elif TS_APP_VARIANT == VARIANT_FAULT
	say("test variant: HardFault before confirming", NULL);
	ts_console_flush();
	__asm volatile("udf #0"); /* permanently undefined: UsageFault -> HardFault */
#elif TS_APP_VARIANT == VARIANT_NOCONFIRM
	say("test variant: running without confirming", NULL);
#else
	err = ts_client_confirm();
	if (err == 1)
		say("confirmed", NULL);
	else if (err == 0)
		say("already confirmed", NULL);
	else
		say("confirm failed: ", ts_strerror(err));
#if TS_APP_VARIANT == VARIANT_CORRUPT_SELF
	if (err >= 0)
		corrupt_self_and_reset();
#elif TS_APP_VARIANT == VARIANT_CRASH_LATER
	if (err == 0) {
		/* Confirmed on its trial; every later boot is a RUN, with no
		 * watchdog started by the bootloader. */
		say("test variant: HardFault at a boot after the confirmation", NULL);
		ts_console_flush();
		__asm volatile("udf #0");
	}
#endif
#endif
	ts_console_flush();
	heartbeat_forever();
	return 0;
}
