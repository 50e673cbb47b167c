/*
 * The hashes Squid 5.7 picks a parent with (carp.cc, peer_sourcehash.cc,
 * peer_userhash.cc): a 32-bit hash of each peer's name, one of the key (the
 * URL, the client address or the user name), their combination, and the
 * load multipliers CARP derives from the peers' weight= values.  Computed
 * exactly as Squid does, so that a cuttle and a Squid in front of the same
 * parents send the same URL to the same parent.
 */
#ifndef CUTTLE_PEER_HASH_H
#define CUTTLE_PEER_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Fold len bytes of s into h (bytes taken as signed char, as Squid's). */
uint32_t peer_hash_add(uint32_t h, const char *s, size_t len);
/* A peer's own hash: of its name= (the host when none). */
uint32_t peer_hash_name(const char *name);
/* The key's hash combined with a peer's: the score before weighting. */
uint32_t peer_hash_combine(uint32_t key, uint32_t peer);
/*
 * The load multipliers of n peers whose weights are given in ascending
 * order (Squid sorts them so, keeping equal weights in file order).
 */
void peer_hash_multipliers(const int *weight, int n, double *mult);

#endif
