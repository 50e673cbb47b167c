"""The cache scenarios: one configuration per phase (memory, disk, workers
2), each run for one proxy with every object warmed by one miss, then the
hits measured, and each figure judged from the access.log: a figure that
did not measure full-size hits is reported as not measured.
"""

import os
import pwd
import shutil
import statistics
import subprocess
import time

from bench_client import bench_fetch, bench_new_conns, bench_wrk_run
from bench_common import (BODY_100M, CACHE_OBJECTS, REPEAT, SMP_REQUESTS,
                          SQUID, BenchError, bench_log)
from bench_proxy import BenchProxy, bench_proxy_noise

HIT_CODES = ("TCP_MEM_HIT", "TCP_HIT")
# One configuration per cache phase, used unchanged by both proxies.
CACHE_CONFS = {
    # Memory only: everything, up to the 100 MiB object, fits in cache_mem.
    "mem": """\
workers 1
cache_mem 512 MB
maximum_object_size 200 MB
maximum_object_size_in_memory 200 MB
""",
    # Disk only: no memory cache and no object small enough for it, so a
    # hit can only come from the cache_dir.
    "disk": """\
workers 1
cache_mem 0 MB
maximum_object_size_in_memory 32 KB
maximum_object_size 200 MB
cache_dir ufs %(dir)s/cache_dir 1024 16 256
""",
    # Two workers sharing one memory cache.
    "smp": """\
workers 2
cache_mem 64 MB
""",
}


def bench_cache_dir_make(bench, proxy, zargv):
    """A fresh, empty cache_dir for each proxy (their formats differ and
    the other proxy's objects must not be found), initialised by -z."""
    cdir = os.path.join(bench.dir, "cache_dir")
    shutil.rmtree(cdir, ignore_errors=True)
    os.mkdir(cdir)
    if os.geteuid() == 0:
        pw = pwd.getpwnam(bench.user)
        os.chown(cdir, pw.pw_uid, pw.pw_gid)
    out = os.path.join(bench.dir, "%s.z.log" % proxy.name)
    with open(out, "w") as f:
        r = subprocess.run(zargv, stdin=subprocess.DEVNULL, stdout=f,
                           stderr=subprocess.STDOUT, cwd=bench.dir,
                           env=proxy.env, timeout=120)
    if r.returncode != 0 or not os.listdir(cdir):
        raise BenchError("%s: %s exited %d and left %d entries in %s; see %s"
                         % (proxy.name, " ".join(zargv), r.returncode,
                            len(os.listdir(cdir)), cdir, out))
    if os.geteuid() == 0:
        # Whatever -z created as root must be writable by the proxy user.
        subprocess.run(["chown", "-R", "%s:" % bench.user, cdir], check=True)


def bench_cache_phase(bench, kind, phase, cuttle, env, svc):
    """One cache configuration for one proxy: start it, warm each object
    with one request, measure the hits, stop it and judge the figures from
    its access.log."""
    conf = bench.conf_write("cache-%s.conf" % phase,
                            CACHE_CONFS[phase] % {"dir": bench.dir})
    name = "%s.%s" % (kind, phase)
    if kind == "cuttle":
        argv = [cuttle, "--foreground", "-f", conf]
        zargv = [cuttle, "-z", "-f", conf]
    else:
        # -N disables SMP, so two workers need --foreground; the service
        # name keeps our shared memory segments and IPC sockets apart from
        # any other Squid on the machine.
        argv = [SQUID, "--foreground" if phase == "smp" else "-N",
                "-n", svc, "-f", conf]
        zargv = [SQUID, "-z", "-N", "-n", svc, "-f", conf]
    proxy = BenchProxy(name, argv, env, bench)
    bench_log("== %s: %s" % (name, " ".join(argv)))
    # Each entry: (result key, path, object size, figure, client requests)
    measured = []
    try:
        if phase == "disk":
            bench_cache_dir_make(bench, proxy, zargv)
        proxy.start()
        if phase == "mem":
            for obj, key in (("1k", "mem_1k"), ("64k", "mem_64k")):
                path = "/c/" + obj
                bench_fetch(bench, path, CACHE_OBJECTS[obj],
                            "%s warm %s" % (name, path))
                time.sleep(0.5)
                r = bench_wrk_run(bench, proxy, path, "memory hit " + obj)
                measured.append((key, path, CACHE_OBJECTS[obj], r,
                                 r["requests"]))
        if phase == "disk":
            path = "/c/64k"
            bench_fetch(bench, path, CACHE_OBJECTS["64k"],
                        "%s warm %s" % (name, path))
            time.sleep(1.0)
            r = bench_wrk_run(bench, proxy, path, "disk hit 64k")
            measured.append(("disk_64k", path, CACHE_OBJECTS["64k"], r,
                             r["requests"]))
        if phase in ("mem", "disk"):
            path = "/c/100m"
            try:
                miss = bench_fetch(bench, path, BODY_100M,
                                   "%s warm %s" % (name, path))
                # Let the proxy finish storing (a disk store may trail
                # the client's last byte).
                time.sleep(2.0)
                speeds = [bench_fetch(bench, path, BODY_100M,
                                      "%s cached %s" % (name, path))
                          for _ in range(REPEAT)]
            except BenchError as e:
                # A failed 100 MiB download marks this figure as not
                # measured; the other figures of the run still stand.
                bench_log("  %s: cached 100 MiB NOT MEASURED: %s"
                          % (name, e))
                measured.append(("%s_100m" % phase, path, BODY_100M,
                                 {"failed": str(e)}, None))
            else:
                med = statistics.median(speeds)
                bench_log("  %s: cached 100 MiB %.1f MB/s (runs: %s; "
                          "warm-up miss %.1f MB/s)" % (name, med, ", ".join(
                              "%.1f" % x for x in speeds), miss))
                measured.append(("%s_100m" % phase, path, BODY_100M,
                                 {"mbps": med, "runs": speeds,
                                  "warm_mbps": miss}, REPEAT))
        if phase == "smp":
            path = "/c/1k"
            bench_fetch(bench, path, CACHE_OBJECTS["1k"],
                        "%s warm %s" % (name, path))
            time.sleep(0.5)
            r = bench_new_conns(bench, proxy, path, CACHE_OBJECTS["1k"],
                                SMP_REQUESTS)
            measured.append(("smp_1k", path, CACHE_OBJECTS["1k"], r,
                             r["requests"]))
    except BaseException:
        proxy.stop(quiet=True)
        raise
    proxy.stop()
    bench_proxy_noise(proxy)
    results = {}
    lines = proxy.access_log()
    for key, path, size, r, nreq in measured:
        if "failed" in r:
            url = "http://127.0.0.1:%d%s" % (bench.http_port, path)
            ev = [" ".join(f) for f in lines if len(f) >= 7 and f[6] == url]
            bench_log("  %s access.log %s: NOT MEASURED (%s); its lines: %s"
                      % (proxy.name, path, r["failed"], ev or "none"))
            r.update({"valid": False, "why": [r["failed"]], "evidence": ev})
        else:
            r.update(bench_cache_judge(bench, proxy, lines, key, path, size,
                                       nreq))
        results[key] = r
    codes = {}
    for f in lines:
        if len(f) >= 4:
            codes[f[3]] = codes.get(f[3], 0) + 1
    bench_log("  %s access.log result codes: %s" % (name, codes))
    results["%s_access_log_codes" % phase] = codes
    for k in ("process_set_changed", "orphans_after_stop",
              "suspicious_log_lines"):
        if k in proxy.results:
            results["%s_%s" % (phase, k)] = proxy.results[k]
    return results


def bench_cache_judge(bench, proxy, lines, key, path, size, nreq):
    """Whether the figure measured hits: the access.log must hold the
    warm-up miss plus at least nreq further lines for the URL (wrk may
    leave a few answered but uncounted at the end), and at least 99% of
    those must be hits (TCP_MEM_HIT or TCP_HIT) of the full size.  A figure
    that fails this is reported as not measured, with the evidence."""
    url = "http://127.0.0.1:%d%s" % (bench.http_port, path)
    mine = [f for f in lines if len(f) >= 7 and f[6] == url]
    first = mine[0][3] if mine else None
    rest = mine[1:]
    kinds = {}
    hits = cut = 0
    for f in rest:
        kinds[f[3]] = kinds.get(f[3], 0) + 1
        if "_ABORTED" in f[3] or int(f[4]) < size:
            # Cut short when wrk stopped with requests in flight: not a
            # response the client counted.
            cut += 1
        elif f[3].split("/")[0] in HIT_CODES and f[3].endswith("/200"):
            hits += 1
    complete = len(rest) - cut
    ratio = hits / complete if complete else 0.0
    why = []
    if first is None or not first.startswith("TCP_MISS/200"):
        why.append("warm-up request logged as %s, want TCP_MISS/200" % first)
    if complete < nreq:
        why.append("%d complete access.log lines after the warm-up (%d more "
                   "cut short or aborted), want >= %d the client counted"
                   % (complete, cut, nreq))
    if ratio < 0.99 and key != "smp_1k":
        # For workers 2 the hit ratio is itself the figure.
        why.append("hit ratio %.4f < 0.99" % ratio)
    ok = not why
    bench_log("  %s access.log %s: warm-up %s, then %d lines (%d cut short "
              "or aborted; client counted %d): %s; full-size hits %d of %d "
              "(%.2f%%) %s"
              % (proxy.name, path, first, len(rest), cut, nreq, kinds, hits,
                 complete, 100.0 * ratio, "ok" if ok else "NOT MEASURED: "
                 + "; ".join(why)))
    out = {"valid": ok, "hits": hits, "log_lines": len(rest),
           "complete": complete, "cut_short": cut,
           "hit_ratio": ratio, "codes": kinds, "warm_code": first}
    if not ok:
        out["why"] = why
        # Evidence: the first lines that are not full-size hits.
        bad = [" ".join(f) for f in rest
               if f[3].split("/")[0] not in HIT_CODES][:5]
        for b in bad:
            bench_log("    " + b)
        out["evidence"] = bad
    return out
