/*
 * The twinslot image header: 512 bytes at the start of a slot, followed by
 * the application binary (vector table first, at slot + 512, so VTOR can
 * point at it). docs/format.md specifies it to the byte.
 *
 * encode/parse convert between the struct and the little-endian bytes and
 * check everything the header can check about itself (magic, version, size,
 * reserved bytes, CRC). The check_* functions apply the rules that need the
 * slot or the application bytes. No allocation; freestanding.
 */
#ifndef TWINSLOT_IMAGE_H
#define TWINSLOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/layout.h"
#include "twinslot/sha256.h"

#define TS_IMAGE_MAGIC       0x4C535754u /* "TWSL" in flash byte order */
#define TS_IMAGE_HDR_VERSION 1u
#define TS_IMAGE_HDR_SIZE    512u
#define TS_IMAGE_SIG_MAX     64u
#define TS_IMAGE_KEY_ID_LEN  4u   /* first bytes of SHA-256 of the signer's public key */
#define TS_IMAGE_MAX_APP     (TS_SLOT_SIZE - TS_IMAGE_HDR_SIZE)

/* Byte offsets inside the header (see docs/format.md). */
#define TS_IMAGE_OFF_SHA256  0x20u
#define TS_IMAGE_OFF_SIG     0x44u
#define TS_IMAGE_OFF_KEY_ID  0x84u /* 4 bytes after the signature */
#define TS_IMAGE_OFF_CRC     0x1FCu
/* The signature covers SHA-256 of header bytes [0, TS_IMAGE_SIGNED_LEN):
 * magic .. app_sha256, so version, product, address and hash are bound. */
#define TS_IMAGE_SIGNED_LEN  0x40u

enum ts_sig_type { TS_SIG_NONE = 0, TS_SIG_ECDSA_P256 = 1 };

struct ts_image_header {
	uint16_t hdr_version;   /* TS_IMAGE_HDR_VERSION */
	uint16_t hdr_size;      /* TS_IMAGE_HDR_SIZE */
	uint32_t load_addr;     /* address of the application's first byte
	                           (its vector table): slot base + hdr_size */
	uint32_t app_size;      /* bytes of application after the header */
	uint32_t version;       /* packed semantic version, see version.h */
	uint32_t flags;         /* reserved for future use, must be 0 */
	uint32_t product_id;    /* user-chosen product identifier */
	uint32_t security_counter; /* anti-rollback: the bootloader refuses an
	                           image below the journal's minimum (signed;
	                           0 in images packed before the field existed) */
	uint8_t app_sha256[TS_SHA256_LEN]; /* SHA-256 of the application bytes */
	uint16_t sig_type;      /* enum ts_sig_type */
	uint16_t sig_len;       /* 0, or 64 for ECDSA P-256 (r || s) */
	uint8_t sig[TS_IMAGE_SIG_MAX];
	uint8_t key_id[TS_IMAGE_KEY_ID_LEN]; /* signed: which key (SHA-256 of its
	                           65-byte point, first 4 bytes); else zero */
};

/* Write the 512 header bytes (magic, reserved zeros and CRC included). */
void ts_image_header_encode(const struct ts_image_header *h,
			    uint8_t out[TS_IMAGE_HDR_SIZE]);

/*
 * Parse and self-check 512 header bytes: TS_ERR_BLANK (all 0xFF: empty slot),
 * TS_ERR_MAGIC, TS_ERR_HDR_VERSION, TS_ERR_CRC, TS_ERR_RESERVED, TS_ERR_INVAL
 * (bad signature type/length or flags). On success *h is filled.
 */
int ts_image_header_parse(const uint8_t in[TS_IMAGE_HDR_SIZE],
			  struct ts_image_header *h);

/* The slot this header was linked for: TS_ERR_ADDR when load_addr is no
 * slot's, TS_ERR_SIZE when app_size is 0 or the image exceeds the slot. */
int ts_image_header_slot(const struct ts_image_header *h, enum ts_slot *slot);

/* Vector-table plausibility: initial SP inside SRAM or CCM (top included,
 * 4-byte aligned), reset handler inside the application with the Thumb bit.
 * Returns TS_OK or TS_ERR_VECTOR. */
int ts_image_check_vectors(const struct ts_image_header *h, uint32_t initial_sp,
			   uint32_t reset_handler);

/*
 * Full validation of an image held in memory (memory-mapped flash in the
 * bootloader, a file's bytes in the tools): parse the header, check it was
 * linked for `slot` and fits, check the vector table, hash the application.
 * `image` must hold at least TS_IMAGE_HDR_SIZE bytes; `len` is how many bytes
 * are readable from it (the slot size in firmware). `tick`, when not NULL, is
 * called between 4 KB chunks of hashing (the bootloader feeds its watchdog).
 */
int ts_image_validate(const uint8_t *image, uint32_t len, enum ts_slot slot,
		      struct ts_image_header *h, void (*tick)(void));

/*
 * The two halves of ts_image_validate(), for a caller that decides whether
 * the hash is needed (the bootloader trusts a confirmed image's header:
 * docs/bootloader.md). ts_image_check_header() is everything but the hash
 * (header, slot, size, vector table; reads 520 bytes); ts_image_check_hash()
 * hashes the h->app_size application bytes after a header it accepted:
 * TS_OK or TS_ERR_HASH.
 */
int ts_image_check_header(const uint8_t *image, uint32_t len, enum ts_slot slot,
			  struct ts_image_header *h);
int ts_image_check_hash(const uint8_t *image, const struct ts_image_header *h,
			void (*tick)(void));

/* A signer's key id: the first TS_IMAGE_KEY_ID_LEN bytes of SHA-256 over its
 * 65-byte uncompressed P-256 public point (0x04 || X || Y). */
#define TS_PUBKEY_LEN 65u
void ts_image_key_id(const uint8_t point[TS_PUBKEY_LEN], uint8_t id[TS_IMAGE_KEY_ID_LEN]);
/* The digest a signature covers: SHA-256 of header bytes [0, TS_IMAGE_SIGNED_LEN). */
void ts_image_signed_digest(const uint8_t hdr[TS_IMAGE_HDR_SIZE], uint8_t digest[TS_SHA256_LEN]);
#endif
