/*
 * Unit tests for uri_whitespace (uri_ws.c): each mode on origin-form and
 * absolute-form targets, whitespace in the authority, and the outputs
 * Squid 5.7 gave for the same targets (test_uri_whitespace.py checks them
 * end to end against Squid).
 */
#include "config.h"
#include "uri_ws.h"

#include <string.h>

#include "buf.h"
#include "tap.h"

/* The mode applied to in: the result, or "REFUSED". */
static const char *
t_apply(enum uri_ws mode, const char *in)
{
	static char out[256];
	struct buf b;

	buf_init(&b);
	if (uri_ws_apply(mode, in, strlen(in), &b) == -1) {
		buf_free(&b);
		return "REFUSED";
	}
	memcpy(out, buf_head(&b) ? buf_head(&b) : "", buf_avail(&b));
	out[buf_avail(&b)] = '\0';
	buf_free(&b);
	return out;
}

int
main(void)
{
	const char *q = "/a\tb?q= 1&r=\t2";

	is_str(t_apply(URI_WS_STRIP, "/a b"), "/ab", "strip");
	is_str(t_apply(URI_WS_STRIP, q), "/ab?q=1&r=2", "strip, query too");
	is_str(t_apply(URI_WS_CHOP, "/a b"), "/a", "chop");
	is_str(t_apply(URI_WS_CHOP, q), "/a", "chop at the first");
	is_str(t_apply(URI_WS_ENCODE, q), "/a%09b?q=%201&r=%092", "encode");
	is_str(t_apply(URI_WS_ENCODE, "/a b<c>%41"), "/a%20b%3Cc%3E%41",
	    "encode: unsafe bytes too, %% kept");
	is_str(t_apply(URI_WS_DENY, "/a b"), "REFUSED", "deny");

	/* absolute-form: the mode applies from the path on */
	is_str(t_apply(URI_WS_CHOP, "http://h:8/a b"), "http://h:8/a",
	    "chop absolute");
	is_str(t_apply(URI_WS_ENCODE, "http://h/a b"), "http://h/a%20b",
	    "encode absolute");
	is_str(t_apply(URI_WS_CHOP, "http://h?a b"), "http://h?a",
	    "chop: a query right after the authority");
	/* whitespace before the path: only strip may go on */
	is_str(t_apply(URI_WS_STRIP, "http://h o/a"), "http://ho/a",
	    "strip in the authority");
	is_str(t_apply(URI_WS_CHOP, "http://h o/a"), "REFUSED",
	    "chop in the authority");
	is_str(t_apply(URI_WS_ENCODE, "http://h:1 /a"), "REFUSED",
	    "encode in the authority");
	is_str(t_apply(URI_WS_ENCODE, "ht tp://h/a"), "REFUSED",
	    "encode in the scheme");
	is_str(t_apply(URI_WS_CHOP, "h o:443"), "REFUSED",
	    "chop in an authority-form target");
	is_str(t_apply(URI_WS_STRIP, "h o:443"), "ho:443",
	    "strip in an authority-form target");
	return tap_done();
}
