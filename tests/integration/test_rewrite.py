"""url_rewrite_program: the helper protocol toward a rewriter (request line
format, channel IDs), what each reply does (rewrite, redirect, no change,
BH), and a rewriter that dies being replaced."""

import os
import re
import threading

import pytest

from helpers import RawClient, build, get, log_entry, wait_for

# One rewriter for every test, driven by the URL path.  It records each line
# it receives (argv[1]) and answers per argv[2]: "plain" (no channel IDs),
# "conc" (IDs echoed back), "exit1" (answers once, then exits), "die"
# (exits at once).
REWRITER = r'''#!/usr/bin/python3
import re, sys, time
record, mode = sys.argv[1], sys.argv[2]
if mode == "die":
    sys.exit(1)
def answer(url):
    m = re.match(r"(http://[^/]+)(/\S*)", url)
    base, path = (m.group(1), m.group(2)) if m else ("", url)
    port = base.rsplit(":", 1)[-1]
    if path.startswith("/rw/"):
        return "OK rewrite-url=" + base + "/echo/rewritten/" + path[4:]
    if path.startswith("/rwhost/"):
        return "OK rewrite-url=http://other.test:%s/echo/%s" % (port, path[8:])
    if path.startswith("/redir301"):
        return 'OK status=301 url="' + base + '/target301"'
    if path.startswith("/redir302"):
        return "OK status=302 url=" + base + "/target302"
    if path.startswith("/legacy302"):
        return "302:" + base + "/target-legacy"
    if path.startswith("/legacyurl"):
        return base + "/echo/legacy"
    if path.startswith("/slow"):
        time.sleep(1)
        return "OK rewrite-url=" + base + "/echo/slowed"
    if path.startswith("/err"):
        return "ERR"
    if path.startswith("/bh"):
        return 'BH message="helper broke"'
    return "OK"
for line in sys.stdin:
    with open(record, "a") as f:
        f.write(line)
    words = line.split()
    if mode == "conc":
        print(words[0] + " " + answer(words[1]), flush=True)
    else:
        print(answer(words[0]), flush=True)
    if mode == "exit1":
        sys.exit(0)
'''


def rewriter(workdir):
    path = os.path.join(workdir, "rewriter.py")
    with open(path, "w") as f:
        f.write(REWRITER)
    os.chmod(path, 0o755)
    return path


def record_file(workdir, name):
    path = os.path.join(workdir, name)
    open(path, "w").close()
    os.chmod(path, 0o666)
    return path


def conf(workdir, mode="plain", children="url_rewrite_children 2 startup=1 idle=1",
         record="requests.txt", extra=""):
    rec = record_file(workdir, record)
    return ("url_rewrite_program %s %s %s\n%s\n%s" % (
        rewriter(workdir), rec, mode, children, extra)), rec


def records(path, n):
    def have():
        with open(path) as f:
            lines = f.read().splitlines()
        return lines if len(lines) >= n else None
    return wait_for(have, 5.0)


def test_rewrite_url_reaches_origin_and_log(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c)
    r = get(p.port, origin.url("/rw/a?q=1"))
    assert r.status == 200
    (req,) = origin.requests
    assert req.target == "/echo/rewritten/a?q=1"
    assert req.header("Host") == ["origin.test:%d" % origin.port]
    e = log_entry(p, 1)
    assert e["code"] == "TCP_MISS/200"
    assert e["url"] == origin.url("/echo/rewritten/a?")   # strip_query_terms


def test_rewrite_changes_host_header(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/rwhost/x")).status == 200
    (req,) = origin.requests
    assert req.header("Host") == ["other.test:%d" % origin.port]


def test_rewrite_host_header_off_keeps_host(proxy, origin, workdir):
    c, _ = conf(workdir, extra="url_rewrite_host_header off")
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/rwhost/x")).status == 200
    (req,) = origin.requests
    assert req.target == "/echo/x"
    assert req.header("Host") == ["origin.test:%d" % origin.port]


def test_redirect_status_301(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c)
    r = get(p.port, origin.url("/redir301"))
    assert r.status == 301
    assert r.header("Location") == origin.url("/target301")
    assert origin.requests == []
    e = log_entry(p, 1)
    assert e["code"] == "TCP_REDIRECT/301"
    assert e["url"] == origin.url("/redir301")
    assert e["hier"] == "HIER_NONE/-"


def test_redirect_status_302_and_legacy(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c)
    r = get(p.port, origin.url("/redir302"))
    assert (r.status, r.header("Location")) == (302, origin.url("/target302"))
    r = get(p.port, origin.url("/legacy302"))
    assert (r.status, r.header("Location")) == (302, origin.url("/target-legacy"))
    assert origin.requests == []
    assert log_entry(p, 2)["code"] == "TCP_REDIRECT/302"


def test_legacy_url_reply_rewrites(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/legacyurl")).status == 200
    assert [r.target for r in origin.requests] == ["/echo/legacy"]


def test_err_and_ok_change_nothing(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/err/1")).status == 200
    assert get(p.port, origin.url("/plain")).status == 200
    assert [r.target for r in origin.requests] == ["/err/1", "/plain"]
    assert log_entry(p, 2)["url"] == origin.url("/plain")


def test_bh_retried_then_unchanged(proxy, origin, workdir):
    c, rec = conf(workdir)
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/bh")).status == 200
    assert [r.target for r in origin.requests] == ["/bh"]
    assert len(records(rec, 3)) == 3    # the first try and 2 retries
    assert wait_for(lambda: "attempt #2 of 2" in p.cache_log, 5.0)
    assert "helper broke" in p.cache_log


def test_concurrency_ids(proxy, origin, workdir):
    c, rec = conf(workdir, mode="conc",
                  children="url_rewrite_children 1 startup=1 idle=1 concurrency=3")
    p = proxy(conf_extra=c)
    for i in range(3):
        assert get(p.port, origin.url("/rw/%d" % i)).status == 200
    assert [r.target for r in origin.requests] == ["/echo/rewritten/%d" % i for i in range(3)]
    ids = [l.split()[0] for l in records(rec, 3)]
    assert ids == ["1", "2", "3"]


def test_url_rewrite_access_skips_helper(proxy, origin, workdir):
    c, rec = conf(workdir, extra="acl skip urlpath_regex ^/rw/skip\n"
                  "url_rewrite_access deny skip\nurl_rewrite_access allow all")
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/rw/skip")).status == 200
    assert get(p.port, origin.url("/rw/done")).status == 200
    assert [r.target for r in origin.requests] == ["/rw/skip", "/echo/rewritten/done"]
    assert len(records(rec, 1)) == 1


def test_helper_exit_is_replaced(proxy, origin, workdir):
    c, rec = conf(workdir, mode="exit1",
                  children="url_rewrite_children 1 startup=1 idle=1")
    p = proxy(conf_extra=c)
    assert get(p.port, origin.url("/rw/one")).status == 200
    assert wait_for(lambda: re.search(r"WARNING: redirector #\S+ exited", p.cache_log), 5.0)
    assert get(p.port, origin.url("/rw/two")).status == 200
    assert [r.target for r in origin.requests] == ["/echo/rewritten/one",
                                                   "/echo/rewritten/two"]


def test_client_gone_while_rewriter_works(proxy, origin, workdir):
    c, rec = conf(workdir, children="url_rewrite_children 1 startup=1 idle=1")
    p = proxy(conf_extra=c)
    with RawClient(p.port) as cl:
        cl.send(build("GET", origin.url("/slow")))
        records(rec, 1)
    # the reply to the abandoned request is dropped; the helper serves on
    assert get(p.port, origin.url("/rw/after")).status == 200
    assert [r.target for r in origin.requests] == ["/echo/rewritten/after"]


@pytest.mark.cuttle_only(reason="Squid 5.7 stops with FATAL: crashing too rapidly")
def test_crashing_helper_stops_respawning(proxy, origin, workdir):
    c, _ = conf(workdir, mode="die", children="url_rewrite_children 1 startup=1 idle=1")
    p = proxy(conf_extra=c)
    assert wait_for(lambda: "The redirector helpers are crashing too rapidly, need help!"
                    in p.cache_log, 5.0)
    assert get(p.port, origin.url("/rw/x")).status == 200
    assert [r.target for r in origin.requests] == ["/rw/x"]
    assert p.cache_log.count("exited") == 1


def _normalise(line, proxy_port):
    line = re.sub(r"myport=%d\b" % proxy_port, "myport=PORT", line)
    return re.sub(r":\d+/", ":ORIGIN/", line)


def test_request_line_format_matches_squid(proxy, squid_proxy, origin, workdir):
    got = []
    for i, factory in enumerate((proxy, squid_proxy)):
        c, rec = conf(workdir, mode="conc", record="req%d.txt" % i,
                      children="url_rewrite_children 1 startup=1 idle=1 concurrency=2")
        p = factory(conf_extra=c)
        get(p.port, origin.url("/rw/x?a=%20b"))
        get(p.port, origin.url("/plain"), method="POST", body=b"x")
        got.append([_normalise(l, p.port) for l in records(rec, 2)])
        p.stop()
    assert got[0] == got[1]
    assert got[0][0].startswith("1 http://origin.test:ORIGIN/rw/x?a=%20b 127.0.0.1/")


@pytest.mark.parametrize("bypass", ["on", "off"])
def test_bypass_when_rewriter_busy(proxy, origin, workdir, bypass):
    """One rewriter, busy for a second: with url_rewrite_bypass on (which
    makes queue-size default to 0, as in Squid) the next request skips it
    and goes out unchanged; off, it waits its turn and is rewritten."""
    c, rec = conf(workdir, children="url_rewrite_children 1 startup=1 idle=1",
                  extra="url_rewrite_bypass %s" % bypass)
    p = proxy(conf_extra=c)
    done = {}
    t = threading.Thread(target=lambda: done.update(a=get(p.port, origin.url("/slow"))))
    t.start()
    try:
        records(rec, 1)
        r = get(p.port, origin.url("/rw/b"))
    finally:
        t.join(10)
    assert r.status == 200 and done["a"].status == 200
    want = "/rw/b" if bypass == "on" else "/echo/rewritten/b"
    assert want in [q.target for q in origin.requests]
