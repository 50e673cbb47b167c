/*
 * Body framing over a buffer, for both directions of a transaction.
 *
 * In DESIGN.md's data flow: miss - reply - to client (the body's framing,
 * both directions).
 */
#include "config.h"
#include "body.h"

void
body_init(struct body *b, enum http_body_kind kind, int64_t length)
{
	b->kind = kind;
	b->remaining = kind == HTTP_BODY_LENGTH ? length : 0;
	b->pending = 0;
	b->payload = 0;
	b->done = kind == HTTP_BODY_NONE ||
	    (kind == HTTP_BODY_LENGTH && length == 0);
	http_chunked_init(&b->ch);
	b->sink = NULL;
	b->sink_arg = NULL;
}

static void
body_copy(struct body *b, const char *p, size_t n)
{
	if (b->sink != NULL && n > 0)
		b->sink(b->sink_arg, p, n);
}

int
body_scan(struct body *b, const struct buf *src)
{
	size_t avail = buf_avail(src);

	if (b->done || avail <= b->pending)
		return 0;
	const char *p = buf_head(src) + b->pending;
	size_t n = avail - b->pending;

	switch (b->kind) {
	case HTTP_BODY_NONE:
		b->done = 1;
		return 0;
	case HTTP_BODY_LENGTH:
		if ((int64_t)n > b->remaining)
			n = (size_t)b->remaining;
		body_copy(b, p, n);
		b->remaining -= (int64_t)n;
		b->pending += n;
		b->payload += (int64_t)n;
		if (b->remaining == 0)
			b->done = 1;
		return 0;
	case HTTP_BODY_EOF:
		body_copy(b, p, n);
		b->pending += n;
		b->payload += (int64_t)n;
		return 0;
	case HTTP_BODY_CHUNKED:
		while (n > 0 && !b->done) {
			size_t used, off, dlen;
			enum http_parse_result r = http_chunked_feed(&b->ch, p,
			    n, &used, &off, &dlen);
			if (r == HTTP_PARSE_ERROR)
				return -1;
			body_copy(b, p + off, dlen);
			b->pending += used;
			b->payload += (int64_t)dlen;
			p += used;
			n -= used;
			if (r == HTTP_PARSE_OK)
				b->done = 1;
			if (used == 0)
				break;
		}
		return 0;
	}
	return 0;
}

int
body_dechunk(struct body *b, struct buf *src, struct buf *dst)
{
	while (buf_avail(src) > 0 && !b->done) {
		size_t used, off, dlen;
		enum http_parse_result r = http_chunked_feed(&b->ch,
		    buf_head(src), buf_avail(src), &used, &off, &dlen);
		if (r == HTTP_PARSE_ERROR)
			return -1;
		if (dlen > 0) {
			buf_append(dst, buf_head(src) + off, dlen);
			body_copy(b, buf_head(src) + off, dlen);
		}
		b->payload += (int64_t)dlen;
		buf_consume(src, used);
		if (r == HTTP_PARSE_OK)
			b->done = 1;
		if (used == 0)
			break;
	}
	return 0;
}

void
body_eof(struct body *b)
{
	if (b->kind == HTTP_BODY_EOF)
		b->done = 1;
}
