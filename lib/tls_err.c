/*
 * TLS error names, groups and detail texts (see tls_err.h).  The names
 * and groups are Squid 5.7's (src/security/ErrorDetail.cc,
 * src/ssl/ErrorDetail.cc); the descriptions and detail formats those of
 * its errors/templates/error-details.txt, built in rather than read from
 * error_directory since cuttle's templates do not carry that file.
 */
#include "config.h"
#include "tls_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>

struct tls_err_def {
	int		 code;
	const char	*name;
	const char	*descr;		/* NULL: OpenSSL's */
	const char	*detail;	/* NULL: "%ssl_error_descr: %ssl_subject" */
};

#define E(c, descr, detail)	{ c, #c, descr, detail }

static const struct tls_err_def tls_err_defs[] = {
	{ TLS_ERR_ACCEPT, "SQUID_TLS_ERR_ACCEPT",
	    "Failed to accept a secure connection",
	    "%ssl_error_descr: %ssl_lib_error" },
	{ TLS_ERR_CONNECT, "SQUID_TLS_ERR_CONNECT",
	    "Failed to establish a secure connection",
	    "%ssl_error_descr: %ssl_lib_error" },
	{ TLS_ERR_INFINITE_VALIDATION, "SQUID_X509_V_ERR_INFINITE_VALIDATION",
	    "Cert validation infinite loop detected", NULL },
	{ TLS_ERR_CERT_CHANGE, "SQUID_X509_V_ERR_CERT_CHANGE",
	    "Certificate changed", NULL },
	{ TLS_ERR_DOMAIN_MISMATCH, "SQUID_X509_V_ERR_DOMAIN_MISMATCH",
	    "Certificate does not match domainname", NULL },
	E(X509_V_ERR_UNSPECIFIED, NULL, NULL),
	E(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "Unable to get issuer certificate",
	    "SSL Certificate error: certificate issuer (CA) not known: %ssl_ca_name"),
	E(X509_V_ERR_UNABLE_TO_GET_CRL, "Unable to get certificate CRL", NULL),
	E(X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
	    "Unable to decrypt certificate's signature", NULL),
	E(X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
	    "Unable to decrypt CRL's signature", NULL),
	E(X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,
	    "Unable to decode issuer public key",
	    "Unable to decode issuer (CA) public key: %ssl_ca_name"),
	E(X509_V_ERR_CERT_SIGNATURE_FAILURE, "Certificate signature failure",
	    NULL),
	E(X509_V_ERR_CRL_SIGNATURE_FAILURE, "CRL signature failure", NULL),
	E(X509_V_ERR_CERT_NOT_YET_VALID, "Certificate is not yet valid",
	    "SSL Certificate is not valid before: %ssl_notbefore"),
	E(X509_V_ERR_CERT_HAS_EXPIRED, "Certificate has expired",
	    "SSL Certificate expired on: %ssl_notafter"),
	E(X509_V_ERR_CRL_NOT_YET_VALID, "CRL is not yet valid", NULL),
	E(X509_V_ERR_CRL_HAS_EXPIRED, "CRL has expired", NULL),
	E(X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD,
	    "Format error in certificate's notBefore field",
	    "SSL Certificate has invalid start date (the 'not before' field): "
	    "%ssl_subject"),
	E(X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
	    "Format error in certificate's notAfter field",
	    "SSL Certificate has invalid expiration date (the 'not after' "
	    "field): %ssl_subject"),
	E(X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
	    "Format error in CRL's lastUpdate field", NULL),
	E(X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD,
	    "Format error in CRL's nextUpdate field", NULL),
	E(X509_V_ERR_OUT_OF_MEM, "Out of memory", "%ssl_error_descr"),
	E(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "Self signed certificate",
	    "Self-signed SSL Certificate: %ssl_subject"),
	E(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
	    "Self signed certificate in certificate chain",
	    "Self-signed SSL Certificate in chain: %ssl_subject"),
	E(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	    "Unable to get local issuer certificate",
	    "SSL Certificate error: certificate issuer (CA) not known: %ssl_ca_name"),
	E(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
	    "Unable to verify the first certificate", NULL),
	E(X509_V_ERR_CERT_CHAIN_TOO_LONG, "Certificate chain too long", NULL),
	E(X509_V_ERR_CERT_REVOKED, "Certificate revoked", NULL),
#ifdef X509_V_ERR_NO_ISSUER_PUBLIC_KEY
	E(X509_V_ERR_NO_ISSUER_PUBLIC_KEY, NULL, NULL),
#endif
	E(X509_V_ERR_PATH_LENGTH_EXCEEDED, "Path length constraint exceeded",
	    NULL),
	E(X509_V_ERR_INVALID_PURPOSE, "Unsupported certificate purpose", NULL),
	E(X509_V_ERR_CERT_UNTRUSTED, "Certificate not trusted", NULL),
	E(X509_V_ERR_CERT_REJECTED, "Certificate rejected", NULL),
	E(X509_V_ERR_SUBJECT_ISSUER_MISMATCH, "Subject issuer mismatch",
	    "%ssl_error_descr: %ssl_ca_name"),
	E(X509_V_ERR_AKID_SKID_MISMATCH,
	    "Authority and subject key identifier mismatch", NULL),
	E(X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH,
	    "Authority and issuer serial number mismatch",
	    "%ssl_error_descr: %ssl_ca_name"),
	E(X509_V_ERR_KEYUSAGE_NO_CERTSIGN,
	    "Key usage does not include certificate signing", NULL),
	E(X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
	    "unable to get CRL issuer certificate", NULL),
	E(X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION,
	    "unhandled critical extension", NULL),
	E(X509_V_ERR_KEYUSAGE_NO_CRL_SIGN,
	    "key usage does not include CRL signing", NULL),
	E(X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
	    "unhandled critical CRL extension", NULL),
	E(X509_V_ERR_INVALID_NON_CA,
	    "invalid non-CA certificate (has CA markings)", NULL),
	E(X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED,
	    "proxy path length constraint exceeded", NULL),
	E(X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE,
	    "key usage does not include digital signature", NULL),
	E(X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED,
	    "proxy certificates not allowed, please set the appropriate flag",
	    NULL),
	E(X509_V_ERR_INVALID_EXTENSION,
	    "invalid or inconsistent certificate extension", NULL),
	E(X509_V_ERR_INVALID_POLICY_EXTENSION,
	    "invalid or inconsistent certificate policy extension", NULL),
	E(X509_V_ERR_NO_EXPLICIT_POLICY, "no explicit policy", NULL),
	E(X509_V_ERR_DIFFERENT_CRL_SCOPE, "Different CRL scope", NULL),
	E(X509_V_ERR_UNSUPPORTED_EXTENSION_FEATURE,
	    "Unsupported extension feature", NULL),
	E(X509_V_ERR_UNNESTED_RESOURCE,
	    "RFC 3779 resource not subset of parent's resources", NULL),
	E(X509_V_ERR_PERMITTED_VIOLATION, "permitted subtree violation", NULL),
	E(X509_V_ERR_EXCLUDED_VIOLATION, "excluded subtree violation", NULL),
	E(X509_V_ERR_SUBTREE_MINMAX,
	    "name constraints minimum and maximum not supported", NULL),
	E(X509_V_ERR_APPLICATION_VERIFICATION,
	    "Application verification failure", NULL),
	E(X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE,
	    "unsupported name constraint type", NULL),
	E(X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
	    "unsupported or invalid name constraint syntax", NULL),
	E(X509_V_ERR_UNSUPPORTED_NAME_SYNTAX,
	    "unsupported or invalid name syntax", NULL),
	E(X509_V_ERR_CRL_PATH_VALIDATION_ERROR, "CRL path validation error",
	    NULL),
	E(X509_V_ERR_PATH_LOOP, NULL, NULL),
	E(X509_V_ERR_SUITE_B_INVALID_VERSION, NULL, NULL),
	E(X509_V_ERR_SUITE_B_INVALID_ALGORITHM, NULL, NULL),
	E(X509_V_ERR_SUITE_B_INVALID_CURVE, NULL, NULL),
	E(X509_V_ERR_SUITE_B_INVALID_SIGNATURE_ALGORITHM, NULL, NULL),
	E(X509_V_ERR_SUITE_B_LOS_NOT_ALLOWED, NULL, NULL),
	E(X509_V_ERR_SUITE_B_CANNOT_SIGN_P_384_WITH_P_256, NULL, NULL),
	E(X509_V_ERR_HOSTNAME_MISMATCH, NULL, NULL),
	E(X509_V_ERR_EMAIL_MISMATCH, NULL, NULL),
	E(X509_V_ERR_IP_ADDRESS_MISMATCH, NULL, NULL),
	E(X509_V_ERR_DANE_NO_MATCH, NULL, NULL),
	E(X509_V_ERR_EE_KEY_TOO_SMALL, NULL, NULL),
	E(X509_V_ERR_CA_KEY_TOO_SMALL, NULL, NULL),
	E(X509_V_ERR_CA_MD_TOO_WEAK, NULL, NULL),
	E(X509_V_ERR_INVALID_CALL, NULL, NULL),
	E(X509_V_ERR_STORE_LOOKUP, NULL, NULL),
	E(X509_V_ERR_NO_VALID_SCTS, NULL, NULL),
	E(X509_V_ERR_PROXY_SUBJECT_NAME_VIOLATION, NULL, NULL),
	E(X509_V_ERR_OCSP_VERIFY_NEEDED, NULL, NULL),
	E(X509_V_ERR_OCSP_VERIFY_FAILED, NULL, NULL),
	E(X509_V_ERR_OCSP_CERT_UNKNOWN, NULL, NULL),
	E(X509_V_ERR_INVALID_CA, "Invalid CA certificate",
	    "%ssl_error_descr: %ssl_ca_name"),
#ifdef X509_V_ERR_EC_KEY_EXPLICIT_PARAMS
	E(X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM, NULL, NULL),
	E(X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH, NULL, NULL),
	E(X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY, NULL, NULL),
	E(X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA, NULL, NULL),
	E(X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN, NULL, NULL),
	E(X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA, NULL, NULL),
	E(X509_V_ERR_ISSUER_NAME_EMPTY, NULL, NULL),
	E(X509_V_ERR_SUBJECT_NAME_EMPTY, NULL, NULL),
	E(X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER, NULL, NULL),
	E(X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER, NULL, NULL),
	E(X509_V_ERR_EMPTY_SUBJECT_ALT_NAME, NULL, NULL),
	E(X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL, NULL, NULL),
	E(X509_V_ERR_CA_BCONS_NOT_CRITICAL, NULL, NULL),
	E(X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL, NULL, NULL),
	E(X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL, NULL, NULL),
	E(X509_V_ERR_CA_CERT_MISSING_KEY_USAGE, NULL, NULL),
	E(X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3, NULL, NULL),
	E(X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, NULL, NULL),
#endif
};

#undef E

/* Squid's ssl_error shortcuts; the "ssl::" prefix is optional. */
struct tls_err_group {
	const char	*name;
	int		 codes[TLS_ERR_GROUP_MAX];
	int		 n;
};

static const struct tls_err_group tls_err_groups[] = {
	{ "certHasExpired", { X509_V_ERR_CERT_HAS_EXPIRED }, 1 },
	{ "certNotYetValid", { X509_V_ERR_CERT_NOT_YET_VALID }, 1 },
	{ "certDomainMismatch", { TLS_ERR_DOMAIN_MISMATCH }, 1 },
	{ "certUntrusted", { X509_V_ERR_INVALID_CA,
	    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
	    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	    X509_V_ERR_CERT_UNTRUSTED }, 6 },
	{ "certSelfSigned", { X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT }, 1 },
};

static const struct tls_err_def *
tls_err_find(int code)
{
	for (size_t i = 0; i < sizeof(tls_err_defs) / sizeof(tls_err_defs[0]);
	    i++)
		if (tls_err_defs[i].code == code)
			return &tls_err_defs[i];
	return NULL;
}

const char *
tls_err_name(int code)
{
	const struct tls_err_def *d = tls_err_find(code);

	return d != NULL ? d->name : NULL;
}

int
tls_err_parse(const char *word, int *codes)
{
	size_t i;

	for (i = 0; i < sizeof(tls_err_defs) / sizeof(tls_err_defs[0]); i++)
		if (strcmp(tls_err_defs[i].name, word) == 0) {
			codes[0] = tls_err_defs[i].code;
			return 1;
		}
	if (word[0] >= '0' && word[0] <= '9') {
		char *end;
		long v = strtol(word, &end, 0);

		if (*end != '\0' || v > 0x7fffffff)
			return -1;
		codes[0] = (int)v;
		return 1;
	}
	if (strncmp(word, "ssl::", 5) == 0)
		word += 5;
	for (i = 0; i < sizeof(tls_err_groups) / sizeof(tls_err_groups[0]);
	    i++)
		if (strcmp(tls_err_groups[i].name, word) == 0) {
			memcpy(codes, tls_err_groups[i].codes,
			    sizeof(tls_err_groups[i].codes));
			return tls_err_groups[i].n;
		}
	return -1;
}

const char *
tls_err_descr(int code)
{
	const struct tls_err_def *d = tls_err_find(code);

	if (d != NULL && d->descr != NULL)
		return d->descr;
	if (code >= 0)
		return X509_verify_cert_error_string(code);
	return "[Not available]";
}

static void
tls_err_put(char **p, char *end, const char *s, size_t n)
{
	size_t room = (size_t)(end - *p);

	if (n > room)
		n = room;
	memcpy(*p, s, n);
	*p += n;
}

/* ASN1_TIME as Squid prints it: "Dec  4 08:52:24 2026 GMT". */
static void
tls_err_time(const ASN1_TIME *t, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	snprintf(out, len, "[Not available]");
	if (b == NULL)
		return;
	if (t != NULL && ASN1_TIME_print(b, t) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0)
		snprintf(out, len, "%.*s", (int)n, data);
	BIO_free(b);
}

/* The CN and DNS alternative names, ", "-separated (%ssl_cn). */
static void
tls_err_cn(X509 *cert, char *out, size_t len)
{
	X509_NAME *name = X509_get_subject_name(cert);
	GENERAL_NAMES *alt;
	size_t used = 0;
	int i = -1;

	out[0] = '\0';
	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(name, i));
		used += (size_t)snprintf(out + used, used < len ? len - used : 0,
		    "%s%.*s", used ? ", " : "", ASN1_STRING_length(s),
		    (const char *)ASN1_STRING_get0_data(s));
		if (used >= len)
			return;
	}
	alt = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; alt != NULL && i < sk_GENERAL_NAME_num(alt); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(alt, i);

		if (g->type != GEN_DNS)
			continue;
		used += (size_t)snprintf(out + used, used < len ? len - used : 0,
		    "%s%.*s", used ? ", " : "", ASN1_STRING_length(g->d.dNSName),
		    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		if (used >= len)
			break;
	}
	GENERAL_NAMES_free(alt);
	if (out[0] == '\0')
		snprintf(out, len, "[Not available]");
}

void
tls_err_detail(int code, X509 *broken, const char *lib_error, char *out,
    size_t len)
{
	static const char *const codes[] = {
		"ssl_subject", "ssl_ca_name", "ssl_cn", "ssl_notbefore",
		"ssl_notafter", "err_name", "ssl_error_descr", "ssl_lib_error",
		NULL
	};
	const struct tls_err_def *d = tls_err_find(code);
	const char *fmt = d != NULL ? (d->detail != NULL ? d->detail :
	    "%ssl_error_descr: %ssl_subject") : "SSL handshake error (%err_name)";
	char *p = out, *end = out + (len > 0 ? len - 1 : 0), v[512];

	if (len == 0)
		return;
	for (const char *f = fmt; *f != '\0'; ) {
		int k;

		if (*f != '%') {
			tls_err_put(&p, end, f++, 1);
			continue;
		}
		for (k = 0; codes[k] != NULL; k++)
			if (strncmp(f + 1, codes[k], strlen(codes[k])) == 0)
				break;
		if (codes[k] == NULL) {
			tls_err_put(&p, end, f++, 1);
			continue;
		}
		f += 1 + strlen(codes[k]);
		snprintf(v, sizeof(v), "[Not available]");
		switch (k) {
		case 0:
		case 1:
			if (broken != NULL)
				X509_NAME_oneline(k == 0 ?
				    X509_get_subject_name(broken) :
				    X509_get_issuer_name(broken), v, sizeof(v));
			break;
		case 2:
			if (broken != NULL)
				tls_err_cn(broken, v, sizeof(v));
			break;
		case 3:
		case 4:
			if (broken != NULL)
				tls_err_time(k == 3 ? X509_get0_notBefore(broken) :
				    X509_get0_notAfter(broken), v, sizeof(v));
			break;
		case 5:
			if (d != NULL)
				snprintf(v, sizeof(v), "%s", d->name);
			else
				snprintf(v, sizeof(v), "SSL_ERR=%d", code);
			break;
		case 6:
			snprintf(v, sizeof(v), "%s", tls_err_descr(code));
			break;
		case 7:
			snprintf(v, sizeof(v), "%s", lib_error != NULL &&
			    lib_error[0] != '\0' ? lib_error : "[No Error]");
			break;
		}
		tls_err_put(&p, end, v, strlen(v));
	}
	*p = '\0';
}
