/*
 * helper_reply: framing and parsing of helper replies (squid-compat.md 6.2,
 * 6.3).  Pure functions over byte strings, so the grammar is unit-tested
 * apart from the processes that speak it.
 */
#include "config.h"
#include "helper_reply.h"
#include "notes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t
helper_frame_line(const char *buf, size_t len, size_t *msg_len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - buf);
	*msg_len = n > 0 && buf[n - 1] == '\r' ? n - 1 : n;
	return n + 1;
}

/* The longest body length a certgen reply may announce: 7 digits. */
#define HELPER_CERTGEN_LEN_DIGITS	7

size_t
helper_frame_certgen(const char *buf, size_t len, size_t *msg_len)
{
	static const char *const words[] = { "OK", "ERR", "BH" };
	size_t i, w, body = 0, digits;
	const char *eom;

	/* which word the first bytes can still become */
	for (w = 0; w < 3; w++) {
		size_t n = strlen(words[w]);

		if (strncmp(buf, words[w], len < n ? len : n) == 0)
			break;
	}
	if (w == 3)
		return len > 0 ? HELPER_FRAME_BROKEN : 0;
	i = strlen(words[w]);
	if (len <= i)
		return 0;
	if (w == 2) {	/* BH [SP text] 0x01 */
		if (buf[i] != ' ' && buf[i] != '\x01')
			return HELPER_FRAME_BROKEN;
		if ((eom = memchr(buf + i, '\x01', len - i)) == NULL)
			return 0;
		*msg_len = (size_t)(eom - buf);
		return *msg_len + 1;
	}
	if (buf[i++] != ' ')
		return HELPER_FRAME_BROKEN;
	for (digits = 0; i < len && isdigit((unsigned char)buf[i]); i++) {
		if (++digits > HELPER_CERTGEN_LEN_DIGITS)
			return HELPER_FRAME_BROKEN;
		body = body * 10 + (size_t)(buf[i] - '0');
	}
	if (i == len)
		return 0;
	if (digits == 0 || buf[i++] != ' ')
		return HELPER_FRAME_BROKEN;
	/* as Squid, 0x01 ends the reply: it cannot be inside the body */
	if (memchr(buf + i, '\x01', len - i < body ? len - i : body) != NULL)
		return HELPER_FRAME_BROKEN;
	if (len - i <= body)
		return 0;
	if (buf[i + body] != '\x01')
		return HELPER_FRAME_BROKEN;
	*msg_len = i + body;
	return i + body + 1;
}

enum helper_result
helper_certgen_reply(const char *msg, size_t len, const char **body,
    size_t *body_len)
{
	size_t used, n;
	char *copy = xmalloc(len + 1);
	enum helper_result res = HELPER_UNKNOWN;

	/* the framing is the grammar: a reply is valid when it frames alone */
	memcpy(copy, msg, len);
	copy[len] = '\x01';
	used = helper_frame_certgen(copy, len + 1, &n);
	free(copy);
	if (used != len + 1 || n != len)
		return HELPER_UNKNOWN;
	if (msg[0] == 'B') {
		res = HELPER_BH;
		*body = msg + (len > 2 ? 3 : 2);
	} else {
		size_t start = msg[0] == 'O' ? 3 : 4;

		res = msg[0] == 'O' ? HELPER_OK : HELPER_ERR;
		/* framed: digits then a space follow the word's */
		*body = (const char *)memchr(msg + start, ' ', len - start) + 1;
	}
	*body_len = len - (size_t)(*body - msg);
	return res;
}

int
helper_reply_split_id(const char *line, size_t len, uint64_t *id,
    const char **rest, size_t *rest_len)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < len && isdigit((unsigned char)line[i])) {
		v = v * 10 + (uint64_t)(line[i] - '0');
		i++;
	}
	if (i == 0 || i > 20 || (i < len && line[i] != ' ' && line[i] != '\t'))
		return -1;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*id = v;
	*rest = line + i;
	*rest_len = len - i;
	return 0;
}

static void
helper_add(struct helper_reply *r, const char *key, const char *value)
{
	r->kv = xrealloc(r->kv, (size_t)(r->nkv + 1) * sizeof(*r->kv));
	r->kv[r->nkv].key = xstrdup(key);
	r->kv[r->nkv].value = xstrdup(value);
	r->nkv++;
}

static int
helper_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next whitespace-delimited word of *p (NUL-terminated), or NULL. */
static char *
helper_word(char **p)
{
	char *s = *p, *start;

	while (helper_is_space(*s))
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	start = s;
	while (*s != '\0' && !helper_is_space(*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return start;
}

/*
 * key=value notes from *p; stops (leaving *p at the word) at the first word
 * that is not one, or at a quoted value that never closes.
 */
static void
helper_parse_notes(struct helper_reply *r, char **p)
{
	char *s = *p;

	for (;;) {
		while (helper_is_space(*s))
			s++;
		char *key = s;
		while (isalnum((unsigned char)*s) || *s == '-' || *s == '_')
			s++;
		if (s == key || *s != '=') {
			*p = key;
			return;
		}
		*s++ = '\0';
		char *val = s;
		if (*s == '"') {
			/* decode into a copy: an unclosed quote leaves text */
			char *q = xmalloc(strlen(s) + 1), *w = q;
			s++;
			while (*s != '\0' && *s != '"') {
				if (*s == '\\' && s[1] != '\0') {
					s++;
					*w++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' :
					    *s == 't' ? '\t' : *s;
					s++;
				} else
					*w++ = *s++;
			}
			if (*s != '"' || (s[1] != '\0' && !helper_is_space(s[1]))) {
				free(q);
				val[-1] = '=';	/* undo: free text */
				*p = key;
				return;
			}
			s++;
			*w = '\0';
			helper_add(r, key, q);
			free(q);
			continue;
		}
		while (*s != '\0' && !helper_is_space(*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
		if (strlen(val) >= 3)
			util_rfc1738_unescape(val);
		helper_add(r, key, val);
	}
}

static int
helper_starts_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return strncmp(s, w, n) == 0 && (s[n] == '\0' || helper_is_space(s[n]));
}

void
helper_reply_parse(struct helper_reply *r, const char *line, size_t len)
{
	char *buf = xstrndup(line, len), *p = buf, *w;
	int message_text = 0;

	memset(r, 0, sizeof(*r));
	r->line = xstrndup(line, len);
	if (len == 0) {
		r->result = HELPER_ERR;
		r->text = xstrdup("");
		free(buf);
		return;
	}
	if (helper_starts_word(p, "OK")) {
		r->result = HELPER_OK;
		p += 2;
	} else if (helper_starts_word(p, "ERR")) {
		r->result = HELPER_ERR;
		p += 3;
	} else if (helper_starts_word(p, "BH")) {
		r->result = HELPER_BH;
		p += 2;
		message_text = 1;
	} else if (helper_starts_word(p, "TT")) {
		r->result = HELPER_TT;
		p += 2;
		if ((w = helper_word(&p)) != NULL)
			helper_add(r, "token", w);
	} else if (helper_starts_word(p, "AF")) {
		/* NTLM "AF user", Negotiate "AF token user" */
		char *w1, *w2;
		r->result = HELPER_OK;
		p += 2;
		if ((w1 = helper_word(&p)) != NULL) {
			if ((w2 = helper_word(&p)) != NULL) {
				helper_add(r, "token", w1);
				helper_add(r, "user", w2);
			} else
				helper_add(r, "user", w1);
		}
	} else if (helper_starts_word(p, "NA")) {
		r->result = HELPER_ERR;
		p += 2;
		message_text = 1;
	} else {
		r->result = HELPER_UNKNOWN;
		r->text = xstrdup(buf);
		free(buf);
		return;
	}
	helper_parse_notes(r, &p);
	while (helper_is_space(*p))
		p++;
	if (message_text && *p != '\0') {
		helper_add(r, "message", p);
		p += strlen(p);
	}
	r->text = xstrdup(p);
	free(buf);
}

void
helper_reply_free(struct helper_reply *r)
{
	for (int i = 0; i < r->nkv; i++) {
		free(r->kv[i].key);
		free(r->kv[i].value);
	}
	free(r->kv);
	free(r->text);
	free(r->line);
	memset(r, 0, sizeof(*r));
}

const char *
helper_reply_get(const struct helper_reply *r, const char *key)
{
	for (int i = r->nkv - 1; i >= 0; i--)
		if (strcmp(r->kv[i].key, key) == 0)
			return r->kv[i].value;
	return NULL;
}

const char *
helper_result_name(enum helper_result res)
{
	switch (res) {
	case HELPER_OK:
		return "OK";
	case HELPER_ERR:
		return "ERR";
	case HELPER_BH:
		return "BH";
	case HELPER_TT:
		return "TT";
	case HELPER_TIMEDOUT:
		return "TimedOut";
	default:
		return "Unknown";
	}
}

char *
helper_reply_notes_append(char *acc, const struct helper_reply *r)
{
	size_t len = acc != NULL ? strlen(acc) : 0, add = 0;

	for (int i = 0; i < r->nkv; i++)
		add += strlen(r->kv[i].key) + strlen(r->kv[i].value) + 4;
	acc = xrealloc(acc, len + add + 1);
	acc[len] = '\0';
	for (int i = 0; i < r->nkv; i++) {
		char *e = acc + strlen(acc);
		strcpy(e, r->kv[i].key);
		strcat(e, ": ");
		strcat(e, r->kv[i].value);
		strcat(e, "; ");
	}
	return acc;
}

void
helper_reply_to_notes(const struct helper_reply *r, struct notes *ns)
{
	for (int i = 0; i < r->nkv; i++)
		notes_add(ns, r->kv[i].key, r->kv[i].value);
}
