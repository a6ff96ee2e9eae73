/*
 * Semantic versions as twinslot stores them: MAJOR.MINOR.PATCH packed into
 * one uint32_t (major 8 bits, minor 8 bits, patch 16 bits) so that versions
 * compare as plain integers. Pre-release and build suffixes are not
 * supported and are refused by the parser. Freestanding.
 */
#ifndef TWINSLOT_VERSION_H
#define TWINSLOT_VERSION_H

#include <stddef.h>
#include <stdint.h>

#define TS_VERSION(ma, mi, pa) \
	(((uint32_t)(ma) << 24) | ((uint32_t)(mi) << 16) | (uint32_t)(pa))
#define TS_VERSION_MAJOR(v) ((unsigned)((v) >> 24))
#define TS_VERSION_MINOR(v) ((unsigned)(((v) >> 16) & 0xFFu))
#define TS_VERSION_PATCH(v) ((unsigned)((v) & 0xFFFFu))

/* Longest text form: "255.255.65535" plus NUL. */
#define TS_VERSION_STR_MAX 14

/*
 * Parse "MAJOR.MINOR.PATCH" (decimal, no leading zeros except "0", major and
 * minor <= 255, patch <= 65535, nothing else in the string).
 * Returns TS_OK or TS_ERR_SEMVER; *out is written only on success.
 */
int ts_version_parse(const char *s, uint32_t *out);

/* Write the text form into buf (at least TS_VERSION_STR_MAX bytes). */
void ts_version_format(uint32_t v, char buf[TS_VERSION_STR_MAX]);

#endif
