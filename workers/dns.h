/*
 * Asynchronous name resolution for a worker: hosts_file entries first, then
 * c-ares against dns_nameservers (or resolv.conf), with positive and negative
 * caching.  Callbacks run from the event loop, never inside dns_resolve().
 */
#ifndef CUTTLE_DNS_H
#define CUTTLE_DNS_H

#include <sys/socket.h>

struct cfg;

#define DNS_MAX_ADDRS 8

struct dns_result {
	int		 naddrs;
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];	/* port 0 */
	const char	*error;		/* NULL on success: "Name not found" ... */
};

typedef void dns_cb(void *arg, const struct dns_result *res);
struct dns_query;

int dns_init(const struct cfg *cfg);
/* A reconfigure under -N: new hosts_file and dns_nameservers. */
void dns_reload(const struct cfg *cfg);
/* Start a lookup; the callback always runs later from the loop. */
struct dns_query *dns_resolve(const char *host, dns_cb *cb, void *arg);
/* The requester went away: the callback will not run. */
void dns_cancel(struct dns_query *q);
/* Reverse name of an address from hosts_file (dstdomain on IP URLs). */
const char *dns_hosts_name(const struct sockaddr *sa);

#endif
