/*
 * rules: the rules file of url_regex_rewrite and the matcher.  A file is
 * "[-i] REGEX REPLACEMENT" and "[-i] !REGEX" lines (POSIX extended
 * regexes), comments and blank lines; rules_match() tries them in order and
 * the first match wins.  A replacement is a URL (a rewrite; a store ID with
 * RULES_STORE_ID) or "redirect:30x:URL", with \0..\9 and & for the match
 * and its groups.  Errors come back as "FILE:LINE: what" lines, every one
 * in the file at once.  No I/O beyond reading the file, so the unit tests
 * and the fuzzer drive it directly.
 */
#ifndef CUTTLE_RULES_H
#define CUTTLE_RULES_H

#include <stddef.h>

/* Store-ID mode (-s): a redirect rule is an error. */
#define RULES_STORE_ID	0x01
/* A rules file bigger than this is refused rather than read. */
#define RULES_FILE_MAX	(64 * 1024 * 1024)

enum rules_action {
	RULES_NONE,		/* no rule matched */
	RULES_STOP,		/* a "!" rule matched: leave the URL alone */
	RULES_REWRITE,		/* out holds the new URL (or store ID) */
	RULES_REDIRECT,		/* out holds the Location, status the code */
	RULES_TOO_LONG		/* a rule matched but its result does not fit */
};

struct rules_match {
	enum rules_action action;
	int		 status;	/* 301..308 for RULES_REDIRECT */
	unsigned int	 line;		/* the matching rule's line */
	size_t		 len;		/* strlen(out) */
};

struct rules;

/*
 * Parse a whole rules file held in text[0..len); name is the file name
 * used in messages.  Returns the rules, or NULL with *errs set to one
 * "NAME:LINE: what\n" line per error (malloc'd; NULL when there are none).
 */
struct rules *rules_parse(const char *name, const char *text, size_t len,
    int flags, char **errs);
/* rules_parse() on the file at path; a file that cannot be read is one error. */
struct rules *rules_load(const char *path, int flags, char **errs);
void rules_free(struct rules *rs);
size_t rules_count(const struct rules *rs);

/*
 * The first rule matching url (NUL-terminated); the result, if any, goes
 * to out[0..outsz) with its NUL.  Returns m->action.
 */
enum rules_action rules_match(struct rules *rs, const char *url, char *out,
    size_t outsz, struct rules_match *m);

/* Prefilter on (the default) or off: the benchmark and the fuzzer compare. */
void rules_set_prefilter(struct rules *rs, int on);
/*
 * The longest literal every string matching the POSIX ERE re contains
 * (malloc'd, its length in *len), or NULL when none can be named safely:
 * a top-level "|", or nothing outside groups, classes and quantifiers.
 */
char *rules_literal(const char *re, size_t *len);

#endif
