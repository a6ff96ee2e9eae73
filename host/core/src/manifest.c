/*
 * The release manifest, parsed with the core's own JSON reader (json.h):
 * no allocation, no global state (see manifest.h).
 */
#include "twinslot/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "twinslot/bytes.h"
#include "twinslot/err.h"
#include "twinslot/layout.h"
#include "twinslot/sha256.h"
#include "twinslot/text.h"
#include "twinslot/version.h"

/* Field names are at most this long when printed in an error. */
#define NAME_MAX_PRINT 64

struct ctx {
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, int rc, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		int k = snprintf(c->err, c->errlen, "manifest: ");
		va_list ap;
		va_start(ap, fmt);
		if (k >= 0 && (size_t)k < c->errlen)
			vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Is every member of obj one of allowed[0..n), none repeated? If not,
 * *bad is the first offending name (decoded, cut at NAME_MAX_PRINT - 1). */
static bool only_fields(const struct ts_json_value *obj, const char *const *allowed,
			size_t n, char bad[NAME_MAX_PRINT])
{
	struct ts_json_members it, prev;
	struct ts_json_value name, value, pname, pvalue;
	ts_json_members_begin(obj, &it);
	while (ts_json_members_next(&it, &name, &value)) {
		const char *known = NULL;
		for (size_t i = 0; i < n && !known; i++)
			if (ts_json_string_is(&name, allowed[i]))
				known = allowed[i];
		/* a repeated field is as bad as an unknown one */
		bool ok = known != NULL;
		ts_json_members_begin(obj, &prev);
		while (ok && ts_json_members_next(&prev, &pname, &pvalue) &&
		       pname.text != name.text)
			ok = !ts_json_string_is(&pname, known);
		if (!ok) {
			ts_json_string(&name, bad, NAME_MAX_PRINT);
			return false;
		}
	}
	return true;
}

/* A manifest's hashes are lower-case hex only. */
static int hexval(char ch)
{
	return ch >= 'A' && ch <= 'F' ? -1 : ts_hex_digit(ch);
}

/* A number as written, for messages (numbers are short ASCII). */
#define NUM_FMT "%.*s"
#define NUM_ARG(v) (int)((v).len < 24 ? (v).len : 24), (v).text

static int image(struct ctx *c, const struct ts_json_value *images, const char *name,
		 struct ts_manifest_image *img)
{
	struct ts_json_value o, key, size, sha;
	if (!ts_json_get(images, name, &o))
		return fail(c, TS_ERR_FORMAT, "images.%s: missing (an image per slot, a and b)",
			    name);
	if (o.type != TS_JSON_OBJECT)
		return fail(c, TS_ERR_FORMAT, "images.%s: expected an object", name);
	static const char *const F[] = { "key", "size", "sha256" };
	char bad[NAME_MAX_PRINT];
	if (!only_fields(&o, F, 3, bad))
		return fail(c, TS_ERR_FORMAT, "images.%s.%s: unknown or repeated field", name,
			    bad);
	bool has_key = ts_json_get(&o, "key", &key);
	bool has_size = ts_json_get(&o, "size", &size);
	bool has_sha = ts_json_get(&o, "sha256", &sha);
	if (!has_key || key.type != TS_JSON_STRING)
		return fail(c, TS_ERR_FORMAT, "images.%s.key: %s", name,
			    has_key ? "expected a string" : "missing");
	size_t kl = ts_json_string(&key, img->key, sizeof img->key);
	if (kl == 0 || kl >= sizeof img->key || img->key[0] == '/')
		return fail(c, TS_ERR_FORMAT,
			    "images.%s.key: expected an object key of 1..%zu bytes, not starting "
			    "with '/'", name, sizeof img->key - 1);
	for (size_t i = 0; i < kl; i++)
		if ((unsigned char)img->key[i] < 0x20)
			return fail(c, TS_ERR_FORMAT, "images.%s.key: control character", name);
	if (!has_size)
		return fail(c, TS_ERR_FORMAT, "images.%s.size: missing", name);
	uint64_t sz;
	if (!ts_json_whole(&size, &sz))
		return fail(c, TS_ERR_FORMAT, "images.%s.size: expected a whole number of bytes",
			    name);
	if (sz < 1 || sz > TS_SLOT_SIZE)
		return fail(c, TS_ERR_SIZE, "images.%s.size: " NUM_FMT " bytes does not fit a "
			    "slot (1..%u)", name, NUM_ARG(size), (unsigned)TS_SLOT_SIZE);
	img->size = (uint32_t)sz;
	if (!has_sha)
		return fail(c, TS_ERR_FORMAT, "images.%s.sha256: missing", name);
	char hex[65];
	if (sha.type != TS_JSON_STRING || ts_json_string(&sha, hex, sizeof hex) != 64)
		return fail(c, TS_ERR_FORMAT,
			    "images.%s.sha256: expected 64 lower-case hex digits", name);
	for (int i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(c, TS_ERR_FORMAT,
				    "images.%s.sha256: expected 64 lower-case hex digits", name);
		img->sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	return TS_OK;
}

static int validate(struct ctx *c, const struct ts_json_value *root, struct ts_manifest *m)
{
	if (root->type != TS_JSON_OBJECT)
		return fail(c, TS_ERR_FORMAT, "expected a JSON object at the top");
	static const char *const F[] = { "schema", "product", "version", "images", "rollout" };
	char bad[NAME_MAX_PRINT];
	if (!only_fields(root, F, 5, bad))
		return fail(c, TS_ERR_FORMAT, "%s: unknown or repeated field", bad);
	struct ts_json_value schema, product, version, images, rollout;
	if (!ts_json_get(root, "schema", &schema))
		return fail(c, TS_ERR_FORMAT, "schema: missing");
	uint64_t sv;
	if (!ts_json_whole(&schema, &sv))
		return fail(c, TS_ERR_FORMAT, "schema: expected a whole number");
	if (sv != TS_MANIFEST_SCHEMA)
		return fail(c, TS_ERR_UNSUPPORTED,
			    "schema: " NUM_FMT " is not supported (this build reads schema %d)",
			    NUM_ARG(schema), TS_MANIFEST_SCHEMA);
	m->schema = TS_MANIFEST_SCHEMA;
	bool has = ts_json_get(root, "product", &product);
	if (!has || product.type != TS_JSON_STRING)
		return fail(c, TS_ERR_FORMAT, "product: %s", has ? "expected a string" : "missing");
	size_t pl = ts_json_string(&product, m->product, sizeof m->product);
	if (pl == 0 || pl >= sizeof m->product)
		return fail(c, TS_ERR_FORMAT, "product: expected 1..%zu characters",
			    sizeof m->product - 1);
	has = ts_json_get(root, "version", &version);
	if (!has || version.type != TS_JSON_STRING)
		return fail(c, TS_ERR_FORMAT, "version: %s", has ? "expected a string" : "missing");
	char vs[TS_VERSION_STR_MAX + 8];
	if (ts_json_string(&version, vs, sizeof vs) >= sizeof vs ||
	    ts_version_parse(vs, &m->version) != TS_OK)
		return fail(c, TS_ERR_SEMVER,
			    "version: \"%.20s\" is not MAJOR.MINOR.PATCH (<=255.255.65535)", vs);
	has = ts_json_get(root, "images", &images);
	if (!has || images.type != TS_JSON_OBJECT)
		return fail(c, TS_ERR_FORMAT, "images: %s", has ? "expected an object" : "missing");
	static const char *const S[] = { "a", "b" };
	if (!only_fields(&images, S, 2, bad))
		return fail(c, TS_ERR_FORMAT, "images.%s: unknown or repeated slot (a, b)", bad);
	int rc = image(c, &images, "a", &m->image[TS_SLOT_A]);
	if (rc)
		return rc;
	rc = image(c, &images, "b", &m->image[TS_SLOT_B]);
	if (rc)
		return rc;
	if (strcmp(m->image[0].key, m->image[1].key) == 0)
		return fail(c, TS_ERR_FORMAT, "images: a and b name the same object \"%s\" (each "
			    "slot needs its own link)", m->image[0].key);
	has = ts_json_get(root, "rollout", &rollout);
	if (has && rollout.type != TS_JSON_OBJECT)
		return fail(c, TS_ERR_FORMAT, "rollout: expected an object");
	m->has_rollout = has;
	return TS_OK;
}

int ts_manifest_parse(const char *json, size_t len, struct ts_manifest *m, char *err,
		      size_t errlen)
{
	struct ctx c = { err, errlen };
	if (err && errlen)
		err[0] = '\0';
	if (!json || !m)
		return fail(&c, TS_ERR_INVAL, "nothing to parse");
	if (len > TS_MANIFEST_MAX)
		return fail(&c, TS_ERR_SIZE, "%zu bytes, more than the %d allowed", len,
			    TS_MANIFEST_MAX);
	memset(m, 0, sizeof *m);
	struct ts_json_value root;
	size_t at;
	const char *what;
	int rc = ts_json_check(json, len, &root, &at, &what);
	if (rc == TS_OK)
		rc = validate(&c, &root, m);
	else if (what == TS_JSON_TRAILING)
		rc = fail(&c, TS_ERR_FORMAT, "text after the JSON object (at byte %zu)", at);
	else
		rc = fail(&c, TS_ERR_FORMAT, "not valid JSON (at byte %zu): %s", at, what);
	if (rc)
		memset(m, 0, sizeof *m);
	return rc;
}

long ts_manifest_write(const struct ts_manifest *m, char *out, size_t n)
{
	char v[TS_VERSION_STR_MAX];
	ts_version_format(m->version, v);
	char hex[2][65];
	static const char H[] = "0123456789abcdef";
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < 32; i++) {
			hex[s][2 * i] = H[m->image[s].sha256[i] >> 4];
			hex[s][2 * i + 1] = H[m->image[s].sha256[i] & 15];
		}
		hex[s][64] = '\0';
	}
	/* product and keys are written as JSON strings: refuse what would need
	 * escaping rather than escape it. */
	const char *strs[] = { m->product, m->image[0].key, m->image[1].key };
	for (size_t i = 0; i < 3; i++)
		for (const char *p = strs[i]; *p; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
				return TS_ERR_INVAL;
	int k = snprintf(out, n,
			 "{\n"
			 "  \"schema\": %d,\n"
			 "  \"product\": \"%s\",\n"
			 "  \"version\": \"%s\",\n"
			 "  \"images\": {\n"
			 "    \"a\": { \"key\": \"%s\", \"size\": %u, \"sha256\": \"%s\" },\n"
			 "    \"b\": { \"key\": \"%s\", \"size\": %u, \"sha256\": \"%s\" }\n"
			 "  }\n"
			 "}\n",
			 TS_MANIFEST_SCHEMA, m->product, v, m->image[0].key,
			 (unsigned)m->image[0].size, hex[0], m->image[1].key,
			 (unsigned)m->image[1].size, hex[1]);
	if (k < 0 || (size_t)k >= n)
		return TS_ERR_BUFSIZE;
	return k;
}

uint32_t ts_manifest_product_id(const char *name)
{
	uint8_t d[TS_SHA256_LEN];
	ts_sha256(name, strlen(name), d);
	return ts_get32(d);
}
