/*
 * One option parser for every twinslot subcommand, driven by a table that
 * also generates the command's --help text.
 *
 *   static const struct ts_optdef OPTS[] = {
 *       { "--image", NULL, "PATH", "an image from 'twinslot pack'" },
 *       { "--force", NULL, NULL, "allow a downgrade" },
 *   };
 *   static const struct ts_cmdspec SPEC = { "flash", USAGE, OPTS, 2, 0, TAIL };
 *   struct ts_args a;
 *   int rc = ts_args_parse(&SPEC, argc, argv, &a);  // TS_ARGS_HELP: exit 0
 *   const char *img = ts_arg(&a, "--image");
 *
 * Rules, the same for every command: "--name VALUE" or "--name=VALUE"; a
 * flag takes no value ("--flag=false" is allowed for the agent's sake and
 * read with ts_flag); an option given twice is a usage error unless its
 * value's name ends in "..."; anything not starting with '-' is positional,
 * up to the spec's max_pos. Every error is printed as
 * "twinslot CMD: ... (see twinslot CMD --help)".
 */
#ifndef TWINSLOT_OPTS_H
#define TWINSLOT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ts_optdef {
	const char *name;   /* "--image", "-o" */
	const char *alias;  /* another spelling ("-v" for "--verbose"), or NULL */
	const char *arg;    /* the value's name in --help ("PATH"); NULL: a flag */
	const char *help;   /* '\n' separates lines */
};
/* An option whose arg ends in "..." may be given more than once: every
 * value is kept, in order, in ts_args.rep. */

#define TS_ARGS_MAX_OPTS 48
#define TS_ARGS_MAX_POS 4

struct ts_cmdspec {
	const char *cmd;                 /* "flash" */
	const char *usage;               /* usage line(s) and description */
	const struct ts_optdef *opts;
	size_t nopts;
	int max_pos;                     /* positional arguments allowed */
	const char *tail;                /* after the options: exit codes, notes */
	/* A second table (the board commands' shared options), or NULL. */
	const struct ts_optdef *more;
	size_t nmore;
};

struct ts_args {
	const struct ts_cmdspec *spec;
	const char *val[TS_ARGS_MAX_OPTS]; /* by table position (opts, then more) */
	const char *pos[TS_ARGS_MAX_POS];
	int npos;
	const char **rep;                  /* values of the "..." options, in order */
	int *rep_opt;                      /* each value's option (table position) */
	size_t nrep;
};

enum { TS_ARGS_OK = 0, TS_ARGS_HELP = 1, TS_ARGS_USAGE = -1 };

/* Parse argv[1..argc) (argv[0] is the subcommand). Prints --help and
 * returns TS_ARGS_HELP, or prints the problem and returns TS_ARGS_USAGE. */
int ts_args_parse(const struct ts_cmdspec *spec, int argc, char **argv, struct ts_args *a);
void ts_args_free(struct ts_args *a);

/* The command's --help text, generated from its spec. */
void ts_args_help(const struct ts_cmdspec *spec, FILE *f);

/* The value of option `name` (as spelt in the table), NULL when absent. */
const char *ts_arg(const struct ts_args *a, const char *name);
/* The values of repeatable option `name` in order (up to max into out);
 * returns how many were given (more than max: the caller refuses). A value
 * set by ts_arg_default counts as one. */
size_t ts_arg_list(const struct ts_args *a, const char *name, const char **out, size_t max);
/* A flag: given (and not "=false/0/no/off"). */
bool ts_flag(const struct ts_args *a, const char *name);
/* Set `name`'s value when the command line left it unset (config files). */
void ts_arg_default(struct ts_args *a, const char *name, const char *value);
/* The table entry of `name` ("endpoint" or "--endpoint"), or NULL. */
const struct ts_optdef *ts_args_find(const struct ts_cmdspec *spec, const char *name,
				     size_t len, int *index);

bool ts_truthy(const char *v);  /* 1, true, yes, on */
bool ts_falsy(const char *v);   /* 0, false, no, off */

#endif
