/*
 * Responses from the cache: the head as Squid sends it on a hit (Age,
 * X-Cache, X-Cache-Lookup, Cache-Status), the client's own conditionals
 * and single byte ranges, and the body written straight from the shared
 * memory pages (writev) or from the cache file (sendfile).
 *
 * In DESIGN.md's data flow: fresh: serve (TCP_MEM_HIT / TCP_HIT).
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "auth_digest.h"
#include "cache_rules.h"
#include "conn.h"
#include "hdr_mangle.h"
#include "xact.h"
#include "errpage.h"
#include "headers.h"
#include "memcache.h"
#include "tls_io.h"
#include "util.h"
#include "worker.h"

#define CACHE_IOV_MAX	512	/* 2 MiB of 4 KiB pages per writev */

/* Head of a response served from the cache. */
static void
cache_hit_head(struct xact *x, int status, int64_t age, int64_t length,
    const char *extra)
{
	struct conn *c = x->conn;
	const struct http_msg *m = &x->cache.hit_msg;
	const char *host = worker_hostname();
	size_t rel = buf_avail(&c->out);

	if (worker_retiring())
		x->keep_client = 0;
	if (status == m->status)
		buf_printf(&c->out, "HTTP/1.1 %d %.*s\r\n", status,
		    (int)m->reason_len, m->reason ? m->reason : "");
	else
		buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", status,
		    errpage_reason(status));
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (util_strcaseeq_n(h->name, h->name_len, "Via") ||
		    util_strcaseeq_n(h->name, h->name_len, "Age"))
			continue;
		/*
		 * A cookie belongs to the client whose request fetched the
		 * response (or caused the revalidation that brought it):
		 * never to the next one, as in Squid.  Set-Cookie2 passes,
		 * as in Squid: no user agent has honoured it since RFC 6265.
		 */
		if (util_strcaseeq_n(h->name, h->name_len, "Set-Cookie"))
			continue;
		/* a stored partial's range: the one served is written below */
		if (m->status == 206 && util_strcaseeq_n(h->name, h->name_len,
		    "Content-Range"))
			continue;
		/* RFC 9110 15.4.5: a 304 carries no content headers */
		if (status == 304 && (util_strcaseeq_n(h->name, h->name_len,
		    "Content-Type") || util_strcaseeq_n(h->name, h->name_len,
		    "Content-Encoding") || util_strcaseeq_n(h->name,
		    h->name_len, "Content-Language")))
			continue;
		headers_put_response_field(x, h, &c->out);
	}
	/* RFC 9110 8.6: never in a 204, which has no content to delimit */
	if (length >= 0 && status != 204)
		buf_printf(&c->out, "Content-Length: %lld\r\n",
		    (long long)length);
	if (extra != NULL)
		buf_append(&c->out, extra, strlen(extra));
	/*
	 * RFC 9111 dropped Warning, but Squid 5.7 still marks a stale copy
	 * served because its revalidation failed, and clients read it.
	 */
	if (strcmp(x->result_tag, "TCP_REFRESH_FAIL_OLD") == 0)
		buf_printf(&c->out, "Warning: 110 %s \"Response is "
		    "stale\"\r\nWarning: 111 %s \"Revalidation "
		    "failed\"\r\n", worker_appname(), worker_appname());
	buf_printf(&c->out, "Age: %lld\r\n", (long long)(age > 0 ? age : 0));
	auth_digest_reply_info(x, &c->out);
	buf_printf(&c->out, "X-Cache: HIT from %s\r\n"
	    "X-Cache-Lookup: HIT from %s:%d\r\n", host, host,
	    worker_first_port());
	if (worker_cfg->via) {
		const char *via = headers_via_value();
		const struct http_header *v = http_msg_header(m, "Via");
		if (v != NULL)
			buf_printf(&c->out, "Via: %.*s, %s\r\n",
			    (int)v->value_len, v->value, via);
		else
			buf_printf(&c->out, "Via: %s\r\n", via);
	}
	buf_printf(&c->out, "Cache-Status: %s;hit\r\n", host);
	buf_printf(&c->out, "Connection: %s\r\n\r\n",
	    x->keep_client ? "keep-alive" : "close");
	hdr_mangle_head(x, HDR_MANGLE_REPLY, m, &c->out, rel);
}

/* Does the request want a range of the stored body?  Only GET. */
static int
cache_range_wanted(const struct xact *x)
{
	return strcmp(x->method, "GET") == 0 &&
	    http_msg_header(&x->req, "Range") != NULL &&
	    cache_rules_if_range(&x->req, &x->cache.hit_msg);
}

/*
 * Answer from the stored object: the client's own conditionals first, then
 * the whole stored response or the range asked for (body omitted for HEAD).
 */
void
cache_serve(struct xact *x, const struct cache_meta *m, int64_t age,
    const char *tag)
{
	int status = cache_rules_client_conditional(m, &x->req);
	int head_only = strcmp(x->method, "HEAD") == 0;

	xact_tag(x, tag);
	if (status == 304 || status == 412) {
		if (strcmp(tag, "TCP_MEM_HIT") == 0 ||
		    strcmp(tag, "TCP_NEGATIVE_HIT") == 0)
			xact_tag(x, http_msg_header(&x->req, "If-None-Match") ?
			    "TCP_INM_HIT" : "TCP_IMS_HIT");
		head_only = 1;
	} else {
		status = x->cache.hit_msg.status;
	}
	x->cache.hit_off = 0;
	char crange[128];
	int64_t length = status == 304 ? -1 : (int64_t)x->cache.hit_len;
	const char *extra = NULL;
	if (status == 206 && cache_partial_window(x, crange,
	    sizeof(crange)) == 0) {
		extra = crange;
		length = (int64_t)(x->cache.hit_len - x->cache.hit_off);
	} else if (status == 200 && cache_range_wanted(x)) {
		const struct http_header *r = http_msg_header(&x->req, "Range");
		int64_t first, last, size = (int64_t)x->cache.hit_len;
		int rr = cache_rules_range(r->value, r->value_len, size, &first,
		    &last);
		if (rr == 1) {
			status = 206;
			snprintf(crange, sizeof(crange), "Content-Range: bytes "
			    "%lld-%lld/%lld\r\n", (long long)first,
			    (long long)last, (long long)size);
			extra = crange;
			x->cache.hit_off = (uint64_t)first;
			x->cache.hit_len = (uint64_t)last + 1;
			length = last - first + 1;
		} else if (rr == -1) {
			status = 416;
			snprintf(crange, sizeof(crange), "Content-Range: bytes "
			    "*/%lld\r\n", (long long)size);
			extra = crange;
			head_only = 1;
			length = 0;
		}
	}
	/* HEAD: Content-Length says the stored length, no body follows */
	cache_hit_head(x, status, age, length, extra);
	if (head_only)
		x->cache.hit_len = x->cache.hit_off;
	x->log.status = status;
	xact_log_type(x, &x->cache.hit_msg);
	x->head_sent = 1;
	xact_set_state(x, XS_HIT);
	cache_hit_pump(x);
}

/* After a write to the client: 1 go on, 0 it would block, -1 ended. */
static int
cache_wrote(struct xact *x, ssize_t w)
{
	if (w >= 0) {
		x->log.bytes_out += w;
		return 1;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	xact_end(x, XACT_ABORT, NULL, "client write failed");
	return -1;
}

void
cache_hit_pump(struct xact *x)
{
	struct conn *c = x->conn;

	for (int round = 0; round < 64; round++) {
		struct iovec iov[CACHE_IOV_MAX + 1];
		int n = 0;
		size_t bytes = 0;
		char chunk[16384];
		ssize_t got = 0;

		if (x->cache.hit_fd != -1 && c->ssl != NULL) {
			/* Disk hit to a TLS client: a chunk of the file goes
			 * out with the head below, since sendfile cannot
			 * encrypt */
			size_t want = sizeof(chunk);

			if (x->cache.hit_len - x->cache.hit_off < want)
				want = (size_t)(x->cache.hit_len -
				    x->cache.hit_off);
			if (want > 0 && (got = pread(x->cache.hit_fd, chunk,
			    want, (off_t)(x->cache.hit_file_off +
			    x->cache.hit_off))) <= 0) {
				xact_end(x, XACT_ABORT, NULL, "cache file "
				    "shorter than its record");
				return;
			}
		} else if (x->cache.hit_fd != -1) {
			/*
			 * Disk hit: the head with MSG_MORE, so it leaves in
			 * the same segments as the start of the file.
			 */
			if (buf_avail(&c->out) > 0 && x->cache.hit_off < x->cache.hit_len) {
				ssize_t w = send(c->fd, buf_head(&c->out),
				    buf_avail(&c->out), MSG_MORE | MSG_NOSIGNAL);
				int r = cache_wrote(x, w);
				if (r <= 0) {
					if (r == 0)
						break;
					return;
				}
				buf_consume(&c->out, (size_t)w);
				continue;
			}
			if (buf_avail(&c->out) == 0 && x->cache.hit_off < x->cache.hit_len) {
				off_t off = (off_t)(x->cache.hit_file_off + x->cache.hit_off);
				ssize_t w = sendfile(c->fd, x->cache.hit_fd, &off,
				    (size_t)(x->cache.hit_len - x->cache.hit_off));
				if (w == 0) {
					xact_end(x, XACT_ABORT, NULL, "cache file shorter "
					    "than its record");
					return;
				}
				int r = cache_wrote(x, w);
				if (r <= 0) {
					if (r == 0)
						break;
					return;
				}
				x->cache.hit_off += (uint64_t)w;
				continue;
			}
		}
		if (buf_avail(&c->out) > 0) {
			iov[n].iov_base = buf_head(&c->out);
			iov[n++].iov_len = buf_avail(&c->out);
		}
		if (got > 0) {
			iov[n].iov_base = chunk;
			iov[n++].iov_len = (size_t)got;
		} else if (x->cache.hit != NULL &&
		    x->cache.hit_off < x->cache.hit_len)
			n += memcache_ref_body_iov(x->cache.hit, x->cache.hit_off, iov + n,
			    CACHE_IOV_MAX, &bytes);
		if (n == 0) {
			xact_end(x, 0, NULL, NULL);
			return;
		}
		ssize_t w = tls_io_writev(c->fd, c->ssl, iov, n);
		int r = cache_wrote(x, w);
		if (r <= 0) {
			if (r == 0)
				break;
			return;
		}
		size_t head = buf_avail(&c->out) < (size_t)w ?
		    buf_avail(&c->out) : (size_t)w;
		buf_consume(&c->out, head);
		x->cache.hit_off += (uint64_t)w - head;
	}
	xact_client_update(x);
}

void
cache_client_event(struct xact *x)
{
	cache_hit_pump(x);
}
