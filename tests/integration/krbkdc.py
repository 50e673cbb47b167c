"""A throwaway MIT Kerberos realm for the Negotiate tests.

KDC(dir) creates the realm CUTTLE.TEST in dir (kdb5_util create -s with a
private KRB5_CONFIG and KRB5_KDC_PROFILE, so nothing in /etc is read or
written), adds a user principal with a password and the proxy's service
principal HTTP/localhost with a keytab (kadmin.local ktadd), and runs
krb5kdc in the foreground on a free 127.0.0.1 port (TCP and UDP; clients
are told to use TCP).  The client side is `kinit` with the password on
stdin into a private credentials cache, then curl --proxy-negotiate: curl
asks for a ticket for HTTP/<the proxy's host name>, so the proxy is
addressed as "localhost", which resolves to 127.0.0.1 without touching
/etc/hosts.

KDC.missing() names what is not installed, for a skip.
"""

import os
import shutil
import socket
import subprocess
import time

REALM = "CUTTLE.TEST"
SERVICE = "HTTP/localhost"
USER, PASSWORD = "alice", "alice-pw-1"
HELPER = "/usr/lib/squid/negotiate_kerberos_auth"
TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")


def _find(tool):
    return shutil.which(tool) or next(
        (p for p in ("/usr/sbin/" + tool, "/sbin/" + tool) if os.path.exists(p)), None)


def missing():
    """Why a real KDC cannot run here, or None."""
    for t in TOOLS:
        if _find(t) is None:
            return "%s is not installed (Debian krb5-kdc, krb5-admin-server, krb5-user)" % t
    if not os.path.exists(HELPER):
        return HELPER + " is not installed (squid)"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KDC:
    def __init__(self, d):
        self.dir = d
        self.port = _free_port()
        self.krb5_conf = os.path.join(d, "krb5.conf")
        self.kdc_conf = os.path.join(d, "kdc.conf")
        self.keytab = os.path.join(d, "http.keytab")
        with open(self.kdc_conf, "w") as f:
            f.write("[kdcdefaults]\n kdc_ports = %d\n kdc_tcp_ports = %d\n"
                    "[realms]\n %s = {\n  database_name = %s/principal\n"
                    "  key_stash_file = %s/stash\n  acl_file = %s/kadm5.acl\n"
                    "  kdc_ports = %d\n  kdc_tcp_ports = %d\n }\n"
                    "[logging]\n kdc = FILE:%s/kdc.log\n" % (
                        self.port, self.port, REALM, d, d, d, self.port,
                        self.port, d))
        with open(self.krb5_conf, "w") as f:
            f.write("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n"
                    " dns_lookup_realm = false\n rdns = false\n"
                    " dns_canonicalize_hostname = false\n udp_preference_limit = 1\n"
                    "[realms]\n %s = {\n  kdc = 127.0.0.1:%d\n }\n"
                    "[domain_realm]\n localhost = %s\n" % (REALM, REALM, self.port, REALM))
        open(os.path.join(d, "kadm5.acl"), "w").close()
        os.chmod(self.krb5_conf, 0o644)
        self.env = dict(os.environ, KRB5_CONFIG=self.krb5_conf,
                        KRB5_KDC_PROFILE=self.kdc_conf)
        run = lambda *a, **k: subprocess.run(a, env=self.env, check=True,
                                             capture_output=True, timeout=30, **k)
        run(_find("kdb5_util"), "create", "-s", "-r", REALM, "-P", "master-pw")
        kadmin = _find("kadmin.local")
        run(kadmin, "-r", REALM, "-q", "addprinc -pw %s %s" % (PASSWORD, USER))
        run(kadmin, "-r", REALM, "-q", "addprinc -randkey " + SERVICE)
        run(kadmin, "-r", REALM, "-q", "ktadd -k %s %s" % (self.keytab, SERVICE))
        os.chmod(self.keytab, 0o644)	# the helper may run as Squid's user
        self.proc = subprocess.Popen([_find("krb5kdc"), "-n", "-P", os.path.join(d, "kdc.pid")],
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("krb5kdc exited with %d" % self.proc.returncode)
                time.sleep(0.05)
        else:
            raise RuntimeError("krb5kdc did not listen on port %d" % self.port)

    def kinit(self, ccache, user=USER, password=PASSWORD):
        """A ticket-granting ticket for user in the file ccache; the env to use it."""
        env = dict(self.env, KRB5CCNAME="FILE:" + ccache)
        subprocess.run([_find("kinit"), user], input=password + "\n", text=True,
                       env=env, check=True, capture_output=True, timeout=30)
        return env

    def helper_program(self, extra=""):
        """The auth_param negotiate program line: Squid's helper with this
        realm's keytab and config, a private replay cache directory."""
        rc = os.path.join(self.dir, "rcache")
        os.makedirs(rc, exist_ok=True)
        os.chmod(rc, 0o1777)
        os.chmod(self.dir, 0o755)
        return ("/usr/bin/env KRB5_CONFIG=%s KRB5_KTNAME=FILE:%s KRB5RCACHEDIR=%s "
                "%s -k %s -s %s@%s%s" % (self.krb5_conf, self.keytab, rc, HELPER,
                                          self.keytab, SERVICE, REALM, extra))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
