"""Vary (RFC 9111 4.1): which requests a stored variant serves.

Accept-Language and Accept-Encoding are lists of case-insensitive tokens
ranked by qvalue, so cuttle keys them by their members, not their spelling;
Accept-Language keeps its order, which servers may read as a preference
among equal qvalues (RFC 9110 12.5.4).
A stored variant proves itself by the origin not seeing the second request.
Squid 5.7 keys on the spelling, hence cuttle_only.
"""

import pytest

from helpers import get

VARY_LANG = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")]
VARY_ENC = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")]
SPELLING = "Squid 5.7 keys a variant on the exact field spelling"


def origin_count_after(proxy, origin, path, headers, first, second):
    """Fetches path with request headers `first` then `second`; returns the origin count."""
    origin.script(path, headers=headers, body="body\n")
    p = proxy(cache=True)
    for req in (first, second):
        r = get(p.port, origin.url(path), req)
        assert r.status == 200 and r.body == b"body\n"
    return origin.count(path)


def test_language_order_matters(proxy, origin):
    # RFC 9110 12.5.4: servers may rank equal qvalues by their order
    assert origin_count_after(proxy, origin, "/lo", VARY_LANG,
                              [("Accept-Language", "en, de")],
                              [("Accept-Language", "de, en")]) == 2


@pytest.mark.cuttle_only(reason=SPELLING)
def test_language_case_does_not_matter(proxy, origin):
    assert origin_count_after(proxy, origin, "/lc", VARY_LANG,
                              [("Accept-Language", "en, de")],
                              [("Accept-Language", "eN, De")]) == 1


@pytest.mark.cuttle_only(reason=SPELLING)
def test_language_explicit_q1_is_the_default(proxy, origin):
    assert origin_count_after(proxy, origin, "/lq", VARY_LANG,
                              [("Accept-Language", "en, fr;q=0.5")],
                              [("Accept-Language", "en;q=1.0, fr ; q=0.5")]) == 1


@pytest.mark.cuttle_only(reason=SPELLING)
def test_language_whitespace_does_not_matter(proxy, origin):
    assert origin_count_after(proxy, origin, "/ls", VARY_LANG,
                              [("Accept-Language", "en, de")],
                              [("Accept-Language", " en ,   de")]) == 1


def test_language_other_preference_is_miss(proxy, origin):
    assert origin_count_after(proxy, origin, "/lp", VARY_LANG,
                              [("Accept-Language", "en, de;q=0.5")],
                              [("Accept-Language", "en;q=0.5, de")]) == 2


@pytest.mark.cuttle_only(reason=SPELLING)
def test_encoding_order_and_case_do_not_matter(proxy, origin):
    assert origin_count_after(proxy, origin, "/eo", VARY_ENC,
                              [("Accept-Encoding", "gzip, br")],
                              [("Accept-Encoding", "BR, gzip")]) == 1


def test_other_field_order_matters(proxy, origin):
    vary_ua = [("Cache-Control", "max-age=60"), ("Vary", "User-Agent")]
    assert origin_count_after(proxy, origin, "/uo", vary_ua,
                              [("User-Agent", "a, b")],
                              [("User-Agent", "b, a")]) == 2
