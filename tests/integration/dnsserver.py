"""A DNS server on 127.0.0.1:53 that answers NXDOMAIN to every query.

The test configs say `dns_nameservers 127.0.0.1` so no lookup leaves the
machine; names the hosts file lacks then fail fast (ERR_DNS_FAIL) instead of
timing out.  Port 53 needs root: the fixture using this skips without it.
"""

import socket
import threading


class NxDomainServer:
    def __init__(self, port=53):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.queries = 0
        self.names = []         # the names asked, lowercased, latest last
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 12:
                continue
            self.queries += 1
            if len(self.names) < 10000:
                self.names.append(_qname(data))
            # Same id and question; QR=1, opcode copied, RD copied, RA=1, RCODE=3.
            flags = bytes([0x80 | (data[2] & 0x79), 0x83])
            reply = data[:2] + flags + data[4:6] + b"\0\0\0\0\0\0" + _question(data)
            try:
                self.sock.sendto(reply, peer)
            except OSError:
                pass

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def _qname(data):
    """The first question's name, dotted and lowercased."""
    labels, i = [], 12
    while i < len(data) and data[i] != 0:
        labels.append(data[i + 1:i + 1 + data[i]].decode("latin-1").lower())
        i += data[i] + 1
    return ".".join(labels)


def _question(data):
    """The first question section of a query (name, type, class)."""
    i = 12
    while i < len(data) and data[i] != 0:
        i += data[i] + 1
    return data[12:i + 5]
