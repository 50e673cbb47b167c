/*
 * libFuzzer target: the learned splice file (ssl_bump_learn_splice_file),
 * which any worker, an operator's editor or a crash mid-write may have
 * left in any state.  Beyond the sanitizers it checks that what was read
 * formats into a file that reads back cleanly to the same entries, and
 * that formatting that again gives the same bytes (escaping round-trips).
 */
#include "config.h"
#include "learn_splice.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define FUZZ_NOW	1000000000

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct learn_splice_list l, m;
	size_t len, len2;
	char *text, *text2;

	learn_splice_init(&l);
	learn_splice_init(&m);
	learn_splice_parse(&l, (const char *)data, size, FUZZ_NOW, NULL, NULL);
	for (size_t i = 0; i < l.n; i++) {
		FUZZ_CHECK(l.v[i].expiry > FUZZ_NOW);
		FUZZ_CHECK(l.v[i].name[0] != '\0' && l.v[i].reason[0] != '\0');
		FUZZ_CHECK(learn_splice_find(&l, l.v[i].client, l.v[i].name,
		    FUZZ_NOW) == &l.v[i]);
	}
	text = learn_splice_format(&l, FUZZ_NOW, &len);
	FUZZ_CHECK(strlen(text) == len);
	FUZZ_CHECK(learn_splice_parse(&m, text, len, FUZZ_NOW, NULL, NULL) ==
	    0);
	FUZZ_CHECK(m.n == l.n);
	for (size_t i = 0; i < l.n; i++)
		FUZZ_CHECK(m.v[i].expiry == l.v[i].expiry &&
		    strcmp(m.v[i].client, l.v[i].client) == 0 &&
		    strcmp(m.v[i].name, l.v[i].name) == 0 &&
		    strcmp(m.v[i].reason, l.v[i].reason) == 0);
	text2 = learn_splice_format(&m, FUZZ_NOW, &len2);
	FUZZ_CHECK(len2 == len && memcmp(text, text2, len) == 0);
	free(text);
	free(text2);
	learn_splice_free(&l);
	learn_splice_free(&m);
	return 0;
}
