/*
 * A reader for the linked application: an ELF32 little-endian ARM executable,
 * turned into the bytes that go to flash.
 *
 * The PT_LOAD segments that carry file bytes are placed by their physical
 * (load) address, sorted by it, and joined into one contiguous binary whose
 * gaps are filled with 0xFF (erased flash), as
 * `arm-none-eabi-objcopy -O binary --gap-fill 0xff` does. Anything else is
 * refused with a message for people: not an ELF, 64-bit, big-endian, not ARM,
 * not an executable, truncated anywhere, overlapping segments, nothing to
 * load, or segments spread over more than TS_ELF_MAX_SPAN bytes.
 * The input is only read, never trusted: any bytes are safe to pass.
 */
#ifndef TWINSLOT_TOOLS_ELF_H
#define TWINSLOT_TOOLS_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_ELF_MAX_SPAN (16u * 1024u * 1024u)

struct ts_elf_image {
	uint8_t *data;      /* malloc'd, `size` bytes; ts_elf_free() releases */
	uint32_t addr;      /* physical address of data[0]: lowest load address */
	uint32_t size;
	unsigned segments;  /* PT_LOAD segments that contributed bytes */
};

/* Does the buffer start with the ELF magic (0x7F 'E' 'L' 'F')? */
bool ts_elf_is_elf(const uint8_t *buf, size_t len);

/*
 * Load buf (len bytes, a whole ELF file). Returns TS_OK and fills *img, or a
 * negative ts_err (TS_ERR_FORMAT, TS_ERR_UNSUPPORTED, TS_ERR_SIZE, TS_ERR_IO)
 * with the reason in msg (no file name in it; the caller adds that).
 */
int ts_elf_load(const uint8_t *buf, size_t len, struct ts_elf_image *img,
		char *msg, size_t msglen);

void ts_elf_free(struct ts_elf_image *img);

#endif
