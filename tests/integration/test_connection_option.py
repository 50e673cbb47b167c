"""Connection options (RFC 9110 7.6.1) never take away framing or Host.

A header named in Connection is hop-by-hop and dropped when forwarding, but
the headers that frame the message (Content-Length, Transfer-Encoding) and
Host are not the sender's to remove: dropping Content-Length while still
forwarding the body makes the origin read the body as a second request
(request smuggling).  The origin here records the raw bytes it receives, so
a smuggled request shows up as a request of its own.
"""

import pytest

from helpers import RawClient, build
from raworigin import RawOrigin

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: origin.test\r\n\r\n"


@pytest.fixture
def raw_origin():
    made = []

    def make(plans=(("ok", "ok"),), reply=None):
        o = RawOrigin(list(plans), **({"reply": reply} if reply else {}))
        made.append(o)
        return o
    yield make
    for o in made:
        o.stop()


def _exchange(port, data, method="GET"):
    with RawClient(port) as c:
        c.send(data)
        return c.read_response(method)


@pytest.mark.cuttle_only(reason="Squid 5.7 forwards it, keeping Content-Length")
@pytest.mark.parametrize("framing,body", [
    pytest.param("Content-Length", SMUGGLED, id="Content-Length"),
    pytest.param("Transfer-Encoding", b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED),
                 id="Transfer-Encoding"),
])
def test_request_naming_its_framing_in_connection_refused(proxy, raw_origin, framing, body):
    # The sender says its framing is hop-by-hop: nothing it could mean by that
    # is safe to pass on, so it is refused as ambiguous framing.
    o = raw_origin()
    p = proxy()
    hdrs = [("Connection", "keep-alive, " + framing)]
    if framing == "Transfer-Encoding":
        hdrs.append(("Transfer-Encoding", "chunked"))
    with RawClient(p.port) as c:
        c.send(build("POST", o.url("/upload"), hdrs, body))
        r = c.read_response()
        assert r.status == 400
        assert r.header("X-Squid-Error").startswith("ERR_INVALID_REQ")
        assert c.is_closed()
    (e,) = p.access_entries(1)
    assert e["status"] == 400
    assert o.connections == 0


@pytest.mark.parametrize("framing", ["Content-Length", "Transfer-Encoding"])
def test_request_framing_never_dropped(proxy, raw_origin, framing):
    # Whatever the proxy decides, the origin never sees a smuggled request:
    # either nothing at all, or the body with its framing.
    o = raw_origin()
    p = proxy()
    hdrs = [("Connection", framing)]
    body = SMUGGLED
    if framing == "Transfer-Encoding":
        hdrs.append(("Transfer-Encoding", "chunked"))
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED)
    _exchange(p.port, build("POST", o.url("/upload"), hdrs, body))
    o.wait_connections_done(1)
    assert [r.target for r in o.requests] in ([], ["/upload"])
    assert b"/smuggled" not in b"".join(r.head for r in o.requests)
    for req in o.requests:
        assert req.body == SMUGGLED
        assert req.header("Content-Length") or req.header("Transfer-Encoding")


def test_request_naming_host_in_connection_keeps_host(proxy, raw_origin):
    o = raw_origin()
    p = proxy()
    r = _exchange(p.port, build("GET", o.url("/h"), [("Connection", "keep-alive, Host")]))
    assert r.status == 200
    o.wait_connections_done(1)
    (req,) = o.requests
    assert req.header("Host") == ["origin.test:%d" % o.port]


def test_request_naming_upgrade_drops_upgrade_keeps_body(proxy, raw_origin):
    o = raw_origin()
    p = proxy()
    hdrs = [("Connection", "Upgrade"), ("Upgrade", "websocket")]
    r = _exchange(p.port, build("POST", o.url("/up"), hdrs, SMUGGLED))
    assert r.status == 200
    o.wait_connections_done(1)
    (req,) = o.requests
    assert req.header("Upgrade") == []
    assert "upgrade" not in ",".join(req.header("Connection")).lower()
    assert req.header("Content-Length") == [str(len(SMUGGLED))]
    assert req.body == SMUGGLED
    # Nothing but the one request crossed that connection.
    assert o.raw[0] == req.head + SMUGGLED


# Responses: the origin's framing survives its Connection header, and the
# client can read the next response on the same connection.
RESPONSES = {
    "Content-Length": b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Content-Length\r\n"
                      b"Content-Length: 5\r\n\r\nhello",
    "Transfer-Encoding": b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "Upgrade": b"HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
               b"Content-Length: 5\r\n\r\nhello",
}


@pytest.mark.parametrize("named", [
    pytest.param("Content-Length", marks=pytest.mark.cuttle_only(
        reason="Squid 5.7 drops a named Content-Length and keeps the connection: "
               "the client cannot find the end of the body")),
    "Transfer-Encoding", "Upgrade"])
def test_response_naming_its_framing_keeps_framing(proxy, raw_origin, named):
    o = raw_origin(plans=[["ok", "ok"]], reply=RESPONSES[named])
    p = proxy()
    with RawClient(p.port) as c:
        for _ in range(2):
            c.send(build("GET", o.url("/r")))
            r = c.read_head()
            assert r.status == 200
            # Without framing the client could only read to a close that
            # never comes on a keep-alive connection.
            chunked = (r.header("Transfer-Encoding") or "").lower() == "chunked"
            assert chunked or r.header("Content-Length") == "5", r.headers
            assert (c._read_chunked() if chunked else c._read_exact(5)) == b"hello"
            assert r.header("Upgrade") is None
