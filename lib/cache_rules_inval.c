/*
 * Invalidation (RFC 9111 4.4): which methods are safe, and the URIs an
 * unsafe request's response invalidates (the target, Location and
 * Content-Location when same-origin), resolved against the request URI.
 * The same resolution says when a POST response is a representation of
 * its target that later GETs may reuse (RFC 9110 9.3.3).
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

#include <stdio.h>
#include <string.h>

#include "url.h"

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

int
cache_rules_post_reusable(const struct http_msg *req,
    const struct http_msg *resp, const struct cache_meta *m, const char *url)
{
	static char target[CACHE_INVAL_URL_MAX], abs[CACHE_INVAL_URL_MAX];
	static char loc[CACHE_INVAL_URL_MAX];
	const struct http_header *h;
	struct url base, u;
	size_t n;

	if (!cache_rules_ieq2(req->method, req->method_len, "POST", 4) ||
	    (resp->status != 200 && resp->status != 203) ||
	    (m->s_maxage < 0 && m->max_age < 0 && m->expires < 0) ||
	    (h = http_msg_header(resp, "Content-Location")) == NULL)
		return 0;
	if (url_parse_absolute(&base, url, strlen(url)) != URL_OK ||
	    url_format(&base, 0, target, sizeof(target)) >= sizeof(target))
		return 0;
	n = cache_rules_resolve(&base, h->value, h->value_len, abs,
	    sizeof(abs));
	if (n == 0 || url_parse_absolute(&u, abs, n) != URL_OK ||
	    url_format(&u, 0, loc, sizeof(loc)) >= sizeof(loc))
		return 0;
	return strcmp(loc, target) == 0;
}
