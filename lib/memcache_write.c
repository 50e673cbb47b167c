/*
 * Writers of the memory cache: reserving an entry and its pages (recorded
 * in a pin slot, so a writer that dies is cleaned up), filling them outside
 * the lock and committing with one state store; metadata updates, deletes,
 * statistics, and reaping the pins of a kid that died.
 */
#include "config.h"
#include "memcache.h"
#include "memcache_int.h"

#include <stdlib.h>

#include "log.h"

/*
 * Reserve an entry and enough pages, evicting unpinned objects as needed.
 * The reservation is recorded in a pin slot so that memcache_reap() frees
 * it if this process dies while filling the pages.
 */
static uint32_t
memcache_reserve(struct memcache *mc, uint64_t hash, uint32_t keylen,
    uint32_t metalen, uint64_t bodylen, uint32_t slot)
{
	struct memcache_hdr *h = mc->hdr;
	uint64_t total = (uint64_t)metalen + keylen + bodylen;
	uint32_t need = (total + MEMCACHE_PAGE - 1) / MEMCACHE_PAGE;
	uint32_t idx, pg, last = MEMCACHE_NIL, i;
	struct memcache_entry *e;

	while (h->nfree_pages < need || h->free_entry == MEMCACHE_NIL) {
		uint32_t v = memcache_policy_victim(mc);

		if (v == MEMCACHE_NIL)
			return MEMCACHE_NIL;
		memcache_evict(mc, v);
	}
	idx = h->free_entry;
	e = &mc->entries[idx];
	h->free_entry = e->next;
	pg = h->free_page;
	for (i = 0; i < need; i++) {
		last = h->free_page;
		h->free_page = mc->page_next[last];
	}
	mc->page_next[last] = MEMCACHE_NIL;
	h->nfree_pages -= need;

	e->hash = hash;
	e->keylen = keylen;
	e->metalen = metalen;
	e->bodylen = bodylen;
	e->first_page = pg;
	e->last_page = last;
	e->npages = need;
	e->refcnt = 0;
	e->hits = 0;
	e->next = e->lru_prev = e->lru_next = e->heap_pos = MEMCACHE_NIL;
	e->state = MEMCACHE_RESERVED;
	mc->mypins[slot] = (idx + 1) | MEMCACHE_PIN_RES;
	return idx;
}

/* Drop a reservation that will not be published (lock held). */
static void
memcache_unreserve(struct memcache *mc, uint32_t idx, uint32_t slot)
{
	mc->mypins[slot] = 0;
	memcache_entry_free(mc, idx);
}

/*
 * Put, and with expect != NIL only replace that very entry (update_meta:
 * if someone stored a newer object meanwhile, theirs wins).
 */
static int
memcache_put_internal(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen, const struct iovec *body, int nbody,
    uint32_t expect)
{
	struct memcache_hdr *h = mc->hdr;
	uint64_t hash = memcache_hash(key, keylen), bodylen = 0;
	uint32_t idx, old, slot, hits = 1;
	struct memcache_entry *e;
	size_t poff = 0;
	uint32_t pg;
	int i;

	for (i = 0; i < nbody; i++)
		bodylen += body[i].iov_len;
	if (keylen == 0 || keylen > UINT32_MAX / 2 ||
	    metalen > UINT32_MAX / 2 || bodylen + metalen > h->max_object ||
	    ((uint64_t)metalen + keylen + bodylen + MEMCACHE_PAGE - 1) /
	    MEMCACHE_PAGE > h->npages)
		return -1;
	if (mc->nfree_slots == 0)
		return -1;
	slot = mc->free_slots[--mc->nfree_slots];

	memcache_lock(mc);
	idx = memcache_reserve(mc, hash, keylen, metalen, bodylen, slot);
	memcache_unlock(mc);
	if (idx == MEMCACHE_NIL) {
		mc->free_slots[mc->nfree_slots++] = slot;
		return -1;
	}

	/* The copy runs without the lock: nobody else can see these pages. */
	e = &mc->entries[idx];
	pg = e->first_page;
	memcache_stream_write(mc, &pg, &poff, meta, metalen);
	memcache_stream_write(mc, &pg, &poff, key, keylen);
	for (i = 0; i < nbody; i++)
		memcache_stream_write(mc, &pg, &poff, body[i].iov_base,
		    body[i].iov_len);

	memcache_lock(mc);
	old = memcache_lookup(mc, hash, key, keylen);
	if (expect == MEMCACHE_ABSENT ? old != MEMCACHE_NIL :
	    expect != MEMCACHE_NIL && old != expect) {
		memcache_unreserve(mc, idx, slot);
		memcache_unlock(mc);
		mc->free_slots[mc->nfree_slots++] = slot;
		return expect == MEMCACHE_ABSENT ? 1 : -1;
	}
	if (old != MEMCACHE_NIL) {
		if (expect != MEMCACHE_NIL)
			hits = mc->entries[old].hits;
		memcache_unlink(mc, old);
	}
	e->hits = hits;
	e->stamp = ++h->clock;
	e->key = memcache_policy_key(mc, e);
	e->state = MEMCACHE_COMMITTED;	/* the commit */
	mc->mypins[slot] = 0;
	e->next = mc->buckets[hash & (h->nbuckets - 1)];
	mc->buckets[hash & (h->nbuckets - 1)] = idx;
	memcache_policy_add(mc, idx);
	h->objects++;
	memcache_unlock(mc);
	mc->free_slots[mc->nfree_slots++] = slot;
	return 0;
}

int
memcache_put(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen, const struct iovec *body, int nbody)
{
	return memcache_put_internal(mc, key, keylen, meta, metalen, body,
	    nbody, MEMCACHE_NIL);
}

int
memcache_add(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen)
{
	return memcache_put_internal(mc, key, keylen, meta, metalen, NULL, 0,
	    MEMCACHE_ABSENT);
}

/* The key of a pinned object, into a malloc'd buffer. */
static uint8_t *
memcache_ref_key(const struct memcache_ref *r)
{
	uint8_t *key = malloc(r->keylen);

	if (key == NULL) {
		log_err("memory cache: %u byte key", r->keylen);
		return NULL;
	}
	memcache_stream_read(r->mc, r->first_page, r->metalen, key, r->keylen);
	return key;
}

int
memcache_ref_update_meta(struct memcache_ref *r, const void *meta,
    size_t metalen)
{
	struct iovec *iov;
	uint8_t *key;
	size_t bytes;
	int n, rc, max;

	/* Pinned, the old body pages are immutable: copy straight from them. */
	max = r->bodylen / MEMCACHE_PAGE + 2;
	iov = malloc(max * sizeof(*iov));
	key = memcache_ref_key(r);
	if (iov == NULL || key == NULL) {
		free(iov);
		free(key);
		return -1;
	}
	n = memcache_ref_body_iov(r, 0, iov, max, &bytes);
	rc = memcache_put_internal(r->mc, key, r->keylen, meta, metalen, iov,
	    n, r->idx);
	free(iov);
	free(key);
	return rc;
}

int
memcache_update_meta(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen)
{
	struct memcache_ref *r;
	int rc;

	if ((r = memcache_pin(mc, key, keylen, 0)) == NULL)
		return -1;
	rc = memcache_ref_update_meta(r, meta, metalen);
	memcache_release(r);
	return rc;
}

int
memcache_delete(struct memcache *mc, const void *key, size_t keylen)
{
	uint64_t hash = memcache_hash(key, keylen);
	uint32_t idx;

	memcache_lock(mc);
	idx = memcache_lookup(mc, hash, key, keylen);
	if (idx != MEMCACHE_NIL)
		memcache_unlink(mc, idx);
	memcache_unlock(mc);
	return idx != MEMCACHE_NIL;
}

void
memcache_stats(struct memcache *mc, struct memcache_stats *st)
{
	struct memcache_hdr *h = mc->hdr;

	memcache_lock(mc);
	st->objects = h->objects;
	st->bytes_total = (uint64_t)h->npages * MEMCACHE_PAGE;
	st->bytes_used = (uint64_t)(h->npages - h->nfree_pages) * MEMCACHE_PAGE;
	st->hits = h->hits;
	st->misses = h->misses;
	st->evictions = h->evictions;
	memcache_unlock(mc);
}

void
memcache_reap(struct memcache *mc, int kid)
{
	uint32_t *pins, i;

	if (kid < 0 || (uint32_t)kid >= mc->hdr->nkids)
		return;
	pins = mc->pins + (size_t)kid * MEMCACHE_PINS_PER_KID;
	memcache_lock(mc);
	for (i = 0; i < MEMCACHE_PINS_PER_KID; i++) {
		uint32_t v = pins[i], idx = (v & ~MEMCACHE_PIN_RES) - 1;
		struct memcache_entry *e;

		if (v == 0)
			continue;
		pins[i] = 0;
		if (idx >= mc->hdr->nentries)
			continue;
		e = &mc->entries[idx];
		if (v & MEMCACHE_PIN_RES) {
			if (e->state == MEMCACHE_RESERVED)
				memcache_entry_free(mc, idx);
		} else if (e->refcnt > 0) {
			e->refcnt--;
			if (e->refcnt == 0 && e->state == MEMCACHE_UNLINKED)
				memcache_entry_free(mc, idx);
		}
	}
	memcache_unlock(mc);
}
