/*
 * The twinslot bootloader (flash sector 0). At every reset: at 168 MHz,
 * check both slots and scan the journal, hashing the images that have not
 * confirmed themselves (lib/src/boot_slots.c); back at the reset clock,
 * decide (lib/src/boot_decide.c), append the decision's records, print one
 * console line, show an LED code, and hand over to the chosen slot (under
 * the watchdog for a trial) or stay halted. docs/bootloader.md
 * documents every console line and LED code this file produces.
 */
#include <stdbool.h>
#include <string.h>

#include "clock.h"
#include "cpu.h"
#include "iwdg.h"
#include "journal_write.h"
#include "leds.h"
#include "stm32f407.h"
#include "twinslot/boot.h"
#include "twinslot/boot_slots.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "uart.h"

#ifndef TS_IWDG_RELOAD
#define TS_IWDG_RELOAD 2000u /* /64 at 32 kHz: 2 ms per count, about 4 s */
#endif
#ifndef TS_LED_CODE_MS
#define TS_LED_CODE_MS 100u  /* how long a rollback's or a journal failure's LED code
                                shows before the jump */
#endif

#define PREFIX "twinslot-boot: "

/* The LED code of a boot outcome (table in docs/bootloader.md). */
static uint32_t led_code(const struct ts_boot_plan *p, bool journal_failed)
{
	uint32_t m;
	if (p->action == TS_BOOT_HALT)
		m = p->reason == TS_WHY_NOTHING_VALID ? TS_LED_RED
		    : p->reason == TS_WHY_ALL_BELOW_MIN ? TS_LED_RED | TS_LED_GREEN
							: TS_LED_RED | TS_LED_ORANGE;
	else
		m = p->action == TS_BOOT_TRIAL ? TS_LED_ORANGE : TS_LED_GREEN;
	if (p->reason == TS_WHY_ROLLBACK || p->reason == TS_WHY_ROLLED_BACK)
		m |= TS_LED_RED;
	if (p->reason == TS_WHY_BELOW_MIN) /* security counter: all three */
		m |= TS_LED_GREEN | TS_LED_ORANGE | TS_LED_RED;
	return journal_failed ? m | TS_LED_BLUE : m;
}

/*
 * Hold the LED code before the jump only when a person should notice: this
 * boot rolled back (records written) or could not write the journal. A
 * plain RUN or TRIAL shows its code and jumps at once (the event log and a
 * logic analyser still see it; the console line says the same).
 */
static bool led_code_held(const struct ts_boot_plan *p, int jerr)
{
	return jerr != TS_OK ||
	       (p->nrec > 0 && (p->reason == TS_WHY_ROLLBACK || p->reason == TS_WHY_ROLLED_BACK));
}

/*
 * Validate the slots and scan the journal at 168 MHz (lib/src/boot_slots.c:
 * a confirmed image's header is trusted, everything else is hashed), then
 * back to the reset clock before anything is written or printed.
 */
static void check_slots(struct ts_boot_input *in, struct ts_journal_state *st, int verr[])
{
	static const uint8_t *const slot[TS_SLOT_COUNT] = {
		(const uint8_t *)(uintptr_t)TS_SLOT_A_ADDR,
		(const uint8_t *)(uintptr_t)TS_SLOT_B_ADDR,
	};
	struct ts_boot_slots chk;

	(void)ts_clock_fast();
	ts_boot_check_slots(slot, TS_SLOT_SIZE, (const uint8_t *)(uintptr_t)TS_JOURNAL_ADDR,
			    TS_JOURNAL_RECORDS, st, &chk, ts_iwdg_feed);
	ts_clock_reset();
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		in->ids[s] = chk.ids[s];
		verr[s] = chk.verr[s];
	}
}

static void put_slot_state(enum ts_slot s, int verr, const struct ts_slot_id *id)
{
	ts_console_puts("slot ");
	ts_console_putc(ts_slot_name(s));
	ts_console_puts(" (");
	if (verr == TS_OK) {
		ts_console_putc('v');
		ts_console_putversion(id->version);
	} else {
		ts_console_puts(verr == TS_ERR_BLANK ? "empty" : ts_strerror(verr));
	}
	ts_console_putc(')');
}

/* The reason, and the journal error when appending failed. */
static void put_reason(const struct ts_boot_plan *p, int jerr)
{
	ts_console_puts(ts_boot_reason_str(p->reason));
	if (jerr) {
		ts_console_puts(p->reason == TS_WHY_JOURNAL_FAILED ? ": " :
								 "; journal write failed: ");
		ts_console_puts(ts_strerror(jerr));
	}
}

/* The one line of this boot (forms: docs/bootloader.md). */
static void report(const struct ts_boot_plan *p, const struct ts_slot_id ids[],
		   const int verr[], int jerr)
{
	ts_console_puts(PREFIX);
	if (p->action == TS_BOOT_HALT) {
		ts_console_puts("no bootable image (");
		put_reason(p, jerr);
		ts_console_puts("): ");
		put_slot_state(TS_SLOT_A, verr[TS_SLOT_A], &ids[TS_SLOT_A]);
		ts_console_puts(", ");
		put_slot_state(TS_SLOT_B, verr[TS_SLOT_B], &ids[TS_SLOT_B]);
		ts_console_puts(": waiting for the host");
	} else {
		enum ts_slot other = ts_slot_other(p->slot);
		ts_console_puts("slot ");
		ts_console_putc(ts_slot_name(p->slot));
		ts_console_puts(" v");
		ts_console_putversion(ids[p->slot].version);
		if (p->action == TS_BOOT_TRIAL)
			ts_console_puts(" trial");
		if (p->action == TS_BOOT_TRIAL && p->attempt > 0) {
			ts_console_putc(' ');
			ts_console_putu(p->attempt);
			ts_console_putc('/');
			ts_console_putu(TS_MAX_ATTEMPTS);
		}
		ts_console_puts(" (");
		put_reason(p, jerr);
		if (verr[other] != TS_OK && verr[other] != TS_ERR_BLANK) {
			ts_console_puts("; slot ");
			ts_console_putc(ts_slot_name(other));
			ts_console_puts(": ");
			ts_console_puts(ts_strerror(verr[other]));
		}
		ts_console_putc(')');
	}
	ts_console_putc('\n');
	ts_console_flush();
}

/*
 * The one line of this boot: on the wire, or, for a plain boot of a
 * confirmed image (nothing written, nothing to tell), in the boot note for
 * the application to print (twinslot/boot.h), so the jump does not wait
 * 3.7 ms for 42 characters at 115200. The note is cleared first in every
 * case: an application never prints an earlier boot's line.
 */
static void say(const struct ts_boot_plan *p, const struct ts_slot_id ids[], const int verr[],
		int jerr)
{
	/* plain stores: jump_to()'s asm clobbers memory, so they are all done
	 * before the application starts */
	struct ts_boot_note *n = (struct ts_boot_note *)(uintptr_t)TS_BOOT_NOTE_ADDR;
	n->magic = 0;
	if (p->action != TS_BOOT_RUN || p->reason != TS_WHY_CONFIRMED || p->nrec || jerr) {
		report(p, ids, verr, jerr);
		return;
	}
	(void)ts_console_capture(n->text, sizeof n->text);
	report(p, ids, verr, jerr);
	n->len = ts_console_capture(0, 0);
	n->crc = ts_crc32(0, n->text, n->len);
	n->magic = TS_BOOT_NOTE_MAGIC;
}

/*
 * Hand over to the application at slot base + 512 (RM0090 / PM0214):
 * interrupts masked while the state is reset; SysTick off and its pending
 * bit cleared; every NVIC interrupt disabled and unpended; the console USART,
 * its GPIO port and GPIOD reset and their clocks gated again; VTOR at the
 * application's vector table; MSP from its word 0; PRIMASK cleared again (the
 * reset state an application expects); branch to its reset handler (word 1).
 */
static __attribute__((noreturn)) void jump_to(enum ts_slot s)
{
	uint32_t vt = ts_slot_addr(s) + TS_IMAGE_HDR_SIZE;
	const volatile uint32_t *v = (const volatile uint32_t *)(uintptr_t)vt;

	cpu_irq_disable();
	REG32(SYST_CSR) = 0;
	REG32(SYST_CVR) = 0;
	REG32(SCB_ICSR) = SCB_ICSR_PENDSTCLR;
	for (uint32_t i = 0; i < NVIC_WORDS; i++) {
		REG32(NVIC_ICER(i)) = 0xFFFFFFFFu;
		REG32(NVIC_ICPR(i)) = 0xFFFFFFFFu;
	}
	ts_console_deinit();
	ts_leds_deinit();
	REG32(SCB_VTOR) = vt;
	cpu_dsb();
	cpu_isb();
	uint32_t sp = v[0], entry = v[1];
	__asm volatile(
		"msr msp, %0\n\t"
		"cpsie i\n\t"
		"bx %1\n\t"
		: : "r"(sp), "r"(entry) : "memory");
	__builtin_unreachable();
}

static __attribute__((noreturn)) void halt(uint32_t leds)
{
	for (;;) {
		ts_leds_set(leds);
		ts_delay_ms(250);
		ts_iwdg_feed(); /* when a trial left it running: stay, don't reset */
		ts_leds_set(0);
		ts_delay_ms(250);
		ts_iwdg_feed();
	}
}

void HardFault_Handler(void);
void HardFault_Handler(void)
{
	/* All four LEDs solid; the watchdog, if running, resets the board. */
	ts_leds_set(TS_LED_GREEN | TS_LED_ORANGE | TS_LED_RED | TS_LED_BLUE);
	for (;;)
		;
}

int main(void)
{
	struct ts_boot_input in;
	struct ts_journal_state st;
	struct ts_boot_plan plan;
	int verr[TS_SLOT_COUNT];

	ts_iwdg_feed();
	ts_leds_init();
	ts_console_init();

	memset(&in, 0, sizeof(in));
	check_slots(&in, &st, verr);
	in.journal = &st;
	in.max_attempts = TS_MAX_ATTEMPTS;
	ts_boot_decide(&in, &plan);

	int jerr = TS_OK;
	if (plan.nrec > 0) {
		jerr = ts_journal_append(&st, plan.rec, plan.nrec);
		if (jerr != TS_OK) {
			in.journal_failed = true;
			ts_boot_decide(&in, &plan);
		}
	}

	say(&plan, in.ids, verr, jerr);
	uint32_t leds = led_code(&plan, jerr != TS_OK);
	if (plan.action == TS_BOOT_HALT)
		halt(leds);

	ts_leds_set(leds);
	if (led_code_held(&plan, jerr))
		ts_delay_ms(TS_LED_CODE_MS);
	if (plan.action == TS_BOOT_TRIAL)
		ts_iwdg_start(TS_IWDG_RELOAD);
	else
		ts_iwdg_feed();
	jump_to(plan.slot);
}
