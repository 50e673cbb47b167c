/*
 * The cache path of a transaction.  Objects live in the shared memory cache
 * under "GET <url>", <url> being the request's store ID when the
 * store_id_program gave one (storeid.c); a response with Vary is stored as
 * a marker under that
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
 *
 * In DESIGN.md's data flow: cache lookup (memory, then store) - fresh: serve
 * / stale: revalidate upstream.
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
#include "hdr_mangle.h"
#include "xact.h"
#include "errpage.h"
#include "forward.h"
#include "heritage.h"
#include "log.h"
#include "memcache.h"
#include "pconn.h"
#include "storeid.h"
#include "store_client.h"
#include "util.h"
#include "worker.h"


void
cache_release(struct xact *x)
{
	if (x->cache.hit != NULL) {
		memcache_release(x->cache.hit);
		x->cache.hit = NULL;
	}
	if (x->cache.store_req != 0) {
		store_client_cancel(cache_stores[x->cache.store_idx],
		    x->cache.store_req);
		x->cache.store_req = 0;
	}
	if (x->cache.disk_job != NULL)
		cache_disk_finish(x, 0);
	free(x->cache.store_key);
	x->cache.store_key = NULL;
	if (x->cf.announced && x->cf.group == NULL) {
		cache_cf_unmark(x->cache.key);
		x->cf.announced = 0;
	}
	if (x->cf.group != NULL)
		cache_cf_release(x);
	if (x->cache.hit_fd != -1) {
		close(x->cache.hit_fd);
		x->cache.hit_fd = -1;
	}
	free(x->cache.hit_meta);
	x->cache.hit_meta = NULL;
	free(x->cache.vary_marker);
	x->cache.vary_marker = NULL;
	http_msg_free(&x->cache.hit_msg);
	free(x->cache.key);
	free(x->cache.base_key);
	free(x->cache.cond);
	x->cache.key = x->cache.base_key = x->cache.cond = NULL;
	buf_free(&x->cache.store_body);
	buf_free(&x->cache.store_head);
}

const struct cfg_refresh *
cache_refresh(const struct xact *x)
{
	/* Squid: with a store ID, refresh_pattern applies to it */
	return cache_rules_refresh_match(worker_cfg->refresh_patterns,
	    storeid_url(x));
}

/*
 * Squid's reload_into_ims and refresh_all_ims: what the refresh_pattern
 * options of the same names do, for every URL.
 */
void
cache_request_cc(const struct xact *x, struct cache_req_cc *rcc)
{
	cache_rules_req_cc(&x->req, rcc);
	if (worker_cfg->reload_into_ims)
		rcc->refresh_flags |= CFG_REFRESH_RELOAD_INTO_IMS;
	if (worker_cfg->refresh_all_ims)
		rcc->refresh_flags |= CFG_REFRESH_REFRESH_IMS;
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
	x->cache.hit_head = (const char *)p + 3 + mlen;
	x->cache.hit_head_len = len - 3 - mlen;
	http_msg_free(&x->cache.hit_msg);
	memset(&x->cache.hit_msg, 0, sizeof(x->cache.hit_msg));
	if (http_parse_response(&x->cache.hit_msg, x->cache.hit_head, x->cache.hit_head_len,
	    x->cache.hit_head_len, "GET", 3, &err) != HTTP_PARSE_OK)
		return -1;
	return 0;
}

/* Re-read the held object's metadata, from memory or from a disk hit. */
static int
cache_reopen(struct xact *x, struct cache_meta *m)
{
	if (x->cache.hit != NULL)
		return cache_open_object(x, m);
	if (x->cache.hit_fd != -1 && x->cache.hit_meta != NULL)
		return cache_parse_meta(x, (const unsigned char *)x->cache.hit_meta,
		    x->cache.hit_meta_len, m);
	return -1;
}

/* Let go of the held object (a new response replaces it). */
static void
cache_drop_held(struct xact *x)
{
	if (x->cache.hit != NULL) {
		memcache_release(x->cache.hit);
		x->cache.hit = NULL;
	}
	if (x->cache.hit_fd != -1) {
		close(x->cache.hit_fd);
		x->cache.hit_fd = -1;
	}
}

int
cache_open_object(struct xact *x, struct cache_meta *m)
{
	size_t len;
	const unsigned char *p = memcache_ref_meta(x->cache.hit, &len);

	if (cache_parse_meta(x, p, len, m) == -1)
		return -1;
	x->cache.hit_len = memcache_ref_body_len(x->cache.hit);
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
	r = memcache_get(heritage.memcache, x->cache.key, strlen(x->cache.key));
	if (r == NULL)
		return NULL;
	const char *p = memcache_ref_meta(r, &len);
	if (!cache_vary_is_marker(p, len))
		return r;
	char *key = cache_vary_variant_key(x, p, len);
	memcache_release(r);
	if (key == NULL)
		return NULL;
	free(x->cache.key);
	x->cache.key = key;
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
	char *pkey = cache_partial_key(key);
	deleted |= memcache_delete(heritage.memcache, pkey, strlen(pkey)) > 0;
	free(pkey);
	return deleted;
}

static void cache_purge_reply(struct xact *x, int status);

static void
cache_purge_disk_answer(void *arg, const struct store_client_result *r)
{
	struct xact *x = arg;

	x->cache.store_req = 0;
	cache_purge_reply(x, r->status == STORE_CLIENT_OK ? 200 : 404);
}

static enum cache_route
cache_purge(struct xact *x)
{
	char *key = xasprintf("GET %s", storeid_url(x));
	int deleted = cache_mem_delete_all(key);

	if (deleted > 0) {
		cache_disk_delete(key, NULL, NULL);
	} else {
		/* the answer depends on what the cache_dir had */
		x->cache.store_idx = cache_store_for(key);
		x->cache.store_req = cache_disk_delete(key, cache_purge_disk_answer,
		    x);
		if (x->cache.store_req != 0) {
			free(key);
			return CACHE_ROUTE_LOOKUP;
		}
	}
	free(key);
	cache_purge_reply(x, deleted > 0 ? 200 : 404);
	return CACHE_ROUTE_HANDLED;
}

static void
cache_purge_reply(struct xact *x, int status)
{
	struct conn *c = x->conn;
	size_t rel = buf_avail(&c->out);

	xact_tag(x, "TCP_MISS");
	x->log.status = status;
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nServer: %s\r\n"
	    "Content-Length: 0\r\nConnection: %s\r\n\r\n", status,
	    errpage_reason(status), worker_appname(),
	    x->keep_client ? "keep-alive" : "close");
	hdr_mangle_head(x, HDR_MANGLE_REPLY, NULL, &c->out, rel);
	xact_send_local(x);
}

/*
 * send_hit: may the stored response (x->cache.hit_msg) be served?  A fast
 * list, checked with the stored reply as Squid does; when in doubt, no.
 */
static int
cache_send_hit_allowed(const struct xact *x)
{
	struct acl_checklist cl;
	int action = ACCESS_ALLOW;

	if (worker_cfg->send_hit.head == NULL)
		return 1;
	xact_checklist(x, &cl);
	cl.reply = &x->cache.hit_msg;
	cl.status = x->cache.hit_msg.status;
	return access_check(&worker_cfg->send_hit, &cl, ACCESS_ALLOW, &action,
	    NULL) == ACL_MATCH && action == ACCESS_ALLOW;
}

/*
 * The one verdict on a stored object (m), memory or disk alike, or on
 * nothing stored (m NULL): serve, revalidate, fetch or 504.
 */
static void
cache_verdict_for(struct xact *x, const struct cache_meta *m, int on_disk,
    struct cache_outcome *v)
{
	struct cache_req_cc rcc;
	struct cache_plan p;

	cache_request_cc(x, &rcc);
	/* refresh_pattern's regexes only when there is something stored */
	cache_rules_plan(m, &x->req, &rcc, m != NULL ? cache_refresh(x) : NULL,
	    time(NULL), &p);
	/* Squid serves a negative hit before asking send_hit */
	if (m != NULL && !(p.action == CACHE_PLAN_SERVE && p.negative) &&
	    !cache_send_hit_allowed(x)) {
		log_debug(22, 3, "send_hit forces a MISS: %s", x->url_str);
		m = NULL;
		cache_rules_plan(NULL, &x->req, &rcc, NULL, time(NULL), &p);
	}
	log_debug(22, 3, "cache %s: %s", x->cache.key ? x->cache.key :
	    x->url_str, p.reason);
	v->age = p.age;
	v->tag = NULL;
	if (m != NULL)
		v->meta = *m;
	switch (p.action) {
	case CACHE_PLAN_SERVE:
	case CACHE_PLAN_SERVE_STALE:
		v->route = p.action == CACHE_PLAN_SERVE ? CACHE_ROUTE_SERVE :
		    CACHE_ROUTE_SERVE_STALE;
		/* a woken follower is logged as Squid does: off disk a miss */
		if (x->cf.leader == -1)
			v->tag = on_disk ? "TCP_CF_MISS" : "TCP_CF_HIT";
		else if (p.negative)
			v->tag = "TCP_NEGATIVE_HIT";
		else
			v->tag = on_disk ? "TCP_HIT" : "TCP_MEM_HIT";
		return;
	case CACHE_PLAN_ONLY_IF_CACHED:
		v->route = CACHE_ROUTE_ONLY_IF_CACHED;
		return;
	case CACHE_PLAN_REVALIDATE:
		x->cache.revalidating = 1;
		free(x->cache.cond);
		x->cache.cond = xstrndup(p.cond, p.cond_len);
		v->route = CACHE_ROUTE_REVALIDATE;
		return;
	case CACHE_PLAN_FETCH:
		/* reload, or nothing to revalidate with: a plain fetch */
		cache_drop_held(x);
		v->route = CACHE_ROUTE_FETCH;
		return;
	}
}

void
cache_answer(struct xact *x, const struct cache_meta *m, int on_disk,
    struct cache_outcome *v)
{
	cache_verdict_for(x, m, on_disk, v);
	/* nothing to serve: concurrent misses may wait for one fetch */
	if (v->route == CACHE_ROUTE_FETCH && worker_cfg->collapsed_forwarding &&
	    cache_collapse(x))
		v->route = CACHE_ROUTE_COLLAPSED;
}

void
cache_lookup(struct xact *x, struct cache_outcome *v)
{
	struct cache_meta m;
	int is_get = strcmp(x->method, "GET") == 0;
	int is_head = strcmp(x->method, "HEAD") == 0;

	v->route = CACHE_ROUTE_FETCH;
	if ((heritage.memcache == NULL && cache_nstores == 0) ||
	    (strcmp(x->url.scheme, "http") != 0 &&
	    strcmp(x->url.scheme, "https") != 0))
		return;
	if (worker_cfg->cache_access.head != NULL) {
		struct acl_checklist cl;
		int action = ACCESS_ALLOW;
		xact_checklist(x, &cl);
		if (access_check(&worker_cfg->cache_access, &cl, ACCESS_ALLOW,
		    &action, NULL) != ACL_MATCH || action != ACCESS_ALLOW)
			return;
	}
	x->cache.ok = 1;
	if (strcmp(x->method, "PURGE") == 0 && worker_cfg->acls.has_purge) {
		v->route = cache_purge(x);
		return;
	}
	if (!is_get && !is_head)
		return;
	free(x->cache.key);
	free(x->cache.base_key);
	x->cache.base_key = xasprintf("GET %s", storeid_url(x));
	x->cache.key = xstrdup(x->cache.base_key);
	x->cache.may_store = is_get;

	x->cache.hit = cache_get_variant(x);
	if (x->cache.hit != NULL && cache_open_object(x, &m) == -1) {
		memcache_release(x->cache.hit);
		x->cache.hit = NULL;
	}
	if (x->cache.hit != NULL)
		cache_answer(x, &m, 0, v);
	else if (http_msg_header(&x->req, "Range") != NULL &&
	    cache_partial_lookup(x, v))
		return;
	else if (cache_disk_lookup(x))
		v->route = CACHE_ROUTE_LOOKUP;
	else
		cache_answer(x, NULL, 0, v);
}

/*
 * stale-while-revalidate: the client gets the stale copy now, and a
 * transaction of our own revalidates it (once across workers: the same
 * in-flight mark as collapsed forwarding, so only with a memory cache to
 * hold the mark).  A disk object's copy is held through its own
 * descriptor.
 */
struct xact *
cache_background(const struct xact *x, const struct cache_meta *m)
{
	char cond[1024];
	struct cache_meta held;
	int ok;

	if (heritage.memcache == NULL || cache_cf_busy(x->cache.key, 1) ||
	    cache_rules_conditional_headers(m, cond, sizeof(cond)) == 0)
		return NULL;
	struct xact *b = xact_background(x);
	b->cache.base_key = xstrdup(x->cache.base_key);
	if (x->rw.store_id != NULL) {
		b->rw.store_id = xstrdup(x->rw.store_id);
		b->log.store_id = b->rw.store_id;
	}
	b->cache.key = xstrdup(x->cache.key);
	b->cache.ok = 1;
	b->cache.may_store = 1;
	b->cache.revalidating = 1;
	b->cache.cond = xstrdup(cond);
	if (x->cache.hit != NULL) {
		b->cache.hit = memcache_get(heritage.memcache, b->cache.key,
		    strlen(b->cache.key));
		ok = b->cache.hit != NULL && cache_open_object(b, &held) == 0;
	} else {
		b->cache.hit_fd = dup(x->cache.hit_fd);
		b->cache.hit_file_off = x->cache.hit_file_off;
		b->cache.hit_len = x->cache.hit_len;
		b->cache.hit_meta_len = x->cache.hit_meta_len;
		b->cache.hit_meta = xmalloc(x->cache.hit_meta_len + 1);
		memcpy(b->cache.hit_meta, x->cache.hit_meta,
		    x->cache.hit_meta_len);
		if (x->cache.vary_marker != NULL) {
			b->cache.vary_marker_len = x->cache.vary_marker_len;
			b->cache.vary_marker = xmalloc(
			    x->cache.vary_marker_len);
			memcpy(b->cache.vary_marker, x->cache.vary_marker,
			    x->cache.vary_marker_len);
		}
		ok = b->cache.hit_fd != -1 && cache_parse_meta(b,
		    (const unsigned char *)b->cache.hit_meta,
		    b->cache.hit_meta_len, &held) == 0;
	}
	if (!ok) {
		xact_end(b, XACT_ABORT, NULL, "stored object gone");
		return NULL;
	}
	if (!cache_cf_claim(b->cache.key)) {
		xact_end(b, XACT_ABORT, NULL, "revalidated by another worker");
		return NULL;
	}
	b->cf.announced = 1;
	log_debug(22, 2, "revalidating %s in the background", b->url_str);
	return b;
}

/* After an unsafe method's success: drop the URLs it may have changed. */
static void
cache_invalidate(struct xact *x)
{
	if (cache_rules_method_is_safe(x->method, strlen(x->method)))
		return;
	/* 24 KiB of URLs: not on the stack, and an unsafe method is rare */
	struct cache_invalidation *inv = xmalloc(sizeof(*inv));
	int n = cache_rules_invalidations(&x->req, &x->rep, x->url_str, inv);
	for (int i = 0; i < n; i++) {
		char *key = xasprintf("GET %s", inv->url[i]);
		cache_mem_delete_all(key);
		cache_disk_delete(key, NULL, NULL);
		free(key);
	}
	free(inv);
}

/* Largest stored head a 304 may refresh. */
#define CACHE_MERGED_HEAD_MAX	65536

/*
 * The head of the stored object, refreshed by the 304 answering its
 * revalidation, as a metadata blob in meta; -1 when it cannot be.
 */
static int
cache_merge_304(struct xact *x, time_t now, struct buf *meta)
{
	struct cache_meta m;
	struct http_msg merged;
	struct http_parse_error err;
	uint8_t blob[CACHE_META_BLOB_MAX];
	char *head = xmalloc(CACHE_MERGED_HEAD_MAX);
	int ret = -1;

	size_t hl = cache_rules_merge_304(&x->cache.hit_msg, &x->rep, now,
	    head, CACHE_MERGED_HEAD_MAX);
	memset(&merged, 0, sizeof(merged));
	if (hl < CACHE_MERGED_HEAD_MAX && http_parse_response(&merged, head,
	    hl, hl, "GET", 3, &err) == HTTP_PARSE_OK) {
		cache_meta_build(x, &m, &merged, x->cache.request_time, now);
		m.status = x->cache.hit_msg.status;
		size_t ml = cache_rules_meta_serialize(&m, blob, sizeof(blob));
		if (ml > 0) {
			unsigned char l2[2] = { ml & 0xff, (ml >> 8) & 0xff };
			buf_append(meta, "O", 1);
			buf_append(meta, l2, 2);
			buf_append(meta, blob, ml);
			buf_append(meta, head, hl);
			ret = 0;
		}
	}
	http_msg_free(&merged);
	free(head);
	return ret;
}

/*
 * The 304 answering a revalidation: refresh the stored head, then serve
 * it (v), or end a background revalidation.  0 when the 304 cannot be
 * merged: it goes to the client as it is.
 */
static int
cache_revalidated(struct xact *x, struct cache_outcome *v)
{
	struct cache_meta m;
	struct buf meta;
	time_t now = time(NULL);

	buf_init(&meta);
	if (cache_merge_304(x, now, &meta) == -1) {
		buf_free(&meta);
		return 0;
	}
	if (x->cache.hit != NULL) {
		memcache_ref_update_meta(x->cache.hit, buf_head(&meta),
		    buf_avail(&meta));
		buf_free(&meta);
		/* serve the refreshed object from the (new) stored copy */
		memcache_release(x->cache.hit);
		x->cache.hit = memcache_get(heritage.memcache, x->cache.key,
		    strlen(x->cache.key));
		if (x->cache.hit == NULL || cache_open_object(x, &m) == -1)
			return 0;
	} else {
		/* a disk object: serve it with the new head, write that
		 * back to its cache_dir so that later requests are hits,
		 * and keep the refreshed copy in memory when it fits */
		int i = cache_store_for(x->cache.key);
		if (i != -1)
			store_client_update(cache_stores[i], x->cache.key,
			    strlen(x->cache.key), x->cache.hit_meta,
			    x->cache.hit_meta_len, buf_head(&meta),
			    buf_avail(&meta), NULL, NULL);
		free(x->cache.hit_meta);
		x->cache.hit_meta_len = buf_avail(&meta);
		x->cache.hit_meta = xmalloc(x->cache.hit_meta_len);
		memcpy(x->cache.hit_meta, buf_head(&meta),
		    x->cache.hit_meta_len);
		buf_free(&meta);
		if (cache_parse_meta(x, (const unsigned char *)
		    x->cache.hit_meta, x->cache.hit_meta_len, &m) == -1)
			return 0;
		cache_promote(x);
	}
	if (x->detached) {		/* a background revalidation: done */
		v->route = CACHE_ROUTE_END;
		return 1;
	}
	v->route = CACHE_ROUTE_SERVE;
	v->meta = m;
	v->age = cache_rules_current_age(&m, now);
	v->tag = "TCP_REFRESH_UNMODIFIED";
	return 1;
}

/* stale-if-error and max_stale: may the held object stand in for status? */
static int
cache_stale_on_error(struct xact *x, int status, struct cache_outcome *v)
{
	struct cache_meta m;
	struct cache_req_cc rcc;
	time_t now = time(NULL);

	if (x->detached || cache_reopen(x, &m) == -1)
		return 0;
	cache_request_cc(x, &rcc);
	if (!cache_rules_stale_on_error(&m, &rcc, cache_refresh(x), status,
	    now, worker_cfg->max_stale / 1000))
		return 0;
	v->route = CACHE_ROUTE_SERVE;
	v->meta = m;
	v->age = cache_rules_current_age(&m, now);
	v->tag = "TCP_REFRESH_FAIL_OLD";
	return 1;
}

int
cache_on_upstream_failure(struct xact *x, struct cache_outcome *v)
{
	xact_tag(x, "TCP_REFRESH_FAIL_ERR");
	return cache_stale_on_error(x, 0, v);
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

	if (strcmp(x->method, "POST") != 0 || x->cache.base_key != NULL)
		return;
	cache_meta_build(x, &m, &x->rep, now, now);
	if (!cache_rules_post_reusable(&x->req, &x->rep, &m, x->url_str))
		return;
	x->cache.base_key = xasprintf("GET %s", storeid_url(x));
	x->cache.key = xstrdup(x->cache.base_key);
	x->cache.may_store = 1;
}

/*
 * store_miss: may this storable response be kept?  A fast list, checked
 * with the reply as Squid does; when in doubt, no.
 */
static int
cache_store_miss_allowed(const struct xact *x)
{
	struct acl_checklist cl;
	int action = ACCESS_ALLOW;

	if (worker_cfg->store_miss.head == NULL)
		return 1;
	xact_checklist(x, &cl);
	return access_check(&worker_cfg->store_miss, &cl, ACCESS_ALLOW,
	    &action, NULL) == ACL_MATCH && action == ACCESS_ALLOW;
}

int
cache_on_response(struct xact *x, struct cache_outcome *v)
{
	int status = x->rep.status;

	if (!x->cache.ok)
		return 0;
	if (status >= 200 && status < 400) {
		cache_invalidate(x);
		cache_post_store(x);
	}
	if (x->cache.revalidating && (x->cache.hit != NULL ||
	    x->cache.hit_fd != -1)) {
		if (status == 304)
			return cache_revalidated(x, v);
		if (status >= 500 && x->detached) {
			/* background revalidation failed: keep the stale copy */
			v->route = CACHE_ROUTE_END;
			return 1;
		}
		if (status >= 500 && cache_stale_on_error(x, status, v))
			return 1;
		xact_tag(x, status >= 500 ? "TCP_REFRESH_FAIL_ERR" :
		    "TCP_REFRESH_MODIFIED");
		cache_drop_held(x);
	}
	/* cache_peer proxy-only: what that peer sends is not kept here */
	if (!x->cache.may_store || (xact_peer(x) != NULL &&
	    xact_peer(x)->proxy_only))
		return 0;
	const char *why = NULL;
	time_t now = time(NULL);
	struct cache_meta rm;
	cache_meta_build(x, &rm, &x->rep, now, now);
	if (!cache_rules_storable_meta(&x->req, &x->rep, &rm, cache_refresh(x),
	    now, worker_cfg->minimum_expiry_time / 1000,
	    worker_cfg->negative_ttl / 1000, &why))
		log_debug(22, 3, "not storing %s: %s", x->url_str, why);
	else if (!cache_store_miss_allowed(x))
		log_debug(22, 3, "store_miss prohibits caching %s", x->url_str);
	else
		cache_start_storing(x);
	/* nothing will be stored: the followers need not wait for the body */
	if (!x->cache.storing && x->cf.group != NULL && x->cf.leader == 1)
		cache_cf_wake(x);
	return 0;
}

const char *
cache_status_fwd(const struct xact *x)
{
	return x->cache.revalidating ? "fwd=stale" : "fwd=uri-miss";
}
