"""umask: the mask or'ed into the umask the proxy started with, for every
file it creates (Squid's setUmask, src/tools.cc, applied after parsing and
at each reconfigure).  Squid creates logs and cache files with mode 0644
and cache directories 0755, so the default 027 gives 0640 and 0750, and
`umask 077` gives 0600 and 0700.  The test process's own umask is 022.
"""

import glob
import os
import stat

import pytest

from helpers import get, wait_for

FRESH = [("Cache-Control", "max-age=600")]


@pytest.fixture(autouse=True)
def started_with_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def object_files(d):
    return [f for f in glob.glob(os.path.join(d, "[0-9A-F][0-9A-F]", "[0-9A-F][0-9A-F]", "*"))
            if os.path.isfile(f)]


def modes_after_one_cached_object(proxy, origin, extra):
    origin.script("/obj", headers=FRESH, body="x" * 100)
    p = proxy("cache_mem 0 MB\ncache_dir ufs @DIR@/cache 10 16 256\n" + extra,
              cache=True, make_dirs=True)
    assert get(p.port, origin.url("/obj")).status == 200
    p.access_log_lines(1)
    cache = os.path.join(p.dir, "cache")
    files = wait_for(lambda: object_files(cache) or None, 10.0)
    assert files, "no object on disk"
    return {
        "access.log": mode(p.access_log),
        "cache.log": mode(p.cache_log_path),
        "object": mode(files[0]),
        "L1 dir": mode(os.path.join(cache, "00")),
    }


def test_default_027(proxy, origin):
    assert modes_after_one_cached_object(proxy, origin, "") == {
        "access.log": 0o640, "cache.log": 0o640, "object": 0o640, "L1 dir": 0o750}


def test_umask_077(proxy, origin):
    assert modes_after_one_cached_object(proxy, origin, "umask 077\n") == {
        "access.log": 0o600, "cache.log": 0o600, "object": 0o600, "L1 dir": 0o700}


def test_umask_is_added_to_the_starting_one(proxy, origin):
    # 0 takes nothing away from what the proxy started with (022)
    assert modes_after_one_cached_object(proxy, origin, "umask 0\n") == {
        "access.log": 0o644, "cache.log": 0o644, "object": 0o644, "L1 dir": 0o755}
