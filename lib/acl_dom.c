/*
 * Domain ACL values (dstdomain, ssl::server_name): names kept reversed and
 * lowercase in one sorted array so a domain and its subdomains sit next to
 * each other; parsing reproduces Squid's warning-or-FATAL rules for
 * overlapping entries, and a match is one binary search per label.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Sort order where '.' comes first, so "moc.a." and "moc.a.x" stay adjacent. */
static int
acl_dom_rank(unsigned char c)
{
	return c == '.' ? 1 : c;
}

static int
acl_dom_cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;
	int d;

	for (i = 0; i < n; i++)
		if ((d = acl_dom_rank(a[i]) - acl_dom_rank(b[i])) != 0)
			return d;
	return alen < blen ? -1 : alen > blen;
}

static int
acl_dom_qcmp(const void *x, const void *y)
{
	const struct acl_dom *a = x, *b = y;
	int d = acl_dom_cmp_key(a->key, a->len, b->key, b->len);

	if (d != 0)
		return d;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The value as the user wrote it, lowercased: un-reverse a key. */
static char *
acl_dom_show(const struct acl_dom *d)
{
	char *s = xmalloc(d->len + 1);
	size_t i;

	for (i = 0; i < d->len; i++)
		s[i] = d->key[d->len - 1 - i];
	s[d->len] = '\0';
	return s;
}

static void
acl_dom_reverse(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[n - 1 - i]);
}

static int
acl_dom_is_wild(const struct acl_dom *d)
{
	return d->len > 0 && d->key[d->len - 1] == '.';
}

static int
acl_dom_find(const struct acl *a, const char *key, size_t len)
{
	int lo = 0, hi = a->ndoms - 1, mid, d;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		d = acl_dom_cmp_key(a->doms[mid].key, a->doms[mid].len, key,
		    len);
		if (d == 0)
			return 1;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

/* Index of the first entry not below key. */
static int
acl_dom_lower(const struct acl *a, const char *key, size_t len)
{
	int lo = 0, hi = a->ndoms, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (acl_dom_cmp_key(a->doms[mid].key, a->doms[mid].len, key,
		    len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *
acl_dom_overlap(const struct acl *a, const char *sub, const char *dom,
    int fatal)
{
	return xasprintf("'%s' is a subdomain of '%s'; you %s remove '%s' from "
	    "the ACL named '%s'", sub, dom, fatal ? "need to" : "should", sub,
	    a->name);
}

/*
 * Add one value to a large sorted array without a full merge: the same
 * rules as acl_dom_add, checked with binary searches around the new key.
 */
static char *
acl_dom_insert(struct acl *a, struct acl_dom *e, struct acl_msgs *w)
{
	char *s1, *s2, *err = NULL;
	size_t i;
	int pos, found, wild = acl_dom_is_wild(e);
	struct acl_dom other;

	s1 = acl_dom_show(e);
	if (acl_dom_find(a, e->key, e->len))
		goto drop;		/* exact duplicate */
	/* "example.com" with ".example.com", in either order, is FATAL. */
	other.key = e->key;
	other.len = wild ? e->len - 1 : e->len + 1;
	if (!wild)
		e->key[e->len] = '.';	/* acl_dom_add left room for it */
	found = other.len > 0 && acl_dom_find(a, other.key, other.len);
	s2 = found ? acl_dom_show(&other) : NULL;
	e->key[e->len] = '\0';
	if (found) {
		err = wild ? acl_dom_overlap(a, s1, s2, 1) :
		    acl_dom_overlap(a, s2, s1, 1);
		free(s2);
		goto drop;
	}
	/* Under an older ".domain": dropped with a warning. */
	for (i = 0; i + 1 < e->len; i++)
		if (e->key[i] == '.' && acl_dom_find(a, e->key, i + 1)) {
			other.len = i + 1;
			s2 = acl_dom_show(&other);
			err = acl_dom_overlap(a, s1, s2, 0);
			acl_warn(w, "%s", err);
			free(err);
			free(s2);
			err = NULL;
			goto drop;
		}
	pos = acl_dom_lower(a, e->key, e->len);
	if (wild && pos < a->ndoms && a->doms[pos].len > e->len &&
	    memcmp(a->doms[pos].key, e->key, e->len) == 0) {
		s2 = acl_dom_show(&a->doms[pos]);
		err = acl_dom_overlap(a, s2, s1, 1);
		free(s2);
		goto drop;
	}
	a->doms = acl_grow(a->doms, &a->doms_cap, a->ndoms + 1,
	    sizeof(*a->doms));
	memmove(&a->doms[pos + 1], &a->doms[pos], (size_t)(a->ndoms - pos) *
	    sizeof(*a->doms));
	a->doms[pos] = *e;
	a->ndoms++;
	free(s1);
	return NULL;
drop:
	free(s1);
	free(e->key);
	return err;
}

/*
 * Merge the values of one line into the sorted array and apply Squid's
 * overlap rules: a subdomain added after its covering ".domain" is dropped
 * with a warning; a ".domain" added after one of its subdomains, or
 * "example.com" together with ".example.com", is an error.
 */
char *
acl_dom_add(struct acl *a, char **vals, int n, struct acl_msgs *w)
{
	struct acl_dom *nw, *all;
	int i, j, k, total, cover = -1;
	char *err = NULL, *s1, *s2;

	if (n == 0)
		return NULL;
	nw = xcalloc((size_t)n, sizeof(*nw));
	for (i = 0; i < n; i++) {
		size_t len = strlen(vals[i]);

		nw[i].key = xmalloc(len + 2);
		acl_dom_reverse(nw[i].key, vals[i], len);
		nw[i].key[len] = '\0';
		nw[i].len = len;
		nw[i].seq = a->dom_seq++;
	}
	if ((long)n * 64 < a->ndoms) {
		/* A few values into a big list: binary searches, no merge. */
		for (i = 0; i < n; i++) {
			char *e = acl_dom_insert(a, &nw[i], w);

			if (e != NULL && err == NULL)
				err = e;
			else
				free(e);
		}
		free(nw);
		return err;
	}
	qsort(nw, (size_t)n, sizeof(*nw), acl_dom_qcmp);

	total = a->ndoms + n;
	all = xmalloc((size_t)total * sizeof(*all));
	for (i = j = k = 0; i < a->ndoms || j < n; ) {
		if (j >= n || (i < a->ndoms &&
		    acl_dom_qcmp(&a->doms[i], &nw[j]) <= 0))
			all[k++] = a->doms[i++];
		else
			all[k++] = nw[j++];
	}
	free(nw);
	free(a->doms);

	for (i = 0; i < total; i++) {
		struct acl_dom *e = &all[i];

		if (i > 0 && all[i - 1].len == e->len &&
		    memcmp(all[i - 1].key, e->key, e->len) == 0) {
			e->dead = 1;	/* exact duplicate: harmless */
			continue;
		}
		if (acl_dom_is_wild(e) && i > 0 && all[i - 1].len + 1 ==
		    e->len && memcmp(all[i - 1].key, e->key, e->len - 1) == 0) {
			if (err == NULL) {
				s1 = acl_dom_show(e);
				s2 = acl_dom_show(&all[i - 1]);
				err = acl_dom_overlap(a, s1, s2, 1);
				free(s1);
				free(s2);
			}
		} else if (cover >= 0 && e->len > all[cover].len &&
		    memcmp(e->key, all[cover].key, all[cover].len) == 0) {
			s1 = acl_dom_show(e);
			s2 = acl_dom_show(&all[cover]);
			if (all[cover].seq < e->seq) {
				char *m = acl_dom_overlap(a, s1, s2, 0);

				acl_warn(w, "%s", m);
				free(m);
				e->dead = 1;
			} else if (err == NULL)
				err = acl_dom_overlap(a, s1, s2, 1);
			free(s1);
			free(s2);
			continue;
		}
		if (acl_dom_is_wild(e))
			cover = i;
	}
	for (i = k = 0; i < total; i++) {
		if (all[i].dead)
			free(all[i].key);
		else
			all[k++] = all[i];
	}
	a->doms = all;
	a->ndoms = k;
	a->doms_cap = total;
	return err;
}

/* Does name equal a listed domain, or sit under a listed ".domain"? */
int
acl_dom_match(const struct acl *a, const char *name)
{
	char sbuf[300], *buf;
	size_t n, i;
	int hit = 0;

	if (name == NULL || a->ndoms == 0)
		return 0;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')	/* absolute form "host." */
		n--;
	if (n == 0)
		return 0;
	buf = n + 2 <= sizeof(sbuf) ? sbuf : xmalloc(n + 2);
	acl_dom_reverse(buf, name, n);
	buf[n] = '.';
	if (acl_dom_find(a, buf, n) || acl_dom_find(a, buf, n + 1))
		hit = 1;
	for (i = 0; !hit && i < n; i++)
		if (buf[i] == '.' && acl_dom_find(a, buf, i + 1))
			hit = 1;
	if (buf != sbuf)
		free(buf);
	return hit;
}
