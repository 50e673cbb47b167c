/*
 * negotiate_hdr: reading a Proxy-Authorization value for the Negotiate
 * scheme (RFC 4559): "Negotiate" SP base64-token.  No I/O; shared by the
 * worker's auth_negotiate.c and a unit test.
 */
#ifndef CUTTLE_NEGOTIATE_HDR_H
#define CUTTLE_NEGOTIATE_HDR_H

#include <stddef.h>

#define NEGOTIATE_OTHER		0	/* another scheme (or none) */
#define NEGOTIATE_TOKEN		1	/* *tok / *tok_len: the base64 token */
#define NEGOTIATE_BAD		(-1)	/* Negotiate, but no usable token */

/*
 * Classify value[0..len): NEGOTIATE_TOKEN with the token (surrounding
 * blanks trimmed; only base64 characters and '=' padding at its end), an
 * empty or malformed token is NEGOTIATE_BAD.  The scheme name is
 * case-insensitive.
 */
int negotiate_hdr_token(const char *value, size_t len, const char **tok,
    size_t *tok_len);

#endif
