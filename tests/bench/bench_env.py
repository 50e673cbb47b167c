"""The benchmark's temporary directory, its nginx origin (HTTP and HTTPS,
nothing cacheable except under /c/; a second HTTPS port under a
certificate from the bench's own origin CA, for the SslBump scenarios)
and the squid.conf files that cuttle and Squid both run unchanged, one
after the other on the same port.
"""

import os
import pwd
import resource
import signal
import subprocess
import tempfile

from bench_common import (BODY_100M, CACHE_OBJECTS, NGINX, OPENSSL,
                          bench_free_port, bench_stop, bench_wait_port)


class BenchEnv:
    """The temporary directory, the origin and the shared squid.conf."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cuttle-bench-")
        # The proxies drop to cache_effective_user and must still write
        # their logs and pid file here.
        os.chmod(self.dir, 0o777)
        self.user = None
        if os.geteuid() == 0:
            self.user = "proxy"
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.www = os.path.join(self.dir, "www")
        os.mkdir(self.www)
        os.chmod(self.www, 0o755)
        self.http_port = bench_free_port()
        self.tls_port = bench_free_port()
        self.proxy_port = bench_free_port()
        # The SslBump scenarios' origin: any SNI, a certificate for
        # *.bench.test signed by origin_ca (see origin_pki).
        self.bump_tls_port = bench_free_port()
        self.origin_ca = os.path.join(self.dir, "origin-ca.pem")
        self.nginx = None

    def origin_pki(self):
        """An origin CA and, signed by it, the certificate of the bump
        origin port: the proxies verify it with tls_outgoing_options
        cafile=origin_ca, the tunnel clients with the same file."""
        def openssl(*args):
            subprocess.run([OPENSSL] + list(args), check=True, cwd=self.dir,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", "origin-ca.key", "-out", "origin-ca.pem",
                "-days", "2", "-subj", "/O=cuttle bench/CN=bench origin CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        with open(os.path.join(self.dir, "origin-ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:*.bench.test,DNS:bench.test,"
                    "IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes",
                "-keyout", "origin-bump.key", "-out", "origin-bump.csr",
                "-subj", "/O=cuttle bench/CN=bench.test")
        openssl("x509", "-req", "-in", "origin-bump.csr",
                "-CA", "origin-ca.pem", "-CAkey", "origin-ca.key",
                "-set_serial", "2", "-days", "2", "-out", "origin-bump.pem",
                "-extfile", "origin-ext.cnf")
        for name in ("origin-ca.pem", "origin-bump.pem"):
            os.chmod(os.path.join(self.dir, name), 0o644)

    def origin_start(self):
        with open(os.path.join(self.www, "1k"), "wb") as f:
            f.write(os.urandom(1024))
        with open(os.path.join(self.www, "idle"), "wb") as f:
            f.write(b"i" * 16)
        with open(os.path.join(self.www, "warm"), "wb") as f:
            f.write(b"w" * 16)
        with open(os.path.join(self.www, "100m"), "wb") as f:
            # Random-ish content written once: a sparse file would do for
            # the proxies, but real bytes keep the origin honest.
            chunk = os.urandom(1024 * 1024)
            for _ in range(100):
                f.write(chunk)
        cdir = os.path.join(self.www, "c")
        os.mkdir(cdir)
        for name, size in CACHE_OBJECTS.items():
            if size == BODY_100M:
                os.link(os.path.join(self.www, "100m"),
                        os.path.join(cdir, name))
                continue
            with open(os.path.join(cdir, name), "wb") as f:
                f.write(os.urandom(size))
        os.chmod(cdir, 0o755)
        for d in (self.www, cdir):
            for name in os.listdir(d):
                if os.path.isfile(os.path.join(d, name)):
                    os.chmod(os.path.join(d, name), 0o644)
        key = os.path.join(self.dir, "key.pem")
        cert = os.path.join(self.dir, "cert.pem")
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=127.0.0.1"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
        self.origin_pki()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""\
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 65536;
pid %(dir)s/nginx.pid;
error_log %(dir)s/nginx.error.log;
events { worker_connections 16384; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    default_type application/octet-stream;
    client_body_temp_path %(dir)s/ngx_body;
    proxy_temp_path %(dir)s/ngx_proxy;
    fastcgi_temp_path %(dir)s/ngx_fastcgi;
    uwsgi_temp_path %(dir)s/ngx_uwsgi;
    scgi_temp_path %(dir)s/ngx_scgi;
    server {
        listen 127.0.0.1:%(http)d;
        root %(www)s;
        add_header Cache-Control "no-store, private" always;
        # The cache scenarios' objects: a location-level add_header
        # replaces the server-level one, so these are cacheable.
        location /c/ {
            add_header Cache-Control "max-age=3600" always;
        }
    }
    server {
        listen 127.0.0.1:%(tls)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        root %(www)s;
        add_header Cache-Control "no-store, private" always;
    }
    # The SslBump origin: every host name of the bump scenarios resolves
    # to 127.0.0.1, so this one server answers whatever SNI it is sent.
    server {
        listen 127.0.0.1:%(btls)d ssl default_server;
        server_name _;
        ssl_certificate %(dir)s/origin-bump.pem;
        ssl_certificate_key %(dir)s/origin-bump.key;
        root %(www)s;
        add_header Cache-Control "no-store, private" always;
    }
}
""" % {"dir": self.dir, "www": self.www, "http": self.http_port,
       "tls": self.tls_port, "btls": self.bump_tls_port, "cert": cert,
       "key": key})
        self.nginx = subprocess.Popen(
            [NGINX, "-c", conf, "-p", self.dir, "-e",
             os.path.join(self.dir, "nginx.error.log")],
            stdin=subprocess.DEVNULL, start_new_session=True)
        bench_wait_port(self.http_port, self.nginx, "nginx")
        bench_wait_port(self.tls_port, self.nginx, "nginx (tls)")
        bench_wait_port(self.bump_tls_port, self.nginx, "nginx (bump tls)")

    def origin_stop(self):
        if self.nginx is not None:
            bench_stop(self.nginx, "nginx", signal.SIGQUIT)
            self.nginx = None

    def squid_conf_write(self):
        # The foundation scenarios: nothing is cached.
        self.conf = self.conf_write("squid.conf",
                                    "workers 1\ncache deny all\n")
        return self.conf

    def conf_write(self, name, lines, port_opts="", logdir=None,
                   port_line=None, access="http_access allow all\n"):
        """One file for both proxies: identical content, run one after the
        other on the same port, logs moved aside between the runs.  Two
        proxies running at once (a parent chain) each get a logdir of
        their own; port_line replaces the http_port line; access is the
        final http_access rules."""
        conf = os.path.join(self.dir, name)
        if port_line is None:
            port_line = "http_port 127.0.0.1:%d%s" % (
                self.proxy_port, " " + port_opts if port_opts else "")
        with open(conf, "w") as f:
            f.write("""\
%(port_line)s
%(lines)s%(access)saccess_log %(dir)s/access.log
cache_log %(dir)s/cache.log
pid_filename %(dir)s/proxy.pid
coredump_dir %(dir)s
cache_effective_user %(user)s
max_filedescriptors %(fds)d
shutdown_lifetime 1 seconds
client_idle_pconn_timeout 10 minutes
""" % {"port_line": port_line, "dir": logdir or self.dir,
       "user": self.user, "lines": lines, "access": access,
       "fds": resource.getrlimit(resource.RLIMIT_NOFILE)[0]})
        return conf
