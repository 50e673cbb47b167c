/*
 * The proxy's own pages, beyond Squid: the bump CA that clients must trust
 * (/cuttle/ca.pem, /cuttle/ca.der, never a key) and /cuttle/, a page with
 * the setup for curl, Debian, apt, npm, pip, Node, git and Java, the
 * proxy's address filled in.  A request is for the proxy as Squid decides
 * for its /squid-internal-* URLs (internal.cc): origin-form on a port that
 * is not accel (rebuilt as http://visible_hostname:PORT/path), or an
 * http:// URL naming visible_hostname or the address the client connected
 * to, and the port it came in on (Squid compares with its first port).
 * It passes http_access like any request; then, instead of the router,
 * it is answered here: no-store, logged TCP_MISS with HIER_NONE as Squid
 * logs its internal objects.  cuttle_ca_pages off leaves these paths to
 * the ordinary path.
 *
 * In DESIGN.md's data flow: after http_access, before the router.
 */
#include "config.h"
#include "internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "conn.h"
#include "errpage.h"
#include "log.h"
#include "tls_port.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

enum internal_page {
	INTERNAL_NONE,
	INTERNAL_SETUP,		/* /cuttle/ */
	INTERNAL_PEM,		/* /cuttle/ca.pem */
	INTERNAL_DER		/* /cuttle/ca.der */
};

static enum internal_page
internal_lookup(const char *path, size_t len)
{
	static const struct {
		const char	*path;
		enum internal_page page;
	} pages[] = {
		{ "/cuttle/", INTERNAL_SETUP },
		{ "/cuttle/ca.pem", INTERNAL_PEM },
		{ "/cuttle/ca.der", INTERNAL_DER },
	};

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (len == strlen(pages[i].path) &&
		    memcmp(path, pages[i].path, len) == 0)
			return pages[i].page;
	return INTERNAL_NONE;
}

/* The port the client reached. */
static int
internal_port(const struct xact *x)
{
	return util_addr_port((const struct sockaddr *)&x->log.local);
}

char *
internal_local_url(const struct xact *x)
{
	const char *t = x->req.target;
	size_t n = x->req.target_len;
	const char *q = memchr(t, '?', n);

	if (!worker_cfg->cuttle_ca_pages || x->conn == NULL ||
	    x->port->accel || !url_is_origin_form(t, n) ||
	    internal_lookup(t, q != NULL ? (size_t)(q - t) : n) ==
	    INTERNAL_NONE)
		return NULL;
	return xasprintf("http://%s:%d%.*s", worker_hostname(),
	    internal_port(x), (int)n, t);
}

int
internal_names_proxy(const struct xact *x)
{
	char ip[INET6_ADDRSTRLEN];

	if (x->url.port != internal_port(x))
		return 0;
	return strcasecmp(x->url.host, worker_hostname()) == 0 ||
	    strcmp(x->url.host, util_addr_str((const struct sockaddr *)
	    &x->log.local, ip, sizeof(ip))) == 0;
}

/*
 * The bump CA: the port's own when it bumps, else the first port's that
 * does.  Only a port that generates certificates has one (with
 * generate-host-certificates=off, tls-cert= is what clients see).
 */
static int
internal_has_ca(const struct cfg_port *p)
{
	return p->ssl_bump && p->generate_host_certificates &&
	    p->tls_x509 != NULL;
}

static const struct cfg_port *
internal_ca_port(const struct cfg_port *own)
{
	const struct cfg_port *p;

	if (internal_has_ca(own))
		return own;
	for (p = worker_cfg->ports; p != NULL && !internal_has_ca(p);
	    p = p->next)
		;
	return p;
}

/* q=0.5 in the parameters [p, e) of an Accept member, as 0..1000. */
static int
internal_qvalue(const char *p, const char *e)
{
	while ((p = memchr(p, ';', (size_t)(e - p))) != NULL) {
		for (p++; p < e && (*p == ' ' || *p == '\t'); p++)
			;
		if (e - p < 3 || (*p != 'q' && *p != 'Q') || p[1] != '=')
			continue;
		p += 2;
		if (*p != '0' && *p != '1')
			return 1000;	/* malformed: as if absent */
		int q = (*p++ - '0') * 1000;
		if (p < e && *p == '.')
			for (int scale = 100, i = 0; i < 3 && ++p < e &&
			    isdigit((unsigned char)*p); i++, scale /= 10)
				q += (*p - '0') * scale;
		return q > 1000 ? 1000 : q;
	}
	return 1000;
}

/*
 * How much the request's Accept wants type ("text/html"), 0..1000: the
 * weight of the most specific range that matches (RFC 9110 12.5.1); no
 * Accept accepts everything.
 */
static int
internal_accept(const struct http_msg *m, const char *type)
{
	size_t tl = strlen(type), major = strcspn(type, "/") + 1;
	int any = 0, best = -1, weight = 0;

	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		const char *p = h->value, *end = p + h->value_len;

		if (!util_strcaseeq_n(h->name, h->name_len, "Accept"))
			continue;
		any = 1;
		while (p < end) {
			const char *e = memchr(p, ',', (size_t)(end - p));
			if (e == NULL)
				e = end;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			size_t rl = 0;
			while (p + rl < e && p[rl] != ';' && p[rl] != ' ' &&
			    p[rl] != '\t')
				rl++;
			int spec = -1;
			if (rl == 3 && memcmp(p, "*/*", 3) == 0)
				spec = 0;
			else if (rl == major + 1 && p[major] == '*' &&
			    strncasecmp(p, type, major) == 0)
				spec = 1;
			else if (rl == tl && strncasecmp(p, type, tl) == 0)
				spec = 2;
			if (spec > best) {
				best = spec;
				weight = internal_qvalue(p + rl, e);
			}
			p = e + 1;
		}
	}
	return !any ? 1000 : best < 0 ? 0 : weight;
}

/* How the client reached the proxy, for the commands on the page. */
struct internal_vars {
	char		 proxy[300];	/* host:port */
	char		 host[280];
	char		 port[8];
	char		 url[320];	/* the proxy's URL: http://host:port */
};

/* A Host value safe to paste into a shell: name or address, port. */
static int
internal_authority_ok(const char *s, size_t n)
{
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && (s[i] == '\0' ||
		    strchr(".-_:[]", s[i]) == NULL))
			return 0;
	return 1;
}

/* The Host the client sent (a safe one), else the address it reached. */
static void
internal_vars(const struct xact *x, struct internal_vars *v)
{
	const struct http_header *h = http_msg_header(&x->req, "Host");
	const struct sockaddr *la = (const struct sockaddr *)&x->log.local;
	char ip[INET6_ADDRSTRLEN];

	if (h != NULL && internal_authority_ok(h->value, h->value_len))
		snprintf(v->host, sizeof(v->host), "%.*s", (int)h->value_len,
		    h->value);
	else
		snprintf(v->host, sizeof(v->host), la->sa_family == AF_INET6 ?
		    "[%s]" : "%s", util_addr_str(la, ip, sizeof(ip)));
	/* a port after the name (after the ']' of an IPv6 literal) */
	char *colon = strrchr(v->host, ':');
	if (colon != NULL && (v->host[0] != '[' || colon[-1] == ']') &&
	    colon[1] != '\0' && strspn(colon + 1, "0123456789") ==
	    strlen(colon + 1) && strlen(colon + 1) < sizeof(v->port)) {
		/* length checked above: memcpy, which gcc can follow */
		memcpy(v->port, colon + 1, strlen(colon + 1) + 1);
		*colon = '\0';
	} else
		snprintf(v->port, sizeof(v->port), "%d", internal_port(x));
	snprintf(v->proxy, sizeof(v->proxy), "%s:%s", v->host, v->port);
	snprintf(v->url, sizeof(v->url), "%s://%s",
	    x->port->is_https ? "https" : "http", v->proxy);
}

/* tpl with @URL@, @HOST@ and @PORT@ filled in, HTML-escaped for html. */
static void
internal_expand(struct buf *out, const char *tpl, size_t len,
    const struct internal_vars *v, int html)
{
	const struct {
		const char	*token;
		const char	*value;
	} vars[] = {
		{ "@URL@", v->url },
		{ "@HOST@", v->host },
		{ "@PORT@", v->port },
	};
	struct buf t;

	buf_init(&t);
	for (size_t i = 0; i < len; i++) {
		size_t k = 0, nvars = sizeof(vars) / sizeof(vars[0]);
		while (k < nvars && (tpl[i] != '@' || strncmp(tpl + i,
		    vars[k].token, strlen(vars[k].token)) != 0))
			k++;
		if (k == nvars) {
			buf_append(&t, tpl + i, 1);
			continue;
		}
		buf_append(&t, vars[k].value, strlen(vars[k].value));
		i += strlen(vars[k].token) - 1;
	}
	buf_append(&t, "", 1);
	if (html)
		errpage_html(out, buf_head(&t));
	else
		buf_append(out, buf_head(&t), buf_avail(&t) - 1);
	buf_free(&t);
}

/* Each tool's setup: commands one a line, and a note. */
static const struct internal_step {
	const char	*title;
	const char	*commands;
	const char	*note;
} internal_steps[] = {
	{ "1. Download the CA and check it",
	    "curl -fsS -o \"$HOME/cuttle-ca.pem\" @URL@/cuttle/ca.pem\n"
	    "openssl x509 -in \"$HOME/cuttle-ca.pem\" -noout -fingerprint "
	    "-sha256\n",
	    "The fingerprint must be the one above: the file came over plain "
	    "HTTP, so check it before trusting it." },
	{ "2. Send requests through the proxy (shell)",
	    "export http_proxy=@URL@ https_proxy=@URL@\n", NULL },
	{ "Debian, Ubuntu: the whole system",
	    "sudo cp \"$HOME/cuttle-ca.pem\" "
	    "/usr/local/share/ca-certificates/cuttle-ca.crt\n"
	    "sudo update-ca-certificates\n",
	    "Programs that use the system's CA list "
	    "(/etc/ssl/certs/ca-certificates.crt) then trust it." },
	{ "curl",
	    "curl --cacert \"$HOME/cuttle-ca.pem\" -x @URL@ "
	    "https://example.com/\n"
	    "export CURL_CA_BUNDLE=\"$HOME/cuttle-ca.pem\"\n", NULL },
	{ "apt (/etc/apt/apt.conf.d/99cuttle)",
	    "Acquire::http::Proxy \"@URL@\";\n"
	    "Acquire::https::Proxy \"@URL@\";\n"
	    "Acquire::https::CaInfo "
	    "\"/usr/local/share/ca-certificates/cuttle-ca.crt\";\n",
	    "The file is where the Debian step puts it." },
	{ "npm",
	    "npm config set proxy @URL@\n"
	    "npm config set https-proxy @URL@\n"
	    "npm config set cafile \"$HOME/cuttle-ca.pem\"\n", NULL },
	{ "pip",
	    "pip install --proxy @URL@ --cert \"$HOME/cuttle-ca.pem\" PACKAGE\n"
	    "export PIP_PROXY=@URL@ PIP_CERT=\"$HOME/cuttle-ca.pem\"\n", NULL },
	{ "Node.js",
	    "export NODE_EXTRA_CA_CERTS=\"$HOME/cuttle-ca.pem\"\n",
	    "Added to Node's own CA list, which it keeps." },
	{ "git",
	    "git config --global http.proxy @URL@\n"
	    "git config --global http.sslCAInfo \"$HOME/cuttle-ca.pem\"\n",
	    NULL },
	{ "Java",
	    "sudo keytool -importcert -noprompt -alias cuttle-ca -file "
	    "\"$HOME/cuttle-ca.pem\" -cacerts -storepass changeit\n"
	    "java -Dhttp.proxyHost=@HOST@ -Dhttp.proxyPort=@PORT@ "
	    "-Dhttps.proxyHost=@HOST@ -Dhttps.proxyPort=@PORT@ ...\n",
	    "keytool -cacerts needs Java 9 or later; changeit is the JDK's "
	    "default store password." },
};

static const char internal_intro[] =
    "This proxy decrypts the HTTPS it is set up to inspect (SslBump) and "
    "signs what clients see with its own certificate authority. Clients "
    "accept it once they trust that CA.";
static const char internal_outro[] =
    "curl --cacert, CURL_CA_BUNDLE, apt's CaInfo, npm's cafile, pip "
    "--cert and git's sslCAInfo replace the tool's list of CAs with this "
    "one: a site the proxy does not decrypt is then refused. To keep both, "
    "trust the CA system-wide (Debian, above) and give those tools "
    "/etc/ssl/certs/ca-certificates.crt instead.";

/* The setup page, as HTML or as text. */
static void
internal_setup(struct buf *out, const struct internal_vars *v,
    const struct tls_port_cert_info *ci, int html)
{
	const char *const facts[][2] = {
		{ "Subject", ci->subject },
		{ "SHA-256 fingerprint", ci->sha256 },
		{ "Valid until", ci->not_after },
	};
	size_t nfacts = sizeof(facts) / sizeof(facts[0]);

	if (html) {
		buf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\"><title>Trusting the proxy at ");
		errpage_html(out, v->proxy);
		buf_printf(out, "</title></head>\n<body>\n<h1>Trusting the "
		    "proxy at ");
		errpage_html(out, v->proxy);
		buf_printf(out, "</h1>\n<p>%s</p>\n<ul>\n<li>CA certificate: "
		    "<a href=\"/cuttle/ca.pem\">ca.pem</a> (PEM), "
		    "<a href=\"/cuttle/ca.der\">ca.der</a> (DER)</li>\n",
		    internal_intro);
		for (size_t i = 0; i < nfacts; i++) {
			buf_printf(out, "<li>%s: <code>", facts[i][0]);
			errpage_html(out, facts[i][1]);
			buf_printf(out, "</code></li>\n");
		}
		buf_printf(out, "</ul>\n");
	} else {
		buf_printf(out, "Trusting the proxy at %s\n\n%s\n\n"
		    "CA certificate: %s/cuttle/ca.pem (PEM), "
		    "%s/cuttle/ca.der (DER)\n", v->proxy, internal_intro,
		    v->url, v->url);
		for (size_t i = 0; i < nfacts; i++)
			buf_printf(out, "%s: %s\n", facts[i][0], facts[i][1]);
	}
	for (size_t i = 0; i < sizeof(internal_steps) /
	    sizeof(internal_steps[0]); i++) {
		const struct internal_step *s = &internal_steps[i];
		const char *line = s->commands, *nl;

		buf_printf(out, html ? "<h2>%s</h2>\n<pre>" : "\n%s\n",
		    s->title);
		for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
			if (!html)
				buf_append(out, "    ", 4);
			internal_expand(out, line, (size_t)(nl - line) + 1, v,
			    html);
		}
		if (html)
			buf_printf(out, "</pre>\n");
		if (s->note != NULL)
			buf_printf(out, html ? "<p>%s</p>\n" : "%s\n", s->note);
	}
	buf_printf(out, html ? "<p>%s</p>\n</body></html>\n" : "\n%s\n",
	    internal_outro);
}

/* Send a page of ours and end x. */
static void
internal_reply(struct xact *x, int status, const char *type,
    const char *fields, const void *body, size_t len)
{
	char head[512];

	snprintf(head, sizeof(head), "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s",
	    type, fields);
	xact_tag(x, "TCP_MISS");
	x->log.status = status;
	x->log.mime_type = type;
	/* a request body we did not read must not be taken for a request */
	x->keep_client = x->keep_client && x->reqbody.done;
	errpage_build_object(x, status, head, body, len, x->keep_client,
	    &x->conn->out);
	xact_send_local(x);
}

#define INTERNAL_TEXT	"text/plain;charset=utf-8"

int
internal_start(struct xact *x)
{
	enum internal_page page;
	const struct cfg_port *ca;

	if (!worker_cfg->cuttle_ca_pages || x->conn == NULL ||
	    x->is_connect || strcmp(x->url.scheme, "http") != 0 ||
	    (page = internal_lookup(x->url.path, x->url.path_len)) ==
	    INTERNAL_NONE || !internal_names_proxy(x))
		return 0;
	log_debug(76, 2, "internal URL found: %s", x->url_str);
	if (strcmp(x->method, "GET") != 0 && strcmp(x->method, "HEAD") != 0) {
		static const char msg[] = "Only GET and HEAD are answered "
		    "here.\n";
		internal_reply(x, 405, INTERNAL_TEXT, "Allow: GET, HEAD\r\n",
		    msg, sizeof(msg) - 1);
		return 1;
	}
	if ((ca = internal_ca_port(x->port)) == NULL) {
		static const char msg[] = "This proxy has no CA for clients "
		    "to trust: no http_port has ssl-bump with "
		    "generate-host-certificates, so it decrypts no HTTPS.\n";
		internal_reply(x, 404, INTERNAL_TEXT, "", msg, sizeof(msg) - 1);
		return 1;
	}
	if (page == INTERNAL_SETUP) {
		struct internal_vars v;
		struct tls_port_cert_info ci;
		struct buf body;
		int text = internal_accept(&x->req, "text/plain") >
		    internal_accept(&x->req, "text/html");

		internal_vars(x, &v);
		tls_port_cert_info(ca, &ci);
		buf_init(&body);
		internal_setup(&body, &v, &ci, !text);
		internal_reply(x, 200, text ? INTERNAL_TEXT :
		    "text/html;charset=utf-8", "Vary: Accept\r\n",
		    buf_head(&body), buf_avail(&body));
		buf_free(&body);
		return 1;
	}
	size_t len;
	int pem = page == INTERNAL_PEM;
	char *cert = tls_port_cert_export(ca, pem, &len);
	if (cert == NULL) {
		log_errx("cannot encode the CA certificate of http_port %s",
		    ca->name);
		xact_fail(x, 500, "ERR_INVALID_REQ", 0);
		return 1;
	}
	internal_reply(x, 200, pem ? "application/x-pem-file" :
	    "application/pkix-cert", pem ?
	    "Content-Disposition: attachment; filename=\"cuttle-ca.pem\"\r\n" :
	    "Content-Disposition: attachment; filename=\"cuttle-ca.der\"\r\n",
	    cert, len);
	free(cert);
	return 1;
}
