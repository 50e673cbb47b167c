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

from helpers import get, log_entry, wait_for, write_script
from test_mgr_helpers import children, counters, layout, page

# Answers each line in a thread of its own, echoing the channel ID: paths
# under /hang answer only after argv[2] seconds (too late), /once does so
# the first time it is asked only; everything else at once.  Every line
# received is recorded in argv[1].
REWRITER = r'''#!/usr/bin/python3
import re, sys, threading, time
record, hang = sys.argv[1], float(sys.argv[2])
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
        sys.stdout.write(cid + " " + out + "\n")
        sys.stdout.flush()
for line in sys.stdin:
    with lock:
        with open(record, "a") as f:
            f.write(line)
    w = line.split()
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


def conf(workdir, timeout_opts="", hang=4):
    record = os.path.join(workdir, "rewriter-requests.txt")
    open(record, "w").close()
    os.chmod(record, 0o666)
    prog = write_script(workdir, "slow_rewriter.py", REWRITER)
    return ("url_rewrite_program %s %s %s\n"
            "url_rewrite_children 1 startup=1 idle=1 concurrency=10\n"
            "url_rewrite_access deny manager\n"
            "url_rewrite_access allow all\n"
            "url_rewrite_timeout %d seconds %s\n" % (
                prog, record, hang, TIMEOUT, timeout_opts)), record


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
    p = proxy(conf_extra=c, access=ACCESS)
    r, took = timed_get(p, origin.url("/hang/c"))
    assert r.status == 500
    assert r.header("X-Squid-Error") == "ERR_GATEWAY_FAILURE 0"
    assert took < TIMEOUT + SLACK, took
    assert origin.requests == []
    e = log_entry(p, 1)
    assert e["code"] == "NONE_NONE/500"
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
