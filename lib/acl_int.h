/*
 * Private to the ACL engine (lib/acl*.c): the parsed form of one ACL, with
 * one value store per family of types (addresses, domains, regexes, ranges,
 * words, time windows), and the helpers the parser in acl.c calls to fill
 * those stores and acl_match calls to test them.  Nothing outside lib/acl*.c
 * includes this; the public API stays in acl.h.
 */
#ifndef CUTTLE_ACL_INT_H
#define CUTTLE_ACL_INT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "acl.h"

enum acl_kind {
	ACL_K_SRC, ACL_K_DST, ACL_K_DSTDOMAIN, ACL_K_DSTDOM_REGEX,
	ACL_K_URL_REGEX, ACL_K_URLPATH_REGEX, ACL_K_PORT, ACL_K_LOCALPORT,
	ACL_K_MYPORTNAME, ACL_K_METHOD, ACL_K_PROTO, ACL_K_BROWSER,
	ACL_K_REFERER_REGEX, ACL_K_REQ_HEADER, ACL_K_REP_HEADER,
	ACL_K_HTTP_STATUS, ACL_K_TIME, ACL_K_SSL_SERVER_NAME,
	ACL_K_SSL_SERVER_NAME_REGEX, ACL_K_AT_STEP, ACL_K_SERVER_CERT_FP, ACL_K_PROXY_AUTH,
	ACL_K_PROXY_AUTH_REGEX, ACL_K_SSL_ERROR, ACL_K_EXTERNAL, ACL_K_TAG, ACL_K_MAX_USER_IP,
	ACL_K_NOTE, ACL_K_MAXCONN, ACL_K_REQ_MIME_TYPE, ACL_K_REP_MIME_TYPE,
	ACL_K_LOCALIP,
	ACL_K_ANY_OF,		/* named ACLs ORed */
	ACL_K_ALL_OF,		/* each line's ACLs ANDed, lines ORed */
	ACL_K_RANDOM, ACL_K_HIER_CODE, ACL_K_EXT_USER, ACL_K_EXT_USER_REGEX,
	ACL_K_ANNOTATE_TRANSACTION,	/* always matches; adds notes */
	ACL_K_ANNOTATE_CLIENT,
	ACL_K_UNSUPPORTED,	/* parsed and kept, never matches */
	ACL_K_REJECTED		/* refused at parse time */
};

/* Options a type accepts before (and, for -i, between) its values. */
#define ACL_F_I		0x01	/* -i / +i: regex case */
#define ACL_F_N		0x02	/* -n: no DNS lookups or conversions */
#define ACL_F_M		0x04	/* -m[=delims] */
#define ACL_F_SNI	0x08	/* --client-requested etc. */
#define ACL_F_AUTH	0x10	/* triggers authentication */
#define ACL_F_SHA1	0x20	/* -sha1 (server_cert_fingerprint) */
#define ACL_F_S		0x40	/* -s: strict (max_user_ip) */

/* ssl::server_name options: which name is matched */
#define ACL_SNI_DEFAULT		0	/* the certificate's once known */
#define ACL_SNI_CLIENT		1	/* --client-requested */
#define ACL_SNI_SERVER		2	/* --server-provided */
#define ACL_SNI_CONSENSUS	3	/* --consensus */

struct acl_type_def {
	const char	*name;
	enum acl_kind	 kind;
	int		 flags;
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

/* A group of an any-of or all-of ACL: ACLs ANDed, as on an access line. */
struct acl_group {
	struct acl_ref	*refs;
	int		 nrefs;
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
	struct acl_range *ranges;	/* also ssl_error codes (lo == hi) */
	int		 nranges, ranges_cap;
	char		**words;	/* method, proto, myportname, unsupported */
	int		 nwords, words_cap;
	struct acl_hdr	*hdrs;
	int		 nhdrs, hdrs_cap;
	struct acl_time	*times;
	int		 ntimes, times_cap;
	int		 steps;		/* at_step: bit N for step N */
	int		 auth_required;	/* proxy_auth REQUIRED */
	int		 auth_icase;	/* proxy_auth -i */
	int		 max_ips;	/* max_user_ip N; 0: not set yet */
	int		 strict;	/* max_user_ip -s */
	int		 max_conns;	/* maxconn N; 0: not set yet */
	double		 chance;	/* random: the probability; 0: not set */
	/* any-of: one group per named ACL; all-of: one per line */
	struct acl_group *groups;
	int		 ngroups, groups_cap;
	int		 sni_mode;	/* ACL_SNI_*: ssl::server_name option */
	const struct extacl_type *ext;	/* external: its type; words: args */
	char		*note_name;	/* note: the annotation; words: values */
	char		*note_delims;	/* note -m[=delims]: NULL without -m */
	struct acl_annot *annots;	/* annotate_*: pairs grouped by key */
	int		 nannots, annots_cap;
	struct acl	*next;
};

/* One key=value (key+=value: append) of an annotate_* ACL. */
struct acl_annot {
	char		*key;
	char		*value;
	int		 append;
};

/* Warnings of one acl_parse call, joined with "; ". */
struct acl_msgs {
	char		*text;
};

/* acl.c */
void *acl_grow(void *p, int *cap, int need, size_t size);
void acl_warn(struct acl_msgs *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* acl_ip.c */
int acl_ip_literal(const char *s, uint64_t *h, uint64_t *l);
char *acl_ip_parse(struct acl *a, const char *val, struct acl_msgs *w);
int acl_ip_match(const struct acl *a, uint64_t h, uint64_t l);
int acl_ip_match_sa(const struct acl *a, const struct sockaddr *sa);
int acl_is_ip_host(const char *host);

/* acl_dom.c */
char *acl_dom_add(struct acl *a, char **vals, int n, struct acl_msgs *w);
int acl_dom_match(const struct acl *a, const char *name);

/* acl_tls.c */
int acl_tls_server_name_match(const struct acl *a,
    const struct acl_checklist *cl);
int acl_tls_fingerprint_match(const struct acl *a,
    const struct acl_checklist *cl);

/* acl_re.c */
void acl_re_add(struct acl_regexes *rx, char **pats, const int *icase, int n,
    struct acl_msgs *w);
int acl_re_match(const struct acl_regexes *rx, const char *s);
void acl_re_free(struct acl_regexes *rx);
int acl_hdr_regex(const struct http_msg *m, const char *name,
    const struct acl_regexes *rx, int absent_is_empty);

/* acl_value.c */
char *acl_range_parse(struct acl *a, const char *v, int open_ok);
int acl_range_match(const struct acl *a, int v);
void acl_word_add(struct acl *a, const char *v);
struct notes;
int acl_note_match(const struct acl *a, const struct notes *ns);

/* acl_annotate.c */
char *acl_annot_parse(struct acl *a, char **v, int n, struct acl_msgs *w);
/* Add a's pairs to ns as Squid's Note::updateNotePairs does. */
void acl_annot_apply(const struct acl *a, struct notes *ns);
void acl_annot_free(struct acl *a);
int acl_word_match(const struct acl *a, const char *s, int icase);
char *acl_time_parse(struct acl *a, char **vals, int n, struct acl_msgs *w);
int acl_time_match(const struct acl *a, time_t now);

#endif
