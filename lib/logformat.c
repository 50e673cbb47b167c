/*
 * logformat: turns a Squid logformat specification into an array of items at
 * configuration time, and renders access.log lines from a struct alog_entry
 * with no allocation at all, since rendering runs once per request.  The
 * built-in formats (squid, common, combined, referrer, useragent) are not
 * token lists but dedicated renderers, because Squid prints them with their
 * own fixed layouts and quoting, which the token engine does not reproduce
 * (combined logs Referer and User-Agent raw, for instance).
 */
#include "config.h"
#include "logformat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_parse.h"

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
	LFC_CLIENT_IP, LFC_CLIENT_PORT, LFC_LOCAL_IP, LFC_LOCAL_PORT,
	LFC_SERVER_IP, LFC_SERVER_PORT, LFC_SERVER_NAME,
	LFC_TAG, LFC_HIER, LFC_STATUS, LFC_UP_STATUS,
	LFC_BYTES_OUT, LFC_BYTES_IN, LFC_BYTES_ALL, LFC_REP_HDR_SIZE,
	LFC_REQ_HDR_SIZE,
	LFC_METHOD, LFC_URL, LFC_URL_ORIG, LFC_PATH, LFC_VERSION, LFC_DOMAIN,
	LFC_SCHEME, LFC_PORT,
	LFC_USER, LFC_MIME,
	LFC_REQ_HDR, LFC_REP_HDR,
	LFC_ERR_CODE, LFC_ERR_DETAIL, LFC_DNS_TIME, LFC_UP_TIME,
	LFC_SEQ, LFC_XACTION, LFC_BUMP_MODE, LFC_SNI
};

struct lf_code_row {
	const char	*tag;
	enum lf_code	 code;
	enum lf_quote	 quote;		/* encoding when none is given */
};

/*
 * Every code Squid 5.7 accepts that a config is likely to use.  Those the
 * transaction record cannot supply still compile and log "-", so real
 * configs load; anything else is a configuration error, as in Squid.
 */
static const struct lf_code_row lf_codes[] = {
	{ "ts", LFC_TS, LF_Q_NONE },
	{ "tu", LFC_TU, LF_Q_NONE },
	{ "tr", LFC_TR, LF_Q_NONE },
	{ "tS", LFC_TSTART, LF_Q_NONE },
	{ "tl", LFC_TL, LF_Q_NONE },
	{ "tg", LFC_TG, LF_Q_NONE },
	{ "dt", LFC_DNS_TIME, LF_Q_NONE },
	{ ">a", LFC_CLIENT_IP, LF_Q_NONE },
	{ ">A", LFC_CLIENT_IP, LF_Q_NONE },
	{ ">p", LFC_CLIENT_PORT, LF_Q_NONE },
	{ ">eui", LFC_DASH, LF_Q_NONE },
	{ ">la", LFC_LOCAL_IP, LF_Q_NONE },
	{ ">lp", LFC_LOCAL_PORT, LF_Q_NONE },
	{ ">qos", LFC_DASH, LF_Q_NONE },
	{ ">nfmark", LFC_DASH, LF_Q_NONE },
	{ ">handshake", LFC_DASH, LF_Q_NONE },
	{ "la", LFC_LOCAL_IP, LF_Q_NONE },
	{ "lp", LFC_LOCAL_PORT, LF_Q_NONE },
	{ "<a", LFC_SERVER_IP, LF_Q_NONE },
	{ "<A", LFC_SERVER_NAME, LF_Q_NONE },
	{ "<p", LFC_SERVER_PORT, LF_Q_NONE },
	{ "<la", LFC_DASH, LF_Q_NONE },
	{ "<lp", LFC_DASH, LF_Q_NONE },
	{ "<qos", LFC_DASH, LF_Q_NONE },
	{ "<nfmark", LFC_DASH, LF_Q_NONE },
	{ "et", LFC_DASH, LF_Q_NONE },
	{ "ea", LFC_DASH, LF_Q_NONE },
	{ "un", LFC_USER, LF_Q_NONE },
	{ "ul", LFC_USER, LF_Q_NONE },
	{ "ue", LFC_DASH, LF_Q_NONE },
	{ "ui", LFC_DASH, LF_Q_NONE },
	{ "us", LFC_DASH, LF_Q_NONE },
	{ "credentials", LFC_DASH, LF_Q_NONE },
	{ "rm", LFC_METHOD, LF_Q_NONE },
	{ ">rm", LFC_METHOD, LF_Q_NONE },
	{ "<rm", LFC_DASH, LF_Q_NONE },
	{ "ru", LFC_URL, LF_Q_NONE },
	{ ">ru", LFC_URL_ORIG, LF_Q_URL_PASS },
	{ "<ru", LFC_DASH, LF_Q_NONE },
	{ ">rs", LFC_SCHEME, LF_Q_NONE },
	{ "<rs", LFC_DASH, LF_Q_NONE },
	{ ">rd", LFC_DOMAIN, LF_Q_NONE },
	{ "<rd", LFC_DASH, LF_Q_NONE },
	{ ">rP", LFC_PORT, LF_Q_NONE },
	{ "<rP", LFC_DASH, LF_Q_NONE },
	{ "rp", LFC_PATH, LF_Q_NONE },
	{ ">rp", LFC_PATH, LF_Q_NONE },
	{ "<rp", LFC_DASH, LF_Q_NONE },
	{ "rv", LFC_VERSION, LF_Q_NONE },
	{ ">rv", LFC_VERSION, LF_Q_NONE },
	{ "<rv", LFC_DASH, LF_Q_NONE },
	{ ">h", LFC_REQ_HDR, LF_Q_URL_PASS },
	{ ">ha", LFC_REQ_HDR, LF_Q_URL_PASS },	/* no adaptation here */
	{ "<h", LFC_REP_HDR, LF_Q_URL_PASS },
	{ ">Hs", LFC_STATUS, LF_Q_NONE },
	{ "<Hs", LFC_UP_STATUS, LF_Q_NONE },
	{ "mt", LFC_MIME, LF_Q_NONE },
	{ "st", LFC_BYTES_ALL, LF_Q_NONE },
	{ ">st", LFC_BYTES_IN, LF_Q_NONE },
	{ "<st", LFC_BYTES_OUT, LF_Q_NONE },
	{ ">sh", LFC_REQ_HDR_SIZE, LF_Q_NONE },
	{ "<sh", LFC_REP_HDR_SIZE, LF_Q_NONE },
	{ "<sH", LFC_DASH, LF_Q_NONE },
	{ "<sS", LFC_DASH, LF_Q_NONE },
	{ "<bs", LFC_DASH, LF_Q_NONE },
	{ "<pt", LFC_DASH, LF_Q_NONE },
	{ "<tt", LFC_UP_TIME, LF_Q_NONE },
	{ "Ss", LFC_TAG, LF_Q_NONE },
	{ "Sh", LFC_HIER, LF_Q_NONE },
	{ "sn", LFC_SEQ, LF_Q_NONE },
	{ "err_code", LFC_ERR_CODE, LF_Q_NONE },
	{ "err_detail", LFC_ERR_DETAIL, LF_Q_NONE },
	{ "note", LFC_DASH, LF_Q_NONE },
	{ "master_xaction", LFC_XACTION, LF_Q_NONE },
	{ "ssl::bump_mode", LFC_BUMP_MODE, LF_Q_NONE },
	{ "ssl::>sni", LFC_SNI, LF_Q_NONE },
	{ "ssl::>cert_subject", LFC_DASH, LF_Q_NONE },
	{ "ssl::>cert_issuer", LFC_DASH, LF_Q_NONE },
	{ "ssl::<cert_subject", LFC_DASH, LF_Q_NONE },
	{ "ssl::<cert_issuer", LFC_DASH, LF_Q_NONE },
	{ "ssl::<cert_errors", LFC_DASH, LF_Q_NONE },
	{ "ssl::>negotiated_version", LFC_DASH, LF_Q_NONE },
	{ "ssl::<negotiated_version", LFC_DASH, LF_Q_NONE },
	{ "ssl::>negotiated_cipher", LFC_DASH, LF_Q_NONE },
	{ "ssl::<negotiated_cipher", LFC_DASH, LF_Q_NONE },
	{ "ssl::>received_hello_version", LFC_DASH, LF_Q_NONE },
	{ "ssl::<received_hello_version", LFC_DASH, LF_Q_NONE },
	{ "ssl::>received_supported_version", LFC_DASH, LF_Q_NONE },
	{ "ssl::<received_supported_version", LFC_DASH, LF_Q_NONE },
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

static const char lf_hex_lower[] = "0123456789abcdef";
static const char lf_hex_upper[] = "0123456789ABCDEF";

static void
lf_put(struct lf_out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
lf_puts(struct lf_out *o, const char *s)
{
	lf_put(o, s, strlen(s));
}

static void
lf_putc(struct lf_out *o, char c)
{
	if (o->len < o->cap)
		o->p[o->len++] = c;
}

static void
lf_pad(struct lf_out *o, int n)
{
	while (n-- > 0)
		lf_putc(o, ' ');
}

/* Appends an escape sequence whole or not at all, so truncation is clean. */
static void
lf_put_seq(struct lf_out *o, const char *s, size_t n)
{
	if (o->cap - o->len >= n)
		lf_put(o, s, n);
	else
		o->cap = o->len;	/* stop: later bytes would be out of order */
}

static void
lf_put_pct(struct lf_out *o, unsigned char c, const char *hex)
{
	char seq[3] = { '%', hex[c >> 4], hex[c & 15] };

	lf_put_seq(o, seq, 3);
}

/* The RFC 1738 "unsafe" characters Squid %-encodes in URL encoding. */
static int
lf_url_unsafe(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || strchr("<>\"#{}|\\^~[]`'", c) != NULL;
}

/* Write s[0..n) to o under encoding q. */
static void
lf_encode(struct lf_out *o, enum lf_quote q, const char *s, size_t n)
{
	size_t i;
	int quoted;

	switch (q) {
	case LF_Q_DEFAULT:
	case LF_Q_NONE:
		lf_put(o, s, n);
		return;
	case LF_Q_QUOTES:
		for (i = 0; i < n; i++) {
			switch (s[i]) {
			case '\r': lf_put_seq(o, "\\r", 2); break;
			case '\n': lf_put_seq(o, "\\n", 2); break;
			case '\t': lf_put_seq(o, "\\t", 2); break;
			case '"': lf_put_seq(o, "\\\"", 2); break;
			case '\\': lf_put_seq(o, "\\\\", 2); break;
			default: lf_putc(o, s[i]);
			}
		}
		return;
	case LF_Q_MIMEBLOB:
		for (i = 0; i < n; i++) {
			unsigned char c = s[i];

			if (c == '\r')
				lf_put_seq(o, "\\r", 2);
			else if (c == '\n')
				lf_put_seq(o, "\\n", 2);
			else if (c == '\\')
				lf_put_seq(o, "\\\\", 2);
			else if (c < 0x20 || c >= 0x7f || c == '%' ||
			    c == '[' || c == ']')
				lf_put_pct(o, c, lf_hex_lower);
			else
				lf_putc(o, c);
		}
		return;
	case LF_Q_URL:
	case LF_Q_URL_PASS:
		for (i = 0; i < n; i++) {
			unsigned char c = s[i];

			if (lf_url_unsafe(c) || (c == '%' && q == LF_Q_URL))
				lf_put_pct(o, c, lf_hex_upper);
			else
				lf_putc(o, c);
		}
		return;
	case LF_Q_SHELL:
		quoted = memchr(s, ' ', n) != NULL;
		if (quoted)
			lf_putc(o, '"');
		for (i = 0; i < n; i++) {
			switch (s[i]) {
			case '\r': lf_put_seq(o, "\\r", 2); break;
			case '\n': lf_put_seq(o, "\\n", 2); break;
			case '"': lf_put_seq(o, "\\\"", 2); break;
			case '\\': lf_put_seq(o, "\\\\", 2); break;
			default: lf_putc(o, s[i]);
			}
		}
		if (quoted)
			lf_putc(o, '"');
		return;
	}
}

/*
 * printf's "%*lld" / "%0*lld" without printf: formats v into buf (at least
 * 24 + width bytes) and returns the length.  snprintf dominated the cost of
 * a line before this.
 */
static size_t
lf_fmt_num(char *buf, long long v, int width, int zero)
{
	char tmp[24];
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	size_t n = 0, len = 0;
	int digits, pad;

	do {
		tmp[n++] = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	digits = (int)n + (v < 0);
	pad = width > digits ? width - digits : 0;
	if (!zero)
		while (pad-- > 0)
			buf[len++] = ' ';
	if (v < 0)
		buf[len++] = '-';
	if (zero)
		while (pad-- > 0)
			buf[len++] = '0';
	while (n > 0)
		buf[len++] = tmp[--n];
	return len;
}

static void
lf_put_num(struct lf_out *o, long long v, int width, int zero)
{
	char buf[48];

	lf_put(o, buf, lf_fmt_num(buf, v, width > 20 ? 20 : width, zero));
}

static const char *
lf_ipv4(const unsigned char *a, char *buf)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			buf[n++] = '.';
		n += lf_fmt_num(buf + n, a[i], 0, 0);
	}
	buf[n] = '\0';
	return buf;
}

/* Squid prints addresses bare, and IPv4-mapped IPv6 as plain IPv4. */
static const char *
lf_addr(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	const struct sockaddr_in6 *s6;

	switch (ss->ss_family) {
	case AF_INET:
		return lf_ipv4((const unsigned char *)
		    &((const struct sockaddr_in *)ss)->sin_addr, buf);
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return lf_ipv4(&s6->sin6_addr.s6_addr[12], buf);
		return inet_ntop(AF_INET6, &s6->sin6_addr, buf, n);
	}
	return NULL;
}

static int
lf_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

static const char *
lf_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static long long
lf_elapsed_us(const struct alog_entry *e)
{
	return (long long)(e->end.tv_sec - e->start.tv_sec) * 1000000 +
	    (e->end.tv_usec - e->start.tv_usec);
}

/* Whole milliseconds, truncated as Squid's tvToMsec() does. */
static long
lf_elapsed_ms(const struct alog_entry *e)
{
	return (long)(lf_elapsed_us(e) / 1000);
}

/*
 * strftime of t.  The last result per (local, spec) slot is kept, since
 * consecutive lines nearly always fall in the same second; workers are
 * single-threaded, so a static cache is safe.
 */
static size_t
lf_httpd_time(time_t t, int local, const char *spec, char *buf, size_t n)
{
	static struct {
		time_t		 t;
		char		 spec[64];
		size_t		 len;
		char		 text[64];
	} cache[2];
	struct tm tm;
	size_t len;

	if (cache[local].len > 0 && cache[local].t == t &&
	    cache[local].len < n && strcmp(cache[local].spec, spec) == 0) {
		memcpy(buf, cache[local].text, cache[local].len + 1);
		return cache[local].len;
	}
	if (local)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	len = strftime(buf, n, spec, &tm);
	if (len > 0 && len < sizeof(cache[local].text) &&
	    strlen(spec) < sizeof(cache[local].spec)) {
		memcpy(cache[local].text, buf, len + 1);
		strcpy(cache[local].spec, spec);
		cache[local].t = t;
		cache[local].len = len;
	}
	return len;
}

static const char lf_httpd_fmt[] = "%d/%b/%Y:%H:%M:%S %z";
static const char lf_gmt_fmt[] = "%d/%b/%Y:%H:%M:%S";

/* Request headers as Squid packs them: "Name: value\r\n" each. */
static void
lf_req_headers(struct lf_out *o, enum lf_quote q, const struct http_msg *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nhdr; i++) {
		lf_encode(o, q, m->hdr[i].name, m->hdr[i].name_len);
		lf_encode(o, q, ": ", 2);
		lf_encode(o, q, m->hdr[i].value, m->hdr[i].value_len);
		lf_encode(o, q, "\r\n", 2);
	}
}

/*
 * Next header line of a raw reply head after *pos (the status line is
 * skipped by the caller); 0 at the blank line or the end.
 */
static int
lf_rep_next(const char *h, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	size_t s = *pos, p = s;

	while (p < len && h[p] != '\n')
		p++;
	*line = h + s;
	*llen = p - s;
	if (*llen > 0 && h[s + *llen - 1] == '\r')
		(*llen)--;
	*pos = p < len ? p + 1 : p;
	return *llen > 0;
}

static size_t
lf_rep_first(const char *h, size_t len)
{
	const char *nl = memchr(h, '\n', len);

	return nl != NULL ? (size_t)(nl - h) + 1 : len;
}

/* Reply header lines without the status line, "\r\n" after each. */
static void
lf_rep_headers(struct lf_out *o, const struct alog_entry *e)
{
	const char *line;
	size_t pos, llen;

	if (e->reply_head == NULL)
		return;
	pos = lf_rep_first(e->reply_head, e->reply_head_len);
	while (lf_rep_next(e->reply_head, e->reply_head_len, &pos, &line,
	    &llen)) {
		lf_put(o, line, llen);
		lf_put(o, "\r\n", 2);
	}
}

/* Append v to the joined value, ", " between instances as Squid does. */
static void
lf_join(struct lf_out *o, int *n, const char *v, size_t vlen)
{
	if ((*n)++ > 0)
		lf_put(o, ", ", 2);
	lf_put(o, v, vlen);
}

static void
lf_trim(const char **v, size_t *len)
{
	while (*len > 0 && (**v == ' ' || **v == '\t'))
		(*v)++, (*len)--;
	while (*len > 0 && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t'))
		(*len)--;
}

/* All instances of header it->text, joined; returns the count found. */
static int
lf_header_value(const struct lf_item *it, const struct alog_entry *e,
    struct lf_out *o)
{
	const struct http_msg *m = e->request;
	const char *line, *v;
	size_t pos, llen, vlen;
	int n = 0;

	if (it->code == LFC_REQ_HDR) {
		if (m == NULL)
			return 0;
		for (int k = 0; k < m->nhdr; k++)
			if (m->hdr[k].name_len == it->text_len &&
			    strncasecmp(m->hdr[k].name, it->text,
			    it->text_len) == 0)
				lf_join(o, &n, m->hdr[k].value,
				    m->hdr[k].value_len);
		return n;
	}
	if (e->reply_head == NULL)
		return 0;
	pos = lf_rep_first(e->reply_head, e->reply_head_len);
	while (lf_rep_next(e->reply_head, e->reply_head_len, &pos, &line,
	    &llen)) {
		if (llen <= it->text_len || line[it->text_len] != ':' ||
		    strncasecmp(line, it->text, it->text_len) != 0)
			continue;
		v = line + it->text_len + 1;
		vlen = llen - it->text_len - 1;
		lf_trim(&v, &vlen);
		lf_join(o, &n, v, vlen);
	}
	return n;
}

/*
 * {Header:element}: the value of "element=value" in the list, where ',' is
 * always a delimiter besides the configured one (merged header values).
 */
static int
lf_list_member(const struct lf_item *it, const char *v, size_t len,
    const char **out, size_t *outlen)
{
	size_t p = 0, s, ilen;
	const char *item;

	while (p < len) {
		s = p;
		while (p < len && v[p] != ',' && v[p] != it->sep)
			p++;
		item = v + s;
		ilen = p - s;
		p++;
		lf_trim(&item, &ilen);
		if (ilen > it->elem_len && item[it->elem_len] == '=' &&
		    memcmp(item, it->elem, it->elem_len) == 0) {
			*out = item + it->elem_len + 1;
			*outlen = ilen - it->elem_len - 1;
			return 1;
		}
	}
	return 0;
}

/* One field of a custom format. */
static void
lf_render_item(const struct lf_item *it, const struct alog_entry *e,
    struct lf_out *o, char *scratch)
{
	char num[64], addr[INET6_ADDRSTRLEN];
	char enc[LF_SCRATCH];
	struct lf_out so, eo;
	const char *s = NULL;
	size_t slen = 0, width;
	long long ival = 0;
	int isnum = 0, sized = 0, port, prec, zw;
	long usec;
	const struct timeval *tv;
	enum lf_quote q;

	switch (it->code) {
	case LFC_LITERAL:
		lf_put(o, it->text, it->text_len);
		return;
	case LFC_DASH:
		break;
	case LFC_TS:
		ival = e->end.tv_sec;
		isnum = 1;
		break;
	case LFC_TU:
		ival = e->end.tv_usec / it->divisor;
		isnum = 1;
		break;
	case LFC_TR:
		ival = lf_elapsed_ms(e);
		if (it->wmax < 0) {
			isnum = 1;
			break;
		}
		/* %.Ntr: milliseconds with N sub-millisecond digits */
		usec = lf_elapsed_us(e) % 1000;
		prec = it->wmax;
		zw = it->zero && it->wmin - prec - 1 > 0 ? it->wmin - prec - 1 : 0;
		slen = snprintf(num, sizeof(num), "%0*lld.%0*ld", zw, ival,
		    prec, usec * (1000 / it->divisor));
		s = num;
		sized = 1;
		break;
	case LFC_TSTART:
		tv = &e->start;
		prec = it->wmax >= 0 ? it->wmax : 3;
		zw = it->zero && it->wmin - prec - 1 > 0 ? it->wmin - prec - 1 : 0;
		slen = snprintf(num, sizeof(num), "%0*lld.%0*ld", zw,
		    (long long)tv->tv_sec, prec, (long)tv->tv_usec / it->divisor);
		s = num;
		sized = 1;
		break;
	case LFC_TL:
	case LFC_TG:
		slen = lf_httpd_time(e->end.tv_sec, it->code == LFC_TL,
		    it->text != NULL ? it->text : it->code == LFC_TL ?
		    lf_httpd_fmt : lf_gmt_fmt, num,
		    sizeof(num));
		s = num;
		sized = 1;
		break;
	case LFC_CLIENT_IP:
		s = lf_addr(&e->client, addr, sizeof(addr));
		break;
	case LFC_LOCAL_IP:
		s = lf_addr(&e->local, addr, sizeof(addr));
		break;
	case LFC_SERVER_IP:
		s = lf_addr(&e->server, addr, sizeof(addr));
		break;
	case LFC_CLIENT_PORT:
	case LFC_LOCAL_PORT:
	case LFC_SERVER_PORT:
		port = lf_port(it->code == LFC_CLIENT_PORT ? &e->client :
		    it->code == LFC_LOCAL_PORT ? &e->local : &e->server);
		if (port >= 0) {
			ival = port;
			isnum = 1;
		}
		break;
	case LFC_SERVER_NAME:
		if (e->server.ss_family != 0)
			s = e->host;
		break;
	case LFC_TAG:
		s = e->result_tag;
		break;
	case LFC_HIER:
		s = e->hier;
		break;
	case LFC_STATUS:
		ival = e->status;
		isnum = 1;
		break;
	case LFC_UP_STATUS:
		if (e->upstream_status > 0) {
			ival = e->upstream_status;
			isnum = 1;
		}
		break;
	case LFC_BYTES_OUT:
		ival = e->bytes_out;
		isnum = 1;
		break;
	case LFC_BYTES_IN:
		ival = e->bytes_in;
		isnum = 1;
		break;
	case LFC_BYTES_ALL:
		ival = e->bytes_in + e->bytes_out;
		isnum = 1;
		break;
	case LFC_REP_HDR_SIZE:
		ival = e->reply_header_size;
		isnum = 1;
		break;
	case LFC_REQ_HDR_SIZE:
		if (e->request != NULL) {
			ival = e->request->head_len;
			isnum = 1;
		}
		break;
	case LFC_METHOD:
		s = e->method;
		break;
	case LFC_URL:
		s = e->url;
		break;
	case LFC_URL_ORIG:
		s = e->url_orig;
		break;
	case LFC_PATH:
		s = e->path;
		break;
	case LFC_VERSION:
		slen = snprintf(num, sizeof(num), "%d.%d", e->vmajor, e->vminor);
		s = num;
		sized = 1;
		break;
	case LFC_DOMAIN:
		s = e->host;
		break;
	case LFC_SCHEME:
		s = e->scheme;
		break;
	case LFC_PORT:
		if (e->port > 0) {
			ival = e->port;
			isnum = 1;
		}
		break;
	case LFC_USER:
		s = e->user;
		break;
	case LFC_MIME:
		s = e->mime_type;
		break;
	case LFC_REQ_HDR:
	case LFC_REP_HDR:
		so.p = scratch;
		so.len = 0;
		so.cap = LF_SCRATCH;
		if (it->text == NULL) {
			/* no name: the whole header block */
			if (it->code == LFC_REQ_HDR)
				lf_req_headers(&so, LF_Q_NONE, e->request);
			else
				lf_rep_headers(&so, e);
		} else if (lf_header_value(it, e, &so) == 0)
			break;
		s = scratch;
		slen = so.len;
		sized = 1;
		if (it->elem != NULL && !lf_list_member(it, scratch, so.len,
		    &s, &slen)) {
			s = NULL;
			slen = 0;
		}
		break;
	case LFC_ERR_CODE:
		s = e->err_code;
		break;
	case LFC_ERR_DETAIL:
		s = e->err_detail;
		break;
	case LFC_DNS_TIME:
		if (e->dns_ms >= 0) {
			ival = e->dns_ms;
			isnum = 1;
		}
		break;
	case LFC_UP_TIME:
		if (e->upstream_ms >= 0) {
			ival = e->upstream_ms;
			isnum = 1;
		}
		break;
	case LFC_SEQ:
		ival = (long long)e->seq;
		isnum = 1;
		break;
	case LFC_XACTION:
		ival = (long long)e->xaction;
		isnum = 1;
		break;
	case LFC_BUMP_MODE:
		s = e->bump_mode;
		break;
	case LFC_SNI:
		s = e->sni;
		break;
	}

	if (isnum) {
		slen = lf_fmt_num(num, ival, it->zero && it->wmin > 0 &&
		    it->wmin < 32 ? it->wmin : 0, 1);
		s = num;
	} else if (s != NULL && !sized)
		slen = strlen(s);
	if (s == NULL || slen == 0) {
		/* Squid prints a bare dash, ignoring width, for no value */
		lf_putc(o, '-');
		return;
	}

	q = it->quote;
	if (q != LF_Q_NONE && q != LF_Q_DEFAULT) {
		eo.p = enc;
		eo.len = 0;
		eo.cap = sizeof(enc);
		lf_encode(&eo, q, s, slen);
		s = enc;
		slen = eo.len;
	}
	/* a maximum truncates strings only; numbers use it as precision */
	if (it->wmax >= 0 && !isnum && it->code != LFC_TR &&
	    it->code != LFC_TSTART && (size_t)it->wmax < slen)
		slen = it->wmax;
	width = it->wmin > 0 && (size_t)it->wmin > slen ? it->wmin - slen : 0;
	if (!it->left)
		lf_pad(o, width);
	lf_put(o, s, slen);
	if (it->left)
		lf_pad(o, width);
}

static void
lf_mime_hdrs(struct lf_out *o, const struct alog_entry *e)
{
	lf_put(o, " [", 2);
	lf_req_headers(o, LF_Q_MIMEBLOB, e->request);
	lf_put(o, "] [", 3);
	if (e->reply_head != NULL)
		lf_encode(o, LF_Q_MIMEBLOB, e->reply_head, e->reply_head_len);
	lf_putc(o, ']');
}

/* The user field of the built-in formats: '[' encoded, "-" when none. */
static void
lf_builtin_user(struct lf_out *o, const char *user)
{
	if (user == NULL || *user == '\0')
		lf_putc(o, '-');
	else
		lf_encode(o, LF_Q_MIMEBLOB, user, strlen(user));
}

/* Squid's header lookup for the built-ins: the first instance, raw. */
static void
lf_builtin_header(struct lf_out *o, const struct alog_entry *e,
    const char *name)
{
	const struct http_msg *m = e->request;
	size_t nlen = strlen(name);
	int i;

	if (m != NULL)
		for (i = 0; i < m->nhdr; i++)
			if (m->hdr[i].name_len == nlen &&
			    strncasecmp(m->hdr[i].name, name, nlen) == 0 &&
			    m->hdr[i].value_len > 0) {
				lf_put(o, m->hdr[i].value, m->hdr[i].value_len);
				return;
			}
	lf_putc(o, '-');
}

static void
lf_render_squid(struct lf_out *o, const struct alog_entry *e,
    int log_mime_hdrs)
{
	char addr[INET6_ADDRSTRLEN];
	const char *a;

	/* "%9ld.%03d %6ld %s %s/%03d %lld %s %s %s %s%s/%s %s" */
	lf_put_num(o, e->end.tv_sec, 9, 0);
	lf_putc(o, '.');
	lf_put_num(o, e->end.tv_usec / 1000, 3, 1);
	lf_putc(o, ' ');
	lf_put_num(o, lf_elapsed_ms(e), 6, 0);
	lf_putc(o, ' ');
	a = lf_addr(&e->client, addr, sizeof(addr));
	lf_puts(o, a ? a : "-");
	lf_putc(o, ' ');
	lf_puts(o, e->result_tag ? e->result_tag : "NONE_NONE");
	lf_putc(o, '/');
	lf_put_num(o, e->status, 3, 1);
	lf_putc(o, ' ');
	lf_put_num(o, e->bytes_out, 0, 0);
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->method));
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->url));
	lf_putc(o, ' ');
	lf_builtin_user(o, e->user);
	lf_putc(o, ' ');
	lf_puts(o, e->hier ? e->hier : "HIER_NONE");
	lf_putc(o, '/');
	a = lf_addr(&e->server, addr, sizeof(addr));
	lf_puts(o, a ? a : "-");
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->mime_type));
	if (log_mime_hdrs)
		lf_mime_hdrs(o, e);
}

/* common and combined share everything but the two header fields. */
static void
lf_render_httpd(struct lf_out *o, const struct alog_entry *e,
    int log_mime_hdrs, int combined)
{
	char caddr[INET6_ADDRSTRLEN], tbuf[64];
	const char *c;

	c = lf_addr(&e->client, caddr, sizeof(caddr));
	lf_httpd_time(e->end.tv_sec, 1, lf_httpd_fmt, tbuf,
	    sizeof(tbuf));
	lf_puts(o, c ? c : "-");
	lf_put(o, " - ", 3);	/* no ident lookups */
	lf_builtin_user(o, e->user);
	lf_put(o, " [", 2);
	lf_puts(o, tbuf);
	lf_put(o, "] \"", 3);
	lf_puts(o, lf_dash(e->method));
	lf_putc(o, ' ');
	lf_puts(o, lf_dash(e->url));
	lf_put(o, " HTTP/", 6);
	lf_put_num(o, e->vmajor, 0, 0);
	lf_putc(o, '.');
	lf_put_num(o, e->vminor, 0, 0);
	lf_put(o, "\" ", 2);
	lf_put_num(o, e->status, 0, 0);
	lf_putc(o, ' ');
	lf_put_num(o, e->bytes_out, 0, 0);
	if (combined) {
		lf_put(o, " \"", 2);
		lf_builtin_header(o, e, "Referer");
		lf_put(o, "\" \"", 3);
		lf_builtin_header(o, e, "User-Agent");
		lf_putc(o, '"');
	}
	lf_putc(o, ' ');
	lf_puts(o, e->result_tag ? e->result_tag : "NONE_NONE");
	lf_putc(o, ':');
	lf_puts(o, e->hier ? e->hier : "HIER_NONE");
	if (log_mime_hdrs)
		lf_mime_hdrs(o, e);
}

size_t
logformat_render(const struct logformat *f, const struct alog_entry *e,
    int log_mime_hdrs, char *out, size_t outsz)
{
	char scratch[LF_SCRATCH], caddr[INET6_ADDRSTRLEN], tbuf[64];
	struct lf_out o;
	const char *c;
	int i;

	if (outsz < 2) {
		if (outsz == 1)
			out[0] = '\0';
		return 0;
	}
	o.p = out;
	o.len = 0;
	o.cap = outsz - 2;

	switch (f->kind) {
	case LF_KIND_SQUID:
		lf_render_squid(&o, e, log_mime_hdrs);
		break;
	case LF_KIND_COMMON:
	case LF_KIND_COMBINED:
		lf_render_httpd(&o, e, log_mime_hdrs,
		    f->kind == LF_KIND_COMBINED);
		break;
	case LF_KIND_REFERRER:
		c = lf_addr(&e->client, caddr, sizeof(caddr));
		lf_put_num(&o, e->end.tv_sec, 9, 0);
		lf_putc(&o, '.');
		lf_put_num(&o, e->end.tv_usec / 1000, 3, 1);
		lf_putc(&o, ' ');
		lf_puts(&o, c ? c : "-");
		lf_putc(&o, ' ');
		lf_builtin_header(&o, e, "Referer");
		lf_putc(&o, ' ');
		lf_puts(&o, lf_dash(e->url));
		break;
	case LF_KIND_USERAGENT:
		c = lf_addr(&e->client, caddr, sizeof(caddr));
		lf_httpd_time(e->end.tv_sec, 1, lf_httpd_fmt, tbuf,
		    sizeof(tbuf));
		lf_puts(&o, c ? c : "-");
		lf_put(&o, " [", 2);
		lf_puts(&o, tbuf);
		lf_put(&o, "] \"", 3);
		lf_builtin_header(&o, e, "User-Agent");
		lf_putc(&o, '"');
		break;
	case LF_KIND_CUSTOM:
		/* Squid's custom formats ignore log_mime_hdrs */
		for (i = 0; i < f->nitems; i++)
			lf_render_item(&f->items[i], e, &o, scratch);
		break;
	}
	out[o.len++] = '\n';
	out[o.len] = '\0';
	return o.len;
}

static const struct lf_code_row *
lf_code_lookup(const char *s)
{
	const struct lf_code_row *best = NULL;
	size_t i, n, bestn = 0;

	for (i = 0; i < sizeof(lf_codes) / sizeof(lf_codes[0]); i++) {
		n = strlen(lf_codes[i].tag);
		if (n > bestn && strncmp(s, lf_codes[i].tag, n) == 0) {
			best = &lf_codes[i];
			bestn = n;
		}
	}
	return best;
}

static char *
lf_error(const char *fmt, const char *arg, size_t len)
{
	size_t n = strlen(fmt) + len + 1;
	char *err = malloc(n);

	if (err != NULL)
		snprintf(err, n, fmt, (int)len, arg);
	return err;
}

/* Split "{Header:[sep]element}" into the item; Squid's separators. */
static void
lf_header_arg(struct lf_item *it)
{
	const char *colon = memchr(it->text, ':', it->text_len);

	it->sep = ',';
	if (colon == NULL)
		return;
	it->elem = colon + 1;
	it->elem_len = it->text + it->text_len - it->elem;
	it->text_len = colon - it->text;
	if (it->elem_len > 0 && strchr(",;:", *it->elem) != NULL) {
		it->sep = *it->elem;
		it->elem++;
		it->elem_len--;
	}
}

/*
 * Parse one "%..." field at s (just past the '%') into it; returns the
 * length consumed or 0 when the code is unknown.  The spec copy is
 * NUL-separated in place so that {arg} strings are C strings.
 */
static size_t
lf_parse_field(char *s, struct lf_item *it)
{
	char *p = s, *arg = NULL, *end;
	const struct lf_code_row *row;
	long divisor = 1000000;

	memset(it, 0, sizeof(*it));
	it->wmin = it->wmax = -1;
	switch (*p) {
	case '"': it->quote = LF_Q_QUOTES; p++; break;
	case '[': it->quote = LF_Q_MIMEBLOB; p++; break;
	case '#': it->quote = LF_Q_URL; p++; break;
	case '/': it->quote = LF_Q_SHELL; p++; break;
	case '\'': it->quote = LF_Q_NONE; p++; break;
	}
	if (*p == '-') {
		it->left = 1;
		p++;
	}
	if (*p == '0') {
		it->zero = 1;
		p++;
	}
	if (*p >= '0' && *p <= '9')
		it->wmin = strtol(p, &p, 10);
	if (*p == '.' && p[1] >= '0' && p[1] <= '9')
		it->wmax = strtol(p + 1, &p, 10);
	if (*p == '{') {
		end = strchr(p, '}');
		if (end == NULL)
			return 0;
		arg = p + 1;
		*end = '\0';
		p = end + 1;
	}
	if (strncmp(p, "http::", 6) == 0)
		p += 6;
	row = lf_code_lookup(p);
	if (row == NULL)
		return 0;
	p += strlen(row->tag);
	if (arg == NULL && *p == '{' && (end = strchr(p, '}')) != NULL) {
		arg = p + 1;
		*end = '\0';
		p = end + 1;
	}
	it->code = row->code;
	if (it->quote == LF_Q_DEFAULT)
		it->quote = row->quote;
	if (arg != NULL) {
		it->text = arg;
		it->text_len = strlen(arg);
		if (it->code == LFC_REQ_HDR || it->code == LFC_REP_HDR)
			lf_header_arg(it);
	}
	/* sub-second precision: the maximum width says how many digits */
	if (it->code == LFC_TU || it->code == LFC_TR ||
	    it->code == LFC_TSTART) {
		int digits = it->wmax >= 0 ? it->wmax :
		    it->code == LFC_TU || it->code == LFC_TSTART ? 3 : 0;

		if (digits > 6)
			digits = it->wmax = 6;
		while (digits-- > 0)
			divisor /= 10;
		it->divisor = divisor;
	}
	return p - s;
}

struct logformat *
logformat_compile(const char *name, const char *spec, char **err)
{
	struct logformat *f;
	struct lf_item *it;
	char *p, *lit;
	size_t n, cap;

	*err = NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->spec = strdup(spec)) == NULL ||
	    (f->name = strdup(name)) == NULL) {
		logformat_free(f);
		*err = strdup("out of memory");
		return NULL;
	}
	f->kind = LF_KIND_CUSTOM;
	/* every '%' starts at most one item, each gap at most one literal */
	cap = 1;
	for (p = f->spec; *p; p++)
		if (*p == '%')
			cap += 2;
	f->items = calloc(cap, sizeof(*f->items));
	if (f->items == NULL) {
		logformat_free(f);
		*err = strdup("out of memory");
		return NULL;
	}
	p = f->spec;
	while (*p != '\0') {
		if (*p != '%' || p[1] == '%') {
			/* literal run; "%%" contributes one '%' */
			lit = p;
			if (*p == '%')
				lit = ++p, p++;
			else
				p += strcspn(p, "%");
			it = &f->items[f->nitems++];
			it->code = LFC_LITERAL;
			it->text = lit;
			it->text_len = p - lit;
			it->wmin = it->wmax = -1;
			continue;
		}
		/* items' {arg} are cut in place, so a field never overlaps text */
		it = &f->items[f->nitems];
		n = lf_parse_field(p + 1, it);
		if (n == 0) {
			/* Squid quotes the rest of the spec from this '%' */
			*err = lf_error("Unsupported %%code: '%.*s'",
			    spec + (p - f->spec), strlen(spec + (p - f->spec)));
			logformat_free(f);
			return NULL;
		}
		f->nitems++;
		p += 1 + n;
	}
	return f;
}

static struct logformat lf_builtins[] = {
	{ LF_KIND_SQUID, 1, "squid", NULL, NULL, 0 },
	{ LF_KIND_COMMON, 1, "common", NULL, NULL, 0 },
	{ LF_KIND_COMBINED, 1, "combined", NULL, NULL, 0 },
	{ LF_KIND_REFERRER, 1, "referrer", NULL, NULL, 0 },
	{ LF_KIND_USERAGENT, 1, "useragent", NULL, NULL, 0 },
};

struct logformat *
logformat_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(lf_builtins) / sizeof(lf_builtins[0]); i++)
		if (strcmp(lf_builtins[i].name, name) == 0)
			return &lf_builtins[i];
	return NULL;
}

const char *
logformat_name(const struct logformat *f)
{
	return f->name;
}

void
logformat_free(struct logformat *f)
{
	if (f == NULL || f->builtin)
		return;
	free((char *)f->name);
	free(f->spec);
	free(f->items);
	free(f);
}
