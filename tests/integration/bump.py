"""A proxy whose http_port bumps TLS, for the SslBump test files.

bump_proxy() writes the ssl-bump port, the step ACLs and the certificate
helper line (Squid's security_file_certgen) both proxies run, and creates
the helper's ssl_db, owned by the user the proxy drops to.  The bump CA itself is the
session fixture `bump_ca` (conftest.py).
"""

import os
import pwd
import subprocess

SQUID_CERTGEN = "/usr/lib/squid/security_file_certgen"


def bump_proxy(proxy, bump_ca, rules, extra="", ssl_ports=(), cache=False,
               make_dirs=False, access=None, workers=1):
    """A proxy whose http_port bumps with bump_ca under the ssl_bump rules
    (make_dirs: run -z first, for a cache_dir in extra)."""
    cert, key, _ = bump_ca
    opts = ("ssl-bump tls-cert=%s tls-key=%s generate-host-certificates=on"
            % (cert, key))
    conf = ("acl step1 at_step SslBump1\n"
            "acl step2 at_step SslBump2\n" + extra.rstrip("\n") + "\n"
            + rules.rstrip("\n") + "\n")
    p = proxy(conf_extra=conf + "sslcrtd_program %s -s @DIR@/ssl_db -M 4MB\n"
              % SQUID_CERTGEN, ssl_ports=ssl_ports, port_opts=opts,
              start=False, cache=cache, make_dirs=make_dirs, access=access,
              workers=workers)
    # both run the helper line (cuttle would mint in the worker without it)
    make_ssl_db(p.dir)
    return p.start()


def make_ssl_db(proxy_dir):
    """The helper's ssl_db in proxy_dir, owned by the user the proxy drops
    to (proxy, when the tests run as root)."""
    db = os.path.join(proxy_dir, "ssl_db")
    subprocess.run([SQUID_CERTGEN, "-c", "-s", db, "-M", "4MB"],
                   check=True, capture_output=True, timeout=30)
    if os.geteuid() == 0:
        uid = pwd.getpwnam("proxy").pw_uid
        for root, dirs, files in os.walk(db):
            for n in dirs + files:
                os.chown(os.path.join(root, n), uid, -1)
        os.chown(db, uid, -1)
