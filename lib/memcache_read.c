/*
 * Readers of the memory cache: a hit pins its entry in this kid's pin
 * table, so the pages stay valid without the lock while the body is sent,
 * and the reference hands out the metadata and the body as iovecs until
 * it is released.
 */
#include "config.h"
#include "memcache.h"
#include "memcache_int.h"

#include <stdlib.h>

#include "log.h"

struct memcache_ref *
memcache_pin(struct memcache *mc, const void *key, size_t keylen, int count)
{
	struct memcache_hdr *h = mc->hdr;
	struct memcache_entry *e;
	struct memcache_ref *r;
	uint64_t hash = memcache_hash(key, keylen);
	uint32_t idx, slot;

	if (mc->nfree_slots == 0) {
		if (count)
			h->misses++;	/* racy, but only a statistic */
		return NULL;
	}
	slot = mc->free_slots[--mc->nfree_slots];
	memcache_lock(mc);
	idx = memcache_lookup(mc, hash, key, keylen);
	if (idx == MEMCACHE_NIL) {
		if (count)
			h->misses++;
		memcache_unlock(mc);
		mc->free_slots[mc->nfree_slots++] = slot;
		return NULL;
	}
	e = &mc->entries[idx];
	/* Count first: a crash between the two leaks a pin, never frees early. */
	e->refcnt++;
	mc->mypins[slot] = idx + 1;
	if (count) {
		h->hits++;
		memcache_policy_touch(mc, idx);
	}
	r = &mc->refs[slot];
	r->mc = mc;
	r->idx = idx;
	r->slot = slot;
	r->first_page = e->first_page;
	r->metalen = e->metalen;
	r->keylen = e->keylen;
	r->bodylen = e->bodylen;
	memcache_unlock(mc);

	if (r->metalen <= MEMCACHE_PAGE) {
		r->meta = memcache_page(mc, r->first_page);
	} else {
		if (r->metacap < r->metalen) {
			free(r->metabuf);
			r->metabuf = malloc(r->metalen);
			r->metacap = r->metabuf != NULL ? r->metalen : 0;
			if (r->metabuf == NULL) {
				log_err("memory cache: %u bytes of meta",
				    r->metalen);
				memcache_release(r);
				return NULL;
			}
		}
		memcache_stream_read(mc, r->first_page, 0, r->metabuf,
		    r->metalen);
		r->meta = r->metabuf;
	}
	return r;
}

struct memcache_ref *
memcache_get(struct memcache *mc, const void *key, size_t keylen)
{
	return memcache_pin(mc, key, keylen, 1);
}

const void *
memcache_ref_meta(const struct memcache_ref *r, size_t *len)
{
	*len = r->metalen;
	return r->meta;
}

uint64_t
memcache_ref_body_len(const struct memcache_ref *r)
{
	return r->bodylen;
}

int
memcache_ref_body_iov(const struct memcache_ref *r, uint64_t off,
    struct iovec *iov, int max, size_t *bytes)
{
	struct memcache *mc = r->mc;
	uint64_t left;
	size_t poff;
	uint32_t pg;
	int n = 0;

	*bytes = 0;
	if (off >= r->bodylen || max <= 0)
		return 0;
	left = r->bodylen - off;
	pg = memcache_seek(mc, r->first_page,
	    (uint64_t)r->metalen + r->keylen + off, &poff);
	while (left > 0 && n < max) {
		size_t len = MEMCACHE_PAGE - poff;

		if (len > left)
			len = left;
		iov[n].iov_base = memcache_page(mc, pg) + poff;
		iov[n].iov_len = len;
		n++;
		*bytes += len;
		left -= len;
		poff = 0;
		pg = mc->page_next[pg];
	}
	return n;
}

void
memcache_release(struct memcache_ref *r)
{
	struct memcache *mc;
	struct memcache_entry *e;

	if (r == NULL)
		return;
	mc = r->mc;
	e = &mc->entries[r->idx];
	memcache_lock(mc);
	mc->mypins[r->slot] = 0;	/* the commit; refcnt is derived */
	e->refcnt--;
	if (e->refcnt == 0 && e->state == MEMCACHE_UNLINKED)
		memcache_entry_free(mc, r->idx);
	memcache_unlock(mc);
	mc->free_slots[mc->nfree_slots++] = r->slot;
}
