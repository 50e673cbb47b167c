"""Squid's cache policy lists and reload directives: miss_access, send_hit,
store_miss, reload_into_ims and refresh_all_ims.

A hit is proved by the origin not seeing the request, a miss by it seeing
one; the status, X-Squid-Error and access.log code are Squid 5.7's.
"""

import pytest

from helpers import RawClient, get, http_date, log_entry

FRESH = [("Cache-Control", "max-age=600")]
VALIDATORS = [("ETag", '"v1"'), ("Last-Modified", http_date(-3600))]
# no acl of its own: "all" and urlpath_regex are fast in both proxies
NOT_A = "acl pa urlpath_regex ^/a$\n"


# -------------------------------------------------------------- miss_access

def test_miss_access_deny_refuses_a_miss(proxy, origin):
    origin.script("/m", headers=FRESH, body="x")
    p = proxy("miss_access deny all\n", cache=True)
    r = get(p.port, origin.url("/m"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_FORWARDING_DENIED 0"
    assert origin.count("/m") == 0
    e = log_entry(p, 1)
    assert (e["code"], e["hier"]) == ("TCP_MISS/403", "HIER_NONE/-")


def test_miss_access_deny_still_serves_hits(proxy, origin):
    # /a is fetched while allowed, then every miss is refused: /a is still
    # served from the cache, /b is not fetched.
    origin.script("/a", headers=FRESH, body="a")
    origin.script("/b", headers=FRESH, body="b")
    p = proxy(NOT_A + "miss_access deny !pa\n", cache=True)
    assert get(p.port, origin.url("/a")).status == 200
    r = get(p.port, origin.url("/a"))
    assert r.status == 200 and r.body == b"a"
    assert get(p.port, origin.url("/b")).status == 403
    assert origin.count("/a") == 1 and origin.count("/b") == 0
    assert [log_entry(p, i)["code"] for i in (1, 2, 3)] == [
        "TCP_MISS/200", "TCP_MEM_HIT/200", "TCP_MISS/403"]


def test_miss_access_allow_list_lets_misses_through(proxy, origin):
    origin.script("/a", headers=FRESH, body="a")
    p = proxy(NOT_A + "miss_access allow pa\nmiss_access deny all\n", cache=True)
    assert get(p.port, origin.url("/a")).status == 200
    assert origin.count("/a") == 1


def test_miss_access_deny_refuses_a_post(proxy, origin):
    # Squid checks it where a request is forwarded: uncachable ones too
    origin.script("/post", body="x")
    p = proxy("miss_access deny all\n", cache=True)
    r = get(p.port, origin.url("/post"), method="POST", body=b"hello")
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_FORWARDING_DENIED 0"
    assert origin.count("/post") == 0


def test_miss_access_deny_refuses_a_connect(proxy, origin):
    p = proxy("miss_access deny all\n", ssl_ports=[origin.port])
    c = RawClient(p.port)
    host = "origin.test:%d" % origin.port
    c.send("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (host, host))
    r = c.read_response("CONNECT")
    c.close()
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_FORWARDING_DENIED 0"
    assert origin.connections == 0
    e = log_entry(p, 1)
    assert (e["code"], e["method"], e["hier"]) == (
        "NONE_NONE/403", "CONNECT", "HIER_NONE/-")


def test_miss_access_deny_info_page(proxy, origin):
    origin.script("/m", headers=FRESH, body="x")
    p = proxy("acl everyone src all\ndeny_info ERR_ACCESS_DENIED everyone\n"
              "miss_access deny everyone\n", cache=True)
    r = get(p.port, origin.url("/m"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"


# ----------------------------------------------------------------- send_hit

def test_send_hit_deny_forwards_a_cached_url(proxy, origin):
    origin.script("/a", headers=FRESH, body="a")
    p = proxy(NOT_A + "send_hit deny pa\n", cache=True)
    for _ in range(3):
        r = get(p.port, origin.url("/a"))
        assert r.status == 200 and r.body == b"a"
    assert origin.count("/a") == 3
    assert [log_entry(p, i)["code"] for i in (1, 2, 3)] == ["TCP_MISS/200"] * 3
    # nothing asked the origin to validate: a plain fetch each time
    assert not any(q.has("If-None-Match") for q in origin.requests_for("/a"))


def test_send_hit_deny_still_stores(proxy, origin):
    # a request send_hit denies is a miss whose response is stored: the
    # next request, which send_hit allows, is a hit
    origin.script("/a", headers=FRESH, body="a")
    p = proxy("acl nohit req_header X-No-Hit .\nsend_hit deny nohit\n",
              cache=True)
    get(p.port, origin.url("/a"))
    get(p.port, origin.url("/a"), [("X-No-Hit", "1")])
    r = get(p.port, origin.url("/a"))
    assert r.status == 200 and r.body == b"a"
    assert origin.count("/a") == 2
    assert [log_entry(p, i)["code"] for i in (1, 2, 3)] == [
        "TCP_MISS/200", "TCP_MISS/200", "TCP_MEM_HIT/200"]


def test_send_hit_with_reply_status_acl(proxy, origin):
    # Squid checks send_hit with the stored reply: http_status matches it
    origin.script("/r", status=302, headers=FRESH + [("Location", "/x")], body="")
    origin.script("/ok", headers=FRESH, body="ok")
    p = proxy("acl ordinary http_status 200-299\nsend_hit deny !ordinary\n",
              cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/r")).status == 302
        assert get(p.port, origin.url("/ok")).status == 200
    assert origin.count("/r") == 2
    assert origin.count("/ok") == 1


# --------------------------------------------------------------- store_miss

def test_store_miss_deny_serves_but_does_not_store(proxy, origin):
    origin.script("/a", headers=FRESH, body="a")
    origin.script("/b", headers=FRESH, body="b")
    p = proxy(NOT_A + "store_miss deny pa\n", cache=True)
    for _ in range(2):
        r = get(p.port, origin.url("/a"))
        assert r.status == 200 and r.body == b"a"
        assert get(p.port, origin.url("/b")).status == 200
    assert origin.count("/a") == 2
    assert origin.count("/b") == 1
    assert [log_entry(p, i)["code"] for i in (1, 2, 3, 4)] == [
        "TCP_MISS/200", "TCP_MISS/200", "TCP_MISS/200", "TCP_MEM_HIT/200"]


def test_store_miss_with_reply_status_acl(proxy, origin):
    origin.script("/r", status=302, headers=FRESH + [("Location", "/x")], body="")
    p = proxy("acl ordinary http_status 200-299\nstore_miss deny !ordinary\n",
              cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/r")).status == 302
    assert origin.count("/r") == 2


# ------------------------------------------------- reload_into_ims, refresh_all_ims

@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize("reload", [("Cache-Control", "no-cache"), ("Pragma", "no-cache")])
def test_reload_into_ims(proxy, origin, on, reload):
    origin.script("/rim", headers=FRESH + VALIDATORS, body="body\n")
    p = proxy("reload_into_ims %s\n" % ("on" if on else "off"), cache=True)
    assert get(p.port, origin.url("/rim")).status == 200
    r = get(p.port, origin.url("/rim"), [reload])
    assert r.status == 200 and r.body == b"body\n"
    reqs = origin.requests_for("/rim")
    assert len(reqs) == 2
    assert (reqs[1].has("If-None-Match") or reqs[1].has("If-Modified-Since")) == on
    assert log_entry(p, 2)["code"] == ("TCP_REFRESH_UNMODIFIED/200" if on else "TCP_MISS/200")


def test_reload_into_ims_loses_to_ignore_reload(proxy, origin):
    origin.script("/irl", headers=FRESH + VALIDATORS, body="body\n")
    p = proxy("reload_into_ims on\nrefresh_pattern /irl$ 0 20% 10 ignore-reload\n",
              cache=True)
    get(p.port, origin.url("/irl"))
    r = get(p.port, origin.url("/irl"), [("Cache-Control", "no-cache")])
    assert r.status == 200
    assert origin.count("/irl") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


@pytest.mark.parametrize("on", [True, False])
def test_refresh_all_ims(proxy, origin, on):
    # a client If-Modified-Since on a fresh object: answered from the cache
    # (304) unless refresh_all_ims sends it to the origin first
    origin.script("/ims", headers=FRESH + VALIDATORS, body="body\n")
    p = proxy("refresh_all_ims %s\n" % ("on" if on else "off"), cache=True)
    assert get(p.port, origin.url("/ims")).status == 200
    r = get(p.port, origin.url("/ims"), [("If-Modified-Since", http_date(-60))])
    assert r.status == 304
    assert origin.count("/ims") == (2 if on else 1)
    reqs = origin.requests_for("/ims")
    if on:
        assert reqs[1].has("If-Modified-Since") or reqs[1].has("If-None-Match")
    assert log_entry(p, 2)["tag"] == ("TCP_REFRESH_UNMODIFIED" if on else "TCP_IMS_HIT")


def test_miss_access_deny_refuses_a_revalidation(proxy, origin):
    # a stale object needs the origin: that is a miss miss_access refuses,
    # logged as Squid 5.7 does (its refresh got the error as the new reply);
    # the stored object stays, to be revalidated by a request allowed out
    origin.script("/s", headers=[("Cache-Control", "max-age=0")] + VALIDATORS, body="s")
    p = proxy("acl nomiss req_header X-No-Miss .\nmiss_access deny nomiss\n", cache=True)
    assert get(p.port, origin.url("/s")).status == 200
    r = get(p.port, origin.url("/s"), [("X-No-Miss", "1")])
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_FORWARDING_DENIED 0"
    assert origin.count("/s") == 1
    r = get(p.port, origin.url("/s"))
    assert r.status == 200 and r.body == b"s"
    assert origin.requests_for("/s")[1].has("If-None-Match")
    assert [(e["code"], e["hier"]) for e in (log_entry(p, 2), log_entry(p, 3))] == [
        ("TCP_REFRESH_MODIFIED/403", "HIER_NONE/-"),
        ("TCP_REFRESH_UNMODIFIED/200", "HIER_DIRECT/127.0.0.1")]
