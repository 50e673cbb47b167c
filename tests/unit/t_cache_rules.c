/*
 * Unit tests for the cache rules' freshness side, with concrete clocks so
 * every figure is checked to the second: Cache-Control parsing, age (Age
 * header, clock skew), lifetime from s-maxage, max-age, Expires and Squid's
 * refresh_pattern heuristics (including the live 86 s Last-Modified
 * example), negative_ttl, the decision under every request directive, and
 * serving stale on error.  What is stored and how it is validated, merged
 * and keyed is in t_cache_rules_store.c.
 */
#include "config.h"
#include "cache_rules.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_cache_rules.h"

static void
t_cc(void)
{
	struct cache_resp_cc c;
	struct cache_req_cc r;

	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\nCache-Control: max-age=60, "
	    "s-maxage=30, public, no-cache=\"Set-Cookie, X-A\", private, "
	    "must-revalidate\r\nCache-Control: proxy-revalidate, "
	    "must-understand, immutable, stale-while-revalidate=10, "
	    "stale-if-error=20, no-transform, foo=bar, no-store, x=\"a,b\"\r\n"
	    "\r\n"), &c);
	is_int(c.max_age, 60, "resp max-age");
	is_int(c.s_maxage, 30, "resp s-maxage");
	is_int(c.stale_while_revalidate, 10, "stale-while-revalidate");
	is_int(c.stale_if_error, 20, "stale-if-error");
	is_int(c.flags, CACHE_RESP_PUBLIC | CACHE_RESP_NO_CACHE |
	    CACHE_RESP_NO_CACHE_FIELDS | CACHE_RESP_PRIVATE |
	    CACHE_RESP_MUST_REVALIDATE | CACHE_RESP_PROXY_REVALIDATE |
	    CACHE_RESP_MUST_UNDERSTAND | CACHE_RESP_IMMUTABLE |
	    CACHE_RESP_NO_TRANSFORM | CACHE_RESP_NO_STORE,
	    "every flag over two lines, quoted commas and unknowns skipped");

	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\nCache-Control: "
	    "private=\"X\", MAX-AGE=abc\r\n\r\n"), &c);
	is_int(c.flags, CACHE_RESP_PRIVATE | CACHE_RESP_PRIVATE_FIELDS,
	    "qualified private");
	is_int(c.max_age, 0, "invalid max-age means stale (0)");
	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=10, max-age=20\r\n\r\n"), &c);
	is_int(c.max_age, 0, "conflicting max-age means stale");
	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=10\r\nCache-Control: max-age=10\r\n\r\n"), &c);
	is_int(c.max_age, 10, "repeated equal max-age is fine");
	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=\"5\", s-maxage=99999999999999\r\n\r\n"), &c);
	is_int(c.max_age, 5, "quoted max-age accepted");
	is_int(c.s_maxage, 2147483648LL, "delta-seconds capped at 2^31");
	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\nCache-Control: max-age\r\n"
	    "\r\n"), &c);
	is_int(c.max_age, 0, "max-age without value means stale");
	cache_rules_resp_cc(RESP("HTTP/1.1 200 OK\r\n\r\n"), &c);
	ok(c.max_age == -1 && c.s_maxage == -1 && c.flags == 0 &&
	    c.stale_while_revalidate == -1 && c.stale_if_error == -1,
	    "no Cache-Control: all absent");

	cache_rules_req_cc(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-age=5, max-stale, min-fresh=10, only-if-cached, "
	    "no-store, no-cache, no-transform, stale-if-error=7\r\n\r\n"), &r);
	is_int(r.max_age, 5, "req max-age");
	ok(r.max_stale == CACHE_RULES_ANY, "bare max-stale is any staleness");
	is_int(r.min_fresh, 10, "req min-fresh");
	is_int(r.stale_if_error, 7, "req stale-if-error");
	is_int(r.flags, CACHE_REQ_ONLY_IF_CACHED | CACHE_REQ_NO_STORE |
	    CACHE_REQ_NO_CACHE | CACHE_REQ_NO_TRANSFORM, "req flags");
	cache_rules_req_cc(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale=30, max-age=x\r\n\r\n"), &r);
	is_int(r.max_stale, 30, "max-stale with value");
	is_int(r.max_age, 0, "invalid request max-age insists on validation");
	cache_rules_req_cc(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Pragma: no-cache\r\n\r\n"), &r);
	is_int(r.flags, CACHE_REQ_NO_CACHE | CACHE_REQ_PRAGMA,
	    "Pragma: no-cache without Cache-Control");
	cache_rules_req_cc(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Pragma: no-cache\r\nCache-Control: max-age=100\r\n\r\n"), &r);
	is_int(r.flags, 0, "Pragma ignored when Cache-Control is present");
}

/* negative_ttl: which statuses, what lifetime, and how a hit is decided */
static void
t_negative(void)
{
	static const int other[] = { 201, 202, 205, 303, 401, 402, 407, 409,
	    418, 429, 451, 505, 507 };
	static const int neg[] = { 204, 305, 400, 403, 404, 405, 414, 421,
	    500, 501, 502, 503, 504 };
	const struct http_msg *nc = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Pragma: no-cache\r\n\r\n");
	const struct http_msg *ma0 = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-age=0\r\n\r\n");
	const struct http_msg *ims = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-None-Match: \"e\"\r\n\r\n");
	struct cfg_refresh *irl = t_rp(".", 0, 0, 20, 4320 * 60,
	    CFG_REFRESH_IGNORE_RELOAD);
	struct cache_meta m;
	const char *why;
	size_t i;

	/* negative_ttl only concerns Squid's negative statuses */
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		ok(!cache_rules_status_negative(other[i]),
		    "%d is not negative", other[i]);
		is_int(cache_rules_storable(plain_get, t_resp_at(other[i], 0,
		    "Location: /x\r\n"), NULL, T0, 60, 60, NULL), 0,
		    "%d without freshness, negative_ttl 60 s: not stored",
		    other[i]);
	}
	for (i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
		ok(cache_rules_status_negative(neg[i]), "%d is negative",
		    neg[i]);
		is_int(cache_rules_storable(plain_get, t_resp_at(neg[i], 0, ""),
		    NULL, T0, 60, 1, NULL), 1,
		    "%d without freshness, negative_ttl 1 s: stored", neg[i]);
	}
	ok(!cache_rules_status_negative(410) && !cache_rules_status_negative(200),
	    "410 and 200 are positive");
	is_int(cache_rules_storable(plain_get, t_resp_at(404, 0,
	    "Cache-Control: no-store\r\n"), NULL, T0, 60, 60, &why), 0,
	    "no-store still wins");
	is_int(cache_rules_storable(plain_get, t_resp_at(404, 0,
	    "Cache-Control: private\r\n"), NULL, T0, 60, 60, NULL), 0,
	    "private still wins");
	is_int(cache_rules_storable(plain_get, t_resp_at(404, 0, ""), NULL, T0,
	    60, 0, &why), 0, "404 without freshness, negative_ttl 0");
	is_str(why, "no explicit freshness and no Last-Modified",
	    "its reason");
	is_int(cache_rules_storable(plain_get, t_resp_at(410, 0,
	    "Cache-Control: max-age=600\r\n"), NULL, T0, 60, 0, NULL), 1,
	    "410 with max-age is an ordinary object");

	/* no explicit freshness: negative_ttl from arrival */
	m = *t_meta(t_resp_at(404, -10, ""));
	cache_rules_meta_negative(&m, 60);
	ok(m.cc_flags & CACHE_META_NEGATIVE, "404 became a negative entry");
	is_int(t_decide(&m, plain_get, NULL, 59, NULL), CACHE_FRESH,
	    "fresh 59 s after arrival, Date 10 s behind");
	is_int(t_decide(&m, plain_get, NULL, 60, NULL), CACHE_RELOAD,
	    "expired after negative_ttl: a plain miss, not a revalidation");
	is_int(t_decide(&m, ma0, NULL, 10, NULL), CACHE_FRESH,
	    "request max-age=0 still gets the negative hit");
	is_int(t_decide(&m, nc, NULL, 10, NULL), CACHE_RELOAD,
	    "client no-cache bypasses it");
	is_int(t_decide(&m, nc, irl, 10, NULL), CACHE_FRESH,
	    "... unless ignore-reload");
	is_int(t_decide(&m, plain_get, NULL, 10, NULL), CACHE_FRESH, "fresh");

	/* explicit freshness wins over negative_ttl, both ways */
	m = *t_meta(t_resp_at(404, 0, "Cache-Control: max-age=600\r\n"));
	cache_rules_meta_negative(&m, 2);
	is_int(t_decide(&m, plain_get, NULL, 300, NULL), CACHE_FRESH,
	    "max-age=600 outlives negative_ttl 2 s");
	m = *t_meta(t_resp_at(404, 0, "Cache-Control: max-age=1, no-cache, "
	    "must-revalidate\r\nETag: \"e\"\r\n"));
	cache_rules_meta_negative(&m, 60);
	is_int(t_decide(&m, plain_get, NULL, 0, NULL), CACHE_FRESH,
	    "no-cache and must-revalidate do not stop a negative hit");
	is_int(cache_rules_client_conditional(&m, ims), 0,
	    "a matching If-None-Match gets the error in full");
	is_int(t_decide(&m, plain_get, NULL, 1, NULL), CACHE_RELOAD,
	    "max-age=1 expires before negative_ttl");

	/* stale on arrival: an ordinary stale object, revalidated */
	m = *t_meta(t_resp_at(404, 0, "Cache-Control: max-age=0\r\n"));
	cache_rules_meta_negative(&m, 60);
	ok(!(m.cc_flags & CACHE_META_NEGATIVE), "max-age=0: not negative");
	is_int(t_decide(&m, plain_get, NULL, 0, NULL), CACHE_STALE,
	    "max-age=0: revalidated (TCP_REFRESH_MODIFIED in Squid)");
	m = *t_meta(t_resp_at(404, 0, t_date_hdr("Expires", -60)));
	cache_rules_meta_negative(&m, 60);
	ok(!(m.cc_flags & CACHE_META_NEGATIVE), "Expires in the past: same");

	/* only negative statuses, only with negative_ttl */
	m = *t_meta(t_resp_at(410, 0, "Cache-Control: max-age=600\r\n"));
	cache_rules_meta_negative(&m, 60);
	ok(!(m.cc_flags & CACHE_META_NEGATIVE), "410 is not negative");
	m = *t_meta(t_resp_at(204, 0, ""));
	cache_rules_meta_negative(&m, 0);
	ok(!(m.cc_flags & CACHE_META_NEGATIVE) && m.expires == -1,
	    "negative_ttl 0 changes nothing");
	cache_rules_meta_negative(&m, 60);
	ok(m.cc_flags & CACHE_META_NEGATIVE, "a 204 is negative");
	{
		uint8_t blob[CACHE_META_BLOB_MAX];
		struct cache_meta back;
		size_t n = cache_rules_meta_serialize(&m, blob, sizeof(blob));

		ok(n > 0 && cache_rules_meta_deserialize(&back, blob, n) == 0 &&
		    (back.cc_flags & CACHE_META_NEGATIVE) &&
		    back.expires == m.expires, "the mark survives the blob");
	}
}

static void
t_freshness(void)
{
	struct cache_meta m;
	struct http_msg *r;
	char *s;

	/*
	 * Sent at T0, received at T0+2, Date says T0-10 (apparent age 12),
	 * Age: 5 (corrected 5+2=7): initial age 12; at T0+100 it is 110.
	 */
	if (asprintf(&s, "%sAge: 5\r\nCache-Control: max-age=200\r\n",
	    t_date_hdr("X-Pad", 0)) == -1)
		abort();
	r = t_resp_at(200, -10, s);
	cache_rules_meta_fill(&m, plain_get, r, T0, T0 + 2);
	is_int(m.date_value, T0 - 10, "date_value");
	is_int(m.age_value, 5, "age_value");
	is_int(cache_rules_current_age(&m, T0 + 2), 12, "initial age = apparent");
	is_int(cache_rules_current_age(&m, T0 + 100), 110, "current_age later");
	is_int(cache_rules_freshness_lifetime(&m, NULL), 200, "max-age lifetime");

	/* Age dominates: Age 50 + delay 2 > apparent 12 */
	r = t_resp_at(200, -10, "Age: 50\r\n");
	cache_rules_meta_fill(&m, plain_get, r, T0, T0 + 2);
	is_int(cache_rules_current_age(&m, T0 + 2), 52, "Age + response delay");

	/* origin clock 300 s fast: apparent age clamps to 0 */
	r = t_resp_at(200, 300, "Age: 3\r\nCache-Control: max-age=60\r\n");
	cache_rules_meta_fill(&m, plain_get, r, T0, T0 + 1);
	is_int(cache_rules_current_age(&m, T0 + 1), 4, "clock skew ahead");
	is_int(cache_rules_current_age(&m, T0 + 57), 60, "... 56 s later");
	is_int(t_decide(&m, plain_get, NULL, 56, NULL), CACHE_FRESH,
	    "fresh at age 59");
	is_int(t_decide(&m, plain_get, NULL, 57, NULL), CACHE_STALE,
	    "stale at age 60");
	is_int(cache_rules_current_age(&m, T0 - 50), 4,
	    "clock stepped back: no negative resident time");

	/* no Date: response_time stands in */
	r = RESP("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n\r\n");
	cache_rules_meta_fill(&m, plain_get, r, T0, T0 + 3);
	is_int(m.date_value, T0 + 3, "missing Date uses response_time");
	is_int(cache_rules_current_age(&m, T0 + 3), 3, "age is response delay");

	/* precedence: s-maxage > max-age > Expires */
	is_int(cache_rules_freshness_lifetime(t_meta(t_resp_at(200, 0,
	    "Cache-Control: max-age=100, s-maxage=50\r\nExpires: Mon, 01 Jan 2035"
	    " 00:00:00 GMT\r\n")), NULL), 50, "s-maxage first");
	is_int(cache_rules_freshness_lifetime(t_meta(t_resp_at(200, 0,
	    "Cache-Control: max-age=100\r\nExpires: Mon, 01 Jan 2035 00:00:00 "
	    "GMT\r\n")), NULL), 100, "max-age over Expires");
	is_int(cache_rules_freshness_lifetime(t_meta(t_resp_at(200, 100,
	    t_date_hdr("Expires", 400))), NULL), 300, "Expires - Date");
	is_int(cache_rules_freshness_lifetime(t_meta(t_resp_at(200, 0,
	    "Expires: 0\r\nLast-Modified: Mon, 01 Jan 2001 00:00:00 GMT\r\n")),
	    NULL), 0, "invalid Expires is in the past, beats heuristics");
	is_int(cache_rules_freshness_lifetime(t_meta(t_resp_at(200, 0,
	    t_date_hdr("Expires", -100))), NULL), 0, "Expires before Date");
}

static void
t_heuristic(void)
{
	struct cfg_refresh *dflt = t_rp(".", 0, 0, 20, 4320 * 60, 0);
	struct cfg_refresh *min1h = t_rp(".", 0, 3600, 20, 86400, 0);
	struct cfg_refresh *ovexp = t_rp(".", 0, 3600, 20, 86400,
	    CFG_REFRESH_OVERRIDE_EXPIRE);
	struct cfg_refresh *ovlm = t_rp(".", 0, 600, 20, 86400,
	    CFG_REFRESH_OVERRIDE_LASTMOD);
	struct cfg_refresh *list, *gif, *cgi;
	struct cache_meta *m;
	struct cache_decision d;

	/* squid-compat 3.7 live example: Last-Modified 86 s before Date */
	m = t_meta(t_resp_at(200, 0, t_date_hdr("Last-Modified", -86)));
	is_int(cache_rules_freshness_lifetime(m, NULL), 18,
	    "20%% of 86 s is 17.2 s: fresh through age 17");
	is_int(t_decide(m, plain_get, NULL, 15, &d), CACHE_FRESH,
	    "TCP_MEM_HIT at +15 s");
	is_int(d.age, 15, "age reported for the Age header");
	is_int(t_decide(m, plain_get, NULL, 17, NULL), CACHE_FRESH,
	    "fresh at +17 s");
	is_int(t_decide(m, plain_get, NULL, 18, NULL), CACHE_STALE,
	    "stale at +18 s");
	is_int(t_decide(m, plain_get, dflt, 19, &d), CACHE_STALE,
	    "TCP_REFRESH at +19 s with '. 0 20%% 4320'");
	is_str(d.reason, "stale", "reason");

	/* explicit expiry ignores MIN... */
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=10\r\n"));
	is_int(cache_rules_freshness_lifetime(m, min1h), 10,
	    "explicit expiry ignores MIN");
	/* ...unless override-expire */
	is_int(cache_rules_freshness_lifetime(m, ovexp), 3600,
	    "override-expire raises it to MIN");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=7200\r\n"));
	is_int(cache_rules_freshness_lifetime(m, ovexp), 7200,
	    "override-expire keeps a longer explicit expiry");
	/* no Last-Modified: MIN */
	m = t_meta(t_resp_at(200, 0, "ETag: \"e\"\r\n"));
	is_int(cache_rules_freshness_lifetime(m, min1h), 3600, "MIN rule");
	is_int(cache_rules_freshness_lifetime(m, NULL), 0, "default MIN is 0");
	/* LM-factor capped by MAX (stale when age > MAX) */
	m = t_meta(t_resp_at(200, 0, t_date_hdr("Last-Modified", -10 * 86400)));
	is_int(cache_rules_freshness_lifetime(m, min1h), 86401,
	    "2 days of LM-factor capped: fresh through age MAX");
	is_int(cache_rules_freshness_lifetime(m, NULL), 2 * 86400,
	    "default MAX is 3 days, LM-factor 2 days");
	/* LM-factor below MIN wins without override-lastmod */
	m = t_meta(t_resp_at(200, 0, t_date_hdr("Last-Modified", -86)));
	is_int(cache_rules_freshness_lifetime(m, min1h), 18,
	    "LM-factor used even below MIN");
	is_int(cache_rules_freshness_lifetime(m, ovlm), 600,
	    "override-lastmod enforces MIN");
	/* Last-Modified not before Date: MIN */
	m = t_meta(t_resp_at(200, 0, t_date_hdr("Last-Modified", 0)));
	is_int(cache_rules_freshness_lifetime(m, min1h), 3600,
	    "Last-Modified == Date falls to MIN");

	/* first matching pattern wins */
	list = t_rp("^ftp:", 0, 1440 * 60, 20, 10080 * 60, 0);
	gif = list->next = t_rp("\\.gif$", 1, 60, 50, 120, 0);
	cgi = gif->next = t_rp("(/cgi-bin/|\\?)", 1, 0, 0, 0, 0);
	cgi->next = dflt;
	ok(cache_rules_refresh_match(list, "ftp://h/x.gif") == list,
	    "first match wins");
	ok(cache_rules_refresh_match(list, "http://h/X.GIF") == gif, "-i");
	ok(cache_rules_refresh_match(list, "http://h/a?b") == cgi, "cgi rule");
	ok(cache_rules_refresh_match(list, "http://h/a") == dflt, "catch-all");
	ok(cache_rules_refresh_match(list->next->next, "http://h/a") == dflt,
	    "list tail");
	ok(cache_rules_refresh_match(NULL, "http://h/a") == NULL, "no match");
	is_int(cache_rules_refresh_max(NULL), 259200, "default MAX upstream");
	is_int(cache_rules_refresh_max(list), 604800, "pattern MAX upstream");
	m = t_meta(t_resp_at(200, 0, t_date_hdr("Last-Modified", -86400)));
	is_int(cache_rules_freshness_lifetime(m, cgi), 0, "0 0%% 0 never fresh");
}

static void
t_decisions(void)
{
	struct cfg_refresh *rims = t_rp(".", 0, 0, 20, 86400,
	    CFG_REFRESH_RELOAD_INTO_IMS);
	struct cfg_refresh *irel = t_rp(".", 0, 0, 20, 86400,
	    CFG_REFRESH_IGNORE_RELOAD);
	struct cfg_refresh *rfims = t_rp(".", 0, 0, 20, 86400,
	    CFG_REFRESH_REFRESH_IMS);
	struct cache_meta m100, *m;
	struct cache_decision d;
	const struct http_msg *nocache = REQ("GET http://h/ HTTP/1.1\r\n"
	    "Host: h\r\nCache-Control: no-cache\r\n\r\n");
	const struct http_msg *pragma = REQ("GET http://h/ HTTP/1.1\r\n"
	    "Host: h\r\nPragma: no-cache\r\n\r\n");
	const struct http_msg *reload = REQ("GET http://h/ HTTP/1.1\r\n"
	    "Host: h\r\nCache-Control: max-age=0\r\n\r\n");
	const struct http_msg *ims = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\n");

	m100 = *t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100\r\n"
	    "ETag: \"v1\"\r\n"));
	is_int(t_decide(&m100, plain_get, NULL, 50, &d), CACHE_FRESH, "fresh");
	ok(d.age == 50 && d.lifetime == 100 && d.stale == 0 &&
	    d.only_if_cached == 0, "decision details");
	is_int(t_decide(&m100, plain_get, NULL, 100, NULL), CACHE_STALE,
	    "stale when age == lifetime");
	is_int(t_decide(&m100, nocache, NULL, 50, &d), CACHE_RELOAD,
	    "client no-cache reloads");
	is_str(d.reason, "client no-cache", "reload reason");
	is_int(t_decide(&m100, pragma, NULL, 50, NULL), CACHE_RELOAD,
	    "Pragma: no-cache reloads");
	is_int(t_decide(&m100, nocache, rims, 50, NULL), CACHE_STALE,
	    "reload-into-ims revalidates");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100\r\n"
	    "ETag: W/\"v1\"\r\n"));
	is_int(t_decide(m, nocache, rims, 50, NULL), CACHE_RELOAD,
	    "reload-into-ims needs Last-Modified or a strong ETag");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100\r\n"
	    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	is_int(t_decide(m, pragma, rims, 50, NULL), CACHE_STALE,
	    "reload-into-ims with Last-Modified");
	is_int(t_decide(&m100, nocache, irel, 50, NULL), CACHE_FRESH,
	    "ignore-reload serves");
	is_int(t_decide(&m100, ims, rfims, 50, NULL), CACHE_STALE,
	    "refresh-ims sends a client IMS upstream");
	is_int(t_decide(&m100, ims, NULL, 50, NULL), CACHE_FRESH,
	    "without refresh-ims a client IMS is answered here");
	{
		/* reload_into_ims, refresh_all_ims: the options without a
		 * refresh_pattern; ignore-reload still wins */
		struct cache_req_cc rcc;
		cache_rules_req_cc(nocache, &rcc);
		rcc.refresh_flags = CFG_REFRESH_RELOAD_INTO_IMS;
		is_int(cache_rules_decide(&m100, nocache, &rcc, NULL, T0 + 50,
		    &d), CACHE_STALE, "reload_into_ims revalidates");
		is_int(cache_rules_decide(&m100, nocache, &rcc, irel, T0 + 50,
		    &d), CACHE_FRESH, "ignore-reload beats reload_into_ims");
		cache_rules_req_cc(ims, &rcc);
		rcc.refresh_flags = CFG_REFRESH_REFRESH_IMS;
		is_int(cache_rules_decide(&m100, ims, &rcc, NULL, T0 + 50, &d),
		    CACHE_STALE, "refresh_all_ims sends a client IMS upstream");
	}
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: no-store\r\n\r\n"), NULL, 50, NULL), CACHE_FRESH,
	    "request no-store may still be served (RFC 9111 5.2.1.5)");
	is_int(t_decide(&m100, reload, NULL, 50, NULL), CACHE_STALE,
	    "request max-age=0 revalidates");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-age=60\r\n\r\n"), NULL, 50, NULL), CACHE_FRESH,
	    "request max-age=60 at age 50");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-age=40\r\n\r\n"), NULL, 50, NULL), CACHE_STALE,
	    "request max-age=40 at age 50");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: min-fresh=30\r\n\r\n"), NULL, 50, NULL), CACHE_FRESH,
	    "min-fresh=30 with 50 s left");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: min-fresh=60\r\n\r\n"), NULL, 50, NULL), CACHE_STALE,
	    "min-fresh=60 with 50 s left");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale\r\n\r\n"), NULL, 1000, &d), CACHE_FRESH,
	    "bare max-stale serves stale");
	is_int(d.stale, 1, "... flagged stale");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale=20\r\n\r\n"), NULL, 120, NULL), CACHE_FRESH,
	    "max-stale=20 at 20 s stale");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale=20\r\n\r\n"), NULL, 121, NULL), CACHE_STALE,
	    "max-stale=20 at 21 s stale");
	is_int(t_decide(&m100, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: only-if-cached\r\n\r\n"), NULL, 200, &d), CACHE_STALE,
	    "only-if-cached on stale: caller answers 504");
	is_int(d.only_if_cached, 1, "only_if_cached reported");

	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "must-revalidate\r\n"));
	is_int(t_decide(m, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale\r\n\r\n"), NULL, 150, NULL), CACHE_STALE,
	    "must-revalidate beats max-stale");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "proxy-revalidate\r\n"));
	is_int(t_decide(m, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale\r\n\r\n"), NULL, 150, NULL), CACHE_STALE,
	    "proxy-revalidate beats max-stale");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: s-maxage=100\r\n"));
	is_int(t_decide(m, REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale\r\n\r\n"), NULL, 150, NULL), CACHE_STALE,
	    "s-maxage implies proxy-revalidate");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "no-cache\r\n"));
	is_int(t_decide(m, plain_get, NULL, 10, NULL), CACHE_STALE,
	    "response no-cache: validate even when fresh");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: private, "
	    "max-age=100\r\n"));
	is_int(t_decide(m, plain_get, t_rp(".", 0, 0, 20, 86400,
	    CFG_REFRESH_IGNORE_PRIVATE), 10, NULL), CACHE_STALE,
	    "ignore-private: stored, but revalidated even when fresh");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "stale-while-revalidate=30\r\n"));
	is_int(t_decide(m, plain_get, NULL, 130, NULL), CACHE_STALE_SWR,
	    "within stale-while-revalidate");
	is_int(t_decide(m, plain_get, NULL, 131, NULL), CACHE_STALE,
	    "past stale-while-revalidate");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "immutable\r\n"));
	is_int(t_decide(m, reload, NULL, 50, NULL), CACHE_FRESH,
	    "immutable: a plain reload is served while fresh");
	is_int(t_decide(m, reload, NULL, 150, NULL), CACHE_STALE,
	    "immutable but stale: revalidate");
	is_int(t_decide(m, nocache, NULL, 50, NULL), CACHE_RELOAD,
	    "immutable: a force reload still reloads");
}

static void
t_stale_on_error(void)
{
	struct cfg_refresh *ms50 = t_rp(".", 0, 0, 20, 86400, 0);
	struct cfg_refresh *dot = t_rp(".", 0, 0, 20, 86400, 0);
	struct cache_req_cc rcc;
	struct cache_meta *m;
	int64_t wk = CACHE_RULES_MAX_STALE_DEFAULT;

	ms50->max_stale_s = 50;
	cache_rules_req_cc(plain_get, &rcc);
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "stale-if-error=60\r\n"));
	is_int(cache_rules_stale_on_error(m, &rcc, ms50, 503, T0 + 150, wk), 1,
	    "stale-if-error covers 50 s stale");
	is_int(cache_rules_stale_on_error(m, &rcc, ms50, 503, T0 + 161, wk), 0,
	    "61 s stale is past stale-if-error and max-stale=50");
	is_int(cache_rules_stale_on_error(m, &rcc, dot, 503, T0 + 161, wk), 0,
	    "past stale-if-error, max_stale (1 week) does not extend it");
	is_int(cache_rules_stale_on_error(m, &rcc, NULL, 404, T0 + 150, wk), 0,
	    "a 404 is not a failure");
	is_int(cache_rules_stale_on_error(m, &rcc, NULL, 0, T0 + 150, wk), 1,
	    "no response at all");

	/* without stale-if-error: refresh_pattern max-stale=, max_stale */
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100\r\n"));
	is_int(cache_rules_stale_on_error(m, &rcc, dot, 502, T0 + 100 + wk, wk),
	    1, "a week stale, within max_stale");
	is_int(cache_rules_stale_on_error(m, &rcc, dot, 502, T0 + 100 + wk + 1,
	    wk), 0, "older than max_stale");
	is_int(cache_rules_stale_on_error(m, &rcc, dot, 0, T0 + 160, 30), 0,
	    "max_stale 30 s: 60 s stale is too old");
	is_int(cache_rules_stale_on_error(m, &rcc, ms50, 0, T0 + 150, 30), 1,
	    "max-stale=50 overrides max_stale");
	is_int(cache_rules_stale_on_error(m, &rcc, ms50, 0, T0 + 151, wk), 0,
	    "max-stale=50 overrides max_stale, both ways");
	is_int(cache_rules_stale_on_error(m, &rcc, NULL, 500, T0 + 100, wk), 1,
	    "no rule matched: 0 s stale is within max-stale=0");
	is_int(cache_rules_stale_on_error(m, &rcc, NULL, 500, T0 + 101, wk), 0,
	    "no rule matched: Squid's built-in max-stale=0");

	/* RFC 9111 4.2.4: the response forbids serving it stale */
	static const char *forbid[] = { "max-age=100, must-revalidate",
	    "max-age=100, proxy-revalidate", "max-age=100, s-maxage=100",
	    "no-cache" };
	for (size_t i = 0; i < sizeof(forbid) / sizeof(forbid[0]); i++) {
		char h[128];
		snprintf(h, sizeof(h), "Cache-Control: %s, stale-if-error=60"
		    "\r\n", forbid[i]);
		m = t_meta(t_resp_at(200, 0, h));
		is_int(cache_rules_stale_on_error(m, &rcc, dot, 500, T0 + 150,
		    wk), 0, forbid[i]);
	}

	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100\r\n"));
	cache_rules_req_cc(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: stale-if-error=100\r\n\r\n"), &rcc);
	is_int(cache_rules_stale_on_error(m, &rcc, ms50, 500, T0 + 190, wk), 1,
	    "request stale-if-error");
	m = t_meta(t_resp_at(200, 0, "Cache-Control: max-age=100, "
	    "stale-if-error=10\r\n"));
	cache_rules_req_cc(REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Cache-Control: max-stale\r\n\r\n"), &rcc);
	is_int(cache_rules_stale_on_error(m, &rcc, dot, 500, T0 + 190, wk), 1,
	    "request max-stale outweighs an expired stale-if-error");
}

int
main(void)
{
	plain_get = REQ("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n");
	t_cc();
	t_negative();
	t_freshness();
	t_heuristic();
	t_decisions();
	t_stale_on_error();
	return tap_done();
}
