/*
 * Access lists built from ACLs ("http_access allow|deny [!]acl ..."), and
 * bare ANDed ACL lists for directives that carry one outside a list, with
 * Squid's semantics: ACLs on a line are ANDed, the first matching line
 * wins, no match gives the opposite of the last line's action, an empty
 * list gives the list's default.
 */
#include "config.h"
#include "acl.h"
#include "acl_int.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

char *
acl_refs_parse(const struct acl_set *set, char **argv, int argc,
    struct acl_ref **refs, int *nrefs)
{
	struct acl_ref *r;
	const char *name;
	int i, neg;

	*refs = NULL;
	*nrefs = 0;
	if (argc == 0)
		return NULL;
	r = xcalloc((size_t)argc, sizeof(*r));
	for (i = 0; i < argc; i++) {
		name = argv[i];
		neg = 0;
		if (name[0] == '!') {
			neg = 1;
			name++;
		}
		if ((r[i].acl = acl_find(set, name)) == NULL) {
			free(r);
			return xasprintf("ACL not found: %s", name);
		}
		r[i].negate = neg;
	}
	*refs = r;
	*nrefs = argc;
	return NULL;
}

enum acl_result
acl_refs_match(const struct acl_ref *refs, int nrefs,
    const struct acl_checklist *cl)
{
	return acl_refs_match_last(refs, nrefs, cl, NULL);
}

enum acl_result
acl_refs_match_last(const struct acl_ref *refs, int nrefs,
    const struct acl_checklist *cl, const struct acl **last)
{
	enum acl_result r;
	int i;

	for (i = 0; i < nrefs; i++) {
		if (last != NULL)
			*last = refs[i].acl;
		r = acl_match(refs[i].acl, cl);
		if (r >= ACL_NEED_DST)	/* waits, or ends undecided */
			return r;
		if ((r == ACL_MATCH) == (refs[i].negate != 0))
			return ACL_NOMATCH;
	}
	return ACL_MATCH;
}

static const char *const acl_allow_deny[] = { "deny", "allow", NULL };

char *
access_parse(struct access_list *list, const struct acl_set *set,
    char **argv, int argc, const char *const *actions, const char *file,
    int line)
{
	struct access_rule *r;
	char *err;
	int i, n;

	if (actions == NULL)
		actions = acl_allow_deny;
	if (argc < 1)
		return xasprintf("missing action");
	for (n = 0; actions[n] != NULL; n++)
		;
	for (i = 0; i < n; i++)
		if (strcmp(actions[i], argv[0]) == 0)
			break;
	if (i == n) {
		size_t len = 0;
		int j;
		char *words;

		for (j = 0; j < n; j++)
			len += strlen(actions[j]) + 2;
		words = xcalloc(1, len + 1);
		for (j = 0; j < n; j++) {
			if (j)
				strcat(words, ", ");
			strcat(words, actions[j]);
		}
		err = xasprintf("unknown action '%s' (expected %s)", argv[0],
		    words);
		free(words);
		return err;
	}
	r = xcalloc(1, sizeof(*r));
	r->action = i;
	if ((err = acl_refs_parse(set, argv + 1, argc - 1, &r->refs,
	    &r->nrefs)) != NULL) {
		free(r);
		return err;
	}
	r->file = file != NULL ? xstrdup(file) : NULL;
	r->line = line;
	list->nactions = n;
	if (list->tail != NULL)
		list->tail->next = r;
	else
		list->head = r;
	list->tail = r;
	return NULL;
}

void
access_list_free(struct access_list *list)
{
	struct access_rule *r, *next;

	for (r = list->head; r != NULL; r = next) {
		next = r->next;
		free(r->refs);
		free((char *)r->file);
		free(r);
	}
	list->head = list->tail = NULL;
	list->nactions = 0;
}

enum acl_result
access_check(const struct access_list *list, const struct acl_checklist *cl,
    int dflt, int *action, const struct access_rule **rule)
{
	return access_check_last(list, cl, dflt, action, rule, NULL);
}

enum acl_result
access_check_last(const struct access_list *list,
    const struct acl_checklist *cl, int dflt, int *action,
    const struct access_rule **rule, const struct acl **last)
{
	const struct access_rule *r;
	enum acl_result res;

	if (rule != NULL)
		*rule = NULL;
	if (last != NULL)
		*last = NULL;
	for (r = list->head; r != NULL; r = r->next) {
		res = acl_refs_match_last(r->refs, r->nrefs, cl, last);
		if (res >= ACL_NEED_DST) {
			if (rule != NULL)
				*rule = r;
			return res;
		}
		if (res == ACL_MATCH) {
			*action = r->action;
			if (rule != NULL)
				*rule = r;
			return ACL_MATCH;
		}
	}
	if (list->tail == NULL)
		*action = dflt;
	else if (list->nactions == 2)
		/* Squid: nothing matched, so do the opposite of the last line. */
		*action = 1 - list->tail->action;
	else
		*action = dflt;
	return ACL_MATCH;
}

int
access_uses_type(const struct access_list *list, const char *type)
{
	const struct access_rule *r;
	int i;

	for (r = list->head; r != NULL; r = r->next)
		for (i = 0; i < r->nrefs; i++)
			if (strcmp(acl_type(r->refs[i].acl), type) == 0)
				return 1;
	return 0;
}
