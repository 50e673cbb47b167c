"""A pooled server connection the origin has just closed.

An origin may close an idle keep-alive connection just as the proxy sends
the next request on it: the request gets no byte of response (EOF, or a
reset).  A request that can be replayed (idempotent method, body held in
full) is sent again, once, on a new connection, as Squid and browsers do;
one that cannot (POST) is never sent on a pooled connection in the first
place, as in Squid.  A response that had started is never retried.  The
origin here follows a plan per connection and records what each carried.
"""

import pytest

from helpers import ConnectionClosed, RawClient, build
from origin import pattern_bytes
from raworigin import RawOrigin


@pytest.fixture
def raw_origin():
    made = []

    def make(plans):
        o = RawOrigin(plans)
        made.append(o)
        return o
    yield make
    for o in made:
        o.stop()


def _two_requests(port, o, second):
    """GET /first (the origin's connection is pooled), then `second` on the
    same client connection; returns the second response (None if the proxy
    closed without one)."""
    with RawClient(port) as c:
        c.send(build("GET", o.url("/first")))
        assert c.read_response().status == 200
        c.send(second)
        try:
            return c.read_response()
        except ConnectionClosed:
            return None


def _copies(o, target):
    o.wait_connections_done(o.connections)
    return [r for r in o.requests if r.target == target]


@pytest.mark.parametrize("how", [
    "close",
    pytest.param("reset", marks=pytest.mark.cuttle_only(
        reason="Squid 5.7 answers 502 ERR_READ_ERROR when a pooled connection is reset")),
])
@pytest.mark.parametrize("method,body", [
    pytest.param("GET", None, id="GET"),
    pytest.param("DELETE", None, id="DELETE"),
    pytest.param("OPTIONS", None, id="OPTIONS"),
    pytest.param("PUT", b"put body " * 100, id="PUT"),
    # too large to keep for a replay: sent on a connection of its own
    pytest.param("PUT", pattern_bytes(100_000), id="PUT-large"),
])
def test_idempotent_request_retried_once_on_new_connection(proxy, raw_origin, how, method, body):
    o = raw_origin([["ok", how], ["ok"]])
    p = proxy()
    r = _two_requests(p.port, o, build(method, o.url("/second"), body=body))
    assert r is not None and r.status == 200
    copies = _copies(o, "/second")
    # Exactly one copy on a new connection; at most the lost one before it
    # (Squid 5.7 never sends a request with a body on a pooled connection).
    fresh = [c for c in copies if c.conn_index > 0]
    assert len(fresh) == 1, copies
    assert len(copies) <= 2 and all(c.conn_index == 0 for c in copies[:-1]), copies
    assert fresh[0].method == method
    assert fresh[0].body == (body or b"")


@pytest.mark.parametrize("body", [b"post body", b""], ids=["with-body", "empty"])
def test_post_never_replayed_after_dead_pooled_connection(proxy, raw_origin, body):
    o = raw_origin([["ok", "close"], ["ok"]])
    p = proxy()
    r = _two_requests(p.port, o, build("POST", o.url("/second"), body=body))
    # The POST went out once, on a connection of its own: the pooled one
    # it could have died on was not used for it.
    assert r is not None and r.status == 200
    (copy,) = _copies(o, "/second")
    assert copy.conn_index > 0
    assert copy.body == body


@pytest.mark.parametrize("how", ["head-part", "body-part"])
def test_response_started_then_broken_not_retried(proxy, raw_origin, how):
    o = raw_origin([["ok", how], ["ok"]])
    p = proxy()
    r = _two_requests(p.port, o, build("GET", o.url("/second")))
    if how == "head-part":
        assert r is not None and r.status == 502
    (copy,) = _copies(o, "/second")
    assert copy.conn_index == 0
    assert o.connections == 1
