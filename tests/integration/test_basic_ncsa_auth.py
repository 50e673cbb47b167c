"""basic_ncsa_auth: ours next to Squid 5.7's, on the same input.

Each test feeds one input stream (and one password file) to both helpers
and asserts the same stdout, exit status and stderr: every hash type,
wrong passwords, unknown users, malformed and over-long lines, %-escaped
names and passwords, a file that changes, vanishes or cannot be read.
"""

import ctypes
import hashlib
import os
import select
import shutil
import subprocess
import tempfile

import pytest

BUILD = os.environ.get("CUTTLE_BUILDDIR", ".")
OURS = os.path.join(BUILD, "basic_ncsa_auth")
SQUID = "/usr/lib/squid/basic_ncsa_auth"

pytestmark = pytest.mark.skipif(not os.path.exists(SQUID),
                                reason="Squid's basic_ncsa_auth is not installed")


def _openssl(*args):
    return subprocess.run(["openssl", "passwd"] + list(args), check=True,
                          capture_output=True, text=True,
                          timeout=30).stdout.strip()


def _des(pw, salt):
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    return lib.crypt(pw.encode(), salt.encode()).decode()


# user -> (hash, right password); passwords are given to the helpers raw,
# so keep them free of spaces-at-the-end and escapes unless meant.
USERS = {
    "des": (_des("secret", "ab"), "secret"),
    "md5": (_openssl("-1", "pw-md5"), "pw-md5"),
    "sha256": (_openssl("-5", "pw-sha256"), "pw-sha256"),
    "sha512": (_openssl("-6", "pw-sha512"), "pw-sha512"),
    "apr1": (_openssl("-apr1", "pw-apr1"), "pw-apr1"),
    "plain": (hashlib.md5(b"pw-plain").hexdigest(), "pw-plain"),
    "one": (_openssl("-6", "x"), "x"),
}


def _write(path, lines, mtime=None):
    with open(path, "wb") as f:
        for line in lines:
            f.write(line.encode() if isinstance(line, str) else line)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


@pytest.fixture
def pwfile(tmp_path):
    path = str(tmp_path / "passwd")
    _write(path, ["%s:%s\n" % (u, h) for u, (h, _) in USERS.items()] + [
        "deslong:%s\n" % _des("longpassword", "cd"),
        "we ird:%s\n" % _openssl("-1", 'p%s w"d'),
        "\u00fcmlaut:%s\n" % _openssl("-apr1", "p\u00e4"),
        "a%%b:%s\n" % _openssl("-1", "pct"),
        "a%%00b:%s\n" % _openssl("-1", "nul"),
        "spaced:%s\n" % _openssl("-1", " two  spaces "),
    ])
    return path


def _both(args, data=b"", ours=OURS, **kw):
    """Run both helpers on the same input; return Squid's result after
    asserting ours gave the same bytes and status."""
    res = []
    for prog in (SQUID, ours):
        res.append(subprocess.run([prog] + args, input=data,
                                  capture_output=True, timeout=30, **kw))
    squid, ours = res
    assert ours.stdout == squid.stdout
    assert ours.stderr == squid.stderr
    assert ours.returncode == squid.returncode
    return squid


def _lines(*lines):
    return "".join(line + "\n" for line in lines).encode()


def test_usage():
    for args in ([], ["a", "b"]):
        r = _both(args)
        assert r.returncode == 1
        assert r.stderr == b"Usage: ncsa_auth <passwordfile>\n"


def test_missing_file(tmp_path):
    r = _both([str(tmp_path / "nope")], _lines("md5 pw-md5"))
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr == b"FATAL: cannot stat %s\n" % str(tmp_path / "nope").encode()


@pytest.mark.parametrize("user", sorted(USERS))
def test_hash_type(pwfile, user):
    pw = USERS[user][1]
    r = _both([pwfile], _lines("%s %s" % (user, pw), "%s %sX" % (user, pw),
                               "%s %s" % (user, pw[:-1] or "y")))
    assert r.stdout.split(b"\n")[:2] == [b"OK ", b"ERR Wrong password"]
    assert r.returncode == 0


def test_des_truncation(pwfile):
    # DES uses 8 bytes: Squid refuses a longer password that matches.
    r = _both([pwfile], _lines("deslong longpass", "deslong longpasXX",
                               "deslong longpassword"))
    assert r.stdout == (b"OK \nERR Wrong password\n"
                        b"ERR Password too long. Only 8 characters accepted.\n")


def test_unknown_user(pwfile):
    r = _both([pwfile], _lines("nobody x", "MD5 pw-md5"))
    assert r.stdout == b"ERR No such user\n" * 2


def test_malformed_lines(pwfile):
    r = _both([pwfile], _lines("", "md5", "md5 ", "   ", "md5\tpw-md5",
                               "  md5 pw-md5", "md5  pw-md5", "md5 pw-md5\r")
              + b"md5 pw-md5\0junk\nmd5 pw-md5")
    assert r.stdout == (b"ERR \n" * 5 + b"OK \n" + b"ERR Wrong password\n" * 2
                        + b"OK \n" * 2)


def test_escaped_names_and_passwords(pwfile):
    r = _both([pwfile], _lines(
        "we%20ird p%25s%20w%22d", "we%20ird p%s%20w%22d",
        "%C3%BCmlaut p%C3%A4", "%c3%bcmlaut p%c3%a4",
        "a%%b pct", "a%25b pct", "a%00b nul", "a%zzb x",
        "spaced %20two%20%20spaces%20", "spaced  two  spaces "))
    assert r.stdout == (b"OK \n" * 4 + b"OK \n" * 3 + b"ERR No such user\n"
                        + b"OK \n" * 2)


def test_no_channel_ids(pwfile):
    r = _both([pwfile], _lines("1 md5 pw-md5"))
    assert r.stdout == b"ERR No such user\n"


def test_long_request_lines(pwfile):
    # Squid reads 8195 bytes at a time and answers each piece.
    data = b""
    for n in (8194, 8195, 8196, 20000):
        data += b"md5 " + b"a" * (n - 4) + b"\n"
    data += b"md5 " + b"a" * 8191 + b"md5 pw-md5\n"
    r = _both([pwfile], data)
    assert r.stdout.count(b"\n") == 10


def test_password_file_quirks(tmp_path):
    path = str(tmp_path / "passwd")
    h1, h2 = _openssl("-1", "one"), _openssl("-1", "two")
    _write(path, [
        "# comment:%s\n" % h1, " sp:%s\n" % h1, "\tt:%s\n" % h1, "\n",
        "::\n", "\r\n", "nopw\n", "nopw2:\n",
        "dup:%s\n" % h1, "dup:%s\n" % h2,
        "extra:%s:1000:100:gecos\n" % h1, "crlf:%s\r\n" % h1,
        "::lead:%s\n" % h1, "last:%s" % h1,
    ])
    r = _both([path], _lines("comment x", "# x", "sp one", "nopw x",
                             "nopw2 x", "dup one", "dup two", "extra one",
                             "crlf one", "lead one", "last one"))
    assert r.stdout == (b"ERR No such user\n" * 5 + b"ERR Wrong password\n"
                        + b"OK \n" * 5)
    assert r.stderr == ("ERROR: Missing user name at %s line 5\n"
                        "ERROR: Missing user name at %s line 6\n"
                        % (path, path)).encode()


def test_long_password_file_lines(tmp_path):
    # The file is read 8194 bytes at a time: the rest is another line.
    h = _openssl("-1", "x")
    for n in (8193, 8194, 8195):
        path = str(tmp_path / ("passwd%d" % n))
        head = "x:%s:" % h
        _write(path, [head + "A" * (n - len(head)) + "y:%s\n" % h])
        r = _both([path], _lines("x x", "y x", "Ay x"))
        assert r.stdout.startswith(b"OK \n")


class _Pair:
    """Both helpers running side by side, asked one line at a time."""

    def __init__(self, args, ours=OURS, **kw):
        self.procs = [subprocess.Popen([p] + args, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, bufsize=0, **kw)
                      for p in (SQUID, ours)]

    def ask(self, line):
        out = []
        for p in self.procs:
            p.stdin.write(line.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                ready, _, _ = select.select([p.stdout], [], [], 10)
                assert ready, "no reply to %r" % line
                chunk = p.stdout.read(1)
                if not chunk:
                    break
                buf += chunk
            out.append(buf)
        assert out[0] == out[1]
        return out[0]

    def close(self):
        res = []
        for p in self.procs:
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
            p.wait(timeout=10)
            res.append((p.returncode, p.stdout.read(), p.stderr.read()))
            p.stdout.close()
            p.stderr.close()
        assert res[0] == res[1]
        return res[0]


def test_reread_when_mtime_changes(tmp_path):
    path = str(tmp_path / "passwd")
    _write(path, ["alice:%s\n" % _openssl("-1", "first")], mtime=1000000000)
    pair = _Pair([path])
    assert pair.ask("alice first") == b"OK \n"
    assert pair.ask("bob second") == b"ERR No such user\n"
    # Same mtime: the new contents are not seen.
    _write(path, ["bob:%s\n" % _openssl("-6", "second")], mtime=1000000000)
    assert pair.ask("alice first") == b"OK \n"
    os.utime(path, (1000000100, 1000000100))
    assert pair.ask("alice first") == b"ERR No such user\n"
    assert pair.ask("bob second") == b"OK \n"
    assert pair.close() == (0, b"", b"")


def test_vanished_file_keeps_users(tmp_path):
    path = str(tmp_path / "passwd")
    _write(path, ["alice:%s\n" % _openssl("-1", "first")])
    pair = _Pair([path])
    assert pair.ask("alice first") == b"OK \n"
    os.rename(path, path + ".old")
    assert pair.ask("alice first") == b"OK \n"
    _write(path, ["::\n"], mtime=1000000000)
    assert pair.ask("alice first") == b"ERR No such user\n"
    rc, out, err = pair.close()
    assert (rc, err) == (0, b"ERROR: Missing user name at %s line 1\n"
                         % path.encode())


@pytest.fixture
def world_dir():
    """A directory an unprivileged user can reach, holding a copy of ours."""
    d = tempfile.mkdtemp(prefix="ncsa-")
    os.chmod(d, 0o755)
    shutil.copy(OURS, os.path.join(d, "basic_ncsa_auth"))
    yield d
    shutil.rmtree(d)


def _as_nobody():
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)


def test_unreadable_file(world_dir):
    ours = os.path.join(world_dir, "basic_ncsa_auth")
    path = os.path.join(world_dir, "passwd")
    _write(path, ["alice:%s\n" % _openssl("-1", "first")])
    os.chmod(path, 0)
    # The file is opened on the first request, not at startup.
    r = _both([path], b"", ours, preexec_fn=_as_nobody)
    assert (r.returncode, r.stderr) == (0, b"")
    r = _both([path], _lines("alice first"), ours, preexec_fn=_as_nobody)
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr == b"FATAL: %s: (13) Permission denied\n" % path.encode()


def test_file_becomes_unreadable(world_dir):
    ours = os.path.join(world_dir, "basic_ncsa_auth")
    path = os.path.join(world_dir, "passwd")
    _write(path, ["alice:%s\n" % _openssl("-1", "first")], mtime=1000000000)
    os.chmod(path, 0o644)
    pair = _Pair([path], ours, preexec_fn=_as_nobody)
    assert pair.ask("alice first") == b"OK \n"
    os.chmod(path, 0)
    os.utime(path, (1000000100, 1000000100))
    for p in pair.procs:
        p.stdin.write(b"alice first\n")
    rc, out, err = pair.close()
    assert (rc, out) == (1, b"")
    assert err == b"FATAL: %s: (13) Permission denied\n" % path.encode()


def test_directory_as_file(tmp_path):
    r = _both([str(tmp_path)], _lines("alice first"))
    assert r.stdout == b"ERR No such user\n"
