/*
 * Unit tests for the Structured Field Dictionary parser: what RFC 8941
 * accepts (every bare item type, parameters, inner lists, repeated keys)
 * and each way a value must fail, since a targeted cache-control field
 * that fails is ignored whole.
 */
#include "config.h"
#include "sf_dict.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

/* What the callback saw, as "key:type:text|..." (integers in decimal). */
static char seen[1024];

static void
t_record(void *arg, const char *key, size_t klen, const struct sf_value *v)
{
	static const char *const names[] = { "int", "dec", "str", "tok",
	    "bin", "bool", "list" };
	size_t n = strlen(seen);

	(void)arg;
	if (v->type == SF_INTEGER || v->type == SF_BOOLEAN)
		snprintf(seen + n, sizeof(seen) - n, "%.*s:%s:%lld|",
		    (int)klen, key, names[v->type], (long long)v->integer);
	else
		snprintf(seen + n, sizeof(seen) - n, "%.*s:%s:%.*s|",
		    (int)klen, key, names[v->type], (int)v->text_len, v->text);
}

static int
t_parse(const char *s)
{
	seen[0] = '\0';
	return sf_dict_parse(s, strlen(s), t_record, NULL);
}

static void
t_valid(void)
{
	is_int(t_parse(""), 0, "empty value: no members");
	is_int(t_parse("   "), 0, "blank value: no members");
	is_int(t_parse("max-age=3600"), 1, "one integer member");
	is_str(seen, "max-age:int:3600|", "its value");
	is_int(t_parse("no-store"), 1, "a bare key");
	is_str(seen, "no-store:bool:1|", "is Boolean true");
	is_int(t_parse("foobar, max-age=3600"), 2, "two members");
	is_str(seen, "foobar:bool:1|max-age:int:3600|", "in order");
	is_int(t_parse("a=1,b=2\t,  c=3"), 3, "OWS around commas");
	is_int(t_parse("a=-42"), 1, "negative integer");
	is_str(seen, "a:int:-42|", "its value");
	is_int(t_parse("a=999999999999999"), 1, "15-digit integer");
	is_int(t_parse("a=1.5, b=-123456789012.123"), 2, "decimals");
	is_str(seen, "a:dec:1.5|b:dec:-123456789012.123|", "kept as text");
	is_int(t_parse("a=\"x, \\\"y\\\" \\\\\""), 1, "string with escapes");
	is_str(seen, "a:str:x, \\\"y\\\" \\\\|", "escapes kept");
	is_int(t_parse("a=tok/en:x*"), 1, "token");
	is_str(seen, "a:tok:tok/en:x*|", "its text");
	is_int(t_parse("a=:aGVsbG8=:"), 1, "byte sequence");
	is_str(seen, "a:bin:aGVsbG8=|", "its base64");
	is_int(t_parse("a=?0, b=?1"), 2, "Booleans");
	is_str(seen, "a:bool:0|b:bool:1|", "their values");
	is_int(t_parse("a=(1 \"x\" y);p=1, b"), 2, "inner list");
	is_str(seen, "a:list:(1 \"x\" y)|b:bool:1|", "its text");
	is_int(t_parse("a=()"), 1, "empty inner list");
	is_int(t_parse("a;p=1;q, b=2;r=?0"), 2, "parameters skipped");
	is_str(seen, "a:bool:1|b:int:2|", "values without them");
	is_int(t_parse("a=1, a=2"), 2, "a repeated key is handed twice");
	is_str(seen, "a:int:1|a:int:2|", "last one last");
	is_int(t_parse("*x.y_z-1=1"), 1, "key characters");
	is_int(sf_dict_parse("a=1, b", 3, t_record, NULL), 1,
	    "length bounds the value");
}

static void
t_invalid(void)
{
	static const char *const bad[] = {
		"max-age=10000, &&&&&",		/* unknown type */
		"MaX-aGe=3600",			/* keys are lowercase */
		"max-age =100",			/* space before = */
		"max-age= 100",			/* space after = */
		"a=1,",				/* trailing comma */
		",a=1",				/* leading comma */
		"a=1,,b=2",			/* empty member */
		"a=1 b=2",			/* no comma */
		"a=",				/* no value */
		"a=1234567890123456",		/* 16 digits */
		"a=1234567890123.5",		/* 13 before the dot */
		"a=1.",				/* no fraction */
		"a=1.2345",			/* 4 after the dot */
		"a=-",				/* sign alone */
		"a=\"open",			/* unterminated string */
		"a=\"\\x\"",			/* bad escape */
		"a=\"\x01\"",			/* control in a string */
		"a=:abc",			/* unterminated binary */
		"a=:a!c:",			/* not base64 */
		"a=?2",				/* not a Boolean */
		"a=(1 2",			/* unterminated inner list */
		"a=(1,2)",			/* commas in an inner list */
		"a;P=1",			/* uppercase parameter key */
		"a;p=",				/* parameter without value */
		"1a=1",				/* key starts with a digit */
		"a=1;",				/* empty parameter */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(t_parse(bad[i]), -1, "invalid: %s", bad[i]);
	is_int(sf_dict_parse("a=1", 3, NULL, NULL), 1, "callback optional");
}

int
main(void)
{
	t_valid();
	t_invalid();
	return tap_done();
}
