/*
 * Unit tests for lib/ipcount.c, the per-worker count of open client
 * connections per IP behind client_ip_max_connections: counts per address
 * (ports ignored), IPv4 and its IPv4-mapped IPv6 form as one key, IPv6
 * apart, removal at 0, a decrement of an unknown address, and growth past
 * the first bucket array with every count intact.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ipcount.h"
#include "tap.h"

static struct sockaddr_storage
v4(const char *ip, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return ss;
}

static struct sockaddr_storage
v6(const char *ip, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &sin6->sin6_addr);
	return ss;
}

#define SA(ss)	((const struct sockaddr *)&(ss))

int
main(void)
{
	struct ipcount *t = ipcount_new();
	struct sockaddr_storage a1 = v4("127.0.0.1", 1000);
	struct sockaddr_storage a2 = v4("127.0.0.1", 2000);
	struct sockaddr_storage am = v6("::ffff:127.0.0.1", 3000);
	struct sockaddr_storage b = v4("10.0.0.2", 1000);
	struct sockaddr_storage c = v6("::1", 1000);
	struct sockaddr_storage unk;

	is_int(ipcount_get(t, SA(a1)), 0, "empty table counts 0");
	is_int(ipcount_add(t, SA(a1), 1), 1, "first connection");
	is_int(ipcount_add(t, SA(a2), 1), 2, "another port, same address");
	is_int(ipcount_add(t, SA(am), 1), 3, "IPv4-mapped form is the same key");
	is_int(ipcount_get(t, SA(b)), 0, "another IPv4 address apart");
	is_int(ipcount_add(t, SA(c), 1), 1, "IPv6 ::1 apart");
	is_int(ipcount_size(t), 2, "two addresses counted");
	is_int(ipcount_add(t, SA(a1), -1), 2, "a close counts down");
	is_int(ipcount_add(t, SA(a1), -1), 1, "another");
	is_int(ipcount_add(t, SA(a1), -1), 0, "last close: 0");
	is_int(ipcount_size(t), 1, "the entry at 0 is gone");
	is_int(ipcount_add(t, SA(b), -1), 0, "decrement of an unknown address");
	is_int(ipcount_size(t), 1, "... adds nothing");
	memset(&unk, 0, sizeof(unk));
	unk.ss_family = AF_UNIX;
	is_int(ipcount_add(t, SA(unk), 1), 0, "not an IP address: no count");

	/* growth: 1000 addresses, each with i % 3 + 1 connections */
	for (int i = 0; i < 1000; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 256, i % 256);
		struct sockaddr_storage s = v4(ip, 80);
		for (int k = 0; k <= i % 3; k++)
			ipcount_add(t, SA(s), 1);
	}
	is_int(ipcount_size(t), 1001, "1000 more addresses");
	int bad = 0;
	for (int i = 0; i < 1000; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 256, i % 256);
		struct sockaddr_storage s = v4(ip, 80);
		if (ipcount_get(t, SA(s)) != i % 3 + 1)
			bad++;
		while (ipcount_get(t, SA(s)) > 0)
			ipcount_add(t, SA(s), -1);
	}
	is_int(bad, 0, "every count kept across growth");
	is_int(ipcount_size(t), 1, "all removed again");
	is_int(ipcount_get(t, SA(c)), 1, "::1 still 1");
	ipcount_free(t);
	return tap_done();
}
