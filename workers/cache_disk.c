/*
 * The worker's side of the cache_dir stores: looking an object up (the
 * store hands over the open file), deleting, and streaming a new object
 * into a temporary file the store gives out and later commits.
 *
 * In DESIGN.md's data flow: cache lookup in the store; storing to it.
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_rules.h"
#include "xact.h"
#include "forward.h"
#include "heritage.h"
#include "log.h"
#include "memcache.h"
#include "store_client.h"
#include "util.h"
#include "worker.h"

#define CACHE_STORES_MAX HERITAGE_STORES_MAX

struct store_client *cache_stores[CACHE_STORES_MAX];

int cache_nstores;

void
cache_init(void)
{
	cache_nstores = heritage.nstores < CACHE_STORES_MAX ?
	    heritage.nstores : CACHE_STORES_MAX;
	for (int i = 0; i < cache_nstores; i++)
		cache_stores[i] = heritage.store_fds[i] == -1 ? NULL :
		    store_client_new(heritage.store_fds[i]);
}

/* The cache_dir that holds key: spread by hash, fixed for a key. */
int
cache_store_for(const char *key)
{
	uint32_t h = 2166136261u;

	if (cache_nstores == 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	int i = (int)(h % (uint32_t)cache_nstores);
	return cache_stores[i] != NULL ? i : -1;
}

static void
cache_ignore_result(void *arg, const struct store_client_result *r)
{
}

static void
cache_disk_delete_variant(const char *variant_key, void *arg)
{
	cache_disk_delete(variant_key, NULL, NULL);
}

/* The record under a base key, looked up for its deletion. */
static void
cache_disk_delete_found(void *arg, const struct store_client_result *r)
{
	char *key = arg;

	if (r->status == STORE_CLIENT_OK) {
		close(r->fd);
		cache_vary_each(key, r->meta, r->meta_len,
		    cache_disk_delete_variant, NULL);
	}
	free(key);
}

/*
 * The store answers one worker's requests in order, so the lookup of the
 * marker is answered before the delete, and the variants' deletes go out
 * before any later lookup of them can be answered.
 */
uint32_t
cache_disk_delete(const char *key, store_client_cb *cb, void *arg)
{
	int i = cache_store_for(key);

	if (i == -1)
		return 0;
	if (strchr(key, '\n') == NULL) {
		char *k = xstrdup(key);
		if (store_client_lookup(cache_stores[i], key, strlen(key),
		    cache_disk_delete_found, k) == 0)
			free(k);
	}
	return store_client_delete(cache_stores[i], key, strlen(key),
	    cb != NULL ? cb : cache_ignore_result, arg);
}

/*
 * A Vary marker on disk: look up the request's variant next (its own
 * store).  Keeps the marker, which lists the variants to merge with when
 * this request stores one.  1 when the lookup is under way.
 */
static int
cache_disk_follow_vary(struct xact *x, const void *blob, size_t len)
{
	char *key = cache_vary_variant_key(x, blob, len);

	if (key == NULL || strcmp(x->cache.key, x->cache.base_key) != 0) {
		free(key);	/* Vary: *, or a marker under a variant key */
		return 0;
	}
	free(x->cache.key);
	x->cache.key = key;
	free(x->cache.vary_marker);
	x->cache.vary_marker = xmalloc(len);
	memcpy(x->cache.vary_marker, blob, len);
	x->cache.vary_marker_len = len;
	return cache_disk_lookup(x);
}

static void
cache_disk_answer(void *arg, const struct store_client_result *r)
{
	struct xact *x = arg;
	struct cache_outcome v;
	struct cache_meta m;
	const struct cache_meta *found = NULL;

	x->cache.store_req = 0;
	if (r->status == STORE_CLIENT_OK &&
	    cache_vary_is_marker(r->meta, r->meta_len)) {
		close(r->fd);
		if (cache_disk_follow_vary(x, r->meta, r->meta_len))
			return;
	} else if (r->status == STORE_CLIENT_OK) {
		x->cache.hit_fd = r->fd;
		x->cache.hit_meta = xmalloc(r->meta_len ? r->meta_len : 1);
		memcpy(x->cache.hit_meta, r->meta, r->meta_len);
		x->cache.hit_meta_len = r->meta_len;
		x->cache.hit_file_off = r->body_off;
		x->cache.hit_len = r->body_len;
		if (cache_parse_meta(x, (const unsigned char *)x->cache.hit_meta,
		    x->cache.hit_meta_len, &m) == 0) {
			found = &m;
		} else {
			close(x->cache.hit_fd);
			x->cache.hit_fd = -1;
		}
	}
	cache_answer(x, found, 1, &v);
	xact_route(x, &v);
}

/* Ask the cache_dir; 1 when a lookup is under way. */
int
cache_disk_lookup(struct xact *x)
{
	int i = cache_store_for(x->cache.key);

	if (i == -1)
		return 0;
	x->cache.store_idx = i;
	x->cache.store_req = store_client_lookup(cache_stores[i], x->cache.key,
	    strlen(x->cache.key), cache_disk_answer, x);
	return x->cache.store_req != 0;
}

/*
 * A disk object small enough for memory goes there too, with its current
 * metadata; reading it costs one pread of a file the page cache likely has.
 */
void
cache_promote(struct xact *x)
{
	uint64_t len = x->cache.hit_len;

	if (heritage.memcache == NULL || (int64_t)(len + x->cache.hit_meta_len) >
	    worker_cfg->maximum_object_size_in_memory)
		return;
	char *body = xmalloc(len ? len : 1);
	ssize_t n = pread(x->cache.hit_fd, body, len, (off_t)x->cache.hit_file_off);
	if (n == (ssize_t)len) {
		struct iovec iov = { body, len };
		memcache_put(heritage.memcache, x->cache.key, strlen(x->cache.key),
		    x->cache.hit_meta, x->cache.hit_meta_len, &iov, len > 0 ? 1 : 0);
		/* a variant is found in memory only through its marker */
		struct memcache_ref *r = x->cache.vary_marker == NULL ? NULL :
		    memcache_get(heritage.memcache, x->cache.base_key,
		    strlen(x->cache.base_key));
		if (r != NULL)
			memcache_release(r);
		else if (x->cache.vary_marker != NULL)
			memcache_put(heritage.memcache, x->cache.base_key,
			    strlen(x->cache.base_key), x->cache.vary_marker,
			    x->cache.vary_marker_len, NULL, 0);
	}
	free(body);
}

/*
 * Writing an object to a cache_dir streams while the response goes to the
 * client and outlives the transaction: the job owns the key and metadata
 * until the store commits.  Bytes that arrive before the store handed out
 * the temporary file wait in pending.
 */
#define CACHE_DISK_PENDING_MAX	(4 * 1024 * 1024)

struct cache_disk_job {
	int		 store;
	char		*key;
	struct buf	 meta;
	struct buf	 pending;
	int		 fd;
	uint32_t	 token;
	uint32_t	 req;		/* BEGIN under way */
	long		 body_off;
	uint64_t	 written;
	int		 failed, ended, complete;
	struct xact	*x;		/* the transaction feeding it, or NULL */
};

static int cache_disk_jobs;

int
cache_pending_jobs(void)
{
	return cache_disk_jobs;
}

static void
cache_disk_job_free(struct cache_disk_job *j)
{
	cache_disk_jobs--;
	worker_conn_closed();	/* a retiring worker may be done now */
	if (j->fd != -1)
		close(j->fd);
	free(j->key);
	buf_free(&j->meta);
	buf_free(&j->pending);
	free(j);
}

static void
cache_disk_committed(void *arg, const struct store_client_result *r)
{
	struct cache_disk_job *j = arg;

	if (r->status != STORE_CLIENT_OK)
		log_debug(22, 2, "cache_dir refused %s: %s", j->key,
		    strerror(r->error));
	cache_disk_job_free(j);
}

static int
cache_disk_write(struct cache_disk_job *j, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = pwrite(j->fd, p, n, (off_t)j->body_off +
		    (off_t)j->written);
		if (w <= 0) {
			/* ENOSPC and friends: not cached, nothing else lost */
			log_debug(22, 1, "cache_dir write for %s: %s", j->key,
			    w == 0 ? "short write" : strerror(errno));
			return -1;
		}
		j->written += (uint64_t)w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The transaction is over and the file is ours: commit or abort. */
static void
cache_disk_close(struct cache_disk_job *j)
{
	struct store_client *sc = cache_stores[j->store];

	if (j->fd == -1) {		/* BEGIN failed */
		cache_disk_job_free(j);
		return;
	}
	int ok = j->complete && !j->failed &&
	    store_client_write_head(j->fd, j->key, strlen(j->key),
	    buf_head(&j->meta), buf_avail(&j->meta), j->written, 1,
	    time(NULL)) >= 0;
	close(j->fd);
	j->fd = -1;
	if (!ok) {
		store_client_abort(sc, j->token, NULL, NULL);
		cache_disk_job_free(j);
		return;
	}
	if (store_client_commit(sc, j->token, cache_disk_committed, j) == 0)
		cache_disk_job_free(j);
}

static void
cache_disk_began(void *arg, const struct store_client_result *r)
{
	struct cache_disk_job *j = arg;

	j->req = 0;
	if (r->status != STORE_CLIENT_OK) {
		j->failed = 1;
		if (j->ended)
			cache_disk_job_free(j);
		return;
	}
	j->fd = r->fd;
	j->token = r->token;
	j->body_off = store_client_write_head(j->fd, j->key, strlen(j->key),
	    buf_head(&j->meta), buf_avail(&j->meta), 0, 0, time(NULL));
	if (j->body_off < 0 || cache_disk_write(j, buf_head(&j->pending),
	    buf_avail(&j->pending)) == -1)
		j->failed = 1;
	buf_free(&j->pending);
	if (j->ended) {
		cache_disk_close(j);
		return;
	}
	/* the relay may have paused for us (cache_hold_upstream) */
	if (j->x != NULL)
		forward_client_event(j->x);
}

int
cache_hold_upstream(const struct xact *x)
{
	const struct cache_disk_job *j = x->cache.disk_job;

	return j != NULL && j->fd == -1 && !j->failed &&
	    buf_avail(&j->pending) >= CACHE_DISK_PENDING_MAX;
}

void
cache_disk_feed(struct cache_disk_job *j, const char *p, size_t n)
{
	if (j->failed)
		return;
	if ((int64_t)(j->written + buf_avail(&j->pending) + n) >
	    worker_cfg->maximum_object_size) {
		j->failed = 1;
		buf_free(&j->pending);
		return;
	}
	if (j->fd == -1) {
		/* the relay holds the server past the limit; a little over */
		buf_append(&j->pending, p, n);
		return;
	}
	if (cache_disk_write(j, p, n) == -1)
		j->failed = 1;
}

/* The transaction lets go of its job: complete or not. */
void
cache_disk_finish(struct xact *x, int complete)
{
	struct cache_disk_job *j = x->cache.disk_job;

	if (j == NULL)
		return;
	x->cache.disk_job = NULL;
	j->x = NULL;
	j->ended = 1;
	j->complete = complete;
	if (j->req == 0)
		cache_disk_close(j);
	/* else cache_disk_began() finishes it */
}

static struct cache_disk_job *
cache_disk_job_new(int store, const char *key, const void *meta,
    size_t meta_len, uint64_t size)
{
	struct cache_disk_job *j = xcalloc(1, sizeof(*j));

	cache_disk_jobs++;
	j->store = store;
	j->fd = -1;
	j->key = xstrdup(key);
	buf_init(&j->meta);
	buf_init(&j->pending);
	buf_append(&j->meta, meta, meta_len);
	j->req = store_client_begin(cache_stores[store], j->key,
	    strlen(j->key), size, cache_disk_began, j);
	if (j->req == 0) {
		cache_disk_job_free(j);
		return NULL;
	}
	return j;
}

/* Start streaming x's response into its cache_dir (cl: length, or -1). */
void
cache_disk_start(struct xact *x, int64_t cl)
{
	int i = cache_store_for(x->cache.store_key);

	if (i == -1)
		return;
	struct cache_disk_job *j = cache_disk_job_new(i, x->cache.store_key,
	    buf_head(&x->cache.store_head), buf_avail(&x->cache.store_head),
	    cl > 0 ? (uint64_t)cl : 0);
	if (j != NULL) {
		x->cache.disk_job = j;
		j->x = x;
	}
}

void
cache_disk_put(const char *key, const void *meta, size_t len)
{
	int i = cache_store_for(key);
	struct cache_disk_job *j;

	if (i == -1 || (j = cache_disk_job_new(i, key, meta, len, 0)) == NULL)
		return;
	/* all there is: cache_disk_began() writes the head and commits */
	j->ended = 1;
	j->complete = 1;
}
