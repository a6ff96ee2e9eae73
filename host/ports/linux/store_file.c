/* Persistent key-value state in a small text file: one "key=hex" per line,
 * rewritten whole through a temporary file and rename(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_port.h"
#include "twinslot/err.h"
#include "twinslot/text.h"

#define LINE_MAX_LEN 2200


long ts_store_get(void *ctx, const char *key, void *buf, size_t n)
{
	struct ts_linux *lx = ctx;
	if (!lx->cfg.store_path)
		return TS_ERR_NOENT;
	FILE *f = fopen(lx->cfg.store_path, "r");
	if (!f)
		return TS_ERR_NOENT;
	char line[LINE_MAX_LEN];
	size_t kl = strlen(key);
	long ret = TS_ERR_NOENT;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) != 0 || line[kl] != '=')
			continue;
		const char *h = line + kl + 1;
		size_t len = 0;
		while (ts_hex_digit(h[0]) >= 0 && ts_hex_digit(h[1]) >= 0) {
			if (len == n) {
				ret = TS_ERR_BUFSIZE;
				break;
			}
			((uint8_t *)buf)[len++] = (uint8_t)(ts_hex_digit(h[0]) << 4 | ts_hex_digit(h[1]));
			h += 2;
		}
		if (ret != TS_ERR_BUFSIZE)
			ret = (long)len;
	}
	fclose(f);
	return ret;
}

int ts_store_put(void *ctx, const char *key, const void *buf, size_t n)
{
	struct ts_linux *lx = ctx;
	if (!lx->cfg.store_path)
		return TS_OK;
	if (n > (LINE_MAX_LEN - 100) / 2 || strchr(key, '=') || strchr(key, '\n'))
		return TS_ERR_INVAL;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", lx->cfg.store_path);
	FILE *out = fopen(tmp, "w");
	if (!out)
		return TS_ERR_IO;
	FILE *in = fopen(lx->cfg.store_path, "r");
	char line[LINE_MAX_LEN];
	size_t kl = strlen(key);
	if (in) {
		while (fgets(line, sizeof(line), in))
			if (strncmp(line, key, kl) != 0 || line[kl] != '=')
				fputs(line, out);
		fclose(in);
	}
	fprintf(out, "%s=", key);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", ((const uint8_t *)buf)[i]);
	fputc('\n', out);
	int bad = fflush(out) != 0 || fsync(fileno(out)) != 0;
	bad |= fclose(out) != 0;
	if (bad || rename(tmp, lx->cfg.store_path) != 0) {
		unlink(tmp);
		return TS_ERR_IO;
	}
	return TS_OK;
}
