/*
 * Applying the header mangling rules (lib/hdr_rules.h) to a head that is
 * already written: every place that writes a head calls this once at its
 * end, so the rules see exactly the fields that leave, as Squid's
 * httpHdrMangleList sees its finished HttpHeader.  The fields are edited
 * line by line; removals and replacements first, then the additions at
 * the end of the head, in configuration order.
 */
#include "config.h"
#include "hdr_mangle.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "dns.h"
#include "external_acl.h"
#include "hdr_rules.h"
#include "http_parse.h"
#include "logformat.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#define HDR_MANGLE_VALUE_MAX	8192

/* The transaction as %codes see it, as for external ACL helpers. */
static void
hdr_mangle_log_entry(const struct xact *x, const struct acl_checklist *cl,
    struct alog_entry *e)
{
	*e = x->log;
	e->method = x->method;
	e->url = e->url_orig = x->url_str;
	e->scheme = x->url.scheme;
	e->host = x->url.host;
	e->port = x->url.port;
	e->path = x->path_str;
	e->request = x->head != NULL ? &x->req : NULL;
	e->xaction = x->id;
	e->vmajor = x->req.vmajor;
	e->vminor = x->req.vminor;
	e->notes = &x->notes;
	if (cl->user != NULL)
		e->user = cl->user;
}

/* Append the fields of the add lines that apply. */
static void
hdr_mangle_add(const struct xact *x, const struct hdr_rules *r,
    const struct acl_checklist *cl, struct buf *out)
{
	char value[HDR_MANGLE_VALUE_MAX];
	struct alog_entry e;
	int have_entry = 0;

	for (const struct hdr_add *a = r->add; a != NULL; a = a->next) {
		const char *v = a->value;
		size_t len;

		if (!hdr_rules_add_applies(a, cl))
			continue;
		if (a->format != NULL) {
			if (!have_entry) {
				hdr_mangle_log_entry(x, cl, &e);
				have_entry = 1;
			}
			len = logformat_render(a->format, &e, 0, value,
			    sizeof(value));
			if (len > 0 && value[len - 1] == '\n')
				value[--len] = '\0';
			v = value;
		}
		/* as Squid: a field is never sent empty */
		if (v[0] == '\0')
			v = "-";
		buf_printf(out, "%s: %s\r\n", a->name, v);
	}
}

/* The status code of a status line, 0 if none. */
static int
hdr_mangle_status(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);

	if (sp == NULL || (size_t)(sp - line) + 4 > len)
		return 0;
	return atoi(sp + 1);
}

void
hdr_mangle_apply(struct xact *x, enum hdr_mangle_dir dir,
    const struct hdr_rules *r, const struct http_msg *rep, struct buf *out,
    size_t rel)
{
	struct acl_checklist cl;
	const char *p, *end, *eol;
	char *copy;
	size_t n, head_len;

	if (buf_avail(out) < rel)
		return;
	n = buf_avail(out) - rel;
	p = buf_head(out) + rel;
	if ((end = memmem(p, n, "\r\n\r\n", 4)) == NULL)
		return;
	head_len = (size_t)(end - p) + 4;
	copy = xmalloc(n);
	memcpy(copy, p, n);
	out->len = out->off + rel;

	xact_checklist(x, &cl);
	cl.external = external_acl_match_undecided;
	eol = memmem(copy, head_len, "\r\n", 2);
	if (dir == HDR_MANGLE_REPLY) {
		cl.reply = rep;
		cl.status = hdr_mangle_status(copy, (size_t)(eol - copy));
	}
	buf_append(out, copy, (size_t)(eol - copy) + 2);
	for (p = eol + 2; p < copy + head_len - 2; p = eol + 2) {
		const char *colon;
		const struct hdr_mangler *m;

		eol = memmem(p, (size_t)(copy + head_len - p), "\r\n", 2);
		colon = memchr(p, ':', (size_t)(eol - p));
		m = colon != NULL ? hdr_rules_find(r, p, (size_t)(colon - p)) :
		    NULL;
		switch (hdr_rules_verdict(m, &cl)) {
		case HDR_KEEP:
			buf_append(out, p, (size_t)(eol - p) + 2);
			break;
		case HDR_REPLACE:
			buf_printf(out, "%.*s: %s\r\n", (int)(colon - p), p,
			    m->replacement);
			break;
		case HDR_REMOVE:
			break;
		}
	}
	hdr_mangle_add(x, r, &cl, out);
	buf_append(out, "\r\n", 2);
	buf_append(out, copy + head_len, n - head_len);
	free(copy);
}
