"""Client-side timeouts before a request: request_start_timeout until the
first request byte from the connection's start (a bump's wait for the
ClientHello and its handshake included), then request_timeout for the
rest of the request's head; a bumped connection's first request gets
request_timeout, as Squid 5.7 gives it.  Squid checks timeouts about once
a second, so the windows here allow a few seconds.
"""

import socket
import time

import pytest

from bump import bump_proxy
from helpers import RawClient
from test_bump import connect, tls_client


def closed_within(sock, seconds):
    """Seconds until the proxy closed sock, or None if still open."""
    sock.settimeout(seconds)
    t0 = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return None
    except (ConnectionResetError, BrokenPipeError):
        pass
    return time.monotonic() - t0


def test_request_start_timeout_closes_a_silent_connection(proxy):
    p = proxy("request_start_timeout 1 second\nrequest_timeout 1 minute\n")
    with RawClient(p.port) as c:
        took = closed_within(c.sock, 6)
    assert took is not None and took < 4


def test_request_timeout_runs_from_the_first_byte(proxy):
    # A long request_start_timeout keeps a silent client; the first byte
    # starts request_timeout for the rest of the head.
    p = proxy("request_start_timeout 1 minute\nrequest_timeout 1 second\n")
    with RawClient(p.port) as c:
        assert closed_within(c.sock, 3) is None, "closed before any byte"
        c.send(b"GET http://origin.test/ HTTP/1.1\r\n")
        took = closed_within(c.sock, 6)
    assert took is not None and took < 4


def test_bump_waits_request_start_timeout_for_the_client_hello(proxy, bump_ca,
                                                              tls_origin):
    p = bump_proxy(proxy, bump_ca, "ssl_bump peek step1\nssl_bump bump all",
                   extra="request_start_timeout 1 second\n"
                   "request_timeout 1 minute\nread_timeout 1 minute\n",
                   ssl_ports=[tls_origin.port])
    sock = connect(p.port, "tls.test", tls_origin.port)
    try:
        took = closed_within(sock, 6)
    finally:
        sock.close()
    assert took is not None and took < 4


def test_bumped_connection_waits_request_timeout_for_its_first_request(
        proxy, bump_ca, tls_origin):
    # After the handshake, the first request on a bumped connection has
    # request_timeout, as in Squid 5.7 (not the keep-alive idle timeout,
    # nor request_start_timeout again).
    p = bump_proxy(proxy, bump_ca, "ssl_bump bump all",
                   extra="request_start_timeout 1 minute\n"
                   "client_idle_pconn_timeout 1 minute\n"
                   "request_timeout 2 seconds\n",
                   ssl_ports=[tls_origin.port])
    with tls_client(connect(p.port, "tls.test", tls_origin.port), bump_ca[0],
                    "tls.test") as tls:
        t0 = time.monotonic()
        tls.settimeout(8)
        try:
            assert tls.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError, OSError):
            pass
        took = time.monotonic() - t0
    assert took < 6, "closed after %.1f s" % took
