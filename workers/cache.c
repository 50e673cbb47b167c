/*
 * The cache path of a transaction.  Objects live in the shared memory cache
 * under "GET <url>"; a response with Vary is stored as a marker under that
 * key (holding the Vary field names) plus the object under
 * "GET <url>\n<vary key>".  An object's metadata blob is
 *   'O' | u16 meta length | cache_meta blob | stored head text
 * where the stored head has no framing or hop-by-hop headers; the body is
 * the payload, de-chunked.  This file looks a request up and decides:
 * serve, revalidate, fetch; it merges the 304 of a revalidation,
 * invalidates after unsafe methods, keeps a POST response that is a
 * representation of its URL and answers PURGE.  Serving is
 * cache_hit.c, collapsed forwarding cache_cf.c, the cache_dir side
 * cache_disk.c and storing a new object cache_fill.c.
 */
#include "config.h"
#include "cache.h"
#include "cache_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_rules.h"
#include "conn.h"
#include "errpage.h"
#include "forward.h"
#include "heritage.h"
#include "log.h"
#include "memcache.h"
#include "pconn.h"
#include "store_client.h"
#include "util.h"
#include "worker.h"

static void cache_revalidate_in_background(const struct xact *x,
    const struct cache_meta *m);

void
cache_release(struct xact *x)
{
	if (x->hit != NULL) {
		memcache_release(x->hit);
		x->hit = NULL;
	}
	if (x->store_req != 0) {
		store_client_cancel(cache_stores[x->store_idx], x->store_req);
		x->store_req = 0;
	}
	cache_disk_finish(x, 0);
	free(x->store_key);
	x->store_key = NULL;
	if (x->cf_announced && x->cf == NULL) {
		cache_cf_announce(x->cache_key, 0);
		x->cf_announced = 0;
	}
	cache_cf_release(x);
	if (x->hit_fd != -1) {
		close(x->hit_fd);
		x->hit_fd = -1;
	}
	free(x->hit_meta);
	x->hit_meta = NULL;
	free(x->vary_marker);
	x->vary_marker = NULL;
	http_msg_free(&x->hit_msg);
	free(x->cache_key);
	free(x->cache_base_key);
	free(x->cache_cond);
	x->cache_key = x->cache_base_key = x->cache_cond = NULL;
	buf_free(&x->store_body);
	buf_free(&x->store_head);
}

const struct cfg_refresh *
cache_refresh(const struct xact *x)
{
	return cache_rules_refresh_match(worker_cfg->refresh_patterns,
	    x->url_str);
}

void
cache_meta_build(const struct xact *x, struct cache_meta *m,
    const struct http_msg *resp, time_t request_time, time_t response_time)
{
	cache_rules_meta_fill(m, &x->req, resp, request_time, response_time);
	cache_rules_meta_targeted(m, resp,
	    cfg_targeted_fields(worker_cfg, x->port));
}

/* Split an object's metadata blob (memory or disk) into its parts. */
int
cache_parse_meta(struct xact *x, const unsigned char *p, size_t len,
    struct cache_meta *m)
{
	struct http_parse_error err;

	if (len < 3 || p[0] != 'O')
		return -1;
	size_t mlen = (size_t)p[1] | (size_t)p[2] << 8;
	if (3 + mlen > len || cache_rules_meta_deserialize(m, p + 3, mlen) == -1)
		return -1;
	x->hit_head = (const char *)p + 3 + mlen;
	x->hit_head_len = len - 3 - mlen;
	http_msg_free(&x->hit_msg);
	memset(&x->hit_msg, 0, sizeof(x->hit_msg));
	if (http_parse_response(&x->hit_msg, x->hit_head, x->hit_head_len,
	    x->hit_head_len, "GET", 3, &err) != HTTP_PARSE_OK)
		return -1;
	return 0;
}

static int cache_open_object(struct xact *x, struct cache_meta *m);

/* Re-read the held object's metadata, from memory or from a disk hit. */
static int
cache_reopen(struct xact *x, struct cache_meta *m)
{
	if (x->hit != NULL)
		return cache_open_object(x, m);
	if (x->hit_fd != -1 && x->hit_meta != NULL)
		return cache_parse_meta(x, (const unsigned char *)x->hit_meta,
		    x->hit_meta_len, m);
	return -1;
}

/* Let go of the held object (a new response replaces it). */
static void
cache_drop_held(struct xact *x)
{
	if (x->hit != NULL) {
		memcache_release(x->hit);
		x->hit = NULL;
	}
	if (x->hit_fd != -1) {
		close(x->hit_fd);
		x->hit_fd = -1;
	}
}

static int
cache_open_object(struct xact *x, struct cache_meta *m)
{
	size_t len;
	const unsigned char *p = memcache_ref_meta(x->hit, &len);

	if (cache_parse_meta(x, p, len, m) == -1)
		return -1;
	x->hit_len = memcache_ref_body_len(x->hit);
	return 0;
}

/* Pin the object for key; follow a Vary marker to the request's variant. */
static struct memcache_ref *
cache_get_variant(struct xact *x)
{
	struct memcache_ref *r;
	size_t len;

	if (heritage.memcache == NULL)
		return NULL;
	r = memcache_get(heritage.memcache, x->cache_key, strlen(x->cache_key));
	if (r == NULL)
		return NULL;
	const char *p = memcache_ref_meta(r, &len);
	if (!cache_vary_is_marker(p, len))
		return r;
	char *key = cache_vary_variant_key(x, p, len);
	memcache_release(r);
	if (key == NULL)
		return NULL;
	free(x->cache_key);
	x->cache_key = key;
	return memcache_get(heritage.memcache, key, strlen(key));
}

static void
cache_mem_delete_variant(const char *variant_key, void *arg)
{
	int *deleted = arg;

	*deleted |= memcache_delete(heritage.memcache, variant_key,
	    strlen(variant_key)) > 0;
}

/*
 * Delete key from the memory cache with every variant its Vary marker
 * lists.  Returns 1 if anything was there.
 */
static int
cache_mem_delete_all(const char *key)
{
	struct memcache_ref *r;
	int deleted = 0;

	if (heritage.memcache == NULL)
		return 0;
	if ((r = memcache_get(heritage.memcache, key, strlen(key))) != NULL) {
		size_t len;
		const char *p = memcache_ref_meta(r, &len);
		cache_vary_each(key, p, len, cache_mem_delete_variant,
		    &deleted);
		memcache_release(r);
	}
	deleted |= memcache_delete(heritage.memcache, key, strlen(key)) > 0;
	return deleted;
}

static void cache_purge_reply(struct xact *x, int status);

static void
cache_purge_disk_answer(void *arg, const struct store_client_result *r)
{
	struct xact *x = arg;

	x->store_req = 0;
	cache_purge_reply(x, r->status == STORE_CLIENT_OK ? 200 : 404);
}

static int
cache_purge(struct xact *x)
{
	char *key = xasprintf("GET %s", x->url_str);
	int deleted = cache_mem_delete_all(key);

	if (deleted > 0) {
		cache_disk_delete(key, NULL, NULL);
	} else {
		/* the answer depends on what the cache_dir had */
		x->store_idx = cache_store_for(key);
		x->store_req = cache_disk_delete(key, cache_purge_disk_answer,
		    x);
		if (x->store_req != 0) {
			free(key);
			x->state = XS_STORE;
			return 1;
		}
	}
	free(key);
	cache_purge_reply(x, deleted > 0 ? 200 : 404);
	return 1;
}

static void
cache_purge_reply(struct xact *x, int status)
{
	struct conn *c = x->conn;

	snprintf(x->result_tag, sizeof(x->result_tag), "TCP_MISS");
	x->log.status = status;
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nServer: cuttle/%s\r\n"
	    "Content-Length: 0\r\nConnection: %s\r\n\r\n", status,
	    errpage_reason(status), PACKAGE_VERSION,
	    x->keep_client ? "keep-alive" : "close");
	x->head_sent = 1;
	x->state = XS_LOCAL;
	if (conn_flush(c) == -1) {
		xact_abort(x, "client write failed");
		return;
	}
	xact_finish(x);
}

int
cache_lookup(struct xact *x)
{
	struct cache_req_cc rcc;
	struct cache_decision d;
	struct cache_meta m;
	int is_get = strcmp(x->method, "GET") == 0;
	int is_head = strcmp(x->method, "HEAD") == 0;

	if ((heritage.memcache == NULL && cache_nstores == 0) ||
	    strcmp(x->url.scheme, "http") != 0)
		return 0;
	if (worker_cfg->cache_access.head != NULL) {
		struct acl_checklist cl;
		int action = ACCESS_ALLOW;
		xact_checklist(x, &cl);
		if (access_check(&worker_cfg->cache_access, &cl, ACCESS_ALLOW,
		    &action, NULL) != ACL_MATCH || action != ACCESS_ALLOW)
			return 0;
	}
	x->cache_ok = 1;
	if (strcmp(x->method, "PURGE") == 0 && worker_cfg->acls.has_purge)
		return cache_purge(x);
	if (!is_get && !is_head)
		return 0;
	x->cache_base_key = xasprintf("GET %s", x->url_str);
	x->cache_key = xstrdup(x->cache_base_key);
	x->may_store = is_get;
	cache_rules_req_cc(&x->req, &rcc);

	x->hit = cache_get_variant(x);
	if (x->hit != NULL && cache_open_object(x, &m) == -1) {
		memcache_release(x->hit);
		x->hit = NULL;
	}
	if (x->hit == NULL) {
		if (cache_disk_lookup(x))
			return 1;
		return cache_miss(x, &rcc);
	}
	enum cache_verdict v = cache_rules_decide(&m, &x->req, &rcc,
	    cache_refresh(x), time(NULL), &d);
	log_debug(22, 3, "cache %s: %s", x->cache_key, d.reason);
	/* Squid revalidates on a client max-age=0 even at age 0 */
	if (v == CACHE_FRESH && rcc.max_age == 0 &&
	    !(m.cc_flags & (CACHE_RESP_IMMUTABLE | CACHE_META_NEGATIVE)))
		v = CACHE_STALE;
	if (v == CACHE_STALE_SWR)
		cache_revalidate_in_background(x, &m);
	if (v == CACHE_FRESH || v == CACHE_STALE_SWR) {
		cache_serve(x, &m, d.age, x->cf_leader == -1 ? "TCP_CF_HIT" :
		    (m.cc_flags & CACHE_META_NEGATIVE) ? "TCP_NEGATIVE_HIT" :
		    "TCP_MEM_HIT");
		return 1;
	}
	if (d.only_if_cached) {
		snprintf(x->result_tag, sizeof(x->result_tag), "TCP_MISS");
		xact_error(x, 504, "ERR_ONLY_IF_CACHED_MISS", 0);
		return 1;
	}
	if (v == CACHE_STALE) {
		char cond[1024];
		if (cache_rules_conditional_headers(&m, cond, sizeof(cond)) > 0) {
			x->revalidating = 1;
			x->cache_cond = xstrdup(cond);
			return 0;
		}
	}
	/* reload, or nothing to revalidate with: a plain fetch */
	memcache_release(x->hit);
	x->hit = NULL;
	return 0;
}

/*
 * stale-while-revalidate: the client gets the stale copy now, and a
 * transaction of our own revalidates it (once across workers: the same
 * in-flight mark as collapsed forwarding).
 */
static void
cache_revalidate_in_background(const struct xact *x, const struct cache_meta *m)
{
	char cond[1024];

	if (heritage.memcache == NULL || cache_cf_busy(x->cache_key, 1) ||
	    cache_rules_conditional_headers(m, cond, sizeof(cond)) == 0)
		return;
	struct xact *b = xact_background(x);
	b->cache_base_key = xstrdup(x->cache_base_key);
	b->cache_key = xstrdup(x->cache_key);
	b->cache_ok = 1;
	b->may_store = 1;
	b->revalidating = 1;
	b->cache_cond = xstrdup(cond);
	b->hit = memcache_get(heritage.memcache, b->cache_key,
	    strlen(b->cache_key));
	struct cache_meta held;
	if (b->hit == NULL || cache_open_object(b, &held) == -1) {
		xact_detached_end(b, 0);
		return;
	}
	cache_cf_announce(b->cache_key, 1);
	b->cf_announced = 1;
	log_debug(22, 2, "revalidating %s in the background", b->url_str);
	forward_start(b);
}

/* After an unsafe method's success: drop the URLs it may have changed. */
static void
cache_invalidate(struct xact *x)
{
	static struct cache_invalidation inv;

	if (cache_rules_method_is_safe(x->method, strlen(x->method)))
		return;
	int n = cache_rules_invalidations(&x->req, &x->rep, x->url_str, &inv);
	for (int i = 0; i < n; i++) {
		char *key = xasprintf("GET %s", inv.url[i]);
		cache_mem_delete_all(key);
		cache_disk_delete(key, NULL, NULL);
		free(key);
	}
}

/* The 304 answering a revalidation: refresh the stored head, serve it. */
static int
cache_revalidated(struct xact *x)
{
	struct cache_meta m;
	static char head[65536];
	struct http_msg merged;
	struct http_parse_error err;
	uint8_t blob[CACHE_META_BLOB_MAX];
	time_t now = time(NULL);

	size_t hl = cache_rules_merge_304(&x->hit_msg, &x->rep, now, head,
	    sizeof(head));
	if (hl >= sizeof(head))
		return 0;
	memset(&merged, 0, sizeof(merged));
	if (http_parse_response(&merged, head, hl, hl, "GET", 3, &err) !=
	    HTTP_PARSE_OK) {
		http_msg_free(&merged);
		return 0;
	}
	cache_meta_build(x, &m, &merged, x->request_time, now);
	m.status = x->hit_msg.status;
	size_t ml = cache_rules_meta_serialize(&m, blob, sizeof(blob));
	http_msg_free(&merged);
	if (ml == 0)
		return 0;
	struct buf meta;
	buf_init(&meta);
	buf_append(&meta, "O", 1);
	unsigned char l2[2] = { ml & 0xff, (ml >> 8) & 0xff };
	buf_append(&meta, l2, 2);
	buf_append(&meta, blob, ml);
	buf_append(&meta, head, hl);
	if (x->hit != NULL) {
		memcache_ref_update_meta(x->hit, buf_head(&meta),
		    buf_avail(&meta));
		buf_free(&meta);
		/* serve the refreshed object from the (new) stored copy */
		memcache_release(x->hit);
		x->hit = memcache_get(heritage.memcache, x->cache_key,
		    strlen(x->cache_key));
		if (x->hit == NULL || cache_open_object(x, &m) == -1)
			return 0;
	} else {
		/* a disk object: serve it with the new head, write that
		 * back to its cache_dir so that later requests are hits,
		 * and keep the refreshed copy in memory when it fits */
		int i = cache_store_for(x->cache_key);
		if (i != -1)
			store_client_update(cache_stores[i], x->cache_key,
			    strlen(x->cache_key), x->hit_meta, x->hit_meta_len,
			    buf_head(&meta), buf_avail(&meta), NULL, NULL);
		free(x->hit_meta);
		x->hit_meta_len = buf_avail(&meta);
		x->hit_meta = xmalloc(x->hit_meta_len);
		memcpy(x->hit_meta, buf_head(&meta), x->hit_meta_len);
		buf_free(&meta);
		if (cache_parse_meta(x, (const unsigned char *)x->hit_meta,
		    x->hit_meta_len, &m) == -1)
			return 0;
		cache_promote(x);
	}
	struct srv *s = x->srv;
	x->srv = NULL;
	if (x->rep.keep_alive && x->reqbody.done &&
	    worker_cfg->server_persistent_connections)
		pconn_put(s);
	else
		srv_close(s);
	if (x->detached) {		/* a background revalidation: done */
		xact_detached_end(x, 0);
		return 1;
	}
	cache_serve(x, &m, cache_rules_current_age(&m, now),
	    "TCP_REFRESH_UNMODIFIED");
	return 1;
}

int
cache_on_upstream_failure(struct xact *x)
{
	struct cache_meta m;
	struct cache_req_cc rcc;

	snprintf(x->result_tag, sizeof(x->result_tag), "TCP_REFRESH_FAIL_ERR");
	if (x->detached || cache_reopen(x, &m) == -1)
		return 0;
	cache_rules_req_cc(&x->req, &rcc);
	if (!cache_rules_stale_on_error(&m, &rcc, cache_refresh(x), 0,
	    time(NULL), worker_cfg->max_stale / 1000))
		return 0;
	cache_serve(x, &m, cache_rules_current_age(&m, time(NULL)),
	    "TCP_REFRESH_FAIL_OLD");
	return 1;
}

/*
 * A POST response with explicit freshness that names the target as its
 * Content-Location is a representation of it (RFC 9110 9.3.3): store it
 * under the GET key, after the invalidation the POST itself caused.
 */
static void
cache_post_store(struct xact *x)
{
	struct cache_meta m;
	time_t now = time(NULL);

	if (strcmp(x->method, "POST") != 0 || x->cache_base_key != NULL)
		return;
	cache_meta_build(x, &m, &x->rep, now, now);
	if (!cache_rules_post_reusable(&x->req, &x->rep, &m, x->url_str))
		return;
	x->cache_base_key = xasprintf("GET %s", x->url_str);
	x->cache_key = xstrdup(x->cache_base_key);
	x->may_store = 1;
}

int
cache_on_response(struct xact *x)
{
	int status = x->rep.status;

	if (!x->cache_ok)
		return 0;
	if (status >= 200 && status < 400) {
		cache_invalidate(x);
		cache_post_store(x);
	}
	if (x->revalidating && (x->hit != NULL || x->hit_fd != -1)) {
		struct cache_meta m;
		struct cache_req_cc rcc;
		if (status == 304)
			return cache_revalidated(x);
		cache_rules_req_cc(&x->req, &rcc);
		if (status >= 500 && x->detached) {
			/* background revalidation failed: keep the stale copy */
			xact_detached_end(x, 0);
			return 1;
		}
		if (status >= 500 && cache_reopen(x, &m) == 0 &&
		    cache_rules_stale_on_error(&m, &rcc, cache_refresh(x),
		    status, time(NULL), worker_cfg->max_stale / 1000)) {
			srv_close(x->srv);
			x->srv = NULL;
			cache_serve(x, &m, cache_rules_current_age(&m,
			    time(NULL)), "TCP_REFRESH_FAIL_OLD");
			return 1;
		}
		snprintf(x->result_tag, sizeof(x->result_tag), "%s",
		    status >= 500 ? "TCP_REFRESH_FAIL_ERR" :
		    "TCP_REFRESH_MODIFIED");
		cache_drop_held(x);
	}
	if (!x->may_store)
		return 0;
	const char *why = NULL;
	time_t now = time(NULL);
	struct cache_meta rm;
	cache_meta_build(x, &rm, &x->rep, now, now);
	if (!cache_rules_storable_meta(&x->req, &x->rep, &rm, cache_refresh(x),
	    now, worker_cfg->minimum_expiry_time / 1000,
	    worker_cfg->negative_ttl / 1000, &why))
		log_debug(22, 3, "not storing %s: %s", x->url_str, why);
	else
		cache_start_storing(x);
	/* nothing will be stored: the followers need not wait for the body */
	if (!x->storing && x->cf != NULL && x->cf_leader == 1)
		cache_cf_wake(x);
	return 0;
}

const char *
cache_status_fwd(const struct xact *x)
{
	return x->revalidating ? "fwd=stale" : "fwd=uri-miss";
}
