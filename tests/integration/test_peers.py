"""Reverse proxy (accel ports, cache_peer originserver) and parent proxies:
how an accelerated request's URL is rebuilt, where a request is sent
(cache_peer_access, never_direct, allow-direct, a dead parent), the
hierarchy code access.log shows, and CONNECT through a parent.

Then how a parent is picked, as Squid 5.7's peer selection does it:
round-robin, weighted-round-robin, sourcehash, userhash (CARP has
test_carp.py), the fallback to the other parents, dead parents
(connect-fail-limit=, the probe that revives them), max-conn= and the
credentials login= sends.  The parents there are scripted origins, which
answer an absolute-URI request as a parent proxy would and record it.

Every peer line has no-digest: Squid would otherwise fetch the peer's cache
digest, and a scripted parent would record that request too.  A proxy used
as a parent gets a unique_hostname of its own: two Squids with the same
name take each other's Via for a forwarding loop."""

import base64
import os
import threading
import time

import ssl

import pytest

import peerhash
from helpers import ConnectionClosed, RawClient, build, exchange, get, log_entry, wait_for
from origin import Origin
from proxyproc import free_port


def accel(p_factory, port, opts, peers="", cache=False, extra=""):
    """A proxy with an accel port on `port` besides its forward port."""
    return p_factory("http_port 127.0.0.1:%d accel %s\n%s%s" % (port, opts, peers, extra),
                     cache=cache)


def origin_get(port, path, host, headers=()):
    """An origin-form request, as a browser sends to a reverse proxy."""
    return exchange(port, build("GET", path, [("Host", host)] + list(headers)))


def peer_line(origin, opts="", name="web"):
    return "cache_peer 127.0.0.1 parent %d 0 no-query no-digest originserver name=%s %s\n" % (
        origin.port, name, opts)


def test_defaultsite_goes_to_the_origin_peer(proxy, origin):
    aport = free_port()
    p = accel(proxy, aport, "defaultsite=origin.test:%d no-vhost" % origin.port,
              peer_line(origin))
    r = origin_get(aport, "/bytes/100?q=1", "www.example.com")
    assert r.status == 200 and len(r.body) == 100
    (req,) = origin.requests
    assert req.target == "/bytes/100?q=1"
    # Host follows the rebuilt URL, not what the browser sent
    assert req.header("Host") == ["origin.test:%d" % origin.port]
    e = log_entry(p, 1)
    # strip_query_terms (on) keeps the query out of the log
    assert e["url"] == "http://origin.test:%d/bytes/100?" % origin.port
    assert e["code"] == "TCP_MISS/200"
    assert e["hier"] == "FIRSTUP_PARENT/127.0.0.1"


def test_vhost_takes_the_site_from_host(proxy, origin):
    # accel turns vhost on, as in Squid: the Host header names the site
    aport = free_port()
    p = accel(proxy, aport, "defaultsite=unused.test", peer_line(origin))
    r = origin_get(aport, "/bytes/10", "site.test:8080")
    assert r.status == 200
    (req,) = origin.requests
    assert req.header("Host") == ["site.test:8080"]
    assert log_entry(p, 1)["url"] == "http://site.test:8080/bytes/10"


def test_vport_replaces_the_host_port(proxy, origin):
    aport = free_port()
    p = accel(proxy, aport, "vhost vport=8081", peer_line(origin))
    assert origin_get(aport, "/bytes/10", "site.test:8080").status == 200
    assert log_entry(p, 1)["url"] == "http://site.test:8081/bytes/10"


def test_forceddomain_is_the_host_the_origin_sees(proxy, origin):
    aport = free_port()
    accel(proxy, aport, "vhost", peer_line(origin, "forceddomain=backend.internal"))
    assert origin_get(aport, "/bytes/10", "site.test").status == 200
    (req,) = origin.requests
    assert req.header("Host") == ["backend.internal"]


def test_cache_peer_access_picks_the_peer_per_site(proxy, origin):
    aport = free_port()
    peers = (peer_line(origin, "forceddomain=a.internal", "a")
             + peer_line(origin, "forceddomain=b.internal", "b")
             + "acl site_a dstdomain a.test\nacl site_b dstdomain b.test\n"
             "cache_peer_access a allow site_a\ncache_peer_access a deny all\n"
             "cache_peer_access b allow site_b\ncache_peer_access b deny all\n"
             # Squid's idle pool does not tell apart two peers on one
             # address and port: a's request would reuse b's connection
             # and get b's forceddomain
             "server_persistent_connections off\n")
    accel(proxy, aport, "vhost", peers)
    assert origin_get(aport, "/bytes/1", "b.test").status == 200
    assert origin_get(aport, "/bytes/2", "a.test").status == 200
    assert [r.header("Host") for r in origin.requests] == [["b.internal"], ["a.internal"]]


def test_accel_hit_comes_from_the_cache(proxy, origin):
    aport = free_port()
    origin.script("/page", headers=[("Cache-Control", "max-age=600"),
                                    ("Content-Type", "text/html")], body=b"<p>hi</p>\n")
    p = accel(proxy, aport, "defaultsite=origin.test:%d no-vhost" % origin.port,
              peer_line(origin), cache=True)
    assert origin_get(aport, "/page", "www.example.com").body == b"<p>hi</p>\n"
    r = origin_get(aport, "/page", "www.example.com")
    assert r.body == b"<p>hi</p>\n"
    assert origin.count("/page") == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


def test_accel_without_a_peer_is_not_sent_direct(proxy, origin):
    # An accelerated request goes only to cache_peers unless the port has
    # allow-direct, as if never_direct matched it.
    aport = free_port()
    p = accel(proxy, aport, "defaultsite=origin.test:%d no-vhost" % origin.port)
    r = origin_get(aport, "/bytes/10", "www.example.com")
    assert r.status == 502
    assert origin.requests == []
    e = log_entry(p, 1)
    assert e["code"] == "TCP_MISS/502"
    assert e["hier"] == "HIER_NONE/-"


def test_accel_allow_direct_goes_to_the_site(proxy, origin):
    aport = free_port()
    p = accel(proxy, aport, "allow-direct defaultsite=origin.test:%d no-vhost" % origin.port)
    assert origin_get(aport, "/bytes/10", "www.example.com").status == 200
    assert log_entry(p, 1)["hier"] == "HIER_DIRECT/127.0.0.1"


def test_accel_origin_form_without_a_site_is_refused(proxy, origin):
    aport = free_port()
    p = accel(proxy, aport, "no-vhost", peer_line(origin))
    r = origin_get(aport, "/bytes/10", "www.example.com")
    assert r.status == 400
    assert origin.requests == []


def served(proxy, n=1, timeout=5.0):
    """The first n access.log entries of requests proxy served: the TCP
    probes a front proxy makes leave NONE_NONE/000 lines on a parent."""
    def enough():
        got = [e for e in proxy.access_entries(1, 0) if e["code"] != "NONE_NONE/000"]
        return got if len(got) >= n else None
    got = wait_for(enough, timeout)
    if got is None:
        raise AssertionError("fewer than %d served entries:\n%s" % (
            n, "\n".join(proxy.access_log_lines(0, 0))))
    return got[:n]


def parent_proxy(proxy, name, **kw):
    return proxy("unique_hostname %s\n" % name, **kw)


def test_parent_proxy_gets_the_absolute_url(proxy, origin):
    # "default" changes nothing here: Squid 5.7 takes the first parent up,
    # default or not, and logs FIRSTUP_PARENT
    parent = parent_proxy(proxy, "parent1")
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest default\n"
                  "never_direct allow all\n" % parent.port)
    r = get(front.port, origin.url("/bytes/100"))
    assert r.status == 200 and len(r.body) == 100
    assert log_entry(front, 1)["hier"] == "FIRSTUP_PARENT/127.0.0.1"
    (e,) = served(parent)
    assert e["url"] == origin.url("/bytes/100")
    assert e["hier"] == "HIER_DIRECT/127.0.0.1"
    (req,) = origin.requests
    assert req.target == "/bytes/100"
    # both proxies signed the Via
    assert len(req.header("Via")[0].split(",")) == 2


def test_never_direct_without_a_parent_fails(proxy, origin):
    p = proxy("never_direct allow all\n")
    r = get(p.port, origin.url("/bytes/10"))
    assert r.status == 502
    assert origin.requests == []
    assert log_entry(p, 1)["hier"] == "HIER_NONE/-"


def test_dead_parent_falls_back_to_direct(proxy, origin):
    dead = free_port()
    p = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest\n" % dead)
    r = get(p.port, origin.url("/bytes/10"))
    assert r.status == 200
    assert log_entry(p, 1)["hier"] == "HIER_DIRECT/127.0.0.1"


def test_connect_through_a_parent(proxy, tls_origin):
    parent = parent_proxy(proxy, "parent1", ssl_ports=[tls_origin.port])
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest\n"
                  "never_direct allow all\n" % parent.port, ssl_ports=[tls_origin.port])
    with RawClient(front.port) as c:
        c.send("CONNECT tls.test:%d HTTP/1.1\r\nHost: tls.test:%d\r\n\r\n"
               % (tls_origin.port, tls_origin.port))
        assert c.read_response("CONNECT").status == 200
        ctx = ssl.create_default_context(cafile=tls_origin.cert)
        with ctx.wrap_socket(c.sock, server_hostname="tls.test") as tls:
            tls.sendall(b"GET /bytes/10 HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    assert data.startswith(b"HTTP/1.") and data.endswith(b"0123456789")
    e = log_entry(front, 1)
    assert e["code"] == "TCP_TUNNEL/200"
    assert e["hier"] == "FIRSTUP_PARENT/127.0.0.1"
    assert served(parent)[0]["code"] == "TCP_TUNNEL/200"


@pytest.mark.cuttle_only(reason="Squid 5.7 counts the parent's refusal as a failed "
                         "connection and closes the client's without an answer")
def test_connect_refused_by_the_parent(proxy, tls_origin):
    # The parent's own refusal (403: port not in its SSL_ports) reaches the
    # client.
    parent = parent_proxy(proxy, "parent1")
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest\n"
                  "never_direct allow all\n" % parent.port, ssl_ports=[tls_origin.port])
    with RawClient(front.port) as c:
        c.send("CONNECT tls.test:%d HTTP/1.1\r\nHost: tls.test:%d\r\n\r\n"
               % (tls_origin.port, tls_origin.port))
        r = c.read_response("CONNECT")
        assert r.status == 403


def test_proxy_only_peer_responses_are_not_cached(proxy, origin):
    # cache_peer proxy-only: objects fetched from that peer are not stored
    aport = free_port()
    origin.script("/po", headers=[("Cache-Control", "max-age=600")], body=b"po\n")
    p = accel(proxy, aport, "defaultsite=origin.test:%d no-vhost" % origin.port,
              peer_line(origin, "proxy-only"), cache=True)
    for _ in range(2):
        assert origin_get(aport, "/po", "www.example.com").body == b"po\n"
    assert origin.count("/po") == 2
    assert log_entry(p, 2)["code"] == "TCP_MISS/200"


# ---- how a parent is picked ------------------------------------------------

@pytest.fixture
def parents():
    """parents(n) -> n scripted origins standing in for parent proxies."""
    made = []

    def make(n):
        new = [Origin() for _ in range(n)]
        made.extend(new)
        return new
    yield make
    for o in made:
        o.stop()


def parent_lines(ps, opts="", names=None):
    names = names or ["p%d" % (i + 1) for i in range(len(ps))]
    return "".join("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=%s %s\n"
                   % (p.port, n, opts) for p, n in zip(ps, names))


def which(ps, url):
    """The index of the parent that received a request for url."""
    got = [i for i, p in enumerate(ps) if any(r.target == url for r in p.requests)]
    assert len(got) == 1, "url %s reached parents %s" % (url, got)
    return got[0]


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


def test_round_robin_takes_turns(proxy, parents, origin):
    # Squid's getRoundRobinParent: the least used parent, the last of
    # equals.  The counts start at 0 but the first cache_peer's at 1 (for
    # the first five minutes: Squid's first reset ran when that peer was
    # the only one), so the first parent's turn comes later at first.
    ps = parents(3)
    front = proxy(parent_lines(ps, "round-robin") + "never_direct allow all\n")
    urls = [origin.url("/rr/%d" % i) for i in range(9)]
    for u in urls:
        assert get(front.port, u).status == 200
    assert [which(ps, u) for u in urls] == [2, 1, 2, 1, 0, 2, 1, 0, 2]
    assert {e["hier"] for e in front.access_entries(9)} == {"ROUNDROBIN_PARENT/127.0.0.1"}


def test_round_robin_follows_weight(proxy, parents, origin):
    # a count over weight: weight=2 takes two turns to the other's one
    # (after the first peer's head start)
    ps = parents(2)
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=p1 round-robin\n"
                  "cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=p2 round-robin "
                  "weight=2\nnever_direct allow all\n" % (ps[0].port, ps[1].port))
    urls = [origin.url("/rrw/%d" % i) for i in range(6)]
    for u in urls:
        assert get(front.port, u).status == 200
    assert [which(ps, u) for u in urls] == [1, 1, 1, 0, 1, 1]


def test_weighted_round_robin_without_icp_takes_plain_turns(proxy, parents, origin):
    # Squid weighs the count by the RTT it learns from ICP replies; with
    # no-query parents (cuttle sends no ICP) that is 0, each pick adds 1
    # whatever the weight, and the last of equals wins (the first peer
    # starts a turn ahead, as in round-robin)
    ps = parents(2)
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=p1 "
                  "weighted-round-robin\n"
                  "cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=p2 "
                  "weighted-round-robin weight=5\nnever_direct allow all\n"
                  % (ps[0].port, ps[1].port))
    urls = [origin.url("/wrr/%d" % i) for i in range(4)]
    for u in urls:
        assert get(front.port, u).status == 200
    assert [which(ps, u) for u in urls] == [1, 1, 0, 1]
    assert {e["hier"] for e in front.access_entries(4)} == {"ROUNDROBIN_PARENT/127.0.0.1"}


def test_sourcehash_keeps_a_client_on_its_parent(proxy, parents, origin):
    ps = parents(3)
    names = ["east", "west", "north"]
    front = proxy(parent_lines(ps, "sourcehash", names) + "never_direct allow all\n"
                  "acl lonet src 127.0.0.0/8\n",
                  access="http_access allow lonet\nhttp_access deny all\n")
    model = [(n, 1) for n in names]
    for client in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        want = names.index(peerhash.key_pick(model, client))
        for i in range(3):
            u = origin.url("/sh/%s/%d" % (client, i))
            with RawClient(front.port, source=client) as c:
                c.send(build("GET", u))
                assert c.read_response().status == 200
            assert which(ps, u) == want, client
    assert {e["hier"] for e in front.access_entries(9)} == {"SOURCEHASH_PARENT/127.0.0.1"}


def auth_lines(workdir):
    from test_auth import NCSA, auth_conf
    if not os.path.exists(NCSA):
        pytest.skip("basic_ncsa_auth is not installed")
    conf, _ = auth_conf(workdir)
    return conf


USERS = {"alice": "secret1", "bob": "secret2", "carol": "secret3"}


def test_userhash_keeps_a_user_on_its_parent(proxy, parents, origin, workdir):
    ps = parents(3)
    names = ["red", "green", "blue"]
    front = proxy(auth_lines(workdir) + parent_lines(ps, "userhash", names)
                  + "never_direct allow all\n",
                  access="http_access allow authenticated\nhttp_access deny all\n")
    model = [(n, 1) for n in names]
    for user, pw in USERS.items():
        want = names.index(peerhash.key_pick(model, user))
        for i in range(2):
            u = origin.url("/uh/%s/%d" % (user, i))
            r = get(front.port, u, [("Proxy-Authorization", basic(user, pw))])
            assert r.status == 200
            assert which(ps, u) == want, user
    assert {e["hier"] for e in front.access_entries(6)} == {"USERHASH_PARENT/127.0.0.1"}


def test_a_failed_parent_passes_to_the_next(proxy, parents, origin):
    # the chosen parent fails: every other usable parent follows it, in
    # file order, logged ANY_OLD_PARENT
    gone, p1, p2 = parents(3)
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=gone round-robin\n"
                  % gone.port + parent_lines([p1, p2]) + "never_direct allow all\n")
    # stopped once the front's start-up probe reached it: not known dead
    # yet (a probe that found it gone would keep it out of round-robin)
    assert wait_for(lambda: gone.connections >= 1, 5), "no probe reached it"
    gone.stop()
    assert get(front.port, origin.url("/next")).status == 200
    assert which([gone, p1, p2], origin.url("/next")) == 1
    assert log_entry(front, 1)["hier"] == "ANY_OLD_PARENT/127.0.0.1"


def dead_lines(text):
    return [l for l in text.splitlines() if "Detected DEAD Parent: a" in l]


def test_dead_parent_is_skipped_then_revived(proxy, parents, origin):
    a, b = parents(2)
    front = proxy(parent_lines([a, b], "connect-fail-limit=3", ["a", "b"])
                  + "never_direct allow all\n")
    assert get(front.port, origin.url("/d/0")).status == 200
    assert which([a, b], origin.url("/d/0")) == 0
    port = a.port
    a.stop()
    for i in range(1, 6):
        assert get(front.port, origin.url("/d/%d" % i)).status == 200
        assert which([a, b], origin.url("/d/%d" % i)) == 1
    # three failures in a row, then a is dead and no longer tried
    assert wait_for(lambda: dead_lines(front.cache_log), 5.0)
    log = front.cache_log
    assert len(dead_lines(log)) == 1
    assert log.count("TCP connection to 127.0.0.1/%d failed" % port) == 3
    # b is now the first parent up, but the idle connection the fallback
    # opened is reused, and Squid logs how a connection was first chosen
    hiers = [e["hier"].split("/")[0] for e in front.access_entries(6)]
    assert hiers == ["FIRSTUP_PARENT"] + ["ANY_OLD_PARENT"] * 5
    # back: a request asks about the dead parent, which probes it (once a
    # second at most); the probe's answer revives it
    a2 = Origin(port=port)
    try:
        url = None
        for i in range(40):
            url = origin.url("/d/back%d" % i)
            assert get(front.port, url).status == 200
            if a2.count("/d/back%d" % i):
                break
            time.sleep(0.1)
        assert a2.count(url.split(":%d" % origin.port)[1]) == 1, "a was not used again"
        log = front.cache_log
        assert "Detected REVIVED Parent: a" in log
        assert len(dead_lines(log)) == 1
    finally:
        a2.stop()


def test_refused_connects_make_a_parent_dead(proxy, tls_origin):
    # a parent's refusal of our CONNECT counts as a failed connection to it
    parent = parent_proxy(proxy, "parent1")     # the origin's port is not in its SSL_ports
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=up "
                  "connect-fail-limit=2\nnever_direct allow all\n" % parent.port,
                  ssl_ports=[tls_origin.port])
    for _ in range(2):
        with RawClient(front.port) as c:
            c.send("CONNECT tls.test:%d HTTP/1.1\r\nHost: tls.test:%d\r\n\r\n"
                   % (tls_origin.port, tls_origin.port))
            try:
                assert c.read_response("CONNECT").status == 403
            except ConnectionClosed:
                pass    # Squid closes instead of relaying the refusal
    assert wait_for(lambda: "Detected DEAD Parent: up" in front.cache_log, 5.0)


def test_max_conn_skips_a_busy_parent(proxy, parents, origin):
    a, b = parents(2)
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=a max-conn=1\n"
                  % a.port + parent_lines([b], names=["b"]) + "never_direct allow all\n")
    slow = origin.url("/slow/2")
    t = threading.Thread(target=lambda: get(front.port, slow), daemon=True)
    t.start()
    try:
        assert wait_for(lambda: a.requests, 5.0)
        # a has its one connection open: the next request goes to b
        assert get(front.port, origin.url("/mc/1")).status == 200
        assert which([a, b], origin.url("/mc/1")) == 1
    finally:
        t.join(10)
    assert which([a, b], slow) == 0
    e = [x for x in front.access_entries(2) if x["url"].endswith("/mc/1")][0]
    assert e["hier"] == "FIRSTUP_PARENT/127.0.0.1"


def login_front(proxy, ps, login, extra="", access=None):
    return proxy(parent_lines(ps, "login=" + login) + "never_direct allow all\n" + extra,
                 access=access)


def test_login_user_pass_is_sent_as_basic(proxy, parents, origin):
    (p,) = parents(1)
    front = login_front(proxy, [p], "pa%40rent:s3cret")
    u = origin.url("/login/1")
    assert get(front.port, u, [("Proxy-Authorization", basic("client", "x"))]).status == 200
    (req,) = p.requests
    # %40 unescaped; the client's own credentials are not passed on
    assert req.header("Proxy-Authorization") == [basic("pa@rent", "s3cret")]


def test_no_login_passes_nothing(proxy, parents, origin):
    (p,) = parents(1)
    front = proxy(parent_lines([p]) + "never_direct allow all\n")
    assert get(front.port, origin.url("/login/0"),
               [("Proxy-Authorization", basic("client", "x"))]).status == 200
    assert p.requests[0].header("Proxy-Authorization") == []


@pytest.mark.parametrize("mode", ["PASSTHRU", "PASS"])
def test_login_pass_forwards_the_clients_credentials(proxy, parents, origin, mode):
    # without external_acl credentials PASS is PASSTHRU
    (p,) = parents(1)
    front = login_front(proxy, [p], mode)
    assert get(front.port, origin.url("/login/2"),
               [("Proxy-Authorization", basic("client", "pw"))]).status == 200
    assert get(front.port, origin.url("/login/3")).status == 200
    assert p.requests[0].header("Proxy-Authorization") == [basic("client", "pw")]
    assert p.requests[1].header("Proxy-Authorization") == []


def test_login_star_sends_the_authenticated_user(proxy, parents, origin, workdir):
    (p,) = parents(1)
    front = login_front(proxy, [p], "*:upstream", auth_lines(workdir),
                        access="http_access allow authenticated\nhttp_access deny all\n")
    assert get(front.port, origin.url("/login/4"),
               [("Proxy-Authorization", basic("bob", "secret2"))]).status == 200
    assert p.requests[0].header("Proxy-Authorization") == [basic("bob", "upstream")]


def test_login_star_without_a_user_sends_a_dash(proxy, parents, origin):
    (p,) = parents(1)
    front = login_front(proxy, [p], "*:upstream")
    assert get(front.port, origin.url("/login/5")).status == 200
    assert p.requests[0].header("Proxy-Authorization") == [basic("-", "upstream")]


def test_login_on_an_origin_peer_is_authorization(proxy, origin):
    aport = free_port()
    accel(proxy, aport, "defaultsite=origin.test:%d no-vhost" % origin.port,
          peer_line(origin, "login=web:pw"))
    r = origin_get(aport, "/echo", "www.example.com", [("Authorization", basic("u", "p"))])
    assert r.status == 200
    (req,) = origin.requests
    # the client's Authorization goes only with PASS/PASSTHRU: ours replaces it
    assert req.header("Authorization") == [basic("web", "pw")]
    assert req.header("Proxy-Authorization") == []


@pytest.mark.parametrize("login,kept", [("", False), ("login=PASSTHRU", True)])
def test_origin_peer_gets_the_clients_authorization_only_passed(proxy, origin, login, kept):
    aport = free_port()
    accel(proxy, aport, "defaultsite=origin.test:%d no-vhost" % origin.port,
          peer_line(origin, login))
    r = origin_get(aport, "/echo", "www.example.com", [("Authorization", basic("u", "p"))])
    assert r.status == 200
    assert origin.requests[0].header("Authorization") == ([basic("u", "p")] if kept else [])


def test_login_goes_with_connect_to_the_parent(proxy, tls_origin):
    parent = Origin()
    try:
        front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest login=tun:pw\n"
                      "never_direct allow all\n" % parent.port, ssl_ports=[tls_origin.port])
        with RawClient(front.port) as c:
            c.send("CONNECT tls.test:%d HTTP/1.1\r\nHost: tls.test:%d\r\n\r\n"
                   % (tls_origin.port, tls_origin.port))
            try:
                c.read_response("CONNECT")
            except Exception:
                pass    # the scripted parent answers a CONNECT with a 200 and a body
        (req,) = parent.wait_requests(1)
        assert req.method == "CONNECT"
        assert req.header("Proxy-Authorization") == [basic("tun", "pw")]
    finally:
        parent.stop()


def test_server_name_in_the_log_is_the_peers_name(proxy, parents, origin):
    # %<A: the cache_peer's name= through a peer, the host when direct
    (p,) = parents(1)
    front = proxy("cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=upstream\n"
                  "logformat names %%<A %%Sh\n"
                  "access_log stdio:@DIR@/names.log names\n"
                  "acl direct_path urlpath_regex ^/direct\n"
                  "always_direct allow direct_path\n"
                  "never_direct allow all\n" % p.port)
    assert get(front.port, origin.url("/via-peer")).status == 200
    assert get(front.port, origin.url("/direct")).status == 200
    lines = front.access_log_lines(2, path=os.path.join(front.dir, "names.log"))
    assert lines == ["upstream FIRSTUP_PARENT", "origin.test HIER_DIRECT"]


@pytest.mark.parametrize("method,headers,via_parent", [
    ("GET", [], True),
    ("HEAD", [], False),
    ("POST", [("Content-Length", "0")], False),
    ("GET", [("Authorization", "Basic dTpw")], False),
])
def test_only_hierarchical_requests_go_to_parents(proxy, parents, origin, method, headers,
                                                  via_parent):
    # nonhierarchical_direct on (the default): Squid sends only GET (and
    # TRACE) without Authorization through the hierarchy; the rest go direct
    (p,) = parents(1)
    front = proxy(parent_lines([p]))
    u = origin.url("/h/%s" % method)
    assert get(front.port, u, headers, method=method).status == 200
    assert bool(p.requests) == via_parent
    assert bool(origin.requests) != via_parent
    hier = log_entry(front, 1)["hier"]
    assert hier == ("FIRSTUP_PARENT/127.0.0.1" if via_parent else "HIER_DIRECT/127.0.0.1")


def test_nonhierarchical_direct_off_sends_a_post_to_the_parent(proxy, parents, origin):
    (p,) = parents(1)
    front = proxy(parent_lines([p]) + "nonhierarchical_direct off\n")
    assert get(front.port, origin.url("/h/post"), [("Content-Length", "0")],
               method="POST").status == 200
    assert len(p.requests) == 1 and origin.requests == []


def test_accel_balances_origin_peers_round_robin(proxy, parents):
    # the reverse-proxy case: two backends behind an accel port
    a, b = parents(2)
    aport = free_port()
    accel(proxy, aport, "defaultsite=www.example.com no-vhost",
          "cache_peer 127.0.0.1 parent %d 0 no-query no-digest originserver round-robin "
          "name=a\ncache_peer 127.0.0.1 parent %d 0 no-query no-digest originserver "
          "round-robin name=b\n" % (a.port, b.port))
    for i in range(4):
        assert origin_get(aport, "/lb/%d" % i, "www.example.com").status == 200
    # origin-form requests; b first (a starts a turn ahead), then turns
    assert [r.target for r in a.requests] == ["/lb/2"]
    assert [r.target for r in b.requests] == ["/lb/0", "/lb/1", "/lb/3"]
