/*
 * Private to the cache rules (lib/cache_rules*.c): the header-value
 * helpers every part of RFC 9111 parsing uses, and the bounded output
 * buffer that the 304 merge and the Vary key are both written into.  The
 * public API stays in cache_rules.h.
 */
#ifndef CUTTLE_CACHE_RULES_INT_H
#define CUTTLE_CACHE_RULES_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cache_rules.h"

struct cache_rules_out {
	char		*buf;
	size_t		 size, len;
};

/* cache_rules_hdr.c */
int cache_rules_ieq(const char *a, size_t alen, const char *b);
int cache_rules_ieq2(const char *a, size_t alen, const char *b, size_t blen);
int cache_rules_is_ows(char c);
int64_t cache_rules_delta(const char *s, size_t len);
time_t cache_rules_header_date(const struct http_msg *m, const char *name);

/* cache_rules_valid.c */
void cache_rules_out_add(struct cache_rules_out *o, const char *s, size_t n);

#endif
