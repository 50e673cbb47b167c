"""The hier_code ACL, as Squid 5.7's ACLHierCodeData: the request's
hierarchy code (access.log's %Sh), HIER_NONE until it is forwarded, so
that http_reply_access can tell a direct fetch from one through a peer.
An unknown code stops the load (tests/conf/err-acl-hier-code.conf).
"""

from helpers import get


def test_hier_code_in_http_access_and_http_reply_access(proxy, origin):
    p = proxy("acl direct hier_code HIER_DIRECT\n"
              "acl none hier_code HIER_NONE\n"
              "acl d urlpath_regex ^/d\n"
              "acl n urlpath_regex ^/n\n"
              "http_access deny none n\n"
              "http_access allow all\n"
              "http_reply_access deny direct d\n"
              "http_reply_access allow all\n", access="")
    for path in ("/d", "/n", "/o"):
        origin.script(path, body="x")
    assert get(p.port, origin.url("/n")).status == 403      # not forwarded yet
    assert get(p.port, origin.url("/d")).status == 403      # fetched directly
    assert get(p.port, origin.url("/o")).status == 200
