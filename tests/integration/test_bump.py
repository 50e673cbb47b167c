"""SslBump on an ssl-bump http_port: the ssl_bump steps, which certificate
the client sees, splicing the client's own ClientHello, access.log lines.

The bump CA is the session's (conftest.bump_ca) and bump_proxy comes from
bump.py; origins use the session's self-signed tls.test certificate
(tls_origin).  Both proxies run Squid's certificate helper with a fresh
ssl_db, so every test that Squid can run is checked against it.
"""

import hashlib
import os
import shutil
import socket
import ssl
import tempfile
import time

import pytest

from bump import bump_proxy
from helpers import RawClient, wait_for
from origin import pattern_bytes

TIMEOUT = 10


def connect(proxy_port, host, port):
    """CONNECT host:port; returns the socket after a 200."""
    c = RawClient(proxy_port)
    c.send("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port, host, port))
    r = c.read_response("CONNECT")
    assert r.status == 200, r.status
    assert c.buf == b"", "bytes after the CONNECT reply"
    c.sock.settimeout(TIMEOUT)
    return c.sock


def tls_client(sock, cafile, sni):
    """TLS over sock trusting only cafile, checking the name sni."""
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx.wrap_socket(sock, server_hostname=sni)


def cert_names(tls):
    """(subject CN, issuer CN) of the certificate the client was shown."""
    c = tls.getpeercert()
    subject = dict(x[0] for x in c["subject"])
    issuer = dict(x[0] for x in c["issuer"])
    return subject.get("commonName"), issuer.get("commonName")


def https_get(tls, path, host="tls.test"):
    tls.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                 % (path, host)).encode())
    out = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            data = tls.recv(65536)
        except ssl.SSLError:
            break
        if not data:
            break
        out += data
    head, _, body = out.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def log_lines(p, n):
    e = p.access_entries(n, TIMEOUT)
    assert len(e) >= n, "access.log: %r" % p.access_log_lines(0, 0)
    return e


def closed_by_proxy(sock):
    """True when the proxy closes sock without sending anything."""
    sock.settimeout(TIMEOUT)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_bump_at_step1_mints_for_the_connect_host(proxy, bump_ca, tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all", ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        subject, issuer = cert_names(tls)
    assert subject == "tls.test"
    assert issuer == bump_ca[2]


def test_no_rules_splice(proxy, bump_ca, tls_origin):
    # No ssl_bump line at all: every CONNECT is a plain tunnel.
    p = bump_proxy(proxy, bump_ca, "", ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), tls_origin.cert,
                    "tls.test") as tls:
        assert cert_names(tls)[1] == "tls.test"     # the origin's own
        head, body = https_get(tls, "/bytes/1000")
    assert head.startswith("HTTP/1.1 200")
    assert body == pattern_bytes(1000)
    e = log_lines(p, 1)
    assert [(x["code"], x["method"]) for x in e] == [("TCP_TUNNEL/200", "CONNECT")]


def test_peek_then_splice_is_end_to_end(proxy, bump_ca, tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump splice all",
                   ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), tls_origin.cert,
                    "tls.test") as tls:
        assert cert_names(tls) == ("tls.test", "tls.test")
        head, body = https_get(tls, "/bytes/100000")
    assert head.startswith("HTTP/1.1 200")
    assert body == pattern_bytes(100000)
    # Squid logs the peeked CONNECT, then the tunnel it became.
    e = log_lines(p, 2)
    assert (e[0]["code"], e[0]["bytes"], e[0]["hier"]) == ("NONE_NONE/200", "0", "HIER_NONE/-")
    assert e[1]["tag"] == "TCP_TUNNEL"
    if p.impl != "squid":
        # Squid 5.7 logs this tunnel as TCP_TUNNEL/500 although it worked.
        assert e[1]["status"] == 200
    assert e[1]["hier"] == "HIER_DIRECT/127.0.0.1"
    assert e[0]["url"] == e[1]["url"] == "tls.test:%d" % tls_origin.port


def test_peek_then_bump_mints_for_the_sni(proxy, bump_ca, tls_origin):
    # The CONNECT names an IP; the certificate follows the SNI.
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all",
                   ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "127.0.0.1", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        subject, issuer = cert_names(tls)
    assert (subject, issuer) == ("tls.test", bump_ca[2])


@pytest.mark.parametrize("sni,spliced", [("tls.test", True), ("other.test", False)])
def test_splice_list_by_server_name(proxy, bump_ca, tls_origin, sni, spliced):
    p = bump_proxy(proxy, bump_ca,
                   "ssl_bump peek step1\nssl_bump splice nobump\nssl_bump bump all",
                   extra="acl nobump ssl::server_name tls.test",
                   ssl_ports=[tls_origin.port])
    ca = tls_origin.cert if spliced else bump_ca[0]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    with ctx.wrap_socket(connect(p.port, "127.0.0.1", tls_origin.port),
                         server_hostname=sni) as tls:
        issuer = cert_names(tls)[1]
    assert issuer == ("tls.test" if spliced else bump_ca[2])


def test_terminate_closes(proxy, bump_ca, tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump terminate all",
                   ssl_ports=[tls_origin.port])
    s = connect(p.port, "tls.test", tls_origin.port)
    ctx = ssl.create_default_context(cafile=bump_ca[0])
    with pytest.raises((ssl.SSLError, OSError)):
        ctx.wrap_socket(s, server_hostname="tls.test")
    s.close()
    e = log_lines(p, 1)
    assert (e[0]["code"], e[0]["bytes"], e[0]["hier"]) == ("NONE_NONE/200", "0", "HIER_NONE/-")


def _client_hello(sni):
    """The bytes of a real ClientHello for sni, and the SSLObject waiting."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read(), obj, inc, out


def _finish_handshake(sock, obj, inc, out):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            obj.do_handshake()
            pending = out.read()
            if pending:
                sock.sendall(pending)
            return obj
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                sock.sendall(pending)
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("proxy closed during the handshake")
            inc.write(data)
    raise TimeoutError("handshake")


def test_client_hello_in_small_pieces(proxy, bump_ca, tls_origin):
    # A ClientHello split over many TCP segments is still read whole.
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump splice all",
                   ssl_ports=[tls_origin.port])
    s = connect(p.port, "tls.test", tls_origin.port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hello, obj, inc, out = _client_hello("tls.test")
    for i in range(0, len(hello), 7):
        s.sendall(hello[i:i + 7])
        time.sleep(0.002)
    _finish_handshake(s, obj, inc, out)
    cert = obj.getpeercert(binary_form=True)
    assert ssl.DER_cert_to_PEM_cert(cert).strip() in open(tls_origin.cert).read()
    s.close()


def test_not_tls_after_connect_is_closed_and_logged(proxy, bump_ca, tls_origin):
    # Squid 5.7 (on_unsupported_protocol respond, its default) closes too.
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all",
                   ssl_ports=[tls_origin.port])
    s = connect(p.port, "tls.test", tls_origin.port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: tls.test\r\n\r\n")
    assert closed_by_proxy(s)
    e = log_lines(p, 1)
    assert (e[0]["code"], e[0]["bytes"], e[0]["hier"]) == ("NONE_NONE/200", "0", "HIER_NONE/-")
    if p.impl != "squid":
        assert wait_for(lambda: "unsupported protocol" in p.cache_log, TIMEOUT)


def test_on_unsupported_protocol_tunnel(proxy, bump_ca, origin):
    # Plain HTTP inside the CONNECT goes through unchanged when allowed.
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all",
                   extra="on_unsupported_protocol tunnel all",
                   ssl_ports=[origin.port])
    s = connect(p.port, "origin.test", origin.port)
    s.sendall(b"GET /bytes/50 HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n")
    out = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        data = s.recv(65536)
        if not data:
            break
        out += data
    assert out.startswith(b"HTTP/1.1 200")
    assert out.endswith(pattern_bytes(50))
    assert origin.requests[0].target == "/bytes/50"


def test_bumped_requests_are_ordinary_and_cached(proxy, bump_ca, tls_origin):
    # Inside a bump: https:// URLs, the origin reached over verified TLS, and
    # the second fetch of a cacheable object is a memory hit.
    tls_origin.script("/pkg.tgz", 200, [("Cache-Control", "max-age=3600"),
                                        ("Content-Type", "application/gzip")],
                      b"tarball" * 1000)
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                   extra="tls_outgoing_options cafile=%s" % tls_origin.cert,
                   ssl_ports=[tls_origin.port], cache=True)
    for _ in range(2):
        with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                        "tls.test") as tls:
            head, body = https_get(tls, "/pkg.tgz", "tls.test:%d" % tls_origin.port)
        assert head.startswith("HTTP/1.1 200"), head
        assert body == b"tarball" * 1000
    assert tls_origin.count("/pkg.tgz") == 1
    e = log_lines(p, 4)
    url = "https://tls.test:%d/pkg.tgz" % tls_origin.port
    assert [(x["code"], x["method"], x["url"]) for x in e] == [
        ("NONE_NONE/200", "CONNECT", "tls.test:%d" % tls_origin.port),
        ("TCP_MISS/200", "GET", url),
        ("NONE_NONE/200", "CONNECT", "tls.test:%d" % tls_origin.port),
        ("TCP_MEM_HIT/200", "GET", url)]
    assert e[0]["bytes"] == "0"


def test_bumped_connection_keeps_alive(proxy, bump_ca, tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                   extra="tls_outgoing_options cafile=%s" % tls_origin.cert,
                   ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        for n in (10, 200000):
            tls.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: tls.test:%d\r\n\r\n"
                        % (n, tls_origin.port))
            buf = b""
            deadline = time.monotonic() + TIMEOUT
            while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
                buf += tls.recv(65536)
            head, _, body = buf.partition(b"\r\n\r\n")
            while len(body) < n and time.monotonic() < deadline:
                body += tls.recv(65536)
            assert head.startswith(b"HTTP/1.1 200")
            assert body == pattern_bytes(n)


def _modes(p, n):
    lines = p.access_log_lines(n, TIMEOUT, path=os.path.join(p.dir, "modes.log"))
    return [tuple(l.split()) for l in lines]


MODES_LOG = ("logformat modes %rm %ssl::bump_mode %ssl::>sni\n"
             "access_log stdio:@DIR@/modes.log modes\n")


def test_bump_mode_logged_peek_splice(proxy, bump_ca, tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump splice all",
                   extra=MODES_LOG, ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), tls_origin.cert,
                    "tls.test") as tls:
        https_get(tls, "/bytes/10")
    # Squid writes the final mode on both lines.
    assert _modes(p, 2) == [("CONNECT", "splice", "tls.test"),
                            ("CONNECT", "splice", "tls.test")]


def test_bump_mode_logged_bump_at_step1(proxy, bump_ca, tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                   extra=MODES_LOG, ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        tls.sendall(b"GET http://x HTTP/1.1\r\n")   # no upstream needed
    assert _modes(p, 1)[0] == ("CONNECT", "bump", "tls.test")


@pytest.fixture(scope="module")
def certs():
    """A test CA and origin certificates signed by it (tlscerts.CertSet)."""
    from tlscerts import CertSet
    d = tempfile.mkdtemp(prefix="cuttle-it-bumpcerts-")
    os.chmod(d, 0o755)
    yield CertSet(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def signed_origin(certs):
    from origin import Origin, make_tls_context
    o = Origin(make_tls_context(*certs.good))
    yield o
    o.stop()


@pytest.mark.parametrize("rules", ["ssl_bump server-first all",
                                   "ssl_bump peek step1\nssl_bump bump all",
                                   "ssl_bump stare step1\nssl_bump bump all"])
def test_bump_after_the_server_mimics_its_certificate(proxy, bump_ca, certs,
                                                      signed_origin, rules):
    p = bump_proxy(proxy, bump_ca, rules, ssl_ports=[signed_origin.port],
                   extra="tls_outgoing_options cafile=%s" % certs.ca)
    with tls_client(connect(p.port, "tls.test", signed_origin.port), bump_ca[0],
                    "tls.test") as tls:
        c = tls.getpeercert()
        head, body = https_get(tls, "/bytes/100", "tls.test:%d" % signed_origin.port)
    subject = dict(x[0] for x in c["subject"])
    # the origin's subject and names, under the bump CA
    assert subject == {"organizationName": "cuttle tests", "commonName": "tls.test"}
    assert dict(x[0] for x in c["issuer"])["commonName"] == bump_ca[2]
    assert sorted(c["subjectAltName"]) == sorted(
        [("DNS", "tls.test"), ("DNS", "other.test"), ("IP Address", "127.0.0.1")])
    assert head.startswith("HTTP/1.1 200")
    assert body == pattern_bytes(100)


def test_bumped_connection_ends_with_close_notify(proxy, bump_ca, certs, signed_origin):
    # A TLS client reading to the end (a close-delimited body, or just EOF
    # after Connection: close) must see close_notify before the TCP FIN:
    # without it OpenSSL 3 clients (curl) report "unexpected eof while
    # reading".  cuttle used to half-close first, so its close_notify hit a
    # shut socket (EPIPE) and never arrived.
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all", ssl_ports=[signed_origin.port],
                   extra="tls_outgoing_options cafile=%s" % certs.ca)
    ctx = ssl.create_default_context(cafile=bump_ca[0])
    ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF     # Python's default hides it
    with ctx.wrap_socket(connect(p.port, "tls.test", signed_origin.port),
                         server_hostname="tls.test", suppress_ragged_eofs=False) as tls:
        tls.sendall(b"GET /bytes/1000 HTTP/1.1\r\nHost: tls.test:%d\r\n"
                    b"Connection: close\r\n\r\n" % signed_origin.port)
        out = b""
        for _ in range(1000):
            data = tls.recv(65536)      # SSLEOFError without close_notify
            if not data:
                break
            out += data
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), out[:300]
    assert body == pattern_bytes(1000)


def test_untrusted_origin_gets_the_error_inside_the_bump(proxy, bump_ca, certs,
                                                         signed_origin):
    # The origin's CA is not trusted: the client is bumped anyway and its
    # request answered with ERR_SECURE_CONNECT_FAIL, logged NONE_NONE/503.
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all",
                   ssl_ports=[signed_origin.port])
    with tls_client(connect(p.port, "tls.test", signed_origin.port), bump_ca[0],
                    "tls.test") as tls:
        head, body = https_get(tls, "/", "tls.test:%d" % signed_origin.port)
    assert head.startswith("HTTP/1.1 503")
    assert "X-Squid-Error: ERR_SECURE_CONNECT_FAIL" in head
    e = log_lines(p, 2)
    assert (e[1]["code"], e[1]["method"], e[1]["url"]) == (
        "NONE_NONE/503", "GET", "https://tls.test:%d/" % signed_origin.port)
    assert signed_origin.requests == []


def test_bumped_disk_hit(proxy, bump_ca, tls_origin):
    # A hit from a cache_dir goes to a bumped (TLS) client through a buffer,
    # not sendfile: the body must arrive whole and exact.
    tls_origin.script("/big.bin", 200, [("Cache-Control", "max-age=3600")],
                      pattern_bytes(300000))
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                   extra="tls_outgoing_options cafile=%s\ncache_mem 0 MB\n"
                   "cache_dir ufs @DIR@/cache 50 16 256" % tls_origin.cert,
                   ssl_ports=[tls_origin.port], cache=True, make_dirs=True)
    for _ in range(2):
        with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                        "tls.test") as tls:
            head, body = https_get(tls, "/big.bin", "tls.test:%d" % tls_origin.port)
        assert head.startswith("HTTP/1.1 200"), head
        assert body == pattern_bytes(300000)
    assert tls_origin.count("/big.bin") == 1
    e = log_lines(p, 4)
    assert e[3]["code"] == "TCP_HIT/200"


ALT_SVC = 'h3=":443"; ma=86400, h3-29=":443"; ma=86400, h2="alt.tls.test:443"'


@pytest.mark.cuttle_only(reason="beyond Squid: Squid 5.7 relays Alt-Svc as "
                         "the origin sent it, h3 and all")
def test_bumped_responses_lose_h3_alt_svc(proxy, bump_ca, tls_origin):
    # Clients told that the origin speaks HTTP/3 leave the inspected path
    # for QUIC: bumped responses, fresh and from the cache, keep only the
    # other alternatives; one with nothing else loses the header.
    tls_origin.script("/alt", 200, [("Cache-Control", "max-age=3600"),
                                    ("Alt-Svc", ALT_SVC)], b"a" * 100)
    tls_origin.script("/only-h3", 200, [("Alt-Svc", 'h3=":443"; ma=60')],
                      b"b")
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                   extra="tls_outgoing_options cafile=%s" % tls_origin.cert,
                   ssl_ports=[tls_origin.port], cache=True)
    authority = "tls.test:%d" % tls_origin.port
    seen = []
    for path in ("/alt", "/alt", "/only-h3"):
        with tls_client(connect(p.port, "tls.test", tls_origin.port),
                        bump_ca[0], "tls.test") as tls:
            head, _ = https_get(tls, path, authority)
        assert head.startswith("HTTP/1.1 200"), head
        seen.append([ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
                     if ln.lower().startswith("alt-svc:")])
    assert seen == [['h2="alt.tls.test:443"'], ['h2="alt.tls.test:443"'], []]
    assert tls_origin.count("/alt") == 1, "the second /alt is a hit"


def test_alt_svc_untouched_outside_a_bump(proxy, origin):
    # A plain proxied response is not the bump's business.
    origin.script("/alt", 200, [("Alt-Svc", ALT_SVC)], b"x")
    p = proxy()
    c = RawClient(p.port)
    c.send("GET http://127.0.0.1:%d/alt HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
           % (origin.port, origin.port))
    r = c.read_response("GET")
    assert r.status == 200
    assert r.header("Alt-Svc") == ALT_SVC


def squid_fingerprint(certfile):
    """SHA-1 of the certificate's DER as Squid writes it: AB:CD:..."""
    with open(certfile) as f:
        h = hashlib.sha1(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
    return ":".join(h[i:i + 2] for i in range(0, 40, 2)).upper()


@pytest.mark.parametrize("pinned", [True, False])
def test_sslproxy_cert_error_by_server_cert_fingerprint(proxy, bump_ca, certs,
                                                        signed_origin, pinned):
    # An origin signed by a CA the proxy does not trust is let through
    # when its certificate is the one the admin pinned by fingerprint (the
    # client is still shown a mimic signed as untrusted, as Squid's
    # default sslproxy_cert_sign does: it does not check it here).
    fp = squid_fingerprint(certs.good[0]) if pinned else ":".join(["00"] * 20)
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all",
                   extra="acl pinned server_cert_fingerprint %s\n"
                   "sslproxy_cert_error allow pinned\n"
                   "sslproxy_cert_error deny all\n" % fp,
                   ssl_ports=[signed_origin.port])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(connect(p.port, "tls.test", signed_origin.port),
                         server_hostname="tls.test") as tls:
        head, _ = https_get(tls, "/", "tls.test:%d" % signed_origin.port)
    assert head.startswith("HTTP/1.1 200" if pinned else "HTTP/1.1 503"), head


@pytest.fixture
def tls12_origin(tls_cert):
    """tls_origin's certificate on a TLS 1.2 server: Squid 5.7 sees a
    TLS 1.3 server's certificate only encrypted, so after a peek it splices
    whatever step 3's rules say; over TLS 1.2 both proxies decide alike."""
    from origin import Origin, make_tls_context
    ctx = make_tls_context(*tls_cert)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    o = Origin(ctx)
    o.cert = tls_cert[0]
    yield o
    o.stop()


@pytest.mark.parametrize("acl,sni,spliced", [
    ("ssl::server_name tls.test", None, True),     # the certificate's name
    ("ssl::server_name nomatch.test", None, False),
    ("ssl::server_name --server-provided tls.test", None, True),
    ("ssl::server_name --client-requested tls.test", None, False),  # an IP
    ("ssl::server_name --consensus tls.test", "tls.test", True),
    ("ssl::server_name --consensus tls.test", "other.test", False),
    ("ssl::server_name_regex ^tls\\.", None, True),
])
def test_server_name_at_step3_is_the_certificates(proxy, bump_ca, tls12_origin,
                                                  acl, sni, spliced):
    # A CONNECT to an address: only the server's certificate names
    # tls.test, once step 3 has seen it.  A splice decided at step 3 logs
    # the tunnel alone; a terminate there names no server, as in Squid.
    o = tls12_origin
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump peek step2\n"
                   "ssl_bump splice certname\nssl_bump terminate all",
                   extra="acl certname %s\ntls_outgoing_options cafile=%s\n"
                   % (acl, o.cert), ssl_ports=[o.port])
    sock = connect(p.port, "127.0.0.1", o.port)
    ctx = ssl.create_default_context(cafile=o.cert)
    ctx.check_hostname = False
    try:
        with ctx.wrap_socket(sock, server_hostname=sni) as tls:
            head, _ = https_get(tls, "/", "127.0.0.1:%d" % o.port)
        assert spliced and head.startswith("HTTP/1.1 200"), head
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        assert not spliced, "refused: %r" % e
    (e,) = log_lines(p, 1)
    if spliced:
        assert (e["code"], e["hier"]) == ("TCP_TUNNEL/200",
                                          "HIER_DIRECT/127.0.0.1")
        assert int(e["bytes"]) > 0
    else:
        assert (e["code"], e["bytes"], e["hier"]) == ("NONE_NONE/200", "0",
                                                      "HIER_NONE/-")


def test_terminate_at_step3_after_a_failed_server_handshake(proxy, bump_ca,
                                                             tls12_origin):
    # The server's certificate is refused (self-signed, not trusted): a
    # step 3 terminate still closes; the failure alone does not splice.
    o = tls12_origin
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump peek step2\n"
                   "ssl_bump terminate all", ssl_ports=[o.port])
    sock = connect(p.port, "tls.test", o.port)
    ctx = ssl.create_default_context(cafile=o.cert)
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        with ctx.wrap_socket(sock, server_hostname="tls.test") as tls:
            https_get(tls, "/", "tls.test:%d" % o.port)
    assert o.requests == []


def parent_served(parent):
    """The parent's access.log entries of what it served, once there is
    one: the front's probes of the parent leave NONE_NONE/000 lines."""
    def served():
        got = [x for x in parent.access_entries(1, 0) if x["code"] != "NONE_NONE/000"]
        return got or None
    return wait_for(served, TIMEOUT) or []


def bump_through(proxy, bump_ca, tls_origin, parent):
    """A proxy bumping everything, whose only way out is the parent."""
    return bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                      extra="cache_peer 127.0.0.1 parent %d 0 no-query no-digest\n"
                      "never_direct allow all\n"
                      "tls_outgoing_options cafile=%s" % (parent.port, tls_origin.cert),
                      ssl_ports=[tls_origin.port])


def test_bumped_requests_go_through_a_parents_connect_tunnel(proxy, bump_ca, tls_origin):
    """A bumped request whose next hop is a parent proxy travels as Squid
    5.7 sends it: a CONNECT to the parent, TLS with the origin inside that
    tunnel (the origin's certificate checked), and the request in origin
    form.  The parent sees only the CONNECT."""
    tls_origin.script("/inside", 200, [("Cache-Control", "no-store")], b"through")
    parent = proxy("unique_hostname parent1\n", ssl_ports=[tls_origin.port])
    p = bump_through(proxy, bump_ca, tls_origin, parent)
    with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        head, body = https_get(tls, "/inside", "tls.test:%d" % tls_origin.port)
    assert head.startswith("HTTP/1.1 200"), head
    assert body == b"through"
    (req,) = tls_origin.requests_for("/inside")
    assert req.target == "/inside"
    e = [x for x in log_lines(p, 2) if x["method"] == "GET"]
    assert (e[0]["code"], e[0]["hier"]) == ("TCP_MISS/200", "FIRSTUP_PARENT/127.0.0.1")
    # the parent logs the tunnel when it ends: cuttle keeps the connection
    # for the next request to that origin until it stops
    p.stop()
    got = parent_served(parent)
    assert [(x["code"], x["method"], x["url"]) for x in got] == [
        ("TCP_TUNNEL/200", "CONNECT", "tls.test:%d" % tls_origin.port)]


def test_bumped_request_refused_by_the_parents_connect(proxy, bump_ca, tls_origin):
    """The parent refuses the CONNECT (the port is not in its SSL_ports):
    its answer reaches the bumped client, as from Squid's tunneler."""
    parent = proxy("unique_hostname parent1\n")
    p = bump_through(proxy, bump_ca, tls_origin, parent)
    with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        head, _ = https_get(tls, "/refused", "tls.test:%d" % tls_origin.port)
    assert head.startswith("HTTP/1.1 403"), head
    assert "ERR_ACCESS_DENIED" in head
    assert tls_origin.count("/refused") == 0


@pytest.mark.cuttle_only(reason="Squid 5.7 does not reuse a to-parent tunnel: each "
                         "bumped connection opens its own CONNECT")
def test_parents_connect_tunnel_is_reused(proxy, bump_ca, tls_origin):
    """The tunnel and the TLS inside it are kept for the next request to
    the same origin, from another client connection too."""
    tls_origin.script("/again", 200, [("Cache-Control", "no-store")], b"again")
    parent = proxy("unique_hostname parent1\n", ssl_ports=[tls_origin.port])
    p = bump_through(proxy, bump_ca, tls_origin, parent)
    for _ in range(2):
        with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                        "tls.test") as tls:
            head, body = https_get(tls, "/again", "tls.test:%d" % tls_origin.port)
        assert head.startswith("HTTP/1.1 200") and body == b"again", head
    assert tls_origin.count("/again") == 2
    p.stop()
    got = parent_served(parent)
    assert [x["method"] for x in got] == ["CONNECT"]


@pytest.mark.parametrize("how", ["close", "reset"])
def test_bumped_request_when_the_parent_drops_the_connect(proxy, bump_ca, tls_origin, how):
    """The parent ends the connection without answering the CONNECT: the
    bumped client gets an error page from the front, never a hang."""
    from raworigin import RawOrigin
    parent = RawOrigin([[how]])
    try:
        p = bump_through(proxy, bump_ca, tls_origin, parent)
        with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                        "tls.test") as tls:
            head, _ = https_get(tls, "/dropped", "tls.test:%d" % tls_origin.port)
    finally:
        parent.stop()
    assert head.startswith("HTTP/1.1 50"), head
    assert tls_origin.count("/dropped") == 0
    if p.impl != "squid":
        assert head.startswith("HTTP/1.1 502") and "ERR_CONNECT_FAIL" in head, head
