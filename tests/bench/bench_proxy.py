"""One proxy under test: start it on the shared config, stop it (a proxy
that died, a changed process set or children left behind are reported),
read its access.log, and list suspicious lines from its stderr and
cache.log.
"""

import os
import re
import signal
import subprocess
import time

from bench_common import (BenchError, bench_descendants, bench_log,
                          bench_stop, bench_wait_port)


class BenchProxy:
    """logdir: where its conf puts access.log, cache.log and proxy.pid
    (the bench directory unless a chain runs two at once); listening:
    waits until it listens (default: 127.0.0.1:bench.proxy_port)."""

    def __init__(self, name, argv, env, bench, logdir=None, listening=None):
        self.name = name
        self.logdir = logdir or bench.dir
        self.listening = listening
        self.argv = argv
        self.env = env
        self.bench = bench
        self.proc = None
        self.pids_start = self.pids_end = []
        self.out = os.path.join(bench.dir, "%s.stderr" % name)
        self.results = {}

    def start(self):
        for f in ("access.log", "cache.log", "proxy.pid"):
            p = os.path.join(self.logdir, f)
            if os.path.exists(p):
                os.unlink(p)
        self.outf = open(self.out, "w")
        self.proc = subprocess.Popen(self.argv, env=self.env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.outf, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=self.bench.dir)
        if self.listening is not None:
            self.listening(self)
        else:
            bench_wait_port(self.bench.proxy_port, self.proc, self.name,
                            30.0)
        # Give the worker a moment to exist so the process set is stable.
        time.sleep(0.5)
        self.pids_start = sorted(bench_descendants(self.proc.pid))

    def stop(self, quiet=False):
        """Stop the proxy; unless quiet (an error is already on its way),
        a proxy that died on its own is an error."""
        if self.proc is None:
            return None
        self.pids_end = sorted(bench_descendants(self.proc.pid))
        alive = self.proc.poll() is None
        t0 = time.monotonic()
        rc = bench_stop(self.proc, self.name)
        bench_log("  %s stopped by SIGTERM in %.1fs, exit status %s"
                  % (self.name, time.monotonic() - t0, rc))
        self.outf.close()
        # Children must not outlive their master: kill any left over (they
        # are ours, listed by pid at the last look) and say so.
        deadline = time.monotonic() + 5.0
        while True:
            left = [p for p in self.pids_end
                    if p != self.proc.pid and os.path.exists("/proc/%d" % p)]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if left:
            bench_log("warning: %s left processes %s running after its master"
                      " exited; killing them" % (self.name, [
                          bench_proc_desc(p) for p in left]))
            self.results["orphans_after_stop"] = left
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for f in ("access.log", "cache.log"):
            src = os.path.join(self.logdir, f)
            if os.path.exists(src):
                os.rename(src, os.path.join(self.bench.dir,
                                            "%s.%s" % (self.name, f)))
        if not alive and not quiet:
            raise BenchError("%s died during the benchmark (status %s); see %s"
                             % (self.name, rc, self.out))
        # Helpers started on demand add processes; one that vanished
        # means a kid died or was restarted.
        if alive and set(self.pids_start) - set(self.pids_end):
            bench_log("warning: %s process set changed during the run: %s -> "
                      "%s (a worker was restarted?)"
                      % (self.name, self.pids_start, self.pids_end))
            self.results["process_set_changed"] = [self.pids_start,
                                                   self.pids_end]
        return rc

    def access_log(self):
        path = os.path.join(self.bench.dir, "%s.access.log" % self.name)
        lines = []
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                lines = [l.split() for l in f if l.strip()]
        return lines


def bench_proc_desc(pid):
    """pid with its state and command line, for a warning."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            args = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "%d (gone)" % pid
    return "%d %s %s" % (pid, state, args.strip()[:100])


# Expected lines of a normal run: Squid's hint about stdio: log names and
# cuttle's master reporting a worker's clean exit at shutdown.
BENIGN_LOG = (r"log name now starts with a module name|"
              r"kid\d+ \(pid \d+\) exited with status 0$")


def bench_proxy_noise(proxy):
    """Print suspicious lines from the proxy's stderr and cache.log."""
    noisy = []
    for path in (proxy.out, os.path.join(proxy.bench.dir,
                                         "%s.cache.log" % proxy.name)):
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            noisy += [l.rstrip() for l in f
                      if re.search(r"FATAL|assert|ERROR|died|exited|signal|"
                                   r"crash|WARNING", l, re.I)
                      and not re.search(BENIGN_LOG, l)]
    if noisy:
        bench_log("  %s stderr/cache.log has suspicious lines (see %s):"
                  % (proxy.name, proxy.bench.dir))
        for l in noisy[:20]:
            bench_log("    " + l)
        proxy.results["suspicious_log_lines"] = noisy[:100]
