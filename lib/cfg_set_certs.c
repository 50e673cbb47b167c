/*
 * Handlers of what decides a bumped connection's certificate: the TLS and
 * SslBump options of a port line (tls-cert=, tls-key=, the context options,
 * generate-host-certificates, dynamic_cert_mem_cache_size), then
 * sslcrtd_program's children, sslproxy_cert_sign, sslproxy_cert_adapt and
 * sslproxy_cert_sign_hash, each read as Squid 5.7 reads it, and cuttle's
 * ssl_bump_cert_key.  What the
 * options mean to OpenSSL is lib/tls_port.c's business.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

#include "tls_mint.h"
#include "tls_port.h"
#include "units.h"

/* The longest CN Squid takes in setCommonName{CN} (RFC 5280 ub-common-name). */
#define CFG_CERT_CN_MAX	64

static void
cfg_port_tls_warn(struct conf_ctx *cx, const char *opt, char *warning)
{
	if (warning != NULL)
		conf_warn(cx, "%s option '%s': %s", cx->name, opt, warning);
	free(warning);
}

static int
cfg_opt_is(const char *opt, const char *name)
{
	return strncmp(opt, name, strlen(name)) == 0;
}

int
cfg_port_tls_option(struct conf_ctx *cx, struct cfg_port *p, const char *opt,
    char **err)
{
	const char *v = strchr(opt, '=');
	char *warning = NULL;

	v = v != NULL ? v + 1 : "";
	*err = NULL;
	if (cfg_opt_is(opt, "tls-cert=") || cfg_opt_is(opt, "cert=")) {
		free(p->tls_cert);
		p->tls_cert = cfg_strdup(v);
		p->tls_cert_opt = opt[0] == 't' ? "tls-cert=" : "cert=";
	} else if (cfg_opt_is(opt, "tls-key=") || cfg_opt_is(opt, "key=")) {
		free(p->tls_key);
		p->tls_key = cfg_strdup(v);
		p->tls_key_opt = opt[0] == 't' ? "tls-key=" : "key=";
	} else if (strcmp(opt, "generate-host-certificates") == 0)
		p->generate_host_certificates = 1;
	else if (cfg_opt_is(opt, "generate-host-certificates=")) {
		if ((*err = units_bool(v, &p->generate_host_certificates,
		    &warning)) != NULL)
			return 1;
		free(warning);
	} else if (cfg_opt_is(opt, "dynamic_cert_mem_cache_size="))
		*err = units_size_glued(v, &p->dynamic_cert_mem_cache_size);
	else if (cfg_opt_is(opt, "options=") || cfg_opt_is(opt,
	    "tls-options=")) {
		*err = tls_port_parse_options(v, &p->tls_options, &warning);
		cfg_port_tls_warn(cx, opt, warning);
	} else if (cfg_opt_is(opt, "cipher=") || cfg_opt_is(opt,
	    "tls-cipher=")) {
		free(p->tls_cipher);
		p->tls_cipher = cfg_strdup(v);
		*err = tls_port_check_cipher(v);
	} else if (cfg_opt_is(opt, "tls-dh=") || cfg_opt_is(opt,
	    "dhparams=")) {
		if (opt[0] == 'd')
			conf_warn(cx, "'%s' is deprecated in %s. Use 'tls-dh=' "
			    "instead.", opt, cx->name);
		free(p->tls_dh);
		p->tls_dh = cfg_strdup(v);
		tls_port_load_dh(p, v, &warning);
		cfg_port_tls_warn(cx, opt, warning);
	} else if (cfg_opt_is(opt, "tls-min-version=")) {
		*err = tls_port_parse_min_version(v, &p->tls_min_version,
		    &warning);
		cfg_port_tls_warn(cx, opt, warning);
	} else if (cfg_opt_is(opt, "sslflags=") || cfg_opt_is(opt,
	    "tls-flags=")) {
		*err = tls_port_parse_flags(v, &p->tls_flags, &warning);
		cfg_port_tls_warn(cx, opt, warning);
	} else if (cfg_opt_is(opt, "sslcontext=")) {
		free(p->tls_session_context);
		p->tls_session_context = cfg_strdup(v);
	} else if (strcmp(opt, "tls-no-npn") != 0)
		return 0;	/* cuttle never offers NPN: nothing to turn off */
	if (*err != NULL) {
		char *e = units_strf("%s option '%s': %s", cx->name, opt, *err);
		free(*err);
		*err = e;
	}
	return 1;
}

char *
cfg_port_tls_finish(struct conf_ctx *cx, struct cfg_port *p)
{
	const struct cfg *running = CFG_BASE(cx)->running;
	char *warning, *err;

	if (p->tls_cert_opt == NULL)
		p->tls_cert_opt = "tls-cert=";
	if (p->tls_key_opt == NULL)
		p->tls_key_opt = "tls-key=";
	err = tls_port_load(p, cx->name, running != NULL ? running->ports :
	    NULL, &warning);
	if (warning != NULL)
		conf_warn(cx, "%s %s", cx->name, warning);
	free(warning);
	return err;
}

/* "N [startup=N] [idle=N] [queue-size=N]", Squid's 32 startup=5 idle=1 */
char *
cfg_set_sslcrtd_children(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_helper_children *ch = field;
	char *err = cfg_set_helper_children(cx, field, argc, argv);

	if (err == NULL && ch->concurrency > 0) {
		/* Squid would send channel IDs that no certificate generator reads */
		conf_warn(cx, "%s: concurrency=%d is ignored: the certificate "
		    "generator protocol has no channel IDs, one request at a "
		    "time goes to each helper", cx->name, ch->concurrency);
		ch->concurrency = 0;
	}
	return err;
}

void
cfg_free_cert_rules(struct cfg_cert_rule **list)
{
	struct cfg_cert_rule *r;

	while ((r = *list) != NULL) {
		*list = r->next;
		free(r->param);
		free(r->refs);
		free(r->file);
		free(r);
	}
}

/* The ACLs of a rule, then the rule at the end of the list. */
static char *
cfg_cert_rule_add(struct conf_ctx *cx, struct cfg_cert_rule **list,
    struct cfg_cert_rule *r, const char *word, int argc, char **argv)
{
	char *err;

	err = acl_refs_parse(&CFG_BASE(cx)->acls, argv, argc, &r->refs,
	    &r->nrefs);
	if (err != NULL) {
		free(r->param);
		free(r);
		return err;
	}
	if (argc == 0)
		conf_warn(cx, "%s %s has no ACL: it never matches, as in Squid",
		    cx->name, word);
	r->file = cfg_strdup(cx->file);
	r->line = cx->line;
	while (*list != NULL)
		list = &(*list)->next;
	*list = r;
	return NULL;
}

/* sslproxy_cert_sign signTrusted|signUntrusted|signSelf acl... */
char *
cfg_set_cert_sign(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_cert_rule *r;
	int alg = tls_mint_sign_parse(argv[0]);

	if (alg == -1)
		return units_strf("%s: unknown cert signing algorithm: %s",
		    cx->name, argv[0]);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->alg = alg;
	return cfg_cert_rule_add(cx, field, r, argv[0], argc - 1, argv + 1);
}

/* sslproxy_cert_adapt setValidAfter|setValidBefore|setCommonName[{CN}] acl... */
char *
cfg_set_cert_adapt(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	static const char *const names[] = {
		"setValidAfter", "setValidBefore", "setCommonName"
	};
	const char *word = argv[0], *brace = strchr(word, '{'), *close;
	size_t n = brace != NULL ? (size_t)(brace - word) : strlen(word);
	struct cfg_cert_rule *r;
	int alg = -1;

	for (int i = 0; i < 3; i++)
		if (strlen(names[i]) == n && strncmp(word, names[i], n) == 0)
			alg = i;
	if (alg == -1)
		return units_strf("%s: unknown cert adaptation algorithm: %.*s",
		    cx->name, (int)n, word);
	if (brace != NULL && (close = strchr(brace + 1, '}')) == NULL)
		return units_strf("%s: '%s' lacks its closing '}'", cx->name,
		    word);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->alg = alg;
	/* as Squid, only setCommonName takes its {value} */
	if (brace != NULL && alg == CFG_CERT_SET_COMMON_NAME) {
		if ((size_t)(close - brace - 1) > CFG_CERT_CN_MAX) {
			free(r);
			return units_strf("%s: %s : using common name longer "
			    "than %d bytes is not supported", cx->name, word,
			    CFG_CERT_CN_MAX);
		}
		r->param = strndup(brace + 1, (size_t)(close - brace - 1));
		if (r->param == NULL)
			abort();
	}
	return cfg_cert_rule_add(cx, field, r, argv[0], argc - 1, argv + 1);
}

/* sslproxy_cert_sign_hash NAME: a digest OpenSSL knows */
char *
cfg_set_cert_sign_hash(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	char **v = field;

	(void)cx;
	(void)argc;
	if (tls_port_digest(argv[0]) == NULL)
		return units_strf("Sign hash '%s' is not supported", argv[0]);
	free(*v);
	*v = cfg_strdup(argv[0]);
	return NULL;
}

/* ssl_bump_cert_key ecdsa|ca */
char *
cfg_set_cert_key(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	(void)cx;
	(void)argc;
	if (strcmp(argv[0], "ecdsa") == 0)
		*(int *)field = 0;
	else if (strcmp(argv[0], "ca") == 0)
		*(int *)field = 1;
	else
		return units_strf("Invalid ssl_bump_cert_key value '%s': "
		    "expected ecdsa or ca", argv[0]);
	return NULL;
}
