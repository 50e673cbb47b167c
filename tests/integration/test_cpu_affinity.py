"""cpu_affinity_map: each kid on the core the map gives its number.

Cores are numbered from 1 in squid.conf (core 1 is the kernel's CPU 0).
The kid pins itself before it starts its helpers, which inherit the core.
"""

import os
import re

import pytest

from helpers import wait_for, write_script

HELPER = "#!/bin/sh\nwhile read line; do echo OK; done\n"


def allowed(pid):
    with open("/proc/%d/status" % pid) as f:
        return re.search(r"^Cpus_allowed_list:\s*(\S+)", f.read(), re.M).group(1)


def kid_number(pid):
    """The kid number in a worker's title: cuttle's 'worker N', Squid's
    '(squid-N)'; None for another process (Squid's coordinator)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            title = f.read().replace(b"\0", b" ").decode()
    except OSError:
        return None
    m = re.search(r"worker (\d+)|\(squid-(\d+)\)", title)
    return int(m.group(1) or m.group(2)) if m else None


def kids(p, n):
    found = {}
    for pid in p.children():
        k = kid_number(pid)
        if k is not None:
            found[k] = pid
    return found if len(found) == n else None


def children_of(pid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(name))
    return out


needs_two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or
                                    os.sched_getaffinity(0) != {0, 1},
                                    reason="needs CPUs 0 and 1")


@needs_two_cpus
def test_each_worker_on_its_core(proxy):
    p = proxy("cpu_affinity_map process_numbers=1,2 cores=2,1\n", workers=2, smp=True)
    found = wait_for(lambda: kids(p, 2), 10)
    assert found, p.children()
    assert allowed(found[1]) == "1"     # core 2
    assert allowed(found[2]) == "0"     # core 1


@needs_two_cpus
def test_helpers_inherit_the_core(proxy, workdir):
    h = write_script(workdir, "ok.sh", HELPER)
    p = proxy("cpu_affinity_map process_numbers=1 cores=2\n"
              "url_rewrite_program %s\nurl_rewrite_children 2 startup=2 idle=1\n" % h,
              workers=1, smp=True)
    found = wait_for(lambda: kids(p, 1), 10)
    assert found
    helpers = wait_for(lambda: children_of(found[1]) or None, 10)
    assert helpers
    assert allowed(found[1]) == "1"
    assert all(allowed(pid) == "1" for pid in helpers)


@needs_two_cpus
def test_unmapped_kid_keeps_every_core(proxy):
    p = proxy("cpu_affinity_map process_numbers=1 cores=1\n", workers=2, smp=True)
    found = wait_for(lambda: kids(p, 2), 10)
    assert found
    assert allowed(found[1]) == "0"
    assert allowed(found[2]) == "0-1"


def test_process_number_without_a_kid_is_reported(proxy):
    p = proxy("cpu_affinity_map process_numbers=1,5 cores=1,2\n", workers=2)
    assert wait_for(lambda: "'cpu_affinity_map' has non-existing process number(s)"
                    in p.cache_log, 5)
