"""A shared cache never hands one client's cookie to another.

Squid removes Set-Cookie from every reply it serves from the cache (memory
and disk hits, client conditionals, revalidated hits) and from replies
handed to collapsed followers; the client whose own request fetched the
response still gets its cookie.  A Set-Cookie that arrives on a 304 during
revalidation updates the stored headers but never reaches a later client.
"""

import time

from helpers import get, log_entry
from test_cache_collapsed import concurrent_gets
from test_cache_disk import disk_proxy, wait_committed

COOKIE = ("Set-Cookie", "session=alice-secret; Path=/")
FRESH = [("Cache-Control", "max-age=600"), ("Content-Type", "text/plain"), COOKIE]


def test_memory_hit_drops_set_cookie(proxy, origin):
    origin.script("/c", headers=FRESH, body="body\n")
    p = proxy(cache=True)
    r1 = get(p.port, origin.url("/c"))
    assert r1.header("Set-Cookie") == "session=alice-secret; Path=/"
    r2 = get(p.port, origin.url("/c"))
    assert origin.count("/c") == 1 and r2.body == b"body\n"
    assert r2.header("Set-Cookie") is None, r2.headers
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


def test_disk_hit_drops_set_cookie(proxy, origin):
    origin.script("/cd", headers=FRESH, body="body\n")
    p = disk_proxy(proxy)
    r1 = get(p.port, origin.url("/cd"))
    assert r1.header("Set-Cookie") == "session=alice-secret; Path=/"
    wait_committed(p, 1)
    r2 = get(p.port, origin.url("/cd"))
    assert origin.count("/cd") == 1 and r2.body == b"body\n"
    assert r2.header("Set-Cookie") is None, r2.headers
    assert log_entry(p, 2)["code"] == "TCP_HIT/200"


def test_client_conditional_from_cache_drops_set_cookie(proxy, origin):
    origin.script("/cc", headers=FRESH + [("ETag", '"e1"')], body="body\n")
    p = proxy(cache=True)
    get(p.port, origin.url("/cc"))
    r = get(p.port, origin.url("/cc"), headers=[("If-None-Match", '"e1"')])
    assert r.status == 304 and origin.count("/cc") == 1
    assert r.header("Set-Cookie") is None, r.headers


def test_set_cookie_on_304_is_not_served_to_the_next_client(proxy, origin):
    origin.script("/cr", headers=[("Cache-Control", "max-age=1"), ("ETag", '"v1"'),
                                  ("Content-Type", "text/plain")], body="body\n")
    p = proxy(cache=True)
    url = origin.url("/cr")
    assert get(p.port, url).header("Set-Cookie") is None
    time.sleep(2.2)
    # the revalidation's 304 carries a cookie meant for whoever caused it
    origin.script("/cr", headers=[("Cache-Control", "max-age=600"), ("ETag", '"v1"'),
                                  ("Content-Type", "text/plain"), COOKIE], body="body\n")
    r2 = get(p.port, url)
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_UNMODIFIED/200"
    assert r2.header("Set-Cookie") is None, r2.headers
    r3 = get(p.port, url)
    assert origin.count("/cr") == 2
    assert log_entry(p, 3)["code"] == "TCP_MEM_HIT/200"
    assert r3.header("Set-Cookie") is None, r3.headers


def test_collapsed_followers_get_no_cookie(proxy, origin):
    origin.script("/cf", headers=FRESH, body="x" * 5000, delay=1.0)
    p = proxy("collapsed_forwarding on\n", cache=True)
    results = concurrent_gets(p, origin.url("/cf"), n=6)
    assert origin.count("/cf") == 1
    assert all(r.status == 200 and r.body == b"x" * 5000 for r in results), results
    with_cookie = [r for r in results if r.header("Set-Cookie") is not None]
    # only the leader, whose own request fetched it, gets the cookie
    assert len(with_cookie) == 1
    tags = sorted(e["tag"] for e in p.access_entries(6))
    assert tags == ["TCP_CF_HIT"] * 5 + ["TCP_MISS"]
