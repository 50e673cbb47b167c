/*
 * Private to logformat (lib/logformat*.c): the compiled form of a format
 * (an array of items, or a built-in kind), the code table's row, and the
 * output cursor, whose few-line writers are inline here because every
 * field of every line goes through them.  The parser (logformat.c) and
 * the renderer (logformat_render.c, logformat_out.c) share these; the
 * public API stays in logformat.h.
 */
#ifndef CUTTLE_LOGFORMAT_INT_H
#define CUTTLE_LOGFORMAT_INT_H

#include <stddef.h>
#include <string.h>
#include <time.h>

#include "logformat.h"

/* Squid bounds one record to 8 KB; fields are built in scratch this big. */
#define LF_SCRATCH	8192

enum lf_kind {
	LF_KIND_CUSTOM,
	LF_KIND_SQUID,
	LF_KIND_COMMON,
	LF_KIND_COMBINED,
	LF_KIND_REFERRER,
	LF_KIND_USERAGENT
};

/* Field encodings; LF_Q_DEFAULT lets the code pick (see lf_code_row). */
enum lf_quote {
	LF_Q_DEFAULT,
	LF_Q_NONE,		/* as is */
	LF_Q_QUOTES,		/* %"  */
	LF_Q_MIMEBLOB,		/* %[  */
	LF_Q_URL,		/* %#  */
	LF_Q_SHELL,		/* %/  */
	LF_Q_URL_PASS		/* codes' default: URL-escape but keep '%' */
};

enum lf_code {
	LFC_LITERAL,
	LFC_DASH,		/* a Squid code we have no data for */
	LFC_TS, LFC_TU, LFC_TR, LFC_TSTART, LFC_TL, LFC_TG,
	LFC_CLIENT_IP, LFC_CLIENT_FQDN, LFC_CLIENT_PORT, LFC_LOCAL_IP,
	LFC_LOCAL_PORT,
	LFC_SERVER_IP, LFC_SERVER_PORT, LFC_SERVER_NAME,
	LFC_TAG, LFC_HIER, LFC_STATUS, LFC_UP_STATUS,
	LFC_BYTES_OUT, LFC_BYTES_IN, LFC_BYTES_ALL, LFC_REP_HDR_SIZE,
	LFC_REQ_HDR_SIZE,
	LFC_METHOD, LFC_URL, LFC_URL_ORIG, LFC_PATH, LFC_VERSION, LFC_DOMAIN,
	LFC_SCHEME, LFC_PORT,
	LFC_USER, LFC_MIME,
	LFC_REQ_HDR, LFC_REP_HDR,
	LFC_ERR_CODE, LFC_ERR_DETAIL, LFC_DNS_TIME, LFC_UP_TIME,
	LFC_SEQ, LFC_XACTION, LFC_BUMP_MODE, LFC_SNI,
	LFC_STORE_ID,
	LFC_EXT_TAG, LFC_EXT_LOG, LFC_EXT_USER,
	LFC_NOTE
};

struct lf_code_row {
	const char	*tag;
	enum lf_code	 code;
	enum lf_quote	 quote;		/* encoding when none is given */
};

struct lf_item {
	enum lf_code	 code;
	enum lf_quote	 quote;
	int		 left, zero;
	int		 wmin, wmax;	/* -1: unset */
	long		 divisor;	/* sub-second codes: usec per unit */
	const char	*text;		/* literal text, or {arg} (header name) */
	size_t		 text_len;
	const char	*elem;		/* {Header:[sep]element} */
	size_t		 elem_len;
	char		 sep;
};

struct logformat {
	enum lf_kind	 kind;
	int		 builtin;	/* static, never freed */
	const char	*name;
	char		*spec;		/* items point into this copy */
	struct lf_item	*items;
	int		 nitems;
};

/* Output cursor: cap leaves room for the final "\n" and NUL. */
struct lf_out {
	char	*p;
	size_t	 len, cap;
};

static inline void
lf_put(struct lf_out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline void
lf_puts(struct lf_out *o, const char *s)
{
	lf_put(o, s, strlen(s));
}

static inline void
lf_putc(struct lf_out *o, char c)
{
	if (o->len < o->cap)
		o->p[o->len++] = c;
}

static inline void
lf_pad(struct lf_out *o, int n)
{
	while (n-- > 0 && o->len < o->cap)
		o->p[o->len++] = ' ';
}

/* logformat_out.c */
void lf_encode(struct lf_out *o, enum lf_quote q, const char *s, size_t n);
size_t lf_fmt_num(char *buf, long long v, int width, int zero);
void lf_put_num(struct lf_out *o, long long v, int width, int zero);
const char *lf_addr(const struct sockaddr_storage *ss, char *buf, size_t n);
int lf_port(const struct sockaddr_storage *ss);
const char *lf_dash(const char *s);
long long lf_elapsed_us(const struct alog_entry *e);
long lf_elapsed_ms(const struct alog_entry *e);

#endif
