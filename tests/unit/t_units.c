/*
 * Unit tests for units.c: squid.conf sizes, times, booleans, percentages
 * and integers, including the spellings Squid 5.7 rejects.
 */
#include "config.h"
#include "units.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int64_t
size_ok(const char *num, const char *unit, int64_t dflt, int *unitless)
{
	int64_t v = -12345;
	char *err = units_size(num, unit, dflt, &v, unitless);

	if (err != NULL) {
		printf("# unexpected error: %s\n", err);
		free(err);
		return -12345;
	}
	return v;
}

/* The error message, or "" if none; static storage for is_str(). */
static const char *
size_err(const char *num, const char *unit)
{
	static char buf[256];
	int64_t v = 0;
	int unitless;
	char *err = units_size(num, unit, UNITS_BYTES, &v, &unitless);

	snprintf(buf, sizeof(buf), "%s", err ? err : "");
	free(err);
	return buf;
}

static int64_t
time_ok(const char *num, const char *unit)
{
	int64_t v = -12345;
	char *err = units_time(num, unit, &v);

	if (err != NULL) {
		printf("# unexpected error: %s\n", err);
		free(err);
		return -12345;
	}
	return v;
}

static const char *
time_err(const char *num, const char *unit)
{
	static char buf[256];
	int64_t v = 0;
	char *err = units_time(num, unit, &v);

	snprintf(buf, sizeof(buf), "%s", err ? err : "");
	free(err);
	return buf;
}

static void
test_sizes(void)
{
	int unitless = -1;

	is_int(size_ok("64", "MB", 1, &unitless), 64 * 1024 * 1024, "64 MB");
	is_int(unitless, 0, "64 MB has a unit");
	is_int(size_ok("1", "KB", 1, &unitless), 1024, "KB is 1024");
	is_int(size_ok("1", "kb", 1, &unitless), 1024, "kb: case-insensitive");
	is_int(size_ok("2", "KBytes", 1, &unitless), 2048, "KBytes: prefix");
	is_int(size_ok("3", "gb", 1, &unitless), 3LL << 30, "gb");
	is_int(size_ok("1.5", "GB", 1, &unitless), 3LL << 29, "1.5 GB");
	is_int(size_ok("0.5", "KB", 1, &unitless), 512, "0.5 KB");
	is_int(size_ok("100", "bytes", 1, &unitless), 100, "bytes");
	is_int(size_ok("100", "BYTES", 1, &unitless), 100, "BYTES");
	is_int(size_ok("0", "KB", 1, &unitless), 0, "0 KB");
	is_int(size_ok("-1", "KB", 1, &unitless), -1024,
	    "negative sizes pass (quick_abort_min -1 KB means always)");
	is_int(size_ok("64", NULL, UNITS_BYTES, &unitless), 64,
	    "no unit: default unit bytes");
	is_int(unitless, 1, "no unit is reported so the caller warns");
	is_int(size_ok("64", NULL, UNITS_KB, &unitless), 65536,
	    "no unit: default unit KB for kb_ types");

	is_str(size_err("64MB", NULL),
	    "Invalid value: '64MB' is supposed to be a number.",
	    "64MB glued is an error");
	is_str(size_err("64MB", "MB"),
	    "Invalid value: '64MB' is supposed to be a number.",
	    "64MB MB is an error");
	is_str(size_err("lots", NULL),
	    "No digits were found in the input value 'lots'.", "lots");
	is_str(size_err("10", "XB"), "Unknown bytes unit 'XB'", "XB unit");
	is_str(size_err("10", "B"), "Unknown bytes unit 'B'", "B is not a unit");
	is_str(size_err("10", "K"), "Unknown bytes unit 'K'", "K is not a unit");
	is_str(size_err("10", "byte"), "Unknown bytes unit 'byte'",
	    "byte (no s) is not a unit");
	is_str(size_err("0x10", "KB"),
	    "Invalid value: '0x10' is supposed to be a number.", "no hex");
	is_str(size_err(" 1", "KB"),
	    "No digits were found in the input value ' 1'.", "no blanks");
	is_str(size_err("", "KB"),
	    "No digits were found in the input value ''.", "empty number");
	is_str(size_err("1e3", "KB"),
	    "Invalid value: '1e3' is supposed to be a number.", "no exponent");
	is_str(size_err("nan", "KB"),
	    "No digits were found in the input value 'nan'.", "no nan");
}

static void
test_glued(void)
{
	int64_t v = -1;
	char *err;

	err = units_size_glued("4MB", &v);
	ok(err == NULL && v == 4 * 1024 * 1024, "4MB glued");
	free(err);
	err = units_size_glued("512KB", &v);
	ok(err == NULL && v == 512 * 1024, "512KB glued");
	free(err);
	err = units_size_glued("100", &v);
	ok(err == NULL && v == 100, "100: bytes");
	free(err);
	err = units_size_glued("0", &v);
	ok(err == NULL && v == 0, "0 disables");
	free(err);
	err = units_size_glued("4XB", &v);
	is_str(err, "Unknown bytes unit 'XB'", "4XB");
	free(err);
	err = units_size_glued("MB", &v);
	is_str(err, "No digits were found in the input value 'MB'.", "MB alone");
	free(err);
}

static void
test_times(void)
{
	is_int(time_ok("1", "second"), 1000, "1 second");
	is_int(time_ok("90", "seconds"), 90000, "90 seconds: plural");
	is_int(time_ok("5", "Minutes"), 300000, "5 Minutes: case");
	is_int(time_ok("1", "minute"), 60000, "1 minute");
	is_int(time_ok("2", "hours"), 7200000, "2 hours");
	is_int(time_ok("1", "day"), 86400000, "1 day");
	is_int(time_ok("1", "week"), 7LL * 86400000, "1 week");
	is_int(time_ok("1", "fortnight"), 14LL * 86400000, "1 fortnight");
	is_int(time_ok("1", "month"), 30LL * 86400000, "1 month is 30 days");
	is_int(time_ok("1", "year"), 31557600000LL, "1 year is 365.25 days");
	is_int(time_ok("1", "decade"), 315576000000LL, "1 decade");
	is_int(time_ok("250", "milliseconds"), 250, "milliseconds");
	is_int(time_ok("1500", "microseconds"), 2, "microseconds round");
	is_int(time_ok("2000000", "nanoseconds"), 2, "nanoseconds");
	is_int(time_ok("1.5", "seconds"), 1500, "fractions");
	is_int(time_ok("0", "seconds"), 0, "zero");
	is_int(time_ok("1", "SECOND"), 1000, "upper case");

	is_str(time_err("5", NULL), "missing time unit", "no unit is an error");
	is_int(time_ok("0", NULL), 0, "a bare 0 needs no unit (Squid)");
	is_str(time_err("90", "sec"), "unknown time unit 'sec'", "sec rejected");
	is_str(time_err("5", "ms"), "unknown time unit 'ms'", "ms rejected");
	is_str(time_err("5", "min"), "unknown time unit 'min'", "min rejected");
	is_str(time_err("5", "s"), "unknown time unit 's'", "s rejected");
	is_str(time_err("5seconds", NULL),
	    "Invalid value: '5seconds' is supposed to be a number.", "glued");
	is_str(time_err("-1", "seconds"), "time must have a positive value",
	    "negative");
	is_str(time_err(NULL, NULL), "cannot read a time value", "no value");
	is_str(time_err("soon", "seconds"),
	    "No digits were found in the input value 'soon'.", "no digits");
}

static void
test_bool(void)
{
	int on = -1;
	char *warning = (char *)"x", *err;

	err = units_bool("on", &on, &warning);
	ok(err == NULL && on == 1 && warning == NULL, "on");
	err = units_bool("off", &on, &warning);
	ok(err == NULL && on == 0 && warning == NULL, "off");
	err = units_bool("enable", &on, &warning);
	ok(err == NULL && on == 1, "enable");
	is_str(warning, "'enable' is deprecated. Please update to use 'on'.",
	    "enable warns");
	free(warning);
	err = units_bool("disable", &on, &warning);
	ok(err == NULL && on == 0, "disable");
	is_str(warning, "'disable' is deprecated. Please update to use 'off'.",
	    "disable warns");
	free(warning);
	on = 7;
	err = units_bool("maybe", &on, &warning);
	is_str(err, "Invalid option: Boolean options can only be 'on' or 'off'.",
	    "maybe");
	is_int(on, 7, "failure leaves the value");
	free(err);
	err = units_bool("ON", &on, &warning);
	ok(err != NULL, "ON: case-sensitive like Squid");
	free(err);
	err = units_bool(NULL, &on, &warning);
	ok(err != NULL, "missing value");
	free(err);
}

static void
test_percent_int(void)
{
	int pct = -1;
	int64_t v = -1;
	char *err;

	err = units_percent("20%", &pct);
	ok(err == NULL && pct == 20, "20%%");
	err = units_percent("0%", &pct);
	ok(err == NULL && pct == 0, "0%%");
	err = units_percent("95", &pct);
	ok(err == NULL && pct == 95, "95 without %%");
	err = units_percent("20%x", &pct);
	is_str(err, "Invalid percentage '20%x'", "trailing junk");
	free(err);
	err = units_percent("-5%", &pct);
	ok(err != NULL, "negative percentage");
	free(err);
	err = units_percent("%", &pct);
	ok(err != NULL, "no digits");
	free(err);

	err = units_int("42", &v);
	ok(err == NULL && v == 42, "42");
	err = units_int("-3", &v);
	ok(err == NULL && v == -3, "-3");
	err = units_int("4x", &v);
	is_str(err, "Invalid value: '4x' is supposed to be a number.", "4x");
	free(err);
	err = units_int("x", &v);
	is_str(err, "No digits were found in the input value 'x'.", "x");
	free(err);
	err = units_int("99999999999999999999", &v);
	ok(err != NULL, "overflow");
	free(err);
}

int
main(void)
{
	char *s = units_strf("%s-%d", "a", 1);

	is_str(s, "a-1", "units_strf");
	free(s);
	test_sizes();
	test_glued();
	test_times();
	test_bool();
	test_percent_int();
	return tap_done();
}
