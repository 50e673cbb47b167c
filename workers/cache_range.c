/*
 * range_offset_limit: a Range request that misses may be fetched whole, so
 * the object gets cached, while the client still gets only its range.  The
 * first range_offset_limit line whose ACLs match gives the limit (none
 * match: 0): 0 forwards the Range as it is (nothing is cached), "none"
 * always fetches from the start, and a size fetches whole when the range
 * starts at or before that offset.  The client's 206 is cut out of the
 * full response as it streams by; when it cannot be (no Content-Length,
 * several ranges, a failed If-Range), the client gets the full 200, which
 * RFC 9110 14.2 allows.
 *
 * In DESIGN.md's data flow: miss - reply - to client while storing (a Range
 * fetched whole).
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache_rules.h"
#include "cfg.h"
#include "conn.h"
#include "xact.h"
#include "http_parse.h"
#include "log.h"
#include "worker.h"

void
cache_range_plan(struct xact *x)
{
	const struct http_header *r;

	if (!x->cache.may_store || x->cache.range_whole ||
	    (r = http_msg_header(&x->req, "Range")) == NULL)
		return;
	int64_t limit = xact_size_rule(x, worker_cfg->range_offset_limit, 0);
	int64_t first, last;
	/* where the range starts, whatever the length: a suffix counts as
	 * starting far out, several ranges as unknown */
	if (cache_rules_range(r->value, r->value_len, INT64_MAX, &first,
	    &last) != 1)
		first = -1;
	if (limit == 0 || (limit > 0 && (first < 0 || first > limit)))
		return;
	/* "none" also finishes the fetch when the client leaves (Squid) */
	x->cache.range_whole = limit < 0 ? 2 : 1;
	log_debug(22, 3, "range_offset_limit: fetching %s whole", x->url_str);
}

void
cache_range_on_response(struct xact *x)
{
	const struct http_header *r;
	int64_t first, last;

	x->cache.range_window = 0;
	if (!x->cache.range_whole || x->rep.status != 200 ||
	    x->rep.body != HTTP_BODY_LENGTH ||
	    (r = http_msg_header(&x->req, "Range")) == NULL ||
	    !cache_rules_if_range(&x->req, &x->rep))
		return;
	if (cache_rules_range(r->value, r->value_len, x->rep.content_length,
	    &first, &last) != 1)
		return;
	x->cache.range_window = 1;
	x->cache.range_first = first;
	x->cache.range_last = last;
	x->cache.range_pos = 0;
}

void
cache_range_head(const struct xact *x, struct buf *out)
{
	buf_printf(out, "Content-Length: %lld\r\n"
	    "Content-Range: bytes %lld-%lld/%lld\r\n",
	    (long long)(x->cache.range_last - x->cache.range_first + 1),
	    (long long)x->cache.range_first, (long long)x->cache.range_last,
	    (long long)x->rep.content_length);
}

size_t
cache_range_clip(struct xact *x, struct buf *in)
{
	size_t n = x->repbody.pending;

	/* before the range: stored, not sent */
	if (x->cache.range_pos < x->cache.range_first && n > 0) {
		int64_t gap = x->cache.range_first - x->cache.range_pos;
		size_t skip = (int64_t)n < gap ? n : (size_t)gap;
		buf_consume(in, skip);
		x->repbody.pending -= skip;
		x->cache.range_pos += (int64_t)skip;
		n -= skip;
	}
	if (x->cache.range_pos < x->cache.range_first)
		return 0;
	int64_t left = x->cache.range_last + 1 - x->cache.range_pos;
	if ((int64_t)n <= left)
		return n;
	if (left > 0)
		return (size_t)left;
	/* past the range: the client has all it asked for */
	buf_consume(in, n);
	x->repbody.pending = 0;
	x->cache.range_pos += (int64_t)n;
	return 0;
}
