/*
 * Validation (RFC 9111 4.3): the conditional headers sent to revalidate a
 * stored response, evaluating a client's own If-None-Match and
 * If-Modified-Since against what is stored, and merging a 304's headers
 * into the stored head.
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

#include <stdio.h>
#include <string.h>

#include "http_date.h"

/* ------------------------------------------------------------ validation */

size_t
cache_rules_conditional_headers(const struct cache_meta *m, char *buf,
    size_t size)
{
	char date[HTTP_DATE_BUFSZ];
	size_t n = 0;
	int w;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (m->etag_len > 0) {
		w = snprintf(buf, size, "If-None-Match: %.*s\r\n",
		    (int)m->etag_len, m->etag);
		if (w < 0 || (size_t)w >= size) {
			buf[0] = '\0';
			return 0;
		}
		n = (size_t)w;
	}
	if (http_date_format(m->last_modified >= 0 ? m->last_modified :
	    m->date_value, date, sizeof(date)) > 0) {
		w = snprintf(buf + n, size - n, "If-Modified-Since: %s\r\n",
		    date);
		if (w < 0 || (size_t)w >= size - n) {
			buf[0] = '\0';
			return 0;
		}
		n += (size_t)w;
	}
	return n;
}

/*
 * Walk an entity-tag list ("*" handled by the caller): returns the next
 * tag with its W/ prefix (*weak set) stripped, quotes kept, or 0 at the end.
 */
static int
cache_rules_etag_next(const char *v, size_t len, size_t *pos,
    const char **tag, size_t *tlen, int *weak)
{
	size_t p = *pos, s;

	while (p < len && (cache_rules_is_ows(v[p]) || v[p] == ','))
		p++;
	if (p >= len)
		return 0;
	*weak = 0;
	if (p + 1 < len && v[p] == 'W' && v[p + 1] == '/') {
		*weak = 1;
		p += 2;
	}
	s = p;
	if (p < len && v[p] == '"') {
		p++;
		while (p < len && v[p] != '"')
			p++;
		if (p < len)
			p++;
	} else		/* not an entity-tag: take it up to the comma */
		while (p < len && v[p] != ',')
			p++;
	*tag = v + s;
	*tlen = p - s;
	*pos = p;
	return 1;
}

/*
 * Does any tag in the request's list(s) named hname match the stored ETag?
 * Weak comparison ignores W/ on both sides; strong needs neither weak.
 * "*" matches since a stored response exists.
 */
static int
cache_rules_etag_match(const struct cache_meta *m, const struct http_msg *req,
    const char *hname, int strong)
{
	const char *stag = m->etag, *t;
	size_t slen = m->etag_len, pos, tlen;
	int sweak = 0, weak, i;

	if (slen > 2 && stag[0] == 'W' && stag[1] == '/') {
		sweak = 1;
		stag += 2;
		slen -= 2;
	}
	for (i = 0; i < req->nhdr; i++) {
		const struct http_header *h = &req->hdr[i];

		if (!cache_rules_ieq(h->name, h->name_len, hname))
			continue;
		if (h->value_len == 1 && h->value[0] == '*')
			return 1;
		if (slen == 0)
			continue;
		pos = 0;
		while (cache_rules_etag_next(h->value, h->value_len, &pos, &t,
		    &tlen, &weak)) {
			if (strong && (weak || sweak))
				continue;
			if (tlen == slen && memcmp(t, stag, slen) == 0)
				return 1;
		}
	}
	return 0;
}

int
cache_rules_client_conditional(const struct cache_meta *m,
    const struct http_msg *req)
{
	int get_head, has_inm;
	time_t t, ref;

	/* preconditions only apply to what would be a 2xx (RFC 9110 13.2.1) */
	if (m->status < 200 || m->status > 299)
		return 0;
	/* Squid answers a negative hit (a 204 too) in full */
	if (m->cc_flags & CACHE_META_NEGATIVE)
		return 0;
	get_head = cache_rules_ieq2(req->method, req->method_len, "GET", 3) ||
	    cache_rules_ieq2(req->method, req->method_len, "HEAD", 4);
	ref = m->last_modified >= 0 ? m->last_modified : m->date_value;
	if (http_msg_header(req, "If-Match") != NULL) {
		if (!cache_rules_etag_match(m, req, "If-Match", 1))
			return 412;
	} else if (m->last_modified >= 0 &&
	    (t = cache_rules_header_date(req, "If-Unmodified-Since")) >= 0 &&
	    m->last_modified > t)
		return 412;
	has_inm = http_msg_header(req, "If-None-Match") != NULL;
	if (has_inm) {
		if (cache_rules_etag_match(m, req, "If-None-Match", 0))
			return get_head ? 304 : 412;
		return 0;
	}
	if (get_head &&
	    (t = cache_rules_header_date(req, "If-Modified-Since")) >= 0 &&
	    ref <= t)
		return 304;
	return 0;
}

/* -------------------------------------------------------------- 304 merge */

void
cache_rules_out_add(struct cache_rules_out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
cache_rules_out_header(struct cache_rules_out *o, const struct http_header *h)
{
	cache_rules_out_add(o, h->name, h->name_len);
	cache_rules_out_add(o, ": ", 2);
	cache_rules_out_add(o, h->value, h->value_len);
	cache_rules_out_add(o, "\r\n", 2);
}

/*
 * Header fields a 304 must not change (RFC 9111 3.1 and 3.2): framing,
 * hop-by-hop, and content fields describing the stored body as it is.
 */
static int
cache_rules_merge_keep(const struct http_header *h, const struct http_msg *r)
{
	static const char *const keep[] = {
		"content-length", "transfer-encoding", "content-encoding",
		"content-range", "trailer", "connection", "proxy-connection",
		"keep-alive", "te", "upgrade", "proxy-authenticate",
		"proxy-authentication-info", "proxy-authorization"
	};
	const char *e;
	size_t i, pos, elen;
	int k;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (cache_rules_ieq(h->name, h->name_len, keep[i]))
			return 1;
	/* and whatever the 304's Connection names as hop-by-hop */
	for (k = 0; k < r->nhdr; k++) {
		const struct http_header *c = &r->hdr[k];

		if (!cache_rules_ieq(c->name, c->name_len, "connection"))
			continue;
		pos = 0;
		while (pos < c->value_len) {
			while (pos < c->value_len && (c->value[pos] == ',' ||
			    cache_rules_is_ows(c->value[pos])))
				pos++;
			e = c->value + pos;
			while (pos < c->value_len && c->value[pos] != ',' &&
			    !cache_rules_is_ows(c->value[pos]))
				pos++;
			elen = (size_t)(c->value + pos - e);
			if (elen > 0 &&
			    cache_rules_ieq2(h->name, h->name_len, e, elen))
				return 1;
		}
	}
	return 0;
}

static int
cache_rules_msg_has(const struct http_msg *m, const char *name, size_t len)
{
	int i;

	for (i = 0; i < m->nhdr; i++)
		if (cache_rules_ieq2(m->hdr[i].name, m->hdr[i].name_len, name,
		    len))
			return 1;
	return 0;
}

size_t
cache_rules_merge_304(const struct http_msg *stored,
    const struct http_msg *resp304, time_t response_time, char *out,
    size_t size)
{
	struct cache_rules_out o = { out, size > 0 ? size - 1 : 0, 0 };
	char line[64], date[HTTP_DATE_BUFSZ];
	int i, n, new_date;

	n = snprintf(line, sizeof(line), "HTTP/%d.%d %03d ", stored->vmajor,
	    stored->vminor, stored->status);
	cache_rules_out_add(&o, line, (size_t)n);
	cache_rules_out_add(&o, stored->reason, stored->reason_len);
	cache_rules_out_add(&o, "\r\n", 2);
	new_date = http_msg_header(resp304, "Date") == NULL &&
	    http_date_format(response_time, date, sizeof(date)) > 0;
	for (i = 0; i < stored->nhdr; i++) {
		const struct http_header *h = &stored->hdr[i];

		/* Age describes only the newest response */
		if (cache_rules_ieq(h->name, h->name_len, "age"))
			continue;
		if (new_date && cache_rules_ieq(h->name, h->name_len, "date"))
			continue;
		if (!cache_rules_merge_keep(h, resp304) &&
		    cache_rules_msg_has(resp304, h->name, h->name_len))
			continue;
		cache_rules_out_header(&o, h);
	}
	for (i = 0; i < resp304->nhdr; i++) {
		const struct http_header *h = &resp304->hdr[i];

		if (!cache_rules_merge_keep(h, resp304))
			cache_rules_out_header(&o, h);
	}
	if (new_date) {
		cache_rules_out_add(&o, "Date: ", 6);
		cache_rules_out_add(&o, date, HTTP_DATE_LEN);
		cache_rules_out_add(&o, "\r\n", 2);
	}
	cache_rules_out_add(&o, "\r\n", 2);
	if (size > 0)
		out[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int
cache_rules_if_range(const struct http_msg *req, const struct http_msg *resp)
{
	const struct http_header *ir = http_msg_header(req, "If-Range");

	if (ir == NULL)
		return 1;
	const struct http_header *v = http_msg_header(resp,
	    ir->value_len > 0 && ir->value[0] == '"' ? "ETag" :
	    "Last-Modified");
	return v != NULL && v->value_len == ir->value_len &&
	    memcmp(v->value, ir->value, ir->value_len) == 0;
}
