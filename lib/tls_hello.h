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
 * byte per record.  A caller that buffers this much and still gets MORE is
 * being fed something else; it may stop earlier at a smaller limit of its own.
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
 * unless DONE; why is set for every other answer).  sni_bad with
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
