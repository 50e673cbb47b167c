/*
 * A Structured Field Dictionary parser (RFC 8941 4.2.2), strict as the RFC
 * requires: a field that does not parse is to be ignored whole, so the
 * caller learns only "valid, with these members" or "invalid".  It reads
 * one field line in place and never allocates; members are handed to a
 * callback in order (a repeated key is handed again: the last one wins).
 */
#ifndef CUTTLE_SF_DICT_H
#define CUTTLE_SF_DICT_H

#include <stddef.h>
#include <stdint.h>

enum sf_type {
	SF_INTEGER,		/* .integer */
	SF_DECIMAL,		/* .text as written */
	SF_STRING,		/* .text between the quotes, escapes kept */
	SF_TOKEN,		/* .text */
	SF_BINARY,		/* .text between the colons, base64 */
	SF_BOOLEAN,		/* .integer 0 or 1 */
	SF_INNER_LIST		/* .text from "(" to ")"; members not given */
};

struct sf_value {
	enum sf_type	 type;
	int64_t		 integer;
	const char	*text;
	size_t		 text_len;
};

/* Called once per member; key is lowercase, not NUL terminated. */
typedef void (*sf_dict_member)(void *arg, const char *key, size_t key_len,
    const struct sf_value *v);

/*
 * Parse one field value.  Parameters are checked and skipped.  Returns the
 * number of members handed to cb (0 for an empty value), or -1 when the
 * value is not a valid Dictionary; cb may already have been called by then.
 */
int sf_dict_parse(const char *s, size_t len, sf_dict_member cb, void *arg);

#endif
