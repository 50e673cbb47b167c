/*
 * delay_conf: the delay pool directives (delay_pools, delay_class,
 * delay_parameters, delay_access, delay_initial_bucket_level) into
 * struct cfg, with Squid 5.7's grammar (src/DelayConfig.cc, DelaySpec.cc).
 * Where Squid logs a line it ignores (a pool number out of range, rates
 * before the class) cuttle stops: an ignored pool silently lifts the
 * limit the file asks for.  Classes 4 and 5 load with a warning and limit
 * nothing.  The buckets themselves are workers/delay.c's.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "units.h"
#include "util.h"

static const int delay_levels[][CFG_DELAY_LEVELS] = {
	/* which spec[] slots each class's delay_parameters fill, in order */
	[1] = { 0, -1, -1 },
	[2] = { 0, 2, -1 },
	[3] = { 0, 1, 2 },
};

static void
delay_conf_spec_init(struct cfg_delay_pool *p)
{
	for (int i = 0; i < CFG_DELAY_LEVELS; i++) {
		p->spec[i].restore = -1;
		p->spec[i].max = -1;
	}
}

void
delay_conf_free(struct cfg *cfg)
{
	for (int i = 0; i < cfg->delay_npools; i++)
		access_list_free(&cfg->delay_pools[i].access);
	free(cfg->delay_pools);
	cfg->delay_pools = NULL;
	cfg->delay_npools = 0;
}

/* The pool a line names (argv[0]), 0-based, or an error. */
static char *
delay_conf_pool(struct conf_ctx *cx, const char *word, int *pool)
{
	struct cfg *cfg = CFG_BASE(cx);
	char *err;
	int n;

	if ((err = cfg_xatos(word, &n)) != NULL)
		return err;
	/* Squid: "Ignoring pool N not in 1 .. M", and loads on */
	if (n < 1 || n > cfg->delay_npools)
		return units_strf("%s: pool %d not in 1 .. %d", cx->name, n,
		    cfg->delay_npools);
	*pool = n - 1;
	return NULL;
}

char *
delay_conf_pools(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	char *err;
	int n;

	(void)field;
	(void)argc;
	if ((err = cfg_xatos(argv[0], &n)) != NULL)
		return err;
	if (cfg->delay_npools > 0) {
		conf_warn(cx, "multiple delay_pools lines, aborting all "
		    "previous delay_pools config");
		delay_conf_free(cfg);
	}
	if (n == 0)
		return NULL;
	cfg->delay_pools = xcalloc((size_t)n, sizeof(*cfg->delay_pools));
	cfg->delay_npools = n;
	for (int i = 0; i < n; i++)
		delay_conf_spec_init(&cfg->delay_pools[i]);
	return NULL;
}

char *
delay_conf_class(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	char *err;
	int pool = 0, dclass;

	(void)field;
	(void)argc;
	if ((err = delay_conf_pool(cx, argv[0], &pool)) != NULL)
		return err;
	if ((err = cfg_xatos(argv[1], &dclass)) != NULL)
		return err;
	if (dclass < 1 || dclass > 5)
		return units_strf("delay_class: pool %d class %d not in 1 .. 5",
		    pool + 1, dclass);
	struct cfg_delay_pool *p = &cfg->delay_pools[pool];
	delay_conf_spec_init(p);
	p->dclass = dclass;
	if (dclass > 3) {
		conf_warn(cx, "delay_class %d is not supported by cuttle yet; "
		    "pool %d limits nothing", dclass, pool + 1);
		p->dclass = -dclass;	/* set, but not in effect */
	}
	return NULL;
}

/* One restore/max word (Squid's DelaySpec::parse). */
static char *
delay_conf_spec(const char *word, struct cfg_delay_spec *spec)
{
	char *end;

	if (strcmp(word, "none") == 0 || word[0] == '-') {
		spec->restore = -1;
		spec->max = -1;
		return NULL;
	}
	spec->restore = strtoll(word, &end, 10);
	if (end == word || *end != '/')
		return units_strf("invalid delay rate '%s'. Expecting "
		    "restore/max or 'none'.", word);
	const char *m = end + 1;
	/* like Squid, what follows the digits of max is not looked at */
	spec->max = strtoll(m, &end, 10);
	if (end == m)
		return units_strf("restore rate in '%s' is not a number.",
		    word);
	return NULL;
}

char *
delay_conf_parameters(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	char *err;
	int pool = 0;

	(void)field;
	if ((err = delay_conf_pool(cx, argv[0], &pool)) != NULL)
		return err;
	struct cfg_delay_pool *p = &cfg->delay_pools[pool];
	if (p->dclass == 0)
		return units_strf("delay_parameters: pool %d has no "
		    "delay_class before it", pool + 1);
	if (p->dclass < 0)
		return NULL;	/* class 4 or 5: warned already */
	int want = 0;
	while (want < CFG_DELAY_LEVELS && delay_levels[p->dclass][want] >= 0)
		want++;
	if (argc - 1 < want)
		return units_strf("delay_parameters: class %d pool %d needs "
		    "%d restore/max values", p->dclass, pool + 1, want);
	for (int i = 0; i < want; i++) {
		struct cfg_delay_spec *s = &p->spec[delay_levels[p->dclass][i]];
		if ((err = delay_conf_spec(argv[1 + i], s)) != NULL)
			return err;
	}
	if (argc - 1 > want)
		conf_warn(cx, "delay_parameters: ignoring '%s' after the %d "
		    "values of a class %d pool", argv[1 + want], want,
		    p->dclass);
	return NULL;
}

char *
delay_conf_access(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg *cfg = CFG_BASE(cx);
	char *err;
	int pool = 0;

	(void)field;
	if ((err = delay_conf_pool(cx, argv[0], &pool)) != NULL)
		return err;
	return access_parse(&cfg->delay_pools[pool].access, &cfg->acls,
	    argv + 1, argc - 1, NULL, cx->file, cx->line);
}

char *
delay_conf_initial(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	(void)cx;
	(void)argc;
	return cfg_xatos(argv[0], field);
}
