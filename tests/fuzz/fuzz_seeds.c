/*
 * The fuzzers' seed corpus, in the input layout of fuzz_common.h: valid
 * images and journals plus a few edge cases (short, truncated, dirty, full,
 * wrong slot). Each valid seed is checked to parse, so a broken encoder
 * cannot silently leave the fuzzers with junk seeds. The corpus is kept in
 * the repository, tests/fuzz/corpus/<target>/, and replayed by CTest.
 *
 *   fuzz_seeds DIR           writes the seeds into DIR/image_header and
 *                            DIR/journal_scan (they must exist): regenerates the
 *                            committed corpus after a format change
 *   fuzz_seeds --check DIR   checks that DIR holds every seed, byte for byte
 *                            (the CTest test fuzz_seeds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "twinslot/appupd.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/version.h"

static const char *dir;
static int checking, mismatches;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Compares the file at path with mode + b[0..n). */
static void check_seed(const char *path, uint8_t mode, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_seeds: %s is missing (run fuzz_seeds on the corpus)\n", path);
		mismatches++;
		return;
	}
	int ok = fgetc(f) == mode;
	for (size_t i = 0; ok && i < n; i++)
		ok = fgetc(f) == b[i];
	ok = ok && fgetc(f) == EOF;
	fclose(f);
	if (!ok) {
		fprintf(stderr, "fuzz_seeds: %s differs from the seed writer's "
			"(run fuzz_seeds on the corpus)\n", path);
		mismatches++;
	}
}

static void write_seed(const char *sub, const char *name, uint8_t mode, const uint8_t *b,
		       size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if (checking) {
		check_seed(path, mode, b, n);
		return;
	}
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
		write_seed("image_header", s ? "valid_b_signed" : "valid_a", 0, img, sizeof(img));
		write_seed("image_header", s ? "hdr_only_b_fixcrc" : "hdr_only_a_fixcrc",
			   FZ_HDR_FIX_CRC, img, TS_IMAGE_HDR_SIZE);
		if (s)
			continue;
		/* edge cases from slot A's image */
		write_seed("image_header", "truncated_app", 0, img, TS_IMAGE_HDR_SIZE + APP / 2);
		write_seed("image_header", "short_64_fixcrc", FZ_HDR_FIX_CRC, img, 64);
		img[TS_IMAGE_HDR_SIZE + 100] ^= 0x01; /* an application byte: hash fixed */
		write_seed("image_header", "app_changed_fixhash", FZ_HDR_FIX_HASH, img, sizeof(img));
		img[TS_IMAGE_HDR_SIZE + 100] ^= 0x01;
		struct ts_image_header w = h;
		w.load_addr = ts_slot_addr(TS_SLOT_B) + TS_IMAGE_HDR_SIZE; /* linked for B */
		ts_image_header_encode(&w, img);
		write_seed("image_header", "linked_for_b_in_a", FZ_HDR_FIX_CRC, img, sizeof(img));
		w = h;
		w.app_size = 0x60000; /* bigger than the data and the slot's room */
		ts_image_header_encode(&w, img);
		write_seed("image_header", "app_size_huge_fixcrc", FZ_HDR_FIX_CRC, img, sizeof(img));
	}
	memset(img, 0xFF, sizeof(img));
	write_seed("image_header", "blank", 0, img, TS_IMAGE_HDR_SIZE);
	write_seed("image_header", "mode_only", FZ_HDR_FIX_CRC | FZ_HDR_FIX_HASH, img, 0);
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
	write_seed("journal_scan", "six_records", FZ_J_PRESENT_A | FZ_J_PRESENT_B, j, sizeof(j));
	/* ids from positions 2 and 3: A's and B's images */
	write_seed("journal_scan", "six_records_ids23",
		   (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B | (2 << 4)), j, sizeof(j));
	write_seed("journal_scan", "six_records_noids", FZ_J_NO_IDS, j, sizeof(j));
	/* a torn seventh record: half of it programmed */
	memcpy(j + 6 * TS_RECORD_SIZE, j + 5 * TS_RECORD_SIZE, TS_RECORD_SIZE / 2);
	write_seed("journal_scan", "torn", (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B | (2 << 4)), j,
		   sizeof(j));
	/* a record after a blank one: a dirty sector (a torn erase) */
	memset(j + 6 * TS_RECORD_SIZE, 0xFF, TS_RECORD_SIZE);
	memcpy(j + 8 * TS_RECORD_SIZE, j + 5 * TS_RECORD_SIZE, TS_RECORD_SIZE);
	write_seed("journal_scan", "dirty", (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B | (2 << 4)),
		   j, sizeof(j));
	/* one record only, and a size that is not a whole number of records */
	write_seed("journal_scan", "one_record", FZ_J_PRESENT_A, j, TS_RECORD_SIZE);
	write_seed("journal_scan", "ragged_tail", (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B),
		   j, 3 * TS_RECORD_SIZE + 17);
	/* full: every position programmed (compaction before the next append) */
	for (int i = 0; i < 16; i++) {
		struct ts_record r;
		memset(&r, 0, sizeof(r));
		r.seq = (uint32_t)i + 1;
		r.type = i % 2 ? TS_REC_CONFIRMED : TS_REC_PENDING;
		r.slot = (uint8_t)(i / 2 % 2);
		r.version = TS_VERSION(1, 0, (uint16_t)(i / 2));
		memset(r.hash, r.slot ? 0xB2 : 0xA1, sizeof(r.hash));
		ts_record_encode(&r, j + i * TS_RECORD_SIZE);
	}
	write_seed("journal_scan", "full", (uint8_t)(FZ_J_PRESENT_A | FZ_J_PRESENT_B | (14 << 4)),
		   j, sizeof(j));
	/* garbage with every record's CRC made right */
	for (size_t i = 0; i < sizeof(j); i++)
		j[i] = (uint8_t)(i * 37 + 11);
	write_seed("journal_scan", "garbage_fixcrc", FZ_J_FIX_CRC | FZ_J_PRESENT_A, j, sizeof(j));
	memset(j, 0xFF, sizeof(j));
	write_seed("journal_scan", "blank", 0, j, sizeof(j));
}

/* A line as the app's receiver sees it: console text, the offer, a whole
 * session's host frames; then one with a corrupted frame and noise. */
static size_t put_frame(uint8_t *s, size_t n, size_t cap, uint8_t type, uint8_t seq,
			const uint8_t *p, uint16_t len)
{
	int m = ts_appupd_encode(s + n, (uint32_t)(cap - n), type, seq, p, len);
	check(m > 0, "appupd seed frame does not encode");
	return n + (size_t)m;
}

static void appupd_seeds(void)
{
	static uint8_t s[4096];
	uint8_t p[TS_APPUPD_PAYLOAD_MAX];
	size_t n = 0;
	const char *text = "twinslot-app: v1.0.0 slot A\r\n" TS_APPUPD_OFFER;
	memcpy(s, text, strlen(text));
	n = strlen(text);
	n = put_frame(s, n, sizeof(s), TS_APPUPD_HELLO_REQ, 0, p, ts_appupd_hello_req_pack(1, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_BAUD, 1, p, ts_appupd_u32_pack(921600, p));
	uint8_t hdr[512];
	for (int i = 0; i < 512; i++)
		hdr[i] = (uint8_t)(i * 3);
	n = put_frame(s, n, sizeof(s), TS_APPUPD_BEGIN, 2, p, ts_appupd_begin_pack(hdr, 512 + 1030, p));
	uint8_t d[1024];
	for (int i = 0; i < 1024; i++)
		d[i] = (uint8_t)(i ^ 0x7E);
	n = put_frame(s, n, sizeof(s), TS_APPUPD_DATA, 3, p, ts_appupd_data_pack(0, 0, d, 1024, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_DATA, 4, p,
		      ts_appupd_data_pack(1024, TS_APPUPD_DATA_ACK_NOW, d, 6, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_END, 5, p, 0);
	n = put_frame(s, n, sizeof(s), TS_APPUPD_RESTART, 6, p, ts_appupd_u8_pack(0, p));
	write_seed("appupd_decode", "host_session", 0xFF, s, n);
	write_seed("appupd_decode", "host_session_cap16", 2, s, n);

	/* the app's replies */
	n = 0;
	struct ts_appupd_hello h = {1, 0, 8, 0, 0x01000000u, 0x407, 921600, 1024};
	n = put_frame(s, n, sizeof(s), TS_APPUPD_HELLO, 0, p, ts_appupd_hello_pack(&h, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_BAUD_OK, 1, p, ts_appupd_u32_pack(921600, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_ACK, 2, p, ts_appupd_u32_pack(0, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_NAK, 3, p, ts_appupd_nak_pack(-9, 1024, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_DONE, 5, p, ts_appupd_u32_pack(0, p));
	n = put_frame(s, n, sizeof(s), TS_APPUPD_RESTARTING, 6, p, ts_appupd_u8_pack(1, p));
	write_seed("appupd_decode", "app_replies", 0xFF, s, n);

	/* a corrupted frame between two good ones, then noise full of 7E */
	n = 0;
	n = put_frame(s, n, sizeof(s), TS_APPUPD_ACK, 7, p, ts_appupd_u32_pack(4096, p));
	size_t bad = n;
	n = put_frame(s, n, sizeof(s), TS_APPUPD_DATA, 8, p, ts_appupd_data_pack(8, 0, d, 64, p));
	s[bad + 20] ^= 0x10;
	for (int i = 0; i < 24; i++)
		s[n++] = (uint8_t)(i % 3 ? 0x7E : i);
	n = put_frame(s, n, sizeof(s), TS_APPUPD_ABORT, 9, p, 0);
	write_seed("appupd_decode", "corrupt_and_noise", 0xFF, s, n);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		checking = 1;
		dir = argv[2];
	} else if (argc == 2 && argv[1][0] != '-') {
		dir = argv[1];
	} else {
		fprintf(stderr, "usage: fuzz_seeds [--check] DIR\n");
		return 2;
	}
	header_seeds();
	journal_seeds();
	appupd_seeds();
	if (checking)
		printf("fuzz_seeds: %s %s\n", dir, mismatches ? "is out of date" : "holds every seed");
	return mismatches ? 1 : 0;
}
