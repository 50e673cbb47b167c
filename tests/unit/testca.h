/*
 * A throwaway CA and origin certificates for the TLS unit tests, made with
 * OpenSSL in memory so the tests need no files and no openssl(1).
 */
#ifndef CUTTLE_TESTCA_H
#define CUTTLE_TESTCA_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static void
testca_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by (issuer, ikey) or self-signed. */
static X509 *
testca_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    long days)
{
	X509 *c = X509_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), issuer ? 7 : 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "O", MBSTRING_ASC,
	    (const unsigned char *)"Test Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer ? issuer : c));
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), days * 86400);
	X509_set_pubkey(c, key);
	testca_ext(c, issuer, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		testca_ext(c, NULL, NID_basic_constraints, "critical,CA:TRUE");
	} else {
		testca_ext(c, issuer, NID_subject_alt_name, "DNS:www.example.test");
		testca_ext(c, issuer, NID_key_usage, "critical,digitalSignature");
		testca_ext(c, issuer, NID_ext_key_usage, "serverAuth");
		testca_ext(c, issuer, NID_authority_key_identifier, "keyid");
		testca_ext(c, issuer, NID_info_access, "OCSP;URI:http://ocsp.test");
	}
	X509_sign(c, issuer ? ikey : key, EVP_sha256());
	return c;
}

static EVP_PKEY *testca_key, *testca_ec_key;
static X509 *testca, *testca_origin;

/* The CA (RSA) and an EC origin certificate it signed. */
static void
testca_init(void)
{
	testca_key = EVP_RSA_gen(2048);
	testca = testca_cert(testca_key, "Test CA", NULL, NULL, 3650);
	testca_ec_key = EVP_EC_gen("P-256");
	testca_origin = testca_cert(testca_ec_key, "www.example.test", testca,
	    testca_key, 30);
}

/* PEM of a certificate (and key if given), malloc'd. */
static __attribute__((unused)) char *
testca_pem(X509 *cert, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long n;

	if (cert)
		PEM_write_bio_X509(b, cert);
	if (key)
		PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	s = malloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

#endif
