/*
 * twinslot inspect: show an image's header for people (or as one JSON object
 * for scripts) and check the image against it: slot, size, vector table and
 * the SHA-256 of the application bytes. Any problem: message on stderr,
 * exit 1. A header that does not parse prints nothing on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"
#include "output.h"
#include "sign.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/sha256.h"
#include "twinslot/version.h"

static const char CMD[] = "inspect";

static const char USAGE[] =
	"usage: twinslot inspect IMAGE [--json] [--pubkey PUB.pem ...]\n"
	"\n"
	"Prints the header of a twinslot image (magic, header version, CRC, slot,\n"
	"load address, application size, version, product, SHA-256, signature) and\n"
	"checks the image: slot and size, vector table, and the SHA-256 of the\n"
	"application bytes against the header. --json prints one JSON object.\n"
	"The signature's type and key id are shown; with --pubkey (repeatable) it\n"
	"is verified too, and an image that does not verify is refused.\n"
	"Exit codes: 0 image ok, 1 image refused or unreadable, 2 usage error.\n";

struct report {
	const char *file;
	size_t file_size;
	struct ts_image_header h;
	bool slot_ok;
	enum ts_slot slot;
	bool app_complete;    /* the file holds app_size bytes after the header */
	bool vectors_known, vectors_ok;
	uint32_t sp, reset;
	bool hash_ok;
	char actual[2 * TS_SHA256_LEN + 1];
	bool sig_checked, sig_ok;
	char sig_msg[600];
};

static const char *sig_name(uint16_t t)
{
	return t == TS_SIG_ECDSA_P256 ? "ecdsa-p256" : "none";
}

static void print_json(const struct report *r)
{
	const struct ts_image_header *h = &r->h;
	char ver[TS_VERSION_STR_MAX], hex[2 * TS_SHA256_LEN + 1];
	ts_version_format(h->version, ver);
	ts_hex(h->app_sha256, TS_SHA256_LEN, hex);

	fputs("{\"file\":", stdout);
	ts_json_str(stdout, r->file);
	printf(",\"file_size\":%zu,\"magic_ok\":true,\"header_crc_ok\":true,"
	       "\"hdr_version\":%u,\"hdr_size\":%u,", r->file_size,
	       h->hdr_version, h->hdr_size);
	if (r->slot_ok)
		printf("\"slot\":\"%c\",", ts_slot_name(r->slot));
	else
		fputs("\"slot\":null,", stdout);
	printf("\"load_addr\":%u,\"app_size\":%u,\"version\":\"%s\","
	       "\"version_packed\":%u,\"product_id\":%u,\"security_counter\":%u,"
	       "\"flags\":%u,\"sha256\":\"%s\",\"sig_type\":\"%s\",\"sig_len\":%u,",
	       h->load_addr, h->app_size, ver, h->version, h->product_id,
	       h->security_counter, h->flags, hex, sig_name(h->sig_type), h->sig_len);
	if (h->sig_type) {
		char id[9];
		ts_sign_key_id_hex(h->key_id, id);
		printf("\"key_id\":\"%s\",", id);
	} else {
		fputs("\"key_id\":null,", stdout);
	}
	printf("\"sig_ok\":%s,", r->sig_checked ? (r->sig_ok ? "true" : "false") : "null");
	if (r->vectors_known)
		printf("\"initial_sp\":%u,\"reset_handler\":%u,", r->sp, r->reset);
	else
		fputs("\"initial_sp\":null,\"reset_handler\":null,", stdout);
	printf("\"vectors_ok\":%s,\"hash_ok\":%s,\"ok\":%s}\n",
	       r->vectors_ok ? "true" : "false", r->hash_ok ? "true" : "false",
	       r->slot_ok && r->vectors_ok && r->hash_ok && (!r->sig_checked || r->sig_ok)
		       ? "true" : "false");
}

static void print_text(const struct report *r)
{
	const struct ts_image_header *h = &r->h;
	char ver[TS_VERSION_STR_MAX], hex[2 * TS_SHA256_LEN + 1];
	ts_version_format(h->version, ver);
	ts_hex(h->app_sha256, TS_SHA256_LEN, hex);

	printf("file: %s (%zu bytes)\n", r->file, r->file_size);
	printf("magic: ok\n");
	printf("header: version %u, %u bytes, CRC ok\n", h->hdr_version, h->hdr_size);
	if (r->slot_ok)
		printf("slot: %c\n", ts_slot_name(r->slot));
	else
		printf("slot: none (refused)\n");
	printf("load address: 0x%08x\n", h->load_addr);
	printf("app size: %u bytes\n", h->app_size);
	printf("version: %s\n", ver);
	printf("product: 0x%08x\n", h->product_id);
	printf("security counter: %u\n", h->security_counter);
	printf("flags: 0x%08x\n", h->flags);
	printf("sha256: %s\n", hex);
	if (r->hash_ok)
		printf("sha256 check: ok\n");
	else if (r->app_complete)
		printf("sha256 check: MISMATCH (application bytes hash to %s)\n", r->actual);
	else
		printf("sha256 check: not possible (application truncated)\n");
	if (r->vectors_known)
		printf("vectors: %s (initial SP 0x%08x, reset handler 0x%08x)\n",
		       r->vectors_ok ? "ok" : "IMPLAUSIBLE", r->sp, r->reset);
	else
		printf("vectors: not available\n");
	char id[9];
	ts_sign_key_id_hex(h->key_id, id);
	if (h->sig_type == TS_SIG_ECDSA_P256)
		printf("signature: ecdsa-p256, key id %s\n", id);
	else
		printf("signature: none\n");
	if (r->sig_checked)
		printf("signature check: %s\n", r->sig_ok ? "ok" : "FAILED");
}

static const struct ts_optdef OPTS[] = {
	{ "--json", NULL, NULL, "one JSON object on stdout" },
	{ "--pubkey", NULL, "PEM...", "verify the signature with this public key (repeatable)" },
};

static const struct ts_cmdspec SPEC = {
	"inspect", USAGE, OPTS, 2, 1, NULL, NULL, 0,
};

int ts_cmd_inspect(int argc, char **argv)
{
	struct ts_args a;
	int pr = ts_args_parse(&SPEC, argc, argv, &a);
	if (pr != TS_ARGS_OK)
		return pr == TS_ARGS_HELP ? TS_EXIT_OK : TS_EXIT_USAGE;
	const char *file = a.npos ? a.pos[0] : NULL;
	bool json = ts_flag(&a, "--json");
	if (!file) {
		ts_cli_err(CMD, "needs an IMAGE (see twinslot inspect --help)");
		return TS_EXIT_USAGE;
	}

	char msg[512];
	struct ts_trusted trusted;
	const char *keys[TS_SIGN_KEYS_MAX + 1];
	size_t nkeys = ts_arg_list(&a, "--pubkey", keys, TS_SIGN_KEYS_MAX + 1);
	if (ts_sign_load_trusted(&trusted, keys, nkeys, msg, sizeof msg) != TS_OK) {
		ts_cli_err(CMD, "%s", msg);
		ts_args_free(&a);
		return TS_EXIT_REFUSED;
	}
	uint8_t *data;
	size_t len;
	if (ts_read_file(file, &data, &len, msg, sizeof(msg)) != TS_OK) {
		ts_cli_err(CMD, "%s: %s", file, msg);
		return TS_EXIT_REFUSED;
	}
	int rc = TS_EXIT_REFUSED;
	struct report r;
	memset(&r, 0, sizeof(r));
	r.file = file;
	r.file_size = len;
	if (len < TS_IMAGE_HDR_SIZE) {
		ts_cli_err(CMD, "%s: too short for an image: %zu bytes, the header "
			   "alone is %u", file, len, TS_IMAGE_HDR_SIZE);
		goto out;
	}
	int err = ts_image_header_parse(data, &r.h);
	if (err != TS_OK) {
		ts_cli_err(CMD, "%s: %s", file, ts_header_problem(err));
		goto out;
	}

	/* The header parsed: report everything, then the problems. */
	const struct ts_image_header *h = &r.h;
	size_t avail = len - TS_IMAGE_HDR_SIZE;
	const uint8_t *app = data + TS_IMAGE_HDR_SIZE;
	err = ts_image_header_slot(h, &r.slot);
	r.slot_ok = err == TS_OK;
	r.app_complete = avail >= h->app_size;
	if (h->app_size >= 8u && avail >= 8u) {
		r.vectors_known = true;
		r.sp = ts_get32(app);
		r.reset = ts_get32(app + 4);
		r.vectors_ok = ts_image_check_vectors(h, r.sp, r.reset) == TS_OK;
	}
	if (r.app_complete) {
		uint8_t digest[TS_SHA256_LEN];
		ts_sha256(app, h->app_size, digest);
		ts_hex(digest, TS_SHA256_LEN, r.actual);
		r.hash_ok = memcmp(digest, h->app_sha256, TS_SHA256_LEN) == 0;
	}
	if (nkeys) {
		r.sig_checked = true;
		r.sig_ok = ts_sign_verify_header(data, &trusted, NULL, r.sig_msg,
						 sizeof r.sig_msg) == TS_OK;
	}
	if (json)
		print_json(&r);
	else
		print_text(&r);
	fflush(stdout);

	if (err == TS_ERR_ADDR)
		ts_cli_err(CMD, "%s: load address 0x%08x is no slot's (slot A: "
			   "0x%08x, slot B: 0x%08x)", file, h->load_addr,
			   TS_SLOT_A_ADDR + TS_IMAGE_HDR_SIZE,
			   TS_SLOT_B_ADDR + TS_IMAGE_HDR_SIZE);
	else if (err != TS_OK)
		ts_cli_err(CMD, "%s: application size %u is out of range (1..%u)",
			   file, h->app_size, TS_IMAGE_MAX_APP);
	if (!r.app_complete)
		ts_cli_err(CMD, "%s: truncated: the header says %u application bytes, "
			   "the file has %zu after the header", file, h->app_size, avail);
	else if (!r.hash_ok) {
		char want[2 * TS_SHA256_LEN + 1];
		ts_hex(h->app_sha256, TS_SHA256_LEN, want);
		ts_cli_err(CMD, "%s: sha256 mismatch: the header says %s, the %u "
			   "application bytes hash to %s: the image is corrupted",
			   file, want, h->app_size, r.actual);
	}
	if (r.vectors_known && !r.vectors_ok) {
		ts_explain_vectors(h, r.sp, r.reset, msg, sizeof(msg));
		ts_cli_err(CMD, "%s: %s", file, msg);
	} else if (!r.vectors_known) {
		ts_cli_err(CMD, "%s: no vector table: the application is shorter "
			   "than 8 bytes", file);
	}
	if (r.app_complete && avail > h->app_size)
		fprintf(stderr, "twinslot inspect: %s: note: %zu bytes after the "
			"application are not part of the image\n", file,
			avail - h->app_size);
	if (r.sig_checked && !r.sig_ok)
		ts_cli_err(CMD, "%s: %s", file, r.sig_msg);
	if (r.slot_ok && r.vectors_ok && r.hash_ok && (!r.sig_checked || r.sig_ok))
		rc = TS_EXIT_OK;
out:
	free(data);
	ts_args_free(&a);
	return rc;
}
