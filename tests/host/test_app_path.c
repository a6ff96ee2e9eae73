/* The update engine's app path against a fake application service (fake_app.c,
 * the shared codec) on the fake board, whose ROM model is the fallback.
 * Assertions are on the flash bytes the model holds and on which path ran. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_app.h"
#include "fake_board.h"
#include "twinslot/err.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/update.h"
#include "twinslot/version.h"

static uint8_t img[TS_SLOT_SIZE];
static uint8_t before[TS_FLASH_SIZE];

struct mem_src {
	const uint8_t *p;
	size_t len, pos;
	unsigned rewinds;
};

static long mem_read(void *arg, uint8_t *buf, size_t n)
{
	struct mem_src *m = arg;
	size_t k = m->len - m->pos;
	if (k > n)
		k = n;
	if (k > 700)
		k = 700; /* partial reads, as sockets give */
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

static int mem_rewind(void *arg)
{
	struct mem_src *m = arg;
	m->pos = 0;
	m->rewinds++;
	return TS_OK;
}

static struct ts_update_cfg cfg(enum ts_path path)
{
	struct ts_update_cfg c;
	ts_update_default_cfg(&c);
	c.outcome_timeout_ms = 0;
	c.allow_unsigned = true;
	c.path = path;
	return c;
}

static int flash_image(struct fake_board *fb, struct ts_update *u, const struct ts_update_cfg *c,
		       const uint8_t *image, uint32_t len, bool rewindable, unsigned *rewinds)
{
	struct mem_src m = { image, len, 0, 0 };
	struct ts_source src = { mem_read, &m, rewindable ? mem_rewind : NULL };
	ts_update_init(u, &fb->port, c);
	int err = ts_update_flash(u, &src);
	if (err && getenv("TS_TEST_VERBOSE"))
		fprintf(stderr, "engine: %s\n", u->msg);
	if (rewinds)
		*rewinds = m.rewinds;
	return err;
}

static int rd_journal(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)ctx + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static void scan(struct fake_board *fb, struct ts_journal_state *st)
{
	assert_int_equal(ts_journal_scan(rd_journal, (void *)fake_board_mem(fb), TS_JOURNAL_RECORDS,
					 NULL, st), TS_OK);
}

static const uint8_t *slot_mem(struct fake_board *fb, int slot)
{
	return fake_board_mem(fb) + (ts_slot_addr((enum ts_slot)slot) - TS_FLASH_BASE);
}

/* Board with A v2.0.0 product 7 confirmed (installed through the ROM), and
 * an app running it; the ROM-path install is not counted. */
static void board_with_a(struct fake_board *fb, struct fake_app *app)
{
	struct ts_update u;
	struct ts_update_cfg c = cfg(TS_PATH_ROM);
	fake_board_open(fb);
	uint32_t len = make_image(img, TS_SLOT_A, TS_VERSION(2, 0, 0), 7, 30000);
	assert_int_equal(flash_image(fb, &u, &c, img, len, false, NULL), TS_OK);
	ts_update_init(&u, &fb->port, &c);
	assert_int_equal(ts_update_connect(&u), TS_OK);
	assert_int_equal(ts_update_append(&u, TS_REC_CONFIRMED, TS_SLOT_A), TS_OK);
	assert_int_equal(ts_update_restart(&u), TS_OK);
	fake_app_attach(app, fb, TS_SLOT_A, TS_VERSION(2, 0, 0), 7);
	fb->rom_entries = 0;
	memcpy(before, fake_board_mem(fb), TS_FLASH_SIZE);
}

/* Slot B holds img (len bytes) and the journal's newest record for B is
 * PENDING of its version. */
static void expect_b_pending(struct fake_board *fb, uint32_t len, uint32_t version)
{
	assert_memory_equal(slot_mem(fb, TS_SLOT_B), img, len);
	struct ts_journal_state st;
	scan(fb, &st);
	assert_true(st.has_slot[TS_SLOT_B]);
	assert_int_equal(st.slot[TS_SLOT_B].type, TS_REC_PENDING);
	assert_int_equal(st.slot[TS_SLOT_B].version, version);
	/* slot A untouched */
	assert_memory_equal(slot_mem(fb, TS_SLOT_A), before + (TS_SLOT_A_ADDR - TS_FLASH_BASE),
			    TS_SLOT_SIZE);
}

static void app_path_installs_without_the_rom_and_confirms(void **state)
{
	(void)state;
	static struct fake_board fb;
	static struct fake_app app;
	struct ts_update u;
	board_with_a(&fb, &app);
	struct ts_update_cfg c = cfg(TS_PATH_AUTO);
	c.outcome_timeout_ms = 5000;
	fb.console = "twinslot-boot: slot B v2.1.0 trial 1/3 (new image)\r\n"
		     "twinslot-app: confirmed\r\n";
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 100000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_OK);
	assert_int_equal(u.outcome, TS_OUTCOME_CONFIRMED);
	assert_true(u.app.used);
	assert_false(u.fell_back);
	assert_int_equal(fb.rom_entries, 0);      /* the ROM was never entered */
	assert_int_equal(app.baud, 921600);       /* switched up */
	assert_int_equal(app.erases, 1);          /* 100 KB + header: sector 8 */
	assert_int_equal(app.restarts, 1);        /* RESTART, no NRST */
	assert_int_equal(u.app.resent_frames, 0);
	expect_b_pending(&fb, len, TS_VERSION(2, 1, 0));
	fake_board_close(&fb);
}

static void lost_frames_are_sent_again(void **state)
{
	(void)state;
	static struct fake_board fb;
	static struct fake_app app;
	struct ts_update u;
	board_with_a(&fb, &app);
	app.drop_data[0] = 3;   /* inside the first window */
	app.drop_data[1] = 8;   /* the one that asks for the ACK */
	app.drop_data[2] = 30;
	app.drop_data[3] = 31;
	app.ndrop = 4;
	struct ts_update_cfg c = cfg(TS_PATH_APP);
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 150000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, false, NULL), TS_OK);
	assert_int_equal(app.dropped, 4);
	assert_true(u.app.resent_frames >= 4);
	assert_true(u.app.timeouts >= 1); /* the lost ACK-asking frame */
	assert_int_equal(fb.rom_entries, 0);
	expect_b_pending(&fb, len, TS_VERSION(2, 1, 0));
	fake_board_close(&fb);
}

static void no_service_auto_uses_the_rom_app_fails(void **state)
{
	(void)state;
	static struct fake_board fb;
	static struct fake_app app;
	struct ts_update u;
	board_with_a(&fb, &app);
	app.silent_after = 0; /* an application without the service */
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 50000);
	struct ts_update_cfg c = cfg(TS_PATH_APP);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_ERR_NOENT);
	assert_non_null(strstr(u.msg, "no update service answered"));
	assert_int_equal(fb.rom_entries, 0);
	assert_memory_equal(fake_board_mem(&fb), before, TS_FLASH_SIZE);

	c = cfg(TS_PATH_AUTO);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_OK);
	assert_false(u.app.used);
	assert_int_equal(fb.rom_entries, 1);
	expect_b_pending(&fb, len, TS_VERSION(2, 1, 0));
	fake_board_close(&fb);
}

static void failure_after_begin_falls_back_only_in_auto(void **state)
{
	(void)state;
	static struct fake_board fb;
	static struct fake_app app;
	struct ts_update u;
	board_with_a(&fb, &app);
	app.silent_after = 12; /* the app stops answering in the middle */
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 150000);
	struct ts_update_cfg c = cfg(TS_PATH_APP);
	int err = flash_image(&fb, &u, &c, img, len, true, NULL);
	assert_true(err == TS_ERR_TIMEOUT || err == TS_ERR_IO);
	assert_non_null(strstr(u.msg, "nothing committed"));
	assert_false(u.committed);
	assert_int_equal(fb.rom_entries, 0);
	/* nothing committed: B has no header, no record; A untouched */
	struct ts_journal_state st;
	scan(&fb, &st);
	assert_false(st.has_slot[TS_SLOT_B]);
	assert_true(st.has_slot[TS_SLOT_A] && st.slot[TS_SLOT_A].type == TS_REC_CONFIRMED);
	for (int i = 0; i < 512; i++)
		assert_int_equal(slot_mem(&fb, TS_SLOT_B)[i], 0xFF);
	assert_memory_equal(slot_mem(&fb, TS_SLOT_A), before + (TS_SLOT_A_ADDR - TS_FLASH_BASE),
			    TS_SLOT_SIZE);

	/* auto: the same failure, then the ROM from the first byte again */
	fake_app_attach(&app, &fb, TS_SLOT_A, TS_VERSION(2, 0, 0), 7);
	app.silent_after = 12;
	unsigned rewinds;
	c = cfg(TS_PATH_AUTO);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, &rewinds), TS_OK);
	assert_true(u.fell_back);
	assert_int_equal(rewinds, 1);
	assert_int_equal(fb.rom_entries, 1);
	expect_b_pending(&fb, len, TS_VERSION(2, 1, 0));

	/* auto without a source that can start over: the failure stands */
	fake_board_close(&fb);
	board_with_a(&fb, &app);
	app.silent_after = 12;
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 150000);
	err = flash_image(&fb, &u, &c, img, len, false, NULL);
	assert_true(err == TS_ERR_TIMEOUT || err == TS_ERR_IO);
	assert_non_null(strstr(u.msg, "cannot start over"));
	assert_int_equal(fb.rom_entries, 0);
	fake_board_close(&fb);
}

static void refusals_happen_before_begin_and_are_not_retried(void **state)
{
	(void)state;
	static struct fake_board fb;
	static struct fake_app app;
	struct ts_update u;
	board_with_a(&fb, &app);
	struct ts_update_cfg c = cfg(TS_PATH_AUTO);
	/* older than the running v2.0.0 (anti-rollback) */
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(1, 9, 0), 7, 20000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_ERR_SEMVER);
	/* linked for the running slot */
	len = make_image(img, TS_SLOT_A, TS_VERSION(2, 1, 0), 7, 20000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_ERR_ADDR);
	/* another product (from HELLO) */
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 8, 20000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_ERR_INVAL);
	/* unsigned without --allow-unsigned */
	c.allow_unsigned = false;
	len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 20000);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_ERR_AUTH);
	assert_int_equal(app.erases, 0);
	assert_int_equal(fb.rom_entries, 0);
	assert_memory_equal(fake_board_mem(&fb), before, TS_FLASH_SIZE);
	fake_board_close(&fb);
}

static void app_refusing_begin_falls_back(void **state)
{
	(void)state;
	static struct fake_board fb;
	static struct fake_app app;
	struct ts_update u;
	board_with_a(&fb, &app);
	app.nak_begin = TS_ERR_BUSY;
	uint32_t len = make_image(img, TS_SLOT_B, TS_VERSION(2, 1, 0), 7, 20000);
	struct ts_update_cfg c = cfg(TS_PATH_APP);
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_ERR_BUSY);
	assert_non_null(strstr(u.msg, "refused BEGIN"));
	c = cfg(TS_PATH_AUTO);
	fake_app_attach(&app, &fb, TS_SLOT_A, TS_VERSION(2, 0, 0), 7);
	app.nak_begin = TS_ERR_BUSY;
	assert_int_equal(flash_image(&fb, &u, &c, img, len, true, NULL), TS_OK);
	assert_true(u.fell_back);
	expect_b_pending(&fb, len, TS_VERSION(2, 1, 0));
	fake_board_close(&fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(app_path_installs_without_the_rom_and_confirms),
		cmocka_unit_test(lost_frames_are_sent_again),
		cmocka_unit_test(no_service_auto_uses_the_rom_app_fails),
		cmocka_unit_test(failure_after_begin_falls_back_only_in_auto),
		cmocka_unit_test(refusals_happen_before_begin_and_are_not_retried),
		cmocka_unit_test(app_refusing_begin_falls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
