/*
 * RFC 9111 shared-cache rules and Squid's refresh_pattern heuristics over
 * parsed heads.  Everything here is a pure function of its arguments (the
 * caller passes the clock), works in fixed buffers, and answers with a
 * value plus a static reason so the worker can log why.  Where RFC 9111
 * leaves a choice, the more conservative reading is taken and said so next
 * to the code.
 */
#include "config.h"
#include "cache_rules.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "http_date.h"
#include "url.h"

/* ---------------------------------------------------------------- helpers */

static int
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

static int
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

static int
cache_rules_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * delta-seconds (RFC 9111 1.2.2): digits only, capped at 2^31.  Returns the
 * value or -1 if s is not a valid delta-seconds.
 */
static int64_t
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

static time_t
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

/* ---------------------------------------------------------- refresh_pattern */

const struct cfg_refresh *
cache_rules_refresh_match(const struct cfg_refresh *list, const char *url)
{
	for (; list != NULL; list = list->next)
		if (list->regex != NULL &&
		    regexec((const regex_t *)list->regex, url, 0, NULL, 0) == 0)
			return list;
	return NULL;
}

int64_t
cache_rules_refresh_max(const struct cfg_refresh *rp)
{
	return rp != NULL ? rp->max_s : CACHE_RULES_DEFAULT_MAX;
}

/* --------------------------------------------------------------- metadata */

void
cache_rules_meta_fill(struct cache_meta *m, const struct http_msg *req,
    const struct http_msg *resp, time_t request_time, time_t response_time)
{
	const struct http_header *h;
	struct cache_resp_cc cc;
	time_t t;

	(void)req;
	memset(m, 0, sizeof(*m));
	m->request_time = request_time;
	m->response_time = response_time;
	t = cache_rules_header_date(resp, "Date");
	m->date_value = t >= 0 ? t : response_time;
	m->age_value = 0;
	if ((h = http_msg_header(resp, "Age")) != NULL) {
		size_t n = 0;

		/* a list (from a bad merge upstream): the first member */
		while (n < h->value_len && h->value[n] != ',')
			n++;
		while (n > 0 && cache_rules_is_ows(h->value[n - 1]))
			n--;
		if ((m->age_value = cache_rules_delta(h->value, n)) < 0)
			m->age_value = 0;
	}
	m->expires = -1;
	if ((h = http_msg_header(resp, "Expires")) != NULL) {
		/* invalid dates, "0" too, are in the past (RFC 9111 5.3) */
		t = http_date_parse(h->value, h->value_len);
		m->expires = t >= 0 ? t : 0;
	}
	m->last_modified = cache_rules_header_date(resp, "Last-Modified");
	cache_rules_resp_cc(resp, &cc);
	m->max_age = cc.max_age;
	m->s_maxage = cc.s_maxage;
	m->stale_while_revalidate = cc.stale_while_revalidate;
	m->stale_if_error = cc.stale_if_error;
	m->cc_flags = cc.flags;
	m->status = resp->status;
	if ((h = http_msg_header(resp, "ETag")) != NULL &&
	    h->value_len > 0 && h->value_len <= CACHE_META_ETAG_MAX) {
		memcpy(m->etag, h->value, h->value_len);
		m->etag_len = h->value_len;
	}
}

static void
cache_rules_put64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static int64_t
cache_rules_get64(const uint8_t *p)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

/*
 * Layout, little-endian: 0 version, 1 reserved (0), 2-3 status, 4-7
 * cc_flags, 8-87 ten int64 (request_time, response_time, date_value,
 * age_value, expires, last_modified, max_age, s_maxage,
 * stale_while_revalidate, stale_if_error), 88-89 etag_len, 90- etag.
 */
size_t
cache_rules_meta_serialize(const struct cache_meta *m, uint8_t *buf,
    size_t size)
{
	const int64_t f[10] = { m->request_time, m->response_time,
	    m->date_value, m->age_value, m->expires, m->last_modified,
	    m->max_age, m->s_maxage, m->stale_while_revalidate,
	    m->stale_if_error };
	size_t need = 90 + m->etag_len;
	int i;

	if (size < need || m->etag_len > CACHE_META_ETAG_MAX)
		return 0;
	buf[0] = CACHE_META_VERSION;
	buf[1] = 0;
	buf[2] = (uint8_t)(m->status & 0xff);
	buf[3] = (uint8_t)((m->status >> 8) & 0xff);
	for (i = 0; i < 4; i++)
		buf[4 + i] = (uint8_t)(m->cc_flags >> (8 * i));
	for (i = 0; i < 10; i++)
		cache_rules_put64(buf + 8 + 8 * i, f[i]);
	buf[88] = (uint8_t)(m->etag_len & 0xff);
	buf[89] = (uint8_t)(m->etag_len >> 8);
	memcpy(buf + 90, m->etag, m->etag_len);
	return need;
}

int
cache_rules_meta_deserialize(struct cache_meta *m, const uint8_t *buf,
    size_t len)
{
	int64_t *f[10] = { &m->request_time, &m->response_time,
	    &m->date_value, &m->age_value, &m->expires, &m->last_modified,
	    &m->max_age, &m->s_maxage, &m->stale_while_revalidate,
	    &m->stale_if_error };
	size_t etag_len;
	int i;

	if (len < 90 || buf[0] != CACHE_META_VERSION)
		return -1;
	etag_len = (size_t)buf[88] | (size_t)buf[89] << 8;
	if (etag_len > CACHE_META_ETAG_MAX || len != 90 + etag_len)
		return -1;
	memset(m, 0, sizeof(*m));
	m->status = buf[2] | buf[3] << 8;
	for (i = 0; i < 4; i++)
		m->cc_flags |= (uint32_t)buf[4 + i] << (8 * i);
	for (i = 0; i < 10; i++)
		*f[i] = cache_rules_get64(buf + 8 + 8 * i);
	m->etag_len = etag_len;
	memcpy(m->etag, buf + 90, etag_len);
	return 0;
}

/* ------------------------------------------------------------- freshness */

int64_t
cache_rules_current_age(const struct cache_meta *m, time_t now)
{
	int64_t apparent, delay, corrected_age, initial, resident;

	apparent = m->response_time - m->date_value;
	if (apparent < 0)
		apparent = 0;
	delay = m->response_time - m->request_time;
	if (delay < 0)
		delay = 0;
	corrected_age = m->age_value + delay;
	initial = apparent > corrected_age ? apparent : corrected_age;
	resident = (int64_t)now - m->response_time;
	if (resident < 0)	/* clock stepped back: no negative ages */
		resident = 0;
	return initial + resident;
}

/*
 * squid-compat 3.7: explicit expiry wins (override-expire raises it to
 * MIN); otherwise stale past MAX, else the LM-factor when Last-Modified is
 * before Date, else MIN.  Squid's tests are "fresh while age < LM-factor"
 * (a real number), "stale if age > MAX" and "fresh while age < MIN"; with
 * whole-second ages these are lifetimes of ceil(LM-factor), MAX + 1 and
 * MIN under RFC 9111's "fresh while lifetime > age".
 */
int64_t
cache_rules_freshness_lifetime(const struct cache_meta *m,
    const struct cfg_refresh *rp)
{
	int64_t min = rp ? rp->min_s : CACHE_RULES_DEFAULT_MIN;
	int64_t max = rp ? rp->max_s : CACHE_RULES_DEFAULT_MAX;
	int64_t pct = rp ? rp->pct : CACHE_RULES_DEFAULT_PCT;
	unsigned flags = rp ? rp->flags : 0;
	int64_t explicit_ = -1, h;

	if (m->s_maxage >= 0)
		explicit_ = m->s_maxage;
	else if (m->max_age >= 0)
		explicit_ = m->max_age;
	else if (m->expires >= 0)
		explicit_ = m->expires > m->date_value ?
		    m->expires - m->date_value : 0;
	if (explicit_ >= 0) {
		if ((flags & CFG_REFRESH_OVERRIDE_EXPIRE) && explicit_ < min)
			return min;
		return explicit_;
	}
	if (m->last_modified >= 0 && m->last_modified < m->date_value) {
		h = ((m->date_value - m->last_modified) * pct + 99) / 100;
		if ((flags & CFG_REFRESH_OVERRIDE_LASTMOD) && h < min)
			h = min;
	} else
		h = min;
	if (h > max + 1)
		h = max + 1;
	return h < 0 ? 0 : h;
}

/* ------------------------------------------------------------ storability */

/* Status codes whose semantics this cache implements (RFC 9110 15). */
static int
cache_rules_status_understood(int s)
{
	if (s >= 200 && s <= 205)
		return 1;
	if ((s >= 300 && s <= 305) || s == 307 || s == 308)
		return 1;
	if ((s >= 400 && s <= 417) || s == 421 || s == 422 || s == 426 ||
	    s == 451)
		return 1;
	return s >= 500 && s <= 505;
}

/* RFC 9110 15.1: cacheable by default (206 listed, refused earlier). */
static int
cache_rules_status_heuristic(int s)
{
	switch (s) {
	case 200: case 203: case 204: case 206: case 300: case 301:
	case 308: case 404: case 405: case 410: case 414: case 501:
		return 1;
	}
	return 0;
}

#define CACHE_RULES_NO(r)	do { if (reason) *reason = (r); return 0; } \
	while (0)

int
cache_rules_storable(const struct http_msg *req, const struct http_msg *resp,
    const struct cfg_refresh *rp, time_t now, int64_t min_expiry_s,
    const char **reason)
{
	struct cache_req_cc rcc;
	struct cache_meta meta;
	unsigned rflags = rp ? rp->flags : 0;
	int understood, explicit_;
	int64_t left;

	if (!cache_rules_ieq2(req->method, req->method_len, "GET", 3))
		CACHE_RULES_NO("method is not GET");
	if (resp->status < 200)
		CACHE_RULES_NO("status is not final");
	if (resp->status == 206)
		CACHE_RULES_NO("partial content is not stored");
	if (resp->status == 304)
		CACHE_RULES_NO("304 only updates a stored response");
	cache_rules_meta_fill(&meta, req, resp, now, now);
	understood = cache_rules_status_understood(resp->status);
	if ((meta.cc_flags & CACHE_RESP_MUST_UNDERSTAND) && !understood)
		CACHE_RULES_NO("must-understand with an unknown status");
	cache_rules_req_cc(req, &rcc);
	if (rcc.flags & CACHE_REQ_NO_STORE)
		CACHE_RULES_NO("request no-store");
	/*
	 * must-understand with a status we implement lifts no-store (RFC 9111
	 * 3); Squid's ignore-no-store lifts it by configuration.
	 */
	if ((meta.cc_flags & CACHE_RESP_NO_STORE) &&
	    !(meta.cc_flags & CACHE_RESP_MUST_UNDERSTAND) &&
	    !(rflags & CFG_REFRESH_IGNORE_NO_STORE))
		CACHE_RULES_NO("response no-store");
	/*
	 * A qualified private="field" allows storing the rest, but few
	 * implement it; refusing the whole response is the safe reading.
	 */
	if ((meta.cc_flags & CACHE_RESP_PRIVATE) &&
	    !(rflags & CFG_REFRESH_IGNORE_PRIVATE))
		CACHE_RULES_NO("response private");
	if (http_msg_header(req, "Authorization") != NULL &&
	    !(meta.cc_flags & (CACHE_RESP_PUBLIC | CACHE_RESP_MUST_REVALIDATE))
	    && meta.s_maxage < 0)
		CACHE_RULES_NO("Authorization without public, s-maxage or "
		    "must-revalidate");
	if (http_msg_has_token(resp, "Vary", "*"))
		CACHE_RULES_NO("Vary: *");
	explicit_ = meta.s_maxage >= 0 || meta.max_age >= 0 ||
	    meta.expires >= 0;
	if (!explicit_ && !(meta.cc_flags & CACHE_RESP_PUBLIC) &&
	    !cache_rules_status_heuristic(resp->status))
		CACHE_RULES_NO("status not cacheable without explicit "
		    "freshness");
	/*
	 * Squid's minimum_expiry_time: what cannot be revalidated and will be
	 * stale almost at once is useless to keep, unless store-stale says
	 * keep it anyway.
	 */
	if (meta.etag_len == 0 && meta.last_modified < 0 &&
	    !(rflags & CFG_REFRESH_STORE_STALE)) {
		left = cache_rules_freshness_lifetime(&meta, rp) -
		    cache_rules_current_age(&meta, now);
		if (left <= 0 || left < min_expiry_s)
			CACHE_RULES_NO("no validator and stale within "
			    "minimum_expiry_time");
	}
	if (reason)
		*reason = "storable";
	return 1;
}

/* --------------------------------------------------------------- decision */

static enum cache_verdict
cache_rules_verdict(struct cache_decision *out, enum cache_verdict v,
    const char *reason)
{
	out->verdict = v;
	out->reason = reason;
	return v;
}

enum cache_verdict
cache_rules_decide(const struct cache_meta *m, const struct http_msg *req,
    const struct cache_req_cc *rcc, const struct cfg_refresh *rp, time_t now,
    struct cache_decision *out)
{
	unsigned rflags = rp ? rp->flags : 0;
	int64_t staleness;
	int fresh;

	out->age = cache_rules_current_age(m, now);
	out->lifetime = cache_rules_freshness_lifetime(m, rp);
	out->stale = 0;
	out->only_if_cached = !!(rcc->flags & CACHE_REQ_ONLY_IF_CACHED);
	fresh = out->lifetime > out->age;
	staleness = fresh ? 0 : out->age - out->lifetime;

	/* refresh-ims: a client conditional goes to the origin */
	if ((rflags & CFG_REFRESH_REFRESH_IMS) &&
	    (http_msg_header(req, "If-Modified-Since") != NULL ||
	    http_msg_header(req, "If-None-Match") != NULL))
		return cache_rules_verdict(out, CACHE_STALE, "refresh-ims");
	/*
	 * Client no-cache (or Pragma): RFC 9111 5.2.1.4 only requires
	 * validation; Squid fetches anew (logged TCP_MISS) unless
	 * reload-into-ims asks for validation (only possible with
	 * Last-Modified or a strong ETag, as Squid documents) or
	 * ignore-reload drops it.  A force reload stays one even for
	 * immutable (RFC 8246 2).
	 */
	if ((rcc->flags & CACHE_REQ_NO_CACHE) &&
	    !(rflags & CFG_REFRESH_IGNORE_RELOAD)) {
		if ((rflags & CFG_REFRESH_RELOAD_INTO_IMS) &&
		    (m->last_modified >= 0 || (m->etag_len > 0 &&
		    m->etag[0] == '"')))
			return cache_rules_verdict(out, CACHE_STALE,
			    "client no-cache, reload-into-ims");
		return cache_rules_verdict(out, CACHE_RELOAD,
		    "client no-cache");
	}
	if (m->cc_flags & CACHE_RESP_NO_CACHE)
		return cache_rules_verdict(out, CACHE_STALE,
		    "response no-cache");
	/*
	 * Request max-age: max-age=0 is a plain reload, which RFC 8246 says
	 * not to turn into validation while an immutable response is fresh.
	 */
	if (rcc->max_age >= 0 && out->age > rcc->max_age &&
	    !(fresh && rcc->max_age == 0 &&
	    (m->cc_flags & CACHE_RESP_IMMUTABLE)))
		return cache_rules_verdict(out, CACHE_STALE,
		    "older than request max-age");
	if (fresh) {
		if (rcc->min_fresh >= 0 &&
		    out->lifetime - out->age < rcc->min_fresh)
			return cache_rules_verdict(out, CACHE_STALE,
			    "fresh for less than request min-fresh");
		return cache_rules_verdict(out, CACHE_FRESH, "fresh");
	}
	/* stale: may it be served without validation? (RFC 9111 4.2.4) */
	if ((m->cc_flags & (CACHE_RESP_MUST_REVALIDATE |
	    CACHE_RESP_PROXY_REVALIDATE)) || m->s_maxage >= 0)
		return cache_rules_verdict(out, CACHE_STALE,
		    "stale, must-revalidate");
	if (rcc->max_stale >= 0 && (rcc->max_stale == CACHE_RULES_ANY ||
	    staleness <= rcc->max_stale)) {
		out->stale = 1;
		return cache_rules_verdict(out, CACHE_FRESH,
		    "stale within request max-stale");
	}
	if (m->stale_while_revalidate >= 0 &&
	    staleness <= m->stale_while_revalidate)
		return cache_rules_verdict(out, CACHE_STALE_SWR,
		    "stale within stale-while-revalidate");
	return cache_rules_verdict(out, CACHE_STALE, "stale");
}

int
cache_rules_stale_on_error(const struct cache_meta *m,
    const struct cache_req_cc *rcc, const struct cfg_refresh *rp,
    int upstream_status, time_t now, int64_t max_stale_s)
{
	int64_t age, lifetime, staleness, limit;

	if (upstream_status != 0 && (upstream_status < 500 ||
	    upstream_status > 599))
		return 0;
	/* RFC 9111 4.2.4: these forbid stale responses outright */
	if ((m->cc_flags & (CACHE_RESP_MUST_REVALIDATE |
	    CACHE_RESP_PROXY_REVALIDATE | CACHE_RESP_NO_CACHE)) ||
	    m->s_maxage >= 0)
		return 0;
	age = cache_rules_current_age(m, now);
	lifetime = cache_rules_freshness_lifetime(m, rp);
	staleness = age > lifetime ? age - lifetime : 0;
	if (m->stale_if_error >= 0 && staleness <= m->stale_if_error)
		return 1;
	if (rcc != NULL) {
		if (rcc->stale_if_error >= 0 &&
		    staleness <= rcc->stale_if_error)
			return 1;
		if (rcc->max_stale >= 0 && (rcc->max_stale == CACHE_RULES_ANY ||
		    staleness <= rcc->max_stale))
			return 1;
	}
	limit = rp != NULL && rp->max_stale_s >= 0 ? rp->max_stale_s :
	    max_stale_s;
	return staleness <= limit;
}

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

struct cache_rules_out {
	char		*buf;
	size_t		 size, len;
};

static void
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

/* ------------------------------------------------------------------- Vary */

/*
 * Append the normalized value: OWS runs become one space, OWS around
 * commas becomes exactly ", ", so list spellings that mean the same key
 * alike.
 */
static void
cache_rules_vary_value(struct cache_rules_out *o, const char *v, size_t len)
{
	size_t i = 0;
	int pending_sp = 0;

	while (i < len) {
		if (cache_rules_is_ows(v[i])) {
			pending_sp = 1;
			i++;
			continue;
		}
		if (v[i] == ',') {
			cache_rules_out_add(o, ", ", 2);
			pending_sp = 0;
			i++;
			while (i < len && cache_rules_is_ows(v[i]))
				i++;
			continue;
		}
		if (pending_sp)
			cache_rules_out_add(o, " ", 1);
		pending_sp = 0;
		cache_rules_out_add(o, v + i, 1);
		i++;
	}
}

static void
cache_rules_vary_field(struct cache_rules_out *o, const char *name,
    size_t nlen, const struct http_msg *req)
{
	size_t k;
	int i, found = 0;
	char c;

	for (k = 0; k < nlen; k++) {
		c = name[k];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		cache_rules_out_add(o, &c, 1);
	}
	for (i = 0; i < req->nhdr; i++) {
		const struct http_header *h = &req->hdr[i];

		if (!cache_rules_ieq2(h->name, h->name_len, name, nlen))
			continue;
		cache_rules_out_add(o, found ? ", " : "=", found ? 2 : 1);
		cache_rules_vary_value(o, h->value, h->value_len);
		found = 1;
	}
	cache_rules_out_add(o, "\n", 1);
}

/* Add the fields of one Vary value; -1 on "*". */
static int
cache_rules_vary_list(struct cache_rules_out *o, const char *v, size_t len,
    const struct http_msg *req)
{
	size_t p = 0, s, e;

	while (p < len) {
		while (p < len && (v[p] == ',' || cache_rules_is_ows(v[p])))
			p++;
		s = p;
		while (p < len && v[p] != ',')
			p++;
		e = p;
		while (e > s && cache_rules_is_ows(v[e - 1]))
			e--;
		if (e == s)
			continue;
		if (e - s == 1 && v[s] == '*')
			return -1;
		cache_rules_vary_field(o, v + s, e - s, req);
	}
	return 0;
}

static int
cache_rules_vary_done(struct cache_rules_out *o, char *buf, size_t size)
{
	if (o->len >= size)
		return -2;
	buf[o->len] = '\0';
	return (int)o->len;
}

int
cache_rules_vary_key_str(const char *vary, size_t vary_len,
    const struct http_msg *req, char *buf, size_t size)
{
	struct cache_rules_out o = { buf, size, 0 };

	if (cache_rules_vary_list(&o, vary, vary_len, req) == -1)
		return -1;
	return cache_rules_vary_done(&o, buf, size);
}

int
cache_rules_vary_key(const struct http_msg *resp, const struct http_msg *req,
    char *buf, size_t size)
{
	struct cache_rules_out o = { buf, size, 0 };
	int i;

	for (i = 0; i < resp->nhdr; i++) {
		const struct http_header *h = &resp->hdr[i];

		if (cache_rules_ieq(h->name, h->name_len, "vary") &&
		    cache_rules_vary_list(&o, h->value, h->value_len,
		    req) == -1)
			return -1;
	}
	return cache_rules_vary_done(&o, buf, size);
}

/* ----------------------------------------------------------- invalidation */

int
cache_rules_method_is_safe(const char *method, size_t len)
{
	/* RFC 9110 9.2.1; method names are case-sensitive */
	return (len == 3 && memcmp(method, "GET", 3) == 0) ||
	    (len == 4 && memcmp(method, "HEAD", 4) == 0) ||
	    (len == 7 && memcmp(method, "OPTIONS", 7) == 0) ||
	    (len == 5 && memcmp(method, "TRACE", 5) == 0);
}

/* RFC 3986 5.2.4, on a path of at most CACHE_INVAL_URL_MAX bytes. */
static void
cache_rules_remove_dots(const char *in, size_t len, char *out, size_t *olen)
{
	size_t o = 0, i = 0;

	while (i < len) {
		if (len - i >= 3 && memcmp(in + i, "../", 3) == 0)
			i += 3;
		else if (len - i >= 2 && memcmp(in + i, "./", 2) == 0)
			i += 2;
		else if (len - i >= 3 && memcmp(in + i, "/./", 3) == 0)
			i += 2;
		else if (len - i == 2 && memcmp(in + i, "/.", 2) == 0) {
			out[o++] = '/';
			i += 2;
		} else if ((len - i >= 4 && memcmp(in + i, "/../", 4) == 0) ||
		    (len - i == 3 && memcmp(in + i, "/..", 3) == 0)) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (len - i == 3) {
				out[o++] = '/';
				i += 3;
			} else
				i += 3;
		} else if ((len - i == 1 && in[i] == '.') ||
		    (len - i == 2 && memcmp(in + i, "..", 2) == 0))
			i = len;
		else {
			if (in[i] == '/')
				out[o++] = in[i++];
			while (i < len && in[i] != '/')
				out[o++] = in[i++];
		}
	}
	*olen = o;
}

static int
cache_rules_has_scheme(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
		return 0;
	for (i = 1; i < len; i++) {
		char c = s[i];

		if (c == ':')
			return 1;
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/*
 * Resolve ref against base (RFC 3986 5.2.2) into abs.  Returns the length
 * or 0 if it does not fit.
 */
static size_t
cache_rules_resolve(const struct url *base, const char *ref, size_t rlen,
    char *abs, size_t size)
{
	char auth[URL_HOST_MAX + 16], path[CACHE_INVAL_URL_MAX];
	char dots[CACHE_INVAL_URL_MAX];
	size_t plen = 0, dlen, q, n, blen;
	int w;

	for (q = 0; q < rlen && ref[q] != '#'; q++)
		;
	rlen = q;		/* fragments never reach the cache key */
	if (cache_rules_has_scheme(ref, rlen)) {
		if (rlen >= size)
			return 0;
		memcpy(abs, ref, rlen);
		abs[rlen] = '\0';
		return rlen;
	}
	if (rlen >= 2 && ref[0] == '/' && ref[1] == '/') {
		w = snprintf(abs, size, "%s:%.*s", base->scheme, (int)rlen,
		    ref);
		return w > 0 && (size_t)w < size ? (size_t)w : 0;
	}
	url_format_host_port(base, auth, sizeof(auth));
	if (rlen == 0) {
		w = snprintf(abs, size, "%s://%s%.*s%.*s", base->scheme, auth,
		    (int)base->path_len, base->path, (int)base->query_len,
		    base->query ? base->query : "");
		return w > 0 && (size_t)w < size ? (size_t)w : 0;
	}
	if (ref[0] == '?') {
		w = snprintf(abs, size, "%s://%s%.*s%.*s", base->scheme, auth,
		    (int)base->path_len, base->path, (int)rlen, ref);
		return w > 0 && (size_t)w < size ? (size_t)w : 0;
	}
	for (q = 0; q < rlen && ref[q] != '?'; q++)
		;
	if (ref[0] != '/') {
		/* merge: the base path up to its last '/' */
		blen = base->path_len;
		while (blen > 0 && base->path[blen - 1] != '/')
			blen--;
		if (blen == 0) {
			path[0] = '/';
			blen = 1;
		} else {
			if (blen >= sizeof(path))
				return 0;
			memcpy(path, base->path, blen);
		}
		plen = blen;
	}
	if (plen + q >= sizeof(path))
		return 0;
	memcpy(path + plen, ref, q);
	plen += q;
	cache_rules_remove_dots(path, plen, dots, &dlen);
	n = (size_t)snprintf(abs, size, "%s://%s%.*s%.*s", base->scheme, auth,
	    (int)dlen, dots, (int)(rlen - q), ref + q);
	return n < size ? n : 0;
}

static void
cache_rules_inval_add(struct cache_invalidation *inv, const struct url *base,
    const struct http_msg *resp, const char *name)
{
	const struct http_header *h = http_msg_header(resp, name);
	char abs[CACHE_INVAL_URL_MAX];
	struct url u;
	size_t n;
	int i;

	if (h == NULL || inv->n >= CACHE_INVAL_MAX)
		return;
	n = cache_rules_resolve(base, h->value, h->value_len, abs,
	    sizeof(abs));
	if (n == 0 || url_parse_absolute(&u, abs, n) != URL_OK)
		return;
	/* another origin's entries are not ours to drop (RFC 9111 4.4) */
	if (strcmp(u.scheme, base->scheme) != 0 ||
	    strcmp(u.host, base->host) != 0 || u.port != base->port)
		return;
	if (url_format(&u, 0, inv->url[inv->n], CACHE_INVAL_URL_MAX) >=
	    CACHE_INVAL_URL_MAX)
		return;
	for (i = 0; i < inv->n; i++)
		if (strcmp(inv->url[i], inv->url[inv->n]) == 0)
			return;
	inv->n++;
}

int
cache_rules_invalidations(const struct http_msg *req,
    const struct http_msg *resp, const char *url,
    struct cache_invalidation *inv)
{
	struct url base;

	inv->n = 0;
	if (cache_rules_method_is_safe(req->method, req->method_len) ||
	    resp->status < 200 || resp->status > 399)
		return 0;
	if (url_parse_absolute(&base, url, strlen(url)) != URL_OK)
		return 0;
	if (url_format(&base, 0, inv->url[0], CACHE_INVAL_URL_MAX) >=
	    CACHE_INVAL_URL_MAX)
		return 0;
	inv->n = 1;
	cache_rules_inval_add(inv, &base, resp, "Location");
	cache_rules_inval_add(inv, &base, resp, "Content-Location");
	return inv->n;
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
