/*
 * The master's side of the stores.  Each store gets a control socket: the
 * master sends it, with SCM_RIGHTS, the store's end of a SOCK_SEQPACKET
 * socketpair for every worker it forks, so workers of any generation, and
 * restarted ones, each have a private channel.  A store that dies is
 * restarted; its old sockets are dead, so the master then starts a new
 * worker generation (the old one finishes its connections).
 */
#include "config.h"
#include "stores.h"
#include "cfg.h"
#include "crash.h"
#include "files.h"
#include "log.h"
#include "priv.h"
#include "proctitle.h"
#include "store/store.h"
#include "store_gauge.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STORES_MAX 32

struct store_kid {
	const struct cfg_cache_dir *cd;
	pid_t		 pid;
	int		 ctl;		/* master's end of the control socket */
	uint64_t	 started_ms;
	uint64_t	 restart_at_ms;	/* dead: respawn no earlier */
	int		 fast_deaths;	/* back-off for a store that cannot run */
};

#define STORES_FAST_DEATH_MS	5000
#define STORES_BACKOFF_MAX_MS	60000

static struct store_kid stores[STORES_MAX];
/* what each store holds, for mgr:info (store_gauge.h) */
static struct store_gauge *stores_gauges;
static int nstores;
static struct cfg *stores_cfg;

int
stores_uses_cfg(const struct cfg *cfg)
{
	return nstores > 0 && cfg == stores_cfg;
}

int
stores_count(void)
{
	return nstores;
}

static int
stores_send_fd(int ctl, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	char b = 'S';
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &b;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(ctl, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int
stores_spawn(struct store_kid *sk)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_err("store control socket for %s", sk->cd->path);
		return -1;
	}
	pid_t master = getpid();
	pid_t pid = fork();
	if (pid == -1) {
		log_err("fork store for %s", sk->cd->path);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		stores_close_inherited();
		/*
		 * a store serves no clients: drop the listening sockets and
		 * the access logs the master holds for its workers
		 */
		for (struct cfg_port *p = stores_cfg->ports; p; p = p->next)
			if (p->fd != -1)
				close(p->fd);
		files_close_access_logs();
		/* SIGTERM (shutdown) ends a store; the rest are read in
		 * store_main */
		sigset_t keep;
		store_signals(&keep);
		sigprocmask(SIG_SETMASK, &keep, NULL);
		log_init("cuttle", 0);
		crash_handler_install("store", 0);
		proctitle_set("store %s", sk->cd->path);
		if (priv_drop(stores_cfg->effective_user,
		    stores_cfg->effective_group, 0) == -1)
			_exit(1);
		priv_die_with(master);
		store_set_gauge(stores_gauges != NULL ?
		    &stores_gauges[sk - stores] : NULL);
		_exit(store_main(stores_cfg, sk->cd, NULL, 0, sv[1]));
	}
	close(sv[1]);
	sk->ctl = sv[0];
	sk->pid = pid;
	sk->started_ms = util_now_ms();
	log_info("store for cache_dir %s started (pid %ld)", sk->cd->path,
	    (long)pid);
	return 0;
}

int
stores_start(struct cfg *cfg)
{
	stores_cfg = cfg;
	if (stores_gauges == NULL && cfg->cache_dirs != NULL)
		stores_gauges = store_gauge_create(STORES_MAX);
	for (const struct cfg_cache_dir *cd = cfg->cache_dirs; cd != NULL;
	    cd = cd->next) {
		if (nstores == STORES_MAX) {
			log_errx("%s:%d: more than %d cache_dir lines", cd->file,
			    cd->line, STORES_MAX);
			return -1;
		}
		/* as Squid: no serving on swap directories that are not there */
		char tmp[4096];
		struct stat st;
		snprintf(tmp, sizeof(tmp), "%s/tmp", cd->path);
		if (stat(tmp, &st) == -1 || !S_ISDIR(st.st_mode)) {
			log_errx("%s:%d: cache_dir %s: missing or not "
			    "initialised; run cuttle -z first", cd->file,
			    cd->line, cd->path);
			return -1;
		}
		struct store_kid *sk = &stores[nstores++];
		sk->cd = cd;
		sk->ctl = -1;
		if (stores_spawn(sk) == -1)
			return -1;
	}
	return 0;
}

struct store_gauge *
stores_gauge_area(void)
{
	return stores_gauges;
}

int
stores_worker_sockets(int *fds, int max)
{
	int n = 0;

	for (int i = 0; i < nstores && n < max; i++) {
		int sv[2];
		fds[n] = -1;
		if (stores[i].ctl == -1 ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1) {
			n++;
			continue;
		}
		if (stores_send_fd(stores[i].ctl, sv[0]) == -1) {
			log_err("handing a worker socket to the store of %s",
			    stores[i].cd->path);
			close(sv[1]);
		} else {
			fds[n] = sv[1];
		}
		close(sv[0]);
		n++;
	}
	return n;
}

void
stores_close_inherited(void)
{
	for (int i = 0; i < nstores; i++)
		if (stores[i].ctl != -1)
			close(stores[i].ctl);
}

int
stores_reaped(pid_t pid, int status)
{
	for (int i = 0; i < nstores; i++) {
		struct store_kid *sk = &stores[i];
		if (sk->pid != pid)
			continue;
		uint64_t now = util_now_ms();
		if (now - sk->started_ms < STORES_FAST_DEATH_MS)
			sk->fast_deaths++;
		else
			sk->fast_deaths = 0;
		uint64_t delay = sk->fast_deaths == 0 ? 0 :
		    250ULL << (sk->fast_deaths > 8 ? 8 : sk->fast_deaths);
		if (delay > STORES_BACKOFF_MAX_MS)
			delay = STORES_BACKOFF_MAX_MS;
		if (WIFSIGNALED(status))
			log_warnx("store for %s (pid %ld) died of signal %d; "
			    "restarting in %llu ms", sk->cd->path, (long)pid,
			    WTERMSIG(status), (unsigned long long)delay);
		else
			log_warnx("store for %s (pid %ld) exited with status "
			    "%d; restarting in %llu ms", sk->cd->path,
			    (long)pid, WEXITSTATUS(status),
			    (unsigned long long)delay);
		close(sk->ctl);
		sk->ctl = -1;
		sk->pid = 0;
		sk->restart_at_ms = now + delay;
		return 1;
	}
	return 0;
}

int64_t
stores_respawn_due(int *respawned)
{
	uint64_t now = util_now_ms();
	int64_t next = -1;

	*respawned = 0;
	for (int i = 0; i < nstores; i++) {
		struct store_kid *sk = &stores[i];
		if (sk->pid != 0 || sk->cd == NULL)
			continue;
		if (sk->restart_at_ms <= now) {
			if (stores_spawn(sk) == 0) {
				*respawned = 1;
				continue;
			}
			sk->restart_at_ms = now + 1000;
		}
		int64_t d = (int64_t)(sk->restart_at_ms - now);
		if (next == -1 || d < next)
			next = d;
	}
	return next;
}

void
stores_signal(int sig)
{
	for (int i = 0; i < nstores; i++)
		if (stores[i].pid > 0)
			kill(stores[i].pid, sig);
}

void
stores_stop(void)
{
	for (int i = 0; i < nstores; i++) {
		stores[i].cd = NULL;	/* no respawn */
		if (stores[i].pid > 0)
			kill(stores[i].pid, SIGTERM);
		if (stores[i].ctl != -1)
			close(stores[i].ctl);
		stores[i].ctl = -1;
	}
}
