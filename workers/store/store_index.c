/*
 * store_index: GDBM behind a small API.  Values are a fixed little-endian
 * record so an index written on one build reads on another; a value of any
 * other size is reported as damaged instead of being trusted.
 */
#include "config.h"
#include "store_index.h"

#include <errno.h>
#include <gdbm.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define STORE_INDEX_VALUE_LEN	40

struct store_index {
	GDBM_FILE	 db;
	char		*path;
};

static void
store_index_pack(const struct store_index_entry *e, unsigned char *p)
{
	uint64_t v[5];

	v[0] = e->fileno | (uint64_t)e->hdr_len << 32;
	v[1] = e->size;
	v[2] = (uint64_t)e->timestamp;
	v[3] = (uint64_t)e->last_ref;
	v[4] = e->refcount | (uint64_t)e->meta_len << 32;
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 8; k++)
			p[i * 8 + k] = (v[i] >> (8 * k)) & 0xff;
}

static void
store_index_unpack(const unsigned char *p, struct store_index_entry *e)
{
	uint64_t v[5];

	for (int i = 0; i < 5; i++) {
		v[i] = 0;
		for (int k = 7; k >= 0; k--)
			v[i] = v[i] << 8 | p[i * 8 + k];
	}
	e->fileno = (uint32_t)v[0];
	e->hdr_len = (uint32_t)(v[0] >> 32);
	e->size = v[1];
	e->timestamp = (int64_t)v[2];
	e->last_ref = (int64_t)v[3];
	e->refcount = (uint32_t)v[4];
	e->meta_len = (uint32_t)(v[4] >> 32);
}

struct store_index *
store_index_open(const char *path, int create, const char **why)
{
	struct store_index *idx;
	GDBM_FILE db;

	/*
	 * No lock: the store is the only opener and a lock left by a killed
	 * store must not keep its successor out.
	 */
	db = gdbm_open(path, 0, (create ? GDBM_WRCREAT : GDBM_WRITER) |
	    GDBM_NOLOCK | GDBM_CLOEXEC, 0644, NULL);
	if (db == NULL) {
		*why = gdbm_strerror(gdbm_errno);
		return NULL;
	}
	idx = xcalloc(1, sizeof(*idx));
	idx->db = db;
	idx->path = xstrdup(path);
	return idx;
}

void
store_index_close(struct store_index *idx)
{
	if (idx == NULL)
		return;
	gdbm_close(idx->db);
	free(idx->path);
	free(idx);
}

int
store_index_get(struct store_index *idx, const void *key, size_t keylen,
    struct store_index_entry *e)
{
	datum k = { (char *)key, (int)keylen }, v;

	v = gdbm_fetch(idx->db, k);
	if (v.dptr == NULL) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		log_errx("%s: fetch: %s", idx->path,
		    gdbm_strerror(gdbm_errno));
		return -1;
	}
	if (v.dsize != STORE_INDEX_VALUE_LEN) {
		free(v.dptr);
		return 0;
	}
	store_index_unpack((unsigned char *)v.dptr, e);
	free(v.dptr);
	return 1;
}

int
store_index_put(struct store_index *idx, const void *key, size_t keylen,
    const struct store_index_entry *e)
{
	unsigned char buf[STORE_INDEX_VALUE_LEN];
	datum k = { (char *)key, (int)keylen };
	datum v = { (char *)buf, sizeof(buf) };

	store_index_pack(e, buf);
	if (gdbm_store(idx->db, k, v, GDBM_REPLACE) != 0) {
		/* ENOSPC lands here too: the caller drops the object */
		log_errx("%s: store: %s%s%s", idx->path,
		    gdbm_strerror(gdbm_errno),
		    gdbm_check_syserr(gdbm_errno) ? ": " : "",
		    gdbm_check_syserr(gdbm_errno) ? strerror(errno) : "");
		return -1;
	}
	return 0;
}

int
store_index_del(struct store_index *idx, const void *key, size_t keylen)
{
	datum k = { (char *)key, (int)keylen };

	if (gdbm_delete(idx->db, k) != 0 &&
	    gdbm_errno != GDBM_ITEM_NOT_FOUND) {
		log_errx("%s: delete: %s", idx->path,
		    gdbm_strerror(gdbm_errno));
		return -1;
	}
	return 0;
}

int
store_index_foreach(struct store_index *idx,
    void (*fn)(void *arg, const void *key, size_t keylen,
    const struct store_index_entry *e), void *arg)
{
	datum k, next, v;
	struct store_index_entry e;

	gdbm_errno = GDBM_NO_ERROR;
	k = gdbm_firstkey(idx->db);
	while (k.dptr != NULL) {
		v = gdbm_fetch(idx->db, k);
		if (v.dptr != NULL && v.dsize == STORE_INDEX_VALUE_LEN) {
			store_index_unpack((unsigned char *)v.dptr, &e);
			fn(arg, k.dptr, (size_t)k.dsize, &e);
		} else
			fn(arg, k.dptr, (size_t)k.dsize, NULL);
		free(v.dptr);
		next = gdbm_nextkey(idx->db, k);
		free(k.dptr);
		k = next;
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR) {
		log_errx("%s: walk: %s", idx->path, gdbm_strerror(gdbm_errno));
		return -1;
	}
	return 0;
}

int
store_index_broken(struct store_index *idx)
{
	return gdbm_needs_recovery(idx->db);
}

int
store_index_sync(struct store_index *idx, int full)
{
	if (!full)
		return 0;
	if (gdbm_sync(idx->db) != 0) {
		log_errx("%s: sync: %s", idx->path,
		    gdbm_strerror(gdbm_errno));
		return -1;
	}
	return 0;
}
