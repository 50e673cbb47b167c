"""The final report: one row per figure with both proxies, the ratio, the
target and PASS/FAIL (n/m when a figure of the target was not measured),
printed as an aligned table, then the spread of the SslBump figures.
"""

from bench_common import BUMP_PREFILL
from bench_helpers import bench_helpers_rows, bench_print_helpers_spread

# The cuttle variants of the bump scenarios, as the table names them.
BUMP_LABELS = (("cuttle", "sslcrtd"), ("cuttle-ours", "our sslcrtd"),
               ("cuttle-worker", "no helper"))


def bench_bump_rows(row, bump):
    """Rows for the SslBump results: each cuttle variant against Squid
    (which always runs with its helper)."""
    sq = bump["squid"]
    for variant, label in BUMP_LABELS:
        c = bump.get(variant)
        if c is None:
            continue
        # BENCH_BUMP_PHASES may have left scenarios out
        if "warm" in c:
            w = "bump warm, " + label
            row(w, "conn/s", c["warm"]["rate"], sq["warm"]["rate"], "", None)
            cw, sw = c["warm"]["cpu_ms"], sq["warm"]["cpu_ms"]
            row(w, "CPU ms/conn", cw, sw, "cuttle <= squid/1.5",
                cw <= sw / 1.5)
        if "cold" in c:
            w = "bump cold, " + label
            cr, sr = c["cold"]["rate"], sq["cold"]["rate"]
            row(w, "hosts/s", cr, sr, "cuttle >= 10x squid", cr >= 10 * sr)
            row(w, "CPU ms/conn", c["cold"]["cpu_ms"], sq["cold"]["cpu_ms"],
                "", None)
            w = "bump cold at %d, %s" % (BUMP_PREFILL, label)
            r10 = c["cold10k"]["rate"]
            row(w, "hosts/s", r10, sq["cold10k"]["rate"],
                "cuttle >= its cold (slowest run)",
                r10 >= c["cold"]["rate_min"])
            row(w, "CPU ms/conn", c["cold10k"]["cpu_ms"],
                sq["cold10k"]["cpu_ms"], "", None)
        if "tunnel" in c:
            row("tunnel (splice)", "conn/s", c["tunnel"]["rate"],
                sq["tunnel"]["rate"], "", None)
            ct, st = c["tunnel"]["cpu_ms"], sq["tunnel"]["cpu_ms"]
            row("tunnel (splice)", "CPU ms/conn", ct, st, "cuttle <= squid/2",
                ct <= st / 2)


def bench_table(cut, sq, cc, cs, bump=None, helpers=None):
    """The result rows; cut/sq are the foundation proxies (or None), cc/cs
    the cache results of cuttle and Squid (or None), bump the SslBump
    results (or None), helpers those of the helper scenarios (or None).
    A value is None when it was not measured (its access.log did not show
    what it claims); a ratio False when it means nothing."""
    rows = []

    def row(name, unit, c, s, target, ok, ratio=None):
        if ratio is None and c is not None and s:
            ratio = c / s
        rows.append({"scenario": name, "unit": unit, "cuttle": c, "squid": s,
                     "ratio": ratio, "target": target,
                     "pass": None if target and c is None else ok})

    if cut is not None:
        c = cut.results["get_1k"]["rps"]
        s = sq.results["get_1k"]["rps"]
        row("1 KiB GET", "req/s", c, s, "cuttle >= 3x squid", c / s >= 3)
        c = cut.results["get_100m"]["mbps"]
        s = sq.results["get_100m"]["mbps"]
        row("100 MiB GET", "MB/s", c, s, "cuttle >= 3x squid", c / s >= 3)
        c = cut.results["tunnel_100m"]["mbps"]
        s = sq.results["tunnel_100m"]["mbps"]
        row("100 MiB tunnel", "MB/s", c, s, "", None)
        ct = cut.results["tunnel_100m"]["tunnel_over_direct"]
        st = sq.results["tunnel_100m"]["tunnel_over_direct"]
        row("tunnel/direct", "", ct, st, "cuttle >= 0.95 of direct",
            ct >= 0.95)
        c = cut.results["idle_conn"]["kib_per_conn"]
        s = sq.results["idle_conn"]["kib_per_conn"]
        row("idle conn RSS", "KiB/conn", c, s, "cuttle <= 2 KiB/conn",
            c <= 2.0, c / s if s else float("inf"))
    if cc is not None:
        def fig(res, key, field):
            r = res.get(key)
            return r[field] if r and r["valid"] else None

        for name, key, field, unit, target in (
                ("mem hit 1 KiB", "mem_1k", "rps", "req/s", True),
                ("mem hit 64 KiB", "mem_64k", "rps", "req/s", False),
                ("disk hit 64 KiB", "disk_64k", "rps", "req/s", True),
                ("mem hit 100 MiB", "mem_100m", "mbps", "MB/s", True),
                ("disk hit 100 MiB", "disk_100m", "mbps", "MB/s", True),
                ("workers 2 hit 1 KiB", "smp_1k", "rps", "req/s", False)):
            c, s = fig(cc, key, field), fig(cs, key, field)
            ok = c is not None and s is not None and c / s >= 3
            if target and (c is None or s is None):
                ok = None
            row(name, unit, c, s, "cuttle >= 3x squid" if target else "",
                ok if target else None)
        c, s = fig(cc, "smp_1k", "hit_ratio"), fig(cs, "smp_1k", "hit_ratio")
        row("workers 2 hit ratio", "%", None if c is None else 100 * c,
            None if s is None else 100 * s, "cuttle 100% hits",
            c is not None and cc["smp_1k"]["hits"] ==
            cc["smp_1k"]["complete"])
    if bump is not None:
        bench_bump_rows(row, bump)
    if helpers is not None:
        bench_helpers_rows(row, helpers)
    return rows


def bench_print_bump_spread(bump):
    first = next((bump["squid"][k] for k in ("warm", "tunnel", "cold")
                  if k in bump["squid"]), None)
    if first is None:
        return
    print("(SslBump: medians of %d runs each; per run, min-max:)"
          % len(first["batches"]))
    for variant in ["squid"] + [v for v, _ in BUMP_LABELS]:
        res = bump.get(variant)
        if res is None:
            continue
        for key in ("warm", "cold", "cold10k", "tunnel"):
            r = res.get(key)
            if r is None:
                continue
            print("  %-13s %-8s %7.1f-%-7.1f/s  CPU %6.3f-%-6.3f ms/conn "
                  "(system %5.3f, helpers %6.3f)  client %5.3f ms/conn"
                  % (variant, key, r["rate_min"], r["rate_max"],
                     r["cpu_ms_min"], r["cpu_ms_max"], r["sys_ms"],
                     r["helper_ms"], r["client_cpu_ms"]))
    if bump.get("prefill"):
        print("  ssl_db prefill by %s's helper alone, certificates/s per "
              "thousand: %s" % (bump["prefill"]["helper"], " ".join(
                  "%.0f" % x for x in bump["prefill"]["per_thousand_rate"])))


def bench_print_table(rows, cut, sq, bump=None, helpers=None):
    head = ["scenario", "unit", "cuttle", "squid", "ratio", "target", "result"]
    body = []
    for r in rows:
        fmt = "%.2f" if r["unit"] in ("", "KiB/conn", "%") else \
            "%+.1f" if r["unit"] == "overhead %" else \
            "%.3f" if r["unit"] == "CPU ms/conn" else "%.1f"
        val = lambda v, f=fmt: "not measured" if v is None else f % v
        body.append([r["scenario"], r["unit"], val(r["cuttle"]),
                     val(r["squid"]),
                     "-" if r["ratio"] is None or r["ratio"] is False
                     else "%.2f" % r["ratio"],
                     r["target"],
                     "" if not r["target"] else "n/m" if r["pass"] is None
                     else ("PASS" if r["pass"] else "FAIL")])
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cols: " | ".join(c.ljust(w) for c, w in zip(cols, widths))
    print()
    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for b in body:
        print(line(b))
    if cut is not None:
        print("(direct 100 MiB HTTPS download without a proxy, alternated "
              "with the tunnel runs: %.1f MB/s during cuttle, %.1f MB/s "
              "during squid)" % (cut.results["tunnel_100m"]["direct_mbps"],
                                 sq.results["tunnel_100m"]["direct_mbps"]))
    if bump is not None:
        bench_print_bump_spread(bump)
    if helpers is not None:
        bench_print_helpers_spread(helpers)
    print("(MB = 10^6 bytes; 'not measured': the access.log did not show "
          "what the figure claims, see the log above; n/m: target not "
          "judged)")


def bench_peers_rows(peers):
    """Rows of the peers scenarios: cuttle, Squid and, for the
    accelerator, nginx and Varnish; CPU is the proxies' per request."""
    rows = []

    def row(name, unit, vals, target="", ok=None):
        rows.append({"scenario": name, "unit": unit, "values": vals,
                     "target": target, "pass": ok})

    it = peers.get("intercept")
    if it:
        c, s = it["cuttle"], it["squid"]
        for mode, label in (("intercept", "intercepted 1 KiB"),
                            ("forward", "forward 1 KiB, same proxy")):
            row(label, "req/s", {"cuttle": c[mode]["rps"],
                                 "squid": s[mode]["rps"]})
            row(label, "CPU us/req", {"cuttle": c[mode]["cpu_us"],
                                      "squid": s[mode]["cpu_us"]})
        rc = c["intercept"]["cpu_us"] / c["forward"]["cpu_us"]
        rs = s["intercept"]["cpu_us"] / s["forward"]["cpu_us"]
        row("intercept/forward CPU", "", {"cuttle": rc, "squid": rs},
            "cuttle <= 1.10", rc <= 1.10)
    ch = peers.get("chain")
    if ch:
        c, s = ch["cuttle"], ch["squid"]
        row("parent chain 1 KiB", "req/s", {"cuttle": c["rps"],
                                            "squid": s["rps"]},
            "cuttle >= 2x squid", c["rps"] >= 2 * s["rps"])
        row("parent chain 1 KiB", "CPU us/req", {"cuttle": c["cpu_us"],
                                                 "squid": s["cpu_us"]})
    ac = peers.get("accel")
    if ac:
        row("accel mem hit 1 KiB", "req/s",
            {k: ac[k]["rps"] for k in ac})
        cpu = {k: ac[k]["cpu_us"] for k in ac}
        row("accel mem hit 1 KiB", "CPU us/req", cpu,
            "cuttle <= nginx, varnish",
            cpu["cuttle"] <= min(cpu["nginx"], cpu["varnish"]))
    return rows


def bench_print_peers(rows):
    who = ["cuttle", "squid", "nginx", "varnish"]
    head = ["scenario", "unit"] + who + ["target", "result"]
    body = []
    for r in rows:
        fmt = "%.2f" if r["unit"] == "" else "%.1f"
        body.append([r["scenario"], r["unit"]] +
                    [fmt % r["values"][w] if w in r["values"] else ""
                     for w in who] +
                    [r["target"], "" if not r["target"] else
                     "PASS" if r["pass"] else "FAIL"])
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cols: " | ".join(c.ljust(w) for c, w in zip(cols, widths))
    print()
    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for b in body:
        print(line(b))
    print("(CPU: user + system time of the proxy's processes per request, "
          "both proxies for the chain; median of the runs)")
