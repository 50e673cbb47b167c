/*
 * Reading Digest credentials.  The item list is split as Squid's
 * strListGetItem splits it (commas outside quotes, blanks around an item
 * dropped), a name is everything before the first '=' and compared
 * case-sensitively, and values are read per name as Squid's
 * Auth::Digest::Config::decode reads them: uri (and domain) must be
 * wrapped in quotes which are taken off without unescaping, qop is taken
 * with or without quotes, other quoted values are unescaped and a bad
 * quoted string drops the item.
 */
#include "config.h"
#include "digest_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "util.h"

static char *
digest_dup(const char *p, size_t n)
{
	char *s;

	if (n == 0)
		return NULL;
	s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	if (strlen(s) != n) {	/* a NUL inside: cut there, as C strings do */
		if (s[0] == '\0') {
			free(s);
			return NULL;
		}
	}
	return s;
}

/* A quoted-string's content unescaped; NULL if it does not close. */
static char *
digest_unquote(const char *p, size_t n, size_t *outlen)
{
	char *s = xmalloc(n + 1);
	size_t j = 0, i;

	for (i = 1; i < n; i++) {
		if (p[i] == '"')
			break;
		if (p[i] == '\\' && i + 1 < n)
			i++;
		s[j++] = p[i];
	}
	if (i >= n || i != n - 1) {	/* no closing quote, or text after */
		free(s);
		return NULL;
	}
	s[j] = '\0';
	*outlen = j;
	return s;
}

static int
digest_valid_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		int n;

		if (*s < 0x80)
			n = 0;
		else if ((*s & 0xe0) == 0xc0 && *s >= 0xc2)
			n = 1;
		else if ((*s & 0xf0) == 0xe0)
			n = 2;
		else if ((*s & 0xf8) == 0xf0 && *s <= 0xf4)
			n = 3;
		else
			return 0;
		s++;
		for (; n > 0; n--, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static char *
digest_latin1_to_utf8(char *s)
{
	char *out = xmalloc(strlen(s) * 2 + 1), *o = out;

	for (const unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x80)
			*o++ = (char)*p;
		else {
			*o++ = (char)(0xc0 | (*p >> 6));
			*o++ = (char)(0x80 | (*p & 0x3f));
		}
	}
	*o = '\0';
	free(s);
	return out;
}

static void
digest_set(char **field, char *v)
{
	free(*field);
	*field = v;
}

static void
digest_item(const char *item, size_t ilen, int utf8, struct digest_cred *c)
{
	const char *eq = memchr(item, '=', ilen), *p;
	size_t nlen, vlen, ulen;
	char *v = NULL;

	if (eq == NULL)
		return;
	nlen = (size_t)(eq - item);
	p = eq + 1;
	vlen = ilen - nlen - 1;
	if (vlen == 0)
		return;
#define NAME(s) (nlen == sizeof(s) - 1 && memcmp(item, s, nlen) == 0)
	if (NAME("uri") || NAME("domain")) {
		if (vlen > 1 && p[0] == '"' && p[vlen - 1] == '"')
			v = digest_dup(p + 1, vlen - 2);
	} else if (NAME("qop")) {
		if (vlen > 1 && p[0] == '"' && p[vlen - 1] == '"')
			v = digest_dup(p + 1, vlen - 2);
		else
			v = digest_dup(p, vlen);
	} else if (p[0] == '"') {
		char *q = digest_unquote(p, vlen, &ulen);

		if (q == NULL)
			return;
		v = digest_dup(q, ulen);
		free(q);
	} else
		v = digest_dup(p, vlen);

	if (NAME("username")) {
		if (v != NULL && utf8 && !digest_valid_utf8((unsigned char *)v))
			v = digest_latin1_to_utf8(v);
		digest_set(&c->username, v);
	} else if (NAME("realm"))
		digest_set(&c->realm, v);
	else if (NAME("qop"))
		digest_set(&c->qop, v);
	else if (NAME("algorithm"))
		digest_set(&c->algorithm, v);
	else if (NAME("uri"))
		digest_set(&c->uri, v);
	else if (NAME("nonce"))
		digest_set(&c->nonce, v);
	else if (NAME("cnonce"))
		digest_set(&c->cnonce, v);
	else if (NAME("response"))
		digest_set(&c->response, v);
	else if (NAME("nc")) {
		size_t n = v != NULL ? strlen(v) : 0;

		c->nc_long = n > 8;
		memcpy(c->nc, v != NULL ? v : "", n > 8 ? 8 : n);
		c->nc[n > 8 ? 8 : n] = '\0';
		free(v);
	} else
		free(v);	/* domain, opaque, unknown: not used */
#undef NAME
}

void
digest_cred_parse(const char *s, size_t len, int utf8, struct digest_cred *c)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;
		int quoted = 0;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		start = i;
		for (; i < len; i++) {
			if (quoted && s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = !quoted;
			else if (s[i] == ',' && !quoted)
				break;
		}
		end = i;
		while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (end > start)
			digest_item(s + start, end - start, utf8, c);
	}
}

const char *
digest_cred_check(struct digest_cred *c)
{
	if (c->username == NULL)
		return "Empty or not present username";
	if (strchr(c->username, '"') != NULL)
		return "Unacceptable username";
	if (c->realm == NULL)
		return "Empty or not present realm";
	if (c->nonce == NULL)
		return "Empty or not present nonce";
	if (c->uri == NULL)
		return "Missing URI field";
	if (c->response == NULL || strlen(c->response) != DIGEST_HEX_LEN)
		return "Response length invalid";
	if (c->algorithm == NULL)
		c->algorithm = xstrdup("MD5");
	else if (strcmp(c->algorithm, "MD5") != 0 &&
	    strcmp(c->algorithm, "MD5-sess") != 0)
		return "invalid algorithm specified!";
	if (c->qop != NULL) {
		if (strcmp(c->qop, "auth") != 0)
			return "Invalid qop option received";
		if (c->cnonce == NULL)
			return "Missing cnonce field";
		if (c->nc_long || strlen(c->nc) != 8 ||
		    strspn(c->nc, "0123456789abcdefABCDEF") != 8)
			return "invalid nonce count";
	} else if (c->cnonce != NULL || c->nc[0] != '\0')
		return "missing qop!";
	return NULL;
}

void
digest_cred_free(struct digest_cred *c)
{
	free(c->username);
	free(c->realm);
	free(c->nonce);
	free(c->uri);
	free(c->qop);
	free(c->algorithm);
	free(c->cnonce);
	free(c->response);
	memset(c, 0, sizeof(*c));
}

static void
digest_hex(const unsigned char *md, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[DIGEST_HEX_LEN] = '\0';
}

/* MD5 over parts joined by ':' */
static void
digest_md5_join(const char **parts, int n, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		abort();
	for (int i = 0; i < n; i++) {
		if (i > 0)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	digest_hex(md, out);
}

void
digest_md5_hex(const void *s, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	if (EVP_Digest(s, len, md, &mdlen, EVP_md5(), NULL) != 1)
		abort();
	digest_hex(md, out);
}

void
digest_response(const char *ha1, const struct digest_cred *c,
    const char *method, char *out)
{
	char key[DIGEST_HEX_LEN + 1], ha2[DIGEST_HEX_LEN + 1];
	const char *a2[] = { method, c->uri };
	const char *nc = c->nc, *cnonce = c->cnonce ? c->cnonce : "";

	/* a helper's HA1 is taken as hex in whatever case it came */
	for (int i = 0; i < DIGEST_HEX_LEN; i++)
		key[i] = (char)(ha1[i] >= 'A' && ha1[i] <= 'F' ?
		    ha1[i] - 'A' + 'a' : ha1[i]);
	key[DIGEST_HEX_LEN] = '\0';
	if (c->algorithm != NULL && strcasecmp(c->algorithm, "MD5-sess") == 0) {
		const char *s[] = { key, c->nonce, cnonce };
		digest_md5_join(s, 3, key);
	}
	digest_md5_join(a2, 2, ha2);
	if (c->qop != NULL) {
		const char *r[] = { key, c->nonce, nc, cnonce, c->qop, ha2 };
		digest_md5_join(r, 6, out);
	} else {
		const char *r[] = { key, c->nonce, ha2 };
		digest_md5_join(r, 3, out);
	}
}
