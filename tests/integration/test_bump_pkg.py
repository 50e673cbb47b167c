"""Real package managers through SslBump: pip, npm and apt download one
package twice through a bumping proxy, each time with an empty client-side
cache, and the second download of the package file comes from the proxy.

This is the CI cache people build with Squid: clients trust the bump CA
only, the proxy fetches the https:// origins with TLS it verifies
(tls_outgoing_options cafile=), and what the bumped requests fetch is
cached like plain HTTP.  Each origin is a TLS server on 127.0.0.1 under its
own name (pypi.test, registry.test, deb.test), with a certificate from a
test CA, serving that ecosystem's format: a PEP 503 simple index and a
wheel, an npm packument and tarball, an apt repository and a .deb.  The
package files carry long max-age, as real indexes send them; a hit is
proved by the origin counting the file once.

Every test runs bumping at step 1 (the certificate is minted for the
CONNECT host) and peeking at step 1 then bumping at step 2 (minted for the
SNI, mimicking the origin's certificate); with a small package kept in the
memory cache, and a 2 MB one kept in memory or only in a cache_dir.  The
tools run with private homes and configs so nothing of the machine's own
settings (proxies, CA files, caches) gets in.
"""

import base64
import email.utils
import functools
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
import zipfile

import pytest

from bump import bump_proxy
from helpers import wait_for
from origin import Origin, make_tls_context
from proxyproc import make_writable_dir
from tlscerts import CertSet

PKG = "cuttlepkg"
NPM = shutil.which("npm")
TOOL_TIMEOUT = 60       # one pip, npm or apt-get run
LOG_TIMEOUT = 10

# The package's extra data file: none, or incompressible bytes larger than
# Squid's default maximum_object_size_in_memory, so that the file crosses
# many TLS records and socket reads on both sides of the proxy.
PAYLOADS = {"small": 0, "2MB": 2 * 1024 * 1024}

# Where the proxy keeps the package: the memory cache (TCP_MEM_HIT), or only
# a cache_dir, as a CI cache that outlives restarts does (TCP_HIT).
STORES = {
    "memory": "maximum_object_size_in_memory 16 MB\n",
    "disk": "cache_mem 0 MB\ncache_dir ufs @DIR@/cache 100 4 16\n",
}
CASES = [("memory", "small"), ("memory", "2MB"), ("disk", "2MB")]

RULES = {
    "bump-step1": "ssl_bump bump all",
    "peek-then-bump": "ssl_bump peek step1\nssl_bump bump all",
}


@pytest.fixture(scope="module")
def certs():
    """The test CA and one server certificate per package host."""
    d = tempfile.mkdtemp(prefix="cuttle-it-bumppkg-")
    os.chmod(d, 0o755)
    c = CertSet(d)
    c.hosts = {h: c.server(h, [h]) for h in ("pypi.test", "registry.test", "deb.test")}
    yield c
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pkg_origin(certs):
    """pkg_origin(host) -> a TLS Origin presenting host's certificate."""
    made = []

    def make(host):
        o = Origin(make_tls_context(*certs.hosts[host]))
        o.host = host
        made.append(o)
        return o
    yield make
    for o in made:
        o.stop()


@pytest.fixture
def client_dir(workdir):
    """A private directory for the package managers' homes and downloads."""
    d = os.path.join(workdir, "client")
    make_writable_dir(d)
    return d


def pkg_proxy(proxy, bump_ca, certs, origin, rules, store):
    return bump_proxy(proxy, bump_ca, RULES[rules], cache=True,
                      ssl_ports=[origin.port], make_dirs=store == "disk",
                      extra="tls_outgoing_options cafile=%s\n"
                            "maximum_object_size 64 MB\n" % certs.ca + STORES[store])


def run_tool(argv, cwd, env, timeout=TOOL_TIMEOUT):
    """Runs a package manager; fails the test with its output if it fails."""
    try:
        r = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail("%s timed out after %ss\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(argv), timeout, (e.stdout or b"").decode(errors="replace"),
            (e.stderr or b"").decode(errors="replace")))
    assert r.returncode == 0, "%s exited %d\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(argv), r.returncode, r.stdout.decode(errors="replace"),
        r.stderr.decode(errors="replace"))
    return r


def clean_env(home):
    """No proxy, pip, npm or apt settings from the caller's environment."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home,
            "LANG": "C.UTF-8", "TMPDIR": home}


def fetched_twice(p, url):
    """The two access.log entries for url (waits for both, bounded)."""
    def two():
        e = [x for x in p.access_entries(0, 0) if x["url"] == url]
        return e if len(e) >= 2 else None
    got = wait_for(two, LOG_TIMEOUT)
    assert got, "access.log has not two %s lines:\n%s" % (
        url, "\n".join(p.access_log_lines(0, 0)))
    return got


def assert_second_was_a_hit(p, origin, path, store):
    url = "https://%s:%d%s" % (origin.host, origin.port, path)
    hit = {"memory": "TCP_MEM_HIT/200", "disk": "TCP_HIT/200"}[store]
    e = fetched_twice(p, url)
    assert [(x["code"], x["method"]) for x in e] == [("TCP_MISS/200", "GET"),
                                                     (hit, "GET")]
    assert origin.count(path) == 1


def payload(size):
    """size incompressible bytes, the same on every run."""
    return random.Random(size).randbytes(size)


def file_headers(data, ctype="application/octet-stream"):
    """What a package file is served with: cacheable for a year, an ETag."""
    return [("Cache-Control", "max-age=31536000, immutable"), ("Content-Type", ctype),
            ("ETag", '"%s"' % hashlib.sha256(data).hexdigest()[:32])]


def unscripted(origin):
    """Requests the origin got for paths the test did not script (which it
    would have answered with its default 200)."""
    return [r.target for r in origin.requests
            if urllib.parse.urlsplit(r.target).path not in origin.server.scripts]


# -- pip ----------------------------------------------------------------------

def _wheel(name, version, size):
    """A pure-Python wheel: the bytes and the file name."""
    dist = "%s-%s.dist-info" % (name, version)
    files = [
        ("%s/__init__.py" % name, b"VERSION = %r\n" % version.encode()),
        ("%s/data.bin" % name, payload(size)),
        ("%s/METADATA" % dist, ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                                "Summary: cuttle test package\n" % (name, version)).encode()),
        ("%s/WHEEL" % dist, b"Wheel-Version: 1.0\nGenerator: cuttle-tests\n"
                            b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = ""
    for path, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record += "%s,sha256=%s,%d\n" % (path, digest.decode(), len(data))
    files.append(("%s/RECORD" % dist, (record + "%s/RECORD,,\n" % dist).encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            z.writestr(zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue(), "%s-%s-py3-none-any.whl" % (name, version)


def serve_pypi(origin, size):
    """A PEP 503 simple index for PKG 1.0; returns (wheel path, wheel bytes)."""
    whl, fname = _wheel(PKG, "1.0", size)
    path = "/packages/" + fname
    page = ('<!DOCTYPE html>\n<html><body>\n<a href="../../packages/%s#sha256=%s">%s</a>\n'
            '</body></html>\n' % (fname, hashlib.sha256(whl).hexdigest(), fname))
    origin.script("/simple/%s/" % PKG, 200,
                  [("Cache-Control", "max-age=600"), ("Content-Type", "text/html")], page)
    origin.script(path, 200, file_headers(whl), whl)
    return path, whl


def pip_download(p, origin, bump_ca, client_dir, n):
    home = os.path.join(client_dir, "pip%d" % n)
    dest = os.path.join(home, "dl")
    os.makedirs(dest)
    env = clean_env(home)
    env["PIP_CONFIG_FILE"] = os.devnull
    run_tool(["/usr/bin/python3", "-m", "pip", "download", "--no-deps", "--no-cache-dir",
              "--disable-pip-version-check", "--no-input", "--retries", "0",
              "--timeout", "10",
              "--index-url", "https://%s:%d/simple/" % (origin.host, origin.port),
              "--proxy", p.url(), "--cert", bump_ca[0], "-d", dest,
              "%s==1.0" % PKG], home, env)
    return dest


@pytest.mark.parametrize("store,size", CASES)
@pytest.mark.parametrize("rules", RULES)
def test_pip_download_twice_second_wheel_is_a_hit(proxy, bump_ca, certs, pkg_origin,
                                                   client_dir, rules, store, size):
    if subprocess.run(["/usr/bin/python3", "-m", "pip", "--version"],
                      capture_output=True, timeout=30).returncode != 0:
        pytest.skip("Debian's python3-pip is not installed")
    o = pkg_origin("pypi.test")
    path, whl = serve_pypi(o, PAYLOADS[size])
    p = pkg_proxy(proxy, bump_ca, certs, o, rules, store)
    for n in (1, 2):
        dest = pip_download(p, o, bump_ca, client_dir, n)
        with open(os.path.join(dest, os.path.basename(path)), "rb") as f:
            assert f.read() == whl
    assert_second_was_a_hit(p, o, path, store)
    assert unscripted(o) == []


# -- npm ----------------------------------------------------------------------

def _npm_tarball(name, version, size):
    """An npm package tarball: package.json, index.js and data.bin."""
    files = [("package/package.json", json.dumps(
                {"name": name, "version": version, "main": "index.js",
                 "description": "cuttle test package", "license": "MIT"}).encode()),
             ("package/index.js", b"module.exports = 42;\n"),
             ("package/data.bin", payload(size))]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 1704067200
            t.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def serve_registry(origin, size):
    """A registry with PKG 1.0.0; returns (tarball path, tarball bytes)."""
    tgz = _npm_tarball(PKG, "1.0.0", size)
    path = "/%s/-/%s-1.0.0.tgz" % (PKG, PKG)
    base = "https://%s:%d" % (origin.host, origin.port)
    packument = {
        "name": PKG, "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {
            "name": PKG, "version": "1.0.0", "main": "index.js",
            "dist": {"tarball": base + path,
                     "shasum": hashlib.sha1(tgz).hexdigest(),
                     "integrity": "sha512-" + base64.b64encode(
                         hashlib.sha512(tgz).digest()).decode()}}}}
    origin.script("/" + PKG, 200, [("Cache-Control", "max-age=300"),
                                   ("Content-Type", "application/json")],
                  json.dumps(packument).encode())
    origin.script(path, 200, file_headers(tgz), tgz)
    return path, tgz


def npm_pack(p, origin, bump_ca, client_dir, n):
    home = os.path.join(client_dir, "npm%d" % n)
    os.makedirs(home)
    env = clean_env(home)
    # npm starts with `#!/usr/bin/env node`: its node is beside it.
    env["PATH"] = os.path.dirname(NPM) + ":" + env["PATH"]
    run_tool([NPM, "pack", "%s@1.0.0" % PKG,
              "--registry", "https://%s:%d/" % (origin.host, origin.port),
              "--proxy", p.url(), "--https-proxy", p.url(), "--cafile", bump_ca[0],
              "--cache", os.path.join(home, "npmcache"),
              "--userconfig", os.path.join(home, "npmrc"),
              "--globalconfig", os.path.join(home, "npmrc-global"),
              "--fetch-retries", "0", "--fetch-timeout", "10000",
              "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel", "warn"],
             home, env)
    return home


@pytest.mark.parametrize("store,size", CASES)
@pytest.mark.parametrize("rules", RULES)
def test_npm_pack_twice_second_tarball_is_a_hit(proxy, bump_ca, certs, pkg_origin,
                                                client_dir, rules, store, size):
    if NPM is None:
        pytest.skip("npm is not installed (Debian's npm package, or a Node.js "
                    "that bundles it)")
    o = pkg_origin("registry.test")
    path, tgz = serve_registry(o, PAYLOADS[size])
    p = pkg_proxy(proxy, bump_ca, certs, o, rules, store)
    for n in (1, 2):
        home = npm_pack(p, o, bump_ca, client_dir, n)
        with open(os.path.join(home, "%s-1.0.0.tgz" % PKG), "rb") as f:
            assert f.read() == tgz
    assert_second_was_a_hit(p, o, path, store)
    assert unscripted(o) == []


# -- apt ----------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _arch():
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True, check=True, timeout=30).stdout.strip()


def _deb(tmp, size):
    """An Architecture: all package built with dpkg-deb: its bytes."""
    tree = os.path.join(tmp, "debtree")
    os.makedirs(os.path.join(tree, "DEBIAN"))
    os.makedirs(os.path.join(tree, "usr", "share", "doc", PKG))
    with open(os.path.join(tree, "DEBIAN", "control"), "w") as f:
        f.write("Package: %s\nVersion: 1.0\nArchitecture: all\n"
                "Maintainer: cuttle tests <tests@cuttle.test>\n"
                "Description: cuttle test package\n" % PKG)
    with open(os.path.join(tree, "usr", "share", "doc", PKG, "README"), "w") as f:
        f.write("fetched through a bumping proxy\n")
    with open(os.path.join(tree, "usr", "share", "doc", PKG, "data.bin"), "wb") as f:
        f.write(payload(size))
    out = os.path.join(tmp, "%s.deb" % PKG)
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", tree, out],
                   check=True, capture_output=True, timeout=60)
    with open(out, "rb") as f:
        return f.read()


def serve_repo(origin, tmp, size):
    """An unsigned apt repository (suite stable, component main) with PKG 1.0;
    returns (the .deb's path, its bytes)."""
    deb = _deb(tmp, size)
    path = "/pool/main/c/%s/%s_1.0_all.deb" % (PKG, PKG)
    packages = ("Package: %s\nVersion: 1.0\nArchitecture: all\n"
                "Maintainer: cuttle tests <tests@cuttle.test>\n"
                "Filename: %s\nSize: %d\nSHA256: %s\n"
                "Description: cuttle test package\n\n"
                % (PKG, path.lstrip("/"), len(deb), hashlib.sha256(deb).hexdigest())).encode()
    packages_gz = gzip.compress(packages, mtime=0)
    idx = "main/binary-%s/" % _arch()
    now = email.utils.formatdate(usegmt=True)
    release = ("Origin: cuttle\nLabel: cuttle\nSuite: stable\nCodename: stable\n"
               "Date: %s\nArchitectures: %s\nComponents: main\nSHA256:\n"
               % (now, _arch())).encode()
    for name, data in ((idx + "Packages", packages), (idx + "Packages.gz", packages_gz)):
        release += b" %s %d %s\n" % (hashlib.sha256(data).hexdigest().encode(),
                                     len(data), name.encode())
    index = [("Last-Modified", now)]
    origin.script("/dists/stable/InRelease", 404, [], b"not found\n")
    origin.script("/dists/stable/Release.gpg", 404, [], b"not found\n")
    origin.script("/dists/stable/Release", 200, index, release)
    origin.script("/dists/stable/" + idx + "Packages", 200, index, packages)
    origin.script("/dists/stable/" + idx + "Packages.gz", 200, index, packages_gz)
    origin.script(path, 200, file_headers(deb, "application/vnd.debian.binary-package"), deb)
    return path, deb


def apt_root(client_dir, n, p, origin, bump_ca):
    """A private apt root: its config file (for APT_CONFIG) and its dir.

    The config is read instead of /etc/apt/apt.conf and apt.conf.d, so no
    setting of this machine's (proxies, extra index targets, docker-clean)
    applies; the methods run as root, since apt's _apt user may not enter
    the test's temp dir.
    """
    root = os.path.join(client_dir, "apt%d" % n)
    for d in ("etc/apt/apt.conf.d", "var/lib/dpkg", "var/lib/apt/lists/partial",
              "var/cache/apt/archives/partial", "dl"):
        os.makedirs(os.path.join(root, d))
    open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
    with open(os.path.join(root, "etc/apt/sources.list"), "w") as f:
        f.write("deb [trusted=yes] https://%s:%d/ stable main\n" % (origin.host, origin.port))
    conf = os.path.join(root, "apt.conf")
    with open(conf, "w") as f:
        f.write('Dir "%s/";\n'
                'Dir::State::status "%s/var/lib/dpkg/status";\n'
                'Dir::Etc::sourcelist "%s/etc/apt/sources.list";\n'
                'Dir::Etc::sourceparts "-";\n'
                'Dir::Cache "%s/var/cache/apt";\n'
                'APT::Architecture "%s";\n'
                'APT::Sandbox::User "root";\n'
                'Debug::NoLocking "1";\n'
                'Acquire::Languages "none";\n'
                'Acquire::Retries "0";\n'
                'Acquire::https::Timeout "10";\n'
                'Acquire::https::Proxy "%s";\n'
                'Acquire::https::CaInfo "%s";\n'
                % (root, root, root, root, _arch(), p.url(), bump_ca[0]))
    return conf, root


def apt_download(p, origin, bump_ca, client_dir, n):
    conf, root = apt_root(client_dir, n, p, origin, bump_ca)
    env = clean_env(root)
    env["APT_CONFIG"] = conf
    run_tool(["apt-get", "-q", "update"], root, env)
    run_tool(["apt-get", "-q", "download", PKG], os.path.join(root, "dl"), env)
    return os.path.join(root, "dl")


@pytest.mark.parametrize("store,size", CASES)
@pytest.mark.parametrize("rules", RULES)
def test_apt_download_twice_second_deb_is_a_hit(proxy, bump_ca, certs, pkg_origin,
                                                client_dir, rules, store, size):
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        pytest.skip("apt-get and dpkg-deb are not installed")
    o = pkg_origin("deb.test")
    path, deb = serve_repo(o, client_dir, PAYLOADS[size])
    p = pkg_proxy(proxy, bump_ca, certs, o, rules, store)
    for n in (1, 2):
        dl = apt_download(p, o, bump_ca, client_dir, n)
        with open(os.path.join(dl, os.path.basename(path)), "rb") as f:
            assert f.read() == deb
    # apt asks for Release and the indexes with Cache-Control: max-age=0:
    # those are revalidated or fetched again, correctly; only the .deb must hit.
    assert_second_was_a_hit(p, o, path, store)
    assert unscripted(o) == []
