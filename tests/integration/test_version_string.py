"""httpd_suppress_version_string: the product name without its version.

Squid 5.7 has one name for itself (visible_appname_string): "squid/5.7", or
"squid" with the directive on, in the Server: of the replies it makes, in
Via: both ways and in an error page's %s (the signature).
"""

import re

from helpers import get, wait_for
from origin import closed_port

NAMED = re.compile(r"^(squid|cuttle)/\S+$")
BARE = ("squid", "cuttle")


def test_default_names_the_version(proxy):
    p = proxy()
    r = get(p.port, "http://origin.test:%d/" % closed_port())
    assert NAMED.match(r.header("Server"))
    assert ("(%s)" % r.header("Server")).encode() in r.body


def test_error_page_without_version(proxy):
    p = proxy("httpd_suppress_version_string on\n")
    r = get(p.port, "http://origin.test:%d/" % closed_port())
    assert r.status == 503
    name = r.header("Server")
    assert name in BARE
    assert ("(%s)" % name).encode() in r.body       # the signature's %s
    assert ("%s/" % name).encode() not in r.body


def test_via_without_version(proxy, origin):
    p = proxy("httpd_suppress_version_string on\n")
    r = get(p.port, origin.url("/echo"))
    assert r.status == 200
    (req,) = origin.requests
    assert re.match(r"^1\.1 testproxy \((squid|cuttle)\)$", req.header("Via")[0])
    assert re.match(r"^1\.1 testproxy \((squid|cuttle)\)$", r.header("Via"))


def test_reconfigure_turns_it_off(proxy, origin):
    p = proxy("httpd_suppress_version_string on\n")
    assert re.search(r"\((squid|cuttle)\)$", get(p.port, origin.url("/a")).header("Via"))
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace("httpd_suppress_version_string on", "httpd_suppress_version_string off"))
    assert p.ctl("reconfigure").returncode == 0
    assert wait_for(lambda: "/" in via_of(p, origin), 10.0)


def via_of(p, origin):
    try:
        return get(p.port, origin.url("/b")).header("Via") or ""
    except OSError:
        return ""      # Squid closes its port while it reconfigures
