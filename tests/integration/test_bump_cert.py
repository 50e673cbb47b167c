"""Where a bumped connection's certificate comes from: the sslcrtd helpers
(ours and Squid's), minting in the worker without sslcrtd_program, the
signing algorithm sslproxy_cert_sign picks for an untrusted or self-signed
origin, sslproxy_cert_adapt, generate-host-certificates=off, the per-worker
context cache, and a helper that fails.  What Squid 5.7 does alike runs
against it too.
"""

import os
import shutil
import ssl
import time

import pytest

from bump import SQUID_CERTGEN
from helpers import wait_for
from test_bump import (TIMEOUT, certs, connect, https_get,  # noqa: F401
                       signed_origin, tls_client)
from proxyproc import make_writable_dir

BUILD = os.environ.get("CUTTLE_BUILDDIR", ".")
OURS = os.path.join(BUILD, "security_file_certgen")


def helper_copy(p, program):
    """A copy the proxy's user can run (the build tree may be under /root)."""
    dest = os.path.join(p.dir, os.path.basename(os.path.dirname(program)) + "-certgen")
    shutil.copy(program, dest)
    os.chmod(dest, 0o755)
    return dest


def make_db(program, db):
    import subprocess
    subprocess.run([program, "-c", "-s", db, "-M", "4MB"], check=True,
                   capture_output=True, timeout=30)
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(db):
            for n in dirs + files:
                shutil.chown(os.path.join(root, n), "proxy")
        shutil.chown(db, "proxy")


def cert_proxy(proxy, bump_ca, rules, program=SQUID_CERTGEN, extra="",
               port_opts="", ssl_ports=()):
    """A bump port; program None: no sslcrtd_program line."""
    cert, key, _ = bump_ca
    opts = "ssl-bump tls-cert=%s tls-key=%s %s" % (cert, key, port_opts)
    conf = extra.rstrip("\n") + "\n" + rules.rstrip("\n") + "\n"
    p = proxy(conf_extra=conf, ssl_ports=ssl_ports, port_opts=opts.strip(),
              start=False)
    if program is not None:
        helper = helper_copy(p, program)
        db = os.path.join(p.dir, "ssl_db")
        make_db(helper, db)
        with open(p.conf, "a") as f:
            f.write("sslcrtd_program %s -s %s -M 4MB\n"
                    "sslcrtd_children 2 startup=1 idle=1\n" % (helper, db))
    return p.start()


def shown(p, bump_ca, port, host="tls.test", verify=True):
    """The certificate a client CONNECTing to host:port is shown (decoded)."""
    sock = connect(p.port, host, port)
    if verify:
        with tls_client(sock, bump_ca[0], host) as tls:
            return tls.getpeercert()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    from cryptography import x509
    return x509.load_der_x509_certificate(der)


def cn(name):
    from cryptography.x509.oid import NameOID
    return name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def db_rows(p):
    with open(os.path.join(p.dir, "ssl_db", "index.txt")) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


@pytest.mark.parametrize("program", [OURS, SQUID_CERTGEN], ids=["ours", "squid"])
def test_sslcrtd_program_makes_the_certificate(proxy, bump_ca, tls_origin, program):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=program,
                   ssl_ports=[tls_origin.port])
    c = shown(p, bump_ca, tls_origin.port)
    assert dict(x[0] for x in c["subject"])["commonName"] == "tls.test"
    assert dict(x[0] for x in c["issuer"])["commonName"] == bump_ca[2]
    # the helper made it: it is in its ssl_db, under Squid's key
    assert [r[0] for r in db_rows(p)] == ["/CN=tls.test+Sign=signTrusted+SignHash=SHA256"]


@pytest.mark.cuttle_only(reason="Squid 5.7 runs its default helper line when "
                         "sslcrtd_program is absent; cuttle mints in the worker")
def test_without_sslcrtd_program_the_worker_mints(proxy, bump_ca, tls_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   extra="debug_options ALL,1 83,3", ssl_ports=[tls_origin.port])
    c = shown(p, bump_ca, tls_origin.port)
    assert dict(x[0] for x in c["issuer"])["commonName"] == bump_ca[2]
    assert "certificate for tls.test (signTrusted): minted in the worker" in p.cache_log
    assert "helperOpenServers" not in p.cache_log


@pytest.mark.cuttle_only(reason="reads cuttle's debug lines")
def test_contexts_are_cached_except_after_peek_at_step1(proxy, bump_ca, tls_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   extra="debug_options ALL,1 83,3", ssl_ports=[tls_origin.port])
    for _ in range(2):
        shown(p, bump_ca, tls_origin.port)
    log = p.cache_log
    assert log.count("certificate for tls.test (signTrusted): minted in the worker") == 1
    assert log.count("certificate for tls.test (signTrusted): from the cache") == 1
    q = cert_proxy(proxy, bump_ca, "acl step1 at_step SslBump1\n"
                   "ssl_bump peek step1\nssl_bump bump all", program=None,
                   extra="debug_options ALL,1 83,3\nsslproxy_cert_error allow all\n"
                   "tls_outgoing_options cafile=%s" % tls_origin.cert,
                   ssl_ports=[tls_origin.port])
    for _ in range(2):
        shown(q, bump_ca, tls_origin.port)
    log = q.cache_log
    assert "from the cache" not in log
    assert log.count("minted in the worker") == 2


def test_untrusted_origin_is_mimicked_under_the_untrusted_ca(proxy, bump_ca, certs,
                                                             signed_origin):
    # sslproxy_cert_error lets the unknown issuer through: the client gets a
    # mimic signed by Squid's "Not trusted by" CA, which it cannot trust.
    p = cert_proxy(proxy, bump_ca, "acl step1 at_step SslBump1\n"
                   "ssl_bump peek step1\nssl_bump bump all",
                   extra="sslproxy_cert_error allow all",
                   ssl_ports=[signed_origin.port])
    c = shown(p, bump_ca, signed_origin.port, verify=False)
    assert cn(c.issuer) == 'Not trusted by "%s"' % bump_ca[2]
    assert cn(c.subject) == "tls.test"
    with pytest.raises(ssl.SSLCertVerificationError):
        shown(p, bump_ca, signed_origin.port)


@pytest.fixture
def selfsigned_origin(certs):
    from origin import Origin, make_tls_context
    o = Origin(make_tls_context(*certs.selfsigned))
    yield o
    o.stop()


def test_self_signed_origin_gets_a_self_signed_mimic(proxy, bump_ca, certs,
                                                    selfsigned_origin):
    p = cert_proxy(proxy, bump_ca, "acl step1 at_step SslBump1\n"
                   "ssl_bump peek step1\nssl_bump bump all",
                   extra="sslproxy_cert_error allow all",
                   ssl_ports=[selfsigned_origin.port])
    c = shown(p, bump_ca, selfsigned_origin.port, verify=False)
    assert c.issuer == c.subject and cn(c.subject) == "tls.test"


def test_sslproxy_cert_adapt_sets_the_common_name(proxy, bump_ca, certs, signed_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump server-first all",
                   extra="tls_outgoing_options cafile=%s\n"
                   "sslproxy_cert_adapt setCommonName{forced.test} all" % certs.ca,
                   ssl_ports=[signed_origin.port])
    c = shown(p, bump_ca, signed_origin.port, verify=False)
    from cryptography import x509
    assert cn(c.subject) == "forced.test"
    sans = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["forced.test"]


def test_generate_host_certificates_off_presents_the_port_certificate(proxy, bump_ca,
                                                                     tls_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all",
                   port_opts="generate-host-certificates=off",
                   ssl_ports=[tls_origin.port])
    c = shown(p, bump_ca, tls_origin.port, verify=False)
    assert cn(c.subject) == bump_ca[2] and cn(c.issuer) == bump_ca[2]


@pytest.mark.cuttle_only(reason="Squid restarts the helper and keeps the client waiting")
def test_failing_helper_closes_the_client_quickly(proxy, bump_ca, tls_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   extra="sslcrtd_program /bin/false\n"
                   "sslcrtd_children 1 startup=1 idle=1",
                   ssl_ports=[tls_origin.port])
    t0 = time.monotonic()
    sock = connect(p.port, "tls.test", tls_origin.port)
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        tls_client(sock, bump_ca[0], "tls.test")
    assert time.monotonic() - t0 < TIMEOUT
    assert "cannot generate a certificate for tls.test" in p.cache_log or \
        "the sslcrtd helpers are not running" in p.cache_log



def worker_threads(p):
    pid = p.worker_pids()[0]
    return len(os.listdir("/proc/%d/task" % pid))


@pytest.mark.cuttle_only(reason="Squid runs its default helper line when sslcrtd_program "
                         "is absent; this is cuttle's minting thread")
def test_minting_runs_beside_the_event_loop(proxy, bump_ca, tls_origin):
    """Without sslcrtd_program the worker mints in a thread of its own,
    started with the first mint, so a burst of new host names does not
    hold the event loop (tls_mint's two signatures with the CA's key per
    host); with sslcrtd_program no thread is started."""
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   extra="debug_options ALL,1 83,3", ssl_ports=[tls_origin.port])
    # the port listens before the worker is up (slow under sanitizers)
    assert wait_for(lambda: "worker ready" in p.cache_log, 20), p.cache_log
    assert worker_threads(p) == 1
    for host in ("tls.test", "other.test", "tls.test"):
        c = shown(p, bump_ca, tls_origin.port, host=host)
        assert dict(x[0] for x in c["subject"])["commonName"] == host
    assert worker_threads(p) == 2
    log = p.cache_log
    assert log.count("certificate minting thread started") == 1
    assert log.count("certificate for other.test (signTrusted): minting") == 1
    assert log.count("certificate for tls.test (signTrusted): from the cache") == 1
    q = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=OURS,
                   extra="debug_options ALL,1 83,3", ssl_ports=[tls_origin.port])
    shown(q, bump_ca, tls_origin.port)
    assert worker_threads(q) == 1
    assert "minting thread" not in q.cache_log
