/*
 * Unit tests for digest_parse: the Digest credentials list as Squid 5.7
 * reads it (quoted and bare values, escapes, commas inside quotes, uri
 * that must be quoted, qop with or without quotes, repeated and unknown
 * names, nc longer than 8), the checks made before the nonce is looked at,
 * and the RFC 2617 request-digest (the RFC's own example, MD5-sess, no
 * qop).
 */
#include "config.h"
#include "digest_parse.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"

static struct digest_cred c;

static void
parse(const char *s, int utf8)
{
	digest_cred_free(&c);
	digest_cred_parse(s, strlen(s), utf8, &c);
}

static void
t_fields(void)
{
	parse("username=\"Mufasa\", realm=\"testrealm@host.com\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
	    "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
	    "response=\"6629fae49393a05397450978507c4ef1\", "
	    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", 0);
	is_str(c.username, "Mufasa", "username");
	is_str(c.realm, "testrealm@host.com", "realm");
	is_str(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "nonce");
	is_str(c.uri, "/dir/index.html", "uri");
	is_str(c.qop, "auth", "bare qop");
	is_str(c.nc, "00000001", "nc");
	is_str(c.cnonce, "0a4f113b", "cnonce");
	is_str(c.response, "6629fae49393a05397450978507c4ef1", "response");
	ok(digest_cred_check(&c) == NULL, "the RFC's example passes the checks");
	is_str(c.algorithm, "MD5", "algorithm defaults to MD5");
}

static void
t_quoting(void)
{
	parse("username=\"a\\\"b, c\",realm=r", 0);
	is_str(c.username, "a\"b, c", "escape and comma inside quotes");
	is_str(c.realm, "r", "bare value after a quoted one with no space");
	is_str(digest_cred_check(&c), "Unacceptable username",
	    "a quote in the username is refused");
	parse("uri=/bare, qop=\"auth\", realm=\"unterminated", 0);
	ok(c.uri == NULL, "an unquoted uri is no uri (Squid)");
	is_str(c.qop, "auth", "quoted qop");
	ok(c.realm == NULL, "an unterminated quoted string drops the item");
	parse("username=a, username=\"b\", Username=c, user name=d", 0);
	is_str(c.username, "b", "names are case-sensitive; the last wins");
	parse("username=, realm=\"\", =x, , ,nonce", 0);
	ok(c.username == NULL && c.realm == NULL && c.nonce == NULL,
	    "empty values and names are nothing");
	parse("nc=000000001", 0);
	ok(strlen(c.nc) == 8 && c.nc_long, "a long nc is cut and marked");
	parse("username=\"\xfc\"", 1);
	is_str(c.username, "\xc3\xbc", "utf8: Latin-1 username converted");
	parse("username=\"\xc3\xbc\"", 1);
	is_str(c.username, "\xc3\xbc", "utf8: UTF-8 username kept");
	parse("username=\"\xfc\"", 0);
	is_str(c.username, "\xfc", "without utf8 the bytes stay");
}

static void
t_checks(void)
{
	static const struct {
		const char *in, *why;
	} v[] = {
		{ "realm=r, nonce=n, uri=\"/\", response=\"0123456789abcdef"
		    "0123456789abcdef\"", "Empty or not present username" },
		{ "username=u, nonce=n, uri=\"/\"", "Empty or not present realm" },
		{ "username=u, realm=r, uri=\"/\"", "Empty or not present nonce" },
		{ "username=u, realm=r, nonce=n", "Missing URI field" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response=abc",
		    "Response length invalid" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response="
		    "0123456789abcdef0123456789abcdef, algorithm=SHA-256",
		    "invalid algorithm specified!" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response="
		    "0123456789abcdef0123456789abcdef, qop=auth-int",
		    "Invalid qop option received" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response="
		    "0123456789abcdef0123456789abcdef, qop=auth, nc=00000001",
		    "Missing cnonce field" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response="
		    "0123456789abcdef0123456789abcdef, qop=auth, cnonce=x, "
		    "nc=0000000g", "invalid nonce count" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response="
		    "0123456789abcdef0123456789abcdef, cnonce=x",
		    "missing qop!" },
		{ "username=u, realm=r, nonce=n, uri=\"/\", response="
		    "0123456789abcdef0123456789abcdef, algorithm=MD5-sess", NULL },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		parse(v[i].in, 0);
		is_str(digest_cred_check(&c), v[i].why, "check: %s", v[i].in);
	}
}

static void
t_response(void)
{
	char ha1[DIGEST_HEX_LEN + 1], out[DIGEST_HEX_LEN + 1];
	const char *a1 = "Mufasa:testrealm@host.com:Circle Of Life";

	digest_md5_hex(a1, strlen(a1), ha1);
	parse("username=\"Mufasa\", realm=\"testrealm@host.com\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
	    "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
	    "response=\"6629fae49393a05397450978507c4ef1\"", 0);
	(void)digest_cred_check(&c);
	digest_response(ha1, &c, "GET", out);
	is_str(out, "6629fae49393a05397450978507c4ef1", "RFC 2617 3.5 example");
	for (char *p = ha1; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	digest_response(ha1, &c, "GET", out);
	is_str(out, "6629fae49393a05397450978507c4ef1", "uppercase HA1");
	/* no qop: MD5(HA1:nonce:HA2), values from Python's hashlib */
	parse("username=u, realm=r, nonce=n, uri=\"/x\", response="
	    "0123456789abcdef0123456789abcdef", 0);
	(void)digest_cred_check(&c);
	digest_md5_hex("u:r:p", 5, ha1);
	digest_response(ha1, &c, "GET", out);
	is_str(out, "3042aef13752cb1d63f6787a080ffdfc", "RFC 2069 form");
	parse("username=u, realm=r, nonce=n, uri=\"/x\", response="
	    "0123456789abcdef0123456789abcdef, qop=auth, nc=00000002, "
	    "cnonce=c, algorithm=MD5-sess", 0);
	ok(digest_cred_check(&c) == NULL, "MD5-sess passes");
	digest_response(ha1, &c, "POST", out);
	is_str(out, "653c80a9aef131a45f9ce70b3bdd5f5e", "MD5-sess");
}

int
main(void)
{
	log_init("t_digest_parse", 0);
	t_fields();
	t_quoting();
	t_checks();
	t_response();
	digest_cred_free(&c);
	return tap_done();
}
