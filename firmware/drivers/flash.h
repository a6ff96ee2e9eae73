/*
 * STM32F407 embedded-flash driver: sector erase and word programming through
 * the flash interface registers (RM0090 section 3), shared by the bootloader
 * and the application-side client library.
 *
 * Every operation unlocks the interface, checks and clears the error flags,
 * waits for BSY with a time-out derived from the datasheet maximum (DS8626
 * table "Flash memory programming", 2.7-3.6 V, x32 parallelism) times 1.5,
 * locks again, and verifies by reading back: an erase must read all 0xFF, a
 * program must read what was written. A flash that ignores writes (QEMU has
 * no flash controller) therefore fails verification instead of "succeeding".
 *
 * The start-and-wait steps run from RAM (section .RamFunc, which the
 * project's linker scripts and STM32CubeIDE's place in .data), so the time-out
 * loop really runs while the flash is busy. While waiting, the IWDG is
 * refreshed (a bounded wait cannot hide a hang). Caller guarantees: supply in
 * the 2.7-3.6 V range (x32 programming), ts_cpu_set_hz() told of any core
 * clock change, no code executing from the sector being erased.
 * Sector 0 (the bootloader) is refused.
 */
#ifndef TWINSLOT_FW_FLASH_H
#define TWINSLOT_FW_FLASH_H

#include <stdint.h>

/* Erase sector 1..11 and check it reads blank. TS_OK, TS_ERR_INVAL,
 * TS_ERR_TIMEOUT (BSY stayed set), TS_ERR_FLASH (error flag, still locked,
 * or not blank after the erase). */
int ts_flash_erase_sector(int sector);

/* Program len bytes (addr and len multiples of 4) word by word and read them
 * back. Every target word must be erased (0xFFFFFFFF) beforehand, else
 * TS_ERR_FLASH without writing it. Same errors as erase. */
int ts_flash_program(uint32_t addr, const void *data, uint32_t len);

/*
 * Called on every iteration of the busy-wait loop (also while BSY is set,
 * when code in flash cannot run): the app path's receive service moves
 * USART bytes into a RAM ring there. It must live in RAM (.RamFunc) and
 * touch only RAM and peripherals; NULL (the default): nothing. Each call
 * only lengthens an iteration, so the time-outs stay at least as long.
 */
extern void (*ts_flash_busy_hook)(void);

/* Datasheet maxima (DS8626, x32), in microseconds. */
#define TS_FLASH_TPROG_MAX_US      100u
#define TS_FLASH_ERASE16K_MAX_US   500000u
#define TS_FLASH_ERASE64K_MAX_US   1100000u
#define TS_FLASH_ERASE128K_MAX_US  2000000u

#endif
