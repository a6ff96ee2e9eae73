/*
 * flash_truth: what a board's 1 MB flash file says, read independently of
 * the host engine: slots by full validation (ts_image_validate: header, slot,
 * vectors, SHA-256), the whole journal by ts_journal_scan, the next boot by
 * the bootloader's own ts_boot_decide, and the slot an update must not
 * overwrite (the one that runs, or the confirmed fallback of a trial).
 *
 * usage: flash_truth FLASH.bin [--compare STATUS.json]
 *
 * Prints the truth as one JSON line. With --compare, reads the output of
 * `twinslot status --json` and checks every field it reports against the
 * truth, printing one line per mismatch on stderr (exit 1). A slot whose
 * status says "body":"not verified" is compared with what its header alone
 * tells (status claims no more); "ok" or an error must match full validation.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twinslot/boot.h"
#include "twinslot/err.h"
#include "twinslot/image.h"
#include "twinslot/journal.h"
#include "twinslot/layout.h"
#include "twinslot/version.h"

static uint8_t flash[TS_FLASH_SIZE];

struct truth {
	int hdr_err[TS_SLOT_COUNT];  /* header parse + linked for this slot */
	struct ts_image_header hdr[TS_SLOT_COUNT];
	int body_err[TS_SLOT_COUNT]; /* full validation when the header is ok */
	bool header_only[TS_SLOT_COUNT];
	struct ts_slot_id ids[TS_SLOT_COUNT];
	struct ts_journal_state j;
	struct ts_boot_plan plan;
	bool has_keep;
	enum ts_slot keep, target;
};

static int read_journal(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	if (off + len > TS_JOURNAL_SIZE)
		return TS_ERR_INVAL;
	memcpy(buf, flash + (TS_JOURNAL_ADDR - TS_FLASH_BASE) + off, len);
	return TS_OK;
}

static void compute(struct truth *t)
{
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		const uint8_t *img = flash + (ts_slot_addr((enum ts_slot)s) - TS_FLASH_BASE);
		enum ts_slot linked;
		t->hdr_err[s] = ts_image_header_parse(img, &t->hdr[s]);
		if (t->hdr_err[s] == TS_OK) {
			t->hdr_err[s] = ts_image_header_slot(&t->hdr[s], &linked);
			if (t->hdr_err[s] == TS_OK && linked != (enum ts_slot)s)
				t->hdr_err[s] = TS_ERR_ADDR;
		}
		memset(&t->ids[s], 0, sizeof(t->ids[s]));
		if (t->hdr_err[s] != TS_OK)
			continue;
		struct ts_image_header h;
		t->body_err[s] = ts_image_validate(img, TS_SLOT_SIZE, (enum ts_slot)s, &h, NULL);
		if (t->body_err[s] == TS_OK || t->header_only[s]) {
			t->ids[s].present = true;
			t->ids[s].version = t->hdr[s].version;
			t->ids[s].counter = t->hdr[s].security_counter;
			memcpy(t->ids[s].hash, t->hdr[s].app_sha256, TS_RECORD_HASH_LEN);
		}
	}
	if (ts_journal_scan(read_journal, NULL, TS_JOURNAL_RECORDS, t->ids, &t->j) != TS_OK)
		abort();
	struct ts_boot_input in = { .journal = &t->j, .max_attempts = TS_MAX_ATTEMPTS };
	memcpy(in.ids, t->ids, sizeof(in.ids));
	ts_boot_decide(&in, &t->plan);

	/* Never overwrite what runs after the next reset; during a trial, never
	 * overwrite the confirmed image the trial falls back to. Nothing to keep
	 * when the bootloader halts. */
	t->has_keep = t->plan.action != TS_BOOT_HALT;
	if (t->has_keep) {
		enum ts_slot x = t->plan.slot, y = ts_slot_other(x);
		t->keep = x;
		if (t->plan.action == TS_BOOT_TRIAL && t->ids[y].present && t->j.has_slot[y] &&
		    t->j.slot[y].type == TS_REC_CONFIRMED)
			t->keep = y;
		t->target = ts_slot_other(t->keep);
	}
}

static const char *rec_name(int type)
{
	static const char *const n[] = { "?", "PENDING", "ATTEMPT", "CONFIRMED", "ROLLED_BACK" };
	return type >= 1 && type <= 4 ? n[type] : "?";
}

static const char *hdr_text(const struct truth *t, int s)
{
	return t->hdr_err[s] == TS_OK ? "ok" : t->hdr_err[s] == TS_ERR_BLANK ? "empty"
									 : ts_strerror(t->hdr_err[s]);
}

static void print_truth(const struct truth *t)
{
	static const char *const actions[] = { "run", "trial", "halt" };
	char v[TS_VERSION_STR_MAX];
	printf("{\"slots\":{");
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		printf("%s\"%c\":{\"present\":%s,\"header\":\"%s\"", s ? "," : "",
		       ts_slot_name((enum ts_slot)s), t->ids[s].present ? "true" : "false",
		       hdr_text(t, s));
		if (t->hdr_err[s] == TS_OK) {
			ts_version_format(t->hdr[s].version, v);
			printf(",\"version\":\"%s\",\"body\":\"%s\"", v,
			       t->header_only[s] ? "not verified"
			       : t->body_err[s] ? ts_strerror(t->body_err[s]) : "ok");
		}
		printf(",\"record\":\"%s\"", t->j.has_slot[s] ? rec_name(t->j.slot[s].type) : "none");
		if (t->j.has_slot[s])
			printf(",\"seq\":%u,\"attempt\":%u", (unsigned)t->j.slot[s].seq,
			       (unsigned)t->j.slot[s].attempt);
		printf("}");
	}
	printf("},\"journal\":{\"free_index\":%u,\"max_seq\":%u,\"valid\":%u,\"invalid\":%u,"
	       "\"dirty\":%s}", (unsigned)t->j.free_index, (unsigned)t->j.max_seq,
	       (unsigned)t->j.valid, (unsigned)t->j.invalid, t->j.dirty ? "true" : "false");
	if (t->j.has_newest)
		printf(",\"newest\":{\"type\":\"%s\",\"slot\":\"%c\",\"seq\":%u}",
		       rec_name(t->j.newest.type), ts_slot_name((enum ts_slot)t->j.newest.slot),
		       (unsigned)t->j.newest.seq);
	printf(",\"next_boot\":{\"action\":\"%s\"", actions[t->plan.action]);
	if (t->plan.action != TS_BOOT_HALT)
		printf(",\"slot\":\"%c\",\"attempt\":%u", ts_slot_name(t->plan.slot),
		       (unsigned)t->plan.attempt);
	printf(",\"reason\":\"%s\"}", ts_boot_reason_str(t->plan.reason));
	if (t->has_keep)
		printf(",\"keep\":\"%c\",\"next_target\":\"%c\"", ts_slot_name(t->keep),
		       ts_slot_name(t->target));
	printf("}\n");
}

/* ---- comparing with twinslot status --json ---- */

static int mismatches;

static void bad(const char *field, const char *status, const char *truth)
{
	fprintf(stderr, "MISMATCH %s: status says %s, the flash file says %s\n", field, status,
		truth);
	mismatches++;
}

static const cJSON *need(const cJSON *o, const char *path, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		char f[96];
		snprintf(f, sizeof(f), "%s.%s", path, key);
		bad(f, "nothing", "a value");
	}
	return v;
}

static void cmp_str(const cJSON *o, const char *path, const char *key, const char *want)
{
	const cJSON *v = need(o, path, key);
	if (!v)
		return;
	char f[96];
	snprintf(f, sizeof(f), "%s.%s", path, key);
	if (!cJSON_IsString(v))
		bad(f, "a non-string", want);
	else if (strcmp(v->valuestring, want) != 0)
		bad(f, v->valuestring, want);
}

static void cmp_num(const cJSON *o, const char *path, const char *key, double want)
{
	const cJSON *v = need(o, path, key);
	if (!v)
		return;
	char f[96], a[32], b[32];
	snprintf(f, sizeof(f), "%s.%s", path, key);
	snprintf(b, sizeof(b), "%.0f", want);
	if (!cJSON_IsNumber(v))
		bad(f, "a non-number", b);
	else if (v->valuedouble != want) {
		snprintf(a, sizeof(a), "%.0f", v->valuedouble);
		bad(f, a, b);
	}
}

static void cmp_bool(const cJSON *o, const char *path, const char *key, bool want)
{
	const cJSON *v = need(o, path, key);
	if (!v)
		return;
	char f[96];
	snprintf(f, sizeof(f), "%s.%s", path, key);
	if (!cJSON_IsBool(v))
		bad(f, "a non-boolean", want ? "true" : "false");
	else if (cJSON_IsTrue(v) != want)
		bad(f, cJSON_IsTrue(v) ? "true" : "false", want ? "true" : "false");
}

static void compare(const cJSON *st)
{
	static const char *const actions[] = { "run", "trial", "halt" };
	struct truth t;
	char v[TS_VERSION_STR_MAX], path[32], hash[2 * TS_RECORD_HASH_LEN + 1];
	const cJSON *slots = need(st, "status", "slots");

	/* The identity status used per slot decides which truth applies. */
	memset(&t, 0, sizeof(t));
	for (int s = 0; s < TS_SLOT_COUNT && slots; s++) {
		char n[2] = { ts_slot_name((enum ts_slot)s), 0 };
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(slots, n);
		const cJSON *body = o ? cJSON_GetObjectItemCaseSensitive(o, "body") : NULL;
		t.header_only[s] = cJSON_IsString(body) && strcmp(body->valuestring, "not verified") == 0;
	}
	compute(&t);
	print_truth(&t);
	if (!slots)
		return;

	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		char n[2] = { ts_slot_name((enum ts_slot)s), 0 };
		snprintf(path, sizeof(path), "slots.%s", n);
		const cJSON *o = need(slots, "slots", n);
		if (!o)
			continue;
		cmp_bool(o, path, "present", t.ids[s].present);
		cmp_str(o, path, "header", hdr_text(&t, s));
		if (t.hdr_err[s] == TS_OK) {
			ts_version_format(t.hdr[s].version, v);
			cmp_str(o, path, "version", v);
			cmp_num(o, path, "product", t.hdr[s].product_id);
			cmp_num(o, path, "app_size", t.hdr[s].app_size);
			for (unsigned i = 0; i < TS_RECORD_HASH_LEN; i++)
				snprintf(hash + 2 * i, 3, "%02x", t.hdr[s].app_sha256[i]);
			cmp_str(o, path, "hash", hash);
			if (!t.header_only[s])
				cmp_str(o, path, "body", t.body_err[s] ? ts_strerror(t.body_err[s]) : "ok");
		}
		cmp_str(o, path, "record", t.j.has_slot[s] ? rec_name(t.j.slot[s].type) : "none");
		if (t.j.has_slot[s]) {
			cmp_num(o, path, "seq", t.j.slot[s].seq);
			cmp_num(o, path, "attempt", t.j.slot[s].attempt);
		}
		if (t.has_keep)
			cmp_bool(o, path, "running", t.keep == (enum ts_slot)s);
	}

	const cJSON *j = need(st, "status", "journal");
	if (j) {
		cmp_num(j, "journal", "free_index", t.j.free_index);
		cmp_num(j, "journal", "max_seq", t.j.max_seq);
		cmp_bool(j, "journal", "dirty", t.j.dirty);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "complete");
		const cJSON *rr = cJSON_GetObjectItemCaseSensitive(j, "records_read");
		/* Counts cover what was read: all of them only when complete. */
		if (cJSON_IsTrue(c))
			cmp_num(j, "journal", "invalid", t.j.invalid);
		if (cJSON_IsNumber(rr) && cJSON_IsBool(c) &&
		    cJSON_IsTrue(c) != (rr->valuedouble >= t.j.free_index))
			bad("journal.complete", cJSON_IsTrue(c) ? "true" : "false",
			    "whether records_read covers free_index");
	}

	const cJSON *nw = cJSON_GetObjectItemCaseSensitive(st, "newest");
	if (!t.j.has_newest && nw)
		bad("newest", "a record", "none");
	else if (t.j.has_newest && (nw = need(st, "status", "newest")) != NULL) {
		char sl[2] = { ts_slot_name((enum ts_slot)t.j.newest.slot), 0 };
		cmp_str(nw, "newest", "type", rec_name(t.j.newest.type));
		cmp_str(nw, "newest", "slot", sl);
		cmp_num(nw, "newest", "seq", t.j.newest.seq);
	}

	const cJSON *nb = need(st, "status", "next_boot");
	if (nb) {
		cmp_str(nb, "next_boot", "action", actions[t.plan.action]);
		if (t.plan.action != TS_BOOT_HALT) {
			char sl[2] = { ts_slot_name(t.plan.slot), 0 };
			cmp_str(nb, "next_boot", "slot", sl);
			cmp_num(nb, "next_boot", "attempt", t.plan.attempt);
		}
		cmp_str(nb, "next_boot", "reason", ts_boot_reason_str(t.plan.reason));
	}
	if (t.has_keep) {
		char sl[2] = { ts_slot_name(t.target), 0 };
		cmp_str(st, "status", "next_target", sl);
	}
}

static char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	char *buf = malloc(max + 1);
	if (!buf)
		abort();
	*len = fread(buf, 1, max + 1, f);
	fclose(f);
	buf[*len < max ? *len : max] = 0;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--compare") == 0)) {
		fprintf(stderr, "usage: flash_truth FLASH.bin [--compare STATUS.json]\n");
		return 2;
	}
	size_t len;
	char *raw = slurp(argv[1], TS_FLASH_SIZE, &len);
	if (len != TS_FLASH_SIZE) {
		fprintf(stderr, "flash_truth: %s is %zu bytes, not 1 MiB\n", argv[1], len);
		return 2;
	}
	memcpy(flash, raw, TS_FLASH_SIZE);
	free(raw);
	if (argc == 2) {
		struct truth t;
		memset(&t, 0, sizeof(t));
		compute(&t);
		print_truth(&t);
		return 0;
	}
	char *js = slurp(argv[3], 1u << 20, &len);
	/* The status line is the one with "event":"status". */
	char *line = strstr(js, "{\"event\":\"status\"");
	cJSON *st = line ? cJSON_Parse(line) : NULL;
	if (!st) {
		fprintf(stderr, "flash_truth: no status JSON line in %s\n", argv[3]);
		free(js);
		return 2;
	}
	compare(st);
	cJSON_Delete(st);
	free(js);
	if (mismatches)
		fprintf(stderr, "flash_truth: %d mismatch%s\n", mismatches, mismatches == 1 ? "" : "es");
	return mismatches ? 1 : 0;
}
