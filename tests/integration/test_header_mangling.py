"""request_header_access/_replace/_add and reply_header_access/_replace/_add.

The request rules apply to the head sent to the server (after the proxy's
own Via, X-Forwarded-For, Host, Cache-Control and Connection are in it),
the reply rules to every head sent to the client: a miss, a hit and an
error page.  The first matching line of a header's rules wins; no matching
line gives the opposite of the last one, so a lone "allow" line removes
the header where its ACLs fail.  "Other" covers only the headers Squid has
no name for; "All" is the last resort.  The origin records what it got.
"""

from helpers import PURGE_ACCESS, PURGE_CONF, RawClient, get, write_script

FRESH = [("Cache-Control", "max-age=60"), ("Content-Type", "text/plain")]
TAGGED = "acl tagged req_header X-Tag -i ^yes$\n"


def one_request(origin, path):
    (req,) = origin.requests_for(path)
    return req


def test_request_access_deny_removes_header(proxy, origin):
    p = proxy("request_header_access User-Agent deny all\n"
              "request_header_access Via deny all\n"
              "request_header_access X-Forwarded-For deny all\n")
    r = get(p.port, origin.url("/anon"),
            headers=[("User-Agent", "secret-agent"), ("X-Keep", "1")])
    assert r.status == 200
    req = one_request(origin, "/anon")
    assert not req.has("User-Agent")
    assert not req.has("Via")
    assert not req.has("X-Forwarded-For")
    assert req.header("X-Keep") == ["1"]
    assert req.has("Host")


def test_request_names_are_case_insensitive(proxy, origin):
    p = proxy("request_header_access user-agent deny all\n"
              "request_header_access x-secret deny all\n")
    get(p.port, origin.url("/case"),
        headers=[("User-Agent", "a"), ("X-SECRET", "b"), ("X-Other", "c")])
    req = one_request(origin, "/case")
    assert not req.has("User-Agent") and not req.has("X-Secret")
    assert req.header("X-Other") == ["c"]


def test_request_replace_sends_replacement_of_denied(proxy, origin):
    p = proxy("request_header_access User-Agent deny all\n"
              "request_header_replace User-Agent Mozilla/5.0 (anon)\n")
    get(p.port, origin.url("/repl"), headers=[("User-Agent", "real/1.0")])
    assert one_request(origin, "/repl").header("User-Agent") == ["Mozilla/5.0 (anon)"]


def test_replace_without_access_rules_does_nothing(proxy, origin):
    p = proxy('request_header_replace User-Agent "fake/1"\n')
    get(p.port, origin.url("/norules"), headers=[("User-Agent", "real/1.0")])
    assert one_request(origin, "/norules").header("User-Agent") == ["real/1.0"]


def test_replace_only_where_denied(proxy, origin):
    p = proxy(TAGGED + "request_header_access User-Agent deny tagged\n"
              "request_header_replace User-Agent anon\n")
    get(p.port, origin.url("/r1"), headers=[("User-Agent", "real"), ("X-Tag", "yes")])
    get(p.port, origin.url("/r2"), headers=[("User-Agent", "real")])
    assert one_request(origin, "/r1").header("User-Agent") == ["anon"]
    assert one_request(origin, "/r2").header("User-Agent") == ["real"]


def test_acl_decides_and_first_match_wins(proxy, origin):
    p = proxy(TAGGED + "request_header_access X-Secret allow tagged\n"
              "request_header_access X-Secret deny all\n")
    get(p.port, origin.url("/t1"), headers=[("X-Secret", "s"), ("X-Tag", "yes")])
    get(p.port, origin.url("/t2"), headers=[("X-Secret", "s"), ("X-Tag", "no")])
    assert one_request(origin, "/t1").header("X-Secret") == ["s"]
    assert not one_request(origin, "/t2").has("X-Secret")


def test_no_matching_line_inverts_the_last(proxy, origin):
    # as Squid (its own XXX): a lone allow line removes where it fails
    p = proxy(TAGGED + "request_header_access X-Secret allow tagged\n")
    get(p.port, origin.url("/i1"), headers=[("X-Secret", "s")])
    get(p.port, origin.url("/i2"), headers=[("X-Secret", "s"), ("X-Tag", "yes")])
    assert not one_request(origin, "/i1").has("X-Secret")
    assert one_request(origin, "/i2").header("X-Secret") == ["s"]


def test_other_covers_only_unregistered_headers(proxy, origin):
    p = proxy("request_header_access X-Mine allow all\n"
              "request_header_access Other deny all\n")
    get(p.port, origin.url("/other"),
        headers=[("X-Custom", "1"), ("X-Mine", "2"), ("Accept-Language", "fr"),
                 ("User-Agent", "ua")])
    req = one_request(origin, "/other")
    assert not req.has("X-Custom")
    assert req.header("X-Mine") == ["2"]
    assert req.header("Accept-Language") == ["fr"]
    assert req.header("User-Agent") == ["ua"]


def test_all_with_an_allow_list(proxy, origin):
    p = proxy("request_header_access Host allow all\n"
              "request_header_access Accept allow all\n"
              "request_header_access X-Mine allow all\n"
              "request_header_access All deny all\n")
    get(p.port, origin.url("/all"),
        headers=[("Accept", "text/plain"), ("User-Agent", "ua"), ("X-Mine", "m"),
                 ("X-Custom", "c"), ("Accept-Language", "fr")])
    req = one_request(origin, "/all")
    names = sorted(n.lower() for n, _ in req.headers)
    assert names == ["accept", "host", "x-mine"]


def test_request_add_literal_code_and_acl(proxy, origin):
    p = proxy(TAGGED + "request_header_add X-Lit plain-value\n"
              'request_header_add X-Client "client=%>a" all\n'
              'request_header_add X-Only-Tagged "yes" tagged\n'
              'request_header_add X-Dup "second"\n'
              'request_header_add X-Empty ""\n')
    get(p.port, origin.url("/add1"), headers=[("X-Dup", "first")])
    get(p.port, origin.url("/add2"), headers=[("X-Tag", "yes")])
    r1, r2 = one_request(origin, "/add1"), one_request(origin, "/add2")
    assert r1.header("X-Lit") == ["plain-value"]
    assert r1.header("X-Client") == ["client=127.0.0.1"]
    assert not r1.has("X-Only-Tagged")
    assert r1.header("X-Dup") == ["first", "second"]
    assert r1.header("X-Empty") == ["-"]
    assert r2.header("X-Only-Tagged") == ["yes"]


def test_added_header_escapes_access_rules(proxy, origin):
    # additions come after the access rules, as in Squid
    p = proxy("request_header_access X-Added deny all\n"
              "request_header_add X-Added new\n")
    get(p.port, origin.url("/after"), headers=[("X-Added", "old")])
    assert one_request(origin, "/after").header("X-Added") == ["new"]


def test_reply_access_and_replace_on_miss_and_hit(proxy, origin):
    origin.script("/cached", headers=FRESH + [("Server", "origin/1"), ("X-Powered-By", "php"),
                                              ("X-Keep", "k")],
                  body="body\n")
    p = proxy("reply_header_access Server deny all\n"
              "reply_header_access X-Powered-By deny all\n"
              "reply_header_replace X-Powered-By nothing\n", cache=True)
    for _ in range(2):
        r = get(p.port, origin.url("/cached"))
        assert r.status == 200 and r.body == b"body\n"
        assert r.header("Server") is None
        assert r.header("X-Powered-By") == "nothing"
        assert r.header("X-Keep") == "k"
    assert r.header("X-Cache").startswith("HIT")
    assert origin.count("/cached") == 1


def test_reply_rules_cover_proxy_fields(proxy, origin):
    p = proxy("reply_header_access X-Cache deny all\n"
              "reply_header_access Via deny all\n")
    r = get(p.port, origin.url("/pf"))
    assert r.status == 200
    assert r.header("X-Cache") is None and r.header("Via") is None
    assert r.header("X-Cache-Lookup") is not None


def test_reply_add_on_miss_hit_and_error(proxy, origin):
    origin.script("/c2", headers=FRESH, body="x")
    p = proxy("acl blocked dstdomain blocked.test\n"
              "acl okstatus http_status 200\n"
              'reply_header_add X-Seen-By "proxy for %>a"\n'
              "reply_header_add X-Status-OK yes okstatus\n",
              access="http_access deny blocked\nhttp_access allow all",
              cache=True)
    miss = get(p.port, origin.url("/c2"))
    hit = get(p.port, origin.url("/c2"))
    err = get(p.port, origin.url("/", host="blocked.test"))
    assert origin.count("/c2") == 1 and hit.header("X-Cache").startswith("HIT")
    assert err.status == 403
    for r in (miss, hit, err):
        assert r.header("X-Seen-By") == "proxy for 127.0.0.1"
    assert miss.header("X-Status-OK") == "yes" and hit.header("X-Status-OK") == "yes"
    assert err.header("X-Status-OK") is None


def test_reply_access_on_error_page(proxy, origin):
    p = proxy("acl blocked dstdomain blocked.test\n"
              "reply_header_access X-Squid-Error deny all\n",
              access="http_access deny blocked\nhttp_access allow all")
    r = get(p.port, origin.url("/", host="blocked.test"))
    assert r.status == 403
    assert r.header("X-Squid-Error") is None
    assert r.header("Content-Type").startswith("text/html")


def test_reply_rep_header_acl(proxy, origin):
    origin.script("/rh", headers=[("X-Mark", "drop"), ("X-Data", "d")])
    origin.script("/rk", headers=[("X-Data", "d")])
    p = proxy("acl marked rep_header X-Mark ^drop$\n"
              "reply_header_access X-Data deny marked\n")
    assert get(p.port, origin.url("/rh")).header("X-Data") is None
    assert get(p.port, origin.url("/rk")).header("X-Data") == "d"


def test_reply_rules_apply_to_interim_responses(proxy, origin):
    # Squid mangles the control messages it relays too
    origin.script("/hints", body="final\n",
                  interim=[(103, [("Link", "</a.css>; rel=preload"), ("X-Hint", "h")])])
    p = proxy("reply_header_access X-Hint deny all\n"
              "reply_header_add X-Added a\n")
    with RawClient(p.port) as c:
        c.send("GET %s HTTP/1.1\r\nHost: origin.test\r\n\r\n" % origin.url("/hints"))
        hints = c.read_head()
        final = c.read_head()
    assert hints.status == 103 and final.status == 200
    assert hints.header("X-Hint") is None and hints.header("Link") is not None
    assert hints.header("X-Added") == "a" and final.header("X-Added") == "a"


def test_request_rules_apply_to_revalidation(proxy, origin):
    origin.script("/reval", headers=[("Cache-Control", "max-age=0"),
                                     ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")],
                  body="v\n")
    p = proxy("request_header_access User-Agent deny all\n"
              "request_header_add X-Via-Proxy yes\n", cache=True)
    assert get(p.port, origin.url("/reval"), headers=[("User-Agent", "ua")]).status == 200
    assert get(p.port, origin.url("/reval"), headers=[("User-Agent", "ua")]).status == 200
    reqs = origin.requests_for("/reval")
    assert len(reqs) == 2 and reqs[1].has("If-Modified-Since")
    for req in reqs:
        assert not req.has("User-Agent") and req.header("X-Via-Proxy") == ["yes"]


def test_skipped_line_still_shields_its_header(proxy, origin):
    # Squid names the header before reading the rule: a line without ACLs
    # is skipped, yet X-Skip then has rules of its own and Other passes it by
    p = proxy("request_header_access X-Skip deny\n"
              "request_header_access Other deny all\n")
    get(p.port, origin.url("/skip"), headers=[("X-Skip", "1"), ("X-Gone", "2")])
    req = one_request(origin, "/skip")
    assert req.header("X-Skip") == ["1"] and not req.has("X-Gone")


def test_all_replacement_applies_to_every_denied_header(proxy, origin):
    p = proxy("request_header_access Host allow all\n"
              "request_header_access All deny all\n"
              "request_header_replace All masked\n")
    get(p.port, origin.url("/mask"), headers=[("X-A", "1"), ("Accept", "x/y")])
    req = one_request(origin, "/mask")
    assert req.header("X-A") == ["masked"] and req.header("Accept") == ["masked"]
    assert req.header("Host") != ["masked"]


ERR_HELPER = """#!/usr/bin/python3
import sys
for line in sys.stdin:
    sys.stdout.write("ERR\\n")
    sys.stdout.flush()
"""


def test_external_acl_without_cached_answer_denies(proxy, origin, workdir):
    # a fast check cannot ask the helper: Squid's answer is DUNNO, which
    # removes the field even though the helper would have said no match
    path = write_script(workdir, "err_helper.py", ERR_HELPER)
    p = proxy("external_acl_type t ttl=60 %%PATH %s\n"
              "acl e external t\n"
              "acl cached_path urlpath_regex ^/cached\n"
              "request_header_access X-Secret deny e\n" % path,
              access="http_access deny cached_path e\nhttp_access allow all")
    get(p.port, origin.url("/uncached"), headers=[("X-Secret", "s")])
    get(p.port, origin.url("/cached"), headers=[("X-Secret", "s")])
    assert not one_request(origin, "/uncached").has("X-Secret")
    # http_access asked the helper (ERR): the cached no-match lets it pass
    assert one_request(origin, "/cached").header("X-Secret") == ["s"]


def test_reply_rules_on_a_request_that_did_not_parse(proxy, origin):
    p = proxy("acl u url_regex x\nacl pth urlpath_regex x\nacl h req_header X-A x\n"
              'reply_header_add X-Seen "%ru %>a %{Host}>h %un" !u !pth !h\n'
              "reply_header_access Server deny u\n")
    with RawClient(p.port) as c:
        c.send("GARBAGE\r\n\r\n")
        r = c.read_head()
    assert r.status == 400
    assert r.header("X-Seen") is not None and "127.0.0.1" in r.header("X-Seen")


def test_reply_rules_apply_to_purge_and_trace_replies(proxy, origin):
    # replies the proxy makes itself, without an error page: a PURGE's
    # 200 and 404, and the echo of a TRACE with Max-Forwards: 0
    origin.script("/pt", headers=FRESH, body="body\n")
    p = proxy(PURGE_CONF + "reply_header_access Server deny all\n"
              "reply_header_add X-Added yes all\n", access=PURGE_ACCESS, cache=True)
    url = origin.url("/pt")
    assert get(p.port, url).status == 200
    for want in (200, 404):
        r = get(p.port, url, method="PURGE")
        assert r.status == want
        assert r.header("X-Added") == "yes", want
        assert r.header("Server") is None, want
    r = get(p.port, url, method="TRACE", headers=[("Max-Forwards", "0")])
    assert r.status == 200 and r.body.startswith(b"TRACE ")
    assert r.header("X-Added") == "yes"
    assert r.header("Server") is None
