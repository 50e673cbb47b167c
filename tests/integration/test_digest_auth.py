"""Proxy authentication, Digest scheme: the 407 challenge, Squid's
digest_file_auth as the auth_param digest program, the request-digest
(RFC 2617 MD5, qop=auth and none, MD5-sess), nonces (stale=true for an
unknown one, nonce_max_count, nonce_max_duration with
nonce_garbage_interval, nonce-count checks, nonce_strictness), %un in
access.log, curl --proxy-digest, and basic and digest offered together
in the order of their auth_param lines."""

import hashlib
import os
import re
import time

import pytest

from helpers import RawClient, build, curl, get, log_entry, wait_for

DIGEST_FILE = "/usr/lib/squid/digest_file_auth"
USERS = {"alice": "secret1", "bob": "secret2"}
REALM = "Digest Proxy"

pytestmark = pytest.mark.skipif(not os.path.exists(DIGEST_FILE),
                                reason="Squid's digest_file_auth is not installed")

CHALLENGE_RE = re.compile(
    r'^Digest realm="([^"]*)", nonce="([0-9a-f]{32})", qop="auth", '
    r'stale=(true|false)$')


def digest_conf(workdir, extra=""):
    passwd = os.path.join(workdir, "digest_passwd")
    with open(passwd, "w") as f:
        for user, pw in USERS.items():
            f.write("%s:%s\n" % (user, pw))
    os.chmod(passwd, 0o644)
    return ("auth_param digest program %s %s\n"
            "auth_param digest children 3 startup=1 idle=1\n"
            "auth_param digest realm %s\n%s"
            "acl authenticated proxy_auth REQUIRED\n" % (
                DIGEST_FILE, passwd, REALM, extra))


ALLOW_AUTHENTICATED = "http_access allow authenticated\nhttp_access deny all\n"


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def challenge(r):
    """(realm, nonce, stale) of a 407's Digest challenge."""
    for v in r.header_all("Proxy-Authenticate"):
        m = CHALLENGE_RE.match(v)
        if m:
            return m.group(1), m.group(2), m.group(3) == "true"
    raise AssertionError("no Digest challenge in %r" %
                         r.header_all("Proxy-Authenticate"))


def authz(user, pw, nonce, uri, method="GET", nc=1, qop="auth",
          realm=REALM, algorithm=None, cnonce="0a4f113b", digest_method=None):
    ha1 = md5("%s:%s:%s" % (user, realm, pw))
    if algorithm == "MD5-sess":
        ha1 = md5("%s:%s:%s" % (ha1, nonce, cnonce))
    ha2 = md5("%s:%s" % (digest_method or method, uri))
    ncs = "%08x" % nc
    if qop:
        resp = md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, ncs, cnonce, qop, ha2))
    else:
        resp = md5("%s:%s:%s" % (ha1, nonce, ha2))
    v = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", ' \
        'response="%s"' % (user, realm, nonce, uri, resp)
    if algorithm:
        v += ", algorithm=%s" % algorithm
    if qop:
        v += ', qop=%s, nc=%s, cnonce="%s"' % (qop, ncs, cnonce)
    return [("Proxy-Authorization", v)]


def fresh_nonce(p, url):
    r = get(p.port, url)
    assert r.status == 407
    return challenge(r)[1]


def test_no_credentials_gets_digest_challenge(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"))
    assert r.status == 407
    assert r.header("X-Squid-Error") == "ERR_CACHE_ACCESS_DENIED 0"
    (v,) = r.header_all("Proxy-Authenticate")
    realm, nonce, stale = challenge(r)
    assert (realm, stale) == (REALM, False)
    # every challenge has a new nonce
    assert challenge(get(p.port, origin.url("/a")))[1] != nonce
    assert origin.requests == []


def test_good_digest_served_and_logged(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    r = get(p.port, url, authz("alice", "secret1", nonce, url))
    assert r.status == 200
    (req,) = origin.requests
    assert not req.has("Proxy-Authorization")
    e = log_entry(p, 2)
    assert (e["code"], e["user"]) == ("TCP_MISS/200", "alice")
    # the nonce serves again with a higher count
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=2)).status == 200


def test_wrong_password_gets_407(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    r = get(p.port, url, authz("alice", "nope", nonce, url))
    assert r.status == 407
    assert challenge(r)[2] is False
    assert origin.requests == []
    e = log_entry(p, 2)
    assert (e["code"], e["user"]) == ("TCP_DENIED/407", "alice")


def test_unknown_user_gets_407(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("mallory", "x", nonce, url)).status == 407
    assert origin.requests == []


def test_unknown_nonce_is_stale(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    r = get(p.port, url, authz("alice", "secret1", "0" * 32, url))
    assert r.status == 407
    assert challenge(r)[2] is True
    assert log_entry(p, 1)["user"] == "alice"


def test_no_qop_md5_sess_and_post(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    # RFC 2069 style: no qop, no nc, no cnonce
    assert get(p.port, url, authz("bob", "secret2", nonce, url, qop=None)).status == 200
    n2 = fresh_nonce(p, url)
    assert get(p.port, url, authz("bob", "secret2", n2, url,
                                  algorithm="MD5-sess")).status == 200
    n3 = fresh_nonce(p, url)
    r = get(p.port, url, authz("bob", "secret2", n3, url, method="POST"),
            method="POST", body=b"x=1")
    assert r.status == 200


def test_malformed_credentials_get_407(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    good = authz("alice", "secret1", nonce, url)[0][1]
    bad = [
        good.replace('qop=auth', 'qop=auth-int'),
        good.replace('nc=00000001', 'nc=1'),
        good.replace('uri="%s"' % url, 'uri=%s' % url),
        re.sub(r'response="[0-9a-f]+"', 'response="abc"', good),
        good + ", algorithm=SHA-256",
        'Digest username="alice"',
        "Digest",
        'Digest ,,,, =, "unterminated',
    ]
    for v in bad:
        r = get(p.port, url, [("Proxy-Authorization", v)])
        assert r.status == 407, v
    assert origin.requests == []
    # the nonce is still good after all that
    assert get(p.port, url, authz("alice", "secret1", nonce, url)).status == 200


def test_nonce_count_must_increase(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=1)).status == 200
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=5)).status == 200
    # a count that does not go up drops the nonce after a helper check;
    # the next use of it is stale
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=5)).status == 200
    r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=6))
    assert r.status == 407
    assert challenge(r)[2] is True


def test_nonce_strictness(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(
        workdir, "auth_param digest nonce_strictness on\n"),
        access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=1)).status == 200
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=3)).status == 200
    r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=4))
    assert r.status == 407
    assert challenge(r)[2] is True


def test_nonce_max_count(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(
        workdir, "auth_param digest nonce_max_count 3\n"),
        access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    nexts = []
    for nc in (1, 2, 3, 4):
        r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=nc))
        assert r.status == 200, nc
        nexts.append(r.header("Proxy-Authentication-Info"))
    # from the last-but-one allowed use on, the reply offers a next nonce
    assert nexts[0] is None
    got = [re.match(r'^nextnonce="([0-9a-f]{32})"$', v or "") for v in nexts[1:]]
    assert all(got), nexts
    nn = got[-1].group(1)
    assert get(p.port, url, authz("alice", "secret1", nn, url)).status == 200
    r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=5))
    assert r.status == 407
    assert challenge(r)[2] is True


def test_nextnonce_on_error_page(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(
        workdir, "auth_param digest nonce_max_count 2\n"
        "acl bpath urlpath_regex ^/b\n"),
        access="http_access allow authenticated !bpath\nhttp_access deny all\n")
    nonce = fresh_nonce(p, origin.url("/a"))
    url = origin.url("/b")
    # authenticated, then denied: the 403 still offers the next nonce
    r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=1))
    assert r.status == 403
    assert re.match(r'^nextnonce="[0-9a-f]{32}"$',
                    r.header("Proxy-Authentication-Info") or "")


def test_nonce_max_duration_and_garbage_collection(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(
        workdir, "auth_param digest nonce_max_duration 1 second\n"
        "auth_param digest nonce_garbage_interval 1 second\n"),
        access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "secret1", nonce, url)).status == 200
    time.sleep(3.5)		# older than 1 s, and collected
    r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=2))
    assert r.status == 407
    assert challenge(r)[2] is True


def test_curl_proxy_digest(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    r = curl(p.port, origin.url("/c"), "--proxy-digest",
             "--proxy-user", "bob:secret2", workdir=workdir)
    assert r.status == 200, r.headers_text
    assert log_entry(p, 2)["user"] == "bob"
    r = curl(p.port, origin.url("/d"), "--proxy-digest",
             "--proxy-user", "bob:wrong", workdir=workdir)
    assert r.status == 407


def _schemes(r):
    return [v.split(" ", 1)[0] for v in r.header_all("Proxy-Authenticate")]


def test_basic_and_digest_in_config_order(proxy, origin, workdir):
    basic = "auth_param basic program /usr/lib/squid/basic_fake_auth\n" \
            "auth_param basic realm B\n"
    p = proxy(conf_extra=basic + digest_conf(workdir),
              access=ALLOW_AUTHENTICATED)
    assert _schemes(get(p.port, origin.url("/a"))) == ["Basic", "Digest"]
    p.stop()
    d = digest_conf(workdir)
    # auth_param lines first, then the acl that digest_conf ends with
    head, acl = d.rsplit("acl ", 1)
    p2 = proxy(conf_extra=head + basic + "acl " + acl,
               access=ALLOW_AUTHENTICATED)
    assert _schemes(get(p2.port, origin.url("/a"))) == ["Digest", "Basic"]
    # a digest user passes while basic is on too
    url = origin.url("/b")
    nonce = challenge(get(p2.port, url))[1]
    assert get(p2.port, url, authz("alice", "secret1", nonce, url)).status == 200


# Records each request line to argv[1]; alice gets her H(A1) as a bare
# line (the Squid 3.3 helper protocol), bob "OK ha1=" in uppercase hex,
# anyone else ERR with a message.
HELPER = r'''#!/usr/bin/python3
import hashlib, re, sys
rec = sys.argv[1]
pw = {"alice": "secret1", "bob": "secret2", "\u00fcmit": "secret4"}
for line in sys.stdin:
    with open(rec, "a") as f:
        f.write(line)
    user, realm = re.match(r'^"([^"]*)":"([^"]*)"', line).groups()
    h = hashlib.md5(("%s:%s:%s" % (user, realm, pw.get(user, "")))
                    .encode()).hexdigest()
    if user in ("alice", "\u00fcmit"):
        out = h
    elif user == "bob":
        out = "OK ha1=" + h.upper()
    else:
        out = "ERR message=unknown"
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
'''


def recording_helper(workdir):
    path = os.path.join(workdir, "digest_helper.py")
    with open(path, "w") as f:
        f.write(HELPER)
    os.chmod(path, 0o755)
    rec = os.path.join(workdir, "digest_requests.txt")
    open(rec, "w").close()
    os.chmod(rec, 0o666)
    return path, rec


def test_helper_protocol(proxy, origin, workdir):
    path, rec = recording_helper(workdir)
    c = ("auth_param digest program %s %s\n"
         "auth_param digest children 2 startup=1 idle=1\n"
         "auth_param digest realm %s\n"
         "acl authenticated proxy_auth REQUIRED\n" % (path, rec, REALM))
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "secret1", nonce, url)).status == 200
    assert get(p.port, url, authz("bob", "secret2", nonce, url, nc=2)).status == 200
    assert get(p.port, url, authz("carol", "x", nonce, url, nc=3)).status == 407
    # the H(A1) is kept: alice again needs no helper
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=4)).status == 200
    with open(rec) as f:
        got = f.read().splitlines()
    assert got == ['"alice":"%s"' % REALM, '"bob":"%s"' % REALM,
                   '"carol":"%s"' % REALM]


def test_nonce_after_reconfigure(proxy, origin, workdir, impl):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "secret1", nonce, url)).status == 200
    assert p.ctl("reconfigure").returncode == 0
    # Squid's one process keeps its nonces; a cuttle worker that replaced
    # the old one never issued it and says stale=true, so the client takes
    # the new nonce: never a plain refusal
    nc = 2
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            r = get(p.port, url, authz("alice", "secret1", nonce, url, nc=nc))
        except OSError:
            time.sleep(0.1)
            continue
        nc += 1
        if r.status == 407:
            assert impl != "squid"
            realm, nonce, stale = challenge(r)
            assert stale is True
            nc = 1
        else:
            assert r.status == 200
        time.sleep(0.2)
    assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=nc)).status == 200


def test_connect_with_digest(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    target = "127.0.0.1:%d" % origin.port
    r = get(p.port, target, method="CONNECT")
    assert r.status == 407
    nonce = challenge(r)[1]
    with RawClient(p.port) as c:
        c.send(build("CONNECT", target, authz("bob", "secret2", nonce, target,
                                               method="CONNECT")))
        r = c.read_head()
        assert r.status == 200
        c.send(b"GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert c.read_response().status == 200
    assert log_entry(p, 2)["user"] == "bob"


def test_check_nonce_count_off(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(
        workdir, "auth_param digest check_nonce_count off\n"),
        access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    # the client's count is not looked at: the same one serves each time
    for _ in range(3):
        assert get(p.port, url, authz("alice", "secret1", nonce, url, nc=1)).status == 200


@pytest.mark.parametrize("workaround", ["on", "off"])
def test_post_workaround(proxy, origin, workdir, workaround):
    p = proxy(conf_extra=digest_conf(
        workdir, "auth_param digest post_workaround %s\n" % workaround),
        access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    # a POST digested as if it were a GET, as some old browsers did
    r = get(p.port, url, authz("alice", "secret1", nonce, url, method="POST",
                               digest_method="GET"),
            method="POST", body=b"x=1")
    assert r.status == (200 if workaround == "on" else 407)


def test_basic_credentials_with_digest_only(proxy, origin, workdir):
    p = proxy(conf_extra=digest_conf(workdir), access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"),
            [("Proxy-Authorization", "Basic YWxpY2U6c2VjcmV0MQ==")])
    assert r.status == 407
    assert _schemes(r) == ["Digest"]


def test_helper_key_extras_and_utf8(proxy, origin, workdir):
    path, rec = recording_helper(workdir)
    c = ("auth_param digest program %s %s\n"
         "auth_param digest realm %s\n"
         "auth_param digest utf8 on\n"
         "auth_param digest key_extras \"%%>a %%un\"\n"
         "acl authenticated proxy_auth REQUIRED\n" % (path, rec, REALM))
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "secret1", nonce, url)).status == 200
    # the name comes as ISO-8859-1 and goes to the helper as UTF-8
    assert get(p.port, url, authz("\u00fcmit", "secret4", nonce, url,
                                  nc=2)).status == 200
    with open(rec, encoding="utf-8") as f:
        got = f.read().splitlines()
    assert got == ['"alice":"%s" 127.0.0.1 alice' % REALM,
                   '"\u00fcmit":"%s" 127.0.0.1 \u00fcmit' % REALM]
