"""The maxconn ACL: "acl NAME maxconn N" matches a request whose client
address has more than N connections open (Squid 5.7's ACLMaxConnection:
clientdbEstablished(src) > N, per kid; cuttle counts per worker, these
tests run one).  With client_db off it never matches, and Squid says so
in cache.log at start.
"""

from helpers import RawClient, wait_for

CONF = """\
acl over maxconn 1
http_access deny over
http_access allow all
"""


def request(c, url):
    c.send("GET %s HTTP/1.1\r\nHost: origin.test\r\n\r\n" % url)
    return c.read_response().status


def test_maxconn_denies_past_the_limit(proxy, origin):
    p = proxy(CONF, access="")
    url = origin.url("/bytes/10")
    first = RawClient(p.port, timeout=10.0)
    assert request(first, url) == 200             # one open: 1 > 1 is false
    second = RawClient(p.port, timeout=10.0)
    assert request(second, url) == 403            # two open
    assert request(first, url) == 403             # the first too, now
    second.close()
    # once the proxy has seen the second go, the first is alone again
    assert wait_for(lambda: request(first, url) == 200, 10, interval=0.2)
    first.close()


def test_maxconn_without_client_db_never_matches(proxy, origin):
    p = proxy(CONF + "client_db off\n", access="")
    url = origin.url("/bytes/10")
    clients = [RawClient(p.port, timeout=10.0) for _ in range(3)]
    for c in clients:
        assert request(c, url) == 200
    for c in clients:
        c.close()
    assert "'maxconn' ACL (over) won't work with client_db disabled" in \
        p.cache_log + p.stderr
