/*
 * Writes the fuzzers' seed corpus into DIR/header and DIR/journal, in the
 * input layout of fuzz_common.h. Each valid seed is checked to parse, so a
 * broken encoder cannot silently leave the fuzzers with junk seeds.
 * Usage: fuzz_seeds DIR   (DIR/header and DIR/journal must exist)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/version.h"

static const char *dir;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void write_seed(const char *sub, const char *name, uint8_t mode, const uint8_t *b,
		       size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fputc(mode, f) == EOF || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "fuzz_seeds: cannot write %s\n", path);
		exit(1);
	}
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_seeds: %s\n", what);
		exit(1);
	}
}

static void header_seeds(void)
{
	enum { APP = 256 };
	static uint8_t img[TS_IMAGE_HDR_SIZE + APP];
	for (int s = 0; s < 2; s++) {
		struct ts_image_header h;
		memset(&h, 0, sizeof(h));
		h.hdr_version = TS_IMAGE_HDR_VERSION;
		h.hdr_size = TS_IMAGE_HDR_SIZE;
		h.load_addr = ts_slot_addr((enum ts_slot)s) + TS_IMAGE_HDR_SIZE;
		h.app_size = APP;
		h.version = TS_VERSION(1, 2, 3 + s);
		h.product_id = 0x407;
		if (s) {
			h.sig_type = TS_SIG_ECDSA_P256;
			h.sig_len = 64;
			memset(h.sig, 0x5A, sizeof(h.sig));
		}
		uint8_t *app = img + TS_IMAGE_HDR_SIZE;
		for (int i = 0; i < APP; i++)
			app[i] = (uint8_t)(i * 13);
		put32(app, 0x20020000u);
		put32(app + 4, h.load_addr + 0x41);
		ts_sha256(app, APP, h.app_sha256);
		ts_image_header_encode(&h, img);
		struct ts_image_header back;
		check(ts_image_validate(img, sizeof(img), (enum ts_slot)s, &back, NULL) == TS_OK,
		      "seed image does not validate");
		write_seed("header", s ? "valid_b_signed" : "valid_a", 0, img, sizeof(img));
		write_seed("header", s ? "hdr_only_b_fixcrc" : "hdr_only_a_fixcrc",
			   FZ_HDR_FIX_CRC, img, TS_IMAGE_HDR_SIZE);
	}
	memset(img, 0xFF, sizeof(img));
	write_seed("header", "blank", 0, img, TS_IMAGE_HDR_SIZE);
}

static void journal_seeds(void)
{
	static uint8_t j[16 * TS_RECORD_SIZE];
	memset(j, 0xFF, sizeof(j));
	const uint8_t types[] = {TS_REC_PENDING, TS_REC_ATTEMPT, TS_REC_CONFIRMED,
				 TS_REC_PENDING, TS_REC_ATTEMPT, TS_REC_ROLLED_BACK};
	for (int i = 0; i < 6; i++) {
		struct ts_record r;
		memset(&r, 0, sizeof(r));
		r.seq = (uint32_t)i + 1;
		r.type = types[i];
		r.slot = i < 3 ? 0 : 1;
		r.attempt = r.type == TS_REC_ATTEMPT ? 1 : 0;
		r.version = TS_VERSION(1, 0, i < 3 ? 0 : 1);
		memset(r.hash, i < 3 ? 0xA1 : 0xB2, sizeof(r.hash));
		ts_record_encode(&r, j + i * TS_RECORD_SIZE);
		struct ts_record back;
		check(ts_record_parse(j + i * TS_RECORD_SIZE, &back) == TS_OK,
		      "seed record does not parse");
	}
	/* ids from positions 0 (slot A) and 1 (slot B... slot A's image too) */
	write_seed("journal", "six_records", FZ_J_PRESENT_A | FZ_J_PRESENT_B, j, sizeof(j));
	/* ids from positions 2 and 3: A's and B's images */
	write_seed("journal", "six_records_ids23",
		   (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B | (2 << 4)), j, sizeof(j));
	write_seed("journal", "six_records_noids", FZ_J_NO_IDS, j, sizeof(j));
	/* a torn seventh record: half of it programmed */
	memcpy(j + 6 * TS_RECORD_SIZE, j + 5 * TS_RECORD_SIZE, TS_RECORD_SIZE / 2);
	write_seed("journal", "torn", (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B | (2 << 4)), j,
		   sizeof(j));
	memset(j, 0xFF, sizeof(j));
	write_seed("journal", "blank", 0, j, sizeof(j));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	header_seeds();
	journal_seeds();
	return 0;
}
