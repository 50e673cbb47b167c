/*
 * Building the heads that leave the proxy.  The forwarded request uses the
 * origin-form target, carries the client's end-to-end headers in their
 * order, then Host (from the URL), Via, X-Forwarded-For and Connection, as
 * Squid 5.7 sends them.  The response to the client keeps the server's
 * end-to-end headers and adds X-Cache, X-Cache-Lookup, Via and Connection.
 *
 * In DESIGN.md's data flow: miss: the request sent upstream and the reply to
 * the client.
 */
#include "config.h"
#include "headers.h"
#include "forward.h"
#include "alt_svc.h"
#include "auth_digest.h"
#include "cache.h"
#include "cfg.h"
#include "conn.h"
#include "hdr_mangle.h"
#include "xact.h"
#include "http_parse.h"
#include "upgrade.h"
#include "util.h"
#include "worker.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const headers_hop[] = {
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
	"Proxy-Authenticate", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	NULL
};

void
headers_rebase(struct http_msg *m, const char *from, const char *to)
{
#define REBASE(p) do { if ((p) != NULL) (p) = to + ((p) - from); } while (0)
	REBASE(m->method);
	REBASE(m->target);
	REBASE(m->reason);
	for (int i = 0; i < m->nhdr; i++) {
		REBASE(m->hdr[i].name);
		REBASE(m->hdr[i].value);
	}
#undef REBASE
}

static int
headers_in_connection(const struct http_msg *m, const char *name, size_t len)
{
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Connection"))
			continue;
		const char *p = h->value, *end = h->value + h->value_len;
		while (p < end) {
			while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			const char *s = p;
			while (p < end && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			if ((size_t)(p - s) == len && strncasecmp(s, name, len) == 0)
				return 1;
		}
	}
	return 0;
}

/*
 * Connection cannot take away what frames the message or says where it
 * goes: a Content-Length dropped because Connection named it, with the body
 * still relayed, was read by the origin as a second request.  A request
 * naming its framing is refused by the parser; a response naming it keeps
 * it (servers that list Transfer-Encoding there exist, and the client gets
 * our own Connection header); Host is always rebuilt from the URL.
 */
static int
headers_never_nominated(const char *name, size_t len)
{
	return util_strcaseeq_n(name, len, "Content-Length") ||
	    util_strcaseeq_n(name, len, "Transfer-Encoding") ||
	    util_strcaseeq_n(name, len, "Host");
}

int
headers_is_hop(const struct http_msg *m, const char *name, size_t len)
{
	for (int i = 0; headers_hop[i] != NULL; i++)
		if (util_strcaseeq_n(name, len, headers_hop[i]))
			return 1;
	return !headers_never_nominated(name, len) &&
	    headers_in_connection(m, name, len);
}

static char headers_via[300];

void
headers_reload(void)
{
	headers_via[0] = '\0';	/* visible_hostname may have changed */
}

const char *
headers_via_value(void)
{
	char *via = headers_via;

	if (via[0] == '\0')
		snprintf(via, sizeof(headers_via), "1.1 %s (%s)",
		    worker_cfg->unique_hostname != NULL ?
		    worker_cfg->unique_hostname : worker_hostname(),
		    worker_appname());
	return via;
}

static void
headers_add_xff(struct xact *x, struct buf *out)
{
	const struct http_msg *m = &x->req;
	char ip[64];
	const char *client = util_addr_str((struct sockaddr *)&x->peer,
	    ip, sizeof(ip));
	int seen = 0;

	switch (worker_cfg->forwarded_for) {
	case CFG_FF_TRANSPARENT:
		for (int i = 0; i < m->nhdr; i++)
			if (util_strcaseeq_n(m->hdr[i].name, m->hdr[i].name_len,
			    "X-Forwarded-For"))
				buf_printf(out, "X-Forwarded-For: %.*s\r\n",
				    (int)m->hdr[i].value_len, m->hdr[i].value);
		return;
	case CFG_FF_DELETE:
		return;
	case CFG_FF_TRUNCATE:
		buf_printf(out, "X-Forwarded-For: %s\r\n", client);
		return;
	case CFG_FF_ON:
	case CFG_FF_OFF:
		break;
	}
	const char *self = worker_cfg->forwarded_for == CFG_FF_OFF ?
	    "unknown" : client;
	for (int i = 0; i < m->nhdr; i++) {
		if (!util_strcaseeq_n(m->hdr[i].name, m->hdr[i].name_len,
		    "X-Forwarded-For"))
			continue;
		buf_printf(out, "%s%.*s", seen ? ", " : "X-Forwarded-For: ",
		    (int)m->hdr[i].value_len, m->hdr[i].value);
		seen = 1;
	}
	buf_printf(out, "%s%s\r\n", seen ? ", " : "X-Forwarded-For: ", self);
}

static void
headers_add_via(const struct http_msg *m, struct buf *out)
{
	int seen = 0;

	if (!worker_cfg->via)
		return;
	for (int i = 0; i < m->nhdr; i++) {
		if (!util_strcaseeq_n(m->hdr[i].name, m->hdr[i].name_len, "Via"))
			continue;
		buf_printf(out, "%s%.*s", seen ? ", " : "Via: ",
		    (int)m->hdr[i].value_len, m->hdr[i].value);
		seen = 1;
	}
	buf_printf(out, "%s%s\r\n", seen ? ", " : "Via: ", headers_via_value());
}

/*
 * Squid sends "Cache-Control: max-age=MAX" (the refresh_pattern maximum of
 * the URL, 3 days without a match) when the client sent no Cache-Control.
 */
static long long
headers_refresh_max(const struct xact *x)
{
	for (const struct cfg_refresh *r = worker_cfg->refresh_patterns;
	    r != NULL; r = r->next)
		if (r->regex != NULL &&
		    regexec(r->regex, x->url_str, 0, NULL, 0) == 0)
			return (long long)r->max_s;
	return 259200;
}

void
headers_build_request(struct xact *x, struct buf *out)
{
	const struct http_msg *m = &x->req;
	char hostport[URL_HOST_MAX + 16];
	int is_trace_options = strcmp(x->method, "TRACE") == 0 ||
	    strcmp(x->method, "OPTIONS") == 0;

	/* inside a CONNECT tunnel through a parent: as to the origin */
	const struct cfg_peer *peer = forward_thru_peer_tunnel(x) ? NULL :
	    xact_peer(x);

	/* a parent proxy gets the absolute URL, an origin its path */
	if (peer != NULL && !peer->originserver)
		buf_printf(out, "%s %s HTTP/1.1\r\n", x->method, x->url_str);
	else
		buf_printf(out, "%s %.*s%.*s HTTP/1.1\r\n", x->method,
		    (int)x->url.path_len, x->url.path,
		    (int)x->url.query_len, x->url.query ? x->url.query : "");
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (util_strcaseeq_n(h->name, h->name_len, "Transfer-Encoding")) {
			/* the body is relayed as received: keep its coding */
			buf_printf(out, "Transfer-Encoding: %.*s\r\n",
			    (int)h->value_len, h->value);
			continue;
		}
		/* fetched whole for the cache (range_offset_limit) */
		if (x->cache.range_whole && (util_strcaseeq_n(h->name, h->name_len,
		    "Range") || util_strcaseeq_n(h->name, h->name_len,
		    "If-Range")))
			continue;
		/* revalidating: our validators replace the client's */
		if (x->cache.cond != NULL && (util_strcaseeq_n(h->name,
		    h->name_len, "If-None-Match") || util_strcaseeq_n(h->name,
		    h->name_len, "If-Modified-Since")))
			continue;
		if (headers_is_hop(m, h->name, h->name_len) ||
		    util_strcaseeq_n(h->name, h->name_len, "Host") ||
		    util_strcaseeq_n(h->name, h->name_len, "Via") ||
		    util_strcaseeq_n(h->name, h->name_len, "X-Forwarded-For"))
			continue;
		/* cache_peer login=: what an originserver peer may see */
		if (util_strcaseeq_n(h->name, h->name_len, "Authorization") &&
		    !peer_login_keeps_authorization(peer))
			continue;
		if (is_trace_options &&
		    util_strcaseeq_n(h->name, h->name_len, "Max-Forwards")) {
			long n = strtol(h->value, NULL, 10);
			buf_printf(out, "Max-Forwards: %ld\r\n", n > 0 ? n - 1 : 0);
			continue;
		}
		buf_append(out, h->name, h->name_len);
		buf_append(out, ": ", 2);
		buf_append(out, h->value, h->value_len);
		buf_append(out, "\r\n", 2);
	}
	const struct http_header *host = x->rw.keep_host ?
	    http_msg_header(m, "Host") : NULL;
	if (peer != NULL && peer->forceddomain != NULL) {
		/* cache_peer forceddomain=: the name that origin answers to */
		buf_printf(out, "Host: %s\r\n", peer->forceddomain);
	} else if (host != NULL) {
		/* url_rewrite_host_header off: the client's Host stays */
		buf_printf(out, "Host: %.*s\r\n", (int)host->value_len,
		    host->value);
	} else if (url_port_is_default(&x->url)) {
		if (x->url.is_ipv6)
			buf_printf(out, "Host: [%s]\r\n", x->url.host);
		else
			buf_printf(out, "Host: %s\r\n", x->url.host);
	} else {
		url_format_host_port(&x->url, hostport, sizeof(hostport));
		buf_printf(out, "Host: %s\r\n", hostport);
	}
	headers_add_via(m, out);
	headers_add_xff(x, out);
	if (peer != NULL && peer->login != NULL)	/* cache_peer login= */
		peer_login_header(x, peer, out);
	if (x->cache.cond != NULL)
		buf_append(out, x->cache.cond, strlen(x->cache.cond));
	if (http_msg_header(m, "Cache-Control") == NULL)
		buf_printf(out, "Cache-Control: max-age=%lld\r\n",
		    headers_refresh_max(x));
	/* an Upgrade offer goes with "Connection: upgrade" alone, as Squid's;
	 * without http_upgrade_request_protocols nothing is ever offered */
	const struct cfg_upgrade *up =
	    &worker_cfg->http_upgrade_request_protocols;
	if ((up->named != NULL || up->other.head != NULL) &&
	    upgrade_offer(x, out))
		buf_printf(out, "Connection: upgrade\r\n\r\n");
	else
		buf_printf(out, "Connection: %s\r\n\r\n",
		    worker_cfg->server_persistent_connections ? "keep-alive" :
		    "close");
}

/* A client that reached its origin through a bump (not an https_port). */
static int
headers_client_bumped(const struct xact *x)
{
	return x->conn != NULL && x->conn->ssl != NULL &&
	    x->conn->tls_authority != NULL;
}

void
headers_put_response_field(const struct xact *x, const struct http_header *h,
    struct buf *out)
{
	if (headers_client_bumped(x) &&
	    util_strcaseeq_n(h->name, h->name_len, "Alt-Svc")) {
		char *v = xmalloc(2 * h->value_len + 1);
		size_t n = alt_svc_without_h3(h->value, h->value_len, v);

		if (n > 0)
			buf_printf(out, "%.*s: %.*s\r\n", (int)h->name_len,
			    h->name, (int)n, v);
		free(v);
		return;
	}
	buf_append(out, h->name, h->name_len);
	buf_append(out, ": ", 2);
	buf_append(out, h->value, h->value_len);
	buf_append(out, "\r\n", 2);
}

void
headers_build_response(struct xact *x, struct buf *out)
{
	const struct http_msg *m = &x->rep;
	const char *host = worker_hostname();
	size_t rel = buf_avail(out);

	if (worker_retiring())
		x->keep_client = 0;

	if (x->cache.range_window)
		buf_printf(out, "HTTP/1.1 206 Partial Content\r\n");
	else
		buf_printf(out, "HTTP/1.1 %d %.*s\r\n", m->status,
		    (int)m->reason_len, m->reason ? m->reason : "");
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (x->cache.range_window &&
		    util_strcaseeq_n(h->name, h->name_len, "Content-Length"))
			continue;	/* cache_range_head() says the range's */
		if (util_strcaseeq_n(h->name, h->name_len, "Transfer-Encoding")) {
			if (!x->fwd.dechunk)
				buf_printf(out, "Transfer-Encoding: %.*s\r\n",
				    (int)h->value_len, h->value);
			continue;
		}
		if (headers_is_hop(m, h->name, h->name_len) ||
		    util_strcaseeq_n(h->name, h->name_len, "Via"))
			continue;
		headers_put_response_field(x, h, out);
	}
	if (x->cache.range_window)
		cache_range_head(x, out);
	auth_digest_reply_info(x, out);
	buf_printf(out, "X-Cache: MISS from %s\r\n"
	    "X-Cache-Lookup: MISS from %s:%d\r\n", host, host,
	    worker_first_port());
	headers_add_via(m, out);
	if (x->cache.key != NULL)
		buf_printf(out, "Cache-Status: %s;%s%s\r\n", host,
		    cache_status_fwd(x), x->cache.storing ? ";stored" : "");
	buf_printf(out, "Connection: %s\r\n\r\n",
	    x->keep_client ? "keep-alive" : "close");
	hdr_mangle_head(x, HDR_MANGLE_REPLY, m, out, rel);
}

void
headers_build_interim(const struct http_msg *m, struct buf *out)
{
	buf_printf(out, "HTTP/1.1 %d %.*s\r\n", m->status,
	    (int)m->reason_len, m->reason ? m->reason : "");
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];

		/* a 1xx has no body: framing fields there are noise */
		if (headers_is_hop(m, h->name, h->name_len) ||
		    util_strcaseeq_n(h->name, h->name_len, "Content-Length") ||
		    util_strcaseeq_n(h->name, h->name_len,
		    "Transfer-Encoding"))
			continue;
		buf_append(out, h->name, h->name_len);
		buf_append(out, ": ", 2);
		buf_append(out, h->value, h->value_len);
		buf_append(out, "\r\n", 2);
	}
	buf_append(out, "\r\n", 2);
}
