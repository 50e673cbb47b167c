"""Plain HTTP forwarding: methods, bodies, framing, persistence, headers."""

import re
import time

import pytest

from helpers import RawClient, build, curl, get, exchange
from origin import pattern_bytes

VIA_RE = re.compile(r"^1\.1 testproxy \((squid/5\.7|cuttle/[^)]+)\)$")


def test_get_body_byte_exact(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/bytes/70000"))
    assert r.status == 200
    assert r.body == pattern_bytes(70000)
    (req,) = origin.requests
    assert (req.method, req.target) == ("GET", "/bytes/70000")


def test_head_has_no_body(proxy, origin):
    p = proxy()
    with RawClient(p.port) as c:
        c.send(build("HEAD", origin.url("/bytes/5000")))
        r = c.read_response("HEAD")
        assert r.status == 200
        assert r.header("Content-Length") == "5000"
        # A body byte after a HEAD reply would be read as the next response.
        c.send(build("GET", origin.url("/bytes/3")))
        assert c.read_response().body == b"012"
    assert origin.requests[0].method == "HEAD"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"])
def test_method_with_body_forwarded(proxy, origin, method):
    p = proxy()
    body = b"payload-" + method.encode() + b"-" + pattern_bytes(3000)
    r = get(p.port, origin.url("/echo"), method=method, body=body,
            headers=[("Content-Type", "application/octet-stream")])
    assert r.status == 200
    (req,) = origin.requests
    assert req.method == method
    assert req.body == body


@pytest.mark.parametrize("method", ["GET", "DELETE", "OPTIONS", "BREW"])
def test_method_without_body_forwarded(proxy, origin, method):
    p = proxy()
    r = get(p.port, origin.url("/status/204"), method=method)
    assert r.status == 204
    (req,) = origin.requests
    assert (req.method, req.body) == (method, b"")


def test_chunked_request_body(proxy, origin):
    p = proxy()
    data = pattern_bytes(5000)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 777]), data[i:i + 777])
                       for i in range(0, len(data), 777)) + b"0\r\n\r\n"
    raw = build("POST", origin.url("/echo"), [("Transfer-Encoding", "chunked")]) + chunked
    r = exchange(p.port, raw)
    assert r.status == 200
    assert origin.requests[0].body == data


def test_chunked_response_body(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/chunked/25000"))
    assert r.status == 200
    assert r.body == pattern_bytes(25000)


def test_response_ended_by_close(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/close"))
    assert (r.status, r.body) == (200, b"closed body\n")


def test_http10_client(proxy, origin):
    p = proxy()
    with RawClient(p.port) as c:
        c.send(build("GET", origin.url("/chunked/3000"), version="HTTP/1.0"))
        r = c.read_response()
        assert r.status == 200
        assert r.body == pattern_bytes(3000)
        # An HTTP/1.0 client cannot parse chunked and did not ask to stay open.
        assert "chunked" not in (r.header("Transfer-Encoding") or "")
        assert c.is_closed()


def test_client_keepalive_serves_several_requests(proxy, origin):
    p = proxy()
    with RawClient(p.port) as c:
        for n in (10, 2000, 33):
            c.send(build("GET", origin.url("/bytes/%d" % n)))
            r = c.read_response()
            assert (r.status, r.body) == (200, pattern_bytes(n))
    assert len(origin.requests) == 3


def test_server_connection_pooled(proxy, origin):
    p = proxy()
    for n in (1, 2, 3):
        assert get(p.port, origin.url("/bytes/%d" % n)).status == 200
    assert len(origin.requests) == 3
    assert origin.connections == 1


def test_server_persistent_connections_off(proxy, origin):
    p = proxy("server_persistent_connections off\n")
    for n in (1, 2, 3):
        assert get(p.port, origin.url("/bytes/%d" % n)).status == 200
    assert origin.connections == 3


def test_client_persistent_connections_off(proxy, origin):
    p = proxy("client_persistent_connections off\n")
    with RawClient(p.port) as c:
        c.send(build("GET", origin.url("/bytes/10")))
        assert c.read_response().status == 200
        assert c.is_closed()


def test_pooled_connection_expires_after_pconn_timeout(proxy, origin):
    p = proxy("pconn_timeout 1 second\n")
    assert get(p.port, origin.url("/bytes/1")).status == 200
    time.sleep(2.5)
    assert get(p.port, origin.url("/bytes/1")).status == 200
    assert origin.connections == 2


def test_tcp_outgoing_address(proxy, origin):
    p = proxy("tcp_outgoing_address 127.0.0.2\n")
    assert get(p.port, origin.url("/bytes/1")).status == 200
    assert origin.requests[0].peer == "127.0.0.2"


def test_pipelined_requests_answered_in_order(proxy, origin):
    p = proxy()
    sizes = (100, 5, 3000, 1)
    with RawClient(p.port) as c:
        c.send(b"".join(build("GET", origin.url("/bytes/%d" % n)) for n in sizes))
        for n in sizes:
            r = c.read_response()
            assert (r.status, len(r.body)) == (200, n)


def test_expect_100_continue(proxy, origin):
    p = proxy()
    body = pattern_bytes(10000)
    with RawClient(p.port) as c:
        c.send(build("POST", origin.url("/echo"),
                     [("Expect", "100-continue"), ("Content-Length", str(len(body)))]))
        interim = c.read_head()
        assert interim.status == 100
        c.send(body)
        r = c.read_response()
        assert r.status == 200
    assert origin.requests[0].body == body


def test_hop_by_hop_headers_removed(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/echo"), headers=[
        ("Connection", "keep-alive, X-Secret"),
        ("X-Secret", "must not pass"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("Proxy-Authorization", "Basic Zm9vOmJhcg=="),
        ("X-End-To-End", "passes"),
    ])
    assert r.status == 200
    (req,) = origin.requests
    for name in ("X-Secret", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization"):
        assert not req.has(name), name
    assert req.header("X-End-To-End") == ["passes"]


def test_response_hop_by_hop_headers_removed(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/headers?Connection=X-Private&X-Private=1&X-Public=2"))
    assert r.status == 200
    assert r.header("X-Private") is None
    assert r.header("X-Public") == "2"


def test_via_added_both_ways(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/echo"))
    (req,) = origin.requests
    assert len(req.header("Via")) == 1
    assert VIA_RE.match(req.header("Via")[0])
    assert VIA_RE.match(r.header("Via"))


def test_forwarded_header_names_match_squid(proxy, squid_proxy, origin):
    # Same client request through both: the origin must see the same header
    # names (values of Via differ by product name).
    seen = []
    for p in (proxy(), squid_proxy()):
        get(p.port, origin.url("/echo"), headers=[("User-Agent", "t/1"), ("Accept", "*/*")])
        seen.append(sorted(n.lower() for (n, _) in origin.requests[-1].headers))
    assert seen[0] == seen[1]


def test_via_off(proxy, origin):
    p = proxy("via off\n")
    get(p.port, origin.url("/echo"))
    assert not origin.requests[0].has("Via")


@pytest.mark.parametrize("mode,sent,expect", [
    ("on", None, ["127.0.0.1"]),
    ("on", "10.9.9.9", ["10.9.9.9, 127.0.0.1"]),
    ("off", "10.9.9.9", ["10.9.9.9, unknown"]),
    ("transparent", "10.9.9.9", ["10.9.9.9"]),
    ("truncate", "10.9.9.9", ["127.0.0.1"]),
    ("delete", "10.9.9.9", []),
])
def test_x_forwarded_for(proxy, origin, mode, sent, expect):
    p = proxy("forwarded_for %s\n" % mode)
    headers = [("X-Forwarded-For", sent)] if sent else []
    assert get(p.port, origin.url("/echo"), headers=headers).status == 200
    assert origin.requests[0].header("X-Forwarded-For") == expect


def test_trace_max_forwards_zero_answered_by_proxy(proxy, origin):
    p = proxy()
    r = get(p.port, origin.url("/echo"), method="TRACE", headers=[("Max-Forwards", "0")])
    assert r.status == 200
    assert r.header("Content-Type") == "message/http"
    assert r.body.startswith(b"TRACE /echo HTTP/1.1\r\n")
    assert origin.requests == []


def test_options_max_forwards_zero_answered_by_proxy(proxy, origin):
    # Squid 5.7 answers this itself with 501 ERR_UNSUP_REQ; cuttle does the same.
    p = proxy()
    r = get(p.port, origin.url("/echo"), method="OPTIONS", headers=[("Max-Forwards", "0")])
    assert r.status == 501
    assert r.header("X-Squid-Error") == "ERR_UNSUP_REQ 0"
    assert origin.requests == []


def test_max_forwards_decremented(proxy, origin):
    p = proxy()
    get(p.port, origin.url("/echo"), method="OPTIONS", headers=[("Max-Forwards", "5")])
    assert origin.requests[0].header("Max-Forwards") == ["4"]


def test_large_upload_and_download(proxy, origin):
    p = proxy()
    body = pattern_bytes(3 * 1024 * 1024)
    t0 = time.monotonic()
    r = get(p.port, origin.url("/echo"), method="PUT", body=body)
    assert r.status == 200
    assert origin.requests[0].body == body
    r = get(p.port, origin.url("/bytes/%d" % (8 * 1024 * 1024)))
    assert r.body == pattern_bytes(8 * 1024 * 1024)
    assert time.monotonic() - t0 < 10


def test_curl_get(proxy, origin, workdir):
    p = proxy()
    r = curl(p.port, origin.url("/bytes/12345"), workdir=workdir)
    assert (r.returncode, r.status) == (0, 200), r.stderr
    assert r.body == pattern_bytes(12345)


def test_curl_post_with_expect(proxy, origin, workdir):
    # curl sends Expect: 100-continue itself for a body this large.
    p = proxy()
    data = pattern_bytes(2 * 1024 * 1024)
    path = workdir + "/upload"
    with open(path, "wb") as f:
        f.write(data)
    r = curl(p.port, origin.url("/echo"), "--data-binary", "@" + path, workdir=workdir)
    assert (r.returncode, r.status) == (0, 200), r.stderr
    (req,) = origin.requests
    assert req.body == data


# -- read_ahead_gap ---------------------------------------------------------

def _sent_when_stalled(origin, path, timeout=20.0):
    """Bytes the origin wrote for path once it has made no progress for a
    second (or when timeout passes)."""
    last, since = -1, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = origin.sent_bytes(path)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since > 1.0:
            break
        time.sleep(0.1)
    return last


@pytest.mark.parametrize("conf, expect_all", [("", False), ("read_ahead_gap 1 GB\n", True)])
def test_read_ahead_gap_bounds_what_waits_for_a_slow_client(proxy, origin, conf, expect_all):
    # A client that reads nothing: the proxy reads from the server only
    # read_ahead_gap (16 KB by default) past what the client took, so the
    # origin stalls once the sockets' buffers are full; with a 1 GB gap
    # the whole 64 MiB is read and held for the client.
    import socket
    block = pattern_bytes(64 * 1024)
    origin.script("/gap", headers=[("Cache-Control", "no-store")], generate=(block, 1024))
    p = proxy(conf)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", p.port))
        s.sendall(build("GET", origin.url("/gap")))
        assert s.recv(1024).startswith(b"HTTP/1.1 200")
        sent = _sent_when_stalled(origin, "/gap")
    finally:
        s.close()
    if expect_all:
        assert sent == 64 * 1024 * 1024
    else:
        assert sent < 32 * 1024 * 1024, sent
