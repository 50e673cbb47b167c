/*
 * Client side.  A connection reads and parses one request head at a time,
 * turns it into a transaction (access checks, then forward.c or tunnel.c),
 * and after the transaction either parses the next (pipelined) request
 * already buffered, waits for one, or closes.  Every way a transaction
 * ends goes through xact_finish(), which writes the access.log line.
 */
#include "config.h"
#include "conn.h"
#include "accesslog.h"
#include "auth.h"
#include "cache.h"
#include "acl.h"
#include "cfg.h"
#include "errpage.h"
#include "fdbudget.h"
#include "forward.h"
#include "headers.h"
#include "log.h"
#include "pconn.h"
#include "rewrite.h"
#include "tunnel.h"
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

#define CONN_READ_CHUNK	(16 * 1024)

static struct conn *conn_list;
static int conn_n;

static void conn_io(struct ev_io *io, uint32_t revents);
static void conn_timeout(struct ev_timer *t);
static void conn_next_request(struct conn *c);
static void conn_close(struct conn *c);
static struct xact *xact_new(struct conn *c);
static void xact_log(struct xact *x);
static void xact_free(struct xact *x);

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
	shutdown(c->fd, SHUT_WR);
	buf_consume(&c->in, buf_avail(&c->in));
	ev_io_set(&c->io, EPOLLIN);
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

int
conn_count(void)
{
	return conn_n;
}

/* Squid logs a connection that ended before a request head as an error. */
static void
conn_log_no_request(struct conn *c)
{
	struct xact *x = xact_new(c);

	x->log_url = xstrdup("error:transaction-end-before-headers");
	x->url_str = xstrdup(x->log_url);
	xact_log(x);
	c->xact = NULL;
	xact_free(x);
}

static void
conn_close(struct conn *c)
{
	if (c->xact == NULL && c->nrequests == 0)
		conn_log_no_request(c);
	if (c->xact != NULL && cache_quick_abort_continue(c->xact))
		xact_detach(c->xact);
	else if (c->xact != NULL)
		xact_abort(c->xact, "client connection closed");
	ev_io_stop(&c->io);
	ev_timer_stop(&c->timer);
	ev_timer_stop(&c->life);
	close(c->fd);
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
		xact_error(c->xact, 504, "ERR_LIFETIME_EXP", ETIMEDOUT);
		return;
	}
	conn_close(c);
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
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->peer = peer;
		socklen_t llen = sizeof(c->local);
		getsockname(fd, (struct sockaddr *)&c->local, &llen);
		c->port = port;
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
		ev_io_set(&c->io, EPOLLIN);
		ev_timer_start(&c->timer, worker_cfg->request_timeout);
	}
	return 0;
}

/* Write queued output; -1 when the client is gone. */
int
conn_flush(struct conn *c)
{
	while (buf_avail(&c->out) > 0) {
		ssize_t n = write(c->fd, buf_head(&c->out), buf_avail(&c->out));
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
conn_update_events(struct conn *c)
{
	uint32_t ev = 0;
	struct xact *x = c->xact;

	if (buf_avail(&c->out) > 0)
		ev |= EPOLLOUT;
	if (x == NULL) {
		if (!c->close_after)
			ev |= EPOLLIN;
	} else if (x->state == XS_TUNNEL || x->state == XS_HIT) {
		return;		/* tunnel.c and cache.c own the events */
	} else if (x->state == XS_RELAY || x->state == XS_LOCAL) {
		/*
		 * Bytes waiting in the server buffer (validated or not) move
		 * when the client can take them: a pump that stopped on its
		 * work budget resumes here, not on a server event that may
		 * never come.
		 */
		if (x->state == XS_RELAY && x->srv != NULL &&
		    buf_avail(&x->srv->in) > 0)
			ev |= EPOLLOUT;
		if (x->state == XS_RELAY && !x->reqbody.done && !x->early_reply)
			ev |= EPOLLIN;
	} else if (!x->reqbody.done && buf_avail(&c->in) < 256 * 1024) {
		/* request body still coming */
		if (x->state == XS_FORWARD)
			ev |= EPOLLIN;
	}
	/* notice a client that leaves while its request is being served */
	if (x != NULL && x->reqbody.done && !(ev & EPOLLIN))
		ev |= EPOLLRDHUP;
	/* write_timeout: a client that stops reading mid-response */
	if (x != NULL) {
		if (!(ev & EPOLLOUT))
			ev_timer_stop(&c->timer);
		else if (!ev_timer_armed(&c->timer))
			ev_timer_start(&c->timer, worker_cfg->write_timeout);
	}
	ev_io_set(&c->io, ev);
}


void
xact_checklist(const struct xact *x, struct acl_checklist *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->src = worker_cfg->acl_uses_indirect_client ?
	    (const struct sockaddr *)&x->client :
	    (const struct sockaddr *)&x->log.client;
	cl->method = x->method;
	cl->url = x->url_str;
	cl->scheme = x->url.scheme[0] ? x->url.scheme : "http";
	cl->host = x->url.host;
	cl->port = x->url.port;
	cl->path = x->path_str;
	cl->local_port = x->port ? x->port->port : 0;
	cl->port_name = x->port ? x->port->name : NULL;
	cl->request = x->head != NULL ? &x->req : NULL;
	cl->now = time(NULL);
	if (x->log.server.ss_family != 0)
		cl->dst = (const struct sockaddr *)&x->log.server;
	else if (x->dns.naddrs > 0)
		cl->dst = (const struct sockaddr *)&x->dns.addrs[0];
	if (x->url.host_is_ip && cl->dst != NULL)
		cl->dst_rdns = dns_hosts_name(cl->dst);
	if (x->rep_head != NULL) {
		cl->reply = &x->rep;
		cl->status = x->rep.status;
	}
	cl->auth_state = worker_cfg->auth_basic.program != NULL ?
	    x->auth_state : ACL_AUTH_OFF;
	if (x->auth_state == ACL_AUTH_OK)
		cl->user = x->auth_user;
}

int64_t
xact_size_rule(const struct xact *x, const struct cfg_size_acl *l,
    int64_t dflt)
{
	struct acl_checklist cl;

	if (l == NULL)
		return dflt;
	xact_checklist(x, &cl);
	for (; l != NULL; l = l->next)
		if (acl_refs_match(l->rule.refs, l->rule.nrefs, &cl) ==
		    ACL_MATCH)
			return l->size;
	return dflt;
}

static struct xact *
xact_new(struct conn *c)
{
	struct xact *x = xcalloc(1, sizeof(*x));

	x->conn = c;
	x->port = c->port;
	x->id = worker_next_xact_id();
	x->reply_limit = -1;
	x->hit_fd = -1;
	gettimeofday(&x->started, NULL);
	x->log.start = x->started;
	x->log.client = c->peer;
	x->client = c->peer;
	x->peer = c->peer;
	x->log.local = c->local;
	x->log.dns_ms = -1;
	x->log.upstream_ms = -1;
	x->hier = "HIER_NONE";
	buf_init(&x->fwd_head);
	buf_init(&x->fwd_body);
	ev_timer_init(&x->timer, NULL, x);
	ev_timer_init(&x->resume, forward_resume, x);
	strcpy(x->result_tag, "NONE_NONE");
	c->xact = x;
	c->nrequests++;
	return x;
}

static void
xact_free(struct xact *x)
{
	if (x->dnsq != NULL)
		dns_cancel(x->dnsq);
	rewrite_cancel(x);
	auth_release(x);
	ev_timer_stop(&x->timer);
	ev_timer_stop(&x->resume);
	tunnel_release(x);
	cache_release(x);
	http_msg_free(&x->req);
	http_msg_free(&x->rep);
	free(x->head);
	free(x->rep_head);
	free(x->method);
	free(x->url_str);
	free(x->log_url);
	free(x->path_str);
	free(x->rewrite_buf);
	buf_free(&x->fwd_head);
	buf_free(&x->fwd_body);
	ev_defer_free(x);
}

static void
xact_log(struct xact *x)
{
	gettimeofday(&x->log.end, NULL);
	x->log.result_tag = x->result_tag;
	x->log.hier = x->hier;
	x->log.method = x->method;
	x->log.url = x->log_url;
	x->log.url_orig = x->url_str;
	x->log.scheme = x->url.scheme;
	x->log.host = x->url.host;
	x->log.port = x->url.port;
	x->log.path = x->path_str;
	x->log.vmajor = x->req.vmajor;
	x->log.vminor = x->req.vminor;
	x->log.request = x->head ? &x->req : NULL;
	x->log.xaction = x->id;
	if (x->rep_head != NULL) {
		const struct http_header *ct = http_msg_header(&x->rep,
		    "Content-Type");
		static char mt[256];
		if (ct != NULL && x->log.mime_type == NULL) {
			size_t n = ct->value_len < sizeof(mt) - 1 ?
			    ct->value_len : sizeof(mt) - 1;
			memcpy(mt, ct->value, n);
			mt[n] = '\0';
			x->log.mime_type = mt;
		}
		x->log.reply_head = x->rep_head;
		x->log.reply_head_len = x->rep.head_len;
	}
	accesslog_write(x);
}

void
xact_finish(struct xact *x)
{
	struct conn *c = x->conn;

	if (x->detached) {
		xact_detached_end(x, 1);
		return;
	}
	int keep = x->keep_client && !c->close_after;

	cache_on_finish(x, x->state == XS_RELAY && x->repbody.done &&
	    x->repbody.pending == 0);
	if (x->srv != NULL) {
		struct srv *s = x->srv;
		x->srv = NULL;
		if (x->repbody.done && x->reqbody.done && x->rep.keep_alive &&
		    !x->early_reply && worker_cfg->server_persistent_connections &&
		    x->state == XS_RELAY)
			pconn_put(s);
		else
			srv_close(s);
	}
	xact_log(x);
	c->xact = NULL;
	xact_free(x);
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
		conn_update_events(c);
		return;
	}
	conn_next_request(c);
}

/*
 * quick_abort: the client left a miss that is worth finishing for the
 * cache.  Its log line is written now (TCP_MISS_ABORTED, as Squid does);
 * the fetch goes on with no client until the object is stored.
 */
void
xact_detach(struct xact *x)
{
	struct conn *c = x->conn;

	log_debug(33, 2, "transaction %llu: client gone, finishing %s for "
	    "the cache", (unsigned long long)x->id, x->url_str);
	if (!x->timed_out && strlen(x->result_tag) + 9 < sizeof(x->result_tag))
		strcat(x->result_tag, "_ABORTED");
	xact_log(x);
	c->xact = NULL;
	x->conn = NULL;
	x->detached = 1;
	x->keep_client = 0;
	ev_timer_start(&x->resume, 0);	/* carry on without the client */
}

void
xact_client_gone(struct xact *x, const char *why)
{
	struct conn *c = x->conn;

	if (!cache_quick_abort_continue(x)) {
		xact_abort(x, why);
		return;
	}
	conn_close(c);		/* detaches x */
}

/*
 * A transaction with no client, made from a client's request: used to
 * revalidate a stale object in the background (stale-while-revalidate).
 * It owns a copy of the request head; nothing is logged for it.
 */
struct xact *
xact_background(const struct xact *model)
{
	struct xact *x = xcalloc(1, sizeof(*x));

	x->id = worker_next_xact_id();
	x->port = model->port;
	x->detached = 1;
	x->reply_limit = -1;
	x->hit_fd = -1;
	gettimeofday(&x->started, NULL);
	x->log.start = x->started;
	x->log.client = model->log.client;
	x->peer = model->peer;
	x->client = model->client;
	x->log.dns_ms = x->log.upstream_ms = -1;
	x->hier = "HIER_NONE";
	buf_init(&x->fwd_head);
	buf_init(&x->fwd_body);
	ev_timer_init(&x->timer, NULL, x);
	ev_timer_init(&x->resume, forward_resume, x);
	x->head = xmalloc(model->req.head_len + 1);
	memcpy(x->head, model->head, model->req.head_len + 1);
	x->req = model->req;
	x->req.hdr = xcalloc((size_t)(model->req.nhdr ? model->req.nhdr : 1),
	    sizeof(*x->req.hdr));
	memcpy(x->req.hdr, model->req.hdr, (size_t)model->req.nhdr *
	    sizeof(*x->req.hdr));
	x->req.hdr_cap = model->req.nhdr;
	headers_rebase(&x->req, model->head, x->head);
	x->url = model->url;
	if (x->url.path != NULL && x->url.path >= model->head &&
	    x->url.path < model->head + model->req.head_len)
		x->url.path = x->head + (x->url.path - model->head);
	if (x->url.query != NULL)
		x->url.query = x->head + (x->url.query - model->head);
	x->method = xstrdup("GET");
	x->url_str = xstrdup(model->url_str);
	x->log_url = xstrdup(model->log_url);
	x->path_str = xstrdup(model->path_str);
	x->keep_client = 0;
	body_init(&x->reqbody, HTTP_BODY_NONE, 0);
	snprintf(x->result_tag, sizeof(x->result_tag), "TCP_MISS");
	return x;
}

/* A detached transaction is over: store (if complete) and free. */
void
xact_detached_end(struct xact *x, int complete)
{
	cache_on_finish(x, complete && x->state == XS_RELAY &&
	    x->repbody.done && x->repbody.pending == 0);
	if (x->srv != NULL) {
		struct srv *s = x->srv;
		x->srv = NULL;
		if (complete && x->repbody.done && x->rep.keep_alive &&
		    worker_cfg->server_persistent_connections)
			pconn_put(s);
		else
			srv_close(s);
	}
	xact_free(x);
}

void
xact_abort(struct xact *x, const char *why)
{
	struct conn *c = x->conn;

	if (x->detached) {
		log_debug(33, 2, "background fetch of %s abandoned: %s",
		    x->url_str, why);
		xact_detached_end(x, 0);
		return;
	}

	log_debug(33, 2, "transaction %llu aborted: %s",
	    (unsigned long long)x->id, why);
	if (!x->timed_out && strstr(x->result_tag, "_ABORTED") == NULL &&
	    strlen(x->result_tag) + 9 < sizeof(x->result_tag))
		strcat(x->result_tag, "_ABORTED");
	if (x->srv != NULL) {
		srv_close(x->srv);
		x->srv = NULL;
	}
	xact_log(x);
	c->xact = NULL;
	xact_free(x);
	c->close_after = 1;
	buf_consume(&c->out, buf_avail(&c->out));
	/* conn_close() called us, or the caller closes: mark only */
	ev_io_set(&c->io, EPOLLOUT);
}

/* Pick a deny_info page for the ACL that decided a deny. */
static const char *
xact_deny_page(const struct access_rule *rule)
{
	if (rule == NULL || rule->nrefs == 0)
		return NULL;
	const struct acl *last = rule->refs[rule->nrefs - 1].acl;
	for (const struct cfg_deny_info *d = worker_cfg->deny_info; d != NULL;
	    d = d->next)
		for (int i = 0; i < d->nrefs; i++)
			if (d->refs[i].acl == last)
				return d->page;
	return NULL;
}

void
xact_error(struct xact *x, int status, const char *err_name, int errnum)
{
	struct conn *c = x->conn;

	if (x->head_sent || x->detached) {
		xact_abort(x, err_name);
		return;
	}
	if (x->srv != NULL) {
		srv_close(x->srv);
		x->srv = NULL;
	}
	/* a failed revalidation may serve the stale copy, else a 504 */
	if (x->revalidating && status >= 500) {
		if (cache_on_upstream_failure(x))
			return;
		status = 504;
	}
	/* a client whose request body was not read fully must go */
	if (!x->reqbody.done || status == 400 || status == 414 ||
	    status == 431 || status == 505 || status == 501)
		x->keep_client = 0;
	x->log.status = status;
	x->log.err_code = err_name;
	/* Squid 5.7 logs a failed tunnel with no content type */
	x->log.mime_type = x->tunnel_dialing ? NULL : "text/html";
	x->err_errno = errnum;
	buf_consume(&c->out, buf_avail(&c->out));
	errpage_build(x, status, err_name, errnum, x->keep_client, &c->out);
	x->head_sent = 1;
	x->state = XS_LOCAL;
	if (conn_flush(c) == -1) {
		xact_abort(x, "client write failed");
		conn_close(c);
		return;
	}
	xact_finish(x);
}

static void
xact_deny(struct xact *x, const struct access_rule *rule, int status,
    const char *tag)
{
	const char *page = xact_deny_page(rule);

	snprintf(x->result_tag, sizeof(x->result_tag), "%s", tag);
	if (page != NULL && (strncmp(page, "http://", 7) == 0 ||
	    strncmp(page, "https://", 8) == 0 || (strlen(page) > 4 &&
	    page[3] == ':' && strncmp(page + 4, "http", 4) == 0))) {
		int st = 302;
		const char *loc = page;
		if (page[3] == ':') {
			st = atoi(page);
			loc = page + 4;
		}
		x->log.status = st;
		x->keep_client = x->keep_client && x->reqbody.done;
		errpage_build_redirect(x, st, loc, x->keep_client,
		    &x->conn->out);
		x->head_sent = 1;
		x->state = XS_LOCAL;
		if (conn_flush(x->conn) == -1) {
			xact_abort(x, "client write failed");
			conn_close(x->conn);
			return;
		}
		xact_finish(x);
		return;
	}
	if (page != NULL && strncmp(page, "ERR_", 4) != 0) {
		/* deny_info NNN:ERR_X or a custom page file name */
		if (page[3] == ':') {
			status = atoi(page);
			page += 4;
		}
	}
	xact_error(x, status, page != NULL ? page : status == 407 ?
	    "ERR_CACHE_ACCESS_DENIED" : "ERR_ACCESS_DENIED", 0);
}

/* http_access; may need DNS for dst ACLs. */
static void xact_access(struct xact *x);

/* Past http_access and url_rewrite: tunnel, cache or forward. */
static void
xact_go(struct xact *x)
{
	if (x->is_connect)
		tunnel_start(x);
	else if (!cache_lookup(x))
		forward_start(x);
}

static void
xact_access_dns(void *arg, const struct dns_result *res)
{
	struct xact *x = arg;

	x->dnsq = NULL;
	x->dns = *res;
	if (res->naddrs == 0) {
		/* dst ACLs cannot match an unresolvable name: check with none */
		x->dns.naddrs = 0;
	}
	xact_access(x);
}

static void
xact_access(struct xact *x)
{
	struct acl_checklist cl;
	const struct access_rule *rule = NULL;
	const struct acl *last = NULL;
	int action = ACCESS_DENY;

	auth_setup(x);
	xact_checklist(x, &cl);
	enum acl_result r = access_check_last(&worker_cfg->http_access, &cl,
	    ACCESS_DENY, &action, &rule, &last);
	if (r == ACL_NEED_DST && x->dns.naddrs == 0 && x->dns.error == NULL) {
		x->state = XS_ACCESS;
		x->dnsq = dns_resolve(x->url.host, xact_access_dns, x);
		return;
	}
	if (r == ACL_NEED_AUTH) {
		/* credentials to check, or none (or bad ones): challenge */
		if (x->auth_state == ACL_AUTH_PENDING &&
		    auth_start(x, xact_access))
			return;
		xact_deny(x, rule, 407, "TCP_DENIED");
		return;
	}
	if (r != ACL_MATCH || action != ACCESS_ALLOW) {
		/* Squid: a denial whose last checked ACL is proxy_auth
		 * challenges, so the user may log in as someone else */
		xact_deny(x, rule, last != NULL && acl_is_auth(last) &&
		    cl.auth_state != ACL_AUTH_OFF ? 407 : 403, "TCP_DENIED");
		return;
	}
	/* as Squid: PURGE exists only once some "method PURGE" ACL does */
	if (strcmp(x->method, "PURGE") == 0 && !worker_cfg->acls.has_purge) {
		xact_deny(x, NULL, 403, "TCP_DENIED");
		return;
	}
	if (rewrite_start(x, xact_go))
		return;
	xact_go(x);
}

/* TRACE/OPTIONS with Max-Forwards: 0 are answered here (RFC 9110 7.6.2). */
static int
xact_max_forwards(struct xact *x)
{
	const struct http_header *h;

	if (strcmp(x->method, "TRACE") != 0 && strcmp(x->method, "OPTIONS") != 0)
		return 0;
	if ((h = http_msg_header(&x->req, "Max-Forwards")) == NULL ||
	    h->value_len == 0 || strtol(h->value, NULL, 10) != 0)
		return 0;
	struct conn *c = x->conn;
	const char *host = worker_hostname();
	if (strcmp(x->method, "OPTIONS") == 0) {
		/* Squid 5.7 answers OPTIONS aimed at itself as unsupported */
		xact_error(x, 501, "ERR_UNSUP_REQ", 0);
		return 1;
	}
	/* TRACE: echo the request as it would have been forwarded */
	struct buf echo;
	buf_init(&echo);
	headers_build_request(x, &echo);
	x->log.status = 200;
	buf_printf(&c->out, "HTTP/1.1 200 OK\r\nServer: cuttle/%s\r\n"
	    "Content-Type: message/http\r\nContent-Length: %zu\r\n"
	    "X-Cache: MISS from %s\r\nConnection: %s\r\n\r\n",
	    PACKAGE_VERSION, buf_avail(&echo), host,
	    x->keep_client ? "keep-alive" : "close");
	buf_append(&c->out, buf_head(&echo), buf_avail(&echo));
	buf_free(&echo);
	snprintf(x->result_tag, sizeof(x->result_tag), "TCP_MISS");
	x->head_sent = 1;
	x->state = XS_LOCAL;
	if (conn_flush(c) == -1) {
		xact_abort(x, "client write failed");
		conn_close(c);
		return 1;
	}
	xact_finish(x);
	return 1;
}

/* The method token at the start of a request that failed to parse. */
static char *
conn_guess_method(const struct conn *c)
{
	const char *p = buf_head(&c->in);
	size_t n = 0, avail = buf_avail(&c->in);

	while (n < avail && n < 32 && http_is_tchar((unsigned char)p[n]))
		n++;
	if (n == 0 || (n < avail && p[n] != ' ' && p[n] != '\r' &&
	    p[n] != '\n'))
		return NULL;
	return xstrndup(p, n);
}

/* A parse failure: Squid logs NONE_NONE/4xx with "error:invalid-request". */
static void
conn_parse_error(struct conn *c, int status, const char *reason)
{
	struct xact *x = xact_new(c);
	const char *err = "ERR_INVALID_REQ";

	log_debug(11, 2, "invalid request from client: %s", reason);
	x->method = conn_guess_method(c);
	x->log_url = xstrdup(status == 431 || status == 414 ?
	    "error:request-too-large" : "error:invalid-request");
	x->url_str = xstrdup(x->log_url);
	x->reqbody.done = 0;
	x->keep_client = 0;
	if (status == 431 || status == 414)
		err = "ERR_TOO_BIG";
	else if (status == 505)
		err = "ERR_UNSUP_HTTPVERSION";
	else if (status == 501)
		err = "ERR_UNSUP_REQ";
	else if (strcmp(reason, "no HTTP version (HTTP/0.9)") == 0 ||
	    (x->method != NULL && strlen(x->method) < buf_avail(&c->in) &&
	    buf_head(&c->in)[strlen(x->method)] != ' '))
		err = "ERR_PROTOCOL_UNKNOWN";	/* no version: Squid says so */
	buf_consume(&c->in, buf_avail(&c->in));
	xact_error(x, status, err, 0);
}

/*
 * follow_x_forwarded_for: walk X-Forwarded-For from its right end while the
 * address we believe so far is allowed to tell us who it forwards for.
 */
static void
xact_indirect_client(struct xact *x)
{
	const struct http_msg *m = &x->req;
	char ip[64];

	if (worker_cfg->follow_x_forwarded_for.head == NULL)
		return;
	for (int i = m->nhdr - 1; i >= 0; i--) {
		const struct http_header *h = &m->hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "X-Forwarded-For"))
			continue;
		const char *end = h->value + h->value_len;
		while (end > h->value) {
			struct acl_checklist cl;
			int action = ACCESS_DENY;
			const char *start = end;
			while (start > h->value && start[-1] != ',')
				start--;
			const char *a = start, *b = end;
			while (a < b && (*a == ' ' || *a == '\t'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			end = start > h->value ? start - 1 : start;
			xact_checklist(x, &cl);
			cl.src = (const struct sockaddr *)&x->client;
			if (access_check(&worker_cfg->follow_x_forwarded_for, &cl,
			    ACCESS_DENY, &action, NULL) != ACL_MATCH ||
			    action != ACCESS_ALLOW)
				return;
			struct sockaddr_storage ss;
			socklen_t len;
			if ((size_t)(b - a) >= sizeof(ip))
				return;
			memcpy(ip, a, (size_t)(b - a));
			ip[b - a] = '\0';
			if (util_addr_parse(ip, 0, &ss, &len) == -1)
				return;
			x->client = ss;
		}
	}
}

static void
conn_start_xact(struct conn *c, const struct http_msg *m)
{
	struct xact *x = xact_new(c);
	enum url_result ur;
	char tmp[URL_HOST_MAX + 4096];

	/* own the head: the input buffer moves as more bytes arrive */
	x->head = xmalloc(m->head_len + 1);
	memcpy(x->head, buf_head(&c->in), m->head_len);
	x->head[m->head_len] = '\0';
	x->req = *m;
	headers_rebase(&x->req, buf_head(&c->in), x->head);
	buf_consume(&c->in, m->head_len);
	x->log.bytes_in = (int64_t)m->head_len;
	x->method = xstrndup(x->req.method, x->req.method_len);
	x->keep_client = x->req.keep_alive &&
	    worker_cfg->client_persistent_connections && !worker_retiring();
	body_init(&x->reqbody, x->req.body, x->req.content_length);
	snprintf(x->result_tag, sizeof(x->result_tag), "NONE_NONE");

	x->is_connect = strcmp(x->method, "CONNECT") == 0;
	if (x->is_connect)
		ur = url_parse_authority(&x->url, x->req.target,
		    x->req.target_len);
	else
		ur = url_parse_absolute(&x->url, x->req.target,
		    x->req.target_len);
	if (ur != URL_OK) {
		x->url_str = xstrndup(x->req.target, x->req.target_len);
		x->log_url = xstrndup(x->req.target, x->req.target_len);
		if (!x->is_connect && url_is_origin_form(x->req.target,
		    x->req.target_len)) {
			/* origin-form on a forward port: not a proxy request */
			xact_error(x, 400, "ERR_INVALID_URL", 0);
			return;
		}
		xact_error(x, 400, ur == URL_UNSUPPORTED ? "ERR_UNSUP_REQ" :
		    "ERR_INVALID_URL", 0);
		return;
	}
	x->path_str = xmalloc(x->url.path_len + x->url.query_len + 1);
	memcpy(x->path_str, x->url.path, x->url.path_len);
	if (x->url.query != NULL)
		memcpy(x->path_str + x->url.path_len, x->url.query,
		    x->url.query_len);
	x->path_str[x->url.path_len + x->url.query_len] = '\0';
	if (x->is_connect) {
		url_format_host_port(&x->url, tmp, sizeof(tmp));
		x->url_str = xstrdup(tmp);
		x->log_url = xstrdup(tmp);
	} else {
		url_format(&x->url, 0, tmp, sizeof(tmp));
		x->url_str = xstrdup(tmp);
		url_format(&x->url, worker_cfg->strip_query_terms, tmp,
		    sizeof(tmp));
		x->log_url = xstrdup(tmp);
	}
	if (strcmp(x->url.scheme, "http") != 0 && !x->is_connect) {
		xact_error(x, 400, "ERR_UNSUP_REQ", 0);
		return;
	}
	if (worker_cfg->request_body_max_size > 0 &&
	    x->req.body == HTTP_BODY_LENGTH &&
	    x->req.content_length > worker_cfg->request_body_max_size) {
		xact_error(x, 413, "ERR_TOO_BIG", 0);
		return;
	}
	xact_indirect_client(x);
	if (worker_cfg->log_uses_indirect_client)
		x->log.client = x->client;
	if (xact_max_forwards(x))
		return;
	xact_access(x);
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
		int64_t idle = c->nrequests > 0 ?
		    worker_cfg->client_idle_pconn_timeout :
		    worker_cfg->request_timeout;
		if (worker_retiring() && idle > CONN_RETIRE_IDLE_MS)
			idle = CONN_RETIRE_IDLE_MS;
		ev_timer_start(&c->timer, (uint64_t)idle);
		conn_update_events(c);
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
		if (!ev_timer_armed(&c->timer))
			ev_timer_start(&c->timer, worker_cfg->request_timeout);
		conn_update_events(c);
		return;
	}
	ev_timer_stop(&c->timer);
	if (r == HTTP_PARSE_ERROR) {
		http_msg_free(&m);
		conn_parse_error(c, err.status, err.reason);
		return;
	}
	conn_start_xact(c, &m);
	/* m's header array now belongs to the transaction */
}

static void
conn_read(struct conn *c)
{
	ssize_t n = buf_read_fd(&c->in, c->fd, CONN_READ_CHUNK);

	if (n == 0) {
		c->read_eof = 1;
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			c->read_eof = 1;
		return;
	}
	if (c->xact != NULL)
		c->xact->log.bytes_in += n;
}

static void
conn_io(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->arg;
	struct xact *x = c->xact;

	if (x != NULL && x->state == XS_TUNNEL) {
		tunnel_client_event(x, revents);
		return;
	}
	if (x != NULL && x->state == XS_HIT) {
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			conn_close(c);
			return;
		}
		cache_client_event(x);
		return;
	}
	if (c->lingering) {
		conn_linger_read(c);
		return;
	}
	if (revents & EPOLLOUT) {
		if (conn_flush(c) == -1) {
			conn_close(c);
			return;
		}
	}
	if (x == NULL) {
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
		return;
	}
	if (x->reqbody.done && (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		/* half_closed_clients off, as in Squid: the client is gone */
		conn_close(c);
		return;
	}
	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !x->reqbody.done)
		conn_read(c);
	forward_client_event(x);
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
		/* armed by conn_update_events: the client stopped reading */
		log_debug(33, 2, "write_timeout for %s", c->xact->url_str);
		/* Squid logs a write timeout without _ABORTED */
		c->xact->timed_out = 1;
		if (!cache_quick_abort_continue(c->xact))
			xact_abort(c->xact, "write_timeout");
		conn_close(c);	/* detaches a transaction worth finishing */
		return;
	}
	if (c->xact == NULL && buf_avail(&c->in) > 0) {
		/* a request head that never completed: Squid closes silently */
		conn_log_no_request(c);
		conn_close(c);
		return;
	}
	if (c->xact == NULL)
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
