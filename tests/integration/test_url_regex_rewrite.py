"""url_regex_rewrite, our rules-file rewriter: on its own (answers, channel
IDs, reloading, bad files, bad input, store-ID mode), then as the
url_rewrite_program of cuttle and of Debian's Squid 5.7, where a client
sees a rewrite and a redirect."""

import os
import select
import shutil
import subprocess
import time

import pytest

from helpers import get, log_entry

BUILD = os.environ.get("CUTTLE_BUILDDIR", ".")
HELPER = os.path.join(BUILD, "url_regex_rewrite")

pytestmark = pytest.mark.skipif(not os.path.exists(HELPER),
                                reason="url_regex_rewrite is not built")

RULES = r"""# rewrites, a redirect, an exception
!^http://[^/]+/rw/keep
^(http://[^/]+)/rw/(.*)         \1/echo/rewritten/\2
-i ^(http://[^/]+)/CASE/(.*)    \1/echo/case/\2
^(http://[^/]+)/redir302        redirect:302:\1/target302
^(http://[^/]+)/old/(.*)        redirect:301:\1/new/\2
"""


def write(path, text):
    """Writes a new file and moves it into place, as an operator should."""
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


class Helper:
    """url_regex_rewrite on pipes: ask(line) -> its answer line.  Unbuffered,
    so that select() sees every answer not read yet."""

    def __init__(self, rules, *args):
        self.p = subprocess.Popen([HELPER] + list(args) + [rules],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, bufsize=0)
        self.err = b""

    def send(self, data):
        self.p.stdin.write(data if isinstance(data, bytes) else data.encode())

    def read_line(self, timeout=5.0):
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        assert ready, "no answer within %ss" % timeout
        return self.p.stdout.readline().decode()

    def ask(self, line):
        self.send(line + "\n")
        return self.read_line().rstrip("\n")

    def stderr(self):
        """What it wrote to stderr so far (without waiting for more)."""
        while select.select([self.p.stderr], [], [], 0.2)[0]:
            chunk = os.read(self.p.stderr.fileno(), 65536)
            if not chunk:
                break
            self.err += chunk
        return self.err.decode(errors="replace")

    def close(self):
        self.p.stdin.close()
        rc = self.p.wait(timeout=5)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


@pytest.fixture
def rules(tmp_path):
    path = str(tmp_path / "rules")
    write(path, RULES)
    return path


@pytest.fixture
def helper(rules):
    h = Helper(rules)
    yield h
    h.close()


def test_answers(helper):
    assert helper.ask("http://o.test/rw/a?q=1 127.0.0.1/- - GET myip=127.0.0.1 myport=3128") \
        == 'OK rewrite-url="http://o.test/echo/rewritten/a?q=1"'
    assert helper.ask("http://o.test/case/X") == 'OK rewrite-url="http://o.test/echo/case/X"'
    assert helper.ask("http://o.test/redir302") == 'OK status=302 url="http://o.test/target302"'
    assert helper.ask("http://o.test/old/a/b") == 'OK status=301 url="http://o.test/new/a/b"'
    assert helper.ask("http://o.test/rw/keep/x") == "ERR"      # the ! rule
    assert helper.ask("http://o.test/other") == "ERR"
    assert helper.ask("o.test:443 127.0.0.1/- - CONNECT") == "ERR"


def test_concurrency_ids_echoed_in_one_batch(helper):
    helper.send("".join("%d http://o.test/rw/%d 127.0.0.1/- - GET\n" % (i, i)
                        for i in range(1, 51)))
    got = [helper.read_line().rstrip("\n") for _ in range(50)]
    assert got == ['%d OK rewrite-url="http://o.test/echo/rewritten/%d"' % (i, i)
                   for i in range(1, 51)]
    assert helper.ask("51 http://o.test/nothing") == "51 ERR"


def test_quoting_keeps_escapes(helper):
    assert helper.ask('7 http://o.test/rw/sp%20ace?x="y"') == \
        '7 OK rewrite-url="http://o.test/echo/rewritten/sp%20ace?x=\\"y\\""'


def test_bad_input_answers_bh_and_goes_on(helper):
    assert helper.ask("") == 'BH message="empty request"'
    assert helper.ask("12") == '12 BH message="no URL after the channel ID"'
    assert helper.ask("3 http://o.test/rw/" + "x" * 100000) == \
        '3 BH message="request line too long"'
    assert helper.ask("bad\0byte") == 'BH message="NUL byte in the request"'
    assert helper.ask("\x01\xff garbage") == "ERR"
    assert helper.ask("4 http://o.test/rw/still") == \
        '4 OK rewrite-url="http://o.test/echo/rewritten/still"'
    assert "request line longer than 65536 bytes" in helper.stderr()


def test_stdin_eof_exits_0(rules):
    h = Helper(rules)
    h.send("http://o.test/rw/last")     # no newline: answered all the same
    h.p.stdin.close()
    assert h.p.stdout.read().decode() == 'OK rewrite-url="http://o.test/echo/rewritten/last"\n'
    assert h.p.wait(timeout=5) == 0


def test_reload_when_file_changes(rules, helper):
    assert helper.ask("http://o.test/new-rule") == "ERR"   # started first
    write(rules, RULES + "^http://o\\.test/new-rule http://o.test/added\n")
    time.sleep(1.1)     # checked at most once a second
    assert helper.ask("http://o.test/new-rule") == 'OK rewrite-url="http://o.test/added"'
    assert "reloaded, 6 rules" in helper.stderr()


def test_bad_file_on_reload_keeps_old_rules(rules, helper):
    assert helper.ask("http://o.test/x") == "ERR"   # started with the good file
    write(rules, "# broken\n^(unclosed http://x/\n^a b c\n")
    time.sleep(1.1)
    assert helper.ask("http://o.test/rw/a") == 'OK rewrite-url="http://o.test/echo/rewritten/a"'
    err = helper.stderr()
    assert "%s:2: bad regex" % rules in err
    assert '%s:3: unexpected "c" after the replacement' % rules in err
    assert "keeping the 5 rules loaded before" in err
    # and a fixed file is taken again
    write(rules, "^http://o\\.test/ http://fixed/\n")
    time.sleep(1.1)
    assert helper.ask("http://o.test/rw/a") == 'OK rewrite-url="http://fixed/"'


def test_bad_file_at_start_exits_1(tmp_path):
    path = str(tmp_path / "rules")
    write(path, "a b\n\n-x c d\n")
    r = subprocess.run([HELPER, path], input=b"http://a/\n", capture_output=True, timeout=10)
    assert r.returncode == 1
    assert r.stdout == b""
    assert ('%s:3: unknown option "-x"' % path).encode() in r.stderr
    r = subprocess.run([HELPER, str(tmp_path / "missing")], capture_output=True, timeout=10)
    assert r.returncode == 1
    assert b"No such file or directory" in r.stderr


def test_check_option(rules):
    r = subprocess.run([HELPER, "-t", rules], capture_output=True, timeout=10)
    assert (r.returncode, r.stdout) == (0, ("%s: 5 rules\n" % rules).encode())


def test_store_id_mode(tmp_path):
    path = str(tmp_path / "ids")
    write(path, r"^http://[^/]+\.debian\.org/debian/(pool/.*) http://debian.squid.internal/\1" "\n")
    h = Helper(path, "-s")
    assert h.ask("1 http://ftp.de.debian.org/debian/pool/main/a/a.deb 127.0.0.1/- - GET") == \
        '1 OK store-id="http://debian.squid.internal/pool/main/a/a.deb"'
    assert h.ask("2 http://example.test/") == "2 ERR"
    assert h.close() == 0
    write(path, "a redirect:302:http://x/\n")
    r = subprocess.run([HELPER, "-s", path], capture_output=True, timeout=10)
    assert r.returncode == 1
    assert b"redirect rules do not apply to store IDs (-s)" in r.stderr


# --- under a proxy: cuttle (proxy) and Debian's Squid 5.7 (squid_proxy) ---

def proxy_conf(workdir, concurrency):
    """The helper and its rules copied where the proxy user can read them."""
    exe = os.path.join(workdir, "url_regex_rewrite")
    shutil.copy(HELPER, exe)
    os.chmod(exe, 0o755)
    path = os.path.join(workdir, "rewrite.rules")
    write(path, RULES + r"^(http://[^/]+)/sp/(.*)  \1/echo/\2" "\n")
    return ("url_rewrite_program %s %s\n"
            "url_rewrite_children 2 startup=1 idle=1 concurrency=%d\n" % (exe, path, concurrency))


@pytest.fixture(params=["proxy", "squid_proxy"])
def any_proxy(request):
    """cuttle (or whatever PROXY_IMPL says), then Squid 5.7 itself."""
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("concurrency", [0, 10])
def test_rewrite_through_proxy(any_proxy, origin, workdir, concurrency):
    p = any_proxy(conf_extra=proxy_conf(workdir, concurrency))
    assert get(p.port, origin.url("/rw/a")).status == 200
    assert get(p.port, origin.url("/rw/keep/b")).status == 200
    # %20 reaches the origin as %20: the quoted answer is not %-decoded
    assert get(p.port, origin.url("/sp/a%20b")).status == 200
    assert [r.target for r in origin.requests] == \
        ["/echo/rewritten/a", "/rw/keep/b", "/echo/a%20b"]
    e = log_entry(p, 1)
    assert e["code"] == "TCP_MISS/200"
    assert e["url"] == origin.url("/echo/rewritten/a")


def test_redirect_through_proxy(any_proxy, origin, workdir):
    p = any_proxy(conf_extra=proxy_conf(workdir, 5))
    r = get(p.port, origin.url("/redir302"))
    assert (r.status, r.header("Location")) == (302, origin.url("/target302"))
    r = get(p.port, origin.url("/old/x/y"))
    assert (r.status, r.header("Location")) == (301, origin.url("/new/x/y"))
    assert origin.requests == []
    assert [log_entry(p, n)["code"] for n in (1, 2)] == ["TCP_REDIRECT/302", "TCP_REDIRECT/301"]
    assert log_entry(p, 1)["url"] == origin.url("/redir302")


def test_store_id_mode_under_squid(squid_proxy, origin, workdir):
    """-s as Squid 5.7's store_id_program: one file fetched from two mirror
    names is fetched once.  (cuttle's store_id_program is yet to come.)"""
    exe = os.path.join(workdir, "url_regex_rewrite")
    shutil.copy(HELPER, exe)
    os.chmod(exe, 0o755)
    path = os.path.join(workdir, "store.rules")
    write(path, r"^http://(origin|other)\.test:[0-9]+/(pkg/.*) http://mirrors.squid.internal/\2" "\n")
    origin.script("/pkg/a.deb", headers=[("Cache-Control", "max-age=600")], body=b"deb")
    p = squid_proxy(cache=True, conf_extra=(
        "store_id_program %s -s %s\nstore_id_children 1 startup=1 idle=1 concurrency=5\n"
        % (exe, path)))
    r1 = get(p.port, origin.url("/pkg/a.deb"))
    r2 = get(p.port, origin.url("/pkg/a.deb", host="other.test"))
    assert (r1.status, r1.body, r2.status, r2.body) == (200, b"deb", 200, b"deb")
    assert len(origin.requests) == 1
    assert log_entry(p, 2)["code"] == "TCP_MEM_HIT/200"


def test_sample_rules_file(tmp_path):
    """etc/url_regex_rewrite.rules loads as shipped (no rules) and with its
    examples uncommented."""
    sample = os.path.join(os.environ.get("CUTTLE_SRCDIR", "."), "etc", "url_regex_rewrite.rules")
    r = subprocess.run([HELPER, "-t", sample], capture_output=True, timeout=10)
    assert (r.returncode, r.stdout) == (0, ("%s: 0 rules\n" % sample).encode())
    with open(sample) as f:
        lines = [l[1:] if l[:2] in ("#!", "#^", "#-") else l for l in f]
    path = str(tmp_path / "rules")
    write(path, "".join(lines))
    r = subprocess.run([HELPER, "-t", path], capture_output=True, timeout=10)
    assert (r.returncode, r.stdout) == (0, ("%s: 4 rules\n" % path).encode())
