"""pconn_lifetime: a persistent connection, client or server side, whose age
(from its accept or open) passes the lifetime is closed once idle instead of
waiting for the next request or in the pool; a transaction in progress is
never cut.  As Squid 5.7's Comm::Connection::timeLeft: when a connection
goes idle (ConnStateData::readNextRequest, IdleConnList::push) its idle
timeout becomes what is left of the lifetime, at least 1 second.
"""

import time

from helpers import ConnectionClosed, RawClient, build, get

LIFETIME_1S = "pconn_lifetime 1 second\n"


def request(c, url):
    c.send(build("GET", url))
    return c.read_response()


def test_client_connection_stays_open_while_younger(proxy, origin):
    origin.script("/a", body="a\n")
    p = proxy("pconn_lifetime 4 seconds\n")
    with RawClient(p.port) as c:
        assert request(c, origin.url("/a")).status == 200
        assert request(c, origin.url("/a")).status == 200
        assert not c.is_closed(timeout=1.0)
        assert request(c, origin.url("/a")).status == 200
        # idle past the lifetime: closed, not kept for client_idle_pconn_timeout
        assert c.is_closed(timeout=8.0)


def test_client_request_after_the_lifetime_finds_it_closed(proxy, origin):
    origin.script("/a", body="a\n")
    p = proxy(LIFETIME_1S)
    with RawClient(p.port) as c:
        assert request(c, origin.url("/a")).status == 200
        time.sleep(3.0)
        try:
            request(c, origin.url("/a"))
            closed = False
        except (ConnectionClosed, OSError):
            closed = True
        assert closed
    assert origin.count("/a") == 1


def test_an_active_transaction_is_never_cut(proxy, origin):
    origin.script("/slow", body="late\n", delay=2.5)
    p = proxy(LIFETIME_1S)
    with RawClient(p.port) as c:
        r = request(c, origin.url("/slow"))
        assert r.status == 200 and r.body == b"late\n"
        # older than the lifetime once idle: closed within about a second
        assert c.is_closed(timeout=5.0)
    assert p.access_entries(1)[0]["code"] == "TCP_MISS/200"


def test_server_connection_reused_while_younger_then_replaced(proxy, origin):
    origin.script("/a", body="a\n")
    p = proxy("pconn_lifetime 3 seconds\n")
    assert get(p.port, origin.url("/a")).status == 200
    assert get(p.port, origin.url("/a")).status == 200
    assert origin.connections == 1, "pooled before the lifetime"
    time.sleep(5.0)
    assert get(p.port, origin.url("/a")).status == 200
    assert origin.connections == 2, "a new connection after the lifetime"
