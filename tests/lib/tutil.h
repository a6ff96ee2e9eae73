/*
 * Small helpers shared by the lib tests: hex conversion and a seeded
 * xorshift generator (fixed seeds keep every run reproducible).
 */
#ifndef TS_TESTS_LIB_TUTIL_H
#define TS_TESTS_LIB_TUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Decode hex (no separators) into out; returns bytes written, or -1. */
static inline int tu_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (hex[0] && hex[1]) {
		unsigned v;
		if (n >= cap || sscanf(hex, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return hex[0] ? -1 : (int)n;
}

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
static inline void tu_hex(const uint8_t *p, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * len] = '\0';
}

struct tu_rng {
	uint64_t s;
};

static inline uint64_t tu_next(struct tu_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

/* Uniform-ish value in [0, n) (n > 0). */
static inline uint32_t tu_below(struct tu_rng *r, uint32_t n)
{
	return (uint32_t)((tu_next(r) >> 32) % n);
}

static inline void tu_fill(struct tu_rng *r, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(tu_next(r) >> 56);
}

#endif
