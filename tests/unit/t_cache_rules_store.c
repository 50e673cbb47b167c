/*
 * Unit tests for the cache rules' storage side: what may be stored (each
 * way, and for every status code), client conditionals and the validators
 * sent upstream, merging a 304 into the stored head, Vary keys and their
 * normalisation, invalidation by unsafe methods, reusing a POST response,
 * If-Range and Range, and the metadata blob.  Freshness and the decision
 * are in t_cache_rules.c.
 */
#include "config.h"
#include "cache_rules.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_cache_rules.h"

/* Storability of resp for a plain GET, default refresh_pattern. */
static int
t_store(const struct http_msg *req, const struct http_msg *resp,
    const struct cfg_refresh *rp)
{
	return cache_rules_storable(req ? req : plain_get, resp, rp, T0,
	    CACHE_RULES_MIN_EXPIRY_DEFAULT, 0, NULL);
}

static void
t_storable(void)
{
	struct cfg_refresh *ins = t_rp(".", 0, 0, 20, 4320 * 60,
	    CFG_REFRESH_IGNORE_NO_STORE);
	struct cfg_refresh *ipr = t_rp(".", 0, 0, 20, 4320 * 60,
	    CFG_REFRESH_IGNORE_PRIVATE);
	struct cfg_refresh *ss = t_rp(".", 0, 0, 20, 4320 * 60,
	    CFG_REFRESH_STORE_STALE);
	struct cfg_refresh *min1h = t_rp(".", 0, 3600, 20, 4320 * 60, 0);
	const struct http_msg *auth = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Authorization: Basic eDp5\r\n\r\n");
	const char *why;

	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600\r\n"),
	    NULL), 1, "200 with max-age");
	is_int(cache_rules_storable(REQ("PUT http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 0\r\n\r\n"), t_resp_at(200, 0,
	    "Cache-Control: max-age=600\r\n"), NULL, T0, 60, 0, &why), 0,
	    "PUT not stored");
	is_str(why, "method is not GET or POST", "reason given");
	is_int(cache_rules_storable(REQ("POST http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 0\r\n\r\n"), t_resp_at(200, 0,
	    "Cache-Control: no-store, max-age=600\r\n"), NULL, T0, 60, 0,
	    &why), 0, "POST judged as a GET (after cache_rules_post_reusable)");
	is_int(t_store(NULL, t_resp_at(206, 0, "Cache-Control: max-age=600\r\n"
	    "Content-Range: bytes 0-1/10\r\nContent-Length: 2\r\n"), NULL), 1,
	    "206 with one range and its length: stored (as a partial)");
	is_int(cache_rules_storable(plain_get, t_resp_at(206, 0,
	    "Cache-Control: max-age=600\r\nContent-Range: bytes 0-1/10\r\n"),
	    NULL, T0, 60, 0, &why), 0, "206 without Content-Length");
	is_str(why, "partial content without one whole Content-Range",
	    "its reason");
	is_int(t_store(NULL, t_resp_at(206, 0, "Cache-Control: max-age=600\r\n"
	    "Content-Range: bytes 0-1/*\r\nContent-Length: 2\r\n"), NULL), 0,
	    "206 of an unknown complete length: not stored");
	is_int(t_store(NULL, t_resp_at(206, 0, "Cache-Control: max-age=600\r\n"
	    "Content-Range: bytes 0-1/10\r\nContent-Length: 3\r\n"), NULL), 0,
	    "206 whose length is not its range's: not stored");
	is_int(t_store(NULL, t_resp_at(206, 0, "Cache-Control: max-age=600\r\n"
	    "Content-Type: multipart/byteranges; boundary=x\r\n"
	    "Content-Length: 20\r\n"), NULL), 0,
	    "206 of several ranges: not stored");
	is_int(t_store(NULL, t_resp_at(304, 0, "ETag: \"a\"\r\n"), NULL), 0,
	    "304 not stored");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "no-store\r\n"), NULL), 0, "response no-store");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "no-store\r\n"), ins), 1, "no-store with ignore-no-store");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "no-store, must-understand\r\n"), NULL), 1,
	    "must-understand with an understood status lifts no-store");
	is_int(t_store(NULL, t_resp_at(299, 0, "Cache-Control: max-age=600, "
	    "no-store, must-understand\r\n"), NULL), 0,
	    "must-understand with an unknown status");
	is_int(t_store(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nCache-Control: "
	    "no-store\r\n\r\n"), t_resp_at(200, 0, "Cache-Control: "
	    "max-age=600\r\n"), NULL), 0, "request no-store");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "private\r\n"), NULL), 0, "private");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "private=\"Set-Cookie\"\r\n"), NULL), 0, "qualified private");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "private\r\n"), ipr), 1, "private with ignore-private");
	is_int(t_store(auth, t_resp_at(200, 0, "Cache-Control: max-age=600\r\n"),
	    NULL), 0, "Authorization without permission");
	is_int(t_store(auth, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "public\r\n"), NULL), 1, "Authorization with public");
	is_int(t_store(auth, t_resp_at(200, 0, "Cache-Control: s-maxage=600"
	    "\r\n"), NULL), 1, "Authorization with s-maxage");
	is_int(t_store(auth, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "must-revalidate\r\n"), NULL), 1,
	    "Authorization with must-revalidate");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600\r\n"
	    "Vary: Accept, *\r\n"), NULL), 0, "Vary: *");
	is_int(t_store(NULL, t_resp_at(302, 0, "Location: /x\r\n"
	    "Last-Modified: Mon, 01 Jan 2001 00:00:00 GMT\r\n"), NULL), 0,
	    "302 without explicit freshness");
	is_int(t_store(NULL, t_resp_at(302, 0, "Location: /x\r\nCache-Control: "
	    "max-age=600\r\n"), NULL), 1, "302 with max-age");
	is_int(t_store(NULL, t_resp_at(302, 0, "Location: /x\r\nCache-Control: "
	    "public\r\nLast-Modified: Mon, 01 Jan 2001 00:00:00 GMT\r\n"),
	    NULL), 0, "302 with public and a validator: Squid wants Expires");
	is_int(t_store(NULL, RESP("HTTP/1.1 307 X\r\nCache-Control: "
	    "max-age=600\r\n\r\n"), NULL), 0, "307 without Date");
	is_int(t_store(NULL, t_resp_at(404, 0, t_date_hdr("Expires", 3600)),
	    NULL), 1, "404 with Expires, negative_ttl 0");
	is_int(cache_rules_storable(plain_get, t_resp_at(200, 0,
	    "Content-Length: 0\r\n"), NULL, T0, 60, 0, &why), 0,
	    "empty, no freshness, default pattern");
	is_str(why, "empty and stale within minimum_expiry_time",
	    "its reason");
	is_int(t_store(NULL, t_resp_at(200, 0, "Content-Length: 0\r\n"), ss),
	    1, "... stored with store-stale");
	is_int(t_store(NULL, t_resp_at(200, 0, "Content-Length: 0\r\n"),
	    min1h), 1, "... stored when refresh_pattern MIN gives a lifetime");
	is_int(t_store(NULL, t_resp_at(200, 0, "Content-Length: 0\r\n"
	    "Cache-Control: max-age=30\r\n"), NULL), 0,
	    "empty, max-age=30 < minimum_expiry_time");
	is_int(cache_rules_storable(plain_get, t_resp_at(200, 0,
	    "Content-Length: 0\r\nCache-Control: max-age=30\r\n"), NULL, T0,
	    0, 0, NULL), 1, "... stored with minimum_expiry_time 0");
	/* Squid keeps what it can revalidate with the Date alone */
	is_int(t_store(NULL, t_resp_at(200, 0, "Content-Length: 2\r\n"), NULL),
	    1, "no freshness, no validator, a body: stored (Date)");
	is_int(t_store(NULL, t_resp_at(410, 0, "Content-Length: 2\r\n"), NULL),
	    1, "... a 410 too");
	is_int(t_store(NULL, t_resp_at(200, 0, "Last-Modified: Mon, 01 Jan 2001 "
	    "00:00:00 GMT\r\n"), NULL), 1, "heuristic with Last-Modified");
	is_int(t_store(NULL, t_resp_at(200, 0, "ETag: \"x\"\r\nCache-Control: "
	    "max-age=0\r\n"), NULL), 1, "stale on arrival but has an ETag");
	is_int(t_store(NULL, t_resp_at(200, 0, "Cache-Control: max-age=600, "
	    "no-cache, foo\r\n"), NULL), 1, "no-cache is storable");
	is_int(t_store(NULL, t_resp_at(100, 0, ""), NULL), 0, "1xx not stored");
}

/*
 * RFC 9111 3 and 4.2.2 with negative_ttl 0: explicit freshness stores any
 * final status, heuristics only the heuristically cacheable ones (RFC 9110
 * 15.1) or a public response, and an error is kept only while fresh.
 */
static void
t_status(void)
{
	static const int any[] = { 201, 202, 204, 205, 299, 303, 400, 401,
	    403, 404, 405, 409, 414, 429, 451, 499, 500, 501, 502, 503, 504,
	    599 };
	static const int heur[] = { 200, 203, 204, 206, 300, 301, 308, 404,
	    405, 410, 414, 501 };
	static const int not_heur[] = { 201, 202, 205, 302, 303, 307, 400,
	    401, 403, 409, 429, 500, 502, 503, 504, 599 };
	const char *lm = t_date_hdr("Last-Modified", -86400);
	struct cfg_refresh *max0 = t_rp(".", 0, 0, 20, 0, 0);
	struct cfg_refresh *min1h = t_rp(".", 0, 3600, 20, 4320 * 60, 0);
	char hdr[256];
	const char *why;
	struct cache_meta m;
	size_t i;

	for (i = 0; i < sizeof(heur) / sizeof(heur[0]); i++)
		ok(cache_rules_status_heuristic(heur[i]),
		    "%d is heuristically cacheable", heur[i]);
	for (i = 0; i < sizeof(not_heur) / sizeof(not_heur[0]); i++)
		ok(!cache_rules_status_heuristic(not_heur[i]),
		    "%d is not heuristically cacheable", not_heur[i]);

	for (i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		is_int(t_store(NULL, t_resp_at(any[i], 0,
		    "Cache-Control: max-age=600\r\n"), NULL), 1,
		    "%d with max-age: stored", any[i]);
		is_int(t_store(NULL, t_resp_at(any[i], 0,
		    "Cache-Control: s-maxage=600\r\n"), NULL), 1,
		    "%d with s-maxage: stored", any[i]);
		is_int(t_store(NULL, t_resp_at(any[i], 0,
		    t_date_hdr("Expires", 600)), NULL), 1,
		    "%d with Expires: stored", any[i]);
		is_int(t_store(NULL, t_resp_at(any[i], 0,
		    "Cache-Control: max-age=0\r\nETag: \"e\"\r\n"), NULL), 0,
		    "%d stale on arrival: not stored", any[i]);
		m = *t_meta(t_resp_at(any[i], 0,
		    "Cache-Control: max-age=600\r\n"));
		cache_rules_meta_negative(&m, 0);
		is_int(t_decide(&m, plain_get, NULL, 599, NULL), CACHE_FRESH,
		    "%d fresh for its max-age", any[i]);
		is_int(t_decide(&m, plain_get, NULL, 600, NULL), CACHE_STALE,
		    "%d stale after it", any[i]);
		ok(!(m.cc_flags & CACHE_META_NEGATIVE),
		    "%d an ordinary entry", any[i]);
	}
	is_int(cache_rules_storable(plain_get, t_resp_at(599, 0,
	    "Cache-Control: max-age=600, no-store, must-understand\r\n"),
	    NULL, T0, 60, 0, &why), 0, "599 no-store, must-understand");
	is_str(why, "must-understand with an unknown status", "its reason");
	is_int(t_store(NULL, t_resp_at(404, 0, "Cache-Control: max-age=600, "
	    "no-store, must-understand\r\n"), NULL), 1,
	    "404 no-store, must-understand: stored");
	is_int(t_store(NULL, t_resp_at(404, 0, "Cache-Control: max-age=600, "
	    "private\r\n"), NULL), 0, "404 private: not stored");

	/* heuristic freshness, from Last-Modified only */
	for (i = 0; i < sizeof(heur) / sizeof(heur[0]); i++) {
		if (heur[i] == 206)
			continue;	/* stored only with a Content-Range */
		is_int(t_store(NULL, t_resp_at(heur[i], 0, lm), NULL), 1,
		    "%d with Last-Modified: stored", heur[i]);
		m = *t_meta(t_resp_at(heur[i], 0, lm));
		/* a day at 20%: 17280 s, as for a 200 */
		is_int(cache_rules_freshness_lifetime(&m, NULL), 17280,
		    "%d heuristic lifetime", heur[i]);
		is_int(cache_rules_freshness_lifetime(&m, max0), 1,
		    "%d capped by refresh_pattern MAX", heur[i]);
	}
	for (i = 0; i < sizeof(not_heur) / sizeof(not_heur[0]); i++) {
		is_int(t_store(NULL, t_resp_at(not_heur[i], 0, lm), NULL), 0,
		    "%d with Last-Modified: not stored", not_heur[i]);
		m = *t_meta(t_resp_at(not_heur[i], 0, lm));
		is_int(cache_rules_freshness_lifetime(&m, min1h), 0,
		    "%d: no heuristic lifetime", not_heur[i]);
	}
	snprintf(hdr, sizeof(hdr), "%sCache-Control: public\r\n", lm);
	is_int(t_store(NULL, t_resp_at(599, 0, hdr), NULL), 1,
	    "599 public with Last-Modified: stored");
	m = *t_meta(t_resp_at(599, 0, hdr));
	is_int(cache_rules_freshness_lifetime(&m, NULL), 17280,
	    "... with the heuristic lifetime");
	is_int(t_store(NULL, t_resp_at(599, 0, "Cache-Control: public\r\n"),
	    min1h), 0, "599 public without Last-Modified: not stored");
	is_int(t_store(NULL, t_resp_at(404, 0, ""), min1h), 0,
	    "404 without Last-Modified: refresh_pattern MIN does not store it");
	is_int(t_store(NULL, t_resp_at(404, 0, t_date_hdr("Last-Modified", 0)),
	    NULL), 0, "404 modified at its Date: no heuristic lifetime");
	is_int(t_store(NULL, t_resp_at(404, 0, lm), max0), 1,
	    "404 with MAX 0: fresh for 1 s, stored");
}

static void
t_validation(void)
{
	struct cache_meta *m;
	char buf[256], *s;
	const struct http_msg *r;

	m = t_meta(t_resp_at(200, 0, "ETag: W/\"v1\"\r\nLast-Modified: Sun, 06 "
	    "Nov 1994 08:49:37 GMT\r\n"));
	is_int(cache_rules_conditional_headers(m, buf, sizeof(buf)), 73,
	    "conditional length");
	is_str(buf, "If-None-Match: W/\"v1\"\r\nIf-Modified-Since: Sun, 06 Nov "
	    "1994 08:49:37 GMT\r\n", "INM and IMS");
	is_int(cache_rules_conditional_headers(m, buf, 20), 0, "too small");
	m = t_meta(RESP("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT"
	    "\r\n\r\n"));
	cache_rules_conditional_headers(m, buf, sizeof(buf));
	is_str(buf, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	    "IMS from Date without validators");

	/* client conditionals against a stored 200 */
	m = t_meta(t_resp_at(200, 0, "ETag: \"v1\"\r\nLast-Modified: Sun, 06 "
	    "Nov 1994 08:49:37 GMT\r\n"));
	is_int(cache_rules_client_conditional(m, plain_get), 0, "no condition");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-None-Match: \"x\", W/\"v1\"\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 304,
	    "INM weak comparison matches");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 304, "INM *");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n"
	    "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 0,
	    "INM mismatch: IMS ignored");
	r = REQ("HEAD http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 304, "IMS == LM");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 0, "IMS before LM");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Modified-Since: yesterday\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 0, "invalid IMS ignored");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nIf-Match: \"x\"\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 412, "If-Match mismatch");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nIf-Match: \"v1\"\r\n"
	    "If-None-Match: \"v1\"\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 304, "If-Match then INM");
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Unmodified-Since: Sat, 05 Nov 1994 08:49:37 GMT\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 412, "IUS before LM");
	m = t_meta(t_resp_at(200, 0, "ETag: W/\"v1\"\r\n"));
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nIf-Match: \"v1\"\r\n\r\n");
	is_int(cache_rules_client_conditional(m, r), 412,
	    "If-Match uses strong comparison");
	m = t_meta(t_resp_at(200, -100, ""));
	if (asprintf(&s, "GET http://h/ HTTP/1.1\r\nHost: h\r\n%s\r\n",
	    t_date_hdr("If-Modified-Since", -50)) == -1)
		abort();
	r = REQ(s);
	is_int(cache_rules_client_conditional(m, r), 304,
	    "IMS against Date when there is no Last-Modified");
	m = t_meta(t_resp_at(404, 0, "ETag: \"v1\"\r\n"));
	r = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n"
	    "\r\n");
	is_int(cache_rules_client_conditional(m, r), 0, "no 304 for a 404");
}

static void
t_merge(void)
{
	const struct http_msg *st, *nm;
	struct http_msg *merged;
	struct cache_meta m;
	char out[1024], small[16], *copy;
	size_t n;

	st = RESP("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Content-Length: 5\r\nContent-Type: text/plain\r\nETag: \"a\"\r\n"
	    "Cache-Control: max-age=10\r\nAge: 30\r\nX-Old: 1\r\n"
	    "Content-Encoding: gzip\r\n\r\n");
	nm = RESP("HTTP/1.1 304 Not Modified\r\nDate: Mon, 07 Nov 1994 08:49:37 "
	    "GMT\r\nCache-Control: max-age=60\r\nContent-Length: 0\r\n"
	    "ETag: \"a\"\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n"
	    "Content-Encoding: identity\r\nX-New: 2\r\n\r\n");
	n = cache_rules_merge_304(st, nm, T0, out, sizeof(out));
	is_str(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Content-Type: text/plain\r\nX-Old: 1\r\nContent-Encoding: gzip\r\n"
	    "Date: Mon, 07 Nov 1994 08:49:37 GMT\r\nCache-Control: max-age=60\r\n"
	    "ETag: \"a\"\r\nX-New: 2\r\n\r\n",
	    "304 merged: framing/content kept, others replaced, hop-by-hop and "
	    "old Age dropped");
	is_int(n, strlen(out), "length returned");
	copy = strdup(out);
	merged = RESP(copy);
	is_int(merged->content_length, 5, "merged head parses, length kept");
	cache_rules_meta_fill(&m, plain_get, merged, T0, T0);
	is_int(m.max_age, 60, "new freshness from the 304");

	nm = RESP("HTTP/1.1 304 Not Modified\r\nAge: 3\r\n\r\n");
	n = cache_rules_merge_304(st, nm, 784111777 + 86400 * 2, out,
	    sizeof(out));
	is_str(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Content-Type: text/plain\r\nETag: \"a\"\r\nCache-Control: max-age=10"
	    "\r\nX-Old: 1\r\nContent-Encoding: gzip\r\nAge: 3\r\n"
	    "Date: Tue, 08 Nov 1994 08:49:37 GMT\r\n\r\n",
	    "304 without Date gets one from response_time");
	is_int(n, strlen(out), "its length");
	is_int(cache_rules_merge_304(st, nm, 784111777 + 86400 * 2, small,
	    sizeof(small)), n,
	    "truncated output reports the length needed");
	is_int(strlen(small), 15, "truncated output NUL terminated");
}

static void
t_vary(void)
{
	const struct http_msg *resp, *r1, *r2, *r3;
	char k1[256], k2[256];

	resp = RESP("HTTP/1.1 200 OK\r\nVary: Accept-Encoding, User-Agent\r\n"
	    "Vary: accept-language\r\n\r\n");
	r1 = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip,"
	    "deflate\r\nUser-Agent: a  \t b\r\nAccept-Encoding: br\r\n\r\n");
	is_int(cache_rules_vary_key(resp, r1, k1, sizeof(k1)), 65, "key length");
	is_str(k1, "accept-encoding=br, deflate, gzip\nuser-agent=a b\n"
	    "accept-language\n", "normalized key, absent field marked");
	r2 = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nUser-Agent: a b\r\n"
	    "Accept-Encoding: gzip ,  deflate, br\r\n\r\n");
	cache_rules_vary_key(resp, r2, k2, sizeof(k2));
	is_str(k2, k1, "same fields spelled differently give the same key");
	r3 = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\nUser-Agent: a b\r\n"
	    "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: \r\n\r\n");
	cache_rules_vary_key(resp, r3, k2, sizeof(k2));
	ok(strcmp(k1, k2) != 0, "empty field differs from absent");
	is_int(cache_rules_vary_key(RESP("HTTP/1.1 200 OK\r\nVary: Accept, *\r\n"
	    "\r\n"), r1, k1, sizeof(k1)), -1, "Vary: * never matches");
	is_int(cache_rules_vary_key(RESP("HTTP/1.1 200 OK\r\n\r\n"), r1, k1,
	    sizeof(k1)), 0, "no Vary: empty key");
	is_str(k1, "", "... and empty string");
	is_int(cache_rules_vary_key(resp, r1, k1, 10), -2, "buffer too small");
	is_int(cache_rules_vary_key_str("User-Agent", 10, r1, k1, sizeof(k1)),
	    15, "from text");
	is_str(k1, "user-agent=a b\n", "from text, value");
}

/* The request's Vary key for one field, from a request with header lines. */
static const char *
t_vary_one(const char *field, const char *lines)
{
	static char key[512];
	char req[1024];

	snprintf(req, sizeof(req), "GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "%s\r\n", lines);
	if (cache_rules_vary_key_str(field, strlen(field), REQ(req), key,
	    sizeof(key)) < 0)
		return "(error)";
	return key;
}

static void
t_vary_normalise(void)
{
	char k[512];

	/* RFC 9110 12.5.4: the order may rank equal qvalues: kept */
	is_str(t_vary_one("Accept-Language", "Accept-Language: en, de\r\n"),
	    "accept-language=en, de\n", "language order kept");
	strcpy(k, t_vary_one("Accept-Language",
	    "Accept-Language: de, en\r\n"));
	ok(strcmp(t_vary_one("Accept-Language", "Accept-Language: en, de\r\n"),
	    k) != 0, "language order makes another variant");
	is_str(t_vary_one("Accept-Language", "Accept-Language: dE, En\r\n"),
	    k, "language case does not matter");
	is_str(t_vary_one("Accept-Language", "Accept-Language:  de ,\t en \r\n"),
	    k, "whitespace does not matter");
	is_str(t_vary_one("Accept-Language",
	    "Accept-Language: de;q=1, en ; Q=1.000\r\n"),
	    k, "q=1 is the default");
	is_str(t_vary_one("Accept-Language",
	    "Accept-Language: de\r\nAccept-Language: en\r\n"),
	    k, "lines combined");
	is_str(t_vary_one("Accept-Language",
	    "Accept-Language: en-US;q=0.5 , fr, ,\r\n"),
	    "accept-language=en-us;q=0.5, fr\n", "qvalue kept, empty dropped");
	strcpy(k, t_vary_one("Accept-Language",
	    "Accept-Language: en, de;q=0.5\r\n"));
	ok(strcmp(k, t_vary_one("Accept-Language",
	    "Accept-Language: en;q=0.5, de\r\n")) != 0,
	    "different preferences differ");
	is_str(t_vary_one("Accept-Language", "Accept-Language: \r\n"),
	    "accept-language=\n", "empty field still differs from absent");
	is_str(t_vary_one("accept-encoding",
	    "Accept-Encoding: GZIP, br;q=1.0, identity;q=0\r\n"),
	    "accept-encoding=br, gzip, identity;q=0\n", "codings too");
	is_str(t_vary_one("User-Agent", "User-Agent: b, A\r\n"),
	    "user-agent=b, A\n", "other fields keep order and case");
}

static void
t_invalidation(void)
{
	struct cache_invalidation inv;
	const struct http_msg *post, *del;

	post = REQ("POST http://example.com/a/b/c HTTP/1.1\r\nHost: example.com"
	    "\r\nContent-Length: 0\r\n\r\n");
	is_int(cache_rules_invalidations(post, RESP("HTTP/1.1 201 Created\r\n"
	    "Location: ../d?x=1#frag\r\nContent-Location: http://other.com/x\r\n"
	    "Content-Length: 0\r\n\r\n"), "http://example.com/a/b/c", &inv), 2,
	    "target plus Location");
	is_str(inv.url[0], "http://example.com/a/b/c", "target");
	is_str(inv.url[1], "http://example.com/a/d?x=1", "relative Location");
	is_int(cache_rules_invalidations(post, RESP("HTTP/1.1 200 OK\r\n"
	    "Location: //EXAMPLE.com:80/e\r\nContent-Location: f/./g\r\n"
	    "Content-Length: 0\r\n\r\n"), "http://example.com:80/a/b/c", &inv), 3,
	    "scheme-relative and path-relative");
	is_str(inv.url[0], "http://example.com/a/b/c", "target canonical");
	is_str(inv.url[1], "http://example.com/e", "network-path reference");
	is_str(inv.url[2], "http://example.com/a/b/f/g", "merged path");
	is_int(cache_rules_invalidations(post, RESP("HTTP/1.1 303 See Other\r\n"
	    "Location: /a/b/c\r\nContent-Location: http://example.com:8080/a\r\n"
	    "Content-Length: 0\r\n\r\n"), "http://example.com/a/b/c", &inv), 1,
	    "duplicate and other-port URLs dropped");
	is_int(cache_rules_invalidations(post, RESP("HTTP/1.1 500 Oops\r\n"
	    "Content-Length: 0\r\n\r\n"), "http://example.com/a/b/c", &inv), 0,
	    "error response invalidates nothing");
	is_int(cache_rules_invalidations(plain_get, RESP("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 0\r\n\r\n"), "http://h/", &inv), 0,
	    "safe method invalidates nothing");
	del = REQ("DELETE http://example.com/x HTTP/1.1\r\nHost: example.com\r\n"
	    "\r\n");
	is_int(cache_rules_invalidations(del, RESP("HTTP/1.1 204 No Content\r\n"
	    "\r\n"), "http://example.com/x", &inv), 1, "DELETE");
	ok(cache_rules_method_is_safe("OPTIONS", 7) &&
	    !cache_rules_method_is_safe("PURGE", 5), "safe methods");
}

/* Is a POST of url answered by head reusable for later GETs? */
static int
t_post_reusable(const char *method, const char *url, const char *head)
{
	static char req[512];
	const struct http_msg *q, *r;
	struct cache_meta m;

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: example.com\r\n"
	    "Content-Length: 0\r\n\r\n", method, url);
	q = REQ(req);
	r = RESP(head);
	cache_rules_meta_fill(&m, q, r, T0, T0);
	return cache_rules_post_reusable(q, r, &m, url);
}

static void
t_post(void)
{
	const char *u = "http://example.com/a/b?x=1";

	ok(t_post_reusable("POST", u, "HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=60\r\nContent-Location: http://example.com/a/b?x=1\r\n"
	    "\r\n"), "POST: Content-Location is the target, max-age");
	ok(t_post_reusable("POST", u, "HTTP/1.1 200 OK\r\nCache-Control: "
	    "s-maxage=60\r\nContent-Location: ./b?x=1\r\n\r\n"),
	    "POST: relative Content-Location resolving to the target");
	ok(t_post_reusable("POST", u, "HTTP/1.1 200 OK\r\nExpires: "
	    "Thu, 01 Jan 2099 00:00:00 GMT\r\nContent-Location: "
	    "HTTP://EXAMPLE.COM:80/a/b?x=1\r\n\r\n"),
	    "POST: Expires, Content-Location in another spelling");
	ok(!t_post_reusable("POST", u, "HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=60\r\n\r\n"), "POST without Content-Location");
	ok(!t_post_reusable("POST", u, "HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=60\r\nContent-Location: /a/b\r\n\r\n"),
	    "POST with Content-Location of another URL");
	ok(!t_post_reusable("POST", u, "HTTP/1.1 200 OK\r\nLast-Modified: "
	    "Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Location: "
	    "http://example.com/a/b?x=1\r\n\r\n"),
	    "POST without explicit freshness");
	ok(!t_post_reusable("POST", u, "HTTP/1.1 201 Created\r\nCache-Control: "
	    "max-age=60\r\nContent-Location: http://example.com/a/b?x=1\r\n"
	    "\r\n"), "POST answered 201");
	ok(!t_post_reusable("PUT", u, "HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=60\r\nContent-Location: http://example.com/a/b?x=1\r\n"
	    "\r\n"), "PUT");
}

static void
t_blob(void)
{
	struct cache_meta m, back;
	uint8_t blob[CACHE_META_BLOB_MAX];
	size_t n;

	memcpy(&m, t_meta(t_resp_at(203, 0, "ETag: \"abc\"\r\nAge: 7\r\n"
	    "Cache-Control: max-age=60, public, stale-if-error=5\r\n"
	    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Expires: Mon, 01 Jan 2035 00:00:00 GMT\r\n")), sizeof(m));
	n = cache_rules_meta_serialize(&m, blob, sizeof(blob));
	is_int(n, 95, "blob length: 90 + ETag");
	is_int(blob[0], CACHE_META_VERSION, "version byte first");
	ok(blob[2] == 203 && blob[3] == 0, "status little-endian");
	ok(blob[8 + 16] == (uint8_t)(T0 & 0xff) &&
	    blob[8 + 17] == (uint8_t)((T0 >> 8) & 0xff), "date_value LE");
	is_int(cache_rules_meta_deserialize(&back, blob, n), 0, "deserialize");
	ok(memcmp(&m, &back, sizeof(m)) == 0, "round trip is exact");
	is_int(back.last_modified, 784111777, "last_modified back");
	is_int(back.expires, 2051222400, "expires back");
	is_int(cache_rules_meta_deserialize(&back, blob, n - 1), -1, "truncated");
	blob[0] = 99;
	is_int(cache_rules_meta_deserialize(&back, blob, n), -1, "bad version");
	is_int(cache_rules_meta_serialize(&m, blob, 50), 0, "buffer too small");
}

/* If-Range names the response's ETag or Last-Modified exactly */
static void
t_if_range(void)
{
	const struct http_msg *resp = RESP("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n"
	    "Last-Modified: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\n");

	ok(cache_rules_if_range(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "\r\n"), resp), "no If-Range");
	ok(cache_rules_if_range(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Range: \"v1\"\r\n\r\n"), resp), "same ETag");
	ok(!cache_rules_if_range(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Range: \"v2\"\r\n\r\n"), resp), "other ETag");
	ok(cache_rules_if_range(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Range: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\n"), resp),
	    "same Last-Modified");
	ok(!cache_rules_if_range(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Range: Tue, 02 Jan 2001 00:00:00 GMT\r\n\r\n"), resp),
	    "other date");
}

/* one byte range, served from a stored body of 1000 bytes */
static void
t_range(void)
{
	int64_t f = -1, l = -1;

	is_int(cache_rules_range("bytes=0-99", 10, 1000, &f, &l), 1,
	    "range: first-last");
	ok(f == 0 && l == 99, "range: 0-99");
	is_int(cache_rules_range("bytes=900-", 10, 1000, &f, &l), 1,
	    "range: open end");
	ok(f == 900 && l == 999, "range: 900-999");
	is_int(cache_rules_range("bytes=-100", 10, 1000, &f, &l), 1,
	    "range: suffix");
	ok(f == 900 && l == 999, "range: suffix is the last 100");
	is_int(cache_rules_range("bytes=-5000", 11, 1000, &f, &l), 1,
	    "range: suffix longer than the body");
	ok(f == 0 && l == 999, "range: whole body");
	is_int(cache_rules_range("bytes=500-5000", 14, 1000, &f, &l), 1,
	    "range: last clipped");
	ok(l == 999, "range: clipped to the size");
	is_int(cache_rules_range("bytes=1000-", 11, 1000, &f, &l), -1,
	    "range: past the end is unsatisfiable");
	is_int(cache_rules_range("bytes=0-1,5-6", 13, 1000, &f, &l), 0,
	    "range: several ranges serve the whole body");
	is_int(cache_rules_range("items=0-1", 9, 1000, &f, &l), 0,
	    "range: other units ignored");
	is_int(cache_rules_range("bytes=5-1", 9, 1000, &f, &l), 0,
	    "range: last before first is invalid, ignored");
	is_int(cache_rules_range("bytes=-0", 8, 1000, &f, &l), -1,
	    "range: empty suffix unsatisfiable");
}

/* a stored 206's Content-Range */
static void
t_content_range(void)
{
	static const struct {
		const char *v;
		int ok;
		int64_t f, l, n;
	} t[] = {
		{ "bytes 4-9/10", 0, 4, 9, 10 },
		{ "bytes 0-0/1", 0, 0, 0, 1 },
		{ " BYTES  0-4/10 ", 0, 0, 4, 10 },
		{ "bytes 0-4/*", -1, 0, 0, 0 },
		{ "bytes */10", -1, 0, 0, 0 },
		{ "bytes 5-4/10", -1, 0, 0, 0 },
		{ "bytes 0-10/10", -1, 0, 0, 0 },
		{ "bytes 0-4/10,", -1, 0, 0, 0 },
		{ "items 0-4/10", -1, 0, 0, 0 },
		{ "bytes -4/10", -1, 0, 0, 0 },
		{ "bytes 0-4/99999999999999999999", -1, 0, 0, 0 },
		{ "", -1, 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t f = -1, l = -1, n = -1;
		int r = cache_rules_content_range(t[i].v, strlen(t[i].v), &f,
		    &l, &n);
		is_int(r, t[i].ok, "Content-Range \"%s\"", t[i].v);
		if (t[i].ok == 0)
			ok(f == t[i].f && l == t[i].l && n == t[i].n,
			    "Content-Range \"%s\": its numbers", t[i].v);
	}
}

int
main(void)
{
	t_content_range();
	plain_get = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n");
	t_storable();
	t_status();
	t_if_range();
	t_validation();
	t_merge();
	t_vary();
	t_vary_normalise();
	t_post();
	t_invalidation();
	t_blob();
	t_range();
	return tap_done();
}
