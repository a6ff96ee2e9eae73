/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for the freestanding side.
 *
 * No allocation; the caller owns the context. Contexts may be copied.
 * Hosts use their platform library for signatures; this is the one hash
 * implementation shared by firmware, host core and tools.
 */
#ifndef TWINSLOT_SHA256_H
#define TWINSLOT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TS_SHA256_LEN 32
#define TS_SHA256_BLOCK 64

struct ts_sha256 {
	uint32_t state[8];
	uint64_t total;              /* bytes hashed so far */
	uint8_t buf[TS_SHA256_BLOCK];
	uint32_t used;               /* bytes waiting in buf */
};

void ts_sha256_init(struct ts_sha256 *c);
void ts_sha256_update(struct ts_sha256 *c, const void *data, size_t len);
void ts_sha256_final(struct ts_sha256 *c, uint8_t out[TS_SHA256_LEN]);
void ts_sha256(const void *data, size_t len, uint8_t out[TS_SHA256_LEN]);

struct ts_hmac_sha256 {
	struct ts_sha256 inner;
	struct ts_sha256 outer;
};

void ts_hmac_sha256_init(struct ts_hmac_sha256 *c, const void *key, size_t key_len);
void ts_hmac_sha256_update(struct ts_hmac_sha256 *c, const void *data, size_t len);
void ts_hmac_sha256_final(struct ts_hmac_sha256 *c, uint8_t out[TS_SHA256_LEN]);
void ts_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[TS_SHA256_LEN]);

#endif
