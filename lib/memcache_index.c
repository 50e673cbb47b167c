/*
 * The memory cache's hash index and entry lifecycle (lookup, unlink,
 * evict, free), and the rebuild of all derived state (hash chains, free
 * lists, policy order, reference counts) from the truth after a process
 * died holding the lock.
 */
#include "config.h"
#include "memcache.h"
#include "memcache_int.h"

#include <stdlib.h>

#include "log.h"

/* ---- index ---- */

uint32_t
memcache_lookup(struct memcache *mc, uint64_t hash, const void *key,
    size_t keylen)
{
	uint32_t idx = mc->buckets[hash & (mc->hdr->nbuckets - 1)];

	for (; idx != MEMCACHE_NIL; idx = mc->entries[idx].next) {
		struct memcache_entry *e = &mc->entries[idx];

		if (e->hash == hash && memcache_key_equal(mc, e, key, keylen))
			return idx;
	}
	return MEMCACHE_NIL;
}

void
memcache_entry_free(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];

	e->state = MEMCACHE_FREE;	/* the commit: pages below are derived */
	memcache_pages_free(mc, e);
	e->next = mc->hdr->free_entry;
	mc->hdr->free_entry = idx;
}

/* Take a committed object out of the index; free it unless pinned. */
void
memcache_unlink(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];
	uint32_t *pp = &mc->buckets[e->hash & (mc->hdr->nbuckets - 1)];

	while (*pp != idx)
		pp = &mc->entries[*pp].next;
	*pp = e->next;
	memcache_policy_remove(mc, idx);
	mc->hdr->objects--;
	if (e->refcnt > 0)
		e->state = MEMCACHE_UNLINKED;
	else
		memcache_entry_free(mc, idx);
}

void
memcache_evict(struct memcache *mc, uint32_t idx)
{
	struct memcache_hdr *h = mc->hdr;

	if (h->policy == MEMCACHE_HEAP_GDSF || h->policy == MEMCACHE_HEAP_LFUDA)
		h->inflation = mc->entries[idx].key;
	h->evictions++;
	memcache_unlink(mc, idx);
}

/* ---- rebuild of the derived state (lock held) ---- */

static int
memcache_stamp_cmp(const void *a, const void *b, void *arg)
{
	const struct memcache_entry *ents = arg;
	uint64_t x = ents[*(const uint32_t *)a].stamp;
	uint64_t y = ents[*(const uint32_t *)b].stamp;

	return x < y ? -1 : x > y;
}

void
memcache_rebuild(struct memcache *mc)
{
	struct memcache_hdr *h = mc->hdr;
	uint32_t *owner, *order, i, n = 0, k;
	size_t npins = (size_t)h->nkids * MEMCACHE_PINS_PER_KID, s;
	uint8_t *res;

	owner = calloc(h->npages, sizeof(*owner));
	order = calloc(h->nentries, sizeof(*order));
	res = calloc(h->nentries, 1);
	if (owner == NULL || order == NULL || res == NULL)
		fatal("memory cache: rebuild");

	/* Reference counts and live reservations come from the pin tables. */
	for (i = 0; i < h->nentries; i++)
		mc->entries[i].refcnt = 0;
	for (s = 0; s < npins; s++) {
		uint32_t v = mc->pins[s], idx = (v & ~MEMCACHE_PIN_RES) - 1;
		struct memcache_entry *e;

		if (v == 0)
			continue;
		if (idx >= h->nentries) {
			mc->pins[s] = 0;
			continue;
		}
		e = &mc->entries[idx];
		if (v & MEMCACHE_PIN_RES) {
			if (e->state == MEMCACHE_RESERVED)
				res[idx] = 1;
			else
				mc->pins[s] = 0;	/* published or gone */
		} else if (e->state == MEMCACHE_COMMITTED ||
		    e->state == MEMCACHE_UNLINKED)
			e->refcnt++;
		else
			mc->pins[s] = 0;
	}

	/* Which pages each live entry owns; a bad chain drops its entry. */
	for (i = 0; i < h->nentries; i++) {
		struct memcache_entry *e = &mc->entries[i];
		uint32_t pg, left, last = MEMCACHE_NIL;
		int bad = 0;

		if ((e->state == MEMCACHE_RESERVED && !res[i]) ||
		    (e->state == MEMCACHE_UNLINKED && e->refcnt == 0) ||
		    e->state > MEMCACHE_UNLINKED)
			e->state = MEMCACHE_FREE;
		if (e->state == MEMCACHE_FREE)
			continue;
		pg = e->first_page;
		for (left = e->npages; left > 0; left--) {
			if (pg >= h->npages || owner[pg] != 0) {
				bad = 1;
				break;
			}
			owner[pg] = i + 1;
			last = pg;
			pg = mc->page_next[pg];
		}
		if (e->npages == 0 || last != e->last_page)
			bad = 1;
		if (bad) {
			log_errx("memory cache: entry %u has a broken page "
			    "chain; dropped", i);
			for (pg = 0; pg < h->npages; pg++)
				if (owner[pg] == i + 1)
					owner[pg] = 0;
			e->state = MEMCACHE_FREE;
			e->refcnt = 0;
		}
	}

	h->free_page = MEMCACHE_NIL;
	h->nfree_pages = 0;
	for (k = h->npages; k-- > 0;)
		if (owner[k] == 0) {
			mc->page_next[k] = h->free_page;
			h->free_page = k;
			h->nfree_pages++;
		}

	for (i = 0; i < h->nbuckets; i++)
		mc->buckets[i] = MEMCACHE_NIL;
	h->free_entry = MEMCACHE_NIL;
	h->lru_head = h->lru_tail = MEMCACHE_NIL;
	h->heap_n = 0;
	for (k = h->nentries; k-- > 0;) {
		struct memcache_entry *e = &mc->entries[k];

		e->lru_prev = e->lru_next = e->heap_pos = MEMCACHE_NIL;
		if (e->state == MEMCACHE_FREE) {
			e->next = h->free_entry;
			h->free_entry = k;
		} else if (e->state == MEMCACHE_COMMITTED) {
			uint32_t *b = &mc->buckets[e->hash & (h->nbuckets - 1)];

			e->next = *b;
			*b = k;
			order[n++] = k;
		} else
			e->next = MEMCACHE_NIL;
	}
	/* Oldest first, so the policy sees the same order of use as before. */
	qsort_r(order, n, sizeof(*order), memcache_stamp_cmp, mc->entries);
	for (i = 0; i < n; i++)
		memcache_policy_add(mc, order[i]);
	h->objects = n;
	free(owner);
	free(order);
	free(res);
}
