/* ELF32 little-endian ARM executable -> flash bytes. See elf.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"

/* Offsets of the ELF32 file header and program header fields we read
 * (System V ABI, "ELF Header" and "Program Header"). */
#define EHDR_SIZE     52u
#define EI_CLASS      4u
#define EI_DATA       5u
#define EI_VERSION    6u
#define E_TYPE        16u
#define E_MACHINE     18u
#define E_VERSION     20u
#define E_PHOFF       28u
#define E_PHENTSIZE   42u
#define E_PHNUM       44u
#define PHDR_SIZE     32u
#define P_TYPE        0u
#define P_OFFSET      4u
#define P_PADDR       12u
#define P_FILESZ      16u

#define ELFCLASS32    1u
#define ELFCLASS64    2u
#define ELFDATA2LSB   1u
#define ELFDATA2MSB   2u
#define ET_EXEC       2u
#define EM_ARM        40u
#define PT_LOAD       1u
#define PN_XNUM       0xFFFFu

struct seg {
	unsigned index;   /* position in the program header table */
	uint32_t paddr;
	uint32_t offset;
	uint32_t filesz;
};

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 0: return "none";
	case 3: return "x86";
	case 8: return "MIPS";
	case 20: return "PowerPC";
	case 40: return "ARM";
	case 62: return "x86-64";
	case 83: return "AVR";
	case 94: return "Xtensa, e.g. ESP32";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	default: return "unknown";
	}
}

static const char *type_name(unsigned t)
{
	switch (t) {
	case 0: return "no file type";
	case 1: return "relocatable object file";
	case 3: return "shared object";
	case 4: return "core dump";
	default: return "unknown type";
	}
}

bool ts_elf_is_elf(const uint8_t *buf, size_t len)
{
	return len >= 4 && buf[0] == 0x7F && buf[1] == 'E' && buf[2] == 'L' &&
	       buf[3] == 'F';
}

void ts_elf_free(struct ts_elf_image *img)
{
	free(img->data);
	img->data = NULL;
	img->size = 0;
}

static int check_header(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	if (!ts_elf_is_elf(buf, len)) {
		snprintf(msg, msglen, "not an ELF file (it does not start with 0x7F 'ELF')");
		return TS_ERR_FORMAT;
	}
	if (len < EHDR_SIZE) {
		snprintf(msg, msglen,
			 "truncated ELF: the file is %zu bytes, shorter than the "
			 "52-byte ELF header", len);
		return TS_ERR_FORMAT;
	}
	if (buf[EI_CLASS] == ELFCLASS64) {
		snprintf(msg, msglen,
			 "64-bit ELF (ELFCLASS64): expected a 32-bit ARM executable");
		return TS_ERR_UNSUPPORTED;
	}
	if (buf[EI_CLASS] != ELFCLASS32) {
		snprintf(msg, msglen, "unknown ELF class %u: expected 1 (32-bit)",
			 buf[EI_CLASS]);
		return TS_ERR_FORMAT;
	}
	if (buf[EI_DATA] == ELFDATA2MSB) {
		snprintf(msg, msglen,
			 "big-endian ELF (ELFDATA2MSB): expected a little-endian ARM executable");
		return TS_ERR_UNSUPPORTED;
	}
	if (buf[EI_DATA] != ELFDATA2LSB) {
		snprintf(msg, msglen, "unknown ELF data encoding %u: expected 1 (little-endian)",
			 buf[EI_DATA]);
		return TS_ERR_FORMAT;
	}
	if (buf[EI_VERSION] != 1 || ts_get32(buf + E_VERSION) != 1) {
		snprintf(msg, msglen, "unknown ELF version %u: expected 1",
			 buf[EI_VERSION] != 1 ? buf[EI_VERSION] : ts_get32(buf + E_VERSION));
		return TS_ERR_FORMAT;
	}
	unsigned machine = ts_get16(buf + E_MACHINE);
	if (machine != EM_ARM) {
		snprintf(msg, msglen, "ELF for machine %u (%s), not ARM (40)",
			 machine, machine_name(machine));
		return TS_ERR_UNSUPPORTED;
	}
	unsigned type = ts_get16(buf + E_TYPE);
	if (type != ET_EXEC) {
		snprintf(msg, msglen,
			 "not an executable ELF (e_type %u, %s): give the linked application",
			 type, type_name(type));
		return TS_ERR_FORMAT;
	}
	return TS_OK;
}

/* Collect the PT_LOAD segments with file bytes; *nseg of them in *out. */
static int collect(const uint8_t *buf, size_t len, struct seg **out, unsigned *nseg,
		   char *msg, size_t msglen)
{
	uint32_t phoff = ts_get32(buf + E_PHOFF);
	unsigned phentsize = ts_get16(buf + E_PHENTSIZE);
	unsigned phnum = ts_get16(buf + E_PHNUM);

	if (phnum == 0) {
		snprintf(msg, msglen, "no program headers: nothing to load");
		return TS_ERR_FORMAT;
	}
	if (phnum == PN_XNUM) {
		snprintf(msg, msglen, "extended program header numbering (PN_XNUM) is not supported");
		return TS_ERR_UNSUPPORTED;
	}
	if (phentsize < PHDR_SIZE) {
		snprintf(msg, msglen,
			 "program header entries are %u bytes, expected at least 32",
			 phentsize);
		return TS_ERR_FORMAT;
	}
	uint64_t table = (uint64_t)phentsize * phnum;
	if ((uint64_t)phoff + table > len) {
		snprintf(msg, msglen,
			 "truncated ELF: the program header table (offset %u, %llu bytes) "
			 "extends past the end of the file (%zu bytes)",
			 phoff, (unsigned long long)table, len);
		return TS_ERR_FORMAT;
	}

	struct seg *segs = calloc(phnum, sizeof(*segs));
	if (!segs) {
		snprintf(msg, msglen, "out of memory");
		return TS_ERR_IO;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + (size_t)i * phentsize;
		if (ts_get32(ph + P_TYPE) != PT_LOAD)
			continue;
		struct seg s = { i, ts_get32(ph + P_PADDR), ts_get32(ph + P_OFFSET),
				 ts_get32(ph + P_FILESZ) };
		if (s.filesz == 0)
			continue; /* .bss-like: nothing goes to flash */
		if ((uint64_t)s.offset + s.filesz > len) {
			snprintf(msg, msglen,
				 "truncated ELF: segment %u (%u bytes at file offset %u) "
				 "extends past the end of the file (%zu bytes)",
				 i, s.filesz, s.offset, len);
			free(segs);
			return TS_ERR_FORMAT;
		}
		if ((uint64_t)s.paddr + s.filesz > 0x100000000ull) {
			snprintf(msg, msglen,
				 "segment %u at 0x%08x (%u bytes) runs past the end of the "
				 "32-bit address space", i, s.paddr, s.filesz);
			free(segs);
			return TS_ERR_FORMAT;
		}
		/* Insertion sort by physical address (ELF orders PT_LOAD by
		 * virtual address, which for RAM-resident data is not the
		 * order in flash). */
		unsigned j = n++;
		while (j > 0 && segs[j - 1].paddr > s.paddr) {
			segs[j] = segs[j - 1];
			j--;
		}
		segs[j] = s;
	}
	if (n == 0) {
		snprintf(msg, msglen, "no loadable segment with file contents (PT_LOAD with bytes)");
		free(segs);
		return TS_ERR_FORMAT;
	}
	*out = segs;
	*nseg = n;
	return TS_OK;
}

int ts_elf_load(const uint8_t *buf, size_t len, struct ts_elf_image *img,
		char *msg, size_t msglen)
{
	struct seg *segs;
	unsigned n;
	int err;

	memset(img, 0, sizeof(*img));
	if ((err = check_header(buf, len, msg, msglen)) != TS_OK)
		return err;
	if ((err = collect(buf, len, &segs, &n, msg, msglen)) != TS_OK)
		return err;

	uint64_t end = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i > 0 && segs[i].paddr < end) {
			const struct seg *a = &segs[i - 1], *b = &segs[i];
			snprintf(msg, msglen,
				 "segments overlap: segment %u loads at 0x%08x..0x%08x and "
				 "segment %u at 0x%08x..0x%08x",
				 a->index, a->paddr, a->paddr + a->filesz - 1u,
				 b->index, b->paddr, b->paddr + b->filesz - 1u);
			free(segs);
			return TS_ERR_FORMAT;
		}
		end = (uint64_t)segs[i].paddr + segs[i].filesz;
	}
	uint64_t span = end - segs[0].paddr;
	if (span > TS_ELF_MAX_SPAN) {
		snprintf(msg, msglen,
			 "loadable segments span 0x%08x..0x%08x (%llu bytes, more than "
			 "%u MB): does a RAM section lack its flash load address "
			 "(AT> in the linker script)?",
			 segs[0].paddr, (uint32_t)(end - 1u), (unsigned long long)span,
			 TS_ELF_MAX_SPAN / (1024u * 1024u));
		free(segs);
		return TS_ERR_SIZE;
	}

	uint8_t *data = malloc((size_t)span);
	if (!data) {
		snprintf(msg, msglen, "out of memory");
		free(segs);
		return TS_ERR_IO;
	}
	memset(data, 0xFF, (size_t)span);
	for (unsigned i = 0; i < n; i++)
		memcpy(data + (segs[i].paddr - segs[0].paddr), buf + segs[i].offset,
		       segs[i].filesz);

	img->data = data;
	img->addr = segs[0].paddr;
	img->size = (uint32_t)span;
	img->segments = n;
	free(segs);
	return TS_OK;
}
