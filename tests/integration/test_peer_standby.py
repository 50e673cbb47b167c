"""cache_peer standby=N: the proxy keeps N idle connections to the peer
opened in advance (Squid 5.7's PeerPoolMgr), uses one for a request when
no idle persistent connection is there, and opens a new one in its place.
They count toward max-conn=.  The peers are scripted origins, which count
the connections they accept (and number them: a request's conn_id tells
whether its connection was opened before it); a tls peer's standby
connections are secured in advance too.

Each test starts with a warm-up request to /close (whose connection is not
kept): Squid 5.7 opens its first standby connections only when a request
looks for one (its start-up checkpoint finds the peer not yet probed, and
the probe's success does not call it again), cuttle at start; after the
warm-up both have the same connections open.  The start-up probe is one
connection more."""

import os
import shutil
import tempfile
import time

import pytest

from helpers import RawClient, build, exchange, wait_for
from origin import Origin, make_tls_context
from proxyproc import free_port


@pytest.fixture(scope="module")
def certs():
    from tlscerts import CertSet
    d = tempfile.mkdtemp(prefix="cuttle-it-standby-")
    os.chmod(d, 0o755)
    yield CertSet(d)
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


def front(proxy, o, opts, host="127.0.0.1"):
    """An accel port whose only way out is o (an originserver peer)."""
    aport = free_port()
    p = proxy("http_port 127.0.0.1:%d accel defaultsite=tls.test no-vhost\n"
              "cache_peer %s parent %d 0 no-query no-digest originserver name=web %s\n"
              % (aport, host, o.port, opts))
    return p, aport


def accel_get(aport, path):
    return exchange(aport, build("GET", path, [("Host", "tls.test")]))


def settled(o, n, quiet=0.5, timeout=10.0):
    """o has accepted n connections and no more for `quiet` seconds."""
    assert wait_for(lambda: o.connections >= n, timeout), o.connections
    time.sleep(quiet)
    return o.connections


def warm_up(o, aport, n, probe=1):
    """The warm-up request; then o has accepted the probe's connection
    (a TLS origin does not count it: it never finished a handshake), the
    warm-up's and n standby ones: their count."""
    assert accel_get(aport, "/close").status == 200
    return settled(o, n + 1 + probe)


def test_standby_connections_are_kept_open(proxy, origin):
    p, aport = front(proxy, origin, "standby=3")
    assert warm_up(origin, aport, 3) == 5
    assert len(origin.requests) == 1


def test_a_request_uses_a_standby_connection_and_it_is_replaced(proxy, origin):
    p, aport = front(proxy, origin, "standby=2")
    before = warm_up(origin, aport, 2)
    assert accel_get(aport, "/bytes/10").status == 200
    req = origin.requests[-1]
    assert req.target == "/bytes/10"
    # it came on a connection opened before it...
    assert req.conn_id <= before
    # ...and one more was opened to fill the pool again
    assert settled(origin, before + 1) == before + 1


def test_a_post_uses_a_standby_connection_too(proxy, origin):
    # not a request that may be sent again, yet a fresh standby
    # connection is used for it, as Squid does
    p, aport = front(proxy, origin, "standby=1")
    before = warm_up(origin, aport, 1)
    r = exchange(aport, build("POST", "/echo", [("Host", "tls.test"),
                                                 ("Content-Length", "3")], b"abc"))
    assert r.status == 200
    assert origin.requests[-1].conn_id <= before
    assert settled(origin, before + 1) == before + 1


def test_standby_respects_max_conn(proxy, origin):
    p, aport = front(proxy, origin, "standby=2 max-conn=2")
    before = warm_up(origin, aport, 2)
    for i in range(3):
        assert accel_get(aport, "/bytes/10?%d" % i).status == 200
        assert origin.requests[-1].conn_id <= before
    # the used connection stays open (idle, then reused): with the other
    # standby one the limit is reached, and no new one is opened
    assert settled(origin, before) == before


def test_standby_connections_to_a_tls_peer_are_secured_in_advance(proxy, certs):
    o = Origin(make_tls_context(*certs.good))
    try:
        p, aport = front(proxy, o, "standby=2 tls tls-cafile=%s" % certs.ca,
                         host="tls.test")
        before = warm_up(o, aport, 2, probe=0)
        # the handshakes of the warm-up's connection and the two standby
        # ones are done (the probe's connection never spoke TLS)
        assert wait_for(lambda: len(o.tls_resumed) >= 3, 5.0)
        assert accel_get(aport, "/bytes/10").status == 200
        assert o.requests[-1].conn_id <= before
        assert len(o.requests) == 2
    finally:
        o.stop()
