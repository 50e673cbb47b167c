/*
 * mgr: Squid's cache manager, so far its helper pages: mgr:redirector,
 * mgr:store_id, mgr:basicauthenticator, mgr:digestauthenticator,
 * mgr:negotiateauthenticator and mgr:external_acl, in Squid 5.7's layout
 * (squid-compat.md 13).  Reached as Squid is reached: cache_object://ANY/
 * ACTION (squidclient), http://visible_hostname:PORT/squid-internal-mgr/
 * ACTION naming this proxy and port, or that path in origin form on a port
 * that is not accel.  The request has passed http_access (the built-in
 * `manager` ACL matches both URL forms) and, as in Squid, the rewriter and
 * store ID helpers; other actions answer 404 with ERR_INVALID_URL as
 * Squid answers an unknown one.
 *
 * Each worker answers from its own helpers; with workers > 1 the page is
 * framed "by kidN {" ... "} by kidN" as Squid frames each kid's part, but
 * only the kid that took the connection reports (Squid's coordinator
 * would collect every kid's part).
 */
#include "config.h"
#include "mgr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "auth_digest.h"
#include "auth_negotiate.h"
#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "errpage.h"
#include "external_acl.h"
#include "heritage.h"
#include "http_date.h"
#include "internal.h"
#include "log.h"
#include "rewrite.h"
#include "storeid.h"
#include "util.h"
#include "worker.h"
#include "xact.h"


/* Pages that always exist. */
static int
mgr_redirector(struct buf *out)
{
	rewrite_mgr_stats(out);
	return 0;
}

static int
mgr_store_id(struct buf *out)
{
	storeid_mgr_stats(out);
	return 0;
}

static int
mgr_external_acl(struct buf *out)
{
	external_acl_mgr_stats(out);
	return 0;
}

/* page: the body, or -1 when the action is not registered (Squid
 * registers an authenticator's page only for a configured scheme) */
static const struct mgr_action {
	const char	*name;
	int		(*page)(struct buf *out);
} mgr_actions[] = {
	{ "redirector", mgr_redirector },
	{ "store_id", mgr_store_id },
	{ "basicauthenticator", auth_mgr_stats },
	{ "digestauthenticator", auth_digest_mgr_stats },
	{ "negotiateauthenticator", auth_negotiate_mgr_stats },
	{ "external_acl", mgr_external_acl },
};

char *
mgr_local_url(const struct xact *x)
{
	const char *t = x->req.target;
	size_t n = x->req.target_len;

	if (x->conn == NULL || x->port->accel || !url_is_origin_form(t, n) ||
	    n < sizeof(MGR_PREFIX) - 1 ||
	    memcmp(t, MGR_PREFIX, sizeof(MGR_PREFIX) - 1) != 0)
		return NULL;
	return xasprintf("http://%s:%d%.*s", worker_hostname(),
	    util_addr_port((const struct sockaddr *)&x->log.local), (int)n, t);
}

/* The action x asks for ("" for the menu), or NULL if x is not for us. */
static const char *
mgr_action_of(const struct xact *x, size_t *len)
{
	const char *p = x->url.path;
	size_t n = x->url.path_len, skip;

	if (strcmp(x->url.scheme, "cache_object") == 0)
		skip = 1;	/* cache_object://HOST/ACTION[@PASSWORD] */
	else if (strcmp(x->url.scheme, "http") == 0 &&
	    n >= sizeof(MGR_PREFIX) - 1 &&
	    memcmp(p, MGR_PREFIX, sizeof(MGR_PREFIX) - 1) == 0 &&
	    internal_names_proxy(x))
		skip = sizeof(MGR_PREFIX) - 1;
	else
		return NULL;
	p += skip;
	n -= skip;
	const char *at = memchr(p, '@', n);
	*len = at != NULL ? (size_t)(at - p) : n;
	return p;
}

static void
mgr_reply(struct xact *x, const struct buf *body)
{
	char date[64], fields[160];

	http_date_format(time(NULL), date, sizeof(date));
	snprintf(fields, sizeof(fields), "Content-Type: text/plain;"
	    "charset=utf-8\r\nExpires: %s\r\n", date);
	xact_tag(x, "TCP_MISS");
	x->log.status = 200;
	x->log.mime_type = "text/plain";
	x->keep_client = x->keep_client && x->reqbody.done;
	errpage_build_object(x, 200, fields, buf_head(body), buf_avail(body),
	    x->keep_client, &x->conn->out);
	xact_send_local(x);
}

int
mgr_answer(struct xact *x)
{
	const char *action;
	size_t len;
	struct buf body;

	if (x->conn == NULL || x->is_connect ||
	    (action = mgr_action_of(x, &len)) == NULL)
		return 0;
	log_debug(16, 2, "cache manager request: %s", x->url_str);
	for (size_t i = 0; i < sizeof(mgr_actions) / sizeof(mgr_actions[0]);
	    i++) {
		if (strlen(mgr_actions[i].name) != len ||
		    memcmp(mgr_actions[i].name, action, len) != 0)
			continue;
		buf_init(&body);
		if (worker_cfg->workers > 1)
			buf_printf(&body, "by kid%d {\n", heritage.kid);
		if (mgr_actions[i].page(&body) == -1) {
			buf_free(&body);
			break;
		}
		if (worker_cfg->workers > 1)
			buf_printf(&body, "} by kid%d\n\n", heritage.kid);
		mgr_reply(x, &body);
		buf_free(&body);
		return 1;
	}
	log_debug(16, 1, "CacheManager: unknown action: %.*s", (int)len,
	    action);
	xact_fail(x, 404, "ERR_INVALID_URL", 0);
	return 1;
}
