"""uri_whitespace: a request-target sent with SP or HTAB unencoded
("GET http://host/a b HTTP/1.1", as broken clients send it).

Squid 5.7's relaxed parser (its default) takes the target to run to the
last SP before the version, and uri_whitespace decides what becomes of
it: strip (the default), chop, encode, deny.  Each test here passes on
cuttle and on Squid 5.7 (PROXY_IMPL=squid), except where marked: cuttle
does not forward whitespace as it is ("allow") because the next hop
reads such a line another way, as the origin below shows.
"""

import pytest

from helpers import RawClient

TAB_QUERY = b"/a\tb?q= 1&r=\t2"


def ask(proxy, origin, path):
    c = RawClient(proxy.port)
    base = origin.url("/")[:-1].encode()
    c.send(b"GET %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (base, path))
    return c.read_response()


@pytest.mark.parametrize("mode, path, sent", [
    ("strip", b"/a b", "/ab"),
    ("strip", TAB_QUERY, "/ab?q=1&r=2"),
    ("strip", b"/a  HTTP/1.1  b", "/aHTTP/1.1b"),
    ("chop", b"/a b", "/a"),
    ("chop", TAB_QUERY, "/a"),
    ("encode", b"/a b", "/a%20b"),
    ("encode", TAB_QUERY, "/a%09b?q=%201&r=%092"),
])
def test_the_mode_decides_what_is_forwarded(proxy, origin, mode, path, sent):
    p = proxy("uri_whitespace %s\n" % mode)
    r = ask(p, origin, path)
    assert r.status == 200
    assert [q.target for q in origin.requests] == [sent]
    e = p.access_entries(1)[0]
    assert e["code"] == "TCP_MISS/200"
    assert e["url"] == origin.url(sent.split("?")[0]) + ("?" if "?" in sent else "")


def test_strip_is_the_default_and_the_stripped_url_is_cached(proxy, origin):
    origin.script("/ab", headers=[("Cache-Control", "max-age=60")], body="ab\n")
    p = proxy(cache=True)
    assert ask(p, origin, b"/a b").body == b"ab\n"
    r = ask(p, origin, b"/a\tb")
    assert r.status == 200 and r.body == b"ab\n"
    assert origin.count("/ab") == 1
    assert "HIT" in p.access_entries(2)[1]["code"]


def test_deny_refuses_with_invalid_url(proxy, origin):
    p = proxy("uri_whitespace deny\n")
    r = ask(p, origin, b"/a b")
    assert r.status == 400
    assert r.header("X-Squid-Error") == "ERR_INVALID_URL 0"
    assert origin.requests == []
    e = p.access_entries(1)[0]
    assert (e["code"], e["url"]) == ("NONE_NONE/400", origin.url("/ab"))


def test_runs_of_whitespace_around_the_target_are_skipped(proxy, origin):
    c = RawClient(proxy().port)
    c.send(b"GET  \t http://127.0.0.1:%d/x \t  HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
           % origin.port)
    assert c.read_response().status == 200
    assert [q.target for q in origin.requests] == ["/x"]


@pytest.mark.cuttle_only(reason="Squid forwards the whitespace as it is; the origin "
                         "then reads /a b as /a")
def test_allow_encodes_and_warns(proxy, origin):
    p = proxy("uri_whitespace allow\n")
    assert ask(p, origin, b"/a b").status == 200
    assert [q.target for q in origin.requests] == ["/a%20b"]
    assert "uri_whitespace allow would forward a request line" in p.cache_log + p.stderr


@pytest.mark.cuttle_only(reason="Squid 5.7 forwards VT and FF in a target as they are, "
                         "and cuts a target at a CR")
@pytest.mark.parametrize("path", [b"/a\x0bb", b"/a\x0cb", b"/a\rb", b"/a b\x01"])
def test_other_whitespace_and_controls_are_refused(proxy, origin, path):
    r = ask(proxy(), origin, path)
    assert r.status == 400
    assert origin.requests == []


@pytest.mark.cuttle_only(reason="Squid strips or keeps whitespace in the authority "
                         "whatever the mode; which host it then names is a guess")
def test_whitespace_before_the_path_is_refused_unless_stripped(proxy, origin):
    c = RawClient(proxy("uri_whitespace chop\n").port)
    c.send(b"GET http://127.0.0.1:%d /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % origin.port)
    r = c.read_response()
    assert r.status == 400 and r.header("X-Squid-Error") == "ERR_INVALID_URL 0"
    assert origin.requests == []


# -- 8-bit bytes --------------------------------------------------------------
# Squid's relaxed parser also takes 8-bit bytes (raw UTF-8, as some clients
# send a path) and forwards them as sent; cuttle does the same in the path
# and query, and keeps the host ASCII.

@pytest.mark.parametrize("path", [b"/caf\xc3\xa9?q=\xc3\xa9", b"/\xff\x80"])
def test_8bit_bytes_in_the_path_are_forwarded_as_sent(proxy, origin, path):
    r = ask(proxy(), origin, path)
    assert r.status == 200
    assert [q.target.encode("latin-1") for q in origin.requests] == [path]


def test_8bit_path_is_cached_under_its_own_bytes(proxy, origin):
    origin.script(b"/caf\xc3\xa9".decode("latin-1"),
                  headers=[("Cache-Control", "max-age=60")], body="raw\n")
    p = proxy(cache=True)
    for _ in range(2):
        r = ask(p, origin, b"/caf\xc3\xa9")
        assert r.status == 200 and r.body == b"raw\n"
    assert "HIT" in p.access_entries(2)[1]["code"]
    assert len(origin.requests) == 1


@pytest.mark.cuttle_only(reason="Squid 5.7 forwards a request for an 8-bit host name "
                         "to DNS as it is")
def test_8bit_host_is_refused(proxy, origin):
    c = RawClient(proxy().port)
    c.send(b"GET http://caf\xc3\xa9.test/ HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.read_response()
    assert r.status == 400 and r.header("X-Squid-Error") == "ERR_INVALID_URL 0"
