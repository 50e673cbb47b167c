"""LDAP: Squid's basic_ldap_auth as the auth_param basic program,
digest_ldap_auth as the auth_param digest program, and ext_ldap_group_acl
as an external ACL helper with %LOGIN (from Basic and from Digest
credentials), all against a private OpenLDAP slapd the test starts on
127.0.0.1 (ldapserver.py).
Skipped with the reason when slapd or the Squid helpers are missing."""

import base64
import os

import pytest

import ldapserver
from helpers import get, log_entry

BASIC_LDAP = "/usr/lib/squid/basic_ldap_auth"
GROUP_LDAP = "/usr/lib/squid/ext_ldap_group_acl"


def _skip_reason():
    r = ldapserver.missing_reason()
    if r is None:
        for h in (BASIC_LDAP, GROUP_LDAP):
            if not os.path.exists(h):
                r = "Squid's %s is not installed" % h
    return r


pytestmark = pytest.mark.skipif(_skip_reason() is not None,
                                reason=_skip_reason() or "")


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    srv = ldapserver.LdapServer(str(tmp_path_factory.mktemp("ldap")))
    try:
        yield srv.start()
    finally:
        srv.remove()


def creds(user, pw):
    token = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    return [("Proxy-Authorization", "Basic " + token)]


def auth_conf(slapd):
    return ("auth_param basic program %s -v 3 -b %s -f uid=%%s "
            "-h 127.0.0.1 -p %d\n"
            "auth_param basic children 3 startup=1 idle=1\n"
            "auth_param basic realm LDAP\n"
            "acl authenticated proxy_auth REQUIRED\n" % (
                BASIC_LDAP, ldapserver.PEOPLE, slapd.port))


def group_conf(slapd):
    return auth_conf(slapd) + (
        "external_acl_type grp ttl=60 negative_ttl=60 %%LOGIN %s -v 3 "
        "-b %s -f (&(objectClass=groupOfNames)(cn=%%g)(member=%%u)) "
        "-B %s -F uid=%%s -h 127.0.0.1 -p %d\n"
        "acl staff external grp staff\n"
        "acl admins external grp admins\n" % (
            GROUP_LDAP, ldapserver.GROUPS, ldapserver.PEOPLE, slapd.port))


ALLOW_AUTHENTICATED = "http_access allow authenticated\nhttp_access deny all\n"


def test_ldap_good_password_served_and_logged(proxy, origin, slapd):
    p = proxy(conf_extra=auth_conf(slapd), access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"), creds("alice", "secret1"))
    assert r.status == 200
    e = log_entry(p, 1)
    assert (e["code"], e["user"]) == ("TCP_MISS/200", "alice")


def test_ldap_bad_password_gets_407(proxy, origin, slapd):
    p = proxy(conf_extra=auth_conf(slapd), access=ALLOW_AUTHENTICATED)
    r = get(p.port, origin.url("/a"), creds("alice", "wrong"))
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="LDAP"'
    assert origin.requests == []
    e = log_entry(p, 1)
    assert (e["code"], e["user"]) == ("TCP_DENIED/407", "alice")


def test_ldap_unknown_user_gets_407(proxy, origin, slapd):
    p = proxy(conf_extra=auth_conf(slapd), access=ALLOW_AUTHENTICATED)
    assert get(p.port, origin.url("/a"), creds("mallory", "secret1")).status == 407
    # an empty password never reaches a bind (it would be anonymous)
    assert get(p.port, origin.url("/b"), creds("bob", "")).status == 407
    assert origin.requests == []


def test_ldap_several_users(proxy, origin, slapd):
    p = proxy(conf_extra=auth_conf(slapd), access=ALLOW_AUTHENTICATED)
    for i, (u, pw) in enumerate(sorted(ldapserver.USERS.items())):
        assert get(p.port, origin.url("/u%d" % i), creds(u, pw)).status == 200
        assert log_entry(p, i + 1)["user"] == u


def test_ldap_group_members_allowed_others_denied(proxy, origin, slapd):
    p = proxy(conf_extra=group_conf(slapd),
              access="http_access allow staff\nhttp_access deny all\n")
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 200
    assert get(p.port, origin.url("/b"), creds("bob", "secret2")).status == 200
    # carol authenticates but is in no group
    r = get(p.port, origin.url("/c"), creds("carol", "secret3"))
    assert r.status == 403
    assert r.header("X-Squid-Error") == "ERR_ACCESS_DENIED 0"
    assert [q.target for q in origin.requests] == ["/a", "/b"]
    e = log_entry(p, 3)
    assert (e["code"], e["user"]) == ("TCP_DENIED/403", "carol")


def test_ldap_group_needs_credentials(proxy, origin, slapd):
    p = proxy(conf_extra=group_conf(slapd),
              access="http_access allow staff\nhttp_access deny all\n")
    # %LOGIN asks for credentials first; wrong ones are challenged again
    r = get(p.port, origin.url("/a"))
    assert r.status == 407
    assert r.header("Proxy-Authenticate") == 'Basic realm="LDAP"'
    assert get(p.port, origin.url("/b"), creds("alice", "nope")).status == 407
    assert origin.requests == []


def test_ldap_second_group(proxy, origin, slapd):
    p = proxy(conf_extra=group_conf(slapd),
              access="http_access allow admins\nhttp_access deny all\n")
    assert get(p.port, origin.url("/a"), creds("alice", "secret1")).status == 200
    assert get(p.port, origin.url("/b"), creds("bob", "secret2")).status == 403


DIGEST_FILE = "/usr/lib/squid/digest_file_auth"


@pytest.mark.skipif(not os.path.exists(DIGEST_FILE),
                    reason="Squid's digest_file_auth is not installed")
def test_ldap_group_with_digest_login(proxy, origin, slapd, workdir):
    """%LOGIN from Digest credentials reaches the LDAP group helper."""
    from test_digest_auth import authz, challenge
    passwd = os.path.join(workdir, "digest_passwd")
    with open(passwd, "w") as f:
        for u, pw in ldapserver.USERS.items():
            f.write("%s:%s\n" % (u, pw))
    os.chmod(passwd, 0o644)
    c = ("auth_param digest program %s %s\n"
         "auth_param digest realm Digest Proxy\n"
         "external_acl_type grp ttl=60 %%LOGIN %s -v 3 "
         "-b %s -f (&(objectClass=groupOfNames)(cn=%%g)(member=%%u)) "
         "-B %s -F uid=%%s -h 127.0.0.1 -p %d\n"
         "acl staff external grp staff\n" % (
             DIGEST_FILE, passwd, GROUP_LDAP, ldapserver.GROUPS,
             ldapserver.PEOPLE, slapd.port))
    p = proxy(conf_extra=c, access="http_access allow staff\nhttp_access deny all\n")
    url = origin.url("/a")
    r = get(p.port, url)
    assert r.status == 407
    nonce = challenge(r)[1]
    assert get(p.port, url, authz("bob", "secret2", nonce, url)).status == 200
    r = get(p.port, url, authz("carol", "secret3", nonce, url, nc=2))
    assert r.status == 403
    assert log_entry(p, 3)["user"] == "carol"


DIGEST_LDAP = "/usr/lib/squid/digest_ldap_auth"


@pytest.mark.skipif(not os.path.exists(DIGEST_LDAP),
                    reason="Squid's digest_ldap_auth is not installed")
def test_ldap_digest_auth(proxy, origin, slapd, workdir):
    """auth_param digest with Squid's digest_ldap_auth: it reads the plain
    userPassword (bound as the admin) and answers OK ha1="..."."""
    from test_digest_auth import authz, challenge
    # a wrapper, for the empty -l argument a config line cannot carry
    wrapper = os.path.join(workdir, "digest_ldap.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec %s -v 3 -b %s -u uid -A userPassword -l '' "
                "-r '%s' -D cn=admin,dc=test -w adminpw -h 127.0.0.1 -p %d\n" % (
                    DIGEST_LDAP, ldapserver.PEOPLE, ldapserver.DIGEST_REALM,
                    slapd.port))
    os.chmod(wrapper, 0o755)
    c = ("auth_param digest program %s\n"
         "auth_param digest realm %s\n"
         "acl authenticated proxy_auth REQUIRED\n" % (
             wrapper, ldapserver.DIGEST_REALM))
    p = proxy(conf_extra=c, access=ALLOW_AUTHENTICATED)
    url = origin.url("/a")
    nonce = challenge(get(p.port, url))[1]
    assert get(p.port, url, authz("alice", "secret1", nonce, url)).status == 200
    assert get(p.port, url, authz("bob", "wrong", nonce, url, nc=2)).status == 407
    assert get(p.port, url, authz("mallory", "x", nonce, url, nc=3)).status == 407
    assert log_entry(p, 2)["user"] == "alice"
