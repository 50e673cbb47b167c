"""Revalidating an object that lives only in a cache_dir.

The object is bigger than maximum_object_size_in_memory, so the disk holds
the only copy.  When it is stale and the origin answers 304, the refreshed
head must be written back to the cache_dir: the following requests are then
disk hits for the new freshness lifetime (the origin sees nothing), also
after a restart, instead of revalidating again every time.  The 304 carries
a longer max-age than the first response so the object goes stale quickly
once and then stays fresh across the restart.
"""

import os
import time

import pytest

from helpers import get, log_entry, wait_for
from origin import pattern_bytes
from test_cache_disk import cache_dir_line, cdir, object_files, wait_committed

BIG_FOR_MEMORY = ("cache_mem 8 MB\nmaximum_object_size_in_memory 64 KB\n"
                  "maximum_object_size 4 MB\n")


def refresh_proxy(proxy):
    return proxy(BIG_FOR_MEMORY + cache_dir_line("@DIR@/cache"), cache=True,
                 make_dirs=True)


def disk_state(p):
    """What the store's files look like: name -> (mtime, size)."""
    state = {}
    for f in object_files(cdir(p)):
        try:
            st = os.stat(f)
        except FileNotFoundError:
            continue
        state[f] = (st.st_mtime_ns, st.st_size)
    return state


def revalidate_once(p, origin, path, body, headers_304):
    """Stores path (max-age=1), lets it go stale and revalidates it; returns
    the number of access.log entries so far."""
    origin.script(path, headers=[("Cache-Control", "max-age=1"), ("ETag", '"v1"'),
                                 ("Content-Type", "application/octet-stream")],
                  body=body, headers_304=headers_304)
    r = get(p.port, origin.url(path))
    assert r.status == 200 and r.body == body
    assert log_entry(p, 1)["tag"] == "TCP_MISS"
    wait_committed(p, 1)
    before = disk_state(p)
    time.sleep(2.2)             # stale now
    r = get(p.port, origin.url(path))
    assert r.status == 200 and r.body == body
    assert log_entry(p, 2)["tag"] == "TCP_REFRESH_UNMODIFIED"
    reqs = origin.requests_for(path)
    assert len(reqs) == 2
    assert reqs[1].header("If-None-Match") == ['"v1"']
    # the write-back is asynchronous: wait for the file to change
    wait_for(lambda: disk_state(p) != before, 5.0)
    return 2


def check_hits_and_restart(p, origin, path, body, n):
    for i in range(2):
        r = get(p.port, origin.url(path))
        assert r.status == 200 and r.body == body
        assert log_entry(p, n + 1 + i)["tag"] == "TCP_HIT"
    assert origin.count(path) == 2
    assert len(object_files(cdir(p))) == 1
    p.restart()
    r = get(p.port, origin.url(path))
    assert r.status == 200 and r.body == body
    assert log_entry(p, n + 3)["tag"] == "TCP_HIT"
    assert origin.count(path) == 2


def test_disk_only_304_refreshes_stored_head(proxy, origin, impl):
    body = pattern_bytes(200 * 1024)
    p = refresh_proxy(proxy)
    n = revalidate_once(p, origin, "/refresh", body,
                        [("ETag", '"v1"'), ("Cache-Control", "max-age=600")])
    check_hits_and_restart(p, origin, "/refresh", body, n)
    # the stored head is the refreshed one (Squid 5.7's ufs keeps the old
    # head on disk and refreshes only the entry's timestamps)
    if impl != "squid":
        r = get(p.port, origin.url("/refresh"))
        assert r.header("Cache-Control") == "max-age=600"


def test_disk_only_304_with_a_much_longer_head(proxy, origin, impl):
    # The new head does not fit where the old one was: the store writes
    # the object anew, body and all.
    body = pattern_bytes(150 * 1024)
    p = refresh_proxy(proxy)
    n = revalidate_once(p, origin, "/grow", body,
                        [("ETag", '"v1"'), ("Cache-Control", "max-age=600"),
                         ("X-Refreshed", "r" * 3000)])
    check_hits_and_restart(p, origin, "/grow", body, n)
    if impl != "squid":
        r = get(p.port, origin.url("/grow"))
        assert r.header("X-Refreshed") == "r" * 3000


def test_disk_only_stale_served_when_origin_fails(proxy, origin):
    # A failed revalidation serves the stale copy from the cache_dir too
    # (test_cache_stale_on_error.py has the rules).
    body = pattern_bytes(200 * 1024)
    p = proxy(BIG_FOR_MEMORY + cache_dir_line("@DIR@/cache") + "refresh_pattern . 0 20% 4320\n",
              cache=True, make_dirs=True)
    origin.script("/fail", headers=[("Cache-Control", "max-age=1"), ("ETag", '"v1"'),
                                    ("Content-Type", "application/octet-stream")], body=body)
    assert get(p.port, origin.url("/fail")).body == body
    wait_committed(p, 1)
    time.sleep(2.2)
    origin.script("/fail", status=503, headers=[("Content-Type", "text/plain")], body="down\n")
    r = get(p.port, origin.url("/fail"))
    assert r.status == 200 and r.body == body
    assert log_entry(p, 2)["code"] == "TCP_REFRESH_FAIL_OLD/200"
    assert origin.count("/fail") == 2


@pytest.mark.cuttle_only(reason="Squid 5.7 does not implement stale-while-revalidate")
def test_disk_only_stale_while_revalidate_refreshes_behind(proxy, origin):
    # Within stale-while-revalidate a disk hit goes out stale at once, like
    # a memory hit, and is revalidated behind the client's back: the 304
    # is written back to the cache_dir, so the next request is a fresh hit.
    body = pattern_bytes(200 * 1024)
    p = refresh_proxy(proxy)
    origin.script("/swr", headers=[("Cache-Control", "max-age=1, stale-while-revalidate=30"),
                                   ("ETag", '"v1"'),
                                   ("Content-Type", "application/octet-stream")],
                  body=body,
                  headers_304=[("Cache-Control", "max-age=600"), ("ETag", '"v1"')])
    assert get(p.port, origin.url("/swr")).body == body
    wait_committed(p, 1)
    before = disk_state(p)
    time.sleep(2.2)             # stale, within stale-while-revalidate
    r = get(p.port, origin.url("/swr"))
    assert r.status == 200 and r.body == body
    assert log_entry(p, 2)["code"] == "TCP_HIT/200"
    # the background revalidation reaches the origin as a conditional GET
    assert wait_for(lambda: origin.count("/swr") == 2, 5.0)
    assert origin.requests_for("/swr")[1].header("If-None-Match") == ['"v1"']
    assert wait_for(lambda: disk_state(p) != before, 5.0)
    r = get(p.port, origin.url("/swr"))
    assert r.status == 200 and r.body == body
    assert r.header("Cache-Control") == "max-age=600"
    assert log_entry(p, 3)["code"] == "TCP_HIT/200"
    assert origin.count("/swr") == 2
