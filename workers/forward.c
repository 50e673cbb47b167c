/*
 * Server side.  Everything after the access check happens in one pump,
 * forward_pump(), called on any event of either socket: it moves whatever
 * can move (request body up, response head and body down) and then sets
 * what each socket waits for.  Body bytes are written to the client straight
 * from the server's input buffer, never copied.
 *
 * In DESIGN.md's data flow: miss: DNS - server connection (pooled) - reply -
 * http_reply_access - to client.
 */
#include "config.h"
#include "forward.h"
#include "forward_int.h"
#include "acl.h"
#include "cache.h"
#include "cfg.h"
#include "conn.h"
#include "delay.h"
#include "hdr_mangle.h"
#include "xact.h"
#include "errpage.h"
#include "headers.h"
#include "heritage.h"
#include "intercept.h"
#include "log.h"
#include "pconn.h"
#include "stat_share.h"
#include "tls_client.h"
#include "tls_io.h"
#include "upgrade.h"
#include "peer.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define FWD_READ_CHUNK	(128 * 1024)
#define FWD_HIGH_WATER	(256 * 1024)	/* request body queued upstream */
#define FWD_TURN_BYTES	(1024 * 1024)
/* largest request body kept whole so that the request can be sent again */
#define FWD_REPLAY_MAX	(64 * 1024)

/* What one step of the pump did. */
enum fwd_step {
	FWD_ENDED,	/* the transaction ended: x is gone */
	FWD_BLOCKED,	/* the client is not reading */
	FWD_IDLE,	/* nothing to move */
	FWD_MOVED	/* bytes moved */
};

/* What moving the request body did. */
enum fwd_body {
	FWD_BODY_IDLE,
	FWD_BODY_MOVED,
	FWD_BODY_BAD,		/* broken chunking */
	FWD_BODY_TOO_LARGE	/* request_body_max_size */
};

/* The response head: relay it, or the transaction went elsewhere. */
enum fwd_head {
	FWD_HEAD_RELAY,		/* x relays the response (or it was a 1xx) */
	FWD_HEAD_TAKEN		/* ended, or the cache took over: x is not ours */
};

static void forward_pump(struct xact *x);

static void
forward_server_io(struct ev_io *io, uint32_t revents)
{
	forward_pump(io->arg);
}

static void
forward_read_timeout(struct ev_timer *t)
{
	struct xact *x = t->arg;

	if (x->head_sent)
		xact_end(x, XACT_ABORT, NULL, "read_timeout");
	else
		xact_fail(x, 504, "ERR_READ_TIMEOUT", 0);
}

void
forward_attach(struct xact *x, struct srv *s)
{
	x->srv = s;
	s->xact = x;
	s->nrequests++;
	/* Squid counts each request it sends (HttpStateData::sendRequest) */
	heritage.counters->server_http_requests++;
	x->log.server = s->addr;
	buf_consume(&s->out, buf_avail(&s->out));
	buf_append(&s->out, buf_head(&x->fwd.head), buf_avail(&x->fwd.head));
	/* a retry sends again the body bytes the lost connection took */
	buf_append(&s->out, buf_head(&x->fwd.body), buf_avail(&x->fwd.body));
	ev_io_set_cb(&s->io, forward_server_io, x);
	xact_set_state(x, XS_FORWARD);
	x->upstream_started_ms = ev_now();
	ev_timer_set_cb(&x->timer, forward_read_timeout);
	ev_timer_start(&x->timer, worker_cfg->read_timeout);
	forward_pump(x);
}

/*
 * May this request be sent a second time?  Idempotent methods (RFC 9110
 * 9.2.2) whose body, if any, is small enough to keep whole until the
 * response starts.
 */
static int
forward_replayable(const struct xact *x)
{
	static const char *const idempotent[] = {
		"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", NULL
	};
	int i;

	for (i = 0; idempotent[i] != NULL; i++)
		if (strcmp(x->method, idempotent[i]) == 0)
			break;
	if (idempotent[i] == NULL)
		return 0;
	return x->req.body == HTTP_BODY_NONE ||
	    (x->req.body == HTTP_BODY_LENGTH &&
	    x->req.content_length <= FWD_REPLAY_MAX);
}

/*
 * Only a request that can be sent again goes on a pooled connection, as in
 * Squid: the server may close a pooled connection just as the request
 * arrives, and only a replayable request can then be retried.  Anything
 * else (POST, large or chunked bodies) gets a connection of its own.
 */
void
forward_start(struct xact *x)
{
	cache_range_plan(x);
	if (!x->cache.revalidating)
		xact_tag(x, "TCP_MISS");
	x->cache.request_time = time(NULL);
	x->fwd.replayable = forward_replayable(x);
	forward_open(x, x->fwd.replayable, forward_attach);
}

/*
 * Whether x's server connections are interchangeable with other
 * transactions' ones.  A tproxy connection leaves from the client's own
 * address (unless it goes to a no-tproxy peer), so it belongs to that
 * client alone: it is neither taken from
 * the idle pool nor given to it, whoever made it (forward, or a bump's
 * connection to read the server's certificate).
 */
int
forward_shares_connections(const struct xact *x)
{
	const struct cfg_peer *peer = xact_peer(x);

	/* as intercept_spoof decides: not toward a no-tproxy peer */
	return x->icpt.mode != INTERCEPT_TPROXY ||
	    (peer != NULL && peer->no_tproxy);
}

/* Whether a server connection x is done with goes to the idle pool. */
int
forward_poolable(const struct xact *x)
{
	return worker_cfg->server_persistent_connections &&
	    forward_shares_connections(x);
}

void
forward_release(struct xact *x, int done)
{
	struct srv *s = x->srv;

	if (s == NULL)
		return;
	log_check(s->xact == x);
	x->srv = NULL;
	if (done && x->rep_head != NULL && x->repbody.done &&
	    x->reqbody.done && x->rep.keep_alive && !x->early_reply &&
	    forward_poolable(x))
		pconn_put(s);
	else
		srv_close(s);
}

/*
 * A pooled connection failed before any byte of the response (EOF, reset,
 * EPIPE): the server closed it as we sent.  Send the request again, once,
 * on a new connection.
 */
static int
forward_retry(struct xact *x)
{
	struct srv *s = x->srv;

	if (s == NULL || !s->reused || x->fwd.retried || !x->fwd.replayable ||
	    x->fwd.rep_started)
		return 0;
	/* the lost connection was a try (Squid's FwdState::checkRetry) */
	if (x->fwd.tries >= worker_cfg->forward_max_tries)
		return 0;
	x->fwd.retried = 1;
	x->srv = NULL;
	srv_close(s);
	ev_timer_stop(&x->timer);	/* the lost attempt's read_timeout */
	x->fwd.addr_idx = 0;
	log_debug(11, 2, "pooled connection closed; retrying %s", x->url_str);
	forward_dial(x, 0, forward_attach);
	return 1;
}

static int64_t
forward_reply_limit(struct xact *x)
{
	int64_t size = xact_size_rule(x, worker_cfg->reply_body_max_size, -1);

	return size > 0 ? size : -1;
}

static int
forward_reply_allowed(struct xact *x)
{
	struct acl_checklist cl;
	int action = ACCESS_ALLOW;

	if (worker_cfg->http_reply_access.head == NULL)
		return 1;
	xact_checklist(x, &cl);
	if (access_check(&worker_cfg->http_reply_access, &cl, ACCESS_ALLOW,
	    &action, NULL) != ACL_MATCH)
		return 0;
	return action == ACCESS_ALLOW;
}

/* A complete response head is at the start of srv->in. */
static enum fwd_head
forward_got_head(struct xact *x, struct http_msg *m)
{
	struct srv *s = x->srv;
	struct conn *c = x->conn;

	if (m->status >= 100 && m->status < 200 && m->status != 101) {
		/*
		 * Interim: relayed to HTTP/1.1 clients (an HTTP/1.0 one would
		 * take it for the final response), never stored, and its
		 * fields stay out of the final response.  An unsolicited 100
		 * Continue too: RFC 9110 15.2 has a proxy forward every 1xx
		 * it did not ask for itself, and Squid 5.7 does.
		 */
		if (c != NULL && x->req.vminor >= 1) {
			size_t rel = buf_avail(&c->out);

			headers_build_interim(m, &c->out);
			hdr_mangle_head(x, HDR_MANGLE_REPLY, m, &c->out, rel);
		}
		buf_consume(&s->in, m->head_len);
		http_msg_free(m);
		return FWD_HEAD_RELAY;
	}
	x->rep_head = xmalloc(m->head_len + 1);
	memcpy(x->rep_head, buf_head(&s->in), m->head_len);
	x->rep_head[m->head_len] = '\0';
	x->rep = *m;
	headers_rebase(&x->rep, buf_head(&s->in), x->rep_head);
	buf_consume(&s->in, m->head_len);
	x->log.upstream_status = x->rep.status;
	x->log.reply_header_size = (int64_t)m->head_len;
	x->log.upstream_ms = (long)(ev_now() - x->upstream_started_ms);

	if (x->rep.status == 101) {
		/* Squid: a 101 http_reply_access denies is a bad response */
		if (!forward_reply_allowed(x))
			xact_fail(x, 502, "ERR_INVALID_RESP", 0);
		else
			upgrade_switch(x);
		return FWD_HEAD_TAKEN;
	}
	if (!forward_reply_allowed(x)) {
		xact_tag(x, "TCP_DENIED_REPLY");
		xact_fail(x, 403, "ERR_ACCESS_DENIED", 0);
		return FWD_HEAD_TAKEN;
	}
	x->fwd.reply_limit = forward_reply_limit(x);
	if (x->fwd.reply_limit >= 0 && x->rep.body == HTTP_BODY_LENGTH &&
	    x->rep.content_length > x->fwd.reply_limit) {
		xact_tag(x, "TCP_DENIED_REPLY");
		xact_fail(x, 403, "ERR_TOO_BIG", 0);
		return FWD_HEAD_TAKEN;
	}
	body_init(&x->repbody, x->rep.body, x->rep.content_length);
	if (strcmp(x->method, "HEAD") == 0)
		x->repbody.done = 1;
	/* broken chunking that arrived with the head still gets a 502 */
	if (x->rep.body == HTTP_BODY_CHUNKED) {
		struct body peek = x->repbody;
		if (body_scan(&peek, &s->in) == -1) {
			log_debug(11, 2, "invalid chunked response from %s",
			    x->url_str);
			xact_fail(x, 502, "ERR_INVALID_RESP", 0);
			return FWD_HEAD_TAKEN;
		}
	}
	if (x->rep.body == HTTP_BODY_EOF)
		x->keep_client = 0;
	if (x->rep.body == HTTP_BODY_CHUNKED && x->req.vminor == 0) {
		x->fwd.dechunk = 1;
		x->keep_client = 0;
	}
	if (!x->reqbody.done) {
		x->early_reply = 1;
		x->keep_client = 0;
	}
	struct cache_outcome v;
	if (cache_on_response(x, &v)) {
		/* the cache takes over: a 304 leaves the connection reusable */
		forward_release(x, x->rep.status == 304);
		xact_route(x, &v);
		return FWD_HEAD_TAKEN;
	}
	cache_range_on_response(x);
	x->log.status = x->cache.range_window ? 206 : x->rep.status;
	if (c != NULL)
		headers_build_response(x, &c->out);
	x->head_sent = 1;
	xact_set_state(x, XS_RELAY);
	if (worker_cfg->delay_npools > 0 && c != NULL &&
	    (x->delay = delay_pick(x, forward_resume)) != NULL)
		/* what came with the head was read for this client too */
		delay_bytes_in(x->delay, buf_avail(&s->in) + m->head_len);
	return FWD_HEAD_RELAY;
}

/*
 * read_ahead_gap: how much of the response may wait here for a slow
 * client before we stop reading from the server (one read may bring a
 * chunk more).
 */
static int
forward_may_read_ahead(const struct xact *x)
{
	int64_t gap = worker_cfg->read_ahead_gap;

	return gap < 0 || (int64_t)buf_avail(&x->srv->in) < gap;
}

/*
 * delay_pools: how much of the response may be read now (0: the delay
 * timer resumes the pump).  A client that left is not limited, as in
 * Squid, where a response nobody reads has no delay id.
 */
static inline size_t
forward_read_size(struct xact *x)
{
	if (x->delay == NULL || x->detached)
		return FWD_READ_CHUNK;
	return delay_allowance(x->delay, FWD_READ_CHUNK);
}

static void
forward_set_events(struct xact *x)
{
	struct srv *s = x->srv;
	struct conn *c = x->conn;
	uint32_t ev = 0;

	if (s == NULL)
		return;
	if ((buf_avail(&s->out) > 0 && !x->early_reply) ||
	    tls_io_wants_write(s->ssl))
		ev |= EPOLLOUT;
	if (x->state == XS_FORWARD)
		ev |= EPOLLIN;
	else if (x->state == XS_RELAY && !x->repbody.done &&
	    (c == NULL || buf_avail(&c->out) == 0) &&
	    forward_may_read_ahead(x) && !cache_hold_upstream(x) &&
	    forward_read_size(x) > 0)
		ev |= EPOLLIN;
	ev_io_set(&s->io, ev);
	if (c != NULL)
		xact_client_update(x);
	else if (buf_avail(&s->in) > 0 && !cache_hold_upstream(x))
		/* no client event will come: go on after the loop turns */
		ev_timer_start(&x->resume, 0);
}

/* Move request body bytes from the client buffer to the server queue. */
static enum fwd_body
forward_request_body(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;
	enum fwd_body r = FWD_BODY_IDLE;

	if (x->early_reply || x->detached)
		return FWD_BODY_IDLE;
	if (!x->reqbody.done && body_scan(&x->reqbody, &c->in) == -1)
		return FWD_BODY_BAD;
	if (x->reqbody.pending > 0 && buf_avail(&s->out) < FWD_HIGH_WATER) {
		buf_append(&s->out, buf_head(&c->in), x->reqbody.pending);
		if (x->fwd.replayable && s->reused && !x->fwd.retried)
			buf_append(&x->fwd.body, buf_head(&c->in),
			    x->reqbody.pending);
		buf_consume(&c->in, x->reqbody.pending);
		x->reqbody.pending = 0;
		r = FWD_BODY_MOVED;
	}
	if (worker_cfg->request_body_max_size > 0 &&
	    x->reqbody.payload > worker_cfg->request_body_max_size)
		return FWD_BODY_TOO_LARGE;
	return r;
}

/*
 * The origin has sent the whole body: store it now, not after the last write
 * to the client, so that a request arriving meanwhile (a slow client's,
 * another worker's) finds it stored and collapsed followers wake at once.
 * cache_on_finish at the transaction's end then has nothing left to do.
 */
static inline void
forward_store_when_done(struct xact *x)
{
	if (x->repbody.done && x->cache.storing)
		cache_on_finish(x, 1);
}

static enum fwd_step
forward_relay_dechunked(struct xact *x)
{
	struct conn *c = x->conn;

	if (x->detached) {
		/* no client: the payload only feeds the cache's sink */
		struct buf discard;
		buf_init(&discard);
		int r = body_dechunk(&x->repbody, &x->srv->in, &discard);
		int moved = buf_avail(&discard) > 0;
		buf_free(&discard);
		if (r == -1) {
			xact_end(x, XACT_CUT, NULL, "broken chunked response");
			return FWD_ENDED;
		}
		forward_store_when_done(x);
		return moved ? FWD_MOVED : FWD_IDLE;
	}
	if (conn_flush(c) == -1) {
		xact_client_gone(x, "client write failed");
		return FWD_ENDED;
	}
	if (buf_avail(&c->out) > 0)
		return FWD_BLOCKED;
	if (body_dechunk(&x->repbody, &x->srv->in, &c->out) == -1) {
		xact_end(x, XACT_CUT, NULL, "broken chunked response");
		return FWD_ENDED;
	}
	forward_store_when_done(x);
	return buf_avail(&c->out) > 0 ? FWD_MOVED : FWD_IDLE;
}

/*
 * Write queued output (the response head) and the validated body bytes at
 * the head of the server buffer with one writev: a small response costs
 * one system call.
 */
static enum fwd_step
forward_relay(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;
	struct iovec iov[2];
	int n = 0;

	if (body_scan(&x->repbody, &s->in) == -1) {
		xact_end(x, XACT_CUT, NULL, "broken chunked response");
		return FWD_ENDED;
	}
	if (x->fwd.reply_limit >= 0 && x->repbody.payload > x->fwd.reply_limit) {
		xact_end(x, XACT_ABORT, NULL, "reply_body_max_size");
		return FWD_ENDED;
	}
	forward_store_when_done(x);
	if (x->detached) {
		/* no client: validated bytes only fed the cache's sink */
		size_t n = x->repbody.pending;
		buf_consume(&s->in, n);
		x->repbody.pending = 0;
		return n > 0 ? FWD_MOVED : FWD_IDLE;
	}
	if (buf_avail(&c->out) > 0) {
		iov[n].iov_base = buf_head(&c->out);
		iov[n++].iov_len = buf_avail(&c->out);
	}
	size_t body = x->cache.range_window ? cache_range_clip(x, &s->in) :
	    x->repbody.pending;
	if (body > 0) {
		iov[n].iov_base = buf_head(&s->in);
		iov[n++].iov_len = body;
	}
	if (n == 0)
		return FWD_IDLE;
	ssize_t w = tls_io_writev(c->fd, c->ssl, iov, n);
	if (w == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return FWD_BLOCKED;
		xact_client_gone(x, "client write failed");
		return FWD_ENDED;
	}
	x->log.bytes_out += w;
	size_t head = buf_avail(&c->out) < (size_t)w ? buf_avail(&c->out) :
	    (size_t)w;
	buf_consume(&c->out, head);
	w -= (ssize_t)head;
	buf_consume(&s->in, (size_t)w);
	x->repbody.pending -= (size_t)w;
	if (x->cache.range_window) {
		x->cache.range_pos += w;
		cache_range_clip(x, &s->in);	/* drop what follows it */
	}
	if (buf_avail(&c->out) > 0 || x->repbody.pending > 0)
		return FWD_BLOCKED;
	return FWD_MOVED;
}

static void
forward_pump(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;

	/*
	 * Bounded work per call: other connections get their turn, and the
	 * event loop runs (a cache_dir's answers arrive through it).
	 */
	uint64_t budget_end = x->log.bytes_out + FWD_TURN_BYTES;
	int64_t payload_end = x->repbody.payload + FWD_TURN_BYTES;
	for (int round = 0; round < 64; round++) {
		int progress = 0;

		if (x->state != XS_FORWARD && x->state != XS_RELAY)
			return;
		if ((uint64_t)x->log.bytes_out > budget_end ||
		    (x->detached && x->repbody.payload > payload_end))
			break;
		s = x->srv;
		/* request body up */
		enum fwd_body rb = forward_request_body(x);
		if (rb == FWD_BODY_BAD) {
			x->keep_client = 0;
			if (x->head_sent)
				xact_end(x, XACT_ABORT, NULL, "bad chunked request body");
			else
				xact_fail(x, 400, "ERR_INVALID_REQ", 0);
			return;
		}
		if (rb == FWD_BODY_TOO_LARGE) {
			if (x->head_sent)
				xact_end(x, XACT_ABORT, NULL, "request body too large");
			else
				xact_fail(x, 413, "ERR_TOO_BIG", 0);
			return;
		}
		progress |= rb == FWD_BODY_MOVED;
		if (!x->detached && c->read_eof && !x->reqbody.done &&
		    buf_avail(&c->in) == 0) {
			xact_end(x, XACT_ABORT, NULL, "client closed during the request body");
			return;
		}
		while (buf_avail(&s->out) > 0 && !x->early_reply) {
			ssize_t n = tls_io_write(s->fd, s->ssl,
			    buf_head(&s->out), buf_avail(&s->out));
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				if (forward_retry(x))
					return;
				/* the server may have answered already */
				buf_consume(&s->out, buf_avail(&s->out));
				x->early_reply = 1;
				break;
			}
			buf_consume(&s->out, (size_t)n);
			heritage.counters->server_http_bytes_out += (uint64_t)n;
			progress = 1;
		}

		/* response down */
		if (x->state == XS_RELAY) {
			enum fwd_step w = x->fwd.dechunk ?
			    forward_relay_dechunked(x) : forward_relay(x);
			if (w == FWD_ENDED)
				return;
			/*
			 * FWD_BLOCKED: the client is not reading; the server
			 * may still be read up to read_ahead_gap below.
			 */
			progress |= w == FWD_MOVED;
			if (x->repbody.done && x->repbody.pending == 0 &&
			    (c == NULL || buf_avail(&c->out) == 0)) {
				if (!x->reqbody.done)
					x->early_reply = 1;
				xact_end(x, 0, NULL, NULL);
				return;
			}
		}

		/* read from the server */
		size_t want = FWD_READ_CHUNK;
		if (x->state == XS_FORWARD || (x->state == XS_RELAY &&
		    forward_may_read_ahead(x) && !x->repbody.done &&
		    !cache_hold_upstream(x) &&
		    (want = forward_read_size(x)) > 0)) {
			ssize_t n = tls_io_read(s->fd, s->ssl, &s->in, want);
			if (n > 0) {
				if (x->delay != NULL && x->state == XS_RELAY)
					delay_bytes_in(x->delay, (size_t)n);
				heritage.counters->server_http_bytes_in +=
				    (uint64_t)n;
				x->fwd.rep_started = 1;
				progress = 1;
				ev_timer_start(&x->timer, worker_cfg->read_timeout);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				int err = n == 0 ? 0 : errno;
				if (x->state == XS_FORWARD) {
					if (forward_retry(x))
						return;
					/* Squid 5.7: a reset is a read error;
					   an EOF, or a TLS failure, before
					   any byte is a zero-size reply */
					if (buf_avail(&s->in) == 0 &&
					    (err == 0 || s->ssl != NULL)) {
						xact_fail(x, 502,
						    "ERR_ZERO_SIZE_OBJECT", err);
						return;
					}
					if (err == 0) {
						xact_fail(x, 502,
						    "ERR_INVALID_RESP", 0);
						return;
					}
					xact_fail(x, 502, "ERR_READ_ERROR", err);
					return;
				}
				body_scan(&x->repbody, &s->in);
				if (err == 0)
					body_eof(&x->repbody);
				if (!x->repbody.done) {
					xact_end(x, XACT_CUT, NULL, "server closed mid-body");
					return;
				}
				x->rep.keep_alive = 0;
				progress = 1;
				continue;
			}
		}
		if (x->state == XS_FORWARD && buf_avail(&s->in) > 0) {
			struct http_msg m;
			struct http_parse_error err;
			memset(&m, 0, sizeof(m));
			enum http_parse_result r = http_parse_response(&m,
			    buf_head(&s->in), buf_avail(&s->in),
			    (size_t)worker_cfg->reply_header_max_size,
			    x->method, strlen(x->method), &err);
			if (r == HTTP_PARSE_ERROR) {
				http_msg_free(&m);
				log_debug(11, 2, "invalid response from %s: %s",
				    x->url_str, err.reason);
				xact_fail(x, 502, err.code ==
				    HTTP_PERR_HEAD_TOO_LARGE ?
				    "ERR_TOO_BIG" : "ERR_INVALID_RESP", 0);
				return;
			}
			if (r == HTTP_PARSE_OK) {
				if (forward_got_head(x, &m) == FWD_HEAD_TAKEN)
					return;
				progress = 1;
				continue;
			}
			http_msg_free(&m);
		}
		if (!progress)
			break;
	}
	forward_set_events(x);
}

void
forward_resume(struct ev_timer *t)
{
	forward_client_event(t->arg);
}

void
forward_client_event(struct xact *x)
{
	if (x->state == XS_FORWARD || x->state == XS_RELAY)
		forward_pump(x);
	else
		xact_client_update(x);
}
