#!/usr/bin/python3
"""url_regex_rewrite with many rules: the time to answer REQUESTS request
lines (written at once, as a concurrent pool sends them) with RULES host
rules, when the first rule matches, the last, or none; with the prefilter
and without it (-F, on a sample of SAMPLE requests, scaled up).  The time
to load the rules (-t) is reported apart and taken off the others.

    tests/bench/url_regex_rewrite.py [RULES [REQUESTS [SAMPLE]]]

The helper is $CUTTLE_BUILDDIR/url_regex_rewrite (default: ./)."""

import os
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("CUTTLE_BUILDDIR", ".")
HELPER = os.path.join(BUILD, "url_regex_rewrite")


def timed(args, data=None):
    best = None
    for _ in range(3):
        t = time.monotonic()
        r = subprocess.run([HELPER] + args, input=data, stdout=subprocess.PIPE, check=True)
        t = time.monotonic() - t
        best = t if best is None else min(best, t)
    return best, r.stdout


def main():
    nrules = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    nreq = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    sample = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    with tempfile.TemporaryDirectory(prefix="bench-rw-") as d:
        rules = os.path.join(d, "rules")
        with open(rules, "w") as f:
            for i in range(nrules):
                f.write("^http://site%d\\.example\\.com/(.*) http://mirror%d.example.net/\\1\n" % (i, i))
        load, _ = timed(["-t", rules])
        print("%d rules, %d requests; loading the rules: %.3f s" % (nrules, nreq, load))
        for name, host in (("first rule matches", "site0.example.com"),
                           ("last rule matches", "site%d.example.com" % (nrules - 1)),
                           ("no rule matches", "nowhere.example.org")):
            def lines(n):
                return "".join("%d http://%s/pkg/file%d.deb 127.0.0.1/- - GET myip=127.0.0.1 "
                               "myport=3128\n" % (k % 100 + 1, host, k) for k in range(n)).encode()
            t, out = timed([rules], lines(nreq))
            assert out.count(b"\n") == nreq
            # the first rule costs little without the prefilter: run it all
            n0 = nreq if host == "site0.example.com" else sample
            t0, _ = timed(["-F", rules], lines(n0))
            print("  %-20s %7.3f s  (%5.2f us/request); without prefilter: %8.1f s "
                  "(%8.1f us/request, from %d)" % (
                      name, t - load, (t - load) / nreq * 1e6,
                      (t0 - load) / n0 * nreq, (t0 - load) / n0 * 1e6, n0))


if __name__ == "__main__":
    main()
