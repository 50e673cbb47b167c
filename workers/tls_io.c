/*
 * Socket I/O with or without TLS (see tls_io.h).  SSL sessions run with
 * SSL_MODE_ENABLE_PARTIAL_WRITE and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER:
 * callers keep unsent bytes in their own queues and offer them again from
 * wherever those queues now start, and a retried write offers at least the
 * bytes it offered before (queues only grow until consumed), which is what
 * OpenSSL requires of a retry.
 */
#include "config.h"
#include "tls_io.h"
#include "buf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

/* One TLS record's worth of plaintext. */
#define TLS_IO_RECORD	16384

void
tls_io_setup(SSL *ssl)
{
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

/* Map an SSL result to read(2)/write(2)'s: 0 for EOF, -1 with errno. */
static ssize_t
tls_io_fail(SSL *ssl, int rc)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		/* the peer left without close_notify: treat as EOF */
		if (ERR_peek_error() == 0 && (errno == 0 || errno == EAGAIN)) {
			errno = 0;
			return 0;
		}
		if (errno == 0)
			errno = EPROTO;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

ssize_t
tls_io_read(int fd, SSL *ssl, struct buf *b, size_t max)
{
	size_t got = 0, n;
	char *t;

	if (ssl == NULL)
		return buf_read_fd(b, fd, max);
	ERR_clear_error();
	errno = 0;
	t = buf_reserve(b, max);
	if (!SSL_read_ex(ssl, t, max, &n))
		return tls_io_fail(ssl, 0);
	b->len += n;
	got = n;
	/* decrypted bytes left in SSL: the socket will not say so */
	while (SSL_pending(ssl) > 0) {
		size_t more = (size_t)SSL_pending(ssl);

		t = buf_reserve(b, more);
		if (!SSL_read_ex(ssl, t, more, &n))
			break;
		b->len += n;
		got += n;
	}
	return (ssize_t)got;
}

ssize_t
tls_io_writev(int fd, SSL *ssl, const struct iovec *iov, int n)
{
	char rec[TLS_IO_RECORD];
	size_t len = 0, take, w;
	int i;

	if (ssl == NULL)
		return writev(fd, iov, n);
	/* gather the head of the queue into one record */
	for (i = 0; i < n && len < sizeof(rec); i++) {
		take = iov[i].iov_len;
		if (take > sizeof(rec) - len)
			take = sizeof(rec) - len;
		memcpy(rec + len, iov[i].iov_base, take);
		len += take;
	}
	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	if (!SSL_write_ex(ssl, rec, len, &w)) {
		ssize_t r = tls_io_fail(ssl, 0);

		if (r == 0) {	/* no EOF on a write */
			errno = EPIPE;
			r = -1;
		}
		return r;
	}
	return (ssize_t)w;
}

ssize_t
tls_io_write(int fd, SSL *ssl, const void *p, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };

	if (ssl == NULL)
		return write(fd, p, len);
	return tls_io_writev(fd, ssl, &iov, 1);
}

int
tls_io_wants_write(const SSL *ssl)
{
	return ssl != NULL && SSL_want_write(ssl);
}

const char *
tls_io_error(char *dst, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0) {
		if (len > 0)
			dst[0] = '\0';
		return dst;
	}
	ERR_error_string_n(e, dst, len);
	ERR_clear_error();
	return dst;
}
