/* The table-driven option parser (see opts.h). */
#include "opts.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static size_t total(const struct ts_cmdspec *s)
{
	return s->nopts + s->nmore;
}

static const struct ts_optdef *def_at(const struct ts_cmdspec *s, size_t i)
{
	return i < s->nopts ? &s->opts[i] : &s->more[i - s->nopts];
}

static bool spelt(const char *want, const char *name, size_t len)
{
	if (!want)
		return false;
	/* "endpoint" (a config file's spelling) matches "--endpoint". */
	const char *w = want;
	if (name[0] != '-' && w[0] == '-' && w[1] == '-')
		w += 2;
	return strlen(w) == len && strncmp(w, name, len) == 0;
}

const struct ts_optdef *ts_args_find(const struct ts_cmdspec *spec, const char *name,
				     size_t len, int *index)
{
	for (size_t i = 0; i < total(spec); i++) {
		const struct ts_optdef *d = def_at(spec, i);
		if (spelt(d->name, name, len) || spelt(d->alias, name, len)) {
			if (index)
				*index = (int)i;
			return d;
		}
	}
	return NULL;
}

static int lookup(const struct ts_args *a, const char *name)
{
	int i;
	if (!ts_args_find(a->spec, name, strlen(name), &i)) {
		fprintf(stderr, "twinslot: internal error: option %s is not in %s's table\n", name,
			a->spec->cmd);
		abort();
	}
	return i;
}

static int usage(const struct ts_cmdspec *s, const char *fmt, const char *x)
{
	char m[300];
	snprintf(m, sizeof m, fmt, x);
	ts_cli_err(s->cmd, "%s (see twinslot %s --help)", m, s->cmd);
	return TS_ARGS_USAGE;
}

static int take(struct ts_args *a, int i, const struct ts_optdef *d, const char *v)
{
	size_t al = d->arg ? strlen(d->arg) : 0;
	if (al > 3 && strcmp(d->arg + al - 3, "...") == 0) {
		if ((a->nrep & (a->nrep + 1)) == 0) { /* 0, 1, 3, 7, ...: grow */
			const char **r = realloc(a->rep, (2 * a->nrep + 2) * sizeof *r);
			if (!r)
				return usage(a->spec, "out of memory at %s", d->name);
			a->rep = r;
			int *ri = realloc(a->rep_opt, (2 * a->nrep + 2) * sizeof *ri);
			if (!ri)
				return usage(a->spec, "out of memory at %s", d->name);
			a->rep_opt = ri;
		}
		a->rep_opt[a->nrep] = i;
		a->rep[a->nrep++] = v;
	} else if (a->val[i]) {
		return usage(a->spec, "option %s given twice", d->name);
	}
	a->val[i] = v;
	return TS_ARGS_OK;
}

int ts_args_parse(const struct ts_cmdspec *spec, int argc, char **argv, struct ts_args *a)
{
	memset(a, 0, sizeof *a);
	a->spec = spec;
	if (total(spec) > TS_ARGS_MAX_OPTS)
		abort();
	for (int k = 1; k < argc; k++)
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			ts_args_help(spec, stdout);
			return TS_ARGS_HELP;
		}
	for (int k = 1; k < argc; k++) {
		const char *s = argv[k];
		if (s[0] != '-' || s[1] == '\0') {
			if (a->npos >= spec->max_pos || a->npos >= TS_ARGS_MAX_POS)
				return usage(spec, "unexpected argument \"%s\"", s);
			a->pos[a->npos++] = s;
			continue;
		}
		const char *eq = s[1] == '-' ? strchr(s, '=') : NULL;
		int i;
		const struct ts_optdef *d = ts_args_find(spec, s, eq ? (size_t)(eq - s) : strlen(s), &i);
		if (!d)
			return usage(spec, "unknown option \"%s\"", s);
		const char *v = eq ? eq + 1 : d->arg ? NULL : "true";
		if (!v) {
			if (k + 1 >= argc)
				return usage(spec, "option %s needs a value", d->name);
			v = argv[++k];
		}
		if (!d->arg && !ts_truthy(v) && !ts_falsy(v))
			return usage(spec, "%s is a flag: it takes no value", d->name);
		if (take(a, i, d, v) != TS_ARGS_OK)
			return TS_ARGS_USAGE;
	}
	return TS_ARGS_OK;
}

void ts_args_free(struct ts_args *a)
{
	free(a->rep);
	free(a->rep_opt);
	a->rep_opt = NULL;
	a->rep = NULL;
	a->nrep = 0;
}

static void help_entry(const struct ts_optdef *d, FILE *f)
{
	char head[64];
	snprintf(head, sizeof head, "  %s%s%s%s%s", d->name, d->alias ? ", " : "",
		 d->alias ? d->alias : "", d->arg ? " " : "", d->arg ? d->arg : "");
	fputs(head, f);
	const char *h = d->help;
	int col = (int)strlen(head);
	if (col > 22) {
		fputc('\n', f);
		col = 0;
	}
	fprintf(f, "%*s", 23 - col, "");
	for (; *h; h++) {
		fputc(*h, f);
		if (*h == '\n')
			fprintf(f, "%23s", "");
	}
	fputc('\n', f);
}

void ts_args_help(const struct ts_cmdspec *spec, FILE *f)
{
	fputs(spec->usage, f);
	if (total(spec))
		fputs("\nOptions:\n", f);
	for (size_t i = 0; i < total(spec); i++)
		help_entry(def_at(spec, i), f);
	fputs("  -h, --help           this text\n", f);
	if (spec->tail) {
		fputc('\n', f);
		fputs(spec->tail, f);
	}
}

const char *ts_arg(const struct ts_args *a, const char *name)
{
	return a->val[lookup(a, name)];
}

bool ts_flag(const struct ts_args *a, const char *name)
{
	return ts_truthy(a->val[lookup(a, name)]);
}

void ts_arg_default(struct ts_args *a, const char *name, const char *value)
{
	int i = lookup(a, name);
	if (!a->val[i])
		a->val[i] = value;
}

static bool one_of(const char *v, const char *const *words)
{
	for (; v && *words; words++)
		if (strcmp(v, *words) == 0)
			return true;
	return false;
}

bool ts_truthy(const char *v)
{
	static const char *const W[] = { "1", "true", "yes", "on", NULL };
	return one_of(v, W);
}

bool ts_falsy(const char *v)
{
	static const char *const W[] = { "0", "false", "no", "off", NULL };
	return one_of(v, W);
}

size_t ts_arg_list(const struct ts_args *a, const char *name, const char **out, size_t max)
{
	int idx;
	if (!ts_args_find(a->spec, name, strlen(name), &idx))
		return 0;
	size_t k = 0;
	for (size_t j = 0; j < a->nrep; j++)
		if (a->rep_opt[j] == idx) {
			if (k < max)
				out[k] = a->rep[j];
			k++;
		}
	if (k == 0 && a->val[idx]) { /* set from a config file */
		if (max)
			out[0] = a->val[idx];
		k = 1;
	}
	return k;
}
