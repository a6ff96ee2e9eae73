/* Shared helpers of the twinslot CLI: see cli.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

void ts_cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "twinslot %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ts_read_file(const char *path, uint8_t **data, size_t *len, char *msg,
		 size_t msglen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(msg, msglen, "cannot open: %s", strerror(errno));
		return TS_ERR_IO;
	}
	size_t cap = 64 * 1024, n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		snprintf(msg, msglen, "out of memory");
		return TS_ERR_IO;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= TS_CLI_MAX_INPUT) {
				snprintf(msg, msglen,
					 "file is larger than %u MB: not a firmware input",
					 TS_CLI_MAX_INPUT / (1024u * 1024u));
				free(buf);
				fclose(f);
				return TS_ERR_SIZE;
			}
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				snprintf(msg, msglen, "out of memory");
				free(buf);
				fclose(f);
				return TS_ERR_IO;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(msg, msglen, "cannot read: %s", strerror(errno));
				free(buf);
				fclose(f);
				return TS_ERR_IO;
			}
			break;
		}
	}
	fclose(f);
	*data = buf;
	*len = n;
	return TS_OK;
}

char *ts_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

bool ts_parse_u32(const char *s, uint32_t *out)
{
	const char *p = s;
	unsigned base = 10;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (*p == '\0')
		return false;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return false;
		v = v * base + d;
		if (v > 0xFFFFFFFFu)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

const char *ts_header_problem(int err)
{
	switch (err) {
	case TS_ERR_BLANK:
		return "header is blank (all 0xFF): an erased slot, not an image";
	case TS_ERR_MAGIC:
		return "not a twinslot image (no \"TWSL\" magic at offset 0)";
	case TS_ERR_CRC:
		return "header CRC mismatch: the header is corrupted";
	case TS_ERR_HDR_VERSION:
		return "unsupported header version or size (this tool reads header "
		       "version 1, 512 bytes)";
	case TS_ERR_RESERVED:
		return "reserved header bytes are not zero: corrupted, or written by "
		       "a newer tool";
	case TS_ERR_INVAL:
		return "invalid header field (flags, signature type or signature length)";
	default:
		return ts_strerror(err);
	}
}

static bool sp_in(uint32_t sp, uint32_t base, uint32_t size)
{
	return sp > base && sp <= base + size;
}

void ts_explain_vectors(const struct ts_image_header *h, uint32_t sp,
			uint32_t reset, char *buf, size_t n)
{
	uint32_t first = h->load_addr + 8u;
	uint32_t last = h->load_addr + h->app_size - 1u;
	uint32_t entry = reset & ~1u;

	if (!sp_in(sp, TS_SRAM_BASE, TS_SRAM_SIZE) && !sp_in(sp, TS_CCM_BASE, TS_CCM_SIZE))
		snprintf(buf, n,
			 "implausible vector table: initial stack pointer 0x%08x is "
			 "outside SRAM (0x%08x..0x%08x) and CCM (0x%08x..0x%08x)",
			 sp, TS_SRAM_BASE + 1u, TS_SRAM_BASE + TS_SRAM_SIZE,
			 TS_CCM_BASE + 1u, TS_CCM_BASE + TS_CCM_SIZE);
	else if (sp & 3u)
		snprintf(buf, n,
			 "implausible vector table: initial stack pointer 0x%08x is "
			 "not 4-byte aligned", sp);
	else if (entry < first || entry > last)
		snprintf(buf, n,
			 "implausible vector table: reset handler 0x%08x is outside "
			 "the application (0x%08x..0x%08x, after the initial SP and "
			 "reset vector)", reset, first, last);
	else if (!(reset & 1u))
		snprintf(buf, n,
			 "implausible vector table: reset handler 0x%08x has no Thumb "
			 "bit (bit 0 clear); Cortex-M code runs in Thumb state, so the "
			 "address must be odd", reset);
	else
		snprintf(buf, n,
			 "implausible vector table (initial SP 0x%08x, reset handler 0x%08x)",
			 sp, reset);
}

int ts_load_image(const char *cmd, const char *path, int slot, uint8_t **data, size_t *len,
		  struct ts_image_header *out)
{
	char msg[300];
	struct ts_image_header h;
	enum ts_slot linked;
	int err = ts_read_file(path, data, len, msg, sizeof msg);
	if (err) {
		ts_cli_err(cmd, "%s: %s", path, msg);
		return TS_EXIT_REFUSED;
	}
	const uint8_t *d = *data;
	if (*len < TS_IMAGE_HDR_SIZE) {
		snprintf(msg, sizeof msg, "%zu bytes, shorter than an image header (%u)", *len,
			 TS_IMAGE_HDR_SIZE);
	} else if ((err = ts_image_header_parse(d, &h)) != TS_OK) {
		snprintf(msg, sizeof msg, "%s", ts_header_problem(err));
	} else if ((err = ts_image_header_slot(&h, &linked)) != TS_OK) {
		snprintf(msg, sizeof msg, "linked for 0x%08x with %u bytes: no slot holds it",
			 (unsigned)h.load_addr, (unsigned)h.app_size);
	} else if (slot >= 0 && linked != (enum ts_slot)slot) {
		snprintf(msg, sizeof msg, "linked for slot %c, not slot %c", ts_slot_name(linked),
			 ts_slot_name((enum ts_slot)slot));
	} else if (*len != TS_IMAGE_HDR_SIZE + (size_t)h.app_size) {
		snprintf(msg, sizeof msg, "the file is %zu bytes, its header says %u (%s)", *len,
			 (unsigned)(TS_IMAGE_HDR_SIZE + h.app_size),
			 *len < TS_IMAGE_HDR_SIZE + (size_t)h.app_size ? "cut short" : "trailing bytes");
	} else if ((err = ts_image_validate(d, (uint32_t)*len, linked, &h, NULL)) == TS_ERR_VECTOR) {
		ts_explain_vectors(&h, ts_get32(d + TS_IMAGE_HDR_SIZE),
				   ts_get32(d + TS_IMAGE_HDR_SIZE + 4), msg, sizeof msg);
	} else if (err == TS_ERR_HASH) {
		snprintf(msg, sizeof msg, "the application's SHA-256 does not match its header: "
			 "the image is corrupted");
	} else if (err) {
		snprintf(msg, sizeof msg, "%s", ts_strerror(err));
	} else {
		if (out)
			*out = h;
		return TS_EXIT_OK;
	}
	ts_cli_err(cmd, "%s: refused: %s (check it with twinslot inspect)", path, msg);
	free(*data);
	*data = NULL;
	return TS_EXIT_REFUSED;
}
