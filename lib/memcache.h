/*
 * The memory cache (cache_mem) shared by every worker: one anonymous shared
 * mapping made by the master before it forks, so a hit never depends on
 * which worker took the connection.  Objects are a key, an opaque metadata
 * blob (the caller's stored response head) and a body, kept in fixed-size
 * pages.  Readers pin an object and read its pages without the lock; the
 * pages of a published object never change until the last pin goes.
 */
#ifndef CUTTLE_MEMCACHE_H
#define CUTTLE_MEMCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define MEMCACHE_PAGE		4096	/* bytes per data page */
#define MEMCACHE_PINS_PER_KID	1024	/* objects one process may pin at once */

/*
 * struct memcache is a process-private handle on the shared region; fork
 * copies it, so each process has its own pin slots (one thread per process
 * uses it).  struct memcache_ref is a pinned object, owned by the process
 * that pinned it: one of the handle's MEMCACHE_PINS_PER_KID preallocated
 * refs, so a hit allocates nothing; with all of them in use a get misses.
 */
struct memcache;
struct memcache_ref;

enum memcache_policy {
	MEMCACHE_LRU,
	MEMCACHE_HEAP_GDSF,
	MEMCACHE_HEAP_LFUDA,
	MEMCACHE_HEAP_LRU
};

struct memcache_stats {
	uint64_t objects, bytes_used, bytes_total, hits, misses, evictions;
};

/* "lru", "heap GDSF", "heap LFUDA", "heap LRU" (Squid's spelling); -1 if none. */
int memcache_policy_parse(const char *s);

/* Master, before fork: NULL on failure (logged).  bytes is cache_mem. */
struct memcache *memcache_create(uint64_t bytes, uint64_t max_object,
    enum memcache_policy policy, int max_kids);
void memcache_destroy(struct memcache *mc);
/* In a kid after fork: the pin slot it uses (0 for -N mode, 1..max_kids). */
void memcache_attach(struct memcache *mc, int kid);
/* Master, after kid died (and before restarting it): release its pins. */
void memcache_reap(struct memcache *mc, int kid);

/* Look up and pin; NULL if absent.  A hit counts for the replacement policy. */
struct memcache_ref *memcache_get(struct memcache *mc, const void *key,
    size_t keylen);
const void *memcache_ref_meta(const struct memcache_ref *r, size_t *len);
uint64_t memcache_ref_body_len(const struct memcache_ref *r);
/*
 * Point iov[0..max) at the body bytes from off on (into the shared pages,
 * valid until release); returns the iov count and the byte total in *bytes.
 */
int memcache_ref_body_iov(const struct memcache_ref *r, uint64_t off,
    struct iovec *iov, int max, size_t *bytes);
void memcache_release(struct memcache_ref *r);

/*
 * Store, replacing an older object with the same key (keylen > 0).  -1 if
 * metalen + body exceed max_object, no pin slot is free, or there is no
 * room even after evicting every unpinned object.
 */
int memcache_put(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen, const struct iovec *body, int nbody);
/*
 * Store a body-less object only if nothing is stored under key, in one step
 * across processes: 0 stored, 1 something was there, -1 as memcache_put.
 */
int memcache_add(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen);
/* Replace the metadata, keeping the body (after a 304); 0 done, -1 absent/no room. */
int memcache_update_meta(struct memcache *mc, const void *key, size_t keylen,
    const void *meta, size_t metalen);
/*
 * The same for the pinned object r, only if it is still the current object
 * for its key: a 304 for an object replaced meanwhile must not stamp its
 * headers on the newer body.  -1 if replaced, deleted or no room.
 */
int memcache_ref_update_meta(struct memcache_ref *r, const void *meta,
    size_t metalen);
int memcache_delete(struct memcache *mc, const void *key, size_t keylen);	/* 1 deleted, 0 absent */
void memcache_stats(struct memcache *mc, struct memcache_stats *st);

/* Full consistency check (pages, index, policy, pins); 0 when sound. */
int memcache_check(struct memcache *mc);
/* Test hook: take the lock, optionally scramble the index, and _exit(). */
void memcache_test_die_locked(struct memcache *mc, int scramble)
    __attribute__((noreturn));

#endif
