/*
 * mgr: Squid's cache manager, so far its helper pages: mgr:redirector,
 * mgr:store_id, mgr:basicauthenticator, mgr:digestauthenticator,
 * mgr:negotiateauthenticator and mgr:external_acl, and mgr:info and
 * mgr:counters (mgr_stats.c), in Squid 5.7's layout
 * (squid-compat.md 13).  Reached as Squid is reached: cache_object://ANY/
 * ACTION (squidclient), http://visible_hostname:PORT/squid-internal-mgr/
 * ACTION naming this proxy and port, or that path in origin form on a port
 * that is not accel.  The request has passed http_access (the built-in
 * `manager` ACL matches both URL forms) and, as in Squid, the rewriter and
 * store ID helpers; other actions answer 404 with ERR_INVALID_URL as
 * Squid answers an unknown one.  cachemgr_passwd then makes an action
 * protected (a 401 without its password), disabled (404) or public.
 *
 * With workers > 1 a helper page holds every kid's part, each framed
 * "by kidN {" ... "} by kidN" in kid order, under the header Squid 5.7's
 * coordinator writes (text/plain, Last-Modified, Connection: close): the
 * kid that takes the request reads the others' parts from shared memory
 * (mgr_kids.c says why not over IPC).  mgr:menu lists the actions in
 * Squid's layout; mgr:learned_splice (a cuttle page) lists the learned
 * splice list (bump_learn.c).  None of these is per kid: one answer for
 * all (info and counters sum the kids, as Squid's coordinator does).
 */
#include "config.h"
#include "mgr.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "auth_digest.h"
#include "auth_negotiate.h"
#include "buf.h"
#include "bump_learn.h"
#include "cfg.h"
#include "conn.h"
#include "errpage.h"
#include "external_acl.h"
#include "heritage.h"
#include "http_date.h"
#include "internal.h"
#include "log.h"
#include "mgr_kids.h"
#include "mgr_stats.h"
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

static int mgr_menu(struct buf *out);

/*
 * page: the body, or -1 when the action is not registered (Squid
 * registers an authenticator's page only for a configured scheme).
 * kid_page: the page's index among the per-kid ones (mgr_kids.h), whose
 * body differs by kid; -1 for one that is the same whoever answers.
 */
static const struct mgr_action {
	const char	*name;
	const char	*desc;		/* Squid's, for the menu */
	int		(*page)(struct buf *out);
	int		 kid_page;
} mgr_actions[] = {
	{ "menu", "Cache Manager Menu", mgr_menu, -1 },
	{ "redirector", "URL Redirector Stats", mgr_redirector, 0 },
	{ "store_id", "StoreId helper Stats", mgr_store_id, 1 },
	{ "basicauthenticator", "Basic User Authenticator Stats",
	    auth_mgr_stats, 2 },
	{ "digestauthenticator", "Digest User Authenticator Stats",
	    auth_digest_mgr_stats, 3 },
	{ "negotiateauthenticator", "Negotiate User Authenticator Stats",
	    auth_negotiate_mgr_stats, 4 },
	{ "external_acl", "External ACL stats", mgr_external_acl, 5 },
	{ "info", "General Runtime Information", mgr_stats_info, -1 },
	{ "counters", "Traffic and Resource Counters", mgr_stats_counters,
	    -1 },
	{ "learned_splice", "Learned ssl_bump splices (cuttle)",
	    bump_learn_mgr_page, -1 },
};
#define MGR_NACTIONS	(sizeof(mgr_actions) / sizeof(mgr_actions[0]))

/* The per-kid pages in kid_page order, for mgr_kids_start(). */
static mgr_kids_page_fn *const mgr_kid_pages[] = {
	mgr_redirector, mgr_store_id, auth_mgr_stats, auth_digest_mgr_stats,
	auth_negotiate_mgr_stats, mgr_external_acl,
};

/*
 * Squid's ActionProtection: what cachemgr_passwd makes of an action.  No
 * cuttle action needs a password by itself (Squid's config, shutdown,
 * reconfigure, rotate and offline_toggle, which cuttle does not have, are
 * "hidden" without a line), so without a line each one is public.
 */
static const char *
mgr_protection(const char *action)
{
	const char *pw = cfg_mgr_passwd_of(worker_cfg, action);

	if (pw == NULL || strcmp(pw, "none") == 0)
		return "public";
	if (strcmp(pw, "disable") == 0)
		return "disabled";
	return "protected";
}

/* Squid's layout (MenuAction): the actions registered here. */
static int
mgr_menu(struct buf *out)
{
	struct buf scratch;

	buf_init(&scratch);
	for (size_t i = 0; i < MGR_NACTIONS; i++) {
		const struct mgr_action *a = &mgr_actions[i];
		if (a->page != mgr_menu && a->page(&scratch) == -1)
			continue;
		buf_consume(&scratch, buf_avail(&scratch));
		buf_printf(out, " %-22s\t%-32s\t%s\n", a->name, a->desc,
		    mgr_protection(a->name));
	}
	buf_free(&scratch);
	return 0;
}

void
mgr_init(void)
{
	for (size_t i = 0; i < MGR_NACTIONS; i++)
		assert(mgr_actions[i].kid_page < 0 ||
		    mgr_kid_pages[mgr_actions[i].kid_page] ==
		    mgr_actions[i].page);
	mgr_kids_start(mgr_kid_pages,
	    sizeof(mgr_kid_pages) / sizeof(mgr_kid_pages[0]));
}

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

/*
 * Squid's header: a page from one process (no SMP) is text/plain;
 * charset=utf-8; with workers its coordinator writes text/plain with
 * Last-Modified and closes the connection after the kids' parts.
 */
static void
mgr_reply(struct xact *x, const struct buf *body)
{
	char date[64], fields[192];
	int smp = worker_cfg->workers > 1;

	http_date_format(time(NULL), date, sizeof(date));
	if (smp)
		snprintf(fields, sizeof(fields), "Content-Type: text/plain\r\n"
		    "Expires: %s\r\nLast-Modified: %s\r\n", date, date);
	else
		snprintf(fields, sizeof(fields), "Content-Type: text/plain;"
		    "charset=utf-8\r\nExpires: %s\r\n", date);
	xact_tag(x, "TCP_MISS");
	x->log.status = 200;
	x->log.mime_type = "text/plain";
	x->keep_client = x->keep_client && x->reqbody.done && !smp;
	errpage_build_object(x, 200, fields, buf_head(body), buf_avail(body),
	    x->keep_client, &x->conn->out);
	xact_send_local(x);
}

/*
 * The password and user a request gives, as Squid's ParseUrl and
 * ParseHeaders take them: cache_object://HOST/ACTION@PASSWORD, then
 * Authorization: Basic USER:PASSWORD, which replaces it.  *pass and *user
 * are new strings or NULL.
 */
static void
mgr_credentials(const struct xact *x, const char *action, size_t len,
    char **user, char **pass)
{
	const struct http_header *h;

	*user = *pass = NULL;
	if (strcmp(x->url.scheme, "cache_object") == 0) {
		const char *end = x->url.path + x->url.path_len;
		const char *p = action + len;
		if (p < end && *p == '@') {
			size_t n = strcspn(p + 1, "?#");
			if (n > (size_t)(end - p - 1))
				n = (size_t)(end - p - 1);
			*pass = xstrndup(p + 1, n);
		}
	}
	if ((h = http_msg_header(&x->req, "Authorization")) == NULL)
		return;
	const char *v = h->value, *end = h->value + h->value_len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (end - v < 6 || strncasecmp(v, "Basic", 5) != 0 ||
	    (v[5] != ' ' && v[5] != '\t'))
		return;
	for (v += 6; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	char *dec = auth_b64_decode(v, (size_t)(end - v)), *colon;
	if (dec == NULL || (colon = strchr(dec, ':')) == NULL) {
		log_info("CacheManager::ParseHeaders: unknown basic_cookie "
		    "format '%s'", dec != NULL ? dec : "");
		free(dec);
		return;
	}
	*colon = '\0';
	free(*pass);
	*user = dec;
	*pass = xstrdup(colon + 1);
}

/*
 * Squid's CheckPassword for a public or protected action: 0 if the
 * request may have it, else the 401 is written (with the action as the
 * Basic realm) and cache.log says why.
 */
static int
mgr_check_password(struct xact *x, const char *name, const char *action,
    size_t len)
{
	const char *want = cfg_mgr_passwd_of(worker_cfg, name);
	char *user, *pass, local[64], remote[64];
	int ok;

	if (want == NULL || strcmp(want, "none") == 0)
		return 0;
	mgr_credentials(x, action, len, &user, &pass);
	ok = pass != NULL && *pass != '\0' && strcmp(pass, want) == 0;
	if (!ok) {
		util_addr_str((const struct sockaddr *)&x->log.local, local,
		    sizeof(local));
		util_addr_str((const struct sockaddr *)&x->peer, remote,
		    sizeof(remote));
		log_info("CacheManager: %s@local=%s:%d remote=%s:%d: %s for "
		    "'%s'", user != NULL && *user != '\0' ? user : "unknown",
		    local, util_addr_port((const struct sockaddr *)
		    &x->log.local), remote, util_addr_port(
		    (const struct sockaddr *)&x->peer), pass != NULL &&
		    *pass != '\0' ? "incorrect password" : "password needed",
		    name);
		x->mgr_realm = name;
		xact_fail(x, 401, "ERR_CACHE_MGR_ACCESS_DENIED", 0);
	}
	free(user);
	free(pass);
	return ok ? 0 : -1;
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
	for (size_t i = 0; i < MGR_NACTIONS; i++) {
		const struct mgr_action *a = &mgr_actions[i];
		int rc;

		/* cache_object://HOST/ alone is the menu, as in Squid */
		if (len == 0 && strcmp(x->url.scheme, "cache_object") == 0) {
			if (a->page != mgr_menu)
				continue;
		} else if (strlen(a->name) != len ||
		    memcmp(a->name, action, len) != 0)
			continue;
		/* Squid answers a disabled action as an unknown one */
		if (strcmp(mgr_protection(a->name), "disabled") == 0) {
			log_debug(16, 2, "CacheManager: action '%s' is "
			    "disabled", a->name);
			xact_fail(x, 404, "ERR_INVALID_URL", 0);
			return 1;
		}
		if (mgr_check_password(x, a->name, action, len) == -1)
			return 1;
		buf_init(&body);
		if (a->kid_page >= 0 && worker_cfg->workers > 1)
			rc = mgr_kids_page((size_t)a->kid_page, &body);
		else
			rc = a->page(&body);
		if (rc == -1) {
			buf_free(&body);
			break;
		}
		mgr_reply(x, &body);
		buf_free(&body);
		return 1;
	}
	log_debug(16, 1, "CacheManager: unknown action: %.*s", (int)len,
	    action);
	xact_fail(x, 404, "ERR_INVALID_URL", 0);
	return 1;
}
