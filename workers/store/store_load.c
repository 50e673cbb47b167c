/*
 * store_load: the start-up check of one cache_dir.  It makes the index and
 * the files agree whatever a kill -9 left: entries whose file is gone or
 * invalid are dropped, complete files the index missed are indexed (the
 * newer one wins when a key has two), temp files are removed, and a damaged
 * index is rebuilt from the files alone.
 */
#include "config.h"
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_index.h"
#include "store_record.h"
#include "util.h"

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

	if (e != NULL && store_obj_find(st, key, keylen) == NULL) {
		store_file_path(st, e->fileno, path, sizeof(path));
		if (store_file_check(path, &fe, &fkey, &fkeylen) ==
		    STORE_RECORD_OK && fkeylen == keylen &&
		    memcmp(fkey, key, keylen) == 0 && fe.size == e->size &&
		    fe.hdr_len == e->hdr_len) {
			struct store_obj *o = store_obj_new(key, keylen, e);

			/* an UPDATE in place may have beaten its index write */
			o->e.meta_len = fe.meta_len;
			o->e.timestamp = fe.timestamp;
			store_obj_add(st, o);
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
struct store_load_fileset {
	uint32_t	*slot;		/* fileno + 1; 0 empty */
	size_t		 mask;
};

static void
store_load_fileset_init(struct store_load_fileset *fs, const struct store *st)
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
store_load_fileset_has(const struct store_load_fileset *fs, uint32_t fileno)
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
store_load_parse_fileno(const char *name, uint32_t *fileno)
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

	rc = store_file_check(path, &e, &key, &keylen);
	if (rc == STORE_FILE_UNOPENED) {
		/* unreadable is not corrupt: never delete what was not read */
		if (errno != ENOENT)
			log_warn("cache_dir %s: open %s", st->cd->path, path);
		return;
	}
	if (rc != STORE_RECORD_OK) {
		log_debug(20, 1, "cache_dir %s: removing %s: %s",
		    st->cd->path, path, store_record_strerror(rc));
		if (unlink(path) == 0)
			(*removed)++;
		return;
	}
	e.fileno = fileno;
	store_file_path(st, fileno, oldpath, sizeof(oldpath));
	if (strcmp(oldpath, path) != 0 && rename(path, oldpath) == -1) {
		/* L1/L2 changed and the file cannot move where it belongs */
		log_warn("cache_dir %s: rename %s", st->cd->path, path);
		free(key);
		if (unlink(path) == 0)
			(*removed)++;
		return;
	}
	if ((old = store_obj_find(st, key, keylen)) != NULL) {
		/* a crash between commit's rename and its index update */
		if (old->e.timestamp > e.timestamp ||
		    (old->e.timestamp == e.timestamp &&
		    old->e.fileno > fileno)) {
			free(key);
			if (unlink(path) == 0)
				(*removed)++;
			return;
		}
		store_file_path(st, old->e.fileno, oldpath, sizeof(oldpath));
		if (unlink(oldpath) == 0)
			(*removed)++;
		store_obj_remove(st, old);
	}
	old = store_obj_new(key, keylen, &e);
	free(key);
	store_obj_add(st, old);
	store_obj_idx_put(st, old);
	(*indexed)++;
}

static int
store_load_tree(struct store *st, const struct store_load_fileset *fs,
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
				if ((mkdir(fpath, 0755) == -1 &&
				    errno != EEXIST) ||
				    mkdir(dpath, 0755) == -1) {
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
				if (store_load_parse_fileno(de->d_name, &fileno)
				    == -1) {
					if (unlink(fpath) == 0)
						(*removed)++;
					continue;
				}
				if (fileno >= st->next_fileno)
					st->next_fileno = fileno + 1;
				if (store_load_fileset_has(fs, fileno))
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
store_load_clean_tmp(struct store *st)
{
	char dpath[PATH_MAX], fpath[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dpath, sizeof(dpath), "%s/tmp", st->cd->path);
	if ((d = opendir(dpath)) == NULL) {
		if (errno == ENOENT && mkdir(dpath, 0755) == 0)
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

int
store_load(struct store *st)
{
	char path[PATH_MAX];
	struct store_load ld;
	struct store_load_fileset fs;
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
	if ((ntmp = store_load_clean_tmp(st)) == -1)
		return -1;
	store_obj_tab_grow(st);
	store_file_index_path(st->cd, path, sizeof(path));
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
				store_obj_idx_del(st, ld.drop[i],
				    ld.droplen[i]);
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
	store_load_fileset_init(&fs, st);
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
	if (st->bytes > st->low)
		store_obj_evict(st, st->low);
	return 0;
}

