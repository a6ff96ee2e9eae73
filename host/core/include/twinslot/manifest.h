/*
 * The release manifest: the small JSON document a device polls
 * (<prefix>/manifest.json) that names one image per slot.
 *
 *   {
 *     "schema": 1,
 *     "product": "twinslot-demo",
 *     "version": "1.1.0",
 *     "images": {
 *       "a": { "key": "fw/1.1.0/slot-a.img", "size": 9216, "sha256": "<64 hex>" },
 *       "b": { "key": "fw/1.1.0/slot-b.img", "size": 9216, "sha256": "<64 hex>" }
 *     },
 *     "rollout": { ... }          optional, any object: room for rollout rules
 *   }
 *
 * Parsing is strict: every field above is required (except rollout), no
 * other field is allowed, types and ranges are checked, and the error text
 * names the field and what was wrong. "key" is the full object key in the
 * manifest's bucket; "size" is the whole slot image (header included).
 *
 * Numbers are whole and written with digits only ("1.0", "1e3" and "-0"
 * are refused). Strings may use every JSON escape, \uXXXX included (as
 * UTF-8); "\u0000" and lone surrogates are refused.
 *
 * The parser is the core's own JSON reader (host/core/src/json.c): it reads
 * the caller's text in place, allocates nothing and keeps no global state,
 * so concurrent parses on different texts are safe.
 */
#ifndef TWINSLOT_MANIFEST_H
#define TWINSLOT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_MANIFEST_SCHEMA 1
#define TS_MANIFEST_MAX 4096          /* bytes of JSON */
#define TS_MANIFEST_KEY_MAX 256
#define TS_MANIFEST_PRODUCT_MAX 64

struct ts_manifest_image {
	char key[TS_MANIFEST_KEY_MAX];
	uint32_t size;
	uint8_t sha256[32];
};

struct ts_manifest {
	uint32_t schema;
	char product[TS_MANIFEST_PRODUCT_MAX];
	uint32_t version;                     /* TS_VERSION() packed */
	struct ts_manifest_image image[2];    /* [TS_SLOT_A], [TS_SLOT_B] */
	bool has_rollout;
};

/*
 * Parse and validate json[0..len) (a NUL after the object ends it). On
 * failure returns TS_ERR_FORMAT (or TS_ERR_SIZE / TS_ERR_SEMVER /
 * TS_ERR_UNSUPPORTED / TS_ERR_INVAL), leaves *m zeroed and writes one line
 * into err, e.g. "manifest: images.b.sha256: expected 64 lower-case hex
 * digits" or "manifest: not valid JSON (at byte 12): expected ':' after a
 * field name".
 */
int ts_manifest_parse(const char *json, size_t len, struct ts_manifest *m, char *err,
		      size_t errlen);

/* The canonical JSON text of m into out (NUL-terminated). Returns the
 * length or TS_ERR_BUFSIZE. (No rollout object is written.) */
/* The 32-bit product id that images of the product named `name` carry in
 * their header (docs/security.md, "Manifest and header"): the first 4 bytes
 * of SHA-256 over the name's bytes, read little-endian. The agent installs
 * an image only when its signed header's product id is this of the
 * manifest's product name, so a manifest cannot relabel another product's
 * signed image as its own. `twinslot pack --product NAME` writes it. */
uint32_t ts_manifest_product_id(const char *name);

long ts_manifest_write(const struct ts_manifest *m, char *out, size_t n);

#endif
