/*
 * annotate: transaction annotations (see annotate.h), following Squid
 * 5.7's UpdateRequestNotes (HttpRequest.cc), ClientHttpRequest::initRequest
 * (connection notes first) and the `note` directives that
 * ConnStateData::logRequest... adds before logging (client_side.cc).
 */
#include "config.h"
#include "annotate.h"

#include <string.h>

#include "acl.h"
#include "cfg.h"
#include "conn.h"
#include "helper_reply.h"
#include "notes.h"
#include "worker.h"
#include "xact.h"

#define ANNOTATE_CONN_TAG	"clt_conn_tag"

void
annotate_conn_notes(struct xact *x)
{
	notes_append_new_only(&x->notes, &x->conn->notes);
}

void
annotate_update(struct xact *x, const struct notes *ns)
{
	const char *tag = notes_find_first(ns, ANNOTATE_CONN_TAG);

	if (tag != NULL && x->conn != NULL) {
		notes_remove(&x->conn->notes, ANNOTATE_CONN_TAG);
		notes_add(&x->conn->notes, ANNOTATE_CONN_TAG, tag);
	}
	notes_replace_or_add(&x->notes, ns);
}

void
annotate_from_reply(struct xact *x, const struct helper_reply *r)
{
	struct notes ns = { NULL, 0, 0 };

	helper_reply_to_notes(r, &ns);
	if (ns.n > 0)
		annotate_update(x, &ns);
	notes_free(&ns);
}

void
annotate_user_notes(struct notes *user, const struct helper_reply *r,
    const char *secret)
{
	static const char *const appendables[] = { "group", "tag", NULL };
	struct notes ns = { NULL, 0, 0 };

	helper_reply_to_notes(r, &ns);
	notes_replace_or_add_or_append(user, &ns, appendables);
	if (secret != NULL)
		notes_remove(user, secret);
	notes_free(&ns);
}

/* Has key's value been settled by an earlier note line? */
static int
annotate_key_seen(const struct cfg_note *first, const struct cfg_note *upto)
{
	for (const struct cfg_note *n = first; n != upto; n = n->next)
		if (strcmp(n->key, upto->key) == 0)
			return 1;
	return 0;
}

void
annotate_log_rules(struct xact *x)
{
	const struct cfg_note *head = worker_cfg->notes;
	struct acl_checklist cl;
	int filled = 0;

	for (const struct cfg_note *n = head; n != NULL; n = n->next) {
		if (annotate_key_seen(head, n))
			continue;
		/* Squid's Note::match: the key's first value whose ACLs
		 * allow, checked fast (an ACL that would wait does not) */
		for (const struct cfg_note *v = n; v != NULL; v = v->next) {
			if (strcmp(v->key, n->key) != 0)
				continue;
			if (!filled) {
				/* external ACLs answer from their cache */
				xact_checklist(x, &cl);
				filled = 1;
			}
			if (acl_refs_match(v->rule.refs, v->rule.nrefs, &cl) !=
			    ACL_MATCH)
				continue;
			/* an interim line logged it already */
			if (!notes_has_pair(&x->notes, v->key, v->value))
				notes_add(&x->notes, v->key, v->value);
			break;
		}
	}
}
