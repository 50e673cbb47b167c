/*
 * Strict HTTP/1.x head parser and incremental chunked decoder.  This is the
 * client- and server-facing gate of every worker, so it runs in one pass over
 * the bytes with a character-class table, points into the caller's buffer
 * instead of copying, and turns every ambiguity that could let two parsers
 * disagree about where a message ends (request smuggling) into an error with
 * the status code to answer.  The parser is restartable only from the start:
 * the caller keeps the bytes and calls again with more of them.
 */
#include "config.h"
#include "http_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define HTTP_HDR_INITIAL	32
#define HTTP_CHUNK_LINE_MAX	4096	/* size line with extensions, trailer line */

/* Character classes, one bit each, so one table lookup answers each test. */
#define C_TCHAR		0x01	/* RFC 9110 tchar */
#define C_VALUE		0x02	/* field-vchar, SP, HTAB: allowed in a value */
#define C_TARGET	0x04	/* in a request-target: VCHAR, and 8-bit bytes as
				 * Squid's relaxed parser takes them (url.c
				 * keeps them out of the host) */
#define C_HEX		0x08

static unsigned char http_ctab[256];
static int http_ctab_ready;

static void
http_ctab_init(void)
{
	static const char tspecial[] = "!#$%&'*+-.^_`|~";
	int c;

	for (c = 0; c < 256; c++) {
		unsigned char f = 0;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c != 0 && strchr(tspecial, c)))
			f |= C_TCHAR;
		if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' ||
		    c == '\t')
			f |= C_VALUE;
		if ((c >= 0x21 && c <= 0x7e) || c >= 0x80)
			f |= C_TARGET;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F'))
			f |= C_HEX;
		http_ctab[c] = f;
	}
	http_ctab_ready = 1;
}

/* The table is filled on first use so callers need no init call. */
#define HTTP_CLASS(c, f) (http_ctab[(unsigned char)(c)] & (f))

int
http_is_tchar(unsigned char c)
{
	if (!http_ctab_ready)
		http_ctab_init();
	return HTTP_CLASS(c, C_TCHAR) != 0;
}

/*
 * Skip field-value bytes.  Values are most of a head, so 8 bytes are tested
 * at once for anything below 0x20 or equal to 0x7f (the test is exact about
 * whether such a byte exists); the byte loop then places it, and lets HTAB
 * through.
 */
#define HTTP_ONES	0x0101010101010101ULL
#define HTTP_HIGHS	0x8080808080808080ULL

static const char *
http_skip_value(const char *p, const char *end)
{
	uint64_t x, lt, del;

	while (end - p >= 8) {
		memcpy(&x, p, 8);
		lt = (x - HTTP_ONES * 0x20) & ~x & HTTP_HIGHS;
		del = ((x ^ (HTTP_ONES * 0x7f)) - HTTP_ONES) &
		    ~(x ^ (HTTP_ONES * 0x7f)) & HTTP_HIGHS;
		if (lt | del)
			break;
		p += 8;
	}
	while (p < end && HTTP_CLASS(*p, C_VALUE))
		p++;
	return p;
}

static enum http_parse_result
http_fail(struct http_parse_error *err, int status,
    enum http_parse_errcode code, const char *reason)
{
	if (err != NULL) {
		err->status = status;
		err->code = code;
		err->reason = reason;
	}
	log_debug(11, 2, "http_parse: %d %s", status, reason);
	return HTTP_PARSE_ERROR;
}

static int
http_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int
http_ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	return alen == blen && strncasecmp(a, b, alen) == 0;
}

static void
http_msg_reset(struct http_msg *m)
{
	struct http_header *hdr = m->hdr;
	int cap = m->hdr_cap;

	memset(m, 0, sizeof(*m));
	m->hdr = hdr;
	m->hdr_cap = cap;
}

static int
http_msg_add(struct http_msg *m, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
	struct http_header *h;

	if (m->nhdr == m->hdr_cap) {
		int ncap = m->hdr_cap ? m->hdr_cap * 2 : HTTP_HDR_INITIAL;

		h = realloc(m->hdr, (size_t)ncap * sizeof(*h));
		if (h == NULL) {
			log_err("http_parse: realloc %d headers", ncap);
			return -1;
		}
		m->hdr = h;
		m->hdr_cap = ncap;
	}
	h = &m->hdr[m->nhdr++];
	h->name = name;
	h->name_len = name_len;
	h->value = value;
	h->value_len = value_len;
	return 0;
}

void
http_msg_free(struct http_msg *m)
{
	free(m->hdr);
	m->hdr = NULL;
	m->hdr_cap = 0;
	m->nhdr = 0;
}

const struct http_header *
http_msg_header(const struct http_msg *m, const char *name)
{
	int i;

	for (i = 0; i < m->nhdr; i++)
		if (http_ieq(m->hdr[i].name, m->hdr[i].name_len, name))
			return &m->hdr[i];
	return NULL;
}

/*
 * Walk the elements of a comma-separated list value: returns the next
 * element (OWS trimmed, possibly empty) and advances *pos; 0 at the end.
 */
static int
http_list_next(const char *v, size_t len, size_t *pos, const char **elem,
    size_t *elen)
{
	size_t p = *pos, s, e;

	if (p > len)
		return 0;
	while (p < len && (v[p] == ' ' || v[p] == '\t'))
		p++;
	s = p;
	while (p < len && v[p] != ',')
		p++;
	e = p;
	while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
		e--;
	*elem = v + s;
	*elen = e - s;
	*pos = p + 1;	/* past the comma, or past the end: the last element */
	return 1;
}

int
http_msg_has_token(const struct http_msg *m, const char *name,
    const char *token)
{
	const char *e;
	size_t pos, elen;
	int i;

	for (i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];

		if (!http_ieq(h->name, h->name_len, name))
			continue;
		pos = 0;
		while (http_list_next(h->value, h->value_len, &pos, &e, &elen))
			if (http_ieq(e, elen, token))
				return 1;
	}
	return 0;
}

/*
 * Parse "HTTP/D.D" at p (exactly 8 bytes available).  Returns 0 if the shape
 * is right, with the digits; -1 if it is not an HTTP version at all.
 */
static int
http_parse_version(const char *p, int *major, int *minor)
{
	if (memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9')
		return -1;
	*major = p[5] - '0';
	*minor = p[7] - '0';
	return 0;
}

/*
 * A request-target with SP or HTAB inside, as broken clients send
 * unencoded URLs ("GET /a b HTTP/1.1"): Squid's default relaxed parser
 * takes the target to run from after the method's SP to the last SP
 * before the version at the line's end, and uri_whitespace decides what
 * becomes of it.  We do the same, so only a line that ends in
 * " HTTP/d.d" qualifies, the target's other bytes must be target bytes,
 * and m->target_ws tells the caller, which must apply uri_whitespace
 * before the target is used (nothing may forward it as it is: the next
 * hop would split the line at the first SP).  s: the target's first byte.
 */
static int
http_target_with_ws(struct http_msg *m, const char *s, const char *e)
{
	const char *v = e - 9, *t;

	if (v <= s || *v != ' ' || memcmp(v + 1, "HTTP/", 5) != 0)
		return 0;
	/* Squid skips any run of SP and HTAB on either side of the target */
	while (s < v && (*s == ' ' || *s == '\t'))
		s++;
	while (v > s && (v[-1] == ' ' || v[-1] == '\t'))
		v--;
	if (s == v)
		return 0;
	for (t = s; t < v; t++)
		if (*t == ' ' || *t == '\t')
			m->target_ws = 1;
		else if (!HTTP_CLASS(*t, C_TARGET))
			return 0;
	m->target = s;
	m->target_len = (size_t)(v - s);
	return 1;
}

/* Request line in [p, e) (CRLF excluded, no CR inside is checked here). */
static enum http_parse_result
http_request_line(struct http_msg *m, const char *p, const char *e,
    struct http_parse_error *err)
{
	const char *s = p;
	int major, minor;

	while (p < e && HTTP_CLASS(*p, C_TCHAR))
		p++;
	if (p == s || p == e || *p != ' ')
		return http_fail(err, 400, HTTP_PERR_BAD_METHOD, "bad method");
	m->method = s;
	m->method_len = p - s;
	s = ++p;
	while (p < e && HTTP_CLASS(*p, C_TARGET))
		p++;
	if (p < e && (*p == ' ' || *p == '\t') && (e - p != 9 || *p != ' ') &&
	    http_target_with_ws(m, s, e)) {
		p = e - 8;
		goto version;
	}
	if (p == s)
		return http_fail(err, 400, HTTP_PERR_BAD_TARGET,
		    "empty or bad request-target");
	if (p == e)
		return http_fail(err, 400, HTTP_PERR_NO_VERSION,
		    "no HTTP version (HTTP/0.9)");
	if (*p != ' ')
		return http_fail(err, 400, HTTP_PERR_BAD_TARGET,
		    "bad byte in request-target");
	m->target = s;
	m->target_len = p - s;
	p++;
version:
	if (e - p != 8 || http_parse_version(p, &major, &minor) == -1)
		return http_fail(err, 400, HTTP_PERR_BAD_VERSION,
		    "bad HTTP version");
	if (major != 1 || minor > 1)
		return http_fail(err, 505, HTTP_PERR_UNSUPPORTED_VERSION,
		    "unsupported HTTP version");
	m->vmajor = major;
	m->vminor = minor;
	return HTTP_PARSE_OK;
}

static enum http_parse_result
http_status_line(struct http_msg *m, const char *p, const char *e,
    struct http_parse_error *err)
{
	const char *s;
	int major, minor;

	if (e - p < 8 || http_parse_version(p, &major, &minor) == -1)
		return http_fail(err, 502, HTTP_PERR_BAD_STATUS_LINE,
		    "bad status line");
	if (major != 1)
		return http_fail(err, 502, HTTP_PERR_UNSUPPORTED_VERSION,
		    "unsupported HTTP version");
	m->vmajor = 1;
	m->vminor = minor > 1 ? 1 : minor;	/* RFC 9110 2.5: 1.x is 1.1 */
	p += 8;
	if (e - p < 4 || *p != ' ' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || p[3] < '0' || p[3] > '9')
		return http_fail(err, 502, HTTP_PERR_BAD_STATUS_LINE,
		    "bad status code");
	m->status = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	if (m->status < 100)
		return http_fail(err, 502, HTTP_PERR_BAD_STATUS_LINE,
		    "bad status code");
	p += 4;
	/* "HTTP/1.1 200" without the SP before an empty reason is common. */
	if (p < e && *p++ != ' ')
		return http_fail(err, 502, HTTP_PERR_BAD_STATUS_LINE,
		    "bad status code");
	for (s = p; p < e; p++)
		if (!HTTP_CLASS(*p, C_VALUE))
			return http_fail(err, 502, HTTP_PERR_BAD_STATUS_LINE,
			    "bad byte in reason phrase");
	m->reason = s;
	m->reason_len = e - s;
	return HTTP_PARSE_OK;
}

/*
 * Parse the whole head.  Errors carry status errst (400 or 502); the head
 * limit gives 414/431 for requests, 502 for responses.
 */
static enum http_parse_result
http_parse_head(struct http_msg *m, const char *buf, size_t len,
    size_t max_head, int is_request, struct http_parse_error *err)
{
	int errst = is_request ? 400 : 502;
	const char *p = buf, *end, *lf;
	enum http_parse_result r;
	int truncated;

	if (!http_ctab_ready)
		http_ctab_init();
	http_msg_reset(m);

	/* Nothing past max_head may belong to the head, so never look there. */
	truncated = len > max_head;
	end = buf + (truncated ? max_head : len);

	if (is_request) {
		while (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		if (p < end && *p == '\n')
			return http_fail(err, 400, HTTP_PERR_BARE_CR_LF,
			    "bare LF");
	}

	/* Start line. */
	lf = p < end ? memchr(p, '\n', end - p) : NULL;
	if (lf == NULL) {
		if (p < end && end[-1] == '\r')
			end--;
		if (memchr(p, '\r', end - p) != NULL)
			return http_fail(err, errst, HTTP_PERR_BARE_CR_LF,
			    "bare CR");
		if (!truncated)
			return HTTP_PARSE_INCOMPLETE;
		if (is_request)
			return http_fail(err, 414, HTTP_PERR_HEAD_TOO_LARGE,
			    "request line too long");
		return http_fail(err, 502, HTTP_PERR_HEAD_TOO_LARGE,
		    "response head too large");
	}
	if (lf == p || lf[-1] != '\r')
		return http_fail(err, errst, HTTP_PERR_BARE_CR_LF, "bare LF");
	if (memchr(p, '\r', lf - 1 - p) != NULL)
		return http_fail(err, errst, HTTP_PERR_BARE_CR_LF, "bare CR");
	r = is_request ? http_request_line(m, p, lf - 1, err) :
	    http_status_line(m, p, lf - 1, err);
	if (r != HTTP_PARSE_OK)
		return r;
	p = lf + 1;

	/* Field lines, each validated in the same pass that finds its end. */
	for (;;) {
		const char *name, *vs, *ve;
		size_t name_len;

		if (p >= end)
			goto short_head;
		if (*p == '\r') {
			if (p + 1 >= end)
				goto short_head;
			if (p[1] != '\n')
				return http_fail(err, errst,
				    HTTP_PERR_BARE_CR_LF, "bare CR");
			p += 2;
			break;
		}
		if (*p == ' ' || *p == '\t')
			return http_fail(err, errst, HTTP_PERR_OBS_FOLD,
			    "obs-fold or leading whitespace in field line");
		name = p;
		while (p < end && HTTP_CLASS(*p, C_TCHAR))
			p++;
		if (p >= end)
			goto short_head;
		if (*p != ':' || p == name)
			return http_fail(err, errst, HTTP_PERR_BAD_FIELD,
			    "bad field name");
		name_len = p - name;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		vs = p;
		p = http_skip_value(p, end);
		if (p >= end)
			goto short_head;
		if (*p == '\n')
			return http_fail(err, errst, HTTP_PERR_BARE_CR_LF,
			    "bare LF");
		if (*p != '\r')
			return http_fail(err, errst, HTTP_PERR_BAD_FIELD,
			    "control character in field value");
		if (p + 1 >= end)
			goto short_head;
		if (p[1] != '\n')
			return http_fail(err, errst, HTTP_PERR_BARE_CR_LF,
			    "bare CR");
		ve = p;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (http_msg_add(m, name, name_len, vs, ve - vs) == -1)
			return http_fail(err, is_request ? 500 : 502,
			    HTTP_PERR_NO_MEMORY, "out of memory");
		p += 2;
	}
	m->head_len = p - buf;
	return HTTP_PARSE_OK;

short_head:
	/* The bytes so far are valid; only the end is missing. */
	if (!truncated)
		return HTTP_PARSE_INCOMPLETE;
	if (is_request)
		return http_fail(err, 431, HTTP_PERR_HEAD_TOO_LARGE,
		    "request header too large");
	return http_fail(err, 502, HTTP_PERR_HEAD_TOO_LARGE,
	    "response head too large");
}

/*
 * Content-Length: every instance and every list element must be the same
 * valid number.  Returns 0 if absent, 1 with *cl set, -1 if invalid.
 */
static int
http_content_length(const struct http_msg *m, int64_t *cl)
{
	const char *e;
	size_t pos, elen, i;
	int64_t v, seen = -1;
	int n;

	for (n = 0; n < m->nhdr; n++) {
		const struct http_header *h = &m->hdr[n];

		if (!http_ieq(h->name, h->name_len, "Content-Length"))
			continue;
		pos = 0;
		while (http_list_next(h->value, h->value_len, &pos, &e,
		    &elen)) {
			if (elen == 0)
				return -1;
			v = 0;
			for (i = 0; i < elen; i++) {
				if (e[i] < '0' || e[i] > '9')
					return -1;
				if (v > (INT64_MAX - (e[i] - '0')) / 10)
					return -1;
				v = v * 10 + (e[i] - '0');
			}
			if (seen != -1 && v != seen)
				return -1;
			seen = v;
		}
	}
	if (seen == -1)
		return 0;
	*cl = seen;
	return 1;
}

enum http_te {
	HTTP_TE_NONE,		/* no Transfer-Encoding */
	HTTP_TE_CHUNKED,	/* chunked, last, once */
	HTTP_TE_NOT_CHUNKED,	/* known codings, chunked not last */
	HTTP_TE_UNKNOWN,	/* a coding we do not know */
	HTTP_TE_BAD		/* empty, chunked twice, malformed */
};

/* Codings RFC 9112 7 registers besides chunked ("identity" is gone). */
static int
http_te_known(const char *c, size_t len)
{
	return http_ieq(c, len, "gzip") || http_ieq(c, len, "x-gzip") ||
	    http_ieq(c, len, "deflate") || http_ieq(c, len, "compress") ||
	    http_ieq(c, len, "x-compress");
}

/* Classify all Transfer-Encoding instances taken as one list. */
static enum http_te
http_transfer_encoding(const struct http_msg *m)
{
	const char *e;
	size_t pos, elen, nlen;
	int n, any = 0, chunked = 0, last_chunked = 0, unknown = 0;

	for (n = 0; n < m->nhdr; n++) {
		const struct http_header *h = &m->hdr[n];

		if (!http_ieq(h->name, h->name_len, "Transfer-Encoding"))
			continue;
		pos = 0;
		while (http_list_next(h->value, h->value_len, &pos, &e,
		    &elen)) {
			if (elen == 0)
				continue;	/* RFC 9110 5.6.1 empty element */
			for (nlen = 0; nlen < elen &&
			    HTTP_CLASS(e[nlen], C_TCHAR); nlen++)
				;
			if (nlen == 0)
				return HTTP_TE_BAD;
			any = 1;
			if (http_ieq(e, nlen, "chunked")) {
				/* chunked takes no parameters */
				if (nlen != elen || chunked)
					return HTTP_TE_BAD;
				chunked = last_chunked = 1;
				continue;
			}
			last_chunked = 0;
			if (!http_te_known(e, nlen))
				unknown = 1;
		}
	}
	if (!any) {
		/* A present but empty Transfer-Encoding is not "absent". */
		return http_msg_header(m, "Transfer-Encoding") ? HTTP_TE_BAD :
		    HTTP_TE_NONE;
	}
	if (unknown)
		return HTTP_TE_UNKNOWN;
	return last_chunked ? HTTP_TE_CHUNKED : HTTP_TE_NOT_CHUNKED;
}

/* Headers the framing rules look at, found in one pass over the names. */
#define HTTP_SEEN_CL	0x01
#define HTTP_SEEN_TE	0x02
#define HTTP_SEEN_CONN	0x04
#define HTTP_SEEN_PCONN	0x08
#define HTTP_SEEN_EXPECT 0x10
#define HTTP_SEEN_HOST	0x20
#define HTTP_SEEN_HOST2	0x40	/* more than one Host line */

static int
http_seen(const struct http_msg *m)
{
	const struct http_header *h;
	int i, seen = 0;

	for (i = 0; i < m->nhdr; i++) {
		h = &m->hdr[i];
		switch (h->name_len) {
		case 4:
			if (http_ieq(h->name, 4, "Host"))
				seen |= seen & HTTP_SEEN_HOST ?
				    HTTP_SEEN_HOST2 : HTTP_SEEN_HOST;
			break;
		case 6:
			if (http_ieq(h->name, 6, "Expect"))
				seen |= HTTP_SEEN_EXPECT;
			break;
		case 10:
			if (http_ieq(h->name, 10, "Connection"))
				seen |= HTTP_SEEN_CONN;
			break;
		case 14:
			if (http_ieq(h->name, 14, "Content-Length"))
				seen |= HTTP_SEEN_CL;
			break;
		case 16:
			if (http_ieq(h->name, 16, "Proxy-Connection"))
				seen |= HTTP_SEEN_PCONN;
			break;
		case 17:
			if (http_ieq(h->name, 17, "Transfer-Encoding"))
				seen |= HTTP_SEEN_TE;
			break;
		}
	}
	return seen;
}

enum http_parse_result
http_parse_request(struct http_msg *m, const char *buf, size_t len,
    size_t max_head, struct http_parse_error *err)
{
	enum http_parse_result r;
	enum http_te te;
	int64_t cl = 0;
	int has_cl, seen;

	r = http_parse_head(m, buf, len, max_head, 1, err);
	if (r != HTTP_PARSE_OK)
		return r;

	seen = http_seen(m);
	/* RFC 9112 3.2; which Host a cache or origin picks is a guess. */
	if (seen & HTTP_SEEN_HOST2)
		return http_fail(err, 400, HTTP_PERR_MULTIPLE_HOST,
		    "more than one Host");
	has_cl = seen & HTTP_SEEN_CL ? http_content_length(m, &cl) : 0;
	te = seen & HTTP_SEEN_TE ? http_transfer_encoding(m) : HTTP_TE_NONE;
	if (te != HTTP_TE_NONE && has_cl != 0)
		return http_fail(err, 400, HTTP_PERR_AMBIGUOUS_FRAMING,
		    "Transfer-Encoding with Content-Length");
	if (te != HTTP_TE_NONE && m->vminor == 0)
		return http_fail(err, 400, HTTP_PERR_AMBIGUOUS_FRAMING,
		    "Transfer-Encoding in HTTP/1.0");
	switch (te) {
	case HTTP_TE_NONE:
		break;
	case HTTP_TE_CHUNKED:
		m->body = HTTP_BODY_CHUNKED;
		break;
	case HTTP_TE_UNKNOWN:
		return http_fail(err, 501, HTTP_PERR_UNKNOWN_CODING,
		    "unknown transfer-coding");
	case HTTP_TE_NOT_CHUNKED:
		return http_fail(err, 400, HTTP_PERR_BAD_TRANSFER_ENCODING,
		    "final transfer-coding is not chunked");
	case HTTP_TE_BAD:
		return http_fail(err, 400, HTTP_PERR_BAD_TRANSFER_ENCODING,
		    "bad Transfer-Encoding");
	}
	if (has_cl == -1)
		return http_fail(err, 400, HTTP_PERR_BAD_CONTENT_LENGTH,
		    "bad Content-Length");
	if (has_cl == 1) {
		m->content_length = cl;
		/* A zero length needs no body state at all. */
		m->body = cl > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	}

	/*
	 * Connection naming the header that frames this very body asks the
	 * next hop to drop the framing while the body still follows: some hop
	 * then reads the body as a request of its own.  No client needs it;
	 * Squid 5.7 keeps the header and forwards, we refuse it as the other
	 * ambiguous framings.
	 */
	if ((seen & HTTP_SEEN_CONN) && ((has_cl == 1 && http_msg_has_token(m,
	    "Connection", "Content-Length")) || (te != HTTP_TE_NONE &&
	    http_msg_has_token(m, "Connection", "Transfer-Encoding"))))
		return http_fail(err, 400, HTTP_PERR_AMBIGUOUS_FRAMING,
		    "Connection names the framing header");

	if (m->vminor >= 1)
		m->keep_alive = !((seen & HTTP_SEEN_CONN) &&
		    http_msg_has_token(m, "Connection", "close")) &&
		    !((seen & HTTP_SEEN_PCONN) &&
		    http_msg_has_token(m, "Proxy-Connection", "close"));
	else
		m->keep_alive = ((seen & HTTP_SEEN_CONN) &&
		    http_msg_has_token(m, "Connection", "keep-alive")) ||
		    ((seen & HTTP_SEEN_PCONN) &&
		    http_msg_has_token(m, "Proxy-Connection", "keep-alive"));
	m->expect_continue = (seen & HTTP_SEEN_EXPECT) &&
	    http_msg_has_token(m, "Expect", "100-continue");
	return HTTP_PARSE_OK;
}

enum http_parse_result
http_parse_response(struct http_msg *m, const char *buf, size_t len,
    size_t max_head, const char *req_method, size_t req_method_len,
    struct http_parse_error *err)
{
	enum http_parse_result r;
	enum http_te te;
	int64_t cl = 0;
	int has_cl, seen;

	/* Refuse HTTP/0.9 as soon as the first bytes show it is not HTTP/. */
	if (len > 0 && memcmp(buf, "HTTP/", len < 5 ? len : 5) != 0)
		return http_fail(err, 502, HTTP_PERR_NO_VERSION,
		    "not an HTTP/1.x response");
	r = http_parse_head(m, buf, len, max_head, 0, err);
	if (r != HTTP_PARSE_OK)
		return r;

	seen = http_seen(m);
	if (m->vminor >= 1)
		m->keep_alive = !((seen & HTTP_SEEN_CONN) &&
		    http_msg_has_token(m, "Connection", "close"));
	else
		m->keep_alive = (seen & HTTP_SEEN_CONN) &&
		    http_msg_has_token(m, "Connection", "keep-alive");

	if ((req_method != NULL && http_ieq(req_method, req_method_len,
	    "HEAD")) || m->status < 200 || m->status == 204 ||
	    m->status == 304 || (req_method != NULL && m->status < 300 &&
	    http_ieq(req_method, req_method_len, "CONNECT"))) {
		m->body = HTTP_BODY_NONE;
		return HTTP_PARSE_OK;
	}

	has_cl = seen & HTTP_SEEN_CL ? http_content_length(m, &cl) : 0;
	te = seen & HTTP_SEEN_TE ? http_transfer_encoding(m) : HTTP_TE_NONE;
	if (te != HTTP_TE_NONE) {
		/*
		 * RFC 9112 6.3 lets Transfer-Encoding override Content-Length,
		 * but a response carrying both is either an attack or a broken
		 * server, and forwarding it would hand the ambiguity to the
		 * client: refuse it.  Likewise RFC 9112 6.1 calls the framing
		 * of an HTTP/1.0 message with Transfer-Encoding faulty.
		 */
		if (has_cl != 0)
			return http_fail(err, 502, HTTP_PERR_AMBIGUOUS_FRAMING,
			    "Transfer-Encoding with Content-Length");
		if (m->vminor == 0)
			return http_fail(err, 502, HTTP_PERR_AMBIGUOUS_FRAMING,
			    "Transfer-Encoding in HTTP/1.0");
		if (te == HTTP_TE_BAD)
			return http_fail(err, 502,
			    HTTP_PERR_BAD_TRANSFER_ENCODING,
			    "bad Transfer-Encoding");
		if (te == HTTP_TE_CHUNKED) {
			m->body = HTTP_BODY_CHUNKED;
			return HTTP_PARSE_OK;
		}
		/* Not chunked last: the body runs until the server closes. */
		m->body = HTTP_BODY_EOF;
		m->keep_alive = 0;
		return HTTP_PARSE_OK;
	}
	if (has_cl == -1)
		return http_fail(err, 502, HTTP_PERR_BAD_CONTENT_LENGTH,
		    "bad Content-Length");
	if (has_cl == 1) {
		m->content_length = cl;
		m->body = cl > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
		return HTTP_PARSE_OK;
	}
	m->body = HTTP_BODY_EOF;
	m->keep_alive = 0;
	return HTTP_PARSE_OK;
}

void
http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = HTTP_CHUNK_SIZE;
	if (!http_ctab_ready)
		http_ctab_init();
}

/*
 * The state machine works byte by byte on the short framing lines and jumps
 * over data in one step.  It stops before the data of a second chunk so that
 * the one data span it reports is exact.  HTTP_CHUNK_TRAILER_LF serves both
 * the LF ending a trailer field (line_len > 0, back to HTTP_CHUNK_TRAILER)
 * and the final one (line_len == 0, done).
 */
enum http_parse_result
http_chunked_feed(struct http_chunked *c, const char *buf, size_t len,
    size_t *consumed, size_t *data_off, size_t *data_len)
{
	size_t i = 0, n;
	int have_data = 0;
	unsigned char ch;

	*data_off = 0;
	*data_len = 0;
	while (i < len && c->state != HTTP_CHUNK_DONE) {
		ch = (unsigned char)buf[i];
		switch (c->state) {
		case HTTP_CHUNK_SIZE:
			if (HTTP_CLASS(ch, C_HEX)) {
				unsigned d = ch <= '9' ? (unsigned)(ch - '0') :
				    (unsigned)(http_lower(ch) - 'a' + 10);

				if (c->size_digits >= 16 ||
				    c->remaining > ((uint64_t)INT64_MAX - d) / 16)
					goto bad;
				c->remaining = c->remaining * 16 + d;
				c->size_digits++;
			} else if (c->size_digits == 0) {
				goto bad;
			} else if (ch == ';') {
				c->state = HTTP_CHUNK_EXT;
			} else if (ch == ' ' || ch == '\t') {
				/* BWS: only ';' or the CR may follow */
				c->size_digits = -1;
				c->state = HTTP_CHUNK_EXT;
			} else if (ch == '\r') {
				c->state = HTTP_CHUNK_SIZE_LF;
			} else {
				goto bad;
			}
			if (++c->line_len > HTTP_CHUNK_LINE_MAX)
				goto bad;
			i++;
			break;
		case HTTP_CHUNK_EXT:
			/* Extensions are skipped but must stay one clean line. */
			if (c->size_digits == -1 && ch != ' ' && ch != '\t' &&
			    ch != ';' && ch != '\r')
				goto bad;	/* "5 6": not a size either way */
			if (ch == ';')
				c->size_digits = 0;
			if (ch == '\r')
				c->state = HTTP_CHUNK_SIZE_LF;
			else if (!HTTP_CLASS(ch, C_VALUE))
				goto bad;
			if (++c->line_len > HTTP_CHUNK_LINE_MAX)
				goto bad;
			i++;
			break;
		case HTTP_CHUNK_SIZE_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->line_len = 0;
			c->size_digits = 0;
			c->state = c->remaining == 0 ? HTTP_CHUNK_TRAILER :
			    HTTP_CHUNK_DATA;
			break;
		case HTTP_CHUNK_DATA:
			if (have_data)
				goto out;	/* one span per call */
			n = len - i;
			if ((uint64_t)n > c->remaining)
				n = (size_t)c->remaining;
			*data_off = i;
			*data_len = n;
			have_data = 1;
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = HTTP_CHUNK_DATA_CR;
			break;
		case HTTP_CHUNK_DATA_CR:
			if (ch != '\r')
				goto bad;
			i++;
			c->state = HTTP_CHUNK_DATA_LF;
			break;
		case HTTP_CHUNK_DATA_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->state = HTTP_CHUNK_SIZE;
			break;
		case HTTP_CHUNK_TRAILER:
			if (ch == '\r') {
				c->line_len = 0;
				c->state = HTTP_CHUNK_TRAILER_LF;
			} else if (ch == ' ' || ch == '\t' ||
			    !HTTP_CLASS(ch, C_TCHAR)) {
				goto bad;	/* obs-fold or not a field name */
			} else {
				c->line_len = 1;
				c->state = HTTP_CHUNK_TRAILER_LINE;
			}
			i++;
			break;
		case HTTP_CHUNK_TRAILER_LINE:
			if (ch == '\r')
				c->state = HTTP_CHUNK_TRAILER_LF;
			else if (ch != ':' && !HTTP_CLASS(ch, C_VALUE))
				goto bad;
			if (++c->line_len > HTTP_CHUNK_LINE_MAX)
				goto bad;
			i++;
			break;
		case HTTP_CHUNK_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			i++;
			if (c->line_len == 0) {
				c->state = HTTP_CHUNK_DONE;
			} else {
				c->line_len = 0;
				c->state = HTTP_CHUNK_TRAILER;
			}
			break;
		case HTTP_CHUNK_DONE:
			break;
		}
	}
out:
	*consumed = i;
	return c->state == HTTP_CHUNK_DONE ? HTTP_PARSE_OK :
	    HTTP_PARSE_INCOMPLETE;
bad:
	*consumed = i;
	c->error = HTTP_PERR_BAD_CHUNK;
	log_debug(11, 2, "http_parse: bad chunked encoding in state %d",
	    (int)c->state);
	return HTTP_PARSE_ERROR;
}
