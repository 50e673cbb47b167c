/*
 * DNS for workers.  hosts_file is read once into a small table; other names
 * go to c-ares, whose sockets join the worker's epoll loop.  Answers are
 * cached by name: successes for the record TTL bounded by positive_dns_ttl,
 * failures for negative_dns_ttl.  Concurrent lookups of one name share a
 * single query.
 *
 * In DESIGN.md's data flow: miss: DNS (c-ares).
 */
#include "config.h"
#include "dns.h"
#include "cfg.h"
#include "evloop.h"
#include "log.h"
#include "util.h"

#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dns_waiter {
	struct dns_query *q;
	dns_cb		*cb;
	void		*arg;
	int		 cancelled;
	struct dns_waiter *next;
};

struct dns_entry {			/* cache entry and in-flight query */
	char		*name;
	struct dns_result res;
	uint64_t	 expires;	/* ms; 0 while pending */
	int		 pending;
	struct dns_waiter *waiters;
	struct dns_entry *next;
};

struct dns_query {
	struct dns_waiter w;
	struct dns_result res;	/* copied in before delivery */
};

struct dns_host {
	char		*name;
	struct sockaddr_storage addr;
	int		 first;	/* the first name on its line */
	struct dns_host *next;	/* all, in reverse file order */
	struct dns_host *hnext;	/* same hash bucket, in file order */
};

struct dns_sock {
	struct ev_io	 io;
	struct dns_sock	*next;
};

#define DNS_BUCKETS 1024

static ares_channel dns_channel;
static struct dns_entry *dns_cache[DNS_BUCKETS];
static struct dns_host *dns_hosts;
/* hosts_file names by hash: a bump or tunnel benchmark with 16k names
 * spent 14-39% of its time scanning the list for every request. */
static struct dns_host **dns_host_tab;
static unsigned dns_host_mask;
static struct dns_sock *dns_socks;
static struct ev_timer dns_timer;
static struct ev_timer dns_deliver_timer;
static struct dns_waiter *dns_ready;	/* answered from cache, to deliver */
static const struct cfg *dns_cfg;

static unsigned
dns_hash(const char *s)
{
	return util_hash_casestr(s) % DNS_BUCKETS;
}

/* Index the loaded hosts by name, each bucket in file order. */
static void
dns_index_hosts(void)
{
	size_t n = 0, size = 16;

	for (struct dns_host *h = dns_hosts; h != NULL; h = h->next)
		n++;
	while (size < 2 * n)
		size *= 2;
	dns_host_tab = xcalloc(size, sizeof(*dns_host_tab));
	dns_host_mask = (unsigned)size - 1;
	/* the list is in reverse file order: prepending restores it */
	for (struct dns_host *h = dns_hosts; h != NULL; h = h->next) {
		struct dns_host **b = &dns_host_tab[util_hash_casestr(h->name) &
		    dns_host_mask];
		h->hnext = *b;
		*b = h;
	}
}

static void
dns_load_hosts(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (f == NULL) {
		log_warn("hosts_file %s", path);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save, *addr, *name;
		struct sockaddr_storage ss;
		int first = 1;
		socklen_t len;

		if ((addr = strchr(line, '#')) != NULL)
			*addr = '\0';
		addr = strtok_r(line, " \t\r\n", &save);
		if (addr == NULL || util_addr_parse(addr, 0, &ss, &len) == -1)
			continue;
		while ((name = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			struct dns_host *h = xcalloc(1, sizeof(*h));
			h->name = xstrdup(name);
			for (char *p = h->name; *p; p++)
				*p = tolower((unsigned char)*p);
			h->addr = ss;
			h->first = first;
			first = 0;
			h->next = dns_hosts;
			dns_hosts = h;
		}
	}
	fclose(f);
	dns_index_hosts();
}

const char *
dns_hosts_name(const struct sockaddr *sa)
{
	/*
	 * Squid's fqdncache: a line gives its address the line's first name,
	 * and a later line for the same address replaces it.  The list is in
	 * reverse file order, so the first line-opening match is the last.
	 */
	for (struct dns_host *h = dns_hosts; h != NULL; h = h->next) {
		if (!h->first || h->addr.ss_family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET &&
		    ((struct sockaddr_in *)&h->addr)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)sa)->sin_addr.s_addr)
			return h->name;
		if (sa->sa_family == AF_INET6 &&
		    memcmp(&((struct sockaddr_in6 *)&h->addr)->sin6_addr,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, 16) == 0)
			return h->name;
	}
	return NULL;
}

static void dns_process(struct ev_io *io, uint32_t revents);

static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_sock **pp, *s;

	for (pp = &dns_socks; (s = *pp) != NULL; pp = &s->next)
		if (s->io.fd == fd)
			break;
	if (!readable && !writable) {
		if (s != NULL) {
			ev_io_stop(&s->io);
			*pp = s->next;
			ev_defer_free(s);
		}
		return;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		ev_io_init(&s->io, fd, dns_process, NULL);
		s->next = dns_socks;
		dns_socks = s;
	}
	ev_io_set(&s->io, (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0));
}

static void
dns_arm_timer(void)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(dns_channel, NULL, &tv);
	if (tvp == NULL)
		ev_timer_stop(&dns_timer);
	else
		ev_timer_start(&dns_timer, tvp->tv_sec * 1000 +
		    tvp->tv_usec / 1000 + 1);
}

static void
dns_process(struct ev_io *io, uint32_t revents)
{
	ares_socket_t r = ARES_SOCKET_BAD, w = ARES_SOCKET_BAD;

	if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP))
		r = io->fd;
	if (revents & EPOLLOUT)
		w = io->fd;
	ares_process_fd(dns_channel, r, w);
	dns_arm_timer();
}

static void
dns_timeout(struct ev_timer *t)
{
	ares_process_fd(dns_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_arm_timer();
}

/* Answers are always delivered from a timer, never inside dns_resolve(). */
static void
dns_queue_ready(struct dns_query *q, const struct dns_result *res)
{
	q->res = *res;
	q->w.next = dns_ready;
	dns_ready = &q->w;
	ev_timer_start(&dns_deliver_timer, 0);
}

static void
dns_deliver(struct dns_entry *e)
{
	struct dns_waiter *w = e->waiters;

	e->waiters = NULL;
	while (w != NULL) {
		struct dns_waiter *next = w->next;
		dns_queue_ready(w->q, &e->res);
		w = next;
	}
}

static void
dns_answer(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct dns_entry *e = arg;
	int64_t ttl = dns_cfg->negative_dns_ttl;

	e->pending = 0;
	e->res.naddrs = 0;
	if (status == ARES_SUCCESS && ai != NULL) {
		int minttl = -1;
		for (struct ares_addrinfo_node *n = ai->nodes;
		    n != NULL && e->res.naddrs < DNS_MAX_ADDRS; n = n->ai_next) {
			if (n->ai_family != AF_INET && n->ai_family != AF_INET6)
				continue;
			memcpy(&e->res.addrs[e->res.naddrs++], n->ai_addr,
			    n->ai_addrlen);
			if (minttl == -1 || n->ai_ttl < minttl)
				minttl = n->ai_ttl;
		}
		ttl = (int64_t)minttl * 1000;
		if (ttl > dns_cfg->positive_dns_ttl || ttl <= 0)
			ttl = dns_cfg->positive_dns_ttl;
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	if (e->res.naddrs == 0) {
		e->res.error = status == ARES_ENOTFOUND ||
		    status == ARES_ENODATA ? "Name not found" :
		    status == ARES_ETIMEOUT ? "DNS timeout" :
		    status == ARES_ECONNREFUSED ? "DNS server refused" :
		    "DNS error";
		ttl = dns_cfg->negative_dns_ttl;
	} else {
		e->res.error = NULL;
	}
	e->expires = ev_now() + (ttl > 0 ? ttl : 1);
	dns_deliver(e);
}

static void
dns_deliver_ready(struct ev_timer *t)
{
	struct dns_waiter *w = dns_ready;

	dns_ready = NULL;
	while (w != NULL) {
		struct dns_waiter *next = w->next;
		if (!w->cancelled)
			w->cb(w->arg, &w->q->res);
		free(w->q);
		w = next;
	}
}

static void
dns_set_servers(const struct cfg *cfg)
{
	char csv[2048] = "";

	if (cfg->dns_nameservers == NULL)
		return;
	for (struct cfg_str_list *s = cfg->dns_nameservers; s; s = s->next) {
		if (csv[0])
			strncat(csv, ",", sizeof(csv) - strlen(csv) - 1);
		strncat(csv, s->s, sizeof(csv) - strlen(csv) - 1);
	}
	if (ares_set_servers_csv(dns_channel, csv) != ARES_SUCCESS)
		log_errx("dns_nameservers: cannot use '%s'", csv);
}

void
dns_reload(const struct cfg *cfg)
{
	struct dns_host *h;

	dns_cfg = cfg;
	while ((h = dns_hosts) != NULL) {
		dns_hosts = h->next;
		free(h->name);
		free(h);
	}
	free(dns_host_tab);
	dns_host_tab = NULL;
	if (cfg->hosts_file != NULL)
		dns_load_hosts(cfg->hosts_file);
	dns_set_servers(cfg);
	/* answers cached under the old settings do not count any more */
	for (int i = 0; i < DNS_BUCKETS; i++)
		for (struct dns_entry *e = dns_cache[i]; e != NULL; e = e->next)
			if (!e->pending)
				e->expires = 0;
}

int
dns_init(const struct cfg *cfg)
{
	struct ares_options opts;
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES;

	dns_cfg = cfg;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return -1;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_sock_state;
	opts.lookups = (char *)"b";	/* hosts_file is ours, not /etc/hosts */
	opts.timeout = (int)(cfg->dns_timeout / 4 > 0 ? cfg->dns_timeout / 4 :
	    1000);
	opts.tries = 4;
	/*
	 * dns_defnames off (Squid's default) keeps c-ares from trying a name
	 * with resolv.conf's (or LOCALDOMAIN's) search domains: a cache in a
	 * hierarchy must not read a one-label host as a local one.  Squid
	 * reads its search list from resolv.conf with the nameservers there,
	 * so with dns_nameservers it has none even when the option is on.
	 * c-ares searches as Squid's resolver does with it on: after ndots,
	 * and after a dotted name fails.  An empty list rather than
	 * ARES_FLAG_NOSEARCH, which c-ares 1.18's getaddrinfo ignores.  A
	 * channel's list is set once, hence CONF_RESTART.
	 */
	if (!cfg->dns_defnames || cfg->dns_nameservers != NULL) {
		opts.domains = NULL;
		opts.ndomains = 0;
		mask |= ARES_OPT_DOMAINS;
	}
	if (ares_init_options(&dns_channel, &opts, mask) != ARES_SUCCESS) {
		log_errx("c-ares initialisation failed");
		return -1;
	}
	dns_set_servers(cfg);
	if (cfg->hosts_file != NULL)
		dns_load_hosts(cfg->hosts_file);
	ev_timer_init(&dns_timer, dns_timeout, NULL);
	ev_timer_init(&dns_deliver_timer, dns_deliver_ready, NULL);
	return 0;
}

static struct dns_query *
dns_query_new(dns_cb *cb, void *arg)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));

	q->w.q = q;
	q->w.cb = cb;
	q->w.arg = arg;
	return q;
}

static struct dns_query *
dns_ready_query(const struct dns_result *res, dns_cb *cb, void *arg)
{
	struct dns_query *q = dns_query_new(cb, arg);

	dns_queue_ready(q, res);
	return q;
}

struct dns_query *
dns_resolve(const char *host, dns_cb *cb, void *arg)
{
	struct dns_result res;
	struct dns_entry *e;
	unsigned h;

	memset(&res, 0, sizeof(res));
	socklen_t len;
	if (util_addr_parse(host, 0, &res.addrs[0], &len) == 0) {
		res.naddrs = 1;
		return dns_ready_query(&res, cb, arg);
	}
	if (dns_host_tab != NULL) {
		struct dns_host *hh = dns_host_tab[util_hash_casestr(host) &
		    dns_host_mask];
		for (; hh != NULL; hh = hh->hnext)
			if (strcasecmp(hh->name, host) == 0 &&
			    res.naddrs < DNS_MAX_ADDRS)
				res.addrs[res.naddrs++] = hh->addr;
	}
	if (res.naddrs > 0)
		return dns_ready_query(&res, cb, arg);

	h = dns_hash(host);
	for (e = dns_cache[h]; e != NULL; e = e->next)
		if (strcasecmp(e->name, host) == 0)
			break;
	if (e != NULL && !e->pending && e->expires > ev_now())
		return dns_ready_query(&e->res, cb, arg);
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(host);
		e->next = dns_cache[h];
		dns_cache[h] = e;
	}
	struct dns_query *q = dns_query_new(cb, arg);
	q->w.next = e->waiters;
	e->waiters = &q->w;
	if (!e->pending) {
		struct ares_addrinfo_hints hints;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = ARES_AI_NOSORT;
		e->pending = 1;
		ares_getaddrinfo(dns_channel, e->name, NULL, &hints,
		    dns_answer, e);
		dns_arm_timer();
	}
	return q;
}

void
dns_cancel(struct dns_query *q)
{
	if (q != NULL)
		q->w.cancelled = 1;
}
