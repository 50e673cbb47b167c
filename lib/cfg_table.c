/*
 * cfg_table: the directive table that fills struct cfg, with Squid 5.7's
 * defaults (Debian build), and the handlers for directives whose value type
 * is not one of conf.c's generic setters.  Every Squid directive has a row:
 * the ones cuttle does not implement yet warn and are ignored so that real
 * configs load, obsolete ones warn with Squid's hint.  The table must stay
 * sorted by name (conf_load checks it).
 */
#include "config.h"
#include "cfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "logformat.h"
#include "units.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc/cuttle"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/share/cuttle"
#endif

#define CFG_LOGDIR	LOCALSTATEDIR "/log/cuttle/"

#define CFG(x)	offsetof(struct cfg, x)
#define CFG_BASE(cx)	((struct cfg *)(cx)->base)

const char *
cfg_default_error_directory(void)
{
	const char *dir = getenv("CUTTLE_ERROR_DIRECTORY");

	if (dir != NULL && *dir != '\0')
		return dir;
	return PKGDATADIR "/errors/templates";
}

static char *
cfg_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/*
 * "[!]acl..." words into a malloc'd array; for directives whose rule is
 * not an allow/deny list.  missing_ok drops unknown names with a warning
 * (deny_info: Squid only looks them up when a request is denied).
 */
static char *
cfg_refs(struct conf_ctx *cx, char **argv, int argc, struct acl_ref **refs,
    int *nrefs, int missing_ok)
{
	struct acl_ref *r;
	int n = 0;

	*refs = NULL;
	*nrefs = 0;
	if (argc == 0)
		return NULL;
	if ((r = calloc((size_t)argc, sizeof(*r))) == NULL)
		abort();
	for (int i = 0; i < argc; i++) {
		const char *name = argv[i];
		int negate = 0;

		if (*name == '!') {
			negate = 1;
			name++;
		}
		if ((r[n].acl = acl_find(&CFG_BASE(cx)->acls, name)) == NULL) {
			if (missing_ok) {
				conf_warn(cx, "ACL not found: %s", name);
				continue;
			}
			free(r);
			return units_strf("ACL not found: %s", name);
		}
		r[n++].negate = negate;
	}
	*refs = r;
	*nrefs = n;
	return NULL;
}

/* A numeric address, v4 or v6 (brackets allowed), into ss. */
static int
cfg_numeric_addr(const char *s, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* Ports */

static char *
cfg_port_addr(struct cfg_port *p, const char *spec)
{
	const char *colon, *portstr = spec;
	char *host = NULL, *end;
	long port;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':')
			return units_strf("Invalid address '%s'", spec);
		host = strndup(spec, (size_t)(close - spec + 1));
		portstr = close + 2;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		host = strndup(spec, (size_t)(colon - spec));
		portstr = colon + 1;
	}
	port = strtol(portstr, &end, 10);
	if (*portstr == '\0' || *end != '\0' || port < 1 || port > 65535) {
		free(host);
		return units_strf("missing Port: %s", spec);
	}
	p->port = (int)port;
	if (host == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;

		memset(&p->addr, 0, sizeof(p->addr));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)port);
		p->addrlen = sizeof(*sin);
		return NULL;
	}
	if (cfg_numeric_addr(host, p->port, &p->addr, &p->addrlen) == -1) {
		struct addrinfo hints, *res;

		/* Squid resolves a host name here, once, at startup */
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (*host == '\0' ||
		    getaddrinfo(host, NULL, &hints, &res) != 0) {
			char *err = units_strf("Invalid address '%s' in '%s'",
			    host, spec);

			free(host);
			return err;
		}
		memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
		p->addrlen = res->ai_addrlen;
		if (p->addr.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&p->addr)->sin6_port =
			    htons((uint16_t)port);
		else
			((struct sockaddr_in *)&p->addr)->sin_port =
			    htons((uint16_t)port);
		freeaddrinfo(res);
	}
	free(host);
	return NULL;
}

/* Squid options cuttle accepts but does not act on yet. */
static const char *const cfg_port_later[] = {
	"act-as-origin", "allow-direct", "capath=", "cafile=", "cipher=",
	"clientca=", "connection-auth=", "crlfile=", "defaultsite=",
	"dhparams=", "disable-pmtu-discovery=", "ignore-cc",
	"no-connection-auth",
	"options=", "protocol=", "require-proxy-header", "sslcontext=",
	"sslflags=", "tcpkeepalive", "tls-cafile=", "tls-default-ca",
	"tls-dh=", "tls-min-version=", "tls-no-npn", "version=", "vhost",
	"vport", "worker-queues", NULL
};

static int
cfg_port_option_later(const char *opt)
{
	for (int i = 0; cfg_port_later[i] != NULL; i++) {
		const char *o = cfg_port_later[i];
		size_t n = strlen(o);

		if (o[n - 1] == '=' ? strncmp(opt, o, n) == 0 :
		    strcmp(opt, o) == 0 || (strncmp(opt, o, n) == 0 &&
		    opt[n] == '='))
			return 1;
	}
	return 0;
}

static char *
cfg_port_option(struct conf_ctx *cx, struct cfg_port *p, const char *opt)
{
	const char *v = strchr(opt, '=');
	char *err, *warning;

	v = v != NULL ? v + 1 : NULL;
	if (strcmp(opt, "intercept") == 0)
		p->intercept = 1;
	else if (strcmp(opt, "transparent") == 0) {
		conf_warn(cx, "%s option 'transparent' is deprecated, use "
		    "'intercept'", cx->name);
		p->intercept = 1;
	} else if (strcmp(opt, "tproxy") == 0)
		p->tproxy = 1;
	else if (strcmp(opt, "accel") == 0)
		p->accel = 1;
	else if (strcmp(opt, "ssl-bump") == 0 || strcmp(opt, "sslBump") == 0)
		p->ssl_bump = 1;
	else if (strncmp(opt, "name=", 5) == 0) {
		free(p->name);
		p->name = cfg_strdup(v);
	} else if (strncmp(opt, "tls-cert=", 9) == 0 ||
	    strncmp(opt, "cert=", 5) == 0) {
		free(p->tls_cert);
		p->tls_cert = cfg_strdup(v);
	} else if (strncmp(opt, "tls-key=", 8) == 0 ||
	    strncmp(opt, "key=", 4) == 0) {
		free(p->tls_key);
		p->tls_key = cfg_strdup(v);
	} else if (strcmp(opt, "generate-host-certificates") == 0)
		p->generate_host_certificates = 1;
	else if (strncmp(opt, "generate-host-certificates=", 27) == 0) {
		if ((err = units_bool(v, &p->generate_host_certificates,
		    &warning)) != NULL)
			return err;
		free(warning);
	} else if (strncmp(opt, "dynamic_cert_mem_cache_size=", 28) == 0) {
		if ((err = units_size_glued(v, &p->dynamic_cert_mem_cache_size))
		    != NULL)
			return err;
	} else if (cfg_port_option_later(opt))
		conf_warn(cx, "%s option '%s' is not supported by cuttle yet; "
		    "ignored", cx->name, opt);
	else
		return units_strf("Unknown %s option '%s'.", cx->name, opt);
	return NULL;
}

static char *
cfg_set_port(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_port *p, **tail;
	char *err;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	p->spec = cfg_strdup(argv[0]);
	p->is_https = strcmp(cx->name, "https_port") == 0;
	/* Squid's defaults: minting on with ssl-bump, a 4 MB context cache */
	p->generate_host_certificates = 1;
	p->dynamic_cert_mem_cache_size = 4 * 1024 * 1024;
	p->file = cfg_strdup(cx->file);
	p->line = cx->line;
	p->fd = -1;
	err = cfg_port_addr(p, argv[0]);
	for (int i = 1; err == NULL && i < argc; i++)
		err = cfg_port_option(cx, p, argv[i]);
	if (err == NULL && p->intercept && p->tproxy)
		err = units_strf("%s: 'intercept' and 'tproxy' cannot be used "
		    "together", cx->name);
	if (err == NULL && p->accel && (p->intercept || p->tproxy))
		err = units_strf("%s: 'accel' cannot be used with 'intercept' "
		    "or 'tproxy'", cx->name);
	if (err == NULL && p->is_https && p->tls_cert == NULL)
		err = units_strf("https_port requires tls-cert=");
	if (err == NULL && p->is_https && p->ssl_bump &&
	    !p->intercept && !p->tproxy)
		err = units_strf("https_port: ssl-bump requires 'intercept' or "
		    "'tproxy'");
	if (err == NULL && p->is_https && !p->ssl_bump &&
	    (p->intercept || p->tproxy))
		err = units_strf("https_port: 'intercept' and 'tproxy' require "
		    "ssl-bump");
	if (err == NULL && p->ssl_bump && p->tls_cert == NULL)
		err = units_strf("%s: ssl-bump requires tls-cert= (a CA "
		    "certificate to sign generated certificates)", cx->name);
	if (err != NULL) {
		struct cfg_port *one = p;

		one->next = NULL;
		free(one->spec);
		free(one->name);
		free(one->tls_cert);
		free(one->tls_key);
		free(one->file);
		free(one);
		return err;
	}
	if (p->name == NULL)
		p->name = cfg_strdup(p->spec);
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	return NULL;
}

/* Logs */

static struct logformat *
cfg_find_format(struct cfg *cfg, const char *name)
{
	for (struct cfg_logformat *lf = cfg->logformats; lf != NULL;
	    lf = lf->next)
		if (strcmp(lf->name, name) == 0)
			return lf->format;
	return logformat_builtin(name);
}

static const char *const cfg_log_modules[] = {
	"stdio", "daemon", "syslog", "udp", "tcp", "none", NULL
};

static char *
cfg_set_access_log(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	struct cfg_access_log *al, **tail;
	const char *fmt = NULL, *colon;
	char *err = NULL;
	int i = 1;

	if ((al = calloc(1, sizeof(*al))) == NULL)
		abort();
	al->fd = -1;
	if (strcmp(argv[0], "none") != 0) {
		al->module = cfg_strdup("stdio");
		al->path = cfg_strdup(argv[0]);
		colon = strchr(argv[0], ':');
		for (int m = 0; colon != NULL && cfg_log_modules[m] != NULL;
		    m++) {
			size_t n = (size_t)(colon - argv[0]);

			if (strlen(cfg_log_modules[m]) != n ||
			    strncmp(argv[0], cfg_log_modules[m], n) != 0)
				continue;
			free(al->module);
			free(al->path);
			al->module = strndup(argv[0], n);
			/* udp://host:port loses the slashes */
			al->path = cfg_strdup(colon[1] == '/' &&
			    colon[2] == '/' ? colon + 3 : colon + 1);
			break;
		}
		if (al->module != NULL && strcmp(al->module, "none") == 0) {
			free(al->module);
			free(al->path);
			al->module = al->path = NULL;
		}
	}
	/* options, then an optional format name, then ACLs */
	for (; i < argc && strchr(argv[i], '=') != NULL; i++) {
		if (strncmp(argv[i], "logformat=", 10) == 0)
			fmt = argv[i] + 10;
		else if (strncmp(argv[i], "buffer-size=", 12) == 0 ||
		    strncmp(argv[i], "rotate=", 7) == 0 ||
		    strncmp(argv[i], "on-error=", 9) == 0)
			conf_warn(cx, "access_log option '%s' is not supported "
			    "by cuttle yet; ignored", argv[i]);
		else {
			err = units_strf("Unknown access_log option '%s'",
			    argv[i]);
			goto fail;
		}
	}
	/* Squid takes the next word as the format only if one has that name */
	if (fmt == NULL && i < argc && cfg_find_format(cfg, argv[i]) != NULL)
		fmt = argv[i++];
	if (fmt == NULL)
		fmt = "squid";
	if ((al->format = cfg_find_format(cfg, fmt)) == NULL) {
		err = units_strf("Unknown logformat '%s'", fmt);
		goto fail;
	}
	if (i < argc) {
		char **rule = calloc((size_t)(argc - i + 2), sizeof(*rule));

		if (rule == NULL)
			abort();
		rule[0] = "allow";
		for (int j = i; j < argc; j++)
			rule[j - i + 1] = argv[j];
		err = access_parse(&al->acls, &cfg->acls, rule, argc - i + 1,
		    NULL, cx->file, cx->line);
		free(rule);
		if (err != NULL)
			goto fail;
	}
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = al;
	return NULL;
fail:
	access_list_free(&al->acls);
	free(al->module);
	free(al->path);
	free(al);
	return err;
}

static char *
cfg_set_logformat(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	struct cfg_logformat *lf, **tail;
	const char *spec = cx->rest;
	struct logformat *f;
	char *err = NULL;

	spec += strcspn(spec, " \t");
	spec += strspn(spec, " \t");
	if (logformat_builtin(argv[0]) != NULL ||
	    cfg_find_format(cfg, argv[0]) != NULL) {
		conf_warn(cx, "logformat %s is already defined. Ignoring.",
		    argv[0]);
		return NULL;
	}
	if ((f = logformat_compile(argv[0], spec, &err)) == NULL)
		return err != NULL ? err :
		    units_strf("logformat %s: invalid format", argv[0]);
	if ((lf = calloc(1, sizeof(*lf))) == NULL)
		abort();
	lf->name = cfg_strdup(argv[0]);
	lf->format = f;
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = lf;
	return NULL;
}

/* The same grammar log_set_debug_options() applies, without applying it. */
static char *
cfg_check_debug_options(const char *tok)
{
	const char *comma = strchr(tok, ',');
	char *end;
	long v;

	if (strncmp(tok, "rotate=", 7) == 0)
		return NULL;
	if (comma == NULL)
		return units_strf("Invalid debug_options '%s': expected "
		    "SECTION,LEVEL", tok);
	v = strtol(comma + 1, &end, 10);
	if (comma[1] == '\0' || *end != '\0' || v < 0 || v > 9)
		return units_strf("Invalid debug level in '%s'", tok);
	if (strncmp(tok, "ALL,", 4) == 0)
		return NULL;
	v = strtol(tok, &end, 10);
	if (end == tok || end != comma || v < 0 || v >= LOG_SECTIONS)
		return units_strf("Invalid debug section in '%s'", tok);
	return NULL;
}

static char *
cfg_set_debug_options(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char **s = field, *joined;
	size_t len = 1;
	char *err;

	for (int i = 0; i < argc; i++) {
		if ((err = cfg_check_debug_options(argv[i])) != NULL)
			return err;
		len += strlen(argv[i]) + 1;
	}
	if ((joined = calloc(1, len)) == NULL)
		abort();
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, argv[i]);
	}
	free(*s);
	*s = joined;
	return NULL;
}

/* Headers */

static char *
cfg_set_via(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err = conf_set_bool(cx, field, argc, argv);

	if (err == NULL && !*(int *)field && !cx->is_default)
		conf_warn(cx, "HTTP requires the use of Via");
	return err;
}

static char *
cfg_set_forwarded_for(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	static const struct {
		const char *word;
		enum cfg_forwarded_for v;
	} words[] = {
		{ "on", CFG_FF_ON }, { "off", CFG_FF_OFF },
		{ "transparent", CFG_FF_TRANSPARENT },
		{ "delete", CFG_FF_DELETE }, { "truncate", CFG_FF_TRUNCATE },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(argv[0], words[i].word) == 0) {
			*(enum cfg_forwarded_for *)field = words[i].v;
			return NULL;
		}
	return units_strf("Invalid forwarded_for value '%s': expected on, off, "
	    "transparent, truncate or delete", argv[0]);
}

/* Access control */

static char *
cfg_set_acl(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *warning = NULL, *err;

	struct cfg *cfg = CFG_BASE(cx);
	struct acl *a;

	err = acl_parse(field, argv, argc, &warning);
	if (warning != NULL) {
		conf_warn(cx, "%s", warning);
		free(warning);
	}
	/* as Squid: auth_param must come first (an ignored scheme counts) */
	if (err == NULL && (a = acl_find(field, argv[0])) != NULL &&
	    acl_is_auth(a) && strcmp(acl_type(a), "max_user_ip") != 0 &&
	    cfg->auth_basic.program == NULL && !cfg->auth_other_scheme)
		return units_strf("Can't use proxy auth because no "
		    "authentication schemes are fully configured.");
	return err;
}

static char *
cfg_set_access(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	return access_parse(field, &CFG_BASE(cx)->acls, argv, argc, NULL,
	    cx->file, cx->line);
}

/*
 * A byte count as Squid's parseBytesLine64 reads it: "none" and "-1" mean
 * no limit (-1), and neither they nor a zero take a unit word, so in
 * "range_offset_limit 0 all" the second word is an acl.  Returns how many
 * words were used, or -1 with *err set.
 */
static int
cfg_bytes(struct conf_ctx *cx, int argc, char **argv, int64_t *v, char **err)
{
	int unitless;

	if (strcmp(argv[0], "none") == 0 || strcmp(argv[0], "-1") == 0) {
		*v = -1;
		return 1;
	}
	if (argv[0][0] == '-') {
		*err = units_strf("%s: only -1 may be negative", cx->name);
		return -1;
	}
	*err = units_size(argv[0], NULL, UNITS_BYTES, v, &unitless);
	if (*err != NULL)
		return -1;
	if (*v == 0)
		return 1;
	if (argc < 2) {
		conf_warn(cx, "No units on '%s %s', assuming %.2f bytes",
		    cx->name, argv[0], (double)*v);
		return 1;
	}
	*err = units_size(argv[0], argv[1], UNITS_BYTES, v, &unitless);
	return *err != NULL ? -1 : 2;
}

/*
 * read_ahead_gap: one byte count, "none" for no limit.  Squid ignores a
 * word after a value that takes no unit ("read_ahead_gap 0 KB" loads).
 */
static char *
cfg_set_bytes(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err = NULL;

	(void)cfg_bytes(cx, argc, argv, field, &err);
	return err;
}

/*
 * "SIZE [acl ...]" lines (reply_body_max_size, range_offset_limit): each
 * appends to a list that the user walks in order, first match wins.
 */
static char *
cfg_set_size_acl(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_size_acl *s, **tail;
	char *err = NULL;
	int used;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	used = cfg_bytes(cx, argc, argv, &s->size, &err);
	if (err == NULL)
		err = cfg_refs(cx, argv + used, argc - used,
		    &s->rule.refs, &s->rule.nrefs, 0);
	if (err != NULL) {
		free(s);
		return err;
	}
	s->rule.action = ACCESS_ALLOW;
	s->rule.file = cx->file;
	s->rule.line = cx->line;
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	return NULL;
}

static char *
cfg_set_outgoing_addr(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_outgoing_addr *o, **tail;
	char *err;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		abort();
	if (cfg_numeric_addr(argv[0], 0, &o->addr, &o->addrlen) == -1) {
		free(o);
		return units_strf("tcp_outgoing_address: '%s' is not an IP "
		    "address", argv[0]);
	}
	if ((err = cfg_refs(cx, argv + 1, argc - 1, &o->rule.refs,
	    &o->rule.nrefs, 0)) != NULL) {
		free(o);
		return err;
	}
	o->rule.action = ACCESS_ALLOW;
	o->rule.file = cx->file;
	o->rule.line = cx->line;
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = o;
	return NULL;
}

static char *
cfg_set_deny_info(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_deny_info *d, **tail;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		abort();
	d->page = cfg_strdup(argv[0]);
	(void)cfg_refs(cx, argv + 1, argc - 1, &d->refs, &d->nrefs, 1);
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/* DNS */

static char *
cfg_set_nameservers(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_str_list **tail, *s;
	struct sockaddr_storage ss;
	socklen_t len;

	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	for (int i = 0; i < argc; i++) {
		if (cfg_numeric_addr(argv[i], 53, &ss, &len) == -1) {
			conf_warn(cx, "rejecting '%s' as a name server, "
			    "because it is not a numeric IP address", argv[i]);
			continue;
		}
		if ((s = calloc(1, sizeof(*s))) == NULL)
			abort();
		s->s = cfg_strdup(argv[i]);
		*tail = s;
		tail = &s->next;
	}
	return NULL;
}

/* Process */

static char *
cfg_set_workers(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err = conf_set_int(cx, field, argc, argv);

	if (err == NULL && *(int *)field < 0)
		return units_strf("workers must be 0 or more, not %s", argv[0]);
	return err;
}

/* Caching */

static char *
cfg_refresh_minutes(const char *word, int64_t *s)
{
	int64_t v;
	char *err;

	if ((err = units_int(word, &v)) != NULL)
		return err;
	if (v < 0)
		return units_strf("refresh_pattern: negative time '%s'", word);
	*s = v * 60;
	return NULL;
}

static const struct {
	const char	*name;
	unsigned	 flag;
} cfg_refresh_opts[] = {
	{ "override-expire", CFG_REFRESH_OVERRIDE_EXPIRE },
	{ "override-lastmod", CFG_REFRESH_OVERRIDE_LASTMOD },
	{ "reload-into-ims", CFG_REFRESH_RELOAD_INTO_IMS },
	{ "ignore-reload", CFG_REFRESH_IGNORE_RELOAD },
	{ "ignore-no-store", CFG_REFRESH_IGNORE_NO_STORE },
	{ "ignore-private", CFG_REFRESH_IGNORE_PRIVATE },
	{ "refresh-ims", CFG_REFRESH_REFRESH_IMS },
	{ "store-stale", CFG_REFRESH_STORE_STALE },
};

static char *
cfg_set_refresh_pattern(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_refresh *r, **tail;
	int i = 0, rc;
	char *err;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->max_stale_s = -1;
	if (strcmp(argv[0], "-i") == 0) {
		r->icase = 1;
		i++;
	} else if (strcmp(argv[0], "+i") == 0)
		i++;
	if (argc - i < 4) {
		free(r);
		return units_strf("refresh_pattern: expected [-i] REGEX MIN "
		    "PERCENT MAX");
	}
	r->regex_src = cfg_strdup(argv[i]);
	if ((err = cfg_refresh_minutes(argv[i + 1], &r->min_s)) != NULL ||
	    (err = units_percent(argv[i + 2], &r->pct)) != NULL ||
	    (err = cfg_refresh_minutes(argv[i + 3], &r->max_s)) != NULL)
		goto fail;
	for (i += 4; i < argc; i++) {
		size_t k, nopts = sizeof(cfg_refresh_opts) /
		    sizeof(cfg_refresh_opts[0]);

		for (k = 0; k < nopts; k++)
			if (strcmp(argv[i], cfg_refresh_opts[k].name) == 0)
				break;
		if (k < nopts)
			r->flags |= cfg_refresh_opts[k].flag;
		else if (strncmp(argv[i], "max-stale=", 10) == 0) {
			if ((err = units_int(argv[i] + 10, &r->max_stale_s))
			    != NULL)
				goto fail;
		} else if (strcmp(argv[i], "ignore-no-cache") == 0 ||
		    strcmp(argv[i], "ignore-must-revalidate") == 0 ||
		    strcmp(argv[i], "ignore-auth") == 0)
			conf_warn(cx, "UPGRADE: refresh_pattern option '%s' is "
			    "obsolete. Remove it.", argv[i]);
		else
			conf_warn(cx, "refresh_pattern: Unknown option "
			    "'%s': %s", r->regex_src, argv[i]);
	}
	if ((r->regex = malloc(sizeof(regex_t))) == NULL)
		abort();
	rc = regcomp(r->regex, r->regex_src,
	    REG_EXTENDED | REG_NOSUB | (r->icase ? REG_ICASE : 0));
	if (rc != 0) {
		char msg[256];

		/* Squid logs the bad pattern and goes on without it */
		regerror(rc, r->regex, msg, sizeof(msg));
		conf_warn(cx, "refresh_pattern: Invalid regular expression "
		    "'%s': %s", r->regex_src, msg);
		free(r->regex);
		free(r->regex_src);
		free(r);
		return NULL;
	}
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return NULL;
fail:
	free(r->regex_src);
	free(r);
	return err;
}

/*
 * cache_dir TYPE DIR SIZE_MB [L1 L2] [options].  Every type runs on the
 * store process, so the type only decides the arity and which of Squid's
 * options are known; those we do not honour are warned about by name.
 */
static const char *cfg_cache_dir_ignored[] = {
	"Q1=", "Q2=", "slot-size=", "swap-timeout=", "max-swap-rate=",
	"ipcsize=",
};

static char *
cfg_cache_dir_int(const char *what, const char *word, int64_t min,
    int64_t max, int64_t *v)
{
	char *err;

	if ((err = units_int(word, v)) != NULL) {
		free(err);
		return units_strf("cache_dir: %s '%s' is not a number", what,
		    word);
	}
	if (*v < min || *v > max)
		return units_strf("cache_dir: %s %s is out of range "
		    "(%lld..%lld)", what, word, (long long)min, (long long)max);
	return NULL;
}

static char *
cfg_cache_dir_option(struct conf_ctx *cx, struct cfg_cache_dir *cd,
    const char *opt)
{
	size_t nign = sizeof(cfg_cache_dir_ignored) /
	    sizeof(cfg_cache_dir_ignored[0]);
	char *err;

	if (strcmp(opt, "no-store") == 0) {
		cd->no_store = 1;
		return NULL;
	}
	if (strcmp(opt, "read-only") == 0) {
		conf_warn(cx, "UPGRADE WARNING: Replace cache_dir option "
		    "'read-only' with 'no-store'.");
		cd->read_only = cd->no_store = 1;
		return NULL;
	}
	if (strncmp(opt, "min-size=", 9) == 0 ||
	    strncmp(opt, "max-size=", 9) == 0) {
		int64_t v;

		if ((err = units_size_glued(opt + 9, &v)) != NULL) {
			free(err);
			return units_strf("cache_dir: bad size in option "
			    "'%s'", opt);
		}
		if (opt[1] == 'i')
			cd->min_size = v;
		else
			cd->max_obj_size = v;
		return NULL;
	}
	for (size_t i = 0; i < nign; i++) {
		const char *name = cfg_cache_dir_ignored[i];

		if (strncmp(opt, name, strlen(name)) == 0) {
			conf_warn(cx, "cache_dir %s: option '%.*s' is not "
			    "supported by cuttle; ignored", cd->path,
			    (int)strlen(name) - 1, name);
			return NULL;
		}
	}
	return units_strf("cache_dir %s: unknown option '%s'", cd->path, opt);
}

static char *
cfg_set_cache_dir(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_cache_dir *cd, **tail;
	int rock, i;
	int64_t v;
	char *err = NULL;

	rock = strcmp(argv[0], "rock") == 0;
	if (!rock && strcmp(argv[0], "ufs") != 0 &&
	    strcmp(argv[0], "aufs") != 0 && strcmp(argv[0], "diskd") != 0) {
		/* Squid 5.7 says this and runs without the directory */
		conf_warn(cx, "ERROR: This proxy does not support the '%s' "
		    "cache type. Ignoring.", argv[0]);
		return NULL;
	}
	if (argc < 3)
		return units_strf("cache_dir %s: expected %s DIR SIZE_MB%s",
		    argv[0], argv[0], rock ? "" : " L1 L2");
	if (!rock && argc < 5)
		return units_strf("cache_dir %s %s: missing %s (%s DIR SIZE_MB "
		    "L1 L2)", argv[0], argv[1], argc < 4 ? "L1 and L2" : "L2",
		    argv[0]);
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->path, argv[1]) == 0)
			return units_strf("cache_dir %s is already declared "
			    "at %s:%d", argv[1], (*tail)->file, (*tail)->line);
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		abort();
	cd->type = cfg_strdup(argv[0]);
	cd->path = cfg_strdup(argv[1]);
	cd->file = cfg_strdup(cx->file);
	cd->line = cx->line;
	cd->max_obj_size = -1;
	cd->l1 = 16;
	cd->l2 = 256;
	if ((err = cfg_cache_dir_int("SIZE_MB", argv[2], 1, INT64_MAX >> 20,
	    &v)) != NULL)
		goto fail;
	cd->max_size = v << 20;
	i = 3;
	if (!rock) {
		if ((err = cfg_cache_dir_int("L1", argv[3], 1, 256, &v)) !=
		    NULL)
			goto fail;
		cd->l1 = (int)v;
		if ((err = cfg_cache_dir_int("L2", argv[4], 1, 256, &v)) !=
		    NULL)
			goto fail;
		cd->l2 = (int)v;
		i = 5;
	}
	for (; i < argc; i++)
		if ((err = cfg_cache_dir_option(cx, cd, argv[i])) != NULL)
			goto fail;
	*tail = cd;
	return NULL;
fail:
	free(cd->type);
	free(cd->path);
	free(cd->file);
	free(cd);
	return err;
}

static char *
cfg_set_replacement_policy(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	enum cfg_policy *pol = field;

	if (argc == 1 && strcmp(argv[0], "lru") == 0) {
		*pol = CFG_POLICY_LRU;
		return NULL;
	}
	if (argc == 2 && strcmp(argv[0], "heap") == 0) {
		if (strcasecmp(argv[1], "GDSF") == 0) {
			*pol = CFG_POLICY_HEAP_GDSF;
			return NULL;
		}
		if (strcasecmp(argv[1], "LFUDA") == 0) {
			*pol = CFG_POLICY_HEAP_LFUDA;
			return NULL;
		}
		if (strcasecmp(argv[1], "LRU") == 0) {
			*pol = CFG_POLICY_HEAP_LRU;
			return NULL;
		}
	}
	return units_strf("%s: unknown policy '%s%s%s' (lru, heap GDSF, heap "
	    "LFUDA or heap LRU)", cx->name, argv[0], argc > 1 ? " " : "",
	    argc > 1 ? argv[1] : "");
}

static char *
cfg_set_swap_percent(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err;

	if ((err = units_percent(argv[0], field)) != NULL)
		return err;
	if (*(int *)field > 100)
		return units_strf("%s must be 0-100, not %s", cx->name,
		    argv[0]);
	return NULL;
}

/* quick_abort_min/max: sizes in KB by default; -1 means "always finish". */
static char *
cfg_set_kb(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	int64_t v;
	int unitless;
	char *err;

	if (argv[0][0] == '-') {
		if (strcmp(argv[0], "-1") != 0)
			return units_strf("%s: only -1 may be negative",
			    cx->name);
		*(int64_t *)field = -1;
		return NULL;
	}
	err = units_size(argv[0], argc > 1 ? argv[1] : NULL, UNITS_KB, &v,
	    &unitless);
	if (err != NULL)
		return err;
	if (unitless)
		conf_warn(cx, "No units on '%s %s', assuming %s KB", cx->name,
		    argv[0], argv[0]);
	*(int64_t *)field = v;
	return NULL;
}

/* Helpers (url_rewrite_*) */

/* "N [startup=N] [idle=N] [concurrency=N] [queue-size=N] [on-...=]" */
static char *
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

		if (strncmp(argv[i], "on-persistent-overload=", 23) == 0)
			continue;	/* we never die of overload */
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

static void
cfg_free_argv(char ***field)
{
	if (*field == NULL)
		return;
	for (int i = 0; (*field)[i] != NULL; i++)
		free((*field)[i]);
	free(*field);
	*field = NULL;
}

/* A helper's command line as an argv (execvp looks the program up). */
static char *
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
static char *
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
static char *
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
 * "auth_param SCHEME PARAM VALUE...".  Only basic is implemented; digest,
 * ntlm and negotiate lines warn and are ignored so real configs load (their
 * proxy_auth ACLs then never match), and unknown schemes are refused as
 * Squid refuses them.
 */
static char *
cfg_set_auth_param(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_auth_basic *b = field;
	const char *param = argv[1];
	char *def[] = { "20", "startup=0", "idle=1", "concurrency=0" };
	char *ttl[] = { "2", "hours" };

	if (strcmp(argv[0], "digest") == 0 || strcmp(argv[0], "ntlm") == 0 ||
	    strcmp(argv[0], "negotiate") == 0) {
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
	if (strcmp(param, "key_extras") == 0) {
		struct conf_ctx sub = *cx;
		char *rest = cfg_rest_after(cx, 2), *err;

		if (rest == NULL)
			abort();
		sub.rest = rest;
		err = cfg_set_helper_format(&sub, &b->key_extras, argc - 2,
		    argv + 2);
		free(rest);
		return err;
	}
	/* Squid only complains about this one */
	conf_warn(cx, "Unrecognised basic auth scheme parameter '%s'", param);
	return NULL;
}

/*
 * The table.  Rows are sorted by name (strcmp order); aliases are rows of
 * their own with the same field and handler and no default.
 */
#define U(name)	{ name, conf_unsupported, 0, NULL, 0, 0, ANY, NULL }
#define O(name, hint)	{ name, conf_obsolete, 0, NULL, 0, 0, ANY, hint }
#define ANY		CONF_ARGS_ANY

static const struct conf_directive cfg_table[] = {
	U("accept_filter"),
	{ "access_log", cfg_set_access_log, CFG(access_logs),
	    "stdio:" CFG_LOGDIR "access.log squid", CONF_DEFAULT_IF_NONE, 1,
	    ANY, NULL },
	{ "acl", cfg_set_acl, CFG(acls), NULL, CONF_FILE_VALUES, 2, ANY, NULL },
	{ "acl_uses_indirect_client", conf_set_bool,
	    CFG(acl_uses_indirect_client), "on", 0, 1, 1, NULL },
	U("adaptation_access"),
	U("adaptation_masterx_shared_names"),
	U("adaptation_meta"),
	U("adaptation_send_client_ip"),
	U("adaptation_send_username"),
	U("adaptation_service_chain"),
	U("adaptation_service_iteration_limit"),
	U("adaptation_service_set"),
	U("adaptation_uses_indirect_client"),
	U("adapted_http_access"),
	U("allow_underscore"),
	U("always_direct"),
	U("announce_file"),
	U("announce_host"),
	U("announce_period"),
	U("announce_port"),
	U("append_domain"),
	U("as_whois_server"),
	{ "ascii_port", cfg_set_port, CFG(ports), NULL, 0, 1, ANY, NULL },
	{ "auth_param", cfg_set_auth_param, CFG(auth_basic), NULL, 0, 2, ANY,
	    NULL },
	U("auth_schemes"),
	U("authenticate_cache_garbage_interval"),
	U("authenticate_ip_ttl"),
	U("authenticate_ttl"),
	U("background_ping_rate"),
	O("balance_on_multiple_ip",
	    "Remove this line. Squid performs a 'Happy Eyeballs' "
	    "algorithm, this multiple-IP algorithm is not longer "
	    "relevant."),
	U("broken_posts"),
	O("broken_vary_encoding",
	    "This option is not yet supported by Squid-3."),
	U("buffered_logs"),
	{ "cache", cfg_set_access, CFG(cache_access), NULL, 0, 1, ANY, NULL },
	{ "cache_access_log", cfg_set_access_log, CFG(access_logs), NULL, 0, 1,
	    ANY, NULL },
	{ "cache_dir", cfg_set_cache_dir, CFG(cache_dirs), NULL, 0, 1, ANY,
	    NULL },
	{ "cache_effective_group", conf_set_string, CFG(effective_group), NULL,
	    0, 1, 1, NULL },
	{ "cache_effective_user", conf_set_string, CFG(effective_user),
	    "proxy", 0, 1, 1, NULL },
	{ "cache_log", conf_set_string, CFG(cache_log), CFG_LOGDIR "cache.log",
	    0, 1, 1, NULL },
	{ "cache_mem", conf_set_size, CFG(cache_mem), "256 MB", 0, 1, 2, NULL },
	U("cache_mgr"),
	U("cache_miss_revalidate"),
	U("cache_peer"),
	U("cache_peer_access"),
	O("cache_peer_domain",
	    "Replace with dstdomain ACLs and cache_peer_access."),
	{ "cache_replacement_policy", cfg_set_replacement_policy,
	    CFG(cache_replacement_policy), "lru", 0, 1, 2, NULL },
	U("cache_store_log"),
	{ "cache_swap_high", cfg_set_swap_percent, CFG(cache_swap_high), "95",
	    0, 1, 1, NULL },
	U("cache_swap_log"),
	{ "cache_swap_low", cfg_set_swap_percent, CFG(cache_swap_low), "90",
	    0, 1, 1, NULL },
	U("cache_swap_state"),
	O("cache_vary",
	    "This option is not yet supported by Squid-3."),
	U("cachemgr_passwd"),
	U("check_hostnames"),
	U("chroot"),
	O("chunked_request_body_max_size",
	    "Remove this line. Squid is now HTTP/1.1 compliant."),
	U("client_db"),
	U("client_delay_access"),
	U("client_delay_initial_bucket_level"),
	U("client_delay_parameters"),
	U("client_delay_pools"),
	U("client_dst_passthru"),
	{ "client_idle_pconn_timeout", conf_set_time,
	    CFG(client_idle_pconn_timeout), "2 minutes", 0, 1, 2, NULL },
	U("client_ip_max_connections"),
	{ "client_lifetime", conf_set_time, CFG(client_lifetime), "1 day", 0,
	    1, 2, NULL },
	U("client_netmask"),
	{ "client_persistent_connections", conf_set_bool,
	    CFG(client_persistent_connections), "on", 0, 1, 1, NULL },
	U("client_request_buffer_max_size"),
	U("clientside_tos"),
	{ "collapsed_forwarding", conf_set_bool, CFG(collapsed_forwarding),
	    "off", 0, 1, 1, NULL },
	U("collapsed_forwarding_access"),
	{ "configuration_includes_quoted_values", conf_set_quoted_values, 0,
	    NULL, 0, 1, 1, NULL },
	U("connect_retries"),
	{ "connect_timeout", conf_set_time, CFG(connect_timeout), "1 minute",
	    0, 1, 2, NULL },
	{ "coredump_dir", conf_set_string_none, CFG(coredump_dir), NULL, 0, 1,
	    1, NULL },
	U("cpu_affinity_map"),
	U("dead_peer_timeout"),
	{ "debug_options", cfg_set_debug_options, CFG(debug_options), "ALL,1",
	    0, 1, ANY, NULL },
	U("delay_access"),
	U("delay_class"),
	U("delay_initial_bucket_level"),
	U("delay_parameters"),
	U("delay_pool_uses_indirect_client"),
	U("delay_pools"),
	{ "deny_info", cfg_set_deny_info, CFG(deny_info), NULL, 0, 2, ANY,
	    NULL },
	U("detect_broken_pconn"),
	U("digest_bits_per_entry"),
	U("digest_generation"),
	U("digest_rebuild_chunk_percentage"),
	U("digest_rebuild_period"),
	U("digest_rewrite_period"),
	U("digest_swapout_chunk_size"),
	U("diskd_program"),
	U("dns_defnames"),
	U("dns_multicast_local"),
	{ "dns_nameservers", cfg_set_nameservers, CFG(dns_nameservers), NULL,
	    0, 1, ANY, NULL },
	U("dns_packet_max"),
	U("dns_retransmit_interval"),
	O("dns_testnames",
	    "Remove this line. DNS is no longer tested on startup."),
	{ "dns_timeout", conf_set_time, CFG(dns_timeout), "30 seconds", 0, 1,
	    2, NULL },
	O("dns_v4_fallback",
	    "Remove this line. Squid performs a 'Happy Eyeballs' "
	    "algorithm, the 'fallback' algorithm is no longer relevant."),
	O("dns_v4_first",
	    "Remove this line. Squid no longer supports preferential "
	    "treatment of DNS A records."),
	U("ecap_enable"),
	U("ecap_service"),
	U("email_err_data"),
	O("emulate_httpd_log",
	    "Replace this with an access_log directive using the format "
	    "'common' or 'combined'."),
	U("err_html_text"),
	U("err_page_stylesheet"),
	U("error_default_language"),
	{ "error_directory", conf_set_string, CFG(error_directory), NULL, 0, 1,
	    1, NULL },
	U("error_log_languages"),
	O("error_map",
	    "This option is not yet supported by Squid-3."),
	U("esi_parser"),
	U("eui_lookup"),
	O("extension_methods",
	    "Remove this line. All valid methods for HTTP are accepted by"
	    " default."),
	U("external_acl_type"),
	O("external_refresh_check",
	    "This option is not yet supported by Squid-3."),
	{ "follow_x_forwarded_for", cfg_set_access,
	    CFG(follow_x_forwarded_for), NULL, 0, 1, ANY, NULL },
	U("force_request_body_continuation"),
	O("forward_log",
	    "Use a regular access.log with ACL limiting it to MISS "
	    "events."),
	U("forward_max_tries"),
	{ "forward_timeout", conf_set_time, CFG(forward_timeout), "4 minutes",
	    0, 1, 2, NULL },
	{ "forwarded_for", cfg_set_forwarded_for, CFG(forwarded_for), "on", 0,
	    1, 1, NULL },
	U("fqdncache_size"),
	U("ftp_client_idle_timeout"),
	U("ftp_eprt"),
	U("ftp_epsv"),
	U("ftp_epsv_all"),
	O("ftp_list_width",
	    "Remove this line. Configure FTP page display using the CSS "
	    "controls in errorpages.css instead."),
	U("ftp_passive"),
	U("ftp_port"),
	U("ftp_sanitycheck"),
	U("ftp_telnet_protocol"),
	U("ftp_user"),
	U("global_internal_static"),
	U("half_closed_clients"),
	U("happy_eyeballs_connect_gap"),
	U("happy_eyeballs_connect_limit"),
	U("happy_eyeballs_connect_timeout"),
	O("header_access",
	    "Since squid-3.0 replace with request_header_access or "
	    "reply_header_access depending on whether you wish to match "
	    "client requests or server replies."),
	O("hierarchy_stoplist",
	    "Remove this line. Use always_direct or cache_peer_access "
	    "ACLs instead if you need to prevent cache_peer use."),
	U("high_memory_warning"),
	U("high_page_fault_warning"),
	U("high_response_time_warning"),
	U("hopeless_kid_revival_delay"),
	U("host_verify_strict"),
	U("hostname_aliases"),
	{ "hosts_file", conf_set_string_none, CFG(hosts_file), "/etc/hosts", 0,
	    1, 1, NULL },
	U("htcp_access"),
	U("htcp_clr_access"),
	U("htcp_port"),
	U("http_accel_surrogate_remote"),
	{ "http_access", cfg_set_access, CFG(http_access), NULL, 0, 1, ANY,
	    NULL },
	{ "http_port", cfg_set_port, CFG(ports), NULL, 0, 1, ANY, NULL },
	{ "http_reply_access", cfg_set_access, CFG(http_reply_access), NULL, 0,
	    1, ANY, NULL },
	U("http_upgrade_request_protocols"),
	O("httpd_accel_no_pmtu_disc",
	    "Since squid-3.0 use the 'disable-pmtu-discovery' flag on "
	    "http_port instead."),
	U("httpd_accel_surrogate_id"),
	U("httpd_suppress_version_string"),
	{ "https_port", cfg_set_port, CFG(ports), NULL, 0, 1, ANY, NULL },
	U("icap_206_enable"),
	U("icap_access"),
	U("icap_class"),
	U("icap_client_username_encode"),
	U("icap_client_username_header"),
	U("icap_connect_timeout"),
	U("icap_default_options_ttl"),
	U("icap_enable"),
	U("icap_io_timeout"),
	U("icap_log"),
	U("icap_persistent_connections"),
	U("icap_preview_enable"),
	U("icap_preview_size"),
	U("icap_retry"),
	U("icap_retry_limit"),
	U("icap_service"),
	U("icap_service_failure_limit"),
	U("icap_service_revival_delay"),
	U("icon_directory"),
	U("icp_access"),
	U("icp_hit_stale"),
	U("icp_port"),
	U("icp_query_timeout"),
	U("ident_lookup_access"),
	U("ident_timeout"),
	O("ie_refresh",
	    "Remove this line. The behaviour enabled by this is no longer"
	    " needed."),
	O("ignore_expect_100",
	    "Remove this line. The HTTP/1.1 feature is now fully "
	    "supported by default."),
	O("ignore_ims_on_miss",
	    "Remove this line. The HTTP/1.1 feature is now configured by "
	    "'cache_miss_revalidate'."),
	U("ignore_unknown_nameservers"),
	U("incoming_dns_average"),
	O("incoming_rate", NULL),
	U("incoming_tcp_average"),
	U("incoming_udp_average"),
	U("ipcache_high"),
	U("ipcache_low"),
	U("ipcache_size"),
	U("loadable_modules"),
	O("location_rewrite_program",
	    "This option is not yet supported by Squid-3."),
	O("log_access",
	    "Remove this line. Use acls with access_log directives to "
	    "control access logging"),
	O("log_fqdn",
	    "Remove this option from your config. To log FQDN use %>A in "
	    "the log format."),
	O("log_icap",
	    "Remove this line. Use acls with icap_log directives to "
	    "control icap logging"),
	U("log_icp_queries"),
	O("log_ip_on_direct",
	    "Remove this option from your config. To log server or peer "
	    "names use %<A in the log format."),
	{ "log_mime_hdrs", conf_set_bool, CFG(log_mime_hdrs), "off", 0, 1, 1,
	    NULL },
	{ "log_uses_indirect_client", conf_set_bool,
	    CFG(log_uses_indirect_client), "on", 0, 1, 1, NULL },
	U("logfile_daemon"),
	{ "logfile_rotate", conf_set_int, CFG(logfile_rotate), "0", 0, 1, 1,
	    NULL },
	{ "logformat", cfg_set_logformat, CFG(logformats), NULL, 0, 2, ANY,
	    NULL },
	U("mail_from"),
	U("mail_program"),
	U("mark_client_connection"),
	U("mark_client_packet"),
	{ "max_filedesc", conf_set_int, CFG(max_filedescriptors), NULL, 0, 1,
	    1, NULL },
	{ "max_filedescriptors", conf_set_int, CFG(max_filedescriptors), "0",
	    0, 1, 1, NULL },
	U("max_open_disk_fds"),
	{ "max_stale", conf_set_time, CFG(max_stale), "1 week", 0, 1, 2, NULL },
	U("maximum_icp_query_timeout"),
	{ "maximum_object_size", conf_set_size, CFG(maximum_object_size),
	    "4 MB", 0, 1, 2, NULL },
	{ "maximum_object_size_in_memory", conf_set_size,
	    CFG(maximum_object_size_in_memory), "512 KB", 0, 1, 2, NULL },
	O("maximum_single_addr_tries",
	    "Replaced by connect_retries. The behaviour has changed, "
	    "please read the documentation before altering."),
	U("mcast_groups"),
	U("mcast_icp_query_timeout"),
	U("mcast_miss_addr"),
	U("mcast_miss_encode_key"),
	U("mcast_miss_port"),
	U("mcast_miss_ttl"),
	U("memory_cache_mode"),
	U("memory_cache_shared"),
	U("memory_pools"),
	U("memory_pools_limit"),
	{ "memory_replacement_policy", cfg_set_replacement_policy,
	    CFG(memory_replacement_policy), "lru", 0, 1, 2, NULL },
	U("mime_table"),
	U("min_dns_poll_cnt"),
	U("min_tcp_poll_cnt"),
	U("min_udp_poll_cnt"),
	U("minimum_direct_hops"),
	U("minimum_direct_rtt"),
	{ "minimum_expiry_time", conf_set_time, CFG(minimum_expiry_time),
	    "60 seconds", 0, 1, 2, NULL },
	U("minimum_icp_query_timeout"),
	{ "minimum_object_size", conf_set_size, CFG(minimum_object_size),
	    "0 KB", 0, 1, 2, NULL },
	U("miss_access"),
	{ "negative_dns_ttl", conf_set_time, CFG(negative_dns_ttl), "1 minute",
	    0, 1, 2, NULL },
	{ "negative_ttl", conf_set_time, CFG(negative_ttl), "0 seconds", 0, 1,
	    2, NULL },
	U("neighbor_type_domain"),
	U("netdb_filename"),
	U("netdb_high"),
	U("netdb_low"),
	U("netdb_ping_period"),
	U("never_direct"),
	U("nonhierarchical_direct"),
	U("note"),
	U("offline_mode"),
	U("on_unsupported_protocol"),
	U("pconn_lifetime"),
	{ "pconn_timeout", conf_set_time, CFG(pconn_timeout), NULL, 0, 1, 2,
	    NULL },
	{ "peer_connect_timeout", conf_set_time, CFG(peer_connect_timeout),
	    "30 seconds", 0, 1, 2, NULL },
	U("persistent_connection_after_error"),
	{ "persistent_request_timeout", conf_set_time,
	    CFG(client_idle_pconn_timeout), NULL, 0, 1, 2, NULL },
	{ "pid_filename", conf_set_string_none, CFG(pid_filename),
	    "/run/cuttle.pid", 0, 1, 1, NULL },
	{ "pinger_enable", conf_ignore, 0, NULL, 0, 0, ANY, NULL },
	U("pinger_program"),
	U("pipeline_prefetch"),
	{ "positive_dns_ttl", conf_set_time, CFG(positive_dns_ttl), "6 hours",
	    0, 1, 2, NULL },
	U("prefer_direct"),
	U("proxy_protocol_access"),
	U("qos_flows"),
	U("query_icmp"),
	{ "quick_abort_max", cfg_set_kb, CFG(quick_abort_max), "16 KB", 0, 1,
	    2, NULL },
	{ "quick_abort_min", cfg_set_kb, CFG(quick_abort_min), "16 KB", 0, 1,
	    2, NULL },
	{ "quick_abort_pct", cfg_set_swap_percent, CFG(quick_abort_pct), "95",
	    0, 1, 1, NULL },
	{ "range_offset_limit", cfg_set_size_acl, CFG(range_offset_limit),
	    NULL, 0, 1, ANY, NULL },
	{ "read_ahead_gap", cfg_set_bytes, CFG(read_ahead_gap), "16 KB", 0, 1,
	    2, NULL },
	{ "read_timeout", conf_set_time, CFG(read_timeout), "15 minutes", 0, 1,
	    2, NULL },
	{ "redirect_children", cfg_set_helper_children,
	    CFG(url_rewrite_children), NULL, 0, 1, ANY, NULL },
	{ "redirect_program", cfg_set_helper_program,
	    CFG(url_rewrite_program), NULL, 0, 1, ANY, NULL },
	{ "redirect_rewrites_host_header", conf_set_bool,
	    CFG(url_rewrite_host_header), NULL, 0, 1, 1, NULL },
	U("redirector_access"),
	U("redirector_bypass"),
	O("referer_log",
	    "Replace this with an access_log directive using the format "
	    "'referrer'."),
	U("refresh_all_ims"),
	{ "refresh_pattern", cfg_set_refresh_pattern, CFG(refresh_patterns),
	    NULL, 0, 4, ANY, NULL },
	O("refresh_stale_hit",
	    "This option is not yet supported by Squid-3."),
	U("relaxed_header_parser"),
	U("reload_into_ims"),
	{ "reply_body_max_size", cfg_set_size_acl,
	    CFG(reply_body_max_size), NULL, 0, 1, ANY, NULL },
	U("reply_header_access"),
	U("reply_header_add"),
	{ "reply_header_max_size", conf_set_size, CFG(reply_header_max_size),
	    "64 KB", 0, 1, 2, NULL },
	U("reply_header_replace"),
	{ "request_body_max_size", conf_set_size, CFG(request_body_max_size),
	    "0 KB", 0, 1, 2, NULL },
	U("request_entities"),
	U("request_header_access"),
	U("request_header_add"),
	{ "request_header_max_size", conf_set_size,
	    CFG(request_header_max_size), "64 KB", 0, 1, 2, NULL },
	U("request_header_replace"),
	U("request_start_timeout"),
	{ "request_timeout", conf_set_time, CFG(request_timeout), "5 minutes",
	    0, 1, 2, NULL },
	U("response_delay_pool"),
	U("response_delay_pool_access"),
	U("retry_on_error"),
	U("send_hit"),
	O("server_http11",
	    "Remove this line. HTTP/1.1 is supported by default."),
	{ "server_idle_pconn_timeout", conf_set_time, CFG(pconn_timeout),
	    "1 minute", 0, 1, 2, NULL },
	U("server_pconn_for_nonretriable"),
	{ "server_persistent_connections", conf_set_bool,
	    CFG(server_persistent_connections), "on", 0, 1, 1, NULL },
	U("shared_memory_locking"),
	U("shared_transient_entries_limit"),
	U("short_icon_urls"),
	{ "shutdown_lifetime", conf_set_time, CFG(shutdown_lifetime),
	    "30 seconds", 0, 1, 2, NULL },
	U("sleep_after_fork"),
	U("snmp_access"),
	U("snmp_incoming_address"),
	U("snmp_outgoing_address"),
	U("snmp_port"),
	U("spoof_client_ip"),
	U("ssl_bump"),
	U("ssl_engine"),
	U("ssl_unclean_shutdown"),
	U("sslcrtd_children"),
	U("sslcrtd_program"),
	U("sslcrtvalidator_children"),
	U("sslcrtvalidator_program"),
	U("sslpassword_program"),
	O("sslproxy_cafile",
	    "Remove this line. Use tls_outgoing_options cafile= instead."),
	O("sslproxy_capath",
	    "Remove this line. Use tls_outgoing_options capath= instead."),
	U("sslproxy_cert_adapt"),
	U("sslproxy_cert_error"),
	U("sslproxy_cert_sign"),
	U("sslproxy_cert_sign_hash"),
	O("sslproxy_cipher",
	    "Remove this line. Use tls_outgoing_options cipher= instead."),
	O("sslproxy_client_certificate",
	    "Remove this line. Use tls_outgoing_options cert= instead."),
	O("sslproxy_client_key",
	    "Remove this line. Use tls_outgoing_options key= instead."),
	O("sslproxy_flags",
	    "Remove this line. Use tls_outgoing_options flags= instead."),
	U("sslproxy_foreign_intermediate_certs"),
	O("sslproxy_options",
	    "Remove this line. Use tls_outgoing_options options= instead."),
	U("sslproxy_session_cache_size"),
	U("sslproxy_session_ttl"),
	O("sslproxy_version",
	    "Remove this line. Use tls_outgoing_options options= instead."),
	U("stats_collection"),
	U("store_avg_object_size"),
	U("store_dir_select_algorithm"),
	U("store_id_access"),
	U("store_id_bypass"),
	U("store_id_children"),
	U("store_id_extras"),
	U("store_id_program"),
	U("store_miss"),
	U("store_objects_per_bucket"),
	U("storeurl_access"),
	U("storeurl_bypass"),
	U("storeurl_rewrite_children"),
	U("storeurl_rewrite_program"),
	{ "strip_query_terms", conf_set_bool, CFG(strip_query_terms), "on", 0,
	    1, 1, NULL },
	{ "tcp_outgoing_address", cfg_set_outgoing_addr,
	    CFG(tcp_outgoing_address), NULL, 0, 1, ANY, NULL },
	U("tcp_outgoing_ds"),
	U("tcp_outgoing_dscp"),
	U("tcp_outgoing_mark"),
	U("tcp_outgoing_tos"),
	U("tcp_recv_bufsize"),
	U("test_reachability"),
	U("tls_outgoing_options"),
	U("tproxy_uses_indirect_client"),
	U("udp_incoming_address"),
	U("udp_outgoing_address"),
	U("udp_port"),
	U("umask"),
	U("unique_hostname"),
	U("unlinkd_program"),
	O("update_headers",
	    "Remove this line. The feature is supported by default in "
	    "storage types where update is implemented."),
	O("upgrade_http0.9",
	    "Remove this line. ICY/1.0 streaming protocol is supported by"
	    " default."),
	U("uri_whitespace"),
	{ "url_rewrite_access", cfg_set_access, CFG(url_rewrite_access), NULL,
	    0, 1, ANY, NULL },
	{ "url_rewrite_bypass", conf_set_bool, CFG(url_rewrite_bypass), "off",
	    0, 1, 1, NULL },
	{ "url_rewrite_children", cfg_set_helper_children,
	    CFG(url_rewrite_children), "20 startup=0 idle=1 concurrency=0", 0,
	    1, ANY, NULL },
	O("url_rewrite_concurrency",
	    "Remove this line. Set the 'concurrency=' option of "
	    "url_rewrite_children instead."),
	{ "url_rewrite_extras", cfg_set_helper_format, CFG(url_rewrite_extras),
	    "\"%>a/%>A %un %>rm myip=%la myport=%lp\"", 0, 1, ANY, NULL },
	{ "url_rewrite_host_header", conf_set_bool,
	    CFG(url_rewrite_host_header), "on", 0, 1, 1, NULL },
	{ "url_rewrite_program", cfg_set_helper_program,
	    CFG(url_rewrite_program), NULL, 0, 1, ANY, NULL },
	U("url_rewrite_timeout"),
	O("useragent_log",
	    "Replace this with an access_log directive using the format "
	    "'useragent'."),
	U("vary_ignore_expire"),
	{ "via", cfg_set_via, CFG(via), "on", 0, 1, 1, NULL },
	{ "visible_hostname", conf_set_string, CFG(visible_hostname), NULL, 0,
	    1, 1, NULL },
	O("wais_relay_host",
	    "Replace this line with 'cache_peer' configuration."),
	O("wais_relay_port",
	    "Replace this line with 'cache_peer' configuration."),
	U("wccp2_address"),
	U("wccp2_assignment_method"),
	U("wccp2_forwarding_method"),
	U("wccp2_rebuild_wait"),
	U("wccp2_return_method"),
	U("wccp2_router"),
	U("wccp2_service"),
	U("wccp2_service_info"),
	U("wccp2_weight"),
	U("wccp_address"),
	U("wccp_router"),
	U("wccp_version"),
	U("windows_ipaddrchangemonitor"),
	{ "workers", cfg_set_workers, CFG(workers), "1", 0, 1, 1, NULL },
	{ "write_timeout", conf_set_time, CFG(write_timeout), "15 minutes", 0,
	    1, 2, NULL },
	O("zero_buffers", NULL),
	O("zph_local",
	    "Alter these entries. Use the qos_flows directive instead."),
};

#undef U
#undef O
#undef ANY

int
cfg_load(struct cfg *cfg, const char *path, int process_number)
{
	int errors;

	memset(cfg, 0, sizeof(*cfg));
	cfg->config_file = cfg_strdup(path);
	acl_set_init(&cfg->acls);
	errors = conf_load(cfg_table, sizeof(cfg_table) / sizeof(cfg_table[0]),
	    cfg, path, process_number);
	return errors;
}

static void
cfg_free_rule(struct access_rule *r)
{
	free(r->refs);
}

static void
cfg_free_size_acls(struct cfg_size_acl **list)
{
	struct cfg_size_acl *sa;

	while ((sa = *list) != NULL) {
		*list = sa->next;
		cfg_free_rule(&sa->rule);
		free(sa);
	}
}

void
cfg_free(struct cfg *cfg)
{
	struct cfg_port *p;
	struct cfg_access_log *al;
	struct cfg_logformat *lf;
	struct cfg_deny_info *di;
	struct cfg_outgoing_addr *oa;
	struct cfg_refresh *rp;
	struct cfg_cache_dir *cd;
	struct cfg_str_list *sl;

	while ((p = cfg->ports) != NULL) {
		cfg->ports = p->next;
		free(p->spec);
		free(p->name);
		free(p->tls_cert);
		free(p->tls_key);
		free(p->file);
		free(p);
	}
	while ((al = cfg->access_logs) != NULL) {
		cfg->access_logs = al->next;
		free(al->path);
		free(al->module);
		access_list_free(&al->acls);
		free(al);
	}
	while ((lf = cfg->logformats) != NULL) {
		cfg->logformats = lf->next;
		free(lf->name);
		logformat_free(lf->format);
		free(lf);
	}
	while ((di = cfg->deny_info) != NULL) {
		cfg->deny_info = di->next;
		free(di->page);
		free(di->refs);
		free(di);
	}
	cfg_free_size_acls(&cfg->reply_body_max_size);
	cfg_free_size_acls(&cfg->range_offset_limit);
	while ((oa = cfg->tcp_outgoing_address) != NULL) {
		cfg->tcp_outgoing_address = oa->next;
		cfg_free_rule(&oa->rule);
		free(oa);
	}
	while ((cd = cfg->cache_dirs) != NULL) {
		cfg->cache_dirs = cd->next;
		free(cd->type);
		free(cd->path);
		free(cd->file);
		free(cd);
	}
	while ((rp = cfg->refresh_patterns) != NULL) {
		cfg->refresh_patterns = rp->next;
		regfree(rp->regex);
		free(rp->regex);
		free(rp->regex_src);
		free(rp);
	}
	while ((sl = cfg->dns_nameservers) != NULL) {
		cfg->dns_nameservers = sl->next;
		free(sl->s);
		free(sl);
	}
	access_list_free(&cfg->follow_x_forwarded_for);
	access_list_free(&cfg->http_access);
	access_list_free(&cfg->http_reply_access);
	access_list_free(&cfg->cache_access);
	access_list_free(&cfg->url_rewrite_access);
	cfg_free_argv(&cfg->url_rewrite_program);
	if (cfg->url_rewrite_extras != NULL)
		logformat_free(cfg->url_rewrite_extras);
	cfg_free_argv(&cfg->auth_basic.program);
	free(cfg->auth_basic.realm);
	if (cfg->auth_basic.key_extras != NULL)
		logformat_free(cfg->auth_basic.key_extras);
	acl_set_free(&cfg->acls);
	free(cfg->config_file);
	free(cfg->effective_user);
	free(cfg->effective_group);
	free(cfg->pid_filename);
	free(cfg->coredump_dir);
	free(cfg->visible_hostname);
	free(cfg->cache_log);
	free(cfg->debug_options);
	free(cfg->hosts_file);
	free(cfg->error_directory);
	memset(cfg, 0, sizeof(*cfg));
}
