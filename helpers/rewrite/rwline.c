/*
 * rwline: parse url_regex_rewrite's request lines and write its answers in
 * Squid's helper grammar (squid-compat.md 6.3, 7.1, 7.3).
 */
#include "config.h"
#include "rwline.h"

#include <string.h>

static int
rwline_space(char c)
{
	return c == ' ' || c == '\t';
}

int
rwline_parse(char *line, size_t len, struct rwline *rq, const char **why)
{
	size_t i = 0, d;
	char *url;

	memset(rq, 0, sizeof(*rq));
	for (d = 0; d < len && line[d] >= '0' && line[d] <= '9'; d++)
		;
	/* 20 digits hold any 64-bit ID; more is a word, not an ID */
	if (d > 0 && d <= 20 && (d == len || rwline_space(line[d]))) {
		rq->id = line;
		rq->id_len = d;
		i = d;
	}
	if (memchr(line, '\0', len) != NULL) {
		*why = "NUL byte in the request";
		return -1;
	}
	while (i < len && rwline_space(line[i]))
		i++;
	if (i == len) {
		*why = rq->id != NULL ? "no URL after the channel ID" :
		    "empty request";
		return -1;
	}
	url = line + i;
	while (i < len && !rwline_space(line[i]))
		i++;
	line[i] = '\0';		/* the line has room: its terminator was here */
	rq->url = url;
	return 0;
}

/* A quoted value: Squid's strwordtok reads \" and \\ back. */
static void
rwline_quoted(struct buf *out, const char *s)
{
	char *p = buf_reserve(out, 2 * strlen(s) + 2);
	size_t n = 0;

	p[n++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			p[n++] = '\\';
		p[n++] = *s;
	}
	p[n++] = '"';
	out->len += n;
}

static void
rwline_id(struct buf *out, const struct rwline *rq)
{
	if (rq->id != NULL) {
		buf_append(out, rq->id, rq->id_len);
		buf_append(out, " ", 1);
	}
}

void
rwline_answer(struct buf *out, const struct rwline *rq,
    const struct rules_match *m, const char *result, int store_id)
{
	if ((m->action == RULES_REWRITE || m->action == RULES_REDIRECT) &&
	    m->len == 0) {
		rwline_bh(out, rq, "the rule's result is empty");
		return;
	}
	switch (m->action) {
	case RULES_REWRITE:
		rwline_id(out, rq);
		buf_printf(out, "OK %s=", store_id ? "store-id" : "rewrite-url");
		rwline_quoted(out, result);
		break;
	case RULES_REDIRECT:
		rwline_id(out, rq);
		buf_printf(out, "OK status=%d url=", m->status);
		rwline_quoted(out, result);
		break;
	case RULES_TOO_LONG:
		rwline_bh(out, rq, "the rule's result is too long");
		return;
	case RULES_NONE:
	case RULES_STOP:
		rwline_id(out, rq);
		buf_append(out, "ERR", 3);
		break;
	}
	buf_append(out, "\n", 1);
}

void
rwline_bh(struct buf *out, const struct rwline *rq, const char *why)
{
	rwline_id(out, rq);
	buf_append(out, "BH message=", 11);
	rwline_quoted(out, why);
	buf_append(out, "\n", 1);
}
