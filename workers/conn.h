/*
 * Client side: one struct conn per accepted connection and one struct xact
 * per request on it.  Requests on a connection are served one at a time, in
 * order; pipelined requests wait in the input buffer.
 */
#ifndef CUTTLE_CONN_H
#define CUTTLE_CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "body.h"
#include "buf.h"
#include "dns.h"
#include "evloop.h"
#include "http_parse.h"
#include "logformat.h"
#include "url.h"

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
};

struct cfg_port;
struct helper_req;
struct srv;

enum xact_state {
	XS_ACCESS,	/* waiting for DNS to finish an http_access check */
	XS_AUTH,	/* waiting for the auth_param basic program */
	XS_REWRITE,	/* waiting for the url_rewrite_program */
	XS_DNS,		/* resolving the server */
	XS_CONNECTING,
	XS_FORWARD,	/* request going out, waiting for the response head */
	XS_RELAY,	/* response body to the client */
	XS_TUNNEL,	/* CONNECT bytes both ways */
	XS_LOCAL,	/* a response we made (error page) going out */
	XS_HIT,		/* a stored response going out */
	XS_STORE,	/* waiting for a cache_dir lookup */
	XS_DONE
};

struct conn {
	int		 fd;
	struct ev_io	 io;
	struct ev_timer	 timer;		/* request / idle / linger */
	struct ev_timer	 life;		/* client_lifetime */
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	const struct cfg_port *port;
	struct buf	 in;
	struct buf	 out;
	struct xact	*xact;
	int		 close_after;	/* close once out is written */
	int		 nrequests;
	uint64_t	 accepted_ms;
	int		 read_eof;
	int		 lingering;	/* output done, draining input before close */
	struct conn	*next, *prev;
};

struct xact {
	struct conn	*conn;		/* NULL once detached */
	const struct cfg_port *port;	/* the port the request came in on */
	int		 detached;	/* the client left; finishing for the cache */
	int		 timed_out;	/* ended by write_timeout (no _ABORTED) */
	enum xact_state	 state;
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
	int		 tunnel_dialing;	/* CONNECT allowed, no tunnel yet */
	struct body	 reqbody;

	struct dns_query *dnsq;
	struct dns_result dns;
	int		 addr_idx;
	struct srv	*srv;
	void		(*on_connected)(struct xact *, struct srv *);
	int		 dial_pool;	/* may take a pooled connection */
	struct buf	 fwd_head;	/* request head as sent, for a retry */
	struct buf	 fwd_body;	/* request body bytes sent, for a retry */
	int		 replayable;	/* may be sent again: see forward_start */
	int		 rep_started;	/* a byte of response came */
	int		 retried;
	struct ev_timer	 timer;		/* connect / read timeout */
	struct ev_timer	 resume;	/* detached: continue next loop turn */

	char		*rep_head;	/* response head as received */
	struct http_msg	 rep;
	struct body	 repbody;
	int		 dechunk;	/* HTTP/1.0 client, chunked response */
	int		 keep_client;	/* client connection survives */
	int		 early_reply;	/* response before the request body ended */
	int64_t		 reply_limit;	/* reply_body_max_size, -1 none */
	/*
	 * range_offset_limit: a Range request fetched whole for the cache;
	 * with range_window the client gets bytes range_first..range_last
	 * of it as a 206 (range_pos: payload offset relayed so far).
	 */
	int		 range_whole, range_window;
	int64_t		 range_first, range_last, range_pos;
	int		 head_sent;	/* response head queued to the client */

	/* tunnel: client to server, server to client */
	struct tunnel_dir tun_up, tun_down;

	/* cache */
	struct memcache_ref *hit;	/* pinned stored object */
	char		*cache_key;	/* "GET url" (+ "\n" vary key) */
	char		*cache_base_key;	/* "GET url" */
	const char	*hit_head;	/* stored head text, in the pinned object */
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
	struct cache_cf	*cf;		/* collapsed forwarding: our group */
	int		 cf_leader;	/* we fetch for the group */
	int		 cf_remote;	/* ... after another worker's fetch */
	int		 cf_announced;	/* our fetch is marked in shared memory */
	struct xact	*cf_next;	/* next waiting follower */
	int		 cache_ok;	/* "cache" access allows store and serve */
	int		 may_store;	/* a response may be stored */
	int		 revalidating;	/* stale object being checked upstream */
	char		*cache_cond;	/* conditional header lines to send */
	int		 storing;	/* the response goes to the cache */
	int		 mem_ok;	/* ... into the memory cache (store_body) */
	struct cache_disk_job *disk_job;	/* ... into a cache_dir */
	char		*store_key;	/* key it is stored under */
	int		 store_vary;	/* > 0: a variant (marker needed) */
	struct buf	 store_body;
	struct buf	 store_head;
	int64_t		 request_time;	/* time() when the request went upstream */

	struct alog_entry log;
	char		 result_tag[48];
	const char	*hier;
	int		 err_errno;
	struct timeval	 started;
	uint64_t	 upstream_started_ms;

	/* url_rewrite_program */
	struct helper_req *rewrite_req;	/* waiting for the rewriter */
	void		(*rewrite_cont)(struct xact *);
	char		*rewrite_buf;	/* the rewritten URL x->url points into */
	int		 rewritten;
	int		 rewrite_keep_host;	/* url_rewrite_host_header off */
	/* proxy authentication (auth.c) */
	int		 auth_state;	/* ACL_AUTH_* */
	char		*auth_user;	/* decoded, lowercased unless casesensitive */
	char		*auth_pass;	/* in auth_user's allocation */
	struct helper_req *auth_req;	/* waiting for the helper */
	void		(*auth_cont)(struct xact *);
};

struct acl_checklist;

/*
 * Accept a few queued clients.  Returns 0, or when descriptors are short
 * (the caller stops accepting for a while): -1 when only the reserve is
 * left, else the errno accept(2) failed with.
 */
int conn_accept(int lfd, const struct cfg_port *port);
/* What ACLs may know about x at this point. */
void xact_checklist(const struct xact *x, struct acl_checklist *cl);
struct cfg_size_acl;
/* The size of the first line of a "SIZE acl..." list matching x, or dflt. */
int64_t xact_size_rule(const struct xact *x, const struct cfg_size_acl *l,
    int64_t dflt);
/* Finish the current transaction: log it, then keep or close the client. */
void xact_finish(struct xact *x);
/* Reply with an error page before any response head went out. */
void xact_error(struct xact *x, int status, const char *err_name, int errnum);
/* The client left; the fetch goes on for the cache (quick_abort). */
void xact_detach(struct xact *x);
/* A copy of model's request with no client (background revalidation). */
struct xact *xact_background(const struct xact *model);
/* The client failed while x relays: detach (quick_abort) or abort. */
void xact_client_gone(struct xact *x, const char *why);
void xact_detached_end(struct xact *x, int complete);
/* Abort after the response head went out: close the client. */
void xact_abort(struct xact *x, const char *why);
/* Queue bytes to the client and try to write them. */
int conn_flush(struct conn *c);
void conn_update_events(struct conn *c);
int conn_count(void);
void conn_retire_idle(void);

#endif
