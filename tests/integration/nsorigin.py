"""An origin server run inside a test's network namespace (ip netns exec).

    python3 nsorigin.py LOGFILE [--tls CERT KEY] ADDR:PORT...

Answers every request with 200 and a text body naming what it saw: the
client address, Host, request target and Via.  Each request is appended to
LOGFILE as a JSON line (what the tests check: the address a tproxy
connection came from, the Via a proxy added).  Responses are cacheable for
five minutes.  Prints "ready" once every address listens.
"""

import json
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        seen = {
            "client": self.client_address[0],
            "host": self.headers.get("Host"),
            "target": self.path,
            "via": self.headers.get("Via"),
            "sni": getattr(self.connection, "server_hostname", None),
        }
        with LOG_LOCK, open(self.server.logfile, "a") as f:
            f.write(json.dumps(seen) + "\n")
        body = ("client=%(client)s host=%(host)s target=%(target)s\n" % seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=300")
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, family, logfile, tls):
        self.address_family = family
        self.logfile = logfile
        super().__init__(addr, Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)


def main():
    args = sys.argv[1:]
    logfile = args.pop(0)
    tls = None
    if args[0] == "--tls":
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args[1], args[2])
        args = args[3:]
    for spec in args:
        host, _, port = spec.rpartition(":")
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        srv = Server((host, int(port)), family, logfile, tls)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()     # until the test closes our stdin


if __name__ == "__main__":
    main()
