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
 *
 * This file makes and attaches the region, takes its lock (rebuilding
 * after EOWNERDEAD), and reads and writes the page chains.  The index and
 * rebuild, replacement policy, readers, writers and checker each have a
 * memcache_*.c of their own.
 */
#include "config.h"
#include "memcache.h"
#include "memcache_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"

static size_t
memcache_align(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* Word-at-a-time multiply-xor hash; fmix64 from MurmurHash3 to finish. */
uint64_t
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

void
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

void
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

uint8_t *
memcache_page(struct memcache *mc, uint32_t pg)
{
	return mc->pages + (size_t)pg * MEMCACHE_PAGE;
}

/* The page holding stream offset off of a chain, and the offset within it. */
uint32_t
memcache_seek(struct memcache *mc, uint32_t pg, uint64_t off, size_t *poff)
{
	while (off >= MEMCACHE_PAGE) {
		pg = mc->page_next[pg];
		off -= MEMCACHE_PAGE;
	}
	*poff = off;
	return pg;
}

void
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

void
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

int
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
void
memcache_pages_free(struct memcache *mc, struct memcache_entry *e)
{
	struct memcache_hdr *h = mc->hdr;

	mc->page_next[e->last_page] = h->free_page;
	h->free_page = e->first_page;
	h->nfree_pages += e->npages;
}
