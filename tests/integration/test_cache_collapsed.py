"""collapsed_forwarding: concurrent misses for one URL share one fetch.

The origin delays its answer so that all the clients are waiting at once;
its request count proves how many fetches the proxy made, and the access
log shows how the followers were served (TCP_CF_HIT, as Squid 5.7 logs them
when the object is kept in memory; TCP_CF_MISS when it is not).  Every client must get the whole, right body whatever the
proxy decided.
"""

import threading
import time

import pytest

from helpers import get
from origin import pattern_bytes

FRESH = [("Cache-Control", "max-age=600"), ("Content-Type", "application/octet-stream")]
NCLIENTS = 20


def concurrent_gets(p, url, n=NCLIENTS):
    """n clients GET url at the same moment; returns their responses (or exceptions)."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        try:
            barrier.wait(10)
            results[i] = get(p.port, url)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    return results


def assert_bodies(results, body):
    bad = [r if isinstance(r, Exception) else (r.status, len(r.body))
           for r in results if isinstance(r, Exception) or r.status != 200 or r.body != body]
    assert bad == []


def test_collapsed_one_origin_request(proxy, origin):
    body = pattern_bytes(50000)
    origin.script("/cf", headers=FRESH, body=body, delay=1.0)
    p = proxy("collapsed_forwarding on\n", cache=True)
    results = concurrent_gets(p, origin.url("/cf"))
    assert_bodies(results, body)
    assert origin.count("/cf") == 1
    tags = sorted(e["tag"] for e in p.access_entries(NCLIENTS))
    assert tags == ["TCP_CF_HIT"] * (NCLIENTS - 1) + ["TCP_MISS"]


def test_collapsed_with_cache_dir(proxy, origin):
    body = pattern_bytes(300 * 1024)
    origin.script("/cfd", headers=FRESH, body=body, delay=1.0)
    p = proxy("collapsed_forwarding on\ncache_mem 0 MB\ncache_dir ufs @DIR@/cache 100 16 256\n",
              cache=True, make_dirs=True)
    assert_bodies(concurrent_gets(p, origin.url("/cfd")), body)
    assert origin.count("/cfd") == 1
    # Squid 5.7 logs these followers TCP_CF_MISS (with memory: TCP_CF_HIT)
    tags = [e["tag"] for e in p.access_entries(NCLIENTS)]
    assert sorted(t for t in tags if "_CF_" not in t) == ["TCP_MISS"], tags


def test_not_collapsed_by_default(proxy, origin):
    body = pattern_bytes(5000)
    origin.script("/ncf", headers=FRESH, body=body, delay=1.0)
    p = proxy(cache=True)
    assert_bodies(concurrent_gets(p, origin.url("/ncf")), body)
    assert origin.count("/ncf") == NCLIENTS
    assert [e["tag"] for e in p.access_entries(NCLIENTS)] == ["TCP_MISS"] * NCLIENTS


def test_collapsed_off_explicitly(proxy, origin):
    body = pattern_bytes(5000)
    origin.script("/ncf2", headers=FRESH, body=body, delay=1.0)
    p = proxy("collapsed_forwarding off\n", cache=True)
    assert_bodies(concurrent_gets(p, origin.url("/ncf2")), body)
    assert origin.count("/ncf2") == NCLIENTS


def test_collapsed_uncacheable_followers_fetch(proxy, origin):
    # The leader's answer may not be stored: each follower then fetches for
    # itself, at once, not queued behind one another.
    body = pattern_bytes(5000)
    origin.script("/cfns", headers=[("Cache-Control", "no-store")], body=body, delay=0.5)
    p = proxy("collapsed_forwarding on\n", cache=True)
    t0 = time.monotonic()
    results = concurrent_gets(p, origin.url("/cfns"))
    took = time.monotonic() - t0
    assert_bodies(results, body)
    assert took < 4.0
    assert origin.count("/cfns") >= 2
    assert len(p.access_entries(NCLIENTS)) == NCLIENTS


@pytest.mark.cuttle_only(reason="Squid 5.7 may share the in-flight no-store reply")
def test_collapsed_uncacheable_each_own_fetch(proxy, origin):
    body = pattern_bytes(5000)
    origin.script("/cfns2", headers=[("Cache-Control", "no-store")], body=body, delay=0.5)
    p = proxy("collapsed_forwarding on\n", cache=True)
    assert_bodies(concurrent_gets(p, origin.url("/cfns2")), body)
    assert origin.count("/cfns2") == NCLIENTS
    assert [e["tag"] for e in p.access_entries(NCLIENTS)] == ["TCP_MISS"] * NCLIENTS


def test_collapsed_distinct_urls_not_merged(proxy, origin):
    paths = ["/cfu/%d" % i for i in range(4)]
    for path in paths:
        origin.script(path, headers=FRESH, body=path.encode() * 100, delay=0.5)
    p = proxy("collapsed_forwarding on\n", cache=True)
    results = {}

    def one(path):
        results[path] = concurrent_gets(p, origin.url(path), 5)

    threads = [threading.Thread(target=one, args=(path,)) for path in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    for path in paths:
        assert_bodies(results[path], path.encode() * 100)
        assert origin.count(path) == 1


def test_collapsed_uncacheable_correct_answers(proxy, origin):
    # Fewer clients and a short delay: whatever the queueing, every client
    # gets its own right answer from the origin.
    body = pattern_bytes(5000)
    origin.script("/cfns3", headers=[("Cache-Control", "no-store")], body=body, delay=0.2)
    p = proxy("collapsed_forwarding on\n", cache=True)
    assert_bodies(concurrent_gets(p, origin.url("/cfns3"), 5), body)
    assert origin.count("/cfns3") >= 2
    assert len(p.access_entries(5)) == 5


def test_collapsed_across_workers(proxy, origin):
    # The first worker to miss announces its fetch in the shared memory
    # cache; the other worker waits for it instead of fetching too.
    body = pattern_bytes(50000)
    origin.script("/cfw", headers=FRESH, body=body, delay=1.0)
    p = proxy("collapsed_forwarding on\n", cache=True, workers=2)
    results = concurrent_gets(p, origin.url("/cfw"))
    assert_bodies(results, body)
    assert origin.count("/cfw") == 1
    tags = sorted(e["tag"] for e in p.access_entries(NCLIENTS))
    assert tags == ["TCP_CF_HIT"] * (NCLIENTS - 1) + ["TCP_MISS"]
