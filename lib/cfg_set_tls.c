/*
 * tls_outgoing_options: the words of Squid 5.7's Security::PeerOptions
 * (cafile=, capath=, cert=, key=, cipher=, options=, min-version=, flags=,
 * default-ca, domain=, disable ...), read into struct cfg_tls_outgoing.
 * Lines add up as in Squid; the table's default line (min-version=1.0)
 * comes first.  What Squid reads but cuttle does not act on warns with the
 * word; a word Squid does not know, an unknown options= or flags= name, a
 * cipher= list that selects nothing, or a missing cert=/key= file is an
 * error.  The worker's TLS client
 * (workers/tls_client.c) turns the result into an SSL_CTX.
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
cfg_tls_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return units_strf("tls_outgoing_options: unable to load %s file "
		    "'%s': %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return units_strf("tls_outgoing_options: unable to load %s file "
		    "'%s': not a file", what, path);
	return NULL;
}

/* flags=: Squid's words, ':' or ',' between them. */
static char *
cfg_tls_flags(struct conf_ctx *cx, struct cfg_tls_outgoing *t, const char *v)
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
				err = units_strf("tls_outgoing_options: previous "
				    "default-ca settings conflict with "
				    "flags=NO_DEFAULT_CA");
			conf_warn(cx, "tls_outgoing_options: flags=NO_DEFAULT_CA "
			    "is deprecated. Use default-ca=off instead.");
			t->default_ca = 0;
			t->default_ca_set = 1;
		} else if (strcmp(w, "DELAYED_AUTH") == 0 ||
		    strcmp(w, "CONDITIONAL_AUTH") == 0)
			conf_warn(cx, "tls_outgoing_options: flag %s is about "
			    "client certificates on a listening port; ignored",
			    w);
		else if (strcmp(w, "VERIFY_CRL") == 0 ||
		    strcmp(w, "VERIFY_CRL_ALL") == 0)
			conf_warn(cx, "tls_outgoing_options: flag %s is not "
			    "supported by cuttle yet; ignored", w);
		else
			err = units_strf("tls_outgoing_options: Unknown TLS "
			    "flag '%s'", w);
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

static char *
cfg_tls_word(struct conf_ctx *cx, struct cfg_tls_outgoing *t, const char *w)
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
		if ((err = cfg_tls_file("certificate", v)) != NULL)
			return err;
		cfg_tls_set(&t->cert, v);
		cfg_tls_set(&t->key, v);	/* key= may follow */
	} else if (KEY("key") && v != NULL) {
		if (t->cert == NULL)
			return units_strf("tls_outgoing_options: cert= option "
			    "must be set before key= is used.");
		if ((err = cfg_tls_file("key", v)) != NULL)
			return err;
		cfg_tls_set(&t->key, v);
	} else if (KEY("cipher") && v != NULL) {
		/* Squid is FATAL at start; say so at -k parse already */
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		int bad = ctx != NULL && !SSL_CTX_set_cipher_list(ctx, v);

		SSL_CTX_free(ctx);
		ERR_clear_error();
		if (bad)
			return units_strf("tls_outgoing_options: Failed to set "
			    "SSL cipher suite '%s': no cipher matches", v);
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
			char *e = units_strf("tls_outgoing_options: %s", err);

			free(err);
			return e;
		}
		t->options = ops;
	} else if (KEY("min-version") && v != NULL) {
		if (strlen(v) != 3 || strncmp(v, "1.", 2) != 0 || v[2] < '0' ||
		    v[2] > '3')
			return units_strf("tls_outgoing_options: Unknown TLS "
			    "minimum version: %s", v);
		t->min_version = v[2] - '0';
	} else if (KEY("flags") && v != NULL)
		return cfg_tls_flags(cx, t, v);
	else if (KEY("default-ca") && (v == NULL || strcmp(v, "on") == 0 ||
	    strcmp(v, "off") == 0)) {
		int on = v == NULL || strcmp(v, "on") == 0;

		if (t->default_ca_set && t->default_ca != on)
			return units_strf("tls_outgoing_options: previous "
			    "default-ca settings conflict with %s", w);
		t->default_ca = on;
		t->default_ca_set = 1;
	} else if (KEY("no-default-ca") && v == NULL) {
		if (t->default_ca_set && t->default_ca)
			return units_strf("tls_outgoing_options: previous "
			    "default-ca settings conflict with %s", w);
		t->default_ca = 0;
		t->default_ca_set = 1;
	} else if (KEY("no-npn") && v == NULL)
		;	/* cuttle never offers NPN */
	else if (KEY("domain") && v != NULL)
		conf_warn(cx, "tls_outgoing_options: domain= names a cache_peer's "
		    "certificate and does nothing here (origins are checked "
		    "against the requested host); ignored");
	else if ((KEY("crlfile") || KEY("version")) && v != NULL)
		conf_warn(cx, "tls_outgoing_options: %.*s= is not supported by "
		    "cuttle yet; ignored", (int)klen, w);
	else
		return units_strf("tls_outgoing_options: Unknown TLS option "
		    "'%s'", w);
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

		err = cfg_tls_word(cx, t, argv[i]);
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
	free(t->text);
	memset(t, 0, sizeof(*t));
}
