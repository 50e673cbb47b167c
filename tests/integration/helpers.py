"""Client-side helpers for the integration tests.

A raw socket client that sends exact bytes and reads HTTP responses one at a
time (for keep-alive, pipelining and malformed requests), a curl runner, and
parsers for access.log lines.  Every wait here is bounded.
"""

import os
import re
import socket
import subprocess
import tempfile
import time

TIMEOUT = 10.0

# PURGE as Squid allows it: an acl of that method and a rule for it (from
# localhost only) before the usual access rules.
PURGE_CONF = "acl purge method PURGE\n"
PURGE_ACCESS = """\
http_access allow purge localhost
http_access deny purge
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access allow localhost
http_access deny all
"""


def wait_for(fn, timeout, interval=0.05):
    """Calls fn until it returns something truthy or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers      # list of (name, value)
        self.body = body

    def header(self, name):
        """The first value of header `name`, or None."""
        vals = self.header_all(name)
        return vals[0] if vals else None

    def header_all(self, name):
        lname = name.lower()
        return [v for (n, v) in self.headers if n.lower() == lname]

    def __repr__(self):
        return "Response(%d %s, %d body bytes)" % (self.status, self.reason, len(self.body))


class ConnectionClosed(Exception):
    pass


class RawClient:
    """A client connection to the proxy that speaks bytes."""

    def __init__(self, port, timeout=TIMEOUT, source=None):
        # source: the client's own address (another 127.x.y.z)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionClosed("connection closed by proxy")
        self.buf += data

    def _read_until(self, sep):
        while sep not in self.buf:
            if len(self.buf) > 1 << 20:
                raise ValueError("response head too long")
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        """Reads one status line and header section; returns Response without body."""
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                n, _, v = line.partition(":")
                headers.append((n, v.strip()))
        return Response(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "",
                        headers, b"")

    def read_response(self, method="GET", skip_interim=True):
        """Reads one complete response, framed as RFC 9112 says."""
        for _ in range(10):
            r = self.read_head()
            if not (skip_interim and 100 <= r.status < 200):
                break
        if method == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200:
            return r
        if method == "CONNECT" and r.status == 200:
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            r.body = self._read_chunked()
        elif r.header("Content-Length") is not None:
            r.body = self._read_exact(int(r.header("Content-Length")))
        else:
            r.body = self.read_to_close()
        return r

    def _read_chunked(self):
        body = b""
        for _ in range(1_000_000):
            size = int(self._read_until(b"\r\n").split(b";")[0].strip(), 16)
            if size == 0:
                for _ in range(1000):
                    if self._read_until(b"\r\n") == b"\r\n":
                        return body
                raise ValueError("endless trailers")
            body += self._read_exact(size)
            self._read_exact(2)
        raise ValueError("endless chunks")

    def read_to_close(self):
        out = self.buf
        self.buf = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return out
            out += data

    def is_closed(self, timeout=3.0):
        """True if the proxy closes the connection within timeout (data is discarded)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def exchange(port, raw, method="GET", timeout=TIMEOUT):
    """Sends raw bytes on a new connection, returns the first response."""
    with RawClient(port, timeout) as c:
        c.send(raw)
        return c.read_response(method)


def get(port, url, headers=(), method="GET", body=None, version="HTTP/1.1"):
    """One absolute-URI request through the proxy; returns the Response."""
    return exchange(port, build(method, url, headers, body, version), method)


def wait_cached(port, url, timeout=10.0, headers=()):
    """Waits until the proxy answers url from its cache (only-if-cached gets
    a 200 rather than Squid's 504); True when it did within timeout.

    For work the proxy finishes after the client has its answer (a fetch
    finished for the cache, a merged 304): a fixed sleep is a race.
    """
    probe = [("Cache-Control", "only-if-cached")] + list(headers)
    return bool(wait_for(lambda: get(port, url, probe).status == 200,
                         timeout, interval=0.1))


def build(method, url, headers=(), body=None, version="HTTP/1.1"):
    host = re.match(r"^[a-z]+://([^/]+)", url)
    lines = ["%s %s %s" % (method, url, version)]
    names = {n.lower() for (n, _) in headers}
    if host and "host" not in names:
        lines.append("Host: %s" % host.group(1))
    lines += ["%s: %s" % h for h in headers]
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data + (body or b"")


class CurlResult:
    def __init__(self, proc, headers_text, body):
        self.returncode = proc.returncode
        self.stderr = proc.stderr.decode(errors="replace")
        self.body = body
        # curl -D writes every response head (100s, CONNECT replies): keep the last.
        blocks = [b for b in headers_text.replace("\r\n", "\n").split("\n\n") if b.strip()]
        last = blocks[-1].split("\n") if blocks else ["HTTP/1.1 000 none"]
        self.status = int(last[0].split(" ")[1])
        self.headers = [tuple(x.strip() for x in l.split(":", 1)) for l in last[1:] if ":" in l]

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


def curl(proxy_port, url, *args, timeout=10, workdir="/tmp"):
    """Runs curl through the proxy; returns CurlResult (status of the last response)."""
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        hfile, bfile = d + "/h", d + "/b"
        cmd = ["curl", "-sS", "-x", "http://127.0.0.1:%d" % proxy_port,
               "--max-time", str(timeout), "-D", hfile, "-o", bfile] + list(args) + [url]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout + 5)
        try:
            with open(hfile, encoding="latin-1") as f:
                htext = f.read()
        except OSError:
            htext = ""
        try:
            with open(bfile, "rb") as f:
                body = f.read()
        except OSError:
            body = b""
        return CurlResult(proc, htext, body)


NATIVE_FIELDS = ("time", "elapsed", "client", "code", "bytes", "method", "url",
                 "user", "hier", "type")


def parse_native(line):
    """Splits a native squid access.log line into a dict of its ten fields.

    Also adds 'tag', 'status' (int), 'hier_code' and 'peer' split from the
    combined fields, and 'extra' for anything after the ten (log_mime_hdrs).
    """
    parts = line.split(None, 9)
    if len(parts) < 10:
        raise ValueError("not a native access.log line: %r" % line)
    d = dict(zip(NATIVE_FIELDS, parts))
    d["type"], _, d["extra"] = parts[9].partition(" ")
    d["tag"], _, status = d["code"].partition("/")
    d["status"] = int(status)
    d["hier_code"], _, d["peer"] = d["hier"].partition("/")
    return d


COMMON_RE = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) (\S+)$')
COMBINED_RE = re.compile(
    r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\S+)$')


def http_date(offset=0.0):
    """An IMF-fixdate `offset` seconds from now (negative: in the past)."""
    import email.utils
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def log_entry(proxy, n, timeout=5.0):
    """The n-th (1-based) native access.log entry of proxy, waiting for it."""
    entries = proxy.access_entries(n, timeout)
    if len(entries) < n:
        raise AssertionError("access.log has %d entries, wanted %d:\n%s" % (
            len(entries), n, "\n".join(proxy.access_log_lines(0, 0))))
    return entries[n - 1]


def write_script(workdir, name, text):
    """An executable helper script in workdir; returns its path.  Written
    aside and renamed over the old one: opening a script for writing while
    a proxy is exec'ing it fails with ETXTBSY."""
    path = os.path.join(workdir, name)
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return path
