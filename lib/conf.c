/*
 * conf: the squid.conf grammar engine.  Squid's rules, kept because configs
 * depend on them: a line ends at the first CR or LF (fgets), a trailing
 * backslash joins the next line without its leading blanks, a word starting
 * with '#' ends the line, macros are substituted before words are split,
 * "include" globs, and if/else/endif chooses lines.  Each directive goes
 * to its table row; the engine, not the handlers, reports unknown names,
 * arity and file:line, and keeps going so that one run lists every error.
 */
#include "config.h"
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "units.h"

#define CONF_MAX_DEPTH	16	/* include nesting, as Squid */
#define CONF_MAX_IFS	64

struct conf_parser {
	const struct conf_directive *table;
	size_t		 n;
	void		*base;
	int		 process_number;
	int		 errors;
	int		 quoted;	/* includes_quoted_values on */
	unsigned char	*seen;		/* per row: set by the file */
	struct {
		int	 active;	/* this branch's lines are used */
		int	 parent;	/* the enclosing branch was active */
		int	 in_else;
		const char *file;
		int	 line;
	} ifs[CONF_MAX_IFS];
	int		 nifs;
};

struct conf_words {
	char		**v;
	int		 n, cap;
};

static char conf_service_name[64] = "squid";

void
conf_set_service_name(const char *name)
{
	snprintf(conf_service_name, sizeof(conf_service_name), "%s", name);
}

static void
conf_words_add(struct conf_words *w, const char *s, size_t len)
{
	if (w->n + 1 >= w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->v = realloc(w->v, (size_t)w->cap * sizeof(*w->v));
		if (w->v == NULL)
			abort();
	}
	if ((w->v[w->n] = strndup(s, len)) == NULL)
		abort();
	w->n++;
	w->v[w->n] = NULL;
}

static void
conf_words_clear(struct conf_words *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
	if (w->v != NULL)
		w->v[0] = NULL;
}

void
conf_warn(const struct conf_ctx *cx, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	log_warnx("%s:%d: %s", cx->file, cx->line, msg);
	free(msg);
}

void
conf_error_at(struct conf_parser *p, const char *file, int line,
    const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	log_errx("%s:%d: %s", file, line, msg);
	free(msg);
	if (p != NULL)
		p->errors++;
}

static int
conf_row_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct conf_directive *)row)->name);
}

const struct conf_directive *
conf_lookup(const struct conf_directive *table, size_t n, const char *name)
{
	return bsearch(name, table, n, sizeof(*table), conf_row_cmp);
}

size_t
conf_table_unsorted(const struct conf_directive *table, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(table[i - 1].name, table[i].name) >= 0)
			return i;
	return 0;
}

/*
 * One physical line as fgets gives it, cut at the first CR or LF: a stray
 * CR loses the rest of the line, as in Squid.  -1 at end of file.
 */
static int
conf_getline(FILE *f, char **buf, size_t *cap)
{
	ssize_t len = getline(buf, cap, f);

	if (len == -1)
		return -1;
	(*buf)[strcspn(*buf, "\r\n")] = '\0';
	return 0;
}

/*
 * File names outlive a load: access rules keep a pointer for their
 * messages.  The same few names recur on every reload, so they are kept
 * once for the life of the process.
 */
const char *
conf_intern(const char *s, size_t len)
{
	static struct conf_name {
		struct conf_name *next;
		char	 s[];
	} *names;
	struct conf_name *n;

	for (n = names; n != NULL; n = n->next)
		if (strncmp(n->s, s, len) == 0 && n->s[len] == '\0')
			return n->s;
	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		abort();
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	n->next = names;
	names = n;
	return n->s;
}

/* "#line N" or "#line N \"file\"": the next line is N of file. */
static void
conf_hash_line(const char *p, int *lineno, const char **fname)
{
	const char *q;
	char *end;
	long n;

	if (strncmp(p, "#line", 5) != 0 || !isspace((unsigned char)p[5]))
		return;
	p += 5;
	n = strtol(p, &end, 10);
	if (end == p || n < 1)
		return;
	*lineno = (int)n - 1;
	p = end + strspn(end, " \t");
	if (*p == '"' && (q = strchr(p + 1, '"')) != NULL)
		*fname = conf_intern(p + 1, (size_t)(q - p - 1));
}

/*
 * The next logical line (continuations joined, comments and blanks
 * skipped) into *out, its first physical line number into *start.
 * Returns -1 at end of file.
 */
static int
conf_next_line(FILE *f, int *lineno, const char **fname, char **out,
    int *start)
{
	char *buf = NULL, *line = NULL;
	size_t cap = 0, len = 0;
	int cont = 0;

	for (;;) {
		char *p;
		size_t plen;

		if (conf_getline(f, &buf, &cap) == -1)
			break;
		(*lineno)++;
		p = buf + strspn(buf, " \t");
		if (*p == '#') {
			if (!cont)
				conf_hash_line(p, lineno, fname);
			continue;
		}
		if (!cont && *p == '\0')
			continue;
		if (!cont)
			*start = *lineno;
		plen = strlen(p);
		line = realloc(line, len + plen + 1);
		if (line == NULL)
			abort();
		memcpy(line + len, p, plen + 1);
		len += plen;
		if (len > 0 && line[len - 1] == '\\') {
			line[--len] = '\0';
			cont = 1;
			continue;
		}
		cont = 0;
		break;
	}
	free(buf);
	if (line == NULL)
		return -1;
	*out = line;
	return 0;
}

/* ${process_number}, ${process_name}, ${service_name}; others stay. */
static char *
conf_macros(const struct conf_parser *p, const char *line)
{
	char num[16], pname[96];
	struct {
		const char *name, *value;
	} m[3] = {
		{ "${process_number}", num },
		{ "${process_name}", pname },
		{ "${service_name}", conf_service_name },
	};
	char *out;
	size_t len = 0, cap = strlen(line) + 1;

	snprintf(num, sizeof(num), "%d", p->process_number);
	if (p->process_number > 0)
		snprintf(pname, sizeof(pname), "%s-%d", conf_service_name,
		    p->process_number);
	else
		snprintf(pname, sizeof(pname), "%s", conf_service_name);
	if ((out = malloc(cap)) == NULL)
		abort();
	while (*line != '\0') {
		size_t i, add = 1;
		const char *val = NULL;

		for (i = 0; *line == '$' && i < 3; i++)
			if (strncmp(line, m[i].name, strlen(m[i].name)) == 0) {
				val = m[i].value;
				add = strlen(val);
				break;
			}
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			if ((out = realloc(out, cap)) == NULL)
				abort();
		}
		if (val != NULL) {
			memcpy(out + len, val, add);
			line += strlen(m[i].name);
		} else
			out[len] = *line++;
		len += add;
	}
	out[len] = '\0';
	return out;
}

/*
 * Split a line into words.  A word starting with '#' ends the line.  In
 * quoted-values mode "..." and '...' are single words with \r \n \t and
 * backslash escapes.
 */
static char *
conf_split(const struct conf_parser *p, const char *s, struct conf_words *w)
{
	for (;;) {
		const char *start;

		s += strspn(s, " \t\r\n");
		if (*s == '\0' || *s == '#')
			return NULL;
		if (p != NULL && p->quoted && (*s == '"' || *s == '\'')) {
			char q = *s++, *buf;
			size_t n = 0;

			if ((buf = malloc(strlen(s) + 1)) == NULL)
				abort();
			while (*s != '\0' && *s != q) {
				if (*s == '\\' && s[1] != '\0') {
					s++;
					switch (*s) {
					case 'r': buf[n++] = '\r'; break;
					case 'n': buf[n++] = '\n'; break;
					case 't': buf[n++] = '\t'; break;
					default:
						if (isalnum((unsigned char)*s))
							goto bad_escape;
						buf[n++] = *s;
					}
					s++;
				} else
					buf[n++] = *s++;
			}
			if (*s != q) {
				free(buf);
				return units_strf("missing closing quote");
			}
			s++;
			conf_words_add(w, buf, n);
			free(buf);
			continue;
bad_escape:
			free(buf);
			return units_strf("Unsupported escape sequence: \\%c",
			    *s);
		}
		start = s;
		s += strcspn(s, " \t\r\n");
		conf_words_add(w, start, (size_t)(s - start));
	}
}

/*
 * The values of a "file": one per non-blank line not starting with '#',
 * running up to a word that starts with '#'.  An unreadable file leaves the
 * list empty with a warning, as Squid does.
 */
static void
conf_file_values(struct conf_ctx *cx, const char *path, struct conf_words *w)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		conf_warn(cx, "Can not open file %s for reading: %s", path,
		    strerror(errno));
		return;
	}
	while (conf_getline(f, &buf, &cap) != -1) {
		char *p = buf + strspn(buf, " \t"), *end = p, *q = p;

		if (*p == '#' || *p == '\0')
			continue;
		/* the value ends with the last word before a #word */
		while (*q != '\0') {
			q += strspn(q, " \t");
			if (*q == '#' || *q == '\0')
				break;
			q += strcspn(q, " \t");
			end = q;
		}
		if (end > p)
			conf_words_add(w, p, (size_t)(end - p));
	}
	free(buf);
	fclose(f);
}

/* A "file" word (or parameters("file") in quoted mode): its path, else NULL. */
static char *
conf_file_word(const struct conf_parser *p, const char *word)
{
	size_t len = strlen(word);

	if (!p->quoted) {
		if (len >= 2 && (word[0] == '"' || word[0] == '\'') &&
		    word[len - 1] == word[0])
			return strndup(word + 1, len - 2);
		return NULL;
	}
	if (strncmp(word, "parameters(", 11) == 0 && len > 14 &&
	    word[len - 1] == ')' && (word[11] == '"' || word[11] == '\'') &&
	    word[len - 2] == word[11])
		return strndup(word + 12, len - 14);
	return NULL;
}

static void
conf_dispatch(struct conf_parser *p, const struct conf_directive *d,
    const char *file, int line, const char *name, const char *rest,
    struct conf_words *args, int is_default)
{
	struct conf_ctx cx = { p, d, file, line, name, rest, p->base,
	    is_default };
	struct conf_words exp = { 0 };
	char **argv = args->v, *err;
	int argc = args->n;

	if (d->flags & CONF_FILE_VALUES) {
		for (int i = 0; i < args->n; i++) {
			char *path = conf_file_word(p, args->v[i]);

			if (path == NULL) {
				conf_words_add(&exp, args->v[i],
				    strlen(args->v[i]));
				continue;
			}
			conf_file_values(&cx, path, &exp);
			free(path);
		}
		argv = exp.v;
		argc = exp.n;
		if (argv == NULL) {
			static char *none[] = { NULL };
			argv = none;
		}
	}
	if (argc < d->min_args)
		conf_error_at(p, file, line, "'%s': missing value", name);
	else if (d->max_args != CONF_ARGS_ANY && argc > d->max_args)
		conf_error_at(p, file, line, "'%s': unexpected '%s'", name,
		    argv[d->max_args]);
	else if ((err = d->handler(&cx, (char *)p->base + d->off, argc,
	    argv)) != NULL) {
		conf_error_at(p, file, line, "%s", err);
		free(err);
	}
	if (!is_default)
		p->seen[d - p->table] = 1;
	conf_words_clear(&exp);
	free(exp.v);
}

static int conf_parse_file(struct conf_parser *p, const char *path,
    int depth);

static void
conf_include(struct conf_parser *p, const char *file, int line,
    struct conf_words *w, int depth)
{
	if (w->n < 2) {
		conf_error_at(p, file, line, "'include': missing value");
		return;
	}
	if (depth >= CONF_MAX_DEPTH) {
		conf_error_at(p, file, line, "include nesting is deeper than "
		    "%d levels", CONF_MAX_DEPTH);
		return;
	}
	for (int i = 1; i < w->n; i++) {
		glob_t g;
		int rc = glob(w->v[i], 0, NULL, &g);

		if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
			conf_error_at(p, file, line, "Unable to find "
			    "configuration file: %s", w->v[i]);
		} else if (rc != 0) {
			conf_error_at(p, file, line, "cannot expand include "
			    "pattern %s", w->v[i]);
		} else {
			for (size_t j = 0; j < g.gl_pathc; j++)
				conf_parse_file(p, g.gl_pathv[j], depth + 1);
		}
		if (rc == 0 || rc == GLOB_NOMATCH)
			globfree(&g);
	}
}

static int
conf_active(const struct conf_parser *p)
{
	return p->nifs == 0 || p->ifs[p->nifs - 1].active;
}

/* "true", "false" or "INT = INT". */
static int
conf_if_expr(struct conf_words *w, int *value)
{
	char *end1, *end2;
	long a, b;

	if (w->n == 2 && strcmp(w->v[1], "true") == 0)
		*value = 1;
	else if (w->n == 2 && strcmp(w->v[1], "false") == 0)
		*value = 0;
	else if (w->n == 4 && strcmp(w->v[2], "=") == 0) {
		a = strtol(w->v[1], &end1, 10);
		b = strtol(w->v[3], &end2, 10);
		if (*w->v[1] == '\0' || *end1 != '\0' || *w->v[3] == '\0' ||
		    *end2 != '\0')
			return -1;
		*value = a == b;
	} else
		return -1;
	return 0;
}

/* if/else/endif; returns 1 if the line was one of them. */
static int
conf_conditional(struct conf_parser *p, const char *file, int line,
    struct conf_words *w)
{
	const char *kw = w->v[0];
	int value;

	if (strcmp(kw, "if") == 0) {
		if (p->nifs == CONF_MAX_IFS) {
			conf_error_at(p, file, line, "if-statements nested "
			    "too deeply");
			return 1;
		}
		if (conf_if_expr(w, &value) == -1) {
			if (conf_active(p))
				conf_error_at(p, file, line, "Invalid "
				    "if-statement expression '%s'",
				    w->n > 1 ? w->v[1] : "");
			value = 0;
		}
		p->ifs[p->nifs].parent = conf_active(p);
		p->ifs[p->nifs].active = p->ifs[p->nifs].parent && value;
		p->ifs[p->nifs].in_else = 0;
		p->ifs[p->nifs].file = file;
		p->ifs[p->nifs].line = line;
		p->nifs++;
		return 1;
	}
	if (strcmp(kw, "else") == 0) {
		if (p->nifs == 0 || p->ifs[p->nifs - 1].in_else)
			conf_error_at(p, file, line, "'else' without 'if'");
		else {
			int top = p->nifs - 1;

			p->ifs[top].in_else = 1;
			p->ifs[top].active = p->ifs[top].parent &&
			    !p->ifs[top].active;
		}
		return 1;
	}
	if (strcmp(kw, "endif") == 0) {
		if (p->nifs == 0)
			conf_error_at(p, file, line, "'endif' without 'if'");
		else
			p->nifs--;
		return 1;
	}
	return 0;
}

static void
conf_line(struct conf_parser *p, const char *file, int line, char *text,
    int depth)
{
	struct conf_words w = { 0 };
	const struct conf_directive *d;
	char *expanded, *err, *rest;
	size_t len = strlen(text);

	while (len > 0 && isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';
	expanded = conf_macros(p, text);
	if ((err = conf_split(p, expanded, &w)) != NULL) {
		if (conf_active(p))
			conf_error_at(p, file, line, "%s", err);
		free(err);
		goto done;
	}
	if (w.n == 0 || conf_conditional(p, file, line, &w) || !conf_active(p))
		goto done;
	if (strcmp(w.v[0], "include") == 0) {
		conf_include(p, file, line, &w, depth);
		goto done;
	}
	if ((d = conf_lookup(p->table, p->n, w.v[0])) == NULL) {
		conf_error_at(p, file, line, "unrecognized: '%s'", w.v[0]);
		goto done;
	}
	log_debug(3, 2, "Processing: %s", expanded);
	rest = expanded + strspn(expanded, " \t");
	rest += strcspn(rest, " \t");
	rest += strspn(rest, " \t");
	{
		/* the handler sees the words after the name */
		struct conf_words args = { w.v + 1, w.n - 1, 0 };
		char *name = w.v[0];

		conf_dispatch(p, d, file, line, name, rest, &args, 0);
	}
done:
	conf_words_clear(&w);
	free(w.v);
	free(expanded);
}

static int
conf_parse_file(struct conf_parser *p, const char *path, int depth)
{
	const char *fname;
	char *line;
	int lineno = 0, start = 0, nifs = p->nifs;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		conf_error_at(p, conf_intern(path, strlen(path)), 0, "Unable "
		    "to open configuration file: %s", strerror(errno));
		return -1;
	}
	fname = conf_intern(path, strlen(path));
	while (conf_next_line(f, &lineno, &fname, &line, &start) != -1) {
		conf_line(p, fname, start, line, depth);
		free(line);
	}
	fclose(f);
	/* the if stack must balance within each file */
	while (p->nifs > nifs) {
		p->nifs--;
		conf_error_at(p, fname, lineno, "if-statement without "
		    "'endif'");
	}
	return 0;
}

static void
conf_default(struct conf_parser *p, const struct conf_directive *d)
{
	struct conf_words w = { 0 };
	char *err;

	if ((err = conf_split(NULL, d->dflt, &w)) != NULL) {
		conf_error_at(p, "(default)", 0, "%s: %s", d->name, err);
		free(err);
	} else
		conf_dispatch(p, d, "(default)", 0, d->name, d->dflt, &w, 1);
	conf_words_clear(&w);
	free(w.v);
}

/* Was this row, or an alias sharing its field and handler, set? */
static int
conf_seen(const struct conf_parser *p, size_t i)
{
	for (size_t j = 0; j < p->n; j++)
		if (p->seen[j] && p->table[j].off == p->table[i].off &&
		    p->table[j].handler == p->table[i].handler)
			return 1;
	return 0;
}

int
conf_load(const struct conf_directive *table, size_t n, void *base,
    const char *path, int process_number)
{
	struct conf_parser p;
	size_t bad;

	if ((bad = conf_table_unsorted(table, n)) != 0)
		fatalx("directive table is not sorted at '%s'",
		    table[bad].name);
	memset(&p, 0, sizeof(p));
	p.table = table;
	p.n = n;
	p.base = base;
	p.process_number = process_number;
	if ((p.seen = calloc(n, 1)) == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		if (table[i].dflt != NULL &&
		    !(table[i].flags & CONF_DEFAULT_IF_NONE))
			conf_default(&p, &table[i]);
	conf_parse_file(&p, path, 0);
	for (size_t i = 0; i < n; i++)
		if (table[i].dflt != NULL &&
		    (table[i].flags & CONF_DEFAULT_IF_NONE) &&
		    !conf_seen(&p, i))
			conf_default(&p, &table[i]);
	free(p.seen);
	return p.errors;
}

/* Generic setters */

char *
conf_set_size(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	int64_t v;
	int unitless;
	char *err;

	err = units_size(argv[0], argc > 1 ? argv[1] : NULL, UNITS_BYTES, &v,
	    &unitless);
	if (err != NULL)
		return err;
	if (unitless)
		conf_warn(cx, "No units on '%s %s', assuming %.2f bytes",
		    cx->name, argv[0], (double)v);
	*(int64_t *)field = v;
	return NULL;
}

char *
conf_set_time(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	return units_time(argv[0], argc > 1 ? argv[1] : NULL, field);
}

char *
conf_set_bool(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err, *warning;

	if ((err = units_bool(argv[0], field, &warning)) != NULL)
		return err;
	if (warning != NULL) {
		conf_warn(cx, "%s", warning);
		free(warning);
	}
	return NULL;
}

char *
conf_set_int(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	int64_t v;
	char *err;

	/* Squid's GetInteger: "027" is octal (umask), "0x1f" hex */
	if ((err = units_int_base(argv[0], 0, &v)) != NULL)
		return err;
	if (v < INT32_MIN || v > INT32_MAX)
		return units_strf("Invalid value: '%s' is out of range.",
		    argv[0]);
	*(int *)field = (int)v;
	return NULL;
}

char *
conf_set_string(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char **s = field;

	free(*s);
	if ((*s = strdup(argv[0])) == NULL)
		abort();
	return NULL;
}

char *
conf_set_string_none(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char **s = field;

	if (strcmp(argv[0], "none") == 0) {
		free(*s);
		*s = NULL;
		return NULL;
	}
	return conf_set_string(cx, field, argc, argv);
}

char *
conf_set_quoted_values(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	return conf_set_bool(cx, &cx->parser->quoted, argc, argv);
}

char *
conf_ignore(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	return NULL;
}

char *
conf_unsupported(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	const char *same = cx->dir->hint;
	char words[256] = "";
	size_t n = 0;

	(void)field;
	for (int i = 0; i < argc && n < sizeof(words); i++)
		n += (size_t)snprintf(words + n, sizeof(words) - n, "%s%s",
		    i > 0 ? " " : "", argv[i]);
	if (same != NULL && (strcmp(same, "*") == 0 ||
	    strcasecmp(words, same) == 0))
		return NULL;
	if (same != NULL)
		conf_warn(cx, "directive '%s' is not supported by cuttle yet; "
		    "ignored (cuttle behaves as '%s %s')", cx->name, cx->name,
		    same);
	else
		conf_warn(cx, "directive '%s' is not supported by cuttle yet; "
		    "ignored", cx->name);
	return NULL;
}

char *
conf_obsolete(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	conf_warn(cx, "Directive '%s' is obsolete.%s%s", cx->name,
	    cx->dir->hint != NULL ? " " : "",
	    cx->dir->hint != NULL ? cx->dir->hint : "");
	return NULL;
}

/*
 * Restart-only rows.  The comparison is by value, per field type, not by
 * the words written: "256 MB" and "262144 KB" are no change, and a value
 * that comes from an include or a macro compares the same as one written
 * out.  The generic setters' types are known here; other handlers bring
 * their own conf_value_ops.
 */

static int
conf_same_int(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

static void
conf_keep_int(void *fresh, const void *running)
{
	*(int *)fresh = *(const int *)running;
}

static void
conf_show_int(const void *v, char *buf, size_t len)
{
	snprintf(buf, len, "%d", *(const int *)v);
}

static void
conf_show_bool(const void *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s", *(const int *)v ? "on" : "off");
}

static int
conf_same_int64(const void *a, const void *b)
{
	return *(const int64_t *)a == *(const int64_t *)b;
}

static void
conf_keep_int64(void *fresh, const void *running)
{
	*(int64_t *)fresh = *(const int64_t *)running;
}

/* In the largest unit that shows it exactly, as one would write it. */
static void
conf_show_size(const void *v, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		int shift;
	} units[] = { { "GB", 30 }, { "MB", 20 }, { "KB", 10 } };
	int64_t b = *(const int64_t *)v;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (b != 0 && b % ((int64_t)1 << units[i].shift) == 0) {
			snprintf(buf, len, "%lld %s",
			    (long long)(b >> units[i].shift), units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lld bytes", (long long)b);
}

static void
conf_show_time(const void *v, char *buf, size_t len)
{
	int64_t ms = *(const int64_t *)v;

	if (ms % 1000 == 0)
		snprintf(buf, len, "%lld seconds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lld milliseconds", (long long)ms);
}

static int
conf_same_string(const void *a, const void *b)
{
	const char *sa = *(char *const *)a, *sb = *(char *const *)b;

	if (sa == NULL || sb == NULL)
		return sa == sb;
	return strcmp(sa, sb) == 0;
}

static void
conf_keep_string(void *fresh, const void *running)
{
	char **f = fresh;
	const char *r = *(char *const *)running;

	free(*f);
	*f = NULL;
	if (r != NULL && (*f = strdup(r)) == NULL)
		abort();
}

static void
conf_show_string(const void *v, char *buf, size_t len)
{
	const char *s = *(char *const *)v;

	snprintf(buf, len, "%s", s != NULL ? s : "none");
}

static const struct conf_value_ops conf_generic_ops[] = {
	{ conf_set_int, conf_same_int, conf_keep_int, conf_show_int },
	{ conf_set_bool, conf_same_int, conf_keep_int, conf_show_bool },
	{ conf_set_size, conf_same_int64, conf_keep_int64, conf_show_size },
	{ conf_set_time, conf_same_int64, conf_keep_int64, conf_show_time },
	{ conf_set_string, conf_same_string, conf_keep_string,
	    conf_show_string },
	{ conf_set_string_none, conf_same_string, conf_keep_string,
	    conf_show_string },
};

static const struct conf_value_ops *
conf_ops_for(conf_handler h, const struct conf_value_ops *ops, size_t nops)
{
	for (size_t i = 0; i < sizeof(conf_generic_ops) /
	    sizeof(conf_generic_ops[0]); i++)
		if (conf_generic_ops[i].handler == h)
			return &conf_generic_ops[i];
	for (size_t i = 0; i < nops; i++)
		if (ops[i].handler == h)
			return &ops[i];
	return NULL;
}

size_t
conf_restart_unknown(const struct conf_directive *table, size_t n,
    const struct conf_value_ops *ops, size_t nops)
{
	for (size_t i = 0; i < n; i++)
		if ((table[i].flags & CONF_RESTART) &&
		    conf_ops_for(table[i].handler, ops, nops) == NULL)
			return i;
	return n;
}

int
conf_restart_keep(const struct conf_directive *table, size_t n,
    void *fresh, const void *running, const struct conf_value_ops *ops,
    size_t nops, conf_restart_report report, void *arg)
{
	char from[256], to[256];
	int kept = 0;

	for (size_t i = 0; i < n; i++) {
		const struct conf_directive *d = &table[i];
		if (!(d->flags & CONF_RESTART))
			continue;
		const struct conf_value_ops *o = conf_ops_for(d->handler, ops,
		    nops);
		if (o == NULL)
			log_bug("%s: restart-only row without conf_value_ops",
			    d->name);
		void *f = (char *)fresh + d->off;
		const void *r = (const char *)running + d->off;
		if (o->same(r, f))
			continue;
		if (report != NULL) {
			o->show(r, from, sizeof(from));
			o->show(f, to, sizeof(to));
			report(d->name, from, to, arg);
		}
		o->keep(f, r);
		kept++;
	}
	return kept;
}
