"""delay_pools: bandwidth limits on what the proxy reads from servers.

A pool's buckets refill at their restore rate (bytes a second) up to their
max and start delay_initial_bucket_level (50%) full; a response read
through a pool waits when they are empty.  delay_access picks the pool (the
first that allows the client); a client no pool takes is not limited.
Clients come from other loopback addresses (127.0.0.x) to be told apart.
CONNECT tunnels (plain, inside an https_port, through a parent, spliced by
SslBump) and upgraded requests are limited on what they read from the
server, as in Squid 5.7 (src/tunnel.cc).
The windows are wide: 400 KB at 100000 bytes/s takes about 3.6 s.
"""

import os
import shutil
import socket
import ssl
import tempfile
import threading
import time

import pytest

from bump import bump_proxy
from helpers import RawClient, build, wait_cached
from proxyproc import free_port

SIZE = 400 * 1024
ACCESS = "acl lo src 127.0.0.0/8\nhttp_access allow lo\nhttp_access deny all\n"


def timed_get(port, url, source=None):
    start = time.monotonic()
    with RawClient(port, timeout=30, source=source) as c:
        c.send(build("GET", url))
        r = c.read_response()
    return r, time.monotonic() - start


def class1(extra=""):
    return ("acl limited src 127.0.0.2\n"
            "delay_pools 1\n"
            "delay_class 1 1\n"
            "delay_parameters 1 100000/100000\n"
            "delay_access 1 allow limited\n"
            "delay_access 1 deny all\n" + extra)


def test_class1_limits_a_miss(proxy, origin):
    p = proxy(class1(), access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took


def test_delay_access_deny_leaves_a_client_unlimited(proxy, origin):
    p = proxy(class1(), access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.3")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_no_delay_access_takes_nobody(proxy, origin):
    p = proxy("delay_pools 1\ndelay_class 1 1\n"
              "delay_parameters 1 100000/100000\n", access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_unlimited_parameters_limit_nothing(proxy, origin):
    p = proxy(class1().replace("100000/100000", "-1/-1"), access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_cache_hit_is_not_delayed(proxy, origin):
    path = "/delay-hit"
    origin.script(path, headers=[("Cache-Control", "max-age=600"),
                                 ("Content-Type", "application/octet-stream")],
                  body=b"h" * SIZE)
    p = proxy(class1(), access=ACCESS, cache=True)
    url = origin.url(path)
    r, took = timed_get(p.port, url, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took > 2.0, took
    assert wait_cached(p.port, url)
    r, took = timed_get(p.port, url, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert origin.count(path) == 1
    assert took < 1.5, took


def parallel(port, urls_sources):
    results = [None] * len(urls_sources)

    def one(i, url, source):
        results[i] = timed_get(port, url, source)

    threads = [threading.Thread(target=one, args=(i, u, s))
               for i, (u, s) in enumerate(urls_sources)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    return results


def test_class2_limits_each_host_on_its_own(proxy, origin):
    p = proxy("acl limited src 127.0.0.0/8\n"
              "delay_pools 1\n"
              "delay_class 1 2\n"
              "delay_parameters 1 -1/-1 100000/100000\n"
              "delay_access 1 allow limited\n", access=ACCESS)
    res = parallel(p.port, [(origin.url("/bytes/%d?a" % SIZE), "127.0.0.2"),
                            (origin.url("/bytes/%d?b" % SIZE), "127.0.0.3")])
    for r, took in res:
        assert r.status == 200 and len(r.body) == SIZE
        # each host has its own 100000 bytes/s: about 3.6 s, not 7.7
        assert 2.0 < took < 6.0, took


def test_class2_aggregate_is_shared(proxy, origin):
    p = proxy("acl limited src 127.0.0.0/8\n"
              "delay_pools 1\n"
              "delay_class 1 2\n"
              "delay_parameters 1 100000/100000 -1/-1\n"
              "delay_access 1 allow limited\n", access=ACCESS)
    res = parallel(p.port, [(origin.url("/bytes/%d?a" % SIZE), "127.0.0.2"),
                            (origin.url("/bytes/%d?b" % SIZE), "127.0.0.3")])
    for r, _ in res:
        assert r.status == 200 and len(r.body) == SIZE
    # 800 KB through one 100000 bytes/s bucket: about 7.7 s for the last
    assert max(took for _, took in res) > 6.0, res


def test_class3_host_bucket_limits(proxy, origin):
    p = proxy("acl limited src 127.0.0.0/8\n"
              "delay_pools 1\n"
              "delay_class 1 3\n"
              "delay_parameters 1 -1/-1 -1/-1 100000/100000\n"
              "delay_access 1 allow limited\n", access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took


# CONNECT tunnels: Squid 5.7 picks the tunnel's pool with the CONNECT
# request (tunnelStart, DelayId::DelayClient) and reads from the server
# through it; what the client sends up the tunnel is not limited.

def tunnel_exchange(port, origin_port, request, source):
    """CONNECT to the plain origin, one HTTP/1.0 exchange inside the
    tunnel; returns (response, seconds from the CONNECT)."""
    start = time.monotonic()
    with RawClient(port, timeout=30, source=source) as c:
        c.send("CONNECT origin.test:%d HTTP/1.1\r\nHost: origin.test:%d\r\n\r\n"
               % (origin_port, origin_port))
        r = c.read_response("CONNECT")
        assert r.status == 200, r
        c.send(request)
        r = c.read_response()
    return r, time.monotonic() - start


def tunnel_get(port, origin_port, size, source):
    return tunnel_exchange(
        port, origin_port,
        "GET /bytes/%d HTTP/1.0\r\nHost: origin.test\r\n\r\n" % size, source)


def test_class1_limits_a_tunnel_download(proxy, origin):
    p = proxy(class1(), access=ACCESS, ssl_ports=[origin.port])
    r, took = tunnel_get(p.port, origin.port, SIZE, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took


def test_delay_access_deny_leaves_a_tunnel_unlimited(proxy, origin):
    p = proxy(class1(), access=ACCESS, ssl_ports=[origin.port])
    r, took = tunnel_get(p.port, origin.port, SIZE, "127.0.0.3")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_delay_access_sees_the_connect_request(proxy, origin):
    p = proxy("acl tunnels method CONNECT\n"
              "delay_pools 1\n"
              "delay_class 1 1\n"
              "delay_parameters 1 100000/100000\n"
              "delay_access 1 allow tunnels\n"
              "delay_access 1 deny all\n", access=ACCESS,
              ssl_ports=[origin.port])
    r, took = tunnel_get(p.port, origin.port, SIZE, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took


def test_tunnel_upload_is_not_delayed(proxy, origin):
    p = proxy(class1(), access=ACCESS, ssl_ports=[origin.port])
    body = b"u" * SIZE
    r, took = tunnel_exchange(
        p.port, origin.port,
        b"POST /status/204 HTTP/1.0\r\nHost: origin.test\r\n"
        b"Content-Length: %d\r\n\r\n" % SIZE + body, "127.0.0.2")
    assert r.status == 204
    assert took < 1.5, took


def cpu_seconds(p):
    """User and system CPU the proxy's processes have used so far."""
    total = 0
    for pid in [p.pid] + p.children():
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def test_throttled_tunnel_does_not_spin(proxy, origin):
    p = proxy(class1(), access=ACCESS, ssl_ports=[origin.port])
    before = cpu_seconds(p)
    r, took = tunnel_get(p.port, origin.port, SIZE, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took > 2.0, took
    # waiting for the buckets costs next to nothing
    assert cpu_seconds(p) - before < 1.0


@pytest.mark.cuttle_only(reason="Squid 5.7 closes the tunnel on the client's FIN")
def test_throttled_half_closed_tunnel_does_not_spin(proxy, origin):
    # The client half-closes, the origin sends everything and closes: the
    # server socket is hung up while its bytes wait for the buckets.  A
    # body the socket buffers hold lets the origin close at once.
    size = 60 * 1024
    p = proxy(class1().replace("100000/100000", "20000/20000"),
              access=ACCESS, ssl_ports=[origin.port])
    before = cpu_seconds(p)
    start = time.monotonic()
    with RawClient(p.port, timeout=30, source="127.0.0.2") as c:
        c.send("CONNECT origin.test:%d HTTP/1.1\r\nHost: origin.test:%d\r\n\r\n"
               % (origin.port, origin.port))
        assert c.read_response("CONNECT").status == 200
        c.send("GET /bytes/%d HTTP/1.0\r\nHost: origin.test\r\n\r\n" % size)
        c.sock.shutdown(socket.SHUT_WR)
        raw = c.read_to_close()
    took = time.monotonic() - start
    assert len(raw.partition(b"\r\n\r\n")[2]) == size
    assert took > 2.0, took
    assert cpu_seconds(p) - before < 1.0


@pytest.mark.parametrize("rules", [
    "ssl_bump peek step1\nssl_bump splice all",          # spliced at step 2
    "ssl_bump peek step1\nssl_bump peek step2\nssl_bump splice all",  # step 3
])
def test_spliced_ssl_bump_is_limited(proxy, bump_ca, tls_origin, rules):
    # Squid 5.7 picks the pool again for the tunnel a splice becomes
    # (tunnelStart for step 2's fake CONNECT, switchToTunnel at step 3).
    p = bump_proxy(proxy, bump_ca, rules, extra=class1(), access=ACCESS,
                   ssl_ports=[tls_origin.port])
    start = time.monotonic()
    with RawClient(p.port, timeout=30, source="127.0.0.2") as c:
        c.send("CONNECT tls.test:%d HTTP/1.1\r\nHost: tls.test:%d\r\n\r\n"
               % (tls_origin.port, tls_origin.port))
        assert c.read_response("CONNECT").status == 200
        ctx = ssl.create_default_context(cafile=tls_origin.cert)
        with ctx.wrap_socket(c.sock, server_hostname="tls.test") as tls:
            tls.sendall(b"GET /bytes/%d HTTP/1.0\r\nHost: tls.test\r\n\r\n"
                        % SIZE)
            raw = b""
            for _ in range(100_000):
                data = tls.recv(65536)
                if not data:
                    break
                raw += data
    took = time.monotonic() - start
    assert len(raw.partition(b"\r\n\r\n")[2]) == SIZE
    assert 2.0 < took < 8.0, took


class Pushing101:
    """An origin that answers one request head with a 101 and `size`
    bytes behind it, then closes (every wait bounded)."""

    def __init__(self, size):
        self.size = size
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.lsock.settimeout(30)
        self.port = self.lsock.getsockname()[1]
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        try:
            s, _ = self.lsock.accept()
        except OSError:
            return
        s.settimeout(30)
        data = b""
        with s:
            try:
                for _ in range(100):
                    if b"\r\n\r\n" in data:
                        break
                    d = s.recv(65536)
                    if not d:
                        return
                    data += d
                s.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
                          b"Upgrade: echo/1\r\nConnection: upgrade\r\n\r\n"
                          + b"p" * self.size)
            except OSError:
                return

    def stop(self):
        self.lsock.close()


def upgrade_get(p, o):
    start = time.monotonic()
    with RawClient(p.port, timeout=30, source="127.0.0.2") as c:
        c.send(b"GET http://127.0.0.1:%d/ HTTP/1.1\r\n"
               b"Host: 127.0.0.1:%d\r\nConnection: Upgrade\r\n"
               b"Upgrade: echo/1\r\n\r\n" % (o.port, o.port))
        assert c.read_head().status == 101
        got = c.read_to_close()
    return got, time.monotonic() - start


def test_upgraded_request_is_limited(proxy):
    # Squid 5.7's 101 becomes a tunnel through switchToTunnel, which picks
    # the pool with the request.
    o = Pushing101(SIZE)
    try:
        p = proxy(class1("http_upgrade_request_protocols echo allow all\n"),
                  access=ACCESS)
        got, took = upgrade_get(p, o)
        assert got == b"p" * SIZE
        assert 2.0 < took < 8.0, took
    finally:
        o.stop()


def test_upgraded_pool_is_picked_without_the_101(proxy):
    # switchToTunnel shows delay_access the request alone: a reply ACL
    # cannot match, so the pool takes nobody.
    o = Pushing101(SIZE)
    try:
        p = proxy("http_upgrade_request_protocols echo allow all\n"
                  "acl switching http_status 101\n"
                  "delay_pools 1\n"
                  "delay_class 1 1\n"
                  "delay_parameters 1 100000/100000\n"
                  "delay_access 1 allow switching\n"
                  "delay_access 1 deny all\n", access=ACCESS)
        got, took = upgrade_get(p, o)
        assert got == b"p" * SIZE
        assert took < 1.5, took
    finally:
        o.stop()


@pytest.mark.parametrize("no_delay", [False, True])
def test_tunnel_through_a_parent(proxy, origin, no_delay):
    # Through a parent the tunnel is limited too, unless the parent is
    # no-delay (Squid's TunnelStateData::connectDone drops the delay id).
    parent = proxy("unique_hostname parent1\n", ssl_ports=[origin.port])
    front = proxy(class1("cache_peer 127.0.0.1 parent %d 0 no-query "
                         "no-digest%s\nnever_direct allow all\n"
                         % (parent.port, " no-delay" if no_delay else "")),
                  access=ACCESS, ssl_ports=[origin.port])
    r, took = tunnel_get(front.port, origin.port, SIZE, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    if no_delay:
        assert took < 1.5, took
    else:
        assert 2.0 < took < 8.0, took


def test_no_delay_parent_response_is_still_delayed(proxy, origin):
    # Squid 5.7 marks a no-delay peer's store entry (http.cc setNoDelay),
    # but the reply's own DelayClient (client_side_reply.cc sendMoreData)
    # replaces the mark: only tunnels escape the pool.
    parent = proxy("unique_hostname parent1\n")
    front = proxy(class1("cache_peer 127.0.0.1 parent %d 0 no-query "
                         "no-digest no-delay\nnever_direct allow all\n"
                         % parent.port), access=ACCESS)
    r, took = timed_get(front.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took


@pytest.fixture(scope="module")
def certs():
    from tlscerts import CertSet
    d = tempfile.mkdtemp(prefix="cuttle-it-delay-")
    os.chmod(d, 0o755)
    yield CertSet(d)
    shutil.rmtree(d, ignore_errors=True)


def test_tunnel_inside_an_https_port_is_limited(proxy, certs, origin):
    # The client's end speaks TLS: the tunnel copies through user space
    # instead of splicing, and is limited all the same.
    port = free_port()
    cert, key = certs.good
    p = proxy(class1("https_port 127.0.0.1:%d tls-cert=%s tls-key=%s\n"
                     % (port, cert, key)), access=ACCESS,
              ssl_ports=[origin.port])
    ctx = ssl.create_default_context(cafile=certs.ca)
    start = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                    source_address=("127.0.0.2", 0))
    with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"CONNECT origin.test:%d HTTP/1.1\r\n"
                    b"Host: origin.test:%d\r\n\r\n" % (origin.port, origin.port))
        raw = b""
        for _ in range(100_000):
            data = tls.recv(65536)
            if not data:
                break
            raw += data
            if b"\r\n\r\n" in raw:
                break
        assert raw.startswith(b"HTTP/1.1 200"), raw
        raw = raw.partition(b"\r\n\r\n")[2]
        tls.sendall(b"GET /bytes/%d HTTP/1.0\r\nHost: origin.test\r\n\r\n"
                    % SIZE)
        for _ in range(100_000):
            data = tls.recv(65536)
            if not data:
                break
            raw += data
    took = time.monotonic() - start
    assert len(raw.partition(b"\r\n\r\n")[2]) == SIZE
    assert 2.0 < took < 8.0, took
