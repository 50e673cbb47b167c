/*
 * Delay pools: token buckets on the bytes a worker reads from servers for
 * its clients.  A response's pool is picked once its head is in
 * (delay_access may look at the reply, as Squid's DelayId::DelayClient
 * does); forward.c then reads no more than the pool's buckets hold and,
 * when they are empty, stops reading and waits on the id's timer, never
 * polling.  Buckets fill continuously from the clock as they are looked
 * at, at the average rate of Squid's once-a-second refill, up to their
 * max.  Each is born delay_initial_bucket_level percent full (Squid's
 * aggregate starts empty, against its documentation: cuttle follows the
 * documentation).  Hosts and networks get a bucket when first seen: by
 * the last octet (and, class 3, the third) of an IPv4 client address;
 * other clients meet only the aggregate bucket, as in Squid.  A
 * reconfigure under -N starts fresh buckets; transactions already going
 * keep the old ones, which are never freed, like the config they belong
 * to.
 */
#include "config.h"
#include "delay.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "cfg.h"
#include "evloop.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

/* how much a throttled read waits for: about 20 ms of the refill */
#define DELAY_QUANTUM_DIV	50
#define DELAY_MAX_WAIT_MS	1000

struct delay_bucket {
	int64_t		 level;		/* bytes; below 0 after a large read */
	uint64_t	 stamp;		/* ms: filled up to this time */
	int		 seen;
};

struct delay_hosts {
	struct delay_bucket host[256];
};

struct delay_pool_run {
	struct delay_bucket agg;
	struct delay_bucket net[256];		/* class 3 */
	struct delay_hosts *hosts[256];		/* class 3 by network; class 2
						   uses hosts[0] */
};

/* The buckets of one loaded config's pools. */
struct delay_run {
	const struct cfg *cfg;
	struct delay_pool_run *pools;
};

struct delay_id {
	const struct cfg_delay_spec *spec[CFG_DELAY_LEVELS];
	struct delay_bucket *b[CFG_DELAY_LEVELS];	/* NULL: no limit */
	struct ev_timer	 timer;
};

static struct delay_run *delay_run;

static void
delay_bucket_init(struct delay_bucket *b, const struct cfg_delay_spec *s,
    int initial)
{
	b->level = (int64_t)((double)s->max * initial / 100);
	b->stamp = ev_now();
	b->seen = 1;
}

static void
delay_refill(struct delay_bucket *b, const struct cfg_delay_spec *s)
{
	uint64_t now = ev_now();

	if (now <= b->stamp)
		return;
	if (s->restore <= 0 || b->level >= s->max) {
		b->stamp = now;
		return;
	}
	double add = (double)s->restore * (double)(now - b->stamp) / 1000.0;
	if ((double)b->level + add >= (double)s->max) {
		b->level = s->max;
		b->stamp = now;
		return;
	}
	int64_t whole = (int64_t)add;
	if (whole == 0)
		return;
	b->level += whole;
	/* keep the fraction of a byte for the next look */
	b->stamp += (uint64_t)((double)whole * 1000.0 / (double)s->restore);
}

/* The buckets of the running config, made at its first transaction. */
static struct delay_run *
delay_current(void)
{
	const struct cfg *cfg = worker_cfg;

	if (delay_run != NULL && delay_run->cfg == cfg)
		return delay_run;
	delay_run = xcalloc(1, sizeof(*delay_run));
	delay_run->cfg = cfg;
	delay_run->pools = xcalloc((size_t)cfg->delay_npools,
	    sizeof(*delay_run->pools));
	for (int i = 0; i < cfg->delay_npools; i++)
		delay_bucket_init(&delay_run->pools[i].agg,
		    &cfg->delay_pools[i].spec[0], cfg->delay_initial_level);
	return delay_run;
}

/* The IPv4 address of sa (plain or mapped) in host order; 0: none. */
static int
delay_ipv4(const struct sockaddr_storage *sa, uint32_t *ip)
{
	if (sa->ss_family == AF_INET) {
		*ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return 1;
	}
	if (sa->ss_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(ip, &a->s6_addr[12], 4);
			*ip = ntohl(*ip);
			return 1;
		}
	}
	return 0;
}

static struct delay_bucket *
delay_seen(struct delay_bucket *b, const struct cfg_delay_spec *s,
    int initial)
{
	if (!b->seen)
		delay_bucket_init(b, s, initial);
	return b;
}

static struct delay_id *
delay_id_new(struct delay_pool_run *run, const struct cfg_delay_pool *p,
    const struct sockaddr_storage *src, int initial)
{
	struct delay_id d;
	uint32_t ip = 0;
	int v4 = delay_ipv4(src, &ip), any = 0;

	memset(&d, 0, sizeof(d));
	for (int i = 0; i < CFG_DELAY_LEVELS; i++) {
		const struct cfg_delay_spec *s = &p->spec[i];
		if (s->restore == -1 || (i > 0 && !v4))
			continue;
		d.spec[i] = s;
		if (i == 0)
			d.b[i] = &run->agg;
		else if (i == 1)
			d.b[i] = delay_seen(&run->net[(ip >> 8) & 0xff], s,
			    initial);
		else {
			unsigned net = p->dclass == 3 ? (ip >> 8) & 0xff : 0;
			if (run->hosts[net] == NULL)
				run->hosts[net] = xcalloc(1,
				    sizeof(*run->hosts[net]));
			d.b[i] = delay_seen(&run->hosts[net]->host[ip & 0xff],
			    s, initial);
		}
		any = 1;
	}
	if (!any)
		return NULL;
	struct delay_id *id = xmalloc(sizeof(*id));
	*id = d;
	return id;
}

struct delay_id *
delay_pick(struct xact *x, void (*cb)(struct ev_timer *))
{
	const struct cfg *cfg = worker_cfg;
	struct acl_checklist cl;
	int filled = 0;

	for (int i = 0; i < cfg->delay_npools; i++) {
		const struct cfg_delay_pool *p = &cfg->delay_pools[i];
		int action = ACCESS_DENY;

		/* pools take only the clients delay_access allows */
		if (p->dclass <= 0 || p->access.head == NULL)
			continue;
		if (!filled) {
			xact_checklist(x, &cl);
			cl.src = cfg->delay_pool_uses_indirect_client ?
			    (const struct sockaddr *)&x->client :
			    (const struct sockaddr *)&x->log.client;
			filled = 1;
		}
		if (access_check(&p->access, &cl, ACCESS_DENY, &action,
		    NULL) != ACL_MATCH || action != ACCESS_ALLOW)
			continue;
		struct delay_id *d = delay_id_new(&delay_current()->pools[i],
		    p, cfg->delay_pool_uses_indirect_client ? &x->client :
		    &x->log.client, cfg->delay_initial_level);
		if (d != NULL)
			ev_timer_init(&d->timer, cb, x);
		return d;
	}
	return NULL;
}

size_t
delay_allowance(struct delay_id *d, size_t want)
{
	size_t allow = want;
	uint64_t wait = 0;

	for (int i = 0; i < CFG_DELAY_LEVELS; i++) {
		struct delay_bucket *b = d->b[i];
		const struct cfg_delay_spec *s = d->spec[i];
		if (b == NULL)
			continue;
		delay_refill(b, s);
		if (b->level > 0) {
			if ((uint64_t)b->level < allow)
				allow = (size_t)b->level;
			continue;
		}
		allow = 0;
		uint64_t ms = DELAY_MAX_WAIT_MS;
		if (s->restore > 0) {
			int64_t q = s->restore / DELAY_QUANTUM_DIV;
			if (q > s->max)
				q = s->max;
			if (q < 1)
				q = 1;
			ms = (uint64_t)(((double)(q - b->level) * 1000.0 +
			    (double)s->restore - 1) / (double)s->restore);
			if (ms < 1)
				ms = 1;
			if (ms > DELAY_MAX_WAIT_MS)
				ms = DELAY_MAX_WAIT_MS;
		}
		if (ms > wait)
			wait = ms;
	}
	if (allow == 0 && !ev_timer_armed(&d->timer))
		ev_timer_start(&d->timer, wait);
	return allow;
}

void
delay_bytes_in(struct delay_id *d, size_t n)
{
	for (int i = 0; i < CFG_DELAY_LEVELS; i++)
		if (d->b[i] != NULL)
			d->b[i]->level -= (int64_t)n;
}

void
delay_release(struct delay_id *d)
{
	if (d == NULL)
		return;
	ev_timer_stop(&d->timer);
	free(d);
}
