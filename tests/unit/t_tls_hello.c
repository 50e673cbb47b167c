/*
 * Unit tests for the ClientHello parser behind ssl_bump's peek step.  The
 * hellos are what OpenSSL really sends (TLS 1.3 and TLS 1.2-only clients,
 * with and without SNI and ALPN), parsed as sent, at every split point and
 * re-framed into small records; the odd cases are those hellos edited by
 * hand (an extension added, a length changed) so that each check the
 * parser makes is seen to fire, and nothing else.
 */
#include "config.h"
#include "tls_hello.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "tap.h"

/* A handshake message being edited; room for a hello past 64 KiB. */
struct t_msg {
	unsigned char	m[TLS_HELLO_MAX + 1024];
	size_t		len;
};

/* Records carrying a message; room for it sent one byte per record. */
struct t_wire {
	unsigned char	p[TLS_HELLO_MAX_INPUT + 1024];
	size_t		len;
};

static const unsigned char t_alpn_h2[] = "\x02h2\x08http/1.1";

static size_t
t_get16(const unsigned char *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static void
t_put16(unsigned char *p, size_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
t_put24(unsigned char *p, size_t v)
{
	p[0] = v >> 16;
	p[1] = v >> 8;
	p[2] = v;
}

/* The first flight of an OpenSSL client: max_version 0 for its default. */
static void
t_openssl(struct t_wire *w, int max_version, const char *sni,
    const unsigned char *alpn, size_t alpn_len)
{
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;
	char *data;
	long n;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || (max_version != 0 &&
	    SSL_CTX_set_max_proto_version(ctx, max_version) != 1))
		abort();
	if ((ssl = SSL_new(ctx)) == NULL ||
	    (rb = BIO_new(BIO_s_mem())) == NULL ||
	    (wb = BIO_new(BIO_s_mem())) == NULL)
		abort();
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	if (sni != NULL && SSL_set_tlsext_host_name(ssl, sni) != 1)
		abort();
	/* SSL_set_alpn_protos returns 0 on success */
	if (alpn != NULL && SSL_set_alpn_protos(ssl, alpn, alpn_len) != 0)
		abort();
	if (SSL_do_handshake(ssl) == 1)
		abort();
	n = BIO_get_mem_data(wb, &data);
	if (n <= 0 || (size_t)n > sizeof(w->p))
		abort();
	memcpy(w->p, data, n);
	w->len = n;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

/* The handshake message carried by well-formed records. */
static void
t_unframe(const struct t_wire *w, struct t_msg *t)
{
	size_t at = 0, n;

	t->len = 0;
	while (at + 5 <= w->len) {
		n = t_get16(w->p + at + 3);
		memcpy(t->m + t->len, w->p + at + 5, n);
		t->len += n;
		at += 5 + n;
	}
}

/* The message in handshake records of chunk bytes, version 3.1. */
static void
t_frame(const struct t_msg *t, size_t chunk, struct t_wire *w)
{
	size_t off, n;

	w->len = 0;
	for (off = 0; off < t->len; off += n) {
		n = t->len - off < chunk ? t->len - off : chunk;
		memcpy(w->p + w->len, "\x16\x03\x01", 3);
		t_put16(w->p + w->len + 3, n);
		memcpy(w->p + w->len + 5, t->m + off, n);
		w->len += 5 + n;
	}
}

/* Where the extensions block's length is (the message's end if none). */
static size_t
t_ext_off(const struct t_msg *t)
{
	size_t off = 4 + 2 + 32;

	off += 1 + t->m[off];
	off += 2 + t_get16(t->m + off);
	off += 1 + t->m[off];
	return off;
}

/* Where the extension of this type starts, or 0. */
static size_t
t_find_ext(const struct t_msg *t, size_t type)
{
	size_t off = t_ext_off(t) + 2;

	for (; off + 4 <= t->len; off += 4 + t_get16(t->m + off + 2))
		if (t_get16(t->m + off) == type)
			return off;
	return 0;
}

/* Append an extension and fix the lengths that contain it. */
static void
t_add_ext(struct t_msg *t, size_t type, const void *data, size_t n)
{
	size_t eo = t_ext_off(t);

	if (t->len == eo) {
		t_put16(t->m + eo, 0);
		t->len += 2;
	}
	t_put16(t->m + t->len, type);
	t_put16(t->m + t->len + 2, n);
	memcpy(t->m + t->len + 4, data, n);
	t->len += 4 + n;
	t_put16(t->m + eo, t_get16(t->m + eo) + 4 + n);
	t_put24(t->m + 1, t->len - 4);
}

static int
t_parse_msg(const struct t_msg *t, struct tls_hello *h)
{
	static struct t_wire w;

	t_frame(t, 16384, &w);
	return tls_hello_parse(w.p, w.len, h);
}

/*
 * The length of the first prefix of a DONE hello that is not MORE with a
 * need past the prefix and within the hello, or -1 when all are.
 */
static long
t_first_not_more(const unsigned char *p, size_t len, size_t step)
{
	struct tls_hello h;
	size_t i;

	for (i = 0; i < len; i += step)
		if (tls_hello_parse(p, i, &h) != TLS_HELLO_MORE ||
		    h.need <= i || h.need > len)
			return (long)i;
	return -1;
}

/*
 * How often a caller parses when bytes come one at a time and it waits
 * for need before parsing again.
 */
static int
t_lazy_calls(const unsigned char *p, size_t len)
{
	struct tls_hello h;
	size_t i, need = 0;
	int calls = 0;

	for (i = 1; i <= len; i++) {
		if (i < need)
			continue;
		calls++;
		if (tls_hello_parse(p, i, &h) != TLS_HELLO_MORE)
			return i == len ? calls : -1;
		need = h.need;
	}
	return -1;
}

static int
t_same(const struct tls_hello *a, const struct tls_hello *b)
{
	return a->record_version == b->record_version &&
	    a->legacy_version == b->legacy_version &&
	    a->max_version == b->max_version &&
	    strcmp(a->sni, b->sni) == 0 && a->sni_bad == b->sni_bad &&
	    strcmp(a->alpn, b->alpn) == 0 && a->ech == b->ech &&
	    a->sslv2 == b->sslv2;
}

static struct t_wire w13, w12, w13bare, w12bare;
static struct t_msg m13, m12, m13bare, m12bare;

static void
t_setup(void)
{
	t_openssl(&w13, 0, "www.example.com", t_alpn_h2, sizeof(t_alpn_h2) - 1);
	t_openssl(&w12, TLS1_2_VERSION, "www.example.com", t_alpn_h2,
	    sizeof(t_alpn_h2) - 1);
	t_openssl(&w13bare, 0, NULL, NULL, 0);
	t_openssl(&w12bare, TLS1_2_VERSION, NULL, NULL, 0);
	t_unframe(&w13, &m13);
	t_unframe(&w12, &m12);
	t_unframe(&w13bare, &m13bare);
	t_unframe(&w12bare, &m12bare);
}

/* One hello as OpenSSL sent it: its fields, then every split point. */
static void
t_real_one(const char *name, const struct t_wire *w, int max_version,
    const char *sni, const char *alpn)
{
	struct tls_hello h;

	is_int(tls_hello_parse(w->p, w->len, &h), TLS_HELLO_DONE, "%s: DONE",
	    name);
	is_int(h.record_version, 0x0301, "%s: record version", name);
	is_int(h.legacy_version, 0x0303, "%s: legacy_version", name);
	is_int(h.max_version, max_version, "%s: max_version", name);
	is_str(h.sni, sni, "%s: SNI", name);
	is_int(h.sni_bad, 0, "%s: SNI usable", name);
	is_str(h.alpn, alpn, "%s: ALPN", name);
	is_int(h.ech, 0, "%s: no ECH", name);
	is_int(h.sslv2, 0, "%s: not SSLv2", name);
	is_int(h.consumed, w->len, "%s: consumed all", name);
	ok(h.why == NULL, "%s: no why", name);
	is_int(t_first_not_more(w->p, w->len, 1), -1,
	    "%s: every shorter prefix is MORE", name);
}

static void
t_real(void)
{
	t_real_one("TLS 1.3", &w13, 0x0304, "www.example.com", "h2,http/1.1");
	t_real_one("TLS 1.2", &w12, 0x0303, "www.example.com", "h2,http/1.1");
	t_real_one("TLS 1.3 bare", &w13bare, 0x0304, "", "");
	t_real_one("TLS 1.2 bare", &w12bare, 0x0303, "", "");
}

/* The same hellos split into records of 1, 7 and 100 bytes. */
static void
t_reframed(void)
{
	static const size_t sizes[] = { 1, 7, 100 };
	static struct t_wire w;
	struct tls_hello want, h;
	size_t i;

	tls_hello_parse(w13.p, w13.len, &want);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		t_frame(&m13, sizes[i], &w);
		is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_DONE,
		    "records of %zu: DONE", sizes[i]);
		ok(t_same(&h, &want), "records of %zu: same fields", sizes[i]);
		is_int(h.consumed, w.len, "records of %zu: consumed all",
		    sizes[i]);
		is_int(t_first_not_more(w.p, w.len, 1), -1,
		    "records of %zu: every shorter prefix is MORE", sizes[i]);
	}
}

/* An ALPN list of h2, http/1.1, proto-0000, proto-0001... to size bytes. */
static size_t
t_alpn_list(unsigned char *list, size_t size)
{
	size_t n = sizeof(t_alpn_h2) - 1, i;

	memcpy(list, t_alpn_h2, n);
	for (i = 0; n + 11 <= size; i++, n += 11) {
		list[n] = 10;
		snprintf((char *)list + n + 1, 11, "proto-%04u",
		    (unsigned)(i % 10000));
	}
	return n;
}

/* A TLS 1.2 hello padded with unknown extensions to a body of size bytes. */
static void
t_padded(struct t_msg *t, size_t size)
{
	static const unsigned char zeros[32768];
	size_t left;

	*t = m12bare;
	left = size - (t->len - 4) - 3 * 4;
	t_add_ext(t, 0xff00, zeros, left / 3);
	t_add_ext(t, 0xff01, zeros, left / 3);
	t_add_ext(t, 0xff02, zeros, left - 2 * (left / 3));
}

/* Hellos as big as post-quantum key shares make them, and bigger. */
static void
t_large(void)
{
	static unsigned char alpn[24000];
	static struct t_wire w, w1;
	static struct t_msg t;
	struct tls_hello h;
	size_t n;
	int calls;

	n = t_alpn_list(alpn, 5000);
	t_openssl(&w, 0, "big.example", alpn, n);
	ok(w.len > 4096, "a hello of %zu bytes", w.len);
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_DONE, "large: DONE");
	is_str(h.sni, "big.example", "large: SNI");
	ok(strncmp(h.alpn, "h2,http/1.1,proto-0000,proto-0001,", 34) == 0,
	    "large: ALPN starts with the first names");
	is_int(strlen(h.alpn), 11 + 22 * 11,
	    "large: ALPN cut after the last whole name that fits");
	is_int(t_first_not_more(w.p, w.len, 1), -1,
	    "large: every shorter prefix is MORE");

	n = t_alpn_list(alpn, 20000);
	t_openssl(&w, 0, "big.example", alpn, n);
	ok(w.len > 16384 + 5 && w.p[5 + 16384] == 22,
	    "OpenSSL sends a %zu-byte hello in two records", w.len);
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_DONE,
	    "two records: DONE");
	is_str(h.sni, "big.example", "two records: SNI");
	is_int(h.consumed, w.len, "two records: consumed all");
	is_int(t_first_not_more(w.p, w.len, 7), -1,
	    "two records: prefixes are MORE");
	calls = t_lazy_calls(w.p, w.len);
	ok(calls > 0 && calls <= 12, "two records, a byte at a time, waiting "
	    "for need: %d calls", calls);
	t_unframe(&w, &t);
	t_frame(&t, 1, &w1);
	is_int(tls_hello_parse(w1.p, w1.len, &h), TLS_HELLO_DONE,
	    "%zu bytes in records of 1: DONE", t.len);
	is_int(h.consumed, w1.len, "records of 1: consumed all");

	/* the limit: a body of exactly 64 KiB, and one byte more */
	t_padded(&t, TLS_HELLO_MAX);
	is_int(t.len - 4, TLS_HELLO_MAX, "a 64 KiB body");
	t_frame(&t, 16384, &w);
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_DONE, "64 KiB: DONE");
	is_int(h.consumed, w.len, "64 KiB: consumed all");
	t_frame(&t, 1, &w);
	is_int(w.len, TLS_HELLO_MAX_INPUT, "64 KiB in records of 1: the most");
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_DONE,
	    "64 KiB in records of 1: DONE");
	calls = t_lazy_calls(w.p, w.len);
	ok(calls > 0 && calls < 100, "a byte at a time, waiting for need: "
	    "%d calls", calls);
	t_padded(&t, TLS_HELLO_MAX + 1);
	t_frame(&t, 16384, &w);
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_BAD,
	    "64 KiB + 1: BAD");
	is_str(h.why, "a ClientHello longer than 64 KiB", "64 KiB + 1: why");
	is_int(tls_hello_parse(w.p, 9, &h), TLS_HELLO_BAD,
	    "64 KiB + 1: BAD from the handshake header alone");
}

/* What follows the hello is not the parser's: consumed stops before it. */
static void
t_trailing(void)
{
	static struct t_wire w;
	struct tls_hello h, want;

	w = w13;
	/* change_cipher_spec, then a record of early data */
	memcpy(w.p + w.len, "\x14\x03\x03\x00\x01\x01"
	    "\x17\x03\x03\x00\x05junk!", 16);
	w.len += 16;
	tls_hello_parse(w13.p, w13.len, &want);
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_DONE,
	    "hello + change_cipher_spec + data: DONE");
	ok(t_same(&h, &want), "same fields");
	is_int(h.consumed, w13.len, "consumed stops at the hello");
	is_int(tls_hello_parse(w.p, w13.len + 1, &h), TLS_HELLO_DONE,
	    "one byte after: DONE");
	is_int(h.consumed, w13.len, "consumed stops at the hello");

	/* more in the hello's own record */
	w = w13;
	w.p[w.len++] = 1;
	t_put16(w.p + 3, t_get16(w.p + 3) + 1);
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_BAD,
	    "a byte after the hello in its record: BAD");
	is_int(tls_hello_parse(w.p, w.len - 1, &h), TLS_HELLO_BAD,
	    "known before that byte arrives");
}

static void
t_not_tls_one(const char *s, size_t n, const char *name)
{
	struct tls_hello h;

	is_int(tls_hello_parse((const unsigned char *)s, n, &h),
	    TLS_HELLO_NOT_TLS, "%s: NOT_TLS", name);
	ok(h.why != NULL && h.sslv2 == 0, "%s: why \"%s\"", name,
	    h.why != NULL ? h.why : "(null)");
}

static void
t_not_tls(void)
{
	/* an SSLv2 CLIENT-HELLO offering TLS 1.0 (RFC 5246 E.2) */
	static const unsigned char v2[] = "\x80\x31\x01\x03\x01\x00\x18\x00\x00"
	    "\x00\x10\x07\x00\xc0\x05\x00\x80\x03\x00\x80\x01\x00\x80\x08\x00"
	    "\x80\x06\x00\x40\x04\x00\x80\x02\x00\x80\x0f\x0e\x0d\x0c\x0b\x0a"
	    "\x09\x08\x07\x06\x05\x04\x03\x02\x01\x00";
	struct tls_hello h;

	t_not_tls_one("GET / HTTP/1.1\r\n", 16, "GET");
	t_not_tls_one("G", 1, "one byte of GET");
	t_not_tls_one("CONNECT", 7, "CONNECT");
	t_not_tls_one("\x00\x01", 2, "\\x00\\x01");
	t_not_tls_one("\x00", 1, "\\x00");
	t_not_tls_one("\x16\x02\x00", 3, "handshake type, version 2.0");
	t_not_tls_one("\x15\x00", 2, "alert type, then not 3");
	t_not_tls_one("\x18\x03\x03\x00\x01", 5, "heartbeat is not a start");
	t_not_tls_one("\xff\xff\x00", 3, "high bit, not a v2 hello");
	is_int(tls_hello_parse(NULL, 0, &h), TLS_HELLO_MORE,
	    "nothing yet: MORE");
	is_int(tls_hello_parse((const unsigned char *)"\x16", 1, &h),
	    TLS_HELLO_MORE, "0x16 alone: MORE");
	is_int(tls_hello_parse((const unsigned char *)"\x16\x03", 2, &h),
	    TLS_HELLO_MORE, "0x16 0x03: MORE");
	is_int(tls_hello_parse(v2, 2, &h), TLS_HELLO_MORE,
	    "2 bytes of SSLv2: MORE");
	is_int(tls_hello_parse(v2, sizeof(v2) - 1, &h), TLS_HELLO_NOT_TLS,
	    "SSLv2 hello: NOT_TLS");
	is_int(h.sslv2, 1, "SSLv2 hello: sslv2 set");
	is_str(h.why, "SSLv2 ClientHello", "SSLv2 hello: why");
	is_int(tls_hello_parse(v2, 3, &h), TLS_HELLO_NOT_TLS,
	    "SSLv2 hello: known from 3 bytes");
}

static void
t_bad_wire(const struct t_wire *w, const char *name, const char *why)
{
	struct tls_hello h;

	is_int(tls_hello_parse(w->p, w->len, &h), TLS_HELLO_BAD, "%s: BAD",
	    name);
	if (why != NULL)
		is_str(h.why, why, "%s: why", name);
}

static void
t_bad_msg(const struct t_msg *t, const char *name, const char *why)
{
	static struct t_wire w;

	t_frame(t, 16384, &w);
	t_bad_wire(&w, name, why);
}

/* Framing: records and the handshake header. */
static void
t_bad_framing(void)
{
	static struct t_wire w;
	static struct t_msg t;
	struct tls_hello h;
	size_t off;

	memcpy(w.p, "\x15\x03\x01\x00\x02\x02\x28", 7);
	w.len = 7;
	t_bad_wire(&w, "alert first",
	    "a record other than handshake before the ClientHello");
	w.len = 2;
	t_bad_wire(&w, "alert first, 2 bytes", NULL);
	memcpy(w.p, "\x14\x03\x03\x00\x01\x01", 6);
	memcpy(w.p + 6, w13.p, w13.len);
	w.len = 6 + w13.len;
	t_bad_wire(&w, "change_cipher_spec before the hello", NULL);

	memcpy(w.p, "\x16\x03\x01\x00\x00", 5);
	memcpy(w.p + 5, w13.p, w13.len);
	w.len = 5 + w13.len;
	t_bad_wire(&w, "zero-length record first",
	    "a zero-length handshake record");
	t_frame(&m13, 100, &w);
	memmove(w.p + 110, w.p + 105, w.len - 105);
	memcpy(w.p + 105, "\x16\x03\x01\x00\x00", 5);
	w.len += 5;
	t_bad_wire(&w, "zero-length record inside",
	    "a zero-length handshake record");

	t_frame(&m13, 100, &w);
	w.p[105] = 23;
	t_bad_wire(&w, "application_data inside the hello",
	    "a record other than handshake inside the ClientHello");
	w.len = 106;
	t_bad_wire(&w, "known from its first byte", NULL);
	t_frame(&m13, 100, &w);
	w.p[106] = 2;
	t_bad_wire(&w, "record version 2.x inside",
	    "a record version that is not 3.x");

	memcpy(w.p, "\x16\x03\x01\x48\x01", 5);
	w.len = 5;
	t_bad_wire(&w, "record of 2^14 + 2049",
	    "a record longer than 2^14 + 2048 bytes");
	memcpy(w.p, "\x16\x03\x01\x48\x00\x01", 6);
	w.len = 6;
	is_int(tls_hello_parse(w.p, w.len, &h), TLS_HELLO_MORE,
	    "record of 2^14 + 2048: MORE");

	t = m13;
	t.m[0] = 2;
	t_bad_msg(&t, "server_hello type",
	    "a handshake message other than ClientHello");
	memcpy(w.p, "\x16\x03\x01\x00\x10\x0b", 6);
	w.len = 6;
	t_bad_wire(&w, "certificate type, known from 6 bytes", NULL);
	t = m13;
	t_put24(t.m + 1, 0x010001);
	t_bad_msg(&t, "body length 64 KiB + 1",
	    "a ClientHello longer than 64 KiB");
	t = m13;
	t_put24(t.m + 1, t.len - 4 + 1);
	t_bad_msg(&t, "body length + 1",
	    "extensions do not fill the ClientHello");
	t = m13;
	t_put24(t.m + 1, t.len - 4 - 1);
	t_bad_msg(&t, "body length - 1", "extensions overrun the ClientHello");
	t = m13;
	t_put24(t.m + 1, 1);
	t.len = 5;
	t_bad_msg(&t, "body of 1 byte",
	    "ClientHello too short for its version");
	t = m13;
	t.m[4] = 2;
	t_bad_msg(&t, "legacy_version 2.3", "a legacy_version that is not 3.x");

	off = 4 + 2 + 32;
	t = m13;
	t.m[off] = 33;
	t_bad_msg(&t, "session_id of 33", "a session_id longer than 32 bytes");
	t = m13;
	t.m[off] = 255;
	t_bad_msg(&t, "session_id of 255", NULL);
	off += 1 + m13.m[off];
	t = m13;
	t_put16(t.m + off, t_get16(t.m + off) - 1);
	t_bad_msg(&t, "odd cipher_suites", "cipher_suites empty or odd");
	t = m13;
	t_put16(t.m + off, 0);
	t_bad_msg(&t, "no cipher_suites", "cipher_suites empty or odd");
	t = m13;
	t_put16(t.m + off, 0xfffe);
	t_bad_msg(&t, "cipher_suites overrun",
	    "cipher_suites overrun the ClientHello");
	off += 2 + t_get16(m13.m + off);
	t = m13;
	t.m[off] = 0;
	t_bad_msg(&t, "no compression_methods", "compression_methods empty");
	off = t_ext_off(&m13);
	t = m13;
	t_put16(t.m + off, t_get16(t.m + off) + 1);
	t_bad_msg(&t, "extensions length + 1",
	    "extensions overrun the ClientHello");
	t = m13;
	t_put16(t.m + off, t_get16(t.m + off) - 1);
	t_bad_msg(&t, "extensions length - 1",
	    "extensions do not fill the ClientHello");
	t = m12bare;
	t.len = t_ext_off(&t) + 1;
	t_put24(t.m + 1, t.len - 4);
	t_bad_msg(&t, "one byte where extensions would be",
	    "extensions overrun the ClientHello");
}

/* Extensions: lengths inside them, and repeats. */
static void
t_bad_ext(void)
{
	static struct t_msg t;
	size_t off;

	t = m13;
	off = t_find_ext(&t, 0);
	t_put16(t.m + off + 2, t_get16(t.m + off + 2) + 1);
	t_bad_msg(&t, "SNI extension overruns", NULL);
	t = m13;
	t_put16(t.m + off + 4, t_get16(t.m + off + 4) - 1);
	t_bad_msg(&t, "SNI list short of its extension",
	    "server_name list empty or not filling its extension");
	t = m13;
	t_put16(t.m + off + 7, t_get16(t.m + off + 7) + 1);
	t_bad_msg(&t, "host_name overruns its list",
	    "a host_name overruns the server_name list");
	t = m13bare;
	t_add_ext(&t, 0, "\x00\x00", 2);
	t_bad_msg(&t, "empty SNI list", NULL);
	t = m13bare;
	t_add_ext(&t, 0, "", 0);
	t_bad_msg(&t, "empty SNI extension", NULL);

	t = m13;
	off = t_find_ext(&t, 16);
	t_put16(t.m + off + 4, t_get16(t.m + off + 4) + 1);
	t_bad_msg(&t, "ALPN list overruns", "ALPN list overruns its extension");
	t = m13bare;
	t_add_ext(&t, 16, "\x00\x04\x02h2\x00", 6);
	t_bad_msg(&t, "empty ALPN name", NULL);
	t = m13bare;
	t_add_ext(&t, 16, "\x00\x03\x02h2\x00", 6);
	t_bad_msg(&t, "ALPN name list length short",
	    "ALPN list empty or not filling its extension");
	t = m13bare;
	t_add_ext(&t, 16, "\x00\x03\x03h2", 5);
	t_bad_msg(&t, "ALPN name overruns",
	    "an ALPN protocol name overruns the list");
	t = m13bare;
	t_add_ext(&t, 16, "\x00\x00", 2);
	t_bad_msg(&t, "empty ALPN list", NULL);

	t = m12bare;
	t_add_ext(&t, 43, "\x03\x03\x04\x03", 4);
	t_bad_msg(&t, "odd supported_versions",
	    "supported_versions list empty, odd or not filling its extension");
	t = m12bare;
	t_add_ext(&t, 43, "\x00", 1);
	t_bad_msg(&t, "empty supported_versions", NULL);

	t = m13;
	t_add_ext(&t, 16, "\x00\x03\x02h2", 5);
	t_bad_msg(&t, "ALPN twice", "an extension appears twice");
	t = m13bare;
	t_add_ext(&t, 0x1234, "", 0);
	t_add_ext(&t, 0x1234, "x", 1);
	t_bad_msg(&t, "an unknown extension twice",
	    "an extension appears twice");

	t = m13;
	t_add_ext(&t, 0x1234, "abc", 3);
	t_put16(t.m + t.len - 5, 4);
	t_bad_msg(&t, "last extension overruns",
	    "an extension overruns the extensions");
	t = m13bare;
	t_add_ext(&t, 0x1234, "", 0);
	t.len -= 3;
	off = t_ext_off(&t);
	t_put16(t.m + off, t_get16(t.m + off) - 3);
	t_put24(t.m + 1, t.len - 4);
	t_bad_msg(&t, "a cut extension header",
	    "an extension header overruns the extensions");
}

/* A hello with one server_name extension of these contents. */
static int
t_sni_raw(const void *data, size_t n, struct tls_hello *h)
{
	static struct t_msg t;

	t = m13bare;
	t_add_ext(&t, 0, data, n);
	return t_parse_msg(&t, h);
}

/* ... holding one host_name. */
static int
t_sni(const char *name, size_t n, struct tls_hello *h)
{
	unsigned char d[1024];

	t_put16(d, n + 3);
	d[2] = 0;
	t_put16(d + 3, n);
	memcpy(d + 5, name, n);
	return t_sni_raw(d, n + 5, h);
}

/* The name as a test label: escaped, and long ones cut. */
static const char *
t_label(const char *name, size_t n)
{
	static char buf[64];
	size_t i, used = 0;

	for (i = 0; i < n && used < 40; i++)
		used += snprintf(buf + used, sizeof(buf) - used,
		    name[i] > 0x20 && name[i] < 0x7f ? "%c" : "\\x%02x",
		    (unsigned char)name[i]);
	snprintf(buf + used, sizeof(buf) - used, "%s", i < n ? "..." : "");
	return buf;
}

static void
t_sni_one(const char *name, size_t n, const char *want, int bad)
{
	struct tls_hello h;

	is_int(t_sni(name, n, &h), TLS_HELLO_DONE, "SNI \"%s\" (%zu): DONE",
	    t_label(name, n), n);
	is_str(h.sni, want, "SNI \"%s\": name", t_label(name, n));
	is_int(h.sni_bad, bad, "SNI \"%s\": sni_bad", t_label(name, n));
}

static void
t_sni_names(void)
{
	char long_name[300];
	struct tls_hello h;

	t_sni_one("example.com", 11, "example.com", 0);
	t_sni_one("Example.COM.", 12, "Example.COM.", 0);
	t_sni_one("exa\001mple.com", 12, "", 1);
	t_sni_one("exa\0mple.com", 12, "", 1);
	t_sni_one("exa mple.com", 12, "", 1);
	t_sni_one("example.com\n", 12, "", 1);
	t_sni_one("\x7f", 1, "", 1);
	t_sni_one("caf\xc3\xa9.fr", 8, "", 1);
	t_sni_one("", 0, "", 1);
	t_sni_one("192.0.2.1", 9, "192.0.2.1", 1);
	t_sni_one("192.0.2.1.", 10, "192.0.2.1.", 1);
	t_sni_one("127.1", 5, "127.1", 1);
	t_sni_one("::1", 3, "::1", 1);
	t_sni_one("[2001:db8::1]", 13, "[2001:db8::1]", 1);
	t_sni_one("1.example", 9, "1.example", 0);
	memset(long_name, 'a', sizeof(long_name));
	t_sni_one(long_name, 300, "", 1);
	t_sni_one(long_name, 256, "", 1);
	long_name[255] = '\0';
	t_sni_one(long_name, 255, long_name, 0);

	is_int(t_sni_raw("\x00\x06\x01\x00\x03" "abc", 8, &h), TLS_HELLO_DONE,
	    "SNI of name_type 1: DONE");
	ok(h.sni[0] == '\0' && h.sni_bad == 1, "SNI of name_type 1: unusable");
	is_int(t_sni_raw("\x00\x0c\x00\x00\x03" "abc" "\x00\x00\x03" "def",
	    14, &h), TLS_HELLO_DONE, "two host_names: DONE");
	ok(h.sni[0] == '\0' && h.sni_bad == 1, "two host_names: unusable");
	is_int(t_sni_raw("\x00\x0a\x00\x00\x03" "abc" "\x01\x00\x01" "d",
	    12, &h), TLS_HELLO_DONE, "host_name, then another type: DONE");
	ok(h.sni[0] == '\0' && h.sni_bad == 1,
	    "host_name, then another type: unusable");
	is_int(t_sni_raw("\x00\x06\x00\x00\x04" "abc", 8, &h), TLS_HELLO_BAD,
	    "host_name longer than its list: BAD");
}

/* A hello with one ALPN extension of these contents. */
static int
t_alpn_raw(const void *list, size_t n, struct tls_hello *h)
{
	unsigned char d[2048];
	static struct t_msg t;

	t_put16(d, n);
	memcpy(d + 2, list, n);
	t = m13bare;
	t_add_ext(&t, 16, d, n + 2);
	return t_parse_msg(&t, h);
}

static void
t_alpn(void)
{
	static const char odd[] = "\x02h2\x03" "a b\x03x,y\x01\x01\x02\xc3\xa9"
	    "\x08http/1.1";
	unsigned char list[2048];
	struct tls_hello h;
	size_t n, i;

	is_int(t_alpn_raw(odd, sizeof(odd) - 1, &h), TLS_HELLO_DONE,
	    "odd ALPN names: DONE");
	is_str(h.alpn, "h2,http/1.1", "names with space, comma, control, "
	    "non-ASCII left out");
	for (n = 0, i = 0; i < 30; i++) {
		list[n] = 20;
		memset(list + n + 1, 'a' + i, 20);
		n += 21;
	}
	is_int(t_alpn_raw(list, n, &h), TLS_HELLO_DONE, "30 names of 20: DONE");
	is_int(strlen(h.alpn), 12 * 21 - 1, "the first 12 kept whole");
	ok(strncmp(h.alpn + 11 * 21, "llll", 4) == 0, "the 12th last");
	list[0] = 255;
	memset(list + 1, 'x', 255);
	is_int(t_alpn_raw(list, 256, &h), TLS_HELLO_DONE, "one 255-byte name");
	is_int(strlen(h.alpn), 255, "fits exactly");
	memcpy(list + 256, "\x02h2", 3);
	is_int(t_alpn_raw(list, 259, &h), TLS_HELLO_DONE, "then one more");
	is_int(strlen(h.alpn), 255, "which does not fit");
	list[0] = 2;
	memcpy(list + 1, "h2", 2);
	list[3] = 255;
	memset(list + 4, 'y', 255);
	memcpy(list + 259, "\x08http/1.1", 9);
	is_int(t_alpn_raw(list, 268, &h), TLS_HELLO_DONE,
	    "h2, 255 bytes, http/1.1");
	is_str(h.alpn, "h2", "the list ends at the name that did not fit");
}

static int
t_versions(const void *d, size_t n, struct tls_hello *h)
{
	static struct t_msg t;

	t = m12bare;
	t_add_ext(&t, 43, d, n);
	return t_parse_msg(&t, h);
}

static void
t_versions_and_ech(void)
{
	static struct t_msg t;
	struct tls_hello h, want;

	is_int(t_versions("\x06\x3a\x3a\x03\x04\x03\x03", 7, &h),
	    TLS_HELLO_DONE, "GREASE, 1.3, 1.2: DONE");
	is_int(h.max_version, 0x0304, "max 1.3");
	is_int(t_versions("\x04\x03\x03\xfa\xfa", 5, &h), TLS_HELLO_DONE,
	    "1.2, GREASE");
	is_int(h.max_version, 0x0303, "GREASE ignored");
	is_int(t_versions("\x02\x0a\x0a", 3, &h), TLS_HELLO_DONE,
	    "only GREASE");
	is_int(h.max_version, 0x0303, "legacy_version then");
	is_int(t_versions("\x04\x7f\x1c\x03\x02", 5, &h), TLS_HELLO_DONE,
	    "draft 28, 1.1");
	is_int(h.max_version, 0x0302, "only 3.x counts");
	is_int(h.legacy_version, 0x0303, "legacy_version kept apart");

	t = m13;
	t_add_ext(&t, 0xfe0d, "\x00\x00\x01\x00\x01\x05\x00\x20", 8);
	tls_hello_parse(w13.p, w13.len, &want);
	is_int(t_parse_msg(&t, &h), TLS_HELLO_DONE, "ECH: DONE");
	is_int(h.ech, 1, "ECH: flagged");
	h.ech = 0;
	ok(t_same(&h, &want), "ECH: the rest as without it");

	t = m12bare;
	t.len = t_ext_off(&t);
	t_put24(t.m + 1, t.len - 4);
	is_int(t_parse_msg(&t, &h), TLS_HELLO_DONE,
	    "no extensions at all: DONE");
	ok(h.sni[0] == '\0' && h.alpn[0] == '\0' && h.max_version == 0x0303,
	    "no extensions: legacy_version, no names");
}

int
main(void)
{
	t_setup();
	t_real();
	t_reframed();
	t_large();
	t_trailing();
	t_not_tls();
	t_bad_framing();
	t_bad_ext();
	t_sni_names();
	t_alpn();
	t_versions_and_ech();
	return tap_done();
}
