/*
 * auth: proxy authentication with the Basic scheme on top of helper_pool.
 * The helper line is "USER PASSWORD[ key_extras]\n", both rfc1738-escaped
 * and USER lowercased unless casesensitive is on (squid-compat.md 7.2).
 * "OK" makes the credentials valid for credentialsttl in this worker's
 * cache, keyed by user name as in Squid, so a changed password is checked
 * again, and in the table all workers share (auth_share.h), so another
 * worker trusts them too; anything else refuses them, and the request is
 * challenged (407).  A sweep every authenticate_cache_garbage_interval
 * forgets users checked authenticate_ttl ago.  Each user also keeps its
 * recent source addresses for max_user_ip (auth_ips.h); Digest and
 * Negotiate users have theirs in a table of their own.
 * Digest credentials are handed to auth_digest.c and Negotiate ones to
 * auth_negotiate.c, and a 407 carries one challenge per scheme in
 * auth_param order (auth_challenge).
 *
 * In DESIGN.md's data flow: http_access / auth.
 */
#include "config.h"
#include "auth.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acl.h"
#include "auth_digest.h"
#include "auth_ips.h"
#include "auth_share.h"
#include "auth_negotiate.h"
#include "buf.h"
#include "cfg.h"
#include "annotate.h"
#include "conn.h"
#include "xact.h"
#include "dns.h"
#include "evloop.h"
#include "heritage.h"
#include "helper_pool.h"
#include "log.h"
#include "logformat.h"
#include "notes.h"
#include "util.h"
#include "worker.h"

#define AUTH_LINE_MAX		8192
#define AUTH_CACHE_BUCKETS	251

/*
 * One user of the credentials cache, Squid's Auth::Basic::User: the
 * password last sent, whether the helper accepted it, when it last
 * answered (expiretime in Squid, which credentialsttl and
 * authenticate_ttl both count from; a request served from the cache does
 * not move it), and the source addresses for max_user_ip.
 */
struct auth_cred {
	char		*user;
	char		*pass;		/* the helper accepted it; NULL: not */
	time_t		 checked;	/* monotonic seconds */
	struct auth_ips	 ips;
	struct notes	 notes;		/* the helper's kv-pairs for the user */
	struct auth_cred *next;
};

static void auth_gc_schedule(void);

static struct helper_pool *auth_pool;
static struct auth_cred *auth_cache[AUTH_CACHE_BUCKETS];
static unsigned auth_cache_users;
static struct ev_timer auth_gc_timer = { .idx = -1 };

/* monotonic seconds */
static time_t
auth_now(void)
{
	return (time_t)(util_now_ms() / 1000);
}

static unsigned
auth_hash(const char *s)
{
	return util_hash_str(s) % AUTH_CACHE_BUCKETS;
}

static void
auth_cred_free(struct auth_cred *c)
{
	free(c->user);
	free(c->pass);
	auth_ips_free(&c->ips);
	notes_free(&c->notes);
	free(c);
	auth_cache_users--;
}

static void
auth_cache_clear(void)
{
	struct auth_cred *c, *next;

	for (int i = 0; i < AUTH_CACHE_BUCKETS; i++) {
		for (c = auth_cache[i]; c != NULL; c = next) {
			next = c->next;
			auth_cred_free(c);
		}
		auth_cache[i] = NULL;
	}
}

static struct auth_cred *
auth_cache_find(const char *user)
{
	struct auth_cred *c;

	for (c = auth_cache[auth_hash(user)]; c != NULL; c = c->next)
		if (strcmp(c->user, user) == 0)
			return c;
	return NULL;
}

/* The user's entry, made if new (Squid adds a user when first decoded). */
static struct auth_cred *
auth_cache_get(const char *user)
{
	struct auth_cred *c = auth_cache_find(user);
	unsigned h = auth_hash(user);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->user = xstrdup(user);
		c->checked = auth_now();
		c->next = auth_cache[h];
		auth_cache[h] = c;
		auth_cache_users++;
		auth_gc_schedule();
	}
	return c;
}

/* Have the credentials been accepted less than credentialsttl ago? */
static int
auth_fresh(time_t checked)
{
	return checked + (time_t)(worker_cfg->auth_basic.credentialsttl /
	    1000) > auth_now();
}

/*
 * Digest and Negotiate users' addresses, for max_user_ip: their own
 * caches are per nonce and per connection, so the addresses live here,
 * keyed "scheme user", and go at the sweep once all have expired.
 */
struct auth_seen {
	char		*key;
	struct auth_ips	 ips;
	struct auth_seen *next;
};

static struct auth_seen *auth_seen_users[AUTH_CACHE_BUCKETS];
static unsigned auth_seen_count;

static struct auth_ips *
auth_seen_ips(const char *scheme, const char *user, int make)
{
	char *key = xasprintf("%s %s", scheme, user);
	unsigned h = auth_hash(key);
	struct auth_seen *u;

	for (u = auth_seen_users[h]; u != NULL; u = u->next)
		if (strcmp(u->key, key) == 0)
			break;
	if (u == NULL && make) {
		u = xcalloc(1, sizeof(*u));
		u->key = key;
		key = NULL;
		u->next = auth_seen_users[h];
		auth_seen_users[h] = u;
		auth_seen_count++;
		auth_gc_schedule();
	}
	free(key);
	return u != NULL ? &u->ips : NULL;
}

/* The sweep's part for them; all = 1 drops every one (reload). */
static void
auth_seen_sweep(int all)
{
	struct auth_seen **pp, *u;

	for (int i = 0; i < AUTH_CACHE_BUCKETS; i++)
		for (pp = &auth_seen_users[i]; (u = *pp) != NULL;) {
			if (all || auth_ips_expire(&u->ips, auth_now()) == 0) {
				*pp = u->next;
				free(u->key);
				auth_ips_free(&u->ips);
				free(u);
				auth_seen_count--;
			} else
				pp = &u->next;
		}
}

/*
 * authenticate_cache_garbage_interval: drop the users whose last check is
 * authenticate_ttl old or older (Squid's CredentialsCache::cleanup), here
 * and in the table the workers share.  Armed only while users are cached,
 * as Squid's event.
 */
static void
auth_gc(struct ev_timer *t)
{
	time_t cutoff = auth_now() -
	    (time_t)(worker_cfg->authenticate_ttl / 1000);
	struct auth_cred **pp, *c;

	(void)t;
	for (int i = 0; i < AUTH_CACHE_BUCKETS; i++)
		for (pp = &auth_cache[i]; (c = *pp) != NULL;) {
			if (c->checked <= cutoff) {
				log_debug(29, 6, "evicting %s", c->user);
				*pp = c->next;
				auth_cred_free(c);
			} else
				pp = &c->next;
		}
	auth_share_expire(heritage.auth_share, cutoff);
	auth_seen_sweep(0);
	auth_gc_schedule();
}

static void
auth_gc_schedule(void)
{
	if ((auth_cache_users == 0 && auth_seen_count == 0) ||
	    ev_timer_armed(&auth_gc_timer))
		return;
	if (auth_gc_timer.cb == NULL)
		ev_timer_init(&auth_gc_timer, auth_gc, NULL);
	/* times are whole seconds: a sweep more often than that (Squid
	 * takes 0 as every loop pass) would find nothing new */
	int64_t ms = worker_cfg->authenticate_gc_interval;
	ev_timer_start(&auth_gc_timer, (uint64_t)(ms < 1000 ? 1000 : ms));
}

/* The source address max_user_ip counts, as the ACLs see it. */
static const struct sockaddr *
auth_src(const struct xact *x)
{
	return worker_cfg->acl_uses_indirect_client ?
	    (const struct sockaddr *)&x->client :
	    (const struct sockaddr *)&x->log.client;
}

/* The address list of x's validated user, made if asked; NULL: none. */
static struct auth_ips *
auth_user_ips(const struct xact *x, int make)
{
	struct auth_cred *c;

	if (x->auth.state != ACL_AUTH_OK || x->auth.user == NULL)
		return NULL;
	if (x->auth.digest != NULL)
		return auth_seen_ips("digest", x->auth.user, make);
	if (x->auth.pass == NULL)
		return auth_seen_ips("negotiate", x->auth.user, make);
	c = make ? auth_cache_get(x->auth.user) : auth_cache_find(x->auth.user);
	return c != NULL ? &c->ips : NULL;
}

void
auth_note_address(struct xact *x)
{
	struct auth_ips *l;
	char a[64];

	if (x->auth.ip_noted || (l = auth_user_ips(x, 1)) == NULL)
		return;
	x->auth.ip_noted = 1;
	if (auth_ips_add(l, auth_src(x), auth_now(),
	    (time_t)(worker_cfg->authenticate_ip_ttl / 1000)))
		log_debug(29, 2, "user '%s' has been seen at a new IP address "
		    "(%s)", x->auth.user, util_addr_str(auth_src(x), a,
		    sizeof(a)));
}

int
auth_max_user_ip(void *arg, int max, int strict)
{
	struct xact *x = arg;
	struct auth_ips *l = auth_user_ips(x, 0);

	if (l == NULL || !auth_ips_over(l, auth_src(x), max, strict))
		return 0;
	log_debug(28, 1, "aclMatchUserMaxIP: user '%s' tries to use too many "
	    "IP addresses (max %d allowed)!", x->auth.user, max);
	return 1;
}

int auth_configured;

/* After auth_digest_*() and auth_negotiate_*() read cfg (worker_cfg). */
static void
auth_note_configured(const struct cfg *cfg)
{
	auth_configured = cfg->auth_basic.program != NULL ||
	    auth_digest_on(cfg) || auth_negotiate_on();
}

void
auth_init(const struct cfg *cfg)
{
	auth_digest_init(cfg);
	auth_negotiate_init(cfg);
	auth_note_configured(cfg);
	if (cfg->auth_basic.program == NULL)
		return;
	auth_pool = helper_pool_start("basicauthenticator",
	    cfg->auth_basic.program, &cfg->auth_basic.children, NULL);
}

void
auth_shutdown(void)
{
	helper_pool_stop(auth_pool, 0);
	auth_pool = NULL;
	auth_cache_clear();
	auth_seen_sweep(1);
	ev_timer_stop(&auth_gc_timer);
	auth_digest_shutdown();
	auth_negotiate_shutdown(0);
}

void
auth_reload(const struct cfg *cfg)
{
	struct helper_pool *old = auth_pool;

	auth_pool = NULL;
	helper_pool_stop(old, 1);
	/*
	 * -N is its own master: keep the shared table or clear it as the
	 * master does for its kids (kid_auth_share_configure).  The users
	 * this worker knew go: their password checks ran under the old
	 * auth_param lines.
	 */
	if (heritage.master == 0 && auth_share_configure(heritage.auth_share,
	    auth_share_fingerprint(&cfg->auth_basic)))
		log_info("auth_param basic changed: shared credentials cleared");
	auth_cache_clear();
	auth_seen_sweep(1);
	ev_timer_stop(&auth_gc_timer);
	auth_digest_reload(cfg);
	auth_negotiate_shutdown(1);
	auth_negotiate_init(cfg);
	auth_note_configured(cfg);
	if (cfg->auth_basic.program != NULL)
		auth_pool = helper_pool_start("basicauthenticator",
		    cfg->auth_basic.program, &cfg->auth_basic.children, NULL);
}

/*
 * A 407's Proxy-Authenticate lines, as Squid's AddReplyAuthHeader: the
 * next leg of a Negotiate handshake alone when one is under way, else one
 * challenge per configured scheme in the order auth_param first named
 * them.
 */
void
auth_challenge(struct xact *x, struct buf *out)
{
	const struct cfg *cfg = worker_cfg;

	if (auth_negotiate_continue(x, out))
		return;
	for (int i = 0; i < cfg->auth_norder; i++) {
		switch (cfg->auth_order[i]) {
		case CFG_AUTH_BASIC:
			if (cfg->auth_basic.program != NULL)
				buf_printf(out, "Proxy-Authenticate: Basic "
				    "realm=\"%s\"\r\n", auth_realm());
			break;
		case CFG_AUTH_DIGEST:
			if (auth_digest_on(cfg))
				auth_digest_challenge(x, out);
			break;
		case CFG_AUTH_NEGOTIATE:
			if (auth_negotiate_on())
				buf_printf(out, "Proxy-Authenticate: "
				    "Negotiate\r\n");
			break;
		case CFG_AUTH_NSCHEMES:
			break;
		}
	}
}

const char *
auth_realm(void)
{
	const char *r = worker_cfg->auth_basic.realm;

	return r != NULL ? r : "Squid proxy-caching web server";
}

static int
auth_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *
auth_b64_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	for (size_t i = 0; i < len && s[i] != '=' && s[i] != ' '; i++) {
		if ((v = auth_b64_value((unsigned char)s[i])) == -1) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	if (strlen(out) != n) {		/* a NUL inside: not credentials */
		free(out);
		return NULL;
	}
	return out;
}

void
auth_setup(struct xact *x)
{
	const struct http_header *h;
	const char *v, *end;
	char *dec, *colon;

	if (x->auth.user != NULL || x->auth.state == ACL_AUTH_FAILED)
		return;		/* already read (re-evaluation) */
	x->auth.state = auth_enabled() ? ACL_AUTH_NONE : ACL_AUTH_OFF;
	/* as Squid: proxy_auth never matches an intercepted request */
	if (x->auth.state != ACL_AUTH_OFF && x->icpt.mode != 0) {
		log_debug(28, 1, "NOTICE: Authentication not applicable on "
		    "intercepted requests.");
		x->auth.state = ACL_AUTH_OFF;
	}
	if (x->auth.state == ACL_AUTH_OFF || x->head == NULL ||
	    auth_negotiate_setup(x) ||
	    (h = http_msg_header(&x->req, "Proxy-Authorization")) == NULL)
		return;
	v = h->value;
	end = h->value + h->value_len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if ((size_t)(end - v) > 7 && strncasecmp(v, "Digest", 6) == 0 &&
	    (v[6] == ' ' || v[6] == '\t') && auth_digest_on(worker_cfg)) {
		auth_digest_setup(x, v + 7, end);
		return;
	}
	if (worker_cfg->auth_basic.program == NULL ||
	    (size_t)(end - v) < 6 || strncasecmp(v, "Basic", 5) != 0 ||
	    (v[5] != ' ' && v[5] != '\t'))
		return;		/* another scheme: challenge for ours */
	v += 6;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((dec = auth_b64_decode(v, (size_t)(end - v))) == NULL ||
	    (colon = strchr(dec, ':')) == NULL || colon == dec) {
		free(dec);
		x->auth.state = ACL_AUTH_FAILED;
		return;
	}
	*colon = '\0';
	if (!worker_cfg->auth_basic.casesensitive)
		for (char *p = dec; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	x->auth.user = dec;
	x->auth.pass = colon + 1;	/* same allocation */
	/*
	 * As Squid's basic decode: an empty password is never checked; a
	 * different password from the cached one is checked again.  What
	 * another worker's helper accepted counts as checked here, from the
	 * time it was.
	 */
	x->auth.state = ACL_AUTH_PENDING;
	if (*x->auth.pass == '\0') {
		x->auth.state = ACL_AUTH_FAILED;
		return;
	}
	struct auth_cred *c = auth_cache_get(x->auth.user);
	time_t checked;
	if (c->pass != NULL && strcmp(c->pass, x->auth.pass) != 0) {
		free(c->pass);
		c->pass = NULL;
	}
	if (c->pass == NULL && auth_share_lookup(heritage.auth_share, "basic",
	    c->user, x->auth.pass, &checked) && auth_fresh(checked)) {
		c->pass = xstrdup(x->auth.pass);
		c->checked = checked;
	}
	if (c->pass != NULL && auth_fresh(c->checked)) {
		annotate_update(x, &c->notes);	/* the user's notes */
		x->auth.state = ACL_AUTH_OK;
		x->log.user = x->auth.user;
	}
}

static size_t
auth_escape_byte(unsigned char c, char *out, size_t n, size_t cap)
{
	if (util_rfc1738_unsafe(c) || c == '%')
		return n + (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	out[n] = (char)c;
	return n + 1;
}

/*
 * Squid's rfc1738_escape, uppercase hex.  With auth_param basic utf8 on,
 * the credentials are taken as ISO-8859-1 (what HTTP Basic sends) and
 * turned into UTF-8 first, for helpers such as LDAP that expect it.
 */
static size_t
auth_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (n + 8 >= cap)
			break;
		if (c >= 0x80 && worker_cfg->auth_basic.utf8) {
			n = auth_escape_byte(0xc0 | (c >> 6), out, n, cap);
			n = auth_escape_byte(0x80 | (c & 0x3f), out, n, cap);
		} else {
			n = auth_escape_byte(c, out, n, cap);
		}
	}
	out[n] = '\0';
	return n;
}

static void
auth_done(void *arg, const struct helper_reply *r, const char *notes)
{
	struct xact *x = arg;

	x->auth.req = NULL;
	/* the user may have been swept from the cache while we waited */
	struct auth_cred *c = auth_cache_get(x->auth.user);
	c->checked = auth_now();
	free(c->pass);
	c->pass = NULL;
	if (r->result == HELPER_OK) {
		c->pass = xstrdup(x->auth.pass);
		auth_share_store(heritage.auth_share, "basic", c->user, c->pass,
		    c->checked);
		/* Squid keeps the reply's notes with the user: group= and
		 * tag= accumulate, other keys are replaced */
		annotate_user_notes(&c->notes, r, NULL);
		annotate_update(x, &c->notes);
		x->auth.state = ACL_AUTH_OK;
		x->log.user = x->auth.user;
	} else {
		auth_share_forget(heritage.auth_share, "basic", c->user,
		    x->auth.pass);
		const char *msg = helper_reply_get(r, "message");

		annotate_from_reply(x, r);
		if (r->result == HELPER_BH)
			log_errx("basic auth helper: {result=BH, notes={%s}}",
			    notes);
		log_debug(29, 2, "user '%s' not authenticated: %s",
		    x->auth.user, msg != NULL ? msg : r->text);
		x->auth.state = ACL_AUTH_FAILED;
		x->log.user = x->auth.user;	/* Squid logs who tried */
	}
	x->auth.cont(x);
}

int
auth_start(struct xact *x, void (*cont)(struct xact *))
{
	char line[AUTH_LINE_MAX + 2];
	size_t n;

	if (auth_negotiate_pending(x))
		return auth_negotiate_start(x, cont);
	if (x->auth.digest != NULL)
		return auth_digest_start(x, cont);
	x->auth.state = ACL_AUTH_FAILED;
	if (auth_pool == NULL || x->auth.user == NULL)
		return 0;
	n = auth_escape(x->auth.user, line, AUTH_LINE_MAX / 2);
	line[n++] = ' ';
	n += auth_escape(x->auth.pass, line + n, AUTH_LINE_MAX / 2);
	if (worker_cfg->auth_basic.key_extras != NULL) {
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
		e.user = x->auth.user;	/* %un: who is being checked */
		n += logformat_render(worker_cfg->auth_basic.key_extras, &e, 0,
		    line + n, sizeof(line) - n);
		/* the render ends the line itself */
	} else
		line[n++] = '\n';
	x->auth.cont = cont;
	x->auth.req = helper_submit(auth_pool, line, n, auth_done, x);
	if (x->auth.req == NULL)
		return 0;
	x->auth.state = ACL_AUTH_PENDING;
	xact_set_state(x, XS_AUTH);
	return 1;
}

void
auth_release(struct xact *x)
{
	if (x->auth.req != NULL) {
		helper_cancel(x->auth.req);
		x->auth.req = NULL;
	}
	if (x->log.user == x->auth.user)
		x->log.user = NULL;
	free(x->auth.user);
	x->auth.user = NULL;
	x->auth.pass = NULL;
	auth_digest_release(x);
}

int
auth_mgr_stats(struct buf *out)
{
	if (auth_pool == NULL)
		return -1;
	helper_pool_stats(auth_pool, out, "Basic Authenticator Statistics");
	return 0;
}
