/*
 * store_client: the worker end of a store socket.  Requests go out at once
 * when the socket takes them and wait in a queue otherwise; replies are
 * matched to pending requests by id.  Ids start at a random point so that
 * replies meant for a previous worker on the same socket (the master keeps
 * the socket across worker restarts) match nothing and their descriptors
 * are closed.  The hit's metadata is read here with pread so the callback
 * gets everything it needs to build the response head.
 *
 * In DESIGN.md's data flow: cache lookup (memory, then store) - storing to
 * the store.
 */
#include "config.h"
#include "store_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "store/store_proto.h"
#include "store_record.h"
#include "util.h"

#define STORE_CLIENT_BUCKETS	256

struct store_client_req {
	uint32_t	 id;
	uint32_t	 type;
	store_client_cb	*cb;		/* NULL: cancelled */
	void		*arg;
	uint64_t	 deadline;
	struct store_client_req *next;	/* bucket chain */
};

struct store_client_out {
	struct store_client_out *next;
	size_t		 len;
	unsigned char	 msg[];		/* request header + key */
};

struct store_client {
	struct ev_io	 io;
	struct ev_timer	 timer;
	uint32_t	 next_id;
	int		 npending;
	int		 dead;
	struct store_client_req *bucket[STORE_CLIENT_BUCKETS];
	struct store_client_out *qhead, **qtail;
};

static void store_client_io(struct ev_io *io, uint32_t revents);
static void store_client_tick(struct ev_timer *t);

static void
store_client_watch(struct store_client *sc)
{
	if (sc->dead)
		return;
	ev_io_set(&sc->io, EPOLLIN | (sc->qhead != NULL ? EPOLLOUT : 0));
}

static void
store_client_flush(struct store_client *sc)
{
	struct store_client_out *o;

	while ((o = sc->qhead) != NULL && !sc->dead) {
		if (store_proto_send(sc->io.fd, o->msg, o->len, NULL, 0, -1)
		    == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				break;
			log_warn("store client: send");
			sc->dead = 1;
			break;
		}
		sc->qhead = o->next;
		if (sc->qhead == NULL)
			sc->qtail = &sc->qhead;
		free(o);
	}
	store_client_watch(sc);
}

/* extra (UPDATE's blob) follows the key; size is its length then */
static uint32_t
store_client_send(struct store_client *sc, uint32_t type, uint32_t token,
    const void *key, size_t keylen, const void *extra, uint64_t size,
    store_client_cb *cb, void *arg)
{
	struct store_proto_req q;
	struct store_client_out *o;
	struct store_client_req *r;

	size_t xlen = extra != NULL ? (size_t)size : 0;

	if (sc->dead || keylen > STORE_PROTO_KEY_MAX ||
	    xlen > STORE_PROTO_META_MAX)
		return 0;
	memset(&q, 0, sizeof(q));
	q.type = type;
	if (++sc->next_id == 0)
		sc->next_id = 1;
	q.id = sc->next_id;
	q.token = token;
	q.key_len = (uint32_t)keylen;
	q.size = size;
	o = xmalloc(sizeof(*o) + sizeof(q) + keylen + xlen);
	o->next = NULL;
	o->len = sizeof(q) + keylen + xlen;
	memcpy(o->msg, &q, sizeof(q));
	if (keylen > 0)
		memcpy(o->msg + sizeof(q), key, keylen);
	if (xlen > 0)
		memcpy(o->msg + sizeof(q) + keylen, extra, xlen);
	*sc->qtail = o;
	sc->qtail = &o->next;
	if (type != STORE_MSG_RESET) {
		r = xcalloc(1, sizeof(*r));
		r->id = q.id;
		r->type = type;
		r->cb = cb;
		r->arg = arg;
		r->deadline = ev_now() + STORE_CLIENT_TIMEOUT_MS;
		r->next = sc->bucket[q.id % STORE_CLIENT_BUCKETS];
		sc->bucket[q.id % STORE_CLIENT_BUCKETS] = r;
		sc->npending++;
		if (!ev_timer_armed(&sc->timer))
			ev_timer_start(&sc->timer, 1000);
	}
	if (sc->qhead == o)
		store_client_flush(sc);
	return q.id;
}

/* A record header cannot be longer than this (store_record.h limits). */
#define STORE_CLIENT_HEAD_MAX	(STORE_RECORD_FIXED + STORE_RECORD_KEY_MAX + \
	    STORE_RECORD_META_MAX + STORE_RECORD_PAD_MAX + 4)

/*
 * Read and check the header of a hit; res->meta points into the returned
 * buffer.  The whole header is read and its CRC checked, not just the meta
 * the reply names: the store may give the object a new meta in place (an
 * UPDATE) after it replied, and a read racing that write is torn, which
 * the CRC shows, so it is read again.
 */
static unsigned char *
store_client_read_head(int fd, const struct store_proto_rep *rep,
    struct store_client_result *res)
{
	size_t len = (size_t)rep->body_off;
	unsigned char *buf = xmalloc(len > 0 ? len : 1);
	struct store_record rec;
	int rc = STORE_RECORD_SHORT;

	for (int tries = 0; tries < 3; tries++) {
		if (pread(fd, buf, len, 0) != (ssize_t)len) {
			log_warn("store client: reading metadata");
			break;
		}
		rc = store_record_decode(buf, len, &rec);
		if (rc != STORE_RECORD_BAD_CHECKSUM)
			break;
	}
	if (rc == STORE_RECORD_OK && rec.hdr_len == len &&
	    rec.body_len == rep->body_len) {
		res->meta = rec.meta;
		res->meta_len = rec.meta_len;
		return buf;
	}
	if (rc != STORE_RECORD_SHORT)
		log_warnx("store client: a hit's header: %s",
		    rc != STORE_RECORD_OK ? store_record_strerror(rc) :
		    "does not match the store's reply");
	free(buf);
	return NULL;
}

static struct store_client_req *
store_client_take(struct store_client *sc, uint32_t id)
{
	struct store_client_req **pp, *r;

	for (pp = &sc->bucket[id % STORE_CLIENT_BUCKETS]; (r = *pp) != NULL;
	    pp = &r->next)
		if (r->id == id) {
			*pp = r->next;
			sc->npending--;
			return r;
		}
	return NULL;
}

static void
store_client_fail(struct store_client_req *r, int error)
{
	struct store_client_result res;

	memset(&res, 0, sizeof(res));
	res.status = STORE_CLIENT_ERROR;
	res.error = error;
	res.fd = -1;
	if (r->cb != NULL)
		r->cb(r->arg, &res);
	free(r);
}

static void
store_client_reply(struct store_client *sc, const struct store_proto_rep *rep,
    int fd)
{
	struct store_client_req *r = store_client_take(sc, rep->id);
	struct store_client_result res;
	unsigned char *head = NULL;

	if (r == NULL || r->cb == NULL) {
		/* cancelled, timed out, or meant for a previous worker */
		if (fd != -1)
			close(fd);
		if (r != NULL && r->type == STORE_MSG_BEGIN &&
		    rep->type == STORE_MSG_OK)
			store_client_abort(sc, rep->token, NULL, NULL);
		free(r);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.fd = fd;
	switch (rep->type) {
	case STORE_MSG_HIT:
		if (fd == -1 || rep->body_off > STORE_CLIENT_HEAD_MAX) {
			if (fd != -1)
				close(fd);
			store_client_fail(r, EPROTO);
			return;
		}
		if ((head = store_client_read_head(fd, rep, &res)) == NULL) {
			close(fd);
			store_client_fail(r, EIO);
			return;
		}
		res.status = STORE_CLIENT_OK;
		res.body_off = rep->body_off;
		res.body_len = rep->body_len;
		res.timestamp = rep->timestamp;
		break;
	case STORE_MSG_MISS:
		res.status = STORE_CLIENT_MISS;
		break;
	case STORE_MSG_OK:
		if (r->type == STORE_MSG_BEGIN && fd == -1) {
			store_client_fail(r, EPROTO);
			return;
		}
		res.status = STORE_CLIENT_OK;
		res.token = rep->token;
		res.objects = rep->objects;
		res.bytes = rep->bytes;
		res.capacity = rep->capacity;
		break;
	default:
		if (fd != -1)
			close(fd);
		store_client_fail(r, rep->type == STORE_MSG_ERR && rep->error >
		    0 ? rep->error : EPROTO);
		return;
	}
	r->cb(r->arg, &res);
	free(head);
	free(r);
}

static void
store_client_read(struct store_client *sc)
{
	struct store_proto_rep rep;
	ssize_t n;
	int fd;

	for (int i = 0; i < 64 && !sc->dead; i++) {
		n = store_proto_recv(sc->io.fd, &rep, sizeof(rep), &fd);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == EMSGSIZE)
				continue;
			log_warn("store client: recv");
			n = 0;
		}
		if (n == 0) {
			log_warnx("store client: the store closed its socket");
			sc->dead = 1;
			ev_io_stop(&sc->io);
			return;
		}
		if ((size_t)n != sizeof(rep)) {
			if (fd != -1)
				close(fd);
			continue;
		}
		store_client_reply(sc, &rep, fd);
	}
}

static void
store_client_io(struct ev_io *io, uint32_t revents)
{
	struct store_client *sc = io->arg;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		store_client_read(sc);
	if (!sc->dead)
		store_client_flush(sc);
}

/* Fail what the store did not answer in time (it may have been killed). */
static void
store_client_tick(struct ev_timer *t)
{
	struct store_client *sc = t->arg;
	uint64_t now = ev_now();

	for (int b = 0; b < STORE_CLIENT_BUCKETS; b++) {
		struct store_client_req **pp = &sc->bucket[b], *r;

		while ((r = *pp) != NULL) {
			if (r->deadline > now && !sc->dead) {
				pp = &r->next;
				continue;
			}
			*pp = r->next;
			sc->npending--;
			store_client_fail(r, ETIMEDOUT);
			/* a callback may have sent requests into this bucket */
			pp = &sc->bucket[b];
		}
	}
	if (sc->npending > 0)
		ev_timer_start(&sc->timer, 1000);
}

struct store_client *
store_client_new(int sock)
{
	struct store_client *sc = xcalloc(1, sizeof(*sc));
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	sc->next_id = (uint32_t)(ts.tv_nsec ^ ts.tv_sec * 2654435761u ^
	    (uint32_t)getpid() << 12);
	sc->qtail = &sc->qhead;
	util_set_nonblock(sock);
	ev_io_init(&sc->io, sock, store_client_io, sc);
	ev_timer_init(&sc->timer, store_client_tick, sc);
	ev_io_set(&sc->io, EPOLLIN);
	store_client_send(sc, STORE_MSG_RESET, 0, NULL, 0, NULL, 0, NULL,
	    NULL);
	return sc;
}

void
store_client_free(struct store_client *sc)
{
	struct store_client_out *o;

	if (sc == NULL)
		return;
	ev_io_stop(&sc->io);
	ev_timer_stop(&sc->timer);
	close(sc->io.fd);
	for (int b = 0; b < STORE_CLIENT_BUCKETS; b++) {
		struct store_client_req *r, *next;
		for (r = sc->bucket[b]; r != NULL; r = next) {
			next = r->next;
			free(r);
		}
	}
	while ((o = sc->qhead) != NULL) {
		sc->qhead = o->next;
		free(o);
	}
	free(sc);
}

uint32_t
store_client_lookup(struct store_client *sc, const void *key, size_t keylen,
    store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_LOOKUP, 0, key, keylen, NULL, 0,
	    cb, arg);
}

uint32_t
store_client_begin(struct store_client *sc, const void *key, size_t keylen,
    uint64_t expected_size, store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_BEGIN, 0, key, keylen, NULL,
	    expected_size, cb, arg);
}

uint32_t
store_client_commit(struct store_client *sc, uint32_t token,
    store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_COMMIT, token, NULL, 0, NULL, 0,
	    cb, arg);
}

uint32_t
store_client_abort(struct store_client *sc, uint32_t token,
    store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_ABORT, token, NULL, 0, NULL, 0,
	    cb, arg);
}

uint32_t
store_client_delete(struct store_client *sc, const void *key, size_t keylen,
    store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_DELETE, 0, key, keylen, NULL, 0,
	    cb, arg);
}

uint32_t
store_client_update(struct store_client *sc, const void *key, size_t keylen,
    const void *old_meta, size_t old_meta_len, const void *meta,
    size_t meta_len, store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_UPDATE,
	    store_record_crc32(old_meta, old_meta_len), key, keylen,
	    meta != NULL ? meta : "", meta_len, cb, arg);
}

uint32_t
store_client_stats(struct store_client *sc, store_client_cb *cb, void *arg)
{
	return store_client_send(sc, STORE_MSG_STATS, 0, NULL, 0, NULL, 0, cb,
	    arg);
}

void
store_client_cancel(struct store_client *sc, uint32_t id)
{
	struct store_client_req *r;

	for (r = sc->bucket[id % STORE_CLIENT_BUCKETS]; r != NULL; r = r->next)
		if (r->id == id) {
			r->cb = NULL;
			return;
		}
}

int
store_client_pending(const struct store_client *sc)
{
	return sc->npending;
}

long
store_client_write_head(int fd, const void *key, size_t keylen,
    const void *meta, size_t meta_len, uint64_t body_len, int complete,
    int64_t timestamp)
{
	struct store_record r;
	size_t len = store_record_header_len(keylen, meta_len), n;
	unsigned char *buf;
	ssize_t w;

	memset(&r, 0, sizeof(r));
	/* room for a longer meta after a revalidation (store UPDATE) */
	r.pad = store_record_slack(len);
	len += r.pad;
	r.key = key;
	r.key_len = keylen;
	r.meta = meta;
	r.meta_len = meta_len;
	r.body_len = body_len;
	r.timestamp = timestamp;
	r.flags = complete ? STORE_RECORD_COMPLETE : 0;
	buf = xmalloc(len);
	if ((n = store_record_encode(&r, buf, len)) == 0) {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	w = pwrite(fd, buf, n, 0);
	free(buf);
	if (w != (ssize_t)n) {
		if (w >= 0)
			errno = ENOSPC;
		return -1;
	}
	return (long)n;
}
