/*
 * passwd_check: request and password file parsing and password checking
 * for basic_ncsa_auth.  Every rule here copies an observable quirk of
 * Squid 5.7's helper (strtok splitting, rfc1738 decoding that keeps %00,
 * the DES 8-byte warning), because a helper must answer exactly as the one
 * it replaces.  crypt(3) comes from libcrypt; MD5 from OpenSSL.
 */
#include "config.h"
#include "passwd_check.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util.h"

int
passwd_check_request(char *line, char **user, char **pass)
{
	char *p = line;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return -1;
	*user = p;
	p += strcspn(p, " ");
	if (*p == '\0')
		return -1;
	*p++ = '\0';
	/* The password is the rest of the line, leading spaces and all. */
	if (*p == '\0')
		return -1;
	*pass = p;
	util_rfc1738_unescape(*user);
	util_rfc1738_unescape(*pass);
	return 0;
}

/* strtok(3) with one delimiter set, without its hidden state. */
static char *
passwd_check_token(char **pos, const char *delim)
{
	char *p = *pos, *tok;

	p += strspn(p, delim);
	if (*p == '\0') {
		*pos = p;
		return NULL;
	}
	tok = p;
	p += strcspn(p, delim);
	if (*p != '\0')
		*p++ = '\0';
	*pos = p;
	return tok;
}

enum passwd_check_line
passwd_check_file_line(char *line, char **user, char **hash)
{
	char *pos = line;

	if (line[0] == '#' || line[0] == ' ' || line[0] == '\t' ||
	    line[0] == '\n')
		return PASSWD_LINE_SKIP;
	if ((*user = passwd_check_token(&pos, ":\n\r")) == NULL)
		return PASSWD_LINE_NO_USER;
	if ((*hash = passwd_check_token(&pos, ":\n\r")) == NULL)
		return PASSWD_LINE_SKIP;
	return PASSWD_LINE_ENTRY;
}

static int
passwd_check_md5(const void *data, size_t len, unsigned char md[16])
{
	unsigned int n = 0;

	return EVP_Digest(data, len, md, &n, EVP_md5(), NULL) == 1 && n == 16 ?
	    0 : -1;
}

char *
passwd_check_md5hex(const char *pass, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[16];
	int i;

	if (passwd_check_md5(pass, strlen(pass), md) == -1)
		return NULL;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
	return out;
}

static void
passwd_check_to64(char **s, unsigned long v, int n)
{
	static const char itoa64[] =
	    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	while (n-- > 0) {
		*(*s)++ = itoa64[v & 0x3f];
		v >>= 6;
	}
}

char *
passwd_check_md5crypt(const char *pass, const char *setting, char *out,
    size_t outlen)
{
	static const int perm[5][3] = {
		{ 0, 6, 12 }, { 1, 7, 13 }, { 2, 8, 14 }, { 3, 9, 15 },
		{ 4, 10, 5 }
	};
	const char *magic = "$1$", *salt = setting;
	size_t plen = strlen(pass), mlen, slen;
	unsigned char fin[16];
	EVP_MD_CTX *ctx, *alt;
	char *o;
	size_t n;
	int i, ok = 1;

	if (strncmp(setting, "$apr1$", 6) == 0)
		magic = "$apr1$";
	mlen = strlen(magic);
	if (strncmp(salt, magic, mlen) == 0)
		salt += mlen;
	for (slen = 0; slen < 8 && salt[slen] != '\0' && salt[slen] != '$';
	    slen++)
		;
	if (outlen < mlen + slen + 1 + 22 + 1)
		return NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if ((alt = EVP_MD_CTX_new()) == NULL) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}

	/* The alternate sum, pass + salt + pass, is folded in by length. */
	ok &= EVP_DigestInit_ex(alt, EVP_md5(), NULL);
	ok &= EVP_DigestUpdate(alt, pass, plen);
	ok &= EVP_DigestUpdate(alt, salt, slen);
	ok &= EVP_DigestUpdate(alt, pass, plen);
	ok &= EVP_DigestFinal_ex(alt, fin, NULL);

	ok &= EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	ok &= EVP_DigestUpdate(ctx, pass, plen);
	ok &= EVP_DigestUpdate(ctx, magic, mlen);
	ok &= EVP_DigestUpdate(ctx, salt, slen);
	for (n = plen; n > 0; n -= n > 16 ? 16 : n)
		ok &= EVP_DigestUpdate(ctx, fin, n > 16 ? 16 : n);
	for (n = plen; n != 0; n >>= 1)
		ok &= EVP_DigestUpdate(ctx, (n & 1) ? "" : pass, 1);
	ok &= EVP_DigestFinal_ex(ctx, fin, NULL);

	/* A thousand rounds, to make guessing slower. */
	for (i = 0; i < 1000; i++) {
		ok &= EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
		if (i & 1)
			ok &= EVP_DigestUpdate(ctx, pass, plen);
		else
			ok &= EVP_DigestUpdate(ctx, fin, 16);
		if (i % 3)
			ok &= EVP_DigestUpdate(ctx, salt, slen);
		if (i % 7)
			ok &= EVP_DigestUpdate(ctx, pass, plen);
		if (i & 1)
			ok &= EVP_DigestUpdate(ctx, fin, 16);
		else
			ok &= EVP_DigestUpdate(ctx, pass, plen);
		ok &= EVP_DigestFinal_ex(ctx, fin, NULL);
	}
	EVP_MD_CTX_free(ctx);
	EVP_MD_CTX_free(alt);
	if (!ok)
		return NULL;

	o = out;
	memcpy(o, magic, mlen);
	o += mlen;
	memcpy(o, salt, slen);
	o += slen;
	*o++ = '$';
	for (i = 0; i < 5; i++)
		passwd_check_to64(&o, (unsigned long)fin[perm[i][0]] << 16 |
		    (unsigned long)fin[perm[i][1]] << 8 | fin[perm[i][2]], 4);
	passwd_check_to64(&o, fin[11], 2);
	*o = '\0';
	return out;
}

enum passwd_check_result
passwd_check_verify(const char *stored, const char *pass)
{
	struct crypt_data *cd;
	size_t plen = strlen(pass);
	char buf[64];
	const char *c;
	int match;

	if ((cd = calloc(1, sizeof(*cd))) != NULL) {
		c = crypt_r(pass, stored, cd);
		match = c != NULL && strcmp(c, stored) == 0;
		free(cd);
		/*
		 * DES crypt uses only the first 8 bytes: Squid refuses a
		 * longer password that matches, rather than accept its prefix.
		 * Hashes with a $ prefix take the whole password.
		 */
		if (match)
			return plen <= 8 || (plen > 1 && stored[0] == '$') ?
			    PASSWD_CHECK_OK : PASSWD_CHECK_TOO_LONG;
	}
	if (passwd_check_md5crypt(pass, stored, buf, sizeof(buf)) != NULL &&
	    strcmp(buf, stored) == 0)
		return PASSWD_CHECK_OK;
	if (passwd_check_md5hex(pass, buf) != NULL && strcmp(buf, stored) == 0)
		return PASSWD_CHECK_OK;
	return PASSWD_CHECK_WRONG;
}
