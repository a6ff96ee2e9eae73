/* Journal append with compaction: see journal_write.h. */
#include "journal_write.h"

#include <string.h>

#include "flash.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

int ts_journal_read_mapped(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	if (off > TS_JOURNAL_SIZE || len > TS_JOURNAL_SIZE - off)
		return TS_ERR_INVAL;
	memcpy(buf, (const void *)(uintptr_t)(TS_JOURNAL_ADDR + off), len);
	return TS_OK;
}

static int is_blank(uint32_t addr)
{
	const volatile uint32_t *p = (const volatile uint32_t *)(uintptr_t)addr;
	for (uint32_t i = 0; i < TS_RECORD_SIZE / 4u; i++)
		if (p[i] != 0xFFFFFFFFu)
			return 0;
	return 1;
}

int ts_journal_append(const struct ts_journal_state *st,
		      const struct ts_record *recs, uint8_t n)
{
	struct ts_journal_write w;
	int err = ts_journal_plan_append(st, TS_JOURNAL_RECORDS, recs, n, &w);
	if (err)
		return err;
	if (w.erase && (err = ts_flash_erase_sector(TS_JOURNAL_SECTOR)) != TS_OK)
		return err;
	if (w.index + w.count > TS_JOURNAL_RECORDS)
		return TS_ERR_INVAL;
	for (uint8_t i = 0; i < w.count; i++) {
		uint32_t addr = TS_JOURNAL_ADDR + (w.index + i) * TS_RECORD_SIZE;
		uint32_t words[TS_RECORD_SIZE / 4u];
		if (!is_blank(addr))
			return TS_ERR_STATE;
		ts_record_encode(&w.rec[i], (uint8_t *)words);
		if ((err = ts_flash_program(addr, words, TS_RECORD_SIZE)) != TS_OK)
			return err;
	}
	return TS_OK;
}
