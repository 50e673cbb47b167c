/*
 * notes: the annotation list (see notes.h), Squid's NotePairs.
 */
#include "config.h"
#include "notes.h"

#include <stdlib.h>
#include <string.h>

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

/* Append n bytes of src at *len in s (sized by the caller). */
static void
notes_put(char *s, size_t *len, const char *src, size_t n)
{
	memcpy(s + *len, src, n);
	*len += n;
}

char *
notes_find(const struct notes *ns, const char *key, const char *sep)
{
	size_t need = 1, len = 0, seplen = strlen(sep);
	int found = 0;
	char *s;

	for (int i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].key, key) == 0) {
			need += strlen(ns->v[i].value) + seplen;
			found = 1;
		}
	if (!found)
		return NULL;
	s = xmalloc(need);
	found = 0;
	for (int i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i].key, key) != 0)
			continue;
		if (found++)
			notes_put(s, &len, sep, seplen);
		notes_put(s, &len, ns->v[i].value, strlen(ns->v[i].value));
	}
	s[len] = '\0';
	return s;
}

char *
notes_to_string(const struct notes *ns, const char *sep)
{
	size_t need = 1, len = 0, seplen = strlen(sep);
	char *s;

	if (ns->n == 0)
		return NULL;
	for (int i = 0; i < ns->n; i++)
		need += strlen(ns->v[i].key) + 2 + strlen(ns->v[i].value) +
		    seplen;
	s = xmalloc(need);
	for (int i = 0; i < ns->n; i++) {
		notes_put(s, &len, ns->v[i].key, strlen(ns->v[i].key));
		notes_put(s, &len, ": ", 2);
		notes_put(s, &len, ns->v[i].value, strlen(ns->v[i].value));
		notes_put(s, &len, sep, seplen);
	}
	s[len] = '\0';
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
