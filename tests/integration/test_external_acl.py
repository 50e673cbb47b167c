"""External ACLs: external_acl_type helpers answering OK/ERR/BH for the
`external` ACL type in http_access, the result cache (ttl, negative_ttl),
concurrency channel IDs, the kv-pairs of an answer (tag= with a `tag` ACL
and %et, message= as %o in an error page, user= in access.log, log= as %ea),
%LOGIN asking for credentials first, and helpers that are slow, broken or
crash.  The helper is a small Python script that records each request line;
Debian's ext_file_userip_acl is used as a real Squid helper."""

import os
import shutil
import threading
import time

import pytest

from helpers import RawClient, build, get, log_entry, wait_for
from proxyproc import error_templates

# argv[1]: the record file; argv[2]: "conc" when concurrency= is on.
# The first value after the channel ID decides: a path with "ok" is OK,
# "/bh" BH, "/wait..." waits 3 s then OK, "/crash" exits; anything else ERR.
# The acl's arguments (the words after it) are sent back as kv-pairs.
HELPER = r'''#!/usr/bin/python3
import sys, time, urllib.parse
rec, conc = sys.argv[1], len(sys.argv) > 2
for line in sys.stdin:
    with open(rec, "a") as f:
        f.write(line)
    words = line.rstrip("\n").split(" ")
    cid = words.pop(0) + " " if conc else ""
    path, args = words[0], [w for w in words[1:] if w != "-"]
    kv = " ".join(urllib.parse.unquote(a) for a in args)
    if path == "/crash":
        sys.exit(1)
    if path.startswith("/wait"):
        time.sleep(3)
    if "ok" in path or path.startswith("/wait"):
        res = "OK"
    elif path == "/bh":
        res = "BH message=broken"
    else:
        res = "ERR"
    sys.stdout.write(("%s%s %s" % (cid, res, kv)).rstrip() + "\n")
    sys.stdout.flush()
'''

USERIP = "/usr/lib/squid/ext_file_userip_acl"


def helper(workdir, conc=False):
    """(helper command line, record file)."""
    path = os.path.join(workdir, "ext_helper.py")
    with open(path, "w") as f:
        f.write(HELPER)
    os.chmod(path, 0o755)
    rec = os.path.join(workdir, "ext_requests.txt")
    open(rec, "w").close()
    os.chmod(rec, 0o666)
    return "%s %s%s" % (path, rec, " conc" if conc else ""), rec


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


def conf(workdir, opts="ttl=60", acl_args="", access=None, conc=False,
         extra=""):
    cmd, rec = helper(workdir, conc)
    text = ("external_acl_type t %s %%PATH %s\n"
            "acl e external t %s\n%s" % (opts, cmd, acl_args, extra))
    return text, rec, access or "http_access allow e\nhttp_access deny all\n"


def test_ok_allows_err_denies(proxy, origin, workdir):
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/ok")).status == 200
    r = get(p.port, origin.url("/no"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    assert [q.target for q in origin.requests] == ["/ok"]
    # %DATA is '-' when the acl has no arguments
    assert lines(rec) == ["/ok -", "/no -"]


def test_answers_cached_for_ttl(proxy, origin, workdir):
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    for _ in range(3):
        assert get(p.port, origin.url("/ok")).status == 200
        assert get(p.port, origin.url("/no")).status == 403
    assert lines(rec) == ["/ok -", "/no -"]


def test_negative_ttl_zero_asks_again(proxy, origin, workdir):
    c, rec, acc = conf(workdir, opts="ttl=60 negative_ttl=0")
    p = proxy(conf_extra=c, access=acc)
    for _ in range(2):
        assert get(p.port, origin.url("/ok")).status == 200
        assert get(p.port, origin.url("/no")).status == 403
    assert lines(rec) == ["/ok -", "/no -", "/no -"]


def test_ttl_expires(proxy, origin, workdir):
    c, rec, acc = conf(workdir, opts="ttl=1 grace=0")
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/ok")).status == 200
    assert get(p.port, origin.url("/ok")).status == 200
    time.sleep(2.2)
    assert get(p.port, origin.url("/ok")).status == 200
    assert lines(rec) == ["/ok -", "/ok -"]


def test_concurrency_channel_ids(proxy, origin, workdir):
    c, rec, acc = conf(workdir, opts="ttl=60 concurrency=4", conc=True)
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/ok")).status == 200
    assert get(p.port, origin.url("/no")).status == 403
    got = lines(rec)
    assert len(got) == 2
    for line, want in zip(got, ["/ok -", "/no -"]):
        cid, rest = line.split(" ", 1)
        assert cid.isdigit() and rest == want


def test_acl_arguments_are_escaped(proxy, origin, workdir):
    c, rec, acc = conf(workdir, acl_args="a<b 100% x'y")
    p = proxy(conf_extra=c, access=acc)
    get(p.port, origin.url("/no"))
    assert lines(rec) == ["/no a%3Cb 100%25 x%27y"]


def test_request_values_cannot_split_a_line(proxy, origin, workdir):
    # a header value with spaces stays one escaped word; the '%' of the
    # path is kept as Squid's logformat keeps it; every FORMAT value ends
    # with a space, the implicit %DATA does not
    c, rec, acc = conf(workdir)
    c = c.replace("%PATH", "%PATH %>{X-Evil}")
    p = proxy(conf_extra=c, access=acc)
    r = get(p.port, origin.url("/x%0A<y>"), [("X-Evil", "a OK user=evil")])
    assert r.status == 403
    assert lines(rec) == ["/x%0A%3Cy%3E a%20OK%20user=evil -"]


def test_explicit_data_and_acl_name(proxy, origin, workdir):
    c, rec, acc = conf(workdir, acl_args="a<b 100%")
    c = c.replace("%PATH", "%PATH %ACL %DATA %#DATA")
    p = proxy(conf_extra=c, access=acc)
    get(p.port, origin.url("/no"))
    assert lines(rec) == ["/no e a%3Cb 100%25 a%253Cb%20100%2525 "]


def test_protocol_2_5_shell_quotes_arguments(proxy, origin, workdir):
    # codes are escaped as in 3.0; the arguments are shell-quoted
    c, rec, acc = conf(workdir, opts="ttl=60 protocol=2.5",
                       acl_args="a\\b 100% x'y")
    c = c.replace("%PATH", "%PATH %>{X-A}")
    p = proxy(conf_extra=c, access=acc)
    get(p.port, origin.url("/no"), [("X-A", "a b%20c")])
    assert lines(rec) == ["/no a%20b%20c a\\\\b 100% x'y"]


def test_tag_with_tag_acl_and_logged(proxy, origin, workdir):
    # an ERR answer's tag= still tags the request, as in Squid
    c, rec, acc = conf(
        workdir, acl_args="tag=gold log=seen%20it",
        access="http_access deny e\nhttp_access allow gold\n"
               "http_access deny all\n",
        extra="acl gold tag gold\n"
              "logformat ext %%ru %%et %%ea\n"
              "access_log %s/ext.log ext\n" % workdir)
    os.chmod(workdir, 0o777)
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/tagme")).status == 200
    path = os.path.join(workdir, "ext.log")
    assert wait_for(lambda: os.path.exists(path) and lines(path), 5)
    assert lines(path) == [origin.url("/tagme") + " gold seen%20it"]


def test_user_logged(proxy, origin, workdir):
    c, rec, acc = conf(workdir, acl_args="user=alice",
                       extra="logformat users %%un %%ue\n"
                             "access_log %s/users.log users\n" % workdir)
    os.chmod(workdir, 0o777)
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/ok")).status == 200
    e = log_entry(p, 1)
    assert (e["code"], e["user"]) == ("TCP_MISS/200", "alice")
    path = os.path.join(workdir, "users.log")
    assert wait_for(lambda: os.path.exists(path) and lines(path), 5)
    assert lines(path) == ["alice alice"]


def msg_templates(workdir):
    tdir = os.path.join(workdir, "errors")
    shutil.copytree(error_templates(), tdir)
    with open(os.path.join(tdir, "ERR_EXT_MSG"), "w") as f:
        f.write("<p>why: [%o]</p>\n")
    for root, dirs, files in os.walk(tdir):
        os.chmod(root, 0o755)
        for n in files:
            os.chmod(os.path.join(root, n), 0o644)
    return tdir


@pytest.mark.parametrize("args,shown", [
    ("message=not%20on%20a%20Sunday", "not on a Sunday"),
    ("", "")])
def test_message_in_error_page(proxy, origin, workdir, args, shown):
    tdir = msg_templates(workdir)
    c, rec, acc = conf(
        workdir, acl_args=args,
        access="http_access deny !e\nhttp_access allow all\n",
        extra="error_directory %s\ndeny_info ERR_EXT_MSG e\n" % tdir)
    p = proxy(conf_extra=c, access=acc)
    r = get(p.port, origin.url("/no"))
    assert r.status == 403
    assert "why: [%s]" % shown in r.body.decode()


def test_bh_denies_and_is_not_cached(proxy, origin, workdir):
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/bh")).status == 403
    assert get(p.port, origin.url("/bh")).status == 403
    assert origin.requests == []
    # the pool retries BH once before giving up, as Squid's helpers do
    assert len(lines(rec)) >= 2
    assert set(lines(rec)) == {"/bh -"}


def test_slow_helper_does_not_block_others(proxy, origin, workdir):
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    slow = {}

    def fetch():
        slow["r"] = get(p.port, origin.url("/wait"))

    t = threading.Thread(target=fetch)
    t.start()
    assert wait_for(lambda: "/wait -" in lines(rec), 5)
    t0 = time.monotonic()
    assert get(p.port, origin.url("/ok")).status == 200
    assert time.monotonic() - t0 < 2.0
    t.join(10)
    assert slow["r"].status == 200


def test_crashed_helper_answers_and_is_replaced(proxy, origin, workdir):
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    t0 = time.monotonic()
    assert get(p.port, origin.url("/crash")).status == 403
    assert time.monotonic() - t0 < 5
    assert get(p.port, origin.url("/ok")).status == 200


def test_grace_refreshes_in_background(proxy, origin, workdir):
    # ttl=2 grace=50: after 1 s the cached answer is used and refreshed
    c, rec, acc = conf(workdir, opts="ttl=2 grace=50")
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/ok")).status == 200
    time.sleep(1.2)
    assert get(p.port, origin.url("/ok")).status == 200
    assert wait_for(lambda: len(lines(rec)) == 2, 5)


def test_tag_acl_without_external_never_matches(proxy, origin, workdir):
    p = proxy(conf_extra="acl gold tag gold\n",
              access="http_access deny gold\nhttp_access allow all\n")
    assert get(p.port, origin.url("/a")).status == 200


@pytest.mark.skipif(not os.path.exists(USERIP),
                    reason="ext_file_userip_acl is not installed")
def test_squid_ext_file_userip_acl(proxy, origin, workdir):
    users = os.path.join(workdir, "userip.conf")
    with open(users, "w") as f:
        f.write("127.0.0.1 alice\n")
    os.chmod(users, 0o644)
    c = ("external_acl_type uip ttl=60 %%SRC %s -f %s\n"
         "acl alice_here external uip alice\n"
         "acl bob_here external uip bob\n" % (USERIP, users))
    p = proxy(conf_extra=c, access="http_access deny bob_here\n"
                                   "http_access allow alice_here\n"
                                   "http_access deny all\n")
    assert get(p.port, origin.url("/a")).status == 200
    p2 = proxy(conf_extra=c, access="http_access allow bob_here\n"
                                    "http_access deny all\n")
    assert get(p2.port, origin.url("/b")).status == 403


def test_reconfigure_answers_waiting_requests(proxy, origin, workdir, impl):
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    assert get(p.port, origin.url("/ok")).status == 200
    slow = {}

    def fetch():
        slow["r"] = get(p.port, origin.url("/wait"))

    t = threading.Thread(target=fetch)
    t.start()
    assert wait_for(lambda: "/wait -" in lines(rec), 5)
    assert p.ctl("reconfigure").returncode == 0
    t.join(15)
    # an answer, not a hang: Squid 5.7 denies it (its helpers are shut
    # down under it), cuttle asks the new helpers
    assert not t.is_alive()
    assert slow["r"].status == (403 if impl == "squid" else 200)
    assert wait_for(lambda: get(p.port, origin.url("/ok2")).status == 200, 10)
    assert get(p.port, origin.url("/no")).status == 403


NCSA = "/usr/lib/squid/basic_ncsa_auth"


@pytest.mark.skipif(not os.path.exists(NCSA),
                    reason="basic_ncsa_auth is not installed")
def test_login_code_requires_authentication(proxy, origin, workdir):
    from test_auth import auth_conf, creds
    a, _ = auth_conf(workdir)
    cmd, rec = helper(workdir)
    # the helper sees the login as the first value: "ok"-less names are ERR
    c = a + ("external_acl_type byuser ttl=60 %%LOGIN %s\n"
             "acl e external byuser\n" % cmd)
    p = proxy(conf_extra=c, access="http_access allow e\nhttp_access deny all\n")
    r = get(p.port, origin.url("/a"))
    assert r.status == 407
    assert lines(rec) == []
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 403
    assert get(p.port, origin.url("/a"), creds("bob", "wrong")).status == 407
    assert lines(rec) == ["alice -"]


def test_client_leaving_while_waiting(proxy, origin, workdir):
    # the lookup goes on and fills the cache; nothing waits for the gone
    c, rec, acc = conf(workdir)
    p = proxy(conf_extra=c, access=acc)
    for _ in range(3):
        with RawClient(p.port) as rc:
            rc.send(build("GET", origin.url("/wait")))
    assert wait_for(lambda: "/wait -" in lines(rec), 5)
    time.sleep(3.5)
    assert get(p.port, origin.url("/wait")).status == 200
    # one lookup for the three clients and the later one (cached)
    assert lines(rec) == ["/wait -"]
    assert p.proc.poll() is None


def test_cache_size_limit_drops_least_recent(proxy, origin, workdir):
    c, rec, acc = conf(workdir, opts="ttl=60 cache=1")
    p = proxy(conf_extra=c, access=acc)
    for path in ("/ok1", "/ok2", "/ok2", "/ok1"):
        assert get(p.port, origin.url(path)).status == 200
    assert lines(rec) == ["/ok1 -", "/ok2 -", "/ok1 -"]


def test_cache_zero_asks_every_time(proxy, origin, workdir):
    c, rec, acc = conf(workdir, opts="cache=0")
    p = proxy(conf_extra=c, access=acc)
    for _ in range(2):
        assert get(p.port, origin.url("/ok")).status == 200
    assert lines(rec) == ["/ok -", "/ok -"]


def test_full_queue_is_undecided_at_once(proxy, origin, workdir):
    # one helper, queue-size=1: with one lookup in the helper and the
    # queue full, a new key is refused at once (Squid: "queue full")
    c, rec, acc = conf(workdir, opts="ttl=60 children-max=1 queue-size=1")
    p = proxy(conf_extra=c, access=acc)
    got = {}

    def fetch(path):
        got[path] = get(p.port, origin.url(path)).status

    threads = []
    for path in ("/waitA", "/waitB", "/waitC"):
        t = threading.Thread(target=fetch, args=(path,))
        t.start()
        threads.append(t)
        time.sleep(0.3)
    t0 = time.monotonic()
    assert get(p.port, origin.url("/waitD")).status == 403
    assert time.monotonic() - t0 < 2.0
    for t in threads:
        t.join(15)
    assert got["/waitA"] == 200 and got["/waitB"] == 200
