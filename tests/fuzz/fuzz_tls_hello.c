/*
 * libFuzzer target: the ClientHello parser behind ssl_bump's peek step.
 * The input is what a client sends after CONNECT.  Beyond the sanitizers
 * it checks what the worker relies on: consumed lies in the input, sni and
 * alpn are NUL-terminated and printable, an answer other than MORE stays
 * the same when more bytes arrive, and of a DONE hello every shorter prefix
 * is MORE with a need no further than the hello's end, its consumed bytes
 * alone give the same fields, and so does its message re-framed into small
 * records.
 */
#include "config.h"
#include "tls_hello.h"

#include <stdint.h>

#include "fuzz.h"

static void
fuzz_printable(const char *s, size_t size)
{
	size_t i;

	FUZZ_CHECK(memchr(s, '\0', size) != NULL);
	for (i = 0; s[i] != '\0'; i++)
		FUZZ_CHECK(s[i] > 0x20 && s[i] < 0x7f);
}

static enum tls_hello_status
fuzz_parse(const unsigned char *p, size_t len, struct tls_hello *h)
{
	enum tls_hello_status st = tls_hello_parse(p, len, h);

	FUZZ_CHECK(st == TLS_HELLO_MORE || st == TLS_HELLO_DONE ||
	    st == TLS_HELLO_NOT_TLS || st == TLS_HELLO_BAD);
	FUZZ_CHECK(h->consumed <= len);
	FUZZ_CHECK((st == TLS_HELLO_DONE) == (h->consumed > 0));
	FUZZ_CHECK((st == TLS_HELLO_DONE) == (h->why == NULL));
	FUZZ_CHECK(st == TLS_HELLO_MORE ? h->need > len : h->need == 0);
	FUZZ_CHECK(!h->sslv2 || st == TLS_HELLO_NOT_TLS);
	fuzz_printable(h->sni, sizeof(h->sni));
	fuzz_printable(h->alpn, sizeof(h->alpn));
	FUZZ_CHECK(h->sni_bad == 0 || h->sni_bad == 1);
	return st;
}

/*
 * Every shorter prefix is MORE, and needs no more than the whole; past
 * 4 KiB a sample of them, for speed.
 */
static void
fuzz_prefixes(const unsigned char *p, size_t len)
{
	struct tls_hello h;
	size_t i, step = len / 4096 + 1;

	for (i = 0; i < len; i += step) {
		FUZZ_CHECK(fuzz_parse(p, i, &h) == TLS_HELLO_MORE);
		FUZZ_CHECK(h.need <= len);
	}
	FUZZ_CHECK(fuzz_parse(p, len - 1, &h) == TLS_HELLO_MORE);
	FUZZ_CHECK(h.need == len);
}

/*
 * The DONE hello's message in records of chunk bytes, each with the first
 * record's header bytes: the fields must not depend on the framing.
 */
static void
fuzz_reframe(const unsigned char *p, const struct tls_hello *want,
    size_t chunk)
{
	unsigned char *msg, *out;
	size_t at, mlen = 0, olen = 0, n;
	struct tls_hello h;

	msg = malloc(want->consumed);
	out = malloc(want->consumed * 6 + 5);
	FUZZ_CHECK(msg != NULL && out != NULL);
	for (at = 0; at < want->consumed; at += 5 + n) {
		n = (size_t)p[at + 3] << 8 | p[at + 4];
		memcpy(msg + mlen, p + at + 5, n);
		mlen += n;
	}
	for (at = 0; at < mlen; at += n) {
		n = mlen - at < chunk ? mlen - at : chunk;
		memcpy(out + olen, p, 3);
		out[olen + 3] = n >> 8;
		out[olen + 4] = n;
		memcpy(out + olen + 5, msg + at, n);
		olen += 5 + n;
	}
	FUZZ_CHECK(fuzz_parse(out, olen, &h) == TLS_HELLO_DONE);
	FUZZ_CHECK(h.consumed == olen);
	h.consumed = want->consumed;
	FUZZ_CHECK(memcmp(&h, want, sizeof(h)) == 0);
	free(msg);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *p = (unsigned char *)fuzz_copy(data, size, 0), *twice;
	struct tls_hello h, h2;
	enum tls_hello_status st;

	st = fuzz_parse(p, size, &h);

	/* more bytes (the input again) change nothing once decided */
	twice = malloc(2 * size + 1);
	FUZZ_CHECK(twice != NULL);
	memcpy(twice, p, size);
	memcpy(twice + size, p, size);
	if (st != TLS_HELLO_MORE) {
		FUZZ_CHECK(fuzz_parse(twice, 2 * size, &h2) == st);
		FUZZ_CHECK(h2.why == h.why);
	}
	if (st == TLS_HELLO_DONE)
		FUZZ_CHECK(memcmp(&h, &h2, sizeof(h)) == 0);
	/* and a prefix of a MORE is MORE */
	if (st == TLS_HELLO_MORE)
		FUZZ_CHECK(fuzz_parse(p, size / 2, &h2) == TLS_HELLO_MORE);
	free(twice);

	if (st == TLS_HELLO_DONE) {
		FUZZ_CHECK(fuzz_parse(p, h.consumed, &h2) == TLS_HELLO_DONE);
		FUZZ_CHECK(memcmp(&h, &h2, sizeof(h)) == 0);
		fuzz_prefixes(p, h.consumed);
		fuzz_reframe(p, &h, 1 + (size > 0 ? p[size - 1] % 101 : 0));
	}
	free(p);
	return 0;
}
