/*
 * Unit tests for the directive table (cfg_table.c and cfg_set*.c) through
 * cfg_load(): Squid's defaults, the value each directive stores, http_port
 * and https_port with their options, access_log and logformat, access lists
 * and the directives that take ACLs, refresh_pattern, auth_param and
 * targeted_cache_control.  The grammar and the engine's messages are in
 * t_conf.c.
 */
#include "config.h"
#include "cfg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "logformat.h"
#include "tap.h"
#include "t_conf.h"
#include "testca.h"

static const char *
addr_str(const struct sockaddr_storage *ss)
{
	static char buf[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, sizeof(buf));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
		    sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "family %d", ss->ss_family);
	return buf;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);

	return s != NULL && a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
test_defaults(void)
{
	struct cfg c;

	is_int(load(&c, "empty.conf", "", 0), 0, "empty config loads");
	is_str(logtext, "", "and logs nothing");
	is_str(c.config_file, tpath("empty.conf"), "config_file");
	ok(c.ports == NULL, "no http_port by default");
	is_int(c.workers, 1, "workers 1");
	is_str(c.effective_user, "proxy", "cache_effective_user proxy");
	is_str(c.effective_group, NULL, "cache_effective_group unset");
	is_str(c.pid_filename, "/run/cuttle.pid", "pid_filename");
	is_str(c.coredump_dir, NULL, "coredump_dir: start directory");
	is_str(c.visible_hostname, NULL, "visible_hostname: detect");
	is_int(c.max_filedescriptors, 0, "max_filedescriptors");
	ok(ends_with(c.cache_log, "/log/cuttle/cache.log"), "cache_log %s",
	    c.cache_log);
	is_str(c.debug_options, "ALL,1", "debug_options");
	is_int(c.logfile_rotate, 0, "logfile_rotate 0 (Debian)");
	is_int(c.strip_query_terms, 1, "strip_query_terms on");
	is_int(c.log_mime_hdrs, 0, "log_mime_hdrs off");
	is_int(c.cuttle_ca_pages, 1, "cuttle_ca_pages on");
	is_int(c.via, 1, "via on");
	is_int(c.forwarded_for, CFG_FF_ON, "forwarded_for on");
	ok(c.follow_x_forwarded_for.head == NULL, "follow_x_forwarded_for none");
	is_int(c.acl_uses_indirect_client, 1, "acl_uses_indirect_client");
	is_int(c.log_uses_indirect_client, 1, "log_uses_indirect_client");
	is_int(c.request_header_max_size, 65536, "request_header_max_size");
	is_int(c.reply_header_max_size, 65536, "reply_header_max_size");
	is_int(c.request_body_max_size, 0, "request_body_max_size");
	ok(c.reply_body_max_size == NULL, "reply_body_max_size none");
	ok(c.range_offset_limit == NULL, "range_offset_limit: none (0)");
	is_int(c.read_ahead_gap, 16384, "read_ahead_gap 16 KB");
	is_int(c.negative_ttl, 0, "negative_ttl 0: errors not cached");
	is_int(c.connect_timeout, 60000, "connect_timeout 1 minute");
	is_int(c.peer_connect_timeout, 30000, "peer_connect_timeout");
	is_int(c.forward_timeout, 240000, "forward_timeout");
	is_int(c.read_timeout, 900000, "read_timeout");
	is_int(c.write_timeout, 900000, "write_timeout");
	is_int(c.request_timeout, 300000, "request_timeout");
	is_int(c.client_idle_pconn_timeout, 120000, "client_idle_pconn_timeout");
	is_int(c.client_lifetime, 86400000, "client_lifetime");
	is_int(c.pconn_timeout, 60000, "pconn_timeout");
	is_int(c.shutdown_lifetime, 30000, "shutdown_lifetime");
	is_int(c.dns_timeout, 30000, "dns_timeout");
	is_int(c.client_persistent_connections, 1, "client pconns");
	is_int(c.server_persistent_connections, 1, "server pconns");
	ok(c.dns_nameservers == NULL, "dns_nameservers: resolv.conf");
	is_str(c.hosts_file, "/etc/hosts", "hosts_file");
	is_int(c.positive_dns_ttl, 6 * 3600000LL, "positive_dns_ttl");
	is_int(c.negative_dns_ttl, 60000, "negative_dns_ttl");
	ok(c.tcp_outgoing_address == NULL, "tcp_outgoing_address none");
	ok(c.http_access.head == NULL, "no http_access rules");
	ok(c.http_reply_access.head == NULL, "no http_reply_access rules");
	is_str(c.error_directory, NULL, "error_directory: built in");
	ok(c.deny_info == NULL, "deny_info none");
	is_int(c.cache_mem, 256LL << 20, "cache_mem 256 MB");
	is_int(c.maximum_object_size_in_memory, 512 * 1024, "max in memory");
	is_int(c.maximum_object_size, 4LL << 20, "maximum_object_size");
	is_int(c.minimum_object_size, 0, "minimum_object_size");
	ok(c.refresh_patterns == NULL, "no refresh_pattern");
	ok(acl_find(&c.acls, "all") != NULL, "built-in ACLs exist");
	ok(c.access_logs != NULL && c.access_logs->next == NULL,
	    "one default access_log");
	if (c.access_logs != NULL) {
		ok(ends_with(c.access_logs->path, "/log/cuttle/access.log"),
		    "default access_log path %s", c.access_logs->path);
		is_str(c.access_logs->module, "stdio", "default module");
		ok(c.access_logs->format == logformat_builtin("squid"),
		    "default format squid");
		ok(c.access_logs->acls.head == NULL, "logs every request");
	}
	cfg_free(&c);
	ok(c.config_file == NULL && c.ports == NULL, "cfg_free zeroes");
}

static void
test_values(void)
{
	struct cfg c;

	is_int(load(&c, "v.conf",
	    "workers 4\n"
	    "cache_effective_user nobody\n"
	    "cache_effective_group nogroup\n"
	    "pid_filename none\n"
	    "coredump_dir /var/tmp\n"
	    "visible_hostname proxy.example.test\n"
	    "cache_log /tmp/c.log\n"
	    "debug_options ALL,1 33,2 rotate=3\n"
	    "logfile_rotate 3\n"
	    "strip_query_terms off\n"
	    "log_mime_hdrs on\n"
	    "via off\n"
	    "forwarded_for truncate\n"
	    "acl_uses_indirect_client off\n"
	    "log_uses_indirect_client off\n"
	    "request_header_max_size 32 KB\n"
	    "reply_header_max_size 1 MB\n"
	    "request_body_max_size 10 MB\n"
	    "connect_timeout 90 seconds\n"
	    "peer_connect_timeout 5 seconds\n"
	    "forward_timeout 1 minute\n"
	    "read_timeout 2 minutes\n"
	    "write_timeout 3 minutes\n"
	    "request_timeout 10 seconds\n"
	    "persistent_request_timeout 7 seconds\n"
	    "client_lifetime 2 hours\n"
	    "pconn_timeout 11 seconds\n"
	    "shutdown_lifetime 1 second\n"
	    "dns_timeout 3 seconds\n"
	    "client_persistent_connections off\n"
	    "server_persistent_connections off\n"
	    "dns_nameservers 127.0.0.1 ::1\n"
	    "dns_nameservers 10.0.0.1\n"
	    "hosts_file none\n"
	    "positive_dns_ttl 1 hour\n"
	    "negative_dns_ttl 5 seconds\n"
	    "error_directory /usr/share/cuttle/errors/de\n"
	    "max_filedescriptors 4096\n"
	    "cache_mem 64 MB\n"
	    "maximum_object_size_in_memory 1 MB\n"
	    "maximum_object_size 1.5 GB\n"
	    "minimum_object_size 1 KB\n"
	    "pinger_enable off\n", 0), 0, "values load");
	is_int(c.workers, 4, "workers");
	is_str(c.effective_user, "nobody", "user");
	is_str(c.effective_group, "nogroup", "group");
	is_str(c.pid_filename, NULL, "pid_filename none");
	is_str(c.coredump_dir, "/var/tmp", "coredump_dir");
	is_str(c.visible_hostname, "proxy.example.test", "visible_hostname");
	is_str(c.cache_log, "/tmp/c.log", "cache_log");
	is_str(c.debug_options, "ALL,1 33,2 rotate=3", "debug_options joined");
	is_int(c.logfile_rotate, 3, "logfile_rotate");
	is_int(c.strip_query_terms, 0, "strip_query_terms");
	is_int(c.log_mime_hdrs, 1, "log_mime_hdrs");
	is_int(c.via, 0, "via off");
	ok(logged("WARNING: %s:12: HTTP requires the use of Via", tpath("v.conf")),
	    "via off warns with file:line");
	is_int(c.forwarded_for, CFG_FF_TRUNCATE, "forwarded_for truncate");
	is_int(c.acl_uses_indirect_client, 0, "acl_uses_indirect_client");
	is_int(c.log_uses_indirect_client, 0, "log_uses_indirect_client");
	is_int(c.request_header_max_size, 32768, "request_header_max_size");
	is_int(c.reply_header_max_size, 1 << 20, "reply_header_max_size");
	is_int(c.request_body_max_size, 10 << 20, "request_body_max_size");
	is_int(c.connect_timeout, 90000, "connect_timeout");
	is_int(c.peer_connect_timeout, 5000, "peer_connect_timeout");
	is_int(c.forward_timeout, 60000, "forward_timeout");
	is_int(c.read_timeout, 120000, "read_timeout");
	is_int(c.write_timeout, 180000, "write_timeout");
	is_int(c.request_timeout, 10000, "request_timeout");
	is_int(c.client_idle_pconn_timeout, 7000,
	    "persistent_request_timeout is client_idle_pconn_timeout");
	is_int(c.client_lifetime, 7200000, "client_lifetime");
	is_int(c.pconn_timeout, 11000, "pconn_timeout");
	is_int(c.shutdown_lifetime, 1000, "shutdown_lifetime");
	is_int(c.dns_timeout, 3000, "dns_timeout");
	is_int(c.client_persistent_connections, 0, "client pconns off");
	is_int(c.server_persistent_connections, 0, "server pconns off");
	ok(c.dns_nameservers != NULL &&
	    strcmp(c.dns_nameservers->s, "127.0.0.1") == 0 &&
	    c.dns_nameservers->next != NULL &&
	    strcmp(c.dns_nameservers->next->s, "::1") == 0 &&
	    c.dns_nameservers->next->next != NULL &&
	    strcmp(c.dns_nameservers->next->next->s, "10.0.0.1") == 0 &&
	    c.dns_nameservers->next->next->next == NULL,
	    "dns_nameservers accumulate in order");
	is_str(c.hosts_file, NULL, "hosts_file none");
	is_int(c.positive_dns_ttl, 3600000, "positive_dns_ttl");
	is_int(c.negative_dns_ttl, 5000, "negative_dns_ttl");
	is_str(c.error_directory, "/usr/share/cuttle/errors/de",
	    "error_directory");
	is_int(c.max_filedescriptors, 4096, "max_filedescriptors");
	is_int(c.cache_mem, 64 << 20, "cache_mem");
	is_int(c.maximum_object_size_in_memory, 1 << 20, "in memory");
	is_int(c.maximum_object_size, 3LL << 29, "1.5 GB");
	is_int(c.minimum_object_size, 1024, "minimum_object_size");
	cfg_free(&c);

	is_int(load(&c, "v.conf", "cache_mem 1 MB\ncache_mem 2 MB\n"
	    "max_filedesc 100\nserver_idle_pconn_timeout 9 seconds\n"
	    "client_idle_pconn_timeout 8 seconds\n", 0), 0, "repeats");
	is_int(c.cache_mem, 2 << 20, "the last occurrence wins");
	is_int(c.max_filedescriptors, 100, "max_filedesc alias");
	is_int(c.pconn_timeout, 9000, "server_idle_pconn_timeout");
	is_int(c.client_idle_pconn_timeout, 8000, "client_idle_pconn_timeout");
	cfg_free(&c);

	static const struct {
		const char *word;
		enum cfg_forwarded_for v;
	} ff[] = {
		{ "on", CFG_FF_ON }, { "off", CFG_FF_OFF },
		{ "transparent", CFG_FF_TRANSPARENT },
		{ "delete", CFG_FF_DELETE }, { "truncate", CFG_FF_TRUNCATE },
	};
	for (size_t i = 0; i < sizeof(ff) / sizeof(ff[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), "forwarded_for %s\n", ff[i].word);
		is_int(load(&c, "ff.conf", text, 0), 0, "forwarded_for %s",
		    ff[i].word);
		is_int(c.forwarded_for, ff[i].v, "forwarded_for %s value",
		    ff[i].word);
		cfg_free(&c);
	}

	static const struct {
		const char *word;
		enum uri_ws v;
	} ws[] = {
		{ "strip", URI_WS_STRIP }, { "deny", URI_WS_DENY },
		{ "encode", URI_WS_ENCODE }, { "chop", URI_WS_CHOP },
		{ "allow", URI_WS_ENCODE },	/* with a warning */
	};
	is_int(load(&c, "ws.conf", "", 0), 0, "uri_whitespace default");
	is_int(c.uri_whitespace, URI_WS_STRIP, "uri_whitespace strip by default");
	cfg_free(&c);
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), "uri_whitespace %s\n", ws[i].word);
		is_int(load(&c, "ws.conf", text, 0), 0, "uri_whitespace %s",
		    ws[i].word);
		is_int(c.uri_whitespace, ws[i].v, "uri_whitespace %s value",
		    ws[i].word);
		cfg_free(&c);
	}
	ok(logged("%s:1: uri_whitespace allow would forward a request line",
	    tpath("ws.conf")), "uri_whitespace allow warns");
	is_int(load(&c, "dn.conf", "", 0), 0, "dns_defnames default");
	is_int(c.dns_defnames, 0, "dns_defnames off by default");
	is_int(c.half_closed_clients, 0, "half_closed_clients off by default");
	cfg_free(&c);
	is_int(load(&c, "dn.conf", "dns_defnames on\nhalf_closed_clients on\n",
	    0), 0, "dns_defnames on");
	is_int(c.dns_defnames, 1, "dns_defnames on value");
	is_int(c.half_closed_clients, 1, "half_closed_clients on value");
	cfg_free(&c);
	is_int(load_free("uri_whitespace keep\n"), 1, "bad uri_whitespace refused");
	ok(logged("Invalid uri_whitespace value 'keep'"), "bad uri_whitespace named");
}

static void
test_ports(void)
{
	struct cfg c;
	struct cfg_port *p;

	char text[2048];

	/* TLS ports read their files (t_conf_certs checks what they hold) */
	testca_init();
	{
		char *pem = testca_pem(testca, NULL), *key = testca_pem(NULL,
		    testca_key);

		write_file("ca.pem", pem);
		write_file("ca.key", key);
		free(pem);
		free(key);
	}
	snprintf(text, sizeof(text),
	    "http_port 3128\n"
	    "http_port 127.0.0.1:3129 name=local intercept\n"
	    "http_port [::1]:3130 tproxy\n"
	    "ascii_port 3131 accel defaultsite=x vhost\n"
	    "http_port 3132 ssl-bump tls-cert=%s tls-key=%s "
	    "generate-host-certificates=off dynamic_cert_mem_cache_size=8MB\n"
	    "https_port 3443 cert=%s key=%s\n"
	    "http_port 3133 transparent\n", tpath("ca.pem"), tpath("ca.key"),
	    tpath("ca.pem"), tpath("ca.key"));
	is_int(load(&c, "p.conf", text, 0), 0, "ports load");
	/* interception works (workers/intercept.c): not a word */
	ok(strstr(logtext, "p.conf:2:") == NULL, "intercept loads quietly");
	ok(strstr(logtext, "p.conf:3:") == NULL, "tproxy loads quietly");
	ok(strstr(logtext, "p.conf:4:") == NULL,
	    "accel and its options load without a word");
	ok(strstr(logtext, "p.conf:5:") == NULL,
	    "ssl-bump and its options load without a word");
	ok(strstr(logtext, "p.conf:6:") == NULL,
	    "https_port and its options load without a word");
	ok(logged("%s:7: http_port option 'transparent' is deprecated",
	    tpath("p.conf")), "transparent warns that it is deprecated");
	p = c.ports;
	ok(p != NULL, "first port");
	if (p == NULL)
		goto out;
	is_str(p->spec, "3128", "spec");
	is_str(p->name, "3128", "name defaults to spec");
	is_int(p->port, 3128, "port");
	is_int(p->addr.ss_family, AF_INET, "no address: IPv4 wildcard");
	is_str(addr_str(&p->addr), "0.0.0.0", "0.0.0.0");
	is_int(ntohs(((struct sockaddr_in *)&p->addr)->sin_port), 3128,
	    "port in sockaddr");
	is_int(p->addrlen, sizeof(struct sockaddr_in), "addrlen");
	ok(!p->intercept && !p->tproxy && !p->accel && !p->ssl_bump &&
	    !p->is_https, "plain forward port");
	is_str(p->file, tpath("p.conf"), "file");
	is_int(p->line, 1, "line");
	is_int(p->fd, -1, "not bound yet");
	p = p->next;
	is_str(addr_str(&p->addr), "127.0.0.1", "IPv4 address");
	is_int(p->port, 3129, "port 3129");
	is_str(p->name, "local", "name=");
	is_int(p->intercept, 1, "intercept");
	p = p->next;
	is_int(p->addr.ss_family, AF_INET6, "[::1] is IPv6");
	is_str(addr_str(&p->addr), "::1", "::1");
	is_int(ntohs(((struct sockaddr_in6 *)&p->addr)->sin6_port), 3130,
	    "IPv6 port");
	is_int(p->addrlen, sizeof(struct sockaddr_in6), "IPv6 addrlen");
	is_int(p->tproxy, 1, "tproxy");
	p = p->next;
	is_int(p->accel, 1, "accel via ascii_port alias");
	is_str(p->defaultsite, "x", "defaultsite=");
	is_int(p->vhost, 1, "vhost");
	p = p->next;
	is_int(p->ssl_bump, 1, "ssl-bump");
	is_str(p->tls_cert, tpath("ca.pem"), "tls-cert");
	is_str(p->tls_key, tpath("ca.key"), "tls-key");
	is_int(p->generate_host_certificates, 0, "generate off");
	is_int(p->dynamic_cert_mem_cache_size, 8 << 20, "8MB");
	p = p->next;
	is_int(p->is_https, 1, "https_port");
	is_str(p->tls_cert, tpath("ca.pem"), "cert=");
	is_str(p->tls_key, tpath("ca.key"), "key=");
	is_int(p->generate_host_certificates, 1, "generate default on");
	is_int(p->dynamic_cert_mem_cache_size, 4 << 20, "4MB default");
	p = p->next;
	is_int(p->intercept, 1, "transparent is intercept");
	ok(logged("option 'transparent' is deprecated"), "transparent warns");
	ok(p->next == NULL, "seven ports in file order");
out:
	cfg_free(&c);

	is_int(load_free("http_port 3128 foo=bar\n"), 1, "unknown option");
	ok(logged("Unknown http_port option 'foo=bar'."), "option message");
	is_int(load_free("http_port 0\n"), 1, "port 0");
	is_int(load_free("http_port 70000\n"), 1, "port 70000");
	is_int(load_free("http_port :3128\n"), 1, "empty address");
	is_int(load_free("http_port 3128 intercept tproxy\n"), 1,
	    "intercept and tproxy");
	is_int(load_free("https_port 3443\n"), 1, "https_port without cert");
	is_int(load_free("https_port 3443 tls-cert=/c ssl-bump\n"), 1,
	    "https_port ssl-bump without intercept");
	is_int(load_free("http_port 3128 ssl-bump\n"), 1,
	    "ssl-bump without a CA");
	is_int(load_free("http_port 3128 ssl-bump cert=/c "
	    "dynamic_cert_mem_cache_size=4XB\n"), 1, "bad glued size");
	is_int(load_free("https_port 3443 tls-cert=/nonexistent/ca.pem\n"), 1,
	    "missing certificate");
	ok(logged("unable to load certificate file '/nonexistent/ca.pem': No "
	    "such file or directory"), "missing certificate message");
	snprintf(text, sizeof(text), "http_port 3128 ssl-bump tls-cert=%s "
	    "tls-key=/nonexistent/ca.key\n", tpath("ca.pem"));
	is_int(load_free(text), 1, "missing key");
	ok(logged("unable to load private key file '/nonexistent/ca.key'"),
	    "missing key message");
	snprintf(text, sizeof(text), "https_port 3443 cert=%s\n", tdir);
	is_int(load_free(text), 1, "a directory is no certificate");
	X509_free(testca);
	X509_free(testca_origin);
	EVP_PKEY_free(testca_key);
	EVP_PKEY_free(testca_ec_key);
}

static void
test_logs(void)
{
	struct cfg c;
	struct cfg_access_log *al;

	is_int(load(&c, "l.conf",
	    "acl localnet src 10.0.0.0/8\n"
	    "logformat mine %ts.%03tu %>a \"%rm %ru\"  %>Hs\n"
	    "access_log stdio:/tmp/a.log\n"
	    "access_log daemon:/tmp/b.log common\n"
	    "access_log /tmp/c.log mine localnet !localhost\n"
	    "access_log none localnet\n"
	    "access_log /tmp/d.log logformat=combined\n"
	    "access_log udp://127.0.0.1:514 squid\n"
	    "cache_access_log /tmp/e.log\n", 0), 0, "access logs load");
	ok(c.logformats != NULL && strcmp(c.logformats->name, "mine") == 0 &&
	    c.logformats->next == NULL, "logformat defined");
	al = c.access_logs;
	is_str(al->module, "stdio", "stdio module");
	is_str(al->path, "/tmp/a.log", "path without module");
	ok(al->format == logformat_builtin("squid"), "format squid");
	al = al->next;
	is_str(al->module, "daemon", "daemon module");
	is_str(al->path, "/tmp/b.log", "daemon path");
	ok(al->format == logformat_builtin("common"), "common");
	al = al->next;
	is_str(al->module, "stdio", "plain path is stdio");
	is_str(al->path, "/tmp/c.log", "plain path");
	ok(c.logformats != NULL && al->format == c.logformats->format,
	    "custom format");
	ok(al->acls.head != NULL && al->acls.head->nrefs == 2 &&
	    al->acls.head->refs[1].negate == 1, "acls on access_log");
	al = al->next;
	is_str(al->path, NULL, "none: path NULL");
	ok(al->acls.head != NULL, "none with acls");
	al = al->next;
	ok(al->format == logformat_builtin("combined"), "logformat=");
	al = al->next;
	is_str(al->module, "udp", "udp module");
	is_str(al->path, "127.0.0.1:514", "udp target");
	al = al->next;
	is_str(al->path, "/tmp/e.log", "cache_access_log alias");
	ok(al->next == NULL, "no default added when access_log is set");
	cfg_free(&c);

	is_int(load(&c, "l.conf", "access_log none\n", 0), 0, "access_log none");
	ok(c.access_logs != NULL && c.access_logs->path == NULL &&
	    c.access_logs->next == NULL, "none is one entry with no path");
	cfg_free(&c);

	is_int(load_free("access_log /tmp/x.log logformat=nosuch\n"), 1,
	    "unknown logformat=");
	ok(logged("Unknown logformat 'nosuch'"), "logformat= message");
	is_int(load_free("access_log /tmp/x.log nosuch\n"), 1,
	    "unknown word after the path is an ACL");
	ok(logged("ACL not found: nosuch"), "as Squid says");
	is_int(load_free("logformat squid %ts\n"), 0,
	    "redefining a format warns only");
	ok(logged("logformat squid is already defined. Ignoring."), "message");
}

static void
test_access_lists(void)
{
	struct cfg c;
	struct cfg_refresh *r;

	is_int(load(&c, "a.conf",
	    "acl localnet src 10.0.0.0/8\n"
	    "acl big rep_mime_type -i ^video/\n"
	    "http_access allow localnet\n"
	    "http_access deny all\n"
	    "http_reply_access deny big\n"
	    "follow_x_forwarded_for allow localhost\n"
	    "reply_body_max_size 10 MB big !localnet\n"
	    "reply_body_max_size 20 KB\n"
	    "reply_body_max_size 30\n"
	    "range_offset_limit 0 localnet\n"
	    "range_offset_limit none big\n"
	    "range_offset_limit -1\n"
	    "range_offset_limit 64 KB !big\n"
	    "read_ahead_gap 1 MB\n"
	    "negative_ttl 5 minutes\n"
	    "tcp_outgoing_address 10.1.1.1 localnet\n"
	    "tcp_outgoing_address ::2\n"
	    "deny_info ERR_MY_PAGE localnet\n"
	    "deny_info http://example.test/ laterdefined\n"
	    "refresh_pattern ^ftp: 1440 20% 10080\n"
	    "refresh_pattern -i (/cgi-bin/|\\?) 0 0% 0\n"
	    "refresh_pattern . 1 50% 60 override-expire ignore-reload "
	    "max-stale=100 store-stale ignore-no-cache bogus-option\n"
	    "refresh_pattern ([ 1 2% 3\n", 0), 0, "access lists load");
	ok(c.http_access.head != NULL && c.http_access.head->action ==
	    ACCESS_ALLOW && c.http_access.head->next != NULL &&
	    c.http_access.head->next->action == ACCESS_DENY &&
	    c.http_access.head->next->next == NULL, "http_access rules");
	ok(c.http_access.head != NULL && c.http_access.head->line == 3 &&
	    strcmp(c.http_access.head->file, tpath("a.conf")) == 0,
	    "rules know file and line");
	ok(c.http_reply_access.head != NULL, "http_reply_access");
	ok(c.follow_x_forwarded_for.head != NULL, "follow_x_forwarded_for");
	ok(c.reply_body_max_size != NULL &&
	    c.reply_body_max_size->size == 10 << 20 &&
	    c.reply_body_max_size->rule.nrefs == 2 &&
	    c.reply_body_max_size->rule.refs[1].negate == 1 &&
	    c.reply_body_max_size->rule.refs[0].acl ==
	    acl_find(&c.acls, "big"), "reply_body_max_size with acls");
	ok(c.reply_body_max_size->next != NULL &&
	    c.reply_body_max_size->next->size == 20480 &&
	    c.reply_body_max_size->next->rule.nrefs == 0, "without acls");
	ok(c.reply_body_max_size->next->next != NULL &&
	    c.reply_body_max_size->next->next->size == 30, "unitless");
	ok(c.range_offset_limit != NULL && c.range_offset_limit->size == 0 &&
	    c.range_offset_limit->rule.nrefs == 1 &&
	    c.range_offset_limit->rule.refs[0].acl ==
	    acl_find(&c.acls, "localnet"), "range_offset_limit 0 takes no unit");
	ok(c.range_offset_limit != NULL && c.range_offset_limit->next != NULL &&
	    c.range_offset_limit->next->size == -1 &&
	    c.range_offset_limit->next->rule.nrefs == 1, "none with an acl");
	ok(c.range_offset_limit->next->next != NULL &&
	    c.range_offset_limit->next->next->size == -1 &&
	    c.range_offset_limit->next->next->rule.nrefs == 0, "-1 is none");
	ok(c.range_offset_limit->next->next->next != NULL &&
	    c.range_offset_limit->next->next->next->size == 65536 &&
	    c.range_offset_limit->next->next->next->rule.refs[0].negate == 1 &&
	    c.range_offset_limit->next->next->next->next == NULL,
	    "range_offset_limit lines kept in order");
	is_int(c.read_ahead_gap, 1 << 20, "read_ahead_gap 1 MB");
	is_int(c.negative_ttl, 300000, "negative_ttl 5 minutes");
	ok(c.tcp_outgoing_address != NULL &&
	    strcmp(addr_str(&c.tcp_outgoing_address->addr), "10.1.1.1") == 0 &&
	    c.tcp_outgoing_address->rule.nrefs == 1, "tcp_outgoing_address");
	ok(c.tcp_outgoing_address->next != NULL &&
	    c.tcp_outgoing_address->next->addr.ss_family == AF_INET6,
	    "IPv6 outgoing address");
	ok(c.deny_info != NULL && strcmp(c.deny_info->page, "ERR_MY_PAGE") == 0
	    && c.deny_info->nrefs == 1, "deny_info");
	ok(c.deny_info->next != NULL && c.deny_info->next->nrefs == 0,
	    "deny_info with an unknown ACL keeps the page");
	r = c.refresh_patterns;
	ok(r != NULL && strcmp(r->regex_src, "^ftp:") == 0 && r->min_s ==
	    1440 * 60 && r->pct == 20 && r->max_s == 10080 * 60 && !r->icase &&
	    r->flags == 0 && r->max_stale_s == -1, "refresh_pattern ^ftp:");
	ok(r != NULL && regexec(r->regex, "ftp://x/", 0, NULL, 0) == 0 &&
	    regexec(r->regex, "http://ftp:/", 0, NULL, 0) != 0,
	    "regex compiled");
	r = r ? r->next : NULL;
	ok(r != NULL && r->icase && r->pct == 0 &&
	    regexec(r->regex, "http://x/CGI-BIN/a", 0, NULL, 0) == 0,
	    "-i is REG_ICASE");
	r = r ? r->next : NULL;
	ok(r != NULL && r->min_s == 60 && r->pct == 50 && r->max_s == 3600 &&
	    r->flags == (CFG_REFRESH_OVERRIDE_EXPIRE |
	    CFG_REFRESH_IGNORE_RELOAD | CFG_REFRESH_STORE_STALE) &&
	    r->max_stale_s == 100, "refresh_pattern options");
	ok(r != NULL && r->next == NULL, "an invalid regex is skipped");
	ok(logged("UPGRADE: refresh_pattern option 'ignore-no-cache' is "
	    "obsolete. Remove it."), "obsolete option warns");
	ok(logged("Unknown option '.': bogus-option"), "unknown option warns");
	ok(logged("Invalid regular expression '(['"), "bad regex warns");
	cfg_free(&c);

	is_int(load_free("reply_body_max_size 10 nosuch\n"), 1,
	    "reply_body_max_size needs a unit before acls");
	is_int(load_free("reply_body_max_size 10 MB nosuch\n"), 1,
	    "reply_body_max_size unknown acl");
	is_int(load_free("tcp_outgoing_address host.example\n"), 1,
	    "tcp_outgoing_address needs an IP");
	is_int(load_free("refresh_pattern . 0 20% \n"), 1,
	    "refresh_pattern missing max");
	is_int(load_free("refresh_pattern . x 20% 1\n"), 1,
	    "refresh_pattern bad min");
	is_int(load_free("refresh_pattern . 1 x% 1\n"), 1,
	    "refresh_pattern bad percent");
	is_int(load_free("acl a src 10.0.0.0/8\nacl a dstdomain .x\n"), 1,
	    "acl redefined with another type");
}

static void
test_misc(void)
{
	struct cfg c;
	const char *f = tpath("stock.conf");

	unsetenv("CUTTLE_ERROR_DIRECTORY");
	ok(ends_with(cfg_default_error_directory(), "/errors/templates"),
	    "default error directory %s", cfg_default_error_directory());
	setenv("CUTTLE_ERROR_DIRECTORY", "/tmp/errs", 1);
	is_str(cfg_default_error_directory(), "/tmp/errs", "environment wins");
	unsetenv("CUTTLE_ERROR_DIRECTORY");

	/* Debian's stock config shape must load without errors */
	is_int(load(&c, "stock.conf",
	    "acl localnet src 0.0.0.1-0.255.255.255\t# RFC 1122\n"
	    "acl localnet src fc00::/7       \t# RFC 4193\n"
	    "acl SSL_ports port 443\n"
	    "acl Safe_ports port 80\t\t# http\n"
	    "acl Safe_ports port 1025-65535\t# unregistered ports\n"
	    "http_access deny !Safe_ports\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access allow localhost manager\n"
	    "http_access deny manager\n"
	    "logfile_rotate 0\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "http_port 3128\n"
	    "coredump_dir /var/spool/squid\n"
	    "refresh_pattern ^ftp:\t\t1440\t20%\t10080\n"
	    "refresh_pattern -i (/cgi-bin/|\\?) 0\t0%\t0\n"
	    "refresh_pattern .\t\t0\t20%\t4320\n", 0), 0, "stock shape");
	is_str(logtext, "", "and is silent");
	cfg_free(&c);
	(void)f;

	/* the table: every lookup finds its own row */
	is_int(load(&c, "m.conf", "pinger_enable on\nrequest_body_max_size 0 "
	    "KB\n", 0), 0, "pinger_enable accepted silently");
	is_str(logtext, "", "no warning for pinger_enable");
	cfg_free(&c);

	/* cuttle's own: Squid would refuse the line */
	is_int(load(&c, "m.conf", "cuttle_ca_pages off\n", 0), 0,
	    "cuttle_ca_pages off");
	is_int(c.cuttle_ca_pages, 0, "the CA pages turned off");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "", 0), 0, "learned splices: defaults");
	is_int(c.ssl_bump_learn_splice, 0, "ssl_bump_learn_splice off");
	ok(c.ssl_bump_learn_splice_file != NULL && strstr(
	    c.ssl_bump_learn_splice_file, "/lib/cuttle/learned_splice") != NULL,
	    "ssl_bump_learn_splice_file under the state directory");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "ssl_bump_learn_splice 1 day\n"
	    "ssl_bump_learn_splice_file /tmp/x/learned\n", 0), 0,
	    "ssl_bump_learn_splice 1 day");
	is_int(c.ssl_bump_learn_splice, 86400000, "... in ms");
	is_str(c.ssl_bump_learn_splice_file, "/tmp/x/learned", "... the file");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "ssl_bump_learn_splice 2 seconds\n"
	    "ssl_bump_learn_splice off\n", 0), 0, "ssl_bump_learn_splice off");
	is_int(c.ssl_bump_learn_splice, 0, "... turns it off again");
	cfg_free(&c);
	ok(load(&c, "m.conf", "ssl_bump_learn_splice 0\n", 0) != 0,
	    "ssl_bump_learn_splice 0 is refused (off says it)");
	ok(strstr(logtext, "m.conf:1:") != NULL &&
	    strstr(logtext, "at least 1 second") != NULL,
	    "... with file:line: %s", logtext);
	cfg_free(&c);
	ok(load(&c, "m.conf", "\nssl_bump_learn_splice often\n", 0) != 0,
	    "ssl_bump_learn_splice often is refused");
	ok(strstr(logtext, "m.conf:2:") != NULL, "... with file:line");
	cfg_free(&c);

	is_int(load(&c, "m.conf", "", 0), 0, "ssl_bump_cert_key: default");
	is_int(c.ssl_bump_cert_key_ca, 0, "... ecdsa");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "ssl_bump_cert_key ca\n", 0), 0,
	    "ssl_bump_cert_key ca");
	is_int(c.ssl_bump_cert_key_ca, 1, "... the CA's key");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "ssl_bump_cert_key ca\n"
	    "ssl_bump_cert_key ecdsa\n", 0), 0, "ssl_bump_cert_key ecdsa");
	is_int(c.ssl_bump_cert_key_ca, 0, "... the last line wins");
	cfg_free(&c);
	ok(load(&c, "m.conf", "\n\nssl_bump_cert_key rsa\n", 0) != 0,
	    "ssl_bump_cert_key rsa is refused");
	ok(strstr(logtext, "m.conf:3:") != NULL &&
	    strstr(logtext, "'rsa'") != NULL, "... with file:line and the word: %s",
	    logtext);
	cfg_free(&c);
}

/* c's auth_param schemes in challenge order are want's letters (b, d, n). */
static int
auth_order_is(const struct cfg *c, const char *want)
{
	static const char letter[CFG_AUTH_NSCHEMES] = { 'b', 'd', 'n' };

	if (c->auth_norder != (int)strlen(want))
		return 0;
	for (int i = 0; i < c->auth_norder; i++)
		if (letter[c->auth_order[i]] != want[i])
			return 0;
	return 1;
}

static void
test_auth_param(void)
{
	struct cfg c;

	is_int(load(&c, "auth.conf",
	    "auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/pw\n"
	    "auth_param basic children 5 startup=1 idle=1\n"
	    "auth_param basic realm \"My Realm\"  \n"
	    "auth_param basic credentialsttl 30 minutes\n"
	    "auth_param basic casesensitive on\n"
	    "auth_param basic utf8 on\n"
	    "auth_param basic key_extras \"%>a\"\n"
	    "auth_param negotiate program /usr/bin/negotiate_kerberos_auth\n"
	    "auth_param negotiate children 3\n"
	    "auth_param basic nosuch x\n"
	    "acl authenticated proxy_auth REQUIRED\n"
	    "acl admins proxy_auth -i alice bob\n"
	    "acl rx proxy_auth_regex ^a\n"
	    "http_access allow authenticated\n", 0), 0, "auth_param loads");
	ok(c.auth_basic.program != NULL &&
	    strcmp(c.auth_basic.program[0], "/usr/lib/squid/basic_ncsa_auth") ==
	    0 && strcmp(c.auth_basic.program[1], "/etc/pw") == 0 &&
	    c.auth_basic.program[2] == NULL, "program argv");
	is_int(c.auth_basic.children.n_max, 5, "children");
	is_int(c.auth_basic.children.n_startup, 1, "startup=");
	is_str(c.auth_basic.realm, "\"My Realm\"", "realm taken raw");
	ok(c.auth_basic.credentialsttl == 30 * 60 * 1000, "credentialsttl");
	is_int(c.auth_basic.casesensitive, 1, "casesensitive");
	is_int(c.auth_basic.utf8, 1, "utf8");
	ok(c.auth_basic.key_extras != NULL, "key_extras compiled");
	ok(c.auth_negotiate.program != NULL && strcmp(
	    c.auth_negotiate.program[0], "/usr/bin/negotiate_kerberos_auth")
	    == 0, "negotiate program");
	is_int(c.auth_negotiate.children.n_max, 3, "negotiate children");
	is_int(c.auth_negotiate.keep_alive, 1, "keep_alive on by default");
	ok(auth_order_is(&c, "bn"), "basic named first: offered first");
	is_int(count_lines("negotiate"), 0, "negotiate loads quietly");
	ok(logged("WARNING: %s:10: Unrecognised basic auth scheme parameter "
	    "'nosuch'", tpath("auth.conf")), "unknown parameter warns");
	cfg_free(&c);

	is_int(load(&c, "authd.conf",
	    "auth_param basic program /bin/true\n", 0), 0, "defaults");
	is_str(c.auth_basic.realm, "Squid proxy-caching web server",
	    "default realm");
	ok(c.auth_basic.credentialsttl == 2 * 3600 * 1000,
	    "default credentialsttl 2 hours");
	is_int(c.auth_basic.casesensitive, 0, "casesensitive off");
	is_int(c.auth_basic.children.n_max, 20, "20 children");
	is_int(c.auth_basic.children.n_startup, 0, "startup=0");
	ok(c.authenticate_ttl == 3600 * 1000, "authenticate_ttl 1 hour");
	ok(c.authenticate_gc_interval == 3600 * 1000,
	    "authenticate_cache_garbage_interval 1 hour");
	ok(c.authenticate_ip_ttl == 1000, "authenticate_ip_ttl 1 second");
	cfg_free(&c);

	is_int(load(&c, "authttl.conf",
	    "auth_param basic program /bin/true\n"
	    "authenticate_ttl 5 minutes\n"
	    "authenticate_cache_garbage_interval 30 seconds\n"
	    "authenticate_ip_ttl 2 hours\n"
	    "acl maxip max_user_ip -s 2\n"
	    "http_access deny maxip\n", 0), 0, "auth ttls load");
	ok(c.authenticate_ttl == 300 * 1000, "authenticate_ttl");
	ok(c.authenticate_gc_interval == 30 * 1000,
	    "authenticate_cache_garbage_interval");
	ok(c.authenticate_ip_ttl == 7200 * 1000, "authenticate_ip_ttl");
	is_int(count_lines("authenticate"), 0, "without a warning");
	is_int(count_lines("max_user_ip"), 0, "max_user_ip too");
	cfg_free(&c);

	is_int(load_free("acl a proxy_auth REQUIRED\n"), 1,
	    "proxy_auth without auth_param is an error");
	ok(logged("Can't use proxy auth because no authentication schemes are "
	    "fully configured."), "with Squid's message");
	is_int(load_free("auth_param negotiate program /bin/true\n"
	    "acl a proxy_auth REQUIRED\n"), 0,
	    "negotiate alone allows proxy_auth");
	is_int(load_free("auth_param ntlm program /bin/true\n"
	    "acl a proxy_auth REQUIRED\n"), 0,
	    "an ignored scheme still allows proxy_auth");
	is_int(load(&c, "nego.conf",
	    "auth_param negotiate keep_alive off\n"
	    "auth_param negotiate program /bin/true -s HTTP/x\n"
	    "auth_param negotiate nosuch 1\n"
	    "auth_param basic program /bin/true\n", 0), 0, "negotiate first");
	is_int(c.auth_negotiate.keep_alive, 0, "keep_alive off");
	ok(auth_order_is(&c, "nb"), "negotiate named first: offered first");
	is_int(c.auth_negotiate.children.n_max, 20, "negotiate: 20 children");
	ok(logged("WARNING: %s:3: Unrecognised Negotiate auth scheme "
	    "parameter 'nosuch'", tpath("nego.conf")), "unknown negotiate "
	    "parameter warns");
	cfg_free(&c);
	is_int(load_free("auth_param negotiate keep_alive maybe\n"), 1,
	    "bad keep_alive");
	is_int(load(&c, "digest.conf",
	    "auth_param digest program /usr/lib/squid/digest_file_auth /pw\n"
	    "auth_param digest realm My Realm\n"
	    "auth_param digest nonce_garbage_interval 1 minute\n"
	    "auth_param digest nonce_max_duration 10 minutes\n"
	    "auth_param digest nonce_max_count 7\n"
	    "auth_param digest nonce_strictness on\n"
	    "auth_param digest check_nonce_count off\n"
	    "auth_param digest post_workaround on\n"
	    "auth_param digest utf8 on\n"
	    "auth_param digest nosuch x\n"
	    "auth_param basic program /bin/true\n"
	    "acl a proxy_auth REQUIRED\n", 0), 0, "auth_param digest loads");
	ok(c.auth_digest.program != NULL && strcmp(c.auth_digest.program[1],
	    "/pw") == 0, "digest program argv");
	is_str(c.auth_digest.realm, "My Realm", "digest realm");
	ok(c.auth_digest.nonce_gc_interval == 60 * 1000, "gc interval");
	ok(c.auth_digest.nonce_max_duration == 600 * 1000, "max duration");
	is_int(c.auth_digest.nonce_max_count, 7, "max count");
	is_int(c.auth_digest.nonce_strictness, 1, "strictness");
	is_int(c.auth_digest.check_nonce_count, 0, "check_nonce_count");
	is_int(c.auth_digest.post_workaround, 1, "post_workaround");
	is_int(c.auth_digest.utf8, 1, "utf8");
	ok(auth_order_is(&c, "db"), "digest named first: offered first");
	ok(logged("WARNING: %s:10: Unrecognised digest auth scheme parameter "
	    "'nosuch'", tpath("digest.conf")), "unknown digest parameter warns");
	cfg_free(&c);
	is_int(load(&c, "digestd.conf", "auth_param basic program /bin/true\n"
	    "auth_param digest program /bin/true\n", 0), 0, "digest defaults");
	ok(c.auth_digest.nonce_gc_interval == 300 * 1000 &&
	    c.auth_digest.nonce_max_duration == 1800 * 1000 &&
	    c.auth_digest.nonce_max_count == 50 &&
	    c.auth_digest.check_nonce_count == 1 &&
	    c.auth_digest.nonce_strictness == 0, "Squid's nonce defaults");
	ok(c.auth_digest.realm == NULL, "no default realm");
	ok(auth_order_is(&c, "bd"), "basic named first: offered first");
	cfg_free(&c);
	is_int(load_free("auth_param digest nonce_max_count many\n"), 1,
	    "bad nonce_max_count");
	is_int(load_free("auth_param digest program /bin/true\n"
	    "acl a proxy_auth REQUIRED\n"), 1,
	    "digest without a realm is not fully configured (Squid)");
	is_int(load_free("auth_param digest program /bin/true\n"
	    "auth_param digest realm R\n"
	    "acl a proxy_auth REQUIRED\n"), 0, "with a realm it is");

	is_int(load(&c, "three.conf",
	    "auth_param negotiate keep_alive on\n"
	    "auth_param ntlm program /bin/true\n"
	    "auth_param basic program /bin/true\n"
	    "auth_param digest realm R\n"
	    "auth_param digest program /bin/true\n"
	    "auth_param negotiate program /bin/true\n"
	    "auth_param basic realm B\n", 0), 0, "three schemes load");
	ok(auth_order_is(&c, "nbd"), "ordered by each scheme's first line, "
	    "whatever its parameter (Squid's parse_authparam)");
	cfg_free(&c);

	is_int(load_free("auth_param foo program /bin/true\n"), 1,
	    "unknown scheme is an error");
	ok(logged("%s:1: Bungled auth_param foo: unknown authentication scheme "
	    "'foo'", tpath("t.conf")), "file:line message");
	is_int(load_free("auth_param basic\n"), 1, "missing parameter");
	is_int(load_free("auth_param basic credentialsttl soon\n"), 1,
	    "bad credentialsttl");
}

/* store_id_* and url_rewrite_* fill the same kind of record. */
static void
test_url_helpers(void)
{
	struct cfg c;

	is_int(load(&c, "sid.conf", "store_id_program /bin/cat -u\n", 0), 0,
	    "store_id_program loads");
	ok(c.store_id.program != NULL &&
	    strcmp(c.store_id.program[0], "/bin/cat") == 0 &&
	    strcmp(c.store_id.program[1], "-u") == 0 &&
	    c.store_id.program[2] == NULL, "program argv");
	is_int(c.store_id.children.n_max, 20, "default: 20 children");
	is_int(c.store_id.children.n_startup, 0, "startup=0");
	is_int(c.store_id.children.n_idle, 1, "idle=1");
	is_int(c.store_id.children.concurrency, 0, "concurrency=0");
	is_int(c.store_id.children.queue_size, -1, "queue-size unset");
	is_int(c.store_id.bypass, 1, "store_id_bypass on (Squid 5.7)");
	is_int(c.url_rewrite.bypass, 0, "url_rewrite_bypass off");
	ok(c.store_id.extras != NULL, "default store_id_extras compiled");
	ok(c.store_id.access.head == NULL, "no store_id_access");
	ok(c.url_rewrite.program == NULL, "no url_rewrite_program");
	cfg_free(&c);

	is_int(load(&c, "sid2.conf",
	    "acl pkgs dstdomain .debian.org\n"
	    "storeurl_rewrite_program /bin/true\n"
	    "storeurl_rewrite_children 5 startup=2 idle=2 concurrency=10 "
	    "queue-size=7\n"
	    "storeurl_rewrite_access allow pkgs\n"
	    "storeurl_rewrite_bypass off\n"
	    "store_id_extras \"%>a %>rm\"\n"
	    "redirector_access deny all\n"
	    "redirector_bypass on\n", 0), 0, "Squid's aliases load");
	ok(c.store_id.program != NULL &&
	    strcmp(c.store_id.program[0], "/bin/true") == 0, "alias program");
	is_int(c.store_id.children.n_max, 5, "alias children");
	is_int(c.store_id.children.n_startup, 2, "startup=");
	is_int(c.store_id.children.concurrency, 10, "concurrency=");
	is_int(c.store_id.children.queue_size, 7, "queue-size=");
	ok(c.store_id.access.head != NULL, "alias access");
	is_int(c.store_id.bypass, 0, "alias bypass");
	ok(c.store_id.extras != NULL, "extras compiled");
	ok(c.url_rewrite.access.head != NULL, "redirector_access");
	is_int(c.url_rewrite.bypass, 1, "redirector_bypass");
	is_int(count_lines("WARNING"), 0, "no warning");
	cfg_free(&c);

	is_int(load_free("store_id_children 0\n"), 1, "0 children refused");
	is_int(load_free("store_id_children 5 nosuch=1\n"), 1,
	    "unknown children option refused");
	is_int(load_free("store_id_extras \"%nosuchcode\"\n"), 1,
	    "bad extras format refused");
	is_int(load_free("store_id_bypass maybe\n"), 1, "bad boolean refused");
	is_int(load_free("store_id_access allow nosuchacl\n"), 1,
	    "undefined ACL refused");
}

/* url_rewrite_timeout as Squid's parse_UrlHelperTimeout reads it. */
static void
test_url_rewrite_timeout(void)
{
	struct cfg c;

	is_int(load(&c, "tmo.conf", "url_rewrite_program /bin/cat\n", 0), 0,
	    "no url_rewrite_timeout");
	ok(c.url_rewrite.timeout_ms == 0, "default: wait for ever");
	is_int(c.url_rewrite.on_timeout, CFG_ON_TIMEOUT_BYPASS,
	    "default action bypass");
	cfg_free(&c);

	is_int(load(&c, "tmo1.conf",
	    "url_rewrite_program /bin/cat\n"
	    "url_rewrite_children 5 concurrency=2\n"
	    "url_rewrite_timeout 1500 milliseconds on_timeout=USE_CONFIGURED_"
	    "RESPONSE response=\"OK  rewrite-url=http://x.test/ a=b\"\n", 0),
	    0, "use_configured_response with a quoted response");
	ok(c.url_rewrite.timeout_ms == 1500, "1500 ms");
	is_int(c.url_rewrite.on_timeout,
	    CFG_ON_TIMEOUT_USE_CONFIGURED_RESPONSE, "action, any case");
	ok(c.url_rewrite.timeout_response != NULL &&
	    strcmp(c.url_rewrite.timeout_response,
	    "OK rewrite-url=http://x.test/ a=b") == 0,
	    "response unquoted, its words joined");
	ok(c.store_id.timeout_ms == 0, "store_id does not share it");
	is_int(count_lines("WARNING"), 0, "no warning");
	cfg_free(&c);

	is_int(load(&c, "tmo2.conf",
	    "url_rewrite_program /bin/cat\n"
	    "url_rewrite_children 5 concurrency=2\n"
	    "url_rewrite_timeout 3 on_timeout=retry\n", 0), 0,
	    "a unitless time loads");
	ok(c.url_rewrite.timeout_ms == 3000, "seconds");
	ok(logged("%s:3: url_rewrite_timeout: missing time unit, using "
	    "deprecated default 'second'", tpath("tmo2.conf")),
	    "with Squid's warning");
	cfg_free(&c);

	is_int(load(&c, "tmo3.conf",
	    "url_rewrite_program /bin/cat\n"
	    "url_rewrite_timeout 3 seconds\n", 0), 0,
	    "a timeout without concurrency loads");
	ok(logged("url_rewrite_timeout has no effect without "
	    "url_rewrite_children concurrency=1 or more"),
	    "warned: Squid never times it out");
	cfg_free(&c);

	is_int(load_free("url_rewrite_timeout 2 seconds on_timeout=x\n"), 1,
	    "unknown action refused");
	is_int(load_free("url_rewrite_timeout 2 seconds response=OK\n"), 1,
	    "response= without use_configured_response refused");
	is_int(load_free("url_rewrite_timeout 2 seconds "
	    "on_timeout=use_configured_response\n"), 1,
	    "use_configured_response without response= refused");
	is_int(load_free("url_rewrite_timeout soon\n"), 1, "bad time refused");
}

static void
test_targeted_cache_control(void)
{
	struct cfg c;
	struct cfg_port fwd, accel;

	memset(&fwd, 0, sizeof(fwd));
	memset(&accel, 0, sizeof(accel));
	accel.accel = 1;
	is_int(load(&c, "t.conf", "", 0), 0, "targeted default loads");
	ok(cfg_targeted_fields(&c, &fwd) == NULL,
	    "targeted fields ignored on a forward port by default");
	ok(cfg_targeted_fields(&c, &accel) != NULL &&
	    strcmp(cfg_targeted_fields(&c, &accel)->s, "CDN-Cache-Control") == 0 &&
	    cfg_targeted_fields(&c, &accel)->next == NULL,
	    "CDN-Cache-Control honoured on an accel port by default");
	cfg_free(&c);

	is_int(load(&c, "t.conf", "targeted_cache_control on\n", 0), 0,
	    "targeted_cache_control on");
	ok(cfg_targeted_fields(&c, &fwd) != NULL &&
	    strcmp(cfg_targeted_fields(&c, &fwd)->s, "CDN-Cache-Control") == 0,
	    "on: CDN-Cache-Control on a forward port");
	cfg_free(&c);

	is_int(load(&c, "t.conf",
	    "targeted_cache_control on Acme-Cache-Control CDN-Cache-Control\n",
	    0), 0, "targeted_cache_control with a target list");
	ok(cfg_targeted_fields(&c, &fwd) != NULL &&
	    strcmp(cfg_targeted_fields(&c, &fwd)->s, "Acme-Cache-Control") == 0 &&
	    cfg_targeted_fields(&c, &fwd)->next != NULL &&
	    strcmp(cfg_targeted_fields(&c, &fwd)->next->s,
	    "CDN-Cache-Control") == 0, "the list keeps its order");
	cfg_free(&c);

	is_int(load(&c, "t.conf", "targeted_cache_control off\n", 0), 0,
	    "targeted_cache_control off");
	ok(cfg_targeted_fields(&c, &accel) == NULL, "off: not even on accel");
	cfg_free(&c);

	is_int(load_free("targeted_cache_control maybe\n"), 1,
	    "targeted_cache_control needs accel, on or off");
	is_int(load_free("targeted_cache_control on Cache-Control\n"), 1,
	    "Cache-Control is no targeted field");
	is_int(load_free("targeted_cache_control on Bad,Name\n"), 1,
	    "a field name is a token");
}

/* note KEY VALUE [acl...]: kept in order; Squid's reserved keys refused */
static void
test_notes(void)
{
	struct cfg c;

	is_int(load(&c, "n.conf", "acl gold src 10.0.0.0/8\n"
	    "note site hq gold\n"
	    "note site branch\n", 0), 0, "note lines load");
	ok(c.notes != NULL && strcmp(c.notes->key, "site") == 0 &&
	    strcmp(c.notes->value, "hq") == 0 && c.notes->rule.nrefs == 1,
	    "first note: key, value, one ACL");
	ok(c.notes != NULL && c.notes->next != NULL &&
	    strcmp(c.notes->next->value, "branch") == 0 &&
	    c.notes->next->rule.nrefs == 0, "second note: no ACL");
	cfg_free(&c);
	is_int(load_free("note tag x\n"), 1, "reserved key refused");
	ok(logged("t.conf:1: cannot use a reserved note name: tag"),
	    "names file, line and key");
	is_int(load_free("note k \"a b\"\n"), 1, "quoted value refused");
	ok(logged("quoted values (logformat %%codes) are not supported"),
	    "says why");
	is_int(load_free("note k v nosuchacl\n"), 1, "unknown ACL refused");
	is_int(load_free("note k\n"), 1, "a value is required");
}

/* forward_max_tries, connect_retries (capped at 10 as Squid 5.7 does) and
 * httpd_suppress_version_string */
static void
test_forwarding_limits(void)
{
	struct cfg c;

	is_int(load(&c, "f.conf", "\n", 0), 0, "defaults load");
	is_int(c.forward_max_tries, 25, "forward_max_tries defaults to 25");
	is_int(c.connect_retries, 0, "connect_retries defaults to 0");
	is_int(c.httpd_suppress_version_string, 0,
	    "httpd_suppress_version_string defaults to off");
	is_str(c.cache_mgr, "webmaster", "cache_mgr defaults to webmaster");
	cfg_free(&c);
	is_int(load(&c, "f.conf", "forward_max_tries 3\nconnect_retries 4\n"
	    "httpd_suppress_version_string on\n", 0), 0, "values load");
	is_int(c.forward_max_tries, 3, "forward_max_tries");
	is_int(c.connect_retries, 4, "connect_retries");
	is_int(c.httpd_suppress_version_string, 1,
	    "httpd_suppress_version_string on");
	cfg_free(&c);
	is_int(load(&c, "f.conf", "connect_retries 11\n", 0), 0,
	    "connect_retries 11 loads");
	is_int(c.connect_retries, 10, "is capped at 10");
	ok(logged("WARNING: %s:1: connect_retries cannot be larger than 10. "
	    "Resetting to 10.", tpath("f.conf")), "with Squid's warning");
	cfg_free(&c);
	is_int(load_free("forward_max_tries many\n"), 1,
	    "forward_max_tries needs a number");
}

/* client_ip_max_connections: Squid's TYPE int, default -1; client_db */
static void
test_client_ip_max_connections(void)
{
	struct cfg c;

	is_int(load(&c, "m.conf", "\n", 0), 0, "defaults load");
	is_int(c.client_ip_max_connections, -1,
	    "client_ip_max_connections defaults to -1 (no limit)");
	is_int(c.client_db, 1, "client_db defaults to on");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "client_ip_max_connections 2\n"
	    "client_db off\n", 0), 0, "values load");
	is_int(c.client_ip_max_connections, 2, "client_ip_max_connections 2");
	is_int(c.client_db, 0, "client_db off");
	is_int(count_lines("WARNING"), 0, "silently");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "client_ip_max_connections 0x10\n"
	    "client_db on\n", 0), 0, "hex, and client_db on load");
	is_int(c.client_ip_max_connections, 16, "0x10 is 16 (GetInteger)");
	ok(logged("%s:2: client_db on: cuttle keeps no per-client statistics",
	    tpath("m.conf")), "client_db on says what cuttle lacks");
	cfg_free(&c);
	is_int(load_free("client_ip_max_connections many\n"), 1,
	    "client_ip_max_connections needs a number");
	ok(logged("t.conf:1: No digits were found in the input value 'many'"),
	    "with file:line and the value");
	is_int(load_free("client_ip_max_connections 2x\n"), 1,
	    "trailing junk refused");
	is_int(load_free("client_ip_max_connections\n"), 1,
	    "a value is required");
	is_int(load_free("client_db maybe\n"), 1, "client_db needs on|off");
}

/* umask: Squid's TYPE int, read with 0 and 0x prefixes (GetInteger) */
static void
test_umask(void)
{
	struct cfg c;

	is_int(load(&c, "f.conf", "\n", 0), 0, "defaults load");
	is_int(c.umask, 027, "umask defaults to 027");
	cfg_free(&c);
	is_int(load(&c, "f.conf", "umask 077\n", 0), 0, "umask 077 loads");
	is_int(c.umask, 077, "077 is octal");
	cfg_free(&c);
	is_int(load(&c, "f.conf", "umask 0x12\n", 0), 0, "umask 0x12 loads");
	is_int(c.umask, 022, "0x12 is hex");
	cfg_free(&c);
	is_int(load(&c, "f.conf", "umask 18\n", 0), 0, "umask 18 loads");
	is_int(c.umask, 022, "18 is decimal");
	cfg_free(&c);
	is_int(load_free("umask 089\n"), 1, "089 is no octal number");
}

/* pconn_lifetime: a time, 0 (off) by default */
static void
test_pconn_lifetime(void)
{
	struct cfg c;

	is_int(load(&c, "f.conf", "\n", 0), 0, "defaults load");
	is_int((int)c.pconn_lifetime, 0, "pconn_lifetime defaults to 0");
	cfg_free(&c);
	is_int(load(&c, "f.conf", "pconn_lifetime 2 minutes\n", 0), 0,
	    "pconn_lifetime 2 minutes loads");
	is_int((int)c.pconn_lifetime, 120000, "in ms");
	cfg_free(&c);
	is_int(load_free("pconn_lifetime soon\n"), 1,
	    "pconn_lifetime needs a time");
}

/* cachemgr_passwd: file order, "all", a repeated action reported */
static void
test_cachemgr_passwd(void)
{
	struct cfg c;

	is_int(load(&c, "m.conf", "cachemgr_passwd none menu\n"
	    "cachemgr_passwd s3 redirector menu\n"
	    "cachemgr_passwd disable all\n", 0), 0, "cachemgr_passwd loads");
	is_str(cfg_mgr_passwd_of(&c, "menu"), "none", "first line decides");
	is_str(cfg_mgr_passwd_of(&c, "redirector"), "s3", "a secret");
	is_str(cfg_mgr_passwd_of(&c, "store_id"), "disable", "all covers it");
	ok(logged("WARNING: %s:2: action 'menu' already has a password",
	    tpath("m.conf")), "a repeated action is reported");
	cfg_free(&c);
	is_int(load(&c, "m.conf", "cachemgr_passwd s3 info\n", 0), 0,
	    "another line");
	is_str(cfg_mgr_passwd_of(&c, "menu"), NULL, "unnamed: no word");
	cfg_free(&c);
	is_int(load_free("cachemgr_passwd\n"), 1, "a password is required");
}

/* cpu_affinity_map: lines merged, Squid's checks, the last core wins */
static void
test_cpu_affinity_map(void)
{
	struct cfg c;
	int conflict;

	is_int(load(&c, "a.conf", "cpu_affinity_map process_numbers=1,2 "
	    "cores=2,1\ncpu_affinity_map process_numbers=2 cores=3\n", 0), 0,
	    "two lines load");
	is_int(c.cpu_affinity_map.n, 3, "merged");
	is_int(cfg_cpu_affinity_core(&c, 1, &conflict), 2, "kid1 on core 2");
	is_int(conflict, 0, "no conflict for kid1");
	is_int(cfg_cpu_affinity_core(&c, 2, &conflict), 3, "the last core wins");
	is_int(conflict, 1, "and the conflict is seen");
	is_int(cfg_cpu_affinity_core(&c, 3, &conflict), 0, "kid3: none");
	cfg_free(&c);
	is_int(load_free("cpu_affinity_map process_numbers=1,2 cores=1\n"), 1,
	    "lists of different lengths");
	ok(logged("bad 'cpu_affinity_map'; process_numbers and cores lists "
	    "differ in length or contain numbers <= 0"), "Squid's message");
	is_int(load_free("cpu_affinity_map process_numbers=0 cores=1\n"), 1,
	    "process 0");
	is_int(load_free("cpu_affinity_map cores=1 process_numbers=1\n"), 1,
	    "order matters");
	ok(logged("t.conf:1: bad 'process_numbers' parameter in "
	    "'cpu_affinity_map'"), "with file:line");
	is_int(load_free("cpu_affinity_map process_numbers=1 cores=1,\n"), 1,
	    "a trailing comma");
	is_int(load_free("cpu_affinity_map\n"), 1, "no lists");
}

/* miss_access, send_hit, store_miss, reload_into_ims, refresh_all_ims */
static void
test_cache_policy(void)
{
	struct cfg c;

	is_int(load(&c, "cp.conf", "", 0), 0, "empty config");
	ok(c.miss_access.head == NULL && c.send_hit.head == NULL &&
	    c.store_miss.head == NULL, "no policy lists by default");
	is_int(c.reload_into_ims, 0, "reload_into_ims off");
	is_int(c.refresh_all_ims, 0, "refresh_all_ims off");
	cfg_free(&c);

	is_int(load(&c, "cp.conf",
	    "acl localnet src 10.0.0.0/8\n"
	    "acl ordinary http_status 200-299\n"
	    "miss_access deny !localnet\n"
	    "miss_access allow all\n"
	    "send_hit deny !ordinary\n"
	    "store_miss deny !ordinary\n"
	    "reload_into_ims on\n"
	    "refresh_all_ims on\n", 0), 0, "policy lists load");
	ok(c.miss_access.head != NULL && c.miss_access.head->action ==
	    ACCESS_DENY && c.miss_access.head->next != NULL &&
	    c.miss_access.head->next->action == ACCESS_ALLOW, "miss_access");
	ok(c.send_hit.head != NULL && c.send_hit.head->line == 5, "send_hit");
	ok(c.store_miss.head != NULL && c.store_miss.head->line == 6,
	    "store_miss");
	is_int(c.reload_into_ims, 1, "reload_into_ims on");
	is_int(c.refresh_all_ims, 1, "refresh_all_ims on");
	is_int(count_lines("not supported"), 0, "none of them warned unsupported");
	cfg_free(&c);

	is_int(load_free("store_miss deny nosuch\n"), 1, "unknown ACL");
	ok(logged("ACL not found: nosuch"), "unknown ACL message");
	is_int(load_free("refresh_all_ims maybe\n"), 1, "bad boolean");
}

/* Unsupported directives: silent where cuttle already does what is asked. */
static void
test_unsupported_values(void)
{
	struct cfg c;

	is_int(load(&c, "us.conf", "icp_port 0\n"
	    "htcp_port 0\n"
	    "snmp_port 0\n"
	    "icp_access deny all\n"
	    "cache_store_log none\n"
	    "memory_pools off\n"
	    "client_db off\n"
	    "log_icp_queries off\n"
	    "icp_hit_stale on\n"
	    "offline_mode OFF\n", 0), 0, "values cuttle behaves as load");
	is_int(count_lines("WARNING"), 0, "and are taken silently");
	cfg_free(&c);
	is_int(load(&c, "us.conf", "icp_port 3130\n"
	    "icp_access allow all\n"
	    "client_delay_pools 1\n", 0), 0, "other values load");
	ok(logged("%s:1: directive 'icp_port' is not supported by cuttle yet; "
	    "ignored (cuttle behaves as 'icp_port 0')", tpath("us.conf")),
	    "a port cuttle does not open names the value it behaves as");
	ok(logged("%s:2: directive 'icp_access' is not supported by cuttle yet; "
	    "ignored (cuttle behaves as 'icp_access deny all')",
	    tpath("us.conf")), "an access list too");
	ok(logged("%s:3: directive 'client_delay_pools' is not supported by cuttle "
	    "yet; ignored\n", tpath("us.conf")), "no such value: a plain warning");
	cfg_free(&c);
}

/* delay_pools: classes, rates, the lines Squid ignores (errors here) */
static void
test_delay_pools(void)
{
	struct cfg c;

	is_int(load(&c, "d.conf", "\n", 0), 0, "defaults load");
	is_int(c.delay_npools, 0, "delay_pools defaults to 0");
	is_int(c.delay_initial_level, 50,
	    "delay_initial_bucket_level defaults to 50");
	cfg_free(&c);
	is_int(load(&c, "d.conf", "delay_pools 2\n"
	    "delay_class 1 3\n"
	    "delay_parameters 1 none 1000/2000 -1/-1\n"
	    "delay_access 1 allow all\n"
	    "delay_class 2 4\n"
	    "delay_parameters 2 1/1 1/1 1/1 1/1\n", 0), 0, "pools load");
	is_int(c.delay_pools[0].dclass, 3, "class 3");
	ok(c.delay_pools[0].spec[0].restore == -1, "none: no limit");
	ok(c.delay_pools[0].spec[1].restore == 1000 &&
	    c.delay_pools[0].spec[1].max == 2000, "network rate");
	ok(c.delay_pools[0].spec[2].restore == -1, "-1/-1: no limit");
	ok(c.delay_pools[0].access.head != NULL, "delay_access kept");
	ok(c.delay_pools[1].dclass < 0, "class 4 is not in effect");
	ok(logged("%s:5: delay_class 4 is not supported by cuttle yet; "
	    "pool 2 limits nothing", tpath("d.conf")), "and is warned about");
	cfg_free(&c);
	is_int(load_free("delay_pools 1\ndelay_parameters 1 1/1\n"), 1,
	    "rates before the class are an error");
	is_int(load_free("delay_pools 1\ndelay_access 2 allow all\n"), 1,
	    "a pool out of range is an error");
	is_int(load_free("delay_pools 1\ndelay_class 1 6\n"), 1,
	    "class 6 is an error");
	is_int(load_free("delay_pools 1\ndelay_class 1 2\n"
	    "delay_parameters 1 1/1\n"), 1, "class 2 needs two rates");
	is_int(load_free("delay_pools 1\ndelay_class 1 1\n"
	    "delay_parameters 1 10/x\n"), 1, "max must be a number");
}

int
main(void)
{
	if (t_conf_setup("t_conf_directives") == -1)
		return 1;
	test_defaults();
	test_values();
	test_ports();
	test_logs();
	test_access_lists();
	test_cache_policy();
	test_misc();
	test_auth_param();
	test_url_helpers();
	test_url_rewrite_timeout();
	test_targeted_cache_control();
	test_notes();
	test_forwarding_limits();
	test_client_ip_max_connections();
	test_umask();
	test_pconn_lifetime();
	test_cachemgr_passwd();
	test_cpu_affinity_map();
	test_unsupported_values();
	test_delay_pools();
	t_conf_cleanup();
	return tap_done();
}
