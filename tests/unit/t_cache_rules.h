/*
 * Helpers shared by the cache rules' unit tests (t_cache_rules.c and
 * t_cache_rules_store.c): concrete clocks around a fixed T0, literal
 * requests and responses, a refresh_pattern row built in place, and the
 * stored metadata and verdict for a response received at T0, so every
 * figure is checked to the second.  Include config.h first (asprintf).
 */
#ifndef CUTTLE_T_CACHE_RULES_H
#define CUTTLE_T_CACHE_RULES_H

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cache_rules.h"
#include "http_date.h"
#include "t_msg.h"

#define T0	1700000000	/* a fixed "now" base for every clock */

#define REQ(s)	t_msg(s, 1)
#define RESP(s)	t_msg(s, 0)

/* A response head with Date at T0 + d (and extra header lines). */
static struct http_msg *
t_resp_at(int status, int d, const char *extra)
{
	char date[HTTP_DATE_BUFSZ], *s;

	http_date_format(T0 + d, date, sizeof(date));
	if (asprintf(&s, "HTTP/1.1 %d X\r\nDate: %s\r\n%s\r\n", status, date,
	    extra) == -1)
		abort();
	return RESP(s);		/* s must outlive the message: leaked */
}

static char *
t_date_hdr(const char *name, int d)
{
	char date[HTTP_DATE_BUFSZ], *s;

	http_date_format(T0 + d, date, sizeof(date));
	if (asprintf(&s, "%s: %s\r\n", name, date) == -1)
		abort();
	return s;
}

static struct cfg_refresh *
t_rp(const char *re, int icase, int64_t min, int pct, int64_t max,
    unsigned flags)
{
	struct cfg_refresh *r = calloc(1, sizeof(*r));
	regex_t *rx = malloc(sizeof(*rx));

	if (r == NULL || rx == NULL ||
	    regcomp(rx, re, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0))
	    != 0)
		abort();
	r->regex_src = (char *)re;
	r->icase = icase;
	r->regex = rx;
	r->min_s = min;
	r->pct = pct;
	r->max_s = max;
	r->flags = flags;
	r->max_stale_s = -1;
	return r;
}

/* "GET http://h/", set by main() before the first test */
static const struct http_msg *plain_get;

/* Meta of resp as received at T0 (request sent at T0 too). */
static struct cache_meta *
t_meta(const struct http_msg *resp)
{
	static struct cache_meta m;

	cache_rules_meta_fill(&m, plain_get, resp, T0, T0);
	return &m;
}

/* Decision at T0 + at for request req. */
static enum cache_verdict
t_decide(const struct cache_meta *m, const struct http_msg *req,
    const struct cfg_refresh *rp, int at, struct cache_decision *d)
{
	struct cache_req_cc rcc;
	struct cache_decision tmp;

	cache_rules_req_cc(req, &rcc);
	return cache_rules_decide(m, req, &rcc, rp, T0 + at, d ? d : &tmp);
}

#endif
