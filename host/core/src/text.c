/* JSON escaping and hex (see text.h), memory readers (membuf.h). */
#include "twinslot/text.h"

#include <string.h>

#include "twinslot/err.h"
#include "twinslot/membuf.h"

static const char HEX[] = "0123456789abcdef";

size_t ts_json_escape(char *out, size_t n, const char *s)
{
	size_t k = 0;
	if (n == 0)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[7];
		size_t el = 0;
		if (c == '"' || c == '\\') {
			e[el++] = '\\';
			e[el++] = (char)c;
		} else if (c == '\n' || c == '\t') {
			e[el++] = '\\';
			e[el++] = c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c == 0x7F) {
			e[0] = '\\', e[1] = 'u', e[2] = '0', e[3] = '0';
			e[4] = HEX[c >> 4], e[5] = HEX[c & 15];
			el = 6;
		} else {
			e[el++] = (char)c;
		}
		if (k + el >= n)
			break;
		for (size_t i = 0; i < el; i++)
			out[k++] = e[i];
	}
	out[k] = '\0';
	return k;
}

int ts_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ts_hex(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = HEX[p[i] >> 4];
		out[2 * i + 1] = HEX[p[i] & 15];
	}
	out[2 * len] = '\0';
}

long ts_membuf_read(void *arg, uint8_t *buf, size_t n)
{
	struct ts_membuf *m = arg;
	size_t k = m->len - m->pos < n ? m->len - m->pos : n;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

int ts_membuf_rewind(void *arg)
{
	((struct ts_membuf *)arg)->pos = 0;
	return TS_OK;
}
