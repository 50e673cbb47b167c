/*
 * The Vary secondary key (RFC 9111 4.1): the request's values of the
 * fields a response varies on, normalized so spellings that mean the same
 * give the same key.
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

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
	for (i = 0; i < req->nhdr; i++) {
		const struct http_header *h = &req->hdr[i];

		if (!cache_rules_ieq2(h->name, h->name_len, name, nlen))
			continue;
		cache_rules_out_add(o, found ? ", " : "=", found ? 2 : 1);
		cache_rules_vary_value(o, h->value, h->value_len);
		found = 1;
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
