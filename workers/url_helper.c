/*
 * url_helper: one mechanism for the helpers that are asked about a URL
 * (url_rewrite_program, store_id_program), parameterised by which
 * directives configure it (squid-compat.md 7.1).  The request line is
 * "URL extras\n", extras rendered by the logformat engine from
 * url_rewrite_extras or store_id_extras (an empty one is "-", as in
 * Squid, whose engine prints an empty literal as a dash).
 *
 * In DESIGN.md's data flow: url_rewrite, store ID.
 */
#include "config.h"
#include "url_helper.h"

#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "dns.h"
#include "log.h"
#include "logformat.h"
#include "xact.h"
#include "worker.h"

/* Squid refuses a helper request longer than this (MAX_URL + 1024). */
#define URL_HELPER_LINE_MAX	(8192 + 1024)

const struct cfg_url_helper *
url_helper_conf(const struct url_helper *h, const struct cfg *cfg)
{
	return (const struct cfg_url_helper *)((const char *)cfg +
	    h->cfg_off);
}

void
url_helper_init(struct url_helper *h, const struct cfg *cfg)
{
	const struct cfg_url_helper *c = url_helper_conf(h, cfg);
	struct cfg_helper_children ch = c->children;

	if (c->program == NULL)
		return;
	/* Squid: the bypass makes queue-size default to 0 (bypass when busy) */
	if (c->bypass && ch.queue_size < 0)
		ch.queue_size = 0;
	h->pool = helper_pool_start(h->name, c->program, &ch, NULL);
	/* url_rewrite_timeout (redirect.cc): the pool times out and resends,
	 * url_helper_timedout says what a final timeout does */
	if (h->pool != NULL && c->timeout_ms > 0)
		helper_pool_set_timeout(h->pool, (uint64_t)c->timeout_ms,
		    c->on_timeout == CFG_ON_TIMEOUT_RETRY,
		    c->on_timeout == CFG_ON_TIMEOUT_USE_CONFIGURED_RESPONSE ?
		    c->timeout_response : NULL);
}

int
url_helper_timedout(const struct url_helper *h, struct xact *x)
{
	if (url_helper_conf(h, worker_cfg)->on_timeout ==
	    CFG_ON_TIMEOUT_BYPASS)
		return 0;
	/* Squid's clientRedirectDone: fail and retry (once the retries are
	 * spent) end the request; so does a configured response Squid could
	 * not read */
	log_errx("%s: Timedout", h->label);
	x->log.err_detail = "REDIRECTOR_TIMEDOUT";
	xact_fail(x, 500, "ERR_GATEWAY_FAILURE", 0);
	return 1;
}

void
url_helper_shutdown(struct url_helper *h)
{
	helper_pool_stop(h->pool, 0);
	h->pool = NULL;
}

void
url_helper_reload(struct url_helper *h, const struct cfg *cfg)
{
	struct helper_pool *old = h->pool;

	h->pool = NULL;
	helper_pool_stop(old, 1);
	url_helper_init(h, cfg);
}

/* "URL[ extras]\n" in line; its length, or 0 if it is too long. */
static size_t
url_helper_line(const struct cfg_url_helper *c, const struct xact *x,
    char *line, size_t size)
{
	char extras[URL_HELPER_LINE_MAX + 2];
	struct alog_entry e;
	size_t n = 0;
	int len;

	if (c->extras != NULL) {
		memset(&e, 0, sizeof(e));
		e.start = x->started;
		e.end = x->started;
		e.client = x->log.client;
		e.local = x->log.local;
		e.method = x->method;
		e.url = x->url_str;
		e.url_orig = x->url_str;
		e.scheme = x->url.scheme;
		e.host = x->url.host;
		e.port = x->url.port;
		e.path = x->path_str;
		e.vmajor = x->req.vmajor;
		e.vminor = x->req.vminor;
		e.request = &x->req;
		e.xaction = x->id;
		e.notes = &x->notes;	/* %note: what earlier helpers said */
		e.dns_ms = e.upstream_ms = -1;
		e.client_fqdn = dns_hosts_name(
		    (const struct sockaddr *)&x->log.client);
		n = logformat_render(c->extras, &e, 0, extras, sizeof(extras));
		if (n > 0 && extras[n - 1] == '\n')
			n--;
		/* Squid's engine prints an empty format as an empty text, "-" */
		if (n == 0)
			extras[n++] = '-';
	}
	len = snprintf(line, size, "%s%s%.*s\n", x->url_str, n > 0 ? " " : "",
	    (int)n, extras);
	if (len < 0 || (size_t)len >= size || len > URL_HELPER_LINE_MAX)
		return 0;
	return (size_t)len;
}

int
url_helper_ask(struct url_helper *h, struct xact *x, helper_cb *cb)
{
	const struct cfg_url_helper *c = url_helper_conf(h, worker_cfg);
	struct acl_checklist cl;
	int action = ACCESS_ALLOW;
	char line[URL_HELPER_LINE_MAX + 2];
	size_t n;

	if (h->pool == NULL || x->detached || x->conn == NULL)
		return 0;
	xact_checklist(x, &cl);
	if (access_check(&c->access, &cl, ACCESS_ALLOW, &action, NULL) !=
	    ACL_MATCH || action != ACCESS_ALLOW)
		return 0;
	if (c->bypass && helper_pool_overloaded(h->pool)) {
		log_debug(61, 2, "%s queue too long: %s bypassed", h->label,
		    x->url_str);
		h->bypassed++;
		return 0;
	}
	if ((n = url_helper_line(c, x, line, sizeof(line))) == 0) {
		log_errx("%s: request for %.200s... too long; URL unchanged",
		    h->label, x->url_str);
		return 0;
	}
	x->rw.req = helper_submit(h->pool, line, n, cb, x);
	if (x->rw.req == NULL)
		return 0;	/* no helpers (crashing too rapidly): unchanged */
	xact_set_state(x, XS_REWRITE);
	return 1;
}

void
url_helper_stats(const struct url_helper *h, struct buf *out)
{
	if (h->pool == NULL) {
		buf_printf(out, "%s\n", h->mgr_none);
		return;
	}
	helper_pool_stats(h->pool, out, h->mgr_label);
	if (url_helper_conf(h, worker_cfg)->bypass)
		buf_printf(out, "\nNumber of requests bypassed because all "
		    "%s were busy: %d\n", h->mgr_busy, h->bypassed);
}
