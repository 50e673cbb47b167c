/*
 * annotate: a transaction's annotations (Squid's request notes): what
 * helpers answered (url_rewrite, store_id, external ACLs, auth), the
 * connection's clt_conn_tag, and the `note` directives applied when the
 * transaction is logged.  note ACLs and %note read x->notes.
 */
#ifndef CUTTLE_ANNOTATE_H
#define CUTTLE_ANNOTATE_H

#include "cfg.h"
#include "conn.h"
#include "notes.h"
#include "worker.h"
#include "xact.h"

struct helper_reply;

void annotate_conn_notes(struct xact *x);
void annotate_log_rules(struct xact *x);

/*
 * A new transaction starts with its connection's notes (clt_conn_tag);
 * inline, so that a connection without notes does not enter annotate.c.
 */
static inline void
annotate_start(struct xact *x)
{
	if (x->conn != NULL && x->conn->notes.n > 0)
		annotate_conn_notes(x);
	x->log.notes = &x->notes;
}
/*
 * Squid's UpdateRequestNotes: a helper's notes replace x's notes of the
 * same keys; a clt_conn_tag among them tags the client connection, so the
 * connection's later requests start with it.
 */
void annotate_update(struct xact *x, const struct notes *ns);
/* annotate_update with every key=value pair of a helper reply. */
void annotate_from_reply(struct xact *x, const struct helper_reply *r);
/*
 * What Squid's auth schemes keep with a user (or a Negotiate login) from
 * each helper reply: its pairs, group= and tag= accumulating, other keys
 * replaced, and never the secret key (digest's ha1, Negotiate's token;
 * NULL: none).  annotate_update then gives them to each request.
 */
void annotate_user_notes(struct notes *user, const struct helper_reply *r,
    const char *secret);
/* Before the access.log line: the `note` directives whose ACLs match. */
static inline void
annotate_log(struct xact *x)
{
	x->log.notes = &x->notes;
	if (worker_cfg->notes != NULL)
		annotate_log_rules(x);
}

#endif
