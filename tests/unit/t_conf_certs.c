/*
 * Unit tests for what decides a bumped connection's certificate, through
 * cfg_load(): a TLS port's files read and checked at parse time (key that
 * matches, a CA when certificates are generated, the chain, Squid's
 * untrusted CA, the fingerprint the context cache is keyed by), the
 * context options (options=, cipher=, sslflags=, tls-min-version=,
 * tls-dh=), sslcrtd_program and sslcrtd_children, sslproxy_cert_sign,
 * sslproxy_cert_adapt and sslproxy_cert_sign_hash, and cfg_reload() taking
 * a key this process may no longer read from the running config.
 */
#include "config.h"
#include "cfg.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/params.h>
#include <openssl/ssl.h>

#include "tap.h"
#include "t_conf.h"
#include "testca.h"
#include "tls_mint.h"
#include "tls_port.h"

static EVP_PKEY *leaf_key;

static void
write_pem(const char *name, X509 *cert, EVP_PKEY *key)
{
	char *pem = testca_pem(cert, key);

	write_file(name, pem);
	free(pem);
}

/* A self-signed certificate with the given extensions (NULL: none). */
static X509 *
mkcert(EVP_PKEY *key, const char *cn, const char *bc, const char *ku)
{
	X509 *c = X509_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 3);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	if (bc != NULL)
		testca_ext(c, NULL, NID_basic_constraints, bc);
	if (ku != NULL)
		testca_ext(c, NULL, NID_key_usage, ku);
	X509_sign(c, key, EVP_sha256());
	return c;
}

static char *
name_of(X509_NAME *n)
{
	static char buf[256];

	X509_NAME_oneline(n, buf, sizeof(buf));
	return buf;
}

static int
load_port(struct cfg *c, const char *options)
{
	char text[2048];

	snprintf(text, sizeof(text), "pid_filename none\n"
	    "http_port 3128 ssl-bump %s\n", options);
	return load(c, "t.conf", text, 0);
}

/* Load a one-port config expecting one error with this text; free it. */
static void
port_error(const char *options, const char *want, const char *what)
{
	struct cfg c;

	is_int(load_port(&c, options), 1, "%s: one error", what);
	ok(logged("%s:2: %s", tpath("t.conf"), want), "%s: message", what);
	ok(c.ports == NULL, "%s: no port kept", what);
	cfg_free(&c);
}

static void
test_files(void)
{
	struct cfg c;
	struct cfg_port *p;
	char opts[1024];
	X509 *leaf, *nosign, *inter;
	EVP_PKEY *pub;

	write_pem("ca.pem", testca, NULL);
	write_pem("ca.key", NULL, testca_key);
	write_pem("both.pem", testca, testca_key);
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-key=%s",
	    tpath("ca.pem"), tpath("ca.key"));
	is_int(load_port(&c, opts), 0, "CA and key load");
	p = c.ports;
	ok(p != NULL && p->tls_x509 != NULL && p->tls_pkey != NULL,
	    "certificate and key kept in the port");
	if (p == NULL || p->tls_x509 == NULL)
		return;
	ok(X509_cmp(p->tls_x509, testca) == 0, "the CA itself");
	ok(EVP_PKEY_eq(p->tls_pkey, testca_key) == 1, "its key");
	is_int(sk_X509_num(p->tls_chain), 0, "no chain");
	/* squid-compat 5.3: same key, CN Not trusted by "<CA CN>", CA validity */
	ok(p->tls_untrusted != NULL, "untrusted CA built");
	is_str(name_of(X509_get_subject_name(p->tls_untrusted)),
	    "/O=Test Org/CN=Not trusted by \"Test CA\"", "untrusted subject");
	is_str(name_of(X509_get_issuer_name(p->tls_untrusted)),
	    "/O=Test Org/CN=Not trusted by \"Test CA\"", "self-signed");
	pub = X509_get0_pubkey(p->tls_untrusted);
	ok(EVP_PKEY_eq(pub, testca_key) == 1, "with the CA's key");
	ok(X509_verify(p->tls_untrusted, testca_key) == 1, "signed by it");
	is_int(ASN1_TIME_compare(X509_get0_notAfter(p->tls_untrusted),
	    X509_get0_notAfter(testca)), 0, "CA's notAfter");
	is_int(ASN1_TIME_compare(X509_get0_notBefore(p->tls_untrusted),
	    X509_get0_notBefore(testca)), 0, "CA's notBefore");
	ok(X509_check_ca(p->tls_untrusted) == 1, "a CA too (basicConstraints "
	    "mimicked)");
	ok(strcmp(p->tls_cert_opt, "tls-cert=") == 0, "option word kept");
	unsigned char zero[32] = { 0 };
	ok(memcmp(p->tls_fingerprint, zero, 32) != 0, "fingerprint set");
	unsigned char fp[32];
	memcpy(fp, p->tls_fingerprint, 32);
	is_int(p->generate_host_certificates, 1, "generating by default");
	is_int(p->dynamic_cert_mem_cache_size, 4 << 20, "4 MB cache");
	cfg_free(&c);

	/* the same files give the same fingerprint; another option does not */
	is_int(load_port(&c, opts), 0, "again");
	ok(c.ports && memcmp(c.ports->tls_fingerprint, fp, 32) == 0,
	    "same files and options, same fingerprint");
	cfg_free(&c);
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-key=%s cipher=HIGH",
	    tpath("ca.pem"), tpath("ca.key"));
	is_int(load_port(&c, opts), 0, "with cipher=");
	ok(c.ports && memcmp(c.ports->tls_fingerprint, fp, 32) != 0,
	    "cipher= changes the fingerprint");
	cfg_free(&c);

	/* key in the certificate file; legacy words; the chain after the CA */
	inter = testca_cert(testca_ec_key, "Intermediate", testca, testca_key,
	    30);
	{
		char *a = testca_pem(testca, testca_key), *b = testca_pem(inter,
		    NULL), text[16384];
		snprintf(text, sizeof(text), "%s%s", a, b);
		write_file("chain.pem", text);
		free(a);
		free(b);
	}
	snprintf(opts, sizeof(opts), "cert=%s", tpath("chain.pem"));
	is_int(load_port(&c, opts), 0, "key in the cert file, cert=");
	p = c.ports;
	ok(p && p->tls_pkey && EVP_PKEY_eq(p->tls_pkey, testca_key) == 1,
	    "key read from tls-cert's file");
	is_int(p ? sk_X509_num(p->tls_chain) : -1, 1, "one chain certificate");
	ok(p && sk_X509_num(p->tls_chain) == 1 &&
	    X509_cmp(sk_X509_value(p->tls_chain, 0), inter) == 0,
	    "the intermediate");
	ok(p && memcmp(p->tls_fingerprint, fp, 32) != 0,
	    "a chain changes the fingerprint");
	cfg_free(&c);
	X509_free(inter);

	/* the errors: file, line, option and file name */
	port_error("tls-cert=/nonexistent/ca.pem",
	    "http_port option 'tls-cert=': unable to load certificate file "
	    "'/nonexistent/ca.pem': No such file or directory", "missing cert");
	snprintf(opts, sizeof(opts), "tls-cert=%s key=/nonexistent/k",
	    tpath("ca.pem"));
	port_error(opts, "http_port option 'key=': unable to load private key "
	    "file '/nonexistent/k': No such file or directory", "missing key");
	snprintf(opts, sizeof(opts), "tls-cert=%s", tpath("ca.pem"));
	port_error(opts, "http_port option 'tls-cert=': no private key in",
	    "no key anywhere");
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-key=%s", tpath("ca.key"),
	    tpath("ca.key"));
	port_error(opts, "http_port option 'tls-cert=': unable to load "
	    "certificate file", "a key is no certificate");
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-key=%s", tpath("ca.pem"),
	    tpath("ca.pem"));
	port_error(opts, "http_port option 'tls-key=': no private key in",
	    "a certificate is no key");
	write_pem("other.key", NULL, testca_ec_key);
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-key=%s", tpath("ca.pem"),
	    tpath("other.key"));
	port_error(opts, "http_port option 'tls-key=': the private key in '",
	    "key of another certificate");
	ok(logged("other.key' does not match the certificate in '%s'",
	    tpath("ca.pem")), "mismatch names both files");
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long n;

		PEM_write_bio_PrivateKey(b, testca_key, EVP_aes_128_cbc(),
		    (unsigned char *)"secret", 6, NULL, NULL);
		n = BIO_get_mem_data(b, &data);
		char *s = strndup(data, (size_t)n);
		write_file("enc.key", s);
		free(s);
		BIO_free(b);
	}
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-key=%s", tpath("ca.pem"),
	    tpath("enc.key"));
	port_error(opts, "http_port option 'tls-key=': the private key in",
	    "encrypted key");
	ok(logged("is encrypted; cuttle cannot ask for its passphrase"),
	    "encrypted key message");

	/* generate-host-certificates signs: the certificate must be a CA */
	leaf_key = EVP_EC_gen("P-256");
	leaf = testca_cert(leaf_key, "leaf.test", testca, testca_key, 30);
	write_pem("leaf.pem", leaf, leaf_key);
	snprintf(opts, sizeof(opts), "tls-cert=%s", tpath("leaf.pem"));
	port_error(opts, "http_port option 'tls-cert=': '", "leaf as CA");
	ok(logged("leaf.pem' is not a CA certificate (basicConstraints "
	    "CA:TRUE)"), "not a CA message");
	snprintf(opts, sizeof(opts), "tls-cert=%s generate-host-certificates=off",
	    tpath("leaf.pem"));
	is_int(load_port(&c, opts), 0, "a leaf without generating is fine");
	cfg_free(&c);
	nosign = mkcert(leaf_key, "No sign CA", "critical,CA:TRUE",
	    "digitalSignature");
	write_pem("nosign.pem", nosign, leaf_key);
	snprintf(opts, sizeof(opts), "tls-cert=%s", tpath("nosign.pem"));
	port_error(opts, "http_port option 'tls-cert=': the CA certificate '",
	    "CA without keyCertSign");
	ok(logged("nosign.pem' may not sign certificates (its keyUsage lacks "
	    "keyCertSign)"), "keyCertSign message");
	X509_free(nosign);
	nosign = mkcert(leaf_key, "Old CA", "critical,CA:TRUE", NULL);
	X509_gmtime_adj(X509_getm_notAfter(nosign), -60);
	X509_sign(nosign, leaf_key, EVP_sha256());
	write_pem("old.pem", nosign, leaf_key);
	snprintf(opts, sizeof(opts), "tls-cert=%s", tpath("old.pem"));
	is_int(load_port(&c, opts), 0, "an expired CA only warns");
	ok(logged("WARNING: %s:2: http_port option 'tls-cert=': the CA "
	    "certificate '%s' has expired", tpath("t.conf"), tpath("old.pem")),
	    "expired CA warning");
	cfg_free(&c);
	X509_free(nosign);

	/* https_port: its own certificate, no CA needed */
	{
		char text[1024];

		snprintf(text, sizeof(text), "https_port 3443 tls-cert=%s\n",
		    tpath("leaf.pem"));
		is_int(load(&c, "h.conf", text, 0), 0, "https_port with a leaf");
		ok(c.ports && c.ports->tls_x509 && c.ports->is_https,
		    "https_port certificate loaded");
		cfg_free(&c);
		snprintf(text, sizeof(text), "https_port 3443 tls-cert=%s "
		    "tls-key=%s\n", tpath("leaf.pem"), tpath("ca.key"));
		is_int(load(&c, "h.conf", text, 0), 1,
		    "https_port key mismatch");
		cfg_free(&c);
	}
	/* a plain port keeps the existence check only */
	{
		char text[1024];

		snprintf(text, sizeof(text), "http_port 3128 tls-cert=%s\n",
		    tpath("ca.key"));
		is_int(load(&c, "h.conf", text, 0), 0, "plain port: not read");
		ok(c.ports && c.ports->tls_x509 == NULL, "nothing loaded");
		cfg_free(&c);
	}
	X509_free(leaf);
}

/* What clients get of the port: its certificate, never its key. */
static void
test_export(void)
{
	struct cfg c;
	struct cfg_port none;
	struct tls_port_cert_info info;
	char opts[1024], *out, want[96];
	unsigned char md[32], *der = NULL;
	unsigned mdlen;
	size_t len;
	int n;

	/* the key in the certificate file, a chain certificate after it */
	X509 *inter = testca_cert(testca_ec_key, "Exported Intermediate",
	    testca, testca_key, 30);
	char *a = testca_pem(testca, testca_key), *b = testca_pem(inter, NULL);
	char *both = malloc(strlen(a) + strlen(b) + 1);
	strcpy(both, a);
	strcat(both, b);
	write_file("export.pem", both);
	free(both);
	free(a);
	free(b);
	X509_free(inter);
	snprintf(opts, sizeof(opts), "tls-cert=%s", tpath("export.pem"));
	is_int(load_port(&c, opts), 0, "key and chain in the certificate file");
	if (c.ports == NULL)
		return;
	out = tls_port_cert_export(c.ports, 1, &len);
	ok(out != NULL && len > 0, "PEM exported");
	if (out != NULL) {
		char *text = strndup(out, len);
		ok(strstr(text, "PRIVATE KEY") == NULL, "PEM: no key");
		ok(strstr(text, "BEGIN CERTIFICATE") != NULL &&
		    strstr(strstr(text, "BEGIN CERTIFICATE") + 1,
		    "BEGIN CERTIFICATE") == NULL, "PEM: one certificate");
		BIO *bio = BIO_new_mem_buf(out, (int)len);
		X509 *back = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		ok(back != NULL && X509_cmp(back, testca) == 0,
		    "PEM: the CA, not the chain");
		X509_free(back);
		BIO_free(bio);
		free(text);
		free(out);
	}
	out = tls_port_cert_export(c.ports, 0, &len);
	n = i2d_X509(testca, &der);
	ok(out != NULL && n > 0 && len == (size_t)n &&
	    memcmp(out, der, len) == 0, "DER: the CA's encoding");
	OPENSSL_free(der);
	free(out);
	is_int(tls_port_cert_info(c.ports, &info), 0, "described");
	is_str(info.subject, "O = Test Org, CN = Test CA", "subject");
	X509_digest(testca, EVP_sha256(), md, &mdlen);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(want + 3 * i, 4, i + 1 < mdlen ? "%02X:" : "%02X",
		    md[i]);
	is_str(info.sha256, want, "SHA-256 as openssl x509 -fingerprint");
	ok(info.not_after[0] != '\0' && strstr(info.not_after, "GMT") != NULL,
	    "notAfter");
	cfg_free(&c);

	memset(&none, 0, sizeof(none));
	ok(tls_port_cert_export(&none, 1, &len) == NULL, "no certificate: "
	    "nothing exported");
	is_int(tls_port_cert_info(&none, &info), -1, "nothing described");
}

static void
test_options(void)
{
	struct cfg c;
	struct cfg_port *p;
	char opts[2048], dh[1024];

	/* DH parameters of a named group: no slow generation in a test */
	{
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
		EVP_PKEY *params = NULL;
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long n;
		OSSL_PARAM prm[2];

		prm[0] = OSSL_PARAM_construct_utf8_string("group",
		    (char *)"ffdhe2048", 0);
		prm[1] = OSSL_PARAM_construct_end();
		EVP_PKEY_paramgen_init(pc);
		EVP_PKEY_CTX_set_params(pc, prm);
		EVP_PKEY_paramgen(pc, &params);
		PEM_write_bio_Parameters(b, params);
		n = BIO_get_mem_data(b, &data);
		snprintf(dh, sizeof(dh), "%.*s", (int)n, data);
		write_file("dh.pem", dh);
		BIO_free(b);
		EVP_PKEY_free(params);
		EVP_PKEY_CTX_free(pc);
	}
	snprintf(opts, sizeof(opts), "tls-cert=%s "
	    "options=NO_TLSv1:NO_TICKET,-NO_TICKET,0x4,SINGLE_DH_USE "
	    "cipher=HIGH:!aNULL sslflags=NO_SESSION_REUSE,DELAYED_AUTH "
	    "tls-min-version=1.3 tls-dh=prime256v1:%s tls-no-npn sslcontext=ctx1 "
	    "dynamic_cert_mem_cache_size=1MB generate-host-certificates=on",
	    tpath("both.pem"), tpath("dh.pem"));
	is_int(load_port(&c, opts), 0, "options load");
	p = c.ports;
	if (p == NULL)
		return;
	ok(p->tls_options == (SSL_OP_NO_TLSv1 | 0x4),
	    "options=: added, removed, hex");
	ok(count_lines("options=") == 0, "a no-op name (SINGLE_DH_USE) is known");
	is_str(p->tls_cipher, "HIGH:!aNULL", "cipher=");
	is_int(p->tls_flags, CFG_TLS_FLAG_NO_SESSION_REUSE |
	    CFG_TLS_FLAG_DELAYED_AUTH, "sslflags=");
	ok(logged("flag 'DELAYED_AUTH' is not supported by cuttle yet; "
	    "ignored"), "client certificate flags warn");
	is_int(p->tls_min_version, TLS1_3_VERSION, "tls-min-version=1.3");
	is_int(p->tls_dh_curve, NID_X9_62_prime256v1, "tls-dh= curve");
	ok(p->tls_dh_params != NULL, "tls-dh= parameters");
	is_str(p->tls_session_context, "ctx1", "sslcontext=");
	is_int(p->dynamic_cert_mem_cache_size, 1 << 20, "1MB cache");
	ok(count_lines("tls-no-npn") == 0, "tls-no-npn is silent");
	{
		char *err = NULL;
		SSL_CTX *ctx = tls_port_ctx_new(p, p->tls_x509, p->tls_pkey,
		    NULL, 0, &err);

		ok(ctx != NULL, "a context from these options");
		if (ctx != NULL) {
			is_int(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION,
			    "context minimum version");
			ok((SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) != 0,
			    "NO_SESSION_REUSE: no tickets");
			ok((SSL_CTX_get_options(ctx) & SSL_OP_NO_TLSv1) != 0,
			    "options= applied");
			SSL_CTX_free(ctx);
		}
		free(err);
	}
	cfg_free(&c);

	snprintf(opts, sizeof(opts), "tls-cert=%s tls-min-version=1.1 "
	    "dhparams=/nonexistent/dh tls-dh=nocurve:", tpath("both.pem"));
	is_int(load_port(&c, opts), 0, "lenient options load");
	ok(logged("tls-min-version=1.1 has no effect"), "TLS below 1.2 warns");
	ok(logged("'dhparams=/nonexistent/dh' is deprecated in http_port. Use "
	    "'tls-dh=' instead."), "dhparams= is Squid's deprecated alias");
	ok(logged("Failed to open '/nonexistent/dh'"), "missing DH file warns");
	ok(logged("Unknown EECDH curve 'nocurve'; ignored"), "bad curve warns");
	ok(c.ports && c.ports->tls_dh_curve == 0 &&
	    c.ports->tls_dh_params == NULL, "neither kept");
	cfg_free(&c);

	snprintf(opts, sizeof(opts), "tls-cert=%s cipher=NOSUCH",
	    tpath("both.pem"));
	port_error(opts, "http_port option 'cipher=NOSUCH': Failed to set SSL "
	    "cipher suite 'NOSUCH'", "cipher matching nothing");
	snprintf(opts, sizeof(opts), "tls-cert=%s sslflags=NO_SESSION_REUSE:X",
	    tpath("both.pem"));
	port_error(opts, "http_port option 'sslflags=NO_SESSION_REUSE:X': "
	    "Unknown TLS flag 'X'", "unknown flag");
	snprintf(opts, sizeof(opts), "tls-cert=%s options=NO_TLSv1,BOGUS",
	    tpath("both.pem"));
	port_error(opts, "http_port option 'options=NO_TLSv1,BOGUS': Unknown "
	    "TLS option 'BOGUS'", "unknown options= name, as tls_outgoing_options");
	snprintf(opts, sizeof(opts), "tls-cert=%s options=NO_TLSv1;1",
	    tpath("both.pem"));
	port_error(opts, "http_port option 'options=NO_TLSv1;1': Unknown TLS "
	    "option ';1'", "bad options= syntax");
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-min-version=2",
	    tpath("both.pem"));
	port_error(opts, "http_port option 'tls-min-version=2': Unknown TLS "
	    "minimum version: 2", "bad min version");
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-options=NO_TICKET "
	    "tls-cipher=HIGH tls-flags=NO_SESSION_REUSE", tpath("both.pem"));
	is_int(load_port(&c, opts), 0, "tls- spellings");
	ok(c.ports && c.ports->tls_options == SSL_OP_NO_TICKET &&
	    c.ports->tls_cipher != NULL && c.ports->tls_flags ==
	    CFG_TLS_FLAG_NO_SESSION_REUSE, "tls- spellings stored");
	cfg_free(&c);
	snprintf(opts, sizeof(opts), "tls-cert=%s tls-cafile=/x clientca=/y",
	    tpath("both.pem"));
	is_int(load_port(&c, opts), 0, "client CA options load");
	ok(logged("http_port option 'tls-cafile=/x' is not supported by cuttle "
	    "yet; ignored"), "tls-cafile= warns");
	ok(logged("http_port option 'clientca=/y' is not supported"),
	    "clientca= warns");
	cfg_free(&c);
}

static void
test_directives(void)
{
	struct cfg c;
	struct cfg_cert_rule *r;
	char text[2048];

	snprintf(text, sizeof(text), "pid_filename none\n");
	is_int(load(&c, "d.conf", text, 0), 0, "defaults");
	ok(c.sslcrtd_program == NULL, "no sslcrtd_program: minted in-process");
	is_int(c.sslcrtd_children.n_max, 32, "sslcrtd_children 32");
	is_int(c.sslcrtd_children.n_startup, 5, "startup=5");
	is_int(c.sslcrtd_children.n_idle, 1, "idle=1");
	is_int(c.sslcrtd_children.concurrency, 0, "no concurrency");
	ok(c.sslproxy_cert_sign == NULL && c.sslproxy_cert_adapt == NULL,
	    "no sign or adapt rules");
	is_str(c.sslproxy_cert_sign_hash, "sha256", "sign hash sha256");
	cfg_free(&c);

	is_int(load(&c, "d.conf",
	    "acl step1 at_step SslBump1\n"
	    "acl site dstdomain .example.test\n"
	    "sslcrtd_program /usr/lib/squid/security_file_certgen -s /x -M 4MB\n"
	    "sslcrtd_children 8 startup=2 idle=2 queue-size=20 concurrency=4\n"
	    "sslproxy_cert_sign signSelf site !step1\n"
	    "sslproxy_cert_sign signUntrusted ssl::certUntrusted\n"
	    "sslproxy_cert_sign signTrusted\n"
	    "sslproxy_cert_adapt setCommonName{forced.test} site\n"
	    "sslproxy_cert_adapt setCommonName all\n"
	    "sslproxy_cert_adapt setValidAfter{ignored} all\n"
	    "sslproxy_cert_adapt setValidBefore all\n"
	    "sslproxy_cert_sign_hash sha384\n", 0), 0, "directives load");
	ok(c.sslcrtd_program && strcmp(c.sslcrtd_program[0],
	    "/usr/lib/squid/security_file_certgen") == 0 &&
	    strcmp(c.sslcrtd_program[4], "4MB") == 0 &&
	    c.sslcrtd_program[5] == NULL, "sslcrtd_program argv");
	is_int(c.sslcrtd_children.n_max, 8, "children 8");
	is_int(c.sslcrtd_children.n_startup, 2, "startup=2");
	is_int(c.sslcrtd_children.queue_size, 20, "queue-size=20");
	is_int(c.sslcrtd_children.concurrency, 0, "concurrency= dropped");
	ok(logged("WARNING: %s:4: sslcrtd_children: concurrency=4 is ignored",
	    tpath("d.conf")), "concurrency= warns");
	r = c.sslproxy_cert_sign;
	ok(r && r->alg == TLS_MINT_SIGN_SELF && r->nrefs == 2 &&
	    r->refs[1].negate && r->line == 5, "signSelf site !step1");
	r = r ? r->next : NULL;
	ok(r && r->alg == TLS_MINT_SIGN_UNTRUSTED && r->nrefs == 1,
	    "signUntrusted with the built-in ACL");
	r = r ? r->next : NULL;
	ok(r && r->alg == TLS_MINT_SIGN_TRUSTED && r->nrefs == 0 &&
	    r->next == NULL, "signTrusted without ACL kept");
	ok(logged("WARNING: %s:7: sslproxy_cert_sign signTrusted has no ACL: "
	    "it never matches, as in Squid", tpath("d.conf")),
	    "ACL-less rule warns");
	r = c.sslproxy_cert_adapt;
	ok(r && r->alg == CFG_CERT_SET_COMMON_NAME && r->param &&
	    strcmp(r->param, "forced.test") == 0, "setCommonName{CN}");
	r = r ? r->next : NULL;
	ok(r && r->alg == CFG_CERT_SET_COMMON_NAME && r->param == NULL,
	    "setCommonName without CN");
	r = r ? r->next : NULL;
	ok(r && r->alg == CFG_CERT_SET_VALID_AFTER && r->param == NULL,
	    "setValidAfter ignores its {value}");
	r = r ? r->next : NULL;
	ok(r && r->alg == CFG_CERT_SET_VALID_BEFORE && r->next == NULL,
	    "setValidBefore");
	is_str(c.sslproxy_cert_sign_hash, "sha384", "sign hash sha384");
	cfg_free(&c);

	is_int(load_free("sslproxy_cert_sign signFoo all\n"), 1, "bad sign");
	ok(logged("sslproxy_cert_sign: unknown cert signing algorithm: "
	    "signFoo"), "Squid's message");
	is_int(load_free("sslproxy_cert_sign signSelf nosuchacl\n"), 1,
	    "unknown ACL");
	ok(logged("ACL not found: nosuchacl"), "unknown ACL message");
	is_int(load_free("sslproxy_cert_adapt setFoo all\n"), 1, "bad adapt");
	ok(logged("sslproxy_cert_adapt: unknown cert adaptation algorithm: "
	    "setFoo"), "Squid's adapt message");
	is_int(load_free("sslproxy_cert_adapt setCommonName{x all\n"), 1,
	    "unclosed brace");
	is_int(load_free("sslproxy_cert_adapt setCommonName{"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa} "
	    "all\n"), 1, "CN over 64");
	ok(logged("using common name longer than 64 bytes is not supported"),
	    "long CN message");
	is_int(load_free("sslproxy_cert_sign_hash md17\n"), 1, "bad hash");
	ok(logged("Sign hash 'md17' is not supported"), "hash message");
	is_int(load_free("sslcrtd_children 0\n"), 1, "no children");
	is_int(load_free("sslcrtd_program\n"), 1, "program needs a value");
}

/* -N reloads as cache_effective_user: the running key stands in. */
static void
reload_child(int expect_reuse)
{
	struct cfg old, fresh;
	int n;

	n = load_path(&old, tpath("r.conf"), 0);
	if (n != 0) {
		printf("# first load: %d errors\n%s", n, logtext);
		_exit(2);
	}
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		if (pw == NULL || setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1)
			_exit(3);
	} else
		chmod(tpath("r.key"), 0);
	/* the path the worker takes: cfg_reload with the running config */
	int fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	log_set_fd(fd);
	n = cfg_reload(&fresh, tpath("r.conf"), &old);
	log_set_fd(2);
	close(fd);
	if (expect_reuse) {
		if (n != 0 || fresh.ports == NULL || fresh.ports->tls_pkey !=
		    old.ports->tls_pkey)
			_exit(4);
	} else if (n != 1)
		_exit(5);
	if (geteuid() != 0)
		chmod(tpath("r.key"), 0600);
	cfg_free(&fresh);
	cfg_free(&old);
	_exit(0);
}

static void
test_reload(void)
{
	char text[1024];
	int status;
	pid_t pid;

	/* the files stay stat()able by nobody, the key does not stay readable */
	chmod(tdir, 0711);
	write_pem("r.pem", testca, NULL);
	write_pem("r.key", NULL, testca_key);
	chmod(tpath("r.pem"), 0644);
	chmod(tpath("r.key"), 0600);
	snprintf(text, sizeof(text), "pid_filename none\nhttp_port 3128 "
	    "ssl-bump tls-cert=%s tls-key=%s\n", tpath("r.pem"), tpath("r.key"));
	write_file("r.conf", text);
	chmod(tpath("r.conf"), 0644);
	chmod(logpath, 0666);
	fflush(stdout);
	if ((pid = fork()) == 0)
		reload_child(1);
	waitpid(pid, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	    "unreadable but unchanged key: taken from the running config");

	/* a changed key file cannot be reused */
	write_pem("r.key", NULL, testca_key);
	chmod(tpath("r.key"), 0600);
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 12345, 0 } };
	fflush(stdout);
	if ((pid = fork()) == 0) {
		/* the first load in the child reads the file as it is; then
		 * it changes under the reload */
		struct cfg old, fresh;
		int n, fd;

		if (load_path(&old, tpath("r.conf"), 0) != 0)
			_exit(2);
		utimensat(AT_FDCWD, tpath("r.key"), ts, 0);
		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");
			if (pw == NULL || setgid(pw->pw_gid) == -1 ||
			    setuid(pw->pw_uid) == -1)
				_exit(3);
		} else
			chmod(tpath("r.key"), 0);
		fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
		log_set_fd(fd);
		n = cfg_reload(&fresh, tpath("r.conf"), &old);
		log_set_fd(2);
		close(fd);
		cfg_free(&fresh);
		cfg_free(&old);
		_exit(n == 1 ? 0 : 4);
	}
	waitpid(pid, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	    "a changed unreadable key is an error");
	{
		int fd = open(logpath, O_RDONLY);
		ssize_t len = fd >= 0 ? read(fd, logtext, sizeof(logtext) - 1)
		    : -1;
		logtext[len > 0 ? len : 0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	ok(logged("restart cuttle to load a changed key"),
	    "the message says to restart");
	chmod(tpath("r.key"), 0600);
	chmod(tdir, 0700);
}

int
main(void)
{
	if (t_conf_setup("t_conf_certs") == -1)
		return 1;
	testca_init();
	test_files();
	test_export();
	test_options();
	test_directives();
	test_reload();
	EVP_PKEY_free(leaf_key);
	X509_free(testca);
	X509_free(testca_origin);
	EVP_PKEY_free(testca_key);
	EVP_PKEY_free(testca_ec_key);
	t_conf_cleanup();
	return tap_done();
}
