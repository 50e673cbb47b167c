/*
 * auth_ips: a user's recent source addresses (auth_ips.h).  A handful of
 * entries per user, so a plain array searched in full: the walk is also
 * where expired addresses go, as in Squid, so an old entry cannot lock a
 * user out after its ttl.
 */
#include "config.h"
#include "auth_ips.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int
auth_ips_key(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	return -1;
}

static void
auth_ips_drop(struct auth_ips *l, int i)
{
	l->v[i] = l->v[--l->n];
}

int
auth_ips_add(struct auth_ips *l, const struct sockaddr *sa, time_t now,
    time_t ttl)
{
	uint8_t k[16];
	int found = 0;

	if (auth_ips_key(sa, k) == -1)
		return 0;
	for (int i = 0; i < l->n;) {
		if (memcmp(l->v[i].addr, k, 16) == 0) {
			l->v[i].expires = now + ttl;
			found = 1;
		} else if (l->v[i].expires <= now) {
			auth_ips_drop(l, i);
			continue;
		}
		i++;
	}
	if (found)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof(l->v[0]));
	}
	memcpy(l->v[l->n].addr, k, 16);
	l->v[l->n++].expires = now + ttl;
	return 1;
}

int
auth_ips_expire(struct auth_ips *l, time_t now)
{
	for (int i = 0; i < l->n;) {
		if (l->v[i].expires <= now)
			auth_ips_drop(l, i);
		else
			i++;
	}
	return l->n;
}

void
auth_ips_remove(struct auth_ips *l, const struct sockaddr *sa)
{
	uint8_t k[16];

	if (auth_ips_key(sa, k) == -1)
		return;
	for (int i = 0; i < l->n; i++)
		if (memcmp(l->v[i].addr, k, 16) == 0) {
			auth_ips_drop(l, i);
			return;
		}
}

void
auth_ips_clear(struct auth_ips *l)
{
	l->n = 0;
}

void
auth_ips_free(struct auth_ips *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
auth_ips_over(struct auth_ips *l, const struct sockaddr *sa, int max,
    int strict)
{
	if (l->n <= max)
		return 0;
	if (strict)
		auth_ips_remove(l, sa);
	else
		auth_ips_clear(l);
	return 1;
}
