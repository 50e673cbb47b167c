/*
 * notes: the annotation list (see notes.h), Squid's NotePairs.
 */
#include "config.h"
#include "notes.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

void
notes_add(struct notes *ns, const char *key, const char *value)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap > 0 ? ns->cap * 2 : 4;
		ns->v = xrealloc(ns->v, (size_t)ns->cap * sizeof(*ns->v));
	}
	ns->v[ns->n].key = xstrdup(key);
	ns->v[ns->n].value = xstrdup(value != NULL ? value : "");
	ns->n++;
}

void
notes_remove(struct notes *ns, const char *key)
{
	int j = 0;

	for (int i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i].key, key) == 0) {
			free(ns->v[i].key);
			free(ns->v[i].value);
		} else
			ns->v[j++] = ns->v[i];
	}
	ns->n = j;
}

int
notes_has_pair(const struct notes *ns, const char *key, const char *value)
{
	for (int i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].key, key) == 0 &&
		    strcmp(ns->v[i].value, value) == 0)
			return 1;
	return 0;
}

const char *
notes_find_first(const struct notes *ns, const char *key)
{
	for (int i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].key, key) == 0)
			return ns->v[i].value;
	return NULL;
}

char *
notes_find(const struct notes *ns, const char *key, const char *sep)
{
	struct buf b;
	int found = 0;

	buf_init(&b);
	for (int i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i].key, key) != 0)
			continue;
		if (found++)
			buf_append(&b, sep, strlen(sep));
		buf_append(&b, ns->v[i].value, strlen(ns->v[i].value));
	}
	if (!found) {
		buf_free(&b);
		return NULL;
	}
	char *s = xstrndup(buf_head(&b), buf_avail(&b));
	buf_free(&b);
	return s;
}

char *
notes_to_string(const struct notes *ns, const char *sep)
{
	struct buf b;

	if (ns->n == 0)
		return NULL;
	buf_init(&b);
	for (int i = 0; i < ns->n; i++)
		buf_printf(&b, "%s: %s%s", ns->v[i].key, ns->v[i].value, sep);
	char *s = xstrndup(buf_head(&b), buf_avail(&b));
	buf_free(&b);
	return s;
}

void
notes_append(struct notes *dst, const struct notes *src)
{
	int n = src->n;		/* src may be dst */

	for (int i = 0; i < n; i++)
		notes_add(dst, src->v[i].key, src->v[i].value);
}

void
notes_append_new_only(struct notes *dst, const struct notes *src)
{
	for (int i = 0; i < src->n; i++)
		if (!notes_has_pair(dst, src->v[i].key, src->v[i].value))
			notes_add(dst, src->v[i].key, src->v[i].value);
}

static int
notes_listed(const char *const *names, const char *key)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, key) == 0)
			return 1;
	return 0;
}

void
notes_replace_or_add_or_append(struct notes *dst, const struct notes *src,
    const char *const *appendables)
{
	for (int i = 0; i < src->n; i++)
		if (!notes_listed(appendables, src->v[i].key))
			notes_remove(dst, src->v[i].key);
	notes_append(dst, src);
}

void
notes_replace_or_add(struct notes *dst, const struct notes *src)
{
	notes_replace_or_add_or_append(dst, src, NULL);
}

void
notes_free(struct notes *ns)
{
	for (int i = 0; i < ns->n; i++) {
		free(ns->v[i].key);
		free(ns->v[i].value);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}
