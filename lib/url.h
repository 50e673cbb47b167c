/*
 * Request-target URLs as a forward proxy receives them: absolute URIs
 * ("http://host:port/path?query") and CONNECT's authority form
 * ("host:port").  The host is copied out lowercased (it is a lookup key);
 * path and query point into the caller's buffer.  Also builds the canonical
 * URL text used in access.log and as the cache key.
 */
#ifndef CUTTLE_URL_H
#define CUTTLE_URL_H

#include <stddef.h>

#define URL_SCHEME_MAX	16
#define URL_HOST_MAX	256	/* 255 bytes plus NUL, as DNS allows */

enum url_result {
	URL_OK = 0,
	URL_BAD = -1,		/* malformed: ERR_INVALID_URL, 400 */
	URL_UNSUPPORTED = -2	/* well-formed, unknown scheme: ERR_UNSUP_REQ */
};

struct url {
	char		 scheme[URL_SCHEME_MAX];	/* lowercased; "" for CONNECT */
	char		 host[URL_HOST_MAX];	/* lowercased, IPv6 without [] */
	int		 port;			/* explicit or the scheme default */
	int		 port_given;		/* the URL spelled a port */
	const char	*userinfo;		/* before '@', NULL if none */
	size_t		 userinfo_len;
	const char	*path;			/* "/" (static) when empty */
	size_t		 path_len;
	const char	*query;			/* from '?' inclusive, NULL if none */
	size_t		 query_len;
	int		 is_ipv6;
	int		 host_is_ip;		/* IPv4 dotted quad or IPv6 */
};

/* Parse an absolute URI (scheme http, https, ftp or cache_object). */
enum url_result url_parse_absolute(struct url *u, const char *s, size_t len);
/* Parse CONNECT's "host:port"; the port is required. */
enum url_result url_parse_authority(struct url *u, const char *s, size_t len);
/* Is the request target origin-form ("/path...")? */
int url_is_origin_form(const char *s, size_t len);

/* Default port of a lowercased scheme, 0 if unknown. */
int url_default_port(const char *scheme);
int url_port_is_default(const struct url *u);

/*
 * Format into buf like snprintf (returns the length wanted, buf always NUL
 * terminated when size > 0).  url_format_host_port gives "host:port" with
 * brackets for IPv6 (CONNECT's log form and Host-like keys); url_format gives
 * the canonical "scheme://host[:port]/path?query" without userinfo and
 * without a default port, and with strip_query keeps the '?' but nothing
 * after it (strip_query_terms).
 */
size_t url_format_host_port(const struct url *u, char *buf, size_t size);
size_t url_format(const struct url *u, int strip_query, char *buf,
    size_t size);
/* Length of the logged prefix of a raw URL string under strip_query_terms. */
size_t url_strip_query_len(const char *s, size_t len);

#endif
