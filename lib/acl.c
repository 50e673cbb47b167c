/*
 * ACL engine: parses Squid's "acl" lines into per-type match structures
 * built once at config time (address ranges as 128-bit integers, domains as
 * a sorted array of reversed names, regexes pre-compiled and grouped), and
 * evaluates access lists against a checklist the caller fills.  Matching
 * never allocates for the common types and never blocks: a dst ACL that
 * needs a DNS answer says so (ACL_NEED_DST) and the caller retries.
 */
#include "config.h"
#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"
#include "log.h"
#include "util.h"

enum acl_kind {
	ACL_K_SRC, ACL_K_DST, ACL_K_DSTDOMAIN, ACL_K_DSTDOM_REGEX,
	ACL_K_URL_REGEX, ACL_K_URLPATH_REGEX, ACL_K_PORT, ACL_K_LOCALPORT,
	ACL_K_MYPORTNAME, ACL_K_METHOD, ACL_K_PROTO, ACL_K_BROWSER,
	ACL_K_REFERER_REGEX, ACL_K_REQ_HEADER, ACL_K_REP_HEADER,
	ACL_K_HTTP_STATUS, ACL_K_TIME, ACL_K_SSL_SERVER_NAME,
	ACL_K_SSL_SERVER_NAME_REGEX, ACL_K_AT_STEP,
	ACL_K_UNSUPPORTED,	/* parsed and kept, never matches */
	ACL_K_REJECTED		/* refused at parse time */
};

/* Options a type accepts before (and, for -i, between) its values. */
#define ACL_F_I		0x01	/* -i / +i: regex case */
#define ACL_F_N		0x02	/* -n: no DNS lookups or conversions */
#define ACL_F_M		0x04	/* -m[=delims] */
#define ACL_F_SNI	0x08	/* --client-requested etc. */
#define ACL_F_AUTH	0x10	/* triggers authentication */

struct acl_type_def {
	const char	*name;
	enum acl_kind	 kind;
	int		 flags;
};

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
	{ "proxy_auth",		ACL_K_UNSUPPORTED,	ACL_F_AUTH },
	{ "proxy_auth_regex",	ACL_K_UNSUPPORTED,	ACL_F_AUTH },
	{ "max_user_ip",	ACL_K_UNSUPPORTED,	ACL_F_AUTH },
	{ "external",		ACL_K_UNSUPPORTED,	0 },
	{ "ssl_error",		ACL_K_UNSUPPORTED,	0 },
	{ "server_cert_fingerprint", ACL_K_UNSUPPORTED,	0 },
	{ "note",		ACL_K_UNSUPPORTED,	0 },
	{ "hier_code",		ACL_K_UNSUPPORTED,	0 },
	{ "peername",		ACL_K_UNSUPPORTED,	0 },
	{ "peername_regex",	ACL_K_UNSUPPORTED,	0 },
	{ "localip",		ACL_K_UNSUPPORTED,	0 },
	{ "maxconn",		ACL_K_UNSUPPORTED,	0 },
	{ "req_mime_type",	ACL_K_UNSUPPORTED,	0 },
	{ "rep_mime_type",	ACL_K_UNSUPPORTED,	0 },
	{ "any-of",		ACL_K_UNSUPPORTED,	0 },
	{ "all-of",		ACL_K_UNSUPPORTED,	0 },
	{ "random",		ACL_K_UNSUPPORTED,	0 },
	{ "arp",		ACL_K_UNSUPPORTED,	0 },
	{ "eui64",		ACL_K_UNSUPPORTED,	0 },
	{ "has",		ACL_K_UNSUPPORTED,	0 },
	{ "connections_encrypted", ACL_K_UNSUPPORTED,	0 },
	{ "annotate_transaction", ACL_K_UNSUPPORTED,	0 },
	{ "annotate_client",	ACL_K_UNSUPPORTED,	0 },
	{ "ident",		ACL_K_UNSUPPORTED,	0 },
	{ "ident_regex",	ACL_K_UNSUPPORTED,	0 },
	{ "ext_user",		ACL_K_UNSUPPORTED,	0 },
	{ "ext_user_regex",	ACL_K_UNSUPPORTED,	0 },
	{ "tag",		ACL_K_UNSUPPORTED,	0 },
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

/* One address entry: (addr & mask) in [lo, hi], IPv4 mapped into ::ffff:0:0/96. */
struct acl_ip {
	uint64_t	 lo_h, lo_l, hi_h, hi_l, mask_h, mask_l;
};

/*
 * A domain in reversed, lowercase form ("moc.elpmaxe." for ".example.com"),
 * so a domain and its subdomains sort next to each other.  seq is the
 * definition order, which decides between Squid's warning and its FATAL.
 */
struct acl_dom {
	char		*key;
	size_t		 len;
	unsigned	 seq;
	int		 dead;
};

struct acl_regexes {
	regex_t		*re;
	int		 n, cap;
};

struct acl_range {
	int		 lo, hi;
};

struct acl_hdr {		/* req_header / rep_header: one name, its regexes */
	char		*name;
	struct acl_regexes rx;
};

struct acl_time {
	int		 days;		/* bit 0 Sunday .. bit 6 Saturday */
	int		 start, end;	/* minutes since midnight, inclusive */
};

struct acl {
	char		*name;
	const struct acl_type_def *def;
	int		 no_dns;	/* -n */
	int		 builtin;
	int		 nvalues;	/* values kept, for "empty ACL" */
	struct acl_ip	*ips;
	int		 nips, ips_cap;
	struct acl_dom	*doms;
	int		 ndoms, doms_cap;
	unsigned	 dom_seq;
	struct acl_regexes rx;
	struct acl_range *ranges;
	int		 nranges, ranges_cap;
	char		**words;	/* method, proto, myportname, unsupported */
	int		 nwords, words_cap;
	struct acl_hdr	*hdrs;
	int		 nhdrs, hdrs_cap;
	struct acl_time	*times;
	int		 ntimes, times_cap;
	int		 steps;		/* at_step: bit N for step N */
	struct acl	*next;
};

/* Warnings of one acl_parse call, joined with "; ". */
struct acl_msgs {
	char		*text;
};

static void *
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

static void acl_warn(struct acl_msgs *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
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

/* ---- addresses ---- */

static void
acl_ip_from_sa(const struct sockaddr *sa, uint64_t *h, uint64_t *l, int *ok)
{
	const unsigned char *b;
	int i;

	*ok = 1;
	*h = *l = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		*l = 0xffff00000000ULL | ntohl(s4->sin_addr.s_addr);
	} else if (sa->sa_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		for (i = 0; i < 8; i++)
			*h = *h << 8 | b[i];
		for (i = 8; i < 16; i++)
			*l = *l << 8 | b[i];
	} else
		*ok = 0;
}

/* Parse an IP literal (v4 or v6, brackets allowed); family 4 or 6, 0 if not one. */
static int
acl_ip_literal(const char *s, uint64_t *h, uint64_t *l)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	int i;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*h = 0;
		*l = 0xffff00000000ULL | ntohl(a4.s_addr);
		return 4;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		*h = *l = 0;
		for (i = 0; i < 8; i++)
			*h = *h << 8 | a6.s6_addr[i];
		for (i = 8; i < 16; i++)
			*l = *l << 8 | a6.s6_addr[i];
		/* A v4-mapped literal is an IPv4 address, as for clients. */
		if (*h == 0 && (*l >> 32) == 0xffff)
			return 4;
		return 6;
	}
	return 0;
}

static void
acl_prefix_mask(int bits, uint64_t *h, uint64_t *l)
{
	*h = bits >= 64 ? ~0ULL : bits <= 0 ? 0 : ~0ULL << (64 - bits);
	bits -= 64;
	*l = bits >= 64 ? ~0ULL : bits <= 0 ? 0 : ~0ULL << (64 - bits);
}

static int
acl_ip_le(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
	return ah < bh || (ah == bh && al <= bl);
}

static void
acl_ip_add(struct acl *a, uint64_t lo_h, uint64_t lo_l, uint64_t hi_h,
    uint64_t hi_l, uint64_t mh, uint64_t ml)
{
	struct acl_ip *e;

	a->ips = acl_grow(a->ips, &a->ips_cap, a->nips + 1, sizeof(*a->ips));
	e = &a->ips[a->nips++];
	e->lo_h = lo_h;
	e->lo_l = lo_l;
	e->hi_h = hi_h;
	e->hi_l = hi_l;
	e->mask_h = mh;
	e->mask_l = ml;
}

/*
 * The mask of a value for one family: bits < 0 means none (a host), dotted
 * masks exist for IPv4 only.  Returns -1 when the mask does not fit.
 */
static int
acl_ip_mask(int fam, int bits, int dotted, uint32_t m4, uint64_t *mh,
    uint64_t *ml)
{
	if (dotted) {
		if (fam != 4)
			return -1;
		*mh = ~0ULL;
		*ml = 0xffffffff00000000ULL | m4;
		return 0;
	}
	if (bits < 0)
		bits = fam == 4 ? 32 : 128;
	if (bits > (fam == 4 ? 32 : 128))
		return -1;
	acl_prefix_mask(fam == 4 ? 96 + bits : bits, mh, ml);
	return 0;
}

/* One src/dst value: IP[/mask], A-B[/mask], all, or a host name to resolve. */
static char *
acl_ip_parse(struct acl *a, const char *val, struct acl_msgs *w)
{
	char buf[512], *slash, *dash, *mask = NULL;
	uint64_t h1, l1, h2, l2, mh, ml;
	int f1, f2 = 0, bits = -1, dotted = 0, rc;
	uint32_t m4 = 0;
	struct in_addr in4;
	struct addrinfo hints, *res, *ai;

	if (strcmp(val, "all") == 0) {
		acl_ip_add(a, 0, 0, 0, 0, 0, 0);
		return NULL;
	}
	if (strlen(val) >= sizeof(buf))
		return xasprintf("Bad host/IP: '%s'", val);
	strcpy(buf, val);
	if ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		mask = slash + 1;
		if (mask[0] != '\0' && strlen(mask) <= 3 &&
		    strspn(mask, "0123456789") == strlen(mask))
			bits = atoi(mask);
		else if (inet_pton(AF_INET, mask, &in4) == 1) {
			dotted = 1;
			m4 = ntohl(in4.s_addr);
		} else
			return xasprintf("unknown netmask '%s' in '%s'", mask,
			    val);
	}
	f1 = acl_ip_literal(buf, &h1, &l1);
	h2 = h1;
	l2 = l1;
	if (f1 == 0 && (dash = strchr(buf, '-')) != NULL) {
		*dash = '\0';
		f1 = acl_ip_literal(buf, &h1, &l1);
		f2 = acl_ip_literal(dash + 1, &h2, &l2);
		if (f1 == 0 || f2 == 0) {
			*dash = '-';	/* a host name with a dash */
			f1 = f2 = 0;
		} else if (f1 != f2)
			return xasprintf("Bad IP range '%s': mixed address "
			    "families", val);
	}

	if (f1 != 0) {
		if (acl_ip_mask(f1, bits, dotted, m4, &mh, &ml) == -1)
			return xasprintf("unknown netmask '%s' in '%s'", mask,
			    val);
		if (f1 == 4 && f2 == 0 && mask != NULL && mh == ~0ULL &&
		    ml == 0xffffffff00000000ULL) {
			/* Squid: 0.0.0.0/0 means "all", IPv6 included. */
			acl_warn(w, "'%s' needs to be replaced by the term "
			    "'all'", val);
			acl_ip_add(a, 0, 0, 0, 0, 0, 0);
			return NULL;
		}
		if (f2 == 0) {
			h1 = h2 = h1 & mh;
			l1 = l2 = l1 & ml;
		}
		acl_ip_add(a, h1, l1, h2, l2, mh, ml);
		return NULL;
	}

	/* A host name: Squid resolves it once, at configuration time. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(buf, NULL, &hints, &res)) != 0)
		return xasprintf("Bad host/IP: '%s' in '%s': %s", buf, val,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int ok;

		acl_ip_from_sa(ai->ai_addr, &h1, &l1, &ok);
		f1 = (h1 == 0 && (l1 >> 32) == 0xffff) ? 4 : 6;
		if (!ok || acl_ip_mask(f1, bits, dotted, m4, &mh, &ml) == -1)
			continue;
		acl_ip_add(a, h1 & mh, l1 & ml, h1 & mh, l1 & ml, mh, ml);
	}
	freeaddrinfo(res);
	return NULL;
}

static int
acl_ip_match(const struct acl *a, uint64_t h, uint64_t l)
{
	const struct acl_ip *e;
	uint64_t mh, ml;
	int i;

	for (i = 0; i < a->nips; i++) {
		e = &a->ips[i];
		mh = h & e->mask_h;
		ml = l & e->mask_l;
		if (acl_ip_le(e->lo_h, e->lo_l, mh, ml) &&
		    acl_ip_le(mh, ml, e->hi_h, e->hi_l))
			return 1;
	}
	return 0;
}

static int
acl_ip_match_sa(const struct acl *a, const struct sockaddr *sa)
{
	uint64_t h, l;
	int ok;

	if (sa == NULL)
		return 0;
	acl_ip_from_sa(sa, &h, &l, &ok);
	return ok && acl_ip_match(a, h, l);
}

/* ---- domains ---- */

/* Sort order where '.' comes first, so "moc.a." and "moc.a.x" stay adjacent. */
static int
acl_dom_rank(unsigned char c)
{
	return c == '.' ? 1 : c;
}

static int
acl_dom_cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;
	int d;

	for (i = 0; i < n; i++)
		if ((d = acl_dom_rank(a[i]) - acl_dom_rank(b[i])) != 0)
			return d;
	return alen < blen ? -1 : alen > blen;
}

static int
acl_dom_qcmp(const void *x, const void *y)
{
	const struct acl_dom *a = x, *b = y;
	int d = acl_dom_cmp_key(a->key, a->len, b->key, b->len);

	if (d != 0)
		return d;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The value as the user wrote it, lowercased: un-reverse a key. */
static char *
acl_dom_show(const struct acl_dom *d)
{
	char *s = xmalloc(d->len + 1);
	size_t i;

	for (i = 0; i < d->len; i++)
		s[i] = d->key[d->len - 1 - i];
	s[d->len] = '\0';
	return s;
}

static void
acl_dom_reverse(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[n - 1 - i]);
}

static int
acl_dom_is_wild(const struct acl_dom *d)
{
	return d->len > 0 && d->key[d->len - 1] == '.';
}

static int
acl_dom_find(const struct acl *a, const char *key, size_t len)
{
	int lo = 0, hi = a->ndoms - 1, mid, d;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		d = acl_dom_cmp_key(a->doms[mid].key, a->doms[mid].len, key,
		    len);
		if (d == 0)
			return 1;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

/* Index of the first entry not below key. */
static int
acl_dom_lower(const struct acl *a, const char *key, size_t len)
{
	int lo = 0, hi = a->ndoms, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (acl_dom_cmp_key(a->doms[mid].key, a->doms[mid].len, key,
		    len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *
acl_dom_overlap(const struct acl *a, const char *sub, const char *dom,
    int fatal)
{
	return xasprintf("'%s' is a subdomain of '%s'; you %s remove '%s' from "
	    "the ACL named '%s'", sub, dom, fatal ? "need to" : "should", sub,
	    a->name);
}

/*
 * Add one value to a large sorted array without a full merge: the same
 * rules as acl_dom_add, checked with binary searches around the new key.
 */
static char *
acl_dom_insert(struct acl *a, struct acl_dom *e, struct acl_msgs *w)
{
	char *s1, *s2, *err = NULL;
	size_t i;
	int pos, found, wild = acl_dom_is_wild(e);
	struct acl_dom other;

	s1 = acl_dom_show(e);
	if (acl_dom_find(a, e->key, e->len))
		goto drop;		/* exact duplicate */
	/* "example.com" with ".example.com", in either order, is FATAL. */
	other.key = e->key;
	other.len = wild ? e->len - 1 : e->len + 1;
	if (!wild)
		e->key[e->len] = '.';	/* acl_dom_add left room for it */
	found = other.len > 0 && acl_dom_find(a, other.key, other.len);
	s2 = found ? acl_dom_show(&other) : NULL;
	e->key[e->len] = '\0';
	if (found) {
		err = wild ? acl_dom_overlap(a, s1, s2, 1) :
		    acl_dom_overlap(a, s2, s1, 1);
		free(s2);
		goto drop;
	}
	/* Under an older ".domain": dropped with a warning. */
	for (i = 0; i + 1 < e->len; i++)
		if (e->key[i] == '.' && acl_dom_find(a, e->key, i + 1)) {
			other.len = i + 1;
			s2 = acl_dom_show(&other);
			err = acl_dom_overlap(a, s1, s2, 0);
			acl_warn(w, "%s", err);
			free(err);
			free(s2);
			err = NULL;
			goto drop;
		}
	pos = acl_dom_lower(a, e->key, e->len);
	if (wild && pos < a->ndoms && a->doms[pos].len > e->len &&
	    memcmp(a->doms[pos].key, e->key, e->len) == 0) {
		s2 = acl_dom_show(&a->doms[pos]);
		err = acl_dom_overlap(a, s2, s1, 1);
		free(s2);
		goto drop;
	}
	a->doms = acl_grow(a->doms, &a->doms_cap, a->ndoms + 1,
	    sizeof(*a->doms));
	memmove(&a->doms[pos + 1], &a->doms[pos], (size_t)(a->ndoms - pos) *
	    sizeof(*a->doms));
	a->doms[pos] = *e;
	a->ndoms++;
	free(s1);
	return NULL;
drop:
	free(s1);
	free(e->key);
	return err;
}

/*
 * Merge the values of one line into the sorted array and apply Squid's
 * overlap rules: a subdomain added after its covering ".domain" is dropped
 * with a warning; a ".domain" added after one of its subdomains, or
 * "example.com" together with ".example.com", is an error.
 */
static char *
acl_dom_add(struct acl *a, char **vals, int n, struct acl_msgs *w)
{
	struct acl_dom *nw, *all;
	int i, j, k, total, cover = -1;
	char *err = NULL, *s1, *s2;

	if (n == 0)
		return NULL;
	nw = xcalloc((size_t)n, sizeof(*nw));
	for (i = 0; i < n; i++) {
		size_t len = strlen(vals[i]);

		nw[i].key = xmalloc(len + 2);
		acl_dom_reverse(nw[i].key, vals[i], len);
		nw[i].key[len] = '\0';
		nw[i].len = len;
		nw[i].seq = a->dom_seq++;
	}
	if ((long)n * 64 < a->ndoms) {
		/* A few values into a big list: binary searches, no merge. */
		for (i = 0; i < n; i++) {
			char *e = acl_dom_insert(a, &nw[i], w);

			if (e != NULL && err == NULL)
				err = e;
			else
				free(e);
		}
		free(nw);
		return err;
	}
	qsort(nw, (size_t)n, sizeof(*nw), acl_dom_qcmp);

	total = a->ndoms + n;
	all = xmalloc((size_t)total * sizeof(*all));
	for (i = j = k = 0; i < a->ndoms || j < n; ) {
		if (j >= n || (i < a->ndoms &&
		    acl_dom_qcmp(&a->doms[i], &nw[j]) <= 0))
			all[k++] = a->doms[i++];
		else
			all[k++] = nw[j++];
	}
	free(nw);
	free(a->doms);

	for (i = 0; i < total; i++) {
		struct acl_dom *e = &all[i];

		if (i > 0 && all[i - 1].len == e->len &&
		    memcmp(all[i - 1].key, e->key, e->len) == 0) {
			e->dead = 1;	/* exact duplicate: harmless */
			continue;
		}
		if (acl_dom_is_wild(e) && i > 0 && all[i - 1].len + 1 ==
		    e->len && memcmp(all[i - 1].key, e->key, e->len - 1) == 0) {
			if (err == NULL) {
				s1 = acl_dom_show(e);
				s2 = acl_dom_show(&all[i - 1]);
				err = acl_dom_overlap(a, s1, s2, 1);
				free(s1);
				free(s2);
			}
		} else if (cover >= 0 && e->len > all[cover].len &&
		    memcmp(e->key, all[cover].key, all[cover].len) == 0) {
			s1 = acl_dom_show(e);
			s2 = acl_dom_show(&all[cover]);
			if (all[cover].seq < e->seq) {
				char *m = acl_dom_overlap(a, s1, s2, 0);

				acl_warn(w, "%s", m);
				free(m);
				e->dead = 1;
			} else if (err == NULL)
				err = acl_dom_overlap(a, s1, s2, 1);
			free(s1);
			free(s2);
			continue;
		}
		if (acl_dom_is_wild(e))
			cover = i;
	}
	for (i = k = 0; i < total; i++) {
		if (all[i].dead)
			free(all[i].key);
		else
			all[k++] = all[i];
	}
	a->doms = all;
	a->ndoms = k;
	a->doms_cap = total;
	return err;
}

/* Does name equal a listed domain, or sit under a listed ".domain"? */
static int
acl_dom_match(const struct acl *a, const char *name)
{
	char sbuf[300], *buf;
	size_t n, i;
	int hit = 0;

	if (name == NULL || a->ndoms == 0)
		return 0;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')	/* absolute form "host." */
		n--;
	if (n == 0)
		return 0;
	buf = n + 2 <= sizeof(sbuf) ? sbuf : xmalloc(n + 2);
	acl_dom_reverse(buf, name, n);
	buf[n] = '.';
	if (acl_dom_find(a, buf, n) || acl_dom_find(a, buf, n + 1))
		hit = 1;
	for (i = 0; !hit && i < n; i++)
		if (buf[i] == '.' && acl_dom_find(a, buf, i + 1))
			hit = 1;
	if (buf != sbuf)
		free(buf);
	return hit;
}

static int
acl_is_ip_host(const char *host)
{
	uint64_t h, l;

	return host != NULL && acl_ip_literal(host, &h, &l) != 0;
}

/* ---- regexes ---- */

/*
 * Can p be wrapped as "(p)" and joined with "|" without changing what it
 * matches?  Balanced groups and no back-references are enough.
 */
static int
acl_re_joinable(const char *p)
{
	int depth = 0;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || (p[1] >= '1' && p[1] <= '9'))
				return 0;
			p++;
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			for (; *p != ']'; p++) {
				if (*p == '\0')
					return 0;
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					char end = p[1];

					for (p += 2; !(p[0] == end &&
					    p[1] == ']'); p++)
						if (*p == '\0')
							return 0;
					p++;
				}
			}
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return 0;
	}
	return depth == 0;
}

static regex_t *
acl_re_slot(struct acl_regexes *rx)
{
	rx->re = acl_grow(rx->re, &rx->cap, rx->n + 1, sizeof(*rx->re));
	return &rx->re[rx->n];
}

static int
acl_re_compile_one(struct acl_regexes *rx, const char *p, int icase,
    struct acl_msgs *w)
{
	char ebuf[128];
	int rc;

	rc = regcomp(acl_re_slot(rx), p, REG_EXTENDED | REG_NOSUB |
	    (icase ? REG_ICASE : 0));
	if (rc != 0) {
		regerror(rc, &rx->re[rx->n], ebuf, sizeof(ebuf));
		regfree(&rx->re[rx->n]);
		acl_warn(w, "invalid regular expression: '%s': %s; skipping "
		    "it", p, ebuf);
		return -1;
	}
	rx->n++;
	return 0;
}

#define ACL_RE_GROUP	32		/* patterns per joined regex */
#define ACL_RE_GROUP_LEN 4096

/*
 * Compile one line's patterns.  Runs of joinable patterns with the same case
 * flag become one regex_t "(a)|(b)|...", so a long url_regex list costs a
 * few regexec calls per request; a pattern that fails alone is skipped with
 * Squid's warning.
 */
static void
acl_re_add(struct acl_regexes *rx, char **pats, const int *icase, int n,
    struct acl_msgs *w)
{
	int i, j, k, ok, valid[ACL_RE_GROUP];
	size_t len;
	char *joined;
	regex_t probe;

	for (i = 0; i < n; ) {
		if (!acl_re_joinable(pats[i])) {
			acl_re_compile_one(rx, pats[i], icase[i], w);
			i++;
			continue;
		}
		/* Gather joinable patterns with this case flag. */
		len = 0;
		for (j = i; j < n && j - i < ACL_RE_GROUP &&
		    icase[j] == icase[i] && acl_re_joinable(pats[j]) &&
		    len + strlen(pats[j]) + 3 < ACL_RE_GROUP_LEN; j++)
			len += strlen(pats[j]) + 3;
		if (j - i <= 1) {	/* alone, or too long to join */
			acl_re_compile_one(rx, pats[i], icase[i], w);
			i++;
			continue;
		}
		joined = xmalloc(len + 1);
		joined[0] = '\0';
		ok = 0;
		for (k = i; k < j; k++) {
			/* An invalid member is reported once and left out. */
			valid[k - i] = regcomp(&probe, pats[k], REG_EXTENDED |
			    REG_NOSUB) == 0;
			if (!valid[k - i]) {
				acl_re_compile_one(rx, pats[k], icase[k], w);
				continue;
			}
			regfree(&probe);
			if (ok++)
				strcat(joined, "|");
			strcat(joined, "(");
			strcat(joined, pats[k]);
			strcat(joined, ")");
		}
		if (ok > 0 && regcomp(acl_re_slot(rx), joined, REG_EXTENDED |
		    REG_NOSUB | (icase[i] ? REG_ICASE : 0)) == 0)
			rx->n++;
		else if (ok > 0)
			for (k = i; k < j; k++)	/* join failed: one by one */
				if (valid[k - i])
					acl_re_compile_one(rx, pats[k],
					    icase[k], w);
		free(joined);
		i = j;
	}
}

static int
acl_re_match(const struct acl_regexes *rx, const char *s)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < rx->n; i++)
		if (regexec(&rx->re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

static void
acl_re_free(struct acl_regexes *rx)
{
	int i;

	for (i = 0; i < rx->n; i++)
		regfree(&rx->re[i]);
	free(rx->re);
	rx->re = NULL;
	rx->n = rx->cap = 0;
}

/* Every instance of header name in m, joined with ", " as Squid does. */
static int
acl_hdr_regex(const struct http_msg *m, const char *name,
    const struct acl_regexes *rx)
{
	char sbuf[1024], *buf = sbuf;
	size_t cap = sizeof(sbuf), len = 0, nl = strlen(name), need;
	int i, found = 0, hit;

	if (m == NULL)
		return 0;
	for (i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];

		if (h->name_len != nl || strncasecmp(h->name, name, nl) != 0)
			continue;
		need = len + (found ? 2 : 0) + h->value_len + 1;
		if (need > cap) {
			char *nb;

			while (cap < need)
				cap *= 2;
			nb = buf == sbuf ? xmalloc(cap) : xrealloc(buf, cap);
			if (buf == sbuf)
				memcpy(nb, sbuf, len);
			buf = nb;
		}
		if (found) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, h->value, h->value_len);
		len += h->value_len;
		found = 1;
	}
	buf[len] = '\0';
	hit = found && acl_re_match(rx, buf);
	if (buf != sbuf)
		free(buf);
	return hit;
}

/* ---- numbers, words, time ---- */

static char *
acl_range_parse(struct acl *a, const char *v, int open_ok)
{
	const char *p = v;
	char *end;
	long lo, hi;

	if (!isdigit((unsigned char)*p))
		return xasprintf("No digits were found in the input value '%s'",
		    v);
	errno = 0;
	lo = strtol(p, &end, 10);
	hi = lo;
	if (*end == '-') {
		p = end + 1;
		if (*p == '\0' && open_ok) {
			hi = 1L << 30;
			end = (char *)p;
		}
		else if (!isdigit((unsigned char)*p))
			return xasprintf("No digits were found in the input "
			    "value '%s'", p);
		else
			hi = strtol(p, &end, 10);
	}
	if (*end != '\0')
		return xasprintf("Bad number or range '%s'", v);
	if (errno != 0 || lo > 1L << 30 || hi > 1L << 30)
		return xasprintf("Number out of range '%s'", v);
	a->ranges = acl_grow(a->ranges, &a->ranges_cap, a->nranges + 1,
	    sizeof(*a->ranges));
	a->ranges[a->nranges].lo = (int)lo;
	a->ranges[a->nranges].hi = (int)hi;
	a->nranges++;
	return NULL;
}

static int
acl_range_match(const struct acl *a, int v)
{
	int i;

	for (i = 0; i < a->nranges; i++)
		if (v >= a->ranges[i].lo && v <= a->ranges[i].hi)
			return 1;
	return 0;
}

static void
acl_word_add(struct acl *a, const char *v)
{
	a->words = acl_grow(a->words, &a->words_cap, a->nwords + 1,
	    sizeof(*a->words));
	a->words[a->nwords++] = xstrdup(v);
}

static int
acl_word_match(const struct acl *a, const char *s, int icase)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < a->nwords; i++)
		if ((icase ? strcasecmp : strcmp)(a->words[i], s) == 0)
			return 1;
	return 0;
}

static void
acl_time_add(struct acl *a, int days, int start, int end)
{
	a->times = acl_grow(a->times, &a->times_cap, a->ntimes + 1,
	    sizeof(*a->times));
	a->times[a->ntimes].days = days;
	a->times[a->ntimes].start = start;
	a->times[a->ntimes].end = end;
	a->ntimes++;
}

/*
 * "time [SMTWHFA|D...] [HH:MM-HH:MM]...": day letters accumulate until a
 * range uses them (no letters: every day); letters left at the end mean
 * those whole days.
 */
static char *
acl_time_parse(struct acl *a, char **vals, int n, struct acl_msgs *w)
{
	static const char letters[] = "SMTWHFA";
	int i, days = 0, h1, m1, h2, m2;
	const char *p, *l;
	char trail;

	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)vals[i][0])) {
			if (sscanf(vals[i], "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2,
			    &trail) != 4 || h1 < 0 || h1 > 23 || m1 < 0 ||
			    m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
			    (h2 == 24 && m2 != 0))
				return xasprintf("Bad time range '%s'", vals[i]);
			if (h1 * 60 + m1 > h2 * 60 + m2)
				return xasprintf("Reversed time range '%s'",
				    vals[i]);
			acl_time_add(a, days ? days : 0x7f, h1 * 60 + m1,
			    h2 * 60 + m2);
			days = 0;
			continue;
		}
		for (p = vals[i]; *p != '\0'; p++) {
			if (*p == 'D')
				days |= 0x3e;	/* Monday to Friday */
			else if (*p == '-')
				;		/* Squid's placeholder */
			else if ((l = strchr(letters, *p)) != NULL)
				days |= 1 << (l - letters);
			else
				acl_warn(w, "Bad Day '%c' in time ACL '%s'",
				    *p, a->name);
		}
	}
	if (days != 0)
		acl_time_add(a, days, 0, 24 * 60 - 1);
	return NULL;
}

static int
acl_time_match(const struct acl *a, time_t now)
{
	struct tm tm;
	int i, m;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	m = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < a->ntimes; i++)
		if ((a->times[i].days & (1 << tm.tm_wday)) &&
		    m >= a->times[i].start && m <= a->times[i].end)
			return 1;
	return 0;
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
	case ACL_K_SSL_SERVER_NAME_REGEX:
		acl_re_add(&a->rx, v, icase, n, w);
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
	case ACL_K_UNSUPPORTED:
		for (i = 0; i < n; i++)
			acl_word_add(a, v[i]);
		break;
	case ACL_K_TIME:
		err = acl_time_parse(a, v, n, w);
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
	    a->nhdrs + a->ntimes + (a->steps != 0);
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
			    o[2] == '='))
				;
			else if ((def->flags & ACL_F_SNI) &&
			    (strcmp(o, "--client-requested") == 0 ||
			    strcmp(o, "--server-provided") == 0 ||
			    strcmp(o, "--consensus") == 0))
				;
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
	acl_builtin(set, "all src all");
	acl_builtin(set, "manager url_regex -i ^cache_object:// +i "
	    "^[^:]+://[^/]+/squid-internal-mgr/");
	acl_builtin(set, "localhost src 127.0.0.1/32 ::1");
	acl_builtin(set, "to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1/128 "
	    "::/128");
	acl_builtin(set, "CONNECT method CONNECT");
	/* Referenced by sslproxy_cert_error rules; they never match yet. */
	acl_builtin(set, "ssl::certHasExpired ssl_error X509_V_ERR_CERT_HAS_EXPIRED");
	acl_builtin(set, "ssl::certNotYetValid ssl_error X509_V_ERR_CERT_NOT_YET_VALID");
	acl_builtin(set, "ssl::certDomainMismatch ssl_error SQUID_X509_V_ERR_DOMAIN_MISMATCH");
	acl_builtin(set, "ssl::certUntrusted ssl_error X509_V_ERR_INVALID_CA");
	acl_builtin(set, "ssl::certSelfSigned ssl_error X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT");
}

static void
acl_free(struct acl *a)
{
	int i;

	free(a->name);
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
	return (acl->def->flags & ACL_F_AUTH) != 0;
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
	const char *name;
	uint64_t h, l;
	int i;

	switch (a->def->kind) {
	case ACL_K_SRC:
		return acl_ip_match_sa(a, cl->src);
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
		return acl_hdr_regex(cl->request, "User-Agent", &a->rx);
	case ACL_K_REFERER_REGEX:
		return acl_hdr_regex(cl->request, "Referer", &a->rx);
	case ACL_K_REQ_HEADER:
	case ACL_K_REP_HEADER:
		for (i = 0; i < a->nhdrs; i++)
			if (acl_hdr_regex(a->def->kind == ACL_K_REQ_HEADER ?
			    cl->request : cl->reply, a->hdrs[i].name,
			    &a->hdrs[i].rx))
				return ACL_MATCH;
		return ACL_NOMATCH;
	case ACL_K_TIME:
		return acl_time_match(a, cl->now);
	case ACL_K_SSL_SERVER_NAME:
	case ACL_K_SSL_SERVER_NAME_REGEX:
		name = cl->sni != NULL && cl->sni[0] != '\0' ? cl->sni :
		    cl->host;
		if (name == NULL || name[0] == '\0')
			name = "none";
		if (a->def->kind == ACL_K_SSL_SERVER_NAME)
			return acl_dom_match(a, name);
		return acl_re_match(&a->rx, name);
	case ACL_K_AT_STEP:
		return cl->ssl_step > 0 && cl->ssl_step < 31 &&
		    (a->steps & (1 << cl->ssl_step)) != 0;
	case ACL_K_UNSUPPORTED:
	case ACL_K_REJECTED:
		return ACL_NOMATCH;
	}
	return ACL_NOMATCH;
}

/* ---- access lists ---- */

char *
acl_refs_parse(const struct acl_set *set, char **argv, int argc,
    struct acl_ref **refs, int *nrefs)
{
	struct acl_ref *r;
	const char *name;
	int i, neg;

	*refs = NULL;
	*nrefs = 0;
	if (argc == 0)
		return NULL;
	r = xcalloc((size_t)argc, sizeof(*r));
	for (i = 0; i < argc; i++) {
		name = argv[i];
		neg = 0;
		if (name[0] == '!') {
			neg = 1;
			name++;
		}
		if ((r[i].acl = acl_find(set, name)) == NULL) {
			free(r);
			return xasprintf("ACL not found: %s", name);
		}
		r[i].negate = neg;
	}
	*refs = r;
	*nrefs = argc;
	return NULL;
}

enum acl_result
acl_refs_match(const struct acl_ref *refs, int nrefs,
    const struct acl_checklist *cl)
{
	enum acl_result r;
	int i;

	for (i = 0; i < nrefs; i++) {
		r = acl_match(refs[i].acl, cl);
		if (r == ACL_NEED_DST)
			return ACL_NEED_DST;
		if ((r == ACL_MATCH) == (refs[i].negate != 0))
			return ACL_NOMATCH;
	}
	return ACL_MATCH;
}

static const char *const acl_allow_deny[] = { "deny", "allow", NULL };

char *
access_parse(struct access_list *list, const struct acl_set *set,
    char **argv, int argc, const char *const *actions, const char *file,
    int line)
{
	struct access_rule *r;
	char *err;
	int i, n;

	if (actions == NULL)
		actions = acl_allow_deny;
	if (argc < 1)
		return xasprintf("missing action");
	for (n = 0; actions[n] != NULL; n++)
		;
	for (i = 0; i < n; i++)
		if (strcmp(actions[i], argv[0]) == 0)
			break;
	if (i == n) {
		size_t len = 0;
		int j;
		char *words;

		for (j = 0; j < n; j++)
			len += strlen(actions[j]) + 2;
		words = xcalloc(1, len + 1);
		for (j = 0; j < n; j++) {
			if (j)
				strcat(words, ", ");
			strcat(words, actions[j]);
		}
		err = xasprintf("unknown action '%s' (expected %s)", argv[0],
		    words);
		free(words);
		return err;
	}
	r = xcalloc(1, sizeof(*r));
	r->action = i;
	if ((err = acl_refs_parse(set, argv + 1, argc - 1, &r->refs,
	    &r->nrefs)) != NULL) {
		free(r);
		return err;
	}
	r->file = file != NULL ? xstrdup(file) : NULL;
	r->line = line;
	list->nactions = n;
	if (list->tail != NULL)
		list->tail->next = r;
	else
		list->head = r;
	list->tail = r;
	return NULL;
}

void
access_list_free(struct access_list *list)
{
	struct access_rule *r, *next;

	for (r = list->head; r != NULL; r = next) {
		next = r->next;
		free(r->refs);
		free((char *)r->file);
		free(r);
	}
	list->head = list->tail = NULL;
	list->nactions = 0;
}

enum acl_result
access_check(const struct access_list *list, const struct acl_checklist *cl,
    int dflt, int *action, const struct access_rule **rule)
{
	const struct access_rule *r;
	enum acl_result res;

	if (rule != NULL)
		*rule = NULL;
	for (r = list->head; r != NULL; r = r->next) {
		res = acl_refs_match(r->refs, r->nrefs, cl);
		if (res == ACL_NEED_DST)
			return ACL_NEED_DST;
		if (res == ACL_MATCH) {
			*action = r->action;
			if (rule != NULL)
				*rule = r;
			return ACL_MATCH;
		}
	}
	if (list->tail == NULL)
		*action = dflt;
	else if (list->nactions == 2)
		/* Squid: nothing matched, so do the opposite of the last line. */
		*action = 1 - list->tail->action;
	else
		*action = dflt;
	return ACL_MATCH;
}

int
access_uses_type(const struct access_list *list, const char *type)
{
	const struct access_rule *r;
	int i;

	for (r = list->head; r != NULL; r = r->next)
		for (i = 0; i < r->nrefs; i++)
			if (strcmp(acl_type(r->refs[i].acl), type) == 0)
				return 1;
	return 0;
}
