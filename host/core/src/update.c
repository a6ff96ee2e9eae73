/* The update engine (see update.h). */
#include "twinslot/update.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "twinslot/assert.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/journal_remote.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"
#include "twinslot/version.h"

void ts_update_default_cfg(struct ts_update_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->baud = 115200;
	cfg->console_baud = 115200;
	cfg->voltage_range = true;
	cfg->reset_ms = 10;
	cfg->outcome_timeout_ms = 20000;
	cfg->journal_back_max = 256;
	cfg->path = TS_PATH_ROM;
	cfg->app_baud = 1000000;
	ts_an3155_default_cfg(&cfg->rom);
}

int ts_update_add_key(struct ts_update_cfg *cfg, const uint8_t point[TS_PUBKEY_LEN])
{
	if (point[0] != 0x04)
		return TS_ERR_INVAL;
	if (cfg->nkeys >= TS_UPDATE_KEYS_MAX)
		return TS_ERR_FULL;
	memcpy(cfg->keys[cfg->nkeys++], point, TS_PUBKEY_LEN);
	return TS_OK;
}

void ts_update_init(struct ts_update *u, const struct ts_port *port,
		    const struct ts_update_cfg *cfg)
{
	memset(u, 0, sizeof(*u));
	u->port = port;
	if (cfg)
		u->cfg = *cfg;
	else
		ts_update_default_cfg(&u->cfg);
	ts_an3155_init(&u->rom, port, &u->cfg.rom);
}

const char *ts_outcome_name(enum ts_outcome o)
{
	switch (o) {
	case TS_OUTCOME_CONFIRMED: return "confirmed";
	case TS_OUTCOME_ROLLED_BACK: return "rolled back";
	case TS_OUTCOME_TIMEOUT: return "timeout";
	default: return "unknown";
	}
}

const char *ts_phase_name(enum ts_phase p)
{
	static const char *const names[] = { "connect", "check", "erase", "write", "verify",
					     "commit", "restart", "outcome", "done" };
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

const char *ts_rec_type_name(int type)
{
	switch (type) {
	case TS_REC_PENDING: return "PENDING";
	case TS_REC_ATTEMPT: return "ATTEMPT";
	case TS_REC_CONFIRMED: return "CONFIRMED";
	case TS_REC_ROLLED_BACK: return "ROLLED_BACK";
	case TS_REC_MIN_COUNTER: return "MIN_COUNTER";
	default: return "?";
	}
}

/* ---- plumbing ---- */

__attribute__((format(printf, 3, 4)))
static int fail(struct ts_update *u, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Pass on the AN3155 client's sentence. */
static int rom_fail(struct ts_update *u, int err)
{
	return fail(u, err, "%s", u->rom.msg);
}

#define say(u, lvl, ...) ts_port_log((u)->port, lvl, __VA_ARGS__)

static void progress(struct ts_update *u, const char *phase, uint64_t done, uint64_t total)
{
	ts_port_progress(u->port, phase, done, total);
}

/* A stop request, checked at the engine's safe points. */
static int stopped(struct ts_update *u, const char *where)
{
	if (!u->stop || !*u->stop)
		return TS_OK;
	return fail(u, TS_ERR_CANCELED, "stopped on request %s%s", where,
		    u->committed ? "" : ": nothing committed");
}

long ts_source_read_full(const struct ts_source *src, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		long r = src->read(src->arg, buf + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

static void vstr(uint32_t v, char out[TS_VERSION_STR_MAX])
{
	ts_version_format(v, out);
}

/* Read len (any) bytes from the chip in <= 256-byte commands. */
static int read_mem(struct ts_update *u, uint32_t addr, uint8_t *buf, uint32_t len)
{
	while (len) {
		uint32_t n = len > TS_AN3155_BLOCK_MAX ? TS_AN3155_BLOCK_MAX : len;
		int err = ts_an3155_read_memory(&u->rom, addr, buf, n);
		if (err)
			return err;
		addr += n;
		buf += n;
		len -= n;
	}
	return TS_OK;
}

/* ---- entering the ROM ---- */

static int reset_pulse(struct ts_update *u)
{
	const struct ts_port *p = u->port;
	int err = p->link->set_nrst(p->link_ctx, false);
	if (!err) {
		p->clock->sleep_ms(p->clock_ctx, u->cfg.reset_ms);
		err = p->link->set_nrst(p->link_ctx, true);
	}
	return err;
}

int ts_update_enter_rom(struct ts_update *u)
{
	const struct ts_port *p = u->port;
	int err;

	u->phase = TS_PHASE_CONNECT;
	u->committed = false;
	u->commit_unsure = false;
	if ((err = ts_port_require(p, TS_NEED_LINK | TS_NEED_CLOCK, u->msg, sizeof u->msg)) != 0)
		return err;
	if ((err = p->link->configure(p->link_ctx, u->cfg.baud, true)) != TS_OK)
		return fail(u, err, "cannot configure the serial port at %u 8E1: %s "
			    "(is --port right and free?)",
			    (unsigned)u->cfg.baud, ts_strerror(err));
	if ((err = p->link->set_boot0(p->link_ctx, true)) != TS_OK)
		return fail(u, err, "cannot set BOOT0 high: %s (check --pins)", ts_strerror(err));
	if ((err = reset_pulse(u)) != TS_OK)
		return fail(u, err, "cannot pulse NRST: %s (check --pins)", ts_strerror(err));
	u->in_rom = true;
	if ((err = ts_an3155_connect(&u->rom)) != TS_OK)
		return rom_fail(u, err);
	if ((err = ts_an3155_get(&u->rom)) != TS_OK)
		return rom_fail(u, err);
	u->board.bl_version = u->rom.bl_version;
	if ((err = ts_an3155_get_id(&u->rom, &u->board.pid)) != TS_OK)
		return rom_fail(u, err);
	if (u->board.pid != TS_AN3155_PID_F40X && !u->cfg.allow_any_pid)
		return fail(u, TS_ERR_UNSUPPORTED,
			    "the chip's product ID is 0x%03X, not 0x413 (STM32F405/407/415/417): "
			    "refusing to write to it (an option allows other chips)",
			    (unsigned)u->board.pid);
	say(u, TS_LOG_INFO, "chip: product ID 0x%03X, ROM bootloader v%u.%u",
	    (unsigned)u->board.pid, u->rom.bl_version >> 4, u->rom.bl_version & 15u);
	if (u->cfg.voltage_range) {
		if ((err = ts_an3155_set_voltage_range(&u->rom, 3)) != TS_OK)
			return rom_fail(u, err);
		say(u, TS_LOG_DEBUG, "voltage range 2.7-3.6 V: x32 programming");
	}
	return TS_OK;
}

/* ---- what the board holds ---- */

/* The slot never to overwrite: the one the board runs or falls back to. */
static void pick_target(struct ts_board *b)
{
	const struct ts_journal_state *j = &b->journal;
	b->has_running = true;
	if (j->has_newest) {
		enum ts_slot x = (enum ts_slot)j->newest.slot, o = ts_slot_other(x);
		switch (j->newest.type) {
		case TS_REC_CONFIRMED:
			b->running = x;
			break;
		case TS_REC_ROLLED_BACK:
			b->running = o;
			break;
		default: /* PENDING / ATTEMPT: x is on trial */
			/* Keep the confirmed fallback; replace the trial image. */
			b->running = (b->ids[o].present && j->has_slot[o] &&
				      j->slot[o].type == TS_REC_CONFIRMED) ? o : x;
			break;
		}
	} else if (b->ids[TS_SLOT_A].present || b->ids[TS_SLOT_B].present) {
		/* No live record: the bootloader runs the highest security
		 * counter, then the highest valid version. */
		const struct ts_slot_id *ia = &b->ids[TS_SLOT_A], *ib = &b->ids[TS_SLOT_B];
		if (!ib->present)
			b->running = TS_SLOT_A;
		else if (!ia->present)
			b->running = TS_SLOT_B;
		else
			b->running = ib->counter > ia->counter ||
					     (ib->counter == ia->counter && ib->version > ia->version)
					     ? TS_SLOT_B : TS_SLOT_A;
	} else {
		b->has_running = false;
		b->running = TS_SLOT_B;
	}
	b->target = ts_slot_other(b->running);
}

static int read_slot_header(struct ts_update *u, enum ts_slot s)
{
	struct ts_board *b = &u->board;
	uint8_t raw[TS_IMAGE_HDR_SIZE];
	int err = read_mem(u, ts_slot_addr(s), raw, sizeof(raw));
	if (err)
		return rom_fail(u, err);
	memset(&b->ids[s], 0, sizeof(b->ids[s]));
	b->body_checked[s] = false;
	b->body_err[s] = TS_OK;
	b->hdr_err[s] = ts_image_header_parse(raw, &b->hdr[s]);
	if (b->hdr_err[s] == TS_OK) {
		enum ts_slot linked;
		b->hdr_err[s] = ts_image_header_slot(&b->hdr[s], &linked);
		if (b->hdr_err[s] == TS_OK && linked != s)
			b->hdr_err[s] = TS_ERR_ADDR;
	}
	if (b->hdr_err[s] == TS_OK) {
		/* The header's claim; the bootloader also hashes the body. */
		b->ids[s].present = true;
		b->ids[s].version = b->hdr[s].version;
		b->ids[s].counter = b->hdr[s].security_counter;
		memcpy(b->ids[s].hash, b->hdr[s].app_sha256, TS_RECORD_HASH_LEN);
	}
	return TS_OK;
}

/* Read n bytes at addr into u->block. Read Memory's data carries no
 * checksum: on a link that has shown errors (noisy), a block counts only
 * when two reads in a row agree, so a byte corrupted on its way back is not
 * taken for what the flash holds. */
static int read_block(struct ts_update *u, uint32_t addr, uint32_t n, bool noisy)
{
	uint8_t again[TS_AN3155_BLOCK_MAX];
	int err = ts_an3155_read_memory(&u->rom, addr, u->block, n);
	for (unsigned tries = 0; !err && noisy; tries++) {
		if ((err = ts_an3155_read_memory(&u->rom, addr, again, n)) != TS_OK)
			break;
		if (memcmp(again, u->block, n) == 0)
			return TS_OK;
		if (tries == 8)
			return fail(u, TS_ERR_IO, "Read Memory at 0x%08X: %u reads, no two in a row "
				    "agree: the link is too noisy (check the wiring, try a lower "
				    "--baud)", (unsigned)addr, tries + 2);
		memcpy(u->block, again, n);
	}
	return err ? rom_fail(u, err) : TS_OK;
}

/* SHA-256 of len bytes of flash at addr, read over the ROM bootloader;
 * the first two words (a vector table's SP and reset handler) into vec. */
static int hash_flash(struct ts_update *u, uint32_t addr, uint32_t len,
		      uint8_t digest[TS_SHA256_LEN], uint32_t vec[2], bool noisy)
{
	struct ts_sha256 sha;
	int err;
	ts_sha256_init(&sha);
	vec[0] = vec[1] = 0;
	for (uint32_t off = 0; off < len;) {
		uint32_t n = len - off < sizeof(u->block) ? len - off : (uint32_t)sizeof(u->block);
		if ((err = stopped(u, "while reading flash back")) != TS_OK)
			return err;
		if ((err = read_block(u, addr + off, n, noisy)) != TS_OK)
			return err;
		if (off == 0 && n >= 8) {
			vec[0] = ts_get32(u->block);
			vec[1] = ts_get32(u->block + 4);
		}
		ts_sha256_update(&sha, u->block, n);
		off += n;
		progress(u, "verify", off, len);
	}
	ts_sha256_final(&sha, digest);
	return TS_OK;
}

/* Hash slot s's application as the bootloader will (vector table, SHA-256).
 * A mismatch makes the slot absent for the journal scan and the target. */
static int verify_slot_body(struct ts_update *u, enum ts_slot s)
{
	struct ts_board *b = &u->board;
	uint8_t digest[TS_SHA256_LEN];
	uint32_t vec[2];
	int err = hash_flash(u, b->hdr[s].load_addr, b->hdr[s].app_size, digest, vec,
			     u->rom.retried != 0);
	if (err)
		return err;
	int bad = ts_image_check_vectors(&b->hdr[s], vec[0], vec[1]);
	if (bad == TS_OK && memcmp(digest, b->hdr[s].app_sha256, TS_SHA256_LEN) != 0)
		bad = TS_ERR_HASH;
	b->body_checked[s] = true;
	b->body_err[s] = bad;
	if (bad) {
		b->ids[s].present = false;
		say(u, TS_LOG_WARN, "slot %c: the application does not match its header (%s): "
		    "the bootloader will not run it", ts_slot_name(s), ts_strerror(bad));
	}
	return TS_OK;
}

static int read_journal(struct ts_update *u, bool full)
{
	struct ts_board *b = &u->board;
	struct ts_remote_reader r;
	int err;
	ts_remote_reader_init(&r, &u->rom);
	if (full) {
		err = ts_journal_scan(ts_remote_read, &r, TS_JOURNAL_RECORDS, b->ids, &b->journal);
		b->journal_complete = err == TS_OK;
		b->journal_records_read = TS_JOURNAL_RECORDS;
	} else {
		err = ts_journal_read_remote(&r, b->ids, u->cfg.journal_back_max, &b->journal,
					     &b->journal_complete, &b->journal_records_read);
	}
	if (err)
		return rom_fail(u, err);
	return TS_OK;
}

int ts_update_read_board(struct ts_update *u)
{
	int err;
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if ((err = read_slot_header(u, (enum ts_slot)s)) != TS_OK)
			return err;
	for (int s = 0; s < TS_SLOT_COUNT; s++)
		if (u->cfg.verify_slots && u->board.ids[s].present &&
		    (err = verify_slot_body(u, (enum ts_slot)s)) != TS_OK)
			return err;
	/* A back-walk budget of the whole sector means: read all of it, holes
	 * and all (the binary search could stop at a hole). */
	if ((err = read_journal(u, u->cfg.journal_back_max >= TS_JOURNAL_RECORDS)) != TS_OK)
		return err;
	/* Order broken (a torn compaction erase): the end found by binary
	 * search may be wrong, so only the whole journal tells the truth. */
	if (u->board.journal.dirty && !u->board.journal_complete) {
		say(u, TS_LOG_INFO, "journal: order broken: reading all of it");
		if ((err = read_journal(u, true)) != TS_OK)
			return err;
	}
	/* The walk back from the end (its budget) may stop short of what the
	 * bootloader sees: the live record of a slot that holds a valid image
	 * (in a journal full of stale records it may lie further back; a torn
	 * PENDING at the end once made the complete new image look like the
	 * running one, and the retry was refused as "the same version"), or the
	 * MIN_COUNTER record when a slot holds an image with a security counter
	 * (the minimum the bootloader will enforce). Only the whole journal
	 * tells. */
	bool unsure = false, counted = false;
	for (int s = 0; s < TS_SLOT_COUNT; s++) {
		unsure |= u->board.ids[s].present && !u->board.journal.has_slot[s];
		counted |= u->board.ids[s].present && u->board.ids[s].counter > 0;
	}
	if ((unsure || (counted && !u->board.journal.has_min)) && !u->board.journal_complete) {
		if (unsure)
			say(u, TS_LOG_INFO, "journal: no live record near the end: reading all of it");
		else
			say(u, TS_LOG_INFO, "journal: no minimum security counter among the last %u "
			    "records: reading all of it", (unsigned)u->board.journal_records_read);
		if ((err = read_journal(u, true)) != TS_OK)
			return err;
	}
	pick_target(&u->board);
	return TS_OK;
}

static int rom_connect(struct ts_update *u)
{
	int err = ts_update_enter_rom(u);
	if (!err)
		err = stopped(u, "after entering the ROM bootloader");
	return err ? err : ts_update_read_board(u);
}

int ts_update_connect(struct ts_update *u)
{
	u->fell_back = false;
	u->app.active = u->app.used = u->app.refused = false;
	if (u->cfg.verify_slots && u->cfg.path == TS_PATH_APP)
		return fail(u, TS_ERR_UNSUPPORTED, "--verify reads both slot bodies through the ROM "
			    "bootloader: not with --path app");
	/* verify_slots: only the ROM can read the slots back */
	if (u->cfg.path != TS_PATH_ROM && !u->cfg.verify_slots) {
		int err = ts_app_offer(u);
		/* auto: whatever kept the service from answering usefully (none,
		 * another protocol version, a malformed HELLO) goes to the ROM */
		if (err == TS_OK || err == TS_ERR_CANCELED || u->cfg.path == TS_PATH_APP) {
			if (err == TS_ERR_NOENT)
				snprintf(u->msg + strlen(u->msg), sizeof u->msg - strlen(u->msg),
					 " (--path app; auto would use the ROM bootloader)");
			return err;
		}
		say(u, TS_LOG_INFO, "%s: using the ROM bootloader", u->msg);
	}
	return rom_connect(u);
}

/* ---- checking the image before anything is erased ---- */

static const char *hdr_problem(int err)
{
	switch (err) {
	case TS_ERR_BLANK: return "the file starts with 0xFF bytes, not an image header";
	case TS_ERR_MAGIC: return "no twinslot image header (wrong magic): is this a raw binary? "
				  "make images with 'twinslot pack'";
	case TS_ERR_CRC: return "the image header's CRC does not match: the file is corrupted";
	case TS_ERR_HDR_VERSION: return "unsupported image header version";
	default: return ts_strerror(err);
	}
}

static int check_signature(struct ts_update *u);

int ts_update_check(struct ts_update *u, const struct ts_source *src)
{
	struct ts_board *b = &u->board;
	char v1[TS_VERSION_STR_MAX], v2[TS_VERSION_STR_MAX];
	int err;

	u->phase = TS_PHASE_CHECK;
	long n = ts_source_read_full(src, u->img_hdr, sizeof(u->img_hdr));
	if (n < 0)
		return fail(u, (int)n, "cannot read the image: %s", ts_strerror((int)n));
	if (n < (long)sizeof(u->img_hdr))
		return fail(u, TS_ERR_FORMAT, "the image is %ld bytes, shorter than its header", n);
	if ((err = ts_image_header_parse(u->img_hdr, &u->img)) != TS_OK)
		return fail(u, err, "refused: %s", hdr_problem(err));
	/* Authenticity first: every later rule reads fields the signature binds. */
	if ((err = check_signature(u)) != TS_OK)
		return err;
	if (u->expect && u->img.version != u->expect_version) {
		vstr(u->img.version, v1);
		vstr(u->expect_version, v2);
		return fail(u, TS_ERR_INVAL, "refused: the image's signed header is v%s, but the "
			    "manifest names v%s: the manifest does not describe this image (objects "
			    "swapped in the bucket?)", v1, v2);
	}
	if (u->expect && u->img.product_id != u->expect_product_id)
		return fail(u, TS_ERR_INVAL, "refused: the image's signed header is for product id "
			    "0x%08X, but the manifest's product is id 0x%08X: another product's "
			    "image (pack it with --product NAME)", (unsigned)u->img.product_id,
			    (unsigned)u->expect_product_id);
	enum ts_slot linked;
	err = ts_image_header_slot(&u->img, &linked);
	if (err == TS_ERR_SIZE)
		return fail(u, err, "refused: the image (%u bytes of application) does not fit a "
			    "slot (at most %u bytes)", (unsigned)u->img.app_size,
			    (unsigned)TS_IMAGE_MAX_APP);
	if (err)
		return fail(u, err, "refused: the image is linked for 0x%08X, which is no slot's "
			    "address", (unsigned)u->img.load_addr);
	if (linked != b->target)
		return fail(u, TS_ERR_ADDR,
			    "refused: the image is linked for slot %c, but the slot to update is "
			    "%c (slot %c is running): use the release's slot-%c image",
			    ts_slot_name(linked), ts_slot_name(b->target), ts_slot_name(b->running),
			    ts_slot_name(b->target) + ('a' - 'A'));

	/* The board's minimum security counter: its bootloader would refuse
	 * the image, so nothing is written, and --force does not change that. */
	uint32_t min = ts_journal_min_counter(&b->journal);
	if (u->img.security_counter < min)
		return fail(u, TS_ERR_STATE,
			    "refused: the image's security counter is %u, below the board's "
			    "minimum %u (an image with counter %u confirmed itself there): its "
			    "bootloader would refuse to boot it (anti-rollback; --force does not "
			    "override this)", (unsigned)u->img.security_counter, (unsigned)min,
			    (unsigned)min);

	bool have_run = b->has_running && b->ids[b->running].present;
	uint32_t want_pid = u->cfg.product_id ? u->cfg.product_id
				: have_run ? b->hdr[b->running].product_id : 0;
	if (want_pid && u->img.product_id != want_pid && !u->cfg.force)
		return fail(u, TS_ERR_INVAL,
			    "refused: the image is for product 0x%08X, the board runs product "
			    "0x%08X (--force overrides)", (unsigned)u->img.product_id,
			    (unsigned)want_pid);
	if (have_run && u->img.version <= b->ids[b->running].version && !u->cfg.force) {
		vstr(u->img.version, v1);
		vstr(b->ids[b->running].version, v2);
		return fail(u, TS_ERR_SEMVER,
			    "refused: the image is v%s, %s the running v%s in slot %c "
			    "(%s--force overrides)", v1,
			    u->img.version < b->ids[b->running].version ? "older than"
									 : "the same version as",
			    v2, ts_slot_name(b->running),
			    u->img.version < b->ids[b->running].version ? "anti-rollback; " : "");
	}

	/* The vector table: read the first body block now, still before any
	 * erase, and check it as the bootloader will. */
	long m = ts_source_read_full(src, u->block, u->img.app_size < sizeof(u->block)
						  ? u->img.app_size : sizeof(u->block));
	if (m < 0)
		return fail(u, (int)m, "cannot read the image: %s", ts_strerror((int)m));
	if (m < 8 || (uint32_t)m < (u->img.app_size < sizeof(u->block) ? u->img.app_size
									: sizeof(u->block)))
		return fail(u, TS_ERR_FORMAT, "refused: the image ends after %ld bytes of its "
			    "%u-byte application", m, (unsigned)u->img.app_size);
	uint32_t sp = ts_get32(u->block), pc = ts_get32(u->block + 4);
	if ((err = ts_image_check_vectors(&u->img, sp, pc)) != TS_OK)
		return fail(u, err, "refused: implausible vector table (SP 0x%08X, reset 0x%08X)",
			    (unsigned)sp, (unsigned)pc);
	return TS_OK;
}

/* ---- authenticity ---- */

static void hex4(const uint8_t id[TS_IMAGE_KEY_ID_LEN], char out[9])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < TS_IMAGE_KEY_ID_LEN; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[8] = 0;
}

/* The header in u->img_hdr/u->img is signed by a trusted key, or unsigned
 * images are explicitly allowed. Runs before anything is erased. */
static int check_signature(struct ts_update *u)
{
	const struct ts_update_cfg *c = &u->cfg;
	char id[9];
	int err;

	if (u->img.sig_type == TS_SIG_NONE) {
		if (!c->allow_unsigned)
			return fail(u, TS_ERR_AUTH, "refused: the image is unsigned (pack it with "
				    "--key): only releases signed by a trusted key are installed "
				    "(--allow-unsigned overrides, for development only)");
		say(u, TS_LOG_WARN, "WARNING: installing an UNSIGNED image (--allow-unsigned): "
		    "nothing proves where it comes from");
		return TS_OK;
	}
	hex4(u->img.key_id, id);
	if (c->nkeys == 0) {
		if (!c->allow_unsigned)
			return fail(u, TS_ERR_AUTH, "refused: the image is signed (key id %s) but no "
				    "trusted public key is configured (--pubkey): its signature "
				    "cannot be checked (--allow-unsigned overrides)", id);
		say(u, TS_LOG_WARN, "WARNING: installing an image whose signature (key id %s) is "
		    "NOT CHECKED: no trusted public key configured (--allow-unsigned)", id);
		return TS_OK;
	}
	if ((err = ts_port_require(u->port, TS_NEED_CRYPTO, u->msg, sizeof(u->msg))) != TS_OK)
		return err;
	const uint8_t *key = NULL;
	for (unsigned i = 0; i < c->nkeys && !key; i++) {
		uint8_t kid[TS_IMAGE_KEY_ID_LEN];
		ts_image_key_id(c->keys[i], kid);
		if (memcmp(kid, u->img.key_id, sizeof(kid)) == 0)
			key = c->keys[i];
	}
	if (!key)
		return fail(u, TS_ERR_AUTH, "refused: the image is signed by key id %s, which is "
			    "not one of the %u trusted public key%s: it is not the vendor's release "
			    "(or the key was rotated out)", id, c->nkeys, c->nkeys == 1 ? "" : "s");
	uint8_t digest[TS_SHA256_LEN];
	ts_image_signed_digest(u->img_hdr, digest);
	err = u->port->crypto->ecdsa_p256_verify(u->port->crypto_ctx, key, digest, u->img.sig);
	if (err == TS_ERR_AUTH)
		return fail(u, err, "refused: the image's signature does not verify with trusted "
			    "key id %s: its header (version, product, slot, size or hash) was "
			    "changed after signing, or the signature is forged", id);
	if (err)
		return fail(u, err, "refused: the signature (key id %s) could not be checked: %s",
			    id, ts_strerror(err));
	say(u, TS_LOG_INFO, "signature verified: ECDSA P-256, key id %s", id);
	return TS_OK;
}

/* ---- install ---- */

static int erase_for_image(struct ts_update *u)
{
	enum ts_slot t = u->board.target;
	uint32_t base = ts_slot_addr(t);
	int first = ts_slot_first_sector(t);
	int last = ts_sector_of(base + TS_IMAGE_HDR_SIZE + u->img.app_size - 1u);
	uint32_t total = (uint32_t)(last - first + 1);

	u->phase = TS_PHASE_ERASE;
	for (int s = first; s <= last; s++) {
		progress(u, "erase", (uint64_t)(s - first), total);
		uint16_t sec = (uint16_t)s;
		int err = stopped(u, "while erasing");
		if (err || (err = ts_an3155_extended_erase(&u->rom, &sec, 1)) != TS_OK)
			return err == TS_ERR_CANCELED ? err : rom_fail(u, err);
	}
	progress(u, "erase", total, total);
	say(u, TS_LOG_INFO, "erased sector%s %d-%d (slot %c)", total > 1 ? "s" : "", first, last,
	    ts_slot_name(t));
	return TS_OK;
}

static int stream_body(struct ts_update *u, const struct ts_source *src)
{
	uint32_t load = u->img.load_addr, total = u->img.app_size, off = 0;
	uint32_t n = total < sizeof(u->block) ? total : (uint32_t)sizeof(u->block);
	uint8_t digest[TS_SHA256_LEN];
	struct ts_sha256 sha;
	int err;

	u->phase = TS_PHASE_WRITE;
	ts_sha256_init(&sha);
	for (;;) { /* u->block holds n bytes at off */
		if ((err = stopped(u, "while writing")) != TS_OK)
			return err;
		ts_sha256_update(&sha, u->block, n);
		if (ts_all_ff(u->block, n)) {
			u->blocks_skipped++;
		} else {
			if ((err = ts_an3155_write_memory(&u->rom, load + off, u->block, n)) != TS_OK)
				return rom_fail(u, err);
			u->bytes_written += n;
		}
		off += n;
		progress(u, "write", off, total);
		if (off == total)
			break;
		n = total - off < sizeof(u->block) ? total - off : (uint32_t)sizeof(u->block);
		long r = ts_source_read_full(src, u->block, n);
		if (r < 0)
			return fail(u, (int)r, "reading the image at byte %u: %s",
				    (unsigned)(TS_IMAGE_HDR_SIZE + off), ts_strerror((int)r));
		if ((uint32_t)r < n)
			return fail(u, TS_ERR_FORMAT,
				    "the image ended after %u of its %u application bytes (slot %c "
				    "left without a header: not bootable, nothing committed)",
				    (unsigned)(off + (uint32_t)r), (unsigned)total,
				    ts_slot_name(u->board.target));
	}
	uint8_t extra;
	if (ts_source_read_full(src, &extra, 1) != 0)
		return fail(u, TS_ERR_FORMAT, "the image is longer than its header says (%u "
			    "application bytes): nothing committed", (unsigned)total);
	u->phase = TS_PHASE_VERIFY;
	ts_sha256_final(&sha, digest);
	if (memcmp(digest, u->img.app_sha256, TS_SHA256_LEN) != 0)
		return fail(u, TS_ERR_HASH, "the streamed application's SHA-256 does not match the "
			    "image header: nothing committed (slot %c left without a header)",
			    ts_slot_name(u->board.target));
	return TS_OK;
}

static int read_back(struct ts_update *u, bool noisy)
{
	uint8_t digest[TS_SHA256_LEN];
	uint32_t vec[2];
	int err = hash_flash(u, u->img.load_addr, u->img.app_size, digest, vec, noisy);
	if (err)
		return err;
	if (memcmp(digest, u->img.app_sha256, TS_SHA256_LEN) != 0)
		return fail(u, TS_ERR_HASH, "read-back: the application in slot %c does not hash to "
			    "the header's SHA-256: flash did not take the data (nothing committed)",
			    ts_slot_name(u->board.target));
	return TS_OK;
}

/* Does flash at addr hold expect[0..n)? One read that matches settles it:
 * a read corrupted on its way back cannot turn other bytes into exactly the
 * expected ones (short of errors that cancel a write error byte for byte).
 * A read that differs may be a read error: then two agreeing reads decide.
 * TS_OK: it holds them; 1: it holds other bytes (in u->block); < 0: error. */
static int flash_holds(struct ts_update *u, uint32_t addr, const uint8_t *expect, uint32_t n)
{
	int err = ts_an3155_read_memory(&u->rom, addr, u->block, n);
	if (err)
		return rom_fail(u, err);
	if (memcmp(u->block, expect, n) == 0)
		return TS_OK;
	if ((err = read_block(u, addr, n, true)) != TS_OK)
		return err;
	return memcmp(u->block, expect, n) == 0 ? TS_OK : 1;
}

static int write_header(struct ts_update *u)
{
	uint32_t base = ts_slot_addr(u->board.target);
	int err;
	for (uint32_t o = 0; o < TS_IMAGE_HDR_SIZE; o += TS_AN3155_BLOCK_MAX)
		if ((err = ts_an3155_write_memory(&u->rom, base + o, u->img_hdr + o,
						  TS_AN3155_BLOCK_MAX)) != TS_OK)
			return rom_fail(u, err);
	u->bytes_written += TS_IMAGE_HDR_SIZE;
	for (uint32_t o = 0; o < TS_IMAGE_HDR_SIZE; o += TS_AN3155_BLOCK_MAX) {
		if ((err = flash_holds(u, base + o, u->img_hdr + o, TS_AN3155_BLOCK_MAX)) < 0)
			return err;
		if (err != TS_OK)
			return fail(u, TS_ERR_FLASH, "the image header read back from 0x%08X differs "
				    "from what was written (slot not erased? write-protected?): nothing "
				    "committed; retry", (unsigned)(base + o));
	}
	return TS_OK;
}

/* The app path failed: go on through the ROM bootloader when that is safe
 * (auto, nothing committed, not refused by the checks, the source can start
 * over); else stop the session and pass the failure on. */
static int app_failed(struct ts_update *u, const struct ts_source *src, int err)
{
	ts_app_abort(u);
	if (err == TS_ERR_CANCELED || u->cfg.path != TS_PATH_AUTO || u->app.refused ||
	    u->committed || u->commit_unsure)
		return err;
	if (!src->rewind) {
		snprintf(u->msg + strlen(u->msg), sizeof u->msg - strlen(u->msg),
			 " (the image source cannot start over for the ROM bootloader)");
		return err;
	}
	say(u, TS_LOG_WARN, "app path failed (%s): falling back to the ROM bootloader", u->msg);
	int e = src->rewind(src->arg);
	if (e)
		return fail(u, e, "cannot read the image again for the ROM bootloader: %s",
			    ts_strerror(e));
	if ((e = rom_connect(u)) != TS_OK)
		return e;
	u->fell_back = true;
	return TS_OK;
}

int ts_update_install(struct ts_update *u, const struct ts_source *src)
{
	struct ts_board *b = &u->board;
	char v[TS_VERSION_STR_MAX];
	int err;

	if (u->app.active && !u->in_rom) {
		if ((err = ts_app_install(u, src)) == TS_OK)
			return TS_OK;
		if ((err = app_failed(u, src, err)) != TS_OK)
			return err;
	}
	u->bytes_written = 0;
	u->blocks_skipped = 0;
	if ((err = ts_update_check(u, src)) != TS_OK)
		return err;
	vstr(u->img.version, v);
	say(u, TS_LOG_INFO, "installing v%s (%u bytes) into slot %c", v,
	    (unsigned)(TS_IMAGE_HDR_SIZE + u->img.app_size), ts_slot_name(b->target));

	/* From here on flash changes. The slot loses its header first (erase)
	 * and gets it back last, so a slot is never half an image with a
	 * valid-looking header. */
	if ((err = erase_for_image(u)) != TS_OK)
		return err;
	b->ids[b->target].present = false;
	uint32_t retried = u->rom.retried;
	if ((err = stream_body(u, src)) != TS_OK)
		return err;
	/* AN3155's XOR checksum misses two errors in one frame about one time
	 * in 256: on a link that showed errors while writing, what the chip
	 * holds is read back and hashed before anything is committed. */
	bool noisy = u->rom.retried != retried;
	if (noisy && !u->cfg.read_back)
		say(u, TS_LOG_WARN, "the link needed %u retries while writing: reading the image "
		    "back before committing it", (unsigned)(u->rom.retried - retried));
	if ((u->cfg.read_back || noisy) && (err = read_back(u, noisy)) != TS_OK)
		return err;
	if ((err = stopped(u, "before writing the header")) != TS_OK ||
	    (err = write_header(u)) != TS_OK)
		return err;
	b->hdr[b->target] = u->img;
	b->hdr_err[b->target] = TS_OK;
	b->ids[b->target].present = true;
	b->ids[b->target].version = u->img.version;
	memcpy(b->ids[b->target].hash, u->img.app_sha256, TS_RECORD_HASH_LEN);
	/* Records about the image that was in the slot are stale now. */
	if (b->journal.has_slot[b->target])
		b->journal.has_slot[b->target] = false;
	if (b->journal.has_newest && b->journal.newest.slot == b->target) {
		b->journal.has_newest = b->journal.has_slot[b->running];
		if (b->journal.has_newest)
			b->journal.newest = b->journal.slot[b->running];
	}

	u->phase = TS_PHASE_COMMIT;
	if ((err = stopped(u, "before the PENDING record")) != TS_OK ||
	    (err = ts_update_append(u, TS_REC_PENDING, b->target)) != TS_OK)
		return err;
	say(u, TS_LOG_INFO, "committed: PENDING v%s in slot %c (%u bytes written, %u blank "
	    "blocks skipped)", v, ts_slot_name(b->target), (unsigned)u->bytes_written,
	    (unsigned)u->blocks_skipped);
	return TS_OK;
}

/* ---- journal append ---- */

static int write_record(struct ts_update *u, uint32_t index, const struct ts_record *r)
{
	uint32_t addr = TS_JOURNAL_ADDR + index * TS_RECORD_SIZE;
	uint8_t enc[TS_RECORD_SIZE], back[TS_RECORD_SIZE];
	int err;
	/* Never over old bytes: the position must read blank now. */
	if ((err = ts_an3155_read_memory(&u->rom, addr, back, TS_RECORD_SIZE)) != TS_OK)
		return rom_fail(u, err);
	if (!ts_all_ff(back, TS_RECORD_SIZE))
		return fail(u, TS_ERR_STATE, "journal record at 0x%08X (position %u): not blank, "
			    "refusing to program over it: nothing committed; retry (the journal is "
			    "then read whole and compacted)", (unsigned)addr, (unsigned)index);
	ts_record_encode(r, enc);
	/* From here the record may be in flash whatever goes wrong. */
	u->commit_unsure = true;
	if ((err = ts_an3155_write_memory(&u->rom, addr, enc, TS_RECORD_SIZE)) != TS_OK)
		return fail(u, err, "%s: the record may or may not be in the journal: see twinslot "
			    "status", u->rom.msg);
	if ((err = flash_holds(u, addr, enc, TS_RECORD_SIZE)) < 0)
		return err;
	if (err != TS_OK)
		return fail(u, TS_ERR_FLASH, "journal record written at 0x%08X reads back "
			    "different: flash did not take it (sector 11 write-protected or worn?): "
			    "see twinslot status, then retry", (unsigned)addr);
	u->commit_unsure = false;
	return TS_OK;
}

int ts_update_append(struct ts_update *u, enum ts_rec_type type, enum ts_slot slot)
{
	struct ts_board *b = &u->board;
	struct ts_journal_write w;
	struct ts_record rec;
	int err;

	if (!b->ids[slot].present)
		return fail(u, TS_ERR_STATE, "slot %c holds no valid image header: no %s record "
			    "about it (install an image there first)", ts_slot_name(slot),
			    ts_rec_type_name(type));
	memset(&rec, 0, sizeof(rec));
	rec.type = (uint8_t)type;
	rec.slot = (uint8_t)slot;
	rec.version = b->ids[slot].version;
	memcpy(rec.hash, b->ids[slot].hash, TS_RECORD_HASH_LEN);

	bool full = b->journal_complete;
	for (;;) { /* at most twice: `full` only goes from false to true */
		/* seq goes above every record. From the end-walk the last valid
		 * record holds the highest seq (append order); if it saw none,
		 * only a full scan can tell. */
		if (!full && b->journal.valid == 0 && b->journal.free_index > 0) {
			if ((err = read_journal(u, true)) != TS_OK)
				return err;
			full = true;
		}
		rec.seq = b->journal.max_seq + 1u;
		if ((err = ts_journal_plan_append(&b->journal, TS_JOURNAL_RECORDS, &rec, 1,
						  &w)) != TS_OK)
			return fail(u, err, "cannot plan the journal append: %s (a bug: please report it "
				    "with twinslot status --full)", ts_strerror(err));
		bool rescan = false;
		if (w.erase) {
			/* Compaction rewrites every slot's newest live record:
			 * it needs the complete picture. */
			rescan = !full;
		} else if (!full) {
			uint8_t cur[TS_RECORD_SIZE];
			uint32_t a = TS_JOURNAL_ADDR + w.index * TS_RECORD_SIZE;
			if ((err = ts_an3155_read_memory(&u->rom, a, cur, TS_RECORD_SIZE)) != TS_OK)
				return rom_fail(u, err);
			rescan = !ts_all_ff(cur, TS_RECORD_SIZE);
		}
		if (!rescan)
			break;
		say(u, TS_LOG_INFO, "journal: %s: reading all of it",
		    w.erase ? "compaction needed" : "free position not blank");
		if ((err = read_journal(u, true)) != TS_OK)
			return err;
		full = true;
	}
	if (w.erase) {
		uint16_t sec = TS_JOURNAL_SECTOR;
		say(u, TS_LOG_INFO, "compacting the journal: erase sector 11, rewrite %u record(s)",
		    (unsigned)(w.count - 1u));
		if ((err = ts_an3155_extended_erase(&u->rom, &sec, 1)) != TS_OK)
			return rom_fail(u, err);
	}
	TS_ASSERT(w.index + w.count <= TS_JOURNAL_RECORDS); /* inside sector 11 */
	for (uint8_t i = 0; i < w.count; i++)
		if ((err = write_record(u, w.index + i, &w.rec[i])) != TS_OK)
			return err;

	/* The journal as it is now. */
	struct ts_journal_state *j = &b->journal;
	if (w.erase) {
		memset(j, 0, sizeof(*j));
		for (uint8_t i = 0; i < w.count; i++) {
			j->valid++;
			if (w.rec[i].seq > j->max_seq)
				j->max_seq = w.rec[i].seq;
			TS_ASSERT(w.rec[i].slot < TS_SLOT_COUNT);
			j->has_slot[w.rec[i].slot] = true;
			j->slot[w.rec[i].slot] = w.rec[i];
		}
		b->journal_complete = true;
	} else {
		j->valid++;
		j->max_seq = rec.seq;
		j->has_slot[slot] = true;
		j->slot[slot] = rec;
	}
	j->free_index = w.index + w.count;
	j->has_newest = true;
	j->newest = rec;
	u->committed = true;
	return TS_OK;
}

/* ---- restart and outcome ---- */

int ts_update_restart(struct ts_update *u)
{
	const struct ts_port *p = u->port;
	int err;
	if (u->app.active && u->committed)
		return ts_app_restart(u);
	ts_app_abort(u); /* a session that committed nothing: the app goes on */
	if (u->app.used && !u->in_rom && !u->committed && !u->commit_unsure) {
		/* The app path failed before committing: the application never
		 * stopped, so there is nothing to restart. */
		u->phase = TS_PHASE_RESTART;
		return TS_OK;
	}
	u->phase = TS_PHASE_RESTART;
	if ((err = p->link->set_boot0(p->link_ctx, false)) != TS_OK)
		return fail(u, err, "cannot set BOOT0 low: %s (check --pins)", ts_strerror(err));
	/* Listen to the console from the first byte the bootloader sends. */
	if ((err = p->link->configure(p->link_ctx, u->cfg.console_baud, false)) != TS_OK)
		return fail(u, err, "cannot configure the serial port at %u 8N1: %s "
			    "(is --console-baud supported?)",
			    (unsigned)u->cfg.console_baud, ts_strerror(err));
	p->link->flush_input(p->link_ctx);
	if ((err = reset_pulse(u)) != TS_OK)
		return fail(u, err, "cannot pulse NRST: %s (check --pins)", ts_strerror(err));
	u->in_rom = false;
	u->rom.synced = false;
	return TS_OK;
}

#define BOOT_PREFIX "twinslot-boot: "
#define APP_PREFIX "twinslot-app: "

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* One console line; returns true when it settles the outcome. */
static bool console_line(struct ts_update *u, const char *line, int *boot_slot)
{
	enum ts_slot t = u->board.target;
	if (starts(line, BOOT_PREFIX)) {
		const char *r = line + strlen(BOOT_PREFIX);
		say(u, TS_LOG_INFO, "console: %s", line);
		if (starts(r, "slot ") && (r[5] == 'A' || r[5] == 'B')) {
			*boot_slot = r[5] == 'A' ? TS_SLOT_A : TS_SLOT_B;
			if (*boot_slot != (int)t) {
				u->outcome = TS_OUTCOME_ROLLED_BACK;
				return true;
			}
		} else if (starts(r, "no bootable image")) {
			u->outcome = TS_OUTCOME_ROLLED_BACK;
			return true;
		}
		return false;
	}
	if (starts(line, APP_PREFIX)) {
		const char *r = line + strlen(APP_PREFIX);
		say(u, TS_LOG_INFO, "console: %s", line);
		if (*boot_slot == (int)t &&
		    (strcmp(r, "confirmed") == 0 || strcmp(r, "already confirmed") == 0)) {
			u->outcome = TS_OUTCOME_CONFIRMED;
			return true;
		}
	}
	return false;
}

static int outcome_from_journal(struct ts_update *u)
{
	enum ts_slot t = u->board.target;
	int err = rom_connect(u);
	if (err)
		return err;
	const struct ts_journal_state *j = &u->board.journal;
	/* The image we installed is still in slot t (identity from its header). */
	if (j->has_slot[t] && j->slot[t].type == TS_REC_CONFIRMED)
		u->outcome = TS_OUTCOME_CONFIRMED;
	else if (j->has_slot[t] && j->slot[t].type == TS_REC_ROLLED_BACK)
		u->outcome = TS_OUTCOME_ROLLED_BACK;
	say(u, TS_LOG_INFO, "journal: slot %c's newest record: %s", ts_slot_name(t),
	    j->has_slot[t] ? ts_rec_type_name(j->slot[t].type) : "none");
	u->board.target = t;
	return ts_update_restart(u);
}

int ts_update_wait_outcome(struct ts_update *u)
{
	const struct ts_port *p = u->port;
	uint64_t end = p->clock->now_ms(p->clock_ctx) + u->cfg.outcome_timeout_ms;
	size_t len = 0;
	int boot_slot = -1;
	uint8_t buf[64];

	u->phase = TS_PHASE_OUTCOME;
	u->outcome = TS_OUTCOME_TIMEOUT;
	u->console_line[0] = 0;
	for (;;) {
		uint64_t t = p->clock->now_ms(p->clock_ctx);
		int err = stopped(u, "while waiting for the outcome");
		if (err)
			return err;
		if (t >= end)
			break;
		uint64_t left = end - t;
		long n = p->link->read(p->link_ctx, buf, sizeof(buf), left > 200 ? 200u : (uint32_t)left);
		if (n < 0)
			return fail(u, (int)n, "reading the console on the serial port: %s (the outcome "
				    "is unknown: see twinslot status)", ts_strerror((int)n));
		for (long i = 0; i < n; i++) {
			char ch = (char)buf[i];
			if (ch == '\r')
				continue;
			if (ch != '\n') {
				if (len + 1 < sizeof(u->console_line))
					u->console_line[len++] = ch;
				continue;
			}
			u->console_line[len] = 0;
			len = 0;
			if (console_line(u, u->console_line, &boot_slot)) {
				u->phase = TS_PHASE_DONE;
				return TS_OK;
			}
		}
	}
	if (u->cfg.outcome_journal) {
		int err = outcome_from_journal(u);
		if (err)
			return err;
	}
	u->phase = TS_PHASE_DONE;
	return TS_OK;
}

int ts_update_flash(struct ts_update *u, const struct ts_source *src)
{
	int err;
	if (!u->in_rom && (err = ts_update_connect(u)) != TS_OK)
		return err;
	if ((err = ts_update_install(u, src)) != TS_OK)
		return err;
	if ((err = ts_update_restart(u)) != TS_OK)
		return err;
	if (u->cfg.outcome_timeout_ms == 0) {
		u->phase = TS_PHASE_DONE;
		return TS_OK;
	}
	return ts_update_wait_outcome(u);
}
