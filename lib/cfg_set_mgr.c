/*
 * cachemgr_passwd SECRET|none|disable ACTION... (the word "all" covers
 * every action).  Kept in file order: as in Squid 5.7 the first line that
 * names an action (or says all) decides it, so a later line naming an
 * action again is reported and has no effect there.  What the words mean
 * for a request is in workers/mgr.c.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

char *
cfg_set_cachemgr_passwd(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_mgr_passwd **pp = field, *p;

	p = xcalloc(1, sizeof(*p));
	p->passwd = xstrdup(argv[0]);
	p->nactions = argc - 1;
	p->actions = xcalloc((size_t)argc, sizeof(*p->actions));
	for (int i = 1; i < argc; i++)
		p->actions[i - 1] = xstrdup(argv[i]);
	for (; *pp != NULL; pp = &(*pp)->next)
		for (int i = 0; i < (*pp)->nactions; i++)
			for (int j = 0; j < p->nactions; j++)
				if (strcmp((*pp)->actions[i], p->actions[j]) == 0)
					conf_warn(cx, "action '%s' already "
					    "has a password", p->actions[j]);
	*pp = p;
	return NULL;
}

const char *
cfg_mgr_passwd_of(const struct cfg *cfg, const char *action)
{
	for (const struct cfg_mgr_passwd *p = cfg->cachemgr_passwd; p != NULL;
	    p = p->next)
		for (int i = 0; i < p->nactions; i++)
			if (strcmp(p->actions[i], action) == 0 ||
			    strcmp(p->actions[i], "all") == 0)
				return p->passwd;
	return NULL;
}

void
cfg_mgr_passwd_free(struct cfg_mgr_passwd **list)
{
	struct cfg_mgr_passwd *p;

	while ((p = *list) != NULL) {
		*list = p->next;
		for (int i = 0; i < p->nactions; i++)
			free(p->actions[i]);
		free(p->actions);
		free(p->passwd);
		free(p);
	}
}
