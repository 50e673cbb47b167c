/*
 * helper_pool: the worker side of Squid's helper protocol, one mechanism
 * for every kind of helper (url_rewrite, auth, certgen).  A pool starts
 * its children as `children N startup= idle= concurrency= queue-size=`
 * says, queues requests, tags them with channel IDs when concurrency > 0,
 * frames and parses replies, retries BH, times requests out (with
 * channel IDs), replaces children that exit and calls back once per
 * request unless the request was cancelled.
 */
#ifndef CUTTLE_HELPER_POOL_H
#define CUTTLE_HELPER_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "helper_reply.h"

struct cfg_helper_children;
struct helper_pool;
struct helper_req;

/*
 * Called once per request with the final reply (after BH retries).  notes
 * is every try's notes as Squid logs them ("message: x; "), never NULL.
 * A child that died or a pool that stopped gives result HELPER_UNKNOWN
 * with an empty line.
 */
typedef void helper_cb(void *arg, const struct helper_reply *r,
    const char *notes);

/*
 * Framing hook: the bytes the first complete reply in buf takes (0: not
 * yet) and its message length in *msg_len; HELPER_FRAME_BROKEN when the
 * bytes break the protocol (the child is then replaced and what it was
 * answering fails).  helper_frame_line by default.
 */
typedef size_t helper_frame_fn(const char *buf, size_t len, size_t *msg_len);

/* How a pool talks to its children. */
struct helper_framing {
	helper_frame_fn	*frame;
	unsigned	 flags;		/* HELPER_NO_IDS, _SECRET, _STATEFUL */
};
/* one request at a time per child, never a channel ID (concurrency= ignored) */
#define HELPER_NO_IDS	0x01
/* requests carry private keys: never logged, wiped when freed */
#define HELPER_SECRET	0x02
/* stateful helpers (Negotiate): a BH is final, never retried elsewhere */
#define HELPER_STATEFUL	0x04

/*
 * The sslcrtd protocol (squid-compat.md 8.2): requests are "code length
 * body" and a newline, replies end at byte 0x01 (helper_frame_certgen),
 * no channel IDs, and requests hold the signing key.
 */
extern const struct helper_framing helper_framing_certgen;

/*
 * name is Squid's id_name for logs ("redirector"); argv the program line
 * (argv[0] is looked up in PATH; the child sees "(basename)" as argv[0]).
 * framing NULL means lines, channel IDs with concurrency=.  Starts the
 * startup= children now.
 */
struct helper_pool *helper_pool_start(const char *name, char *const *argv,
    const struct cfg_helper_children *ch, const struct helper_framing *framing);
/*
 * Stop: children get EOF on stdin.  With notify, pending requests are
 * answered HELPER_UNKNOWN first; without, their callbacks never run.
 */
void helper_pool_stop(struct helper_pool *p, int notify);
/*
 * Queue one request: msg is its text with its terminator ("URL ...\n");
 * the pool prefixes "ID " when concurrency > 0.  The callback never runs
 * before this returns.  Returns NULL if the pool cannot serve (it stopped
 * respawning children that crash too rapidly).
 */
struct helper_req *helper_submit(struct helper_pool *p, const char *msg,
    size_t len, helper_cb *cb, void *arg);
/*
 * Stateful helpers (Squid's reserved server: a Negotiate or NTLM
 * handshake).  Called inside a callback, helper_hold_answering keeps the
 * child that answered out of the pool's rotation until helper_release;
 * helper_submit_held sends the next leg to it (NULL when that child is gone
 * or busy) and a BH from it is final, never retried on another child.
 */
struct helper_hold;
struct helper_hold *helper_hold_answering(void);
struct helper_req *helper_submit_held(struct helper_hold *h, const char *msg,
    size_t len, helper_cb *cb, void *arg);
void helper_release(struct helper_hold *h);
/*
 * Give up on a request its child has not answered within ms (0: never):
 * resend it, twice at most, if retry is set, then answer it with reply
 * (a line parsed as the child's reply) or, if reply is NULL, with result
 * HELPER_TIMEDOUT.  The child is not killed; its late reply is dropped.
 * As in Squid 5.7 only a pool with concurrency > 0 times requests out:
 * without channel IDs a late reply could not be told from the next one.
 */
void helper_pool_set_timeout(struct helper_pool *p, uint64_t ms, int retry,
    const char *reply);
/* The requester went away: its callback will not run. */
void helper_cancel(struct helper_req *r);
/*
 * One more request would overload the pool (url_rewrite_bypass,
 * store_id_bypass): queue-size wait already and every child is busy.
 */
int helper_pool_overloaded(const struct helper_pool *p);
/*
 * A count bumped by every change any pool's statistics would show
 * (requests, replies, queue, children, their flags and offsets): the
 * cache manager republishes its pages when it moves.
 */
uint64_t helper_pool_changes(void);
/*
 * Append the pool's statistics as Squid's cache manager prints them
 * (helper_stats.c), after a "label:" line unless label is NULL.
 */
struct buf;
void helper_pool_stats(const struct helper_pool *p, struct buf *out,
    const char *label);

#endif
