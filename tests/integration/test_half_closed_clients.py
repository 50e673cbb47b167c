"""half_closed_clients: a client that shuts down its sending side (FIN)
after its request, while the proxy is still waiting for the origin.

Off (Squid's default) the proxy takes the FIN for the client leaving and
ends the transaction, as Squid 5.7 does; on, it serves the response and
then closes, as the option's documentation says and as RFC 9112 9.6 says
a half-close means nothing more ("nor does it imply that the client is no
longer interested in a response").  Squid 5.7 ends the transaction with
the option on too, so those tests are cuttle's; a reset ends it either way.
"""

import socket
import struct

import pytest

ON_SQUID = ("Squid 5.7 reads the FIN as the client leaving even with "
            "half_closed_clients on, against the option's documentation")

from helpers import wait_for


def half_closed_get(port, url, timeout=10.0):
    """Sends the request, shuts down writing, reads to EOF: the bytes."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % url.encode())
        s.shutdown(socket.SHUT_WR)
        data = b""
        while len(data) < 1 << 20:
            d = s.recv(65536)
            if not d:
                break
            data += d
        return data
    finally:
        s.close()


def test_off_ends_the_transaction_at_the_fin(proxy, origin):
    origin.script("/slow", body="late\n", delay=0.5)
    p = proxy()
    assert half_closed_get(p.port, origin.url("/slow")) == b""
    assert p.access_entries(1)[0]["code"] == "TCP_MISS_ABORTED/000"


@pytest.mark.cuttle_only(reason=ON_SQUID)
def test_on_serves_the_response_then_closes(proxy, origin):
    origin.script("/slow", body="late\n", delay=0.5)
    p = proxy("half_closed_clients on\n")
    data = half_closed_get(p.port, origin.url("/slow"))
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"\r\n\r\nlate\n"), data
    assert p.access_entries(1)[0]["code"] == "TCP_MISS/200"


@pytest.mark.cuttle_only(reason=ON_SQUID)
def test_on_serves_a_hit_to_a_half_closed_client(proxy, origin):
    origin.script("/hit", headers=[("Cache-Control", "max-age=60")], body="cached\n")
    p = proxy("half_closed_clients on\n", cache=True)
    for _ in range(2):
        data = half_closed_get(p.port, origin.url("/hit"))
        assert data.endswith(b"\r\n\r\ncached\n"), data
    assert origin.count("/hit") == 1


def test_on_a_reset_still_ends_the_transaction(proxy, origin):
    origin.script("/slow", body="late\n", delay=1.0)
    p = proxy("half_closed_clients on\n")
    s = socket.create_connection(("127.0.0.1", p.port))
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % origin.url("/slow").encode())
    assert wait_for(lambda: origin.requests, 5.0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    e = p.access_entries(1, timeout=10.0)[0]
    assert e["code"] == "TCP_MISS_ABORTED/000"
