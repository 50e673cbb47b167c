/*
 * Worker main: take the heritage the master handed over (kid_start has
 * already dropped privileges), set up the loop, DNS and logs, then accept
 * on the shared listening sockets.  Signals arrive through a signalfd:
 * SIGHUP retires the worker (a new generation has started: stop accepting,
 * finish every connection, exit), SIGTERM shuts down within
 * shutdown_lifetime, SIGINT exits now, SIGUSR1 reopens logs, SIGUSR2
 * toggles full debugging, SIGTTIN shuts down like SIGTERM but exits with
 * status 1 (-k restart).  Under -N
 * this process is also the master: it renames the logs on SIGUSR1 and
 * relays the signals to the stores (heritage.relay).
 *
 * In DESIGN.md's data flow: the whole picture: the loop every step runs in.
 */
#include "config.h"
#include "worker.h"
#include "accesslog.h"
#include "auth.h"
#include "external_acl.h"
#include "bump_cert.h"
#include "cache.h"
#include "cfg.h"
#include "conn.h"
#include "xact.h"
#include "dns.h"
#include "errpage.h"
#include "evloop.h"
#include "fdbudget.h"
#include "headers.h"
#include "heritage.h"
#include "log.h"
#include "mgr.h"
#include "mgr_kids.h"
#include "logfile.h"
#include "pconn.h"
#include "peer.h"
#include "proctitle.h"
#include "rewrite.h"
#include "stat_share.h"
#include "storeid.h"
#include "tls_client.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <unistd.h>

const struct cfg *worker_cfg;

struct worker_listener {
	struct ev_io	 io;
	const struct cfg_port *port;
};

static struct worker_listener *worker_listeners;
static int worker_nlisteners;
static int worker_is_retiring;
static uint64_t worker_xact_seq;
static struct ev_io worker_sig_io;
static struct ev_timer worker_deadline;
static char worker_host[256];
static int worker_status;
static int64_t worker_started_ms;

int
worker_retiring(void)
{
	return worker_is_retiring;
}

uint64_t
worker_next_xact_id(void)
{
	return ++worker_xact_seq;
}

const char *
worker_hostname(void)
{
	return worker_host;
}

const char *
worker_appname(void)
{
	return worker_cfg->httpd_suppress_version_string ? PACKAGE_NAME :
	    PACKAGE_NAME "/" PACKAGE_VERSION;
}

int
worker_first_port(void)
{
	return worker_cfg->ports != NULL ? worker_cfg->ports->port : 0;
}

void
worker_conn_closed(void)
{
	if (worker_is_retiring && conn_count() == 0 &&
	    cache_pending_jobs() == 0) {
		log_debug(1, 2, "all connections finished; exiting");
		evloop_stop();
	}
}

/*
 * Out of descriptors, the listening socket stays readable and accept would
 * fail again at once: stop watching it for a short back-off instead of
 * spinning, and say so at most once per warning period, with a count.
 */
#define WORKER_ACCEPT_BACKOFF_MS 100
#define WORKER_SHORTAGE_WARN_MS 10000

static struct ev_timer worker_backoff;
static unsigned long worker_shortages;	/* back-offs since the last warning */
static uint64_t worker_shortage_warned_at;
static int worker_shortage_warned;

static void
worker_shortage_warn(const struct cfg_port *port, int err)
{
	worker_shortages++;
	if (worker_shortage_warned &&
	    ev_now() - worker_shortage_warned_at < WORKER_SHORTAGE_WARN_MS)
		return;
	log_warnx("Your cache is running out of filedescriptors: not accepting "
	    "on %s for %d ms (%s; %d of %d descriptors free, %lu back-off(s) "
	    "since the last warning)", port->spec, WORKER_ACCEPT_BACKOFF_MS,
	    err > 0 ? strerror(err) : "reserve reached", fdbudget_free(),
	    fdbudget_limit(), worker_shortages);
	worker_shortages = 0;
	worker_shortage_warned = 1;
	worker_shortage_warned_at = ev_now();
}

static void
worker_accept(struct ev_io *io, uint32_t revents)
{
	struct worker_listener *l = (struct worker_listener *)io;
	int err = conn_accept(io->fd, l->port);

	if (err == 0)
		return;
	worker_shortage_warn(l->port, err);
	for (int i = 0; i < worker_nlisteners; i++)
		ev_io_stop(&worker_listeners[i].io);
	ev_timer_start(&worker_backoff, WORKER_ACCEPT_BACKOFF_MS);
}

static void
worker_backoff_over(struct ev_timer *t)
{
	for (int i = 0; i < worker_nlisteners; i++)
		if (!worker_listeners[i].io.added &&
		    ev_io_add_exclusive(&worker_listeners[i].io, EPOLLIN) == -1)
			ev_timer_start(t, WORKER_ACCEPT_BACKOFF_MS);
}

static void
worker_stop_listening(void)
{
	for (int i = 0; i < worker_nlisteners; i++) {
		ev_io_stop(&worker_listeners[i].io);
		close(worker_listeners[i].io.fd);
	}
	worker_nlisteners = 0;
	ev_timer_stop(&worker_backoff);
}

static void
worker_deadline_hit(struct ev_timer *t)
{
	log_info("shutdown_lifetime reached with %d connection(s) open; "
	    "exiting", conn_count());
	evloop_stop();
}

/* ps shows the kid number and the ports: "cuttle: worker 1 (127.0.0.1:3128)". */
static void
worker_set_title(const char *state)
{
	char ports[512] = "", host[NI_MAXHOST], serv[NI_MAXSERV];
	size_t n = 0;

	for (int i = 0; i < worker_nlisteners && n < sizeof(ports); i++) {
		const struct cfg_port *p = worker_listeners[i].port;
		if (getnameinfo((const struct sockaddr *)&p->addr, p->addrlen,
		    host, sizeof(host), serv, sizeof(serv),
		    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			continue;
		n += (size_t)snprintf(ports + n, sizeof(ports) - n,
		    strchr(host, ':') ? "%s[%s]:%s" : "%s%s:%s",
		    n ? ", " : "", host, serv);
	}
	char kid[16] = "";
	if (heritage.kid > 0)
		snprintf(kid, sizeof(kid), " %d", heritage.kid);
	if (state != NULL)
		proctitle_set("worker%s %s", kid, state);
	else
		proctitle_set("worker%s (%s)", kid, ports);
}

static void
worker_retire(int64_t deadline_ms)
{
	if (!worker_is_retiring) {
		log_info("worker (pid %ld) retiring with %d open connection(s)",
		    (long)getpid(), conn_count());
		worker_is_retiring = 1;
		worker_stop_listening();
		worker_set_title("(retiring)");
		pconn_close_all();
		conn_retire_idle();
	}
	if (deadline_ms >= 0)
		ev_timer_start(&worker_deadline, (uint64_t)deadline_ms);
	worker_conn_closed();
}

static int
worker_same_ports(const struct cfg *a, const struct cfg *b)
{
	const struct cfg_port *p = a->ports, *q = b->ports;

	for (; p != NULL && q != NULL; p = p->next, q = q->next)
		if (p->addrlen != q->addrlen ||
		    memcmp(&p->addr, &q->addr, p->addrlen) != 0)
			return 0;
	return p == NULL && q == NULL;
}

static void
worker_set_hostname(const struct cfg *cfg)
{
	if (cfg->visible_hostname != NULL)
		snprintf(worker_host, sizeof(worker_host), "%s",
		    cfg->visible_hostname);
	else if (gethostname(worker_host, sizeof(worker_host)) == -1)
		snprintf(worker_host, sizeof(worker_host), "localhost");
}

/*
 * -N has no master to start a new worker generation, so the one process
 * reloads in place: new transactions use the new config, those in progress
 * keep the old one (which is therefore never freed).  A port change is
 * refused whole (new sockets are the master's job); the directives only a
 * restart applies (cache_mem, cache_dir ...) keep their running values.
 */
static void
worker_reload(void)
{
	struct cfg *fresh = xcalloc(1, sizeof(*fresh));
	const struct cfg *old = worker_cfg;

	log_info("Reconfiguring cuttle from %s", old->config_file);
	/* the keys of TLS ports may be root's: cfg_reload reuses unchanged ones */
	if (cfg_reload(fresh, old->config_file, old) != 0) {
		log_errx("reconfigure: %s has errors; keeping the running "
		    "configuration", old->config_file);
		cfg_free(fresh);
		free(fresh);
		return;
	}
	if (!worker_same_ports(old, fresh)) {
		log_errx("reconfigure: http_port changes need a restart under "
		    "-N; keeping the running configuration");
		cfg_free(fresh);
		free(fresh);
		return;
	}
	cfg_restart_keep(fresh, old, cfg_restart_log, NULL);
	struct cfg_port *np = fresh->ports;
	for (int i = 0; i < worker_nlisteners && np != NULL; i++,
	    np = np->next) {
		np->fd = worker_listeners[i].io.fd;
		worker_listeners[i].port = np;
	}
	accesslog_flush();
	worker_cfg = fresh;
	conn_reload();
	accesslog_reopen();
	dns_reload(fresh);
	errpage_reload();
	worker_set_hostname(fresh);
	headers_reload();
	log_apply_debug_options(fresh->debug_options);
	rewrite_reload(fresh);
	storeid_reload(fresh);
	auth_reload(fresh);
	peer_init(fresh);
	external_acl_reload(fresh);
	tls_client_reload(fresh);
	bump_cert_reload(fresh);
}

/* -N only: there is no master to rename the logs before the reopen. */
static void
worker_rotate(void)
{
	const struct cfg *cfg = worker_cfg;

	log_info("Rotating logs");
	if (cfg->cache_log != NULL && log_get_fd() != 2)
		logfile_rotate(cfg->cache_log, cfg->logfile_rotate);
	for (const struct cfg_access_log *l = cfg->access_logs; l != NULL;
	    l = l->next)
		if (l->path != NULL)
			logfile_rotate(l->path, cfg->logfile_rotate);
}

static void
worker_signal(struct ev_io *io, uint32_t revents)
{
	struct signalfd_siginfo si;

	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (heritage.kid == 0)
				worker_reload();
			else
				worker_retire(-1);
			break;
		case SIGTERM:
			worker_retire(worker_cfg->shutdown_lifetime);
			break;
		case SIGINT:
			evloop_stop();
			break;
		case SIGTTIN:
			worker_status = 1;
			worker_retire(worker_cfg->shutdown_lifetime);
			break;
		case SIGUSR1:
			if (heritage.kid == 0)
				worker_rotate();
			accesslog_reopen();
			log_reopen(worker_cfg->cache_log);
			if (heritage.relay != NULL)
				heritage.relay(SIGUSR1);
			break;
		case SIGURG:
			mgr_kids_wanted();
			break;
		case SIGUSR2:
			log_toggle_full_debug(worker_cfg->debug_options);
			if (heritage.relay != NULL)
				heritage.relay(SIGUSR2);
			break;
		}
	}
}

/*
 * This kid's traffic counters: its slot of the shared area (noting who
 * counts there now, for mgr:info's CPU time), or a private copy.
 */
static void
worker_counters_start(void)
{
	static struct stat_counters private_counters;
	struct timeval now;

	if (heritage.counters == NULL)
		heritage.counters = &private_counters;
	gettimeofday(&now, NULL);
	worker_started_ms = (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000;
	stat_share_started(heritage.stat_share, (unsigned)heritage.stat_slot,
	    getpid(), worker_started_ms);
	ev_count_loops(&heritage.counters->select_loops);
}

int64_t
worker_start_ms(void)
{
	return worker_started_ms;
}

int
worker_main(const struct heritage *h)
{
	const struct cfg *cfg = h->cfg;
	sigset_t set;
	int sfd;

	heritage = *h;
	worker_cfg = cfg;
	worker_counters_start();
	worker_set_hostname(cfg);
	signal(SIGPIPE, SIG_IGN);
	if (evloop_init() == -1)
		exit(1);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTTIN);
	sigaddset(&set, SIGURG);	/* another kid wants our mgr pages */
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	ev_io_init(&worker_sig_io, sfd, worker_signal, NULL);
	ev_io_set(&worker_sig_io, EPOLLIN);
	ev_timer_init(&worker_deadline, worker_deadline_hit, NULL);
	ev_timer_init(&worker_backoff, worker_backoff_over, NULL);
	fdbudget_init();

	if (dns_init(cfg) == -1)
		fatalx("DNS initialisation failed");
	cache_init();
	accesslog_init();
	rewrite_init(cfg);
	storeid_init(cfg);
	auth_init(cfg);
	peer_init(cfg);
	external_acl_init(cfg);
	tls_client_init(cfg);
	bump_cert_init(cfg);
	mgr_init();

	int n = 0;
	for (const struct cfg_port *p = cfg->ports; p != NULL; p = p->next)
		n++;
	worker_listeners = xcalloc(n ? n : 1, sizeof(*worker_listeners));
	for (const struct cfg_port *p = cfg->ports; p != NULL; p = p->next) {
		struct worker_listener *l = &worker_listeners[worker_nlisteners++];
		l->port = p;
		ev_io_init(&l->io, p->fd, worker_accept, l);
		if (ev_io_add_exclusive(&l->io, EPOLLIN) == -1)
			fatalx("cannot watch http_port %s", p->spec);
	}
	worker_set_title(NULL);
	log_info("worker ready: %d port(s)", worker_nlisteners);
	evloop_run();
	rewrite_shutdown();
	storeid_shutdown();
	auth_shutdown();
	external_acl_shutdown();
	bump_cert_shutdown();
	accesslog_flush();
	log_debug(1, 2, "worker exiting");
	return worker_status;
}
