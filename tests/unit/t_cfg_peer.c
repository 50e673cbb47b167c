/*
 * Unit tests for the reverse-proxy and routing parts of the config: the
 * accel options of http_port, cache_peer, cache_peer_access, always_direct,
 * never_direct, prefer_direct and nonhierarchical_direct.  Each case loads
 * a small file through cfg_load() and checks the error count, the exact
 * messages with file:line (the log goes to a temp file) and the values.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "acl.h"
#include "cfg.h"
#include "log.h"
#include "tap.h"

static char tdir[64];
static char conf[128];
static char logpath[128];
static char logtext[65536];	/* what the last load logged */

/* Write text (with pid_filename none before it) to conf and load it. */
static int
load(struct cfg *cfg, const char *text)
{
	FILE *f = fopen(conf, "w");
	int fd, n;
	ssize_t len;

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(conf);
		exit(1);
	}
	if ((fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(logpath);
		exit(1);
	}
	log_set_fd(fd);
	n = cfg_load(cfg, conf, 0);
	log_set_fd(2);
	len = pread(fd, logtext, sizeof(logtext) - 1, 0);
	logtext[len > 0 ? len : 0] = '\0';
	close(fd);
	return n;
}

static int
load_free(const char *text)
{
	struct cfg cfg;
	int n = load(&cfg, text);

	cfg_free(&cfg);
	return n;
}

/* "LEVEL: conf:LINE: message" is in the log. */
static int
logged(const char *level, int line, const char *fmt, ...)
{
	char msg[1024], want[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(want, sizeof(want), "%s: %s:%d: %s", level, conf, line, msg);
	if (strstr(logtext, want) != NULL)
		return 1;
	printf("# wanted in log: %s\n# log was:\n%s", want, logtext);
	return 0;
}

static void
test_accel_options(void)
{
	struct cfg c;
	struct cfg_port *p;

	is_int(load(&c,
	    "http_port 3128\n"
	    "http_port 80 accel defaultsite=www.example.com vhost\n"
	    "http_port 81 accel defaultsite=www.example.com:8080 no-vhost "
	    "vport\n"
	    "http_port 82 accel vport=8080 allow-direct\n"
	    "http_port 83 vhost\n"
	    "http_port 84 accel vport=0\n"
	    "http_port 85 accel protocol=http act-as-origin ignore-cc\n"
	    "http_port 86 no-vhost act-as-origin ignore-cc\n"), 0,
	    "accel ports load");
	p = c.ports;
	is_int(p->accel, 0, "3128: no accel");
	is_str(p->defaultsite, NULL, "no defaultsite");
	is_int(p->vhost, 0, "no vhost");
	is_int(p->vport, -1, "vport absent: -1");
	is_int(p->allow_direct, 0, "no allow-direct");
	p = p->next;
	is_int(p->accel, 1, "accel");
	is_str(p->defaultsite, "www.example.com", "defaultsite=");
	is_int(p->vhost, 1, "vhost");
	is_int(p->vport, -1, "no vport");
	p = p->next;
	is_str(p->defaultsite, "www.example.com:8080", "defaultsite with port");
	is_int(p->vhost, 0, "no-vhost");
	is_int(p->vport, 0, "vport alone: the port the client reached");
	p = p->next;
	is_int(p->vhost, 1, "accel alone turns vhost on, as in Squid");
	is_int(p->vport, 8080, "vport=8080");
	is_int(p->allow_direct, 1, "allow-direct");
	p = p->next;
	is_int(p->accel, 1, "vhost without accel implies accel");
	is_int(p->vhost, 1, "and vhost");
	ok(logged("WARNING", 5, "http_port: vhost option is deprecated. Use "
	    "'accel' mode flag instead."), "vhost alone warns as Squid");
	p = p->next;
	is_int(p->vport, -1, "vport=0 is Squid's no vport");
	p = p->next;
	is_int(p->accel, 1, "port 85 accel");
	ok(logged("WARNING", 7, "http_port option 'protocol=http' is not "
	    "supported by cuttle yet; ignored"), "protocol= warns");
	ok(logged("WARNING", 7, "http_port option 'act-as-origin' is not "
	    "supported by cuttle yet; ignored"), "act-as-origin warns");
	ok(logged("WARNING", 7, "http_port option 'ignore-cc' is not "
	    "supported by cuttle yet; ignored"), "ignore-cc warns");
	p = p->next;
	is_int(p->accel, 0, "no-vhost and act-as-origin do not imply accel");
	ok(logged("WARNING", 8, "http_port: no-vhost option requires "
	    "Acceleration mode flag."), "no-vhost without accel");
	ok(logged("WARNING", 8, "http_port: act-as-origin option requires "
	    "Acceleration mode flag."), "act-as-origin without accel");
	ok(logged("WARNING", 8, "http_port option 'ignore-cc' is not "),
	    "ignore-cc without accel: accepted (HTTP violations build)");
	ok(strstr(logtext, "option 'accel'") == NULL, "accel never warns");
	cfg_free(&c);

	is_int(load(&c, "http_port localhost:3128 accel\n"), 0,
	    "a port named by host");
	is_str(c.ports->defaultsite, "localhost",
	    "the host name is the default site, as in Squid");
	cfg_free(&c);
	is_int(load(&c, "http_port localhost:3128 accel defaultsite=b\n"), 0,
	    "host name and defaultsite=");
	is_str(c.ports->defaultsite, "b", "defaultsite= wins");
	cfg_free(&c);
}

static void
test_accel_errors(void)
{
	/* as Squid, these options must follow accel on the line */
	static const char *const need[] = {
		"defaultsite=x", "vport", "vport=80", "protocol=HTTP",
		"allow-direct"
	};
	char text[256], name[32];

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		snprintf(text, sizeof(text), "http_port 3128\nhttp_port 80 %s "
		    "accel\n", need[i]);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(need[i], "="),
		    need[i]);
		is_int(load_free(text), 1, "%s before accel", need[i]);
		ok(logged("ERROR", 2, "http_port: %s option requires "
		    "Acceleration mode flag.", name), "%s message", need[i]);
	}
	is_int(load_free("http_port 80 accel vport=70000\n"), 1, "vport=70000");
	ok(logged("ERROR", 1, "http_port option 'vport=70000': The value "
	    "'70000' is larger than the type 'short'."), "vport=70000 message");
	is_int(load_free("http_port 80 accel vport=-1\n"), 1, "vport=-1");
	ok(logged("ERROR", 1, "http_port option 'vport=-1': The value '-1' "
	    "cannot be less than 0."), "vport=-1 message");
	is_int(load_free("http_port 80 accel vport=8o\n"), 1, "vport=8o");
	ok(logged("ERROR", 1, "http_port option 'vport=8o': Invalid value: "
	    "'8o' is supposed to be a number."), "vport=8o message");
	is_int(load_free("http_port 80 accel protocol=gopher\n"), 1,
	    "protocol=gopher");
	ok(logged("ERROR", 1, "http_port directive does not support "
	    "protocol=GOPHER"), "protocol message, upper case as Squid");
	is_int(load_free("http_port 80 accel intercept\n"), 1,
	    "accel and intercept");
}

static void
test_peer_defaults(void)
{
	struct cfg c;
	struct cfg_peer *p;

	is_int(load(&c, ""), 0, "empty config");
	ok(c.peers == NULL, "no peers");
	ok(c.always_direct.head == NULL, "always_direct none");
	ok(c.never_direct.head == NULL, "never_direct none");
	is_int(c.prefer_direct, 0, "prefer_direct off");
	is_int(c.nonhierarchical_direct, 1, "nonhierarchical_direct on");
	cfg_free(&c);

	is_int(load(&c, "cache_peer Proxy.Example parent 3128 0\n"), 0,
	    "a bare parent");
	is_str(logtext, "", "loads without a word");
	p = c.peers;
	is_str(p->host, "proxy.example", "host lowercased, as Squid");
	is_str(p->name, "Proxy.Example", "name: the host as written");
	is_int(p->type, CFG_PEER_PARENT, "parent");
	is_int(p->http_port, 3128, "HTTP port");
	is_int(p->icp_port, 0, "ICP port 0");
	ok(!p->originserver && !p->is_default && !p->no_query &&
	    !p->proxy_only && !p->no_delay, "no flags");
	is_str(p->forceddomain, NULL, "no forceddomain");
	is_int(p->weight, 1, "weight 1");
	is_int(p->select, 0, "no selection method");
	is_int(p->connect_timeout, -1, "connect-timeout: peer_connect_timeout");
	is_int(p->connect_fail_limit, 10, "connect-fail-limit 10");
	is_int(p->max_conn, 0, "max-conn: none");
	is_str(p->login, NULL, "no login");
	ok(p->access.head == NULL, "no cache_peer_access: allowed");
	is_str(p->file, conf, "file");
	is_int(p->line, 1, "line");
	ok(p->next == NULL, "one peer");
	cfg_free(&c);
}

static void
test_peer_options(void)
{
	struct cfg c;
	struct cfg_peer *p;

	is_int(load(&c,
	    "acl site dstdomain .example.com\n"
	    "cache_peer 192.0.2.1 parent 80 0 no-query originserver name=web "
	    "forceddomain=www.example.com\n"
	    "cache_peer proxy.example parent 3128 3130 default proxy-only "
	    "weight=5 connect-timeout=7 connect-fail-limit=3 no-delay\n"
	    "cache_peer p3 parent 8080 0 weight=0 connect-timeout=0 "
	    "connect-fail-limit=0 forceddomain=\n"
	    "cache_peer_access web allow site\n"
	    "cache_peer_access WEB deny all\n"
	    "always_direct allow site\n"
	    "never_direct allow all\n"
	    "prefer_direct on\n"
	    "nonhierarchical_direct off\n"), 0, "peers load");
	is_str(logtext, "", "all of them act: no warning");
	p = c.peers;
	is_str(p->name, "web", "name=");
	is_str(p->host, "192.0.2.1", "host");
	is_int(p->http_port, 80, "port 80");
	is_int(p->no_query, 1, "no-query");
	is_int(p->originserver, 1, "originserver");
	is_str(p->forceddomain, "www.example.com", "forceddomain=");
	ok(p->access.head != NULL && p->access.head->action == ACCESS_ALLOW &&
	    p->access.head->nrefs == 1, "cache_peer_access allow site");
	ok(p->access.head != NULL && p->access.head->next != NULL &&
	    p->access.head->next->action == ACCESS_DENY &&
	    p->access.head->next->next == NULL,
	    "names match without case, as Squid; rules in order");
	p = p->next;
	is_int(p->icp_port, 3130, "ICP port");
	is_int(p->is_default, 1, "default");
	is_int(p->proxy_only, 1, "proxy-only");
	is_int(p->no_delay, 1, "no-delay");
	is_int(p->weight, 5, "weight=5");
	is_int(p->connect_timeout, 7000, "connect-timeout=7: seconds");
	is_int(p->connect_fail_limit, 3, "connect-fail-limit=3");
	p = p->next;
	is_int(p->weight, 1, "weight=0 becomes 1");
	is_int(p->connect_timeout, -1, "connect-timeout=0: the default");
	is_int(p->connect_fail_limit, 10, "connect-fail-limit=0 becomes 10");
	is_str(p->forceddomain, NULL, "empty forceddomain= is none");
	ok(c.always_direct.head != NULL &&
	    c.always_direct.head->action == ACCESS_ALLOW, "always_direct");
	ok(c.never_direct.head != NULL &&
	    c.never_direct.head->action == ACCESS_ALLOW, "never_direct");
	is_int(c.prefer_direct, 1, "prefer_direct on");
	is_int(c.nonhierarchical_direct, 0, "nonhierarchical_direct off");
	cfg_free(&c);
}

/* Write a file under tdir (a certificate stand-in: only its presence counts). */
static const char *
tfile(const char *name)
{
	static char path[4][160];
	static int n;
	char *p = path[n++ % 4];
	FILE *f;

	snprintf(p, 160, "%s/%s", tdir, name);
	if ((f = fopen(p, "w")) == NULL || fputs("x\n", f) == EOF ||
	    fclose(f) != 0) {
		perror(p);
		exit(1);
	}
	return p;
}

static void
test_peer_tls(void)
{
	struct cfg c;
	char text[1024];
	const char *cert = tfile("c.pem"), *key = tfile("k.pem");
	const char *crl = tfile("crl.pem");

	is_int(load(&c, "cache_peer p parent 3128 0\n"), 0, "plain peer");
	is_int(c.peers->tls, 0, "no tls by default");
	is_str(c.peers->tls_opts.domain, "p", "domain defaults to the host");
	cfg_free(&c);

	snprintf(text, sizeof(text), "cache_peer P.example parent 443 0 tls "
	    "tls-cert=%s tls-key=%s tls-cafile=/etc/a.pem tls-cafile=/etc/b.pem "
	    "tls-capath=/etc/ssl/certs tls-crlfile=%s tls-domain=px.example "
	    "tls-flags=DONT_VERIFY_DOMAIN:VERIFY_CRL tls-min-version=1.2 "
	    "tls-options=NO_TICKET tls-cipher=HIGH tls-default-ca=off "
	    "tls-no-npn\n", cert, key, crl);
	is_int(load(&c, text), 0, "every tls- option loads");
	is_str(logtext, "", "tls- options: no warning");
	is_int(c.peers->tls, 1, "tls on");
	is_str(c.peers->tls_opts.cert, cert, "tls-cert=");
	is_str(c.peers->tls_opts.key, key, "tls-key=");
	ok(c.peers->tls_opts.cafiles != NULL && c.peers->tls_opts.cafiles->next
	    != NULL && strcmp(c.peers->tls_opts.cafiles->next->s, "/etc/b.pem")
	    == 0, "tls-cafile= adds up");
	is_str(c.peers->tls_opts.capath, "/etc/ssl/certs", "tls-capath=");
	is_str(c.peers->tls_opts.crlfile, crl, "tls-crlfile=");
	is_str(c.peers->tls_opts.domain, "px.example", "tls-domain=");
	is_int((int)c.peers->tls_opts.flags, CFG_TLS_DONT_VERIFY_DOMAIN |
	    CFG_TLS_VERIFY_CRL, "tls-flags=");
	is_int(c.peers->tls_opts.min_version, 2, "tls-min-version=1.2");
	ok(c.peers->tls_opts.options != 0, "tls-options=");
	is_str(c.peers->tls_opts.cipher, "HIGH", "tls-cipher=");
	is_int(c.peers->tls_opts.default_ca, 0, "tls-default-ca=off");
	is_str(c.peers->host, "p.example", "host lower-cased");
	cfg_free(&c);

	/* Squid's old spellings: ssl + the PeerOptions word */
	snprintf(text, sizeof(text), "cache_peer p parent 443 0 ssl "
	    "sslcert=%s sslkey=%s sslcafile=/etc/a.pem sslcapath=/etc/x "
	    "sslcrlfile=%s ssldomain=s.example sslflags=DONT_VERIFY_PEER "
	    "ssloptions=NO_TICKET sslcipher=HIGH\n", cert, key, crl);
	is_int(load(&c, text), 0, "ssl* aliases load");
	is_str(logtext, "", "ssl* aliases: no warning");
	is_int(c.peers->tls, 1, "ssl: tls on");
	is_str(c.peers->tls_opts.key, key, "sslkey=");
	is_str(c.peers->tls_opts.domain, "s.example", "ssldomain=");
	is_int((int)c.peers->tls_opts.flags, CFG_TLS_DONT_VERIFY_PEER,
	    "sslflags=");
	is_int(c.peers->tls_opts.default_ca, 1, "system CAs on by default");
	is_int(c.peers->tls_opts.min_version, -1, "no version floor");
	cfg_free(&c);

	/* as Squid: any TLS option alone turns TLS on; disable off */
	is_int(load(&c, "cache_peer p parent 443 0 tls-cafile=/etc/a.pem\n"),
	    0, "tls-cafile= alone");
	is_int(c.peers->tls, 1, "tls-cafile= alone turns tls on");
	cfg_free(&c);
	is_int(load(&c, "cache_peer p parent 443 0 tls tls-disable\n"), 0,
	    "tls-disable");
	is_int(c.peers->tls, 0, "tls-disable: off");
	cfg_free(&c);

	is_int(load(&c, "cache_peer p parent 443 0 ssl sslversion=6\n"), 0,
	    "sslversion=");
	ok(logged("WARNING", 1, "cache_peer p: UPGRADE WARNING: SSL version= "
	    "is deprecated. Use options= and tls-min-version= to limit "
	    "protocols instead."), "sslversion= warns as Squid");
	ok(c.peers->tls_opts.version_options ==
	    (SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
	    SSL_OP_NO_TLSv1_3), "sslversion=6: TLS 1.2 only");
	cfg_free(&c);

	is_int(load_free("cache_peer p parent 443 0 tls tls-bogus=1\n"), 1,
	    "unknown tls- word");
	ok(logged("ERROR", 1, "cache_peer p: Unknown TLS option 'bogus=1'"),
	    "unknown tls- word named");
	is_int(load_free("cache_peer p parent 443 0 tls tls-key=/k.pem\n"), 1,
	    "tls-key= before tls-cert=");
	ok(logged("ERROR", 1, "cache_peer p: cert= option must be set before "
	    "key= is used."), "key before cert: Squid's message");
	is_int(load_free("cache_peer p parent 443 0 tls "
	    "tls-cert=/nonexistent.pem\n"), 1, "missing tls-cert= file");
	ok(logged("ERROR", 1, "cache_peer p: unable to load certificate file "
	    "'/nonexistent.pem': No such file or directory"),
	    "missing certificate named");
	is_int(load_free("cache_peer p parent 443 0 tls "
	    "tls-flags=NO_SUCH_FLAG\n"), 1, "unknown tls-flags= word");
	is_int(load_free("cache_peer p parent 443 0 tls "
	    "tls-min-version=2.0\n"), 1, "bad tls-min-version=");
	is_int(load_free("cache_peer p parent 443 0 tls tls-default-ca=off "
	    "tls-default-ca=on\n"), 1, "default-ca conflict");
}

static void
test_peer_warnings(void)
{
	static const char *const later[] = {
		"ttl=5", "background-ping", "allow-miss", "closest-only",
		"multicast-responder", "htcp", "htcp=no-clr,forward-clr",
		"front-end-https=auto",
		"connection-auth=off", "auth-no-keytab", "digest-url=http://x/"
	};
	static const char *const selects[] = {
		"round-robin", "weighted-round-robin", "carp", "userhash",
		"sourcehash"
	};
	struct cfg c;
	char text[256];

	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		snprintf(text, sizeof(text), "cache_peer p parent 3128 0 %s\n",
		    later[i]);
		is_int(load_free(text), 0, "%s loads", later[i]);
		ok(logged("WARNING", 1, "cache_peer option '%s' is not "
		    "supported by cuttle yet; ignored", later[i]),
		    "%s warns", later[i]);
	}
	for (size_t i = 0; i < sizeof(selects) / sizeof(selects[0]); i++) {
		snprintf(text, sizeof(text), "cache_peer p parent 3128 0 %s\n",
		    selects[i]);
		is_int(load(&c, text), 0, "%s loads", selects[i]);
		is_int(c.peers->select, 1u << i, "%s flag", selects[i]);
		is_str(logtext, "", "%s: no warning", selects[i]);
		cfg_free(&c);
	}
	is_int(load(&c, "cache_peer p parent 3128 0 max-conn=4 basetime=10 "
	    "login=alice:s%40cret%%\n"), 0, "login= loads");
	is_int(c.peers->max_conn, 4, "max-conn= kept");
	is_int(c.peers->basetime, 10, "basetime= kept");
	is_str(c.peers->login, "alice:s@cret%", "login= unescaped, as Squid");
	is_str(logtext, "", "max-conn=, basetime=, login=: no warning");
	cfg_free(&c);
	is_int(load(&c, "cache_peer p parent 3128 0 standby=2 no-tproxy\n"),
	    0, "standby=, no-tproxy");
	is_int(c.peers->standby, 2, "standby= kept");
	is_int(c.peers->no_tproxy, 1, "no-tproxy kept");
	is_str(logtext, "", "standby=, no-tproxy: no warning");
	cfg_free(&c);
	is_int(load_free("cache_peer p parent 3128 0 "
	    "login=NEGOTIATE:HTTP/p.example\n"), 0, "login=NEGOTIATE");
	ok(logged("WARNING", 1, "cache_peer option 'login=NEGOTIATE' is not "
	    "supported by cuttle yet; no credentials are sent to the peer"),
	    "login=NEGOTIATE warns");

	is_int(load_free("cache_peer p parent 3128 0 no-digest "
	    "no-netdb-exchange\n"), 0, "what cuttle does anyway");
	is_str(logtext, "", "no-digest, no-netdb-exchange: silent");
	is_int(load(&c, "cache_peer p parent 3128 0 carp carp-key=host,path"
	    "\n"), 0, "carp-key=");
	is_int(c.peers->carp_key, CFG_PEER_CARP_HOST | CFG_PEER_CARP_PATH,
	    "carp-key= parts");
	is_str(logtext, "", "carp-key=: no warning");
	cfg_free(&c);
	is_int(load(&c, "cache_peer p parent 3128 0 carp "
	    "carp-key=scheme,port,params\n"), 0, "carp-key= others");
	is_int(c.peers->carp_key, CFG_PEER_CARP_SCHEME | CFG_PEER_CARP_PORT |
	    CFG_PEER_CARP_PARAMS, "carp-key= other parts");
	cfg_free(&c);
	is_int(load_free("cache_peer p parent 3128 0 bogus\n"), 0,
	    "an unknown option loads, as in Squid");
	ok(logged("WARNING", 1, "Ignoring unknown cache_peer option 'bogus'"),
	    "in Squid's words");

	is_int(load(&c, "cache_peer s1 sibling 3128 3130\n"
	    "cache_peer s2 neighbour 3128 3130\n"
	    "cache_peer 224.0.1.1 multicast 3128 3130 ttl=2\n"
	    "cache_peer_access s1 deny all\n"), 0, "siblings load");
	ok(logged("WARNING", 1, "cache_peer s1: sibling peers are not "
	    "supported by cuttle yet; ignored"), "sibling warns");
	ok(logged("WARNING", 2, "cache_peer s2: neighbour peers are not "
	    "supported"), "neighbour is a sibling");
	ok(logged("WARNING", 3, "cache_peer 224.0.1.1: multicast peers are "
	    "not supported"), "multicast warns");
	is_int(c.peers->type, CFG_PEER_SIBLING, "sibling kept in the list");
	is_int(c.peers->next->type, CFG_PEER_SIBLING, "neighbour");
	is_int(c.peers->next->next->type, CFG_PEER_MULTICAST, "multicast");
	ok(c.peers->access.head != NULL,
	    "so that its cache_peer_access finds it");
	cfg_free(&c);
}

static void
test_peer_errors(void)
{
	is_int(load_free("cache_peer a parent 3128 0\n"
	    "cache_peer b parent 3129 0 name=A\n"), 1, "duplicate name");
	ok(logged("ERROR", 2, "cache_peer A specified twice (first at %s:1)",
	    conf), "duplicate message, names compared without case");
	is_int(load_free("cache_peer a parent 3128 0\n"
	    "cache_peer a parent 3129 0 name=a2\n"), 0,
	    "same host, other name");
	is_int(load_free("cache_peer a foo 3128 0\n"), 1, "bad type");
	ok(logged("ERROR", 1, "Unknown neighbor type: foo"), "Squid's words");
	is_int(load_free("cache_peer a 3128 0\n"), 1, "missing type");
	ok(logged("ERROR", 1, "Unknown neighbor type: 3128"),
	    "the port read as a type, as Squid");
	is_int(load_free("cache_peer a parent 3128\n"), 1, "no ICP port");
	ok(logged("ERROR", 1, "'cache_peer': missing value"), "arity message");
	is_int(load_free("cache_peer a\n"), 1, "host alone");
	is_int(load_free("cache_peer a parent 0 0\n"), 1, "HTTP port 0");
	ok(logged("ERROR", 1, "cache_peer a: bad HTTP port '0'"),
	    "port 0 message");
	is_int(load_free("cache_peer a parent 70000 0\n"), 1, "port 70000");
	ok(logged("ERROR", 1, "cache_peer a: bad HTTP port '70000': The value "
	    "'70000' is larger than the type 'short'."), "port 70000 message");
	is_int(load_free("cache_peer a parent 3128 -1\n"), 1, "ICP port -1");
	ok(logged("ERROR", 1, "cache_peer a: bad ICP port '-1': The value "
	    "'-1' cannot be less than 0."), "ICP -1 message");
	is_int(load_free("cache_peer a parent http 0\n"), 1,
	    "service names are not looked up");
	is_int(load_free("cache_peer a parent 3128 0 weight=x\n"), 1,
	    "weight=x");
	ok(logged("ERROR", 1, "cache_peer option 'weight=x': No digits were "
	    "found in the input value 'x'."), "weight message");
	is_int(load_free("cache_peer a parent 3128 0 connect-timeout=5s\n"),
	    1, "connect-timeout takes no unit in Squid 5.7");
	ok(logged("ERROR", 1, "cache_peer option 'connect-timeout=5s': "
	    "Invalid value: '5s' is supposed to be a number."),
	    "connect-timeout message");
	is_int(load_free("cache_peer a parent 3128 0 max-conn=99999999999\n"),
	    1, "max-conn beyond int");
	ok(logged("ERROR", 1, "cache_peer option 'max-conn=99999999999': The "
	    "value '99999999999' is larger than the type 'int'."),
	    "int range message");
	is_int(load_free("cache_peer a parent 3128 0 name=\n"), 1,
	    "empty name=");
	ok(logged("ERROR", 1, "cache_peer option 'name=' needs a value"),
	    "empty name message");
	is_int(load_free("cache_peer a sibling 3128 0 carp\n"), 1,
	    "carp on a sibling");
	ok(logged("ERROR", 1, "parse_peer: non-parent carp peer a/3128"),
	    "Squid's words");
	is_int(load_free("cache_peer a parent 3128 0 carp-key=host carp\n"),
	    1, "carp-key before carp");
	ok(logged("ERROR", 1, "parse_peer: carp-key specified on non-carp peer "
	    "a/3128"), "carp-key message");
	is_int(load_free("cache_peer a parent 3128 0 carp carp-key=url\n"), 1,
	    "bad carp-key");
	ok(logged("ERROR", 1, "invalid carp-key 'url'"), "carp-key value");
	is_int(load_free("cache_peer a parent 3128 0 htcp=no-clr,only-clr\n"),
	    1, "htcp no-clr with only-clr");
	is_int(load_free("cache_peer a parent 3128 0 htcp=bogus\n"), 1,
	    "bad htcp mode");
	ok(logged("ERROR", 1, "invalid HTCP mode 'bogus'"), "htcp message");
	is_int(load_free("cache_peer a parent 3128 0 max-conn=2 standby=3\n"),
	    1, "standby above max-conn");
	ok(logged("ERROR", 1, "cache_peer a max-conn=2 is lower than its "
	    "standby=3"), "standby message");
	is_int(load_free("cache_peer_access web allow all\n"), 1,
	    "cache_peer_access before any cache_peer");
	ok(logged("ERROR", 1, "No cache_peer 'web'"), "Squid's words");
	is_int(load_free("cache_peer web parent 80 0\n"
	    "cache_peer_access web allow nosuchacl\n"), 1, "unknown acl");
	ok(logged("ERROR", 2, "ACL not found: nosuchacl"), "acl message");
	is_int(load_free("cache_peer web parent 80 0\n"
	    "cache_peer_access web\n"), 1, "no action");
	is_int(load_free("never_direct maybe all\n"), 1, "bad action");
	is_int(load_free("prefer_direct maybe\n"), 1, "prefer_direct bool");
	is_int(load_free("nonhierarchical_direct 1\n"), 1,
	    "nonhierarchical_direct bool");
	is_int(load_free("cache_peer_domain web .example.com\n"), 0,
	    "cache_peer_domain: obsolete, warned");
	ok(logged("WARNING", 1, "Directive 'cache_peer_domain' is obsolete."),
	    "obsolete message");
	/* one pass reports every error */
	is_int(load_free("cache_peer a foo 1 0\ncache_peer b parent 0 0\n"
	    "cache_peer_access c allow all\n"), 3, "three errors, one pass");
}

int
main(void)
{
	char cmd[128];

	log_init("t_cfg_peer", 0);
	snprintf(tdir, sizeof(tdir), "/tmp/t_cfg_peer.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf, sizeof(conf), "%s/t.conf", tdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tdir);
	test_accel_options();
	test_accel_errors();
	test_peer_defaults();
	test_peer_options();
	test_peer_warnings();
	test_peer_tls();
	test_peer_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tdir);
	return tap_done();
}
