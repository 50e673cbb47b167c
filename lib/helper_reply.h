/*
 * helper_reply: the text side of Squid's helper protocol, with no I/O.
 * Finding where one reply ends in a stream (line framing), splitting off a
 * channel ID, and parsing a reply line into its result word, key=value
 * notes and free text the way Squid 5.7's Helper::Reply does.  Shared by
 * the worker's helper pools and by unit tests.
 */
#ifndef CUTTLE_HELPER_REPLY_H
#define CUTTLE_HELPER_REPLY_H

#include <stddef.h>
#include <stdint.h>

/* A reply may grow to this before the helper is dropped, as in Squid. */
#define HELPER_REPLY_MAX	(1024 * 1024)

enum helper_result {
	HELPER_UNKNOWN,		/* a word Squid does not know; legacy forms */
	HELPER_OK,
	HELPER_ERR,
	HELPER_BH,
	HELPER_TT,
	HELPER_TIMEDOUT		/* no reply in time (Squid's Helper::TimedOut) */
};

struct helper_kv {
	char		*key;
	char		*value;
};

struct helper_reply {
	enum helper_result result;
	struct helper_kv *kv;		/* in reply order; keys may repeat */
	int		 nkv;
	char		*text;		/* free text after the notes, "" if none */
	char		*line;		/* the whole reply after the channel ID */
};

/*
 * Line framing: the length of the first complete message in buf (without
 * its "\n" and a "\r" before it) in *msg_len, and the bytes it takes
 * including the terminator as the result; 0 if no complete line yet.
 */
size_t helper_frame_line(const char *buf, size_t len, size_t *msg_len);

/*
 * What a framing hook returns for bytes that cannot be the start of a
 * reply of its protocol: the pool replaces that helper.
 */
#define HELPER_FRAME_BROKEN	((size_t)-1)

/*
 * sslcrtd framing (squid-compat.md 8.2): a reply is "OK" or "ERR", SP, the
 * decimal length of the body, SP, the body, then byte 0x01; or "BH", then
 * optional SP and text, then 0x01.  Returns the bytes the first reply
 * takes (its length without the 0x01 in *msg_len), 0 while it is
 * incomplete, HELPER_FRAME_BROKEN as soon as the bytes cannot become one
 * (a wrong word, a length that is not the body's), so that a helper
 * writing garbage is replaced rather than waited for.
 */
size_t helper_frame_certgen(const char *buf, size_t len, size_t *msg_len);
/*
 * The result of a framed certgen reply and its body (OK: the certificate
 * and key PEM; ERR: the text; BH: the text after "BH ", maybe empty), a
 * view into msg.  HELPER_UNKNOWN if msg is not one.
 */
enum helper_result helper_certgen_reply(const char *msg, size_t len,
    const char **body, size_t *body_len);

/*
 * Split "ID SP rest" (concurrency > 0).  Returns 0 and the ID and rest, or
 * -1 if the line does not start with a decimal ID and whitespace (or ends
 * after the ID: then *rest is "").
 */
int helper_reply_split_id(const char *line, size_t len, uint64_t *id,
    const char **rest, size_t *rest_len);

/* Parse one reply (no terminator).  Free with helper_reply_free(). */
void helper_reply_parse(struct helper_reply *r, const char *line, size_t len);
void helper_reply_free(struct helper_reply *r);
/* The last value of key, or NULL. */
const char *helper_reply_get(const struct helper_reply *r, const char *key);
/* "OK", "ERR", "BH", "TT", "Unknown" as Squid prints them. */
const char *helper_result_name(enum helper_result res);
/*
 * Append r's notes as Squid logs them ("message: helper broke; ") to the
 * NUL-terminated *acc (malloc'd, may be NULL), returning the new string.
 */
char *helper_reply_notes_append(char *acc, const struct helper_reply *r);
/*
 * Append r's key=value pairs to ns: every pair of a reply is a transaction
 * annotation in Squid (HttpRequest notes, %note, note ACLs).
 */
struct notes;
void helper_reply_to_notes(const struct helper_reply *r, struct notes *ns);

#endif
