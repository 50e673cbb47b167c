"""The cache manager's mgr:counters and mgr:info pages, which monitoring
(squid-exporter, munin, Nagios) reads.  The layout is Squid 5.7's, line for
line and in its order (checked on both); the counts are checked against
real traffic: N misses, M hits and E errors move client_http.requests by
N+M+E, client_http.hits by M, client_http.errors by E, server.all.requests
by N, and the kbytes counters by the bodies' sizes.  With workers the page
sums every kid, whichever kid answers.

Squid counts a request when it writes its access.log line (the manager
request that reads the page too, afterwards), so every check waits for the
log lines first and allows for the earlier manager request."""

import os
import re
import signal
import pytest

from helpers import build, exchange, get, wait_for
from test_connect import https_get, open_tunnel, split_body, tls_over
from test_mgr_helpers import Stopped, worker_pid

ACCESS = """\
acl blocked urlpath_regex ^/blocked
http_access allow localhost manager
http_access deny manager
http_access deny blocked
http_access allow localhost
http_access deny all
"""

FRESH = [("Cache-Control", "max-age=3600")]

# Squid 5.7's statCountersDump, in its order (a build with cache digests,
# as Debian's is).
COUNTER_KEYS = """
sample_time client_http.requests client_http.hits client_http.errors
client_http.kbytes_in client_http.kbytes_out client_http.hit_kbytes_out
server.all.requests server.all.errors server.all.kbytes_in
server.all.kbytes_out server.http.requests server.http.errors
server.http.kbytes_in server.http.kbytes_out server.ftp.requests
server.ftp.errors server.ftp.kbytes_in server.ftp.kbytes_out
server.other.requests server.other.errors server.other.kbytes_in
server.other.kbytes_out icp.pkts_sent icp.pkts_recv icp.queries_sent
icp.replies_sent icp.queries_recv icp.replies_recv icp.query_timeouts
icp.replies_queued icp.kbytes_sent icp.kbytes_recv icp.q_kbytes_sent
icp.r_kbytes_sent icp.q_kbytes_recv icp.r_kbytes_recv icp.times_used
cd.times_used cd.msgs_sent cd.msgs_recv cd.memory cd.local_memory
cd.kbytes_sent cd.kbytes_recv unlink.requests page_faults select_loops
cpu_time wall_time swap.outs swap.ins swap.files_cleaned aborted_requests
""".split()

# Squid 5.7's DumpInfo on Linux (no mstats()): each line's label, i.e. the
# text up to its value ("UP Time:", "StoreEntries"), in order.
INFO_LABELS = [
    "Squid Object Cache: Version", "Build Info:", "Service Name:",
    "Start Time:", "Current Time:",
    "Connection information for squid:",
    "\tNumber of clients accessing cache:",
    "\tNumber of HTTP requests received:",
    "\tNumber of ICP messages received:",
    "\tNumber of ICP messages sent:",
    "\tNumber of queued ICP replies:",
    "\tNumber of HTCP messages received:",
    "\tNumber of HTCP messages sent:",
    "\tRequest failure ratio:",
    "\tAverage HTTP requests per minute since start:",
    "\tAverage ICP messages per minute since start:",
    "\tSelect loop called:",
    "Cache information for squid:",
    "\tHits as % of all requests:",
    "\tHits as % of bytes sent:",
    "\tMemory hits as % of hit requests:",
    "\tDisk hits as % of hit requests:",
    "\tStorage Swap size:",
    "\tStorage Swap capacity:",
    "\tStorage Mem size:",
    "\tStorage Mem capacity:",
    "\tMean Object Size:",
    "\tRequests given to unlinkd:",
    "Median Service Times (seconds)  5 min    60 min:",
    "\tHTTP Requests (All):", "\tCache Misses:", "\tCache Hits:",
    "\tNear Hits:", "\tNot-Modified Replies:", "\tDNS Lookups:",
    "\tICP Queries:",
    "Resource usage for squid:",
    "\tUP Time:", "\tCPU Time:", "\tCPU Usage:",
    "\tCPU Usage, 5 minute avg:", "\tCPU Usage, 60 minute avg:",
    "\tMaximum Resident Size:", "\tPage faults with physical i/o:",
    "Memory accounted for:",
    "\tTotal accounted:", "\tmemPoolAlloc calls:", "\tmemPoolFree calls:",
    "File descriptor usage for squid:",
    "\tMaximum number of file descriptors:",
    "\tLargest file desc currently in use:",
    "\tNumber of file desc currently in use:",
    "\tFiles queued for open:",
    "\tAvailable number of file descriptors:",
    "\tReserved number of file descriptors:",
    "\tStore Disk files open:",
    "Internal Data Structures:",
    "StoreEntries", "StoreEntries with MemObjects",
    "Hot Object Cache Items", "on-disk objects",
]


def mgr(port, action, how="cache_object", headers=()):
    if how == "cache_object":
        raw = ("GET cache_object://127.0.0.1/%s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
               "User-Agent: squidclient/5.7\r\nAccept: */*\r\n"
               "Connection: close\r\n\r\n" % action).encode()
    else:
        raw = build("GET", "/squid-internal-mgr/%s" % action,
                    [("Host", "127.0.0.1:%d" % port), ("Connection", "close")]
                    + list(headers))
    return exchange(port, raw)


def page(p, action, how="cache_object"):
    r = mgr(p.port, action, how)
    assert r.status == 200, (action, r.status, r.body[:300])
    return r.body.decode()


def parse_counters(text):
    """[(key, value)] of a counters page, asserting every line's shape."""
    pairs = []
    for line in text.splitlines():
        m = re.fullmatch(r"([a-z_.]+) = (\S+)(?: \((.*)\))?", line)
        assert m, line
        pairs.append((m.group(1), m.group(2)))
    return pairs


def counters(p):
    return {k: float(v) for k, v in parse_counters(page(p, "counters"))}


def info_label(line):
    """The label of an info line: up to the value."""
    m = re.match(r"\t\s*\d+ (.*)$", line)          # "\t    68 StoreEntries"
    if m:
        return m.group(1)
    if line.startswith("Median Service Times"):
        return line
    if line.startswith("Squid Object Cache: Version "):
        return "Squid Object Cache: Version"
    m = re.match(r"(\t?[^\t:]*:)", line)
    return m.group(1) if m else line


def info_value(text, label):
    for line in text.splitlines():
        if line.startswith(label):
            return line[len(label):].strip()
    raise AssertionError("no %r in\n%s" % (label, text))


def logged(p, n):
    """Wait (bounded) for n access.log lines: every one is counted by then."""
    lines = p.access_log_lines(n, timeout=10)
    assert len(lines) >= n, lines
    return lines


def test_counters_layout_is_squids(proxy):
    """Every line Squid 5.7 prints, in its order, each "key = value"."""
    p = proxy(access=ACCESS)
    text = page(p, "counters")
    pairs = parse_counters(text)
    assert [k for k, _ in pairs] == COUNTER_KEYS
    values = dict(pairs)
    assert re.fullmatch(r"\d+\.\d+", values["sample_time"])
    assert re.search(r"^sample_time = \d+\.\d+ \(\w{3}, \d\d \w{3} \d{4} "
                     r"\d\d:\d\d:\d\d GMT\)$", text, re.M)
    for k in COUNTER_KEYS[1:]:
        assert re.fullmatch(r"\d+(\.\d+)?", values[k]), (k, values[k])


def test_counters_count_misses_hits_and_errors(proxy, origin):
    """N misses, M hits and E errors move the counters by as much; the
    kbytes counters move with the bodies."""
    p = proxy(access=ACCESS, cache=True)
    origin.script("/hit", headers=FRESH, body=b"h" * 20000)
    before = counters(p)                           # request 1 (logged after)
    assert get(p.port, origin.url("/hit")).status == 200          # miss
    assert get(p.port, origin.url("/bytes/30000?a=1")).status == 200  # miss
    assert get(p.port, origin.url("/bytes/30000?a=2")).status == 200  # miss
    assert wait_for(lambda: len(p.access_log_lines(4)) >= 4, 10)
    for _ in range(2):
        r = get(p.port, origin.url("/hit"))                      # hits
        assert r.status == 200 and len(r.body) == 20000
    assert origin.count("/hit") == 1
    assert get(p.port, origin.url("/blocked")).status == 403      # error
    lines = logged(p, 7)
    assert sum("_HIT/" in l for l in lines) == 2, lines
    after = counters(p)
    d = {k: after[k] - before[k] for k in before}
    n, m, e = 3, 2, 1
    assert d["client_http.requests"] == n + m + e + 1     # + the first page
    assert d["client_http.hits"] == m
    assert d["client_http.errors"] == e
    assert d["server.all.requests"] == n
    assert d["server.http.requests"] == n
    assert d["server.other.requests"] == 0
    sent = 20000 + 2 * 30000 + 2 * 20000           # bodies to the client
    # headers, the error page and the first counters page add a few KB
    assert sent // 1024 <= d["client_http.kbytes_out"] <= sent // 1024 + 12
    assert 2 * 20000 // 1024 <= d["client_http.hit_kbytes_out"] <= 2 * 20000 // 1024 + 2
    fetched = 20000 + 2 * 30000
    assert fetched // 1024 <= d["server.http.kbytes_in"] <= fetched // 1024 + 2
    assert d["server.all.kbytes_in"] == d["server.http.kbytes_in"]
    assert 0 <= d["server.http.kbytes_out"] <= 3     # three request heads
    assert 0 <= d["client_http.kbytes_in"] <= 3
    assert after["select_loops"] > 0
    assert after["cpu_time"] > 0


def test_info_layout_is_squids(proxy, origin):
    """mgr:info has Squid's lines in Squid's order; its request count is
    the counters page's; the descriptor limit is the process's."""
    p = proxy(access=ACCESS)
    assert get(p.port, origin.url("/bytes/100")).status == 200
    logged(p, 1)
    c = counters(p)                                # logged after: +1
    logged(p, 2)
    text = page(p, "info")
    labels = [info_label(l) for l in text.splitlines()]
    assert labels == INFO_LABELS, text
    assert re.match(r"Squid Object Cache: Version \S+", text)
    assert re.search(r"^Start Time:\t\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$",
                     text, re.M)
    assert re.search(r"^Current Time:\t\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$",
                     text, re.M)
    assert int(info_value(text, "\tNumber of HTTP requests received:")) == \
        c["client_http.requests"] + 1
    clients = info_value(text, "\tNumber of clients accessing cache:")
    assert clients == "(client_db off)" or int(clients) >= 1
    assert float(info_value(text, "\tAverage HTTP requests per minute since start:")) > 0
    assert re.fullmatch(r"5min: \d+\.\d%, 60min: \d+\.\d%",
                        info_value(text, "\tHits as % of all requests:"))
    up = info_value(text, "\tUP Time:")
    assert re.fullmatch(r"\d+\.\d{3} seconds", up) and float(up.split()[0]) > 0
    max_fd = int(info_value(text, "\tMaximum number of file descriptors:"))
    assert max_fd >= 1024
    in_use = int(info_value(text, "\tNumber of file desc currently in use:"))
    assert 0 < in_use < max_fd
    assert int(info_value(text, "\tLargest file desc currently in use:")) >= 3
    assert re.search(r"^\t +\d+ StoreEntries$", text, re.M)


def test_pages_on_the_menu_and_both_url_forms(proxy):
    """Both pages are on mgr:menu with Squid's descriptions, and answer
    cache_object:// and /squid-internal-mgr/ alike."""
    p = proxy(access=ACCESS)
    menu = page(p, "menu")
    assert re.search(r"^ info\s+\tGeneral Runtime Information\s+\tpublic$", menu, re.M), menu
    assert re.search(r"^ counters\s+\tTraffic and Resource Counters\s+\tpublic$",
                     menu, re.M), menu
    text = page(p, "counters", how="origin")
    assert [k for k, _ in parse_counters(text)] == COUNTER_KEYS
    assert page(p, "info", how="origin").startswith("Squid Object Cache: Version ")


def test_pages_need_the_cachemgr_password(proxy):
    """cachemgr_passwd protects them as it does every page."""
    p = proxy(conf_extra="cachemgr_passwd s3cret info counters\n", access=ACCESS)
    for action in ("info", "counters"):
        assert mgr(p.port, action).status == 401
        assert mgr(p.port, action + "@wrong").status == 401
        r = mgr(p.port, action + "@s3cret")
        assert r.status == 200, r.body[:200]
        r = mgr(p.port, action, how="origin",
                headers=[("Authorization", "Basic OnMzY3JldA==")])   # ":s3cret"
        assert r.status == 200, r.body[:200]


def test_workers_sum_every_kid(proxy, origin):
    """With workers the page is every kid's sum: requests on separate
    connections, wherever they land, all count."""
    p = proxy(access=ACCESS, workers=2, smp=True)
    before = counters(p)
    for i in range(6):
        assert get(p.port, origin.url("/bytes/2048?i=%d" % i)).status == 200
    logged(p, 7)
    after = counters(p)
    assert after["client_http.requests"] - before["client_http.requests"] == 7
    assert after["server.all.requests"] - before["server.all.requests"] == 6
    assert after["client_http.kbytes_out"] - before["client_http.kbytes_out"] >= 12


@pytest.mark.cuttle_only(reason="sends requests to each worker by stopping the "
                         "other, which finds cuttle's workers by their process title")
def test_workers_sum_whichever_kid_answers(proxy, origin):
    """Requests taken by kid1 and by kid2 are all on the page, whether
    kid1 or kid2 answers it; info sums them the same way."""
    p = proxy(access=ACCESS, workers=2)
    pids = wait_for(lambda: [worker_pid(p, k) for k in (1, 2)]
                    if None not in [worker_pid(p, k) for k in (1, 2)] else None, 10)
    assert pids, p.worker_pids()
    kid1, kid2 = pids
    with Stopped(kid2):
        for i in range(2):                                 # to kid1
            assert get(p.port, origin.url("/bytes/10?k1=%d" % i)).status == 200
        logged(p, 2)
    with Stopped(kid1):
        for i in range(3):                                 # to kid2
            assert get(p.port, origin.url("/bytes/10?k2=%d" % i)).status == 200
        logged(p, 5)
        by2 = counters(p)                                  # kid2 answers
    logged(p, 6)
    with Stopped(kid2):
        by1 = counters(p)                                  # kid1 answers
        logged(p, 7)
        text = page(p, "info")
    assert by2["client_http.requests"] == 5
    assert by2["server.all.requests"] == 5
    assert by1["client_http.requests"] == 6                # + kid2's page
    assert by1["server.all.requests"] == 5
    assert int(info_value(text, "\tNumber of HTTP requests received:")) == 7
    assert int(info_value(text, "\tMaximum number of file descriptors:")) >= 2 * 1024


def test_counts_survive_reconfigure(proxy, origin):
    """-k reconfigure keeps the counts (Squid's process keeps them; cuttle's
    new workers find them in shared memory): every logged request is on
    the page once the new configuration answers."""
    p = proxy(access=ACCESS)
    for i in range(2):
        assert get(p.port, origin.url("/bytes/10?r=%d" % i)).status == 200
    logged(p, 2)
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace("acl blocked urlpath_regex ^/blocked",
                             "acl blocked urlpath_regex ^/blocked ^/now-blocked"))
    assert p.ctl("reconfigure").returncode == 0
    polls = []

    def reloaded():
        try:
            status = get(p.port, origin.url("/now-blocked")).status
        except OSError:        # Squid reopens its port as it reconfigures
            return False
        polls.append(1)        # answered, so logged
        return status == 403
    assert wait_for(reloaded, 15, interval=0.2)
    total = 2 + len(polls)
    logged(p, total)
    assert counters(p)["client_http.requests"] == total


@pytest.mark.cuttle_only(reason="Squid 5.7 loses a dead kid's counts; cuttle "
                         "keeps them in the kid's shared slot")
def test_counts_survive_a_worker_restart(proxy, origin):
    """A worker killed and restarted by the master keeps its slot's counts."""
    p = proxy(access=ACCESS)
    for i in range(2):
        assert get(p.port, origin.url("/bytes/10?d=%d" % i)).status == 200
    logged(p, 2)
    old = wait_for(lambda: worker_pid(p, 1), 10)
    assert old
    os.kill(old, signal.SIGKILL)
    assert wait_for(lambda: worker_pid(p, 1) not in (None, old), 15)
    assert wait_for(lambda: get(p.port, origin.url("/bytes/10?d=after")).status == 200,
                    10, interval=0.2)
    logged(p, 3)
    c = counters(p)
    assert c["client_http.requests"] == 3
    assert c["server.all.requests"] == 3


def test_tunnel_counts_as_server_other(proxy, tls_origin):
    """A CONNECT tunnel is one server.other request (Squid's tunnelStart),
    its bytes server.other and server.all kbytes, and one client request
    once logged."""
    p = proxy(access=ACCESS, ssl_ports=[tls_origin.port])
    before = counters(p)
    c, r = open_tunnel(p.port, "tls.test", tls_origin.port)
    assert r.status == 200
    with tls_over(c, tls_origin.cert) as tls:
        head, body = split_body(https_get(tls, "/bytes/200000"))
    assert len(body) == 200000
    logged(p, 2)
    after = counters(p)
    d = {k: after[k] - before[k] for k in before}
    assert d["client_http.requests"] == 2                 # + the first page
    assert d["server.other.requests"] == 1
    assert d["server.all.requests"] == 1
    assert d["server.http.requests"] == 0
    assert 200000 // 1024 <= d["server.other.kbytes_in"] <= 200000 // 1024 + 8
    assert d["server.all.kbytes_in"] == d["server.other.kbytes_in"]
    assert 0 <= d["server.other.kbytes_out"] <= 4         # the TLS handshake
    assert d["client_http.kbytes_out"] >= 200000 // 1024


def test_info_shows_what_the_cache_dirs_hold(proxy, origin):
    """Storage Swap size and capacity, Mean Object Size and on-disk objects
    are what the cache_dir holds (they were 0 whatever it held)."""
    from test_cache_disk import disk_proxy, wait_committed
    p = disk_proxy(proxy, access=ACCESS)
    text = page(p, "info")
    assert info_value(text, "\tStorage Swap size:") == "0 KB"
    assert info_value(text, "\tMean Object Size:") == "0.00 KB"
    for i in range(3):
        origin.script("/d%d" % i, headers=FRESH, body=b"x" * 20000)
        assert get(p.port, origin.url("/d%d" % i)).status == 200
    wait_committed(p, 3)

    def on_disk():
        t = page(p, "info")
        m = re.search(r"^\t +(\d+) on-disk objects$", t, re.M)
        return t if m and int(m.group(1)) == 3 else None
    text = wait_for(on_disk, 10)
    assert text, page(p, "info")
    # 20,000 bytes and the headers each (Squid rounds up to 4 KB blocks)
    size = info_value(text, "\tStorage Swap size:")
    assert re.fullmatch(r"\d+ KB", size) and 58 <= int(size.split()[0]) <= 100, size
    mean = info_value(text, "\tMean Object Size:")
    assert re.fullmatch(r"\d+\.\d\d KB", mean) and 19.5 <= float(mean.split()[0]) <= 33, mean
    # about 60 KB of 100 MB
    cap = info_value(text, "\tStorage Swap capacity:")
    m = re.fullmatch(r"\s*(\d+\.\d)% used, (\d+\.\d)% free", cap)
    assert m and 0.0 < float(m.group(1)) <= 0.2 and float(m.group(2)) >= 99.8, cap
