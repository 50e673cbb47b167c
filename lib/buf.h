/*
 * Growable byte buffer with a read offset: data lives in [off, len).  Used
 * for socket input and output queues; compacts instead of growing when the
 * consumed prefix is large.
 */
#ifndef CUTTLE_BUF_H
#define CUTTLE_BUF_H

#include <stddef.h>
#include <sys/types.h>

struct buf {
	char	*data;
	size_t	 off, len, cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
static inline size_t buf_avail(const struct buf *b) { return b->len - b->off; }
static inline char *buf_head(const struct buf *b) { return b->data + b->off; }
void buf_consume(struct buf *b, size_t n);
/* Make room for at least n more bytes at the tail; returns the tail. */
char *buf_reserve(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* read(2) up to max bytes into the tail; returns read's result. */
ssize_t buf_read_fd(struct buf *b, int fd, size_t max);

#endif
