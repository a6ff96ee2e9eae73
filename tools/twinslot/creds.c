/* AWS credentials from a file or the environment (see creds.h). */
#include "creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static bool set(const char *cmd, const char *path, int ln, char *dst, size_t n, const char *v,
		const char *name)
{
	if (strlen(v) >= n) {
		/* the length only, never the value */
		ts_cli_err(cmd, "%s:%d: %s is longer than %zu characters: refused", path, ln, name,
			   n - 1);
		return false;
	}
	snprintf(dst, n, "%s", v);
	return true;
}

static bool from_file(const char *cmd, const char *path, struct ts_cli_creds *c)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		ts_cli_err(cmd, "credentials %s: %s", path, !f ? strerror(errno) : "not a regular file");
		if (f)
			fclose(f);
		return false;
	}
	if (st.st_mode & 077) {
		ts_cli_err(cmd, "credentials %s: readable or writable by group or others (mode "
			   "%03o): refused, the secret key may have leaked; chmod 600 it (and "
			   "consider rotating the key)", path, (unsigned)(st.st_mode & 0777));
		fclose(f);
		return false;
	}
	char line[TS_CREDS_VALUE_MAX + 64];
	int ln = 0;
	bool ok = true, in_default = true;
	while (ok && fgets(line, sizeof line, f)) {
		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			ts_cli_err(cmd, "credentials %s:%d: line too long: refused", path, ln);
			ok = false;
			break;
		}
		char *s = ts_trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') { /* only the default profile */
			in_default = strcmp(s, "[default]") == 0;
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			ts_cli_err(cmd, "credentials %s:%d: expected \"name = value\"", path, ln);
			ok = false;
			break;
		}
		*eq = '\0';
		char *k = ts_trim(s), *v = ts_trim(eq + 1);
		if (!in_default)
			continue;
		if (strcmp(k, "aws_access_key_id") == 0)
			ok = set(cmd, path, ln, c->access_key, sizeof c->access_key, v, k);
		else if (strcmp(k, "aws_secret_access_key") == 0)
			ok = set(cmd, path, ln, c->secret_key, sizeof c->secret_key, v, k);
		else if (strcmp(k, "aws_session_token") == 0)
			ok = set(cmd, path, ln, c->session_token, sizeof c->session_token, v, k);
		else if (strcmp(k, "region") != 0) {
			ts_cli_err(cmd, "credentials %s:%d: unknown setting \"%.40s\" (expected "
				   "aws_access_key_id, aws_secret_access_key, aws_session_token)",
				   path, ln, k);
			ok = false;
		}
	}
	memset(line, 0, sizeof line);
	fclose(f);
	if (ok && (!c->access_key[0] || !c->secret_key[0])) {
		ts_cli_err(cmd, "credentials %s: needs aws_access_key_id and aws_secret_access_key "
			   "under [default]", path);
		ok = false;
	}
	c->source = path;
	return ok;
}

bool ts_cli_load_creds(const char *cmd, const char *file, struct ts_cli_creds *c,
		       struct ts_sigv4_creds *creds)
{
	memset(c, 0, sizeof *c);
	memset(creds, 0, sizeof *creds);
	if (file) {
		if (!from_file(cmd, file, c)) {
			ts_cli_wipe_creds(c);
			return false;
		}
	} else {
		const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
		const char *st = getenv("AWS_SESSION_TOKEN");
		if ((ak && !set(cmd, "environment", 0, c->access_key, sizeof c->access_key, ak,
				"AWS_ACCESS_KEY_ID")) ||
		    (sk && !set(cmd, "environment", 0, c->secret_key, sizeof c->secret_key, sk,
				"AWS_SECRET_ACCESS_KEY")) ||
		    (st && !set(cmd, "environment", 0, c->session_token, sizeof c->session_token, st,
				"AWS_SESSION_TOKEN")))
			return false;
		c->source = "the environment";
	}
	creds->access_key = c->access_key;
	creds->secret_key = c->secret_key;
	creds->session_token = c->session_token[0] ? c->session_token : NULL;
	return true;
}

void ts_cli_wipe_creds(struct ts_cli_creds *c)
{
	volatile char *p = (volatile char *)c;
	for (size_t i = 0; i < sizeof *c; i++)
		p[i] = 0;
}
