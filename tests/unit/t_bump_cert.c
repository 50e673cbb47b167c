/*
 * Unit tests for bump_cert: what a request asks for (sslproxy_cert_sign
 * with Squid's built-in tail, sslproxy_cert_adapt, the untrusted CA, the
 * cache key), the sslcrtd request as Squid composes it (checked by parsing
 * it back with our helper's own parser), contexts minted in the worker
 * (chain, ALPN, a real handshake), the per-port LRU cache (hits, eviction,
 * size 0, ports and CAs never sharing, a reconfigure with another CA), and
 * the sslcrtd helpers through helper_pool: our security_file_certgen and
 * Squid's give the same bytes as minting in the worker, identical pending
 * requests share one helper call, and a helper that dies, answers garbage
 * or BH ends in an error, never a hang.
 */
#include "config.h"
#include "bump_cert.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "acl.h"
#include "../../helpers/certgen/certgen.h"
#include "cfg.h"
#include "evloop.h"
#include "tap.h"
#include "t_conf.h"
#include "testca.h"
#include "util.h"

static EVP_PKEY *ca2_key;
static X509 *ca2;

/* One callback's outcome. */
struct got {
	int		 calls;
	SSL_CTX		*ctx;
	char		 err[512];
};

static void
got_cb(void *arg, SSL_CTX *ctx, const char *err)
{
	struct got *g = arg;

	g->calls++;
	SSL_CTX_free(g->ctx);
	g->ctx = ctx;
	snprintf(g->err, sizeof(g->err), "%s", err != NULL ? err : "");
	evloop_stop();
}

static void
got_clear(struct got *g)
{
	SSL_CTX_free(g->ctx);
	memset(g, 0, sizeof(*g));
}

static void
loop_timeout(struct ev_timer *t)
{
	int *fired = t->arg;

	*fired = 1;
	evloop_stop();
}

/* Run the loop until every one of gots has been called, or ms pass. */
static int
wait_for(struct got **gots, int n, uint64_t ms)
{
	struct ev_timer t;
	int fired = 0, done;

	ev_timer_init(&t, loop_timeout, &fired);
	ev_timer_start(&t, ms);
	for (;;) {
		done = 1;
		for (int i = 0; i < n; i++)
			if (gots[i]->calls == 0)
				done = 0;
		if (done || fired)
			break;
		evloop_run();
	}
	ev_timer_stop(&t);
	return done;
}

static void
run_for(uint64_t ms)
{
	struct ev_timer t;
	int fired = 0;

	ev_timer_init(&t, loop_timeout, &fired);
	ev_timer_start(&t, ms);
	while (!fired)
		evloop_run();
}

static const struct cfg_port *
port_named(const struct cfg *c, const char *name)
{
	for (const struct cfg_port *p = c->ports; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static const char *
cn_of(X509_NAME *n)
{
	static char buf[256];

	if (X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "(none)");
	return buf;
}

static void
write_pem(const char *name, X509 *cert, EVP_PKEY *key)
{
	char *pem = testca_pem(cert, key);

	write_file(name, pem);
	free(pem);
}

static int
same_der(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na = i2d_X509(a, &da), nb = i2d_X509(b, &db), same;

	same = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

/* What minting in the worker gives for these params, for comparisons. */
static X509 *
mint_like(const struct bump_cert_params *pp)
{
	struct tls_mint_req mr;
	EVP_PKEY *k = NULL;
	X509 *x;

	bump_cert_mint_req(pp, &mr);
	x = tls_mint(&mr, &k);
	EVP_PKEY_free(k);
	return x;
}

static struct bump_cert_req
req_for(const struct cfg_port *port, const char *host, X509 *mimic,
    int error, const struct acl_checklist *cl, int use_cache)
{
	struct bump_cert_req r;

	memset(&r, 0, sizeof(r));
	r.port = port;
	r.host = host;
	r.mimic = mimic;
	r.origin_error = error;
	r.cl = cl;
	r.use_cache = use_cache;
	return r;
}

static struct cfg cfg1;

static void
test_params(void)
{
	const struct cfg_port *a = port_named(&cfg1, "a"),
	    *b = port_named(&cfg1, "b");
	struct acl_checklist cl = { 0 }, forced = { 0 }, self = { 0 };
	struct bump_cert_params pp, pp2;
	struct bump_cert_req r;

	cl.host = "www.example.test";
	forced.host = "www.forced.test";
	self.host = "www.self.test";

	r = req_for(a, "www.example.test", NULL, 0, &forced, 1);
	is_int(bump_cert_params(&r, &pp), 0, "params");
	is_int(pp.sign, TLS_MINT_SIGN_TRUSTED, "no mimic: signTrusted");
	ok(!pp.set_common_name && !pp.set_valid_after,
	    "no mimic: no adaptation, even where a rule would match");
	is_str(pp.cn, "www.example.test", "CN is the host");
	ok(pp.sign_cert == a->tls_x509 && pp.sign_key == a->tls_pkey,
	    "signed by the CA");
	is_str(pp.md_name, "SHA256", "SignHash as Squid spells it");

	r = req_for(a, "www.example.test", testca_origin, 0, &cl, 1);
	bump_cert_params(&r, &pp);
	is_int(pp.sign, TLS_MINT_SIGN_TRUSTED, "verified origin: signTrusted");
	r.origin_error = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	bump_cert_params(&r, &pp);
	is_int(pp.sign, TLS_MINT_SIGN_UNTRUSTED,
	    "unknown issuer: signUntrusted (built-in tail)");
	ok(pp.sign_cert == a->tls_untrusted && pp.sign_key == a->tls_pkey,
	    "with the untrusted CA and the CA's key");
	r.origin_error = X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN;
	bump_cert_params(&r, &pp);
	is_int(pp.sign, TLS_MINT_SIGN_UNTRUSTED, "self-signed in chain too");
	r.origin_error = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
	bump_cert_params(&r, &pp);
	is_int(pp.sign, TLS_MINT_SIGN_SELF, "self-signed origin: signSelf");
	r.origin_error = X509_V_ERR_CERT_HAS_EXPIRED;
	bump_cert_params(&r, &pp);
	is_int(pp.sign, TLS_MINT_SIGN_TRUSTED, "other errors: signTrusted");
	{
		/* every error counts, the allowed ones too (as Squid's list) */
		static const int errs[] = { X509_V_ERR_CERT_HAS_EXPIRED,
		    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY };

		r.origin_error = 0;
		r.origin_errors = errs;
		r.norigin_errors = 2;
		bump_cert_params(&r, &pp);
		is_int(pp.sign, TLS_MINT_SIGN_UNTRUSTED,
		    "an untrusted issuer among the errors: signUntrusted");
		r.origin_errors = NULL;
		r.norigin_errors = 0;
	}

	r = req_for(a, "www.self.test", testca_origin, 0, &self, 1);
	bump_cert_params(&r, &pp);
	is_int(pp.sign, TLS_MINT_SIGN_SELF, "a configured rule comes first");
	r = req_for(a, "www.forced.test", testca_origin, 0, &forced, 1);
	bump_cert_params(&r, &pp);
	ok(pp.set_common_name && pp.set_valid_after && !pp.set_valid_before,
	    "adaptations whose ACLs match");
	is_str(pp.cn, "forced.example", "setCommonName{CN}");
	is_int(pp.sign, TLS_MINT_SIGN_TRUSTED, "ACL-less signTrusted line "
	    "never matched; the tail did");

	/* keys */
	r = req_for(a, "one.test", NULL, 0, &cl, 1);
	bump_cert_params(&r, &pp);
	bump_cert_params(&r, &pp2);
	ok(memcmp(pp.key, pp2.key, 32) == 0, "same request, same key");
	r.host = "two.test";
	bump_cert_params(&r, &pp2);
	ok(memcmp(pp.key, pp2.key, 32) != 0, "no mimic: the host counts");
	r.port = b;
	r.host = "one.test";
	bump_cert_params(&r, &pp2);
	ok(memcmp(pp.key, pp2.key, 32) != 0, "another port's CA, another key");
	r = req_for(a, "one.test", testca_origin, 0, &cl, 1);
	bump_cert_params(&r, &pp);
	r.host = "alias.test";
	bump_cert_params(&r, &pp2);
	ok(memcmp(pp.key, pp2.key, 32) == 0,
	    "a mimic is known by the origin certificate, not the host");
	r.origin_error = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	bump_cert_params(&r, &pp2);
	ok(memcmp(pp.key, pp2.key, 32) != 0, "signing algorithm counts");
	r = req_for(a, "www.forced.test", testca_origin, 0, &forced, 1);
	bump_cert_params(&r, &pp2);
	ok(memcmp(pp.key, pp2.key, 32) != 0, "adaptations count");
}

static void
test_request(void)
{
	const struct cfg_port *a = port_named(&cfg1, "a");
	struct acl_checklist cl = { 0 }, forced = { 0 };
	struct bump_cert_params pp;
	struct bump_cert_req r;
	struct certgen_msg m;
	struct tls_mint_req parsed;
	size_t len, head;
	char *msg, *perr = NULL, want[256];
	X509 *x1, *x2;

	cl.host = "www.example.test";
	forced.host = "www.forced.test";
	r = req_for(a, "www.example.test", NULL, 0, &cl, 1);
	bump_cert_params(&r, &pp);
	msg = bump_cert_request(&pp, &len);
	ok(msg != NULL, "request composed");
	if (msg == NULL)
		return;
	head = strcspn(msg + 16, " ") + 17;
	snprintf(want, sizeof(want), "new_certificate %zu host=www.example.test"
	    "\nSign=signTrusted\nSignHash=SHA256\n-----BEGIN CERTIFICATE-----\n",
	    len - head - 1);
	ok(strncmp(msg, want, strlen(want)) == 0, "Squid's framing and body");
	is_int(msg[len - 1], '\n', "one LF after the body, not counted");
	ok(len > 27 && memcmp(msg + len - 27, "-----END PRIVATE KEY-----\n\n",
	    27) == 0, "the key (PKCS#8) ends the body without a mimic");
	ok(strstr(msg, " -----BEGIN") == NULL, "no mimic part");
	memset(&m, 0, sizeof(m));
	is_int(certgen_msg_parse(&m, msg, len), CERTGEN_OK,
	    "our helper frames it");
	is_int(certgen_req_parse(m.body, &parsed, &perr), 0, "and parses it");
	if (perr == NULL) {
		is_str(parsed.cn, "www.example.test", "host");
		is_int(parsed.sign, TLS_MINT_SIGN_TRUSTED, "Sign");
		ok(parsed.mimic == NULL, "no mimic");
		ok(X509_cmp(parsed.ca_cert, a->tls_x509) == 0, "the CA");
		certgen_req_free(&parsed);
	}
	free(perr);
	perr = NULL;
	certgen_msg_clear(&m);
	explicit_bzero(msg, len);
	free(msg);

	/* mimic, adaptations and the untrusted CA: the helper mints the same */
	r = req_for(a, "www.forced.test", testca_origin,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, &forced, 1);
	bump_cert_params(&r, &pp);
	msg = bump_cert_request(&pp, &len);
	ok(strstr(msg, "host=forced.example\nsetCommonName=forced.example\n"
	    "setValidAfter=on\nSign=signUntrusted\nSignHash=SHA256\n") != NULL,
	    "adaptations in Squid's order");
	ok(strstr(msg, "-----END PRIVATE KEY-----\n -----BEGIN CERTIFICATE"
	    "-----\n") != NULL, "one space, then the origin certificate");
	memset(&m, 0, sizeof(m));
	is_int(certgen_msg_parse(&m, msg, len), CERTGEN_OK, "framed");
	is_int(certgen_req_parse(m.body, &parsed, &perr), 0, "parsed");
	if (perr == NULL) {
		ok(parsed.mimic != NULL && X509_cmp(parsed.mimic,
		    testca_origin) == 0, "the origin certificate");
		ok(X509_cmp(parsed.ca_cert, a->tls_untrusted) == 0,
		    "the untrusted CA");
		ok(parsed.set_common_name && parsed.set_valid_after &&
		    !parsed.set_valid_before, "adaptation flags");
		EVP_PKEY *k = NULL;
		x1 = tls_mint(&parsed, &k);
		EVP_PKEY_free(k);
		/* in the worker the default key is its own P-256 one ... */
		ok(pp.leaf_key != NULL && EVP_PKEY_is_a(pp.leaf_key, "EC"),
		    "minted in the worker: the worker's EC key");
		/* ... with the CA's (ssl_bump_cert_key ca), Squid's bytes */
		pp.leaf_key = NULL;
		x2 = mint_like(&pp);
		ok(x1 != NULL && x2 != NULL && same_der(x1, x2),
		    "the helper's parse mints the worker's very bytes");
		X509_free(x1);
		X509_free(x2);
		certgen_req_free(&parsed);
	}
	free(perr);
	certgen_msg_clear(&m);
	explicit_bzero(msg, len);
	free(msg);
}

/* A TLS handshake in memory: the client trusts ca and asks for alpn. */
static int
handshake(SSL_CTX *server_ctx, X509 *ca, const char *host,
    const unsigned char *alpn, unsigned alpn_len, char *proto, size_t plen)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *c, *s;
	BIO *cb, *sb;
	int rc = -1, cr = 0, sr = 0;

	X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), ca);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	c = SSL_new(cctx);
	s = SSL_new(server_ctx);
	SSL_set1_host(c, host);
	SSL_set_tlsext_host_name(c, host);
	if (alpn != NULL)
		SSL_set_alpn_protos(c, alpn, alpn_len);
	BIO_new_bio_pair(&cb, 0, &sb, 0);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 50 && (cr != 1 || sr != 1); i++) {
		if (cr != 1)
			cr = SSL_do_handshake(c);
		if (sr != 1)
			sr = SSL_do_handshake(s);
		if ((cr <= 0 && SSL_get_error(c, cr) != SSL_ERROR_WANT_READ) ||
		    (sr <= 0 && SSL_get_error(s, sr) != SSL_ERROR_WANT_READ))
			break;
	}
	if (cr == 1 && sr == 1 && SSL_get_verify_result(c) == X509_V_OK) {
		const unsigned char *p;
		unsigned n;

		SSL_get0_alpn_selected(c, &p, &n);
		snprintf(proto, plen, "%.*s", (int)n, (const char *)p);
		rc = SSL_version(c);
	}
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	return rc;
}

static void
test_minted(void)
{
	const struct cfg_port *a = port_named(&cfg1, "a");
	struct acl_checklist cl = { 0 };
	struct bump_cert_req r;
	struct bump_cert_wait *w;
	struct got g = { 0 };
	struct got *gp[1] = { &g };
	STACK_OF(X509) *chain = NULL;
	X509 *leaf;
	char proto[32];

	cl.host = "www.example.test";
	r = req_for(a, "www.example.test", NULL, 0, &cl, 1);
	w = bump_cert_get(&r, got_cb, &g);
	ok(w != NULL && g.calls == 0,
	    "minted in the worker's thread: answered later, in the loop");
	ok(wait_for(gp, 1, 10000) && g.calls == 1, "answered once");
	ok(g.ctx != NULL, "a context: %s", g.err);
	if (g.ctx == NULL)
		return;
	leaf = SSL_CTX_get0_certificate(g.ctx);
	is_str(cn_of(X509_get_subject_name(leaf)), "www.example.test",
	    "leaf CN");
	is_str(cn_of(X509_get_issuer_name(leaf)), "Test CA", "issued by the CA");
	ok(X509_verify(leaf, testca_key) == 1, "signed with the CA's key");
	SSL_CTX_get0_chain_certs(g.ctx, &chain);
	ok(sk_X509_num(chain) == 1 && X509_cmp(sk_X509_value(chain, 0),
	    testca) == 0, "signTrusted: the CA follows the leaf, as in Squid");
	is_int(handshake(g.ctx, testca, "www.example.test",
	    (const unsigned char *)"\x02h2\x08http/1.1", 12, proto,
	    sizeof(proto)), TLS1_3_VERSION, "a client trusting the CA "
	    "verifies it (TLS 1.3)");
	is_str(proto, "http/1.1", "ALPN: http/1.1, never h2");
	is_int(handshake(g.ctx, testca, "www.example.test",
	    (const unsigned char *)"\x02h2", 3, proto, sizeof(proto)),
	    TLS1_3_VERSION, "a client offering only h2 still connects");
	is_str(proto, "", "without ALPN");
	is_int(SSL_CTX_get_min_proto_version(g.ctx), TLS1_2_VERSION,
	    "TLS 1.2 and later");
	ok((SSL_CTX_get_options(g.ctx) & SSL_OP_NO_TICKET) == 0,
	    "session tickets on");
	got_clear(&g);

	/* the untrusted CA's certificate goes alone and fails verification */
	r = req_for(a, "www.example.test", testca_origin,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, &cl, 1);
	if (bump_cert_get(&r, got_cb, &g) != NULL)
		wait_for(gp, 1, 10000);
	ok(g.ctx != NULL, "untrusted mimic minted");
	if (g.ctx != NULL) {
		leaf = SSL_CTX_get0_certificate(g.ctx);
		is_str(cn_of(X509_get_issuer_name(leaf)),
		    "Not trusted by \"Test CA\"", "issued by the untrusted CA");
		chain = NULL;
		SSL_CTX_get0_chain_certs(g.ctx, &chain);
		ok(chain == NULL || sk_X509_num(chain) == 0, "and sent alone");
		is_int(handshake(g.ctx, testca, "www.example.test", NULL, 0,
		    proto, sizeof(proto)), -1, "a client trusting the CA "
		    "refuses it");
	}
	got_clear(&g);

	/* generate-host-certificates=off: the port's own certificate */
	r = req_for(port_named(&cfg1, "c"), "www.example.test", NULL, 0, &cl,
	    1);
	bump_cert_get(&r, got_cb, &g);
	ok(g.ctx != NULL && X509_cmp(SSL_CTX_get0_certificate(g.ctx), testca)
	    == 0, "generate-host-certificates=off presents tls-cert");
	got_clear(&g);
}

static SSL_CTX *
get_ctx(const struct cfg_port *p, const char *host, int use_cache)
{
	struct acl_checklist cl = { 0 };
	struct bump_cert_req r;
	struct got g = { 0 };
	struct got *gp[1] = { &g };
	SSL_CTX *ctx;

	cl.host = host;
	r = req_for(p, host, NULL, 0, &cl, use_cache);
	if (bump_cert_get(&r, got_cb, &g) != NULL)
		wait_for(gp, 1, 10000);
	ctx = g.ctx;
	return ctx;
}

static void
test_cache(void)
{
	const struct cfg_port *a = port_named(&cfg1, "a"),
	    *b = port_named(&cfg1, "b"), *d = port_named(&cfg1, "d");
	struct bump_cert_stats st, st2;
	SSL_CTX *x, *y, *h[4];

	bump_cert_stats(a, &st);
	is_int(st.max_entries, 256, "4 MB hold 256 contexts");
	x = get_ctx(a, "cached.test", 1);
	y = get_ctx(a, "cached.test", 1);
	ok(x != NULL && x == y, "the second request is a hit");
	bump_cert_stats(a, &st2);
	is_int(st2.hits - st.hits, 1, "one hit");
	is_int(st2.minted - st.minted, 1, "one minted");
	SSL_CTX_free(y);
	y = get_ctx(a, "cached.test", 0);
	ok(y != NULL && y != x, "use_cache 0: minted again");
	bump_cert_stats(a, &st);
	is_int(st.entries, st2.entries, "and not stored");
	is_int(st.hits, st2.hits, "nor looked up");
	SSL_CTX_free(x);
	SSL_CTX_free(y);

	/* port b holds 3; the least recently used goes */
	h[0] = get_ctx(b, "h0.test", 1);
	bump_cert_stats(b, &st);
	is_int(st.max_entries, 3, "48 KB: 3 contexts");
	h[1] = get_ctx(b, "h1.test", 1);
	h[2] = get_ctx(b, "h2.test", 1);
	x = get_ctx(b, "h0.test", 1);
	ok(x == h[0], "h0 is a hit and now the newest");
	SSL_CTX_free(x);
	h[3] = get_ctx(b, "h3.test", 1);
	bump_cert_stats(b, &st);
	is_int(st.entries, 3, "still 3");
	is_int(st.evicted, 1, "one evicted");
	x = get_ctx(b, "h0.test", 1);
	ok(x == h[0], "h0 stayed");
	SSL_CTX_free(x);
	x = get_ctx(b, "h1.test", 1);
	ok(x != h[1], "h1, the least recently used, was evicted");
	SSL_CTX_free(x);
	for (int i = 0; i < 4; i++)
		SSL_CTX_free(h[i]);

	/* size 0: no cache */
	x = get_ctx(d, "zero.test", 1);
	y = get_ctx(d, "zero.test", 1);
	ok(x != NULL && y != NULL && x != y, "size 0 caches nothing");
	bump_cert_stats(d, &st);
	is_int(st.entries, 0, "no entries");
	is_int(st.minted, 2, "minted twice");
	SSL_CTX_free(x);
	SSL_CTX_free(y);

	/* two ports with different CAs never share */
	x = get_ctx(a, "shared.test", 1);
	y = get_ctx(b, "shared.test", 1);
	ok(x != y && strcmp(cn_of(X509_get_issuer_name(
	    SSL_CTX_get0_certificate(y))), "Test CA 2") == 0,
	    "same host on another port: that port's CA");
	SSL_CTX_free(x);
	SSL_CTX_free(y);
}

/* The same port name with another CA: never the old certificates. */
static void
test_reconfigure(void)
{
	struct cfg cfg2;
	char text[2048];
	const struct cfg_port *a2;
	struct bump_cert_stats st;
	SSL_CTX *x;

	x = get_ctx(port_named(&cfg1, "a"), "moved.test", 1);
	SSL_CTX_free(x);
	snprintf(text, sizeof(text), "pid_filename none\n"
	    "http_port 3128 ssl-bump tls-cert=%s name=a\n", tpath("ca2.pem"));
	is_int(load(&cfg2, "r.conf", text, 0), 0, "the new config loads");
	bump_cert_reload(&cfg2);
	a2 = port_named(&cfg2, "a");
	x = get_ctx(a2, "moved.test", 1);
	ok(x != NULL && strcmp(cn_of(X509_get_issuer_name(
	    SSL_CTX_get0_certificate(x))), "Test CA 2") == 0,
	    "the new CA signs, though the old context is still cached");
	SSL_CTX_free(x);
	bump_cert_stats(port_named(&cfg1, "b"), &st);
	is_int(st.entries + st.hits + st.minted, 0,
	    "a port that is gone lost its cache");
	bump_cert_reload(&cfg1);
	cfg_free(&cfg2);
}

static const char *
builddir(void)
{
	const char *d = getenv("CUTTLE_BUILDDIR");

	return d != NULL && *d != '\0' ? d : ".";
}

/* Through a helper program: same bytes as the worker mints. */
static void
helpers_mint(const char *program, const char *label, const char *tag)
{
	struct cfg cfg3;
	char text[4096], host[64], twins[64], gone[64];
	const struct cfg_port *a;
	struct acl_checklist cl = { 0 };
	struct bump_cert_req r;
	struct bump_cert_params pp;
	struct bump_cert_stats st0, st;
	struct got g1 = { 0 }, g2 = { 0 }, g3 = { 0 }, g4 = { 0 };
	struct got *gs[2];
	struct bump_cert_wait *w;
	X509 *want;

	snprintf(text, sizeof(text), "pid_filename none\n"
	    "http_port 3128 ssl-bump tls-cert=%s tls-key=%s name=a\n"
	    "sslcrtd_program %s\nsslcrtd_children 2 startup=1 idle=1\n",
	    tpath("ca.pem"), tpath("ca.key"), program);
	if (load(&cfg3, "h.conf", text, 0) != 0) {
		ok(0, "%s: config loads: %s", label, logtext);
		cfg_free(&cfg3);
		return;
	}
	bump_cert_reload(&cfg3);
	a = port_named(&cfg3, "a");
	/* the port's cache outlives reloads: a host of each helper's own */
	snprintf(host, sizeof(host), "helper.%s.test", tag);
	snprintf(twins, sizeof(twins), "twins.%s.test", tag);
	snprintf(gone, sizeof(gone), "gone.%s.test", tag);
	cl.host = host;
	bump_cert_stats(a, &st0);

	r = req_for(a, host, NULL, 0, &cl, 1);
	w = bump_cert_get(&r, got_cb, &g1);
	ok(w != NULL && g1.calls == 0, "%s: the helper is asked", label);
	gs[0] = &g1;
	ok(wait_for(gs, 1, 10000), "%s: it answers", label);
	ok(g1.ctx != NULL, "%s: a context (%s)", label, g1.err);
	bump_cert_params(&r, &pp);
	want = mint_like(&pp);
	ok(g1.ctx && same_der(SSL_CTX_get0_certificate(g1.ctx), want),
	    "%s: byte-identical to minting in the worker", label);
	X509_free(want);
	w = bump_cert_get(&r, got_cb, &g2);
	ok(w == NULL && g2.ctx == g1.ctx, "%s: then a cache hit", label);

	/* mimic, untrusted: the same bytes again */
	r = req_for(a, "www.example.test", testca_origin,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, &cl, 0);
	got_clear(&g1);
	bump_cert_get(&r, got_cb, &g1);
	gs[0] = &g1;
	ok(wait_for(gs, 1, 10000) && g1.ctx != NULL, "%s: untrusted mimic "
	    "(%s)", label, g1.err);
	bump_cert_params(&r, &pp);
	want = mint_like(&pp);
	ok(g1.ctx && same_der(SSL_CTX_get0_certificate(g1.ctx), want),
	    "%s: untrusted mimic byte-identical", label);
	X509_free(want);

	/* two identical requests share one helper call */
	bump_cert_stats(a, &st0);
	r = req_for(a, twins, NULL, 0, &cl, 1);
	got_clear(&g1);
	got_clear(&g2);
	ok(bump_cert_get(&r, got_cb, &g1) != NULL &&
	    bump_cert_get(&r, got_cb, &g2) != NULL, "%s: both wait", label);
	/* and a cancelled third never hears back */
	w = bump_cert_get(&r, got_cb, &g3);
	if (w != NULL)
		bump_cert_cancel(w);
	gs[0] = &g1;
	gs[1] = &g2;
	ok(wait_for(gs, 2, 10000), "%s: both answered", label);
	ok(g1.ctx != NULL && g1.ctx == g2.ctx, "%s: with one context", label);
	bump_cert_stats(a, &st);
	is_int(st.helper_requests - st0.helper_requests, 1,
	    "%s: one helper request", label);
	is_int(st.collapsed - st0.collapsed, 2, "%s: two collapsed", label);
	is_int(g3.calls, 0, "%s: the cancelled one is not called", label);

	/* a lone request cancelled while the helper works */
	r = req_for(a, gone, NULL, 0, &cl, 0);
	w = bump_cert_get(&r, got_cb, &g4);
	ok(w != NULL, "%s: a lone request waits (%s)", label, g4.err);
	if (w != NULL)
		bump_cert_cancel(w);
	run_for(300);
	is_int(g4.calls, 0, "%s: cancelled, never called", label);

	got_clear(&g1);
	got_clear(&g2);
	got_clear(&g3);
	got_clear(&g4);
	bump_cert_reload(&cfg1);
	cfg_free(&cfg3);
}

/* A helper that misbehaves ends the request in an error, soon. */
static void
helper_fails(const char *script, const char *label, const char *want)
{
	struct cfg cfg4;
	char text[4096];
	const struct cfg_port *a;
	struct acl_checklist cl = { 0 };
	struct bump_cert_req r;
	struct got g = { 0 };
	struct got *gs[1] = { &g };
	uint64_t t0;

	write_file(label, script);
	chmod(tpath(label), 0755);
	snprintf(text, sizeof(text), "pid_filename none\n"
	    "http_port 3128 ssl-bump tls-cert=%s tls-key=%s name=a\n"
	    "sslcrtd_program %s\nsslcrtd_children 1 startup=1 idle=1\n",
	    tpath("ca.pem"), tpath("ca.key"), tpath(label));
	is_int(load(&cfg4, "f.conf", text, 0), 0, "%s: config", label);
	bump_cert_reload(&cfg4);
	a = port_named(&cfg4, "a");
	cl.host = "fail.test";
	r = req_for(a, "fail.test", NULL, 0, &cl, 1);
	t0 = util_now_ms();
	if (bump_cert_get(&r, got_cb, &g) != NULL)
		ok(wait_for(gs, 1, 10000), "%s: answered", label);
	ok(g.ctx == NULL && strstr(g.err, want) != NULL, "%s: error '%s'",
	    label, g.err);
	ok(util_now_ms() - t0 < 5000, "%s: within seconds", label);
	got_clear(&g);
	bump_cert_reload(&cfg1);
	cfg_free(&cfg4);
}

static void
test_helpers(void)
{
	char ours[1024];

	snprintf(ours, sizeof(ours), "%s/security_file_certgen", builddir());
	if (access(ours, X_OK) == 0)
		helpers_mint(ours, "ours", "ours");
	else
		ok(0, "our security_file_certgen is built (%s)", ours);
	if (access("/usr/lib/squid/security_file_certgen", X_OK) == 0)
		helpers_mint("/usr/lib/squid/security_file_certgen", "Squid's",
		    "squid");
	else
		printf("# skipped: no /usr/lib/squid/security_file_certgen\n");

	helper_fails("#!/bin/sh\nread -r line\nexit 1\n", "dies.sh",
	    "no answer from sslcrtd_program");
	helper_fails("#!/bin/sh\nread -r line\nprintf garbage\nexec sleep 30\n",
	    "garbage.sh", "no answer from sslcrtd_program");
	helper_fails("#!/bin/sh\nwhile read -r a b; do\n"
	    "  [ \"$a\" = new_certificate ] && printf 'BH message=broken\\001'\n"
	    "done\n", "bh.sh", "sslcrtd_program: BH message: broken");
	helper_fails("#!/bin/sh\nwhile read -r a b; do\n"
	    "  [ \"$a\" = new_certificate ] && printf 'ERR 4 oops\\001'\n"
	    "done\n", "err.sh", "sslcrtd_program: ERR oops");
}

/*
 * How long a mint and its context take in the worker (the thread's time
 * and the loop's together: the loop itself only builds the context).
 */
static void
test_timing(void)
{
	const struct cfg_port *ports[2] = { port_named(&cfg1, "a"),
	    port_named(&cfg1, "b") };
	const char *what[2] = { "RSA-2048 CA", "P-256 CA" };
	char host[64];
	int n = 100;

	for (int k = 0; k < 2; k++) {
		struct timespec t0, t1;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < n; i++) {
			snprintf(host, sizeof(host), "t%d.timing.test", i);
			SSL_CTX_free(get_ctx(ports[k], host, 0));
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) /
		    1e6) / n;
		printf("# minting and building a context in the worker, %s: "
		    "%.3f ms\n", what[k], ms);
		ok(ms < 50, "%s: a mint takes milliseconds", what[k]);
	}
}

int
main(void)
{
	char text[4096];

	signal(SIGPIPE, SIG_IGN);
	if (t_conf_setup("t_bump_cert") == -1 || evloop_init() == -1)
		return 1;
	testca_init();
	ca2_key = EVP_EC_gen("P-256");
	ca2 = testca_cert(ca2_key, "Test CA 2", NULL, NULL, 3650);
	write_pem("ca.pem", testca, NULL);
	write_pem("ca.key", NULL, testca_key);
	write_pem("ca2.pem", ca2, ca2_key);
	/* tpath() has 4 buffers: the 7 paths below need copies */
	char ca[256], key[256];
	snprintf(ca, sizeof(ca), "%s", tpath("ca.pem"));
	snprintf(key, sizeof(key), "%s", tpath("ca.key"));
	snprintf(text, sizeof(text), "pid_filename none\n"
	    "acl site dstdomain .forced.test\n"
	    "acl self dstdomain .self.test\n"
	    "http_port 3128 ssl-bump tls-cert=%s tls-key=%s name=a\n"
	    "http_port 3129 ssl-bump tls-cert=%s name=b "
	    "dynamic_cert_mem_cache_size=48KB\n"
	    "http_port 3130 ssl-bump tls-cert=%s tls-key=%s name=c "
	    "generate-host-certificates=off\n"
	    "http_port 3131 ssl-bump tls-cert=%s tls-key=%s name=d "
	    "dynamic_cert_mem_cache_size=0\n"
	    "sslproxy_cert_sign signSelf self\n"
	    "sslproxy_cert_sign signTrusted\n"
	    "sslproxy_cert_adapt setCommonName{forced.example} site\n"
	    "sslproxy_cert_adapt setValidAfter site\n",
	    ca, key, tpath("ca2.pem"), ca, key, ca, key);
	if (load(&cfg1, "b.conf", text, 0) != 0) {
		printf("# config: %s", logtext);
		return 1;
	}
	bump_cert_init(&cfg1);
	test_params();
	test_request();
	test_minted();
	test_cache();
	test_reconfigure();
	test_helpers();
	test_timing();
	bump_cert_shutdown();
	cfg_free(&cfg1);
	X509_free(ca2);
	EVP_PKEY_free(ca2_key);
	X509_free(testca);
	X509_free(testca_origin);
	EVP_PKEY_free(testca_key);
	EVP_PKEY_free(testca_ec_key);
	t_conf_cleanup();
	return tap_done();
}
