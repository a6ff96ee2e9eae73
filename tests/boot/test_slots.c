/*
 * Which slots the bootloader hashes (lib/src/boot_slots.c), on two slot
 * images and a journal in host memory: a confirmed image is trusted on its
 * header, everything else is hashed, a failed hash makes the slot invalid
 * and its records stale. Also ts_journal_scan_mem against ts_journal_scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twinslot/boot.h"
#include "twinslot/boot_slots.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/version.h"

#define APP_SIZE 10000u

struct flash {
	_Alignas(4) uint8_t slot[TS_SLOT_COUNT][TS_SLOT_SIZE];
	_Alignas(4) uint8_t j[TS_JOURNAL_SIZE];
	uint32_t nrec;
	uint32_t seq;
};

static struct flash *fl;

static int setup(void **state)
{
	(void)state;
	fl = malloc(sizeof(*fl));
	return fl ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(fl);
	return 0;
}

/* A valid image of APP_SIZE bytes in slot s (vector table plausible). */
static void put_image(enum ts_slot s, uint32_t version)
{
	uint8_t *img = fl->slot[s], *app = img + TS_IMAGE_HDR_SIZE;
	memset(img, 0xFF, TS_SLOT_SIZE);
	for (uint32_t i = 0; i < APP_SIZE; i++)
		app[i] = (uint8_t)(i * 7u + (uint32_t)s + 1u);
	uint32_t sp = TS_SRAM_BASE + TS_SRAM_SIZE;
	uint32_t entry = ts_slot_addr(s) + TS_IMAGE_HDR_SIZE + 0x101u;
	memcpy(app, &sp, 4);
	memcpy(app + 4, &entry, 4);
	struct ts_image_header h;
	memset(&h, 0, sizeof(h));
	h.hdr_version = TS_IMAGE_HDR_VERSION;
	h.hdr_size = TS_IMAGE_HDR_SIZE;
	h.load_addr = ts_slot_addr(s) + TS_IMAGE_HDR_SIZE;
	h.app_size = APP_SIZE;
	h.version = version;
	ts_sha256(app, APP_SIZE, h.app_sha256);
	ts_image_header_encode(&h, img);
}

static void put_record(enum ts_rec_type type, enum ts_slot s, uint8_t attempt)
{
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.seq = ++fl->seq;
	r.type = (uint8_t)type;
	r.slot = (uint8_t)s;
	r.attempt = attempt;
	memcpy(&r.version, fl->slot[s] + 0x10, 4);
	memcpy(r.hash, fl->slot[s] + TS_IMAGE_OFF_SHA256, TS_RECORD_HASH_LEN);
	ts_record_encode(&r, fl->j + fl->nrec++ * TS_RECORD_SIZE);
}

static void reset_flash(void)
{
	memset(fl->j, 0xFF, sizeof(fl->j));
	fl->nrec = 0;
	fl->seq = 0;
	put_image(TS_SLOT_A, TS_VERSION(1, 0, 0));
	put_image(TS_SLOT_B, TS_VERSION(1, 1, 0));
}

static void check(struct ts_journal_state *st, struct ts_boot_slots *out)
{
	const uint8_t *const slot[TS_SLOT_COUNT] = { fl->slot[0], fl->slot[1] };
	ts_boot_check_slots(slot, TS_SLOT_SIZE, fl->j, TS_JOURNAL_RECORDS, st, out, NULL);
}

static void decide(struct ts_journal_state *st, struct ts_boot_slots *out,
		   struct ts_boot_plan *plan)
{
	struct ts_boot_input in;
	memset(&in, 0, sizeof(in));
	memcpy(in.ids, out->ids, sizeof(in.ids));
	in.journal = st;
	in.max_attempts = 3;
	ts_boot_decide(&in, plan);
}

/* Both confirmed: nothing hashed, B (the newest) runs. */
static void confirmed_images_are_not_hashed(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	struct ts_boot_plan plan;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(TS_REC_PENDING, TS_SLOT_B, 0);
	put_record(TS_REC_ATTEMPT, TS_SLOT_B, 1);
	put_record(TS_REC_CONFIRMED, TS_SLOT_B, 0);
	check(&st, &out);
	assert_false(out.hashed[TS_SLOT_A]);
	assert_false(out.hashed[TS_SLOT_B]);
	assert_int_equal(out.hashed_bytes, 0);
	assert_int_equal(out.verr[TS_SLOT_A], TS_OK);
	assert_int_equal(out.verr[TS_SLOT_B], TS_OK);
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_B);
}

/* What is not caught: a confirmed image whose application bytes changed
 * behind an intact header runs (documented in docs/bootloader.md). */
static void corrupted_confirmed_image_is_trusted(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	struct ts_boot_plan plan;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	fl->slot[TS_SLOT_A][TS_IMAGE_HDR_SIZE + 5000u] ^= 0x01;
	check(&st, &out);
	assert_false(out.hashed[TS_SLOT_A]);
	assert_int_equal(out.verr[TS_SLOT_A], TS_OK);
	/* B has no record: hashed */
	assert_true(out.hashed[TS_SLOT_B]);
	assert_int_equal(out.hashed_bytes, APP_SIZE);
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_A);
}

/* A confirmed image whose last bytes are blank (a sequential write cut
 * short) is hashed, fails, and its CONFIRMED record is stale. */
static void confirmed_image_with_blank_tail_is_hashed(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	struct ts_boot_plan plan;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(TS_REC_CONFIRMED, TS_SLOT_B, 0);
	memset(fl->slot[TS_SLOT_B] + TS_IMAGE_HDR_SIZE + APP_SIZE - TS_BOOT_TAIL_CHECK, 0xFF,
	       TS_BOOT_TAIL_CHECK);
	check(&st, &out);
	assert_false(out.hashed[TS_SLOT_A]);
	assert_true(out.hashed[TS_SLOT_B]);
	assert_int_equal(out.verr[TS_SLOT_B], TS_ERR_HASH);
	assert_false(out.ids[TS_SLOT_B].present);
	assert_false(st.has_slot[TS_SLOT_B]); /* rescanned: B's records stale */
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_A);
	/* one blank byte less at the end: trusted again */
	fl->slot[TS_SLOT_B][TS_IMAGE_HDR_SIZE + APP_SIZE - 1u] = 0x00;
	check(&st, &out);
	assert_false(out.hashed[TS_SLOT_B]);
}

/* A pending image is hashed; corrupted, it is invalid, its PENDING stale,
 * and the confirmed A runs. */
static void pending_image_is_hashed(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	struct ts_boot_plan plan;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(TS_REC_PENDING, TS_SLOT_B, 0);
	check(&st, &out);
	assert_false(out.hashed[TS_SLOT_A]);
	assert_true(out.hashed[TS_SLOT_B]);
	assert_int_equal(out.verr[TS_SLOT_B], TS_OK);
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_TRIAL);
	assert_int_equal(plan.slot, TS_SLOT_B);

	fl->slot[TS_SLOT_B][TS_IMAGE_HDR_SIZE + 100u] ^= 0x80;
	check(&st, &out);
	assert_int_equal(out.verr[TS_SLOT_B], TS_ERR_HASH);
	assert_false(st.has_slot[TS_SLOT_B]);
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_A);
	assert_int_equal(plan.reason, TS_WHY_CONFIRMED);
}

/* Trial attempts (ATTEMPT newest) are hashed at every boot. */
static void trial_attempts_are_hashed(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(TS_REC_PENDING, TS_SLOT_B, 0);
	put_record(TS_REC_ATTEMPT, TS_SLOT_B, 2);
	check(&st, &out);
	assert_true(out.hashed[TS_SLOT_B]);
	assert_false(out.hashed[TS_SLOT_A]);
}

/* No journal: both hashed (rule 6), a corrupted one is not valid. */
static void no_record_hashes_both(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	struct ts_boot_plan plan;
	reset_flash();
	fl->slot[TS_SLOT_B][TS_IMAGE_HDR_SIZE + APP_SIZE - 1u] ^= 0x01;
	check(&st, &out);
	assert_true(out.hashed[TS_SLOT_A]);
	assert_true(out.hashed[TS_SLOT_B]);
	assert_int_equal(out.hashed_bytes, 2u * APP_SIZE);
	assert_int_equal(out.verr[TS_SLOT_A], TS_OK);
	assert_int_equal(out.verr[TS_SLOT_B], TS_ERR_HASH);
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_TRIAL);
	assert_int_equal(plan.slot, TS_SLOT_A);
}

/* A rolled-back image is never chosen: not hashed; A still runs. */
static void rolled_back_image_is_not_hashed(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	struct ts_boot_plan plan;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(TS_REC_PENDING, TS_SLOT_B, 0);
	put_record(TS_REC_ROLLED_BACK, TS_SLOT_B, 0);
	check(&st, &out);
	assert_false(out.hashed[TS_SLOT_A]);
	assert_false(out.hashed[TS_SLOT_B]);
	decide(&st, &out, &plan);
	assert_int_equal(plan.action, TS_BOOT_RUN);
	assert_int_equal(plan.slot, TS_SLOT_A);
}

/* The header checks still run on every slot: a bad header CRC or vector
 * table is not valid, confirmed or not. */
static void headers_and_vectors_always_checked(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_boot_slots out;
	reset_flash();
	put_record(TS_REC_CONFIRMED, TS_SLOT_A, 0);
	put_record(TS_REC_CONFIRMED, TS_SLOT_B, 0);
	fl->slot[TS_SLOT_A][0x30] ^= 0x01; /* inside the hash field: CRC fails */
	uint32_t bad_sp = 0x30000000u;
	memcpy(fl->slot[TS_SLOT_B] + TS_IMAGE_HDR_SIZE, &bad_sp, 4);
	check(&st, &out);
	assert_int_equal(out.verr[TS_SLOT_A], TS_ERR_CRC);
	assert_int_equal(out.verr[TS_SLOT_B], TS_ERR_VECTOR);
	assert_false(out.ids[TS_SLOT_A].present);
	assert_false(out.ids[TS_SLOT_B].present);
	assert_int_equal(out.hashed_bytes, 0);
}

static int read_mem(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)ctx + off, len);
	return TS_OK;
}

static void same_record(const struct ts_record *a, const struct ts_record *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->attempt, b->attempt);
	assert_int_equal(a->version, b->version);
	assert_memory_equal(a->hash, b->hash, TS_RECORD_HASH_LEN);
}

static void same_state(const struct ts_journal_state *a, const struct ts_journal_state *b)
{
	assert_int_equal(a->free_index, b->free_index);
	assert_int_equal(a->max_seq, b->max_seq);
	assert_int_equal(a->valid, b->valid);
	assert_int_equal(a->invalid, b->invalid);
	assert_int_equal(a->dirty, b->dirty);
	assert_int_equal(a->has_newest, b->has_newest);
	if (a->has_newest) {
		same_record(&a->newest, &b->newest);
		assert_int_equal(a->newest_index, b->newest_index);
	}
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		assert_int_equal(a->has_slot[s], b->has_slot[s]);
		if (a->has_slot[s]) {
			same_record(&a->slot[s], &b->slot[s]);
			assert_int_equal(a->slot_index[s], b->slot_index[s]);
		}
	}
}

/* ts_journal_scan_mem gives the state ts_journal_scan gives: random
 * journals with blank gaps (dirty), torn records and garbage. */
static void scan_mem_matches_scan(void **state)
{
	(void)state;
	unsigned x = 1;
	int dirty = 0, live = 0, invalid = 0;
	for (int round = 0; round < 200; round++) {
		reset_flash();
		uint32_t n = (uint32_t)(round * 37 % 300);
		for (uint32_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			unsigned k = (x >> 16) % 10u;
			if (k < 6)
				put_record((enum ts_rec_type)(1 + (x >> 8) % 4u),
					   (enum ts_slot)((x >> 4) & 1u), (x >> 8) % 4u == 1 ? 1 : 0);
			else if (k < 8)
				fl->nrec++; /* a blank position: dirty */
			else
				fl->j[fl->nrec++ * TS_RECORD_SIZE + (x >> 20) % 32u] = (uint8_t)x;
		}
		struct ts_slot_id ids[TS_SLOT_COUNT];
		memset(ids, 0, sizeof(ids));
		for (int s = 0; s < TS_SLOT_COUNT; s++) {
			ids[s].present = (round & (1 << s)) == 0;
			memcpy(&ids[s].version, fl->slot[s] + 0x10, 4);
			memcpy(ids[s].hash, fl->slot[s] + TS_IMAGE_OFF_SHA256, TS_RECORD_HASH_LEN);
		}
		struct ts_journal_state a, b;
		assert_int_equal(ts_journal_scan(read_mem, fl->j, TS_JOURNAL_RECORDS, ids, &a), TS_OK);
		assert_int_equal(ts_journal_scan_mem(fl->j, TS_JOURNAL_RECORDS, ids, &b), TS_OK);
		same_state(&a, &b);
		dirty += a.dirty;
		live += a.has_newest;
		invalid += a.invalid > 0;
	}
	/* the rounds did exercise every kind of position */
	assert_true(dirty > 0 && live > 0 && invalid > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(confirmed_images_are_not_hashed),
		cmocka_unit_test(corrupted_confirmed_image_is_trusted),
		cmocka_unit_test(confirmed_image_with_blank_tail_is_hashed),
		cmocka_unit_test(pending_image_is_hashed),
		cmocka_unit_test(trial_attempts_are_hashed),
		cmocka_unit_test(no_record_hashes_both),
		cmocka_unit_test(rolled_back_image_is_not_hashed),
		cmocka_unit_test(headers_and_vectors_always_checked),
		cmocka_unit_test(scan_mem_matches_scan),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
