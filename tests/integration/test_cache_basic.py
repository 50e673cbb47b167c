"""Memory cache basics: a hit is proved by the origin not seeing the request.

Every proxy here runs with caching on (`cache=True`) and no cache_dir, so
what is cached lives in memory (Squid needs cache_mem > 0, its default, and
caches only what fits maximum_object_size_in_memory).  The origin's scripted
paths count what reaches them; the access log shows how each request was
served.
"""

import socket
import time

import pytest

from helpers import get, log_entry, wait_cached, wait_for
from origin import pattern_bytes

FRESH = [("Cache-Control", "max-age=60"), ("Content-Type", "text/plain")]


def test_memory_hit_not_seen_by_origin(proxy, origin):
    origin.script("/hit", headers=FRESH, body="cached body\n")
    p = proxy(cache=True)
    r1 = get(p.port, origin.url("/hit"))
    assert r1.status == 200 and r1.body == b"cached body\n"
    assert r1.header("X-Cache") == "MISS from testproxy"
    r2 = get(p.port, origin.url("/hit"))
    assert r2.status == 200 and r2.body == b"cached body\n"
    assert origin.count("/hit") == 1
    assert r2.header("X-Cache") == "HIT from testproxy"
    assert r2.header("Age") is not None and int(r2.header("Age")) >= 0
    assert r2.header("Content-Length") == str(len(b"cached body\n"))
    first, second = log_entry(p, 1), log_entry(p, 2)
    assert (first["code"], first["hier_code"]) == ("TCP_MISS/200", "HIER_DIRECT")
    assert (second["code"], second["hier"]) == ("TCP_MEM_HIT/200", "HIER_NONE/-")


def test_age_grows_while_cached(proxy, origin):
    origin.script("/age", headers=FRESH, body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/age"))
    time.sleep(2.1)
    r = get(p.port, origin.url("/age"))
    assert origin.count("/age") == 1
    assert int(r.header("Age")) >= 2


def test_age_from_origin_counts_toward_freshness(proxy, origin):
    # RFC 9111 4.2.3: an Age of 100 s on arrival is already past max-age=60.
    origin.script("/old", headers=[("Cache-Control", "max-age=60"), ("Age", "100")], body="x",
                  validate=False)
    p = proxy(cache=True)
    get(p.port, origin.url("/old"))
    get(p.port, origin.url("/old"))
    assert origin.count("/old") == 2


def test_age_from_origin_added_on_hit(proxy, origin):
    origin.script("/aged", headers=[("Cache-Control", "max-age=600"), ("Age", "100")], body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/aged"))
    r = get(p.port, origin.url("/aged"))
    assert origin.count("/aged") == 1
    assert 100 <= int(r.header("Age")) < 110


def test_head_answered_from_cached_get(proxy, origin):
    origin.script("/head", headers=FRESH, body="twelve bytes")
    p = proxy(cache=True)
    get(p.port, origin.url("/head"))
    r = get(p.port, origin.url("/head"), method="HEAD")
    assert r.status == 200 and r.body == b""
    assert r.header("Content-Length") == "12"
    assert origin.count("/head") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


def test_head_miss_then_get_gets_body(proxy, origin):
    origin.script("/headfirst", headers=FRESH, body="twelve bytes")
    p = proxy(cache=True)
    r = get(p.port, origin.url("/headfirst"), method="HEAD")
    assert r.status == 200 and r.header("Content-Length") == "12"
    r = get(p.port, origin.url("/headfirst"))
    assert r.status == 200 and r.body == b"twelve bytes"
    assert [q.method for q in origin.requests_for("/headfirst")][-1] == "GET"


def test_cache_deny_acl_keeps_uncached(proxy, origin):
    origin.script("/nc/a", headers=FRESH, body="x")
    origin.script("/ok/a", headers=FRESH, body="x")
    p = proxy("acl nocache urlpath_regex ^/nc/\ncache deny nocache\n", cache=True)
    for _ in range(2):
        get(p.port, origin.url("/nc/a"))
        get(p.port, origin.url("/ok/a"))
    assert origin.count("/nc/a") == 2
    assert origin.count("/ok/a") == 1


def test_workers_share_the_memory_cache(proxy, origin, impl):
    origin.script("/shared", headers=FRESH, body="shared\n")
    p = proxy(workers=2, cache=True)
    assert get(p.port, origin.url("/shared")).status == 200
    # cuttle stores the object before the client has its last byte; Squid
    # may finish storing just after, so another worker may look in between
    if impl == "squid":
        assert wait_cached(p.port, origin.url("/shared"))
    n = len(p.access_entries(2))
    for _ in range(20):
        r = get(p.port, origin.url("/shared"))
        assert r.status == 200 and r.body == b"shared\n"
    assert origin.count("/shared") == 1
    entries = p.access_entries(n + 20)
    assert [e["tag"] for e in entries[n:n + 20]] == ["TCP_MEM_HIT"] * 20


def test_stored_when_the_origin_is_done_not_when_the_client_is(proxy, origin):
    # The object is whole once the origin has sent it: a second client gets
    # a hit while the first still reads (read_ahead_gap lets the proxy take
    # the whole body from the origin while the client stalls).  cuttle used
    # to store only after its last write to the first client, so another
    # request in between was a miss.
    body = pattern_bytes(12 * 1024 * 1024)   # more than the kernel's buffers take
    origin.script("/slowreader", headers=[("Cache-Control", "max-age=60"),
                                          ("Content-Type", "application/octet-stream")],
                  body=body)
    p = proxy("maximum_object_size_in_memory 16 MB\nmaximum_object_size 16 MB\nread_ahead_gap 32 MB\n", cache=True)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(10)
    slow.connect(("127.0.0.1", p.port))
    try:
        url = origin.url("/slowreader")
        slow.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                      % (url, url.split("/")[2])).encode())
        assert slow.recv(1024).startswith(b"HTTP/1.1 200")
        assert wait_for(lambda: origin.count("/slowreader") == 1, 5)
        assert wait_cached(p.port, url, timeout=5), "not stored while the first client stalls"
        r = get(p.port, url)
        assert r.status == 200 and r.body == body
        assert r.header("X-Cache") == "HIT from testproxy"
        assert origin.count("/slowreader") == 1
        got = 1024
        while got < len(body):          # the stalled client still gets it all
            data = slow.recv(65536)
            assert data
            got += len(data)
    finally:
        slow.close()


def test_large_object_hit_byte_exact(proxy, origin):
    body = pattern_bytes(2 * 1024 * 1024)
    origin.script("/large", headers=[("Cache-Control", "max-age=60"),
                                     ("Content-Type", "application/octet-stream")], body=body)
    p = proxy("maximum_object_size_in_memory 4 MB\n", cache=True)
    assert get(p.port, origin.url("/large")).body == body
    r = get(p.port, origin.url("/large"))
    assert r.status == 200 and r.body == body
    assert origin.count("/large") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


def test_object_over_memory_limit_not_cached(proxy, origin):
    body = pattern_bytes(200 * 1024)
    origin.script("/toobig", headers=FRESH, body=body)
    p = proxy("maximum_object_size_in_memory 64 KB\n", cache=True)
    assert get(p.port, origin.url("/toobig")).body == body
    assert get(p.port, origin.url("/toobig")).body == body
    assert origin.count("/toobig") == 2
    assert log_entry(p, 2)["tag"] == "TCP_MISS"


@pytest.mark.cuttle_only(reason="Squid 5.7 does not send Cache-Status (RFC 9211)")
def test_cache_status_header_on_hit(proxy, origin):
    origin.script("/cs", headers=FRESH, body="x")
    p = proxy(cache=True)
    get(p.port, origin.url("/cs"))
    r = get(p.port, origin.url("/cs"))
    assert origin.count("/cs") == 1
    assert r.header("Cache-Status").replace(" ", "").startswith("testproxy;hit")


def _leave_early(p, url, nbytes=65536):
    """GET url through the proxy, read part of the body, then hang up."""
    import socket
    s = socket.create_connection(("127.0.0.1", p.port), timeout=10)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % url.encode())
        got = 0
        while got < nbytes:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    finally:
        s.close()


def test_quick_abort_finishes_for_the_cache(proxy, origin):
    # quick_abort_min -1 KB: a miss whose client leaves is still fetched
    # whole and stored, so the next client gets a hit.
    block = pattern_bytes(64 * 1024)
    origin.script("/qa", headers=FRESH, generate=(block, 64))    # 4 MiB
    p = proxy("quick_abort_min -1 KB\nmaximum_object_size_in_memory 8 MB\n",
              cache=True)
    url = origin.url("/qa")
    _leave_early(p, url)
    # the 4 MiB finish in the background meanwhile
    assert wait_cached(p.port, url), p.diagnostics(10)
    r = get(p.port, url)
    assert r.status == 200 and r.body == block * 64
    assert r.header("X-Cache").startswith("HIT")
    assert origin.count("/qa") == 1
    # the client that left is logged as Squid logs it
    assert log_entry(p, 1)["code"] == "TCP_MISS_ABORTED/200"


def test_quick_abort_default_abandons_large_miss(proxy, origin):
    # Defaults (16 KB / 16 KB / 95%): most of a large body still to come,
    # so the fetch stops with the client and nothing is stored.
    block = pattern_bytes(64 * 1024)
    origin.script("/qb", headers=FRESH, generate=(block, 64))
    p = proxy("maximum_object_size_in_memory 8 MB\n", cache=True)
    url = origin.url("/qb")
    _leave_early(p, url)
    time.sleep(1.0)
    r = get(p.port, url)
    assert r.status == 200 and r.body == block * 64
    assert origin.count("/qb") == 2


def test_minimum_object_size_keeps_small_objects_out(proxy, origin):
    origin.script("/tiny", headers=FRESH, body="tiny\n")
    p = proxy("minimum_object_size 100 bytes\n", cache=True)
    for _ in range(2):
        assert get(p.port, origin.url("/tiny")).body == b"tiny\n"
    assert origin.count("/tiny") == 2
    assert [e["tag"] for e in p.access_entries(2)] == ["TCP_MISS", "TCP_MISS"]
