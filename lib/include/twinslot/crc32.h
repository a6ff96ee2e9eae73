/*
 * CRC-32 as used by every twinslot format: the IEEE 802.3 / zlib CRC
 * (reflected polynomial 0xEDB88320, initial value 0xFFFFFFFF, final XOR
 * 0xFFFFFFFF; crc32("123456789") == 0xCBF43926). Table-less nibble variant:
 * small enough for the bootloader. Freestanding.
 */
#ifndef TWINSLOT_CRC32_H
#define TWINSLOT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC of len bytes. To continue a running CRC, pass the previous result as
 * crc; start with 0. */
uint32_t ts_crc32(uint32_t crc, const void *data, size_t len);

#endif
