/*
 * Stand-in (NOT ESP-IDF) for NVS: blobs per namespace and key, kept in a
 * file (TS_STANDIN_NVS) as "namespace key hex" lines. What it enforces:
 * nvs_flash_init first (else ESP_ERR_NVS_NOT_INITIALIZED), names of at most
 * 15 characters (ESP_ERR_NVS_KEY_TOO_LONG), the get-size-then-read protocol
 * of nvs_get_blob (ESP_ERR_NVS_INVALID_LENGTH when the buffer is short),
 * and nvs_commit: writes not committed never reach the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvs.h"
#include "nvs_flash.h"
#include "standin.h"

#define MAXE 64
#define MAXV 1024

struct ent {
	char ns[16], key[16];
	uint8_t v[MAXV];
	size_t len;
	bool used, dirty;
};

static struct {
	bool init;
	struct ent e[MAXE];
	char ns[8][16];
	unsigned nns;
} N;

unsigned standin_nvs_uncommitted(void)
{
	unsigned k = 0;
	for (int i = 0; i < MAXE; i++)
		k += N.e[i].used && N.e[i].dirty;
	return k;
}

static int hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

esp_err_t nvs_flash_init(void)
{
	memset(&N, 0, sizeof N);
	N.init = true;
	const char *path = getenv("TS_STANDIN_NVS");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return ESP_OK;
	char hex[2 * MAXV + 2];
	for (int i = 0; i < MAXE; i++) {
		struct ent *e = &N.e[i];
		if (fscanf(f, "%15s %15s %2049s", e->ns, e->key, hex) != 3)
			break;
		for (const char *h = hex; hexv(h[0]) >= 0 && hexv(h[1]) >= 0 && e->len < MAXV; h += 2)
			e->v[e->len++] = (uint8_t)(hexv(h[0]) << 4 | hexv(h[1]));
		if (strcmp(hex, "-") == 0)
			e->len = 0;
		e->used = true;
	}
	fclose(f);
	return ESP_OK;
}

esp_err_t nvs_flash_erase(void)
{
	memset(N.e, 0, sizeof N.e);
	const char *path = getenv("TS_STANDIN_NVS");
	if (path)
		remove(path);
	return ESP_OK;
}

static esp_err_t name_ok(const char *s)
{
	if (!s || !*s)
		return ESP_ERR_NVS_INVALID_NAME;
	return strlen(s) > NVS_KEY_NAME_MAX_SIZE - 1 ? ESP_ERR_NVS_KEY_TOO_LONG : ESP_OK;
}

esp_err_t nvs_open(const char *ns, nvs_open_mode_t mode, nvs_handle_t *out)
{
	(void)mode;
	if (!N.init)
		return ESP_ERR_NVS_NOT_INITIALIZED;
	esp_err_t err = name_ok(ns);
	if (err != ESP_OK)
		return err;
	if (N.nns == 8)
		return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
	snprintf(N.ns[N.nns], sizeof N.ns[0], "%s", ns);
	*out = ++N.nns;
	return ESP_OK;
}

void nvs_close(nvs_handle_t h)
{
	(void)h;
}

static struct ent *find(nvs_handle_t h, const char *key)
{
	for (int i = 0; i < MAXE; i++)
		if (N.e[i].used && strcmp(N.e[i].ns, N.ns[h - 1]) == 0 &&
		    strcmp(N.e[i].key, key) == 0)
			return &N.e[i];
	return NULL;
}

static esp_err_t check(nvs_handle_t h, const char *key)
{
	if (!N.init)
		return ESP_ERR_NVS_NOT_INITIALIZED;
	if (h == 0 || h > N.nns)
		return ESP_ERR_NVS_INVALID_HANDLE;
	return name_ok(key);
}

esp_err_t nvs_get_blob(nvs_handle_t h, const char *key, void *out, size_t *length)
{
	esp_err_t err = check(h, key);
	if (err != ESP_OK)
		return err;
	if (!length)
		return ESP_ERR_INVALID_ARG;
	struct ent *e = find(h, key);
	if (!e)
		return ESP_ERR_NVS_NOT_FOUND;
	if (!out) {
		*length = e->len;
		return ESP_OK;
	}
	if (*length < e->len)
		return ESP_ERR_NVS_INVALID_LENGTH;
	memcpy(out, e->v, e->len);
	*length = e->len;
	return ESP_OK;
}

esp_err_t nvs_set_blob(nvs_handle_t h, const char *key, const void *value, size_t length)
{
	esp_err_t err = check(h, key);
	if (err != ESP_OK)
		return err;
	if (length > MAXV)
		return ESP_ERR_NVS_VALUE_TOO_LONG;
	struct ent *e = find(h, key);
	for (int i = 0; !e && i < MAXE; i++)
		if (!N.e[i].used) {
			e = &N.e[i];
			memcpy(e->ns, N.ns[h - 1], sizeof e->ns);
			snprintf(e->key, sizeof e->key, "%s", key);
			e->used = true;
		}
	if (!e)
		return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
	memcpy(e->v, value, length);
	e->len = length;
	e->dirty = true;
	return ESP_OK;
}

esp_err_t nvs_erase_key(nvs_handle_t h, const char *key)
{
	esp_err_t err = check(h, key);
	if (err != ESP_OK)
		return err;
	struct ent *e = find(h, key);
	if (!e)
		return ESP_ERR_NVS_NOT_FOUND;
	e->len = 0;
	e->dirty = true;
	e->used = false;
	return ESP_OK;
}

/* Writes reach the file only here: what was committed, nothing else. */
esp_err_t nvs_commit(nvs_handle_t h)
{
	if (!N.init)
		return ESP_ERR_NVS_NOT_INITIALIZED;
	if (h == 0 || h > N.nns)
		return ESP_ERR_NVS_INVALID_HANDLE;
	const char *path = getenv("TS_STANDIN_NVS");
	for (int i = 0; i < MAXE; i++)
		N.e[i].dirty = false;
	if (!path)
		return ESP_OK;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return ESP_FAIL;
	for (int i = 0; i < MAXE; i++) {
		const struct ent *e = &N.e[i];
		if (!e->used)
			continue;
		fprintf(f, "%s %s ", e->ns, e->key);
		for (size_t k = 0; k < e->len; k++)
			fprintf(f, "%02x", e->v[k]);
		fputs(e->len ? "\n" : "-\n", f);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return ESP_FAIL;
	return ESP_OK;
}
