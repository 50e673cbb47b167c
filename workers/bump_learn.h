/*
 * ssl_bump_learn_splice (a cuttle extension, beyond Squid): a client that
 * refuses the certificate we minted for a name (a fatal unknown_ca,
 * bad_certificate or certificate_unknown alert; a reset or close during the
 * handshake after our certificate went out; or a completed handshake
 * followed by a hang-up within a second with no request byte) is an app
 * that pins its server's certificate.  Bumping it again only breaks it, so
 * (client address, server name) is learned for the configured time and
 * such connections are spliced where ssl_bump would bump them.
 *
 * The list lives in ssl_bump_learn_splice_file, shared by the workers and
 * kept across restarts (format: lib/learn_splice.h); it is read again when
 * its size, time or inode change, looked at no more than once a second.
 */
#ifndef CUTTLE_BUMP_LEARN_H
#define CUTTLE_BUMP_LEARN_H

#include <openssl/ssl.h>

struct conn;
struct xact;

/* Is learning on (ssl_bump_learn_splice not off)? */
int bump_learn_enabled(void);
/* Has the client of x any learned name (so a bump at step 1 peeks first)? */
int bump_learn_client_known(const struct xact *x);
/*
 * Is (the client of x, name) learned?  When it is, the decision is traced
 * (debug section 83) naming the entry.
 */
int bump_learn_splices(const struct xact *x, const char *name);
/* Watch the client's handshake on c->ssl for a refusal of our certificate. */
void bump_learn_watch(struct conn *c);
/*
 * The client's handshake failed (ssl_error: SSL_get_error's answer, err:
 * errno after the call): learn name when the client refused our
 * certificate.  Call before the TLS error queue is cleared.
 */
void bump_learn_handshake_failed(struct xact *x, const char *name,
    int ssl_error, int err);
/* The client's handshake completed: an early hang-up would learn name. */
void bump_learn_handshake_done(struct xact *x, const char *name);
/* The client sent request bytes: not a hang-up. */
void bump_learn_request_seen(struct conn *c);
/* conn_close: a hang-up soon after the handshake learns. */
void bump_learn_conn_closed(struct conn *c);
struct buf;
/*
 * The cache manager's mgr:learned_splice page: the list's unexpired
 * entries as this worker sees the file now (the file is shared, so any
 * worker shows every worker's; only what a worker keeps in memory when
 * the file cannot be written is its own).  Always 0.
 */
int bump_learn_mgr_page(struct buf *out);

#endif
