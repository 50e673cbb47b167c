"""The key a bumped connection's certificate carries: cuttle's own P-256
key per worker by default (ssl_bump_cert_key ecdsa), the CA's with
ssl_bump_cert_key ca (Squid's choice) and whatever an sslcrtd helper
returns (the CA's, with ours and with Squid's, which also runs against
Squid 5.7).
"""

import datetime
import os
import ssl

import pytest

from bump import SQUID_CERTGEN
from helpers import wait_for
from test_bump import TIMEOUT, certs, connect, tls_client  # noqa: F401
from test_bump_cert import OURS, cert_proxy, shown


def public_der(key):
    from cryptography.hazmat.primitives import serialization
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def ca_public(bump_ca):
    from cryptography import x509
    with open(bump_ca[0], "rb") as f:
        return public_der(x509.load_pem_x509_certificate(f.read()).public_key())


def key_usage(cert):
    from cryptography import x509
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


@pytest.fixture
def rsa_origin(certs):
    """An origin whose RSA certificate (signed by certs.ca) has Squid's usual
    keyUsage for RSA: digitalSignature and keyEncipherment."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from origin import Origin, make_tls_context
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                        "tls.test")]))
            .issuer_name(certs.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - day).not_valid_after(now + 30 * day)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("tls.test")]), False)
            .add_extension(x509.KeyUsage(True, False, True, False, False,
                                         False, False, False, False), True)
            .sign(certs.ca_key, hashes.SHA256()))
    cpath = os.path.join(certs.dir, "rsa.pem")
    kpath = os.path.join(certs.dir, "rsa.key")
    with open(cpath, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kpath, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    os.chmod(kpath, 0o644)
    o = Origin(make_tls_context(cpath, kpath))
    yield o
    o.stop()


@pytest.mark.cuttle_only(reason="Squid 5.7 has no ssl_bump_cert_key and "
                         "always runs its certificate helper")
def test_minted_in_the_worker_the_certificate_has_a_p256_key(proxy, bump_ca,
                                                            tls_origin):
    from cryptography.hazmat.primitives.asymmetric import ec
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   ssl_ports=[tls_origin.port])
    c = shown(p, bump_ca, tls_origin.port, verify=False)
    assert isinstance(c.public_key(), ec.EllipticCurvePublicKey)
    assert c.public_key().curve.name == "secp256r1"
    # the chain still verifies: the CA signs it
    assert shown(p, bump_ca, tls_origin.port)["subject"]
    # one key per worker, not one per host
    d = shown(p, bump_ca, tls_origin.port, host="other.test", verify=False)
    assert public_der(d.public_key()) == public_der(c.public_key())
    assert public_der(c.public_key()) != ca_public(bump_ca)


@pytest.mark.cuttle_only(reason="cuttle's own directive")
def test_ssl_bump_cert_key_ca_reuses_the_ca_key(proxy, bump_ca, tls_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   extra="ssl_bump_cert_key ca", ssl_ports=[tls_origin.port])
    c = shown(p, bump_ca, tls_origin.port, verify=False)
    assert public_der(c.public_key()) == ca_public(bump_ca)
    assert shown(p, bump_ca, tls_origin.port)["subject"]


@pytest.mark.parametrize("program", [OURS, SQUID_CERTGEN], ids=["ours", "squid"])
def test_helper_certificates_carry_the_ca_key(proxy, bump_ca, tls_origin, program):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=program,
                   ssl_ports=[tls_origin.port])
    c = shown(p, bump_ca, tls_origin.port, verify=False)
    assert public_der(c.public_key()) == ca_public(bump_ca)


@pytest.mark.cuttle_only(reason="cuttle's own directive")
@pytest.mark.parametrize("key,signs,encrypts", [("ecdsa", True, False),
                                                ("ca", True, True)])
def test_mimicked_key_usage_fits_the_key(proxy, bump_ca, certs, rsa_origin,
                                         key, signs, encrypts):
    p = cert_proxy(proxy, bump_ca, "ssl_bump server-first all", program=None,
                   extra="tls_outgoing_options cafile=%s\n"
                   "ssl_bump_cert_key %s" % (certs.ca, key),
                   ssl_ports=[rsa_origin.port])
    ku = key_usage(shown(p, bump_ca, rsa_origin.port, verify=False))
    assert ku.digital_signature is signs
    assert ku.key_encipherment is encrypts


def tls12_handshake(p, bump_ca, port, ciphers):
    ctx = ssl.create_default_context(cafile=bump_ca[0])
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    with ctx.wrap_socket(connect(p.port, "tls.test", port),
                         server_hostname="tls.test") as tls:
        return tls.cipher()[0]


@pytest.mark.cuttle_only(reason="cuttle's own directive")
def test_tls12_clients(proxy, bump_ca, tls_origin):
    p = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   ssl_ports=[tls_origin.port])
    assert tls12_handshake(p, bump_ca, tls_origin.port,
                           "ECDHE-ECDSA-AES128-GCM-SHA256") == \
        "ECDHE-ECDSA-AES128-GCM-SHA256"
    # a client without ECDSA suites fails with the P-256 key ...
    with pytest.raises(ssl.SSLError):
        tls12_handshake(p, bump_ca, tls_origin.port, "ECDHE-RSA-AES128-GCM-SHA256")
    # ... and cache.log says what to do about it
    assert wait_for(lambda: "ssl_bump_cert_key ca" in p.cache_log, 5)
    # ssl_bump_cert_key ca serves it with the CA's RSA key
    q = cert_proxy(proxy, bump_ca, "ssl_bump bump all", program=None,
                   extra="ssl_bump_cert_key ca", ssl_ports=[tls_origin.port])
    assert tls12_handshake(q, bump_ca, tls_origin.port,
                           "ECDHE-RSA-AES128-GCM-SHA256") == \
        "ECDHE-RSA-AES128-GCM-SHA256"
