"""ssl_bump_learn_splice (cuttle's extension, beyond Squid): a client that
refuses the certificate we minted (an unknown_ca alert, a reset during the
handshake, a hang-up right after it) gets that server name spliced after
the peek, for that client only, for the configured time; the list is a
file shared by the workers and kept across restarts.

A "pinned" client here is a Python ssl client that trusts only the
origin's own certificate: our minted one fails its verification and it
sends unknown_ca, and once spliced it sees the origin's certificate.
"""

import os
import pwd
import re
import signal
import socket
import ssl
import stat
import time

import pytest

from bump import bump_proxy
from helpers import RawClient, exchange, wait_for

pytestmark = pytest.mark.cuttle_only(
    reason="beyond Squid: Squid 5.7 has no learned splices")

TIMEOUT = 10
RULES = "ssl_bump peek step1\nssl_bump bump all"
# 127.0.0.2 is a client too (the stock localhost ACL is 127.0.0.1 only)
ACCESS = ("acl loopback src 127.0.0.0/8\n"
          "http_access deny !Safe_ports\n"
          "http_access deny CONNECT !SSL_ports\n"
          "http_access allow loopback\n"
          "http_access deny all\n")
MODES_LOG = ("logformat modes %>a %rm %ssl::bump_mode %ssl::>sni\n"
             "access_log stdio:@DIR@/modes.log modes\n")


def learn_proxy(proxy, bump_ca, tls_origin, time_="1 day", rules=RULES,
                extra="", workers=1):
    lines = extra
    if time_ is not None:
        lines += "ssl_bump_learn_splice %s\n" % time_
    lines += ("tls_outgoing_options cafile=%s\n" % tls_origin.cert +
              "ssl_bump_learn_splice_file @DIR@/learned_splice\n"
              "debug_options ALL,1 83,2\n" + MODES_LOG)
    return bump_proxy(proxy, bump_ca, rules, extra=lines,
                      ssl_ports=[tls_origin.port], access=ACCESS,
                      workers=workers)


def learned_file(p):
    return os.path.join(p.dir, "learned_splice")


def connect(p, port, source=None, host="tls.test"):
    c = RawClient(p.port, source=source)
    c.send("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port, host, port))
    r = c.read_response("CONNECT")
    assert r.status == 200, r.status
    c.sock.settimeout(TIMEOUT)
    return c.sock


def refuse(p, tls_origin, source=None):
    """A pinning client: trusts only the origin's certificate, so ours
    fails with unknown_ca."""
    ctx = ssl.create_default_context(cafile=tls_origin.cert)
    s = connect(p, tls_origin.port, source)
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx.wrap_socket(s, server_hostname="tls.test")
    s.close()


def issuer_seen(p, bump_ca, tls_origin, source=None):
    """The issuer CN the client is shown (it trusts both), after one
    request, so that the probe itself is no early hang-up; None when the
    proxy closed the connection."""
    ctx = ssl.create_default_context(cafile=bump_ca[0])
    ctx.load_verify_locations(tls_origin.cert)
    s = connect(p, tls_origin.port, source)
    try:
        tls = ctx.wrap_socket(s, server_hostname="tls.test")
    except (ssl.SSLError, ConnectionError):
        s.close()
        return None
    with tls:
        issuer = dict(x[0] for x in tls.getpeercert()["issuer"])["commonName"]
        tls.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: tls.test:%d\r\n"
                    b"Connection: close\r\n\r\n" % tls_origin.port)
        head = b""
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n\r\n" not in head and time.monotonic() < deadline:
            data = tls.recv(4096)
            if not data:
                break
            head += data
        assert head.startswith(b"HTTP/1.1 200"), head
    return issuer


def wait_learned(p, what):
    found = wait_for(lambda: re.search(r"learned splice: client 127\.0\.0\.1 .*"
                                       + what, p.cache_log), TIMEOUT)
    assert found, p.cache_log[-3000:]
    return found.group(0)


def chown_to_proxy(path):
    if os.geteuid() == 0:
        os.chown(path, pwd.getpwnam("proxy").pw_uid, -1)


def test_unknown_ca_alert_learns_and_splices(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    assert issuer_seen(p, bump_ca, tls_origin) == bump_ca[2]
    refuse(p, tls_origin)
    line = wait_learned(p, "unknown_ca")
    assert "tls.test" in line
    # the pinned client now gets the origin's own certificate, end to end
    ctx = ssl.create_default_context(cafile=tls_origin.cert)
    with ctx.wrap_socket(connect(p, tls_origin.port),
                         server_hostname="tls.test") as tls:
        assert dict(x[0] for x in tls.getpeercert()["issuer"])["commonName"] == "tls.test"
    # logged once, however often it is seen since
    refuse_free = issuer_seen(p, bump_ca, tls_origin)
    assert refuse_free == "tls.test"
    assert len(re.findall(r"SslBump: learned splice", p.cache_log)) == 1
    # the trace names it; access.log shows a splice
    assert wait_for(lambda: "learned splice: client 127.0.0.1 refused the "
                    "bump of tls.test (unknown_ca)" in p.cache_log, TIMEOUT)
    lines = p.access_log_lines(4, TIMEOUT, path=os.path.join(p.dir, "modes.log"))
    assert lines[-1].split() == ["127.0.0.1", "CONNECT", "splice", "tls.test"]
    # the file lists it, for the owner only
    st = os.stat(learned_file(p))
    assert stat.S_IMODE(st.st_mode) == 0o600
    entries = [l.split() for l in open(learned_file(p)) if not l.startswith("#")]
    assert [(e[1], e[2], e[3]) for e in entries] == [("127.0.0.1", "tls.test", "unknown_ca")]
    assert int(entries[0][0]) > time.time() + 86000


def test_bump_at_step1_peeks_for_a_learned_client(proxy, bump_ca, tls_origin):
    # With "bump" at step 1 the client's hello is read first (for its
    # SNI) only once the client has learned splices.
    p = learn_proxy(proxy, bump_ca, tls_origin, rules="ssl_bump bump all")
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"


def test_stare_then_bump_splices_at_step3(proxy, bump_ca, tls_origin):
    # After a stare the server saw our hello: the splice opens a new
    # connection for the client's own, so it still sees the origin's
    # certificate end to end.
    p = learn_proxy(proxy, bump_ca, tls_origin,
                    rules="ssl_bump peek step1\nssl_bump stare step2\n"
                    "ssl_bump bump all")
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"
    assert "step 3" in p.cache_log


@pytest.mark.parametrize("how", ["reset", "closed"])
def test_reset_or_close_during_handshake_learns(proxy, bump_ca, tls_origin, how):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    s = connect(p, tls_origin.port)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="tls.test")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    s.sendall(out.read())
    assert s.recv(65536), "no ServerHello"   # our certificate is on its way
    # read the whole flight, so that a plain close is a FIN, not a RST
    s.settimeout(0.3)
    for _ in range(50):
        try:
            if not s.recv(65536):
                break
        except socket.timeout:
            break
    if how == "reset":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    wait_learned(p, r"%s the connection during the TLS handshake.*\(%s\)" % (how, how))
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"


def test_early_hangup_learns(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # TLS 1.2: nothing arrives after the handshake, so the close is a FIN
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    tls = ctx.wrap_socket(connect(p, tls_origin.port), server_hostname="tls.test")
    tls.close()
    wait_learned(p, r"hung up right after the TLS handshake.*\(early_hangup\)")
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"


def test_request_after_handshake_is_not_a_hangup(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    for _ in range(3):
        assert issuer_seen(p, bump_ca, tls_origin) == bump_ca[2]
    time.sleep(1.2)
    assert "learned splice" not in p.cache_log


def test_idle_past_a_second_is_not_a_hangup(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    tls = ctx.wrap_socket(connect(p, tls_origin.port), server_hostname="tls.test")
    time.sleep(1.3)
    tls.close()
    time.sleep(0.5)
    assert "learned splice" not in p.cache_log
    assert issuer_seen(p, bump_ca, tls_origin) == bump_ca[2]


def test_other_client_still_bumped(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    assert issuer_seen(p, bump_ca, tls_origin, source="127.0.0.2") == bump_ca[2]
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"


def test_off_by_default_never_learns(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin, time_=None)
    refuse(p, tls_origin)
    time.sleep(0.5)
    assert issuer_seen(p, bump_ca, tls_origin) == bump_ca[2]
    assert "learned splice" not in p.cache_log
    assert not os.path.exists(learned_file(p))


def test_learned_splice_expires(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin, time_="2 seconds")
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    start = time.monotonic()
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"
    bumped = wait_for(lambda: issuer_seen(p, bump_ca, tls_origin) == bump_ca[2],
                      6.0, interval=0.3)
    assert bumped, "still spliced 6 s after a 2 s learning"
    assert time.monotonic() - start >= 0.5


def _seed(p, text):
    path = learned_file(p)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    chown_to_proxy(path)


def test_terminate_still_wins(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin,
                    rules="ssl_bump peek step1\nssl_bump terminate pinned\n"
                    "ssl_bump bump all",
                    extra="acl pinned ssl::server_name tls.test\n")
    _seed(p, "%d 127.0.0.1 tls.test unknown_ca\n" % (time.time() + 3600))
    time.sleep(1.1)     # past the worker's once-a-second stat
    assert issuer_seen(p, bump_ca, tls_origin) is None


def test_file_persists_across_restart(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    p.restart()
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"


def worker_pid(p, kid):
    """The pid of worker `kid` (its process title names it)."""
    for pid in p.worker_pids():
        try:
            title = open("/proc/%d/cmdline" % pid, "rb").read()
        except OSError:
            continue
        if title.startswith(b"cuttle: worker %d " % kid):
            return pid
    return None


def test_file_shared_by_workers(proxy, bump_ca, tls_origin):
    """What one worker learned, the other splices: with the learning worker
    stopped, the next connection is the other's, deterministically."""
    p = learn_proxy(proxy, bump_ca, tls_origin, workers=2)
    assert wait_for(lambda: len(p.worker_pids()) == 2, TIMEOUT)
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    learner = int(re.search(r"kid(\d+)\|.*learned splice: client 127\.0\.0\.1 "
                            r".*unknown_ca", p.cache_log).group(1))
    other = 3 - learner
    pid = worker_pid(p, learner)
    assert pid is not None, p.worker_pids()
    time.sleep(1.1)     # past the other worker's once-a-second stat
    os.kill(pid, signal.SIGSTOP)
    try:
        assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"
        assert wait_for(lambda: re.search(r"kid%d\|.*learned splice: client "
                                          r"127\.0\.0\.1 refused" % other,
                                          p.cache_log), TIMEOUT), p.cache_log[-3000:]
    finally:
        os.kill(pid, signal.SIGCONT)


def test_corrupt_line_is_skipped(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin)
    _seed(p, "garbage line\n%d 127.0.0.1 tls.test unknown_ca\n"
          "1 2 3\x01 4\n" % (time.time() + 3600))
    time.sleep(1.1)
    assert issuer_seen(p, bump_ca, tls_origin) == "tls.test"
    log = p.cache_log
    assert "learned_splice:1: skipping a corrupt ssl_bump_learn_splice_file line" in log
    assert "learned_splice:3: skipping a corrupt" in log
    # a later rewrite drops the corrupt lines
    refuse(p, tls_origin, source="127.0.0.2")
    assert wait_for(lambda: "127.0.0.2" in open(learned_file(p)).read(), TIMEOUT)
    text = open(learned_file(p)).read()
    assert "garbage" not in text and "tls.test unknown_ca" in text


def mgr_page(p, action="learned_splice"):
    """The cache manager's page as squidclient asks for it."""
    return exchange(p.port, ("GET cache_object://127.0.0.1/%s HTTP/1.0\r\n"
                             "Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
                             % action).encode())


def learned_rows(text):
    """The page's entries: (client, name, reason, expires, seconds left)."""
    head, _, rows = text.partition("\nClient\tName\tReason\tExpires\tSeconds left\n")
    assert rows or text.endswith("Seconds left\n"), text
    return [tuple(l.split("\t")) for l in rows.splitlines()]


def test_manager_page_lists_the_learned(proxy, bump_ca, tls_origin):
    """mgr:learned_splice: client, name, reason, expiry and what is left
    of it, for what was learned now and what the file held; an expired
    entry is not listed and a hostile name is escaped as in the file."""
    p = learn_proxy(proxy, bump_ca, tls_origin)
    soon = int(time.time()) + 600
    _seed(p, "%d 127.0.0.2 tls%%0Aevil.test closed\n%d 127.0.0.3 old.test reset\n"
          % (soon, time.time() - 10))
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    r = mgr_page(p)
    assert r.status == 200, r.status
    text = r.body.decode()
    assert text.startswith("Learned splices: 2\n"), text
    assert "  ssl_bump_learn_splice: 86400 seconds\n" in text
    assert "  ssl_bump_learn_splice_file: %s\n" % learned_file(p) in text
    rows = learned_rows(text)
    assert [r[:3] for r in rows] == [("127.0.0.1", "tls.test", "unknown_ca"),
                                     ("127.0.0.2", "tls%0Aevil.test", "closed")]
    assert 86390 <= int(rows[0][4]) <= 86400
    assert rows[1][3] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(soon))
    assert 590 <= int(rows[1][4]) <= 600
    menu = mgr_page(p, "menu").body.decode()
    assert re.search(r"^ learned_splice +\t.*\tpublic$", menu, re.M), menu


def test_manager_page_from_every_worker(proxy, bump_ca, tls_origin):
    """The list is the workers' shared file: the worker that did not learn
    the entry lists it too (one list, not framed by kid)."""
    p = learn_proxy(proxy, bump_ca, tls_origin, workers=2)
    assert wait_for(lambda: len(p.worker_pids()) == 2, TIMEOUT)
    refuse(p, tls_origin)
    wait_learned(p, "unknown_ca")
    learner = int(re.search(r"kid(\d+)\|.*learned splice: client 127\.0\.0\.1 "
                            r".*unknown_ca", p.cache_log).group(1))
    pid = worker_pid(p, learner)
    assert pid is not None, p.worker_pids()
    os.kill(pid, signal.SIGSTOP)
    try:
        text = mgr_page(p).body.decode()
    finally:
        os.kill(pid, signal.SIGCONT)
    assert text.startswith("Learned splices: 1\n"), text
    assert [r[:3] for r in learned_rows(text)] == [("127.0.0.1", "tls.test", "unknown_ca")]


def test_manager_page_when_off_and_behind_http_access(proxy, bump_ca, tls_origin):
    p = learn_proxy(proxy, bump_ca, tls_origin, time_=None)
    r = mgr_page(p)
    assert r.status == 200 and r.body == b"ssl_bump_learn_splice is off\n"
    denied = bump_proxy(proxy, bump_ca, RULES,
                        extra="ssl_bump_learn_splice 1 hour\n",
                        ssl_ports=[tls_origin.port],
                        access="http_access deny manager\n" + ACCESS)
    assert mgr_page(denied).status == 403
