"""Certificates for the TLS-to-origin tests, made with Python's cryptography.

One test CA signs the origin certificates: a good one for tls.test (also
naming other.test and 127.0.0.1, so one origin can stand for two hosts), an
expired one, one for a name the tests never ask for, a client certificate, and, apart
from the CA, a self-signed one.  EC P-256 keys keep generation fast.  Everything lands in
a world-readable directory: the proxy's workers read the CA after dropping
to the proxy user.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cuttle tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _sans(names):
    out = []
    for n in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            out.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(out)


class CertSet:
    """Writes ca.pem and one cert/key pair per kind into `directory`."""

    def __init__(self, directory):
        self.dir = directory
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        day = datetime.timedelta(days=1)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("cuttle test CA")
        self.ca_cert = (x509.CertificateBuilder()
                        .subject_name(ca_name).issuer_name(ca_name)
                        .public_key(self.ca_key.public_key())
                        .serial_number(x509.random_serial_number())
                        .not_valid_before(now - day).not_valid_after(now + 30 * day)
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                        .add_extension(x509.KeyUsage(False, False, False, False, False,
                                                     True, True, False, False), True)
                        .sign(self.ca_key, hashes.SHA256()))
        self.ca = os.path.join(directory, "ca.pem")
        _write(self.ca, self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.good = self._leaf("good", "tls.test", ["tls.test", "other.test", "127.0.0.1"],
                               now - day, now + 30 * day)
        self.expired = self._leaf("expired", "tls.test", ["tls.test", "127.0.0.1"],
                                  now - 30 * day, now - day)
        self.wrongname = self._leaf("wrongname", "wrong.test", ["wrong.test"],
                                    now - day, now + 30 * day)
        self.selfsigned = self._leaf("selfsigned", "tls.test", ["tls.test", "127.0.0.1"],
                                     now - day, now + 30 * day, self_signed=True)
        self.client = self._leaf("client", "cuttle client", ["client.test"],
                                 now - day, now + 30 * day,
                                 usage=x509.ExtendedKeyUsageOID.CLIENT_AUTH)

    def server(self, kind, names):
        """Another good server certificate, for names[0] and every name
        listed: (certfile, keyfile) as kind.pem and kind.key."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        day = datetime.timedelta(days=1)
        return self._leaf(kind, names[0], names, now - day, now + 30 * day)

    def _leaf(self, kind, cn, names, not_before, not_after, self_signed=False,
              usage=x509.ExtendedKeyUsageOID.SERVER_AUTH):
        key = ec.generate_private_key(ec.SECP256R1())
        issuer = _name(cn) if self_signed else self.ca_cert.subject
        cert = (x509.CertificateBuilder()
                .subject_name(_name(cn)).issuer_name(issuer)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(_sans(names), False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                .add_extension(x509.ExtendedKeyUsage([usage]), False)
                .sign(key if self_signed else self.ca_key, hashes.SHA256()))
        cpath = os.path.join(self.dir, kind + ".pem")
        kpath = os.path.join(self.dir, kind + ".key")
        _write(cpath, cert.public_bytes(serialization.Encoding.PEM))
        _write(kpath, _key_pem(key))
        return cpath, kpath
