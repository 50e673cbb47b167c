/*
 * store_conn: the store's end of one worker's socket.  It reads requests,
 * hands each to the module that does the work, and queues the replies
 * (with their descriptors) until the socket takes them, reading no more
 * while too many wait.  A lookup for a key that is being written waits
 * here for that write to end.
 */
#include "config.h"
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "store_proto.h"
#include "store_record.h"
#include "util.h"

static struct store_wait *store_conn_waits;
struct ev_timer store_conn_wait_timer;

/* Replies */

static void store_conn_flush(struct store_conn *c);
static void store_conn_reset(struct store_conn *c);
static void store_conn_answer_lookup(struct store_conn *c, uint32_t id,
    const char *key, size_t keylen);

static void
store_conn_wait_answer(struct store_wait *w)
{
	/* answered outside the connection's own event: send it now */
	if (!w->c->dead) {
		store_conn_answer_lookup(w->c, w->id, w->key, w->keylen);
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
store_conn_wait_settle(const char *key, size_t keylen)
{
	struct store_wait **pp = &store_conn_waits, *w, *ready = NULL;

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
		store_conn_wait_answer(w);
	}
}

/* A write of key ended: answer the lookups that waited for it. */
void
store_conn_wake(const char *key, size_t keylen)
{
	store_conn_wait_settle(key, keylen);
}

void
store_conn_wait_expire(struct ev_timer *t)
{
	store_conn_wait_settle(NULL, 0);
	if (store_conn_waits != NULL)
		ev_timer_start(&store_conn_wait_timer, 100);
}

/* The connection is gone: its waiting lookups are dropped unanswered. */
static void
store_conn_waits_drop(struct store_conn *c)
{
	struct store_wait **pp = &store_conn_waits, *w;

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
store_conn_lookup(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	for (struct store_tmp *t = store_file_writing; t != NULL;
	    t = t->all_next) {
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
		w->next = store_conn_waits;
		store_conn_waits = w;
		if (!ev_timer_armed(&store_conn_wait_timer))
			ev_timer_start(&store_conn_wait_timer, 100);
		return;
	}
	store_conn_answer_lookup(c, q->id, key, q->key_len);
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
		/*
		 * However the worker's end was found gone (a read saw EOF, a
		 * send saw EPIPE), its unfinished objects go: their temp
		 * files were left in DIR/tmp until the next restart.
		 */
		store_conn_reset(c);
		ev_io_stop(&c->io);
		store_conn_waits_drop(c);
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

void
store_conn_reply(struct store_conn *c, const struct store_proto_rep *rep,
    int fd)
{
	struct store_out *o = xcalloc(1, sizeof(*o));

	o->rep = *rep;
	o->fd = fd;
	*c->qtail = o;
	c->qtail = &o->next;
	c->qlen++;
}

void
store_conn_reply_simple(struct store_conn *c, uint32_t id, uint32_t type,
    int error)
{
	struct store_proto_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.type = type;
	rep.id = id;
	rep.error = error;
	store_conn_reply(c, &rep, -1);
}

/* Requests */

static void
store_conn_answer_lookup(struct store_conn *c, uint32_t id, const char *key,
    size_t keylen)
{
	struct store *st = c->st;
	struct store_obj *o = store_obj_find(st, key, keylen);
	struct store_proto_rep rep;
	char path[PATH_MAX];
	int fd;
	struct store_proto_req qq;
	const struct store_proto_req *q = &qq;

	qq.id = id;
	if (o == NULL) {
		store_conn_reply_simple(c, q->id, STORE_MSG_MISS, 0);
		return;
	}
	store_file_path(st, o->e.fileno, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		int err = errno;

		log_warn("cache_dir %s: open %s", st->cd->path, path);
		/*
		 * Removed behind our back: forget it.  Any other failure (out
		 * of descriptors) passes; the object stays for the next client.
		 */
		if (err == ENOENT) {
			store_obj_idx_del(st, o->key, o->keylen);
			store_obj_remove(st, o);
		}
		store_conn_reply_simple(c, q->id, STORE_MSG_MISS, 0);
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
	store_conn_reply(c, &rep, fd);
}


static void
store_conn_delete(struct store_conn *c, const struct store_proto_req *q,
    const char *key)
{
	struct store_obj *o = store_obj_find(c->st, key, q->key_len);
	int found = o != NULL;

	if (o != NULL)
		store_obj_delete(c->st, o);
	/* a copy still being written is deleted too: it will not commit */
	for (struct store_tmp *t = store_file_writing; t != NULL;
	    t = t->all_next)
		if (t->keylen == q->key_len &&
		    memcmp(t->key, key, t->keylen) == 0) {
			t->doomed = 1;
			found = 1;
		}
	store_conn_reply_simple(c, q->id, found ? STORE_MSG_OK : STORE_MSG_MISS,
	    0);
}

static void
store_conn_stats(struct store_conn *c, const struct store_proto_req *q)
{
	struct store_proto_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.type = STORE_MSG_OK;
	rep.id = q->id;
	rep.objects = c->st->nobj;
	rep.bytes = c->st->bytes;
	rep.capacity = c->st->max;
	store_conn_reply(c, &rep, -1);
}

static void
store_conn_reset(struct store_conn *c)
{
	struct store_tmp *t;

	while ((t = c->tmps) != NULL) {
		c->tmps = t->next;
		store_file_tmp_free(t, 1);
	}
	c->ntmps = 0;
}

static void
store_conn_read(struct store_conn *c)
{
	static char buf[sizeof(struct store_proto_req) + STORE_PROTO_KEY_MAX +
	    STORE_PROTO_META_MAX];
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
		    (q->type == STORE_MSG_UPDATE &&
		    q->size > STORE_PROTO_META_MAX) ||
		    (size_t)n != sizeof(*q) + q->key_len +
		    (q->type == STORE_MSG_UPDATE ? q->size : 0)) {
			log_warnx("store: malformed request of %zd bytes",
			    n);
			continue;
		}
		switch (q->type) {
		case STORE_MSG_LOOKUP:
			store_conn_lookup(c, q, key);
			break;
		case STORE_MSG_BEGIN:
			store_file_begin(c, q, key);
			break;
		case STORE_MSG_COMMIT:
			store_file_do_commit(c, q);
			break;
		case STORE_MSG_ABORT:
			store_file_abort(c, q);
			break;
		case STORE_MSG_DELETE:
			store_conn_delete(c, q, key);
			break;
		case STORE_MSG_STATS:
			store_conn_stats(c, q);
			break;
		case STORE_MSG_RESET:
			store_conn_reset(c);
			break;
		case STORE_MSG_UPDATE:
			store_file_update(c, q, key);
			break;
		default:
			store_conn_reply_simple(c, q->id, STORE_MSG_ERR,
			    ENOSYS);
			break;
		}
	}
}

void
store_conn_io(struct ev_io *io, uint32_t revents)
{
	struct store_conn *c = io->arg;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		store_conn_read(c);
	store_conn_flush(c);
}

/* Serve requests arriving on sock (one worker's end). */
void
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

