/*
 * Unit tests for alt_svc.c: which Alt-Svc alternatives a bumped response
 * keeps.
 */
#include "config.h"
#include "alt_svc.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void
check(const char *in, const char *want)
{
	size_t len = strlen(in);
	char *out = malloc(2 * len + 1);
	size_t n = alt_svc_without_h3(in, len, out);

	out[n] = '\0';
	is_str(out, want, "'%s'", in);
	ok(n <= 2 * len, "'%s': within 2 * len", in);
	free(out);
}

int
main(void)
{
	check("h3=\":443\"; ma=86400", "");
	check("h3=\":443\"; ma=86400, h3-29=\":443\"; ma=86400", "");
	check("h3=\":443\"; ma=2592000,h3-29=\":443\"; ma=2592000,"
	    "h3-Q050=\":443\"; ma=2592000,quic=\":443\"; ma=2592000; v=\"46,43\"",
	    "");
	check("h2=\"alt.example.com:443\", h3=\":443\"",
	    "h2=\"alt.example.com:443\"");
	check("H3=\":443\", h2=\":8443\"; ma=60; persist=1",
	    "h2=\":8443\"; ma=60; persist=1");
	check("clear", "clear");
	check("h2=\"a,h3=b\"", "h2=\"a,h3=b\"");
	check("h2=\"a\\\",h3\", h3=\":1\"", "h2=\"a\\\",h3\"");
	check("h3x=\":443\"", "h3x=\":443\"");
	check("h2=\":1\",h2=\":2\",h2=\":3\"", "h2=\":1\", h2=\":2\", h2=\":3\"");
	check(",,, ,", "");
	check("  h2=\":1\"  ,  ", "h2=\":1\"");
	check("h2=\"unterminated, h3=\":443\"", "h2=\"unterminated, h3=\":443\"");
	check("", "");
	return tap_done();
}
