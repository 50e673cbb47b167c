/*
 * A transaction's life: made from a parsed head (or, with no client, for a
 * background revalidation), checked (xact_access.c), routed, and ended.
 *
 *   NEW -> ACCESS/AUTH/REWRITE (checks that wait) -> router:
 *     CONNECT:  DNS -> CONNECTING -> TUNNEL
 *     cache:    LOOKUP/COLLAPSED (the cache answers later, back to the
 *               router) -> HIT | DNS -> CONNECTING -> FORWARD -> RELAY
 *               (a revalidation's FORWARD may turn into HIT)
 *     any:      LOCAL (a response we made) -> DONE
 *
 * The router (xact_route) is the only caller of forward_start,
 * tunnel_start and cache_serve; xact_end is the only way out.
 *
 * In DESIGN.md's data flow: the transaction itself and the router (CONNECT,
 * cache lookup, miss) to the access.log line.
 */
#include "config.h"
#include "xact.h"
#include "delay.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "annotate.h"
#include "auth.h"
#include "cache.h"
#include "cfg.h"
#include "conn.h"
#include "errpage.h"
#include "forward.h"
#include "headers.h"
#include "heritage.h"
#include "intercept.h"
#include "log.h"
#include "pconn.h"
#include "rewrite.h"
#include "stat_share.h"
#include "tunnel.h"
#include "util.h"
#include "worker.h"
#include "bump.h"
#include "external_acl.h"

static const char *const xact_state_names[] = {
	[XS_NEW] = "NEW", [XS_ACCESS] = "ACCESS", [XS_AUTH] = "AUTH",
	[XS_REWRITE] = "REWRITE", [XS_LOOKUP] = "LOOKUP",
	[XS_COLLAPSED] = "COLLAPSED", [XS_DNS] = "DNS",
	[XS_CONNECTING] = "CONNECTING", [XS_FORWARD] = "FORWARD",
	[XS_RELAY] = "RELAY", [XS_TUNNEL] = "TUNNEL", [XS_BUMP] = "BUMP",
	[XS_LOCAL] = "LOCAL",
	[XS_HIT] = "HIT", [XS_DONE] = "DONE",
};

#define S(s)	(1u << (s))
/* Before the router: a check may wait, or the answer may be made. */
#define XS_ROUTABLE	(S(XS_ACCESS) | S(XS_AUTH) | S(XS_REWRITE) | \
	S(XS_LOOKUP) | S(XS_COLLAPSED) | S(XS_DNS) | S(XS_CONNECTING) | \
	S(XS_FORWARD) | S(XS_HIT) | S(XS_LOCAL) | S(XS_BUMP) | S(XS_DONE))
/* Going upstream: the next address or path, the answer, or an error. */
#define XS_UPSTREAM	(S(XS_DNS) | S(XS_CONNECTING) | S(XS_FORWARD) | \
	S(XS_TUNNEL) | S(XS_HIT) | S(XS_LOCAL) | S(XS_DONE))

/* Which states each state may change to. */
static const unsigned xact_next_ok[] = {
	[XS_NEW] = XS_ROUTABLE,
	[XS_ACCESS] = XS_ROUTABLE,
	[XS_AUTH] = XS_ROUTABLE,
	[XS_REWRITE] = XS_ROUTABLE,
	[XS_LOOKUP] = XS_ROUTABLE,
	[XS_COLLAPSED] = XS_ROUTABLE,
	/* SslBump looks at the server's TLS, then bumps the client */
	[XS_DNS] = XS_UPSTREAM | S(XS_BUMP),
	[XS_CONNECTING] = XS_UPSTREAM | S(XS_BUMP),
	[XS_FORWARD] = XS_UPSTREAM | S(XS_RELAY),
	[XS_RELAY] = S(XS_DONE),
	[XS_TUNNEL] = S(XS_DONE),
	/* a bump splices (DNS, connect, tunnel), hands over, or ends */
	[XS_BUMP] = XS_UPSTREAM,
	[XS_LOCAL] = S(XS_DONE),
	[XS_HIT] = S(XS_DONE),
	[XS_DONE] = 0,
};

void
xact_set_state(struct xact *x, enum xact_state s)
{
	if (!(xact_next_ok[x->state] & S(s)))
		log_bug("transaction %llu (%s): illegal state change %s -> %s",
		    (unsigned long long)x->id, x->url_str ? x->url_str : "-",
		    xact_state_names[x->state], xact_state_names[s]);
	log_debug(33, 5, "transaction %llu: %s -> %s",
	    (unsigned long long)x->id, xact_state_names[x->state],
	    xact_state_names[s]);
	x->state = s;
}

void
xact_tag(struct xact *x, const char *tag)
{
	size_t n = strlen(tag);

	/* not snprintf: this runs for every request, and costs a tenth */
	if (n >= sizeof(x->result_tag))
		n = sizeof(x->result_tag) - 1;
	memcpy(x->result_tag, tag, n);
	x->result_tag[n] = '\0';
}

void
xact_log_type(struct xact *x, const struct http_msg *m)
{
	const struct http_header *ct = http_msg_header(m, "Content-Type");

	if (ct == NULL || x->log.mime_type != NULL)
		return;
	size_t n = ct->value_len < sizeof(x->mime_type) - 1 ? ct->value_len :
	    sizeof(x->mime_type) - 1;
	memcpy(x->mime_type, ct->value, n);
	x->mime_type[n] = '\0';
	x->log.mime_type = x->mime_type;
}

/* What every transaction starts with; client is NULL for a background one. */
static struct xact *
xact_alloc(const struct cfg_port *port)
{
	struct xact *x = xcalloc(1, sizeof(*x));

	x->port = port;
	x->id = worker_next_xact_id();
	x->fwd.reply_limit = -1;
	x->cache.hit_fd = -1;
	gettimeofday(&x->started, NULL);
	x->log.start = x->started;
	x->log.dns_ms = -1;
	x->log.upstream_ms = -1;
	x->hier = "HIER_NONE";
	buf_init(&x->fwd.head);
	buf_init(&x->fwd.body);
	ev_timer_init(&x->timer, NULL, x);
	ev_timer_init(&x->resume, forward_resume, x);
	xact_tag(x, "NONE_NONE");
	return x;
}

static struct xact *
xact_new(struct conn *c)
{
	struct xact *x = xact_alloc(c->port);

	x->conn = c;
	if (c->ssl != NULL) {
		/* a request inside a bumped connection: Squid logs the
		 * connection's mode and SNI with it */
		x->log.bump_mode = "bump";
		snprintf(x->bump.sni, sizeof(x->bump.sni), "%s",
		    c->tls_sni != NULL ? c->tls_sni : "");
		x->log.sni = x->bump.sni[0] ? x->bump.sni : NULL;
	}
	x->log.client = c->peer;
	x->client = c->peer;
	x->peer = c->peer;
	x->log.local = c->local;
	x->icpt.mode = c->icpt_mode;
	x->icpt.self = c->icpt_self;
	annotate_start(x);
	return x;
}

static void
xact_free(struct xact *x)
{
	log_check(x->srv == NULL);	/* given back by xact_end */
	if (x->fwd.dnsq != NULL)
		dns_cancel(x->fwd.dnsq);
	/* each part is let go of by its module, if it was used */
	if (x->rw.req != NULL)
		rewrite_cancel(x);
	if (x->auth.user != NULL || x->auth.req != NULL ||
	    x->auth.digest != NULL)
		auth_release(x);
	if (x->extacl != NULL)
		external_acl_release(x);
	ev_timer_stop(&x->timer);
	ev_timer_stop(&x->resume);
	delay_release(x->delay);
	tunnel_release(x);	/* a CONNECT's, or an upgraded request's */
	if (x->is_connect)
		bump_release(x);
	else
		cache_release(x);
	http_msg_free(&x->req);
	http_msg_free(&x->rep);
	free(x->head);
	free(x->rep_head);
	free(x->method);
	free(x->url_str);
	free(x->log_url);
	free(x->path_str);
	free(x->rw.buf);
	free(x->rw.store_id);
	free(x->accel_url);
	buf_free(&x->fwd.head);
	buf_free(&x->fwd.body);
	free(x->err_x);
	free(x->err_d);
	notes_free(&x->notes);
	ev_defer_free(x);
}

/*
 * mgr:counters' client side, as Squid counts it when it logs a request
 * (ClientHttpRequest::updateCounters): a line without a parsed request
 * is not counted; %err_code set is Squid's request->error.  Bytes are the
 * line's %>st and %<st, so a tunnel's show when it ends.
 */
static void
xact_count(const struct xact *x)
{
	struct stat_counters *k = heritage.counters;
	enum stat_hit hit;

	if (x->head == NULL)
		return;
	k->client_requests++;
	if (x->log.bytes_in > 0)
		k->client_bytes_in += (uint64_t)x->log.bytes_in;
	if (x->log.bytes_out > 0)
		k->client_bytes_out += (uint64_t)x->log.bytes_out;
	if (x->log.err_code != NULL)
		k->client_errors++;
	if ((hit = stat_share_hit_kind(x->result_tag)) == STAT_MISS)
		return;
	k->client_hits++;
	if (x->log.bytes_out > 0)
		k->client_hit_bytes_out += (uint64_t)x->log.bytes_out;
	if (hit == STAT_MEM_HIT)
		k->client_mem_hits++;
	else if (hit == STAT_DISK_HIT) {
		k->client_disk_hits++;
		k->swap_ins++;
	}
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
	if (xact_peer(x) != NULL)	/* Squid's %<A names the peer */
		x->log.peer_name = xact_peer(x)->name;
	x->log.port = x->url.port;
	x->log.path = x->path_str;
	x->log.vmajor = x->req.vmajor;
	x->log.vminor = x->req.vminor;
	x->log.request = x->head ? &x->req : NULL;
	x->log.xaction = x->id;
	if (x->rep_head != NULL) {
		xact_log_type(x, &x->rep);
		x->log.reply_head = x->rep_head;
		x->log.reply_head_len = x->rep.head_len;
	}
	annotate_log(x);
	xact_count(x);
	accesslog_write(x);
}

void
xact_log_interim(struct xact *x)
{
	xact_log(x);
	x->log.bytes_in = x->log.bytes_out = 0;
	x->log.start = x->log.end;
}

void
xact_start(struct conn *c, const struct http_msg *m)
{
	struct xact *x = xact_new(c);

	c->xact = x;
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
	x->is_connect = strcmp(x->method, "CONNECT") == 0;
	xact_access_start(x);
}

void
xact_log_no_request(struct conn *c)
{
	struct xact *x = xact_new(c);

	x->log_url = xstrdup("error:transaction-end-before-headers");
	x->url_str = xstrdup(x->log_url);
	xact_log(x);
	xact_free(x);
}

/* The method token at the start of a request that failed to parse. */
static char *
xact_guess_method(const struct conn *c)
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

/*
 * The request-target of a line "METHOD TARGET VERSION" whose version was
 * refused (Squid 5.7 logs a 505 with the URL it read), or NULL.
 */
static char *
xact_guess_target(const struct conn *c, const char *method)
{
	const char *p = buf_head(&c->in), *end = p + buf_avail(&c->in);
	const char *t, *e;

	if (method == NULL || (size_t)(end - p) <= strlen(method) + 1)
		return NULL;
	t = p + strlen(method) + 1;
	for (e = t; e < end && *e > ' ' && *e < 0x7f; e++)
		;
	if (e == t || e >= end || *e != ' ')
		return NULL;
	return xstrndup(t, (size_t)(e - t));
}

/* A parse failure: Squid logs NONE_NONE/4xx with "error:invalid-request". */
void
xact_parse_error(struct conn *c, const struct http_parse_error *perr)
{
	struct xact *x = xact_new(c);
	int status = perr->status;
	const char *err = "ERR_INVALID_REQ";

	c->xact = x;
	x->unparsed = 1;
	log_debug(11, 2, "invalid request from client: %s", perr->reason);
	x->method = xact_guess_method(c);
	if (status == 505)
		x->log_url = xact_guess_target(c, x->method);
	if (x->log_url == NULL)
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
	else if (perr->code == HTTP_PERR_NO_VERSION ||
	    (x->method != NULL && strlen(x->method) < buf_avail(&c->in) &&
	    buf_head(&c->in)[strlen(x->method)] != ' '))
		err = "ERR_PROTOCOL_UNKNOWN";	/* no version: Squid says so */
	buf_consume(&c->in, buf_avail(&c->in));
	xact_fail(x, status, err, 0);
}

/*
 * A transaction with no client, made from a client's request: used to
 * revalidate a stale object in the background (stale-while-revalidate).
 * It owns a copy of the request head; nothing is logged for it.
 */
struct xact *
xact_background(const struct xact *model)
{
	struct xact *x = xact_alloc(model->port);

	x->detached = 1;
	x->log.client = model->log.client;
	x->peer = model->peer;
	x->client = model->client;
	/* an intercepted request revalidates at its original destination */
	x->log.local = model->log.local;
	x->icpt = model->icpt;
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
	xact_tag(x, "TCP_MISS");
	return x;
}

/* The router's first step, after the checks (and again for a follower). */
void
xact_route_request(struct xact *x)
{
	struct cache_outcome v;

	if (x->is_connect) {
		if (x->port->ssl_bump && x->conn != NULL &&
		    x->conn->ssl == NULL)
			bump_start(x);
		else if (!xact_miss_denied(x))
			tunnel_start(x);
		return;
	}
	if (x->conn != NULL && x->conn->tls_error != NULL) {
		bump_server_failed(x);
		return;
	}
	/* an intercepted request with an unchecked Host skips the cache */
	if (intercept_cacheable(x))
		cache_lookup(x, &v);
	else
		v.route = CACHE_ROUTE_FETCH;
	xact_route(x, &v);
}

/* How a background revalidation is routed. */
static const struct cache_outcome xact_revalidate = {
	.route = CACHE_ROUTE_REVALIDATE
};

void
xact_route(struct xact *x, const struct cache_outcome *v)
{
	struct xact *b;

	switch (v->route) {
	case CACHE_ROUTE_FETCH:
		if (intercept_loop_denied(x))
			return;
		/* FALLTHROUGH */
	case CACHE_ROUTE_REVALIDATE:
		if (xact_miss_denied(x))
			return;
		forward_start(x);
		return;
	case CACHE_ROUTE_SERVE_STALE:
		/* the background revalidation first: serving may end x */
		if ((b = cache_background(x, &v->meta)) != NULL)
			xact_route(b, &xact_revalidate);
		/* FALLTHROUGH */
	case CACHE_ROUTE_SERVE:
		cache_serve(x, &v->meta, v->age, v->tag);
		return;
	case CACHE_ROUTE_ONLY_IF_CACHED:
		xact_tag(x, "TCP_MISS");
		xact_fail(x, 504, "ERR_ONLY_IF_CACHED_MISS", 0);
		return;
	case CACHE_ROUTE_LOOKUP:
		xact_set_state(x, XS_LOOKUP);
		xact_client_update(x);
		return;
	case CACHE_ROUTE_COLLAPSED:
		xact_set_state(x, XS_COLLAPSED);
		xact_client_update(x);
		return;
	case CACHE_ROUTE_END:
		xact_end(x, 0, NULL, NULL);
		return;
	case CACHE_ROUTE_HANDLED:
		return;
	}
}

/* Is x storing a response, or leading a collapsed group, at its end? */
static int
xact_cache_busy(const struct xact *x)
{
	return x->cache.storing || x->cache.disk_job != NULL ||
	    (x->cf.group != NULL && x->cf.leader == 1);
}

/*
 * %err_detail as Squid 5.7 writes it: FwdState details an error it ends a
 * request with as WITH_SERVER unless something said more (a TLS failure
 * has its own, the page's %x); a tunnel's error page details the system
 * error, errno=N.
 */
static void
xact_error_detail(struct xact *x, const char *err_name)
{
	static const char *const names[] = { "ERR_CONNECT_FAIL",
	    "ERR_ZERO_SIZE_OBJECT", "ERR_READ_ERROR", "ERR_READ_TIMEOUT",
	    "ERR_WRITE_ERROR", "ERR_INVALID_RESP", "ERR_DNS_FAIL",
	    "ERR_CANNOT_FORWARD" };

	if (err_name == NULL || x->unparsed)
		return;
	if (x->err_x != NULL) {		/* a TLS failure's, as the page's %x */
		x->log.err_detail = x->err_x;
		return;
	}
	if (strcmp(x->method, "CONNECT") == 0) {
		if (x->err_errno != 0) {
			snprintf(x->err_detail, sizeof(x->err_detail),
			    "errno=%d", x->err_errno);
			x->log.err_detail = x->err_detail;
		}
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(err_name, names[i]) == 0) {
			x->log.err_detail = "WITH_SERVER";
			return;
		}
}

/* An error before any head went out: the error page (or the stale copy). */
static void
xact_end_error(struct xact *x, int status, const char *err_name)
{
	struct conn *c = x->conn;
	struct cache_outcome v;

	forward_release(x, 0);
	/* a failed revalidation may serve the stale copy, else a 504 */
	if (x->cache.revalidating && status >= 500) {
		if (cache_on_upstream_failure(x, &v)) {
			xact_route(x, &v);
			return;
		}
		status = 504;
	}
	/* a client whose request body was not read fully must go */
	if (!x->reqbody.done || status == 400 || status == 414 ||
	    status == 431 || status == 505 || status == 501)
		x->keep_client = 0;
	x->log.status = status;
	x->log.err_code = x->unparsed ? NULL : err_name;
	if (x->log.err_detail == NULL)
		xact_error_detail(x, err_name);
	/* Squid 5.7 logs a failed tunnel with no content type */
	x->log.mime_type = x->tun.dialing ? NULL : "text/html";
	buf_consume(&c->out, buf_avail(&c->out));
	errpage_build(x, status, err_name, x->err_errno, x->keep_client,
	    &c->out);
	xact_send_local(x);
}

void
xact_end(struct xact *x, int status, const char *err_name,
    const char *reason)
{
	struct conn *c = x->conn;
	int cut = status == XACT_CUT;

	if (status >= 100 && !x->head_sent && !x->detached) {
		xact_end_error(x, status, err_name);
		return;
	}
	if (status != 0) {
		status = XACT_ABORT;
		if (reason == NULL)
			reason = err_name;
	}
	if (x->detached) {
		/* a fetch for the cache only: store it if it came whole */
		if (status == XACT_ABORT)
			log_debug(33, 2, "background fetch of %s abandoned: %s",
			    x->url_str, reason);
		if (xact_cache_busy(x))
			cache_on_finish(x, status == 0 &&
			    x->state == XS_RELAY && x->repbody.done &&
			    x->repbody.pending == 0);
		if (x->srv != NULL)
			forward_release(x, status == 0);
		xact_set_state(x, XS_DONE);
		xact_free(x);
		return;
	}
	if (status == XACT_ABORT) {
		log_debug(33, 2, "transaction %llu aborted: %s",
		    (unsigned long long)x->id, reason);
		if (!cut && !x->timed_out &&
		    strstr(x->result_tag, "_ABORTED") == NULL &&
		    strlen(x->result_tag) + 9 < sizeof(x->result_tag))
			strcat(x->result_tag, "_ABORTED");
		if (x->srv != NULL)
			forward_release(x, 0);
		xact_log(x);
		xact_set_state(x, XS_DONE);
		xact_free(x);
		conn_xact_aborted(c);
		return;
	}
	int keep = x->keep_client && !c->close_after;
	if (xact_cache_busy(x))
		cache_on_finish(x, x->state == XS_RELAY && x->repbody.done &&
		    x->repbody.pending == 0);
	if (x->srv != NULL)
		forward_release(x, 1);
	xact_log(x);
	xact_set_state(x, XS_DONE);
	xact_free(x);
	conn_xact_done(c, keep);
}

void
xact_fail(struct xact *x, int status, const char *err_name, int errnum)
{
	x->err_errno = errnum;
	xact_end(x, status, err_name, NULL);
}

void
xact_send_local(struct xact *x)
{
	struct conn *c = x->conn;

	x->head_sent = 1;
	xact_set_state(x, XS_LOCAL);
	if (conn_flush(c) == -1) {
		xact_end(x, XACT_ABORT, NULL, "client write failed");
		conn_close(c);
		return;
	}
	xact_end(x, 0, NULL, NULL);
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

	log_check(c != NULL && c->xact == x);
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
xact_client_closed(struct xact *x, const char *why)
{
	if (cache_quick_abort_continue(x))
		xact_detach(x);
	else
		xact_end(x, XACT_ABORT, NULL, why);
}

void
xact_client_gone(struct xact *x, const char *why)
{
	if (!cache_quick_abort_continue(x)) {
		xact_end(x, XACT_ABORT, NULL, why);
		return;
	}
	conn_close(x->conn);		/* detaches x */
}

unsigned
xact_client_wants(const struct xact *x)
{
	const struct conn *c = x->conn;
	unsigned want = 0;

	if (x->state == XS_TUNNEL)
		return tunnel_client_wants(x);
	if (x->state == XS_BUMP)
		return bump_client_wants(x);
	if (x->state == XS_HIT)
		return CONN_WANT_WRITE | (c->read_eof ? 0 : CONN_WANT_HUP);
	if (buf_avail(&c->out) > 0)
		want |= CONN_WANT_WRITE;
	if (x->state == XS_RELAY || x->state == XS_LOCAL) {
		/*
		 * Bytes waiting in the server buffer (validated or not) move
		 * when the client can take them: a pump that stopped on its
		 * work budget resumes here, not on a server event that may
		 * never come.
		 */
		if (x->state == XS_RELAY && x->srv != NULL &&
		    buf_avail(&x->srv->in) > 0)
			want |= CONN_WANT_WRITE;
		if (x->state == XS_RELAY && !x->reqbody.done && !x->early_reply)
			want |= CONN_WANT_READ;
	} else if (!x->reqbody.done && buf_avail(&c->in) < 256 * 1024) {
		/* request body still coming */
		if (x->state == XS_FORWARD)
			want |= CONN_WANT_READ;
	}
	/* notice a client that leaves while its request is being served */
	if (x->reqbody.done && !(want & CONN_WANT_READ) && !c->read_eof)
		want |= CONN_WANT_HUP;
	return want | CONN_WANT_WTIMEOUT;
}

void
xact_client_update(struct xact *x)
{
	if (x->conn != NULL)
		conn_want(x->conn, xact_client_wants(x));
}

/*
 * The client closed or reset its connection mid-transaction: Squid 5.7
 * logs ERR_CLIENT_GONE, detailed WITH_CLIENT for a close and errno=N for
 * a reset (the error its read got).
 */
static void
xact_note_client_gone(struct xact *x)
{
	int err = 0;
	socklen_t len = sizeof(err);

	x->log.err_code = "ERR_CLIENT_GONE";
	if (getsockopt(x->conn->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err != 0) {
		snprintf(x->err_detail, sizeof(x->err_detail), "errno=%d", err);
		x->log.err_detail = x->err_detail;
	} else
		x->log.err_detail = "WITH_CLIENT";
}

/*
 * half_closed_clients on: a client that shut down its sending side after
 * its whole request still reads the response, which is served and the
 * connection then closed (no next request can come).  Squid keeps such a
 * connection until a read or write fails; a reset or a full close still
 * ends the transaction at once.  0: the request is not all in.
 */
static int
xact_half_closed(struct xact *x)
{
	struct conn *c = x->conn;

	if (!x->reqbody.done)
		return 0;
	c->read_eof = 1;
	x->keep_client = 0;
	xact_client_update(x);
	return 1;
}

void
xact_client_event(struct xact *x, uint32_t revents)
{
	struct conn *c = x->conn;

	log_check(c != NULL && c->xact == x);
	if (x->state == XS_TUNNEL) {
		tunnel_client_event(x, revents);
		return;
	}
	if (x->state == XS_BUMP) {
		bump_client_event(x, revents);
		return;
	}
	if ((revents & EPOLLRDHUP) && !(revents & (EPOLLHUP | EPOLLERR)) &&
	    worker_cfg->half_closed_clients && xact_half_closed(x))
		revents &= ~(uint32_t)EPOLLRDHUP;
	if (x->state == XS_HIT) {
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			xact_note_client_gone(x);
			conn_close(c);
			return;
		}
		cache_client_event(x);
		return;
	}
	if ((revents & EPOLLOUT) && conn_flush(c) == -1) {
		conn_close(c);
		return;
	}
	if (x->reqbody.done && (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		/* half_closed_clients off, as in Squid: the client is gone */
		xact_note_client_gone(x);
		conn_close(c);
		return;
	}
	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !x->reqbody.done)
		conn_read(c);
	forward_client_event(x);
}
