"""negative_ttl: which errors Squid 5.7 keeps, for how long, and how the hit is logged.

Squid stores the error statuses 204 305 400 403 404 405 414 421 500-504 only
while negative_ttl is above 0 (default 0), whatever their Cache-Control says;
explicit freshness, when present, still sets their lifetime.  A hit on one is
TCP_NEGATIVE_HIT; once expired it is a plain TCP_MISS, not a revalidation.
Errors the proxy makes itself (ERR_CONNECT_FAIL) are never stored.  cuttle
keeps all of that while negative_ttl is set, but also stores an error that is
explicitly fresh when negative_ttl is 0, and any status with explicit
freshness, as RFC 9111 3 allows (test_cache_status.py).
"""

import time

import pytest

from helpers import get, log_entry
from origin import closed_port

NEG = "negative_ttl 1 minute\n"
RFC9111 = pytest.mark.cuttle_only(
    reason="Squid 5.7 stores no error without negative_ttl, and never a 401, "
    "409 or 429, even with max-age; RFC 9111 3 lets explicit freshness store "
    "any status")


def fetch_twice(proxy, origin, path, status=404, headers=(), conf=""):
    """Scripts path, fetches it twice through a caching proxy; returns the proxy."""
    origin.script(path, status=status, headers=list(headers), body="err\n")
    p = proxy(conf, cache=True)
    for _ in range(2):
        r = get(p.port, origin.url(path))
        assert r.status == status
    return p


def test_404_without_freshness_not_cached_by_default(proxy, origin):
    p = fetch_twice(proxy, origin, "/nf")
    assert origin.count("/nf") == 2
    assert log_entry(p, 2)["code"] == "TCP_MISS/404"


@RFC9111
def test_404_with_max_age_cached_by_default_as_ordinary_hit(proxy, origin):
    p = fetch_twice(proxy, origin, "/nfm", headers=[("Cache-Control", "max-age=60")])
    assert origin.count("/nfm") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/404"


@pytest.mark.parametrize("status", [403, 404, 500, 502, 503, 504])
def test_error_without_freshness_is_negative_hit(proxy, origin, status):
    p = fetch_twice(proxy, origin, "/e", status, conf=NEG)
    assert origin.count("/e") == 1
    assert log_entry(p, 2)["code"] == "TCP_NEGATIVE_HIT/%d" % status


def test_204_is_negative_hit(proxy, origin):
    p = fetch_twice(proxy, origin, "/nc", 204, conf=NEG)
    assert origin.count("/nc") == 1
    assert log_entry(p, 2)["code"] == "TCP_NEGATIVE_HIT/204"


def test_410_is_an_ordinary_hit(proxy, origin):
    p = fetch_twice(proxy, origin, "/gone", 410, [("Cache-Control", "max-age=60")], NEG)
    assert origin.count("/gone") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/410"


@pytest.mark.parametrize("status", [401, 409, 429])
def test_other_errors_without_freshness_never_cached(proxy, origin, status):
    p = fetch_twice(proxy, origin, "/x", status, conf=NEG)
    assert origin.count("/x") == 2
    assert log_entry(p, 2)["code"] == "TCP_MISS/%d" % status


@RFC9111
@pytest.mark.parametrize("status", [401, 409, 429])
def test_other_errors_with_max_age_are_ordinary_hits(proxy, origin, status):
    p = fetch_twice(proxy, origin, "/x", status, [("Cache-Control", "max-age=60")], NEG)
    assert origin.count("/x") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/%d" % status


def test_no_store_still_wins(proxy, origin):
    fetch_twice(proxy, origin, "/ns", headers=[("Cache-Control", "no-store")], conf=NEG)
    assert origin.count("/ns") == 2


def test_response_no_cache_does_not_stop_negative_hit(proxy, origin):
    p = fetch_twice(proxy, origin, "/rnc", headers=[("Cache-Control", "no-cache")], conf=NEG)
    assert origin.count("/rnc") == 1
    assert log_entry(p, 2)["code"] == "TCP_NEGATIVE_HIT/404"


def test_client_no_cache_bypasses_negative_entry(proxy, origin):
    p = fetch_twice(proxy, origin, "/cnc", conf=NEG)
    assert get(p.port, origin.url("/cnc"), [("Cache-Control", "no-cache")]).status == 404
    assert origin.count("/cnc") == 2
    assert log_entry(p, 3)["code"] == "TCP_MISS/404"


def test_client_max_age_0_still_negative_hit(proxy, origin):
    p = fetch_twice(proxy, origin, "/cma", conf=NEG)
    assert get(p.port, origin.url("/cma"), [("Cache-Control", "max-age=0")]).status == 404
    assert origin.count("/cma") == 1
    assert log_entry(p, 3)["code"] == "TCP_NEGATIVE_HIT/404"


def test_expired_negative_entry_is_plain_miss(proxy, origin):
    p = fetch_twice(proxy, origin, "/exp", headers=[("ETag", '"e"')],
                    conf="negative_ttl 1 seconds\n")
    time.sleep(2.2)
    assert get(p.port, origin.url("/exp")).status == 404
    reqs = origin.requests_for("/exp")
    assert len(reqs) == 2
    assert not reqs[1].has("If-None-Match") and not reqs[1].has("If-Modified-Since")
    assert log_entry(p, 3)["code"] == "TCP_MISS/404"


def test_explicit_max_age_outlives_negative_ttl(proxy, origin):
    p = fetch_twice(proxy, origin, "/long", headers=[("Cache-Control", "max-age=60")],
                    conf="negative_ttl 1 seconds\n")
    time.sleep(2.2)
    get(p.port, origin.url("/long"))
    assert origin.count("/long") == 1
    assert log_entry(p, 3)["code"] == "TCP_NEGATIVE_HIT/404"


def test_max_age_0_is_revalidated(proxy, origin):
    p = fetch_twice(proxy, origin, "/ma0", headers=[("Cache-Control", "max-age=0")], conf=NEG)
    assert origin.count("/ma0") == 2
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_MODIFIED/404"


def test_connect_failure_not_negatively_cached(proxy):
    p = proxy(NEG, cache=True)
    url = "http://127.0.0.1:%d/refused" % closed_port()
    for n in (1, 2):
        r = get(p.port, url)
        assert r.status == 503
        assert log_entry(p, n)["code"] == "TCP_MISS/503"


def test_negative_entries_kept_in_cache_dirs(proxy, origin):
    # With no memory cache, a negatively cached 404 lives in the cache_dir.
    origin.script("/neg-disk", status=404, body="nf\n")
    p = proxy(NEG + "cache_mem 0 MB\ncache_dir ufs @DIR@/cache 100 16 256\n",
              cache=True, make_dirs=True)
    for _ in range(3):
        assert get(p.port, origin.url("/neg-disk")).status == 404
    assert origin.count("/neg-disk") == 1
    assert [e["code"] for e in p.access_entries(3)] == \
        ["TCP_MISS/404", "TCP_NEGATIVE_HIT/404", "TCP_NEGATIVE_HIT/404"]
