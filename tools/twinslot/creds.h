/*
 * AWS credentials for publish and agent, never from the command line (where
 * `ps` and shell history show them): from a credentials file (--credentials
 * FILE, or `credentials = FILE` in the agent's config) in the AWS shared
 * credentials format, or else from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). A file readable or writable by
 * group or others is refused. No message ever contains a value.
 */
#ifndef TWINSLOT_CREDS_H
#define TWINSLOT_CREDS_H

#include <stdbool.h>

#include "twinslot/sigv4.h"

#define TS_CREDS_VALUE_MAX 1400 /* session tokens run to about 1 KB */

struct ts_cli_creds {
	char access_key[130];
	char secret_key[130];
	char session_token[TS_CREDS_VALUE_MAX];
	const char *source;             /* "the environment", the file's path */
};

/*
 * Fill c from `file` (when not NULL) or the environment. Returns true (the
 * pair may be empty: anonymous) or prints "twinslot CMD: ..." and returns
 * false. creds points into c.
 */
bool ts_cli_load_creds(const char *cmd, const char *file, struct ts_cli_creds *c,
		       struct ts_sigv4_creds *creds);

/* Overwrite the values (before exit). */
void ts_cli_wipe_creds(struct ts_cli_creds *c);

#endif
