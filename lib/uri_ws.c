/*
 * uri_whitespace (squid.conf), applied to a request-target that broken
 * clients sent with SP or HTAB unencoded.  Squid 5.7 strips by default;
 * chop cuts at the first whitespace; encode writes it, and every other
 * RFC 1738 unsafe byte of the target, as %XX (rfc1738_escape_unescaped:
 * '%' stays); deny refuses the request.  Squid applies the mode to the
 * URL's path and query and only strips whitespace from the host whatever
 * the mode; we refuse whitespace before the path under the modes that
 * keep or cut it, rather than guess which host was meant.
 */
#include "config.h"
#include "uri_ws.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static int
uri_ws_is(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the path starts: origin-form at 0, absolute-form after the
 * authority; authority-form (CONNECT) and others have none (len). */
static size_t
uri_ws_path_start(const char *t, size_t len)
{
	const char *sep, *end = t + len;

	if (len > 0 && t[0] == '/')
		return 0;
	sep = memmem(t, len, "://", 3);
	if (sep == NULL)
		return len;
	for (const char *p = sep + 3; p < end; p++)
		if (*p == '/' || *p == '?' || *p == '#')
			return (size_t)(p - t);
	return len;
}

int
uri_ws_apply(enum uri_ws mode, const char *t, size_t len, struct buf *out)
{
	size_t path = uri_ws_path_start(t, len), i;
	char hex[4];

	if (mode == URI_WS_DENY)
		return -1;
	if (mode != URI_WS_STRIP)
		for (i = 0; i < path; i++)
			if (uri_ws_is(t[i]))
				return -1;
	switch (mode) {
	case URI_WS_STRIP:
		for (i = 0; i < len; i++)
			if (!uri_ws_is(t[i]))
				buf_append(out, t + i, 1);
		return 0;
	case URI_WS_CHOP:
		for (i = path; i < len && !uri_ws_is(t[i]); i++)
			;
		buf_append(out, t, i);
		return 0;
	case URI_WS_ENCODE:
		buf_append(out, t, path);
		for (i = path; i < len; i++) {
			unsigned char c = (unsigned char)t[i];
			if (util_rfc1738_unsafe(c)) {
				snprintf(hex, sizeof(hex), "%%%02X", c);
				buf_append(out, hex, 3);
			} else
				buf_append(out, t + i, 1);
		}
		return 0;
	case URI_WS_DENY:
		break;
	}
	return -1;
}
