/*
 * Forking kids.  The child resets what it inherited from the master's
 * signal handling, drops privileges and enters the worker's event loop.
 */
#include "config.h"
#include "kid.h"
#include "cfg.h"
#include "log.h"
#include "priv.h"
#include "worker.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

pid_t
kid_spawn_worker(struct kid *k)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_err("fork worker kid%d", k->number);
		return -1;
	}
	if (pid > 0)
		return pid;

	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	log_init("cuttle", k->number);
	worker_open_logs(k->cfg);
	if (priv_drop(k->cfg->effective_user, k->cfg->effective_group) == -1)
		_exit(1);
	worker_main(k->cfg, k->number);
	_exit(0);
}
