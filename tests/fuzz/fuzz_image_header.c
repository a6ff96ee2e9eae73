/*
 * libFuzzer target: ts_image_header_parse on any 512 bytes, then on success
 * ts_image_header_slot, ts_image_check_vectors and ts_image_validate on the
 * whole input as a slot image. Invariants (abort when broken): a header that
 * parses re-encodes to the same bytes; validate never succeeds where a
 * stricter step failed; no read outside the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1u << 20)
		return 0;
	uint8_t mode = data[0];
	size_t len = size - 1;
	/* an exact-size heap copy so ASan sees any read past the end */
	uint8_t *img = malloc(len < TS_IMAGE_HDR_SIZE ? TS_IMAGE_HDR_SIZE : len);
	if (!img)
		return 0;
	memset(img, 0xFF, TS_IMAGE_HDR_SIZE);
	memcpy(img, data + 1, len);
	if (len < TS_IMAGE_HDR_SIZE)
		len = TS_IMAGE_HDR_SIZE; /* short input: the rest is erased flash */

	if ((mode & FZ_HDR_FIX_HASH) && len > TS_IMAGE_HDR_SIZE) {
		uint32_t app = get32(img + 0x0C);
		if (app > len - TS_IMAGE_HDR_SIZE)
			app = (uint32_t)(len - TS_IMAGE_HDR_SIZE);
		ts_sha256(img + TS_IMAGE_HDR_SIZE, app, img + TS_IMAGE_OFF_SHA256);
	}
	if (mode & (FZ_HDR_FIX_CRC | FZ_HDR_FIX_HASH))
		put32(img + TS_IMAGE_OFF_CRC, ts_crc32(0, img, TS_IMAGE_OFF_CRC));

	struct ts_image_header h;
	int err = ts_image_header_parse(img, &h);
	if (err == TS_OK) {
		uint8_t again[TS_IMAGE_HDR_SIZE];
		ts_image_header_encode(&h, again);
		if (memcmp(again, img, TS_IMAGE_HDR_SIZE) != 0)
			abort(); /* parse accepted a non-canonical header */
		enum ts_slot slot;
		int serr = ts_image_header_slot(&h, &slot);
		if (serr == TS_OK) {
			uint32_t sp = 0, pc = 0;
			if (len >= TS_IMAGE_HDR_SIZE + 8) {
				sp = get32(img + TS_IMAGE_HDR_SIZE);
				pc = get32(img + TS_IMAGE_HDR_SIZE + 4);
			}
			int verr = ts_image_check_vectors(&h, sp, pc);
			struct ts_image_header h2;
			int all = ts_image_validate(img, (uint32_t)len, slot, &h2, NULL);
			if (all == TS_OK && (verr != TS_OK || len < TS_IMAGE_HDR_SIZE + 8))
				abort(); /* validate accepted an implausible vector table */
			if (ts_image_validate(img, (uint32_t)len, ts_slot_other(slot), &h2, NULL) == TS_OK)
				abort(); /* an image valid in both slots */
		}
	} else if (err >= 0) {
		abort();
	} else {
		struct ts_image_header h2;
		if (ts_image_validate(img, (uint32_t)len, TS_SLOT_A, &h2, NULL) != err)
			abort(); /* validate must report the parse error */
	}
	free(img);
	return 0;
}
