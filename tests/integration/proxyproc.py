"""Starting and stopping the proxy under test: cuttle or Debian's Squid 5.7.

Both read the same generated squid.conf, so a test written against one can be
run against the other (PROXY_IMPL=squid) to prove the test itself right.  The
config keeps to directives both understand; everything lives in the test's
private directory, and names resolve only through its hosts file.
"""

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from helpers import parse_native, wait_for

SQUID = "/usr/sbin/squid"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0

# The stock Debian rules, trimmed of the manager lines: enough to prove the
# CONNECT and port restrictions every deployed config relies on.
DEFAULT_ACCESS = """\
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access allow localhost
http_access deny all
"""

HOSTS = """\
127.0.0.1 origin.test blocked.test allowed.test tls.test other.test
127.0.0.1 pypi.test registry.test deb.test
"""


def srcdir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("CUTTLE_SRCDIR") or os.path.normpath(os.path.join(here, "..", ".."))


def cuttle_binary():
    builddir = os.environ.get("CUTTLE_BUILDDIR") or srcdir()
    return os.path.join(builddir, "cuttle")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_listening(port, pid=None):
    """True once something listens on 127.0.0.1:port.

    Read from /proc rather than by connecting, because a probe connection
    would be logged by the proxy (error:transaction-end-before-headers).
    With `pid`, the table of that process's network namespace is read.
    """
    want = "0100007F:%04X" % port
    try:
        with open("/proc/%d/net/tcp" % pid if pid else "/proc/net/tcp") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 3 and fields[1] == want and fields[3] == "0A":
                    return True
    except OSError:
        pass
    return False


_templates = None


def error_templates():
    """The error page templates, copied where the proxy user can read them.

    Workers read them lazily, after dropping to cache_effective_user, who
    may not reach the source tree (a checkout under /root).  One copy per
    test session, in a world-readable temp dir removed at exit.
    """
    global _templates
    if _templates is None:
        d = tempfile.mkdtemp(prefix="cuttle-it-errors-")
        atexit.register(shutil.rmtree, d, True)
        copy = os.path.join(d, "templates")
        shutil.copytree(os.path.join(srcdir(), "share", "errors", "templates"), copy)
        for path in [d, copy]:
            os.chmod(path, 0o755)
        for name in os.listdir(copy):
            os.chmod(os.path.join(copy, name), 0o644)
        _templates = copy
    return _templates


def proxy_env():
    env = dict(os.environ)
    env["CUTTLE_ERROR_DIRECTORY"] = error_templates()
    return env


_services = 0


def unique_service_name():
    """A Squid -n name no other Squid on the machine uses.

    Squid names its /dev/shm segments and IPC sockets after the service
    (default "squid"): another Squid, or segments a killed run left behind,
    would otherwise clash with ours (shm_open ... Permission denied).
    Squid accepts only alphanumerics here.
    """
    global _services
    _services += 1
    return "cuttletest%dn%d" % (os.getpid(), _services)


def make_writable_dir(path):
    """Squid and cuttle drop to user proxy when started as root: let it write."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o777)


class Proxy:
    """One running proxy.  Build it with `ProxyFactory`, not directly."""

    def __init__(self, impl, workdir, conf_text, workers, single, netns=None, smp=False):
        self.impl = impl
        self.smp = smp
        self.netns = netns
        self.dir = workdir
        self.port = free_port()
        self.conf = os.path.join(workdir, "squid.conf")
        self.access_log = os.path.join(workdir, "access.log")
        self.cache_log_path = os.path.join(workdir, "cache.log")
        self.pid_file = os.path.join(workdir, "proxy.pid")
        self.stderr_path = os.path.join(workdir, "stderr.log")
        self.workers = workers
        self.single = single
        self.proc = None
        self.service = unique_service_name()
        with open(self.conf, "w") as f:
            f.write(conf_text.replace("@PORT@", str(self.port)))

    # -- life cycle ---------------------------------------------------------

    def command(self):
        if self.impl == "squid" and self.smp:
            cmd = [SQUID, "--foreground", "-n", self.service, "-f", self.conf]
        elif self.impl == "squid":
            cmd = [SQUID, "-N", "-n", self.service, "-f", self.conf]
        elif self.single:
            cmd = [cuttle_binary(), "-N", "-f", self.conf]
        else:
            cmd = [cuttle_binary(), "-f", self.conf, "--foreground"]
        # inside a network namespace of the test's own (ip netns exec execs
        # the proxy, so the pid stays the proxy's)
        return (["ip", "netns", "exec", self.netns] if self.netns else []) + cmd

    def start(self):
        binary = self.command()[4 if self.netns else 0]
        if not os.access(binary, os.X_OK):
            raise RuntimeError("%s not found or not executable: build it first, or set "
                               "CUTTLE_BUILDDIR to the build tree" % binary)
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, env=proxy_env(),
                                         start_new_session=True, cwd=self.dir)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s before listening\n%s" % (
                    self.impl, self.proc.returncode, self.diagnostics()))
            pid = self.proc.pid if self.netns else None
            if all(port_listening(p, pid) for p in self.listening_ports()):
                return self
            time.sleep(0.05)
        raise RuntimeError("%s did not listen on %d within %ss\n%s" % (
            self.impl, self.port, START_TIMEOUT, self.diagnostics()))

    def listening_ports(self):
        """The loopback ports the conf opens: the harness's own and a test's
        extra http_port/https_port lines.  A proxy opens them one after
        another, so being ready means listening on all of them (a test that
        dialled its accel port the moment the first one listened was
        refused once in CI)."""
        ports = [self.port]
        with open(self.conf) as f:
            for line in f:
                words = line.split()
                if words[:1] in (["http_port"], ["https_port"]):
                    m = re.match(r"127\.0\.0\.1:(\d+)$", words[1] if len(words) > 1 else "")
                    if m and int(m.group(1)) not in ports:
                        ports.append(int(m.group(1)))
        return ports

    @property
    def pid(self):
        return self.proc.pid

    def master_pid(self):
        """The pid the proxy wrote to pid_filename (waits for it, bounded)."""
        text = wait_for(lambda: _read(self.pid_file).strip() or None, 5.0)
        return int(text) if text else None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc is None:
            self._remove_segments()     # -z alone creates them too
            return
        # SIGINT is `-k interrupt`: stop at once, tests need not wait
        # shutdown_lifetime (test_process checks the graceful path).  Squid
        # still takes 2 s to honour it, and its shutdown is not under test.
        if self.impl != "squid" and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        # Workers live in the process group the proxy was started in.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.poll() is not None:
            self._remove_segments()

    def _remove_segments(self):
        """A killed Squid leaves its /dev/shm segments; the name is ours alone."""
        if self.impl != "squid":
            return
        for path in glob.glob("/dev/shm/%s-*" % self.service):
            try:
                os.unlink(path)
            except OSError:
                pass

    def make_cache_dirs(self, timeout=60.0):
        """Runs `-z` on this config (creates the cache_dir trees); returns CompletedProcess.

        Squid needs -N so that -z runs in the foreground and finishes
        before returning.
        """
        cmd = ([SQUID, "-N", "-z", "-n", self.service, "-f", self.conf] if self.impl == "squid"
               else [cuttle_binary(), "-z", "-f", self.conf])
        with open(self.stderr_path, "ab") as err:
            return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                  timeout=timeout, env=proxy_env(), cwd=self.dir)

    def shutdown(self, timeout=15.0):
        """Stops gracefully (SIGTERM, what `-k shutdown` sends) and waits for the
        exit, so a later start() on the same config finds what it left."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        # The store processes and workers must be gone before a restart.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(self.proc.pid):
            time.sleep(0.05)

    def restart(self):
        """Graceful shutdown, then start again on the same config and dirs."""
        self.shutdown()
        self.stop()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and port_listening(self.port):
            time.sleep(0.05)
        return self.start()

    def children(self):
        """Pids of the live processes whose parent is the master."""
        master = self.proc.pid
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    stat = f.read()
            except OSError:
                continue
            # comm may hold spaces: the fields after ")" are fixed.
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[1]) == master:
                out.append(int(name))
        return out

    def store_pid(self, cache_dir=None):
        """The pid of the live store process for cache_dir (the latest one the
        master logged as started), or None."""
        found = None
        for m in re.finditer(r"store for cache_dir (\S+) started \(pid (\d+)\)", self.cache_log):
            if cache_dir is None or m.group(1) == cache_dir:
                found = int(m.group(2))
        if found is not None and found in self.children():
            return found
        return None

    def worker_pids(self):
        """The master's children that are not store processes."""
        stores = {int(m.group(1)) for m in re.finditer(
            r"store for cache_dir \S+ started \(pid (\d+)\)", self.cache_log)}
        return [p for p in self.children() if p not in stores]

    def ctl(self, action, timeout=10.0):
        """Runs `-k ACTION` against this instance; returns CompletedProcess."""
        argv = ([SQUID, "-n", self.service] if self.impl == "squid"
                else [cuttle_binary()])
        return subprocess.run(argv + ["-k", action, "-f", self.conf],
                              capture_output=True, timeout=timeout, env=proxy_env())

    # -- what it wrote --------------------------------------------------------

    @property
    def cache_log(self):
        return _read(self.cache_log_path)

    @property
    def stderr(self):
        return _read(self.stderr_path)

    def access_log_lines(self, n=1, timeout=5.0, path=None):
        """Waits (bounded) until the access log has at least n lines; returns all."""
        path = path or self.access_log
        lines = wait_for(lambda: _lines_if(path, n), timeout)
        return lines if lines is not None else _read(path).splitlines()

    def access_entries(self, n=1, timeout=5.0):
        """access_log_lines parsed as native squid lines."""
        return [parse_native(l) for l in self.access_log_lines(n, timeout)]

    def diagnostics(self, tail=40):
        out = []
        for title, text in (("cache.log", self.cache_log), ("stderr", self.stderr)):
            lines = text.splitlines()[-tail:]
            out.append("---- %s %s (last %d lines) ----" % (self.impl, title, len(lines)))
            out.extend(lines)
        return "\n".join(out)

    def url(self):
        return "http://127.0.0.1:%d" % self.port


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except OSError:
        return False


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _lines_if(path, n):
    lines = _read(path).splitlines()
    return lines if len(lines) >= n else None


def base_conf(workdir, impl, workers, cache=False, port_opts="", smp=False):
    """The lines every test config starts with.

    Caching is off (`cache deny all`) unless `cache` is true, so the
    forwarding tests never depend on what an earlier request left behind;
    the cache tests turn it on and run memory-only (no cache_dir).
    """
    lines = [
        ("http_port 127.0.0.1:@PORT@ " + port_opts).rstrip(),
        "pid_filename %s/proxy.pid" % workdir,
        "cache_log %s/cache.log" % workdir,
        "access_log stdio:%s/access.log squid" % workdir,
        "hosts_file %s/hosts" % workdir,
        "dns_nameservers 127.0.0.1",
        "visible_hostname testproxy",
        "coredump_dir %s" % workdir,
        "pinger_enable off",
        "shutdown_lifetime 1 second",
    ]
    if not cache:
        lines.insert(lines.index("pinger_enable off"), "cache deny all")
    if os.geteuid() == 0:
        pwd.getpwnam("proxy")
        lines.append("cache_effective_user proxy")
    if impl != "squid" or smp:
        lines.append("workers %d" % workers)
    return "\n".join(lines) + "\n"


def stock_acls(ssl_ports):
    ports = " ".join(["443"] + [str(p) for p in ssl_ports])
    return ("acl SSL_ports port %s\n"
            "acl Safe_ports port 80 21 443 70 210 1025-65535 280 488 591 777\n" % ports)


class ProxyFactory:
    """Callable fixture value: proxy(conf_extra=..., access=..., workers=1, impl=None, cache=False).

    conf_extra goes after the base lines and the SSL_ports/Safe_ports acls,
    before the http_access rules; `access` replaces the default rules ("" for
    none at all).  "@DIR@" in either is the proxy's private directory.
    `cache=True` leaves out the base `cache deny all`, so responses are
    cached in memory (the defaults of cache_mem and friends apply).
    `make_dirs=True` runs `-z` on the config before starting (a cache_dir in
    conf_extra needs it).  `port_opts` is appended to the test's http_port
    line (e.g. "ssl-bump tls-cert=...").  `netns` runs the proxy inside
    that network namespace (`ip netns exec`; its 127.0.0.1 is the
    namespace's own).  Squid runs with -N (one process) unless `smp=True`,
    which runs it with its `workers` kids and coordinator, as cuttle
    always runs its workers.
    """

    def __init__(self, tmpdir, default_impl, prefix="p"):
        self.tmpdir = tmpdir
        self.prefix = prefix
        self.default_impl = default_impl
        self.started = []

    def __call__(self, conf_extra="", access=None, workers=1, impl=None,
                 ssl_ports=(), single=False, start=True, cache=False, make_dirs=False,
                 port_opts="", netns=None, smp=False):
        impl = impl or self.default_impl
        workdir = os.path.join(self.tmpdir, "%s-%s%d" % (self.prefix, impl, len(self.started)))
        make_writable_dir(workdir)
        with open(os.path.join(workdir, "hosts"), "w") as f:
            f.write(HOSTS)
        conf = (base_conf(workdir, impl, workers, cache, port_opts, smp) + stock_acls(ssl_ports)
                + conf_extra.rstrip("\n") + "\n"
                + (DEFAULT_ACCESS if access is None else access.rstrip("\n") + "\n"))
        # Extras may name files in the proxy's own dir as @DIR@.
        p = Proxy(impl, workdir, conf.replace("@DIR@", workdir), workers, single, netns, smp)
        self.started.append(p)
        if make_dirs:
            z = p.make_cache_dirs()
            if z.returncode != 0:
                raise RuntimeError("%s -z failed with %s\n%s" % (impl, z.returncode, p.diagnostics()))
        return p.start() if start else p

    def stop_all(self):
        for p in self.started:
            p.stop()
