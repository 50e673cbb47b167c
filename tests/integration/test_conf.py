"""Config cases: every tests/conf/*.conf through `-k parse`.

Each file starts with `# expect: ok` (exit 0) or `# expect: <substring>`
(non-zero exit, the substring on stderr).  Error expectations are cuttle's
messages, so only `ok` cases also run under PROXY_IMPL=squid, proving those
configs are ones Squid 5.7 accepts.
"""

import glob
import os
import subprocess

import pytest

from proxyproc import SQUID, cuttle_binary, proxy_env, srcdir

CONF_DIR = os.path.join(srcdir(), "tests", "conf")


def expectation(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline().strip()
    assert first.startswith("# expect:"), "%s: first line must be '# expect: ...'" % path
    return first[len("# expect:"):].strip()


def cases():
    out = []
    for path in sorted(glob.glob(os.path.join(CONF_DIR, "*.conf"))):
        marks = [] if expectation(path) == "ok" else [
            pytest.mark.cuttle_only(reason="the expected message is cuttle's wording")]
        out.append(pytest.param(path, id=os.path.basename(path), marks=marks))
    return out


@pytest.mark.parametrize("path", cases())
def test_conf_case(path, impl):
    want = expectation(path)
    binary = SQUID if impl == "squid" else cuttle_binary()
    r = subprocess.run([binary, "-k", "parse", "-f", path], capture_output=True, text=True,
                       timeout=30, env=proxy_env(), cwd=CONF_DIR)
    if want == "ok":
        if impl == "squid" and r.returncode != 0 and "No such file or directory" in r.stderr:
            # Squid opens the files a config names (CA certificates...) while
            # parsing; this machine may not have them.
            missing = [l for l in r.stderr.splitlines() if "No such file" in l]
            pytest.skip("squid needs files this config names: " + missing[0])
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode != 0, "expected failure: %s\n%s" % (want, r.stderr)
        assert want in r.stderr


def test_conf_cases_exist():
    # The suite must not silently pass on an empty directory.
    assert glob.glob(os.path.join(CONF_DIR, "*.conf")), "no config cases in %s" % CONF_DIR


@pytest.mark.cuttle_only(reason="Squid reports 'FILE(LINE): unrecognized' and stops at a bad value")
def test_all_errors_reported_in_one_pass(workdir):
    conf = workdir + "/two-errors.conf"
    with open(conf, "w") as f:
        f.write("pid_filename none\nno_such_directive 1\nvia maybe\nhttp_port 3128\n"
                "another_unknown x\n")
    r = subprocess.run([cuttle_binary(), "-k", "parse", "-f", conf], capture_output=True,
                       text=True, timeout=30, env=proxy_env())
    assert r.returncode != 0
    for line in (2, 3, 5):
        assert "%s:%d: " % (conf, line) in r.stderr, r.stderr


PORT_OPTIONS = ["intercept", "tproxy", "transparent"]


@pytest.mark.cuttle_only(reason="the warnings are cuttle's wording")
def test_parse_port_modes_quiet(tmp_path):
    # intercept and tproxy work (test_intercept.py): -k parse says nothing
    # about them; transparent is intercept's deprecated name and says so.
    conf = tmp_path / "ports.conf"
    lines = ["pid_filename none", "cache_log /dev/null"]
    for n, opt in enumerate(PORT_OPTIONS):
        lines.append("http_port %d %s" % (3200 + n, opt))
    lines.append("https_port 3443 tls-cert=%s" % os.path.join(CONF_DIR, "test-ca-with-key.pem"))
    conf.write_text("\n".join(lines) + "\n")
    r = subprocess.run([cuttle_binary(), "-k", "parse", "-f", str(conf)], capture_output=True,
                       text=True, timeout=30, env=proxy_env())
    assert r.returncode == 0, r.stderr
    assert "not supported" not in r.stderr, r.stderr
    assert "%s:5: http_port option 'transparent' is deprecated" % conf in r.stderr, r.stderr
    assert "https_port" not in r.stderr and "ssl-bump" not in r.stderr, r.stderr
