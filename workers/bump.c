/*
 * SslBump steps (see bump.h and reference section 5.1).
 *
 * Step 1 is decided as soon as the CONNECT passed http_access; step 2 once
 * the client's ClientHello has been read (whole: lib tls_hello reassembles
 * it across reads and records), with its SNI known to ssl::server_name.
 * The bytes read stay in the connection's input buffer, so a splice sends
 * them to the server unchanged and a bump hands them to the TLS handshake
 * (tls_io_set_fd).  At each step every ssl_bump rule is tried top-down,
 * skipping those whose action is impossible there; the first whose ACLs
 * match decides, and no match splices.
 *
 * A bump ends this CONNECT transaction (logged NONE_NONE/200, as Squid
 * logs it) and leaves the connection with an SSL session; the requests
 * that follow are read through it and get https:// URLs
 * (bump_request_url), so they take the ordinary path: access checks,
 * rewriting, the cache.
 *
 * Step 3 comes after a peek or stare at step 2, once the server's TLS
 * answered (bump_server_done): its rules may see the server's
 * certificate.  Bytes that are not a ClientHello follow
 * on_unsupported_protocol (bump_unsupported).
 *
 * In DESIGN.md's data flow: CONNECT - ssl_bump steps - splice or bump.
 */
#include "config.h"
#include "bump.h"
#include "acl.h"
#include "bump_cert.h"
#include "bump_learn.h"
#include "cfg.h"
#include "conn.h"
#include "forward.h"
#include "intercept.h"
#include "pconn.h"
#include "tls_client.h"
#include "log.h"
#include "tls_hello.h"
#include "tls_io.h"
#include "tunnel.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/err.h>

/* x->bump.phase */
enum {
	BUMP_IDLE,
	BUMP_HELLO,		/* reading the ClientHello */
	BUMP_SERVER,		/* TLS with the server, to see its certificate */
	BUMP_CERT,		/* waiting for the certificate */
	BUMP_HANDSHAKE		/* TLS handshake with the client */
};

static const char bump_established[] =
    "HTTP/1.1 200 Connection established\r\n\r\n";

static void bump_step2(struct xact *x, const struct tls_hello *h);

/* Can action be taken at step (reference 5.1's table)? */
static int
bump_possible(const struct xact *x, int step, int action)
{
	switch (action) {
	case SSL_BUMP_SPLICE:
		return step < 3 || x->bump.step2 != SSL_BUMP_STARE;
	case SSL_BUMP_BUMP:
		return step < 3 || x->bump.step2 != SSL_BUMP_PEEK;
	case SSL_BUMP_PEEK:
	case SSL_BUMP_STARE:
		return step < 3;
	case SSL_BUMP_TERMINATE:
		return 1;
	default:	/* client-first, server-first, none */
		return step == 1;
	}
}

/* The action the ssl_bump rules give at step; *why names the rule. */
static int
bump_decide(struct xact *x, int step, char *why, size_t whylen)
{
	const struct access_rule *r;
	struct acl_checklist cl;

	x->bump.step = step;
	xact_checklist(x, &cl);
	cl.ssl_step = step;
	cl.sni = x->bump.sni[0] != '\0' ? x->bump.sni : NULL;
	for (r = worker_cfg->ssl_bump.head; r != NULL; r = r->next) {
		if (!bump_possible(x, step, r->action))
			continue;
		/*
		 * An ACL that needs DNS or credentials cannot match here:
		 * the CONNECT's own checks resolved what they needed.
		 */
		if (acl_refs_match(r->refs, r->nrefs, &cl) != ACL_MATCH)
			continue;
		snprintf(why, whylen, "%s:%d", r->file, r->line);
		return r->action;
	}
	snprintf(why, whylen, "no rule matched");
	if (step == 3)
		return x->bump.step2 == SSL_BUMP_STARE ? SSL_BUMP_BUMP :
		    SSL_BUMP_SPLICE;
	return SSL_BUMP_SPLICE;
}

static int
bump_decide_logged(struct xact *x, int step)
{
	char why[256];
	int a = bump_decide(x, step, why, sizeof(why));

	log_debug(83, 2, "transaction %llu: %s step %d%s%s: %s (%s)",
	    (unsigned long long)x->id, x->url_str, step,
	    x->bump.sni[0] ? ", SNI " : "", x->bump.sni,
	    cfg_ssl_bump_actions[a], why);
	return a;
}

/* The SNI for ACLs and logs: only a name that is safe to print. */
static void
bump_note_sni(struct xact *x, const char *sni)
{
	const unsigned char *p;

	if (sni == NULL || x->bump.sni[0] != '\0')
		return;
	for (p = (const unsigned char *)sni; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return;
	snprintf(x->bump.sni, sizeof(x->bump.sni), "%s", sni);
}

/* The name a learned splice is keyed by: the SNI, else the CONNECT host. */
static const char *
bump_learn_name(const struct xact *x)
{
	return x->bump.sni[0] != '\0' ? x->bump.sni : x->url.host;
}

/*
 * ssl_bump_learn_splice: a bump (never a terminate) becomes a splice for a
 * client that refused our certificate of this name before.
 */
static int
bump_learned(struct xact *x, int action)
{
	if (action != SSL_BUMP_BUMP || !bump_learn_splices(x,
	    bump_learn_name(x)))
		return action;
	return SSL_BUMP_SPLICE;
}

/* %ssl::bump_mode and %ssl::>sni of the CONNECT's line(s). */
static void
bump_log_mode(struct xact *x, int action)
{
	x->log.bump_mode = cfg_ssl_bump_actions[action];
	x->log.sni = x->bump.sni[0] != '\0' ? x->bump.sni : NULL;
}

/* Queue the CONNECT's 200: the client starts TLS after it. */
static int
bump_answer(struct xact *x)
{
	struct conn *c = x->conn;

	x->tun.answered = 1;
	x->head_sent = 1;
	/* no CONNECT came: nothing to answer (Squid logs status 000) */
	if (intercept_tls(c))
		return 0;
	x->log.status = 200;
	buf_append(&c->out, bump_established, sizeof(bump_established) - 1);
	if (conn_flush(c) == -1) {
		xact_end(x, XACT_ABORT, NULL, "client write failed");
		return -1;
	}
	return 0;
}

/* terminate, or a step that cannot go on: close both sides. */
static void
bump_close(struct xact *x, const char *why)
{
	log_debug(83, 1, "transaction %llu: %s: closing the client: %s",
	    (unsigned long long)x->id, x->url_str, why);
	/* Squid 5.7 logs NONE_NONE/200 0 and closes, whatever the step */
	x->keep_client = 0;
	x->head_sent = 1;
	x->log.status = 200;
	x->log.bytes_out = 0;
	xact_end(x, 0, NULL, NULL);
}

static void
bump_timeout(struct ev_timer *t)
{
	struct xact *x = t->arg;

	bump_close(x, x->bump.phase == BUMP_HELLO ?
	    "no TLS ClientHello in time" : "TLS handshake timed out");
}

static void
bump_wait(struct xact *x, int phase)
{
	x->bump.phase = phase;
	if (x->state != XS_BUMP)
		xact_set_state(x, XS_BUMP);
	/*
	 * Each phase gets request_start_timeout: the client has sent no
	 * request yet (the server's connect has connect_timeout too).
	 */
	ev_timer_stop(&x->timer);
	ev_timer_set_cb(&x->timer, bump_timeout);
	ev_timer_start(&x->timer, worker_cfg->request_start_timeout);
	xact_client_update(x);
}

/* Splice: the CONNECT tunnel, with what the client sent already first. */
static void
bump_splice(struct xact *x)
{
	x->bump.phase = BUMP_IDLE;
	ev_timer_stop(&x->timer);
	bump_log_mode(x, SSL_BUMP_SPLICE);
	if (x->tun.answered) {
		/* Squid logs the peeked CONNECT (its 200 uncounted), then
		 * the tunnel; a splice decided at step 3 only the tunnel */
		x->log.bytes_in = x->log.bytes_out = 0;
		if (x->bump.step < 3)
			xact_log_interim(x);
		x->head_sent = 0;
	}
	intercept_splice_sni(x);
	tunnel_start(x);
}

/*
 * A client that offers no ECDSA cipher suite cannot use the P-256 key of
 * ssl_bump_cert_key ecdsa: say what gives it one it can use.
 */
static const char *
bump_cipher_hint(SSL *ssl, const char *err)
{
	EVP_PKEY *key = SSL_get_privatekey(ssl);

	if (strstr(err, "no shared cipher") == NULL || key == NULL ||
	    EVP_PKEY_is_a(key, "EC") != 1)
		return "";
	return " (the client offers no ECDSA cipher suite for the minted "
	    "certificate's P-256 key; ssl_bump_cert_key ca signs with the "
	    "CA's key instead)";
}

/* The client's TLS handshake, until it completes or fails. */
static void
bump_handshake(struct xact *x)
{
	struct conn *c = x->conn;
	char err[256];
	int r, e, saved_errno;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	saved_errno = errno;
	if (r == 1) {
		log_debug(83, 2, "transaction %llu: %s bumped (%s, %s)",
		    (unsigned long long)x->id, x->url_str,
		    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
		ev_timer_stop(&x->timer);
		free(c->tls_authority);
		c->tls_authority = xstrdup(x->url_str);
		bump_note_sni(x, SSL_get_servername(c->ssl,
		    TLSEXT_NAMETYPE_host_name));
		free(c->tls_sni);
		c->tls_sni = x->bump.sni[0] ? xstrdup(x->bump.sni) : NULL;
		bump_log_mode(x, SSL_BUMP_BUMP);
		bump_learn_handshake_done(x, bump_learn_name(x));
		x->bump.phase = BUMP_IDLE;
		x->keep_client = 1;
		c->idle_wait = worker_cfg->request_timeout;	/* as Squid */
		x->log.bytes_in = x->log.bytes_out = 0;
		xact_end(x, 0, NULL, NULL);
		return;
	}
	switch ((e = SSL_get_error(c->ssl, r))) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		xact_client_update(x);
		return;
	default:
		/* the name the client asked for, whatever it refused */
		bump_note_sni(x, SSL_get_servername(c->ssl,
		    TLSEXT_NAMETYPE_host_name));
		bump_learn_handshake_failed(x, bump_learn_name(x), e,
		    saved_errno);
		tls_io_error(err, sizeof(err));
		log_warnx("SslBump: TLS handshake with the client "
		    "for %s failed: %s%s", x->url_str,
		    err[0] ? err : "connection closed",
		    bump_cipher_hint(c->ssl, err));
		bump_close(x, "TLS handshake with the client failed");
	}
}

static void
bump_cert_ready(void *arg, SSL_CTX *ctx, const char *err)
{
	struct xact *x = arg;
	struct conn *c = x->conn;

	x->bump.wait = NULL;
	if (ctx == NULL) {
		const char *perr = NULL;

		/* as Squid: fall back to the port's own certificate */
		ctx = bump_cert_port_ctx(x->port, &perr);
		log_warnx("SslBump: no certificate for %s: %s; %s",
		    x->url_str, err, ctx != NULL ? "presenting the port's "
		    "own certificate" : "closing");
		if (ctx == NULL) {
			bump_close(x, "no certificate to bump with");
			return;
		}
	}
	c->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	if (c->ssl == NULL || tls_io_set_fd(c->ssl, c->fd, buf_head(&c->in),
	    buf_avail(&c->in)) == -1) {
		bump_close(x, "cannot start TLS");
		return;
	}
	buf_consume(&c->in, buf_avail(&c->in));
	tls_io_setup(c->ssl);
	SSL_set_accept_state(c->ssl);
	bump_learn_watch(c);
	x->bump.phase = BUMP_HANDSHAKE;
	bump_handshake(x);
}

/* terminate at step 3: Squid 5.7 logs no server for it */
static void
bump_terminate_step3(struct xact *x)
{
	bump_log_mode(x, SSL_BUMP_TERMINATE);
	x->hier = "HIER_NONE";
	memset(&x->log.server, 0, sizeof(x->log.server));
	bump_close(x, "ssl_bump terminate");
}

/*
 * Bump: TLS with the client under a certificate minted for host, mimicking
 * the server's certificate when one was seen (origin_error: its
 * verification error, for sslproxy_cert_sign).
 */
static void
bump_client_tls(struct xact *x, const char *host, X509 *mimic,
    int origin_error, const int *errors, int nerrors)
{
	struct bump_cert_req r;
	struct acl_checklist cl;

	xact_checklist(x, &cl);
	memset(&r, 0, sizeof(r));
	r.port = x->port;
	r.host = host;
	r.mimic = mimic;
	r.origin_error = origin_error;
	/* sslproxy_cert_sign sees every error, allowed ones too, as in Squid */
	r.origin_errors = errors;
	r.norigin_errors = nerrors;
	r.cl = &cl;
	/* Squid: no RAM cache after a peek or stare at step 1 */
	r.use_cache = x->bump.step1 != SSL_BUMP_PEEK &&
	    x->bump.step1 != SSL_BUMP_STARE;
	bump_wait(x, BUMP_CERT);
	x->bump.wait = bump_cert_get(&r, bump_cert_ready, x);
}

/* The name to give the server: the SNI the client sent, else the host. */
static const char *
bump_server_name(const struct xact *x)
{
	return x->bump.sni[0] != '\0' ? x->bump.sni : x->url.host;
}

/*
 * What the server's TLS answer decides.  At step 3 (after a peek or stare
 * at step 2) the ssl_bump rules run again; a bump mimics the server's
 * certificate.  A splice after this look opens a new connection for the
 * client's own ClientHello: the one made here spoke our hello, not the
 * client's.  A server that failed TLS is not mimicked: the client is
 * bumped under a plain certificate and its first request gets the error
 * (Squid 5.7's ERR_SECURE_CONNECT_FAIL inside the bumped connection),
 * or, after a peek, spliced so the client sees the failure itself.
 */
static void
bump_server_done(struct xact *x, struct srv *s, struct tls_client_result *r)
{
	struct conn *c = x->conn;
	X509 *mimic = NULL;
	int a = SSL_BUMP_BUMP;

	/* step 3 on, and the requests of a bump, see its certificate */
	if (r->cert != NULL) {
		X509_free(c->tls_server_cert);
		X509_up_ref(r->cert);
		c->tls_server_cert = r->cert;
	}
	if (x->bump.step2 == SSL_BUMP_PEEK || x->bump.step2 == SSL_BUMP_STARE)
		a = bump_decide_logged(x, 3);
	/* a splice here opens a new connection for the client's own hello */
	a = bump_learned(x, a);
	if (!r->ok) {
		log_warnx("SslBump: TLS with the server for %s failed: %s",
		    x->url_str, r->cause);
		srv_close(s);
		/* a step 3 terminate stands; only then may a peek splice */
		if (a == SSL_BUMP_TERMINATE) {
			bump_terminate_step3(x);
			return;
		}
		if (a == SSL_BUMP_SPLICE || x->bump.step2 == SSL_BUMP_PEEK) {
			bump_splice(x);
			return;
		}
		free(c->tls_error);
		c->tls_error = xasprintf("%s\n%s", r->err_code[0] ?
		    r->err_code : "-", r->err_detail[0] ? r->err_detail :
		    r->cause);
		bump_client_tls(x, bump_server_name(x), NULL, 0, NULL, 0);
		return;
	}
	switch (a) {
	case SSL_BUMP_SPLICE:
		srv_close(s);
		bump_splice(x);
		return;
	case SSL_BUMP_TERMINATE:
		srv_close(s);
		bump_terminate_step3(x);
		return;
	}
	/* the connection serves the first bumped request */
	if (forward_poolable(x))
		pconn_put(s);
	else
		srv_close(s);
	mimic = r->cert;
	bump_client_tls(x, bump_server_name(x), mimic, r->verify_err,
	    r->cert_errors, r->ncert_errors);
}

static void
bump_server_connected(struct xact *x, struct srv *s)
{
	if (xact_peer(x) != NULL) {
		/* through a parent there is no server TLS to look at */
		srv_close(s);
		bump_client_tls(x, bump_server_name(x), NULL, 0, NULL, 0);
		return;
	}
	x->srv = s;
	s->xact = x;
	tls_client_start(x, s, bump_server_name(x), bump_server_done);
}

/* Connect to the server (as the tunnel would) and start TLS with it. */
static void
bump_server(struct xact *x)
{
	bump_wait(x, BUMP_SERVER);
	forward_open(x, 0, bump_server_connected);
}

void
bump_start(struct xact *x)
{
	int a;

	x->bump.step2 = -1;
	/* intercepted: the made-up CONNECT gets no 200, not even a tunnel's */
	if (intercept_tls(x->conn))
		x->tun.answered = 1;
	a = bump_decide_logged(x, 1);
	x->bump.step1 = a;
	if ((a == SSL_BUMP_BUMP || a == SSL_BUMP_CLIENT_FIRST ||
	    a == SSL_BUMP_SERVER_FIRST) && bump_learn_client_known(x)) {
		/*
		 * This client refused some bump before: read its hello for
		 * the name before bumping (bump_step2 goes on as step 1
		 * said, or splices).
		 */
		log_debug(83, 3, "transaction %llu: %s: client with learned "
		    "splices: reading its ClientHello before the %s",
		    (unsigned long long)x->id, x->url_str,
		    cfg_ssl_bump_actions[a]);
		x->bump.learn_peek = 1;
		a = SSL_BUMP_PEEK;
	}
	switch (a) {
	case SSL_BUMP_SPLICE:
	case SSL_BUMP_NONE:
		bump_log_mode(x, a);
		tunnel_start(x);
		return;
	case SSL_BUMP_TERMINATE:
		bump_log_mode(x, a);
		bump_close(x, "ssl_bump terminate at step 1");
		return;
	case SSL_BUMP_PEEK:
	case SSL_BUMP_STARE:
		if (bump_answer(x) == -1)
			return;
		bump_wait(x, BUMP_HELLO);
		bump_client_event(x, EPOLLIN);
		return;
	case SSL_BUMP_SERVER_FIRST:
		if (bump_answer(x) == -1)
			return;
		bump_server(x);
		return;
	default:	/* bump, client-first: nothing to mimic yet */
		if (bump_answer(x) == -1)
			return;
		bump_client_tls(x, x->url.host, NULL, 0, NULL, 0);
	}
}

/* The whole ClientHello is in: step 2. */
static void
bump_step2(struct xact *x, const struct tls_hello *h)
{
	int a;

	if (!h->sni_bad)
		bump_note_sni(x, h->sni);
	if (x->bump.learn_peek) {
		if (bump_learned(x, SSL_BUMP_BUMP) == SSL_BUMP_SPLICE)
			bump_splice(x);
		else if (x->bump.step1 == SSL_BUMP_SERVER_FIRST)
			bump_server(x);
		else
			bump_client_tls(x, x->url.host, NULL, 0, NULL, 0);
		return;
	}
	a = bump_learned(x, bump_decide_logged(x, 2));
	x->bump.step2 = a;
	switch (a) {
	case SSL_BUMP_SPLICE:
		bump_splice(x);
		return;
	case SSL_BUMP_TERMINATE:
		bump_log_mode(x, a);
		bump_close(x, "ssl_bump terminate");
		return;
	default:
		/* bump at step 2, stare, peek: see the server first */
		bump_server(x);
	}
}

/*
 * Bytes that are not a ClientHello we can act on: on_unsupported_protocol
 * tunnels them to the server, or (respond, the default) the connection
 * closes, as Squid 5.7 closes a bumped CONNECT.
 */
static void
bump_unsupported(struct xact *x, const char *why)
{
	struct acl_checklist cl;
	int action = ONUP_RESPOND;

	xact_checklist(x, &cl);
	cl.ssl_step = x->bump.step;
	(void)access_check(&worker_cfg->on_unsupported_protocol, &cl,
	    ONUP_RESPOND, &action, NULL);
	log_warnx("SslBump: %s: unsupported protocol (%s): %s", x->url_str,
	    why, action == ONUP_TUNNEL ? "tunneling it" : "closing");
	if (action == ONUP_TUNNEL)
		bump_splice(x);
	else
		bump_close(x, "not a TLS ClientHello");
}

static void
bump_read_hello(struct xact *x)
{
	struct conn *c = x->conn;
	struct tls_hello h;

	conn_read(c);
	/* parsing costs the whole buffer: wait for what tls_hello needs */
	if (buf_avail(&c->in) < x->bump.hello_need && !c->read_eof)
		return;
	switch (tls_hello_parse((const unsigned char *)buf_head(&c->in),
	    buf_avail(&c->in), &h)) {
	case TLS_HELLO_MORE:
		x->bump.hello_need = h.need;
		if (c->read_eof)
			bump_close(x, "client closed before its ClientHello "
			    "ended");
		else if (buf_avail(&c->in) == 0 && x->bump.phase == BUMP_HELLO)
			xact_client_update(x);
		return;
	case TLS_HELLO_DONE:
		/*
		 * h.ech is not acted on: GREASE ECH (Chrome without an ECH
		 * config) looks the same, and its outer SNI is the real one.
		 */
		bump_step2(x, &h);
		return;
	case TLS_HELLO_NOT_TLS:
	case TLS_HELLO_BAD:
		bump_unsupported(x, h.why != NULL ? h.why : "not TLS");
		return;
	}
}

unsigned
bump_client_wants(const struct xact *x)
{
	const struct conn *c = x->conn;
	unsigned want = 0;

	if (buf_avail(&c->out) > 0)
		want |= CONN_WANT_WRITE;
	switch (x->bump.phase) {
	case BUMP_HELLO:
		want |= CONN_WANT_READ;
		break;
	case BUMP_HANDSHAKE:
		want |= SSL_want_write(c->ssl) ? CONN_WANT_WRITE :
		    CONN_WANT_READ;
		break;
	default:
		want |= CONN_WANT_HUP;
	}
	return want;
}

void
bump_client_event(struct xact *x, uint32_t revents)
{
	struct conn *c = x->conn;

	if ((revents & EPOLLOUT) && buf_avail(&c->out) > 0 &&
	    conn_flush(c) == -1) {
		xact_end(x, XACT_ABORT, NULL, "client write failed");
		return;
	}
	switch (x->bump.phase) {
	case BUMP_HELLO:
		if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
			bump_read_hello(x);
		return;
	case BUMP_HANDSHAKE:
		bump_handshake(x);
		return;
	default:
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			bump_close(x, "client closed");
	}
}

void
bump_release_wait(struct xact *x)
{
	bump_cert_cancel(x->bump.wait);
	x->bump.wait = NULL;
}

void
bump_server_failed(struct xact *x)
{
	struct conn *c = x->conn;
	char *nl = strchr(c->tls_error, '\n');

	free(x->err_x);
	free(x->err_d);
	x->err_x = xstrndup(c->tls_error, (size_t)(nl - c->tls_error));
	x->err_d = xstrdup(nl + 1);
	free(c->tls_error);
	c->tls_error = NULL;
	x->keep_client = 0;
	xact_fail(x, 503, "ERR_SECURE_CONNECT_FAIL", 0);
}

char *
bump_request_url(const struct xact *x)
{
	const struct conn *c = x->conn;
	const struct http_header *h;
	const char *t = x->req.target;
	size_t tl = x->req.target_len;

	if (c == NULL || c->ssl == NULL || c->tls_authority == NULL ||
	    tl == 0 || t[0] != '/')
		return NULL;
	/* Squid builds it from Host, else from the CONNECT */
	h = http_msg_header(&x->req, "Host");
	if (h != NULL && h->value_len > 0)
		return xasprintf("https://%.*s%.*s", (int)h->value_len,
		    h->value, (int)tl, t);
	return xasprintf("https://%s%.*s", c->tls_authority, (int)tl, t);
}
