"""The load the benchmark puts on a proxy: wrk over keep-alive connections,
curl downloads (100 MiB, or one object of a known size), one keep-alive
response read by hand, GETs each on a new connection from several
threads, and CONNECT + TLS + GET connections with the CPU time the proxy
spent on them.  Each checks the status and byte counts of what it
measured.
"""

import os
import re
import resource
import socket
import ssl
import statistics
import subprocess
import threading
import time

from bench_common import (BODY_100M, CURL, DURATION, REPEAT, WRK, WRK_CONNS,
                          WRK_THREADS, BenchError, bench_log, bench_tree_cpu,
                          bench_tree_cpu_delta)


def bench_wrk_run(bench, proxy, path, label, target=None, host=None,
                  url=None, prefix=(), headers=()):
    """wrk load of absolute-URI GETs for path through the proxy over
    keep-alive connections, with the extra header lines headers (such as
    a Proxy-Authorization); returns requests/s and wrk's counters.
    target (the request-target, default the origin's absolute URI for
    path), host (the Host header), url (where wrk connects, default the
    proxy port) and prefix (an argv prefix such as ip netns exec NS) serve
    the other shapes: origin-form requests to an accelerator or to an
    intercepted address."""
    duration = DURATION
    if target is None:
        target = "http://127.0.0.1:%d%s" % (bench.http_port, path)
    if host is None:
        host = "127.0.0.1:%d" % bench.http_port
    if url is None:
        url = "http://127.0.0.1:%d/" % bench.proxy_port
    extra = "".join('"%s\\r\\n" ..\n            ' % h for h in headers)
    lua = os.path.join(bench.dir, "%s.%s.lua" % (proxy.name,
                                                  path.strip("/")
                                                  .replace("/", "_")))
    with open(lua, "w") as f:
        f.write("""\
-- One request over and over on keep-alive connections.
local req = "GET %(target)s HTTP/1.1\\r\\n" ..
            "Host: %(host)s\\r\\n" ..
            "User-Agent: cuttle-bench\\r\\n" ..
            %(extra)s"\\r\\n"
request = function() return req end
done = function(summary, latency, requests)
    io.write(string.format("BENCH requests=%%d errors_connect=%%d " ..
        "errors_read=%%d errors_write=%%d errors_status=%%d " ..
        "errors_timeout=%%d duration_us=%%d bytes=%%d\\n",
        summary.requests, summary.errors.connect, summary.errors.read,
        summary.errors.write, summary.errors.status, summary.errors.timeout,
        summary.duration, summary.bytes))
end
""" % {"target": target, "host": host, "extra": extra})
    cmd = list(prefix) + [WRK, "-t%d" % WRK_THREADS, "-c%d" % WRK_CONNS,
                          "-d%ds" % duration, "--timeout", "5s", "-s", lua,
                          url]
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=duration + 60)
    with open(os.path.join(bench.dir, "%s.wrk.txt" % proxy.name), "a") as f:
        f.write("== %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    if r.returncode != 0:
        raise BenchError("wrk failed (%d): %s" % (r.returncode, r.stderr))
    m = re.search(r"BENCH requests=(\d+) errors_connect=(\d+) errors_read=(\d+)"
                  r" errors_write=(\d+) errors_status=(\d+) errors_timeout=(\d+)"
                  r" duration_us=(\d+) bytes=(\d+)", r.stdout)
    if not m:
        raise BenchError("no summary from wrk's done() hook:\n" + r.stdout)
    req, econn, eread, ewrite, estatus, etimeout, dur, nbytes = \
        map(int, m.groups())
    non2xx = 0
    m2 = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    if m2:
        non2xx = int(m2.group(1))
    rps = req / (dur / 1e6)
    bench_log("  %s: %s %.0f req/s (%d requests in %.1fs, errors connect=%d "
              "read=%d write=%d status=%d timeout=%d, non-2xx=%d)"
              % (proxy.name, label, rps, req, dur / 1e6, econn, eread, ewrite,
                 estatus, etimeout, non2xx))
    if non2xx or estatus:
        raise BenchError("%s: wrk saw %d non-2xx responses"
                         % (proxy.name, max(non2xx, estatus)))
    if req == 0:
        raise BenchError("%s: wrk completed no request" % proxy.name)
    return {"rps": rps, "requests": req, "bytes": nbytes,
            "errors": {"connect": econn, "read": eread, "write": ewrite,
                       "timeout": etimeout}}


def bench_curl_once(args, what):
    """One curl download of 100 MiB; returns MB/s (10^6 bytes/s)."""
    r = subprocess.run([CURL, "-s", "-S", "-o", "/dev/null", "-w",
                        "%{http_code} %{size_download} %{speed_download}"]
                       + args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError("%s: curl failed (%d): %s"
                         % (what, r.returncode, r.stderr.strip()))
    code, size, speed = r.stdout.split()
    if code != "200" or int(size) != BODY_100M:
        raise BenchError("%s: got status %s and %s bytes, want 200 and %d"
                         % (what, code, size, BODY_100M))
    return float(speed) / 1e6


def bench_curl(args, what):
    """Median MB/s over REPEAT curl downloads of 100 MiB."""
    speeds = [bench_curl_once(args, what) for _ in range(REPEAT)]
    med = statistics.median(speeds)
    bench_log("  %s: %.1f MB/s (runs: %s)"
              % (what, med, ", ".join("%.1f" % s for s in speeds)))
    return med, speeds


def bench_read_response(s, want_body, what):
    buf = b""
    deadline = time.monotonic() + 10
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            raise BenchError("%s: no response headers" % what)
        d = s.recv(65536)
        if not d:
            raise BenchError("%s: connection closed before the response"
                             % what)
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n", 1)[0]
    if not re.match(rb"HTTP/1\.1 200 ", status):
        raise BenchError("%s: got %r" % (what, status))
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if not m or int(m.group(1)) != want_body:
        raise BenchError("%s: want Content-Length %d in %r"
                         % (what, want_body, head))
    if re.search(rb"(?im)^connection:\s*close", head):
        raise BenchError("%s: proxy refused keep-alive: %r" % (what, head))
    while len(body) < want_body:
        if time.monotonic() > deadline:
            raise BenchError("%s: body timed out" % what)
        d = s.recv(65536)
        if not d:
            raise BenchError("%s: body cut short" % what)
        body += d


def bench_fetch(bench, path, size, what, extra=()):
    """One curl GET of path through the proxy (extra: more curl options,
    such as -U for proxy credentials); it must be a 200 with exactly size
    bytes within 120 s.  Returns MB/s."""
    r = subprocess.run([CURL, "-s", "-S", "--max-time", "120",
                        "-o", "/dev/null", "-w",
                        "%{http_code} %{size_download} %{speed_download}",
                        "-x", "http://127.0.0.1:%d" % bench.proxy_port]
                       + list(extra) +
                       ["http://127.0.0.1:%d%s" % (bench.http_port, path)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError("%s: curl failed (%d): %s"
                         % (what, r.returncode, r.stderr.strip()))
    code, got, speed = r.stdout.split()
    if code != "200" or int(got) != size:
        raise BenchError("%s: got status %s and %s bytes, want 200 and %d"
                         % (what, code, got, size))
    return float(speed) / 1e6


def bench_new_conns(bench, proxy, path, size, total, threads=8):
    """total GETs of path, each on a new connection (Connection: close),
    from several threads at once; every response must be a 200 with size
    body bytes.  Returns requests/s.  wrk is no use here: its Lua
    thread:stop() does not shorten the run, and a fixed duration makes
    tens of thousands of connections that exhaust the ephemeral ports."""
    req = ("GET http://127.0.0.1:%d%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "User-Agent: cuttle-bench\r\nConnection: close\r\n\r\n"
           % (bench.http_port, path, bench.http_port)).encode()
    errors = []
    counter = iter(range(total))
    lock = threading.Lock()

    def one():
        s = socket.create_connection(("127.0.0.1", bench.proxy_port),
                                     timeout=10)
        try:
            s.sendall(req)
            buf = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        finally:
            s.close()
        head, _, body = buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 ") or len(body) != size:
            raise BenchError("%s: new-connection GET %s got %r and %d body "
                             "bytes, want 200 and %d"
                             % (proxy.name, path, head[:60], len(body), size))

    def loop():
        while True:
            with lock:
                if errors or next(counter, None) is None:
                    return
            try:
                one()
            except (OSError, BenchError) as e:
                with lock:
                    errors.append(e)
                return

    t0 = time.monotonic()
    ts = [threading.Thread(target=loop) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    el = time.monotonic() - t0
    if errors:
        raise BenchError(str(errors[0]))
    rps = total / el
    bench_log("  %s: workers 2 memory hit %s, new connection each: %d "
              "requests from %d threads in %.2fs, %.0f req/s"
              % (proxy.name, path, total, threads, el, rps))
    return {"rps": rps, "requests": total}


def bench_read_http(sock, what, deadline):
    """One HTTP/1.1 response with a Content-Length from sock (plain or
    TLS); returns (status line, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            raise BenchError("%s: no response headers in time" % what)
        d = sock.recv(65536)
        if not d:
            raise BenchError("%s: closed before the response headers (%r)"
                             % (what, buf[:80]))
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if not m:
        raise BenchError("%s: no Content-Length in %r" % (what, head[:200]))
    want = int(m.group(1))
    while len(body) < want:
        if time.monotonic() > deadline:
            raise BenchError("%s: body timed out" % what)
        d = sock.recv(65536)
        if not d:
            raise BenchError("%s: body cut short" % what)
        body += d
    return head.split(b"\r\n", 1)[0], body


def bench_connect_tls(proxy, hosts, port, cafile, path, body, seconds,
                      threads):
    """Each name of hosts (an iterator, consumed in order) on a new client
    connection: CONNECT name:port, a TLS handshake with whatever answers
    inside the tunnel, verified against cafile alone and the name (so a
    bump must show a certificate for the name signed by the bump CA, and a
    tunnel the origin's own), one GET of path that must return exactly
    body, then close.  threads connections at a time, until hosts runs out
    or seconds pass.  Returns the connections made, the wall time, and
    the CPU seconds spent meanwhile by the proxy's processes (master,
    workers, helpers; and its system and helper parts) and by this
    client.  Any failure is an error: the
    figure would not measure what it claims."""
    ctx = ssl.create_default_context(cafile=cafile)
    lock = threading.Lock()
    errors = []
    done = [0]
    end = time.monotonic() + seconds

    def one(host):
        what = "%s: CONNECT %s:%d" % (proxy.name, host, port)
        deadline = time.monotonic() + 30
        s = socket.create_connection(("127.0.0.1", proxy.bench.proxy_port),
                                     timeout=30)
        try:
            s.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
                       % (host, port, host, port)).encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = s.recv(4096)
                if not d:
                    raise BenchError("%s: closed before the CONNECT reply"
                                     % what)
                buf += d
            head, _, rest = buf.partition(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200") or rest:
                raise BenchError("%s: got %r" % (what, buf[:120]))
            t = ctx.wrap_socket(s, server_hostname=host)
            s = t
            t.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: "
                       "cuttle-bench\r\nConnection: close\r\n\r\n"
                       % (path, host, port)).encode())
            status, got = bench_read_http(t, what, deadline)
            if not status.startswith(b"HTTP/1.1 200 ") or got != body:
                raise BenchError("%s: GET %s got %r with %d body bytes"
                                 % (what, path, status, len(got)))
        except (OSError, ssl.SSLError) as e:
            raise BenchError("%s: %s" % (what, e)) from e
        finally:
            s.close()

    def loop():
        while True:
            with lock:
                host = None if errors or time.monotonic() > end else \
                    next(hosts, None)
            if host is None:
                return
            try:
                one(host)
            except BenchError as e:
                with lock:
                    errors.append(e)
                return
            with lock:
                done[0] += 1

    cpu0 = bench_tree_cpu(proxy.proc.pid)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    ts = [threading.Thread(target=loop) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    # Let the proxy finish the last closes before reading its CPU time.
    time.sleep(0.3)
    cpu1 = bench_tree_cpu(proxy.proc.pid)
    if errors:
        raise BenchError(str(errors[0]))
    if done[0] == 0:
        raise BenchError("%s: no connection completed" % proxy.name)
    user, system, helpers = bench_tree_cpu_delta(cpu0, cpu1)
    return {"conns": done[0], "wall_s": wall,
            "proxy_cpu_s": user + system, "proxy_sys_s": system,
            "proxy_helper_s": helpers,
            "client_cpu_s": (ru1.ru_utime + ru1.ru_stime
                             - ru0.ru_utime - ru0.ru_stime)}
