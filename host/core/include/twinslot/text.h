/*
 * Text for people and programs, shared by the core and the tools: JSON
 * string escaping and lower-case hex. Pure functions over caller buffers.
 */
#ifndef TWINSLOT_TEXT_H
#define TWINSLOT_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * s as the inside of a JSON string (without the quotes) into out[0..n),
 * always NUL-terminated; an escape that does not fit is dropped whole (the
 * text is cut, never left half-escaped). Returns the length written.
 */
size_t ts_json_escape(char *out, size_t n, const char *s);

/* The value of one hex digit (0-9, a-f, A-F), or -1. */
int ts_hex_digit(int c);

/* Lower-case hex of p[0..len) into out (2 * len + 1 bytes). */
void ts_hex(const uint8_t *p, size_t len, char *out);

#endif
