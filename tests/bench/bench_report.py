"""The final report: one row per figure with both proxies, the ratio, the
target and PASS/FAIL (n/m when a figure of the target was not measured),
printed as an aligned table.
"""


def bench_table(cut, sq, cc, cs):
    """The result rows; cut/sq are the foundation proxies (or None), cc/cs
    the cache results of cuttle and Squid (or None).  A value is None when
    it was not measured (its access.log did not show what it claims)."""
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
    return rows


def bench_print_table(rows, cut, sq):
    head = ["scenario", "unit", "cuttle", "squid", "ratio", "target", "result"]
    body = []
    for r in rows:
        fmt = "%.2f" if r["unit"] in ("", "KiB/conn", "%") else "%.1f"
        val = lambda v, f=fmt: "not measured" if v is None else f % v
        body.append([r["scenario"], r["unit"], val(r["cuttle"]),
                     val(r["squid"]),
                     "-" if r["ratio"] is None else "%.2f" % r["ratio"],
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
    print("(MB = 10^6 bytes; 'not measured': the access.log did not show "
          "what the figure claims, see the log above; n/m: target not "
          "judged)")
