/*
 * extacl: parses external_acl_type lines as Squid 5.7 does (options, then
 * %-codes up to the first word without '%', then the helper command line)
 * and renders the helper request line.  Each code is compiled as a
 * one-item logformat with the protocol's encoding forced on it unless the
 * code names its own, which is how Squid treats them; the legacy names
 * (%SRC, %LOGIN ...) are mapped to the logformat codes Squid gives them.
 */
#include "config.h"
#include "extacl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logformat.h"
#include "util.h"

#define EXTACL_DEFAULT_TTL	3600
#define EXTACL_DEFAULT_CACHE	(256 * 1024)

/* Squid's legacy external_acl_type names and the codes they stand for. */
static const struct {
	const char	*name;
	const char	*code;	/* NULL: %ACL / %DATA */
} extacl_legacy[] = {
	{ "ACL", NULL },
	{ "DATA", NULL },
	{ "DST", ">rd" },
	{ "EXT_LOG", "ea" },
	{ "EXT_TAG", "et" },
	{ "EXT_USER", "ue" },
	{ "IDENT", "ui" },
	{ "LOGIN", "ul" },
	{ "METHOD", ">rm" },
	{ "MYADDR", ">la" },
	{ "MYPORT", ">lp" },
	{ "PATH", ">rp" },
	{ "PORT", ">rP" },
	{ "PROTO", ">rs" },
	{ "SRCEUI48", ">eui" },
	{ "SRCEUI64", ">eui" },
	{ "SRCPORT", ">p" },
	{ "SRC", ">a" },
	{ "TAG", "et" },
	{ "URI", ">ru" },
};

static void
extacl_warn(char **w, const char *fmt, ...)
{
	va_list ap;
	char *s, *j;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (*w == NULL) {
		*w = s;
		return;
	}
	j = xasprintf("%s; %s", *w, s);
	free(*w);
	free(s);
	*w = j;
}

/* "name=N" with N a whole number >= 0: 1 and *v set, 0 not this option. */
static int
extacl_opt_num(const char *word, const char *name, int *v, char **err)
{
	size_t n = strlen(name);
	char *end;
	long l;

	if (strncmp(word, name, n) != 0)
		return 0;
	l = strtol(word + n, &end, 10);
	if (end == word + n || *end != '\0' || l < 0 || l > 100000000)
		*err = xasprintf("external_acl_type: invalid value in '%s'",
		    word);
	else
		*v = (int)l;
	return 1;
}

static void
extacl_type_free(struct extacl_type *t)
{
	int i;

	if (t == NULL)
		return;
	free(t->name);
	for (i = 0; i < t->nitems; i++)
		logformat_free(t->items[i].lf);
	free(t->items);
	if (t->argv != NULL)
		for (i = 0; t->argv[i] != NULL; i++)
			free(t->argv[i]);
	free(t->argv);
	free(t);
}

/*
 * One FORMAT word into an item.  The word may carry an encoding modifier
 * right after '%' ('#', '/', '\'', '"', '['), which then encodes the
 * value; without one the value is sent escaped as Squid's logformat does
 * (see EXTACL_Q_PASS).  The protocol decides only how %DATA's arguments
 * are encoded.
 */
static char *
extacl_item_parse(struct extacl_type *t, const char *word,
    struct extacl_item *it, char **warning)
{
	const char *p = word + 1, *code;
	char mod = '\0', *spec, *err = NULL;
	size_t i;

	memset(it, 0, sizeof(*it));
	if (*p != '\0' && strchr("#/'\"[", *p) != NULL)
		mod = *p++;
	it->quote = mod == '\0' ? EXTACL_Q_PASS : EXTACL_Q_RAW;
	if (strncmp(p, "<{", 2) == 0 || strncmp(p, ">{", 2) == 0) {
		/* %<{H} / %>{H}: Squid 3's header forms */
		extacl_warn(warning, "external_acl_type format %s is "
		    "deprecated. Use %%%s%s", word, *p == '<' ? "<h" : ">ha",
		    p + 1);
		spec = xasprintf("%%%.1s%s%s", mod ? &mod : "",
		    *p == '<' ? "<h" : ">ha", p + 1);
		goto compile;
	}
	for (i = 0; i < sizeof(extacl_legacy) / sizeof(extacl_legacy[0]); i++)
		if (strcmp(p, extacl_legacy[i].name) == 0)
			break;
	if (i < sizeof(extacl_legacy) / sizeof(extacl_legacy[0])) {
		code = extacl_legacy[i].code;
		if (code == NULL) {
			it->kind = strcmp(p, "DATA") == 0 ? EXTACL_I_DATA :
			    EXTACL_I_ACL;
			if (mod == '#')
				it->quote = EXTACL_Q_URL;
			else if (mod == '/')
				it->quote = EXTACL_Q_SHELL;
			else if (it->kind == EXTACL_I_DATA)
				it->quote = EXTACL_Q_RAW;  /* args escaped each */
			return NULL;
		}
		if (strcmp(p, "IDENT") == 0 || strncmp(p, "SRCEUI", 6) == 0)
			extacl_warn(warning, "external_acl_type %s: %%%s is "
			    "not supported by cuttle; it is sent as '-'",
			    t->name, p);
		spec = xasprintf("%%%.1s%s", mod ? &mod : "", code);
	} else
		spec = xasprintf("%%%.1s%s", mod ? &mod : "", p);
compile:
	it->kind = EXTACL_I_CODE;
	it->lf = logformat_compile(t->name, spec, &err);
	free(spec);
	if (it->lf == NULL) {
		char *e = xasprintf("external_acl_type %s: unknown format "
		    "code '%s'%s%s", t->name, word, err ? ": " : "",
		    err ? err : "");
		free(err);
		return e;
	}
	/* one code per word: anything after it is not a code Squid knows */
	if (logformat_nitems(it->lf) != 1) {
		logformat_free(it->lf);
		it->lf = NULL;
		return xasprintf("external_acl_type %s: unknown format code "
		    "'%s'", t->name, word);
	}
	if (strcmp(p, "ul") == 0 || strcmp(p, "LOGIN") == 0)
		t->require_auth = 1;
	return NULL;
}

char *
extacl_type_parse(struct extacl_type **list, char **argv, int argc,
    char **warning)
{
	struct extacl_type *t, **tail;
	char *err = NULL;
	int i, data_used = 0, defq = 1;

	*warning = NULL;
	if (argc < 1)
		return xasprintf("external_acl_type: missing NAME");
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(argv[0]);
	t->ttl = EXTACL_DEFAULT_TTL;
	t->negative_ttl = -1;
	t->grace = 1;
	t->cache_size = EXTACL_DEFAULT_CACHE;
	t->children.n_max = 5;
	t->children.n_startup = 0;
	t->children.n_idle = 1;
	t->children.concurrency = 0;
	t->children.queue_size = -1;
	for (i = 1; i < argc && err == NULL; i++) {
		const char *w = argv[i];
		int v;

		if (w[0] == '%')
			break;
		if (extacl_opt_num(w, "ttl=", &t->ttl, &err) ||
		    extacl_opt_num(w, "negative_ttl=", &t->negative_ttl, &err) ||
		    extacl_opt_num(w, "children-max=", &t->children.n_max,
		    &err) ||
		    extacl_opt_num(w, "children-startup=",
		    &t->children.n_startup, &err) ||
		    extacl_opt_num(w, "children-idle=", &t->children.n_idle,
		    &err) ||
		    extacl_opt_num(w, "concurrency=", &t->children.concurrency,
		    &err) ||
		    extacl_opt_num(w, "cache=", &t->cache_size, &err) ||
		    extacl_opt_num(w, "grace=", &t->grace, &err))
			continue;
		if (extacl_opt_num(w, "queue-size=", &v, &err)) {
			t->children.queue_size = v;
			defq = 0;
		} else if (extacl_opt_num(w, "children=", &t->children.n_max,
		    &err))
			extacl_warn(warning, "external_acl_type option "
			    "children=N has been deprecated in favor of "
			    "children-max=N and children-startup=N");
		else if (strcmp(w, "protocol=2.5") == 0 ||
		    strcmp(w, "quote=shell") == 0)
			t->shell_quote = 1;
		else if (strcmp(w, "protocol=3.0") == 0 ||
		    strcmp(w, "quote=url") == 0)
			t->shell_quote = 0;
		else if (strcmp(w, "ipv4") == 0 || strcmp(w, "ipv6") == 0)
			;	/* helpers talk over pipes here, not sockets */
		else
			err = xasprintf("external_acl_type %s: unknown option "
			    "'%s' (or FORMAT missing)", t->name, w);
	}
	if (err != NULL)
		goto fail;
	if (t->grace > 100)
		t->grace = 100;
	if (t->children.n_max < 1)
		t->children.n_max = 1;
	if (t->children.n_startup > t->children.n_max)
		t->children.n_startup = t->children.n_max;
	if (t->children.n_idle > t->children.n_max)
		t->children.n_idle = t->children.n_max;
	if (t->children.n_idle < 1)
		t->children.n_idle = 1;
	if (t->negative_ttl == -1)
		t->negative_ttl = t->ttl;
	if (defq)
		t->children.queue_size = 2 * t->children.n_max;
	t->items = xcalloc((size_t)argc + 1, sizeof(*t->items));
	for (; i < argc && argv[i][0] == '%'; i++) {
		struct extacl_item *it = &t->items[t->nitems];

		if ((err = extacl_item_parse(t, argv[i], it, warning)) != NULL)
			goto fail;
		t->nitems++;
		if (it->kind == EXTACL_I_DATA)
			data_used = 1;
	}
	if (t->nitems == 0) {
		err = xasprintf("external_acl_type %s: missing FORMAT", t->name);
		goto fail;
	}
	if (!data_used) {
		/* Squid appends %DATA, unencoded: the args are escaped each */
		t->items[t->nitems].kind = EXTACL_I_DATA;
		t->items[t->nitems].quote = EXTACL_Q_RAW;
		t->items[t->nitems++].implicit = 1;
	}
	if (i >= argc) {
		err = xasprintf("external_acl_type %s: missing helper program",
		    t->name);
		goto fail;
	}
	t->argv = xcalloc((size_t)(argc - i) + 1, sizeof(*t->argv));
	for (int j = 0; i < argc; i++, j++)
		t->argv[j] = xstrdup(argv[i]);
	for (tail = list; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = t;
	return NULL;
fail:
	extacl_type_free(t);
	return err;
}

const struct extacl_type *
extacl_type_find(const struct extacl_type *list, const char *name)
{
	for (; list != NULL; list = list->next)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

void
extacl_types_free(struct extacl_type **list)
{
	struct extacl_type *t;

	while ((t = *list) != NULL) {
		*list = t->next;
		extacl_type_free(t);
	}
}

/* ---- the request line ---- */

struct extacl_out {
	char	*p;
	size_t	 len, cap;	/* cap: the room, "\n" and NUL excluded */
	int	 full;
};

static void
extacl_put(struct extacl_out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len) {
		o->full = 1;
		n = o->cap - o->len;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* s[0..n) under one of the EXTACL_Q_* encodings. */
static void
extacl_encode(struct extacl_out *o, const char *s, size_t n, int quote)
{
	const char *end = s + n;
	char hex[4];
	int quoted;

	switch (quote) {
	case EXTACL_Q_URL:
	case EXTACL_Q_PASS:
		for (; s < end; s++) {
			unsigned char c = (unsigned char)*s;

			if (util_rfc1738_unsafe(c) || (c == '%' &&
			    quote == EXTACL_Q_URL)) {
				snprintf(hex, sizeof(hex), "%%%02X", c);
				extacl_put(o, hex, 3);
			} else
				extacl_put(o, s, 1);
		}
		return;
	case EXTACL_Q_SHELL:
		quoted = memchr(s, ' ', n) != NULL;
		if (quoted)
			extacl_put(o, "\"", 1);
		for (; s < end; s++) {
			switch (*s) {
			case '\n': extacl_put(o, "\\n", 2); break;
			case '\r': extacl_put(o, "\\r", 2); break;
			case '"': extacl_put(o, "\\\"", 2); break;
			case '\\': extacl_put(o, "\\\\", 2); break;
			default: extacl_put(o, s, 1);
			}
		}
		if (quoted)
			extacl_put(o, "\"", 1);
		return;
	default:
		/* raw: still never a line break inside a request */
		for (; s < end; s++)
			if (*s == '\n' || *s == '\r')
				extacl_put(o, *s == '\n' ? "%0A" : "%0D", 3);
			else
				extacl_put(o, s, 1);
		return;
	}
}

size_t
extacl_line(const struct extacl_type *t, const struct alog_entry *e,
    const char *acl_name, char *const *args, int nargs, char *out,
    size_t outsz)
{
	struct extacl_out o = { out, 0, outsz > 2 ? outsz - 2 : 0, 0 };
	char *tmp;
	int i, j;

	if (outsz < 3)
		return 0;
	tmp = xmalloc(outsz + 2);
	for (i = 0; i < t->nitems && !o.full; i++) {
		const struct extacl_item *it = &t->items[i];
		struct extacl_out d = { tmp, 0, outsz, 0 };
		size_t n;

		switch (it->kind) {
		case EXTACL_I_CODE:
			n = logformat_render(it->lf, e, 0, tmp, outsz + 2);
			if (n > 0 && tmp[n - 1] == '\n')
				n--;	/* the render's own; the value's stay */
			if (n >= outsz)
				o.full = 1;
			extacl_encode(&o, tmp, n, it->quote);
			break;
		case EXTACL_I_ACL:
			if (acl_name == NULL || acl_name[0] == '\0')
				extacl_put(&o, "-", 1);
			else
				extacl_encode(&o, acl_name, strlen(acl_name),
				    it->quote);
			break;
		case EXTACL_I_DATA:
			/* each argument escaped under the protocol's rule */
			for (j = 0; j < nargs; j++) {
				if (j > 0)
					extacl_put(&d, " ", 1);
				extacl_encode(&d, args[j], strlen(args[j]),
				    t->shell_quote ? EXTACL_Q_SHELL :
				    EXTACL_Q_URL);
			}
			if (d.full)
				o.full = 1;
			if (d.len == 0)
				extacl_put(&o, "-", 1);
			else	/* %#DATA: the whole string again, as Squid */
				extacl_encode(&o, tmp, d.len, it->quote);
			break;
		}
		/* Squid ends every FORMAT value with a space, even the last;
		 * the %DATA it adds itself has none */
		if (!it->implicit)
			extacl_put(&o, " ", 1);
	}
	free(tmp);
	if (o.full)
		return 0;
	out[o.len++] = '\n';
	out[o.len] = '\0';
	return o.len;
}
