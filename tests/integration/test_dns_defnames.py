"""dns_defnames: whether a host is tried with the resolver's search domains.

Off (Squid's default) a one-label host is asked as it is and nothing else,
so that a cache in a hierarchy never reads it as a local name.  The search
list here comes from LOCALDOMAIN, which c-ares reads as res_init does;
Squid 5.7 reads only resolv.conf (and only without dns_nameservers), so
on Squid the test shows the same outcome for that reason.
"""

import uuid

from helpers import get, wait_for


def test_off_asks_only_the_name_itself(proxy, dns_server, monkeypatch):
    monkeypatch.setenv("LOCALDOMAIN", "corp.test")
    monkeypatch.setenv("RES_OPTIONS", "ndots:1")
    host = "intranet-%s" % uuid.uuid4().hex[:8]
    p = proxy()
    r = get(p.port, "http://%s/" % host)
    assert r.status == 502     # as Squid 5.7 answers an NXDOMAIN (test_errors)
    assert wait_for(lambda: host in dns_server.names, 5.0), dns_server.names[-5:]
    asked = [n for n in dns_server.names if n.startswith(host)]
    assert asked and all(n == host for n in asked), asked
