/*
 * libFuzzer target: the Negotiate token in a client's Proxy-Authorization.
 * A token found lies within the value and holds only base64 characters,
 * so it cannot add words or lines to the helper request it goes into.
 */
#include "config.h"
#include "negotiate_hdr.h"

#include <ctype.h>
#include <stdint.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size, 0);
	const char *tok;
	size_t len;

	if (negotiate_hdr_token(s, size, &tok, &len) == NEGOTIATE_TOKEN) {
		FUZZ_CHECK(len > 0 && tok > s && tok + len <= s + size);
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(isalnum((unsigned char)tok[i]) ||
			    tok[i] == '+' || tok[i] == '/' || tok[i] == '=');
	}
	free(s);
	return 0;
}
