/*
 * libFuzzer target for the helper reply side: framing a stream into lines
 * (and into sslcrtd replies), splitting channel IDs and parsing each reply into its result, notes and
 * text, then reading the notes back as the pools and access.log do.
 */
#include "config.h"
#include "helper_reply.h"

#include <stdint.h>

#include "fuzz.h"
#include "notes.h"

/* The reply as transaction annotations, merged the ways the worker does. */
static void
fuzz_annotations(const struct helper_reply *r)
{
	static const char *const appendables[] = { "group", "tag", NULL };
	struct notes ns = { NULL, 0, 0 }, acc = { NULL, 0, 0 };
	char *s;

	helper_reply_to_notes(r, &ns);
	FUZZ_CHECK(ns.n == r->nkv);
	notes_replace_or_add_or_append(&acc, &ns, appendables);
	notes_replace_or_add_or_append(&acc, &ns, appendables);
	notes_replace_or_add(&acc, &ns);
	FUZZ_CHECK(acc.n >= ns.n);
	notes_append_new_only(&acc, &ns);
	free(notes_to_string(&acc, "\r\n"));
	if (ns.n > 0) {
		s = notes_find(&acc, ns.v[0].key, ",");
		FUZZ_CHECK(s != NULL);
		free(s);
	}
	notes_free(&acc);
	notes_free(&ns);
}

static void
fuzz_reply(const char *line, size_t len, int with_id)
{
	struct helper_reply r;
	const char *rest = line;
	size_t rest_len = len;
	uint64_t id;
	char *notes;

	if (with_id && helper_reply_split_id(line, len, &id, &rest,
	    &rest_len) == 0)
		FUZZ_CHECK(rest >= line && rest + rest_len <= line + len);
	memset(&r, 0, sizeof(r));
	helper_reply_parse(&r, rest, rest_len);
	FUZZ_CHECK(r.text != NULL && r.line != NULL);
	FUZZ_CHECK(r.nkv >= 0);
	for (int i = 0; i < r.nkv; i++)
		FUZZ_CHECK(r.kv[i].key != NULL && r.kv[i].value != NULL);
	(void)helper_result_name(r.result);
	(void)helper_reply_get(&r, "message");
	(void)helper_reply_get(&r, "rewrite-url");
	notes = helper_reply_notes_append(NULL, &r);
	notes = helper_reply_notes_append(notes, &r);
	free(notes);
	fuzz_annotations(&r);
	helper_reply_free(&r);
}

/* The sslcrtd framing on the same bytes: replies, or broken, never past the end. */
static void
fuzz_certgen(const char *buf, size_t size)
{
	size_t pos = 0, used, len, blen;
	const char *body;

	while (pos < size && (used = helper_frame_certgen(buf + pos,
	    size - pos, &len)) != 0 && used != HELPER_FRAME_BROKEN) {
		FUZZ_CHECK(used <= size - pos && len + 1 == used);
		char *msg = fuzz_copy((const unsigned char *)buf + pos, len, 0);
		enum helper_result res = helper_certgen_reply(msg, len, &body,
		    &blen);
		FUZZ_CHECK(res != HELPER_UNKNOWN);
		FUZZ_CHECK(body >= msg && body + blen == msg + len);
		free(msg);
		pos += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size, 0);
	size_t pos = 0, used, len;
	int with_id = size > 0 && (data[0] & 1);

	fuzz_certgen(buf, size);

	while (pos < size && (used = helper_frame_line(buf + pos,
	    size - pos, &len)) != 0) {
		FUZZ_CHECK(used <= size - pos && len < used);
		/* each reply parsed from its own exact-size buffer */
		char *line = fuzz_copy((const unsigned char *)buf + pos, len, 0);

		fuzz_reply(line, len, with_id);
		free(line);
		pos += used;
	}
	/* and the unterminated rest, as a helper that exits mid-line */
	if (pos < size)
		fuzz_reply(buf + pos, size - pos, with_id);
	free(buf);
	return 0;
}
