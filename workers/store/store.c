/*
 * store: the process that owns one cache_dir.  Its invariant is that an
 * index entry never names a file that is not a complete object.  Workers
 * write new objects into DIR/tmp; a commit checks the record, renames the
 * file into the L1/L2 tree and only then indexes it; a delete unlinks the
 * file before the index entry goes.  Whatever a kill -9 interrupts is
 * therefore either an orphan temp file, a complete file missing from the
 * index, or an entry whose file is gone, and the start-up check repairs all
 * three.  Lookups are answered from an in-memory table that also orders the
 * objects for cache_replacement_policy; GDBM keeps that table across
 * restarts and is rebuilt from the files when it is damaged.
 */
#include "config.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "store_index.h"
#include "store_proto.h"
#include "store_record.h"
#include "util.h"

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

static struct store_tmp *store_writing;
static struct store_wait *store_waits;
static struct ev_timer store_wait_timer;

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
	uint64_t	 max, high, low;
	int64_t		 max_obj, min_obj;
	struct store_conn *conns;
	int		 nconns;
	struct ev_timer	 reindex_timer;
};

/* Paths */

static void
store_path(const struct store *st, uint32_t fileno, char *buf, size_t n)
{
	const struct cfg_cache_dir *cd = st->cd;
	unsigned l1 = (fileno / cd->l2 / cd->l2) % cd->l1;
	unsigned l2 = (fileno / cd->l2) % cd->l2;

	snprintf(buf, n, "%s/%02X/%02X/%08X", cd->path, l1, l2, fileno);
}

static void
store_index_path(const struct cfg_cache_dir *cd, char *buf, size_t n)
{
	snprintf(buf, n, "%s/cuttle.gdbm", cd->path);
}

/* The in-memory table */

static uint32_t
store_hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static struct store_obj *
store_find(struct store *st, const void *key, size_t keylen)
{
	uint32_t h = store_hash(key, keylen);
	struct store_obj *o;

	for (o = st->tab[h & (st->tabsize - 1)]; o != NULL; o = o->hnext)
		if (o->hash == h && o->keylen == keylen &&
		    memcmp(o->key, key, keylen) == 0)
			return o;
	return NULL;
}

static void
store_tab_grow(struct store *st)
{
	size_t n = st->tabsize ? st->tabsize * 2 : 1024;
	struct store_obj **t = xcalloc(n, sizeof(*t));

	for (size_t i = 0; i < st->tabsize; i++) {
		struct store_obj *o, *next;
		for (o = st->tab[i]; o != NULL; o = next) {
			next = o->hnext;
			o->hnext = t[o->hash & (n - 1)];
			t[o->hash & (n - 1)] = o;
		}
	}
	free(st->tab);
	st->tab = t;
	st->tabsize = n;
}

/* Replacement: one binary heap, the key depends on the policy. */

static double
store_heap_key(struct store *st, struct store_obj *o)
{
	double kb = (double)((o->e.size + 1023) / 1024);

	switch (st->cfg->cache_replacement_policy) {
	case CFG_POLICY_HEAP_GDSF:
		return st->age + (double)o->e.refcount / (kb > 0 ? kb : 1);
	case CFG_POLICY_HEAP_LFUDA:
		return st->age + (double)o->e.refcount;
	case CFG_POLICY_LRU:
	case CFG_POLICY_HEAP_LRU:
		break;
	}
	/* last reference, then the order of references within a second */
	return (double)o->e.last_ref * 1048576.0 + (double)(st->seq & 0xfffff);
}

static void
store_heap_swap(struct store *st, size_t a, size_t b)
{
	struct store_obj *t = st->heap[a];

	st->heap[a] = st->heap[b];
	st->heap[b] = t;
	st->heap[a]->hidx = a;
	st->heap[b]->hidx = b;
}

static void
store_heap_fix(struct store *st, size_t i)
{
	while (i > 0 && st->heap[(i - 1) / 2]->hkey > st->heap[i]->hkey) {
		store_heap_swap(st, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < st->nheap && st->heap[l]->hkey < st->heap[m]->hkey)
			m = l;
		if (r < st->nheap && st->heap[r]->hkey < st->heap[m]->hkey)
			m = r;
		if (m == i)
			break;
		store_heap_swap(st, i, m);
		i = m;
	}
}

static void
store_obj_add(struct store *st, struct store_obj *o)
{
	size_t b;

	if (st->nobj + 1 > st->tabsize)
		store_tab_grow(st);
	o->hash = store_hash(o->key, o->keylen);
	b = o->hash & (st->tabsize - 1);
	o->hnext = st->tab[b];
	st->tab[b] = o;
	st->nobj++;
	st->bytes += o->e.size;
	if (st->nheap == st->capheap) {
		st->capheap = st->capheap ? st->capheap * 2 : 1024;
		st->heap = xrealloc(st->heap, st->capheap * sizeof(*st->heap));
	}
	st->seq++;
	o->hkey = store_heap_key(st, o);
	o->hidx = st->nheap;
	st->heap[st->nheap++] = o;
	store_heap_fix(st, o->hidx);
}

static void
store_obj_remove(struct store *st, struct store_obj *o)
{
	struct store_obj **pp = &st->tab[o->hash & (st->tabsize - 1)];
	size_t i = o->hidx;

	while (*pp != o)
		pp = &(*pp)->hnext;
	*pp = o->hnext;
	st->nobj--;
	st->bytes -= o->e.size;
	st->nheap--;
	if (i != st->nheap) {
		st->heap[i] = st->heap[st->nheap];
		st->heap[i]->hidx = i;
		store_heap_fix(st, i);
	}
	free(o->key);
	free(o);
}

static struct store_obj *
store_obj_new(const void *key, size_t keylen,
    const struct store_index_entry *e)
{
	struct store_obj *o = xcalloc(1, sizeof(*o));

	o->key = xmalloc(keylen);
	memcpy(o->key, key, keylen);
	o->keylen = (uint32_t)keylen;
	o->e = *e;
	return o;
}

static void
store_obj_touch(struct store *st, struct store_obj *o)
{
	o->e.last_ref = time(NULL);
	if (o->e.refcount < UINT32_MAX)
		o->e.refcount++;
	st->seq++;
	o->hkey = store_heap_key(st, o);
	store_heap_fix(st, o->hidx);
}

/* The index: a failed write makes it stale, so rewrite it from memory. */

static void
store_reindex(struct store *st)
{
	char path[PATH_MAX];
	const char *why;

	store_index_close(st->idx);
	st->idx = NULL;
	store_index_path(st->cd, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cache_dir %s: unlink %s", st->cd->path, path);
	if ((st->idx = store_index_open(path, 1, &why)) == NULL) {
		log_warnx("cache_dir %s: cannot create %s: %s; retrying later",
		    st->cd->path, path, why);
		ev_timer_start(&st->reindex_timer, 30000);
		return;
	}
	for (size_t i = 0; i < st->nheap; i++) {
		struct store_obj *o = st->heap[i];
		if (store_index_put(st->idx, o->key, o->keylen, &o->e) == -1) {
			store_index_close(st->idx);
			st->idx = NULL;
			ev_timer_start(&st->reindex_timer, 30000);
			return;
		}
	}
	log_info("cache_dir %s: index rewritten with %zu objects",
	    st->cd->path, st->nobj);
}

static void
store_reindex_cb(struct ev_timer *t)
{
	store_reindex(t->arg);
}

static void
store_index_failed(struct store *st)
{
	/*
	 * The files stay right; only the index is behind.  A restart before
	 * the rewrite rebuilds it from the files anyway.
	 */
	if (st->idx != NULL && store_index_broken(st->idx)) {
		store_index_close(st->idx);
		st->idx = NULL;
	}
	if (!ev_timer_armed(&st->reindex_timer))
		ev_timer_start(&st->reindex_timer, 1000);
}

static void
store_idx_put(struct store *st, struct store_obj *o)
{
	if (st->idx == NULL ||
	    store_index_put(st->idx, o->key, o->keylen, &o->e) == -1)
		store_index_failed(st);
}

static void
store_idx_del(struct store *st, const void *key, size_t keylen)
{
	if (st->idx == NULL || store_index_del(st->idx, key, keylen) == -1)
		store_index_failed(st);
}

/* Unlink first: a crash after it leaves an entry the start-up check drops. */
static void
store_obj_delete(struct store *st, struct store_obj *o)
{
	char path[PATH_MAX];

	store_path(st, o->e.fileno, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cache_dir %s: unlink %s", st->cd->path, path);
	store_idx_del(st, o->key, o->keylen);
	store_obj_remove(st, o);
}

static void
store_evict(struct store *st, uint64_t target)
{
	int n = 0;

	while (st->bytes > target && st->nheap > 0) {
		struct store_obj *o = st->heap[0];

		if (st->cfg->cache_replacement_policy == CFG_POLICY_HEAP_GDSF ||
		    st->cfg->cache_replacement_policy == CFG_POLICY_HEAP_LFUDA)
			st->age = o->hkey;
		store_obj_delete(st, o);
		n++;
	}
	if (n > 0)
		log_debug(20, 2, "cache_dir %s: evicted %d objects, %llu bytes "
		    "left", st->cd->path, n, (unsigned long long)st->bytes);
}

/* Reading and checking a cache file */

/*
 * Read and check the record of the file open on fd.  Returns a record
 * code; on success *e is filled (but not fileno) and *key is malloc'd.
 */
static int
store_read_record(int fd, struct store_index_entry *e, char **key,
    size_t *keylen)
{
	unsigned char fixed[STORE_RECORD_FIXED], *buf;
	struct store_record r;
	struct stat sb;
	ssize_t n;
	int rc;

	if (fstat(fd, &sb) == -1)
		return STORE_RECORD_SHORT;
	n = pread(fd, fixed, sizeof(fixed), 0);
	if (n < 0)
		return STORE_RECORD_SHORT;
	rc = store_record_decode(fixed, (size_t)n, &r);
	if (rc != STORE_RECORD_SHORT || r.hdr_len == 0)
		return rc == STORE_RECORD_OK ? STORE_RECORD_BAD_LENGTH : rc;
	if ((uint64_t)sb.st_size < r.hdr_len)
		return STORE_RECORD_SHORT;
	buf = xmalloc(r.hdr_len);
	n = pread(fd, buf, r.hdr_len, 0);
	if (n < 0 || (rc = store_record_decode(buf, (size_t)n, &r)) !=
	    STORE_RECORD_OK ||
	    (rc = store_record_validate(&r, (uint64_t)sb.st_size)) !=
	    STORE_RECORD_OK) {
		free(buf);
		return n < 0 ? STORE_RECORD_SHORT : rc;
	}
	memset(e, 0, sizeof(*e));
	e->hdr_len = (uint32_t)r.hdr_len;
	e->size = (uint64_t)sb.st_size;
	e->timestamp = r.timestamp;
	e->last_ref = r.timestamp;
	e->refcount = 1;
	e->meta_len = (uint32_t)r.meta_len;
	*key = xmalloc(r.key_len);
	memcpy(*key, r.key, r.key_len);
	*keylen = r.key_len;
	free(buf);
	return STORE_RECORD_OK;
}

static int
store_check_file(const char *path, struct store_index_entry *e, char **key,
    size_t *keylen)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return STORE_RECORD_SHORT;
	rc = store_read_record(fd, e, key, keylen);
	close(fd);
	return rc;
}

/* Start-up: make the index and the files agree. */

struct store_load {
	struct store	*st;
	char		**drop;		/* index keys to delete */
	size_t		*droplen;
	int		 ndrop, capdrop;
};

static void
store_load_entry(void *arg, const void *key, size_t keylen,
    const struct store_index_entry *e)
{
	struct store_load *ld = arg;
	struct store *st = ld->st;
	struct store_index_entry fe;
	char path[PATH_MAX], *fkey = NULL;
	size_t fkeylen = 0;
	int good = 0;

	if (e != NULL && store_find(st, key, keylen) == NULL) {
		store_path(st, e->fileno, path, sizeof(path));
		if (store_check_file(path, &fe, &fkey, &fkeylen) ==
		    STORE_RECORD_OK && fkeylen == keylen &&
		    memcmp(fkey, key, keylen) == 0 && fe.size == e->size &&
		    fe.hdr_len == e->hdr_len) {
			store_obj_add(st, store_obj_new(key, keylen, e));
			good = 1;
		}
		free(fkey);
	}
	if (!good) {
		if (ld->ndrop == ld->capdrop) {
			ld->capdrop = ld->capdrop ? ld->capdrop * 2 : 64;
			ld->drop = xrealloc(ld->drop,
			    ld->capdrop * sizeof(*ld->drop));
			ld->droplen = xrealloc(ld->droplen,
			    ld->capdrop * sizeof(*ld->droplen));
		}
		ld->drop[ld->ndrop] = xmalloc(keylen ? keylen : 1);
		memcpy(ld->drop[ld->ndrop], key, keylen);
		ld->droplen[ld->ndrop++] = keylen;
	}
}

/* An open-addressing set of the file numbers the index accounts for. */
struct store_fileset {
	uint32_t	*slot;		/* fileno + 1; 0 empty */
	size_t		 mask;
};

static void
store_fileset_init(struct store_fileset *fs, const struct store *st)
{
	size_t n = 1024;

	while (n < st->nobj * 2 + 1)
		n *= 2;
	fs->slot = xcalloc(n, sizeof(*fs->slot));
	fs->mask = n - 1;
	for (size_t i = 0; i < st->nheap; i++) {
		uint32_t v = st->heap[i]->e.fileno + 1;
		size_t h = (v * 2654435761u) & fs->mask;
		while (fs->slot[h] != 0)
			h = (h + 1) & fs->mask;
		fs->slot[h] = v;
	}
}

static int
store_fileset_has(const struct store_fileset *fs, uint32_t fileno)
{
	uint32_t v = fileno + 1;
	size_t h = (v * 2654435761u) & fs->mask;

	while (fs->slot[h] != 0) {
		if (fs->slot[h] == v)
			return 1;
		h = (h + 1) & fs->mask;
	}
	return 0;
}

static int
store_parse_fileno(const char *name, uint32_t *fileno)
{
	char *end;
	unsigned long v;

	if (strlen(name) != 8)
		return -1;
	errno = 0;
	v = strtoul(name, &end, 16);
	if (*end != '\0' || errno != 0 || v > UINT32_MAX)
		return -1;
	*fileno = (uint32_t)v;
	return 0;
}

/* A file of the tree that the index does not know. */
static void
store_load_orphan(struct store *st, const char *path, uint32_t fileno,
    int *indexed, int *removed)
{
	struct store_index_entry e;
	struct store_obj *old;
	char *key, oldpath[PATH_MAX];
	size_t keylen;
	int rc;

	rc = store_check_file(path, &e, &key, &keylen);
	if (rc != STORE_RECORD_OK) {
		log_debug(20, 1, "cache_dir %s: removing %s: %s",
		    st->cd->path, path, store_record_strerror(rc));
		if (unlink(path) == 0)
			(*removed)++;
		return;
	}
	e.fileno = fileno;
	store_path(st, fileno, oldpath, sizeof(oldpath));
	if (strcmp(oldpath, path) != 0 && rename(path, oldpath) == -1) {
		/* L1/L2 changed and the file cannot move where it belongs */
		log_warn("cache_dir %s: rename %s", st->cd->path, path);
		free(key);
		if (unlink(path) == 0)
			(*removed)++;
		return;
	}
	if ((old = store_find(st, key, keylen)) != NULL) {
		/* a crash between commit's rename and its index update */
		if (old->e.timestamp > e.timestamp ||
		    (old->e.timestamp == e.timestamp &&
		    old->e.fileno > fileno)) {
			free(key);
			if (unlink(path) == 0)
				(*removed)++;
			return;
		}
		store_path(st, old->e.fileno, oldpath, sizeof(oldpath));
		if (unlink(oldpath) == 0)
			(*removed)++;
		store_obj_remove(st, old);
	}
	old = store_obj_new(key, keylen, &e);
	free(key);
	store_obj_add(st, old);
	store_idx_put(st, old);
	(*indexed)++;
}

static int
store_load_tree(struct store *st, const struct store_fileset *fs,
    int *indexed, int *removed)
{
	const struct cfg_cache_dir *cd = st->cd;
	char dpath[PATH_MAX], fpath[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	uint32_t fileno;
	DIR *d;

	for (int a = 0; a < cd->l1; a++) {
		for (int b = 0; b < cd->l2; b++) {
			snprintf(dpath, sizeof(dpath), "%s/%02X/%02X",
			    cd->path, a, b);
			if ((d = opendir(dpath)) == NULL) {
				if (errno != ENOENT) {
					log_err("cache_dir %s: %s", cd->path,
					    dpath);
					return -1;
				}
				/* recreate what an operator removed */
				snprintf(fpath, sizeof(fpath), "%s/%02X",
				    cd->path, a);
				if ((mkdir(fpath, 0750) == -1 &&
				    errno != EEXIST) ||
				    mkdir(dpath, 0750) == -1) {
					log_err("cache_dir %s: mkdir %s",
					    cd->path, dpath);
					return -1;
				}
				continue;
			}
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(fpath, sizeof(fpath), "%s/%s", dpath,
				    de->d_name);
				if (store_parse_fileno(de->d_name, &fileno)
				    == -1) {
					if (unlink(fpath) == 0)
						(*removed)++;
					continue;
				}
				if (fileno >= st->next_fileno)
					st->next_fileno = fileno + 1;
				if (store_fileset_has(fs, fileno))
					continue;
				store_load_orphan(st, fpath, fileno, indexed,
				    removed);
			}
			closedir(d);
		}
	}
	return 0;
}

static int
store_clean_tmp(struct store *st)
{
	char dpath[PATH_MAX], fpath[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dpath, sizeof(dpath), "%s/tmp", st->cd->path);
	if ((d = opendir(dpath)) == NULL) {
		if (errno == ENOENT && mkdir(dpath, 0750) == 0)
			return 0;
		log_err("cache_dir %s: %s", st->cd->path, dpath);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
		if (unlink(fpath) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
store_load(struct store *st)
{
	char path[PATH_MAX];
	struct store_load ld;
	struct store_fileset fs;
	struct stat sb;
	const char *why;
	int rebuilt = 0, ntmp, indexed = 0, removed = 0;

	if (stat(st->cd->path, &sb) == -1) {
		log_err("cache_dir %s: cannot use the directory (run cuttle "
		    "-z to create it)", st->cd->path);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) || access(st->cd->path, R_OK | W_OK | X_OK)
	    == -1) {
		log_errx("cache_dir %s: not a writable directory",
		    st->cd->path);
		return -1;
	}
	if ((ntmp = store_clean_tmp(st)) == -1)
		return -1;
	store_tab_grow(st);
	store_index_path(st->cd, path, sizeof(path));
	if ((st->idx = store_index_open(path, 1, &why)) == NULL) {
		log_warnx("cache_dir %s: index %s is unreadable (%s)",
		    st->cd->path, path, why);
		rebuilt = 1;
	} else {
		memset(&ld, 0, sizeof(ld));
		ld.st = st;
		if (store_index_foreach(st->idx, store_load_entry, &ld) == -1) {
			log_warnx("cache_dir %s: index %s is damaged",
			    st->cd->path, path);
			rebuilt = 1;
			while (st->nheap > 0)
				store_obj_remove(st, st->heap[0]);
		} else
			for (int i = 0; i < ld.ndrop; i++)
				store_idx_del(st, ld.drop[i], ld.droplen[i]);
		if (ld.ndrop > 0 && !rebuilt)
			log_warnx("cache_dir %s: dropped %d index entries "
			    "without a valid file", st->cd->path, ld.ndrop);
		for (int i = 0; i < ld.ndrop; i++)
			free(ld.drop[i]);
		free(ld.drop);
		free(ld.droplen);
	}
	if (rebuilt) {
		store_index_close(st->idx);
		st->idx = NULL;
		unlink(path);
		if ((st->idx = store_index_open(path, 1, &why)) == NULL) {
			log_errx("cache_dir %s: cannot create %s: %s",
			    st->cd->path, path, why);
			return -1;
		}
	}
	store_fileset_init(&fs, st);
	for (size_t i = 0; i < st->nheap; i++)
		if (st->heap[i]->e.fileno >= st->next_fileno)
			st->next_fileno = st->heap[i]->e.fileno + 1;
	if (store_load_tree(st, &fs, &indexed, &removed) == -1) {
		free(fs.slot);
		return -1;
	}
	free(fs.slot);
	if (rebuilt)
		log_warnx("cache_dir %s: index rebuilt from %d files",
		    st->cd->path, indexed);
	else if (indexed > 0)
		log_warnx("cache_dir %s: indexed %d complete files the index "
		    "had missed", st->cd->path, indexed);
	if (removed > 0 || ntmp > 0)
		log_warnx("cache_dir %s: removed %d invalid or superseded "
		    "files and %d temporary files", st->cd->path, removed,
		    ntmp);
	log_info("cache_dir %s: %zu objects, %llu KB of %llu KB",
	    st->cd->path, st->nobj, (unsigned long long)st->bytes / 1024,
	    (unsigned long long)st->max / 1024);
	if (st->bytes > st->high)
		store_evict(st, st->low);
	return 0;
}

/* Replies */

static void store_conn_io(struct ev_io *io, uint32_t revents);
static void store_conn_flush(struct store_conn *c);
static void store_answer_lookup(struct store_conn *c, uint32_t id,
    const char *key, size_t keylen);

static void
store_wait_answer(struct store_wait *w)
{
	/* answered outside the connection's own event: send it now */
	if (!w->c->dead) {
		store_answer_lookup(w->c, w->id, w->key, w->keylen);
		store_conn_flush(w->c);
	}
	free(w->key);
	free(w);
}

/*
 * Answer the waiting lookups that match (key, or every expired one when
 * key is NULL).  They are unlinked first: answering may find a connection
 * dead, which edits the list.
 */
static void
store_wait_settle(const char *key, size_t keylen)
{
	struct store_wait **pp = &store_waits, *w, *ready = NULL;

	while ((w = *pp) != NULL) {
		int match = key != NULL ? w->keylen == keylen &&
		    memcmp(w->key, key, keylen) == 0 : w->deadline <= ev_now();
		if (match) {
			*pp = w->next;
			w->next = ready;
			ready = w;
		} else {
			pp = &w->next;
		}
	}
	while ((w = ready) != NULL) {
		ready = w->next;
		store_wait_answer(w);
	}
}

/* A write of key ended: answer the lookups that waited for it. */
static void
store_wake(const char *key, size_t keylen)
{
	store_wait_settle(key, keylen);
}

static void
store_wait_expire(struct ev_timer *t)
{
	store_wait_settle(NULL, 0);
	if (store_waits != NULL)
		ev_timer_start(&store_wait_timer, 100);
}

/* The connection is gone: its waiting lookups are dropped unanswered. */
static void
store_waits_drop(struct store_conn *c)
{
	struct store_wait **pp = &store_waits, *w;

	while ((w = *pp) != NULL) {
		if (w->c == c) {
			*pp = w->next;
			free(w->key);
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static void
store_do_lookup(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	for (struct store_tmp *t = store_writing; t != NULL; t = t->all_next) {
		if (t->keylen != q->key_len || memcmp(t->key, key,
		    t->keylen) != 0)
			continue;
		struct store_wait *w = xcalloc(1, sizeof(*w));
		w->c = c;
		w->id = q->id;
		w->key = xmalloc(q->key_len ? q->key_len : 1);
		memcpy(w->key, key, q->key_len);
		w->keylen = q->key_len;
		w->deadline = ev_now() + STORE_WAIT_MS;
		w->next = store_waits;
		store_waits = w;
		if (!ev_timer_armed(&store_wait_timer))
			ev_timer_start(&store_wait_timer, 100);
		return;
	}
	store_answer_lookup(c, q->id, key, q->key_len);
}

static void
store_conn_flush(struct store_conn *c)
{
	struct store_out *o;

	while ((o = c->qhead) != NULL) {
		if (!c->dead && store_proto_send(c->io.fd, &o->rep,
		    sizeof(o->rep), NULL, 0, o->fd) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				break;
			log_warn("store: send to worker socket %d", c->io.fd);
			c->dead = 1;
		}
		c->qhead = o->next;
		if (c->qhead == NULL)
			c->qtail = &c->qhead;
		c->qlen--;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	if (c->dead) {
		ev_io_stop(&c->io);
		store_waits_drop(c);
		if (c->owned) {
			/* a worker's socket from the master: ours to close */
			close(c->io.fd);
			ev_defer_free(c);
		}
		return;
	}
	ev_io_set(&c->io, (c->qlen < STORE_OUT_MAX ? EPOLLIN : 0) |
	    (c->qhead != NULL ? EPOLLOUT : 0));
}

static void
store_reply(struct store_conn *c, const struct store_proto_rep *rep, int fd)
{
	struct store_out *o = xcalloc(1, sizeof(*o));

	o->rep = *rep;
	o->fd = fd;
	*c->qtail = o;
	c->qtail = &o->next;
	c->qlen++;
}

static void
store_reply_simple(struct store_conn *c, uint32_t id, uint32_t type,
    int error)
{
	struct store_proto_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.type = type;
	rep.id = id;
	rep.error = error;
	store_reply(c, &rep, -1);
}

/* Requests */

static void
store_answer_lookup(struct store_conn *c, uint32_t id, const char *key,
    size_t keylen)
{
	struct store *st = c->st;
	struct store_obj *o = store_find(st, key, keylen);
	struct store_proto_rep rep;
	char path[PATH_MAX];
	int fd;
	struct store_proto_req qq;
	const struct store_proto_req *q = &qq;

	qq.id = id;
	if (o == NULL) {
		store_reply_simple(c, q->id, STORE_MSG_MISS, 0);
		return;
	}
	store_path(st, o->e.fileno, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		/* removed behind our back: forget it */
		log_warn("cache_dir %s: open %s", st->cd->path, path);
		store_idx_del(st, o->key, o->keylen);
		store_obj_remove(st, o);
		store_reply_simple(c, q->id, STORE_MSG_MISS, 0);
		return;
	}
	store_obj_touch(st, o);
	memset(&rep, 0, sizeof(rep));
	rep.type = STORE_MSG_HIT;
	rep.id = q->id;
	rep.body_off = o->e.hdr_len;
	rep.body_len = o->e.size - o->e.hdr_len;
	rep.meta_off = STORE_RECORD_FIXED + o->keylen;
	rep.meta_len = o->e.meta_len;
	rep.timestamp = o->e.timestamp;
	store_reply(c, &rep, fd);
}

static void
store_do_begin(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	struct store *st = c->st;
	struct store_proto_rep rep;
	struct store_tmp *t;
	char path[PATH_MAX];
	int fd;

	if (st->cd->no_store) {
		store_reply_simple(c, q->id, STORE_MSG_ERR, EROFS);
		return;
	}
	if (q->key_len == 0 || (q->size > 0 &&
	    (int64_t)q->size > st->max_obj)) {
		store_reply_simple(c, q->id, STORE_MSG_ERR, EFBIG);
		return;
	}
	if (c->ntmps >= STORE_TMP_MAX) {
		store_reply_simple(c, q->id, STORE_MSG_ERR, EAGAIN);
		return;
	}
	snprintf(path, sizeof(path), "%s/tmp/%ld.%llu", st->cd->path,
	    (long)getpid(), (unsigned long long)++st->tmp_serial);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("cache_dir %s: cannot create %s; not caching",
		    st->cd->path, path);
		store_reply_simple(c, q->id, STORE_MSG_ERR, errno);
		return;
	}
	/* make room now for an object whose size is announced */
	if (q->size > 0 && st->bytes + q->size > st->high)
		store_evict(st, st->low > q->size ? st->low - q->size : 0);
	t = xcalloc(1, sizeof(*t));
	t->token = st->next_token++;
	if (t->token == 0)
		t->token = st->next_token++;
	t->path = xstrdup(path);
	t->key = xmalloc(q->key_len);
	memcpy(t->key, key, q->key_len);
	t->keylen = q->key_len;
	t->next = c->tmps;
	c->tmps = t;
	t->all_next = store_writing;
	store_writing = t;
	c->ntmps++;
	memset(&rep, 0, sizeof(rep));
	rep.type = STORE_MSG_OK;
	rep.id = q->id;
	rep.token = t->token;
	store_reply(c, &rep, fd);
}

static struct store_tmp *
store_tmp_take(struct store_conn *c, uint32_t token)
{
	struct store_tmp **pp, *t;

	for (pp = &c->tmps; (t = *pp) != NULL; pp = &t->next)
		if (t->token == token) {
			*pp = t->next;
			c->ntmps--;
			return t;
		}
	return NULL;
}

static void
store_tmp_free(struct store_tmp *t, int remove)
{
	for (struct store_tmp **pp = &store_writing; *pp; pp = &(*pp)->all_next)
		if (*pp == t) {
			*pp = t->all_next;
			break;
		}
	store_wake(t->key, t->keylen);
	if (remove && unlink(t->path) == -1 && errno != ENOENT)
		log_warn("store: unlink %s", t->path);
	free(t->path);
	free(t->key);
	free(t);
}

/* Check the record a worker wrote, then rename and index it. */
static int
store_commit(struct store *st, struct store_tmp *t)
{
	struct store_index_entry e;
	struct store_obj *o, *old;
	char path[PATH_MAX], *key = NULL;
	size_t keylen;
	int rc;

	rc = store_check_file(t->path, &e, &key, &keylen);
	if (rc != STORE_RECORD_OK || keylen != t->keylen ||
	    memcmp(key, t->key, keylen) != 0) {
		log_warnx("cache_dir %s: refusing %s: %s", st->cd->path,
		    t->path, rc != STORE_RECORD_OK ?
		    store_record_strerror(rc) : "key differs from BEGIN");
		free(key);
		return EINVAL;
	}
	free(key);
	if ((int64_t)e.size > st->max_obj ||
	    (int64_t)(e.size - e.hdr_len) < st->min_obj)
		return EFBIG;
	e.fileno = st->next_fileno++;
	store_path(st, e.fileno, path, sizeof(path));
	if (rename(t->path, path) == -1) {
		int err = errno;
		log_warn("cache_dir %s: rename %s to %s; not caching",
		    st->cd->path, t->path, path);
		return err;
	}
	e.last_ref = time(NULL);
	old = store_find(st, t->key, t->keylen);
	o = store_obj_new(t->key, t->keylen, &e);
	/* index the new file before the old one goes (see store_load) */
	if (old != NULL) {
		uint32_t oldno = old->e.fileno;
		char oldpath[PATH_MAX];

		store_obj_remove(st, old);
		store_obj_add(st, o);
		store_idx_put(st, o);
		store_path(st, oldno, oldpath, sizeof(oldpath));
		if (unlink(oldpath) == -1 && errno != ENOENT)
			log_warn("cache_dir %s: unlink %s", st->cd->path,
			    oldpath);
	} else {
		store_obj_add(st, o);
		store_idx_put(st, o);
	}
	if (st->bytes > st->high)
		store_evict(st, st->low);
	return 0;
}

static void
store_do_commit(struct store_conn *c, const struct store_proto_req *q)
{
	struct store_tmp *t = store_tmp_take(c, q->token);
	int err;

	if (t == NULL) {
		store_reply_simple(c, q->id, STORE_MSG_ERR, ENOENT);
		return;
	}
	err = t->doomed ? ECANCELED : store_commit(c->st, t);
	store_tmp_free(t, err != 0);
	store_reply_simple(c, q->id, err ? STORE_MSG_ERR : STORE_MSG_OK, err);
}

static void
store_do_abort(struct store_conn *c, const struct store_proto_req *q)
{
	struct store_tmp *t = store_tmp_take(c, q->token);

	if (t != NULL)
		store_tmp_free(t, 1);
	store_reply_simple(c, q->id, STORE_MSG_OK, 0);
}

static void
store_do_delete(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	struct store_obj *o = store_find(c->st, key, q->key_len);
	int found = o != NULL;

	if (o != NULL)
		store_obj_delete(c->st, o);
	/* a copy still being written is deleted too: it will not commit */
	for (struct store_tmp *t = store_writing; t != NULL; t = t->all_next)
		if (t->keylen == q->key_len &&
		    memcmp(t->key, key, t->keylen) == 0) {
			t->doomed = 1;
			found = 1;
		}
	store_reply_simple(c, q->id, found ? STORE_MSG_OK : STORE_MSG_MISS, 0);
}

static void
store_do_stats(struct store_conn *c, const struct store_proto_req *q)
{
	struct store_proto_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.type = STORE_MSG_OK;
	rep.id = q->id;
	rep.objects = c->st->nobj;
	rep.bytes = c->st->bytes;
	rep.capacity = c->st->max;
	store_reply(c, &rep, -1);
}

static void
store_conn_reset(struct store_conn *c)
{
	struct store_tmp *t;

	while ((t = c->tmps) != NULL) {
		c->tmps = t->next;
		store_tmp_free(t, 1);
	}
	c->ntmps = 0;
}

static void
store_conn_read(struct store_conn *c)
{
	static char buf[sizeof(struct store_proto_req) + STORE_PROTO_KEY_MAX];
	const struct store_proto_req *q = (const void *)buf;
	const char *key = buf + sizeof(*q);
	ssize_t n;
	int fd;

	for (int i = 0; i < STORE_READ_BATCH && c->qlen < STORE_OUT_MAX; i++) {
		n = store_proto_recv(c->io.fd, buf, sizeof(buf), &fd);
		if (fd != -1)
			close(fd);	/* workers never send descriptors */
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMSGSIZE || errno == EINTR)
				continue;
			log_warn("store: read from worker socket %d",
			    c->io.fd);
			n = 0;
		}
		if (n == 0) {
			/* the worker end is closed for good */
			store_conn_reset(c);
			c->dead = 1;
			return;
		}
		if ((size_t)n < sizeof(*q) ||
		    (size_t)n != sizeof(*q) + q->key_len) {
			log_warnx("store: malformed request of %zd bytes",
			    n);
			continue;
		}
		switch (q->type) {
		case STORE_MSG_LOOKUP:
			store_do_lookup(c, q, key);
			break;
		case STORE_MSG_BEGIN:
			store_do_begin(c, q, key);
			break;
		case STORE_MSG_COMMIT:
			store_do_commit(c, q);
			break;
		case STORE_MSG_ABORT:
			store_do_abort(c, q);
			break;
		case STORE_MSG_DELETE:
			store_do_delete(c, q, key);
			break;
		case STORE_MSG_STATS:
			store_do_stats(c, q);
			break;
		case STORE_MSG_RESET:
			store_conn_reset(c);
			break;
		default:
			store_reply_simple(c, q->id, STORE_MSG_ERR, ENOSYS);
			break;
		}
	}
}

static void
store_conn_io(struct ev_io *io, uint32_t revents)
{
	struct store_conn *c = io->arg;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		store_conn_read(c);
	store_conn_flush(c);
}

/* Serve requests arriving on sock (one worker's end). */
static void
store_conn_add(struct store *st, int sock)
{
	struct store_conn *c = xcalloc(1, sizeof(*c));

	c->st = st;
	c->qtail = &c->qhead;
	c->owned = 1;
	util_set_nonblock(sock);
	ev_io_init(&c->io, sock, store_conn_io, c);
	ev_io_set(&c->io, EPOLLIN);
}

/*
 * The master's control socket: each message carries the store's end of a
 * new worker's socketpair.  The master closing it means the store is done.
 */
static void
store_ctl_io(struct ev_io *io, uint32_t revents)
{
	struct store *st = io->arg;

	for (;;) {
		char b;
		int fd = -1;
		ssize_t n = store_proto_recv(io->fd, &b, sizeof(b), &fd);
		if (n > 0 && fd != -1) {
			store_conn_add(st, fd);
			continue;
		}
		if (fd != -1)
			close(fd);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == 0 || n == -1) {
			log_info("store %s: the master went away; exiting",
			    st->cd->path);
			evloop_stop();
			return;
		}
	}
}

/* Entry points */

int
store_main(const struct cfg *cfg, const struct cfg_cache_dir *cd,
    int *socks, int nsocks, int ctl)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int low = cfg->cache_swap_low, high = cfg->cache_swap_high;

	st->cfg = cfg;
	st->cd = cd;
	st->max = (uint64_t)cd->max_size;
	if (low > high)
		low = high;
	st->high = st->max / 100 * (uint64_t)high;
	st->low = st->max / 100 * (uint64_t)low;
	st->max_obj = cd->max_obj_size >= 0 ? cd->max_obj_size :
	    cfg->maximum_object_size;
	if (st->max_obj <= 0 || (uint64_t)st->max_obj > st->max)
		st->max_obj = (int64_t)st->max;
	st->min_obj = cd->min_size > cfg->minimum_object_size ?
	    cd->min_size : cfg->minimum_object_size;
	/* tokens of a previous store on the same sockets must not match */
	st->next_token = (uint32_t)(time(NULL) * 2654435761u) ^
	    (uint32_t)getpid() << 16;
	if (evloop_init() == -1)
		return 1;
	ev_timer_init(&st->reindex_timer, store_reindex_cb, st);
	ev_timer_init(&store_wait_timer, store_wait_expire, NULL);
	if (store_load(st) == -1)
		return 1;
	st->conns = xcalloc((size_t)nsocks, sizeof(*st->conns));
	st->nconns = nsocks;
	for (int i = 0; i < nsocks; i++) {
		struct store_conn *c = &st->conns[i];

		c->st = st;
		c->qtail = &c->qhead;
		util_set_nonblock(socks[i]);
		ev_io_init(&c->io, socks[i], store_conn_io, c);
		ev_io_set(&c->io, EPOLLIN);
	}
	struct ev_io ctl_io;
	if (ctl != -1) {
		util_set_nonblock(ctl);
		ev_io_init(&ctl_io, ctl, store_ctl_io, st);
		ev_io_set(&ctl_io, EPOLLIN);
	}
	evloop_run();
	return 0;
}

int
store_create_dirs(const struct cfg_cache_dir *cd)
{
	char path[PATH_MAX];
	struct store_index *idx;
	const char *why;

	if (mkdir(cd->path, 0750) == -1 && errno != EEXIST) {
		log_err("cache_dir %s: mkdir", cd->path);
		return -1;
	}
	log_info("Creating missing swap directories");
	for (int a = 0; a < cd->l1; a++) {
		snprintf(path, sizeof(path), "%s/%02X", cd->path, a);
		log_info("Making directories in %s", path);
		if (mkdir(path, 0750) == -1 && errno != EEXIST) {
			log_err("cache_dir %s: mkdir %s", cd->path, path);
			return -1;
		}
		for (int b = 0; b < cd->l2; b++) {
			snprintf(path, sizeof(path), "%s/%02X/%02X", cd->path,
			    a, b);
			if (mkdir(path, 0750) == -1 && errno != EEXIST) {
				log_err("cache_dir %s: mkdir %s", cd->path,
				    path);
				return -1;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/tmp", cd->path);
	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		log_err("cache_dir %s: mkdir %s", cd->path, path);
		return -1;
	}
	store_index_path(cd, path, sizeof(path));
	if ((idx = store_index_open(path, 1, &why)) == NULL) {
		log_errx("cache_dir %s: cannot create %s: %s", cd->path, path,
		    why);
		return -1;
	}
	store_index_close(idx);
	return 0;
}
