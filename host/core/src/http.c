/* HTTP response header lines and dates (see http.h). */
#include "twinslot/http.h"

#include <string.h>

#include "twinslot/err.h"

static int status_of(const char *line)
{
	/* "HTTP/1.1 206 Partial Content": exactly three digits after the
	 * version, then the end or a blank. */
	const char *sp = strchr(line, ' ');
	if (!sp)
		return 0;
	const char *d = sp + 1;
	for (int i = 0; i < 3; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	if (d[3] != '\0' && d[3] != ' ')
		return 0;
	return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
}

int ts_http_header_line(const char *buf, size_t len, const struct ts_http_response *resp)
{
	char line[TS_HTTP_LINE_MAX];
	size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
	memcpy(line, buf, l);
	line[l] = '\0';
	/* A NUL inside the line ends it, as for every C string reader after. */
	l = strlen(line);
	while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0)
		return resp->on_status ? resp->on_status(resp->arg, status_of(line)) : TS_OK;
	char *colon = l > 0 ? strchr(line, ':') : NULL;
	if (!colon || colon == line || !resp->on_header)
		return TS_OK;
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		v[--vl] = '\0';
	return resp->on_header(resp->arg, line, v);
}

/* ---- dates ----------------------------------------------------------- */

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ts_http_date_parse(const char *s, uint64_t *unix_s)
{
	static const char *const DAY[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const MON[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const int MDAYS[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	while (*s == ' ' || *s == '\t')
		s++;
	/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters. */
	for (int i = 0; i < 29; i++)
		if (!s[i])
			return TS_ERR_INVAL;
	int wd = -1, mon = -1, day, year, hh, mm, ss;
	for (int i = 0; i < 7; i++)
		if (memcmp(s, DAY[i], 3) == 0)
			wd = i;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, MON[i], 3) == 0)
			mon = i;
	if (wd < 0 || mon < 0 || memcmp(s + 3, ", ", 2) != 0 || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0 ||
	    !digits(s + 5, 2, &day) || !digits(s + 12, 4, &year) || !digits(s + 17, 2, &hh) ||
	    !digits(s + 20, 2, &mm) || !digits(s + 23, 2, &ss))
		return TS_ERR_INVAL;
	for (const char *t = s + 29; *t; t++)
		if (*t != ' ' && *t != '\t')
			return TS_ERR_INVAL;
	int mdays = MDAYS[mon] + (mon == 1 && leap(year));
	/* 60 seconds: a leap second, counted as the next minute's 0. */
	if (year < 1970 || day < 1 || day > mdays || hh > 23 || mm > 59 || ss > 60)
		return TS_ERR_INVAL;
	int64_t days = days_from_civil(year, mon + 1, day);
	/* The weekday must agree with the date (1970-01-01 was a Thursday). */
	if ((int)((days + 3) % 7) != wd)
		return TS_ERR_INVAL;
	*unix_s = (uint64_t)days * 86400u + (uint64_t)hh * 3600u + (uint64_t)mm * 60u +
		  (uint64_t)ss;
	return TS_OK;
}
