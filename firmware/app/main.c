/*
 * The twinslot example application: one source, linked for Slot A or Slot B.
 * It prints a banner with the version and slot read from its own image
 * header, runs a short self-test (RAM patterns and the SHA-256 of its own
 * image against its header), confirms itself through the client library,
 * then serves updates on its console line (the app path) while it feeds the
 * independent watchdog with an LED heartbeat.
 *
 * Test variants, chosen at build time (TS_APP_VARIANT):
 *   0 normal, 1 hang before confirming (no watchdog feed), 2 HardFault before
 *   confirming, 3 run and feed the watchdog but never confirm, 4 fail the
 *   self-test (and so request a rollback through the client library), 5
 *   confirm, then overwrite a word of its own image through the flash driver
 *   and reset (a release that corrupts its own slot after the commit), 6
 *   confirm on its trial, then HardFault at every later boot (a release that
 *   confirms and then keeps crashing).
 *   7 the normal application without the update service (the host's
 *   fallback test).
 * All others serve updates on the console line (twinslot_update.h) from
 * their main loop once they run normally.
 * Console lines: docs/bootloader.md ("The example application").
 */
#include <stdint.h>

#include "cpu.h"
#include "flash.h"
#include "iwdg.h"
#include "leds.h"
#include "stm32f407.h"
#include "twinslot/boot.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot_client.h"
#include "twinslot_update.h"
#include "twinslot_update_f407.h"
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
#define VARIANT_NOSERVICE     7

#define PREFIX "twinslot-app: "

static void say(const char *a, const char *b)
{
	ts_console_puts(PREFIX);
	ts_console_puts(a);
	if (b)
		ts_console_puts(b);
	ts_console_putc('\n');
}

#ifdef TS_APP_FILL_KB
/* Ballast for transfer measurements (app-big): TS_APP_FILL_KB kilobytes of
 * constant data (the first kilobyte varied, then zeros: nothing on the way
 * compresses), read once by main() so the linker keeps it; the image hash
 * covers it. */
#define FILL_WORDS (TS_APP_FILL_KB * 256u)
#define F4(i) ((i) * 2654435761u), (((i) + 1u) * 2654435761u), (((i) + 2u) * 2654435761u), (((i) + 3u) * 2654435761u)
#define F16(i) F4(i), F4((i) + 4u), F4((i) + 8u), F4((i) + 12u)
#define F64(i) F16(i), F16((i) + 16u), F16((i) + 32u), F16((i) + 48u)
#define F256(i) F64(i), F64((i) + 64u), F64((i) + 128u), F64((i) + 192u)
__attribute__((used)) static const uint32_t fill[FILL_WORDS] = {F256(0u)};
#endif

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

#if TS_APP_VARIANT != VARIANT_NOSERVICE
/* The app path's receive service (docs/app-update.md): the console line also
 * takes updates. The core stays on the 16 MHz HSI, so USART1 runs from
 * 16 MHz (PCLK2, APB2 prescaler 1), where 1000000 baud is exact. */
static struct ts_update upd;
#define IDLE_POLL_US 60u
static uint32_t hb_last;
static uint32_t hb_led;

/* One step of the LED heartbeat (every 250 ms) and a watchdog feed: a few
 * microseconds, so the loop polls the line often enough at 1 Mbaud. */
static void heartbeat_step(void *ctx)
{
	(void)ctx;
	ts_iwdg_feed();
	uint32_t now = ts_update_f407_ms();
	if (now - hb_last >= 250u) {
		hb_last = now;
		ts_leds_set(1u << hb_led);
		hb_led = (hb_led + 1u) & 3u;
	}
}

static void report(const struct ts_update_report *r)
{
	if (r->committed) {
		ts_console_puts(PREFIX "update v");
		ts_console_putversion(r->version);
		ts_console_puts(" written to slot ");
		ts_console_putc(ts_slot_name(r->slot));
		say(r->restart_deferred ? ", pending; restart deferred" : ", pending", NULL);
	} else {
		say("update session ended: ", r->err ? ts_strerror(r->err) : "nothing written");
	}
	ts_console_puts(PREFIX "line lost ");
	ts_console_putu(ts_update_f407_lost());
	say(" bytes so far", NULL);
}

static void serve_forever(enum ts_slot slot)
{
	struct ts_update_io io;
	/* a session above the console's baud runs the core at 168 MHz: the
	 * receive path costs about 165 core cycles per byte, which at 16 MHz
	 * leaves no margin at 921600 (the virtual board, its line paced by the
	 * BRR, overran there: 105 bytes in a 13 KB update); at 168 MHz a byte
	 * time is 1820 cycles, and the hashing and read-back of each window
	 * take a tenth of the time (docs/app-update.md, "How fast") */
	ts_update_f407_io(&io, ts_cpu_hz(), 115200u);
	struct ts_update_cfg cfg = {
		.running = slot,
		.uart_clk_hz = ts_cpu_hz(),
		.console_baud = 115200u,
		.max_baud = 921600u,
		.window = TS_UPDATE_WINDOW_MAX,
		.may_restart = NULL, /* the example always agrees at once */
		.idle = heartbeat_step,
	};
	int err = ts_update_init(&upd, &cfg, &io);
	if (err) {
		say("update service not started: ", ts_strerror(err));
		heartbeat_forever();
	}
	const uint32_t idle_loops = ts_cpu_loops_for_us(IDLE_POLL_US);
	uint32_t turn = 0;
	for (;;) {
		ts_update_poll(&upd);
		int active = ts_update_active(&upd);
		/* the heartbeat reads the clock: not on every turn (idle: about every
		 * millisecond; in a session every 64 turns, a turn per byte or so,
		 * so the receive loop stays within a byte time at 921600) */
		if ((++turn & (active ? 63u : 15u)) == 0)
			heartbeat_step(NULL);
		if (!active) {
			/* No session: look at the line every IDLE_POLL_US only (the
			 * offer comes at 115200, a byte every 87 us). A register read
			 * in every turn of the loop would cost the virtual board (and
			 * its real-time mode) most of its speed. */
			uint32_t n = idle_loops;
			__asm volatile("1: subs %0, %0, #1\n\tnop\n\tbne 1b" : "+l"(n) : : "cc");
		}
		struct ts_update_report r;
		if (ts_update_take_report(&upd, &r))
			report(&r);
	}
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
	{
		/* the bootloader's line, when it left it to us (a plain boot of a
		 * confirmed image: twinslot_client.h) */
		char line[TS_BOOT_NOTE_TEXT];
		if (ts_client_boot_note(line, sizeof line))
			ts_console_puts(line);
	}
#ifdef TS_APP_FILL_KB
	(void)*(const volatile uint32_t *)&fill[FILL_WORDS - 1u];
#endif

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
#if TS_APP_VARIANT == VARIANT_NOSERVICE
	heartbeat_forever();
#else
	serve_forever(slot);
#endif
	return 0;
}
