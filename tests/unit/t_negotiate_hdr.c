/*
 * Unit tests for negotiate_hdr: which Proxy-Authorization values carry a
 * Negotiate token, the token's bounds, and the values refused before any
 * helper sees them (no token, characters outside base64, misplaced '=').
 */
#include "config.h"
#include "negotiate_hdr.h"

#include <string.h>

#include "tap.h"

static void
check(const char *v, int want, const char *want_tok)
{
	const char *tok = NULL;
	size_t len = 0;
	int got = negotiate_hdr_token(v, strlen(v), &tok, &len);

	is_int(got, want, v);
	if (want == NEGOTIATE_TOKEN && got == want)
		ok(len == strlen(want_tok) && memcmp(tok, want_tok, len) == 0,
		    "token of \"%s\"", v);
}

int
main(void)
{
	check("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXe=",
	    NEGOTIATE_TOKEN, "YIIBhwYGKwYBBQUCoIIBezCCAXe=");
	check("negotiate abc", NEGOTIATE_TOKEN, "abc");
	check("  NEGOTIATE\t a+/b==  ", NEGOTIATE_TOKEN, "a+/b==");
	check("Basic YWxpY2U6cHc=", NEGOTIATE_OTHER, NULL);
	check("NTLM TlRMTVNTUAAB", NEGOTIATE_OTHER, NULL);
	check("NegotiateX abc", NEGOTIATE_OTHER, NULL);
	check("Negotiat", NEGOTIATE_OTHER, NULL);
	check("", NEGOTIATE_OTHER, NULL);
	check("Negotiate", NEGOTIATE_BAD, NULL);
	check("Negotiate   ", NEGOTIATE_BAD, NULL);
	check("Negotiate a b", NEGOTIATE_BAD, NULL);
	check("Negotiate a\rKK", NEGOTIATE_BAD, NULL);
	check("Negotiate @@@", NEGOTIATE_BAD, NULL);
	check("Negotiate =abc", NEGOTIATE_BAD, NULL);
	check("Negotiate ab=c", NEGOTIATE_BAD, NULL);
	check("Negotiate a===", NEGOTIATE_BAD, NULL);
	return tap_done();
}
