/*
 * store_gauge: what each cache_dir holds (objects, bytes, its size), in
 * an area the master maps before it forks the store processes and the
 * workers.  A store process writes its own entry whenever what it holds
 * changes; mgr:info in any worker sums the entries, as Squid's "Storage
 * Swap size", "Storage Swap capacity", "Mean Object Size" and "on-disk
 * objects" sum its cache_dirs.  Each field is an aligned uint64_t, stored
 * and loaded in one access (see stat_share.h), so a reader may see one
 * entry a change behind, never a torn value.
 */
#ifndef CUTTLE_STORE_GAUGE_H
#define CUTTLE_STORE_GAUGE_H

#include <stdint.h>

struct store_gauge {
	uint64_t	 objects;
	uint64_t	 bytes;
	uint64_t	 capacity;	/* the cache_dir's size, bytes */
};

/* n zeroed entries shared with every process forked later; NULL on error
   (logged: the pages then show 0). */
struct store_gauge *store_gauge_create(unsigned n);

/* The sum of the first n entries of g (all zero when g is NULL). */
struct store_gauge store_gauge_sum(const struct store_gauge *g, unsigned n);

#endif
