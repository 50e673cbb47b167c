"""Processes: workers, signals through -k, reconfigure, rotate, privileges.

Tests that need a master with worker kids are cuttle_only: Squid runs here
as one `-N` process (SMP Squid needs system-wide IPC directories).
"""

import os
import pwd
import signal
import subprocess
import threading
import time

import pytest

from helpers import exchange, get, wait_for
from proxyproc import SQUID, cuttle_binary, proxy_env


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            # The command may hold spaces; ppid is the 2nd field after ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return sorted(out)


def serving_pids(p):
    """The processes that serve requests: the master's kids, or -N's single process."""
    kids = wait_for(lambda: children(p.pid), 5.0) if p.impl != "squid" else None
    return kids or [p.pid]


def uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return []


def ok(p, origin, path="/bytes/10"):
    return get(p.port, origin.url(path)).status == 200


MASTER_ONLY = pytest.mark.cuttle_only(reason="Squid runs as one -N process here")


@MASTER_ONLY
def test_workers_started(proxy, origin):
    p = proxy(workers=2)
    assert len(wait_for(lambda: len(children(p.pid)) == 2 and children(p.pid), 5.0) or []) == 2
    for _ in range(6):
        assert ok(p, origin)


@MASTER_ONLY
def test_killed_worker_replaced(proxy, origin):
    p = proxy(workers=1)
    (old,) = serving_pids(p)
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: [k for k in children(p.pid) if k != old], 10.0)
    assert new, "no replacement worker\n" + p.cache_log
    assert wait_for(lambda: ok(p, origin), 5.0)
    assert p.proc.poll() is None


@pytest.mark.cuttle_only(reason="Squid 5.7 exits on a bad config at reconfigure")
def test_reconfigure_with_invalid_file_keeps_serving(proxy, origin):
    p = proxy()
    assert ok(p, origin)
    with open(p.conf, "a") as f:
        f.write("no_such_directive on\n")
    # SIGHUP is what `-k reconfigure` sends; sent directly so the test does
    # not depend on whether -k itself refuses the bad file.
    p.signal(signal.SIGHUP)
    assert wait_for(lambda: "no_such_directive" in p.cache_log, 5.0), p.cache_log
    for _ in range(3):
        assert ok(p, origin)
    assert p.proc.poll() is None


def test_reconfigure_under_load_drops_nothing(proxy, origin):
    p = proxy(workers=2)
    results = []
    stop = time.monotonic() + 3.0

    def client():
        while time.monotonic() < stop:
            try:
                results.append(get(p.port, origin.url("/slow/0.05")).status)
            except OSError as e:
                results.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    assert p.ctl("reconfigure").returncode == 0
    for t in threads:
        t.join(10)
    assert results and all(s == 200 for s in results), results
    assert ok(p, origin)


RESTART_ONLY = ("WARNING: Changing '%s' (from %s to %s) requires a full restart. "
                "It has been ignored by reconfigure.")


@pytest.mark.cuttle_only(reason="Squid 5.7 warns so for workers alone; it says nothing of "
                         "cache_mem or pid_filename")
@pytest.mark.parametrize("single", [False, True], ids=["master", "single"])
def test_reconfigure_keeps_restart_only_values(proxy, origin, single):
    p = proxy(workers=2, single=single)
    assert ok(p, origin)
    before = sorted(serving_pids(p))
    other_pid = os.path.join(p.dir, "other.pid")
    with open(p.conf) as f:
        text = f.read()
    text = text.replace("pid_filename " + p.pid_file, "pid_filename " + other_pid)
    text = text.replace("http_access allow localhost", "http_access deny localhost")
    with open(p.conf, "w") as f:
        f.write(text + "cache_mem 8 MB\n")
    # -k would look for the instance in the new pid file: signal it directly
    p.signal(signal.SIGHUP)
    warnings = [RESTART_ONLY % ("cache_mem", "256 MB", "8 MB"),
                RESTART_ONLY % ("pid_filename", p.pid_file, other_pid)]
    assert wait_for(lambda: all(w in p.cache_log for w in warnings), 5.0), p.cache_log
    # the rest of the file applies in the same reconfigure
    assert wait_for(lambda: get(p.port, origin.url("/")).status == 403, 5.0)
    if not single:
        assert wait_for(lambda: len(children(p.pid)) == 2 and
                        not set(children(p.pid)) & set(before), 10.0), p.cache_log
    # the running pid file is the one a shutdown removes
    p.shutdown()
    assert p.proc.poll() is not None, p.diagnostics()
    assert not os.path.exists(p.pid_file)
    assert not os.path.exists(other_pid)


@MASTER_ONLY
def test_reconfigure_changes_workers(proxy, origin):
    # Squid 5.7 keeps its worker count until a restart (RESTART_ONLY, for
    # workers); a new cuttle generation simply has the new count.
    p = proxy(workers=1)
    (old,) = serving_pids(p)
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace("workers 1\n", "workers 2\n"))
    assert p.ctl("reconfigure").returncode == 0
    kids = wait_for(lambda: len(children(p.pid)) == 2 and old not in children(p.pid)
                    and children(p.pid), 10.0)
    assert kids, p.cache_log
    assert "requires a full restart" not in p.cache_log
    assert ok(p, origin)


def test_squid_words_for_a_restart_only_change(squid_proxy):
    # RESTART_ONLY is Squid's line, checked against the real one: Squid
    # 5.7 says it of workers, even under -N.
    p = squid_proxy()
    with open(p.conf, "a") as f:
        f.write("workers 2\n")
    assert p.ctl("reconfigure").returncode == 0
    want = RESTART_ONLY % ("workers", "1", "2")
    assert wait_for(lambda: want in p.cache_log, 10.0), p.cache_log


def test_single_process_mode(proxy, origin):
    p = proxy(single=True)
    assert ok(p, origin)
    assert children(p.pid) == []
    assert p.master_pid() == p.pid


def test_rotate_keeps_generations(proxy, origin):
    p = proxy("logfile_rotate 2\n")
    log = p.access_log
    get(p.port, origin.url("/bytes/1"))
    p.access_log_lines(1)
    assert p.ctl("rotate").returncode == 0
    assert wait_for(lambda: os.path.exists(log + ".0"), 5.0)
    get(p.port, origin.url("/bytes/2"))
    assert "/bytes/2" in p.access_log_lines(1)[0]
    assert p.ctl("rotate").returncode == 0
    assert wait_for(lambda: os.path.exists(log + ".1"), 5.0)
    with open(log + ".0") as f0, open(log + ".1") as f1:
        assert "/bytes/2" in f0.read()
        assert "/bytes/1" in f1.read()
    get(p.port, origin.url("/bytes/3"))
    assert "/bytes/3" in p.access_log_lines(1)[0]
    # cache.log rotates with it.
    assert os.path.exists(p.cache_log_path + ".0")
    assert os.path.exists(p.cache_log_path + ".1")


def test_k_check_and_shutdown(proxy, origin):
    p = proxy()
    assert p.master_pid() == p.pid
    assert p.ctl("check").returncode == 0
    assert p.ctl("shutdown").returncode == 0
    try:
        p.proc.wait(6)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 6 s after -k shutdown with shutdown_lifetime 1 second")
    assert not os.path.exists(p.pid_file)


def group_members(pgid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def test_interrupt_stops_every_process(proxy, origin):
    p = proxy(workers=2)
    assert ok(p, origin)
    p.signal(signal.SIGINT)
    p.proc.wait(5)
    # Reaped workers vanish from /proc; none may outlive the master.
    assert wait_for(lambda: not group_members(p.pid), 5.0), group_members(p.pid)


def test_k_check_without_running_instance_fails(proxy):
    p = proxy(start=False)
    r = p.ctl("check")
    assert r.returncode != 0


def test_parse_stock_debian_config(impl):
    if not os.path.exists("/etc/squid/squid.conf"):
        pytest.skip("no /etc/squid/squid.conf")
    binary = SQUID if impl == "squid" else cuttle_binary()
    r = subprocess.run([binary, "-k", "parse", "-f", "/etc/squid/squid.conf"],
                       capture_output=True, text=True, timeout=30, env=proxy_env())
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_drops_to_cache_effective_user(proxy, origin):
    p = proxy()
    assert ok(p, origin)
    proxy_uid = pwd.getpwnam("proxy").pw_uid
    for pid in serving_pids(p):
        real, effective, saved, fs = uids(pid)
        assert effective == proxy_uid, pid
        # Squid 5.7 keeps root as its saved uid (to reopen ports on
        # reconfigure); cuttle's workers give root up for good.
        if p.impl != "squid":
            assert (real, saved, fs) == (proxy_uid,) * 3, pid


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
@pytest.mark.cuttle_only(reason="where the logs are opened is cuttle's design")
@pytest.mark.parametrize("single", [False, True], ids=["master", "single"])
def test_access_log_where_only_root_can_go(proxy, origin, single):
    # The worker's user cannot enter the log's directory: the master
    # opens the log while it is still root and hands the descriptor over.
    p = proxy("access_log stdio:@DIR@/private/access.log squid\n", single=single,
              start=False)
    os.mkdir(os.path.join(p.dir, "private"), 0o700)
    p.start()
    assert ok(p, origin, "/bytes/7")
    lines = p.access_log_lines(1, path=os.path.join(p.dir, "private", "access.log"))
    assert "/bytes/7" in lines[0], p.cache_log


@MASTER_ONLY
def test_worker_started_after_rotate_writes_the_new_access_log(proxy, origin):
    # A kid replaced after -k rotate inherits the new access.log, not the
    # renamed one the master opened at start-up.
    p = proxy("logfile_rotate 1\n")
    log = p.access_log
    assert ok(p, origin, "/bytes/1")
    p.access_log_lines(1)
    assert p.ctl("rotate").returncode == 0
    assert wait_for(lambda: os.path.exists(log + ".0"), 5.0)
    (old,) = serving_pids(p)
    os.kill(old, signal.SIGKILL)
    assert wait_for(lambda: [k for k in children(p.pid) if k != old], 10.0), p.cache_log
    assert wait_for(lambda: ok(p, origin, "/bytes/2"), 5.0)
    assert "/bytes/2" in p.access_log_lines(1)[0]
    with open(log + ".0") as f:
        assert "/bytes/2" not in f.read()


@MASTER_ONLY
def test_reconfigure_to_access_log_in_new_directory(proxy, origin):
    # The master opens the new generation's logs as it does at start-up:
    # a directory that does not exist yet is made, owned by the user.
    p = proxy()
    assert ok(p, origin)
    newlog = os.path.join(p.dir, "newdir", "access.log")
    with open(p.conf, "a") as f:
        f.write("access_log stdio:%s squid\n" % newlog)
    assert p.ctl("reconfigure").returncode == 0
    assert wait_for(lambda: os.path.exists(newlog), 5.0), p.cache_log
    assert wait_for(lambda: ok(p, origin, "/bytes/3") and
                    "/bytes/3" in "".join(p.access_log_lines(1, 1.0, newlog)), 5.0), p.cache_log


@pytest.mark.cuttle_only(reason="Squid 5.7 closes its port while it reconfigures under -N: "
                         "connections are refused for a moment")
def test_reconfigure_under_single_process(proxy, origin):
    # -N has no master: the one process reloads in place, as Squid's does.
    p = proxy(single=True)
    assert ok(p, origin)
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace("http_access allow", "http_access deny", 1))
    assert p.ctl("reconfigure").returncode == 0
    assert wait_for(lambda: get(p.port, origin.url("/")).status == 403, 5.0)
    # An invalid file is refused and the running configuration stays.
    with open(p.conf, "a") as f:
        f.write("no_such_directive on\n")
    p.signal(signal.SIGHUP)
    assert wait_for(lambda: "no_such_directive" in p.cache_log, 5.0), p.cache_log
    assert get(p.port, origin.url("/")).status == 403
    assert p.proc.poll() is None


def shm_segments(pid):
    """Names of the /dev/shm segments process pid has mapped."""
    names = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if path.startswith("/dev/shm/"):
                names.add(os.path.basename(path))
    return names


def test_test_squid_has_a_service_name_of_its_own(squid_proxy):
    # Another Squid on the machine (or one a crashed run left) owns the
    # default "squid-*" segments; the comparison Squid must not share them.
    p = squid_proxy()
    segments = wait_for(lambda: shm_segments(p.pid), 5.0)
    assert segments, "Squid mapped no /dev/shm segment"
    assert not [s for s in segments if s.startswith("squid-")], segments


def test_rotate_under_single_process(proxy, origin):
    # -N has no master: the one process renames the logs itself.
    p = proxy("logfile_rotate 3\n", single=True)
    log = p.access_log
    get(p.port, origin.url("/bytes/1"))
    p.access_log_lines(1)
    for n in range(3):
        assert p.ctl("rotate").returncode == 0
        assert wait_for(lambda: os.path.exists("%s.%d" % (log, n)), 5.0), os.listdir(p.dir)
        get(p.port, origin.url("/bytes/%d" % (n + 2)))
        assert "/bytes/%d" % (n + 2) in p.access_log_lines(1)[0]
    with open(log + ".2") as f:
        assert "/bytes/1" in f.read()
    # logfile_rotate 3 keeps .0 to .2, as Squid's
    assert not os.path.exists(log + ".3")
    assert os.path.exists(p.cache_log_path + ".0")
    assert os.path.exists(p.cache_log_path + ".2")
    assert p.proc.poll() is None


def debug_lines(p):
    return [l for l in p.cache_log.splitlines() if "| 11,2| invalid request" in l]


def send_garbage(p):
    """A request line cuttle rejects, logged at debug level 11,2."""
    exchange(p.port, b"GARBAGE\r\n\r\n")


@pytest.mark.cuttle_only(reason="the debug lines are cuttle's wording")
@pytest.mark.parametrize("single", [False, True], ids=["master", "single"])
def test_k_debug_toggles_full_debugging(proxy, origin, single):
    # Squid's SIGUSR2: ALL,7 in every process, the configured
    # debug_options again on the next one.
    p = proxy(single=single)
    send_garbage(p)
    assert not debug_lines(p)
    assert p.ctl("debug").returncode == 0
    assert wait_for(lambda: "Full debugging (ALL,7) on" in p.cache_log, 5.0), p.cache_log
    assert wait_for(lambda: send_garbage(p) or debug_lines(p), 5.0), p.cache_log
    assert p.ctl("debug").returncode == 0
    assert wait_for(lambda: "Full debugging off" in p.cache_log, 5.0), p.cache_log
    time.sleep(0.3)
    seen = len(debug_lines(p))
    send_garbage(p)
    assert ok(p, origin)
    assert len(debug_lines(p)) == seen, p.cache_log
    assert p.proc.poll() is None
    assert p.ctl("check").returncode == 0


@pytest.mark.parametrize("single", [False, True], ids=["master", "single"])
@pytest.mark.parametrize("action", ["reconfigure", "rotate", "debug", "check"])
def test_control_signals_never_kill(proxy, origin, single, action):
    # The master relays them to the workers and stores: none may die.
    p = proxy("cache_dir ufs @DIR@/spool 10 16 256\n", single=single, make_dirs=True)
    store = wait_for(p.store_pid, 5.0) if p.impl != "squid" else None
    for _ in range(2):
        assert p.ctl(action).returncode == 0
        time.sleep(0.3)
        assert p.proc.poll() is None, p.diagnostics()
    assert wait_for(lambda: ok(p, origin), 5.0)
    assert os.path.exists(p.pid_file)
    # the same store, alive (its start line may have rotated away)
    assert store is None or store in p.children()
    assert "died of signal" not in p.cache_log


@pytest.mark.parametrize("single", [False, True], ids=["master", "single"])
def test_k_restart_exits_for_the_supervisor(proxy, origin, single):
    # Squid's -k restart (SIGTTIN): a graceful shutdown that exits with
    # status 1, for whatever supervises the proxy to start it again.
    p = proxy(single=single, workers=2)
    assert ok(p, origin)
    assert p.ctl("restart").returncode == 0
    try:
        p.proc.wait(6)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 6 s after -k restart:\n" + p.diagnostics())
    assert p.proc.returncode == 1
    assert not os.path.exists(p.pid_file)
    assert wait_for(lambda: not group_members(p.pid), 5.0), group_members(p.pid)


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return " ".join(a.decode() for a in f.read().split(b"\0") if a)


@MASTER_ONLY
def test_processes_are_named_in_ps(proxy, origin, workdir):
    cache = os.path.join(workdir, "spool")
    p = proxy("cache_dir ufs %s 10 16 256\n" % cache, workers=2, make_dirs=True)
    assert ok(p, origin)
    # the port listens before the title is set: wait, bounded
    assert wait_for(lambda: cmdline(p.pid) == "cuttle: master", 5.0), cmdline(p.pid)
    want = ["cuttle: store %s" % cache,
            "cuttle: worker 1 (127.0.0.1:%d)" % p.port,
            "cuttle: worker 2 (127.0.0.1:%d)" % p.port]
    # a kid just forked still shows the master's title: wait for all three
    names = lambda: sorted(cmdline(k) for k in children(p.pid))  # noqa: E731
    assert wait_for(lambda: names() == want, 5.0), names()
    # the worker's cache.log lines carry its kid number
    assert wait_for(lambda: " kid2| " in p.cache_log, 5.0)


@pytest.mark.cuttle_only(reason="Squid -N keeps its command line")
def test_single_process_is_named_in_ps(proxy, origin):
    p = proxy(single=True)
    want = "cuttle: worker (127.0.0.1:%d)" % p.port
    assert wait_for(lambda: cmdline(p.pid) == want, 5.0), cmdline(p.pid)


@pytest.mark.cuttle_only(reason="the debug line is cuttle's wording")
def test_rotate_reopens_cache_log_in_every_process(proxy, origin):
    # master, worker and store all write to the new cache.log after a rotate
    p = proxy("cache_dir ufs @DIR@/spool 10 16 256\nlogfile_rotate 1\n", make_dirs=True)
    assert ok(p, origin)
    assert p.ctl("rotate").returncode == 0
    assert wait_for(lambda: os.path.exists(p.cache_log_path + ".0"), 5.0)
    time.sleep(0.3)
    assert p.ctl("debug").returncode == 0
    # one line each from the master, the store and kid1
    assert wait_for(lambda: p.cache_log.count("Full debugging (ALL,7) on") == 3, 5.0), p.cache_log
    assert p.cache_log.count("kid1| Full debugging (ALL,7) on") == 1
