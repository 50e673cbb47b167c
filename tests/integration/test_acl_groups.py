"""any-of and all-of ACLs, as Squid 5.7 reads them: any-of ORs every ACL
it names on all its lines; all-of ANDs the ACLs of a line, and its lines
are ORed; "!" negates a name; the names must be defined before.
"""

from helpers import get

DEFS = """\
acl pa urlpath_regex ^/a
acl pb urlpath_regex ^/b
acl q urlpath_regex q=1
acl head method HEAD
"""


def test_any_of_denies_either(proxy, origin):
    p = proxy(DEFS + "acl either any-of pa head\n"
              "acl either any-of pb\n"
              "http_access deny either\nhttp_access allow all\n", access="")
    for path in ("/a", "/b", "/c"):
        origin.script(path, body="x")
    assert get(p.port, origin.url("/a")).status == 403
    assert get(p.port, origin.url("/b")).status == 403
    assert get(p.port, origin.url("/c")).status == 200
    assert get(p.port, origin.url("/c"), method="HEAD").status == 403


def test_all_of_lines_are_ored(proxy, origin):
    p = proxy(DEFS + "acl both all-of pa q\n"
              "acl both all-of pb !q\n"
              "http_access deny both\nhttp_access allow all\n", access="")
    for path in ("/a", "/b"):
        origin.script(path, body="x")
    assert get(p.port, origin.url("/a?q=1")).status == 403
    assert get(p.port, origin.url("/a")).status == 200
    assert get(p.port, origin.url("/b")).status == 403
    assert get(p.port, origin.url("/b?q=1")).status == 200
