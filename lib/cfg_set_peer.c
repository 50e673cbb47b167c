/*
 * cache_peer and cache_peer_access, read as Squid 5.7's parse_peer and
 * parse_peer_access read them, with their messages.  Every Squid option is
 * accepted so that real configs load; those cuttle does not act on yet warn
 * by name.  The tls and ssl* options go through tls_outgoing_options' own
 * parser (cfg_set_tls.c), as Squid uses one Security::PeerOptions for both.
 * Sibling and multicast peers are kept in the list (their
 * cache_peer_access lines must find them) but warned about: only parents
 * are ever used.  What the options do at run time is workers/peer.c's.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

static const struct {
	const char	*word;
	enum cfg_peer_type type;
} cfg_peer_types[] = {
	{ "parent", CFG_PEER_PARENT },
	{ "sibling", CFG_PEER_SIBLING },
	{ "neighbor", CFG_PEER_SIBLING },
	{ "neighbour", CFG_PEER_SIBLING },
	{ "multicast", CFG_PEER_MULTICAST },
};

/* How a parent is picked; Squid allows the hashes on parents only. */
static const struct {
	const char	*word;
	unsigned	 flag;
	int		 parent_only;
} cfg_peer_selects[] = {
	{ "round-robin", CFG_PEER_SEL_ROUND_ROBIN, 0 },
	{ "weighted-round-robin", CFG_PEER_SEL_WEIGHTED_RR, 0 },
	{ "carp", CFG_PEER_SEL_CARP, 1 },
	{ "userhash", CFG_PEER_SEL_USERHASH, 1 },
	{ "sourcehash", CFG_PEER_SEL_SOURCEHASH, 1 },
};

/*
 * Options accepted and not acted on: a word ending in '=' or '-' matches
 * as a prefix.
 */
static const char *const cfg_peer_later[] = {
	"allow-miss", "auth-no-keytab", "background-ping",
	"closest-only", "connection-auth", "digest-url=", "front-end-https",
	"htcp", "multicast-responder", "multicast-siblings",
	"ttl=", NULL
};

/*
 * What cuttle does anyway: it sends no ICP queries and asks no peer for
 * digests or netdb.
 */
static const char *const cfg_peer_silent[] = {
	"no-digest", "no-netdb-exchange", NULL
};

static int
cfg_peer_in(const char *const *list, const char *opt)
{
	for (int i = 0; list[i] != NULL; i++) {
		const char *w = list[i];
		size_t n = strlen(w);

		if (strncmp(opt, w, n) != 0)
			continue;
		/* "x=" takes any tail; other words only themselves, "=value"
		   or "-mode" */
		if (w[n - 1] == '=' || opt[n] == '\0' || opt[n] == '=' ||
		    opt[n] == '-')
			return 1;
	}
	return 0;
}

static void
cfg_peer_warn_later(struct conf_ctx *cx, const char *opt, const char *then)
{
	conf_warn(cx, "cache_peer option '%s' is not supported by cuttle "
	    "yet; %s", opt, then);
}

/* A number option: Squid's xatoi, with the option named. */
static char *
cfg_peer_int(const char *opt, int *v)
{
	const char *value = strchr(opt, '=') + 1;
	char *err, *e;

	if ((e = cfg_xatoi(value, v)) == NULL)
		return NULL;
	err = units_strf("cache_peer option '%s': %s", opt, e);
	free(e);
	return err;
}

/* login=: %XX escapes decoded, as Squid's rfc1738_unescape does. */
static char *
cfg_peer_unescape(const char *s)
{
	char *d = cfg_strdup(s), *o = d;

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == '%') {
			*o++ = '%';
			s++;
		} else if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], '\0' };

			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return d;
}

/* htcp=MODE,... (htcp-MODE: the old form): only checked. */
static char *
cfg_peer_htcp(const char *modes)
{
	static const char *const known[] = {
		"no-clr", "no-purge-clr", "only-clr", "forward-clr", "oldsquid",
		NULL
	};
	int no_clr = 0, only_clr = 0;

	while (*modes != '\0') {
		size_t n = strcspn(modes, ",");
		int i;

		for (i = 0; known[i] != NULL; i++)
			if (strlen(known[i]) == n &&
			    strncmp(modes, known[i], n) == 0)
				break;
		if (known[i] == NULL)
			return units_strf("invalid HTCP mode '%.*s'", (int)n,
			    modes);
		no_clr |= i == 0;
		only_clr |= i == 2;
		if (no_clr && only_clr)
			return units_strf("parse_peer: can't set htcp-no-clr "
			    "and htcp-only-clr simultaneously");
		modes += n;
		if (*modes == ',')
			modes++;
	}
	return NULL;
}

/* carp-key=scheme,host,port,path,params: the parts of the URL CARP hashes. */
static char *
cfg_peer_carp_key(struct cfg_peer *p, const char *keys)
{
	static const char *const known[] = {
		"scheme", "host", "port", "path", "params", NULL
	};
	static const unsigned flag[] = {
		CFG_PEER_CARP_SCHEME, CFG_PEER_CARP_HOST, CFG_PEER_CARP_PORT,
		CFG_PEER_CARP_PATH, CFG_PEER_CARP_PARAMS
	};

	if (!(p->select & CFG_PEER_SEL_CARP))
		return units_strf("parse_peer: carp-key specified on non-carp "
		    "peer %s/%d", p->host, p->http_port);
	for (const char *k = keys; k != NULL; k = strchr(k, ',') ?
	    strchr(k, ',') + 1 : NULL) {
		int i;

		/* Squid compares prefixes: "hostname" passes as host */
		for (i = 0; known[i] != NULL; i++)
			if (strncmp(k, known[i], strlen(known[i])) == 0)
				break;
		if (known[i] == NULL)
			return units_strf("invalid carp-key '%s'", k);
		p->carp_key |= flag[i];
	}
	return NULL;
}

/*
 * The TLS words, as Squid 5.7's parse_peer hands them to
 * Security::PeerOptions: "ssl" and "tls" strip three letters ("sslcert=" is
 * "cert=", a bare "tls" or "ssl" is ""), "tls-" four.  Every word it takes
 * turns TLS on, as in Squid; "disable" turns it off again.
 */
static char *
cfg_peer_tls(struct conf_ctx *cx, struct cfg_peer *p, const char *opt)
{
	const char *w = strncmp(opt, "tls-", 4) == 0 ? opt + 4 : opt + 3;
	char *who = units_strf("cache_peer %s", p->host);
	char *err;

	if (p->tls_opts.text == NULL) {
		/* Squid's PeerOptions start: system CAs on, no version floor */
		p->tls_opts.default_ca = 1;
		p->tls_opts.min_version = -1;
		p->tls_opts.text = cfg_strdup("");
	}
	err = cfg_tls_option(cx, &p->tls_opts, w, who);
	free(who);
	if (err == NULL)
		p->tls = !p->tls_opts.disabled;
	return err;
}

static char *
cfg_peer_option(struct conf_ctx *cx, struct cfg_peer *p, const char *opt)
{
	char *err;
	int v;

	for (size_t i = 0; i < sizeof(cfg_peer_selects) /
	    sizeof(cfg_peer_selects[0]); i++) {
		if (strcmp(opt, cfg_peer_selects[i].word) != 0)
			continue;
		if (cfg_peer_selects[i].parent_only &&
		    p->type != CFG_PEER_PARENT)
			return units_strf("parse_peer: non-parent %s peer "
			    "%s/%d", opt, p->host, p->http_port);
		p->select |= cfg_peer_selects[i].flag;
		return NULL;
	}
	if (strcmp(opt, "proxy-only") == 0)
		p->proxy_only = 1;
	else if (strcmp(opt, "no-query") == 0)
		p->no_query = 1;
	else if (strcmp(opt, "no-delay") == 0)
		p->no_delay = 1;
	else if (strcmp(opt, "default") == 0)
		p->is_default = 1;
	else if (strcmp(opt, "originserver") == 0)
		p->originserver = 1;
	else if (strncmp(opt, "name=", 5) == 0) {
		/* Squid 5.7 crashes on an empty one */
		if (opt[5] == '\0')
			return units_strf("cache_peer option 'name=' needs a "
			    "value");
		free(p->name);
		p->name = cfg_strdup(opt + 5);
	} else if (strncmp(opt, "forceddomain=", 13) == 0) {
		free(p->forceddomain);
		p->forceddomain = opt[13] != '\0' ? cfg_strdup(opt + 13) :
		    NULL;
	} else if (strncmp(opt, "weight=", 7) == 0) {
		if ((err = cfg_peer_int(opt, &v)) != NULL)
			return err;
		p->weight = v < 1 ? 1 : v;
	} else if (strncmp(opt, "connect-timeout=", 16) == 0) {
		/* whole seconds, no unit, as Squid 5.7 reads it */
		if ((err = cfg_peer_int(opt, &v)) != NULL)
			return err;
		p->connect_timeout = v > 0 ? (int64_t)v * 1000 : -1;
	} else if (strncmp(opt, "connect-fail-limit=", 19) == 0) {
		if ((err = cfg_peer_int(opt, &v)) != NULL)
			return err;
		p->connect_fail_limit = v < 1 ? 10 : v;
	} else if (strncmp(opt, "max-conn=", 9) == 0) {
		if ((err = cfg_peer_int(opt, &p->max_conn)) != NULL)
			return err;
	} else if (strncmp(opt, "standby=", 8) == 0) {
		if ((err = cfg_peer_int(opt, &p->standby)) != NULL)
			return err;
	} else if (strcmp(opt, "no-tproxy") == 0)
		p->no_tproxy = 1;
	else if (strncmp(opt, "ssl", 3) == 0 || strncmp(opt, "tls", 3) == 0)
		return cfg_peer_tls(cx, p, opt);
	else if (strncmp(opt, "login=", 6) == 0) {
		free(p->login);
		p->login = cfg_peer_unescape(opt + 6);
		/* Kerberos to the peer: Squid's NEGOTIATE[:principal] */
		if (strncmp(p->login, "NEGOTIATE", 9) == 0)
			conf_warn(cx, "cache_peer option 'login=NEGOTIATE' is not "
			    "supported by cuttle yet; no credentials are sent "
			    "to the peer");
	} else if (strncmp(opt, "basetime=", 9) == 0) {
		if ((err = cfg_peer_int(opt, &p->basetime)) != NULL)
			return err;
	} else if (strncmp(opt, "ttl=", 4) == 0) {
		if ((err = cfg_peer_int(opt, &v)) != NULL)
			return err;
		cfg_peer_warn_later(cx, opt, "ignored");
	} else if (strncmp(opt, "htcp=", 5) == 0 ||
	    strncmp(opt, "htcp-", 5) == 0) {
		if ((err = cfg_peer_htcp(opt + 5)) != NULL)
			return err;
		cfg_peer_warn_later(cx, opt, "ignored");
	} else if (strncmp(opt, "carp-key=", 9) == 0) {
		if ((err = cfg_peer_carp_key(p, opt + 9)) != NULL)
			return err;
	} else if (cfg_peer_in(cfg_peer_silent, opt))
		;
	else if (cfg_peer_in(cfg_peer_later, opt))
		cfg_peer_warn_later(cx, opt, "ignored");
	else
		/* not fatal in Squid either: it logs an ERROR and goes on */
		conf_warn(cx, "Ignoring unknown cache_peer option '%s'", opt);
	return NULL;
}

static void
cfg_peer_free(struct cfg_peer *p)
{
	free(p->host);
	free(p->name);
	free(p->forceddomain);
	free(p->login);
	cfg_free_tls_outgoing(&p->tls_opts);
	access_list_free(&p->access);
	free(p->file);
	free(p);
}

void
cfg_free_peers(struct cfg_peer **list)
{
	struct cfg_peer *p;

	while ((p = *list) != NULL) {
		*list = p->next;
		cfg_peer_free(p);
	}
}

static struct cfg_peer *
cfg_peer_find(struct cfg_peer *list, const char *name)
{
	for (; list != NULL; list = list->next)
		if (strcasecmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* A port word: Squid's xatos; the HTTP port may not be 0. */
static char *
cfg_peer_port(const char *host, const char *which, const char *word,
    int zero_ok, int *port)
{
	char *err, *e;

	if ((e = cfg_xatos(word, port)) == NULL && (*port > 0 || zero_ok))
		return NULL;
	err = units_strf("cache_peer %s: bad %s port '%s'%s%s", host, which,
	    word, e != NULL ? ": " : "", e != NULL ? e : "");
	free(e);
	return err;
}

/* cache_peer HOST TYPE HTTP_PORT ICP_PORT [options] */
char *
cfg_set_peer(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_peer *p, *dup, **tail;
	char *err = NULL;
	size_t i, ntypes = sizeof(cfg_peer_types) / sizeof(cfg_peer_types[0]);

	for (i = 0; i < ntypes; i++)
		if (strcmp(argv[1], cfg_peer_types[i].word) == 0)
			break;
	/* Squid warns and makes it a sibling, which cuttle would ignore */
	if (i == ntypes)
		return units_strf("Unknown neighbor type: %s", argv[1]);
	if (argc < 4)
		return units_strf("'%s': missing value", cx->name);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	p->host = cfg_strdup(argv[0]);
	for (char *c = p->host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	p->name = cfg_strdup(argv[0]);
	p->type = cfg_peer_types[i].type;
	p->weight = 1;
	p->connect_timeout = -1;
	p->connect_fail_limit = 10;
	p->file = cfg_strdup(cx->file);
	p->line = cx->line;
	err = cfg_peer_port(p->host, "HTTP", argv[2], 0, &p->http_port);
	if (err == NULL)
		err = cfg_peer_port(p->host, "ICP", argv[3], 1, &p->icp_port);
	for (int a = 4; err == NULL && a < argc; a++)
		err = cfg_peer_option(cx, p, argv[a]);
	if (err == NULL && (dup = cfg_peer_find(*(struct cfg_peer **)field,
	    p->name)) != NULL)
		err = units_strf("cache_peer %s specified twice (first at "
		    "%s:%d)", p->name, dup->file, dup->line);
	if (err == NULL && p->max_conn > 0 && p->max_conn < p->standby)
		err = units_strf("cache_peer %s max-conn=%d is lower than its "
		    "standby=%d", p->host, p->max_conn, p->standby);
	/* Squid: ssldomain= defaults to the peer's host name or address */
	if (err == NULL && p->tls_opts.domain == NULL)
		p->tls_opts.domain = cfg_strdup(p->host);
	if (err != NULL) {
		cfg_peer_free(p);
		return err;
	}
	if (p->type != CFG_PEER_PARENT)
		conf_warn(cx, "cache_peer %s: %s peers are not supported by "
		    "cuttle yet; ignored", p->name, argv[1]);
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	return NULL;
}

/* cache_peer_access NAME allow|deny [!]acl... */
char *
cfg_set_peer_access(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	struct cfg_peer *p;

	/* Squid logs this one as an ERROR and loads on; cuttle stops */
	if ((p = cfg_peer_find(cfg->peers, argv[0])) == NULL)
		return units_strf("No cache_peer '%s'", argv[0]);
	return access_parse(&p->access, &cfg->acls, argv + 1, argc - 1, NULL,
	    cx->file, cx->line);
}
