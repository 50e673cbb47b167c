/*
 * units: parsers for squid.conf value syntaxes (sizes, times, booleans,
 * percentages, integers).  They are pure so the config engine and the unit
 * tests can call them alike; wording of the messages follows Squid 5.7 so
 * that users recognise them.
 */
#include "config.h"
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct units_unit {
	const char	*name;
	double		 factor;
};

/* A unit matches when the word starts with its name: "KBytes", "minutes". */
static const struct units_unit units_sizes[] = {
	{ "bytes", 1.0 },
	{ "KB", 1024.0 },
	{ "MB", 1024.0 * 1024 },
	{ "GB", 1024.0 * 1024 * 1024 },
	{ NULL, 0 }
};

static const struct units_unit units_times[] = {	/* in milliseconds */
	{ "nanosecond", 1e-6 },
	{ "microsecond", 1e-3 },
	{ "millisecond", 1.0 },
	{ "second", 1e3 },
	{ "minute", 60e3 },
	{ "hour", 3600e3 },
	{ "day", 86400e3 },
	{ "week", 7 * 86400e3 },
	{ "fortnight", 14 * 86400e3 },
	{ "month", 30 * 86400e3 },
	{ "year", 365.25 * 86400e3 },
	{ "decade", 3652.5 * 86400e3 },
	{ NULL, 0 }
};

char *
units_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	return s;
}

/*
 * strtod alone would take "0x10", "inf" or leading blanks; Squid's values
 * are plain decimals, so check the shape first.
 */
static char *
units_number(const char *word, double *val)
{
	const char *p = word;
	int digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return units_strf("No digits were found in the input value "
		    "'%s'.", word);
	if (*p != '\0')
		return units_strf("Invalid value: '%s' is supposed to be a "
		    "number.", word);
	errno = 0;
	*val = strtod(word, NULL);
	if (errno == ERANGE || !isfinite(*val))
		return units_strf("Invalid value: '%s' is out of range.", word);
	return NULL;
}

static const struct units_unit *
units_find(const struct units_unit *table, const char *word)
{
	for (; table->name != NULL; table++)
		if (strncasecmp(word, table->name, strlen(table->name)) == 0)
			return table;
	return NULL;
}

static char *
units_to_int64(double v, int64_t *out, const char *word)
{
	/* rounded by hand: the library links without libm */
	if (v > 9.2e18 || v < -9.2e18)
		return units_strf("Invalid value: '%s' is out of range.", word);
	*out = v >= 0 ? (int64_t)(v + 0.5) : -(int64_t)(-v + 0.5);
	return NULL;
}

char *
units_size(const char *number, const char *unit, int64_t dflt_unit,
    int64_t *bytes, int *unitless)
{
	const struct units_unit *u;
	double v;
	char *err;

	*unitless = 0;
	if (number == NULL)
		return units_strf("missing size value");
	if ((err = units_number(number, &v)) != NULL)
		return err;
	if (unit == NULL) {
		*unitless = 1;
		return units_to_int64(v * (double)dflt_unit, bytes, number);
	}
	if ((u = units_find(units_sizes, unit)) == NULL)
		return units_strf("Unknown bytes unit '%s'", unit);
	return units_to_int64(v * u->factor, bytes, number);
}

char *
units_size_glued(const char *word, int64_t *bytes)
{
	const struct units_unit *u;
	const char *p = word;
	char *num, *err;
	double v;

	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if (p == word)
		return units_strf("No digits were found in the input value "
		    "'%s'.", word);
	num = strndup(word, (size_t)(p - word));
	if (num == NULL)
		abort();
	err = units_number(num, &v);
	free(num);
	if (err != NULL)
		return err;
	if (*p == '\0')
		return units_to_int64(v, bytes, word);
	if ((u = units_find(units_sizes, p)) == NULL)
		return units_strf("Unknown bytes unit '%s'", p);
	return units_to_int64(v * u->factor, bytes, word);
}

char *
units_time(const char *number, const char *unit, int64_t *ms)
{
	const struct units_unit *u;
	double v;
	char *err;

	if (number == NULL)
		return units_strf("cannot read a time value");
	if ((err = units_number(number, &v)) != NULL)
		return err;
	if (v < 0)
		return units_strf("time must have a positive value");
	/* Squid takes a bare 0 ("max_stale 0"); any other number needs one */
	if (unit == NULL && v == 0) {
		*ms = 0;
		return NULL;
	}
	if (unit == NULL)
		return units_strf("missing time unit");
	if ((u = units_find(units_times, unit)) == NULL)
		return units_strf("unknown time unit '%s'", unit);
	return units_to_int64(v * u->factor, ms, number);
}

char *
units_bool(const char *word, int *on, char **warning)
{
	*warning = NULL;
	if (word != NULL && strcmp(word, "on") == 0)
		*on = 1;
	else if (word != NULL && strcmp(word, "off") == 0)
		*on = 0;
	else if (word != NULL && strcmp(word, "enable") == 0) {
		*on = 1;
		*warning = units_strf("'enable' is deprecated. Please update "
		    "to use 'on'.");
	} else if (word != NULL && strcmp(word, "disable") == 0) {
		*on = 0;
		*warning = units_strf("'disable' is deprecated. Please update "
		    "to use 'off'.");
	} else
		return units_strf("Invalid option: Boolean options can only be "
		    "'on' or 'off'.");
	return NULL;
}

char *
units_percent(const char *word, int *pct)
{
	const char *p = word;
	long v = 0;

	if (word == NULL || !isdigit((unsigned char)*p))
		return units_strf("Invalid percentage '%s'", word ? word : "");
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > 1000000)
			return units_strf("Invalid percentage '%s'", word);
	}
	if (*p == '%')
		p++;
	if (*p != '\0')
		return units_strf("Invalid percentage '%s'", word);
	*pct = (int)v;
	return NULL;
}

char *
units_int(const char *word, int64_t *val)
{
	return units_int_base(word, 10, val);
}

char *
units_int_base(const char *word, int base, int64_t *val)
{
	const char *p = word;
	char *end;
	long long v;

	if (word == NULL)
		return units_strf("missing number");
	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return units_strf("No digits were found in the input value "
		    "'%s'.", word);
	errno = 0;
	v = strtoll(word, &end, base);
	if (*end != '\0')
		return units_strf("Invalid value: '%s' is supposed to be a "
		    "number.", word);
	if (errno == ERANGE)
		return units_strf("Invalid value: '%s' is out of range.", word);
	*val = v;
	return NULL;
}
