/*
 * Unit tests for the ACL engine: parsing rules and messages as Squid 5.7
 * gives them, matching of every implemented type, and access-list semantics
 * (first match wins, inversion of the last rule, defaults, NEED_DST).
 */
#include "config.h"
#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "notes.h"
#include "tls_err.h"
#include "tap.h"
#include "testca.h"

static struct acl_set set;
static char *warn;

/* Split a line on spaces and parse it; returns the error (freed by the next call). */
static const char *
t_acl(const char *line)
{
	static char *err;
	char buf[8192], *argv[512], *p, *save = NULL;
	int argc = 0;

	free(err);
	free(warn);
	warn = NULL;
	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 512;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err = acl_parse(&set, argv, argc, &warn);
	return err;
}

static const char *
t_rule(struct access_list *l, const char *line)
{
	static char *err;
	char buf[1024], *argv[64], *p, *save = NULL;
	int argc = 0;

	free(err);
	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 64;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err = access_parse(l, &set, argv, argc, NULL, "test.conf", 1);
	return err;
}

static struct sockaddr_storage ss_src, ss_dst, ss_dst2;

static const struct sockaddr *
t_sa(struct sockaddr_storage *ss, const char *ip)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return (const struct sockaddr *)ss;
}

static int
t_match(const char *name, const struct acl_checklist *cl)
{
	struct acl *a = acl_find(&set, name);

	if (a == NULL) {
		printf("# no ACL %s\n", name);
		return -1;
	}
	return acl_match(a, cl);
}

/* A request for http://www.example.com/index.html from 10.1.2.3. */
static void
t_cl(struct acl_checklist *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->src = t_sa(&ss_src, "10.1.2.3");
	cl->method = "GET";
	cl->url = "http://www.example.com/index.html";
	cl->scheme = "http";
	cl->host = "www.example.com";
	cl->port = 80;
	cl->path = "/index.html";
	cl->local_port = 3128;
	cl->port_name = "main";
}

static void
t_addresses(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	is_str(t_acl("net src 10.0.0.0/8 192.168.1.0/255.255.255.0 2001:db8::/32"),
	    NULL, "src parses CIDR, dotted mask, IPv6");
	is_str(t_acl("rng src 172.16.0.5-172.16.0.9"), NULL, "src range");
	is_int(t_match("net", &cl), ACL_MATCH, "10.1.2.3 in 10/8");
	cl.src = t_sa(&ss_src, "11.1.2.3");
	is_int(t_match("net", &cl), ACL_NOMATCH, "11.1.2.3 not in 10/8");
	is_str(t_acl("lip localip 192.0.2.1 2001:db8::1"), NULL, "localip");
	is_int(t_match("lip", &cl), ACL_NOMATCH, "local address unknown");
	cl.local = t_sa(&ss_dst2, "192.0.2.1");
	is_int(t_match("lip", &cl), ACL_MATCH, "localip matches");
	cl.local = t_sa(&ss_dst2, "192.0.2.2");
	is_int(t_match("lip", &cl), ACL_NOMATCH, "another local address");
	cl.local = NULL;
	cl.src = t_sa(&ss_src, "192.168.1.77");
	is_int(t_match("net", &cl), ACL_MATCH, "dotted netmask");
	cl.src = t_sa(&ss_src, "192.168.2.77");
	is_int(t_match("net", &cl), ACL_NOMATCH, "outside dotted netmask");
	cl.src = t_sa(&ss_src, "2001:db8:1::5");
	is_int(t_match("net", &cl), ACL_MATCH, "IPv6 /32");
	cl.src = t_sa(&ss_src, "2001:db9::5");
	is_int(t_match("net", &cl), ACL_NOMATCH, "IPv6 outside /32");
	cl.src = t_sa(&ss_src, "::ffff:10.9.9.9");
	is_int(t_match("net", &cl), ACL_MATCH, "v4-mapped client is IPv4");
	cl.src = t_sa(&ss_src, "172.16.0.7");
	is_int(t_match("rng", &cl), ACL_MATCH, "inside range");
	cl.src = t_sa(&ss_src, "172.16.0.10");
	is_int(t_match("rng", &cl), ACL_NOMATCH, "past range");
	cl.src = t_sa(&ss_src, "172.16.0.4");
	is_int(t_match("rng", &cl), ACL_NOMATCH, "before range");

	is_str(t_acl("bad src 1.2.3.4/33"),
	    "unknown netmask '33' in '1.2.3.4/33'", "/33 refused");
	ok(t_acl("bad2 src 1.2.3.300") != NULL, "bad IPv4 refused");
	is_str(t_acl("bad3 src -i 1.2.3.4"), "unsupported ACL option: -i",
	    "src takes no -i");
	is_str(t_acl("zero src 0.0.0.0/0.0.0.0"), NULL, "0/0 accepted");
	is_str(warn, "'0.0.0.0/0.0.0.0' needs to be replaced by the term 'all'",
	    "0/0 warns as Squid");
	cl.src = t_sa(&ss_src, "fe80::1");
	is_int(t_match("zero", &cl), ACL_MATCH, "0/0 means all, IPv6 too");
	is_int(t_match("all", &cl), ACL_MATCH, "built-in all");
	is_int(t_match("localhost", &cl), ACL_NOMATCH, "localhost: fe80::1 no");
	cl.src = t_sa(&ss_src, "::1");
	is_int(t_match("localhost", &cl), ACL_MATCH, "localhost: ::1");
	cl.src = t_sa(&ss_src, "127.0.0.1");
	is_int(t_match("localhost", &cl), ACL_MATCH, "localhost: 127.0.0.1");
	cl.src = t_sa(&ss_src, "127.0.0.2");
	is_int(t_match("localhost", &cl), ACL_NOMATCH,
	    "localhost is 127.0.0.1/32 only");
	cl.src = NULL;
	is_int(t_match("all", &cl), ACL_NOMATCH, "unknown src never matches");

	/* dst: IP hosts directly, names need the resolved address. */
	t_cl(&cl);
	is_str(t_acl("d dst -n 93.184.216.0/24"), NULL, "dst -n accepted");
	is_int(t_match("d", &cl), ACL_NEED_DST, "dst of a name needs DNS");
	cl.dst = t_sa(&ss_dst, "93.184.216.34");
	is_int(t_match("d", &cl), ACL_MATCH, "dst matches resolved address");
	cl.dst = t_sa(&ss_dst, "93.184.217.34");
	is_int(t_match("d", &cl), ACL_NOMATCH, "dst other address");
	{
		const struct sockaddr *all[3];

		all[0] = t_sa(&ss_dst, "1.1.1.1");
		all[1] = t_sa(&ss_dst2, "93.184.216.1");
		all[2] = NULL;
		cl.dst_all = all;
		is_int(t_match("d", &cl), ACL_MATCH,
		    "dst checks every resolved address");
		cl.dst_all = NULL;
	}
	cl.dst = NULL;
	cl.host = "93.184.216.9";
	is_int(t_match("d", &cl), ACL_MATCH, "IP host matched without DNS");
	cl.host = "127.0.0.5";
	is_int(t_match("to_localhost", &cl), ACL_MATCH, "to_localhost 127/8");
	cl.host = "::";
	is_int(t_match("to_localhost", &cl), ACL_MATCH, "to_localhost ::");
	cl.host = "10.0.0.1";
	is_int(t_match("to_localhost", &cl), ACL_NOMATCH, "to_localhost no");
}

static void
t_domains(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	is_str(t_acl("dom dstdomain .Example.com other.org"), NULL,
	    "dstdomain parses");
	is_int(t_match("dom", &cl), ACL_MATCH, "subdomain of .example.com");
	cl.host = "example.com";
	is_int(t_match("dom", &cl), ACL_MATCH, ".example.com covers itself");
	cl.host = "a.b.EXAMPLE.com";
	is_int(t_match("dom", &cl), ACL_MATCH, "deep subdomain, any case");
	cl.host = "badexample.com";
	is_int(t_match("dom", &cl), ACL_NOMATCH, "suffix is not subdomain");
	cl.host = "example.com.evil";
	is_int(t_match("dom", &cl), ACL_NOMATCH, "prefix is not a match");
	cl.host = "other.org";
	is_int(t_match("dom", &cl), ACL_MATCH, "exact entry");
	cl.host = "www.other.org";
	is_int(t_match("dom", &cl), ACL_NOMATCH, "exact entry: no subdomains");
	cl.host = "example.com-x.org";
	is_int(t_match("dom", &cl), ACL_NOMATCH, "dash neighbour");
	cl.host = "www.example.com.";
	is_int(t_match("dom", &cl), ACL_MATCH, "absolute host name");

	/* IP hosts: the literal, then the reverse name, "none" without one. */
	is_str(t_acl("ipdom dstdomain 10.0.0.1 blocked.test none"), NULL,
	    "dstdomain with IP and none");
	cl.host = "10.0.0.1";
	is_int(t_match("ipdom", &cl), ACL_MATCH, "IP literal value");
	cl.host = "10.0.0.2";
	is_int(t_match("ipdom", &cl), ACL_MATCH, "IP without rDNS is 'none'");
	cl.dst_rdns = "blocked.test";
	is_int(t_match("ipdom", &cl), ACL_MATCH, "IP host via reverse name");
	cl.dst_rdns = "fine.test";
	is_int(t_match("ipdom", &cl), ACL_NOMATCH, "other reverse name");
	is_str(t_acl("ipdomn dstdomain -n blocked.test"), NULL, "-n");
	cl.dst_rdns = "blocked.test";
	is_int(t_match("ipdomn", &cl), ACL_NOMATCH, "-n: no reverse name");
	cl.dst_rdns = NULL;

	/* Squid's overlap rules. */
	is_str(t_acl("o1 dstdomain example.com .example.com"),
	    "'.example.com' is a subdomain of 'example.com'; you need to "
	    "remove '.example.com' from the ACL named 'o1'",
	    "name then .name is FATAL");
	is_str(t_acl("o2 dstdomain .example.com example.com"),
	    "'.example.com' is a subdomain of 'example.com'; you need to "
	    "remove '.example.com' from the ACL named 'o2'",
	    ".name then name is FATAL");
	is_str(t_acl("o3 dstdomain .example.com www.example.com"), NULL,
	    "covered later subdomain only warns");
	is_str(warn, "'www.example.com' is a subdomain of '.example.com'; you "
	    "should remove 'www.example.com' from the ACL named 'o3'",
	    "the warning");
	is_str(t_acl("o4 dstdomain www.example.com"), NULL, "o4 first line");
	is_str(t_acl("o4 dstdomain .example.com"),
	    "'www.example.com' is a subdomain of '.example.com'; you need to "
	    "remove 'www.example.com' from the ACL named 'o4'",
	    "covering domain after its subdomain is FATAL, across lines");
	is_str(t_acl("o5 dstdomain foo.com foo.com .bar.com foo.com .bar.com"),
	    NULL,
	    "duplicates are fine");
	is_str(warn, NULL, "and silent");

	/* A big list then single values: the incremental path, same rules. */
	{
		char line[8192];
		size_t len;
		int i;

		len = (size_t)snprintf(line, sizeof(line), "big dstdomain");
		for (i = 0; i < 100; i++)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			    " .d%d.test h%d.test", i, i);
		is_str(t_acl(line), NULL, "200 domains");
	}
	is_str(t_acl("big dstdomain h5.test"), NULL, "big: duplicate");
	is_str(warn, NULL, "big: duplicate is silent");
	is_str(t_acl("big dstdomain www.d7.test"), NULL, "big: covered");
	is_str(warn, "'www.d7.test' is a subdomain of '.d7.test'; you should "
	    "remove 'www.d7.test' from the ACL named 'big'",
	    "big: covered warns");
	is_str(t_acl("big dstdomain .h9.test"),
	    "'.h9.test' is a subdomain of 'h9.test'; you need to remove "
	    "'.h9.test' from the ACL named 'big'", "big: .name after name");
	is_str(t_acl("big dstdomain d3.test"),
	    "'.d3.test' is a subdomain of 'd3.test'; you need to remove "
	    "'.d3.test' from the ACL named 'big'", "big: name after .name");
	is_str(t_acl("big dstdomain .test"),
	    "'.d10.test' is a subdomain of '.test'; you need to remove "
	    "'.d10.test' from the ACL named 'big'", "big: covering is FATAL");
	is_str(t_acl("big dstdomain new.example"), NULL, "big: new value");
	cl.host = "new.example";
	is_int(t_match("big", &cl), ACL_MATCH, "big: new value matches");
	cl.host = "x.y.d99.test";
	is_int(t_match("big", &cl), ACL_MATCH, "big: deep subdomain");
	cl.host = "x.h99.test";
	is_int(t_match("big", &cl), ACL_NOMATCH, "big: exact only");
	cl.host = "www.d7.test";
	is_int(t_match("big", &cl), ACL_MATCH, "big: covered still matches");

	/* dstdom_regex */
	t_cl(&cl);
	is_str(t_acl("dre dstdom_regex -i \\.EXAMPLE\\.com$"), NULL,
	    "dstdom_regex");
	is_int(t_match("dre", &cl), ACL_MATCH, "dstdom_regex -i matches");
	cl.host = "example.org";
	is_int(t_match("dre", &cl), ACL_NOMATCH, "dstdom_regex no");

	/* ssl::server_name: SNI first, then the CONNECT host. */
	t_cl(&cl);
	is_str(t_acl("sn ssl::server_name --consensus .example.com"), NULL,
	    "ssl::server_name with option");
	is_int(t_match("sn", &cl), ACL_MATCH, "server_name from host");
	cl.sni = "www.other.org";
	is_int(t_match("sn", &cl), ACL_NOMATCH, "SNI wins over host");
	cl.sni = "api.example.com";
	is_int(t_match("sn", &cl), ACL_MATCH, "SNI matches");
}

static void
t_regexes(void)
{
	struct acl_checklist cl;
	struct http_header rh[3];
	struct http_msg req, rep;

	t_cl(&cl);
	is_str(t_acl("u url_regex ^https:// \\.html$"), NULL, "url_regex");
	is_int(t_match("u", &cl), ACL_MATCH, "second pattern of a group");
	cl.url = "http://www.example.com/INDEX.HTML";
	is_int(t_match("u", &cl), ACL_NOMATCH, "case-sensitive by default");
	is_str(t_acl("ui url_regex -i \\.html$ +i ^FTP://"), NULL, "-i +i");
	is_int(t_match("ui", &cl), ACL_MATCH, "-i applies");
	cl.url = "ftp://x/";
	is_int(t_match("ui", &cl), ACL_NOMATCH, "+i switches back");
	cl.url = "FTP://x/";
	is_int(t_match("ui", &cl), ACL_MATCH, "+i pattern case-sensitive");

	is_str(t_acl("bad url_regex a( b(c)"), NULL,
	    "invalid regex is not fatal");
	ok(warn != NULL && strstr(warn, "invalid regular expression: 'a('")
	    != NULL, "invalid regex warns");
	cl.url = "xbcx";
	is_int(t_match("bad", &cl), ACL_MATCH, "valid sibling kept");
	cl.url = "a(";
	is_int(t_match("bad", &cl), ACL_NOMATCH, "invalid one skipped");

	/* Joining must not change meaning: anchors and alternations. */
	is_str(t_acl("j url_regex ^a|b$ [(] x"), NULL, "joined patterns");
	cl.url = "zzb";
	is_int(t_match("j", &cl), ACL_MATCH, "alternation inside a group");
	cl.url = "q(q";
	is_int(t_match("j", &cl), ACL_MATCH, "bracketed paren");
	cl.url = "qqq";
	is_int(t_match("j", &cl), ACL_NOMATCH, "no pattern");

	/* A pattern too long to join still works. */
	{
		char line[6000];
		size_t n;

		n = (size_t)snprintf(line, sizeof(line), "long url_regex ^x");
		memset(line + n, 'y', 4500);
		line[n + 4500] = '\0';
		is_str(t_acl(line), NULL, "very long pattern");
		cl.url = line + n + 1;	/* "x" then the y's */
		line[n] = '\0';
		is_int(t_match("long", &cl), ACL_NOMATCH, "long: too short");
		line[n] = 'y';
		cl.url = line + n - 1;
		is_int(t_match("long", &cl), ACL_MATCH, "long: matches");
	}

	t_cl(&cl);
	is_str(t_acl("p urlpath_regex ^/index"), NULL, "urlpath_regex");
	is_int(t_match("p", &cl), ACL_MATCH, "urlpath matches path");
	cl.path = "/other";
	is_int(t_match("p", &cl), ACL_NOMATCH, "urlpath no");

	/* Headers, built by hand. */
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	rh[0].name = "User-Agent";
	rh[0].value = "Mozilla/5.0 (X11) Firefox/115.0xxxx";
	rh[0].value_len = strlen("Mozilla/5.0 (X11) Firefox/115.0");
	rh[1].name = "X-Tag";
	rh[1].value = "alpha";
	rh[1].value_len = 5;
	rh[2].name = "x-tag";
	rh[2].value = "beta";
	rh[2].value_len = 4;
	rh[0].name_len = strlen(rh[0].name);
	rh[1].name_len = rh[2].name_len = 5;
	req.hdr = rh;
	req.nhdr = 3;
	rep.hdr = rh + 1;
	rep.nhdr = 1;
	t_cl(&cl);
	is_str(t_acl("ff browser Firefox/115\\.0$"), NULL, "browser");
	is_int(t_match("ff", &cl), ACL_NOMATCH, "no request, no match");
	cl.request = &req;
	is_int(t_match("ff", &cl), ACL_MATCH,
	    "browser on User-Agent (value is not NUL-terminated)");
	is_str(t_acl("ch browser Chrome"), NULL, "browser 2");
	is_int(t_match("ch", &cl), ACL_NOMATCH, "browser no");
	is_str(t_acl("rq req_header X-Tag -i ^ALPHA, beta$"), NULL,
	    "req_header");
	is_int(t_match("rq", &cl), ACL_MATCH,
	    "req_header joins instances with ', '");
	is_str(t_acl("rq2 req_header X-Other ."), NULL, "req_header 2");
	is_int(t_match("rq2", &cl), ACL_NOMATCH, "absent header");
	is_str(t_acl("rp rep_header X-Tag ^alpha$"), NULL, "rep_header");
	is_int(t_match("rp", &cl), ACL_NOMATCH, "rep_header without reply");
	cl.reply = &rep;
	is_int(t_match("rp", &cl), ACL_MATCH, "rep_header on reply");
	ok(t_acl("rq3 req_header X-Only") != NULL,
	    "req_header needs a regex");
	rh[1].name = "Referer";
	rh[1].name_len = 7;
	rh[1].value = "http://ref.example/";
	rh[1].value_len = strlen(rh[1].value);
	is_str(t_acl("ref referer_regex ^http://ref\\."), NULL,
	    "referer_regex");
	is_int(t_match("ref", &cl), ACL_MATCH, "referer_regex matches");

	/* req_mime_type and rep_mime_type: Content-Type, absent is "" */
	is_str(t_acl("rqm req_mime_type -i ^application/JSON"), NULL,
	    "req_mime_type");
	is_str(t_acl("rqe req_mime_type ^$"), NULL, "req_mime_type ^$");
	is_str(t_acl("rpm rep_mime_type ^video/"), NULL, "rep_mime_type");
	is_str(t_acl("rpe rep_mime_type ^$"), NULL, "rep_mime_type ^$");
	is_int(t_match("rqm", &cl), ACL_NOMATCH, "no Content-Type");
	is_int(t_match("rqe", &cl), ACL_MATCH, "... matches as \"\"");
	cl.reply = NULL;
	is_int(t_match("rpe", &cl), ACL_NOMATCH, "no reply: no match");
	cl.reply = &rep;
	is_int(t_match("rpe", &cl), ACL_MATCH, "reply without Content-Type");
	rh[1].name = "content-type";
	rh[1].name_len = 12;
	rh[1].value = "video/mp4";
	rh[1].value_len = 9;
	is_int(t_match("rpm", &cl), ACL_MATCH, "rep_mime_type matches");
	is_int(t_match("rpe", &cl), ACL_NOMATCH, "... and ^$ no longer");
	rh[1].value = "application/json; charset=utf-8";
	rh[1].value_len = strlen(rh[1].value);
	is_int(t_match("rqm", &cl), ACL_MATCH, "req_mime_type -i matches");

	/* The built-in manager ACL. */
	t_cl(&cl);
	is_int(t_match("manager", &cl), ACL_NOMATCH, "manager: plain URL");
	cl.url = "CACHE_OBJECT://localhost/info";
	is_int(t_match("manager", &cl), ACL_MATCH, "manager: cache_object, -i");
	cl.url = "http://proxy:3128/squid-internal-mgr/menu";
	is_int(t_match("manager", &cl), ACL_MATCH, "manager: internal mgr");
	cl.url = "http://proxy:3128/SQUID-INTERNAL-MGR/menu";
	is_int(t_match("manager", &cl), ACL_NOMATCH, "manager: +i part");
}

static void
t_simple_types(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	is_str(t_acl("sp port 80 8000-8080"), NULL, "port");
	is_int(t_match("sp", &cl), ACL_MATCH, "port 80");
	cl.port = 8080;
	is_int(t_match("sp", &cl), ACL_MATCH, "port range end");
	cl.port = 8081;
	is_int(t_match("sp", &cl), ACL_NOMATCH, "past range");
	is_str(t_acl("bp port abc"),
	    "No digits were found in the input value 'abc'", "port abc");
	ok(t_acl("bp2 port 80-") != NULL, "open port range refused");
	is_str(t_acl("lp localport 3128"), NULL, "localport");
	is_int(t_match("lp", &cl), ACL_MATCH, "localport");
	cl.local_port = 3129;
	is_int(t_match("lp", &cl), ACL_NOMATCH, "localport no");
	is_str(t_acl("mp myportname main"), NULL, "myportname");
	is_int(t_match("mp", &cl), ACL_MATCH, "myportname");
	cl.port_name = "Main";
	is_int(t_match("mp", &cl), ACL_NOMATCH, "myportname is exact");

	is_str(t_acl("m method GET HEAD"), NULL, "method");
	is_int(t_match("m", &cl), ACL_MATCH, "method GET");
	cl.method = "get";
	is_int(t_match("m", &cl), ACL_NOMATCH, "method case-sensitive");
	cl.method = "CONNECT";
	is_int(t_match("CONNECT", &cl), ACL_MATCH, "built-in CONNECT");
	is_int(set.has_purge, 0, "no PURGE yet");
	is_str(t_acl("purge method PURGE"), NULL, "method PURGE");
	is_int(set.has_purge, 1, "PURGE enables purging");

	t_cl(&cl);
	is_str(t_acl("pr proto HTTP cache_object"), NULL, "proto");
	is_int(t_match("pr", &cl), ACL_MATCH, "proto http, any case");
	cl.scheme = "cache_object";
	is_int(t_match("pr", &cl), ACL_MATCH, "proto cache_object");
	cl.scheme = "https";
	is_int(t_match("pr", &cl), ACL_NOMATCH, "proto https no");
	is_str(t_acl("pr2 proto bogus"), NULL, "unknown proto not fatal");
	is_str(warn, "Ignoring unknown protocol 'bogus' in the ACL named "
	    "'pr2'; empty ACL: acl pr2 proto", "unknown proto warns");

	is_str(t_acl("st http_status 200 300-399 500-"), NULL, "http_status");
	cl.status = 200;
	is_int(t_match("st", &cl), ACL_MATCH, "200");
	cl.status = 302;
	is_int(t_match("st", &cl), ACL_MATCH, "302 in 300-399");
	cl.status = 404;
	is_int(t_match("st", &cl), ACL_NOMATCH, "404");
	cl.status = 599;
	is_int(t_match("st", &cl), ACL_MATCH, "open range 500-");

	is_str(t_acl("step at_step SslBump2"), NULL, "at_step");
	is_int(t_match("step", &cl), ACL_NOMATCH, "no step");
	cl.ssl_step = 2;
	is_int(t_match("step", &cl), ACL_MATCH, "step 2");
	cl.ssl_step = 1;
	is_int(t_match("step", &cl), ACL_NOMATCH, "step 1");
	is_str(t_acl("step2 at_step SslBump4"),
	    "unknown at_step step name: SslBump4", "bad step");
}

static void
t_time(void)
{
	struct acl_checklist cl;
	struct tm tm;

	setenv("TZ", "UTC", 1);
	tzset();
	t_cl(&cl);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2024 - 1900;	/* Wednesday 2024-01-10 10:30 */
	tm.tm_mon = 0;
	tm.tm_mday = 10;
	tm.tm_hour = 10;
	tm.tm_min = 30;
	tm.tm_isdst = -1;
	cl.now = mktime(&tm);

	is_str(t_acl("work time MTWHF 09:00-17:00"), NULL, "time");
	is_int(t_match("work", &cl), ACL_MATCH, "Wednesday 10:30 at work");
	is_str(t_acl("wknd time SA"), NULL, "weekend");
	is_int(t_match("wknd", &cl), ACL_NOMATCH, "not weekend");
	is_str(t_acl("night time 22:00-23:59"), NULL, "time range only");
	is_int(t_match("night", &cl), ACL_NOMATCH, "10:30 is not night");
	is_str(t_acl("ten time W 10:30-10:30"), NULL, "one minute");
	is_int(t_match("ten", &cl), ACL_MATCH, "inclusive bounds");
	cl.now += 3 * 86400;	/* Saturday */
	is_int(t_match("wknd", &cl), ACL_MATCH, "Saturday");
	is_int(t_match("work", &cl), ACL_NOMATCH, "not a work day");
	is_str(t_acl("bt time 25:00-26:00"), "Bad time range '25:00-26:00'",
	    "25:00 refused");
	is_str(t_acl("bt2 time 10:00-09:00"),
	    "Reversed time range '10:00-09:00'", "reversed refused");
	is_str(t_acl("allday time 00:00-24:00"), NULL, "24:00 end allowed");
	is_str(t_acl("bad24 time 24:00-24:00"), "Bad time range '24:00-24:00'",
	    "start 24:00 refused");
	is_str(t_acl("bd time MX"), NULL, "bad day is not fatal");
	is_str(warn, "Bad Day 'X' in time ACL 'bd'", "bad day warns");
	is_str(t_acl("lc time s"), NULL, "lowercase day");
	is_str(warn, "Bad Day 's' in time ACL 'lc'; empty ACL: acl lc time",
	    "day letters are upper case");
	/* Days accumulate across words; a range uses them up. */
	is_str(t_acl("acc time S A 10:00-11:00 M"), NULL, "accumulating days");
	is_int(t_match("acc", &cl), ACL_MATCH, "Saturday 10:30");
	cl.now -= 5 * 86400;	/* Monday 10:30 */
	is_int(t_match("acc", &cl), ACL_MATCH, "trailing M: all Monday");
	cl.now += 86400;	/* Tuesday */
	is_int(t_match("acc", &cl), ACL_NOMATCH, "not Tuesday");
	is_str(t_acl("wd time D 10:00-10:30"), NULL, "D is weekdays");
	is_int(t_match("wd", &cl), ACL_MATCH, "Tuesday 10:30 inclusive");
}

static void
t_definitions(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	is_str(t_acl("a1 src 1.2.3.4"), NULL, "define a1");
	is_str(t_acl("a1 dst 1.2.3.4"),
	    "ACL 'a1' already exists with different type.", "type conflict");
	is_str(t_acl("a1 src 10.0.0.0/8"), NULL, "same type appends");
	is_int(t_match("a1", &cl), ACL_MATCH, "appended value matches");
	is_str(t_acl("a2 badtype x"), "Invalid ACL type 'badtype'",
	    "unknown type");
	ok(acl_find(&set, "a2") == NULL, "bad type defines nothing");
	is_str(t_acl("manager proto cache_object"), NULL,
	    "legacy manager line is ignored");
	is_str(warn, "UPGRADE: ACL 'manager' is now a built-in ACL. Remove it "
	    "from your config file.", "with Squid's UPGRADE warning");
	is_str(acl_type(acl_find(&set, "manager")), "url_regex",
	    "manager stays url_regex");
	is_str(t_acl("manager src 1.2.3.4"),
	    "ACL 'manager' already exists with different type.",
	    "manager with another type conflicts");
	is_str(t_acl("localhost src 10.9.9.9"), NULL, "localhost appends");
	is_str(warn, NULL, "silently, as Squid");
	cl.src = t_sa(&ss_src, "10.9.9.9");
	is_int(t_match("localhost", &cl), ACL_MATCH, "appended to localhost");
	is_str(t_acl("all src 10.0.0.0/8"), NULL, "all appends");
	ok(warn != NULL, "with a warning");
	is_str(t_acl("to_localhost dst 10.0.0.1"), NULL, "to_localhost appends");

	is_str(t_acl("pa proxy_auth REQUIRED"), NULL, "proxy_auth accepted");
	is_str(warn, NULL, "without a warning");
	ok(acl_is_auth(acl_find(&set, "pa")), "proxy_auth is auth");
	ok(!acl_is_auth(acl_find(&set, "a1")), "src is not");
	is_str(t_acl("nt note -m tag a"), NULL, "note: -m taken");
	is_str(t_acl("sd srcdomain .foo.com"),
	    "ACL type 'srcdomain' is not supported by cuttle yet (ACL 'sd')",
	    "srcdomain rejected");
	is_str(t_acl("my myport 3128"), NULL, "myport renamed");
	is_str(acl_type(acl_find(&set, "my")), "localport", "to localport");
	is_str(t_acl("e dstdomain"), NULL, "empty ACL");
	is_str(warn, "empty ACL: acl e dstdomain", "warns");
	ok(acl_find(&set, "ssl::certHasExpired") != NULL,
	    "ssl error built-ins exist");
	is_str(t_acl("x url_regex -z foo"), "unsupported ACL option: -z",
	    "unknown option");
	is_str(t_acl("dd dstdomain -- -weird.example"), NULL, "-- ends options");
	is_str(t_acl(""), "missing ACL name", "no name");
	is_str(t_acl("lonely"), "missing ACL type for ACL 'lonely'", "no type");
}

/* A fake user-address table for max_user_ip: what the worker keeps. */
static int t_ips_seen, t_ips_calls, t_ips_strict;

static int
t_max_user_ip_cb(void *arg, int max, int strict)
{
	(void)arg;
	t_ips_calls++;
	t_ips_strict = strict;
	return t_ips_seen > max;
}

static void
t_max_user_ip(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	is_str(t_acl("mip max_user_ip 2"), NULL, "max_user_ip N");
	is_str(warn, NULL, "without a warning");
	ok(!acl_is_auth(acl_find(&set, "mip")), "max_user_ip is not a "
	    "proxy_auth ACL (its deny is a 403)");
	is_str(t_acl("mips max_user_ip -s 1"), NULL, "-s N");
	is_str(t_acl("mipz max_user_ip 0"), "Invalid ACL: max_user_ip ACL "
	    "'mipz' needs a number of addresses above 0, not '0'",
	    "0 is invalid, as Squid");
	ok(acl_find(&set, "mipz") == NULL, "and defines nothing");
	is_str(t_acl("mipx max_user_ip two"), "Invalid ACL: max_user_ip ACL "
	    "'mipx' needs a number of addresses above 0, not 'two'",
	    "not a number");
	is_str(t_acl("mipe max_user_ip"), "Invalid ACL: max_user_ip ACL "
	    "'mipe' needs a number of addresses", "no number");
	is_str(t_acl("mipq max_user_ip -q 1"), "unsupported ACL option: -q",
	    "unknown option");
	is_str(t_acl("mip max_user_ip 5"), NULL, "a second line");
	ok(warn != NULL && strstr(warn, "already set") != NULL,
	    "is ignored with Squid's warning");
	is_str(t_acl("mip3 max_user_ip 3 4"), NULL, "extra words");
	ok(warn != NULL, "are warned about");

	cl.auth_state = ACL_AUTH_NONE;
	is_int(t_match("mip", &cl), ACL_NEED_AUTH, "no credentials: need auth");
	cl.auth_state = ACL_AUTH_OFF;
	is_int(t_match("mip", &cl), ACL_NOMATCH, "no scheme: never matches");
	cl.auth_state = ACL_AUTH_OK;
	cl.user = "alice";
	is_int(t_match("mip", &cl), ACL_NOMATCH, "no table: never matches");
	cl.max_user_ip = t_max_user_ip_cb;
	t_ips_seen = 2;
	is_int(t_match("mip", &cl), ACL_NOMATCH, "2 addresses, max 2");
	t_ips_seen = 3;
	is_int(t_match("mip", &cl), ACL_MATCH, "3 addresses, max 2 (the "
	    "first number kept)");
	is_int(t_ips_strict, 0, "not strict");
	t_ips_seen = 2;
	is_int(t_match("mips", &cl), ACL_MATCH, "2 addresses, max 1");
	is_int(t_ips_strict, 1, "strict");
	is_int(t_ips_calls, 3, "one table call per match");
}

static void
t_groups(void)
{
	struct acl_checklist cl;

	t_cl(&cl);		/* src 10.1.2.3, GET, port 80 */
	is_str(t_acl("g10 src 10.0.0.0/8"), NULL, "a src");
	is_str(t_acl("g11 src 11.0.0.0/8"), NULL, "another");
	is_str(t_acl("gget method GET"), NULL, "a method");
	is_str(t_acl("g443 port 443"), NULL, "a port");
	is_str(t_acl("any any-of g11 g443"), NULL, "any-of");
	is_int(t_match("any", &cl), ACL_NOMATCH, "neither matches");
	is_str(t_acl("any any-of !gget"), NULL, "a second any-of line adds");
	is_int(t_match("any", &cl), ACL_NOMATCH, "!GET on a GET");
	is_str(t_acl("any any-of gget"), NULL, "a third");
	is_int(t_match("any", &cl), ACL_MATCH, "one of them matches");
	is_str(t_acl("every all-of g10 g443"), NULL, "all-of");
	is_int(t_match("every", &cl), ACL_NOMATCH, "port 80: not all");
	is_str(t_acl("every all-of g11 gget"), NULL, "a second all-of line");
	is_int(t_match("every", &cl), ACL_NOMATCH, "neither line whole");
	is_str(t_acl("every all-of g10 !g443 gget"), NULL, "a third line");
	is_int(t_match("every", &cl), ACL_MATCH, "the third line matches");
	is_str(t_acl("nest any-of every g11"), NULL, "a group of groups");
	is_int(t_match("nest", &cl), ACL_MATCH, "through all");
	is_str(t_acl("miss any-of g10 nosuch"), "ACL not found: nosuch",
	    "an unknown name is refused");
	ok(acl_find(&set, "miss") == NULL, "and defines nothing");
	ok(t_acl("every all-of nest") != NULL, "a loop through another is "
	    "refused");
	is_int(t_match("every", &cl), ACL_MATCH, "and the ACL stays as it was");
}

static void
t_hier_code(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	is_str(t_acl("hd hier_code HIER_DIRECT CARP"), NULL, "hier_code");
	is_str(t_acl("hn hier_code HIER_NONE"), NULL, "hier_code HIER_NONE");
	is_str(t_acl("hx hier_code DIRECT"), "No such hier_code 'DIRECT'",
	    "an unknown code is refused, as Squid");
	is_str(t_acl("hc hier_code hier_direct"),
	    "No such hier_code 'hier_direct'", "case-exact");
	is_int(t_match("hn", &cl), ACL_MATCH, "none yet: HIER_NONE");
	is_int(t_match("hd", &cl), ACL_NOMATCH, "... not HIER_DIRECT");
	cl.hier = "CARP";
	is_int(t_match("hd", &cl), ACL_MATCH, "CARP");
	cl.hier = "HIER_DIRECT";
	is_int(t_match("hd", &cl), ACL_MATCH, "HIER_DIRECT");
	is_int(t_match("hn", &cl), ACL_NOMATCH, "not HIER_NONE");
}

static void
t_ext_user(void)
{
	struct acl_checklist cl;
	const char *user = NULL;

	t_cl(&cl);
	is_str(t_acl("eu ext_user alice -i Bob"), NULL, "ext_user");
	is_str(t_acl("er ext_user_regex ^a"), NULL, "ext_user_regex");
	is_str(t_acl("eq ext_user REQUIRED"), NULL, "ext_user REQUIRED");
	ok(!acl_is_auth(acl_find(&set, "eu")), "no proxy authentication");
	is_int(t_match("eq", &cl), ACL_NOMATCH, "no external ACL: no match");
	cl.ext_user = &user;
	is_int(t_match("eq", &cl), ACL_NOMATCH, "no user= yet");
	user = "alice";
	is_int(t_match("eu", &cl), ACL_MATCH, "alice");
	is_int(t_match("er", &cl), ACL_MATCH, "^a");
	is_int(t_match("eq", &cl), ACL_MATCH, "REQUIRED");
	user = "BOB";
	is_int(t_match("eu", &cl), ACL_MATCH, "-i Bob");
	is_int(t_match("er", &cl), ACL_NOMATCH, "not ^a");
}

static void
t_random(void)
{
	struct acl_checklist cl;
	int hits = 0;

	t_cl(&cl);
	is_str(t_acl("r1 random 1/1"), NULL, "random 1/1");
	is_str(t_acl("rr random 1:3"), NULL, "random 1:3");
	is_str(t_acl("rd random 0.25"), NULL, "random 0.25");
	ok(t_acl("rbad random 3/2") != NULL, "3/2 refused, as Squid");
	ok(t_acl("rz random 0:5") != NULL, "0:5 refused");
	ok(t_acl("rn random 1.5") != NULL, "1.5 refused (only 0.N)");
	ok(t_acl("re random") != NULL, "no pattern refused");
	ok(acl_find(&set, "rbad") == NULL, "a refused line defines nothing");
	for (int i = 0; i < 100; i++)
		hits += t_match("r1", &cl) == ACL_MATCH;
	is_int(hits, 100, "1/1 always matches");
	hits = 0;
	for (int i = 0; i < 10000; i++)
		hits += t_match("rr", &cl) == ACL_MATCH;
	ok(hits > 2000 && hits < 3000, "1:3 matches a quarter (%d)", hits);
	hits = 0;
	for (int i = 0; i < 10000; i++)
		hits += t_match("rd", &cl) == ACL_MATCH;
	ok(hits > 2000 && hits < 3000, "0.25 matches a quarter (%d)", hits);
}

static void
t_maxconn(void)
{
	struct acl_checklist cl;

	t_cl(&cl);
	ok(!set.has_maxconn, "no maxconn ACL yet");
	is_str(t_acl("mc maxconn 2"), NULL, "maxconn N");
	is_str(warn, NULL, "without a warning");
	ok(set.has_maxconn, "the set says there is one (the worker counts)");
	is_str(t_acl("mcz maxconn 0"), "Invalid ACL: maxconn ACL 'mcz' needs a "
	    "number of connections above 0, not '0'", "0 is invalid, as Squid");
	ok(acl_find(&set, "mcz") == NULL, "and defines nothing");
	is_str(t_acl("mce maxconn"), "Invalid ACL: maxconn ACL 'mce' needs a "
	    "number of connections above 0", "no number");
	is_str(t_acl("mcx maxconn many"), "Invalid ACL: maxconn ACL 'mcx' "
	    "needs a number of connections above 0, not 'many'", "not a number");
	is_str(t_acl("mc maxconn 5"), NULL, "a second line");
	ok(warn != NULL && strstr(warn, "already 2") != NULL,
	    "is ignored with a warning");
	is_str(t_acl("mc3 maxconn 3 4"), NULL, "extra words");
	ok(warn != NULL && strstr(warn, "'4'") != NULL, "are warned about");

	cl.client_conns = 0;
	is_int(t_match("mc", &cl), ACL_NOMATCH, "no count: never matches");
	cl.client_conns = 2;
	is_int(t_match("mc", &cl), ACL_NOMATCH, "2 open, max 2");
	cl.client_conns = 3;
	is_int(t_match("mc", &cl), ACL_MATCH, "3 open, max 2 (the first "
	    "number kept)");
}

static void
t_proxy_auth(void)
{
	struct access_list l;
	struct acl_checklist cl;
	const struct access_rule *rule;
	const struct acl *last;
	int action;

	t_cl(&cl);
	is_str(t_acl("req proxy_auth REQUIRED"), NULL, "REQUIRED");
	is_str(t_acl("adm proxy_auth alice bob"), NULL, "user list");
	is_str(t_acl("admi proxy_auth -i Alice"), NULL, "-i user list");
	is_str(t_acl("rx proxy_auth_regex ^a"), NULL, "regex");
	is_str(t_acl("rxi proxy_auth_regex -i ^A"), NULL, "-i regex");
	is_str(t_acl("mix proxy_auth REQUIRED alice"), NULL, "REQUIRED + names");
	ok(warn != NULL, "warns that names change nothing");
	ok(acl_is_auth(acl_find(&set, "rx")), "proxy_auth_regex is auth");

	cl.auth_state = ACL_AUTH_NONE;
	is_int(t_match("req", &cl), ACL_NEED_AUTH, "no credentials: need auth");
	is_int(t_match("adm", &cl), ACL_NEED_AUTH, "user list too");
	cl.auth_state = ACL_AUTH_PENDING;
	is_int(t_match("req", &cl), ACL_NEED_AUTH, "pending: need auth");
	cl.auth_state = ACL_AUTH_FAILED;
	is_int(t_match("rx", &cl), ACL_NEED_AUTH, "failed: need auth");
	cl.auth_state = ACL_AUTH_OFF;
	is_int(t_match("req", &cl), ACL_NOMATCH, "no scheme: never matches");

	cl.auth_state = ACL_AUTH_OK;
	cl.user = "alice";
	is_int(t_match("req", &cl), ACL_MATCH, "REQUIRED: any valid user");
	is_int(t_match("adm", &cl), ACL_MATCH, "alice listed");
	is_int(t_match("admi", &cl), ACL_MATCH, "-i: Alice matches alice");
	is_int(t_match("rx", &cl), ACL_MATCH, "regex ^a");
	cl.user = "Alice";
	is_int(t_match("adm", &cl), ACL_NOMATCH, "user names are case-sensitive");
	is_int(t_match("rx", &cl), ACL_NOMATCH, "so are regexes");
	is_int(t_match("rxi", &cl), ACL_MATCH, "unless -i");
	cl.user = "carol";
	is_int(t_match("adm", &cl), ACL_NOMATCH, "carol not listed");
	is_int(t_match("req", &cl), ACL_MATCH, "but valid");

	/* NEED_AUTH stops the list; the last checked ACL is reported. */
	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny blk"), NULL, "deny blk");
	is_str(t_rule(&l, "allow adm"), NULL, "allow adm");
	is_str(t_rule(&l, "deny all"), NULL, "deny all");
	cl.auth_state = ACL_AUTH_NONE;
	cl.user = NULL;
	is_int(access_check_last(&l, &cl, ACCESS_DENY, &action, &rule, &last),
	    ACL_NEED_AUTH, "auth needed");
	ok(rule != NULL && rule == l.head->next, "at the rule that needs it");
	ok(last == acl_find(&set, "adm"), "last checked is adm");
	cl.host = "www.blocked.test";
	is_int(access_check_last(&l, &cl, ACCESS_ALLOW, &action, &rule, &last),
	    ACL_MATCH, "decided before the auth ACL");
	is_int(action, ACCESS_DENY, "denied by blk");
	t_cl(&cl);
	cl.auth_state = ACL_AUTH_OK;
	cl.user = "carol";
	access_check_last(&l, &cl, ACCESS_ALLOW, &action, &rule, &last);
	is_int(action, ACCESS_DENY, "carol: deny all");
	ok(last == acl_find(&set, "all"), "last checked is all (403)");
	access_list_free(&l);

	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny !adm"), NULL, "deny !adm");
	access_check_last(&l, &cl, ACCESS_ALLOW, &action, &rule, &last);
	is_int(action, ACCESS_DENY, "carol denied by !adm");
	ok(last == acl_find(&set, "adm") && acl_is_auth(last),
	    "last checked is the auth ACL (407)");
	cl.user = "bob";
	access_check_last(&l, &cl, ACCESS_DENY, &action, &rule, &last);
	is_int(action, ACCESS_ALLOW, "bob: no match, inverted");
	access_list_free(&l);
}

static void
t_access(void)
{
	struct access_list l;
	struct acl_checklist cl;
	const struct access_rule *rule;
	int action;
	static const char *const words[] = { "splice", "bump", "peek", NULL };
	char *argv[2];

	is_str(t_acl("lan src 10.0.0.0/8"), NULL, "lan");
	is_str(t_acl("blk dstdomain .blocked.test"), NULL, "blk");
	is_str(t_acl("web port 80 443"), NULL, "web");
	is_str(t_acl("far dst 203.0.113.0/24"), NULL, "far");

	memset(&l, 0, sizeof(l));
	t_cl(&cl);
	is_int(access_check(&l, &cl, ACCESS_DENY, &action, &rule), ACL_MATCH,
	    "empty list decides");
	is_int(action, ACCESS_DENY, "empty list gives the default");
	ok(rule == NULL, "no deciding rule");
	is_int(access_check(&l, &cl, ACCESS_ALLOW, &action, NULL), ACL_MATCH,
	    "empty list, allow default");
	is_int(action, ACCESS_ALLOW, "empty list gives allow default");

	is_str(t_rule(&l, "deny blk"), NULL, "deny blk");
	is_str(t_rule(&l, "allow lan web"), NULL, "allow lan web");
	is_str(t_rule(&l, "deny nosuch"), "ACL not found: nosuch",
	    "unknown ACL");
	is_str(t_rule(&l, "permit lan"),
	    "unknown action 'permit' (expected deny, allow)", "bad action");
	access_check(&l, &cl, ACCESS_DENY, &action, &rule);
	is_int(action, ACCESS_ALLOW, "lan + port 80 allowed");
	ok(rule != NULL && rule->line == 1 && rule->action == ACCESS_ALLOW &&
	    strcmp(rule->file, "test.conf") == 0, "deciding rule reported");
	cl.host = "www.blocked.test";
	access_check(&l, &cl, ACCESS_ALLOW, &action, &rule);
	is_int(action, ACCESS_DENY, "first match wins");
	t_cl(&cl);
	cl.port = 8080;
	access_check(&l, &cl, ACCESS_ALLOW, &action, &rule);
	is_int(action, ACCESS_DENY,
	    "no match: opposite of the last rule (allow)");
	ok(rule == NULL, "inversion has no rule");
	access_list_free(&l);

	/* A list whose last rule is a deny allows unrelated requests. */
	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny blk"), NULL, "only deny blk");
	t_cl(&cl);
	access_check(&l, &cl, ACCESS_DENY, &action, &rule);
	is_int(action, ACCESS_ALLOW, "last rule deny: unrelated is allowed");
	access_list_free(&l);

	/* Negation, and ANDed ACLs. */
	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny !lan"), NULL, "deny !lan");
	is_str(t_rule(&l, "allow all"), NULL, "allow all");
	t_cl(&cl);
	access_check(&l, &cl, ACCESS_DENY, &action, &rule);
	is_int(action, ACCESS_ALLOW, "lan client passes !lan");
	cl.src = t_sa(&ss_src, "8.8.8.8");
	access_check(&l, &cl, ACCESS_ALLOW, &action, &rule);
	is_int(action, ACCESS_DENY, "outsider denied by !lan");
	ok(access_uses_type(&l, "src"), "uses src");
	ok(!access_uses_type(&l, "dst"), "does not use dst");
	access_list_free(&l);

	/* NEED_DST propagates, and only when the dst ACL is reached. */
	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny blk"), NULL, "deny blk");
	is_str(t_rule(&l, "deny lan far"), NULL, "deny lan far");
	is_str(t_rule(&l, "allow all"), NULL, "allow all");
	t_cl(&cl);
	action = 42;
	is_int(access_check(&l, &cl, ACCESS_DENY, &action, &rule), ACL_NEED_DST,
	    "dst ACL needs DNS");
	is_int(action, 42, "no action while waiting");
	cl.dst = t_sa(&ss_dst, "203.0.113.7");
	is_int(access_check(&l, &cl, ACCESS_ALLOW, &action, &rule), ACL_MATCH,
	    "resolved");
	is_int(action, ACCESS_DENY, "then far is denied");
	cl.dst = NULL;
	cl.src = t_sa(&ss_src, "8.8.8.8");
	is_int(access_check(&l, &cl, ACCESS_DENY, &action, &rule), ACL_MATCH,
	    "AND short-circuits before dst");
	is_int(action, ACCESS_ALLOW, "non-lan allowed without DNS");
	ok(access_uses_type(&l, "dst"), "uses dst");
	access_list_free(&l);

	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny !far"), NULL, "deny !far");
	t_cl(&cl);
	is_int(access_check(&l, &cl, ACCESS_DENY, &action, &rule), ACL_NEED_DST,
	    "negated NEED_DST is not a match");
	access_list_free(&l);

	/* A list with its own action words: no inversion, the default. */
	memset(&l, 0, sizeof(l));
	argv[0] = "peek";
	argv[1] = "blk";
	is_str(access_parse(&l, &set, argv, 2, words, "f", 3), NULL,
	    "ssl_bump-like rule");
	t_cl(&cl);
	access_check(&l, &cl, 0, &action, &rule);
	is_int(action, 0, "no match: the caller's default");
	cl.host = "blocked.test";
	access_check(&l, &cl, 0, &action, &rule);
	is_int(action, 2, "peek is word 2");
	access_list_free(&l);

	/* A rule without ACLs always matches. */
	memset(&l, 0, sizeof(l));
	is_str(t_rule(&l, "deny"), NULL, "bare deny");
	access_check(&l, &cl, ACCESS_ALLOW, &action, &rule);
	is_int(action, ACCESS_DENY, "bare deny matches");
	access_list_free(&l);
}

/* ssl_error: names, numbers, Squid's groups and built-ins. */
static void
t_ssl_error(void)
{
	struct acl_checklist cl;
	int errs[2];

	t_cl(&cl);
	cl.ssl_errors = errs;
	is_str(t_acl("exp ssl_error X509_V_ERR_CERT_HAS_EXPIRED"), NULL,
	    "ssl_error by name");
	is_str(warn, NULL, "ssl_error no longer warns");
	is_str(t_acl("sdom ssl_error SQUID_X509_V_ERR_DOMAIN_MISMATCH 18"), NULL,
	    "Squid's own name and a number");
	is_str(t_acl("unt ssl_error ssl::certUntrusted"), NULL, "a group");
	is_str(t_acl("unt2 ssl_error certUntrusted"), NULL,
	    "a group without ssl::");
	is_str(t_acl("sbad ssl_error X509_V_ERR_NO_SUCH_THING"),
	    "Unknown TLS error name 'X509_V_ERR_NO_SUCH_THING'",
	    "unknown name refused");
	cl.nssl_errors = 0;
	is_int(t_match("exp", &cl), ACL_NOMATCH, "no error: no match");
	errs[0] = X509_V_ERR_CERT_HAS_EXPIRED;
	cl.nssl_errors = 1;
	is_int(t_match("exp", &cl), ACL_MATCH, "expired matches");
	is_int(t_match("sdom", &cl), ACL_NOMATCH, "expired is not a mismatch");
	is_int(t_match("ssl::certHasExpired", &cl), ACL_MATCH,
	    "built-in ssl::certHasExpired");
	errs[0] = TLS_ERR_DOMAIN_MISMATCH;
	is_int(t_match("sdom", &cl), ACL_MATCH, "domain mismatch by name");
	is_int(t_match("ssl::certDomainMismatch", &cl), ACL_MATCH,
	    "built-in ssl::certDomainMismatch");
	errs[0] = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
	is_int(t_match("sdom", &cl), ACL_MATCH, "18 is self-signed");
	is_int(t_match("ssl::certSelfSigned", &cl), ACL_MATCH,
	    "built-in ssl::certSelfSigned");
	is_int(t_match("unt", &cl), ACL_NOMATCH, "self-signed is not untrusted");
	errs[0] = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	is_int(t_match("unt", &cl), ACL_MATCH, "unknown issuer is untrusted");
	is_int(t_match("unt2", &cl), ACL_MATCH, "so without ssl:: too");
	is_int(t_match("ssl::certUntrusted", &cl), ACL_MATCH,
	    "built-in ssl::certUntrusted");
	errs[1] = X509_V_ERR_CERT_HAS_EXPIRED;
	cl.nssl_errors = 2;
	is_int(t_match("exp", &cl), ACL_MATCH, "any of several errors");
	is_str(tls_err_name(TLS_ERR_DOMAIN_MISMATCH),
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH", "Squid's name for a mismatch");
	is_str(tls_err_name(X509_V_ERR_CERT_HAS_EXPIRED),
	    "X509_V_ERR_CERT_HAS_EXPIRED", "OpenSSL's macro name");
}

/* Squid's %D texts (error-details.txt) for certificates and handshakes. */
static void
t_tls_detail(void)
{
	char out[512];
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"tls.test", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20261204085224Z");
	tls_err_detail(X509_V_ERR_CERT_HAS_EXPIRED, x, NULL, out, sizeof(out));
	is_str(out, "SSL Certificate expired on: Dec  4 08:52:24 2026 GMT",
	    "expired: the notAfter");
	tls_err_detail(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, x, NULL, out,
	    sizeof(out));
	is_str(out, "Self-signed SSL Certificate: /CN=tls.test", "self-signed");
	tls_err_detail(TLS_ERR_DOMAIN_MISMATCH, x, NULL, out, sizeof(out));
	is_str(out, "Certificate does not match domainname: /CN=tls.test",
	    "mismatch: the subject");
	tls_err_detail(X509_V_ERR_CERT_REVOKED, NULL, NULL, out, sizeof(out));
	is_str(out, "Certificate revoked: [Not available]",
	    "no certificate: [Not available]");
	tls_err_detail(TLS_ERR_CONNECT, NULL, NULL, out, sizeof(out));
	is_str(out, "Failed to establish a secure connection: [No Error]",
	    "handshake without a library error");
	tls_err_detail(12345, NULL, NULL, out, 10);
	is_str(out, "SSL hands", "cut to the buffer");
	X509_NAME_free(n);
	X509_free(x);
}

/*
 * ssl::server_name once the server's certificate is known (CN
 * cn.example.test, DNS name www.example.test), its options, and
 * server_cert_fingerprint.
 */
static void
t_server_cert(void)
{
	struct acl_checklist cl;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;
	char fp[3 * EVP_MAX_MD_SIZE], line[256];
	X509 *cert;

	testca_init();
	cert = testca_cert(testca_ec_key, "cn.example.test", testca,
	    testca_key, 30);
	t_cl(&cl);
	cl.host = "host.example.org";
	cl.sni = "sni.example.net";
	is_str(t_acl("scn ssl::server_name cn.example.test"), NULL, "cn acl");
	is_str(t_acl("swww ssl::server_name .example.test"), NULL, "san acl");
	is_str(t_acl("ssni ssl::server_name sni.example.net"), NULL, "sni acl");
	is_str(t_acl("srx ssl::server_name_regex ^www\\."), NULL, "regex acl");
	is_str(t_acl("cli ssl::server_name --client-requested sni.example.net"),
	    NULL, "--client-requested");
	is_str(t_acl("srv ssl::server_name --server-provided sni.example.net"),
	    NULL, "--server-provided");
	is_str(t_acl("con ssl::server_name --consensus sni.example.net "
	    "www.example.test"), NULL, "--consensus");
	ok(t_acl("two ssl::server_name --consensus --client-requested x") !=
	    NULL, "two options: refused, as Squid refuses them");

	is_int(t_match("ssni", &cl), ACL_MATCH, "no certificate: the SNI");
	is_int(t_match("srv", &cl), ACL_NOMATCH,
	    "--server-provided without a certificate: 'none'");
	is_int(t_match("con", &cl), ACL_MATCH,
	    "--consensus without a certificate: the SNI");
	cl.server_cert = cert;
	is_int(t_match("scn", &cl), ACL_MATCH, "a certificate: its CN");
	is_int(t_match("swww", &cl), ACL_MATCH, "or a DNS alternative name");
	is_int(t_match("srx", &cl), ACL_MATCH, "regex on the names");
	is_int(t_match("ssni", &cl), ACL_NOMATCH,
	    "the certificate's names replace the SNI");
	is_int(t_match("cli", &cl), ACL_MATCH, "--client-requested: the SNI");
	is_int(t_match("srv", &cl), ACL_NOMATCH,
	    "--server-provided: the names");
	is_int(t_match("con", &cl), ACL_NOMATCH,
	    "--consensus: an SNI the certificate does not fit is 'none'");
	cl.sni = "www.example.test";
	is_int(t_match("con", &cl), ACL_MATCH,
	    "--consensus: an SNI the certificate fits");

	X509_digest(cert, EVP_sha1(), md, &n);
	for (unsigned int i = 0; i < n; i++)
		snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	snprintf(line, sizeof(line), "fp server_cert_fingerprint -sha1 %s", fp);
	is_str(t_acl(line), NULL, "server_cert_fingerprint");
	is_str(t_acl("fpo server_cert_fingerprint 00:11"), NULL, "another");
	is_int(t_match("fp", &cl), ACL_MATCH, "its SHA-1 fingerprint");
	is_int(t_match("fpo", &cl), ACL_NOMATCH, "another fingerprint");
	cl.server_cert = NULL;
	is_int(t_match("fp", &cl), ACL_NOMATCH, "no certificate: no match");
	X509_free(cert);
}

/* annotate_transaction / annotate_client: Squid's ACLAnnotationData. */
static void
t_annotate(void)
{
	struct acl_checklist cl;
	struct notes xn = { NULL, 0, 0 }, cn = { NULL, 0, 0 };
	char *s;

	is_str(t_acl("an1 annotate_transaction k=1 j=x"), NULL, "two pairs");
	is_str(warn, NULL, "no warning");
	is_str(t_acl("an1 annotate_transaction k+=2"), NULL, "a line appends");
	is_str(t_acl("an2 annotate_transaction k=3"), NULL, "replace");
	is_str(t_acl("an3 annotate_transaction -m=: m+=a::b:"), NULL,
	    "-m=:");
	is_str(t_acl("an4 annotate_client who=me"), NULL, "annotate_client");
	is_str(t_acl("annbad1 annotate_transaction"), "Missing annotation kv pair",
	    "no pair");
	is_str(t_acl("annbad2 annotate_transaction kv"),
	    "Missing annotation kv pair", "not key=value");
	is_str(warn, "Error while parsing key=value token. Value missing "
	    "after: kv", "with Squid's complaint");
	is_str(t_acl("annbad3 annotate_transaction k=v junk more"),
	    "Unexpected argument 'more' after annotation specification",
	    "a word after the pairs");
	is_str(t_acl("annbad4 annotate_transaction user=x"),
	    "cannot use a reserved annotation_data name: user",
	    "a helper protocol key is reserved");
	is_str(t_acl("annbad5 annotate_transaction -i k=v"),
	    "unsupported ACL option: -i", "-i is not an option here");
	is_str(t_acl("annbadq annotate_transaction k=\"x"),
	    "annotate_transaction: quoted values (logformat %codes) are not "
	    "supported yet: k=\"x", "a quoted value is refused");
	is_str(t_acl("an5 annotate_transaction k.x=v"), NULL, "odd key");
	is_str(warn, "used special character '.' within annotation name. "
	    "Future Squid versions will not support this.", "warned");
	is_str(t_acl("an5 annotate_transaction k.x=w"), NULL, "again");
	is_str(warn, "used special character '.' within annotation name. "
	    "Future Squid versions will not support this.; annotation "
	    "configuration with key k.x already exists and will be "
	    "overwritten", "overwrite warned");

	memset(&cl, 0, sizeof(cl));
	is_int(t_match("an1", &cl), ACL_NOMATCH, "no transaction: no match");
	cl.annotate_xact = &xn;
	is_int(t_match("an1", &cl), ACL_MATCH, "matches");
	s = notes_to_string(&xn, ";");
	is_str(s, "k: 1;k: 2;j: x;", "k's values together, in line order");
	free(s);
	is_int(t_match("an2", &cl), ACL_MATCH, "matches again");
	s = notes_to_string(&xn, ";");
	is_str(s, "j: x;k: 3;", "k=3 replaced k");
	free(s);
	is_int(t_match("an3", &cl), ACL_MATCH, "-m");
	s = notes_find(&xn, "m", "|");
	is_str(s, "a|b", "split on ':', empty tokens skipped");
	free(s);
	is_int(t_match("an4", &cl), ACL_NOMATCH,
	    "annotate_client without a connection: no match");
	cl.annotate_conn = &cn;
	is_int(t_match("an4", &cl), ACL_MATCH, "with one: matches");
	is_str(notes_find_first(&cn, "who"), "me", "the connection's note");
	is_str(notes_find_first(&xn, "who"), "me", "and the transaction's");
	notes_free(&xn);
	notes_free(&cn);
}

int
main(void)
{
	acl_set_init(&set);
	t_addresses();
	t_domains();
	t_regexes();
	t_simple_types();
	t_time();
	t_definitions();
	t_access();
	t_proxy_auth();
	t_max_user_ip();
	t_maxconn();
	t_groups();
	t_random();
	t_hier_code();
	t_ext_user();
	t_ssl_error();
	t_tls_detail();
	t_server_cert();
	t_annotate();
	acl_set_free(&set);
	t_acl("x src 1.2.3.4");	/* frees the last messages */
	acl_set_free(&set);
	free(warn);
	return tap_done();
}
