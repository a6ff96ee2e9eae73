/*
 * twinslot compose: one 1 MB flash image of the STM32F407 (0xFF wherever
 * nothing is written) from a bootloader, slot images and journal records.
 * For the firmware tests (QEMU, the virtual board) and for flashing a
 * factory-fresh board. Every input is checked before the file is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "elf.h"
#include "opts.h"
#include "outfile.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/version.h"

static const char CMD[] = "compose";

static const char USAGE[] =
	"usage: twinslot compose -o FLASH.bin [--bootloader BL.bin]\n"
	"                        [--slot-a A.img] [--slot-b B.img]\n"
	"                        [--record TYPE:SLOT[:ATTEMPT]]...\n"
	"\n"
	"Writes a full 1 MB flash image for 0x08000000 (0xFF where nothing is\n"
	"written): the bootloader at 0x08000000 (at most 16 KB; a raw binary, or\n"
	"an ELF linked at 0x08000000), slot images (from twinslot pack) at\n"
	"0x08020000 and 0x08080000, and journal records at 0x080E0000 (sector 11)\n"
	"in the order given, with seq 1, 2, 3, ...\n"
	"\n"
	"TYPE is pending, attempt, confirmed, rolled_back or min_counter; SLOT is a\n"
	"or b. A min_counter record's value is that slot's image's security counter.\n"
	"ATTEMPT is 1-255 for attempt records (default 1) and 0 for the others.\n"
	"The record's version and hash prefix come from that slot's image. For a\n"
	"slot without an image (or a record about another image) give them:\n"
	"  --record TYPE:SLOT:ATTEMPT:VERSION:HASHHEX\n"
	"where HASHHEX is the image's SHA-256 (64 hex digits) or its first 12\n"
	"bytes (24 hex digits); for min_counter, VERSION is the counter (a number).\n"
	"\n"
	"Refused (exit 1, no output written): a bootloader over 16 KB, an image\n"
	"that does not validate or whose header names the other slot, a record\n"
	"that is malformed or names a slot without an image (short form).\n"
	"Exit codes: 0 written, 1 refused, 2 usage error.\n";

#define MAX_RECORDS TS_JOURNAL_RECORDS

struct slot_in {
	const char *file;
	uint8_t *data;
	size_t len;
	struct ts_image_header h;
};

static const struct {
	const char *name;
	uint8_t type;
} TYPES[] = {
	{ "pending", TS_REC_PENDING },
	{ "attempt", TS_REC_ATTEMPT },
	{ "confirmed", TS_REC_CONFIRMED },
	{ "rolled_back", TS_REC_ROLLED_BACK },
	{ "min_counter", TS_REC_MIN_COUNTER },
};

/* Read and check one slot image; prints why on failure. */
static int load_slot(struct slot_in *s, enum ts_slot slot)
{
	char msg[512];
	const char *f = s->file;
	const char c = ts_slot_name(slot), lc = slot == TS_SLOT_A ? 'a' : 'b';

	if (ts_read_file(f, &s->data, &s->len, msg, sizeof(msg)) != TS_OK) {
		ts_cli_err(CMD, "%s: %s", f, msg);
		return -1;
	}
	if (s->len < TS_IMAGE_HDR_SIZE) {
		ts_cli_err(CMD, "%s: too short for an image: %zu bytes, the header "
			   "alone is %u", f, s->len, TS_IMAGE_HDR_SIZE);
		return -1;
	}
	int err = ts_image_header_parse(s->data, &s->h);
	if (err != TS_OK) {
		ts_cli_err(CMD, "%s: %s", f, ts_header_problem(err));
		return -1;
	}
	enum ts_slot linked;
	err = ts_image_header_slot(&s->h, &linked);
	if (err == TS_ERR_ADDR) {
		ts_cli_err(CMD, "%s: load address 0x%08x is no slot's (slot A: "
			   "0x%08x, slot B: 0x%08x)", f, s->h.load_addr,
			   TS_SLOT_A_ADDR + TS_IMAGE_HDR_SIZE,
			   TS_SLOT_B_ADDR + TS_IMAGE_HDR_SIZE);
		return -1;
	}
	if (err != TS_OK) {
		ts_cli_err(CMD, "%s: application size %u is out of range (1..%u)",
			   f, s->h.app_size, TS_IMAGE_MAX_APP);
		return -1;
	}
	if (linked != slot) {
		ts_cli_err(CMD, "%s: the header says slot %c (load address 0x%08x), "
			   "but it was given as --slot-%c", f, ts_slot_name(linked),
			   s->h.load_addr, lc);
		return -1;
	}
	size_t want = TS_IMAGE_HDR_SIZE + (size_t)s->h.app_size;
	if (s->len != want) {
		ts_cli_err(CMD, "%s: the file is %zu bytes, but the header says %zu "
			   "(512-byte header + %u application bytes)", f, s->len,
			   want, s->h.app_size);
		return -1;
	}
	err = ts_image_validate(s->data, (uint32_t)s->len, slot, &s->h, NULL);
	if (err == TS_ERR_VECTOR) {
		const uint8_t *app = s->data + TS_IMAGE_HDR_SIZE;
		ts_explain_vectors(&s->h, ts_get32(app), ts_get32(app + 4), msg, sizeof(msg));
		ts_cli_err(CMD, "%s: %s", f, msg);
		return -1;
	}
	if (err == TS_ERR_HASH) {
		ts_cli_err(CMD, "%s: sha256 mismatch: the application bytes do not "
			   "hash to the header's SHA-256: the image is corrupted", f);
		return -1;
	}
	if (err != TS_OK) {
		ts_cli_err(CMD, "%s: not a valid slot %c image: %s", f, c,
			   ts_strerror(err));
		return -1;
	}
	return 0;
}

/* Parse one --record spec into r (seq left for the caller). */
static int parse_record(const char *spec, const struct slot_in slots[TS_SLOT_COUNT],
			struct ts_record *r)
{
	char buf[256];
	char *field[6];
	int n = 0;

	if (strlen(spec) >= sizeof(buf)) {
		ts_cli_err(CMD, "--record \"%.40s...\": too long", spec);
		return -1;
	}
	strcpy(buf, spec);
	for (char *p = buf; n < 6;) {
		field[n++] = p;
		char *colon = strchr(p, ':');
		if (!colon)
			break;
		*colon = '\0';
		p = colon + 1;
	}
	if (n != 2 && n != 3 && n != 5) {
		ts_cli_err(CMD, "--record \"%s\": expected TYPE:SLOT, TYPE:SLOT:ATTEMPT "
			   "or TYPE:SLOT:ATTEMPT:VERSION:HASHHEX", spec);
		return -1;
	}
	memset(r, 0, sizeof(*r));
	size_t t;
	for (t = 0; t < sizeof(TYPES) / sizeof(TYPES[0]); t++)
		if (strcmp(field[0], TYPES[t].name) == 0)
			break;
	if (t == sizeof(TYPES) / sizeof(TYPES[0])) {
		ts_cli_err(CMD, "--record \"%s\": unknown type \"%s\" (expected "
			   "pending, attempt, confirmed, rolled_back or min_counter)", spec, field[0]);
		return -1;
	}
	r->type = TYPES[t].type;
	enum ts_slot slot;
	if (strcmp(field[1], "a") == 0)
		slot = TS_SLOT_A;
	else if (strcmp(field[1], "b") == 0)
		slot = TS_SLOT_B;
	else {
		ts_cli_err(CMD, "--record \"%s\": unknown slot \"%s\" (expected a or b)",
			   spec, field[1]);
		return -1;
	}
	r->slot = (uint8_t)slot;

	uint32_t attempt = r->type == TS_REC_ATTEMPT ? 1u : 0u;
	if (n >= 3 && !ts_parse_u32(field[2], &attempt))
		attempt = 0x100; /* refused below */
	if (r->type == TS_REC_ATTEMPT && (attempt < 1 || attempt > 255)) {
		ts_cli_err(CMD, "--record \"%s\": attempt count \"%s\": expected 1-255",
			   spec, field[2]);
		return -1;
	}
	if (r->type != TS_REC_ATTEMPT && attempt != 0) {
		ts_cli_err(CMD, "--record \"%s\": only attempt records carry an attempt "
			   "count; give 0 or leave it out", spec);
		return -1;
	}
	r->attempt = (uint8_t)attempt;

	if (n == 5) {
		if (r->type == TS_REC_MIN_COUNTER) {
			if (!ts_parse_u32(field[3], &r->version)) {
				ts_cli_err(CMD, "--record \"%s\": counter \"%s\": expected a "
					   "number from 0 to 0xffffffff", spec, field[3]);
				return -1;
			}
		} else if (ts_version_parse(field[3], &r->version) != TS_OK) {
			ts_cli_err(CMD, "--record \"%s\": version \"%s\": expected "
				   "MAJOR.MINOR.PATCH in decimal without leading zeros, "
				   "MAJOR and MINOR 0-255, PATCH 0-65535", spec, field[3]);
			return -1;
		}
		size_t hl = strlen(field[4]);
		bool hex_ok = hl == 2 * TS_RECORD_HASH_LEN || hl == 2 * TS_SHA256_LEN;
		for (size_t i = 0; hex_ok && i < hl; i++)
			hex_ok = ts_hex_digit(field[4][i]) >= 0;
		if (!hex_ok) {
			ts_cli_err(CMD, "--record \"%s\": hash \"%s\": expected 24 or 64 "
				   "hex digits (the first 12 bytes, or all, of the image's "
				   "SHA-256)", spec, field[4]);
			return -1;
		}
		for (size_t i = 0; i < TS_RECORD_HASH_LEN; i++)
			r->hash[i] = (uint8_t)(ts_hex_digit(field[4][2 * i]) << 4 |
					       ts_hex_digit(field[4][2 * i + 1]));
		return 0;
	}
	const struct slot_in *s = &slots[slot];
	if (!s->data) {
		ts_cli_err(CMD, "--record \"%s\": no image given for slot %c "
			   "(--slot-%c) to take the version and hash from; give them "
			   "with TYPE:SLOT:ATTEMPT:VERSION:HASHHEX", spec,
			   ts_slot_name(slot), field[1][0]);
		return -1;
	}
	r->version = r->type == TS_REC_MIN_COUNTER ? s->h.security_counter : s->h.version;
	memcpy(r->hash, s->h.app_sha256, TS_RECORD_HASH_LEN);
	return 0;
}

static int load_bootloader(const char *f, uint8_t **bl, size_t *bl_len)
{
	char msg[512];
	uint8_t *data;
	size_t len;

	if (ts_read_file(f, &data, &len, msg, sizeof(msg)) != TS_OK) {
		ts_cli_err(CMD, "%s: %s", f, msg);
		return -1;
	}
	if (ts_elf_is_elf(data, len)) {
		struct ts_elf_image elf;
		int err = ts_elf_load(data, len, &elf, msg, sizeof(msg));
		free(data);
		if (err != TS_OK) {
			ts_cli_err(CMD, "%s: %s", f, msg);
			return -1;
		}
		if (elf.addr != TS_BOOT_ADDR) {
			ts_cli_err(CMD, "%s: linked at 0x%08x, but the bootloader must "
				   "start at 0x%08x", f, elf.addr, TS_BOOT_ADDR);
			ts_elf_free(&elf);
			return -1;
		}
		data = elf.data;
		len = elf.size;
	}
	*bl = data;
	*bl_len = len;
	if (len == 0) {
		ts_cli_err(CMD, "%s: the bootloader is empty", f);
		return -1;
	}
	if (len > TS_BOOT_SIZE) {
		ts_cli_err(CMD, "%s: the bootloader is %zu bytes, but sector 0 holds "
			   "at most %u bytes", f, len, TS_BOOT_SIZE);
		return -1;
	}
	return 0;
}

static const struct ts_optdef OPTS[] = {
	{ "-o", "--out", "FLASH.bin", "the flash image to write" },
	{ "--bootloader", NULL, "BL", "the bootloader (raw binary or ELF at 0x08000000)" },
	{ "--slot-a", NULL, "A.img", "slot A's image (from twinslot pack)" },
	{ "--slot-b", NULL, "B.img", "slot B's image" },
	{ "--record", NULL, "TYPE:SLOT[:ATTEMPT]...", "journal records, in order" },
};

static const struct ts_cmdspec SPEC = {
	"compose", USAGE, OPTS, sizeof OPTS / sizeof OPTS[0], 0, NULL, NULL, 0,
};

int ts_cmd_compose(int argc, char **argv)
{
	struct slot_in slots[TS_SLOT_COUNT];
	struct ts_args a;
	uint8_t *bl = NULL, *flash = NULL;
	size_t bl_len = 0;
	struct ts_outfile of = { 0 };

	memset(slots, 0, sizeof(slots));
	int rc = ts_args_parse(&SPEC, argc, argv, &a);
	if (rc != TS_ARGS_OK)
		return rc == TS_ARGS_HELP ? TS_EXIT_OK : TS_EXIT_USAGE;
	const char *out = ts_arg(&a, "-o"), *bl_file = ts_arg(&a, "--bootloader");
	const char **specs = a.rep;
	size_t nspecs = a.nrep;
	slots[0].file = ts_arg(&a, "--slot-a");
	slots[1].file = ts_arg(&a, "--slot-b");
	rc = TS_EXIT_USAGE;
	if (!out) {
		ts_cli_err(CMD, "needs -o FLASH.bin (see twinslot compose --help)");
		goto done;
	}
	if (nspecs > MAX_RECORDS) {
		ts_cli_err(CMD, "more than %u records: sector 11 holds %u", MAX_RECORDS,
			   MAX_RECORDS);
		rc = TS_EXIT_REFUSED;
		goto done;
	}

	rc = TS_EXIT_REFUSED;
	int bad = 0;
	if (bl_file && load_bootloader(bl_file, &bl, &bl_len) != 0)
		bad = 1;
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (slots[s].file && load_slot(&slots[s], (enum ts_slot)s) != 0) {
			bad = 1;
			free(slots[s].data);
			slots[s].data = NULL;
		}
	if (bad)
		goto done;

	flash = malloc(TS_FLASH_SIZE);
	if (!flash) {
		ts_cli_err(CMD, "out of memory");
		goto done;
	}
	memset(flash, 0xFF, TS_FLASH_SIZE);
	if (bl)
		memcpy(flash + (TS_BOOT_ADDR - TS_FLASH_BASE), bl, bl_len);
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (slots[s].data)
			memcpy(flash + (ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE),
			       slots[s].data, slots[s].len);
	for (size_t i = 0; i < nspecs; i++) {
		struct ts_record r, back;
		if (parse_record(specs[i], slots, &r) != 0)
			goto done;
		r.seq = (uint32_t)i + 1u;
		uint8_t *dst = flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + i * TS_RECORD_SIZE;
		ts_record_encode(&r, dst);
		int err = ts_record_parse(dst, &back);
		if (err != TS_OK) {
			ts_cli_err(CMD, "--record \"%s\": internal error: the encoded "
				   "record does not parse: %s", specs[i], ts_strerror(err));
			goto done;
		}
	}

	char msg[512];
	if (ts_outfile_prepare(&of, out, flash, TS_FLASH_SIZE, msg, sizeof(msg)) != TS_OK ||
	    ts_outfile_commit(&of, msg, sizeof(msg)) != TS_OK) {
		ts_cli_err(CMD, "%s: %s", out, msg);
		goto done;
	}
	printf("%s: %u bytes for 0x%08x", out, TS_FLASH_SIZE, TS_FLASH_BASE);
	if (bl)
		printf(", bootloader %zu bytes", bl_len);
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (slots[s].data) {
			char ver[TS_VERSION_STR_MAX];
			ts_version_format(slots[s].h.version, ver);
			printf(", slot %c %s", ts_slot_name((enum ts_slot)s), ver);
		}
	printf(", %zu journal record%s\n", nspecs, nspecs == 1 ? "" : "s");
	rc = TS_EXIT_OK;
done:
	ts_outfile_discard(&of);
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		free(slots[s].data);
	free(bl);
	free(flash);
	ts_args_free(&a);
	return rc;
}
