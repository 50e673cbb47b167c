/*
 * libFuzzer target for url_regex_rewrite: a rules file (rules_parse) and
 * request lines (rwline_parse, rules_match, the answer).  Every request is
 * matched with the prefilter on and off, which must agree: the prefilter
 * may only skip rules that cannot match.  Each answer must be exactly one
 * line.  Input: a flags byte (bit 0: store-ID mode; bits 1-2: the result
 * buffer's size), the rules, a NUL, then request lines.
 */
#include "config.h"
#include "../../helpers/rewrite/rules.h"
#include "../../helpers/rewrite/rwline.h"

#include <stdint.h>

#include "buf.h"
#include "fuzz.h"

static void
fuzz_request(struct rules *rs, const char *line, size_t len, int flags,
    size_t outsz)
{
	static char res_on[4096], res_off[4096];
	struct rules_match on, off;
	struct rwline rq;
	struct buf out;
	const char *why;
	char *copy = fuzz_copy((const unsigned char *)line, len, 1);

	buf_init(&out);
	if (rwline_parse(copy, len, &rq, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		rwline_bh(&out, &rq, why);
	} else {
		FUZZ_CHECK(rq.url >= copy && rq.url <= copy + len);
		FUZZ_CHECK(rq.url[0] != '\0');
		rules_set_prefilter(rs, 0);
		rules_match(rs, rq.url, res_off, outsz, &off);
		rules_set_prefilter(rs, 1);
		rules_match(rs, rq.url, res_on, outsz, &on);
		FUZZ_CHECK(on.action == off.action);
		FUZZ_CHECK(on.line == off.line && on.status == off.status);
		FUZZ_CHECK(on.len == off.len);
		FUZZ_CHECK(strcmp(res_on, res_off) == 0);
		FUZZ_CHECK(on.action != RULES_REWRITE || on.len < outsz);
		rwline_answer(&out, &rq, &on, res_on, flags & RULES_STORE_ID);
	}
	FUZZ_CHECK(buf_avail(&out) > 0);
	FUZZ_CHECK(memchr(buf_head(&out), '\n', buf_avail(&out)) ==
	    buf_head(&out) + buf_avail(&out) - 1);
	buf_free(&out);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outsz[] = { 1, 8, 64, 4096 };
	const char *text, *sep, *p, *end, *nl;
	struct rules *rs;
	char *errs;
	int flags;

	if (size < 1)
		return 0;
	flags = data[0] & 1 ? RULES_STORE_ID : 0;
	text = (const char *)data + 1;
	end = (const char *)data + size;
	if ((sep = memchr(text, '\0', (size_t)(end - text))) == NULL)
		sep = end;
	rs = rules_parse("fuzz", text, (size_t)(sep - text), flags, &errs);
	if (rs == NULL) {
		FUZZ_CHECK(errs != NULL && strncmp(errs, "fuzz", 4) == 0);
		FUZZ_CHECK(errs[strlen(errs) - 1] == '\n');
		free(errs);
		return 0;
	}
	FUZZ_CHECK(errs == NULL);
	for (p = sep < end ? sep + 1 : end; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		fuzz_request(rs, p, (size_t)(nl - p), flags,
		    outsz[(data[0] >> 1) & 3]);
	}
	rules_free(rs);
	return 0;
}
