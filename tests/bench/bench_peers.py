"""The peers scenarios (BENCH_SCENARIOS=peers): interception, a parent
chain and an accelerator, each measured as requests/s and as the CPU
time the proxy (or proxies) spent per request, since wrk, the origin and
the proxy share the machine's cores.

- intercept: the proxy and an nginx origin on 10.201.2.1:80 run in a
  network namespace of their own; wrk runs in a second one whose traffic
  to port 80 is REDIRECTed (iptables, inside the proxy's namespace) to
  an `http_port ... intercept`; the same wrk, over the same veth, sends
  absolute-URI requests to a forward `http_port` of the same proxy
  process.  Both are 1 KiB misses to the same origin; intercepted lines
  must be logged ORIGINAL_DST, forwarded ones HIER_DIRECT.
- chain: two proxies on 127.0.0.1, the front with `cache_peer ... parent
  ... no-query no-digest` and `never_direct allow all` to the back;
  uncacheable 1 KiB responses, so both hops forward.  The CPU of both
  proxies counts.  The front must log *_PARENT, the back HIER_DIRECT.
- accel: `http_port ... accel defaultsite=bench.accel` and `cache_peer
  ... originserver` serving a cached 1 KiB object from cache_mem (logged
  TCP_MEM_HIT), against nginx `proxy_cache` (its log's
  $upstream_cache_status must say HIT) and Varnish (varnishstat's
  MAIN.cache_hit must count the requests) on the same origin.

Each proxy runs the same squid.conf files as the other; the figures of a
scenario come from one run, proxies one after the other.
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import time

from bench_client import bench_wrk_run
from bench_common import (CURL, NGINX, SQUID, BenchError, bench_free_port,
                          bench_log, bench_stop, bench_tree_cpu,
                          bench_tree_cpu_delta, bench_wait_port)
from bench_proxy import BenchProxy, bench_proxy_noise

PEERS_REPEAT = int(os.environ.get("BENCH_PEERS_REPEAT", "3"))
VARNISHD = os.environ.get("VARNISHD", shutil.which("varnishd")
                          or "/usr/sbin/varnishd")
VARNISHSTAT = os.environ.get("VARNISHSTAT", shutil.which("varnishstat")
                             or "/usr/bin/varnishstat")

# The interception network: client namespace 10.201.1.2, proxy namespace
# 10.201.1.1 on the veth and the origin's 10.201.2.1 on its lo.
TAG = "%d" % (os.getpid() % 100000)
NS_CL, NS_PX = "bcl" + TAG, "bpx" + TAG
CL_ADDR, PX_ADDR, ORIGIN = "10.201.1.2", "10.201.1.1", "10.201.2.1"
FWD_PORT, INT_PORT = 3128, 3129
ACCEL_SITE = "bench.accel"


def ns_run(*cmd, ns=None, check=True):
    argv = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    r = subprocess.run(argv, capture_output=True, timeout=30)
    if check and r.returncode != 0:
        raise BenchError("%s: %s" % (" ".join(argv),
                                     r.stderr.decode(errors="replace")
                                     .strip()))
    return r


def ns_setup():
    for ns in (NS_CL, NS_PX):
        ns_run("ip", "netns", "add", ns)
    ns_run("ip", "link", "add", "bc" + TAG, "type", "veth", "peer", "name",
           "bp" + TAG)
    ns_run("ip", "link", "set", "bc" + TAG, "netns", NS_CL)
    ns_run("ip", "link", "set", "bp" + TAG, "netns", NS_PX)
    for ns, dev, addr in ((NS_CL, "bc" + TAG, CL_ADDR + "/24"),
                          (NS_PX, "bp" + TAG, PX_ADDR + "/24")):
        ns_run("ip", "link", "set", "lo", "up", ns=ns)
        ns_run("ip", "addr", "add", addr, "dev", dev, ns=ns)
        ns_run("ip", "link", "set", dev, "up", ns=ns)
    ns_run("ip", "addr", "add", ORIGIN + "/32", "dev", "lo", ns=NS_PX)
    ns_run("ip", "route", "add", "default", "via", PX_ADDR, ns=NS_CL)
    ns_run("iptables", "-t", "nat", "-A", "PREROUTING", "-i", "bp" + TAG,
           "-p", "tcp", "-d", ORIGIN, "--dport", "80", "-j", "REDIRECT",
           "--to-ports", str(INT_PORT), ns=NS_PX)


def ns_teardown():
    for ns in (NS_CL, NS_PX):
        ns_run("ip", "netns", "del", ns, check=False)


def ns_listening(pid, port):
    """Whether the network namespace of pid has a TCP listener on port
    (read from /proc/PID/net/tcp: this script stays in its own)."""
    try:
        with open("/proc/%d/net/tcp" % pid) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == "0A" and \
                        int(fields[1].split(":")[1], 16) == port:
                    return True
    except OSError:
        pass
    return False


def ns_wait(proc, ports, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not all(ns_listening(proc.pid, p) for p in ports):
        if proc.poll() is not None:
            raise BenchError("%s exited with status %s before listening"
                             % (what, proc.returncode))
        if time.monotonic() > deadline:
            raise BenchError("%s did not listen on %s within %.0fs"
                             % (what, ports, timeout))
        time.sleep(0.1)


class Named:
    """What bench_wrk_run needs of a non-proxy: its name."""

    def __init__(self, name):
        self.name = name


def cpu_wrk(pids, run):
    """run() (a bench_wrk_run) with the CPU time of the process trees of
    pids meanwhile; adds cpu_s, sys_s and cpu_us (per request)."""
    before = {p: bench_tree_cpu(p) for p in pids}
    r = run()
    # Let the proxies finish the last requests before the second look.
    time.sleep(0.3)
    user = system = 0.0
    for p in pids:
        u, s, _ = bench_tree_cpu_delta(before[p], bench_tree_cpu(p))
        user += u
        system += s
    r["cpu_s"] = user + system
    r["sys_s"] = system
    r["cpu_us"] = 1e6 * (user + system) / r["requests"]
    r["sys_us"] = 1e6 * system / r["requests"]
    return r


def summary(runs, label, name):
    out = {"runs": runs}
    for k in ("rps", "cpu_us", "sys_us"):
        out[k] = statistics.median(r[k] for r in runs)
    out["requests"] = sum(r["requests"] for r in runs)
    bench_log("  %s: %s: %.0f req/s, proxy CPU %.1f us/request (system %.1f)"
              " (runs: %s)" % (name, label, out["rps"], out["cpu_us"],
                               out["sys_us"], ", ".join(
                                   "%.0f/s %.1f us" % (r["rps"], r["cpu_us"])
                                   for r in runs)))
    return out


def curl_ok(args, what, prefix=(), size=1024):
    """One curl GET (args after curl's own, prefix before it) that must
    return 200 and size bytes."""
    r = subprocess.run(list(prefix) + [CURL, "-s", "-S", "--max-time", "20",
                                       "-o", "/dev/null", "-w",
                                       "%{http_code} %{size_download}"]
                       + list(args), capture_output=True, text=True,
                       timeout=60)
    if r.stdout.split() != ["200", str(size)]:
        raise BenchError("%s: curl got %r %s, want 200 and %d bytes"
                         % (what, r.stdout, r.stderr.strip(), size))


def log_count(lines, want, url_end, code, hier=None, minbytes=1024):
    """access.log lines (Squid's native format) with the method GET, a URL
    ending in url_end, the code and at least minbytes, whose hierarchy
    field matches the regular expression hier."""
    n = 0
    for f in lines:
        if len(f) >= 9 and f[5] == "GET" and f[6].endswith(url_end) and \
                f[3] == code and int(f[4]) >= minbytes and \
                (hier is None or re.match(hier, f[8])):
            n += 1
    return n


def log_check(proxy, lines, checks):
    """checks: (what, got, want): got must be at least want (wrk may leave
    answered requests uncounted when it stops)."""
    errors = []
    for what, got, want in checks:
        ok = got >= want
        bench_log("  %s access.log: %s %d line(s), want >=%d %s"
                  % (proxy.name, what, got, want, "ok" if ok else "MISMATCH"))
        if not ok:
            errors.append("%s access.log: %d %s lines, want >=%d"
                          % (proxy.name, got, what, want))
    codes = {}
    for f in lines:
        if len(f) >= 9:
            k = "%s %s" % (f[3], f[8].split("/")[0])
            codes[k] = codes.get(k, 0) + 1
    bench_log("  %s access.log codes and hierarchy: %s" % (proxy.name, codes))
    if errors:
        raise BenchError("; ".join(errors))
    return codes


def proxy_argv(kind, cuttle, conf, svc=None):
    if kind == "cuttle":
        return [cuttle, "--foreground", "-f", conf]
    return [SQUID, "-N"] + (["-n", svc] if svc else []) + ["-f", conf]


def run_proxies(proxies, body):
    """Start proxies in order, run body(), stop them in reverse order (an
    error stops them quietly first) and report their suspicious lines."""
    started = []
    try:
        for p in proxies:
            bench_log("== %s: %s" % (p.name, " ".join(p.argv)))
            p.start()
            started.append(p)
        out = body()
    except BaseException:
        for p in reversed(started):
            p.stop(quiet=True)
        raise
    for p in reversed(started):
        p.stop()
        bench_proxy_noise(p)
    return out


# -- interception -----------------------------------------------------------

def ns_origin_start(bench):
    """nginx in the proxy's namespace on ORIGIN:80, serving the bench's
    files (nothing cacheable outside /c/)."""
    conf = os.path.join(bench.dir, "ns-nginx.conf")
    with open(conf, "w") as f:
        f.write("""\
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 65536;
pid %(dir)s/ns-nginx.pid;
error_log %(dir)s/ns-nginx.error.log;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    default_type application/octet-stream;
    client_body_temp_path %(dir)s/ngx_body;
    proxy_temp_path %(dir)s/ngx_proxy;
    fastcgi_temp_path %(dir)s/ngx_fastcgi;
    uwsgi_temp_path %(dir)s/ngx_uwsgi;
    scgi_temp_path %(dir)s/ngx_scgi;
    server {
        listen %(origin)s:80;
        root %(www)s;
        add_header Cache-Control "no-store, private" always;
    }
}
""" % {"dir": bench.dir, "www": bench.www, "origin": ORIGIN})
    p = subprocess.Popen(["ip", "netns", "exec", NS_PX, NGINX, "-c", conf,
                          "-p", bench.dir, "-e",
                          os.path.join(bench.dir, "ns-nginx.error.log")],
                         stdin=subprocess.DEVNULL, start_new_session=True)
    ns_wait(p, [80], "nginx in %s" % NS_PX)
    return p


def intercept_one(bench, kind, mode, run, cuttle, env, conf):
    """One proxy process, one wrk load of 1 KiB misses from the client
    namespace: intercepted (origin-form to ORIGIN:80, REDIRECTed to the
    intercept port) or forward (absolute URIs to the forward port).  A
    process per load, so that its access.log holds that mode alone (Squid
    logs a forwarded request on a pooled server connection opened for an
    intercepted one as ORIGINAL_DST)."""
    proxy = BenchProxy(
        "%s.%s.%d" % (kind, mode, run),
        ["ip", "netns", "exec", NS_PX] + proxy_argv(kind, cuttle, conf),
        env, bench,
        listening=lambda p: ns_wait(p.proc, [FWD_PORT, INT_PORT], p.name))
    incl = ["ip", "netns", "exec", NS_CL]
    url = "http://%s/1k" % ORIGIN
    if mode == "intercept":
        curl = [url]
        wrk = dict(target="/1k", url="http://%s/" % ORIGIN)
        hier = "ORIGINAL_DST"
    else:
        curl = ["-x", "http://%s:%d" % (PX_ADDR, FWD_PORT), url]
        wrk = dict(target=url, url="http://%s:%d/" % (PX_ADDR, FWD_PORT))
        hier = "HIER_DIRECT"
    res = []

    def body():
        for _ in range(3):
            curl_ok(curl, "%s warm-up" % proxy.name, incl)
        res.append(cpu_wrk([proxy.proc.pid], lambda: bench_wrk_run(
            bench, proxy, "/1k", "%s 1k GET" % mode, host=ORIGIN,
            prefix=incl, **wrk)))

    run_proxies([proxy], body)
    lines = proxy.access_log()
    n = res[0]["requests"]
    res[0]["codes"] = log_check(proxy, lines, [
        ("TCP_MISS/200 %s/%s" % (hier, ORIGIN),
         log_count(lines, n, url, "TCP_MISS/200",
                   r"%s/%s$" % (hier, re.escape(ORIGIN))), n)])
    return res[0]


def intercept_proxy(bench, kind, cuttle, env):
    conf = bench.conf_write(
        "intercept.conf", "workers 1\ncache deny all\n",
        port_line="http_port %s:%d\nhttp_port %s:%d intercept"
        % (PX_ADDR, FWD_PORT, PX_ADDR, INT_PORT))
    runs = {"intercept": [], "forward": []}
    # Alternated, so that both modes see the same machine load.
    for i in range(PEERS_REPEAT):
        for mode in ("intercept", "forward"):
            runs[mode].append(intercept_one(bench, kind, mode, i + 1, cuttle,
                                            env, conf))
    return {mode: summary(runs[mode], "%s 1k GET" % mode,
                          "%s.%s" % (kind, mode)) for mode in runs}


def bench_intercept(bench, cuttle, env):
    if os.geteuid() != 0:
        raise BenchError("intercept: needs root (network namespaces, "
                         "iptables)")
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            raise BenchError("intercept: %s is not installed" % tool)
    out = {}
    origin = None
    try:
        ns_setup()
        origin = ns_origin_start(bench)
        for kind in ("cuttle", "squid"):
            out[kind] = intercept_proxy(bench, kind, cuttle,
                                        env if kind == "cuttle"
                                        else dict(os.environ))
    finally:
        if origin is not None:
            bench_stop(origin, "nginx in %s" % NS_PX, signal.SIGQUIT)
        ns_teardown()
    return out


# -- parent chain -----------------------------------------------------------

def chain_one(bench, kind, cuttle, env, back_port, confs):
    procs = []
    for hop in ("back", "front"):
        logdir = os.path.join(bench.dir, hop)
        svc = "%s%d" % (hop, os.getpid())
        port = back_port if hop == "back" else bench.proxy_port
        procs.append(BenchProxy(
            "%s.chain-%s" % (kind, hop),
            proxy_argv(kind, cuttle, confs[hop], svc), env, bench, logdir,
            listening=lambda p, port=port: bench_wait_port(
                port, p.proc, p.name, 30.0)))
    back, front = procs
    runs = []

    def body():
        for _ in range(3):
            curl_ok(["-x", "http://127.0.0.1:%d" % bench.proxy_port,
                     "http://127.0.0.1:%d/1k" % bench.http_port],
                    "%s chain warm-up" % kind)
        pids = [front.proc.pid, back.proc.pid]
        for _ in range(PEERS_REPEAT):
            runs.append(cpu_wrk(pids, lambda: bench_wrk_run(
                bench, front, "/1k", "1k GET through the chain")))

    run_proxies([back, front], body)
    n = sum(r["requests"] for r in runs)
    url = "http://127.0.0.1:%d/1k" % bench.http_port
    fl, bl = front.access_log(), back.access_log()
    codes = {"front": log_check(front, fl, [
        ("TCP_MISS/200 *_PARENT/127.0.0.1",
         log_count(fl, n, url, "TCP_MISS/200", r"[A-Z_]+_PARENT/127\.0\.0\.1$"),
         n)]),
        "back": log_check(back, bl, [
            ("TCP_MISS/200 HIER_DIRECT/127.0.0.1",
             log_count(bl, n, url, "TCP_MISS/200",
                       r"HIER_DIRECT/127\.0\.0\.1$"), n)])}
    out = summary(runs, "1k GET through two %s" % kind, kind + ".chain")
    out["codes"] = codes
    return out


def bench_chain(bench, cuttle, env):
    back_port = bench_free_port()
    confs = {}
    for hop in ("front", "back"):
        logdir = os.path.join(bench.dir, hop)
        os.makedirs(logdir, exist_ok=True)
        os.chmod(logdir, 0o777)
    # Each hop its own unique_hostname: two proxies of one name would see
    # their own name in the Via and refuse a forwarding loop.
    confs["back"] = bench.conf_write(
        "chain-back.conf", "workers 1\ncache deny all\n"
        "unique_hostname bench-back\n",
        logdir=os.path.join(bench.dir, "back"),
        port_line="http_port 127.0.0.1:%d" % back_port)
    confs["front"] = bench.conf_write(
        "chain-front.conf", "workers 1\ncache deny all\n"
        "unique_hostname bench-front\n"
        "cache_peer 127.0.0.1 parent %d 0 no-query no-digest\n"
        "never_direct allow all\n" % back_port,
        logdir=os.path.join(bench.dir, "front"))
    return {kind: chain_one(bench, kind, cuttle,
                            env if kind == "cuttle" else dict(os.environ),
                            back_port, confs)
            for kind in ("cuttle", "squid")}


# -- accelerator ------------------------------------------------------------

def accel_wrk(bench, who, pids, port):
    return [cpu_wrk(pids, lambda: bench_wrk_run(
        bench, who, "/c/1k", "accel memory hit 1k", target="/c/1k",
        host=ACCEL_SITE, url="http://127.0.0.1:%d/" % port))
        for _ in range(PEERS_REPEAT)]


def accel_warm(port, what):
    curl_ok(["-H", "Host: " + ACCEL_SITE,
             "http://127.0.0.1:%d/c/1k" % port], what)


def accel_proxy(bench, kind, cuttle, env):
    conf = bench.conf_write(
        "accel.conf", "workers 1\ncache_mem 64 MB\n"
        "cache_peer 127.0.0.1 parent %d 0 no-query no-digest originserver "
        "name=origin\nnever_direct allow all\n" % bench.http_port,
        port_opts="accel defaultsite=%s" % ACCEL_SITE)
    proxy = BenchProxy("%s.accel" % kind, proxy_argv(kind, cuttle, conf),
                       env, bench)
    runs = []

    def body():
        accel_warm(bench.proxy_port, proxy.name + " warm-up")
        time.sleep(0.5)
        runs.extend(accel_wrk(bench, proxy, [proxy.proc.pid],
                              bench.proxy_port))

    run_proxies([proxy], body)
    n = sum(r["requests"] for r in runs)
    lines = proxy.access_log()
    url = "http://%s/c/1k" % ACCEL_SITE
    firsts = [f for f in lines if len(f) >= 9 and f[6] == url][:1]
    warm = firsts[0][3] + " " + firsts[0][8] if firsts else None
    codes = log_check(proxy, lines, [
        ("warm-up TCP_MISS/200 FIRSTUP_PARENT/127.0.0.1 as first",
         1 if warm and warm.startswith("TCP_MISS/200 ")
         and "PARENT/127.0.0.1" in warm else 0, 1),
        ("TCP_MEM_HIT/200 of %s" % url,
         log_count(lines, n, url, "TCP_MEM_HIT/200", r"HIER_NONE/"), n)])
    out = summary(runs, "accel memory hit 1k", proxy.name)
    out["codes"] = codes
    return out


def accel_nginx(bench):
    port = bench_free_port()
    log = os.path.join(bench.dir, "nginx-accel.access.log")
    conf = os.path.join(bench.dir, "nginx-accel.conf")
    cache = os.path.join(bench.dir, "ngx_cache")
    with open(conf, "w") as f:
        f.write("""\
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 65536;
pid %(dir)s/nginx-accel.pid;
error_log %(dir)s/nginx-accel.error.log;
events { worker_connections 16384; }
http {
    log_format cache '$upstream_cache_status $status $body_bytes_sent '
                     '$request_uri';
    # Buffered as the proxies' own access.log writes are.
    access_log %(log)s cache buffer=64k;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path %(dir)s/ngxa_body;
    proxy_temp_path %(dir)s/ngxa_proxy;
    fastcgi_temp_path %(dir)s/ngxa_fastcgi;
    uwsgi_temp_path %(dir)s/ngxa_uwsgi;
    scgi_temp_path %(dir)s/ngxa_scgi;
    proxy_cache_path %(cache)s levels=1:2 keys_zone=bench:10m max_size=256m;
    server {
        listen 127.0.0.1:%(port)d;
        location / {
            proxy_pass http://127.0.0.1:%(origin)d;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bench;
        }
    }
}
""" % {"dir": bench.dir, "log": log, "cache": cache, "port": port,
       "origin": bench.http_port})
    who = Named("nginx.accel")
    bench_log("== nginx.accel: proxy_cache on 127.0.0.1:%d" % port)
    p = subprocess.Popen([NGINX, "-c", conf, "-p", bench.dir, "-e",
                          os.path.join(bench.dir, "nginx-accel.error.log")],
                         stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        bench_wait_port(port, p, who.name)
        time.sleep(0.5)
        accel_warm(port, "nginx.accel warm-up")
        time.sleep(0.5)
        runs = accel_wrk(bench, who, [p.pid], port)
    finally:
        bench_stop(p, who.name, signal.SIGQUIT)
    n = sum(r["requests"] for r in runs)
    kinds = {}
    with open(log) as f:
        rows = [l.split() for l in f if l.strip()]
    for r in rows:
        kinds[r[0]] = kinds.get(r[0], 0) + 1
    hits = sum(1 for r in rows[1:] if r[:3] == ["HIT", "200", "1024"])
    first = rows[0][0] if rows else None
    bench_log("  nginx.accel log: first %s, then %s; full-size HIT %d, want "
              ">=%d %s" % (first, kinds, hits, n,
                           "ok" if hits >= n and first == "MISS"
                           else "MISMATCH"))
    if hits < n or first != "MISS":
        raise BenchError("nginx.accel: %d full-size HIT lines after a %s, "
                         "want >=%d after a MISS" % (hits, first, n))
    out = summary(runs, "accel memory hit 1k", who.name)
    out["codes"] = kinds
    return out


def varnish_stat(workdir):
    r = subprocess.run([VARNISHSTAT, "-n", workdir, "-1", "-f",
                        "MAIN.cache_hit", "-f", "MAIN.cache_miss", "-f",
                        "MAIN.client_req"], capture_output=True, text=True,
                       timeout=30)
    out = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 2:
            out[f[0]] = int(f[1])
    if len(out) != 3:
        raise BenchError("varnishstat: %r %s" % (r.stdout, r.stderr))
    return out


def accel_varnish(bench):
    port = bench_free_port()
    workdir = os.path.join(bench.dir, "varnish")
    who = Named("varnish.accel")
    argv = [VARNISHD, "-F", "-n", workdir, "-a", "127.0.0.1:%d" % port,
            "-b", "127.0.0.1:%d" % bench.http_port, "-s", "malloc,64m"]
    bench_log("== %s: %s" % (who.name, " ".join(argv)))
    out_f = open(os.path.join(bench.dir, "varnish.stderr"), "w")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out_f,
                         stderr=subprocess.STDOUT, start_new_session=True,
                         cwd=bench.dir)
    try:
        bench_wait_port(port, p, who.name, 30.0)
        time.sleep(1.0)
        accel_warm(port, "varnish.accel warm-up")
        s0 = varnish_stat(workdir)
        runs = accel_wrk(bench, who, [p.pid], port)
        s1 = varnish_stat(workdir)
    finally:
        bench_stop(p, who.name)
        out_f.close()
    n = sum(r["requests"] for r in runs)
    d = {k: s1[k] - s0[k] for k in s1}
    ok = s0["MAIN.cache_miss"] == 1 and d["MAIN.cache_hit"] >= n and \
        d["MAIN.cache_miss"] == 0
    bench_log("  varnish.accel varnishstat: warm-up misses %d; during the "
              "load %s; want >=%d hits, no miss %s"
              % (s0["MAIN.cache_miss"], d, n, "ok" if ok else "MISMATCH"))
    if not ok:
        raise BenchError("varnish.accel: %s after %d warm-up misses, want "
                         ">=%d hits and no miss" % (d, s0["MAIN.cache_miss"],
                                                    n))
    out = summary(runs, "accel memory hit 1k", who.name)
    out["codes"] = d
    return out


def bench_accel(bench, cuttle, env):
    for tool in (VARNISHD, VARNISHSTAT):
        if not os.access(tool, os.X_OK):
            raise BenchError("%s not found (apt-get install varnish)" % tool)
    return {"cuttle": accel_proxy(bench, "cuttle", cuttle, env),
            "squid": accel_proxy(bench, "squid", cuttle, dict(os.environ)),
            "nginx": accel_nginx(bench),
            "varnish": accel_varnish(bench)}


def bench_peers_phase(bench, cuttle, env):
    """The three peers scenarios; returns {scenario: {who: results}}."""
    bench_log("== peers: wrk -t/-c as the other scenarios, %d runs of each "
              "figure (median), CPU of the proxy's process tree per request"
              % PEERS_REPEAT)
    return {"intercept": bench_intercept(bench, cuttle, env),
            "chain": bench_chain(bench, cuttle, env),
            "accel": bench_accel(bench, cuttle, env)}
