"""store_id_program: the store ID a helper gives becomes the cache key
(memory and cache_dir), so mirrors of one file share one entry while each
request still goes to its own URL; store_id_access, ERR, BH, a helper
that dies, store_id_bypass, PURGE and the request line.  Run under cuttle
and Debian's Squid 5.7 alike, with our url_regex_rewrite -s and the
shipped etc/store_id.rules, with Squid's own storeid_file_rewrite, and with
a scripted helper for the corner cases."""

import os
import re
import shutil
import threading

import pytest

from helpers import PURGE_ACCESS, PURGE_CONF, RawClient, build, get, log_entry, wait_for

BUILD = os.environ.get("CUTTLE_BUILDDIR", ".")
SRC = os.environ.get("CUTTLE_SRCDIR", ".")
REWRITER = os.path.join(BUILD, "url_regex_rewrite")
SHIPPED_RULES = os.path.join(SRC, "etc", "store_id.rules")
SQUID_HELPER = "/usr/lib/squid/storeid_file_rewrite"

FRESH = [("Cache-Control", "max-age=600"), ("Content-Type", "application/octet-stream")]

# Mirror names the shipped rules know, all pointing at the test origin.
MIRRORS = ("deb.debian.org ftp.de.debian.org files.pythonhosted.org mirrors.aliyun.com "
           "registry.npmjs.org registry.npmmirror.com")

# The scripted helper: records each line it gets (argv[1]) and answers by
# the URL's path, whatever the host: /err/ ERR, /bh/ BH, /same/ the URL
# itself, /die/ exits without answering, /slow/ takes a second; anything
# else is OK store-id=http://pkgs.squid.internal<path>.
HELPER = r'''#!/usr/bin/python3
import re, sys, time
record = sys.argv[1]
for line in sys.stdin:
    with open(record, "a") as f:
        f.write(line)
    words = line.split()
    chan = ""
    if len(words) > 1 and words[0].isdigit():
        chan = words.pop(0) + " "
    url = words[0] if words else ""
    path = re.sub(r"^[a-z]+://[^/]+", "", url)
    if "/die/" in path:
        sys.exit(1)
    if "/slow/" in path:
        time.sleep(1)
    if "/err/" in path:
        answer = "ERR"
    elif "/bh/" in path:
        answer = 'BH message="store broke"'
    elif "/same/" in path:
        answer = "OK store-id=" + url
    else:
        answer = "OK store-id=http://pkgs.squid.internal" + path
    print(chan + answer, flush=True)
'''


@pytest.fixture(params=["proxy", "squid_proxy"])
def any_proxy(request):
    """cuttle (or whatever PROXY_IMPL says), then Squid 5.7 itself."""
    return request.getfixturevalue(request.param)


def start(factory, conf, hosts=MIRRORS, **kw):
    """A caching proxy whose hosts file also knows the mirror names."""
    p = factory(conf_extra=conf, cache=True, start=False, **kw)
    if hosts:
        with open(os.path.join(p.dir, "hosts"), "a") as f:
            f.write("127.0.0.1 %s\n" % hosts)
    return p.start()


def scripted(workdir, name="requests.txt", children="1 startup=1 idle=1", extra=""):
    """Config lines for the scripted helper, and its record file."""
    exe = os.path.join(workdir, "storeid.py")
    with open(exe, "w") as f:
        f.write(HELPER)
    os.chmod(exe, 0o755)
    rec = os.path.join(workdir, name)
    open(rec, "w").close()
    os.chmod(rec, 0o666)
    return ("store_id_program %s %s\nstore_id_children %s\n%s\n"
            % (exe, rec, children, extra)), rec


def records(path, n=0, timeout=5.0):
    """The helper's request lines once there are at least n."""
    def have():
        with open(path) as f:
            lines = f.read().splitlines()
        return lines if len(lines) >= n else None
    return wait_for(have, timeout) or []


def copy_exe(src, workdir):
    exe = os.path.join(workdir, os.path.basename(src))
    shutil.copy(src, exe)
    os.chmod(exe, 0o755)
    return exe


def ours(workdir):
    """url_regex_rewrite -s with the shipped rules, copied where the proxy
    user can read them."""
    if not os.path.exists(REWRITER):
        pytest.skip("url_regex_rewrite is not built")
    rules = os.path.join(workdir, "store_id.rules")
    shutil.copy(SHIPPED_RULES, rules)
    os.chmod(rules, 0o644)
    return ("store_id_program %s -s %s\nstore_id_children 2 startup=1 idle=1 concurrency=10\n"
            % (copy_exe(REWRITER, workdir), rules))


def squids(workdir):
    """Squid's storeid_file_rewrite with the Debian rule in its own format."""
    if not os.path.exists(SQUID_HELPER):
        pytest.skip("Debian's squid ships no storeid_file_rewrite here")
    db = os.path.join(workdir, "storeid.db")
    with open(db, "w") as f:
        f.write("^http://(deb|ftp\\.[a-z]+)\\.debian\\.org(:[0-9]+)?/debian/(pool/.*)\t"
                "http://debian.squid.internal/$3\n")
    os.chmod(db, 0o644)
    return "store_id_program %s %s\nstore_id_children 2 startup=1 idle=1\n" % (
        copy_exe(SQUID_HELPER, workdir), db)


# -- two mirror names, one origin fetch ----------------------------------------

@pytest.mark.parametrize("helper", [ours, squids], ids=["url_regex_rewrite", "storeid_file_rewrite"])
def test_two_mirrors_one_fetch(any_proxy, origin, workdir, helper):
    path = "/debian/pool/main/h/hello/hello_2.10-3_amd64.deb"
    origin.script(path, headers=FRESH, body=b"a debian package")
    p = start(any_proxy, helper(workdir))
    r1 = get(p.port, origin.url(path, host="deb.debian.org"))
    r2 = get(p.port, origin.url(path, host="ftp.de.debian.org"))
    assert (r1.status, r1.body) == (200, b"a debian package")
    assert (r2.status, r2.body) == (200, b"a debian package")
    # one fetch, from the URL the first client asked for
    (req,) = origin.requests
    assert req.header("Host") == ["deb.debian.org:%d" % origin.port]
    assert log_entry(p, 1)["code"] == "TCP_MISS/200"
    e = log_entry(p, 2)
    assert e["code"] == "TCP_MEM_HIT/200"
    assert e["url"] == origin.url(path, host="ftp.de.debian.org")


def test_shipped_rules_pypi_and_npm(any_proxy, origin, workdir):
    """The shipped rules file's PyPI and npm rules, each pair one fetch."""
    pairs = [
        ("files.pythonhosted.org", "/packages/aa/bb/0123abcd/requests-2.31.0-py3-none-any.whl",
         "mirrors.aliyun.com", "/pypi/packages/aa/bb/0123abcd/requests-2.31.0-py3-none-any.whl"),
        ("registry.npmjs.org", "/left-pad/-/left-pad-1.3.0.tgz",
         "registry.npmmirror.com", "/left-pad/-/left-pad-1.3.0.tgz"),
        ("registry.npmjs.org", "/@types/node/-/node-20.1.0.tgz",
         "registry.npmmirror.com", "/@types/node/-/node-20.1.0.tgz"),
    ]
    for _, p1, _, p2 in pairs:
        for path in (p1, p2):
            origin.script(path, headers=FRESH, body=b"file " + p1.encode())
    p = start(any_proxy, ours(workdir))
    n = 0
    for h1, p1, h2, p2 in pairs:
        assert get(p.port, origin.url(p1, host=h1)).body == b"file " + p1.encode()
        assert get(p.port, origin.url(p2, host=h2)).body == b"file " + p1.encode()
        n += 2
        assert log_entry(p, n)["code"] == "TCP_MEM_HIT/200"
    assert [r.target for r in origin.requests] == [p1 for _, p1, _, _ in pairs]


@pytest.mark.cuttle_only(reason="%store_id is cuttle's; Squid 5.7 has no such code")
def test_store_id_in_access_log(proxy, origin, workdir):
    origin.script("/pkg/a.deb", headers=FRESH, body=b"deb")
    origin.script("/err/b", headers=FRESH, body=b"b")
    c, _ = scripted(workdir, extra=(
        "logformat sid %ru %Ss %store_id\naccess_log stdio:@DIR@/sid.log sid"))
    p = start(proxy, c)
    assert get(p.port, origin.url("/pkg/a.deb")).status == 200
    assert get(p.port, origin.url("/pkg/a.deb", host="other.test")).status == 200
    assert get(p.port, origin.url("/err/b")).status == 200
    lines = p.access_log_lines(3, path=os.path.join(p.dir, "sid.log"))
    assert lines == [
        "%s TCP_MISS http://pkgs.squid.internal/pkg/a.deb" % origin.url("/pkg/a.deb"),
        "%s TCP_MEM_HIT http://pkgs.squid.internal/pkg/a.deb"
        % origin.url("/pkg/a.deb", host="other.test"),
        "%s TCP_MISS -" % origin.url("/err/b"),
    ]


def test_disk_hit_after_restart(any_proxy, origin, workdir):
    """The store ID keys the cache_dir too: after a restart (nothing in
    memory) the other mirror's request is a disk hit."""
    body = b"x" * 30000
    origin.script("/pkg/big.deb", headers=FRESH, body=body)
    c, _ = scripted(workdir, extra="cache_mem 0 MB\ncache_dir ufs @DIR@/cache 100 16 256")
    p = start(any_proxy, c, make_dirs=True)
    assert get(p.port, origin.url("/pkg/big.deb")).body == body
    cache = os.path.join(p.dir, "cache")
    assert wait_for(lambda: any(files for d, _, files in os.walk(cache)
                                if re.search(r"/[0-9A-F]{2}/[0-9A-F]{2}$", d)), 5.0)
    p.restart()
    r = get(p.port, origin.url("/pkg/big.deb", host="other.test"))
    assert (r.status, r.body) == (200, body)
    assert origin.count("/pkg/big.deb") == 1
    assert log_entry(p, 2)["code"] == "TCP_HIT/200"


@pytest.mark.parametrize("pattern,hit", [
    (r"^http://pkgs\.squid\.internal/", True),
    (r"^http://origin\.test:", False),
])
def test_refresh_pattern_matches_store_id(any_proxy, origin, workdir, pattern, hit):
    """With a store ID, refresh_pattern applies to the ID, not the URL (as
    Squid documents): a response with no freshness of its own is fresh
    only through a pattern on the ID."""
    origin.script("/pkg/r", headers=[("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")],
                  body=b"r")
    c, _ = scripted(workdir, extra="refresh_pattern %s 60 100%% 600\n"
                    "refresh_pattern . 0 0%% 0" % pattern)
    p = start(any_proxy, c)
    assert get(p.port, origin.url("/pkg/r")).status == 200
    assert get(p.port, origin.url("/pkg/r")).status == 200
    assert (log_entry(p, 2)["tag"] == "TCP_MEM_HIT") == hit
    assert origin.count("/pkg/r") == (1 if hit else 2)


def test_vary_variants_under_store_id(any_proxy, origin, workdir):
    origin.script("/pkg/v", headers=FRESH + [("Vary", "Accept-Language")], body=b"v")
    c, _ = scripted(workdir)
    p = start(any_proxy, c)
    en, de = [("Accept-Language", "en")], [("Accept-Language", "de")]
    assert get(p.port, origin.url("/pkg/v"), headers=en).status == 200
    assert get(p.port, origin.url("/pkg/v", host="other.test"), headers=en).status == 200
    assert get(p.port, origin.url("/pkg/v", host="other.test"), headers=de).status == 200
    assert [log_entry(p, n)["tag"] for n in (1, 2, 3)] == ["TCP_MISS", "TCP_MEM_HIT", "TCP_MISS"]
    assert origin.count("/pkg/v") == 2


def test_after_url_rewrite(any_proxy, origin, workdir):
    """The store-ID helper is asked about the rewritten URL, as in Squid."""
    if not os.path.exists(REWRITER):
        pytest.skip("url_regex_rewrite is not built")
    rules = os.path.join(workdir, "rewrite.rules")
    with open(rules, "w") as f:
        f.write(r"^(http://[^/]+)/old/(.*)  \1/pkg/\2" "\n")
    os.chmod(rules, 0o644)
    origin.script("/pkg/rw", headers=FRESH, body=b"rw")
    c, rec = scripted(workdir, extra="url_rewrite_program %s %s\n"
                      "url_rewrite_children 1 startup=1 idle=1"
                      % (copy_exe(REWRITER, workdir), rules))
    p = start(any_proxy, c)
    assert get(p.port, origin.url("/old/rw")).body == b"rw"
    assert get(p.port, origin.url("/old/rw", host="other.test")).body == b"rw"
    assert [r.target for r in origin.requests] == ["/pkg/rw"]
    lines = records(rec, 1)
    assert lines[0].startswith(origin.url("/pkg/rw") + " ")
    assert log_entry(p, 2)["tag"] == "TCP_MEM_HIT"


# -- when there is no store ID -------------------------------------------------

def test_access_deny_skips_helper(any_proxy, origin, workdir):
    origin.script("/nosid/a", headers=FRESH, body=b"a")
    c, rec = scripted(workdir, extra=(
        "acl nosid urlpath_regex ^/nosid/\nstore_id_access deny nosid\n"
        "store_id_access allow all"))
    p = start(any_proxy, c)
    assert get(p.port, origin.url("/nosid/a")).status == 200
    assert get(p.port, origin.url("/nosid/a", host="other.test")).status == 200
    assert get(p.port, origin.url("/pkg/x")).status == 200
    # only /pkg/x was asked about; each /nosid/ URL is its own entry
    lines = records(rec, 1)
    assert len(lines) == 1 and "/pkg/x " in lines[0]
    assert origin.count("/nosid/a") == 2


@pytest.mark.parametrize("kind", ["err", "same"])
def test_err_or_own_url_keeps_url_key(any_proxy, origin, workdir, kind):
    """ERR, or a store ID equal to the URL: the URL is the key."""
    path = "/%s/file" % kind
    origin.script(path, headers=FRESH, body=b"f")
    c, _ = scripted(workdir)
    p = start(any_proxy, c)
    assert get(p.port, origin.url(path)).status == 200
    assert get(p.port, origin.url(path, host="other.test")).status == 200
    assert get(p.port, origin.url(path)).status == 200
    assert origin.count(path) == 2
    assert [log_entry(p, n)["tag"] for n in (1, 2, 3)] == ["TCP_MISS", "TCP_MISS", "TCP_MEM_HIT"]


def test_bh_request_still_served(any_proxy, origin, workdir):
    origin.script("/bh/file", headers=FRESH, body=b"f")
    c, rec = scripted(workdir)
    p = start(any_proxy, c)
    r = get(p.port, origin.url("/bh/file"))
    assert (r.status, r.body) == (200, b"f")
    assert len(records(rec, 3)) >= 2     # tried again
    assert wait_for(lambda: "store broke" in p.cache_log, 5.0)


@pytest.mark.cuttle_only(reason="Squid 5.7 stops with FATAL: crashing too rapidly")
def test_helper_dies_request_served(proxy, origin, workdir):
    origin.script("/die/file", headers=FRESH, body=b"d")
    origin.script("/pkg/after", headers=FRESH, body=b"p")
    c, rec = scripted(workdir, children="2 startup=1 idle=1")
    p = start(proxy, c)
    r = get(p.port, origin.url("/die/file"))
    assert (r.status, r.body) == (200, b"d")
    assert origin.count("/die/file") == 1
    # a new helper takes over: store IDs work again
    assert get(p.port, origin.url("/pkg/after")).status == 200
    assert get(p.port, origin.url("/pkg/after", host="other.test")).status == 200
    assert origin.count("/pkg/after") == 1


def test_client_gone_while_helper_works(any_proxy, origin, workdir):
    origin.script("/pkg/after", headers=FRESH, body=b"a")
    # bypass off: the next requests wait for the one helper, still busy
    c, rec = scripted(workdir, extra="store_id_bypass off")
    p = start(any_proxy, c)
    with RawClient(p.port) as cl:
        cl.send(build("GET", origin.url("/slow/gone")))
        assert records(rec, 1)
    # the late answer is dropped; the helper serves on
    assert get(p.port, origin.url("/pkg/after")).status == 200
    assert get(p.port, origin.url("/pkg/after", host="other.test")).status == 200
    assert origin.count("/pkg/after") == 1
    assert origin.count("/slow/gone") <= 1


@pytest.mark.parametrize("bypass", ["on", "off"])
def test_bypass_when_helper_busy(any_proxy, origin, workdir, bypass):
    """One helper, busy for a second with the first request: with
    store_id_bypass on (the default) the second skips it and is cached under
    its own URL (two fetches); off, it waits for the helper and hits."""
    origin.script("/slow/f", headers=FRESH, body=b"s")
    c, rec = scripted(workdir, children="1 startup=1 idle=1 concurrency=0",
                      extra="store_id_bypass %s" % bypass)
    p = start(any_proxy, c)
    results = {}
    t = threading.Thread(target=lambda: results.update(a=get(p.port, origin.url("/slow/f"))))
    t.start()
    try:
        assert records(rec, 1)
        r = get(p.port, origin.url("/slow/f", host="other.test"))
    finally:
        t.join(10)
    assert r.status == 200 and results["a"].status == 200
    if bypass == "on":
        assert len(records(rec, 1)) == 1
        assert origin.count("/slow/f") == 2
    else:
        assert len(records(rec, 2)) == 2
        assert origin.count("/slow/f") == 1


def test_purge_removes_the_shared_entry(any_proxy, origin, workdir):
    origin.script("/pkg/p", headers=FRESH, body=b"p")
    c, _ = scripted(workdir, extra=PURGE_CONF)
    p = start(any_proxy, c, access=PURGE_ACCESS)
    assert get(p.port, origin.url("/pkg/p")).status == 200
    # PURGE by the other mirror's URL: its store ID names the same entry
    assert get(p.port, origin.url("/pkg/p", host="other.test"), method="PURGE").status == 200
    assert get(p.port, origin.url("/pkg/p")).status == 200
    assert origin.count("/pkg/p") == 2


def _normalise(line, proxy_port):
    line = re.sub(r"myport=%d\b" % proxy_port, "myport=PORT", line)
    return re.sub(r":\d+/", ":ORIGIN/", line)


def test_request_line_format_matches_squid(proxy, squid_proxy, origin, workdir):
    got = []
    for i, factory in enumerate((proxy, squid_proxy)):
        c, rec = scripted(workdir, name="req%d.txt" % i,
                          children="1 startup=1 idle=1 concurrency=2")
        c2, rec2 = scripted(workdir, name="empty%d.txt" % i)
        # the test's own hosts file only: %>A is the address's first name
        p = start(factory, c, hosts=None)
        get(p.port, origin.url("/pkg/x?a=%20b"))
        get(p.port, origin.url("/plain"), method="POST", body=b"x")
        got.append([_normalise(l, p.port) for l in records(rec, 2)])
        p.stop()
        # an empty store_id_extras is sent as "-", as Squid's engine does
        p = start(factory, c2 + 'store_id_extras ""\n', hosts=None)
        get(p.port, origin.url("/pkg/y"))
        with open(rec2) as f:
            got[-1].append(_normalise(f.read(), p.port))
        p.stop()
    assert got[0] == got[1]
    assert got[0][0].startswith("1 http://origin.test:ORIGIN/pkg/x?a=%20b 127.0.0.1/")
    assert got[0][1].split()[4] == "POST"
    assert got[0][2] == "http://origin.test:ORIGIN/pkg/y -\n"
