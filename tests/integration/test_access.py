"""http_access and http_reply_access: ACL types and list semantics."""

import pytest

from helpers import get
from proxyproc import free_port

BLOCK = "acl blk dstdomain blocked.test\n"


def status(p, origin, host, path="/", method="GET", headers=()):
    return get(p.port, origin.url(path, host=host), method=method, headers=headers).status


def test_denied_request_gets_error_page_and_log(proxy, origin):
    p = proxy(BLOCK, access="http_access deny blk\nhttp_access allow all")
    r = get(p.port, origin.url("/", host="blocked.test"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    assert r.header("Content-Type").startswith("text/html")
    assert origin.connections == 0
    (e,) = p.access_entries(1)
    assert (e["code"], e["hier"], e["url"]) == (
        "TCP_DENIED/403", "HIER_NONE/-", "http://blocked.test:%d/" % origin.port)


def test_first_matching_rule_wins(proxy, origin):
    p = proxy(BLOCK, access="http_access allow all\nhttp_access deny blk")
    assert status(p, origin, "blocked.test") == 200


def test_no_match_inverts_last_deny(proxy, origin):
    # Only rule is a deny: everything it does not match is allowed.
    p = proxy(BLOCK, access="http_access deny blk")
    assert status(p, origin, "origin.test") == 200
    assert status(p, origin, "blocked.test") == 403


def test_no_match_inverts_last_allow(proxy, origin):
    p = proxy("acl ok dstdomain allowed.test\n", access="http_access allow ok")
    assert status(p, origin, "allowed.test") == 200
    assert status(p, origin, "origin.test") == 403


def test_no_rules_denies_all(proxy, origin):
    p = proxy(access="")
    assert status(p, origin, "origin.test") == 403
    assert origin.connections == 0


def test_acls_on_one_line_are_anded(proxy, origin):
    p = proxy("acl ok dstdomain allowed.test\nacl getm method GET\n",
              access="http_access allow getm ok\nhttp_access deny all")
    assert status(p, origin, "allowed.test") == 200
    assert status(p, origin, "allowed.test", method="DELETE") == 403
    assert status(p, origin, "origin.test") == 403


def test_negated_acl(proxy, origin):
    p = proxy("acl ok dstdomain allowed.test\n", access="http_access deny !ok\nhttp_access allow all")
    assert status(p, origin, "allowed.test") == 200
    assert status(p, origin, "other.test") == 403


def test_values_on_repeated_lines_are_ored(proxy, origin):
    p = proxy("acl ok dstdomain allowed.test\nacl ok dstdomain other.test\n",
              access="http_access allow ok\nhttp_access deny all")
    assert status(p, origin, "allowed.test") == 200
    assert status(p, origin, "other.test") == 200
    assert status(p, origin, "origin.test") == 403


PLAIN = ("origin.test", "/", "GET", ())

# acl type: (definition, a request it matches, a request it does not match or None).
# Each request is (host, path, method, headers).
ACL_CASES = {
    "src": ("src 127.0.0.1/32", PLAIN, None),
    "dst": ("dst 127.0.0.1/32", PLAIN, None),
    "proto": ("proto HTTP", PLAIN, None),
    "dstdomain-dot": ("dstdomain .test", PLAIN, None),
    "dstdom_regex": ("dstdom_regex -i ^BLOCK", ("blocked.test", "/", "GET", ()), PLAIN),
    "url_regex": ("url_regex /secret", ("origin.test", "/a/secret", "GET", ()),
                  ("origin.test", "/a/public", "GET", ())),
    "urlpath_regex": ("urlpath_regex \\.exe$", ("origin.test", "/x.exe", "GET", ()),
                      ("origin.test", "/x.exe.txt", "GET", ())),
    "method": ("method PUT DELETE", ("origin.test", "/", "DELETE", ()), PLAIN),
    "browser": ("browser -i evilbot", ("origin.test", "/", "GET", [("User-Agent", "EvilBot/1")]),
                ("origin.test", "/", "GET", [("User-Agent", "curl/7")])),
    "req_header": ("req_header X-Block -i ^yes$",
                   ("origin.test", "/", "GET", [("X-Block", "YES")]),
                   ("origin.test", "/", "GET", [("X-Block", "no")])),
}


@pytest.mark.parametrize("name", sorted(ACL_CASES))
def test_acl_type_deny(proxy, origin, name):
    definition, hit, miss = ACL_CASES[name]
    p = proxy("acl x %s\n" % definition, access="http_access deny x\nhttp_access allow all")
    assert status(p, origin, *hit) == 403
    if miss:
        assert status(p, origin, *miss) == 200


def test_src_acl_not_matching(proxy, origin):
    p = proxy("acl far src 10.0.0.0/8\n", access="http_access deny far\nhttp_access allow all")
    assert status(p, origin, *PLAIN) == 200


def test_port_acl(proxy, origin):
    p = proxy("acl op port %d\n" % origin.port, access="http_access deny op\nhttp_access allow all")
    assert status(p, origin, "origin.test") == 403


def test_localport_acl(proxy, origin):
    p = proxy("acl lp localport 1-65535\n", access="http_access deny lp\nhttp_access allow all")
    assert status(p, origin, "origin.test") == 403


def test_deny_info_redirect(proxy, origin):
    p = proxy(BLOCK + "deny_info http://allowed.test/why blk\n",
              access="http_access deny blk\nhttp_access allow all")
    r = get(p.port, origin.url("/", host="blocked.test"))
    assert r.status == 302
    assert r.header("Location") == "http://allowed.test/why"
    assert origin.connections == 0


def test_deny_info_redirect_with_status(proxy, origin):
    p = proxy(BLOCK + "deny_info 307:http://allowed.test/why blk\n",
              access="http_access deny blk\nhttp_access allow all")
    r = get(p.port, origin.url("/", host="blocked.test"))
    assert r.status == 307
    assert r.header("Location") == "http://allowed.test/why"


def test_reply_access_denies_by_status(proxy, origin):
    p = proxy("acl notfound http_status 404\nhttp_reply_access deny notfound\n"
              "http_reply_access allow all\n", access="http_access allow all")
    assert status(p, origin, "origin.test", "/status/200") == 200
    r = get(p.port, origin.url("/status/404"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    entries = p.access_entries(2)
    assert entries[1]["code"] == "TCP_DENIED_REPLY/403"


def test_reply_access_by_rep_header(proxy, origin):
    p = proxy("acl bad rep_header X-Bad .\nhttp_reply_access deny bad\n",
              access="http_access allow all")
    assert status(p, origin, "origin.test", "/headers?X-Bad=1") == 403
    assert status(p, origin, "origin.test", "/headers?X-Good=1") == 200


def test_builtin_to_localhost(proxy, origin):
    p = proxy(access="http_access deny to_localhost\nhttp_access allow all")
    assert status(p, origin, "origin.test") == 403
    assert origin.connections == 0


def test_myportname(proxy, origin):
    second = free_port()
    p = proxy("http_port 127.0.0.1:%d name=second\nacl p2 myportname second\n" % second,
              access="http_access deny p2\nhttp_access allow all")
    assert status(p, origin, "origin.test") == 200
    assert get(second, origin.url("/")).status == 403


def test_deny_info_error_page_name(proxy, origin):
    p = proxy(BLOCK + "deny_info ERR_CANNOT_FORWARD blk\n",
              access="http_access deny blk\nhttp_access allow all")
    r = get(p.port, origin.url("/", host="blocked.test"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_CANNOT_FORWARD 0"


def test_follow_x_forwarded_for(proxy, origin):
    # The indirect client is used for src ACLs and logged as the client.
    p = proxy("follow_x_forwarded_for allow localhost\nacl far src 10.9.9.9\n",
              access="http_access deny far\nhttp_access allow all")
    assert status(p, origin, "origin.test", headers=[("X-Forwarded-For", "10.9.9.8")]) == 200
    assert status(p, origin, "origin.test", headers=[("X-Forwarded-For", "10.9.9.9")]) == 403
    entries = p.access_entries(2)
    assert [e["client"] for e in entries] == ["10.9.9.8", "10.9.9.9"]
