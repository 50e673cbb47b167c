"""url_rewrite_timeout: a rewriter that does not answer in time is given
up on, and the request is answered as on_timeout= says (bypass: the URL
unchanged; fail: ERR_GATEWAY_FAILURE; retry: sent again, twice at most,
then the failure; use_configured_response: the configured line read as
the helper's reply).  As in Squid 5.7 this needs url_rewrite_children
concurrency= above 0: the late reply is then recognised by its channel ID
and dropped, the child is not killed and serves the next request, and the
cache manager's mgr:redirector counts the timeouts."""

import os
import time

import pytest

from helpers import RawClient, build, get, log_entry, wait_for, write_script
from test_mgr_helpers import children, counters, layout, page

# Answers each line in a thread of its own, echoing the channel ID: paths
# under /hang answer only after argv[2] seconds (too late), /once does so
# the first time it is asked only; everything else at once.  Every line
# received is recorded in argv[1].  With argv[3] "noid" there are no
# channel IDs (concurrency=0) and lines are answered one at a time.
REWRITER = r'''#!/usr/bin/python3
import re, sys, threading, time
record, hang = sys.argv[1], float(sys.argv[2])
noid = len(sys.argv) > 3 and sys.argv[3] == "noid"
lock = threading.Lock()
seen = {}
def answer(cid, url):
    m = re.match(r"(http://[^/]+)(/\S*)", url)
    base, path = m.group(1), m.group(2)
    with lock:
        n = seen[path] = seen.get(path, 0) + 1
    if path.startswith("/hang") or (path.startswith("/once") and n == 1):
        time.sleep(hang)
        out = "OK rewrite-url=" + base + "/echo/late"
    else:
        out = "OK rewrite-url=" + base + "/echo/fast" + path
    with lock:
        sys.stdout.write((cid + " " if cid else "") + out + "\n")
        sys.stdout.flush()
for line in sys.stdin:
    with lock:
        with open(record, "a") as f:
            f.write(line)
    w = line.split()
    if noid:
        answer(None, w[0])
    else:
        threading.Thread(target=answer, args=(w[0], w[1]), daemon=True).start()
'''

ACCESS = """\
http_access allow localhost manager
http_access deny manager
http_access allow localhost
http_access deny all
"""

# Squid checks a helper's requests once a second and gives one up when
# more whole seconds than the timeout have passed since it went out: a
# 1-second timeout fires 2 to 3 seconds after the request.
TIMEOUT = 1
SLACK = 3.0


def conf(workdir, timeout_opts="", hang=4, concurrency=10):
    record = os.path.join(workdir, "rewriter-requests.txt")
    open(record, "w").close()
    os.chmod(record, 0o666)
    prog = write_script(workdir, "slow_rewriter.py", REWRITER)
    return ("url_rewrite_program %s %s %s%s\n"
            "url_rewrite_children 1 startup=1 idle=1 concurrency=%d\n"
            "url_rewrite_access deny manager\n"
            "url_rewrite_access allow all\n"
            "url_rewrite_timeout %d seconds %s\n" % (
                prog, record, hang, "" if concurrency else " noid",
                concurrency, TIMEOUT, timeout_opts)), record


def timed_get(p, url):
    start = time.monotonic()
    r = get(p.port, url)
    return r, time.monotonic() - start


def redirector(p):
    return counters(page(p.port, "redirector"))


def records(path):
    with open(path) as f:
        return f.read().splitlines()


def test_bypass_by_default_leaves_the_url(proxy, origin, workdir):
    c, _ = conf(workdir)
    p = proxy(conf_extra=c, access=ACCESS)
    r, took = timed_get(p, origin.url("/hang/a"))
    assert r.status == 200
    assert took < TIMEOUT + SLACK, took
    (req,) = origin.requests
    assert req.target == "/hang/a"
    e = log_entry(p, 1)
    assert e["code"] == "TCP_MISS/200"
    assert e["url"] == origin.url("/hang/a")
    assert redirector(p) == {"requests sent": 1, "replies received": 0,
                             "requests timedout": 1, "queue length": 0}


def test_late_reply_is_dropped_and_the_child_serves_on(proxy, origin, workdir):
    c, record = conf(workdir, hang=2)
    p = proxy(conf_extra=c, access=ACCESS)
    assert get(p.port, origin.url("/hang/b")).status == 200
    # the late answer ("/echo/late") comes 2 s after the request
    time.sleep(2.5)
    r = get(p.port, origin.url("/next"))
    assert r.status == 200
    assert [q.target for q in origin.requests] == ["/hang/b", "/echo/fast/next"]
    rw = page(p.port, "redirector")
    assert counters(rw) == {"requests sent": 2, "replies received": 1,
                            "requests timedout": 1, "queue length": 0}
    (row,) = children(rw)       # the same child, not replaced
    assert [int(row[3]), int(row[4]), int(row[5])] == [2, 1, 1]
    assert row[6] == "      "
    assert len(records(record)) == 2


def test_fail_answers_gateway_failure(proxy, origin, workdir):
    c, _ = conf(workdir, "on_timeout=fail")
    p = proxy(conf_extra=c + "logformat ed %err_code %err_detail\n"
              "access_log stdio:@DIR@/ed.log ed\n", access=ACCESS)
    r, took = timed_get(p, origin.url("/hang/c"))
    assert r.status == 500
    assert r.header("X-Squid-Error") == "ERR_GATEWAY_FAILURE 0"
    assert took < TIMEOUT + SLACK, took
    assert origin.requests == []
    e = log_entry(p, 1)
    assert e["code"] == "NONE_NONE/500"
    assert p.access_log_lines(1, path=os.path.join(p.dir, "ed.log"))[0] == \
        "ERR_GATEWAY_FAILURE REDIRECTOR_TIMEDOUT"
    assert redirector(p)["requests timedout"] == 1
    # a helper that answers in time still works
    assert get(p.port, origin.url("/quick")).status == 200
    assert origin.requests[-1].target == "/echo/fast/quick"


def test_retry_resends_and_uses_the_second_answer(proxy, origin, workdir):
    c, record = conf(workdir, "on_timeout=retry")
    p = proxy(conf_extra=c, access=ACCESS)
    r, took = timed_get(p, origin.url("/once/d"))
    assert r.status == 200
    assert took < TIMEOUT + SLACK, took
    (req,) = origin.requests
    assert req.target == "/echo/fast/once/d"
    assert [l.split()[1] for l in records(record)] == [origin.url("/once/d")] * 2
    assert redirector(p) == {"requests sent": 2, "replies received": 1,
                             "requests timedout": 1, "queue length": 0}


def test_retry_gives_up_after_two_retries(proxy, origin, workdir):
    c, record = conf(workdir, "on_timeout=retry", hang=12)
    p = proxy(conf_extra=c, access=ACCESS)
    r, took = timed_get(p, origin.url("/hang/e"))
    assert r.status == 500
    assert r.header("X-Squid-Error") == "ERR_GATEWAY_FAILURE 0"
    assert took < 3 * (TIMEOUT + SLACK), took
    assert origin.requests == []
    assert len(records(record)) == 3
    assert redirector(p) == {"requests sent": 3, "replies received": 0,
                             "requests timedout": 3, "queue length": 0}


def test_use_configured_response(proxy, origin, workdir):
    c, _ = conf(workdir, 'on_timeout=use_configured_response '
                'response="OK rewrite-url=%s"' % origin.url("/echo/configured"))
    p = proxy(conf_extra=c, access=ACCESS)
    r, took = timed_get(p, origin.url("/hang/f"))
    assert r.status == 200
    assert took < TIMEOUT + SLACK, took
    (req,) = origin.requests
    assert req.target == "/echo/configured"
    e = log_entry(p, 1)
    assert e["code"] == "TCP_MISS/200"
    assert e["url"] == origin.url("/echo/configured")
    assert redirector(p)["requests timedout"] == 1


def test_page_after_timeouts_matches_squid(proxy, squid_proxy, origin, workdir):
    c, _ = conf(workdir, hang=2)
    ours = proxy(conf_extra=c, access=ACCESS)
    ref = squid_proxy(conf_extra=c, access=ACCESS)
    prog = os.path.join(workdir, "slow_rewriter.py")
    for p in (ours, ref):
        assert get(p.port, origin.url("/hang/g")).status == 200
        assert get(p.port, origin.url("/quick")).status == 200
    time.sleep(2.5)     # both late replies are in
    mine, theirs = page(ours.port, "redirector"), page(ref.port, "redirector")
    assert layout(mine, prog) == layout(theirs, prog)
    assert counters(mine) == counters(theirs)
    assert [r[3:7] for r in children(mine)] == [r[3:7] for r in children(theirs)]


def test_without_concurrency_the_timeout_never_fires(proxy, origin, workdir):
    """Squid 5.7 times requests out only for helpers with channel IDs; the
    request waits for the (late) answer, which is used."""
    c, _ = conf(workdir, "on_timeout=fail", hang=3, concurrency=0)
    p = proxy(conf_extra=c, access=ACCESS)
    r, took = timed_get(p, origin.url("/hang/h"))
    assert r.status == 200
    assert took >= 2.9, took
    (req,) = origin.requests
    assert req.target == "/echo/late"
    assert redirector(p)["requests timedout"] == 0


def client_leaves_a_hung_request(proxy, origin, workdir):
    c, record = conf(workdir, "on_timeout=retry", hang=2)
    p = proxy(conf_extra=c, access=ACCESS)
    with RawClient(p.port, 5.0) as cl:
        cl.send(build("GET", origin.url("/hang/i")))
        assert wait_for(lambda: len(records(record)) == 1, 5.0)
    time.sleep(TIMEOUT + SLACK)
    assert get(p.port, origin.url("/after")).status == 200
    assert origin.requests[-1].target == "/echo/fast/after"
    return p, [l.split()[1] for l in records(record)]


def test_client_gone_before_the_timeout(proxy, origin, workdir):
    """A request whose client left still times out; the late replies are
    dropped and the next request is served."""
    p, asked = client_leaves_a_hung_request(proxy, origin, workdir)
    assert asked[0] == origin.url("/hang/i")
    assert asked[-1] == origin.url("/after")
    assert redirector(p)["requests timedout"] >= 1


@pytest.mark.cuttle_only(reason="Squid resends a timed-out request with "
                         "on_timeout=retry even when its client has gone "
                         "(its RedirectStateData outlives the client); "
                         "cuttle does not ask for an answer nobody waits for")
def test_no_retry_for_a_client_that_left(proxy, origin, workdir):
    p, asked = client_leaves_a_hung_request(proxy, origin, workdir)
    assert asked == [origin.url("/hang/i"), origin.url("/after")]
    assert redirector(p)["requests timedout"] == 1
