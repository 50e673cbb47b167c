/*
 * ACL engine: parses Squid's "acl" lines (type table, options, values read
 * from "file") into per-type match structures built once at config time,
 * owns the set of named ACLs with its built-ins, and evaluates one ACL
 * against a checklist the caller fills.  Matching never allocates for the
 * common types and never blocks: a dst ACL that needs a DNS answer says so
 * (ACL_NEED_DST) and the caller retries.  The value stores live in
 * acl_ip.c, acl_dom.c, acl_re.c and acl_value.c; access lists in
 * acl_access.c.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extacl.h"
#include "log.h"
#include "tls_err.h"
#include "util.h"

static const struct acl_type_def acl_types[] = {
	{ "src",		ACL_K_SRC,		0 },
	{ "dst",		ACL_K_DST,		ACL_F_N },
	{ "dstdomain",		ACL_K_DSTDOMAIN,	ACL_F_N },
	{ "dstdom_regex",	ACL_K_DSTDOM_REGEX,	ACL_F_N | ACL_F_I },
	{ "url_regex",		ACL_K_URL_REGEX,	ACL_F_I },
	{ "urlpath_regex",	ACL_K_URLPATH_REGEX,	ACL_F_I },
	{ "port",		ACL_K_PORT,		0 },
	{ "localport",		ACL_K_LOCALPORT,	0 },
	{ "myportname",		ACL_K_MYPORTNAME,	0 },
	{ "method",		ACL_K_METHOD,		0 },
	{ "proto",		ACL_K_PROTO,		0 },
	{ "browser",		ACL_K_BROWSER,		ACL_F_I },
	{ "referer_regex",	ACL_K_REFERER_REGEX,	ACL_F_I },
	{ "req_header",		ACL_K_REQ_HEADER,	ACL_F_I },
	{ "rep_header",		ACL_K_REP_HEADER,	ACL_F_I },
	{ "http_status",	ACL_K_HTTP_STATUS,	0 },
	{ "time",		ACL_K_TIME,		0 },
	{ "ssl::server_name",	ACL_K_SSL_SERVER_NAME,	ACL_F_SNI },
	{ "ssl::server_name_regex", ACL_K_SSL_SERVER_NAME_REGEX,
	    ACL_F_SNI | ACL_F_I },
	{ "at_step",		ACL_K_AT_STEP,		0 },
	{ "srcdomain",		ACL_K_REJECTED,		0 },
	{ "srcdom_regex",	ACL_K_REJECTED,		0 },
	/* Accepted so real configs load; they never match (a warning says so). */
	{ "proxy_auth",		ACL_K_PROXY_AUTH,	ACL_F_I | ACL_F_AUTH },
	{ "proxy_auth_regex",	ACL_K_PROXY_AUTH_REGEX,	ACL_F_I | ACL_F_AUTH },
	{ "max_user_ip",	ACL_K_MAX_USER_IP,	ACL_F_S | ACL_F_AUTH },
	{ "external",		ACL_K_EXTERNAL,		0 },
	{ "ssl_error",		ACL_K_SSL_ERROR,	0 },
	{ "server_cert_fingerprint", ACL_K_SERVER_CERT_FP, ACL_F_SHA1 },
	{ "note",		ACL_K_NOTE,		ACL_F_M },
	{ "hier_code",		ACL_K_HIER_CODE,	0 },
	{ "peername",		ACL_K_UNSUPPORTED,	0 },
	{ "peername_regex",	ACL_K_UNSUPPORTED,	0 },
	{ "localip",		ACL_K_LOCALIP,		0 },
	{ "maxconn",		ACL_K_MAXCONN,		0 },
	{ "req_mime_type",	ACL_K_REQ_MIME_TYPE,	ACL_F_I },
	{ "rep_mime_type",	ACL_K_REP_MIME_TYPE,	ACL_F_I },
	{ "any-of",		ACL_K_ANY_OF,		0 },
	{ "all-of",		ACL_K_ALL_OF,		0 },
	{ "random",		ACL_K_RANDOM,		0 },
	{ "arp",		ACL_K_UNSUPPORTED,	0 },
	{ "eui64",		ACL_K_UNSUPPORTED,	0 },
	{ "has",		ACL_K_UNSUPPORTED,	0 },
	{ "connections_encrypted", ACL_K_UNSUPPORTED,	0 },
	{ "annotate_transaction", ACL_K_ANNOTATE_TRANSACTION, ACL_F_M },
	{ "annotate_client",	ACL_K_ANNOTATE_CLIENT,	ACL_F_M },
	{ "ident",		ACL_K_UNSUPPORTED,	0 },
	{ "ident_regex",	ACL_K_UNSUPPORTED,	0 },
	{ "ext_user",		ACL_K_EXT_USER,		ACL_F_I },
	{ "ext_user_regex",	ACL_K_EXT_USER_REGEX,	ACL_F_I },
	{ "tag",		ACL_K_TAG,		0 },
	{ "urllogin",		ACL_K_UNSUPPORTED,	0 },
	{ "user_cert",		ACL_K_UNSUPPORTED,	0 },
	{ "ca_cert",		ACL_K_UNSUPPORTED,	0 },
	{ "snmp_community",	ACL_K_UNSUPPORTED,	0 },
	{ "src_as",		ACL_K_UNSUPPORTED,	0 },
	{ "dst_as",		ACL_K_UNSUPPORTED,	0 },
	{ "clientside_mark",	ACL_K_UNSUPPORTED,	0 },
	{ "client_connection_mark", ACL_K_UNSUPPORTED,	0 },
	{ "adaptation_service",	ACL_K_UNSUPPORTED,	0 },
	{ "transaction_initiator", ACL_K_UNSUPPORTED,	0 },
	{ "squid_error",	ACL_K_UNSUPPORTED,	0 },
};

void *
acl_grow(void *p, int *cap, int need, size_t size)
{
	int ncap;

	if (need <= *cap)
		return p;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	*cap = ncap;
	return xrealloc(p, (size_t)ncap * size);
}

void
acl_warn(struct acl_msgs *m, const char *fmt, ...)
{
	va_list ap;
	char *s, *j;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory formatting a string");
	va_end(ap);
	if (m->text == NULL) {
		m->text = s;
		return;
	}
	j = xasprintf("%s; %s", m->text, s);
	free(m->text);
	free(s);
	m->text = j;
}

static const char *const acl_protos[] = {
	"HTTP", "HTTPS", "FTP", "GOPHER", "WAIS", "CACHE_OBJECT", "ICP",
	"HTCP", "URN", "WHOIS", "ICY", "AUTHORITY", "COAP", "COAPS", "NONE",
	NULL
};

/* ---- parse ---- */

static const struct acl_type_def *
acl_type_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(acl_types) / sizeof(acl_types[0]); i++)
		if (strcmp(acl_types[i].name, name) == 0)
			return &acl_types[i];
	return NULL;
}

struct acl *
acl_find(const struct acl_set *set, const char *name)
{
	struct acl *a;

	for (a = set->head; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static void acl_free(struct acl *a);

/* A decimal number in 1..INT_MAX, else 0. */
static int
acl_positive_int(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > INT_MAX)
		return 0;
	return (int)v;
}

/*
 * random: Squid 5.7's ACLRandom patterns, "A:B" (A matches for B
 * misses), "A/B" (A in B, A <= B) or "0.NNN"; the probability, or 0 for
 * a bad pattern (Squid's "Invalid ACL").  As Squid's sscanf, what follows
 * the digits is not looked at.
 */
static double
acl_random_chance(const char *t)
{
	char *end;
	unsigned long a, b;

	if (t[0] == '0' && t[1] == '.' && isdigit((unsigned char)t[2]))
		return strtod(t, NULL);
	if (!isdigit((unsigned char)t[0]))
		return 0.0;
	a = strtoul(t, &end, 10);
	if ((*end != ':' && *end != '/') || !isdigit((unsigned char)end[1]))
		return 0.0;
	b = strtoul(end + 1, NULL, 10);
	if (a == 0 || b == 0 || a > INT_MAX || b > INT_MAX)
		return 0.0;
	if (*end == ':')
		return (double)a / (double)(a + b);
	return a <= b ? (double)a / (double)b : 0.0;
}

/* Squid 5.7's hier_code_str (hier_code.h, built with cache digests). */
static const char *const acl_hier_codes[] = {
	"HIER_NONE", "HIER_DIRECT", "SIBLING_HIT", "PARENT_HIT",
	"DEFAULT_PARENT", "SINGLE_PARENT", "FIRSTUP_PARENT",
	"FIRST_PARENT_MISS", "CLOSEST_PARENT_MISS", "CLOSEST_PARENT",
	"CLOSEST_DIRECT", "NO_DIRECT_FAIL", "SOURCE_FASTEST",
	"ROUNDROBIN_PARENT", "CD_PARENT_HIT", "CD_SIBLING_HIT", "CARP",
	"ANY_OLD_PARENT", "USERHASH_PARENT", "SOURCEHASH_PARENT", "PINNED",
	"ORIGINAL_DST", "STANDBY_POOL", NULL
};

/* Does a use b, itself or through the groups of the ACLs it names? */
static int
acl_uses(const struct acl *a, const struct acl *b)
{
	if (a == b)
		return 1;
	for (int g = 0; g < a->ngroups; g++)
		for (int i = 0; i < a->groups[g].nrefs; i++)
			if (acl_uses(a->groups[g].refs[i].acl, b))
				return 1;
	return 0;
}

/*
 * any-of and all-of: the named ACLs (defined earlier, "!" negates) as
 * Squid 5.7's Acl::AnyOf and Acl::AllOf read them: any-of ORs every name
 * of every line; all-of ANDs a line's names, and its lines are ORed.
 */
static char *
acl_group_parse(struct acl_set *set, struct acl *a, char **v, int n)
{
	struct acl_ref *refs;
	int nrefs, i;
	char *err;

	if ((err = acl_refs_parse(set, v, n, &refs, &nrefs)) != NULL)
		return err;
	for (i = 0; i < nrefs; i++)
		if (acl_uses(refs[i].acl, a)) {
			free(refs);
			return xasprintf("ACL '%s' cannot name itself, even "
			    "through '%s'", a->name, v[i]);
		}
	int add = a->def->kind == ACL_K_ANY_OF ? nrefs : (nrefs > 0);
	if (a->ngroups + add > a->groups_cap) {
		a->groups_cap = (a->ngroups + add) * 2;
		a->groups = xrealloc(a->groups,
		    (size_t)a->groups_cap * sizeof(*a->groups));
	}
	if (a->def->kind == ACL_K_ALL_OF) {
		if (nrefs > 0) {
			a->groups[a->ngroups].refs = refs;
			a->groups[a->ngroups++].nrefs = nrefs;
		}
		return NULL;
	}
	for (i = 0; i < nrefs; i++) {
		a->groups[a->ngroups].refs = xmalloc(sizeof(struct acl_ref));
		a->groups[a->ngroups].refs[0] = refs[i];
		a->groups[a->ngroups++].nrefs = 1;
	}
	free(refs);
	return NULL;
}

/* Parse the values of one line into a (already of the right type). */
static char *
acl_parse_values(struct acl_set *set, struct acl *a, char **v, int n,
    const int *icase, struct acl_msgs *w)
{
	enum acl_kind k = a->def->kind;
	char *err = NULL;
	int i, step;

	switch (k) {
	case ACL_K_SRC:
	case ACL_K_DST:
	case ACL_K_LOCALIP:
		for (i = 0; i < n && err == NULL; i++)
			err = acl_ip_parse(a, v[i], w);
		break;
	case ACL_K_DSTDOMAIN:
	case ACL_K_SSL_SERVER_NAME:
		err = acl_dom_add(a, v, n, w);
		break;
	case ACL_K_DSTDOM_REGEX:
	case ACL_K_URL_REGEX:
	case ACL_K_URLPATH_REGEX:
	case ACL_K_BROWSER:
	case ACL_K_REFERER_REGEX:
	case ACL_K_REQ_MIME_TYPE:
	case ACL_K_REP_MIME_TYPE:
	case ACL_K_EXT_USER_REGEX:
	case ACL_K_SSL_SERVER_NAME_REGEX:
	case ACL_K_PROXY_AUTH_REGEX:
		acl_re_add(&a->rx, v, icase, n, w);
		break;
	case ACL_K_PROXY_AUTH:
	case ACL_K_EXT_USER:
		for (i = 0; i < n; i++) {
			if (icase[i])
				a->auth_icase = 1;
			if (strcmp(v[i], "REQUIRED") == 0)
				a->auth_required = 1;
			else
				acl_word_add(a, v[i]);
		}
		if (a->auth_required && a->nwords > 0)
			acl_warn(w, "ACL '%s': REQUIRED matches every valid "
			    "user; the user names beside it change nothing",
			    a->name);
		break;
	case ACL_K_MAX_USER_IP:
		/* as Squid: the first number only, and only once */
		if (n < 1 && a->max_ips == 0)
			return xasprintf("Invalid ACL: max_user_ip ACL '%s' "
			    "needs a number of addresses", a->name);
		if (n < 1)
			break;
		if (a->max_ips > 0) {
			acl_warn(w, "Attempting to alter already set User max "
			    "IP acl '%s'", a->name);
			break;
		}
		if ((step = acl_positive_int(v[0])) <= 0)
			return xasprintf("Invalid ACL: max_user_ip ACL '%s' "
			    "needs a number of addresses above 0, not '%s'",
			    a->name, v[0]);
		a->max_ips = step;
		if (n > 1)
			acl_warn(w, "ACL '%s': max_user_ip takes one number; "
			    "'%s' and after are ignored", a->name, v[1]);
		break;
	case ACL_K_ANY_OF:
	case ACL_K_ALL_OF:
		return acl_group_parse(set, a, v, n);
	case ACL_K_HIER_CODE:
		/* Squid: an unknown name is fatal; names are case-exact */
		for (i = 0; i < n; i++) {
			int j;

			for (j = 0; acl_hier_codes[j] != NULL; j++)
				if (strcmp(acl_hier_codes[j], v[i]) == 0)
					break;
			if (acl_hier_codes[j] == NULL)
				return xasprintf("No such hier_code '%s'", v[i]);
			acl_word_add(a, v[i]);
		}
		break;
	case ACL_K_RANDOM:
		/* Squid reads one pattern per line, the last line's wins */
		if (n < 1 || (a->chance = acl_random_chance(v[0])) <= 0.0)
			return xasprintf("Invalid ACL: random ACL '%s' needs a "
			    "pattern A:B, A/B or 0.N%s%s%s", a->name,
			    n > 0 ? ", not '" : "", n > 0 ? v[0] : "",
			    n > 0 ? "'" : "");
		if (n > 1)
			acl_warn(w, "ACL '%s': random takes one pattern; '%s' "
			    "and after are ignored", a->name, v[1]);
		break;
	case ACL_K_MAXCONN:
		/*
		 * Squid 5.7's ACLMaxConnection: one number above 0 (else
		 * "Invalid ACL", fatal); a second line does not change it.
		 * Squid skips later words silently: cuttle says so.
		 */
		if (a->max_conns > 0) {
			acl_warn(w, "ACL '%s': maxconn is already %d; '%s' is "
			    "ignored", a->name, a->max_conns, n > 0 ? v[0] : "");
			break;
		}
		if (n < 1 || (a->max_conns = acl_positive_int(v[0])) <= 0)
			return xasprintf("Invalid ACL: maxconn ACL '%s' needs a "
			    "number of connections above 0%s%s%s", a->name,
			    n > 0 ? ", not '" : "", n > 0 ? v[0] : "",
			    n > 0 ? "'" : "");
		set->has_maxconn = 1;
		if (n > 1)
			acl_warn(w, "ACL '%s': maxconn takes one number; '%s' "
			    "and after are ignored", a->name, v[1]);
		break;
	case ACL_K_REQ_HEADER:
	case ACL_K_REP_HEADER:
		if (n < 2)
			return xasprintf("%s ACL '%s' needs a header name and a "
			    "regular expression", a->def->name, a->name);
		a->hdrs = acl_grow(a->hdrs, &a->hdrs_cap, a->nhdrs + 1,
		    sizeof(*a->hdrs));
		memset(&a->hdrs[a->nhdrs], 0, sizeof(a->hdrs[0]));
		a->hdrs[a->nhdrs].name = xstrdup(v[0]);
		acl_re_add(&a->hdrs[a->nhdrs].rx, v + 1, icase + 1, n - 1, w);
		a->nhdrs++;
		break;
	case ACL_K_PORT:
	case ACL_K_LOCALPORT:
	case ACL_K_HTTP_STATUS:
		for (i = 0; i < n && err == NULL; i++)
			err = acl_range_parse(a, v[i], k == ACL_K_HTTP_STATUS);
		break;
	case ACL_K_METHOD:
		for (i = 0; i < n; i++) {
			acl_word_add(a, v[i]);
			if (strcmp(v[i], "PURGE") == 0)
				set->has_purge = 1;
		}
		break;
	case ACL_K_PROTO:
		for (i = 0; i < n; i++) {
			int j;

			for (j = 0; acl_protos[j] != NULL; j++)
				if (strcasecmp(acl_protos[j], v[i]) == 0)
					break;
			if (acl_protos[j] == NULL) {
				acl_warn(w, "Ignoring unknown protocol '%s' in "
				    "the ACL named '%s'", v[i], a->name);
				continue;
			}
			acl_word_add(a, v[i]);
		}
		break;
	case ACL_K_MYPORTNAME:
	case ACL_K_SERVER_CERT_FP:
	case ACL_K_TAG:
	case ACL_K_UNSUPPORTED:
		for (i = 0; i < n; i++)
			acl_word_add(a, v[i]);
		break;
	case ACL_K_NOTE:
		/* "note [-m[=delims]] NAME [VALUE...]": as Squid's
		 * ACLNoteData, a later line names the annotation anew */
		if (n < 1)
			return xasprintf("note ACL '%s' needs an annotation "
			    "name", a->name);
		free(a->note_name);
		a->note_name = xstrdup(v[0]);
		for (i = 1; i < n; i++)
			acl_word_add(a, v[i]);
		break;
	case ACL_K_ANNOTATE_TRANSACTION:
	case ACL_K_ANNOTATE_CLIENT:
		err = acl_annot_parse(a, v, n, w);
		break;
	case ACL_K_EXTERNAL:
		/* "external TYPENAME [args...]", defined once, as Squid */
		if (a->ext != NULL)
			return xasprintf("external ACL '%s' is already "
			    "defined", a->name);
		if (n < 1)
			return xasprintf("external ACL '%s' needs an "
			    "external_acl_type name", a->name);
		if (set->ext_types == NULL || (a->ext = extacl_type_find(
		    *set->ext_types, v[0])) == NULL)
			return xasprintf("external ACL '%s': no "
			    "external_acl_type named '%s' (it must come first)",
			    a->name, v[0]);
		for (i = 1; i < n; i++)
			acl_word_add(a, v[i]);
		break;
	case ACL_K_TIME:
		err = acl_time_parse(a, v, n, w);
		break;
	case ACL_K_SSL_ERROR:
		for (i = 0; i < n; i++) {
			int codes[TLS_ERR_GROUP_MAX], nc, j;

			if ((nc = tls_err_parse(v[i], codes)) == -1)
				return xasprintf("Unknown TLS error name '%s'",
				    v[i]);
			for (j = 0; j < nc; j++) {
				a->ranges = acl_grow(a->ranges,
				    &a->ranges_cap, a->nranges + 1,
				    sizeof(*a->ranges));
				a->ranges[a->nranges].lo = codes[j];
				a->ranges[a->nranges++].hi = codes[j];
			}
		}
		break;
	case ACL_K_AT_STEP:
		for (i = 0; i < n; i++) {
			if (strcasecmp(v[i], "SslBump1") == 0)
				step = 1;
			else if (strcasecmp(v[i], "SslBump2") == 0)
				step = 2;
			else if (strcasecmp(v[i], "SslBump3") == 0)
				step = 3;
			else if (strcasecmp(v[i], "GeneratingCONNECT") == 0)
				step = 4;
			else
				return xasprintf("unknown at_step step name: %s",
				    v[i]);
			a->steps |= 1 << step;
		}
		break;
	case ACL_K_REJECTED:
		break;
	}
	return err;
}

static int
acl_count_values(const struct acl *a)
{
	return a->nips + a->ndoms + a->rx.n + a->nranges + a->nwords +
	    a->nhdrs + a->ntimes + (a->steps != 0) + a->auth_required +
	    (a->max_ips > 0) + (a->max_conns > 0) + a->ngroups +
	    (a->chance > 0.0) +
	    (a->ext != NULL) + (a->note_name != NULL) + a->nannots;
}

/* An ssl::server_name option, or ACL_SNI_DEFAULT if o is none. */
static int
acl_sni_option(const char *o)
{
	if (strcmp(o, "--client-requested") == 0)
		return ACL_SNI_CLIENT;
	if (strcmp(o, "--server-provided") == 0)
		return ACL_SNI_SERVER;
	if (strcmp(o, "--consensus") == 0)
		return ACL_SNI_CONSENSUS;
	return ACL_SNI_DEFAULT;
}

static char *
acl_parse_internal(struct acl_set *set, char **argv, int argc,
    struct acl_msgs *w, int builtin)
{
	const struct acl_type_def *def;
	struct acl *a, **tail;
	const char *tname;
	char *err, **vals = NULL;
	int *icase = NULL, i, n = 0, cur_icase = 0, created = 0, no_dns = 0;
	int sni = 0, sni_mode = ACL_SNI_DEFAULT;

	if (argc < 1 || argv[0][0] == '\0')
		return xasprintf("missing ACL name");
	if (argc < 2)
		return xasprintf("missing ACL type for ACL '%s'", argv[0]);
	tname = argv[1];

	/* Squid's renamed types: accept with an upgrade note. */
	if (strcmp(tname, "myip") == 0) {
		acl_warn(w, "UPGRADE: ACL 'myip' type has been renamed to "
		    "'localip' and matches the IP the client connected to");
		tname = "localip";
	} else if (strcmp(tname, "myport") == 0) {
		acl_warn(w, "UPGRADE: ACL 'myport' type has been renamed to "
		    "'localport' and matches the port the client connected "
		    "to");
		tname = "localport";
	}
	if (!builtin && strcmp(argv[0], "manager") == 0 &&
	    strcmp(tname, "proto") == 0) {
		acl_warn(w, "UPGRADE: ACL 'manager' is now a built-in ACL. "
		    "Remove it from your config file.");
		return NULL;
	}
	if ((def = acl_type_lookup(tname)) == NULL)
		return xasprintf("Invalid ACL type '%s'", tname);
	if (def->kind == ACL_K_REJECTED)
		return xasprintf("ACL type '%s' is not supported by cuttle yet "
		    "(ACL '%s')", tname, argv[0]);

	if ((a = acl_find(set, argv[0])) != NULL) {
		if (a->def != def)
			return xasprintf("ACL '%s' already exists with different "
			    "type.", argv[0]);
		if (a->builtin && strcmp(a->name, "all") == 0 && argc > 2)
			acl_warn(w, "ACL 'all' is built in and already "
			    "matches every address; values added to it "
			    "change nothing");
	} else {
		a = xcalloc(1, sizeof(*a));
		a->name = xstrdup(argv[0]);
		a->def = def;
		a->builtin = builtin;
		created = 1;
	}

	vals = xcalloc((size_t)argc, sizeof(*vals));
	icase = xcalloc((size_t)argc, sizeof(*icase));
	i = 2;
	/* Options come first; only -i/+i may also appear between values. */
	if (def->kind != ACL_K_UNSUPPORTED) {
		for (; i < argc; i++) {
			const char *o = argv[i];

			if (strcmp(o, "--") == 0) {
				i++;
				break;
			}
			if ((def->flags & ACL_F_I) && strcmp(o, "-i") == 0)
				cur_icase = 1;
			else if ((def->flags & ACL_F_I) && strcmp(o, "+i") == 0)
				cur_icase = 0;
			else if ((def->flags & ACL_F_N) && strcmp(o, "-n") == 0)
				no_dns = 1;
			else if ((def->flags & ACL_F_M) &&
			    strncmp(o, "-m", 2) == 0 && (o[2] == '\0' ||
			    o[2] == '=')) {
				/* Squid's default list delimiter is ',' */
				free(a->note_delims);
				a->note_delims = xstrdup(o[2] == '=' && o[3] ?
				    o + 3 : ",");
			}
			else if ((def->flags & ACL_F_SNI) &&
			    (sni = acl_sni_option(o)) != ACL_SNI_DEFAULT) {
				if (sni_mode != ACL_SNI_DEFAULT) {
					err = xasprintf("Multiple options given "
					    "for the server_name ACL");
					goto out;
				}
				sni_mode = sni;
			} else if ((def->flags & ACL_F_S) && strcmp(o, "-s") == 0)
				a->strict = 1;
			else if ((def->flags & ACL_F_SHA1) &&
			    strcmp(o, "-sha1") == 0)
				;	/* the only digest, as in Squid 5.7 */
			else if (o[0] == '-' || o[0] == '+') {
				err = xasprintf("unsupported ACL option: %s", o);
				goto out;
			} else
				break;
		}
	}
	for (; i < argc; i++) {
		if ((def->flags & ACL_F_I) && strcmp(argv[i], "-i") == 0)
			cur_icase = 1;
		else if ((def->flags & ACL_F_I) && strcmp(argv[i], "+i") == 0)
			cur_icase = 0;
		else {
			vals[n] = argv[i];
			icase[n++] = cur_icase;
		}
	}
	if (no_dns)
		a->no_dns = 1;
	if (sni_mode != ACL_SNI_DEFAULT)
		a->sni_mode = sni_mode;

	err = acl_parse_values(set, a, vals, n, icase, w);
	if (err == NULL && def->kind == ACL_K_UNSUPPORTED && !builtin)
		acl_warn(w, "ACL type '%s' is not supported by cuttle yet; ACL "
		    "'%s' never matches", def->name, a->name);
	if (err == NULL && !builtin && acl_count_values(a) == 0)
		acl_warn(w, "empty ACL: acl %s %s", a->name, def->name);
out:
	free(vals);
	free(icase);
	if (created && err != NULL) {
		acl_free(a);	/* a refused line defines nothing */
		created = 0;
	}
	if (created) {
		/* Keep definition order: built-ins first, then the config's. */
		for (tail = &set->head; *tail != NULL; tail = &(*tail)->next)
			;
		*tail = a;
	}
	return err;
}

void
acl_set_each_maxconn(const struct acl_set *set, void (*fn)(const char *name))
{
	for (const struct acl *a = set->head; a != NULL; a = a->next)
		if (a->def->kind == ACL_K_MAXCONN)
			fn(a->name);
}

char *
acl_parse(struct acl_set *set, char **argv, int argc, char **warning)
{
	struct acl_msgs w = { NULL };
	char *err;

	err = acl_parse_internal(set, argv, argc, &w, 0);
	if (warning != NULL)
		*warning = w.text;
	else
		free(w.text);
	return err;
}

static void
acl_builtin(struct acl_set *set, const char *line)
{
	char buf[256], *argv[16], *p, *save = NULL, *err;
	struct acl_msgs w = { NULL };
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 16;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err = acl_parse_internal(set, argv, argc, &w, 1);
	/* Built-in definitions are constants: failing here is a bug. */
	if (err != NULL)
		fatalx("built-in ACL '%s': %s", line, err);
	free(w.text);
}

void
acl_set_init(struct acl_set *set)
{
	set->head = NULL;
	set->has_purge = 0;
	set->has_maxconn = 0;
	set->ext_types = NULL;
	acl_builtin(set, "all src all");
	acl_builtin(set, "manager url_regex -i ^cache_object:// +i "
	    "^[^:]+://[^/]+/squid-internal-mgr/");
	acl_builtin(set, "localhost src 127.0.0.1/32 ::1");
	acl_builtin(set, "to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1/128 "
	    "::/128");
	acl_builtin(set, "CONNECT method CONNECT");
	/* Squid's built-in ssl_error sets, as its shortcuts define them. */
	acl_builtin(set, "ssl::certHasExpired ssl_error ssl::certHasExpired");
	acl_builtin(set, "ssl::certNotYetValid ssl_error ssl::certNotYetValid");
	acl_builtin(set, "ssl::certDomainMismatch ssl_error ssl::certDomainMismatch");
	acl_builtin(set, "ssl::certUntrusted ssl_error ssl::certUntrusted");
	acl_builtin(set, "ssl::certSelfSigned ssl_error ssl::certSelfSigned");
}

static void
acl_free(struct acl *a)
{
	int i;

	free(a->name);
	free(a->note_name);
	free(a->note_delims);
	acl_annot_free(a);
	free(a->ips);
	for (i = 0; i < a->ndoms; i++)
		free(a->doms[i].key);
	free(a->doms);
	acl_re_free(&a->rx);
	free(a->ranges);
	for (i = 0; i < a->nwords; i++)
		free(a->words[i]);
	free(a->words);
	for (i = 0; i < a->nhdrs; i++) {
		free(a->hdrs[i].name);
		acl_re_free(&a->hdrs[i].rx);
	}
	free(a->hdrs);
	free(a->times);
	for (i = 0; i < a->ngroups; i++)
		free(a->groups[i].refs);
	free(a->groups);
	free(a);
}

void
acl_set_free(struct acl_set *set)
{
	struct acl *a, *next;

	for (a = set->head; a != NULL; a = next) {
		next = a->next;
		acl_free(a);
	}
	set->head = NULL;
	set->has_purge = 0;
	set->has_maxconn = 0;
}

const char *
acl_name(const struct acl *acl)
{
	return acl->name;
}

const char *
acl_type(const struct acl *acl)
{
	return acl->def->name;
}

int
acl_is_auth(const struct acl *acl)
{
	/* max_user_ip asks for credentials too, but is not one (Squid's
	 * isProxyAuth): a deny ending in it is a 403 */
	return ((acl->def->flags & ACL_F_AUTH) != 0 &&
	    acl->def->kind != ACL_K_MAX_USER_IP) ||
	    (acl->ext != NULL && acl->ext->require_auth);
}

int
acl_external(const struct acl *acl, const struct extacl_type **type,
    char *const **args, int *nargs)
{
	if (acl->def->kind != ACL_K_EXTERNAL || acl->ext == NULL)
		return 0;
	*type = acl->ext;
	*args = acl->words;
	*nargs = acl->nwords;
	return 1;
}

/* ---- match ---- */

/* dstdomain-style match of a host, with Squid's reverse-DNS rule for IPs. */
static int
acl_host_match(const struct acl *a, const char *host, const char *rdns,
    int regex)
{
	if (host == NULL)
		return 0;
	if (regex) {
		if (acl_re_match(&a->rx, host))
			return 1;
	} else if (acl_dom_match(a, host))
		return 1;
	if (a->no_dns || !acl_is_ip_host(host))
		return 0;
	/* An IP host is also known by its reverse name ("none" if absent). */
	if (rdns == NULL || rdns[0] == '\0')
		rdns = "none";
	return regex ? acl_re_match(&a->rx, rdns) : acl_dom_match(a, rdns);
}

enum acl_result
acl_match(const struct acl *a, const struct acl_checklist *cl)
{
	uint64_t h, l;
	int i;

	switch (a->def->kind) {
	case ACL_K_SRC:
		return acl_ip_match_sa(a, cl->src);
	case ACL_K_LOCALIP:
		return cl->local != NULL && acl_ip_match_sa(a, cl->local);
	case ACL_K_DST:
		if (cl->host != NULL && acl_ip_literal(cl->host, &h, &l))
			return acl_ip_match(a, h, l);
		if (cl->dst_all != NULL) {
			for (i = 0; cl->dst_all[i] != NULL; i++)
				if (acl_ip_match_sa(a, cl->dst_all[i]))
					return ACL_MATCH;
			return ACL_NOMATCH;
		}
		if (cl->dst == NULL)
			return ACL_NEED_DST;
		return acl_ip_match_sa(a, cl->dst);
	case ACL_K_DSTDOMAIN:
		return acl_host_match(a, cl->host, cl->dst_rdns, 0);
	case ACL_K_DSTDOM_REGEX:
		return acl_host_match(a, cl->host, cl->dst_rdns, 1);
	case ACL_K_URL_REGEX:
		return acl_re_match(&a->rx, cl->url);
	case ACL_K_URLPATH_REGEX:
		return acl_re_match(&a->rx, cl->path);
	case ACL_K_PORT:
		return cl->port > 0 && acl_range_match(a, cl->port);
	case ACL_K_LOCALPORT:
		return cl->local_port > 0 && acl_range_match(a, cl->local_port);
	case ACL_K_HTTP_STATUS:
		return cl->status > 0 && acl_range_match(a, cl->status);
	case ACL_K_MYPORTNAME:
		return acl_word_match(a, cl->port_name, 0);
	case ACL_K_METHOD:
		return acl_word_match(a, cl->method, 0);
	case ACL_K_PROTO:
		return acl_word_match(a, cl->scheme, 1);
	case ACL_K_BROWSER:
		return acl_hdr_regex(cl->request, "User-Agent", &a->rx, 0);
	case ACL_K_REFERER_REGEX:
		return acl_hdr_regex(cl->request, "Referer", &a->rx, 0);
	case ACL_K_REQ_MIME_TYPE:
		return acl_hdr_regex(cl->request, "Content-Type", &a->rx, 1);
	case ACL_K_REP_MIME_TYPE:
		return acl_hdr_regex(cl->reply, "Content-Type", &a->rx, 1);
	case ACL_K_REQ_HEADER:
	case ACL_K_REP_HEADER:
		for (i = 0; i < a->nhdrs; i++)
			if (acl_hdr_regex(a->def->kind == ACL_K_REQ_HEADER ?
			    cl->request : cl->reply, a->hdrs[i].name,
			    &a->hdrs[i].rx, 0))
				return ACL_MATCH;
		return ACL_NOMATCH;
	case ACL_K_TIME:
		return acl_time_match(a, cl->now);
	case ACL_K_SSL_SERVER_NAME:
	case ACL_K_SSL_SERVER_NAME_REGEX:
		return acl_tls_server_name_match(a, cl);
	case ACL_K_SERVER_CERT_FP:
		return acl_tls_fingerprint_match(a, cl);
	case ACL_K_SSL_ERROR:
		for (i = 0; i < cl->nssl_errors; i++)
			if (acl_range_match(a, cl->ssl_errors[i]))
				return ACL_MATCH;
		return ACL_NOMATCH;
	case ACL_K_AT_STEP:
		return cl->ssl_step > 0 && cl->ssl_step < 31 &&
		    (a->steps & (1 << cl->ssl_step)) != 0;
	case ACL_K_PROXY_AUTH:
	case ACL_K_PROXY_AUTH_REGEX:
		if (cl->auth_state == ACL_AUTH_OFF)
			return ACL_NOMATCH;
		if (cl->auth_state != ACL_AUTH_OK || cl->user == NULL)
			return ACL_NEED_AUTH;
		if (a->def->kind == ACL_K_PROXY_AUTH_REGEX)
			return acl_re_match(&a->rx, cl->user);
		if (a->auth_required)
			return ACL_MATCH;
		return acl_word_match(a, cl->user, a->auth_icase);
	case ACL_K_EXT_USER:
	case ACL_K_EXT_USER_REGEX: {
		/* Squid's ACLExtUser: no user from an external ACL yet, no
		 * match; the same user lists and regexes as proxy_auth */
		const char *u = cl->ext_user != NULL ? *cl->ext_user : NULL;

		if (u == NULL || *u == '\0')
			return ACL_NOMATCH;
		if (a->def->kind == ACL_K_EXT_USER_REGEX)
			return acl_re_match(&a->rx, u);
		if (a->auth_required)
			return ACL_MATCH;
		return acl_word_match(a, u, a->auth_icase);
	}
	case ACL_K_MAX_USER_IP:
		if (cl->auth_state == ACL_AUTH_OFF)
			return ACL_NOMATCH;
		if (cl->auth_state != ACL_AUTH_OK || cl->user == NULL)
			return ACL_NEED_AUTH;
		if (cl->max_user_ip == NULL || a->max_ips <= 0)
			return ACL_NOMATCH;
		return cl->max_user_ip(cl->auth_arg, a->max_ips, a->strict) ?
		    ACL_MATCH : ACL_NOMATCH;
	case ACL_K_TAG:
		return acl_word_match(a, cl->tag != NULL ? *cl->tag : NULL, 0);
	case ACL_K_NOTE:
		return acl_note_match(a, cl->notes);
	/* Squid's ACLAnnotate*Strategy: match when there is something to
	 * annotate, and annotate even when negated or a later ACL fails */
	case ACL_K_ANNOTATE_TRANSACTION:
		if (cl->annotate_xact == NULL)
			return ACL_NOMATCH;
		acl_annot_apply(a, cl->annotate_xact);
		return ACL_MATCH;
	case ACL_K_ANNOTATE_CLIENT:
		if (cl->annotate_conn == NULL)
			return ACL_NOMATCH;
		acl_annot_apply(a, cl->annotate_conn);
		if (cl->annotate_xact != NULL)
			acl_annot_apply(a, cl->annotate_xact);
		return ACL_MATCH;
	case ACL_K_EXTERNAL:
		if (cl->external == NULL || a->ext == NULL)
			return ACL_NOMATCH;
		return cl->external(cl->external_arg, a, cl);
	case ACL_K_HIER_CODE:
		return acl_word_match(a, cl->hier != NULL ? cl->hier :
		    "HIER_NONE", 0);
	case ACL_K_RANDOM:
		/* Squid: the probability above a uniform draw in [0, 1) */
		return a->chance > drand48() ? ACL_MATCH : ACL_NOMATCH;
	case ACL_K_ANY_OF:
	case ACL_K_ALL_OF:
		/* the first group that matches; one that must wait stops
		 * the search, as Squid's OrNode waits for its child */
		for (i = 0; i < a->ngroups; i++) {
			enum acl_result r = acl_refs_match(a->groups[i].refs,
			    a->groups[i].nrefs, cl);
			if (r != ACL_NOMATCH)
				return r;
		}
		return ACL_NOMATCH;
	case ACL_K_MAXCONN:
		/* Squid: clientdbEstablished(src) > limit */
		return cl->client_conns > a->max_conns ? ACL_MATCH :
		    ACL_NOMATCH;
	case ACL_K_UNSUPPORTED:
	case ACL_K_REJECTED:
		return ACL_NOMATCH;
	}
	return ACL_NOMATCH;
}
