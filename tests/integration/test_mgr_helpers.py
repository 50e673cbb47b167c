"""The cache manager's helper pages: mgr:redirector, mgr:store_id,
mgr:basicauthenticator and mgr:external_acl, reached as squidclient does
(`GET cache_object://127.0.0.1/ACTION`) and as a browser does
(`GET /squid-internal-mgr/ACTION`), behind `http_access allow localhost
manager`.  The counters (requests sent, replies received, per child
# Requests / # Replies) are checked after a known number of requests, and
the layout of every page is compared line for line with Debian's Squid 5.7
running the same helpers (values that differ between two processes, such
as PIDs, FDs and times, are masked)."""

import base64
import os
import re
import signal
import threading
import time

import pytest

from helpers import build, exchange, get, wait_for, write_script

# A helper for every pool: argv[1] says which dialect; it answers at once.
HELPER = r'''#!/usr/bin/python3
import sys, time
kind = sys.argv[1]
for line in sys.stdin:
    if kind == "rewrite":
        if "/slow" in line:
            time.sleep(2)
        out = "OK"
    elif kind == "storeid":
        out = "ERR"
    elif kind == "auth":
        out = "OK" if line.split()[0] == "alice" else "ERR"
    else:
        out = "OK" if "ok" in line else "ERR"
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
'''

ACCESS = """\
http_access allow localhost manager
http_access deny manager
http_access allow ext
http_access allow users
http_access deny all
"""


def conf(workdir):
    h = write_script(workdir, "mgr_helper.py", HELPER)
    return ("url_rewrite_program %s rewrite\n"
            "url_rewrite_children 1 startup=1 idle=1\n"
            "url_rewrite_access deny manager\n"
            "url_rewrite_access allow all\n"
            "store_id_program %s storeid\n"
            "store_id_children 1 startup=1 idle=1\n"
            "store_id_access deny manager\n"
            "store_id_access allow all\n"
            "auth_param basic program %s auth\n"
            "auth_param basic children 1 startup=1 idle=1\n"
            "auth_param basic realm Proxy\n"
            "external_acl_type t ttl=60 children-max=1 children-startup=1 "
            "children-idle=1 %%PATH %s ext\n"
            "acl ext external t\n"
            "acl users proxy_auth REQUIRED\n" % (h, h, h, h))


def basic(user, password):
    return ("Proxy-Authorization",
            "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())


def mgr(port, action, how="cache_object"):
    """The page's Response: squidclient's request, or the origin-form one."""
    if how == "cache_object":
        raw = ("GET cache_object://127.0.0.1/%s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
               "User-Agent: squidclient/5.7\r\nAccept: */*\r\n"
               "Connection: close\r\n\r\n" % action).encode()
    else:
        raw = build("GET", "/squid-internal-mgr/%s" % action,
                    [("Host", "127.0.0.1:%d" % port), ("Connection", "close")])
    return exchange(port, raw)


def page(port, action, how="cache_object"):
    r = mgr(port, action, how)
    assert r.status == 200, (action, r.status, r.body[:300])
    assert r.header("Content-Type") == "text/plain;charset=utf-8"
    return r.body.decode()


def traffic(p, origin):
    """Two requests the external ACL allows (one cached), one by a user:
    the rewriter and store ID helpers see all three, the ACL helper two
    (/ok, then /no), the authenticator one."""
    assert get(p.port, origin.url("/ok")).status == 200
    assert get(p.port, origin.url("/ok")).status == 200
    assert get(p.port, origin.url("/no"), [basic("alice", "pw")]).status == 200


def counters(text):
    return {k: int(v) for k, v in re.findall(
        r"^  (requests sent|replies received|requests timedout|queue length): (\d+)$",
        text, re.M)}


def children(text):
    """Each child row's fields (after the header row, before Flags key)."""
    lines = text.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("   ID #\t"))
    rows = []
    for l in lines[start + 1:]:
        if l == "":
            break
        rows.append(l.split("\t"))
    return rows


def layout(text, program):
    """The page with what differs between two proxies masked: numbers, the
    request text a child is busy with, and program paths."""
    out = []
    for line in text.replace(program, "PROGRAM").split("\n"):
        fields = line.split("\t")
        if len(fields) == 10 and fields[0].strip().isdigit():
            fields[9] = "REQ"
        out.append("\t".join(re.sub(r"\d+(\.\d+)?", "N", f.strip())
                             for f in fields))
    return out


def test_pages_count_requests_and_replies(proxy, origin, workdir):
    p = proxy(conf_extra=conf(workdir), access=ACCESS)
    traffic(p, origin)
    rw = page(p.port, "redirector")
    assert rw.startswith("Redirector Statistics:\n  program: ")
    assert counters(rw) == {"requests sent": 3, "replies received": 3,
                            "requests timedout": 0, "queue length": 0}
    assert "  number active: 1 of 1 (0 shutting down)\n" in rw
    assert re.search(r"^  avg service time: \d+ msec$", rw, re.M)
    (row,) = children(rw)
    assert [int(row[3]), int(row[4]), int(row[5])] == [3, 3, 0]
    assert row[6] == "      " and row[9] == "(none)"
    assert rw.endswith("\nFlags key:\n   B\tBUSY\n   W\tWRITING\n   C\tCLOSING\n"
                       "   R\tRESERVED\n   S\tSHUTDOWN PENDING\n   P\tPLACEHOLDER\n")

    sid = page(p.port, "store_id")
    assert sid.startswith("StoreId helper Statistics:\n")
    assert counters(sid)["replies received"] == 3

    ba = page(p.port, "basicauthenticator")
    assert ba.startswith("Basic Authenticator Statistics:\n")
    assert counters(ba)["requests sent"] == 1

    ext = page(p.port, "external_acl")
    assert ext.startswith("External ACL Statistics: t\nCache size: 2\n  program: ")
    assert counters(ext)["replies received"] == 2


def test_origin_form_url_and_unknown_action(proxy, origin, workdir):
    p = proxy(conf_extra=conf(workdir), access=ACCESS)
    assert get(p.port, origin.url("/ok")).status == 200
    rw = page(p.port, "redirector", how="origin")
    assert counters(rw)["requests sent"] == 1
    r = mgr(p.port, "no_such_action")
    assert r.status == 404
    assert r.header("X-Squid-Error") == "ERR_INVALID_URL 0"


def test_pages_without_helpers(proxy, workdir):
    p = proxy(conf_extra="", access="http_access allow localhost manager\n"
              "http_access deny all\n")
    assert page(p.port, "redirector") == "No redirectors defined\n"
    assert page(p.port, "store_id") == "No StoreId helpers defined\n"
    assert page(p.port, "external_acl") == ""
    # the authenticator pages exist only for a configured scheme
    assert mgr(p.port, "basicauthenticator").status == 404
    assert mgr(p.port, "digestauthenticator").status == 404


def test_manager_denied_without_the_rule(proxy, workdir):
    p = proxy(conf_extra="", access="http_access deny manager\n"
              "http_access allow localhost\nhttp_access deny all\n")
    assert mgr(p.port, "redirector").status == 403


def test_layout_matches_squid(proxy, squid_proxy, origin, workdir):
    ours = proxy(conf_extra=conf(workdir), access=ACCESS)
    ref = squid_proxy(conf_extra=conf(workdir), access=ACCESS)
    prog = os.path.join(workdir, "mgr_helper.py")
    for p in (ours, ref):
        traffic(p, origin)
    for action in ("redirector", "store_id", "basicauthenticator", "external_acl"):
        mine = page(ours.port, action); print(mine); print(page(ref.port, action))
        theirs = page(ref.port, action)
        assert layout(mine, prog) == layout(theirs, prog), action
        assert counters(mine) == counters(theirs), action
        assert ([r[3:6] for r in children(mine)] ==
                [r[3:6] for r in children(theirs)]), action


def test_busy_child_shows_flag_and_request(proxy, origin, workdir):
    p = proxy(conf_extra=conf(workdir), access=ACCESS)
    slow = threading.Thread(target=get, args=(p.port, origin.url("/slow-ok")))
    slow.start()
    try:
        busy = wait_for(lambda: [r for r in children(page(p.port, "redirector"))
                                 if r[6].startswith("B")], 5.0)
        assert busy, "no busy redirector child within 5 s"
        (row,) = busy
        assert row[6] == "B     "
        assert row[9].startswith(origin.url("/slow-ok") + " 127.0.0.1/")
        assert row[9].endswith("\\n")      # the request's newline, quoted
        assert float(row[7]) < 5.0
    finally:
        slow.join(10)


def test_manager_requests_pass_the_url_helpers(proxy, workdir):
    """As in Squid, a manager request is asked about by the rewriter and
    the store ID helper after http_access, and a page counts the request
    it answers as sent, its reply only once the page is out (Squid counts
    a reply after the callback that rendered the page)."""
    c = (conf(workdir).replace("url_rewrite_access deny manager\n", "")
         .replace("store_id_access deny manager\n", ""))
    p = proxy(conf_extra=c, access=ACCESS)
    page(p.port, "redirector")
    rw = counters(page(p.port, "redirector"))
    assert (rw["requests sent"], rw["replies received"]) == (2, 2)
    sid = counters(page(p.port, "store_id"))
    assert (sid["requests sent"], sid["replies received"]) == (3, 2)
    page(p.port, "redirector", how="origin")
    rw = counters(page(p.port, "redirector"))
    assert (rw["requests sent"], rw["replies received"]) == (5, 5)


def worker_titles(p):
    out = {}
    for pid in p.worker_pids():
        try:
            out[pid] = open("/proc/%d/cmdline" % pid, "rb").read()
        except OSError:
            pass
    return out


def worker_pid(p, kid):
    """The pid of worker `kid` of the running generation (its process title
    names it; a retiring one says so)."""
    for pid, title in worker_titles(p).items():
        if title.startswith(b"cuttle: worker %d " % kid) and b"retiring" not in title:
            return pid
    return None


def by_kid(text):
    """{kid: its part} of an SMP page, asserting Squid's framing: each
    kid's part is "by kidN {\n" ... "} by kidN\n\n", in kid order."""
    parts = re.findall(r"by kid(\d+) \{\n(.*?)\} by kid\1\n\n", text, re.S)
    assert "".join("by kid%s {\n%s} by kid%s\n\n" % (k, t, k)
                   for k, t in parts) == text, text[:500]
    kids = [int(k) for k, _ in parts]
    assert kids == sorted(set(kids)), kids     # in order, each once
    return {int(k): t for k, t in parts}


class Stopped:
    """SIGSTOP a worker for the duration, so the other takes every
    connection."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc):
        os.kill(self.pid, signal.SIGCONT)


def smp_proxy(proxy, workdir):
    p = proxy(conf_extra=conf(workdir), access=ACCESS, workers=2)
    pids = wait_for(lambda: [worker_pid(p, k) for k in (1, 2)]
                    if None not in [worker_pid(p, k) for k in (1, 2)] else None, 10)
    assert pids, p.worker_pids()
    return p, pids


def all_kids_up(p):
    """Squid's kids register with its coordinator after the port listens:
    wait (bounded) until the page has both kids' parts."""
    assert wait_for(lambda: sorted(smp_page(p.port, "redirector")) == [1, 2], 10)


def smp_page(port, action):
    r = mgr(port, action)
    assert r.status == 200, (action, r.status, r.body[:300])
    assert r.header("Content-Type") == "text/plain"    # as Squid's coordinator
    assert r.header("Last-Modified") and r.header("Expires")
    assert r.header("Connection") == "close"
    return by_kid(r.body.decode())


@pytest.mark.cuttle_only(reason="drives each worker by stopping the other, "
                         "which finds cuttle's workers by their process title")
def test_workers_every_kid_on_the_page(proxy, origin, workdir):
    """Each kid's part, with its own counts, whichever kid answers; a
    stopped kid neither hangs the page nor drops out of it."""
    p, (kid1, kid2) = smp_proxy(proxy, workdir)
    with Stopped(kid2):
        traffic(p, origin)                  # all three to kid1
        start = time.monotonic()
        parts = smp_page(p.port, "redirector")     # kid1 answers
        assert time.monotonic() - start < 2.0
    assert sorted(parts) == [1, 2]
    assert counters(parts[1])["requests sent"] == 3
    assert counters(parts[2])["requests sent"] == 0
    with Stopped(kid1):
        assert get(p.port, origin.url("/ok")).status == 200   # to kid2
        for action, want in (("redirector", (3, 1)), ("store_id", (3, 1)),
                             ("external_acl", (2, 1)),
                             ("basicauthenticator", (1, 0))):
            parts = smp_page(p.port, action)       # kid2 answers
            assert sorted(parts) == [1, 2], action
            got = tuple(counters(parts[k])["replies received"] for k in (1, 2))
            assert got == want, (action, got)
    rw = smp_page(p.port, "redirector")
    for k, sent in ((1, 3), (2, 1)):
        (row,) = children(rw[k])
        assert [int(row[3]), int(row[4])] == [sent, sent]
        assert rw[k].startswith("Redirector Statistics:\n")


@pytest.mark.cuttle_only(reason="drives each worker by stopping the other")
def test_kid_publishes_without_being_asked(proxy, origin, workdir):
    """A kid's counts reach the others' pages on their own, within the
    publication interval (50 ms), with no page asked of that kid."""
    p, (kid1, kid2) = smp_proxy(proxy, workdir)
    with Stopped(kid2):
        for _ in range(5):
            assert get(p.port, origin.url("/ok")).status == 200   # to kid1
    time.sleep(0.3)
    with Stopped(kid1):
        parts = smp_page(p.port, "redirector")     # kid2 answers
    assert counters(parts[1])["replies received"] == 5
    assert counters(parts[2])["replies received"] == 0


@pytest.mark.cuttle_only(reason="kills one of cuttle's workers by its title")
def test_dead_kid_is_replaced_on_the_page(proxy, origin, workdir):
    """A killed kid's counts leave with it; the kid the master starts in
    its place appears with its own (zero) counts, and the page never waits."""
    p, (kid1, kid2) = smp_proxy(proxy, workdir)
    with Stopped(kid1):
        assert get(p.port, origin.url("/ok")).status == 200   # to kid2
        assert counters(smp_page(p.port, "redirector")[2])["requests sent"] == 1
    os.kill(kid2, signal.SIGKILL)

    def replaced():
        start = time.monotonic()
        parts = smp_page(p.port, "redirector")
        assert time.monotonic() - start < 2.0
        assert counters(parts[1])["requests sent"] == 0
        return 2 in parts and counters(parts[2])["requests sent"] == 0 and parts
    parts = wait_for(replaced, 10)
    assert parts, p.cache_log[-2000:]
    new = worker_pid(p, 2)
    assert new not in (None, kid2)


@pytest.mark.cuttle_only(reason="finds cuttle's new workers by their title")
def test_reconfigure_shows_the_new_generation(proxy, origin, workdir):
    """After a reconfigure the page has the new workers' parts only, each
    kid once, while a kid of the old generation still finishes a request."""
    p, (kid1, kid2) = smp_proxy(proxy, workdir)
    traffic(p, origin)
    slow = threading.Thread(target=get, args=(p.port, origin.url("/slow-ok")))
    slow.start()        # the rewriter holds it 2 s
    try:
        assert wait_for(lambda: any(r[6].startswith("B") for part in
                                    smp_page(p.port, "redirector").values()
                                    for r in children(part)), 5)
        assert p.ctl("reconfigure").returncode == 0
        fresh = lambda: (None not in [worker_pid(p, k) for k in (1, 2)] and
                         not {worker_pid(p, 1), worker_pid(p, 2)} & {kid1, kid2})
        assert wait_for(fresh, 10), p.cache_log[-2000:]
        assert any(b"retiring" in t for t in worker_titles(p).values()), \
            "the old generation left before the page"
        # a kid just started may not have published its part yet
        parts = wait_for(lambda: (lambda pp: pp if sorted(pp) == [1, 2]
                                  else None)(smp_page(p.port, "redirector")), 5)
        assert parts, smp_page(p.port, "redirector")
        for k in (1, 2):
            assert counters(parts[k])["requests sent"] == 0, parts[k]
    finally:
        slow.join(10)


def test_workers_page_has_every_kid(proxy, workdir, origin):
    """With workers 2 (Squid: SMP, its coordinator collecting the kids'
    parts) every kid's part is on the page, framed, and the counts add up
    to the traffic whichever kid took it."""
    p = proxy(conf_extra=conf(workdir), access=ACCESS, workers=2, smp=True)
    all_kids_up(p)
    traffic(p, origin)
    for action, want in (("redirector", {3}), ("store_id", {3}),
                         ("external_acl", {2, 3})):   # its cache is per kid
        parts = smp_page(p.port, action)
        assert sorted(parts) == [1, 2], action
        assert sum(counters(t)["replies received"] for t in parts.values()) in want


def test_workers_layout_matches_squid_side_by_side(proxy, squid_proxy, origin, workdir):
    ours = proxy(conf_extra=conf(workdir), access=ACCESS, workers=2, impl="cuttle")
    ref = squid_proxy(conf_extra=conf(workdir), access=ACCESS, workers=2, smp=True)
    prog = os.path.join(workdir, "mgr_helper.py")
    for p in (ours, ref):
        all_kids_up(p)
        traffic(p, origin)
    for action in ("redirector", "store_id", "basicauthenticator", "external_acl"):
        mine, theirs = smp_page(ours.port, action), smp_page(ref.port, action)
        assert sorted(mine) == sorted(theirs) == [1, 2], action
        for k in (1, 2):
            assert layout(mine[k], prog) == layout(theirs[k], prog), (action, k)
        # the external ACL's cache is per kid: its total depends on which
        # kid took which request, in either proxy
        if action != "external_acl":
            total = lambda parts: {f: sum(counters(t)[f] for t in parts.values())
                                   for f in ("requests sent", "replies received")}
            assert total(mine) == total(theirs), action


def test_menu_lists_the_pages(proxy, workdir):
    p = proxy(conf_extra=conf(workdir), access=ACCESS)
    menu = page(p.port, "menu")
    rows = [l.split("\t") for l in menu.splitlines()]
    names = [r[0].strip() for r in rows]
    for name in ("menu", "redirector", "store_id", "basicauthenticator",
                 "external_acl"):
        assert name in names, menu
    for r in rows:
        assert len(r) == 3 and r[0].startswith(" "), r
        if r[0].strip() in ("redirector", "store_id", "external_acl"):
            assert r[2] == "public", r
    assert " %-22s\t%-32s\tpublic" % ("redirector", "URL Redirector Stats") in menu
