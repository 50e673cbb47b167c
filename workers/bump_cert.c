/*
 * bump_cert: the certificate a bumped connection presents, as Squid 5.7
 * chooses and makes it (squid-compat.md 5.3, 8, 10).  Three sources, tried
 * in this order: the worker's cache of TLS contexts (bump_cert_cache.c:
 * one LRU per port, bounded by dynamic_cert_mem_cache_size, skipped when
 * the request says so as Squid skips it after peek or stare at step 1),
 * the sslcrtd helpers when sslcrtd_program is set (identical pending
 * requests share one helper call, as in Squid), else tls_mint in the
 * worker's minting thread (bump_mint.c: no key is generated per host, so a
 * mint is two signatures with the CA's key, but with a large CA key and
 * many new hosts at once those would stall the event loop); identical
 * pending mints share one job too.  A minted certificate carries the
 * worker's own P-256 key (ssl_bump_cert_key ecdsa), made once: every
 * handshake signs with it, and an ECDSA signature costs a tenth of the CA's
 * RSA one; ssl_bump_cert_key ca gives Squid's choice, the CA's key.
 * Cache keys hash the port's fingerprint (its CA and every context
 * setting), so two ports or two configs with different CAs can never serve
 * each other's contexts.
 *
 * In DESIGN.md's data flow: "bump: TLS to client with a minted cert".
 */
#include "config.h"
#include "bump_cert.h"
#include "bump_mint.h"
#include "bump_cert_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "acl.h"
#include "cfg.h"
#include "helper_pool.h"
#include "helper_reply.h"
#include "log.h"
#include "tls_port.h"
#include "util.h"

#define BUMP_CERT_CHAIN_MAX	33	/* the CA and tls_port's 32 more */

/* A request to the helpers and the connections waiting for it. */
struct bump_cert_job {
	unsigned char	 key[32];
	const struct cfg_port *port;	/* its config outlives the job */
	enum tls_mint_sign sign;
	char		*host;		/* for logs */
	char		*cache_name;	/* store the result there; NULL: don't */
	struct helper_req *req;		/* NULL once answered */
	int		 minting;	/* in the minting thread */
	struct bump_cert_wait *waiters;
	int		 answering;	/* the callbacks are running */
	struct bump_cert_job *next, *prev;
};

struct bump_cert_wait {
	struct bump_cert_job *job;
	bump_cert_cb	*cb;
	void		*arg;
	struct bump_cert_wait *next, *prev;
};

static const struct cfg *bump_cert_cfg;
static struct helper_pool *bump_cert_pool;
static char **bump_cert_pool_argv;	/* what the pool was started with */
static struct cfg_helper_children bump_cert_pool_children;
static struct bump_cert_job *bump_cert_jobs;
/* Replies signed with the CA key carry it back: decoded once. */
static struct tls_key_memo bump_cert_reply_key;
/* ssl_bump_cert_key ecdsa: this worker's key, made on first use */
static EVP_PKEY *bump_cert_ec_key;
static int bump_cert_ec_failed;

static EVP_PKEY *bump_cert_leaf_key(void);

/* Contexts */

/*
 * As Squid (Ssl::chainCertificatesToSSLContext): a certificate signed by
 * the trusted CA goes out with the CA and the rest of tls-cert's chain; a
 * signUntrusted or signSelf one alone, there being nothing to chain to.
 * (Squid 5.7 sends the CA twice when the tls-cert file holds only the CA;
 * once is enough.)
 */
static SSL_CTX *
bump_cert_ctx_new(const struct cfg_port *port, X509 *cert, EVP_PKEY *key,
    enum tls_mint_sign sign, char **err)
{
	X509 *chain[BUMP_CERT_CHAIN_MAX];
	int n = 0;

	if (sign == TLS_MINT_SIGN_TRUSTED) {
		chain[n++] = port->tls_x509;
		for (int i = 0; i < sk_X509_num(port->tls_chain) &&
		    n < BUMP_CERT_CHAIN_MAX; i++) {
			X509 *x = sk_X509_value(port->tls_chain, i);

			if (X509_cmp(x, port->tls_x509) != 0)
				chain[n++] = x;
		}
	}
	return tls_port_ctx_new(port, cert, key, chain, n, err);
}

SSL_CTX *
bump_cert_port_ctx(const struct cfg_port *port, const char **err)
{
	static char msg[256];
	struct bump_cert_cache *c;
	X509 *chain[BUMP_CERT_CHAIN_MAX];
	char *e = NULL;
	int n = 0;

	if (port->tls_x509 == NULL || port->tls_pkey == NULL) {
		*err = "the port has no certificate";
		return NULL;
	}
	c = bump_cert_cache_for(port);
	if (c->port_ctx != NULL &&
	    memcmp(c->port_fp, port->tls_fingerprint, 32) == 0) {
		SSL_CTX_up_ref(c->port_ctx);
		return c->port_ctx;
	}
	SSL_CTX_free(c->port_ctx);
	for (int i = 0; i < sk_X509_num(port->tls_chain) &&
	    n < BUMP_CERT_CHAIN_MAX; i++)
		chain[n++] = sk_X509_value(port->tls_chain, i);
	c->port_ctx = tls_port_ctx_new(port, port->tls_x509, port->tls_pkey,
	    chain, n, &e);
	if (c->port_ctx == NULL) {
		snprintf(msg, sizeof(msg), "%s", e);
		free(e);
		*err = msg;
		return NULL;
	}
	memcpy(c->port_fp, port->tls_fingerprint, 32);
	SSL_CTX_up_ref(c->port_ctx);
	return c->port_ctx;
}

/* What to ask for */

/*
 * The checklist sslproxy_cert_sign and sslproxy_cert_adapt rules are
 * matched with: the caller's, plus the origin certificate's error.
 */
static void
bump_cert_checklist(const struct bump_cert_req *r, struct acl_checklist *cl)
{
	if (r->cl != NULL)
		*cl = *r->cl;
	else
		memset(cl, 0, sizeof(*cl));
	/* for ssl_error ACLs (ssl::certUntrusted ...): valid during the call */
	if (r->norigin_errors > 0) {
		cl->ssl_errors = r->origin_errors;
		cl->nssl_errors = r->norigin_errors;
	} else {
		cl->ssl_errors = r->origin_error != 0 ? &r->origin_error : NULL;
		cl->nssl_errors = r->origin_error != 0 ? 1 : 0;
	}
}

/* As Squid, a rule without ACLs never matches; slow ACLs do not either. */
static int
bump_cert_rule_matches(const struct cfg_cert_rule *rule,
    const struct acl_checklist *cl)
{
	return rule->nrefs > 0 &&
	    acl_refs_match(rule->refs, rule->nrefs, cl) == ACL_MATCH;
}

/*
 * Squid's POSTSCRIPTUM rules, always after the configured ones:
 * signUntrusted ssl::certUntrusted, signSelf ssl::certSelfSigned,
 * signTrusted all (the built-in ACLs, whatever the config defines).
 */
static enum tls_mint_sign
bump_cert_sign_tail(const struct cfg *cfg, const struct acl_checklist *cl)
{
	static const struct {
		const char	*acl;
		enum tls_mint_sign sign;
	} tail[] = {
		{ "ssl::certUntrusted", TLS_MINT_SIGN_UNTRUSTED },
		{ "ssl::certSelfSigned", TLS_MINT_SIGN_SELF },
	};
	const struct acl *a;

	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		if ((a = acl_find(&cfg->acls, tail[i].acl)) != NULL &&
		    acl_match(a, cl) == ACL_MATCH)
			return tail[i].sign;
	return TLS_MINT_SIGN_TRUSTED;
}

static void
bump_cert_key(struct bump_cert_params *pp)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char flags[5], mimic[32];
	unsigned char *der = NULL;
	int n;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		abort();
	EVP_DigestUpdate(md, pp->port->tls_fingerprint, 32);
	flags[0] = (unsigned char)pp->sign;
	flags[1] = (unsigned char)pp->set_common_name;
	flags[2] = (unsigned char)pp->set_valid_after;
	flags[3] = (unsigned char)pp->set_valid_before;
	flags[4] = pp->leaf_key != NULL;
	EVP_DigestUpdate(md, flags, sizeof(flags));
	EVP_DigestUpdate(md, pp->md_name, strlen(pp->md_name) + 1);
	/*
	 * As Squid's InRamCertificateDbKey: a mimicked certificate is known
	 * by the origin's certificate, the host naming it only with
	 * setCommonName.
	 */
	if (pp->mimic == NULL || pp->set_common_name)
		EVP_DigestUpdate(md, pp->cn, strlen(pp->cn) + 1);
	else
		EVP_DigestUpdate(md, "", 1);
	if (pp->mimic != NULL && (n = i2d_X509(pp->mimic, &der)) > 0) {
		EVP_Digest(der, (size_t)n, mimic, NULL, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, mimic, sizeof(mimic));
	}
	OPENSSL_free(der);
	EVP_DigestFinal_ex(md, pp->key, NULL);
	EVP_MD_CTX_free(md);
}

int
bump_cert_params(const struct bump_cert_req *r, struct bump_cert_params *pp)
{
	const struct cfg *cfg = bump_cert_cfg;
	const struct cfg_port *port = r->port;
	struct acl_checklist cl;
	const struct cfg_cert_rule *rule;

	memset(pp, 0, sizeof(*pp));
	if (cfg == NULL || port->tls_x509 == NULL || port->tls_pkey == NULL ||
	    port->tls_untrusted == NULL)
		return -1;
	pp->port = port;
	pp->mimic = r->mimic;
	pp->cn = r->host != NULL ? r->host : "";
	pp->sign = TLS_MINT_SIGN_TRUSTED;
	/*
	 * buildSslCertGenerationParams: with nothing to mimic (not connected,
	 * or connecting failed) a trusted certificate, no adaptation.
	 */
	if (r->mimic != NULL) {
		bump_cert_checklist(r, &cl);
		for (rule = cfg->sslproxy_cert_adapt; rule != NULL;
		    rule = rule->next) {
			if ((rule->alg == CFG_CERT_SET_COMMON_NAME &&
			    pp->set_common_name) ||
			    (rule->alg == CFG_CERT_SET_VALID_AFTER &&
			    pp->set_valid_after) ||
			    (rule->alg == CFG_CERT_SET_VALID_BEFORE &&
			    pp->set_valid_before) ||
			    !bump_cert_rule_matches(rule, &cl))
				continue;
			if (rule->alg == CFG_CERT_SET_COMMON_NAME) {
				pp->set_common_name = 1;
				if (rule->param != NULL)
					pp->cn = rule->param;
			} else if (rule->alg == CFG_CERT_SET_VALID_AFTER)
				pp->set_valid_after = 1;
			else
				pp->set_valid_before = 1;
		}
		for (rule = cfg->sslproxy_cert_sign; rule != NULL;
		    rule = rule->next)
			if (bump_cert_rule_matches(rule, &cl))
				break;
		pp->sign = rule != NULL ? (enum tls_mint_sign)rule->alg :
		    bump_cert_sign_tail(cfg, &cl);
	}
	pp->sign_cert = pp->sign == TLS_MINT_SIGN_UNTRUSTED ?
	    port->tls_untrusted : port->tls_x509;
	pp->sign_key = port->tls_pkey;
	pp->leaf_key = bump_cert_pool == NULL && !cfg->ssl_bump_cert_key_ca ?
	    bump_cert_leaf_key() : NULL;
	pp->md = tls_port_digest(cfg->sslproxy_cert_sign_hash != NULL ?
	    cfg->sslproxy_cert_sign_hash : "sha256");
	if (pp->md == NULL)
		pp->md = EVP_sha256();
	pp->md_name = EVP_MD_get0_name(pp->md);
	bump_cert_key(pp);
	return 0;
}

/* Minting in the worker */

/*
 * The worker's ECDSA key, or NULL (the CA's is used) if it cannot be
 * made, which is said once.
 */
static EVP_PKEY *
bump_cert_leaf_key(void)
{
	if (bump_cert_ec_key == NULL && !bump_cert_ec_failed &&
	    (bump_cert_ec_key = tls_mint_new_ec()) == NULL) {
		bump_cert_ec_failed = 1;
		ERR_clear_error();
		log_warnx("ssl_bump_cert_key ecdsa: cannot make a P-256 key; "
		    "minted certificates carry the CA's key");
	}
	return bump_cert_ec_key;
}

void
bump_cert_mint_req(const struct bump_cert_params *pp, struct tls_mint_req *mr)
{
	memset(mr, 0, sizeof(*mr));
	mr->ca_cert = pp->sign_cert;
	mr->ca_key = pp->sign_key;
	mr->leaf_key = pp->leaf_key;
	mr->mimic = pp->mimic;
	mr->cn = pp->cn;
	mr->set_common_name = pp->set_common_name;
	mr->set_valid_after = pp->set_valid_after;
	mr->set_valid_before = pp->set_valid_before;
	mr->sign = pp->sign;
	mr->md = pp->md;
}

static SSL_CTX *
bump_cert_mint(const struct bump_cert_params *pp, char *err, size_t errlen)
{
	struct tls_mint_req mr;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx;
	X509 *cert;
	char *e = NULL;

	bump_cert_mint_req(pp, &mr);
	if ((cert = tls_mint(&mr, &key)) == NULL) {
		unsigned long code = ERR_get_error();

		ERR_clear_error();
		snprintf(err, errlen, "cannot mint a certificate for %s: %s",
		    pp->cn, code != 0 ? ERR_reason_error_string(code) :
		    "unknown error");
		return NULL;
	}
	ctx = bump_cert_ctx_new(pp->port, cert, key, pp->sign, &e);
	if (ctx == NULL) {
		snprintf(err, errlen, "%s", e);
		free(e);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return ctx;
}

/* The sslcrtd helpers */

static void
bump_cert_append(char **buf, size_t *len, size_t *cap, const char *s,
    size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *b = xmalloc(ncap);

		if (*buf != NULL) {
			memcpy(b, *buf, *len);
			explicit_bzero(*buf, *len);	/* it may hold the key */
			free(*buf);
		}
		*buf = b;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void
bump_cert_append_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	bump_cert_append(buf, len, cap, s, strlen(s));
}

char *
bump_cert_request(const struct bump_cert_params *pp, size_t *lenp)
{
	char *body = NULL, *pem, *msg, head[64];
	size_t len = 0, cap = 0, pem_len, n;

	/* the order of Squid's CrtdMessage::composeRequest */
	bump_cert_append_str(&body, &len, &cap, "host=");
	bump_cert_append_str(&body, &len, &cap, pp->cn);
	if (pp->set_common_name) {
		bump_cert_append_str(&body, &len, &cap, "\nsetCommonName=");
		bump_cert_append_str(&body, &len, &cap, pp->cn);
	}
	if (pp->set_valid_after)
		bump_cert_append_str(&body, &len, &cap, "\nsetValidAfter=on");
	if (pp->set_valid_before)
		bump_cert_append_str(&body, &len, &cap, "\nsetValidBefore=on");
	bump_cert_append_str(&body, &len, &cap, "\nSign=");
	bump_cert_append_str(&body, &len, &cap, tls_mint_sign_name(pp->sign));
	bump_cert_append_str(&body, &len, &cap, "\nSignHash=");
	bump_cert_append_str(&body, &len, &cap, pp->md_name);
	bump_cert_append_str(&body, &len, &cap, "\n");
	if ((pem = tls_mint_pem(pp->sign_cert, pp->sign_key, &pem_len)) ==
	    NULL) {
		explicit_bzero(body, len);
		free(body);
		return NULL;
	}
	bump_cert_append(&body, &len, &cap, pem, pem_len);
	explicit_bzero(pem, pem_len);
	free(pem);
	if (pp->mimic != NULL) {
		BIO *bio = BIO_new(BIO_s_mem());
		char *data;
		long dn;

		/* Ssl::appendCertToMemory: one space, then the certificate */
		if (bio == NULL || !PEM_write_bio_X509(bio, pp->mimic) ||
		    (dn = BIO_get_mem_data(bio, &data)) <= 0) {
			BIO_free(bio);
			explicit_bzero(body, len);
			free(body);
			return NULL;
		}
		bump_cert_append_str(&body, &len, &cap, " ");
		bump_cert_append(&body, &len, &cap, data, (size_t)dn);
		BIO_free(bio);
	}
	n = (size_t)snprintf(head, sizeof(head), "new_certificate %zu ", len);
	msg = xmalloc(n + len + 2);
	memcpy(msg, head, n);
	memcpy(msg + n, body, len);
	msg[n + len] = '\n';
	msg[n + len + 1] = '\0';
	explicit_bzero(body, len);
	free(body);
	*lenp = n + len + 1;
	return msg;
}

static void
bump_cert_job_unlink(struct bump_cert_job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		bump_cert_jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->next = j->prev = NULL;
}

static void
bump_cert_job_free(struct bump_cert_job *j)
{
	free(j->host);
	free(j->cache_name);
	free(j);
}

static void
bump_cert_wait_unlink(struct bump_cert_wait *w)
{
	struct bump_cert_job *j = w->job;

	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		j->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
}

/* Give every waiter its answer; waiters may cancel one another meanwhile. */
static void
bump_cert_job_answer(struct bump_cert_job *j, SSL_CTX *ctx, const char *err)
{
	struct bump_cert_wait *w;

	j->answering = 1;
	bump_cert_job_unlink(j);
	while ((w = j->waiters) != NULL) {
		bump_cert_wait_unlink(w);
		if (ctx != NULL)
			SSL_CTX_up_ref(ctx);
		w->cb(w->arg, ctx, ctx != NULL ? NULL : err);
		free(w);
	}
	bump_cert_job_free(j);
}

static void
bump_cert_helper_done(void *arg, const struct helper_reply *rep,
    const char *notes)
{
	struct bump_cert_job *j = arg;
	struct bump_cert_cache *c;
	enum helper_result res;
	const char *body;
	size_t blen;
	char err[512], *pem, *e = NULL;
	X509 *cert = NULL, *mimic = NULL;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;

	j->req = NULL;
	res = helper_certgen_reply(rep->line, strlen(rep->line), &body, &blen);
	if (rep->result == HELPER_UNKNOWN && rep->line[0] == '\0')
		snprintf(err, sizeof(err), "no answer from sslcrtd_program "
		    "(it exited or is not running)");
	else if (res == HELPER_OK) {
		pem = xstrndup(body, blen);
		if (tls_mint_read_signing(pem, &bump_cert_reply_key, &cert,
		    &key, &mimic) == -1)
			snprintf(err, sizeof(err), "sslcrtd_program sent no "
			    "certificate and key");
		else if ((ctx = bump_cert_ctx_new(j->port, cert, key, j->sign,
		    &e)) == NULL) {
			snprintf(err, sizeof(err), "sslcrtd_program's "
			    "certificate: %s", e);
			free(e);
		}
		explicit_bzero(pem, blen);
		free(pem);
		X509_free(cert);
		X509_free(mimic);
		EVP_PKEY_free(key);
	} else if (res == HELPER_ERR)
		snprintf(err, sizeof(err), "sslcrtd_program: ERR %.*s",
		    (int)(blen < 200 ? blen : 200), body);
	else
		snprintf(err, sizeof(err), "sslcrtd_program: BH %s", notes);
	if (ctx == NULL)
		log_warnx("cannot generate a certificate for %s: %s", j->host,
		    err);
	else if (j->cache_name != NULL &&
	    (c = bump_cert_cache_find(j->cache_name)) != NULL)
		bump_cert_cache_put(c, j->key, ctx);
	bump_cert_job_answer(j, ctx, err);
	SSL_CTX_free(ctx);
}

/* The minting thread's answer: as a helper's. */
static void
bump_cert_minted(void *arg, X509 *cert, EVP_PKEY *key, const char *err)
{
	struct bump_cert_job *j = arg;
	struct bump_cert_cache *c;
	SSL_CTX *ctx = NULL;
	char buf[512], *e = NULL;

	j->minting = 0;
	if (cert != NULL && (ctx = bump_cert_ctx_new(j->port, cert, key,
	    j->sign, &e)) == NULL) {
		snprintf(buf, sizeof(buf), "%s", e);
		free(e);
		err = buf;
	}
	if (ctx == NULL)
		log_warnx("%s", err);
	else {
		log_debug(83, 3, "certificate for %s (%s): minted in the worker",
		    j->host, tls_mint_sign_name(j->sign));
		if (j->cache_name != NULL &&
		    (c = bump_cert_cache_find(j->cache_name)) != NULL)
			bump_cert_cache_put(c, j->key, ctx);
	}
	bump_cert_job_answer(j, ctx, err);
	SSL_CTX_free(ctx);
}

/* Start a job: a helper request, or a mint in the thread. */
static int
bump_cert_job_start(struct bump_cert_cache *c, struct bump_cert_job *j,
    const struct bump_cert_params *pp, const char **why)
{
	struct tls_mint_req mr;
	char *msg;
	size_t len;

	if (bump_cert_pool == NULL) {
		bump_cert_mint_req(pp, &mr);
		if (bump_mint_submit(&mr, bump_cert_minted, j) == -1) {
			*why = "cannot start the minting thread";
			return -1;
		}
		j->minting = 1;
		c->stats.minted++;
		log_debug(83, 3, "certificate for %s (%s): minting",
		    pp->cn, tls_mint_sign_name(pp->sign));
		return 0;
	}
	if ((msg = bump_cert_request(pp, &len)) == NULL) {
		*why = "cannot compose the sslcrtd request";
		return -1;
	}
	j->req = helper_submit(bump_cert_pool, msg, len, bump_cert_helper_done,
	    j);
	explicit_bzero(msg, len);
	free(msg);
	if (j->req == NULL) {
		*why = "the sslcrtd helpers are not running";
		return -1;
	}
	c->stats.helper_requests++;
	log_debug(83, 3, "certificate for %s (%s): asking sslcrtd_program",
	    pp->cn, tls_mint_sign_name(pp->sign));
	return 0;
}

/* Wait for a certificate: joining the pending job for it, or a new one. */
static struct bump_cert_wait *
bump_cert_ask(struct bump_cert_cache *c, const struct bump_cert_params *pp,
    int use_cache, bump_cert_cb *cb, void *arg)
{
	struct bump_cert_job *j;
	struct bump_cert_wait *w;
	const char *why = NULL;

	for (j = bump_cert_jobs; j != NULL; j = j->next)
		if (memcmp(j->key, pp->key, 32) == 0)
			break;
	if (j != NULL) {
		c->stats.collapsed++;
		log_debug(83, 3, "certificate for %s (%s): joins a pending "
		    "request", pp->cn, tls_mint_sign_name(pp->sign));
	} else {
		j = xcalloc(1, sizeof(*j));
		memcpy(j->key, pp->key, 32);
		j->port = pp->port;
		j->sign = pp->sign;
		j->host = xstrdup(pp->cn);
		if (bump_cert_job_start(c, j, pp, &why) == -1) {
			bump_cert_job_free(j);
			cb(arg, NULL, why);
			return NULL;
		}
		j->next = bump_cert_jobs;
		if (bump_cert_jobs != NULL)
			bump_cert_jobs->prev = j;
		bump_cert_jobs = j;
	}
	if (use_cache && j->cache_name == NULL)
		j->cache_name = xstrdup(c->name);
	w = xcalloc(1, sizeof(*w));
	w->job = j;
	w->cb = cb;
	w->arg = arg;
	w->next = j->waiters;
	if (j->waiters != NULL)
		j->waiters->prev = w;
	j->waiters = w;
	return w;
}

void
bump_cert_cancel(struct bump_cert_wait *w)
{
	struct bump_cert_job *j = w->job;

	bump_cert_wait_unlink(w);
	free(w);
	if (j->waiters != NULL || j->answering)
		return;
	/* nobody waits: finish only to fill the cache */
	if (j->cache_name == NULL && j->req != NULL) {
		helper_cancel(j->req);
		bump_cert_job_unlink(j);
		bump_cert_job_free(j);
	}
}

struct bump_cert_wait *
bump_cert_get(const struct bump_cert_req *r, bump_cert_cb *cb, void *arg)
{
	struct bump_cert_params pp;
	struct bump_cert_cache *c;
	const char *e = NULL;
	char err[512];
	SSL_CTX *ctx;

	if (r->port->tls_x509 == NULL) {
		cb(arg, NULL, "the port has no TLS certificate");
		return NULL;
	}
	if (!r->port->generate_host_certificates) {
		log_debug(83, 3, "certificate for %s: the port's own",
		    r->host != NULL ? r->host : "");
		ctx = bump_cert_port_ctx(r->port, &e);
		cb(arg, ctx, e);
		return NULL;
	}
	if (bump_cert_params(r, &pp) == -1) {
		cb(arg, NULL, "the port cannot sign certificates");
		return NULL;
	}
	c = bump_cert_cache_for(r->port);
	if (r->use_cache) {
		if ((ctx = bump_cert_cache_get(c, pp.key)) != NULL) {
			c->stats.hits++;
			log_debug(83, 3, "certificate for %s (%s): from the "
			    "cache", pp.cn, tls_mint_sign_name(pp.sign));
			cb(arg, ctx, NULL);
			return NULL;
		}
		c->stats.misses++;
	}
	if (bump_cert_pool != NULL || bump_mint_ready())
		return bump_cert_ask(c, &pp, r->use_cache, cb, arg);
	/* no minting thread: in the loop, as Squid without the helper */
	ctx = bump_cert_mint(&pp, err, sizeof(err));
	if (ctx != NULL) {
		c->stats.minted++;
		log_debug(83, 3, "certificate for %s (%s): minted in the worker",
		    pp.cn, tls_mint_sign_name(pp.sign));
		if (r->use_cache)
			bump_cert_cache_put(c, pp.key, ctx);
	} else
		log_warnx("%s", err);
	cb(arg, ctx, ctx != NULL ? NULL : err);
	return NULL;
}

/* The worker's life */

static int
bump_cert_needs_helpers(const struct cfg *cfg)
{
	if (cfg->sslcrtd_program == NULL)
		return 0;
	for (const struct cfg_port *p = cfg->ports; p != NULL; p = p->next)
		if (p->ssl_bump && p->generate_host_certificates)
			return 1;
	return 0;
}

static void
bump_cert_free_argv(char **argv)
{
	for (int i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static int
bump_cert_same_pool(const struct cfg *cfg)
{
	char **a = bump_cert_pool_argv, **b = cfg->sslcrtd_program;
	int i;

	if (memcmp(&bump_cert_pool_children, &cfg->sslcrtd_children,
	    sizeof(bump_cert_pool_children)) != 0)
		return 0;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return a[i] == NULL && b[i] == NULL;
}

void
bump_cert_init(const struct cfg *cfg)
{
	int n = 0;

	bump_cert_cfg = cfg;
	if (!bump_cert_needs_helpers(cfg))
		return;
	/* Squid's helper name for its sslcrtd_program children */
	bump_cert_pool = helper_pool_start("sslcrtd_program",
	    cfg->sslcrtd_program, &cfg->sslcrtd_children,
	    &helper_framing_certgen);
	while (cfg->sslcrtd_program[n] != NULL)
		n++;
	bump_cert_pool_argv = xcalloc((size_t)n + 1,
	    sizeof(*bump_cert_pool_argv));
	for (int i = 0; i < n; i++)
		bump_cert_pool_argv[i] = xstrdup(cfg->sslcrtd_program[i]);
	bump_cert_pool_children = cfg->sslcrtd_children;
}

static void
bump_cert_stop_pool(void)
{
	struct helper_pool *p = bump_cert_pool;

	/* the pool answers its requests: their jobs answer their waiters */
	bump_cert_pool = NULL;
	helper_pool_stop(p, 1);
	bump_cert_free_argv(bump_cert_pool_argv);
	bump_cert_pool_argv = NULL;
}

void
bump_cert_reload(const struct cfg *cfg)
{
	if (bump_cert_pool != NULL && (!bump_cert_needs_helpers(cfg) ||
	    !bump_cert_same_pool(cfg)))
		bump_cert_stop_pool();
	if (bump_cert_pool == NULL)
		bump_cert_init(cfg);
	else
		bump_cert_cfg = cfg;
	/* a port that is gone takes its contexts with it */
	bump_cert_cache_prune(cfg);
}

void
bump_cert_shutdown(void)
{
	struct bump_cert_job *j;

	if (bump_cert_pool != NULL)
		bump_cert_stop_pool();
	/* mints under way answer their waiters */
	bump_mint_shutdown();
	/* jobs nobody waited for, kept to fill the cache */
	while ((j = bump_cert_jobs) != NULL)
		bump_cert_job_answer(j, NULL, "cuttle is shutting down");
	bump_cert_cache_free_all();
	EVP_PKEY_free(bump_cert_ec_key);
	bump_cert_ec_key = NULL;
	bump_cert_cfg = NULL;
}
