/*
 * notes: Squid's transaction annotations (NotePairs): an ordered list of
 * key/value pairs where a key may repeat.  Helper replies add their
 * key=value pairs, the `note` directive adds its own, `note` ACLs test
 * them and %note logs them.  The operations are NotePairs' own, with the
 * same names, because which one a source uses decides what a later
 * reply replaces.
 */
#ifndef CUTTLE_NOTES_H
#define CUTTLE_NOTES_H

#include <stddef.h>

struct note {
	char		*key;
	char		*value;
};

struct notes {
	struct note	*v;
	int		 n, cap;
};

/* Add one pair at the end (keys may repeat). */
void notes_add(struct notes *ns, const char *key, const char *value);
/* Drop every pair with key. */
void notes_remove(struct notes *ns, const char *key);
/* Is there a pair key=value? */
int notes_has_pair(const struct notes *ns, const char *key,
    const char *value);
/* The first value of key, or NULL. */
const char *notes_find_first(const struct notes *ns, const char *key);
/*
 * Every value of key joined by sep (malloc'd), NULL when key has none:
 * %{key}note.
 */
char *notes_find(const struct notes *ns, const char *key, const char *sep);
/* "key: value" + sep for every pair (malloc'd), NULL when empty: %note. */
char *notes_to_string(const struct notes *ns, const char *sep);
/* Append src's pairs. */
void notes_append(struct notes *dst, const struct notes *src);
/* Append src's pairs that dst does not have yet (same key and value). */
void notes_append_new_only(struct notes *dst, const struct notes *src);
/* Drop dst's pairs with the keys src has, then append src's. */
void notes_replace_or_add(struct notes *dst, const struct notes *src);
/*
 * As notes_replace_or_add, except that keys in appendables (NULL-ended)
 * keep their old values too: an auth helper's group= and tag=.
 */
void notes_replace_or_add_or_append(struct notes *dst,
    const struct notes *src, const char *const *appendables);
void notes_free(struct notes *ns);

#endif
