/*
 * Private to the shared memory cache (lib/memcache*.c): the layout of the
 * shared region (header, entries, pin tables) and of a process's handle
 * on it, and the lock-held operations the allocator, index, replacement
 * policy, readers, writers and checker call on each other.  Which fields
 * are truth and which are derived (rebuilt after a crash) is said at each
 * field; memcache.c explains why.  The public API stays in memcache.h.
 */
#ifndef CUTTLE_MEMCACHE_INT_H
#define CUTTLE_MEMCACHE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "memcache.h"

#define MEMCACHE_MAGIC	0x6375747463616368ULL	/* "cuttcach" */
#define MEMCACHE_NIL	UINT32_MAX
/* memcache_put_internal: commit only if nothing is stored under the key */
#define MEMCACHE_ABSENT	(UINT32_MAX - 1)
#define MEMCACHE_PIN_RES 0x80000000u	/* pin slot holds a writer's reservation */
#define MEMCACHE_STASH	64	/* pinned heap tops skipped per eviction */

enum memcache_state {
	MEMCACHE_FREE,
	MEMCACHE_RESERVED,	/* a writer is filling its pages, not in the index */
	MEMCACHE_COMMITTED,	/* in the index, pages immutable */
	MEMCACHE_UNLINKED	/* out of the index, pinned: freed by the last release */
};

struct memcache_entry {
	uint64_t hash;
	uint64_t bodylen;
	uint64_t stamp;		/* clock at the last use: heap LRU and rebuilds */
	double key;		/* heap policies' key */
	uint32_t keylen, metalen;
	uint32_t first_page, last_page, npages;
	uint32_t hits;
	uint32_t refcnt;	/* derived: read pins in the pin tables */
	uint32_t next;		/* derived: hash chain, or free-entry list */
	uint32_t lru_prev, lru_next;	/* derived */
	uint32_t heap_pos;	/* derived */
	uint8_t state;
};

struct memcache_hdr {
	uint64_t magic;
	pthread_mutex_t lock;
	uint64_t map_size, max_object;
	uint32_t npages, nentries, nbuckets, nkids, policy;
	size_t off_buckets, off_entries, off_page_next, off_heap, off_pins,
	    off_pages;
	/* derived */
	uint32_t free_page, nfree_pages, free_entry;
	uint32_t lru_head, lru_tail, heap_n, objects;
	/* kept across rebuilds */
	uint64_t clock;
	double inflation;	/* GDSF/LFUDA "L": key of the last victim */
	uint64_t hits, misses, evictions;
};

struct memcache_ref {
	struct memcache *mc;
	const uint8_t *meta;
	uint8_t *metabuf;	/* meta spanning pages is copied here, kept */
	size_t metacap;
	uint64_t bodylen;
	uint32_t idx, first_page, metalen, keylen;
	uint32_t slot;
};

/* The private handle: fork copies it, so pin bookkeeping is per process. */
struct memcache {
	struct memcache_hdr *hdr;
	uint32_t *buckets;
	struct memcache_entry *entries;
	uint32_t *page_next;
	uint32_t *heap;
	uint32_t *pins;		/* nkids * MEMCACHE_PINS_PER_KID */
	uint8_t *pages;
	int kid;
	uint32_t *mypins;	/* this kid's row of pins */
	uint32_t free_slots[MEMCACHE_PINS_PER_KID];
	int nfree_slots;
	struct memcache_ref refs[MEMCACHE_PINS_PER_KID];
};

/* memcache.c */
uint64_t memcache_hash(const void *key, size_t len);
void memcache_lock(struct memcache *mc);
void memcache_unlock(struct memcache *mc);
uint8_t *memcache_page(struct memcache *mc, uint32_t pg);
uint32_t memcache_seek(struct memcache *mc, uint32_t pg, uint64_t off,
    size_t *poff);
void memcache_stream_write(struct memcache *mc, uint32_t *pg, size_t *poff,
    const void *src, size_t len);
void memcache_stream_read(struct memcache *mc, uint32_t first, uint64_t off,
    void *dst, size_t len);
int memcache_key_equal(struct memcache *mc, const struct memcache_entry *e,
    const uint8_t *key, size_t keylen);
void memcache_pages_free(struct memcache *mc, struct memcache_entry *e);

/* memcache_policy.c */
double memcache_policy_key(struct memcache *mc,
    const struct memcache_entry *e);
void memcache_policy_add(struct memcache *mc, uint32_t idx);
void memcache_policy_remove(struct memcache *mc, uint32_t idx);
void memcache_policy_touch(struct memcache *mc, uint32_t idx);
uint32_t memcache_policy_victim(struct memcache *mc);

/* memcache_index.c */
uint32_t memcache_lookup(struct memcache *mc, uint64_t hash, const void *key,
    size_t keylen);
void memcache_entry_free(struct memcache *mc, uint32_t idx);
void memcache_unlink(struct memcache *mc, uint32_t idx);
void memcache_evict(struct memcache *mc, uint32_t idx);
void memcache_rebuild(struct memcache *mc);

/* memcache_read.c */
struct memcache_ref *memcache_pin(struct memcache *mc, const void *key,
    size_t keylen, int count);

#endif
