/*
 * external_acl: the worker side of external_acl_type (squid-compat.md
 * 7.x, Squid's external_acl.cc).  An "external" ACL answers from the
 * per-type result cache (ttl= for OK, negative_ttl= for ERR, grace= for
 * an early refresh in the background, cache= entries at most); a miss
 * makes http_access wait (ACL_NEED_EXT) while the helper is asked, then
 * the check runs again and uses the answer.  Answers carry user=, tag=,
 * message= (%o in error pages), log= (%ea) into the transaction.
 *
 * In DESIGN.md's data flow: http_access / auth.
 */
#ifndef CUTTLE_EXTERNAL_ACL_H
#define CUTTLE_EXTERNAL_ACL_H

#include "acl.h"

struct cfg;
struct xact;

/* Start a pool per external_acl_type (children-startup= of them). */
void external_acl_init(const struct cfg *cfg);
/* Stop the pools; pending lookups are dropped without callbacks. */
void external_acl_shutdown(void);
/* -N reconfigure: waiting requests are answered (undecided), new pools. */
void external_acl_reload(const struct cfg *cfg);

/*
 * acl_checklist.external: arg is the struct xact.  The slow form may
 * return ACL_NEED_EXT (then external_acl_start); the fast form, for lists
 * that cannot wait, answers from the cache only and no match otherwise.
 */
enum acl_result external_acl_match(void *arg, const struct acl *acl,
    const struct acl_checklist *cl);
enum acl_result external_acl_match_fast(void *arg, const struct acl *acl,
    const struct acl_checklist *cl);
/*
 * Squid's own fast check (header mangling): an answer not in the cache
 * ends the check undecided (ACL_DUNNO), which denies, as Squid's
 * ACLExternal::match marks the checklist finished with ACCESS_DUNNO.
 */
enum acl_result external_acl_match_undecided(void *arg, const struct acl *acl,
    const struct acl_checklist *cl);
/*
 * Ask the helper for what the last ACL_NEED_EXT wanted.  Returns 1 if x
 * waits (cont(x) runs with the answer in place), 0 if it cannot be asked
 * (the answer is then undecided, ACL_DUNNO, for the next check).
 */
int external_acl_start(struct xact *x, void (*cont)(struct xact *));
/* x goes away: stop waiting, free what answers left in it. */
void external_acl_release(struct xact *x);
/* Squid's mgr:external_acl page: each type's cache size and helpers. */
struct buf;
void external_acl_mgr_stats(struct buf *out);
/* message= of the answers so far (%o), or NULL. */
const char *external_acl_message(const struct xact *x);
/* tag= of the answers so far, or NULL. */
const char *external_acl_tag(const struct xact *x);

#endif
