"""The helper scenarios (BENCH_SCENARIOS=helpers): a cached 1 KiB object
(a memory hit) under wrk load, on a base configuration and on the same
configuration plus one helper feature, each for cuttle and Squid on the
same file:

- auth: basic authentication required (`auth_param basic program
  basic_ncsa_auth`, `acl auth proxy_auth REQUIRED`, `http_access allow
  auth`), every request carrying the same Proxy-Authorization; the
  credentials are cached (credentialsttl, authenticate_ttl), so the
  steady state asks the helper nothing.  Run with Squid's basic_ncsa_auth
  (`auth`) and with ours (`auth-ours`);
- rewrite: `url_rewrite_program` with our url_regex_rewrite and 1,000
  rules of which the last matches the benchmark URL (and rewrites it to
  itself, so the cached object stays the same); rewrites are not cached,
  so every request goes through the helper (`concurrency=100`);
- extacl: `external_acl_type ... ttl=3600 %SRC` with a shell helper that
  answers OK, `http_access allow` it; the result is cached, so the steady
  state asks the helper nothing.

The figures are requests/s and the proxy's CPU time per request (its
whole process tree, helpers included, from /proc), since wrk and nginx
share the cores with the proxy; the overhead of a feature is its CPU per
request against the base's, for each proxy.
"""

import base64
import os
import shutil
import statistics
import subprocess
import time

from bench_cache import bench_cache_judge
from bench_client import bench_fetch, bench_wrk_run
from bench_common import (CURL, DURATION, OPENSSL, SQUID, BenchError,
                          bench_log, bench_tree_cpu, bench_tree_cpu_delta)
from bench_proxy import BenchProxy, bench_proxy_noise

HELPERS_REPEAT = int(os.environ.get("BENCH_HELPERS_REPEAT", "3"))
HELPERS_CONFS = [x.strip() for x in
                 os.environ.get("BENCH_HELPERS_CONFS",
                                "base,auth,auth-ours,rewrite,extacl")
                 .split(",") if x.strip()]
SQUID_BASIC_AUTH = os.environ.get("SQUID_BASIC_AUTH",
                                  "/usr/lib/squid/basic_ncsa_auth")
HELPERS_USER, HELPERS_PASS = "bench", "bench-secret"
HELPERS_RULES = 1000
HELPERS_PATH = "/c/1k"
HELPERS_SIZE = 1024
# A memory cache for the 1 KiB object; the same lines in every file.
HELPERS_BASE = """\
workers 1
cache_mem 64 MB
maximum_object_size_in_memory 1 MB
"""
# feature: (target overhead of CPU per request, what the table calls it)
HELPERS_TARGETS = {"auth": (0.10, "basic auth, Squid's helper"),
                   "auth-ours": (0.10, "basic auth, our helper"),
                   "rewrite": (0.25, "url_rewrite, 1000 rules"),
                   "extacl": (0.10, "external ACL")}


class HelpersSetup:
    """The helper programs (copied where the proxy's user can run them),
    the password file, the rewrite rules and the external ACL script."""

    def __init__(self, bench, cuttle):
        self.bench = bench
        d = bench.dir
        build = os.path.dirname(cuttle)
        self.prog = {}
        for name in ("basic_ncsa_auth", "url_regex_rewrite"):
            src = os.path.join(build, name)
            if not os.access(src, os.X_OK):
                raise BenchError("helpers: no %s next to cuttle" % src)
            self.prog[name] = os.path.join(d, "ours-" + name)
            shutil.copy(src, self.prog[name])
            os.chmod(self.prog[name], 0o755)
        if not os.access(SQUID_BASIC_AUTH, os.X_OK):
            raise BenchError("helpers: no %s" % SQUID_BASIC_AUTH)
        # MD5-crypt, which both basic_ncsa_auth programs check.
        h = subprocess.run([OPENSSL, "passwd", "-1", HELPERS_PASS],
                           capture_output=True, text=True, check=True,
                           timeout=30).stdout.strip()
        self.passwd = self.write("passwd", "%s:%s\n" % (HELPERS_USER, h))
        port = bench.http_port
        rules = ["^http://site%d\\.example\\.com/(.*) "
                 "http://mirror%d.example.net/\\1" % (i, i)
                 for i in range(1, HELPERS_RULES - 1)]
        # The check that the helper is on the path: /rwcheck redirects.
        rules.append("^http://127\\.0\\.0\\.1:%d/rwcheck$ "
                     "redirect:302:http://127.0.0.1:%d/idle" % (port, port))
        # The benchmark URL matches the last rule only.
        rules.append("^http://127\\.0\\.0\\.1:%d/c/(.*)$ "
                     "http://127.0.0.1:%d/c/\\1" % (port, port))
        self.rules = self.write("rewrite.rules", "\n".join(rules) + "\n")
        # Every question the external ACL helper gets is appended to
        # extacl.seen: with the result cached there should be one.
        self.seen = self.write("extacl.seen", "", 0o666)
        self.extacl = self.write("extacl.sh", """\
#!/bin/sh
while read -r line; do
    echo "$line" >> %s
    echo OK
done
""" % self.seen, 0o755)

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.bench.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def conf(self, feature):
        """The file of one feature (base: none), and its http_access."""
        lines = HELPERS_BASE
        access = "http_access allow all\n"
        if feature in ("auth", "auth-ours"):
            prog = SQUID_BASIC_AUTH if feature == "auth" else \
                self.prog["basic_ncsa_auth"]
            lines += ("auth_param basic program %s %s\n"
                      "auth_param basic children 2\n"
                      "auth_param basic realm bench\n"
                      "auth_param basic credentialsttl 1 hour\n"
                      "authenticate_ttl 1 hour\n"
                      "acl auth proxy_auth REQUIRED\n"
                      % (prog, self.passwd))
            access = "http_access allow auth\nhttp_access deny all\n"
        elif feature == "rewrite":
            lines += ("url_rewrite_program %s %s\n"
                      "url_rewrite_children 2 startup=2 idle=1 "
                      "concurrency=100\n"
                      % (self.prog["url_regex_rewrite"], self.rules))
        elif feature == "extacl":
            lines += ("external_acl_type bench ttl=3600 negative_ttl=3600 "
                      "children-max=2 %%SRC %s\n"
                      "acl x external bench\n" % self.extacl)
            access = "http_access allow x\nhttp_access deny all\n"
        return self.bench.conf_write("helpers-%s.conf" % feature, lines,
                                     access=access)


def helpers_curl(bench, url, extra=()):
    """Status code of one GET through the proxy (the feature checks)."""
    r = subprocess.run([CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "--max-time", "20", "-x",
                        "http://127.0.0.1:%d" % bench.proxy_port]
                       + list(extra) + [url],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.strip()


def helpers_check(setup, feature, name):
    """The feature is on the request's path: no credentials get a 407 and
    wrong ones too; /rwcheck is redirected by the rewriter."""
    bench = setup.bench
    idle = "http://127.0.0.1:%d/idle" % bench.http_port
    want = []
    if feature in ("auth", "auth-ours"):
        want = [("no credentials", [], idle, "407"),
                ("wrong password", ["-U", HELPERS_USER + ":nope"], idle,
                 "407"),
                ("right password", ["-U", HELPERS_USER + ":" + HELPERS_PASS],
                 idle, "200")]
    elif feature == "rewrite":
        want = [("rewriter redirect", [], "http://127.0.0.1:%d/rwcheck"
                 % bench.http_port, "302")]
    for what, extra, url, code in want:
        got = helpers_curl(bench, url, extra)
        if got != code:
            raise BenchError("%s: %s: %s got %s, want %s"
                             % (name, what, url, got, code))
    if want:
        bench_log("  %s: checks ok: %s" % (name, ", ".join(
            "%s %s" % (w[0], w[3]) for w in want)))


def helpers_run(setup, kind, feature, cuttle, env, svc):
    """One proxy on one file: the checks, one warm-up miss, then
    HELPERS_REPEAT wrk runs of memory hits with the proxy's CPU time."""
    bench = setup.bench
    conf = setup.conf(feature)
    name = "%s.helpers-%s" % (kind, feature)
    if kind == "cuttle":
        argv = [cuttle, "--foreground", "-f", conf]
    else:
        argv = [SQUID, "-N", "-n", svc, "-f", conf]
    proxy = BenchProxy(name, argv, env, bench)
    bench_log("== %s: %s" % (name, " ".join(argv)))
    auth = feature in ("auth", "auth-ours")
    cred = ["-U", "%s:%s" % (HELPERS_USER, HELPERS_PASS)] if auth else []
    headers = []
    if auth:
        headers = ["Proxy-Authorization: Basic " + base64.b64encode(
            ("%s:%s" % (HELPERS_USER, HELPERS_PASS)).encode()).decode()]
    with open(setup.seen) as f:
        seen0 = len(f.readlines())
    runs = []
    try:
        proxy.start()
        # Squid starts its helpers at once: let start-up CPU settle.
        time.sleep(1.0)
        helpers_check(setup, feature, name)
        bench_fetch(bench, HELPERS_PATH, HELPERS_SIZE,
                    "%s warm %s" % (name, HELPERS_PATH), cred)
        time.sleep(0.5)
        for i in range(HELPERS_REPEAT):
            cpu0 = bench_tree_cpu(proxy.proc.pid)
            r = bench_wrk_run(bench, proxy, HELPERS_PATH,
                              "%s run %d" % (feature, i + 1),
                              headers=headers)
            # Let the proxy finish the last answers before reading.
            time.sleep(0.3)
            cpu1 = bench_tree_cpu(proxy.proc.pid)
            user, system, helper = bench_tree_cpu_delta(cpu0, cpu1)
            n = r["requests"]
            r.update({"cpu_us": 1e6 * (user + system) / n,
                      "sys_us": 1e6 * system / n,
                      "helper_us": 1e6 * helper / n})
            bench_log("  %s: run %d: %.0f req/s, proxy CPU %.2fs, %.1f us/"
                      "request (%.1f system, %.1f in helpers)"
                      % (name, i + 1, r["rps"], user + system, r["cpu_us"],
                         r["sys_us"], r["helper_us"]))
            runs.append(r)
    except BaseException:
        proxy.stop(quiet=True)
        raise
    proxy.stop()
    bench_proxy_noise(proxy)
    lines = proxy.access_log()
    nreq = sum(r["requests"] for r in runs)
    out = {"runs": runs}
    for k in ("rps", "cpu_us", "sys_us", "helper_us"):
        v = [r[k] for r in runs]
        out[k] = statistics.median(v)
        out[k + "_min"], out[k + "_max"] = min(v), max(v)
    out.update(bench_cache_judge(bench, proxy, lines, "helpers_1k",
                                 HELPERS_PATH, HELPERS_SIZE, nreq))
    url = "http://127.0.0.1:%d%s" % (bench.http_port, HELPERS_PATH)
    if auth:
        # Every line of the object names the user (field 8).
        users = {}
        for f in lines:
            if len(f) >= 8 and f[6] == url:
                users[f[7]] = users.get(f[7], 0) + 1
        bench_log("  %s access.log users for %s: %s" % (name, HELPERS_PATH,
                                                         users))
        if set(users) != {HELPERS_USER}:
            out["valid"] = False
            out.setdefault("why", []).append("users logged %s" % users)
    if feature == "extacl":
        with open(setup.seen) as f:
            asked = len(f.readlines()) - seen0
        bench_log("  %s: the external ACL helper was asked %d times"
                  % (name, asked))
        out["extacl_lookups"] = asked
        if asked < 1:
            out["valid"] = False
            out.setdefault("why", []).append("external ACL helper never "
                                             "asked")
    if feature == "rewrite" and out["helper_us"] <= 0:
        out["valid"] = False
        out.setdefault("why", []).append("no CPU time in the rewriter")
    for k in ("process_set_changed", "orphans_after_stop",
              "suspicious_log_lines"):
        if k in proxy.results:
            out[k] = proxy.results[k]
    return out


def bench_helpers_phase(bench, cuttle, env, svc):
    """Every file of HELPERS_CONFS, cuttle then Squid; returns
    {feature: {"cuttle": result, "squid": result}}."""
    setup = HelpersSetup(bench, cuttle)
    res = {}
    for feature in HELPERS_CONFS:
        if feature != "base" and feature not in HELPERS_TARGETS:
            raise BenchError("BENCH_HELPERS_CONFS: unknown %r" % feature)
        res[feature] = {
            "cuttle": helpers_run(setup, "cuttle", feature, cuttle, env, svc),
            "squid": helpers_run(setup, "squid", feature, cuttle,
                                 dict(os.environ), svc)}
    return res


def bench_helpers_rows(row, res):
    """Rows: per file, requests/s and CPU per request; per feature, its
    overhead against base (CPU per request), for both proxies."""
    def fig(feature, kind, key):
        r = res.get(feature, {}).get(kind)
        return r[key] if r and r["valid"] else None

    for feature in ["base"] + list(HELPERS_TARGETS):
        if feature not in res:
            continue
        label = "hit 1 KiB, " + (HELPERS_TARGETS[feature][1]
                                 if feature != "base" else "no helper")
        c, s = fig(feature, "cuttle", "rps"), fig(feature, "squid", "rps")
        if feature == "base":
            row(label, "req/s", c, s, "", None)
        else:
            row(label, "req/s", c, s, "cuttle >= 2x squid",
                None if c is None or s is None else c >= 2 * s)
        row(label, "CPU us/req", fig(feature, "cuttle", "cpu_us"),
            fig(feature, "squid", "cpu_us"), "", None)
        if feature == "base" or "base" not in res:
            continue
        over = {}
        for kind in ("cuttle", "squid"):
            w, b = fig(feature, kind, "cpu_us"), fig("base", kind, "cpu_us")
            over[kind] = None if w is None or b is None else \
                100.0 * (w - b) / b
        limit = HELPERS_TARGETS[feature][0]
        row(label, "overhead %", over["cuttle"], over["squid"],
            "cuttle <= %d%%" % round(100 * limit),
            None if over["cuttle"] is None else
            over["cuttle"] <= 100 * limit, False)


def bench_print_helpers_spread(res):
    print("(helpers: medians of %d wrk runs of %ds each; per run, min-max:)"
          % (HELPERS_REPEAT, DURATION))
    for feature, pair in res.items():
        for kind in ("cuttle", "squid"):
            r = pair[kind]
            print("  %-6s %-9s %7.0f-%-7.0f req/s  CPU %5.1f-%-5.1f us/req "
                  "(system %5.1f, helpers %5.1f)%s"
                  % (kind, feature, r["rps_min"], r["rps_max"],
                     r["cpu_us_min"], r["cpu_us_max"], r["sys_us"],
                     r["helper_us"], "" if r["valid"] else
                     "  NOT MEASURED: " + "; ".join(r.get("why", []))))
