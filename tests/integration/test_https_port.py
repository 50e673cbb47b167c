"""https_port: TLS between the client and the proxy itself (`curl --proxy
https://...`), for plain requests and for CONNECT tunnels inside it."""

import os
import shutil
import socket
import ssl
import tempfile

import pytest

from helpers import curl
from origin import pattern_bytes
from proxyproc import free_port


@pytest.fixture(scope="module")
def certs():
    from tlscerts import CertSet
    d = tempfile.mkdtemp(prefix="cuttle-it-httpsport-")
    os.chmod(d, 0o755)
    yield CertSet(d)
    shutil.rmtree(d, ignore_errors=True)


def https_proxy(proxy, certs, ssl_ports=()):
    """A proxy with an https_port (certs.good, for 127.0.0.1); returns (proxy, port)."""
    port = free_port()
    cert, key = certs.good
    p = proxy(conf_extra="https_port 127.0.0.1:%d tls-cert=%s tls-key=%s\n"
              % (port, cert, key), ssl_ports=ssl_ports)
    return p, port


def test_plain_request_through_an_https_proxy(proxy, certs, origin):
    p, port = https_proxy(proxy, certs)
    r = curl(p.port, "http://origin.test:%d/bytes/5000" % origin.port,
             "--proxy", "https://127.0.0.1:%d" % port, "--proxy-cacert", certs.ca)
    assert r.status == 200, r.stderr
    assert r.body == pattern_bytes(5000)
    e = p.access_entries(1)
    assert (e[0]["code"], e[0]["url"]) == (
        "TCP_MISS/200", "http://origin.test:%d/bytes/5000" % origin.port)


def test_connect_through_an_https_proxy(proxy, certs, tls_origin):
    p, port = https_proxy(proxy, certs, ssl_ports=[tls_origin.port])
    r = curl(p.port, "https://tls.test:%d/bytes/300000" % tls_origin.port,
             "--proxy", "https://127.0.0.1:%d" % port, "--proxy-cacert", certs.ca,
             "--cacert", tls_origin.cert)
    assert r.status == 200, r.stderr
    assert r.body == pattern_bytes(300000)
    e = p.access_entries(1)
    assert (e[0]["code"], e[0]["method"]) == ("TCP_TUNNEL/200", "CONNECT")


def test_keep_alive_through_an_https_proxy(proxy, certs, origin):
    p, port = https_proxy(proxy, certs)
    ctx = ssl.create_default_context(cafile=certs.ca)
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                         server_hostname="127.0.0.1") as tls:
        for n in (10, 100000):
            tls.sendall(b"GET http://origin.test:%d/bytes/%d HTTP/1.1\r\n"
                        b"Host: origin.test:%d\r\n\r\n" % (origin.port, n, origin.port))
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = tls.recv(65536)
                assert chunk, "closed"
                buf += chunk
            head, _, body = buf.partition(b"\r\n\r\n")
            while len(body) < n:
                chunk = tls.recv(65536)
                assert chunk, "closed"
                body += chunk
            assert head.startswith(b"HTTP/1.1 200")
            assert body == pattern_bytes(n)


def test_plain_http_to_an_https_port_is_closed(proxy, certs, origin):
    p, port = https_proxy(proxy, certs)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET http://origin.test:%d/ HTTP/1.1\r\nHost: x\r\n\r\n" % origin.port)
    try:
        data = s.recv(65536)
    except ConnectionResetError:
        data = b""
    assert not data.startswith(b"HTTP/1.1 200")
    s.close()
    assert origin.requests == []
    # and the port still serves TLS clients
    r = curl(p.port, "http://origin.test:%d/" % origin.port,
             "--proxy", "https://127.0.0.1:%d" % port, "--proxy-cacert", certs.ca)
    assert r.status == 200, r.stderr


def test_https_port_ends_with_close_notify(proxy, certs, origin):
    # Reading to the end, a TLS client must see close_notify before the FIN
    # (OpenSSL 3 clients otherwise report "unexpected eof while reading").
    p, port = https_proxy(proxy, certs)
    ctx = ssl.create_default_context(cafile=certs.ca)
    ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF     # Python's default hides it
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1",
                         suppress_ragged_eofs=False) as tls:
        tls.sendall(b"GET http://origin.test:%d/bytes/100 HTTP/1.1\r\n"
                    b"Host: origin.test:%d\r\nConnection: close\r\n\r\n"
                    % (origin.port, origin.port))
        out = b""
        for _ in range(1000):
            data = tls.recv(65536)      # SSLEOFError without close_notify
            if not data:
                break
            out += data
    assert out.startswith(b"HTTP/1.1 200"), out[:200]
    assert out.endswith(pattern_bytes(100))
