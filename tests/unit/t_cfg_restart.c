/*
 * Unit tests for the restart-only directives (CONF_RESTART rows,
 * conf_restart_keep in conf.c, cfg_restart.c): what counts as a change, what
 * is reported and in which words, and that the fresh config ends up with
 * the running values and can still be freed on its own.
 */
#include "config.h"
#include "conf.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "tap.h"

#include "t_conf.h"

static char reports[4096];	/* "name|from|to\n" per report */

/* Load text as name; the warnings of the loads are not the point here. */
static void
load_ok(struct cfg *cfg, const char *name, const char *text)
{
	is_int(load(cfg, name, text, 0), 0, "%s loads", name);
}

static void
record(const char *name, const char *from, const char *to, void *arg)
{
	size_t n = strlen(reports);

	(void)arg;
	snprintf(reports + n, sizeof(reports) - n, "%s|%s|%s\n", name, from,
	    to);
}

/* cfg_restart_keep(fresh, running) with the reports in reports[] */
static int
keep(struct cfg *fresh, const struct cfg *running)
{
	reports[0] = '\0';
	return cfg_restart_keep(fresh, running, record, NULL);
}

static void
test_table(void)
{
	is_str(cfg_restart_unknown(), NULL,
	    "every restart-only row has a comparison");
}

static void
test_no_change(void)
{
	struct cfg a, b;
	char text[512];

	load_ok(&a, "a.conf", "cache_mem 256 MB\n"
	    "cache_dir ufs /tmp/c1 100 16 256 max-size=1024\n");
	/* the same values, written otherwise and from an include */

	write_file("b-inc.conf", "cache_dir ufs /tmp/c1 100 16 256 "
	    "max-size=1KB\n");
	snprintf(text, sizeof(text), "cache_mem 262144 KB\n"
	    "include %s\n"
	    "http_access deny all\n"
	    "workers 4\n", tpath("b-inc.conf"));
	load_ok(&b, "b.conf", text);
	is_int(keep(&b, &a), 0, "same values, other words: no change");
	is_str(reports, "", "nothing reported");
	is_int(b.workers, 4, "workers is not restart-only: the new value");
	ok(b.http_access.head != NULL, "http_access stays as loaded");
	cfg_free(&a);
	cfg_free(&b);
}

static void
test_changes(void)
{
	struct cfg run, fresh;

	load_ok(&run, "run.conf", "cache_dir ufs /tmp/c1 100 16 256\n"
	    "cache_dir rock /tmp/c2 200\n"
	    "pid_filename /tmp/t.pid\n");
	load_ok(&fresh, "fresh.conf", "cache_dir ufs /tmp/c1 100 16 256\n"
	    "cache_dir rock /tmp/c2 300 min-size=10 no-store\n"
	    "cache_mem 64 MB\n"
	    "cache_swap_low 80\n"
	    "max_filedesc 4096\n"
	    "memory_replacement_policy heap GDSF\n"
	    "pid_filename none\n"
	    "maximum_object_size 1 GB\n"
	    "workers 3\n");
	is_int(keep(&fresh, &run), 6, "six restart-only changes");
	is_str(reports,
	    "cache_dir|ufs /tmp/c1 100 16 256, rock /tmp/c2 200 16 256|"
	    "ufs /tmp/c1 100 16 256, rock /tmp/c2 300 16 256 min-size=10 "
	    "no-store\n"
	    "cache_mem|256 MB|64 MB\n"
	    "cache_swap_low|90|80\n"
	    "max_filedescriptors|0|4096\n"
	    "memory_replacement_policy|lru|heap GDSF\n"
	    "pid_filename|/tmp/t.pid|none\n",
	    "each reported once, in table order, in squid.conf words "
	    "(an alias under its main name)");
	is_int(fresh.cache_mem, 256 << 20, "running cache_mem kept");
	is_int(fresh.cache_swap_low, 90, "running cache_swap_low kept");
	is_int(fresh.max_filedescriptors, 0, "running max_filedescriptors");
	is_int(fresh.memory_replacement_policy, CFG_POLICY_LRU,
	    "running memory_replacement_policy kept");
	is_str(fresh.pid_filename, "/tmp/t.pid", "running pid_filename kept");
	ok(fresh.pid_filename != run.pid_filename, "as a copy");
	ok(fresh.cache_dirs != NULL && fresh.cache_dirs != run.cache_dirs &&
	    fresh.cache_dirs->next != NULL &&
	    fresh.cache_dirs->next->max_size == (int64_t)200 << 20 &&
	    !fresh.cache_dirs->next->no_store &&
	    fresh.cache_dirs->next->next == NULL, "running cache_dirs copied");
	is_int(fresh.workers, 3, "workers: the new value");
	is_int(fresh.maximum_object_size, (int64_t)1 << 30,
	    "maximum_object_size: the new value");
	is_int(keep(&fresh, &run), 0, "kept: nothing differs any more");
	cfg_free(&run);		/* fresh owns its copies */
	is_int(fresh.cache_dirs->l2, 256, "the copy outlives the original");
	cfg_free(&fresh);

	/* none on either side; a dropped string */
	load_ok(&run, "run2.conf", "cache_effective_group proxy\n");
	load_ok(&fresh, "fresh2.conf", "cache_dir ufs /tmp/c1 100 16 256\n");
	is_int(keep(&fresh, &run), 2, "cache_dir and the group");
	is_str(reports, "cache_dir|none|ufs /tmp/c1 100 16 256\n"
	    "cache_effective_group|proxy|none\n", "none shown as none");
	ok(fresh.cache_dirs == NULL, "no cache_dir, as running");
	is_str(fresh.effective_group, "proxy", "the running group");
	cfg_free(&run);
	cfg_free(&fresh);
}

/* The engine alone, on a table of its own, and Squid's words. */
struct t_base {
	int		 workers;
	int		 flag;
	int64_t		 size;
	int64_t		 time;
	char		*s;
	int		 other;
};

#define T(x)	offsetof(struct t_base, x)

static const struct conf_directive t_table[] = {
	{ "flag", conf_set_bool, T(flag), NULL, CONF_RESTART, 1, 1, NULL },
	{ "other", conf_ignore, T(other), NULL, 0, 0, CONF_ARGS_ANY, NULL },
	{ "s", conf_set_string_none, T(s), NULL, CONF_RESTART, 1, 1, NULL },
	{ "size", conf_set_size, T(size), NULL, CONF_RESTART, 1, 2, NULL },
	{ "time", conf_set_time, T(time), NULL, CONF_RESTART, 1, 2, NULL },
	{ "workers", conf_set_int, T(workers), NULL, CONF_RESTART, 1, 1,
	    NULL },
};
#define T_N	(sizeof(t_table) / sizeof(t_table[0]))

static const struct conf_directive t_unknown[] = {
	{ "a", conf_set_int, T(workers), NULL, CONF_RESTART, 1, 1, NULL },
	{ "b", conf_ignore, T(other), NULL, CONF_RESTART, 0, 1, NULL },
};

static void
test_engine(void)
{
	struct t_base run = { 1, 0, 512 << 10, 1500, NULL, 1 };
	struct t_base fresh = { 2, 1, 3 << 20, 60000, NULL, 2 };
	char text[1024];
	int fd;
	ssize_t n;

	is_int(conf_restart_unknown(t_table, T_N, NULL, 0), T_N,
	    "generic setters need no ops");
	is_int(conf_restart_unknown(t_unknown, 2, NULL, 0), 1,
	    "a flagged row of another handler is found");

	fresh.s = strdup("x");
	reports[0] = '\0';
	is_int(conf_restart_keep(t_table, T_N, &fresh, &run, NULL, 0, record,
	    NULL), 5, "five generic changes");
	is_str(reports, "flag|off|on\ns|none|x\nsize|512 KB|3 MB\n"
	    "time|1500 milliseconds|60 seconds\nworkers|1|2\n",
	    "shown per type");
	ok(fresh.workers == 1 && fresh.flag == 0 && fresh.size == 512 << 10 &&
	    fresh.time == 1500 && fresh.s == NULL && fresh.other == 2,
	    "running values kept, unflagged ones not");

	/* cfg_restart_log writes Squid 5.7's line */
	if ((fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(logpath);
		exit(1);
	}
	log_set_fd(fd);
	fresh.workers = 2;
	conf_restart_keep(t_table, T_N, &fresh, &run, NULL, 0,
	    cfg_restart_log, NULL);
	log_set_fd(2);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	ok(strstr(text, "| WARNING: Changing 'workers' (from 1 to 2) requires "
	    "a full restart. It has been ignored by reconfigure.\n") != NULL,
	    "Squid's words: %s", text);
}

int
main(void)
{
	if (t_conf_setup("t_cfg_restart") == -1)
		return 1;
	test_table();
	test_no_change();
	test_changes();
	test_engine();
	t_conf_cleanup();
	return tap_done();
}
