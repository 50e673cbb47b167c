/*
 * The ACLs that look at the server's TLS side: ssl::server_name and
 * ssl::server_name_regex (with Squid's --client-requested,
 * --server-provided and --consensus) and server_cert_fingerprint.
 *
 * As Squid 5.7 decides the name: the client's SNI, else the request's
 * host; but once the server's certificate is known (SslBump step 3, and
 * requests on a connection bumped after it) its subject CNs and DNS
 * alternative names are matched instead, any one matching, unless
 * --client-requested says otherwise.  A wildcard name ("*.example.com")
 * matches as the domain it stands for (".example.com" entries), not a
 * single host entry under it.
 */
#include "config.h"
#include "acl_int.h"

#include <ctype.h>
#include <string.h>

#include <openssl/x509v3.h>

/* One certificate name against a: domain list or regexes. */
static int
acl_tls_name_match(const struct acl *a, const unsigned char *data, int len)
{
	char name[1024];

	if (len <= 0 || len >= (int)sizeof(name))
		return 0;	/* Squid ignores what does not fit */
	for (int i = 0; i < len; i++) {
		if (data[i] == '\0')
			return 0;	/* an embedded NUL never matches */
		name[i] = a->def->kind == ACL_K_SSL_SERVER_NAME ?
		    (char)tolower(data[i]) : (char)data[i];
	}
	name[len] = '\0';
	if (a->def->kind == ACL_K_SSL_SERVER_NAME)
		return acl_dom_match(a, name);
	return acl_re_match(&a->rx, name);
}

/* Any subject CN, then any DNS alternative name, as Squid walks them. */
static int
acl_tls_cert_names_match(const struct acl *a, X509 *cert)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	GENERAL_NAMES *alt;
	int i = -1, hit = 0;

	while (!hit && subj != NULL &&
	    (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subj, i));

		hit = acl_tls_name_match(a, ASN1_STRING_get0_data(s),
		    ASN1_STRING_length(s));
	}
	alt = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; !hit && alt != NULL && i < sk_GENERAL_NAME_num(alt); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(alt, i);

		if (g->type == GEN_DNS)
			hit = acl_tls_name_match(a,
			    ASN1_STRING_get0_data(g->d.dNSName),
			    ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(alt);
	return hit;
}

/* Is cert valid for name (--consensus)? */
static int
acl_tls_cert_fits(X509 *cert, const char *name)
{
	if (X509_check_ip_asc(cert, name, 0) == 1)
		return 1;
	return X509_check_host(cert, name, 0, 0, NULL) == 1;
}

int
acl_tls_server_name_match(const struct acl *a, const struct acl_checklist *cl)
{
	X509 *cert = cl->server_cert;
	const char *client = cl->sni != NULL && cl->sni[0] != '\0' ? cl->sni :
	    cl->host, *name = NULL;

	if (client != NULL && client[0] == '\0')
		client = NULL;
	switch (a->sni_mode) {
	case ACL_SNI_CONSENSUS:
		if (cert == NULL || (client != NULL &&
		    acl_tls_cert_fits(cert, client)))
			name = client;
		break;
	case ACL_SNI_CLIENT:
		name = client;
		break;
	default:	/* none, or --server-provided */
		if (cert != NULL)
			return acl_tls_cert_names_match(a, cert);
		if (a->sni_mode != ACL_SNI_SERVER)
			name = client;
	}
	if (name == NULL)
		name = "none";
	if (a->def->kind == ACL_K_SSL_SERVER_NAME)
		return acl_dom_match(a, name);
	return acl_re_match(&a->rx, name);
}

int
acl_tls_fingerprint_match(const struct acl *a, const struct acl_checklist *cl)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;
	char hex[3 * EVP_MAX_MD_SIZE];

	if (cl->server_cert == NULL ||
	    !X509_digest(cl->server_cert, EVP_sha1(), md, &n) || n == 0)
		return 0;
	/* Squid's form: uppercase hex pairs joined by ':' */
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	return acl_word_match(a, hex, 1);
}
