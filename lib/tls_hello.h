/*
 * A TLS ClientHello reader for ssl_bump's peek step: from the first bytes a
 * client sends after CONNECT it tells "read more", "not TLS at all" (so the
 * caller can follow on_unsupported_protocol), "TLS but malformed", or gives
 * the SNI, ALPN list and versions offered.  It keeps no state between calls
 * and never allocates: the caller keeps the bytes it read and calls again
 * with all of them.
 */
#ifndef CUTTLE_TLS_HELLO_H
#define CUTTLE_TLS_HELLO_H

#include <stddef.h>

/* The largest ClientHello body (the handshake length field) accepted. */
#define TLS_HELLO_MAX		65536

/* The longest record accepted: 2^14 plus the 2048 OpenSSL tolerates. */
#define TLS_HELLO_RECORD_MAX	(16384 + 2048)

/*
 * The most input a DONE can consume: a hello of TLS_HELLO_MAX bytes sent one
 * byte per record.  No input this long gets MORE, so a caller buffering the
 * hello never holds more than this; it may set a smaller limit of its own.
 */
#define TLS_HELLO_MAX_INPUT	(6 * ((size_t)TLS_HELLO_MAX + 4))

enum tls_hello_status {
	TLS_HELLO_MORE,		/* valid so far: read more bytes and call again */
	TLS_HELLO_DONE,		/* a whole ClientHello was parsed */
	TLS_HELLO_NOT_TLS,	/* the first bytes are not a TLS handshake record */
	TLS_HELLO_BAD		/* TLS, but a malformed or oversized ClientHello */
};

/*
 * Filled as far as parsing got; trust the fields only on DONE (consumed is 0
 * unless DONE; why is set for every other answer).
 *
 * Each call parses the whole input again, so a caller that calls on every
 * read is quadratic in a client sending a byte at a time (up to 0.4 ms a
 * call at TLS_HELLO_MAX_INPUT).  need, set on MORE only, is the least input
 * a DONE could come with: a caller that waits for that much (or EOF) before
 * calling again makes a few dozen calls at worst.  Calling sooner can only
 * find a BAD earlier.
 *
 * sni_bad with
 * a non-empty sni means an IP literal (kept, as it is printable); for every
 * other reason sni is "".  alpn holds whole names only: one with bytes
 * outside 0x21..0x7e or a "," is left out, and names that would not fit are
 * dropped from the end.
 */
struct tls_hello {
	int	 record_version;	/* first record's version, e.g. 0x0301 */
	int	 legacy_version;	/* ClientHello.legacy_version, e.g. 0x0303 */
	int	 max_version;		/* highest offered: supported_versions, else legacy_version */
	char	 sni[256];		/* server_name host_name, "" when none; NUL-terminated */
	int	 sni_bad;		/* a server_name present but unusable (empty, >255, NUL or control chars, not a host_name type) */
	char	 alpn[256];		/* protocol names joined by ",", e.g. "h2,http/1.1"; "" none */
	int	 ech;			/* encrypted_client_hello (0xfe0d) extension present */
	int	 sslv2;			/* an SSLv2-format hello (then NOT_TLS or BAD, say which in why) */
	size_t	 consumed;		/* bytes of input through the end of the record that completes the ClientHello */
	size_t	 need;			/* on MORE: no DONE with less input than this */
	const char *why;		/* static text for MORE-never-ending / NOT_TLS / BAD: what was wrong */
};

/*
 * Parse the ClientHello at the start of p[0..len).  Stateless: call again
 * with the whole buffer when more bytes arrived.  Limits: a ClientHello of
 * more than TLS_HELLO_MAX (64 KiB) bytes is BAD; records of other content
 * types before the hello (e.g. an alert, change_cipher_spec) are BAD.
 */
enum tls_hello_status tls_hello_parse(const unsigned char *p, size_t len, struct tls_hello *h);

#endif
