"""The foundation scenarios, where nothing is cached: 1 KiB GET requests/s,
100 MiB GET MB/s, 100 MiB through a CONNECT tunnel against a direct
download, and RSS per idle keep-alive connection, run for one proxy and
then checked against its access.log.
"""

import re
import socket
import statistics
import subprocess
import time

from bench_client import (bench_curl, bench_curl_once, bench_read_response,
                          bench_wrk_run)
from bench_common import (BODY_100M, CURL, IDLE_CONNS, REPEAT, BenchError,
                          bench_log, bench_rss_kib)


def bench_warm(proxy_port, http_port):
    for _ in range(5):
        r = subprocess.run([CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            "-x", "http://127.0.0.1:%d" % proxy_port,
                            "http://127.0.0.1:%d/warm" % http_port],
                           capture_output=True, text=True, timeout=30)
        if r.stdout != "200":
            raise BenchError("warm-up request through proxy got %r"
                             % r.stdout)


def bench_wrk(bench, proxy):
    r = bench_wrk_run(bench, proxy, "/1k", "1k GET")
    proxy.results["get_1k"] = r
    return r["rps"]


def bench_tunnel(bench, proxy):
    """Tunnel and direct downloads alternated, so that both see the same
    machine load (the TLS work on both ends dominates on a small box)."""
    px = "http://127.0.0.1:%d" % bench.proxy_port
    url = "https://127.0.0.1:%d/100m" % bench.tls_port
    tun, direct = [], []
    for _ in range(REPEAT):
        direct.append(bench_curl_once(["-k", url], "direct 100 MiB HTTPS"))
        tun.append(bench_curl_once(["-k", "-p", "-x", px, url],
                                   "%s 100 MiB CONNECT tunnel" % proxy.name))
    tmed, dmed = statistics.median(tun), statistics.median(direct)
    bench_log("  %s 100 MiB CONNECT tunnel: %.1f MB/s (runs: %s); direct "
              "%.1f MB/s (runs: %s); tunnel/direct %.2f"
              % (proxy.name, tmed, ", ".join("%.1f" % x for x in tun), dmed,
                 ", ".join("%.1f" % x for x in direct), tmed / dmed))
    proxy.results["tunnel_100m"] = {"mbps": tmed, "runs": tun,
                                    "direct_mbps": dmed,
                                    "direct_runs": direct,
                                    "tunnel_over_direct": tmed / dmed}


def bench_idle(bench, proxy):
    """KiB of proxy RSS per idle keep-alive client connection."""
    req = ("GET http://127.0.0.1:%d/idle HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "User-Agent: cuttle-bench\r\n\r\n"
           % (bench.http_port, bench.http_port)).encode()
    time.sleep(1.0)
    before = bench_rss_kib(proxy.proc.pid)
    socks = []
    try:
        for i in range(IDLE_CONNS):
            s = socket.create_connection(("127.0.0.1", bench.proxy_port),
                                         timeout=10)
            s.sendall(req)
            bench_read_response(s, 16, "%s idle connection %d"
                                % (proxy.name, i))
            socks.append(s)
        time.sleep(2.0)
        after = bench_rss_kib(proxy.proc.pid)
        # Every connection must still be open and idle, or we did not
        # measure idle connections.
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
        if closed:
            raise BenchError("%s closed %d of %d idle connections during the "
                             "measurement" % (proxy.name, closed, IDLE_CONNS))
    finally:
        for s in socks:
            s.close()
    per = (after - before) / IDLE_CONNS
    bench_log("  %s: RSS %d KiB -> %d KiB with %d idle connections: %.2f KiB"
              " each" % (proxy.name, before, after, IDLE_CONNS, per))
    proxy.results["idle_conn"] = {"kib_per_conn": per, "rss_before_kib": before,
                                  "rss_after_kib": after, "conns": IDLE_CONNS}
    return per


def bench_check_log(bench, proxy, wrk_requests):
    """The access.log must show the requests we claim to have measured."""
    lines = proxy.access_log()

    def count(method, url, code, minbytes=0):
        n = 0
        for f in lines:
            if len(f) >= 7 and f[5] == method and f[6] == url and \
                    f[3] == code and int(f[4]) >= minbytes:
                n += 1
        return n

    base = "http://127.0.0.1:%d" % bench.http_port
    checks = [
        ("1k GET", count("GET", base + "/1k", "TCP_MISS/200"), wrk_requests,
         False),
        ("idle", count("GET", base + "/idle", "TCP_MISS/200"), IDLE_CONNS,
         True),
        ("100m GET", count("GET", base + "/100m", "TCP_MISS/200", BODY_100M),
         REPEAT, True),
        ("tunnel", count("CONNECT", "127.0.0.1:%d" % bench.tls_port,
                         "TCP_TUNNEL/200", BODY_100M), REPEAT, True),
    ]
    errors = []
    for what, got, want, exact in checks:
        ok = got == want if exact else got >= want
        bench_log("  %s access.log: %s %d line(s), want %s%d %s"
                  % (proxy.name, what, got, "" if exact else ">=", want,
                     "ok" if ok else "MISMATCH"))
        if not ok:
            errors.append("%s access.log: %d %s lines, want %s%d"
                          % (proxy.name, got, what, "" if exact else ">=",
                             want))
    codes = {}
    for f in lines:
        if len(f) >= 4:
            codes[f[3]] = codes.get(f[3], 0) + 1
    bench_log("  %s access.log result codes: %s" % (proxy.name, codes))
    proxy.results["access_log_codes"] = codes
    if errors:
        raise BenchError("; ".join(errors))


def bench_run_proxy(bench, proxy):
    bench_log("== %s: %s" % (proxy.name, " ".join(proxy.argv)))
    try:
        proxy.start()
        bench_warm(bench.proxy_port, bench.http_port)
        # Idle connections first, on a freshly started process, so earlier
        # transfers have not left free heap behind that hides the cost.
        bench_idle(bench, proxy)
        bench_wrk(bench, proxy)
        px = "http://127.0.0.1:%d" % bench.proxy_port
        med, runs = bench_curl(["-x", px, "http://127.0.0.1:%d/100m"
                                % bench.http_port],
                               "%s 100 MiB GET" % proxy.name)
        proxy.results["get_100m"] = {"mbps": med, "runs": runs}
        bench_tunnel(bench, proxy)
    except BaseException:
        proxy.stop(quiet=True)
        raise
    proxy.stop()
    bench_check_log(bench, proxy, proxy.results["get_1k"]["requests"])
    with open(proxy.out, errors="replace") as f:
        noisy = [l.rstrip() for l in f
                 if re.search(r"FATAL|assert|ERROR|died|exited|signal|crash",
                              l, re.I)]
    if noisy:
        bench_log("  %s stderr has suspicious lines (see %s):"
                  % (proxy.name, proxy.out))
        for l in noisy[:20]:
            bench_log("    " + l)
        proxy.results["suspicious_log_lines"] = noisy[:100]
