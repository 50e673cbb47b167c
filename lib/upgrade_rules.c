/*
 * The http_upgrade_request_protocols rules, as Squid 5.7 applies them to
 * each protocol P[/V] a client offers: the lines naming P are the rules of
 * P (a line naming P/W with W not V does not apply, but still makes them
 * P's rules); only when no line names P do the OTHER lines decide.  The
 * first applicable line whose ACLs all match allows or denies; when none
 * matches, the offer is dropped.
 *
 * One deliberate difference: Squid compares protocol names exactly, so its
 * own documented "WebSocket" never matches the "websocket" browsers and
 * libraries send (RFC 6455 registers the token case-insensitively).  Here
 * names compare case-insensitively; versions and the word OTHER as Squid.
 */
#include "config.h"
#include "upgrade_rules.h"
#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "http_parse.h"
#include "util.h"

#include <string.h>
#include <strings.h>

/* One list member: its bounds and where its /version starts. */
struct upgrade_proto {
	const char	*p;
	size_t		 len, name_len;
};

/*
 * The next member of the list at *pos (up to end), trimmed.  1 with *up
 * set, 0 at the end, -1 when the member is not token[/token].
 */
static int
upgrade_next(const char **pos, const char *end, struct upgrade_proto *up)
{
	const char *p = *pos, *s;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end) {
			*pos = p;
			return 0;
		}
		s = p;
		while (p < end && *p != ',')
			p++;
		*pos = p;
		while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
			p--;
		up->p = s;
		up->len = (size_t)(p - s);
		up->name_len = 0;
		while (up->name_len < up->len &&
		    http_is_tchar((unsigned char)s[up->name_len]))
			up->name_len++;
		if (up->name_len == 0)
			return -1;
		if (up->name_len == up->len)
			return 1;
		if (s[up->name_len] != '/' || up->name_len + 1 == up->len)
			return -1;
		for (size_t i = up->name_len + 1; i < up->len; i++)
			if (!http_is_tchar((unsigned char)s[i]))
				return -1;
		return 1;
	}
}

/*
 * One access list's verdict: 1 allow, 0 deny (a matching deny line, or an
 * ACL that cannot be decided now: Squid's fast check drops the offer),
 * -1 when no line matched (look on).
 */
static int
upgrade_check(const struct access_list *l, const struct acl_checklist *cl)
{
	const struct access_rule *rule = NULL;
	int action = ACCESS_DENY;

	if (access_check(l, cl, ACCESS_DENY, &action, &rule) != ACL_MATCH)
		return 0;
	if (rule == NULL)
		return -1;
	return action == ACCESS_ALLOW;
}

static int
upgrade_allowed(const struct cfg_upgrade *u, const struct upgrade_proto *up,
    const struct acl_checklist *cl)
{
	const char *ver = up->p + up->name_len;
	size_t ver_len = up->len - up->name_len;
	int named = 0;

	for (const struct cfg_upgrade_rule *r = u->named; r != NULL;
	    r = r->next) {
		if (r->name_len != up->name_len ||
		    strncasecmp(r->proto, up->p, up->name_len) != 0)
			continue;
		named = 1;
		/* "P" applies to every version of P; "P/1" only to P/1 */
		const char *rver = r->proto + r->name_len;
		if (*rver != '\0' && (strlen(rver) != ver_len ||
		    memcmp(rver, ver, ver_len) != 0))
			continue;
		int v = upgrade_check(&r->acl, cl);
		if (v != -1)
			return v;
	}
	if (named || u->other.head == NULL)
		return 0;
	return upgrade_check(&u->other, cl) == 1;
}

int
upgrade_offer_filter(const struct cfg_upgrade *u, const struct http_msg *m,
    const struct acl_checklist *cl, struct buf *out)
{
	struct upgrade_proto up;
	size_t start = buf_avail(out);
	int kept = 0, r;

	/* a value that is not a protocol list is dropped whole */
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Upgrade"))
			continue;
		const char *pos = h->value, *end = h->value + h->value_len;
		while ((r = upgrade_next(&pos, end, &up)) == 1)
			;
		if (r == -1)
			return 0;
	}
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Upgrade"))
			continue;
		const char *pos = h->value, *end = h->value + h->value_len;
		while (upgrade_next(&pos, end, &up) == 1) {
			if (!upgrade_allowed(u, &up, cl))
				continue;
			if (buf_avail(out) > start)
				buf_append(out, ", ", 2);
			buf_append(out, up.p, up.len);
			kept++;
		}
	}
	return kept;
}

int
upgrade_accepts(const char *offered, size_t olen, const char *v, size_t len)
{
	struct upgrade_proto a, b;
	const char *pos = v, *end = v + len;
	int n = 0, r;

	while ((r = upgrade_next(&pos, end, &a)) == 1) {
		const char *opos = offered, *oend = offered + olen;
		int found = 0;

		while (!found && upgrade_next(&opos, oend, &b) == 1)
			found = a.name_len == b.name_len &&
			    strncasecmp(a.p, b.p, a.name_len) == 0;
		if (!found)
			return 0;
		n++;
	}
	return r == 0 && n > 0;
}
