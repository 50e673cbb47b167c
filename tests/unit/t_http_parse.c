/*
 * Unit tests for the strict HTTP/1.x parser: every refusal the smuggling
 * defences depend on is checked against its exact status, valid messages of
 * each shape are checked field by field, and the chunked decoder is driven
 * both one byte at a time and in one call.
 */
#include "config.h"
#include "http_parse.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"

static struct http_msg msg;	/* reused on purpose: the parser must reset it */

#define MAX_HEAD 65536

/* 0 for OK, 1 for INCOMPLETE, else the error status. */
static int
t_req_max(const char *s, size_t max)
{
	struct http_parse_error err = { 0, NULL, HTTP_PERR_NONE };
	enum http_parse_result r;

	r = http_parse_request(&msg, s, strlen(s), max, &err);
	if (r == HTTP_PARSE_OK)
		return 0;
	if (r == HTTP_PARSE_INCOMPLETE)
		return 1;
	return err.status;
}

static int
t_req(const char *s)
{
	return t_req_max(s, MAX_HEAD);
}

static int
t_resp(const char *s, const char *method)
{
	struct http_parse_error err = { 0, NULL, HTTP_PERR_NONE };
	enum http_parse_result r;

	r = http_parse_response(&msg, s, strlen(s), MAX_HEAD, method,
	    method ? strlen(method) : 0, &err);
	if (r == HTTP_PARSE_OK)
		return 0;
	if (r == HTTP_PARSE_INCOMPLETE)
		return 1;
	return err.status;
}

static int
t_eq(const char *p, size_t len, const char *want)
{
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

static void
t_request_line(void)
{
	/* valid shapes */
	is_int(t_req("GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n"), 0, "absolute-form");
	ok(t_eq(msg.method, msg.method_len, "GET"), "method GET");
	ok(t_eq(msg.target, msg.target_len, "http://example.com/a?b=c"), "target");
	is_int(msg.vmajor, 1, "vmajor");
	is_int(msg.vminor, 1, "vminor");
	is_int(msg.nhdr, 1, "one header");
	is_int(msg.body, HTTP_BODY_NONE, "no body");
	is_int(msg.keep_alive, 1, "1.1 keep-alive by default");
	is_int(msg.head_len, strlen("GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n"), "head_len");

	is_int(t_req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"), 0, "authority-form CONNECT");
	ok(t_eq(msg.target, msg.target_len, "example.com:443"), "CONNECT target");
	is_int(t_req("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"), 0, "origin-form");
	is_int(t_req("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0, "asterisk-form");
	is_int(t_req("M-SEARCH_x! / HTTP/1.1\r\n\r\n"), 0, "extension method");
	ok(t_eq(msg.method, msg.method_len, "M-SEARCH_x!"), "extension method name");
	is_int(t_req("PURGE http://a/ HTTP/1.0\r\n\r\n"), 0, "PURGE HTTP/1.0");
	is_int(msg.vminor, 0, "vminor 0");
	is_int(msg.keep_alive, 0, "1.0 closes by default");
	is_int(msg.nhdr, 0, "no headers");

	/* leading empty lines are skipped but counted */
	is_int(t_req("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 0, "leading CRLFs skipped");
	ok(t_eq(msg.method, msg.method_len, "GET"), "method after CRLFs");
	is_int(msg.head_len, 4 + 18, "head_len counts leading CRLFs");
	is_int(t_req("\nGET / HTTP/1.1\r\n\r\n"), 400, "leading bare LF");

	/* refusals */
	/*
	 * whitespace around and inside the target, as Squid's relaxed parser
	 * takes it: the target runs to the last SP before a version at the
	 * line's end; the caller applies uri_whitespace (target_ws)
	 */
	is_int(t_req("GET  / HTTP/1.1\r\n\r\n"), 0, "two SP after method");
	ok(t_eq(msg.target, msg.target_len, "/") && !msg.target_ws,
	    "two SP after method: target");
	is_int(t_req("GET /  \t HTTP/1.1\r\n\r\n"), 0, "SP and HTAB after target");
	ok(t_eq(msg.target, msg.target_len, "/") && !msg.target_ws,
	    "SP and HTAB after target: target");
	is_int(t_req("GET / HTTP/1.1\r\n\r\n"), 0, "plain target");
	ok(!msg.target_ws, "plain target: no whitespace");
	is_int(t_req("GET /a\tb HTTP/1.1\r\n\r\n"), 0, "HTAB in target");
	ok(t_eq(msg.target, msg.target_len, "/a\tb") && msg.target_ws,
	    "HTAB in target: noted");
	is_int(t_req("GET http://h/a b HTTP/1.1 c HTTP/1.0\r\nA: b\r\n\r\n"), 0,
	    "target up to the last version");
	ok(t_eq(msg.target, msg.target_len, "http://h/a b HTTP/1.1 c") &&
	    msg.target_ws && msg.vminor == 0 && msg.nhdr == 1,
	    "target up to the last version: target");
	is_int(t_req("GET /a b HTTP/2.0\r\n\r\n"), 505, "whitespace, version refused");
	is_int(t_req("GET /a b\r\n\r\n"), 400, "whitespace, no version");
	is_int(t_req("GET /a b HTTP/1.1 \r\n\r\n"), 400, "whitespace, SP after version");
	is_int(t_req("GET /a b\x01 HTTP/1.1\r\n\r\n"), 400, "whitespace and a CTL");
	is_int(t_req("GET /a\x0b" "b HTTP/1.1\r\n\r\n"), 400, "VT in target");
	is_int(t_req("GET /a\x0c" "b HTTP/1.1\r\n\r\n"), 400, "FF in target");
	is_int(t_req("GET   HTTP/1.1\r\n\r\n"), 400, "only whitespace for a target");
	is_int(t_req("GET / HTTP/1.1 \r\n\r\n"), 400, "trailing SP");
	is_int(t_req(" GET / HTTP/1.1\r\n\r\n"), 400, "leading SP");
	is_int(t_req("GET\t/ HTTP/1.1\r\n\r\n"), 400, "HTAB separator");
	is_int(t_req("G(T / HTTP/1.1\r\n\r\n"), 400, "non-tchar in method");
	is_int(t_req("GET /a\x01 HTTP/1.1\r\n\r\n"), 400, "CTL in target");
	is_int(t_req("GET /a\x7f HTTP/1.1\r\n\r\n"), 400, "DEL in target");
	is_int(t_req("GET /\xc3\xa9\xff HTTP/1.1\r\n\r\n"), 0, "8-bit bytes in target");
	ok(t_eq(msg.target, msg.target_len, "/\xc3\xa9\xff"), "8-bit bytes kept");
	is_int(t_req("GET /\r\n\r\n"), 400, "HTTP/0.9 request line");
	is_int(t_req("GET\r\n\r\n"), 400, "method only");
	is_int(t_req("GET / HTTP/2.0\r\n\r\n"), 505, "HTTP/2.0");
	is_int(t_req("GET / HTTP/0.9\r\n\r\n"), 505, "HTTP/0.9 version");
	is_int(t_req("GET / HTTP/1.2\r\n\r\n"), 505, "HTTP/1.2");
	is_int(t_req("GET / HTTP/3.0\r\n\r\n"), 505, "HTTP/3.0");
	is_int(t_req("GET / http/1.1\r\n\r\n"), 400, "lowercase version");
	is_int(t_req("GET / HTTP/1.10\r\n\r\n"), 400, "two-digit minor");
	is_int(t_req("GET / HTTP/11\r\n\r\n"), 400, "no dot");
	is_int(t_req("GET / FOO\r\n\r\n"), 400, "garbage version");
	is_int(t_req("GET / HTTP/1.1\n\r\n"), 400, "bare LF after request line");
	is_int(t_req("GET / HTTP/1.1\rX\r\n\r\n"), 400, "bare CR in request line");
	is_int(t_req("GET /\r HTTP/1.1\r\n\r\n"), 400, "CR inside target");

	/* length limits */
	is_int(t_req_max("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", 32), 414, "request line over max_head: 414");
	is_int(t_req_max("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32), 414, "unfinished long request line: 414");
	is_int(t_req_max("GET /aaaa", 32), 1, "short partial request line: incomplete");
	is_int(t_req_max("GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", 32), 431, "headers over max_head: 431");
	is_int(t_req_max("GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32), 431, "unfinished headers over max_head: 431");
	is_int(t_req_max("GET / HTTP/1.1\r\nA: b\r\n\r\n", 24), 0, "head exactly max_head");
	is_int(t_req_max("GET / HTTP/1.1\r\nA: b\r\n\r\n", 23), 431, "head one over max_head");
	is_int(t_req_max("GET / HTTP/1.1\r\nA: b\r\n\r\nBODYBODYBODY", 24), 0, "body bytes past max_head ignored");
}

static void
t_fields(void)
{
	const struct http_header *h;

	is_int(t_req("GET / HTTP/1.1\r\nHost: a\r\nX-Sp:   padded \t \r\nEmpty:\r\nEmpty2: \r\n\r\n"), 0, "OWS trimmed");
	h = http_msg_header(&msg, "x-sp");
	ok(h != NULL && t_eq(h->value, h->value_len, "padded"), "value trimmed");
	h = http_msg_header(&msg, "EMPTY");
	ok(h != NULL && h->value_len == 0, "empty value");
	h = http_msg_header(&msg, "empty2");
	ok(h != NULL && h->value_len == 0, "empty value after OWS");
	ok(http_msg_header(&msg, "Missing") == NULL, "missing header");
	h = http_msg_header(&msg, "host");
	ok(h != NULL && t_eq(h->name, h->name_len, "Host"), "name keeps its case");

	is_int(t_req("GET / HTTP/1.1\r\nX: a\xff\x80 b\r\n\r\n"), 0, "obs-text in value");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n"), 0, "HTAB in value");

	is_int(t_req("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400, "SP before colon");
	is_int(t_req("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400, "HTAB before colon");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), 400, "obs-fold SP");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), 400, "obs-fold HTAB");
	is_int(t_req("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400, "whitespace before first field");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), 400, "bare CR in value");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\r\r\n\r\n"), 400, "CR CR LF");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\n\r\n"), 400, "bare LF ends field");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\r\n\n"), 400, "bare LF ends head");
	is_int(t_req("GET / HTTP/1.1\r\n\rX"), 400, "bare CR at end of head");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n"), 400, "CTL in value");
	is_int(t_req("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"), 400, "DEL in value");
	ok(http_parse_request(&msg, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26, MAX_HEAD, NULL) == HTTP_PARSE_ERROR, "NUL in value");
	is_int(t_req("GET / HTTP/1.1\r\n: a\r\n\r\n"), 400, "empty field name");
	is_int(t_req("GET / HTTP/1.1\r\nX(y): a\r\n\r\n"), 400, "non-tchar in name");
	is_int(t_req("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400, "field without colon");
	is_int(t_req("GET / HTTP/1.1\r\nX\xc3: a\r\n\r\n"), 400, "8-bit byte in name");
	is_int(t_req("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400, "two Host lines");
	is_int(t_req("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400, "two identical Host lines");
	is_int(t_req("GET / HTTP/1.1\r\nHost: a\r\nX-Host: b\r\n\r\n"), 0, "one Host");
}

/* A bad byte must be caught wherever it sits in a long value. */
static void
t_value_offsets(void)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x0b, 0x1f, 0x7f,
	    '\t', 0x80, 0xff, 0x20 };
	char buf[128];
	size_t b, i, base = strlen("GET / HTTP/1.1\r\nX: ");
	int wrong = 0, want, got;
	struct http_parse_error err;

	for (b = 0; b < sizeof(bytes); b++) {
		for (i = 0; i < 40; i++) {
			memcpy(buf, "GET / HTTP/1.1\r\nX: ", base);
			memset(buf + base, 'v', 40);
			buf[base + i] = (char)bytes[b];
			memcpy(buf + base + 40, "w\r\n\r\n", 5);
			want = bytes[b] < 0x20 && bytes[b] != '\t' ? 400 :
			    bytes[b] == 0x7f ? 400 : 0;
			got = http_parse_request(&msg, buf, base + 45, MAX_HEAD,
			    &err) == HTTP_PARSE_OK ? 0 : err.status;
			if (got != want) {
				wrong++;
				printf("# byte 0x%02x at %zu: %d\n", bytes[b], i,
				    got);
			}
		}
	}
	is_int(wrong, 0, "value bytes checked at every offset");
}

static void
t_many_headers(void)
{
	char buf[16384];
	size_t n = 0;
	int i, st;
	const struct http_header *h;

	n += snprintf(buf + n, sizeof(buf) - n, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 200; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "X-H%d: v%d\r\n", i, i);
	n += snprintf(buf + n, sizeof(buf) - n, "\r\n");
	st = t_req(buf);
	is_int(st, 0, "200 headers");
	is_int(msg.nhdr, 200, "200 headers stored");
	ok(msg.hdr_cap >= 200 && msg.hdr_cap <= 256, "capacity grew by doubling (%d)", msg.hdr_cap);
	h = http_msg_header(&msg, "x-h199");
	ok(h != NULL && t_eq(h->value, h->value_len, "v199"), "last header value");
	h = &msg.hdr[37];
	ok(t_eq(h->name, h->name_len, "X-H37") && t_eq(h->value, h->value_len, "v37"), "header order kept");
	/* reuse after growth keeps the array */
	{
		struct http_header *before = msg.hdr;

		is_int(t_req("GET / HTTP/1.1\r\nA: 1\r\n\r\n"), 0, "reuse message");
		ok(msg.hdr == before, "header array reused");
		is_int(msg.nhdr, 1, "nhdr reset on reuse");
	}
}

static void
t_split(void)
{
	const char *req = "\r\nPOST http://h.test/p HTTP/1.1\r\nHost: h.test\r\n"
	    "Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello";
	size_t full = strlen(req) - 5, i;
	struct http_parse_error err;
	int bad = 0;

	for (i = 0; i < full; i++) {
		if (http_parse_request(&msg, req, i, MAX_HEAD, &err) !=
		    HTTP_PARSE_INCOMPLETE) {
			bad++;
			printf("# split at %zu not incomplete\n", i);
		}
	}
	is_int(bad, 0, "every prefix of the head is INCOMPLETE");
	for (i = full; i <= strlen(req); i++)
		if (http_parse_request(&msg, req, i, MAX_HEAD, &err) !=
		    HTTP_PARSE_OK || msg.head_len != full)
			bad++;
	is_int(bad, 0, "complete head at every length from the end of head");
	is_int(msg.body, HTTP_BODY_LENGTH, "split: Content-Length body");
	is_int(msg.content_length, 5, "split: length 5");
}

static void
t_framing(void)
{
	/* lengths */
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n"), 0, "CL");
	is_int(msg.body, HTTP_BODY_LENGTH, "CL body");
	is_int(msg.content_length, 42, "CL 42");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 0, "CL 0");
	is_int(msg.body, HTTP_BODY_NONE, "CL 0 is no body");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n"), 0, "CL INT64_MAX");
	is_int(msg.content_length, INT64_MAX, "CL INT64_MAX value");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n"), 0, "repeated identical CL");
	is_int(msg.content_length, 7, "repeated CL value");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 7, 7\r\n\r\n"), 0, "identical CL list");
	is_int(msg.content_length, 7, "CL list value");

	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n"), 400, "two different CL");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 7, 8\r\n\r\n"), 400, "CL list with different values");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 7,\r\n\r\n"), 400, "CL list with empty element");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"), 400, "empty CL");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"), 400, "CL with plus");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"), 400, "negative CL");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n"), 400, "CL with letter");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"), 400, "hex CL");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"), 400, "CL with inner space");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n"), 400, "CL INT64_MAX+1");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 400, "CL overflow");

	/* transfer codings */
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 0, "TE chunked");
	is_int(msg.body, HTTP_BODY_CHUNKED, "chunked body");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n"), 0, "TE chunked case-insensitive");
	is_int(msg.body, HTTP_BODY_CHUNKED, "CHUNKED body");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 0, "TE gzip, chunked");
	is_int(msg.body, HTTP_BODY_CHUNKED, "gzip, chunked body");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), 0, "TE over two lines");
	is_int(msg.body, HTTP_BODY_CHUNKED, "two-line TE chunked");

	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400, "TE and CL");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, "CL and TE");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400, "chunked not final");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 400, "gzip only");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 400, "chunked twice");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, "chunked twice on two lines");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: foo\r\n\r\n"), 501, "unknown coding");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n"), 501, "unknown coding before chunked");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n"), 501, "xchunked");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;a=b\r\n\r\n"), 400, "chunked with parameter");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n"), 400, "empty TE");
	is_int(t_req("POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n"), 400, "quoted TE");
	is_int(t_req("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, "TE in HTTP/1.0");

	/* Connection may not name the header that frames the body */
	is_int(t_req("POST / HTTP/1.1\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\n"), 400, "Connection names CL");
	is_int(t_req("POST / HTTP/1.1\r\nContent-Length: 5\r\nConnection: keep-alive\r\nConnection: content-length\r\n\r\n"), 400, "second Connection names CL");
	is_int(t_req("POST / HTTP/1.1\r\nConnection: close, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, "Connection names TE");
	is_int(t_req("GET / HTTP/1.1\r\nConnection: Content-Length, Transfer-Encoding\r\n\r\n"), 0, "Connection names absent framing");
	is_int(t_req("POST / HTTP/1.1\r\nConnection: Host, Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\n"), 0, "Connection names Host and Upgrade");
	is_int(msg.content_length, 5, "Upgrade named: CL still 5");
}

static void
t_connection(void)
{
	is_int(t_req("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), 0, "1.1 close");
	is_int(msg.keep_alive, 0, "1.1 Connection: close");
	is_int(t_req("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n"), 0, "1.1 close in list");
	is_int(msg.keep_alive, 0, "1.1 close token in list");
	is_int(t_req("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n"), 0, "1.1 closed");
	is_int(msg.keep_alive, 1, "closed is not close");
	is_int(t_req("GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n"), 0, "1.1 proxy close");
	is_int(msg.keep_alive, 0, "1.1 Proxy-Connection: close");
	is_int(t_req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0, "1.0 keep-alive");
	is_int(msg.keep_alive, 1, "1.0 Connection: keep-alive");
	is_int(t_req("GET / HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n"), 0, "1.0 proxy keep-alive");
	is_int(msg.keep_alive, 1, "1.0 Proxy-Connection: keep-alive");
	is_int(t_req("GET / HTTP/1.0\r\nConnection: x\r\n\r\n"), 0, "1.0 other");
	is_int(msg.keep_alive, 0, "1.0 without keep-alive");

	is_int(t_req("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n"), 0, "expect");
	is_int(msg.expect_continue, 1, "Expect: 100-continue");
	is_int(t_req("PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n"), 0, "other expect");
	is_int(msg.expect_continue, 0, "other Expect");
	is_int(t_req("PUT / HTTP/1.1\r\n\r\n"), 0, "no expect");
	is_int(msg.expect_continue, 0, "no Expect");

	is_int(t_req("GET / HTTP/1.1\r\nX-L: a , b,,c\r\nX-L: d\r\n\r\n"), 0, "list");
	ok(http_msg_has_token(&msg, "x-l", "a"), "token a");
	ok(http_msg_has_token(&msg, "x-l", "B"), "token B");
	ok(http_msg_has_token(&msg, "x-l", "c"), "token c");
	ok(http_msg_has_token(&msg, "x-l", "d"), "token in second instance");
	ok(!http_msg_has_token(&msg, "x-l", "a , b"), "no partial match");
	ok(!http_msg_has_token(&msg, "x-m", "a"), "absent header");
}

static void
t_responses(void)
{
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "GET"), 0, "200 with CL");
	is_int(msg.status, 200, "status 200");
	ok(t_eq(msg.reason, msg.reason_len, "OK"), "reason OK");
	is_int(msg.body, HTTP_BODY_LENGTH, "LENGTH");
	is_int(msg.content_length, 10, "length 10");
	is_int(msg.keep_alive, 1, "1.1 response keep-alive");

	is_int(t_resp("HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n", "GET"), 0, "reason with spaces");
	ok(t_eq(msg.reason, msg.reason_len, "Not Found Here"), "reason text");
	is_int(msg.body, HTTP_BODY_NONE, "CL 0 response");
	is_int(t_resp("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", "GET"), 0, "no reason, no SP");
	is_int(msg.reason_len, 0, "empty reason");
	is_int(t_resp("HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n", "GET"), 0, "empty reason after SP");
	is_int(t_resp("HTTP/1.0 200 OK\r\n\r\n", "GET"), 0, "1.0 EOF");
	is_int(msg.body, HTTP_BODY_EOF, "no framing: EOF");
	is_int(msg.keep_alive, 0, "EOF body closes");
	is_int(t_resp("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", "GET"), 0, "1.1 EOF");
	is_int(msg.body, HTTP_BODY_EOF, "1.1 no framing: EOF");
	is_int(msg.keep_alive, 0, "EOF body closes even if keep-alive");
	is_int(t_resp("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", "GET"), 0, "1.0 keep-alive");
	is_int(msg.keep_alive, 1, "1.0 response keep-alive");
	is_int(t_resp("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", "GET"), 0, "1.1 close");
	is_int(msg.keep_alive, 0, "1.1 response close");

	/* bodyless */
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD"), 0, "HEAD");
	is_int(msg.body, HTTP_BODY_NONE, "HEAD: NONE");
	is_int(t_resp("HTTP/1.1 100 Continue\r\n\r\n", "POST"), 0, "100");
	is_int(msg.body, HTTP_BODY_NONE, "1xx: NONE");
	is_int(t_resp("HTTP/1.1 204 No Content\r\n\r\n", "GET"), 0, "204");
	is_int(msg.body, HTTP_BODY_NONE, "204: NONE");
	is_int(msg.keep_alive, 1, "204 keeps the connection");
	is_int(t_resp("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", "GET"), 0, "304");
	is_int(msg.body, HTTP_BODY_NONE, "304: NONE");
	is_int(t_resp("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT"), 0, "CONNECT 200");
	is_int(msg.body, HTTP_BODY_NONE, "2xx to CONNECT: NONE");
	is_int(t_resp("HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n", "CONNECT"), 0, "CONNECT 407");
	is_int(msg.body, HTTP_BODY_LENGTH, "non-2xx to CONNECT has a body");
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", NULL), 0, "no request method");
	is_int(msg.body, HTTP_BODY_LENGTH, "NULL method");

	/* transfer codings */
	is_int(t_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET"), 0, "chunked");
	is_int(msg.body, HTTP_BODY_CHUNKED, "CHUNKED");
	is_int(msg.keep_alive, 1, "chunked keeps alive");
	is_int(t_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "GET"), 0, "gzip, chunked");
	is_int(msg.body, HTTP_BODY_CHUNKED, "gzip, chunked: CHUNKED");
	is_int(t_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET"), 0, "gzip only");
	is_int(msg.body, HTTP_BODY_EOF, "TE not chunked: EOF");
	is_int(msg.keep_alive, 0, "TE not chunked closes");
	is_int(t_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n", "GET"), 0, "unknown coding");
	is_int(msg.body, HTTP_BODY_EOF, "unknown coding: EOF");
	is_int(t_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", "GET"), 502, "TE and CL: 502");
	is_int(t_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "GET"), 502, "chunked twice: 502");
	is_int(t_resp("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET"), 502, "TE in HTTP/1.0 response: 502");
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "GET"), 502, "conflicting CL: 502");
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "GET"), 502, "bad CL: 502");
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", "GET"), 0, "identical CL list");
	is_int(msg.content_length, 5, "identical CL list value");

	/* status line */
	is_int(t_resp("<html>hello</html>\r\n\r\n", "GET"), 502, "HTTP/0.9 response");
	is_int(t_resp("<ht", "GET"), 502, "HTTP/0.9 detected early");
	is_int(t_resp("HTT", "GET"), 1, "partial HTTP/ is incomplete");
	is_int(t_resp("HTTP/1.1 200 OK\r\nContent-Le", "GET"), 1, "partial head");
	is_int(t_resp("HTTP/2.0 200 OK\r\n\r\n", "GET"), 502, "HTTP/2.0 response");
	is_int(t_resp("HTTP/1.1 20 OK\r\n\r\n", "GET"), 502, "two-digit status");
	is_int(t_resp("HTTP/1.1 2000 OK\r\n\r\n", "GET"), 502, "four-digit status");
	is_int(t_resp("HTTP/1.1 abc OK\r\n\r\n", "GET"), 502, "non-digit status");
	is_int(t_resp("HTTP/1.1 099 OK\r\n\r\n", "GET"), 502, "status below 100");
	is_int(t_resp("HTTP/1.1  200 OK\r\n\r\n", "GET"), 502, "two SP before status");
	is_int(t_resp("HTTP/1.1 200 O\x01K\r\n\r\n", "GET"), 502, "CTL in reason");
	is_int(t_resp("HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\n", "GET"), 502, "bare LF in response");
	is_int(t_resp("HTTP/1.1 200 OK\r\nX : y\r\n\r\n", "GET"), 502, "SP before colon in response");
	is_int(t_resp("HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", "GET"), 502, "obs-fold in response");
	{
		struct http_parse_error err;
		const char *r = "HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";

		ok(http_parse_response(&msg, r, strlen(r), 30, "GET", 3, &err) == HTTP_PARSE_ERROR && err.status == 502, "response head too large: 502");
	}
}

/* Feed everything in one call per span and rebuild the body. */
static int
t_chunk_all(const char *in, size_t len, char *body, size_t *blen,
    size_t *used, size_t step)
{
	struct http_chunked c;
	size_t pos = 0, cons, off, dlen;
	enum http_parse_result r = HTTP_PARSE_INCOMPLETE;
	int calls = 0;

	http_chunked_init(&c);
	*blen = 0;
	while (pos < len) {
		size_t avail = len - pos;

		if (step && avail > step)
			avail = step;
		r = http_chunked_feed(&c, in + pos, avail, &cons, &off, &dlen);
		if (r == HTTP_PARSE_ERROR)
			return -1;
		if (dlen > 0) {
			if (off + dlen > cons)
				return -2;
			memcpy(body + *blen, in + pos + off, dlen);
			*blen += dlen;
		}
		pos += cons;
		if (r == HTTP_PARSE_OK)
			break;
		if (cons == 0 && (step == 0 || avail == len - pos))
			break;	/* no progress with all input: incomplete */
		if (++calls > 100000)
			return -3;
	}
	*used = pos;
	return r == HTTP_PARSE_OK ? 0 : 1;
}

static int
t_chunk(const char *in, size_t step)
{
	char body[4096];
	size_t blen, used;

	return t_chunk_all(in, strlen(in), body, &blen, &used, step);
}

static void
t_chunked(void)
{
	const char *in = "5\r\nhello\r\n1;ext=1;q=\"x y\"\r\n \r\n"
	    "A \t;name\r\n0123456789\r\n0\r\nTrailer: x\r\nT2:\r\n\r\nNEXT";
	size_t tot = strlen(in) - 4;
	char body[256];
	size_t blen, used, step;
	struct http_chunked c;
	size_t cons, off, dlen;
	enum http_parse_result r;

	for (step = 0; step <= 3; step++) {
		int rc = t_chunk_all(in, strlen(in), body, &blen, &used, step);

		is_int(rc, 0, "chunked decode, step %zu", step);
		is_int(used, tot, "consumed exactly the encoding, step %zu", step);
		ok(blen == 16 && memcmp(body, "hello 0123456789", 16) == 0, "body, step %zu", step);
	}

	/* one call stops before the second data span */
	http_chunked_init(&c);
	r = http_chunked_feed(&c, in, strlen(in), &cons, &off, &dlen);
	is_int(r, HTTP_PARSE_INCOMPLETE, "first call incomplete");
	is_int(off, 3, "first span offset");
	is_int(dlen, 5, "first span length");
	is_int(cons, strlen("5\r\nhello\r\n1;ext=1;q=\"x y\"\r\n"), "first call stops before next data");

	/* big data goes in one span */
	{
		static char big[70000];
		size_t n = 0;

		n += sprintf(big, "10000\r\n");
		memset(big + n, 'x', 0x10000);
		n += 0x10000;
		memcpy(big + n, "\r\n0\r\n\r\n", 7);
		n += 7;
		http_chunked_init(&c);
		r = http_chunked_feed(&c, big, n, &cons, &off, &dlen);
		is_int(r, HTTP_PARSE_OK, "big chunk in one call");
		is_int(dlen, 0x10000, "big span whole");
		is_int(cons, n, "big: all consumed");
		is_int(c.state, HTTP_CHUNK_DONE, "state DONE");
		r = http_chunked_feed(&c, "more", 4, &cons, &off, &dlen);
		is_int(r, HTTP_PARSE_OK, "after DONE stays OK");
		is_int(cons, 0, "after DONE consumes nothing");
	}

	is_int(t_chunk("0\r\n\r\n", 0), 0, "empty body");
	is_int(t_chunk("000\r\n\r\n", 0), 0, "zero with leading zeros");
	is_int(t_chunk("5\r\nhel", 0), 1, "partial data incomplete");
	is_int(t_chunk("7fffffffffffffff\r\n", 0), 1, "size INT64_MAX accepted");
	is_int(t_chunk("8000000000000000\r\n", 0), -1, "size over INT64_MAX");
	is_int(t_chunk("00000000000000001\r\n", 0), -1, "17 hex digits");
	is_int(t_chunk("ffffffffffffffffff\r\n", 1), -1, "overflow byte by byte");
	is_int(t_chunk("5 ; a=b\r\nhello\r\n0 \r\n\r\n", 0), 0, "BWS around ';' and before CR");
	is_int(t_chunk("5 6\r\nhello\r\n0\r\n\r\n", 0), -1, "digits after BWS");
	is_int(t_chunk("5 6\r\nhello\r\n0\r\n\r\n", 1), -1, "digits after BWS, byte by byte");
	is_int(t_chunk("5 x\r\nhello\r\n0\r\n\r\n", 0), -1, "junk after BWS");
	is_int(t_chunk("5;a 6\r\nhello\r\n0\r\n\r\n", 0), 0, "anything printable inside an extension");
	is_int(t_chunk("\r\n", 0), -1, "empty size");
	is_int(t_chunk(";ext\r\n", 0), -1, "extension without size");
	is_int(t_chunk("g\r\n", 0), -1, "non-hex size");
	is_int(t_chunk("-1\r\n", 0), -1, "negative size");
	is_int(t_chunk("0x5\r\nhello\r\n0\r\n\r\n", 0), -1, "0x prefix");
	is_int(t_chunk("5\nhello\r\n0\r\n\r\n", 0), -1, "bare LF after size");
	is_int(t_chunk("5\rxhello\r\n0\r\n\r\n", 0), -1, "bare CR after size");
	is_int(t_chunk("5;a\nb\r\nhello\r\n0\r\n\r\n", 0), -1, "bare LF in extension");
	is_int(t_chunk("5;a\rb\r\nhello\r\n0\r\n\r\n", 0), -1, "bare CR in extension");
	is_int(t_chunk("5;a\x01\r\nhello\r\n0\r\n\r\n", 0), -1, "CTL in extension");
	is_int(t_chunk("5\r\nhelloX\r\n0\r\n\r\n", 0), -1, "data longer than size");
	is_int(t_chunk("5\r\nhello\n0\r\n\r\n", 0), -1, "bare LF after data");
	is_int(t_chunk("5\r\nhello\rX0\r\n\r\n", 0), -1, "CR without LF after data");
	is_int(t_chunk("5\r\nhello\r\n0\r\n\n", 0), -1, "bare LF final");
	is_int(t_chunk("5\r\nhello\r\n0\r\nA: b\n\r\n", 0), -1, "bare LF in trailer");
	is_int(t_chunk("5\r\nhello\r\n0\r\nA: b\r\n c\r\n\r\n", 0), -1, "obs-fold in trailer");
	is_int(t_chunk("5\r\nhello\r\n0\r\nA: \x01\r\n\r\n", 0), -1, "CTL in trailer");
	is_int(t_chunk("5\r\nhello\r\n0\r\nA: b\r\n", 0), 1, "trailer without final CRLF");
	{
		static char longext[5000];

		memset(longext, 0, sizeof(longext));
		strcpy(longext, "5;");
		memset(longext + 2, 'a', 4100);
		strcat(longext, "\r\nhello\r\n0\r\n\r\n");
		is_int(t_chunk(longext, 0), -1, "extension over 4096");
		is_int(t_chunk(longext, 1), -1, "extension over 4096, byte by byte");
		memset(longext, 0, sizeof(longext));
		strcpy(longext, "5;");
		memset(longext + 2, 'a', 4000);
		strcat(longext, "\r\nhello\r\n0\r\n\r\n");
		is_int(t_chunk(longext, 0), 0, "extension under 4096");
		memset(longext, 0, sizeof(longext));
		strcpy(longext, "0\r\nX: ");
		memset(longext + 6, 'a', 4100);
		strcat(longext, "\r\n\r\n");
		is_int(t_chunk(longext, 0), -1, "trailer line over 4096");
	}
}

/*
 * Every reason the parser gives, with its status and code: the callers act
 * on the code (ERR_TOO_BIG, ERR_PROTOCOL_UNKNOWN ...), so each row checks
 * all three exactly.
 */
static const struct t_perr {
	int		 is_req;
	size_t		 max_head;	/* 0: MAX_HEAD */
	const char	*in;
	int		 status;
	enum http_parse_errcode code;
	const char	*reason;
} t_perrs[] = {
	{ 1, 0, "G@T / HTTP/1.1\r\n\r\n", 400, HTTP_PERR_BAD_METHOD,
	    "bad method" },
	{ 1, 0, "GET  HTTP/1.1\r\n\r\n", 400, HTTP_PERR_BAD_TARGET,
	    "empty or bad request-target" },
	{ 1, 0, "GET /a\x01b HTTP/1.1\r\n\r\n", 400, HTTP_PERR_BAD_TARGET,
	    "bad byte in request-target" },
	{ 1, 0, "GET /\r\n\r\n", 400, HTTP_PERR_NO_VERSION,
	    "no HTTP version (HTTP/0.9)" },
	{ 1, 0, "GET / HTTP/1.1x\r\n\r\n", 400, HTTP_PERR_BAD_VERSION,
	    "bad HTTP version" },
	{ 1, 0, "GET / HTTP/2.0\r\n\r\n", 505, HTTP_PERR_UNSUPPORTED_VERSION,
	    "unsupported HTTP version" },
	{ 1, 0, "\nGET / HTTP/1.1\r\n\r\n", 400, HTTP_PERR_BARE_CR_LF,
	    "bare LF" },
	{ 1, 0, "GET / HTTP/1.1\n\r\n", 400, HTTP_PERR_BARE_CR_LF,
	    "bare LF" },
	{ 1, 0, "GET /\r HTTP/1.1\r\n\r\n", 400, HTTP_PERR_BARE_CR_LF,
	    "bare CR" },
	{ 1, 0, "GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", 400,
	    HTTP_PERR_BARE_CR_LF, "bare LF" },
	{ 1, 0, "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, HTTP_PERR_BARE_CR_LF,
	    "bare CR" },
	{ 1, 0, "GET / HTTP/1.1\r\n\rX\r\n\r\n", 400, HTTP_PERR_BARE_CR_LF,
	    "bare CR" },
	{ 1, 16, "GET /aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", 414,
	    HTTP_PERR_HEAD_TOO_LARGE, "request line too long" },
	{ 1, 40, "GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
	    431, HTTP_PERR_HEAD_TOO_LARGE, "request header too large" },
	{ 1, 0, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400, HTTP_PERR_OBS_FOLD,
	    "obs-fold or leading whitespace in field line" },
	{ 1, 0, "GET / HTTP/1.1\r\nX : a\r\n\r\n", 400, HTTP_PERR_BAD_FIELD,
	    "bad field name" },
	{ 1, 0, "GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", 400,
	    HTTP_PERR_BAD_FIELD, "control character in field value" },
	{ 1, 0, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
	    HTTP_PERR_MULTIPLE_HOST, "more than one Host" },
	{ 1, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n", 400, HTTP_PERR_AMBIGUOUS_FRAMING,
	    "Transfer-Encoding with Content-Length" },
	{ 1, 0, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    HTTP_PERR_AMBIGUOUS_FRAMING, "Transfer-Encoding in HTTP/1.0" },
	{ 1, 0, "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
	    "Connection: Content-Length\r\n\r\n", 400,
	    HTTP_PERR_AMBIGUOUS_FRAMING, "Connection names the framing header" },
	{ 1, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n",
	    501, HTTP_PERR_UNKNOWN_CODING, "unknown transfer-coding" },
	{ 1, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	    400, HTTP_PERR_BAD_TRANSFER_ENCODING,
	    "final transfer-coding is not chunked" },
	{ 1, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n"
	    "\r\n", 400, HTTP_PERR_BAD_TRANSFER_ENCODING,
	    "bad Transfer-Encoding" },
	{ 1, 0, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
	    "\r\n", 400, HTTP_PERR_BAD_CONTENT_LENGTH, "bad Content-Length" },
	{ 1, 0, "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400,
	    HTTP_PERR_BAD_CONTENT_LENGTH, "bad Content-Length" },

	{ 0, 0, "ICY 200 OK\r\n\r\n", 502, HTTP_PERR_NO_VERSION,
	    "not an HTTP/1.x response" },
	{ 0, 0, "HTTP/1\r\n\r\n", 502, HTTP_PERR_BAD_STATUS_LINE,
	    "bad status line" },
	{ 0, 0, "HTTP/2.0 200 OK\r\n\r\n", 502, HTTP_PERR_UNSUPPORTED_VERSION,
	    "unsupported HTTP version" },
	{ 0, 0, "HTTP/1.1 20 OK\r\n\r\n", 502, HTTP_PERR_BAD_STATUS_LINE,
	    "bad status code" },
	{ 0, 0, "HTTP/1.1 099 OK\r\n\r\n", 502, HTTP_PERR_BAD_STATUS_LINE,
	    "bad status code" },
	{ 0, 0, "HTTP/1.1 2000 OK\r\n\r\n", 502, HTTP_PERR_BAD_STATUS_LINE,
	    "bad status code" },
	{ 0, 0, "HTTP/1.1 200 O\x01K\r\n\r\n", 502, HTTP_PERR_BAD_STATUS_LINE,
	    "bad byte in reason phrase" },
	{ 0, 0, "HTTP/1.1 200 OK\nX: y\r\n\r\n", 502, HTTP_PERR_BARE_CR_LF,
	    "bare LF" },
	{ 0, 0, "HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", 502,
	    HTTP_PERR_OBS_FOLD, "obs-fold or leading whitespace in field line" },
	{ 0, 30, "HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
	    502, HTTP_PERR_HEAD_TOO_LARGE, "response head too large" },
	{ 0, 10, "HTTP/1.1 200 OK\r\n\r\n", 502, HTTP_PERR_HEAD_TOO_LARGE,
	    "response head too large" },
	{ 0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n", 502, HTTP_PERR_AMBIGUOUS_FRAMING,
	    "Transfer-Encoding with Content-Length" },
	{ 0, 0, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 502,
	    HTTP_PERR_AMBIGUOUS_FRAMING, "Transfer-Encoding in HTTP/1.0" },
	{ 0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
	    "\r\n", 502, HTTP_PERR_BAD_TRANSFER_ENCODING,
	    "bad Transfer-Encoding" },
	{ 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
	    "\r\n", 502, HTTP_PERR_BAD_CONTENT_LENGTH, "bad Content-Length" },
};

static void
t_errcodes(void)
{
	struct http_parse_error err;
	struct http_chunked c;
	enum http_parse_result r;
	size_t i, max, cons, off, dlen;

	for (i = 0; i < sizeof(t_perrs) / sizeof(t_perrs[0]); i++) {
		const struct t_perr *t = &t_perrs[i];

		memset(&err, 0, sizeof(err));
		max = t->max_head ? t->max_head : MAX_HEAD;
		r = t->is_req ? http_parse_request(&msg, t->in, strlen(t->in),
		    max, &err) : http_parse_response(&msg, t->in,
		    strlen(t->in), max, "GET", 3, &err);
		is_int(r, HTTP_PARSE_ERROR, "perr %zu: error", i);
		is_int(err.status, t->status, "perr %zu: status", i);
		is_int(err.code, t->code, "perr %zu: code for %s", i,
		    t->reason);
		is_str(err.reason, t->reason, "perr %zu: reason", i);
	}

	http_chunked_init(&c);
	is_int(c.error, HTTP_PERR_NONE, "chunked: no error at start");
	r = http_chunked_feed(&c, "3\r\nabc\r\n0\r\n\r\n", 13, &cons, &off,
	    &dlen);
	ok(r == HTTP_PARSE_OK && c.error == HTTP_PERR_NONE,
	    "chunked: done, no error");
	http_chunked_init(&c);
	r = http_chunked_feed(&c, "zz\r\n", 4, &cons, &off, &dlen);
	ok(r == HTTP_PARSE_ERROR && c.error == HTTP_PERR_BAD_CHUNK,
	    "chunked: bad size is HTTP_PERR_BAD_CHUNK");
	http_chunked_init(&c);
	r = http_chunked_feed(&c, "3\r\nabcX", 7, &cons, &off, &dlen);
	ok(r == HTTP_PARSE_ERROR && c.error == HTTP_PERR_BAD_CHUNK,
	    "chunked: data not followed by CRLF is HTTP_PERR_BAD_CHUNK");
	http_chunked_init(&c);
	r = http_chunked_feed(&c, "11111111111111111\r\n", 19, &cons, &off,
	    &dlen);
	ok(r == HTTP_PARSE_ERROR && c.error == HTTP_PERR_BAD_CHUNK,
	    "chunked: oversized size is HTTP_PERR_BAD_CHUNK");
}

int
main(void)
{
	log_init("t_http_parse", 0);
	ok(http_is_tchar('!') && http_is_tchar('~') && http_is_tchar('a') &&
	    !http_is_tchar(' ') && !http_is_tchar(':') && !http_is_tchar('"') &&
	    !http_is_tchar(0) && !http_is_tchar(0x80), "tchar class");
	t_request_line();
	t_fields();
	t_value_offsets();
	t_many_headers();
	t_split();
	t_framing();
	t_connection();
	t_responses();
	t_chunked();
	t_errcodes();
	http_msg_free(&msg);
	ok(msg.hdr == NULL && msg.hdr_cap == 0, "free resets the array");
	return tap_done();
}
