"""forward_max_tries and connect_retries: how hard forwarding tries.

forward_max_tries counts every connection a request tries (each address of
each path, a pooled connection too, and the new one after a pooled
connection was lost); at the limit the last failure is the answer.
connect_retries opens one connection again after a failure, 50 ms apart
within connect_timeout, without counting as tries; Squid 5.7 opens it
connect_retries times in all (once for 0 and 1).
"""

import threading
import time

import pytest

from helpers import RawClient, build, get, wait_for
from origin import Origin, closed_port
from raworigin import RawOrigin


def _proxy_with_addresses(proxy, conf):
    """A proxy whose hosts_file gives multi.test three addresses, only the
    last of which (127.0.0.1, where the origins listen) answers."""
    p = proxy(conf, start=False)
    with open(p.dir + "/hosts", "a") as f:
        f.write("127.0.0.2 multi.test\n127.0.0.3 multi.test\n127.0.0.1 multi.test\n")
    return p.start()


@pytest.mark.parametrize("tries,status", [(1, 503), (2, 200), (None, 200)])
def test_forward_max_tries_limits_paths(proxy, origin, tries, status):
    # Two parents: the first one chosen (round-robin) went away after the
    # start-up probe, so it is not known dead; the second one answers.
    gone, up = Origin(), Origin()
    try:
        p = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=gone round-robin\n"
                  "cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=up\n"
                  "never_direct allow all\n" % (gone.port, up.port)
                  + ("" if tries is None else "forward_max_tries %d\n" % tries))
        assert wait_for(lambda: gone.connections >= 1, 5), "no probe reached it"
        gone.stop()
        r = get(p.port, origin.url("/next"))
        assert r.status == status
        if status == 503:
            assert r.header("X-Squid-Error") == "ERR_CONNECT_FAIL 111"
            assert up.requests == []
        else:
            assert [q.target for q in up.requests] == [origin.url("/next")]
    finally:
        up.stop()


@pytest.mark.cuttle_only(reason="Squid 5.7's hosts_file keeps one address per name (the last)")
@pytest.mark.parametrize("tries,status", [(2, 503), (3, 200), (None, 200)])
def test_forward_max_tries_limits_addresses(proxy, origin, tries, status):
    p = _proxy_with_addresses(proxy, "" if tries is None else "forward_max_tries %d\n" % tries)
    r = get(p.port, "http://multi.test:%d/" % origin.port)
    assert r.status == status
    if status == 503:
        assert r.header("X-Squid-Error") == "ERR_CONNECT_FAIL 111"
        assert origin.connections == 0
    else:
        assert len(origin.requests) == 1


def _open_later(port, delay, started):
    time.sleep(delay)
    started.append(Origin(port=port))


def test_connect_retries_reopens_until_the_server_listens(proxy):
    # Nothing listens at first; the origin comes 0.2 s later, within the
    # ten opens 50 ms apart.  forward_max_tries 1: reopening is no new try.
    port = closed_port()
    p = proxy("connect_retries 10\nforward_max_tries 1\n")
    started = []
    t = threading.Thread(target=_open_later, args=(port, 0.2, started))
    t.start()
    try:
        r = get(p.port, "http://origin.test:%d/" % port)
    finally:
        t.join(5)
        for o in started:
            o.stop()
    assert r.status == 200
    assert len(started[0].requests) == 1


@pytest.mark.parametrize("retries,least", [(0, 0.0), (5, 0.2)])
def test_connect_retries_pause_between_opens(proxy, retries, least):
    # a port that never listens: the answer waits for every pause
    p = proxy("connect_retries %d\n" % retries)
    t0 = time.monotonic()
    r = get(p.port, "http://origin.test:%d/" % closed_port())
    took = time.monotonic() - t0
    assert r.status == 503
    assert r.header("X-Squid-Error") == "ERR_CONNECT_FAIL 111"
    assert least <= took < least + 2.0


def test_lost_pooled_connection_not_retried_at_the_limit(proxy):
    # the pooled connection was the one try forward_max_tries 1 allows
    o = RawOrigin([["ok", "close"], ["ok"]])
    try:
        p = proxy("forward_max_tries 1\n")
        with RawClient(p.port) as c:
            c.send(build("GET", o.url("/first")))
            assert c.read_response().status == 200
            c.send(build("GET", o.url("/second")))
            r = c.read_response()
        assert r.status >= 500
        o.wait_connections_done(o.connections)
        assert o.connections == 1
    finally:
        o.stop()
