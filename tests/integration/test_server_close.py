"""A server that closes a pooled connection without answering.

The retry that follows used to re-initialise the transaction's armed read
timer: the heap kept a pointer into the freed transaction and the worker
died with SIGSEGV when that timer came due (found by the cache-tests suite).
"""

import socket
import threading
import time

from helpers import get, wait_for


class ClosingOrigin:
    """Answers the first request on a connection and closes it silently on
    the second, so the proxy's pooled connection dies under a request."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.answered = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        deadline = time.monotonic() + 60
        while not self.stop and time.monotonic() < deadline:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    @staticmethod
    def _read_head(c):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return None
            data += chunk
        return data

    def _conn(self, c):
        c.settimeout(10)
        try:
            for n in range(2):
                if self._read_head(c) is None:
                    return
                if n == 1:
                    return          # the second request: close unanswered
                self.answered += 1
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                          b"Cache-Control: no-store\r\n\r\nok")
        except OSError:
            pass
        finally:
            c.close()

    def url(self, path):
        return "http://origin.test:%d%s" % (self.port, path)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


def test_retry_after_pooled_close_keeps_the_worker_alive(proxy, impl):
    o = ClosingOrigin()
    try:
        # read_timeout short, so a timer left behind comes due in the test
        p = proxy("read_timeout 1 second\n")
        # the master forks its worker after the port is up: wait for it
        workers = wait_for(p.worker_pids, 5.0) if impl == "cuttle" else None
        for i in range(4):
            r = get(p.port, o.url("/r%d" % i))
            assert r.status == 200, r
        time.sleep(2.5)
        for i in range(4, 6):
            r = get(p.port, o.url("/r%d" % i))
            assert r.status == 200, r
        if impl == "cuttle":
            assert p.worker_pids() == workers
        assert "signal" not in p.cache_log
        assert o.connections >= 3
    finally:
        o.close()
