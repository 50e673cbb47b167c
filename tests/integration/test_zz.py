import helpers, time
from helpers import RawClient
def test_x(proxy, origin):
    import origin as om; origin.closed = om.closed_port()
    p = proxy("read_timeout 1 second\nrequest_timeout 1 second\nrequest_header_max_size 2 KB\nreply_header_max_size 2 KB\nrequest_body_max_size 1 KB\ndns_timeout 2 seconds\n")
    def show(r, t0):
        print(round(time.monotonic()-t0,2), r.status, r.header("X-Squid-Error"), r.header("Connection"), len(r.body))
    for url, kw in [("http://nosuch.test/", {}), (origin.url("/slow/3"), {}), (origin.url("/"), {"headers":[("X-Big","a"*3000)]}),
                    (origin.url("/headers?X-Big="+"a"*3000), {}), (origin.url("/echo"), {"method":"POST","body":b"x"*2000}),
                    ("http://origin.test:%d/" % origin.closed, {})]:
        t0=time.monotonic()
        try:
            show(helpers.get(p.port, url, **kw), t0)
        except Exception as e:
            print("EXC", url[:40], e, round(time.monotonic()-t0,2))
    t0=time.monotonic()
    show(helpers.request(p.port, b"GET / HTTP/1.1\r\nHost: origin.test:%d\r\n\r\n" % origin.port), t0)
    c = RawClient(p.port); t0=time.monotonic()
    try:
        print("idle:", c.sock.recv(1000), round(time.monotonic()-t0,2))
    except Exception as e: print("idle exc", e)
    c = RawClient(p.port); t0=time.monotonic(); c.send(b"GET http://origin.test/ HTTP/1.1\r\n")
    try:
        print("partial:", c.sock.recv(100000)[:300], round(time.monotonic()-t0,2))
    except Exception as e: print("partial exc", e)
    print("\n".join(p.access_log_lines(9)))
    assert 0
