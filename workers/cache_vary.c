/*
 * Vary markers.  A response with Vary is stored under "GET <url>\n<vary
 * key>", and the base key "GET <url>" holds a marker instead of an object:
 *   'V' | the Vary field names | NUL | (variant key | NUL)*
 * The names let a lookup compute the request's variant key; the list lets
 * PURGE and invalidation find every variant.  The same blob is the marker
 * in the memory cache and the metadata of the marker record in a cache_dir
 * (a record with no body).
 *
 * In DESIGN.md's data flow: cache lookup and storing: the variant of a Vary
 * response.
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <stdlib.h>
#include <string.h>

#include "cache_rules.h"
#include "conn.h"
#include "xact.h"
#include "heritage.h"
#include "memcache.h"
#include "util.h"

int
cache_vary_is_marker(const void *blob, size_t len)
{
	return len > 0 && *(const char *)blob == 'V';
}

char *
cache_vary_variant_key(const struct xact *x, const void *blob, size_t len)
{
	const char *p = blob;
	char vkey[4096];

	if (!cache_vary_is_marker(blob, len))
		return NULL;
	int n = cache_rules_vary_key_str(p + 1, strnlen(p + 1, len - 1),
	    &x->req, vkey, sizeof(vkey));
	if (n < 0)
		return NULL;
	return xasprintf("%s\n%.*s", x->cache.base_key, n, vkey);
}

void
cache_vary_each(const char *key, const void *blob, size_t len,
    void (*fn)(const char *variant_key, void *arg), void *arg)
{
	const char *p = blob, *end = p + len;

	if (!cache_vary_is_marker(blob, len))
		return;
	const char *v = memchr(p, '\0', len);
	while (v != NULL && ++v < end) {
		size_t vl = strnlen(v, (size_t)(end - v));
		char *vk = xasprintf("%s\n%.*s", key, (int)vl, v);
		fn(vk, arg);
		free(vk);
		v += vl;
	}
}

/* Does marker (its list from names on) already list v? */
static int
cache_vary_listed(const struct buf *marker, size_t names, const char *v,
    size_t vl)
{
	const char *p = (const char *)buf_head(marker) + names;
	const char *end = (const char *)buf_head(marker) + buf_avail(marker);

	while (p < end) {
		size_t pl = strnlen(p, (size_t)(end - p));
		if (pl == vl && memcmp(p, v, vl) == 0)
			return 1;
		p += pl + 1;
	}
	return 0;
}

/* Add the variants old lists (when it has the same names) to marker. */
static void
cache_vary_merge(struct buf *marker, size_t names, const char *old,
    size_t ol)
{
	if (old == NULL || ol < names || memcmp(old, buf_head(marker),
	    names) != 0)
		return;
	for (const char *v = old + names, *end = old + ol; v < end; ) {
		size_t vl = strnlen(v, (size_t)(end - v));
		if (vl > 0 && !cache_vary_listed(marker, names, v, vl)) {
			buf_append(marker, v, vl);
			buf_append(marker, "", 1);
		}
		v += vl + 1;
	}
}

/*
 * The marker for the variant x stores: the response's Vary names, its own
 * variant, and the others already known: from the memory cache's marker,
 * and from the disk marker the lookup went through.  Two variants stored
 * at once by different workers may drop each other from the list; then
 * PURGE misses one, but a lookup still finds both.
 */
void
cache_vary_marker(const struct xact *x, struct buf *marker)
{
	const char *key = x->cache.base_key;
	const char *vkey = x->cache.store_key + strlen(key) + 1;
	int first = 1;

	buf_append(marker, "V", 1);
	for (int i = 0; i < x->rep.nhdr; i++) {
		const struct http_header *h = &x->rep.hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Vary"))
			continue;
		if (!first)
			buf_append(marker, ", ", 2);
		buf_append(marker, h->value, h->value_len);
		first = 0;
	}
	buf_append(marker, "", 1);
	size_t names = buf_avail(marker);
	buf_append(marker, vkey, strlen(vkey));
	buf_append(marker, "", 1);

	struct memcache_ref *old = heritage.memcache == NULL ? NULL :
	    memcache_get(heritage.memcache, key, strlen(key));
	if (old != NULL) {
		size_t ol;
		const char *op = memcache_ref_meta(old, &ol);
		cache_vary_merge(marker, names, op, ol);
		memcache_release(old);
	}
	cache_vary_merge(marker, names, x->cache.vary_marker, x->cache.vary_marker_len);
}
