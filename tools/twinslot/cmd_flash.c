/* twinslot flash: install a local release into the board's inactive slot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "board_cli.h"
#include "cli.h"
#include "twinslot/err.h"
#include "twinslot/version.h"

static const char HELP[] =
	"usage: twinslot flash --port DEV --image DIR_OR_IMG [options]\n"
	"\n"
	"Enter the STM32's ROM bootloader (BOOT0 high, NRST pulse), read the slot\n"
	"headers and the journal, and install the image into the slot that is not\n"
	"running: erase only the sectors it needs, write it in 256-byte blocks,\n"
	"verify its SHA-256, append a PENDING record, restart the board and watch\n"
	"its console for the trial boot's outcome. The image is checked before\n"
	"anything is erased: wrong slot, too large, other product, not newer.\n"
	"\n"
	"  --image PATH         an image from 'twinslot pack', or a release directory\n"
	"                       with slot-a.img and slot-b.img (the right one is used)\n"
	"  --force              allow a downgrade, the same version, another product\n"
	"  --read-back          read the written image back and hash it\n"
	"  --verify             hash both slot bodies first, as the bootloader does, so\n"
	"                       a slot corrupted behind a good header is never taken\n"
	"                       for the running one (slow: reads the images over the link)\n"
	"  --timeout S          seconds to wait for the outcome (default 20; 0: don't)\n"
	"  --journal-check      no verdict on the console: re-enter the ROM and read\n"
	"                       the journal (resets the board: counts as a trial boot)\n"
	"  --product ID         expected product ID (default: the running image's)\n"
	TS_BOARD_OPTS_HELP
	"\n"
	TS_BOARD_EXIT_HELP;

static long file_read(void *arg, uint8_t *buf, size_t n)
{
	FILE *f = arg;
	size_t r = fread(buf, 1, n, f);
	if (r == 0 && ferror(f))
		return TS_ERR_IO;
	return (long)r;
}

int ts_cmd_flash(int argc, char **argv)
{
	static struct ts_board_cli board;
	struct ts_board_cli *b = &board;
	memset(b, 0, sizeof(*b));
	const char *image = NULL, *timeout = NULL, *product = NULL;
	bool force = false, read_back = false, jcheck = false, verify = false;
	b->cmd = "flash";
	for (int i = 1; i < argc;) {
		int r;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(HELP, stdout);
			return TS_BEXIT_OK;
		}
		if ((r = ts_board_opt(b, argc, argv, &i)) != 0 ||
		    (r = ts_opt(b->cmd, argc, argv, &i, "--image", &image)) != 0 ||
		    (r = ts_opt(b->cmd, argc, argv, &i, "--timeout", &timeout)) != 0 ||
		    (r = ts_opt(b->cmd, argc, argv, &i, "--product", &product)) != 0) {
			if (r < 0)
				return TS_BEXIT_USAGE;
			continue;
		}
		bool *flag = strcmp(argv[i], "--force") == 0 ? &force
			     : strcmp(argv[i], "--read-back") == 0 ? &read_back
			     : strcmp(argv[i], "--journal-check") == 0 ? &jcheck
			     : strcmp(argv[i], "--verify") == 0 ? &verify : NULL;
		if (!flag) {
			ts_cli_err(b->cmd, "unknown option %s (see twinslot flash --help)", argv[i]);
			return TS_BEXIT_USAGE;
		}
		*flag = true;
		i++;
	}
	if (!image) {
		ts_cli_err(b->cmd, "--image is required (see twinslot flash --help)");
		return TS_BEXIT_USAGE;
	}
	struct ts_update_cfg cfg;
	ts_update_default_cfg(&cfg);
	cfg.force = force;
	cfg.read_back = read_back;
	cfg.outcome_journal = jcheck;
	cfg.verify_slots = verify;
	uint32_t v;
	if (timeout) {
		if (!ts_parse_u32(timeout, &v) || v > 3600) {
			ts_cli_err(b->cmd, "--timeout: seconds 0..3600, not %s", timeout);
			return TS_BEXIT_USAGE;
		}
		cfg.outcome_timeout_ms = v * 1000u;
	}
	if (product) {
		if (!ts_parse_u32(product, &v)) {
			ts_cli_err(b->cmd, "--product: not a number: %s", product);
			return TS_BEXIT_USAGE;
		}
		cfg.product_id = v;
	}
	struct stat st;
	if (stat(image, &st) != 0) {
		ts_cli_err(b->cmd, "%s: %s", image, strerror(errno));
		return TS_BEXIT_REFUSED;
	}
	bool is_dir = S_ISDIR(st.st_mode);

	int rc = ts_board_open(b, &cfg);
	if (rc)
		return rc;
	struct ts_update *u = &b->u;
	int err = ts_update_connect(u);
	if (err) {
		rc = ts_board_fail(b, err);
		ts_board_close(b);
		return rc;
	}
	char path[4200];
	if (is_dir)
		snprintf(path, sizeof(path), "%s/slot-%c.img", image,
			 ts_slot_name(u->board.target) + ('a' - 'A'));
	else
		snprintf(path, sizeof(path), "%s", image);
	FILE *f = fopen(path, "rb");
	if (!f) {
		u->phase = TS_PHASE_CHECK;
		snprintf(u->msg, sizeof(u->msg), "%.200s: %s", path, strerror(errno));
		rc = ts_board_fail(b, TS_ERR_IO);
		ts_update_restart(u);
		ts_board_close(b);
		return rc;
	}
	struct ts_source src = { file_read, f };
	err = ts_update_install(u, &src);
	fclose(f);
	if (err) {
		rc = ts_board_fail(b, err);
		ts_update_restart(u); /* the board runs what it ran */
		ts_board_close(b);
		return rc;
	}
	if ((err = ts_update_restart(u)) == TS_OK && cfg.outcome_timeout_ms)
		err = ts_update_wait_outcome(u);
	if (err) {
		rc = ts_board_fail(b, err);
		ts_board_close(b);
		return rc;
	}
	ts_linux_progress_end(&b->lx);
	char vs[TS_VERSION_STR_MAX];
	ts_version_format(u->img.version, vs);
	const char *oc = cfg.outcome_timeout_ms ? ts_outcome_name(u->outcome) : "not waited for";
	rc = !cfg.outcome_timeout_ms ? TS_BEXIT_OK
	     : u->outcome == TS_OUTCOME_CONFIRMED ? TS_BEXIT_OK
	     : u->outcome == TS_OUTCOME_ROLLED_BACK ? TS_BEXIT_ROLLED_BACK : TS_BEXIT_NO_VERDICT;
	if (b->port_ops.store_put)
		b->port_ops.store_put(b->port_ops.ctx, "last_outcome", oc, strlen(oc));
	if (b->json) {
		printf("{\"event\":\"result\",\"ok\":%s,\"slot\":\"%c\",\"version\":\"%s\","
		       "\"bytes_written\":%u,\"blocks_skipped\":%u,\"outcome\":\"%s\"}\n",
		       rc == 0 ? "true" : "false", ts_slot_name(u->board.target), vs,
		       (unsigned)u->bytes_written, (unsigned)u->blocks_skipped, oc);
	} else {
		printf("slot %c: v%s installed (%u bytes written, %u blank blocks skipped); "
		       "outcome: %s\n", ts_slot_name(u->board.target), vs,
		       (unsigned)u->bytes_written, (unsigned)u->blocks_skipped, oc);
		if (rc == TS_BEXIT_ROLLED_BACK)
			fprintf(stderr, "twinslot flash: the board rolled back: %s\n",
				u->console_line);
		else if (rc == TS_BEXIT_NO_VERDICT)
			fprintf(stderr, "twinslot flash: no confirmation within %u s (last console "
				"line: \"%s\")\n", (unsigned)(cfg.outcome_timeout_ms / 1000u),
				u->console_line);
	}
	ts_board_close(b);
	return rc;
}
