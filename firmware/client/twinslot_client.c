/* twinslot client library: see twinslot_client.h. */
#include "twinslot_client.h"

#include <string.h>

#include "journal_write.h"
#include "stm32f407.h"
#include "twinslot/boot.h"
#include "twinslot/crc32.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"

/* Which slot holds this code: the address of a function of ours. */
static int own_slot(enum ts_slot *slot)
{
	uint32_t pc = (uint32_t)(uintptr_t)&own_slot;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		uint32_t base = ts_slot_addr((enum ts_slot)s);
		if (pc >= base && pc < base + TS_SLOT_SIZE) {
			*slot = (enum ts_slot)s;
			return TS_OK;
		}
	}
	return TS_ERR_ADDR;
}

/* Identity of the image in slot s from its header (the bootloader has
 * checked the hash of the running one; for the other slot the header is
 * enough to keep its records live through a compaction). */
static int slot_id(enum ts_slot s, struct ts_slot_id *id, uint32_t *version)
{
	struct ts_image_header h;
	enum ts_slot linked;
	int err = ts_image_header_parse((const uint8_t *)(uintptr_t)ts_slot_addr(s), &h);
	if (!err)
		err = ts_image_header_slot(&h, &linked);
	if (!err && linked != s)
		err = TS_ERR_ADDR;
	memset(id, 0, sizeof(*id));
	if (err)
		return err;
	id->present = true;
	id->version = h.version;
	id->counter = h.security_counter;
	memcpy(id->hash, h.app_sha256, TS_RECORD_HASH_LEN);
	if (version)
		*version = h.version;
	return TS_OK;
}

int ts_client_running(enum ts_slot *slot, uint32_t *version)
{
	struct ts_slot_id id;
	int err = own_slot(slot);
	return err ? err : slot_id(*slot, &id, version);
}

/* Scan the journal with the slots' identities; ids[mine] must be present. */
static int scan(enum ts_slot *mine, struct ts_slot_id ids[TS_SLOT_COUNT],
		struct ts_journal_state *st)
{
	int err = own_slot(mine);
	if (err || (err = slot_id(*mine, &ids[*mine], NULL)) != TS_OK)
		return err;
	(void)slot_id(ts_slot_other(*mine), &ids[ts_slot_other(*mine)], NULL);
	return ts_journal_scan(ts_journal_read_mapped, NULL, TS_JOURNAL_RECORDS, ids, st);
}

static void own_record(struct ts_record *r, uint32_t seq, enum ts_slot mine,
		       const struct ts_slot_id *id, enum ts_rec_type type)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->type = (uint8_t)type;
	r->slot = (uint8_t)mine;
	r->version = id->version;
	memcpy(r->hash, id->hash, TS_RECORD_HASH_LEN);
}

static int append_own(enum ts_slot mine, const struct ts_slot_id *id,
		      const struct ts_journal_state *st, enum ts_rec_type type)
{
	struct ts_record r;
	own_record(&r, st->max_seq + 1u, mine, id, type);
	return ts_journal_append(st, &r, 1);
}

/*
 * CONFIRMED, then the minimum security counter (docs/security.md): a
 * MIN_COUNTER record of max(minimum, own counter) follows every CONFIRMED
 * once the minimum is not 0 (so a host reading back from the journal's end
 * finds it among the last records), and an already confirmed image whose
 * counter is above the minimum (a record lost to a torn compaction, or the
 * cut between the two records) writes it alone. The minimum is written only
 * after CONFIRMED is whole: it never rises for an image that did not confirm.
 */
int ts_client_confirm(void)
{
	enum ts_slot mine;
	struct ts_slot_id ids[TS_SLOT_COUNT];
	struct ts_journal_state st;
	struct ts_record r[2];
	uint8_t n = 0;
	int err = scan(&mine, ids, &st);
	if (err)
		return err;
	uint32_t min = ts_journal_min_counter(&st), mine_ctr = ids[mine].counter;
	bool confirmed = st.has_slot[mine] && st.slot[mine].type == TS_REC_CONFIRMED;
	if (!confirmed)
		own_record(&r[n++], st.max_seq + 1u, mine, &ids[mine], TS_REC_CONFIRMED);
	if (mine_ctr > min || (!confirmed && min > 0)) {
		own_record(&r[n], st.max_seq + 1u + n, mine, &ids[mine], TS_REC_MIN_COUNTER);
		r[n++].version = mine_ctr > min ? mine_ctr : min;
	}
	if (n == 0)
		return 0;
	err = ts_journal_append(&st, r, n);
	return err ? err : !confirmed;
}

int ts_client_request_rollback(void)
{
	enum ts_slot mine;
	struct ts_slot_id ids[TS_SLOT_COUNT];
	struct ts_journal_state st;
	int err = scan(&mine, ids, &st);
	if (!err)
		err = append_own(mine, &ids[mine], &st, TS_REC_ROLLED_BACK);
	if (err)
		return err;
	cpu_dsb();
	REG32(SCB_AIRCR) = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
	cpu_dsb();
	for (;;)
		;
}

uint32_t ts_client_boot_note(char *line, uint32_t cap)
{
	struct ts_boot_note *n = (struct ts_boot_note *)(uintptr_t)TS_BOOT_NOTE_ADDR;
	uint32_t len = n->len;
	int ok = n->magic == TS_BOOT_NOTE_MAGIC && len > 0 && len < TS_BOOT_NOTE_TEXT && cap > 0 &&
		 ts_crc32(0, n->text, len) == n->crc;
	n->magic = 0;
	if (!ok)
		return 0;
	if (len > cap - 1u)
		len = cap - 1u;
	memcpy(line, n->text, len);
	line[len] = '\0';
	return len;
}
