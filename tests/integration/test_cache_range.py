"""Range requests and the cache (RFC 9110 14, Squid's range_offset_limit).

A single range of a cached object is cut from the stored copy (206, or 416
when it cannot be satisfied).  A Range request that misses is forwarded as
it is by default (range_offset_limit 0); with a limit the whole object is
fetched and cached while the client gets its range.  A 206 of one range is
kept (in memory) and answers later ranges inside it (cuttle only).
"""

import pytest

from helpers import get, log_entry

FRESH = [("Cache-Control", "max-age=600"), ("Content-Type", "text/plain"),
         ("ETag", '"r1"')]
BODY = b"0123456789abcdefghijklmnopqrstuvwxyz" * 10       # 360 bytes


def _range(spec, extra=()):
    return [("Range", spec)] + list(extra)


def test_range_of_cached_object(proxy, origin):
    origin.script("/rc", headers=FRESH, body=BODY)
    p = proxy(cache=True)
    url = origin.url("/rc")
    assert get(p.port, url).body == BODY
    r = get(p.port, url, _range("bytes=10-19"))
    assert (r.status, r.body) == (206, BODY[10:20])
    assert r.header("Content-Range") == "bytes 10-19/360"
    assert r.header("Content-Length") == "10"
    r = get(p.port, url, _range("bytes=-5"))
    assert (r.status, r.body) == (206, BODY[-5:])
    assert origin.count("/rc") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/206"


@pytest.mark.cuttle_only(reason="Squid 5.7 ignores an unsatisfiable range and sends the "
                         "whole 200; RFC 9110 14.4 and the issue ask for 416")
def test_unsatisfiable_range_of_cached_object(proxy, origin):
    origin.script("/ru", headers=FRESH, body=BODY)
    p = proxy(cache=True)
    url = origin.url("/ru")
    get(p.port, url)
    r = get(p.port, url, _range("bytes=1000-"))
    assert r.status == 416 and r.header("Content-Range") == "bytes */360"
    assert origin.count("/ru") == 1


def test_if_range_with_other_validator_gets_whole_object(proxy, origin):
    origin.script("/ri", headers=FRESH, body=BODY)
    p = proxy(cache=True)
    url = origin.url("/ri")
    get(p.port, url)
    r = get(p.port, url, _range("bytes=0-9", [("If-Range", '"other"')]))
    assert (r.status, r.body) == (200, BODY)
    r = get(p.port, url, _range("bytes=0-9", [("If-Range", '"r1"')]))
    assert (r.status, r.body) == (206, BODY[:10])
    assert origin.count("/ri") == 1


def test_range_miss_is_forwarded_by_default(proxy, origin):
    origin.script("/rd", headers=FRESH, body=BODY, ranges=True)
    p = proxy(cache=True)
    url = origin.url("/rd")
    r = get(p.port, url, _range("bytes=100-109"))
    assert (r.status, r.body) == (206, BODY[100:110])
    assert origin.requests_for("/rd")[0].header("Range") == ["bytes=100-109"]
    assert get(p.port, url).body == BODY
    assert origin.count("/rd") == 2


def test_range_offset_limit_none_fetches_and_caches_whole(proxy, origin):
    origin.script("/rn", headers=FRESH, body=BODY, ranges=True)
    p = proxy("range_offset_limit none\n", cache=True)
    url = origin.url("/rn")
    r = get(p.port, url, _range("bytes=100-109"))
    assert (r.status, r.body) == (206, BODY[100:110])
    assert r.header("Content-Range") == "bytes 100-109/360"
    assert origin.requests_for("/rn")[0].header("Range") == []
    r = get(p.port, url)
    assert (r.status, r.body) == (200, BODY)
    r = get(p.port, url, _range("bytes=350-"))
    assert (r.status, r.body) == (206, BODY[350:])
    assert origin.count("/rn") == 1
    assert [e["code"] for e in p.access_entries(3)] == \
        ["TCP_MISS/206", "TCP_MEM_HIT/200", "TCP_MEM_HIT/206"]


def test_range_offset_limit_size_and_acl(proxy, origin):
    for path in ("/rs/near", "/rs/far", "/rs/other"):
        origin.script(path, headers=FRESH, body=BODY, ranges=True)
    p = proxy("acl rs urlpath_regex ^/rs/\n"
              "range_offset_limit 64 bytes rs\n", cache=True)
    # starts before the limit: fetched whole, then a hit
    r = get(p.port, origin.url("/rs/near"), _range("bytes=60-69"))
    assert (r.status, r.body) == (206, BODY[60:70])
    assert origin.requests_for("/rs/near")[0].header("Range") == []
    assert get(p.port, origin.url("/rs/near")).body == BODY
    assert origin.count("/rs/near") == 1
    # starts past it: forwarded as it is
    r = get(p.port, origin.url("/rs/far"), _range("bytes=65-69"))
    assert (r.status, r.body) == (206, BODY[65:70])
    assert origin.requests_for("/rs/far")[0].header("Range") == ["bytes=65-69"]


def test_range_offset_limit_large_body_streams_the_range(proxy, origin):
    from origin import pattern_bytes
    block = pattern_bytes(64 * 1024)
    origin.script("/rl", headers=FRESH, generate=(block, 64))     # 4 MiB
    p = proxy("range_offset_limit none\nmaximum_object_size_in_memory 8 MB\n",
              cache=True)
    url = origin.url("/rl")
    first, last = 3 * 1024 * 1024 + 5, 3 * 1024 * 1024 + 70004
    r = get(p.port, url, _range("bytes=%d-%d" % (first, last)))
    assert r.status == 206 and r.body == (block * 64)[first:last + 1]
    r = get(p.port, url)
    assert r.status == 200 and r.body == block * 64
    assert origin.count("/rl") == 1


SQUID_NO_PARTIAL = "Squid 5.7 never stores a 206; cuttle keeps one (RFC 9111 3.3)"


@pytest.mark.cuttle_only(reason=SQUID_NO_PARTIAL)
def test_partial_response_serves_ranges_inside_it(proxy, origin):
    """A stored 206 answers a later range that lies inside it, with the
    Content-Range of that range; one reaching outside is forwarded."""
    origin.script("/rp", headers=FRESH, body=BODY, ranges=True)
    p = proxy(cache=True)
    url = origin.url("/rp")
    r = get(p.port, url, _range("bytes=100-199"))
    assert (r.status, r.body) == (206, BODY[100:200])
    r = get(p.port, url, _range("bytes=120-129"))
    assert (r.status, r.body) == (206, BODY[120:130])
    assert r.header("Content-Range") == "bytes 120-129/360"
    assert r.header("Content-Length") == "10"
    r = get(p.port, url, _range("bytes=100-199"))
    assert (r.status, r.body) == (206, BODY[100:200])
    assert r.header("Content-Range") == "bytes 100-199/360"
    assert origin.count("/rp") == 1
    # reaching outside the stored part: forwarded as it is, and the new
    # 206 replaces the stored one
    r = get(p.port, url, _range("bytes=150-"))
    assert (r.status, r.body) == (206, BODY[150:])
    assert origin.count("/rp") == 2
    r = get(p.port, url, _range("bytes=-10"))
    assert (r.status, r.body) == (206, BODY[-10:])
    assert r.header("Content-Range") == "bytes 350-359/360"
    r = get(p.port, url, _range("bytes=120-129"))
    assert (r.status, r.body) == (206, BODY[120:130])
    assert origin.count("/rp") == 3
    assert [e["code"] for e in p.access_entries(6)] == [
        "TCP_MISS/206", "TCP_MEM_HIT/206", "TCP_MEM_HIT/206", "TCP_MISS/206",
        "TCP_MEM_HIT/206", "TCP_MISS/206"]


@pytest.mark.cuttle_only(reason=SQUID_NO_PARTIAL)
def test_partial_response_suffix_range_inside_it(proxy, origin):
    """The suite's case: a stored suffix (the last bytes) answers a shorter
    suffix and an open range inside it."""
    origin.script("/rq", headers=FRESH, body=BODY, ranges=True)
    p = proxy(cache=True)
    url = origin.url("/rq")
    assert get(p.port, url, _range("bytes=-50")).body == BODY[-50:]
    r = get(p.port, url, _range("bytes=-1"))
    assert (r.status, r.body) == (206, BODY[-1:])
    assert r.header("Content-Range") == "bytes 359-359/360"
    r = get(p.port, url, _range("bytes=320-"))
    assert (r.status, r.body) == (206, BODY[320:])
    assert origin.count("/rq") == 1


@pytest.mark.cuttle_only(reason=SQUID_NO_PARTIAL)
def test_partial_response_never_answers_whole_or_if_range(proxy, origin):
    """A partial cannot answer a request for the whole body, nor one with
    If-Range (which asks for the whole body when the validator differs);
    once the complete object is stored, it answers every range."""
    origin.script("/rw", headers=FRESH, body=BODY, ranges=True)
    p = proxy(cache=True)
    url = origin.url("/rw")
    get(p.port, url, _range("bytes=0-99"))
    r = get(p.port, url, _range("bytes=0-9", [("If-Range", '"r1"')]))
    assert (r.status, r.body) == (206, BODY[:10])
    assert origin.count("/rw") == 2
    r = get(p.port, url)
    assert (r.status, r.body) == (200, BODY)
    assert origin.count("/rw") == 3
    r = get(p.port, url, _range("bytes=200-209"))
    assert (r.status, r.body) == (206, BODY[200:210])
    assert origin.count("/rw") == 3


@pytest.mark.cuttle_only(reason=SQUID_NO_PARTIAL)
def test_partial_response_dropped_by_purge(proxy, origin):
    origin.script("/rx", headers=FRESH, body=BODY, ranges=True)
    p = proxy("acl purge method PURGE\nhttp_access allow purge localhost\n",
              cache=True)
    url = origin.url("/rx")
    get(p.port, url, _range("bytes=0-99"))
    assert get(p.port, url, _range("bytes=0-9")).body == BODY[:10]
    assert origin.count("/rx") == 1
    assert get(p.port, url, method="PURGE").status == 200
    assert get(p.port, url, _range("bytes=0-9")).body == BODY[:10]
    assert origin.count("/rx") == 2
