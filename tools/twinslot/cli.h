/*
 * Shared pieces of the twinslot CLI: exit codes, the subcommands' entry
 * points, error printing, whole-file reading and number parsing.
 *
 * Every subcommand takes its own argv (argv[0] is the subcommand's name),
 * prints its result on stdout and every problem on stderr as
 * "twinslot CMD: [FILE: ]what went wrong", and returns one of the exit codes
 * below. Host-only code: it may allocate.
 */
#ifndef TWINSLOT_CLI_H
#define TWINSLOT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twinslot/image.h"

enum ts_exit {
	TS_EXIT_OK = 0,      /* done */
	TS_EXIT_REFUSED = 1, /* an input was refused (invalid, unreadable, ...) */
	TS_EXIT_USAGE = 2,   /* the command line itself is wrong */
};

int ts_cmd_pack(int argc, char **argv);
int ts_cmd_inspect(int argc, char **argv);
int ts_cmd_compose(int argc, char **argv);
int ts_cmd_publish(int argc, char **argv);
int ts_cmd_agent(int argc, char **argv);

/* Print "twinslot CMD: message\n" on stderr. */
void ts_cli_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Largest input file any subcommand reads (the ELF of a 1 MB flash with
 * debug information stays far below). */
#define TS_CLI_MAX_INPUT (64u * 1024u * 1024u)

/*
 * Read a whole file into a malloc'd buffer (*data, *len; free() it).
 * On failure returns a negative ts_err and writes the reason (without the
 * file name, e.g. "cannot open: No such file or directory") into msg.
 */
int ts_read_file(const char *path, uint8_t **data, size_t *len, char *msg,
		 size_t msglen);

/* Parse an unsigned 32-bit number, decimal or 0x-prefixed hex, nothing else
 * in the string. Returns true on success. */
bool ts_parse_u32(const char *s, uint32_t *out);

/*
 * Option parsing helper. If argv[*i] is the option `name` ("--out-dir") or
 * "name=value", sets *value and advances *i past the value and returns 1;
 * returns 0 when argv[*i] is another option; returns -1 (after printing a
 * usage error) when the value is missing or the option was already given
 * (*value already set).
 */
int ts_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
	   const char **value);

/* Why a header did not parse, for people (e.g. for TS_ERR_CRC: "header CRC
 * mismatch: the header is corrupted"). */
const char *ts_header_problem(int err);

/* Explain why ts_image_check_vectors() refused (sp, reset) for h. */
void ts_explain_vectors(const struct ts_image_header *h, uint32_t sp,
			uint32_t reset, char *buf, size_t n);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void ts_hex(const uint8_t *p, size_t n, char *out);

/* Little-endian 32-bit read. */
uint32_t ts_le32(const uint8_t *p);

#endif
