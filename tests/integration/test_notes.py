"""Transaction annotations: the key=value pairs a helper answers become
notes that `%{key}note` / `%note` log and `note` ACLs test; clt_conn_tag=
tags the client connection so its later requests carry it; the `note`
directive adds notes at logging when its ACLs match (the first matching
value of a key wins).  One scripted helper serves as external ACL and URL
rewriter: path segments "E:k=v" are the external ACL's reply pairs, "R:k=v"
the rewriter's, and a path starting /no is refused by the external ACL."""

import base64
import os

from helpers import RawClient, build, get, wait_for, write_script

HELPER = r'''#!/usr/bin/python3
import sys
kind = sys.argv[1]
for line in sys.stdin:
    word = line.split()[0]
    path = word.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    pairs = [s[2:] for s in path.split("/") if s.startswith(kind + ":")]
    res = "ERR" if kind == "E" and path.startswith("/no") else "OK"
    if kind == "R" and "/extras" in path and len(line.split()) > 1:
        pairs.append("ex=" + line.split()[1])
    sys.stdout.write(" ".join([res] + pairs) + "\n")
    sys.stdout.flush()
'''

LOGFORMAT = "%ru %{tier}note %{clt_conn_tag}note %{rw}note %{fixed}note %{lvl}note"


def conf(workdir, extra="", rewriter=False):
    path = write_script(workdir, "note_helper.py", HELPER)
    os.chmod(workdir, 0o777)
    text = ("external_acl_type t ttl=0 negative_ttl=0 %%PATH %s E\n"
            "acl e external t\n"
            "logformat notes %s\n"
            "access_log %s/notes.log notes\n" % (path, LOGFORMAT.replace("%", "%%"),
                                                 workdir))
    if rewriter:
        text += "url_rewrite_program %s R\nurl_rewrite_children 1 startup=1 idle=1\n" % path
    return text.replace("%%", "%") + extra


def log_lines(workdir, n, name="notes.log"):
    """The first n lines of a log in workdir (waited for), without %ru."""
    path = os.path.join(workdir, name)

    def have():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            lines = f.read().splitlines()
        return lines if len(lines) >= n else None
    got = wait_for(have, 5.0)
    assert got is not None, "fewer than %d lines in %s" % (n, name)
    return [l.split(" ", 1)[1] for l in got]


ALLOW_E = "http_access allow e\nhttp_access deny all\n"


def test_helper_pairs_are_logged(proxy, origin, workdir):
    p = proxy(conf_extra=conf(workdir, rewriter=True), access=ALLOW_E)
    assert get(p.port, origin.url("/ok/E:tier=gold/R:rw=yes")).status == 200
    assert get(p.port, origin.url("/ok/plain")).status == 200
    assert log_lines(workdir, 2) == ["gold - yes - -", "- - - - -"]


def test_note_acl_sees_external_acl_annotation(proxy, origin, workdir):
    p = proxy(conf_extra=conf(workdir, "acl gold note tier gold silver\n"
                              "acl vip note -m groups vip\n"),
              access="http_access allow e gold\nhttp_access allow e vip\n"
                     "http_access deny all\n")
    assert get(p.port, origin.url("/ok/E:tier=gold")).status == 200
    assert get(p.port, origin.url("/ok/E:tier=silver")).status == 200
    assert get(p.port, origin.url("/ok/E:tier=bronze")).status == 403
    assert get(p.port, origin.url("/ok/E:groups=staff,vip")).status == 200
    assert get(p.port, origin.url("/ok/E:groups=staffvip")).status == 403
    # an ERR answer annotates too, as Squid's copyResultsFromEntry does
    assert get(p.port, origin.url("/no/E:tier=gold")).status == 403
    assert log_lines(workdir, 6)[5] == "gold - - - -"


def test_clt_conn_tag_sticks_to_the_connection(proxy, origin, workdir):
    p = proxy(conf_extra=conf(workdir), access=ALLOW_E)
    with RawClient(p.port) as c:
        c.send(build("GET", origin.url("/ok/first")))
        assert c.read_response().status == 200
        c.send(build("GET", origin.url("/ok/E:clt_conn_tag=blue")))
        assert c.read_response().status == 200
        c.send(build("GET", origin.url("/ok/later")))
        assert c.read_response().status == 200
    assert get(p.port, origin.url("/ok/other-connection")).status == 200
    assert log_lines(workdir, 4) == ["- - - - -", "- blue - - -",
                                     "- blue - - -", "- - - - -"]


def test_note_directive(proxy, origin, workdir):
    extra = ("acl gold note tier gold\n"
             "acl never src 192.0.2.1\n"
             "note fixed yes localhost\n"
             "note lvl one never\n"
             "note lvl two gold\n"
             "note lvl three all\n")
    p = proxy(conf_extra=conf(workdir, extra), access=ALLOW_E)
    assert get(p.port, origin.url("/ok/E:tier=gold")).status == 200
    assert get(p.port, origin.url("/ok/plain")).status == 200
    assert log_lines(workdir, 2) == ["gold - - yes two", "- - - yes three"]


def test_all_notes_code(proxy, origin, workdir):
    c = conf(workdir).replace(LOGFORMAT, "%ru %note")
    p = proxy(conf_extra=c + "note fixed yes\n", access=ALLOW_E)
    assert get(p.port, origin.url("/ok/E:a=1/E:b=2")).status == 200
    assert log_lines(workdir, 1) == ["a:%201%0D%0Ab:%202%0D%0Afixed:%20yes%0D%0A"]


AUTH = r'''#!/usr/bin/python3
import sys
for line in sys.stdin:
    user = line.split()[0]
    sys.stdout.write(("OK tier=gold group=staff" if user == "alice" else "ERR") + "\n")
    sys.stdout.flush()
'''


def test_auth_helper_pairs_annotate_every_request_of_the_user(proxy, origin, workdir):
    auth = write_script(workdir, "auth_helper.py", AUTH)
    extra = ("auth_param basic program %s\n"
             "auth_param basic children 1 startup=1 idle=1\n"
             "auth_param basic realm Proxy\n"
             "auth_param basic credentialsttl 1 hour\n"
             "acl users proxy_auth REQUIRED\n"
             "acl gold note tier gold\n" % auth)
    p = proxy(conf_extra=conf(workdir, extra),
              access="http_access allow users gold\nhttp_access deny all\n")
    cred = [("Proxy-Authorization",
             "Basic " + base64.b64encode(b"alice:pw").decode())]
    assert get(p.port, origin.url("/ok/one"), cred).status == 200
    assert get(p.port, origin.url("/ok/two"), cred).status == 200   # cached
    assert log_lines(workdir, 2) == ["gold - - - -", "gold - - - -"]


DIGEST = r'''#!/usr/bin/python3
import hashlib, re, sys
for line in sys.stdin:
    user, realm = re.match(r'^"([^"]*)":"([^"]*)"', line).groups()
    h = hashlib.md5(("%s:%s:pw" % (user, realm)).encode()).hexdigest()
    sys.stdout.write("OK ha1=%s tier=gold\n" % h)
    sys.stdout.flush()
'''


def test_digest_helper_pairs_annotate_but_not_ha1(proxy, origin, workdir):
    from test_digest_auth import REALM, authz, fresh_nonce
    helper = write_script(workdir, "digest_helper.py", DIGEST)
    extra = ("auth_param digest program %s\n"
             "auth_param digest children 1 startup=1 idle=1\n"
             "auth_param digest realm %s\n"
             "acl users proxy_auth REQUIRED\n"
             "logformat ha1 %%ru %%{ha1}note\n"
             "access_log %s/ha1.log ha1\n" % (helper, REALM, workdir))
    p = proxy(conf_extra=conf(workdir, extra),
              access="http_access allow users\nhttp_access deny all\n")
    url = origin.url("/ok/one")
    nonce = fresh_nonce(p, url)
    assert get(p.port, url, authz("alice", "pw", nonce, url)).status == 200
    assert get(p.port, url, authz("alice", "pw", nonce, url, nc=2)).status == 200
    # the first line is the 407 that handed out the nonce
    assert log_lines(workdir, 3)[1:] == ["gold - - - -", "gold - - - -"]
    assert log_lines(workdir, 3, "ha1.log") == ["-"] * 3


NEGOTIATE = r'''#!/usr/bin/python3
import sys
for line in sys.stdin:
    sys.stdout.write("OK token=ZmluYWw= user=carol@FAKE tier=gold\n")
    sys.stdout.flush()
'''


def test_negotiate_pairs_annotate_the_connections_requests(proxy, origin, workdir):
    helper = write_script(workdir, "negotiate_helper.py", NEGOTIATE)
    extra = ("auth_param negotiate program %s\n"
             "auth_param negotiate children 1 startup=1 idle=1\n"
             "acl users proxy_auth REQUIRED\n"
             "logformat tok %%ru %%{token}note\n"
             "access_log %s/tok.log tok\n" % (helper, workdir))
    p = proxy(conf_extra=conf(workdir, extra),
              access="http_access allow users\nhttp_access deny all\n")
    with RawClient(p.port) as c:
        c.send(build("GET", origin.url("/ok/one"),
                     [("Proxy-Authorization", "Negotiate dGVzdA==")]))
        assert c.read_response().status == 200
        c.send(build("GET", origin.url("/ok/two")))     # the connection's login
        assert c.read_response().status == 200
    assert log_lines(workdir, 2) == ["gold - - - -", "gold - - - -"]
    assert log_lines(workdir, 2, "tok.log") == ["-", "-"]


def test_extras_see_earlier_notes(proxy, origin, workdir):
    extra = ("url_rewrite_extras \"%{tier}note\"\n"
             "logformat ex %ru %{ex}note\n"
             "access_log " + workdir + "/ex.log ex\n")
    p = proxy(conf_extra=conf(workdir, extra, rewriter=True), access=ALLOW_E)
    assert get(p.port, origin.url("/ok/extras/E:tier=gold")).status == 200
    assert log_lines(workdir, 1, "ex.log") == ["gold"]
