/*
 * storeid: the store_id_program dialect on top of url_helper (the same
 * mechanism as url_rewrite_program, with store_id_* directives).  Replies,
 * as Squid 5.7 reads them: "OK store-id=ID" (a store ID equal to the URL
 * changes nothing), "OK" and "ERR" (the URL is the store ID), "BH"
 * (retried by the pool, then logged); anything else, a helper that died
 * included, is logged as a wrong helper.  The request goes on either way.
 *
 * In DESIGN.md's data flow: store ID, between url_rewrite and the cache
 * lookup.
 */
#include "config.h"
#include "storeid.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "annotate.h"
#include "helper_pool.h"
#include "log.h"
#include "url_helper.h"
#include "util.h"
#include "xact.h"

struct url_helper storeid_helper = {
	"store_id", "storeId helper", offsetof(struct cfg, store_id), NULL,
	"No StoreId helpers defined", "StoreId helper Statistics",
	"StoreId helpers", 0
};

void
storeid_mgr_stats(struct buf *out)
{
	url_helper_stats(&storeid_helper, out);
}

void
storeid_init(const struct cfg *cfg)
{
	url_helper_init(&storeid_helper, cfg);
}

void
storeid_shutdown(void)
{
	url_helper_shutdown(&storeid_helper);
}

void
storeid_reload(const struct cfg *cfg)
{
	url_helper_reload(&storeid_helper, cfg);
}

/* Squid takes the first store-id= of the reply. */
static const char *
storeid_first(const struct helper_reply *r)
{
	for (int i = 0; i < r->nkv; i++)
		if (strcmp(r->kv[i].key, "store-id") == 0)
			return r->kv[i].value;
	return NULL;
}

static void
storeid_done(void *arg, const struct helper_reply *r, const char *notes)
{
	struct xact *x = arg;
	const char *id;

	x->rw.req = NULL;
	annotate_from_reply(x, r);	/* whatever the result, as Squid */
	switch (r->result) {
	case HELPER_OK:
		/* a careless helper answering the URL itself changes nothing */
		if ((id = storeid_first(r)) != NULL && *id != '\0' &&
		    strcmp(id, x->url_str) != 0) {
			free(x->rw.store_id);
			x->rw.store_id = xstrdup(id);
			x->log.store_id = x->rw.store_id;
			log_debug(85, 2, "store ID of %s: %s", x->url_str, id);
		}
		break;
	case HELPER_ERR:
		break;
	case HELPER_BH:
		log_errx("ERROR: storeID helper: {result=BH, notes={%s}}",
		    notes);
		break;
	default:
		log_errx("ERROR: storeID helper returned invalid result code. "
		    "Wrong helper? {result=%s, other: \"%s\"}",
		    helper_result_name(r->result),
		    r->line != NULL ? r->line : "");
		break;
	}
	x->rw.cont(x);
}

int
storeid_ask(struct xact *x, void (*cont)(struct xact *))
{
	x->rw.cont = cont;
	return url_helper_ask(&storeid_helper, x, storeid_done);
}
