"""ACL types req_mime_type, rep_mime_type and localip, as Squid 5.7 has
them: the mime types are regular expressions (-i allowed) over the
request's or the reply's Content-Type, an absent one being "" (Squid's
ACLRequestMIMEType.h and ACLReplyMIMEType.h); localip matches the address
the client connected to (the original destination when intercepted).
"""

from helpers import get

ALLOW = "http_access allow all\n"


def test_rep_mime_type_in_http_reply_access(proxy, origin):
    p = proxy("acl video rep_mime_type -i ^video/\n"
              "acl untyped rep_mime_type ^$\n"
              "http_reply_access deny video\n"
              "http_reply_access deny untyped\n"
              "http_reply_access allow all\n" + ALLOW, access="")
    origin.script("/v", headers=[("Content-Type", "Video/MP4")], body="v")
    origin.script("/t", headers=[("Content-Type", "text/plain")], body="t")
    origin.script("/n", body="n")
    assert get(p.port, origin.url("/v")).status == 403
    assert get(p.port, origin.url("/t")).status == 200
    assert get(p.port, origin.url("/n")).status == 403


def test_req_mime_type_in_http_access(proxy, origin):
    p = proxy("acl form req_mime_type ^application/x-www-form-urlencoded$\n"
              "acl untyped req_mime_type ^$\n"
              "acl POST method POST\n"
              "http_access deny form\n"
              "http_access deny POST untyped\n" + ALLOW, access="")
    origin.script("/post", body="ok")
    url = origin.url("/post")
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    json = [("Content-Type", "application/json")]
    assert get(p.port, url, headers=form, method="POST", body=b"a=1").status == 403
    assert get(p.port, url, headers=json, method="POST", body=b"{}").status == 200
    assert get(p.port, url, method="POST", body=b"x").status == 403
    assert get(p.port, url).status == 200      # a GET has none: "" but not POST


def test_localip(proxy, origin):
    p = proxy("acl here localip 127.0.0.1\n"
              "acl elsewhere localip 10.0.0.0/8\n"
              "acl blocked urlpath_regex ^/blocked\n"
              "http_access deny elsewhere\n"
              "http_access deny here blocked\n" + ALLOW, access="")
    origin.script("/open", body="o")
    origin.script("/blocked", body="b")
    assert get(p.port, origin.url("/open")).status == 200
    assert get(p.port, origin.url("/blocked")).status == 403
