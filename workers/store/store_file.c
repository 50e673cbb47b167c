/*
 * store_file: the cache files of one store and the records that open them.
 * A worker writes a new object into DIR/tmp (BEGIN); COMMIT checks its
 * record, renames it into the L1/L2 tree and only then indexes it; UPDATE
 * gives a stored object a new metadata blob while keeping its body, in
 * place when the new header fits the old one's room and otherwise through
 * a new temp file committed the same way.
 */
#include "config.h"
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_index.h"
#include "store_proto.h"
#include "store_record.h"
#include "util.h"

struct store_tmp *store_file_writing;

/* Paths */

void
store_file_path(const struct store *st, uint32_t fileno, char *buf, size_t n)
{
	const struct cfg_cache_dir *cd = st->cd;
	unsigned l1 = (fileno / cd->l2 / cd->l2) % cd->l1;
	unsigned l2 = (fileno / cd->l2) % cd->l2;

	snprintf(buf, n, "%s/%02X/%02X/%08X", cd->path, l1, l2, fileno);
}

void
store_file_index_path(const struct cfg_cache_dir *cd, char *buf, size_t n)
{
	snprintf(buf, n, "%s/cuttle.gdbm", cd->path);
}

/* Reading and checking a cache file */

/*
 * Read and check the header of the complete record open on fd.  Returns a
 * record code; on success *buf (malloc'd) holds the header r points into.
 */
static int
store_file_read_head(int fd, unsigned char **buf, struct store_record *r)
{
	unsigned char fixed[STORE_RECORD_FIXED];
	struct stat sb;
	ssize_t n;
	int rc;

	*buf = NULL;
	if (fstat(fd, &sb) == -1)
		return STORE_RECORD_SHORT;
	n = pread(fd, fixed, sizeof(fixed), 0);
	if (n < 0)
		return STORE_RECORD_SHORT;
	rc = store_record_decode(fixed, (size_t)n, r);
	if (rc != STORE_RECORD_SHORT || r->hdr_len == 0)
		return rc == STORE_RECORD_OK ? STORE_RECORD_BAD_LENGTH : rc;
	if ((uint64_t)sb.st_size < r->hdr_len)
		return STORE_RECORD_SHORT;
	*buf = xmalloc(r->hdr_len);
	n = pread(fd, *buf, r->hdr_len, 0);
	if (n < 0 || (rc = store_record_decode(*buf, (size_t)n, r)) !=
	    STORE_RECORD_OK ||
	    (rc = store_record_validate(r, (uint64_t)sb.st_size)) !=
	    STORE_RECORD_OK) {
		free(*buf);
		*buf = NULL;
		return n < 0 ? STORE_RECORD_SHORT : rc;
	}
	return STORE_RECORD_OK;
}

/*
 * Read and check the record of the file open on fd.  Returns a record
 * code; on success *e is filled (but not fileno) and *key is malloc'd.
 */
static int
store_file_read_record(int fd, struct store_index_entry *e, char **key,
    size_t *keylen)
{
	unsigned char *buf;
	struct store_record r;
	int rc;

	if ((rc = store_file_read_head(fd, &buf, &r)) != STORE_RECORD_OK)
		return rc;
	memset(e, 0, sizeof(*e));
	e->hdr_len = (uint32_t)r.hdr_len;
	e->size = r.hdr_len + r.body_len;
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

int
store_file_check(const char *path, struct store_index_entry *e, char **key,
    size_t *keylen)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return STORE_FILE_UNOPENED;
	rc = store_file_read_record(fd, e, key, keylen);
	close(fd);
	return rc;
}


/* A new file in DIR/tmp, which the start-up check empties. */
static int
store_file_tmp_create(struct store *st, char *path, size_t n, int flags)
{
	snprintf(path, n, "%s/tmp/%ld.%llu", st->cd->path, (long)getpid(),
	    (unsigned long long)++st->tmp_serial);
	return open(path, flags | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

void
store_file_begin(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	struct store *st = c->st;
	struct store_proto_rep rep;
	struct store_tmp *t;
	char path[PATH_MAX];
	int fd;

	if (st->cd->no_store) {
		store_conn_reply_simple(c, q->id, STORE_MSG_ERR, EROFS);
		return;
	}
	if (q->key_len == 0 || (q->size > 0 &&
	    (int64_t)q->size > st->max_obj)) {
		store_conn_reply_simple(c, q->id, STORE_MSG_ERR, EFBIG);
		return;
	}
	if (c->ntmps >= STORE_TMP_MAX) {
		store_conn_reply_simple(c, q->id, STORE_MSG_ERR, EAGAIN);
		return;
	}
	fd = store_file_tmp_create(st, path, sizeof(path), O_WRONLY);
	if (fd == -1) {
		log_warn("cache_dir %s: cannot create %s; not caching",
		    st->cd->path, path);
		store_conn_reply_simple(c, q->id, STORE_MSG_ERR, errno);
		return;
	}
	/* make room now for an object whose size is announced */
	if (q->size > 0 && st->bytes + q->size > st->low)
		store_obj_evict(st, st->low > q->size ? st->low - q->size : 0);
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
	t->all_next = store_file_writing;
	store_file_writing = t;
	c->ntmps++;
	memset(&rep, 0, sizeof(rep));
	rep.type = STORE_MSG_OK;
	rep.id = q->id;
	rep.token = t->token;
	store_conn_reply(c, &rep, fd);
}

static struct store_tmp *
store_file_tmp_take(struct store_conn *c, uint32_t token)
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

void
store_file_tmp_free(struct store_tmp *t, int remove)
{
	for (struct store_tmp **pp = &store_file_writing; *pp;
	    pp = &(*pp)->all_next)
		if (*pp == t) {
			*pp = t->all_next;
			break;
		}
	store_conn_wake(t->key, t->keylen);
	if (remove && unlink(t->path) == -1 && errno != ENOENT)
		log_warn("store: unlink %s", t->path);
	free(t->path);
	free(t->key);
	free(t);
}

/* Check the record a worker wrote, then rename and index it. */
static int
store_file_commit(struct store *st, struct store_tmp *t)
{
	struct store_index_entry e;
	struct store_obj *o, *old;
	char path[PATH_MAX], *key = NULL;
	size_t keylen;
	int rc;

	rc = store_file_check(t->path, &e, &key, &keylen);
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
	store_file_path(st, e.fileno, path, sizeof(path));
	if (rename(t->path, path) == -1) {
		int err = errno;
		log_warn("cache_dir %s: rename %s to %s; not caching",
		    st->cd->path, t->path, path);
		return err;
	}
	e.last_ref = time(NULL);
	old = store_obj_find(st, t->key, t->keylen);
	o = store_obj_new(t->key, t->keylen, &e);
	/* index the new file before the old one goes (see store_load) */
	if (old != NULL) {
		uint32_t oldno = old->e.fileno;
		char oldpath[PATH_MAX];

		store_obj_remove(st, old);
		store_obj_add(st, o);
		store_obj_idx_put(st, o);
		store_file_path(st, oldno, oldpath, sizeof(oldpath));
		if (unlink(oldpath) == -1 && errno != ENOENT)
			log_warn("cache_dir %s: unlink %s", st->cd->path,
			    oldpath);
	} else {
		store_obj_add(st, o);
		store_obj_idx_put(st, o);
	}
	if (st->bytes > st->low)
		store_obj_evict(st, st->low);
	return 0;
}

void
store_file_do_commit(struct store_conn *c, const struct store_proto_req *q)
{
	struct store_tmp *t = store_file_tmp_take(c, q->token);
	int err;

	if (t == NULL) {
		store_conn_reply_simple(c, q->id, STORE_MSG_ERR, ENOENT);
		return;
	}
	err = t->doomed ? ECANCELED : store_file_commit(c->st, t);
	store_file_tmp_free(t, err != 0);
	store_conn_reply_simple(c, q->id, err ? STORE_MSG_ERR : STORE_MSG_OK,
	    err);
}

void
store_file_abort(struct store_conn *c, const struct store_proto_req *q)
{
	struct store_tmp *t = store_file_tmp_take(c, q->token);

	if (t != NULL)
		store_file_tmp_free(t, 1);
	store_conn_reply_simple(c, q->id, STORE_MSG_OK, 0);
}


/* Copy len bytes of the body from in at off_in to out at off_out. */
static int
store_file_copy_body(int in, off_t off_in, int out, off_t off_out,
    uint64_t len)
{
	static char buf[65536];
	int fallback = 0;

	while (len > 0) {
		size_t want = len > (1u << 30) ? 1u << 30 : (size_t)len;
		ssize_t n = -1;

		if (!fallback) {
			n = copy_file_range(in, &off_in, out, &off_out, want,
			    0);
			if (n == -1 && (errno == EXDEV || errno == ENOSYS ||
			    errno == EINVAL || errno == EOPNOTSUPP)) {
				fallback = 1;
				continue;
			}
		} else {
			if (want > sizeof(buf))
				want = sizeof(buf);
			n = pread(in, buf, want, off_in);
			if (n > 0 && pwrite(out, buf, (size_t)n, off_out) != n)
				n = -1;
			if (n > 0) {
				off_in += n;
				off_out += n;
			}
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the body is shorter */
			return -1;
		}
		len -= (uint64_t)n;
	}
	return 0;
}

/*
 * The new header does not fit the old one's room: write a new file (new
 * header, a copy of the body) and commit it like a new object, which
 * replaces the old file only once the new one is in the tree.
 */
static int
store_file_update_copy(struct store *st, int oldfd,
    const struct store_record *old, struct store_record *r)
{
	struct store_tmp t;
	char path[PATH_MAX];
	unsigned char *buf;
	size_t len;
	int fd, err = 0;

	r->pad = store_record_slack(store_record_header_len(r->key_len,
	    r->meta_len));
	len = store_record_header_len(r->key_len, r->meta_len) + r->pad;
	buf = xmalloc(len);
	if (store_record_encode(r, buf, len) != len) {
		free(buf);
		return EINVAL;
	}
	if ((fd = store_file_tmp_create(st, path, sizeof(path), O_RDWR))
	    == -1) {
		err = errno;
		log_warn("cache_dir %s: cannot create %s", st->cd->path, path);
		free(buf);
		return err;
	}
	/* the header last, so a short copy never looks complete */
	if (store_file_copy_body(oldfd, (off_t)old->hdr_len, fd, (off_t)len,
	    old->body_len) == -1 || pwrite(fd, buf, len, 0) != (ssize_t)len) {
		err = errno != 0 ? errno : EIO;
		log_warn("cache_dir %s: writing %s", st->cd->path, path);
	}
	free(buf);
	close(fd);
	memset(&t, 0, sizeof(t));
	t.path = path;
	t.key = (char *)r->key;
	t.keylen = r->key_len;
	if (err == 0)
		err = store_file_commit(st, &t);
	if (err != 0 && unlink(path) == -1 && errno != ENOENT)
		log_warn("cache_dir %s: unlink %s", st->cd->path, path);
	return err;
}

/*
 * Replace the metadata of o, which the worker revalidated when its blob
 * had CRC-32 crc.  In place when the new header fits the old one's length
 * (the body does not move, so readers holding the file keep serving it): a
 * write torn by a crash fails the header CRC and the start-up check drops
 * the file rather than trusting it.  Returns 0, -1 for "not that version
 * any more", or an errno value.
 */
static int
store_file_update_obj(struct store *st, struct store_obj *o, uint32_t crc,
    const void *meta, size_t meta_len)
{
	struct store_record old, r;
	char path[PATH_MAX];
	unsigned char *head, *buf;
	size_t need;
	int fd, rc, err = 0;

	store_file_path(st, o->e.fileno, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		err = errno;
		log_warn("cache_dir %s: open %s", st->cd->path, path);
		return err == ENOENT ? -1 : err;
	}
	if ((rc = store_file_read_head(fd, &head, &old)) != STORE_RECORD_OK) {
		log_warnx("cache_dir %s: %s: %s", st->cd->path, path,
		    store_record_strerror(rc));
		close(fd);
		return EINVAL;
	}
	if (old.key_len != o->keylen || memcmp(old.key, o->key,
	    o->keylen) != 0 || store_record_crc32(old.meta, old.meta_len)
	    != crc) {
		free(head);
		close(fd);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.key = old.key;
	r.key_len = old.key_len;
	r.meta = meta;
	r.meta_len = meta_len;
	r.body_len = old.body_len;
	/* newer than the old record, so the start-up check keeps this one */
	r.timestamp = time(NULL) > old.timestamp ? time(NULL) : old.timestamp;
	r.flags = STORE_RECORD_COMPLETE;
	need = store_record_header_len(r.key_len, r.meta_len);
	if (need > old.hdr_len) {
		err = store_file_update_copy(st, fd, &old, &r);
		free(head);
		close(fd);
		return err;
	}
	r.pad = old.hdr_len - need;
	buf = xmalloc(old.hdr_len);
	if (store_record_encode(&r, buf, old.hdr_len) != old.hdr_len)
		err = EINVAL;
	else if (pwrite(fd, buf, old.hdr_len, 0) != (ssize_t)old.hdr_len) {
		err = errno != 0 ? errno : EIO;
		log_warn("cache_dir %s: rewriting the header of %s",
		    st->cd->path, path);
		/* the header may be half written: never serve the file */
		store_obj_delete(st, o);
		o = NULL;
	}
	free(buf);
	free(head);
	close(fd);
	if (err == 0) {
		o->e.meta_len = (uint32_t)meta_len;
		o->e.timestamp = r.timestamp;
		store_obj_idx_put(st, o);
	}
	return err;
}

void
store_file_update(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	struct store *st = c->st;
	struct store_obj *o = store_obj_find(st, key, q->key_len);
	int err;

	if (st->cd->no_store) {
		store_conn_reply_simple(c, q->id, STORE_MSG_ERR, EROFS);
		return;
	}
	if (o == NULL) {
		store_conn_reply_simple(c, q->id, STORE_MSG_MISS, 0);
		return;
	}
	err = store_file_update_obj(st, o, q->token, key + q->key_len,
	    (size_t)q->size);
	if (err == -1)
		store_conn_reply_simple(c, q->id, STORE_MSG_MISS, 0);
	else
		store_conn_reply_simple(c, q->id, err ? STORE_MSG_ERR :
		    STORE_MSG_OK, err);
}
