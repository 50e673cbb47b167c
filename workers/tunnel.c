/*
 * CONNECT tunnel.  Each direction splices from the source socket into a pipe
 * borrowed from the worker's pool, then from the pipe into the destination
 * socket; when descriptors are too short for a pipe, it copies through a
 * user-space buffer instead.  A direction whose source reached EOF and that
 * holds no bytes half-closes its destination (shutdown SHUT_WR), so
 * protocols that rely on half-close work.  The tunnel ends when both
 * directions are finished or a socket fails.  An upgraded request (a 101
 * Switching Protocols, upgrade.c) becomes the same tunnel through
 * tunnel_switch, through TLS on either end when the client or server has it.
 * delay_pools limit what a tunnel reads from the server (the client's
 * bytes go up unlimited, as in Squid 5.7): a read takes no more than the
 * pool's buckets allow, and with them empty the server side is left alone
 * until the delay id's timer fires.
 *
 * In DESIGN.md's data flow: CONNECT - splice: byte tunnel.
 */
#include "config.h"
#include "tunnel.h"
#include "cfg.h"
#include "conn.h"
#include "delay.h"
#include "http_parse.h"
#include "xact.h"
#include "dns.h"
#include "forward.h"
#include "heritage.h"
#include "log.h"
#include "pconn.h"
#include "stat_share.h"
#include "tunnel_pipe.h"
#include "tls_io.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The user-space buffer of a direction without a pipe. */
#define TUNNEL_COPY_SIZE (64 * 1024)

static const char tunnel_established[] =
    "HTTP/1.1 200 Connection established\r\n\r\n";

static void tunnel_pump(struct xact *x);

static void
tunnel_dir_release(struct tunnel_dir *d)
{
	if (d->has_pipe) {
		tunnel_pipe_put(d->pipe, d->in_pipe);
		d->has_pipe = 0;
		d->in_pipe = 0;
	}
	free(d->copy);
	d->copy = NULL;
	d->copy_len = d->copy_off = 0;
}

void
tunnel_release_dirs(struct xact *x)
{
	tunnel_dir_release(&x->tun.up);
	tunnel_dir_release(&x->tun.down);
}

/* An event on a direction's source: it may have bytes or news again. */
static void
tunnel_source_event(struct tunnel_dir *d, uint32_t revents)
{
	if (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		d->src_idle = 0;
}

static void
tunnel_server_io(struct ev_io *io, uint32_t revents)
{
	struct xact *x = io->arg;

	tunnel_source_event(&x->tun.down, revents);
	tunnel_pump(x);
}

void
tunnel_client_event(struct xact *x, uint32_t revents)
{
	tunnel_source_event(&x->tun.up, revents);
	tunnel_pump(x);
}

static void
tunnel_end(struct xact *x)
{
	x->keep_client = 0;
	xact_end(x, 0, NULL, NULL);
}

static size_t
tunnel_dir_pending(const struct tunnel_dir *d)
{
	return d->in_pipe + (d->copy_len - d->copy_off);
}

/* The direction may take more bytes from its source. */
static int
tunnel_dir_room(const struct tunnel_dir *d)
{
	if (d->eof || d->delayed)
		return 0;
	return d->has_pipe ? d->in_pipe < TUNNEL_PIPE_MAX :
	    d->copy_off == d->copy_len;
}

/*
 * delay_pools: how many of want bytes the direction may read from its
 * source now (delay NULL: all).  0: the buckets are empty; the direction
 * waits for the delay id's timer (tunnel_delay_resume).
 */
static size_t
tunnel_allowance(struct tunnel_dir *d, struct delay_id *delay, size_t want)
{
	if (delay == NULL)
		return want;
	want = delay_allowance(delay, want);
	if (want == 0)
		d->delayed = 1;
	return want;
}

/* Returns 1 on progress, 0 when blocked, -1 on a socket error. */
static int
tunnel_splice(struct tunnel_dir *d, int from, int to, int64_t *count,
    struct delay_id *delay)
{
	int progress = 0;
	size_t want;

	if (!d->eof && !d->src_idle && !d->delayed &&
	    d->in_pipe < TUNNEL_PIPE_MAX &&
	    (want = tunnel_allowance(d, delay,
	    TUNNEL_PIPE_MAX - d->in_pipe)) > 0) {
		ssize_t n = splice(from, NULL, d->pipe[1], NULL, want,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			if (delay != NULL)
				delay_bytes_in(delay, (size_t)n);
			d->in_pipe += (size_t)n;
			d->src_idle = (size_t)n < want;
			progress = 1;
		} else if (n == 0) {
			d->eof = 1;
			progress = 1;
		} else if (errno == EAGAIN) {
			d->src_idle = 1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	if (d->in_pipe > 0) {
		ssize_t n = splice(d->pipe[0], NULL, to, NULL, d->in_pipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->in_pipe -= (size_t)n;
			*count += n;
			progress = 1;
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	return progress;
}

/*
 * Like tunnel_splice, through the user-space buffer; an end with an SSL
 * session (a client of an https_port) is read and written through TLS.
 */
static int
tunnel_copy(struct tunnel_dir *d, int from, SSL *from_ssl, int to,
    SSL *to_ssl, int64_t *count, struct delay_id *delay)
{
	int progress = 0;
	size_t want;

	if (!d->eof && !d->delayed && d->copy_off == d->copy_len &&
	    (want = tunnel_allowance(d, delay, TUNNEL_COPY_SIZE)) > 0) {
		if (d->copy == NULL)
			d->copy = xmalloc(TUNNEL_COPY_SIZE);
		ssize_t n = tls_io_recv(from, from_ssl, d->copy, want);
		if (n > 0) {
			if (delay != NULL)
				delay_bytes_in(delay, (size_t)n);
			d->copy_off = 0;
			d->copy_len = (size_t)n;
			progress = 1;
		} else if (n == 0) {
			d->eof = 1;
			progress = 1;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (d->copy_off < d->copy_len) {
		ssize_t n = tls_io_write(to, to_ssl, d->copy + d->copy_off,
		    d->copy_len - d->copy_off);
		if (n > 0) {
			d->copy_off += (size_t)n;
			*count += n;
			progress = 1;
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	return progress;
}

/*
 * Move one direction, reading its source through delay (NULL: no limit).
 * Returns 1 on progress, 0 when blocked, -1 on a socket error.
 */
static int
tunnel_move(struct tunnel_dir *d, int from, SSL *from_ssl, int to,
    SSL *to_ssl, int64_t *count, struct delay_id *delay)
{
	int progress;

	/* a pipe only once copied bytes are gone, so bytes stay in order;
	 * never through TLS, which splice cannot see */
	if (!d->has_pipe && d->copy_off == d->copy_len && !d->eof &&
	    !d->delayed && from_ssl == NULL && to_ssl == NULL &&
	    tunnel_pipe_get(d->pipe) == 0) {
		d->has_pipe = 1;
		free(d->copy);
		d->copy = NULL;
		d->copy_len = d->copy_off = 0;
	}
	if (d->has_pipe) {
		progress = tunnel_splice(d, from, to, count, delay);
	} else {
		if (d->copy == NULL)
			log_debug(26, 3, "tunnel: no pipe to spare; copying");
		progress = tunnel_copy(d, from, from_ssl, to, to_ssl, count,
		    delay);
	}
	if (progress == -1)
		return -1;
	/* an empty pipe goes back to the pool for a busier tunnel */
	if (d->has_pipe && d->in_pipe == 0) {
		tunnel_pipe_put(d->pipe, 0);
		d->has_pipe = 0;
	}
	if (d->eof && tunnel_dir_pending(d) == 0 && !d->shut) {
		if (to_ssl != NULL)
			SSL_shutdown(to_ssl);	/* close_notify first */
		shutdown(to, SHUT_WR);
		d->shut = 1;
		progress = 1;
	}
	return progress;
}

/* mgr:counters' server.other: the bytes one pump moved each way. */
static void
tunnel_count(int64_t up, int64_t down)
{
	heritage.counters->server_other_bytes_out += (uint64_t)up;
	heritage.counters->server_other_bytes_in += (uint64_t)down;
}

static void
tunnel_pump(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;
	int64_t up = 0, down0 = x->log.bytes_out;

	for (int round = 0; round < 16; round++) {
		/* delay pools limit what is read from the server only */
		int a = tunnel_move(&x->tun.up, c->fd, c->ssl, s->fd, s->ssl,
		    &up, NULL);
		int b = tunnel_move(&x->tun.down, s->fd, s->ssl, c->fd, c->ssl,
		    &x->log.bytes_out, x->delay);
		if (a == -1 || b == -1) {
			tunnel_count(up, x->log.bytes_out - down0);
			tunnel_end(x);
			return;
		}
		if (x->tun.up.shut && x->tun.down.shut) {
			/* the client's FIN is read: close, no lingering */
			c->read_eof = 1;
			x->log.bytes_in += up;
			tunnel_count(up, x->log.bytes_out - down0);
			tunnel_end(x);
			return;
		}
		if (a == 0 && b == 0)
			break;
	}
	x->log.bytes_in += up;
	tunnel_count(up, x->log.bytes_out - down0);
	/* plaintext TLS has already read is not signalled by the socket */
	if ((tunnel_dir_room(&x->tun.up) && c->ssl != NULL &&
	    SSL_has_pending(c->ssl)) || (tunnel_dir_room(&x->tun.down) &&
	    s->ssl != NULL && SSL_has_pending(s->ssl)))
		ev_timer_start(&x->resume, 0);
	ev_timer_start(&x->timer, worker_cfg->read_timeout);
	uint32_t sev = 0;
	if (tunnel_dir_room(&x->tun.down))
		sev |= EPOLLIN;
	if (tunnel_dir_pending(&x->tun.up) > 0)
		sev |= EPOLLOUT;
	xact_client_update(x);
	/*
	 * A server side waiting for its delay pool is not watched at all:
	 * epoll reports a hang-up even for no events, which would spin here
	 * until the buckets fill.
	 */
	if (sev == 0 && x->tun.down.delayed)
		ev_io_stop(&s->io);
	else
		ev_io_set(&s->io, sev);
}

unsigned
tunnel_client_wants(const struct xact *x)
{
	unsigned want = 0;

	if (tunnel_dir_room(&x->tun.up))
		want |= CONN_WANT_READ;
	if (tunnel_dir_pending(&x->tun.down) > 0)
		want |= CONN_WANT_WRITE;
	return want;
}

static void
tunnel_idle_timeout(struct ev_timer *t)
{
	tunnel_end(t->arg);
}

static void
tunnel_resume(struct ev_timer *t)
{
	tunnel_pump(t->arg);
}

/* The delay id's timer: the buckets have bytes for the server side again. */
static void
tunnel_delay_resume(struct ev_timer *t)
{
	struct xact *x = t->arg;

	x->tun.down.delayed = 0;
	if (x->state == XS_TUNNEL)
		tunnel_pump(x);
}

/*
 * delay_pools: the pool the tunnel reads from the server through, picked
 * with the request that opens it (a CONNECT, or an upgraded request), as
 * Squid 5.7 does in tunnelStart and switchToTunnel.  Neither shows
 * delay_access the reply: an upgrade's 101 is hidden (upgraded).  No
 * pool: no id, no timer, nothing to pay.
 */
static void
tunnel_delay_pick(struct xact *x, int upgraded)
{
	if (worker_cfg->delay_npools == 0 || x->conn == NULL)
		return;
	delay_release(x->delay);
	char *rep_head = x->rep_head;
	if (upgraded)
		x->rep_head = NULL;	/* xact_checklist: no reply */
	x->delay = delay_pick(x, tunnel_delay_resume);
	x->rep_head = rep_head;
}

/* Both connections are x's: move bytes until either side is done. */
static void
tunnel_run(struct xact *x)
{
	xact_set_state(x, XS_TUNNEL);
	ev_io_set_cb(&x->srv->io, tunnel_server_io, x);
	ev_timer_set_cb(&x->timer, tunnel_idle_timeout);
	ev_timer_set_cb(&x->resume, tunnel_resume);
	tunnel_pump(x);
}

/* Bytes a direction sends before any it reads itself. */
static void
tunnel_dir_seed(struct tunnel_dir *d, struct buf *b)
{
	size_t n = buf_avail(b);

	if (n == 0)
		return;
	d->copy = xmalloc(n > TUNNEL_COPY_SIZE ? n : TUNNEL_COPY_SIZE);
	memcpy(d->copy, buf_head(b), n);
	d->copy_off = 0;
	d->copy_len = n;
	buf_consume(b, n);
}

static void
tunnel_buf_take(struct buf *to, struct buf *from)
{
	if (buf_avail(from) == 0)
		return;
	buf_append(to, buf_head(from), buf_avail(from));
	buf_consume(from, buf_avail(from));
}

void
tunnel_switch(struct xact *x, struct buf *up1, struct buf *up2,
    struct buf *down1, struct buf *down2)
{
	struct buf up, down;

	buf_init(&up);
	buf_init(&down);
	tunnel_buf_take(&up, up1);
	tunnel_buf_take(&up, up2);
	tunnel_buf_take(&down, down1);
	tunnel_buf_take(&down, down2);
	tunnel_dir_seed(&x->tun.up, &up);
	tunnel_dir_seed(&x->tun.down, &down);
	buf_free(&up);
	buf_free(&down);
	ev_timer_stop(&x->timer);
	tunnel_delay_pick(x, 1);
	tunnel_run(x);
}

/* The way to the server is open: answer 200 and start moving bytes. */
static void
tunnel_open(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;

	x->tun.dialing = 0;

	xact_tag(x, "TCP_TUNNEL");
	x->log.status = 200;
	x->head_sent = 1;
	/* bytes the client sent after the CONNECT head go first */
	if (buf_avail(&c->in) > 0) {
		ssize_t n = tls_io_write(s->fd, s->ssl, buf_head(&c->in),
		    buf_avail(&c->in));
		if (n > 0) {
			x->log.bytes_in += n;
			tunnel_count(n, 0);
			buf_consume(&c->in, (size_t)n);
		}
		if (buf_avail(&c->in) > 0) {
			/* rare: fall back to a blocking push of the rest */
			int fl = fcntl(s->fd, F_GETFL);
			fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK);
			while (buf_avail(&c->in) > 0) {
				n = tls_io_write(s->fd, s->ssl,
				    buf_head(&c->in), buf_avail(&c->in));
				if (n <= 0)
					break;
				tunnel_count(n, 0);
				buf_consume(&c->in, (size_t)n);
			}
			fcntl(s->fd, F_SETFL, fl);
		}
	}
	if (!x->tun.answered && tls_io_write(c->fd, c->ssl, tunnel_established,
	    sizeof(tunnel_established) - 1) !=
	    (ssize_t)(sizeof(tunnel_established) - 1)) {
		tunnel_end(x);
		return;
	}
	/* a parent's bytes that came right after its 200 */
	if (buf_avail(&s->in) > 0) {
		if (x->delay != NULL)
			delay_bytes_in(x->delay, buf_avail(&s->in));
		int fl = fcntl(c->fd, F_GETFL);
		fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
		while (buf_avail(&s->in) > 0) {
			ssize_t n = tls_io_write(c->fd, c->ssl,
			    buf_head(&s->in), buf_avail(&s->in));
			if (n <= 0)
				break;
			x->log.bytes_out += n;
			tunnel_count(0, n);
			buf_consume(&s->in, (size_t)n);
		}
		fcntl(c->fd, F_SETFL, fl);
	}
	/*
	 * What either side sent since is in its socket, and epoll (level
	 * triggered) says so: no splice() on spec that finds nothing.
	 */
	x->tun.up.src_idle = x->tun.down.src_idle = 1;
	tunnel_run(x);
}

/*
 * Through a parent proxy: its answer to our CONNECT.  A 2xx opens the
 * tunnel; anything else goes to the client as the parent sent it (as far
 * as it came with the head), and the connection closes.
 */
static void
tunnel_parent_io(struct ev_io *io, uint32_t revents)
{
	struct xact *x = io->arg;
	struct srv *s = x->srv;
	int status;
	size_t head;

	(void)revents;
	switch (peer_connect_exchange(s, &status, &head)) {
	case PEER_CONNECT_WAIT:
		return;
	case PEER_CONNECT_WRITE_FAILED:
		xact_fail(x, 503, "ERR_CONNECT_FAIL", errno);
		return;
	case PEER_CONNECT_READ_FAILED:
		xact_fail(x, 502, "ERR_READ_ERROR", errno);
		return;
	case PEER_CONNECT_BAD_ANSWER:
		xact_fail(x, 502, "ERR_INVALID_RESP", 0);
		return;
	case PEER_CONNECT_ANSWERED:
		break;
	}
	ev_timer_stop(&x->timer);
	x->log.upstream_status = status;
	if (status >= 200 && status < 300) {
		/* Squid reads the parent's answer through the pool too */
		if (x->delay != NULL)
			delay_bytes_in(x->delay, head);
		buf_consume(&s->in, head);
		tunnel_open(x);
		return;
	}
	peer_connect_refused(x, s, status);
}

static void
tunnel_parent_timeout(struct ev_timer *t)
{
	struct xact *x = t->arg;

	xact_fail(x, 504, "ERR_READ_TIMEOUT", ETIMEDOUT);
}

/* Server (or parent) connected. */
static void
tunnel_connected(struct xact *x, struct srv *s)
{
	const struct cfg_peer *peer = xact_peer(x);

	x->srv = s;
	s->xact = x;
	x->log.server = s->addr;
	/* Squid's connectDone: a tunnel through a no-delay peer is not
	   limited */
	if (peer != NULL && peer->no_delay) {
		delay_release(x->delay);
		x->delay = NULL;
	}
	if (peer == NULL || peer->originserver) {
		tunnel_open(x);
		return;
	}
	peer_connect_request(x, x->url_str, &s->out);
	ev_io_set_cb(&s->io, tunnel_parent_io, x);
	ev_io_set(&s->io, EPOLLOUT | EPOLLIN);
	ev_timer_set_cb(&x->timer, tunnel_parent_timeout);
	ev_timer_start(&x->timer, worker_cfg->read_timeout);
}

void
tunnel_start(struct xact *x)
{
	x->keep_client = 0;
	/* Squid counts a tunnel as it starts to dial (tunnelStart) */
	heritage.counters->server_other_requests++;
	/* until the tunnel is up the request logs as NONE_NONE, as in Squid */
	x->tun.dialing = 1;
	tunnel_delay_pick(x, 0);
	forward_open(x, 0, tunnel_connected);
}
