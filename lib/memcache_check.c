/*
 * Consistency check of the memory cache region (every invariant between
 * truth and derived state), for tests and debugging, and the test hook
 * that dies holding the lock to exercise crash recovery.
 */
#include "config.h"
#include "memcache.h"
#include "memcache_int.h"

#include <stdlib.h>
#include <unistd.h>

#include "log.h"

/* 0 if looking up entry idx's own key finds it. */
static int
memcache_check_key(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];
	uint8_t *key = malloc(e->keylen ? e->keylen : 1);
	int rc;

	if (key == NULL)
		fatal("memory cache: check");
	memcache_stream_read(mc, e->first_page, e->metalen, key, e->keylen);
	rc = e->keylen == 0 || memcache_hash(key, e->keylen) != e->hash ||
	    memcache_lookup(mc, e->hash, key, e->keylen) != idx ? -1 : 0;
	free(key);
	return rc;
}

#define MEMCACHE_BAD(...) do { \
	log_errx("memory cache check: " __VA_ARGS__); \
	rc = -1; \
	goto out; \
} while (0)

int
memcache_check(struct memcache *mc)
{
	struct memcache_hdr *h = mc->hdr;
	uint8_t *seen = calloc(h->npages, 1);
	uint32_t *refs = calloc(h->nentries + 1, sizeof(*refs));
	uint8_t *res = calloc(h->nentries, 1);
	uint32_t i, pg, n, objects = 0, nfree = 0, listed = 0;
	size_t s, npins = (size_t)h->nkids * MEMCACHE_PINS_PER_KID;
	int rc = 0;

	if (seen == NULL || refs == NULL || res == NULL)
		fatal("memory cache: check");
	memcache_lock(mc);
	for (pg = h->free_page; pg != MEMCACHE_NIL; pg = mc->page_next[pg]) {
		if (pg >= h->npages || seen[pg])
			MEMCACHE_BAD("free page list broken at %u", pg);
		seen[pg] = 1;
		nfree++;
	}
	if (nfree != h->nfree_pages)
		MEMCACHE_BAD("%u free pages listed, %u counted", nfree,
		    h->nfree_pages);
	for (s = 0; s < npins; s++) {
		uint32_t v = mc->pins[s];

		uint32_t idx = (v & ~MEMCACHE_PIN_RES) - 1;

		if (v == 0)
			continue;
		if (idx >= h->nentries)
			MEMCACHE_BAD("pin slot %zu holds %#x", s, v);
		if (v & MEMCACHE_PIN_RES) {
			if (mc->entries[idx].state != MEMCACHE_RESERVED)
				MEMCACHE_BAD("reservation pin on entry %u", idx);
			res[idx]++;
		} else
			refs[idx]++;
	}
	for (i = 0; i < h->nentries; i++) {
		struct memcache_entry *e = &mc->entries[i];

		if (e->state == MEMCACHE_FREE)
			continue;
		if (e->refcnt != refs[i])
			MEMCACHE_BAD("entry %u refcnt %u, %u pins", i,
			    e->refcnt, refs[i]);
		if (e->state == MEMCACHE_UNLINKED && e->refcnt == 0)
			MEMCACHE_BAD("entry %u unlinked and unpinned", i);
		if ((e->state == MEMCACHE_RESERVED) != (res[i] == 1))
			MEMCACHE_BAD("entry %u reserved by %u pins", i, res[i]);
		if ((uint64_t)e->npages * MEMCACHE_PAGE < (uint64_t)e->metalen +
		    e->keylen + e->bodylen)
			MEMCACHE_BAD("entry %u too few pages", i);
		for (pg = e->first_page, n = 0; n < e->npages; n++) {
			if (pg >= h->npages || seen[pg])
				MEMCACHE_BAD("entry %u page %u shared or bad",
				    i, pg);
			seen[pg] = 1;
			if (n + 1 == e->npages && pg != e->last_page)
				MEMCACHE_BAD("entry %u last page", i);
			pg = mc->page_next[pg];
		}
		if (e->state == MEMCACHE_COMMITTED) {
			objects++;
			if (memcache_check_key(mc, i) != 0)
				MEMCACHE_BAD("entry %u not found by its key", i);
		}
	}
	for (pg = 0; pg < h->npages; pg++)
		if (!seen[pg])
			MEMCACHE_BAD("page %u lost", pg);
	if (objects != h->objects)
		MEMCACHE_BAD("%u objects, header says %u", objects, h->objects);
	/* Every committed entry sits once in its own bucket. */
	for (i = 0; i < h->nbuckets; i++) {
		uint32_t idx;

		for (idx = mc->buckets[i], n = 0; idx != MEMCACHE_NIL;
		    idx = mc->entries[idx].next) {
			if (idx >= h->nentries || ++n > h->nentries)
				MEMCACHE_BAD("bucket %u chain broken", i);
			if (mc->entries[idx].state != MEMCACHE_COMMITTED ||
			    (mc->entries[idx].hash & (h->nbuckets - 1)) != i)
				MEMCACHE_BAD("bucket %u holds entry %u", i,
				    idx);
			listed++;
		}
	}
	if (listed != objects)
		MEMCACHE_BAD("%u objects indexed, %u committed", listed,
		    objects);
	if (h->policy == MEMCACHE_LRU) {
		uint32_t idx, prev = MEMCACHE_NIL;

		for (idx = h->lru_head, n = 0; idx != MEMCACHE_NIL;
		    idx = mc->entries[idx].lru_next) {
			if (idx >= h->nentries || ++n > objects ||
			    mc->entries[idx].lru_prev != prev ||
			    mc->entries[idx].state != MEMCACHE_COMMITTED)
				MEMCACHE_BAD("LRU list broken at %u", idx);
			prev = idx;
		}
		if (n != objects || h->lru_tail != prev)
			MEMCACHE_BAD("LRU list has %u of %u", n, objects);
	} else {
		if (h->heap_n != objects)
			MEMCACHE_BAD("heap has %u of %u", h->heap_n, objects);
		for (i = 0; i < h->heap_n; i++) {
			struct memcache_entry *e = &mc->entries[mc->heap[i]];

			if (e->heap_pos != i || e->state != MEMCACHE_COMMITTED)
				MEMCACHE_BAD("heap slot %u", i);
			if (i > 0 && mc->entries[mc->heap[(i - 1) / 2]].key >
			    e->key)
				MEMCACHE_BAD("heap order at %u", i);
		}
	}
	/* Free entries are exactly the ones on the free-entry list. */
	for (i = h->free_entry, n = 0; i != MEMCACHE_NIL;
	    i = mc->entries[i].next) {
		if (i >= h->nentries || ++n > h->nentries ||
		    mc->entries[i].state != MEMCACHE_FREE)
			MEMCACHE_BAD("free entry list broken at %u", i);
	}
	for (i = 0, listed = 0; i < h->nentries; i++)
		listed += mc->entries[i].state == MEMCACHE_FREE;
	if (listed != n)
		MEMCACHE_BAD("%u free entries, %u listed", listed, n);
out:
	memcache_unlock(mc);
	free(seen);
	free(refs);
	free(res);
	return rc;
}

void
memcache_test_die_locked(struct memcache *mc, int scramble)
{
	struct memcache_hdr *h = mc->hdr;
	uint32_t i;

	pthread_mutex_lock(&h->lock);
	if (scramble) {
		/* What a crash halfway through an update could leave. */
		for (i = 0; i < h->nbuckets; i++)
			mc->buckets[i] = MEMCACHE_NIL;
		h->free_page = MEMCACHE_NIL;
		h->nfree_pages = 0;
		h->free_entry = MEMCACHE_NIL;
		h->lru_head = h->lru_tail = 0;
		h->heap_n = 0;
		h->objects = 12345;
		for (i = 0; i < h->nentries; i++)
			mc->entries[i].refcnt = 7;
	}
	_exit(0);
}
