/*
 * Client side: one struct conn per accepted connection.  conn.c owns the
 * socket: accept, read, write, linger, timeouts, and the event mask, which
 * nothing else sets (conn_want).  Requests on a connection are served one
 * at a time, in order; pipelined requests wait in the input buffer.
 */
#ifndef CUTTLE_CONN_H
#define CUTTLE_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "evloop.h"
#include "notes.h"

typedef struct ssl_st SSL;

struct cfg_port;
struct xact;

struct conn {
	int		 fd;
	SSL		*ssl;		/* TLS with the client (bumped), or NULL */
	char		*tls_authority;	/* bumped: the CONNECT's host:port */
	char		*tls_sni;	/* bumped: the client's SNI, or NULL */
	struct x509_st	*tls_server_cert; /* bumped after the server's TLS:
					   its certificate, for ACLs */
	int		 tls_accepting;	/* https_port: handshake not done */
	char		*tls_error;	/* bumped after the server's TLS failed:
					   "%x\n%D" for the first request */
	struct ev_io	 io;
	struct ev_timer	 timer;		/* request / idle / write / linger */
	struct ev_timer	 life;		/* client_lifetime */
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	const struct cfg_port *port;
	int		 icpt_mode;	/* intercepted: INTERCEPT_*, local is the
					   original destination (intercept.c) */
	int		 icpt_self;	/* ... which is this proxy */
	struct buf	 in;
	struct buf	 out;
	struct xact	*xact;		/* the request being served, or NULL */
	int		 close_after;	/* close once out is written */
	int		 nrequests;
	/*
	 * How long to wait for the next request's first byte, as Squid 5.7
	 * waits: request_start_timeout from the connection's start (an
	 * https_port's TLS handshake included), request_timeout once a
	 * bump's handshake is done, client_idle_pconn_timeout between
	 * requests.  From a request's first byte, request_timeout bounds
	 * the rest of its head.
	 */
	int64_t		 idle_wait;
	int		 awaiting_first_byte;
	uint64_t	 accepted_ms;
	int		 read_eof;
	int		 lingering;	/* output done, draining input before close */
	struct negotiate_conn *nego;	/* auth_negotiate.c: its login */
	struct notes	 notes;		/* clt_conn_tag (annotate.c) */
	/* bump_learn.c: how the client takes our minted certificate */
	int		 learn_cert_sent;	/* our Certificate went out */
	int		 learn_alert;		/* its fatal alert, or 0 */
	char		*learn_name;		/* handshake done, no request yet */
	uint64_t	 learn_until_ms;	/* ... a hang-up before refuses */
	int		 ip_counted;	/* in conn_ips (client_ip_max_connections) */
	struct conn	*next, *prev;
};

/* What the socket waits for (conn_want). */
#define CONN_WANT_READ		0x01
#define CONN_WANT_WRITE		0x02
#define CONN_WANT_HUP		0x04	/* notice the client leaving */
/* write_timeout runs while WRITE is wanted (else the timer is stopped) */
#define CONN_WANT_WTIMEOUT	0x08

/*
 * Accept a few queued clients.  Returns 0, or when descriptors are short
 * (the caller stops accepting for a while): -1 when only the reserve is
 * left, else the errno accept(2) failed with.
 */
int conn_accept(int lfd, const struct cfg_port *port);
/* Set what the socket waits for (CONN_WANT_*): the only setter. */
void conn_want(struct conn *c, unsigned want);
/* Write queued output; -1 when the client is gone. */
int conn_flush(struct conn *c);
/* Read what the client sent into c->in (read_eof on EOF or error). */
void conn_read(struct conn *c);
/* The transaction on c ended: keep the client (next request) or close. */
void conn_xact_done(struct conn *c, int keep);
/* The transaction on c was cut short: the connection closes. */
void conn_xact_aborted(struct conn *c);
/* Close now; a transaction still on c is detached or aborted. */
void conn_close(struct conn *c);
int conn_count(void);
/* After a reconfigure: count the open clients a new limit applies to. */
void conn_reload(void);
/*
 * Client connections open from sa's address in this worker, counted only
 * while client_ip_max_connections or a maxconn ACL needs it (else 0).
 */
struct sockaddr;
int conn_ip_established(const struct sockaddr *sa);
void conn_retire_idle(void);

#endif
