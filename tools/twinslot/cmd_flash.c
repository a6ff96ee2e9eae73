/* twinslot flash: install a local release into the board's inactive slot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board_cli.h"
#include "cli.h"
#include "sign.h"
#include "twinslot/err.h"
#include "twinslot/membuf.h"
#include "twinslot/version.h"

static const char USAGE[] =
	"usage: twinslot flash --port DEV --image DIR_OR_IMG [options]\n"
	"\n"
	"Offer the update to the running application first (--path auto): if its\n"
	"update service answers, it receives the image itself while it keeps\n"
	"running, at up to 1 Mbaud, and restarts into it (docs/app-update.md).\n"
	"Otherwise, or with --path rom: enter the STM32's ROM bootloader (BOOT0 high, NRST pulse), read the slot\n"
	"headers and the journal, and install the image into the slot that is not\n"
	"running: erase only the sectors it needs, write it in 256-byte blocks,\n"
	"verify its SHA-256, append a PENDING record, restart the board and watch\n"
	"its console for the trial boot's outcome. The image file is checked whole\n"
	"(header, length, SHA-256, vector table) before the port is opened, and\n"
	"against the board before anything is erased: wrong slot, too large, other\n"
	"product, not newer, not signed by a --pubkey key. SIGINT/SIGTERM stop it at a safe point with the\n"
	"board back in its application.\n";

static const struct ts_optdef OPTS[] = {
	{ "--image", NULL, "PATH", "an image from 'twinslot pack', or a release directory\n"
				   "with slot-a.img and slot-b.img (the right one is used)" },
	{ "--path", NULL, "P", TS_BOARD_PATH_HELP },
	{ "--app-baud", NULL, "N", "highest baud to ask of the application (default 1000000)" },
	{ "--force", NULL, NULL, "allow a downgrade, the same version, another product" },
	{ "--read-back", NULL, NULL, "read the written image back and hash it" },
	{ "--verify", NULL, NULL, "hash both slot bodies first, as the bootloader does, so\n"
				  "a slot corrupted behind a good header is never taken\n"
				  "for the running one (slow: reads the images over the link)" },
	{ "--timeout", NULL, "S", "seconds to wait for the outcome (default 20; 0: don't)" },
	{ "--journal-check", NULL, NULL, "no verdict on the console: re-enter the ROM and read\n"
					 "the journal (resets the board: counts as a trial boot)" },
	{ "--product", NULL, "ID", "expected product ID (default: the running image's)" },
	{ "--pubkey", NULL, "PEM...", "trust releases signed with this public key (repeatable,\n"
				      "up to 4: rotation); required unless --allow-unsigned" },
	{ "--allow-unsigned", NULL, NULL, "also install unsigned images (loud; development only)" },
};

static const struct ts_cmdspec SPEC = {
	"flash", USAGE, OPTS, sizeof OPTS / sizeof OPTS[0], 0, TS_BOARD_EXIT_HELP,
	ts_board_opts, TS_BOARD_NOPTS,
};

/* A release image read into memory and checked whole. */
struct image {
	char path[4200];
	uint8_t *data;
	size_t len;
	bool ok;
};

static int load_image(const char *cmd, struct image *im)
{
	int rc = ts_load_image(cmd, im->path, -1, &im->data, &im->len, NULL);
	im->ok = rc == TS_EXIT_OK;
	return rc;
}

/* The image(s) named by --image: a file, or both of a release directory. */
static int load_images(const char *cmd, const char *image, struct image im[TS_SLOT_COUNT])
{
	struct stat st;
	if (stat(image, &st) != 0) {
		ts_cli_err(cmd, "%s: %s", image, strerror(errno));
		return TS_BEXIT_REFUSED;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(im[0].path, sizeof im[0].path, "%s", image);
		return load_image(cmd, &im[0]);
	}
	/* A release may hold one slot's image only; which one is needed is
	 * known once the board has been read. */
	int found = 0;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		snprintf(im[s].path, sizeof im[s].path, "%s/slot-%c.img", image, 'a' + s);
		if (access(im[s].path, F_OK) != 0)
			continue;
		int rc = load_image(cmd, &im[s]);
		if (rc)
			return rc;
		found++;
	}
	if (!found) {
		ts_cli_err(cmd, "%s: neither slot-a.img nor slot-b.img is there", image);
		return TS_BEXIT_REFUSED;
	}
	return TS_BEXIT_OK;
}

static int config(struct ts_board_cli *b, struct ts_update_cfg *cfg)
{
	ts_update_default_cfg(cfg);
	cfg->force = ts_flag(&b->args, "--force");
	if (ts_board_path(b, cfg) != TS_BEXIT_OK)
		return TS_BEXIT_USAGE;
	int rc = ts_sign_trust_options(b->cmd, &b->args, cfg);
	if (rc)
		return rc;
	cfg->read_back = ts_flag(&b->args, "--read-back");
	cfg->outcome_journal = ts_flag(&b->args, "--journal-check");
	cfg->verify_slots = ts_flag(&b->args, "--verify");
	uint32_t t = cfg->outcome_timeout_ms / 1000u;
	if (!ts_board_u32(b, "--timeout", 0, 3600, "seconds 0..3600", &t) ||
	    !ts_board_u32(b, "--product", 0, 0xFFFFFFFFu, "not a number", &cfg->product_id))
		return TS_BEXIT_USAGE;
	cfg->outcome_timeout_ms = t * 1000u;
	if (!ts_arg(&b->args, "--image")) {
		ts_cli_err(b->cmd, "--image is required (see twinslot flash --help)");
		return TS_BEXIT_USAGE;
	}
	return ts_board_config(b, cfg);
}

/* connect, install, restart, watch. */
static int run(struct ts_board_cli *b, struct image im[TS_SLOT_COUNT])
{
	struct ts_update *u = &b->u;
	int err = ts_update_connect(u);
	if (err)
		return ts_board_fail(b, err);
	bool dir = im[0].path[0] && im[1].path[0];
	struct image *src_im = dir ? &im[u->board.target] : &im[0];
	if (!src_im->ok) {
		u->phase = TS_PHASE_CHECK;
		snprintf(u->msg, sizeof u->msg, "%.200s: %s (slot %c is the one to update)",
			 src_im->path, strerror(ENOENT), ts_slot_name(u->board.target));
		err = ts_board_fail(b, TS_ERR_NOENT);
		ts_update_restart(u);
		return err;
	}
	struct ts_membuf mb = { src_im->data, src_im->len, 0 };
	struct ts_source src = { ts_membuf_read, &mb, ts_membuf_rewind };
	if ((err = ts_update_install(u, &src)) != TS_OK) {
		int rc = ts_board_fail(b, err);
		if (err != TS_ERR_CANCELED)
			ts_update_restart(u); /* the board runs what it ran */
		return rc;
	}
	if ((err = ts_update_restart(u)) == TS_OK && u->cfg.outcome_timeout_ms)
		err = ts_update_wait_outcome(u);
	return err ? ts_board_fail(b, err) : -1;
}

static int print(struct ts_board_cli *b)
{
	const struct ts_update *u = &b->u;
	uint32_t timeout = u->cfg.outcome_timeout_ms;
	char vs[TS_VERSION_STR_MAX];
	ts_version_format(u->img.version, vs);
	const char *oc = timeout ? ts_outcome_name(u->outcome) : "not waited for";
	int rc = !timeout ? TS_BEXIT_OK
		 : u->outcome == TS_OUTCOME_CONFIRMED ? TS_BEXIT_OK
		 : u->outcome == TS_OUTCOME_ROLLED_BACK ? TS_BEXIT_ROLLED_BACK : TS_BEXIT_NO_VERDICT;
	if (b->port.store)
		b->port.store->put(b->port.store_ctx, "last_outcome", oc, strlen(oc));
	ts_out_end(&b->out);
	if (b->json) {
		printf("{\"event\":\"result\",\"ok\":%s,\"slot\":\"%c\",\"version\":\"%s\","
		       "\"bytes_written\":%u,\"blocks_skipped\":%u,\"outcome\":\"%s\"}\n",
		       rc == 0 ? "true" : "false", ts_slot_name(u->board.target), vs,
		       (unsigned)u->bytes_written, (unsigned)u->blocks_skipped, oc);
		return rc;
	}
	printf("slot %c: v%s installed (%u bytes written, %u blank blocks skipped); "
	       "outcome: %s\n", ts_slot_name(u->board.target), vs,
	       (unsigned)u->bytes_written, (unsigned)u->blocks_skipped, oc);
	if (rc == TS_BEXIT_ROLLED_BACK)
		fprintf(stderr, "twinslot flash: the board rolled back: %s\n", u->console_line);
	else if (rc == TS_BEXIT_NO_VERDICT)
		fprintf(stderr, "twinslot flash: no confirmation within %u s (last console "
			"line: \"%s\")\n", (unsigned)(timeout / 1000u), u->console_line);
	return rc;
}

int ts_cmd_flash(int argc, char **argv)
{
	static struct ts_board_cli board;
	struct ts_board_cli *b = &board;
	struct image im[TS_SLOT_COUNT];
	struct ts_update_cfg cfg;
	int rc;
	if (!ts_board_parse(b, &SPEC, argc, argv, &rc))
		return rc;
	memset(im, 0, sizeof im);
	if ((rc = config(b, &cfg)) == TS_BEXIT_OK &&
	    (rc = load_images(b->cmd, ts_arg(&b->args, "--image"), im)) == TS_BEXIT_OK &&
	    (rc = ts_board_open(b, &cfg)) == TS_BEXIT_OK) {
		rc = run(b, im);
		if (rc < 0)
			rc = print(b);
	}
	ts_board_close(b);
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		free(im[s].data);
	return rc;
}
