"""Driver and analysis of tests/trace/request-path (see the header there).

Runs one instrumented cuttle -N against a Python origin on 127.0.0.1,
brackets each scenario's traced request with the hook's signal, and turns
the recorded function entries into the list of files the request entered.
"""

import argparse
import http.server
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOOK_SIGNAL = signal.SIGRTMIN + 3
START_TIMEOUT = 15.0
STEP_TIMEOUT = 10.0

SCENARIOS = ["memory hit", "disk hit", "miss", "revalidation", "CONNECT"]
MEM_BODY = b"m" * 1024
DISK_BODY = b"d" * 8192         # over maximum_object_size_in_memory: disk only
MISS_BODY = b"x" * 1024
REVAL_BODY = b"r" * 1024
TUNNEL_BODY = b"t" * 1024


def wait_for(pred, timeout, step=0.05):
    """pred() until true or timeout; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return any(len(x) > 3 and x[1] == want and x[3] == "0A"
                   for x in (line.split() for line in f))


# -- the origin ---------------------------------------------------------------

class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    LAST_MODIFIED = "Sat, 01 Jan 2022 00:00:00 GMT"

    def log_message(self, *args):
        pass

    def _send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        fresh = [("Cache-Control", "max-age=3600")]
        if self.path == "/mem":
            self._send(200, fresh, MEM_BODY)
        elif self.path == "/disk":
            self._send(200, fresh, DISK_BODY)
        elif self.path.startswith("/miss"):
            self._send(200, fresh, MISS_BODY)
        elif self.path == "/reval":
            validators = [("Cache-Control", "max-age=0"), ("ETag", '"v1"'),
                          ("Last-Modified", self.LAST_MODIFIED)]
            if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
                self.send_response(304)
                for k, v in validators:
                    self.send_header(k, v)
                self.end_headers()
            else:
                self._send(200, validators, REVAL_BODY)
        else:
            self._send(200, [("Cache-Control", "no-store")], TUNNEL_BODY)


# -- the proxy ----------------------------------------------------------------

def write_conf(d, port):
    lines = [
        "http_port 127.0.0.1:%d" % port,
        "pid_filename %s/proxy.pid" % d,
        "cache_log %s/cache.log" % d,
        "access_log stdio:%s/access.log squid" % d,
        "coredump_dir %s" % d,
        "dns_nameservers 127.0.0.1",
        "pinger_enable off",
        "shutdown_lifetime 1 second",
        "cache_mem 8 MB",
        "maximum_object_size_in_memory 4 KB",
        "cache_dir ufs %s/cache 16 16 256" % d,
        "http_access allow all",
    ]
    if os.geteuid() == 0:
        pwd.getpwnam("proxy")
        lines.append("cache_effective_user proxy")
    path = os.path.join(d, "squid.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def access_lines(d):
    try:
        with open(os.path.join(d, "access.log")) as f:
            return f.read().splitlines()
    except OSError:
        return []


def object_files(d):
    n = 0
    for root, _dirs, files in os.walk(os.path.join(d, "cache")):
        if os.path.basename(root) != "tmp" and root != os.path.join(d, "cache"):
            n += len(files)
    return n


def curl(proxy_port, url, tunnel=False):
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
           str(int(STEP_TIMEOUT)), "-x", "http://127.0.0.1:%d" % proxy_port]
    if tunnel:
        cmd.append("--proxytunnel")
    r = subprocess.run(cmd + [url], capture_output=True, text=True,
                       timeout=STEP_TIMEOUT + 5)
    return r.stdout.strip()


class Run:
    def __init__(self, cuttle, src, d):
        self.cuttle = cuttle
        self.d = d
        self.traces = os.path.join(d, "traces")
        for p in (d, self.traces):
            os.makedirs(p, exist_ok=True)
            os.chmod(p, 0o777)
        self.port = free_port()
        self.conf = write_conf(d, self.port)
        self.env = dict(os.environ, TRACE_HOOK_DIR=self.traces,
                        CUTTLE_ERROR_DIRECTORY=os.path.join(src, "share", "errors", "templates"))
        self.proc = None

    def start(self):
        z = subprocess.run([self.cuttle, "-z", "-f", self.conf], env=self.env,
                           capture_output=True, timeout=60)
        if z.returncode != 0:
            raise RuntimeError("cuttle -z failed: %s" % z.stderr.decode(errors="replace"))
        err = open(os.path.join(self.d, "stderr.log"), "ab")
        self.proc = subprocess.Popen([self.cuttle, "-N", "-f", self.conf], env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                     start_new_session=True, cwd=self.d)
        if not wait_for(lambda: self.proc.poll() is not None or listening(self.port),
                        START_TIMEOUT) or self.proc.poll() is not None:
            raise RuntimeError("cuttle did not start; see %s" % self.d)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def trace_path(self):
        return os.path.join(self.traces, "trace.%d" % self.proc.pid)

    def segments_done(self):
        try:
            with open(self.trace_path(), "rb") as f:
                data = f.read()
        except OSError:
            return 0
        return sum(1 for i in range(0, len(data) - 8, 9) if data[i] == ord("M"))

    def request(self, url, tunnel=False):
        """One untraced request; waits for its access.log line."""
        n = len(access_lines(self.d))
        code = curl(self.port, url, tunnel)
        if not wait_for(lambda: len(access_lines(self.d)) > n, STEP_TIMEOUT):
            raise RuntimeError("no access.log line for %s" % url)
        return code

    def traced(self, url, tunnel=False):
        """One request between the two toggles; returns its access.log line."""
        n = len(access_lines(self.d))
        done = self.segments_done()
        os.kill(self.proc.pid, HOOK_SIGNAL)
        time.sleep(0.2)
        code = curl(self.port, url, tunnel)
        if not wait_for(lambda: len(access_lines(self.d)) > n, STEP_TIMEOUT):
            raise RuntimeError("no access.log line for %s" % url)
        time.sleep(0.2)
        os.kill(self.proc.pid, HOOK_SIGNAL)
        if not wait_for(lambda: self.segments_done() > done, STEP_TIMEOUT):
            raise RuntimeError("the trace segment of %s was not flushed" % url)
        line = access_lines(self.d)[n]
        return code, line


def drive(run, origin_port):
    o = "http://127.0.0.1:%d" % origin_port
    out = {}
    run.request(o + "/warm")           # first-use set-up is not a request's path
    run.request(o + "/mem")
    out["memory hit"] = run.traced(o + "/mem")
    before = object_files(run.d)
    run.request(o + "/disk")
    if not wait_for(lambda: object_files(run.d) > before, STEP_TIMEOUT):
        raise RuntimeError("the disk object was not committed")
    out["disk hit"] = run.traced(o + "/disk")
    out["miss"] = run.traced(o + "/miss")
    run.request(o + "/reval")
    out["revalidation"] = run.traced(o + "/reval")
    out["CONNECT"] = run.traced(o + "/tunnel", tunnel=True)
    return out


# -- analysis -----------------------------------------------------------------

def read_segments(path):
    """[(base, [(type, addr), ...]), ...], one per traced request."""
    with open(path, "rb") as f:
        data = f.read()
    segs, cur, base = [], [], 0
    for i in range(0, len(data) - 8, 9):
        t = chr(data[i])
        a = int.from_bytes(data[i + 1:i + 9], "little")
        if t == "B":
            base = a
        elif t == "M":
            segs.append((base, cur))
            cur = []
        else:
            cur.append((t, a))
    return segs


def resolve(binary, src, addrs):
    """{offset: (function, file relative to src)} through addr2line."""
    offs = sorted(addrs)
    names = {}
    for i in range(0, len(offs), 500):
        chunk = offs[i:i + 500]
        r = subprocess.run(["addr2line", "-f", "-e", binary] + ["0x%x" % a for a in chunk],
                           capture_output=True, text=True, timeout=120, check=True)
        lines = r.stdout.splitlines()
        for j, off in enumerate(chunk):
            fn, loc = lines[2 * j], lines[2 * j + 1]
            path = loc.rsplit(":", 1)[0]
            if path.startswith(src.rstrip("/") + "/"):
                path = path[len(src.rstrip("/")) + 1:]
            names[off] = (fn, path)
    return names


def window(events, names, start_fn, end_fn):
    """The request's calls: [(caller file or None, function, file, nearest
    workers/ file on the stack or None), ...].

    Replays the enter/exit events as a stack.  Opens at the first entry of
    start_fn; closes when the callback (bottom frame) in which end_fn ran
    returns.  Calls whose whole stack is evloop.c (the loop's bookkeeping
    between callbacks) are not the request's.
    """
    stack, calls = [], []
    opened = logged = False
    for t, off in events:
        fn, path = names[off]
        if t == "E":
            if not opened and fn == start_fn:
                opened = True
            caller = stack[-1][1] if stack else None
            # the nearest worker file below: lib/ is seen through
            wcaller = next((p for _f, p in reversed(stack) if p.startswith("workers/")),
                           None)
            stack.append((fn, path))
            if not opened:
                continue
            if fn == end_fn:
                logged = True
            if all(p.endswith("evloop.c") for _f, p in stack):
                continue
            calls.append((caller, fn, path, wcaller))
        else:
            # exits of frames entered before the segment began have no entry
            if stack and stack[-1][0] == fn:
                stack.pop()
            if opened and logged and not stack:
                return calls
    raise RuntimeError("the traced window never closed (no %s, or its callback did not "
                       "return before the segment ended)" % end_fn)


def files_entered(calls):
    """[(file, entered, [functions]), ...]: the calls grouped by file, in order.

    A group is entered when its first call came from another file (or from
    the event loop); a group that is not is the caller continuing after a
    callee of another file returned, kept apart only so that the verbose
    listing shows each function under its own file.
    """
    groups = []
    for caller, fn, path in calls:
        if groups and groups[-1][0] == path:
            groups[-1][2].append(fn)
        else:
            groups.append((path, caller != path, [fn]))
    return groups


def entry_path(groups):
    """The files entered, consecutive entries of one file collapsed into one."""
    path = []
    for p, entered, _fns in groups:
        if entered and (not path or path[-1] != p):
            path.append(p)
    return path


def summarize(path):
    """(distinct files, re-entries: entries of a file already earlier in path)."""
    return len(set(path)), len(path) - len(set(path))


def analyse(run, args, lines):
    segs = read_segments(run.trace_path())
    if len(segs) != len(SCENARIOS):
        raise RuntimeError("%d trace segments, expected %d" % (len(segs), len(SCENARIOS)))
    offs = set()
    for base, ev in segs:
        offs.update(a - base for _t, a in ev)
    names = resolve(args.cuttle, args.src, offs)
    results = []
    for name, (base, ev) in zip(SCENARIOS, segs):
        rel = [(t, a - base) for t, a in ev]
        calls = window(rel, names, args.start, args.end)
        groups = files_entered([c[:3] for c in calls])
        path = entry_path(groups)
        distinct, reentries = summarize(path)
        # the worker's modules alone: a call into lib/ (buffers, parsers,
        # the cache rules) does not leave the worker file that made it
        wpath = entry_path(files_entered([(w, f, p) for _c, f, p, w in calls
                                          if p.startswith("workers/")]))
        wdistinct, wreentries = summarize(wpath)
        code, line = lines[name]
        fields = line.split()
        results.append({"scenario": name, "status": code,
                        "tag": fields[3] if len(fields) > 3 else "?",
                        "calls": len(calls), "files": distinct, "reentries": reentries,
                        "path": path,
                        "worker_files": wdistinct, "worker_reentries": wreentries,
                        "worker_path": wpath,
                        "functions": [[p, entered, f] for p, entered, f in groups]})
    return results


def report(label, results, verbose):
    print("request-path at %s" % label)
    print("%-13s %-27s %6s %6s %10s %13s %10s" % (
        "scenario", "access.log tag", "calls", "files", "re-entries", "workers/ files",
        "re-entries"))
    for r in results:
        print("%-13s %-27s %6d %6d %10d %13d %10d" % (
            r["scenario"], r["tag"], r["calls"], r["files"], r["reentries"],
            r["worker_files"], r["worker_reentries"]))
    for r in results:
        print("\n%s, workers/ files (%d files, %d re-entries):" % (
            r["scenario"], r["worker_files"], r["worker_reentries"]))
        print("  " + " > ".join(p[len("workers/"):] for p in r["worker_path"]))
    for r in results:
        print("\n%s, all files (%d files, %d re-entries):" % (
            r["scenario"], r["files"], r["reentries"]))
        if verbose:
            for path, entered, fns in r["functions"]:
                print("  %s%s: %s" % ("" if entered else "(back in) ", path, " ".join(fns)))
        else:
            print("  " + " > ".join(r["path"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cuttle", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--start", default=os.environ.get("REQUEST_PATH_START", "conn_io"))
    ap.add_argument("--end", default=os.environ.get("REQUEST_PATH_END", "accesslog_write"))
    args = ap.parse_args()
    args.src = os.path.abspath(args.src)
    verbose = os.environ.get("REQUEST_PATH_VERBOSE") == "1"
    keep = os.environ.get("REQUEST_PATH_KEEP") == "1"

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    d = tempfile.mkdtemp(prefix="request-path-")
    os.chmod(d, 0o777)
    run = Run(args.cuttle, args.src, d)
    ok = False
    try:
        run.start()
        lines = drive(run, server.server_address[1])
        results = analyse(run, args, lines)
        ok = True
    finally:
        run.stop()
        server.shutdown()
        if ok and not keep:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("request-path: run directory kept: %s" % d, file=sys.stderr)
    report(args.label, results, verbose)
    if os.environ.get("REQUEST_PATH_JSON"):
        with open(os.environ["REQUEST_PATH_JSON"], "w") as f:
            json.dump({"label": args.label, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
