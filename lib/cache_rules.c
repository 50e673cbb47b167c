/*
 * RFC 9111 shared-cache rules and Squid's refresh_pattern heuristics over
 * parsed heads: which refresh_pattern applies, the stored metadata and its
 * on-disk form, age and freshness lifetime, whether a response may be
 * stored, and whether a request is a hit, a revalidation or a miss.
 * Everything in lib/cache_rules*.c is a pure function of its arguments (the
 * caller passes the clock), works in fixed buffers, and answers with a
 * value plus a static reason so the worker can log why.  Where RFC 9111
 * leaves a choice, the more conservative reading is taken and said so next
 * to the code.
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

#include <regex.h>
#include <string.h>

#include "http_date.h"

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

void
cache_rules_meta_negative(struct cache_meta *m, int64_t negative_ttl_s)
{
	int64_t age;

	if (negative_ttl_s <= 0 || !cache_rules_status_negative(m->status))
		return;
	age = cache_rules_current_age(m, (time_t)m->response_time);
	/* Squid: no explicit expiry means "now + negative_ttl" */
	if (m->s_maxage < 0 && m->max_age < 0 && m->expires < 0)
		m->expires = m->date_value + age + negative_ttl_s;
	/*
	 * Stale on arrival (max-age=0, Expires in the past): Squid keeps it
	 * as an ordinary stale object, revalidated on the next request.
	 */
	if (cache_rules_freshness_lifetime(m, NULL) > age)
		m->cc_flags |= CACHE_META_NEGATIVE;
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
	if (!cache_rules_status_heuristic(m->status) &&
	    !(m->cc_flags & CACHE_RESP_PUBLIC))
		return 0;
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

int
cache_rules_status_heuristic(int s)
{
	switch (s) {
	case 200: case 203: case 204: case 206: case 300: case 301: case 308:
	case 404: case 405: case 410: case 414: case 501:
		return 1;
	}
	return 0;
}

/*
 * What Squid 5.7 does with each status (http.cc reusableReply), checked
 * against the real thing, is narrower than RFC 9111: it never stores a 201,
 * 401 or 429 and keeps a 404 only under negative_ttl, max-age or not.
 * Squid's own statuses keep Squid's rules, and so do its negative ones
 * while negative_ttl is set; the rest follow RFC 9111 3, where explicit
 * freshness, or heuristic freshness for a heuristically cacheable status
 * or a public response, makes any final status storable.
 */
enum cache_rules_class {
	CACHE_CLASS_RFC,	/* RFC 9111 3, and only while fresh */
	CACHE_CLASS_POSITIVE,	/* explicit or heuristic freshness */
	CACHE_CLASS_EXPIRES,	/* only with Date and explicit freshness */
	CACHE_CLASS_NEGATIVE	/* negative_ttl > 0: Squid's; else RFC */
};

static enum cache_rules_class
cache_rules_status_class(int s)
{
	switch (s) {
	case 200: case 203: case 300: case 301: case 308: case 410:
		return CACHE_CLASS_POSITIVE;
	case 302: case 307:
		return CACHE_CLASS_EXPIRES;
	case 204: case 305: case 400: case 403: case 404: case 405: case 414:
	case 421: case 500: case 501: case 502: case 503: case 504:
		return CACHE_CLASS_NEGATIVE;
	}
	return CACHE_CLASS_RFC;
}

int
cache_rules_status_negative(int status)
{
	return cache_rules_status_class(status) == CACHE_CLASS_NEGATIVE;
}

#define CACHE_RULES_NO(r)	do { if (reason) *reason = (r); return 0; } \
	while (0)

int
cache_rules_storable(const struct http_msg *req, const struct http_msg *resp,
    const struct cfg_refresh *rp, time_t now, int64_t min_expiry_s,
    int64_t negative_ttl_s, const char **reason)
{
	struct cache_meta meta;

	cache_rules_meta_fill(&meta, req, resp, now, now);
	return cache_rules_storable_meta(req, resp, &meta, rp, now,
	    min_expiry_s, negative_ttl_s, reason);
}

int
cache_rules_partial_storable(const struct http_msg *resp)
{
	const struct http_header *h = http_msg_header(resp, "Content-Range");
	int64_t first, last, complete;

	/* several ranges come as multipart/byteranges, without the field */
	return resp->status == 206 && h != NULL &&
	    cache_rules_content_range(h->value, h->value_len, &first, &last,
	    &complete) == 0 && resp->body == HTTP_BODY_LENGTH &&
	    resp->content_length == last - first + 1;
}

int
cache_rules_storable_meta(const struct http_msg *req,
    const struct http_msg *resp, const struct cache_meta *m,
    const struct cfg_refresh *rp, time_t now, int64_t min_expiry_s,
    int64_t negative_ttl_s, const char **reason)
{
	struct cache_req_cc rcc;
	struct cache_meta meta = *m;
	unsigned rflags = rp ? rp->flags : 0;
	int understood, explicit_;
	int64_t left;

	if (!cache_rules_ieq2(req->method, req->method_len, "GET", 3) &&
	    !cache_rules_ieq2(req->method, req->method_len, "POST", 4))
		CACHE_RULES_NO("method is not GET or POST");
	if (resp->status < 200)
		CACHE_RULES_NO("status is not final");
	if (resp->status == 206 && !cache_rules_partial_storable(resp))
		CACHE_RULES_NO("partial content without one whole Content-Range");
	if (resp->status == 304)
		CACHE_RULES_NO("304 only updates a stored response");
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
	switch (cache_rules_status_class(resp->status)) {
	case CACHE_CLASS_NEGATIVE:
		/*
		 * Under negative_ttl Squid keeps these errors, with or
		 * without max-age, and without the minimum_expiry_time test:
		 * cache_rules_meta_negative() gives them their lifetime.
		 */
		if (negative_ttl_s > 0) {
			if (reason)
				*reason = "negatively cached";
			return 1;
		}
		/* FALLTHROUGH */
	case CACHE_CLASS_RFC:
		/*
		 * Without explicit freshness, the heuristic needs
		 * Last-Modified: a 404 that says nothing of its age is not
		 * worth keeping, and refresh_pattern MIN alone would keep
		 * every error.  A response stale on arrival is not kept
		 * either: revalidating an error gains nothing, and Squid
		 * never keeps these.
		 */
		if (!explicit_ && !cache_rules_status_heuristic(resp->status) &&
		    !(meta.cc_flags & CACHE_RESP_PUBLIC))
			CACHE_RULES_NO("no explicit freshness, status not "
			    "heuristically cacheable");
		if (!explicit_ && meta.last_modified < 0)
			CACHE_RULES_NO("no explicit freshness and no "
			    "Last-Modified");
		if (cache_rules_freshness_lifetime(&meta, rp) <=
		    cache_rules_current_age(&meta, now))
			CACHE_RULES_NO("stale on arrival");
		break;
	case CACHE_CLASS_EXPIRES:
		if (http_msg_header(resp, "Date") == NULL || !explicit_ ||
		    cache_rules_freshness_lifetime(&meta, NULL) <= 0)
			CACHE_RULES_NO("302/307 without Date and explicit "
			    "freshness");
		break;
	case CACHE_CLASS_POSITIVE:
		break;
	}
	/*
	 * Squid's minimum_expiry_time: an object that will be stale almost at
	 * once is still kept, to be revalidated with its Last-Modified or,
	 * lacking one, its Date (Squid's "last modified" falls back to the
	 * Date), but an empty one is not worth it; store-stale keeps it too.
	 */
	if (resp->body == HTTP_BODY_NONE &&
	    !(rflags & CFG_REFRESH_STORE_STALE)) {
		left = cache_rules_freshness_lifetime(&meta, rp) -
		    cache_rules_current_age(&meta, now);
		if (left <= 0 || left < min_expiry_s)
			CACHE_RULES_NO("empty and stale within "
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
	unsigned rflags = (rp ? rp->flags : 0) | rcc->refresh_flags;
	int64_t staleness;
	int fresh;

	out->age = cache_rules_current_age(m, now);
	out->lifetime = cache_rules_freshness_lifetime(m, rp);
	out->stale = 0;
	out->only_if_cached = !!(rcc->flags & CACHE_REQ_ONLY_IF_CACHED);
	fresh = out->lifetime > out->age;
	staleness = fresh ? 0 : out->age - out->lifetime;

	/*
	 * A negatively cached error (Squid's checkNegativeHit and
	 * validToSend): served while fresh whatever the response or the
	 * request says, except a client reload; once expired it is no hit at
	 * all, and the fetch is a plain one (TCP_MISS, no validators).
	 */
	if (m->cc_flags & CACHE_META_NEGATIVE) {
		if ((rcc->flags & CACHE_REQ_NO_CACHE) &&
		    !(rflags & CFG_REFRESH_IGNORE_RELOAD))
			return cache_rules_verdict(out, CACHE_RELOAD,
			    "client no-cache");
		if (fresh)
			return cache_rules_verdict(out, CACHE_FRESH,
			    "negatively cached");
		return cache_rules_verdict(out, CACHE_RELOAD,
		    "negatively cached, expired");
	}

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
	 * A private response is only stored under ignore-private, and then,
	 * as in Squid 5.7, revalidated on every request so that one user's
	 * copy reaches another only with the origin's consent.
	 */
	if (m->cc_flags & CACHE_RESP_PRIVATE)
		return cache_rules_verdict(out, CACHE_STALE,
		    "response private, ignore-private");
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

void
cache_rules_plan(const struct cache_meta *m, const struct http_msg *req,
    const struct cache_req_cc *rcc, const struct cfg_refresh *rp, time_t now,
    struct cache_plan *p)
{
	struct cache_decision d;
	enum cache_verdict v;

	p->age = 0;
	p->negative = 0;
	p->cond_len = 0;
	p->cond[0] = '\0';
	if (m == NULL) {
		p->action = (rcc->flags & CACHE_REQ_ONLY_IF_CACHED) ?
		    CACHE_PLAN_ONLY_IF_CACHED : CACHE_PLAN_FETCH;
		p->reason = "nothing stored";
		return;
	}
	v = cache_rules_decide(m, req, rcc, rp, now, &d);
	p->age = d.age;
	p->negative = !!(m->cc_flags & CACHE_META_NEGATIVE);
	p->reason = d.reason;
	/*
	 * Squid revalidates on a client max-age=0 even at age 0, where
	 * RFC 9111 would serve; an immutable (RFC 8246) or negative entry
	 * keeps the verdict cache_rules_decide gave it.
	 */
	if (v == CACHE_FRESH && rcc->max_age == 0 &&
	    !(m->cc_flags & (CACHE_RESP_IMMUTABLE | CACHE_META_NEGATIVE))) {
		v = CACHE_STALE;
		p->reason = "request max-age=0";
	}
	switch (v) {
	case CACHE_FRESH:
		p->action = CACHE_PLAN_SERVE;
		return;
	case CACHE_STALE_SWR:
		p->action = CACHE_PLAN_SERVE_STALE;
		p->cond_len = cache_rules_conditional_headers(m, p->cond,
		    sizeof(p->cond));
		return;
	case CACHE_STALE:
	case CACHE_RELOAD:
		break;
	}
	if (d.only_if_cached) {
		p->action = CACHE_PLAN_ONLY_IF_CACHED;
		return;
	}
	if (v == CACHE_STALE) {
		p->cond_len = cache_rules_conditional_headers(m, p->cond,
		    sizeof(p->cond));
		if (p->cond_len > 0) {
			p->action = CACHE_PLAN_REVALIDATE;
			return;
		}
		p->reason = "stale, nothing to revalidate with";
	}
	p->action = CACHE_PLAN_FETCH;
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
	if (rcc != NULL) {
		if (rcc->stale_if_error >= 0 &&
		    staleness <= rcc->stale_if_error)
			return 1;
		if (rcc->max_stale >= 0 && (rcc->max_stale == CACHE_RULES_ANY ||
		    staleness <= rcc->max_stale))
			return 1;
	}
	/* RFC 5861 4: past its stale-if-error the copy SHOULD NOT be used */
	if (m->stale_if_error >= 0)
		return staleness <= m->stale_if_error;
	/*
	 * Squid's built-in rule (no refresh_pattern matched) has max-stale=0,
	 * not "unset", so max_stale applies only under a configured rule
	 * without its own max-stale=.
	 */
	limit = rp == NULL ? 0 : rp->max_stale_s >= 0 ? rp->max_stale_s :
	    max_stale_s;
	return staleness <= limit;
}
