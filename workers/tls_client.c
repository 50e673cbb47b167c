/*
 * TLS to origin servers (see tls_client.h).  One SSL_CTX per worker, one
 * handshake state per server connection (hung on the SSL as ex_data, so
 * that SSL_free, from srv_close, also ends a handshake the transaction
 * gave up on), and a small per-worker cache of sessions by host:port.
 *
 * Certificate errors are decided inside OpenSSL's verify callback, one
 * error at a time, as Squid 5.7 does (ssl_verify_cb): the callback sees
 * every error with the certificate it is about, and returning 0 stops the
 * handshake there with a bad_certificate alert.  Verifying after an
 * SSL_VERIFY_NONE handshake instead would see only the last error
 * (SSL_get_verify_result keeps one), so "allow only expired" could not be
 * told from "expired and self-signed", and the handshake would complete
 * with a server we then refuse.
 *
 * The host name is checked by OpenSSL (X509_VERIFY_PARAM_set1_host, or
 * set1_ip_asc for an IP), and its X509_V_ERR_HOSTNAME_MISMATCH /
 * IP_ADDRESS_MISMATCH is reported under Squid's name,
 * SQUID_X509_V_ERR_DOMAIN_MISMATCH (ssl::certDomainMismatch).  Squid
 * checks the name last, after the validity dates; OpenSSL checks it
 * before them, so a certificate both expired and misnamed is named by its
 * name here and by its date in Squid.
 *
 * In DESIGN.md's data flow: miss: server connection (pooled).
 */
#include "config.h"
#include "tls_client.h"
#include "acl.h"
#include "cfg.h"
#include "forward.h"
#include "log.h"
#include "pconn.h"
#include "peer_state.h"
#include "tls_err.h"
#include "tls_io.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Squid's SQUID_CERT_VALIDATION_ITERATION_MAX: a verification loop ends. */
#define TLS_CLIENT_VERIFY_MAX	16384
/* Sessions kept per worker (host:port), least recently used goes first. */
#define TLS_CLIENT_SESSIONS	256

/* One handshake (and, after it, the connection's session-cache key). */
struct tls_hs {
	struct xact	*x;		/* the transaction, or NULL (standby) */
	struct srv	*s;
	tls_client_cb	*cb;		/* NULL once reported */
	char		*host;		/* SNI / the name checked */
	char		*key;		/* "host:port" of the session cache */
	int		 no_verify;	/* DONT_VERIFY_PEER */
	int		 verify_calls;
	int		 errors[TLS_CLIENT_MAX_ERRORS];
	int		 nerrors;
	int		 denied;	/* the error the callback refused, 0 */
	X509		*broken;	/* the certificate it is about */
	X509		*leaf;		/* what the server sent */
	STACK_OF(X509)	*chain;
	uint64_t	 started;
};

struct tls_sess {
	char		*key;
	SSL_SESSION	*sess;
	uint64_t	 used;
};

static SSL_CTX *tls_client_ctx;
static char *tls_client_text;		/* tls_outgoing_options it was built from */
static unsigned tls_client_flags;	/* CFG_TLS_* */
static int tls_client_idx = -1;		/* SSL ex_data: struct tls_hs */
static struct tls_sess tls_client_sessions[TLS_CLIENT_SESSIONS];
static uint64_t tls_client_tick;

static const unsigned char tls_client_alpn[] = {
	8, 'h', 't', 't', 'p', '/', '1', '.', '1'
};

/* ---- sessions ---- */

static struct tls_sess *
tls_client_sess_find(const char *key)
{
	for (int i = 0; i < TLS_CLIENT_SESSIONS; i++)
		if (tls_client_sessions[i].key != NULL &&
		    strcmp(tls_client_sessions[i].key, key) == 0)
			return &tls_client_sessions[i];
	return NULL;
}

static void
tls_client_sess_drop(struct tls_sess *e)
{
	free(e->key);
	SSL_SESSION_free(e->sess);
	memset(e, 0, sizeof(*e));
}

static void
tls_client_sess_flush(void)
{
	for (int i = 0; i < TLS_CLIENT_SESSIONS; i++)
		if (tls_client_sessions[i].key != NULL)
			tls_client_sess_drop(&tls_client_sessions[i]);
}

/*
 * OpenSSL hands over a session it can resume: after the handshake for TLS
 * 1.2, later (a NewSessionTicket read with the response) for TLS 1.3.
 * Only a session whose certificate passed verification without an error
 * (or under DONT_VERIFY_PEER) is kept: resuming skips verification, and
 * sslproxy_cert_error may have allowed an error for one request that it
 * would refuse for the next.
 */
static int
tls_client_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_hs *hs = SSL_get_ex_data(ssl, tls_client_idx);
	struct tls_sess *e, *lru = NULL;

	if (hs == NULL || hs->key == NULL || (hs->nerrors > 0 && !hs->no_verify) ||
	    !SSL_SESSION_is_resumable(sess))
		return 0;
	if ((e = tls_client_sess_find(hs->key)) == NULL) {
		for (int i = 0; i < TLS_CLIENT_SESSIONS; i++) {
			struct tls_sess *c = &tls_client_sessions[i];

			if (c->key == NULL) {
				lru = c;
				break;
			}
			if (lru == NULL || c->used < lru->used)
				lru = c;
		}
		e = lru;
		if (e->key != NULL)
			tls_client_sess_drop(e);
		e->key = xstrdup(hs->key);
	} else
		SSL_SESSION_free(e->sess);
	e->sess = sess;		/* returning 1: the reference is ours */
	e->used = ++tls_client_tick;
	log_debug(83, 3, "TLS session kept for %s", hs->key);
	return 1;
}

/* ---- the context ---- */

static void
tls_client_hs_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct tls_hs *hs = ptr;

	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (hs == NULL)
		return;
	free(hs->host);
	free(hs->key);
	X509_free(hs->broken);
	X509_free(hs->leaf);
	sk_X509_pop_free(hs->chain, X509_free);
	free(hs);
}

static int tls_client_verify(int ok, X509_STORE_CTX *sctx);

static const char *
tls_client_lib_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	buf[0] = '\0';
	if (e != 0)
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* crlfile= and the VERIFY_CRL flags, as Squid's updateContextCrl. */
static void
tls_client_crl(SSL_CTX *ctx, const struct cfg_tls_outgoing *t,
    const char *who)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	int loaded = 0;
	char err[256];

	if (t->crlfile != NULL) {
		X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());

		if (lu == NULL || X509_load_crl_file(lu, t->crlfile,
		    X509_FILETYPE_PEM) <= 0)
			log_warnx("%s: Failed to load CRL file '%s': %s", who,
			    t->crlfile, tls_client_lib_error(err, sizeof(err)));
		else
			loaded = 1;
	}
	if (t->flags & CFG_TLS_VERIFY_CRL_ALL)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	else if (loaded || (t->flags & CFG_TLS_VERIFY_CRL))
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
}

/* An SSL_CTX from tls_outgoing_options or a cache_peer's options (who). */
static SSL_CTX *
tls_client_build(const struct cfg_tls_outgoing *t, const char *who)
{
	char err[256];
	SSL_CTX *ctx;

	if (t->disabled)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		log_errx("cannot create the TLS client context: %s",
		    tls_client_lib_error(err, sizeof(err)));
		return NULL;
	}
	SSL_CTX_set_options(ctx, (unsigned long)t->options);
	/* Squid: sslversion= counts only without a min-version= */
	if (t->min_version < 0)
		SSL_CTX_set_options(ctx, (unsigned long)t->version_options);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/*
	 * A server that closes without close_notify ends the stream (a
	 * response delimited by the close), as tls_io.h promises, instead of
	 * a fatal error that would also make the session unresumable.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	/* the handshake is the one place certificates are checked */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (t->min_version >= 0)
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION + t->min_version);
	if (t->cipher != NULL && !SSL_CTX_set_cipher_list(ctx, t->cipher))
		log_errx("%s: Failed to set SSL cipher suite '%s': %s", who,
		    t->cipher, tls_client_lib_error(err, sizeof(err)));
	if (t->cert != NULL) {
		if (!SSL_CTX_use_certificate_chain_file(ctx, t->cert))
			log_errx("%s: Failed to acquire SSL certificate '%s': "
			    "%s", who, t->cert,
			    tls_client_lib_error(err, sizeof(err)));
		else if (!SSL_CTX_use_PrivateKey_file(ctx, t->key,
		    SSL_FILETYPE_PEM) || !SSL_CTX_check_private_key(ctx))
			log_errx("%s: Failed to acquire SSL private key '%s': "
			    "%s", who, t->key,
			    tls_client_lib_error(err, sizeof(err)));
	}
	if (t->capath != NULL &&
	    !SSL_CTX_load_verify_locations(ctx, NULL, t->capath))
		log_warnx("Ignoring error setting CA certificate location %s: %s",
		    t->capath, tls_client_lib_error(err, sizeof(err)));
	for (const struct cfg_str_list *f = t->cafiles; f != NULL; f = f->next)
		if (!SSL_CTX_load_verify_locations(ctx, f->s, NULL))
			log_warnx("Ignoring error setting CA certificate location "
			    "%s: %s", f->s, tls_client_lib_error(err, sizeof(err)));
	if (t->default_ca && !SSL_CTX_set_default_verify_paths(ctx))
		log_warnx("Ignoring error setting default trusted CA : %s",
		    tls_client_lib_error(err, sizeof(err)));
	tls_client_crl(ctx, t, who);
	/* as Squid: an intermediate CA in cafile= is trusted on its own */
	X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx),
	    X509_V_FLAG_PARTIAL_CHAIN);
	/*
	 * The callback runs under DONT_VERIFY_PEER too, to collect the errors
	 * for whoever wants them (sslproxy_cert_sign); SSL_VERIFY_NONE makes
	 * OpenSSL ignore what it returns.
	 */
	SSL_CTX_set_verify(ctx, (t->flags & CFG_TLS_DONT_VERIFY_PEER) ?
	    SSL_VERIFY_NONE : SSL_VERIFY_PEER, tls_client_verify);
	if (t->flags & CFG_TLS_DONT_VERIFY_PEER)
		log_warnx("SECURITY WARNING: Peer certificates are not verified "
		    "for validity!");
	if (!(t->flags & CFG_TLS_NO_SESSION_REUSE)) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, tls_client_new_session);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_alpn_protos(ctx, tls_client_alpn, sizeof(tls_client_alpn));
	ERR_clear_error();
	return ctx;
}

/* Squid's "Initializing cache_peer NAME TLS context", for each tls peer. */
static void
tls_client_peers(const struct cfg *cfg)
{
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next) {
		struct peer_state *ps;
		char *who;

		if (!p->tls || p->type != CFG_PEER_PARENT)
			continue;
		ps = peer_state_get(p);
		if (ps->tls_ctx != NULL)
			continue;
		log_debug(3, 1, "Initializing cache_peer %s TLS context",
		    p->name);
		who = xasprintf("cache_peer %s", p->name);
		ps->tls_ctx = tls_client_build(&p->tls_opts, who);
		free(who);
		if (ps->tls_ctx == NULL)
			log_errx("Could not initialize cache_peer %s TLS context",
			    p->name);
	}
}

void
tls_client_init(const struct cfg *cfg)
{
	if (tls_client_idx == -1)
		tls_client_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    tls_client_hs_free);
	if (tls_client_idx == -1)
		fatalx("cannot allocate the TLS client's ex_data index");
	tls_client_ctx = tls_client_build(&cfg->tls_outgoing,
	    "tls_outgoing_options");
	tls_client_flags = cfg->tls_outgoing.flags;
	free(tls_client_text);
	tls_client_text = xstrdup(cfg->tls_outgoing.text ?
	    cfg->tls_outgoing.text : "");
	tls_client_peers(cfg);
}

void
tls_client_reload(const struct cfg *fresh)
{
	const char *text = fresh->tls_outgoing.text ?
	    fresh->tls_outgoing.text : "";

	/* a reload makes new peers: each gets its context again */
	tls_client_peers(fresh);
	if (tls_client_text != NULL && strcmp(text, tls_client_text) == 0)
		return;
	log_info("tls_outgoing_options changed: new TLS client context");
	/* connections keep a reference to the context they were made with */
	SSL_CTX_free(tls_client_ctx);
	tls_client_sess_flush();
	pconn_close_tls();
	tls_client_init(fresh);
}

/* ---- one handshake ---- */

static void
tls_client_note_error(struct tls_hs *hs, int err)
{
	for (int i = 0; i < hs->nerrors; i++)
		if (hs->errors[i] == err)
			return;
	if (hs->nerrors < TLS_CLIENT_MAX_ERRORS)
		hs->errors[hs->nerrors++] = err;
}

/* sslproxy_cert_error for one error: allowed? (an empty list: deny) */
static int
tls_client_error_allowed(struct tls_hs *hs, int err, X509 *cert)
{
	struct acl_checklist cl;
	int action = ACCESS_DENY;

	if (hs->cb == NULL || hs->x == NULL ||
	    err == TLS_ERR_INFINITE_VALIDATION)
		return 0;
	xact_checklist(hs->x, &cl);
	cl.sni = hs->host;
	cl.ssl_errors = &err;
	cl.nssl_errors = 1;
	cl.server_cert = cert;	/* the one in error, as Squid checks */
	/* a slow ACL (dst before DNS, proxy_auth) cannot decide: deny */
	return access_check(&worker_cfg->sslproxy_cert_error, &cl,
	    ACCESS_DENY, &action, NULL) == ACL_MATCH && action == ACCESS_ALLOW;
}

static int
tls_client_verify(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(sctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_hs *hs = ssl != NULL ? SSL_get_ex_data(ssl, tls_client_idx) :
	    NULL;
	int err = ok ? X509_V_OK : X509_STORE_CTX_get_error(sctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(sctx);

	if (hs == NULL)
		return ok;
	if (hs->leaf == NULL && X509_STORE_CTX_get0_cert(sctx) != NULL) {
		/* what the server sent, for the result even if refused */
		hs->leaf = X509_STORE_CTX_get0_cert(sctx);
		X509_up_ref(hs->leaf);
		if (X509_STORE_CTX_get0_untrusted(sctx) != NULL)
			hs->chain = X509_chain_up_ref(
			    X509_STORE_CTX_get0_untrusted(sctx));
	}
	if (++hs->verify_calls >= TLS_CLIENT_VERIFY_MAX) {
		ok = 0;
		err = TLS_ERR_INFINITE_VALIDATION;
	}
	if (ok)
		return 1;
	if (err == X509_V_ERR_HOSTNAME_MISMATCH ||
	    err == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		err = TLS_ERR_DOMAIN_MISMATCH;
		cur = X509_STORE_CTX_get0_cert(sctx);
	}
	tls_client_note_error(hs, err);
	if (hs->no_verify)
		return 1;
	if (tls_client_error_allowed(hs, err, cur != NULL ? cur :
	    X509_STORE_CTX_get0_cert(sctx))) {
		log_debug(83, 3, "%s: bypassing certificate error %s", hs->host,
		    tls_err_name(err) ? tls_err_name(err) : "?");
		return 1;
	}
	hs->denied = err;
	X509_free(hs->broken);
	hs->broken = cur != NULL ? cur : X509_STORE_CTX_get0_cert(sctx);
	if (hs->broken != NULL)
		X509_up_ref(hs->broken);
	return 0;
}

/* Describe a failed handshake: the cause for cache.log, %x and %D. */
static void
tls_client_describe(struct tls_hs *hs, int ssl_err, int sys_err,
    struct tls_client_result *r)
{
	unsigned long lib = ERR_peek_error();
	char libtext[256] = "";

	if (lib != 0)
		ERR_error_string_n(lib, libtext, sizeof(libtext));
	if (hs->denied != 0) {
		const char *name = tls_err_name(hs->denied);

		r->verify_err = hs->denied;
		r->verify_err_name = name;
		if (hs->denied == TLS_ERR_DOMAIN_MISMATCH)
			snprintf(r->cause, sizeof(r->cause), "certificate verify "
			    "failed: certificate does not match the host name "
			    "%s (%s)", hs->host, name);
		else
			snprintf(r->cause, sizeof(r->cause), "certificate verify "
			    "failed: %s (%s)", hs->denied >= 0 ?
			    X509_verify_cert_error_string(hs->denied) :
			    tls_err_descr(hs->denied), name ? name : "?");
		if (name != NULL)
			snprintf(r->err_code, sizeof(r->err_code), "%s+broken_cert",
			    name);
		else
			snprintf(r->err_code, sizeof(r->err_code),
			    "SSL_ERR=%d+broken_cert", hs->denied);
		tls_err_detail(hs->denied, hs->broken, NULL, r->err_detail,
		    sizeof(r->err_detail));
		return;
	}
	r->sys_errno = ssl_err == SSL_ERROR_SYSCALL ? sys_err : 0;
	if (ssl_err == SSL_ERROR_SYSCALL && sys_err == ECONNRESET)
		snprintf(r->cause, sizeof(r->cause), "connection reset during "
		    "the TLS handshake");
	else if (ssl_err == SSL_ERROR_SYSCALL && sys_err != 0)
		snprintf(r->cause, sizeof(r->cause), "%s during the TLS "
		    "handshake", strerror(sys_err));
	else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN)
		snprintf(r->cause, sizeof(r->cause), "the server closed the "
		    "connection during the TLS handshake");
	else if (lib != 0 && ERR_GET_LIB(lib) == ERR_LIB_SSL &&
	    ERR_GET_REASON(lib) >= SSL_AD_REASON_OFFSET &&
	    ERR_GET_REASON(lib) < SSL_AD_REASON_OFFSET + 256)
		snprintf(r->cause, sizeof(r->cause), "TLS alert received: %s",
		    SSL_alert_desc_string_long(ERR_GET_REASON(lib) -
		    SSL_AD_REASON_OFFSET));
	else
		snprintf(r->cause, sizeof(r->cause), "TLS handshake failed: %s",
		    lib != 0 && ERR_reason_error_string(lib) != NULL ?
		    ERR_reason_error_string(lib) : "unknown error");
	/* Squid's ErrorDetail::brief() */
	int n = snprintf(r->err_code, sizeof(r->err_code),
	    "SQUID_TLS_ERR_CONNECT");
	if (lib != 0 && n < (int)sizeof(r->err_code))
		n += snprintf(r->err_code + n, sizeof(r->err_code) - (size_t)n,
		    "+TLS_LIB_ERR=%lX", lib);
	if (n < (int)sizeof(r->err_code))
		n += snprintf(r->err_code + n, sizeof(r->err_code) - (size_t)n,
		    "+TLS_IO_ERR=%d", ssl_err);
	if (r->sys_errno != 0 && n < (int)sizeof(r->err_code))
		snprintf(r->err_code + n, sizeof(r->err_code) - (size_t)n,
		    "+errno=%d", r->sys_errno);
	tls_err_detail(TLS_ERR_CONNECT, NULL, libtext, r->err_detail,
	    sizeof(r->err_detail));
}

/*
 * Report and let go of the handshake.  Nothing of hs or s is touched once
 * the callback runs: on failure it closes s, which frees hs.
 */
static void
tls_client_finish(struct tls_hs *hs, int ok, int ssl_err, int sys_err,
    int timed_out)
{
	struct srv *s = hs->s;
	struct xact *x = hs->x;
	tls_client_cb *cb = hs->cb;
	struct tls_client_result r;
	char addr[64];

	memset(&r, 0, sizeof(r));
	ev_timer_stop(&s->timer);
	ev_io_set(&s->io, 0);
	r.ok = ok;
	r.timed_out = timed_out;
	memcpy(r.cert_errors, hs->errors, sizeof(r.cert_errors));
	r.ncert_errors = hs->nerrors;
	r.cert = SSL_get1_peer_certificate(s->ssl);
	if (r.cert == NULL && hs->leaf != NULL) {
		r.cert = hs->leaf;
		X509_up_ref(r.cert);
	}
	if (SSL_get_peer_cert_chain(s->ssl) != NULL)
		r.chain = X509_chain_up_ref(SSL_get_peer_cert_chain(s->ssl));
	else if (hs->chain != NULL)
		r.chain = X509_chain_up_ref(hs->chain);
	util_addr_str((struct sockaddr *)&s->addr, addr, sizeof(addr));
	if (ok) {
		r.resumed = SSL_session_reused(s->ssl);
		log_debug(83, 2, "TLS with %s (%s) %s, %s%s", hs->key, addr,
		    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl),
		    r.resumed ? ", session resumed" : "");
	} else {
		if (timed_out) {
			snprintf(r.cause, sizeof(r.cause), "timed out during "
			    "the TLS handshake after %llu ms",
			    (unsigned long long)(ev_now() - hs->started));
			snprintf(r.err_code, sizeof(r.err_code),
			    "TLS_CONNECT_TIMEOUT");
			snprintf(r.err_detail, sizeof(r.err_detail),
			    "TLS_CONNECT_TIMEOUT");
		} else
			tls_client_describe(hs, ssl_err, sys_err, &r);
		ERR_clear_error();
		log_warnx("TLS with %s (%s) failed: %s", hs->key, addr, r.cause);
		/* a session the server no longer takes is not offered again */
		struct tls_sess *e = tls_client_sess_find(hs->key);
		if (e != NULL)
			tls_client_sess_drop(e);
	}
	hs->x = NULL;
	hs->cb = NULL;
	if (x != NULL)
		x->srv = NULL;
	s->xact = NULL;
	cb(x, s, &r);
	X509_free(r.cert);
	sk_X509_pop_free(r.chain, X509_free);
}

static void
tls_client_step(struct tls_hs *hs)
{
	struct srv *s = hs->s;
	int rc, e;

	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(s->ssl);
	if (rc == 1) {
		tls_client_finish(hs, 1, 0, 0, 0);
		return;
	}
	e = SSL_get_error(s->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		ev_io_set(&s->io, EPOLLIN);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		ev_io_set(&s->io, EPOLLOUT);
		return;
	}
	tls_client_finish(hs, 0, e, errno, 0);
}

static void
tls_client_io(struct ev_io *io, uint32_t revents)
{
	struct srv *s = io->arg;

	struct tls_hs *hs = SSL_get_ex_data(s->ssl, tls_client_idx);

	(void)revents;
	log_check(hs != NULL && hs->cb != NULL);
	tls_client_step(hs);
}

static void
tls_client_timeout(struct ev_timer *t)
{
	struct srv *s = t->arg;
	struct tls_hs *hs = SSL_get_ex_data(s->ssl, tls_client_idx);

	log_check(hs != NULL && hs->cb != NULL);
	tls_client_finish(hs, 0, 0, ETIMEDOUT, 1);
}

/* Fail before any byte: no context, no memory. */
static void
tls_client_fail_now(struct xact *x, struct srv *s, const char *host,
    tls_client_cb *cb, const char *why)
{
	struct tls_client_result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.cause, sizeof(r.cause), "%s", why);
	snprintf(r.err_code, sizeof(r.err_code), "SQUID_TLS_ERR_CONNECT");
	tls_err_detail(TLS_ERR_CONNECT, NULL, why, r.err_detail,
	    sizeof(r.err_detail));
	log_warnx("TLS with %s: %s", host, why);
	if (x != NULL)
		x->srv = NULL;
	s->xact = NULL;
	cb(x, s, &r);
}

/*
 * The one handshake of every TLS client connection: ctx and flags are
 * tls_outgoing_options' or a cache_peer's, sni_host the name sent and
 * checked, key the session cache's, limit_ms the time it may take.
 */
static void
tls_client_begin(struct xact *x, struct srv *s, SSL_CTX *ctx, unsigned flags,
    const char *sni_host, const char *key, uint64_t limit_ms,
    tls_client_cb *cb)
{
	struct tls_hs *hs;
	char errbuf[256];
	struct sockaddr_storage ip;
	socklen_t iplen;
	int is_ip = util_addr_parse(sni_host, 0, &ip, &iplen) == 0;

	log_check(s->ssl == NULL && (x == NULL || x->srv == s));
	if (ctx == NULL) {
		tls_client_fail_now(x, s, key, cb, "no TLS client context "
		    "(tls_outgoing_options disable, or it failed to load)");
		return;
	}
	if ((s->ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(s->ssl, s->fd)) {
		tls_client_fail_now(x, s, key, cb, tls_client_lib_error(errbuf,
		    sizeof(errbuf)));
		return;
	}
	hs = xcalloc(1, sizeof(*hs));
	hs->x = x;
	hs->s = s;
	hs->cb = cb;
	hs->host = xstrdup(sni_host);
	hs->key = xstrdup(key);
	hs->no_verify = (flags & CFG_TLS_DONT_VERIFY_PEER) != 0;
	hs->started = ev_now();
	SSL_set_ex_data(s->ssl, tls_client_idx, hs);	/* freed with s->ssl */
	tls_io_setup(s->ssl);
	SSL_set_connect_state(s->ssl);
	if (!is_ip)
		SSL_set_tlsext_host_name(s->ssl, sni_host);
	if (!(flags & CFG_TLS_DONT_VERIFY_DOMAIN)) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);

		X509_VERIFY_PARAM_set_hostflags(vp,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, sni_host);
		else
			X509_VERIFY_PARAM_set1_host(vp, sni_host, 0);
	}
	if (!(flags & CFG_TLS_NO_SESSION_REUSE)) {
		struct tls_sess *e = tls_client_sess_find(hs->key);

		if (e != NULL) {
			SSL_set_session(s->ssl, e->sess);
			e->used = ++tls_client_tick;
		}
	}
	ev_io_set_cb(&s->io, tls_client_io, s);
	ev_timer_set_cb(&s->timer, tls_client_timeout);
	ev_timer_start(&s->timer, limit_ms);
	tls_client_step(hs);
}

/* As Squid: connect_timeout, within what forward_timeout leaves. */
static uint64_t
tls_client_limit(const struct xact *x, int64_t limit)
{
	int64_t left;

	if (x == NULL)
		return (uint64_t)limit;
	left = worker_cfg->forward_timeout -
	    (int64_t)(ev_now() - x->upstream_started_ms);
	if (left < limit)
		limit = left > 0 ? left : 1;
	return (uint64_t)limit;
}

void
tls_client_start(struct xact *x, struct srv *s, const char *sni_host,
    tls_client_cb *cb)
{
	char *key = xasprintf("%s:%d", sni_host,
	    util_addr_port((struct sockaddr *)&s->addr));

	free(s->tls_host);
	s->tls_host = xstrdup(sni_host);
	tls_client_begin(x, s, tls_client_ctx, tls_client_flags, sni_host, key,
	    tls_client_limit(x, worker_cfg->connect_timeout), cb);
	free(key);
}

char *
tls_client_peer_key(const struct cfg_peer *p)
{
	return xasprintf("cache_peer %s", p->name);
}

void
tls_client_start_peer(struct xact *x, struct srv *s, const struct cfg_peer *p,
    tls_client_cb *cb)
{
	/* Squid's BlindPeerConnector: the peer's context, ssldomain= as SNI */
	int64_t limit = p->connect_timeout >= 0 ? p->connect_timeout :
	    worker_cfg->peer_connect_timeout;

	free(s->tls_host);
	s->tls_host = tls_client_peer_key(p);
	tls_client_begin(x, s, peer_state_get(p)->tls_ctx, p->tls_opts.flags,
	    p->tls_opts.domain, s->tls_host, tls_client_limit(x, limit), cb);
}
