"""HTTP Upgrade and WebSocket through the proxy (http_upgrade_request_protocols).

A real WebSocket client and server (Debian's python3-websockets) talk
through the proxy: over a plain forward request (the client sends the
absolute URI to the proxy itself: websockets has no HTTP proxy support), over
a bumped CONNECT (wss:// with the proxy's TLS on both sides) and over a
spliced one.  After the 101 the proxy is a byte tunnel both ways with the
read_timeout idle limit; without a rule allowing the protocol the Upgrade
header is dropped and the request is an ordinary one.  Raw sockets check
what goes upstream and the 101s the proxy refuses.
"""

import asyncio
import json
import socket
import ssl
import threading
import time

import pytest

# Debian's python3-websockets (./install-deps --test installs it)
websockets = pytest.importorskip("websockets")
from websockets.legacy.client import WebSocketClientProtocol  # noqa: E402

from bump import bump_proxy
from helpers import RawClient

TIMEOUT = 10
ALLOW_WS = "http_upgrade_request_protocols websocket allow all\n"


class AbsoluteURIClient(WebSocketClientProtocol):
    """The websockets client speaking to an HTTP proxy: absolute-form target."""

    def __init__(self, *args, **kwargs):
        self.authority = "%s:%d" % (kwargs["host"], kwargs["port"])
        super().__init__(*args, **kwargs)

    def write_http_request(self, path, headers):
        super().write_http_request("http://%s%s" % (self.authority, path), headers)


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class EchoServer:
    """websockets server: echoes every message; "push N" sends N messages of
    its own first.  Records each handshake's request headers."""

    def __init__(self, ssl_ctx=None):
        self.ssl_ctx = ssl_ctx
        self.requests = []

    async def handler(self, ws, *args):
        self.requests.append(list(ws.request_headers.raw_items()))
        async for m in ws:
            if isinstance(m, str) and m.startswith("push "):
                for i in range(int(m.split()[1])):
                    await ws.send("pushed %d" % i)
            await ws.send(m)

    async def __aenter__(self):
        self.server = await websockets.serve(self.handler, "127.0.0.1", 0,
                                             ssl=self.ssl_ctx, max_size=None,
                                             compression=None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()

    def header(self, name, i=-1):
        return [v for k, v in self.requests[i] if k.lower() == name.lower()]


async def ws_forward(proxy_port, host, port, path="/"):
    """A websockets client through the proxy as a plain forward request."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=TIMEOUT)
    sock.setblocking(False)
    return await websockets.connect("ws://%s:%d%s" % (host, port, path), sock=sock,
                                    create_protocol=AbsoluteURIClient,
                                    open_timeout=TIMEOUT, max_size=None,
                                    compression=None)


def connect_tunnel(proxy_port, host, port):
    c = RawClient(proxy_port)
    c.send("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port, host, port))
    r = c.read_response("CONNECT")
    assert r.status == 200, r.status
    c.sock.setblocking(False)
    return c.sock


async def ws_through_connect(proxy_port, host, port, cafile):
    """wss:// over a CONNECT tunnel, trusting only cafile."""
    sock = await asyncio.get_running_loop().run_in_executor(
        None, connect_tunnel, proxy_port, host, port)
    ctx = ssl.create_default_context(cafile=cafile)
    return await websockets.connect("wss://%s:%d/" % (host, port), sock=sock, ssl=ctx,
                                    server_hostname=host, open_timeout=TIMEOUT,
                                    max_size=None, compression=None)


async def exchange(ws, rounds=40):
    """Messages both ways for a while: text and binary, small and large,
    messages the server sends unasked, then the close handshake."""
    for i in range(rounds):
        await ws.send("hello %d" % i)
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hello %d" % i
        if i % 10 == 0:
            await asyncio.sleep(0.05)       # some idle moments, well under the timeout
    big = bytes(range(256)) * 4096          # 1 MiB
    for i in range(3):
        await ws.send(big[i:] + big[:i])
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == big[i:] + big[:i]
    await ws.send("push 25")
    for i in range(25):
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "pushed %d" % i
    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "push 25"
    await ws.close()
    assert ws.close_code == 1000


def upgrade_entry(p):
    """The access.log line of the upgraded request (written when it closes)."""
    e = p.access_entries(1, timeout=TIMEOUT)[0]
    return e


def test_websocket_through_forward_request(proxy):
    p = proxy(conf_extra=ALLOW_WS)

    async def go():
        async with EchoServer() as srv:
            ws = await ws_forward(p.port, "127.0.0.1", srv.port, "/chat?room=1")
            await exchange(ws)
            assert srv.header("Upgrade") == ["websocket"]
            assert srv.header("Connection") == ["upgrade"]
            return srv.port

    port = run(go())
    e = upgrade_entry(p)
    assert e["method"] == "GET"
    assert e["url"] == "http://127.0.0.1:%d/chat?" % port     # strip_query_terms
    assert e["status"] == 101
    assert e["tag"] == "TCP_TUNNEL"
    assert e["hier"] == "HIER_DIRECT/127.0.0.1"
    # what the server sent after its 101 (Squid 5.7 counts it alone):
    # 40 short echoes, 3 MiB frames, 25 pushes and the echo, the close frame
    assert int(e["bytes"]) == 390 + 3 * (1048576 + 10) + 265 + 9 + 4


def test_no_rule_drops_upgrade(proxy):
    """The default: Upgrade is removed, the server answers an ordinary GET."""
    p = proxy()

    async def go():
        async with EchoServer() as srv:
            with pytest.raises(websockets.exceptions.InvalidStatusCode) as ei:
                await ws_forward(p.port, "127.0.0.1", srv.port)
            assert srv.requests == []   # the handshake never reached the handler
            return ei.value.status_code

    # websockets answers a GET without Upgrade with a 426
    assert run(go()) == 426


@pytest.mark.parametrize("rules", [
    "http_upgrade_request_protocols websocket deny all\n"
    "http_upgrade_request_protocols OTHER allow all\n",
    "http_upgrade_request_protocols OTHER deny all\n",
    "acl nobody src 192.0.2.1\nhttp_upgrade_request_protocols websocket allow nobody\n"
    "http_upgrade_request_protocols OTHER allow all\n",
])
def test_denied_protocol_is_stripped(proxy, origin, rules):
    """Denied (by name, by OTHER, or no rule of the name matching: OTHER is
    not consulted then) -> no Upgrade upstream, Connection as usual, and the
    origin's 200 goes back as any response."""
    p = proxy(conf_extra=rules)
    c = RawClient(p.port)
    c.send("GET http://127.0.0.1:%d/echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n" % (origin.port, origin.port))
    r = c.read_response()
    assert r.status == 200
    got = {k.lower(): v for k, v in json.loads(r.body)["headers"]}
    assert "upgrade" not in got
    assert got["connection"].lower() == "keep-alive"


def test_offer_filtered_in_order(proxy, origin):
    """Each offer on its own: names (any version) and name/version rules,
    OTHER only for names without rules; the allowed ones go up in the
    client's order, as written."""
    rules = ("http_upgrade_request_protocols websocket allow all\n"
             "http_upgrade_request_protocols h2c/1 allow all\n"
             "http_upgrade_request_protocols TLS/1.0 deny all\n"
             "http_upgrade_request_protocols OTHER allow all\n")
    p = proxy(conf_extra=rules)
    c = RawClient(p.port)
    c.send("GET http://127.0.0.1:%d/echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Connection: Upgrade\r\nUpgrade: foo/2, h2c/2, websocket,h2c/1\r\n"
           "Upgrade: TLS/1.0, TLS/1.2\r\n\r\n" % (origin.port, origin.port))
    r = c.read_response()
    assert r.status == 200      # not a 101: the response goes on as usual
    hdrs = json.loads(r.body)["headers"]
    ups = [v for k, v in hdrs if k.lower() == "upgrade"]
    assert ups == ["foo/2, websocket, h2c/1"]
    assert [v for k, v in hdrs if k.lower() == "connection"] == ["upgrade"]
    # and the client connection stays usable for the next request
    c.send("GET http://127.0.0.1:%d/bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n" % origin.port)
    assert c.read_response().status == 200


def test_http10_upgrade_not_offered(proxy, origin):
    p = proxy(conf_extra=ALLOW_WS)
    c = RawClient(p.port)
    c.send("GET http://127.0.0.1:%d/echo HTTP/1.0\r\nConnection: upgrade\r\n"
           "Upgrade: websocket\r\n\r\n" % origin.port)
    r = c.read_response()
    assert r.status == 200
    hdrs = json.loads(r.body)["headers"]
    assert not [v for k, v in hdrs if k.lower() == "upgrade"]


@pytest.mark.cuttle_only(reason="Squid 5.7 compares protocol names case-sensitively, "
                         "so its documented 'WebSocket' never matches real clients' "
                         "'websocket'")
def test_protocol_name_case_insensitive(proxy):
    p = proxy(conf_extra="http_upgrade_request_protocols WebSocket allow all\n")

    async def go():
        async with EchoServer() as srv:
            ws = await ws_forward(p.port, "127.0.0.1", srv.port)
            await exchange(ws, rounds=5)

    run(go())


class Scripted101:
    """An origin that reads one request head and answers with `reply`, then
    echoes bytes back until the other side closes (bounded)."""

    def __init__(self, reply):
        self.reply = reply
        self.heads = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        try:
            s, _ = self.lsock.accept()
        except OSError:
            return
        s.settimeout(TIMEOUT)
        data = b""
        with s:
            while b"\r\n\r\n" not in data:
                d = s.recv(65536)
                if not d:
                    return
                data += d
            head, _, rest = data.partition(b"\r\n\r\n")
            self.heads.append(head.decode("latin-1"))
            s.sendall(self.reply)
            deadline = time.monotonic() + TIMEOUT
            if rest:
                s.sendall(rest)
            while time.monotonic() < deadline:
                try:
                    d = s.recv(65536)
                except OSError:
                    return
                if not d:
                    return
                s.sendall(d)

    def stop(self):
        self.lsock.close()


def raw_upgrade(port, origin_port, extra=b""):
    c = RawClient(port)
    c.send(b"GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           b"Connection: Upgrade\r\nUpgrade: echo/1\r\n\r\n%s"
           % (origin_port, origin_port, extra))
    return c


def test_101_bytes_after_heads_both_ways(proxy):
    """Bytes the client sent right behind its request and bytes the server
    sent right behind its 101 are passed along, in order."""
    o = Scripted101(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo/1\r\n"
                    b"Connection: upgrade\r\nX-Extra: 1\r\n\r\nserver-first;")
    try:
        p = proxy(conf_extra="http_upgrade_request_protocols echo allow all\n")
        c = raw_upgrade(p.port, o.port, b"client-early;")
        h = c.read_head()
        assert h.status == 101
        assert h.header("X-Extra") == "1"
        assert h.header("Upgrade") == "echo/1"
        assert h.header("Connection").lower() == "upgrade"
        want = b"server-first;client-early;"
        deadline = time.monotonic() + TIMEOUT
        while len(c.buf) < len(want) and time.monotonic() < deadline:
            c._fill()
        assert c.buf == want
        c.send(b"more")
        c.buf = b""
        while len(c.buf) < 4 and time.monotonic() < deadline:
            c._fill()
        assert c.buf == b"more"
        assert "Upgrade: echo/1" in o.heads[0]
    finally:
        o.stop()


@pytest.mark.parametrize("reply", [
    # nothing was offered (no rule)
    None,
    # no Connection: upgrade
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo/1\r\n\r\n",
    # no Upgrade
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n",
])
def test_bad_101_is_502(proxy, reply):
    o = Scripted101(reply or b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo/1\r\n"
                    b"Connection: upgrade\r\n\r\n")
    try:
        p = proxy(conf_extra="" if reply is None else
                  "http_upgrade_request_protocols echo allow all\n")
        c = raw_upgrade(p.port, o.port)
        r = c.read_response()
        assert r.status == 502
        assert "ERR_INVALID_RESP" in r.header("X-Squid-Error")
    finally:
        o.stop()


@pytest.mark.cuttle_only(reason="Squid 5.7 lets the client judge the protocol a "
                         "101 names; cuttle refuses one it did not offer")
def test_101_to_protocol_not_offered_is_502(proxy):
    o = Scripted101(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
                    b"Connection: upgrade\r\n\r\n")
    try:
        p = proxy(conf_extra="http_upgrade_request_protocols echo allow all\n")
        r = raw_upgrade(p.port, o.port).read_response()
        assert r.status == 502
    finally:
        o.stop()


def test_idle_upgraded_connection_times_out(proxy):
    """After the 101 the tunnel's idle limit (read_timeout) applies."""
    p = proxy(conf_extra=ALLOW_WS + "read_timeout 2 seconds\n")

    async def go():
        async with EchoServer() as srv:
            ws = await ws_forward(p.port, "127.0.0.1", srv.port)
            await ws.send("before")
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "before"
            t0 = time.monotonic()
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 15)
            return time.monotonic() - t0

    # ping_interval is 20 s: the tunnel saw nothing for read_timeout
    idle = run(go())
    assert 1.5 < idle < 10, idle


def test_websocket_through_bumped_connection(proxy, bump_ca, tls_cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*tls_cert)

    async def go():
        async with EchoServer(ctx) as srv:
            p = await asyncio.get_running_loop().run_in_executor(None, lambda: bump_proxy(
                proxy, bump_ca, "ssl_bump bump all",
                extra=ALLOW_WS + "tls_outgoing_options cafile=%s" % tls_cert[0],
                ssl_ports=[srv.port]))
            ws = await ws_through_connect(p.port, "tls.test", srv.port, bump_ca[0])
            await exchange(ws)
            assert srv.header("Upgrade") == ["websocket"]
            return p, srv.port

    p, port = run(go())
    e = p.access_entries(2, timeout=TIMEOUT)
    assert e[0]["method"] == "CONNECT"
    assert (e[0]["code"], e[0]["bytes"]) == ("NONE_NONE/200", "0")
    assert e[1]["url"] == "https://tls.test:%d/" % port
    assert e[1]["code"] == "TCP_TUNNEL/101"
    assert int(e[1]["bytes"]) == 390 + 3 * (1048576 + 10) + 265 + 9 + 4


def test_websocket_through_spliced_connection(proxy, bump_ca, tls_cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*tls_cert)

    async def go():
        async with EchoServer(ctx) as srv:
            p = await asyncio.get_running_loop().run_in_executor(None, lambda: bump_proxy(
                proxy, bump_ca, "ssl_bump splice all", ssl_ports=[srv.port]))
            ws = await ws_through_connect(p.port, "tls.test", srv.port, tls_cert[0])
            await exchange(ws)
            return p

    p = run(go())
    e = p.access_entries(1, timeout=TIMEOUT)[0]
    assert (e["method"], e["status"]) == ("CONNECT", 200)


def test_101_denied_by_http_reply_access_is_502(proxy):
    o = Scripted101(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo/1\r\n"
                    b"Connection: upgrade\r\n\r\n")
    try:
        p = proxy(conf_extra="http_upgrade_request_protocols echo allow all\n"
                  "acl switching http_status 101\nhttp_reply_access deny switching\n")
        r = raw_upgrade(p.port, o.port).read_response()
        assert r.status == 502
        assert "ERR_INVALID_RESP" in r.header("X-Squid-Error")
    finally:
        o.stop()


def test_101_never_cached(proxy):
    """With the cache on, every upgrade goes to the server."""
    p = proxy(conf_extra=ALLOW_WS, cache=True)

    async def go():
        async with EchoServer() as srv:
            for i in range(2):
                ws = await ws_forward(p.port, "127.0.0.1", srv.port, "/same")
                await ws.send("x%d" % i)
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "x%d" % i
                await ws.close()
            return len(srv.requests)

    assert run(go()) == 2


def test_header_rules_apply_to_the_upgrade(proxy):
    """request_header_add reaches the server's upgrade request and the
    reply rules edit the 101 itself, as on any other reply; the tunnel
    behind it is untouched."""
    o = Scripted101(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo/1\r\n"
                    b"Connection: upgrade\r\nX-Extra: 1\r\nX-Keep: k\r\n\r\n")
    try:
        p = proxy(conf_extra="http_upgrade_request_protocols echo allow all\n"
                  "request_header_add X-Req r all\n"
                  "reply_header_access X-Extra deny all\n"
                  "reply_header_add X-Added yes all\n")
        c = raw_upgrade(p.port, o.port)
        h = c.read_head()
        assert h.status == 101
        assert h.header("X-Extra") is None
        assert h.header("X-Added") == "yes"
        assert h.header("X-Keep") == "k"
        assert h.header("Upgrade") == "echo/1"
        c.send(b"ping")
        deadline = time.monotonic() + TIMEOUT
        while len(c.buf) < 4 and time.monotonic() < deadline:
            c._fill()
        assert c.buf == b"ping"
        assert "\r\nX-Req: r" in o.heads[0]
    finally:
        o.stop()
