"""delay_pools: bandwidth limits on what the proxy reads from servers.

A pool's buckets refill at their restore rate (bytes a second) up to their
max and start delay_initial_bucket_level (50%) full; a response read
through a pool waits when they are empty.  delay_access picks the pool (the
first that allows the client); a client no pool takes is not limited.
Clients come from other loopback addresses (127.0.0.x) to be told apart.
The windows are wide: 400 KB at 100000 bytes/s takes about 3.6 s.
"""

import threading
import time

from helpers import RawClient, build, wait_cached

SIZE = 400 * 1024
ACCESS = "acl lo src 127.0.0.0/8\nhttp_access allow lo\nhttp_access deny all\n"


def timed_get(port, url, source=None):
    start = time.monotonic()
    with RawClient(port, timeout=30, source=source) as c:
        c.send(build("GET", url))
        r = c.read_response()
    return r, time.monotonic() - start


def class1(extra=""):
    return ("acl limited src 127.0.0.2\n"
            "delay_pools 1\n"
            "delay_class 1 1\n"
            "delay_parameters 1 100000/100000\n"
            "delay_access 1 allow limited\n"
            "delay_access 1 deny all\n" + extra)


def test_class1_limits_a_miss(proxy, origin):
    p = proxy(class1(), access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took


def test_delay_access_deny_leaves_a_client_unlimited(proxy, origin):
    p = proxy(class1(), access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.3")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_no_delay_access_takes_nobody(proxy, origin):
    p = proxy("delay_pools 1\ndelay_class 1 1\n"
              "delay_parameters 1 100000/100000\n", access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_unlimited_parameters_limit_nothing(proxy, origin):
    p = proxy(class1().replace("100000/100000", "-1/-1"), access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took < 1.5, took


def test_cache_hit_is_not_delayed(proxy, origin):
    path = "/delay-hit"
    origin.script(path, headers=[("Cache-Control", "max-age=600"),
                                 ("Content-Type", "application/octet-stream")],
                  body=b"h" * SIZE)
    p = proxy(class1(), access=ACCESS, cache=True)
    url = origin.url(path)
    r, took = timed_get(p.port, url, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert took > 2.0, took
    assert wait_cached(p.port, url)
    r, took = timed_get(p.port, url, "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert origin.count(path) == 1
    assert took < 1.5, took


def parallel(port, urls_sources):
    results = [None] * len(urls_sources)

    def one(i, url, source):
        results[i] = timed_get(port, url, source)

    threads = [threading.Thread(target=one, args=(i, u, s))
               for i, (u, s) in enumerate(urls_sources)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    return results


def test_class2_limits_each_host_on_its_own(proxy, origin):
    p = proxy("acl limited src 127.0.0.0/8\n"
              "delay_pools 1\n"
              "delay_class 1 2\n"
              "delay_parameters 1 -1/-1 100000/100000\n"
              "delay_access 1 allow limited\n", access=ACCESS)
    res = parallel(p.port, [(origin.url("/bytes/%d?a" % SIZE), "127.0.0.2"),
                            (origin.url("/bytes/%d?b" % SIZE), "127.0.0.3")])
    for r, took in res:
        assert r.status == 200 and len(r.body) == SIZE
        # each host has its own 100000 bytes/s: about 3.6 s, not 7.7
        assert 2.0 < took < 6.0, took


def test_class2_aggregate_is_shared(proxy, origin):
    p = proxy("acl limited src 127.0.0.0/8\n"
              "delay_pools 1\n"
              "delay_class 1 2\n"
              "delay_parameters 1 100000/100000 -1/-1\n"
              "delay_access 1 allow limited\n", access=ACCESS)
    res = parallel(p.port, [(origin.url("/bytes/%d?a" % SIZE), "127.0.0.2"),
                            (origin.url("/bytes/%d?b" % SIZE), "127.0.0.3")])
    for r, _ in res:
        assert r.status == 200 and len(r.body) == SIZE
    # 800 KB through one 100000 bytes/s bucket: about 7.7 s for the last
    assert max(took for _, took in res) > 6.0, res


def test_class3_host_bucket_limits(proxy, origin):
    p = proxy("acl limited src 127.0.0.0/8\n"
              "delay_pools 1\n"
              "delay_class 1 3\n"
              "delay_parameters 1 -1/-1 -1/-1 100000/100000\n"
              "delay_access 1 allow limited\n", access=ACCESS)
    r, took = timed_get(p.port, origin.url("/bytes/%d" % SIZE), "127.0.0.2")
    assert r.status == 200 and len(r.body) == SIZE
    assert 2.0 < took < 8.0, took
