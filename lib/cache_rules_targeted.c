/*
 * Targeted cache-control fields (RFC 9213), CDN-Cache-Control the usual
 * one: for a cache whose target list names them, the first of those fields
 * present with a valid, non-empty value replaces Cache-Control and Expires
 * for that response's freshness and storability.  The field is a
 * Structured Field Dictionary; one that does not parse is ignored whole
 * and the response falls back to Cache-Control.  The field itself is left
 * in the response: RFC 9213 3 expects a CDN to pass it on to the caches
 * behind it.
 */
#include "config.h"
#include "cache_rules.h"
#include "cache_rules_int.h"

#include <string.h>

#include "sf_dict.h"

struct cache_rules_tcc {
	struct cache_resp_cc cc;
	int		 bad;		/* a known directive had a wrong type */
};

static int
cache_rules_tcc_key(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* max-age and friends: a non-negative Integer, capped like delta-seconds */
static void
cache_rules_tcc_delta(struct cache_rules_tcc *t, int64_t *slot,
    const struct sf_value *v)
{
	if (v->type != SF_INTEGER || v->integer < 0) {
		t->bad = 1;
		return;
	}
	*slot = v->integer > CACHE_RULES_DELTA_MAX ? CACHE_RULES_DELTA_MAX :
	    v->integer;
}

/* no-store and the like: a Boolean; ?0 means absent */
static void
cache_rules_tcc_flag(struct cache_rules_tcc *t, unsigned flag,
    const struct sf_value *v)
{
	if (v->type != SF_BOOLEAN) {
		t->bad = 1;
		return;
	}
	if (v->integer)
		t->cc.flags |= flag;
	else
		t->cc.flags &= ~flag;
}

/* no-cache and private: a Boolean, or a String listing field names */
static void
cache_rules_tcc_qualified(struct cache_rules_tcc *t, unsigned flag,
    unsigned fields_flag, const struct sf_value *v)
{
	if (v->type == SF_STRING)
		t->cc.flags |= flag | fields_flag;
	else
		cache_rules_tcc_flag(t, flag, v);
}

static const struct {
	const char	*name;
	unsigned	 flag;
} cache_rules_tcc_flags[] = {
	{ "no-store", CACHE_RESP_NO_STORE },
	{ "public", CACHE_RESP_PUBLIC },
	{ "must-revalidate", CACHE_RESP_MUST_REVALIDATE },
	{ "proxy-revalidate", CACHE_RESP_PROXY_REVALIDATE },
	{ "must-understand", CACHE_RESP_MUST_UNDERSTAND },
	{ "immutable", CACHE_RESP_IMMUTABLE },
	{ "no-transform", CACHE_RESP_NO_TRANSFORM },
};

static void
cache_rules_tcc_member(void *arg, const char *k, size_t klen,
    const struct sf_value *v)
{
	struct cache_rules_tcc *t = arg;
	size_t i;

	if (cache_rules_tcc_key(k, klen, "max-age"))
		cache_rules_tcc_delta(t, &t->cc.max_age, v);
	else if (cache_rules_tcc_key(k, klen, "s-maxage"))
		cache_rules_tcc_delta(t, &t->cc.s_maxage, v);
	else if (cache_rules_tcc_key(k, klen, "stale-while-revalidate"))
		cache_rules_tcc_delta(t, &t->cc.stale_while_revalidate, v);
	else if (cache_rules_tcc_key(k, klen, "stale-if-error"))
		cache_rules_tcc_delta(t, &t->cc.stale_if_error, v);
	else if (cache_rules_tcc_key(k, klen, "no-cache"))
		cache_rules_tcc_qualified(t, CACHE_RESP_NO_CACHE,
		    CACHE_RESP_NO_CACHE_FIELDS, v);
	else if (cache_rules_tcc_key(k, klen, "private"))
		cache_rules_tcc_qualified(t, CACHE_RESP_PRIVATE,
		    CACHE_RESP_PRIVATE_FIELDS, v);
	else {
		for (i = 0; i < sizeof(cache_rules_tcc_flags) /
		    sizeof(cache_rules_tcc_flags[0]); i++)
			if (cache_rules_tcc_key(k, klen,
			    cache_rules_tcc_flags[i].name))
				cache_rules_tcc_flag(t,
				    cache_rules_tcc_flags[i].flag, v);
		/* extension directives are ignored, as in Cache-Control */
	}
}

/*
 * One field: all its lines, each a Dictionary.  Returns 1 when valid and
 * not empty.  A known directive with a value of the wrong type (max-age
 * as a String) makes the whole field invalid rather than dropping just
 * that directive: the origin's intent is unclear, and Cache-Control is
 * the safer fallback.
 */
static int
cache_rules_tcc_field(const struct http_msg *resp, const char *name,
    struct cache_resp_cc *out)
{
	struct cache_rules_tcc t;
	int i, n, members = 0;

	memset(&t, 0, sizeof(t));
	t.cc.max_age = t.cc.s_maxage = -1;
	t.cc.stale_while_revalidate = t.cc.stale_if_error = -1;
	for (i = 0; i < resp->nhdr; i++) {
		const struct http_header *h = &resp->hdr[i];

		if (!cache_rules_ieq(h->name, h->name_len, name))
			continue;
		n = sf_dict_parse(h->value, h->value_len,
		    cache_rules_tcc_member, &t);
		if (n == -1 || t.bad)
			return 0;
		members += n;
	}
	if (members == 0)
		return 0;
	*out = t.cc;
	return 1;
}

int
cache_rules_targeted_cc(const struct http_msg *resp,
    const struct cfg_str_list *fields, struct cache_resp_cc *cc)
{
	for (; fields != NULL; fields = fields->next)
		if (cache_rules_tcc_field(resp, fields->s, cc))
			return 1;
	return 0;
}

int
cache_rules_meta_targeted(struct cache_meta *m, const struct http_msg *resp,
    const struct cfg_str_list *fields)
{
	struct cache_resp_cc cc;

	if (!cache_rules_targeted_cc(resp, fields, &cc))
		return 0;
	m->max_age = cc.max_age;
	m->s_maxage = cc.s_maxage;
	m->stale_while_revalidate = cc.stale_while_revalidate;
	m->stale_if_error = cc.stale_if_error;
	m->cc_flags = (m->cc_flags & CACHE_META_NEGATIVE) | cc.flags;
	m->expires = -1;
	return 1;
}
