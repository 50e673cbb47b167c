/*
 * connect_retries N: how many times one TCP connection is opened before
 * its failure counts.  Squid 5.7 caps it at 10 with a warning (its
 * configDoConfigure); cuttle warns at the line that set it.
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
