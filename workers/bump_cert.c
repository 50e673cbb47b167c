/*
 * Placeholder certificate source for bump.c until the real one (cache,
 * sslcrtd helpers, CA loaded by the master) lands: mints in the worker
 * from the port's CA files, every time.
 */
#include "config.h"
#include "bump_cert.h"
#include "cfg.h"
#include "tls_mint.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
bump_cert_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *t;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	t = xmalloc((size_t)n + 1);
	*len = fread(t, 1, (size_t)n, f);
	t[*len] = '\0';
	fclose(f);
	return t;
}

struct bump_cert_wait *
bump_cert_get(const struct bump_cert_req *r, bump_cert_cb *cb, void *arg)
{
	struct tls_mint_req m;
	char *a, *b = NULL, *text;
	size_t la = 0, lb = 0;
	X509 *ca = NULL, *crt = NULL, *mimic = NULL;
	EVP_PKEY *cakey = NULL, *key = NULL;
	SSL_CTX *ctx = NULL;

	if ((a = bump_cert_slurp(r->port->tls_cert, &la)) == NULL) {
		cb(arg, NULL, "cannot read the port's tls-cert");
		return NULL;
	}
	if (r->port->tls_key != NULL &&
	    (b = bump_cert_slurp(r->port->tls_key, &lb)) == NULL) {
		free(a);
		cb(arg, NULL, "cannot read the port's tls-key");
		return NULL;
	}
	text = xmalloc(la + lb + 2);
	memcpy(text, a, la);
	text[la] = '\n';
	if (b != NULL)
		memcpy(text + la + 1, b, lb);
	text[la + 1 + lb] = '\0';
	free(a);
	free(b);
	if (tls_mint_read_signing(text, &ca, &cakey, &mimic) == -1) {
		free(text);
		cb(arg, NULL, "cannot load the port's CA");
		return NULL;
	}
	free(text);
	X509_free(mimic);
	memset(&m, 0, sizeof(m));
	m.ca_cert = ca;
	m.ca_key = cakey;
	m.mimic = r->mimic;
	m.cn = r->host;
	m.sign = TLS_MINT_SIGN_TRUSTED;
	crt = tls_mint(&m, &key);
	if (crt != NULL && (ctx = SSL_CTX_new(TLS_server_method())) != NULL &&
	    (SSL_CTX_use_certificate(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	X509_free(crt);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	cb(arg, ctx, ctx == NULL ? "minting failed" : NULL);
	return NULL;
}

void
bump_cert_cancel(struct bump_cert_wait *w)
{
	(void)w;
}
