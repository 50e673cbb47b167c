/*
 * auth_param negotiate: program, children, keep_alive, as Squid 5.7's
 * Negotiate scheme takes them.  The helper is stateful (one handshake per
 * child), so children's concurrency= has no effect; the worker side is
 * workers/auth_negotiate.c.
 */
#include "config.h"

#include <string.h>

#include "cfg.h"
#include "cfg_int.h"
#include "conf.h"
#include "units.h"

char *
cfg_set_auth_negotiate(struct conf_ctx *cx, int argc, char **argv)
{
	struct cfg_auth_negotiate *n = &CFG_BASE(cx)->auth_negotiate;
	const char *param = argv[1];
	char *def[] = { "20", "startup=0", "idle=1", "concurrency=0" };

	if (!n->seen) {
		n->seen = 1;
		(void)cfg_set_helper_children(cx, &n->children, 4, def);
		n->keep_alive = 1;
	}
	if (strcmp(param, "program") == 0) {
		if (argc < 3)
			return units_strf("%s negotiate program: missing "
			    "command line", cx->name);
		return cfg_set_helper_program(cx, &n->program, argc - 2,
		    argv + 2);
	}
	if (argc < 3)
		return units_strf("%s negotiate %s: missing value", cx->name,
		    param);
	if (strcmp(param, "children") == 0)
		return cfg_set_helper_children(cx, &n->children, argc - 2,
		    argv + 2);
	if (strcmp(param, "keep_alive") == 0)
		return conf_set_bool(cx, &n->keep_alive, argc - 2, argv + 2);
	/* Squid only complains about this one */
	conf_warn(cx, "Unrecognised Negotiate auth scheme parameter '%s'",
	    param);
	return NULL;
}
