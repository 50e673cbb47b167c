/*
 * Renders one access.log line from a struct alog_entry: each compiled item
 * of a custom format (timestamps, addresses, headers and header elements,
 * sizes, tags), the built-in formats exactly as Squid 5.7 prints them, and
 * the log_mime_hdrs suffix.  Rendering runs once per request and does not
 * allocate.
 */
#include "config.h"
#include "logformat.h"
#include "logformat_int.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_parse.h"
#include "notes.h"

/*
 * strftime of t.  The last result per (local, spec) slot is kept, since
 * consecutive lines nearly always fall in the same second; workers are
 * single-threaded, so a static cache is safe.
 */
static size_t
lf_httpd_time(time_t t, int local, const char *spec, char *buf, size_t n)
{
	static struct {
		time_t		 t;
		char		 spec[64];
		size_t		 len;
		char		 text[64];
	} cache[2];
	struct tm tm;
	size_t len;

	if (cache[local].len > 0 && cache[local].t == t &&
	    cache[local].len < n && strcmp(cache[local].spec, spec) == 0) {
		memcpy(buf, cache[local].text, cache[local].len + 1);
		return cache[local].len;
	}
	if (local)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	len = strftime(buf, n, spec, &tm);
	if (len > 0 && len < sizeof(cache[local].text) &&
	    strlen(spec) < sizeof(cache[local].spec)) {
		memcpy(cache[local].text, buf, len + 1);
		strcpy(cache[local].spec, spec);
		cache[local].t = t;
		cache[local].len = len;
	}
	return len;
}

static const char lf_httpd_fmt[] = "%d/%b/%Y:%H:%M:%S %z";
static const char lf_gmt_fmt[] = "%d/%b/%Y:%H:%M:%S";

/* Request headers as Squid packs them: "Name: value\r\n" each. */
static void
lf_req_headers(struct lf_out *o, enum lf_quote q, const struct http_msg *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nhdr; i++) {
		lf_encode(o, q, m->hdr[i].name, m->hdr[i].name_len);
		lf_encode(o, q, ": ", 2);
		lf_encode(o, q, m->hdr[i].value, m->hdr[i].value_len);
		lf_encode(o, q, "\r\n", 2);
	}
}

/*
 * Next header line of a raw reply head after *pos (the status line is
 * skipped by the caller); 0 at the blank line or the end.
 */
static int
lf_rep_next(const char *h, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	size_t s = *pos, p = s;

	while (p < len && h[p] != '\n')
		p++;
	*line = h + s;
	*llen = p - s;
	if (*llen > 0 && h[s + *llen - 1] == '\r')
		(*llen)--;
	*pos = p < len ? p + 1 : p;
	return *llen > 0;
}

static size_t
lf_rep_first(const char *h, size_t len)
{
	const char *nl = memchr(h, '\n', len);

	return nl != NULL ? (size_t)(nl - h) + 1 : len;
}

/* Reply header lines without the status line, "\r\n" after each. */
static void
lf_rep_headers(struct lf_out *o, const struct alog_entry *e)
{
	const char *line;
	size_t pos, llen;

	if (e->reply_head == NULL)
		return;
	pos = lf_rep_first(e->reply_head, e->reply_head_len);
	while (lf_rep_next(e->reply_head, e->reply_head_len, &pos, &line,
	    &llen)) {
		lf_put(o, line, llen);
		lf_put(o, "\r\n", 2);
	}
}

/* Append v to the joined value, ", " between instances as Squid does. */
static void
lf_join(struct lf_out *o, int *n, const char *v, size_t vlen)
{
	if ((*n)++ > 0)
		lf_put(o, ", ", 2);
	lf_put(o, v, vlen);
}

static void
lf_trim(const char **v, size_t *len)
{
	while (*len > 0 && (**v == ' ' || **v == '\t'))
		(*v)++, (*len)--;
	while (*len > 0 && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t'))
		(*len)--;
}

/* All instances of header it->text, joined; returns the count found. */
static int
lf_header_value(const struct lf_item *it, const struct alog_entry *e,
    struct lf_out *o)
{
	const struct http_msg *m = e->request;
	const char *line, *v;
	size_t pos, llen, vlen;
	int n = 0;

	if (it->code == LFC_REQ_HDR) {
		if (m == NULL)
			return 0;
		for (int k = 0; k < m->nhdr; k++)
			if (m->hdr[k].name_len == it->text_len &&
			    strncasecmp(m->hdr[k].name, it->text,
			    it->text_len) == 0)
				lf_join(o, &n, m->hdr[k].value,
				    m->hdr[k].value_len);
		return n;
	}
	if (e->reply_head == NULL)
		return 0;
	pos = lf_rep_first(e->reply_head, e->reply_head_len);
	while (lf_rep_next(e->reply_head, e->reply_head_len, &pos, &line,
	    &llen)) {
		if (llen <= it->text_len || line[it->text_len] != ':' ||
		    strncasecmp(line, it->text, it->text_len) != 0)
			continue;
		v = line + it->text_len + 1;
		vlen = llen - it->text_len - 1;
		lf_trim(&v, &vlen);
		lf_join(o, &n, v, vlen);
	}
	return n;
}

/*
 * {Header:element}: the value of "element=value" in the list, where ',' is
 * always a delimiter besides the configured one (merged header values).
 */
static int
lf_list_member(const struct lf_item *it, const char *v, size_t len,
    const char **out, size_t *outlen)
{
	size_t p = 0, s, ilen;
	const char *item;

	while (p < len) {
		s = p;
		while (p < len && v[p] != ',' && v[p] != it->sep)
			p++;
		item = v + s;
		ilen = p - s;
		p++;
		lf_trim(&item, &ilen);
		if (ilen > it->elem_len && item[it->elem_len] == '=' &&
		    memcmp(item, it->elem, it->elem_len) == 0) {
			*out = item + it->elem_len + 1;
			*outlen = ilen - it->elem_len - 1;
			return 1;
		}
	}
	return 0;
}

/*
 * "SECONDS.FRACTION" zero-padded to zw before the point, as Squid pads
 * %0N.Ptr and %0N.PtS to any width: into scratch, not a small buffer,
 * since the width comes from the config.  A record is at most LF_SCRATCH
 * bytes, so wider padding could not show anyway.
 */
static size_t
lf_fmt_frac(char *buf, int zw, long long whole, int prec, long frac)
{
	int n;

	if (zw > LF_SCRATCH - 64)
		zw = LF_SCRATCH - 64;
	n = snprintf(buf, LF_SCRATCH, "%0*lld.%0*ld", zw, whole, prec, frac);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * %note: every annotation as "key: value\r\n"; %{key}note: key's values
 * joined by the separator (',' unless %{key:;}note etc. names another),
 * as Squid's Format.cc.  The text goes to scratch; 0 when there is none.
 */
static int
lf_note(const struct lf_item *it, const struct alog_entry *e, char *scratch,
    size_t *len)
{
	struct lf_out so = { scratch, 0, LF_SCRATCH };
	int found = 0;

	if (e->notes == NULL)
		return 0;
	for (int i = 0; i < e->notes->n; i++) {
		const struct note *n = &e->notes->v[i];

		if (it->text == NULL || it->text_len == 0) {
			lf_puts(&so, n->key);
			lf_put(&so, ": ", 2);
			lf_puts(&so, n->value);
			lf_put(&so, "\r\n", 2);
			found = 1;
			continue;
		}
		if (strlen(n->key) != it->text_len ||
		    memcmp(n->key, it->text, it->text_len) != 0)
			continue;
		if (found++)
			lf_putc(&so, it->sep);
		lf_puts(&so, n->value);
	}
	*len = so.len;
	return found && so.len > 0;
}

/* One field of a custom format. */
static void
lf_render_item(const struct lf_item *it, const struct alog_entry *e,
    struct lf_out *o, char *scratch)
{
	char num[64], addr[INET6_ADDRSTRLEN];
	char enc[LF_SCRATCH];
	struct lf_out so, eo;
	const char *s = NULL;
	size_t slen = 0, width;
	long long ival = 0;
	int isnum = 0, sized = 0, port, prec, zw;
	long usec;
	const struct timeval *tv;
	enum lf_quote q;

	switch (it->code) {
	case LFC_LITERAL:
		lf_put(o, it->text, it->text_len);
		return;
	case LFC_DASH:
		break;
	case LFC_TS:
		ival = e->end.tv_sec;
		isnum = 1;
		break;
	case LFC_TU:
		ival = e->end.tv_usec / it->divisor;
		isnum = 1;
		break;
	case LFC_TR:
		ival = lf_elapsed_ms(e);
		if (it->wmax < 0) {
			isnum = 1;
			break;
		}
		/* %.Ntr: milliseconds with N sub-millisecond digits */
		usec = lf_elapsed_us(e) % 1000;
		prec = it->wmax;
		zw = it->zero && it->wmin - prec - 1 > 0 ? it->wmin - prec - 1 : 0;
		slen = lf_fmt_frac(scratch, zw, ival, prec,
		    usec * (1000 / it->divisor));
		s = scratch;
		sized = 1;
		break;
	case LFC_TSTART:
		tv = &e->start;
		prec = it->wmax >= 0 ? it->wmax : 3;
		zw = it->zero && it->wmin - prec - 1 > 0 ? it->wmin - prec - 1 : 0;
		slen = lf_fmt_frac(scratch, zw, (long long)tv->tv_sec, prec,
		    (long)tv->tv_usec / it->divisor);
		s = scratch;
		sized = 1;
		break;
	case LFC_TL:
	case LFC_TG:
		slen = lf_httpd_time(e->end.tv_sec, it->code == LFC_TL,
		    it->text != NULL ? it->text : it->code == LFC_TL ?
		    lf_httpd_fmt : lf_gmt_fmt, num,
		    sizeof(num));
		s = num;
		sized = 1;
		break;
	case LFC_CLIENT_IP:
		s = lf_addr(&e->client, addr, sizeof(addr));
		break;
	case LFC_CLIENT_FQDN:	/* the name when known, else the address */
		s = e->client_fqdn != NULL ? e->client_fqdn :
		    lf_addr(&e->client, addr, sizeof(addr));
		break;
	case LFC_LOCAL_IP:
		s = lf_addr(&e->local, addr, sizeof(addr));
		break;
	case LFC_SERVER_IP:
		s = lf_addr(&e->server, addr, sizeof(addr));
		break;
	case LFC_CLIENT_PORT:
	case LFC_LOCAL_PORT:
	case LFC_SERVER_PORT:
		port = lf_port(it->code == LFC_CLIENT_PORT ? &e->client :
		    it->code == LFC_LOCAL_PORT ? &e->local : &e->server);
		if (port >= 0) {
			ival = port;
			isnum = 1;
		}
		break;
	case LFC_SERVER_NAME:
		if (e->server.ss_family != 0)
			s = e->peer_name != NULL ? e->peer_name : e->host;
		break;
	case LFC_TAG:
		s = e->result_tag;
		break;
	case LFC_HIER:
		s = e->hier;
		break;
	case LFC_STATUS:
		ival = e->status;
		isnum = 1;
		break;
	case LFC_UP_STATUS:
		if (e->upstream_status > 0) {
			ival = e->upstream_status;
			isnum = 1;
		}
		break;
	case LFC_BYTES_OUT:
		ival = e->bytes_out;
		isnum = 1;
		break;
	case LFC_BYTES_IN:
		ival = e->bytes_in;
		isnum = 1;
		break;
	case LFC_BYTES_ALL:
		ival = e->bytes_in + e->bytes_out;
		isnum = 1;
		break;
	case LFC_REP_HDR_SIZE:
		ival = e->reply_header_size;
		isnum = 1;
		break;
	case LFC_REQ_HDR_SIZE:
		if (e->request != NULL) {
			ival = e->request->head_len;
			isnum = 1;
		}
		break;
	case LFC_METHOD:
		s = e->method;
		break;
	case LFC_URL:
		s = e->url;
		break;
	case LFC_URL_ORIG:
		s = e->url_orig;
		break;
	case LFC_PATH:
		s = e->path;
		break;
	case LFC_VERSION:
		slen = snprintf(num, sizeof(num), "%d.%d", e->vmajor, e->vminor);
		s = num;
		sized = 1;
		break;
	case LFC_DOMAIN:
		s = e->host;
		break;
	case LFC_SCHEME:
		s = e->scheme;
		break;
	case LFC_PORT:
		if (e->port > 0) {
			ival = e->port;
			isnum = 1;
		}
		break;
	case LFC_USER:
		s = e->user;
		break;
	case LFC_MIME:
		s = e->mime_type;
		break;
	case LFC_REQ_HDR:
	case LFC_REP_HDR:
		so.p = scratch;
		so.len = 0;
		so.cap = LF_SCRATCH;
		if (it->text == NULL) {
			/* no name: the whole header block */
			if (it->code == LFC_REQ_HDR)
				lf_req_headers(&so, LF_Q_NONE, e->request);
			else
				lf_rep_headers(&so, e);
		} else if (lf_header_value(it, e, &so) == 0)
			break;
		s = scratch;
		slen = so.len;
		sized = 1;
		if (it->elem != NULL && !lf_list_member(it, scratch, so.len,
		    &s, &slen)) {
			s = NULL;
			slen = 0;
		}
		break;
	case LFC_ERR_CODE:
		s = e->err_code;
		break;
	case LFC_ERR_DETAIL:
		s = e->err_detail;
		break;
	case LFC_DNS_TIME:
		if (e->dns_ms >= 0) {
			ival = e->dns_ms;
			isnum = 1;
		}
		break;
	case LFC_UP_TIME:
		if (e->upstream_ms >= 0) {
			ival = e->upstream_ms;
			isnum = 1;
		}
		break;
	case LFC_SEQ:
		ival = (long long)e->seq;
		isnum = 1;
		break;
	case LFC_XACTION:
		ival = (long long)e->xaction;
		isnum = 1;
		break;
	case LFC_BUMP_MODE:
		s = e->bump_mode;
		break;
	case LFC_SNI:
		s = e->sni;
		break;
	case LFC_STORE_ID:
		s = e->store_id;
		break;
	case LFC_EXT_TAG:
		s = e->ext_tag;
		break;
	case LFC_EXT_LOG:
		s = e->ext_log;
		break;
	case LFC_EXT_USER:
		s = e->ext_user;
		break;
	case LFC_NOTE:
		if (lf_note(it, e, scratch, &slen)) {
			s = scratch;
			sized = 1;
		}
		break;
	}

	if (isnum) {
		slen = lf_fmt_num(num, ival, it->zero && it->wmin > 0 &&
		    it->wmin < 32 ? it->wmin : 0, 1);
		s = num;
	} else if (s != NULL && !sized)
		slen = strlen(s);
	if (s == NULL || slen == 0) {
		/* Squid prints a bare dash, ignoring width, for no value */
		lf_putc(o, '-');
		return;
	}

	q = it->quote;
	if (q != LF_Q_NONE && q != LF_Q_DEFAULT) {
		eo.p = enc;
		eo.len = 0;
		eo.cap = sizeof(enc);
		lf_encode(&eo, q, s, slen);
		s = enc;
		slen = eo.len;
	}
	/* a maximum truncates strings only; numbers use it as precision */
	if (it->wmax >= 0 && !isnum && it->code != LFC_TR &&
	    it->code != LFC_TSTART && (size_t)it->wmax < slen)
		slen = it->wmax;
	width = it->wmin > 0 && (size_t)it->wmin > slen ? it->wmin - slen : 0;
	if (!it->left)
		lf_pad(o, width);
	lf_put(o, s, slen);
	if (it->left)
		lf_pad(o, width);
}

static void
lf_mime_hdrs(struct lf_out *o, const struct alog_entry *e)
{
	lf_put(o, " [", 2);
	lf_req_headers(o, LF_Q_MIMEBLOB, e->request);
	lf_put(o, "] [", 3);
	if (e->reply_head != NULL)
		lf_encode(o, LF_Q_MIMEBLOB, e->reply_head, e->reply_head_len);
	lf_putc(o, ']');
}

/* The user field of the built-in formats: '[' encoded, "-" when none. */
static void
lf_builtin_user(struct lf_out *o, const char *user)
{
	if (user == NULL || *user == '\0')
		lf_putc(o, '-');
	else
		lf_encode(o, LF_Q_MIMEBLOB, user, strlen(user));
}

/* Squid's header lookup for the built-ins: the first instance, raw. */
static void
lf_builtin_header(struct lf_out *o, const struct alog_entry *e,
    const char *name)
{
	const struct http_msg *m = e->request;
	size_t nlen = strlen(name);
	int i;

	if (m != NULL)
		for (i = 0; i < m->nhdr; i++)
			if (m->hdr[i].name_len == nlen &&
			    strncasecmp(m->hdr[i].name, name, nlen) == 0 &&
			    m->hdr[i].value_len > 0) {
				lf_put(o, m->hdr[i].value, m->hdr[i].value_len);
				return;
			}
	lf_putc(o, '-');
}

static void
lf_render_squid(struct lf_out *o, const struct alog_entry *e,
    int log_mime_hdrs)
{
	char addr[INET6_ADDRSTRLEN];
	const char *a;

	/* "%9ld.%03d %6ld %s %s/%03d %lld %s %s %s %s%s/%s %s" */
	lf_put_num(o, e->end.tv_sec, 9, 0);
	lf_putc(o, '.');
	lf_put_num(o, e->end.tv_usec / 1000, 3, 1);
	lf_putc(o, ' ');
	lf_put_num(o, lf_elapsed_ms(e), 6, 0);
	lf_putc(o, ' ');
	a = lf_addr(&e->client, addr, sizeof(addr));
	lf_puts(o, a ? a : "-");
	lf_putc(o, ' ');
	lf_puts(o, e->result_tag ? e->result_tag : "NONE_NONE");
	lf_putc(o, '/');
	lf_put_num(o, e->status, 3, 1);
	lf_putc(o, ' ');
	lf_put_num(o, e->bytes_out, 0, 0);
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->method));
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->url));
	lf_putc(o, ' ');
	lf_builtin_user(o, e->user);
	lf_putc(o, ' ');
	lf_puts(o, e->hier ? e->hier : "HIER_NONE");
	lf_putc(o, '/');
	a = lf_addr(&e->server, addr, sizeof(addr));
	lf_puts(o, a ? a : "-");
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->mime_type));
	if (log_mime_hdrs)
		lf_mime_hdrs(o, e);
}

/* common and combined share everything but the two header fields. */
static void
lf_render_httpd(struct lf_out *o, const struct alog_entry *e,
    int log_mime_hdrs, int combined)
{
	char caddr[INET6_ADDRSTRLEN], tbuf[64];
	const char *c;

	c = lf_addr(&e->client, caddr, sizeof(caddr));
	lf_httpd_time(e->end.tv_sec, 1, lf_httpd_fmt, tbuf,
	    sizeof(tbuf));
	lf_puts(o, c ? c : "-");
	lf_put(o, " - ", 3);	/* no ident lookups */
	lf_builtin_user(o, e->user);
	lf_put(o, " [", 2);
	lf_puts(o, tbuf);
	lf_put(o, "] \"", 3);
	lf_puts(o, lf_dash(e->method));
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->url));
	lf_put(o, " HTTP/", 6);
	lf_put_num(o, e->vmajor, 0, 0);
	lf_putc(o, '.');
	lf_put_num(o, e->vminor, 0, 0);
	lf_put(o, "\" ", 2);
	lf_put_num(o, e->status, 0, 0);
	lf_putc(o, ' ');
	lf_put_num(o, e->bytes_out, 0, 0);
	if (combined) {
		lf_put(o, " \"", 2);
		lf_builtin_header(o, e, "Referer");
		lf_put(o, "\" \"", 3);
		lf_builtin_header(o, e, "User-Agent");
		lf_putc(o, '"');
	}
	lf_putc(o, ' ');
	lf_puts(o, e->result_tag ? e->result_tag : "NONE_NONE");
	lf_putc(o, ':');
	lf_puts(o, e->hier ? e->hier : "HIER_NONE");
	if (log_mime_hdrs)
		lf_mime_hdrs(o, e);
}

size_t
logformat_render(const struct logformat *f, const struct alog_entry *e,
    int log_mime_hdrs, char *out, size_t outsz)
{
	char scratch[LF_SCRATCH], caddr[INET6_ADDRSTRLEN], tbuf[64];
	struct lf_out o;
	const char *c;
	int i;

	if (outsz < 2) {
		if (outsz == 1)
			out[0] = '\0';
		return 0;
	}
	o.p = out;
	o.len = 0;
	o.cap = outsz - 2;

	switch (f->kind) {
	case LF_KIND_SQUID:
		lf_render_squid(&o, e, log_mime_hdrs);
		break;
	case LF_KIND_COMMON:
	case LF_KIND_COMBINED:
		lf_render_httpd(&o, e, log_mime_hdrs,
		    f->kind == LF_KIND_COMBINED);
		break;
	case LF_KIND_REFERRER:
		c = lf_addr(&e->client, caddr, sizeof(caddr));
		lf_put_num(&o, e->end.tv_sec, 9, 0);
		lf_putc(&o, '.');
		lf_put_num(&o, e->end.tv_usec / 1000, 3, 1);
		lf_putc(&o, ' ');
		lf_puts(&o, c ? c : "-");
		lf_putc(&o, ' ');
		lf_builtin_header(&o, e, "Referer");
		lf_putc(&o, ' ');
		lf_puts(&o, lf_dash(e->url));
		break;
	case LF_KIND_USERAGENT:
		c = lf_addr(&e->client, caddr, sizeof(caddr));
		lf_httpd_time(e->end.tv_sec, 1, lf_httpd_fmt, tbuf,
		    sizeof(tbuf));
		lf_puts(&o, c ? c : "-");
		lf_put(&o, " [", 2);
		lf_puts(&o, tbuf);
		lf_put(&o, "] \"", 3);
		lf_builtin_header(&o, e, "User-Agent");
		lf_putc(&o, '"');
		break;
	case LF_KIND_CUSTOM:
		/* Squid's custom formats ignore log_mime_hdrs */
		for (i = 0; i < f->nitems; i++)
			lf_render_item(&f->items[i], e, &o, scratch);
		break;
	}
	out[o.len++] = '\n';
	out[o.len] = '\0';
	return o.len;
}
