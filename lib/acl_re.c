/*
 * Regex ACL values (url_regex, dstdom_regex, req_header, ...): patterns
 * are compiled once and, where that cannot change what they match, joined
 * into groups of alternations so a match runs few regexec calls; header
 * ACLs match every instance of the header joined as Squid joins them.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"
#include "util.h"

/*
 * Can p be wrapped as "(p)" and joined with "|" without changing what it
 * matches?  Balanced groups and no back-references are enough.
 */
static int
acl_re_joinable(const char *p)
{
	int depth = 0;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || (p[1] >= '1' && p[1] <= '9'))
				return 0;
			p++;
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			for (; *p != ']'; p++) {
				if (*p == '\0')
					return 0;
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					char end = p[1];

					for (p += 2; !(p[0] == end &&
					    p[1] == ']'); p++)
						if (*p == '\0')
							return 0;
					p++;
				}
			}
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return 0;
	}
	return depth == 0;
}

static regex_t *
acl_re_slot(struct acl_regexes *rx)
{
	rx->re = acl_grow(rx->re, &rx->cap, rx->n + 1, sizeof(*rx->re));
	return &rx->re[rx->n];
}

static int
acl_re_compile_one(struct acl_regexes *rx, const char *p, int icase,
    struct acl_msgs *w)
{
	char ebuf[128];
	int rc;

	rc = regcomp(acl_re_slot(rx), p, REG_EXTENDED | REG_NOSUB |
	    (icase ? REG_ICASE : 0));
	if (rc != 0) {
		regerror(rc, &rx->re[rx->n], ebuf, sizeof(ebuf));
		regfree(&rx->re[rx->n]);
		acl_warn(w, "invalid regular expression: '%s': %s; skipping "
		    "it", p, ebuf);
		return -1;
	}
	rx->n++;
	return 0;
}

#define ACL_RE_GROUP	32		/* patterns per joined regex */
#define ACL_RE_GROUP_LEN 4096

/*
 * Compile one line's patterns.  Runs of joinable patterns with the same case
 * flag become one regex_t "(a)|(b)|...", so a long url_regex list costs a
 * few regexec calls per request; a pattern that fails alone is skipped with
 * Squid's warning.
 */
void
acl_re_add(struct acl_regexes *rx, char **pats, const int *icase, int n,
    struct acl_msgs *w)
{
	int i, j, k, ok, valid[ACL_RE_GROUP];
	size_t len;
	char *joined;
	regex_t probe;

	for (i = 0; i < n; ) {
		if (!acl_re_joinable(pats[i])) {
			acl_re_compile_one(rx, pats[i], icase[i], w);
			i++;
			continue;
		}
		/* Gather joinable patterns with this case flag. */
		len = 0;
		for (j = i; j < n && j - i < ACL_RE_GROUP &&
		    icase[j] == icase[i] && acl_re_joinable(pats[j]) &&
		    len + strlen(pats[j]) + 3 < ACL_RE_GROUP_LEN; j++)
			len += strlen(pats[j]) + 3;
		if (j - i <= 1) {	/* alone, or too long to join */
			acl_re_compile_one(rx, pats[i], icase[i], w);
			i++;
			continue;
		}
		joined = xmalloc(len + 1);
		joined[0] = '\0';
		ok = 0;
		for (k = i; k < j; k++) {
			/* An invalid member is reported once and left out. */
			valid[k - i] = regcomp(&probe, pats[k], REG_EXTENDED |
			    REG_NOSUB) == 0;
			if (!valid[k - i]) {
				acl_re_compile_one(rx, pats[k], icase[k], w);
				continue;
			}
			regfree(&probe);
			if (ok++)
				strcat(joined, "|");
			strcat(joined, "(");
			strcat(joined, pats[k]);
			strcat(joined, ")");
		}
		if (ok > 0 && regcomp(acl_re_slot(rx), joined, REG_EXTENDED |
		    REG_NOSUB | (icase[i] ? REG_ICASE : 0)) == 0)
			rx->n++;
		else if (ok > 0)
			for (k = i; k < j; k++)	/* join failed: one by one */
				if (valid[k - i])
					acl_re_compile_one(rx, pats[k],
					    icase[k], w);
		free(joined);
		i = j;
	}
}

int
acl_re_match(const struct acl_regexes *rx, const char *s)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < rx->n; i++)
		if (regexec(&rx->re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

void
acl_re_free(struct acl_regexes *rx)
{
	int i;

	for (i = 0; i < rx->n; i++)
		regfree(&rx->re[i]);
	free(rx->re);
	rx->re = NULL;
	rx->n = rx->cap = 0;
}

/*
 * Every instance of header name in m, joined with ", " as Squid does; a
 * missing header matches nothing, or is "" when absent_is_empty (Squid's
 * req_mime_type and rep_mime_type).
 */
int
acl_hdr_regex(const struct http_msg *m, const char *name,
    const struct acl_regexes *rx, int absent_is_empty)
{
	char sbuf[1024], *buf = sbuf;
	size_t cap = sizeof(sbuf), len = 0, nl = strlen(name), need;
	int i, found = 0, hit;

	if (m == NULL)
		return 0;
	for (i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];

		if (h->name_len != nl || strncasecmp(h->name, name, nl) != 0)
			continue;
		need = len + (found ? 2 : 0) + h->value_len + 1;
		if (need > cap) {
			char *nb;

			while (cap < need)
				cap *= 2;
			nb = buf == sbuf ? xmalloc(cap) : xrealloc(buf, cap);
			if (buf == sbuf)
				memcpy(nb, sbuf, len);
			buf = nb;
		}
		if (found) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, h->value, h->value_len);
		len += h->value_len;
		found = 1;
	}
	buf[len] = '\0';
	hit = (found || absent_is_empty) && acl_re_match(rx, buf);
	if (buf != sbuf)
		free(buf);
	return hit;
}
