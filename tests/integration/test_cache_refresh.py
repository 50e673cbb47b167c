"""refresh_pattern: its fields and options, proxy-revalidate and immutable,
the codes logged for client reloads, and invalidation by a POST's
Content-Location / Location (RFC 9111 4.4).

Each rule is tested both ways, with and without the option (or with two
patterns that differ only in the field under test), and a hit is proved by
the origin not seeing the request, a miss by it seeing one.  refresh_pattern
times are minutes, so the short lifetimes come from the LM-factor: a
Last-Modified N seconds before Date at P% is fresh for N*P/100 seconds.
"""

import time

import pytest

from helpers import get, http_date, log_entry

VALIDATORS = [("ETag", '"v1"'), ("Last-Modified", http_date(-3600))]
STALE_AFTER = 2.2


def rp(path, fields, options=""):
    """A refresh_pattern line matching exactly origin.test's `path`."""
    return "refresh_pattern ^http://origin\\.test:[0-9]+%s$ %s %s\n" % (path, fields, options)


def fetch_twice(proxy, origin, path, conf, headers, second=()):
    """Scripts path, starts a proxy with conf, GETs it, then GETs it again
    with `second` headers; returns (proxy, second response)."""
    origin.script(path, headers=headers, body="body\n")
    p = proxy(conf, cache=True)
    url = origin.url(path)
    assert get(p.port, url).status == 200
    r = get(p.port, url, list(second))
    assert r.status in (200, 304)
    return p, r


# ------------------------------------------------------------ pattern fields

@pytest.mark.parametrize("icase,hits", [(True, 1), (False, 2)])
def test_regex_case_insensitive_option(proxy, origin, icase, hits):
    # MIN 1 minute keeps an object without validators fresh, if the rule applies.
    conf = "refresh_pattern %s/CASE$ 1 20%% 10\n" % ("-i " if icase else "")
    p, _ = fetch_twice(proxy, origin, "/case", conf, [("Content-Type", "text/plain")])
    assert origin.count("/case") == hits
    # Without validators the stale copy is revalidated with its Date: a new 200.
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if icase else "TCP_REFRESH_MODIFIED")


@pytest.mark.parametrize("min_,hits", [(1, 1), (0, 2)])
def test_min_gives_freshness_without_validators(proxy, origin, min_, hits):
    p, _ = fetch_twice(proxy, origin, "/min", rp("/min", "%d 20%% 10" % min_),
                       [("Content-Type", "text/plain")])
    assert origin.count("/min") == hits


@pytest.mark.parametrize("pct,hits", [(50, 1), (0, 2)])
def test_percent_of_last_modified_age(proxy, origin, pct, hits):
    # Last-Modified 100 s before Date: 50% is fresh 50 s, 0% not at all.
    p, _ = fetch_twice(proxy, origin, "/pct", rp("/pct", "0 %d%% 10" % pct),
                       [("Last-Modified", http_date(-100))])
    assert origin.count("/pct") == hits


def test_heuristic_lifetime_from_last_modified(proxy, origin):
    # Last-Modified 10 s before Date at 20%: fresh 2 s, then revalidated with IMS.
    lm = http_date(-10)
    origin.script("/lmh", headers=[("Last-Modified", lm)], body="lm\n")
    p = proxy(rp("/lmh", "0 20% 10"), cache=True)
    url = origin.url("/lmh")
    get(p.port, url)
    time.sleep(1.0)
    get(p.port, url)
    assert origin.count("/lmh") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"
    time.sleep(2.0)
    r = get(p.port, url)
    assert r.status == 200 and r.body == b"lm\n"
    reqs = origin.requests_for("/lmh")
    assert len(reqs) == 2
    assert reqs[1].header("If-Modified-Since") == [lm]
    assert log_entry(p, 3)["code"] == "TCP_REFRESH_UNMODIFIED/200"


@pytest.mark.parametrize("max_,hits", [(10, 1), (0, 2)])
def test_max_caps_heuristic_lifetime(proxy, origin, max_, hits):
    # The LM-factor alone would give 720 s; MAX 0 makes it stale once aged.
    origin.script("/max", headers=[("Last-Modified", http_date(-3600))], body="m\n")
    p = proxy(rp("/max", "0 20%% %d" % max_), cache=True)
    url = origin.url("/max")
    get(p.port, url)
    time.sleep(1.5)
    get(p.port, url)
    assert origin.count("/max") == hits
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if hits == 1 else "TCP_REFRESH_UNMODIFIED")


@pytest.mark.parametrize("order,hits", [("specific-first", 1), ("catchall-first", 2)])
def test_first_matching_pattern_wins(proxy, origin, order, hits):
    specific = rp("/first", "1 20% 10")
    catchall = "refresh_pattern . 0 0% 0\n"
    conf = specific + catchall if order == "specific-first" else catchall + specific
    p, _ = fetch_twice(proxy, origin, "/first", conf, [("Content-Type", "text/plain")])
    assert origin.count("/first") == hits


# ------------------------------------------------------------------- options

@pytest.mark.parametrize("opt,hits", [("override-expire", 1), ("", 2)])
def test_override_expire(proxy, origin, opt, hits):
    # max-age=0 is stale at once; override-expire raises it to MIN (1 minute).
    p, _ = fetch_twice(proxy, origin, "/oe", rp("/oe", "1 20% 10", opt),
                       [("Cache-Control", "max-age=0")] + VALIDATORS)
    assert origin.count("/oe") == hits
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if hits == 1 else "TCP_REFRESH_UNMODIFIED")


@pytest.mark.parametrize("opt,hits", [("override-expire", 1), ("", 2)])
def test_override_expire_past_expires(proxy, origin, opt, hits):
    p, _ = fetch_twice(proxy, origin, "/oex", rp("/oex", "1 20% 10", opt),
                       [("Expires", http_date(-60))] + VALIDATORS)
    assert origin.count("/oex") == hits


@pytest.mark.parametrize("opt,hits", [("override-lastmod", 1), ("", 2)])
def test_override_lastmod(proxy, origin, opt, hits):
    # Modified 5 s ago at 20%: fresh 1 s; override-lastmod keeps MIN (1 minute).
    origin.script("/olm", headers=[("Last-Modified", http_date(-5))], body="olm\n")
    p = proxy(rp("/olm", "1 20% 10", opt), cache=True)
    url = origin.url("/olm")
    get(p.port, url)
    time.sleep(2.0)
    get(p.port, url)
    assert origin.count("/olm") == hits
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if hits == 1 else "TCP_REFRESH_UNMODIFIED")


@pytest.mark.parametrize("opt", ["reload-into-ims", ""])
@pytest.mark.parametrize("reload", [("Cache-Control", "no-cache"), ("Pragma", "no-cache")])
def test_reload_into_ims(proxy, origin, opt, reload):
    p, r = fetch_twice(proxy, origin, "/rim", rp("/rim", "0 20% 10", opt),
                       [("Cache-Control", "max-age=60")] + VALIDATORS, [reload])
    assert r.status == 200 and r.body == b"body\n"
    reqs = origin.requests_for("/rim")
    assert len(reqs) == 2
    conditional = reqs[1].has("If-None-Match") or reqs[1].has("If-Modified-Since")
    assert conditional == bool(opt)
    assert log_entry(p, 2)["code"] == ("TCP_REFRESH_UNMODIFIED/200" if opt else "TCP_MISS/200")


@pytest.mark.parametrize("opt,hits", [("ignore-reload", 1), ("", 2)])
@pytest.mark.parametrize("reload", [("Cache-Control", "no-cache"), ("Pragma", "no-cache")])
def test_ignore_reload(proxy, origin, opt, hits, reload):
    p, r = fetch_twice(proxy, origin, "/irl", rp("/irl", "0 20% 10", opt),
                       [("Cache-Control", "max-age=60")] + VALIDATORS, [reload])
    assert r.body == b"body\n"
    assert origin.count("/irl") == hits
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if hits == 1 else "TCP_MISS")


@pytest.mark.parametrize("opt,hits", [("ignore-no-store", 1), ("", 2)])
def test_ignore_no_store(proxy, origin, opt, hits):
    p, _ = fetch_twice(proxy, origin, "/ins", rp("/ins", "0 20% 10", opt),
                       [("Cache-Control", "no-store, max-age=60")] + VALIDATORS)
    assert origin.count("/ins") == hits
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if hits == 1 else "TCP_MISS")


@pytest.mark.parametrize("opt", ["ignore-private", ""])
def test_ignore_private_stores_but_revalidates(proxy, origin, opt):
    # Squid 5.7 keeps a private response under ignore-private but revalidates
    # it on every request; without the option it is not stored at all.
    p, r = fetch_twice(proxy, origin, "/ipr", rp("/ipr", "0 20% 10", opt),
                       [("Cache-Control", "private, max-age=60")] + VALIDATORS)
    assert r.status == 200 and r.body == b"body\n"
    reqs = origin.requests_for("/ipr")
    assert len(reqs) == 2
    assert reqs[1].has("If-None-Match") == bool(opt)
    assert log_entry(p, 2)["code"] == ("TCP_REFRESH_UNMODIFIED/200" if opt else "TCP_MISS/200")


@pytest.mark.parametrize("opt,hits", [("refresh-ims", 2), ("", 1)])
def test_refresh_ims(proxy, origin, opt, hits):
    p, r = fetch_twice(proxy, origin, "/rims", rp("/rims", "0 20% 10", opt),
                       [("Cache-Control", "max-age=60")] + VALIDATORS,
                       [("If-Modified-Since", http_date(-60))])
    assert r.status == 304
    assert origin.count("/rims") == hits
    assert log_entry(p, 2)["code"] == ("TCP_REFRESH_UNMODIFIED/304" if opt else "TCP_IMS_HIT/304")


@pytest.mark.parametrize("opt,hits", [("store-stale", 1), ("", 2)])
def test_store_stale(proxy, origin, opt, hits):
    # An empty response without freshness or validators is kept only with
    # store-stale; the client's max-stale then takes the stale copy.
    origin.script("/ss", headers=[("Content-Type", "text/plain")], body="")
    p = proxy(rp("/ss", "0 20% 10", opt), cache=True)
    url = origin.url("/ss")
    get(p.port, url)
    r = get(p.port, url, [("Cache-Control", "max-stale=600")])
    assert r.status == 200
    assert origin.count("/ss") == hits
    assert log_entry(p, 2)["tag"] == ("TCP_MEM_HIT" if opt else "TCP_MISS")


def stale_then_500(proxy, origin, path, cc, conf):
    """Caches path with `cc`, lets it go stale, makes the origin answer 500;
    returns (proxy, response to the next GET)."""
    origin.script(path, headers=[("Cache-Control", cc)] + VALIDATORS, body="old\n")
    p = proxy(conf, cache=True)
    url = origin.url(path)
    get(p.port, url)
    # A margin past STALE_AFTER: at 0 s stale even max-stale=0 covers it.
    time.sleep(STALE_AFTER + 1)
    origin.script(path, status=500, headers=[("Content-Type", "text/plain")], body="broken\n")
    r = get(p.port, url)
    assert origin.count(path) == 2
    return p, r


@pytest.mark.parametrize("opt,served", [("max-stale=1000", True), ("max-stale=0", False)])
def test_max_stale_option_serves_stale_on_error(proxy, origin, opt, served):
    # The option overrides max_stale (1 week) for its pattern; Squid counts
    # staleness in whole seconds and fails the validation past max-stale.
    p, r = stale_then_500(proxy, origin, "/mst", "max-age=1", rp("/mst", "0 20% 10", opt))
    if served:
        assert r.status == 200 and r.body == b"old\n"
        assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_OLD/200"
    else:
        assert r.status == 500 and r.body == b"broken\n"
        assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_ERR/500"


# --------------------------------------------------- response directives

@pytest.mark.parametrize("cc,served", [("max-age=1", True), ("max-age=1, proxy-revalidate", False)])
def test_proxy_revalidate_no_stale_on_error(proxy, origin, cc, served):
    p, r = stale_then_500(proxy, origin, "/prv", cc, rp("/prv", "0 20% 10", "max-stale=1000"))
    assert r.status == (200 if served else 500)
    assert log_entry(p, 2)["code"] == ("TCP_REFRESH_FAIL_OLD/200" if served
                                       else "TCP_REFRESH_FAIL_ERR/500")


@pytest.mark.parametrize("cc,hits", [("max-age=1", 1), ("max-age=1, proxy-revalidate", 2)])
def test_proxy_revalidate_beats_client_max_stale(proxy, origin, cc, hits):
    origin.script("/prm", headers=[("Cache-Control", cc)] + VALIDATORS, body="prm\n")
    p = proxy(cache=True)
    url = origin.url("/prm")
    get(p.port, url)
    time.sleep(STALE_AFTER)
    r = get(p.port, url, [("Cache-Control", "max-stale=60")])
    assert r.status == 200 and r.body == b"prm\n"
    assert origin.count("/prm") == hits


@pytest.mark.parametrize("cc,hits", [("max-age=60, immutable", 1), ("max-age=60", 2)])
def test_immutable_not_revalidated_on_max_age_zero(proxy, origin, cc, hits):
    # RFC 8246 2: a plain reload (max-age=0) does not revalidate it while fresh.
    p, r = fetch_twice(proxy, origin, "/imm", "", [("Cache-Control", cc)] + VALIDATORS,
                       [("Cache-Control", "max-age=0")])
    assert r.body == b"body\n"
    assert origin.count("/imm") == hits
    assert log_entry(p, 2)["code"] == ("TCP_MEM_HIT/200" if hits == 1
                                       else "TCP_REFRESH_UNMODIFIED/200")


@pytest.mark.parametrize("reload", [("Cache-Control", "no-cache"), ("Pragma", "no-cache")])
def test_immutable_force_reload_still_fetches(proxy, origin, reload):
    # A force reload is one even for immutable (RFC 8246 2); Squid 5.7 too.
    p, _ = fetch_twice(proxy, origin, "/immf", "",
                       [("Cache-Control", "max-age=60, immutable")] + VALIDATORS, [reload])
    assert origin.count("/immf") == 2
    assert log_entry(p, 2)["code"] == "TCP_MISS/200"


# ------------------------------------------- what a client reload is logged as

@pytest.mark.parametrize("hdrs,code,conditional", [
    ([("Cache-Control", "no-cache")], "TCP_MISS/200", False),
    ([("Pragma", "no-cache")], "TCP_MISS/200", False),
    ([("Cache-Control", "no-cache, max-age=0")], "TCP_MISS/200", False),
    ([("Cache-Control", "max-age=0")], "TCP_REFRESH_UNMODIFIED/200", True),
])
def test_client_reload_log_codes(proxy, origin, hdrs, code, conditional):
    # Squid 5.7 never logs TCP_CLIENT_REFRESH_MISS here: a no-cache reload
    # is an unconditional fetch logged TCP_MISS; max-age=0 revalidates.
    p, r = fetch_twice(proxy, origin, "/cr", "", [("Cache-Control", "max-age=60")] + VALIDATORS,
                       hdrs)
    assert r.status == 200 and r.body == b"body\n"
    reqs = origin.requests_for("/cr")
    assert len(reqs) == 2
    assert reqs[1].has("If-None-Match") == conditional
    assert log_entry(p, 2)["code"] == code


@pytest.mark.parametrize("cc,code", [("no-cache", "TCP_MISS/304"),
                                     ("max-age=0", "TCP_REFRESH_UNMODIFIED/304")])
def test_client_reload_with_ims_log_codes(proxy, origin, cc, code):
    ims = http_date(-60)
    p, r = fetch_twice(proxy, origin, "/cri", "", [("Cache-Control", "max-age=60")] + VALIDATORS,
                       [("Cache-Control", cc), ("If-Modified-Since", ims)])
    assert r.status == 304
    reqs = origin.requests_for("/cri")
    assert len(reqs) == 2
    # no-cache passes the client's own condition on; max-age=0 uses the cache's.
    assert reqs[1].header("If-Modified-Since") == ([ims] if cc == "no-cache" else [VALIDATORS[1][1]])
    assert log_entry(p, 2)["code"] == code


def test_client_no_cache_reload_replaces_stored_copy(proxy, origin):
    origin.script("/crr", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v1"')], body="one\n")
    p = proxy(cache=True)
    url = origin.url("/crr")
    get(p.port, url)
    origin.script("/crr", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v2"')], body="two\n")
    assert get(p.port, url, [("Cache-Control", "no-cache")]).body == b"two\n"
    assert get(p.port, url).body == b"two\n"
    assert origin.count("/crr") == 2
    assert log_entry(p, 3)["code"] == "TCP_MEM_HIT/200"


# ------------------------------------------------- invalidation by a POST

@pytest.mark.parametrize("hname,status,target,invalidated", [
    ("Content-Location", 200, "same", True),
    ("Content-Location", 200, "relative", True),
    ("Location", 201, "same", True),
    ("Location", 201, "relative", True),
    ("Location", 201, "cross", False),
    ("Content-Location", 200, "cross", False),
])
def test_post_location_invalidates_same_origin(proxy, origin, hname, status, target,
                                               invalidated):
    # RFC 9111 4.4: a same-origin Location / Content-Location in a successful
    # response to an unsafe method invalidates that URL; another origin's not.
    origin.script("/doc", headers=[("Cache-Control", "max-age=60")], body="doc\n")
    p = proxy(cache=True)
    url = origin.url("/doc")
    other = origin.url("/doc", host="other.test")
    get(p.port, url)
    get(p.port, other)
    loc = {"same": url, "relative": "/doc", "cross": other}[target]
    origin.script("/form", status=status, headers=[(hname, loc)], body="ok\n")
    assert get(p.port, origin.url("/form"), method="POST", body=b"x").status == status
    get(p.port, url)
    get(p.port, other)
    hosts = [r.header("Host")[0].split(":")[0] for r in origin.requests_for("/doc")]
    if target == "cross":
        assert hosts == ["origin.test", "other.test"]
        assert [e["tag"] for e in p.access_entries(5)[3:]] == ["TCP_MEM_HIT", "TCP_MEM_HIT"]
    else:
        assert hosts == ["origin.test", "other.test", "origin.test"]
        assert [e["tag"] for e in p.access_entries(5)[3:]] == ["TCP_MISS", "TCP_MEM_HIT"]
