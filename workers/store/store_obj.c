/*
 * store_obj: the objects one store holds, in memory.  A hash table answers
 * lookups, a binary heap orders the objects for cache_replacement_policy and
 * eviction takes from its top to keep the cache_dir near cache_swap_low.
 * Every change goes on to the GDBM index; a failed index write only makes
 * the index stale, so it is rewritten from this table later.
 */
#include "config.h"
#include "store_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* The in-memory table */

static uint32_t
store_obj_hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct store_obj *
store_obj_find(struct store *st, const void *key, size_t keylen)
{
	uint32_t h = store_obj_hash(key, keylen);
	struct store_obj *o;

	for (o = st->tab[h & (st->tabsize - 1)]; o != NULL; o = o->hnext)
		if (o->hash == h && o->keylen == keylen &&
		    memcmp(o->key, key, keylen) == 0)
			return o;
	return NULL;
}

void
store_obj_tab_grow(struct store *st)
{
	size_t n = st->tabsize ? st->tabsize * 2 : 1024;
	struct store_obj **t = xcalloc(n, sizeof(*t));

	for (size_t i = 0; i < st->tabsize; i++) {
		struct store_obj *o, *next;
		for (o = st->tab[i]; o != NULL; o = next) {
			next = o->hnext;
			o->hnext = t[o->hash & (n - 1)];
			t[o->hash & (n - 1)] = o;
		}
	}
	free(st->tab);
	st->tab = t;
	st->tabsize = n;
}

/* Replacement: one binary heap, the key depends on the policy. */

static double
store_obj_heap_key(struct store *st, struct store_obj *o)
{
	double kb = (double)((o->e.size + 1023) / 1024);

	switch (st->cfg->cache_replacement_policy) {
	case CFG_POLICY_HEAP_GDSF:
		return st->age + (double)o->e.refcount / (kb > 0 ? kb : 1);
	case CFG_POLICY_HEAP_LFUDA:
		return st->age + (double)o->e.refcount;
	case CFG_POLICY_LRU:
	case CFG_POLICY_HEAP_LRU:
		break;
	}
	/* last reference, then the order of references within a second */
	return (double)o->e.last_ref * 1048576.0 + (double)(st->seq & 0xfffff);
}

static void
store_obj_heap_swap(struct store *st, size_t a, size_t b)
{
	struct store_obj *t = st->heap[a];

	st->heap[a] = st->heap[b];
	st->heap[b] = t;
	st->heap[a]->hidx = a;
	st->heap[b]->hidx = b;
}

static void
store_obj_heap_fix(struct store *st, size_t i)
{
	while (i > 0 && st->heap[(i - 1) / 2]->hkey > st->heap[i]->hkey) {
		store_obj_heap_swap(st, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < st->nheap && st->heap[l]->hkey < st->heap[m]->hkey)
			m = l;
		if (r < st->nheap && st->heap[r]->hkey < st->heap[m]->hkey)
			m = r;
		if (m == i)
			break;
		store_obj_heap_swap(st, i, m);
		i = m;
	}
}

void
store_obj_add(struct store *st, struct store_obj *o)
{
	size_t b;

	if (st->nobj + 1 > st->tabsize)
		store_obj_tab_grow(st);
	o->hash = store_obj_hash(o->key, o->keylen);
	b = o->hash & (st->tabsize - 1);
	o->hnext = st->tab[b];
	st->tab[b] = o;
	st->nobj++;
	st->bytes += o->e.size;
	store_publish(st);
	if (st->nheap == st->capheap) {
		st->capheap = st->capheap ? st->capheap * 2 : 1024;
		st->heap = xrealloc(st->heap, st->capheap * sizeof(*st->heap));
	}
	st->seq++;
	o->hkey = store_obj_heap_key(st, o);
	o->hidx = st->nheap;
	st->heap[st->nheap++] = o;
	store_obj_heap_fix(st, o->hidx);
}

void
store_obj_remove(struct store *st, struct store_obj *o)
{
	struct store_obj **pp = &st->tab[o->hash & (st->tabsize - 1)];
	size_t i = o->hidx;

	while (*pp != o)
		pp = &(*pp)->hnext;
	*pp = o->hnext;
	st->nobj--;
	st->bytes -= o->e.size;
	store_publish(st);
	st->nheap--;
	if (i != st->nheap) {
		st->heap[i] = st->heap[st->nheap];
		st->heap[i]->hidx = i;
		store_obj_heap_fix(st, i);
	}
	free(o->key);
	free(o);
}

struct store_obj *
store_obj_new(const void *key, size_t keylen,
    const struct store_index_entry *e)
{
	struct store_obj *o = xcalloc(1, sizeof(*o));

	o->key = xmalloc(keylen);
	memcpy(o->key, key, keylen);
	o->keylen = (uint32_t)keylen;
	o->e = *e;
	return o;
}

void
store_obj_touch(struct store *st, struct store_obj *o)
{
	o->e.last_ref = time(NULL);
	if (o->e.refcount < UINT32_MAX)
		o->e.refcount++;
	st->seq++;
	o->hkey = store_obj_heap_key(st, o);
	store_obj_heap_fix(st, o->hidx);
}

/* The index: a failed write makes it stale, so rewrite it from memory. */

static void
store_obj_reindex(struct store *st)
{
	char path[PATH_MAX];
	const char *why;

	store_index_close(st->idx);
	st->idx = NULL;
	store_file_index_path(st->cd, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cache_dir %s: unlink %s", st->cd->path, path);
	if ((st->idx = store_index_open(path, 1, &why)) == NULL) {
		log_warnx("cache_dir %s: cannot create %s: %s; retrying later",
		    st->cd->path, path, why);
		ev_timer_start(&st->reindex_timer, 30000);
		return;
	}
	for (size_t i = 0; i < st->nheap; i++) {
		struct store_obj *o = st->heap[i];
		if (store_index_put(st->idx, o->key, o->keylen, &o->e) == -1) {
			store_index_close(st->idx);
			st->idx = NULL;
			ev_timer_start(&st->reindex_timer, 30000);
			return;
		}
	}
	log_info("cache_dir %s: index rewritten with %zu objects",
	    st->cd->path, st->nobj);
}

void
store_obj_reindex_cb(struct ev_timer *t)
{
	store_obj_reindex(t->arg);
}

static void
store_obj_index_failed(struct store *st)
{
	/*
	 * The files stay right; only the index is behind.  A restart before
	 * the rewrite rebuilds it from the files anyway.
	 */
	if (st->idx != NULL && store_index_broken(st->idx)) {
		store_index_close(st->idx);
		st->idx = NULL;
	}
	if (!ev_timer_armed(&st->reindex_timer))
		ev_timer_start(&st->reindex_timer, 1000);
}

void
store_obj_idx_put(struct store *st, struct store_obj *o)
{
	if (st->idx == NULL ||
	    store_index_put(st->idx, o->key, o->keylen, &o->e) == -1)
		store_obj_index_failed(st);
}

void
store_obj_idx_del(struct store *st, const void *key, size_t keylen)
{
	if (st->idx == NULL || store_index_del(st->idx, key, keylen) == -1)
		store_obj_index_failed(st);
}

/* Unlink first: a crash after it leaves an entry the start-up check drops. */
void
store_obj_delete(struct store *st, struct store_obj *o)
{
	char path[PATH_MAX];

	store_file_path(st, o->e.fileno, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cache_dir %s: unlink %s", st->cd->path, path);
	store_obj_idx_del(st, o->key, o->keylen);
	store_obj_remove(st, o);
}

void
store_obj_evict(struct store *st, uint64_t target)
{
	int n = 0;

	while (st->bytes > target && st->nheap > 0) {
		struct store_obj *o = st->heap[0];

		if (st->cfg->cache_replacement_policy == CFG_POLICY_HEAP_GDSF ||
		    st->cfg->cache_replacement_policy == CFG_POLICY_HEAP_LFUDA)
			st->age = o->hkey;
		store_obj_delete(st, o);
		n++;
	}
	if (n > 0)
		log_debug(20, 2, "cache_dir %s: evicted %d objects, %llu bytes "
		    "left", st->cd->path, n, (unsigned long long)st->bytes);
}

