/*
 * twinslot pack: turn an application linked for a slot (ELF, or a raw binary
 * with its address) into that slot's image: 512-byte header + application.
 * Every input is checked before any output file is written; one refused input
 * means no output file at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "elf.h"
#include "opts.h"
#include "outfile.h"
#include "sign.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/manifest.h"
#include "twinslot/sha256.h"
#include "twinslot/version.h"

static const char CMD[] = "pack";

static const char USAGE[] =
	"usage: twinslot pack --version MAJOR.MINOR.PATCH\n"
	"                     [--slot-a APP_A.elf | --slot-a APP_A.bin --addr-a 0x08020200]\n"
	"                     [--slot-b APP_B.elf | --slot-b APP_B.bin --addr-b 0x08080200]\n"
	"                     --out-dir DIR [--product ID] [--key SIGNING-KEY.pem]\n"
	"                     [--security-counter N]\n"
	"\n"
	"Writes DIR/slot-a.img and/or DIR/slot-b.img: the 512-byte twinslot header\n"
	"followed by the application. Each application must be linked at its slot's\n"
	"base + 512: 0x08020200 for slot A, 0x08080200 for slot B. An ELF is read by\n"
	"its load (physical) addresses; a raw binary needs --addr-a/--addr-b.\n"
	"At least one slot is required. --product is a 32-bit number (default 0)\n"
	"or the product's name as the release manifest names it: the agent installs\n"
	"only images whose product id is the id of the manifest's name (the first 4\n"
	"bytes of SHA-256 of the name, little-endian).\n"
	"--key signs each image (ECDSA P-256 over SHA-256 of header bytes 0x00-0x3F,\n"
	"key from twinslot keygen); hosts install only signed images unless told\n"
	"--allow-unsigned. The key file must be mode 0600 (no group/other access).\n"
	"--security-counter (default 0, signed with the header): once an image with\n"
	"counter N has confirmed itself on a board, its bootloader refuses every\n"
	"image whose counter is below N (raise it when a release fixes a hole that\n"
	"older releases must never bring back; docs/security.md).\n"
	"\n"
	"Refused (exit 1, no output file written): a wrong load address, an image\n"
	"larger than the slot, an implausible vector table, a malformed version,\n"
	"an unreadable input, an input that is not a 32-bit little-endian ARM ELF.\n"
	"Exit codes: 0 written, 1 refused, 2 usage error.\n";

struct slot_job {
	enum ts_slot slot;
	const char *file;     /* --slot-x */
	const char *addr_opt; /* --addr-x value, NULL for an ELF */
	uint8_t *image;       /* header + application, malloc'd */
	size_t image_len;
	struct ts_image_header h;
	struct ts_outfile out;
};

static const char *opt_slot(enum ts_slot s)
{
	return s == TS_SLOT_A ? "--slot-a" : "--slot-b";
}

static const char *opt_addr(enum ts_slot s)
{
	return s == TS_SLOT_A ? "--addr-a" : "--addr-b";
}

/* Load the application bytes of one input: returns TS_EXIT_OK or prints and
 * returns TS_EXIT_REFUSED. */
static int load_app(struct slot_job *j, uint8_t **app, uint32_t *size, uint32_t *addr)
{
	char msg[512];
	uint8_t *raw;
	size_t len;

	if (ts_read_file(j->file, &raw, &len, msg, sizeof(msg)) != TS_OK) {
		ts_cli_err(CMD, "%s: %s", j->file, msg);
		return TS_EXIT_REFUSED;
	}
	if (j->addr_opt) {
		if (!ts_parse_u32(j->addr_opt, addr)) {
			ts_cli_err(CMD, "%s: %s \"%s\": expected an address such as 0x%08x",
				   j->file, opt_addr(j->slot), j->addr_opt,
				   ts_slot_addr(j->slot) + TS_IMAGE_HDR_SIZE);
			free(raw);
			return TS_EXIT_REFUSED;
		}
		if (ts_elf_is_elf(raw, len)) {
			ts_cli_err(CMD, "%s: is an ELF file, but %s says it is a raw "
				   "binary: drop %s to read the ELF", j->file,
				   opt_addr(j->slot), opt_addr(j->slot));
			free(raw);
			return TS_EXIT_REFUSED;
		}
		if (len > 0xFFFFFFFFu - *addr) {
			ts_cli_err(CMD, "%s: %zu bytes at 0x%08x run past the 32-bit "
				   "address space", j->file, len, *addr);
			free(raw);
			return TS_EXIT_REFUSED;
		}
		*app = raw;
		*size = (uint32_t)len;
		return TS_EXIT_OK;
	}
	if (!ts_elf_is_elf(raw, len)) {
		ts_cli_err(CMD, "%s: not an ELF file (it does not start with 0x7F "
			   "'ELF'); for a raw binary give its address with %s",
			   j->file, opt_addr(j->slot));
		free(raw);
		return TS_EXIT_REFUSED;
	}
	struct ts_elf_image elf;
	int err = ts_elf_load(raw, len, &elf, msg, sizeof(msg));
	free(raw);
	if (err != TS_OK) {
		ts_cli_err(CMD, "%s: %s", j->file, msg);
		return TS_EXIT_REFUSED;
	}
	*app = elf.data;
	*size = elf.size;
	*addr = elf.addr;
	return TS_EXIT_OK;
}

/* Build j->image from the input, or print why not. */
static int build_image(struct slot_job *j, uint32_t version, uint32_t product,
		       uint32_t counter)
{
	const uint32_t base = ts_slot_addr(j->slot);
	const uint32_t want = base + TS_IMAGE_HDR_SIZE;
	const char name = ts_slot_name(j->slot);
	uint8_t *app;
	uint32_t size, addr;
	char msg[512];

	if (load_app(j, &app, &size, &addr) != TS_EXIT_OK)
		return TS_EXIT_REFUSED;

	int rc = TS_EXIT_REFUSED;
	if (addr != want) {
		if (j->addr_opt)
			ts_cli_err(CMD, "%s: given address 0x%08x (%s), but slot %c's "
				   "application must start at 0x%08x (slot base 0x%08x "
				   "+ %u-byte header)", j->file, addr, opt_addr(j->slot),
				   name, want, base, TS_IMAGE_HDR_SIZE);
		else
			ts_cli_err(CMD, "%s: linked at 0x%08x, but slot %c's application "
				   "must start at 0x%08x (slot base 0x%08x + %u-byte "
				   "header)%s", j->file, addr, name, want, base,
				   TS_IMAGE_HDR_SIZE,
				   addr == base ? "; if the vector table is at 0x...200, "
				   "the linker loaded the ELF file header below it: use "
				   "MEMORY regions or PHDRS in the linker script" : "");
		goto out;
	}
	if (size > TS_IMAGE_MAX_APP) {
		ts_cli_err(CMD, "%s: application is %u bytes, but slot %c holds at "
			   "most %u bytes (%u KB slot minus the %u-byte header)",
			   j->file, size, name, TS_IMAGE_MAX_APP, TS_SLOT_SIZE / 1024u,
			   TS_IMAGE_HDR_SIZE);
		goto out;
	}
	if (size < 8u) {
		ts_cli_err(CMD, "%s: application is %u bytes: too small to hold a "
			   "vector table (initial SP and reset handler)", j->file, size);
		goto out;
	}

	struct ts_image_header *h = &j->h;
	memset(h, 0, sizeof(*h));
	h->hdr_version = TS_IMAGE_HDR_VERSION;
	h->hdr_size = TS_IMAGE_HDR_SIZE;
	h->load_addr = addr;
	h->app_size = size;
	h->version = version;
	h->flags = 0;
	h->product_id = product;
	h->security_counter = counter;
	h->sig_type = TS_SIG_NONE;
	h->sig_len = 0;

	uint32_t sp = ts_get32(app), reset = ts_get32(app + 4);
	if (ts_image_check_vectors(h, sp, reset) != TS_OK) {
		ts_explain_vectors(h, sp, reset, msg, sizeof(msg));
		ts_cli_err(CMD, "%s: %s", j->file, msg);
		goto out;
	}
	enum ts_slot linked;
	int err = ts_image_header_slot(h, &linked);
	if (err != TS_OK || linked != j->slot) {
		ts_cli_err(CMD, "%s: internal error: the header does not name slot %c "
			   "(%s)", j->file, name, ts_strerror(err));
		goto out;
	}
	ts_sha256(app, size, h->app_sha256);

	j->image_len = TS_IMAGE_HDR_SIZE + (size_t)size;
	j->image = malloc(j->image_len);
	if (!j->image) {
		ts_cli_err(CMD, "%s: out of memory", j->file);
		goto out;
	}
	ts_image_header_encode(h, j->image);
	memcpy(j->image + TS_IMAGE_HDR_SIZE, app, size);

	/* The bootloader's own check must accept what we wrote. */
	struct ts_image_header back;
	err = ts_image_validate(j->image, (uint32_t)j->image_len, j->slot, &back, NULL);
	if (err != TS_OK) {
		ts_cli_err(CMD, "%s: internal error: the packed image fails "
			   "validation: %s", j->file, ts_strerror(err));
		free(j->image);
		j->image = NULL;
		goto out;
	}
	rc = TS_EXIT_OK;
out:
	free(app);
	return rc;
}

static int make_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		ts_cli_err(CMD, "%s: not a directory", dir);
		return -1;
	}
	if (mkdir(dir, 0777) != 0) {
		ts_cli_err(CMD, "%s: cannot create the output directory: %s", dir,
			   strerror(errno));
		return -1;
	}
	return 0;
}

static const struct ts_optdef OPTS[] = {
	{ "--version", NULL, "MAJOR.MINOR.PATCH", "the release's version" },
	{ "--slot-a", NULL, "APP", "slot A's application: ELF, or raw binary with --addr-a" },
	{ "--slot-b", NULL, "APP", "slot B's application: ELF, or raw binary with --addr-b" },
	{ "--addr-a", NULL, "ADDR", "load address of a raw slot A binary (0x08020200)" },
	{ "--addr-b", NULL, "ADDR", "load address of a raw slot B binary (0x08080200)" },
	{ "--out-dir", NULL, "DIR", "where slot-a.img and slot-b.img go" },
	{ "--product", NULL, "ID|NAME", "32-bit product number (default 0), or the manifest's\n"
					 "product name (its id: see above)" },
	{ "--key", NULL, "PEM", "sign the images with this private key (twinslot keygen)" },
	{ "--security-counter", NULL, "N", "anti-rollback counter, 0 to 0xffffffff (default 0)" },
};

static const struct ts_cmdspec SPEC = {
	"pack", USAGE, OPTS, sizeof OPTS / sizeof OPTS[0], 0, NULL, NULL, 0,
};

int ts_cmd_pack(int argc, char **argv)
{
	struct slot_job jobs[TS_SLOT_COUNT];
	struct ts_args a;
	memset(jobs, 0, sizeof(jobs));
	jobs[0].slot = TS_SLOT_A;
	jobs[1].slot = TS_SLOT_B;

	int r = ts_args_parse(&SPEC, argc, argv, &a);
	if (r != TS_ARGS_OK)
		return r == TS_ARGS_HELP ? TS_EXIT_OK : TS_EXIT_USAGE;
	const char *version_s = ts_arg(&a, "--version"), *out_dir = ts_arg(&a, "--out-dir");
	const char *product_s = ts_arg(&a, "--product");
	const char *counter_s = ts_arg(&a, "--security-counter");
	jobs[0].file = ts_arg(&a, "--slot-a");
	jobs[1].file = ts_arg(&a, "--slot-b");
	jobs[0].addr_opt = ts_arg(&a, "--addr-a");
	jobs[1].addr_opt = ts_arg(&a, "--addr-b");
	if (!version_s || !out_dir || (!jobs[0].file && !jobs[1].file)) {
		ts_cli_err(CMD, "needs --version, --out-dir and at least one of "
			   "--slot-a/--slot-b (see twinslot pack --help)");
		return TS_EXIT_USAGE;
	}
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (jobs[s].addr_opt && !jobs[s].file) {
			ts_cli_err(CMD, "%s given without %s", opt_addr(jobs[s].slot),
				   opt_slot(jobs[s].slot));
			return TS_EXIT_USAGE;
		}
	}

	uint32_t version = 0, product = 0, counter = 0;
	int refused = 0;
	if (counter_s && !ts_parse_u32(counter_s, &counter)) {
		ts_cli_err(CMD, "security counter \"%s\": expected a number from 0 to "
			   "0xffffffff (decimal, or hex with 0x)", counter_s);
		refused = 1;
	}
	if (ts_version_parse(version_s, &version) != TS_OK) {
		ts_cli_err(CMD, "version \"%s\": expected MAJOR.MINOR.PATCH in decimal "
			   "without leading zeros, MAJOR and MINOR 0-255, PATCH "
			   "0-65535 (for example 1.2.3)", version_s);
		refused = 1;
	}
	if (product_s && !ts_parse_u32(product_s, &product)) {
		/* A name: the id the agent expects for a manifest of that product. */
		if ((product_s[0] >= '0' && product_s[0] <= '9') || !product_s[0]) {
			ts_cli_err(CMD, "product \"%s\": expected a number from 0 to "
				   "0xffffffff (decimal, or hex with 0x)", product_s);
			refused = 1;
		} else if (strlen(product_s) >= TS_MANIFEST_PRODUCT_MAX) {
			ts_cli_err(CMD, "product name \"%s\": longer than %u characters", product_s,
				   TS_MANIFEST_PRODUCT_MAX - 1);
			refused = 1;
		} else {
			product = ts_manifest_product_id(product_s);
		}
	}
	/* Check every input, so one run reports every problem. */
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (jobs[s].file && build_image(&jobs[s], version, product, counter) != TS_EXIT_OK)
			refused = 1;

	int rc = TS_EXIT_REFUSED;
	char msg[512];
	const char *key = ts_arg(&a, "--key");
	for (int s = 0; s < TS_SLOT_COUNT && key && !refused; s++) {
		if (!jobs[s].image)
			continue;
		if (ts_sign_header(jobs[s].image, key, msg, sizeof(msg)) != TS_OK ||
		    ts_image_header_parse(jobs[s].image, &jobs[s].h) != TS_OK) {
			ts_cli_err(CMD, "%s", msg);
			refused = 1;
		}
	}
	if (refused || make_dir(out_dir) != 0)
		goto out;

	size_t dl = strlen(out_dir);
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (!jobs[s].image)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s%sslot-%c.img", out_dir,
			 dl && out_dir[dl - 1] == '/' ? "" : "/",
			 s == TS_SLOT_A ? 'a' : 'b');
		if (ts_outfile_prepare(&jobs[s].out, path, jobs[s].image,
				       jobs[s].image_len, msg, sizeof(msg)) != TS_OK) {
			ts_cli_err(CMD, "%s: %s", path, msg);
			goto out;
		}
	}
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		if (!jobs[s].image)
			continue;
		if (ts_outfile_commit(&jobs[s].out, msg, sizeof(msg)) != TS_OK) {
			ts_cli_err(CMD, "%s: %s", jobs[s].out.path, msg);
			goto out;
		}
		char ver[TS_VERSION_STR_MAX], hex[2 * TS_SHA256_LEN + 1];
		ts_version_format(jobs[s].h.version, ver);
		ts_hex(jobs[s].h.app_sha256, TS_SHA256_LEN, hex);
		char id[9] = "";
		ts_sign_key_id_hex(jobs[s].h.key_id, id);
		printf("%s: slot %c, version %s, %u application bytes at 0x%08x, "
		       "sha256 %s, %s%s\n", jobs[s].out.path, ts_slot_name(jobs[s].slot), ver,
		       jobs[s].h.app_size, jobs[s].h.load_addr, hex,
		       jobs[s].h.sig_type ? "signed, key id " : "unsigned",
		       jobs[s].h.sig_type ? id : "");
	}
	rc = TS_EXIT_OK;
out:
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		ts_outfile_discard(&jobs[s].out);
		free(jobs[s].image);
	}
	return rc;
}
