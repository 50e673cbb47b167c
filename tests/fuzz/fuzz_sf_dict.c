/*
 * libFuzzer target: the Structured Field Dictionary parser behind
 * targeted_cache_control (CDN-Cache-Control).  Beyond the sanitizers it
 * checks that every key and value handed out lies inside the input, that
 * keys are non-empty and lowercase, and that the member count is the same
 * with and without a callback.
 */
#include "config.h"
#include "sf_dict.h"

#include <stdint.h>

#include "fuzz.h"

static const char *fuzz_lo, *fuzz_hi;

static void
fuzz_member(void *arg, const char *k, size_t kl, const struct sf_value *v)
{
	(void)arg;
	FUZZ_CHECK(kl > 0 && k >= fuzz_lo && k + kl <= fuzz_hi);
	for (size_t i = 0; i < kl; i++)
		FUZZ_CHECK(!(k[i] >= 'A' && k[i] <= 'Z'));
	if (v->type != SF_INTEGER && v->type != SF_BOOLEAN &&
	    v->text != NULL)
		FUZZ_CHECK(v->text >= fuzz_lo &&
		    v->text + v->text_len <= fuzz_hi);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size, 0);

	fuzz_lo = s;
	fuzz_hi = s + size;
	int a = sf_dict_parse(s, size, fuzz_member, NULL);
	int b = sf_dict_parse(s, size, NULL, NULL);
	FUZZ_CHECK(a == b && a >= -1);
	free(s);
	return 0;
}
