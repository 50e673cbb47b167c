/*
 * The bottom of access.log rendering: a bounded output cursor and the
 * pieces every field is written with (Squid's quoting and escaping modes,
 * padded numbers without printf, addresses, ports, elapsed times).  Lines
 * are rendered once per request, so none of this allocates.
 */
#include "config.h"
#include "logformat.h"
#include "logformat_int.h"
#include "util.h"

#include <arpa/inet.h>
#include <string.h>

static const char lf_hex_lower[] = "0123456789abcdef";
static const char lf_hex_upper[] = "0123456789ABCDEF";

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

/* Write s[0..n) to o under encoding q. */
void
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

			if (util_rfc1738_unsafe(c) || (c == '%' && q == LF_Q_URL))
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

size_t
logformat_quote_mimeblob(const char *s, size_t n, char *out, size_t outsz)
{
	struct lf_out o = { out, 0, outsz > 0 ? outsz - 1 : 0 };

	if (outsz == 0)
		return 0;
	lf_encode(&o, LF_Q_MIMEBLOB, s, n);
	out[o.len] = '\0';
	return o.len;
}

/*
 * printf's "%*lld" / "%0*lld" without printf: formats v into buf (at least
 * 24 + width bytes) and returns the length.  snprintf dominated the cost of
 * a line before this.
 */
size_t
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

void
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
const char *
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

int
lf_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

const char *
lf_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

long long
lf_elapsed_us(const struct alog_entry *e)
{
	return (long long)(e->end.tv_sec - e->start.tv_sec) * 1000000 +
	    (e->end.tv_usec - e->start.tv_usec);
}

/* Whole milliseconds, truncated as Squid's tvToMsec() does. */
long
lf_elapsed_ms(const struct alog_entry *e)
{
	return (long)(lf_elapsed_us(e) / 1000);
}
