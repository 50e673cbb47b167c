"""Server-side timeouts: forward_timeout, connect_timeout and read_timeout.

`forward_timeout` bounds the search for a server (every connect attempt
together), not the wait for its reply once connected: that is
`read_timeout`'s.  A connect that never completes comes from a listener
whose accept queue is full, so the kernel drops the proxy's SYN.  Squid
checks its timeouts about once a second, so the windows here allow a
second of slack; every client read is bounded.
"""

import socket
import time

import pytest

from helpers import RawClient, build, log_entry


@pytest.fixture
def blackhole():
    """A port on 127.0.0.1 where a connect hangs: its listener's accept
    queue is full and the kernel drops every further SYN."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    fill = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(ls.getsockname())
        except BlockingIOError:
            pass
        fill.append(c)
    time.sleep(0.2)
    yield ls.getsockname()[1]
    for c in fill:
        c.close()
    ls.close()


def timed_get(p, url, timeout=10.0):
    t0 = time.monotonic()
    with RawClient(p.port, timeout=timeout) as c:
        c.send(build("GET", url))
        r = c.read_response()
    return r, time.monotonic() - t0


def test_forward_timeout_bounds_a_hanging_connect(proxy, blackhole):
    p = proxy("forward_timeout 2 seconds\nconnect_timeout 1 minute\nread_timeout 1 minute\n")
    r, took = timed_get(p, "http://origin.test:%d/x" % blackhole)
    assert 1.8 <= took < 4.5, took
    assert r.status == 503
    assert r.header("X-Squid-Error") == "ERR_CONNECT_FAIL 110"
    e = log_entry(p, 1)
    assert (e["code"], e["hier_code"]) == ("TCP_MISS/503", "HIER_DIRECT")


def test_connect_timeout_shorter_than_forward_timeout(proxy, blackhole):
    p = proxy("forward_timeout 1 minute\nconnect_timeout 2 seconds\nread_timeout 1 minute\n")
    r, took = timed_get(p, "http://origin.test:%d/x" % blackhole)
    assert 1.8 <= took < 4.5, took
    assert (r.status, r.header("X-Squid-Error")) == (503, "ERR_CONNECT_FAIL 110")


def test_forward_timeout_does_not_cut_a_slow_reply(proxy, origin):
    # Connected, the server may take longer than forward_timeout to answer.
    origin.script("/late", body="late\n", delay=3.5)
    p = proxy("forward_timeout 2 seconds\nconnect_timeout 1 minute\nread_timeout 1 minute\n")
    r, took = timed_get(p, origin.url("/late"))
    assert (r.status, r.body) == (200, b"late\n")
    assert took >= 3.4
    assert log_entry(p, 1)["code"] == "TCP_MISS/200"


def test_read_timeout_ends_a_silent_server(proxy, origin):
    origin.script("/silent", body="never\n", delay=12)
    p = proxy("forward_timeout 2 seconds\nconnect_timeout 1 minute\nread_timeout 2 seconds\n")
    r, took = timed_get(p, origin.url("/silent"))
    assert 1.8 <= took < 4.5, took
    assert (r.status, r.header("X-Squid-Error")) == (504, "ERR_READ_TIMEOUT 0")
    assert log_entry(p, 1)["code"] == "TCP_MISS/504"
