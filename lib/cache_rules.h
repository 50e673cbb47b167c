/*
 * The HTTP caching rules of a shared cache (RFC 9111, RFC 5861, RFC 8246)
 * with Squid's refresh_pattern heuristics, as pure functions over parsed
 * message heads: Cache-Control parsing, storability, the metadata kept with
 * a stored object and its byte layout, freshness and the serve/revalidate
 * decision, validation, 304 merging, Vary keys and invalidation.  No I/O and
 * no allocation on the per-request paths; the worker owns every decision's
 * consequences (what to fetch, what to log, what to answer).
 */
#ifndef CUTTLE_CACHE_RULES_H
#define CUTTLE_CACHE_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cfg.h"
#include "http_parse.h"

/* Delta-seconds cap (RFC 9111 1.2.2) and "max-stale" without a value. */
#define CACHE_RULES_DELTA_MAX	INT64_C(2147483648)
#define CACHE_RULES_ANY		INT64_MAX

/* Defaults of the refresh_pattern used when none matches (squid-compat 3.7). */
#define CACHE_RULES_DEFAULT_MIN	0
#define CACHE_RULES_DEFAULT_PCT	20
#define CACHE_RULES_DEFAULT_MAX	(3 * 86400)

/* Squid's minimum_expiry_time and max_stale defaults. */
#define CACHE_RULES_MIN_EXPIRY_DEFAULT	60
#define CACHE_RULES_MAX_STALE_DEFAULT	(7 * 86400)

/* Request Cache-Control (RFC 9111 5.2.1) plus Pragma. */
#define CACHE_REQ_NO_CACHE	0x01	/* also set by Pragma: no-cache */
#define CACHE_REQ_NO_STORE	0x02
#define CACHE_REQ_ONLY_IF_CACHED 0x04
#define CACHE_REQ_NO_TRANSFORM	0x08
#define CACHE_REQ_PRAGMA	0x10	/* no-cache came from Pragma */

struct cache_req_cc {
	int64_t		 max_age;	/* -1 absent; invalid -> 0 */
	int64_t		 max_stale;	/* -1 absent; bare: ..._ANY */
	int64_t		 min_fresh;	/* -1 absent */
	int64_t		 stale_if_error; /* -1 absent (RFC 5861 4) */
	unsigned	 flags;		/* CACHE_REQ_* */
	/* CFG_REFRESH_* options on for every request (squid.conf
	 * reload_into_ims, refresh_all_ims): 0 from cache_rules_req_cc */
	unsigned	 refresh_flags;
};

/* Response Cache-Control (RFC 9111 5.2.2, RFC 5861, RFC 8246). */
#define CACHE_RESP_NO_CACHE		0x0001	/* bare or qualified */
#define CACHE_RESP_NO_CACHE_FIELDS	0x0002	/* had field names */
#define CACHE_RESP_NO_STORE		0x0004
#define CACHE_RESP_PRIVATE		0x0008	/* bare or qualified */
#define CACHE_RESP_PRIVATE_FIELDS	0x0010
#define CACHE_RESP_PUBLIC		0x0020
#define CACHE_RESP_MUST_REVALIDATE	0x0040
#define CACHE_RESP_PROXY_REVALIDATE	0x0080
#define CACHE_RESP_MUST_UNDERSTAND	0x0100
#define CACHE_RESP_IMMUTABLE		0x0200
#define CACHE_RESP_NO_TRANSFORM		0x0400
/*
 * Not a header: set in cache_meta.cc_flags (and so kept in the stored
 * blob) for an error stored under negative_ttl.  A hit on it is logged
 * TCP_NEGATIVE_HIT; any other hit, a 410 or a 301 too, is TCP_MEM_HIT or
 * TCP_HIT.
 */
#define CACHE_META_NEGATIVE		0x80000000u

struct cache_resp_cc {
	int64_t		 max_age;	/* -1 absent; bad: 0 (stale) */
	int64_t		 s_maxage;	/* same */
	int64_t		 stale_while_revalidate; /* -1 absent */
	int64_t		 stale_if_error;	/* -1 absent */
	unsigned	 flags;		/* CACHE_RESP_* */
};

void cache_rules_req_cc(const struct http_msg *req, struct cache_req_cc *cc);
void cache_rules_resp_cc(const struct http_msg *resp,
    struct cache_resp_cc *cc);

/*
 * First refresh_pattern whose regex matches url, or NULL (the caller then
 * gets the defaults: min 0, 20%, max 3 days).  Match once per request and
 * pass the result to the functions below.
 */
const struct cfg_refresh *cache_rules_refresh_match(
    const struct cfg_refresh *list, const char *url);
/* The MAX to send upstream as "Cache-Control: max-age=MAX" (squid 14). */
int64_t cache_rules_refresh_max(const struct cfg_refresh *rp);

/* What the worker keeps with each stored object (RFC 9111 4.2.3 inputs). */
#define CACHE_META_ETAG_MAX	256
#define CACHE_META_VERSION	1
#define CACHE_META_BLOB_MAX	(90 + CACHE_META_ETAG_MAX)

struct cache_meta {
	int64_t		 request_time;	/* its request was sent */
	int64_t		 response_time;	/* its head arrived */
	int64_t		 date_value;	/* Date, or response_time */
	int64_t		 age_value;	/* Age, else 0 */
	int64_t		 expires;	/* -1 absent; bad: 0 */
	int64_t		 last_modified;	/* -1 absent or invalid */
	int64_t		 max_age;	/* response CC, -1 absent */
	int64_t		 s_maxage;
	int64_t		 stale_while_revalidate;
	int64_t		 stale_if_error;
	uint32_t	 cc_flags;	/* CACHE_RESP_* */
	int		 status;
	size_t		 etag_len;	/* 0: none, or too long */
	char		 etag[CACHE_META_ETAG_MAX];	/* as sent */
};

/*
 * Fill m from the request and response heads at store time.  Times are
 * seconds since the epoch from the caller's clock.
 */
void cache_rules_meta_fill(struct cache_meta *m, const struct http_msg *req,
    const struct http_msg *resp, time_t request_time, time_t response_time);
/*
 * Fixed little-endian layout, version byte first; serialize returns the
 * length written (<= CACHE_META_BLOB_MAX) or 0 if size is too small,
 * deserialize 0 or -1 on a wrong version or malformed blob.
 */
/*
 * After cache_rules_meta_fill, for a response that will be stored:
 * negative_ttl (seconds) for an error status.  Without explicit freshness
 * it expires negative_ttl after arrival; either way, unless already stale,
 * it becomes a negative entry (CACHE_META_NEGATIVE).  Does nothing for
 * other statuses or with negative_ttl 0.
 */
void cache_rules_meta_negative(struct cache_meta *m, int64_t negative_ttl_s);
/*
 * The statuses Squid caches only under negative_ttl: 204 305 400 403 404
 * 405 414 421 500 501 502 503 504.
 */
int cache_rules_status_negative(int status);
/*
 * The statuses RFC 9110 15.1 calls heuristically cacheable: 200 203 204 206
 * 300 301 308 404 405 410 414 501.
 */
int cache_rules_status_heuristic(int status);

size_t cache_rules_meta_serialize(const struct cache_meta *m, uint8_t *buf,
    size_t size);
int cache_rules_meta_deserialize(struct cache_meta *m, const uint8_t *buf,
    size_t len);

/*
 * Storability (RFC 9111 3, shared cache).  Returns 1 when the response may
 * be stored, 0 if not; *reason (may be NULL) gets a static text for debug
 * logs either way.  req must be the GET that got resp.  now is the caller's
 * clock; min_expiry_s is minimum_expiry_time: a response without validators
 * that would be stale within it is not stored (unless store-stale).  Which
 * statuses may be stored: Squid 5.7's 200 203 300 301 308 410 as Squid
 * does, 302 and 307 only with Date and explicit freshness; while
 * negative_ttl_s > 0 the negative ones (cache_rules_status_negative) as
 * Squid does; any other final status (but 206 and 304) as RFC 9111 3 and
 * 4.2.2 allow, and only while fresh: with explicit freshness, or with
 * Last-Modified when heuristically cacheable or public.
 */
int cache_rules_storable(const struct http_msg *req,
    const struct http_msg *resp, const struct cfg_refresh *rp, time_t now,
    int64_t min_expiry_s, int64_t negative_ttl_s, const char **reason);
/*
 * The same with the response's metadata given: m filled from resp with
 * request and response times of now (cache_rules_meta_fill), then maybe
 * changed by cache_rules_meta_targeted.  A POST is judged as a GET: the
 * caller asks cache_rules_post_reusable first.
 */
int cache_rules_storable_meta(const struct http_msg *req,
    const struct http_msg *resp, const struct cache_meta *m,
    const struct cfg_refresh *rp, time_t now, int64_t min_expiry_s,
    int64_t negative_ttl_s, const char **reason);

/*
 * Targeted cache-control fields (RFC 9213), fields being the cache's target
 * list in order: cc gets the directives of the first one present with a
 * valid, non-empty Structured Field Dictionary value, and 1 is returned;
 * 0 when none qualifies (Cache-Control then applies).
 */
int cache_rules_targeted_cc(const struct http_msg *resp,
    const struct cfg_str_list *fields, struct cache_resp_cc *cc);
/*
 * After cache_rules_meta_fill: when a targeted field qualifies, its
 * directives replace those of Cache-Control in m and Expires is dropped.
 * Returns 1 if it did so.
 */
int cache_rules_meta_targeted(struct cache_meta *m,
    const struct http_msg *resp, const struct cfg_str_list *fields);

/*
 * Freshness lifetime (explicit, else refresh_pattern heuristic), seconds.
 * No heuristic lifetime (0) for a status that is not heuristically
 * cacheable unless the response is public (RFC 9111 4.2.2).
 */
int64_t cache_rules_freshness_lifetime(const struct cache_meta *m,
    const struct cfg_refresh *rp);
/* current_age (RFC 9111 4.2.3), seconds, never negative. */
int64_t cache_rules_current_age(const struct cache_meta *m, time_t now);

enum cache_verdict {
	CACHE_FRESH,		/* serve the stored response */
	CACHE_STALE_SWR,	/* serve it and revalidate in the background */
	CACHE_STALE,		/* revalidate (conditional request) first */
	CACHE_RELOAD		/* client reload: plain fetch (TCP_MISS) */
};

struct cache_decision {
	enum cache_verdict verdict;
	int64_t		 age;		/* current_age, for Age: */
	int64_t		 lifetime;	/* freshness lifetime */
	int		 stale;		/* served stale (max-stale) */
	int		 only_if_cached;	/* 504 unless FRESH/SWR */
	const char	*reason;	/* static, for debug logs */
};

/*
 * Decide how to use a stored response (the right variant, already
 * selected) for a request.  req is the client's request head.  A negative
 * entry (CACHE_META_NEGATIVE) is FRESH until it expires, whatever the
 * request's max-age or conditionals, then RELOAD, never STALE.
 */
enum cache_verdict cache_rules_decide(const struct cache_meta *m,
    const struct http_msg *req, const struct cache_req_cc *rcc,
    const struct cfg_refresh *rp, time_t now, struct cache_decision *out);

/*
 * What the worker does with a request given what is stored for it: the
 * one place that turns cache_rules_decide's verdict, Squid's revalidation
 * on a client max-age=0 and only-if-cached into an action, for memory and
 * disk hits alike.
 */
enum cache_plan_action {
	CACHE_PLAN_SERVE,		/* fresh: serve the stored response */
	CACHE_PLAN_SERVE_STALE,		/* stale-while-revalidate: serve it,
					   and revalidate in the background
					   with cond (none if cond_len is 0) */
	CACHE_PLAN_REVALIDATE,		/* the client waits for a conditional
					   request upstream with cond */
	CACHE_PLAN_FETCH,		/* go upstream for a new response */
	CACHE_PLAN_ONLY_IF_CACHED	/* 504 ERR_ONLY_IF_CACHED_MISS */
};

#define CACHE_PLAN_COND_MAX	1024

struct cache_plan {
	enum cache_plan_action action;
	int64_t		 age;		/* current_age (0: nothing stored) */
	int		 negative;	/* stored as CACHE_META_NEGATIVE */
	size_t		 cond_len;	/* 0 but for REVALIDATE, SERVE_STALE */
	char		 cond[CACHE_PLAN_COND_MAX];	/* header lines */
	const char	*reason;	/* static, for debug logs */
};

/*
 * The plan for a request (req, with rcc from cache_rules_req_cc) given the
 * stored response's metadata m, or m NULL when nothing is stored: with
 * only-if-cached a 504 unless the stored response may be served, else a
 * fetch unless it may be served or revalidated.  REVALIDATE always has
 * conditional lines; a stale response with nothing to build them from is
 * fetched anew.
 */
void cache_rules_plan(const struct cache_meta *m, const struct http_msg *req,
    const struct cache_req_cc *rcc, const struct cfg_refresh *rp, time_t now,
    struct cache_plan *p);

/*
 * Revalidation failed (upstream_status 5xx, or 0 when no response came):
 * may the stale stored response be served (TCP_REFRESH_FAIL_OLD) rather
 * than the error (TCP_REFRESH_FAIL_ERR)?  Never when the response forbids
 * stale answers; yes within the request's stale-if-error or max-stale,
 * else within the response's stale-if-error if it has one, else within
 * rp's max-stale=, else max_stale_s (the max_stale directive); with no
 * rp (Squid's built-in rule) not at all once a second stale.
 */
int cache_rules_stale_on_error(const struct cache_meta *m,
    const struct cache_req_cc *rcc, const struct cfg_refresh *rp,
    int upstream_status, time_t now, int64_t max_stale_s);

/*
 * Conditional header lines for revalidating m ("If-None-Match: ...\r\n",
 * "If-Modified-Since: ...\r\n" from Last-Modified, else from Date) into buf,
 * NUL terminated.  Returns the length, or 0 if buf is too small.
 */
size_t cache_rules_conditional_headers(const struct cache_meta *m,
    char *buf, size_t size);

/*
 * Evaluate the client's preconditions against the stored response (RFC 9110
 * 13.2.2 order).  Returns 304, 412, or 0 to serve the stored response.
 */
/*
 * If-Range (RFC 9110 13.1.5): may a Range be served from the response
 * whose head is resp?  Yes without If-Range, else only when it names
 * resp's entity tag (a quoted value) or Last-Modified date exactly.
 */
int cache_rules_if_range(const struct http_msg *req,
    const struct http_msg *resp);
int cache_rules_client_conditional(const struct cache_meta *m,
    const struct http_msg *req);

/*
 * Merge a 304 into the stored response head (RFC 9111 3.2): headers in the
 * 304 replace the stored ones of the same name, except framing and content
 * headers, which stay as stored; Age comes only from the 304; a 304 without
 * Date gets one from response_time.  Writes the new head text (status line
 * through the final CRLF) into out like snprintf: returns the length needed,
 * out is NUL terminated when size > 0.
 */
size_t cache_rules_merge_304(const struct http_msg *stored,
    const struct http_msg *resp304, time_t response_time, char *out,
    size_t size);

/*
 * Secondary key of a request under a response's Vary (all Vary lines):
 * "name=value\n" per listed field in order (name lowercased, value's
 * instances joined with ", ", whitespace runs collapsed; for Accept-Language
 * and Accept-Encoding the members lowercased, without whitespace or q=1,
 * sorted and deduplicated), "name\n" when the request lacks the field.  Returns the length (0 with no Vary), -1 for
 * "Vary: *" (never matches), -2 if size is too small.
 */
int cache_rules_vary_key(const struct http_msg *resp,
    const struct http_msg *req, char *buf, size_t size);
/* Same with the Vary value given as text (as kept with a stored object). */
int cache_rules_vary_key_str(const char *vary, size_t vary_len,
    const struct http_msg *req, char *buf, size_t size);

/*
 * RFC 9111 4.4: after an unsafe request got a 2xx/3xx response, the URLs to
 * invalidate: the target plus same-origin Location and Content-Location
 * (relative references resolved against the target), canonical form,
 * duplicates dropped.  url is the request's absolute URL.  Returns how many
 * were written into inv (0 for a safe method or an error status).
 */
#define CACHE_INVAL_MAX		3
#define CACHE_INVAL_URL_MAX	8192

struct cache_invalidation {
	int		 n;
	char		 url[CACHE_INVAL_MAX][CACHE_INVAL_URL_MAX];
};

int cache_rules_invalidations(const struct http_msg *req,
    const struct http_msg *resp, const char *url,
    struct cache_invalidation *inv);

/*
 * RFC 9110 9.3.3: a 200 or 203 answering a POST, with explicit freshness
 * (m from cache_rules_meta_fill) and a Content-Location that resolves to
 * the target URL, is a representation of the target that later GETs may
 * reuse; cache_rules_storable_meta then decides as for a GET.
 */
int cache_rules_post_reusable(const struct http_msg *req,
    const struct http_msg *resp, const struct cache_meta *m,
    const char *url);
int cache_rules_method_is_safe(const char *method, size_t len);

/*
 * A Range header value against a stored body of size bytes (RFC 9110 14):
 * 1 with [*first, *last] for one satisfiable byte range, -1 when no range
 * is satisfiable (416), 0 to ignore it (not bytes, several ranges, or
 * malformed: serve the whole body).
 */
int cache_rules_range(const char *v, size_t len, int64_t size,
    int64_t *first, int64_t *last);

/*
 * A 206's Content-Range "bytes FIRST-LAST/COMPLETE" (RFC 9110 14.4), the
 * only form a cache can keep: 0 with the three numbers, -1 for anything
 * else (an unknown complete length "*", an unsatisfied "*\/N", other units,
 * or a range outside the complete length).
 */
/*
 * Whether a 206 can be kept as a stored partial response: one byte range
 * with a known complete length, its Content-Length matching the range.
 */
int cache_rules_partial_storable(const struct http_msg *resp);

int cache_rules_content_range(const char *v, size_t len, int64_t *first,
    int64_t *last, int64_t *complete);

#endif
