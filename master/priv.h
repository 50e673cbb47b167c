/*
 * The one place that changes identity and capabilities.
 */
#ifndef CUTTLE_PRIV_H
#define CUTTLE_PRIV_H

#include <sys/types.h>

/* Resolve cache_effective_user/group; -1 with a logged error if unknown. */
int priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid);
/*
 * In a kid: become user/group and clear every capability (no-op unless
 * root), but CAP_NET_ADMIN with net_admin (a tproxy port's workers spoof
 * client addresses with IP_TRANSPARENT).
 */
int priv_drop(const char *user, const char *group, int net_admin);
/*
 * In a kid, after priv_drop (a change of identity clears the kernel's
 * parent-death signal): get SIGTERM when the master dies, or now if it
 * already has.
 */
void priv_die_with(pid_t master);
/* The master: keep only what rebinding ports, supervising and log setup need. */
int priv_limit_master(void);

#endif
