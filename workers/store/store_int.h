/*
 * store_int: what the parts of the store process (workers/store/) share:
 * the store, its objects, temp files and worker connections, and each
 * part's functions.  store.c runs the process, store_conn.c talks to the
 * workers, store_file.c owns the files and their records, store_obj.c the
 * in-memory table, replacement and the index writes, store_load.c the
 * start-up check.  Nothing outside workers/store/ includes this.
 */
#ifndef CUTTLE_STORE_INT_H
#define CUTTLE_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "evloop.h"
#include "store.h"
#include "store_index.h"
#include "store_proto.h"

#define STORE_OUT_MAX		256	/* queued replies before we stop reading */
#define STORE_TMP_MAX		4096	/* open temp files per worker */
#define STORE_READ_BATCH	64	/* requests per wakeup per worker */

struct store;

struct store_obj {
	char		*key;
	uint32_t	 keylen;
	uint32_t	 hash;
	struct store_obj *hnext;
	struct store_index_entry e;
	double		 hkey;		/* replacement order: lowest goes first */
	size_t		 hidx;
};

struct store_tmp {
	uint32_t	 token;
	char		*path;
	char		*key;
	size_t		 keylen;
	struct store_tmp *next;
	struct store_tmp *all_next;	/* every object being written */
	int		 doomed;	/* deleted while written: never commit */
};

/*
 * A lookup for a key that some worker is writing right now waits for that
 * write's COMMIT or ABORT (at most STORE_WAIT_MS): the client that got the
 * response from one worker may ask another worker for it at once.
 */
#define STORE_WAIT_MS	1000

struct store_wait {
	struct store_conn *c;
	uint32_t	 id;
	char		*key;
	size_t		 keylen;
	uint64_t	 deadline;
	struct store_wait *next;
};

/* every object being written, across connections (store_file.c) */
extern struct store_tmp *store_file_writing;
extern struct ev_timer store_conn_wait_timer;

struct store_out {
	struct store_proto_rep rep;
	int		 fd;		/* passed with the reply, then closed */
	struct store_out *next;
};

struct store_conn {
	struct ev_io	 io;
	struct store	*st;
	struct store_out *qhead, **qtail;
	int		 qlen;
	struct store_tmp *tmps;
	int		 ntmps;
	int		 dead;
	int		 owned;		/* allocated by store_conn_add */
};

struct store {
	const struct cfg *cfg;
	const struct cfg_cache_dir *cd;
	struct store_index *idx;	/* NULL: running without one */
	struct store_obj **tab;
	size_t		 tabsize, nobj;
	uint64_t	 bytes;
	struct store_obj **heap;
	size_t		 nheap, capheap;
	double		 age;		/* GDSF / LFUDA inflation */
	uint64_t	 seq;
	uint32_t	 next_fileno;
	uint32_t	 next_token;
	uint64_t	 tmp_serial;
	uint64_t	 max, low;	/* bytes; evict down to low */
	int64_t		 max_obj, min_obj;
	struct store_conn *conns;
	int		 nconns;
	struct ev_timer	 reindex_timer;
};

/* store.c: publish nobj, bytes and max for mgr:info */
void store_publish(const struct store *st);

/* store_obj.c: the in-memory table, replacement and the index writes */
struct store_obj *store_obj_new(const void *key, size_t keylen,
    const struct store_index_entry *e);
struct store_obj *store_obj_find(struct store *st, const void *key,
    size_t keylen);
void store_obj_tab_grow(struct store *st);
void store_obj_add(struct store *st, struct store_obj *o);
/* Forget o (the file stays); o is freed. */
void store_obj_remove(struct store *st, struct store_obj *o);
/* A reference: o moves in the replacement order. */
void store_obj_touch(struct store *st, struct store_obj *o);
/* Unlink o's file, then drop it from the index and the table. */
void store_obj_delete(struct store *st, struct store_obj *o);
/* Evict from the top of the replacement order down to target bytes. */
void store_obj_evict(struct store *st, uint64_t target);
void store_obj_idx_put(struct store *st, struct store_obj *o);
void store_obj_idx_del(struct store *st, const void *key, size_t keylen);
void store_obj_reindex_cb(struct ev_timer *t);

/* store_file.c: paths, records, temp files, commit and update */
void store_file_path(const struct store *st, uint32_t fileno, char *buf,
    size_t n);
void store_file_index_path(const struct cfg_cache_dir *cd, char *buf,
    size_t n);
/*
 * Read and check the record of the file at path.  Returns a record code,
 * or STORE_FILE_UNOPENED with errno set when the file cannot be opened;
 * on success *e is filled (but not fileno) and *key is malloc'd.
 */
#define STORE_FILE_UNOPENED	-100
int store_file_check(const char *path, struct store_index_entry *e,
    char **key, size_t *keylen);
void store_file_tmp_free(struct store_tmp *t, int remove);
void store_file_begin(struct store_conn *c, const struct store_proto_req *q,
    const char *key);
void store_file_do_commit(struct store_conn *c,
    const struct store_proto_req *q);
void store_file_abort(struct store_conn *c, const struct store_proto_req *q);
/* UPDATE: the meta follows the key in the request. */
void store_file_update(struct store_conn *c, const struct store_proto_req *q,
    const char *key);

/* store_load.c: the start-up check; -1 when the store cannot start */
int store_load(struct store *st);

/* store_conn.c: the workers' sockets */
void store_conn_io(struct ev_io *io, uint32_t revents);
/* Serve requests arriving on sock (one worker's end, ours to close). */
void store_conn_add(struct store *st, int sock);
/* Queue a reply; fd (-1: none) is sent with it and then closed. */
void store_conn_reply(struct store_conn *c, const struct store_proto_rep *rep,
    int fd);
void store_conn_reply_simple(struct store_conn *c, uint32_t id,
    uint32_t type, int error);
/* A write of key ended: answer the lookups that waited for it. */
void store_conn_wake(const char *key, size_t keylen);
void store_conn_wait_expire(struct ev_timer *t);

#endif
