/*
 * The loaded squid.conf: one struct filled by the directive table in
 * cfg_table.c.  It is read-only once loaded; the master loads it, workers
 * inherit it across fork().  Times are in milliseconds, sizes in bytes.
 */
#ifndef CUTTLE_CFG_H
#define CUTTLE_CFG_H

#include <stdint.h>
#include <sys/socket.h>

#include "acl.h"
#include "hdr_rules.h"
#include "uri_ws.h"

struct extacl_type;
#include "conf.h"

struct logformat;

/*
 * ssl_bump actions, in the order of cfg_ssl_bump_actions (the rule's
 * access_rule.action is the index).  See reference section 5.1.
 */
enum ssl_bump_action {
	SSL_BUMP_SPLICE,
	SSL_BUMP_BUMP,
	SSL_BUMP_PEEK,
	SSL_BUMP_STARE,
	SSL_BUMP_TERMINATE,
	SSL_BUMP_CLIENT_FIRST,
	SSL_BUMP_SERVER_FIRST,
	SSL_BUMP_NONE
};
extern const char *const cfg_ssl_bump_actions[];

/* Which version of a file was read (st_dev, st_ino, st_size, st_mtim). */
struct cfg_file_stamp {
	uint64_t	 dev, ino, size, mtime_ns;
};

/* sslflags= and tls-flags= words (Squid's SSL_FLAG_*) */
#define CFG_TLS_FLAG_NO_DEFAULT_CA	0x01
#define CFG_TLS_FLAG_DELAYED_AUTH	0x02
#define CFG_TLS_FLAG_DONT_VERIFY_PEER	0x04
#define CFG_TLS_FLAG_DONT_VERIFY_DOMAIN	0x08
#define CFG_TLS_FLAG_NO_SESSION_REUSE	0x10
#define CFG_TLS_FLAG_CONDITIONAL_AUTH	0x20
#define CFG_TLS_FLAG_VERIFY_CRL		0x40
#define CFG_TLS_FLAG_VERIFY_CRL_ALL	0x80
/* on_unsupported_protocol actions (index into its access list's words) */
#define ONUP_RESPOND	0
#define ONUP_TUNNEL	1

struct cfg_port {
	char		*spec;		/* "3128", "127.0.0.1:3128" as written */
	char		*name;		/* name= or spec */
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	int		 port;
	int		 intercept, tproxy, accel, ssl_bump;
	/* accel: how an origin-form request's URL is rebuilt */
	char		*defaultsite;	/* defaultsite=HOST[:PORT], or NULL */
	int		 vhost;		/* the Host header names the site */
	int		 vport;		/* vport: -1 off, 0 the port the client
					   reached, N that port */
	int		 allow_direct;	/* allow-direct: may skip the peers */
	int		 is_https;	/* https_port */
	/*
	 * TLS (ssl-bump and https_port ports).  The files are read while the
	 * config loads, in the master, which may read root-only keys; workers
	 * inherit the objects across fork and never open the files.
	 * lib/tls_port.c owns the OpenSSL objects.
	 */
	char		*tls_cert, *tls_key;	/* tls-cert= / cert=, tls-key= / key= */
	const char	*tls_cert_opt, *tls_key_opt;	/* the word used, for messages */
	struct x509_st	*tls_x509;	/* tls-cert's first certificate: the
					   signing CA with generate-host-certificates */
	struct evp_pkey_st *tls_pkey;	/* its key (tls-key=, or in tls-cert=) */
	struct stack_st_X509 *tls_chain;	/* the other certificates of tls-cert= */
	struct x509_st	*tls_untrusted;	/* signUntrusted's CA, as Squid builds it:
					   tls_pkey, "Not trusted by \"<CN>\"" */
	/*
	 * SHA-256 of the certificates and of every setting a context is
	 * built from: generated contexts are cached under it, so a
	 * reconfigure with another CA or options never serves old ones.
	 */
	unsigned char	 tls_fingerprint[32];
	struct cfg_file_stamp tls_cert_stamp, tls_key_stamp;
	char		*tls_dh;	/* tls-dh=[curve:]file as written */
	struct evp_pkey_st *tls_dh_params;	/* its DH parameters, or NULL */
	int		 tls_dh_curve;	/* its curve (NID), 0: OpenSSL's groups */
	char		*tls_cipher;	/* cipher=: TLS 1.2 cipher list, or NULL */
	uint64_t	 tls_options;	/* options=: SSL_OP_* bits set */
	int		 tls_min_version;	/* tls-min-version= (TLS1_x_VERSION); 0 */
	unsigned	 tls_flags;	/* sslflags= CFG_TLS_FLAG_* */
	char		*tls_session_context;	/* sslcontext=, or NULL */
	int		 generate_host_certificates;
	int64_t		 dynamic_cert_mem_cache_size;	/* bytes; 0: no cache */
	char		*file;		/* where it was declared */
	int		 line;
	int		 fd;		/* listening socket, set by the master */
	struct cfg_port	*next;
};

struct cfg_access_log {
	char		*path;		/* file path without "stdio:"/"daemon:"; NULL: none */
	char		*module;	/* "stdio", "daemon", ... */
	struct logformat *format;
	struct access_list acls;	/* empty: always */
	int		 fd;		/* opened by the master */
	struct cfg_access_log *next;
};

struct cfg_logformat {
	char		*name;
	struct logformat *format;
	struct cfg_logformat *next;
};

struct cfg_deny_info {
	char		*page;		/* ERR_NAME, a file name, or a URL / status:URL */
	struct acl_ref	*refs;
	int		 nrefs;
	struct cfg_deny_info *next;
};

struct cfg_size_acl {		/* SIZE acl...: reply_body_max_size, range_offset_limit */
	int64_t		 size;		/* -1: "none" */
	struct access_rule rule;	/* action unused; refs are ANDed */
	struct cfg_size_acl *next;
};

struct cfg_str_list {
	char		*s;
	struct cfg_str_list *next;
};

/* tls_outgoing_options flags= (Squid's SSL_FLAG_* words) */
#define CFG_TLS_DONT_VERIFY_PEER	0x01
#define CFG_TLS_DONT_VERIFY_DOMAIN	0x02
#define CFG_TLS_NO_SESSION_REUSE	0x04
#define CFG_TLS_VERIFY_CRL		0x08
#define CFG_TLS_VERIFY_CRL_ALL		0x10

/*
 * tls_outgoing_options, and a cache_peer's tls options: how the worker's
 * TLS client talks to origins or to that peer (workers/tls_client.c builds
 * an SSL_CTX from this).  Lines add up, as in Squid; "disable" starts over
 * with TLS off.
 */
struct cfg_tls_outgoing {
	int		 disabled;	/* disable: no TLS context at all */
	struct cfg_str_list *cafiles;	/* cafile=, in order */
	char		*capath;	/* capath= */
	char		*cert, *key;	/* cert=, key= (client certificate) */
	char		*cipher;	/* cipher= (TLS 1.2 and below) */
	uint64_t	 options;	/* options= as SSL_OP_* bits */
	uint64_t	 version_options;	/* version=N as SSL_OP_* bits,
					   used without min-version= */
	char		*crlfile;	/* crlfile= */
	char		*domain;	/* domain= (cache_peer only) */
	int		 min_version;	/* min-version=1.N: N; -1 none */
	unsigned	 flags;		/* CFG_TLS_* */
	int		 default_ca;	/* default-ca: the system trust store */
	int		 default_ca_set;	/* default-ca= was written */
	char		*text;		/* every word as written, to compare */
};

/*
 * note KEY VALUE [acl ...]: at logging, each key gets its first value whose
 * ACLs match (Squid's Note::match), in the order keys first appeared.
 */
struct cfg_note {
	char		*key;
	char		*value;
	struct access_rule rule;	/* action unused; refs are ANDed */
	struct cfg_note	*next;
};

/* cpu_affinity_map lines, merged: process processes[i] on core cores[i] */
struct cfg_cpu_affinity {
	int		*processes;	/* kid numbers, from 1 */
	int		*cores;		/* from 1 */
	int		 n;
};

/* cachemgr_passwd PASSWORD ACTION...: "none", "disable" or a secret */
struct cfg_mgr_passwd {
	char		*passwd;
	char		**actions;	/* "all" covers every action */
	int		 nactions;
	struct cfg_mgr_passwd *next;	/* file order: the first one decides */
};

/* cache_peer HOST TYPE HTTP_PORT ICP_PORT [options] */
enum cfg_peer_type {
	CFG_PEER_PARENT, CFG_PEER_SIBLING, CFG_PEER_MULTICAST
};

/* cfg_peer.select: how a parent is picked among several */
#define CFG_PEER_SEL_ROUND_ROBIN	0x01
#define CFG_PEER_SEL_WEIGHTED_RR	0x02
#define CFG_PEER_SEL_CARP		0x04
#define CFG_PEER_SEL_USERHASH		0x08
#define CFG_PEER_SEL_SOURCEHASH		0x10

/* cfg_peer.carp_key: what of the URL CARP hashes (none: all of it) */
#define CFG_PEER_CARP_SCHEME		0x01
#define CFG_PEER_CARP_HOST		0x02
#define CFG_PEER_CARP_PORT		0x04
#define CFG_PEER_CARP_PATH		0x08
#define CFG_PEER_CARP_PARAMS		0x10

struct peer_state;

struct cfg_peer {
	char		*host;		/* as written: a name or an address */
	char		*name;		/* name=, else host; unique */
	enum cfg_peer_type type;
	int		 http_port;
	int		 icp_port;
	int		 originserver;	/* an origin: origin-form requests */
	char		*forceddomain;	/* forceddomain=: the Host sent to it */
	int		 is_default;	/* default: the last-resort parent */
	int		 no_query;
	int		 proxy_only;
	int		 no_delay;	/* no-delay: no delay pool limits it */
	int		 weight;	/* weight=, 1 */
	unsigned	 select;	/* CFG_PEER_SEL_* */
	unsigned	 carp_key;	/* carp-key=: CFG_PEER_CARP_* */
	int		 basetime;	/* basetime=: weighted-round-robin */
	int64_t		 connect_timeout;	/* connect-timeout= ms, -1:
					   peer_connect_timeout */
	int		 connect_fail_limit;	/* connect-fail-limit=, 10 */
	int		 max_conn;	/* max-conn=, 0: no limit */
	char		*login;		/* login=, or NULL */
	int		 tls;		/* tls/ssl: TLS to the peer */
	struct cfg_tls_outgoing tls_opts;	/* tls-* and ssl* options;
					   tls_opts.domain defaults to host */
	int		 no_tproxy;	/* no-tproxy: never spoof the client */
	int		 standby;	/* standby=: idle connections kept open */
	struct peer_state *state;	/* the worker's run-time record (peer.c) */
	struct access_list access;	/* cache_peer_access; empty: allow */
	char		*file;		/* where it was declared */
	int		 line;
	struct cfg_peer	*next;
};

struct cfg_outgoing_addr {	/* tcp_outgoing_address IP acl... */
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	struct access_rule rule;
	struct cfg_outgoing_addr *next;
};

struct cfg_refresh {		/* refresh_pattern; used by the cache */
	char		*regex_src;
	int		 icase;
	void		*regex;		/* regex_t * */
	int64_t		 min_s, max_s;
	int		 pct;
	unsigned	 flags;
	int64_t		 max_stale_s;
	struct cfg_refresh *next;
};

/* cfg_refresh.flags: refresh_pattern options */
#define CFG_REFRESH_OVERRIDE_EXPIRE	0x001
#define CFG_REFRESH_OVERRIDE_LASTMOD	0x002
#define CFG_REFRESH_RELOAD_INTO_IMS	0x004
#define CFG_REFRESH_IGNORE_RELOAD	0x008
#define CFG_REFRESH_IGNORE_NO_STORE	0x010
#define CFG_REFRESH_IGNORE_PRIVATE	0x020
#define CFG_REFRESH_REFRESH_IMS		0x040
#define CFG_REFRESH_STORE_STALE		0x080

enum cfg_forwarded_for {
	CFG_FF_ON, CFG_FF_OFF, CFG_FF_TRANSPARENT, CFG_FF_DELETE, CFG_FF_TRUNCATE
};

/* cache_replacement_policy */
enum cfg_policy {
	CFG_POLICY_LRU, CFG_POLICY_HEAP_GDSF, CFG_POLICY_HEAP_LFUDA,
	CFG_POLICY_HEAP_LRU
};

struct cfg_cache_dir {		/* cache_dir; every type runs on our store */
	char		*type;		/* "ufs", "aufs", "diskd", "rock" */
	char		*path;
	int64_t		 max_size;	/* bytes (SIZE_MB) */
	int		 l1, l2;	/* 16, 256 for rock */
	int64_t		 min_size;	/* min-size=, 0 */
	int64_t		 max_obj_size;	/* max-size=, -1: maximum_object_size */
	int		 read_only;	/* read-only: no new objects */
	int		 no_store;	/* no-store */
	char		*file;		/* where it was declared */
	int		 line;
	struct cfg_cache_dir *next;
};



/*
 * targeted_cache_control: where response fields such as CDN-Cache-Control
 * (RFC 9213) replace Cache-Control and Expires for this cache.
 */
enum cfg_targeted {
	CFG_TARGETED_ACCEL,	/* on accel ports only (the default) */
	CFG_TARGETED_ON,	/* on every port */
	CFG_TARGETED_OFF
};

struct cfg_targeted_cc {
	enum cfg_targeted when;
	struct cfg_str_list *fields;	/* the target list, in order */
};

/* "children N startup= idle= concurrency= queue-size=" of a helper pool */
struct cfg_helper_children {
	int		 n_max;
	int		 n_startup;
	int		 n_idle;
	int		 concurrency;	/* 0: one request at a time, no IDs */
	int		 queue_size;	/* -1: 2 * n_max */
};

/*
 * A URL helper's directives: url_rewrite_* and store_id_* are the same
 * five (program, children, access, bypass, extras) for two pools.
 */
/* url_rewrite_timeout's on_timeout=, in Squid's order (redirect.h) */
enum cfg_helper_on_timeout {
	CFG_ON_TIMEOUT_BYPASS,		/* as if the helper said ERR */
	CFG_ON_TIMEOUT_FAIL,		/* ERR_GATEWAY_FAILURE */
	CFG_ON_TIMEOUT_RETRY,		/* resend, twice at most, then fail */
	CFG_ON_TIMEOUT_USE_CONFIGURED_RESPONSE	/* timeout_response instead */
};

struct cfg_url_helper {
	char		**program;	/* argv; NULL: none */
	struct cfg_helper_children children;
	struct access_list access;	/* empty: every request */
	int		 bypass;
	struct logformat *extras;
	/*
	 * url_rewrite_timeout (store_id has none, as in Squid): 0 waits for
	 * ever.  Squid times requests out only with concurrency > 0.
	 */
	int64_t		 timeout_ms;
	enum cfg_helper_on_timeout on_timeout;
	char		*timeout_response;	/* use_configured_response's */
};

/* sslproxy_cert_adapt algorithms, in Squid's order */
enum cfg_cert_adapt {
	CFG_CERT_SET_VALID_AFTER,	/* notAfter := the CA's */
	CFG_CERT_SET_VALID_BEFORE,	/* notBefore := the CA's */
	CFG_CERT_SET_COMMON_NAME	/* CN := param, or the CONNECT host */
};

/*
 * One sslproxy_cert_sign or sslproxy_cert_adapt line.  As in Squid, a line
 * without ACLs never matches.
 */
struct cfg_cert_rule {
	int		 alg;		/* enum tls_mint_sign / enum cfg_cert_adapt */
	char		*param;		/* setCommonName{CN}: CN; else NULL */
	struct acl_ref	*refs;		/* ANDed */
	int		 nrefs;
	char		*file;
	int		 line;
	struct cfg_cert_rule *next;
};

/* The auth_param schemes cuttle runs (ntlm is warned and ignored). */
enum cfg_auth_scheme {
	CFG_AUTH_BASIC,
	CFG_AUTH_DIGEST,
	CFG_AUTH_NEGOTIATE,
	CFG_AUTH_NSCHEMES
};

/* auth_param basic PARAM VALUE; the defaults apply from its first line. */
struct cfg_auth_basic {
	int		 seen;
	char		**program;	/* argv; NULL: the scheme is off */
	struct cfg_helper_children children;
	char		*realm;		/* taken raw, as Squid does */
	int64_t		 credentialsttl;	/* ms */
	int		 casesensitive;
	int		 utf8;
	struct logformat *key_extras;	/* appended to the helper line */
};

/* auth_param negotiate PARAM VALUE (cfg_set_negotiate.c). */
struct cfg_auth_negotiate {
	int		 seen;
	char		**program;	/* argv; NULL: the scheme is off */
	struct cfg_helper_children children;
	int		 keep_alive;	/* off: close after the first challenge */
};

/* auth_param digest PARAM VALUE (cfg_set_digest.c); times in ms. */
struct cfg_auth_digest {
	int		 seen;
	char		**program;	/* argv; NULL: the scheme is off */
	struct cfg_helper_children children;
	char		*realm;
	int64_t		 nonce_gc_interval;
	int64_t		 nonce_max_duration;
	int		 nonce_max_count;
	int		 nonce_strictness;
	int		 check_nonce_count;
	int		 post_workaround;
	int		 utf8;
	struct logformat *key_extras;
};

/*
 * http_upgrade_request_protocols (cfg_set_upgrade.c, used through
 * upgrade_rules.h): the lines naming a protocol, each its own one-rule
 * list in file order, and the OTHER lines together as one list.
 */
struct cfg_upgrade_rule {
	char		*proto;		/* name[/version] as written */
	size_t		 name_len;	/* the name part of proto */
	struct access_list acl;		/* the line's one rule */
	struct cfg_upgrade_rule *next;
};

struct cfg_upgrade {
	struct cfg_upgrade_rule *named;
	struct access_list other;
};

/*
 * delay_pools: bandwidth limits on what is read from servers for clients.
 * spec[0] is the aggregate bucket, spec[1] the /24 network's (class 3),
 * spec[2] the client host's (classes 2 and 3).  restore -1: no limit at
 * that level (Squid's "none" and "-1/-1").
 */
#define CFG_DELAY_LEVELS	3
struct cfg_delay_spec {
	int64_t		 restore;	/* bytes a second; -1: unlimited */
	int64_t		 max;		/* bucket size, bytes */
};

struct cfg_delay_pool {
	int		 dclass;	/* 1..3; 0: no delay_class, or 4 and 5
					   (warned): the pool limits nothing */
	struct cfg_delay_spec spec[CFG_DELAY_LEVELS];
	struct access_list access;	/* delay_access; empty: nobody */
};

struct cfg {
	char		*config_file;

	struct cfg_port	*ports;		/* http_port and https_port, file order */
	int		 workers;
	char		*effective_user;	/* cache_effective_user */
	char		*effective_group;
	char		*pid_filename;	/* NULL: none */
	char		*coredump_dir;
	char		*visible_hostname;	/* NULL: gethostname() */
	char		*cache_mgr;	/* the address in error pages (%w) */
	struct cfg_mgr_passwd *cachemgr_passwd;
	struct cfg_cpu_affinity cpu_affinity_map;
	/* the name in our Via and in forwarding-loop checks, as Squid's
	 * ThisCache: several proxies may share a visible_hostname */
	char		*unique_hostname;	/* NULL: visible_hostname */
	int		 max_filedescriptors;	/* 0: leave the limit */
	int		 umask;		/* or'ed into the umask at start */

	/* logs */
	struct cfg_access_log *access_logs;	/* NULL with no_access_log: none */
	struct cfg_logformat *logformats;
	char		*cache_log;
	char		*debug_options;
	int		 logfile_rotate;
	int		 strip_query_terms;
	int		 host_verify_strict;	/* intercepted Host must match */
	int		 client_dst_passthru;	/* intercepted: original dst */
	int		 log_mime_hdrs;
	enum uri_ws	 uri_whitespace;	/* a target with SP or HTAB */

	/* headers */
	int		 via;
	int		 httpd_suppress_version_string; /* "cuttle", no version */
	enum cfg_forwarded_for forwarded_for;
	struct access_list follow_x_forwarded_for;
	/* request_header_* and reply_header_* access, replace, add */
	struct hdr_rules request_headers;
	struct hdr_rules reply_headers;
	int		 acl_uses_indirect_client;
	int		 log_uses_indirect_client;

	/* limits */
	int64_t		 request_header_max_size;
	int64_t		 reply_header_max_size;
	int64_t		 request_body_max_size;	/* 0: none */
	struct cfg_note	*notes;		/* note directives, in order */
	struct cfg_size_acl *reply_body_max_size;	/* first match; <= 0: none */

	/* timeouts, ms */
	int64_t		 connect_timeout;
	int64_t		 peer_connect_timeout;
	int64_t		 forward_timeout;
	int		 forward_max_tries;	/* connections tried, pooled too */
	int		 connect_retries;	/* opens of one connection, 0-10 */
	int64_t		 read_timeout;
	int64_t		 write_timeout;
	int64_t		 request_timeout;
	int64_t		 request_start_timeout;	/* until the first byte */
	int64_t		 client_idle_pconn_timeout;
	int64_t		 client_lifetime;
	/* per worker, as Squid's per kid; < 0: no limit (conn.c) */
	int		 client_ip_max_connections;
	/* only what client_ip_max_connections needs: off, no count */
	int		 client_db;
	int64_t		 pconn_lifetime;	/* 0: none */
	int64_t		 pconn_timeout;
	int64_t		 shutdown_lifetime;
	int64_t		 dns_timeout;

	int		 client_persistent_connections;
	int		 half_closed_clients;	/* serve after a client's FIN */
	int		 server_persistent_connections;

	/* DNS */
	struct cfg_str_list *dns_nameservers;
	int		 dns_defnames;	/* resolv.conf's search list */
	char		*hosts_file;	/* NULL: none */
	int64_t		 positive_dns_ttl;	/* ms */
	int64_t		 negative_dns_ttl;

	struct cfg_outgoing_addr *tcp_outgoing_address;

	/* peers and routing */
	struct cfg_peer	*peers;		/* cache_peer, file order */
	struct access_list always_direct;	/* a match: direct only */
	struct access_list never_direct;	/* a match: peers only */
	int		 prefer_direct;	/* direct before the parents */
	int		 nonhierarchical_direct;	/* on: non-hierarchical
					   requests go direct */

	/* access control */
	struct acl_set	 acls;
	struct access_list http_access;
	struct access_list http_reply_access;
	struct cfg_upgrade http_upgrade_request_protocols;

	/* TLS interception: the ssl_bump rules, actions SSL_BUMP_* */
	struct access_list ssl_bump;
	/* where a bumped connection's certificate comes from */
	char		**sslcrtd_program;	/* argv; NULL: minted in the worker */
	struct cfg_helper_children sslcrtd_children;
	struct cfg_cert_rule *sslproxy_cert_sign;	/* file order */
	struct cfg_cert_rule *sslproxy_cert_adapt;
	char		*sslproxy_cert_sign_hash;	/* digest name ("sha256") */
	/*
	 * ssl_bump_cert_key (cuttle): the key a certificate minted in the
	 * worker carries: a P-256 key of the worker's own (ecdsa, the
	 * default), or the signing CA's, as Squid's generator does (ca).
	 * sslcrtd_program's certificates carry what the helper chose.
	 */
	int		 ssl_bump_cert_key_ca;
	/*
	 * ssl_bump_learn_splice (cuttle): how long a client that refused a
	 * bump has that server name spliced, ms (0: off, never learned);
	 * ssl_bump_learn_splice_file: the list, shared by the workers.
	 */
	int64_t		 ssl_bump_learn_splice;
	char		*ssl_bump_learn_splice_file;
	/* what a bump port does with bytes that are not TLS: ONUP_* */
	struct access_list on_unsupported_protocol;

	/* cuttle_ca_pages: /cuttle/ca.pem, ca.der and the setup page */
	int		 cuttle_ca_pages;

	/* TLS to origins */
	struct cfg_tls_outgoing tls_outgoing;
	struct access_list sslproxy_cert_error;	/* empty: deny every error */

	/* errors */
	char		*error_directory;	/* NULL: built-in templates dir */
	struct cfg_deny_info *deny_info;

	/* caching (parsed now, used by the cache) */
	int64_t		 cache_mem;
	int64_t		 maximum_object_size_in_memory;
	int64_t		 maximum_object_size;
	int64_t		 minimum_object_size;
	struct cfg_refresh *refresh_patterns;
	struct cfg_cache_dir *cache_dirs;	/* file order; NULL: memory only */
	enum cfg_policy	 cache_replacement_policy;
	enum cfg_policy	 memory_replacement_policy;
	struct access_list cache_access;	/* "cache": may be stored/served */
	/* fast lists, Squid's: a miss may go upstream, a hit may be served,
	 * a miss's reply may be stored (empty: allow) */
	struct access_list miss_access;
	struct access_list send_hit;
	struct access_list store_miss;
	int		 reload_into_ims;	/* client reload -> revalidation */
	int		 refresh_all_ims;	/* client IMS -> origin revalidation */
	int64_t		 minimum_expiry_time;	/* ms */
	int64_t		 negative_ttl;		/* ms; 0: errors are not cached */
	int64_t		 read_ahead_gap;	/* bytes; -1: none (no limit) */
	/* first matching line wins; none match: 0; size -1: no limit */
	struct cfg_size_acl *range_offset_limit;
	int64_t		 max_stale;		/* ms */
	int		 collapsed_forwarding;
	int64_t		 quick_abort_min;	/* bytes; -1: always finish */
	int64_t		 quick_abort_max;
	int		 quick_abort_pct;
	int		 cache_swap_low;	/* percent of a cache_dir's size */
	int		 cache_swap_high;
	struct cfg_targeted_cc targeted_cache_control;

	/* url_rewrite_* (redirect_* aliases), store_id_* (storeurl_rewrite_*) */
	struct cfg_url_helper url_rewrite;
	int		 url_rewrite_host_header;
	struct cfg_url_helper store_id;

	/* auth_param basic, digest and negotiate (ntlm: warned and ignored) */
	struct cfg_auth_basic auth_basic;
	struct cfg_auth_digest auth_digest;
	struct cfg_auth_negotiate auth_negotiate;
	/*
	 * authenticate_ttl: a user stays in the credentials cache this long
	 * after the helper last checked them; authenticate_cache_garbage_
	 * interval: how often the cache is swept for such users;
	 * authenticate_ip_ttl: how long a user's source address counts for
	 * max_user_ip.  All ms.
	 */
	int64_t		 authenticate_ttl;
	int64_t		 authenticate_gc_interval;
	int64_t		 authenticate_ip_ttl;
	/*
	 * The schemes in the order of their first auth_param line, Squid's
	 * order of the challenges in a 407 (Auth::TheConfig.schemes).
	 */
	enum cfg_auth_scheme auth_order[CFG_AUTH_NSCHEMES];
	int		 auth_norder;
	struct extacl_type *external_acl_types;	/* file order (extacl.h) */
	int		 auth_other_scheme;	/* some other scheme has a program */

	/*
	 * Only while cfg_reload() runs: the config being replaced, whose
	 * loaded keys a port may reuse when it can no longer read them.
	 */
	const struct cfg *running;

	/* delay_pools (lib/delay_conf.c, workers/delay.c) */
	int		 delay_npools;
	struct cfg_delay_pool *delay_pools;	/* delay_npools of them */
	int		 delay_initial_level;	/* percent of max */
	int		 delay_pool_uses_indirect_client;
};

/*
 * Load path into cfg.  Every error is reported, one per line, as
 * "file:line: message" on the errors stream (cache.log or stderr) and counted;
 * warnings ("file:line: WARNING: ...") do not count.  Returns the number of
 * errors: 0 means the config can run.  Free cfg with cfg_free() either way.
 */
int cfg_load(struct cfg *cfg, const char *path, int process_number);
/*
 * cfg_load for a process that has dropped its privileges (-N reloading in
 * place): a port's certificate or key file it may no longer read is taken
 * from running's port with the same files, if they have not changed since.
 */
int cfg_reload(struct cfg *cfg, const char *path, const struct cfg *running);
void cfg_free(struct cfg *cfg);

/*
 * Reconfigure: for each directive only a restart applies (CONF_RESTART rows)
 * whose value differs between running and fresh, call report(name, from,
 * to, arg) and copy the running value into fresh.  Returns how many.
 */
int cfg_restart_keep(struct cfg *fresh, const struct cfg *running,
    conf_restart_report report, void *arg);
/* The report that writes Squid's WARNING line to cache.log. */
void cfg_restart_log(const char *name, const char *from, const char *to,
    void *arg);
/* A CONF_RESTART row whose type has no comparison (a bug), or NULL. */
const char *cfg_restart_unknown(void);

/*
 * The targeted cache-control fields a response received on port honours,
 * first one first, or NULL when that port ignores them.
 */
const struct cfg_str_list *cfg_targeted_fields(const struct cfg *cfg,
    const struct cfg_port *port);

/* The cachemgr_passwd word for a manager action, or NULL if no line
 * names it (nor all). */
const char *cfg_mgr_passwd_of(const struct cfg *cfg, const char *action);

/*
 * The core (from 1) cpu_affinity_map gives kid number process, 0 for none;
 * *conflict is set when several entries name it (the last one wins).
 */
int cfg_cpu_affinity_core(const struct cfg *cfg, int process, int *conflict);

/* The compiled-in defaults' directory for error templates. */
const char *cfg_default_error_directory(void);

#endif
