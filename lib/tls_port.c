/*
 * tls_port: what a TLS port's options mean to OpenSSL.  The master reads
 * the files while it loads the config, so a root-only key is read with
 * the master's privilege and a bad file is a "FILE:LINE:" error at
 * -k parse rather than a surprise at the first bumped connection; the
 * objects then live in struct cfg_port and reach the workers through
 * fork.  Squid's messages and some of its leniencies are kept (a missing
 * tls-dh= file only warns), but an unknown options= name is an error, as
 * for tls_outgoing_options, and a certificate that cannot sign what
 * generate-host-certificates makes is refused, where Squid starts and
 * every client then fails.
 */
#include "config.h"
#include "tls_port.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cfg.h"
#include "tls_mint.h"
#include "units.h"

#define TLS_PORT_FILE_MAX	(1024 * 1024)	/* a PEM file we read whole */
#define TLS_PORT_CHAIN_MAX	32	/* certificates after the first */

/* OpenSSL's own reason for the last failure, for messages. */
static const char *
tls_port_ssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "no usable PEM data");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static void
tls_port_stamp(const struct stat *st, struct cfg_file_stamp *s)
{
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->size = (uint64_t)st->st_size;
	s->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st->st_mtim.tv_nsec;
}

/*
 * A whole PEM file into *data (malloc'd, NUL-terminated; the caller
 * wipes it: it may hold a key).  -1 with *err set; *denied when the file
 * is there but this process may not read it.
 */
static int
tls_port_read(const char *opt, const char *what, const char *path,
    char **data, struct cfg_file_stamp *stamp, int *denied, char **err)
{
	struct stat st;
	size_t have = 0;
	ssize_t n;
	int fd;

	*data = NULL;
	*denied = 0;
	if (stat(path, &st) == -1) {
		*err = units_strf("option '%s': unable to load %s file '%s': "
		    "%s", opt, what, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = units_strf("option '%s': unable to load %s file '%s': "
		    "not a file", opt, what, path);
		return -1;
	}
	tls_port_stamp(&st, stamp);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*denied = errno == EACCES || errno == EPERM;
		*err = units_strf("option '%s': unable to load %s file '%s': "
		    "%s", opt, what, path, strerror(errno));
		return -1;
	}
	if (st.st_size > TLS_PORT_FILE_MAX) {
		close(fd);
		*err = units_strf("option '%s': unable to load %s file '%s': "
		    "larger than %d bytes", opt, what, path, TLS_PORT_FILE_MAX);
		return -1;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (*data == NULL)
		abort();
	/* a file that grows while read is cut at its stat size */
	while (have < (size_t)st.st_size) {
		n = read(fd, *data + have, (size_t)st.st_size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	(*data)[have] = '\0';
	return 0;
}

static void
tls_port_wipe(char *data)
{
	if (data != NULL) {
		OPENSSL_cleanse(data, strlen(data));
		free(data);
	}
}

/* Never prompt on a terminal for a passphrase: cuttle has no way to ask. */
static int
tls_port_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static EVP_PKEY *
tls_port_pem_key(const char *data)
{
	BIO *bio = BIO_new_mem_buf(data, -1);
	EVP_PKEY *key;

	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, tls_port_no_passphrase, NULL);
	BIO_free(bio);
	return key;
}

static char *
tls_port_key_error(const char *opt, const char *path, const char *data,
    int in_cert)
{
	char e[256];

	if (strstr(data, "ENCRYPTED") != NULL) {
		ERR_clear_error();
		return units_strf("option '%s': the private key in '%s' is "
		    "encrypted; cuttle cannot ask for its passphrase "
		    "(sslpassword_program is not supported)", opt, path);
	}
	if (strstr(data, "PRIVATE KEY-----") == NULL) {
		ERR_clear_error();
		return units_strf("option '%s': no private key in '%s'%s", opt,
		    path, !in_cert ? "" : strncmp(opt, "tls-", 4) == 0 ?
		    " (name its key file with tls-key=)" :
		    " (name its key file with key=)");
	}
	return units_strf("option '%s': unable to load private key file "
	    "'%s': %s", opt, path, tls_port_ssl_error(e, sizeof(e)));
}

/* The certificates of data: the first into *cert, the rest into *chain. */
static int
tls_port_pem_certs(const char *data, X509 **cert, STACK_OF(X509) **chain)
{
	BIO *bio = BIO_new_mem_buf(data, -1);
	X509 *x;

	*cert = NULL;
	*chain = NULL;
	if (bio == NULL)
		return -1;
	*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (*cert != NULL && (*chain = sk_X509_new_null()) == NULL)
		abort();
	while (*cert != NULL && sk_X509_num(*chain) < TLS_PORT_CHAIN_MAX &&
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(*chain, x) == 0)
			abort();
	BIO_free(bio);
	if (*cert == NULL)
		return -1;
	ERR_clear_error();	/* the end of the file */
	return 0;
}

static int
tls_port_same_stamp(const struct cfg_file_stamp *a,
    const struct cfg_file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns;
}

static int
tls_port_same_path(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * A process that dropped its privileges reloads: take the objects of a
 * running port that read the very same files, as long as stat(2) (which
 * needs no read permission) says they have not changed.
 */
static int
tls_port_reuse(struct cfg_port *p, const struct cfg_port *running)
{
	struct stat st;
	struct cfg_file_stamp cs, ks;
	const struct cfg_port *q;

	if (stat(p->tls_cert, &st) == -1)
		return -1;
	tls_port_stamp(&st, &cs);
	if (p->tls_key != NULL) {
		if (stat(p->tls_key, &st) == -1)
			return -1;
		tls_port_stamp(&st, &ks);
	} else
		ks = cs;
	for (q = running; q != NULL; q = q->next) {
		if (q->tls_x509 == NULL || q->tls_pkey == NULL ||
		    q->tls_untrusted == NULL ||
		    !tls_port_same_path(q->tls_cert, p->tls_cert) ||
		    !tls_port_same_path(q->tls_key, p->tls_key) ||
		    !tls_port_same_stamp(&q->tls_cert_stamp, &cs) ||
		    !tls_port_same_stamp(&q->tls_key_stamp, &ks))
			continue;
		X509_up_ref(q->tls_x509);
		p->tls_x509 = q->tls_x509;
		EVP_PKEY_up_ref(q->tls_pkey);
		p->tls_pkey = q->tls_pkey;
		X509_up_ref(q->tls_untrusted);
		p->tls_untrusted = q->tls_untrusted;
		p->tls_chain = X509_chain_up_ref(q->tls_chain);
		p->tls_cert_stamp = cs;
		p->tls_key_stamp = ks;
		return 0;
	}
	return -1;
}

/*
 * Squid's untrusted CA (squid-compat 5.3): the CA mimicked with the CN
 * "Not trusted by "<CA CN>"" (or its O), self-signed with the CA's key,
 * made by the same minting code and so byte-identical to Squid's.
 */
static X509 *
tls_port_untrusted(X509 *ca, EVP_PKEY *key)
{
	struct tls_mint_req req;
	X509_NAME *name = X509_get_subject_name(ca);
	char who[256], cn[300];
	EVP_PKEY *k = NULL;
	X509 *x;

	if (X509_NAME_get_text_by_NID(name, NID_commonName, who,
	    sizeof(who)) > 0 || X509_NAME_get_text_by_NID(name,
	    NID_organizationName, who, sizeof(who)) > 0)
		snprintf(cn, sizeof(cn), "Not trusted by \"%s\"", who);
	else
		snprintf(cn, sizeof(cn), "Not trusted");
	memset(&req, 0, sizeof(req));
	req.ca_key = key;
	req.mimic = ca;
	req.cn = cn;
	req.set_common_name = 1;
	req.sign = TLS_MINT_SIGN_SELF;
	x = tls_mint(&req, &k);
	EVP_PKEY_free(k);
	return x;
}

/* generate-host-certificates signs with the certificate: it must be a CA. */
static char *
tls_port_check_ca(struct cfg_port *p, char **warning)
{
	X509 *x = p->tls_x509;
	uint32_t xf = X509_get_extension_flags(x);

	if (!(xf & EXFLAG_CA))
		return units_strf("option '%s': '%s' is not a CA certificate "
		    "(basicConstraints CA:TRUE), so the certificates "
		    "generate-host-certificates makes with it would be "
		    "refused; use a CA, or generate-host-certificates=off to "
		    "present this certificate as it is", p->tls_cert_opt,
		    p->tls_cert);
	if ((xf & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		return units_strf("option '%s': the CA certificate '%s' may not "
		    "sign certificates (its keyUsage lacks keyCertSign)",
		    p->tls_cert_opt, p->tls_cert);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		*warning = units_strf("option '%s': the CA certificate '%s' has "
		    "expired; clients will refuse the certificates made with "
		    "it", p->tls_cert_opt, p->tls_cert);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		*warning = units_strf("option '%s': the CA certificate '%s' is "
		    "not valid yet; clients will refuse the certificates made "
		    "with it", p->tls_cert_opt, p->tls_cert);
	return NULL;
}

static void
tls_port_hash_x509(EVP_MD_CTX *md, X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	if (n > 0)
		EVP_DigestUpdate(md, der, (size_t)n);
	OPENSSL_free(der);
}

static void
tls_port_hash_str(EVP_MD_CTX *md, const char *s)
{
	/* the NUL too, so that ("a", "b") and ("ab", "") differ */
	if (s != NULL)
		EVP_DigestUpdate(md, s, strlen(s) + 1);
	else
		EVP_DigestUpdate(md, "\377", 1);
}

static void
tls_port_fingerprint(struct cfg_port *p)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int64_t v[6];
	int n;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		abort();
	tls_port_hash_x509(md, p->tls_x509);
	for (int i = 0; i < sk_X509_num(p->tls_chain); i++)
		tls_port_hash_x509(md, sk_X509_value(p->tls_chain, i));
	tls_port_hash_x509(md, p->tls_untrusted);
	v[0] = (int64_t)p->tls_options;
	v[1] = p->tls_min_version;
	v[2] = p->tls_flags;
	v[3] = p->tls_dh_curve;
	v[4] = p->ssl_bump;
	v[5] = p->generate_host_certificates;
	EVP_DigestUpdate(md, v, sizeof(v));
	tls_port_hash_str(md, p->tls_cipher);
	tls_port_hash_str(md, p->tls_session_context);
	if (p->tls_dh_params != NULL &&
	    (n = i2d_KeyParams(p->tls_dh_params, &der)) > 0)
		EVP_DigestUpdate(md, der, (size_t)n);
	OPENSSL_free(der);
	EVP_DigestFinal_ex(md, p->tls_fingerprint, NULL);
	EVP_MD_CTX_free(md);
}

/* Read the files; -1 with *err, *denied if one may not be read. */
static int
tls_port_read_files(struct cfg_port *p, int *denied, char **err)
{
	char *cert_data = NULL, *key_data = NULL, e[256];
	int rc = -1;

	if (tls_port_read(p->tls_cert_opt, "certificate", p->tls_cert,
	    &cert_data, &p->tls_cert_stamp, denied, err) == -1)
		return -1;
	if (p->tls_key != NULL && tls_port_read(p->tls_key_opt, "private key",
	    p->tls_key, &key_data, &p->tls_key_stamp, denied, err) == -1)
		goto out;
	if (p->tls_key == NULL)
		p->tls_key_stamp = p->tls_cert_stamp;
	if (tls_port_pem_certs(cert_data, &p->tls_x509, &p->tls_chain) == -1) {
		*err = units_strf("option '%s': unable to load certificate "
		    "file '%s': %s", p->tls_cert_opt, p->tls_cert,
		    tls_port_ssl_error(e, sizeof(e)));
		goto out;
	}
	p->tls_pkey = tls_port_pem_key(key_data != NULL ? key_data : cert_data);
	if (p->tls_pkey == NULL) {
		*err = key_data != NULL ?
		    tls_port_key_error(p->tls_key_opt, p->tls_key, key_data, 0) :
		    tls_port_key_error(p->tls_cert_opt, p->tls_cert, cert_data,
		    1);
		goto out;
	}
	rc = 0;
out:
	tls_port_wipe(cert_data);
	tls_port_wipe(key_data);
	return rc;
}

char *
tls_port_load(struct cfg_port *p, const char *directive,
    const struct cfg_port *running, char **warning)
{
	char *err = NULL;
	int denied;

	*warning = NULL;
	if (p->tls_cert == NULL)
		return NULL;
	if (tls_port_read_files(p, &denied, &err) == -1) {
		if (!denied || running == NULL || tls_port_reuse(p, running) ==
		    -1) {
			if (denied && running != NULL) {
				char *e = units_strf("%s (this process runs as "
				    "cache_effective_user now: restart cuttle to "
				    "load a changed key)", err);
				free(err);
				err = e;
			}
			goto fail;
		}
		free(err);
		err = NULL;
	} else {
		if (X509_check_private_key(p->tls_x509, p->tls_pkey) != 1) {
			ERR_clear_error();
			err = units_strf("option '%s': the private key in '%s' "
			    "does not match the certificate in '%s'",
			    p->tls_key != NULL ? p->tls_key_opt :
			    p->tls_cert_opt, p->tls_key != NULL ? p->tls_key :
			    p->tls_cert, p->tls_cert);
			goto fail;
		}
		if ((p->tls_untrusted = tls_port_untrusted(p->tls_x509,
		    p->tls_pkey)) == NULL) {
			char e[256];
			err = units_strf("option '%s': cannot sign with the key "
			    "of '%s': %s", p->tls_cert_opt, p->tls_cert,
			    tls_port_ssl_error(e, sizeof(e)));
			goto fail;
		}
	}
	if (p->ssl_bump && p->generate_host_certificates &&
	    (err = tls_port_check_ca(p, warning)) != NULL)
		goto fail;
	tls_port_fingerprint(p);
	return NULL;
fail:
	{
		char *e = units_strf("%s %s", directive, err);
		free(err);
		err = e;
	}
	X509_free(p->tls_x509);
	EVP_PKEY_free(p->tls_pkey);
	sk_X509_pop_free(p->tls_chain, X509_free);
	X509_free(p->tls_untrusted);
	p->tls_x509 = NULL;
	p->tls_pkey = NULL;
	p->tls_chain = NULL;
	p->tls_untrusted = NULL;
	return err;
}

void
tls_port_free(struct cfg_port *p)
{
	X509_free(p->tls_x509);
	EVP_PKEY_free(p->tls_pkey);
	sk_X509_pop_free(p->tls_chain, X509_free);
	X509_free(p->tls_untrusted);
	EVP_PKEY_free(p->tls_dh_params);
	free(p->tls_cert);
	free(p->tls_key);
	free(p->tls_dh);
	free(p->tls_cipher);
	free(p->tls_session_context);
	p->tls_x509 = NULL;
	p->tls_pkey = NULL;
	p->tls_chain = NULL;
	p->tls_untrusted = NULL;
	p->tls_dh_params = NULL;
	p->tls_cert = p->tls_key = p->tls_dh = p->tls_cipher = NULL;
	p->tls_session_context = NULL;
}

/*
 * Squid's options= names.  Those OpenSSL 3 made no-ops are accepted; an
 * unknown name is an error, as for tls_outgoing_options (Squid only logs
 * it and the option the admin meant is silently not set).
 */
static const struct {
	const char	*name;
	uint64_t	 value;
} tls_port_option_names[] = {
	{ "NETSCAPE_REUSE_CIPHER_CHANGE_BUG",
	    SSL_OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG },
	{ "SSLREF2_REUSE_CERT_TYPE_BUG", SSL_OP_SSLREF2_REUSE_CERT_TYPE_BUG },
	{ "MICROSOFT_BIG_SSLV3_BUFFER", SSL_OP_MICROSOFT_BIG_SSLV3_BUFFER },
	{ "SSLEAY_080_CLIENT_DH_BUG", SSL_OP_SSLEAY_080_CLIENT_DH_BUG },
	{ "TLS_D5_BUG", SSL_OP_TLS_D5_BUG },
	{ "TLS_BLOCK_PADDING_BUG", SSL_OP_TLS_BLOCK_PADDING_BUG },
	{ "TLS_ROLLBACK_BUG", SSL_OP_TLS_ROLLBACK_BUG },
	{ "ALL", SSL_OP_ALL },
	{ "SINGLE_DH_USE", SSL_OP_SINGLE_DH_USE },
	{ "EPHEMERAL_RSA", SSL_OP_EPHEMERAL_RSA },
	{ "PKCS1_CHECK_1", SSL_OP_PKCS1_CHECK_1 },
	{ "PKCS1_CHECK_2", SSL_OP_PKCS1_CHECK_2 },
	{ "NETSCAPE_CA_DN_BUG", SSL_OP_NETSCAPE_CA_DN_BUG },
	{ "NON_EXPORT_FIRST", 0 },
	{ "CIPHER_SERVER_PREFERENCE", SSL_OP_CIPHER_SERVER_PREFERENCE },
	{ "NETSCAPE_DEMO_CIPHER_CHANGE_BUG",
	    SSL_OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG },
	{ "NO_SSLv2", SSL_OP_NO_SSLv2 },
	{ "NO_SSLv3", SSL_OP_NO_SSLv3 },
	{ "NO_TLSv1", SSL_OP_NO_TLSv1 },
	{ "NO_TLSv1_1", SSL_OP_NO_TLSv1_1 },
	{ "NO_TLSv1_2", SSL_OP_NO_TLSv1_2 },
	{ "NO_TLSv1_3", SSL_OP_NO_TLSv1_3 },
	{ "No_Compression", SSL_OP_NO_COMPRESSION },
	{ "NO_TICKET", SSL_OP_NO_TICKET },
	{ "SINGLE_ECDH_USE", SSL_OP_SINGLE_ECDH_USE },
};

static char *
tls_port_warn_more(char *warning, char *more)
{
	char *w;

	if (warning == NULL)
		return more;
	w = units_strf("%s; %s", warning, more);
	free(warning);
	free(more);
	return w;
}

char *
tls_port_parse_options(const char *v, uint64_t *options, char **warning)
{
	uint64_t op = 0;
	const char *s = v;

	*warning = NULL;
	/* as Squid: [+|-|!]word separated by ':' or ',', a word may be hex */
	while (*s != '\0') {
		int remove = 0, found = 0;
		size_t n;
		uint64_t value = 0;

		s += strspn(s, ":,");
		if (*s == '-' || *s == '!') {
			remove = 1;
			s++;
		} else if (*s == '+')
			s++;
		n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_");
		if (n == 0 && *s == '\0')
			break;
		if (n == 0) {
			free(*warning);
			*warning = NULL;
			return units_strf("Unknown TLS option '%s'", s);
		}
		for (size_t i = 0; i < sizeof(tls_port_option_names) /
		    sizeof(tls_port_option_names[0]); i++)
			if (strlen(tls_port_option_names[i].name) == n &&
			    strncmp(s, tls_port_option_names[i].name, n) == 0) {
				value = tls_port_option_names[i].value;
				found = 1;
			}
		if (!found) {
			char hex[24], *end;
			size_t k = n;
			const char *h = s;

			if (k > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) {
				h += 2;
				k -= 2;
			}
			if (k < sizeof(hex)) {
				memcpy(hex, h, k);
				hex[k] = '\0';
				value = strtoull(hex, &end, 16);
				found = *end == '\0' && value != 0;
			}
		}
		if (!found) {
			/* as tls_outgoing_options: Squid only logs it */
			free(*warning);
			*warning = NULL;
			return units_strf("Unknown TLS option '%.*s'", (int)n, s);
		}
		if (remove)
			op &= ~value;
		else
			op |= value;
		s += n;
		if (*s != '\0' && *s != ':' && *s != ',') {
			free(*warning);
			*warning = NULL;
			return units_strf("Unknown TLS option '%s'", s);
		}
	}
	*options = op;
	return NULL;
}

char *
tls_port_parse_flags(const char *v, unsigned *flags, char **warning)
{
	static const struct {
		const char	*name;
		unsigned	 flag;
	} names[] = {
		{ "NO_DEFAULT_CA", CFG_TLS_FLAG_NO_DEFAULT_CA },
		{ "DELAYED_AUTH", CFG_TLS_FLAG_DELAYED_AUTH },
		{ "DONT_VERIFY_PEER", CFG_TLS_FLAG_DONT_VERIFY_PEER },
		{ "CONDITIONAL_AUTH", CFG_TLS_FLAG_CONDITIONAL_AUTH },
		{ "DONT_VERIFY_DOMAIN", CFG_TLS_FLAG_DONT_VERIFY_DOMAIN },
		{ "NO_SESSION_REUSE", CFG_TLS_FLAG_NO_SESSION_REUSE },
		{ "VERIFY_CRL", CFG_TLS_FLAG_VERIFY_CRL },
		{ "VERIFY_CRL_ALL", CFG_TLS_FLAG_VERIFY_CRL_ALL },
	};
	const char *s = v;
	unsigned f = 0;

	*warning = NULL;
	while (*s != '\0') {
		size_t n = strcspn(s, ":,"), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n &&
			    strncmp(s, names[i].name, n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			free(*warning);
			*warning = NULL;
			return units_strf("Unknown TLS flag '%.*s'", (int)n, s);
		}
		f |= names[i].flag;
		if (names[i].flag == CFG_TLS_FLAG_NO_DEFAULT_CA)
			*warning = tls_port_warn_more(*warning, units_strf(
			    "flags=NO_DEFAULT_CA is deprecated. Use "
			    "tls-default-ca=off instead."));
		else if (names[i].flag != CFG_TLS_FLAG_NO_SESSION_REUSE)
			/* they are about client certificates, never asked for */
			*warning = tls_port_warn_more(*warning, units_strf(
			    "flag '%s' is not supported by cuttle yet; ignored",
			    names[i].name));
		s += n;
		s += strspn(s, ":,");
	}
	*flags = f;
	return NULL;
}

char *
tls_port_parse_min_version(const char *v, int *version, char **warning)
{
	static const struct {
		const char	*name;
		int		 version;
	} names[] = {
		{ "1.0", TLS1_VERSION }, { "1.1", TLS1_1_VERSION },
		{ "1.2", TLS1_2_VERSION }, { "1.3", TLS1_3_VERSION },
	};

	*warning = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].name) == 0) {
			*version = names[i].version;
			if (*version < TLS1_2_VERSION)
				*warning = units_strf("cuttle accepts TLS 1.2 "
				    "and later only; tls-min-version=%s has no "
				    "effect", v);
			return NULL;
		}
	return units_strf("Unknown TLS minimum version: %s (1.0, 1.1, 1.2 or "
	    "1.3)", v);
}

char *
tls_port_check_cipher(const char *list)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char e[256], *err = NULL;

	if (ctx == NULL)
		abort();
	if (!SSL_CTX_set_cipher_list(ctx, list))
		err = units_strf("Failed to set SSL cipher suite '%s': %s", list,
		    tls_port_ssl_error(e, sizeof(e)));
	SSL_CTX_free(ctx);
	return err;
}

void
tls_port_load_dh(struct cfg_port *p, const char *v, char **warning)
{
	const char *colon = strchr(v, ':'), *file = v;
	BIO *bio;
	char e[256];

	*warning = NULL;
	EVP_PKEY_free(p->tls_dh_params);
	p->tls_dh_params = NULL;
	p->tls_dh_curve = 0;
	if (colon != NULL) {
		char curve[64];
		size_t n = (size_t)(colon - v);

		file = colon + 1;
		snprintf(curve, sizeof(curve), "%.*s", (int)n, v);
		p->tls_dh_curve = n < sizeof(curve) ? OBJ_sn2nid(curve) :
		    NID_undef;
		if (p->tls_dh_curve == NID_undef)
			p->tls_dh_curve = EC_curve_nist2nid(curve);
		if (p->tls_dh_curve == NID_undef) {
			p->tls_dh_curve = 0;
			*warning = units_strf("Unknown EECDH curve '%s'; "
			    "ignored", curve);
		}
	}
	if (*file == '\0')
		return;
	if ((bio = BIO_new_file(file, "r")) == NULL) {
		ERR_clear_error();
		*warning = tls_port_warn_more(*warning, units_strf("Failed to "
		    "open '%s': %s; DHE ciphers are disabled", file,
		    strerror(errno)));
		return;
	}
	p->tls_dh_params = PEM_read_bio_Parameters(bio, NULL);
	BIO_free(bio);
	if (p->tls_dh_params == NULL || !EVP_PKEY_is_a(p->tls_dh_params,
	    "DH")) {
		EVP_PKEY_free(p->tls_dh_params);
		p->tls_dh_params = NULL;
		*warning = tls_port_warn_more(*warning, units_strf("no DH "
		    "parameters in '%s' (%s); DHE ciphers are disabled", file,
		    tls_port_ssl_error(e, sizeof(e))));
	}
}

const EVP_MD *
tls_port_digest(const char *name)
{
	const EVP_MD *md = EVP_get_digestbyname(name);

	ERR_clear_error();
	return md;
}

/* ALPN: only ever HTTP/1.1; a client offering nothing else gets no ALPN. */
static int
tls_port_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned int i = 0;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		unsigned int n = in[i];

		if (i + 1 + n > inlen)
			break;
		if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *
tls_port_ctx_new(const struct cfg_port *p, X509 *cert, EVP_PKEY *key,
    X509 *const *chain, int nchain, char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = NULL;
	char e[256];

	if (ctx == NULL) {
		*err = units_strf("SSL_CTX_new: %s", tls_port_ssl_error(e,
		    sizeof(e)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, p->tls_min_version > TLS1_2_VERSION ?
	    p->tls_min_version : TLS1_2_VERSION);
	if (p->tls_options != 0)
		SSL_CTX_set_options(ctx, p->tls_options);
	/*
	 * Resumption by tickets only: a per-host context keeps no session
	 * cache of its own, so its memory stays what the cache counts.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (p->tls_flags & CFG_TLS_FLAG_NO_SESSION_REUSE)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (p->tls_session_context != NULL)
		SSL_CTX_set_session_id_context(ctx,
		    (const unsigned char *)p->tls_session_context,
		    (unsigned)(strlen(p->tls_session_context) <
		    SSL_MAX_SID_CTX_LENGTH ? strlen(p->tls_session_context) :
		    SSL_MAX_SID_CTX_LENGTH));
	SSL_CTX_set_alpn_select_cb(ctx, tls_port_alpn, NULL);
	if (p->tls_cipher != NULL && !SSL_CTX_set_cipher_list(ctx,
	    p->tls_cipher))
		what = "cipher=";
	if (what == NULL && p->tls_dh_params != NULL) {
		EVP_PKEY_up_ref(p->tls_dh_params);
		if (!SSL_CTX_set0_tmp_dh_pkey(ctx, p->tls_dh_params)) {
			EVP_PKEY_free(p->tls_dh_params);
			what = "tls-dh= parameters";
		}
	}
	if (what == NULL && p->tls_dh_curve != 0 &&
	    !SSL_CTX_set1_groups(ctx, &p->tls_dh_curve, 1))
		what = "tls-dh= curve";
	if (what == NULL && SSL_CTX_use_certificate(ctx, cert) != 1)
		what = "certificate";
	if (what == NULL && SSL_CTX_use_PrivateKey(ctx, key) != 1)
		what = "private key";
	for (int i = 0; what == NULL && i < nchain; i++)
		if (SSL_CTX_add1_chain_cert(ctx, chain[i]) != 1)
			what = "chain certificate";
	if (what != NULL) {
		*err = units_strf("cannot use the %s: %s", what,
		    tls_port_ssl_error(e, sizeof(e)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

char *
tls_port_cert_export(const struct cfg_port *p, int pem, size_t *len)
{
	char *out = NULL, *data;
	long n;

	if (p->tls_x509 == NULL)
		return NULL;
	/* a BIO of our own that only ever holds the certificate */
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return NULL;
	if ((pem ? PEM_write_bio_X509(bio, p->tls_x509) :
	    i2d_X509_bio(bio, p->tls_x509)) &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    (out = malloc((size_t)n)) != NULL) {
		memcpy(out, data, (size_t)n);
		*len = (size_t)n;
	}
	ERR_clear_error();
	BIO_free(bio);
	return out;
}

int
tls_port_cert_info(const struct cfg_port *p, struct tls_port_cert_info *info)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *data;
	long n;

	memset(info, 0, sizeof(*info));
	if (p->tls_x509 == NULL)
		return -1;
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio != NULL && X509_NAME_print_ex(bio,
	    X509_get_subject_name(p->tls_x509), 0,
	    XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0)
		snprintf(info->subject, sizeof(info->subject), "%.*s", (int)n,
		    data);
	if (bio != NULL && BIO_reset(bio) == 1 &&
	    ASN1_TIME_print(bio, X509_get0_notAfter(p->tls_x509)) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0)
		snprintf(info->not_after, sizeof(info->not_after), "%.*s",
		    (int)n, data);
	BIO_free(bio);
	if (X509_digest(p->tls_x509, EVP_sha256(), md, &mdlen) == 1)
		for (unsigned i = 0; i < mdlen &&
		    3 * i + 3 <= sizeof(info->sha256); i++)
			snprintf(info->sha256 + 3 * i, 4, i + 1 < mdlen ?
			    "%02X:" : "%02X", md[i]);
	ERR_clear_error();
	return 0;
}
