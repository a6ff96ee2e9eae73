/*
 * A small JSON reader for the core: no allocation, no global state, no copy
 * of the text. ts_json_check() walks the caller's text once (recursive
 * descent, at most TS_JSON_DEPTH nested arrays/objects) and says where and
 * why it is not one JSON value (RFC 8259); after that, the other functions
 * read values straight out of the checked text.
 *
 * Caller's contract: call the readers only on values that came from a
 * successful ts_json_check() of text that is still there and unchanged.
 * Refused although RFC 8259 allows them: "\u0000" (so that a decoded string
 * is a C string) and lone UTF-16 surrogates in \u escapes (they have no
 * UTF-8 form). Bytes >= 0x80 are passed through as they are.
 */
#ifndef TWINSLOT_JSON_H
#define TWINSLOT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_JSON_DEPTH 16

enum ts_json_type {
	TS_JSON_OBJECT,
	TS_JSON_ARRAY,
	TS_JSON_STRING,
	TS_JSON_NUMBER,
	TS_JSON_LITERAL, /* true, false, null */
};

/* One value: its bytes in the text (a string's with its quotes). */
struct ts_json_value {
	enum ts_json_type type;
	const char *text;
	size_t len;
};

/*
 * Is text[0..len) one JSON value, with only white space after it (a NUL
 * after the value ends the text)? Returns TS_OK with *root, or
 * TS_ERR_FORMAT with *at (the byte offset of the problem) and *what (a
 * constant phrase, e.g. "unexpected end of input"). A value followed by
 * something else gives *what = TS_JSON_TRAILING.
 */
int ts_json_check(const char *text, size_t len, struct ts_json_value *root, size_t *at,
		  const char **what);

extern const char TS_JSON_TRAILING[];

/* Walking an object's members in order. */
struct ts_json_members {
	const char *p, *end;
};

void ts_json_members_begin(const struct ts_json_value *obj, struct ts_json_members *it);

/* The next member's name (a string value) and value; false after the last. */
bool ts_json_members_next(struct ts_json_members *it, struct ts_json_value *name,
			  struct ts_json_value *value);

/* The first member of obj whose decoded name is `name`; false if none. */
bool ts_json_get(const struct ts_json_value *obj, const char *name, struct ts_json_value *value);

/*
 * A string value decoded (escapes resolved, \uXXXX as UTF-8) into out[0..n),
 * NUL-terminated and cut short if it does not fit, as snprintf does.
 * Returns the full decoded length (>= n: it was cut).
 */
size_t ts_json_string(const struct ts_json_value *s, char *out, size_t n);

/* Does the string value decode to exactly `str`? */
bool ts_json_string_is(const struct ts_json_value *s, const char *str);

/*
 * A whole number written with digits only (no sign, fraction or exponent:
 * "-0", "1.0" and "1e3" are not). True with *out, which saturates at
 * UINT64_MAX for longer numbers; false for anything else.
 */
bool ts_json_whole(const struct ts_json_value *v, uint64_t *out);

#endif
