"""ext_user and ext_user_regex ACLs, as Squid 5.7's ACLExtUser: the user
name an external ACL helper returned (user=), matched as proxy_auth's
lists (REQUIRED, -i) or regular expressions; without one, no match.
"""

from helpers import get
from test_external_acl import helper


def test_ext_user_after_an_external_acl(proxy, origin, workdir):
    cmd, _ = helper(workdir)
    p = proxy("external_acl_type t ttl=60 %%PATH %s\n"
              "acl as_alice external t user=alice\n"
              "acl as_bob external t user=BOB\n"
              "acl alice ext_user alice\n"
              "acl bob ext_user_regex -i ^bob$\n"
              "acl anyone ext_user REQUIRED\n"
              "acl b urlpath_regex ^/okb\n"
              "http_access deny anyone\n"
              "http_access allow !b as_alice alice\n"
              "http_access deny b as_bob bob\n"
              "http_access allow all\n" % cmd, access="")
    origin.script("/oka", body="a")
    origin.script("/okb", body="b")
    origin.script("/no", body="n")
    assert get(p.port, origin.url("/oka")).status == 200    # alice
    assert get(p.port, origin.url("/okb")).status == 403    # BOB, -i
    assert get(p.port, origin.url("/no")).status == 200     # no user: ext_user never matched
