/*
 * auth_share: Basic credentials checked by one worker, trusted by all.
 * One MAP_SHARED|MAP_ANONYMOUS table made by the master before it forks
 * (heritage.auth_share), so a user the helper accepted on one worker is
 * not checked again when the next connection lands on another.  An entry
 * is keyed by scheme and user name and holds a salted SHA-256 of the
 * password (never the password), and when the helper accepted it.  The
 * table has a fixed number of slots: a full neighbourhood evicts its
 * oldest entry.  A process-shared robust mutex guards it; a kid that dies
 * holding it leaves the table cleared (it is only a cache).
 */
#ifndef CUTTLE_AUTH_SHARE_H
#define CUTTLE_AUTH_SHARE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct auth_share;

/* Longest user name that is shared; longer ones stay per worker. */
#define AUTH_SHARE_USER_MAX	255

/* A table of nslots entries (rounded up to a power of two); NULL on error. */
struct auth_share *auth_share_create(unsigned nslots);
void auth_share_destroy(struct auth_share *s);

/*
 * When did the helper accept this scheme/user/secret?  Returns 1 and sets
 * *checked (monotonic seconds) if an entry for exactly these credentials
 * is present, else 0.  The caller decides whether *checked is recent
 * enough (credentialsttl).
 */
int auth_share_lookup(struct auth_share *s, const char *scheme,
    const char *user, const char *secret, time_t *checked);
/* The helper accepted scheme/user/secret at `checked`. */
void auth_share_store(struct auth_share *s, const char *scheme,
    const char *user, const char *secret, time_t checked);
/* The helper refused them: forget an entry holding exactly these. */
void auth_share_forget(struct auth_share *s, const char *scheme,
    const char *user, const char *secret);
/* Drop entries accepted at or before cutoff (authenticate_ttl GC). */
int auth_share_expire(struct auth_share *s, time_t cutoff);
/*
 * The master, at start and on each reconfigure: fingerprint is a hash of
 * what decides a helper's answer (auth_param basic program, casesensitive,
 * utf8, key_extras).  A change clears the table; the same keeps it.
 * Returns 1 if it cleared.
 */
int auth_share_configure(struct auth_share *s, uint64_t fingerprint);
struct cfg_auth_basic;
/* The fingerprint of what decides the basic helper's answers. */
uint64_t auth_share_fingerprint(const struct cfg_auth_basic *b);
/* Bytes of the mapping, from s itself (tests). */
size_t auth_share_size(const struct auth_share *s);
/* Entries in use (tests, statistics). */
unsigned auth_share_count(struct auth_share *s);
/*
 * The lock every call above takes; exposed so that a test can die holding
 * it and show the next caller recovers.
 */
void auth_share_lock(struct auth_share *s);
void auth_share_unlock(struct auth_share *s);

#endif
