/*
 * Unit tests for request-target URL parsing and formatting: absolute URIs of
 * each scheme, IPv6 literals, default and explicit ports, CONNECT
 * authorities, every refusal, and the strip_query_terms log form.
 */
#include "config.h"
#include "url.h"

#include <string.h>

#include "log.h"
#include "tap.h"

static struct url u;

static int
t_abs(const char *s)
{
	return url_parse_absolute(&u, s, strlen(s));
}

static int
t_auth(const char *s)
{
	return url_parse_authority(&u, s, strlen(s));
}

static int
t_eq(const char *p, size_t len, const char *want)
{
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

static void
t_absolute(void)
{
	char buf[512];

	is_int(t_abs("http://Example.COM/a/b?x=1&y=2"), URL_OK, "http URL");
	is_str(u.scheme, "http", "scheme");
	is_str(u.host, "example.com", "host lowercased");
	is_int(u.port, 80, "default port 80");
	is_int(u.port_given, 0, "no explicit port");
	ok(t_eq(u.path, u.path_len, "/a/b"), "path");
	ok(t_eq(u.query, u.query_len, "?x=1&y=2"), "query keeps '?'");
	is_int(u.host_is_ip, 0, "name is not an IP");
	is_int(u.is_ipv6, 0, "not IPv6");
	ok(u.userinfo == NULL, "no userinfo");
	ok(url_port_is_default(&u), "80 is default for http");

	is_int(t_abs("HTTPS://secure.test:8443/"), URL_OK, "https with port");
	is_str(u.scheme, "https", "scheme lowercased");
	is_int(u.port, 8443, "port 8443");
	is_int(u.port_given, 1, "port given");
	ok(!url_port_is_default(&u), "8443 not default");
	is_int(t_abs("https://secure.test"), URL_OK, "https no path");
	is_int(u.port, 443, "https default 443");
	ok(t_eq(u.path, u.path_len, "/"), "empty path becomes /");
	ok(u.query == NULL, "no query");
	is_int(t_abs("ftp://user:pw@ftp.test/pub/file.txt"), URL_OK, "ftp with userinfo");
	is_int(u.port, 21, "ftp default 21");
	ok(t_eq(u.userinfo, u.userinfo_len, "user:pw"), "userinfo");
	is_str(u.host, "ftp.test", "host after userinfo");
	is_int(t_abs("cache_object://127.0.0.1/info@secret"), URL_OK, "cache_object");
	is_str(u.scheme, "cache_object", "cache_object scheme");
	is_int(u.host_is_ip, 1, "IPv4 host");
	ok(t_eq(u.path, u.path_len, "/info@secret"), "'@' in path is not userinfo");
	is_int(t_abs("http://h.test?q"), URL_OK, "query without path");
	ok(t_eq(u.path, u.path_len, "/"), "query without path: path /");
	ok(t_eq(u.query, u.query_len, "?q"), "query without path: query");
	is_int(t_abs("http://h.test:/x"), URL_OK, "empty port means default");
	is_int(u.port, 80, "empty port is 80");
	is_int(t_abs("http://h.test:65535/"), URL_OK, "port 65535");
	is_int(u.port, 65535, "port 65535 value");
	is_int(t_abs("http://under_score.test/"), URL_OK, "underscore in host");
	is_int(t_abs("http://1.2.3/"), URL_OK, "short dotted name");
	is_int(u.host_is_ip, 0, "1.2.3 is not an IPv4 address");

	is_int(t_abs("http://[::1]:8080/x"), URL_OK, "IPv6 with port");
	is_str(u.host, "::1", "IPv6 host without brackets");
	is_int(u.port, 8080, "IPv6 port");
	is_int(u.is_ipv6, 1, "is_ipv6");
	is_int(u.host_is_ip, 1, "IPv6 is IP");
	url_format_host_port(&u, buf, sizeof(buf));
	is_str(buf, "[::1]:8080", "IPv6 host:port has brackets");
	is_int(t_abs("http://[2001:DB8::A]/"), URL_OK, "IPv6 no port");
	is_str(u.host, "2001:db8::a", "IPv6 lowercased");
	is_int(u.port, 80, "IPv6 default port");
	is_int(t_abs("http://[::ffff:10.0.0.1]/"), URL_OK, "IPv4-mapped IPv6");

	/* refusals */
	is_int(t_abs("gopher://h.test/"), URL_UNSUPPORTED, "unknown scheme");
	is_int(t_abs("http:/h.test/"), URL_BAD, "one slash");
	is_int(t_abs("http//h.test/"), URL_BAD, "no colon");
	is_int(t_abs("/path"), URL_BAD, "origin-form is not absolute");
	is_int(t_abs(""), URL_BAD, "empty");
	is_int(t_abs("1http://h/"), URL_BAD, "scheme starts with digit");
	is_int(t_abs("averyveryverylongscheme://h/"), URL_BAD, "scheme too long");
	is_int(t_abs("http:///path"), URL_BAD, "empty host");
	is_int(t_abs("http://:80/"), URL_BAD, "empty host with port");
	is_int(t_abs("http://user@/"), URL_BAD, "empty host after userinfo");
	is_int(t_abs("http://h.test:0/"), URL_BAD, "port 0");
	is_int(t_abs("http://h.test:65536/"), URL_BAD, "port 65536");
	is_int(t_abs("http://h.test:123456/"), URL_BAD, "port 6 digits");
	is_int(t_abs("http://h.test:8a/"), URL_BAD, "port with letter");
	is_int(t_abs("http://h.test:-1/"), URL_BAD, "negative port");
	is_int(t_abs("http://h.test:80:80/"), URL_BAD, "two ports");
	is_int(t_abs("http://h test/"), URL_BAD, "space in host");
	is_int(t_abs("http://h.test/a b"), URL_BAD, "space in path");
	is_int(t_abs("http://h.test/a\tb"), URL_BAD, "tab in path");
	is_int(t_abs("http://h.test/a\x01"), URL_BAD, "CTL in path");
	is_int(t_abs("http://h.test/a\x7f"), URL_BAD, "DEL in path");
	is_int(t_abs("http://h.t\xc3\xa9st/"), URL_BAD, "8-bit host");
	is_int(t_abs("http://us\xc3\xa9r@h.test/"), URL_BAD, "8-bit userinfo");
	is_int(t_abs("http://h.test:8\xc3\xa9/"), URL_BAD, "8-bit port");
	is_int(t_abs("ht\xc3\xa9p://h.test/"), URL_BAD, "8-bit scheme");
	is_int(t_abs("http://h.test/caf\xc3\xa9?q=\xff"), URL_OK,
	    "8-bit path and query, as Squid takes them");
	is_int(t_auth("h\xc3\xa9.test:443"), URL_BAD, "8-bit CONNECT host");
	is_int(t_abs("http://h.test/#frag"), URL_BAD, "fragment");
	is_int(t_abs("http://h%2etest/"), URL_BAD, "percent in host");
	is_int(t_abs("http://h!test/"), URL_BAD, "sub-delim in host");
	is_int(t_abs("http://a@b@h.test/"), URL_BAD, "two '@'");
	is_int(t_abs("http://[::1/"), URL_BAD, "unclosed bracket");
	is_int(t_abs("http://[::1]x/"), URL_BAD, "junk after bracket");
	is_int(t_abs("http://[::g]/"), URL_BAD, "bad IPv6");
	is_int(t_abs("http://[]/"), URL_BAD, "empty brackets");
	is_int(t_abs("http://[1.2.3.4]/"), URL_BAD, "IPv4 in brackets");
	is_int(t_abs("http://[fe80::1%25eth0]/"), URL_BAD, "zone id");
	{
		char host[400];

		memset(host, 0, sizeof(host));
		strcpy(host, "http://");
		memset(host + 7, 'a', 256);
		strcat(host, "/");
		is_int(t_abs(host), URL_BAD, "256-byte host");
		host[7 + 255] = '/';
		host[7 + 256] = '\0';
		is_int(t_abs(host), URL_OK, "255-byte host");
		is_int(strlen(u.host), 255, "255-byte host kept");
	}
}

static void
t_authority(void)
{
	char buf[64];

	is_int(t_auth("Example.com:443"), URL_OK, "CONNECT authority");
	is_str(u.host, "example.com", "authority host");
	is_int(u.port, 443, "authority port");
	is_str(u.scheme, "", "no scheme");
	is_int(url_format_host_port(&u, buf, sizeof(buf)), 15, "host:port length");
	is_str(buf, "example.com:443", "host:port");
	is_int(t_auth("[2001:db8::1]:8443"), URL_OK, "IPv6 authority");
	is_str(u.host, "2001:db8::1", "IPv6 authority host");
	is_int(u.port, 8443, "IPv6 authority port");
	is_int(t_auth("10.1.2.3:1"), URL_OK, "port 1");
	is_int(u.host_is_ip, 1, "IPv4 authority");

	is_int(t_auth("example.com"), URL_BAD, "port required");
	is_int(t_auth("example.com:"), URL_BAD, "empty port");
	is_int(t_auth("example.com:0"), URL_BAD, "port 0");
	is_int(t_auth("example.com:65536"), URL_BAD, "port too big");
	is_int(t_auth("example.com:44x"), URL_BAD, "port not digits");
	is_int(t_auth(":443"), URL_BAD, "empty host");
	is_int(t_auth("[::1]"), URL_BAD, "IPv6 without port");
	is_int(t_auth("::1:443"), URL_BAD, "IPv6 without brackets");
	is_int(t_auth("user@h.test:443"), URL_BAD, "userinfo in authority");
	is_int(t_auth("h.test:443/"), URL_BAD, "path in authority");
	is_int(t_auth("h test:443"), URL_BAD, "space in authority");
	is_int(t_auth("http://h.test:443"), URL_BAD, "absolute URI is not an authority");

	ok(url_is_origin_form("/x", 2), "origin-form");
	ok(!url_is_origin_form("http://h/", 9), "absolute is not origin-form");
	ok(!url_is_origin_form("", 0), "empty is not origin-form");
	ok(!url_is_origin_form("*", 1), "asterisk is not origin-form");
}

static void
t_format(void)
{
	char buf[256], small[8];
	const char *raw;
	size_t n;

	is_int(url_default_port("http"), 80, "http default");
	is_int(url_default_port("https"), 443, "https default");
	is_int(url_default_port("ftp"), 21, "ftp default");
	is_int(url_default_port("gopher"), 0, "unknown default");

	t_abs("HTTP://User:Pw@Host.Test:80/p/a?x=1");
	n = url_format(&u, 0, buf, sizeof(buf));
	is_str(buf, "http://host.test/p/a?x=1", "canonical: default port dropped, no userinfo");
	is_int(n, strlen("http://host.test/p/a?x=1"), "format length");
	url_format(&u, 1, buf, sizeof(buf));
	is_str(buf, "http://host.test/p/a?", "strip_query_terms keeps '?'");
	t_abs("http://127.0.0.1:23180/big.txt?nocache=2");
	url_format(&u, 1, buf, sizeof(buf));
	is_str(buf, "http://127.0.0.1:23180/big.txt?", "Squid log example");
	url_format(&u, 0, buf, sizeof(buf));
	is_str(buf, "http://127.0.0.1:23180/big.txt?nocache=2", "unstripped");
	t_abs("https://[::1]:443");
	url_format(&u, 1, buf, sizeof(buf));
	is_str(buf, "https://[::1]/", "IPv6 canonical, default port, path /");
	t_abs("https://h.test/nq");
	url_format(&u, 1, buf, sizeof(buf));
	is_str(buf, "https://h.test/nq", "no query: nothing stripped");

	t_abs("http://host.test:8080/longer");
	n = url_format(&u, 0, small, sizeof(small));
	is_int(n, strlen("http://host.test:8080/longer"), "truncated format returns full length");
	is_str(small, "http://", "truncated output NUL-terminated");
	n = url_format(&u, 0, NULL, 0);
	is_int(n, strlen("http://host.test:8080/longer"), "size 0 measures");
	n = url_format_host_port(&u, small, sizeof(small));
	is_int(n, 14, "host:port length when truncated");
	is_str(small, "host.te", "host:port truncated");

	raw = "http://h/p?a=b";
	is_int(url_strip_query_len(raw, strlen(raw)), 11, "strip length keeps '?'");
	raw = "http://h/p";
	is_int(url_strip_query_len(raw, strlen(raw)), 10, "strip length without query");
	raw = "h.test:443";
	is_int(url_strip_query_len(raw, strlen(raw)), 10, "strip length for CONNECT");
}

int
main(void)
{
	log_init("t_url", 0);
	t_absolute();
	t_authority();
	t_format();
	return tap_done();
}
