/*
 * The Vary secondary key (RFC 9111 4.1): the request's values of the
 * fields a response varies on, normalized so spellings that mean the same
 * give the same key.  Accept-Language and Accept-Encoding are lists of
 * case-insensitive tokens with qvalues, so for them case, whitespace and an
 * explicit q=1 do not make a new variant; for Accept-Encoding neither do
 * member order and duplicates.  Accept-Language keeps its order: RFC 9110
 * 12.5.4 notes that servers read it as a preference among equal qvalues,
 * and RFC 9111 4.1 allows only normalizations with identical semantics.
 * Any other field is only whitespace-normalized, as its syntax is unknown.
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

#include <stdlib.h>		/* qsort */
#include <string.h>

/* More or longer members than this: the field is keyed as an unknown one. */
#define CACHE_RULES_VARY_MEMBERS	32
#define CACHE_RULES_VARY_MEMBER_LEN	64

struct cache_rules_vary_list {
	int	 n;
	char	 m[CACHE_RULES_VARY_MEMBERS][CACHE_RULES_VARY_MEMBER_LEN];
};

/*
 * Append the normalized value: OWS runs become one space, OWS around
 * commas becomes exactly ", ", so list spellings that mean the same key
 * alike.
 */
static void
cache_rules_vary_value(struct cache_rules_out *o, const char *v, size_t len)
{
	size_t i = 0;
	int pending_sp = 0;

	while (i < len) {
		if (cache_rules_is_ows(v[i])) {
			pending_sp = 1;
			i++;
			continue;
		}
		if (v[i] == ',') {
			cache_rules_out_add(o, ", ", 2);
			pending_sp = 0;
			i++;
			while (i < len && cache_rules_is_ows(v[i]))
				i++;
			continue;
		}
		if (pending_sp)
			cache_rules_out_add(o, " ", 1);
		pending_sp = 0;
		cache_rules_out_add(o, v + i, 1);
		i++;
	}
}

/* Append the request's values of the field, joined by ", ". */
static void
cache_rules_vary_joined(struct cache_rules_out *o, const char *name,
    size_t nlen, const struct http_msg *req)
{
	int i, first = 1;

	for (i = 0; i < req->nhdr; i++) {
		const struct http_header *h = &req->hdr[i];

		if (!cache_rules_ieq2(h->name, h->name_len, name, nlen))
			continue;
		if (!first)
			cache_rules_out_add(o, ", ", 2);
		cache_rules_vary_value(o, h->value, h->value_len);
		first = 0;
	}
}

/* Is name a field whose members cache_rules_vary_sorted may normalize? */
static int
cache_rules_vary_sortable(const char *name, size_t nlen)
{
	return cache_rules_ieq2(name, nlen, "Accept-Language", 15) ||
	    cache_rules_ieq2(name, nlen, "Accept-Encoding", 15);
}

/* "1", "1.", "1.0" up to "1.000": the default weight (RFC 9110 12.4.2). */
static int
cache_rules_vary_is_q1(const char *q)
{
	if (q[0] != '1')
		return 0;
	if (q[1] == '\0')
		return 1;
	if (q[1] != '.' || strlen(q + 2) > 3)
		return 0;
	return strspn(q + 2, "0") == strlen(q + 2);
}

/*
 * Add one member to l without whitespace, lowercased, ";q=1" dropped; an
 * empty member is skipped.  -1 when it does not fit.
 */
static int
cache_rules_vary_member(struct cache_rules_vary_list *l, const char *v,
    size_t len)
{
	char *m, *semi;
	size_t i, n = 0;

	if (l->n == CACHE_RULES_VARY_MEMBERS)
		return -1;
	m = l->m[l->n];
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (cache_rules_is_ows(c))
			continue;
		if (n + 1 == CACHE_RULES_VARY_MEMBER_LEN)
			return -1;
		m[n++] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
	}
	m[n] = '\0';
	if ((semi = strrchr(m, ';')) != NULL &&
	    strncmp(semi, ";q=", 3) == 0 && cache_rules_vary_is_q1(semi + 3))
		*semi = '\0';
	if (m[0] != '\0')
		l->n++;
	return 0;
}

static int
cache_rules_vary_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Append the request's values of a sortable field as its normalized
 * members joined by ", ": sorted with duplicates dropped for
 * Accept-Encoding, in the request's order for Accept-Language.  -1
 * (nothing appended) when a member does not fit: then the caller keys the
 * field as an unknown one.
 */
static int
cache_rules_vary_sorted(struct cache_rules_out *o, const char *name,
    size_t nlen, const struct http_msg *req)
{
	struct cache_rules_vary_list list, *l = &list;
	size_t p, s;
	int i, j;

	l->n = 0;
	for (i = 0; i < req->nhdr; i++) {
		const struct http_header *h = &req->hdr[i];

		if (!cache_rules_ieq2(h->name, h->name_len, name, nlen))
			continue;
		for (p = 0; p <= h->value_len; p = s + 1) {
			for (s = p; s < h->value_len && h->value[s] != ','; s++)
				;
			if (cache_rules_vary_member(l, h->value + p,
			    s - p) == -1)
				return -1;
		}
	}
	int sort = cache_rules_ieq2(name, nlen, "Accept-Encoding", 15);
	if (sort)
		qsort(l->m, (size_t)l->n, sizeof(l->m[0]),
		    cache_rules_vary_cmp);
	for (i = 0, j = 0; i < l->n; i++) {
		if (sort && i > 0 && strcmp(l->m[i], l->m[i - 1]) == 0)
			continue;
		if (j++ > 0)
			cache_rules_out_add(o, ", ", 2);
		cache_rules_out_add(o, l->m[i], strlen(l->m[i]));
	}
	return 0;
}

static void
cache_rules_vary_field(struct cache_rules_out *o, const char *name,
    size_t nlen, const struct http_msg *req)
{
	size_t k;
	int i, found = 0;
	char c;

	for (k = 0; k < nlen; k++) {
		c = name[k];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		cache_rules_out_add(o, &c, 1);
	}
	for (i = 0; i < req->nhdr && !found; i++)
		found = cache_rules_ieq2(req->hdr[i].name, req->hdr[i].name_len,
		    name, nlen);
	if (found) {
		cache_rules_out_add(o, "=", 1);
		if (!cache_rules_vary_sortable(name, nlen) ||
		    cache_rules_vary_sorted(o, name, nlen, req) == -1)
			cache_rules_vary_joined(o, name, nlen, req);
	}
	cache_rules_out_add(o, "\n", 1);
}

/* Add the fields of one Vary value; -1 on "*". */
static int
cache_rules_vary_list(struct cache_rules_out *o, const char *v, size_t len,
    const struct http_msg *req)
{
	size_t p = 0, s, e;

	while (p < len) {
		while (p < len && (v[p] == ',' || cache_rules_is_ows(v[p])))
			p++;
		s = p;
		while (p < len && v[p] != ',')
			p++;
		e = p;
		while (e > s && cache_rules_is_ows(v[e - 1]))
			e--;
		if (e == s)
			continue;
		if (e - s == 1 && v[s] == '*')
			return -1;
		cache_rules_vary_field(o, v + s, e - s, req);
	}
	return 0;
}

static int
cache_rules_vary_done(struct cache_rules_out *o, char *buf, size_t size)
{
	if (o->len >= size)
		return -2;
	buf[o->len] = '\0';
	return (int)o->len;
}

int
cache_rules_vary_key_str(const char *vary, size_t vary_len,
    const struct http_msg *req, char *buf, size_t size)
{
	struct cache_rules_out o = { buf, size, 0 };

	if (cache_rules_vary_list(&o, vary, vary_len, req) == -1)
		return -1;
	return cache_rules_vary_done(&o, buf, size);
}

int
cache_rules_vary_key(const struct http_msg *resp, const struct http_msg *req,
    char *buf, size_t size)
{
	struct cache_rules_out o = { buf, size, 0 };
	int i;

	for (i = 0; i < resp->nhdr; i++) {
		const struct http_header *h = &resp->hdr[i];

		if (cache_rules_ieq(h->name, h->name_len, "vary") &&
		    cache_rules_vary_list(&o, h->value, h->value_len,
		    req) == -1)
			return -1;
	}
	return cache_rules_vary_done(&o, buf, size);
}
