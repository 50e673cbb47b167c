/*
 * Unit tests for lib/logformat.c: the built-in formats must reproduce the
 * access.log lines captured from Squid 5.7 byte for byte, and custom specs
 * must follow Squid's encodings, widths and error messages.
 */
#include "config.h"
#include "logformat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_parse.h"
#include "tap.h"

static char line[16384];

static void
t_addr(struct sockaddr_storage *ss, const char *ip, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
}

/* A transaction ending at sec.msec that took elapsed_ms. */
static void
t_entry(struct alog_entry *e, long sec, long msec, long elapsed_ms)
{
	memset(e, 0, sizeof(*e));
	e->end.tv_sec = sec;
	e->end.tv_usec = msec * 1000 + 123;
	e->start.tv_sec = sec - elapsed_ms / 1000;
	e->start.tv_usec = e->end.tv_usec - (elapsed_ms % 1000) * 1000;
	if (e->start.tv_usec < 0) {
		e->start.tv_sec--;
		e->start.tv_usec += 1000000;
	}
	t_addr(&e->client, "127.0.0.1", 46912);
	t_addr(&e->local, "127.0.0.1", 23128);
	e->vmajor = e->vminor = 1;
	e->dns_ms = e->upstream_ms = -1;
}

static const char *
t_render(const struct logformat *f, const struct alog_entry *e, int mime)
{
	size_t n = logformat_render(f, e, mime, line, sizeof(line));

	if (n != strlen(line))
		return "(length mismatch)";
	return line;
}

struct t_native {
	long sec, msec, elapsed;
	const char *tag;
	int status;
	long long bytes;
	const char *method, *url, *user, *hier;
	int direct;
	const char *mime, *want;
};

/* Every line shape captured in squid-compat.md 11.1. */
static const struct t_native t_native_lines[] = {
	{ 1795352791, 938, 1, "TCP_MISS", 200, 382, "GET",
	    "http://127.0.0.1:23180/static.html", NULL, "HIER_DIRECT", 1,
	    "text/html", "1795352791.938      1 127.0.0.1 TCP_MISS/200 382 GET "
	    "http://127.0.0.1:23180/static.html - HIER_DIRECT/127.0.0.1 "
	    "text/html\n" },
	{ 1795352792, 148, 0, "TCP_MEM_HIT", 200, 388, "GET",
	    "http://127.0.0.1:23180/static.html", NULL, "HIER_NONE", 0,
	    "text/html", "1795352792.148      0 127.0.0.1 TCP_MEM_HIT/200 388 "
	    "GET http://127.0.0.1:23180/static.html - HIER_NONE/- text/html\n" },
	{ 1795352792, 365, 3, "TCP_TUNNEL", 200, 1342, "CONNECT",
	    "127.0.0.1:23443", NULL, "HIER_DIRECT", 1, NULL,
	    "1795352792.365      3 127.0.0.1 TCP_TUNNEL/200 1342 CONNECT "
	    "127.0.0.1:23443 - HIER_DIRECT/127.0.0.1 -\n" },
	{ 1795352792, 405, 0, "TCP_MISS", 200, 7102, "GET",
	    "http://127.0.0.1:23180/big.txt?", NULL, "HIER_DIRECT", 1,
	    "text/plain", "1795352792.405      0 127.0.0.1 TCP_MISS/200 7102 "
	    "GET http://127.0.0.1:23180/big.txt? - HIER_DIRECT/127.0.0.1 "
	    "text/plain\n" },
	{ 1795352807, 677, 1, "TCP_MEM_HIT", 200, 353, "GET",
	    "http://127.0.0.1:23180/other.html", "alice", "HIER_NONE", 0,
	    "text/html", "1795352807.677      1 127.0.0.1 TCP_MEM_HIT/200 353 "
	    "GET http://127.0.0.1:23180/other.html alice HIER_NONE/- "
	    "text/html\n" },
	{ 1795352811, 986, 0, "TCP_REDIRECT", 301, 284, "GET",
	    "http://rw.test:23180/redirect-me", NULL, "HIER_NONE", 0, NULL,
	    "1795352811.986      0 127.0.0.1 TCP_REDIRECT/301 284 GET "
	    "http://rw.test:23180/redirect-me - HIER_NONE/- -\n" },
	{ 1795352819, 349, 11, "NONE_NONE", 200, 0, "CONNECT",
	    "www.example.test:23443", NULL, "HIER_DIRECT", 1, NULL,
	    "1795352819.349     11 127.0.0.1 NONE_NONE/200 0 CONNECT "
	    "www.example.test:23443 - HIER_DIRECT/127.0.0.1 -\n" },
	{ 1795353104, 268, 0, "NONE_NONE", 400, 3404, "GARBAGE",
	    "error:invalid-request", NULL, "HIER_NONE", 0, "text/html",
	    "1795353104.268      0 127.0.0.1 NONE_NONE/400 3404 GARBAGE "
	    "error:invalid-request - HIER_NONE/- text/html\n" },
	/* a client abort: no reply, no method known */
	{ 1795353105, 7, 12345, "TCP_MISS_ABORTED", 0, 0, NULL, NULL, NULL,
	    "HIER_NONE", 0, NULL, "1795353105.007  12345 127.0.0.1 "
	    "TCP_MISS_ABORTED/000 0 - - - HIER_NONE/- -\n" },
	/* a UTF-8 user name is '['-encoded, space kept */
	{ 1795353106, 0, 0, "TCP_MISS", 200, 10, "GET", "http://a.test/",
	    "\xc3\xbcmlaut x", "HIER_DIRECT", 1, "text/html",
	    "1795353106.000      0 127.0.0.1 TCP_MISS/200 10 GET http://a.test/ "
	    "%c3%bcmlaut x HIER_DIRECT/127.0.0.1 text/html\n" },
};

static void
t_native(void)
{
	struct logformat *f = logformat_builtin("squid");
	struct alog_entry e;
	size_t i;

	ok(f != NULL, "squid is built in");
	is_str(logformat_name(f), "squid", "its name");
	for (i = 0; i < sizeof(t_native_lines) / sizeof(t_native_lines[0]);
	    i++) {
		const struct t_native *t = &t_native_lines[i];

		t_entry(&e, t->sec, t->msec, t->elapsed);
		e.result_tag = t->tag;
		e.status = t->status;
		e.bytes_out = t->bytes;
		e.method = t->method;
		e.url = t->url;
		e.user = t->user;
		e.hier = t->hier;
		e.mime_type = t->mime;
		if (t->direct)
			t_addr(&e.server, "127.0.0.1", 23180);
		is_str(t_render(f, &e, 0), t->want, "native line %zu", i);
	}

	/* IPv6 client and server print bare; v4-mapped prints as IPv4 */
	t_entry(&e, 1795352791, 938, 1);
	t_addr(&e.client, "2001:db8::1", 5000);
	t_addr(&e.server, "::ffff:10.1.2.3", 80);
	e.result_tag = "TCP_MISS";
	e.status = 200;
	e.method = "GET";
	e.url = "http://x/";
	e.hier = "HIER_DIRECT";
	is_str(t_render(f, &e, 0), "1795352791.938      1 2001:db8::1 "
	    "TCP_MISS/200 0 GET http://x/ - HIER_DIRECT/10.1.2.3 -\n",
	    "native with IPv6 and mapped IPv4");

	/* a tiny buffer still gets a line ending in "\n" */
	is_int(logformat_render(f, &e, 0, line, 12), 11, "truncated length");
	is_str(line, "1795352791\n", "truncated line ends in newline");
}

/* A parsed request the tests can point alog_entry.request at. */
static struct http_msg t_req;

static void
t_parse_request(const char *head)
{
	struct http_parse_error err;

	http_msg_free(&t_req);
	memset(&t_req, 0, sizeof(t_req));
	if (http_parse_request(&t_req, head, strlen(head), 65536, &err) !=
	    HTTP_PARSE_OK)
		printf("# request did not parse: %s\n", err.reason);
}

static const char *
t_custom(const char *spec, const struct alog_entry *e)
{
	char *err;
	struct logformat *f = logformat_compile("t", spec, &err);

	if (f == NULL) {
		snprintf(line, sizeof(line), "(error: %s)", err);
		free(err);
		return line;
	}
	t_render(f, e, 1);	/* custom formats ignore log_mime_hdrs */
	logformat_free(f);
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void
t_httpd(void)
{
	struct logformat *common = logformat_builtin("common");
	struct logformat *combined = logformat_builtin("combined");
	struct alog_entry e;

	ok(common != NULL && combined != NULL, "common and combined built in");
	t_entry(&e, 1795352792, 365, 3);	/* 22/Nov/2026:13:06:32 UTC */
	e.result_tag = "TCP_TUNNEL";
	e.hier = "HIER_DIRECT";
	e.status = 200;
	e.bytes_out = 1342;
	e.method = "CONNECT";
	e.url = "127.0.0.1:23443";
	t_addr(&e.server, "127.0.0.1", 23443);
	is_str(t_render(common, &e, 0), "127.0.0.1 - - [22/Nov/2026:13:06:32 "
	    "+0000] \"CONNECT 127.0.0.1:23443 HTTP/1.1\" 200 1342 "
	    "TCP_TUNNEL:HIER_DIRECT\n", "common line of 11.2");

	t_parse_request("GET http://127.0.0.1:23180/other.html HTTP/1.1\r\n"
	    "Host: 127.0.0.1:23180\r\nReferer: http://ref.test/\r\n"
	    "User-Agent: Mozilla/5.0 (test)\r\n\r\n");
	e.request = &t_req;
	e.result_tag = "TCP_MISS";
	e.bytes_out = 346;
	e.method = "GET";
	e.url = "http://127.0.0.1:23180/other.html";
	is_str(t_render(combined, &e, 0), "127.0.0.1 - - [22/Nov/2026:13:06:32 "
	    "+0000] \"GET http://127.0.0.1:23180/other.html HTTP/1.1\" 200 346 "
	    "\"http://ref.test/\" \"Mozilla/5.0 (test)\" TCP_MISS:HIER_DIRECT\n",
	    "combined line of 11.2");

	/* the cached time string follows the clock */
	e.end.tv_sec += 3661;
	is_str(t_custom("%tl", &e), "22/Nov/2026:14:07:33 +0000",
	    "time cache notices a new second");
	e.end.tv_sec -= 3661;

	e.request = NULL;
	e.user = "bob";
	is_str(t_render(combined, &e, 0), "127.0.0.1 - bob [22/Nov/2026:13:06:32 "
	    "+0000] \"GET http://127.0.0.1:23180/other.html HTTP/1.1\" 200 346 "
	    "\"-\" \"-\" TCP_MISS:HIER_DIRECT\n",
	    "combined: missing headers print \"-\", user shown");

	e.request = &t_req;
	is_str(t_render(logformat_builtin("referrer"), &e, 0),
	    "1795352792.365 127.0.0.1 http://ref.test/ "
	    "http://127.0.0.1:23180/other.html\n", "referrer line");
	is_str(t_render(logformat_builtin("useragent"), &e, 0),
	    "127.0.0.1 [22/Nov/2026:13:06:32 +0000] \"Mozilla/5.0 (test)\"\n",
	    "useragent line");
	ok(logformat_builtin("nosuch") == NULL, "unknown built-in is NULL");
}

static void
t_encodings(void)
{
	struct alog_entry e;

	t_entry(&e, 1795352972, 508, 0);
	t_parse_request("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n"
	    "User-Agent: Mozilla/5.0 \"q\" \\x\r\n"
	    "X-Multi: a=1; b=2\r\nX-Multi: c=3, d=\r\n\r\n");
	e.request = &t_req;

	is_str(t_custom("%{User-Agent}>h", &e),
	    "Mozilla/5.0%20%22q%22%20%5Cx", "header default: URL, %% kept");
	is_str(t_custom("%\"{User-Agent}>h", &e),
	    "Mozilla/5.0 \\\"q\\\" \\\\x", "%%\" encoding");
	is_str(t_custom("%[{User-Agent}>h", &e),
	    "Mozilla/5.0 \"q\" \\\\x", "%%[ encoding");
	is_str(t_custom("%#{User-Agent}>h", &e),
	    "Mozilla/5.0%20%22q%22%20%5Cx", "%%# encoding");
	is_str(t_custom("%/{User-Agent}>h", &e),
	    "\"Mozilla/5.0 \\\"q\\\" \\\\x\"", "%%/ encoding quotes on space");
	is_str(t_custom("%'{User-Agent}>h", &e),
	    "Mozilla/5.0 \"q\" \\x", "%%' raw");

	e.user = "a%b[c]\xc3\xbc\t\r\n";
	is_str(t_custom("%[un", &e), "a%25b%5bc%5d%c3%bc%09\\r\\n",
	    "%%[ escapes %% [ ] controls and high bytes in lowercase hex");
	is_str(t_custom("%#un", &e), "a%25b%5Bc%5D%C3%BC%09%0D%0A",
	    "%%# escapes %% in uppercase hex");
	e.user = "~'{|}^`<>#%41";
	is_str(t_custom("%{X}>h %>h{User-Agent}", &e), "- Mozilla/5.0%20%22q"
	    "%22%20%5Cx", "absent header is -; {arg} after the code");
	is_str(t_custom("%un", &e), "~'{|}^`<>#%41", "%%un is raw by default");
	is_str(t_custom("%#un", &e), "%7E%27%7B%7C%7D%5E%60%3C%3E%23%2541",
	    "%%# unsafe set");

	is_str(t_custom("%{X-Multi}>h|%{X-Multi:;b}>h|%{X-Multi:c}>h|"
	    "%{X-Multi:z}>h|%{X-Multi:d}>h", &e),
	    "a=1;%20b=2,%20c=3,%20d=|2|3|-|-",
	    "instances joined with \", \"; list members");
}

static void
t_codes(void)
{
	struct alog_entry e;
	static const char rep[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html"
	    "\r\nX-A: 1\r\nx-a: 2\r\n\r\n";

	t_entry(&e, 1795352972, 508, 1649);
	e.start.tv_usec = 508123 - 649000 + 1000000 - 777;	/* 1649.777 ms */
	t_addr(&e.server, "127.0.0.1", 23180);
	e.result_tag = "TCP_MISS";
	e.hier = "HIER_DIRECT";
	e.status = 200;
	e.upstream_status = 304;
	e.bytes_out = 382;
	e.bytes_in = 158;
	e.reply_header_size = 250;
	e.method = "GET";
	e.url = "http://127.0.0.1:23180/static.html?";
	e.url_orig = "http://127.0.0.1:23180/static.html?q=a b";
	e.scheme = "http";
	e.host = "127.0.0.1";
	e.port = 23180;
	e.path = "/static.html?q=secret";
	e.mime_type = "text/html";
	e.err_code = "ERR_CONNECT_FAIL";
	e.err_detail = "WITH_SERVER";
	e.dns_ms = 4;
	e.upstream_ms = 12;
	e.seq = 7;
	e.xaction = 42;
	e.bump_mode = "bump";
	e.sni = "www.example.test";
	e.reply_head = rep;
	e.reply_head_len = sizeof(rep) - 1;
	t_parse_request("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
	e.request = &t_req;

	is_str(t_custom("%ts.%03tu %tr %tS %.6tu %.3tr %08tr", &e),
	    "1795352972.508 1649 1795352970.858 508123 1649.777 00001649",
	    "time codes");
	/* found by fuzz_logformat: the padding overran a 64-byte buffer */
	{
		char want[128], plain[64];

		snprintf(plain, sizeof(plain), "%s", t_custom("%.6tS", &e));
		snprintf(want, sizeof(want), "%0*d%s", 70 - (int)strlen(plain),
		    0, plain);
		is_str(t_custom("%070.6tS", &e), want,
		    "%%070.6tS zero-pads past 64 bytes");
		snprintf(want, sizeof(want), "%0*d1649.777", 65 - 8, 0);
		is_str(t_custom("%065.3tr", &e), want,
		    "%%065.3tr zero-pads past 64 bytes");
		/* widths stop at a record's 8 KB (LF_SCRATCH), zeros a bit before */
		is_int(strlen(t_custom("%09000.3tr", &e)), 8192,
		    "width 9000 is 8192");
		is_int(strspn(t_custom("%09000.3tr", &e), " "), 8192 - 8132,
		    "zero padding bounded by the record size");
		/* found by fuzz_logformat: padded one byte at a time, for ever */
		is_int(strlen(t_custom("%2000000000tu", &e)), 8192,
		    "a huge width is a record's 8 KB");
		is_int(strlen(t_custom("%0322222222222222223tr", &e)), 8192,
		    "a width past LONG_MAX too");
	}
	is_str(t_custom("%tl|%tg|%{%Y}tl|%{%H}tg", &e),
	    "22/Nov/2026:13:09:32 +0000|22/Nov/2026:13:09:32|2026|13",
	    "local and GMT time");
	is_str(t_custom("%>a:%>p %>A %la:%lp %>la:%>lp %<a:%<p %<A %<la", &e),
	    "127.0.0.1:46912 127.0.0.1 127.0.0.1:23128 127.0.0.1:23128 "
	    "127.0.0.1:23180 127.0.0.1 -", "address codes");
	is_str(t_custom("%Ss/%03>Hs %Sh %<Hs %<st %>st %st %<sh %>sh", &e),
	    "TCP_MISS/200 HIER_DIRECT 304 382 158 540 250 45",
	    "status and size codes");
	is_str(t_custom("%rm %ru %>ru %rp %rv %>rd %>rs %>rP", &e),
	    "GET http://127.0.0.1:23180/static.html? "
	    "http://127.0.0.1:23180/static.html?q=a%20b /static.html?q=secret "
	    "1.1 127.0.0.1 http 23180", "request codes (%%>ru pass-through)");
	is_str(t_custom("%un %ul %ui %mt %{Content-Type}<h %{x-a}<h %{Nope}<h",
	    &e), "- - - text/html text/html 1,%202 -", "user, mime and reply "
	    "header codes");
	is_str(t_custom("%err_code %err_detail %dt %<tt %sn %master_xaction "
	    "%ssl::bump_mode %ssl::>sni %note %%", &e),
	    "ERR_CONNECT_FAIL WITH_SERVER 4 12 7 42 bump www.example.test - %",
	    "misc codes");
	is_str(t_custom("%store_id|%st", &e), "-|540",
	    "%%store_id without one is -, not %%st and text");
	e.store_id = "http://deb.squid.internal/pool/a b.deb";
	is_str(t_custom("%store_id", &e),
	    "http://deb.squid.internal/pool/a%20b.deb",
	    "%%store_id: the store ID, URL-escaped like %%>ru");
	e.store_id = NULL;
	is_str(t_custom("%\"<h", &e), "Content-Type: text/html\\r\\nX-A: 1"
	    "\\r\\nx-a: 2\\r\\n", "all reply headers");
	is_str(t_custom("%http::>Hs", &e), "200", "http:: prefix");

	/* width, alignment and maximum */
	is_str(t_custom("[%8>Hs][%-8>Hs][%08>Hs][%.3mt][%-12.4mt][%6Ss]", &e),
	    "[     200][200     ][00000200][tex][text        ][TCP_MISS]",
	    "width, alignment, zero pad, maximum");

	/* values that are absent print a bare "-", ignoring width */
	memset(&e.server, 0, sizeof(e.server));
	e.upstream_status = 0;
	e.dns_ms = e.upstream_ms = -1;
	e.mime_type = NULL;
	e.err_code = NULL;
	is_str(t_custom("%<a %<p %<A %<Hs %dt %<tt %8mt %err_code %rv", &e),
	    "- - - - - - - - 1.1", "absent values print -");
}

static void
t_mime_hdrs(void)
{
	struct logformat *f = logformat_builtin("squid");
	struct alog_entry e;
	static const char rep[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html"
	    "\r\nX-Odd: 100% [x]\r\n\r\n";

	t_entry(&e, 1795352791, 938, 1);
	t_addr(&e.server, "127.0.0.1", 23180);
	e.result_tag = "TCP_MISS";
	e.hier = "HIER_DIRECT";
	e.status = 200;
	e.bytes_out = 382;
	e.method = "GET";
	e.url = "http://a.test/";
	e.mime_type = "text/html";
	t_parse_request("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n"
	    "User-Agent: Mozilla/5.0 \"q\" \\x\r\n\r\n");
	e.request = &t_req;
	e.reply_head = rep;
	e.reply_head_len = sizeof(rep) - 1;
	is_str(t_render(f, &e, 1), "1795352791.938      1 127.0.0.1 "
	    "TCP_MISS/200 382 GET http://a.test/ - HIER_DIRECT/127.0.0.1 "
	    "text/html [Host: a.test\\r\\nUser-Agent: Mozilla/5.0 \"q\" \\\\x"
	    "\\r\\n] [HTTP/1.1 200 OK\\r\\nContent-Type: text/html\\r\\n"
	    "X-Odd: 100%25 %5bx%5d\\r\\n\\r\\n]\n", "native with log_mime_hdrs");

	e.request = NULL;
	e.reply_head = NULL;
	is_str(t_render(logformat_builtin("common"), &e, 1), "127.0.0.1 - - "
	    "[22/Nov/2026:13:06:31 +0000] \"GET http://a.test/ HTTP/1.1\" 200 "
	    "382 TCP_MISS:HIER_DIRECT [] []\n", "common with empty mime parts");
}

static void
t_errors(void)
{
	struct alog_entry e;
	char *err = NULL;

	t_entry(&e, 1, 0, 0);
	ok(logformat_compile("x", "%ts %zz %>a", &err) == NULL,
	    "unknown code fails");
	is_str(err, "Unsupported %code: '%zz %>a'", "Squid's message");
	free(err);
	err = NULL;
	ok(logformat_compile("x", "%{Referer", &err) == NULL && err != NULL,
	    "unterminated {arg} fails");
	free(err);
	is_str(t_custom("plain text only", &e), "plain text only",
	    "literal-only format");
	is_str(t_custom("100%% %ts%%", &e), "100% 1%", "%%%% is a percent sign");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	t_native();
	t_httpd();
	t_encodings();
	t_codes();
	t_mime_hdrs();
	t_errors();
	http_msg_free(&t_req);
	return tap_done();
}
