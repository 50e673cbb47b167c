/*
 * Growable byte buffer.  Consumers advance off; producers append at len.
 */
#include "config.h"
#include "buf.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

char *
buf_reserve(struct buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return b->data + b->len;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return b->data + b->len;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	/* an empty buffer's head may be NULL: memcpy must not see it */
	if (n == 0)
		return;
	memcpy(buf_reserve(b, n), p, n);
	b->len += n;
}

/* Room tried first: almost every line we format fits in it. */
#define BUF_PRINTF_GUESS	256

/*
 * Format straight into the free space (formatting is most of the cost of
 * a small response's head); only a line longer than that is formatted a
 * second time, once the room for it is there.
 */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;

	if (room < BUF_PRINTF_GUESS) {
		buf_reserve(b, BUF_PRINTF_GUESS);
		room = b->cap - b->len;
	}
	va_start(ap, fmt);
	int n = vsnprintf(b->data + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		char *t = buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(t, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

ssize_t
buf_read_fd(struct buf *b, int fd, size_t max)
{
	char *t = buf_reserve(b, max);
	ssize_t n = read(fd, t, max);

	if (n > 0)
		b->len += (size_t)n;
	return n;
}
