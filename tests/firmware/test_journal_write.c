/*
 * firmware/common/journal_write.c compiled natively: the journal sector is a
 * 128 KB mapping at its real address (0x080E0000), and the flash driver is a
 * model with NOR semantics (erase sets 0xFF, programming can only clear bits,
 * and programming a word that is not erased fails the test) plus fault
 * injection. Covers what QEMU cannot: appending, compaction when full or
 * dirty, and failures reported, never hidden.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "flash.h"
#include "journal_write.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"

static uint8_t *jr; /* the mapped journal sector */
static int erases, programs, fail_program_at = -1, fail_erase;

int ts_flash_erase_sector(int sector)
{
	assert_int_equal(sector, TS_JOURNAL_SECTOR);
	erases++;
	if (fail_erase)
		return TS_ERR_TIMEOUT;
	memset(jr, 0xFF, TS_JOURNAL_SIZE);
	return TS_OK;
}

int ts_flash_program(uint32_t addr, const void *data, uint32_t len)
{
	assert_true(addr >= TS_JOURNAL_ADDR && addr + len <= TS_JOURNAL_ADDR + TS_JOURNAL_SIZE);
	assert_int_equal(addr % 4u, 0);
	assert_int_equal(len % 4u, 0);
	if (programs++ == fail_program_at)
		return TS_ERR_FLASH;
	uint8_t *dst = jr + (addr - TS_JOURNAL_ADDR);
	for (uint32_t i = 0; i < len; i++) {
		assert_int_equal(dst[i], 0xFF); /* never over old bytes */
		dst[i] &= ((const uint8_t *)data)[i];
	}
	return TS_OK;
}

static struct ts_slot_id ids[TS_SLOT_COUNT];

static struct ts_record rec(uint32_t seq, enum ts_rec_type type, enum ts_slot slot,
			    uint8_t attempt)
{
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.type = (uint8_t)type;
	r.slot = (uint8_t)slot;
	r.attempt = attempt;
	r.version = ids[slot].version;
	memcpy(r.hash, ids[slot].hash, TS_RECORD_HASH_LEN);
	return r;
}

static void put(uint32_t index, const struct ts_record *r)
{
	ts_record_encode(r, jr + index * TS_RECORD_SIZE);
}

static void scan(struct ts_journal_state *st)
{
	assert_int_equal(ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS,
					 ids, st), TS_OK);
}

static void expect_at(uint32_t index, const struct ts_record *r)
{
	uint8_t want[TS_RECORD_SIZE];
	ts_record_encode(r, want);
	assert_memory_equal(jr + index * TS_RECORD_SIZE, want, TS_RECORD_SIZE);
}

static int blank_from(uint32_t index)
{
	for (uint32_t i = index * TS_RECORD_SIZE; i < TS_JOURNAL_SIZE; i++)
		if (jr[i] != 0xFF)
			return 0;
	return 1;
}

static int setup(void **state)
{
	(void)state;
	memset(jr, 0xFF, TS_JOURNAL_SIZE);
	erases = programs = 0;
	fail_program_at = -1;
	fail_erase = 0;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		ids[s].present = true;
		ids[s].version = 0x01000000u + (uint32_t)s;
		memset(ids[s].hash, 0xA0 + s, TS_RECORD_HASH_LEN);
	}
	return 0;
}

static void appends_at_the_free_position(void **state)
{
	(void)state;
	struct ts_record c = rec(1, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	struct ts_record p = rec(2, TS_REC_PENDING, TS_SLOT_B, 0);
	struct ts_record a = rec(3, TS_REC_ATTEMPT, TS_SLOT_B, 1);
	struct ts_journal_state st;
	put(0, &c);
	put(1, &p);
	scan(&st);
	assert_int_equal(ts_journal_append(&st, &a, 1), TS_OK);
	assert_int_equal(erases, 0);
	expect_at(0, &c);
	expect_at(1, &p);
	expect_at(2, &a);
	assert_true(blank_from(3));
	scan(&st);
	assert_int_equal(st.newest.seq, 3);
	assert_int_equal(st.newest.type, TS_REC_ATTEMPT);
}

static void appends_two_records_in_order(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_record two[2] = { rec(1, TS_REC_ROLLED_BACK, TS_SLOT_B, 0),
				    rec(2, TS_REC_ATTEMPT, TS_SLOT_A, 1) };
	scan(&st);
	assert_int_equal(ts_journal_append(&st, two, 2), TS_OK);
	expect_at(0, &two[0]);
	expect_at(1, &two[1]);
	assert_true(blank_from(2));
}

static void skips_a_torn_record_never_writes_over_it(void **state)
{
	(void)state;
	struct ts_record c = rec(1, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	struct ts_record n = rec(3, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	struct ts_journal_state st;
	uint8_t torn[TS_RECORD_SIZE];
	put(0, &c);
	put(1, &c);
	memset(jr + TS_RECORD_SIZE + 12, 0xFF, TS_RECORD_SIZE - 12); /* cut mid-record */
	memcpy(torn, jr + TS_RECORD_SIZE, sizeof(torn));
	scan(&st);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(ts_journal_append(&st, &n, 1), TS_OK);
	assert_int_equal(erases, 0);
	assert_memory_equal(jr + TS_RECORD_SIZE, torn, TS_RECORD_SIZE);
	expect_at(2, &n);
}

static void full_journal_is_compacted_keeping_each_slots_newest(void **state)
{
	(void)state;
	struct ts_journal_state st;
	uint32_t seq = 1;
	for (uint32_t i = 0; i < TS_JOURNAL_RECORDS; i++) {
		struct ts_record r = (i % 3u == 0) ? rec(seq, TS_REC_CONFIRMED, TS_SLOT_A, 0)
						   : rec(seq, TS_REC_ATTEMPT, TS_SLOT_B, 1);
		put(i, &r);
		seq++;
	}
	scan(&st);
	assert_int_equal(st.free_index, TS_JOURNAL_RECORDS);
	struct ts_record keep_a = st.slot[TS_SLOT_A], keep_b = st.slot[TS_SLOT_B];
	struct ts_record n = rec(seq, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	assert_int_equal(ts_journal_append(&st, &n, 1), TS_OK);
	assert_int_equal(erases, 1);
	/* Newest first, original seq numbers, then the new record. */
	const struct ts_record *first = keep_a.seq > keep_b.seq ? &keep_a : &keep_b;
	const struct ts_record *second = keep_a.seq > keep_b.seq ? &keep_b : &keep_a;
	expect_at(0, first);
	expect_at(1, second);
	expect_at(2, &n);
	assert_true(blank_from(3));

	struct ts_journal_state after;
	scan(&after);
	assert_int_equal(after.newest.seq, seq);
	assert_int_equal(after.slot[TS_SLOT_A].seq, keep_a.seq);
	assert_int_equal(after.slot[TS_SLOT_A].type, TS_REC_CONFIRMED);
	assert_int_equal(after.max_seq, seq);
}

static void dirty_journal_is_compacted_before_appending(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_record c = rec(5, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	struct ts_record old = rec(2, TS_REC_PENDING, TS_SLOT_A, 0);
	put(3, &old); /* blank positions 0..2 before it: a torn erase */
	put(4, &c);
	scan(&st);
	assert_true(st.dirty);
	struct ts_record n = rec(6, TS_REC_PENDING, TS_SLOT_B, 0);
	assert_int_equal(ts_journal_append(&st, &n, 1), TS_OK);
	assert_int_equal(erases, 1);
	expect_at(0, &c);
	expect_at(1, &n);
	assert_true(blank_from(2));
}

static void stale_records_do_not_survive_compaction(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_record stale = rec(1, TS_REC_CONFIRMED, TS_SLOT_B, 0);
	stale.version = 0x00090000u; /* an image no longer in slot B */
	for (uint32_t i = 0; i < TS_JOURNAL_RECORDS; i++) {
		stale.seq = i + 1u;
		put(i, &stale);
	}
	scan(&st);
	assert_false(st.has_newest);
	struct ts_record n = rec(TS_JOURNAL_RECORDS + 1u, TS_REC_ATTEMPT, TS_SLOT_A, 1);
	assert_int_equal(ts_journal_append(&st, &n, 1), TS_OK);
	expect_at(0, &n);
	assert_true(blank_from(1));
}

static void program_failure_is_reported(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_record two[2] = { rec(1, TS_REC_ROLLED_BACK, TS_SLOT_B, 0),
				    rec(2, TS_REC_ATTEMPT, TS_SLOT_A, 1) };
	scan(&st);
	fail_program_at = 1; /* the second record */
	assert_int_equal(ts_journal_append(&st, two, 2), TS_ERR_FLASH);
	expect_at(0, &two[0]);
	assert_true(blank_from(1));
}

static void erase_failure_is_reported_and_nothing_programmed(void **state)
{
	(void)state;
	struct ts_journal_state st;
	struct ts_record c = rec(1, TS_REC_CONFIRMED, TS_SLOT_A, 0);
	for (uint32_t i = 0; i < TS_JOURNAL_RECORDS; i++) {
		c.seq = i + 1u;
		put(i, &c);
	}
	scan(&st);
	fail_erase = 1;
	struct ts_record n = rec(TS_JOURNAL_RECORDS + 1u, TS_REC_PENDING, TS_SLOT_B, 0);
	assert_int_equal(ts_journal_append(&st, &n, 1), TS_ERR_TIMEOUT);
	assert_int_equal(programs, 0);
}

static void refuses_a_position_that_is_not_blank(void **state)
{
	(void)state;
	struct ts_journal_state st;
	scan(&st); /* empty: free_index 0 */
	jr[5] = 0x00; /* changed behind the scan's back */
	struct ts_record n = rec(1, TS_REC_PENDING, TS_SLOT_B, 0);
	assert_int_equal(ts_journal_append(&st, &n, 1), TS_ERR_STATE);
	assert_int_equal(programs, 0);
}

static void mapped_read_checks_bounds(void **state)
{
	(void)state;
	uint8_t buf[TS_RECORD_SIZE];
	assert_int_equal(ts_journal_read_mapped(NULL, TS_JOURNAL_SIZE - TS_RECORD_SIZE, buf,
						TS_RECORD_SIZE), TS_OK);
	assert_int_equal(ts_journal_read_mapped(NULL, TS_JOURNAL_SIZE - 4, buf, 8), TS_ERR_INVAL);
}

int main(void)
{
	void *p = mmap((void *)(uintptr_t)TS_JOURNAL_ADDR, TS_JOURNAL_SIZE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (p != (void *)(uintptr_t)TS_JOURNAL_ADDR) {
		print_error("cannot map the journal sector at 0x%08x\n", TS_JOURNAL_ADDR);
		return 1;
	}
	jr = p;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(appends_at_the_free_position, setup),
		cmocka_unit_test_setup(appends_two_records_in_order, setup),
		cmocka_unit_test_setup(skips_a_torn_record_never_writes_over_it, setup),
		cmocka_unit_test_setup(full_journal_is_compacted_keeping_each_slots_newest, setup),
		cmocka_unit_test_setup(dirty_journal_is_compacted_before_appending, setup),
		cmocka_unit_test_setup(stale_records_do_not_survive_compaction, setup),
		cmocka_unit_test_setup(program_failure_is_reported, setup),
		cmocka_unit_test_setup(erase_failure_is_reported_and_nothing_programmed, setup),
		cmocka_unit_test_setup(refuses_a_position_that_is_not_blank, setup),
		cmocka_unit_test_setup(mapped_read_checks_bounds, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
