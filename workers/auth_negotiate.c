/*
 * auth_negotiate: the Negotiate scheme on top of helper_pool, as Squid
 * 5.7's src/auth/negotiate does it.  The helper gets "YR token" for a new
 * handshake and "KK token" for a continuation; it answers "TT token" (send
 * the token back with 407 and wait for the client's next leg), "AF token
 * user" or "OK token=.. user=.." (authenticated), "NA"/"ERR" (refused) or
 * "BH" (the helper broke; refused too).  helper_reply parses both forms.
 *
 * The state is the connection's (struct negotiate_conn on struct conn),
 * never a cache keyed by user: one connection's login must not authenticate
 * another.  Helpers run one request at a time without channel IDs, and
 * as in Squid's stateful helper model the child that answered TT is kept
 * for that connection's next leg, then released.
 *
 * In DESIGN.md's data flow: http_access / auth.
 */
#include "config.h"
#include "auth_negotiate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "annotate.h"
#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "helper_pool.h"
#include "log.h"
#include "http_parse.h"
#include "negotiate_hdr.h"
#include "notes.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

struct negotiate_conn {
	char		*user;		/* the helper accepted this connection */
	char		*token;		/* the request's token for the helper */
	char		*challenge;	/* TT: the token for the next 407 */
	int		 handshake;	/* a TT went out: the next leg is KK */
	struct helper_hold *hold;	/* the child holding the handshake */
	struct notes	 notes;		/* the helper's pairs for this login */
};

/* The handshake is over: its child serves others again. */
static void
nego_release(struct negotiate_conn *nc)
{
	helper_release(nc->hold);
	nc->hold = NULL;
	nc->handshake = 0;
}

static struct helper_pool *nego_pool;

static const struct helper_framing nego_framing = {
	helper_frame_line, HELPER_NO_IDS | HELPER_STATEFUL
};

void
auth_negotiate_init(const struct cfg *cfg)
{
	if (cfg->auth_negotiate.program == NULL)
		return;
	nego_pool = helper_pool_start("negotiateauthenticator",
	    cfg->auth_negotiate.program, &cfg->auth_negotiate.children,
	    &nego_framing);
}

void
auth_negotiate_shutdown(int notify)
{
	struct helper_pool *old = nego_pool;

	nego_pool = NULL;	/* what notify answers cannot start anew */
	helper_pool_stop(old, notify);
}

int
auth_negotiate_on(void)
{
	return worker_cfg->auth_negotiate.program != NULL;
}

static struct negotiate_conn *
nego_conn(struct conn *c)
{
	if (c->nego == NULL)
		c->nego = xcalloc(1, sizeof(*c->nego));
	return c->nego;
}

int
auth_negotiate_setup(struct xact *x)
{
	const struct http_header *h;
	struct negotiate_conn *nc;
	const char *tok;
	size_t len;

	if (!auth_negotiate_on() || x->conn == NULL)
		return 0;
	nc = nego_conn(x->conn);
	free(nc->token);
	nc->token = NULL;
	h = http_msg_header(&x->req, "Proxy-Authorization");
	switch (h == NULL ? NEGOTIATE_OTHER :
	    negotiate_hdr_token(h->value, h->value_len, &tok, &len)) {
	case NEGOTIATE_TOKEN:
		/* a new login on this connection replaces the old one */
		free(nc->user);
		nc->user = NULL;
		notes_free(&nc->notes);
		nc->token = xstrndup(tok, len);
		x->auth.state = ACL_AUTH_PENDING;
		return 1;
	case NEGOTIATE_BAD:
		log_debug(29, 2, "negotiate: Proxy-Authorization without "
		    "a usable token");
		nego_release(nc);
		x->auth.state = ACL_AUTH_FAILED;
		return 1;
	}
	if (nc->user == NULL)
		return 0;
	/* as Squid: the connection's user, no credentials needed again */
	annotate_update(x, &nc->notes);
	x->auth.user = xstrdup(nc->user);
	x->auth.state = ACL_AUTH_OK;
	x->log.user = x->auth.user;
	return 1;
}

int
auth_negotiate_pending(const struct xact *x)
{
	return x->conn != NULL && x->conn->nego != NULL &&
	    x->conn->nego->token != NULL;
}

static void
nego_done(void *arg, const struct helper_reply *r, const char *notes)
{
	struct xact *x = arg;
	struct negotiate_conn *nc = nego_conn(x->conn);
	const char *token = helper_reply_get(r, "token");
	const char *user = helper_reply_get(r, "user");
	const char *msg = helper_reply_get(r, "message");

	x->auth.req = NULL;
	free(nc->token);
	nc->token = NULL;
	x->auth.state = ACL_AUTH_FAILED;
	annotate_user_notes(&nc->notes, r, "token");
	if (r->result == HELPER_TT && token != NULL) {
		free(nc->challenge);
		nc->challenge = xstrdup(token);
		nc->handshake = 1;
		if (nc->hold == NULL)
			nc->hold = helper_hold_answering();
		x->auth.cont(x);
		return;
	}
	nego_release(nc);
	annotate_update(x, &nc->notes);
	if (r->result == HELPER_OK && user != NULL && *user != '\0') {
		nc->user = xstrdup(user);
		free(x->auth.user);
		x->auth.user = xstrdup(user);
		x->auth.state = ACL_AUTH_OK;
		x->log.user = x->auth.user;
	} else if (r->result == HELPER_ERR) {
		log_debug(29, 2, "negotiate: user not authenticated: %s",
		    msg != NULL ? msg : r->text);
	} else {
		/* BH, an OK without a user, a TT without a token, junk */
		log_errx("negotiate auth helper: {result=%s, notes={%s}}",
		    helper_result_name(r->result), notes);
	}
	x->auth.cont(x);
}

int
auth_negotiate_start(struct xact *x, void (*cont)(struct xact *))
{
	struct negotiate_conn *nc = x->conn->nego;
	char *line;
	size_t n;

	x->auth.state = ACL_AUTH_FAILED;
	if (nego_pool == NULL)
		return 0;
	n = strlen(nc->token) + 4;
	line = xmalloc(n + 1);
	snprintf(line, n + 1, "%s %s\n", nc->handshake ? "KK" : "YR",
	    nc->token);
	x->auth.cont = cont;
	if (nc->handshake && nc->hold != NULL)
		x->auth.req = helper_submit_held(nc->hold, line, n, nego_done,
		    x);
	else
		x->auth.req = helper_submit(nego_pool, line, n, nego_done, x);
	free(line);
	if (x->auth.req == NULL) {
		nego_release(nc);	/* the held child died: start over */
		return 0;
	}
	x->auth.state = ACL_AUTH_PENDING;
	xact_set_state(x, XS_AUTH);
	return 1;
}

int
auth_negotiate_continue(struct xact *x, struct buf *out)
{
	struct negotiate_conn *nc;

	if (!auth_negotiate_on())
		return 0;
	nc = x->conn != NULL ? x->conn->nego : NULL;
	if (nc == NULL || nc->challenge == NULL)
		return 0;
	buf_printf(out, "Proxy-Authenticate: Negotiate %s\r\n", nc->challenge);
	free(nc->challenge);
	nc->challenge = NULL;
	return 1;
}

void
auth_negotiate_deny(struct xact *x)
{
	struct negotiate_conn *nc;

	if (!auth_negotiate_on() || worker_cfg->auth_negotiate.keep_alive)
		return;
	nc = x->conn != NULL ? x->conn->nego : NULL;
	if (nc == NULL || nc->challenge == NULL)
		x->keep_client = 0;
}

void
auth_negotiate_conn_free(struct conn *c)
{
	struct negotiate_conn *nc = c->nego;

	nego_release(nc);
	free(nc->user);
	free(nc->token);
	free(nc->challenge);
	notes_free(&nc->notes);
	free(nc);
	c->nego = NULL;
}

int
auth_negotiate_mgr_stats(struct buf *out)
{
	if (nego_pool == NULL)
		return -1;
	helper_pool_stats(nego_pool, out, "Negotiate Authenticator Statistics");
	return 0;
}
