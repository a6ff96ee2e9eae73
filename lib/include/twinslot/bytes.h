/* Little-endian load/store helpers and the erased-flash test, shared by the
 * format encoders, the host engine and the tools. Header-only, freestanding. */
#ifndef TWINSLOT_BYTES_H
#define TWINSLOT_BYTES_H

#include <stdint.h>

static inline void ts_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void ts_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint16_t ts_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ts_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* Are all n bytes 0xFF (erased flash)? */
static inline int ts_all_ff(const uint8_t *p, uint32_t n)
{
	while (n--)
		if (*p++ != 0xFFu)
			return 0;
	return 1;
}

#endif
