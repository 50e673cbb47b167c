/*
 * Alt-Svc filtering for bumped responses: a client told that the origin
 * speaks HTTP/3 may leave the inspected TLS path for QUIC over UDP, which
 * the proxy never sees.  Only the QUIC alternatives go; the rest of the
 * header is left as the origin sent it.
 */
#include "config.h"
#include "alt_svc.h"

#include <string.h>
#include <strings.h>

/* Is c optional whitespace (RFC 9110 OWS)? */
static int
alt_svc_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The end of the list element at p: the next comma outside quotes. */
static const char *
alt_svc_element_end(const char *p, const char *end)
{
	int quoted = 0;

	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			break;
	}
	return p;
}

/* Does the element [p, end) name a QUIC protocol-id? */
static int
alt_svc_is_quic(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && p[n] != '=' && p[n] != ';' && !alt_svc_ows(p[n]))
		n++;
	if (n >= 2 && strncasecmp(p, "h3", 2) == 0 &&
	    (n == 2 || p[2] == '-'))
		return 1;
	return n == 4 && strncasecmp(p, "quic", 4) == 0;
}

size_t
alt_svc_without_h3(const char *v, size_t len, char *out)
{
	const char *p = v, *end = v + len;
	size_t n = 0;

	while (p < end) {
		const char *e = alt_svc_element_end(p, end), *b = p, *t = e;

		while (b < t && alt_svc_ows(*b))
			b++;
		while (t > b && alt_svc_ows(t[-1]))
			t--;
		if (t > b && !alt_svc_is_quic(b, t)) {
			if (n > 0) {
				memcpy(out + n, ", ", 2);
				n += 2;
			}
			memcpy(out + n, b, (size_t)(t - b));
			n += (size_t)(t - b);
		}
		p = e < end ? e + 1 : end;
	}
	return n;
}
