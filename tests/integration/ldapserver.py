"""A private OpenLDAP slapd for the LDAP auth tests.

LdapServer(dir) writes a minimal slapd.conf (mdb backend under dir, suffix
dc=test, the core/cosine/inetorgperson/nis schemas), loads the people and
groups below with slapadd before the server starts, and runs slapd in the
foreground on 127.0.0.1 at a free port.  Callers skip when slapd is not
installed (SLAPD missing): the tests are never passed without it.
"""

import os
import shutil
import socket
import subprocess
import time

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA = "/etc/ldap/schema"
SUFFIX = "dc=test"
PEOPLE = "ou=people,dc=test"
GROUPS = "ou=groups,dc=test"

# uid -> password; staff is a groupOfNames with alice and bob as members,
# carol belongs to no group.
USERS = {"alice": "secret1", "bob": "secret2", "carol": "secret3"}
GROUP_MEMBERS = {"staff": ["alice", "bob"], "admins": ["alice"]}
# the realm test_ldap.py's digest_ldap_auth honours (-r)
DIGEST_REALM = "Digest Proxy"


def missing_reason():
    """Why the server cannot run here, or None."""
    for path in (SLAPD, SLAPADD, os.path.join(SCHEMA, "core.schema")):
        if not os.path.exists(path):
            return "OpenLDAP slapd is not installed (%s missing)" % path
    return None


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _ldif():
    out = ["dn: dc=test\nobjectClass: dcObject\nobjectClass: organization\n"
           "dc: test\no: test\n",
           "dn: %s\nobjectClass: organizationalUnit\nou: people\n" % PEOPLE,
           "dn: %s\nobjectClass: organizationalUnit\nou: groups\n" % GROUPS]
    for uid, pw in USERS.items():
        out.append("dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\n"
                   "cn: %s\nsn: %s\nuserPassword: %s\n" % (
                       uid, PEOPLE, uid, uid, uid, pw))
    for cn, members in GROUP_MEMBERS.items():
        out.append("dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\n" % (
            cn, GROUPS, cn) + "".join("member: uid=%s,%s\n" % (m, PEOPLE)
                                      for m in members))
    return "\n".join(out)


class LdapServer:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "slapd")
        self.port = None
        self.proc = None
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        self.conf = os.path.join(self.dir, "slapd.conf")
        with open(self.conf, "w") as f:
            for s in ("core", "cosine", "inetorgperson", "nis"):
                f.write("include %s/%s.schema\n" % (SCHEMA, s))
            f.write("pidfile %s/slapd.pid\n"
                    "argsfile %s/slapd.args\n"
                    "modulepath /usr/lib/ldap\n"
                    "moduleload back_mdb\n"
                    "database mdb\n"
                    "maxsize 10485760\n"
                    "suffix \"%s\"\n"
                    "rootdn \"cn=admin,%s\"\n"
                    "rootpw adminpw\n"
                    "directory %s/db\n"
                    "access to attrs=userPassword by anonymous auth "
                    "by * none\n"
                    "access to * by * read\n" % (
                        self.dir, self.dir, SUFFIX, SUFFIX, self.dir))
        ldif = os.path.join(self.dir, "data.ldif")
        with open(ldif, "w") as f:
            f.write(_ldif())
        subprocess.run([SLAPADD, "-f", self.conf, "-l", ldif], check=True,
                       capture_output=True, timeout=60)

    def start(self):
        for _ in range(5):
            self.port = _free_port()
            self.log = open(os.path.join(self.dir, "slapd.log"), "wb")
            # -d 0: stay in the foreground so the test owns the process
            self.proc = subprocess.Popen(
                [SLAPD, "-d", "0", "-f", self.conf,
                 "-h", "ldap://127.0.0.1:%d/" % self.port],
                stdout=self.log, stderr=subprocess.STDOUT)
            if self._wait_ready(10.0):
                return self
            self.stop()
        raise RuntimeError("slapd did not start; see %s/slapd.log" % self.dir)

    def _wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
