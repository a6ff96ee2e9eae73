/* Strict MAJOR.MINOR.PATCH parsing and formatting. */
#include "twinslot/version.h"
#include "twinslot/err.h"

/* Parse one decimal part ending at `end` char; no leading zeros. */
static const char *parse_part(const char *s, char end, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;
	const char *start = s;
	while (*s >= '0' && *s <= '9') {
		v = v * 10u + (uint32_t)(*s - '0');
		if (v > max)
			return 0;
		s++;
	}
	if (s == start || *s != end)
		return 0;
	if (*start == '0' && s - start > 1)
		return 0;
	*out = v;
	return s;
}

int ts_version_parse(const char *s, uint32_t *out)
{
	uint32_t ma, mi, pa;
	if (!s || !out)
		return TS_ERR_SEMVER;
	if (!(s = parse_part(s, '.', 255u, &ma)))
		return TS_ERR_SEMVER;
	if (!(s = parse_part(s + 1, '.', 255u, &mi)))
		return TS_ERR_SEMVER;
	if (!parse_part(s + 1, '\0', 65535u, &pa))
		return TS_ERR_SEMVER;
	*out = TS_VERSION(ma, mi, pa);
	return TS_OK;
}

static char *put_uint(char *p, unsigned v)
{
	char tmp[5];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void ts_version_format(uint32_t v, char buf[TS_VERSION_STR_MAX])
{
	char *p = put_uint(buf, TS_VERSION_MAJOR(v));
	*p++ = '.';
	p = put_uint(p, TS_VERSION_MINOR(v));
	*p++ = '.';
	p = put_uint(p, TS_VERSION_PATCH(v));
	*p = '\0';
}
