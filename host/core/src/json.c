/* The core's JSON reader (see json.h): a checker, then readers over the
 * checked text. RFC 8259's grammar, with the refusals json.h lists. */
#include "json.h"

#include "twinslot/assert.h"
#include "twinslot/err.h"
#include "twinslot/text.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char TS_JSON_TRAILING[] = "text after the value";

/* ---- the checker ---------------------------------------------------- */

struct rd {
	const char *s;
	size_t len, pos;
	const char *what;
};

static int bad(struct rd *r, const char *what)
{
	r->what = what;
	return TS_ERR_FORMAT;
}

/* Something else was expected at r->pos, or the text ended there. */
static int expected(struct rd *r, const char *what)
{
	return bad(r, r->pos < r->len ? what : "unexpected end of input");
}

static int peek(const struct rd *r)
{
	return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1;
}

static void skip_ws(struct rd *r)
{
	while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
				   r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
		r->pos++;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* The four hex digits after "\u" at p[0..1]; -1 if they are not there. */
static long hex4(const char *p, size_t avail)
{
	if (avail < 6)
		return -1;
	long v = 0;
	for (int i = 2; i < 6; i++) {
		int d = ts_hex_digit((unsigned char)p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static bool is_high(long cp)
{
	return cp >= 0xD800 && cp <= 0xDBFF;
}

static bool is_low(long cp)
{
	return cp >= 0xDC00 && cp <= 0xDFFF;
}

/* A \u escape at r->pos: its length (6 or 12 with a surrogate pair). */
static int check_u(struct rd *r, size_t *n)
{
	size_t avail = r->len - r->pos;
	long cp = hex4(r->s + r->pos, avail);
	if (cp < 0)
		return bad(r, "\\u needs four hex digits");
	if (cp == 0)
		return bad(r, "\\u0000 (NUL) inside a string is refused");
	if (is_low(cp))
		return bad(r, "lone UTF-16 surrogate in a \\u escape");
	*n = 6;
	if (!is_high(cp))
		return TS_OK;
	if (avail < 12 || r->s[r->pos + 6] != '\\' || r->s[r->pos + 7] != 'u' ||
	    !is_low(hex4(r->s + r->pos + 6, avail - 6)))
		return bad(r, "lone UTF-16 surrogate in a \\u escape");
	*n = 12;
	return TS_OK;
}

static int check_string(struct rd *r)
{
	r->pos++; /* the opening quote */
	for (;;) {
		int c = peek(r);
		if (c < 0)
			return bad(r, "unterminated string");
		if (c == '"') {
			r->pos++;
			return TS_OK;
		}
		if (c == 0)
			return bad(r, "NUL byte inside a string");
		if (c < 0x20)
			return bad(r, "control character inside a string (escape it)");
		if (c != '\\') {
			r->pos++;
			continue;
		}
		if (r->pos + 1 >= r->len)
			return bad(r, "unterminated string");
		size_t n = 2;
		switch (r->s[r->pos + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			break;
		case 'u': {
			int rc = check_u(r, &n);
			if (rc)
				return rc;
			break;
		}
		default:
			return bad(r, "unknown escape (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
				      "\\uXXXX)");
		}
		r->pos += n;
	}
}

static void skip_digits(struct rd *r)
{
	while (is_digit(peek(r)))
		r->pos++;
}

static int check_number(struct rd *r)
{
	if (peek(r) == '-')
		r->pos++;
	if (peek(r) == '0') {
		r->pos++;
		if (is_digit(peek(r)))
			return bad(r, "leading zero in a number");
	} else if (is_digit(peek(r))) {
		skip_digits(r);
	} else {
		return bad(r, "malformed number");
	}
	if (peek(r) == '.') {
		r->pos++;
		if (!is_digit(peek(r)))
			return bad(r, "malformed number: digits must follow '.'");
		skip_digits(r);
	}
	if (peek(r) == 'e' || peek(r) == 'E') {
		r->pos++;
		if (peek(r) == '+' || peek(r) == '-')
			r->pos++;
		if (!is_digit(peek(r)))
			return bad(r, "malformed number: digits must follow the exponent");
		skip_digits(r);
	}
	return TS_OK;
}

static int check_literal(struct rd *r)
{
	static const char *const L[] = { "true", "false", "null" };
	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;
		while (L[i][n] && r->pos + n < r->len && r->s[r->pos + n] == L[i][n])
			n++;
		if (!L[i][n]) {
			r->pos += n;
			return TS_OK;
		}
	}
	return bad(r, "expected a value");
}

static int check_value(struct rd *r, unsigned depth, struct ts_json_value *v);

/* An object or an array at r->pos, its members at depth + 1. */
static int check_container(struct rd *r, unsigned depth, bool object)
{
	char close = object ? '}' : ']';
	if (depth >= TS_JSON_DEPTH)
		return bad(r, "nested deeper than " STR(TS_JSON_DEPTH) " arrays and objects");
	r->pos++;
	skip_ws(r);
	if (peek(r) == close) {
		r->pos++;
		return TS_OK;
	}
	for (;;) {
		struct ts_json_value v;
		int rc;
		skip_ws(r);
		if (object) {
			if (peek(r) != '"')
				return expected(r, "expected a field name in quotes");
			if ((rc = check_string(r)) != TS_OK)
				return rc;
			skip_ws(r);
			if (peek(r) != ':')
				return expected(r, "expected ':' after a field name");
			r->pos++;
		}
		if ((rc = check_value(r, depth + 1, &v)) != TS_OK)
			return rc;
		skip_ws(r);
		int c = peek(r);
		r->pos++;
		if (c == close)
			return TS_OK;
		if (c != ',') {
			r->pos--;
			return expected(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
}

static int check_value(struct rd *r, unsigned depth, struct ts_json_value *v)
{
	skip_ws(r);
	size_t start = r->pos;
	int c = peek(r), rc;
	if (c == '{' || c == '[') {
		v->type = c == '{' ? TS_JSON_OBJECT : TS_JSON_ARRAY;
		rc = check_container(r, depth, c == '{');
	} else if (c == '"') {
		v->type = TS_JSON_STRING;
		rc = check_string(r);
	} else if (c == '-' || is_digit(c)) {
		v->type = TS_JSON_NUMBER;
		rc = check_number(r);
	} else if (c == 't' || c == 'f' || c == 'n') {
		v->type = TS_JSON_LITERAL;
		rc = check_literal(r);
	} else {
		rc = expected(r, "expected a value");
	}
	v->text = r->s + start;
	v->len = r->pos - start;
	return rc;
}

int ts_json_check(const char *text, size_t len, struct ts_json_value *root, size_t *at,
		  const char **what)
{
	struct rd r = { text, len, 0, NULL };
	int rc = check_value(&r, 0, root);
	if (rc == TS_OK) {
		skip_ws(&r);
		if (r.pos < len && text[r.pos] != '\0') {
			r.what = TS_JSON_TRAILING;
			rc = TS_ERR_FORMAT;
		}
	}
	if (rc) {
		TS_ASSERT(r.pos <= len);
		*at = r.pos;
		*what = r.what;
	}
	return rc;
}

/* ---- readers over checked text ----------------------------------------- */

static const char *ws_from(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the checked string starting at p (its opening quote). */
static const char *past_string(const char *p)
{
	for (p++; *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p + 1;
}

/* Past the checked value starting at p. */
static const char *past_value(const char *p, const char *end)
{
	if (*p == '"')
		return past_string(p);
	if (*p == '{' || *p == '[') {
		unsigned depth = 0;
		do {
			TS_ASSERT(p < end);
			if (*p == '"') {
				p = past_string(p);
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']')
				depth--;
			p++;
		} while (depth > 0);
		return p;
	}
	while (p < end && (is_digit(*p) || (*p >= 'a' && *p <= 'z') || *p == 'E' ||
			   *p == '.' || *p == '+' || *p == '-'))
		p++;
	return p;
}

static enum ts_json_type type_at(char c)
{
	switch (c) {
	case '{': return TS_JSON_OBJECT;
	case '[': return TS_JSON_ARRAY;
	case '"': return TS_JSON_STRING;
	case 't': case 'f': case 'n': return TS_JSON_LITERAL;
	default: return TS_JSON_NUMBER;
	}
}

void ts_json_members_begin(const struct ts_json_value *obj, struct ts_json_members *it)
{
	TS_ASSERT(obj->type == TS_JSON_OBJECT && obj->len >= 2);
	it->p = obj->text + 1;
	it->end = obj->text + obj->len - 1; /* the closing brace */
}

bool ts_json_members_next(struct ts_json_members *it, struct ts_json_value *name,
			  struct ts_json_value *value)
{
	const char *p = ws_from(it->p, it->end);
	if (p < it->end && *p == ',')
		p = ws_from(p + 1, it->end);
	if (p >= it->end)
		return false;
	name->type = TS_JSON_STRING;
	name->text = p;
	p = past_string(p);
	name->len = (size_t)(p - name->text);
	p = ws_from(p, it->end);
	TS_ASSERT(*p == ':');
	p = ws_from(p + 1, it->end);
	value->type = type_at(*p);
	value->text = p;
	p = past_value(p, it->end);
	value->len = (size_t)(p - value->text);
	TS_ASSERT(p <= it->end);
	it->p = p;
	return true;
}

/* Where decoded bytes go: a bounded buffer, a comparison, or both. */
struct sink {
	char *out;
	size_t n, k;
	const char *cmp;
	bool differ;
};

static void emit(struct sink *s, unsigned char c)
{
	if (s->out && s->k + 1 < s->n) {
		TS_ASSERT(s->k < s->n - 1); /* room left for the NUL */
		s->out[s->k] = (char)c;
	}
	if (s->cmp && !s->differ && (unsigned char)s->cmp[s->k] != c)
		s->differ = true; /* also at cmp's NUL: cmp[k] is read only while equal */
	s->k++;
}

static void decode(const struct ts_json_value *v, struct sink *s)
{
	TS_ASSERT(v->type == TS_JSON_STRING && v->len >= 2);
	const char *p = v->text + 1, *end = v->text + v->len - 1;
	while (p < end) {
		if (*p != '\\') {
			emit(s, (unsigned char)*p++);
			continue;
		}
		char e = p[1];
		static const char ESC[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
		if (e != 'u') {
			for (size_t i = 0; ESC[i]; i += 2)
				if (ESC[i] == e)
					emit(s, (unsigned char)ESC[i + 1]);
			p += 2;
			continue;
		}
		unsigned long cp = (unsigned long)hex4(p, (size_t)(end - p));
		p += 6;
		if (is_high((long)cp)) {
			cp = 0x10000u + ((cp - 0xD800u) << 10) +
			     ((unsigned long)hex4(p, (size_t)(end - p)) - 0xDC00u);
			p += 6;
		}
		if (cp < 0x80) {
			emit(s, (unsigned char)cp);
		} else if (cp < 0x800) {
			emit(s, (unsigned char)(0xC0 | cp >> 6));
			emit(s, (unsigned char)(0x80 | (cp & 0x3F)));
		} else if (cp < 0x10000) {
			emit(s, (unsigned char)(0xE0 | cp >> 12));
			emit(s, (unsigned char)(0x80 | (cp >> 6 & 0x3F)));
			emit(s, (unsigned char)(0x80 | (cp & 0x3F)));
		} else {
			emit(s, (unsigned char)(0xF0 | cp >> 18));
			emit(s, (unsigned char)(0x80 | (cp >> 12 & 0x3F)));
			emit(s, (unsigned char)(0x80 | (cp >> 6 & 0x3F)));
			emit(s, (unsigned char)(0x80 | (cp & 0x3F)));
		}
	}
	if (s->out && s->n)
		s->out[s->k < s->n ? s->k : s->n - 1] = '\0';
}

size_t ts_json_string(const struct ts_json_value *v, char *out, size_t n)
{
	TS_ASSERT(out != NULL && n > 0);
	struct sink s = { out, n, 0, NULL, false };
	decode(v, &s);
	return s.k;
}

bool ts_json_string_is(const struct ts_json_value *v, const char *str)
{
	struct sink s = { NULL, 0, 0, str, false };
	decode(v, &s);
	return !s.differ && str[s.k] == '\0';
}

bool ts_json_get(const struct ts_json_value *obj, const char *name, struct ts_json_value *value)
{
	struct ts_json_members it;
	struct ts_json_value n;
	ts_json_members_begin(obj, &it);
	while (ts_json_members_next(&it, &n, value))
		if (ts_json_string_is(&n, name))
			return true;
	return false;
}

bool ts_json_whole(const struct ts_json_value *v, uint64_t *out)
{
	if (v->type != TS_JSON_NUMBER || v->len == 0)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < v->len; i++) {
		if (!is_digit(v->text[i]))
			return false;
		unsigned d = (unsigned)(v->text[i] - '0');
		x = x > (UINT64_MAX - d) / 10u ? UINT64_MAX : x * 10u + d;
	}
	*out = x;
	return true;
}
