"""client_ip_max_connections: open client connections per IP address.

Squid 5.7 (src/comm/TcpAcceptor.cc, oldAccept) refuses a new connection
when the client's address already has MORE open connections than the
limit (`clientdbEstablished(remote, 0) > limit`), so a limit of N lets
N + 1 connections stay open.  The refused connection is closed at once,
with a cache.log line "WARNING: ip:port attempting more than N
connections." each time and no access.log line.  The count goes up when
a client connection starts and down when it closes (client_side.cc);
with client_db off clientdbEstablished always counts 0, so the limit does
nothing.  cuttle counts per worker, as Squid per kid; these tests run one.
"""

import re
import socket
import time

from helpers import ConnectionClosed, RawClient, wait_for

ALLOW_ALL = "http_access allow all\n"


def get_x(url):
    return "GET %s HTTP/1.1\r\nHost: origin.test\r\n\r\n" % url


def serve_one(c, url):
    """One keep-alive request on c; the response's status."""
    c.send(get_x(url))
    return c.read_response().status


def refused(port, source=None, timeout=5.0):
    """True when a new connection is closed by the proxy before it answers."""
    try:
        c = RawClient(port, timeout=timeout, source=source)
    except OSError:
        return True
    try:
        c.sock.settimeout(timeout)
        try:
            data = c.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:         # reset
            return True
        return data == b""
    finally:
        c.close()


def open_served(port, url, source=None):
    c = RawClient(port, timeout=10.0, source=source)
    assert serve_one(c, url) == 200
    return c


def warnings(p, limit, n):
    """The WARNING lines for 127.0.0.1, once there are n (bounded wait)."""
    def lines():
        found = re.findall(r"WARNING: 127\.0\.0\.1:\d+ attempting more than "
                           r"%d connections\.\n" % limit, p.cache_log)
        return found if len(found) >= n else None
    wait_for(lines, 5.0)
    return re.findall(r"WARNING: 127\.0\.0\.1:\d+ attempting more than "
                      r"%d connections\.\n" % limit, p.cache_log)


def test_limit_two_lets_three_stay_open(proxy, origin):
    origin.script("/x", body="x\n")
    url = origin.url("/x")
    p = proxy("client_ip_max_connections 2\n")
    assert "client_ip_max_connections" not in p.cache_log + p.stderr
    served = 0
    open_ = []
    try:
        for _ in range(3):      # Squid's "more than 2": the third is taken
            open_.append(open_served(p.port, url))
            served += 1
        assert refused(p.port), "a fourth connection from 127.0.0.1 stays open"
        assert len(warnings(p, 2, 1)) == 1, p.cache_log
        # the open ones still serve, and the limit is per address
        for c in open_:
            assert serve_one(c, url) == 200
            served += 1
        # another refusal, another line (no rate limit)
        assert refused(p.port)
        assert len(warnings(p, 2, 2)) == 2, p.cache_log
        # one closes: a new connection is taken again (the proxy notices
        # the close on its own time: a few bounded tries)
        open_.pop(0).close()
        c = taken_again(p.port, get_x(url))
        assert c is not None, "no connection taken after one closed"
        open_.append(c)
        served += 1
    finally:
        for c in open_:
            c.close()
    # refused connections are not logged in access.log
    p.access_log_lines(served, timeout=10.0)
    lines = p.access_log_lines(served + 1, timeout=1.0)
    assert len(lines) == served, lines


def test_limit_is_per_address(proxy, origin):
    origin.script("/x", body="x\n")
    url = origin.url("/x")
    p = proxy("client_ip_max_connections 0\n", access=ALLOW_ALL)
    a = open_served(p.port, url)            # limit 0 still lets one in
    try:
        assert refused(p.port)
        b = open_served(p.port, url, source="127.0.0.2")
        try:
            assert refused(p.port, source="127.0.0.2")
            assert serve_one(a, url) == 200
            assert serve_one(b, url) == 200
        finally:
            b.close()
    finally:
        a.close()
    assert len(warnings(p, 0, 1)) == 1, p.cache_log
    assert re.search(r"WARNING: 127\.0\.0\.2:\d+ attempting more than 0 "
                     r"connections\.", p.cache_log), p.cache_log


def taken_again(port, raw, status=200):
    """Sends raw on new connections until one is answered with status,
    within a few bounded tries (the proxy notices a client's close on its
    own time); that client, or None."""
    for _ in range(25):
        try:
            c = RawClient(port, timeout=10.0)
        except OSError:
            time.sleep(0.2)
            continue
        try:
            c.send(raw)
            if c.read_response().status == status:
                return c
        except (ConnectionClosed, OSError):
            pass
        c.close()
        time.sleep(0.2)
    return None


def closed_then_taken_again(port, raw, status=200):
    c = taken_again(port, raw, status)
    if c is None:
        return False
    c.close()
    return True


def test_tunnel_and_error_closes_count_down(proxy, origin):
    # the count comes down on other ends of a connection too: a CONNECT
    # tunnel the client closes, a request the proxy refuses with a close
    origin.script("/x", body="x\n")
    url = origin.url("/x")
    p = proxy("client_ip_max_connections 0\n", ssl_ports=[origin.port])
    t = RawClient(p.port, timeout=10.0)
    t.send("CONNECT origin.test:%d HTTP/1.1\r\nHost: origin.test:%d\r\n\r\n"
           % (origin.port, origin.port))
    assert t.read_response("CONNECT").status == 200
    t.send("GET /x HTTP/1.1\r\nHost: origin.test\r\n\r\n")
    assert t.read_response().status == 200
    assert refused(p.port), "the tunnel was not counted"
    t.close()
    b = taken_again(p.port, "BOGUS\r\n\r\n", 400)
    assert b is not None, "the tunnel's close was not counted"
    assert b.is_closed(5.0)
    b.close()
    assert closed_then_taken_again(p.port, get_x(url)), \
        "the close after a 400 was not counted"


def test_client_db_off_turns_the_limit_off(proxy, origin):
    origin.script("/x", body="x\n")
    url = origin.url("/x")
    p = proxy("client_ip_max_connections 0\nclient_db off\n")
    open_ = []
    try:
        for _ in range(4):
            open_.append(open_served(p.port, url))
        for c in open_:
            assert serve_one(c, url) == 200
    finally:
        for c in open_:
            c.close()
    assert "attempting more than" not in p.cache_log


def test_default_no_limit(proxy, origin):
    origin.script("/x", body="x\n")
    url = origin.url("/x")
    p = proxy()
    open_ = []
    try:
        for _ in range(6):
            open_.append(open_served(p.port, url))
        for c in open_:
            assert serve_one(c, url) == 200
    finally:
        for c in open_:
            c.close()
    assert "attempting more than" not in p.cache_log


def test_reconfigure_counts_open_connections(proxy, origin):
    # Squid counts every client connection (client_db on), limit or not, so
    # a limit a reconfigure sets counts the connections already open.  One
    # process (-N): cuttle's kids would start a new worker generation with
    # a count of its own.  No request on the old connection after the
    # reconfigure: Squid 5.7 closes it after that response, as its port
    # was reopened (client_side_reply.cc buildReplyHeader)
    origin.script("/x", body="x\n")
    url = origin.url("/x")
    p = proxy(single=True)
    a = open_served(p.port, url)
    try:
        with open(p.conf, "a") as f:
            f.write("client_ip_max_connections 0\n")
        assert p.ctl("reconfigure").returncode == 0
        time.sleep(2)
        assert refused(p.port), "the open connection was not counted"
        assert len(warnings(p, 0, 1)) == 1, p.cache_log
    finally:
        a.close()
    assert closed_then_taken_again(p.port, get_x(url)), \
        "no connection taken after the open one closed"
