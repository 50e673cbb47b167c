/*
 * Unit tests for the header mangling directives: how request_header_* and
 * reply_header_* lines load (with Squid's messages for the lines it skips
 * and the ones it refuses) and which rules govern a header, with Squid's
 * lookup order (own rules, Other for unregistered names, All).
 */
#include "config.h"
#include "cfg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "hdr_rules.h"
#include "logformat.h"
#include "tap.h"
#include "t_conf.h"

#define FIND(r, n)	hdr_rules_find((r), (n), strlen(n))

static enum hdr_verdict
verdict(const struct hdr_rules *r, const char *name, const char *method)
{
	struct acl_checklist cl;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	memset(&cl, 0, sizeof(cl));
	cl.src = (const struct sockaddr *)&sin;	/* "all" is src all */
	cl.method = method;
	return hdr_rules_verdict(FIND(r, name), &cl);
}

static void
test_known(void)
{
	ok(hdr_rules_known("user-agent", 10), "User-Agent is registered");
	ok(hdr_rules_known("X-FORWARDED-FOR", 15), "any case");
	ok(hdr_rules_known("Proxy-Support", 13), "Proxy-support");
	ok(!hdr_rules_known("X-Custom", 8), "X-Custom is not");
	ok(!hdr_rules_known("Other", 5), "nor is Other");
	ok(!hdr_rules_known("User-Agen", 9), "no prefix match");
}

static void
test_lookup(void)
{
	struct cfg c;

	is_int(load(&c, "h.conf",
	    "acl post method POST\n"
	    "request_header_access User-Agent deny all\n"
	    "request_header_replace User-Agent anon\n"
	    "request_header_access X-Mine allow post\n"
	    "request_header_access x-mine deny all\n"
	    "request_header_replace X-Lone \"only a replacement\"\n"
	    "request_header_replace Accept text/* ; q=1\n"
	    "request_header_access Other deny all\n"
	    "request_header_access All allow post\n"
	    "request_header_access all deny all\n"
	    "reply_header_access Server deny all\n", 0), 0, "rules load");
	is_str(logtext, "", "quietly");
	const struct hdr_rules *r = &c.request_headers;
	ok(FIND(r, "user-agent") != NULL &&
	    strcmp(FIND(r, "user-agent")->name, "User-Agent") == 0,
	    "a registered name finds its own rules in any case");
	is_int(verdict(r, "User-Agent", "GET"), HDR_REPLACE,
	    "denied with a replacement: replaced");
	is_str(FIND(r, "User-Agent")->replacement, "anon", "the replacement");
	is_int(verdict(r, "X-Mine", "POST"), HDR_KEEP, "first match allows");
	is_int(verdict(r, "X-MINE", "GET"), HDR_REMOVE,
	    "next line (same header, other case) denies");
	ok(FIND(r, "X-Lone") != NULL && FIND(r, "X-Lone")->acl.head == NULL,
	    "an unregistered name with only a replacement is its own entry");
	is_int(verdict(r, "X-Lone", "GET"), HDR_KEEP,
	    "and is kept: Other and All never see it");
	ok(FIND(r, "Accept") == &r->all,
	    "a registered name with only a replacement falls to All");
	is_str(r->named->next->next->next->replacement, "text/* ; q=1",
	    "an unquoted replacement runs to the end of the line");
	ok(FIND(r, "X-Custom") == &r->other, "Other takes unregistered names");
	ok(FIND(r, "Accept-Language") == &r->all,
	    "but not registered ones: All does");
	is_int(verdict(r, "Accept-Language", "GET"), HDR_REMOVE,
	    "All: no match inverts the allow");
	is_int(verdict(r, "Accept-Language", "POST"), HDR_KEEP,
	    "All: the allow");
	ok(FIND(r, "all") != NULL && FIND(r, "all") != &r->all,
	    "lowercase 'all' is a header name, as in Squid");
	ok(FIND(&c.reply_headers, "server") != NULL &&
	    FIND(&c.reply_headers, "User-Agent") == NULL,
	    "reply rules are their own set");
	ok(hdr_rules_active(r) && hdr_rules_active(&c.reply_headers),
	    "both directions active");
	cfg_free(&c);

	is_int(load(&c, "s.conf", "request_header_access X-Skip deny\n"
	    "request_header_access Other deny all\n", 0), 0,
	    "a skipped line loads");
	ok(FIND(&c.request_headers, "X-Skip") != NULL &&
	    FIND(&c.request_headers, "X-Skip") != &c.request_headers.other,
	    "yet names its header, as Squid: Other does not govern it");
	is_int(verdict(&c.request_headers, "X-Skip", "GET"), HDR_KEEP,
	    "so it is kept");
	cfg_free(&c);

	is_int(load(&c, "n.conf", "", 0), 0, "empty config");
	ok(!hdr_rules_active(&c.request_headers) &&
	    FIND(&c.request_headers, "Via") == NULL, "no rules: none found");
	cfg_free(&c);
}

static void
test_add(void)
{
	struct cfg c;

	is_int(load(&c, "a.conf",
	    "acl post method POST\n"
	    "request_header_add X-Lit plain post\n"
	    "request_header_add X-Code \"ip=%>a \\\"q\\\" %rm\" post !post\n"
	    "reply_header_add X-Empty\n", 0), 0, "add lines load");
	const struct hdr_add *a = c.request_headers.add;
	ok(a != NULL && strcmp(a->name, "X-Lit") == 0 &&
	    strcmp(a->value, "plain") == 0 && a->format == NULL &&
	    a->nrefs == 1, "unquoted: a literal value and one ACL");
	a = a != NULL ? a->next : NULL;
	ok(a != NULL && a->format != NULL && a->nrefs == 2 &&
	    strcmp(a->value, "ip=%>a \"q\" %rm") == 0,
	    "quoted: unescaped, a format, two ACLs");
	a = c.reply_headers.add;
	ok(a != NULL && strcmp(a->value, "") == 0 && a->nrefs == 0,
	    "no value: empty (sent as '-')");
	struct acl_checklist cl;
	memset(&cl, 0, sizeof(cl));
	cl.method = "GET";
	ok(!hdr_rules_add_applies(c.request_headers.add, &cl),
	    "ACL decides: GET");
	cl.method = "POST";
	ok(hdr_rules_add_applies(c.request_headers.add, &cl), "POST");
	ok(hdr_rules_add_applies(c.reply_headers.add, &cl), "no ACL: always");
	cfg_free(&c);
}

static void
test_messages(void)
{
	is_int(load_free("request_header_access\n"), 0,
	    "no name: skipped, as Squid");
	ok(logged("t.conf:1: request_header_access: missing header name"),
	    "with file:line");
	is_int(load_free("reply_header_access Via\n"), 0, "no action: skipped");
	ok(logged("t.conf:1: reply_header_access Via: missing 'allow' or "
	    "'deny'"), "says so");
	is_int(load_free("request_header_access Via maybe all\n"), 0,
	    "bad action: skipped");
	ok(logged("expecting 'allow' or 'deny', got 'maybe'"), "says so");
	is_int(load_free("request_header_access Via deny\n"), 0,
	    "no ACL: skipped");
	ok(logged("access line contains no ACLs, skipping"), "says so");
	is_int(load_free("request_header_access Via deny nosuch\n"), 1,
	    "unknown ACL: an error");
	ok(logged("t.conf:1: ACL not found: nosuch"), "names it");
	is_int(load_free("request_header_replace User-Agent\n"), 1,
	    "replace without a value: an error, as Squid's FATAL");
	ok(logged("t.conf:1: request_header_replace User-Agent: missing "
	    "replacement value"), "says so");
	is_int(load_free("request_header_add\n"), 1, "add without a name");
	is_int(load_free("reply_header_add X-A \"%zz\"\n"), 1,
	    "add with a bad %%code");
	ok(logged("t.conf:1:"), "with file:line");
	is_int(load_free("request_header_add X-A v nosuch\n"), 1,
	    "add with an unknown ACL");
	is_int(load_free("request_header_add X-A \"open\n"), 1,
	    "add with an open quote");
	ok(logged("missing closing quote"), "says so");
}

int
main(void)
{
	if (t_conf_setup("t_hdr_rules") == -1)
		return 1;
	test_known();
	test_lookup();
	test_add();
	test_messages();
	t_conf_cleanup();
	return tap_done();
}
