/*
 * HTTP Upgrade through the proxy: which protocols of a client's Upgrade
 * offer http_upgrade_request_protocols lets through, and whether a 101's
 * Upgrade names one of them.  Protocol names compare case-insensitively,
 * versions exactly (see upgrade_rules.c for why this differs from Squid).
 */
#ifndef CUTTLE_UPGRADE_RULES_H
#define CUTTLE_UPGRADE_RULES_H

#include <stddef.h>

struct acl_checklist;
struct buf;
struct cfg_upgrade;
struct http_msg;

/*
 * Append to out the allowed offers of m's Upgrade fields, as the client
 * wrote them, in its order, ", "-separated.  Returns how many; 0 when none
 * is allowed, m has no Upgrade, or a value is not a list of protocols
 * (then the whole offer is dropped, as Squid drops it).
 */
int upgrade_offer_filter(const struct cfg_upgrade *u, const struct http_msg *m,
    const struct acl_checklist *cl, struct buf *out);
/*
 * Is every protocol of a 101's Upgrade value (v, len) one of those in
 * offered (what upgrade_offer_filter made), by name, and is there one?
 */
int upgrade_accepts(const char *offered, size_t olen, const char *v,
    size_t len);

#endif
