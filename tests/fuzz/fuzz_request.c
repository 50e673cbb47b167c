/*
 * libFuzzer target for http_parse_request(): no input may make it read past
 * the buffer, and a head it accepts must be self-consistent: every pointer
 * inside the head, and the same answer when given exactly the head.
 */
#include "config.h"
#include "http_parse.h"

#include <stdint.h>

#include "fuzz.h"

static void
fuzz_inside(const char *buf, size_t head, const char *p, size_t len)
{
	if (len == 0)
		return;
	FUZZ_CHECK(p >= buf && p + len <= buf + head);
}

static void
fuzz_check_msg(const struct http_msg *m, const char *buf, size_t len)
{
	FUZZ_CHECK(m->head_len > 0 && m->head_len <= len);
	fuzz_inside(buf, m->head_len, m->method, m->method_len);
	fuzz_inside(buf, m->head_len, m->target, m->target_len);
	FUZZ_CHECK(m->nhdr >= 0 && m->nhdr <= m->hdr_cap);
	for (int i = 0; i < m->nhdr; i++) {
		fuzz_inside(buf, m->head_len, m->hdr[i].name,
		    m->hdr[i].name_len);
		fuzz_inside(buf, m->head_len, m->hdr[i].value,
		    m->hdr[i].value_len);
	}
	FUZZ_CHECK(m->body != HTTP_BODY_LENGTH || m->content_length >= 0);
	(void)http_msg_header(m, "Host");
	(void)http_msg_has_token(m, "Connection", "close");
	(void)http_msg_has_token(m, "Transfer-Encoding", "chunked");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_msg m, m2;
	struct http_parse_error err = { 0, NULL };
	enum http_parse_result r, r2;
	size_t max_head = 65536;
	char *buf;

	/* the first byte sometimes picks a small request_header_max_size */
	if (size > 0 && data[0] < 8) {
		max_head = 16 + (size_t)data[0] * 32;
		data++;
		size--;
	}
	buf = fuzz_copy(data, size, 0);
	memset(&m, 0, sizeof(m));
	memset(&m2, 0, sizeof(m2));
	r = http_parse_request(&m, buf, size, max_head, &err);
	if (r == HTTP_PARSE_ERROR)
		FUZZ_CHECK(err.status >= 400 && err.status < 600 &&
		    err.reason != NULL);
	if (r == HTTP_PARSE_OK) {
		fuzz_check_msg(&m, buf, size);
		/* the head alone must parse the same way */
		r2 = http_parse_request(&m2, buf, m.head_len, max_head, &err);
		FUZZ_CHECK(r2 == HTTP_PARSE_OK);
		FUZZ_CHECK(m2.head_len == m.head_len && m2.nhdr == m.nhdr &&
		    m2.body == m.body);
		/* and one byte less is never a complete head */
		r2 = http_parse_request(&m2, buf, m.head_len - 1, max_head,
		    &err);
		FUZZ_CHECK(r2 != HTTP_PARSE_OK);
	}
	http_msg_free(&m);
	http_msg_free(&m2);
	free(buf);
	return 0;
}
