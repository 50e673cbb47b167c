/*
 * The checks between a parsed request head and the router, in order: the
 * URL and what this port accepts, follow_x_forwarded_for, Max-Forwards on
 * TRACE/OPTIONS, http_access (which may wait for DNS, the auth helper or
 * an external ACL helper), then url_rewrite_program and store_id_program
 * (internal.c answers requests for the proxy itself in their place).
 * Each step that waits resumes where it left off; a denial ends the
 * transaction with Squid's page (deny_info).
 *
 * In DESIGN.md's data flow: http_access / auth / url_rewrite / store ID.
 */
#include "config.h"
#include "hdr_mangle.h"
#include "xact.h"
#include "bump.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "auth.h"
#include "auth_negotiate.h"
#include "cfg.h"
#include "conn.h"
#include "errpage.h"
#include "external_acl.h"
#include "headers.h"
#include "intercept.h"
#include "internal.h"
#include "mgr.h"
#include "log.h"
#include "rewrite.h"
#include "storeid.h"
#include "uri_ws.h"
#include "util.h"
#include "worker.h"

static void xact_access(struct xact *x);

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
	if (x->log.local.ss_family != AF_UNSPEC)
		cl->local = (const struct sockaddr *)&x->log.local;
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
	cl->auth_state = auth_enabled() ? x->auth.state : ACL_AUTH_OFF;
	if (x->auth.state == ACL_AUTH_OK)
		cl->user = x->auth.user;
	if (x->conn != NULL)
		cl->server_cert = x->conn->tls_server_cert;
	/* external ACLs answer from their cache here; xact_access waits */
	cl->tag = &x->log.ext_tag;
	cl->ext_user = &x->log.ext_user;
	cl->notes = &x->notes;
	/* annotate_* ACLs write through a const transaction: their side
	 * effect is the point of checking them */
	cl->annotate_xact = (struct notes *)&x->notes;
	if (x->conn != NULL)
		cl->annotate_conn = &x->conn->notes;
	cl->external = external_acl_match_fast;
	cl->external_arg = (void *)x;
	cl->max_user_ip = auth_max_user_ip;
	cl->auth_arg = (void *)x;
	cl->client_conns = conn_ip_established(cl->src);
	cl->hier = x->hier;
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


static void
xact_deny_page_or(struct xact *x, const struct access_rule *rule, int status,
    const char *tag, const char *dflt_page);

static void
xact_deny(struct xact *x, const struct access_rule *rule, int status,
    const char *tag)
{
	xact_deny_page_or(x, rule, status, tag, NULL);
}

/*
 * miss_access, where Squid checks it (FwdState::Start, tunnelStart): before
 * anything goes upstream, with the direct client's address whatever
 * acl_uses_indirect_client says.  A fast list; only a deny refuses.
 */
int
xact_miss_denied(struct xact *x)
{
	struct acl_checklist cl;
	const struct access_rule *rule = NULL;
	int action = ACCESS_ALLOW;

	if (worker_cfg->miss_access.head == NULL || x->conn == NULL)
		return 0;
	xact_checklist(x, &cl);
	cl.src = (const struct sockaddr *)&x->peer;
	if (access_check(&worker_cfg->miss_access, &cl, ACCESS_ALLOW, &action,
	    &rule) != ACL_MATCH || action != ACCESS_DENY)
		return 0;
	log_debug(33, 3, "miss_access denies %s", x->url_str);
	/* Squid's refresh gets the error as its new reply: a "modified" */
	xact_deny_page_or(x, rule, 403, x->is_connect ? "NONE_NONE" :
	    x->cache.revalidating ? "TCP_REFRESH_MODIFIED" : "TCP_MISS",
	    "ERR_FORWARDING_DENIED");
	return 1;
}

static void
xact_deny_page_or(struct xact *x, const struct access_rule *rule, int status,
    const char *tag, const char *dflt_page)
{
	const char *page = xact_deny_page(rule);

	xact_tag(x, tag);
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
		xact_send_local(x);
		return;
	}
	if (page != NULL && strncmp(page, "ERR_", 4) != 0) {
		/* deny_info NNN:ERR_X or a custom page file name */
		if (page[3] == ':') {
			status = atoi(page);
			page += 4;
		}
	}
	if (status == 407)
		auth_negotiate_deny(x);
	if (page == NULL)
		page = dflt_page;
	xact_fail(x, status, page != NULL ? page : status == 407 ?
	    "ERR_CACHE_ACCESS_DENIED" : "ERR_ACCESS_DENIED", 0);
}

/* http_access; may need DNS for dst ACLs. */

static void
xact_access_dns(void *arg, const struct dns_result *res)
{
	struct xact *x = arg;

	x->fwd.dnsq = NULL;
	x->dns = *res;
	if (res->naddrs == 0) {
		/* dst ACLs cannot match an unresolvable name: check with none */
		x->dns.naddrs = 0;
	}
	xact_access(x);
}

/* After the rewriter, as in Squid: the store ID, then the router. */
/*
 * After the URL helpers: the cache manager's requests were asked about
 * too, as Squid asks its rewriter and store ID helpers about them.
 */
static void
xact_helpers_done(struct xact *x)
{
	if (mgr_start(x))
		return;
	xact_route_request(x);
}

static void
xact_store_id(struct xact *x)
{
	if (!storeid_start(x, xact_helpers_done))
		xact_helpers_done(x);
}

static void
xact_access(struct xact *x)
{
	struct acl_checklist cl;
	const struct access_rule *rule = NULL;
	const struct acl *last = NULL;
	int action = ACCESS_DENY;

	if (auth_enabled()) {
		auth_setup(x);
		auth_note_address(x);	/* before max_user_ip counts */
	} else
		x->auth.state = ACL_AUTH_OFF;
	xact_checklist(x, &cl);
	cl.external = external_acl_match;
	enum acl_result r = access_check_last(&worker_cfg->http_access, &cl,
	    ACCESS_DENY, &action, &rule, &last);
	if (r == ACL_NEED_EXT && external_acl_start(x, xact_access))
		return;		/* the helper's answer re-runs the check */
	if (r == ACL_NEED_DST && x->dns.naddrs == 0 && x->dns.error == NULL) {
		xact_set_state(x, XS_ACCESS);
		x->fwd.dnsq = dns_resolve(x->url.host, xact_access_dns, x);
		return;
	}
	if (r == ACL_NEED_AUTH) {
		/* credentials to check, or none (or bad ones): challenge */
		if (x->auth.state == ACL_AUTH_PENDING &&
		    auth_start(x, xact_access))
			return;
		xact_deny(x, rule, 407, "TCP_DENIED");
		return;
	}
	if (r != ACL_MATCH || action != ACCESS_ALLOW) {
		/* Squid: a denial whose last checked ACL is proxy_auth
		 * challenges, so the user may log in as someone else */
		xact_deny(x, rule, last != NULL && acl_is_auth(last) &&
		    (cl.auth_state != ACL_AUTH_OFF || x->icpt.mode != 0) ?
		    407 : 403, "TCP_DENIED");
		return;
	}
	/* as Squid: PURGE exists only once some "method PURGE" ACL does */
	if (strcmp(x->method, "PURGE") == 0 && !worker_cfg->acls.has_purge) {
		xact_deny(x, NULL, 403, "TCP_DENIED");
		return;
	}
	if (internal_maybe(x->url.path, x->url.path_len) && internal_start(x))
		return;		/* the proxy's own pages */
	if (rewrite_start(x, xact_store_id))
		return;
	xact_store_id(x);
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
		xact_fail(x, 501, "ERR_UNSUP_REQ", 0);
		return 1;
	}
	/* TRACE: echo the request as it would have been forwarded */
	struct buf echo;
	buf_init(&echo);
	headers_build_request(x, &echo);
	x->log.status = 200;
	size_t rel = buf_avail(&c->out);
	buf_printf(&c->out, "HTTP/1.1 200 OK\r\nServer: %s\r\n"
	    "Content-Type: message/http\r\nContent-Length: %zu\r\n"
	    "X-Cache: MISS from %s\r\nConnection: %s\r\n\r\n",
	    worker_appname(), buf_avail(&echo), host,
	    x->keep_client ? "keep-alive" : "close");
	hdr_mangle_head(x, HDR_MANGLE_REPLY, NULL, &c->out, rel);
	buf_append(&c->out, buf_head(&echo), buf_avail(&echo));
	buf_free(&echo);
	xact_tag(x, "TCP_MISS");
	xact_send_local(x);
	return 1;
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


/*
 * accel: the URL an origin server's request stands for, as Squid builds
 * it: the Host header's site with vhost, else defaultsite=, else the
 * address the client reached with vport; the port from vport when set.
 * Without vhost an absolute-form target keeps only its path.  NULL to
 * take the target as it is.
 */
static char *
xact_accel_url(struct xact *x)
{
	const struct cfg_port *p = x->port;
	const char *path = x->req.target, *end = path + x->req.target_len;
	const char *slash = "";
	char ip[INET6_ADDRSTRLEN + 2];
	int vport = p->vport;

	if (path == end || path[0] != '/') {
		const char *s = memmem(path, (size_t)(end - path), "://", 3);
		if (p->vhost || s == NULL)
			return NULL;
		for (path = s + 3; path < end && *path != '/' && *path != '?' &&
		    *path != '#'; path++)
			;
		if (path == end || *path != '/')
			slash = "/";
	}
	if (vport == 0)		/* "vport" alone: the port the client reached */
		vport = util_addr_port((const struct sockaddr *)&x->log.local);
	const struct http_header *h = p->vhost ?
	    http_msg_header(&x->req, "Host") : NULL;
	if (h != NULL && h->value_len > 0) {
		size_t hl = h->value_len;
		if (vport > 0) {
			/* drop the Host's own port (not an IPv6 literal's) */
			size_t i = hl;
			while (i > 0 && h->value[i - 1] != ':' &&
			    h->value[i - 1] != ']')
				i--;
			if (i > 0 && h->value[i - 1] == ':')
				hl = i - 1;
			return xasprintf("http://%.*s:%d%s%.*s", (int)hl,
			    h->value, vport, slash, (int)(end - path), path);
		}
		return xasprintf("http://%.*s%s%.*s", (int)hl, h->value, slash,
		    (int)(end - path), path);
	}
	if (p->defaultsite != NULL) {
		if (vport > 0)
			return xasprintf("http://%s:%d%s%.*s", p->defaultsite,
			    vport, slash, (int)(end - path), path);
		return xasprintf("http://%s%s%.*s", p->defaultsite, slash,
		    (int)(end - path), path);
	}
	if (vport > 0) {
		const struct sockaddr *la = (const struct sockaddr *)
		    &x->log.local;
		util_addr_str(la, ip, sizeof(ip));
		return xasprintf(la->sa_family == AF_INET6 ?
		    "http://[%s]:%d%s%.*s" : "http://%s:%d%s%.*s", ip, vport,
		    slash, (int)(end - path), path);
	}
	return NULL;
}

/* After the Host check: the access checks proper. */
static void
xact_access_checks(struct xact *x)
{
	xact_indirect_client(x);
	if (worker_cfg->log_uses_indirect_client)
		x->log.client = x->client;
	if (xact_max_forwards(x))
		return;
	xact_access(x);
}

/*
 * A target with whitespace inside (http_parse.c): the head becomes the one
 * uri_whitespace makes of it, parsed again, so that everything after this
 * (the URL, ACLs, helpers, the head sent on) sees only the cleaned target.
 * -1: refused with 400 ERR_INVALID_URL, logged with the target stripped
 * as Squid logs it.
 */
static int
xact_uri_whitespace(struct xact *x)
{
	struct buf t, head;
	struct http_msg m = { 0 };
	struct http_parse_error err;
	size_t before = (size_t)(x->req.target - x->head);
	size_t after = before + x->req.target_len;

	buf_init(&t);
	buf_init(&head);
	if (uri_ws_apply(worker_cfg->uri_whitespace, x->req.target,
	    x->req.target_len, &t) == 0) {
		buf_append(&head, x->head, before);
		buf_append(&head, buf_head(&t), buf_avail(&t));
		buf_append(&head, x->head + after, x->req.head_len - after);
		if (http_parse_request(&m, buf_head(&head), buf_avail(&head),
		    buf_avail(&head), &err) == HTTP_PARSE_OK &&
		    !m.target_ws) {
			char *h = xmalloc(buf_avail(&head) + 1);
			memcpy(h, buf_head(&head), buf_avail(&head));
			h[buf_avail(&head)] = '\0';
			headers_rebase(&m, buf_head(&head), h);
			http_msg_free(&x->req);
			free(x->head);
			x->head = h;
			x->req = m;
			buf_free(&t);
			buf_free(&head);
			return 0;
		}
		http_msg_free(&m);
	}
	buf_consume(&t, buf_avail(&t));
	uri_ws_apply(URI_WS_STRIP, x->req.target, x->req.target_len, &t);
	x->unparsed = 1;
	x->url_str = xstrndup(buf_head(&t), buf_avail(&t));
	x->log_url = xstrndup(buf_head(&t), buf_avail(&t));
	if (worker_cfg->strip_query_terms && strchr(x->log_url, '?') != NULL)
		strchr(x->log_url, '?')[1] = '\0';
	buf_free(&t);
	buf_free(&head);
	xact_fail(x, 400, "ERR_INVALID_URL", 0);
	return -1;
}

/* From a parsed head to the router, or to the answer a check made. */
void
xact_access_start(struct xact *x)
{
	enum url_result ur;
	char tmp[URL_HOST_MAX + 4096];

	if (x->req.target_ws && xact_uri_whitespace(x) == -1)
		return;
	if (x->port->accel && !x->is_connect) {
		x->accelerated = 1;
		x->accel_url = xact_accel_url(x);
	} else if (x->conn != NULL && x->conn->ssl != NULL && !x->is_connect)
		x->accel_url = bump_request_url(x);	/* a bumped request */
	else if (x->icpt.mode != 0 && !x->is_connect)
		x->accel_url = intercept_url(x);	/* origin form */
	if (x->accel_url == NULL && !x->accelerated && !x->is_connect &&
	    internal_maybe(x->req.target, x->req.target_len))
		x->accel_url = internal_local_url(x);	/* GET /cuttle/ */
	if (x->accel_url == NULL && !x->accelerated && !x->is_connect &&
	    mgr_maybe(x->req.target, x->req.target_len))
		x->accel_url = mgr_local_url(x);	/* /squid-internal-mgr/ */
	if (x->is_connect)
		ur = url_parse_authority(&x->url, x->req.target,
		    x->req.target_len);
	else if (x->accel_url != NULL)
		ur = url_parse_absolute(&x->url, x->accel_url,
		    strlen(x->accel_url));
	else
		ur = url_parse_absolute(&x->url, x->req.target,
		    x->req.target_len);
	if (ur != URL_OK) {
		x->unparsed = 1;
		x->url_str = xstrndup(x->req.target, x->req.target_len);
		x->log_url = xstrndup(x->req.target, x->req.target_len);
		if (!x->is_connect && url_is_origin_form(x->req.target,
		    x->req.target_len)) {
			/* origin-form on a forward port: not a proxy request */
			xact_fail(x, 400, "ERR_INVALID_URL", 0);
			return;
		}
		xact_fail(x, 400, ur == URL_UNSUPPORTED ? "ERR_UNSUP_REQ" :
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
	/* https:// too: forward.c opens TLS to the origin (tls_client.c);
	 * cache_object:// is the cache manager's (mgr.c, after http_access) */
	if (strcmp(x->url.scheme, "http") != 0 &&
	    strcmp(x->url.scheme, "https") != 0 &&
	    strcmp(x->url.scheme, "cache_object") != 0 && !x->is_connect) {
		xact_fail(x, 400, "ERR_UNSUP_REQ", 0);
		return;
	}
	if (worker_cfg->request_body_max_size > 0 &&
	    x->req.body == HTTP_BODY_LENGTH &&
	    x->req.content_length > worker_cfg->request_body_max_size) {
		xact_fail(x, 413, "ERR_TOO_BIG", 0);
		return;
	}
	/* Squid checks Host (intercept.c) before anything else */
	if (intercept_xact(x) && intercept_verify(x, xact_access_checks))
		return;
	xact_access_checks(x);
}

/* Parse the next request if one is buffered, otherwise wait for one. */
