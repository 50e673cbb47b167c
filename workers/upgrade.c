/*
 * Upgrade through the proxy, as Squid 5.7 does it.  The client's Upgrade
 * offer goes upstream only as far as http_upgrade_request_protocols allows
 * (upgrade_rules.c; none by default, so the header is dropped as any other
 * hop-by-hop one), never for an HTTP/1.0 request (RFC 9110 7.8).  A 101
 * Switching Protocols is accepted when we offered something, the server
 * says Connection: upgrade and names in Upgrade only protocols we offered
 * (Squid leaves that last check to the client; a server switching to a
 * protocol the rules did not let through is refused here); then the 101
 * goes to the client without hop-by-hop fields but with the server's
 * Upgrade and "Connection: upgrade", and the two connections become a
 * tunnel (tunnel.c, with its idle timeout), carrying whatever either side
 * sent after its head.  Anything else is a 502 ERR_INVALID_RESP.  A 101
 * is never stored: it never reaches the cache.
 *
 * The offer is made again from the request when the 101 comes rather than
 * kept: it depends only on the request and the rules.
 *
 * In DESIGN.md's data flow: miss - reply (a 101 turns into a byte tunnel).
 */
#include "config.h"
#include "upgrade.h"
#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "headers.h"
#include "log.h"
#include "pconn.h"
#include "tunnel.h"
#include "upgrade_rules.h"
#include "util.h"
#include "worker.h"
#include "hdr_mangle.h"
#include "xact.h"

#include <string.h>

/* The allowed offer of x's request into out; how many protocols. */
static int
upgrade_offer_list(struct xact *x, struct buf *out)
{
	struct acl_checklist cl;

	/* a background revalidation has no client to switch */
	if (x->conn == NULL || x->is_connect)
		return 0;
	/* RFC 9110 7.8: an HTTP/1.0 request's Upgrade is ignored */
	if (x->req.vmajor == 1 && x->req.vminor == 0)
		return 0;
	if (http_msg_header(&x->req, "Upgrade") == NULL)
		return 0;
	xact_checklist(x, &cl);
	return upgrade_offer_filter(&worker_cfg->http_upgrade_request_protocols,
	    &x->req, &cl, out);
}

int
upgrade_offer(struct xact *x, struct buf *out)
{
	struct buf list;
	int n;

	buf_init(&list);
	n = upgrade_offer_list(x, &list);
	if (n > 0)
		buf_printf(out, "Upgrade: %.*s\r\n", (int)buf_avail(&list),
		    buf_head(&list));
	buf_free(&list);
	return n > 0;
}

/* Why the 101 in x->rep cannot be taken, or NULL. */
static const char *
upgrade_refusal(struct xact *x)
{
	const struct http_msg *m = &x->rep;
	const struct http_header *h;
	struct buf offer;
	const char *why = NULL;
	int seen = 0;

	buf_init(&offer);
	if (upgrade_offer_list(x, &offer) == 0) {
		why = "no Upgrade was offered, but the server switched";
		goto done;
	}
	if (!http_msg_has_token(m, "Connection", "upgrade")) {
		why = "the server did not send Connection: upgrade";
		goto done;
	}
	for (int i = 0; i < m->nhdr; i++) {
		h = &m->hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Upgrade"))
			continue;
		if (!upgrade_accepts(buf_head(&offer), buf_avail(&offer),
		    h->value, h->value_len)) {
			why = "the server's Upgrade names a protocol not offered";
			goto done;
		}
		seen = 1;
	}
	if (!seen)
		why = "the server sent no Upgrade";
done:
	buf_free(&offer);
	return why;
}

/* The 101 to the client: as Squid's control message writer makes it. */
static void
upgrade_build_101(const struct http_msg *m, struct buf *out)
{
	int seen = 0;

	buf_printf(out, "HTTP/1.1 101 %.*s\r\n", (int)m->reason_len,
	    m->reason != NULL ? m->reason : "");
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (headers_is_hop(m, h->name, h->name_len) ||
		    util_strcaseeq_n(h->name, h->name_len, "Content-Length"))
			continue;
		buf_append(out, h->name, h->name_len);
		buf_append(out, ": ", 2);
		buf_append(out, h->value, h->value_len);
		buf_append(out, "\r\n", 2);
	}
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Upgrade"))
			continue;
		buf_printf(out, "%s%.*s", seen ? ", " : "Upgrade: ",
		    (int)h->value_len, h->value);
		seen = 1;
	}
	buf_printf(out, "\r\nConnection: upgrade\r\n\r\n");
}

void
upgrade_switch(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;
	const char *why = upgrade_refusal(x);

	if (why != NULL) {
		log_debug(11, 2, "bad 101 from %s: %s", x->url_str, why);
		xact_fail(x, 502, "ERR_INVALID_RESP", 0);
		return;
	}
	log_debug(11, 2, "%s switched protocols: tunnel", x->url_str);
	/* Squid 5.7 logs TCP_TUNNEL/101, counting bytes after the 101 */
	xact_tag(x, "TCP_TUNNEL");
	x->log.status = 101;
	x->keep_client = 0;
	x->rep.keep_alive = 0;		/* the server connection is the tunnel's */
	x->head_sent = 1;
	x->log.bytes_out -= (int64_t)buf_avail(&c->out);
	size_t rel = buf_avail(&c->out);
	upgrade_build_101(&x->rep, &c->out);
	hdr_mangle_head(x, HDR_MANGLE_REPLY, &x->rep, &c->out, rel);
	x->log.bytes_out -= (int64_t)buf_avail(&c->out);
	/*
	 * Upstream: what is still queued of the request, then what the
	 * client sent after it; downstream: the 101 (after any interim
	 * response not yet written), then what the server sent after its.
	 */
	tunnel_switch(x, &s->out, &c->in, &c->out, &s->in);
}
