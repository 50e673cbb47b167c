/*
 * Socket I/O with or without TLS (see tls_io.h).  SSL sessions run with
 * SSL_MODE_ENABLE_PARTIAL_WRITE and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER:
 * callers keep unsent bytes in their own queues and offer them again from
 * wherever those queues now start, and a retried write offers at least the
 * bytes it offered before (queues only grow until consumed), which is what
 * OpenSSL requires of a retry.
 *
 * In DESIGN.md's data flow: client connection and server connection (TLS
 * under both).
 */
#include "config.h"
#include "tls_io.h"
#include "buf.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
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
tls_io_read_tls(SSL *ssl, struct buf *b, size_t max)
{
	size_t got = 0, n;
	char *t;

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
tls_io_recv_tls(SSL *ssl, void *p, size_t len)
{
	size_t n;

	ERR_clear_error();
	errno = 0;
	if (!SSL_read_ex(ssl, p, len, &n))
		return tls_io_fail(ssl, 0);
	return (ssize_t)n;
}

ssize_t
tls_io_writev_tls(SSL *ssl, const struct iovec *iov, int n)
{
	char rec[TLS_IO_RECORD];
	size_t len = 0, take, w;
	int i;

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
tls_io_write_tls(SSL *ssl, const void *p, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };

	return tls_io_writev_tls(ssl, &iov, 1);
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

/* ---- a socket BIO that first returns bytes already read ---- */

/*
 * A bumped client's ClientHello was read into the connection's input
 * buffer to decide the step; the TLS handshake must see those bytes before
 * the socket's.  This filter BIO, pushed on a socket BIO, returns them
 * first and then passes reads and writes through.
 */
struct tls_io_prefix {
	char	*data;
	size_t	 len, off;
};

static int
tls_io_prefix_read(BIO *b, char *out, size_t outl, size_t *got)
{
	struct tls_io_prefix *p = BIO_get_data(b);
	int r;

	BIO_clear_retry_flags(b);
	if (p != NULL && p->off < p->len) {
		size_t n = p->len - p->off < outl ? p->len - p->off : outl;

		memcpy(out, p->data + p->off, n);
		p->off += n;
		*got = n;
		return 1;
	}
	r = BIO_read_ex(BIO_next(b), out, outl, got);
	BIO_copy_next_retry(b);
	return r;
}

static int
tls_io_prefix_write(BIO *b, const char *in, size_t inl, size_t *put)
{
	int r;

	BIO_clear_retry_flags(b);
	r = BIO_write_ex(BIO_next(b), in, inl, put);
	BIO_copy_next_retry(b);
	return r;
}

static long
tls_io_prefix_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_io_prefix *p = BIO_get_data(b);

	if (cmd == BIO_CTRL_PENDING && p != NULL && p->off < p->len)
		return (long)(p->len - p->off);
	if (BIO_next(b) == NULL)
		return 0;
	return BIO_ctrl(BIO_next(b), cmd, num, ptr);
}

static int
tls_io_prefix_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int
tls_io_prefix_destroy(BIO *b)
{
	struct tls_io_prefix *p = BIO_get_data(b);

	if (p != NULL) {
		free(p->data);
		free(p);
		BIO_set_data(b, NULL);
	}
	return 1;
}

static BIO_METHOD *tls_io_prefix_method;

int
tls_io_set_fd(SSL *ssl, int fd, const void *prefix, size_t len)
{
	struct tls_io_prefix *p;
	BIO *sock, *filter;

	if ((sock = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL)
		return -1;
	if (len == 0) {
		SSL_set_bio(ssl, sock, sock);
		return 0;
	}
	if (tls_io_prefix_method == NULL) {
		BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() |
		    BIO_TYPE_FILTER, "cuttle prefix");

		if (m == NULL) {
			BIO_free(sock);
			return -1;
		}
		BIO_meth_set_read_ex(m, tls_io_prefix_read);
		BIO_meth_set_write_ex(m, tls_io_prefix_write);
		BIO_meth_set_ctrl(m, tls_io_prefix_ctrl);
		BIO_meth_set_create(m, tls_io_prefix_create);
		BIO_meth_set_destroy(m, tls_io_prefix_destroy);
		tls_io_prefix_method = m;
	}
	if ((filter = BIO_new(tls_io_prefix_method)) == NULL) {
		BIO_free(sock);
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	p->data = xmalloc(len);
	memcpy(p->data, prefix, len);
	p->len = len;
	BIO_set_data(filter, p);
	BIO_push(filter, sock);
	SSL_set_bio(ssl, filter, filter);
	return 0;
}
