/*
 * RFC 8941 Dictionary parsing, following the RFC's own algorithms (4.2)
 * step by step so that what fails here is exactly what the RFC says must
 * fail: keys are lowercase, no space around "=", no trailing comma, numbers
 * of bounded length.  Used by the cache for targeted cache-control fields
 * (RFC 9213), which must be ignored whole when they do not parse.
 */
#include "config.h"
#include "sf_dict.h"

#include <string.h>

struct sf_in {
	const char	*p, *end;
};

static int
sf_peek(const struct sf_in *in)
{
	return in->p < in->end ? (unsigned char)*in->p : -1;
}

static int
sf_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
sf_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
sf_is_tchar(int c)
{
	return c > 0 && (sf_is_alpha(c) || sf_is_digit(c) ||
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
sf_skip_sp(struct sf_in *in)
{
	while (sf_peek(in) == ' ')
		in->p++;
}

static void
sf_skip_ows(struct sf_in *in)
{
	while (sf_peek(in) == ' ' || sf_peek(in) == '\t')
		in->p++;
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static int
sf_key(struct sf_in *in, const char **key, size_t *len)
{
	int c = sf_peek(in);

	if (!((c >= 'a' && c <= 'z') || c == '*'))
		return -1;
	*key = in->p;
	while ((c = sf_peek(in)) != -1 && ((c >= 'a' && c <= 'z') ||
	    sf_is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*'))
		in->p++;
	*len = (size_t)(in->p - *key);
	return 0;
}

/* 4.2.4: at most 15 digits, or 12 + "." + at most 3 for a decimal */
static int
sf_number(struct sf_in *in, struct sf_value *v)
{
	const char *start = in->p;
	int neg = 0, ndigits = 0, dot = -1, c;
	int64_t n = 0;

	if (sf_peek(in) == '-') {
		neg = 1;
		in->p++;
	}
	if (!sf_is_digit(sf_peek(in)))
		return -1;
	while ((c = sf_peek(in)) != -1) {
		if (sf_is_digit(c)) {
			if (dot < 0)
				n = n * 10 + (c - '0');
			ndigits++;
		} else if (c == '.' && dot < 0) {
			if (ndigits > 12)
				return -1;
			dot = ndigits++;
		} else
			break;
		in->p++;
		if (ndigits > (dot < 0 ? 15 : 16))
			return -1;
	}
	v->text = start;
	v->text_len = (size_t)(in->p - start);
	if (dot < 0) {
		v->type = SF_INTEGER;
		v->integer = neg ? -n : n;
		return 0;
	}
	/* digits after the dot: 1 to 3 */
	if (ndigits - dot - 1 < 1 || ndigits - dot - 1 > 3)
		return -1;
	v->type = SF_DECIMAL;
	v->integer = neg ? -n : n;	/* the integer part */
	return 0;
}

static int
sf_string(struct sf_in *in, struct sf_value *v)
{
	int c;

	in->p++;		/* the opening quote */
	v->type = SF_STRING;
	v->text = in->p;
	while ((c = sf_peek(in)) != -1) {
		in->p++;
		if (c == '\\') {
			c = sf_peek(in);
			if (c != '"' && c != '\\')
				return -1;
			in->p++;
		} else if (c == '"') {
			v->text_len = (size_t)(in->p - 1 - v->text);
			return 0;
		} else if (c < 0x20 || c > 0x7e)
			return -1;
	}
	return -1;		/* no closing quote */
}

static int
sf_token(struct sf_in *in, struct sf_value *v)
{
	int c;

	v->type = SF_TOKEN;
	v->text = in->p++;
	while ((c = sf_peek(in)) != -1 && (sf_is_tchar(c) || c == ':' ||
	    c == '/'))
		in->p++;
	v->text_len = (size_t)(in->p - v->text);
	return 0;
}

static int
sf_binary(struct sf_in *in, struct sf_value *v)
{
	int c;

	in->p++;
	v->type = SF_BINARY;
	v->text = in->p;
	while ((c = sf_peek(in)) != ':') {
		if (c == -1 || !(sf_is_alpha(c) || sf_is_digit(c) ||
		    c == '+' || c == '/' || c == '='))
			return -1;
		in->p++;
	}
	v->text_len = (size_t)(in->p - v->text);
	in->p++;
	return 0;
}

static int
sf_bare_item(struct sf_in *in, struct sf_value *v)
{
	int c = sf_peek(in);

	memset(v, 0, sizeof(*v));
	if (c == '-' || sf_is_digit(c))
		return sf_number(in, v);
	if (c == '"')
		return sf_string(in, v);
	if (c == '*' || sf_is_alpha(c))
		return sf_token(in, v);
	if (c == ':')
		return sf_binary(in, v);
	if (c == '?') {
		in->p++;
		c = sf_peek(in);
		if (c != '0' && c != '1')
			return -1;
		in->p++;
		v->type = SF_BOOLEAN;
		v->integer = c == '1';
		v->text = in->p - 2;
		v->text_len = 2;
		return 0;
	}
	return -1;
}

/* parameters = *( ";" *SP key [ "=" bare-item ] ), checked and dropped */
static int
sf_parameters(struct sf_in *in)
{
	struct sf_value pv;
	const char *key;
	size_t klen;

	while (sf_peek(in) == ';') {
		in->p++;
		sf_skip_sp(in);
		if (sf_key(in, &key, &klen) == -1)
			return -1;
		if (sf_peek(in) == '=') {
			in->p++;
			if (sf_bare_item(in, &pv) == -1)
				return -1;
		}
	}
	return 0;
}

static int
sf_item(struct sf_in *in, struct sf_value *v)
{
	if (sf_bare_item(in, v) == -1)
		return -1;
	return sf_parameters(in);
}

static int
sf_inner_list(struct sf_in *in, struct sf_value *v)
{
	struct sf_value item;
	int c;

	v->type = SF_INNER_LIST;
	v->integer = 0;
	v->text = in->p++;
	for (;;) {
		sf_skip_sp(in);
		if (sf_peek(in) == ')') {
			in->p++;
			v->text_len = (size_t)(in->p - v->text);
			return sf_parameters(in);
		}
		if (sf_item(in, &item) == -1)
			return -1;
		c = sf_peek(in);
		if (c != ' ' && c != ')')
			return -1;
	}
}

int
sf_dict_parse(const char *s, size_t len, sf_dict_member cb, void *arg)
{
	struct sf_in in = { s, s + len };
	struct sf_value v;
	const char *key;
	size_t klen;
	int n = 0;

	/* the field value's surrounding whitespace is not part of it */
	sf_skip_ows(&in);
	while (in.end > in.p && (in.end[-1] == ' ' || in.end[-1] == '\t'))
		in.end--;
	while (in.p < in.end) {
		if (sf_key(&in, &key, &klen) == -1)
			return -1;
		if (sf_peek(&in) == '=') {
			in.p++;
			if (sf_peek(&in) == '(') {
				if (sf_inner_list(&in, &v) == -1)
					return -1;
			} else if (sf_item(&in, &v) == -1)
				return -1;
		} else {
			memset(&v, 0, sizeof(v));
			v.type = SF_BOOLEAN;
			v.integer = 1;
			if (sf_parameters(&in) == -1)
				return -1;
		}
		if (cb != NULL)
			cb(arg, key, klen, &v);
		n++;
		sf_skip_ows(&in);
		if (in.p >= in.end)
			break;
		if (*in.p != ',')
			return -1;
		in.p++;
		sf_skip_ows(&in);
		if (in.p >= in.end)
			return -1;	/* a trailing comma */
	}
	return n;
}
