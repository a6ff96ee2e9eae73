/* twinslot status: what the board holds, read through its ROM bootloader. */
#include <stdio.h>
#include <string.h>

#include "board_cli.h"
#include "cli.h"
#include "twinslot/boot.h"
#include "twinslot/err.h"
#include "twinslot/version.h"

static const char USAGE[] =
	"usage: twinslot status --port DEV [options]\n"
	"\n"
	"Enter the ROM bootloader, read both slot headers and the journal (its end\n"
	"by binary search, then records back from the end), print the slots, their\n"
	"versions and journal states, and which slot the next update goes to; then\n"
	"restart the board (BOOT0 low, NRST pulse) unless --stay.\n";

static const struct ts_optdef OPTS[] = {
	{ "--stay", NULL, NULL, "leave the board in its ROM bootloader" },
	{ "--full", NULL, NULL, "read every journal record (128 KB)" },
	{ "--verify", NULL, NULL, "read both slot bodies and hash them as the bootloader\n"
				  "does (up to 768 KB over the UART). Without it images\n"
				  "are known by their headers only: \"body not verified\"" },
};

static const struct ts_cmdspec SPEC = {
	"status", USAGE, OPTS, sizeof OPTS / sizeof OPTS[0], 0, TS_BOARD_EXIT_HELP,
	ts_board_opts, TS_BOARD_NOPTS,
};

static const char *body_text(const struct ts_board *bd, enum ts_slot s)
{
	if (!bd->body_checked[s])
		return "not verified";
	return bd->body_err[s] == TS_OK ? "ok" : ts_strerror(bd->body_err[s]);
}

static void slot_text(const struct ts_board *bd, enum ts_slot s, bool json)
{
	const struct ts_journal_state *j = &bd->journal;
	char v[TS_VERSION_STR_MAX] = "";
	char hash[2 * TS_RECORD_HASH_LEN + 1];
	bool hdr_ok = bd->hdr_err[s] == TS_OK;
	if (hdr_ok)
		ts_version_format(bd->hdr[s].version, v);
	ts_hex(bd->hdr[s].app_sha256, TS_RECORD_HASH_LEN, hash);
	const char *rec = j->has_slot[s] ? ts_rec_type_name(j->slot[s].type) : "none";
	bool running = bd->has_running && bd->running == s;
	const char *hdr = hdr_ok ? "ok" : bd->hdr_err[s] == TS_ERR_BLANK ? "empty"
					: ts_strerror(bd->hdr_err[s]);
	if (json) {
		printf("\"%c\":{\"present\":%s", ts_slot_name(s), bd->ids[s].present ? "true" : "false");
		if (hdr_ok)
			printf(",\"version\":\"%s\",\"product\":%u,\"app_size\":%u,\"hash\":\"%s\","
			       "\"security_counter\":%u", v, (unsigned)bd->hdr[s].product_id,
			       (unsigned)bd->hdr[s].app_size, hash,
			       (unsigned)bd->hdr[s].security_counter);
		if (hdr_ok && bd->hdr[s].security_counter < ts_journal_min_counter(j))
			printf(",\"below_min\":true");
		printf(",\"header\":\"%s\"", hdr);
		if (hdr_ok)
			printf(",\"body\":\"%s\"", body_text(bd, s));
		printf(",\"record\":\"%s\"", rec);
		if (j->has_slot[s])
			printf(",\"seq\":%u,\"attempt\":%u", (unsigned)j->slot[s].seq,
			       (unsigned)j->slot[s].attempt);
		printf(",\"running\":%s}", running ? "true" : "false");
		return;
	}
	printf("slot %c: ", ts_slot_name(s));
	if (hdr_ok)
		printf("v%s, product 0x%08X, security counter %u, %u bytes, sha256 %s... "
		       "(header ok, body %s)%s", v, (unsigned)bd->hdr[s].product_id,
		       (unsigned)bd->hdr[s].security_counter, (unsigned)bd->hdr[s].app_size, hash,
		       body_text(bd, s),
		       bd->hdr[s].security_counter < ts_journal_min_counter(j)
			       ? " [below the minimum security counter: never booted]" : "");
	else
		printf("%s", hdr);
	printf("; journal: %s", rec);
	if (j->has_slot[s]) {
		printf(" (seq %u", (unsigned)j->slot[s].seq);
		if (j->slot[s].type == TS_REC_ATTEMPT)
			printf(", attempt %u", (unsigned)j->slot[s].attempt);
		printf(")");
	}
	if (running)
		printf("  [runs or is the fallback: kept]");
	printf("\n");
}

static const char *const ACTIONS[] = { "run", "trial", "halt" };

static void print_json(const struct ts_board *bd, const struct ts_boot_plan *plan)
{
	const struct ts_journal_state *j = &bd->journal;
	printf("{\"event\":\"status\",\"chip\":%u,\"bootloader\":%u,\"slots\":{",
	       (unsigned)bd->pid, (unsigned)bd->bl_version);
	slot_text(bd, TS_SLOT_A, true);
	printf(",");
	slot_text(bd, TS_SLOT_B, true);
	printf("},\"journal\":{\"free_index\":%u,\"max_seq\":%u,\"records_read\":%u,"
	       "\"complete\":%s,\"invalid\":%u,\"dirty\":%s,\"min_security_counter\":%u,"
	       "\"min_record\":%s},",
	       (unsigned)j->free_index, (unsigned)j->max_seq,
	       (unsigned)bd->journal_records_read, bd->journal_complete ? "true" : "false",
	       (unsigned)j->invalid, j->dirty ? "true" : "false",
	       (unsigned)ts_journal_min_counter(j), j->has_min ? "true" : "false");
	if (j->has_newest)
		printf("\"newest\":{\"type\":\"%s\",\"slot\":\"%c\",\"seq\":%u},",
		       ts_rec_type_name(j->newest.type), ts_slot_name(j->newest.slot),
		       (unsigned)j->newest.seq);
	printf("\"next_boot\":{\"action\":\"%s\"", ACTIONS[plan->action]);
	if (plan->action != TS_BOOT_HALT)
		printf(",\"slot\":\"%c\",\"attempt\":%u", ts_slot_name(plan->slot),
		       (unsigned)plan->attempt);
	printf(",\"reason\":\"%s\"},", ts_boot_reason_str(plan->reason));
	printf("\"next_target\":\"%c\"}\n", ts_slot_name(bd->target));
}

static void print_text(const struct ts_board *bd, const struct ts_boot_plan *plan)
{
	const struct ts_journal_state *j = &bd->journal;
	bool unverified = false;
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		unverified |= bd->hdr_err[s] == TS_OK && !bd->body_checked[s];
	printf("chip: product ID 0x%03X, ROM bootloader v%u.%u\n", (unsigned)bd->pid,
	       bd->bl_version >> 4, bd->bl_version & 15u);
	slot_text(bd, TS_SLOT_A, false);
	slot_text(bd, TS_SLOT_B, false);
	printf("journal: %u record position%s used, newest seq %u", (unsigned)j->free_index,
	       j->free_index == 1 ? "" : "s", (unsigned)j->max_seq);
	if (j->has_newest)
		printf(", newest live record: %s slot %c", ts_rec_type_name(j->newest.type),
		       ts_slot_name(j->newest.slot));
	printf(" (%u read%s%s%s)\n", (unsigned)bd->journal_records_read,
	       bd->journal_complete ? ", complete" : " from the end",
	       j->invalid ? ", some invalid" : "", j->dirty ? ", order broken" : "");
	if (j->has_min)
		printf("minimum security counter: %u (MIN_COUNTER record, seq %u): the "
		       "bootloader boots no image below it\n", (unsigned)ts_journal_min_counter(j),
		       (unsigned)j->min.seq);
	else
		printf("minimum security counter: 0 (no MIN_COUNTER record%s)\n",
		       bd->journal_complete ? " in the journal" : " among the records read");
	printf("next boot: ");
	if (plan->action == TS_BOOT_HALT)
		printf("none, the bootloader waits for the host");
	else if (plan->action == TS_BOOT_TRIAL)
		printf("slot %c, trial %u/%u", ts_slot_name(plan->slot), (unsigned)plan->attempt,
		       (unsigned)TS_MAX_ATTEMPTS);
	else
		printf("slot %c", ts_slot_name(plan->slot));
	printf(" (%s)%s\n", ts_boot_reason_str(plan->reason),
	       unverified ? " [from the slot headers: bodies not verified, see --verify]" : "");
	printf("next update goes to: slot %c\n", ts_slot_name(bd->target));
}

int ts_cmd_status(int argc, char **argv)
{
	static struct ts_board_cli board;
	struct ts_board_cli *b = &board;
	struct ts_update_cfg cfg;
	int rc, err;
	if (!ts_board_parse(b, &SPEC, argc, argv, &rc))
		return rc;
	ts_update_default_cfg(&cfg);
	if (ts_flag(&b->args, "--full"))
		cfg.journal_back_max = TS_JOURNAL_RECORDS;
	cfg.verify_slots = ts_flag(&b->args, "--verify");
	if ((rc = ts_board_config(b, &cfg)) != TS_BEXIT_OK ||
	    (rc = ts_board_open(b, &cfg)) != TS_BEXIT_OK) {
		ts_board_close(b);
		return rc;
	}
	if ((err = ts_update_connect(&b->u)) != TS_OK) {
		rc = ts_board_fail(b, err);
		ts_board_close(b);
		return rc;
	}
	/* What the bootloader will do at the next reset, by its own decision
	 * function, on what was read (headers only unless --verify). */
	const struct ts_board *bd = &b->u.board;
	struct ts_boot_input in = { .journal = &bd->journal, .max_attempts = TS_MAX_ATTEMPTS };
	struct ts_boot_plan plan;
	memcpy(in.ids, bd->ids, sizeof(in.ids));
	ts_boot_decide(&in, &plan);
	if (b->json)
		print_json(bd, &plan);
	else
		print_text(bd, &plan);
	fflush(stdout);
	rc = ts_flag(&b->args, "--stay") ? TS_BEXIT_OK : ts_board_release(b);
	ts_board_close(b);
	return rc;
}
