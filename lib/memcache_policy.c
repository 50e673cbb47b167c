/*
 * Replacement policies of the memory cache (memory_replacement_policy):
 * lru as a doubly linked list, heap GDSF, heap LFUDA and heap LRU as one
 * binary heap keyed per policy, and choosing a victim that no reader has
 * pinned.  All of it is derived state, called with the lock held.
 */
#include "config.h"
#include "memcache.h"
#include "memcache_int.h"

double
memcache_policy_key(struct memcache *mc, const struct memcache_entry *e)
{
	struct memcache_hdr *h = mc->hdr;
	double size;

	switch (h->policy) {
	case MEMCACHE_HEAP_GDSF:
		/* Hits per byte: small popular objects stay. */
		size = (double)e->metalen + e->keylen + e->bodylen;
		return h->inflation + (double)e->hits / (size > 0 ? size : 1);
	case MEMCACHE_HEAP_LFUDA:
		return h->inflation + e->hits;
	default:
		return (double)e->stamp;
	}
}

static void
memcache_heap_set(struct memcache *mc, uint32_t pos, uint32_t idx)
{
	mc->heap[pos] = idx;
	mc->entries[idx].heap_pos = pos;
}

static void
memcache_heap_fix(struct memcache *mc, uint32_t pos)
{
	struct memcache_hdr *h = mc->hdr;
	uint32_t idx = mc->heap[pos];
	double k = mc->entries[idx].key;

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (mc->entries[mc->heap[parent]].key <= k)
			break;
		memcache_heap_set(mc, pos, mc->heap[parent]);
		pos = parent;
	}
	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= h->heap_n)
			break;
		if (c + 1 < h->heap_n && mc->entries[mc->heap[c + 1]].key <
		    mc->entries[mc->heap[c]].key)
			c++;
		if (mc->entries[mc->heap[c]].key >= k)
			break;
		memcache_heap_set(mc, pos, mc->heap[c]);
		pos = c;
	}
	memcache_heap_set(mc, pos, idx);
}

static void
memcache_heap_remove(struct memcache *mc, uint32_t idx)
{
	struct memcache_hdr *h = mc->hdr;
	uint32_t pos = mc->entries[idx].heap_pos;

	h->heap_n--;
	if (pos != h->heap_n) {
		memcache_heap_set(mc, pos, mc->heap[h->heap_n]);
		memcache_heap_fix(mc, pos);
	}
	mc->entries[idx].heap_pos = MEMCACHE_NIL;
}

static void
memcache_lru_unlink(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];

	if (e->lru_prev != MEMCACHE_NIL)
		mc->entries[e->lru_prev].lru_next = e->lru_next;
	else
		mc->hdr->lru_head = e->lru_next;
	if (e->lru_next != MEMCACHE_NIL)
		mc->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		mc->hdr->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = MEMCACHE_NIL;
}

static void
memcache_lru_push_head(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];

	e->lru_prev = MEMCACHE_NIL;
	e->lru_next = mc->hdr->lru_head;
	if (e->lru_next != MEMCACHE_NIL)
		mc->entries[e->lru_next].lru_prev = idx;
	else
		mc->hdr->lru_tail = idx;
	mc->hdr->lru_head = idx;
}

void
memcache_policy_add(struct memcache *mc, uint32_t idx)
{
	struct memcache_hdr *h = mc->hdr;

	if (h->policy == MEMCACHE_LRU) {
		memcache_lru_push_head(mc, idx);
		return;
	}
	memcache_heap_set(mc, h->heap_n++, idx);
	memcache_heap_fix(mc, h->heap_n - 1);
}

void
memcache_policy_remove(struct memcache *mc, uint32_t idx)
{
	if (mc->hdr->policy == MEMCACHE_LRU)
		memcache_lru_unlink(mc, idx);
	else
		memcache_heap_remove(mc, idx);
}

void
memcache_policy_touch(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];

	e->stamp = ++mc->hdr->clock;
	if (e->hits < UINT32_MAX)
		e->hits++;
	if (mc->hdr->policy == MEMCACHE_LRU) {
		if (mc->hdr->lru_head != idx) {
			memcache_lru_unlink(mc, idx);
			memcache_lru_push_head(mc, idx);
		}
		return;
	}
	e->key = memcache_policy_key(mc, e);
	memcache_heap_fix(mc, e->heap_pos);
}

/*
 * The unpinned object to evict next, NIL if every object is pinned.  Pinned
 * objects are skipped: unlinking them would free nothing until release.
 */
uint32_t
memcache_policy_victim(struct memcache *mc)
{
	struct memcache_hdr *h = mc->hdr;
	uint32_t stash[MEMCACHE_STASH], idx, victim = MEMCACHE_NIL;
	int n = 0;

	if (h->policy == MEMCACHE_LRU) {
		for (idx = h->lru_tail; idx != MEMCACHE_NIL;
		    idx = mc->entries[idx].lru_prev)
			if (mc->entries[idx].refcnt == 0)
				return idx;
		return MEMCACHE_NIL;
	}
	/* Set pinned tops aside so the heap shows the next candidate. */
	while (h->heap_n > 0 && n < MEMCACHE_STASH) {
		idx = mc->heap[0];
		if (mc->entries[idx].refcnt == 0) {
			victim = idx;
			break;
		}
		memcache_heap_remove(mc, idx);
		stash[n++] = idx;
	}
	if (victim == MEMCACHE_NIL && n == MEMCACHE_STASH) {
		/* Many pinned tops: a linear scan, rare and still correct. */
		uint32_t i;

		for (i = 0; i < h->heap_n; i++) {
			idx = mc->heap[i];
			if (mc->entries[idx].refcnt == 0 && (victim ==
			    MEMCACHE_NIL || mc->entries[idx].key <
			    mc->entries[victim].key))
				victim = idx;
		}
	}
	while (n > 0) {
		idx = stash[--n];
		memcache_heap_set(mc, h->heap_n++, idx);
		memcache_heap_fix(mc, h->heap_n - 1);
	}
	return victim;
}
