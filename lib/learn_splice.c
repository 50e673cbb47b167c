/*
 * The learned splice list and its file format (see learn_splice.h).  The
 * list stays sorted so a lookup per connection is a binary search; a file
 * is small (one line per client and host a pinning app refused), so a
 * rewrite formats it whole.
 */
#include "config.h"
#include "learn_splice.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LEARN_SPLICE_HEADER \
	"# cuttle ssl_bump_learn_splice: expiry (seconds since the epoch) " \
	"client name reason\n"

void
learn_splice_init(struct learn_splice_list *l)
{
	memset(l, 0, sizeof(*l));
}

static void
learn_splice_entry_free(struct learn_splice_entry *e)
{
	free(e->name);
	free(e->reason);
}

void
learn_splice_free(struct learn_splice_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		learn_splice_entry_free(&l->v[i]);
	free(l->v);
	learn_splice_init(l);
}

int
learn_splice_client(const char *s, char dst[LEARN_SPLICE_CLIENT_MAX])
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, dst, LEARN_SPLICE_CLIENT_MAX) ==
		    NULL ? -1 : 0;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, dst, LEARN_SPLICE_CLIENT_MAX) ==
		    NULL ? -1 : 0;
	return -1;
}

static int
learn_splice_cmp(const char *client, const char *name,
    const struct learn_splice_entry *e)
{
	int c = strcmp(client, e->client);

	return c != 0 ? c : strcasecmp(name, e->name);
}

/* The index of (client, name), or where it would go (*found 0). */
static size_t
learn_splice_index(const struct learn_splice_list *l, const char *client,
    const char *name, int *found)
{
	size_t lo = 0, hi = l->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = learn_splice_cmp(client, name, &l->v[mid]);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The name as stored: lower case, the length checked. */
static char *
learn_splice_name(const char *name)
{
	size_t len = strlen(name);
	char *s;

	if (len == 0 || len > LEARN_SPLICE_NAME_MAX)
		return NULL;
	s = xstrdup(name);
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int
learn_splice_add(struct learn_splice_list *l, int64_t expiry,
    const char *client, const char *name, const char *reason, int64_t now)
{
	char canon[LEARN_SPLICE_CLIENT_MAX];
	struct learn_splice_entry *e;
	size_t i, rlen = strlen(reason);
	int found, fresh;
	char *n;

	if (learn_splice_client(client, canon) == -1 || rlen == 0 ||
	    rlen > LEARN_SPLICE_REASON_MAX ||
	    (n = learn_splice_name(name)) == NULL)
		return -1;
	i = learn_splice_index(l, canon, n, &found);
	if (found) {
		e = &l->v[i];
		fresh = e->expiry <= now;
		if (fresh || expiry > e->expiry) {
			e->expiry = expiry;
			free(e->reason);
			e->reason = xstrdup(reason);
		}
		free(n);
		return fresh;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(*l->v));
	l->n++;
	e = &l->v[i];
	memset(e, 0, sizeof(*e));
	e->expiry = expiry;
	memcpy(e->client, canon, sizeof(canon));
	e->name = n;
	e->reason = xstrdup(reason);
	return 1;
}

const struct learn_splice_entry *
learn_splice_find(const struct learn_splice_list *l, const char *client,
    const char *name, int64_t now)
{
	char canon[LEARN_SPLICE_CLIENT_MAX];
	size_t i;
	int found;

	if (learn_splice_client(client, canon) == -1)
		return NULL;
	i = learn_splice_index(l, canon, name, &found);
	if (!found || l->v[i].expiry <= now)
		return NULL;
	return &l->v[i];
}

int
learn_splice_has_client(const struct learn_splice_list *l,
    const char *client, int64_t now)
{
	char canon[LEARN_SPLICE_CLIENT_MAX];
	size_t i;
	int found;

	if (learn_splice_client(client, canon) == -1)
		return 0;
	/* "" sorts before every name: the client's first entry */
	for (i = learn_splice_index(l, canon, "", &found);
	    i < l->n && strcmp(l->v[i].client, canon) == 0; i++)
		if (l->v[i].expiry > now)
			return 1;
	return 0;
}

/* The next field of a line: its unescaped bytes, or NULL with *why. */
static char *
learn_splice_field(const char **pp, const char *end, size_t max,
    const char **why)
{
	const char *p = *pp;
	char *out = xmalloc(max + 1);
	size_t n = 0;

	while (p < end && *p != ' ') {
		unsigned char ch = (unsigned char)*p;
		int hi, lo;

		if (ch <= 0x20 || ch >= 0x7f) {
			*why = "unescaped control or non-ASCII byte";
			goto bad;
		}
		if (ch == '%') {
			if (end - p < 3 || !isxdigit((unsigned char)p[1]) ||
			    !isxdigit((unsigned char)p[2])) {
				*why = "bad %XX escape";
				goto bad;
			}
			hi = isdigit((unsigned char)p[1]) ? p[1] - '0' :
			    tolower((unsigned char)p[1]) - 'a' + 10;
			lo = isdigit((unsigned char)p[2]) ? p[2] - '0' :
			    tolower((unsigned char)p[2]) - 'a' + 10;
			ch = (unsigned char)(hi * 16 + lo);
			if (ch == 0) {
				*why = "NUL byte";
				goto bad;
			}
			p += 3;
		} else
			p++;
		if (n == max) {
			*why = "field too long";
			goto bad;
		}
		out[n++] = (char)ch;
	}
	if (n == 0) {
		*why = "missing field";
		goto bad;
	}
	out[n] = '\0';
	/* one space between fields, none at the end */
	if (p < end && (p + 1 == end || p[1] == ' ')) {
		*why = "stray space";
		goto bad;
	}
	*pp = p < end ? p + 1 : p;
	return out;
bad:
	free(out);
	return NULL;
}

/* One entry's line (no newline) into l; NULL, or why it is malformed. */
static const char *
learn_splice_line(struct learn_splice_list *l, const char *p,
    const char *end, int64_t now)
{
	const char *why = NULL;
	char *f[4] = { NULL, NULL, NULL, NULL };
	static const size_t max[4] = { 20, LEARN_SPLICE_CLIENT_MAX - 1,
	    LEARN_SPLICE_NAME_MAX, LEARN_SPLICE_REASON_MAX };
	int64_t expiry = 0;
	int i;

	for (i = 0; i < 4; i++)
		if ((f[i] = learn_splice_field(&p, end, max[i], &why)) == NULL)
			goto out;
	if (p != end) {
		why = "more than four fields";
		goto out;
	}
	for (const char *d = f[0]; *d != '\0'; d++) {
		if (!isdigit((unsigned char)*d) || d - f[0] >= 18) {
			why = "bad expiry time";
			goto out;
		}
		expiry = expiry * 10 + (*d - '0');
	}
	if (expiry <= now)
		goto out;	/* expired: dropped, not malformed */
	switch (learn_splice_add(l, expiry, f[1], f[2], f[3], now)) {
	case -1:
		why = "bad client address";
		break;
	default:
		break;
	}
out:
	for (i = 0; i < 4; i++)
		free(f[i]);
	return why;
}

unsigned
learn_splice_parse(struct learn_splice_list *l, const char *text,
    size_t len, int64_t now, learn_splice_bad_fn *bad, void *arg)
{
	const char *p = text, *end = text + len, *nl, *why;
	unsigned line = 0, nbad = 0;

	learn_splice_free(l);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;	/* a last line without its newline */
		line++;
		if (nl > p && *p != '#' &&
		    (why = learn_splice_line(l, p, nl, now)) != NULL) {
			nbad++;
			if (bad != NULL)
				bad(arg, line, why);
		}
		p = nl + 1;
	}
	return nbad;
}

char *
learn_splice_escape(char *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x20 || ch >= 0x7f || ch == '%') {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		} else
			*o++ = (char)ch;
	}
	return o;
}

char *
learn_splice_format(const struct learn_splice_list *l, int64_t now,
    size_t *len)
{
	size_t room = sizeof(LEARN_SPLICE_HEADER);
	char *text, *o;

	for (size_t i = 0; i < l->n; i++)
		room += 24 + sizeof(l->v[i].client) +
		    3 * (strlen(l->v[i].name) + strlen(l->v[i].reason));
	text = xmalloc(room);
	o = text;
	memcpy(o, LEARN_SPLICE_HEADER, sizeof(LEARN_SPLICE_HEADER) - 1);
	o += sizeof(LEARN_SPLICE_HEADER) - 1;
	for (size_t i = 0; i < l->n; i++) {
		const struct learn_splice_entry *e = &l->v[i];

		if (e->expiry <= now)
			continue;
		o += sprintf(o, "%lld %s ", (long long)e->expiry, e->client);
		o = learn_splice_escape(o, e->name);
		*o++ = ' ';
		o = learn_splice_escape(o, e->reason);
		*o++ = '\n';
	}
	*o = '\0';
	*len = (size_t)(o - text);
	return text;
}
