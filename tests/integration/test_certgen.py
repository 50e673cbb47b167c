"""security_file_certgen: ours next to Squid 5.7's, on the same input.

Minting is deterministic (the serial is derived from the certificate), so
both helpers must answer every request with the same bytes; they must print
the same messages and exit codes; and they must be able to share one ssl_db
directory, each finding what the other stored and evicting the same way.
"""

import os
import shutil
import subprocess
import tempfile

import pytest

BUILD = os.environ.get("CUTTLE_BUILDDIR", ".")
OURS = os.path.join(BUILD, "security_file_certgen")
SQUID = "/usr/lib/squid/security_file_certgen"
LONG_HOST = "a" * 50 + ".very-long-subdomain-label-here.example.com"

pytestmark = pytest.mark.skipif(not os.path.exists(SQUID),
                                reason="Squid's security_file_certgen is not installed")


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def pki():
    """A test CA (PKCS#8 key, as Squid sends it) and two origin certificates."""
    d = tempfile.mkdtemp(prefix="cuttle-it-certgen-")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "3650", "-subj", "/C=US/O=Test CA Org/CN=Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=keyCertSign,cRLSign", cwd=d)
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ca.key", "-out", "ca.p8", cwd=d)
    # An EC origin with the extensions Squid copies and some it drops.
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:www.example.test,DNS:example.test,IP:127.0.0.1\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\n"
                "subjectKeyIdentifier=hash\nauthorityInfoAccess=OCSP;URI:http://ocsp.example\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ec.key", "-out", "ec.csr",
             "-subj", "/C=US/ST=CA/O=Example Org/CN=www.example.test", cwd=d)
    _openssl("x509", "-req", "-in", "ec.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", "7", "-out", "ec.pem", "-days", "400", "-extfile", "ext.cnf", cwd=d)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key",
             "-out", "rsa.pem", "-days", "30", "-subj", "/CN=rsa.example.test/O=X",
             "-addext", "keyUsage=digitalSignature,keyEncipherment",
             "-addext", "subjectAltName=DNS:rsa.example.test", cwd=d)
    p = {n: os.path.join(d, n) for n in ("ca.pem", "ca.p8", "ec.pem", "rsa.pem")}
    p["dir"] = d
    yield p
    shutil.rmtree(d, ignore_errors=True)


def read(path):
    with open(path) as f:
        return f.read()


def body(pki, host, params=(), mimic=None):
    """A request body as Squid composes it: key=value lines, CA cert, key, " " mimic."""
    text = "\n".join(["host=" + host] + list(params)) + "\n"
    text += read(pki["ca.pem"]) + read(pki["ca.p8"])
    if mimic:
        text += " " + read(pki[mimic])
    return text


def frame(text):
    data = text.encode()
    return b"new_certificate %d %s\n" % (len(data), data)


def run(prog, args=(), data=b"", cwd=None):
    p = subprocess.run([prog] + list(args), input=data, capture_output=True,
                       timeout=60, cwd=cwd)
    # Messages start with argv[0]; compare them without it.
    p.err = p.stderr.replace(prog.encode(), b"PROG")
    return p


def replies(out):
    parts = out.split(b"\x01")
    assert parts[-1] == b"", "a reply must end with \\x01"
    return parts[:-1]


CASES = {
    "no mimic": ("host.dom", ["Sign=signTrusted", "SignHash=SHA256"], None),
    "mimic EC origin": ("www.example.test", ["Sign=signTrusted", "SignHash=SHA256"], "ec.pem"),
    "mimic RSA origin": ("rsa.example.test", [], "rsa.pem"),
    "setCommonName": ("www.example.test", ["setCommonName=forced.example",
                                           "Sign=signTrusted", "SignHash=SHA384"], "ec.pem"),
    "SignHash SHA384": ("host.dom", ["SignHash=SHA384"], None),
    "long CN": (LONG_HOST, ["Sign=signTrusted", "SignHash=SHA256"], None),
    "long CN, no suffix fits": ("a" * 70, [], None),
    "IPv6 host": ("[::1]", ["Sign=signTrusted", "SignHash=SHA256"], None),
    "setValidAfter/Before": ("www.example.test", ["setValidAfter=on", "setValidBefore=on"], "ec.pem"),
    "signSelf": ("www.example.test", ["Sign=signSelf"], "ec.pem"),
    "signUntrusted": ("www.example.test", ["Sign=signUntrusted"], "ec.pem"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reply_identical_to_squid(pki, case):
    data = frame(body(pki, *CASES[case]))
    ours, theirs = run(OURS, data=data), run(SQUID, data=data)
    assert replies(ours.stdout) == replies(theirs.stdout)
    assert len(replies(ours.stdout)) == 1
    # EOF on stdin ends both helpers with status 1 and no message.
    assert (ours.returncode, ours.err) == (theirs.returncode, theirs.err) == (1, b"")


def test_reply_framing(pki):
    out = run(OURS, data=frame(body(pki, "host.dom"))).stdout
    code, length, rest = out.split(b" ", 2)
    assert code == b"OK" and rest.endswith(b"\x01")
    assert int(length) == len(rest) - 1
    assert rest.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert rest.endswith(b"-----END PRIVATE KEY-----\n\x01")


def test_several_requests_on_one_stream(pki):
    # Tabs as separators and the uncounted LF between requests.
    data = b"".join(frame(body(pki, *CASES[c])) for c in sorted(CASES))
    data += frame(body(pki, "tab.example")).replace(b" ", b"\t", 2)
    ours, theirs = run(OURS, data=data), run(SQUID, data=data)
    assert len(replies(ours.stdout)) == len(CASES) + 1
    assert ours.stdout == theirs.stdout


CLI = [
    ["-c", "-s", "db", "-M", "4MB"],
    ["-c", "-s", "db"],
    ["-c"],
    ["-s", "db"],
    ["-M", "4MB", "-s", "db"],
    ["-s", "db", "-M", "0"],
    ["-s", "db", "-M", "4XB"],
    ["-s", "db", "-M", "abc"],
    ["-s", "db", "-M", "4MB", "-b", "1XB"],
    ["-s", "nodb", "-M", "4MB"],
    ["-x"],
    ["-h"],
]


@pytest.mark.parametrize("args", CLI, ids=lambda a: " ".join(a))
def test_command_line_like_squid(args):
    out = []
    for prog in (OURS, SQUID):
        d = tempfile.mkdtemp(prefix="cuttle-it-certgen-cli-")
        try:
            p = run(prog, args, cwd=d)
            out.append((p.returncode, p.stdout, p.err, sorted(os.listdir(d))))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    assert out[0] == out[1]


def test_create_twice_and_uninitialized_message(tmp_path):
    d = str(tmp_path / "db")
    p = run(OURS, ["-c", "-s", d, "-M", "4MB"])
    assert (p.returncode, p.stdout) == (0, b"Initialization SSL db...\nDone\n")
    assert read(os.path.join(d, "size")) == "0"
    assert read(os.path.join(d, "index.txt")) == ""
    assert os.listdir(os.path.join(d, "certs")) == []
    p = run(OURS, ["-c", "-s", d, "-M", "4MB"])
    assert p.returncode == 1 and p.err == ("PROG: Cannot create %s\n" % d).encode()
    missing = str(tmp_path / "none")
    p = run(OURS, ["-s", missing, "-M", "4MB"])
    assert p.returncode == 1
    assert p.err == ('PROG: Uninitialized SSL certificate database directory: %s. '
                     'To initialize, run "security_file_certgen -c -s %s".\n'
                     % (missing, missing)).encode()


BAD = [
    b"new_certificate 14 host=host.dom\n",
    b"foo 3 abc\n",
    b"123 3 abc\n",
    b"new_certificate x abc\n",
    b"new-cert 5 abc\n",
    b"new_certificate 0 \n",
    b"new_certificate 5 Sign=bad\n",
]


@pytest.mark.parametrize("data", BAD)
def test_bad_request_exits_like_squid(data):
    ours, theirs = run(OURS, data=data), run(SQUID, data=data)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == theirs.stdout == b""
    assert ours.err == theirs.err and ours.err.startswith(b"PROG: ")


@pytest.mark.parametrize("params,pem", [
    (["Sign=bogus"], "full"), (["SignHash=NOPE"], "full"),
    (["Sign=signTrusted"], "nohost"), ([], "cert only"), ([], "key first"),
])
def test_bad_body_exits_like_squid(pki, params, pem):
    text = {"full": body(pki, "h", params),
            "nohost": "\n".join(params) + "\n" + read(pki["ca.pem"]) + read(pki["ca.p8"]),
            "cert only": "host=h\n" + read(pki["ca.pem"]),
            "key first": "host=h\n" + read(pki["ca.p8"]) + read(pki["ca.pem"])}[pem]
    ours, theirs = run(OURS, data=frame(text)), run(SQUID, data=frame(text))
    assert (ours.returncode, ours.stdout, ours.err) == (theirs.returncode, theirs.stdout, theirs.err)
    assert ours.err.startswith(b"PROG: Error while parsing the crtd request: ")


# --- a shared ssl_db ---------------------------------------------------------

def make_db(path):
    assert run(OURS, ["-c", "-s", path, "-M", "4MB"]).returncode == 0
    return path


def rows(db):
    return [line.split("\t") for line in read(os.path.join(db, "index.txt")).splitlines()]


def rounded_total(db, block):
    files = os.listdir(os.path.join(db, "certs"))
    return sum(-(-os.path.getsize(os.path.join(db, "certs", f)) // block) * block for f in files)


def serve(prog, db, data, max_size="4MB", block="4096"):
    p = run(prog, ["-s", db, "-M", max_size, "-b", block], data=data)
    assert p.returncode == 1 and p.err == b"", p.err
    return replies(p.stdout)


def test_db_row_and_files(pki, tmp_path):
    db = make_db(str(tmp_path / "db"))
    (reply,) = serve(OURS, db, frame(body(pki, *CASES["mimic EC origin"])))
    (row,) = rows(db)
    assert len(row) == 5 and row[2] == ""
    assert row[0].endswith("+Sign=signTrusted+SignHash=SHA256")
    assert row[4] == "/C=US/ST=CA/O=Example Org/CN=www.example.test"
    pem = read(os.path.join(db, "certs", row[3] + ".pem"))
    # certificate, key, then the origin certificate
    assert reply.decode().split(" ", 2)[2] + read(pki["ec.pem"]) == pem
    # 3 PEM blocks are over one 4096-byte block: size counts whole blocks.
    assert int(read(os.path.join(db, "size"))) == rounded_total(db, 4096) == 8192


@pytest.mark.parametrize("first,second", [(OURS, SQUID), (SQUID, OURS)],
                         ids=["ours-then-squid", "squid-then-ours"])
def test_shared_db_found_by_the_other(pki, tmp_path, first, second):
    db = make_db(str(tmp_path / "db"))
    reqs = [frame(body(pki, *CASES[c])) for c in ("no mimic", "mimic EC origin", "setCommonName")]
    a = serve(first, db, b"".join(reqs))
    before = read(os.path.join(db, "index.txt"))
    stat = {f: os.stat(os.path.join(db, "certs", f)).st_mtime_ns
            for f in os.listdir(os.path.join(db, "certs"))}
    b = serve(second, db, b"".join(reqs))
    assert a == b
    # Served from the DB: no new row, no rewritten file.
    assert read(os.path.join(db, "index.txt")) == before and len(rows(db)) == 3
    assert stat == {f: os.stat(os.path.join(db, "certs", f)).st_mtime_ns
                    for f in os.listdir(os.path.join(db, "certs"))}


def test_same_db_state_as_squid_with_small_max(pki, tmp_path):
    """Both helpers fill and evict a DB the same way: oldest rows first."""
    hosts = ["h%d.example" % i for i in range(6)]
    data = b"".join(frame(body(pki, h)) for h in hosts)
    data += frame(body(pki, "h2.example"))  # evicted by now: minted again
    state = []
    for prog, name in ((OURS, "ours"), (SQUID, "squid")):
        db = make_db(str(tmp_path / name))
        serve(prog, db, data, max_size="10KB", block="4096")
        state.append((read(os.path.join(db, "index.txt")), read(os.path.join(db, "size")),
                      sorted(os.listdir(os.path.join(db, "certs")))))
    assert state[0] == state[1]
    index, size, files = state[0]
    assert [r[0] for r in (line.split("\t") for line in index.splitlines())] == \
        ["/CN=%s+Sign=signTrusted+SignHash=SHA256" % h for h in hosts[4:] + ["h2.example"]]
    assert int(size) == 3 * 4096 and len(files) == 3


def test_interleaved_helpers_keep_one_row_per_key(pki, tmp_path):
    db = make_db(str(tmp_path / "db"))
    for i in range(3):
        for prog in (OURS, SQUID):
            serve(prog, db, frame(body(pki, "h%d.example" % i)) + frame(body(pki, "h0.example")))
    keys = [r[0] for r in rows(db)]
    assert len(keys) == len(set(keys)) == 3
    assert int(read(os.path.join(db, "size"))) == rounded_total(db, 4096)


def test_size_rebuilt_when_wrong(pki, tmp_path):
    db = make_db(str(tmp_path / "db"))
    serve(OURS, db, frame(body(pki, "a.example")))
    with open(os.path.join(db, "size"), "w") as f:
        f.write("0")
    serve(OURS, db, frame(body(pki, "b.example")))
    assert int(read(os.path.join(db, "size"))) == rounded_total(db, 4096) == 8192


def test_other_origin_cert_is_not_reused(pki, tmp_path):
    """A row whose stored origin differs is replaced, not served."""
    db = make_db(str(tmp_path / "db"))
    serve(OURS, db, frame(body(pki, *CASES["mimic EC origin"])))
    (row,) = rows(db)
    path = os.path.join(db, "certs", row[3] + ".pem")
    text = read(path)
    cut = text.rindex("-----BEGIN CERTIFICATE-----")
    with open(path, "w") as f:
        f.write(text[:cut] + read(pki["rsa.pem"]))
    serve(OURS, db, frame(body(pki, *CASES["mimic EC origin"])))
    # Same serial, so the stale row stays (as in Squid) and the file is untouched.
    assert len(rows(db)) == 1 and read(path).endswith(read(pki["rsa.pem"]))


# --- Squid 5.7 itself using our helper ---------------------------------------

def test_squid_bumps_with_our_helper(pki, squid_proxy, tls_origin, workdir):
    """sslcrtd_program pointing at ours: curl, trusting the test CA, gets the page."""
    from proxyproc import free_port, make_writable_dir
    tls_origin.script("/bumped", body="hello through the bump\n")
    d = os.path.join(workdir, "bump")
    make_writable_dir(d)
    for n in ("ca.pem", "ca.p8"):
        shutil.copy(pki[n], d)
        os.chmod(os.path.join(d, n), 0o644)
    # Squid runs helpers as cache_effective_user, which may not reach the
    # build tree (a checkout under /root): it gets a copy it can execute.
    helper = os.path.join(d, "security_file_certgen")
    shutil.copy(OURS, helper)
    os.chmod(helper, 0o755)
    db = os.path.join(d, "ssl_db")
    assert run(OURS, ["-c", "-s", db, "-M", "4MB"]).returncode == 0
    if os.geteuid() == 0:
        shutil.chown(db, "proxy")
        for sub in ("certs", "index.txt", "size"):
            shutil.chown(os.path.join(db, sub), "proxy")
    port = free_port()
    conf = ("http_port 127.0.0.1:%d ssl-bump generate-host-certificates=on "
            "tls-cert=%s/ca.pem tls-key=%s/ca.p8\n" % (port, d, d)
            + "sslcrtd_program %s -s %s -M 4MB\nsslcrtd_children 1 startup=1 idle=1\n" % (helper, db)
            + "tls_outgoing_options flags=DONT_VERIFY_PEER\nsslproxy_cert_error allow all\n"
            + "ssl_bump bump all\n")
    squid_proxy(conf_extra=conf, ssl_ports=(tls_origin.port,))
    p = subprocess.run(["curl", "-sS", "--max-time", "20", "--proxy", "http://127.0.0.1:%d" % port,
                        "--cacert", pki["ca.pem"],
                        "https://tls.test:%d/bumped" % tls_origin.port],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"hello through the bump\n"
    (row,) = rows(db)
    assert row[0] == "/CN=tls.test+Sign=signTrusted+SignHash=SHA256"
