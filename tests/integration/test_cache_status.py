"""Which statuses are stored, and for how long (RFC 9111 3 and 4.2.2).

RFC 9111 lets explicit freshness (max-age, s-maxage, Expires) make a
response of any final status storable, and allows heuristic freshness
(Last-Modified and refresh_pattern, as for a 200) for the statuses RFC 9110
15.1 calls heuristically cacheable, or any status with Cache-Control: public.
Squid 5.7 keeps only its fixed set (200 203 300 301 308 410, 302 and 307 with
Expires) and the errors it caches under negative_ttl; these tests run with
negative_ttl 0 (the default), where cuttle now follows RFC 9111.  An error
that would be stale on arrival is still not kept, as in Squid.
"""

import time

import pytest

from helpers import get, http_date, log_entry

RFC9111 = pytest.mark.cuttle_only(
    reason="Squid 5.7 keeps only 200 203 300 301 302 307 308 410 without "
    "negative_ttl, whatever their freshness; RFC 9111 3 lets explicit "
    "freshness, a heuristically cacheable status or public store any status")
# Last-Modified a day before Date: at 20% fresh for hours.
LAST_MODIFIED = [("Last-Modified", http_date(-86400))]


def fetch_twice(proxy, origin, path, status, headers, conf=""):
    """Scripts path, fetches it twice through a caching proxy; returns the proxy."""
    origin.script(path, status=status, headers=list(headers),
                  body="" if status == 204 else "status\n")
    p = proxy(conf, cache=True)
    for _ in range(2):
        assert get(p.port, origin.url(path)).status == status
    return p


@RFC9111
@pytest.mark.parametrize("status", [204, 299, 303, 400, 401, 404, 405, 414, 429,
                                    499, 500, 501, 502, 503, 504, 599])
def test_explicitly_fresh_status_is_hit(proxy, origin, status):
    p = fetch_twice(proxy, origin, "/x", status, [("Cache-Control", "max-age=60")])
    assert origin.count("/x") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/%d" % status


@RFC9111
@pytest.mark.parametrize("name", ["s-maxage", "Expires"])
def test_404_fresh_by_s_maxage_or_expires_is_hit(proxy, origin, name):
    # the date is taken when the test runs, not when it is collected
    fresh = ("Expires", http_date(60)) if name == "Expires" else \
        ("Cache-Control", "s-maxage=60")
    fetch_twice(proxy, origin, "/sm", 404, [fresh])
    assert origin.count("/sm") == 1


@RFC9111
def test_explicitly_fresh_404_not_reused_once_stale(proxy, origin):
    p = fetch_twice(proxy, origin, "/st", 404, [("Cache-Control", "max-age=1")])
    assert origin.count("/st") == 1
    time.sleep(2.2)
    assert get(p.port, origin.url("/st")).status == 404
    assert origin.count("/st") == 2


@pytest.mark.parametrize("status", [404, 500])
def test_error_stale_on_arrival_not_stored(proxy, origin, status):
    p = fetch_twice(proxy, origin, "/sa", status, [("Expires", http_date(-5000))])
    assert origin.count("/sa") == 2
    assert log_entry(p, 2)["code"] == "TCP_MISS/%d" % status


def test_unknown_status_no_store_must_understand_not_reused(proxy, origin):
    fetch_twice(proxy, origin, "/mu", 599,
                [("Cache-Control", "max-age=3600, no-store, must-understand")])
    assert origin.count("/mu") == 2


@RFC9111
def test_known_error_status_must_understand_lifts_no_store(proxy, origin):
    fetch_twice(proxy, origin, "/mu4", 404,
                [("Cache-Control", "max-age=3600, no-store, must-understand")])
    assert origin.count("/mu4") == 1


@RFC9111
@pytest.mark.parametrize("status", [204, 404, 405, 414, 501])
def test_heuristically_cacheable_status_is_hit(proxy, origin, status):
    p = fetch_twice(proxy, origin, "/h", status, LAST_MODIFIED)
    assert origin.count("/h") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/%d" % status


@pytest.mark.parametrize("status", [201, 202, 403, 502, 503, 504, 599])
def test_status_not_heuristically_cacheable_not_stored(proxy, origin, status):
    fetch_twice(proxy, origin, "/nh", status, LAST_MODIFIED)
    assert origin.count("/nh") == 2


@RFC9111
def test_public_makes_unknown_status_heuristically_cacheable(proxy, origin):
    fetch_twice(proxy, origin, "/pub", 599, LAST_MODIFIED + [("Cache-Control", "public")])
    assert origin.count("/pub") == 1


def test_404_without_freshness_or_last_modified_not_stored(proxy, origin):
    p = fetch_twice(proxy, origin, "/plain", 404, [])
    assert origin.count("/plain") == 2
    assert log_entry(p, 2)["code"] == "TCP_MISS/404"


@RFC9111
def test_heuristic_404_follows_refresh_pattern_percent(proxy, origin):
    # Last-Modified 4 s before Date at 50%: fresh for 2 s, then fetched again.
    origin.script("/lm", status=404, headers=[("Last-Modified", http_date(-4))], body="nf\n")
    p = proxy("refresh_pattern /lm$ 0 50% 1\n", cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/lm")).status == 404
    assert origin.count("/lm") == 1
    time.sleep(3.2)
    assert get(p.port, origin.url("/lm")).status == 404
    assert origin.count("/lm") == 2


def test_204_hit_has_no_content_length(proxy, origin):
    # RFC 9110 8.6: no Content-Length in a 204, from the cache either.
    origin.script("/nc", status=204, headers=[("Cache-Control", "max-age=60")], body="")
    p = proxy("negative_ttl 1 minute\n", cache=True)
    get(p.port, origin.url("/nc"))
    r = get(p.port, origin.url("/nc"))
    assert origin.count("/nc") == 1
    assert r.status == 204 and r.body == b""
    assert r.header("Content-Length") is None
