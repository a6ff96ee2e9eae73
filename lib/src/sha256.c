/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * Written for size, not speed: one rolled compression loop with a 16-word
 * circular message schedule (FIPS 180-4 section 6.2.2, with W computed on
 * the fly), so it fits the 16 KB bootloader. Freestanding.
 */
#include "twinslot/sha256.h"

#include <string.h>

static const uint32_t K[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
	0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
	0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
	0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
	0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
	0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
	0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
	0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static const uint32_t H0[8] = {
	0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
	0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32u - n));
}

static void compress(uint32_t st[8], const uint8_t blk[TS_SHA256_BLOCK])
{
	uint32_t w[16], a, b, c, d, e, f, g, h;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | (uint32_t)blk[4 * i + 3];
	a = st[0]; b = st[1]; c = st[2]; d = st[3];
	e = st[4]; f = st[5]; g = st[6]; h = st[7];
	for (i = 0; i < 64; i++) {
		uint32_t wi;
		if (i < 16) {
			wi = w[i];
		} else {
			uint32_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
			uint32_t s0 = ror(w15, 7) ^ ror(w15, 18) ^ (w15 >> 3);
			uint32_t s1 = ror(w2, 17) ^ ror(w2, 19) ^ (w2 >> 10);
			wi = w[i & 15] += s0 + w[(i - 7) & 15] + s1;
		}
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			      ((e & f) ^ (~e & g)) + K[i] + wi;
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	st[0] += a; st[1] += b; st[2] += c; st[3] += d;
	st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

void ts_sha256_init(struct ts_sha256 *c)
{
	memcpy(c->state, H0, sizeof(H0));
	c->total = 0;
	c->used = 0;
}

void ts_sha256_update(struct ts_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->total += len;
	while (len > 0) {
		if (c->used == 0 && len >= TS_SHA256_BLOCK) {
			compress(c->state, p);
			p += TS_SHA256_BLOCK;
			len -= TS_SHA256_BLOCK;
			continue;
		}
		size_t n = TS_SHA256_BLOCK - c->used;
		if (n > len)
			n = len;
		memcpy(c->buf + c->used, p, n);
		c->used += (uint32_t)n;
		p += n;
		len -= n;
		if (c->used == TS_SHA256_BLOCK) {
			compress(c->state, c->buf);
			c->used = 0;
		}
	}
}

void ts_sha256_final(struct ts_sha256 *c, uint8_t out[TS_SHA256_LEN])
{
	uint64_t bits = c->total << 3;
	unsigned i;

	/* Padding: 0x80, zeros up to 56 mod 64, then the bit length (big-endian). */
	c->buf[c->used++] = 0x80;
	if (c->used > TS_SHA256_BLOCK - 8) {
		memset(c->buf + c->used, 0, TS_SHA256_BLOCK - c->used);
		compress(c->state, c->buf);
		c->used = 0;
	}
	memset(c->buf + c->used, 0, TS_SHA256_BLOCK - 8 - c->used);
	for (i = 0; i < 8; i++)
		c->buf[TS_SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
	compress(c->state, c->buf);
	for (i = 0; i < TS_SHA256_LEN; i++)
		out[i] = (uint8_t)(c->state[i / 4] >> (24 - 8 * (i % 4)));
	/* Leave no message bytes behind in the context. */
	memset(c, 0, sizeof(*c));
}

void ts_sha256(const void *data, size_t len, uint8_t out[TS_SHA256_LEN])
{
	struct ts_sha256 c;

	ts_sha256_init(&c);
	ts_sha256_update(&c, data, len);
	ts_sha256_final(&c, out);
}

void ts_hmac_sha256_init(struct ts_hmac_sha256 *c, const void *key, size_t key_len)
{
	uint8_t k[TS_SHA256_BLOCK];
	unsigned i;

	/* RFC 2104: keys longer than a block are hashed first, then zero-padded. */
	memset(k, 0, sizeof(k));
	if (key_len > TS_SHA256_BLOCK)
		ts_sha256(key, key_len, k);
	else if (key_len > 0)
		memcpy(k, key, key_len);
	for (i = 0; i < TS_SHA256_BLOCK; i++)
		k[i] ^= 0x36;
	ts_sha256_init(&c->inner);
	ts_sha256_update(&c->inner, k, sizeof(k));
	for (i = 0; i < TS_SHA256_BLOCK; i++)
		k[i] ^= 0x36 ^ 0x5c;
	ts_sha256_init(&c->outer);
	ts_sha256_update(&c->outer, k, sizeof(k));
	memset(k, 0, sizeof(k));
}

void ts_hmac_sha256_update(struct ts_hmac_sha256 *c, const void *data, size_t len)
{
	ts_sha256_update(&c->inner, data, len);
}

void ts_hmac_sha256_final(struct ts_hmac_sha256 *c, uint8_t out[TS_SHA256_LEN])
{
	uint8_t ih[TS_SHA256_LEN];

	ts_sha256_final(&c->inner, ih);
	ts_sha256_update(&c->outer, ih, sizeof(ih));
	ts_sha256_final(&c->outer, out);
	memset(ih, 0, sizeof(ih));
}

void ts_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[TS_SHA256_LEN])
{
	struct ts_hmac_sha256 c;

	ts_hmac_sha256_init(&c, key, key_len);
	ts_hmac_sha256_update(&c, data, len);
	ts_hmac_sha256_final(&c, out);
}
