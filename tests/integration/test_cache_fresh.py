"""Freshness (RFC 9111 4.2 and Squid's refresh_pattern) and request directives.

Each test caches one scripted object, lets time or a request directive make
it fresh or stale, and proves which by whether the origin saw the next
request.  Waits are a couple of seconds at most: max-age=1 is stale after
2.2 s.
"""

import time

import pytest

from helpers import get, http_date, log_entry

STALE_AFTER = 2.2
VALIDATORS = [("ETag", '"v1"'), ("Last-Modified", http_date(-3600))]


def cached(proxy, origin, path, cc="max-age=60", extra=(), conf=""):
    """Starts a caching proxy, fetches `path` once (a miss); returns (proxy, url)."""
    origin.script(path, headers=[("Cache-Control", cc)] + VALIDATORS + list(extra), body="body\n")
    p = proxy(conf, cache=True)
    url = origin.url(path)
    assert get(p.port, url).status == 200
    assert origin.count(path) == 1
    return p, url


def test_max_age_fresh_is_hit(proxy, origin):
    p, url = cached(proxy, origin, "/f", "max-age=60")
    get(p.port, url)
    assert origin.count("/f") == 1


def test_max_age_expired_goes_to_origin(proxy, origin):
    p, url = cached(proxy, origin, "/e", "max-age=1")
    time.sleep(STALE_AFTER)
    assert get(p.port, url).status == 200
    assert origin.count("/e") == 2


def test_s_maxage_overrides_max_age_zero(proxy, origin):
    p, url = cached(proxy, origin, "/s", "max-age=0, s-maxage=60")
    get(p.port, url)
    assert origin.count("/s") == 1


def test_s_maxage_shorter_than_max_age(proxy, origin):
    p, url = cached(proxy, origin, "/s2", "max-age=60, s-maxage=1")
    time.sleep(STALE_AFTER)
    get(p.port, url)
    assert origin.count("/s2") == 2


def test_expires_in_future_is_hit(proxy, origin):
    origin.script("/x", headers=[("Expires", http_date(60))], body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/x"))
    get(p.port, origin.url("/x"))
    assert origin.count("/x") == 1


def test_expires_with_lowercase_weekday_and_month_is_hit(proxy, origin):
    # RFC 9110 5.6.7 asks recipients to be robust in parsing timestamps
    origin.script("/xc", headers=[("Expires", http_date(60).lower()[:-3] + "GMT")], body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/xc"))
    get(p.port, origin.url("/xc"))
    assert origin.count("/xc") == 1


@pytest.mark.cuttle_only(reason="Squid 5.7 refuses a zone name not spelled GMT")
def test_expires_with_odd_case_gmt_is_hit(proxy, origin):
    origin.script("/xz", headers=[("Expires", http_date(60)[:-3] + "gMT")], body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/xz"))
    get(p.port, origin.url("/xz"))
    assert origin.count("/xz") == 1


def test_expires_in_utc_is_not_a_date(proxy, origin):
    origin.script("/xu", headers=[("Expires", http_date(60)[:-3] + "UTC")], body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/xu"))
    get(p.port, origin.url("/xu"))
    assert origin.count("/xu") == 2


def test_expires_in_past_is_stale(proxy, origin):
    origin.script("/xp", headers=[("Expires", http_date(-60))] + VALIDATORS, body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/xp"))
    get(p.port, origin.url("/xp"))
    assert origin.count("/xp") == 2


def test_max_age_overrides_expires(proxy, origin):
    origin.script("/mx", headers=[("Cache-Control", "max-age=60"), ("Expires", http_date(-60))],
                  body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/mx"))
    get(p.port, origin.url("/mx"))
    assert origin.count("/mx") == 1


def test_heuristic_freshness_from_last_modified(proxy, origin):
    # Last-Modified 4 s before Date at 50%: fresh for 2 s, then revalidated.
    origin.script("/lm", headers=[("Last-Modified", http_date(-4))], body="lm\n")
    p = proxy("refresh_pattern ^http://origin\\.test:[0-9]+/lm$ 0 50% 1\n", cache=True)
    url = origin.url("/lm")
    get(p.port, url)
    get(p.port, url)
    assert origin.count("/lm") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"
    time.sleep(3.2)
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"lm\n"
    assert origin.count("/lm") == 2
    assert origin.requests_for("/lm")[1].header("If-Modified-Since")
    assert log_entry(p, 3)["code"] == "TCP_REFRESH_UNMODIFIED/200"


def test_refresh_pattern_min_without_validators(proxy, origin):
    # No explicit freshness and no Last-Modified: fresh for MIN minutes.
    origin.script("/min", headers=[("Content-Type", "text/plain")], body="min\n")
    p = proxy("refresh_pattern /min$ 1 20% 10\n", cache=True)
    get(p.port, origin.url("/min"))
    get(p.port, origin.url("/min"))
    assert origin.count("/min") == 1


def test_request_no_cache_goes_to_origin(proxy, origin):
    p, url = cached(proxy, origin, "/nc")
    r = get(p.port, url, [("Cache-Control", "no-cache")])
    assert r.status == 200
    assert origin.count("/nc") == 2
    assert log_entry(p, 2)["tag"] == "TCP_MISS"


def test_request_pragma_no_cache_goes_to_origin(proxy, origin):
    p, url = cached(proxy, origin, "/pnc")
    get(p.port, url, [("Pragma", "no-cache")])
    assert origin.count("/pnc") == 2
    assert log_entry(p, 2)["tag"] == "TCP_MISS"


def test_request_max_age_zero_revalidates(proxy, origin):
    p, url = cached(proxy, origin, "/ma0")
    r = get(p.port, url, [("Cache-Control", "max-age=0")])
    assert r.status == 200 and r.body == b"body\n"
    reqs = origin.requests_for("/ma0")
    assert len(reqs) == 2
    assert reqs[1].header("If-None-Match") == ['"v1"'] or reqs[1].header("If-Modified-Since")
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_UNMODIFIED/200"


def test_request_max_age_zero_revalidates_aged_object(proxy, origin):
    # Age >= 1 s is unambiguously older than max-age=0 (RFC 9111 5.2.1.1).
    p, url = cached(proxy, origin, "/ma0a")
    time.sleep(1.1)
    r = get(p.port, url, [("Cache-Control", "max-age=0")])
    assert r.status == 200 and r.body == b"body\n"
    assert origin.count("/ma0a") == 2
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_UNMODIFIED/200"


def test_only_if_cached_miss_is_504(proxy, origin):
    origin.script("/oic", headers=[("Cache-Control", "max-age=60")], body="x")
    p = proxy(cache=True)
    r = get(p.port, origin.url("/oic"), [("Cache-Control", "only-if-cached")])
    assert r.status == 504
    assert origin.count("/oic") == 0
    assert log_entry(p, 1)["code"] == "TCP_MISS/504"


def test_only_if_cached_hit(proxy, origin):
    p, url = cached(proxy, origin, "/oich")
    r = get(p.port, url, [("Cache-Control", "only-if-cached")])
    assert r.status == 200 and r.body == b"body\n"
    assert origin.count("/oich") == 1


def test_min_fresh_beyond_lifetime_goes_to_origin(proxy, origin):
    p, url = cached(proxy, origin, "/mf")
    get(p.port, url, [("Cache-Control", "min-fresh=120")])
    assert origin.count("/mf") == 2


def test_min_fresh_within_lifetime_is_hit(proxy, origin):
    p, url = cached(proxy, origin, "/mf2")
    get(p.port, url, [("Cache-Control", "min-fresh=10")])
    assert origin.count("/mf2") == 1


def test_max_stale_serves_stale_without_origin(proxy, origin):
    p, url = cached(proxy, origin, "/ms", "max-age=1")
    time.sleep(STALE_AFTER)
    r = get(p.port, url, [("Cache-Control", "max-stale=60")])
    assert r.status == 200 and r.body == b"body\n"
    assert origin.count("/ms") == 1


def test_max_stale_too_small_goes_to_origin(proxy, origin):
    p, url = cached(proxy, origin, "/ms2", "max-age=1")
    time.sleep(STALE_AFTER + 1)
    get(p.port, url, [("Cache-Control", "max-stale=1")])
    assert origin.count("/ms2") == 2
