/*
 * logformat: turns a Squid logformat specification into an array of items at
 * configuration time, checked against the table of every code Squid 5.7
 * accepts, and holds the built-in formats (squid, common, combined,
 * referrer, useragent).  Those are not token lists but dedicated renderers
 * (see logformat_render.c), because Squid prints them with their own fixed
 * layouts and quoting, which the token engine does not reproduce (combined
 * logs Referer and User-Agent raw, for instance).
 */
#include "config.h"
#include "logformat.h"
#include "logformat_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{ ">A", LFC_CLIENT_FQDN, LF_Q_NONE },
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
	{ "et", LFC_EXT_TAG, LF_Q_URL_PASS },
	{ "ea", LFC_EXT_LOG, LF_Q_URL_PASS },
	{ "un", LFC_USER, LF_Q_NONE },
	{ "ul", LFC_USER, LF_Q_NONE },
	{ "ue", LFC_EXT_USER, LF_Q_NONE },
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
	{ "note", LFC_NOTE, LF_Q_URL_PASS },
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
	/* cuttle's own: the store ID the helper gave (Squid 5.7 has none) */
	{ "store_id", LFC_STORE_ID, LF_Q_URL_PASS },
};

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
 * A field width or maximum.  A record is at most LF_SCRATCH bytes, so a
 * larger number means the same; bounding it keeps it an int and keeps the
 * padding loop short (a width of 2^31 took seconds per line).
 */
static int
lf_width(char *p, char **end)
{
	long v = strtol(p, end, 10);

	return v > LF_SCRATCH ? LF_SCRATCH : (int)v;
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
		it->wmin = lf_width(p, &p);
	if (*p == '.' && p[1] >= '0' && p[1] <= '9')
		it->wmax = lf_width(p + 1, &p);
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
		if (it->code == LFC_REQ_HDR || it->code == LFC_REP_HDR ||
		    it->code == LFC_NOTE)
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

const char *
logformat_spec(const struct logformat *f)
{
	return f->spec;
}

int
logformat_nitems(const struct logformat *f)
{
	return f->nitems;
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
