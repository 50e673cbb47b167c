/*
 * Parsing of the header fields the cache rules read: Cache-Control of
 * requests and responses (with Pragma: no-cache), delta-seconds and dates,
 * and a client's Range, plus the case-insensitive token compares the other
 * cache_rules files share.
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

#include <string.h>
#include <strings.h>

#include "http_date.h"

/* ---------------------------------------------------------------- helpers */

int
cache_rules_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (y == '\0')
			return 0;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 0;
	}
	return b[alen] == '\0';
}

int
cache_rules_ieq2(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 0;
	}
	return 1;
}

int
cache_rules_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * delta-seconds (RFC 9111 1.2.2): digits only, capped at 2^31.  Returns the
 * value or -1 if s is not a valid delta-seconds.
 */
int64_t
cache_rules_delta(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v < CACHE_RULES_DELTA_MAX)
			v = v * 10 + (s[i] - '0');
	}
	return v > CACHE_RULES_DELTA_MAX ? CACHE_RULES_DELTA_MAX : v;
}

time_t
cache_rules_header_date(const struct http_msg *m, const char *name)
{
	const struct http_header *h = http_msg_header(m, name);

	if (h == NULL)
		return -1;
	return http_date_parse(h->value, h->value_len);
}

/* ------------------------------------------------------ Cache-Control parse */

struct cache_rules_dir {
	const char	*name, *val;
	size_t		 nlen, vlen;
	int		 has_val;
};

/*
 * Next directive of a Cache-Control value from *pos: a token, optionally
 * "=" token or quoted-string (quotes stripped, escapes left in place).  A
 * quoted value may hold commas (no-cache="a, b"), which is why the generic
 * list walker of http_parse cannot be used.  Returns 0 at the end.
 */
static int
cache_rules_dir_next(const char *v, size_t len, size_t *pos,
    struct cache_rules_dir *d)
{
	size_t p = *pos;

	for (;;) {
		while (p < len && (cache_rules_is_ows(v[p]) || v[p] == ','))
			p++;
		if (p >= len) {
			*pos = p;
			return 0;
		}
		d->name = v + p;
		while (p < len && v[p] != ',' && v[p] != '=' &&
		    !cache_rules_is_ows(v[p]))
			p++;
		d->nlen = (size_t)(v + p - d->name);
		d->has_val = 0;
		d->val = NULL;
		d->vlen = 0;
		while (p < len && cache_rules_is_ows(v[p]))
			p++;
		if (p < len && v[p] == '=') {
			p++;
			while (p < len && cache_rules_is_ows(v[p]))
				p++;
			d->has_val = 1;
			if (p < len && v[p] == '"') {
				d->val = v + ++p;
				while (p < len && v[p] != '"') {
					if (v[p] == '\\' && p + 1 < len)
						p++;
					p++;
				}
				d->vlen = (size_t)(v + p - d->val);
				if (p < len)
					p++;
			} else {
				d->val = v + p;
				while (p < len && v[p] != ',' &&
				    !cache_rules_is_ows(v[p]))
					p++;
				d->vlen = (size_t)(v + p - d->val);
			}
		}
		/* anything else up to the comma is junk; skip it */
		while (p < len && v[p] != ',')
			p++;
		*pos = p;
		if (d->nlen > 0)
			return 1;
	}
}

/*
 * A response delta directive: missing or invalid value means "stale" (0),
 * as RFC 9111 4.2.1 encourages; a second occurrence with a different value
 * is a conflict and also means stale (the most restrictive reading).
 */
static void
cache_rules_resp_delta(int64_t *slot, const struct cache_rules_dir *d)
{
	int64_t v = d->has_val ? cache_rules_delta(d->val, d->vlen) : -1;

	if (v < 0)
		v = 0;
	if (*slot >= 0 && *slot != v)
		v = 0;
	*slot = v;
}

/* Optional extension deltas: invalid ones are ignored, duplicates take min. */
static void
cache_rules_min_delta(int64_t *slot, const struct cache_rules_dir *d)
{
	int64_t v = d->has_val ? cache_rules_delta(d->val, d->vlen) : -1;

	if (v < 0)
		return;
	if (*slot < 0 || v < *slot)
		*slot = v;
}

void
cache_rules_resp_cc(const struct http_msg *resp, struct cache_resp_cc *cc)
{
	struct cache_rules_dir d;
	size_t pos;
	int i;

	cc->max_age = cc->s_maxage = -1;
	cc->stale_while_revalidate = cc->stale_if_error = -1;
	cc->flags = 0;
	for (i = 0; i < resp->nhdr; i++) {
		const struct http_header *h = &resp->hdr[i];

		if (!cache_rules_ieq(h->name, h->name_len, "cache-control"))
			continue;
		pos = 0;
		while (cache_rules_dir_next(h->value, h->value_len, &pos, &d)) {
			if (cache_rules_ieq(d.name, d.nlen, "max-age"))
				cache_rules_resp_delta(&cc->max_age, &d);
			else if (cache_rules_ieq(d.name, d.nlen, "s-maxage"))
				cache_rules_resp_delta(&cc->s_maxage, &d);
			else if (cache_rules_ieq(d.name, d.nlen, "no-cache"))
				cc->flags |= CACHE_RESP_NO_CACHE |
				    (d.has_val ?
				    CACHE_RESP_NO_CACHE_FIELDS : 0);
			else if (cache_rules_ieq(d.name, d.nlen, "no-store"))
				cc->flags |= CACHE_RESP_NO_STORE;
			else if (cache_rules_ieq(d.name, d.nlen, "private"))
				cc->flags |= CACHE_RESP_PRIVATE |
				    (d.has_val ? CACHE_RESP_PRIVATE_FIELDS : 0);
			else if (cache_rules_ieq(d.name, d.nlen, "public"))
				cc->flags |= CACHE_RESP_PUBLIC;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "must-revalidate"))
				cc->flags |= CACHE_RESP_MUST_REVALIDATE;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "proxy-revalidate"))
				cc->flags |= CACHE_RESP_PROXY_REVALIDATE;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "must-understand"))
				cc->flags |= CACHE_RESP_MUST_UNDERSTAND;
			else if (cache_rules_ieq(d.name, d.nlen, "immutable"))
				cc->flags |= CACHE_RESP_IMMUTABLE;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "no-transform"))
				cc->flags |= CACHE_RESP_NO_TRANSFORM;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "stale-while-revalidate"))
				cache_rules_min_delta(
				    &cc->stale_while_revalidate, &d);
			else if (cache_rules_ieq(d.name, d.nlen,
			    "stale-if-error"))
				cache_rules_min_delta(&cc->stale_if_error, &d);
			/* unknown directives are ignored (RFC 9111 5.2.3) */
		}
	}
}

void
cache_rules_req_cc(const struct http_msg *req, struct cache_req_cc *cc)
{
	struct cache_rules_dir d;
	int64_t v;
	size_t pos;
	int i, seen = 0;

	cc->max_age = cc->max_stale = cc->min_fresh = -1;
	cc->stale_if_error = -1;
	cc->flags = 0;
	cc->refresh_flags = 0;
	for (i = 0; i < req->nhdr; i++) {
		const struct http_header *h = &req->hdr[i];

		if (!cache_rules_ieq(h->name, h->name_len, "cache-control"))
			continue;
		seen = 1;
		pos = 0;
		while (cache_rules_dir_next(h->value, h->value_len, &pos, &d)) {
			v = d.has_val ? cache_rules_delta(d.val, d.vlen) : -1;
			if (cache_rules_ieq(d.name, d.nlen, "max-age")) {
				/* invalid: insist on revalidation */
				if (v < 0)
					v = 0;
				if (cc->max_age < 0 || v < cc->max_age)
					cc->max_age = v;
			} else if (cache_rules_ieq(d.name, d.nlen,
			    "max-stale")) {
				if (!d.has_val)
					v = CACHE_RULES_ANY;
				/* invalid: accept no staleness at all */
				if (v >= 0 && (cc->max_stale < 0 ||
				    v < cc->max_stale))
					cc->max_stale = v;
			} else if (cache_rules_ieq(d.name, d.nlen,
			    "min-fresh")) {
				if (v > cc->min_fresh)
					cc->min_fresh = v;
			} else if (cache_rules_ieq(d.name, d.nlen,
			    "stale-if-error"))
				cache_rules_min_delta(&cc->stale_if_error, &d);
			else if (cache_rules_ieq(d.name, d.nlen, "no-cache"))
				cc->flags |= CACHE_REQ_NO_CACHE;
			else if (cache_rules_ieq(d.name, d.nlen, "no-store"))
				cc->flags |= CACHE_REQ_NO_STORE;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "only-if-cached"))
				cc->flags |= CACHE_REQ_ONLY_IF_CACHED;
			else if (cache_rules_ieq(d.name, d.nlen,
			    "no-transform"))
				cc->flags |= CACHE_REQ_NO_TRANSFORM;
		}
	}
	/* Pragma counts only when Cache-Control is absent (RFC 7234 5.4) */
	if (!seen && http_msg_has_token(req, "Pragma", "no-cache"))
		cc->flags |= CACHE_REQ_NO_CACHE | CACHE_REQ_PRAGMA;
}

/* ----------------------------------------------------------------- range */

static int
cache_rules_digits(const char **p, const char *end, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	if (*p == s)
		return -1;
	*out = v;
	return 0;
}

int
cache_rules_range(const char *v, size_t len, int64_t size, int64_t *first,
    int64_t *last)
{
	const char *p = v, *end = v + len;
	int64_t a = -1, b = -1;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 6 || strncasecmp(p, "bytes=", 6) != 0)
		return 0;
	p += 6;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '-') {		/* suffix: the last N bytes */
		p++;
		if (cache_rules_digits(&p, end, &b) == -1)
			return 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p != end)
			return 0;	/* several ranges: whole body */
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (cache_rules_digits(&p, end, &a) == -1 || p >= end || *p != '-')
		return 0;
	p++;
	if (p < end && *p >= '0' && *p <= '9' &&
	    cache_rules_digits(&p, end, &b) == -1)
		return 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p != end || (b >= 0 && b < a))
		return 0;
	if (a >= size)
		return -1;
	*first = a;
	*last = b < 0 || b >= size ? size - 1 : b;
	return 1;
}

int
cache_rules_content_range(const char *v, size_t len, int64_t *first,
    int64_t *last, int64_t *complete)
{
	const char *p = v, *end = v + len;
	int64_t a, b, n;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 6 || strncasecmp(p, "bytes ", 6) != 0)
		return -1;
	p += 6;
	while (p < end && *p == ' ')
		p++;
	if (cache_rules_digits(&p, end, &a) == -1 || p >= end || *p++ != '-' ||
	    cache_rules_digits(&p, end, &b) == -1 || p >= end || *p++ != '/' ||
	    cache_rules_digits(&p, end, &n) == -1)
		return -1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	/* RFC 9110 14.4: last >= first, and inside the complete length */
	if (p != end || b < a || b >= n)
		return -1;
	*first = a;
	*last = b;
	*complete = n;
	return 0;
}
