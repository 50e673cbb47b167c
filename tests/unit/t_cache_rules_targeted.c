/*
 * Unit tests for targeted cache-control fields (RFC 9213) in the cache
 * rules: the field replaces Cache-Control and Expires for freshness and
 * storability when it is on the target list and valid, and is ignored
 * whole otherwise, with the cases of the HTTP WG cache-tests suite.
 */
#include "config.h"
#include "cache_rules.h"

#include <stdlib.h>
#include <string.h>

#include "http_date.h"
#include "tap.h"
#include "t_msg.h"

#define T0	1700000000

static struct http_msg *plain_get;
static struct cfg_str_list cdn = { "CDN-Cache-Control", NULL };

/* A 200 with Date at T0, a body, and extra header lines (leaked). */
static struct http_msg *
t_resp(const char *extra)
{
	char date[HTTP_DATE_BUFSZ], *s;

	http_date_format(T0, date, sizeof(date));
	if (asprintf(&s, "HTTP/1.1 200 OK\r\nDate: %s\r\nContent-Length: 1\r\n"
	    "%s\r\n", date, extra) == -1)
		abort();
	return t_msg(s, 0);
}

/* The metadata the worker keeps, with the target list given. */
static struct cache_meta
t_meta(const struct http_msg *resp, const struct cfg_str_list *fields,
    int *used)
{
	struct cache_meta m;
	int u;

	cache_rules_meta_fill(&m, plain_get, resp, T0, T0);
	u = cache_rules_meta_targeted(&m, resp, fields);
	if (used != NULL)
		*used = u;
	return m;
}

static int
t_storable(const char *extra, const struct cfg_str_list *fields)
{
	struct http_msg *resp = t_resp(extra);
	struct cache_meta m = t_meta(resp, fields, NULL);

	return cache_rules_storable_meta(plain_get, resp, &m, NULL, T0, 60, 0,
	    NULL);
}

static int64_t
t_lifetime(const char *extra, const struct cfg_str_list *fields)
{
	struct cache_meta m = t_meta(t_resp(extra), fields, NULL);

	return cache_rules_freshness_lifetime(&m, NULL);
}

static void
t_precedence(void)
{
	is_int(t_storable("Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=10000\r\n", &cdn), 1,
	    "cdn-fresh-cc-nostore: CDN max-age lifts Cache-Control no-store");
	is_int(t_storable("Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=10000\r\n", NULL), 0,
	    "without a target list Cache-Control no-store stands");
	is_int(t_storable("Cache-Control: max-age=10000\r\n"
	    "CDN-Cache-Control: no-store\r\n", &cdn), 0,
	    "cdn-no-store-cc-fresh: CDN no-store wins");
	is_int(t_storable("Cache-Control: max-age=10000\r\n"
	    "CDN-Cache-Control: private\r\n", &cdn), 0,
	    "cdn-private: not stored");
	is_int(t_lifetime("Cache-Control: max-age=3600\r\n"
	    "CDN-Cache-Control: max-age=1\r\n", &cdn), 1,
	    "cdn-max-age-long-cc-max-age: the short CDN max-age");
	is_int(t_lifetime("Cache-Control: max-age=1\r\n"
	    "CDN-Cache-Control: max-age=3600\r\n", &cdn), 3600,
	    "cdn-max-age-short-cc-max-age: the long CDN max-age");
	is_int(t_lifetime("Cache-Control: s-maxage=5\r\n"
	    "CDN-Cache-Control: max-age=3600\r\n", &cdn), 3600,
	    "Cache-Control s-maxage is ignored too");
	is_int(t_lifetime("Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
	    "CDN-Cache-Control: max-age=3600\r\n", &cdn), 3600,
	    "cdn-max-age-expires: a past Expires is ignored");
	is_int(t_lifetime("Expires: 0\r\n"
	    "CDN-Cache-Control: max-age=3600\r\n", &cdn), 3600,
	    "an invalid Expires is ignored");
	is_int(t_lifetime("Expires: Fri, 01 Jan 2100 00:00:00 GMT\r\n"
	    "CDN-Cache-Control: max-age=0\r\n", &cdn), 0,
	    "cdn-max-age-0-expires: a future Expires is ignored");
	is_int(t_lifetime("CDN-Cache-Control: max-age=99999999999\r\n", &cdn),
	    CACHE_RULES_DELTA_MAX, "max-age capped at 2^31");
	is_int(t_lifetime("CDN-Cache-Control: foobar, max-age=3600\r\n",
	    &cdn), 3600, "extension directives ignored");
}

static void
t_age_and_revalidation(void)
{
	struct cache_meta m;
	struct cache_req_cc rcc;
	struct cache_decision d;

	m = t_meta(t_resp("Age: 7200\r\nCDN-Cache-Control: max-age=3600\r\n"),
	    &cdn, NULL);
	cache_rules_req_cc(plain_get, &rcc);
	is_int(cache_rules_decide(&m, plain_get, &rcc, NULL, T0 + 1, &d),
	    CACHE_STALE, "cdn-max-age-age: Age beyond the CDN max-age");
	m = t_meta(t_resp("Cache-Control: max-age=10000\r\n"
	    "CDN-Cache-Control: no-cache\r\n"), &cdn, NULL);
	is_int(cache_rules_decide(&m, plain_get, &rcc, NULL, T0 + 1, &d),
	    CACHE_STALE, "cdn-no-cache: revalidated");
	m = t_meta(t_resp("CDN-Cache-Control: max-age=1, must-revalidate\r\n"),
	    &cdn, NULL);
	ok(m.cc_flags & CACHE_RESP_MUST_REVALIDATE, "must-revalidate taken");
	m = t_meta(t_resp("CDN-Cache-Control: no-cache=\"Set-Cookie\"\r\n"),
	    &cdn, NULL);
	ok((m.cc_flags & CACHE_RESP_NO_CACHE) &&
	    (m.cc_flags & CACHE_RESP_NO_CACHE_FIELDS),
	    "no-cache with field names as a String");
	m = t_meta(t_resp("CDN-Cache-Control: no-store=?0, max-age=5\r\n"),
	    &cdn, NULL);
	ok(!(m.cc_flags & CACHE_RESP_NO_STORE) && m.max_age == 5,
	    "no-store=?0 is no no-store");
}

static void
t_invalid_fields(void)
{
	int used;

	is_int(t_storable("Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=10000, &&&&&\r\n", &cdn), 0,
	    "cdn-cc-invalid-sh-type-unknown: falls back to no-store");
	is_int(t_storable("Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=\"10000\"\r\n", &cdn), 0,
	    "cdn-cc-invalid-sh-type-wrong: falls back to no-store");
	is_int(t_lifetime("Cache-Control: max-age=1\r\n"
	    "CDN-Cache-Control: max-age =100\r\n", &cdn), 1,
	    "space before = : Cache-Control applies");
	is_int(t_lifetime("Cache-Control: max-age=1\r\n"
	    "CDN-Cache-Control: MaX-aGe=100\r\n", &cdn), 1,
	    "uppercase key: not a Dictionary");
	is_int(t_lifetime("Cache-Control: max-age=1\r\n"
	    "CDN-Cache-Control: max-age=-5\r\n", &cdn), 1,
	    "a negative max-age: ignored whole");
	t_meta(t_resp("Cache-Control: max-age=1\r\nCDN-Cache-Control:\r\n"),
	    &cdn, &used);
	is_int(used, 0, "an empty field is ignored");
	t_meta(t_resp("Cache-Control: max-age=1\r\n"
	    "CDN-Cache-Control: max-age=5\r\nCDN-Cache-Control: ,\r\n"),
	    &cdn, &used);
	is_int(used, 0, "one bad line spoils the field");
	is_int(t_lifetime("CDN-Cache-Control: max-age=5\r\n"
	    "cdn-cache-control: s-maxage=7\r\n", &cdn), 7,
	    "lines of one field add up, names case-insensitive");
}

static void
t_target_list(void)
{
	struct cfg_str_list second = { "CDN-Cache-Control", NULL };
	struct cfg_str_list first = { "Acme-Cache-Control", &second };

	is_int(t_lifetime("Acme-Cache-Control: max-age=20\r\n"
	    "CDN-Cache-Control: max-age=10\r\n", &first), 20,
	    "the first field of the list wins");
	is_int(t_lifetime("Acme-Cache-Control: max-age=\"20\"\r\n"
	    "CDN-Cache-Control: max-age=10\r\n", &first), 10,
	    "an invalid first field gives way to the next");
	is_int(t_lifetime("Cache-Control: max-age=30\r\n"
	    "Acme-Cache-Control: max-age=20\r\n", &second), 30,
	    "a field not on the list changes nothing");
}

int
main(void)
{
	plain_get = t_msg("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	t_precedence();
	t_age_and_revalidation();
	t_invalid_fields();
	t_target_list();
	return tap_done();
}
