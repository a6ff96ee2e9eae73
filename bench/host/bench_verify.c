/*
 * The cost of the host's signature check: one ECDSA P-256 verify through the
 * Linux port's crypto concern (point to EVP_PKEY, r || s to DER, verify), as
 * ts_update_check runs it once per update, plus the SHA-256 of the 64 signed
 * header bytes. Prints the median of N runs in microseconds; docs/security.md
 * sets it against the time of a 256 KB update.
 *
 * usage: bench_verify [N]   (default 2000)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "ts_linux.h"
#include "twinslot/err.h"
#include "twinslot/image.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	if (n < 1)
		n = 1;
	uint8_t hdr[TS_IMAGE_HDR_SIZE], digest[32], point[65], sig[64];
	memset(hdr, 0x5A, sizeof hdr);
	EVP_PKEY *k = EVP_EC_gen("P-256");
	size_t plen = 0;
	if (!k || !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
						   &plen) || plen != 65)
		return 1;
	ts_image_signed_digest(hdr, digest);
	unsigned char der[80];
	size_t dl = sizeof der;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	if (EVP_PKEY_sign_init(c) <= 0 || EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) <= 0 ||
	    EVP_PKEY_sign(c, der, &dl, digest, 32) <= 0)
		return 1;
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	const BIGNUM *r, *ss;
	ECDSA_SIG_get0(s, &r, &ss);
	BN_bn2binpad(r, sig, 32);
	BN_bn2binpad(ss, sig + 32, 32);

	double *t = malloc(sizeof(double) * (size_t)n);
	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		ts_image_signed_digest(hdr, digest);
		int err = ts_crypto_openssl_ops.ecdsa_p256_verify(NULL, point, digest, sig);
		t[i] = now_us() - t0;
		if (err != TS_OK) {
			fprintf(stderr, "verify failed: %d\n", err);
			return 1;
		}
	}
	sig[10] ^= 1;
	if (ts_crypto_openssl_ops.ecdsa_p256_verify(NULL, point, digest, sig) != TS_ERR_AUTH) {
		fprintf(stderr, "a changed signature verified\n");
		return 1;
	}
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("ecdsa-p256 verify (port crypto, OpenSSL %s): median %.1f us, p99 %.1f us, "
	       "n=%d\n", OPENSSL_VERSION_STR, t[n / 2], t[(n * 99) / 100], n);
	free(t);
	ECDSA_SIG_free(s);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	return 0;
}
