/* Service commands through the ROM bootloader: confirm, rollback, read,
 * erase. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_cli.h"
#include "cli.h"
#include "outfile.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"

static const char USAGE_CONFIRM[] =
	"usage: twinslot confirm --port DEV [--slot A|B] [options]\n"
	"\n"
	"Append a CONFIRMED record for the image on trial (the slot whose newest\n"
	"record is PENDING or ATTEMPT), or for --slot, then restart the board.\n";
static const char USAGE_ROLLBACK[] =
	"usage: twinslot rollback --port DEV [--slot A|B] [options]\n"
	"\n"
	"Append a ROLLED_BACK record for the slot the board runs (or --slot), so the\n"
	"bootloader goes back to the other slot's image; then restart the board.\n"
	"Refused when the other slot holds no image.\n";
static const char USAGE_READ[] =
	"usage: twinslot read --port DEV ADDR LEN -o FILE [options]\n"
	"\n"
	"Read LEN bytes of memory from ADDR (e.g. 0x080E0000 4096) into FILE. The\n"
	"range must lie in one readable region (flash, SRAM, system memory, OTP,\n"
	"option bytes). FILE appears whole or not at all: a failed read leaves an\n"
	"existing FILE as it was.\n";
static const char USAGE_ERASE[] =
	"usage: twinslot erase --port DEV SECTORS [--force] [options]\n"
	"\n"
	"Erase flash sectors, e.g. 5-7 or 8,9,10. Sector 0 (our bootloader) only\n"
	"with --force.\n";

static const struct ts_optdef SLOT_OPT[] = {
	{ "--slot", NULL, "A|B", "the slot the record is about" },
};
static const struct ts_optdef READ_OPT[] = {
	{ "-o", "--out", "FILE", "where the bytes go" },
};
static const struct ts_optdef ERASE_OPT[] = {
	{ "--force", NULL, NULL, "allow sector 0 (the bootloader)" },
};

enum what { CONFIRM, ROLLBACK, READ, ERASE };

#define SPEC(name, usage, opts, npos) \
	{ name, usage, opts, 1, npos, TS_BOARD_EXIT_HELP, ts_board_opts, TS_BOARD_NOPTS }
static const struct ts_cmdspec SPECS[] = {
	[CONFIRM] = SPEC("confirm", USAGE_CONFIRM, SLOT_OPT, 0),
	[ROLLBACK] = SPEC("rollback", USAGE_ROLLBACK, SLOT_OPT, 0),
	[READ] = SPEC("read", USAGE_READ, READ_OPT, 2),
	[ERASE] = SPEC("erase", USAGE_ERASE, ERASE_OPT, 1),
};

/* What the command line asked for, checked before the port opens. */
struct job {
	enum what w;
	int slot;                      /* -1: from the journal */
	uint32_t addr, len;
	const char *out;
	uint16_t secs[TS_FLASH_SECTORS];
	size_t nsec;
};

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

/* Memory the ROM bootloader lets a host read (RM0090 memory map, AN2606). */
static const struct {
	const char *name;
	uint32_t base, size;
} REGIONS[] = {
	{ "flash", TS_FLASH_BASE, TS_FLASH_SIZE },
	{ "SRAM", TS_SRAM_BASE, TS_SRAM_SIZE },
	{ "system memory", 0x1FFF0000u, 0x7800u },
	{ "OTP", 0x1FFF7800u, 0x210u },
	{ "option bytes", 0x1FFFC000u, 0x10u },
};

static bool readable(uint32_t addr, uint32_t len)
{
	for (size_t i = 0; i < sizeof REGIONS / sizeof REGIONS[0]; i++)
		if (addr >= REGIONS[i].base && addr - REGIONS[i].base < REGIONS[i].size &&
		    len <= REGIONS[i].size - (addr - REGIONS[i].base))
			return true;
	return false;
}

static int parse_job(struct ts_board_cli *b, struct job *j)
{
	const struct ts_args *a = &b->args;
	j->slot = -1;
	int want = j->w == READ ? 2 : j->w == ERASE ? 1 : 0;
	if (a->npos != want)
		return usage_err(b->cmd, j->w == READ ? "needs ADDR and LEN" : "needs SECTORS");
	if (j->w == CONFIRM || j->w == ROLLBACK) {
		const char *slot = ts_arg(a, "--slot");
		if (slot && strcmp(slot, "A") && strcmp(slot, "a") && strcmp(slot, "B") &&
		    strcmp(slot, "b"))
			return usage_err(b->cmd, "--slot takes A or B");
		if (slot)
			j->slot = (slot[0] == 'A' || slot[0] == 'a') ? TS_SLOT_A : TS_SLOT_B;
	} else if (j->w == READ) {
		char msg[300];
		if (!ts_parse_u32(a->pos[0], &j->addr) || !ts_parse_u32(a->pos[1], &j->len) ||
		    j->len == 0)
			return usage_err(b->cmd, "ADDR and LEN are numbers (0x... or decimal)");
		if (!readable(j->addr, j->len)) {
			snprintf(msg, sizeof msg, "0x%08X + %u bytes is not inside one readable "
				 "region (flash 0x08000000..0x080FFFFF, SRAM 0x20000000..0x2001FFFF, "
				 "system memory, OTP, option bytes)", (unsigned)j->addr,
				 (unsigned)j->len);
			return usage_err(b->cmd, msg);
		}
		if (!(j->out = ts_arg(a, "-o")))
			return usage_err(b->cmd, "-o FILE is required");
		if (ts_outfile_check(j->out, msg, sizeof msg) != TS_OK) {
			ts_cli_err(b->cmd, "%s: %s", j->out, msg);
			return TS_BEXIT_REFUSED;
		}
	} else {
		if (parse_sectors(a->pos[0], j->secs, &j->nsec) != 0)
			return usage_err(b->cmd, "SECTORS: numbers 0..11, ranges and commas (5-7,11)");
		for (size_t k = 0; k < j->nsec; k++)
			if (j->secs[k] == 0 && !ts_flag(a, "--force"))
				return usage_err(b->cmd, "sector 0 holds the bootloader: add --force");
	}
	return TS_BEXIT_OK;
}

__attribute__((format(printf, 4, 5)))
static int refuse(struct ts_update *u, enum ts_phase ph, int err, const char *fmt, ...)
{
	va_list ap;
	u->phase = ph;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof u->msg, fmt, ap);
	va_end(ap);
	return err;
}

/* The slot a confirm or rollback is about, from the journal. */
static int pick_slot(struct ts_update *u, struct job *j)
{
	const struct ts_board *bd = &u->board;
	const struct ts_journal_state *jr = &bd->journal;
	if (j->slot < 0) {
		if (!jr->has_newest)
			return refuse(u, TS_PHASE_CHECK, TS_ERR_NOENT, "the journal has no live "
				      "record: name the slot with --slot");
		bool trial = jr->newest.type == TS_REC_PENDING || jr->newest.type == TS_REC_ATTEMPT;
		if (j->w == CONFIRM && !trial)
			return refuse(u, TS_PHASE_CHECK, TS_ERR_STATE, "nothing on trial to confirm "
				      "(newest record: %s slot %c); name the slot with --slot",
				      ts_rec_type_name(jr->newest.type), ts_slot_name(jr->newest.slot));
		j->slot = j->w == CONFIRM ? jr->newest.slot
			  : jr->newest.type == TS_REC_ROLLED_BACK ? ts_slot_other(jr->newest.slot)
								   : jr->newest.slot;
	}
	enum ts_slot other = ts_slot_other((enum ts_slot)j->slot);
	if (j->w == ROLLBACK && !bd->ids[other].present)
		return refuse(u, TS_PHASE_CHECK, TS_ERR_STATE, "slot %c holds no image to go back to",
			      ts_slot_name(other));
	if (!bd->ids[j->slot].present)
		return refuse(u, TS_PHASE_CHECK, TS_ERR_STATE, "slot %c holds no image",
			      ts_slot_name(j->slot));
	return TS_OK;
}

static int do_record(struct ts_board_cli *b, struct job *j)
{
	struct ts_update *u = &b->u;
	int err = pick_slot(u, j);
	if (err)
		return err;
	u->phase = TS_PHASE_COMMIT;
	enum ts_rec_type t = j->w == CONFIRM ? TS_REC_CONFIRMED : TS_REC_ROLLED_BACK;
	if ((err = ts_update_append(u, t, (enum ts_slot)j->slot)) != TS_OK)
		return err;
	unsigned seq = (unsigned)u->board.journal.newest.seq;
	if (b->json)
		printf("{\"event\":\"result\",\"ok\":true,\"record\":\"%s\",\"slot\":\"%c\","
		       "\"seq\":%u}\n", ts_rec_type_name(t), ts_slot_name(j->slot), seq);
	else
		printf("slot %c: %s (seq %u)\n", ts_slot_name(j->slot), ts_rec_type_name(t), seq);
	return TS_OK;
}

/* Into memory first, then the file, whole (temporary file and rename). */
static int do_read(struct ts_board_cli *b, struct job *j)
{
	struct ts_update *u = &b->u;
	char msg[300];
	uint8_t *buf = malloc(j->len);
	struct ts_outfile of = { 0 };
	int err = TS_OK;
	if (!buf)
		return refuse(u, TS_PHASE_CHECK, TS_ERR_IO, "out of memory for %u bytes",
			      (unsigned)j->len);
	for (uint32_t off = 0; off < j->len && !err;) {
		uint32_t n = j->len - off > 256 ? 256 : j->len - off;
		if (ts_board_stop_requested())
			err = refuse(u, u->phase, TS_ERR_CANCELED, "stopped on request: %s not written",
				     j->out);
		else if ((err = ts_an3155_read_memory(&u->rom, j->addr + off, buf + off, n)) != 0)
			refuse(u, u->phase, err, "%.180s (%.60s not written)", u->rom.msg, j->out);
		off += n;
		ts_port_progress(&b->port, "read", off, j->len);
	}
	if (!err && (ts_outfile_prepare(&of, j->out, buf, j->len, msg, sizeof msg) != TS_OK ||
		     ts_outfile_commit(&of, msg, sizeof msg) != TS_OK))
		err = refuse(u, TS_PHASE_CHECK, TS_ERR_IO, "%s: %s", j->out, msg);
	ts_outfile_discard(&of);
	free(buf);
	if (err)
		return err;
	ts_out_end(&b->out);
	if (!b->json)
		printf("read %u bytes from 0x%08X into %s\n", (unsigned)j->len, (unsigned)j->addr,
		       j->out);
	else
		printf("{\"event\":\"result\",\"ok\":true,\"bytes\":%u}\n", (unsigned)j->len);
	return TS_OK;
}

static int do_erase(struct ts_board_cli *b, struct job *j)
{
	struct ts_update *u = &b->u;
	u->phase = TS_PHASE_ERASE;
	for (size_t k = 0; k < j->nsec; k++) {
		int err;
		if (ts_board_stop_requested())
			return refuse(u, u->phase, TS_ERR_CANCELED, "stopped on request after %zu of "
				      "%zu sectors", k, j->nsec);
		if ((err = ts_an3155_extended_erase(&u->rom, &j->secs[k], 1)) != TS_OK) {
			snprintf(u->msg, sizeof(u->msg), "%s", u->rom.msg);
			return err;
		}
		ts_port_progress(&b->port, "erase", k + 1, j->nsec);
	}
	ts_out_end(&b->out);
	if (!b->json)
		printf("erased %zu sector%s\n", j->nsec, j->nsec == 1 ? "" : "s");
	else
		printf("{\"event\":\"result\",\"ok\":true,\"sectors\":%zu}\n", j->nsec);
	return TS_OK;
}

static int run(enum what w, int argc, char **argv)
{
	static struct ts_board_cli board;
	struct ts_board_cli *b = &board;
	struct job j = { .w = w };
	struct ts_update_cfg cfg;
	int rc;
	if (!ts_board_parse(b, &SPECS[w], argc, argv, &rc))
		return rc;
	ts_update_default_cfg(&cfg);
	if ((rc = parse_job(b, &j)) != TS_BEXIT_OK || (rc = ts_board_config(b, &cfg)) != 0 ||
	    (rc = ts_board_open(b, &cfg)) != TS_BEXIT_OK) {
		ts_board_close(b);
		return rc;
	}
	struct ts_update *u = &b->u;
	int err = w == READ || w == ERASE ? ts_update_enter_rom(u) : ts_update_connect(u);
	if (!err)
		err = w == READ ? do_read(b, &j) : w == ERASE ? do_erase(b, &j) : do_record(b, &j);
	if (!err) {
		fflush(stdout);
		rc = ts_board_release(b);
	} else {
		rc = ts_board_fail(b, err);
		if (u->in_rom)
			ts_update_restart(u);
	}
	ts_board_close(b);
	return rc;
}

int ts_cmd_confirm(int argc, char **argv) { return run(CONFIRM, argc, argv); }
int ts_cmd_rollback(int argc, char **argv) { return run(ROLLBACK, argc, argv); }
int ts_cmd_read(int argc, char **argv) { return run(READ, argc, argv); }
int ts_cmd_erase(int argc, char **argv) { return run(ERASE, argc, argv); }
