/*
 * collapsed_forwarding: concurrent misses for one key form a group whose
 * leader fetches while the others wait to be served from what it stored.
 * Within a worker the group is a list; across workers a fetch in flight is
 * announced in the shared memory cache and the other workers poll it.
 *
 * In DESIGN.md's data flow: cache lookup: a miss that waits for another one
 * (collapsed forwarding).
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_rules.h"
#include "xact.h"
#include "heritage.h"
#include "memcache.h"
#include "util.h"
#include "worker.h"

/*
 * collapsed_forwarding: concurrent misses for one key in this worker form a
 * group; the leader fetches, the followers wait and are then served from
 * what the leader stored (TCP_CF_HIT), or fetch themselves if it stored
 * nothing.
 */
struct cache_cf {
	char		*key;
	struct xact	*leader;
	struct xact	*followers;	/* linked through cf.next */
	struct cache_cf	*next;
};

static struct cache_cf *cache_cf_groups;

static struct cache_cf *
cache_cf_find(const char *key)
{
	for (struct cache_cf *g = cache_cf_groups; g != NULL; g = g->next)
		if (strcmp(g->key, key) == 0)
			return g;
	return NULL;
}

static void
cache_cf_unlink_group(struct cache_cf *g)
{
	for (struct cache_cf **pp = &cache_cf_groups; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g->key);
	free(g);
}

/* The leader is done (stored or not): let the followers go on. */
void
cache_cf_wake(struct xact *leader)
{
	struct cache_cf *g = leader->cf.group;
	struct xact *f = g->followers;

	if (leader->cf.announced) {
		cache_cf_unmark(leader->cache.key);
		leader->cf.announced = 0;
	}
	leader->cf.group = NULL;
	g->leader = NULL;
	g->followers = NULL;
	cache_cf_unlink_group(g);
	while (f != NULL) {
		struct xact *next = f->cf.next;
		f->cf.group = NULL;
		f->cf.next = NULL;
		/* a second lookup: hit (TCP_CF_HIT), or a new group */
		f->cf.leader = -1;
		xact_route_request(f);
		f = next;
	}
}

void
cache_cf_release(struct xact *x)
{
	struct cache_cf *g = x->cf.group;

	if (g == NULL)
		return;
	if (x->cf.leader == 1) {
		cache_cf_wake(x);
		return;
	}
	for (struct xact **pp = &g->followers; *pp; pp = &(*pp)->cf.next)
		if (*pp == x) {
			*pp = x->cf.next;
			break;
		}
	x->cf.group = NULL;
}

/*
 * Across workers, a miss in flight is announced in the shared memory cache
 * under "F <key>" (the fetching worker's pid and start time).  Another
 * worker's first request for the key then waits for that fetch, polling,
 * instead of fetching too; its own local followers wait behind it.
 */
#define CACHE_CF_POLL_MS	20
#define CACHE_CF_WAIT_S		30

struct cache_cf_mark {
	char		 type;		/* 'F' */
	int32_t		 pid;
	int64_t		 since;
};

static char *
cache_cf_mark_key(const char *key)
{
	return xasprintf("F %s", key);
}

/* Is another worker (any one, with any_owner) fetching key right now? */
int
cache_cf_busy(const char *key, int any_owner)
{
	struct cache_cf_mark mk;
	size_t len;
	int busy = 0;

	if (heritage.memcache == NULL)
		return 0;
	char *mkey = cache_cf_mark_key(key);
	struct memcache_ref *r = memcache_get(heritage.memcache, mkey,
	    strlen(mkey));
	if (r != NULL) {
		const void *p = memcache_ref_meta(r, &len);
		if (len == sizeof(mk)) {
			memcpy(&mk, p, sizeof(mk));
			busy = mk.type == 'F' &&
			    (any_owner || mk.pid != getpid()) &&
			    time(NULL) - mk.since < CACHE_CF_WAIT_S &&
			    kill(mk.pid, 0) == 0;
		}
		memcache_release(r);
	}
	free(mkey);
	return busy;
}

/*
 * Mark a fetch of key as ours, in one step against the other workers: 0
 * when a live fetch of another worker holds the mark already.  A mark left
 * by a worker that died, or older than CACHE_CF_WAIT_S, is taken over.
 */
int
cache_cf_claim(const char *key)
{
	if (heritage.memcache == NULL)
		return 1;
	char *mkey = cache_cf_mark_key(key);
	struct cache_cf_mark mk = { 'F', (int32_t)getpid(),
	    (int64_t)time(NULL) };
	if (memcache_add(heritage.memcache, mkey, strlen(mkey), &mk,
	    sizeof(mk)) == 1) {
		if (cache_cf_busy(key, 0)) {
			free(mkey);
			return 0;
		}
		memcache_put(heritage.memcache, mkey, strlen(mkey), &mk,
		    sizeof(mk), NULL, 0);
	}
	free(mkey);
	return 1;
}

void
cache_cf_unmark(const char *key)
{
	if (heritage.memcache == NULL)
		return;
	char *mkey = cache_cf_mark_key(key);
	memcache_delete(heritage.memcache, mkey, strlen(mkey));
	free(mkey);
}

static int
cache_cf_remote(const char *key)
{
	return cache_cf_busy(key, 0);
}

/* A local leader waiting for another worker's fetch polls for its end. */
static void
cache_cf_poll(struct ev_timer *t)
{
	struct xact *x = t->arg;

	if (cache_cf_remote(x->cache.key)) {
		ev_timer_start(&x->timer, CACHE_CF_POLL_MS);
		return;
	}
	/* done over there: everyone here looks again (hit, or own fetch) */
	x->cf.remote = 0;
	cache_cf_wake(x);
	x->cf.leader = -1;
	xact_route_request(x);
}

int
cache_collapse(struct xact *x)
{
	/* a follower whose leader stored nothing fetches on its own */
	if (!worker_cfg->collapsed_forwarding || !x->cache.may_store ||
	    x->cache.revalidating || x->cf.leader == -1)
		return 0;
	struct cache_cf *g = cache_cf_find(x->cache.key);
	if (g == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->key = xstrdup(x->cache.key);
		g->leader = x;
		g->next = cache_cf_groups;
		cache_cf_groups = g;
		x->cf.group = g;
		x->cf.leader = 1;
		if (!cache_cf_claim(x->cache.key)) {
			/* another worker fetches it: wait for that */
			x->cf.remote = 1;
			ev_timer_set_cb(&x->timer, cache_cf_poll);
			ev_timer_start(&x->timer, CACHE_CF_POLL_MS);
			return 1;
		}
		x->cf.announced = 1;
		return 0;
	}
	x->cf.group = g;
	x->cf.leader = 0;
	x->cf.next = g->followers;
	g->followers = x;
	return 1;
}
