/*
 * The learned splice list (ssl_bump_learn_splice, a cuttle extension): the
 * (client address, server name) pairs whose bump a client refused, each
 * spliced until its expiry.  This module is the list and its file format,
 * pure (no I/O, no clock: callers pass "now"), so that the unit test and the
 * fuzzer drive the same code the workers run (workers/bump_learn.c owns the
 * file, its lock and the detection).
 *
 * The file: one entry a line, four fields separated by one space:
 *   EXPIRY CLIENT NAME REASON
 * EXPIRY in seconds since the epoch, CLIENT an IPv4 or IPv6 address, NAME
 * the server name (lower case), REASON a word saying what the client did.
 * Bytes below '!', above '~' and '%' itself are written %XX, so a hostile
 * SNI cannot split a line or a field.  Lines starting with '#' and empty
 * lines are comments.
 */
#ifndef CUTTLE_LEARN_SPLICE_H
#define CUTTLE_LEARN_SPLICE_H

#include <stddef.h>
#include <stdint.h>

#define LEARN_SPLICE_CLIENT_MAX	46	/* INET6_ADDRSTRLEN */
#define LEARN_SPLICE_NAME_MAX	1024	/* bytes, once unescaped */
#define LEARN_SPLICE_REASON_MAX	64

struct learn_splice_entry {
	int64_t		 expiry;
	char		 client[LEARN_SPLICE_CLIENT_MAX];	/* canonical */
	char		*name;
	char		*reason;
};

/* Sorted by client, then name: one entry per pair. */
struct learn_splice_list {
	struct learn_splice_entry *v;
	size_t		 n, cap;
};

/* A line that is skipped, for the caller's warning. */
typedef void learn_splice_bad_fn(void *arg, unsigned line, const char *why);

void learn_splice_init(struct learn_splice_list *l);
void learn_splice_free(struct learn_splice_list *l);
/*
 * Read a file's len bytes into l (which it empties first), leaving out
 * entries expired at now; bad (may be NULL) hears of each line skipped.
 * Returns how many lines were skipped as malformed.
 */
unsigned learn_splice_parse(struct learn_splice_list *l, const char *text,
    size_t len, int64_t now, learn_splice_bad_fn *bad, void *arg);
/*
 * Learn (client, name) until expiry.  1 when the pair is new (absent or
 * expired at now), 0 when it was already learned (its expiry moves to the
 * later of the two), -1 when client is not an address or name or reason is
 * empty or too long.
 */
int learn_splice_add(struct learn_splice_list *l, int64_t expiry,
    const char *client, const char *name, const char *reason, int64_t now);
/* The entry learned for (client, name) and unexpired at now, or NULL. */
const struct learn_splice_entry *learn_splice_find(
    const struct learn_splice_list *l, const char *client, const char *name,
    int64_t now);
/* Has client any entry unexpired at now? */
int learn_splice_has_client(const struct learn_splice_list *l,
    const char *client, int64_t now);
/* The file's text for the entries unexpired at now (malloc'd; *len set). */
char *learn_splice_format(const struct learn_splice_list *l, int64_t now,
    size_t *len);
/*
 * Write s at o escaped as the file's fields are (%XX), without a NUL: o
 * has room for 3 * strlen(s) bytes.  Returns the end of what it wrote.
 */
char *learn_splice_escape(char *o, const char *s);
/*
 * The canonical text of an address (inet_ntop of inet_pton: "::FFFF:1.2.3.4"
 * and "1.2.3.4" stay different), in dst; -1 when s is not an address.
 */
int learn_splice_client(const char *s, char dst[LEARN_SPLICE_CLIENT_MAX]);

#endif
