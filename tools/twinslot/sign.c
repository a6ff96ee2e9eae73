/* Signing and verifying image headers with OpenSSL (see sign.h). */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli.h"
#include "ts_linux.h"
#include "twinslot/err.h"
#include "twinslot/sha256.h"

static void ossl_why(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, n);
	else
		snprintf(buf, n, "unknown OpenSSL error");
	ERR_clear_error();
}

void ts_sign_key_id_hex(const uint8_t id[TS_IMAGE_KEY_ID_LEN], char out[9])
{
	for (unsigned i = 0; i < TS_IMAGE_KEY_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static int point_of(EVP_PKEY *k, uint8_t point[TS_PUBKEY_LEN], const char *path, char *msg,
		    size_t n)
{
	char group[32] = "";
	size_t len = 0;
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					    NULL) ||
	    strcmp(group, "prime256v1") != 0) {
		snprintf(msg, n, "%s: not an ECDSA P-256 key (%s%s): twinslot signs with P-256 "
			 "only (twinslot keygen)", path,
			 EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "curve " : "type ",
			 EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? group : EVP_PKEY_get0_type_name(k));
		return TS_ERR_FORMAT;
	}
	/* Uncompressed, whatever the file held. */
	EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
				       "uncompressed");
	if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, TS_PUBKEY_LEN,
					     &len) ||
	    len != TS_PUBKEY_LEN || point[0] != 0x04) {
		snprintf(msg, n, "%s: cannot read the public point of the key", path);
		return TS_ERR_FORMAT;
	}
	return TS_OK;
}

/* A key file is small and holds one PEM block: nothing but white space may
 * follow its END line (trailing bytes mean a wrong paste or the wrong file). */
#define TS_KEY_FILE_MAX 8192
static int key_file_small(FILE *f, const char *path, const char *what, char *msg, size_t n)
{
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > TS_KEY_FILE_MAX) {
		snprintf(msg, n, "%s: %lld bytes: too large for a PEM %s (at most %d)", path,
			 (long long)st.st_size, what, TS_KEY_FILE_MAX);
		return TS_ERR_FORMAT;
	}
	return TS_OK;
}

static int nothing_after(FILE *f, const char *path, const char *what, char *msg, size_t n)
{
	int c;
	while ((c = fgetc(f)) != EOF)
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			snprintf(msg, n, "%s: bytes after the PEM %s's END line: one key per file, "
				 "nothing after it", path, what);
			return TS_ERR_FORMAT;
		}
	return TS_OK;
}

int ts_sign_load_pubkey(const char *path, uint8_t point[TS_PUBKEY_LEN], char *msg, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(msg, n, "%s: cannot open the public key: %s", path, strerror(errno));
		return TS_ERR_IO;
	}
	if (key_file_small(f, path, "public key", msg, n) != TS_OK) {
		fclose(f);
		return TS_ERR_FORMAT;
	}
	EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!k) {
		rewind(f);
		ERR_clear_error();
		/* A private key's public half; never prompts for a pass phrase. */
		k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	}
	if (k && nothing_after(f, path, "public key", msg, n) != TS_OK) {
		EVP_PKEY_free(k);
		fclose(f);
		return TS_ERR_FORMAT;
	}
	fclose(f);
	if (!k) {
		ERR_clear_error();
		snprintf(msg, n, "%s: not a PEM public key (expected -----BEGIN PUBLIC KEY-----, "
			 "as twinslot keygen or openssl pkey -pubout write it)", path);
		return TS_ERR_FORMAT;
	}
	int err = point_of(k, point, path, msg, n);
	EVP_PKEY_free(k);
	return err;
}

int ts_sign_load_trusted(struct ts_trusted *t, const char *const *paths, size_t npaths,
			 char *msg, size_t n)
{
	memset(t, 0, sizeof(*t));
	if (npaths > TS_SIGN_KEYS_MAX) {
		snprintf(msg, n, "%zu public keys given: at most %u are trusted at a time "
			 "(rotation keeps the old and the new)", npaths, TS_SIGN_KEYS_MAX);
		return TS_ERR_INVAL;
	}
	for (size_t i = 0; i < npaths; i++) {
		int err = ts_sign_load_pubkey(paths[i], t->point[i], msg, n);
		if (err)
			return err;
		t->path[i] = paths[i];
		t->n++;
	}
	return TS_OK;
}

int ts_sign_keygen(const char *dir, char *msg, size_t n)
{
	char priv[4096], pub[4096];
	int err = TS_ERR_IO;
	if ((size_t)snprintf(priv, sizeof priv, "%s/signing-key.pem", dir) >= sizeof priv ||
	    (size_t)snprintf(pub, sizeof pub, "%s/signing-key.pub.pem", dir) >= sizeof pub) {
		snprintf(msg, n, "%s: path too long", dir);
		return TS_ERR_INVAL;
	}
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (!k) {
		char why[200];
		ossl_why(why, sizeof why);
		snprintf(msg, n, "cannot generate a P-256 key: %s", why);
		return TS_ERR_IO;
	}
	/* O_EXCL: an existing signing key is never replaced (it may be the only
	 * copy of the vendor's key). 0600 from the start: no window where the
	 * file is readable by others. */
	int fd = open(priv, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(msg, n, "%s: %s%s", priv, strerror(errno),
			 errno == EEXIST ? ": refusing to overwrite a signing key" : "");
		EVP_PKEY_free(k);
		return errno == EEXIST ? TS_ERR_STATE : TS_ERR_IO;
	}
	FILE *f = fdopen(fd, "w");
	FILE *g = NULL;
	if (!f) {
		close(fd);
		snprintf(msg, n, "%s: %s", priv, strerror(errno));
		goto out;
	}
	if (!PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		snprintf(msg, n, "%s: cannot write the private key", priv);
		goto out;
	}
	int pfd = open(pub, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pfd < 0 || !(g = fdopen(pfd, "w"))) {
		if (pfd >= 0)
			close(pfd);
		snprintf(msg, n, "%s: %s", pub, strerror(errno));
		goto out;
	}
	if (!PEM_write_PUBKEY(g, k) || fflush(g) != 0) {
		snprintf(msg, n, "%s: cannot write the public key", pub);
		goto out;
	}
	err = TS_OK;
out:
	if (f)
		fclose(f);
	if (g)
		fclose(g);
	if (err) {
		unlink(priv);
		unlink(pub);
	}
	EVP_PKEY_free(k);
	return err;
}

int ts_sign_header(uint8_t hdr[TS_IMAGE_HDR_SIZE], const char *key_path, char *msg, size_t n)
{
	struct ts_image_header h;
	int err = ts_image_header_parse(hdr, &h);
	if (err) {
		snprintf(msg, n, "internal error: the header to sign does not parse: %s",
			 ts_strerror(err));
		return err;
	}
	FILE *f = fopen(key_path, "r");
	if (!f) {
		snprintf(msg, n, "%s: cannot open the signing key: %s", key_path, strerror(errno));
		return TS_ERR_IO;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		snprintf(msg, n, "%s: the signing key is readable or writable by group or "
			 "others (mode %03o): chmod 600 it (and consider it exposed)", key_path,
			 (unsigned)(st.st_mode & 0777));
		return TS_ERR_DENIED;
	}
	if (key_file_small(f, key_path, "private key", msg, n) != TS_OK) {
		fclose(f);
		return TS_ERR_FORMAT;
	}
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (k && nothing_after(f, key_path, "private key", msg, n) != TS_OK) {
		EVP_PKEY_free(k);
		fclose(f);
		return TS_ERR_FORMAT;
	}
	fclose(f);
	if (!k) {
		ERR_clear_error();
		snprintf(msg, n, "%s: not a PEM private key (expected PKCS#8, -----BEGIN PRIVATE "
			 "KEY-----, as twinslot keygen writes it)", key_path);
		return TS_ERR_FORMAT;
	}
	uint8_t point[TS_PUBKEY_LEN], digest[TS_SHA256_LEN];
	if ((err = point_of(k, point, key_path, msg, n)) != TS_OK) {
		EVP_PKEY_free(k);
		return err;
	}
	h.sig_type = TS_SIG_ECDSA_P256;
	h.sig_len = 64;
	memset(h.sig, 0, sizeof h.sig);
	ts_image_key_id(point, h.key_id);
	ts_image_header_encode(&h, hdr);
	ts_image_signed_digest(hdr, digest);

	unsigned char der[80];
	size_t derlen = sizeof der;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	ECDSA_SIG *s = NULL;
	err = TS_ERR_IO;
	if (ctx && EVP_PKEY_sign_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_sign(ctx, der, &derlen, digest, sizeof digest) > 0) {
		const unsigned char *p = der;
		s = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		const BIGNUM *r, *ss;
		if (s) {
			ECDSA_SIG_get0(s, &r, &ss);
			if (BN_bn2binpad(r, h.sig, 32) == 32 && BN_bn2binpad(ss, h.sig + 32, 32) == 32)
				err = TS_OK;
		}
	}
	if (err) {
		char why[200];
		ossl_why(why, sizeof why);
		snprintf(msg, n, "%s: signing failed: %s", key_path, why);
	} else {
		ts_image_header_encode(&h, hdr);
	}
	ECDSA_SIG_free(s);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return err;
}

int ts_sign_verify_header(const uint8_t hdr[TS_IMAGE_HDR_SIZE], const struct ts_trusted *t,
			  size_t *which, char *msg, size_t n)
{
	struct ts_image_header h;
	int err = ts_image_header_parse(hdr, &h);
	if (err) {
		snprintf(msg, n, "the header does not parse: %s", ts_strerror(err));
		return err;
	}
	if (h.sig_type != TS_SIG_ECDSA_P256) {
		snprintf(msg, n, "unsigned (sig_type 0): not the vendor's release");
		return TS_ERR_AUTH;
	}
	char id[9];
	ts_sign_key_id_hex(h.key_id, id);
	for (size_t i = 0; i < t->n; i++) {
		uint8_t kid[TS_IMAGE_KEY_ID_LEN], digest[TS_SHA256_LEN];
		ts_image_key_id(t->point[i], kid);
		if (memcmp(kid, h.key_id, sizeof kid) != 0)
			continue;
		ts_image_signed_digest(hdr, digest);
		err = ts_crypto_openssl_ops.ecdsa_p256_verify(NULL, t->point[i], digest, h.sig);
		if (err == TS_OK) {
			if (which)
				*which = i;
			snprintf(msg, n, "signature ok: ecdsa-p256, key id %s (%s)", id, t->path[i]);
			return TS_OK;
		}
		snprintf(msg, n, "signature by key id %s (%s) does NOT verify: the header was "
			 "changed after signing, or the signature is forged", id, t->path[i]);
		return TS_ERR_AUTH;
	}
	snprintf(msg, n, "signed by key id %s, which is none of the %zu public key%s given", id,
		 t->n, t->n == 1 ? "" : "s");
	return TS_ERR_AUTH;
}

int ts_sign_trust_options(const char *cmd, const struct ts_args *a, struct ts_update_cfg *cfg)
{
	const char *vals[16];
	size_t nv = ts_arg_list(a, "--pubkey", vals, 16);
	char msg[600], path[4096];
	if (nv > 16) {
		ts_cli_err(cmd, "--pubkey given %zu times: at most %u keys are trusted at a time",
			   nv, TS_UPDATE_KEYS_MAX);
		return TS_EXIT_USAGE;
	}
	for (size_t i = 0; i < nv; i++) {
		for (const char *p = vals[i]; *p;) {
			size_t len = strcspn(p, ",");
			while (len && p[len - 1] == ' ')
				len--;
			if (len >= sizeof path) {
				ts_cli_err(cmd, "--pubkey: path too long");
				return TS_EXIT_USAGE;
			}
			memcpy(path, p, len);
			path[len] = 0;
			p += strcspn(p, ",");
			if (*p == ',')
				p++;
			while (*p == ' ')
				p++;
			if (!len)
				continue;
			uint8_t point[TS_PUBKEY_LEN];
			if (ts_sign_load_pubkey(path, point, msg, sizeof msg) != TS_OK) {
				ts_cli_err(cmd, "--pubkey %s", msg);
				return TS_EXIT_REFUSED; /* the file, not the command line */
			}
			if (ts_update_add_key(cfg, point) != TS_OK) {
				ts_cli_err(cmd, "--pubkey: more than %u public keys: at most %u are "
					   "trusted at a time (rotation keeps the old and the new)",
					   TS_UPDATE_KEYS_MAX, TS_UPDATE_KEYS_MAX);
				return TS_EXIT_USAGE;
			}
		}
	}
	cfg->allow_unsigned = ts_flag(a, "--allow-unsigned");
	if (cfg->allow_unsigned)
		fprintf(stderr, "twinslot %s: WARNING: --allow-unsigned: images without a "
			"signature%s will be installed; anyone who can write the release can run "
			"code on the board (development only)\n", cmd,
			cfg->nkeys ? "" : " or with a signature that is not checked (no --pubkey)");
	return 0;
}
