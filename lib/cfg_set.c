/*
 * Handlers of the general directives whose values are not one of conf.c's
 * generic types: http_port and its options, access_log and logformat,
 * debug_options, via and forwarded_for, acl and the access lists, sizes
 * with ACLs, tcp_outgoing_address, deny_info, dns_nameservers, workers.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "logformat.h"
#include "tls_port.h"
#include "units.h"

#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/share/cuttle"
#endif

const char *
cfg_default_error_directory(void)
{
	const char *dir = getenv("CUTTLE_ERROR_DIRECTORY");

	if (dir != NULL && *dir != '\0')
		return dir;
	return PKGDATADIR "/errors/templates";
}

char *
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

/*
 * Whole numbers inside option words, checked as Squid's xatoi and xatos
 * check them, with their messages.
 */
char *
cfg_xatoi(const char *word, int *v)
{
	int64_t n;
	char *err;

	if ((err = units_int(word, &n)) != NULL)
		return err;
	if (n < INT32_MIN || n > INT32_MAX)
		return units_strf("The value '%s' is larger than the type "
		    "'int'.", word);
	*v = (int)n;
	return NULL;
}

char *
cfg_xatos(const char *word, int *v)
{
	int64_t n;
	char *err;

	if ((err = units_int(word, &n)) != NULL)
		return err;
	if (n < 0)
		return units_strf("The value '%s' cannot be less than 0.",
		    word);
	if (n > 65535)
		return units_strf("The value '%s' is larger than the type "
		    "'short'.", word);
	*v = (int)n;
	return NULL;
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
		/* as Squid: a port named by host name serves that site */
		free(p->defaultsite);
		p->defaultsite = cfg_strdup(host);
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

/*
 * Squid options cuttle accepts but does not act on yet (the TLS ones about
 * client certificates: cuttle does not ask clients for one).
 */
static const char *const cfg_port_later[] = {
	"act-as-origin", "capath=", "cafile=",
	"clientca=", "connection-auth=", "crlfile=",
	"disable-pmtu-discovery=", "ignore-cc",
	"no-connection-auth",
	"protocol=", "require-proxy-header",
	"tcpkeepalive", "tls-cafile=", "tls-capath=", "tls-clientca=",
	"tls-crlfile=", "tls-default-ca", "tls-version=", "version=",
	"worker-queues", NULL
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

/* protocol=: the values Squid 5.7 knows, in any case */
static char *
cfg_port_protocol(struct conf_ctx *cx, const char *value)
{
	static const char *const known[] = {
		"HTTP", "HTTP/1.1", "HTTPS", "HTTPS/1.1", "FTP", NULL
	};
	char up[32];
	size_t n = strlen(value);

	if (n < sizeof(up)) {
		for (size_t i = 0; i <= n; i++)
			up[i] = (char)toupper((unsigned char)value[i]);
		for (int i = 0; known[i] != NULL; i++)
			if (strcmp(up, known[i]) == 0)
				return NULL;
	}
	return units_strf("%s directive does not support protocol=%s",
	    cx->name, n < sizeof(up) ? up : value);
}

/*
 * The accelerator options, read as Squid 5.7 reads them: in order, so
 * those that need accel must follow it ("defaultsite=x accel" stops
 * Squid), but for vhost, which turns accel on with a warning, and
 * no-vhost and act-as-origin, which only complain.  accel itself turns
 * vhost on, as in Squid since 3.2.  Returns 1 when opt was handled here,
 * with *err set on an error; 0 sends protocol= and act-as-origin on to
 * the list of options accepted but not acted on.
 */
static int
cfg_port_option_accel(struct conf_ctx *cx, struct cfg_port *p,
    const char *opt, char **err)
{
	char *e;
	int port;

	*err = NULL;
	if (strcmp(opt, "accel") == 0) {
		p->accel = 1;
		p->vhost = 1;
		return 1;
	}
	if (strcmp(opt, "vhost") == 0) {
		if (!p->accel)
			conf_warn(cx, "%s: vhost option is deprecated. Use "
			    "'accel' mode flag instead.", cx->name);
		p->accel = 1;
		p->vhost = 1;
		return 1;
	}
	if (strcmp(opt, "no-vhost") == 0) {
		if (!p->accel)
			conf_warn(cx, "%s: no-vhost option requires "
			    "Acceleration mode flag.", cx->name);
		p->vhost = 0;
		return 1;
	}
	if (strcmp(opt, "act-as-origin") == 0) {
		if (p->accel)
			return 0;
		/* Squid logs it as an ERROR, ignores the option and goes on */
		conf_warn(cx, "%s: act-as-origin option requires Acceleration "
		    "mode flag.", cx->name);
		return 1;
	}
	if (strncmp(opt, "defaultsite=", 12) != 0 && strcmp(opt, "vport") != 0
	    && strncmp(opt, "vport=", 6) != 0 &&
	    strncmp(opt, "protocol=", 9) != 0 &&
	    strcmp(opt, "allow-direct") != 0)
		return 0;
	if (!p->accel) {
		*err = units_strf("%s: %.*s option requires Acceleration mode "
		    "flag.", cx->name, (int)strcspn(opt, "="), opt);
		return 1;
	}
	if (strncmp(opt, "defaultsite=", 12) == 0) {
		free(p->defaultsite);
		p->defaultsite = cfg_strdup(opt + 12);
	} else if (strcmp(opt, "vport") == 0)
		p->vport = 0;
	else if (strncmp(opt, "vport=", 6) == 0) {
		if ((e = cfg_xatos(opt + 6, &port)) != NULL) {
			*err = units_strf("%s option '%s': %s", cx->name, opt,
			    e);
			free(e);
			return 1;
		}
		/* Squid's vport=0 is its "no vport" */
		p->vport = port > 0 ? port : -1;
	} else if (strncmp(opt, "protocol=", 9) == 0) {
		*err = cfg_port_protocol(cx, opt + 9);
		return *err != NULL;
	} else
		p->allow_direct = 1;
	return 1;
}

/*
 * As Squid, a certificate or key that is not there stops -k parse.  Only
 * existence is checked: a -N process reloads its config after dropping
 * privileges, when a root-only key is no longer readable.
 */
static char *
cfg_port_file(const char *what, const char *path)
{
	struct stat st;

	if (path == NULL)
		return NULL;
	if (stat(path, &st) == -1)
		return units_strf("unable to load %s file '%s': %s", what, path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return units_strf("unable to load %s file '%s': not a file",
		    what, path);
	return NULL;
}

static char *
cfg_port_option(struct conf_ctx *cx, struct cfg_port *p, const char *opt)
{
	const char *v = strchr(opt, '=');
	char *err;

	v = v != NULL ? v + 1 : NULL;
	if (cfg_port_option_accel(cx, p, opt, &err))
		return err;
	if (strcmp(opt, "intercept") == 0)
		p->intercept = 1;
	else if (strcmp(opt, "transparent") == 0) {
		conf_warn(cx, "%s option 'transparent' is deprecated, use "
		    "'intercept'", cx->name);
		p->intercept = 1;
	} else if (strcmp(opt, "tproxy") == 0)
		p->tproxy = 1;
	else if (strcmp(opt, "ssl-bump") == 0 || strcmp(opt, "sslBump") == 0)
		p->ssl_bump = 1;
	else if (strncmp(opt, "name=", 5) == 0) {
		free(p->name);
		p->name = cfg_strdup(v);
	} else if (cfg_port_tls_option(cx, p, opt, &err))
		return err;
	else if (cfg_port_option_later(opt))
		conf_warn(cx, "%s option '%s' is not supported by cuttle yet; "
		    "ignored", cx->name, opt);
	else
		return units_strf("Unknown %s option '%s'.", cx->name, opt);
	return NULL;
}

char *
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
	p->vport = -1;
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
	if (err == NULL && (p->ssl_bump || p->is_https))
		err = cfg_port_tls_finish(cx, p);
	else if (err == NULL && (err = cfg_port_file("certificate",
	    p->tls_cert)) == NULL)
		err = cfg_port_file("private key", p->tls_key);

	if (err != NULL) {
		struct cfg_port *one = p;

		one->next = NULL;
		free(one->spec);
		free(one->name);
		tls_port_free(one);
		free(one->defaultsite);
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

char *
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

char *
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

char *
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

char *
cfg_set_via(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err = conf_set_bool(cx, field, argc, argv);

	if (err == NULL && !*(int *)field && !cx->is_default)
		conf_warn(cx, "HTTP requires the use of Via");
	return err;
}

char *
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

/*
 * Squid's words.  "allow" forwards the target with its whitespace, which
 * the next hop reads as the end of the target ("GET /a b HTTP/1.1" reaches
 * it as /a): one message read two ways, which we never forward.  It is
 * taken as encode, with a warning.
 */
char *
cfg_set_uri_whitespace(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	static const struct {
		const char *word;
		enum uri_ws v;
	} words[] = {
		{ "strip", URI_WS_STRIP }, { "deny", URI_WS_DENY },
		{ "allow", URI_WS_ENCODE }, { "encode", URI_WS_ENCODE },
		{ "chop", URI_WS_CHOP },
	};

	(void)argc;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(argv[0], words[i].word) == 0) {
			*(enum uri_ws *)field = words[i].v;
			if (strcmp(argv[0], "allow") == 0)
				conf_warn(cx, "uri_whitespace allow would "
				    "forward a request line the next hop splits "
				    "at the whitespace; encoding it instead "
				    "(uri_whitespace encode)");
			return NULL;
		}
	return units_strf("Invalid uri_whitespace value '%s': expected strip, "
	    "deny, allow, encode or chop", argv[0]);
}

/* Access control */

char *
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
	    acl_is_auth(a) &&
	    cfg->auth_basic.program == NULL &&
	    cfg->auth_negotiate.program == NULL && !cfg->auth_other_scheme &&
	    (cfg->auth_digest.program == NULL ||
	    cfg->auth_digest.realm == NULL))
		return units_strf("Can't use proxy auth because no "
		    "authentication schemes are fully configured.");
	return err;
}

/* off, or a time (ssl_bump_learn_splice): 0 means off, so 0 is refused. */
char *
cfg_set_time_off(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	int64_t ms;
	char *err;

	if (argc == 1 && strcmp(argv[0], "off") == 0) {
		*(int64_t *)field = 0;
		return NULL;
	}
	if ((err = units_time(argv[0], argc > 1 ? argv[1] : NULL, &ms)) != NULL)
		return err;
	if (ms < 1000)
		return units_strf("%s: expected off or a time of at least "
		    "1 second, not '%s%s%s'", cx->name, argv[0],
		    argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	*(int64_t *)field = ms;
	return NULL;
}

const char *const cfg_ssl_bump_actions[] = {
	"splice", "bump", "peek", "stare", "terminate", "client-first",
	"server-first", "none", NULL
};

char *
cfg_set_ssl_bump(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	return access_parse(field, &CFG_BASE(cx)->acls, argv, argc,
	    cfg_ssl_bump_actions, cx->file, cx->line);
}

char *
cfg_set_on_unsupported_protocol(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	static const char *const actions[] = { "respond", "tunnel", NULL };

	return access_parse(field, &CFG_BASE(cx)->acls, argv, argc, actions,
	    cx->file, cx->line);
}

char *
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
char *
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
char *
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

/*
 * note KEY VALUE [acl ...].  Squid refuses the keys its helpers use and
 * formats quoted values as logformat; we take plain words only.
 */
char *
cfg_set_note(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	static const char *const reserved[] = { "group", "ha1", "log",
	    "message", "password", "rewrite-url", "status", "tag", "ttl",
	    "url", "user", NULL };
	struct cfg_note *n, **tail;
	char *err;

	for (int i = 0; reserved[i] != NULL; i++)
		if (strcmp(argv[0], reserved[i]) == 0)
			return units_strf("cannot use a reserved note name: "
			    "%s", argv[0]);
	if (argv[1][0] == '"' || argv[1][0] == '\'')
		return units_strf("note %s: quoted values (logformat "
		    "%%codes) are not supported yet: %s", argv[0], argv[1]);
	if ((n = calloc(1, sizeof(*n))) == NULL)
		abort();
	if ((err = cfg_refs(cx, argv + 2, argc - 2, &n->rule.refs,
	    &n->rule.nrefs, 0)) != NULL) {
		free(n);
		return err;
	}
	n->key = cfg_strdup(argv[0]);
	n->value = cfg_strdup(argv[1]);
	n->rule.action = ACCESS_ALLOW;
	n->rule.file = cx->file;
	n->rule.line = cx->line;
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = n;
	return NULL;
}

char *
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

char *
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

char *
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

char *
cfg_set_workers(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err = conf_set_int(cx, field, argc, argv);

	if (err == NULL && *(int *)field < 0)
		return units_strf("workers must be 0 or more, not %s", argv[0]);
	return err;
}

/* Caching */
