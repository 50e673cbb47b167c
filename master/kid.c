/*
 * Forking kids.  The child resets what it inherited from the master's
 * signal handling, drops privileges and enters the worker's event loop.
 */
#include "config.h"
#include "kid.h"
#include "cfg.h"
#include "cache.h"
#include "crash.h"
#include "log.h"
#include "memcache.h"
#include "priv.h"
#include "stores.h"
#include "worker.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

pid_t
kid_spawn_worker(struct kid *k)
{
	int sfds[32];
	int ns = stores_worker_sockets(sfds, 32);
	pid_t master = getpid();
	pid_t pid = fork();

	if (pid != 0)
		for (int i = 0; i < ns; i++)
			if (sfds[i] != -1)
				close(sfds[i]);
	if (pid == -1) {
		log_err("fork worker kid%d", k->number);
		return -1;
	}
	if (pid > 0)
		return pid;

	stores_close_inherited();
	cache_set_stores(sfds, ns);

	/* control signals stay blocked: the worker reads them via signalfd */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	log_init("cuttle", k->number);
	crash_handler_install("worker", k->number);
	if (cache_memory != NULL)
		memcache_attach(cache_memory, k->slot);
	worker_open_logs(k->cfg);
	if (priv_drop(k->cfg->effective_user, k->cfg->effective_group) == -1)
		_exit(1);
	priv_die_with(master);
	_exit(worker_main(k->cfg, k->number));
}
