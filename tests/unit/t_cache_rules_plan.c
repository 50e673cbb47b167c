/*
 * Unit tests for cache_rules_plan(), the one verdict the worker acts on for
 * memory and disk hits alike: a table with one row per case, each giving
 * what is stored (a response received at T0, or nothing), the request's
 * header lines and the clock, and the exact action, age, negative flag,
 * conditional header lines and reason expected.
 */
#include "config.h"
#include "cache_rules.h"

#include <stdlib.h>
#include <string.h>

#include "http_date.h"
#include "tap.h"
#include "t_msg.h"

#define T0	1700000000
#define D0	"Tue, 14 Nov 2023 22:13:20 GMT"	/* T0: every stored Date */
#define LM	"Tue, 14 Nov 2023 21:13:20 GMT"	/* T0 - 3600 */
#define IMS_LM	"If-Modified-Since: " LM "\r\n"
#define IMS_D0	"If-Modified-Since: " D0 "\r\n"
#define INM_V1	"If-None-Match: \"v1\"\r\n"

#define MA60	"Cache-Control: max-age=60\r\n"
#define MA60_LM	MA60 "Last-Modified: " LM "\r\n"
#define SWR	"Cache-Control: max-age=60, stale-while-revalidate=30\r\n" \
		"Last-Modified: " LM "\r\n"
#define IMMUT	"Cache-Control: max-age=60, immutable\r\n" \
		"Last-Modified: " LM "\r\n"
#define NOSTORE	NULL			/* nothing stored */

#define SERVE	CACHE_PLAN_SERVE
#define STALE	CACHE_PLAN_SERVE_STALE
#define REVAL	CACHE_PLAN_REVALIDATE
#define FETCH	CACHE_PLAN_FETCH
#define OIC	CACHE_PLAN_ONLY_IF_CACHED

/* Stored meta changes a response cannot express. */
#define T_NODATE	0x01	/* Date no HTTP-date can say: no validator */

static const struct t_plan {
	const char	*name;
	int		 status;	/* of the stored response */
	const char	*stored;	/* its header lines after Date: D0 */
	int64_t		 negative_ttl;	/* cache_rules_meta_negative */
	unsigned	 tweak;		/* T_* */
	const char	*req;		/* request header lines */
	int		 at;		/* now = T0 + at */
	enum cache_plan_action action;
	int64_t		 age;
	int		 negative;
	const char	*cond;
	const char	*reason;
} t_plans[] = {
	{ "fresh", 200, MA60, 0, 0, "", 10,
	    SERVE, 10, 0, "", "fresh" },
	{ "stale, ETag: If-None-Match (and IMS from Date)", 200,
	    MA60 "ETag: \"v1\"\r\n", 0, 0, "", 100,
	    REVAL, 100, 0, INM_V1 IMS_D0, "stale" },
	{ "stale, Last-Modified: If-Modified-Since", 200, MA60_LM, 0, 0, "",
	    100, REVAL, 100, 0, IMS_LM, "stale" },
	{ "stale, ETag and Last-Modified: both", 200,
	    MA60_LM "ETag: \"v1\"\r\n", 0, 0, "", 100,
	    REVAL, 100, 0, INM_V1 IMS_LM, "stale" },
	{ "stale, no ETag or Last-Modified: IMS from Date (Squid)", 200, MA60,
	    0, 0, "", 100, REVAL, 100, 0, IMS_D0, "stale" },
	{ "stale, nothing to revalidate with: fetch", 200, MA60, 0, T_NODATE,
	    "", 100, FETCH, 100, 0, "", "stale, nothing to revalidate with" },
	{ "client max-age=0 at age 0: revalidate", 200, MA60_LM, 0, 0,
	    "Cache-Control: max-age=0\r\n", 0,
	    REVAL, 0, 0, IMS_LM, "request max-age=0" },
	{ "client max-age=0 at age 10", 200, MA60_LM, 0, 0,
	    "Cache-Control: max-age=0\r\n", 10,
	    REVAL, 10, 0, IMS_LM, "older than request max-age" },
	{ "immutable, client max-age=0 at age 0: serve", 200, IMMUT, 0, 0,
	    "Cache-Control: max-age=0\r\n", 0, SERVE, 0, 0, "", "fresh" },
	{ "immutable, client max-age=0 at age 10: serve", 200, IMMUT, 0, 0,
	    "Cache-Control: max-age=0\r\n", 10, SERVE, 10, 0, "", "fresh" },
	{ "negative, client max-age=0 at age 0: serve", 404, "", 300, 0,
	    "Cache-Control: max-age=0\r\n", 0,
	    SERVE, 0, 1, "", "negatively cached" },
	{ "negative, client max-age=0 at age 10: serve", 404, "", 300, 0,
	    "Cache-Control: max-age=0\r\n", 10,
	    SERVE, 10, 1, "", "negatively cached" },
	{ "negative, expired: plain fetch", 404, "", 300, 0, "", 400,
	    FETCH, 400, 1, "", "negatively cached, expired" },
	{ "client no-cache: fetch", 200, MA60_LM, 0, 0,
	    "Cache-Control: no-cache\r\n", 10,
	    FETCH, 10, 0, "", "client no-cache" },
	{ "Pragma: no-cache: fetch", 200, MA60_LM, 0, 0,
	    "Pragma: no-cache\r\n", 10, FETCH, 10, 0, "", "client no-cache" },
	{ "response no-cache: revalidate while fresh", 200,
	    "Cache-Control: max-age=60, no-cache\r\nLast-Modified: " LM "\r\n",
	    0, 0, "", 10, REVAL, 10, 0, IMS_LM, "response no-cache" },
	{ "stale-while-revalidate, within: serve stale", 200, SWR, 0, 0, "",
	    80, STALE, 80, 0, IMS_LM, "stale within stale-while-revalidate" },
	{ "stale-while-revalidate, last second: serve stale", 200, SWR, 0, 0,
	    "", 90, STALE, 90, 0, IMS_LM,
	    "stale within stale-while-revalidate" },
	{ "stale-while-revalidate, past: revalidate", 200, SWR, 0, 0, "", 91,
	    REVAL, 91, 0, IMS_LM, "stale" },
	{ "stale-while-revalidate, no validator: serve only", 200,
	    "Cache-Control: max-age=60, stale-while-revalidate=30\r\n", 0,
	    T_NODATE, "", 80, STALE, 80, 0, "",
	    "stale within stale-while-revalidate" },
	{ "only-if-cached, fresh: serve", 200, MA60_LM, 0, 0,
	    "Cache-Control: only-if-cached\r\n", 10,
	    SERVE, 10, 0, "", "fresh" },
	{ "only-if-cached, stale: 504", 200, MA60_LM, 0, 0,
	    "Cache-Control: only-if-cached\r\n", 100,
	    OIC, 100, 0, "", "stale" },
	{ "only-if-cached, stale-while-revalidate: serve stale", 200, SWR, 0,
	    0, "Cache-Control: only-if-cached\r\n", 80,
	    STALE, 80, 0, IMS_LM, "stale within stale-while-revalidate" },
	{ "only-if-cached, no-cache: 504", 200, MA60_LM, 0, 0,
	    "Cache-Control: only-if-cached, no-cache\r\n", 10,
	    OIC, 10, 0, "", "client no-cache" },
	{ "only-if-cached, max-age=0 at age 0: 504", 200, MA60_LM, 0, 0,
	    "Cache-Control: only-if-cached, max-age=0\r\n", 0,
	    OIC, 0, 0, "", "request max-age=0" },
	{ "only-if-cached, negative: serve", 404, "", 300, 0,
	    "Cache-Control: only-if-cached\r\n", 10,
	    SERVE, 10, 1, "", "negatively cached" },
	{ "only-if-cached, nothing stored: 504", 0, NOSTORE, 0, 0,
	    "Cache-Control: only-if-cached\r\n", 0,
	    OIC, 0, 0, "", "nothing stored" },
	{ "nothing stored: fetch", 0, NOSTORE, 0, 0, "", 0,
	    FETCH, 0, 0, "", "nothing stored" },
	{ "max-stale=60, stale by 40: serve", 200, MA60_LM, 0, 0,
	    "Cache-Control: max-stale=60\r\n", 100,
	    SERVE, 100, 0, "", "stale within request max-stale" },
	{ "bare max-stale, stale by 940: serve", 200, MA60_LM, 0, 0,
	    "Cache-Control: max-stale\r\n", 1000,
	    SERVE, 1000, 0, "", "stale within request max-stale" },
	{ "max-stale=30, stale by 40: revalidate", 200, MA60_LM, 0, 0,
	    "Cache-Control: max-stale=30\r\n", 100,
	    REVAL, 100, 0, IMS_LM, "stale" },
	{ "max-stale, must-revalidate: revalidate", 200,
	    "Cache-Control: max-age=60, must-revalidate\r\n"
	    "Last-Modified: " LM "\r\n", 0, 0,
	    "Cache-Control: max-stale\r\n", 100,
	    REVAL, 100, 0, IMS_LM, "stale, must-revalidate" },
	{ "min-fresh=30, 40 s left: serve", 200, MA60_LM, 0, 0,
	    "Cache-Control: min-fresh=30\r\n", 20, SERVE, 20, 0, "", "fresh" },
	{ "min-fresh=30, 20 s left: revalidate", 200, MA60_LM, 0, 0,
	    "Cache-Control: min-fresh=30\r\n", 40,
	    REVAL, 40, 0, IMS_LM, "fresh for less than request min-fresh" },
};

static const struct http_msg *plain_get;

/* The meta of row t's stored response, received at T0; NULL if none. */
static const struct cache_meta *
t_stored(const struct t_plan *t, struct cache_meta *m)
{
	char *s;

	if (t->stored == NULL)
		return NULL;
	if (asprintf(&s, "HTTP/1.1 %d X\r\nDate: %s\r\n%s\r\n", t->status, D0,
	    t->stored) == -1)
		abort();
	cache_rules_meta_fill(m, plain_get, t_msg(s, 0), T0, T0);
	cache_rules_meta_negative(m, t->negative_ttl);
	if (t->tweak & T_NODATE)
		m->date_value = INT64_C(253402300800);	/* 10000-01-01 */
	return m;			/* s and the message leak: a test */
}

static void
t_plan_row(size_t i)
{
	const struct t_plan *t = &t_plans[i];
	struct cache_req_cc rcc;
	struct cache_meta stored;
	struct cache_plan p;
	const struct http_msg *req;
	char *s;

	if (asprintf(&s, "GET http://h/ HTTP/1.1\r\nHost: h\r\n%s\r\n",
	    t->req) == -1)
		abort();
	req = t_msg(s, 1);
	cache_rules_req_cc(req, &rcc);
	memset(&p, 0xa5, sizeof(p));	/* every field must be set */
	cache_rules_plan(t_stored(t, &stored), req, &rcc, NULL, T0 + t->at,
	    &p);
	is_int(p.action, t->action, "%s: action", t->name);
	is_int(p.age, t->age, "%s: age", t->name);
	is_int(p.negative, t->negative, "%s: negative", t->name);
	is_str(p.cond, t->cond, "%s: cond", t->name);
	is_int(p.cond_len, strlen(t->cond), "%s: cond_len", t->name);
	is_str(p.reason, t->reason, "%s: reason", t->name);
}

int
main(void)
{
	char date[HTTP_DATE_BUFSZ];
	size_t i;

	plain_get = t_msg("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	http_date_format(T0, date, sizeof(date));
	is_str(date, D0, "D0 is T0");
	http_date_format(T0 - 3600, date, sizeof(date));
	is_str(date, LM, "LM is T0 - 3600");
	for (i = 0; i < sizeof(t_plans) / sizeof(t_plans[0]); i++)
		t_plan_row(i);
	return tap_done();
}
