/*
 * Inside the Linux port: the crypto concern on OpenSSL's libcrypto (3.x, no
 * deprecated EC_KEY calls). The public key arrives as the raw 65-byte
 * uncompressed point, the signature as r || s (docs/format.md); OpenSSL wants
 * an EVP_PKEY and a DER ECDSA-Sig-Value, so both are built here. The digest
 * is already computed by the core (SHA-256 of the header's signed bytes), so
 * this verifies a pre-hashed message: the same check as
 * `openssl pkeyutl -verify -pkeyopt digest:sha256`, or `openssl dgst -sha256
 * -verify` over the 64 signed bytes themselves.
 */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ts_linux.h"
#include "twinslot/err.h"

static EVP_PKEY *pkey_from_point(const uint8_t point[65])
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (bld && ctx &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* r || s to DER; returns the length or 0. */
static int sig_to_der(const uint8_t sig[64], unsigned char *der, int n)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	int len = 0;
	if (s && r && ss && ECDSA_SIG_set0(s, r, ss)) {
		r = ss = NULL; /* owned by s now */
		if (i2d_ECDSA_SIG(s, NULL) <= n) {
			unsigned char *p = der;
			len = i2d_ECDSA_SIG(s, &p);
		}
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return len > 0 ? len : 0;
}

static int verify(void *ctx, const uint8_t pubkey[65], const uint8_t digest[32],
		  const uint8_t sig[64])
{
	(void)ctx;
	unsigned char der[80];
	int derlen = sig_to_der(sig, der, (int)sizeof der);
	if (!derlen)
		return TS_ERR_AUTH;
	EVP_PKEY *pkey = pkey_from_point(pubkey);
	if (!pkey)
		return TS_ERR_INVAL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(pkey, NULL);
	int err = TS_ERR_IO; /* OpenSSL could not set up the check */
	if (pctx && EVP_PKEY_verify_init(pctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) > 0)
		/* 1: valid; 0 or negative (r or s out of range): not valid */
		err = EVP_PKEY_verify(pctx, der, (size_t)derlen, digest, 32) == 1 ? TS_OK
										   : TS_ERR_AUTH;
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	return err;
}

const struct ts_crypto_ops ts_crypto_openssl_ops = { verify };
