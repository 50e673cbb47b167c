/*
 * Stored partial responses (RFC 9111 3.3): a 206 of one byte range with a
 * known complete length is kept in the memory cache beside the URL's
 * complete object, under its own key, and answers later Range requests
 * that fall inside it.  A partial is never revalidated nor combined with
 * another: combining needs a strong validator shared by both parts (RFC
 * 9111 3.4), and a Range request it cannot answer fresh simply goes on as
 * a miss.  It never answers a request without Range, and never goes to a
 * cache_dir.  Squid stores no 206 at all.
 *
 * In DESIGN.md's data flow: cache lookup (memory) - fresh: serve; to client
 * while storing (memory).
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_rules.h"
#include "heritage.h"
#include "log.h"
#include "memcache.h"
#include "util.h"
#include "xact.h"

/* '#' is no field-name character: no Vary variant's key is ever this. */
char *
cache_partial_key(const char *base_key)
{
	return xasprintf("%s\n#partial", base_key);
}

void
cache_partial_forget(const char *base_key)
{
	if (heritage.memcache == NULL)
		return;
	char *key = cache_partial_key(base_key);
	memcache_delete(heritage.memcache, key, strlen(key));
	free(key);
}

/*
 * The held partial's range [*a, *b] of *n, and the request's [*first,
 * *last] inside it: 0, or -1 when the request is not one range inside.
 */
static int
cache_partial_fit(const struct xact *x, int64_t *a, int64_t *b, int64_t *n,
    int64_t *first, int64_t *last)
{
	const struct http_header *cr = http_msg_header(&x->cache.hit_msg,
	    "Content-Range");
	const struct http_header *r = http_msg_header(&x->req, "Range");

	if (cr == NULL || r == NULL || cache_rules_content_range(cr->value,
	    cr->value_len, a, b, n) == -1 ||
	    x->cache.hit_len != (uint64_t)(*b - *a + 1) ||
	    cache_rules_range(r->value, r->value_len, *n, first, last) != 1)
		return -1;
	return *first >= *a && *last <= *b ? 0 : -1;
}

int
cache_partial_lookup(struct xact *x, struct cache_outcome *v)
{
	struct cache_meta m;
	struct cache_req_cc rcc;
	struct cache_plan p;
	int64_t a, b, n, first, last;

	/* If-Range asks for the whole body when the validator differs:
	 * a partial cannot give that */
	if (heritage.memcache == NULL || strcmp(x->method, "GET") != 0 ||
	    http_msg_header(&x->req, "Range") == NULL ||
	    http_msg_header(&x->req, "If-Range") != NULL)
		return 0;
	char *key = cache_partial_key(x->cache.base_key);
	x->cache.hit = memcache_get(heritage.memcache, key, strlen(key));
	if (x->cache.hit != NULL && cache_open_object(x, &m) == 0 &&
	    cache_partial_fit(x, &a, &b, &n, &first, &last) == 0) {
		cache_request_cc(x, &rcc);
		cache_rules_plan(&m, &x->req, &rcc, cache_refresh(x),
		    time(NULL), &p);
		log_debug(22, 3, "cache %s: partial %lld-%lld/%lld: %s",
		    x->url_str, (long long)a, (long long)b, (long long)n,
		    p.reason);
		if (p.action == CACHE_PLAN_SERVE) {
			free(x->cache.key);
			x->cache.key = key;
			v->route = CACHE_ROUTE_SERVE;
			v->age = p.age;
			v->meta = m;
			v->tag = p.negative ? "TCP_NEGATIVE_HIT" : "TCP_MEM_HIT";
			return 1;
		}
	}
	if (x->cache.hit != NULL) {
		memcache_release(x->cache.hit);
		x->cache.hit = NULL;
	}
	free(key);
	return 0;
}

int
cache_partial_window(struct xact *x, char *crange, size_t size)
{
	int64_t a, b, n, first, last;

	if (cache_partial_fit(x, &a, &b, &n, &first, &last) == -1)
		return -1;
	snprintf(crange, size, "Content-Range: bytes %lld-%lld/%lld\r\n",
	    (long long)first, (long long)last, (long long)n);
	x->cache.hit_off = (uint64_t)(first - a);
	x->cache.hit_len = (uint64_t)(last - a + 1);
	return 0;
}
