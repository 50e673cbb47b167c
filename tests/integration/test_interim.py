"""1xx interim responses from the origin (RFC 9110 15.2).

102 Processing and 103 Early Hints are relayed to an HTTP/1.1 client ahead
of the final response, never to an HTTP/1.0 one; they are never stored, and
their header fields do not leak into the final response, fresh or cached.
A 100 Continue is relayed whether or not the client asked for it (Expect).
"""

from helpers import RawClient

EARLY_HINTS = (103, [("Link", "</style.css>; rel=preload; as=style"), ("X-Hint", "test")])


def request(port, url, version="1.1"):
    """One GET on its own connection; returns the list of heads and the final response."""
    with RawClient(port) as c:
        c.send("GET %s HTTP/%s\r\nHost: origin.test\r\n\r\n" % (url, version))
        interim = []
        while True:
            r = c.read_head()
            if not 100 <= r.status < 200:
                break
            interim.append(r)
        length = int(r.header("Content-Length") or 0)
        r.body = c._read_exact(length)
        return interim, r


def test_103_is_relayed_with_its_headers(proxy, origin):
    origin.script("/hints", headers=[("Cache-Control", "max-age=600")], body="final\n",
                  interim=[EARLY_HINTS])
    p = proxy()
    interim, final = request(p.port, origin.url("/hints"))
    assert [r.status for r in interim] == [103]
    assert interim[0].header("Link") == "</style.css>; rel=preload; as=style"
    assert interim[0].header("X-Hint") == "test"
    assert final.status == 200 and final.body == b"final\n"
    assert final.header("X-Hint") is None


def test_102_is_relayed(proxy, origin):
    origin.script("/processing", body="final\n", interim=[(102, [])])
    p = proxy()
    interim, final = request(p.port, origin.url("/processing"))
    assert [r.status for r in interim] == [102]
    assert final.status == 200


def test_several_interim_responses_keep_their_order(proxy, origin):
    origin.script("/two", body="final\n", interim=[(102, []), EARLY_HINTS])
    p = proxy()
    interim, final = request(p.port, origin.url("/two"))
    assert [r.status for r in interim] == [102, 103]
    assert final.status == 200


def test_not_relayed_to_an_http10_client(proxy, origin):
    origin.script("/old", body="final\n", interim=[EARLY_HINTS])
    p = proxy()
    interim, final = request(p.port, origin.url("/old"), version="1.0")
    assert interim == []
    assert final.status == 200 and final.body == b"final\n"


def test_not_stored_and_headers_not_reused(proxy, origin):
    origin.script("/cached", headers=[("Cache-Control", "max-age=600")], body="final\n",
                  interim=[EARLY_HINTS])
    p = proxy(cache=True)
    interim, first = request(p.port, origin.url("/cached"))
    assert [r.status for r in interim] == [103]
    interim, hit = request(p.port, origin.url("/cached"))
    assert origin.count("/cached") == 1
    assert interim == []
    assert hit.status == 200 and hit.body == b"final\n"
    assert hit.header("X-Hint") is None and hit.header("Link") is None


def test_unsolicited_100_continue_is_relayed(proxy, origin):
    # RFC 9110 15.2: a proxy forwards the 1xx it did not ask for itself
    origin.script("/continue", body="final\n", interim=[(100, [])])
    p = proxy()
    interim, final = request(p.port, origin.url("/continue"))
    assert [r.status for r in interim] == [100]
    assert final.status == 200
