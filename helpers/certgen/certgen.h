/*
 * certgen: the pieces of security_file_certgen that are not main(): the
 * sslcrtd framing ("code length body" in, "OK length body\x01" out) and
 * the request body (key=value lines, then the signing certificate, its key
 * and an optional origin certificate), both as Squid 5.7 parses them.
 */
#ifndef CUTTLE_CERTGEN_H
#define CUTTLE_CERTGEN_H

#include <stddef.h>

#include "tls_mint.h"

/* Squid reads requests in fgets() chunks of this size. */
#define CERTGEN_LINE_MAX 8196

enum certgen_parse {
	CERTGEN_INCOMPLETE,
	CERTGEN_OK,
	CERTGEN_ERROR
};

enum certgen_state {
	CERTGEN_BEFORE_CODE,
	CERTGEN_CODE,
	CERTGEN_BEFORE_LENGTH,
	CERTGEN_LENGTH,
	CERTGEN_BEFORE_BODY,
	CERTGEN_BODY,
	CERTGEN_END
};

/* One request being parsed; start from all zeroes, certgen_msg_clear after. */
struct certgen_msg {
	enum certgen_state state;
	char		*code;		/* "new_certificate" */
	char		*body;		/* NUL-terminated copy */
	size_t		 body_size;	/* announced length */
	char		*block;		/* the token being read */
	size_t		 block_len, block_cap;
};

/*
 * Feed one chunk.  Whatever follows the end of a message in the same chunk
 * is dropped, as Squid's helper drops it.
 */
enum certgen_parse certgen_msg_parse(struct certgen_msg *m, const char *buf,
    size_t len);
void certgen_msg_clear(struct certgen_msg *m);

/* "OK <length> <body>\x01", malloc'd, length in *out_len. */
char *certgen_reply(const char *code, const char *body, size_t len,
    size_t *out_len);

/*
 * Turn a request body into minting inputs.  On success the caller owns
 * req->ca_cert, ca_key, mimic and cn (free with certgen_req_free).  On
 * failure *err is Squid's message, malloc'd ("Broken signing certificate!" ...).
 */
int certgen_req_parse(const char *body, struct tls_mint_req *req,
    char **err);
void certgen_req_free(struct tls_mint_req *req);

#endif
