/*
 * The shared memory cache.  One MAP_SHARED|MAP_ANONYMOUS region, made by the
 * master before it forks, holds a header with a process-shared robust mutex,
 * a hash index, an entry table, the replacement policy's list or heap,
 * per-kid pin tables and the data pages.  An object is stored as one byte
 * stream "meta | key | body" across a chain of pages.
 *
 * Crash safety rests on splitting the region into truth and derived state.
 * Truth is each entry's state byte, its immutable fields (lengths, page
 * chain, hash, policy counters) and the pin tables; everything else (hash
 * chains, free lists, LRU list, heap, reference counts, object count) can
 * be rebuilt from the truth.  Every critical section commits with one store
 * to a state byte or a pin slot, so a process that dies anywhere inside the
 * lock leaves valid truth, and whoever next gets EOWNERDEAD rebuilds the
 * derived state before marking the mutex consistent.
 */
#include "config.h"
#include "memcache.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEMCACHE_MAGIC	0x6375747463616368ULL	/* "cuttcach" */
#define MEMCACHE_NIL	UINT32_MAX
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

static void memcache_rebuild(struct memcache *mc);

static size_t
memcache_align(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* Word-at-a-time multiply-xor hash; fmix64 from MurmurHash3 to finish. */
static uint64_t
memcache_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xc2b2ae3d27d4eb4fULL);
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static void
memcache_lock(struct memcache *mc)
{
	int r = pthread_mutex_lock(&mc->hdr->lock);

	if (r == EOWNERDEAD) {
		log_warnx("memory cache: a process died holding the lock; "
		    "rebuilding the index");
		memcache_rebuild(mc);
		pthread_mutex_consistent(&mc->hdr->lock);
	} else if (r != 0) {
		errno = r;
		fatal("memory cache: pthread_mutex_lock");
	}
}

static void
memcache_unlock(struct memcache *mc)
{
	pthread_mutex_unlock(&mc->hdr->lock);
}

int
memcache_policy_parse(const char *s)
{
	if (strcmp(s, "lru") == 0)
		return MEMCACHE_LRU;
	if (strcmp(s, "heap GDSF") == 0)
		return MEMCACHE_HEAP_GDSF;
	if (strcmp(s, "heap LFUDA") == 0)
		return MEMCACHE_HEAP_LFUDA;
	if (strcmp(s, "heap LRU") == 0)
		return MEMCACHE_HEAP_LRU;
	return -1;
}

static void
memcache_handle_init(struct memcache *mc, struct memcache_hdr *hdr)
{
	uint8_t *base = (uint8_t *)hdr;

	mc->hdr = hdr;
	mc->buckets = (uint32_t *)(base + hdr->off_buckets);
	mc->entries = (struct memcache_entry *)(base + hdr->off_entries);
	mc->page_next = (uint32_t *)(base + hdr->off_page_next);
	mc->heap = (uint32_t *)(base + hdr->off_heap);
	mc->pins = (uint32_t *)(base + hdr->off_pins);
	mc->pages = base + hdr->off_pages;
}

struct memcache *
memcache_create(uint64_t bytes, uint64_t max_object,
    enum memcache_policy policy, int max_kids)
{
	struct memcache *mc;
	struct memcache_hdr *hdr;
	pthread_mutexattr_t ma;
	uint64_t npages = bytes / MEMCACHE_PAGE;
	uint32_t nbuckets = 1;
	size_t off;
	void *p;
	int r;

	if (npages < 1 || npages > 0x7ffffff0u || max_kids < 0 ||
	    max_kids > 65535 || (unsigned)policy > MEMCACHE_HEAP_LRU) {
		log_errx("memory cache: cannot make a cache of %llu bytes "
		    "for %d kids", (unsigned long long)bytes, max_kids);
		return NULL;
	}
	/* Every object takes at least one page, so one entry per page. */
	while (nbuckets < npages)
		nbuckets <<= 1;

	off = memcache_align(sizeof(*hdr), 64);
	size_t off_buckets = off;
	off = memcache_align(off + (size_t)nbuckets * 4, 64);
	size_t off_entries = off;
	off = memcache_align(off + (size_t)npages *
	    sizeof(struct memcache_entry), 64);
	size_t off_page_next = off;
	off = memcache_align(off + (size_t)npages * 4, 64);
	size_t off_heap = off;
	off = memcache_align(off + (size_t)npages * 4, 64);
	size_t off_pins = off;
	off = memcache_align(off + (size_t)(max_kids + 1) *
	    MEMCACHE_PINS_PER_KID * 4, MEMCACHE_PAGE);
	size_t off_pages = off;
	off += (size_t)npages * MEMCACHE_PAGE;

	p = mmap(NULL, off, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		log_err("memory cache: mmap %zu bytes", off);
		return NULL;
	}
	hdr = p;	/* the mapping is zero-filled */
	hdr->map_size = off;
	hdr->max_object = max_object;
	hdr->npages = npages;
	hdr->nentries = npages;
	hdr->nbuckets = nbuckets;
	hdr->nkids = max_kids + 1;
	hdr->policy = policy;
	hdr->off_buckets = off_buckets;
	hdr->off_entries = off_entries;
	hdr->off_page_next = off_page_next;
	hdr->off_heap = off_heap;
	hdr->off_pins = off_pins;
	hdr->off_pages = off_pages;

	if ((r = pthread_mutexattr_init(&ma)) != 0 ||
	    (r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED)) != 0 ||
	    (r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (r = pthread_mutex_init(&hdr->lock, &ma)) != 0) {
		errno = r;
		log_err("memory cache: shared mutex");
		munmap(p, off);
		return NULL;
	}
	pthread_mutexattr_destroy(&ma);

	mc = calloc(1, sizeof(*mc));
	if (mc == NULL) {
		log_err("memory cache: handle");
		munmap(p, off);
		return NULL;
	}
	memcache_handle_init(mc, hdr);
	/* All entries free, all pages free: exactly what a rebuild derives. */
	memcache_rebuild(mc);
	hdr->magic = MEMCACHE_MAGIC;
	memcache_attach(mc, 0);
	return mc;
}

void
memcache_destroy(struct memcache *mc)
{
	int i;

	if (mc == NULL)
		return;
	for (i = 0; i < MEMCACHE_PINS_PER_KID; i++)
		free(mc->refs[i].metabuf);
	munmap(mc->hdr, mc->hdr->map_size);
	free(mc);
}

void
memcache_attach(struct memcache *mc, int kid)
{
	int i;

	if (kid < 0 || (uint32_t)kid >= mc->hdr->nkids)
		fatalx("memory cache: kid %d out of range (max %u)", kid,
		    mc->hdr->nkids - 1);
	mc->kid = kid;
	mc->mypins = mc->pins + (size_t)kid * MEMCACHE_PINS_PER_KID;
	mc->nfree_slots = 0;
	/* Slots a dead predecessor left unreaped stay taken (a leak, not a bug). */
	memcache_lock(mc);
	for (i = MEMCACHE_PINS_PER_KID - 1; i >= 0; i--)
		if (mc->mypins[i] == 0)
			mc->free_slots[mc->nfree_slots++] = i;
	memcache_unlock(mc);
}

/* ---- pages and the byte stream "meta | key | body" ---- */

static uint8_t *
memcache_page(struct memcache *mc, uint32_t pg)
{
	return mc->pages + (size_t)pg * MEMCACHE_PAGE;
}

/* The page holding stream offset off of a chain, and the offset within it. */
static uint32_t
memcache_seek(struct memcache *mc, uint32_t pg, uint64_t off, size_t *poff)
{
	while (off >= MEMCACHE_PAGE) {
		pg = mc->page_next[pg];
		off -= MEMCACHE_PAGE;
	}
	*poff = off;
	return pg;
}

static void
memcache_stream_write(struct memcache *mc, uint32_t *pg, size_t *poff,
    const void *src, size_t len)
{
	const uint8_t *s = src;

	while (len > 0) {
		size_t n = MEMCACHE_PAGE - *poff;

		if (n == 0) {
			*pg = mc->page_next[*pg];
			*poff = 0;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(memcache_page(mc, *pg) + *poff, s, n);
		*poff += n;
		s += n;
		len -= n;
	}
}

static void
memcache_stream_read(struct memcache *mc, uint32_t first, uint64_t off,
    void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t poff;
	uint32_t pg = memcache_seek(mc, first, off, &poff);

	while (len > 0) {
		size_t n = MEMCACHE_PAGE - poff;

		if (n > len)
			n = len;
		memcpy(d, memcache_page(mc, pg) + poff, n);
		d += n;
		len -= n;
		pg = mc->page_next[pg];
		poff = 0;
	}
}

static int
memcache_key_equal(struct memcache *mc, const struct memcache_entry *e,
    const uint8_t *key, size_t keylen)
{
	size_t poff;
	uint32_t pg;

	if (e->keylen != keylen)
		return 0;
	pg = memcache_seek(mc, e->first_page, e->metalen, &poff);
	while (keylen > 0) {
		size_t n = MEMCACHE_PAGE - poff;

		if (n > keylen)
			n = keylen;
		if (memcmp(memcache_page(mc, pg) + poff, key, n) != 0)
			return 0;
		key += n;
		keylen -= n;
		pg = mc->page_next[pg];
		poff = 0;
	}
	return 1;
}

/* Push a whole chain back on the free-page stack. */
static void
memcache_pages_free(struct memcache *mc, struct memcache_entry *e)
{
	struct memcache_hdr *h = mc->hdr;

	mc->page_next[e->last_page] = h->free_page;
	h->free_page = e->first_page;
	h->nfree_pages += e->npages;
}

/* ---- replacement policy ---- */

static double
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

static void
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

static void
memcache_policy_remove(struct memcache *mc, uint32_t idx)
{
	if (mc->hdr->policy == MEMCACHE_LRU)
		memcache_lru_unlink(mc, idx);
	else
		memcache_heap_remove(mc, idx);
}

static void
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
static uint32_t
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

/* ---- index ---- */

static uint32_t
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

static void
memcache_entry_free(struct memcache *mc, uint32_t idx)
{
	struct memcache_entry *e = &mc->entries[idx];

	e->state = MEMCACHE_FREE;	/* the commit: pages below are derived */
	memcache_pages_free(mc, e);
	e->next = mc->hdr->free_entry;
	mc->hdr->free_entry = idx;
}

/* Take a committed object out of the index; free it unless pinned. */
static void
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

static void
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

static void
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

/* ---- readers ---- */

static struct memcache_ref *
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

/* ---- writers ---- */

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
	if (expect != MEMCACHE_NIL && old != expect) {
		memcache_unreserve(mc, idx, slot);
		memcache_unlock(mc);
		mc->free_slots[mc->nfree_slots++] = slot;
		return -1;
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

/* ---- checks ---- */

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
