/*
 * The words of Squid 5.7's Security::PeerOptions (cafile=, capath=, cert=,
 * key=, cipher=, options=, min-version=, flags=, default-ca, domain=,
 * crlfile=, version=, disable ...), read into struct cfg_tls_outgoing: for
 * tls_outgoing_options here, and word by word (cfg_tls_option) for a
 * cache_peer's tls-/ssl options (cfg_set_peer.c).  Lines add up as in
 * Squid; the table's default line (min-version=1.0) comes first.  What
 * Squid reads but cuttle does not act on warns with the word; a word Squid
 * does not know, an unknown options= or flags= name, a cipher= list that
 * selects nothing, or a missing cert=/key=/crlfile= file is an error.  The
 * worker's TLS client (workers/tls_client.c) turns the result into an
 * SSL_CTX.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_port.h"
#include "units.h"
#include "util.h"

static char *
cfg_tls_file(const char *who, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return units_strf("%s: unable to load %s file '%s': %s", who,
		    what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return units_strf("%s: unable to load %s file '%s': not a file",
		    who, what, path);
	return NULL;
}

/* flags=: Squid's words, ':' or ',' between them. */
static char *
cfg_tls_flags(struct conf_ctx *cx, struct cfg_tls_outgoing *t, const char *v,
    const char *who)
{
	char *copy = cfg_strdup(v), *save = NULL, *err = NULL;

	t->flags = 0;	/* Squid: a later flags= replaces an earlier one */
	for (char *w = strtok_r(copy, ":,", &save); w != NULL && err == NULL;
	    w = strtok_r(NULL, ":,", &save)) {
		if (strcmp(w, "DONT_VERIFY_PEER") == 0)
			t->flags |= CFG_TLS_DONT_VERIFY_PEER;
		else if (strcmp(w, "DONT_VERIFY_DOMAIN") == 0)
			t->flags |= CFG_TLS_DONT_VERIFY_DOMAIN;
		else if (strcmp(w, "NO_SESSION_REUSE") == 0)
			t->flags |= CFG_TLS_NO_SESSION_REUSE;
		else if (strcmp(w, "NO_DEFAULT_CA") == 0) {
			if (t->default_ca_set && t->default_ca)
				err = units_strf("%s: previous default-ca "
				    "settings conflict with flags=NO_DEFAULT_CA",
				    who);
			conf_warn(cx, "%s: flags=NO_DEFAULT_CA is deprecated. "
			    "Use default-ca=off instead.", who);
			t->default_ca = 0;
			t->default_ca_set = 1;
		} else if (strcmp(w, "DELAYED_AUTH") == 0 ||
		    strcmp(w, "CONDITIONAL_AUTH") == 0)
			conf_warn(cx, "%s: flag %s is about client "
			    "certificates on a listening port; ignored", who, w);
		else if (strcmp(w, "VERIFY_CRL") == 0)
			t->flags |= CFG_TLS_VERIFY_CRL;
		else if (strcmp(w, "VERIFY_CRL_ALL") == 0)
			t->flags |= CFG_TLS_VERIFY_CRL_ALL;
		else
			err = units_strf("%s: Unknown TLS flag '%s'", who, w);
	}
	free(copy);
	return err;
}

static void
cfg_tls_set(char **field, const char *v)
{
	free(*field);
	*field = cfg_strdup(v);
}

/*
 * version=N, Squid's sslversion=: used only without min-version=, as
 * options= bits (Squid 5.7's updateTlsVersionLimits; 0-2 do nothing).
 */
static uint64_t
cfg_tls_version_options(int v)
{
	static const uint64_t all = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
	    SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3;

	switch (v) {
	case 3:
		return all & ~SSL_OP_NO_SSLv3;
	case 4:
		return all & ~SSL_OP_NO_TLSv1;
	case 5:
		return all & ~SSL_OP_NO_TLSv1_1;
	case 6:
		return all & ~SSL_OP_NO_TLSv1_2;
	}
	return 0;
}

char *
cfg_tls_option(struct conf_ctx *cx, struct cfg_tls_outgoing *t, const char *w,
    const char *who)
{
	const char *eq = strchr(w, '=');
	const char *v = eq != NULL ? eq + 1 : NULL;
	size_t klen = eq != NULL ? (size_t)(eq - w) : strlen(w);
	char *err;

#define KEY(k)	(klen == sizeof(k) - 1 && strncmp(w, k, klen) == 0)
	if (KEY("disable") && v == NULL) {
		cfg_free_tls_outgoing(t);
		t->disabled = 1;
		t->default_ca = 1;
		t->min_version = -1;
		return NULL;
	}
	t->disabled = 0;
	if (klen == 0 && v == NULL)
		return NULL;	/* a cache_peer's bare "tls" or "ssl" */
	if (KEY("cafile") && v != NULL) {
		struct cfg_str_list **tail = &t->cafiles;

		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = calloc(1, sizeof(**tail));
		if (*tail == NULL)
			return units_strf("out of memory");
		(*tail)->s = cfg_strdup(v);
	} else if (KEY("capath") && v != NULL)
		cfg_tls_set(&t->capath, v);
	else if (KEY("cert") && v != NULL) {
		if ((err = cfg_tls_file(who, "certificate", v)) != NULL)
			return err;
		cfg_tls_set(&t->cert, v);
		cfg_tls_set(&t->key, v);	/* key= may follow */
	} else if (KEY("key") && v != NULL) {
		if (t->cert == NULL)
			return units_strf("%s: cert= option must be set before "
			    "key= is used.", who);
		if ((err = cfg_tls_file(who, "key", v)) != NULL)
			return err;
		cfg_tls_set(&t->key, v);
	} else if (KEY("cipher") && v != NULL) {
		/* Squid is FATAL at start; say so at -k parse already */
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		int bad = ctx != NULL && !SSL_CTX_set_cipher_list(ctx, v);

		SSL_CTX_free(ctx);
		ERR_clear_error();
		if (bad)
			return units_strf("%s: Failed to set SSL cipher suite "
			    "'%s': no cipher matches", who, v);
		cfg_tls_set(&t->cipher, v);
	}
	else if (KEY("options") && v != NULL) {
		uint64_t ops = 0;
		char *warning = NULL;

		/*
		 * The ports' options= parser: an unknown name stops the
		 * config (Squid only logs it, and the option the admin meant,
		 * often NO_TLSv1..., is silently not set).  A later options=
		 * replaces an earlier one, as in Squid.
		 */
		err = tls_port_parse_options(v, &ops, &warning);
		free(warning);
		if (err != NULL) {
			char *e = units_strf("%s: %s", who, err);

			free(err);
			return e;
		}
		t->options = ops;
	} else if (KEY("min-version") && v != NULL) {
		if (strlen(v) != 3 || strncmp(v, "1.", 2) != 0 || v[2] < '0' ||
		    v[2] > '3')
			return units_strf("%s: Unknown TLS minimum version: %s",
			    who, v);
		t->min_version = v[2] - '0';
	} else if (KEY("flags") && v != NULL)
		return cfg_tls_flags(cx, t, v, who);
	else if (KEY("default-ca") && (v == NULL || strcmp(v, "on") == 0 ||
	    strcmp(v, "off") == 0)) {
		int on = v == NULL || strcmp(v, "on") == 0;

		if (t->default_ca_set && t->default_ca != on)
			return units_strf("%s: previous default-ca settings "
			    "conflict with %s", who, w);
		t->default_ca = on;
		t->default_ca_set = 1;
	} else if (KEY("no-default-ca") && v == NULL) {
		if (t->default_ca_set && t->default_ca)
			return units_strf("%s: previous default-ca settings "
			    "conflict with %s", who, w);
		t->default_ca = 0;
		t->default_ca_set = 1;
	} else if (KEY("no-npn") && v == NULL)
		;	/* cuttle never offers NPN */
	else if (KEY("domain") && v != NULL)
		cfg_tls_set(&t->domain, v);
	else if (KEY("crlfile") && v != NULL) {
		/* Squid loads it at once and checks certificates against it */
		if ((err = cfg_tls_file(who, "CRL", v)) != NULL)
			return err;
		cfg_tls_set(&t->crlfile, v);
	} else if (KEY("version") && v != NULL) {
		int n;

		conf_warn(cx, "%s: UPGRADE WARNING: SSL version= is deprecated. "
		    "Use options= and tls-min-version= to limit protocols "
		    "instead.", who);
		if ((err = cfg_xatoi(v, &n)) != NULL) {
			char *e = units_strf("%s: version=%s: %s", who, v, err);

			free(err);
			return e;
		}
		t->version_options = cfg_tls_version_options(n);
	} else
		return units_strf("%s: Unknown TLS option '%s'", who, w);
#undef KEY
	return NULL;
}

char *
cfg_set_tls_outgoing(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_tls_outgoing *t = field;
	char *err = NULL;

	if (t->text == NULL) {
		/* the first line (the default's): Squid's initial state */
		t->default_ca = 1;
		t->min_version = -1;
	}
	for (int i = 0; i < argc && err == NULL; i++) {
		char *text = t->text != NULL ? units_strf("%s %s", t->text,
		    argv[i]) : cfg_strdup(argv[i]);

		err = cfg_tls_option(cx, t, argv[i], "tls_outgoing_options");
		if (err == NULL && t->domain != NULL) {
			conf_warn(cx, "tls_outgoing_options: domain= names a "
			    "cache_peer's certificate and does nothing here "
			    "(origins are checked against the requested host); "
			    "ignored");
			free(t->domain);
			t->domain = NULL;
		}
		free(t->text);
		t->text = text;
	}
	return err;
}

void
cfg_free_tls_outgoing(struct cfg_tls_outgoing *t)
{
	cfg_free_str_list(&t->cafiles);
	free(t->capath);
	free(t->cert);
	free(t->key);
	free(t->cipher);
	free(t->domain);
	free(t->crlfile);
	free(t->text);
	memset(t, 0, sizeof(*t));
}
