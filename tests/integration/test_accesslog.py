"""access.log: native lines field for field as Squid 5.7 writes them, and
the common, combined and custom logformat formats."""

import os
import re
import socket
import ssl

from helpers import (COMBINED_RE, COMMON_RE, ConnectionClosed, RawClient, build, exchange, get,
                     wait_for)
from origin import closed_port
from raworigin import RawOrigin

# Fields that must be identical between cuttle and Squid for the same request.
# Not compared: the timestamp and elapsed time, and the byte count, which
# depends on the Via/Server strings and on the wording of error pages.
SAME = ("client", "code", "method", "url", "user", "hier", "type")


def drive(p, origin, tls_origin, refused_port):
    """The same sequence of requests against one proxy; returns its log entries."""
    get(p.port, origin.url("/bytes/100"))
    get(p.port, origin.url("/bytes/100"), method="HEAD")
    get(p.port, origin.url("/echo"), method="POST", body=b"hello")
    get(p.port, origin.url("/status/404"))
    get(p.port, origin.url("/chunked/3000?secret=1"))
    get(p.port, origin.url("/", host="blocked.test"))
    get(p.port, "http://origin.test:%d/" % refused_port)
    exchange(p.port, b"GARBAGE\r\n\r\n")
    with RawClient(p.port) as c:
        c.send("CONNECT tls.test:%d HTTP/1.1\r\nHost: tls.test\r\n\r\n" % tls_origin.port)
        assert c.read_response("CONNECT").status == 200
        ctx = ssl.create_default_context(cafile=tls_origin.cert)
        with ctx.wrap_socket(c.sock, server_hostname="tls.test") as tls:
            tls.sendall(b"GET /bytes/10 HTTP/1.0\r\n\r\n")
            while tls.recv(65536):
                pass
    return p.access_entries(9)


def conf_for(tls_origin):
    return dict(conf_extra="acl blk dstdomain blocked.test\nhttp_access deny blk\n",
                ssl_ports=[tls_origin.port])


def test_native_fields_match_squid(proxy, squid_proxy, origin, tls_origin):
    refused = closed_port()
    ours = drive(proxy(**conf_for(tls_origin)), origin, tls_origin, refused)
    theirs = drive(squid_proxy(**conf_for(tls_origin)), origin, tls_origin, refused)
    assert len(ours) == len(theirs) == 9
    for a, b in zip(ours, theirs):
        assert {k: a[k] for k in SAME} == {k: b[k] for k in SAME}


def test_native_line_shape(proxy, origin):
    p = proxy()
    get(p.port, origin.url("/bytes/100"))
    (line,) = p.access_log_lines(1)
    # "%9ld.%03d %6ld %s %s/%03d %lld %s %s %s %s/%s %s"
    m = re.match(r"^\d{10}\.\d{3} +\d+ 127\.0\.0\.1 TCP_MISS/200 (\d+) GET "
                 r"http://origin\.test:%d/bytes/100 - HIER_DIRECT/127\.0\.0\.1 "
                 r"application/octet-stream$" % origin.port, line)
    assert m, line
    assert int(m.group(1)) > 100
    assert line.index(" 127.0.0.1") == 21   # elapsed right-aligned in 6 columns


def test_strip_query_terms_keeps_question_mark(proxy, origin):
    p = proxy()
    get(p.port, origin.url("/bytes/1?secret=1"))
    (e,) = p.access_entries(1)
    assert e["url"] == origin.url("/bytes/1?")


def test_strip_query_terms_off(proxy, origin):
    p = proxy("strip_query_terms off\n")
    get(p.port, origin.url("/bytes/1?secret=1"))
    (e,) = p.access_entries(1)
    assert e["url"] == origin.url("/bytes/1?secret=1")


def test_bytes_count_whole_reply(proxy, origin):
    p = proxy()
    with RawClient(p.port) as c:
        c.send(build("GET", origin.url("/bytes/5000")))
        c.sock.settimeout(5)
        r = c.read_response()
    assert len(r.body) == 5000
    (e,) = p.access_entries(1)
    assert 5000 + 100 < int(e["bytes"]) < 5000 + 1000


def test_common_format(proxy, origin):
    p = proxy("access_log stdio:@DIR@/common.log common\n")
    get(p.port, origin.url("/bytes/10"))
    (line,) = p.access_log_lines(1, path=os.path.join(p.dir, "common.log"))
    m = COMMON_RE.match(line)
    assert m, line
    assert m.group(1, 2, 3) == ("127.0.0.1", "-", "-")
    assert re.match(r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$", m.group(4))
    assert m.group(5) == "GET %s HTTP/1.1" % origin.url("/bytes/10")
    assert m.group(6) == "200"
    assert m.group(8) == "TCP_MISS:HIER_DIRECT"


def test_combined_format(proxy, origin):
    p = proxy("access_log stdio:@DIR@/combined.log combined\n")
    get(p.port, origin.url("/bytes/10"), headers=[("Referer", "http://ref.test/"),
                                                 ("User-Agent", "Mozilla/5.0 (test)")])
    get(p.port, origin.url("/bytes/11"))
    lines = p.access_log_lines(2, path=os.path.join(p.dir, "combined.log"))
    m1, m2 = COMBINED_RE.match(lines[0]), COMBINED_RE.match(lines[1])
    assert m1 and m2, lines
    assert m1.group(8, 9, 10) == ("http://ref.test/", "Mozilla/5.0 (test)", "TCP_MISS:HIER_DIRECT")
    assert m2.group(8, 9) == ("-", "-")


def test_custom_logformat(proxy, origin):
    p = proxy("logformat mine %>a %rm %ru %>Hs %Ss/%Sh %mt %{X-Test}>h\n"
              "access_log stdio:@DIR@/mine.log mine\n")
    get(p.port, origin.url("/bytes/10"), headers=[("X-Test", "yes")])
    (line,) = p.access_log_lines(1, path=os.path.join(p.dir, "mine.log"))
    assert line == "127.0.0.1 GET %s 200 TCP_MISS/HIER_DIRECT application/octet-stream yes" % (
        origin.url("/bytes/10"))


def test_access_log_with_acl(proxy, origin):
    p = proxy("acl postm method POST\naccess_log stdio:@DIR@/post.log squid postm\n")
    get(p.port, origin.url("/bytes/10"))
    get(p.port, origin.url("/echo"), method="POST", body=b"x")
    assert len(p.access_log_lines(2)) == 2
    lines = p.access_log_lines(1, path=os.path.join(p.dir, "post.log"))
    assert [l.split()[5] for l in lines] == ["POST"]


def test_log_mime_hdrs(proxy, origin):
    p = proxy("log_mime_hdrs on\n")
    get(p.port, origin.url("/bytes/10"), headers=[("X-Test", "a b")])
    (e,) = p.access_entries(1)
    assert e["extra"].startswith("[")
    assert "X-Test: a b\\r\\n" in e["extra"]
    assert "] [HTTP/1.1 200 OK\\r\\n" in e["extra"]


def test_overlapping_hits_log_their_own_type(proxy, origin):
    # Two memory hits in flight in one worker: the first goes out slowly,
    # the second starts and ends meanwhile.  Each line names its own
    # object's Content-Type (the type must live with the transaction).
    big = 6 * 1024 * 1024
    p = proxy("maximum_object_size_in_memory 8 MB\n", cache=True)
    origin.script("/slow", headers=[("Cache-Control", "max-age=600"),
                                    ("Content-Type", "text/slow")],
                  generate=(b"s" * 65536, big // 65536))
    origin.script("/quick", headers=[("Cache-Control", "max-age=600"),
                                     ("Content-Type", "text/quick")], body=b"q\n")
    assert len(get(p.port, origin.url("/slow")).body) == big
    get(p.port, origin.url("/quick"))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", p.port))
    sock.sendall(("GET %s HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n"
                  % origin.url("/slow")).encode())
    sock.recv(1024)             # the hit started; the rest waits on us
    r = get(p.port, origin.url("/quick"))
    assert r.body == b"q\n"
    got = 1024
    while True:
        data = sock.recv(1 << 20)
        if not data:
            break
        got += len(data)
    sock.close()
    entries = p.access_entries(4)
    quick, slow = entries[2], entries[3]
    assert quick["url"].endswith("/quick") and quick["code"] == "TCP_MEM_HIT/200"
    assert slow["url"].endswith("/slow") and slow["code"] == "TCP_MEM_HIT/200"
    assert quick["type"] == "text/quick"
    assert slow["type"] == "text/slow"


ERR_FMT = ("logformat ed %Ss/%>Hs %err_code %err_detail %ru\n"
           "access_log stdio:@DIR@/ed.log ed\n")


def _err_lines(p, n):
    return p.access_log_lines(n, path=os.path.join(p.dir, "ed.log"))


def _get_quietly(port, url):
    try:
        return get(port, url)
    except (ConnectionClosed, OSError):
        return None


def test_err_code_and_detail_as_squid_logs_them(proxy, origin):
    # squid-compat.md 11.4 and Squid 5.7 itself: an error that forwarding
    # ends with is detailed WITH_SERVER; a reset before any byte is a read
    # error; a body the server cuts short is not the client's abort.
    p = proxy(ERR_FMT + "acl blocked dstdomain blocked.test\n"
              "http_access deny blocked\n")
    zero, reset, part = (RawOrigin([[how]]) for how in ("close", "reset", "body-part"))
    refused = "http://127.0.0.1:%d/refused" % closed_port()
    urls = [origin.url("/bytes/10"), refused, "http://blocked.test/x",
            "http://127.0.0.1:%d/zero" % zero.port,
            "http://127.0.0.1:%d/reset" % reset.port,
            "http://127.0.0.1:%d/part" % part.port]
    for u in urls:
        _get_quietly(p.port, u)
    # Squid makes no request of a head or URL it cannot parse: no %err_code
    # (a refused version is logged with the URL Squid read)
    v2 = origin.url("/v2")
    for raw, status in ((b"GARBAGE\r\n\r\n", 400),
                        (b"GET /relative HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                        (b"GET %s HTTP/2.0\r\nHost: a\r\n\r\n" % v2.encode(), 505)):
        c = RawClient(p.port)
        c.send(raw)
        assert c.read_response("GET").status == status
    assert _err_lines(p, 9)[6:9] == ["NONE_NONE/400 - - error:invalid-request",
                                     "NONE_NONE/400 - - /relative",
                                     "NONE_NONE/505 - - " + v2]
    assert _err_lines(p, 6)[:6] == [
        "TCP_MISS/200 - - " + urls[0],
        "TCP_MISS/503 ERR_CONNECT_FAIL WITH_SERVER " + urls[1],
        "TCP_DENIED/403 ERR_ACCESS_DENIED - " + urls[2],
        "TCP_MISS/502 ERR_ZERO_SIZE_OBJECT WITH_SERVER " + urls[3],
        "TCP_MISS/502 ERR_READ_ERROR WITH_SERVER " + urls[4],
        "TCP_MISS/200 - - " + urls[5]]


def test_err_detail_of_a_failed_tunnel_is_the_errno(proxy):
    # A CONNECT's error page details the system error (Squid 5.7's tunnel)
    port = closed_port()
    p = proxy(ERR_FMT, ssl_ports=[port])
    c = RawClient(p.port)
    c.send("CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (port, port))
    assert c.read_response("CONNECT").status == 503
    assert _err_lines(p, 1) == ["NONE_NONE/503 ERR_CONNECT_FAIL errno=111 127.0.0.1:%d" % port]


def test_client_gone_is_logged_as_squid_logs_it(proxy, origin):
    # A client that closes while its response is awaited: ERR_CLIENT_GONE,
    # detailed WITH_CLIENT (Squid 5.7's ConnStateData on EOF)
    p = proxy(ERR_FMT)
    url = origin.url("/slow/1")
    c = socket.create_connection(("127.0.0.1", p.port), timeout=10)
    c.sendall(("GET %s HTTP/1.1\r\nHost: origin.test\r\n\r\n" % url).encode())
    assert wait_for(lambda: origin.count("/slow/1") == 1, 5)
    c.close()
    assert _err_lines(p, 1) == ["TCP_MISS_ABORTED/0 ERR_CLIENT_GONE WITH_CLIENT " + url]
