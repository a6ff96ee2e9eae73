/* The ESP32 port's crypto concern: ECDSA P-256 verification with mbedTLS,
 * which ESP-IDF ships (and Debian too, which is what the suite links). Only
 * the functions whose signatures are the same in mbedTLS 2.28 and 3.x are
 * used. mbedTLS allocates its big numbers on the heap: the port's affair,
 * never the core's. */
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/bignum.h>

#include "esp32_port.h"
#include "twinslot/err.h"

static int verify(void *ctx, const uint8_t pubkey[65], const uint8_t digest[32],
		  const uint8_t sig[64])
{
	(void)ctx;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	int err = TS_ERR_INVAL;
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	    mbedtls_ecp_point_read_binary(&grp, &q, pubkey, 65) == 0 &&
	    mbedtls_ecp_check_pubkey(&grp, &q) == 0 &&
	    mbedtls_mpi_read_binary(&r, sig, 32) == 0 && mbedtls_mpi_read_binary(&s, sig + 32, 32) == 0)
		err = mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s) == 0 ? TS_OK : TS_ERR_AUTH;
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&r);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return err;
}

const struct ts_crypto_ops ts_esp32_crypto_ops = { verify };
