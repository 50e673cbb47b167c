"""The SslBump scenarios (BENCH_SCENARIOS=bump): client connections that
CONNECT, run TLS inside the tunnel and send one GET, through cuttle and
Squid on the same squid.conf, measured as connections per second and as
the proxy's CPU time per connection (master, workers and helpers), since
the client and the origin share the machine's cores with the proxy.

- bump warm: `ssl_bump bump all`, every connection to one host name, whose
  certificate is minted once and then comes from the memory cache;
- bump cold: a new host name per connection, so every connection mints,
  on a fresh ssl_db (each repeat restarts the proxy on an empty one);
- bump cold at 10,000: the same after the ssl_db was filled with
  BENCH_BUMP_PREFILL certificates (made once by feeding Squid's
  security_file_certgen requests as the proxies send them, then copied for
  each run); without a helper, cuttle's worker first mints that many
  through the proxy itself;
- tunnel: `ssl_bump splice all`, TLS end to end with the origin.

Variants (BENCH_BUMP_VARIANTS): `squid` and `cuttle` run one file
(`sslcrtd_program` Squid's helper); `cuttle-ours` is that file with our
security_file_certgen on the line instead; `cuttle-worker` has no
`sslcrtd_program` line, so cuttle mints in the worker.
"""

import itertools
import os
import pwd
import shutil
import statistics
import subprocess
import threading
import time

from bench_client import bench_connect_tls
from bench_common import (BUMP_CLIENTS, BUMP_COLD, BUMP_CONNS, BUMP_PHASES,
                          BUMP_PREFILL,
                          BUMP_PREFILL_HELPER, BUMP_REPEAT, BUMP_VARIANTS,
                          DURATION, OPENSSL, SQUID, SQUID_CERTGEN,
                          BenchError, bench_log)
from bench_proxy import BenchProxy, bench_proxy_noise

BUMP_WARM_HOST = "warm.bench.test"
BUMP_BODY = b"w" * 16          # the origin's /warm
BUMP_DB_SIZE = "64MB"
# How long a cold batch or the prefill through the proxy may take at most.
BUMP_COLD_SECONDS = 600
# variant: (proxy, helper): helper "squid", "ours" or None (worker mints)
BUMP_KINDS = {
    "squid": ("squid", "squid"),
    "cuttle": ("cuttle", "squid"),
    "cuttle-ours": ("cuttle", "ours"),
    "cuttle-worker": ("cuttle", None),
}


def bump_name(i):
    return "h%05d.bench.test" % i


class BumpSetup:
    """What every bump run shares: the bump CA, the hosts_file, the helper
    programs, the prefilled ssl_db (made on first use)."""

    def __init__(self, bench, cuttle):
        self.bench = bench
        self.dir = bench.dir
        self.ca = os.path.join(self.dir, "bump-ca.pem")
        self.ca_key = os.path.join(self.dir, "bump-ca.key")
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", self.ca_key, "-out", self.ca,
                        "-days", "2", "-subj",
                        "/O=cuttle bench/CN=bench bump CA",
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        for f in (self.ca, self.ca_key):
            os.chmod(f, 0o644)
        with open(self.ca) as f, open(self.ca_key) as k:
            self.ca_pem = f.read() + k.read()
        # Names: h00001.. the prefill, then the cold names, a batch per
        # repeat and per scenario (the worker variant measures its cold
        # repeats one after the other in one process, so they need
        # distinct names).
        self.nnames = BUMP_PREFILL + 2 * BUMP_REPEAT * BUMP_COLD
        self.hosts = os.path.join(self.dir, "bump-hosts")
        with open(self.hosts, "w") as f:
            f.write("127.0.0.1 %s\n" % BUMP_WARM_HOST)
            for i in range(1, self.nnames + 1):
                f.write("127.0.0.1 %s\n" % bump_name(i))
        os.chmod(self.hosts, 0o644)
        self.helpers = {"squid": SQUID_CERTGEN}
        ours = os.path.join(os.path.dirname(cuttle), "security_file_certgen")
        if "cuttle-ours" in BUMP_VARIANTS or BUMP_PREFILL_HELPER == "ours":
            if not os.access(ours, os.X_OK):
                raise BenchError("cuttle-ours: no %s" % ours)
            # a copy the proxy's user can run (the build tree may be
            # under /root)
            self.helpers["ours"] = os.path.join(self.dir, "ours-certgen")
            shutil.copy(ours, self.helpers["ours"])
            os.chmod(self.helpers["ours"], 0o755)
        self.db = os.path.join(self.dir, "ssl_db")
        self.prefilled = None
        self.prefill_info = None

    def conf(self, name, rules, helper):
        """The bump port and lines shared by both proxies; helper is a key
        of self.helpers or None for no sslcrtd_program line."""
        lines = ("workers 1\ncache deny all\nhosts_file %s\n"
                 "tls_outgoing_options cafile=%s\n%s\n"
                 % (self.hosts, self.bench.origin_ca, rules))
        if helper is not None:
            lines += ("sslcrtd_program %s -s %s -M %s\n"
                      % (self.helpers[helper], self.db, BUMP_DB_SIZE))
        opts = ("ssl-bump tls-cert=%s tls-key=%s generate-host-certificates=on"
                " dynamic_cert_mem_cache_size=64MB" % (self.ca, self.ca_key))
        return self.bench.conf_write(name, lines, opts)

    def db_chown(self, db):
        if os.geteuid() != 0:
            return
        pw = pwd.getpwnam(self.bench.user)
        for root, dirs, files in os.walk(db):
            for n in dirs + files:
                os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
        os.chown(db, pw.pw_uid, pw.pw_gid)

    def db_make(self, helper, src=None):
        """self.db afresh: empty (made by the helper's -c) or a copy of
        src; owned by the proxies' user."""
        shutil.rmtree(self.db, ignore_errors=True)
        if src is not None:
            shutil.copytree(src, self.db)
        else:
            subprocess.run([self.helpers[helper], "-c", "-s", self.db, "-M",
                            BUMP_DB_SIZE], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        self.db_chown(self.db)

    def db_names(self, db=None):
        """The host names of an ssl_db's index.txt rows (tab-separated:
        the key /CN=NAME+Sign=..., the expiry, the revocation date, the
        serial, the subject)."""
        names = []
        with open(os.path.join(db or self.db, "index.txt")) as f:
            for line in f:
                key = line.split("\t", 1)[0]
                if key.startswith("/CN="):
                    names.append(key[len("/CN="):].split("+")[0])
        return names

    def request(self, host):
        """A new_certificate request as both proxies send it for a bump at
        step 1 (no origin certificate to mimic)."""
        body = ("host=%s\nSign=signTrusted\nSignHash=SHA256\n%s"
                % (host, self.ca_pem)).encode()
        return b"new_certificate %d %s\n" % (len(body), body)

    def prefill(self):
        """An ssl_db holding BUMP_PREFILL certificates (h00001..), made once
        by one helper alone (BENCH_BUMP_PREFILL_HELPER, Squid's by
        default); its rate per thousand is logged."""
        if self.prefilled is not None:
            return self.prefilled
        db = os.path.join(self.dir, "ssl_db.prefilled")
        prog = self.helpers[BUMP_PREFILL_HELPER]
        subprocess.run([prog, "-c", "-s", db, "-M", BUMP_DB_SIZE], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
        bench_log("== prefill: %d certificates into %s with %s"
                  % (BUMP_PREFILL, db, prog))
        p = subprocess.Popen([prog, "-s", db, "-M", BUMP_DB_SIZE],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        def feed():
            try:
                for i in range(1, BUMP_PREFILL + 1):
                    p.stdin.write(self.request(bump_name(i)))
                p.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

        threading.Thread(target=feed, daemon=True).start()
        t0 = last = time.monotonic()
        deadline = t0 + 1800
        buf, done, rates = b"", 0, []
        try:
            while done < BUMP_PREFILL:
                if time.monotonic() > deadline:
                    raise BenchError("prefill: %d of %d certificates in 1800s"
                                     % (done, BUMP_PREFILL))
                d = p.stdout.read1(65536)
                if not d:
                    raise BenchError("prefill: %s exited after %d replies"
                                     % (prog, done))
                buf += d
                while b"\x01" in buf:
                    msg, _, buf = buf.partition(b"\x01")
                    if not msg.startswith(b"OK "):
                        raise BenchError("prefill: %s answered %r"
                                         % (prog, msg[:80]))
                    done += 1
                    if done % 1000 == 0:
                        now = time.monotonic()
                        rates.append(1000 / (now - last))
                        last = now
        finally:
            p.kill()
            p.wait(timeout=10)
        wall = time.monotonic() - t0
        n = len(set(self.db_names(db)))
        if n != BUMP_PREFILL:
            raise BenchError("prefill: %s holds %d certificates, want %d "
                             "(is -M %s too small?)"
                             % (db, n, BUMP_PREFILL, BUMP_DB_SIZE))
        bench_log("  %s alone: %d certificates in %.1fs; certificates/s per "
                  "thousand: %s" % (prog, BUMP_PREFILL, wall,
                                    " ".join("%.0f" % r for r in rates)))
        self.prefilled = db
        self.prefill_info = {"helper": BUMP_PREFILL_HELPER, "wall_s": wall,
                             "per_thousand_rate": rates}
        return db


def bump_batch(proxy, hosts, port, cafile, seconds, label):
    r = bench_connect_tls(proxy, hosts, port, cafile, "/warm", BUMP_BODY,
                          seconds, BUMP_CLIENTS)
    r["rate"] = r["conns"] / r["wall_s"]
    r["cpu_ms"] = 1000.0 * r["proxy_cpu_s"] / r["conns"]
    r["sys_ms"] = 1000.0 * r["proxy_sys_s"] / r["conns"]
    r["helper_ms"] = 1000.0 * r["proxy_helper_s"] / r["conns"]
    r["client_cpu_ms"] = 1000.0 * r["client_cpu_s"] / r["conns"]
    bench_log("  %s: %s: %d connections in %.2fs, %.1f/s; proxy CPU %.2fs, "
              "%.3f ms/connection (%.3f system, %.3f in helpers; client "
              "%.3f)" % (proxy.name, label, r["conns"], r["wall_s"],
                         r["rate"], r["proxy_cpu_s"], r["cpu_ms"],
                         r["sys_ms"], r["helper_ms"], r["client_cpu_ms"]))
    return r


def bump_summary(batches):
    """Median, min and max of rate and CPU per connection over batches."""
    out = {"batches": batches}
    for k in ("rate", "cpu_ms", "sys_ms", "helper_ms", "client_cpu_ms"):
        v = [b[k] for b in batches]
        out[k] = statistics.median(v)
        out[k + "_min"], out[k + "_max"] = min(v), max(v)
    return out


def bump_check_log(proxy, host_of, want, what):
    """The access.log must show one TCP_MISS/200 GET https://NAME:PORT/warm
    line per connection counted (host_of(NAME) true)."""
    n = 0
    codes = {}
    for f in proxy.access_log():
        if len(f) >= 7:
            codes[f[3]] = codes.get(f[3], 0) + 1
        if len(f) >= 7 and f[5] == "GET" and f[3] == "TCP_MISS/200" and \
                f[6].startswith("https://") and f[6].endswith("/warm") and \
                host_of(f[6][8:].split(":")[0]):
            n += 1
    ok = n == want
    bench_log("  %s access.log: %d TCP_MISS/200 GET https://... lines for %s,"
              " want %d %s; codes %s" % (proxy.name, n, what, want,
                                         "ok" if ok else "MISMATCH", codes))
    if not ok:
        raise BenchError("%s access.log: %d bumped GET lines for %s, want %d"
                         % (proxy.name, n, what, want))


def bump_check_tunnel_log(proxy, want):
    n = sum(1 for f in proxy.access_log()
            if len(f) >= 7 and f[5] == "CONNECT" and
            f[3].startswith("TCP_TUNNEL/"))
    ok = n == want
    bench_log("  %s access.log: %d TCP_TUNNEL CONNECT lines, want %d %s"
              % (proxy.name, n, want, "ok" if ok else "MISMATCH"))
    if not ok:
        raise BenchError("%s access.log: %d tunnel lines, want %d"
                         % (proxy.name, n, want))


class BumpVariant:
    """One proxy with one certificate source, through every scenario."""

    def __init__(self, setup, variant, cuttle, env):
        self.setup = setup
        self.variant = variant
        self.kind, self.helper = BUMP_KINDS[variant]
        self.cuttle = cuttle
        self.env = env
        self.port = setup.bench.bump_tls_port
        tag = self.helper or "none"
        self.bump_conf = setup.conf("bump-%s.conf" % tag, "ssl_bump bump all",
                                    self.helper)
        self.tunnel_conf = setup.conf("tunnel-%s.conf" % tag,
                                      "ssl_bump splice all", self.helper)
        self.results = {}

    def proxy(self, phase, conf):
        if self.kind == "cuttle":
            argv = [self.cuttle, "--foreground", "-f", conf]
        else:
            argv = [SQUID, "-N", "-f", conf]
        p = BenchProxy("%s.%s" % (self.variant, phase), argv, self.env,
                       self.setup.bench)
        bench_log("== %s: %s" % (p.name, " ".join(argv)))
        return p

    def run_proxy(self, phase, conf, body):
        """Start a proxy, run body(proxy), stop it (an error stops it
        quietly first), report its suspicious log lines."""
        p = self.proxy(phase, conf)
        try:
            p.start()
            # Squid starts its helpers at once: let start-up CPU settle.
            time.sleep(1.0)
            out = body(p)
        except BaseException:
            p.stop(quiet=True)
            raise
        p.stop()
        bench_proxy_noise(p)
        return p, out

    def warmup(self, p, n=20):
        return bump_batch(p, itertools.repeat(BUMP_WARM_HOST, n), self.port,
                          self.setup.ca, 60, "warm-up, %d connections" % n)

    def warm(self):
        if self.helper is not None:
            self.setup.db_make(self.helper)

        def body(p):
            w = self.warmup(p)
            return w, [bump_batch(p, itertools.repeat(BUMP_WARM_HOST,
                                                      BUMP_CONNS),
                                  self.port, self.setup.ca, DURATION,
                                  "bump warm, run %d" % (i + 1))
                       for i in range(BUMP_REPEAT)]
        p, (w, batches) = self.run_proxy("bump-warm", self.bump_conf, body)
        bump_check_log(p, lambda h: h == BUMP_WARM_HOST,
                       w["conns"] + sum(b["conns"] for b in batches),
                       BUMP_WARM_HOST)
        self.results["warm"] = bump_summary(batches)

    def tunnel(self):
        if self.helper is not None:
            self.setup.db_make(self.helper)

        def body(p):
            w = bump_batch(p, itertools.repeat(BUMP_WARM_HOST, 20), self.port,
                           self.setup.bench.origin_ca, 60,
                           "warm-up, 20 connections")
            return w, [bump_batch(p, itertools.repeat(BUMP_WARM_HOST,
                                                      BUMP_CONNS),
                                  self.port, self.setup.bench.origin_ca,
                                  DURATION, "tunnel, run %d" % (i + 1))
                       for i in range(BUMP_REPEAT)]
        p, (w, batches) = self.run_proxy("tunnel", self.tunnel_conf, body)
        bump_check_tunnel_log(p, w["conns"] + sum(b["conns"]
                                                  for b in batches))
        self.results["tunnel"] = bump_summary(batches)

    def cold_names(self, i):
        first = BUMP_PREFILL + i * BUMP_COLD + 1
        return [bump_name(n) for n in range(first, first + BUMP_COLD)]

    def cold_once(self, phase, i, prefilled):
        """One cold batch on a freshly started proxy whose ssl_db is empty
        or a copy of the prefilled one; with a helper every name must be
        in the ssl_db afterwards."""
        names = self.cold_names(0)
        self.setup.db_make(self.helper, prefilled)
        before = len(self.setup.db_names())

        def body(p):
            w = self.warmup(p, 1)
            return w, bump_batch(p, iter(names), self.port, self.setup.ca,
                                 BUMP_COLD_SECONDS, "%s, run %d: %d new "
                                 "names, ssl_db holding %d" % (
                                     phase, i + 1, len(names), before))
        p, (w, r) = self.run_proxy("%s.%d" % (phase, i + 1), self.bump_conf,
                                   body)
        if r["conns"] != len(names):
            raise BenchError("%s: %d of %d new names within %ds"
                             % (p.name, r["conns"], len(names),
                                BUMP_COLD_SECONDS))
        in_db = set(self.setup.db_names())
        missing = [n for n in names if n not in in_db]
        bench_log("  %s ssl_db: %d rows before, %d after; %d of the new "
                  "names missing" % (p.name, before, len(in_db),
                                     len(missing)))
        if missing:
            raise BenchError("%s: %d names not in the ssl_db, e.g. %s: did "
                             "the helper make their certificates?"
                             % (p.name, len(missing), missing[:3]))
        names_set = set(names)
        bump_check_log(p, lambda h: h in names_set, r["conns"],
                       "the new names")
        return r

    def cold_worker(self):
        """Without a helper: cold repeats in one process (their names
        differ), then BUMP_PREFILL more names through the proxy, then the
        cold repeats again on further names."""
        def body(p):
            self.warmup(p, 1)
            cold = [bump_batch(p, iter(self.cold_names(i)), self.port,
                               self.setup.ca, BUMP_COLD_SECONDS,
                               "bump cold, run %d: %d new names"
                               % (i + 1, BUMP_COLD))
                    for i in range(BUMP_REPEAT)]
            pre = bump_batch(p, (bump_name(n) for n in
                                 range(1, BUMP_PREFILL + 1)),
                             self.port, self.setup.ca, BUMP_COLD_SECONDS * 3,
                             "prefill through the proxy: %d new names"
                             % BUMP_PREFILL)
            if pre["conns"] != BUMP_PREFILL:
                raise BenchError("%s: prefill made %d of %d connections"
                                 % (p.name, pre["conns"], BUMP_PREFILL))
            cold10k = [bump_batch(p, iter(self.cold_names(BUMP_REPEAT + i)),
                                  self.port,
                                  self.setup.ca, BUMP_COLD_SECONDS,
                                  "bump cold after %d, run %d: %d new names"
                                  % (BUMP_PREFILL, i + 1, BUMP_COLD))
                       for i in range(BUMP_REPEAT)]
            return cold, pre, cold10k
        p, (cold, pre, cold10k) = self.run_proxy("bump-cold", self.bump_conf,
                                                 body)
        names = {bump_name(n) for n in range(1, self.setup.nnames + 1)}
        bump_check_log(p, lambda h: h in names,
                       sum(b["conns"] for b in cold + cold10k) + pre["conns"],
                       "the new names")
        self.results["cold"] = bump_summary(cold)
        self.results["cold_prefill"] = pre
        self.results["cold10k"] = bump_summary(cold10k)

    def cold(self):
        if self.helper is None:
            return self.cold_worker()
        self.results["cold"] = bump_summary(
            [self.cold_once("bump-cold", i, None)
             for i in range(BUMP_REPEAT)])
        db = self.setup.prefill()
        self.results["cold10k"] = bump_summary(
            [self.cold_once("bump-cold10k", i, db)
             for i in range(BUMP_REPEAT)])


def bench_bump_phase(bench, cuttle, env):
    """Every variant of BENCH_BUMP_VARIANTS through every scenario;
    returns {variant: results} plus the prefill's figures."""
    unknown = set(BUMP_VARIANTS) - set(BUMP_KINDS)
    if unknown or "squid" not in BUMP_VARIANTS:
        raise BenchError("BENCH_BUMP_VARIANTS: want squid and any of %s, not "
                         "%r" % (", ".join(sorted(BUMP_KINDS)),
                                 ",".join(BUMP_VARIANTS)))
    if BUMP_PREFILL_HELPER not in ("squid", "ours"):
        raise BenchError("BENCH_BUMP_PREFILL_HELPER: squid or ours, not %r"
                         % BUMP_PREFILL_HELPER)
    if not os.access(SQUID_CERTGEN, os.X_OK):
        raise BenchError("%s not found (apt-get install squid-openssl)"
                         % SQUID_CERTGEN)
    setup = BumpSetup(bench, cuttle)
    bench_log("== bump: %d clients at a time; warm and tunnel runs of up to %d"
              " connections or %ds; cold runs of %d new names; ssl_db "
              "prefilled with %d; %d repeats; variants %s"
              % (BUMP_CLIENTS, BUMP_CONNS, DURATION, BUMP_COLD, BUMP_PREFILL,
                 BUMP_REPEAT, ",".join(BUMP_VARIANTS)))
    out = {}
    squid_env = dict(os.environ)
    for variant in BUMP_VARIANTS:
        v = BumpVariant(setup, variant, cuttle,
                        squid_env if variant == "squid" else env)
        if "warm" in BUMP_PHASES:
            v.warm()
        if variant in ("squid", "cuttle") and "tunnel" in BUMP_PHASES:
            v.tunnel()
        if "cold" in BUMP_PHASES:
            v.cold()
        out[variant] = v.results
    out["prefill"] = setup.prefill_info
    return out

