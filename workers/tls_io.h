/*
 * Socket reads and writes that go through TLS when the socket has an SSL
 * session (a bumped client, an https:// origin) and straight to the kernel
 * when it does not.  Every read and write of a client or server socket in
 * the request path goes through these, so no other code calls SSL_read or
 * SSL_write, and callers keep read(2)/write(2)'s contract:
 *   > 0 bytes moved; 0 end of stream (reads); -1 with errno EAGAIN when the
 *   call would block (for TLS: SSL wants to read or write first; ask
 *   tls_io_wants_write which), else errno says why (EPROTO: a TLS error).
 * A TLS peer that closes without close_notify reads as end of stream, as
 * browsers and curl treat it.  Whether the socket has a session is tested
 * inline: plain sockets (most) go straight to the kernel without entering
 * tls_io.c.
 */
#ifndef CUTTLE_TLS_IO_H
#define CUTTLE_TLS_IO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "buf.h"

/* The TLS halves of the calls below (ssl is not NULL). */
ssize_t tls_io_read_tls(SSL *ssl, struct buf *b, size_t max);
ssize_t tls_io_recv_tls(SSL *ssl, void *p, size_t len);
ssize_t tls_io_writev_tls(SSL *ssl, const struct iovec *iov, int n);
ssize_t tls_io_write_tls(SSL *ssl, const void *p, size_t len);

/* Up to max bytes into b's tail (more when TLS holds a decrypted record:
 * those are drained too, since the kernel will not signal them). */
static inline ssize_t
tls_io_read(int fd, SSL *ssl, struct buf *b, size_t max)
{
	return ssl == NULL ? buf_read_fd(b, fd, max) :
	    tls_io_read_tls(ssl, b, max);
}

/* read(2) into p: up to one TLS record's plaintext at a time. */
static inline ssize_t
tls_io_recv(int fd, SSL *ssl, void *p, size_t len)
{
	return ssl == NULL ? read(fd, p, len) : tls_io_recv_tls(ssl, p, len);
}

/* writev(2); over TLS the iovecs are gathered into records of up to 16 KB. */
static inline ssize_t
tls_io_writev(int fd, SSL *ssl, const struct iovec *iov, int n)
{
	return ssl == NULL ? writev(fd, iov, n) : tls_io_writev_tls(ssl, iov, n);
}

static inline ssize_t
tls_io_write(int fd, SSL *ssl, const void *p, size_t len)
{
	return ssl == NULL ? write(fd, p, len) : tls_io_write_tls(ssl, p, len);
}

/* After -1/EAGAIN: does TLS need the socket writable (not readable)? */
static inline int
tls_io_wants_write(const SSL *ssl)
{
	return ssl != NULL && SSL_want_write(ssl);
}
/* The last TLS error as text for logs ("" when none), and clear the queue. */
const char *tls_io_error(char *dst, size_t len);
/*
 * Give ssl the socket fd, reading the len bytes at prefix first (bytes of
 * the handshake already read, e.g. a peeked ClientHello).  0, or -1.
 */
int tls_io_set_fd(SSL *ssl, int fd, const void *prefix, size_t len);
/* Modes every session in cuttle uses: partial and moving-buffer writes. */
void tls_io_setup(SSL *ssl);

#endif
