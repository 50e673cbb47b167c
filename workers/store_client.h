/*
 * store_client: a worker's side of the conversation with one cache_dir's
 * store process (workers/store/store_proto.h).  Non-blocking and
 * callback-based, driven by the worker's event loop: every request returns
 * an id at once, its callback runs when the reply arrives (or fails with
 * ETIMEDOUT when the store does not answer), and a transaction that goes
 * away cancels its ids so no callback reaches freed state.
 */
#ifndef CUTTLE_STORE_CLIENT_H
#define CUTTLE_STORE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct store_client;

#define STORE_CLIENT_OK		0	/* HIT for a lookup */
#define STORE_CLIENT_MISS	1	/* lookup / delete / update: not cached */
#define STORE_CLIENT_ERROR	2

#define STORE_CLIENT_TIMEOUT_MS	10000

struct store_client_result {
	int		 status;	/* STORE_CLIENT_OK, _MISS or _ERROR */
	int		 error;		/* _ERROR: an errno value */
	int		 fd;		/* lookup hit, begin: the callee owns it */
	uint32_t	 token;		/* begin: for commit / abort */
	uint64_t	 body_off;	/* hit: where the body starts in fd */
	uint64_t	 body_len;
	const void	*meta;		/* hit: the record's metadata blob */
	size_t		 meta_len;	/* (valid during the callback only) */
	int64_t		 timestamp;	/* hit: when the writer stored it */
	uint64_t	 objects, bytes, capacity;	/* stats */
};

typedef void store_client_cb(void *arg, const struct store_client_result *r);

/* Take over sock (non-blocking from now on) and tell the store we are new. */
struct store_client *store_client_new(int sock);
/* Close the socket; pending callbacks are not called. */
void store_client_free(struct store_client *sc);

/*
 * Each returns the request id (never 0), or 0 when the key is too long or
 * the store connection is gone; then cb is never called.
 */
uint32_t store_client_lookup(struct store_client *sc, const void *key,
    size_t keylen, store_client_cb *cb, void *arg);
/* expected_size: Content-Length when known (lets the store refuse early). */
uint32_t store_client_begin(struct store_client *sc, const void *key,
    size_t keylen, uint64_t expected_size, store_client_cb *cb, void *arg);
/* The worker closed its temp-file descriptor after writing the record. */
uint32_t store_client_commit(struct store_client *sc, uint32_t token,
    store_client_cb *cb, void *arg);
/* cb may be NULL for abort and delete. */
uint32_t store_client_abort(struct store_client *sc, uint32_t token,
    store_client_cb *cb, void *arg);
uint32_t store_client_delete(struct store_client *sc, const void *key,
    size_t keylen, store_client_cb *cb, void *arg);
/*
 * Give the stored object of key a new metadata blob, keeping its body;
 * old_meta is the blob the worker revalidated (the store leaves a newer
 * version alone and answers MISS).  cb may be NULL.
 */
uint32_t store_client_update(struct store_client *sc, const void *key,
    size_t keylen, const void *old_meta, size_t old_meta_len,
    const void *meta, size_t meta_len, store_client_cb *cb, void *arg);
uint32_t store_client_stats(struct store_client *sc, store_client_cb *cb,
    void *arg);
/*
 * The callback of id will not be called.  A descriptor its reply brings is
 * closed, and a cancelled begin's temp file is aborted.
 */
void store_client_cancel(struct store_client *sc, uint32_t id);
int store_client_pending(const struct store_client *sc);

/*
 * Write the record header at offset 0 of a temp file: first with complete
 * 0 before the body (body_len may be 0 then), again with the final body
 * length and complete 1 after it.  The length is the same both times, so
 * the body always starts at the returned offset.  The header has some pad
 * so that the store can later replace the meta in place.  Returns the
 * header length or -1 with errno (ENOSPC: abort and go on uncached).
 */
long store_client_write_head(int fd, const void *key, size_t keylen,
    const void *meta, size_t meta_len, uint64_t body_len, int complete,
    int64_t timestamp);

#endif
