"""An origin that records the raw bytes of each connection and follows a plan.

`origin.py` records parsed requests; smuggling and retry tests need more: the
exact bytes the proxy sent on each connection, and a server that misbehaves
at a chosen request of a chosen connection (closes a pooled connection just
as a request arrives, resets it, breaks off a response it has started).

RawOrigin(plans, reply=...) answers the n-th connection it accepts with
plans[n] (the last plan is reused for later connections): a list of actions,
one per request read on that connection, framed the way a plain origin
frames them (Content-Length or chunked; nothing else means no body, so a
body without framing is read as the next request, as a real origin would):

  "ok"          send `reply` (keep-alive) and read the next request
  "close"       read the request, then close quietly (FIN, no response byte)
  "reset"       read the request, then close with an RST (SO_LINGER 0)
  "head-part"   send the first bytes of a response head, then close
  "body-part"   send a whole head and part of its body, then close

After the plan's last action, or `idle` seconds without a byte between
requests, the connection is closed.  Every wait is bounded by IO_TIMEOUT.
"""

import socket
import struct
import threading

IO_TIMEOUT = 10.0
MAX_REQUESTS = 100

OK_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"


class RawRequest:
    def __init__(self, conn_index, head, body):
        self.conn_index = conn_index    # 0 for the first accepted connection
        self.head = head                # bytes, up to and including CRLFCRLF
        self.body = body
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.target = lines[0].split(" ")[:2]
        self.headers = []
        for line in lines[1:]:
            if line:
                n, _, v = line.partition(":")
                self.headers.append((n, v.strip()))

    def header(self, name):
        return [v for (n, v) in self.headers if n.lower() == name.lower()]

    def __repr__(self):
        return "RawRequest(%s %s on conn %d)" % (self.method, self.target, self.conn_index)


class _Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.raw = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError()
        self.buf += data
        self.raw += data

    def until(self, sep, limit=1 << 20):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise EOFError()
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, index):
        head = self.until(b"\r\n\r\n")
        req = RawRequest(index, head, b"")
        te = ",".join(req.header("Transfer-Encoding")).lower()
        if "chunked" in te:
            body = b""
            for _ in range(100_000):
                line = self.until(b"\r\n")
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    self.until(b"\r\n")
                    break
                body += self.exact(size)
                self.exact(2)
            req.body = body
        elif req.header("Content-Length"):
            req.body = self.exact(int(req.header("Content-Length")[0]))
        return req


class RawOrigin:
    def __init__(self, plans, reply=OK_REPLY, idle=1.0):
        self.plans = plans
        self.idle = idle
        self.reply = reply
        self.lock = threading.Lock()
        self.requests = []      # RawRequest, in arrival order
        self.raw = []           # bytes received, one entry per connection
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stopping = False
        self.threads = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def url(self, path, host="origin.test"):
        return "http://%s:%d%s" % (host, self.port, path)

    @property
    def connections(self):
        with self.lock:
            return len(self.raw)

    def _accept(self):
        while not self.stopping:
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                index = len(self.raw)
                self.raw.append(b"")
            t = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, sock, index):
        sock.settimeout(IO_TIMEOUT)
        conn = _Conn(sock)
        plan = self.plans[min(index, len(self.plans) - 1)]
        try:
            for action in plan[:MAX_REQUESTS]:
                # an idle pooled connection ends after `idle`; a request
                # that started gets IO_TIMEOUT to arrive whole
                sock.settimeout(self.idle)
                if not conn.buf:
                    conn._fill()
                sock.settimeout(IO_TIMEOUT)
                req = conn.request(index)
                with self.lock:
                    self.requests.append(req)
                if action == "ok":
                    sock.sendall(self.reply)
                    continue
                if action == "reset":
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                elif action == "head-part":
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
                elif action == "body-part":
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")
                break
            # What arrives after the plan (a smuggled request) is recorded too.
            sock.settimeout(min(self.idle, 0.3))
            for _ in range(100):
                conn._fill()
        except (EOFError, OSError, ValueError):
            pass
        finally:
            with self.lock:
                self.raw[index] = conn.raw
            sock.close()

    def wait_connections_done(self, n, timeout=5.0):
        """Waits until n connection threads ended (their raw bytes are final)."""
        for t in self.threads[:n]:
            t.join(timeout)

    def stop(self):
        self.stopping = True
        self.acceptor.join(2.0)
        self.listener.close()
