"""Invalidation: unsafe methods and PURGE remove a cached URL.

A successful POST/PUT/DELETE to a URL makes the next GET a miss (RFC 9111
4.4); PURGE works only when a `method PURGE` acl exists (as in Squid),
answering 200 when something was removed and 404 when nothing was.
"""

import pytest

from helpers import PURGE_ACCESS, PURGE_CONF, get, log_entry

FRESH = [("Cache-Control", "max-age=60")]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_unsafe_method_invalidates(proxy, origin, method):
    origin.script("/inv", headers=FRESH, body="x")
    p = proxy(cache=True)
    url = origin.url("/inv")
    get(p.port, url)
    get(p.port, url)
    assert origin.count("/inv") == 1
    r = get(p.port, url, method=method, body=b"data" if method != "DELETE" else None)
    assert r.status == 200
    get(p.port, url)
    assert [r.method for r in origin.requests_for("/inv")] == ["GET", method, "GET"]
    assert log_entry(p, 4)["tag"] == "TCP_MISS"


def test_failed_post_does_not_invalidate(proxy, origin):
    origin.script("/inv4", headers=FRESH, body="x")
    p = proxy(cache=True)
    url = origin.url("/inv4")
    get(p.port, url)
    origin.script("/inv4", status=500, headers=[], body="no")
    assert get(p.port, url, method="POST", body=b"d").status == 500
    assert get(p.port, url).status == 200
    assert origin.count("/inv4") == 2


def test_purge_removes_then_404(proxy, origin):
    origin.script("/pg", headers=FRESH, body="x")
    p = proxy(PURGE_CONF, access=PURGE_ACCESS, cache=True)
    url = origin.url("/pg")
    get(p.port, url)
    assert get(p.port, url, method="PURGE").status == 200
    assert get(p.port, url, method="PURGE").status == 404
    get(p.port, url)
    assert [r.method for r in origin.requests_for("/pg")] == ["GET", "GET"]
    assert log_entry(p, 4)["tag"] == "TCP_MISS"


@pytest.mark.cuttle_only(reason="Squid 5.7 answers 404 to a PURGE of a URL cached with Vary "
                         "and removes nothing")
def test_purge_removes_all_vary_variants(proxy, origin):
    hdrs = FRESH + [("Vary", "Accept-Language")]
    origin.script("/pgv", headers=hdrs, body="x")
    p = proxy(PURGE_CONF, access=PURGE_ACCESS, cache=True)
    url = origin.url("/pgv")
    get(p.port, url, [("Accept-Language", "en")])
    get(p.port, url, [("Accept-Language", "fr")])
    assert get(p.port, url, method="PURGE").status == 200
    get(p.port, url, [("Accept-Language", "en")])
    get(p.port, url, [("Accept-Language", "fr")])
    assert origin.count("/pgv") == 4


def test_purge_without_acl_denied(proxy, origin):
    origin.script("/pgd", headers=FRESH, body="x")
    p = proxy(cache=True)
    url = origin.url("/pgd")
    get(p.port, url)
    assert get(p.port, url, method="PURGE").status == 403
    get(p.port, url)
    assert origin.count("/pgd") == 1
