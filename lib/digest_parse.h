/*
 * digest_parse: the credentials of a Digest Proxy-Authorization header
 * (RFC 2617 3.2.2) read as Squid 5.7 reads them, the checks Squid makes
 * before it looks at the nonce, and the MD5 request-digest (qop=auth or
 * none, MD5 and MD5-sess).
 */
#ifndef CUTTLE_DIGEST_PARSE_H
#define CUTTLE_DIGEST_PARSE_H

#include <stddef.h>

#define DIGEST_HEX_LEN	32

struct digest_cred {
	char		*username;	/* NULL when absent or empty */
	char		*realm;
	char		*nonce;
	char		*uri;
	char		*qop;
	char		*algorithm;	/* "MD5" after digest_cred_check */
	char		*cnonce;
	char		*response;
	char		 nc[9];		/* "" when absent */
	int		 nc_long;	/* nc had more than 8 characters */
};

/*
 * Read the text after the scheme word (s, len: untrusted bytes) into c,
 * which the caller zeroes first.  utf8: a username that is not UTF-8 is
 * taken as ISO-8859-1 and converted (auth_param digest utf8 on).
 */
void digest_cred_parse(const char *s, size_t len, int utf8,
    struct digest_cred *c);
/* NULL if c has what a check needs; else why not (for the debug log). */
const char *digest_cred_check(struct digest_cred *c);
void digest_cred_free(struct digest_cred *c);

/*
 * The request-digest for c with method, from ha1 (32 hex digits), in
 * lowercase hex into out (33 bytes).
 */
void digest_response(const char *ha1, const struct digest_cred *c,
    const char *method, char *out);
/* MD5 of s in lowercase hex into out (33 bytes). */
void digest_md5_hex(const void *s, size_t len, char *out);

#endif
