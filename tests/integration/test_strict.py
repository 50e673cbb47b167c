"""Strict message parsing (RFC 9112): nothing ambiguous is forwarded.

A malformed request gets a 4xx error page, an access.log line, and its
connection closed, and the origin sees nothing at all.  A malformed response
gets a 502.  Cases where Squid 5.7 is lax (it forwards or repairs the
message) are marked cuttle_only: there cuttle is stricter on purpose.
"""

import pytest

from helpers import RawClient, get

CUTTLE_ONLY = pytest.mark.cuttle_only(reason="Squid 5.7 is lax here")


def head(port, lines, body=b""):
    """A POST head to origin.test with the given extra header lines."""
    text = "POST http://origin.test:%d/echo HTTP/1.1\r\nHost: origin.test:%d\r\n" % (port, port)
    return text.encode() + b"".join(l + b"\r\n" for l in lines) + b"\r\n" + body


# (id, builder(origin_port) -> request bytes, marks)
BAD_REQUESTS = [
    ("cl-and-te", lambda p: head(p, [b"Content-Length: 5", b"Transfer-Encoding: chunked"],
                                 b"5\r\nhello\r\n0\r\n\r\n"), [CUTTLE_ONLY]),
    ("two-different-cl", lambda p: head(p, [b"Content-Length: 5", b"Content-Length: 6"],
                                        b"hello!"), []),
    ("cl-list", lambda p: head(p, [b"Content-Length: 5, 6"], b"hello!"), []),
    ("cl-not-a-number", lambda p: head(p, [b"Content-Length: abc"], b"hello"), []),
    ("cl-negative", lambda p: head(p, [b"Content-Length: -5"], b"hello"), []),
    ("cl-plus-sign", lambda p: head(p, [b"Content-Length: +5"], b"hello"), []),
    ("te-not-chunked", lambda p: head(p, [b"Transfer-Encoding: gzip"], b"hello"), []),
    ("te-chunked-not-final", lambda p: head(p, [b"Transfer-Encoding: chunked, gzip"],
                                            b"5\r\nhello\r\n0\r\n\r\n"), []),
    ("obs-fold", lambda p: head(p, [b"X-Folded: one", b" two", b"Content-Length: 0"]),
     [CUTTLE_ONLY]),
    ("bare-lf", lambda p: head(p, [b"X-A: 1\nX-B: 2", b"Content-Length: 0"]), [CUTTLE_ONLY]),
    ("bare-cr", lambda p: head(p, [b"X-A: 1\rX-B: 2", b"Content-Length: 0"]), [CUTTLE_ONLY]),
    ("space-before-colon", lambda p: head(p, [b"X-Spaced : 1", b"Content-Length: 0"]), []),
    ("bad-char-in-name", lambda p: head(p, [b"X(Bad): 1", b"Content-Length: 0"]), []),
    ("ctl-in-target", lambda p: b"GET http://origin.test:%d/a\x01b HTTP/1.1\r\n"
                                b"Host: origin.test\r\n\r\n" % p, []),
    ("bad-chunk-size", lambda p: head(p, [b"Transfer-Encoding: chunked"],
                                      b"zz\r\nhello\r\n0\r\n\r\n"), [CUTTLE_ONLY]),
    ("overflowing-chunk-size", lambda p: head(p, [b"Transfer-Encoding: chunked"],
                                              b"10000000000000000000005\r\nhello\r\n0\r\n\r\n"),
     [CUTTLE_ONLY]),
    ("overlong-header-line", lambda p: head(p, [b"X-Long: " + b"a" * 70000,
                                                b"Content-Length: 0"]), []),
    ("overlong-request-line", lambda p: b"GET http://origin.test:%d/%s HTTP/1.1\r\n"
                                        b"Host: origin.test\r\n\r\n" % (p, b"a" * 70000), []),
]


# What Squid 5.7 does where the case is cuttle_only:
#   cl-and-te: forwards the request (200).
#   obs-fold, bare-lf, bare-cr: accepts and forwards the header section (200).
#   bad-chunk-size, overflowing-chunk-size: forwards the head to the origin
#   first, then resets the client connection without a response.
# Squid answers 411 to the bad Content-Length cases and 501 to an unsupported
# Transfer-Encoding; both are accepted here.

# A streaming proxy may connect upstream before it reaches a bad chunk; what
# matters there is that no request reached the origin whole.
BODY_CASES = {"bad-chunk-size", "overflowing-chunk-size"}


@pytest.mark.parametrize("case", [pytest.param(i, id=i, marks=m) for (i, _, m) in BAD_REQUESTS])
def test_malformed_request_rejected(proxy, origin, case):
    build = {i: b for (i, b, _) in BAD_REQUESTS}[case]
    p = proxy()
    with RawClient(p.port) as c:
        c.send(build(origin.port))
        r = c.read_response()
        assert 400 <= r.status < 500 or r.status == 501, r
        assert c.is_closed()
    # Squid also logs the unread body as a second, empty transaction.
    assert p.access_entries(1)[0]["status"] == r.status
    assert origin.requests == []
    if case not in BODY_CASES:
        assert origin.connections == 0


@pytest.mark.parametrize("path", [
    pytest.param("/bad/cl-te", marks=CUTTLE_ONLY),  # Squid drops Content-Length and serves it
    "/bad/two-cl",
    pytest.param("/bad/chunk-size", marks=CUTTLE_ONLY),  # Squid closes without a response
    pytest.param("/bad/http09", marks=CUTTLE_ONLY),  # Squid relays it as HTTP/0.9 (200)
])
def test_malformed_response_gives_502(proxy, origin, path):
    p = proxy()
    r = get(p.port, origin.url(path))
    assert r.status == 502
    (e,) = p.access_entries(1)
    assert e["status"] == 502


def test_valid_request_after_strict_cases_still_served(proxy, origin):
    # The same proxy keeps serving after rejecting garbage.
    p = proxy()
    with RawClient(p.port) as c:
        c.send(b"GARBAGE\r\n\r\n")
        assert c.read_response().status == 400
    assert get(p.port, origin.url("/bytes/10")).status == 200
