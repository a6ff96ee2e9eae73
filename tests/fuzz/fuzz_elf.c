/*
 * libFuzzer target: the ELF reader of `twinslot pack` (tools/twinslot/elf.c),
 * which takes a developer's linker output as it is. Invariants (abort when
 * broken): a refusal leaves a message; a load that succeeds gives an image
 * whose size is within TS_ELF_MAX_SPAN and whose buffer holds that many
 * bytes (ASan checks its last byte), from at least one segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "twinslot/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_elf_image img;
	char msg[300];
	msg[0] = '\0';
	if (!ts_elf_is_elf(data, size))
		return 0;
	if (ts_elf_load(data, size, &img, msg, sizeof msg) != TS_OK) {
		if (!msg[0])
			abort();
		return 0;
	}
	if (img.size == 0 || img.size > TS_ELF_MAX_SPAN || img.segments == 0 || !img.data)
		abort();
	/* One malloc holds the image: its last byte and one per 4 KB show ASan
	 * that it covers img.size bytes. (Reading all of a 16 MB image byte by
	 * byte took 1.2 s under ASan, 11 s on the loaded machine: a slow unit
	 * in the 10-minute run, and near the suite's 10 s time-out.) */
	volatile uint8_t x = img.data[img.size - 1];
	for (uint32_t i = 0; i < img.size; i += 4096)
		x ^= img.data[i];
	(void)x;
	ts_elf_free(&img);
	return 0;
}
