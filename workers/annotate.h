/*
 * annotate: a transaction's annotations (Squid's request notes): what
 * helpers answered (url_rewrite, store_id, external ACLs, auth), the
 * connection's clt_conn_tag, and the `note` directives applied when the
 * transaction is logged.  note ACLs and %note read x->notes.
 */
#ifndef CUTTLE_ANNOTATE_H
#define CUTTLE_ANNOTATE_H

struct helper_reply;
struct notes;
struct xact;

/* A new transaction starts with its connection's notes (clt_conn_tag). */
void annotate_start(struct xact *x);
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
void annotate_log(struct xact *x);

#endif
