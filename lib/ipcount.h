/*
 * A count per client IP address: what Squid 5.7's client_db keeps as a
 * client's n_established (client_db.cc clientdbEstablished), for
 * client_ip_max_connections.  One table per worker, never shared.  Keys
 * are the address alone (no port); an IPv4 address and its IPv4-mapped
 * IPv6 form are one key, as Squid's Ip::Address treats them.  An entry
 * whose count comes back to 0 is removed, so the table holds only clients
 * with open connections.
 */
#ifndef CUTTLE_IPCOUNT_H
#define CUTTLE_IPCOUNT_H

#include <stddef.h>
#include <sys/socket.h>

struct ipcount;

struct ipcount *ipcount_new(void);
void ipcount_free(struct ipcount *t);
/* The count for sa's address (0 when none, or not IPv4/IPv6). */
int ipcount_get(const struct ipcount *t, const struct sockaddr *sa);
/* Add delta (+1 or -1) to sa's count; returns the new count. */
int ipcount_add(struct ipcount *t, const struct sockaddr *sa, int delta);
/* How many addresses have a count. */
size_t ipcount_size(const struct ipcount *t);

#endif
