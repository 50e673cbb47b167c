"""Targeted cache-control fields (RFC 9213): CDN-Cache-Control.

cuttle honours them on accel ports by default and on forward ports only
under `targeted_cache_control on`; Squid 5.7 knows neither the field nor the
directive, so the tests that turn it on are cuttle's own.  A hit is proved
by the origin not seeing the second request.
"""

import time

import pytest

from helpers import get

ON = "targeted_cache_control on\n"
NO_DIRECTIVE = pytest.mark.cuttle_only(
    reason="Squid 5.7 has no targeted_cache_control (RFC 9213 support)")


def fetch_twice(proxy, origin, path, headers, conf="", pause=0.0):
    """Two GETs of a scripted `path`; returns how many reached the origin."""
    origin.script(path, headers=headers, body="body\n")
    p = proxy(conf, cache=True)
    first = get(p.port, origin.url(path))
    assert first.status == 200
    if pause:
        time.sleep(pause)
    assert get(p.port, origin.url(path)).status == 200
    return origin.count(path), first


def test_ignored_on_a_forward_port_by_default(proxy, origin):
    n, _ = fetch_twice(proxy, origin, "/default",
                       [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")])
    assert n == 2


@NO_DIRECTIVE
def test_max_age_overrides_cache_control_no_store(proxy, origin):
    n, _ = fetch_twice(proxy, origin, "/fresh",
                       [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")], ON)
    assert n == 1


@NO_DIRECTIVE
def test_no_store_overrides_cache_control_max_age(proxy, origin):
    n, _ = fetch_twice(proxy, origin, "/nostore",
                       [("Cache-Control", "max-age=600"), ("CDN-Cache-Control", "no-store")], ON)
    assert n == 2


@NO_DIRECTIVE
def test_short_max_age_wins_over_long_cache_control(proxy, origin):
    n, _ = fetch_twice(proxy, origin, "/short",
                       [("Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "max-age=1"),
                        ("ETag", '"v1"')], ON, pause=2.2)
    assert n == 2


@NO_DIRECTIVE
def test_invalid_field_is_ignored_whole(proxy, origin):
    n, _ = fetch_twice(proxy, origin, "/invalid",
                       [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600, &&&")], ON)
    assert n == 2


@NO_DIRECTIVE
def test_field_is_passed_on_to_the_client(proxy, origin):
    _, first = fetch_twice(proxy, origin, "/passed",
                           [("CDN-Cache-Control", "max-age=600")], ON)
    assert first.header("CDN-Cache-Control") == "max-age=600"


@NO_DIRECTIVE
def test_target_list_names_the_fields(proxy, origin):
    conf = "targeted_cache_control on Acme-Cache-Control\n"
    n, _ = fetch_twice(proxy, origin, "/acme",
                       [("Cache-Control", "no-store"), ("Acme-Cache-Control", "max-age=600")], conf)
    assert n == 1
    n, _ = fetch_twice(proxy, origin, "/cdn-not-listed",
                       [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")], conf)
    assert n == 2


@NO_DIRECTIVE
def test_off_ignores_the_field(proxy, origin):
    n, _ = fetch_twice(proxy, origin, "/off",
                       [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")],
                       "targeted_cache_control off\n")
    assert n == 2
