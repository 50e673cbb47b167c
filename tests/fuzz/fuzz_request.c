/*
 * libFuzzer target for http_parse_request() and the request-target URL
 * parser behind it: no input may make them read past the buffer, a head
 * accepted must be self-consistent (every pointer inside the head, the same
 * answer when given exactly the head), and the canonical URL formatted from
 * a parsed target must parse again to the same text (it is the cache key).
 * A target with whitespace goes through every uri_whitespace mode, and the
 * head rebuilt around the result as the worker rebuilds it must parse with
 * no whitespace left in its target.
 */
#include "config.h"
#include "http_parse.h"

#include <stdint.h>

#include "buf.h"
#include "uri_ws.h"
#include "url.h"

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

/* Parse the target as the worker does, then check the canonical form. */
static void
fuzz_url(const struct http_msg *m)
{
	struct url u, u2;
	char canon[8192], again[8192], small[8];
	size_t n, n2;
	int connect = m->method_len == 7 &&
	    memcmp(m->method, "CONNECT", 7) == 0;
	char *target = fuzz_copy((const unsigned char *)m->target,
	    m->target_len, 0);

	if ((connect ? url_parse_authority(&u, target, m->target_len) :
	    url_parse_absolute(&u, target, m->target_len)) != URL_OK) {
		(void)url_is_origin_form(target, m->target_len);
		(void)url_strip_query_len(target, m->target_len);
		free(target);
		return;
	}
	FUZZ_CHECK(memchr(u.host, '\0', sizeof(u.host)) != NULL);
	FUZZ_CHECK(u.port >= 0 && u.port <= 65535);
	n = connect ? url_format_host_port(&u, canon, sizeof(canon)) :
	    url_format(&u, 0, canon, sizeof(canon));
	n2 = connect ? url_format_host_port(&u, small, sizeof(small)) :
	    url_format(&u, 1, small, sizeof(small));
	FUZZ_CHECK(strlen(small) < sizeof(small));
	(void)n2;
	if (n < sizeof(canon)) {
		FUZZ_CHECK(strlen(canon) == n);
		FUZZ_CHECK((connect ? url_parse_authority(&u2, canon, n) :
		    url_parse_absolute(&u2, canon, n)) == URL_OK);
		n2 = connect ? url_format_host_port(&u2, again,
		    sizeof(again)) : url_format(&u2, 0, again, sizeof(again));
		FUZZ_CHECK(n2 == n && memcmp(canon, again, n) == 0);
	}
	free(target);
}

static int
fuzz_has_ws(const char *p, size_t n)
{
	return memchr(p, ' ', n) != NULL || memchr(p, '\t', n) != NULL;
}

/* Each uri_whitespace mode, then the rebuilt head (xact_access.c). */
static void
fuzz_uri_ws(const struct http_msg *m, const char *buf)
{
	static const enum uri_ws modes[] = {
		URI_WS_STRIP, URI_WS_DENY, URI_WS_ENCODE, URI_WS_CHOP
	};
	size_t before = (size_t)(m->target - buf);
	size_t after = before + m->target_len;

	FUZZ_CHECK(fuzz_has_ws(m->target, m->target_len) == m->target_ws);
	if (!m->target_ws)
		return;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct buf t, head;
		struct http_msg m2;
		struct http_parse_error err;

		buf_init(&t);
		buf_init(&head);
		memset(&m2, 0, sizeof(m2));
		if (uri_ws_apply(modes[i], m->target, m->target_len, &t) == 0) {
			FUZZ_CHECK(modes[i] != URI_WS_DENY);
			FUZZ_CHECK(!fuzz_has_ws(buf_head(&t), buf_avail(&t)));
			buf_append(&head, buf, before);
			buf_append(&head, buf_head(&t), buf_avail(&t));
			buf_append(&head, buf + after, m->head_len - after);
			if (http_parse_request(&m2, buf_head(&head),
			    buf_avail(&head), buf_avail(&head), &err) ==
			    HTTP_PARSE_OK)
				FUZZ_CHECK(!m2.target_ws &&
				    m2.target_len == buf_avail(&t));
		} else
			FUZZ_CHECK(modes[i] != URI_WS_STRIP);
		http_msg_free(&m2);
		buf_free(&t);
		buf_free(&head);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_msg m, m2;
	struct http_parse_error err = { 0, NULL, HTTP_PERR_NONE };
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
		    err.reason != NULL && err.code != HTTP_PERR_NONE &&
		    (err.code == HTTP_PERR_HEAD_TOO_LARGE) ==
		    (err.status == 414 || err.status == 431));
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
		fuzz_url(&m);
		fuzz_uri_ws(&m, buf);
	}
	http_msg_free(&m);
	http_msg_free(&m2);
	free(buf);
	return 0;
}
