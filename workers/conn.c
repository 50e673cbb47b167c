/*
 * Client side: the socket of one accepted connection.  It reads and parses
 * one request head at a time and hands it to a transaction (xact.c); when
 * the transaction ends it either parses the next (pipelined) request
 * already buffered, waits for one, or closes, lingering so that the
 * response is not destroyed by a reset.  This file is the only one that
 * sets the socket's event mask (conn_want).
 *
 * In DESIGN.md's data flow: accept - client connection - HTTP parse.
 */
#include "config.h"
#include "conn.h"
#include "auth_negotiate.h"
#include "cfg.h"
#include "fdbudget.h"
#include "intercept.h"
#include "ipcount.h"
#include "log.h"
#include "pconn.h"
#include "conn_tls.h"
#include "tls_io.h"
#include "bump_learn.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_READ_CHUNK	(16 * 1024)

static struct conn *conn_list;
static int conn_n;
/*
 * client_ip_max_connections: this worker's open client connections per
 * IP (Squid 5.7 counts per kid in its client_db), kept only while a limit
 * is on, so that the default costs the accept path one test.
 */
static struct ipcount *conn_ips;

static void conn_io(struct ev_io *io, uint32_t revents);
static void conn_timeout(struct ev_timer *t);
static void conn_next_request(struct conn *c);
static void conn_update(struct conn *c);

#define CONN_LINGER_MS	2000
#define CONN_LINGER_MAX	(1024 * 1024)
#define CONN_RETIRE_IDLE_MS	5000

/*
 * Close after the response went out.  Closing a socket with unread input
 * makes the kernel send RST, which can destroy the response before the
 * client reads it; so half-close, and drain what the client still sends
 * for a short while.
 */
static void
conn_end(struct conn *c)
{
	if (c->read_eof || c->lingering) {
		conn_close(c);
		return;
	}
	c->lingering = 1;
	if (c->ssl != NULL)
		conn_tls_close_notify(c);
	shutdown(c->fd, SHUT_WR);
	buf_consume(&c->in, buf_avail(&c->in));
	conn_want(c, CONN_WANT_READ);
	ev_timer_start(&c->timer, CONN_LINGER_MS);
}

static void
conn_linger_read(struct conn *c)
{
	char sink[16384];
	size_t total = 0;

	for (;;) {
		ssize_t n = read(c->fd, sink, sizeof(sink));
		if (n > 0 && (total += (size_t)n) < CONN_LINGER_MAX)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(c);
		return;
	}
}

/* Squid logs a connection that ended before a request head as an error. */
static void
conn_log_no_request(struct conn *c)
{
	c->nrequests++;
	xact_log_no_request(c);
}

int
conn_count(void)
{
	return conn_n;
}

/*
 * Count connections per address for client_ip_max_connections and maxconn
 * ACLs, which need client_db on in Squid (clientdbEstablished is 0 off).
 */
static int
conn_ipmax_on(void)
{
	return (worker_cfg->client_ip_max_connections >= 0 ||
	    worker_cfg->acls.has_maxconn) && worker_cfg->client_db;
}

static void
conn_ip_count(struct conn *c)
{
	if (conn_ips == NULL)
		conn_ips = ipcount_new();
	ipcount_add(conn_ips, (struct sockaddr *)&c->peer, 1);
	c->ip_counted = 1;
}

/*
 * Squid 5.7's TcpAcceptor::oldAccept: more open connections from this
 * address than the limit (so a limit of N lets N + 1 stay open) and the
 * new one is closed at once, with a cache.log line each time, the
 * address written as ip:port.  No access.log line.
 */
static int
conn_ip_over_limit(const struct sockaddr_storage *peer)
{
	int limit = worker_cfg->client_ip_max_connections;
	const struct sockaddr *sa = (const struct sockaddr *)peer;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)peer;
	char ip[INET6_ADDRSTRLEN];
	int v6 = sa->sa_family == AF_INET6;

	if (limit < 0 || conn_ips == NULL || ipcount_get(conn_ips, sa) <= limit)
		return 0;
	if (v6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* Squid writes a mapped IPv4 address as IPv4 */
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip, sizeof(ip));
		v6 = 0;
	} else
		util_addr_str(sa, ip, sizeof(ip));
	log_debug(50, 1, "WARNING: %s%s%s:%d attempting more than %d "
	    "connections.", v6 ? "[" : "", ip, v6 ? "]" : "",
	    util_addr_port(sa), limit);
	return 1;
}

int
conn_ip_established(const struct sockaddr *sa)
{
	return conn_ips != NULL && sa != NULL ? ipcount_get(conn_ips, sa) : 0;
}

void
conn_reload(void)
{
	if (!conn_ipmax_on())
		return;
	for (struct conn *c = conn_list; c != NULL; c = c->next)
		if (!c->ip_counted)
			conn_ip_count(c);
}

void
conn_close(struct conn *c)
{
	if (c->xact == NULL && c->nrequests == 0)
		conn_log_no_request(c);
	if (c->xact != NULL)
		xact_client_closed(c->xact, "client connection closed");
	if (c->learn_name != NULL)	/* a bump waiting to see a request */
		bump_learn_conn_closed(c);
	ev_io_stop(&c->io);
	ev_timer_stop(&c->timer);
	ev_timer_stop(&c->life);
	conn_tls_free(c);
	auth_negotiate_conn_close(c);
	notes_free(&c->notes);
	close(c->fd);
	if (c->ip_counted)
		ipcount_add(conn_ips, (struct sockaddr *)&c->peer, -1);
	buf_free(&c->in);
	buf_free(&c->out);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conn_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	conn_n--;
	ev_defer_free(c);
	worker_conn_closed();
}

/* client_lifetime: the hard cap on a client connection, whatever it does. */
static void
conn_lifetime_over(struct ev_timer *t)
{
	struct conn *c = t->arg;

	log_debug(33, 2, "client_lifetime reached for a connection");
	if (c->xact != NULL && !c->xact->head_sent) {
		c->xact->keep_client = 0;
		xact_fail(c->xact, 504, "ERR_LIFETIME_EXP", ETIMEDOUT);
		return;
	}
	conn_close(c);
}

/*
 * A port bound to one address, without interception, accepts every
 * connection on that very address: no getsockname per connection.
 */
static int
conn_local_is_port(const struct cfg_port *port)
{
	const struct sockaddr_storage *a = &port->addr;

	if (port->intercept || port->tproxy)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr !=
		    htonl(INADDR_ANY);
	if (a->ss_family == AF_INET6)
		return !IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)a)->sin6_addr);
	return 0;
}

/*
 * Accept a few connections per wakeup, not all that are queued: the
 * listening socket is shared, and a worker that drains the whole backlog
 * would take every connection of a burst while the others sleep.
 */
#define CONN_ACCEPT_BATCH 4

int
conn_accept(int lfd, const struct cfg_port *port)
{
	for (int i = 0; i < CONN_ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		if (fdbudget_free() <= fdbudget_reserve())
			return -1;
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			/* the caller backs off: accept would fail again at once */
			if (fdbudget_exhausted_errno(errno))
				return errno;
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_err("accept on %s", port->spec);
			return 0;
		}
		fdbudget_note_open(fd);
		struct conn *c = xcalloc(1, sizeof(*c));
		/* TCP_NODELAY comes from the listening socket (listen.c) */
		c->fd = fd;
		c->peer = peer;
		if (conn_local_is_port(port)) {
			c->local = port->addr;
		} else {
			socklen_t llen = sizeof(c->local);
			getsockname(fd, (struct sockaddr *)&c->local, &llen);
		}
		c->port = port;
		if ((port->intercept || port->tproxy) &&
		    intercept_accept(c) == -1) {
			close(fd);
			free(c);
			continue;
		}
		if (conn_ipmax_on()) {
			if (conn_ip_over_limit(&c->peer)) {
				close(fd);
				free(c);
				continue;
			}
			conn_ip_count(c);
		}
		c->accepted_ms = ev_now();
		buf_init(&c->in);
		buf_init(&c->out);
		ev_io_init(&c->io, fd, conn_io, c);
		ev_timer_init(&c->timer, conn_timeout, c);
		ev_timer_init(&c->life, conn_lifetime_over, c);
		ev_timer_start(&c->life, worker_cfg->client_lifetime);
		c->next = conn_list;
		if (conn_list != NULL)
			conn_list->prev = c;
		conn_list = c;
		conn_n++;
		conn_want(c, CONN_WANT_READ);
		c->idle_wait = worker_cfg->request_start_timeout;
		c->awaiting_first_byte = 1;
		ev_timer_start(&c->timer, (uint64_t)c->idle_wait);
		if (port->is_https && !port->ssl_bump)
			conn_tls_start(c);
		else if (port->is_https) {
			/* intercepted TLS: SslBump starts on a made-up CONNECT */
			intercept_fake_connect(c);
			conn_next_request(c);
		}
	}
	return 0;
}

/* Write queued output; -1 when the client is gone. */
int
conn_flush(struct conn *c)
{
	while (buf_avail(&c->out) > 0) {
		ssize_t n = tls_io_write(c->fd, c->ssl, buf_head(&c->out),
		    buf_avail(&c->out));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		if (c->xact != NULL)
			c->xact->log.bytes_out += n;
		buf_consume(&c->out, (size_t)n);
	}
	return 0;
}

/* What the client side waits for, from its state. */

void
conn_want(struct conn *c, unsigned want)
{
	uint32_t ev = 0;

	if (want & CONN_WANT_READ)
		ev |= EPOLLIN;
	/* TLS may need to write while the transaction wants to read */
	if ((want & CONN_WANT_WRITE) || tls_io_wants_write(c->ssl))
		ev |= EPOLLOUT;
	if (want & CONN_WANT_HUP)
		ev |= EPOLLRDHUP;
	/* write_timeout: a client that stops reading mid-response */
	if (want & CONN_WANT_WTIMEOUT) {
		if (!(want & CONN_WANT_WRITE))
			ev_timer_stop(&c->timer);
		else if (!ev_timer_armed(&c->timer))
			ev_timer_start(&c->timer, worker_cfg->write_timeout);
	}
	ev_io_set(&c->io, ev);
}

/* Between requests: read the next one, unless closing; flush output. */
static void
conn_update(struct conn *c)
{
	unsigned want = 0;

	if (c->xact != NULL) {
		xact_client_update(c->xact);
		return;
	}
	if (buf_avail(&c->out) > 0)
		want |= CONN_WANT_WRITE;
	if (!c->close_after)
		want |= CONN_WANT_READ;
	conn_want(c, want);
}

void
conn_xact_done(struct conn *c, int keep)
{
	log_check(c->xact != NULL);
	c->xact = NULL;
	/* a response that promised keep-alive gets its next request served,
	 * even by a retiring worker (that one says "Connection: close") */
	if (!keep)
		c->close_after = 1;
	if (conn_flush(c) == -1) {
		conn_close(c);
		return;
	}
	if (c->close_after) {
		if (buf_avail(&c->out) == 0) {
			conn_end(c);
			return;
		}
		conn_update(c);
		return;
	}
	conn_next_request(c);
}

void
conn_xact_aborted(struct conn *c)
{
	c->xact = NULL;
	c->close_after = 1;
	buf_consume(&c->out, buf_avail(&c->out));
	/* conn_close() called us, or the next event closes: mark only */
	conn_want(c, CONN_WANT_WRITE);
}

/* Parse the next request if one is buffered, otherwise wait for one. */
static void
conn_next_request(struct conn *c)
{
	struct http_msg m;
	struct http_parse_error err;

	if (c->xact != NULL)
		return;
	memset(&m, 0, sizeof(m));
	if (buf_avail(&c->in) == 0) {
		if (c->read_eof) {
			conn_close(c);
			return;
		}
		/* an idle keep-alive connection holds no buffers */
		if (buf_avail(&c->out) == 0)
			buf_free(&c->out);
		buf_free(&c->in);
		int64_t idle = c->idle_wait;
		/* after a response, as Squid's readNextRequest */
		if (c->nrequests > 0)
			idle = pconn_idle_wait(idle, c->accepted_ms);
		if (worker_retiring() && idle > CONN_RETIRE_IDLE_MS)
			idle = CONN_RETIRE_IDLE_MS;
		c->awaiting_first_byte = 1;
		ev_timer_start(&c->timer, (uint64_t)idle);
		conn_update(c);
		return;
	}
	enum http_parse_result r = http_parse_request(&m, buf_head(&c->in),
	    buf_avail(&c->in), (size_t)worker_cfg->request_header_max_size,
	    &err);
	if (r == HTTP_PARSE_INCOMPLETE) {
		http_msg_free(&m);
		if (c->read_eof) {
			conn_close(c);
			return;
		}
		if (c->awaiting_first_byte || !ev_timer_armed(&c->timer))
			ev_timer_start(&c->timer, worker_cfg->request_timeout);
		c->awaiting_first_byte = 0;
		conn_update(c);
		return;
	}
	c->awaiting_first_byte = 0;
	c->idle_wait = worker_cfg->client_idle_pconn_timeout;
	ev_timer_stop(&c->timer);
	if (r == HTTP_PARSE_ERROR) {
		http_msg_free(&m);
		c->nrequests++;
		xact_parse_error(c, &err);
		return;
	}
	c->nrequests++;
	xact_start(c, &m);
	/* m's header array now belongs to the transaction */
}

void
conn_read(struct conn *c)
{
	ssize_t n = tls_io_read(c->fd, c->ssl, &c->in, CONN_READ_CHUNK);

	if (n == 0) {
		c->read_eof = 1;
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			c->read_eof = 1;
		return;
	}
	if (c->learn_name != NULL)
		bump_learn_request_seen(c);
	if (c->xact != NULL)
		c->xact->log.bytes_in += n;
}

static void
conn_io(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->arg;

	if (c->xact != NULL) {
		xact_client_event(c->xact, revents);
		return;
	}
	if (c->lingering) {
		conn_linger_read(c);
		return;
	}
	if (c->tls_accepting) {
		conn_tls_accept(c);
		return;
	}
	if ((revents & EPOLLOUT) && conn_flush(c) == -1) {
		conn_close(c);
		return;
	}
	if (c->close_after) {
		if (revents & (EPOLLERR | EPOLLHUP))
			conn_close(c);
		else if (buf_avail(&c->out) == 0)
			conn_end(c);
		return;
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(c);
	if (c->read_eof && buf_avail(&c->in) == 0) {
		conn_close(c);
		return;
	}
	conn_next_request(c);
}

static void
conn_timeout(struct ev_timer *t)
{
	struct conn *c = t->arg;

	if (c->lingering) {
		conn_close(c);
		return;
	}
	if (c->xact != NULL) {
		/* armed by conn_want: the client stopped reading */
		log_debug(33, 2, "write_timeout for %s", c->xact->url_str);
		/* Squid logs a write timeout without _ABORTED */
		c->xact->timed_out = 1;
		xact_client_closed(c->xact, "write_timeout");
		conn_close(c);
		return;
	}
	/* a request head that never completed: Squid closes silently */
	if (buf_avail(&c->in) > 0)
		conn_log_no_request(c);
	conn_close(c);
}

/*
 * The worker retires: idle keep-alive connections stay open a little longer,
 * since closing one just as its client sends a request would drop that
 * request; each is served once more (with "Connection: close") or closed
 * when it has idled for a few seconds.
 */
void
conn_retire_idle(void)
{
	for (struct conn *c = conn_list; c != NULL; c = c->next) {
		if (c->xact == NULL && !c->lingering &&
		    buf_avail(&c->out) == 0 && buf_avail(&c->in) == 0)
			ev_timer_start(&c->timer, CONN_RETIRE_IDLE_MS);
	}
}
