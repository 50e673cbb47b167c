/*
 * collapsed_forwarding: concurrent misses for one key form a group whose
 * leader fetches while the others wait to be served from what it stored.
 * Within a worker the group is a list; across workers a fetch in flight is
 * announced in the shared memory cache and the other workers poll it.
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_rules.h"
#include "conn.h"
#include "forward.h"
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
	struct xact	*followers;	/* linked through cf_next */
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
	struct cache_cf *g = leader->cf;
	struct xact *f = g->followers;

	if (leader->cf_announced) {
		cache_cf_announce(leader->cache_key, 0);
		leader->cf_announced = 0;
	}
	leader->cf = NULL;
	g->leader = NULL;
	g->followers = NULL;
	cache_cf_unlink_group(g);
	while (f != NULL) {
		struct xact *next = f->cf_next;
		f->cf = NULL;
		f->cf_next = NULL;
		/* a second lookup: hit (TCP_CF_HIT), or a new group */
		f->cf_leader = -1;
		free(f->cache_key);
		free(f->cache_base_key);
		f->cache_key = f->cache_base_key = NULL;
		if (!cache_lookup(f))
			forward_start(f);
		f = next;
	}
}

void
cache_cf_release(struct xact *x)
{
	struct cache_cf *g = x->cf;

	if (g == NULL)
		return;
	if (x->cf_leader == 1) {
		cache_cf_wake(x);
		return;
	}
	for (struct xact **pp = &g->followers; *pp; pp = &(*pp)->cf_next)
		if (*pp == x) {
			*pp = x->cf_next;
			break;
		}
	x->cf = NULL;
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

void
cache_cf_announce(const char *key, int on)
{
	if (heritage.memcache == NULL)
		return;
	char *mkey = cache_cf_mark_key(key);
	if (on) {
		struct cache_cf_mark mk = { 'F', (int32_t)getpid(),
		    (int64_t)time(NULL) };
		memcache_put(heritage.memcache, mkey, strlen(mkey), &mk,
		    sizeof(mk), NULL, 0);
	} else {
		memcache_delete(heritage.memcache, mkey, strlen(mkey));
	}
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

	if (cache_cf_remote(x->cache_key)) {
		ev_timer_start(&x->timer, CACHE_CF_POLL_MS);
		return;
	}
	/* done over there: everyone here looks again (hit, or own fetch) */
	x->cf_remote = 0;
	cache_cf_wake(x);
	x->cf_leader = -1;
	free(x->cache_key);
	free(x->cache_base_key);
	x->cache_key = x->cache_base_key = NULL;
	if (!cache_lookup(x))
		forward_start(x);
}

/* Nothing stored for x: 504 for only-if-cached, else go upstream. */
int
cache_miss(struct xact *x, const struct cache_req_cc *rcc)
{
	if (rcc->flags & CACHE_REQ_ONLY_IF_CACHED) {
		snprintf(x->result_tag, sizeof(x->result_tag), "TCP_MISS");
		xact_error(x, 504, "ERR_ONLY_IF_CACHED_MISS", 0);
		return 1;
	}
	/* a follower whose leader stored nothing fetches on its own */
	if (!worker_cfg->collapsed_forwarding || !x->may_store ||
	    x->revalidating || x->cf_leader == -1)
		return 0;
	struct cache_cf *g = cache_cf_find(x->cache_key);
	if (g == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->key = xstrdup(x->cache_key);
		g->leader = x;
		g->next = cache_cf_groups;
		cache_cf_groups = g;
		x->cf = g;
		x->cf_leader = 1;
		if (cache_cf_remote(x->cache_key)) {
			/* another worker fetches it: wait for that */
			x->cf_remote = 1;
			x->state = XS_STORE;
			ev_io_set(&x->conn->io, EPOLLRDHUP);
			ev_timer_set_cb(&x->timer, cache_cf_poll);
			ev_timer_start(&x->timer, CACHE_CF_POLL_MS);
			return 1;
		}
		cache_cf_announce(x->cache_key, 1);
		x->cf_announced = 1;
		return 0;
	}
	x->cf = g;
	x->cf_leader = 0;
	x->cf_next = g->followers;
	g->followers = x;
	x->state = XS_STORE;
	ev_io_set(&x->conn->io, EPOLLRDHUP);
	return 1;
}
