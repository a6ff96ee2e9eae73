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

#include "twinslot/bytes.h"
#include "twinslot/image.h"
#include "twinslot/text.h"

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
int ts_cmd_keygen(int argc, char **argv);
int ts_cmd_verify(int argc, char **argv);

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

/*
 * Read a slot image file and check it whole, as the bootloader will: header,
 * linked for `slot` (-1: either), exact length, vector table, SHA-256. On
 * success *data (malloc'd) and *len hold it, and *h (if given) its header;
 * otherwise the reason is printed, nothing is kept, and TS_EXIT_REFUSED
 * returned.
 */
int ts_load_image(const char *cmd, const char *path, int slot, uint8_t **data, size_t *len,
		  struct ts_image_header *h);

/* s without leading blanks and trailing blanks and line ends (in place). */
char *ts_trim(char *s);

/* Parse an unsigned 32-bit number, decimal or 0x-prefixed hex, nothing else
 * in the string. Returns true on success. */
bool ts_parse_u32(const char *s, uint32_t *out);

/* Why a header did not parse, for people (e.g. for TS_ERR_CRC: "header CRC
 * mismatch: the header is corrupted"). */
const char *ts_header_problem(int err);

/* Explain why ts_image_check_vectors() refused (sp, reset) for h. */
void ts_explain_vectors(const struct ts_image_header *h, uint32_t sp,
			uint32_t reset, char *buf, size_t n);

#endif
