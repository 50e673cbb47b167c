"""The random ACL, as Squid 5.7's ACLRandom: a pattern A:B, A/B or 0.N is
the probability that it matches; 1/1 always does.  A bad pattern (3/2)
stops the load ("Invalid ACL": tests/conf/err-acl-random.conf).
"""

from helpers import get


def test_random_one_in_one_always_matches(proxy, origin):
    p = proxy("acl always random 1/1\nacl never random 1:2147483646\n"
              "acl blocked urlpath_regex ^/blocked\n"
              "http_access deny always blocked\n"
              "http_access allow all\n", access="")
    origin.script("/blocked", body="b")
    origin.script("/open", body="o")
    for _ in range(5):
        assert get(p.port, origin.url("/blocked")).status == 403
        assert get(p.port, origin.url("/open")).status == 200

