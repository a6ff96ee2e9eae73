/*
 * twinslot keygen and twinslot verify: the vendor's signing key pair, and
 * checking a release's signatures against trusted public keys the way the
 * host checks them before it installs (docs/security.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "opts.h"
#include "sign.h"
#include "twinslot/err.h"

/* ---- keygen ---- */

static const char KG_USAGE[] =
	"usage: twinslot keygen --out-dir DIR\n"
	"\n"
	"Generates an ECDSA P-256 key pair for signing releases:\n"
	"  DIR/signing-key.pem      the private key (PKCS#8 PEM, mode 0600): keep it\n"
	"                           offline, never on a host or in a bucket\n"
	"  DIR/signing-key.pub.pem  the public key (SubjectPublicKeyInfo PEM): give it\n"
	"                           to hosts with --pubkey\n"
	"Both are the files openssl writes ('openssl pkey' reads them). An existing\n"
	"signing-key.pem is never overwritten. Prints the key id (the first 4 bytes of\n"
	"SHA-256 of the public point) that signed images name.\n"
	"Exit codes: 0 written, 1 refused (exists, unwritable), 2 usage error.\n";

static const struct ts_optdef KG_OPTS[] = {
	{ "--out-dir", NULL, "DIR", "where the two PEM files go (created if missing)" },
};
static const struct ts_cmdspec KG_SPEC = { "keygen", KG_USAGE, KG_OPTS, 1, 0, NULL, NULL, 0 };

int ts_cmd_keygen(int argc, char **argv)
{
	struct ts_args a;
	int r = ts_args_parse(&KG_SPEC, argc, argv, &a);
	if (r != TS_ARGS_OK)
		return r == TS_ARGS_HELP ? TS_EXIT_OK : TS_EXIT_USAGE;
	const char *dir = ts_arg(&a, "--out-dir");
	int rc = TS_EXIT_REFUSED;
	char msg[600], path[4096], id[9];
	uint8_t point[TS_PUBKEY_LEN], kid[TS_IMAGE_KEY_ID_LEN];
	if (!dir) {
		ts_cli_err("keygen", "needs --out-dir DIR (see twinslot keygen --help)");
		rc = TS_EXIT_USAGE;
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		ts_cli_err("keygen", "%s: cannot create the directory: %s", dir, strerror(errno));
		goto out;
	}
	if (ts_sign_keygen(dir, msg, sizeof msg) != TS_OK) {
		ts_cli_err("keygen", "%s", msg);
		goto out;
	}
	snprintf(path, sizeof path, "%s/signing-key.pub.pem", dir);
	if (ts_sign_load_pubkey(path, point, msg, sizeof msg) != TS_OK) {
		ts_cli_err("keygen", "%s", msg);
		goto out;
	}
	ts_image_key_id(point, kid);
	ts_sign_key_id_hex(kid, id);
	printf("%s/signing-key.pem: private key (0600): keep offline\n", dir);
	char hex[2 * TS_PUBKEY_LEN + 1];
	ts_hex(point, sizeof point, hex);
	printf("%s: public key, key id %s\n", path, id);
	printf("public point (for a host without PEM files, e.g. the ESP32 example's\n"
	       "CONFIG_EXAMPLE_PUBKEY_HEX): %s\n", hex);
	rc = TS_EXIT_OK;
out:
	ts_args_free(&a);
	return rc;
}

/* ---- verify ---- */

static const char VF_USAGE[] =
	"usage: twinslot verify --pubkey PUB.pem [--pubkey PUB2.pem ...] IMAGE|RELEASE_DIR\n"
	"\n"
	"Checks each image (IMAGE, or RELEASE_DIR/slot-a.img and slot-b.img) as a\n"
	"host checks it before installing: header, slot, vector table, SHA-256 of\n"
	"the application, and the ECDSA P-256 signature over header bytes\n"
	"0x00-0x3F by one of the public keys (up to 4, found by the key id the\n"
	"header names). One line per image.\n"
	"Exit codes: 0 every image verifies, 1 one is unsigned, signed by another\n"
	"key, tampered or unreadable, 2 usage error.\n";

static const struct ts_optdef VF_OPTS[] = {
	{ "--pubkey", NULL, "PEM...", "a trusted public key (repeatable, up to 4)" },
};
static const struct ts_cmdspec VF_SPEC = { "verify", VF_USAGE, VF_OPTS, 1, 1, NULL, NULL, 0 };

/* slot: the slot the file's name says (a release directory), or -1. */
static int verify_one(const char *path, int slot, const struct ts_trusted *t)
{
	uint8_t *data;
	size_t len;
	struct ts_image_header h;
	char msg[600];
	if (ts_load_image("verify", path, slot, &data, &len, &h) != TS_EXIT_OK)
		return TS_EXIT_REFUSED;
	int err = ts_sign_verify_header(data, t, NULL, msg, sizeof msg);
	free(data);
	if (err) {
		ts_cli_err("verify", "%s: %s", path, msg);
		return TS_EXIT_REFUSED;
	}
	printf("%s: ok (slot %c, %s)\n", path, h.load_addr == TS_SLOT_A_ADDR + TS_IMAGE_HDR_SIZE
							? 'A' : 'B', msg);
	return TS_EXIT_OK;
}

int ts_cmd_verify(int argc, char **argv)
{
	struct ts_args a;
	int r = ts_args_parse(&VF_SPEC, argc, argv, &a);
	if (r != TS_ARGS_OK)
		return r == TS_ARGS_HELP ? TS_EXIT_OK : TS_EXIT_USAGE;
	const char *keys[TS_SIGN_KEYS_MAX + 1];
	size_t nkeys = ts_arg_list(&a, "--pubkey", keys, TS_SIGN_KEYS_MAX + 1);
	int rc = TS_EXIT_USAGE;
	char msg[600];
	struct ts_trusted t;
	if (!nkeys || a.npos != 1) {
		ts_cli_err("verify", "needs --pubkey PEM and one IMAGE or RELEASE_DIR (see "
			   "twinslot verify --help)");
		goto out;
	}
	rc = TS_EXIT_REFUSED;
	if (ts_sign_load_trusted(&t, keys, nkeys, msg, sizeof msg) != TS_OK) {
		ts_cli_err("verify", "%s", msg);
		goto out;
	}
	struct stat st;
	const char *target = a.pos[0];
	if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
		static const char *const names[] = { "slot-a.img", "slot-b.img" };
		int found = 0, bad = 0;
		for (int s = 0; s < 2; s++) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", target, names[s]);
			if (stat(p, &st) != 0)
				continue;
			found++;
			bad |= verify_one(p, s, &t) != TS_EXIT_OK;
		}
		if (!found)
			ts_cli_err("verify", "%s: no slot-a.img or slot-b.img in it", target);
		else if (!bad)
			rc = TS_EXIT_OK;
	} else {
		rc = verify_one(target, -1, &t);
	}
out:
	ts_args_free(&a);
	return rc;
}
