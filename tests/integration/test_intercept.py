"""Interception: http_port intercept (iptables REDIRECT) and tproxy (TPROXY).

Each module run builds three network namespaces of its own, so nothing
touches the host's firewall or routes:

    client ns  10.200.1.2 / fd00:200:1::2  (no proxy setting at all)
        | veth
    proxy ns   10.200.1.1 / fd00:200:1::1  the proxy, the router, iptables
               10.200.2.1 / fd00:200:2::1
        | veth
    origin ns  10.200.2.2 / fd00:200:2::2  nsorigin.py on :80, :8080, :443, :8443

In the proxy ns, port 80 from the client is REDIRECTed to the intercept
port 3129, port 443 to the https intercept port 3131, port 8080 is
TPROXYed to port 3130 and port 8443 to the https tproxy port 3132 (IPv4 and
IPv6), with the
`-m socket` mark rule and local route table of Squid's TPROXY docs.
The origin answers with the address the connection came from, the Host and
the target it saw, and logs each request (with its Via) as JSON.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from bump import SQUID_CERTGEN, make_ssl_db
from helpers import log_entry, wait_for
from tlscerts import CertSet

S = "%d" % (os.getpid() % 100000)
NS_CL, NS_PX, NS_OR = "icl" + S, "ipx" + S, "ior" + S
HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "10.200.2.2"
ORIGIN6 = "fd00:200:2::2"
ACCESS = "http_access allow all\n"
PORTS = ("http_port 10.200.1.1:3129 intercept\n"
         "http_port [fd00:200:1::1]:3129 intercept\n"
         "http_port 10.200.1.1:3130 tproxy\n"
         "http_port [fd00:200:1::1]:3130 tproxy\n")
HOSTS = ("10.200.2.2 origin.ns\n"
         "fd00:200:2::2 origin6.ns\n"
         "10.200.9.9 forged.ns\n")


def run(*cmd, ns=None, check=True):
    argv = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    return subprocess.run(argv, check=check, capture_output=True, timeout=30)


def _setup(log):
    for ns in (NS_CL, NS_PX, NS_OR):
        run("ip", "netns", "add", ns)
    run("ip", "link", "add", "c" + S, "type", "veth", "peer", "name", "pc" + S)
    run("ip", "link", "add", "o" + S, "type", "veth", "peer", "name", "po" + S)
    run("ip", "link", "set", "c" + S, "netns", NS_CL)
    run("ip", "link", "set", "pc" + S, "netns", NS_PX)
    run("ip", "link", "set", "o" + S, "netns", NS_OR)
    run("ip", "link", "set", "po" + S, "netns", NS_PX)
    for ns, dev, v4, v6 in ((NS_CL, "c" + S, "10.200.1.2/24", "fd00:200:1::2/64"),
                            (NS_PX, "pc" + S, "10.200.1.1/24", "fd00:200:1::1/64"),
                            (NS_PX, "po" + S, "10.200.2.1/24", "fd00:200:2::1/64"),
                            (NS_OR, "o" + S, "10.200.2.2/24", "fd00:200:2::2/64")):
        run("ip", "link", "set", "lo", "up", ns=ns)
        run("ip", "addr", "add", v4, "dev", dev, ns=ns)
        run("ip", "-6", "addr", "add", v6, "dev", dev, "nodad", ns=ns)
        run("ip", "link", "set", dev, "up", ns=ns)
    run("ip", "route", "add", "default", "via", "10.200.1.1", ns=NS_CL)
    run("ip", "-6", "route", "add", "default", "via", "fd00:200:1::1", ns=NS_CL)
    run("ip", "route", "add", "default", "via", "10.200.2.1", ns=NS_OR)
    run("ip", "-6", "route", "add", "default", "via", "fd00:200:2::1", ns=NS_OR)
    for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"):
        run("sysctl", "-qw", key, ns=NS_PX)
    pc = "pc" + S
    for tool in ("iptables", "ip6tables"):
        run(tool, "-t", "nat", "-A", "PREROUTING", "-i", pc, "-p", "tcp", "--dport", "80",
            "-j", "REDIRECT", "--to-ports", "3129", ns=NS_PX)
    run("iptables", "-t", "nat", "-A", "PREROUTING", "-i", pc, "-p", "tcp", "--dport", "443",
        "-j", "REDIRECT", "--to-ports", "3131", ns=NS_PX)
    # TPROXY as Squid's wiki sets it up: replies to spoofed connections
    # (a local socket exists) and diverted new connections are delivered
    # locally through a mark and a local route
    for tool, ip, local in (("iptables", "-4", "0.0.0.0/0"), ("ip6tables", "-6", "::/0")):
        run(tool, "-t", "mangle", "-N", "DIVERT", ns=NS_PX)
        run(tool, "-t", "mangle", "-A", "DIVERT", "-j", "MARK", "--set-mark", "1", ns=NS_PX)
        run(tool, "-t", "mangle", "-A", "DIVERT", "-j", "ACCEPT", ns=NS_PX)
        run(tool, "-t", "mangle", "-A", "PREROUTING", "-p", "tcp", "-m", "socket",
            "-j", "DIVERT", ns=NS_PX)
        run(tool, "-t", "mangle", "-A", "PREROUTING", "-i", pc, "-p", "tcp", "--dport", "8080",
            "-j", "TPROXY", "--tproxy-mark", "0x1/0x1", "--on-port", "3130", ns=NS_PX)
        run(tool, "-t", "mangle", "-A", "PREROUTING", "-i", pc, "-p", "tcp", "--dport", "8443",
            "-j", "TPROXY", "--tproxy-mark", "0x1/0x1", "--on-port", "3132", ns=NS_PX)
        run("ip", ip, "rule", "add", "fwmark", "1", "lookup", "100", ns=NS_PX)
        run("ip", ip, "route", "add", "local", local, "dev", "lo", "table", "100", ns=NS_PX)


def _teardown():
    for ns in (NS_CL, NS_PX, NS_OR):
        run("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def net():
    yield from _net()


def _net():
    """The three namespaces and the origin; yields the origin's request log path."""
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces and iptables")
    for tool in ("ip", "iptables", "ip6tables", "curl"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    d = tempfile.mkdtemp(prefix="cuttle-it-netns-")
    os.chmod(d, 0o755)      # the proxy user reads the origin CA here
    log = os.path.join(d, "origin.jsonl")
    origins = []
    try:
        try:
            _setup(log)
        except subprocess.CalledProcessError as e:
            pytest.skip("cannot build the test network (%s): %s" % (
                " ".join(e.cmd), e.stderr.decode(errors="replace").strip()))
        certs = CertSet(d)
        cert, key = certs.server("tlsns", ["tls.ns", ORIGIN])
        for args in ([ORIGIN + ":80", ORIGIN + ":8080", "[%s]:80" % ORIGIN6,
                      "[%s]:8080" % ORIGIN6],
                     ["--tls", cert, key, ORIGIN + ":443", ORIGIN + ":8443"]):
            o = subprocess.Popen(
                ["ip", "netns", "exec", NS_OR, "/usr/bin/python3",
                 os.path.join(HERE, "nsorigin.py"), log] + args,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            origins.append(o)
            assert o.stdout.readline().strip() == b"ready"
        _net.certs = certs
        yield log
    finally:
        for o in origins:
            o.stdin.close()
            o.kill()
            o.wait(5)
        _teardown()
        shutil.rmtree(d, ignore_errors=True)


def origin_requests(log, n, timeout=5.0):
    """The origin's request log, once it has at least n entries."""
    def read():
        try:
            with open(log) as f:
                lines = [json.loads(l) for l in f if l.strip()]
        except OSError:
            return None
        return lines if len(lines) >= n else None
    return wait_for(read, timeout) or []


class NsCurl:
    def __init__(self, proc, head, body):
        self.returncode = proc.returncode
        self.stderr = proc.stderr.decode(errors="replace")
        blocks = [b for b in head.replace("\r\n", "\n").split("\n\n") if b.strip()]
        last = blocks[-1].split("\n") if blocks else ["HTTP/1.1 000 none"]
        self.status = int(last[0].split(" ")[1])
        self.headers = dict((k.strip().lower(), v.strip()) for k, _, v in
                            (l.partition(":") for l in last[1:]) if v)
        self.body = body


def client(url, *args, ns=None):
    """curl from the client namespace, with no proxy configured (unless -x)."""
    with tempfile.TemporaryDirectory() as d:
        noproxy = [] if "-x" in args else ["--noproxy", "*"]
        cmd = (["ip", "netns", "exec", ns or NS_CL, "curl", "-sS"] + noproxy
               + ["--max-time", "10", "-D", d + "/h", "-o", d + "/b"] + list(args) + [url])
        proc = subprocess.run(cmd, capture_output=True, timeout=20)
        head = open(d + "/h", encoding="latin-1").read() if os.path.exists(d + "/h") else ""
        body = open(d + "/b", "rb").read() if os.path.exists(d + "/b") else b""
        return NsCurl(proc, head, body)


def start_proxy(proxy, conf="", cache=False):
    p = proxy(conf_extra=PORTS + conf, access=ACCESS, cache=cache, start=False, netns=NS_PX)
    with open(os.path.join(p.dir, "hosts"), "a") as f:
        f.write(HOSTS)
    return p.start()


def wait_port(port, timeout=10.0):
    """The intercept ports listen (the base port is up first)."""
    def up():
        r = run("ss", "-Hltn", "sport = :%d" % port, ns=NS_PX, check=False)
        return r.stdout.strip() != b""
    assert wait_for(up, timeout), "port %d not listening" % port


def test_redirect_fetch_then_hit(net, proxy):
    """A client with no proxy setting fetches through REDIRECT; the URL is
    rebuilt from Host, the request goes to the original destination, and
    the second fetch is a memory hit."""
    p = start_proxy(proxy, cache=True)
    wait_port(3129)
    r = client("http://origin.ns/redir", "--resolve", "origin.ns:80:" + ORIGIN)
    assert r.status == 200, r.stderr
    assert r.body.startswith(b"client=10.200.2.1 host=origin.ns target=/redir")
    e = log_entry(p, 1)
    assert (e["code"], e["method"], e["url"]) == ("TCP_MISS/200", "GET", "http://origin.ns/redir")
    assert e["hier"] == "ORIGINAL_DST/" + ORIGIN
    assert e["client"] == "10.200.1.2"
    r = client("http://origin.ns/redir", "--resolve", "origin.ns:80:" + ORIGIN)
    assert r.status == 200
    e = log_entry(p, 2)
    assert (e["code"], e["hier"]) == ("TCP_MEM_HIT/200", "HIER_NONE/-")


def test_no_host_uses_original_destination(net, proxy):
    """Without Host, the URL names the original destination's address and port."""
    p = start_proxy(proxy)
    wait_port(3129)
    r = client("http://%s/nohost" % ORIGIN, "-0", "-H", "Host:")
    assert r.status == 200, r.stderr
    e = log_entry(p, 1)
    assert e["url"] == "http://%s/nohost" % ORIGIN   # :80 is the default
    assert e["hier"] == "ORIGINAL_DST/" + ORIGIN


def test_forged_host_goes_to_original_destination_uncached(net, proxy):
    """Host naming another address: Squid (not strict) still forwards to the
    destination the client connected to, and never caches the answer."""
    p = start_proxy(proxy, cache=True)
    wait_port(3129)
    for n in (1, 2):
        r = client("http://%s/forged" % ORIGIN, "-H", "Host: forged.ns")
        assert r.status == 200, r.stderr
        assert b"host=forged.ns target=/forged" in r.body
        e = log_entry(p, n)
        assert (e["code"], e["url"]) == ("TCP_MISS/200", "http://forged.ns/forged")
        assert e["hier"] == "ORIGINAL_DST/" + ORIGIN


def test_forged_host_port(net, proxy):
    """A Host port other than the intercepted one fails verification too."""
    p = start_proxy(proxy, cache=True)
    wait_port(3129)
    for n in (1, 2):
        r = client("http://%s/port" % ORIGIN, "-H", "Host: origin.ns:81")
        assert r.status == 200, r.stderr
        e = log_entry(p, n)
        assert (e["code"], e["url"]) == ("TCP_MISS/200", "http://origin.ns:81/port")
        assert e["hier"] == "ORIGINAL_DST/" + ORIGIN


def test_forged_host_strict_conflict(net, proxy):
    """host_verify_strict on: a forged Host gets 409 Conflict."""
    p = start_proxy(proxy, "host_verify_strict on\n")
    wait_port(3129)
    r = client("http://%s/strict" % ORIGIN, "-H", "Host: forged.ns")
    assert r.status == 409
    assert r.headers.get("x-squid-error", "").startswith("ERR_CONFLICT_HOST")
    e = log_entry(p, 1)
    assert (e["code"], e["hier"]) == ("NONE_NONE/409", "HIER_NONE/-")
    assert e["url"] == "http://forged.ns/strict"
    # a Host that does resolve to the destination still passes
    r = client("http://origin.ns/strict-ok", "--resolve", "origin.ns:80:" + ORIGIN)
    assert r.status == 200


def test_intercept_port_to_itself_is_refused(net, proxy):
    """A client connecting to the intercept port directly: the original
    destination is the proxy itself; the request must not loop."""
    p = start_proxy(proxy)
    wait_port(3129)
    r = client("http://10.200.1.1:3129/self")
    assert r.status == 403
    assert r.headers.get("x-squid-error", "").startswith("ERR_ACCESS_DENIED")
    p.access_log_lines(1)
    time.sleep(0.5)     # a loop would log more lines meanwhile
    entries = p.access_entries(1)
    # Squid goes round once (its own Via stops the second hop); never more
    assert 1 <= len(entries) <= 2
    assert all(e["code"] == "TCP_MISS/403" for e in entries)


def test_via_loop_is_refused(net, proxy):
    """A request whose Via already names this proxy is a forwarding loop: 403."""
    p = start_proxy(proxy)
    wait_port(3129)
    r = client("http://origin.ns/via1", "--resolve", "origin.ns:80:" + ORIGIN)
    assert r.status == 200
    via = [x for x in origin_requests(net, 1) if x["target"] == "/via1"][-1]["via"]
    assert via
    r = client("http://origin.ns/via2", "--resolve", "origin.ns:80:" + ORIGIN,
               "-H", "Via: " + via)
    assert r.status == 403
    assert r.headers.get("x-squid-error", "").startswith("ERR_ACCESS_DENIED")
    e = log_entry(p, 2)
    assert (e["code"], e["hier"]) == ("TCP_MISS/403", "HIER_NONE/-")
    assert not [x for x in origin_requests(net, 1) if x["target"] == "/via2"]


def test_ipv6_redirect(net, proxy):
    """IPv6: ip6tables REDIRECT, the destination from IP6T_SO_ORIGINAL_DST."""
    p = start_proxy(proxy)
    wait_port(3129)
    r = client("http://origin6.ns/six", "--resolve", "origin6.ns:80:[%s]" % ORIGIN6)
    assert r.status == 200, r.stderr
    assert r.body.startswith(b"client=fd00:200:2::1 host=origin6.ns target=/six")
    e = log_entry(p, 1)
    assert e["url"] == "http://origin6.ns/six"
    assert e["hier"] == "ORIGINAL_DST/" + ORIGIN6


def test_tproxy_spoofs_client_address(net, proxy):
    """tproxy: the origin sees the client's own address."""
    p = start_proxy(proxy)
    wait_port(3130)
    r = client("http://origin.ns:8080/tp", "--resolve", "origin.ns:8080:" + ORIGIN)
    assert r.status == 200, r.stderr
    assert r.body.startswith(b"client=10.200.1.2 host=origin.ns:8080 target=/tp")
    e = log_entry(p, 1)
    assert e["url"] == "http://origin.ns:8080/tp"
    assert e["hier"] == "ORIGINAL_DST/" + ORIGIN
    if p.impl != "squid":
        # the worker, now user proxy, kept CAP_NET_ADMIN (12) and nothing else
        pids = p.worker_pids()
        assert pids
        for pid in pids:
            status = open("/proc/%d/status" % pid).read()
            eff = [l.split()[1] for l in status.splitlines() if l.startswith("CapEff:")]
            assert int(eff[0], 16) == 1 << 12, status




def tproxy_to_peer(proxy, opts):
    """A tproxy request sent on to a parent (the origin, which answers a
    parent's absolute-URI request too); returns what it answered."""
    p = start_proxy(proxy, "cache_peer %s parent 8080 0 no-query no-digest name=up %s\n"
                    "never_direct allow all\n" % (ORIGIN, opts))
    wait_port(3130)
    r = client("http://origin.ns:8080/peer", "--resolve", "origin.ns:8080:" + ORIGIN)
    assert r.status == 200, r.stderr
    assert log_entry(p, 1)["hier"] in ("FIRSTUP_PARENT/" + ORIGIN,
                                       "DEFAULT_PARENT/" + ORIGIN)
    return r.body


def test_tproxy_request_to_a_peer_spoofs_the_client(net, proxy):
    """tproxy: a parent too sees the client's address by default."""
    assert tproxy_to_peer(proxy, "").startswith(b"client=10.200.1.2 ")


def test_tproxy_request_to_a_no_tproxy_peer_comes_from_the_proxy(net, proxy):
    """cache_peer no-tproxy: that parent sees the proxy's own address."""
    assert tproxy_to_peer(proxy, "no-tproxy").startswith(b"client=10.200.2.1 ")



def start_tls_proxy(proxy, bump_ca, rules):
    """An https_port intercept ssl-bump on 3131 (port 443 is REDIRECTed there)."""
    cert, key, _ = bump_ca
    conf = ("https_port 10.200.1.1:3131 intercept ssl-bump tls-cert=%s tls-key=%s "
            "generate-host-certificates=on\n"
            "sslcrtd_program %s -s @DIR@/ssl_db -M 4MB\n"
            "tls_outgoing_options cafile=%s\n"
            "acl step1 at_step SslBump1\n" % (cert, key, SQUID_CERTGEN, _net.certs.ca)
            + rules)
    p = proxy(conf_extra=PORTS + conf, access=ACCESS, start=False, netns=NS_PX)
    with open(os.path.join(p.dir, "hosts"), "a") as f:
        f.write(HOSTS + "10.200.2.2 tls.ns\n")
    make_ssl_db(p.dir)
    p.start()
    wait_port(3131)
    return p


def test_https_intercept_spliced(net, proxy, bump_ca):
    """Intercepted TLS spliced: the client talks to the origin itself (its
    certificate verifies against the origin's CA); the made-up CONNECT names
    the original destination's address."""
    p = start_tls_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump splice all\n")
    r = client("https://tls.ns/spliced", "--resolve", "tls.ns:443:" + ORIGIN,
               "--cacert", _net.certs.ca)
    assert r.status == 200, r.stderr
    assert b"host=tls.ns target=/spliced" in r.body
    # as Squid: the peeked made-up CONNECT (nothing answered: 000), then
    # the tunnel, whose CONNECT Squid makes again for the SNI
    peeked, tunnel = p.access_entries(2)[:2]
    assert (peeked["code"], peeked["method"], peeked["url"]) == (
        "NONE_NONE/000", "CONNECT", "%s:443" % ORIGIN)
    assert (tunnel["code"], tunnel["url"]) == ("TCP_TUNNEL/200", "tls.ns:443")
    assert tunnel["hier"] == "ORIGINAL_DST/" + ORIGIN


def test_https_intercept_bumped(net, proxy, bump_ca):
    """Intercepted TLS bumped: the client gets a certificate minted for its
    SNI by the proxy's CA; the request inside is logged with its https URL
    and goes to the original destination."""
    p = start_tls_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all\n")
    r = client("https://tls.ns/bumped", "--resolve", "tls.ns:443:" + ORIGIN,
               "--cacert", bump_ca[0])
    assert r.status == 200, r.stderr
    assert b"host=tls.ns target=/bumped" in r.body
    lines = p.access_log_lines(2)
    entries = p.access_entries(2)
    connect = [e for e in entries if e["method"] == "CONNECT"]
    get = [e for e in entries if e["method"] == "GET"]
    assert connect and connect[0]["url"] == "%s:443" % ORIGIN, lines
    assert connect[0]["code"] == "NONE_NONE/000"
    assert get and get[0]["url"] == "https://tls.ns/bumped", lines
    assert get[0]["code"] == "TCP_MISS/200"
    assert get[0]["hier"] == "ORIGINAL_DST/" + ORIGIN


def test_tproxy_bump_probe_not_pooled(net, proxy, bump_ca):
    """A bump's connection to the server, made from a tproxy client's
    address, is never handed to another client's request: a forward
    request to the same https origin afterwards leaves from the proxy's
    own address."""
    cert, key, _ = bump_ca
    conf = ("https_port 10.200.1.1:3132 tproxy ssl-bump tls-cert=%s tls-key=%s "
            "generate-host-certificates=on\n"
            "sslcrtd_program %s -s @DIR@/ssl_db -M 4MB\n"
            "tls_outgoing_options cafile=%s\n"
            "acl step1 at_step SslBump1\n"
            "ssl_bump stare step1\nssl_bump bump all\n"
            % (cert, key, SQUID_CERTGEN, _net.certs.ca))
    p = proxy(conf_extra=PORTS + conf, access=ACCESS, start=False, netns=NS_PX)
    with open(os.path.join(p.dir, "hosts"), "a") as f:
        f.write(HOSTS + "10.200.2.2 tls.ns\n")
    make_ssl_db(p.dir)
    p.start()
    wait_port(3132)
    r = client("https://tls.ns:8443/spoofed", "--resolve", "tls.ns:8443:" + ORIGIN,
               "--cacert", bump_ca[0])
    assert r.status == 200, r.stderr
    assert r.body.startswith(b"client=10.200.1.2 host=tls.ns:8443 target=/spoofed")
    # a forward request for an https:// URL (curl would CONNECT): the proxy
    # speaks TLS to the origin itself, and may take an idle connection
    r = client("http://tls.ns:8443/forward", "-x", "http://127.0.0.1:%d" % p.port,
               "--request-target", "https://tls.ns:8443/forward", ns=NS_PX)
    assert r.status == 200, r.stderr
    assert r.body.startswith(b"client=10.200.2.1 "), r.body


def chain_to_parent(proxy, bump_ca, rules):
    """The transparent gateway chained to an upstream proxy: an https_port
    intercept ssl-bump whose traffic goes on through a parent (another
    proxy in the proxy namespace) with never_direct."""
    parent = proxy(conf_extra="unique_hostname parent1\n", access=ACCESS,
                   start=False, netns=NS_PX)
    with open(os.path.join(parent.dir, "hosts"), "a") as f:
        f.write(HOSTS + "10.200.2.2 tls.ns\n")
    parent.start()
    p = start_tls_proxy(proxy, bump_ca, rules + "cache_peer 127.0.0.1 parent %d 0 "
                        "no-query no-digest\nnever_direct allow all\n" % parent.port)
    return p, parent


def parent_lines(parent):
    def served():
        got = [e for e in parent.access_entries(1, 0) if e["code"] != "NONE_NONE/000"]
        return got or None
    return wait_for(served, 10.0) or []


def test_https_intercept_spliced_through_a_parent(net, proxy, bump_ca):
    """Intercepted TLS, spliced, sent on to the parent with a CONNECT: the
    client still talks to the origin itself."""
    p, parent = chain_to_parent(proxy, bump_ca, "ssl_bump peek step1\nssl_bump splice all\n")
    r = client("https://tls.ns/chained", "--resolve", "tls.ns:443:" + ORIGIN,
               "--cacert", _net.certs.ca)
    assert r.status == 200, r.stderr
    assert b"host=tls.ns target=/chained" in r.body
    tunnel = [e for e in p.access_entries(2) if e["code"] == "TCP_TUNNEL/200"]
    assert tunnel and tunnel[0]["hier"] == "FIRSTUP_PARENT/127.0.0.1", p.access_log_lines(2)
    got = parent_lines(parent)
    assert [(e["code"], e["method"]) for e in got] == [("TCP_TUNNEL/200", "CONNECT")]


def test_https_intercept_bumped_through_a_parent(net, proxy, bump_ca):
    """Intercepted TLS, bumped: the request inside goes to the origin
    through the parent's CONNECT tunnel, TLS re-made inside it."""
    p, parent = chain_to_parent(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all\n")
    r = client("https://tls.ns/bumped-chain", "--resolve", "tls.ns:443:" + ORIGIN,
               "--cacert", bump_ca[0])
    assert r.status == 200, r.stderr
    assert b"host=tls.ns target=/bumped-chain" in r.body
    get = [e for e in p.access_entries(2) if e["method"] == "GET"]
    assert get and get[0]["hier"] == "FIRSTUP_PARENT/127.0.0.1", p.access_log_lines(2)
    p.stop()
    got = parent_lines(parent)
    assert [e["method"] for e in got] == ["CONNECT"], parent.access_log_lines(0, 0)


def test_client_dst_passthru_off_goes_direct(net, proxy):
    """client_dst_passthru off: a verified request goes where its Host
    resolves (DIRECT); one that fails verification still goes to the
    original destination."""
    p = start_proxy(proxy, "client_dst_passthru off\n")
    wait_port(3129)
    r = client("http://origin.ns/direct", "--resolve", "origin.ns:80:" + ORIGIN)
    assert r.status == 200, r.stderr
    e = log_entry(p, 1)
    assert e["hier"] == "HIER_DIRECT/" + ORIGIN
    r = client("http://%s/direct2" % ORIGIN, "-H", "Host: forged.ns")
    assert r.status == 200, r.stderr
    e = log_entry(p, 2)
    assert e["hier"] == "ORIGINAL_DST/" + ORIGIN


def test_forward_proxy_strict_host_normalized(net, proxy):
    """host_verify_strict on and a forward-proxy request whose Host differs
    from its URL: Squid 5.7 first replaces Host with the URL's authority
    (RFC 9112 3.2.2), so the check passes and the origin sees the URL's
    host."""
    p = start_proxy(proxy, "host_verify_strict on\n")
    via = ("-x", "http://127.0.0.1:%d" % p.port)
    r = client("http://origin.ns/fwd2", *via, "-H", "Host: forged.ns", ns=NS_PX)
    assert r.status == 200, r.stderr
    assert b"host=origin.ns target=/fwd2" in r.body
    assert log_entry(p, 1)["code"] == "TCP_MISS/200"


def test_no_proxy_auth_on_intercepted_requests(net, proxy):
    """Squid never authenticates intercepted requests: proxy_auth does not
    match them, even with credentials, so `deny !auth` challenges (407);
    the forward port still authenticates."""
    p = start_proxy(proxy, "auth_param basic program /usr/lib/squid/basic_fake_auth\n"
                    "acl auth proxy_auth REQUIRED\n"
                    "http_access deny !auth\n")
    wait_port(3129)
    creds = ("-H", "Proxy-Authorization: Basic dXNlcjpwYXNz")    # user:pass
    r = client("http://origin.ns/auth", "--resolve", "origin.ns:80:" + ORIGIN, *creds)
    assert r.status == 407
    r = client("http://origin.ns/auth2", "-x", "http://127.0.0.1:%d" % p.port, *creds, ns=NS_PX)
    assert r.status == 200, r.stderr
    codes = [e["code"] for e in p.access_entries(2)]
    assert codes == ["TCP_DENIED/407", "TCP_MISS/200"]


def test_tproxy_ipv6(net, proxy):
    """tproxy over IPv6: ip6tables TPROXY; the origin sees the client's address."""
    p = start_proxy(proxy)
    wait_port(3130)
    r = client("http://origin6.ns:8080/tp6", "--resolve", "origin6.ns:8080:[%s]" % ORIGIN6)
    assert r.status == 200, r.stderr
    assert r.body.startswith(b"client=fd00:200:1::2 host=origin6.ns:8080 target=/tp6")
    e = log_entry(p, 1)
    assert e["hier"] == "ORIGINAL_DST/" + ORIGIN6
