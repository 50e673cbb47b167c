"""Fixtures for cuttle's integration tests.

Each test gets a private temp dir (kept with KEEP=1), a fresh scripted origin
on 127.0.0.1 and a `proxy` factory that writes a squid.conf into that dir and
starts the implementation under test: cuttle from the build tree by default,
Debian's Squid 5.7 with PROXY_IMPL=squid, so every test can be proven against
the real thing.  Tests marked `cuttle_only` check where cuttle is
deliberately stricter than Squid and are skipped under Squid.  When a test
fails, the tail of each proxy's cache.log is printed with the failure.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from origin import Origin, make_tls_context  # noqa: E402
from proxyproc import ProxyFactory, make_writable_dir  # noqa: E402

IMPL = os.environ.get("PROXY_IMPL", "cuttle")
KEEP = os.environ.get("KEEP") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "cuttle_only(reason=...): cuttle deliberately differs from Squid 5.7 here")


def pytest_report_header(config):
    return "proxy under test: %s" % IMPL


def pytest_collection_modifyitems(config, items):
    # RUN_CUTTLE_ONLY=1 runs them against Squid anyway, to see where it differs.
    if IMPL != "squid" or os.environ.get("RUN_CUTTLE_ONLY"):
        return
    for item in items:
        mark = item.get_closest_marker("cuttle_only")
        if mark is not None:
            why = mark.kwargs.get("reason", "Squid 5.7 behaves differently here")
            item.add_marker(pytest.mark.skip(reason="cuttle_only: " + why))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    return any(getattr(request.node, "rep_" + w, None) is not None
               and getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))


@pytest.fixture
def impl():
    return IMPL


@pytest.fixture
def workdir(request):
    """A private temp dir, writable by the proxy user; KEEP=1 keeps it."""
    d = tempfile.mkdtemp(prefix="cuttle-it-")
    make_writable_dir(d)
    yield d
    if KEEP:
        print("\nkept temp dir: %s" % d)
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_cert():
    """A self-signed certificate for tls.test / 127.0.0.1: (certfile, keyfile)."""
    d = tempfile.mkdtemp(prefix="cuttle-it-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=tls.test",
                    "-addext", "subjectAltName=DNS:tls.test,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    # readable by the proxy user too (tls_outgoing_options cafile=)
    os.chmod(d, 0o755)
    os.chmod(cert, 0o644)
    yield cert, key
    if not KEEP:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def bump_ca():
    """A CA for ssl-bump ports (bump.bump_proxy): (certfile, keyfile, subject CN)."""
    d = tempfile.mkdtemp(prefix="cuttle-it-bumpca-")
    os.chmod(d, 0o755)
    cert, key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "30",
                    "-subj", "/O=Cuttle Test/CN=Cuttle Bump Test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, capture_output=True, timeout=60)
    for f in (cert, key):
        os.chmod(f, 0o644)
    yield cert, key, "Cuttle Bump Test CA"
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def dns_server():
    """NXDOMAIN for every name on 127.0.0.1:53; skips the test without root."""
    from dnsserver import NxDomainServer
    try:
        server = NxDomainServer()
    except OSError as e:
        pytest.skip("cannot serve DNS on 127.0.0.1:53: %s" % e)
    yield server
    server.stop()


@pytest.fixture
def origin():
    o = Origin()
    yield o
    o.stop()


@pytest.fixture
def tls_origin(tls_cert):
    o = Origin(make_tls_context(*tls_cert))
    o.cert = tls_cert[0]
    yield o
    o.stop()


def _factory(request, workdir, default_impl, prefix):
    f = ProxyFactory(workdir, default_impl, prefix)
    yield f
    if _failed(request):
        for p in f.started:
            print("\n" + p.diagnostics())
    f.stop_all()


@pytest.fixture
def proxy(request, workdir):
    """proxy(conf_extra="", access=None, workers=1, impl=None, ssl_ports=(), cache=False) -> Proxy."""
    yield from _factory(request, workdir, IMPL, "proxy")


@pytest.fixture
def squid_proxy(request, workdir):
    """Like `proxy` but always Debian's Squid 5.7, for side-by-side comparisons."""
    if not os.path.exists("/usr/sbin/squid"):
        pytest.skip("Debian's squid is not installed")
    yield from _factory(request, workdir, "squid", "ref")
