/*
 * auth_digest: the Digest scheme on top of helper_pool, following what
 * Squid 5.7's Auth::Digest does, quirks included:
 *
 * - A nonce is hex(MD5(time, random)), kept in this worker's table with
 *   its creation time and the last nonce-count seen.  A 407 always offers
 *   a new one; stale=true when the client's nonce was unknown (expired
 *   and collected, or never issued).
 * - Credentials whose nonce is known are checked against the user's H(A1)
 *   as this worker last learnt it from the helper.  Without one, or when
 *   the digest does not match (the password may have changed), the helper
 *   is asked (once more at most per request), then the digest decides.
 * - A matching digest on a nonce that is too old, used too often or given
 *   a nonce-count that does not go up drops the nonce and asks the helper
 *   again; the request itself then passes, and the next one with that
 *   nonce is challenged with stale=true, as in Squid.
 *
 * In DESIGN.md's data flow: http_access / auth.
 */
#include "config.h"
#include "auth_digest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "acl.h"
#include "annotate.h"
#include "buf.h"
#include "cfg.h"
#include "digest_parse.h"
#include "dns.h"
#include "evloop.h"
#include "helper_pool.h"
#include "log.h"
#include "logformat.h"
#include "notes.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#define DIGEST_BUCKETS		251
#define DIGEST_LINE_MAX		8192
#define DIGEST_NC_LIMIT		99999998	/* Squid's overflow guard */

struct digest_nonce {
	char		 key[DIGEST_HEX_LEN + 1];
	time_t		 created;	/* monotonic seconds */
	unsigned long	 nc;
	int		 valid;
	struct digest_nonce *next;
};

/* A user's H(A1) as the helper last gave it. */
struct digest_user {
	char		*name;
	char		 ha1[DIGEST_HEX_LEN + 1];
	int		 ha1_set;
	struct notes	 notes;		/* the helper's kv-pairs, ha1 aside */
	struct digest_user *next;
};

struct auth_digest_req {
	struct digest_cred cred;
	int		 helper_queried;	/* asked again after a mismatch */
	int		 stale;		/* challenge with stale=true */
	int		 nonce_used;	/* nc below is the nonce's count */
	unsigned long	 nc;
};

static struct helper_pool *digest_pool;
static struct digest_nonce *digest_nonces[DIGEST_BUCKETS];
static struct digest_user *digest_users[DIGEST_BUCKETS];
static struct ev_timer digest_gc_timer;
static int digest_gc_on;		/* digest_gc_timer is initialised */

/* monotonic seconds */
static time_t
digest_now(void)
{
	return (time_t)(util_now_ms() / 1000);
}

static unsigned
digest_hash(const char *s)
{
	return util_hash_str(s) % DIGEST_BUCKETS;
}

int
auth_digest_on(const struct cfg *cfg)
{
	return cfg->auth_digest.program != NULL &&
	    cfg->auth_digest.realm != NULL && cfg->auth_digest.realm[0] != '\0';
}

static struct digest_nonce *
digest_nonce_find(const char *key)
{
	struct digest_nonce *n;

	for (n = digest_nonces[digest_hash(key)]; n != NULL; n = n->next)
		if (strcmp(n->key, key) == 0)
			return n;
	return NULL;
}

static void
digest_nonce_remove(struct digest_nonce *gone)
{
	struct digest_nonce **pp = &digest_nonces[digest_hash(gone->key)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == gone) {
			*pp = gone->next;
			free(gone);
			return;
		}
}

static struct digest_nonce *
digest_nonce_new(void)
{
	struct digest_nonce *n = xcalloc(1, sizeof(*n));
	struct {
		time_t		created;
		unsigned char	rnd[16];
	} data;

	memset(&data, 0, sizeof(data));
	data.created = time(NULL);
	do {
		if (RAND_bytes(data.rnd, sizeof(data.rnd)) != 1)
			abort();
		digest_md5_hex(&data, sizeof(data), n->key);
	} while (digest_nonce_find(n->key) != NULL);
	n->created = digest_now();
	n->valid = 1;
	n->next = digest_nonces[digest_hash(n->key)];
	digest_nonces[digest_hash(n->key)] = n;
	return n;
}

/* Squid's authDigestNonceIsStale: too old or used too often. */
static int
digest_nonce_stale(struct digest_nonce *n)
{
	const struct cfg_auth_digest *d = &worker_cfg->auth_digest;

	if (!n->valid)
		return 1;
	if (n->created + (time_t)(d->nonce_max_duration / 1000) <
	    digest_now() || n->nc > DIGEST_NC_LIMIT ||
	    n->nc > (unsigned long)d->nonce_max_count) {
		n->valid = 0;
		return 1;
	}
	return 0;
}

/* Squid's authDigestNonceIsValid: takes the count, then checks the age. */
static int
digest_nonce_use(struct digest_nonce *n, const char *nc)
{
	const struct cfg_auth_digest *d = &worker_cfg->auth_digest;
	unsigned long count = strtoul(nc, NULL, 16);

	if (!n->valid)
		return 0;
	if (!d->check_nonce_count)
		count = n->nc + 1;
	if ((d->nonce_strictness && count != n->nc + 1) || count < n->nc + 1) {
		log_debug(29, 4, "Nonce count doesn't match");
		n->valid = 0;
		return 0;
	}
	n->nc = count;
	return !digest_nonce_stale(n);
}

/* At least a second: 0 would spin the event loop. */
static uint64_t
digest_gc_interval(const struct cfg *cfg)
{
	int64_t ms = cfg->auth_digest.nonce_gc_interval;

	return ms < 1000 ? 1000 : (uint64_t)ms;
}

static void
digest_gc(struct ev_timer *t)
{
	for (int i = 0; i < DIGEST_BUCKETS; i++) {
		struct digest_nonce **pp = &digest_nonces[i], *n;

		while ((n = *pp) != NULL) {
			if (digest_nonce_stale(n)) {
				*pp = n->next;
				free(n);
			} else
				pp = &n->next;
		}
	}
	ev_timer_start(t, digest_gc_interval(worker_cfg));
}

static struct digest_user *
digest_user_find(const char *name, int create)
{
	unsigned h = digest_hash(name);
	struct digest_user *u;

	for (u = digest_users[h]; u != NULL; u = u->next)
		if (strcmp(u->name, name) == 0)
			return u;
	if (!create)
		return NULL;
	u = xcalloc(1, sizeof(*u));
	u->name = xstrdup(name);
	u->next = digest_users[h];
	digest_users[h] = u;
	return u;
}

/* Forget the users' H(A1), and with nonces_too the nonces. */
static void
digest_clear(int nonces_too)
{
	for (int i = 0; i < DIGEST_BUCKETS; i++) {
		struct digest_nonce *n, *nn;
		struct digest_user *u, *un;

		for (n = digest_nonces[i]; nonces_too && n != NULL; n = nn) {
			nn = n->next;
			free(n);
		}
		if (nonces_too)
			digest_nonces[i] = NULL;
		for (u = digest_users[i]; u != NULL; u = un) {
			un = u->next;
			free(u->name);
			notes_free(&u->notes);
			free(u);
		}
		digest_users[i] = NULL;
	}
}

void
auth_digest_init(const struct cfg *cfg)
{
	if (cfg->auth_digest.program != NULL && !auth_digest_on(cfg))
		log_warnx("auth_param digest has a program but no realm: "
		    "the digest scheme is off");
	if (!auth_digest_on(cfg))
		return;
	digest_pool = helper_pool_start("digestauthenticator",
	    cfg->auth_digest.program, &cfg->auth_digest.children, NULL);
	ev_timer_init(&digest_gc_timer, digest_gc, NULL);
	digest_gc_on = 1;
	ev_timer_start(&digest_gc_timer, digest_gc_interval(cfg));
}

static void
digest_gc_stop(void)
{
	if (digest_gc_on && ev_timer_armed(&digest_gc_timer))
		ev_timer_stop(&digest_gc_timer);
	digest_gc_on = 0;
}

void
auth_digest_shutdown(void)
{
	helper_pool_stop(digest_pool, 0);
	digest_pool = NULL;
	digest_gc_stop();
	digest_clear(1);
}

void
auth_digest_reload(const struct cfg *cfg)
{
	struct helper_pool *old = digest_pool;

	digest_pool = NULL;
	helper_pool_stop(old, 1);
	digest_gc_stop();
	/* issued nonces stay good, as in Squid; H(A1)s are asked again */
	digest_clear(!auth_digest_on(cfg));
	auth_digest_init(cfg);
}

/*
 * Squid's Auth::Digest::UserRequest::authenticate once the user has an
 * H(A1): OK, FAILED, or PENDING for another helper question.
 */
static int
digest_check(struct xact *x, int after_helper)
{
	struct auth_digest_req *r = x->auth.digest;
	struct digest_user *u = digest_user_find(r->cred.username, 0);
	struct digest_nonce *n;
	char resp[DIGEST_HEX_LEN + 1];

	if (u == NULL || !u->ha1_set)
		return after_helper ? ACL_AUTH_FAILED : ACL_AUTH_PENDING;
	digest_response(u->ha1, &r->cred, x->method, resp);
	if (strcasecmp(resp, r->cred.response) != 0) {
		if (!r->helper_queried) {
			r->helper_queried = 1;	/* the password may be new */
			return ACL_AUTH_PENDING;
		}
		if (!worker_cfg->auth_digest.post_workaround ||
		    strcmp(x->method, "GET") == 0)
			return ACL_AUTH_FAILED;
		/* old browsers digested a POST as a GET */
		digest_response(u->ha1, &r->cred, "GET", resp);
		if (strcasecmp(resp, r->cred.response) != 0)
			return ACL_AUTH_FAILED;
		log_debug(29, 1, "Digest POST bug detected; please upgrade "
		    "the browser");
	}
	n = digest_nonce_find(r->cred.nonce);
	if (n != NULL) {
		int good = digest_nonce_use(n, r->cred.nc);

		r->nonce_used = 1;
		r->nc = n->nc;
		if (!good && !after_helper) {
			digest_nonce_remove(n);
			return ACL_AUTH_PENDING;
		}
	}
	annotate_update(x, &u->notes);	/* the user's notes, as Squid */
	return ACL_AUTH_OK;
}

void
auth_digest_setup(struct xact *x, const char *p, const char *end)
{
	struct auth_digest_req *r = xcalloc(1, sizeof(*r));
	const char *why;

	x->auth.digest = r;
	digest_cred_parse(p, (size_t)(end - p), worker_cfg->auth_digest.utf8,
	    &r->cred);
	if (r->cred.username != NULL) {
		x->auth.user = xstrdup(r->cred.username);
		x->log.user = x->auth.user;	/* Squid logs who tried */
	}
	if ((why = digest_cred_check(&r->cred)) != NULL) {
		log_debug(29, 2, "%s", why);
		x->auth.state = ACL_AUTH_FAILED;
		return;
	}
	if (digest_nonce_find(r->cred.nonce) == NULL) {
		log_debug(29, 2, "Unexpected or invalid nonce received from %s",
		    r->cred.username);
		r->stale = 1;
		x->auth.state = ACL_AUTH_FAILED;
		return;
	}
	x->auth.state = digest_check(x, 0);
	if (x->auth.state != ACL_AUTH_OK)
		x->log.user = x->auth.state == ACL_AUTH_FAILED ?
		    x->auth.user : NULL;
}

static int
digest_is_hex32(const char *s)
{
	return s != NULL && strlen(s) == DIGEST_HEX_LEN &&
	    strspn(s, "0123456789abcdefABCDEF") == DIGEST_HEX_LEN;
}

static void
digest_done(void *arg, const struct helper_reply *rep, const char *notes)
{
	struct xact *x = arg;
	struct auth_digest_req *r = x->auth.digest;
	struct digest_user *u = digest_user_find(r->cred.username, 1);
	const char *ha1 = NULL;

	x->auth.req = NULL;
	annotate_user_notes(&u->notes, rep, "ha1");
	if (rep->result == HELPER_OK)
		ha1 = helper_reply_get(rep, "ha1");
	else if (rep->result == HELPER_UNKNOWN)
		ha1 = rep->line;	/* Squid 3.3's helpers: the bare hash */
	if (rep->result == HELPER_OK || rep->result == HELPER_UNKNOWN) {
		if (digest_is_hex32(ha1)) {
			memcpy(u->ha1, ha1, DIGEST_HEX_LEN + 1);
			u->ha1_set = 1;
		} else if (rep->result == HELPER_OK && ha1 == NULL)
			log_warnx("digest auth helper returned OK without "
			    "ha1=; see the Squid 3.4 helper protocol");
		x->auth.state = digest_check(x, 1);
		if (x->auth.state == ACL_AUTH_PENDING) {
			if (auth_digest_start(x, x->auth.cont))
				return;
			x->auth.state = ACL_AUTH_FAILED;
		}
	} else {
		if (rep->result == HELPER_BH)
			log_errx("digest auth helper: {result=BH, notes={%s}}",
			    notes);
		x->auth.state = ACL_AUTH_FAILED;
	}
	x->log.user = x->auth.user;
	x->auth.cont(x);
}

int
auth_digest_start(struct xact *x, void (*cont)(struct xact *))
{
	struct auth_digest_req *r = x->auth.digest;
	char line[DIGEST_LINE_MAX + 2];
	int n;

	x->auth.state = ACL_AUTH_FAILED;
	if (digest_pool == NULL || r == NULL || r->cred.username == NULL)
		return 0;
	n = snprintf(line, DIGEST_LINE_MAX, "\"%s\":\"%s\"",
	    r->cred.username, r->cred.realm);
	if (n < 0 || n >= DIGEST_LINE_MAX - 2 || strchr(line, '\n') != NULL)
		return 0;
	if (worker_cfg->auth_digest.key_extras != NULL) {
		struct alog_entry e = x->log;

		line[n++] = ' ';
		e.method = x->method;
		e.url = e.url_orig = x->url_str;
		e.scheme = x->url.scheme;
		e.host = x->url.host;
		e.port = x->url.port;
		e.path = x->path_str;
		e.request = &x->req;
		e.xaction = x->id;
		e.client_fqdn = dns_hosts_name(
		    (const struct sockaddr *)&x->log.client);
		e.user = r->cred.username;	/* %un: who is being checked */
		n += (int)logformat_render(worker_cfg->auth_digest.key_extras,
		    &e, 0, line + n, sizeof(line) - (size_t)n);
	} else
		line[n++] = '\n';
	x->auth.cont = cont;
	x->auth.req = helper_submit(digest_pool, line, (size_t)n, digest_done,
	    x);
	if (x->auth.req == NULL)
		return 0;
	x->auth.state = ACL_AUTH_PENDING;
	xact_set_state(x, XS_AUTH);
	return 1;
}

void
auth_digest_release(struct xact *x)
{
	if (x->auth.digest == NULL)
		return;
	digest_cred_free(&x->auth.digest->cred);
	free(x->auth.digest);
	x->auth.digest = NULL;
}

void
auth_digest_challenge(struct xact *x, struct buf *out)
{
	struct digest_nonce *n = digest_nonce_new();
	int stale = x != NULL && x->auth.digest != NULL &&
	    x->auth.digest->stale;

	buf_printf(out, "Proxy-Authenticate: Digest realm=\"%s\", "
	    "nonce=\"%s\", qop=\"auth\", stale=%s\r\n",
	    worker_cfg->auth_digest.realm, n->key, stale ? "true" : "false");
}

/*
 * On a reply to credentials whose nonce is about to run out (Squid's
 * authDigestNonceLastRequest), offer the next one.
 */
void
auth_digest_next_nonce(struct xact *x, struct buf *out)
{
	struct auth_digest_req *r = x->auth.digest;
	long max = worker_cfg->auth_digest.nonce_max_count;

	if (r == NULL || x->auth.state != ACL_AUTH_OK || !r->nonce_used ||
	    digest_pool == NULL)
		return;
	if (r->nc != DIGEST_NC_LIMIT - 1 && (long)r->nc < max - 1)
		return;
	buf_printf(out, "Proxy-Authentication-Info: nextnonce=\"%s\"\r\n",
	    digest_nonce_new()->key);
}

int
auth_digest_mgr_stats(struct buf *out)
{
	if (digest_pool == NULL)
		return -1;
	helper_pool_stats(digest_pool, out, "Digest Authenticator Statistics");
	return 0;
}
