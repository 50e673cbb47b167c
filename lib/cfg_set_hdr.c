/*
 * request_header_access, request_header_replace, request_header_add and
 * their reply_* twins, parsed as Squid 5.7 parses them (cache_cf.cc): an
 * access line without a name, an action or an ACL is reported and skipped
 * (Squid carries on), while an unknown ACL, a replacement without a value
 * and a bad %code in an add value stop the config.  The *_header_replace
 * and *_header_add values are read from the raw line because Squid reads
 * them as a quoted string (or, for replace, the rest of the line) whether
 * or not configuration_includes_quoted_values is on.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "hdr_rules.h"
#include "logformat.h"
#include "units.h"
#include "util.h"

char *
cfg_set_hdr_access(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct hdr_rules *r = field;
	struct hdr_mangler *m;

	if (argc < 1) {
		conf_warn(cx, "%s: missing header name; line ignored (as "
		    "Squid)", cx->name);
		return NULL;
	}
	/*
	 * Squid names the header before it reads the rule: a skipped line
	 * still gives an unregistered header an entry of its own, which keeps
	 * it from the Other and All rules.
	 */
	m = hdr_rules_track(r, argv[0]);
	if (argc < 2) {
		conf_warn(cx, "%s %s: missing 'allow' or 'deny'; line ignored "
		    "(as Squid)", cx->name, argv[0]);
		return NULL;
	}
	if (strcmp(argv[1], "allow") != 0 && strcmp(argv[1], "deny") != 0) {
		conf_warn(cx, "%s %s: expecting 'allow' or 'deny', got '%s'; "
		    "line ignored (as Squid)", cx->name, argv[0], argv[1]);
		return NULL;
	}
	if (argc < 3) {
		conf_warn(cx, "%s %s %s: access line contains no ACLs, "
		    "skipping (as Squid)", cx->name, argv[0], argv[1]);
		return NULL;
	}
	return access_parse(&m->acl, &CFG_BASE(cx)->acls, argv + 1, argc - 1,
	    NULL, cx->file, cx->line);
}

/*
 * Squid's quoted token at *pp: "..." with \r \n \t and backslash escapes
 * (other letters and digits refused).  NULL with *err on a bad one.
 */
static char *
cfg_hdr_unquote(const char **pp, char **err)
{
	const char *s = *pp + 1;
	char *out = xcalloc(1, strlen(s) + 1);
	size_t n = 0;

	*err = NULL;
	while (*s != '\0' && *s != '"') {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			switch (*s) {
			case 'r': out[n++] = '\r'; break;
			case 'n': out[n++] = '\n'; break;
			case 't': out[n++] = '\t'; break;
			default:
				if (isalnum((unsigned char)*s)) {
					*err = units_strf("Unsupported escape "
					    "sequence: \\%c", *s);
					free(out);
					return NULL;
				}
				out[n++] = *s;
			}
			s++;
		} else
			out[n++] = *s++;
	}
	if (*s != '"') {
		free(out);
		*err = units_strf("missing closing quote");
		return NULL;
	}
	*pp = s + 1;
	return out;
}

/* Skip the directive's first word in cx->rest: where its value starts. */
static const char *
cfg_hdr_after_name(const struct conf_ctx *cx)
{
	const char *p = cx->rest;

	p += strspn(p, " \t");
	p += strcspn(p, " \t\r\n");
	return p + strspn(p, " \t\r\n");
}

char *
cfg_set_hdr_replace(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct hdr_rules *r = field;
	struct hdr_mangler *m;
	const char *p;
	char *value, *err;
	size_t len;

	if (argc < 1) {
		conf_warn(cx, "%s: missing header name; line ignored (as "
		    "Squid)", cx->name);
		return NULL;
	}
	p = cfg_hdr_after_name(cx);
	if (*p == '"') {
		if ((value = cfg_hdr_unquote(&p, &err)) == NULL)
			return err;
	} else {
		/* the rest of the line, as Squid's NextQuotedOrToEol */
		len = strlen(p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0)	/* Squid: "xstrdup: tried to dup a NULL" */
			return units_strf("%s %s: missing replacement value",
			    cx->name, argv[0]);
		value = xcalloc(1, len + 1);
		memcpy(value, p, len);
	}
	/* kept even without access rules: Squid ignores it there */
	m = hdr_rules_track(r, argv[0]);
	free(m->replacement);
	m->replacement = value;
	return NULL;
}

/* Split s into words (the ACL names after an add value). */
static int
cfg_hdr_words(const char *s, char ***words)
{
	int n = 0;

	*words = xcalloc(strlen(s) / 2 + 2, sizeof(char *));
	for (;;) {
		s += strspn(s, " \t\r\n");
		if (*s == '\0' || *s == '#')
			return n;
		size_t len = strcspn(s, " \t\r\n");
		(*words)[n] = xcalloc(1, len + 1);
		memcpy((*words)[n++], s, len);
		s += len;
	}
}

char *
cfg_set_hdr_add(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct hdr_rules *r = field;
	struct hdr_add *a, **tail;
	const char *p;
	char **words, *err = NULL;
	int nwords;

	if (argc < 1)
		return units_strf("%s: missing header name", cx->name);
	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(argv[0]);
	p = cfg_hdr_after_name(cx);
	if (*p == '"') {
		if ((a->value = cfg_hdr_unquote(&p, &err)) != NULL &&
		    (a->format = logformat_compile(cx->name, a->value,
		    &err)) == NULL && err == NULL)
			err = units_strf("%s: invalid format", cx->name);
	} else {
		size_t len = strcspn(p, " \t\r\n");
		a->value = xcalloc(1, len + 1);
		memcpy(a->value, p, len);
		p += len;
	}
	if (err == NULL) {
		nwords = cfg_hdr_words(p, &words);
		err = acl_refs_parse(&CFG_BASE(cx)->acls, words, nwords,
		    &a->refs, &a->nrefs);
		for (int i = 0; i < nwords; i++)
			free(words[i]);
		free(words);
	}
	if (err != NULL) {
		hdr_add_free(a);
		return err;
	}
	for (tail = &r->add; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = a;
	return NULL;
}
