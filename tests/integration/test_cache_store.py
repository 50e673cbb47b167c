"""Storability (RFC 9111 3 and 4.1): what a shared cache may keep, and Vary.

An unstorable response proves itself by the origin seeing the repeat
request; a stored one by the origin not seeing it.
"""

import pytest

from helpers import get, log_entry

AUTH = [("Authorization", "Basic dXNlcjpwYXNz")]


def twice(proxy, origin, path, headers, req_headers=(), conf=""):
    """Scripts path, fetches it twice through a caching proxy; returns the origin count."""
    origin.script(path, headers=headers, body="body\n")
    p = proxy(conf, cache=True)
    for _ in range(2):
        r = get(p.port, origin.url(path), list(req_headers))
        assert r.status == 200 and r.body == b"body\n"
    return origin.count(path), p


def test_no_store_not_cached(proxy, origin):
    n, p = twice(proxy, origin, "/ns", [("Cache-Control", "no-store, max-age=60")])
    assert n == 2
    assert log_entry(p, 2)["tag"] == "TCP_MISS"


def test_private_not_cached(proxy, origin):
    n, _ = twice(proxy, origin, "/pr", [("Cache-Control", "private, max-age=60")])
    assert n == 2


def test_unknown_directive_ignored(proxy, origin):
    n, _ = twice(proxy, origin, "/unk", [("Cache-Control", "max-age=60, x-made-up=3, funky")])
    assert n == 1


def test_request_no_store_not_cached(proxy, origin):
    n, _ = twice(proxy, origin, "/rns", [("Cache-Control", "max-age=60")],
                 [("Cache-Control", "no-store")])
    assert n == 2


def test_authorization_not_cached(proxy, origin):
    n, _ = twice(proxy, origin, "/auth", [("Cache-Control", "max-age=60")], AUTH)
    assert n == 2


@pytest.mark.parametrize("cc", ["public, max-age=60", "s-maxage=60",
                                "max-age=60, must-revalidate"])
def test_authorization_cached_when_allowed(proxy, origin, cc):
    n, _ = twice(proxy, origin, "/authok", [("Cache-Control", cc)], AUTH)
    assert n == 1


@pytest.mark.parametrize("status", [410, 301])
def test_cacheable_status_with_max_age(proxy, origin, status):
    origin.script("/st", status=status, headers=[("Cache-Control", "max-age=60"),
                                                 ("Location", "http://origin.test/x")], body="s\n")
    p = proxy(cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/st")).status == status
    assert origin.count("/st") == 1


def test_vary_variants_stored_and_selected(proxy, origin):
    hdrs = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")]
    p = proxy(cache=True)
    url = origin.url("/vary")
    origin.script("/vary", headers=hdrs, body="english\n")
    assert get(p.port, url, [("Accept-Language", "en")]).body == b"english\n"
    origin.script("/vary", headers=hdrs, body="francais\n")
    assert get(p.port, url, [("Accept-Language", "fr")]).body == b"francais\n"
    assert origin.count("/vary") == 2
    assert get(p.port, url, [("Accept-Language", "en")]).body == b"english\n"
    assert get(p.port, url, [("Accept-Language", "fr")]).body == b"francais\n"
    assert origin.count("/vary") == 2
    assert [e["tag"] for e in p.access_entries(4)[2:4]] == ["TCP_MEM_HIT", "TCP_MEM_HIT"]


def test_vary_other_value_is_miss(proxy, origin):
    hdrs = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")]
    p = proxy(cache=True)
    origin.script("/vary2", headers=hdrs, body="english\n")
    get(p.port, origin.url("/vary2"), [("Accept-Language", "en")])
    get(p.port, origin.url("/vary2"), [("Accept-Language", "de")])
    get(p.port, origin.url("/vary2"))
    assert origin.count("/vary2") == 3


def test_vary_star_never_served_from_cache(proxy, origin):
    n, _ = twice(proxy, origin, "/vstar", [("Cache-Control", "max-age=60"), ("Vary", "*")])
    assert n == 2


def test_404_with_negative_ttl_is_negative_hit(proxy, origin):
    origin.script("/nf", status=404, headers=[("Cache-Control", "max-age=60")], body="nf\n")
    p = proxy("negative_ttl 60 seconds\n", cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/nf")).status == 404
    assert origin.count("/nf") == 1
    assert log_entry(p, 2)["code"] == "TCP_NEGATIVE_HIT/404"


POST_REUSE = "Squid 5.7 never reuses a POST response (RFC 9110 9.3.3 allows it)"


def post_then_get(proxy, origin, path, headers):
    """POSTs to path, then GETs it; returns (GET response, origin count)."""
    origin.script(path, headers=[("Cache-Control", "max-age=60")] + headers, body="posted\n")
    p = proxy(cache=True)
    url = origin.url(path)
    assert get(p.port, url, method="POST", body=b"12345").status == 200
    r = get(p.port, url)
    return r, origin.count(path)


@pytest.mark.cuttle_only(reason=POST_REUSE)
def test_post_response_naming_its_url_serves_later_get(proxy, origin):
    r, n = post_then_get(proxy, origin, "/post", [("Content-Location", origin.url("/post"))])
    assert r.status == 200 and r.body == b"posted\n"
    assert n == 1


def test_post_response_without_content_location_not_reused(proxy, origin):
    _, n = post_then_get(proxy, origin, "/post2", [])
    assert n == 2


def test_post_response_naming_another_url_not_reused(proxy, origin):
    _, n = post_then_get(proxy, origin, "/post3", [("Content-Location", origin.url("/other"))])
    assert n == 2
