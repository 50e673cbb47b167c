/*
 * rewrite: the url_rewrite_program dialect (squid-compat.md 7.1) on top of
 * url_helper, which asks the pool (request line "URL extras\n", extras
 * from url_rewrite_extras).  Replies: "OK rewrite-url=",
 * "OK status=30x url=" (TCP_REDIRECT), "OK"/"ERR" (no change), "BH"
 * (retried by the pool, then no change), and the legacy "30x:URL",
 * "!group!URL" and bare "URL" forms.  No reply within url_rewrite_timeout
 * is on_timeout='s business (url_helper_timedout).
 *
 * In DESIGN.md's data flow: url_rewrite.
 */
#include "config.h"
#include "rewrite.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "conn.h"
#include "xact.h"
#include "errpage.h"
#include "annotate.h"
#include "helper_pool.h"
#include "url_helper.h"
#include "log.h"
#include "url.h"
#include "util.h"
#include "worker.h"

struct url_helper rewrite_helper = {
	"redirector", "URL rewrite helper", offsetof(struct cfg, url_rewrite),
	NULL, "No redirectors defined", "Redirector Statistics",
	"redirectors", 0
};

void
rewrite_mgr_stats(struct buf *out)
{
	url_helper_stats(&rewrite_helper, out);
}

void
rewrite_init(const struct cfg *cfg)
{
	url_helper_init(&rewrite_helper, cfg);
}

void
rewrite_shutdown(void)
{
	url_helper_shutdown(&rewrite_helper);
}

void
rewrite_reload(const struct cfg *cfg)
{
	url_helper_reload(&rewrite_helper, cfg);
}

void
rewrite_cancel(struct xact *x)
{
	if (x->rw.req != NULL) {
		helper_cancel(x->rw.req);
		x->rw.req = NULL;
	}
}

static void
rewrite_redirect(struct xact *x, int status, const char *location)
{
	xact_tag(x, "TCP_REDIRECT");
	x->log.status = status;
	x->keep_client = x->keep_client && x->reqbody.done;
	errpage_build_redirect(x, status, location, x->keep_client,
	    &x->conn->out);
	xact_send_local(x);
}

/* Fetch url instead; 0 on success, -1 if it cannot be (x unchanged). */
static int
rewrite_apply(struct xact *x, const char *newurl)
{
	char tmp[URL_HOST_MAX + 8192];
	struct url u;
	char *buf;
	enum url_result r;

	if (strcmp(newurl, x->url_str) == 0)
		return 0;
	buf = xstrdup(newurl);
	if (x->is_connect)
		r = url_parse_authority(&u, buf, strlen(buf));
	else
		r = url_parse_absolute(&u, buf, strlen(buf));
	if (r != URL_OK || (!x->is_connect && strcmp(u.scheme, "http") != 0 &&
	    strcmp(u.scheme, "https") != 0)) {
		log_errx("URL-rewrite produces invalid request: %s %s HTTP/%d.%d",
		    x->method, newurl, x->req.vmajor, x->req.vminor);
		free(buf);
		return -1;
	}
	free(x->rw.buf);
	x->rw.buf = buf;
	x->url = u;
	free(x->url_str);
	free(x->log_url);
	free(x->path_str);
	x->path_str = xmalloc(u.path_len + u.query_len + 1);
	memcpy(x->path_str, u.path, u.path_len);
	if (u.query != NULL)
		memcpy(x->path_str + u.path_len, u.query, u.query_len);
	x->path_str[u.path_len + u.query_len] = '\0';
	if (x->is_connect) {
		url_format_host_port(&u, tmp, sizeof(tmp));
		x->url_str = xstrdup(tmp);
		x->log_url = xstrdup(tmp);
	} else {
		url_format(&u, 0, tmp, sizeof(tmp));
		x->url_str = xstrdup(tmp);
		url_format(&u, worker_cfg->strip_query_terms, tmp, sizeof(tmp));
		x->log_url = xstrdup(tmp);
	}
	x->rw.done = 1;
	x->rw.keep_host = !worker_cfg->url_rewrite_host_header;
	log_debug(61, 2, "rewrote URL to %s", x->url_str);
	return 0;
}

static int
rewrite_is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

/*
 * The reply's first word in the legacy forms: "URL", "30x:URL",
 * "!group!URL"; anything after it is garbage Squid warns about.
 */
static void
rewrite_legacy(struct xact *x, const struct helper_reply *r)
{
	const char *s = r->text;
	size_t n = strcspn(s, " \t");
	char *word = xstrndup(s, n);
	const char *url = word;

	if (s[n] != '\0')
		log_warnx("UPGRADE WARNING: URL rewriter reponded with garbage "
		    "'%s'. Future Squid will treat this as part of the URL.",
		    s + n + strspn(s + n, " \t"));
	if (word[0] == '!') {
		const char *end = strchr(word + 1, '!');
		url = end != NULL ? end + 1 : word + strlen(word);
	}
	if (strlen(url) > 4 && url[3] == ':' && url[0] >= '1' && url[0] <= '9' &&
	    atoi(url) >= 300 && atoi(url) < 400) {
		int st = atoi(url);
		rewrite_redirect(x, rewrite_is_redirect(st) ? st : 302, url + 4);
		free(word);
		return;
	}
	if (*url != '\0')
		(void)rewrite_apply(x, url);
	free(word);
	x->rw.cont(x);
}

static void
rewrite_done(void *arg, const struct helper_reply *r, const char *notes)
{
	struct xact *x = arg;
	const char *v;

	x->rw.req = NULL;
	annotate_from_reply(x, r);	/* whatever the result, as Squid */
	switch (r->result) {
	case HELPER_OK:
		if ((v = helper_reply_get(r, "url")) != NULL) {
			const char *st = helper_reply_get(r, "status");
			int status = st != NULL ? atoi(st) : 302;
			if (!rewrite_is_redirect(status)) {
				log_errx("URL rewrite helper: bad status=%s; "
				    "using 302", st);
				status = 302;
			}
			rewrite_redirect(x, status, v);
			return;
		}
		if ((v = helper_reply_get(r, "rewrite-url")) != NULL)
			(void)rewrite_apply(x, v);
		break;
	case HELPER_ERR:
		break;
	case HELPER_BH:
		log_errx("URL rewrite helper: {result=BH, notes={%s}}", notes);
		break;
	case HELPER_TIMEDOUT:
		if (url_helper_timedout(&rewrite_helper, x))
			return;
		break;
	case HELPER_UNKNOWN:
		if (r->line != NULL && r->line[0] != '\0') {
			rewrite_legacy(x, r);
			return;
		}
		log_errx("URL rewrite helper: no reply (the helper went away); "
		    "URL unchanged");
		break;
	default:
		log_errx("URL rewrite helper: unexpected result %s",
		    helper_result_name(r->result));
		break;
	}
	x->rw.cont(x);
}

int
rewrite_ask(struct xact *x, void (*cont)(struct xact *))
{
	x->rw.cont = cont;
	return url_helper_ask(&rewrite_helper, x, rewrite_done);
}
