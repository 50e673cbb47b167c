/*
 * Unit tests for certgen_msg.c: the sslcrtd framing (requests in fgets
 * chunks, whitespace rules, errors, the \x01-terminated reply) and the
 * request body (key=value lines, first value wins, the PEM part, Squid's
 * error messages).
 */
#include "config.h"
#include "../../helpers/certgen/certgen.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testca.h"

static enum certgen_parse
parse_all(struct certgen_msg *m, const char *s)
{
	memset(m, 0, sizeof(*m));
	return certgen_msg_parse(m, s, strlen(s));
}

static void
test_framing(void)
{
	struct certgen_msg m;
	char *r;
	size_t len;

	is_int(parse_all(&m, "new_certificate 5 ab\ncd\n"), CERTGEN_OK,
	    "whole request in one chunk");
	is_str(m.code, "new_certificate", "code");
	is_str(m.body, "ab\ncd", "body of the announced length");
	certgen_msg_clear(&m);

	is_int(parse_all(&m, "\n \tnew_certificate\t3\t\n abc"), CERTGEN_OK,
	    "whitespace and tabs before code, length and body");
	is_str(m.body, "abc", "leading body whitespace skipped");
	certgen_msg_clear(&m);

	is_int(parse_all(&m, "new_certificate 6 ab\n"), CERTGEN_INCOMPLETE,
	    "a body spread over chunks");
	is_int(certgen_msg_parse(&m, "cd\n", 3), CERTGEN_OK, "completed");
	is_str(m.body, "ab\ncd\n", "joined");
	certgen_msg_clear(&m);

	is_int(parse_all(&m, "x 2 abEXTRA"), CERTGEN_OK, "rest of chunk dropped");
	is_str(m.body, "ab", "only the counted bytes");
	certgen_msg_clear(&m);

	is_int(parse_all(&m, "new_certificate 0 \n"), CERTGEN_OK, "empty body");
	is_str(m.body, "", "empty");
	certgen_msg_clear(&m);

	is_int(parse_all(&m, "123 3 abc"), CERTGEN_ERROR, "code must start alpha");
	is_int(parse_all(&m, "new-cert 3 abc"), CERTGEN_ERROR, "no '-' in code");
	is_int(parse_all(&m, "new_certificate x abc"), CERTGEN_ERROR,
	    "length must be digits");
	is_int(parse_all(&m, "new_certificate 3x abc"), CERTGEN_ERROR,
	    "length ends at whitespace");
	is_int(parse_all(&m, "new_certificate"), CERTGEN_INCOMPLETE, "partial");
	certgen_msg_clear(&m);

	r = certgen_reply("OK", "PEM\n", 4, &len);
	is_int(len, 10, "reply length");
	ok(memcmp(r, "OK 4 PEM\n\x01", 10) == 0, "OK length body \\x01");
	free(r);
}

static char *
body(const char *params, int mimic)
{
	char *ca = testca_pem(testca, testca_key);
	char *o = mimic ? testca_pem(testca_origin, NULL) : strdup("");
	char *s = malloc(strlen(params) + strlen(ca) + strlen(o) + 4);

	sprintf(s, "%s\n%s%s%s", params, ca, mimic ? " " : "", o);
	free(ca);
	free(o);
	return s;
}

static const char *
req_err(const char *params, int mimic)
{
	static char buf[256];
	struct tls_mint_req req;
	char *b = body(params, mimic), *err = NULL;

	if (certgen_req_parse(b, &req, &err) == 0) {
		snprintf(buf, sizeof(buf), "(ok)");
		certgen_req_free(&req);
	} else
		snprintf(buf, sizeof(buf), "%s", err);
	free(err);
	free(b);
	return buf;
}

static void
test_body(void)
{
	struct tls_mint_req req;
	char *b, *err = NULL;

	b = body("host=a.test\nhost=b.test\nsetValidAfter=ON\n"
	    "setValidBefore=off\nSign=signSelf\nSignHash=SHA384", 1);
	is_int(certgen_req_parse(b, &req, &err), 0, "body parses");
	is_str(req.cn, "a.test", "the first value of a key wins");
	ok(req.set_valid_after && !req.set_valid_before, "on is caseless");
	is_int(req.sign, TLS_MINT_SIGN_SELF, "Sign");
	is_int(EVP_MD_get_type(req.md), NID_sha384, "SignHash");
	ok(req.ca_cert && req.ca_key && req.mimic, "CA, key and mimic cert");
	ok(X509_cmp(req.mimic, testca_origin) == 0, "the mimic cert after ' '");
	certgen_req_free(&req);
	free(b);

	b = body("host=a.test\r\nsetCommonName=forced.test", 0);
	is_int(certgen_req_parse(b, &req, &err), 0, "CRLF lines");
	is_str(req.cn, "forced.test", "setCommonName becomes the CN");
	ok(req.set_common_name && req.mimic == NULL, "no mimic cert");
	is_int(req.sign, TLS_MINT_SIGN_TRUSTED, "signTrusted by default");
	is_int(EVP_MD_get_type(req.md), NID_sha256, "sha256 by default");
	certgen_req_free(&req);
	free(b);

	is_str(req_err("Sign=signTrusted", 0),
	    "Cannot find \"host\" parameter in request message", "no host");
	is_str(req_err("host=h\nSign=bogus", 0),
	    "Wrong signing algoritm: bogus", "bad Sign");
	is_str(req_err("host=h\nSignHash=NOPE", 0), "Wrong signing hash: NOPE",
	    "bad SignHash");
	is_int(certgen_req_parse("host=h\n", &req, &err), -1, "no PEM part");
	is_str(err, "Broken signing certificate!", "message");
	free(err);
}

int
main(void)
{
	testca_init();
	test_framing();
	test_body();
	return tap_done();
}
