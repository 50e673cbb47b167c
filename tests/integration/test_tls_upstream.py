"""TLS to origin servers: an absolute-form https:// request on a plain port.

Squid 5.7 forwards `GET https://host:port/path` by opening TLS to the
origin, checking its certificate against tls_outgoing_options (the system
trust store unless default-ca=off, plus cafile=), and refusing a certificate
error unless sslproxy_cert_error allows it: then the client gets 503
ERR_SECURE_CONNECT_FAIL naming the error.  The origins here are Python TLS
servers with certificates from tlscerts.py; tls.test and other.test resolve
to 127.0.0.1 through the test's hosts file.
"""

import os
import socket
import struct
import tempfile
import threading
import time

import pytest

from helpers import RawClient, build, get, log_entry, wait_for
from origin import Origin, make_tls_context
from proxyproc import make_writable_dir
from tlscerts import CertSet


@pytest.fixture(scope="module")
def certs():
    d = tempfile.mkdtemp(prefix="cuttle-it-tlsup-")
    make_writable_dir(d)
    os.chmod(d, 0o755)
    yield CertSet(d)
    if os.environ.get("KEEP") != "1":
        import shutil
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tls_origins():
    made = []

    def make(pair):
        o = Origin(make_tls_context(*pair))
        made.append(o)
        return o
    yield make
    for o in made:
        o.stop()


def url(o, path="/", host="tls.test"):
    return "https://%s:%d%s" % (host, o.port, path)


def conf(certs, *lines):
    return "".join(l + "\n" for l in lines)


def trusted(certs, *more):
    return conf(certs, "tls_outgoing_options cafile=%s" % certs.ca, *more)


def fields(e):
    """The access.log fields both proxies must agree on byte for byte."""
    return (e["code"], e["method"], e["url"], e["user"], e["hier"], e["type"])


# -- the good path ------------------------------------------------------------

def test_https_url_is_fetched_over_tls(proxy, tls_origins, certs):
    o = tls_origins(certs.good)
    p = proxy(trusted(certs))
    r = get(p.port, url(o, "/bytes/3000"))
    assert r.status == 200
    assert r.body == __import__("origin").pattern_bytes(3000)
    req = o.requests[-1]
    # origin-form toward the origin, Host as the client sent it
    assert req.target == "/bytes/3000"
    assert req.header("Host") == ["tls.test:%d" % o.port]
    e = log_entry(p, 1)
    assert fields(e) == ("TCP_MISS/200", "GET", url(o, "/bytes/3000"), "-",
                         "HIER_DIRECT/127.0.0.1", "application/octet-stream")


def test_chunked_and_post_over_tls(proxy, tls_origins, certs):
    o = tls_origins(certs.good)
    p = proxy(trusted(certs))
    r = get(p.port, url(o, "/chunked/70000"))
    assert r.status == 200 and len(r.body) == 70000
    r = get(p.port, url(o, "/echo"), method="POST", body=b"x" * 100000)
    assert r.status == 200
    assert o.requests[-1].body == b"x" * 100000


# -- certificate errors ---------------------------------------------------------

def _refused(p, o, path="/"):
    r = get(p.port, url(o, path))
    assert r.status == 503
    assert r.header("X-Squid-Error").startswith("ERR_SECURE_CONNECT_FAIL")
    return r


def test_default_trust_store_refuses_an_unknown_ca(proxy, tls_origins, certs, impl):
    o = tls_origins(certs.good)
    p = proxy("")
    r = _refused(p, o, "/x")
    if impl == "cuttle":
        # Squid 5.7 hides a missing issuer to go and fetch it, then reports
        # SQUID_TLS_ERR_CONNECT without naming it; cuttle names it.
        assert b"X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY" in r.body
        assert b"certificate issuer (CA) not known: /O=cuttle tests/CN=cuttle test CA" in r.body
    assert o.requests == []
    e = log_entry(p, 1)
    assert fields(e) == ("TCP_MISS/503", "GET", url(o, "/x"), "-",
                         "HIER_NONE/-", "text/html")


def test_sslproxy_cert_error_allow_all(proxy, tls_origins, certs):
    o = tls_origins(certs.good)
    p = proxy("sslproxy_cert_error allow all\n")
    r = get(p.port, url(o, "/y"))
    assert r.status == 200 and r.body == b"hello from origin\n"


@pytest.mark.parametrize("kind,name,detail", [
    ("expired", b"X509_V_ERR_CERT_HAS_EXPIRED", b"SSL Certificate expired on: "),
    ("wrongname", b"SQUID_X509_V_ERR_DOMAIN_MISMATCH",
     b"Certificate does not match domainname: /O=cuttle tests/CN=wrong.test"),
    ("selfsigned", b"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT",
     b"Self-signed SSL Certificate: /O=cuttle tests/CN=tls.test"),
])
def test_certificate_errors_are_named(proxy, tls_origins, certs, kind, name, detail):
    o = tls_origins(getattr(certs, kind))
    p = proxy(trusted(certs, "logformat ed %err_code %err_detail",
                      "access_log stdio:@DIR@/ed.log ed"))
    r = _refused(p, o)
    assert name in r.body
    assert detail in r.body
    # the log details the error as the page's %x does
    (line,) = p.access_log_lines(1, path=os.path.join(p.dir, "ed.log"))
    assert line == "ERR_SECURE_CONNECT_FAIL %s+broken_cert" % name.decode()


def test_dont_verify_peer(proxy, tls_origins, certs):
    o = tls_origins(certs.selfsigned)
    p = proxy("tls_outgoing_options flags=DONT_VERIFY_PEER\n")
    assert get(p.port, url(o)).status == 200


@pytest.mark.cuttle_only(reason="Squid 5.7 reads flags=DONT_VERIFY_DOMAIN in tls_outgoing_options "
                                "but applies it to listening ports only")
def test_dont_verify_domain(proxy, tls_origins, certs):
    o = tls_origins(certs.wrongname)
    p = proxy(trusted(certs) + "tls_outgoing_options flags=DONT_VERIFY_DOMAIN\n")
    assert get(p.port, url(o)).status == 200


def test_ssl_error_acl_allows_only_its_kind(proxy, tls_origins, certs):
    expired = tls_origins(certs.expired)
    selfsigned = tls_origins(certs.selfsigned)
    p = proxy(trusted(certs,
                      "acl expired ssl_error X509_V_ERR_CERT_HAS_EXPIRED",
                      "sslproxy_cert_error allow expired",
                      "sslproxy_cert_error deny all"))
    assert get(p.port, url(expired)).status == 200
    r = _refused(p, selfsigned)
    assert b"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT" in r.body


def test_builtin_ssl_error_groups(proxy, tls_origins, certs):
    """ssl::certSelfSigned and ssl::certDomainMismatch, Squid's built-ins."""
    selfsigned = tls_origins(certs.selfsigned)
    wrong = tls_origins(certs.wrongname)
    expired = tls_origins(certs.expired)
    p = proxy(trusted(certs,
                      "sslproxy_cert_error allow ssl::certSelfSigned",
                      "sslproxy_cert_error allow ssl::certDomainMismatch",
                      "sslproxy_cert_error deny all"))
    assert get(p.port, url(selfsigned)).status == 200
    assert get(p.port, url(wrong)).status == 200
    _refused(p, expired)


# -- caching and connection reuse ------------------------------------------------

def test_https_response_is_cached(proxy, tls_origins, certs):
    o = tls_origins(certs.good)
    o.script("/cached", headers=[("Cache-Control", "max-age=600"),
                                 ("Content-Type", "text/plain")], body=b"cached body\n")
    p = proxy(trusted(certs), cache=True)
    assert get(p.port, url(o, "/cached")).body == b"cached body\n"
    r = get(p.port, url(o, "/cached"))
    assert r.status == 200 and r.body == b"cached body\n"
    assert o.count("/cached") == 1
    e = log_entry(p, 2)
    assert fields(e) == ("TCP_MEM_HIT/200", "GET", url(o, "/cached"), "-",
                         "HIER_NONE/-", "text/plain")


def test_pooled_tls_connection_is_reused_per_host(proxy, tls_origins, certs):
    o = tls_origins(certs.good)
    p = proxy(trusted(certs))
    assert get(p.port, url(o, "/a")).status == 200
    assert get(p.port, url(o, "/b")).status == 200
    assert o.connections == 1
    # the same IP:port under another name: a connection of its own
    assert get(p.port, url(o, "/c", host="other.test")).status == 200
    assert o.connections == 2
    assert [r.conn_id for r in o.requests] == [1, 1, 2]


@pytest.mark.cuttle_only(reason="Squid 5.7 sends the http:// request over the idle TLS "
                                "connection to the same host:port")
def test_tls_connection_not_reused_for_plain_http(proxy, tls_origins, certs):
    """http:// to the TLS origin's port must not ride the pooled TLS connection."""
    o = tls_origins(certs.good)
    p = proxy(trusted(certs))
    assert get(p.port, url(o, "/a")).status == 200
    r = get(p.port, "http://tls.test:%d/plain" % o.port)
    assert r.status != 200
    assert o.count("/plain") == 0


@pytest.mark.cuttle_only(reason="Squid 5.7 resumes TLS sessions with cache_peers only, "
                                "not with origin servers")
def test_session_is_resumed_on_a_new_connection(proxy, tls_origins, certs):
    o = tls_origins(certs.good)
    p = proxy(trusted(certs))
    # /close: the origin closes after answering (no close_notify, no
    # Content-Length), so each request needs a new connection
    for _ in range(2):
        r = get(p.port, url(o, "/close"))
        assert r.status == 200 and r.body == b"closed body\n"
    assert wait_for(lambda: len(o.tls_resumed) >= 2, 5)
    assert o.tls_resumed[:2] == [False, True]


# -- origins that misbehave during the handshake ------------------------------------

class HandshakeOrigin:
    """Accepts, reads the ClientHello, then resets the connection (`reset`)
    or says nothing (`silent`) until stopped."""

    def __init__(self, how):
        self.how = how
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.held = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            c.settimeout(5)
            try:
                c.recv(4096)
            except OSError:
                pass
            if self.how == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            else:
                self.held.append(c)

    def stop(self):
        self.stopping = True
        self.thread.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


@pytest.fixture
def handshake_origin():
    made = []

    def make(how):
        o = HandshakeOrigin(how)
        made.append(o)
        return o
    yield make
    for o in made:
        o.stop()


def test_reset_during_handshake(proxy, handshake_origin, impl):
    o = handshake_origin("reset")
    p = proxy("")
    r = get(p.port, "https://tls.test:%d/" % o.port)
    assert r.status == 503
    assert r.header("X-Squid-Error").startswith("ERR_SECURE_CONNECT_FAIL")
    if impl == "cuttle":
        assert wait_for(lambda: "reset" in p.cache_log.lower(), 5), p.cache_log


def test_silent_origin_times_out(proxy, handshake_origin, impl):
    o = handshake_origin("silent")
    p = proxy("connect_timeout 2 seconds\n")
    t0 = time.monotonic()
    r = get(p.port, "https://tls.test:%d/" % o.port)
    took = time.monotonic() - t0
    assert r.status in (503, 504)
    assert r.header("X-Squid-Error").startswith("ERR_SECURE_CONNECT_FAIL")
    assert 1.5 < took < 8
    if impl == "cuttle":
        assert wait_for(lambda: "timed out" in p.cache_log, 5), p.cache_log


def test_client_leaves_during_handshake(proxy, handshake_origin, tls_origins, certs):
    """The transaction ends with its client; the half-made TLS connection goes too."""
    o = handshake_origin("silent")
    p = proxy(trusted(certs))
    c = RawClient(p.port)
    c.send(build("GET", "https://tls.test:%d/" % o.port))
    assert wait_for(lambda: o.accepted == 1, 5)
    c.close()
    # the proxy closes its side of the stalled handshake
    def closed():
        try:
            return o.held and o.held[0].recv(1, socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
    assert wait_for(closed, 5)
    good = tls_origins(certs.good)
    assert get(p.port, url(good)).status == 200


# -- client certificates, peers, reconfigure -----------------------------------------

def _client_cert_origin(certs, tls_origins):
    """An origin (TLS 1.2) that wants a client certificate from the test CA."""
    import ssl
    ctx = make_tls_context(*certs.good)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(certs.ca)
    return Origin(ctx)


def test_client_certificate(proxy, tls_origins, certs, impl):
    o = _client_cert_origin(certs, tls_origins)
    try:
        p = proxy(trusted(certs))
        r = get(p.port, url(o, "/nocert"))
        assert r.status == 503
        if impl == "cuttle":
            assert wait_for(lambda: "TLS alert received: handshake failure"
                            in p.cache_log, 5), p.cache_log
        q = proxy(trusted(certs, "tls_outgoing_options cert=%s key=%s" % certs.client))
        assert get(q.port, url(o, "/withcert")).status == 200
        assert o.count("/withcert") == 1 and o.count("/nocert") == 0
    finally:
        o.stop()


def test_parent_gets_the_https_url_over_plain_http(proxy, origin, certs):
    """No TLS toward a cache_peer: it gets the absolute https:// URL, as from Squid."""
    p = proxy("cache_peer 127.0.0.1 parent %d 0 no-query\nnever_direct allow all\n"
              % origin.port)
    r = get(p.port, "https://tls.test:4433/via-parent")
    assert r.status == 200
    assert origin.requests[-1].target == "https://tls.test:4433/via-parent"
    e = log_entry(p, 1)
    assert e["hier"] == "FIRSTUP_PARENT/127.0.0.1"


def test_reconfigure_applies_new_options(proxy, tls_origins, certs, impl):
    o = tls_origins(certs.good)
    p = proxy("", single=True)
    assert get(p.port, url(o, "/before")).status == 503
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace("http_access deny !Safe_ports",
                             "tls_outgoing_options cafile=%s\nhttp_access deny !Safe_ports"
                             % certs.ca, 1))
    assert p.ctl("reconfigure").returncode == 0

    def fetched():
        try:        # Squid stops listening for a moment while it reloads
            return get(p.port, url(o, "/after")).status == 200
        except OSError:
            return False
    assert wait_for(fetched, 10)


@pytest.mark.cuttle_only(reason="counts the descriptors of cuttle's worker process")
def test_failed_handshakes_leave_no_descriptors(proxy, tls_origins, handshake_origin, certs):
    selfsigned = tls_origins(certs.selfsigned)
    reset = handshake_origin("reset")
    p = proxy(trusted(certs))
    worker = wait_for(lambda: p.worker_pids(), 5)[0]

    def fds():
        return len(os.listdir("/proc/%d/fd" % worker))
    assert get(p.port, url(selfsigned)).status == 503
    before = fds()
    for _ in range(10):
        assert get(p.port, url(selfsigned)).status == 503
        assert get(p.port, "https://tls.test:%d/" % reset.port).status == 503
    assert wait_for(lambda: fds() <= before, 5), (before, fds())
