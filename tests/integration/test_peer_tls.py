"""cache_peer tls: TLS from the proxy to a parent proxy's https_port and to
an originserver peer speaking https, with the peer's own tls- options (and
Squid's old ssl* spellings): the CAs its certificate is checked against,
the name it must carry (tls-domain=, the peer's host by default), a client
certificate, the flags that relax checking.  A failed handshake answers
503 ERR_SECURE_CONNECT_FAIL and counts against the peer's
connect-fail-limit, as Squid 5.7 counts it.

The TLS origins are Python servers with certificates from tlscerts.py
(certs.good names tls.test, other.test and 127.0.0.1); the TLS parents are
a second proxy of the implementation under test with an https_port."""

import os
import shutil
import ssl
import tempfile

import pytest

from helpers import RawClient, build, curl, exchange, get, log_entry, wait_for
from origin import Origin, make_tls_context, pattern_bytes
from proxyproc import free_port


@pytest.fixture(scope="module")
def certs():
    from tlscerts import CertSet
    d = tempfile.mkdtemp(prefix="cuttle-it-peertls-")
    os.chmod(d, 0o755)
    yield CertSet(d)
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tls_origins():
    made = []

    def make(pair, client_ca=None):
        ctx = make_tls_context(*pair)
        if client_ca is not None:
            # the peer must show a certificate from client_ca
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca)
        o = Origin(ctx)
        made.append(o)
        return o
    yield make
    for o in made:
        o.stop()


def tls_parent(proxy, certs, ssl_ports=()):
    """A parent proxy with an https_port (certs.good); returns (proxy, port)."""
    port = free_port()
    cert, key = certs.good
    p = proxy("unique_hostname tlsparent\n"
              "https_port 127.0.0.1:%d tls-cert=%s tls-key=%s\n" % (port, cert, key),
              ssl_ports=ssl_ports)
    return p, port


def origin_peer(proxy, o, opts, extra="", host="tls.test"):
    """A front with an accel port whose only way out is o, a tls
    originserver peer (named host) with opts; returns (front, accel port)."""
    aport = free_port()
    front = proxy("http_port 127.0.0.1:%d accel defaultsite=tls.test no-vhost\n"
                  "cache_peer %s parent %d 0 no-query no-digest originserver "
                  "name=web %s\n%s" % (aport, host, o.port, opts, extra))
    return front, aport


def accel_get(aport, path="/bytes/100"):
    return exchange(aport, build("GET", path, [("Host", "tls.test")]))


def served(proxy, n=1, timeout=5.0):
    """The first n access.log entries of requests proxy served (the front's
    TCP probes leave NONE_NONE/000 lines on a parent)."""
    def enough():
        got = [e for e in proxy.access_entries(1, 0) if e["code"] != "NONE_NONE/000"]
        return got if len(got) >= n else None
    got = wait_for(enough, timeout)
    assert got is not None, "\n".join(proxy.access_log_lines(0, 0))
    return got[:n]


def refused(r):
    assert r.status == 503
    assert r.header("X-Squid-Error").startswith("ERR_SECURE_CONNECT_FAIL")


# -- a parent proxy over TLS --------------------------------------------------

def test_parent_reached_over_tls(proxy, certs, origin):
    parent, pport = tls_parent(proxy, certs)
    front = proxy("cache_peer tls.test parent %d 0 no-query no-digest tls "
                  "tls-cafile=%s name=tp\nnever_direct allow all\n" % (pport, certs.ca))
    r = curl(front.port, origin.url("/bytes/5000"))
    assert r.status == 200, r.stderr
    assert r.body == pattern_bytes(5000)
    assert log_entry(front, 1)["hier"] == "FIRSTUP_PARENT/127.0.0.1"
    (e,) = served(parent)
    # the parent got the absolute URL on its https_port
    assert e["url"] == origin.url("/bytes/5000")
    assert e["code"] == "TCP_MISS/200"
    (req,) = origin.requests
    assert req.target == "/bytes/5000"


def test_connect_through_a_tls_parent(proxy, certs, tls_origin):
    parent, pport = tls_parent(proxy, certs, ssl_ports=[tls_origin.port])
    front = proxy("cache_peer tls.test parent %d 0 no-query no-digest tls "
                  "tls-cafile=%s\nnever_direct allow all\n" % (pport, certs.ca),
                  ssl_ports=[tls_origin.port])
    # the client's TLS runs inside our CONNECT, inside TLS to the parent
    r = curl(front.port, "https://tls.test:%d/bytes/200000" % tls_origin.port,
             "--cacert", tls_origin.cert)
    assert r.status == 200, r.stderr
    assert r.body == pattern_bytes(200000)
    e = log_entry(front, 1)
    assert (e["code"], e["method"]) == ("TCP_TUNNEL/200", "CONNECT")
    assert e["hier"] == "FIRSTUP_PARENT/127.0.0.1"
    (pe,) = served(parent)
    assert (pe["code"], pe["method"]) == ("TCP_TUNNEL/200", "CONNECT")


def test_parent_with_an_untrusted_certificate_is_refused(proxy, certs, origin, impl):
    parent, pport = tls_parent(proxy, certs)
    # no tls-cafile=: the system CAs do not know the test CA
    front = proxy("cache_peer tls.test parent %d 0 no-query no-digest tls\n"
                  "never_direct allow all\n" % pport)
    refused(get(front.port, origin.url("/x")))
    assert origin.requests == []
    if impl == "cuttle":
        assert wait_for(lambda: "certificate verify failed" in front.cache_log, 5), \
            front.cache_log


# -- an originserver peer over TLS (accel -> https origin) --------------------

def test_originserver_peer_over_tls(proxy, certs, tls_origins):
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s tls-domain=tls.test" % certs.ca)
    r = accel_get(aport, "/bytes/3000?a=1")
    assert r.status == 200
    assert r.body == pattern_bytes(3000)
    (req,) = o.requests
    assert req.target == "/bytes/3000?a=1"
    assert log_entry(front, 1)["hier"] == "FIRSTUP_PARENT/127.0.0.1"


def test_the_peer_host_is_the_default_domain(proxy, certs, tls_origins):
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s" % certs.ca)
    assert accel_get(aport).status == 200
    o2 = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o2, "tls tls-cafile=%s" % certs.ca,
                               host="origin.test")
    refused(accel_get(aport))
    assert o2.requests == []


@pytest.mark.cuttle_only(reason="Squid 5.7 matches a peer's address only against "
                         "the certificate's CN and DNS names, never its IP "
                         "addresses, so a peer named by its IP always mismatches")
def test_a_peer_named_by_ip_matches_an_ip_address_name(proxy, certs, tls_origins):
    o = tls_origins(certs.good)     # its names include 127.0.0.1 as an IP
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s" % certs.ca,
                               host="127.0.0.1")
    assert accel_get(aport).status == 200


def test_tls_connection_to_the_peer_is_reused(proxy, certs, tls_origins):
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s" % certs.ca)
    with RawClient(aport) as c:
        for i in range(3):
            c.send(build("GET", "/bytes/10?%d" % i, [("Host", "tls.test")]))
            assert c.read_response("GET").status == 200
    assert len(o.requests) == 3
    assert o.connections == 1


def test_self_signed_peer_answers_secure_connect_fail(proxy, certs, tls_origins, impl):
    o = tls_origins(certs.selfsigned)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s" % certs.ca)
    refused(accel_get(aport))
    assert o.requests == []
    if impl == "cuttle":
        assert wait_for(lambda: "self-signed certificate" in front.cache_log, 5), \
            front.cache_log


def test_dont_verify_peer_takes_any_certificate(proxy, certs, tls_origins):
    o = tls_origins(certs.selfsigned)
    front, aport = origin_peer(proxy, o, "tls tls-flags=DONT_VERIFY_PEER")
    assert accel_get(aport).status == 200


def test_tls_domain_mismatch_is_refused(proxy, certs, tls_origins, impl):
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s tls-domain=wrong.test"
                               % certs.ca)
    refused(accel_get(aport))
    assert o.requests == []
    if impl == "cuttle":
        assert wait_for(lambda: "does not match the host name wrong.test"
                        in front.cache_log, 5), front.cache_log


def test_tls_domain_names_another_name_of_the_certificate(proxy, certs, tls_origins):
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s tls-domain=other.test"
                               % certs.ca)
    assert accel_get(aport).status == 200


@pytest.mark.cuttle_only(reason="Squid 5.7 reads DONT_VERIFY_DOMAIN only for its "
                         "listening ports' contexts (ServerOptions), never for "
                         "a peer's, so the documented flag does nothing there")
def test_dont_verify_domain_takes_another_name(proxy, certs, tls_origins):
    o = tls_origins(certs.wrongname)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s tls-domain=tls.test "
                               "tls-flags=DONT_VERIFY_DOMAIN" % certs.ca)
    assert accel_get(aport).status == 200


def test_client_certificate_is_shown_to_the_peer(proxy, certs, tls_origins):
    o = tls_origins(certs.good, client_ca=certs.ca)
    cert, key = certs.client
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s tls-cert=%s tls-key=%s"
                               % (certs.ca, cert, key))
    assert accel_get(aport).status == 200
    assert len(o.requests) == 1


def test_without_a_client_certificate_the_peer_refuses(proxy, certs, tls_origins):
    # Under TLS 1.3 the server judges the client's certificate after our
    # side of the handshake is done: its refusal is read as the answer to
    # the request, a 502 from Squid 5.7 too
    o = tls_origins(certs.good, client_ca=certs.ca)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s" % certs.ca)
    r = accel_get(aport)
    assert r.status == 502, r.header("X-Squid-Error")
    assert r.header("X-Squid-Error").startswith("ERR_ZERO_SIZE_OBJECT"), \
        r.header("X-Squid-Error")
    assert o.requests == []


def test_ssl_spellings(proxy, certs, tls_origins):
    o = tls_origins(certs.good, client_ca=certs.ca)
    cert, key = certs.client
    front, aport = origin_peer(proxy, o, "ssl sslcafile=%s ssldomain=other.test "
                               "sslcert=%s sslkey=%s sslcipher=HIGH "
                               "ssloptions=NO_TICKET" % (certs.ca, cert, key))
    assert accel_get(aport).status == 200
    assert len(o.requests) == 1


def test_tls_option_alone_turns_tls_on(proxy, certs, tls_origins):
    # as Squid: any tls- word means TLS to the peer, without a bare "tls"
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls-cafile=%s" % certs.ca)
    assert accel_get(aport).status == 200


def test_failed_handshakes_make_the_peer_dead(proxy, certs, tls_origins):
    # Squid 5.7 counts one failed handshake twice: connect-fail-limit=2
    # is reached by the first
    o = tls_origins(certs.selfsigned)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s connect-fail-limit=2"
                               % certs.ca)
    refused(accel_get(aport))
    assert wait_for(lambda: "Detected DEAD Parent: web" in front.cache_log, 5), \
        front.cache_log


@pytest.mark.cuttle_only(reason="Squid 5.7 makes no CONNECT through a TLS parent "
                         "(no TLS inside TLS) yet sends it bumped requests in "
                         "origin form, as if inside one: the parent answers 400")
def test_bumped_requests_go_to_a_tls_parent_as_https_urls(proxy, certs, bump_ca, tls_origin):
    # a bumped request goes to the TLS parent as an https:// URL inside its
    # TLS connection, and the parent makes TLS to the origin itself
    from bump import bump_proxy
    parent, pport = tls_parent(proxy, certs, ssl_ports=[tls_origin.port])
    # the parent trusts the origin's certificate (it is not in the test CA)
    parent.stop()
    cert, key = certs.good
    parent = proxy("unique_hostname tlsparent\n"
                   "https_port 127.0.0.1:%d tls-cert=%s tls-key=%s\n"
                   "tls_outgoing_options cafile=%s\n" % (pport, cert, key, tls_origin.cert),
                   ssl_ports=[tls_origin.port])
    front = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                       extra="cache_peer tls.test parent %d 0 no-query no-digest tls "
                       "tls-cafile=%s\nnever_direct allow all\n" % (pport, certs.ca),
                       ssl_ports=[tls_origin.port])
    r = curl(front.port, "https://tls.test:%d/bytes/3000" % tls_origin.port,
             "--cacert", bump_ca[0])
    assert r.status == 200, r.stderr
    assert r.body == pattern_bytes(3000)
    url = "https://tls.test:%d/bytes/3000" % tls_origin.port
    e = [x for x in front.access_entries(2) if x["method"] == "GET"]
    assert (e[0]["code"], e[0]["url"]) == ("TCP_MISS/200", url)
    assert e[0]["hier"] == "FIRSTUP_PARENT/127.0.0.1"
    (pe,) = served(parent)
    assert (pe["code"], pe["method"], pe["url"]) == ("TCP_MISS/200", "GET", url)
    (req,) = tls_origin.requests
    assert req.target == "/bytes/3000"


def test_tls_crlfile_refuses_a_revoked_certificate(proxy, certs, tls_origins, impl):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    with open(certs.good[0], "rb") as f:
        leaf = x509.load_pem_x509_certificate(f.read())
    now = datetime.datetime.now(datetime.timezone.utc)
    crl = (x509.CertificateRevocationListBuilder()
           .issuer_name(certs.ca_cert.subject)
           .last_update(now - datetime.timedelta(days=1))
           .next_update(now + datetime.timedelta(days=7))
           .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                    .serial_number(leaf.serial_number)
                                    .revocation_date(now - datetime.timedelta(hours=1))
                                    .build())
           .sign(certs.ca_key, hashes.SHA256()))
    path = os.path.join(certs.dir, "crl.pem")
    with open(path, "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))
    o = tls_origins(certs.good)
    front, aport = origin_peer(proxy, o, "tls tls-cafile=%s tls-crlfile=%s"
                               % (certs.ca, path))
    refused(accel_get(aport))
    assert o.requests == []
    if impl == "cuttle":
        assert wait_for(lambda: "certificate revoked" in front.cache_log, 5), \
            front.cache_log
