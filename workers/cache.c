/*
 * The cache path of a transaction.  Objects live in the shared memory cache
 * under "GET <url>"; a response with Vary is stored as a marker under that
 * key (holding the Vary field names) plus the object under
 * "GET <url>\n<vary key>".  An object's metadata blob is
 *   'O' | u16 meta length | cache_meta blob | stored head text
 * where the stored head has no framing or hop-by-hop headers; the body is
 * the payload, de-chunked.  A hit is written with writev straight from the
 * shared pages.
 */
#include "config.h"
#include "cache.h"
#include "acl.h"
#include "cache_rules.h"
#include "cfg.h"
#include "conn.h"
#include "errpage.h"
#include "forward.h"
#include "headers.h"
#include "log.h"
#include "memcache.h"
#include "pconn.h"
#include "store_client.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CACHE_IOV_MAX	512	/* 2 MiB of 4 KiB pages per writev */
#define CACHE_KEY_MAX	(16 * 1024)

struct memcache *cache_memory;

#define CACHE_STORES_MAX 32

static int cache_store_fds[CACHE_STORES_MAX];
static struct store_client *cache_stores[CACHE_STORES_MAX];
static int cache_nstores;

void
cache_set_stores(const int *fds, int n)
{
	cache_nstores = n < CACHE_STORES_MAX ? n : CACHE_STORES_MAX;
	for (int i = 0; i < cache_nstores; i++)
		cache_store_fds[i] = fds[i];
}

void
cache_init(void)
{
	for (int i = 0; i < cache_nstores; i++)
		cache_stores[i] = cache_store_fds[i] == -1 ? NULL :
		    store_client_new(cache_store_fds[i]);
}

/* The cache_dir that holds key: spread by hash, fixed for a key. */
static int
cache_store_for(const char *key)
{
	uint32_t h = 2166136261u;

	if (cache_nstores == 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	int i = (int)(h % (uint32_t)cache_nstores);
	return cache_stores[i] != NULL ? i : -1;
}

static void cache_hit_pump(struct xact *x);
static void cache_cf_release(struct xact *x);
static void cache_cf_wake(struct xact *leader);
static void cache_cf_announce(const char *key, int on);
static int cache_cf_busy(const char *key, int any_owner);
static int cache_open_object(struct xact *x, struct cache_meta *m);
static void cache_revalidate_in_background(const struct xact *x,
    const struct cache_meta *m);
static void cache_start_storing(struct xact *x);
static void cache_disk_finish(struct xact *x, int complete);

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
	http_msg_free(&x->hit_msg);
	free(x->cache_key);
	free(x->cache_base_key);
	free(x->cache_cond);
	x->cache_key = x->cache_base_key = x->cache_cond = NULL;
	buf_free(&x->store_body);
	buf_free(&x->store_head);
}

static const struct cfg_refresh *
cache_refresh(const struct xact *x)
{
	return cache_rules_refresh_match(worker_cfg->refresh_patterns,
	    x->url_str);
}

/* Split an object's metadata blob (memory or disk) into its parts. */
static int
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

/* The stored head of a response: its end-to-end headers, no framing. */
static void
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

/* Head of a response served from the cache. */
static void
cache_hit_head(struct xact *x, int status, int64_t age, int64_t length,
    const char *extra)
{
	struct conn *c = x->conn;
	const struct http_msg *m = &x->hit_msg;
	const char *host = worker_hostname();

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
		/* RFC 9110 15.4.5: a 304 carries no content headers */
		if (status == 304 && (util_strcaseeq_n(h->name, h->name_len,
		    "Content-Type") || util_strcaseeq_n(h->name, h->name_len,
		    "Content-Encoding") || util_strcaseeq_n(h->name,
		    h->name_len, "Content-Language")))
			continue;
		buf_append(&c->out, h->name, h->name_len);
		buf_append(&c->out, ": ", 2);
		buf_append(&c->out, h->value, h->value_len);
		buf_append(&c->out, "\r\n", 2);
	}
	if (length >= 0)
		buf_printf(&c->out, "Content-Length: %lld\r\n",
		    (long long)length);
	if (extra != NULL)
		buf_append(&c->out, extra, strlen(extra));
	buf_printf(&c->out, "Age: %lld\r\n", (long long)(age > 0 ? age : 0));
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
}

static void
cache_log_mime(struct xact *x)
{
	static char mt[256];
	const struct http_header *ct = http_msg_header(&x->hit_msg,
	    "Content-Type");

	if (ct == NULL)
		return;
	size_t n = ct->value_len < sizeof(mt) - 1 ? ct->value_len :
	    sizeof(mt) - 1;
	memcpy(mt, ct->value, n);
	mt[n] = '\0';
	x->log.mime_type = mt;
}

/*
 * Does the request want a range of the stored body?  Only GET, and with
 * If-Range only when it names the stored validator (RFC 9110 13.1.5).
 */
static int
cache_range_wanted(const struct xact *x, const struct cache_meta *m)
{
	const struct http_header *ir;

	if (strcmp(x->method, "GET") != 0 ||
	    http_msg_header(&x->req, "Range") == NULL)
		return 0;
	if ((ir = http_msg_header(&x->req, "If-Range")) == NULL)
		return 1;
	if (ir->value_len > 0 && ir->value[0] == '"')
		return m->etag_len == ir->value_len &&
		    memcmp(m->etag, ir->value, ir->value_len) == 0;
	const struct http_header *lm = http_msg_header(&x->hit_msg,
	    "Last-Modified");
	return lm != NULL && lm->value_len == ir->value_len &&
	    memcmp(lm->value, ir->value, lm->value_len) == 0;
}

/*
 * Answer from the stored object: the client's own conditionals first, then
 * the whole stored response or the range asked for (body omitted for HEAD).
 */
static void
cache_serve(struct xact *x, const struct cache_meta *m, int64_t age,
    const char *tag)
{
	int status = cache_rules_client_conditional(m, &x->req);
	int head_only = strcmp(x->method, "HEAD") == 0;

	snprintf(x->result_tag, sizeof(x->result_tag), "%s", tag);
	if (status == 304 || status == 412) {
		if (strcmp(tag, "TCP_MEM_HIT") == 0 ||
		    strcmp(tag, "TCP_NEGATIVE_HIT") == 0)
			snprintf(x->result_tag, sizeof(x->result_tag), "%s",
			    http_msg_header(&x->req, "If-None-Match") ?
			    "TCP_INM_HIT" : "TCP_IMS_HIT");
		head_only = 1;
	} else {
		status = x->hit_msg.status;
	}
	x->hit_off = 0;
	char crange[128];
	int64_t length = status == 304 ? -1 : (int64_t)x->hit_len;
	const char *extra = NULL;
	if (status == 200 && cache_range_wanted(x, m)) {
		const struct http_header *r = http_msg_header(&x->req, "Range");
		int64_t first, last, size = (int64_t)x->hit_len;
		int rr = cache_rules_range(r->value, r->value_len, size, &first,
		    &last);
		if (rr == 1) {
			status = 206;
			snprintf(crange, sizeof(crange), "Content-Range: bytes "
			    "%lld-%lld/%lld\r\n", (long long)first,
			    (long long)last, (long long)size);
			extra = crange;
			x->hit_off = (uint64_t)first;
			x->hit_len = (uint64_t)last + 1;
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
		x->hit_len = x->hit_off;
	x->log.status = status;
	cache_log_mime(x);
	x->head_sent = 1;
	x->state = XS_HIT;
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
	xact_abort(x, "client write failed");
	return -1;
}

static void
cache_hit_pump(struct xact *x)
{
	struct conn *c = x->conn;

	for (int round = 0; round < 64; round++) {
		struct iovec iov[CACHE_IOV_MAX + 1];
		int n = 0;
		size_t bytes = 0;

		if (x->hit_fd != -1) {
			/*
			 * Disk hit: the head with MSG_MORE, so it leaves in
			 * the same segments as the start of the file.
			 */
			if (buf_avail(&c->out) > 0 && x->hit_off < x->hit_len) {
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
			if (buf_avail(&c->out) == 0 && x->hit_off < x->hit_len) {
				off_t off = (off_t)(x->hit_file_off + x->hit_off);
				ssize_t w = sendfile(c->fd, x->hit_fd, &off,
				    (size_t)(x->hit_len - x->hit_off));
				if (w == 0) {
					xact_abort(x, "cache file shorter "
					    "than its record");
					return;
				}
				int r = cache_wrote(x, w);
				if (r <= 0) {
					if (r == 0)
						break;
					return;
				}
				x->hit_off += (uint64_t)w;
				continue;
			}
		}
		if (buf_avail(&c->out) > 0) {
			iov[n].iov_base = buf_head(&c->out);
			iov[n++].iov_len = buf_avail(&c->out);
		}
		if (x->hit != NULL && x->hit_off < x->hit_len)
			n += memcache_ref_body_iov(x->hit, x->hit_off, iov + n,
			    CACHE_IOV_MAX, &bytes);
		if (n == 0) {
			xact_finish(x);
			return;
		}
		ssize_t w = writev(c->fd, iov, n);
		int r = cache_wrote(x, w);
		if (r <= 0) {
			if (r == 0)
				break;
			return;
		}
		size_t head = buf_avail(&c->out) < (size_t)w ?
		    buf_avail(&c->out) : (size_t)w;
		buf_consume(&c->out, head);
		x->hit_off += (uint64_t)w - head;
	}
	ev_io_set(&c->io, EPOLLOUT | EPOLLRDHUP);
}

void
cache_client_event(struct xact *x)
{
	cache_hit_pump(x);
}

/* Pin the object for key; follow a Vary marker to the request's variant. */
static struct memcache_ref *
cache_get_variant(struct xact *x)
{
	struct memcache_ref *r;
	size_t len;
	const char *p;
	char vkey[4096];

	if (cache_memory == NULL)
		return NULL;
	r = memcache_get(cache_memory, x->cache_key, strlen(x->cache_key));
	if (r == NULL)
		return NULL;
	p = memcache_ref_meta(r, &len);
	if (len == 0 || p[0] != 'V')
		return r;
	int n = cache_rules_vary_key_str(p + 1, strnlen(p + 1, len - 1),
	    &x->req, vkey, sizeof(vkey));
	memcache_release(r);
	if (n < 0)
		return NULL;
	char *key = xasprintf("%s\n%.*s", x->cache_base_key, n, vkey);
	free(x->cache_key);
	x->cache_key = key;
	return memcache_get(cache_memory, key, strlen(key));
}

/*
 * Delete key from the memory cache with every variant its Vary marker lists
 * ('V' names NUL vkey NUL vkey ...).  Returns 1 if anything was there.
 */
static int
cache_mem_delete_all(const char *key)
{
	struct memcache_ref *r;
	int deleted = 0;

	if (cache_memory == NULL)
		return 0;
	if ((r = memcache_get(cache_memory, key, strlen(key))) != NULL) {
		size_t len;
		const char *p = memcache_ref_meta(r, &len);
		if (len > 0 && p[0] == 'V') {
			const char *end = p + len;
			const char *v = memchr(p, '\0', len);
			while (v != NULL && ++v < end) {
				size_t vl = strnlen(v, (size_t)(end - v));
				char *vk = xasprintf("%s\n%.*s", key, (int)vl, v);
				deleted |= memcache_delete(cache_memory, vk,
				    strlen(vk)) > 0;
				free(vk);
				v += vl;
			}
		}
		memcache_release(r);
	}
	deleted |= memcache_delete(cache_memory, key, strlen(key)) > 0;
	return deleted;
}

static void
cache_ignore_result(void *arg, const struct store_client_result *r)
{
}

/* Drop key from the cache_dir too (fire and forget). */
static void
cache_disk_delete(const char *key)
{
	int i = cache_store_for(key);

	if (i != -1)
		store_client_delete(cache_stores[i], key, strlen(key),
		    cache_ignore_result, NULL);
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
	int i = cache_store_for(key);

	if (i != -1) {
		if (deleted > 0) {
			cache_disk_delete(key);
		} else {
			x->store_idx = i;
			x->store_req = store_client_delete(cache_stores[i], key,
			    strlen(key), cache_purge_disk_answer, x);
			if (x->store_req != 0) {
				free(key);
				x->state = XS_STORE;
				return 1;
			}
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

/*
 * collapsed_forwarding: concurrent misses for one key in this worker form a
 * group; the leader fetches, the followers wait and are then served from
 * what the leader stored (TCP_CF_HIT), or fetch themselves if it stored
 * nothing.
 */
struct cache_cf {
	char		*key;
	struct xact	*leader;
	struct xact	*followers;	/* linked through cf_next */
	struct cache_cf	*next;
};

static struct cache_cf *cache_cf_groups;

static struct cache_cf *
cache_cf_find(const char *key)
{
	for (struct cache_cf *g = cache_cf_groups; g != NULL; g = g->next)
		if (strcmp(g->key, key) == 0)
			return g;
	return NULL;
}

static void
cache_cf_unlink_group(struct cache_cf *g)
{
	for (struct cache_cf **pp = &cache_cf_groups; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g->key);
	free(g);
}

/* The leader is done (stored or not): let the followers go on. */
static void
cache_cf_wake(struct xact *leader)
{
	struct cache_cf *g = leader->cf;
	struct xact *f = g->followers;

	if (leader->cf_announced) {
		cache_cf_announce(leader->cache_key, 0);
		leader->cf_announced = 0;
	}
	leader->cf = NULL;
	g->leader = NULL;
	g->followers = NULL;
	cache_cf_unlink_group(g);
	while (f != NULL) {
		struct xact *next = f->cf_next;
		f->cf = NULL;
		f->cf_next = NULL;
		/* a second lookup: hit (TCP_CF_HIT), or a new group */
		f->cf_leader = -1;
		free(f->cache_key);
		free(f->cache_base_key);
		f->cache_key = f->cache_base_key = NULL;
		if (!cache_lookup(f))
			forward_start(f);
		f = next;
	}
}

static void
cache_cf_release(struct xact *x)
{
	struct cache_cf *g = x->cf;

	if (g == NULL)
		return;
	if (x->cf_leader == 1) {
		cache_cf_wake(x);
		return;
	}
	for (struct xact **pp = &g->followers; *pp; pp = &(*pp)->cf_next)
		if (*pp == x) {
			*pp = x->cf_next;
			break;
		}
	x->cf = NULL;
}

/*
 * Across workers, a miss in flight is announced in the shared memory cache
 * under "F <key>" (the fetching worker's pid and start time).  Another
 * worker's first request for the key then waits for that fetch, polling,
 * instead of fetching too; its own local followers wait behind it.
 */
#define CACHE_CF_POLL_MS	20
#define CACHE_CF_WAIT_S		30

struct cache_cf_mark {
	char		 type;		/* 'F' */
	int32_t		 pid;
	int64_t		 since;
};

static char *
cache_cf_mark_key(const char *key)
{
	return xasprintf("F %s", key);
}

/* Is another worker (any one, with any_owner) fetching key right now? */
static int
cache_cf_busy(const char *key, int any_owner)
{
	struct cache_cf_mark mk;
	size_t len;
	int busy = 0;

	if (cache_memory == NULL)
		return 0;
	char *mkey = cache_cf_mark_key(key);
	struct memcache_ref *r = memcache_get(cache_memory, mkey, strlen(mkey));
	if (r != NULL) {
		const void *p = memcache_ref_meta(r, &len);
		if (len == sizeof(mk)) {
			memcpy(&mk, p, sizeof(mk));
			busy = mk.type == 'F' &&
			    (any_owner || mk.pid != getpid()) &&
			    time(NULL) - mk.since < CACHE_CF_WAIT_S &&
			    kill(mk.pid, 0) == 0;
		}
		memcache_release(r);
	}
	free(mkey);
	return busy;
}

static void
cache_cf_announce(const char *key, int on)
{
	if (cache_memory == NULL)
		return;
	char *mkey = cache_cf_mark_key(key);
	if (on) {
		struct cache_cf_mark mk = { 'F', (int32_t)getpid(),
		    (int64_t)time(NULL) };
		memcache_put(cache_memory, mkey, strlen(mkey), &mk, sizeof(mk),
		    NULL, 0);
	} else {
		memcache_delete(cache_memory, mkey, strlen(mkey));
	}
	free(mkey);
}

static int
cache_cf_remote(const char *key)
{
	return cache_cf_busy(key, 0);
}

/* A local leader waiting for another worker's fetch polls for its end. */
static void
cache_cf_poll(struct ev_timer *t)
{
	struct xact *x = t->arg;

	if (cache_cf_remote(x->cache_key)) {
		ev_timer_start(&x->timer, CACHE_CF_POLL_MS);
		return;
	}
	/* done over there: everyone here looks again (hit, or own fetch) */
	x->cf_remote = 0;
	cache_cf_wake(x);
	x->cf_leader = -1;
	free(x->cache_key);
	free(x->cache_base_key);
	x->cache_key = x->cache_base_key = NULL;
	if (!cache_lookup(x))
		forward_start(x);
}

/* Nothing stored for x: 504 for only-if-cached, else go upstream. */
static int
cache_miss(struct xact *x, const struct cache_req_cc *rcc)
{
	if (rcc->flags & CACHE_REQ_ONLY_IF_CACHED) {
		snprintf(x->result_tag, sizeof(x->result_tag), "TCP_MISS");
		xact_error(x, 504, "ERR_ONLY_IF_CACHED_MISS", 0);
		return 1;
	}
	/* a follower whose leader stored nothing fetches on its own */
	if (!worker_cfg->collapsed_forwarding || !x->may_store ||
	    x->revalidating || x->cf_leader == -1)
		return 0;
	struct cache_cf *g = cache_cf_find(x->cache_key);
	if (g == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->key = xstrdup(x->cache_key);
		g->leader = x;
		g->next = cache_cf_groups;
		cache_cf_groups = g;
		x->cf = g;
		x->cf_leader = 1;
		if (cache_cf_remote(x->cache_key)) {
			/* another worker fetches it: wait for that */
			x->cf_remote = 1;
			x->state = XS_STORE;
			ev_io_set(&x->conn->io, EPOLLRDHUP);
			ev_timer_init(&x->timer, cache_cf_poll, x);
			ev_timer_start(&x->timer, CACHE_CF_POLL_MS);
			return 1;
		}
		cache_cf_announce(x->cache_key, 1);
		x->cf_announced = 1;
		return 0;
	}
	x->cf = g;
	x->cf_leader = 0;
	x->cf_next = g->followers;
	g->followers = x;
	x->state = XS_STORE;
	ev_io_set(&x->conn->io, EPOLLRDHUP);
	return 1;
}

static void
cache_disk_answer(void *arg, const struct store_client_result *r)
{
	struct xact *x = arg;
	struct cache_req_cc rcc;
	struct cache_decision d;
	struct cache_meta m;

	x->store_req = 0;
	cache_rules_req_cc(&x->req, &rcc);
	if (r->status == STORE_CLIENT_OK) {
		x->hit_fd = r->fd;
		x->hit_meta = xmalloc(r->meta_len ? r->meta_len : 1);
		memcpy(x->hit_meta, r->meta, r->meta_len);
		x->hit_meta_len = r->meta_len;
		x->hit_file_off = r->body_off;
		x->hit_len = r->body_len;
		if (cache_parse_meta(x, (const unsigned char *)x->hit_meta,
		    x->hit_meta_len, &m) == 0) {
			enum cache_verdict v = cache_rules_decide(&m, &x->req,
			    &rcc, cache_refresh(x), time(NULL), &d);
			if (v == CACHE_FRESH && rcc.max_age == 0 &&
			    !(m.cc_flags & CACHE_RESP_IMMUTABLE))
				v = CACHE_STALE;
			if (v == CACHE_FRESH || v == CACHE_STALE_SWR) {
				/* Squid logs a follower served off disk so */
				cache_serve(x, &m, d.age, x->cf_leader == -1 ?
				    "TCP_CF_MISS" : m.status >= 400 ?
				    "TCP_NEGATIVE_HIT" : "TCP_HIT");
				return;
			}
			if (d.only_if_cached) {
				snprintf(x->result_tag, sizeof(x->result_tag),
				    "TCP_MISS");
				xact_error(x, 504, "ERR_ONLY_IF_CACHED_MISS", 0);
				return;
			}
			char cond[1024];
			if (v == CACHE_STALE && cache_rules_conditional_headers(
			    &m, cond, sizeof(cond)) > 0) {
				x->revalidating = 1;
				x->cache_cond = xstrdup(cond);
				forward_start(x);
				return;
			}
		}
		/* reload, or nothing to revalidate with: fetch and replace */
		close(x->hit_fd);
		x->hit_fd = -1;
	}
	if (cache_miss(x, &rcc))
		return;
	forward_start(x);
}

/* Ask the cache_dir; 1 when a lookup is under way. */
static int
cache_disk_lookup(struct xact *x)
{
	int i = cache_store_for(x->cache_key);

	if (i == -1)
		return 0;
	x->store_idx = i;
	x->store_req = store_client_lookup(cache_stores[i], x->cache_key,
	    strlen(x->cache_key), cache_disk_answer, x);
	if (x->store_req == 0)
		return 0;
	x->state = XS_STORE;
	ev_io_set(&x->conn->io, EPOLLRDHUP);
	return 1;
}

int
cache_lookup(struct xact *x)
{
	struct cache_req_cc rcc;
	struct cache_decision d;
	struct cache_meta m;
	int is_get = strcmp(x->method, "GET") == 0;
	int is_head = strcmp(x->method, "HEAD") == 0;

	if ((cache_memory == NULL && cache_nstores == 0) ||
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
	    !(m.cc_flags & CACHE_RESP_IMMUTABLE))
		v = CACHE_STALE;
	if (v == CACHE_STALE_SWR)
		cache_revalidate_in_background(x, &m);
	if (v == CACHE_FRESH || v == CACHE_STALE_SWR) {
		cache_serve(x, &m, d.age, x->cf_leader == -1 ? "TCP_CF_HIT" :
		    m.status >= 400 ? "TCP_NEGATIVE_HIT" : "TCP_MEM_HIT");
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

	if (cache_memory == NULL || cache_cf_busy(x->cache_key, 1) ||
	    cache_rules_conditional_headers(m, cond, sizeof(cond)) == 0)
		return;
	struct xact *b = xact_background(x);
	b->cache_base_key = xstrdup(x->cache_base_key);
	b->cache_key = xstrdup(x->cache_key);
	b->cache_ok = 1;
	b->may_store = 1;
	b->revalidating = 1;
	b->cache_cond = xstrdup(cond);
	b->hit = memcache_get(cache_memory, b->cache_key, strlen(b->cache_key));
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
		cache_disk_delete(key);
		free(key);
	}
}

/*
 * A disk object small enough for memory goes there too, with its current
 * metadata; reading it costs one pread of a file the page cache likely has.
 */
static void
cache_promote(struct xact *x)
{
	uint64_t len = x->hit_len;

	if (cache_memory == NULL || (int64_t)(len + x->hit_meta_len) >
	    worker_cfg->maximum_object_size_in_memory)
		return;
	char *body = xmalloc(len ? len : 1);
	ssize_t n = pread(x->hit_fd, body, len, (off_t)x->hit_file_off);
	if (n == (ssize_t)len) {
		struct iovec iov = { body, len };
		memcache_put(cache_memory, x->cache_key, strlen(x->cache_key),
		    x->hit_meta, x->hit_meta_len, &iov, len > 0 ? 1 : 0);
	}
	free(body);
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
	cache_rules_meta_fill(&m, &x->req, &merged, x->request_time, now);
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
		x->hit = memcache_get(cache_memory, x->cache_key,
		    strlen(x->cache_key));
		if (x->hit == NULL || cache_open_object(x, &m) == -1)
			return 0;
	} else {
		/* a disk object: serve it with the new head, and keep the
		 * refreshed copy in memory when it fits */
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
	    time(NULL), 0))
		return 0;
	cache_serve(x, &m, cache_rules_current_age(&m, time(NULL)),
	    "TCP_REFRESH_FAIL_OLD");
	return 1;
}

int
cache_on_response(struct xact *x)
{
	int status = x->rep.status;

	if (!x->cache_ok)
		return 0;
	if (status >= 200 && status < 400)
		cache_invalidate(x);
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
		    status, time(NULL), 0)) {
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
	if (!cache_rules_storable(&x->req, &x->rep, cache_refresh(x),
	    time(NULL), worker_cfg->minimum_expiry_time / 1000, &why))
		log_debug(22, 3, "not storing %s: %s", x->url_str, why);
	else
		cache_start_storing(x);
	/* nothing will be stored: the followers need not wait for the body */
	if (!x->storing && x->cf != NULL && x->cf_leader == 1)
		cache_cf_wake(x);
	return 0;
}

/*
 * Writing an object to a cache_dir streams while the response goes to the
 * client and outlives the transaction: the job owns the key and metadata
 * until the store commits.  Bytes that arrive before the store handed out
 * the temporary file wait in pending.
 */
#define CACHE_DISK_PENDING_MAX	(4 * 1024 * 1024)

struct cache_disk_job {
	int		 store;
	char		*key;
	struct buf	 meta;
	struct buf	 pending;
	int		 fd;
	uint32_t	 token;
	uint32_t	 req;		/* BEGIN under way */
	long		 body_off;
	uint64_t	 written;
	int		 failed, ended, complete;
	struct xact	*x;		/* the transaction feeding it, or NULL */
};

static int cache_disk_jobs;

int
cache_pending_jobs(void)
{
	return cache_disk_jobs;
}

static void
cache_disk_job_free(struct cache_disk_job *j)
{
	cache_disk_jobs--;
	worker_conn_closed();	/* a retiring worker may be done now */
	if (j->fd != -1)
		close(j->fd);
	free(j->key);
	buf_free(&j->meta);
	buf_free(&j->pending);
	free(j);
}

static void
cache_disk_committed(void *arg, const struct store_client_result *r)
{
	struct cache_disk_job *j = arg;

	if (r->status != STORE_CLIENT_OK)
		log_debug(22, 2, "cache_dir refused %s: %s", j->key,
		    strerror(r->error));
	cache_disk_job_free(j);
}

static int
cache_disk_write(struct cache_disk_job *j, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = pwrite(j->fd, p, n, (off_t)j->body_off +
		    (off_t)j->written);
		if (w <= 0) {
			/* ENOSPC and friends: not cached, nothing else lost */
			log_debug(22, 1, "cache_dir write for %s: %s", j->key,
			    w == 0 ? "short write" : strerror(errno));
			return -1;
		}
		j->written += (uint64_t)w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The transaction is over and the file is ours: commit or abort. */
static void
cache_disk_close(struct cache_disk_job *j)
{
	struct store_client *sc = cache_stores[j->store];

	if (j->fd == -1) {		/* BEGIN failed */
		cache_disk_job_free(j);
		return;
	}
	int ok = j->complete && !j->failed &&
	    store_client_write_head(j->fd, j->key, strlen(j->key),
	    buf_head(&j->meta), buf_avail(&j->meta), j->written, 1,
	    time(NULL)) >= 0;
	close(j->fd);
	j->fd = -1;
	if (!ok) {
		store_client_abort(sc, j->token, NULL, NULL);
		cache_disk_job_free(j);
		return;
	}
	if (store_client_commit(sc, j->token, cache_disk_committed, j) == 0)
		cache_disk_job_free(j);
}

static void
cache_disk_began(void *arg, const struct store_client_result *r)
{
	struct cache_disk_job *j = arg;

	j->req = 0;
	if (r->status != STORE_CLIENT_OK) {
		j->failed = 1;
		if (j->ended)
			cache_disk_job_free(j);
		return;
	}
	j->fd = r->fd;
	j->token = r->token;
	j->body_off = store_client_write_head(j->fd, j->key, strlen(j->key),
	    buf_head(&j->meta), buf_avail(&j->meta), 0, 0, time(NULL));
	if (j->body_off < 0 || cache_disk_write(j, buf_head(&j->pending),
	    buf_avail(&j->pending)) == -1)
		j->failed = 1;
	buf_free(&j->pending);
	if (j->ended) {
		cache_disk_close(j);
		return;
	}
	/* the relay may have paused for us (cache_hold_upstream) */
	if (j->x != NULL)
		forward_client_event(j->x);
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

	if (!x->storing || x->state != XS_RELAY || x->srv == NULL ||
	    !x->reqbody.done || x->repbody.done)
		return 0;
	if (cfg->quick_abort_min < 0)
		return 1;
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

int
cache_hold_upstream(const struct xact *x)
{
	const struct cache_disk_job *j = x->disk_job;

	return j != NULL && j->fd == -1 && !j->failed &&
	    buf_avail(&j->pending) >= CACHE_DISK_PENDING_MAX;
}

static void
cache_disk_feed(struct cache_disk_job *j, const char *p, size_t n)
{
	if (j->failed)
		return;
	if ((int64_t)(j->written + buf_avail(&j->pending) + n) >
	    worker_cfg->maximum_object_size) {
		j->failed = 1;
		buf_free(&j->pending);
		return;
	}
	if (j->fd == -1) {
		/* the relay holds the server past the limit; a little over */
		buf_append(&j->pending, p, n);
		return;
	}
	if (cache_disk_write(j, p, n) == -1)
		j->failed = 1;
}

/* The transaction lets go of its job: complete or not. */
static void
cache_disk_finish(struct xact *x, int complete)
{
	struct cache_disk_job *j = x->disk_job;

	if (j == NULL)
		return;
	x->disk_job = NULL;
	j->x = NULL;
	j->ended = 1;
	j->complete = complete;
	if (j->req == 0)
		cache_disk_close(j);
	/* else cache_disk_began() finishes it */
}

/* Every payload byte of a response being stored comes here. */
static void
cache_sink(void *arg, const char *p, size_t n)
{
	struct xact *x = arg;

	if (x->mem_ok) {
		if ((int64_t)(buf_avail(&x->store_body) + n +
		    buf_avail(&x->store_head)) >
		    worker_cfg->maximum_object_size_in_memory) {
			x->mem_ok = 0;
			buf_free(&x->store_body);
		} else {
			buf_append(&x->store_body, p, n);
		}
	}
	if (x->disk_job != NULL)
		cache_disk_feed(x->disk_job, p, n);
}

/*
 * A storable response starts: build its metadata now (the times are the
 * response's), pick its key (Vary), and start the memory copy and the disk
 * stream.
 */
static void
cache_start_storing(struct xact *x)
{
	struct cache_meta m;
	uint8_t blob[CACHE_META_BLOB_MAX];
	char vkey[4096];
	int64_t cl = x->rep.body == HTTP_BODY_LENGTH ? x->rep.content_length :
	    -1;

	if (cl >= 0 && cl < worker_cfg->minimum_object_size)
		return;		/* minimum_object_size: too small to keep */

	int n = cache_rules_vary_key(&x->rep, &x->req, vkey, sizeof(vkey));
	if (n < 0)
		return;		/* Vary: * (or a huge key): never stored */
	x->store_key = n > 0 ? xasprintf("%s\n%.*s", x->cache_base_key, n,
	    vkey) : xstrdup(x->cache_base_key);
	x->store_vary = n;
	cache_rules_meta_fill(&m, &x->req, &x->rep, x->request_time,
	    time(NULL));
	size_t ml = cache_rules_meta_serialize(&m, blob, sizeof(blob));
	if (ml == 0)
		return;
	buf_init(&x->store_head);
	buf_append(&x->store_head, "O", 1);
	unsigned char l2[2] = { ml & 0xff, (ml >> 8) & 0xff };
	buf_append(&x->store_head, l2, 2);
	buf_append(&x->store_head, blob, ml);
	cache_stored_head(x, &x->store_head);

	x->mem_ok = cache_memory != NULL && (cl < 0 ||
	    (int64_t)(cl + buf_avail(&x->store_head)) <=
	    worker_cfg->maximum_object_size_in_memory);
	buf_init(&x->store_body);
	int i = n == 0 ? cache_store_for(x->store_key) : -1;
	if (i != -1 && (cl < 0 || cl <= worker_cfg->maximum_object_size)) {
		struct cache_disk_job *j = xcalloc(1, sizeof(*j));
		cache_disk_jobs++;
		j->store = i;
		j->fd = -1;
		j->key = xstrdup(x->store_key);
		buf_init(&j->meta);
		buf_init(&j->pending);
		buf_append(&j->meta, buf_head(&x->store_head),
		    buf_avail(&x->store_head));
		j->req = store_client_begin(cache_stores[i], j->key,
		    strlen(j->key), cl > 0 ? (uint64_t)cl : 0,
		    cache_disk_began, j);
		if (j->req == 0) {
			cache_disk_job_free(j);
		} else {
			x->disk_job = j;
			j->x = x;
		}
	}
	if (!x->mem_ok && x->disk_job == NULL)
		return;
	x->storing = 1;
	x->repbody.sink = cache_sink;
	x->repbody.sink_arg = x;
}

/* The Vary marker under the base key: names, then the variants stored. */
static void
cache_put_vary_marker(struct xact *x)
{
	const char *key = x->cache_base_key;
	const char *vkey = x->store_key + strlen(key) + 1;
	size_t n = strlen(vkey);
	struct buf marker;

	buf_init(&marker);
	buf_append(&marker, "V", 1);
	int first = 1;
	for (int i = 0; i < x->rep.nhdr; i++) {
		const struct http_header *h = &x->rep.hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Vary"))
			continue;
		if (!first)
			buf_append(&marker, ", ", 2);
		buf_append(&marker, h->value, h->value_len);
		first = 0;
	}
	buf_append(&marker, "", 1);
	size_t names = buf_avail(&marker);
	buf_append(&marker, vkey, n);
	buf_append(&marker, "", 1);
	struct memcache_ref *old = memcache_get(cache_memory, key,
	    strlen(key));
	if (old != NULL) {
		size_t ol;
		const char *op = memcache_ref_meta(old, &ol);
		/* same Vary names: keep the other variants listed */
		if (ol >= names && memcmp(op, buf_head(&marker), names) == 0) {
			const char *v = op + names, *end = op + ol;
			while (v < end) {
				size_t vl = strnlen(v, (size_t)(end - v));
				if (vl != n || memcmp(v, vkey, vl) != 0) {
					buf_append(&marker, v, vl);
					buf_append(&marker, "", 1);
				}
				v += vl + 1;
			}
		}
		memcache_release(old);
	}
	memcache_put(cache_memory, key, strlen(key), buf_head(&marker),
	    buf_avail(&marker), NULL, 0);
	buf_free(&marker);
}

void
cache_on_finish(struct xact *x, int complete)
{
	complete = complete && x->storing && x->repbody.done &&
	    x->repbody.payload >= worker_cfg->minimum_object_size;
	if (complete && x->mem_ok) {
		struct iovec body = { buf_head(&x->store_body),
		    buf_avail(&x->store_body) };
		if (x->store_vary > 0)
			cache_put_vary_marker(x);
		if (memcache_put(cache_memory, x->store_key,
		    strlen(x->store_key), buf_head(&x->store_head),
		    buf_avail(&x->store_head), &body,
		    body.iov_len > 0 ? 1 : 0) == -1)
			log_debug(22, 2, "memory cache refused %s",
			    x->store_key);
	}
	cache_disk_finish(x, complete);
	x->storing = 0;
	x->repbody.sink = NULL;
	if (x->cf != NULL && x->cf_leader == 1)
		cache_cf_wake(x);
}

const char *
cache_status_fwd(const struct xact *x)
{
	return x->revalidating ? "fwd=stale" : "fwd=uri-miss";
}
