"""Proxy authentication, Basic scheme: the 407 challenge, the auth_param
basic program (Debian's basic_ncsa_auth behind a wrapper that records each
line it forwards), the credentials cache, proxy_auth ACLs, %un in
access.log, CONNECT, and Squid's 407-instead-of-403 rule."""

import base64
import os
import subprocess

import pytest

from helpers import RawClient, get, log_entry, wait_for

NCSA = "/usr/lib/squid/basic_ncsa_auth"
USERS = {"alice": "secret1", "bob": "secret2", "carol": "secret3"}

# Logs each request line to argv[1], then asks basic_ncsa_auth (argv[2:]).
WRAPPER = r'''#!/usr/bin/python3
import subprocess, sys
rec = sys.argv[1]
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True, bufsize=1)
for line in sys.stdin:
    with open(rec, "a") as f:
        f.write(line)
    p.stdin.write(line)
    p.stdin.flush()
    sys.stdout.write(p.stdout.readline())
    sys.stdout.flush()
'''

pytestmark = pytest.mark.skipif(not os.path.exists(NCSA),
                                reason="basic_ncsa_auth is not installed")


def auth_conf(workdir, extra=""):
    """auth_param lines for a passwd file and a recording wrapper; returns
    (conf text, record file)."""
    passwd = os.path.join(workdir, "passwd")
    with open(passwd, "w") as f:
        for user, pw in USERS.items():
            h = subprocess.run(["openssl", "passwd", "-apr1", pw], check=True,
                               capture_output=True, text=True).stdout.strip()
            f.write("%s:%s\n" % (user, h))
    os.chmod(passwd, 0o644)
    wrapper = os.path.join(workdir, "auth_wrapper.py")
    with open(wrapper, "w") as f:
        f.write(WRAPPER)
    os.chmod(wrapper, 0o755)
    rec = os.path.join(workdir, "auth_requests.txt")
    open(rec, "w").close()
    os.chmod(rec, 0o666)
    return ("auth_param basic program %s %s %s %s\n"
            "auth_param basic children 5 startup=1 idle=1\n"
            "auth_param basic realm Proxy\n"
            "auth_param basic credentialsttl 2 hours\n"
            "auth_param basic casesensitive off\n"
            "acl authenticated proxy_auth REQUIRED\n"
            "acl admins proxy_auth alice bob\n%s" % (
                wrapper, rec, NCSA, passwd, extra)), rec


ALLOW_AUTHENTICATED = "http_access allow authenticated\nhttp_access deny all\n"


def creds(user, pw):
    token = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    return [("Proxy-Authorization", "Basic " + token)]


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_no_credentials_gets_407_challenge(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"))
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="Proxy"'
    assert r.header("X-Squid-Error") == "ERR_CACHE_ACCESS_DENIED 0"
    assert origin.requests == []
    e = log_entry(p, 1)
    assert (e["code"], e["user"], e["hier"]) == ("TCP_DENIED/407", "-", "HIER_NONE/-")


def test_wrong_password_gets_407(proxy, origin, workdir):
    c, rec = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"), creds("alice", "nope"))
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="Proxy"'
    assert origin.requests == []
    e = log_entry(p, 1)
    assert (e["code"], e["user"]) == ("TCP_DENIED/407", "alice")
    assert lines(rec) == ["alice nope"]


def test_valid_user_served_and_logged(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"), creds("alice", "secret1"))
    assert r.status == 200
    (req,) = origin.requests
    assert not req.has("Proxy-Authorization")
    e = log_entry(p, 1)
    assert (e["code"], e["user"]) == ("TCP_MISS/200", "alice")


def test_credentials_cached(proxy, origin, workdir):
    c, rec = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    for i in range(3):
        assert get(p.port, origin.url("/c%d" % i), creds("bob", "secret2")).status == 200
    assert lines(rec) == ["bob secret2"]
    # a different password for the same user is checked again
    assert get(p.port, origin.url("/d"), creds("bob", "wrong")).status == 407
    assert lines(rec) == ["bob secret2", "bob wrong"]


def test_user_name_lowercased(proxy, origin, workdir):
    c, rec = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    assert get(p.port, origin.url("/a"), creds("ALICE", "secret1")).status == 200
    assert lines(rec) == ["alice secret1"]
    assert log_entry(p, 1)["user"] == "alice"


def test_user_list_acl(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access="http_access allow admins\nhttp_access deny all\n")
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 200
    # carol is valid but not listed: "deny all" decides, 403
    r = get(p.port, origin.url("/b"), creds("carol", "secret3"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    e = log_entry(p, 2)
    assert (e["code"], e["user"]) == ("TCP_DENIED/403", "carol")


def test_deny_line_ending_in_auth_acl_gives_407(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access="http_access deny !admins\nhttp_access allow all\n")
    r = get(p.port, origin.url("/a"), creds("carol", "secret3"))
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="Proxy"'
    assert get(p.port, origin.url("/b"), creds("bob", "secret2")).status == 200
    e = log_entry(p, 1)
    assert (e["code"], e["user"]) == ("TCP_DENIED/407", "carol")


def test_implicit_deny_after_auth_acl_gives_407(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access="http_access allow admins\n")
    assert get(p.port, origin.url("/a"), creds("carol", "secret3")).status == 407
    assert get(p.port, origin.url("/b"), creds("bob", "secret2")).status == 200


def test_deny_auth_acl_then_all_gives_403(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access="http_access deny admins all\nhttp_access allow all\n")
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 403
    assert get(p.port, origin.url("/b"), creds("carol", "secret3")).status == 200


def test_deny_admins_gives_407(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access="http_access deny admins\nhttp_access allow all\n")
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 407
    assert get(p.port, origin.url("/b"), creds("carol", "secret3")).status == 200
    # no credentials at all: the admins check challenges
    assert get(p.port, origin.url("/c")).status == 407


def test_connect_authenticates(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    target = "origin.test:%d" % origin.port
    with RawClient(p.port) as cl:
        cl.send("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target))
        r = cl.read_response("CONNECT")
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="Proxy"'
    hdr = "%s: %s" % creds("alice", "secret1")[0]
    with RawClient(p.port) as cl:
        cl.send("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n\r\n" % (target, target, hdr))
        r = cl.read_response("CONNECT")
        assert r.status == 200
        cl.send("GET /t HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % target)
        assert cl.read_response().status == 200
    (req,) = origin.requests
    assert not req.has("Proxy-Authorization")
    e = log_entry(p, 2)
    assert (e["method"], e["url"], e["user"]) == ("CONNECT", target, "alice")
    assert e["code"] in ("TCP_TUNNEL/200", "NONE_NONE/200")


@pytest.mark.parametrize("utf8, sent", [("off", "m%FCller p%E4ss"),
                                         ("on", "m%C3%BCller p%C3%A4ss")])
def test_utf8_turns_latin1_credentials_into_utf8(proxy, origin, workdir, utf8, sent):
    # Basic credentials are ISO-8859-1; with utf8 on they reach the helper
    # as UTF-8 (for LDAP-like backends), %-escaped either way.
    c, rec = auth_conf(workdir, "auth_param basic utf8 %s\n" % utf8)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    token = base64.b64encode("m\u00fcller:p\u00e4ss".encode("latin-1")).decode()
    r = get(p.port, origin.url("/u"), [("Proxy-Authorization", "Basic " + token)])
    assert r.status == 407
    assert lines(rec) == [sent]


def test_key_extras_line(proxy, origin, workdir):
    c, rec = auth_conf(workdir, 'auth_param basic key_extras "%>a %un"\n')
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    # basic_ncsa_auth takes the extras for part of the password: 407
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 407
    # %un is the user being checked
    assert lines(rec) == ["alice secret1 127.0.0.1 alice"]
