/*
 * libFuzzer target for the Digest credentials parser (lib/digest_parse.c).
 * Input: the bytes of a Proxy-Authorization value after "Digest ".
 * Properties: each field is a string without the input's NULs cut into
 * it, nc holds at most 8 characters, a credential that passes the checks
 * has every field a check needs, and its request-digest is 32 lowercase
 * hex digits.
 */
#include "config.h"
#include "digest_parse.h"

#include <stdint.h>

#include "fuzz.h"

static void
fuzz_field(const char *f)
{
	if (f != NULL)
		FUZZ_CHECK(f[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_copy(data, size, 0), out[DIGEST_HEX_LEN + 1];
	struct digest_cred c;

	for (int utf8 = 0; utf8 < 2; utf8++) {
		memset(&c, 0, sizeof(c));
		digest_cred_parse(in, size, utf8, &c);
		fuzz_field(c.username);
		fuzz_field(c.realm);
		fuzz_field(c.uri);
		FUZZ_CHECK(strlen(c.nc) <= 8);
		if (digest_cred_check(&c) == NULL) {
			FUZZ_CHECK(c.username != NULL && c.realm != NULL &&
			    c.nonce != NULL && c.uri != NULL &&
			    strlen(c.response) == DIGEST_HEX_LEN);
			digest_response("0123456789abcdefABCDEF0123456789",
			    &c, "GET", out);
			FUZZ_CHECK(strlen(out) == DIGEST_HEX_LEN &&
			    strspn(out, "0123456789abcdef") == DIGEST_HEX_LEN);
		}
		digest_cred_free(&c);
	}
	free(in);
	return 0;
}
