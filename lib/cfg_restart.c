/*
 * cfg_restart: what a reconfigure cannot change.  Rows flagged CONF_RESTART
 * in cfg_table.c hold values the master applies once, at start (the shared
 * memory cache, the store processes, the identity kids drop to, the pid
 * file, cache.log, the descriptor limit, the working directory); a
 * reconfigure that changes one warns in Squid's words and runs on with the
 * running value.  The engine (conf.c) compares the generic types; the types
 * of cfg's own handlers are described here.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* cache_swap_low, cache_swap_high: an int percentage */

static int
cfg_restart_same_int(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

static void
cfg_restart_keep_int(void *fresh, const void *running)
{
	*(int *)fresh = *(const int *)running;
}

static void
cfg_restart_show_int(const void *v, char *buf, size_t len)
{
	snprintf(buf, len, "%d", *(const int *)v);
}

/* memory_replacement_policy, cache_replacement_policy */

static int
cfg_restart_same_policy(const void *a, const void *b)
{
	return *(const enum cfg_policy *)a == *(const enum cfg_policy *)b;
}

static void
cfg_restart_keep_policy(void *fresh, const void *running)
{
	*(enum cfg_policy *)fresh = *(const enum cfg_policy *)running;
}

static void
cfg_restart_show_policy(const void *v, char *buf, size_t len)
{
	static const char *const names[] = {
		[CFG_POLICY_LRU] = "lru",
		[CFG_POLICY_HEAP_GDSF] = "heap GDSF",
		[CFG_POLICY_HEAP_LFUDA] = "heap LFUDA",
		[CFG_POLICY_HEAP_LRU] = "heap LRU",
	};
	enum cfg_policy p = *(const enum cfg_policy *)v;

	snprintf(buf, len, "%s", (unsigned)p < sizeof(names) /
	    sizeof(names[0]) ? names[p] : "?");
}

/*
 * cache_dir: the list, in file order.  Where a line was declared is not
 * part of its value: moving it to an include changes nothing.
 */

static int
cfg_restart_same_dir(const struct cfg_cache_dir *a,
    const struct cfg_cache_dir *b)
{
	return strcmp(a->type, b->type) == 0 && strcmp(a->path, b->path) == 0 &&
	    a->max_size == b->max_size && a->l1 == b->l1 && a->l2 == b->l2 &&
	    a->min_size == b->min_size && a->max_obj_size == b->max_obj_size &&
	    a->read_only == b->read_only && a->no_store == b->no_store;
}

static int
cfg_restart_same_dirs(const void *a, const void *b)
{
	const struct cfg_cache_dir *x = *(struct cfg_cache_dir *const *)a;
	const struct cfg_cache_dir *y = *(struct cfg_cache_dir *const *)b;

	for (; x != NULL && y != NULL; x = x->next, y = y->next)
		if (!cfg_restart_same_dir(x, y))
			return 0;
	return x == NULL && y == NULL;
}

static void
cfg_restart_keep_dirs(void *fresh, const void *running)
{
	struct cfg_cache_dir **tail = fresh;

	cfg_free_cache_dirs(tail);
	for (const struct cfg_cache_dir *r =
	    *(struct cfg_cache_dir *const *)running; r != NULL; r = r->next) {
		struct cfg_cache_dir *cd = malloc(sizeof(*cd));
		if (cd == NULL)
			abort();
		*cd = *r;
		cd->type = cfg_strdup(r->type);
		cd->path = cfg_strdup(r->path);
		cd->file = cfg_strdup(r->file);
		cd->next = NULL;
		*tail = cd;
		tail = &cd->next;
	}
}

/* "ufs /var/spool/squid 100 16 256, rock /x 200 16 256 max-size=1024" */
static void
cfg_restart_show_dirs(const void *v, char *buf, size_t len)
{
	const struct cfg_cache_dir *cd = *(struct cfg_cache_dir *const *)v;

	snprintf(buf, len, "%s", cd == NULL ? "none" : "");
	for (; cd != NULL; cd = cd->next) {
		char min[32] = "", max[32] = "";
		size_t n = strlen(buf);

		if (cd->min_size > 0)
			snprintf(min, sizeof(min), " min-size=%lld",
			    (long long)cd->min_size);
		if (cd->max_obj_size >= 0)
			snprintf(max, sizeof(max), " max-size=%lld",
			    (long long)cd->max_obj_size);
		snprintf(buf + n, len - n, "%s%s %s %lld %d %d%s%s%s%s",
		    n > 0 ? ", " : "", cd->type, cd->path,
		    (long long)(cd->max_size >> 20), cd->l1, cd->l2, min, max,
		    cd->read_only ? " read-only" : "",
		    cd->no_store ? " no-store" : "");
	}
}

static const struct conf_value_ops cfg_restart_ops[] = {
	{ cfg_set_swap_percent, cfg_restart_same_int, cfg_restart_keep_int,
	    cfg_restart_show_int },
	{ cfg_set_replacement_policy, cfg_restart_same_policy,
	    cfg_restart_keep_policy, cfg_restart_show_policy },
	{ cfg_set_cache_dir, cfg_restart_same_dirs, cfg_restart_keep_dirs,
	    cfg_restart_show_dirs },
};

#define CFG_RESTART_NOPS (sizeof(cfg_restart_ops) / sizeof(cfg_restart_ops[0]))

int
cfg_restart_keep(struct cfg *fresh, const struct cfg *running,
    conf_restart_report report, void *arg)
{
	size_t n;
	const struct conf_directive *t = cfg_directives(&n);

	return conf_restart_keep(t, n, fresh, running, cfg_restart_ops,
	    CFG_RESTART_NOPS, report, arg);
}

const char *
cfg_restart_unknown(void)
{
	size_t n;
	const struct conf_directive *t = cfg_directives(&n);
	size_t i = conf_restart_unknown(t, n, cfg_restart_ops,
	    CFG_RESTART_NOPS);

	return i < n ? t[i].name : NULL;
}

/* Squid 5.7's words, which it has for its one such directive, workers. */
void
cfg_restart_log(const char *name, const char *from, const char *to,
    void *arg)
{
	(void)arg;
	log_warnx("Changing '%s' (from %s to %s) requires a full restart. It "
	    "has been ignored by reconfigure.", name, from, to);
}
