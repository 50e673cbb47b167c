/*
 * negotiate_hdr: the Negotiate credentials in a Proxy-Authorization value.
 * The token is passed to the helper as it came (the helper decodes it), so
 * only its alphabet is checked here: anything else in a helper line would
 * let a client forge a second request word.
 */
#include "config.h"
#include "negotiate_hdr.h"

#include <ctype.h>
#include <strings.h>

static int
negotiate_b64_char(int c)
{
	return isalnum(c) || c == '+' || c == '/';
}

int
negotiate_hdr_token(const char *value, size_t len, const char **tok,
    size_t *tok_len)
{
	const char *v = value, *end = value + len;
	size_t n, pad = 0;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - v) < 9 || strncasecmp(v, "Negotiate", 9) != 0)
		return NEGOTIATE_OTHER;
	v += 9;
	if (v == end)
		return NEGOTIATE_BAD;		/* the scheme alone */
	if (*v != ' ' && *v != '\t')
		return NEGOTIATE_OTHER;		/* "NegotiateX" */
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	n = (size_t)(end - v);
	if (n == 0)
		return NEGOTIATE_BAD;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '=' && i > 0) {
			pad++;
			continue;
		}
		if (pad > 0 || !negotiate_b64_char(c))
			return NEGOTIATE_BAD;
	}
	if (pad > 2 || pad == n)
		return NEGOTIATE_BAD;
	*tok = v;
	*tok_len = n;
	return NEGOTIATE_TOKEN;
}
