/*
 * libFuzzer target for http_parse_response() and the chunked decoder.  The
 * first byte picks the request method; a chunked response's body is fed to
 * http_chunked_feed() in pieces whose sizes the input also picks, and the
 * body decoded that way must equal the body decoded from one call per span.
 * Inputs that do not start like a response go straight to the decoder.
 * A parsed response's Content-Range is read as the cache reads a 206's.
 */
#include "config.h"
#include "cache_rules.h"
#include "http_parse.h"

#include <stdint.h>

#include "fuzz.h"

struct fuzz_decoded {
	enum http_parse_result r;
	size_t	 used;			/* input bytes consumed */
	char	*body;
	size_t	 blen;
};

/*
 * Decode in[0..len) feeding at most step bytes per call (0: all).  The
 * decoder must make progress whenever it is given bytes it can use.
 */
static void
fuzz_decode(const char *in, size_t len, size_t step, struct fuzz_decoded *d)
{
	struct http_chunked c;
	size_t pos = 0, cons, off, dlen;

	http_chunked_init(&c);
	d->r = HTTP_PARSE_INCOMPLETE;
	d->blen = 0;
	d->body = malloc(len + 1);
	if (d->body == NULL)
		abort();
	while (pos < len) {
		size_t avail = len - pos;

		if (step != 0 && avail > step)
			avail = step;
		d->r = http_chunked_feed(&c, in + pos, avail, &cons, &off,
		    &dlen);
		FUZZ_CHECK((d->r == HTTP_PARSE_ERROR) ==
		    (c.error == HTTP_PERR_BAD_CHUNK));
		if (d->r == HTTP_PARSE_ERROR)
			break;
		FUZZ_CHECK(cons <= avail);
		if (dlen > 0) {
			FUZZ_CHECK(off + dlen <= cons);
			memcpy(d->body + d->blen, in + pos + off, dlen);
			d->blen += dlen;
		}
		pos += cons;
		if (d->r == HTTP_PARSE_OK) {
			FUZZ_CHECK(c.state == HTTP_CHUNK_DONE);
			break;
		}
		FUZZ_CHECK(cons > 0);	/* INCOMPLETE with input left: progress */
	}
	d->used = pos;
}

static void
fuzz_chunked(const char *in, size_t len, size_t step)
{
	struct fuzz_decoded a, b;

	fuzz_decode(in, len, 0, &a);
	fuzz_decode(in, len, step, &b);
	FUZZ_CHECK(a.r == b.r);
	if (a.r != HTTP_PARSE_ERROR) {
		FUZZ_CHECK(a.used == b.used);
		FUZZ_CHECK(a.blen == b.blen &&
		    memcmp(a.body, b.body, a.blen) == 0);
	}
	free(a.body);
	free(b.body);
}

/* A 206's Content-Range, as the cache reads it before storing a partial. */
static void
fuzz_content_range(const struct http_msg *m)
{
	const struct http_header *h = http_msg_header(m, "Content-Range");
	int64_t first, last, complete;

	if (h != NULL && cache_rules_content_range(h->value, h->value_len,
	    &first, &last, &complete) == 0)
		FUZZ_CHECK(0 <= first && first <= last && last < complete);
	if (cache_rules_partial_storable(m))
		FUZZ_CHECK(h != NULL && m->body == HTTP_BODY_LENGTH);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "CONNECT",
	    "POST", NULL };
	struct http_msg m;
	struct http_parse_error err = { 0, NULL, HTTP_PERR_NONE };
	const char *method;
	size_t step;
	char *buf;

	if (size < 2)
		return 0;
	method = methods[data[0] % 5];
	step = 1 + data[1] % 7;
	data += 2;
	size -= 2;
	buf = fuzz_copy(data, size, 0);
	if (size < 5 || memcmp(buf, "HTTP/", 5) != 0) {
		fuzz_chunked(buf, size, step);
		free(buf);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	if (http_parse_response(&m, buf, size, 65536, method,
	    method ? strlen(method) : 0, &err) == HTTP_PARSE_OK) {
		FUZZ_CHECK(m.head_len > 0 && m.head_len <= size);
		FUZZ_CHECK(m.status >= 0 && m.status <= 999);
		for (int i = 0; i < m.nhdr; i++)
			FUZZ_CHECK(m.hdr[i].value + m.hdr[i].value_len <=
			    buf + m.head_len);
		if (m.body == HTTP_BODY_CHUNKED)
			fuzz_chunked(buf + m.head_len, size - m.head_len,
			    step);
		fuzz_content_range(&m);
	} else if (err.status != 0)
		FUZZ_CHECK(err.status == 502 && err.reason != NULL &&
		    err.code != HTTP_PERR_NONE);
	http_msg_free(&m);
	free(buf);
	return 0;
}
