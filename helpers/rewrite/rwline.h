/*
 * rwline: url_regex_rewrite's side of Squid's helper protocol, with no I/O.
 * A request line is "[ID SP] URL [SP extras]" (squid-compat.md 6.2, 7.1):
 * the channel ID is there when the first word is all digits, as Squid's
 * storeid_file_rewrite tells, which a URL never is.  Answers are
 * "[ID SP] OK rewrite-url=\"URL\"", "OK status=30x url=\"URL\"",
 * "OK store-id=\"ID\"", "ERR" and "BH message=\"...\"", values always
 * quoted: Squid %-decodes an unquoted value, and would turn a URL's "%20"
 * into a space.
 */
#ifndef CUTTLE_RWLINE_H
#define CUTTLE_RWLINE_H

#include <stddef.h>

#include "buf.h"
#include "rules.h"

/* The longest request line read; Squid sends at most 9 KiB of URL. */
#define RWLINE_MAX	(64 * 1024)

struct rwline {
	const char	*id;		/* channel ID, or NULL */
	size_t		 id_len;
	char		*url;		/* NUL-terminated in the line */
};

/*
 * Parse line[0..len) in place; line[len], where its terminator was, must
 * be writable: the URL's NUL may go there.  Returns 0,
 * or -1 with *why saying what is wrong; the channel ID, when there is one,
 * is found either way so that the BH can carry it.
 */
int rwline_parse(char *line, size_t len, struct rwline *rq, const char **why);
/* The answer for rules_match()'s verdict m and result, with its "\n". */
void rwline_answer(struct buf *out, const struct rwline *rq,
    const struct rules_match *m, const char *result, int store_id);
/* "[ID ]BH message=\"why\"\n" */
void rwline_bh(struct buf *out, const struct rwline *rq, const char *why);

#endif
