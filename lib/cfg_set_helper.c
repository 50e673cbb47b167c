/*
 * Handlers of the helper directives: a program line, `children N
 * startup= idle= concurrency= queue-size=`, the request formats, and
 * auth_param with its per-scheme parameters.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "extacl.h"
#include "logformat.h"
#include "units.h"
#include "util.h"

/* "N [startup=N] [idle=N] [concurrency=N] [queue-size=N] [on-...=]" */
char *
cfg_set_helper_children(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_helper_children *ch = field, v = { 0, 0, 1, 0, -1 };
	char *end;
	long n = strtol(argv[0], &end, 10);

	if (*end != '\0' || n < 1 || n > 10000)
		return units_strf("%s: invalid number of children '%s'",
		    cx->name, argv[0]);
	v.n_max = (int)n;
	for (int i = 1; i < argc; i++) {
		static const struct {
			const char *name;
			size_t off;
		} opts[] = {
			{ "startup=", offsetof(struct cfg_helper_children,
			    n_startup) },
			{ "idle=", offsetof(struct cfg_helper_children, n_idle) },
			{ "concurrency=", offsetof(struct cfg_helper_children,
			    concurrency) },
			{ "queue-size=", offsetof(struct cfg_helper_children,
			    queue_size) },
		};
		size_t k;

		if (strncmp(argv[i], "on-persistent-overload=", 23) == 0) {
			/* we never die of overload; say so, not silently */
			conf_warn(cx, "%s: option '%s' is not supported by "
			    "cuttle; ignored", cx->name, argv[i]);
			continue;
		}
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strncmp(argv[i], opts[k].name,
			    strlen(opts[k].name)) == 0)
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return units_strf("%s: unknown option '%s'", cx->name,
			    argv[i]);
		n = strtol(argv[i] + strlen(opts[k].name), &end, 10);
		if (*end != '\0' || end == argv[i] + strlen(opts[k].name) ||
		    n < 0 || n > 100000)
			return units_strf("%s: invalid value in '%s'",
			    cx->name, argv[i]);
		*(int *)((char *)&v + opts[k].off) = (int)n;
	}
	if (v.n_startup > v.n_max)
		v.n_startup = v.n_max;
	if (v.n_idle > v.n_max)
		v.n_idle = v.n_max;
	if (v.n_idle < 1)
		v.n_idle = 1;
	*ch = v;
	return NULL;
}

void
cfg_free_argv(char ***field)
{
	if (*field == NULL)
		return;
	for (int i = 0; (*field)[i] != NULL; i++)
		free((*field)[i]);
	free(*field);
	*field = NULL;
}

void
cfg_free_url_helper(struct cfg_url_helper *h)
{
	cfg_free_argv(&h->program);
	access_list_free(&h->access);
	if (h->extras != NULL)
		logformat_free(h->extras);
	h->extras = NULL;
	free(h->timeout_response);
	h->timeout_response = NULL;
}

/*
 * The words of a key="quoted value" option from argv[*i] on, unquoted and
 * joined by single spaces (the engine split them: Squid's key=value reader
 * takes a quoted value whole); *i is left on its last word.
 */
static char *
cfg_helper_kv_value(int argc, char **argv, int *i, const char *value)
{
	size_t n;
	char *v;

	if (*value != '"')
		return xstrdup(value);
	v = xstrdup(value + 1);
	while ((n = strlen(v)) == 0 || v[n - 1] != '"') {
		if (*i + 1 >= argc)
			return v;	/* no closing quote: take what there is */
		v = xrealloc(v, n + strlen(argv[*i + 1]) + 2);
		v[n] = ' ';
		strcpy(v + n + 1, argv[++*i]);
	}
	v[n - 1] = '\0';
	return v;
}

/*
 * url_rewrite_timeout TIME [UNIT] [on_timeout=ACTION] [response="..."]:
 * Squid's parse_UrlHelperTimeout.  A missing unit is seconds, with
 * Squid's warning; a word that is not key=value ends the options with
 * Squid's complaint, as Squid goes on without them.  Like Squid, a
 * repeated line keeps the earlier action and response unless it sets them.
 */
char *
cfg_set_helper_timeout(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	static const char *const actions[] = { "bypass", "fail", "retry",
	    "use_configured_response" };
	struct cfg_url_helper *h = field;
	int i = 1;
	char *err;

	/* the number alone first: Squid takes "0" without looking further */
	if ((err = units_time(argv[0], "second", &h->timeout_ms)) != NULL)
		return err;
	if (h->timeout_ms == 0)
		;
	else if (argc > 1 && (err = units_time(argv[0], argv[1],
	    &h->timeout_ms)) == NULL)
		i = 2;
	else {
		free(err);	/* argv[1] is no unit: an option, or junk */
		conf_warn(cx, "%s: missing time unit, using deprecated "
		    "default 'second'", cx->name);
	}
	for (; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		size_t k;

		if (eq == NULL || eq[1] == '\0') {
			conf_warn(cx, "Error while parsing key=value token. "
			    "Value missing after: %s", argv[i]);
			break;
		}
		*eq = '\0';
		if (strcasecmp(argv[i], "on_timeout") == 0) {
			for (k = 0; k < sizeof(actions) / sizeof(actions[0]);
			    k++)
				if (strcasecmp(eq + 1, actions[k]) == 0)
					break;
			if (k == sizeof(actions) / sizeof(actions[0]))
				return units_strf("unsupported \"on_timeout\" "
				    "action: %s", eq + 1);
			h->on_timeout = (enum cfg_helper_on_timeout)k;
		} else if (strcasecmp(argv[i], "response") == 0) {
			free(h->timeout_response);
			h->timeout_response = cfg_helper_kv_value(argc, argv,
			    &i, eq + 1);
		} else
			return units_strf("unsupported option %s", argv[i]);
	}
	if (h->on_timeout == CFG_ON_TIMEOUT_USE_CONFIGURED_RESPONSE &&
	    h->timeout_response == NULL)
		return units_strf("Expected 'response=' option after "
		    "'on_timeout=use_configured_response' option");
	if (h->on_timeout != CFG_ON_TIMEOUT_USE_CONFIGURED_RESPONSE &&
	    h->timeout_response != NULL)
		return units_strf("'response=' option is valid only when used "
		    "with the 'on_timeout=use_configured_response' option");
	return NULL;
}

/* A helper's command line as an argv (execvp looks the program up). */
char *
cfg_set_helper_program(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	char ***v = field;

	cfg_free_argv(v);
	if (argc == 1 && strcmp(argv[0], "none") == 0)
		return NULL;
	if ((*v = calloc((size_t)argc + 1, sizeof(**v))) == NULL)
		abort();
	for (int i = 0; i < argc; i++)
		(*v)[i] = cfg_strdup(argv[i]);
	return NULL;
}

/* A logformat specification, quoted or not, for a helper's extras. */
char *
cfg_set_helper_format(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct logformat **f = field, *nf;
	const char *rest = cx->rest;
	size_t len = strlen(rest);
	char *spec, *err = NULL;

	while (len > 0 && (rest[len - 1] == ' ' || rest[len - 1] == '\t' ||
	    rest[len - 1] == '\n' || rest[len - 1] == '\r'))
		len--;
	if (len >= 2 && rest[0] == '"' && rest[len - 1] == '"') {
		size_t j = 0;
		if ((spec = malloc(len)) == NULL)
			abort();
		for (size_t i = 1; i < len - 1; i++) {
			if (rest[i] == '\\' && i + 1 < len - 1)
				i++;
			spec[j++] = rest[i];
		}
		spec[j] = '\0';
	} else if ((spec = strndup(rest, len)) == NULL)
		abort();
	nf = logformat_compile(cx->name, spec, &err);
	free(spec);
	if (nf == NULL)
		return err != NULL ? err : units_strf("%s: invalid format",
		    cx->name);
	if (*f != NULL)
		logformat_free(*f);
	*f = nf;
	return NULL;
}

/* The raw text after the first n words of cx->rest, trailing space cut. */
char *
cfg_rest_after(const struct conf_ctx *cx, int n)
{
	const char *p = cx->rest;
	size_t len;

	for (int i = 0; i < n; i++) {
		p += strspn(p, " \t");
		p += strcspn(p, " \t\r\n");
	}
	p += strspn(p, " \t");
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
	    p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	return strndup(p, len);
}

/*
 * As Squid's parse_authparam: a scheme takes its place in the order of
 * the 407's challenges with its first auth_param line, whatever the
 * parameter.
 */
static void
cfg_auth_scheme_named(struct cfg *cfg, enum cfg_auth_scheme s)
{
	for (int i = 0; i < cfg->auth_norder; i++)
		if (cfg->auth_order[i] == s)
			return;
	cfg->auth_order[cfg->auth_norder++] = s;
}

/*
 * "auth_param SCHEME PARAM VALUE...".  Basic is here, digest in
 * cfg_set_digest.c, negotiate in cfg_set_negotiate.c; ntlm lines warn and
 * are ignored so real configs load (their proxy_auth ACLs then never
 * match), and unknown schemes are refused as Squid refuses them.
 */
char *
cfg_auth_key_extras(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct conf_ctx sub = *cx;
	char *rest = cfg_rest_after(cx, 2), *err;

	if (rest == NULL)
		abort();
	sub.rest = rest;
	err = cfg_set_helper_format(&sub, field, argc - 2, argv + 2);
	free(rest);
	return err;
}

char *
cfg_set_auth_param(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_auth_basic *b = field;
	const char *param = argv[1];
	char *def[] = { "20", "startup=0", "idle=1", "concurrency=0" };
	char *ttl[] = { "2", "hours" };

	if (strcmp(argv[0], "basic") == 0)
		cfg_auth_scheme_named(CFG_BASE(cx), CFG_AUTH_BASIC);
	else if (strcmp(argv[0], "digest") == 0) {
		cfg_auth_scheme_named(CFG_BASE(cx), CFG_AUTH_DIGEST);
		return cfg_set_auth_digest(cx, argc, argv);
	} else if (strcmp(argv[0], "negotiate") == 0) {
		cfg_auth_scheme_named(CFG_BASE(cx), CFG_AUTH_NEGOTIATE);
		return cfg_set_auth_negotiate(cx, argc, argv);
	}
	if (strcmp(argv[0], "ntlm") == 0) {
		if (strcmp(param, "program") == 0) {
			CFG_BASE(cx)->auth_other_scheme = 1;
			conf_warn(cx, "auth_param %s is not supported by cuttle; "
			    "ignored (its proxy_auth ACLs never match)",
			    argv[0]);
		}
		return NULL;
	}
	if (strcmp(argv[0], "basic") != 0)
		return units_strf("Bungled %s %s: unknown authentication "
		    "scheme '%s'", cx->name, argv[0], argv[0]);
	if (!b->seen) {
		b->seen = 1;
		(void)cfg_set_helper_children(cx, &b->children, 4, def);
		(void)conf_set_time(cx, &b->credentialsttl, 2, ttl);
		b->realm = cfg_strdup("Squid proxy-caching web server");
	}
	if (argc < 3 && strcmp(param, "program") != 0)
		return units_strf("%s basic %s: missing value", cx->name, param);
	if (strcmp(param, "program") == 0) {
		if (argc < 3)
			return units_strf("%s basic program: missing command "
			    "line", cx->name);
		return cfg_set_helper_program(cx, &b->program, argc - 2,
		    argv + 2);
	}
	if (strcmp(param, "children") == 0)
		return cfg_set_helper_children(cx, &b->children, argc - 2,
		    argv + 2);
	if (strcmp(param, "realm") == 0) {
		free(b->realm);
		if ((b->realm = cfg_rest_after(cx, 2)) == NULL)
			abort();
		return NULL;
	}
	if (strcmp(param, "credentialsttl") == 0)
		return conf_set_time(cx, &b->credentialsttl, argc - 2, argv + 2);
	if (strcmp(param, "casesensitive") == 0)
		return conf_set_bool(cx, &b->casesensitive, argc - 2, argv + 2);
	if (strcmp(param, "utf8") == 0)
		return conf_set_bool(cx, &b->utf8, argc - 2, argv + 2);
	if (strcmp(param, "key_extras") == 0)
		return cfg_auth_key_extras(cx, &b->key_extras, argc, argv);
	/* Squid only complains about this one */
	conf_warn(cx, "Unrecognised basic auth scheme parameter '%s'", param);
	return NULL;
}

/* external_acl_type NAME [options] FORMAT... /path/helper [args] */
char *
cfg_set_external_acl_type(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	char *warning = NULL, *err;

	err = extacl_type_parse(field, argv, argc, &warning);
	if (warning != NULL) {
		conf_warn(cx, "%s", warning);
		free(warning);
	}
	return err;
}
