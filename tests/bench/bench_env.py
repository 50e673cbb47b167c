"""The benchmark's temporary directory, its nginx origin (HTTP and HTTPS,
nothing cacheable except under /c/) and the squid.conf files that cuttle
and Squid both run unchanged, one after the other on the same port.
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
        self.nginx = None

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
}
""" % {"dir": self.dir, "www": self.www, "http": self.http_port,
       "tls": self.tls_port, "cert": cert, "key": key})
        self.nginx = subprocess.Popen(
            [NGINX, "-c", conf, "-p", self.dir, "-e",
             os.path.join(self.dir, "nginx.error.log")],
            stdin=subprocess.DEVNULL, start_new_session=True)
        bench_wait_port(self.http_port, self.nginx, "nginx")
        bench_wait_port(self.tls_port, self.nginx, "nginx (tls)")

    def origin_stop(self):
        if self.nginx is not None:
            bench_stop(self.nginx, "nginx", signal.SIGQUIT)
            self.nginx = None

    def squid_conf_write(self):
        # The foundation scenarios: nothing is cached.
        self.conf = self.conf_write("squid.conf",
                                    "workers 1\ncache deny all\n")
        return self.conf

    def conf_write(self, name, lines):
        """One file for both proxies: identical content, run one after the
        other on the same port, logs moved aside between the runs."""
        conf = os.path.join(self.dir, name)
        with open(conf, "w") as f:
            f.write("""\
http_port 127.0.0.1:%(port)d
%(lines)shttp_access allow all
access_log %(dir)s/access.log
cache_log %(dir)s/cache.log
pid_filename %(dir)s/proxy.pid
coredump_dir %(dir)s
cache_effective_user %(user)s
max_filedescriptors %(fds)d
shutdown_lifetime 1 seconds
client_idle_pconn_timeout 10 minutes
""" % {"port": self.proxy_port, "dir": self.dir, "user": self.user,
       "lines": lines,
       "fds": resource.getrlimit(resource.RLIMIT_NOFILE)[0]})
        return conf
