/*
 * uri_whitespace: what becomes of a request-target with SP or HTAB inside
 * (http_parse.c accepts one only as Squid's relaxed parser does, and marks
 * it target_ws).
 */
#ifndef CUTTLE_URI_WS_H
#define CUTTLE_URI_WS_H

#include <stddef.h>

#include "buf.h"

enum uri_ws {
	URI_WS_STRIP = 0,	/* Squid's default: the whitespace goes */
	URI_WS_DENY,		/* 400 ERR_INVALID_URL */
	URI_WS_ENCODE,		/* %20, %09 (and the rest of RFC 1738's unsafe) */
	URI_WS_CHOP		/* cut at the first whitespace */
	/* Squid's "allow" is taken as encode: see cfg_set_uri_ws */
};

/*
 * Append to out the target t[0..len) as mode makes it; -1 when the request
 * is to be refused (deny, or whitespace in the scheme or authority under a
 * mode other than strip: chopping or encoding there would send the request
 * to another host than the one the client named).
 */
int uri_ws_apply(enum uri_ws mode, const char *t, size_t len,
    struct buf *out);

#endif
