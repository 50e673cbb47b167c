/*
 * Error pages.  Templates are read once per worker from error_directory and
 * expanded with Squid's % codes; a missing template falls back to a minimal
 * built-in page so an error is never answered with nothing.
 *
 * In DESIGN.md's data flow: any step that fails: the error page.
 */
#include "config.h"
#include "errpage.h"
#include "auth.h"
#include "auth_digest.h"
#include "external_acl.h"
#include "cfg.h"
#include "conn.h"
#include "hdr_mangle.h"
#include "xact.h"
#include "fdbudget.h"
#include "headers.h"
#include "log.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct errpage_tpl {
	char		*name;
	char		*text;		/* NULL: missing */
	struct errpage_tpl *next;
};

static struct errpage_tpl *errpage_cache;

const char *
errpage_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 416: return "Requested Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

void
errpage_reload(void)
{
	struct errpage_tpl *t;

	while ((t = errpage_cache) != NULL) {
		errpage_cache = t->next;
		free(t->name);
		free(t->text);
		free(t);
	}
}

/* A template read, or found unreadable (text NULL), is not read again. */
static struct errpage_tpl *
errpage_remember(const char *name)
{
	struct errpage_tpl *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup(name);
	t->next = errpage_cache;
	errpage_cache = t;
	return t;
}

static const char *
errpage_template(const char *name)
{
	struct errpage_tpl *t;

	for (t = errpage_cache; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t->text;
	const char *dir = worker_cfg->error_directory ?
	    worker_cfg->error_directory : cfg_default_error_directory();
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		int err = errno;
		/*
		 * Say why: "missing" sent operators looking for a file that
		 * was there while descriptors had run out.  A shortage passes,
		 * so that failure is not remembered; the next error tries again.
		 */
		if (err == ENOENT)
			log_warnx("error page template %s is missing", path);
		else
			log_warn("error page template %s", path);
		if (!fdbudget_exhausted_errno(err))
			errpage_remember(name);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) == -1) {
		log_warn("error page template %s: fstat", path);
		close(fd);
		errpage_remember(name);
		return NULL;
	}
	if (st.st_size > 1 << 20) {
		log_warnx("error page template %s is larger than 1 MB", path);
		close(fd);
		errpage_remember(name);
		return NULL;
	}
	t = errpage_remember(name);
	t->text = xmalloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, t->text, (size_t)st.st_size);
	if (n == -1)
		log_warn("error page template %s: read", path);
	t->text[n > 0 ? n : 0] = '\0';
	close(fd);
	return t->text;
}

void
errpage_html(struct buf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '<': buf_append(out, "&lt;", 4); break;
		case '>': buf_append(out, "&gt;", 4); break;
		case '&': buf_append(out, "&amp;", 5); break;
		case '"': buf_append(out, "&quot;", 6); break;
		default: buf_append(out, s, 1);
		}
	}
}

static void
errpage_expand(struct xact *x, const char *tpl, const char *err_name,
    int errnum, struct buf *out)
{
	char tmp[512];
	time_t now = time(NULL);
	struct tm tm;

	for (const char *p = tpl; *p; p++) {
		if (*p != '%' || p[1] == '\0') {
			buf_append(out, p, 1);
			continue;
		}
		p++;
		switch (*p) {
		case 'U':
		case 'u':
			errpage_html(out, x->log_url ? x->log_url :
			    x->url_str);
			break;
		case 'c':
			buf_printf(out, "%s", err_name);
			break;
		case 'E':
			if (errnum)
				errpage_html(out, strerror(errnum));
			else
				buf_append(out, "(0) No error.", 13);
			break;
		case 'e':
			buf_printf(out, "%d", errnum);
			break;
		case 'H':
			errpage_html(out, x->url.host[0] ? x->url.host : "");
			break;
		case 'i':
			buf_printf(out, "%s", util_addr_str(
			    (struct sockaddr *)&x->peer, tmp, sizeof(tmp)));
			break;
		case 'I':
			if (x->log.server.ss_family)
				buf_printf(out, "%s", util_addr_str(
				    (struct sockaddr *)&x->log.server, tmp,
				    sizeof(tmp)));
			else
				buf_append(out, "[unknown]", 9);
			break;
		case 'M':
			errpage_html(out, x->method ? x->method : "[unknown method]");
			break;
		case 'p':
			buf_printf(out, "%d", x->url.port);
			break;
		case 'P':
			buf_printf(out, "%s", x->url.scheme[0] ?
			    x->url.scheme : "http");
			break;
		case 'T':
			gmtime_r(&now, &tm);
			strftime(tmp, sizeof(tmp), "%a, %d %b %Y %H:%M:%S GMT",
			    &tm);
			buf_printf(out, "%s", tmp);
			break;
		case 't':
			localtime_r(&now, &tm);
			strftime(tmp, sizeof(tmp), "%d/%b/%Y:%H:%M:%S %z", &tm);
			buf_printf(out, "%s", tmp);
			break;
		case 'h':
			errpage_html(out, worker_hostname());
			break;
		case 'w':
			/* cache_mgr, where the page says to write */
			errpage_html(out, worker_cfg->cache_mgr != NULL ?
			    worker_cfg->cache_mgr : "[unknown]");
			break;
		case 's':
			buf_printf(out, "%s", worker_appname());
			break;
		case 'z':
			errpage_html(out, x->dns.error ? x->dns.error : "");
			break;
		case 'R':
			if (x->head != NULL && x->req.head_len > 0) {
				char *h = xstrndup(x->head, x->req.head_len);
				errpage_html(out, h);
				free(h);
			}
			break;
		case 'x':
			/* Squid's error detail: "X509_V_ERR_...+broken_cert" */
			errpage_html(out, x->err_x != NULL ? x->err_x :
			    "[Unknown Error Code]");
			break;
		case 'D':
			errpage_html(out, x->err_d != NULL ? x->err_d :
			    "[No Error Detail]");
			break;
		case 'o':
			/* an external ACL's message= (Squid's extacl_message;
			 * empty without one, as Squid 5.7 prints it) */
			if (external_acl_message(x) != NULL)
				errpage_html(out, external_acl_message(x));
			break;
		case 'a':
		case 'm':
		case 'W':
		case 'g':
		case 'f':
		case 'F':
		case 'B':
		case 'L':
		case 'S':
		case 'Z':
			/* codes for features cuttle does not have yet */
			break;
		case 'l':
			break;	/* stylesheet: the templates carry their own */
		case '%':
			buf_append(out, "%", 1);
			break;
		default:
			buf_append(out, p - 1, 2);
		}
	}
}

/* Returns where the head starts in out, for errpage_tail. */
static size_t
errpage_head(struct xact *x, int status, struct buf *out, int keep)
{
	size_t rel = buf_avail(out);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *host = worker_hostname();

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Server: %s\r\n"
	    "Mime-Version: 1.0\r\n"
	    "Date: %s\r\n", status, errpage_reason(status), worker_appname(),
	    date);
	(void)host;
	(void)keep;
	return rel;
}

static void
errpage_tail(struct xact *x, struct buf *out, int keep, size_t rel)
{
	const char *host = worker_hostname();

	buf_printf(out, "X-Cache: MISS from %s\r\n"
	    "X-Cache-Lookup: NONE from %s:%d\r\n", host, host,
	    worker_first_port());
	if (worker_cfg->via)
		buf_printf(out, "Via: %s\r\n", headers_via_value());
	buf_printf(out, "Connection: %s\r\n\r\n", keep ? "keep-alive" : "close");
	hdr_mangle_head(x, HDR_MANGLE_REPLY, NULL, out, rel);
}

size_t
errpage_build(struct xact *x, int status, const char *err_name, int errnum,
    int keep, struct buf *out)
{
	struct buf page;
	const char *tpl = errpage_template(err_name);

	buf_init(&page);
	if (tpl != NULL)
		errpage_expand(x, tpl, err_name, errnum, &page);
	else
		buf_printf(&page, "<!DOCTYPE html>\n<html><head><title>ERROR: "
		    "%s</title></head><body><h1>%d %s</h1><p>%s</p></body>"
		    "</html>\n", err_name, status, errpage_reason(status),
		    err_name);
	size_t rel = errpage_head(x, status, out, keep);
	buf_printf(out, "Content-Type: text/html;charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "X-Squid-Error: %s %d\r\n"
	    "Vary: Accept-Language\r\n"
	    "Content-Language: en\r\n", buf_avail(&page), err_name, errnum);
	if (status == 407)
		auth_challenge(x, out);
	else if (status == 401 && x->mgr_realm != NULL)
		buf_printf(out, "WWW-Authenticate: Basic realm=\"%s\"\r\n",
		    x->mgr_realm);
	else
		auth_digest_reply_info(x, out);
	errpage_tail(x, out, keep, rel);
	size_t n = buf_avail(&page);
	int is_head = x->method != NULL && strcmp(x->method, "HEAD") == 0;
	if (!is_head)
		buf_append(out, buf_head(&page), n);
	buf_free(&page);
	return n;
}

void
errpage_build_object(struct xact *x, int status, const char *fields,
    const void *body, size_t len, int keep, struct buf *out)
{
	size_t rel = errpage_head(x, status, out, keep);
	buf_printf(out, "%sContent-Length: %zu\r\n", fields, len);
	errpage_tail(x, out, keep, rel);
	if (x->method == NULL || strcmp(x->method, "HEAD") != 0)
		buf_append(out, body, len);
}

void
errpage_build_redirect(struct xact *x, int status, const char *location,
    int keep, struct buf *out)
{
	size_t rel = errpage_head(x, status, out, keep);
	buf_printf(out, "Location: %s\r\nContent-Length: 0\r\n", location);
	errpage_tail(x, out, keep, rel);
}
