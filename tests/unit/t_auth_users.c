/*
 * The per-user source addresses behind max_user_ip and
 * authenticate_ip_ttl (lib/auth_ips.c): refresh, expiry on the walk, and
 * the strict and non-strict resets of Squid's ACLMaxUserIP.
 */
#include "config.h"

#include <string.h>

#include "auth_ips.h"
#include "tap.h"
#include "util.h"

static const struct sockaddr *
sa(struct sockaddr_storage *ss, const char *ip, int port)
{
	socklen_t len;

	if (util_addr_parse(ip, port, ss, &len) != 0)
		memset(ss, 0, sizeof(*ss));
	return (const struct sockaddr *)ss;
}

int
main(void)
{
	struct auth_ips l = { 0 };
	struct sockaddr_storage a, b, c;

	is_int(auth_ips_add(&l, sa(&a, "127.0.0.1", 1000), 100, 10), 1,
	    "a new address");
	is_int(auth_ips_add(&l, sa(&a, "127.0.0.1", 2000), 101, 10), 0,
	    "the same address from another port is not new");
	is_int(l.n, 1, "one address");
	is_int(auth_ips_add(&l, sa(&a, "::ffff:127.0.0.1", 3), 102, 10), 0,
	    "IPv4-mapped IPv6 is the same address");
	is_int(auth_ips_add(&l, sa(&b, "127.0.0.2", 1), 103, 10), 1, "second");
	is_int(auth_ips_over(&l, sa(&b, "127.0.0.2", 1), 2, 0), 0,
	    "2 addresses, max 2: no match");
	is_int(l.n, 2, "nothing forgotten");
	is_int(auth_ips_over(&l, sa(&b, "127.0.0.2", 1), 1, 1), 1,
	    "2 addresses, max 1: match");
	is_int(l.n, 1, "strict: the culprit is forgotten");
	is_int(auth_ips_add(&l, sa(&a, "127.0.0.1", 1), 104, 10), 0,
	    "the first one is still known");
	auth_ips_add(&l, sa(&b, "127.0.0.2", 1), 104, 10);
	auth_ips_add(&l, sa(&c, "2001:db8::1", 1), 104, 10);
	is_int(l.n, 3, "three addresses");
	is_int(auth_ips_over(&l, sa(&c, "2001:db8::1", 1), 2, 0), 1,
	    "3 addresses, max 2: match");
	is_int(l.n, 0, "non-strict: all forgotten, the user may move");

	/* authenticate_ip_ttl: counted from the last request per address */
	auth_ips_add(&l, sa(&a, "127.0.0.1", 1), 200, 10);
	auth_ips_add(&l, sa(&b, "127.0.0.2", 1), 205, 10);
	auth_ips_add(&l, sa(&a, "127.0.0.1", 1), 209, 10);	/* refresh */
	is_int(auth_ips_add(&l, sa(&c, "10.0.0.1", 1), 215, 10), 1,
	    "a third address at 215");
	is_int(l.n, 2, "127.0.0.2 (seen at 205, ttl 10) expired on the way");
	is_int(auth_ips_add(&l, sa(&c, "10.0.0.1", 1), 219, 10), 0,
	    "refreshed");
	is_int(l.n, 1, "127.0.0.1 (refreshed at 209) expired at 219");
	is_int(auth_ips_expire(&l, 228), 1, "expire: 10.0.0.1 lives to 229");
	is_int(auth_ips_expire(&l, 229), 0, "and is gone at 229");
	auth_ips_add(&l, sa(&c, "10.0.0.1", 1), 230, 10);
	auth_ips_remove(&l, sa(&a, "192.0.2.1", 1));
	is_int(l.n, 1, "removing an unknown address changes nothing");
	auth_ips_clear(&l);
	is_int(l.n, 0, "clear");
	auth_ips_free(&l);
	ok(l.v == NULL && l.cap == 0, "freed");
	return tap_done();
}
