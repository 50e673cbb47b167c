"""Shared by the benchmark's modules: the environment knobs and tool paths,
the error that invalidates a run, logging, finding the cuttle binary,
raising RLIMIT_NOFILE, and the port and process helpers (free ports,
waiting for a listener, stopping a process, a process tree's RSS and CPU
time).
"""

import os
import resource
import shutil
import signal
import socket
import subprocess
import time


BODY_100M = 100 * 1024 * 1024
IDLE_CONNS = int(os.environ.get("BENCH_IDLE_CONNS", "1000"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNS = int(os.environ.get("BENCH_WRK_CONNS", "64"))
SMP_REQUESTS = int(os.environ.get("BENCH_SMP_REQUESTS", "2000"))
# The SslBump scenarios (BENCH_SCENARIOS=bump): see bench_bump.py.
BUMP_REPEAT = int(os.environ.get("BENCH_BUMP_REPEAT", "3"))
BUMP_CONNS = int(os.environ.get("BENCH_BUMP_CONNS", "2000"))
BUMP_COLD = int(os.environ.get("BENCH_BUMP_COLD", "1000"))
BUMP_PREFILL = int(os.environ.get("BENCH_BUMP_PREFILL", "10000"))
BUMP_PREFILL_HELPER = os.environ.get("BENCH_BUMP_PREFILL_HELPER", "squid")
BUMP_CLIENTS = int(os.environ.get("BENCH_BUMP_CLIENTS", "8"))
# Which bump scenarios run (all by default): warm, tunnel, cold.
BUMP_PHASES = os.environ.get("BENCH_BUMP_PHASES", "warm,tunnel,cold").split(",")
BUMP_VARIANTS = [x.strip() for x in
                 os.environ.get("BENCH_BUMP_VARIANTS",
                                "squid,cuttle,cuttle-worker").split(",")
                 if x.strip()]
SCENARIOS = [x.strip() for x in
             os.environ.get("BENCH_SCENARIOS", "foundation,cache").split(",")
             if x.strip()]
# The cacheable objects, served under /c/ with Cache-Control: max-age=3600.
CACHE_OBJECTS = {"1k": 1024, "64k": 64 * 1024, "100m": BODY_100M}
SQUID = os.environ.get("SQUID", "/usr/sbin/squid")
SQUID_CERTGEN = os.environ.get("SQUID_CERTGEN",
                               "/usr/lib/squid/security_file_certgen")
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
WRK = os.environ.get("WRK", shutil.which("wrk") or "/usr/bin/wrk")
CURL = os.environ.get("CURL", shutil.which("curl") or "/usr/bin/curl")
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class BenchError(Exception):
    """A measurement did not measure what it claims: the run is invalid."""


def bench_log(msg):
    print(msg, flush=True)


def bench_find_cuttle():
    # The committed script never guesses a private build directory: the
    # binary comes from $CUTTLE, else $CUTTLE_BUILDDIR/cuttle, else the
    # in-tree build next to the repository's configure output.
    if os.environ.get("CUTTLE"):
        path = os.environ["CUTTLE"]
    elif os.environ.get("CUTTLE_BUILDDIR"):
        path = os.path.join(os.environ["CUTTLE_BUILDDIR"], "cuttle")
    elif os.path.exists(os.path.join(REPO, "config.status")):
        path = os.path.join(REPO, "cuttle")
    else:
        raise BenchError("no cuttle binary: set CUTTLE=/path/to/cuttle or "
                         "CUTTLE_BUILDDIR=/path/to/builddir")
    if not os.access(path, os.X_OK):
        raise BenchError("cuttle binary %s is not executable" % path)
    return os.path.abspath(path)


def bench_free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bench_wait_port(port, proc, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError("%s exited with status %s before listening on "
                             "port %d" % (what, proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise BenchError("%s did not listen on 127.0.0.1:%d within %.0fs"
                     % (what, port, timeout))


def bench_raise_nofile():
    # 1000 idle clients plus the proxy's own sockets: the proxies inherit
    # this limit, and Python itself holds the 1000 client sockets.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < IDLE_CONNS + 200:
        raise BenchError("RLIMIT_NOFILE hard limit %d is too low for %d idle "
                         "connections" % (hard, IDLE_CONNS))


def bench_stop(proc, what, sig=signal.SIGTERM, timeout=20.0):
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        return proc.wait()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        bench_log("warning: %s (pid %d) ignored signal %d for %.0fs; killing"
                  % (what, proc.pid, sig, timeout))
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=10)


def bench_descendants(pid):
    """pid and all its descendants, read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def bench_rss_kib(pid):
    total = 0
    for p in bench_descendants(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


CLK_TCK = os.sysconf("SC_CLK_TCK")


def bench_tree_cpu(pid):
    """CPU time of pid and its descendants, from /proc: per process, its
    own user and system time, what it collected from children it reaped
    (cutime, cstime), in clock ticks, and whether it runs another program
    than pid (a helper)."""
    out = {}
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        exe = None
    for p in bench_descendants(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                stat = f.read()
            other = os.readlink("/proc/%d/exe" % p) != exe
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is field 3 (state): utime..cstime are fields 14-17.
        out[p] = tuple(int(x) for x in fields[11:15]) + (other,)
    return out


def bench_tree_cpu_delta(before, after):
    """(user, system, helpers) seconds of CPU the process tree spent
    between two bench_tree_cpu snapshots, helpers being the part (user and
    system) of processes running another program: a process that appeared
    counts whole, a child reaped meanwhile counts through its parent's
    cutime and cstime (with whatever it had spent before the first
    snapshot, a small overcount)."""
    user = system = helpers = 0
    for p, (ut, st, cut, cst, other) in after.items():
        ut0, st0, cut0, cst0, _ = before.get(p, (0, 0, cut, cst, other))
        user += ut - ut0 + cut - cut0
        system += st - st0 + cst - cst0
        if other:
            helpers += ut - ut0 + cut - cut0 + st - st0 + cst - cst0
    return user / CLK_TCK, system / CLK_TCK, helpers / CLK_TCK
