/*
 * auth_ips: the source addresses a user was seen at, each remembered for
 * authenticate_ip_ttl after its last request, and the max_user_ip
 * decision on them, as Squid's Auth::User ip_list and ACLMaxUserIP.
 * Addresses compare without the port; IPv4 and IPv4-mapped IPv6 are one.
 */
#ifndef CUTTLE_AUTH_IPS_H
#define CUTTLE_AUTH_IPS_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct auth_ip {
	uint8_t		 addr[16];	/* IPv6, IPv4 mapped */
	time_t		 expires;
};

struct auth_ips {
	struct auth_ip	*v;
	int		 n, cap;
};

/*
 * The user made a request from sa at now: refresh that address or add
 * it, and drop the expired ones on the way (Squid's addIp).  Returns 1 if
 * the address is new.
 */
int auth_ips_add(struct auth_ips *l, const struct sockaddr *sa, time_t now,
    time_t ttl);
/* Drop the addresses expired at now; returns how many are left. */
int auth_ips_expire(struct auth_ips *l, time_t now);
void auth_ips_remove(struct auth_ips *l, const struct sockaddr *sa);
void auth_ips_clear(struct auth_ips *l);
void auth_ips_free(struct auth_ips *l);
/*
 * max_user_ip: 1 (the ACL matches) if more than max addresses are
 * remembered.  Then strict mode forgets sa, the culprit, so the user
 * stays refused from new addresses until the old ones expire; otherwise
 * every address is forgotten, so the user can move machines.
 */
int auth_ips_over(struct auth_ips *l, const struct sockaddr *sa, int max,
    int strict);

#endif
