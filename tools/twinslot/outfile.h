/*
 * All-or-nothing output files. A refusal must never leave an output file
 * behind, nor a half-written one, nor touch a file that was already there.
 *
 * ts_outfile_prepare() writes the bytes to a temporary file in the target's
 * directory (".NAME.XXXXXX"), flushed to disk; ts_outfile_commit() renames it
 * over the target (atomic on POSIX file systems); ts_outfile_discard() removes
 * a prepared file that will not be committed. A command writing several files
 * prepares all of them before committing any.
 */
#ifndef TWINSLOT_TOOLS_OUTFILE_H
#define TWINSLOT_TOOLS_OUTFILE_H

#include <stddef.h>

struct ts_outfile {
	char *path;  /* target, malloc'd copy */
	char *tmp;   /* temporary file while prepared, else NULL */
};

/* Before any work: can path be written as an output file (not a directory,
 * its directory takes new files)? TS_OK or a negative ts_err with the
 * reason in msg. Creates nothing. */
int ts_outfile_check(const char *path, char *msg, size_t msglen);

/* Returns TS_OK or a negative ts_err with the reason in msg. */
int ts_outfile_prepare(struct ts_outfile *o, const char *path, const void *data,
		       size_t len, char *msg, size_t msglen);
int ts_outfile_commit(struct ts_outfile *o, char *msg, size_t msglen);
/* Remove the temporary file if still there, free the paths. Safe to call on
 * a zeroed, prepared or committed ts_outfile. */
void ts_outfile_discard(struct ts_outfile *o);

#endif
