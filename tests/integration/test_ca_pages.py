"""The bump CA handed to clients (beyond Squid): /cuttle/ca.pem,
/cuttle/ca.der and the setup page /cuttle/, asked of the proxy itself in
origin form or by an absolute URL naming it; http_access, access.log,
HEAD, keep-alive, cuttle_ca_pages off, and the user's real flow with curl.

The bump port and its CA are bump.py's bump_proxy and conftest's bump_ca.  Squid
5.7 has no such pages: only the paths it answers alike run against it.
"""

import hashlib
import os
import ssl
import subprocess

import pytest

from helpers import RawClient, exchange
from proxyproc import free_port
from bump import bump_proxy

CUTTLE_ONLY = pytest.mark.cuttle_only(reason="Squid 5.7 serves no /cuttle/ pages")
BUMP = "ssl_bump bump all"
TOOLS = ["--cacert", "CURL_CA_BUNDLE=", "update-ca-certificates",
         "/usr/local/share/ca-certificates/cuttle-ca.crt",
         "npm config set cafile", "npm config set proxy", "pip install --proxy",
         "--cert", "PIP_CERT=", "NODE_EXTRA_CA_CERTS=", "http.sslCAInfo",
         "keytool -importcert", "Acquire::https::CaInfo", "Acquire::http::Proxy"]


def ca_der(bump_ca):
    with open(bump_ca[0]) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def make_ca(d, cn):
    """Another bump CA, in d: (certfile, keyfile)."""
    cert, key = os.path.join(d, "ca2.pem"), os.path.join(d, "ca2.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=" + cn,
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, capture_output=True, timeout=60)
    for f in (cert, key):
        os.chmod(f, 0o644)
    return cert, key


def ask(p, path, method="GET", headers=(), host=None, port=None):
    """An origin-form request to the proxy, as to a web server."""
    port = port or p.port
    lines = ["%s %s HTTP/1.1" % (method, path),
             "Host: %s" % (host or "127.0.0.1:%d" % port)]
    lines += ["%s: %s" % h for h in headers]
    return exchange(port, "\r\n".join(lines) + "\r\n\r\n", method)


def no_key(r):
    text = repr(r.headers).encode() + r.body
    assert b"PRIVATE KEY" not in text


@CUTTLE_ONLY
def test_ca_pem_is_the_bump_ca(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP)
    r = ask(p, "/cuttle/ca.pem")
    assert r.status == 200
    assert r.header("Content-Type") == "application/x-pem-file"
    assert r.header("Content-Disposition") == 'attachment; filename="cuttle-ca.pem"'
    assert r.header("Cache-Control") == "no-store"
    assert int(r.header("Content-Length")) == len(r.body)
    assert ssl.PEM_cert_to_DER_cert(r.body.decode()) == ca_der(bump_ca)
    assert r.body.count(b"BEGIN CERTIFICATE") == 1
    no_key(r)
    e = p.access_entries(1)[0]
    # as Squid logs its internal objects: the URL rebuilt on its name
    assert (e["code"], e["hier"], e["type"]) == ("TCP_MISS/200", "HIER_NONE/-",
                                                "application/x-pem-file")
    assert e["url"] == "http://testproxy:%d/cuttle/ca.pem" % p.port


@CUTTLE_ONLY
def test_ca_der_is_the_der(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP)
    r = ask(p, "/cuttle/ca.der")
    assert r.status == 200
    assert r.header("Content-Type") == "application/pkix-cert"
    assert r.header("Content-Disposition") == 'attachment; filename="cuttle-ca.der"'
    assert r.header("Cache-Control") == "no-store"
    assert r.body == ca_der(bump_ca)
    no_key(r)


@CUTTLE_ONLY
def test_which_ca(proxy, bump_ca, workdir):
    # The port's own CA when it bumps, else the first bump port's.
    cert2, key2 = make_ca(workdir, "Second Bump CA")
    with open(cert2) as f:
        der2 = ssl.PEM_cert_to_DER_cert(f.read())
    port2 = free_port()
    second = ("http_port 127.0.0.1:%d ssl-bump tls-cert=%s tls-key=%s\n"
              % (port2, cert2, key2))
    p = proxy(conf_extra=second)
    assert ask(p, "/cuttle/ca.der").body == der2
    p.stop()
    port2 = free_port()
    second = ("http_port 127.0.0.1:%d ssl-bump tls-cert=%s tls-key=%s\n"
              % (port2, cert2, key2))
    p = proxy(conf_extra=second, port_opts="ssl-bump tls-cert=%s tls-key=%s"
              % bump_ca[:2])
    assert ask(p, "/cuttle/ca.der").body == ca_der(bump_ca)
    assert ask(p, "/cuttle/ca.der", port=port2).body == der2
    assert "Second Bump CA" in ask(p, "/cuttle/", port=port2).body.decode()


@CUTTLE_ONLY
def test_setup_page_names_the_proxy_and_each_tool(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP)
    r = ask(p, "/cuttle/")
    assert r.status == 200
    assert r.header("Content-Type") == "text/html;charset=utf-8"
    assert r.header("Cache-Control") == "no-store"
    page = r.body.decode()
    assert page.startswith("<!DOCTYPE html>")
    url = "http://127.0.0.1:%d" % p.port
    for s in TOOLS + ["http_proxy=" + url, "https_proxy=" + url, url + "/cuttle/ca.pem",
                      "npm config set https-proxy " + url, "Acquire::https::Proxy &quot;" + url,
                      "-Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=%d" % p.port,
                      "Cuttle Bump Test CA"]:
        assert s in page, s
    fp = hashlib.sha256(ca_der(bump_ca)).hexdigest().upper()
    assert ":".join(fp[i:i + 2] for i in range(0, 64, 2)) in page
    no_key(r)


@CUTTLE_ONLY
@pytest.mark.parametrize("accept,text", [
    ("text/plain", True),
    ("text/html;q=0.5, text/plain", True),
    ("text/*;q=0.9, text/html;q=0.1", True),
    ("*/*", False),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
])
def test_setup_page_as_text_when_accept_prefers_it(proxy, bump_ca, accept, text):
    p = bump_proxy(proxy, bump_ca, BUMP)
    r = ask(p, "/cuttle/", headers=[("Accept", accept)])
    assert r.status == 200
    assert r.header("Vary") == "Accept"
    page = r.body.decode()
    if text:
        assert r.header("Content-Type") == "text/plain;charset=utf-8"
        assert "<" not in page
        assert '    npm config set proxy http://127.0.0.1:%d\n' % p.port in page
    else:
        assert r.header("Content-Type") == "text/html;charset=utf-8"
    for s in TOOLS:
        assert s in page, s


@CUTTLE_ONLY
@pytest.mark.parametrize("host,shown", [
    ("proxy.example.net:8080", "proxy.example.net:8080"),
    ("proxy.example.net", "proxy.example.net:@PORT@"),     # the port reached
    ("[::1]:3128", "[::1]:3128"),
    ("<b>x</b>", "127.0.0.1:@PORT@"),                      # not pasted into commands
])
def test_setup_page_uses_the_host_the_client_used(proxy, bump_ca, host, shown):
    p = bump_proxy(proxy, bump_ca, BUMP)
    shown = shown.replace("@PORT@", str(p.port))
    page = ask(p, "/cuttle/", host=host).body.decode()
    assert "export http_proxy=http://%s https_proxy=http://%s" % (shown, shown) in page
    assert "<b>" not in page


@CUTTLE_ONLY
def test_head_gives_headers_only_and_keeps_alive(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP)
    with RawClient(p.port) as c:
        for path in ("/cuttle/ca.pem", "/cuttle/ca.der", "/cuttle/"):
            c.send("HEAD %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, p.port))
            h = c.read_response("HEAD")
            c.send("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, p.port))
            g = c.read_response()
            assert h.status == g.status == 200
            assert h.body == b"" and c.buf == b""
            assert int(h.header("Content-Length")) == len(g.body) > 0
            assert h.header("Connection") == "keep-alive"
    codes = [(e["method"], e["code"]) for e in p.access_entries(6)]
    assert codes == [("HEAD", "TCP_MISS/200"), ("GET", "TCP_MISS/200")] * 3


@CUTTLE_ONLY
def test_http_access_deny_gives_403(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP, extra="http_access deny localhost")
    r = ask(p, "/cuttle/ca.pem")
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    e = p.access_entries(1)[0]
    assert (e["code"], e["url"]) == ("TCP_DENIED/403",
                                     "http://testproxy:%d/cuttle/ca.pem" % p.port)


@CUTTLE_ONLY
def test_urlpath_regex_acl_turns_them_off(proxy, bump_ca):
    # The Squid-compatible way to refuse the pages (README).
    p = bump_proxy(proxy, bump_ca, BUMP,
                   extra="acl ca_pages urlpath_regex ^/cuttle/\nhttp_access deny ca_pages")
    for path in ("/cuttle/ca.pem", "/cuttle/ca.der", "/cuttle/"):
        assert ask(p, path).status == 403


@CUTTLE_ONLY
@pytest.mark.parametrize("host", ["testproxy", "TestProxy", "127.0.0.1"])
def test_absolute_form_naming_the_proxy(proxy, bump_ca, host):
    # what `curl -x proxy http://PROXYHOST:PORT/cuttle/ca.der` sends
    p = bump_proxy(proxy, bump_ca, BUMP)
    url = "http://%s:%d/cuttle/ca.der" % (host, p.port)
    r = exchange(p.port, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (url, host, p.port))
    assert r.status == 200
    assert r.body == ca_der(bump_ca)
    e = p.access_entries(1)[0]
    assert (e["code"], e["hier"]) == ("TCP_MISS/200", "HIER_NONE/-")


def test_absolute_form_for_another_port_is_forwarded(proxy, bump_ca, origin):
    # Same host, not the proxy's port: an ordinary request for that server.
    origin.script("/cuttle/ca.pem", 200, [("Content-Type", "text/plain")], b"origin's")
    p = bump_proxy(proxy, bump_ca, BUMP)
    url = "http://127.0.0.1:%d/cuttle/ca.pem" % origin.port
    r = exchange(p.port, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (url, origin.port))
    assert (r.status, r.body) == (200, b"origin's")
    assert [q.target for q in origin.requests] == ["/cuttle/ca.pem"]


@pytest.mark.parametrize("path", ["/other", "/cuttle", "/cuttle/ca.key",
                                  "/cuttle/ca.pem/", "/CUTTLE/ca.pem"])
def test_other_origin_form_paths_still_400(proxy, bump_ca, path):
    p = bump_proxy(proxy, bump_ca, BUMP)
    r = ask(p, path)
    assert r.status == 400
    assert r.header("X-Squid-Error") == "ERR_INVALID_URL 0"


@CUTTLE_ONLY
@pytest.mark.parametrize("path", ["/cuttle/ca.pem", "/cuttle/ca.der", "/cuttle/"])
def test_no_bump_port_is_404(proxy, path):
    p = proxy()
    r = ask(p, path)
    assert r.status == 404
    assert r.header("Content-Type") == "text/plain;charset=utf-8"
    assert b"ssl-bump" in r.body
    assert p.access_entries(1)[0]["code"] == "TCP_MISS/404"


@CUTTLE_ONLY
def test_no_ca_when_certificates_are_not_generated(proxy, bump_ca):
    # generate-host-certificates=off: tls-cert= is what clients see, no CA
    p = proxy(port_opts="ssl-bump tls-cert=%s tls-key=%s "
              "generate-host-certificates=off" % bump_ca[:2])
    assert ask(p, "/cuttle/ca.pem").status == 404


@CUTTLE_ONLY
def test_cuttle_ca_pages_off_gives_the_usual_400(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP, extra="cuttle_ca_pages off")
    for path in ("/cuttle/ca.pem", "/cuttle/ca.der", "/cuttle/"):
        r = ask(p, path)
        assert (r.status, r.header("X-Squid-Error")) == (400, "ERR_INVALID_URL 0")


@CUTTLE_ONLY
def test_other_methods_get_405(proxy, bump_ca):
    p = bump_proxy(proxy, bump_ca, BUMP)
    r = exchange(p.port, "POST /cuttle/ca.pem HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 3\r\n\r\nabc")
    assert r.status == 405
    assert r.header("Allow") == "GET, HEAD"


@CUTTLE_ONLY
def test_curl_gets_the_ca_then_trusts_a_bumped_site(proxy, bump_ca, tls_origin, workdir):
    # The user's flow: fetch the CA from the proxy, then use it through a bump.
    p = bump_proxy(proxy, bump_ca, BUMP,
                   extra="tls_outgoing_options cafile=%s" % tls_origin.cert,
                   ssl_ports=[tls_origin.port])
    ca = os.path.join(workdir, "cuttle-ca.pem")
    got = subprocess.run(["curl", "-fsS", "--noproxy", "*", "--max-time", "10", "-o", ca,
                          "http://127.0.0.1:%d/cuttle/ca.pem" % p.port],
                         capture_output=True, timeout=20)
    assert got.returncode == 0, got.stderr
    run = subprocess.run(["curl", "-fsS", "--max-time", "10", "--cacert", ca,
                          "-x", "http://127.0.0.1:%d" % p.port,
                          "https://tls.test:%d/bytes/100" % tls_origin.port],
                         capture_output=True, timeout=20)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout) == 100
    # ... and without it, curl refuses the bumped site
    bare = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", tls_origin.cert,
                           "-x", "http://127.0.0.1:%d" % p.port,
                           "https://tls.test:%d/bytes/100" % tls_origin.port],
                          capture_output=True, timeout=20)
    assert bare.returncode != 0
