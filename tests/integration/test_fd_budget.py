"""Running short of file descriptors: the proxy backs off instead of spinning
and keeps descriptors for itself."""

import os
import socket
import time


from helpers import get, wait_for

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

