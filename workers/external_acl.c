/*
 * external_acl: external_acl_type lookups on top of helper_pool, with
 * Squid 5.7's rules (external_acl.cc).  The request line (lib/extacl.c)
 * is also the cache key.  OK is a match, ERR no match; BH, a crashed
 * helper or a full queue leave the check undecided (ACL_DUNNO), which
 * http_access turns into a denial, as Squid's ACCESS_DUNNO, and such an
 * answer is never cached.  A transaction keeps the last answer it was
 * given, so that the re-run check uses it even when nothing is cached
 * (ttl=0); lookups for the same key share one helper request while
 * caching is on.
 *
 * In DESIGN.md's data flow: http_access (external ACLs, asked of helpers).
 */
#include "config.h"
#include "external_acl.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annotate.h"
#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "dns.h"
#include "extacl.h"
#include "helper_pool.h"
#include "log.h"
#include "logformat.h"
#include "notes.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#define EXTACL_LINE_MAX		(8192 + 1024)
#define EXTACL_BUCKETS		1021

struct external_acl_answer {
	int		 result;	/* ACL_MATCH, ACL_NOMATCH, ACL_DUNNO */
	char		*tag, *user, *message, *log;
	struct notes	 notes;		/* every pair of the reply */
};

struct external_acl_entry {
	char		*key;
	struct external_acl_answer a;
	time_t		 date;		/* monotonic seconds */
	struct external_acl_entry *hnext;
	struct external_acl_entry *lprev, *lnext;	/* LRU, head newest */
};

struct external_acl_def;

/* One helper request in flight and who waits for it. */
struct external_acl_pending {
	struct external_acl_def *def;
	char		*key;
	struct helper_req *req;
	struct external_acl_xact *waiters;
	struct external_acl_pending *next;
};

struct external_acl_def {
	const struct extacl_type *type;
	struct helper_pool *pool;
	struct external_acl_entry *bucket[EXTACL_BUCKETS];
	struct external_acl_entry *lru_head, *lru_tail;
	int		 entries;
	struct external_acl_pending *pending;
	struct external_acl_def *next;
};

/* What a transaction holds: its last answer and what answers set. */
struct external_acl_xact {
	struct xact	*x;
	const struct extacl_type *type;	/* the last answer's */
	char		*key;
	struct external_acl_answer last;
	char		*tag, *user, *message, *log;
	struct external_acl_def *need_def;	/* ACL_NEED_EXT wanted this */
	char		*need_key;
	struct external_acl_pending *pending;	/* waiting for it */
	struct external_acl_xact *wnext;
	void		(*cont)(struct xact *);
};

static struct external_acl_def *external_acl_defs;

/* monotonic seconds */
static time_t
external_acl_now(void)
{
	return (time_t)(util_now_ms() / 1000);
}

static unsigned
external_acl_hash(const char *s)
{
	return util_hash_str(s) % EXTACL_BUCKETS;
}

static void
external_acl_answer_free(struct external_acl_answer *a)
{
	free(a->tag);
	free(a->user);
	free(a->message);
	free(a->log);
	notes_free(&a->notes);
	memset(a, 0, sizeof(*a));
}

static char *
external_acl_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
external_acl_answer_copy(struct external_acl_answer *to,
    const struct external_acl_answer *from)
{
	external_acl_answer_free(to);
	to->result = from->result;
	to->tag = external_acl_dup(from->tag);
	to->user = external_acl_dup(from->user);
	to->message = external_acl_dup(from->message);
	to->log = external_acl_dup(from->log);
	notes_append(&to->notes, &from->notes);
}

/* ---- the result cache ---- */

static void
external_acl_lru_unlink(struct external_acl_def *d, struct external_acl_entry *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		d->lru_head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else
		d->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
external_acl_lru_front(struct external_acl_def *d, struct external_acl_entry *e)
{
	e->lprev = NULL;
	e->lnext = d->lru_head;
	if (d->lru_head != NULL)
		d->lru_head->lprev = e;
	d->lru_head = e;
	if (d->lru_tail == NULL)
		d->lru_tail = e;
}

static void
external_acl_cache_delete(struct external_acl_def *d,
    struct external_acl_entry *e)
{
	struct external_acl_entry **pp = &d->bucket[external_acl_hash(e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	external_acl_lru_unlink(d, e);
	d->entries--;
	free(e->key);
	external_acl_answer_free(&e->a);
	free(e);
}

static struct external_acl_entry *
external_acl_cache_find(struct external_acl_def *d, const char *key)
{
	struct external_acl_entry *e;

	for (e = d->bucket[external_acl_hash(key)]; e != NULL; e = e->hnext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static int
external_acl_ttl(const struct external_acl_def *d, int result)
{
	return result == ACL_MATCH ? d->type->ttl : d->type->negative_ttl;
}

static int
external_acl_expired(const struct external_acl_def *d,
    const struct external_acl_entry *e, time_t now)
{
	return e->date + external_acl_ttl(d, e->a.result) < now;
}

/* Squid: refresh once only grace percent of the ttl is left. */
static int
external_acl_grace_expired(const struct external_acl_def *d,
    const struct external_acl_entry *e, time_t now)
{
	int ttl = external_acl_ttl(d, e->a.result);

	return e->date + ttl * (100 - d->type->grace) / 100 <= now;
}

static void
external_acl_cache_add(struct external_acl_def *d, const char *key,
    const struct external_acl_answer *a)
{
	struct external_acl_entry *e = external_acl_cache_find(d, key);

	if (a->result == ACL_DUNNO) {
		if (e != NULL)
			external_acl_cache_delete(d, e);
		return;
	}
	if (d->type->cache_size <= 0 || external_acl_ttl(d, a->result) <= 0)
		return;
	if (e == NULL) {
		/* Squid drops the least recently used entry at the limit */
		if (d->entries >= d->type->cache_size && d->lru_tail != NULL)
			external_acl_cache_delete(d, d->lru_tail);
		e = xcalloc(1, sizeof(*e));
		e->key = xstrdup(key);
		unsigned h = external_acl_hash(key);
		e->hnext = d->bucket[h];
		d->bucket[h] = e;
		d->entries++;
	} else
		external_acl_lru_unlink(d, e);
	external_acl_lru_front(d, e);
	external_acl_answer_copy(&e->a, a);
	e->date = external_acl_now();
}

static void
external_acl_cache_clear(struct external_acl_def *d)
{
	while (d->lru_head != NULL)
		external_acl_cache_delete(d, d->lru_head);
}

/* ---- pools ---- */

void
external_acl_init(const struct cfg *cfg)
{
	const struct extacl_type *t;
	struct external_acl_def **tail = &external_acl_defs;

	for (t = cfg->external_acl_types; t != NULL; t = t->next) {
		struct external_acl_def *d = xcalloc(1, sizeof(*d));

		d->type = t;
		d->pool = helper_pool_start("external_acl_type", t->argv,
		    &t->children, NULL);
		*tail = d;
		tail = &d->next;
	}
}

static void
external_acl_pending_free(struct external_acl_pending *p)
{
	struct external_acl_xact *w;

	for (w = p->waiters; w != NULL; w = w->wnext)
		w->pending = NULL;
	free(p->key);
	free(p);
}

static void
external_acl_defs_free(struct external_acl_def **list)
{
	struct external_acl_def *d;
	struct external_acl_pending *p;

	while ((d = *list) != NULL) {
		*list = d->next;
		while ((p = d->pending) != NULL) {
			d->pending = p->next;
			external_acl_pending_free(p);
		}
		external_acl_cache_clear(d);
		free(d);
	}
}

void
external_acl_shutdown(void)
{
	struct external_acl_def *d;

	for (d = external_acl_defs; d != NULL; d = d->next) {
		helper_pool_stop(d->pool, 0);
		d->pool = NULL;
	}
	external_acl_defs_free(&external_acl_defs);
}

void
external_acl_reload(const struct cfg *cfg)
{
	struct external_acl_def *old = external_acl_defs, *d;

	/*
	 * The new types first: stopping the old pools answers their waiting
	 * requests (undecided), and each re-runs its check against the new
	 * config, which asks the new helpers.
	 */
	external_acl_defs = NULL;
	external_acl_init(cfg);
	for (d = old; d != NULL; d = d->next) {
		struct helper_pool *p = d->pool;

		d->pool = NULL;
		helper_pool_stop(p, 1);
	}
	external_acl_defs_free(&old);
}

static struct external_acl_def *
external_acl_def_of(const struct extacl_type *t)
{
	struct external_acl_def *d;

	for (d = external_acl_defs; d != NULL; d = d->next)
		if (d->type == t)
			return d;
	return NULL;
}

/* ---- per transaction ---- */

static struct external_acl_xact *
external_acl_state(struct xact *x)
{
	if (x->extacl == NULL) {
		x->extacl = xcalloc(1, sizeof(*x->extacl));
		x->extacl->x = x;
	}
	return x->extacl;
}

static void
external_acl_set(char **field, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return;
	free(*field);
	*field = xstrdup(v);
}

/* Squid's copyResultsFromEntry: what an answer leaves in the request. */
static void
external_acl_apply(struct xact *x, const struct external_acl_answer *a)
{
	struct external_acl_xact *s = external_acl_state(x);

	if (s->tag == NULL)	/* only the first tag sticks */
		external_acl_set(&s->tag, a->tag);
	if (x->log.user == s->user)
		x->log.user = NULL;
	external_acl_set(&s->user, a->user);
	external_acl_set(&s->log, a->log);
	external_acl_set(&s->message, a->message);
	x->log.ext_tag = s->tag;
	x->log.ext_log = s->log;
	x->log.ext_user = s->user;
	/* %un: the authenticated user first, else the external one */
	if (x->log.user == NULL)
		x->log.user = s->user;
	/* the helper's kv-pairs, clt_conn_tag included, on every match */
	annotate_update(x, &a->notes);
}

/* The helper line for acl in x, or 0 (too long). */
static size_t
external_acl_line(struct xact *x, const struct acl *acl,
    const struct acl_checklist *cl, const struct extacl_type *t,
    char *const *args, int nargs, char *line, size_t cap)
{
	struct alog_entry e = x->log;

	e.method = x->method;
	e.url = e.url_orig = x->url_str;
	e.scheme = x->url.scheme;
	e.host = x->url.host;
	e.port = x->url.port;
	e.path = x->path_str;
	e.request = x->head != NULL ? &x->req : NULL;
	e.xaction = x->id;
	e.vmajor = x->req.vmajor;
	e.vminor = x->req.vminor;
	if (cl->user != NULL)
		e.user = cl->user;
	if (cl->src != NULL && cl->src->sa_family != 0)
		memcpy(&e.client, cl->src, cl->src->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	e.client_fqdn = dns_hosts_name((const struct sockaddr *)&e.client);
	return extacl_line(t, &e, acl_name(acl), args, nargs, line, cap);
}

static enum acl_result
external_acl_check(struct xact *x, const struct acl *acl,
    const struct acl_checklist *cl, int can_wait)
{
	/* can_wait > 0: may ask the helper; 0: no match without a cached
	 * answer; < 0: undecided without one */
	const struct extacl_type *t;
	struct external_acl_def *d;
	struct external_acl_xact *s;
	struct external_acl_entry *e, *stale;
	char *const *args;
	char line[EXTACL_LINE_MAX];
	int nargs;
	size_t n;
	time_t now;

	if (!acl_external(acl, &t, &args, &nargs) ||
	    (d = external_acl_def_of(t)) == NULL)
		return ACL_NOMATCH;
	if (t->require_auth && (cl->auth_state != ACL_AUTH_OK ||
	    cl->user == NULL))
		return cl->auth_state == ACL_AUTH_OFF ? ACL_NOMATCH :
		    ACL_NEED_AUTH;
	if ((n = external_acl_line(x, acl, cl, t, args, nargs, line,
	    sizeof(line))) == 0) {
		log_warnx("external ACL '%s': the helper request is longer "
		    "than %d bytes; undecided", acl_name(acl), EXTACL_LINE_MAX);
		return ACL_DUNNO;
	}
	line[n - 1] = '\0';		/* the key has no newline */
	s = external_acl_state(x);
	if (s->type == t && s->key != NULL && strcmp(s->key, line) == 0) {
		/* the answer this check waited for */
		external_acl_apply(x, &s->last);
		return s->last.result;
	}
	now = external_acl_now();
	stale = e = external_acl_cache_find(d, line);
	if (e != NULL && (d->type->cache_size <= 0 ||
	    external_acl_expired(d, e, now)))
		e = NULL;
	if (e != NULL && can_wait > 0 && external_acl_grace_expired(d, e,
	    now)) {
		/* answer now, refresh in the background */
		struct external_acl_pending *p;

		for (p = d->pending; p != NULL; p = p->next)
			if (strcmp(p->key, line) == 0)
				break;
		if (p == NULL && !helper_pool_overloaded(d->pool)) {
			free(s->need_key);
			s->need_def = d;
			s->need_key = xstrdup(line);
			external_acl_start(x, NULL);
		}
	}
	if (e == NULL) {
		if (can_wait <= 0)
			return can_wait < 0 ? ACL_DUNNO : ACL_NOMATCH;
		if (helper_pool_overloaded(d->pool)) {
			if (stale == NULL) {
				log_warnx("external ACL '%s' queue "
				    "full. Request rejected '%s'.", t->name,
				    line);
				external_acl_set(&s->message,
				    "SYSTEM TOO BUSY, TRY AGAIN LATER");
				return ACL_DUNNO;
			}
			log_warnx("external ACL '%s' queue full. "
			    "Using stale result. '%s'.", t->name, line);
			e = stale;
		} else {
			free(s->need_key);
			s->need_def = d;
			s->need_key = xstrdup(line);
			return ACL_NEED_EXT;
		}
	}
	external_acl_lru_unlink(d, e);
	external_acl_lru_front(d, e);
	external_acl_apply(x, &e->a);
	return e->a.result;
}

enum acl_result
external_acl_match(void *arg, const struct acl *acl,
    const struct acl_checklist *cl)
{
	return external_acl_check(arg, acl, cl, 1);
}

enum acl_result
external_acl_match_fast(void *arg, const struct acl *acl,
    const struct acl_checklist *cl)
{
	return external_acl_check(arg, acl, cl, 0);
}

enum acl_result
external_acl_match_undecided(void *arg, const struct acl *acl,
    const struct acl_checklist *cl)
{
	return external_acl_check(arg, acl, cl, -1);
}

static void
external_acl_unwait(struct external_acl_xact *s)
{
	struct external_acl_xact **pp;

	if (s->pending == NULL)
		return;
	for (pp = &s->pending->waiters; *pp != NULL; pp = &(*pp)->wnext)
		if (*pp == s) {
			*pp = s->wnext;
			break;
		}
	s->pending = NULL;
	s->wnext = NULL;
}

static void
external_acl_done(void *arg, const struct helper_reply *r, const char *notes)
{
	struct external_acl_pending *p = arg, **pp;
	struct external_acl_def *d = p->def;
	struct external_acl_answer a;
	struct external_acl_xact *w, *next;

	memset(&a, 0, sizeof(a));
	p->req = NULL;
	if (r->result == HELPER_OK)
		a.result = ACL_MATCH;
	else if (r->result == HELPER_ERR)
		a.result = ACL_NOMATCH;
	else {
		/* BH, a crash, a stopped pool: undecided, not cached */
		a.result = ACL_DUNNO;
		log_errx("external ACL '%s' helper: {result=%s, notes={%s}}",
		    d->type->name, helper_result_name(r->result), notes);
	}
	a.tag = (char *)helper_reply_get(r, "tag");
	a.user = (char *)helper_reply_get(r, "user");
	a.message = (char *)helper_reply_get(r, "message");
	a.log = (char *)helper_reply_get(r, "log");
	helper_reply_to_notes(r, &a.notes);
	log_debug(82, 2, "external ACL '%s' '%s' = %s", d->type->name, p->key,
	    helper_result_name(r->result));
	external_acl_cache_add(d, p->key, &a);

	for (pp = &d->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	w = p->waiters;
	p->waiters = NULL;
	for (; w != NULL; w = next) {
		next = w->wnext;
		w->wnext = NULL;
		w->pending = NULL;
		free(w->key);
		w->key = xstrdup(p->key);
		w->type = d->type;
		external_acl_answer_copy(&w->last, &a);
		if (w->cont != NULL)
			w->cont(w->x);
	}
	notes_free(&a.notes);
	free(p->key);
	free(p);
}

int
external_acl_start(struct xact *x, void (*cont)(struct xact *))
{
	struct external_acl_xact *s = external_acl_state(x);
	struct external_acl_def *d = s->need_def;
	struct external_acl_pending *p = NULL;
	char *line;
	size_t n;

	if (d == NULL || s->need_key == NULL)
		return 0;
	s->need_def = NULL;
	/* a lookup already asked for the key: wait for it too (caching) */
	if (d->type->cache_size > 0)
		for (p = d->pending; p != NULL; p = p->next)
			if (strcmp(p->key, s->need_key) == 0)
				break;
	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->def = d;
		p->key = s->need_key;
		s->need_key = NULL;
		n = strlen(p->key);
		line = xmalloc(n + 2);
		memcpy(line, p->key, n);
		line[n++] = '\n';
		line[n] = '\0';
		p->req = d->pool != NULL ? helper_submit(d->pool, line, n,
		    external_acl_done, p) : NULL;
		free(line);
		if (p->req == NULL) {
			/* no helper can answer: undecided, this once */
			if (cont != NULL) {
				free(s->key);
				s->key = xstrdup(p->key);
				s->type = d->type;
				external_acl_answer_free(&s->last);
				s->last.result = ACL_DUNNO;
			}
			free(p->key);
			free(p);
			return 0;
		}
		p->next = d->pending;
		d->pending = p;
	} else {
		free(s->need_key);
		s->need_key = NULL;
	}
	if (cont == NULL)
		return 0;	/* a background refresh: nobody waits */
	external_acl_unwait(s);
	s->cont = cont;
	s->pending = p;
	s->wnext = p->waiters;
	p->waiters = s;
	xact_set_state(x, XS_ACCESS);
	return 1;
}

void
external_acl_release(struct xact *x)
{
	struct external_acl_xact *s = x->extacl;

	if (s == NULL)
		return;
	/* the lookup goes on: its answer still fills the cache */
	external_acl_unwait(s);
	if (x->log.user == s->user)
		x->log.user = NULL;
	x->log.ext_tag = x->log.ext_log = x->log.ext_user = NULL;
	free(s->key);
	free(s->need_key);
	external_acl_answer_free(&s->last);
	free(s->tag);
	free(s->user);
	free(s->message);
	free(s->log);
	free(s);
	x->extacl = NULL;
}

const char *
external_acl_message(const struct xact *x)
{
	return x->extacl != NULL ? x->extacl->message : NULL;
}

const char *
external_acl_tag(const struct xact *x)
{
	return x->extacl != NULL ? x->extacl->tag : NULL;
}

void
external_acl_mgr_stats(struct buf *out)
{
	for (const struct external_acl_def *d = external_acl_defs; d != NULL;
	    d = d->next) {
		buf_printf(out, "External ACL Statistics: %s\n", d->type->name);
		buf_printf(out, "Cache size: %d\n", d->entries);
		if (d->pool != NULL)
			helper_pool_stats(d->pool, out, NULL);
		buf_printf(out, "\n");
	}
}
