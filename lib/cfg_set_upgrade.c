/*
 * http_upgrade_request_protocols <protocol> allow|deny [!]acl ...
 *
 * Parsed as Squid 5.7 parses it: the protocol is the all-caps word OTHER
 * or a name with an optional /version; every named line is a rule list of
 * its own (so lines keep their order and a version-mismatched line can be
 * passed over), while the OTHER lines join one list.  A line without ACLs
 * is skipped with a warning, as Squid's aclParseAccessLine does.  What the
 * rules mean is in upgrade_rules.c.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "util.h"

char *
cfg_set_upgrade(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	struct cfg_upgrade *u = field;
	struct cfg_upgrade_rule *r, **tail;
	char *err;

	if (argc < 3) {
		/* Squid's aclParseAccessLine: the action parses, no ACL */
		if (argc == 2 && (strcmp(argv[1], "allow") == 0 ||
		    strcmp(argv[1], "deny") == 0)) {
			conf_warn(cx, "%s %s %s: access line contains no "
			    "ACLs, skipping (as Squid)", cx->name, argv[0],
			    argv[1]);
			return NULL;
		}
	}
	if (strcmp(argv[0], "OTHER") == 0)
		return access_parse(&u->other, &CFG_BASE(cx)->acls, argv + 1,
		    argc - 1, NULL, cx->file, cx->line);
	r = xcalloc(1, sizeof(*r));
	err = access_parse(&r->acl, &CFG_BASE(cx)->acls, argv + 1, argc - 1,
	    NULL, cx->file, cx->line);
	if (err != NULL) {
		free(r);
		return err;
	}
	r->proto = cfg_strdup(argv[0]);
	r->name_len = strcspn(r->proto, "/");
	for (tail = &u->named; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return NULL;
}

void
cfg_free_upgrade(struct cfg_upgrade *u)
{
	struct cfg_upgrade_rule *r;

	while ((r = u->named) != NULL) {
		u->named = r->next;
		access_list_free(&r->acl);
		free(r->proto);
		free(r);
	}
	access_list_free(&u->other);
}
