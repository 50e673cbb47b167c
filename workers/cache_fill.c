/*
 * Storing what a miss brings while it streams to the client: the stored
 * head and metadata, the memory copy (committed whole at the end), the
 * disk copy (cache_disk.c), Vary markers, and quick_abort's decision to
 * finish a fetch the client left.
 *
 * In DESIGN.md's data flow: to client while storing (memory and/or store).
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <string.h>

#include "cache_rules.h"
#include "conn.h"
#include "xact.h"
#include "headers.h"
#include "heritage.h"
#include "log.h"
#include "memcache.h"
#include "util.h"
#include "worker.h"

/* The stored head of a response: its end-to-end headers, no framing. */
void
cache_stored_head(const struct xact *x, struct buf *out)
{
	const struct http_msg *m = &x->rep;

	buf_printf(out, "HTTP/1.1 %d %.*s\r\n", m->status, (int)m->reason_len,
	    m->reason ? m->reason : "");
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_header *h = &m->hdr[i];
		if (headers_is_hop(m, h->name, h->name_len) ||
		    util_strcaseeq_n(h->name, h->name_len, "Content-Length") ||
		    util_strcaseeq_n(h->name, h->name_len, "Age"))
			continue;
		buf_append(out, h->name, h->name_len);
		buf_append(out, ": ", 2);
		buf_append(out, h->value, h->value_len);
		buf_append(out, "\r\n", 2);
	}
	buf_append(out, "\r\n", 2);
}

/*
 * quick_abort_min/max/pct, as Squid decides them: finish a miss whose
 * client left when little is left, or most of it has come; never when its
 * length is unknown.
 */
int
cache_quick_abort_continue(const struct xact *x)
{
	const struct cfg *cfg = worker_cfg;

	if (!x->cache.storing || x->state != XS_RELAY || x->srv == NULL ||
	    !x->reqbody.done || x->repbody.done)
		return 0;
	if (cfg->quick_abort_min < 0 || x->cache.range_whole == 2)
		return 1;	/* range_offset_limit none overrides it too */
	if (x->rep.body != HTTP_BODY_LENGTH)
		return 0;
	int64_t expect = x->rep.content_length, got = x->repbody.payload;
	if (got > expect)
		return 0;
	if (expect - got < cfg->quick_abort_min)
		return 1;
	if (expect - got > cfg->quick_abort_max)
		return 0;
	if (expect < 100)
		return 1;
	return got / (expect / 100) > cfg->quick_abort_pct;
}

/* Every payload byte of a response being stored comes here. */
static void
cache_sink(void *arg, const char *p, size_t n)
{
	struct xact *x = arg;

	if (x->cache.mem_ok) {
		if ((int64_t)(buf_avail(&x->cache.store_body) + n +
		    buf_avail(&x->cache.store_head)) >
		    worker_cfg->maximum_object_size_in_memory) {
			x->cache.mem_ok = 0;
			buf_free(&x->cache.store_body);
		} else {
			buf_append(&x->cache.store_body, p, n);
		}
	}
	if (x->cache.disk_job != NULL)
		cache_disk_feed(x->cache.disk_job, p, n);
}

/*
 * A storable response starts: build its metadata now (the times are the
 * response's), pick its key (Vary), and start the memory copy and the disk
 * stream.
 */
void
cache_start_storing(struct xact *x)
{
	struct cache_meta m;
	uint8_t blob[CACHE_META_BLOB_MAX];
	char vkey[4096];
	int64_t cl = x->rep.body == HTTP_BODY_LENGTH ? x->rep.content_length :
	    -1;

	if (cl >= 0 && cl < worker_cfg->minimum_object_size)
		return;		/* minimum_object_size: too small to keep */

	/* a partial (206) is kept in memory only, and without variants */
	int partial = x->rep.status == 206;
	if (partial && (heritage.memcache == NULL ||
	    http_msg_header(&x->rep, "Vary") != NULL))
		return;
	int n = partial ? 0 : cache_rules_vary_key(&x->rep, &x->req, vkey,
	    sizeof(vkey));
	if (n < 0)
		return;		/* Vary: * (or a huge key): never stored */
	x->cache.store_key = partial ? cache_partial_key(x->cache.base_key) :
	    n > 0 ? xasprintf("%s\n%.*s", x->cache.base_key, n, vkey) :
	    xstrdup(x->cache.base_key);
	x->cache.store_vary = n;
	cache_meta_build(x, &m, &x->rep, x->cache.request_time, time(NULL));
	cache_rules_meta_negative(&m, worker_cfg->negative_ttl / 1000);
	size_t ml = cache_rules_meta_serialize(&m, blob, sizeof(blob));
	if (ml == 0)
		return;
	buf_init(&x->cache.store_head);
	buf_append(&x->cache.store_head, "O", 1);
	unsigned char l2[2] = { ml & 0xff, (ml >> 8) & 0xff };
	buf_append(&x->cache.store_head, l2, 2);
	buf_append(&x->cache.store_head, blob, ml);
	cache_stored_head(x, &x->cache.store_head);

	x->cache.mem_ok = heritage.memcache != NULL && (cl < 0 ||
	    (int64_t)(cl + buf_avail(&x->cache.store_head)) <=
	    worker_cfg->maximum_object_size_in_memory);
	buf_init(&x->cache.store_body);
	if (!partial && (cl < 0 || cl <= worker_cfg->maximum_object_size))
		cache_disk_start(x, cl);
	if (!x->cache.mem_ok && x->cache.disk_job == NULL)
		return;
	x->cache.storing = 1;
	x->repbody.sink = cache_sink;
	x->repbody.sink_arg = x;
}

void
cache_on_finish(struct xact *x, int complete)
{
	complete = complete && x->cache.storing && x->repbody.done &&
	    x->repbody.payload >= worker_cfg->minimum_object_size;
	if (complete && x->cache.store_vary > 0) {
		struct buf marker;
		buf_init(&marker);
		cache_vary_marker(x, &marker);
		if (x->cache.mem_ok)
			memcache_put(heritage.memcache, x->cache.base_key,
			    strlen(x->cache.base_key), buf_head(&marker),
			    buf_avail(&marker), NULL, 0);
		if (x->cache.disk_job != NULL)
			cache_disk_put(x->cache.base_key, buf_head(&marker),
			    buf_avail(&marker));
		buf_free(&marker);
	}
	if (complete && x->cache.mem_ok) {
		struct iovec body = { buf_head(&x->cache.store_body),
		    buf_avail(&x->cache.store_body) };
		if (memcache_put(heritage.memcache, x->cache.store_key,
		    strlen(x->cache.store_key), buf_head(&x->cache.store_head),
		    buf_avail(&x->cache.store_head), &body,
		    body.iov_len > 0 ? 1 : 0) == -1)
			log_debug(22, 2, "memory cache refused %s",
			    x->cache.store_key);
	}
	/* the complete object answers every range: a partial is no use */
	if (complete && x->rep.status == 200 && x->cache.store_vary == 0)
		cache_partial_forget(x->cache.base_key);
	if (x->cache.disk_job != NULL)
		cache_disk_finish(x, complete);
	x->cache.storing = 0;
	x->repbody.sink = NULL;
	if (x->cf.group != NULL && x->cf.leader == 1)
		cache_cf_wake(x);
}
