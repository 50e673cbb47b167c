"""cachemgr_passwd: cache manager actions public, protected or disabled.

A secret makes an action protected: without the password, or with a wrong
one, the answer is 401 ERR_CACHE_MGR_ACCESS_DENIED with a Basic challenge
whose realm is the action, and cache.log says which it was.  The password
comes in the URL (cache_object://HOST/ACTION@PASSWORD) or in
Authorization: Basic.  `disable` answers as for an unknown action (404
ERR_INVALID_URL); `none` keeps it public; `all` names every action; the
first line naming an action decides.  mgr:menu shows what each one is.
"""

import base64

from helpers import exchange, wait_for

ACCESS = "http_access allow localhost manager\nhttp_access deny all\n"


def mgr(port, target, headers=()):
    raw = ("GET cache_object://127.0.0.1/%s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
           "Accept: */*\r\n%sConnection: close\r\n\r\n"
           % (target, "".join("%s: %s\r\n" % h for h in headers))).encode()
    return exchange(port, raw)


def authz(user, password):
    return ("Authorization",
            "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())


def denied(r, action):
    assert r.status == 401
    assert r.header("X-Squid-Error") == "ERR_CACHE_MGR_ACCESS_DENIED 0"
    assert r.header("WWW-Authenticate") == 'Basic realm="%s"' % action


def test_protected_action_needs_its_password(proxy):
    p = proxy("cachemgr_passwd s3cret redirector\n", access=ACCESS)
    denied(mgr(p.port, "redirector"), "redirector")
    assert wait_for(lambda: "password needed for 'redirector'" in p.cache_log, 5)
    denied(mgr(p.port, "redirector@wrong"), "redirector")
    assert wait_for(lambda: "incorrect password for 'redirector'" in p.cache_log, 5)
    r = mgr(p.port, "redirector@s3cret")
    assert r.status == 200
    assert r.body == b"No redirectors defined\n"
    # other actions stay public
    assert mgr(p.port, "store_id").status == 200


def test_password_in_basic_authorization(proxy):
    p = proxy("cachemgr_passwd s3cret redirector\n", access=ACCESS)
    assert mgr(p.port, "redirector", [authz("admin", "s3cret")]).status == 200
    denied(mgr(p.port, "redirector", [authz("admin", "nope")]), "redirector")
    assert wait_for(lambda: "admin@" in p.cache_log
                    and "incorrect password for 'redirector'" in p.cache_log, 5)


def test_disabled_action_is_not_found(proxy):
    p = proxy("cachemgr_passwd disable store_id\n", access=ACCESS)
    r = mgr(p.port, "store_id")
    assert r.status == 404
    assert r.header("X-Squid-Error") == "ERR_INVALID_URL 0"
    assert mgr(p.port, "redirector").status == 200


def test_all_and_the_first_line_decides(proxy):
    p = proxy("cachemgr_passwd none redirector\ncachemgr_passwd pw all\n", access=ACCESS)
    assert mgr(p.port, "redirector").status == 200       # none: public
    denied(mgr(p.port, "store_id"), "store_id")           # all: protected
    assert mgr(p.port, "store_id@pw").status == 200


def test_menu_shows_the_protection(proxy):
    p = proxy("cachemgr_passwd pw redirector\ncachemgr_passwd disable store_id\n"
              "cachemgr_passwd none menu\n", access=ACCESS)
    r = mgr(p.port, "menu")
    assert r.status == 200
    rows = {l.split("\t")[0].strip(): l.split("\t")[2]
            for l in r.body.decode().splitlines()}
    assert rows["redirector"] == "protected"
    assert rows["store_id"] == "disabled"
    assert rows["menu"] == "public"
    assert rows["external_acl"] == "public"
