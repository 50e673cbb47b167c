/*
 * Message body framing as it streams through: counts Content-Length bytes or
 * walks chunked encoding, so the relay knows how many bytes at the head of a
 * buffer belong to the current message and when the message ends, without
 * copying the bytes.
 */
#ifndef CUTTLE_BODY_H
#define CUTTLE_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http_parse.h"

struct body {
	enum http_body_kind kind;
	int64_t		 remaining;	/* HTTP_BODY_LENGTH */
	struct http_chunked ch;
	size_t		 pending;	/* validated bytes at the buffer head */
	int64_t		 payload;	/* payload bytes seen so far */
	int		 done;
	/* non-NULL: every payload byte is also given to sink (the cache) */
	void		(*sink)(void *arg, const char *p, size_t n);
	void		*sink_arg;
};

void body_init(struct body *b, enum http_body_kind kind, int64_t length);
/*
 * Validate bytes of src beyond b->pending.  Afterwards b->pending bytes at
 * the head of src belong to this message (to be forwarded as they are) and
 * b->done says whether the message ends there.  -1 on broken chunking.
 */
int body_scan(struct body *b, const struct buf *src);
/*
 * For an HTTP/1.0 client of a chunked response: move payload out of src into
 * dst, dropping the chunk framing.  -1 on broken chunking.
 */
int body_dechunk(struct body *b, struct buf *src, struct buf *dst);
/* The connection closed: complete for EOF-delimited bodies. */
void body_eof(struct body *b);

#endif
