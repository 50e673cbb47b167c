/*
 * store_index: the persistent key -> object map of one cache_dir, kept in a
 * GDBM file (DIR/cuttle.gdbm).  This is the only module that includes
 * gdbm.h.  The store process is its one writer; it is opened without
 * GDBM_SYNC because the files themselves are the truth and the index can be
 * rebuilt from them (see store.c).
 */
#ifndef CUTTLE_STORE_INDEX_H
#define CUTTLE_STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct store_index;

struct store_index_entry {
	uint32_t	 fileno;	/* DIR/%02X/%02X/%08X */
	uint32_t	 hdr_len;	/* the body starts here */
	uint64_t	 size;		/* whole file, header included */
	int64_t		 timestamp;	/* stored, seconds */
	int64_t		 last_ref;	/* seconds */
	uint32_t	 refcount;
	uint32_t	 meta_len;
};

/*
 * Open (create with create set) the index at path.  NULL when it cannot be
 * opened or is not a valid GDBM file; *why then says so (static string).
 */
struct store_index *store_index_open(const char *path, int create,
    const char **why);
void store_index_close(struct store_index *idx);
/* 1 found, 0 not found, -1 error (logged). */
int store_index_get(struct store_index *idx, const void *key, size_t keylen,
    struct store_index_entry *e);
int store_index_put(struct store_index *idx, const void *key, size_t keylen,
    const struct store_index_entry *e);
/* 0 deleted or absent, -1 error. */
int store_index_del(struct store_index *idx, const void *key, size_t keylen);
/*
 * Call fn for every entry; a value of the wrong size is passed with e NULL
 * so the caller can drop it.  fn must not change the index.  Returns -1
 * when the walk failed (a damaged file), else 0.
 */
int store_index_foreach(struct store_index *idx,
    void (*fn)(void *arg, const void *key, size_t keylen,
    const struct store_index_entry *e), void *arg);
/*
 * After a failed write (ENOSPC) GDBM refuses further use of the file; the
 * store then rewrites the index from its memory.
 */
int store_index_broken(struct store_index *idx);
/* Write GDBM's buffers to the file (not fsync unless full is set). */
int store_index_sync(struct store_index *idx, int full);

#endif
