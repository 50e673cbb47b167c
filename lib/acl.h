/*
 * ACL engine: named ACLs ("acl NAME TYPE [-i|-n] VALUE..." and values read
 * from "file"), and access lists ("http_access allow|deny [!]acl ...") with
 * Squid's semantics: ACLs on a line are ANDed, the first matching line wins,
 * no match gives the opposite of the last line's action, an empty list gives
 * the list's default.  Matching is pure: the caller fills a checklist.
 */
#ifndef CUTTLE_ACL_H
#define CUTTLE_ACL_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct http_msg;
struct acl;		/* one named ACL, opaque */

struct extacl_type;
struct notes;

struct acl_set {		/* every named ACL of a config, built-ins first */
	struct acl	*head;
	int		 has_purge;	/* some "method PURGE" ACL exists */
	int		 has_maxconn;	/* some "maxconn" ACL exists */
	/* the config's external_acl_type list, for "external" ACLs */
	struct extacl_type *const *ext_types;
};

struct acl_ref {
	struct acl	*acl;
	int		 negate;
};

/* One rule line: an action word and the ANDed ACLs. */
struct access_rule {
	int		 action;	/* ACCESS_ALLOW / ACCESS_DENY or a caller's word index */
	struct acl_ref	*refs;
	int		 nrefs;
	const char	*file;
	int		 line;
	struct access_rule *next;
};

struct access_list {
	struct access_rule *head, *tail;
	int		 nactions;	/* size of the action vocabulary (2: allow/deny) */
};

#define ACCESS_DENY	0
#define ACCESS_ALLOW	1

enum acl_result {
	ACL_NOMATCH = 0,
	ACL_MATCH = 1,
	ACL_NEED_DST = 2,	/* a dst ACL needs the resolved address: resolve, retry */
	ACL_NEED_AUTH = 3,	/* a proxy_auth ACL needs valid credentials: check
				 * them (ACL_AUTH_PENDING) and retry, or challenge */
	ACL_NEED_EXT = 4,	/* an external ACL needs its helper's answer:
				 * ask (external_acl_start) and retry */
	ACL_DUNNO = 5		/* an external ACL got no answer (BH, crash,
				 * overload): the check ends undecided, Squid's
				 * ACCESS_DUNNO, which denies */
};

/* What a match needs; NULL/0 members are unknown. */
struct acl_checklist {
	const struct sockaddr *src;	/* client (or indirect client) */
	/* the address the client connected to (the original destination
	 * when intercepted), for localip; NULL: not known */
	const struct sockaddr *local;
	const char	*hier;		/* %Sh so far ("HIER_NONE"); NULL: none */
	const struct sockaddr *dst;	/* resolved server address; NULL: not yet */
	const struct sockaddr *const *dst_all; /* every resolved address, NULL-terminated */
	const char	*method;
	const char	*url;		/* absolute URL as logged, host:port for CONNECT */
	const char	*scheme;	/* "http", "https", "cache_object" */
	const char	*host;		/* lowercase, no brackets */
	int		 port;		/* destination port */
	const char	*path;		/* path + query ("/" for CONNECT: empty) */
	int		 local_port;	/* port the client connected to */
	const char	*port_name;	/* http_port name= */
	const struct http_msg *request;
	const struct http_msg *reply;	/* http_reply_access, rep_header */
	int		 status;	/* reply status, http_status */
	time_t		 now;
	const char	*dst_rdns;	/* reverse name of an IP host, for dstdomain */
	const char	*sni;		/* TLS SNI, for ssl::server_name */
	/* the server's certificate once seen (SslBump step 3 and the bumped
	 * requests after it; the certificate being checked for
	 * sslproxy_cert_error), for ssl::server_name and
	 * server_cert_fingerprint */
	struct x509_st	*server_cert;
	int		 ssl_step;	/* 1..3 SslBump1..3, 4 GeneratingCONNECT, 0 none */
	/* the certificate error(s) being checked (sslproxy_cert_error), for
	 * ssl_error: X509_V_ERR_* or TLS_ERR_* codes (tls_err.h) */
	const int	*ssl_errors;
	int		 nssl_errors;
	int		 auth_state;	/* ACL_AUTH_*: where the credentials stand */
	const char	*user;		/* the validated user (ACL_AUTH_OK) */
	/* where an external ACL's tag= lands (it may while the list is
	 * checked), for "tag" ACLs; NULL: none */
	const char *const *tag;
	/* where an external ACL's user= lands, for ext_user and
	 * ext_user_regex; NULL: none */
	const char *const *ext_user;
	/* the transaction's annotations, for "note" ACLs; NULL: none */
	const struct notes *notes;
	/* where annotate_transaction and annotate_client add their pairs
	 * (the same transaction notes; the client connection's); NULL:
	 * none, and the ACL does not match, as in Squid */
	struct notes	*annotate_xact;
	struct notes	*annotate_conn;
	/* answers an "external" ACL (ACL_MATCH, ACL_NOMATCH, ACL_NEED_*,
	 * ACL_DUNNO); NULL: external ACLs never match */
	enum acl_result	(*external)(void *arg, const struct acl *acl,
			    const struct acl_checklist *cl);
	void		*external_arg;
	/*
	 * max_user_ip: is the validated user seen at more than max source
	 * addresses?  It also applies the ACL's reset (strict: forget this
	 * address; else forget them all), so it is called once per match.
	 * NULL: max_user_ip never matches.
	 */
	int		(*max_user_ip)(void *arg, int max, int strict);
	void		*auth_arg;
	/*
	 * maxconn: the client connections open from src's address in this
	 * worker (Squid 5.7's clientdbEstablished, per kid); 0 when no count
	 * is kept (client_db off), so maxconn never matches.
	 */
	int		 client_conns;
};

/* The request's proxy credentials, for proxy_auth ACLs. */
#define ACL_AUTH_NONE		0	/* none sent (or not Basic): challenge */
#define ACL_AUTH_PENDING	1	/* sent, not yet checked by the helper */
#define ACL_AUTH_OK		2	/* valid; cl->user is set */
#define ACL_AUTH_FAILED		3	/* the helper refused them: challenge */
#define ACL_AUTH_OFF		4	/* no usable scheme: proxy_auth never matches */


/* Initialise with built-ins (all, manager, localhost, to_localhost, CONNECT). */
void acl_set_init(struct acl_set *set);
void acl_set_free(struct acl_set *set);
/* Call fn with the name of each maxconn ACL of set. */
void acl_set_each_maxconn(const struct acl_set *set,
    void (*fn)(const char *name));

/*
 * Parse one "acl" directive's words (argv[0] is the NAME).  Returns NULL on
 * success or a malloc'd error message (caller frees); a warning that should
 * not stop the config is returned through *warning (malloc'd, may be NULL;
 * several are joined with "; ").  A refused line defines nothing new.
 * Host names in src/dst values are resolved here, as Squid does.
 */
char *acl_parse(struct acl_set *set, char **argv, int argc, char **warning);

/* Look up an ACL by name. */
struct acl *acl_find(const struct acl_set *set, const char *name);
const char *acl_name(const struct acl *acl);
const char *acl_type(const struct acl *acl);
/*
 * Is this ACL a user check (proxy_auth*, external %LOGIN), Squid's
 * isProxyAuth?  max_user_ip needs credentials too but is not one.
 */
int acl_is_auth(const struct acl *acl);
/* An "external" ACL's type and arguments; 0 if acl is of another type. */
int acl_external(const struct acl *acl, const struct extacl_type **type,
    char *const **args, int *nargs);

/*
 * Parse one access rule: argv[0] is the action word, which must be one of
 * actions[] (NULL-terminated; for allow/deny lists pass NULL to mean
 * {"deny","allow"}); the rest are [!]acl names.  Returns NULL or a malloc'd
 * error ("ACL not found: x").
 */
char *access_parse(struct access_list *list, const struct acl_set *set,
    char **argv, int argc, const char *const *actions, const char *file,
    int line);
void access_list_free(struct access_list *list);

/* Evaluate one ACL. */
enum acl_result acl_match(const struct acl *acl, const struct acl_checklist *cl);

/*
 * Evaluate a list.  Returns ACL_MATCH with *action set (a rule matched, or
 * the inverted last rule when none did, or dflt for an empty list),
 * ACL_NEED_DST when a dst ACL must wait for DNS.  *rule gets the deciding
 * rule (NULL for an empty list or inversion).
 */
enum acl_result access_check(const struct access_list *list,
    const struct acl_checklist *cl, int dflt, int *action,
    const struct access_rule **rule);
/*
 * access_check that also reports the last ACL it evaluated (NULL: none),
 * Squid's lastCheckedName: a denial whose last checked ACL is an auth type
 * is a 407 challenge rather than a 403.  With ACL_NEED_AUTH it is the ACL
 * that needs credentials.
 */
enum acl_result access_check_last(const struct access_list *list,
    const struct acl_checklist *cl, int dflt, int *action,
    const struct access_rule **rule, const struct acl **last);

/*
 * A bare list of ANDed [!]acl names, for directives that carry one outside
 * an access list (deny_info, reply_body_max_size, tcp_outgoing_address).
 * acl_refs_parse returns NULL or a malloc'd "ACL not found: x"; *refs is
 * malloc'd (free it).  acl_refs_match: an empty list matches.
 */
char *acl_refs_parse(const struct acl_set *set, char **argv, int argc,
    struct acl_ref **refs, int *nrefs);
enum acl_result acl_refs_match(const struct acl_ref *refs, int nrefs,
    const struct acl_checklist *cl);
/* acl_refs_match reporting the last ACL evaluated (may be NULL). */
enum acl_result acl_refs_match_last(const struct acl_ref *refs, int nrefs,
    const struct acl_checklist *cl, const struct acl **last);

/* Does the list reference any ACL of the given type? */
int access_uses_type(const struct access_list *list, const char *type);

#endif
