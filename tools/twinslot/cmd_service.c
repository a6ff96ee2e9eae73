/* Service commands through the ROM bootloader: confirm, rollback, read,
 * erase. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_cli.h"
#include "cli.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

static const char HELP_CONFIRM[] =
	"usage: twinslot confirm --port DEV [--slot A|B] [options]\n"
	"\n"
	"Append a CONFIRMED record for the image on trial (the slot whose newest\n"
	"record is PENDING or ATTEMPT), or for --slot, then restart the board.\n";
static const char HELP_ROLLBACK[] =
	"usage: twinslot rollback --port DEV [--slot A|B] [options]\n"
	"\n"
	"Append a ROLLED_BACK record for the slot the board runs (or --slot), so the\n"
	"bootloader goes back to the other slot's image; then restart the board.\n"
	"Refused when the other slot holds no image.\n";
static const char HELP_READ[] =
	"usage: twinslot read --port DEV ADDR LEN -o FILE [options]\n"
	"\n"
	"Read LEN bytes of memory from ADDR (e.g. 0x080E0000 4096) into FILE.\n";
static const char HELP_ERASE[] =
	"usage: twinslot erase --port DEV SECTORS [--force] [options]\n"
	"\n"
	"Erase flash sectors, e.g. 5-7 or 8,9,10. Sector 0 (our bootloader) only\n"
	"with --force.\n";

enum what { CONFIRM, ROLLBACK, READ, ERASE };

static int usage_err(const char *cmd, const char *m)
{
	ts_cli_err(cmd, "%s (see twinslot %s --help)", m, cmd);
	return TS_BEXIT_USAGE;
}

static int parse_sectors(const char *s, uint16_t *out, size_t *n)
{
	*n = 0;
	while (*s) {
		char *e;
		long a = strtol(s, &e, 10), z = a;
		if (e == s)
			return -1;
		if (*e == '-') {
			s = e + 1;
			z = strtol(s, &e, 10);
			if (e == s)
				return -1;
		}
		if (a < 0 || z > 11 || z < a)
			return -1;
		for (long k = a; k <= z; k++) {
			for (size_t j = 0; j < *n; j++)
				if (out[j] == k)
					return -1;
			out[(*n)++] = (uint16_t)k;
		}
		if (*e == ',')
			e++;
		else if (*e)
			return -1;
		s = e;
	}
	return *n ? 0 : -1;
}

static int run(enum what w, int argc, char **argv)
{
	static struct ts_board_cli board;
	struct ts_board_cli *b = &board;
	static const char *const names[] = { "confirm", "rollback", "read", "erase" };
	static const char *const helps[] = { HELP_CONFIRM, HELP_ROLLBACK, HELP_READ, HELP_ERASE };
	const char *slot = NULL, *out = NULL, *pos[2] = { NULL, NULL };
	int npos = 0;
	bool force = false;

	memset(b, 0, sizeof(*b));
	b->cmd = names[w];
	for (int i = 1; i < argc;) {
		int r;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(helps[w], stdout);
			fputs("\nOptions:\n" TS_BOARD_OPTS_HELP "\n" TS_BOARD_EXIT_HELP, stdout);
			return TS_BEXIT_OK;
		}
		if ((r = ts_board_opt(b, argc, argv, &i)) != 0 ||
		    (r = ts_opt(b->cmd, argc, argv, &i, "--slot", &slot)) != 0 ||
		    (r = ts_opt(b->cmd, argc, argv, &i, "-o", &out)) != 0) {
			if (r < 0)
				return TS_BEXIT_USAGE;
			continue;
		}
		if (strcmp(argv[i], "--force") == 0) {
			force = true;
		} else if (argv[i][0] == '-' || npos == 2) {
			ts_cli_err(b->cmd, "unexpected argument %s (see twinslot %s --help)", argv[i],
				   b->cmd);
			return TS_BEXIT_USAGE;
		} else {
			pos[npos++] = argv[i];
		}
		i++;
	}
	int want = w == READ ? 2 : w == ERASE ? 1 : 0;
	if (npos != want)
		return usage_err(b->cmd, w == READ ? "needs ADDR and LEN" : w == ERASE
				 ? "needs SECTORS" : "takes no arguments");
	int sl = -1;
	if (slot) {
		if (strcmp(slot, "A") && strcmp(slot, "a") && strcmp(slot, "B") && strcmp(slot, "b"))
			return usage_err(b->cmd, "--slot takes A or B");
		sl = (slot[0] == 'A' || slot[0] == 'a') ? TS_SLOT_A : TS_SLOT_B;
	}
	uint32_t addr = 0, len = 0;
	uint16_t secs[TS_FLASH_SECTORS];
	size_t nsec = 0;
	if (w == READ) {
		if (!ts_parse_u32(pos[0], &addr) || !ts_parse_u32(pos[1], &len) || len == 0)
			return usage_err(b->cmd, "ADDR and LEN are numbers (0x... or decimal)");
		if (!out)
			return usage_err(b->cmd, "-o FILE is required");
	}
	if (w == ERASE) {
		if (parse_sectors(pos[0], secs, &nsec) != 0)
			return usage_err(b->cmd, "SECTORS: numbers 0..11, ranges and commas (5-7,11)");
		for (size_t k = 0; k < nsec; k++)
			if (secs[k] == 0 && !force)
				return usage_err(b->cmd, "sector 0 holds the bootloader: add --force");
	}

	struct ts_update_cfg cfg;
	ts_update_default_cfg(&cfg);
	int rc = ts_board_open(b, &cfg);
	if (rc)
		return rc;
	struct ts_update *u = &b->u;
	int err = w == READ || w == ERASE ? ts_update_enter_rom(u) : ts_update_connect(u);
	if (err)
		goto failed;
	const struct ts_board *bd = &u->board;
	const struct ts_journal_state *j = &bd->journal;
	if (w == CONFIRM || w == ROLLBACK) {
		if (sl < 0) {
			if (!j->has_newest) {
				u->phase = TS_PHASE_CHECK;
				snprintf(u->msg, sizeof(u->msg), "the journal has no live record: "
					 "name the slot with --slot");
				err = TS_ERR_NOENT;
				goto failed;
			}
			bool trial = j->newest.type == TS_REC_PENDING ||
				     j->newest.type == TS_REC_ATTEMPT;
			if (w == CONFIRM && !trial) {
				u->phase = TS_PHASE_CHECK;
				snprintf(u->msg, sizeof(u->msg), "nothing on trial to confirm (newest "
					 "record: %s slot %c); name the slot with --slot",
					 ts_rec_type_name(j->newest.type), ts_slot_name(j->newest.slot));
				err = TS_ERR_STATE;
				goto failed;
			}
			sl = w == CONFIRM ? j->newest.slot
			     : j->newest.type == TS_REC_ROLLED_BACK ? ts_slot_other(j->newest.slot)
								    : j->newest.slot;
		}
		if (w == ROLLBACK && !bd->ids[ts_slot_other((enum ts_slot)sl)].present) {
			u->phase = TS_PHASE_CHECK;
			snprintf(u->msg, sizeof(u->msg), "slot %c holds no image to go back to",
				 ts_slot_name(ts_slot_other((enum ts_slot)sl)));
			err = TS_ERR_STATE;
			goto failed;
		}
		u->phase = TS_PHASE_CHECK;
		if (!bd->ids[sl].present) {
			snprintf(u->msg, sizeof(u->msg), "slot %c holds no image", ts_slot_name(sl));
			err = TS_ERR_STATE;
			goto failed;
		}
		u->phase = TS_PHASE_COMMIT;
		enum ts_rec_type t = w == CONFIRM ? TS_REC_CONFIRMED : TS_REC_ROLLED_BACK;
		if ((err = ts_update_append(u, t, (enum ts_slot)sl)) != TS_OK)
			goto failed;
		if (b->json)
			printf("{\"event\":\"result\",\"ok\":true,\"record\":\"%s\",\"slot\":\"%c\","
			       "\"seq\":%u}\n", ts_rec_type_name(t), ts_slot_name(sl),
			       (unsigned)j->newest.seq);
		else
			printf("slot %c: %s (seq %u)\n", ts_slot_name(sl), ts_rec_type_name(t),
			       (unsigned)j->newest.seq);
	} else if (w == READ) {
		FILE *f = fopen(out, "wb");
		if (!f) {
			u->phase = TS_PHASE_CHECK;
			snprintf(u->msg, sizeof(u->msg), "%s: %s", out, strerror(errno));
			err = TS_ERR_IO;
			goto failed;
		}
		for (uint32_t off = 0; off < len;) {
			uint32_t n = len - off > 256 ? 256 : len - off;
			if ((err = ts_an3155_read_memory(&u->rom, addr + off, u->block, n)) != TS_OK) {
				fclose(f);
				snprintf(u->msg, sizeof(u->msg), "%s", u->rom.msg);
				goto failed;
			}
			fwrite(u->block, 1, n, f);
			off += n;
			if (u->port->progress) {
				struct ts_progress p = { "read", off, len };
				u->port->progress(u->port->ctx, &p);
			}
		}
		if (fclose(f) != 0) {
			snprintf(u->msg, sizeof(u->msg), "%s: write failed", out);
			err = TS_ERR_IO;
			goto failed;
		}
		ts_linux_progress_end(&b->lx);
		if (!b->json)
			printf("read %u bytes from 0x%08X into %s\n", (unsigned)len, (unsigned)addr, out);
		else
			printf("{\"event\":\"result\",\"ok\":true,\"bytes\":%u}\n", (unsigned)len);
	} else {
		u->phase = TS_PHASE_ERASE;
		for (size_t k = 0; k < nsec; k++) {
			if ((err = ts_an3155_extended_erase(&u->rom, &secs[k], 1)) != TS_OK) {
				snprintf(u->msg, sizeof(u->msg), "%s", u->rom.msg);
				goto failed;
			}
			if (u->port->progress) {
				struct ts_progress p = { "erase", k + 1, nsec };
				u->port->progress(u->port->ctx, &p);
			}
		}
		ts_linux_progress_end(&b->lx);
		if (!b->json)
			printf("erased %zu sector%s\n", nsec, nsec == 1 ? "" : "s");
		else
			printf("{\"event\":\"result\",\"ok\":true,\"sectors\":%zu}\n", nsec);
	}
	fflush(stdout);
	rc = ts_board_release(b);
	ts_board_close(b);
	return rc;
failed:
	rc = ts_board_fail(b, err);
	if (u->in_rom)
		ts_update_restart(u);
	ts_board_close(b);
	return rc;
}

int ts_cmd_confirm(int argc, char **argv) { return run(CONFIRM, argc, argv); }
int ts_cmd_rollback(int argc, char **argv) { return run(ROLLBACK, argc, argv); }
int ts_cmd_read(int argc, char **argv) { return run(READ, argc, argv); }
int ts_cmd_erase(int argc, char **argv) { return run(ERASE, argc, argv); }
