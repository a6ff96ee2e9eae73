/* All-or-nothing output files: temp file in the same directory, then rename.
 * See outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "twinslot/err.h"

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* "dir/name" -> "dir/.name.XXXXXX"; "name" -> ".name.XXXXXX". */
static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	const char *base = path + dirlen;
	size_t n = dirlen + 1 + strlen(base) + 8 + 1;
	char *t = malloc(n);
	if (t)
		snprintf(t, n, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
	return t;
}

int ts_outfile_check(const char *path, char *msg, size_t msglen)
{
	struct stat st;
	char *tmp = temp_name(path);
	if (!tmp) {
		snprintf(msg, msglen, "out of memory");
		return TS_ERR_IO;
	}
	char *slash = strrchr(tmp, '/');
	const char *dir = ".";
	if (slash) {
		slash[1] = '\0';
		dir = tmp;
	}
	int err = TS_OK;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(msg, msglen, "is a directory");
		err = TS_ERR_INVAL;
	} else if (access(dir, W_OK | X_OK) != 0) {
		snprintf(msg, msglen, "cannot create a file in %s: %s", dir, strerror(errno));
		err = TS_ERR_IO;
	}
	free(tmp);
	return err;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ts_outfile_prepare(struct ts_outfile *o, const char *path, const void *data,
		       size_t len, char *msg, size_t msglen)
{
	o->path = dup_str(path);
	o->tmp = temp_name(path);
	if (!o->path || !o->tmp) {
		snprintf(msg, msglen, "out of memory");
		ts_outfile_discard(o);
		return TS_ERR_IO;
	}
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		snprintf(msg, msglen, "cannot create a file beside it: %s", strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		ts_outfile_discard(o);
		return TS_ERR_IO;
	}
	/* mkstemp creates 0600; give the file the usual 0666 & ~umask. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		snprintf(msg, msglen, "cannot write: %s", strerror(errno));
		close(fd);
		ts_outfile_discard(o);
		return TS_ERR_IO;
	}
	if (close(fd) != 0) {
		snprintf(msg, msglen, "cannot write: %s", strerror(errno));
		ts_outfile_discard(o);
		return TS_ERR_IO;
	}
	return TS_OK;
}

int ts_outfile_commit(struct ts_outfile *o, char *msg, size_t msglen)
{
	if (!o->tmp) {
		snprintf(msg, msglen, "nothing prepared");
		return TS_ERR_STATE;
	}
	if (rename(o->tmp, o->path) != 0) {
		snprintf(msg, msglen, "cannot rename the finished file into place: %s",
			 strerror(errno));
		return TS_ERR_IO;
	}
	free(o->tmp);
	o->tmp = NULL;
	return TS_OK;
}

void ts_outfile_discard(struct ts_outfile *o)
{
	if (o->tmp) {
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	free(o->path);
	o->path = NULL;
}
