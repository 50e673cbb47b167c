"""Running short of file descriptors: the proxy backs off instead of spinning,
keeps descriptors for itself, and keeps tunnels working."""

import os
import socket
import time

from helpers import RawClient, get, wait_for
from origin import pattern_bytes

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def serving_pid(p):
    """The process that accepts: Squid -N is one process, cuttle has a worker."""
    if p.impl == "squid":
        return p.pid
    pids = wait_for(p.worker_pids, 5.0)
    assert pids, "no worker process"
    return pids[0]


def accept_error_lines(p):
    return [l for l in p.cache_log.splitlines() if "accept" in l.lower()
            and ("too many open files" in l.lower() or "descriptor" in l.lower())]


def test_descriptor_exhaustion_backs_off_and_recovers(proxy, origin):
    p = proxy("max_filedescriptors 64\n")
    pid = serving_pid(p)
    idle = []
    try:
        # More idle clients than the proxy has descriptors.  The kernel's
        # listen backlog holds some it does not accept; once that is full
        # too, a connect times out, and the shortage is certain.
        backlog_full = False
        for _ in range(100):
            try:
                idle.append(socket.create_connection(("127.0.0.1", p.port), timeout=1))
            except OSError:
                backlog_full = True
                break
        assert backlog_full or len(idle) > 64
        time.sleep(0.5)
        before = cpu_seconds(pid)
        time.sleep(2.0)
        used = cpu_seconds(pid) - before
        assert used < 0.5, "proxy busy while out of descriptors: %.2fs CPU in 2s" % used
        assert len(accept_error_lines(p)) <= 5, "\n".join(accept_error_lines(p)[:10])
        assert os.path.getsize(p.cache_log_path) < 64 * 1024
    finally:
        for s in idle:
            s.close()
    ok = wait_for(lambda: _get_status(p.port, origin.url("/ok")) == 200, 15.0, interval=0.2)
    assert ok, "no successful request after the idle clients left"


def _get_status(port, url):
    try:
        return get(port, url).status
    except OSError:
        return None


def _open_tunnel(proxy_port, port):
    c = RawClient(proxy_port, timeout=20)
    c.send("CONNECT origin.test:%d HTTP/1.1\r\nHost: origin.test:%d\r\n\r\n" % (port, port))
    return c, c.read_response("CONNECT")


def test_300_tunnels_with_1024_descriptors(proxy, origin):
    p = proxy("max_filedescriptors 1024\n", ssl_ports=[origin.port])
    tunnels = []
    try:
        t0 = time.monotonic()
        for i in range(300):
            c, r = _open_tunnel(p.port, origin.port)
            tunnels.append(c)
            assert r.status == 200, "tunnel %d: %d" % (i, r.status)
        # The origin drops a connection idle for 10 s.
        assert time.monotonic() - t0 < 8.0, "tunnels were slow to open"
        # Every tunnel is open at once; now bytes cross each both ways.
        for i, c in enumerate(tunnels):
            c.send("GET /bytes/%d HTTP/1.1\r\nHost: origin.test\r\n\r\n" % (1000 + i))
        for i, c in enumerate(tunnels):
            r = c.read_response()
            assert (r.status, len(r.body)) == (200, 1000 + i), "tunnel %d" % i
    finally:
        for c in tunnels:
            c.close()
    assert origin.connections == 300


def test_tunnels_work_when_no_pipe_can_be_had(proxy, origin):
    # So few descriptors that, with the tunnels open, none is left for a
    # splice pipe beyond the reserve: bytes must still cross, exactly.
    p = proxy("max_filedescriptors 100\n", ssl_ports=[origin.port])
    tunnels = []
    try:
        for i in range(20):
            c, r = _open_tunnel(p.port, origin.port)
            tunnels.append(c)
            assert r.status == 200, "tunnel %d: %d" % (i, r.status)
        for i, c in enumerate(tunnels):
            c.send("GET /bytes/300000 HTTP/1.1\r\nHost: origin.test\r\n\r\n")
            r = c.read_response()
            assert (r.status, r.body) == (200, pattern_bytes(300000)), "tunnel %d" % i
        body = pattern_bytes(200000)
        tunnels[0].send(b"POST /echo HTTP/1.1\r\nHost: origin.test\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body) + body)
        assert tunnels[0].read_response().status == 200
        assert origin.requests[-1].body == body
    finally:
        for c in tunnels:
            c.close()
