/*
 * certgen_msg: the sslcrtd wire format as Squid 5.7's CrtdMessage reads
 * it.  The request parser is a byte state machine fed with fgets() chunks;
 * the body is split into key=value lines and a PEM part.  Quirks kept on
 * purpose, since Squid's side relies on them: whitespace before the code
 * and before the body is skipped (so the uncounted LF after a body is
 * harmless), the first value of a repeated key wins, and the PEM part is
 * everything from the first line without '='.
 */
#include "config.h"
#include "certgen.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "util.h"

static int
certgen_msg_add(struct certgen_msg *m, const char *p, size_t n)
{
	char *b;

	if (m->block_len + n + 1 > m->block_cap) {
		size_t cap = (m->block_len + n + 1) * 2;
		if ((b = realloc(m->block, cap)) == NULL)
			return -1;
		m->block = b;
		m->block_cap = cap;
	}
	memcpy(m->block + m->block_len, p, n);
	m->block_len += n;
	m->block[m->block_len] = '\0';
	return 0;
}

/* The token read so far, handed over; the block starts again empty. */
static char *
certgen_msg_take(struct certgen_msg *m)
{
	char *s = m->block ? m->block : strdup("");

	m->block = NULL;
	m->block_len = m->block_cap = 0;
	return s;
}

void
certgen_msg_clear(struct certgen_msg *m)
{
	free(m->code);
	free(m->body);
	free(m->block);
	memset(m, 0, sizeof(*m));
}

static enum certgen_parse
certgen_msg_error(struct certgen_msg *m)
{
	certgen_msg_clear(m);
	return CERTGEN_ERROR;
}

enum certgen_parse
certgen_msg_parse(struct certgen_msg *m, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	unsigned char c;
	char *digits;
	size_t n;

	while (p != end && m->state != CERTGEN_END) {
		c = *p;
		switch (m->state) {
		case CERTGEN_BEFORE_CODE:
			if (isspace(c))
				p++;
			else if (isalpha(c))
				m->state = CERTGEN_CODE;
			else
				return certgen_msg_error(m);
			break;
		case CERTGEN_CODE:
			if (isalnum(c) || c == '_') {
				if (certgen_msg_add(m, p++, 1) == -1)
					return certgen_msg_error(m);
			} else if (isspace(c)) {
				m->code = certgen_msg_take(m);
				m->state = CERTGEN_BEFORE_LENGTH;
			} else
				return certgen_msg_error(m);
			break;
		case CERTGEN_BEFORE_LENGTH:
			if (isspace(c))
				p++;
			else if (isdigit(c))
				m->state = CERTGEN_LENGTH;
			else
				return certgen_msg_error(m);
			break;
		case CERTGEN_LENGTH:
			if (isdigit(c)) {
				if (certgen_msg_add(m, p++, 1) == -1)
					return certgen_msg_error(m);
			} else if (isspace(c)) {
				digits = certgen_msg_take(m);
				m->body_size = (size_t)atoi(digits);
				free(digits);
				m->state = CERTGEN_BEFORE_BODY;
			} else
				return certgen_msg_error(m);
			break;
		case CERTGEN_BEFORE_BODY:
			if (m->body_size == 0) {
				m->body = strdup("");
				m->state = CERTGEN_END;
			} else if (isspace(c))
				p++;
			else
				m->state = CERTGEN_BODY;
			break;
		case CERTGEN_BODY:
			n = m->body_size - m->block_len;
			if ((size_t)(end - p) < n)
				n = end - p;
			if (certgen_msg_add(m, p, n) == -1)
				return certgen_msg_error(m);
			p += n;
			if (m->block_len == m->body_size) {
				m->body = certgen_msg_take(m);
				m->state = CERTGEN_END;
			}
			break;
		case CERTGEN_END:
			break;
		}
	}
	return m->state == CERTGEN_END ? CERTGEN_OK : CERTGEN_INCOMPLETE;
}

char *
certgen_reply(const char *code, const char *body, size_t len, size_t *out_len)
{
	size_t head = strlen(code) + 24;
	char *out = malloc(head + len + 2);
	int n;

	if (out == NULL)
		return NULL;
	n = snprintf(out, head, "%s %zu ", code, len);
	memcpy(out + n, body, len);
	out[n + len] = '\x01';	/* Squid's end of message, not a newline */
	out[n + len + 1] = '\0';
	*out_len = n + len + 1;
	return out;
}

/* The keys Squid knows; a value is kept only the first time it is seen. */
enum certgen_key {
	CERTGEN_HOST, CERTGEN_SET_VALID_AFTER, CERTGEN_SET_VALID_BEFORE,
	CERTGEN_SET_COMMON_NAME, CERTGEN_SIGN, CERTGEN_SIGN_HASH, CERTGEN_NKEYS
};

/* Every request carries the CA key: decoded once per helper process. */
static struct tls_key_memo certgen_ca_key;

static const char *certgen_keys[CERTGEN_NKEYS] = {
	"host", "setValidAfter", "setValidBefore", "setCommonName", "Sign",
	"SignHash"
};

/* Split the body; returns where the PEM part starts ("" if none). */
static const char *
certgen_body_split(const char *body, char *val[CERTGEN_NKEYS])
{
	const char *line = body, *eol, *eq;
	size_t klen;
	int k;

	for (;;) {
		line += strspn(line, "\r\n");
		if (*line == '\0')
			return line;
		eol = line + strcspn(line, "\r\n");
		if ((eq = memchr(line, '=', eol - line)) == NULL)
			return line;
		klen = eq - line;
		for (k = 0; k < CERTGEN_NKEYS; k++)
			if (val[k] == NULL && strlen(certgen_keys[k]) == klen &&
			    strncmp(line, certgen_keys[k], klen) == 0)
				val[k] = strndup(eq + 1, eol - eq - 1);
		line = eol;
	}
}

int
certgen_req_parse(const char *body, struct tls_mint_req *req, char **err)
{
	char *val[CERTGEN_NKEYS] = { NULL };
	const char *pem, *hash;
	int sign, k, rc = -1;

	memset(req, 0, sizeof(*req));
	*err = NULL;
	pem = certgen_body_split(body, val);
	if (val[CERTGEN_HOST] == NULL) {
		*err = xasprintf("Cannot find \"host\" parameter in request "
		    "message");
		goto out;
	}
	req->set_valid_after = val[CERTGEN_SET_VALID_AFTER] != NULL &&
	    strcasecmp(val[CERTGEN_SET_VALID_AFTER], "on") == 0;
	req->set_valid_before = val[CERTGEN_SET_VALID_BEFORE] != NULL &&
	    strcasecmp(val[CERTGEN_SET_VALID_BEFORE], "on") == 0;
	/* setCommonName replaces the host as the CN. */
	if (val[CERTGEN_SET_COMMON_NAME] != NULL) {
		req->set_common_name = 1;
		req->cn = strdup(val[CERTGEN_SET_COMMON_NAME]);
	} else
		req->cn = strdup(val[CERTGEN_HOST]);
	req->sign = TLS_MINT_SIGN_TRUSTED;
	if (val[CERTGEN_SIGN] != NULL) {
		if ((sign = tls_mint_sign_parse(val[CERTGEN_SIGN])) == -1) {
			/* sic: Squid 5.7's spelling */
			*err = xasprintf("Wrong signing algoritm: %s",
			    val[CERTGEN_SIGN]);
			goto out;
		}
		req->sign = sign;
	}
	hash = val[CERTGEN_SIGN_HASH] ? val[CERTGEN_SIGN_HASH] : "sha256";
	if ((req->md = EVP_get_digestbyname(hash)) == NULL) {
		*err = xasprintf("Wrong signing hash: %s", hash);
		goto out;
	}
	if (tls_mint_read_signing(pem, &certgen_ca_key, &req->ca_cert,
	    &req->ca_key, &req->mimic) == -1) {
		*err = xasprintf("Broken signing certificate!");
		goto out;
	}
	rc = 0;
out:
	for (k = 0; k < CERTGEN_NKEYS; k++)
		free(val[k]);
	if (rc == -1) {
		certgen_req_free(req);
		if (*err == NULL)
			*err = xasprintf("out of memory");
	}
	return rc;
}

void
certgen_req_free(struct tls_mint_req *req)
{
	X509_free(req->ca_cert);
	EVP_PKEY_free(req->ca_key);
	X509_free(req->mimic);
	free((char *)req->cn);
	memset(req, 0, sizeof(*req));
}
