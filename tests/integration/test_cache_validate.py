"""Validation: revalidating stale entries, client conditionals, failures.

A stale entry is revalidated with If-None-Match / If-Modified-Since; a 304
refreshes the stored headers (but not the framing) and the cached body is
served; a 200 replaces the entry; a failure serves the stale copy within
stale-if-error or max-stale unless the response said must-revalidate (more
in test_cache_stale_on_error.py).  Client conditionals on a fresh entry
are answered 304 by the cache itself.
"""

import time

import pytest

from helpers import get, http_date, log_entry, wait_for

STALE_AFTER = 2.2
LM = http_date(-3600)


def script_v1(origin, path, cc="max-age=1", extra=()):
    origin.script(path, headers=[("Cache-Control", cc), ("ETag", '"v1"'), ("Last-Modified", LM),
                                 ("X-Version", "1"), ("Content-Type", "text/plain")]
                  + list(extra), body="version one\n")


def test_stale_revalidated_304_refresh_unmodified(proxy, origin):
    script_v1(origin, "/r")
    p = proxy(cache=True)
    url = origin.url("/r")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    # The origin's 304 brings new headers and a new lifetime.
    origin.script("/r", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                                 ("Last-Modified", LM), ("X-Version", "2"),
                                 ("Content-Type", "text/plain")], body="version one\n")
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"version one\n"
    reqs = origin.requests_for("/r")
    assert len(reqs) == 2
    assert reqs[1].header("If-None-Match") == ['"v1"']
    assert reqs[1].header("If-Modified-Since") == [LM]
    assert r.header("X-Version") == "2"
    assert r.header("Content-Length") == str(len(b"version one\n"))
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_UNMODIFIED/200"


def test_headers_updated_by_304_are_stored(proxy, origin):
    script_v1(origin, "/r2")
    p = proxy(cache=True)
    url = origin.url("/r2")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/r2", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                                  ("Last-Modified", LM), ("X-Version", "2")], body="version one\n")
    get(p.port, url)
    r = get(p.port, url)
    assert origin.count("/r2") == 2
    assert r.status == 200 and r.body == b"version one\n"
    assert r.header("X-Version") == "2"
    assert log_entry(p, 3)["code"] == "TCP_MEM_HIT/200"


@pytest.mark.cuttle_only(reason="Squid 5.7 takes Content-Length from the 304 and sends a "
                         "truncated body; RFC 9111 3.2 excludes Content-Length from the update")
def test_304_does_not_change_stored_content_length(proxy, origin):
    script_v1(origin, "/cl")
    p = proxy(cache=True)
    url = origin.url("/cl")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/cl", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                                  ("Last-Modified", LM)], body="version one\n",
                  headers_304=[("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                               ("Content-Length", "3")])
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"version one\n"
    assert r.header_all("Content-Length") == [str(len(b"version one\n"))]
    r = get(p.port, url)
    assert origin.count("/cl") == 2
    assert r.body == b"version one\n"
    assert r.header_all("Content-Length") == [str(len(b"version one\n"))]


def test_stale_revalidated_200_refresh_modified(proxy, origin):
    script_v1(origin, "/m")
    p = proxy(cache=True)
    url = origin.url("/m")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/m", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v2"')],
                  body="version two!\n")
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"version two!\n"
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_MODIFIED/200"
    r = get(p.port, url)
    assert r.body == b"version two!\n"
    assert origin.count("/m") == 2
    assert log_entry(p, 3)["code"] == "TCP_MEM_HIT/200"


def test_client_if_none_match_answered_from_cache(proxy, origin):
    script_v1(origin, "/inm", cc="max-age=60")
    p = proxy(cache=True)
    url = origin.url("/inm")
    get(p.port, url)
    r = get(p.port, url, [("If-None-Match", '"v1"')])
    assert r.status == 304 and r.body == b""
    assert origin.count("/inm") == 1
    assert log_entry(p, 2)["code"] == "TCP_INM_HIT/304"


@pytest.mark.cuttle_only(reason="Squid 5.7's 304 from cache has no ETag; RFC 9110 15.4.5 "
                         "requires the ETag a 200 would carry")
def test_client_conditional_304_carries_etag(proxy, origin):
    script_v1(origin, "/inme", cc="max-age=60")
    p = proxy(cache=True)
    url = origin.url("/inme")
    get(p.port, url)
    r = get(p.port, url, [("If-None-Match", '"v1"')])
    assert r.status == 304
    assert r.header("ETag") == '"v1"'


def test_client_if_none_match_other_etag_gets_full_hit(proxy, origin):
    script_v1(origin, "/inm2", cc="max-age=60")
    p = proxy(cache=True)
    url = origin.url("/inm2")
    get(p.port, url)
    r = get(p.port, url, [("If-None-Match", '"other"')])
    assert r.status == 200 and r.body == b"version one\n"
    assert origin.count("/inm2") == 1


def test_client_if_modified_since_answered_from_cache(proxy, origin):
    script_v1(origin, "/ims", cc="max-age=60")
    p = proxy(cache=True)
    url = origin.url("/ims")
    get(p.port, url)
    r = get(p.port, url, [("If-Modified-Since", http_date(-60))])
    assert r.status == 304 and r.body == b""
    assert origin.count("/ims") == 1
    assert log_entry(p, 2)["code"] == "TCP_IMS_HIT/304"


def test_client_if_modified_since_older_gets_full_hit(proxy, origin):
    script_v1(origin, "/ims2", cc="max-age=60")
    p = proxy(cache=True)
    url = origin.url("/ims2")
    get(p.port, url)
    r = get(p.port, url, [("If-Modified-Since", http_date(-7200))])
    assert r.status == 200 and r.body == b"version one\n"
    assert origin.count("/ims2") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


def test_must_revalidate_stale_origin_down_is_504(proxy, origin):
    # RFC 9111 4.2.4: never the stale copy; Squid logs the failed refresh.
    script_v1(origin, "/mr", cc="max-age=1, must-revalidate")
    p = proxy(cache=True)
    url = origin.url("/mr")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.stop()
    r = get(p.port, url)
    assert r.status == 504
    assert b"version one" not in r.body
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/504"


def test_stale_origin_down_is_504(proxy, origin):
    # No refresh_pattern matches: Squid's built-in rule has max-stale=0, so a
    # copy 1 s or more stale is not served on failure (with a rule, max_stale
    # applies: test_cache_stale_on_error.py).
    script_v1(origin, "/down")
    p = proxy(cache=True)
    url = origin.url("/down")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.stop()
    r = get(p.port, url)
    assert r.status == 504
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/504"


def test_stale_5xx_forwarded(proxy, origin):
    # As above: under Squid's built-in rule (max-stale=0) the 5xx goes out.
    script_v1(origin, "/e5")
    p = proxy(cache=True)
    url = origin.url("/e5")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/e5", status=500, headers=[("Content-Type", "text/plain")], body="broken\n")
    r = get(p.port, url)
    assert r.status == 500 and r.body == b"broken\n"
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/500"


@pytest.mark.cuttle_only(reason="Squid 5.7 ignores stale-if-error: it answers 504 "
                         "(TCP_REFRESH_FAIL_ERR)")
def test_stale_if_error_serves_stale_when_origin_down(proxy, origin):
    script_v1(origin, "/sied", cc="max-age=1, stale-if-error=60")
    p = proxy(cache=True)
    url = origin.url("/sied")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.stop()
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"version one\n"
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_OLD/200"


@pytest.mark.cuttle_only(reason="Squid 5.7 ignores stale-if-error: it forwards the 500 "
                         "(TCP_REFRESH_FAIL_ERR)")
def test_stale_if_error_serves_stale_on_5xx(proxy, origin):
    script_v1(origin, "/sie", cc="max-age=1, stale-if-error=60")
    p = proxy(cache=True)
    url = origin.url("/sie")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/sie", status=500, headers=[("Content-Type", "text/plain")], body="broken\n")
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"version one\n"
    assert origin.count("/sie") == 2
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_OLD/200"


@pytest.mark.cuttle_only(reason="Squid 5.7 ignores stale-if-error: it forwards the 503 "
                         "(TCP_REFRESH_FAIL_ERR)")
def test_request_stale_if_error_serves_stale_on_5xx(proxy, origin):
    # RFC 5861 4: the client's stale-if-error allows the stale copy on a 5xx.
    script_v1(origin, "/rsie")
    p = proxy(cache=True)
    url = origin.url("/rsie")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/rsie", status=503, headers=[("Content-Type", "text/plain")], body="busy\n")
    r = get(p.port, url, [("Cache-Control", "stale-if-error=60")])
    assert r.status == 200 and r.body == b"version one\n"
    assert origin.count("/rsie") == 2
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_OLD/200"


def test_must_revalidate_5xx_forwarded(proxy, origin):
    script_v1(origin, "/mr5", cc="max-age=1, must-revalidate")
    p = proxy(cache=True)
    url = origin.url("/mr5")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    origin.script("/mr5", status=500, headers=[("Content-Type", "text/plain")], body="broken\n")
    r = get(p.port, url)
    assert r.status == 500 and r.body == b"broken\n"
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/500"


@pytest.mark.cuttle_only(reason="Squid 5.7 does not implement stale-while-revalidate")
def test_stale_while_revalidate_serves_stale_and_refreshes_behind(proxy, origin):
    # RFC 5861: within stale-while-revalidate the stale copy goes out at
    # once, and the proxy revalidates it by itself; the next client then
    # gets the refreshed object without waiting for the origin.
    script_v1(origin, "/swr", cc="max-age=1, stale-while-revalidate=30")
    # the 304 grants a minute, so the refreshed copy stays fresh for the
    # last request whatever the clock's second boundaries do
    origin.script("/swr", headers=[("Cache-Control", "max-age=1, stale-while-revalidate=30"),
                                   ("ETag", '"v1"'), ("Last-Modified", LM),
                                   ("Content-Type", "text/plain")],
                  body="version one\n",
                  headers_304=[("Cache-Control", "max-age=60"), ("ETag", '"v1"')])
    p = proxy(cache=True)
    url = origin.url("/swr")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"version one\n"
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"
    # the background revalidation reaches the origin as a conditional GET
    assert wait_for(lambda: origin.count("/swr") == 2, 5.0)
    assert origin.requests_for("/swr")[1].header("If-None-Match") == ['"v1"']
    time.sleep(0.5)         # the 304 is being merged into the stored copy
    r = get(p.port, url)
    assert r.status == 200 and int(r.header("Age")) < 2
    assert origin.count("/swr") == 2


def test_no_freshness_no_validator_revalidated_with_date(proxy, origin):
    # Neither freshness nor validators, only a Date: Squid keeps it anyway
    # and revalidates it with If-Modified-Since set to that Date.
    date = http_date(0)
    origin.script("/dateonly", headers=[("Date", date), ("Content-Type", "text/plain")],
                  body="x\n")
    p = proxy(cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/dateonly")).body == b"x\n"
    first, second = origin.requests_for("/dateonly")
    assert first.header("If-Modified-Since") == []
    assert second.header("If-Modified-Since") == [date]
    assert [e["code"] for e in p.access_entries(2)] == ["TCP_MISS/200", "TCP_REFRESH_MODIFIED/200"]


def test_empty_without_freshness_not_kept(proxy, origin):
    origin.script("/empty", headers=[("Content-Type", "text/plain")], body="")
    p = proxy(cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/empty")).status == 200
    assert [r.header("If-Modified-Since") for r in origin.requests_for("/empty")] == [[], []]
    assert [e["code"] for e in p.access_entries(2)] == ["TCP_MISS/200", "TCP_MISS/200"]
