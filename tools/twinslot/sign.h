/*
 * Signing and verifying twinslot image headers with OpenSSL (docs/format.md,
 * "What the signature covers"; docs/security.md for key handling). Keys are
 * PEM files as openssl(1) writes them: the private key PKCS#8, the public key
 * SubjectPublicKeyInfo. Every function that can fail returns a negative
 * ts_err and leaves one sentence in msg (which file, what is wrong).
 */
#ifndef TWINSLOT_SIGN_H
#define TWINSLOT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "twinslot/image.h"
#include "twinslot/update.h"

#define TS_SIGN_KEYS_MAX 4

struct ts_trusted {
	uint8_t point[TS_SIGN_KEYS_MAX][TS_PUBKEY_LEN];
	const char *path[TS_SIGN_KEYS_MAX];
	size_t n;
};

/* Generate a P-256 key pair: DIR/signing-key.pem (0600, never overwritten)
 * and DIR/signing-key.pub.pem. */
int ts_sign_keygen(const char *dir, char *msg, size_t n);

/* Load a public key (or, for convenience, the public half of a private key)
 * as its 65-byte uncompressed point. */
int ts_sign_load_pubkey(const char *path, uint8_t point[TS_PUBKEY_LEN], char *msg, size_t n);
/* Load every path into t (at most TS_SIGN_KEYS_MAX). */
int ts_sign_load_trusted(struct ts_trusted *t, const char *const *paths, size_t npaths,
			 char *msg, size_t n);

/* Sign a header in place: sig_type 1, the key's id, r || s, CRC. The key file
 * must not be readable by group or others. */
int ts_sign_header(uint8_t hdr[TS_IMAGE_HDR_SIZE], const char *key_path, char *msg, size_t n);

/* Verify a parsed header against the trusted keys: TS_OK (and the index of
 * the key in *which), TS_ERR_AUTH (unsigned, unknown key id, bad signature;
 * msg says which). */
int ts_sign_verify_header(const uint8_t hdr[TS_IMAGE_HDR_SIZE], const struct ts_trusted *t,
			  size_t *which, char *msg, size_t n);

/* The board commands' trust settings: every --pubkey value (repeatable; a
 * value may also list several files separated by commas, for config files)
 * into cfg's trusted keys, and --allow-unsigned (with a warning on stderr
 * each run). Returns 0, or prints why not and returns the exit code:
 * TS_EXIT_REFUSED (1) for a key file that cannot be read or is not a PEM
 * public key, TS_EXIT_USAGE (2) for the options themselves. */
int ts_sign_trust_options(const char *cmd, const struct ts_args *a, struct ts_update_cfg *cfg);

/* The key id as 8 hex digits. */
void ts_sign_key_id_hex(const uint8_t id[TS_IMAGE_KEY_ID_LEN], char out[9]);

#endif
