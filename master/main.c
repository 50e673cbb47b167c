/*
 * cuttle's command line: Squid's options (-f -N -k -z -v -d -h and
 * --foreground), config loading, then either a -k action against the running
 * instance, or start-up: cache.log, ports, pid file, and the master's
 * supervision loop (or, under -N, one worker in this process).
 */
#include "config.h"
#include "cfg.h"
#include "affinity.h"
#include "files.h"
#include "heritage.h"
#include "kid.h"
#include "listen.h"
#include "crash.h"
#include "log.h"
#include "master.h"
#include "memcache.h"
#include "priv.h"
#include "proctitle.h"
#include "store/store.h"
#include "stores.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif

static void
main_usage(void)
{
	fprintf(stderr,
	    "Usage: cuttle [-hNvz] [-d level] [-f config-file] "
	    "[-k parse|check|reconfigure|rotate|debug|shutdown|restart|"
	    "interrupt|kill]"
	    " [--foreground]\n"
	    "       -d level  Write debugging to stderr also.\n"
	    "       -f file   Use given config-file instead of "
	    SYSCONFDIR "/squid.conf\n"
	    "       -h        Print help message.\n"
	    "       -k parse|check|reconfigure|rotate|debug|shutdown|restart|"
	    "interrupt|kill\n"
	    "                 Parse the config, or signal the running "
	    "instance.\n"
	    "       -N        Master process runs in the foreground and is "
	    "the only worker.\n"
	    "       -v        Print version.\n"
	    "       -z        Create missing cache directories and exit.\n"
	    "       --foreground  Master stays in the foreground and forks "
	    "workers.\n");
}

/* -k words are prefix-matched, as in Squid. */
static const struct {
	const char *word;
	int sig;
} main_actions[] = {
	{ "reconfigure", SIGHUP }, { "rotate", SIGUSR1 },
	{ "debug", SIGUSR2 }, { "shutdown", SIGTERM },
	{ "interrupt", SIGINT }, { "kill", SIGKILL },
	{ "restart", SIGTTIN }, { "check", 0 }, { "parse", -1 },
};

static int
main_action(const char *word, int *sig)
{
	size_t n = strlen(word);

	if (n == 0)
		return -1;
	for (size_t i = 0; i < sizeof(main_actions) / sizeof(main_actions[0]);
	    i++) {
		if (strncmp(main_actions[i].word, word, n) == 0) {
			*sig = main_actions[i].sig;
			return 0;
		}
	}
	return -1;
}

static int
main_signal_running(const struct cfg *cfg, int sig)
{
	pid_t pid;

	if (cfg->pid_filename == NULL) {
		fprintf(stderr, "cuttle: pid_filename none: no way to find the "
		    "running instance\n");
		return 1;
	}
	if ((pid = files_pid_read(cfg->pid_filename)) == -1)
		return 1;
	if (kill(pid, sig) == -1) {
		log_err("failed to send signal %d to cuttle instance "
		    "identified by process ID %ld", sig, (long)pid);
		return 1;
	}
	return 0;
}

static void
main_daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (log_get_fd() != 2)
			dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void
main_set_fd_limit(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (want > 0) {
		rl.rlim_cur = want;
		if (rl.rlim_max < (rlim_t)want)
			rl.rlim_max = want;
	} else {
		rl.rlim_cur = rl.rlim_max;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("max_filedescriptors %d", want);
}

/* -k parse tells operators where objects will live. */
static void
main_print_store_config(const struct cfg *cfg)
{
	printf("memory cache: %lld KB shared by all workers, objects up to "
	    "%lld KB\n", (long long)cfg->cache_mem / 1024,
	    (long long)cfg->maximum_object_size_in_memory / 1024);
	for (const struct cfg_cache_dir *cd = cfg->cache_dirs; cd != NULL;
	    cd = cd->next)
		printf("cache_dir %s %s: %lld MB, L1 %d, L2 %d, objects %lld "
		    "bytes to %lld bytes%s\n", cd->type, cd->path,
		    (long long)cd->max_size / (1024 * 1024), cd->l1, cd->l2,
		    (long long)(cd->min_size > cfg->minimum_object_size ?
		    cd->min_size : cfg->minimum_object_size),
		    (long long)(cd->max_obj_size >= 0 ? cd->max_obj_size :
		    cfg->maximum_object_size), cd->no_store ? ", no-store" : "");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf_path = SYSCONFDIR "/squid.conf";
	const char *action = NULL;
	int no_daemon = 0, foreground = 0, make_dirs = 0, ch, sig = -1;
	struct cfg *cfg;

	proctitle_init(argc, argv);
	log_init("cuttle", 0);
	crash_handler_install("master", 0);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Control signals wait until the master (or the -N worker) reads
	 * them: one arriving during start-up must not kill us before the pid
	 * file can be cleaned up.
	 */
	sigset_t ctl;
	sigemptyset(&ctl);
	sigaddset(&ctl, SIGHUP);
	sigaddset(&ctl, SIGTERM);
	sigaddset(&ctl, SIGINT);
	sigaddset(&ctl, SIGUSR1);
	sigaddset(&ctl, SIGUSR2);
	sigaddset(&ctl, SIGTTIN);
	sigaddset(&ctl, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ctl, NULL);
	while ((ch = getopt_long(argc, argv, "hvzNXd:f:k:n:CDFRSYs:l:u:a:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 'N':
			no_daemon = 1;
			break;
		case 'F':
			foreground = 1;
			break;
		case 'd':
			log_set_stderr_level(atoi(optarg));
			break;
		case 'X':
			log_set_stderr_level(9);
			break;
		case 'k':
			action = optarg;
			if (main_action(action, &sig) == -1) {
				main_usage();
				return 1;
			}
			break;
		case 'z':
			make_dirs = 1;
			break;
		case 'v':
			printf("cuttle version %s\nSquid-compatible caching "
			    "proxy (squid.conf, access.log, helper protocol "
			    "of Squid 5.7)\nconfigure options: "
			    "--prefix=" SYSCONFDIR "/..\n", PACKAGE_VERSION);
			return 0;
		case 'n': case 'C': case 'D': case 'R': case 'S': case 'Y':
		case 's': case 'l': case 'u': case 'a':
			break;	/* accepted for Squid compatibility */
		case 'h':
		default:
			main_usage();
			return 1;
		}
	}
	if (optind < argc) {
		main_usage();
		return 1;
	}

	cfg = xcalloc(1, sizeof(*cfg));
	int errors = cfg_load(cfg, conf_path, no_daemon ? 0 : 1);
	if (action != NULL && sig == -1) {	/* -k parse */
		if (errors == 0)
			main_print_store_config(cfg);
		return errors ? 1 : 0;
	}
	if (errors) {
		fprintf(stderr, "cuttle: %d error%s in %s; not starting\n",
		    errors, errors == 1 ? "" : "s", conf_path);
		return 1;
	}
	if (action != NULL)
		return main_signal_running(cfg, sig);
	log_apply_debug_options(cfg->debug_options);
	files_set_umask(cfg->umask);	/* before -z, as Squid */

	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (geteuid() == 0 && priv_lookup(cfg->effective_user,
	    cfg->effective_group, &uid, &gid) == -1)
		return 1;
	if (make_dirs) {
		int failed = 0;
		for (const struct cfg_cache_dir *cd = cfg->cache_dirs; cd != NULL;
		    cd = cd->next) {
			if (store_create_dirs(cd) == -1 ||
			    files_chown_tree(cd->path, uid, gid) == -1)
				failed = 1;
		}
		return failed;
	}
	if (files_pid_check(cfg->pid_filename) == -1)
		return 1;
	if (cfg->cache_log != NULL && strcmp(cfg->cache_log, "none") != 0 &&
	    strcmp(cfg->cache_log, "/dev/stderr") != 0) {
		int fd = files_open_log(cfg->cache_log, uid, gid);
		if (fd == -1)
			return 1;
		log_set_fd(fd);
	}
	main_set_fd_limit(cfg->max_filedescriptors);
	/* held for the kids' heritage: they may not reach the log directory */
	if (files_open_access_logs(cfg, uid, gid) != 0)
		return 1;
	if (listen_bind_all(cfg, NULL) != 0)
		return 1;
	if (cfg->coredump_dir != NULL && strcmp(cfg->coredump_dir, "none") &&
	    chdir(cfg->coredump_dir) == -1)
		log_warn("coredump_dir %s", cfg->coredump_dir);
	if (!no_daemon && !foreground)
		main_daemonize();
	if (files_pid_write(cfg->pid_filename) == -1)
		return 1;
	/* the memory cache is shared by every worker and outlives them */
	struct memcache *mc = NULL;
	if (cfg->cache_mem > 0) {
		static const enum memcache_policy pol[] = {
			[CFG_POLICY_LRU] = MEMCACHE_LRU,
			[CFG_POLICY_HEAP_GDSF] = MEMCACHE_HEAP_GDSF,
			[CFG_POLICY_HEAP_LFUDA] = MEMCACHE_HEAP_LFUDA,
			[CFG_POLICY_HEAP_LRU] = MEMCACHE_HEAP_LRU,
		};
		mc = memcache_create((uint64_t)cfg->cache_mem,
		    (uint64_t)cfg->maximum_object_size_in_memory,
		    pol[cfg->memory_replacement_policy], MASTER_KID_SLOTS);
		if (mc == NULL)
			log_warnx("cache_mem %lld: no memory cache",
			    (long long)cfg->cache_mem);
	}
	/* like the memory cache: made before the kids, outlives them */
	kid_auth_share_init(cfg);
	if (!no_daemon)
		kid_mgr_share_init(cfg);
	kid_stat_share_init();
	log_info("Starting cuttle %s (%s)", PACKAGE_VERSION, conf_path);
	affinity_check(cfg, no_daemon ? 1 : cfg->workers);

	if (stores_start(cfg) == -1)
		return 1;
	if (no_daemon) {
		/*
		 * One worker in this process, started as a forked kid is:
		 * kid number 0, slot 0 (the creator's) of the memory cache,
		 * no master to die with, and the stores' signals relayed.
		 */
		struct heritage h;
		kid_heritage(&h, cfg, 0, 0, mc);
		files_access_logs_release();	/* the worker's from now on */
		h.relay = stores_signal;
		int status = kid_start(&h);
		stores_stop();
		files_pid_remove(cfg->pid_filename);
		return status;
	}
	priv_limit_master();
	return master_run(cfg, conf_path, mc);
}
