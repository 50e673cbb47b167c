/*
 * ClientHello parsing for ssl_bump's peek step (RFC 8446 4.1.2, 4.2 and
 * 5.1; RFC 5246 6.2.1 and 7.4.1.2; RFC 6066 3; RFC 7301 3.1).  The hello is
 * read as one byte stream across however many handshake records carry it,
 * by a cursor that steps over record headers as it meets them, so a hello
 * split into records needs no reassembly buffer.  Every length is checked
 * against the one containing it before anything inside is read.  What is
 * not there yet is MORE; anything wrong in the bytes already there is final,
 * so an answer other than MORE never changes when more bytes arrive and the
 * caller may stop reading at the first one.
 */
#include "config.h"
#include "tls_hello.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdint.h>
#include <string.h>

#define HELLO_CT_CHANGE_CIPHER_SPEC	20
#define HELLO_CT_HANDSHAKE		22
#define HELLO_CT_APPLICATION_DATA	23
#define HELLO_HT_CLIENT_HELLO		1

#define HELLO_EXT_SERVER_NAME		0
#define HELLO_EXT_ALPN			16
#define HELLO_EXT_SUPPORTED_VERSIONS	43
#define HELLO_EXT_ECH			0xfe0d

#define HELLO_SNI_HOST_NAME		0

/* What hello_sni_check says of one host_name. */
enum hello_sni {
	HELLO_SNI_OK,
	HELLO_SNI_IP,			/* printable, but an address */
	HELLO_SNI_UNUSABLE
};

/* The cursor: where it is in the input and in the handshake message. */
struct hello_in {
	const unsigned char	*p;
	size_t			 len;
	size_t			 at;		/* next byte's input offset */
	size_t			 rec_end;	/* where this record ends */
	size_t			 pos;		/* offset in the message */
	size_t			 msg_end;	/* message length, 0 until known */
	enum tls_hello_status	 status;	/* once stopped: why */
	const char		*why;
	uint8_t			 seen[65536 / 8];	/* extension types */
};

static int
hello_stop(struct hello_in *in, enum tls_hello_status status, const char *why)
{
	in->status = status;
	in->why = why;
	return -1;
}

/*
 * Decide from the first bytes whether this can be TLS at all, before any
 * length is believed: text protocols never start with a record content type
 * (20..23, control characters) followed by 3, and an SSLv2 hello has its
 * own framing (a 2-byte length with the high bit set, then msg_type 1).
 */
static int
hello_sniff(struct hello_in *in, struct tls_hello *h)
{
	const unsigned char *p = in->p;

	if (in->len == 0)
		return hello_stop(in, TLS_HELLO_MORE,
		    "waiting for the first bytes");
	if (p[0] & 0x80) {
		if (in->len < 3)
			return hello_stop(in, TLS_HELLO_MORE,
			    "waiting for a possible SSLv2 header");
		if (p[2] != 1)
			return hello_stop(in, TLS_HELLO_NOT_TLS,
			    "not a TLS record");
		h->sslv2 = 1;
		return hello_stop(in, TLS_HELLO_NOT_TLS, "SSLv2 ClientHello");
	}
	if (p[0] < HELLO_CT_CHANGE_CIPHER_SPEC ||
	    p[0] > HELLO_CT_APPLICATION_DATA)
		return hello_stop(in, TLS_HELLO_NOT_TLS, "not a TLS record");
	if (in->len < 2)
		return hello_stop(in, TLS_HELLO_MORE,
		    "waiting for a record header");
	if (p[1] != 3)
		return hello_stop(in, TLS_HELLO_NOT_TLS,
		    "not a TLS record (version is not 3.x)");
	if (in->len >= 3)
		h->record_version = p[1] << 8 | p[2];
	if (p[0] != HELLO_CT_HANDSHAKE)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a record other than handshake before the ClientHello");
	return 0;
}

/*
 * Step over the header of the next record, which must carry more of the
 * hello.  Each header byte is judged as soon as it is in.
 */
static int
hello_record(struct hello_in *in)
{
	const unsigned char *r = in->p + in->at;
	size_t have = in->len - in->at, rlen;

	if (have >= 1 && r[0] != HELLO_CT_HANDSHAKE)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a record other than handshake inside the ClientHello");
	if (have >= 2 && r[1] != 3)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a record version that is not 3.x");
	if (have < 5)
		return hello_stop(in, TLS_HELLO_MORE,
		    "waiting for a record header");
	rlen = (size_t)r[3] << 8 | r[4];
	if (rlen == 0)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a zero-length handshake record");
	if (rlen > TLS_HELLO_RECORD_MAX)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a record longer than 2^14 + 2048 bytes");
	in->at += 5;
	in->rec_end = in->at + rlen;
	return 0;
}

/* The next n bytes of the message into dst, or skipped when dst is NULL. */
static int
hello_read(struct hello_in *in, unsigned char *dst, size_t n)
{
	size_t chunk;

	while (n > 0) {
		if (in->at == in->rec_end && hello_record(in) == -1)
			return -1;
		if (in->at >= in->len)
			return hello_stop(in, TLS_HELLO_MORE,
			    "waiting for the rest of the ClientHello");
		chunk = in->rec_end - in->at;
		if (chunk > in->len - in->at)
			chunk = in->len - in->at;
		if (chunk > n)
			chunk = n;
		if (dst != NULL) {
			memcpy(dst, in->p + in->at, chunk);
			dst += chunk;
		}
		in->at += chunk;
		in->pos += chunk;
		n -= chunk;
	}
	return 0;
}

/* A big-endian integer of n (1..3) bytes, which must end before end. */
static int
hello_uint(struct hello_in *in, size_t end, size_t n, size_t *v,
    const char *why)
{
	unsigned char b[3];
	size_t i;

	assert(n >= 1 && n <= sizeof(b));
	if (in->pos + n > end)
		return hello_stop(in, TLS_HELLO_BAD, why);
	if (hello_read(in, b, n) == -1)
		return -1;
	for (*v = 0, i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return 0;
}

/* A vector's length prefix of n bytes; its contents must end before end. */
static int
hello_vec(struct hello_in *in, size_t end, size_t n, size_t *vlen,
    const char *why)
{
	if (hello_uint(in, end, n, vlen, why) == -1)
		return -1;
	if (*vlen > end - in->pos)
		return hello_stop(in, TLS_HELLO_BAD, why);
	return 0;
}

/*
 * Literal addresses are not allowed in SNI (RFC 6066 3).  inet_aton takes
 * the forms getaddrinfo would ("127.1", "0x7f000001") so that no name used
 * later as a host turns out to be an address; a trailing dot and IPv6
 * brackets are stripped first.  s has room for the changes.
 */
static int
hello_is_ip(char *s)
{
	struct in_addr a4;
	struct in6_addr a6;
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	if (inet_aton(s, &a4) != 0)
		return 1;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s[n - 1] = '\0';
		s++;
	}
	return inet_pton(AF_INET6, s, &a6) == 1;
}

/*
 * The caller may log the name or build file names from it, so anything but
 * printable ASCII makes it unusable (RFC 6066 wants A-labels anyway).
 */
static enum hello_sni
hello_sni_check(const unsigned char *name, size_t n)
{
	char s[256];
	size_t i;

	if (n == 0 || n >= sizeof(s))
		return HELLO_SNI_UNUSABLE;
	for (i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] >= 0x7f)
			return HELLO_SNI_UNUSABLE;
	memcpy(s, name, n);
	s[n] = '\0';
	return hello_is_ip(s) ? HELLO_SNI_IP : HELLO_SNI_OK;
}

/*
 * server_name (RFC 6066 3): a list of (name_type, name).  Only host_name
 * has a defined encoding, so after any other type the rest of the list
 * cannot be read and is skipped; the name is unusable then, as it is when
 * a second host_name makes it ambiguous.
 */
static int
hello_sni(struct hello_in *in, struct tls_hello *h, size_t end)
{
	unsigned char name[255];
	size_t list, type, n, names = 0;
	int unusable = 0;

	if (hello_vec(in, end, 2, &list,
	    "server_name list overruns its extension") == -1)
		return -1;
	if (list == 0 || in->pos + list != end)
		return hello_stop(in, TLS_HELLO_BAD,
		    "server_name list empty or not filling its extension");
	while (in->pos < end) {
		if (hello_uint(in, end, 1, &type,
		    "server_name list truncated") == -1)
			return -1;
		if (type != HELLO_SNI_HOST_NAME) {
			unusable = 1;
			if (hello_read(in, NULL, end - in->pos) == -1)
				return -1;
			break;
		}
		if (hello_vec(in, end, 2, &n,
		    "a host_name overruns the server_name list") == -1)
			return -1;
		names++;
		if (n > sizeof(name)) {
			unusable = 1;
			if (hello_read(in, NULL, n) == -1)
				return -1;
			continue;
		}
		if (hello_read(in, name, n) == -1)
			return -1;
		switch (hello_sni_check(name, n)) {
		case HELLO_SNI_UNUSABLE:
			unusable = 1;
			break;
		case HELLO_SNI_IP:
			h->sni_bad = 1;
			/* FALLTHROUGH */
		case HELLO_SNI_OK:
			if (names == 1) {
				memcpy(h->sni, name, n);
				h->sni[n] = '\0';
			}
			break;
		}
	}
	if (unusable || names > 1) {
		h->sni_bad = 1;
		h->sni[0] = '\0';
	}
	return 0;
}

/*
 * Add one protocol name to h->alpn, *used bytes long.  Names that could be
 * misread once joined (bytes outside 0x21..0x7e, a ",") are left out; a
 * name that does not fit whole ends the list, so that it is always a
 * prefix of what was sent.
 */
static void
hello_alpn_add(struct tls_hello *h, const unsigned char *name, size_t n,
    size_t *used, int *full)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == ',')
			return;
	if (*full || *used + (*used > 0) + n >= sizeof(h->alpn)) {
		*full = 1;
		return;
	}
	if (*used > 0)
		h->alpn[(*used)++] = ',';
	memcpy(h->alpn + *used, name, n);
	*used += n;
	h->alpn[*used] = '\0';
}

/* application_layer_protocol_negotiation (RFC 7301 3.1) */
static int
hello_alpn(struct hello_in *in, struct tls_hello *h, size_t end)
{
	unsigned char name[255];
	size_t list, n, used = 0;
	int full = 0;

	if (hello_vec(in, end, 2, &list,
	    "ALPN list overruns its extension") == -1)
		return -1;
	if (list == 0 || in->pos + list != end)
		return hello_stop(in, TLS_HELLO_BAD,
		    "ALPN list empty or not filling its extension");
	while (in->pos < end) {
		if (hello_vec(in, end, 1, &n,
		    "an ALPN protocol name overruns the list") == -1)
			return -1;
		if (n == 0)
			return hello_stop(in, TLS_HELLO_BAD,
			    "an empty ALPN protocol name");
		if (hello_read(in, name, n) == -1)
			return -1;
		hello_alpn_add(h, name, n, &used, &full);
	}
	return 0;
}

/*
 * supported_versions (RFC 8446 4.2.1).  Only 3.x counts: GREASE values
 * (0x?a?a, RFC 8701) and old draft numbers (0x7fxx) would otherwise look
 * higher than TLS 1.3.
 */
static int
hello_versions(struct hello_in *in, struct tls_hello *h, size_t end)
{
	size_t list, v;
	int best = 0;

	if (hello_vec(in, end, 1, &list,
	    "supported_versions list overruns its extension") == -1)
		return -1;
	if (list == 0 || list % 2 != 0 || in->pos + list != end)
		return hello_stop(in, TLS_HELLO_BAD, "supported_versions "
		    "list empty, odd or not filling its extension");
	while (in->pos < end) {
		if (hello_uint(in, end, 2, &v,
		    "supported_versions truncated") == -1)
			return -1;
		if ((v & 0x0f0f) == 0x0a0a || v >> 8 != 3)
			continue;
		if ((int)v > best)
			best = (int)v;
	}
	if (best != 0)
		h->max_version = best;
	return 0;
}

/* One extension; end is the end of the extensions block. */
static int
hello_ext(struct hello_in *in, struct tls_hello *h, size_t end)
{
	size_t type, n, ext_end;
	int rc;

	if (hello_uint(in, end, 2, &type,
	    "an extension header overruns the extensions") == -1 ||
	    hello_vec(in, end, 2, &n,
	    "an extension overruns the extensions") == -1)
		return -1;
	if (in->seen[type / 8] & (1 << (type % 8)))
		return hello_stop(in, TLS_HELLO_BAD,
		    "an extension appears twice");
	in->seen[type / 8] |= 1 << (type % 8);
	ext_end = in->pos + n;
	switch (type) {
	case HELLO_EXT_SERVER_NAME:
		rc = hello_sni(in, h, ext_end);
		break;
	case HELLO_EXT_ALPN:
		rc = hello_alpn(in, h, ext_end);
		break;
	case HELLO_EXT_SUPPORTED_VERSIONS:
		rc = hello_versions(in, h, ext_end);
		break;
	case HELLO_EXT_ECH:
		h->ech = 1;
		/* FALLTHROUGH */
	default:
		rc = hello_read(in, NULL, n);
		break;
	}
	assert(rc == -1 || in->pos == ext_end);
	return rc;
}

/*
 * The handshake message (RFC 8446 4.1.2): the ClientHello's fixed fields,
 * then the extensions, which when present must fill the message exactly.
 * The last record must end with the message: nothing may follow a
 * ClientHello before the server answers.
 */
static int
hello_message(struct hello_in *in, struct tls_hello *h)
{
	size_t v, body, end, n;

	if (hello_uint(in, SIZE_MAX, 1, &v, "") == -1)
		return -1;
	if (v != HELLO_HT_CLIENT_HELLO)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a handshake message other than ClientHello");
	if (hello_uint(in, SIZE_MAX, 3, &body, "") == -1)
		return -1;
	if (body > TLS_HELLO_MAX)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a ClientHello longer than 64 KiB");
	end = in->msg_end = in->pos + body;
	if (hello_uint(in, end, 2, &v,
	    "ClientHello too short for its version") == -1)
		return -1;
	h->legacy_version = h->max_version = (int)v;
	if (v >> 8 != 3)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a legacy_version that is not 3.x");
	if (in->pos + 32 > end)
		return hello_stop(in, TLS_HELLO_BAD,
		    "ClientHello too short for its random");
	if (hello_read(in, NULL, 32) == -1)
		return -1;
	if (hello_vec(in, end, 1, &n,
	    "session_id overruns the ClientHello") == -1)
		return -1;
	if (n > 32)
		return hello_stop(in, TLS_HELLO_BAD,
		    "a session_id longer than 32 bytes");
	if (hello_read(in, NULL, n) == -1)
		return -1;
	if (hello_vec(in, end, 2, &n,
	    "cipher_suites overrun the ClientHello") == -1)
		return -1;
	if (n == 0 || n % 2 != 0)
		return hello_stop(in, TLS_HELLO_BAD,
		    "cipher_suites empty or odd");
	if (hello_read(in, NULL, n) == -1)
		return -1;
	if (hello_vec(in, end, 1, &n,
	    "compression_methods overrun the ClientHello") == -1)
		return -1;
	if (n == 0)
		return hello_stop(in, TLS_HELLO_BAD,
		    "compression_methods empty");
	if (hello_read(in, NULL, n) == -1)
		return -1;
	/* A TLS 1.2 hello may end here, without extensions. */
	if (in->pos < end) {
		if (hello_vec(in, end, 2, &n,
		    "extensions overrun the ClientHello") == -1)
			return -1;
		if (in->pos + n != end)
			return hello_stop(in, TLS_HELLO_BAD,
			    "extensions do not fill the ClientHello");
		while (in->pos < end)
			if (hello_ext(in, h, end) == -1)
				return -1;
	}
	if (in->at != in->rec_end)
		return hello_stop(in, TLS_HELLO_BAD,
		    "more handshake data after the ClientHello in its record");
	return 0;
}

/*
 * On MORE, the least input a DONE could come with: the rest of the message
 * in the record being read, or in one more record after it.  Before the
 * message's length is known, one more byte.
 */
static size_t
hello_need(const struct hello_in *in)
{
	size_t left, in_rec;

	if (in->msg_end == 0)
		return in->len + 1;
	left = in->msg_end - in->pos;
	if (in->at == in->rec_end)	/* waiting for a record header */
		return in->at + 5 + left;
	in_rec = in->rec_end - in->at;
	if (left <= in_rec)
		return in->at + left;
	return in->rec_end + 5 + (left - in_rec);
}

enum tls_hello_status
tls_hello_parse(const unsigned char *p, size_t len, struct tls_hello *h)
{
	struct hello_in in;

	memset(h, 0, sizeof(*h));
	memset(&in, 0, sizeof(in));
	in.p = p;
	in.len = len;
	if (hello_sniff(&in, h) == -1 || hello_record(&in) == -1 ||
	    hello_message(&in, h) == -1) {
		h->why = in.why;
		if (in.status == TLS_HELLO_MORE)
			h->need = hello_need(&in);
		return in.status;
	}
	h->consumed = in.at;
	return TLS_HELLO_DONE;
}
