/*
 * libFuzzer target: the Alt-Svc filter of bumped responses.  Beyond the
 * sanitizers it checks the output stays within its documented room and
 * that filtering is idempotent (what is kept has nothing more to drop).
 */
#include "config.h"
#include "alt_svc.h"

#include <stdint.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size, 0);
	char *out = malloc(2 * size + 1), *again = malloc(4 * size + 1);
	size_t n = alt_svc_without_h3(s, size, out);

	FUZZ_CHECK(n <= 2 * size);
	size_t m = alt_svc_without_h3(out, n, again);
	FUZZ_CHECK(m == n && memcmp(out, again, n) == 0);
	free(again);
	free(out);
	free(s);
	return 0;
}
