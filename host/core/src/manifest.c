/*
 * The release manifest, parsed with cJSON over a caller-provided arena
 * (see manifest.h for why and how).
 */
#include "twinslot/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "twinslot/err.h"
#include "twinslot/layout.h"
#include "twinslot/version.h"

/* ---- the arena behind cJSON's hooks ----------------------------------- */

static struct {
	uint8_t *base;
	size_t cap, used;
	bool exhausted;
} arena;

static void *arena_alloc(size_t n)
{
	size_t a = (arena.used + 15u) & ~(size_t)15u;
	if (a > arena.cap || n > arena.cap - a) {
		arena.exhausted = true;
		return NULL;
	}
	arena.used = a + n;
	return arena.base + a;
}

static void arena_free(void *p)
{
	(void)p; /* everything goes at once when the parse is over */
}

/* ---- validation -------------------------------------------------------- */

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

static bool only_fields(const cJSON *obj, const char *const *allowed, size_t n,
			const char **bad)
{
	for (const cJSON *it = obj->child; it; it = it->next) {
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(it->string, allowed[i]) == 0;
		/* a repeated field is as bad as an unknown one */
		for (const cJSON *o = obj->child; ok && o != it; o = o->next)
			if (strcmp(o->string, it->string) == 0)
				ok = false;
		if (!ok) {
			*bad = it->string;
			return false;
		}
	}
	return true;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static bool whole_number(const cJSON *v, double max)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= max &&
	       v->valuedouble == (double)(uint64_t)v->valuedouble;
}

static int image(struct ctx *c, const cJSON *images, const char *name,
		 struct ts_manifest_image *img)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(images, name);
	if (!o)
		return fail(c, TS_ERR_FORMAT, "images.%s: missing (an image per slot, a and b)",
			    name);
	if (!cJSON_IsObject(o))
		return fail(c, TS_ERR_FORMAT, "images.%s: expected an object", name);
	static const char *const F[] = { "key", "size", "sha256" };
	const char *bad;
	if (!only_fields(o, F, 3, &bad))
		return fail(c, TS_ERR_FORMAT, "images.%s.%s: unknown or repeated field", name,
			    bad);
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
	const cJSON *sha = cJSON_GetObjectItemCaseSensitive(o, "sha256");
	if (!key || !cJSON_IsString(key))
		return fail(c, TS_ERR_FORMAT, "images.%s.key: %s", name,
			    key ? "expected a string" : "missing");
	size_t kl = strlen(key->valuestring);
	if (kl == 0 || kl >= sizeof img->key || key->valuestring[0] == '/')
		return fail(c, TS_ERR_FORMAT,
			    "images.%s.key: expected an object key of 1..%zu bytes, not starting "
			    "with '/'", name, sizeof img->key - 1);
	for (size_t i = 0; i < kl; i++)
		if ((unsigned char)key->valuestring[i] < 0x20)
			return fail(c, TS_ERR_FORMAT, "images.%s.key: control character", name);
	memcpy(img->key, key->valuestring, kl + 1);
	if (!size)
		return fail(c, TS_ERR_FORMAT, "images.%s.size: missing", name);
	if (!whole_number(size, 4294967295.0))
		return fail(c, TS_ERR_FORMAT, "images.%s.size: expected a whole number of bytes",
			    name);
	if (size->valuedouble < 1 || size->valuedouble > TS_SLOT_SIZE)
		return fail(c, TS_ERR_SIZE, "images.%s.size: %.0f bytes does not fit a slot "
			    "(1..%u)", name, size->valuedouble, (unsigned)TS_SLOT_SIZE);
	img->size = (uint32_t)size->valuedouble;
	if (!sha)
		return fail(c, TS_ERR_FORMAT, "images.%s.sha256: missing", name);
	if (!cJSON_IsString(sha) || strlen(sha->valuestring) != 64)
		return fail(c, TS_ERR_FORMAT,
			    "images.%s.sha256: expected 64 lower-case hex digits", name);
	for (int i = 0; i < 32; i++) {
		int hi = hexval(sha->valuestring[2 * i]), lo = hexval(sha->valuestring[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(c, TS_ERR_FORMAT,
				    "images.%s.sha256: expected 64 lower-case hex digits", name);
		img->sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	return TS_OK;
}

static int validate(struct ctx *c, const cJSON *root, struct ts_manifest *m)
{
	if (!cJSON_IsObject(root))
		return fail(c, TS_ERR_FORMAT, "expected a JSON object at the top");
	static const char *const F[] = { "schema", "product", "version", "images", "rollout" };
	const char *bad;
	if (!only_fields(root, F, 5, &bad))
		return fail(c, TS_ERR_FORMAT, "%s: unknown or repeated field", bad);
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
	if (!schema)
		return fail(c, TS_ERR_FORMAT, "schema: missing");
	if (!whole_number(schema, 1e9))
		return fail(c, TS_ERR_FORMAT, "schema: expected a whole number");
	if (schema->valuedouble != TS_MANIFEST_SCHEMA)
		return fail(c, TS_ERR_UNSUPPORTED,
			    "schema: %.0f is not supported (this build reads schema %d)",
			    schema->valuedouble, TS_MANIFEST_SCHEMA);
	m->schema = TS_MANIFEST_SCHEMA;
	const cJSON *product = cJSON_GetObjectItemCaseSensitive(root, "product");
	if (!product || !cJSON_IsString(product))
		return fail(c, TS_ERR_FORMAT, "product: %s",
			    product ? "expected a string" : "missing");
	size_t pl = strlen(product->valuestring);
	if (pl == 0 || pl >= sizeof m->product)
		return fail(c, TS_ERR_FORMAT, "product: expected 1..%zu characters",
			    sizeof m->product - 1);
	memcpy(m->product, product->valuestring, pl + 1);
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!version || !cJSON_IsString(version))
		return fail(c, TS_ERR_FORMAT, "version: %s",
			    version ? "expected a string" : "missing");
	if (ts_version_parse(version->valuestring, &m->version) != TS_OK)
		return fail(c, TS_ERR_SEMVER,
			    "version: \"%.20s\" is not MAJOR.MINOR.PATCH (<=255.255.65535)",
			    version->valuestring);
	const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
	if (!images || !cJSON_IsObject(images))
		return fail(c, TS_ERR_FORMAT, "images: %s",
			    images ? "expected an object" : "missing");
	static const char *const S[] = { "a", "b" };
	if (!only_fields(images, S, 2, &bad))
		return fail(c, TS_ERR_FORMAT, "images.%s: unknown or repeated slot (a, b)", bad);
	int rc = image(c, images, "a", &m->image[TS_SLOT_A]);
	if (rc)
		return rc;
	rc = image(c, images, "b", &m->image[TS_SLOT_B]);
	if (rc)
		return rc;
	if (strcmp(m->image[0].key, m->image[1].key) == 0)
		return fail(c, TS_ERR_FORMAT, "images: a and b name the same object \"%s\" (each "
			    "slot needs its own link)", m->image[0].key);
	const cJSON *rollout = cJSON_GetObjectItemCaseSensitive(root, "rollout");
	if (rollout && !cJSON_IsObject(rollout))
		return fail(c, TS_ERR_FORMAT, "rollout: expected an object");
	m->has_rollout = rollout != NULL;
	return TS_OK;
}

int ts_manifest_parse(const char *json, size_t len, void *mem, size_t mem_len,
		      struct ts_manifest *m, char *err, size_t errlen)
{
	struct ctx c = { err, errlen };
	if (err && errlen)
		err[0] = '\0';
	if (!json || !m || !mem)
		return fail(&c, TS_ERR_INVAL, "nothing to parse");
	if (len > TS_MANIFEST_MAX)
		return fail(&c, TS_ERR_SIZE, "%zu bytes, more than the %d allowed", len,
			    TS_MANIFEST_MAX);
	memset(m, 0, sizeof *m);
	arena.base = mem;
	arena.cap = mem_len;
	arena.used = 0;
	arena.exhausted = false;
	cJSON_Hooks hooks = { arena_alloc, arena_free };
	cJSON_InitHooks(&hooks);
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
	int rc;
	if (!root) {
		if (arena.exhausted)
			rc = fail(&c, TS_ERR_BUFSIZE, "parse arena of %zu bytes too small", mem_len);
		else
			rc = fail(&c, TS_ERR_FORMAT, "not valid JSON (at byte %ld)",
				  end ? (long)(end - json) : -1L);
	} else {
		/* Only white space may follow the object. */
		size_t off = (size_t)(end - json);
		while (off < len && (json[off] == ' ' || json[off] == '\n' ||
				     json[off] == '\r' || json[off] == '\t'))
			off++;
		if (off < len && json[off] != '\0')
			rc = fail(&c, TS_ERR_FORMAT, "text after the JSON object (at byte %zu)",
				  off);
		else
			rc = validate(&c, root, m);
	}
	cJSON_InitHooks(NULL);
	arena.base = NULL;
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
