/*
 * auth_param digest: the parameters Squid 5.7's Auth::Digest::Config
 * reads (nonce_* and the rest) after the ones every scheme has (program,
 * children, realm, key_extras, utf8, keep_alive).  Defaults as Squid's:
 * nonces collected every 5 minutes, valid 30 minutes and 50 uses, counts
 * checked but not strictly; no realm, which leaves the scheme off.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

#include "logformat.h"
#include "units.h"

static void
cfg_digest_defaults(struct conf_ctx *cx, struct cfg_auth_digest *d)
{
	char *def[] = { "20", "startup=0", "idle=1", "concurrency=0" };

	d->seen = 1;
	(void)cfg_set_helper_children(cx, &d->children, 4, def);
	d->nonce_gc_interval = 5 * 60 * 1000;
	d->nonce_max_duration = 30 * 60 * 1000;
	d->nonce_max_count = 50;
	d->check_nonce_count = 1;
}

char *
cfg_set_auth_digest(struct conf_ctx *cx, int argc, char **argv)
{
	struct cfg_auth_digest *d = &CFG_BASE(cx)->auth_digest;
	const char *param = argv[1];

	if (!d->seen)
		cfg_digest_defaults(cx, d);
	if (argc < 3)
		return units_strf("%s digest %s: missing value", cx->name, param);
	if (strcmp(param, "program") == 0)
		return cfg_set_helper_program(cx, &d->program, argc - 2,
		    argv + 2);
	if (strcmp(param, "children") == 0)
		return cfg_set_helper_children(cx, &d->children, argc - 2,
		    argv + 2);
	if (strcmp(param, "realm") == 0) {
		free(d->realm);
		if ((d->realm = cfg_rest_after(cx, 2)) == NULL)
			abort();
		return NULL;
	}
	if (strcmp(param, "key_extras") == 0)
		return cfg_auth_key_extras(cx, &d->key_extras, argc, argv);
	if (strcmp(param, "nonce_garbage_interval") == 0)
		return conf_set_time(cx, &d->nonce_gc_interval, argc - 2,
		    argv + 2);
	if (strcmp(param, "nonce_max_duration") == 0)
		return conf_set_time(cx, &d->nonce_max_duration, argc - 2,
		    argv + 2);
	if (strcmp(param, "nonce_max_count") == 0)
		return conf_set_int(cx, &d->nonce_max_count, argc - 2, argv + 2);
	if (strcmp(param, "nonce_strictness") == 0)
		return conf_set_bool(cx, &d->nonce_strictness, argc - 2,
		    argv + 2);
	if (strcmp(param, "check_nonce_count") == 0)
		return conf_set_bool(cx, &d->check_nonce_count, argc - 2,
		    argv + 2);
	if (strcmp(param, "post_workaround") == 0)
		return conf_set_bool(cx, &d->post_workaround, argc - 2,
		    argv + 2);
	if (strcmp(param, "utf8") == 0)
		return conf_set_bool(cx, &d->utf8, argc - 2, argv + 2);
	if (strcmp(param, "keep_alive") == 0) {
		int on;
		char *err = conf_set_bool(cx, &on, argc - 2, argv + 2);

		if (err == NULL && !on)
			conf_warn(cx, "auth_param digest keep_alive off is not "
			    "supported by cuttle; ignored");
		return err;
	}
	conf_warn(cx, "Unrecognised digest auth scheme parameter '%s'", param);
	return NULL;
}

void
cfg_free_auth_digest(struct cfg_auth_digest *d)
{
	cfg_free_argv(&d->program);
	free(d->realm);
	d->realm = NULL;
	if (d->key_extras != NULL)
		logformat_free(d->key_extras);
	d->key_extras = NULL;
}
