"""Serving the stale copy when revalidation fails (RFC 9111 4.2.4, 4.3.3).

When the origin cannot be reached, closes or resets the connection without
answering, or answers 5xx, Squid 5.7 serves the stale copy, logged
TCP_REFRESH_FAIL_OLD with `Warning: 110` and `111`, unless the stored
response forbids stale answers (must-revalidate, proxy-revalidate, no-cache,
s-maxage), its stale-if-error period is over, or it is staler than the
refresh_pattern's max-stale=, else the max_stale directive (1 week).  The
error then goes out, logged TCP_REFRESH_FAIL_ERR.

Squid's built-in rule, used when no refresh_pattern matches, has max-stale=0
(src/RefreshPattern.h): there a copy even 1 s stale is never served on a
failure (test_cache_validate.py checks that side).  So these tests give a
`refresh_pattern .` rule, as every shipped squid.conf does.  Staleness is
counted in whole seconds, as in Squid.
"""

import time

import pytest

from helpers import get, log_entry
from raworigin import RawOrigin

DOT_RULE = "refresh_pattern . 0 20% 4320\n"
STALE_AFTER = 2.2
OLD = (b"HTTP/1.1 200 OK\r\nCache-Control: %s\r\nETag: \"v1\"\r\n"
       b"Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
       b"Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nold\n")


@pytest.fixture
def failing_origin(origin):
    """failing_origin(how, cc) -> (url, fail): an origin that answers the
    first request with "old\\n" under Cache-Control `cc`; fail() makes the
    next request fail: 500 or 503, "down" (nothing listens), "close" or
    "reset" (the connection ends without a response byte)."""
    raws = []

    def make(how, cc="max-age=1"):
        if how in ("close", "reset"):
            o = RawOrigin([["ok"], [how]], reply=OLD % cc.encode())
            raws.append(o)
            return o.url("/st"), lambda: None
        origin.script("/st", headers=[("Cache-Control", cc), ("ETag", '"v1"'),
                                      ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
                                      ("Content-Type", "text/plain")], body="old\n")

        def fail():
            if how == "down":
                origin.stop()
            else:
                origin.script("/st", status=int(how),
                              headers=[("Content-Type", "text/plain")], body="broken\n")
        return origin.url("/st"), fail
    yield make
    for o in raws:
        o.stop()


def stale_then_fail(proxy, failing_origin, how, conf=DOT_RULE, cc="max-age=1",
                    wait=STALE_AFTER):
    url, fail = failing_origin(how, cc)
    p = proxy(conf, cache=True)
    assert get(p.port, url).body == b"old\n"
    time.sleep(wait)
    fail()
    return p, get(p.port, url)


def assert_stale_served(p, r):
    assert r.status == 200 and r.body == b"old\n"
    assert int(r.header("Age")) >= 2
    warnings = r.header_all("Warning")
    assert [w.split(" ")[0] for w in warnings] == ["110", "111"], warnings
    assert '"Response is stale"' in warnings[0]
    assert '"Revalidation failed"' in warnings[1]
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_OLD/200"


@pytest.mark.parametrize("how", ["500", "503", "down", "close", "reset"])
def test_failed_revalidation_serves_stale(proxy, failing_origin, how):
    p, r = stale_then_fail(proxy, failing_origin, how)
    assert_stale_served(p, r)


@pytest.mark.parametrize("cc", ["max-age=1, must-revalidate", "max-age=1, proxy-revalidate",
                                "max-age=1, s-maxage=1", "no-cache"])
@pytest.mark.parametrize("how", ["500", "close"])
def test_stale_forbidden_by_response_not_served(proxy, failing_origin, how, cc):
    # RFC 9111 5.2.2.2, 5.2.2.8, 5.2.2.4, 5.2.2.10 (s-maxage binds a shared cache)
    p, r = stale_then_fail(proxy, failing_origin, how, cc=cc)
    assert b"old" not in r.body
    assert r.status >= 500
    assert log_entry(p, 2)["tag"] == "TCP_REFRESH_FAIL_ERR"


@pytest.mark.parametrize("how,status", [("500", 500), ("down", 504)])
def test_max_stale_directive_limits_stale_on_error(proxy, failing_origin, how, status):
    # 3+ s stale is more than max_stale allows: Squid's refreshCheck fails
    # the validation (STALE_MAX_STALE) and the error goes out.
    p, r = stale_then_fail(proxy, failing_origin, how, DOT_RULE + "max_stale 1 second\n",
                           wait=4.3)
    assert r.status == status and b"old" not in r.body
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/%d" % status


def test_refresh_pattern_max_stale_overrides_directive(proxy, failing_origin):
    conf = "refresh_pattern . 0 20% 4320 max-stale=1000\nmax_stale 1 second\n"
    p, r = stale_then_fail(proxy, failing_origin, "500", conf, wait=4.3)
    assert_stale_served(p, r)


def test_stale_if_error_over_forwards_the_error(proxy, failing_origin):
    # RFC 5861 4: past stale-if-error the stale copy SHOULD NOT be used,
    # whatever max_stale allows; Squid sets failOnValidationError.
    p, r = stale_then_fail(proxy, failing_origin, "500", cc="max-age=1, stale-if-error=1",
                           wait=4.3)
    assert r.status == 500 and r.body == b"broken\n"
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/500"
