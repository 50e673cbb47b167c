/*
 * The annotate_transaction and annotate_client ACL types (Squid 5.7's
 * ACLAnnotationData with Notes::parseKvPair and Note::updateNotePairs):
 * an acl line holds key=value and key+=value pairs, and a check of the
 * ACL adds them to the notes the checklist hands over.  Matching has this
 * side effect on purpose; acl.c decides which notes and always matches.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"
#include "notes.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Squid's Notes::ReservedKeys: the helper protocol's own keys. */
static const char *const acl_annot_reserved[] = {
	"group", "ha1", "log", "message", "password", "rewrite-url",
	"status", "tag", "ttl", "url", "user", NULL
};

static int
acl_annot_has(const struct acl *a, const char *key)
{
	for (int i = 0; i < a->nannots; i++)
		if (strcmp(a->annots[i].key, key) == 0)
			return 1;
	return 0;
}

/*
 * Squid keeps one Note per key with its values in line order, and applies
 * the keys in the order they first appeared: insert after the key's last
 * pair.
 */
static void
acl_annot_insert(struct acl *a, char *key, char *value, int append)
{
	int at = a->nannots;

	for (int i = 0; i < a->nannots; i++)
		if (strcmp(a->annots[i].key, key) == 0)
			at = i + 1;
	a->annots = acl_grow(a->annots, &a->annots_cap, a->nannots + 1,
	    sizeof(*a->annots));
	memmove(&a->annots[at + 1], &a->annots[at],
	    (size_t)(a->nannots - at) * sizeof(*a->annots));
	a->annots[at].key = key;
	a->annots[at].value = value;
	a->annots[at].append = append;
	a->nannots++;
}

char *
acl_annot_parse(struct acl *a, char **v, int n, struct acl_msgs *w)
{
	int i, pairs = 0;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(v[i], '=');
		size_t klen = eq != NULL ? (size_t)(eq - v[i]) : 0;
		int append = klen > 0 && v[i][klen - 1] == '+';
		char *key;

		if (eq == NULL || eq[1] == '\0' || klen - append == 0) {
			acl_warn(w, "Error while parsing key=value token. "
			    "Value missing after: %s", v[i]);
			i++;
			break;
		}
		/* Squid unquotes the value and expands its logformat
		 * %codes when the ACL is checked; refused, as for the note
		 * directive, rather than taken literally */
		if (eq[1] == '"' || eq[1] == '\'')
			return xasprintf("%s: quoted values (logformat %%codes) "
			    "are not supported yet: %s", a->def->name, v[i]);
		key = xstrndup(v[i], klen - append);
		for (int r = 0; acl_annot_reserved[r] != NULL; r++)
			if (strcmp(key, acl_annot_reserved[r]) == 0) {
				char *err = xasprintf("cannot use a reserved "
				    "annotation_data name: %s", key);
				free(key);
				return err;
			}
		size_t bad = strspn(key, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
		if (key[bad] != '\0')
			acl_warn(w, "used special character '%c' within "
			    "annotation name. Future Squid versions will not "
			    "support this.", key[bad]);
		if (!append && acl_annot_has(a, key))
			acl_warn(w, "annotation configuration with key %s "
			    "already exists and will be overwritten", key);
		acl_annot_insert(a, key, xstrdup(eq + 1), append);
		pairs++;
	}
	if (pairs == 0)
		return xasprintf("Missing annotation kv pair");
	if (i < n)
		return xasprintf("Unexpected argument '%s' after annotation "
		    "specification", v[i]);
	return NULL;
}

void
acl_annot_apply(const struct acl *a, struct notes *ns)
{
	for (int i = 0; i < a->nannots; i++) {
		const struct acl_annot *an = &a->annots[i];
		const char *v = an->value;

		if (!an->append)
			notes_remove(ns, an->key);
		if (a->note_delims == NULL) {
			notes_add(ns, an->key, v);
			continue;
		}
		/* -m: each token between delimiters is a note of its own */
		while (*v != '\0') {
			size_t len;

			v += strspn(v, a->note_delims);
			len = strcspn(v, a->note_delims);
			if (len > 0) {
				char *tok = xstrndup(v, len);
				notes_add(ns, an->key, tok);
				free(tok);
			}
			v += len;
		}
	}
}

void
acl_annot_free(struct acl *a)
{
	for (int i = 0; i < a->nannots; i++) {
		free(a->annots[i].key);
		free(a->annots[i].value);
	}
	free(a->annots);
}
