/*
 * Unit tests for the TLS-to-origin part of the config: tls_outgoing_options
 * (its words as Squid 5.7 reads them, the default min-version=1.0, lines
 * adding up, what warns and what is an error with file:line) and
 * sslproxy_cert_error with ssl_error ACLs.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#include "acl.h"
#include "cfg.h"
#include "tap.h"
#include "t_conf.h"

static void
t_defaults(void)
{
	struct cfg c;

	is_int(load(&c, "d.conf", "http_port 3128\n", 0), 0, "empty loads");
	is_int(c.tls_outgoing.min_version, 0, "default min-version=1.0");
	is_int(c.tls_outgoing.default_ca, 1, "default-ca on by default");
	is_int(c.tls_outgoing.disabled, 0, "not disabled");
	ok(c.tls_outgoing.cafiles == NULL && c.tls_outgoing.flags == 0 &&
	    c.tls_outgoing.options == 0, "nothing else");
	ok(c.sslproxy_cert_error.head == NULL, "no sslproxy_cert_error rules");
	cfg_free(&c);
}

static void
t_words(void)
{
	struct cfg c;

	write_file("client.pem", "not checked until a worker loads it\n");
	write_file("crl.pem", "not checked until a worker loads it\n");
	char words[1024];
	snprintf(words, sizeof(words),
	    "tls_outgoing_options cafile=/etc/a.pem capath=/etc/certs\n"
	    "tls_outgoing_options cafile=/etc/b.pem min-version=1.2 "
	    "options=NO_SSLv3,NO_TICKET:-NO_TICKET:0x4 cipher=HIGH:!aNULL\n"
	    "tls_outgoing_options flags=DONT_VERIFY_DOMAIN default-ca=off\n"
	    "tls_outgoing_options domain=example.com crlfile=CRLFILE\n"
	    "tls_outgoing_options no-npn\n");
	char *at = strstr(words, "CRLFILE");
	char rest[512];
	snprintf(rest, sizeof(rest), "%s", at + 7);
	snprintf(at, sizeof(words) - (size_t)(at - words), "%s%s",
	    tpath("crl.pem"), rest);
	is_int(load(&c, "w.conf", words, 0), 0, "words load");
	const struct cfg_tls_outgoing *t = &c.tls_outgoing;
	ok(t->cafiles != NULL && strcmp(t->cafiles->s, "/etc/a.pem") == 0 &&
	    t->cafiles->next != NULL &&
	    strcmp(t->cafiles->next->s, "/etc/b.pem") == 0 &&
	    t->cafiles->next->next == NULL, "cafile= adds up across lines");
	is_str(t->capath, "/etc/certs", "capath=");
	is_int(t->min_version, 2, "min-version=1.2");
	ok(t->options == (SSL_OP_NO_SSLv3 | 0x4), "options: names, removal, hex");
	is_str(t->cipher, "HIGH:!aNULL", "cipher=");
	is_int(t->flags, CFG_TLS_DONT_VERIFY_DOMAIN, "flags=");
	is_int(t->default_ca, 0, "default-ca=off");
	ok(logged("%s:4: tls_outgoing_options: domain= names a cache_peer's",
	    tpath("w.conf")), "domain= warns with file:line");
	is_str(t->crlfile, tpath("crl.pem"), "crlfile= kept");
	is_str(t->domain, NULL, "domain= dropped");
	ok(strstr(t->text, "min-version=1.0 cafile=/etc/a.pem") == t->text,
	    "text keeps every word, the default first");
	cfg_free(&c);

	is_int(load(&c, "c.conf", "tls_outgoing_options cert=" "CLIENT\n", 0),
	    1, "missing cert= file");
	ok(logged("unable to load certificate file 'CLIENT'"), "says which");
	cfg_free(&c);
	char line[512];
	snprintf(line, sizeof(line), "tls_outgoing_options cert=%s\n",
	    tpath("client.pem"));
	is_int(load(&c, "c2.conf", line, 0), 0, "cert= file there");
	is_str(c.tls_outgoing.key, tpath("client.pem"),
	    "key= defaults to the cert= file");
	cfg_free(&c);

	is_int(load(&c, "dis.conf", "tls_outgoing_options cafile=/a.pem\n"
	    "tls_outgoing_options disable\n", 0), 0, "disable loads");
	ok(c.tls_outgoing.disabled && c.tls_outgoing.cafiles == NULL,
	    "disable starts over");
	cfg_free(&c);
	is_int(load(&c, "dis2.conf", "tls_outgoing_options disable\n"
	    "tls_outgoing_options cafile=/a.pem\n", 0), 0, "then more");
	ok(!c.tls_outgoing.disabled && c.tls_outgoing.cafiles != NULL,
	    "a later word turns it on again");
	cfg_free(&c);
}

static void
t_errors(void)
{
	is_int(load_free("tls_outgoing_options options=NO_SSLv3:NO_SUCH\n"), 1,
	    "unknown options= name");
	ok(logged("%s:1: tls_outgoing_options: Unknown TLS option 'NO_SUCH'",
	    tpath("t.conf")), "names the word with file:line");
	is_int(load_free("tls_outgoing_options flags=DONT_VERIFY_PEER,BOGUS\n"), 1,
	    "unknown flag");
	ok(logged("Unknown TLS flag 'BOGUS'"), "names the flag");
	is_int(load_free("tls_outgoing_options min-version=1.4\n"), 1,
	    "min-version=1.4");
	ok(logged("Unknown TLS minimum version: 1.4"), "names the version");
	is_int(load_free("tls_outgoing_options key=/k.pem\n"), 1,
	    "key= before cert=");
	ok(logged("cert= option must be set before key= is used."),
	    "Squid's message");
	is_int(load_free("tls_outgoing_options cipher=NOSUCHCIPHER\n"), 1,
	    "a cipher list that selects nothing");
	ok(logged("Failed to set SSL cipher suite 'NOSUCHCIPHER'"), "names it");
	is_int(load_free("tls_outgoing_options nosuchword\n"), 1,
	    "an unknown word");
	ok(logged("Unknown TLS option 'nosuchword'"), "names it");
	is_int(load_free("tls_outgoing_options default-ca=on default-ca=off\n"),
	    1, "conflicting default-ca");
	ok(logged("previous default-ca settings conflict with default-ca=off"),
	    "Squid's message");
	is_int(load_free("tls_outgoing_options flags=NO_DEFAULT_CA\n"), 0,
	    "NO_DEFAULT_CA loads");
	ok(logged("flags=NO_DEFAULT_CA is deprecated"), "and warns");
	is_int(load_free("tls_outgoing_options flags=VERIFY_CRL\n"), 0,
	    "VERIFY_CRL loads");
	ok(strstr(logtext, "VERIFY_CRL") == NULL, "and is taken");
}

static void
t_cert_error(void)
{
	struct cfg c;
	struct acl_checklist cl;
	int err = X509_V_ERR_CERT_HAS_EXPIRED, action = -1;

	is_int(load(&c, "ce.conf",
	    "acl expired ssl_error X509_V_ERR_CERT_HAS_EXPIRED\n"
	    "sslproxy_cert_error allow expired\n"
	    "sslproxy_cert_error allow ssl::certSelfSigned\n"
	    "sslproxy_cert_error deny all\n", 0), 0, "sslproxy_cert_error loads");
	struct sockaddr_in src;

	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000001);
	memset(&cl, 0, sizeof(cl));
	cl.src = (struct sockaddr *)&src;
	cl.ssl_errors = &err;
	cl.nssl_errors = 1;
	ok(access_check(&c.sslproxy_cert_error, &cl, ACCESS_DENY, &action,
	    NULL) == ACL_MATCH && action == ACCESS_ALLOW, "expired allowed");
	err = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
	ok(access_check(&c.sslproxy_cert_error, &cl, ACCESS_DENY, &action,
	    NULL) == ACL_MATCH && action == ACCESS_ALLOW, "self-signed allowed");
	err = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	ok(access_check(&c.sslproxy_cert_error, &cl, ACCESS_DENY, &action,
	    NULL) == ACL_MATCH && action == ACCESS_DENY, "untrusted denied");
	cfg_free(&c);
	is_int(load_free("acl e ssl_error X509_V_ERR_NOPE\n"), 1,
	    "unknown ssl_error name");
	ok(logged("Unknown TLS error name 'X509_V_ERR_NOPE'"), "names it");
	is_int(load_free("sslproxy_cert_error allow nosuchacl\n"), 1,
	    "an unknown ACL");
}

int
main(void)
{
	if (t_conf_setup("t_cfg_tls") == -1)
		return 1;
	t_defaults();
	t_words();
	t_errors();
	t_cert_error();
	t_conf_cleanup();
	return tap_done();
}
