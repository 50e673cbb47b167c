/*
 * The credentials cache_peer login= sends, as Squid 5.7's http.cc does
 * (httpFixupAuthentication and its copying of the client's headers), and
 * the authenticated user that login=*: and userhash use.
 *
 * In DESIGN.md's data flow: miss: peer selection - the request sent to a
 * parent.
 */
#include "config.h"
#include "peer.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "util.h"
#include "xact.h"

const char *
peer_login_user(const struct xact *x)
{
	/* Squid's auth_user_request->username(): checked credentials only */
	return x->auth.state == ACL_AUTH_OK ? x->auth.user : NULL;
}

static int
peer_login_passes(const char *login)
{
	return strcmp(login, "PASS") == 0 || strcmp(login, "PASSTHRU") == 0 ||
	    strcmp(login, "PROXYPASS") == 0;
}

int
peer_login_keeps_authorization(const struct cfg_peer *p)
{
	/* a reverse proxy's origin gets the client's only when passed on */
	return p == NULL || !p->originserver ||
	    (p->login != NULL && peer_login_passes(p->login));
}

static void
peer_login_basic(struct buf *out, const char *name, const char *user,
    const char *rest)
{
	size_t ul = strlen(user), rl = strlen(rest);
	unsigned char *plain = xmalloc(ul + rl + 1);
	unsigned char *b64 = xmalloc(4 * ((ul + rl + 2) / 3) + 1);

	memcpy(plain, user, ul);
	memcpy(plain + ul, rest, rl);
	int n = EVP_EncodeBlock(b64, plain, (int)(ul + rl));
	buf_printf(out, "%s: Basic %.*s\r\n", name, n, b64);
	free(plain);
	free(b64);
}

/* Copy the client's header name as it came; were there any? */
static int
peer_login_copy(const struct xact *x, const char *name, struct buf *out)
{
	int n = 0;

	for (int i = 0; i < x->req.nhdr; i++) {
		const struct http_header *h = &x->req.hdr[i];

		if (!util_strcaseeq_n(h->name, h->name_len, name))
			continue;
		buf_printf(out, "%s: %.*s\r\n", name, (int)h->value_len,
		    h->value);
		n++;
	}
	return n;
}

/*
 * Squid's httpFixupAuthentication, and its copying of the client's
 * Proxy-Authorization for the passing modes: user:pass is sent as Basic
 * (Authorization to an originserver peer, Proxy-Authorization to a
 * proxy); PASS and PASSTHRU pass on what the client sent (PASS would use
 * external_acl credentials, which cuttle has not); *:pass sends the
 * authenticated user's name ("-" without one) with that password;
 * PROXYPASS gives an origin peer the client's Basic proxy credentials.
 */
void
peer_login_header(const struct xact *x, const struct cfg_peer *p,
    struct buf *out)
{
	const char *login, *name;
	const struct http_header *pa;

	if (p == NULL || (login = p->login) == NULL)
		return;
	name = p->originserver ? "Authorization" : "Proxy-Authorization";
	if (peer_login_passes(login)) {
		if (!p->originserver &&
		    peer_login_copy(x, "Proxy-Authorization", out) > 0)
			return;
		if (p->originserver &&
		    http_msg_header(&x->req, "Authorization") != NULL)
			return;		/* kept by the header copy */
	}
	if (strcmp(login, "PASSTHRU") == 0 || strcmp(login, "PASS") == 0)
		return;
	if (strcmp(login, "PROXYPASS") == 0 && p->originserver &&
	    (pa = http_msg_header(&x->req, "Proxy-Authorization")) != NULL &&
	    pa->value_len >= 6 && strncasecmp(pa->value, "basic ", 6) == 0) {
		buf_printf(out, "Authorization: %.*s\r\n", (int)pa->value_len,
		    pa->value);
		return;
	}
	if (login[0] == '*') {
		peer_login_basic(out, name, peer_login_user(x) ? peer_login_user(x) : "-",
		    login + 1);
		return;
	}
	if (strncmp(login, "NEGOTIATE", 9) == 0)
		return;		/* warned about at load */
	peer_login_basic(out, name, login, "");
}
