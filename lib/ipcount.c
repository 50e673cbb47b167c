/*
 * Per-IP counts (see ipcount.h): a chained hash table keyed by the 16-byte
 * IPv6 form of the address, doubling its buckets as it fills.
 */
#include "config.h"
#include "ipcount.h"
#include "util.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IPCOUNT_MIN_BUCKETS	64

struct ipcount_entry {
	unsigned char		 key[16];
	int			 n;
	struct ipcount_entry	*next;
};

struct ipcount {
	struct ipcount_entry	**b;
	size_t			 nb;	/* a power of two */
	size_t			 n;
};

/* The address as 16 bytes (IPv4 as ::ffff:a.b.c.d); -1 if neither family. */
static int
ipcount_key(const struct sockaddr *sa, unsigned char key[16])
{
	if (sa->sa_family == AF_INET) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static size_t
ipcount_hash(const unsigned char key[16])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (int i = 0; i < 16; i++) {
		h ^= key[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

struct ipcount *
ipcount_new(void)
{
	struct ipcount *t = xcalloc(1, sizeof(*t));

	t->nb = IPCOUNT_MIN_BUCKETS;
	t->b = xcalloc(t->nb, sizeof(*t->b));
	return t;
}

void
ipcount_free(struct ipcount *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nb; i++) {
		struct ipcount_entry *e = t->b[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->b);
	free(t);
}

static struct ipcount_entry **
ipcount_find(const struct ipcount *t, const unsigned char key[16])
{
	struct ipcount_entry **p = &t->b[ipcount_hash(key) & (t->nb - 1)];

	while (*p != NULL && memcmp((*p)->key, key, 16) != 0)
		p = &(*p)->next;
	return p;
}

static void
ipcount_grow(struct ipcount *t)
{
	size_t nb = t->nb * 2;
	struct ipcount_entry **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < t->nb; i++) {
		struct ipcount_entry *e = t->b[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			size_t k = ipcount_hash(e->key) & (nb - 1);
			e->next = b[k];
			b[k] = e;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

int
ipcount_get(const struct ipcount *t, const struct sockaddr *sa)
{
	unsigned char key[16];
	struct ipcount_entry **p;

	if (ipcount_key(sa, key) == -1)
		return 0;
	p = ipcount_find(t, key);
	return *p != NULL ? (*p)->n : 0;
}

int
ipcount_add(struct ipcount *t, const struct sockaddr *sa, int delta)
{
	unsigned char key[16];
	struct ipcount_entry **p, *e;
	int n;

	if (ipcount_key(sa, key) == -1)
		return 0;
	p = ipcount_find(t, key);
	if (*p == NULL) {
		if (delta <= 0)
			return 0;
		if (t->n >= t->nb) {
			ipcount_grow(t);
			p = ipcount_find(t, key);
		}
		e = xcalloc(1, sizeof(*e));
		memcpy(e->key, key, 16);
		*p = e;
		t->n++;
	}
	e = *p;
	e->n += delta;
	if ((n = e->n) <= 0) {
		*p = e->next;
		free(e);
		t->n--;
		n = 0;
	}
	return n;
}

size_t
ipcount_size(const struct ipcount *t)
{
	return t->n;
}
