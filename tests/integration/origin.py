"""Scripted HTTP/1.1 origin servers for the integration tests.

The origin records every request it receives (method, target, headers in
order, body, and which connection carried it) so a test can prove exactly
what the proxy forwarded, and counts accepted connections so a test can prove
that the proxy reused a pooled server connection.  What it answers is chosen
by the request path:

  /bytes/N          N bytes (a fixed pattern) with Content-Length
  /chunked/N        N bytes in chunked encoding
  /status/NNN       that status code with a short body
  /echo             JSON of the request as received (method, target, headers, body)
  /slow/SECS        waits SECS seconds, then a short 200
  /close            a 200 without Content-Length, ended by closing
  /headers?n=v&..   a 200 carrying the given response headers
  /bigheader/N      a 200 with an N-byte X-Big header
  /bad/cl-te        Content-Length and Transfer-Encoding together
  /bad/two-cl       two different Content-Length headers
  /bad/chunk-size   an invalid chunk size
  /bad/http09       bytes that are not an HTTP/1.x status line
  anything else     a short 200 text/plain

A test can also script a path with `Origin.script(path, ...)`: from then on
that path (the query is ignored) answers with the given status, headers and
body, plus a Date header unless the script gives one, and by default answers
a conditional GET whose If-None-Match / If-Modified-Since matches the
script's ETag / Last-Modified with a 304.  Scripting the path again changes
the answer between requests (revalidation tests); `Origin.count(path)` says
how many requests for it arrived, which is how a cache hit is proved.
A script can delay its answer (collapsed forwarding) or generate a huge
body block by block (the 1 GiB object) instead of holding it.

The same server class serves TLS when given an ssl.SSLContext.
"""

import email.utils
import json
import re
import socket
import socketserver
import ssl
import threading
import time
import urllib.parse

# Every read and write on an origin connection is bounded by this.
IO_TIMEOUT = 10.0
MAX_HEAD = 256 * 1024


def pattern_bytes(n):
    """The deterministic body of /bytes/N and /chunked/N."""
    unit = b"0123456789abcdefghijklmnopqrstuvwxyz\n"
    reps = n // len(unit) + 1
    return (unit * reps)[:n]


class Request:
    def __init__(self, method, target, version, headers, body, conn_id, peer):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers          # list of (name, value) as received
        self.body = body
        self.conn_id = conn_id
        self.peer = peer                # the proxy's address on this connection

    def header(self, name):
        """All values of header `name` (case-insensitive), in order."""
        lname = name.lower()
        return [v for (n, v) in self.headers if n.lower() == lname]

    def has(self, name):
        return bool(self.header(name))

    def __repr__(self):
        return "Request(%s %s %s, %d headers, %d body bytes, conn %d)" % (
            self.method, self.target, self.version, len(self.headers),
            len(self.body), self.conn_id)


class _Closed(Exception):
    pass


class _Reader:
    """Buffered reads from a socket, each bounded by the socket timeout."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise _Closed()
        self.buf += data

    def read_until(self, sep, limit):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise _Closed()
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def _read_chunked(reader):
    body = b""
    for _ in range(1_000_000):
        line = reader.read_until(b"\r\n", 4096)
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            # Trailer section ends with an empty line.
            for _ in range(1000):
                if reader.read_until(b"\r\n", 65536) == b"\r\n":
                    return body
            raise _Closed()
        body += reader.read_exact(size)
        reader.read_exact(2)
    raise _Closed()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        with server.lock:
            server.connections += 1
            conn_id = server.connections
        sock = self.request
        sock.settimeout(IO_TIMEOUT)
        with server.lock:
            server.open_socks.add(sock)
        reader = _Reader(sock)
        try:
            for _ in range(10_000):
                if not self._one(server, sock, reader, conn_id):
                    break
        except (_Closed, OSError, ValueError):
            pass
        finally:
            with server.lock:
                server.open_socks.discard(sock)

    def _one(self, server, sock, reader, conn_id):
        head = reader.read_until(b"\r\n\r\n", MAX_HEAD).decode("latin-1")
        lines = head.split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
        hmap = {n.lower(): v for (n, v) in headers}
        if "100-continue" in hmap.get("expect", "").lower():
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in hmap.get("transfer-encoding", "").lower():
            body = _read_chunked(reader)
        elif "content-length" in hmap:
            body = reader.read_exact(int(hmap["content-length"]))
        else:
            body = b""
        req = Request(method, target, version, headers, body, conn_id, self.client_address[0])
        with server.lock:
            server.requests.append(req)
        conn_tokens = hmap.get("connection", "").lower()
        keep = "close" not in conn_tokens
        if version == "HTTP/1.0":
            keep = "keep-alive" in conn_tokens
        return _respond(server, sock, req, keep) and keep


def _send(sock, status, headers, body, head_only, keep):
    reason = {200: "OK", 204: "No Content", 304: "Not Modified",
              404: "Not Found", 500: "Internal Server Error",
              503: "Service Unavailable"}.get(status, "Status")
    out = ["HTTP/1.1 %d %s" % (status, reason)]
    out += ["%s: %s" % h for h in headers]
    if not keep:
        out.append("Connection: close")
    data = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
    if not head_only:
        data += body
    sock.sendall(data)


def _respond(server, sock, req, keep):
    """Answers `req`; returns False when the connection must close."""
    url = urllib.parse.urlsplit(req.target)
    parts = url.path.strip("/").split("/")
    head_only = req.method == "HEAD"
    what = parts[0] if parts else ""
    script = server.scripts.get(url.path)
    if script is not None:
        return _scripted(sock, req, script, head_only, keep)
    arg = parts[1] if len(parts) > 1 else ""

    if what == "bytes":
        body = pattern_bytes(int(arg))
        _send(sock, 200, [("Content-Type", "application/octet-stream"),
                          ("Content-Length", str(len(body)))], body, head_only, keep)
    elif what == "chunked":
        data = pattern_bytes(int(arg))
        body = b""
        for i in range(0, len(data), 1000):
            piece = data[i:i + 1000]
            body += b"%x\r\n%s\r\n" % (len(piece), piece)
        body += b"0\r\n\r\n"
        _send(sock, 200, [("Content-Type", "text/plain"),
                          ("Transfer-Encoding", "chunked")], body, head_only, keep)
    elif what == "status":
        code = int(arg)
        body = b"" if code in (204, 304) or code < 200 else b"status %d\n" % code
        hdrs = [("Content-Type", "text/plain")]
        if code not in (204, 304):
            hdrs.append(("Content-Length", str(len(body))))
        _send(sock, code, hdrs, body, head_only, keep)
    elif what == "echo":
        body = json.dumps({
            "method": req.method, "target": req.target, "version": req.version,
            "headers": req.headers, "body": req.body.decode("latin-1"),
        }).encode()
        _send(sock, 200, [("Content-Type", "application/json"),
                          ("Content-Length", str(len(body)))], body, head_only, keep)
    elif what == "slow":
        time.sleep(min(float(arg), 30.0))
        _send(sock, 200, [("Content-Type", "text/plain"), ("Content-Length", "5")],
              b"slow\n", head_only, keep)
    elif what == "close":
        _send(sock, 200, [("Content-Type", "text/plain")], b"closed body\n", head_only, False)
        return False
    elif what == "headers":
        hdrs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        body = b"headers\n"
        _send(sock, 200, hdrs + [("Content-Length", str(len(body)))], body, head_only, keep)
    elif what == "bigheader":
        body = b"big\n"
        _send(sock, 200, [("X-Big", "b" * int(arg)), ("Content-Length", "4")], body,
              head_only, keep)
    elif what == "bad":
        sock.sendall(_BAD[arg])
        return False
    else:
        body = b"hello from origin\n"
        _send(sock, 200, [("Content-Type", "text/plain"),
                          ("Content-Length", str(len(body)))], body, head_only, keep)
    return True


def _hdr(headers, name):
    lname = name.lower()
    for n, v in headers:
        if n.lower() == lname:
            return v
    return None


def _not_modified(req, headers):
    """True when req's validators match the scripted ETag / Last-Modified."""
    if req.method not in ("GET", "HEAD"):
        return False
    inm = req.header("If-None-Match")
    if inm:
        # RFC 9110 13.1.2: weak comparison; If-Modified-Since is then ignored.
        etag = _hdr(headers, "ETag")
        tags = [t.strip() for v in inm for t in v.split(",")]
        strip = lambda t: t[2:] if t.startswith("W/") else t
        return etag is not None and ("*" in tags or strip(etag) in map(strip, tags))
    ims, lm = req.header("If-Modified-Since"), _hdr(headers, "Last-Modified")
    if ims and lm:
        try:
            return email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(ims[0])
        except (TypeError, ValueError):
            return False
    return False


_INTERIM_REASON = {100: "Continue", 102: "Processing", 103: "Early Hints"}


def _scripted(sock, req, script, head_only, keep):
    """Answers from an Origin.script() entry; returns False to close."""
    if script.get("delay"):
        time.sleep(min(script["delay"], 30.0))
    for status, hdrs in script.get("interim", ()):
        head = ["HTTP/1.1 %d %s" % (status, _INTERIM_REASON.get(status, "Interim"))]
        head += ["%s: %s" % h for h in hdrs]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    headers = list(script["headers"])
    if _hdr(headers, "Date") is None:
        headers.insert(0, ("Date", email.utils.formatdate(usegmt=True)))
    status, body = script["status"], script["body"]
    if script["validate"] and status == 200 and _not_modified(req, headers):
        # A 304 carries the script's headers but no framing of its own,
        # unless the script lists explicit 304 headers.
        extra = script["headers_304"]
        if extra is None:
            extra = [h for h in headers if h[0].lower() != "content-length"]
        elif _hdr(extra, "Date") is None:
            extra = [("Date", email.utils.formatdate(usegmt=True))] + list(extra)
        _send(sock, 304, extra, b"", True, keep)
        return True
    gen = script.get("generate")
    if gen is not None:
        block, count = gen
        headers.append(("Content-Length", str(len(block) * count)))
        _send(sock, status, headers, b"", True, keep)
        if not head_only:
            # A slow reader must not trip IO_TIMEOUT on a huge body.
            sock.settimeout(120.0)
            for _ in range(count):
                sock.sendall(block)
                script["sent"] += len(block)
            sock.settimeout(IO_TIMEOUT)
        return True
    rng = re.match(r"bytes=(\d*)-(\d*)$", req.header("Range")[0]) \
        if script["ranges"] and status == 200 and req.header("Range") else None
    if rng and not rng.group(1) and rng.group(2) and 0 < int(rng.group(2)):
        # a suffix: the last N bytes
        first, last = max(len(body) - int(rng.group(2)), 0), len(body) - 1
        headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, len(body))))
        status, body = 206, body[first:last + 1]
    elif rng and rng.group(1) and int(rng.group(1)) < len(body):
        first = int(rng.group(1))
        last = min(int(rng.group(2) or len(body) - 1), len(body) - 1)
        headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, len(body))))
        status, body = 206, body[first:last + 1]
    if _hdr(headers, "Content-Length") is None and status not in (204, 304):
        headers.append(("Content-Length", str(len(body))))
    _send(sock, status, headers, body, head_only or status in (204, 304), keep)
    return True


_BAD = {
    "cl-te": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
             b"\r\n5\r\nhello\r\n0\r\n\r\n",
    "two-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!",
    "chunk-size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "http09": b"this is not an HTTP response at all\n",
}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a burst, and the
    # proxy's retries then take seconds.
    request_queue_size = 512

    def __init__(self, addr, ssl_context=None):
        super().__init__(addr, _Handler)
        self.ssl_context = ssl_context
        self.lock = threading.Lock()
        self.requests = []
        self.connections = 0
        self.scripts = {}
        self.open_socks = set()
        self.tls_resumed = []   # per TLS connection: did it resume a session?

    def get_request(self):
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            sock.settimeout(IO_TIMEOUT)
            sock = self.ssl_context.wrap_socket(sock, server_side=True)
            with self.lock:
                self.tls_resumed.append(sock.session_reused)
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # a misbehaving client is part of the tests, not a failure here


class Origin:
    """A running origin on 127.0.0.1; `port`, `requests`, `connections`."""

    def __init__(self, ssl_context=None, port=0):
        # port: a given one, to come back where a stopped origin was
        self.server = _Server(("127.0.0.1", port), ssl_context)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def requests(self):
        with self.server.lock:
            return list(self.server.requests)

    @property
    def connections(self):
        with self.server.lock:
            return self.server.connections

    @property
    def tls_resumed(self):
        """For each TLS handshake completed, in order: was a session resumed?"""
        with self.server.lock:
            return list(self.server.tls_resumed)

    def script(self, path, status=200, headers=(), body=b"", validate=True,
               headers_304=None, delay=0.0, generate=None, ranges=False,
               interim=()):
        """From now on `path` answers status, headers and body (see the module
        doc).  validate=False never answers 304; headers_304 replaces the
        headers sent with a 304 (a Date is still added).  delay waits that
        many seconds (after recording the request) before answering.
        generate=(block, count) sends `block` repeated `count` times as the
        body, written piece by piece so a huge body is never held whole
        (sent_bytes(path) tells how much of it went out).  ranges=True
        answers a single "bytes=first-[last]" Range with a 206.
        interim=[(status, [(name, value), ...]), ...] sends those 1xx
        heads, in order, before the final response.
        """
        if isinstance(body, str):
            body = body.encode("latin-1")
        with self.server.lock:
            self.server.scripts[path] = {
                "status": status, "headers": list(headers), "body": body,
                "validate": validate, "headers_304": headers_304,
                "delay": delay, "generate": generate, "ranges": ranges,
                "interim": list(interim), "sent": 0}

    def sent_bytes(self, path):
        """Body bytes of a generated body written for path so far."""
        with self.server.lock:
            return self.server.scripts[path]["sent"]

    def requests_for(self, path):
        """The recorded requests whose target path (query ignored) is `path`."""
        return [r for r in self.requests if urllib.parse.urlsplit(r.target).path == path]

    def count(self, path):
        """How many requests for `path` reached this origin."""
        return len(self.requests_for(path))

    def url(self, path, host="origin.test"):
        return "http://%s:%d%s" % (host, self.port, path)

    def wait_requests(self, n, timeout=5.0):
        """Waits until at least n requests were recorded; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reqs = self.requests
            if len(reqs) >= n:
                return reqs
            time.sleep(0.02)
        return self.requests

    def stop(self):
        """Stops serving; later calls do nothing (a test may stop it early)."""
        if getattr(self, "stopped", False):
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()
        # Pooled connections must not outlive the origin: a stopped origin
        # is one the proxy cannot reach at all.
        with self.server.lock:
            socks = list(self.server.open_socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def make_tls_context(certfile, keyfile):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


def closed_port():
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
