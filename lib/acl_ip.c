/*
 * Address ACL values (src, dst): IPv4 and IPv6 addresses, CIDR and dotted
 * masks and ranges, and host names resolved at parse time as Squid does,
 * all kept as 128-bit integer ranges (IPv4 mapped into ::ffff:0:0/96) so a
 * match is a few integer compares.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void
acl_ip_from_sa(const struct sockaddr *sa, uint64_t *h, uint64_t *l, int *ok)
{
	const unsigned char *b;
	int i;

	*ok = 1;
	*h = *l = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		*l = 0xffff00000000ULL | ntohl(s4->sin_addr.s_addr);
	} else if (sa->sa_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		for (i = 0; i < 8; i++)
			*h = *h << 8 | b[i];
		for (i = 8; i < 16; i++)
			*l = *l << 8 | b[i];
	} else
		*ok = 0;
}

/* Parse an IP literal (v4 or v6, brackets allowed); family 4 or 6, 0 if not one. */
int
acl_ip_literal(const char *s, uint64_t *h, uint64_t *l)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	int i;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*h = 0;
		*l = 0xffff00000000ULL | ntohl(a4.s_addr);
		return 4;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		*h = *l = 0;
		for (i = 0; i < 8; i++)
			*h = *h << 8 | a6.s6_addr[i];
		for (i = 8; i < 16; i++)
			*l = *l << 8 | a6.s6_addr[i];
		/* A v4-mapped literal is an IPv4 address, as for clients. */
		if (*h == 0 && (*l >> 32) == 0xffff)
			return 4;
		return 6;
	}
	return 0;
}

static void
acl_prefix_mask(int bits, uint64_t *h, uint64_t *l)
{
	*h = bits >= 64 ? ~0ULL : bits <= 0 ? 0 : ~0ULL << (64 - bits);
	bits -= 64;
	*l = bits >= 64 ? ~0ULL : bits <= 0 ? 0 : ~0ULL << (64 - bits);
}

static int
acl_ip_le(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
	return ah < bh || (ah == bh && al <= bl);
}

static void
acl_ip_add(struct acl *a, uint64_t lo_h, uint64_t lo_l, uint64_t hi_h,
    uint64_t hi_l, uint64_t mh, uint64_t ml)
{
	struct acl_ip *e;

	a->ips = acl_grow(a->ips, &a->ips_cap, a->nips + 1, sizeof(*a->ips));
	e = &a->ips[a->nips++];
	e->lo_h = lo_h;
	e->lo_l = lo_l;
	e->hi_h = hi_h;
	e->hi_l = hi_l;
	e->mask_h = mh;
	e->mask_l = ml;
}

/*
 * The mask of a value for one family: bits < 0 means none (a host), dotted
 * masks exist for IPv4 only.  Returns -1 when the mask does not fit.
 */
static int
acl_ip_mask(int fam, int bits, int dotted, uint32_t m4, uint64_t *mh,
    uint64_t *ml)
{
	if (dotted) {
		if (fam != 4)
			return -1;
		*mh = ~0ULL;
		*ml = 0xffffffff00000000ULL | m4;
		return 0;
	}
	if (bits < 0)
		bits = fam == 4 ? 32 : 128;
	if (bits > (fam == 4 ? 32 : 128))
		return -1;
	acl_prefix_mask(fam == 4 ? 96 + bits : bits, mh, ml);
	return 0;
}

/* One src/dst value: IP[/mask], A-B[/mask], all, or a host name to resolve. */
char *
acl_ip_parse(struct acl *a, const char *val, struct acl_msgs *w)
{
	char buf[512], *slash, *dash, *mask = NULL;
	uint64_t h1, l1, h2, l2, mh, ml;
	int f1, f2 = 0, bits = -1, dotted = 0, rc;
	uint32_t m4 = 0;
	struct in_addr in4;
	struct addrinfo hints, *res, *ai;

	if (strcmp(val, "all") == 0) {
		acl_ip_add(a, 0, 0, 0, 0, 0, 0);
		return NULL;
	}
	if (strlen(val) >= sizeof(buf))
		return xasprintf("Bad host/IP: '%s'", val);
	strcpy(buf, val);
	if ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		mask = slash + 1;
		if (mask[0] != '\0' && strlen(mask) <= 3 &&
		    strspn(mask, "0123456789") == strlen(mask))
			bits = atoi(mask);
		else if (inet_pton(AF_INET, mask, &in4) == 1) {
			dotted = 1;
			m4 = ntohl(in4.s_addr);
		} else
			return xasprintf("unknown netmask '%s' in '%s'", mask,
			    val);
	}
	f1 = acl_ip_literal(buf, &h1, &l1);
	h2 = h1;
	l2 = l1;
	if (f1 == 0 && (dash = strchr(buf, '-')) != NULL) {
		*dash = '\0';
		f1 = acl_ip_literal(buf, &h1, &l1);
		f2 = acl_ip_literal(dash + 1, &h2, &l2);
		if (f1 == 0 || f2 == 0) {
			*dash = '-';	/* a host name with a dash */
			f1 = f2 = 0;
		} else if (f1 != f2)
			return xasprintf("Bad IP range '%s': mixed address "
			    "families", val);
	}

	if (f1 != 0) {
		if (acl_ip_mask(f1, bits, dotted, m4, &mh, &ml) == -1)
			return xasprintf("unknown netmask '%s' in '%s'", mask,
			    val);
		if (f1 == 4 && f2 == 0 && mask != NULL && mh == ~0ULL &&
		    ml == 0xffffffff00000000ULL) {
			/* Squid: 0.0.0.0/0 means "all", IPv6 included. */
			acl_warn(w, "'%s' needs to be replaced by the term "
			    "'all'", val);
			acl_ip_add(a, 0, 0, 0, 0, 0, 0);
			return NULL;
		}
		if (f2 == 0) {
			h1 = h2 = h1 & mh;
			l1 = l2 = l1 & ml;
		}
		acl_ip_add(a, h1, l1, h2, l2, mh, ml);
		return NULL;
	}

	/* A host name: Squid resolves it once, at configuration time. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(buf, NULL, &hints, &res)) != 0)
		return xasprintf("Bad host/IP: '%s' in '%s': %s", buf, val,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int ok;

		acl_ip_from_sa(ai->ai_addr, &h1, &l1, &ok);
		f1 = (h1 == 0 && (l1 >> 32) == 0xffff) ? 4 : 6;
		if (!ok || acl_ip_mask(f1, bits, dotted, m4, &mh, &ml) == -1)
			continue;
		acl_ip_add(a, h1 & mh, l1 & ml, h1 & mh, l1 & ml, mh, ml);
	}
	freeaddrinfo(res);
	return NULL;
}

int
acl_ip_match(const struct acl *a, uint64_t h, uint64_t l)
{
	const struct acl_ip *e;
	uint64_t mh, ml;
	int i;

	for (i = 0; i < a->nips; i++) {
		e = &a->ips[i];
		mh = h & e->mask_h;
		ml = l & e->mask_l;
		if (acl_ip_le(e->lo_h, e->lo_l, mh, ml) &&
		    acl_ip_le(mh, ml, e->hi_h, e->hi_l))
			return 1;
	}
	return 0;
}

int
acl_ip_match_sa(const struct acl *a, const struct sockaddr *sa)
{
	uint64_t h, l;
	int ok;

	if (sa == NULL)
		return 0;
	acl_ip_from_sa(sa, &h, &l, &ok);
	return ok && acl_ip_match(a, h, l);
}

int
acl_is_ip_host(const char *host)
{
	uint64_t h, l;

	return host != NULL && acl_ip_literal(host, &h, &l) != 0;
}
