/*
 * Unit tests for http_upgrade_request_protocols: the directive as Squid 5.7
 * parses it (cfg_set_upgrade.c) and which offers of a client's Upgrade
 * header the rules let through (upgrade_rules.c), including the one
 * deliberate difference: protocol names compare case-insensitively.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "http_parse.h"
#include "log.h"
#include "upgrade_rules.h"
#include "util.h"
#include "t_conf.h"
#include "tap.h"

/* A config text loaded as t.conf, with t_conf.h's log capture. */
static int
load_text(struct cfg *cfg, const char *text)
{
	return load(cfg, "t.conf", text, 0);
}

/* The offer that goes upstream for Upgrade value(s) up from client ip. */
static const char *
offer(const struct cfg *c, const char *up, const char *ip)
{
	static char out[512];
	char req[1024];
	struct http_msg m;
	struct http_parse_error err;
	struct acl_checklist cl;
	struct sockaddr_storage ss;
	socklen_t len;
	struct buf b;

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Connection: upgrade\r\n%s\r\n", up);
	memset(&m, 0, sizeof(m));
	if (http_parse_request(&m, req, strlen(req), 65536, &err) !=
	    HTTP_PARSE_OK) {
		snprintf(out, sizeof(out), "(parse error)");
		return out;
	}
	memset(&cl, 0, sizeof(cl));
	util_addr_parse(ip, 0, &ss, &len);
	cl.src = (struct sockaddr *)&ss;
	cl.method = "GET";
	buf_init(&b);
	int n = upgrade_offer_filter(&c->http_upgrade_request_protocols, &m,
	    &cl, &b);
	snprintf(out, sizeof(out), "%d:%.*s", n, (int)buf_avail(&b),
	    buf_head(&b));
	buf_free(&b);
	http_msg_free(&m);
	return out;
}

static void
test_parse(void)
{
	struct cfg c;
	const struct cfg_upgrade_rule *r;

	is_int(load_text(&c, ""), 0, "empty config");
	ok(c.http_upgrade_request_protocols.named == NULL &&
	    c.http_upgrade_request_protocols.other.head == NULL,
	    "default: no rules");
	is_str(offer(&c, "Upgrade: websocket\r\n", "127.0.0.1"), "0:",
	    "default: nothing offered");
	cfg_free(&c);

	is_int(load_text(&c,
	    "acl lan src 10.0.0.0/8\n"
	    "http_upgrade_request_protocols websocket allow lan\n"
	    "http_upgrade_request_protocols OTHER deny all\n"
	    "http_upgrade_request_protocols Bar/1 deny all\n"
	    "http_upgrade_request_protocols OTHER allow lan\n"
	    "http_upgrade_request_protocols foo allow\n"), 0, "rules load");
	r = c.http_upgrade_request_protocols.named;
	is_str(r->proto, "websocket", "first named rule");
	is_int((int)r->name_len, 9, "name length");
	r = r->next;
	is_str(r->proto, "Bar/1", "second keeps its version");
	is_int((int)r->name_len, 3, "name before the slash");
	ok(r->next == NULL, "a line without ACLs is skipped");
	ok(logged("http_upgrade_request_protocols foo allow: access line "
	    "contains no ACLs, skipping"), "and warned about");
	ok(c.http_upgrade_request_protocols.other.head != NULL &&
	    c.http_upgrade_request_protocols.other.head->next != NULL &&
	    c.http_upgrade_request_protocols.other.head->next->next == NULL,
	    "the OTHER lines make one list of two");
	cfg_free(&c);

	ok(load_text(&c, "http_upgrade_request_protocols websocket\n") > 0,
	    "a protocol without an action is an error");
	cfg_free(&c);
	ok(load_text(&c, "http_upgrade_request_protocols websocket permit all\n") > 0,
	    "an unknown action is an error");
	ok(logged("unknown action 'permit'"), "naming the word");
	cfg_free(&c);
	ok(load_text(&c, "http_upgrade_request_protocols websocket allow nosuch\n")
	    > 0, "an unknown ACL is an error");
	cfg_free(&c);
}

static void
test_filter(void)
{
	struct cfg c;

	is_int(load_text(&c,
	    "acl lan src 10.0.0.0/8\n"
	    "http_upgrade_request_protocols WebSocket allow lan\n"
	    "http_upgrade_request_protocols h2c/1 allow all\n"
	    "http_upgrade_request_protocols TLS/1.0 deny all\n"
	    "http_upgrade_request_protocols TLS allow all\n"
	    "http_upgrade_request_protocols OTHER deny lan\n"
	    "http_upgrade_request_protocols OTHER allow all\n"), 0,
	    "filter rules load");
	is_str(offer(&c, "Upgrade: websocket\r\n", "10.1.1.1"), "1:websocket",
	    "name matches case-insensitively (Squid: exactly)");
	is_str(offer(&c, "Upgrade: WEBSOCKET/13\r\n", "10.1.1.1"),
	    "1:WEBSOCKET/13", "a rule without version takes any, as written");
	is_str(offer(&c, "Upgrade: websocket\r\n", "192.0.2.1"), "0:",
	    "no matching named rule: dropped, OTHER not consulted");
	is_str(offer(&c, "Upgrade: h2c/1, h2c/2, h2c\r\n", "192.0.2.1"),
	    "1:h2c/1", "a versioned rule only for that version; an "
	    "unversioned offer does not match it");
	is_str(offer(&c, "Upgrade: TLS/1.0, TLS/1.2\r\n", "192.0.2.1"),
	    "1:TLS/1.2", "versioned deny, then the name's allow");
	is_str(offer(&c, "Upgrade: foo, bar/2\r\n", "192.0.2.1"),
	    "2:foo, bar/2", "OTHER allows the unnamed");
	is_str(offer(&c, "Upgrade: foo, bar/2\r\n", "10.9.9.9"), "0:",
	    "OTHER's first matching line denies");
	is_str(offer(&c, "Upgrade: foo ,, \t websocket \r\nUpgrade: bar\r\n",
	    "10.1.1.1"), "1:websocket", "lists across fields, empty members "
	    "and spaces");
	is_str(offer(&c, "Upgrade: foo, bar/2\r\nUpgrade: x y\r\n",
	    "192.0.2.1"), "0:", "a value that is not a list drops the offer");
	is_str(offer(&c, "Upgrade: foo/\r\n", "192.0.2.1"), "0:",
	    "an empty version is invalid");
	is_str(offer(&c, "Upgrade: /1\r\n", "192.0.2.1"), "0:",
	    "an empty name is invalid");
	is_str(offer(&c, "Upgrade: a/b/c\r\n", "192.0.2.1"), "0:",
	    "two slashes are invalid");
	is_str(offer(&c, "X: y\r\n", "192.0.2.1"), "0:", "no Upgrade");
	cfg_free(&c);

	is_int(load_text(&c,
	    "http_upgrade_request_protocols OTHER allow all\n"), 0,
	    "OTHER alone");
	is_str(offer(&c, "Upgrade: websocket, foo/1\r\n", "10.1.1.1"),
	    "2:websocket, foo/1", "OTHER allows every name");
	cfg_free(&c);

	is_int(load_text(&c,
	    "http_upgrade_request_protocols websocket/13 deny all\n"
	    "http_upgrade_request_protocols OTHER allow all\n"), 0,
	    "a name with only another version's rule");
	is_str(offer(&c, "Upgrade: websocket/7\r\n", "10.1.1.1"), "0:",
	    "inapplicable rules still keep OTHER out, as in Squid");
	cfg_free(&c);
}

static void
test_accepts(void)
{
	const char *o = "websocket, h2c/1";

	ok(upgrade_accepts(o, strlen(o), "websocket", 9), "offered");
	ok(upgrade_accepts(o, strlen(o), "WebSocket", 9), "any case");
	ok(upgrade_accepts(o, strlen(o), "h2c", 3), "by name");
	ok(!upgrade_accepts(o, strlen(o), "foo", 3), "not offered");
	ok(!upgrade_accepts(o, strlen(o), "websocket, foo", 14),
	    "one not offered");
	ok(!upgrade_accepts(o, strlen(o), "", 0), "empty");
	ok(!upgrade_accepts(o, strlen(o), " , ", 3), "essentially empty");
	ok(!upgrade_accepts(o, strlen(o), "web socket", 10), "not a list");
}

int
main(void)
{
	if (t_conf_setup("t_upgrade") == -1)
		return 1;
	test_parse();
	test_filter();
	test_accepts();
	t_conf_cleanup();
	return tap_done();
}
