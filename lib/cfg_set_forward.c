/*
 * connect_retries N: how many times one TCP connection is opened before
 * its failure counts.  Squid 5.7 caps it at 10 with a warning (its
 * configDoConfigure); cuttle warns at the line that set it.  Also
 * client_db (below).
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include "conf.h"

#define CFG_CONNECT_RETRIES_MAX	10

char *
cfg_set_connect_retries(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	char *err;
	int *n = field;

	if ((err = conf_set_int(cx, field, argc, argv)) != NULL)
		return err;
	if (*n > CFG_CONNECT_RETRIES_MAX) {
		conf_warn(cx, "connect_retries cannot be larger than "
		    "10. Resetting to 10.");
		*n = CFG_CONNECT_RETRIES_MAX;
	}
	return NULL;
}

/*
 * client_db: Squid 5.7's client database holds per-client statistics and
 * the open connections per client; cuttle keeps only the count, for
 * client_ip_max_connections, which, as in Squid, needs client_db on (the
 * default): off turns the limit off.  An explicit "on" is warned about:
 * there are no per-client statistics (cachemgr client_list).
 */
char *
cfg_set_client_db(struct conf_ctx *cx, void *field, int argc, char **argv)
{
	char *err;

	if ((err = conf_set_bool(cx, field, argc, argv)) != NULL)
		return err;
	if (!cx->is_default && *(int *)field)
		conf_warn(cx, "client_db on: cuttle keeps no per-client "
		    "statistics (cachemgr client_list); it counts each "
		    "client's connections only for "
		    "client_ip_max_connections");
	return NULL;
}
