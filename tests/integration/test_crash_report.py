"""A cuttle process that dies of a fatal signal says so in cache.log: the
signal, its role and pid, and a backtrace, before the master restarts it."""

import os
import re
import signal

import pytest

from helpers import get, wait_for

from proxyproc import cuttle_binary

pytestmark = pytest.mark.cuttle_only(reason="cuttle's own crash report")


def _sanitized():
    """AddressSanitizer keeps SEGV for its own report (crash.c steps aside)."""
    try:
        with open(cuttle_binary(), "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _not_under_asan():
    if _sanitized():
        pytest.skip("an AddressSanitizer build reports fatal signals itself")


def _report(proxy, role, pid):
    pat = re.compile(r"\| FATAL: %s \(pid %d\) received signal 11 \(SIGSEGV\); "
                     r"backtrace follows\n(.+\n)" % (role, pid))
    return wait_for(lambda: pat.search(proxy.cache_log), 5.0)


def test_worker_crash_is_reported_and_restarted(proxy, origin):
    p = proxy()
    [pid] = wait_for(p.worker_pids, 5.0)
    # a child killed before it has become the worker reports as the
    # master it was forked from (CI once caught it there)
    assert wait_for(lambda: "kid1| worker ready" in p.cache_log, 5.0)
    os.kill(pid, signal.SIGSEGV)
    m = _report(p, "worker", pid)
    assert m, p.cache_log
    # the line carries the kid tag like every worker line
    assert re.search(r"\d\d:\d\d:\d\d kid1\| FATAL: worker \(pid %d\)" % pid, p.cache_log)
    # backtrace_symbols_fd's frame lines: "binary(+0x...)[0x...]"
    assert re.search(r"\[0x[0-9a-f]+\]", m.group(1)), m.group(0)
    assert wait_for(lambda: "exited due to signal 11" in p.cache_log, 5.0)
    new = wait_for(lambda: [w for w in p.worker_pids() if w != pid] or None, 10.0)
    assert new
    assert wait_for(lambda: get(p.port, origin.url("/bytes/5")).status == 200, 10.0)


def test_single_process_crash_is_reported(proxy):
    p = proxy(single=True)
    # the port listens before the process becomes the worker
    assert wait_for(lambda: "worker ready" in p.cache_log, 5.0)
    os.kill(p.proc.pid, signal.SIGSEGV)
    assert _report(p, "worker", p.proc.pid), p.cache_log
    assert p.proc.wait(5) == -signal.SIGSEGV


def test_store_crash_is_reported(proxy, workdir):
    p = proxy("cache_dir ufs %s/cache 10 16 256\n" % workdir, make_dirs=True)
    pid = wait_for(p.store_pid, 5.0)
    assert pid
    os.kill(pid, signal.SIGSEGV)
    assert _report(p, "store", pid), p.cache_log
