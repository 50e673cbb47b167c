/*
 * A transaction: one request and what answers it.  xact.c owns its life:
 * the states (changed only through xact_set_state), the router that alone
 * sends a request to the cache, upstream or a tunnel, and the one way it
 * ends (xact_end).  The struct is a small core plus one part per module;
 * a part is written only by its module (named next to it).
 *
 * The picture (DESIGN.md "Data flow in a worker"), file by file:
 *   conn.c          accept, read, parse a head          -> xact_start
 *   xact_access.c   URL, http_access, auth.c, rewrite.c -> xact_route_request
 *   xact.c          router: CONNECT -> tunnel.c, else cache.c's verdict:
 *                     serve (cache_hit.c), wait (cache_disk.c, cache_cf.c),
 *                     forward (forward.c), 504
 *   forward.c       DNS, connect, request up, response down; a revalidation's
 *                   answer goes back to the router through cache.c
 *   xact.c          xact_end: error page or not, access.log line, free
 */
#ifndef CUTTLE_XACT_H
#define CUTTLE_XACT_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "body.h"
#include "buf.h"
#include "dns.h"
#include "notes.h"
#include "evloop.h"
#include "http_parse.h"
#include "logformat.h"
#include "peer.h"
#include "url.h"

struct cfg_port;
struct conn;
struct xact;
struct helper_req;
struct external_acl_xact;
struct srv;
struct memcache_ref;
struct cache_cf;
struct cache_disk_job;
struct cache_outcome;

enum xact_state {
	XS_NEW,		/* the head is parsed; checks not started */
	XS_ACCESS,	/* waiting for DNS or an external ACL helper to
			 * finish an http_access check */
	XS_AUTH,	/* waiting for the auth_param basic program */
	XS_REWRITE,	/* waiting for url_rewrite_ or store_id_program */
	XS_LOOKUP,	/* waiting for a cache_dir's answer (lookup, PURGE) */
	XS_COLLAPSED,	/* waiting for another transaction's fetch of the URL */
	XS_DNS,		/* resolving the server */
	XS_CONNECTING,
	XS_FORWARD,	/* request going out, waiting for the response head */
	XS_RELAY,	/* response body to the client */
	XS_TUNNEL,	/* CONNECT bytes both ways */
	XS_BUMP,	/* SslBump steps: ClientHello, certificate, handshake */
	XS_LOCAL,	/* a response we made (error page) going out */
	XS_HIT,		/* a stored response going out */
	XS_DONE
};

/*
 * One direction of a CONNECT tunnel.  Bytes in flight sit either in a pipe
 * borrowed from the worker's pool (spliced) or, when no pipe can be had, in
 * a user-space buffer (copied); never in both, so they stay in order.
 */
struct tunnel_dir {
	int		 pipe[2];	/* valid while has_pipe */
	int		 has_pipe;
	size_t		 in_pipe;
	char		*copy;		/* NULL unless copying */
	size_t		 copy_len, copy_off;
	int		 eof;		/* the source sent FIN */
	int		 shut;		/* the destination was half-closed */
	/*
	 * The source was drained (EAGAIN or a short splice) and no event
	 * has come since: not read again until one does.  Trying both
	 * directions after every event cost a short tunnel about 13
	 * failing splice calls; epoll is level-triggered, so a skipped
	 * source with bytes is reported again.
	 */
	int		 src_idle;
	/*
	 * delay_pools: the source may not be read until the delay id's
	 * timer fires (the server side only, as in Squid).
	 */
	int		 delayed;
};

/* tunnel.c */
struct xact_tunnel {
	int		 dialing;	/* CONNECT allowed, no tunnel yet */
	int		 answered;	/* the 200 went out already (SslBump) */
	struct tunnel_dir up, down;	/* client to server, server to client */
};

/* forward.c: the server side's own bookkeeping */
struct xact_fwd {
	struct dns_query *dnsq;
	struct peer_routes routes;	/* where to try, in order (peer.c) */
	int		 route_idx;
	struct dns_result dest;		/* the addresses of the route tried */
	int		 dest_port;
	int		 addr_idx;
	int		 tries;		/* connections tried: forward_max_tries */
	int		 open_fails;	/* this address: connect_retries */
	uint64_t	 connect_deadline;	/* ev_now() ms for this address */
	void		(*on_connected)(struct xact *, struct srv *);
	int		 dial_pool;	/* may take a pooled connection */
	struct buf	 head;		/* request head as sent, for a retry */
	struct buf	 body;		/* request body bytes sent, for a retry */
	int		 replayable;	/* may be sent again: see forward_start */
	int		 rep_started;	/* a byte of response came */
	int		 retried;
	int		 dechunk;	/* HTTP/1.0 client, chunked response */
	int64_t		 reply_limit;	/* reply_body_max_size, -1 none */
};

/* bump.c: SslBump steps on a CONNECT */
struct xact_bump {
	int		 phase;		/* BUMP_* in bump.c */
	int		 step;		/* the step being decided, 1..3 */
	int		 step1;		/* action taken at step 1 (SSL_BUMP_*) */
	int		 step2;		/* ... at step 2, -1 none yet */
	int		 learn_peek;	/* step 1's bump waits for the SNI: a
					   learned splice may stop it */
	char		 sni[256];	/* from the ClientHello, "" none */
	size_t		 hello_need;	/* no use parsing before this many bytes */
	struct bump_cert_wait *wait;	/* certificate being made */
};

/* cache*.c (cache_range.c: the range fields) */
struct xact_cache {
	struct memcache_ref *hit;	/* pinned stored object */
	char		*key;		/* "GET url" (+ "\n" vary key) */
	char		*base_key;	/* "GET url" */
	const char	*hit_head;	/* stored head text, in the held object */
	size_t		 hit_head_len;
	struct http_msg	 hit_msg;	/* parsed stored head */
	uint64_t	 hit_off, hit_len;	/* body bytes sent / to send */
	int		 hit_fd;	/* disk hit: the cache file, -1 */
	uint64_t	 hit_file_off;	/* disk hit: where the body starts */
	char		*hit_meta;	/* disk hit: copy of the record's meta */
	size_t		 hit_meta_len;
	char		*vary_marker;	/* the disk Vary marker looked through */
	size_t		 vary_marker_len;
	uint32_t	 store_req;	/* pending cache_dir request, 0 none */
	int		 store_idx;	/* which cache_dir */
	int		 ok;		/* "cache" access allows store and serve */
	int		 may_store;	/* a response may be stored */
	int		 revalidating;	/* stale object being checked upstream */
	char		*cond;		/* conditional header lines to send */
	int		 storing;	/* the response goes to the cache */
	int		 mem_ok;	/* ... into the memory cache (store_body) */
	struct cache_disk_job *disk_job;	/* ... into a cache_dir */
	char		*store_key;	/* key it is stored under */
	int		 store_vary;	/* > 0: a variant (marker needed) */
	struct buf	 store_body;
	struct buf	 store_head;
	int64_t		 request_time;	/* time() when the request went upstream */
	/*
	 * range_offset_limit: a Range request fetched whole for the cache;
	 * with range_window the client gets bytes range_first..range_last
	 * of it as a 206 (range_pos: payload offset relayed so far).
	 */
	int		 range_whole, range_window;
	int64_t		 range_first, range_last, range_pos;
};

/* cache_cf.c: collapsed forwarding */
struct xact_cf {
	struct cache_cf	*group;		/* our group, or NULL */
	int		 leader;	/* 1: we fetch for the group; -1: woken */
	int		 remote;	/* ... after another worker's fetch */
	int		 announced;	/* our fetch is marked in shared memory */
	struct xact	*next;		/* next waiting follower */
};

/* rewrite.c, storeid.c: url_rewrite_program, store_id_program */
struct xact_rewrite {
	struct helper_req *req;		/* waiting for the rewriter or store ID */
	void		(*cont)(struct xact *);
	char		*buf;		/* the rewritten URL x->url points into */
	int		 done;		/* the URL was rewritten */
	int		 keep_host;	/* url_rewrite_host_header off */
	char		*store_id;	/* the cache knows x by this, not its URL */
};

/* auth.c: proxy authentication */
struct xact_auth {
	int		 state;		/* ACL_AUTH_* */
	char		*user;		/* decoded, lowercased unless casesensitive */
	char		*pass;		/* in user's allocation */
	struct helper_req *req;		/* waiting for the helper */
	void		(*cont)(struct xact *);
	struct auth_digest_req *digest;	/* Digest credentials, or NULL */
	int		 ip_noted;	/* auth_note_address done */
};

/* intercept.c: a request on an intercepted connection */
struct xact_intercept {
	int		 mode;		/* 0, INTERCEPT_NAT or _TPROXY; log.local
					   is the original destination */
	int		 self;		/* ... which is this proxy: a loop */
	int		 verified;	/* Host names that destination */
	void		(*cont)(struct xact *);	/* after the Host check */
};

struct xact {
	/* core: written by xact.c and xact_access.c */
	struct conn	*conn;		/* NULL once detached */
	const struct cfg_port *port;	/* the port the request came in on */
	int		 detached;	/* the client left; finishing for the cache */
	int		 unparsed;	/* no request came of it (a parse or URL
					   error): Squid logs no %err_code */
	char		 err_detail[24];	/* %err_detail when made up here */
	int		 timed_out;	/* ended by write_timeout (no _ABORTED) */
	enum xact_state	 state;		/* only through xact_set_state() */
	uint64_t	 id;
	char		*head;		/* our copy of the request head */
	struct http_msg	 req;		/* points into head */
	char		*method;
	struct url	 url;
	struct sockaddr_storage peer;	/* the client connection's address */
	struct sockaddr_storage client;	/* indirect client (follow_x_forwarded_for) */
	char		*url_str;	/* absolute URL, host:port for CONNECT */
	char		*log_url;
	char		*path_str;	/* path and query, NUL-terminated, for ACLs */
	int		 is_connect;
	int		 accelerated;	/* came in on an accel port */
	char		*accel_url;	/* the URL rebuilt for it: x->url's */
	struct body	 reqbody;
	int		 keep_client;	/* client connection survives */
	int		 head_sent;	/* response head queued to the client */
	struct ev_timer	 timer;		/* connect / read / idle timeout */
	struct ev_timer	 resume;	/* detached: continue next loop turn */

	/* the server and its response: forward.c (tunnel.c for CONNECT) */
	struct dns_result dns;		/* also resolved by dst ACLs */
	struct srv	*srv;		/* the server connection we hold */
	uint64_t	 upstream_started_ms;
	char		*rep_head;	/* response head as received */
	struct http_msg	 rep;
	struct body	 repbody;
	int		 early_reply;	/* response before the request body ended */
	struct delay_id	*delay;		/* delay_pools: NULL, no limit */

	/* the access.log line */
	struct alog_entry log;
	char		 result_tag[48];	/* xact_tag() */
	char		 mime_type[256];	/* log.mime_type: xact_log_type() */
	const char	*hier;
	int		 err_errno;
	char		*err_x, *err_d;	/* the page's %x and %D, or NULL */
	const char	*mgr_realm;	/* a 401's Basic realm: the action */
	struct timeval	 started;

	struct xact_fwd	 fwd;
	struct xact_tunnel tun;
	struct xact_cache cache;
	struct xact_cf	 cf;
	struct xact_rewrite rw;
	struct xact_auth auth;
	struct xact_bump bump;
	struct xact_intercept icpt;
	struct notes	 notes;		/* annotations (annotate.c) */
	struct external_acl_xact *extacl;	/* external_acl.c; NULL: unused */
};

struct acl_checklist;
struct cfg_size_acl;

/* The cache_peer x goes to now, or NULL: direct to the origin. */
static inline const struct cfg_peer *
xact_peer(const struct xact *x)
{
	return x->fwd.route_idx < x->fwd.routes.n ?
	    x->fwd.routes.route[x->fwd.route_idx].peer : NULL;
}

/* conn.c: a request head parsed at the start of c->in. */
void xact_start(struct conn *c, const struct http_msg *m);
/* conn.c: a head that failed to parse (the bytes are dropped). */
struct http_parse_error;
void xact_parse_error(struct conn *c, const struct http_parse_error *err);
/* conn.c: the connection closed before any request head. */
void xact_log_no_request(struct conn *c);
/* A transaction with no client, made from model's request (revalidation). */
struct xact *xact_background(const struct xact *model);

/* Change state; an illegal change is a bug (the kid dies, is restarted). */
void xact_set_state(struct xact *x, enum xact_state s);
/* The result tag access.log shows (TCP_MISS, TCP_MEM_HIT, ...). */
void xact_tag(struct xact *x, const char *tag);
/* The Content-Type access.log shows: m's, unless one is set already. */
void xact_log_type(struct xact *x, const struct http_msg *m);
/*
 * Write x's access.log line as things stand and go on with x, whose byte
 * counts start again: SslBump logs the CONNECT before the tunnel it
 * becomes, as Squid does.
 */
void xact_log_interim(struct xact *x);

/*
 * The router.  Past the checks: a CONNECT goes to tunnel.c, anything else
 * to the cache's verdict.  xact_route acts on a verdict; cache.c's
 * answers that come later (a cache_dir, a collapsed fetch, a revalidation)
 * arrive here too.
 */
void xact_route_request(struct xact *x);
void xact_route(struct xact *x, const struct cache_outcome *v);

/*
 * The one end of a transaction: the access.log line, the server connection
 * given back or closed, and the client kept for its next request or closed.
 *   status 0            the response is complete (or the tunnel closed)
 *   status >= 100       fails with the err_name page (x->err_errno shown),
 *                       or, once a head went out, like XACT_ABORT
 *   XACT_ABORT          cut short; reason goes to the debug log
 *   XACT_CUT            the server cut the response short: as XACT_ABORT,
 *                       but logged without _ABORTED (Squid 5.7 marks a
 *                       transaction aborted only when its client went)
 * A detached transaction (no client) stores what it fetched when complete.
 */
#define XACT_ABORT	(-1)
#define XACT_CUT	(-2)
void xact_end(struct xact *x, int status, const char *err_name,
    const char *reason);
/* xact_end with the errno the error page shows. */
void xact_fail(struct xact *x, int status, const char *err_name, int errnum);
/* miss_access denies x going upstream: x is ended with a 403. */
int xact_miss_denied(struct xact *x);
/* A response we built is queued in the client's output: send it, end. */
void xact_send_local(struct xact *x);
/* The client left; the fetch goes on for the cache (quick_abort). */
void xact_detach(struct xact *x);
/* The client failed while x relays: detach (quick_abort) or abort. */
void xact_client_gone(struct xact *x, const char *why);
/* conn.c: the client connection closes under x: detach or abort. */
void xact_client_closed(struct xact *x, const char *why);

/* conn.c: the client socket has events for x. */
void xact_client_event(struct xact *x, uint32_t revents);
/* What x waits for on the client socket (CONN_WANT_*). */
unsigned xact_client_wants(const struct xact *x);
/* Recompute and set what the client socket waits for. */
void xact_client_update(struct xact *x);

/* What ACLs may know about x at this point. */
void xact_checklist(const struct xact *x, struct acl_checklist *cl);
/* The size of the first line of a "SIZE acl..." list matching x, or dflt. */
int64_t xact_size_rule(const struct xact *x, const struct cfg_size_acl *l,
    int64_t dflt);

/* xact_access.c: the checks, from a parsed head to the router. */
void xact_access_start(struct xact *x);

#endif
