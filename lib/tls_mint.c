/*
 * tls_mint: builds and signs the certificate for a bumped connection the
 * way Squid 5.7 does (src/ssl/gadgets.cc), down to the order of OpenSSL
 * calls, because the serial is the SHA-1 of a first signed draft: any
 * difference in what goes into the draft changes every byte of the result.
 * Mimicking copies only the extensions Squid copies, so a certificate we
 * mint is interchangeable with one from Squid's helper in a shared ssl_db.
 */
#include "config.h"
#include "tls_mint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define TLS_MINT_MAX_CN	64	/* RFC 5280 ub-common-name */
#define TLS_MINT_KU_DIGITAL_SIGNATURE 0	/* bit numbers in keyUsage */
#define TLS_MINT_KU_KEY_ENCIPHERMENT 2

static const char *tls_mint_sign_names[] = {
	"signTrusted", "signUntrusted", "signSelf", NULL
};

const char *
tls_mint_sign_name(enum tls_mint_sign sign)
{
	return tls_mint_sign_names[sign];
}

int
tls_mint_sign_parse(const char *name)
{
	int i;

	for (i = 0; tls_mint_sign_names[i] != NULL; i++)
		if (strcmp(name, tls_mint_sign_names[i]) == 0)
			return i;
	return -1;
}

char *
tls_mint_cn(const char *host)
{
	size_t len = strlen(host), pos = 0;
	const char *dot;
	char *cn;

	if (len > TLS_MINT_MAX_CN) {
		/* Squid's search starts at offset 1 and wants "*" + suffix to fit. */
		for (;;) {
			dot = len > pos + 1 ? strchr(host + pos + 1, '.') : NULL;
			if (dot == NULL)
				return NULL;
			pos = dot - host;
			if (len - pos + 2 <= TLS_MINT_MAX_CN)
				break;
		}
		if (strchr(host + pos + 1, '.') == NULL)
			return NULL;	/* only a TLD is left */
		if ((cn = malloc(len - pos + 2)) == NULL)
			return NULL;
		cn[0] = '*';
		memcpy(cn + 1, host + pos, len - pos + 1);
	} else if ((cn = strdup(host)) == NULL)
		return NULL;
	len = strlen(cn);
	if (len > 2 && cn[0] == '[' && cn[len - 1] == ']') {
		memmove(cn, cn + 1, len - 2);
		cn[len - 2] = '\0';
	}
	return cn;
}

BIGNUM *
tls_mint_serial_from_sha1(const unsigned char md[20])
{
	BIGNUM *bn = BN_bin2bn(md, 20, NULL);

	if (bn == NULL)
		return NULL;
	if (BN_is_zero(bn))
		BN_one(bn);
	/* A serial is a signed INTEGER of at most 20 octets: keep it positive. */
	if (BN_is_bit_set(bn, 159))
		BN_clear_bit(bn, 159);
	return bn;
}

/* Replace the subject CN; failure leaves the certificate without one. */
static void
tls_mint_set_cn(X509 *cert, const char *host)
{
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_ENTRY *old;
	char *cn = tls_mint_cn(host);
	int loc;

	if (cn == NULL || name == NULL) {
		free(cn);
		return;
	}
	if ((loc = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) >= 0) {
		old = X509_NAME_delete_entry(name, loc);
		X509_NAME_ENTRY_free(old);
	}
	X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
	    (unsigned char *)cn, -1, -1, 0);
	free(cn);
}

/*
 * keyUsage copied from the origin, fitted to the key the certificate
 * carries.  Squid's: a non-RSA origin's gains keyEncipherment, because
 * Squid's key is RSA and NSS insists on that bit for RSA keys.  An ECDSA
 * key (ssl_bump_cert_key ecdsa) signs and never encrypts: digitalSignature
 * set, keyEncipherment cleared (RFC 5480 section 3).
 */
static void
tls_mint_fit_key_usage(X509 *cert, int set_bit, int clear_bit)
{
	X509_EXTENSION *ext;
	ASN1_BIT_STRING *ku;
	ASN1_OCTET_STRING *oct;
	unsigned char *der = NULL;
	int len;

	ext = X509_get_ext(cert, X509_get_ext_by_NID(cert, NID_key_usage, -1));
	if (ext == NULL || (ku = X509V3_EXT_d2i(ext)) == NULL)
		return;
	ASN1_BIT_STRING_set_bit(ku, set_bit, 1);
	if (clear_bit >= 0)
		ASN1_BIT_STRING_set_bit(ku, clear_bit, 0);
	len = i2d_ASN1_BIT_STRING(ku, &der);
	ASN1_BIT_STRING_free(ku);
	if (len <= 0)
		return;
	if ((oct = ASN1_OCTET_STRING_new()) != NULL) {
		ASN1_STRING_set0(oct, der, len);
		X509_EXTENSION_set_data(ext, oct);
		ASN1_OCTET_STRING_free(oct);
	} else
		OPENSSL_free(der);
}

/*
 * An origin AKI is rebuilt to name our CA: its SKI as keyid, and its
 * issuer and serial when it has no SKI or the origin AKI carried them.
 */
static int
tls_mint_aki(X509 *cert, X509 *mimic, X509 *ca)
{
	AUTHORITY_KEYID *orig, *aki;
	ASN1_OCTET_STRING *keyid = NULL, *oct;
	X509_EXTENSION *ext;
	GENERAL_NAME *gn;
	unsigned char *der = NULL;
	int want_keyid, want_issuer, len, ok = 0;

	if (mimic == NULL || ca == NULL)
		return 0;
	orig = X509_get_ext_d2i(mimic, NID_authority_key_identifier, NULL, NULL);
	if (orig == NULL)
		return 0;
	want_keyid = orig->keyid != NULL;
	want_issuer = orig->issuer != NULL && orig->serial != NULL;
	AUTHORITY_KEYID_free(orig);
	if (!want_keyid && !want_issuer)
		return 0;
	if (want_keyid) {
		ext = X509_get_ext(ca,
		    X509_get_ext_by_NID(ca, NID_subject_key_identifier, -1));
		if (ext != NULL)
			keyid = X509V3_EXT_d2i(ext);
	}
	if ((aki = AUTHORITY_KEYID_new()) == NULL) {
		ASN1_OCTET_STRING_free(keyid);
		return 0;
	}
	aki->keyid = keyid;
	if (keyid == NULL || want_issuer) {
		aki->issuer = sk_GENERAL_NAME_new_null();
		gn = GENERAL_NAME_new();
		if (aki->issuer != NULL && gn != NULL) {
			gn->type = GEN_DIRNAME;
			gn->d.dirn = X509_NAME_dup(X509_get_issuer_name(ca));
			sk_GENERAL_NAME_push(aki->issuer, gn);
			aki->serial = ASN1_INTEGER_dup(X509_get_serialNumber(ca));
		} else
			GENERAL_NAME_free(gn);
	}
	if (aki->keyid == NULL && (aki->issuer == NULL || aki->serial == NULL))
		goto out;
	len = i2d_AUTHORITY_KEYID(aki, &der);
	if (len <= 0 || (oct = ASN1_OCTET_STRING_new()) == NULL) {
		OPENSSL_free(der);
		goto out;
	}
	ASN1_STRING_set0(oct, der, len);
	ext = X509_EXTENSION_create_by_NID(NULL, NID_authority_key_identifier,
	    0, oct);
	ASN1_OCTET_STRING_free(oct);
	if (ext != NULL) {
		ok = X509_add_ext(cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
out:
	AUTHORITY_KEYID_free(aki);
	return ok;
}

/* Copy one extension of the origin verbatim; 1 if it was there. */
static int
tls_mint_copy_ext(X509 *cert, X509 *mimic, int nid)
{
	X509_EXTENSION *ext;

	ext = X509_get_ext(mimic, X509_get_ext_by_NID(mimic, nid, -1));
	return ext != NULL && X509_add_ext(cert, ext, -1);
}

/* keyUsage, EKU, basicConstraints and AKI; SKI, AIA, CRL DP etc. dropped. */
static int
tls_mint_mimic_ext(X509 *cert, X509 *mimic, X509 *ca)
{
	static const int nids[] = {
		NID_key_usage, NID_ext_key_usage, NID_basic_constraints, 0
	};
	EVP_PKEY *pub = X509_get_pubkey(mimic);
	int rsa = pub != NULL && EVP_PKEY_is_a(pub, "RSA") == 1;
	EVP_PKEY *own = X509_get0_pubkey(cert);
	int own_ec = own != NULL && EVP_PKEY_is_a(own, "EC") == 1;
	int i, added = 0;

	EVP_PKEY_free(pub);
	for (i = 0; nids[i] != 0; i++) {
		if (X509_get_ext(mimic, X509_get_ext_by_NID(mimic, nids[i], -1))
		    == NULL)
			continue;
		added += tls_mint_copy_ext(cert, mimic, nids[i]);
		if (nids[i] != NID_key_usage)
			continue;
		if (own_ec)
			tls_mint_fit_key_usage(cert,
			    TLS_MINT_KU_DIGITAL_SIGNATURE,
			    TLS_MINT_KU_KEY_ENCIPHERMENT);
		else if (!rsa)
			tls_mint_fit_key_usage(cert,
			    TLS_MINT_KU_KEY_ENCIPHERMENT, -1);
	}
	return added + tls_mint_aki(cert, mimic, ca);
}

/* SAN "DNS:<CN>", even for IP literals (browsers look there, not at CN). */
static int
tls_mint_san_from_cn(X509 *cert)
{
	X509_NAME *name = X509_get_subject_name(cert);
	ASN1_STRING *cn;
	X509_EXTENSION *ext;
	char buf[1024];
	int loc, n, ok;

	if (name == NULL ||
	    (loc = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return 0;
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, loc));
	if (cn == NULL)
		return 0;
	n = snprintf(buf, sizeof(buf), "DNS:%.*s", ASN1_STRING_length(cn),
	    (const char *)ASN1_STRING_get0_data(cn));
	if (n <= 0 || n >= (int)sizeof(buf))
		return 0;
	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, buf))
	    == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Subject, validity and extensions (gadgets.cc buildCertificate). */
static int
tls_mint_fill(X509 *cert, const struct tls_mint_req *req)
{
	const ASN1_TIME *t;
	unsigned char *alias;
	int alias_len, added = 0, san_from_cn = 1;

	if (req->mimic != NULL)
		X509_set_subject_name(cert, X509_get_subject_name(req->mimic));
	if (req->set_common_name || req->mimic == NULL)
		tls_mint_set_cn(cert, req->cn);

	t = NULL;
	if (!req->set_valid_before && req->mimic != NULL)
		t = X509_get0_notBefore(req->mimic);
	if (t == NULL && req->ca_cert != NULL)
		t = X509_get0_notBefore(req->ca_cert);
	if (t != NULL ? !X509_set1_notBefore(cert, t) :
	    X509_gmtime_adj(X509_getm_notBefore(cert), -2L * 24 * 60 * 60) == NULL)
		return -1;
	t = NULL;
	if (!req->set_valid_after && req->mimic != NULL)
		t = X509_get0_notAfter(req->mimic);
	if (t == NULL && req->ca_cert != NULL)
		t = X509_get0_notAfter(req->ca_cert);
	if (t != NULL ? !X509_set1_notAfter(cert, t) :
	    X509_gmtime_adj(X509_getm_notAfter(cert), 3L * 365 * 24 * 60 * 60) == NULL)
		return -1;

	if (req->mimic != NULL) {
		if ((alias = X509_alias_get0(req->mimic, &alias_len)) != NULL)
			X509_alias_set1(cert, alias, alias_len);
		/* A forced CN gets its own SAN: browsers reject a CN the SAN lacks. */
		if (!req->set_common_name) {
			added += tls_mint_copy_ext(cert, req->mimic,
			    NID_subject_alt_name);
			san_from_cn = 0;
		}
		added += tls_mint_mimic_ext(cert, req->mimic, req->ca_cert);
	}
	if (san_from_cn)
		added += tls_mint_san_from_cn(cert);
	if (added)
		X509_set_version(cert, 2);	/* v3 */
	return 0;
}

static EVP_PKEY *
tls_mint_new_rsa(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *key = NULL;

	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) <= 0 ||
	    EVP_PKEY_keygen(ctx, &key) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

EVP_PKEY *
tls_mint_new_ec(void)
{
	return EVP_EC_gen("P-256");
}

/* Sign cert as req says: by the CA, or by its own key. */
static int
tls_mint_sign(X509 *cert, const struct tls_mint_req *req, EVP_PKEY *key)
{
	return X509_sign(cert, req->sign != TLS_MINT_SIGN_SELF &&
	    req->ca_key != NULL ? req->ca_key : key,
	    req->md != NULL ? req->md : EVP_sha256()) > 0;
}

/* One signed certificate with the given serial. */
static X509 *
tls_mint_build(const struct tls_mint_req *req, EVP_PKEY *key,
    const BIGNUM *serial)
{
	X509 *cert = X509_new();
	X509_NAME *issuer;
	int self = req->sign == TLS_MINT_SIGN_SELF || req->ca_cert == NULL;

	if (cert == NULL)
		return NULL;
	if (!X509_set_pubkey(cert, key) ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL ||
	    tls_mint_fill(cert, req) == -1)
		goto fail;
	issuer = self ? X509_get_subject_name(cert) :
	    X509_get_subject_name(req->ca_cert);
	if (!X509_set_issuer_name(cert, issuer) ||
	    !tls_mint_sign(cert, req, key))
		goto fail;
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

X509 *
tls_mint(const struct tls_mint_req *req, EVP_PKEY **keyp)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;
	BIGNUM *serial = NULL;
	EVP_PKEY *key;
	X509 *draft, *cert = NULL;

	if (req->leaf_key != NULL || req->ca_key != NULL) {
		key = req->leaf_key != NULL ? req->leaf_key : req->ca_key;
		EVP_PKEY_up_ref(key);
	} else if ((key = tls_mint_new_rsa()) == NULL)
		return NULL;

	/*
	 * Deterministic serial: sign a draft whose serial is the digest of the
	 * CA public key, then use the digest of that draft.  Equal inputs give
	 * equal certificates, so helpers sharing an ssl_db agree on file names.
	 */
	if (req->ca_cert != NULL &&
	    X509_pubkey_digest(req->ca_cert, EVP_sha1(), md, &n) && n == 20)
		serial = tls_mint_serial_from_sha1(md);
	else if ((serial = BN_new()) != NULL)
		BN_zero(serial);
	if (serial == NULL)
		goto out;
	if ((draft = tls_mint_build(req, key, serial)) == NULL)
		goto out;
	BN_free(serial);
	serial = NULL;
	/*
	 * The final certificate differs from the draft only in its serial:
	 * set it and sign again rather than building it anew (filling and
	 * encoding the key twice cost a third of a mint).
	 */
	if (X509_digest(draft, EVP_sha1(), md, &n) && n == 20 &&
	    (serial = tls_mint_serial_from_sha1(md)) != NULL &&
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(draft)) != NULL &&
	    tls_mint_sign(draft, req, key))
		cert = draft;
	else
		X509_free(draft);
out:
	BN_free(serial);
	if (cert == NULL) {
		EVP_PKEY_free(key);
		return NULL;
	}
	*keyp = key;
	return cert;
}

void
tls_key_memo_clear(struct tls_key_memo *memo)
{
	if (memo->pem != NULL) {
		explicit_bzero(memo->pem, memo->len);
		free(memo->pem);
	}
	EVP_PKEY_free(memo->key);
	memset(memo, 0, sizeof(*memo));
}

/*
 * The PEM block of the first private key in the size bytes at text: its
 * start and length.
 */
static const char *
tls_mint_key_block(const char *text, size_t size, size_t *len)
{
	const char *p = text, *stop = text + size, *eol, *end;
	static const char begin[] = "-----BEGIN ", endtag[] = "-----END ";

	for (;;) {
		if ((p = memmem(p, stop - p, begin, 11)) == NULL ||
		    (eol = memchr(p, '\n', stop - p)) == NULL)
			return NULL;
		if (memmem(p, eol - p, "PRIVATE KEY-----", 16) != NULL)
			break;
		p = eol;
	}
	if ((end = memmem(p, stop - p, endtag, 9)) == NULL ||
	    (end = memmem(end + 9, stop - end - 9, "-----", 5)) == NULL)
		return NULL;
	*len = end + 5 - p;
	return p;
}

/* The key in text, from memo when its PEM is the one memo holds. */
static EVP_PKEY *
tls_mint_read_key(const char *text, size_t size, struct tls_key_memo *memo)
{
	const char *block;
	size_t len;
	EVP_PKEY *key;
	BIO *bio;

	if ((block = tls_mint_key_block(text, size, &len)) == NULL)
		return NULL;
	if (memo != NULL && memo->key != NULL && memo->len == len &&
	    memcmp(memo->pem, block, len) == 0) {
		EVP_PKEY_up_ref(memo->key);
		return memo->key;
	}
	if ((bio = BIO_new_mem_buf(block, (int)len)) == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key != NULL && memo != NULL) {
		tls_key_memo_clear(memo);
		if ((memo->pem = malloc(len)) != NULL) {
			memcpy(memo->pem, block, len);
			memo->len = len;
			EVP_PKEY_up_ref(key);
			memo->key = key;
		}
	}
	return key;
}

int
tls_mint_read_signing(const char *text, struct tls_key_memo *memo,
    X509 **cert, EVP_PKEY **key, X509 **mimic)
{
	static const char begin[] = "-----BEGIN CERTIFICATE";
	const char *second;
	char *rest;
	long n;
	BIO *bio;

	*cert = NULL;
	*key = NULL;
	*mimic = NULL;
	if ((bio = BIO_new_mem_buf(text, -1)) == NULL)
		return -1;
	*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	/* the key is looked for after the certificate, as Squid reads them */
	if (*cert != NULL && (n = BIO_get_mem_data(bio, &rest)) > 0)
		*key = tls_mint_read_key(rest, (size_t)n, memo);
	BIO_free(bio);
	if (*cert == NULL || *key == NULL) {
		X509_free(*cert);
		*cert = NULL;
		ERR_clear_error();
		return -1;
	}
	/* The origin certificate is whatever starts at the second BEGIN. */
	if ((second = strstr(text, begin)) != NULL &&
	    (second = strstr(second + strlen(begin), begin)) != NULL &&
	    (bio = BIO_new_mem_buf(second, -1)) != NULL) {
		*mimic = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	ERR_clear_error();
	return 0;
}

char *
tls_mint_pem(X509 *cert, EVP_PKEY *key, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, cert) &&
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    (out = malloc(n + 1)) != NULL) {
		memcpy(out, data, n);
		out[n] = '\0';
		*len = n;
	}
	BIO_free(bio);
	return out;
}
