"""The Basic credentials cache over time and across workers:
authenticate_ttl with authenticate_cache_garbage_interval (a user is
forgotten, and asked for again, once the helper's last check is older than
the ttl at a sweep), max_user_ip [-s] with authenticate_ip_ttl (clients
bound to 127.0.0.1 and 127.0.0.2), and with workers 2 the table the
workers share, so a user checked by one worker is not checked again by
the other.  The helper is a script that records every line it answers,
with the pid of the worker that asked."""

import base64
import os
import signal
import time

import pytest

from helpers import RawClient, build, wait_for

USERS = {"alice": "secret1", "bob": "secret2"}

HELPER = r'''#!/usr/bin/python3
import os, sys
users = dict(a.split(":", 1) for a in sys.argv[2:])
for line in sys.stdin:
    user, pw = line.split()[:2]
    with open(sys.argv[1], "a") as f:
        f.write("%d %s %s\n" % (os.getppid(), user, pw))
    sys.stdout.write("OK\n" if users.get(user) == pw else "ERR\n")
    sys.stdout.flush()
'''

LOOPBACK2 = "127.0.0.2"


def auth_conf(workdir, extra="", helper_args=""):
    """auth_param lines for the recording helper; returns (conf, record)."""
    helper = os.path.join(workdir, "count_helper.py")
    with open(helper, "w") as f:
        f.write(HELPER)
    os.chmod(helper, 0o755)
    rec = os.path.join(workdir, "helper_requests.txt")
    open(rec, "w").close()
    os.chmod(rec, 0o666)
    users = " ".join("%s:%s" % kv for kv in USERS.items())
    return ("auth_param basic program %s %s %s%s\n"
            "auth_param basic children 2 startup=1 idle=1\n"
            "auth_param basic realm Proxy\n"
            "auth_param basic credentialsttl 1 hour\n"
            "acl authenticated proxy_auth REQUIRED\n%s" % (
                helper, rec, users, helper_args, extra)), rec


ALLOW_AUTHENTICATED = "http_access allow authenticated\nhttp_access deny all\n"


def creds(user, pw=None):
    pw = USERS[user] if pw is None else pw
    token = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    return [("Proxy-Authorization", "Basic " + token)]


def get_from(port, url, headers, source=None):
    """One request on a new connection from the given source address."""
    with RawClient(port, source=source) as c:
        c.send(build("GET", url, headers))
        return c.read_response("GET")


def asked(rec):
    """The helper's lines: (worker pid, user, password)."""
    with open(rec) as f:
        return [tuple(l.split()) for l in f.read().splitlines()]


def users_asked(rec):
    return [(u, pw) for _, u, pw in asked(rec)]


def test_within_authenticate_ttl_no_recheck(proxy, origin, workdir):
    c, rec = auth_conf(workdir, "authenticate_ttl 1 hour\n"
                       "authenticate_cache_garbage_interval 1 second\n")
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    time.sleep(2.5)     # two sweeps: alice was checked less than 1 hour ago
    assert get_from(p.port, origin.url("/b"), creds("alice")).status == 200
    assert users_asked(rec) == [("alice", "secret1")]


def test_authenticate_ttl_expiry_rechecks(proxy, origin, workdir):
    # credentialsttl is 1 hour: only authenticate_ttl forgets alice
    c, rec = auth_conf(workdir, "authenticate_ttl 2 seconds\n"
                       "authenticate_cache_garbage_interval 1 second\n")
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    assert get_from(p.port, origin.url("/b"), creds("alice")).status == 200
    assert users_asked(rec) == [("alice", "secret1")]
    # The ttl counts from the helper's check, not from the last use: the
    # request at /b did not extend it.  Swept at the first sweep after
    # 2 s (sweeps every second): gone by 4.5 s.
    time.sleep(4.5)
    assert get_from(p.port, origin.url("/c"), creds("alice")).status == 200
    assert users_asked(rec) == [("alice", "secret1")] * 2


def test_last_use_does_not_extend_authenticate_ttl(proxy, origin, workdir):
    c, rec = auth_conf(workdir, "authenticate_ttl 3 seconds\n"
                       "authenticate_cache_garbage_interval 1 second\n")
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    start = time.monotonic()
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    # a request every 0.5 s for 5.5 s: alice is re-checked once the ttl
    # (from the check) ends, however often she came
    n = 0
    while time.monotonic() - start < 5.5 and n < 20:
        assert get_from(p.port, origin.url("/x%d" % n), creds("alice")).status == 200
        n += 1
        time.sleep(0.5)
    assert len(users_asked(rec)) == 2


MAXIP = ("acl maxip max_user_ip 1\n"
         "http_access deny maxip\n" + ALLOW_AUTHENTICATED)
MAXIP_STRICT = ("acl maxip max_user_ip -s 1\n"
                "http_access deny maxip\n" + ALLOW_AUTHENTICATED)
MAXIP_LINE = ("aclMatchUserMaxIP: user 'alice' tries to use too many IP "
              "addresses (max 1 allowed)!")


def test_max_user_ip_denies_second_address(proxy, origin, workdir):
    c, rec = auth_conf(workdir, "authenticate_ip_ttl 1 hour\n")
    p = proxy(conf_extra=c, access=MAXIP)
    url = origin.url("/a")
    assert get_from(p.port, url, creds("alice"), "127.0.0.1").status == 200
    assert get_from(p.port, url, creds("alice"), "127.0.0.1").status == 200
    r = get_from(p.port, url, creds("alice"), LOOPBACK2)
    assert r.status == 403      # not an auth ACL for the 407 rule
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    assert wait_for(lambda: MAXIP_LINE in p.cache_log, 5.0), p.cache_log
    # without -s the addresses were all forgotten: the next request,
    # from either address, is the only one known and passes
    assert get_from(p.port, url, creds("alice"), LOOPBACK2).status == 200
    r = get_from(p.port, url, creds("alice"), "127.0.0.1")
    assert r.status == 403
    # another user is counted apart
    assert get_from(p.port, url, creds("bob"), LOOPBACK2).status == 200
    assert users_asked(rec) == [("alice", "secret1"), ("bob", "secret2")]


def test_max_user_ip_strict(proxy, origin, workdir):
    c, _ = auth_conf(workdir, "authenticate_ip_ttl 3 seconds\n")
    p = proxy(conf_extra=c, access=MAXIP_STRICT)
    url = origin.url("/a")
    assert get_from(p.port, url, creds("alice"), "127.0.0.1").status == 200
    assert get_from(p.port, url, creds("alice"), LOOPBACK2).status == 403
    # strict: only the newcomer is forgotten, so it stays refused ...
    assert get_from(p.port, url, creds("alice"), LOOPBACK2).status == 403
    # ... while the first address goes on (refreshing its ttl)
    assert get_from(p.port, url, creds("alice"), "127.0.0.1").status == 200
    assert wait_for(lambda: MAXIP_LINE in p.cache_log, 5.0), p.cache_log
    # until the first address is not seen for authenticate_ip_ttl
    time.sleep(4)
    assert get_from(p.port, url, creds("alice"), LOOPBACK2).status == 200
    assert get_from(p.port, url, creds("alice"), "127.0.0.1").status == 403


def test_max_user_ip_needs_credentials(proxy, origin, workdir):
    c, _ = auth_conf(workdir)
    p = proxy(conf_extra=c, access=MAXIP)
    r = get_from(p.port, origin.url("/a"), [])
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="Proxy"'


def test_directives_not_warned(proxy, origin, workdir):
    c, _ = auth_conf(workdir, "authenticate_ttl 1 hour\n"
                     "authenticate_ip_ttl 1 second\n"
                     "authenticate_cache_garbage_interval 1 hour\n")
    p = proxy(conf_extra=c, access=MAXIP)
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    log = p.cache_log + p.stderr
    for word in ("authenticate_ttl", "authenticate_ip_ttl",
                 "authenticate_cache_garbage_interval", "max_user_ip"):
        assert word not in log, log


def test_reconfigure_keeps_checked_users(proxy, origin, workdir):
    # Squid keeps its user cache over -k reconfigure; cuttle's new worker
    # generation finds them in the shared table
    c, rec = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    with open(p.conf, "a") as f:
        f.write("# touched\n")
    assert p.ctl("reconfigure").returncode == 0
    time.sleep(2)
    assert get_from(p.port, origin.url("/b"), creds("alice")).status == 200
    assert users_asked(rec) == [("alice", "secret1")]


@pytest.mark.cuttle_only(reason="Squid 5.7 keeps its users over a reconfigure "
                         "even when the auth_param basic program changes (it "
                         "does not ask the new helper); cuttle clears the "
                         "shared table then, so the new helper decides")
def test_reconfigure_with_another_helper_rechecks(proxy, origin, workdir):
    c, rec = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace(" bob:secret2\n", " bob:secret2 carol:x\n"))
    assert p.ctl("reconfigure").returncode == 0
    assert wait_for(lambda: "shared credentials cleared" in p.cache_log,
                    5.0), p.cache_log
    time.sleep(1)
    assert get_from(p.port, origin.url("/b"), creds("alice")).status == 200
    assert users_asked(rec) == [("alice", "secret1")] * 2


TWO_WORKERS = pytest.mark.cuttle_only(
    reason="Squid runs as one -N process here, and Squid 5.7 keeps a "
    "credentials cache per worker (no sharing across SMP kids)")


def alice_on_two_workers(proxy, origin, workdir):
    """workers 2, alice checked once; returns (proxy, record, the pid of
    the worker that checked her)."""
    c, rec = auth_conf(workdir)
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED, workers=2)
    assert wait_for(lambda: len(p.worker_pids()) == 2, 5.0)
    assert get_from(p.port, origin.url("/a"), creds("alice")).status == 200
    first = int(asked(rec)[0][0])
    assert first in p.worker_pids(), (first, p.worker_pids())
    return p, rec, first


@TWO_WORKERS
def test_other_worker_does_not_recheck(proxy, origin, workdir):
    p, rec, first = alice_on_two_workers(proxy, origin, workdir)
    # with the first worker stopped, every new connection is the other's
    os.kill(first, signal.SIGSTOP)
    try:
        for i in range(3):
            assert get_from(p.port, origin.url("/b%d" % i),
                            creds("alice")).status == 200
        # the other worker's helper answers for users it has not seen:
        # proof that it was the one serving
        assert get_from(p.port, origin.url("/c"), creds("bob")).status == 200
        got = asked(rec)
        assert [(u, pw) for _, u, pw in got] == [("alice", "secret1"),
                                                  ("bob", "secret2")]
        assert int(got[1][0]) != first
        # a wrong password is still checked, and refused
        r = get_from(p.port, origin.url("/d"), creds("alice", "nope"))
        assert r.status == 407
        assert users_asked(rec)[-1] == ("alice", "nope")
    finally:
        os.kill(first, signal.SIGCONT)


@TWO_WORKERS
def test_shared_credentials_survive_worker_restart(proxy, origin, workdir):
    p, rec, first = alice_on_two_workers(proxy, origin, workdir)
    other = [w for w in p.worker_pids() if w != first][0]
    # the other worker is replaced; the first is stopped so the
    # replacement serves the next connections
    os.kill(other, signal.SIGKILL)
    new = wait_for(lambda: [w for w in p.worker_pids()
                            if w not in (first, other)] or None, 10.0)
    assert new, p.cache_log
    os.kill(first, signal.SIGSTOP)
    try:
        assert get_from(p.port, origin.url("/b"), creds("alice")).status == 200
        assert users_asked(rec) == [("alice", "secret1")]
    finally:
        os.kill(first, signal.SIGCONT)


DIGEST_FILE = "/usr/lib/squid/digest_file_auth"


@pytest.mark.skipif(not os.path.exists(DIGEST_FILE),
                    reason="Squid's digest_file_auth is not installed")
def test_max_user_ip_digest(proxy, origin, workdir):
    from test_digest_auth import authz, digest_conf, fresh_nonce
    p = proxy(conf_extra=digest_conf(workdir, "authenticate_ip_ttl 1 hour\n"),
              access="acl maxip max_user_ip 1\nhttp_access deny maxip\n"
              "http_access allow authenticated\nhttp_access deny all\n")
    url = origin.url("/a")
    nonce = fresh_nonce(p, url)
    assert get_from(p.port, url, authz("alice", "secret1", nonce, url, nc=1),
                    "127.0.0.1").status == 200
    r = get_from(p.port, url, authz("alice", "secret1", nonce, url, nc=2),
                 LOOPBACK2)
    assert r.status == 403
    assert wait_for(lambda: MAXIP_LINE in p.cache_log, 5.0), p.cache_log
    # not strict: forgotten, so the next one passes
    assert get_from(p.port, url, authz("alice", "secret1", nonce, url, nc=3),
                    LOOPBACK2).status == 200
