/*
 * The per-port caches of bumped connections' TLS contexts in a worker
 * (dynamic_cert_mem_cache_size): a hash table of contexts by the key
 * bump_cert_params computed, least recently used first out, and the
 * counts bump_cert_stats reports.
 *
 * In DESIGN.md's data flow: "bump: TLS to client with a minted cert".
 */
#include "config.h"
#include "bump_cert.h"
#include "bump_cert_int.h"

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "util.h"

#define BUMP_CERT_BUCKETS_MIN	16
#define BUMP_CERT_BUCKETS_MAX	(1u << 20)

static struct bump_cert_cache *bump_cert_caches;

struct bump_cert_cache *
bump_cert_cache_find(const char *name)
{
	for (struct bump_cert_cache *c = bump_cert_caches; c != NULL;
	    c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static size_t
bump_cert_bucket(const struct bump_cert_cache *c, const unsigned char *key)
{
	size_t h;

	memcpy(&h, key, sizeof(h));	/* a SHA-256: already uniform */
	return h & (c->nbuckets - 1);
}

static void
bump_cert_lru_unlink(struct bump_cert_cache *c, struct bump_cert_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
bump_cert_lru_front(struct bump_cert_cache *c, struct bump_cert_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
}

static void
bump_cert_entry_drop(struct bump_cert_cache *c, struct bump_cert_entry *e)
{
	struct bump_cert_entry **pp = &c->buckets[bump_cert_bucket(c, e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	bump_cert_lru_unlink(c, e);
	SSL_CTX_free(e->ctx);
	free(e);
	c->count--;
}

/* Evict the least recently used entries until at most max remain. */
static void
bump_cert_cache_trim(struct bump_cert_cache *c, size_t max)
{
	while (c->count > max && c->oldest != NULL) {
		bump_cert_entry_drop(c, c->oldest);
		c->stats.evicted++;
	}
}

/* Grow the table to about one bucket per entry the cache may hold. */
static void
bump_cert_cache_size(struct bump_cert_cache *c, int64_t bytes)
{
	size_t max = bytes > 0 ? (size_t)(bytes / BUMP_CERT_ENTRY_BYTES) : 0;
	size_t want = BUMP_CERT_BUCKETS_MIN;

	c->max_entries = max;
	c->stats.max_entries = max;
	bump_cert_cache_trim(c, max);
	while (want < max && want < BUMP_CERT_BUCKETS_MAX)
		want <<= 1;
	if (want <= c->nbuckets)
		return;
	struct bump_cert_entry **old = c->buckets;
	size_t nold = c->nbuckets;
	c->buckets = xcalloc(want, sizeof(*c->buckets));
	c->nbuckets = want;
	for (size_t i = 0; i < nold; i++) {
		struct bump_cert_entry *e, *next;

		for (e = old[i]; e != NULL; e = next) {
			size_t b = bump_cert_bucket(c, e->key);

			next = e->hnext;
			e->hnext = c->buckets[b];
			c->buckets[b] = e;
		}
	}
	free(old);
}

/* The port's cache in this worker, made on first use, sized as it says. */
struct bump_cert_cache *
bump_cert_cache_for(const struct cfg_port *port)
{
	struct bump_cert_cache *c = bump_cert_cache_find(port->name);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->name = xstrdup(port->name);
		c->next = bump_cert_caches;
		bump_cert_caches = c;
	}
	bump_cert_cache_size(c, port->dynamic_cert_mem_cache_size);
	return c;
}

/* A new reference to the cached context for key, or NULL. */
SSL_CTX *
bump_cert_cache_get(struct bump_cert_cache *c, const unsigned char *key)
{
	struct bump_cert_entry *e;

	if (c->nbuckets == 0)
		return NULL;
	for (e = c->buckets[bump_cert_bucket(c, key)]; e != NULL; e = e->hnext)
		if (memcmp(e->key, key, 32) == 0) {
			bump_cert_lru_unlink(c, e);
			bump_cert_lru_front(c, e);
			SSL_CTX_up_ref(e->ctx);
			return e->ctx;
		}
	return NULL;
}

void
bump_cert_cache_put(struct bump_cert_cache *c, const unsigned char *key,
    SSL_CTX *ctx)
{
	struct bump_cert_entry *e;
	size_t b;

	if (c->max_entries == 0 || c->nbuckets == 0)
		return;
	b = bump_cert_bucket(c, key);
	for (e = c->buckets[b]; e != NULL; e = e->hnext)
		if (memcmp(e->key, key, 32) == 0)
			return;	/* a collapsed twin got there first */
	bump_cert_cache_trim(c, c->max_entries - 1);
	e = xcalloc(1, sizeof(*e));
	memcpy(e->key, key, 32);
	SSL_CTX_up_ref(ctx);
	e->ctx = ctx;
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	bump_cert_lru_front(c, e);
	c->count++;
}

static void
bump_cert_cache_free(struct bump_cert_cache *c)
{
	bump_cert_cache_trim(c, 0);
	SSL_CTX_free(c->port_ctx);
	free(c->buckets);
	free(c->name);
	free(c);
}

void
bump_cert_stats(const struct cfg_port *port, struct bump_cert_stats *st)
{
	struct bump_cert_cache *c = bump_cert_cache_find(port->name);

	memset(st, 0, sizeof(*st));
	if (c != NULL) {
		*st = c->stats;
		st->entries = c->count;
	}
}

void
bump_cert_cache_prune(const struct cfg *cfg)
{
	struct bump_cert_cache **cp = &bump_cert_caches, *c;

	while ((c = *cp) != NULL) {
		const struct cfg_port *p;

		for (p = cfg->ports; p != NULL; p = p->next)
			if (strcmp(p->name, c->name) == 0)
				break;
		if (p == NULL) {
			*cp = c->next;
			bump_cert_cache_free(c);
		} else
			cp = &c->next;
	}
}

void
bump_cert_cache_free_all(void)
{
	struct bump_cert_cache *c;

	while ((c = bump_cert_caches) != NULL) {
		bump_cert_caches = c->next;
		bump_cert_cache_free(c);
	}
}
