/*
 * Handlers of the cache directives: refresh_pattern with its options,
 * cache_dir with its per-type options, the replacement policies, the swap
 * marks, the KB-valued sizes and targeted_cache_control (cuttle's own: Squid
 * has no RFC 9213 support).
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

static char *
cfg_refresh_minutes(const char *word, int64_t *s)
{
	int64_t v;
	char *err;

	if ((err = units_int(word, &v)) != NULL)
		return err;
	if (v < 0)
		return units_strf("refresh_pattern: negative time '%s'", word);
	/* in seconds it must fit: an overflow here was found by fuzz_conf */
	if (v > INT64_MAX / 60)
		return units_strf("refresh_pattern: time '%s' is too large",
		    word);
	*s = v * 60;
	return NULL;
}

static const struct {
	const char	*name;
	unsigned	 flag;
} cfg_refresh_opts[] = {
	{ "override-expire", CFG_REFRESH_OVERRIDE_EXPIRE },
	{ "override-lastmod", CFG_REFRESH_OVERRIDE_LASTMOD },
	{ "reload-into-ims", CFG_REFRESH_RELOAD_INTO_IMS },
	{ "ignore-reload", CFG_REFRESH_IGNORE_RELOAD },
	{ "ignore-no-store", CFG_REFRESH_IGNORE_NO_STORE },
	{ "ignore-private", CFG_REFRESH_IGNORE_PRIVATE },
	{ "refresh-ims", CFG_REFRESH_REFRESH_IMS },
	{ "store-stale", CFG_REFRESH_STORE_STALE },
};

char *
cfg_set_refresh_pattern(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_refresh *r, **tail;
	int i = 0, rc;
	char *err;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->max_stale_s = -1;
	if (strcmp(argv[0], "-i") == 0) {
		r->icase = 1;
		i++;
	} else if (strcmp(argv[0], "+i") == 0)
		i++;
	if (argc - i < 4) {
		free(r);
		return units_strf("refresh_pattern: expected [-i] REGEX MIN "
		    "PERCENT MAX");
	}
	r->regex_src = cfg_strdup(argv[i]);
	if ((err = cfg_refresh_minutes(argv[i + 1], &r->min_s)) != NULL ||
	    (err = units_percent(argv[i + 2], &r->pct)) != NULL ||
	    (err = cfg_refresh_minutes(argv[i + 3], &r->max_s)) != NULL)
		goto fail;
	for (i += 4; i < argc; i++) {
		size_t k, nopts = sizeof(cfg_refresh_opts) /
		    sizeof(cfg_refresh_opts[0]);

		for (k = 0; k < nopts; k++)
			if (strcmp(argv[i], cfg_refresh_opts[k].name) == 0)
				break;
		if (k < nopts)
			r->flags |= cfg_refresh_opts[k].flag;
		else if (strncmp(argv[i], "max-stale=", 10) == 0) {
			if ((err = units_int(argv[i] + 10, &r->max_stale_s))
			    != NULL)
				goto fail;
		} else if (strcmp(argv[i], "ignore-no-cache") == 0 ||
		    strcmp(argv[i], "ignore-must-revalidate") == 0 ||
		    strcmp(argv[i], "ignore-auth") == 0)
			conf_warn(cx, "UPGRADE: refresh_pattern option '%s' is "
			    "obsolete. Remove it.", argv[i]);
		else
			conf_warn(cx, "refresh_pattern: Unknown option "
			    "'%s': %s", r->regex_src, argv[i]);
	}
	if ((r->regex = malloc(sizeof(regex_t))) == NULL)
		abort();
	rc = regcomp(r->regex, r->regex_src,
	    REG_EXTENDED | REG_NOSUB | (r->icase ? REG_ICASE : 0));
	if (rc != 0) {
		char msg[256];

		/* Squid logs the bad pattern and goes on without it */
		regerror(rc, r->regex, msg, sizeof(msg));
		conf_warn(cx, "refresh_pattern: Invalid regular expression "
		    "'%s': %s", r->regex_src, msg);
		free(r->regex);
		free(r->regex_src);
		free(r);
		return NULL;
	}
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return NULL;
fail:
	free(r->regex_src);
	free(r);
	return err;
}

/*
 * cache_dir TYPE DIR SIZE_MB [L1 L2] [options].  Every type runs on the
 * store process, so the type only decides the arity and which of Squid's
 * options are known; those we do not honour are warned about by name.
 */
static const char *cfg_cache_dir_ignored[] = {
	"Q1=", "Q2=", "slot-size=", "swap-timeout=", "max-swap-rate=",
	"ipcsize=",
};

static char *
cfg_cache_dir_int(const char *what, const char *word, int64_t min,
    int64_t max, int64_t *v)
{
	char *err;

	if ((err = units_int(word, v)) != NULL) {
		free(err);
		return units_strf("cache_dir: %s '%s' is not a number", what,
		    word);
	}
	if (*v < min || *v > max)
		return units_strf("cache_dir: %s %s is out of range "
		    "(%lld..%lld)", what, word, (long long)min, (long long)max);
	return NULL;
}

static char *
cfg_cache_dir_option(struct conf_ctx *cx, struct cfg_cache_dir *cd,
    const char *opt)
{
	size_t nign = sizeof(cfg_cache_dir_ignored) /
	    sizeof(cfg_cache_dir_ignored[0]);
	char *err;

	if (strcmp(opt, "no-store") == 0) {
		cd->no_store = 1;
		return NULL;
	}
	if (strcmp(opt, "read-only") == 0) {
		conf_warn(cx, "UPGRADE WARNING: Replace cache_dir option "
		    "'read-only' with 'no-store'.");
		cd->read_only = cd->no_store = 1;
		return NULL;
	}
	if (strncmp(opt, "min-size=", 9) == 0 ||
	    strncmp(opt, "max-size=", 9) == 0) {
		int64_t v;

		if ((err = units_size_glued(opt + 9, &v)) != NULL) {
			free(err);
			return units_strf("cache_dir: bad size in option "
			    "'%s'", opt);
		}
		if (opt[1] == 'i')
			cd->min_size = v;
		else
			cd->max_obj_size = v;
		return NULL;
	}
	for (size_t i = 0; i < nign; i++) {
		const char *name = cfg_cache_dir_ignored[i];

		if (strncmp(opt, name, strlen(name)) == 0) {
			conf_warn(cx, "cache_dir %s: option '%.*s' is not "
			    "supported by cuttle; ignored", cd->path,
			    (int)strlen(name) - 1, name);
			return NULL;
		}
	}
	return units_strf("cache_dir %s: unknown option '%s'", cd->path, opt);
}

char *
cfg_set_cache_dir(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_cache_dir *cd, **tail;
	int rock, i;
	int64_t v;
	char *err = NULL;

	rock = strcmp(argv[0], "rock") == 0;
	if (!rock && strcmp(argv[0], "ufs") != 0 &&
	    strcmp(argv[0], "aufs") != 0 && strcmp(argv[0], "diskd") != 0) {
		/* Squid 5.7 says this and runs without the directory */
		conf_warn(cx, "ERROR: This proxy does not support the '%s' "
		    "cache type. Ignoring.", argv[0]);
		return NULL;
	}
	if (argc < 3)
		return units_strf("cache_dir %s: expected %s DIR SIZE_MB%s",
		    argv[0], argv[0], rock ? "" : " L1 L2");
	if (!rock && argc < 5)
		return units_strf("cache_dir %s %s: missing %s (%s DIR SIZE_MB "
		    "L1 L2)", argv[0], argv[1], argc < 4 ? "L1 and L2" : "L2",
		    argv[0]);
	for (tail = field; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->path, argv[1]) == 0)
			return units_strf("cache_dir %s is already declared "
			    "at %s:%d", argv[1], (*tail)->file, (*tail)->line);
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		abort();
	cd->type = cfg_strdup(argv[0]);
	cd->path = cfg_strdup(argv[1]);
	cd->file = cfg_strdup(cx->file);
	cd->line = cx->line;
	cd->max_obj_size = -1;
	cd->l1 = 16;
	cd->l2 = 256;
	if ((err = cfg_cache_dir_int("SIZE_MB", argv[2], 1, INT64_MAX >> 20,
	    &v)) != NULL)
		goto fail;
	cd->max_size = v << 20;
	i = 3;
	if (!rock) {
		if ((err = cfg_cache_dir_int("L1", argv[3], 1, 256, &v)) !=
		    NULL)
			goto fail;
		cd->l1 = (int)v;
		if ((err = cfg_cache_dir_int("L2", argv[4], 1, 256, &v)) !=
		    NULL)
			goto fail;
		cd->l2 = (int)v;
		i = 5;
	}
	for (; i < argc; i++)
		if ((err = cfg_cache_dir_option(cx, cd, argv[i])) != NULL)
			goto fail;
	*tail = cd;
	return NULL;
fail:
	free(cd->type);
	free(cd->path);
	free(cd->file);
	free(cd);
	return err;
}

void
cfg_free_cache_dirs(struct cfg_cache_dir **list)
{
	struct cfg_cache_dir *cd;

	while ((cd = *list) != NULL) {
		*list = cd->next;
		free(cd->type);
		free(cd->path);
		free(cd->file);
		free(cd);
	}
}

char *
cfg_set_replacement_policy(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	enum cfg_policy *pol = field;

	if (argc == 1 && strcmp(argv[0], "lru") == 0) {
		*pol = CFG_POLICY_LRU;
		return NULL;
	}
	if (argc == 2 && strcmp(argv[0], "heap") == 0) {
		if (strcasecmp(argv[1], "GDSF") == 0) {
			*pol = CFG_POLICY_HEAP_GDSF;
			return NULL;
		}
		if (strcasecmp(argv[1], "LFUDA") == 0) {
			*pol = CFG_POLICY_HEAP_LFUDA;
			return NULL;
		}
		if (strcasecmp(argv[1], "LRU") == 0) {
			*pol = CFG_POLICY_HEAP_LRU;
			return NULL;
		}
	}
	return units_strf("%s: unknown policy '%s%s%s' (lru, heap GDSF, heap "
	    "LFUDA or heap LRU)", cx->name, argv[0], argc > 1 ? " " : "",
	    argc > 1 ? argv[1] : "");
}

char *
cfg_set_swap_percent(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err;

	if ((err = units_percent(argv[0], field)) != NULL)
		return err;
	if (*(int *)field > 100)
		return units_strf("%s must be 0-100, not %s", cx->name,
		    argv[0]);
	return NULL;
}

/* quick_abort_min/max: sizes in KB by default; -1 means "always finish". */
char *
cfg_set_kb(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	int64_t v;
	int unitless;
	char *err;

	if (argv[0][0] == '-') {
		if (strcmp(argv[0], "-1") != 0)
			return units_strf("%s: only -1 may be negative",
			    cx->name);
		*(int64_t *)field = -1;
		return NULL;
	}
	err = units_size(argv[0], argc > 1 ? argv[1] : NULL, UNITS_KB, &v,
	    &unitless);
	if (err != NULL)
		return err;
	if (unitless)
		conf_warn(cx, "No units on '%s %s', assuming %s KB", cx->name,
		    argv[0], argv[0]);
	*(int64_t *)field = v;
	return NULL;
}

/* Helpers (url_rewrite_*) */

/* Targeted cache-control fields (RFC 9213) */

void
cfg_free_str_list(struct cfg_str_list **list)
{
	struct cfg_str_list *sl;

	while ((sl = *list) != NULL) {
		*list = sl->next;
		free(sl->s);
		free(sl);
	}
}

/* A field name is an HTTP token (RFC 9110 5.1). */
static int
cfg_field_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (strchr("!#$%&'*+-.^_`|~", *s) == NULL &&
		    !(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z'))
			return 0;
	return 1;
}

/*
 * targeted_cache_control accel|on|off [FIELD-NAME ...]: a later line
 * replaces an earlier one (and the default); without names the target list
 * is CDN-Cache-Control alone.  Cache-Control itself is refused as a name:
 * it would make the directive say nothing.
 */
char *
cfg_set_targeted_cc(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_targeted_cc *t = field;
	struct cfg_str_list *list = NULL, **tail = &list, *sl;
	enum cfg_targeted when;
	int i;

	if (strcmp(argv[0], "accel") == 0)
		when = CFG_TARGETED_ACCEL;
	else if (strcmp(argv[0], "on") == 0)
		when = CFG_TARGETED_ON;
	else if (strcmp(argv[0], "off") == 0)
		when = CFG_TARGETED_OFF;
	else
		return units_strf("%s: expected accel, on or off, not '%s'",
		    cx->name, argv[0]);
	for (i = 1; i < argc || (i == 1 && argc == 1); i++) {
		const char *name = argc == 1 ? "CDN-Cache-Control" : argv[i];

		if (!cfg_field_name_ok(name) ||
		    strcasecmp(name, "Cache-Control") == 0) {
			cfg_free_str_list(&list);
			return units_strf("%s: '%s' cannot be a targeted "
			    "field name", cx->name, name);
		}
		if ((sl = calloc(1, sizeof(*sl))) == NULL)
			abort();
		sl->s = cfg_strdup(name);
		*tail = sl;
		tail = &sl->next;
	}
	cfg_free_str_list(&t->fields);
	t->when = when;
	t->fields = list;
	return NULL;
}

const struct cfg_str_list *
cfg_targeted_fields(const struct cfg *cfg, const struct cfg_port *port)
{
	const struct cfg_targeted_cc *t = &cfg->targeted_cache_control;

	switch (t->when) {
	case CFG_TARGETED_ON:
		return t->fields;
	case CFG_TARGETED_ACCEL:
		return port != NULL && port->accel ? t->fields : NULL;
	case CFG_TARGETED_OFF:
		break;
	}
	return NULL;
}
