/*
 * Request-target URL parsing for the proxy: splits an absolute URI or a
 * CONNECT authority into scheme, host, port, path and query, refusing what
 * an origin or a cache key could read two ways (whitespace, control bytes,
 * fragments, bad ports, odd host characters), and formats the canonical URL
 * that access.log and the cache key use.
 */
#include "config.h"
#include "url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int
url_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int
url_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
url_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Host names use the letters, digits, '-', '.' and '_' that DNS names do in
 * practice; anything else (percent-encoding included) is refused rather than
 * interpreted differently from the origin.
 */
static int
url_is_host_char(int c)
{
	return url_is_alpha(c) || url_is_digit(c) || c == '-' || c == '.' ||
	    c == '_';
}

int
url_default_port(const char *scheme)
{
	if (strcmp(scheme, "http") == 0)
		return 80;
	if (strcmp(scheme, "https") == 0)
		return 443;
	if (strcmp(scheme, "ftp") == 0)
		return 21;
	if (strcmp(scheme, "cache_object") == 0)
		return 3128;	/* Squid's CACHE_HTTP_PORT */
	return 0;
}

int
url_port_is_default(const struct url *u)
{
	return u->port == url_default_port(u->scheme);
}

/* Port digits in [s, s+len): 1..65535, at most 5 digits. */
static int
url_parse_port(const char *s, size_t len)
{
	size_t i;
	int port = 0;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!url_is_digit(s[i]))
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	return port;
}

/*
 * host[:port] or [v6][:port] in [s, s+len).  An empty port means the
 * default (RFC 3986 3.2.3) unless need_port.
 */
static enum url_result
url_parse_host_port(struct url *u, const char *s, size_t len, int need_port)
{
	const char *e = s + len, *hs, *he, *colon;
	unsigned char addr[16];
	size_t i, hlen;

	if (len > 0 && *s == '[') {
		hs = s + 1;
		he = memchr(hs, ']', e - hs);
		if (he == NULL)
			return URL_BAD;
		colon = he + 1 < e ? he + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return URL_BAD;
		u->is_ipv6 = 1;
	} else {
		hs = s;
		colon = memchr(s, ':', len);
		he = colon != NULL ? colon : e;
	}
	hlen = he - hs;
	if (hlen == 0 || hlen >= URL_HOST_MAX)
		return URL_BAD;
	for (i = 0; i < hlen; i++) {
		if (u->is_ipv6 ? !(url_is_digit(hs[i]) || hs[i] == ':' ||
		    hs[i] == '.' || (url_lower(hs[i]) >= 'a' &&
		    url_lower(hs[i]) <= 'f')) : !url_is_host_char(hs[i]))
			return URL_BAD;
		u->host[i] = (char)url_lower(hs[i]);
	}
	u->host[hlen] = '\0';
	if (u->is_ipv6) {
		if (inet_pton(AF_INET6, u->host, addr) != 1)
			return URL_BAD;
		u->host_is_ip = 1;
	} else {
		u->host_is_ip = inet_pton(AF_INET, u->host, addr) == 1;
	}

	if (colon == NULL || colon + 1 == e) {
		if (need_port)
			return URL_BAD;
		u->port = url_default_port(u->scheme);
		return URL_OK;
	}
	u->port = url_parse_port(colon + 1, e - colon - 1);
	if (u->port == -1)
		return URL_BAD;
	u->port_given = 1;
	return URL_OK;
}

/*
 * Whitespace and controls are never part of a URL; 8-bit bytes only of a
 * path or query (eight_bit), where Squid 5.7 takes them as clients send
 * them (raw UTF-8) and forwards them so.  A host stays ASCII: an IDN
 * comes as its A-label.
 */
static int
url_clean(const char *s, size_t len, int eight_bit)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || (c >= 0x80 && !eight_bit))
			return 0;
	}
	return 1;
}

enum url_result
url_parse_absolute(struct url *u, const char *s, size_t len)
{
	const char *p = s, *e = s + len, *auth, *ae, *at;
	enum url_result r;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (!url_clean(s, len, 1) || memchr(s, '#', len) != NULL)
		return URL_BAD;

	/* scheme ":" "//"; '_' is not RFC 3986 but cache_object needs it */
	if (p == e || !url_is_alpha(*p))
		return URL_BAD;
	for (n = 0; p < e && *p != ':'; p++, n++) {
		if (!url_is_alpha(*p) && !url_is_digit(*p) && *p != '+' &&
		    *p != '-' && *p != '.' && *p != '_')
			return URL_BAD;
		if (n + 1 >= URL_SCHEME_MAX)
			return URL_BAD;
		u->scheme[n] = (char)url_lower(*p);
	}
	u->scheme[n] = '\0';
	if (e - p < 3 || memcmp(p, "://", 3) != 0)
		return URL_BAD;
	auth = p + 3;

	for (ae = auth; ae < e && *ae != '/' && *ae != '?'; ae++)
		;
	if (!url_clean(auth, ae - auth, 0))
		return URL_BAD;
	at = memchr(auth, '@', ae - auth);
	if (at != NULL) {
		if (memchr(at + 1, '@', ae - at - 1) != NULL)
			return URL_BAD;
		u->userinfo = auth;
		u->userinfo_len = at - auth;
		auth = at + 1;
	}
	r = url_parse_host_port(u, auth, ae - auth, 0);
	if (r != URL_OK)
		return r;
	if (url_default_port(u->scheme) == 0)
		return URL_UNSUPPORTED;

	p = ae;
	while (p < e && *p != '?')
		p++;
	if (p == ae) {
		u->path = "/";
		u->path_len = 1;
	} else {
		u->path = ae;
		u->path_len = p - ae;
	}
	if (p < e) {
		u->query = p;
		u->query_len = e - p;
	}
	return URL_OK;
}

enum url_result
url_parse_authority(struct url *u, const char *s, size_t len)
{
	memset(u, 0, sizeof(*u));
	if (!url_clean(s, len, 0) || memchr(s, '@', len) != NULL)
		return URL_BAD;
	u->path = "";
	return url_parse_host_port(u, s, len, 1);
}

int
url_is_origin_form(const char *s, size_t len)
{
	return len > 0 && s[0] == '/';
}

/* snprintf-style appending: count everything, store what fits. */
struct url_out {
	char	*buf;
	size_t	 size, len;
};

static void
url_put(struct url_out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
	if (o->size > 0)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
}

static void
url_put_host_port(struct url_out *o, const struct url *u, int with_port)
{
	char port[8];

	if (u->is_ipv6)
		url_put(o, "[", 1);
	url_put(o, u->host, strlen(u->host));
	if (u->is_ipv6)
		url_put(o, "]", 1);
	if (with_port) {
		snprintf(port, sizeof(port), ":%d", u->port);
		url_put(o, port, strlen(port));
	}
}

size_t
url_format_host_port(const struct url *u, char *buf, size_t size)
{
	struct url_out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	url_put_host_port(&o, u, 1);
	return o.len;
}

size_t
url_format(const struct url *u, int strip_query, char *buf, size_t size)
{
	struct url_out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	url_put(&o, u->scheme, strlen(u->scheme));
	url_put(&o, "://", 3);
	url_put_host_port(&o, u, !url_port_is_default(u));
	url_put(&o, u->path, u->path_len);
	if (u->query != NULL)
		url_put(&o, u->query, strip_query ? 1 : u->query_len);
	return o.len;
}

size_t
url_strip_query_len(const char *s, size_t len)
{
	const char *q = memchr(s, '?', len);

	return q != NULL ? (size_t)(q - s) + 1 : len;
}
