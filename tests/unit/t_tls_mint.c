/*
 * Unit tests for tls_mint.c: the CN rules, the serial rule, and minted
 * certificates (key reuse, fields, determinism, mimicked and dropped
 * extensions, a leaf key of the caller's with keyUsage fitted to it).  Byte equality with Squid's helper is checked by the
 * integration tests, which can run it.
 */
#include "config.h"
#include "tls_mint.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "tap.h"
#include "testca.h"

static const char *
cn_of(const char *host)
{
	static char buf[256];
	char *cn = tls_mint_cn(host);

	snprintf(buf, sizeof(buf), "%s", cn ? cn : "(none)");
	free(cn);
	return buf;
}

static void
test_cn(void)
{
	char host[200];

	is_str(cn_of("host.dom"), "host.dom", "short host kept");
	is_str(cn_of("[::1]"), "::1", "IPv6 brackets stripped");
	is_str(cn_of("[]"), "[]", "two characters are not an address");
	memset(host, 'a', 50);
	strcpy(host + 50, ".very-long-subdomain-label-here.example.com");
	is_str(cn_of(host), "*.very-long-subdomain-label-here.example.com",
	    "long CN: * and the longest suffix that fits");
	memset(host, 'a', 70);
	host[70] = '\0';
	is_str(cn_of(host), "(none)", "long CN without dots: no CN");
	memset(host, 'x', 65);
	strcpy(host + 65, ".com");
	is_str(cn_of(host), "(none)", "long CN: a bare TLD is not enough");
	memset(host, 'b', 64);
	host[64] = '\0';
	is_str(cn_of(host), host, "64 characters fit");
}

static void
test_serial(void)
{
	unsigned char md[20];
	BIGNUM *bn;
	char *hex;

	memset(md, 0, sizeof(md));
	bn = tls_mint_serial_from_sha1(md);
	ok(BN_is_one(bn), "a zero digest gives serial 1");
	BN_free(bn);
	memset(md, 0xff, sizeof(md));
	bn = tls_mint_serial_from_sha1(md);
	hex = BN_bn2hex(bn);
	is_str(hex, "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "bit 159 cleared");
	OPENSSL_free(hex);
	BN_free(bn);
}

static char *
ext_text(X509 *c, int nid)
{
	X509_EXTENSION *ext = X509_get_ext(c, X509_get_ext_by_NID(c, nid, -1));
	BIO *b;
	char *p, *s;
	long n;

	if (ext == NULL)
		return strdup("(absent)");
	b = BIO_new(BIO_s_mem());
	X509V3_EXT_print(b, ext, 0, 0);
	n = BIO_get_mem_data(b, &p);
	s = strndup(p, n);
	BIO_free(b);
	return s;
}

static int
same_der(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509(a, &da), lb = i2d_X509(b, &db);
	int same = la == lb && memcmp(da, db, la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

static void
check_ext(X509 *c, int nid, const char *want, const char *what)
{
	char *s = ext_text(c, nid);

	is_str(s, want, "%s", what);
	free(s);
}

static void
test_no_mimic(void)
{
	struct tls_mint_req req = {
		.ca_cert = testca, .ca_key = testca_key, .cn = "host.dom",
	};
	EVP_PKEY *key, *key2;
	X509 *c, *c2;
	char buf[256];

	c = tls_mint(&req, &key);
	ok(c != NULL, "minted without a mimic cert");
	ok(key == testca_key, "the CA key pair is reused");
	ok(X509_verify(c, testca_key) == 1, "signed by the CA");
	ok(EVP_PKEY_eq(X509_get0_pubkey(c), testca_key) == 1, "CA public key");
	X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof(buf));
	is_str(buf, "/CN=host.dom", "subject is just the CN");
	ok(X509_NAME_cmp(X509_get_issuer_name(c),
	    X509_get_subject_name(testca)) == 0, "issuer is the CA");
	ok(ASN1_TIME_compare(X509_get0_notBefore(c),
	    X509_get0_notBefore(testca)) == 0 &&
	    ASN1_TIME_compare(X509_get0_notAfter(c),
	    X509_get0_notAfter(testca)) == 0, "the CA's validity");
	is_int(X509_get_version(c), 2, "v3");
	check_ext(c, NID_subject_alt_name, "DNS:host.dom", "SAN from the CN");
	check_ext(c, NID_key_usage, "(absent)", "no keyUsage");
	is_int(X509_get_signature_nid(c), NID_sha256WithRSAEncryption,
	    "SHA256 by default");

	c2 = tls_mint(&req, &key2);
	ok(same_der(c, c2), "the same inputs give the same certificate");
	X509_free(c2);
	EVP_PKEY_free(key2);
	X509_free(c);
	EVP_PKEY_free(key);

	req.cn = "[::1]";
	req.md = EVP_sha384();
	c = tls_mint(&req, &key);
	X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof(buf));
	is_str(buf, "/CN=::1", "IPv6 CN without brackets");
	check_ext(c, NID_subject_alt_name, "DNS:::1", "an IP literal as DNS SAN");
	is_int(X509_get_signature_nid(c), NID_sha384WithRSAEncryption,
	    "SignHash=SHA384");
	X509_free(c);
	EVP_PKEY_free(key);

	req.cn = "this-label-is-long-enough-to-exceed-the-limit-of-sixty-four-chars";
	req.md = NULL;
	c = tls_mint(&req, &key);
	X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof(buf));
	is_str(buf, "", "no acceptable CN: none at all");
	is_int(X509_get_version(c), 0, "and without extensions a v1 certificate");
	X509_free(c);
	EVP_PKEY_free(key);
}

static void
test_mimic(void)
{
	struct tls_mint_req req = {
		.ca_cert = testca, .ca_key = testca_key, .cn = "ignored",
		.mimic = testca_origin,
	};
	EVP_PKEY *key;
	X509 *c;
	char buf[256];

	c = tls_mint(&req, &key);
	X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof(buf));
	is_str(buf, "/O=Test Org/CN=www.example.test", "origin subject");
	ok(ASN1_TIME_compare(X509_get0_notAfter(c),
	    X509_get0_notAfter(testca_origin)) == 0, "origin validity");
	check_ext(c, NID_subject_alt_name, "DNS:www.example.test",
	    "SAN copied");
	check_ext(c, NID_key_usage, "Digital Signature, Key Encipherment",
	    "keyEncipherment forced for an EC origin");
	ok(X509_get_ext_by_critical(c, 1, -1) >= 0, "criticality kept");
	check_ext(c, NID_ext_key_usage, "TLS Web Server Authentication",
	    "EKU copied");
	check_ext(c, NID_subject_key_identifier, "(absent)", "SKI dropped");
	check_ext(c, NID_info_access, "(absent)", "AIA dropped");
	{
		char *ca_ski = ext_text(testca, NID_subject_key_identifier);
		char *aki = ext_text(c, NID_authority_key_identifier);

		ok(strstr(aki, ca_ski) != NULL, "AKI points at the CA's SKI");
		free(ca_ski);
		free(aki);
	}
	X509_free(c);
	EVP_PKEY_free(key);

	req.cn = "forced.example";
	req.set_common_name = 1;
	req.set_valid_after = 1;
	req.sign = TLS_MINT_SIGN_SELF;
	c = tls_mint(&req, &key);
	X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof(buf));
	is_str(buf, "/O=Test Org/CN=forced.example", "setCommonName");
	check_ext(c, NID_subject_alt_name, "DNS:forced.example",
	    "setCommonName: SAN from the CN instead of the origin's");
	ok(ASN1_TIME_compare(X509_get0_notAfter(c),
	    X509_get0_notAfter(testca)) == 0, "setValidAfter: CA notAfter");
	ok(X509_NAME_cmp(X509_get_issuer_name(c),
	    X509_get_subject_name(c)) == 0, "signSelf: issuer is the subject");
	X509_free(c);
	EVP_PKEY_free(key);
}

/*
 * ssl_bump_cert_key ecdsa: the certificate carries the caller's key, the
 * CA still signs, and a copied keyUsage fits an ECDSA key (signs, never
 * encrypts) where Squid's RSA-minded rule would add keyEncipherment.
 */
static void
test_leaf_key(void)
{
	EVP_PKEY *leaf = tls_mint_new_ec(), *key, *key2;
	EVP_PKEY *rsa_key = EVP_RSA_gen(2048);
	struct tls_mint_req req = {
		.ca_cert = testca, .ca_key = testca_key, .cn = "host.dom",
		.leaf_key = leaf,
	};
	X509 *c, *c2, *rsa_origin;

	ok(leaf != NULL && EVP_PKEY_is_a(leaf, "EC") == 1, "a P-256 key");
	c = tls_mint(&req, &key);
	ok(c != NULL && key == leaf, "the leaf key is the certificate's");
	ok(EVP_PKEY_eq(X509_get0_pubkey(c), leaf) == 1, "its public key");
	ok(X509_verify(c, testca_key) == 1, "signed by the CA");
	is_int(X509_get_signature_nid(c), NID_sha256WithRSAEncryption,
	    "with the CA's RSA key");
	c2 = tls_mint(&req, &key2);
	ok(same_der(c, c2), "the same inputs give the same certificate");
	X509_free(c2);
	EVP_PKEY_free(key2);
	req.leaf_key = NULL;
	c2 = tls_mint(&req, &key2);
	ok(ASN1_INTEGER_cmp(X509_get0_serialNumber(c),
	    X509_get0_serialNumber(c2)) != 0,
	    "another key, another serial: no issuer and serial twice");
	X509_free(c2);
	EVP_PKEY_free(key2);
	X509_free(c);
	EVP_PKEY_free(key);

	req.leaf_key = leaf;
	req.mimic = testca_origin;
	c = tls_mint(&req, &key);
	check_ext(c, NID_key_usage, "Digital Signature",
	    "an EC origin's keyUsage kept for an EC key");
	X509_free(c);
	EVP_PKEY_free(key);

	rsa_origin = testca_cert(rsa_key, "rsa.example.test", testca,
	    testca_key, 30);
	X509_EXTENSION_free(X509_delete_ext(rsa_origin,
	    X509_get_ext_by_NID(rsa_origin, NID_key_usage, -1)));
	testca_ext(rsa_origin, testca, NID_key_usage,
	    "critical,keyEncipherment");
	req.mimic = rsa_origin;
	c = tls_mint(&req, &key);
	check_ext(c, NID_key_usage, "Digital Signature",
	    "an RSA origin's keyEncipherment becomes digitalSignature");
	ok(X509_get_ext_by_critical(c, 1, -1) >= 0, "criticality kept");
	X509_free(c);
	EVP_PKEY_free(key);
	req.leaf_key = NULL;
	c = tls_mint(&req, &key);
	check_ext(c, NID_key_usage, "Key Encipherment",
	    "with the CA's key, copied as Squid copies it");
	X509_free(c);
	EVP_PKEY_free(key);
	X509_free(rsa_origin);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(leaf);
}

/* Reading the signing PEM: the key memo reuses only the same key text. */
static void
test_read_signing(void)
{
	struct tls_key_memo memo = { 0 };
	char *pem = testca_pem(testca, testca_key), *pem2, *both;
	EVP_PKEY *k1, *k2, *k3;
	X509 *c, *m;
	size_t n;

	is_int(tls_mint_read_signing(pem, &memo, &c, &k1, &m), 0, "CA PEM read");
	ok(EVP_PKEY_eq(k1, testca_key) == 1 && m == NULL, "its key, no mimic");
	X509_free(c);
	is_int(tls_mint_read_signing(pem, &memo, &c, &k2, &m), 0, "read again");
	ok(k2 == k1, "the same key text: the memo's key, not a new decode");
	X509_free(c);
	EVP_PKEY_free(k2);
	pem2 = testca_pem(testca_origin, testca_ec_key);
	n = strlen(pem) + strlen(pem2) + 1;
	both = malloc(n + strlen(pem));
	snprintf(both, n, "%s%s", pem2, pem);
	is_int(tls_mint_read_signing(both, &memo, &c, &k3, &m), 0,
	    "another key, and a mimic after it");
	ok(k3 != k1 && EVP_PKEY_eq(k3, testca_ec_key) == 1, "the other key");
	ok(m != NULL && X509_cmp(m, testca) == 0, "the second certificate");
	ok(memo.key == k3, "the memo holds the last key read");
	X509_free(c);
	X509_free(m);
	pem[strlen(pem) - 40] ^= 1;	/* inside the key's base64 */
	if (tls_mint_read_signing(pem, &memo, &c, &k2, &m) == 0) {
		ok(k2 != k1 && k2 != k3, "a changed key text is decoded anew");
		X509_free(c);
		EVP_PKEY_free(k2);
	} else
		ok(1, "a changed key text is decoded anew (and refused)");
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k3);
	tls_key_memo_clear(&memo);
	ok(memo.key == NULL && memo.pem == NULL, "memo cleared");
	free(pem);
	free(pem2);
	free(both);
}

int
main(void)
{
	testca_init();
	test_cn();
	test_serial();
	is_str(tls_mint_sign_name(TLS_MINT_SIGN_UNTRUSTED), "signUntrusted",
	    "sign names");
	is_int(tls_mint_sign_parse("signSelf"), TLS_MINT_SIGN_SELF, "parse");
	is_int(tls_mint_sign_parse("signself"), -1, "case matters");
	test_no_mimic();
	test_mimic();
	test_leaf_key();
	test_read_signing();
	return tap_done();
}
