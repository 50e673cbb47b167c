"""Proxy authentication, Negotiate scheme (RFC 4559), as Squid 5.7 does it.

Against a real MIT KDC (krbkdc.py) with Squid's negotiate_kerberos_auth and
curl --proxy-negotiate, and against a scripted helper speaking the same
protocol (YR/KK requests; TT, AF, OK token= user=, NA, BH replies) for the
legs Kerberos does not take: a continuation, a broken helper.  The login is
the connection's: later requests on it need no token, another connection
starts from nothing.
"""

import base64
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest

import krbkdc
from helpers import RawClient, ConnectionClosed, log_entry, wait_for

ALLOW_AUTH = ("acl authenticated proxy_auth REQUIRED\n"
              "http_access allow authenticated\nhttp_access deny all\n")

# Replies by the decoded token; records each request line to argv[1].
FAKE_HELPER = r'''#!/usr/bin/python3
import base64, os, sys
rec = sys.argv[1]
started = None
for line in sys.stdin:
    with open(rec, "a") as f:
        f.write(line)
    verb, _, tok = line.strip().partition(" ")
    try:
        t = base64.b64decode(tok).decode()
    except Exception:
        t = ""
    if verb == "KK" and t.startswith("leg2:"):
        # a stateful helper: only the child that started may finish
        ok = started is not None and t == "leg2:" + started
        out = "AF ZmluYWw= bob@FAKE" if ok else "BH not my handshake"
        started = None
    elif verb == "YR" and started:
        out = "BH handshake interrupted"
    elif t == "start":
        started = "ch-%d" % os.getpid()
        out = "TT " + base64.b64encode(started.encode()).decode()
    elif t == "bh":
        out = "BH helper broke"
    elif t == "na":
        out = "NA ZGVuaWVk denied"
    elif t == "errtok":
        out = "ERR token=ZXJy message=no"
    elif t == "kv":
        out = "OK token=ZmluYWw= user=carol@FAKE"
    elif t.startswith("user:"):
        out = "AF ZmluYWw= " + t[5:]
    else:
        out = "BH unexpected " + line.strip()
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
'''


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def b64(s):
    return base64.b64encode(s.encode()).decode()


def nego(tok):
    return "Proxy-Authorization: Negotiate %s\r\n" % tok


def fake_conf(workdir, extra=""):
    helper = os.path.join(workdir, "fake_negotiate.py")
    with open(helper, "w") as f:
        f.write(FAKE_HELPER)
    os.chmod(helper, 0o755)
    rec = os.path.join(workdir, "negotiate_requests.txt")
    open(rec, "w").close()
    os.chmod(rec, 0o666)
    return ("auth_param negotiate program %s %s\n"
            "auth_param negotiate children 3 startup=1 idle=1\n%s" % (helper, rec, extra)), rec


def recorded(rec):
    with open(rec) as f:
        return f.read().splitlines()


def next_leg(r):
    """The client's answer to a 407 carrying the fake helper's TT token."""
    v = r.header("Proxy-Authenticate") or ""
    assert r.status == 407 and v.startswith("Negotiate "), (r.status, v)
    return b64("leg2:" + base64.b64decode(v.split(" ", 1)[1]).decode())


def req(origin, path, extra=""):
    return "GET %s HTTP/1.1\r\nHost: origin.test:%d\r\n%s\r\n" % (
        origin.url(path), origin.port, extra)


# --- the scripted helper -------------------------------------------------

def test_no_token_gets_negotiate_challenge(proxy, origin, workdir):
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a"))
        r = cl.read_response()
    assert r.status == 407
    assert [v for n, v in r.headers if n.lower() == "proxy-authenticate"] == ["Negotiate"]
    assert r.header("X-Squid-Error") == "ERR_CACHE_ACCESS_DENIED 0"
    assert recorded(rec) == []
    assert origin.requests == []


def test_token_authenticates_connection(proxy, origin, workdir):
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64("user:dave@FAKE"))))
        assert cl.read_response().status == 200
        # the same connection: no token needed, the helper is not asked
        cl.send(req(origin, "/b"))
        assert cl.read_response().status == 200
    assert recorded(rec) == ["YR " + b64("user:dave@FAKE")]
    assert [log_entry(p, i)["user"] for i in (1, 2)] == ["dave@FAKE", "dave@FAKE"]
    assert all(not r.has("Proxy-Authorization") for r in origin.requests)
    # another connection starts from nothing
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/c"))
        r = cl.read_response()
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == "Negotiate"
    assert len(origin.requests) == 2


def test_login_never_shared_through_cache(proxy, origin, workdir):
    """A cached object is not served to a connection that never logged in."""
    c, _ = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH, cache=True)
    origin.script("/private", 200, [("Cache-Control", "max-age=600")], b"dave's data")
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/private", nego(b64("user:dave@FAKE"))))
        r = cl.read_response()
        assert (r.status, r.body) == (200, b"dave's data")
        cl.send(req(origin, "/private"))
        assert cl.read_response().body == b"dave's data"
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/private"))
        r = cl.read_response()
        assert r.status == 407
        assert b"dave's data" not in r.body
    with RawClient(p.port) as cl:
        # nor does a refused token
        cl.send(req(origin, "/private", nego(b64("na"))))
        r = cl.read_response()
        assert r.status == 407
        assert b"dave's data" not in r.body
    assert origin.count("/private") == 1


def test_tt_continuation_uses_kk(proxy, origin, workdir):
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64("start"))))
        r = cl.read_response()
        leg2 = next_leg(r)
        cl.send(req(origin, "/a", nego(leg2)))
        assert cl.read_response().status == 200
    assert recorded(rec) == ["YR " + b64("start"), "KK " + leg2]
    assert log_entry(p, 2)["user"] == "bob@FAKE"


def test_handshake_keeps_its_helper(proxy, origin, workdir):
    """Two handshakes at once: each connection's KK goes to the child
    that answered its YR, and no other YR reaches that child meanwhile."""
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    legs = []
    with RawClient(p.port) as a, RawClient(p.port) as b:
        for cl in (a, b):
            cl.send(req(origin, "/a", nego(b64("start"))))
            legs.append(next_leg(cl.read_response()))
        assert legs[0] != legs[1], legs    # two children
        for cl, leg in zip((b, a), legs[::-1]):
            cl.send(req(origin, "/a", nego(leg)))
            assert cl.read_response().status == 200
    assert sorted(recorded(rec)) == sorted(["YR " + b64("start")] * 2 +
                                           ["KK " + l for l in legs])


def test_connect_authenticates(proxy, origin, workdir):
    c, _ = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    target = "origin.test:%d" % origin.port
    with RawClient(p.port) as cl:
        cl.send("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target))
        r = cl.read_response("CONNECT")
        assert (r.status, r.header("Proxy-Authenticate")) == (407, "Negotiate")
        cl.send("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (
            target, target, nego(b64("user:dave@FAKE"))))
        assert cl.read_response("CONNECT").status == 200
        cl.send("GET /t HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % target)
        assert cl.read_response().status == 200
    (req_,) = origin.requests
    assert not req_.has("Proxy-Authorization")
    e = log_entry(p, 2)
    assert (e["method"], e["user"]) == ("CONNECT", "dave@FAKE")


def test_kv_ok_reply(proxy, origin, workdir):
    c, _ = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64("kv"))))
        assert cl.read_response().status == 200
    assert log_entry(p, 1)["user"] == "carol@FAKE"


@pytest.mark.parametrize("tok", ["na", "bh", "errtok"])
def test_refused_or_broken_helper_gets_407(proxy, origin, workdir, tok):
    """Squid 5.7 answers a refused (NA, ERR token=) or broken (BH) login
    with a fresh challenge, without the refusal's token, and keeps the
    connection open."""
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64(tok))))
        r = cl.read_response()
        assert r.status == 407
        assert r.header("Proxy-Authenticate") == "Negotiate"
        assert (r.header("Connection") or "").lower() == "keep-alive"
    assert origin.requests == []
    assert recorded(rec) == ["YR " + b64(tok)]


@pytest.mark.cuttle_only(reason="Squid 5.7 keeps a connection whose Negotiate "
                         "login was refused in its Failed state: every later "
                         "token on it is answered 407 without asking the helper, "
                         "so the client can only log in on a new connection")
def test_refused_login_may_retry_on_same_connection(proxy, origin, workdir):
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64("na"))))
        assert cl.read_response().status == 407
        cl.send(req(origin, "/a", nego(b64("user:erin@FAKE"))))
        assert cl.read_response().status == 200
    assert recorded(rec) == ["YR " + b64("na"), "YR " + b64("user:erin@FAKE")]
    assert log_entry(p, 2)["user"] == "erin@FAKE"
    assert log_entry(p, 1)["code"] == "TCP_DENIED/407"


@pytest.mark.parametrize("value", ["Negotiate", "Negotiate @@@notbase64", "Negotiate a b"])
def test_malformed_token_gets_407_without_helper(proxy, origin, workdir, value):
    c, rec = fake_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", "Proxy-Authorization: %s\r\n" % value))
        assert cl.read_response().status == 407
    assert origin.requests == []


@pytest.mark.parametrize("first", ["basic", "negotiate"])
def test_both_schemes_offered_in_config_order(proxy, origin, workdir, first):
    c, _ = fake_conf(workdir)
    basic = ("auth_param basic program /usr/lib/squid/basic_ncsa_auth %s/none\n"
             "auth_param basic realm Proxy\n" % workdir)
    conf = basic + c if first == "basic" else c + basic
    p = proxy(conf_extra=conf, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a"))
        r = cl.read_response()
    got = [v for n, v in r.headers if n.lower() == "proxy-authenticate"]
    want = ['Basic realm="Proxy"', "Negotiate"]
    assert got == (want if first == "basic" else want[::-1])
    # a handshake in progress is answered in its own scheme only
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64("start"))))
        r = cl.read_response()
    got = [v for n, v in r.headers if n.lower() == "proxy-authenticate"]
    assert len(got) == 1 and got[0].startswith("Negotiate "), got


DIGEST_FILE = "/usr/lib/squid/digest_file_auth"
DIGEST_RE = re.compile(r'^Digest realm="D", nonce="([0-9a-f]{32})", '
                       r'qop="auth", stale=false$')

# Each scheme's lines; the first line of a scheme is not its program line
# in "late", so the order by first lines (negotiate, digest, basic) and by
# program lines (basic, digest, negotiate) differ.
THREE_ORDERS = {
    "bdn": (["b0", "b1", "d0", "d1", "d2", "n0", "n1"], ["Basic", "Digest", "Negotiate"]),
    "ndb": (["n0", "n1", "d0", "d1", "d2", "b0", "b1"], ["Negotiate", "Digest", "Basic"]),
    "dbn": (["d0", "d1", "d2", "b0", "b1", "n0", "n1"], ["Digest", "Basic", "Negotiate"]),
    "late": (["n1", "d2", "b1", "b0", "d0", "d1", "n0"], ["Negotiate", "Digest", "Basic"]),
}


@pytest.mark.skipif(not os.path.exists(DIGEST_FILE),
                    reason="Squid's digest_file_auth is not installed")
@pytest.mark.parametrize("order", sorted(THREE_ORDERS))
def test_basic_digest_negotiate_offered_in_config_order(proxy, origin, workdir,
                                                        order):
    """With all three schemes on, a 407 offers the three challenges in the
    order of each scheme's first auth_param line, whatever its parameter
    (Squid's parse_authparam); a Negotiate handshake is answered in its own
    scheme only; each scheme's credentials pass."""
    nconf, _ = fake_conf(workdir)
    passwd = os.path.join(workdir, "digest_passwd")
    with open(passwd, "w") as f:
        f.write("alice:secret1\n")
    os.chmod(passwd, 0o644)
    lines = {
        "b0": "auth_param basic program /usr/lib/squid/basic_fake_auth\n",
        "b1": "auth_param basic realm B\n",
        "d0": "auth_param digest program %s %s\n" % (DIGEST_FILE, passwd),
        "d1": "auth_param digest children 2 startup=1 idle=1\n",
        "d2": "auth_param digest realm D\n",
        "n0": nconf.splitlines(True)[0],
        "n1": nconf.splitlines(True)[1],
    }
    keys, want = THREE_ORDERS[order]
    p = proxy(conf_extra="".join(lines[k] for k in keys), access=ALLOW_AUTH)
    url = origin.url("/a")
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a"))
        r = cl.read_response()
    assert r.status == 407
    got = r.header_all("Proxy-Authenticate")
    assert [v.split(" ", 1)[0] for v in got] == want, got
    assert 'Basic realm="B"' in got and "Negotiate" in got
    (nonce,) = [m.group(1) for m in map(DIGEST_RE.match, got) if m]
    # a handshake in progress is answered in its own scheme only, and ends
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a", nego(b64("start"))))
        r = cl.read_response()
        got = r.header_all("Proxy-Authenticate")
        assert r.status == 407 and len(got) == 1, got
        cl.send(req(origin, "/a", nego(next_leg(r))))
        assert cl.read_response().status == 200
    # so do the other schemes' credentials
    basic = "Proxy-Authorization: Basic %s\r\n" % b64("bob:pw")
    ha1, ha2 = md5("alice:D:secret1"), md5("GET:" + url)
    digest = ('Proxy-Authorization: Digest username="alice", realm="D", '
              'nonce="%s", uri="%s", response="%s", qop=auth, '
              'nc=00000001, cnonce="0a4f113b"\r\n' % (
                  nonce, url, md5("%s:%s:00000001:0a4f113b:auth:%s" % (
                      ha1, nonce, ha2))))
    for cred in (basic, digest):
        with RawClient(p.port) as cl:
            cl.send(req(origin, "/a", cred))
            assert cl.read_response().status == 200, cred
    assert [log_entry(p, n)["user"] for n in (3, 4, 5)] == \
        ["bob@FAKE", "bob", "alice"]


@pytest.mark.parametrize("keep", ["on", "off"])
def test_keep_alive(proxy, origin, workdir, keep):
    """keep_alive off closes the connection after the first, tokenless
    challenge (Squid's workaround for clients that cannot resend a body);
    a handshake's 407 keeps it either way."""
    c, _ = fake_conf(workdir, "auth_param negotiate keep_alive %s\n" % keep)
    p = proxy(conf_extra=c, access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/a"))
        r = cl.read_response()
        assert r.status == 407
        if keep == "off":
            assert (r.header("Connection") or "").lower() == "close"
            with pytest.raises((ConnectionClosed, OSError)):
                cl.send(req(origin, "/a"))
                cl.read_response()
            return
        cl.send(req(origin, "/a", nego(b64("start"))))
        cl.send(req(origin, "/a", nego(next_leg(cl.read_response()))))
        assert cl.read_response().status == 200


# --- a real KDC, Squid's Kerberos helper, curl ---------------------------

@pytest.fixture(scope="module")
def kdc():
    why = krbkdc.missing()
    if why:
        pytest.skip(why)
    d = tempfile.mkdtemp(prefix="cuttle-kdc-")
    k = krbkdc.KDC(d)
    yield k
    k.stop()
    if not os.environ.get("KEEP"):
        shutil.rmtree(d, ignore_errors=True)


def curl_negotiate(kdc, workdir, port, url, *args):
    env = kdc.kinit(os.path.join(workdir, "ccache"))
    cmd = ["curl", "-sS", "--max-time", "10", "--proxy-negotiate", "-U", ":",
           "-x", "http://localhost:%d" % port, "-o", "/dev/null",
           "-w", "%{http_code}\\n"] + list(args) + [url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=20)
    return out.stdout.split(), out.stderr


def capture_token(kdc, workdir):
    """A fresh Kerberos token from curl: a one-shot fake proxy on
    localhost answers 407 Negotiate and keeps what curl sends next."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(15)
    got = []

    def serve():
        try:
            conn, _ = srv.accept()
            conn.settimeout(10)
            buf = b""
            for n in range(2):
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("proxy-authorization:"):
                        got.append(line.split(":", 1)[1].strip())
                if n == 0:
                    conn.sendall(b"HTTP/1.1 407 Auth\r\nProxy-Authenticate: Negotiate\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
            conn.close()
        except OSError:
            pass

    t = threading.Thread(target=serve)
    t.start()
    curl_negotiate(kdc, workdir, srv.getsockname()[1], "http://origin.test/")
    t.join(15)
    srv.close()
    assert got and got[0].startswith("Negotiate "), got
    return got[0].split(" ", 1)[1]


def kerberos_conf(kdc, extra=""):
    return ("auth_param negotiate program %s\n"
            "auth_param negotiate children 3 startup=1 idle=1\n%s" % (
                kdc.helper_program(), extra))


def test_kerberos_curl_authenticated(kdc, proxy, origin, workdir):
    p = proxy(conf_extra=kerberos_conf(kdc), access=ALLOW_AUTH)
    codes, err = curl_negotiate(kdc, workdir, p.port, origin.url("/k1"))
    assert codes == ["200"], err
    # curl sends its token at once or after a 407 challenge: the last line
    served = wait_for(lambda: [e for e in p.access_entries(1, 1)
                               if e["code"] == "TCP_MISS/200"], 5)
    assert served and served[0]["user"] == "alice@" + krbkdc.REALM


def test_kerberos_login_bound_to_connection(kdc, proxy, origin, workdir):
    p = proxy(conf_extra=kerberos_conf(kdc), access=ALLOW_AUTH)
    tok = capture_token(kdc, workdir)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/k1", nego(tok)))
        assert cl.read_response().status == 200
        cl.send(req(origin, "/k2"))
        assert cl.read_response().status == 200
    user = "alice@" + krbkdc.REALM
    assert [log_entry(p, i)["user"] for i in (1, 2)] == [user, user]
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/k3"))
        r = cl.read_response()
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == "Negotiate"
    assert len(origin.requests) == 2


def test_kerberos_bad_token_gets_407(kdc, proxy, origin, workdir):
    p = proxy(conf_extra=kerberos_conf(kdc), access=ALLOW_AUTH)
    with RawClient(p.port) as cl:
        cl.send(req(origin, "/k", nego(b64("not a kerberos token"))))
        r = cl.read_response()
    assert r.status == 407
    assert origin.requests == []
