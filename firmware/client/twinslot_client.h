/*
 * twinslot client library: what an application links to take part in the
 * dual-slot scheme. It reads the image header at the start of its own slot
 * and appends records to the metadata journal (sector 11) exactly as
 * docs/format.md says, through the shared flash driver.
 *
 * The application must, after a trial boot (the bootloader started the
 * independent watchdog): keep feeding the IWDG (write 0xAAAA to IWDG_KR,
 * 0x40003000, at least every ~4 s by default), and call ts_client_confirm()
 * once it has proved itself healthy, before TS_MAX_ATTEMPTS resets have
 * happened. Caller guarantees: the program runs from a slot it was linked
 * for (the image was packed with `twinslot pack`), its linker script places
 * .RamFunc in RAM (as STM32CubeIDE's do), the core clock was reported with
 * ts_cpu_set_hz() if it is not the 16 MHz HSI, and no other code writes the
 * flash at the same time. Calls take up to ~3 s when the journal sector must
 * be compacted (a 128 KB erase); the driver feeds the IWDG meanwhile.
 */
#ifndef TWINSLOT_CLIENT_H
#define TWINSLOT_CLIENT_H

#include <stdint.h>

#include "twinslot/layout.h"

/* The slot this program runs from and the version in its image header.
 * TS_OK, or the header's parse error (e.g. not started from a slot). */
int ts_client_running(enum ts_slot *slot, uint32_t *version);

/*
 * Confirm the running image: when its slot's newest live journal record is
 * not CONFIRMED (a trial, or no record at all), append a CONFIRMED record
 * with its version and hash prefix, followed by a MIN_COUNTER record that
 * raises the journal's minimum security counter to the image's (or keeps it)
 * when either is not 0; an image already confirmed whose counter is above the
 * minimum writes the MIN_COUNTER record alone. Returns 1 when CONFIRMED was
 * written, 0 when the image was already confirmed, or a negative ts_err (the
 * flash could not be written: the image stays unconfirmed).
 */
int ts_client_confirm(void);

/*
 * Give up on the running image: append ROLLED_BACK for it and reset the
 * core (AIRCR SYSRESETREQ), so the bootloader boots the other slot. Returns
 * only on failure, with a negative ts_err.
 */
int ts_client_request_rollback(void);

/*
 * The bootloader's line of this boot when it left it in the boot note
 * (twinslot/boot.h: a plain boot of a confirmed image) instead of printing
 * it: copied into line (at most cap - 1 characters and a NUL; it ends with
 * '\n') and the note cleared, so print it once, first thing. Returns its
 * length, or 0 when there is no note (the bootloader printed the line).
 */
uint32_t ts_client_boot_note(char *line, uint32_t cap);

#endif
